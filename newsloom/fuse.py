"""Fuse a story's articles into facts: who says what, how independently, and where they disagree.

Steps: split sentences into statements (long sentences at ";", ", while", ", but"); give each
its origin (quote speaker, "according to X", "told AFP", "X said"); align statements across
articles (never within one) by embedding cosine then the paraphrase matcher, into facts with at
most one statement per article; count independent sources; give a verdict.

Independence folds two ways. Copies: an article derived from another (`Derivation`, followed
transitively) counts with its original. Conduits: statements that came through the same news
organisation ("a resident told AFP", "according to Reuters") count once, whoever repeats them.
A named speaker is *not* a conduit: two outlets each reporting what a minister said are two
witnesses that it was said, so "Ben Wallace said 600 troops" in two outlets is corroborated.

Numbers are compared only when comparable: the same counted noun and the same unit, with
tolerance for qualifiers (`newsloom.extract.quantities.agree`: "nearly 3,000" agrees with
"3,000"; "13 killed" conflicts with "12 killed"). A count and a share are not comparable,
so "a dozen provincial capitals" and "about a third of the provincial capitals" are left
consistent, not flagged: turning a share into a count needs a total the text does not give
(Afghanistan has 34, so both are about 11-12), and the two count over different periods.
Flagging them would flood briefings with false conflicts whenever an outlet writes a fraction.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from newsloom.extract.quantities import agree
from newsloom.models import Article, Citation, Derivation, Fact, Quantity, TimeRef

if TYPE_CHECKING:
    from newsloom.paraphrase import ParaphraseMatcher

MIN_WORDS = 4  # shorter fragments ("Read more.") are not statements
SPLIT_WORDS = 25  # only sentences longer than this are split into clauses
CANDIDATE_COSINE = 0.55  # below this, two statements are not even scored by the matcher
CONFLICT_COSINE = 0.6  # "about the same thing" for number/negation checks outside the matcher
NUMBER_COSINE = 0.6  # statements giving the same figure of the same thing align if this close

AGENCIES = frozenset(
    "afp reuters ap dpa xinhua ani pti efe ansa kyodo yonhap tass interfax bloomberg anadolu "  # noqa: SIM905
    "bernama irna wafa".split()
) | {"agence france-presse", "associated press", "press trust of india"}

_CLAUSE = re.compile(r";\s+|,\s+(?=(?:while|but|whereas)\b)")
_NAME = r"[A-Z][\w'’.-]*(?:\s+(?:of\s+|the\s+)?[A-Z][\w'’.-]*)*"
_TOLD = re.compile(rf"\b(?:told|telling)\s+(?:the\s+)?({_NAME})")
_ACCORDING = re.compile(
    rf"\baccording to\s+((?:the\s+)?{_NAME}|(?:an?|the)\s+(?:[a-z]+\s+){{0,2}}?"
    r"(?:officials?|sources?|ministry|police|residents?|witness(?:es)?|spokes(?:man|woman)))"
)
_REPORTED = re.compile(rf"\b({_NAME})\s+(?:news agency\s+)?reported\b")
_SAID = re.compile(
    rf"\b((?:an?\s+|the\s+)?(?:{_NAME}\s+)?(?:spokes(?:man|woman|person)|{_NAME}))"
    r"(?:,[^,]{1,80},)?\s+(?:said|says|told|tweeted|announced|confirmed|stated|added)\b"
)
_NEGATION = re.compile(r"\b(?:not|no|never|no longer|denied|denies|neither|nor)\b|n't\b", re.I)
_TITLE_NAME = re.compile(
    r"\b(spokes(?:man|woman|person)|minister|secretary|president|governor|commander|general|"
    r"ambassador|mayor|chief|leader|director)\s+([A-Z][\w'-]+(?:\s+[A-Z][\w'-]+)+)"
)
_WORD = re.compile(r"[a-z]+")
_CAPITALISED = re.compile(r"\b[A-Z][\w'-]+")


@dataclass(slots=True)
class Statement:
    """One clause of one article sentence, with the evidence found inside its span."""

    article: int  # index into the story's article list
    sentence: int
    text: str
    start: int
    end: int
    origin: str = ""
    conduit: str = ""  # the news organisation it came through, if any (folds sources)
    quantities: list[Quantity] = field(default_factory=list)
    times: list[TimeRef] = field(default_factory=list)


def quantities_agree(a: Quantity, b: Quantity) -> bool | None:
    """`extract.quantities.agree` on the head nouns ("US troops" ~ "troops"): None if
    incomparable (different unit or counted noun), else whether the qualified ranges overlap."""
    return agree(replace(a, counts=_noun(a.counts)), replace(b, counts=_noun(b.counts)))


def _noun(counts: str) -> str:
    """Head of the counted phrase, crudely singular: "US troops" -> "troop"."""
    words = _WORD.findall(counts.lower())
    if not words:
        return ""
    head = words[-1]
    return head[:-1] if head.endswith("s") and not head.endswith("ss") else head


# ---------------------------------------------------------------- statements


def split_statements(article: Article, index: int) -> list[Statement]:
    """The article's statements: sentences, long ones cut into clauses, with origins."""
    out: list[Statement] = []
    for sent in article.sentences:
        for start, end in _clauses(sent.text):
            raw = sent.text[start:end]
            text = raw.strip(" ,;")
            if len(text.split()) < MIN_WORDS:
                continue
            offset = sent.start + start + len(raw) - len(raw.lstrip(" ,;"))
            st = Statement(index, sent.index, text, offset, offset + len(text))
            st.quantities = [q for q in article.quantities if _inside(q, st, sent.index)]
            st.times = [t for t in article.times if _inside(t, st, sent.index)]
            st.origin, st.conduit = _origin(article, st, sent.text)
            out.append(st)
    return out


