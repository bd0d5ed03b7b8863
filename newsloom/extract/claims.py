"""Claims: who did what to whom, where, when and how many, read off the spaCy parse.

Two reports of one event rarely share a sentence, but they share claims: "the Taliban seized
control of Kandahar, leaving just Kabul ..." and "the Taliban have captured Afghanistan's
second largest city, Kandahar, in what is a crushing blow" both state that the Taliban
captured Kandahar, inside different clauses. So every clause headed by a verb becomes a
`Claim`: its verb lemma (with particle or light noun: "take over", "seize control"),
negation and voice, the agent and patient whatever the voice ("Kandahar fell to the
Taliban" -> agent Taliban, patient Kandahar), the names inside each, the places and date in
the clause, and its figures, each tied to whose figure it is. Fusion compares claims, not
sentences.

The parser's lemmatizer is left out of the pipeline for speed, so verbs are lemmatised here
(irregular table plus suffix rules): only verbs and a few nouns need it.
"""

from __future__ import annotations

import functools
import importlib
import re
from bisect import bisect_left, bisect_right
from pathlib import Path
from typing import TYPE_CHECKING

from newsloom.extract.places import fold
from newsloom.extract.quotes import CUE_FORMS
from newsloom.models import Article, Claim, Figure

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

CLAUSE_DEPS = frozenset(
    {"ROOT", "conj", "advcl", "ccomp", "xcomp", "relcl", "acl", "pcomp", "csubj", "parataxis"}
)
SUBJECT_DEPS = frozenset({"nsubj", "nsubjpass", "csubj", "csubjpass"})
OBJECT_DEPS = ("dobj", "attr", "oprd", "dative")
NAME_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "PRODUCT"})
# Verbs whose grammatical subject undergoes the event ("12 people died", "the plane crashed").
UNACCUSATIVE = frozenset(
    "die fall crash collapse explode sink burn drown perish drop rise increase decrease "  # noqa: SIM905
    "climb surge plunge plummet soar grow shrink open close resume reopen end begin start "
    "stop continue break erupt occur happen survive".split()
)
# Nouns that make a verb phrase: "seize control of X" is one predicate over X.
LIGHT_NOUNS = frozenset(
    "control charge possession hold command custody responsibility part".split()  # noqa: SIM905
)
# Intransitive verb + preposition whose object is the doer: "Kandahar fell to the Taliban".
DOER_PREPS = {"fall": "to", "surrender": "to", "succumb": "to"}
# Heads that measure out their "of" object: the object is the participant.
QUANTIFIERS = frozenset(
    "hundred thousand million dozen score number lot couple handful majority most some all "  # noqa: SIM905
    "many several few both each none".split()
)
RELATIVE = frozenset({"who", "which", "that", "whom", "what"})
NEGATORS = frozenset({"not", "n't", "n’t", "never", "no", "neither", "nor", "without"})


@functools.cache
def _lemma_tables() -> tuple[dict[str, list[str]], frozenset[str], list[list[str]]]:
    """spaCy's English rule-lemmatizer tables for verbs (exceptions, word index, suffix
    rules), read from the installed model package; the pipeline itself runs without the
    lemmatizer for speed, and only verbs need lemmas here."""
    from spacy.lookups import Lookups

    from newsloom.nlp import SPACY_MODEL

    package = importlib.import_module(SPACY_MODEL)
    found = sorted(Path(str(package.__file__)).parent.glob("*/lemmatizer/lookups"))
    if not found:
        return {}, frozenset(), []
    lookups = Lookups().from_disk(found[0])
    exc = dict(lookups.get_table("lemma_exc")["verb"])
    index = frozenset(lookups.get_table("lemma_index")["verb"])
    rules = list(lookups.get_table("lemma_rules")["verb"])
    return exc, index, rules


@functools.cache
def verb_lemma(word: str) -> str:
    """Lemma of an English verb form ("captured" -> "capture", "fled" -> "flee")."""
    w = word.lower().replace("’", "'")
    exc, index, rules = _lemma_tables()
    if w in exc:
        return exc[w][0]
    if w in index:
        return w
    for old, new in rules:
        if w.endswith(old):
            form = w[: len(w) - len(old)] + new
            if form in index:
                return form
    return w


def noun_key(word: str) -> str:
    """A noun's crude singular, lower case: "troops" -> "troop", "people" stays."""
    w = word.lower()
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith("s") and not w.endswith(("ss", "us", "is")) and len(w) > 3:
        return w[:-1]
    return w


@functools.lru_cache(maxsize=65536)
def name_key(text: str) -> str:
    """A name as a comparison key: folded, lower case, leading "the" dropped."""
    key = fold(text).lower().strip(" .,'’")
    return re.sub(r"^the\s+", "", key)


