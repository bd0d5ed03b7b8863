"""Reported speech: who said what, direct ("…," X said) and indirect (X said that …).

Rules over spaCy's dependency parse rather than a trained attribution model: a reporting
verb (cue) gives the speaker (its subject) and the content (its clausal complement or the
quotation it governs). Quotation marks are paired on the raw text, paragraph by paragraph,
so multi-sentence and multi-paragraph quotes survive sentence splitting. Speaker spans
follow the PolNeAR/PARC convention (the whole subject noun phrase as written); the
resolved `speaker` is a full name where one can be found, else the description.
"""

from __future__ import annotations

import bisect
import dataclasses
import re
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from spacy.tokens import Doc, Span, Token

from newsloom.extract.entities import doc_text
from newsloom.models import Article, Mention, Quote

if TYPE_CHECKING:
    from newsloom.extract.attribution import AttributionModel

_IRREGULAR = {
    "say": ("said", "says", "saying"),
    "tell": ("told", "tells", "telling"),
    "write": ("wrote", "writes", "writing", "written"),
    "think": ("thought", "thinks", "thinking"),
    "find": ("found", "finds", "finding"),
    "speak": ("spoke", "speaks", "speaking"),
    "deny": ("denied", "denies", "denying"),
    "reply": ("replied", "replies", "replying"),
    "testify": ("testified", "testifies", "testifying"),
    "admit": ("admitted", "admits", "admitting"),
    "quip": ("quipped", "quips", "quipping"),
}
_REGULAR_WORDS = (
    "add tweet warn claim announce state explain insist argue note report suggest believe "
    "ask respond declare acknowledge confirm predict promise urge accuse allege estimate "
    "reveal recall complain stress emphasize emphasise agree contend maintain assert concede "
    "caution vow pledge post conclude indicate joke recount observe charge boast answer "
    "assure remark repeat counter fear hope worry show question demand learn "
    "cite mention call"
)
_REGULAR = _REGULAR_WORDS.split()
# Verbs of stance, evaluation and intent: PolNeAR-style attributions that are not reported
# speech ("Trump attacked Machado", "Graham urged Republicans to …", "Clinton wants …").
# Their content may be an object or an infinitive, not only a clause; quotes of this kind
# are kept apart from reported speech (`Quote.kind == "stance"`).
_STANCE_WORDS = (
    "praise criticize criticise condemn denounce blast slam attack mock ridicule defend blame "
    "credit thank applaud welcome reject dismiss dispute endorse back support oppose champion "
    "promote propose recommend advise encourage invite plan intend want wish expect doubt "
    "consider view regard prefer favor favour decide refuse decline threaten recognize "
    "disclose publish document highlight link compare liken describe characterize label "
    "reference invoke push advocate tout hail lament decry fault challenge vote offer "
    "point promise vow pledge urge accuse cite mention call question demand"
)
_STANCE_IRREGULAR = {
    "seek": ("sought", "seeks", "seeking"),
    "feel": ("felt", "feels", "feeling"),
    "know": ("knew", "knows", "knowing", "known"),
    "see": ("saw", "sees", "seeing", "seen"),
}


def _inflect(lemma: str) -> tuple[str, ...]:
    stem = lemma[:-1] if lemma.endswith("e") else lemma
    plural = lemma + ("es" if lemma.endswith(("s", "sh", "ch")) else "s")
    return (lemma, plural, stem + "ed", stem + "ing")


def _cue_forms() -> dict[str, str]:
    forms: dict[str, str] = {}
    for lemma in _REGULAR:
        for form in _inflect(lemma):
            forms[form] = lemma
    for lemma, others in _IRREGULAR.items():
        for form in (lemma, *others):
            forms[form] = lemma
    return forms


