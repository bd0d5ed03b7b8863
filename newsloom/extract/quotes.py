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
from dataclasses import dataclass

from spacy.tokens import Doc, Span, Token

from newsloom.models import Article, Mention, Quote

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
    "assure remark repeat continue counter fear hope worry show question demand learn "
    "cite mention call"
)
_REGULAR = _REGULAR_WORDS.split()


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
# Verbs that report speech only with a clause ("X hopes that …"), never with a bare quote.
_CLAUSE_ONLY = {
    "believe",
    "think",
    "hope",
    "fear",
    "worry",
    "find",
    "continue",
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
_PERSON_PRONOUNS = {"he", "she", "him", "her"}
_THING_PRONOUNS = {"it"}
_RELATIVE = {"who", "which", "that"}
_SUBJ = {"nsubj", "nsubjpass"}
_EDGE_PUNCT = " \t\n,;:—–-"
_DASH_SPEAKER = re.compile(r"[^\S\n]*([―—–]|--)[^\S\n]*([A-Z][^\n]{1,60}?)(?:[^\S\n]|\.)*(?=\n|$)")
_COLON_SPEAKER = re.compile(r"^[\"“]?((?:[A-Z][\w.'’-]*\s?){1,4}):\s")


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


def find_quotes(article: Article, doc: Doc, mentions: list[Mention]) -> list[Quote]:
    """All direct and indirect quotes in `article`, in text order."""
    text = article.text
    spans = _quote_spans(text, doc)
    cues = [c for c in (_cue_of(tok) for tok in doc if _is_cue(tok)) if c is not None]
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
    quotes.sort(key=lambda q: q.start)
    _resolve(quotes, doc, mentions, spans)
    for q in quotes:
        if id(q) in inherited:
            q.speaker = inherited[id(q)].speaker
        q.sentence = article.sentence_at(q.start)
    return quotes


def _before_inner_cue(cue: _Cue, cues: list[_Cue], text: str) -> tuple[int, int]:
    """ "X said A, saying B": A and B are two reports by X, so A stops before "saying"."""
    start, end = cue.content
    for other in cues:
        if other.speaker == cue.speaker and start < other.token.idx < end and other is not cue:
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
    return tok.tag_.startswith("VB") and tok.lower_ in CUE_FORMS


def _cue_of(tok: Token) -> _Cue | None:
    subj = _subject(tok)
    content = _content(tok)
    if subj is None and content is None:
        return None
    speaker = _np_span(subj, tok) if subj is not None else (-1, -1)
    if content is not None and speaker[0] >= content[1]:
        content = (_clause_start(tok, content[0]), content[1])
    return _Cue(tok, speaker, content or (-1, -1), subj.i if subj is not None else -1)


def _clause_start(tok: Token, start: int) -> int:
    """ "A, but B, X said": the content is everything before the speaker in its sentence
    (the parser often hangs only B on the cue), not reaching back past a paragraph."""
    sent = tok.sent
    text = tok.doc.text
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
        for child in cur.children:
            if child.dep_ in _SUBJ and child.tag_ != "EX":
                return child
        if cur.dep_ == "acl" and cur.tag_ == "VBG" and cur.head.pos_ in {"NOUN", "PROPN", "PRON"}:
            return cur.head  # "a video of Trump saying …"
        if cur.dep_ in {"advcl", "conj", "xcomp"} and cur.head is not cur:
            cur = cur.head
        else:
            return None
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
    if doc.text[end : end + 1] == _CLOSE and doc.text.count(_OPEN, start, end) > doc.text.count(
        _CLOSE, start, end
    ):
        end += 1  # keep the closing mark of a quoted phrase the parser hung elsewhere
    return start, end


def _np_span(tok: Token, cue: Token | None = None) -> tuple[int, int]:
    """The subject phrase as PolNeAR/PARC mark it: the whole noun phrase with appositions,
    parentheticals and relative clauses, but not a trailing participle ("Trump, speaking
    to …") and never reaching back past a paragraph break."""
    doc = tok.doc
    left, right = tok.left_edge.i, tok.right_edge.i
    for child in tok.rights:
        if child.dep_ in {"acl", "advcl"} and child.tag_ == "VBG" and doc[child.i - 1].text == ",":
            right = child.i - 1
            break
    if cue is not None and tok.i < cue.i <= right:
        right = cue.left_edge.i - 1 if cue.left_edge.i > tok.i else tok.i
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
    while right > left and (doc[right].is_punct or doc[right].is_space):
        right -= 1
    while left < right and (doc[left].is_punct or doc[left].is_space):
        left += 1
    return doc[left].idx, doc[right].idx + len(doc[right])


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
    byline = _DASH_SPEAKER.match(doc.text, span.end)
    if byline is not None:
        ss, se = byline.span(2)
        said = doc.text[content[0] : content[1]]
        return Quote(
            said, doc.text[ss:se], content[0], content[1], -1, True, byline.group(1), ss, se
        )
    cue = _cue_near(span, doc, cues)
    if cue is None and not span.continues:
        cue = _cue_neighbour(span, doc, cues, used)
    if cue is not None:
        if cue.content[0] < 0 or _overlaps(cue.content, (span.start, span.end)):
            used.add(cue.token.i)
        return _quote_from_cue(cue, doc, True, content)
    if last is not None and (span.continues or _alone(span, doc)):
        return _implicit(doc, span, last)
    if last is not None and last.speaker_start >= 0 and _same_paragraph(doc.text, last, span):
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
        text=doc.text[span.inner_start : span.inner_end],
        speaker=source.speaker,
        start=span.inner_start,
        end=span.inner_end,
        sentence=-1,
        direct=True,
        cue=source.cue,
    )