class _Names:
    """Entity mentions of one article by offset, for "which names lie in this span"."""

    def __init__(self, article: Article) -> None:
        named = sorted(
            (m.start, m.end, name_key(m.norm or m.text))
            for m in article.mentions
            if m.label in NAME_LABELS
        )
        self.starts = [s for s, _, _ in named]
        self.items = named

    def within(self, start: int, end: int) -> list[str]:
        lo, hi = bisect_left(self.starts, start), bisect_left(self.starts, end)
        out: list[str] = []
        for _, e, key in self.items[lo:hi]:
            if e <= end and key and key not in out:
                out.append(key)
        return out


def _is_clause_head(tok: Token) -> bool:
    if tok.dep_ not in CLAUSE_DEPS:
        return False
    if tok.pos_ == "VERB":
        return tok.dep_ != "acl" or tok.tag_ in ("VBN", "VBG")
    return tok.pos_ == "AUX" and tok.dep_ in ("ROOT", "conj", "ccomp", "advcl", "relcl")


def _child(tok: Token, deps: tuple[str, ...] | frozenset[str]) -> Token | None:
    for c in tok.children:
        if c.dep_ in deps:
            return c
    return None


def _subject(tok: Token, depth: int = 0) -> Token | None:
    """The clause's subject, inherited along conj/xcomp/advcl chains; for a relative
    clause the noun it modifies stands in for "who"/"which"."""
    subj = _child(tok, SUBJECT_DEPS)
    if subj is not None and subj.lower_ in RELATIVE and tok.dep_ == "relcl":
        return tok.head
    if subj is not None or depth > 3 or tok.head is tok:
        return subj
    if tok.dep_ in ("relcl", "acl"):
        return tok.head
    if tok.dep_ == "xcomp":
        obj = _child(tok.head, ("dobj",))
        return obj if obj is not None else _subject(tok.head, depth + 1)
    if tok.dep_ in ("conj", "advcl"):
        return _subject(tok.head, depth + 1)
    return None


def _span(tok: Token) -> tuple[int, int]:
    """Character span of a token's subtree."""
    left, right = tok.left_edge, tok.right_edge
    return left.idx, right.idx + len(right.text)


def _clause_span(tok: Token) -> tuple[int, int]:
    """The clause's own tokens: the verb's subtree less the subtrees of nested clauses."""
    nested = [c for c in tok.children if _is_clause_head(c) and c.dep_ != "xcomp"]
    skip: set[int] = set()
    for c in nested:
        skip.update(range(c.left_edge.i, c.right_edge.i + 1))
    idx = [t for t in tok.subtree if t.i not in skip and not t.is_punct]
    if not idx:
        return tok.idx, tok.idx + len(tok.text)
    first, last = min(idx, key=lambda t: t.i), max(idx, key=lambda t: t.i)
    return first.idx, last.idx + len(last.text)


def _negated(tok: Token, patient: Token | None) -> bool:
    if any(c.dep_ == "neg" or c.lower_ in ("never",) for c in tok.children):
        return True
    aux = [c for c in tok.children if c.dep_ in ("aux", "auxpass")]
    if any(c.dep_ == "neg" for a in aux for c in a.children):
        return True
    return patient is not None and any(
        c.dep_ == "det" and c.lower_ == "no" for c in patient.children
    )


def _verb(tok: Token) -> tuple[str, Token | None]:
    """(verb phrase lemma, light-noun object or None): "took over", "seized control"."""
    lemma = verb_lemma(tok.text)
    prt = _child(tok, ("prt",))
    if prt is not None:
        lemma = f"{lemma} {prt.lower_}"
    obj = _child(tok, ("dobj",))
    if obj is not None and obj.lower_ in LIGHT_NOUNS:
        return f"{lemma} {obj.lower_}", obj
    return lemma, None


def _prep_object(tok: Token, preps: tuple[str, ...]) -> Token | None:
    for c in tok.children:
        if c.dep_ == "prep" and c.lower_ in preps:
            pobj = _child(c, ("pobj",))
            if pobj is not None:
                return pobj
    return None


def _arguments(
    tok: Token, verb: str, light: Token | None
) -> tuple[Token | None, Token | None, str]:
    """(agent, patient, verb) of the clause, normalised for voice and verb class."""
    subj = _subject(tok)
    passive = (tok.dep_ == "acl" and tok.tag_ == "VBN") or any(
        c.dep_ in ("nsubjpass", "auxpass") for c in tok.children
    )
    if light is not None:
        obj = _prep_object(light, ("of", "over", "for"))
    else:
        obj = _child(tok, OBJECT_DEPS)
    if passive:
        by = _child(tok, ("agent",))
        agent = _child(by, ("pobj",)) if by is not None else None
        return agent, subj, verb
    head = verb.split(" ")[0]
    if head in DOER_PREPS:
        doer = _prep_object(tok, (DOER_PREPS[head],))
        if doer is not None:
            return doer, subj, f"{head} {DOER_PREPS[head]}"
    if head in UNACCUSATIVE and obj is None:
        return None, subj, verb
    return subj, obj, verb