def _clauses(text: str) -> list[tuple[int, int]]:
    if len(text.split()) <= SPLIT_WORDS:
        return [(0, len(text))]
    spans, last = [], 0
    for m in _CLAUSE.finditer(text):
        if len(text[last : m.start()].split()) >= MIN_WORDS + 2:
            spans.append((last, m.start()))
            last = m.end()
    spans.append((last, len(text)))
    return spans


def _inside(item: Quantity | TimeRef, st: Statement, sentence: int) -> bool:
    if item.start >= 0:
        return st.start <= item.start < st.end
    return item.sentence == sentence


def _origin(article: Article, st: Statement, sentence: str) -> tuple[str, str]:
    """(origin party, conduit) from the sentence's wording and the article's quotes."""
    conduit = ""
    for pattern in (_TOLD, _REPORTED, _ACCORDING):
        for m in pattern.finditer(sentence):
            name = _clean_party(m.group(1))
            if _is_agency(name):
                conduit = name
                break
        if conduit:
            return conduit, conduit
    according = _ACCORDING.search(sentence)
    if according:
        return _clean_party(according.group(1)), ""
    for q in article.quotes:
        overlaps = q.sentence == st.sentence or (q.start < st.end and st.start < q.end)
        if overlaps and q.speaker:
            return q.speaker, ""
    said = _SAID.search(sentence)
    return (_clean_party(said.group(1)), "") if said else ("", "")


def _clean_party(name: str) -> str:
    name = re.sub(r"\s+news agency$", "", name.strip(" ,.;"))
    return re.sub(r"^(?:the|a|an)\s+", "", name, flags=re.I)


def _is_agency(name: str) -> bool:
    low = name.lower()
    return low in AGENCIES or low.split(" ")[0] in AGENCIES


# ---------------------------------------------------------------- alignment