CUE_FORMS = _cue_forms()
STANCE_FORMS = {form: lemma for lemma in _STANCE_WORDS.split() for form in _inflect(lemma)} | {
    form: lemma for lemma, forms in _STANCE_IRREGULAR.items() for form in (lemma, *forms)
}
# Stance complements: an object, an infinitive, a predicate or a prepositional object.
_STANCE_DEPS = ("dobj", "xcomp", "oprd", "prep", "dative")
# Reporting verbs that, without a clause, are rarely an attribution ("said nothing",
# "thinks so", "found the keys").
_NO_STANCE = {"say", "think", "believe", "find", "learn", "ask", "answer", "report", "speak"}
# Paragraph labels that look like a speaker before a colon.
_NOTICES = {
    "correction", "clarification", "update", "updated", "editor's note", "note", "photo",
    "source", "sources", "related", "read more", "watch", "listen", "video", "advertisement",
}  # fmt: skip
# Nouns that say what their possessor said, thinks or plans ("Trump's claim that …").
_SAID_NOUNS = {
    "claim", "claims", "assertion", "allegation", "allegations", "accusation", "accusations",
    "statement", "remarks", "comments", "criticism", "warning", "pledge", "promise", "vow",
}  # fmt: skip
# Subjects that are no source ("it remains", "there were", "which shows").
_NO_SOURCE = {"it", "this", "that", "which", "there", "what", "these", "those"}
# Verbs that report speech only with a clause ("X hopes that …"), never with a bare quote.
_CLAUSE_ONLY = {
    "believe",
    "think",
    "hope",
    "fear",
    "worry",
    "find",
    "repeat",
    "cite",
    "mention",
    "call",
}
# "I think …" is the speaker's own hedge inside a quote, not a separate attribution.
_FIRST_PERSON = {"i", "we", "you"}
# Cues whose content is an object ("cited the report", "called it a hoax", "vowed to win").
_OBJECT_DEPS = {
    "cite": ("dobj",),
    "mention": ("dobj",),
    "call": ("dobj", "oprd"),
    "vow": ("xcomp",),
    "pledge": ("xcomp",),
    "promise": ("xcomp",),
}
_OPEN, _CLOSE = "“", "”"
_STARTS = "newsloom.token_starts"  # per-doc cache in Doc.user_data
_PERSON_PRONOUNS = {"he", "she", "him", "her"}
_MALE = {"he", "him", "his", "himself"}
_FEMALE = {"she", "her", "hers", "herself"}
_MALE_TITLES = {"mr", "sir", "lord", "king", "prince", "father", "brother", "mister"}
_FEMALE_TITLES = {"mrs", "ms", "miss", "lady", "queen", "princess", "dame", "sister", "madam"}
_PRONOUN_REACH = 300  # characters after a name within which he/she may refer to it
_TITLES = _MALE_TITLES | _FEMALE_TITLES | {
    "dr", "prof", "president", "vice", "prime", "minister", "secretary", "senator", "sen",
    "rep", "gov", "governor", "mayor", "gen", "general", "col", "lt", "capt", "sgt", "judge",
    "justice", "chief", "rev", "del", "chancellor", "ambassador", "spokesman", "spokeswoman",
    "pope", "sheikh", "commissioner", "councilman", "councilwoman", "councillor", "sheriff",
}  # fmt: skip
_THING_PRONOUNS = {"it"}
_RELATIVE = {"who", "which", "that"}
_SUBJ = {"nsubj", "nsubjpass"}
_TOLD = {"tell", "inform", "brief", "notify", "assure", "advise", "remind", "ask"}
_AGENTS = {"PROPN", "NOUN", "PRON"}  # parts of speech of a stance's source
_EDGE_PUNCT = " \t\n,;:—–-"
_SEPARATORS = {",", "-", "—", "–", "--", ":"}
_NAME_PARTS = {"det", "compound", "amod", "nmod", "poss", "nummod", "punct"}
# Verbs of a relative clause that says who a source is ("X, who heads …").
_DESCRIBING_WORDS = (
    "serve head run lead represent include study chair direct oversee teach work own manage "
    "found advise cover specialize specialise"
)
_DESCRIBING = frozenset(form for word in _DESCRIBING_WORDS.split() for form in _inflect(word)) | {
    "ran", "led", "taught", "oversaw", "overseen", "studies", "studied",
}  # fmt: skip
# A dateline opening a line: "WASHINGTON (AFP) -", "KABUL, Afghanistan —".
_DATELINE = re.compile(
    r"[A-Z][A-Z .'’-]{2,}(?:,[^\n(—–]{1,30})?\s*(?:\([^)\n]{1,20}\)\s*)?(?:—|–|--|-|:)\s*"
)
_DASH_SPEAKER = re.compile(r"[^\S\n]*([―—–]|--)[^\S\n]*([A-Z][^\n]{1,60}?)(?:[^\S\n]|\.)*(?=\n|$)")
_COLON_SPEAKER = re.compile(r"^[\"“]?((?:[A-Z][\w.'’-]*\s?){1,4}):\s")


# Where to look in the text (a scan of its words, then only those tokens): reporting and
# stance verbs, "according", saying nouns, gendered pronouns.
_WORD = re.compile(r"[A-Za-z]+")
_CUE_WORD = frozenset(CUE_FORMS) | frozenset(STANCE_FORMS)
_ACCORDING = frozenset({"according"})
_SAID_NOUN = frozenset(_SAID_NOUNS)
_GENDERED = frozenset(_MALE | _FEMALE)


@dataclass(slots=True)
class _Span:
    """A quotation: `start`/`end` include the marks, `inner_*` exclude them."""

    start: int
    end: int
    inner_start: int
    inner_end: int
    continues: bool = False  # continues the previous paragraph's unclosed quote
    runs_on: bool = False  # unclosed, and the next paragraph reopens: the quote goes on


@dataclass(slots=True)
class _Cue:
    """A reporting verb with its speaker and content spans (char offsets, -1 if none)."""

    token: Token
    speaker: tuple[int, int]
    content: tuple[int, int]
    head_index: int  # token index of the speaker's head (-1 if none)
    kind: str = "speech"  # speech | stance (see STANCE_FORMS)


@dataclass(slots=True)
class RuleQuotes:
    """What the rules found: quotes (speaker names not yet resolved), the quotation spans,
    and the speaker each implicit quote (a paragraph of quotation alone) takes from another."""

    quotes: list[Quote]
    spans: list[_Span]
    inherited: dict[int, Quote]

    @property
    def inside(self) -> list[tuple[int, int]]:
        return [(s.inner_start, s.inner_end) for s in self.spans]


def find_quotes(
    article: Article, doc: Doc, mentions: list[Mention], model: AttributionModel | None = None
) -> list[Quote]:
    """All direct and indirect quotes in `article`, in text order: the rules' candidates and
    the parse's, kept or dropped by the attribution model (`attribution`; `model` defaults
    to the shipped one)."""
    from newsloom.extract.attribution import attribute, load_model

    found = rule_quotes(article.text, doc, mentions)
    quotes = attribute(doc, found.quotes, found.inside, model or load_model())
    quotes = [q for q in quotes if not _addressee(doc, q)]
    quotes.sort(key=lambda q: q.start)
    _resolve(quotes, doc, mentions, found.spans)
    for q in quotes:
        if id(q) in found.inherited:
            q.speaker = found.inherited[id(q)].speaker
        q.sentence = article.sentence_at(q.start)
    return quotes


def _addressee(doc: Doc, q: Quote) -> bool:
    """ "Greg was told that …": the passive subject of a verb of telling is who heard it (or
    what was told), not who said it. Dropped after the model, whose candidates stay as
    trained (dropping them before moved the PolNeAR halves by -0.0002 / -0.0009)."""
    if q.cue_start < 0 or q.speaker_start < 0:
        return False
    verb = _token_at(doc, q.cue_start)
    return CUE_FORMS.get(verb.lower_, "") in _TOLD and any(
        c.dep_ == "nsubjpass" and q.speaker_start <= c.idx < q.speaker_end for c in verb.children
    )