def _head_word(tok: Token | None) -> str:
    """The participant's head word; for an amount of something, the something ("hundreds of
    pagers" -> "pager", "one of the suspects" -> "suspect")."""
    if tok is None:
        return ""
    if tok.like_num or noun_key(tok.text) in QUANTIFIERS:
        of = _prep_object(tok, ("of",))
        if of is not None:
            return _head_word(of)
    if tok.pos_ == "PROPN" or tok.ent_type_:
        return name_key(tok.text)
    return noun_key(tok.text)


def _holder(
    article: Article, q_start: int, q_end: int, doc_tokens: Doc, names: _Names, fallback: str
) -> str:
    """Whose figure a number is: a possessive or adjacent name ("Trump's 232", "Biden 306",
    "306 for Biden"), else the clause's agent for an object figure."""
    span = doc_tokens.char_span(q_start, q_end, alignment_mode="expand")
    if span is not None:
        for tok in span:
            for c in tok.children:
                if c.dep_ == "poss":
                    got = names.within(*_span(c))
                    if got:
                        return got[0]
        before = names.within(max(0, q_start - 40), q_start)
        if before:
            text_between = article.text[q_start - 40 : q_start]
            tail = re.search(r"([\w’'.-]+)(?:[’']s)?[ \t]*$", text_between)
            if tail and name_key(tail.group(1).rstrip("’'s")) in before[-1:]:
                return before[-1]
        after = re.match(r"\s*(?:votes?\s+)?for\s+", article.text[q_end : q_end + 20])
        if after:
            got = names.within(q_end, q_end + 60)
            if got:
                return got[0]
    return fallback


def find_claims(article: Article, doc: Doc) -> list[Claim]:
    """Every clause of the article as a claim (reporting clauses give their content's)."""
    names = _Names(article)
    q_starts = [q.start for q in article.quantities]
    quote_spans = sorted((q.start, q.end) for q in article.quotes if q.start >= 0)
    out: list[Claim] = []
    for tok in doc:
        if not _is_clause_head(tok):
            continue
        verb, light = _verb(tok)
        lemma = verb.split(" ")[0]
        content = _child(tok, ("ccomp",))
        if lemma in CUE_FORMS.values() and content is not None:
            continue  # "X said (that) ...": the claim is the content, attributed elsewhere
        agent, patient, verb = _arguments(tok, verb, light)
        start, end = _clause_span(tok)
        sentence = article.sentence_at(tok.idx)
        if sentence < 0:
            continue
        agent_span = _span(agent) if agent is not None else (-1, -1)
        patient_span = _span(patient) if patient is not None else (-1, -1)
        agent_names = names.within(*agent_span) if agent is not None else []
        patient_names = names.within(*patient_span) if patient is not None else []
        figures: list[Figure] = []
        for qi in range(bisect_left(q_starts, start), bisect_right(q_starts, end - 1)):
            q = article.quantities[qi]
            role = (
                "agent"
                if agent_span[0] <= q.start < agent_span[1]
                else "patient"
                if patient_span[0] <= q.start < patient_span[1]
                else "other"
            )
            fallback = agent_names[0] if role == "patient" and agent_names else ""
            figures.append(Figure(qi, role, _holder(article, q.start, q.end, doc, names, fallback)))
        times = [
            t.value
            for t in article.times
            if start <= t.start < end and t.kind == "date" and t.value[:1].isdigit()
        ]
        places = [p.name for p in article.places if start <= p.start < end]
        reported = content is None and (
            _reported(tok) or any(s <= tok.idx < e for s, e in quote_spans)
        )
        out.append(
            Claim(
                sentence=sentence,
                start=start,
                end=end,
                verb=verb,
                negated=_negated(tok, patient),
                passive=(tok.dep_ == "acl" and tok.tag_ == "VBN")
                or any(c.dep_ in ("nsubjpass", "auxpass") for c in tok.children),
                agent=_head_word(agent),
                patient=_head_word(patient),
                agent_names=agent_names,
                patient_names=patient_names,
                places=list(dict.fromkeys(places)),
                time=times[0] if times else "",
                figures=figures,
                reported=reported,
                main=tok.dep_ == "ROOT",
                verb_start=tok.idx,
            )
        )
    return out


def _reported(tok: Token) -> bool:
    """The clause is the content of a reporting verb ("officials said the toll rose")."""
    return tok.dep_ == "ccomp" and verb_lemma(tok.head.text) in CUE_FORMS.values()