def _align(
    statements: list[Statement], vecs: np.ndarray, matcher: ParaphraseMatcher
) -> list[list[int]]:
    """Groups of statement indices, at most one per article, best-scoring pairs first."""
    arts = np.array([s.article for s in statements])
    sims = vecs @ vecs.T
    sims[arts[:, None] == arts[None, :]] = -1.0  # never align within one article
    ii, jj = np.nonzero(np.triu(sims >= CANDIDATE_COSINE, k=1))
    pairs: list[tuple[float, int, int]] = []
    if len(ii):
        probs = matcher.score_embedded(
            [statements[i].text for i in ii], [statements[j].text for j in jj], vecs[ii], vecs[jj]
        )
        for i, j, p in zip(ii.tolist(), jj.tolist(), probs.tolist(), strict=True):
            if p >= matcher.threshold:
                pairs.append((p, i, j))
            elif _same_figure(statements[i], statements[j], float(sims[i, j])):
                pairs.append((float(sims[i, j]), i, j))
            elif sims[i, j] >= CONFLICT_COSINE and _same_subject(statements[i], statements[j]):
                pairs.append((float(sims[i, j]) * 0.5, i, j))
    group = list(range(len(statements)))
    members: dict[int, set[int]] = {i: {i} for i in group}
    for _, i, j in sorted(pairs, reverse=True):
        gi, gj = group[i], group[j]
        if gi == gj:
            continue
        if {statements[k].article for k in members[gi]} & {
            statements[k].article for k in members[gj]
        }:
            continue
        for k in members[gj]:
            group[k] = gi
        members[gi] |= members.pop(gj)
    return sorted((sorted(m) for m in members.values()), key=lambda m: m[0])


def _same_figure(a: Statement, b: Statement, cosine: float) -> bool:
    """Both state one figure: "600 troops" in each (cosine >= NUMBER_COSINE), or the same
    value counted by different nouns ("600 soldiers" / "600 troops", a 0.1 stricter cosine)."""
    for qa in a.quantities:
        for qb in b.quantities:
            same_noun = quantities_agree(qa, qb)
            if same_noun is None and cosine >= NUMBER_COSINE + 0.1:
                same_noun = quantities_agree(qa, replace(qb, counts=qa.counts))
            if same_noun and cosine >= NUMBER_COSINE:
                return True
    return False


def _same_subject(a: Statement, b: Statement) -> bool:
    """Close statements that count the same thing about the same names, or mirror each other."""
    nouns_a = {(_noun(q.counts), q.unit) for q in a.quantities}
    if nouns_a & {(_noun(q.counts), q.unit) for q in b.quantities}:
        names_a, names_b = _names(a.text), _names(b.text)
        return not (names_a and names_b) or bool(names_a & names_b)
    return _mirror(a, b)


def _names(text: str) -> set[str]:
    return {w.lower() for w in _CAPITALISED.findall(text)[1:]}


def _mirror(a: Statement, b: Statement) -> bool:
    """One statement negates the other: negation differs, the rest is mostly shared."""
    if bool(_NEGATION.search(a.text)) == bool(_NEGATION.search(b.text)):
        return False
    wa = set(_WORD.findall(_NEGATION.sub(" ", a.text).lower()))
    wb = set(_WORD.findall(_NEGATION.sub(" ", b.text).lower()))
    return len(wa & wb) / max(len(wa | wb), 1) >= 0.5


# ---------------------------------------------------------------- verdicts


def _conflict(group: list[Statement], articles: list[Article]) -> dict[str, object]:
    """The first disagreement found among a fact's statements: number, date, name, negation."""
    for kind, values in (
        ("number", _number_conflict(group)),
        ("date", _date_conflict(group)),
        ("name", _name_conflict(group)),
        ("negation", _negation_conflict(group)),
    ):
        if values:
            return {
                "kind": kind,
                "values": [
                    {"value": v, "source": articles[s.article].source, "text": s.text}
                    for v, s in values
                ],
            }
    return {}


def _number_conflict(group: list[Statement]) -> list[tuple[str, Statement]]:
    for x, a in enumerate(group):
        for b in group[x + 1 :]:
            for qa in a.quantities:
                for qb in b.quantities:
                    if quantities_agree(qa, qb) is False:
                        return [(qa.text, a), (qb.text, b)]
    return []


def _date_conflict(group: list[Statement]) -> list[tuple[str, Statement]]:
    dated = [(t.value, s) for s in group for t in s.times[:1] if t.value and t.kind == "date"]
    for x, (va, a) in enumerate(dated):
        for vb, b in dated[x + 1 :]:
            n = min(len(va), len(vb))
            if va[:n] != vb[:n]:
                return [(va, a), (vb, b)]
    return []