def rule_quotes(text: str, doc: Doc, mentions: list[Mention]) -> RuleQuotes:
    """Direct quotes paired with their cues, indirect ones from reporting verbs, colon and
    dash bylines, "according to", "X's claim that …" and stance verbs."""
    spans = _quote_spans(text, doc)
    cues = [c for c in (_cue_of(tok) for tok in _words_at(doc, _CUE_WORD) if _is_cue(tok)) if c]
    quotes: list[Quote] = []
    covered: list[tuple[int, int]] = []
    used: set[int] = set()
    for q in _colon_quotes(text, mentions):
        quotes.append(q)
        covered.append((q.start, q.end))
    last: Quote | None = None
    inherited: dict[int, Quote] = {}
    waiting: list[_Span] = []  # unclosed paragraphs whose speaker comes later in the run
    for span in spans:
        if any(_overlaps((span.start, span.end), c) for c in covered):
            continue
        if _inside_content(span, cues):
            continue
        if not span.continues:
            waiting = []
        quote = _direct(span, doc, cues, used, None if span.runs_on else last)
        if quote is None and span.runs_on:
            waiting.append(span)
            continue
        if quote is None:
            continue
        source = inherited.get(id(last), last) if quote.speaker_start < 0 else quote
        for early in waiting:
            if source is not None:
                copy = _implicit(doc, early, source)
                quotes.append(copy)
                inherited[id(copy)] = source
        waiting = []
        quotes.append(quote)
        if quote.speaker_start < 0 and source is not None:
            inherited[id(quote)] = source
        last = quote
    direct_ranges = [(q.start, q.end) for q in quotes]
    for cue in cues:
        if cue.token.i in used or cue.content[0] < 0 or cue.speaker[0] < 0:
            continue
        if text[cue.speaker[0] : cue.speaker[1]].lower() in _FIRST_PERSON:
            continue
        if any(_overlaps(cue.content, r) or r[0] <= cue.token.idx < r[1] for r in direct_ranges):
            continue
        quotes.append(_quote_from_cue(cue, doc, False, _before_inner_cue(cue, cues, text)))
    quotes += _according_to(doc, [(q.start, q.end) for q in quotes])
    quotes += _said_nouns(doc, [(q.speaker_start, q.speaker_end) for q in quotes])
    return RuleQuotes(quotes, spans, inherited)


def _before_inner_cue(cue: _Cue, cues: list[_Cue], text: str) -> tuple[int, int]:
    """ "X said A, saying B": A and B are two reports by X, so A stops before "saying"."""
    start, end = cue.content
    for other in cues:
        if other.speaker != cue.speaker or other is cue or not start < other.token.idx < end:
            continue
        if other.token.dep_ in ("advcl", "conj"):  # not "plans to call on": one report
            end = min(end, other.token.left_edge.idx)
    while end > start and text[end - 1] in _EDGE_PUNCT:
        end -= 1
    return start, end


# --- quotation marks -------------------------------------------------------------------