def _token_at(doc: Doc, offset: int) -> Token:
    """The token at or just before char `offset`."""
    i = bisect.bisect_right([t.idx for t in doc], offset) - 1
    return doc[max(i, 0)]


def _sents(span: _Span, doc: Doc) -> list[Span]:
    out: list[Span] = []
    for offset in (span.start, min(span.end, len(doc.text) - 1)):
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
                clipped = _clip_speaker(cue, span, doc.text)
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
    text = doc.text
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
    text = doc.text
    ps = text.rfind("\n", 0, span.start) + 1
    return not text[ps : span.start].strip()


def _alone(span: _Span, doc: Doc) -> bool:
    """True when the quotation fills its whole paragraph."""
    text = doc.text
    ps = text.rfind("\n", 0, span.start) + 1
    pe = text.find("\n", span.end)
    pe = len(text) if pe < 0 else pe
    return not text[ps : span.start].strip() and not text[span.end : pe].strip(' .,"”')


def _quote_from_cue(cue: _Cue, doc: Doc, direct: bool, content: tuple[int, int]) -> Quote:
    s, e = cue.speaker
    return Quote(
        text=doc.text[content[0] : content[1]],
        speaker=doc.text[s:e] if s >= 0 else "",
        start=content[0],
        end=content[1],
        sentence=-1,
        direct=direct,
        cue=cue.token.text,
        speaker_start=s,
        speaker_end=e,
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
        cs = m.start() + hit.end()
        ce = m.end()
        while ce > cs and text[ce - 1] in ' "”':
            ce -= 1
        out.append(Quote(text[cs:ce], text[ss:se], cs, ce, -1, True, ":", ss, se))
    return out


def _according_to(doc: Doc, taken: list[tuple[int, int]]) -> list[Quote]:
    """`according to X, …`: X is the speaker, the rest of the sentence the content."""
    out: list[Quote] = []
    for tok in doc:
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
        out.append(Quote(doc.text[cs:ce], doc.text[s:e], cs, ce, -1, False, "according to", s, e))
    return out


# --- speaker resolution ----------------------------------------------------------------


def _resolve(quotes: list[Quote], doc: Doc, mentions: list[Mention], spans: list[_Span]) -> None:
    """Turn speaker spans into names: pronoun -> last person, surname -> full name,
    title + name -> the name; descriptions stay as written."""
    inside = [(s.start, s.end) for s in spans]
    persons = [
        m
        for m in sorted(mentions, key=lambda m: m.start)
        if m.label == "PERSON" and not any(a <= m.start < b for a, b in inside)
    ]
    for q in quotes:
        if q.speaker_start < 0:
            continue
        q.speaker = _name_for(q, doc, mentions, persons)


def _name_for(q: Quote, doc: Doc, mentions: list[Mention], persons: list[Mention]) -> str:
    written = doc.text[q.speaker_start : q.speaker_end]
    low = written.lower()
    if low in _PERSON_PRONOUNS:
        before = [m for m in persons if m.end <= q.speaker_start]
        return _full_name(before[-1].norm or before[-1].text, persons) if before else written
    if low in _THING_PRONOUNS:
        orgs = [m for m in mentions if m.label == "ORG" and m.end <= q.speaker_start]
        return (orgs[-1].norm or orgs[-1].text) if orgs else written
    if low in _RELATIVE:
        antecedent = _antecedent(doc, q.speaker_start)
        if antecedent is None:
            return written
        q = dataclasses.replace(q, speaker_start=antecedent[0], speaker_end=antecedent[1])
        written = doc.text[antecedent[0] : antecedent[1]]
    core = _core(doc, q.speaker_start, q.speaker_end)
    inner = [m for m in mentions if core[0] <= m.start and m.end <= core[1]]
    people = [m for m in inner if m.label == "PERSON"]
    if people:
        return _full_name(people[-1].norm or people[-1].text, persons)
    words = doc.text[core[0] : core[1]].split()
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
    """A lone surname gets the fullest person name in the article ending with it."""
    if " " in name:
        return name
    longer = [
        p.norm or p.text
        for p in persons
        if " " in (p.norm or p.text) and (p.norm or p.text).split()[-1] == name
    ]
    return max(longer, key=len) if longer else name