def _name_conflict(group: list[Statement]) -> list[tuple[str, Statement]]:
    named = [
        (m.group(1).lower(), m.group(2), s) for s in group for m in _TITLE_NAME.finditer(s.text)
    ]
    for x, (ta, na, a) in enumerate(named):
        for tb, nb, b in named[x + 1 :]:
            if ta == tb and a is not b and not set(na.split()) & set(nb.split()):
                return [(na, a), (nb, b)]
    return []


def _negation_conflict(group: list[Statement]) -> list[tuple[str, Statement]]:
    for x, a in enumerate(group):
        for b in group[x + 1 :]:
            if _mirror(a, b):
                pos, neg = (b, a) if _NEGATION.search(a.text) else (a, b)
                return [("affirmed", pos), ("negated", neg)]
    return []


def _independent(group: list[Statement], roots: list[str]) -> int:
    """Sources after folding copies (same root article) and shared conduits (same agency)."""
    parent = list(range(len(group)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for x, a in enumerate(group):
        for y in range(x):
            b = group[y]
            same_conduit = a.conduit and a.conduit.lower() == b.conduit.lower()
            if roots[a.article] == roots[b.article] or same_conduit:
                parent[find(x)] = find(y)
    return len({find(i) for i in range(len(group))})


def _roots(articles: list[Article], derivations: list[Derivation]) -> list[str]:
    """Each article's original, following derivations transitively (cycles stop)."""
    original = {d.article_id: d.original_id for d in derivations if d.article_id != d.original_id}
    out = []
    for art in articles:
        node, seen = art.id, {art.id}
        while node in original and original[node] not in seen:
            node = original[node]
            seen.add(node)
        out.append(node)
    return out


def _clearest(group: list[Statement], roots: list[str], articles: list[Article]) -> Statement:
    """An original's statement over a copy's; then the shortest one that is still complete."""

    def key(s: Statement) -> tuple[bool, bool, int]:
        is_copy = roots[s.article] != articles[s.article].id
        return (is_copy, len(s.text.split()) < 6, len(s.text))

    return min(group, key=key)


def _fact(group: list[Statement], articles: list[Article], roots: list[str]) -> Fact:
    citations = [
        Citation(articles[s.article].id, s.sentence, articles[s.article].source, s.text)
        for s in group
    ]
    best = _clearest(group, roots, articles)
    independent = _independent(group, roots)
    conflict = _conflict(group, articles) if len(group) > 1 else {}
    status = "conflict" if conflict else "corroborated" if independent >= 2 else "single"
    origins = Counter(s.conduit or s.origin for s in group if s.conduit or s.origin)
    dates = [t.value for s in [best, *group] for t in s.times if t.value and t.kind == "date"]
    basis = "|".join(sorted(f"{c.article_id}:{c.sentence}:{c.text}" for c in citations))
    return Fact(
        id=hashlib.sha256(basis.encode("utf-8")).hexdigest()[:16],
        text=best.text,
        status=status,
        sources=sorted({articles[s.article].source for s in group if articles[s.article].source}),
        independent_sources=independent,
        citations=citations,
        origin=origins.most_common(1)[0][0] if origins else "",
        date=dates[0] if dates and conflict.get("kind") != "date" else "",
        conflict=conflict,
    )


def fuse_story(
    articles: list[Article], derivations: list[Derivation], matcher: ParaphraseMatcher
) -> list[Fact]:
    """Facts of one story: corroborated first (most independent sources), conflicts, singles."""
    statements = [st for i, art in enumerate(articles) for st in split_statements(art, i)]
    if not statements:
        return []
    vecs = matcher.embedder.embed([s.text for s in statements])
    roots = _roots(articles, derivations)
    facts = [
        _fact([statements[i] for i in g], articles, roots)
        for g in _align(statements, vecs, matcher)
    ]
    rank = {"corroborated": 0, "conflict": 1, "single": 2}
    return sorted(facts, key=lambda f: (rank[f.status], -f.independent_sources))