def _quote_spans(text: str, doc: Doc) -> list[_Span]:
    """Pair quotation marks per paragraph; an unclosed quote runs to the paragraph end when
    the next paragraph reopens one (news convention), else to the end of its sentence.
    Two apostrophes ('') count as a straight double mark (NYT archive style)."""
    out: list[_Span] = []
    paragraphs = [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", text)]
    pending = False
    for pi, (ps, pe) in enumerate(paragraphs):
        opened, width = -1, 1
        for i, w in _marks(text, ps, pe):
            ch = text[i]
            if opened < 0 and (ch == _OPEN or w == 2 or _opens(text, i, ps)):
                opened, width = i, w
            elif opened >= 0 and ch != _OPEN:
                out.append(_Span(opened, i + w, opened + width, i, pending and opened == ps))
                pending = False
                opened = -1
        if opened < 0:
            pending = False
            continue
        nxt = paragraphs[pi + 1][0] if pi + 1 < len(paragraphs) else -1
        continued = nxt >= 0 and (text[nxt] in (_OPEN, '"') or text.startswith("''", nxt))
        end = pe if continued else _sentence_end(doc, opened, pe)
        out.append(_Span(opened, end, opened + width, end, pending and opened == ps, continued))
        pending = continued
    return [s for s in out if len(text[s.inner_start : s.inner_end].split()) >= 3]


def _marks(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Positions and widths of double quotation marks in text[start:end]."""
    out = []
    for m in re.finditer(r"''|[\"“”]", text[start:end]):
        i = start + m.start()
        if m.group() == '"' and _inword(text, i):
            continue
        out.append((i, len(m.group())))
    return out


def _opens(text: str, i: int, para_start: int) -> bool:
    """A straight or misprinted closing mark opens a quote at a paragraph or word start."""
    return text[i] in "\"'" or i == para_start or not text[i - 1].isalnum()


def _inword(text: str, i: int) -> bool:
    return 0 < i < len(text) - 1 and text[i - 1].isalnum() and text[i + 1].isalnum()


def _sentence_end(doc: Doc, offset: int, limit: int) -> int:
    sent = _token_at(doc, offset).sent
    # A lone opening mark often makes the parser glue the sentence to the next one.
    end = sent.end_char
    for tok in sent:
        if tok.idx > offset + 1 and tok.text in {".", "!", "?"}:
            end = tok.idx + 1
            break
    return min(end, limit)


# --- cues ------------------------------------------------------------------------------


def _is_cue(tok: Token) -> bool:
    return tok.tag_.startswith("VB") and (tok.lower_ in CUE_FORMS or tok.lower_ in STANCE_FORMS)


def _stance(tok: Token) -> bool:
    """A stance verb, or a reporting verb, used without a reported clause ("attacked
    Machado", "warned states to …", "responded with attacks")."""
    lemma = STANCE_FORMS.get(tok.lower_) or CUE_FORMS.get(tok.lower_, "")
    if not lemma or lemma in _NO_STANCE or any(c.dep_ == "ccomp" for c in tok.children):
        return False
    return lemma != "tell" or any(c.dep_ == "xcomp" for c in tok.children)


def _cue_of(tok: Token) -> _Cue | None:
    subj = _subject(tok)
    content = _content(tok) if tok.lower_ in CUE_FORMS else _clause(tok)
    kind = "speech" if tok.lower_ in CUE_FORMS else "stance"
    if content is None and _stance(tok):
        if subj is None or subj.lower_ in _NO_SOURCE or subj.pos_ not in _AGENTS:
            return None
        content, kind = _stance_content(tok), "stance"
    named = _name_after_quote(tok) if kind == "speech" else None
    if subj is None and content is None and named is None:
        return None
    speaker, head = (-1, -1), -1
    if named is not None and (subj is None or not named.start <= subj.i < named.end):
        speaker, head = (named.start_char, named.end_char), named.root.i
    elif subj is not None:
        speaker, head = _np_span(subj, tok), subj.i
    if content is not None and speaker[0] >= content[1]:
        content = (_clause_start(tok, content[0]), content[1])
    if content is not None:
        content = _in_paragraph(_text(tok.doc), tok.idx, content)
    return _Cue(tok, speaker, content or (-1, -1), head, kind)


def _in_paragraph(text: str, at: int, span: tuple[int, int]) -> tuple[int, int] | None:
    """The part of a cue's content in the cue's own paragraph: the parser sometimes glues a
    paragraph to the next ("... after 6 p.m.\n\n"The roof collapsed," he told ..."), and the
    sentence before is no one's words. None when nothing of it is left."""
    before = text.rfind("\n\n", 0, at)
    start = max(span[0], before + 2 if before >= 0 else 0)
    stop = text.find("\n\n", at)
    end = min(span[1], stop) if stop >= 0 else span[1]
    while start < end and text[start].isspace():
        start += 1
    return (start, end) if end - start > 1 else None


def _name_after_quote(tok: Token) -> Span | None:
    """ "“…,” Tulsa police Chief Chuck Jordan said": the words between a closing quotation
    mark and a reporting verb, when the parser found the verb no subject there (it read
    "Tulsa" as a verb and gave "said" the subject of the quotation)."""
    doc = tok.doc
    j = tok.i - 1  # back over the name and its apposition ("Flynn, a top surrogate,")
    while j >= 0 and tok.i - j <= 16 and not (doc[j].is_quote or doc[j].text in ".!?;:"):
        if "\n" in doc[j].whitespace_:
            return None
        j -= 1
    words = doc[j + 1 : tok.i]
    while words and words[-1].is_punct:
        words = words[:-1]
    if j < 1 or not words or doc[j].text not in {_CLOSE, '"', "''"}:
        return None
    if doc[j - 1].text not in {",", "?", "!"} or not words[0].text[:1].isupper():
        return None
    return words if any(t.pos_ in {"PROPN", "NOUN"} for t in words) else None


def _clause_start(tok: Token, start: int) -> int:
    """ "A, but B, X said": the content is everything before the speaker in its sentence
    (the parser often hangs only B on the cue), not reaching back past a paragraph."""
    sent = tok.sent
    text = _text(tok.doc)
    begin = max(sent.start_char, text.rfind("\n", 0, start) + 1)
    while begin < start and not (text[begin].isalnum() or text[begin] in "“\"'"):
        begin += 1
    return begin


def _subject(tok: Token) -> Token | None:
    """The verb's subject; a participle or conjunct ("…, adding that") borrows its head's."""
    cur: Token | None = tok
    if tok.dep_ == "advcl" and tok.tag_ == "VBG" and tok.i > 0 and tok.doc[tok.i - 1].text == ",":
        cur = tok.sent.root  # a trailing ", saying …" belongs to the main clause's subject
    for _ in range(3):
        if cur is None:
            return None
        subjects = [c for c in cur.children if c.dep_ in _SUBJ and c.tag_ != "EX"]
        if subjects:  # two only in a misparse ("“One of the best,” Rep. X said"): the nearer
            return min(subjects, key=lambda c: abs(c.i - tok.i))
        if cur.dep_ == "acl" and cur.tag_ == "VBG" and cur.head.pos_ in {"NOUN", "PROPN", "PRON"}:
            return cur.head  # "a video of Trump saying …"
        if cur.dep_ in {"advcl", "conj", "xcomp"} and cur.head is not cur:
            cur = cur.head
        else:
            return None
    return None


def _stance_content(tok: Token) -> tuple[int, int] | None:
    """What a stance verb is about: its object, infinitive or prepositional object."""
    parts = [c for c in tok.children if c.dep_ in _STANCE_DEPS and c.i > tok.i]
    if not parts:
        return None
    return _trim(tok.doc, parts[0].left_edge.i, parts[-1].right_edge.i, None)


def _clause(tok: Token) -> tuple[int, int] | None:
    """A stance verb's reported clause ("hopes that …"), if it has one."""
    for child in tok.children:
        if child.dep_ == "ccomp":
            return _trim(tok.doc, child.left_edge.i, child.right_edge.i, None)
    return None


def _content(tok: Token) -> tuple[int, int] | None:
    """The reported clause: a clausal complement, or the clause a parenthetical "he said"
    hangs from."""
    for child in tok.children:
        if child.dep_ == "ccomp" and child.i != tok.i:
            return _trim(tok.doc, child.left_edge.i, child.right_edge.i, None)
    lemma = CUE_FORMS.get(tok.lower_, "")
    objects = [c for c in tok.children if c.dep_ in _OBJECT_DEPS.get(lemma, ())]
    if objects and objects[0].tag_ in {"WP", "WDT"}:
        return None  # "what he called “…”" names, it does not report
    if objects and (lemma != "call" or any(c.dep_ == "oprd" for c in objects)):
        return _trim(tok.doc, objects[0].left_edge.i, objects[-1].right_edge.i, None)
    if tok.dep_ == "parataxis" and tok.head is not tok:
        head = tok.head
        return _trim(tok.doc, head.left_edge.i, head.right_edge.i, tok)
    return None


def _trim(doc: Doc, left: int, right: int, cue: Token | None) -> tuple[int, int] | None:
    """Clause bounds without the cue's own clause (when inside it) and edge punctuation."""
    if cue is not None:
        cue_l, cue_r = cue.left_edge.i, cue.right_edge.i
        # keep the larger side of the clause around the cue
        before, after = (left, cue_l - 1), (cue_r + 1, right)
        left, right = before if before[1] - before[0] >= after[1] - after[0] else after
    while left <= right and (doc[left].is_punct or doc[left].is_space):
        left += 1
    while right >= left and (
        doc[right].is_space or (doc[right].is_punct and doc[right].text not in {_CLOSE, '"'})
    ):
        right -= 1
    if right - left < 1:
        return None
    start, end = doc[left].idx, doc[right].idx + len(doc[right])
    if _text(doc)[end : end + 1] == _CLOSE and _text(doc).count(_OPEN, start, end) > _text(
        doc
    ).count(_CLOSE, start, end):
        end += 1  # keep the closing mark of a quoted phrase the parser hung elsewhere
    return start, end


def _np_span(tok: Token, cue: Token | None = None) -> tuple[int, int]:
    """The subject phrase as PolNeAR/PARC mark it: the whole noun phrase with appositions,
    parentheticals and relative clauses that say who the source is, but not a trailing
    participle ("Trump, speaking to …"), a time phrase or an aside (`_aside`), and never
    reaching back past a paragraph break."""
    doc = tok.doc
    left, right = tok.left_edge.i, tok.right_edge.i
    for child in tok.rights:
        if child.dep_ in {"acl", "advcl"} and child.tag_ == "VBG" and doc[child.i - 1].text == ",":
            right = child.i - 1
            break
        if _when(child) or _aside(child):  # "Trump on Friday", "X, who campaigned for …"
            right = child.left_edge.i - 1  # "Trump this week": not "Trump this"
            break
    for child in tok.lefts:  # "the election, Minyon Moore", "predictable - Donald J. Trump"
        if tok.pos_ != "PROPN" or child.dep_ in _NAME_PARTS or child.pos_ == "PROPN":
            continue
        seps = [i for i in range(child.right_edge.i, tok.i) if doc[i].text in _SEPARATORS]
        if seps and any(doc[i].is_lower for i in range(child.left_edge.i, seps[-1])):
            left = max(left, seps[-1] + 1)
    dateline = _DATELINE.match(_text(doc), doc[left].idx)
    if dateline is not None and (
        left == 0 or "\n" in doc[left - 1].whitespace_ + doc[left - 1].text
    ):
        after = _token_at(doc, dateline.end()).i  # "WASHINGTON (AFP) - Officials said"
        after += doc[after].idx < dateline.end()
        if tok.idx < dateline.end() and cue is not None and after < cue.i:
            right = cue.i - 1  # the parser made the dateline the subject
        left = max(left, min(after, right))
    if cue is not None and tok.i < cue.i <= right:
        if cue.left_edge.i > tok.i:
            right = cue.left_edge.i - 1
        else:  # words after the cue hung on the subject: keep its parts before the cue
            right = max([tok.i, *(c.right_edge.i for c in tok.rights if c.right_edge.i < cue.i)])
    for i in range(tok.i - 1, left - 1, -1):
        if "\n" in doc[i].text or "\n" in doc[i].whitespace_:
            left = i + 1
            break
    if cue is not None and tok.i < cue.i:
        breaks = [i for i in range(tok.i, cue.i) if "\n" in doc[i].text + doc[i].whitespace_]
        if breaks:  # the parser glued a dateline or headline onto the subject
            left, right = breaks[-1] + 1, cue.i - 1
            while right > left and doc[right].dep_ in {"aux", "neg", "advmod", "punct"}:
                right -= 1
    while (
        right > left
        and (doc[right].is_punct or doc[right].is_space)
        and not _closes(doc, left, right)
    ):
        right -= 1
    while left < right and (doc[left].is_punct or doc[left].is_space):
        left += 1
    return doc[left].idx, doc[right].idx + len(doc[right])


def _aside(tok: Token) -> bool:
    """A clause or phrase after a comma that says what a source did or who else is meant
    (", who campaigned for Trump", ", like Obama"), not who it is (", who heads the
    agency"): PolNeAR leaves it out of the source, often as an attribution of its own."""
    if tok.left_edge.i == 0 or tok.doc[tok.left_edge.i - 1].text != ",":
        return False
    if tok.dep_ == "relcl":
        return tok.lower_ not in _DESCRIBING
    return tok.dep_ == "prep" and tok.lower_ in {"like", "unlike", "including"}


def _closes(doc: Doc, left: int, right: int) -> bool:
    """A closing bracket that pairs one inside the phrase ("Sen. Lindsey Graham (R-S.C.)")."""
    if doc[right].text != ")":
        return False
    return sum(t.text == "(" for t in doc[left:right]) > sum(t.text == ")" for t in doc[left:right])


def _when(tok: Token) -> bool:
    """A time phrase hung on a speaker: "on Friday", "in 2001", "last week"."""
    if tok.dep_ == "prep" and tok.lower_ in {"on", "in", "at", "during", "last", "this"}:
        return any(c.ent_type_ in {"DATE", "TIME"} for c in tok.subtree if c is not tok)
    return tok.dep_ == "npadvmod" and tok.ent_type_ in {"DATE", "TIME"}


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _inside_content(span: _Span, cues: list[_Cue]) -> bool:
    """A quoted phrase inside a larger reported clause ("said it was “deeply …”") is
    part of that indirect quote, not a quote of its own."""
    for cue in cues:
        cs, ce = cue.content
        if cs < 0 or cue.speaker[0] < 0:
            continue
        if cs <= span.start and span.end <= ce + 3 and (span.start - cs > 3 or ce - span.end > 3):
            return True
    return False


# --- direct quotes ---------------------------------------------------------------------


def _direct(
    span: _Span, doc: Doc, cues: list[_Cue], used: set[int], last: Quote | None
) -> Quote | None:
    """Attribute one quotation: a cue in its own sentences, else a neighbour sentence, else
    the previous speaker when the paragraph is only the quote."""
    content = (span.inner_start, span.inner_end)
    byline = _DASH_SPEAKER.match(_text(doc), span.end)
    if byline is not None:
        ss, se = byline.span(2)
        said = _text(doc)[content[0] : content[1]]
        return Quote(
            said, _text(doc)[ss:se], content[0], content[1], -1, True, byline.group(1), ss, se,
            cue_start=byline.start(1),
        )  # fmt: skip
    cue = _cue_near(span, doc, cues)
    if cue is None and not span.continues:
        cue = _cue_neighbour(span, doc, cues, used)
    if cue is not None:
        if cue.content[0] < 0 or _overlaps(cue.content, (span.start, span.end)):
            used.add(cue.token.i)
        return _quote_from_cue(cue, doc, True, content)
    if last is not None and (span.continues or _alone(span, doc)):
        return _implicit(doc, span, last)
    if last is not None and last.speaker_start >= 0 and _same_paragraph(_text(doc), last, span):
        # “…,” he said. “More.” — the second part is the same attribution
        return dataclasses.replace(
            _implicit(doc, span, last),
            speaker_start=last.speaker_start,
            speaker_end=last.speaker_end,
        )
    return None


def _same_paragraph(text: str, last: Quote, span: _Span) -> bool:
    return last.end <= span.start and "\n" not in text[last.end : span.start]


def _implicit(doc: Doc, span: _Span, source: Quote) -> Quote:
    """A quotation whose speaker is given elsewhere (the paragraph before or after)."""
    return Quote(
        text=_text(doc)[span.inner_start : span.inner_end],
        speaker=source.speaker,
        start=span.inner_start,
        end=span.inner_end,
        sentence=-1,
        direct=True,
        cue=source.cue,
        cue_start=source.cue_start,
    )


def _words_at(doc: Doc, words: frozenset[str]) -> list[Token]:
    """The tokens of the doc that are one of `words` (lower case): a scan of the text finds
    the few candidates faster than walking every token of the doc."""
    return [
        _token_at(doc, m.start()) for m in _WORD.finditer(_text(doc)) if m.group().lower() in words
    ]


def _token_at(doc: Doc, offset: int) -> Token:
    """The token at or just before char `offset`."""
    starts = doc.user_data.get(_STARTS)
    if starts is None:
        starts = doc.user_data[_STARTS] = [t.idx for t in doc]
    i = bisect.bisect_right(starts, offset) - 1
    return doc[max(i, 0)]


def _text(doc: Doc) -> str:
    return doc_text(doc)


def _sents(span: _Span, doc: Doc) -> list[Span]:
    out: list[Span] = []
    for offset in (span.start, min(span.end, len(_text(doc)) - 1)):
        sent = _token_at(doc, offset).sent
        if sent not in out:
            out.append(sent)
    return out


def _cue_near(span: _Span, doc: Doc, cues: list[_Cue]) -> _Cue | None:
    """The cue in the quote's first/last sentence, outside the quote: the one governing
    the quote, else the nearest with a speaker."""
    best: tuple[int, _Cue] | None = None
    for sent in _sents(span, doc):
        for cue in cues:
            idx = cue.token.idx
            if not sent.start_char <= idx < sent.end_char or span.start <= idx < span.end:
                continue
            if cue.speaker[0] < 0 or _clause_only(cue, span):
                continue
            if _overlaps(cue.speaker, (span.start, span.end)):
                clipped = _clip_speaker(cue, span, _text(doc))
                if clipped is None:
                    continue
                cue = clipped
            dist = span.start - idx if idx < span.start else idx - span.end
            if cue.content[0] >= 0 and _overlaps(cue.content, (span.start, span.end)):
                dist -= 10_000
            if best is None or dist < best[0]:
                best = (dist, cue)
    return best[1] if best else None


def _clip_speaker(cue: _Cue, span: _Span, text: str) -> _Cue | None:
    """A misparse can root the subject inside the quote ("…the harvest,” a farmer said"):
    keep the part after the closing mark when the cue follows the quote."""
    if cue.speaker[1] <= span.end or cue.token.idx < span.end:
        return None
    start = span.end
    while start < cue.speaker[1] and not text[start].isalnum():
        start += 1
    if start >= cue.speaker[1]:
        return None
    return dataclasses.replace(cue, speaker=(start, cue.speaker[1]))


def _clause_only(cue: _Cue, span: _Span) -> bool:
    lemma = CUE_FORMS.get(cue.token.lower_, "")
    if lemma and lemma not in _CLAUSE_ONLY:
        return False
    return cue.content[0] < 0 or not _overlaps(cue.content, (span.start, span.end))


def _cue_neighbour(span: _Span, doc: Doc, cues: list[_Cue], used: set[int]) -> _Cue | None:
    """`X said:` ending the previous sentence, or a bare `he said.` right after the quote."""
    text = _text(doc)
    before = text[: span.start].rstrip()
    for cue in reversed(cues):
        if cue.token.i in used or cue.speaker[0] < 0:
            continue
        if (
            before.endswith(":")
            and cue.token.idx < span.start
            and "\n" not in text[cue.token.idx : span.start].strip("\n")
        ):
            return cue
    para_end = text.find("\n", span.end)
    para_end = len(text) if para_end < 0 else para_end
    for cue in cues:
        if cue.token.i in used or cue.speaker[0] < 0 or cue.token.idx < span.end:
            continue
        if cue.token.idx >= para_end:
            break
        gap = text[span.end : cue.speaker[0]]
        if len(gap.split()) <= 1 and cue.content[0] < 0:
            return cue
        sent = cue.token.sent
        if _alone_sentence(span, doc) and sent.start_char <= cue.speaker[0] <= sent.start_char + 1:
            return cue
        break
    return None


def _alone_sentence(span: _Span, doc: Doc) -> bool:
    """True when the quotation is a whole sentence (nothing but the quote before it)."""
    text = _text(doc)
    ps = text.rfind("\n", 0, span.start) + 1
    return not text[ps : span.start].strip()


def _alone(span: _Span, doc: Doc) -> bool:
    """True when the quotation fills its whole paragraph."""
    text = _text(doc)
    ps = text.rfind("\n", 0, span.start) + 1
    pe = text.find("\n", span.end)
    pe = len(text) if pe < 0 else pe
    return not text[ps : span.start].strip() and not text[span.end : pe].strip(' .,"”')


def _quote_from_cue(cue: _Cue, doc: Doc, direct: bool, content: tuple[int, int]) -> Quote:
    s, e = cue.speaker
    return Quote(
        text=_text(doc)[content[0] : content[1]],
        speaker=_text(doc)[s:e] if s >= 0 else "",
        start=content[0],
        end=content[1],
        sentence=-1,
        direct=direct,
        cue=cue.token.text,
        speaker_start=s,
        speaker_end=e,
        kind="speech" if direct else cue.kind,
        cue_start=cue.token.idx,
    )


# --- other patterns --------------------------------------------------------------------


def _colon_quotes(text: str, mentions: list[Mention]) -> list[Quote]:
    """Transcript and headline style: a paragraph opening with `NAME: …` where NAME is in
    capitals (transcripts) or a person/organisation name."""
    out: list[Quote] = []
    names = {(m.start, m.end) for m in mentions if m.label in {"PERSON", "ORG", "NORP"}}
    for m in re.finditer(r"[^\n]+", text):
        para = m.group(0)
        hit = _COLON_SPEAKER.match(para)
        if hit is None or len(para) - hit.end() < 15:
            continue
        ss = m.start() + hit.start(1)
        se = ss + len(hit.group(1).rstrip())
        if not text[ss:se].isupper() and (ss, se) not in names and " " in text[ss:se]:
            continue
        if text[ss:se].lower() in _NOTICES:
            continue  # "Correction: An earlier version …" is the paper's note, no speaker
        cs = m.start() + hit.end()
        ce = m.end()
        while ce > cs and text[ce - 1] in ' "”':
            ce -= 1
        colon = m.start() + hit.end(1)
        out.append(Quote(text[cs:ce], text[ss:se], cs, ce, -1, True, ":", ss, se, cue_start=colon))
    return out


def _according_to(doc: Doc, taken: list[tuple[int, int]]) -> list[Quote]:
    """`according to X, …`: X is the speaker, the rest of the sentence the content."""
    out: list[Quote] = []
    for tok in _words_at(doc, _ACCORDING):
        if tok.lower_ != "according" or tok.i + 2 >= len(doc) or doc[tok.i + 1].lower_ != "to":
            continue
        objs = [c for c in doc[tok.i + 1].children if c.dep_ == "pobj"]
        if not objs:
            continue
        s, e = _np_span(objs[0])
        sent = tok.sent
        phrase_l, phrase_r = tok.i, objs[0].right_edge.i
        if phrase_l - sent.start > sent.end - 1 - phrase_r:
            left, right = sent.start, phrase_l - 1
        else:
            left, right = phrase_r + 1, sent.end - 1
        while left <= right and (doc[left].is_punct or doc[left].is_space):
            left += 1
        while right >= left and (doc[right].is_punct or doc[right].is_space):
            right -= 1
        if right - left < 2:
            continue
        cs, ce = doc[left].idx, doc[right].idx + len(doc[right])
        if any(_overlaps((cs, ce), t) for t in taken):
            continue
        text = _text(doc)
        out.append(Quote(text[cs:ce], text[s:e], cs, ce, -1, False, "according to", s, e,
                         cue_start=tok.idx))  # fmt: skip
    return out


def _said_nouns(doc: Doc, taken: list[tuple[int, int]]) -> list[Quote]:
    """ "Trump's claim that …", "his remarks on …": the possessor is the source of what the
    noun says (its clause or prepositional object)."""
    out: list[Quote] = []
    text = _text(doc)
    for tok in _words_at(doc, _SAID_NOUN):
        if tok.pos_ != "NOUN" or tok.lower_ not in _SAID_NOUNS:
            continue
        owner = next((c for c in tok.children if c.dep_ == "poss"), None)
        parts = [c for c in tok.children if c.dep_ in {"acl", "ccomp", "prep"} and c.i > tok.i]
        if owner is None or not parts or owner.lower_ in _NO_SOURCE:
            continue
        end = owner.idx + len(owner)
        case = next((c for c in owner.children if c.dep_ == "case"), None)
        if case is not None:
            end = case.idx + len(case)  # the gold source keeps the "'s"
        speaker = (owner.left_edge.idx, end)
        content = _trim(doc, parts[0].left_edge.i, parts[-1].right_edge.i, None)
        if content is None or any(_overlaps(speaker, t) for t in taken):
            continue
        cs, ce = content
        out.append(
            Quote(text[cs:ce], text[speaker[0] : speaker[1]], cs, ce, -1, False, tok.text,
                  speaker[0], speaker[1], kind="stance", cue_start=tok.idx)
        )  # fmt: skip
    return out


# --- speaker resolution ----------------------------------------------------------------


def _resolve(quotes: list[Quote], doc: Doc, mentions: list[Mention], spans: list[_Span]) -> None:
    """Turn speaker spans into names: he/she -> the last named speaker of that gender (else
    the last person of that gender), surname -> full name, title + name -> the name (the
    title kept in `Quote.title`); descriptions stay as written."""
    inside = [(s.start, s.end) for s in spans]
    persons = [
        m
        for m in sorted(mentions, key=lambda m: m.start)
        if m.label == "PERSON" and not any(a <= m.start < b for a, b in inside)
    ]
    names = [_full_name(p.norm or p.text, persons) for p in persons]  # once an article
    genders = _genders(doc, persons, names)
    speakers: list[tuple[int, str]] = []  # (offset, name) of speakers named so far
    for q in quotes:
        if q.speaker_start < 0:
            continue
        written = _text(doc)[q.speaker_start : q.speaker_end]
        if written.lower() in _PERSON_PRONOUNS:
            q.speaker = _pronoun_name(
                written.lower(), q.speaker_start, persons, names, genders, speakers
            )
            continue
        q.speaker = _name_for(q, doc, mentions, persons)
        q.title = _title(doc, q.speaker_start, q.speaker_end)
        if q.speaker != written or any(p.start >= q.speaker_start for p in persons):
            speakers.append((q.speaker_start, q.speaker))


def _genders(doc: Doc, persons: list[Mention], names: list[str]) -> dict[str, str]:
    """ "m" or "f" per full name (`names[i]` is `persons[i]`'s), by title ("Mrs. Clinton")
    and by the he/she that follows a mention before another person is named."""
    votes: dict[str, Counter[str]] = {}
    text = _text(doc)
    for m, name in zip(persons, names, strict=True):
        before = text[max(0, m.start - 12) : m.start].lower().replace(".", "").split()
        word = before[-1] if before else ""
        sex = "m" if word in _MALE_TITLES else "f" if word in _FEMALE_TITLES else ""
        if sex:
            votes.setdefault(name, Counter())[sex] += 2
    starts = [p.start for p in persons]
    for tok in _words_at(doc, _GENDERED):
        sex = "m" if tok.lower_ in _MALE else "f" if tok.lower_ in _FEMALE else ""
        i = bisect.bisect_left(starts, tok.idx) - 1
        if not sex or i < 0 or tok.idx - persons[i].end > _PRONOUN_REACH:
            continue
        votes.setdefault(names[i], Counter())[sex] += 1
    return {name: count.most_common(1)[0][0] for name, count in votes.items()}


def _pronoun_name(
    pronoun: str,
    offset: int,
    persons: list[Mention],
    names: list[str],
    genders: dict[str, str],
    speakers: list[tuple[int, str]],
) -> str:
    """Who "he"/"she" is: the last speaker named before it of that gender or of none known
    (a person: "Rear Adm. John Mauger said …. “…,” he said" is Mauger's, not that of the
    man named last), else the last person mentioned of that gender, else the last person.
    `names[i]` is `persons[i]`'s full name, worked out once per article."""
    sex = "f" if pronoun in _FEMALE else "m"
    people = set(names)
    for _, name in reversed([s for s in speakers if s[0] < offset]):
        if genders.get(name) == sex or (name not in genders and name in people):
            return name
    before = [name for p, name in zip(persons, names, strict=True) if p.end <= offset]
    same = [name for name in before if genders.get(name) == sex]
    unknown = [name for name in before if name not in genders]
    pick = same or unknown or before
    return pick[-1] if pick else pronoun


def _title(doc: Doc, start: int, end: int) -> str:
    """The title written before a speaker's name ("Mr.", "Mayor", "Sen."), if any."""
    words = _text(doc)[start:end].split()
    titles = []
    for word in words[:-1]:
        if word.lower().rstrip(".,") not in _TITLES:
            break
        titles.append(word.rstrip(","))
    return " ".join(titles)


def _name_for(q: Quote, doc: Doc, mentions: list[Mention], persons: list[Mention]) -> str:
    written = _text(doc)[q.speaker_start : q.speaker_end]
    low = written.lower()
    if low in _THING_PRONOUNS:
        orgs = [m for m in mentions if m.label == "ORG" and m.end <= q.speaker_start]
        return (orgs[-1].norm or orgs[-1].text) if orgs else written
    if low in _RELATIVE:
        antecedent = _antecedent(doc, q.speaker_start)
        if antecedent is None:
            return written
        q = dataclasses.replace(q, speaker_start=antecedent[0], speaker_end=antecedent[1])
        written = _text(doc)[antecedent[0] : antecedent[1]]
    core = _core(doc, q.speaker_start, q.speaker_end)
    inner = [m for m in mentions if core[0] <= m.start and m.end <= core[1]]
    people = [m for m in inner if m.label == "PERSON"]
    if people:
        return _full_name(people[-1].norm or people[-1].text, persons)
    words = _text(doc)[core[0] : core[1]].split()
    tail = words[-1] if words else ""
    if tail[:1].isupper() and _full_name(tail, persons) != tail:
        return _full_name(tail, persons)  # a surname the NER missed: "Price added"
    named = [m for m in inner if m.label in {"ORG", "NORP", "GPE"} and m.end == core[1]]
    return (named[-1].norm or named[-1].text) if named else written


def _antecedent(doc: Doc, offset: int) -> tuple[int, int] | None:
    """The noun phrase a relative pronoun ("…, who said") stands for, up to its head."""
    tok = _token_at(doc, offset)
    if tok.head.dep_ != "relcl":
        return None
    noun = tok.head.head
    return noun.left_edge.idx, noun.idx + len(noun)


def _core(doc: Doc, start: int, end: int) -> tuple[int, int]:
    """The speaker phrase up to its head noun (drops relative clauses and appositions)."""
    head = doc[_token_at(doc, start).i : _token_at(doc, end - 1).i + 1].root
    right = head.i
    for child in head.children:
        if child.i > head.i and child.dep_ in {"compound", "flat", "appos"}:
            right = max(right, child.right_edge.i)
    return start, min(end, doc[right].idx + len(doc[right]))


def _full_name(name: str, persons: list[Mention]) -> str:
    """A lone surname gets the fullest person name in the article ending with it; a lone
    first name ("Greg") the one full name it begins, if only one person has it."""
    if " " in name:
        return name
    # In text order (not a set's, which varies between processes): ties go to the first named.
    full = list(dict.fromkeys(p.norm or p.text for p in persons if " " in (p.norm or p.text)))
    longer = [f for f in full if f.split()[-1] == name]
    if longer:
        return max(longer, key=len)
    first = [f for f in full if f.split()[0] == name]
    return first[0] if len(first) == 1 else name
