"""Fuse a story's articles into facts: who says what, how independently, where they disagree.

A fact is a claim (who did what to whom, where, when, how many), not a sentence: two outlets
that share a claim inside different sentences corroborate that claim. Each article sentence
(long ones cut into clauses) is a statement; each statement brings its claims
(`extract.claims`). A claim joins the fact it matches best, found by candidate retrieval:

- by claim: the same verb class with the same participants ("the Taliban seized control of
  Kandahar" ~ "the Taliban have captured ... Kandahar"), looked up in an inverted index of
  verb-class|name keys;
- by paraphrase: the statement's nearest statements by sentence vector (one matrix product
  with the story's statement vectors per article, never all pairs); close ones are taken,
  uncertain ones go to the paraphrase matcher, a few per article.

Then the checks (`newsloom.compare`) decide what the alignment means: the same figures, dates
and polarity corroborate; a different figure for the same counted thing is a `conflict` when
both were reported at the same time and an `update` (a toll 50 -> 73 -> 100+) when they were
reported at different times; another date, the opposite polarity or another holder of a
title is a `conflict`. A different figure never corroborates, nor does a page that gave
another figure of the thing, whichever of its sentences joined the fact.

Independence folds four ways, then counts what is left: organisations (two pages of one
site, or of one organisation's sites, are one source; a page that credits a news agency counts
with that agency), copies (an article derived from another, or carrying the same wire text,
counts with its original), conduits (statements that came through one news agency, "a
resident told AFP", count once whoever repeats them) and wording (statements repeating a run
of eight words of one another, quoted words included, or keeping most content words of one
another in the same order: one agency sentence, photo caption or public statement on pages
that are otherwise no copies).

A conflict or an update needs figures of one thing: a part of the whole ("8 at the bar",
"in Hatay province"), a figure the sentence replaces ("up from 50") or two figures one page
gives side by side (the two quakes of one day) are neither; such members leave the fact, and
a conflict's two sides must come from independent sources.

`StoryFacts` is the story's facts as an index that grows one article at a time and reports
only what changed, so a story of 2,000 articles costs per batch what a story of 20 does.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
import sys
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlparse

import numpy as np

from newsloom.clean import is_furniture, is_no_comment
from newsloom.compare import (
    LIGHT_VERBS,
    TOLL_EVENTS,
    TRACK,
    ClaimKey,
    Value,
    claim_key,
    claims_match,
    code_part,
    compatible_dates,
    dateline_end,
    event_of,
    figure_disagreement,
    figure_scope,
    figures_match,
    names_clash,
    negated_text,
    normalise_apostrophes,
    parties,
    special_values,
    tells_change,
    title_names,
    toll_claim,
    value_of,
)
from newsloom.extract.claims import NAME_LABELS, name_key
from newsloom.extract.quantities import agree
from newsloom.models import Article, Citation, Claim, Derivation, Fact, Quantity, TimeRef
from newsloom.nlp import append_rows
from newsloom.wires import AGENCIES, credited_as_source

if TYPE_CHECKING:
    from newsloom.paraphrase import ParaphraseMatcher

    Embed = Callable[[list[str]], np.ndarray]

PARTICIPANT_LABELS = NAME_LABELS - {"NORP"}  # "Russian", "Afghan" qualify; they do not name
MIN_WORDS = 4  # shorter fragments ("Read more.") are not statements
SPLIT_WORDS = 25  # only sentences longer than this are split into clauses
# Thresholds on sentence-vector cosine, chosen on the dev half of the fact gold
# (evalsets/facts, `newsloom eval facts --split dev`):
CANDIDATE_COSINE = 0.45  # below this, two statements are not paraphrase candidates
ACCEPT_COSINE = 0.85  # at or above this the statements are paraphrases without the matcher
SUPPORTED_COSINE = 0.65  # ... or at or above this with a shared name or the same verb class
NUMBER_COSINE = 0.45  # ... or this close and giving a figure of the same counted thing
CLAUSE_COSINE = 0.82  # ... or a clause of each this close (a claim shared inside long sentences)
ANCHOR_COSINE = 0.6  # ... joining through a later member needs the founder this close
SHORT = 6  # statements of fewer words need more than close vectors to align
MERGE_SCORE = 1.0 + SUPPORTED_COSINE  # a paraphrase this sure of two facts merges them
CLAIM_COSINE = 0.5  # two matching claims also need statements at least this close
NAME_COSINE = 0.6  # a claim about generic participants needs a shared name or this close
COMMON_NAME_SHARE = 0.5  # a name in this share of a story's articles (or in two of two or
# three) tells nothing apart
RECENT = 4096  # latest statements searched by vector for each new one (with the shared facts)
NEIGHBOURS = 10  # nearest statements looked at for each new statement
MATCHER_PAIRS = 6  # uncertain pairs per article sent to the paraphrase matcher (its cost)
MAX_CLAIMS = 4  # claims per statement that take part in alignment
MIN_CLAUSE_WORDS = 4  # shorter clauses are not compared on their own
EXTRA = 2  # further facts a statement may join besides its claims' (see `Statement.slots`)
REPS = 3  # members of a fact a newcomer is compared with
BACKGROUND_DAYS = 30  # a statement dated this long before its report tells background
KEY_CANDIDATES = 8  # facts looked at per claim key (the oldest and the newest)

COMPATIBLE_BOUND = 0.5  # a bound ("at least 8") is compatible with a count at most 1/this above
TOLL_BOUND = 0.8  # ... a toll's bound, with a count at most 1/this above (not "at least 60" / 100)
SHOWN_CHOICES = 4  # statements of a fact tried as the one shown (the most backed one wins)
SUPPORT_OVERLAP = 0.3  # share of content words (Jaccard) with the shown statement that backs it
SUPPORT_CONTAINED = 0.7  # ... or share of the shown statement's own content words a member gives
SUPPORT_MIN_WORDS = 4  # ... when the shown statement has at least this many
BOTH_PARTIES = (1, 1)  # `parties` of two claims whose agent and patient are both the same
_FUNCTION = frozenset(
    "the and for with from that this was were are been has have had its his her their they "  # noqa: SIM905
    "she said says will would after before over about into than who which not also".split()
)
WIRE_RUN = 8  # words repeated in order: one agency sentence on several sites
NEAR_SHARE = 0.8  # share of the shorter statement's content words kept in order: one text
NEAR_MIN = 6  # ... among at least this many content words
NEAR_BUCKET = 32  # statements kept per run of three content words as candidates (bounds cost)
STATUS_RANK = {"corroborated": 0, "update": 1, "conflict": 2, "single": 3}

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
_WORD = re.compile(r"[a-z]+")
_CASED_WORD = re.compile(r"[A-Za-z]+")
_SINCE = r"\bsince\s+(?:(?:the|their|its)\s+)?(?:[A-Za-z]+\.?\s+)?(?:\d{{1,2}},?\s+)?{}\b"
_ISO_DATE = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2})?)?$")  # a year, month or day; not a week
_SHARED_HOSTS = frozenset(
    "go.com blogspot.com wordpress.com substack.com medium.com arc-cdn.net".split()  # noqa: SIM905
)
_SECOND_LEVEL = frozenset(
    "co com org net gov ac edu ne or go gob nic mil".split()  # noqa: SIM905
)


# ---------------------------------------------------------------- statements


@dataclass(slots=True)
class Statement:
    """One clause of one article sentence, with the evidence found inside its span."""

    article: int  # position of the article in the story
    sentence: int
    text: str
    start: int
    end: int
    origin: str = ""
    conduit: str = ""  # the news organisation it came through, if any (folds sources)
    quantities: list[Quantity] = field(default_factory=list)
    times: list[TimeRef] = field(default_factory=list)
    claims: list[ClaimKey] = field(default_factory=list)
    claim_values: list[list[Value]] = field(default_factory=list)  # per claim
    values: list[Value] = field(default_factory=list)  # every figure in the statement
    names: frozenset[str] = frozenset()
    negated: bool = False
    date: str = ""  # the event date the statement gives (not a dateline), "" if none
    primary: int = -1  # index of its main claim in `claims`, -1 if it has none
    spans: list[tuple[int, int]] = field(default_factory=list)  # its claims' clauses, in `text`
    # Read off the text once (a fact's verdict asks again and again), never stored:
    _titles: list[tuple[str, str]] | None = field(default=None, repr=False, compare=False)
    _words: _Words | None = field(default=None, repr=False, compare=False)

    @property
    def titles(self) -> list[tuple[str, str]]:
        if self._titles is None:
            self._titles = title_names(self.text)
        return self._titles

    @property
    def words(self) -> _Words:
        """What the wording check reads of it (`shared_wording`)."""
        if self._words is None:
            self._words = _Words.of(self.text)
        return self._words

    def values_for(self, claim: int) -> list[Value]:
        """The figures a member states: its claim's, the whole statement's, or none for an
        extra slot (it joined for its wording; its figures may belong to its other claims)."""
        if claim >= 0:
            return self.claim_values[claim]
        return self.values if claim == -1 else []

    def slots(self) -> range:
        """Its member slots: -1 the whole statement, 0.. its claims, and EXTRA slots below -1
        for further facts it paraphrases (a sentence can carry several reported claims)."""
        return range(-1 - EXTRA, len(self.claims))


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


def split_statements(article: Article, index: int) -> list[Statement]:
    """The article's statements: sentences, long ones cut into clauses, with their origins,
    figures, dates and claims."""
    out: list[Statement] = []
    skip_dates_before = dateline_end(article.text)
    for sent in article.sentences:
        for start, end in _clauses(sent.text):
            raw = sent.text[start:end]
            text = raw.strip(" ,;")
            if (
                len(text.split()) < MIN_WORDS
                or is_furniture(text)
                or is_no_comment(sent.text)
                or text.endswith("?")
            ):
                continue  # a fragment, furniture, boilerplate or a question ("Why is X ...?")
            offset = sent.start + start + len(raw) - len(raw.lstrip(" ,;"))
            st = Statement(index, sent.index, text, offset, offset + len(text))
            st.quantities = [q for q in article.quantities if _inside(q, st, sent.index)]
            st.times = [t for t in article.times if _inside(t, st, sent.index)]
            st.origin, st.conduit = _origin(article, st, sent.text)
            _add_evidence(article, st, skip_dates_before)
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


def _add_evidence(article: Article, st: Statement, dateline: int) -> None:
    """Claims, figures (with their holders), names, polarity and event date of a statement.

    A statement carries the claims whose verb it holds: a claim's clause can run over into
    the next clause ("deployed to Kabul ..., but"), and would lend that clause its claim.
    A claim stored without its verb's offset is placed by where its clause begins."""
    holders: dict[int, str] = {}
    claims = [
        c
        for c in article.claims
        if c.sentence == st.sentence
        and st.start <= (c.verb_start if c.verb_start >= 0 else c.start) < st.end
    ]
    keys = [claim_key(c) for c in claims]
    chosen = [i for i, k in enumerate(keys) if k.informative][:MAX_CLAIMS]
    for c in claims:
        for f in c.figures:
            if f.holder:
                holders.setdefault(f.quantity, f.holder)
    q_index = {id(q): i for i, q in enumerate(article.quantities)}
    text = article.text
    st.values = [
        v
        for q in st.quantities
        if not code_part(text, q.start)
        and (
            v := value_of(
                q, holders.get(q_index.get(id(q), -1), ""), event=event_of(text, q.start, q.end)
            )
        )
        is not None
    ] + special_values(st.text)
    for i in chosen:
        claim, key = claims[i], keys[i]
        verb = key.verb
        values = []
        for f in claim.figures:
            if 0 <= f.quantity < len(article.quantities):
                q = article.quantities[f.quantity]
                v = value_of(q, f.holder, verb, event_of(text, q.start, q.end))
                if v is not None and not code_part(text, q.start):
                    values.append(v)
        st.claims.append(key)
        st.claim_values.append(values)
    st.spans = _clause_spans(st, claims)
    mains = [j for j, i in enumerate(chosen) if keys[i].main]
    st.primary = mains[0] if mains else (0 if st.claims else -1)
    if st.primary >= 0:  # "in the 86th minute" dates the main claim ("scored the winner")
        st.claim_values[st.primary] += [v for v in st.values if v.exact]
    st.names = frozenset(
        name_key(m.norm or m.text)
        for m in article.mentions
        if m.label in PARTICIPANT_LABELS and st.start <= m.start < st.end
    )
    st.negated = st.claims[st.primary].negated if st.claims else negated_text(st.text)
    dates = [
        t.value
        for t in st.times
        if t.kind == "date" and _ISO_DATE.match(t.value) and t.start >= dateline
    ]
    st.date = dates[0] if dates else ""
    st.claims = [k if k.time in dates else replace(k, time="") for k in st.claims]
    _add_tolls(st, article.published)


def _since(st: Statement) -> bool:
    """Whether the statement's date opens a span up to now ("since 1966", "since their 1966
    World Cup triumph", "since March 2019"). Read off its text, which a reloaded state keeps."""
    return bool(re.search(_SINCE.format(re.escape(st.date[:4])), st.text, re.I))


def _clause_spans(st: Statement, claims: list[Claim]) -> list[tuple[int, int]]:
    """Where the statement's claims' clauses lie in its text, those long enough to compare
    alone and shorter than the statement."""
    spans: list[tuple[int, int]] = []
    for c in claims:
        span = (max(c.start, st.start) - st.start, min(c.end, st.end) - st.start)
        words = len(st.text[span[0] : span[1]].split())
        if MIN_CLAUSE_WORDS <= words < len(st.text.split()) and span not in spans:
            spans.append(span)
    return spans


def _add_tolls(st: Statement, published: str) -> None:
    """A toll the statement gives becomes a claim of its own (`compare.toll_claim`), unless
    the statement dates it to another time ("17,000 died in the 1999 quake")."""
    if st.date and (len(st.date) == 4 or (published and st.date[:4] != published[:4])):
        return
    keys = set()
    for v in st.values:
        if v.verb in TOLL_EVENTS:
            claim = toll_claim(v)
            if claim.index_keys()[0] not in keys:
                keys.add(claim.index_keys()[0])
                st.claims.append(claim)
                st.claim_values.append([v])


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


def outlet_key(article: Article) -> str:
    """The organisation an article counts as, "org|wire": the name of its URL's registered
    domain ("edition.cnn.com" -> "cnn", "news.bbc.co.uk" and "www.bbc.com" -> "bbc"; a site
    hosted under a shared domain keeps its own label: "abcnews.go.com" -> "abcnews"), else its
    normalised source name; then the news agency whose text it carries, if it says so
    (`wires.credited_as_source`); then, if any, the other outlets it credits by name
    (`_credited_outlets`). Two pages of one organisation, or an outlet and the agency it
    runs, are one source (`_components` folds on either part), and so is a page and the
    outlet's page it credits, where a fact has both (`_Backing`, `_one_source`)."""
    host = ""
    if article.url:
        host = urlparse(article.url if "//" in article.url else f"//{article.url}").hostname or ""
    labels = [x for x in host.lower().split(".") if x and x != "www"]
    if len(labels) >= 2:
        cut = 3 if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL and len(labels[-1]) == 2 else 2
        org = labels[-cut]
        if ".".join(labels[-cut:]) in _SHARED_HOSTS and len(labels) > cut:
            org = labels[-cut - 1]
    else:
        name = re.sub(r"^(?:the|www)\s*\.?\s*", "", article.source.lower().strip())
        name = re.sub(r"\.(?:com|org|net|co\.uk)$", "", name)
        org = re.sub(r"[^a-z0-9]+", " ", name).strip() or article.id
    key = f"{org}|{credited_as_source(article, org)}"
    credits = " ".join(c for c in _credited_outlets(article.text) if c != _compact(org))
    return f"{key}|{credits}" if credits else key


def _credited_outlets(text: str) -> list[str]:
    """The outlets a page credits by name for what it tells ("the Telegraph reported",
    "according to the Telegraph", "told CBS News"), as outlet-key organisations
    ("telegraph", "cbsnews"). A rewrite credits the report it retells; the name counts
    only where a fact also cites that outlet's own page, so officials and ministries named
    so fold nothing. Agencies are read as wires instead (`credited_as_source`): pages
    credit them for single lines, and folding on that linked independent reports."""
    names = set()
    for part in _SENTENCE_BREAK.split(text):
        # a name before "reported" is sought just before it: cost linear in the part
        before = [
            part[max(0, r.start() - CREDIT_REACH) : r.end()] for r in _REPORTED_AT.finditer(part)
        ]
        found = [m for p in before for m in _REPORTED.finditer(p)]
        found += [*_TOLD.finditer(part), *_ACCORDING.finditer(part)]
        for m in found:
            name = _clean_party(m.group(1))
            if not _is_agency(name):
                names.add(_compact(name))
    return sorted(n for n in names if n)


CREDIT_REACH = 120  # characters before "reported" in which the outlet's name stands
_REPORTED_AT = re.compile(r"\breported\b")


def _compact(name: str) -> str:
    """A name as credits compare it: "The Japan Times" and "japantimes" are one."""
    return re.sub(r"[^a-z0-9]+", "", name.lower())


_SENTENCE_BREAK = re.compile(r"\n+|(?<=[.!?])\s+")


def _org_wire(outlet: str) -> tuple[str, str]:
    """The first two parts of an outlet key (a key stored before wires were read has one)."""
    org, _, rest = outlet.partition("|")
    return org, rest.partition("|")[0]


def _credits(outlet: str) -> list[str]:
    """The outlets an outlet key's page credits (`_credited_outlets`)."""
    return outlet.split("|", 2)[2].split() if outlet.count("|") == 2 else []


# ---------------------------------------------------------------- the index


@dataclass(slots=True)
class _Article:
    id: str
    source: str
    outlet: str
    published: str
    root: str  # id of the independent report it derives from (itself if none)
    statements: list[int] = field(default_factory=list)


@dataclass(slots=True)
class _Group:
    """A fact under construction: its (statement, claim) members. An article may state one
    claim in several sentences; it still counts once."""

    seq: int
    founder: tuple[int, int]
    members: list[tuple[int, int]] = field(default_factory=list)
    articles: set[int] = field(default_factory=set)


Member = tuple[int, int]  # (statement id, claim index or -1 for the whole statement)


class StoryFacts:
    """One story's facts as an index, grown one article at a time (see the module doc).

    Example:
        >>> facts = StoryFacts()
        >>> facts.add(article, embed, matcher)          # doctest: +SKIP
        >>> upserts, removed = facts.pop_changes()       # doctest: +SKIP
    """

    def __init__(self) -> None:
        self.articles: list[_Article] = []
        self.statements: list[Statement] = []
        self.groups: list[_Group] = []
        self.vecs = np.zeros((0, 0), dtype=np.float32)
        self._n = 0  # rows of `vecs` in use
        self.group_of: dict[Member, int] = {}
        self.name_df: Counter[str] = Counter()  # articles naming each participant
        self._telling_cache: dict[frozenset[str], frozenset[str]] = {}
        self.shared: list[int] = []  # statements that stand for shared facts (always searched)
        self._shared_set: set[int] = set()
        self.keys: dict[str, list[int]] = {}
        self._changed_groups: set[int] = set()
        self._changed_statements: set[int] = set()
        self._new_articles: list[int] = []
        self._new_groups: set[int] = set()
        self.merged: dict[int, int] = {}  # fact folded into another -> that one
        self._removed_groups: set[int] = set()
        self._dirty_groups: set[int] = set()  # state rows to write
        self._clause_vecs: dict[int, np.ndarray] = {}  # statement -> `_clause_rows`
        self._verdicts: dict[int, tuple[Fact, set[Member]]] = {}  # per read-out: fact, kept
        self._memos: dict[int, _Memo] = {}  # per shared fact: what its verdict keeps
        self._dropped: dict[int, list[Member]] = {}  # members a fact leaves out (stored)
        self._article_values: dict[int, list[Value]] = {}  # see `article_values`
        self._change_values: dict[int, list[Value]] = {}  # see `change_values`
        self._told_values: dict[int, list[Value]] = {}  # see `told_values`
        self._twins: dict[frozenset[int], set[int]] = {}  # shared facts by their statements
        self._twin_key: dict[int, frozenset[int]] = {}
        self._unfiled: set[int] = set()  # facts whose statements changed since `_file_twins`
        self._twin_changed: set[int] = set()  # facts whose twins changed (for `pop_changes`)
        self._embed: Embed | None = None  # while an article is added

    # -- growing ----------------------------------------------------------

    def add(
        self, article: Article, embed: Embed, matcher: ParaphraseMatcher, root: str = ""
    ) -> None:
        """Index one article (arriving after every article already in): its statements join
        the facts they match or found new ones."""
        self._telling_cache = {}  # name frequencies change with each article
        self._verdicts = {}  # a fact read out before (`fact_of_group`) may change
        pos = len(self.articles)
        self.articles.append(
            _Article(
                article.id,
                article.source,
                outlet_key(article),
                article.published,
                root or article.id,
            )
        )
        self._new_articles.append(pos)
        stmts = split_statements(article, pos)
        self.name_df.update({n for st in stmts for n in st.names})
        if not stmts:
            return
        # Rounded to half precision as they are stored, so a state reloaded from the store
        # decides exactly as the one kept in memory.
        vecs = embed([s.text for s in stmts]).astype(np.float16).astype(np.float32)
        first = len(self.statements)
        self._embed = embed
        neighbours = self._neighbours(vecs)
        probs = self._paraphrase_probs(stmts, neighbours, matcher)
        for k, st in enumerate(stmts):
            sid = first + k
            self.statements.append(st)
            self.articles[pos].statements.append(sid)
            self._changed_statements.add(sid)
            self._assign(sid, vecs[k], neighbours[k], probs)
            self._append_vectors(vecs[k : k + 1])  # row `sid`
        self._embed = None
        keep = self._n - RECENT  # clause vectors of older statements are recomputed if needed
        for old in [x for x in self._clause_vecs if x < keep and x not in self._shared_set]:
            del self._clause_vecs[old]

    def set_root(self, article_id: str, root: str) -> None:
        """A copy was found after the fact: re-count the facts the article takes part in."""
        for art in self.articles:
            if art.id == article_id and art.root != root:
                art.root = root
                for sid in art.statements:
                    for j in self.statements[sid].slots():
                        g = self.group_of.get((sid, j))
                        if g is not None:
                            self._changed_groups.add(g)
                            if g in self._memos:  # its backing folds by originals
                                self._memos[g].roots_changed()
                self._verdicts = {}
                return

    def _append_vectors(self, vecs: np.ndarray) -> None:
        self.vecs = append_rows(self.vecs, self._n, vecs)
        self._n += len(vecs)

    def _neighbours(self, vecs: np.ndarray) -> list[list[tuple[int, float]]]:
        """For each new statement, its nearest earlier statements (id, cosine), closest first,
        down to CANDIDATE_COSINE: one product with the story's RECENT latest statements and the
        first members of its facts that several articles share. The search never grows past
        that: an old statement no one repeated is reached through its claim keys only."""
        if self._n == 0:
            return [[] for _ in range(len(vecs))]
        start = max(0, self._n - RECENT)
        older = [sid for sid in self.shared if sid < start]  # facts already shared, kept
        ids = np.concatenate([np.array(older, dtype=np.int64), np.arange(start, self._n)])
        rows = self.vecs[older] if older else np.zeros((0, vecs.shape[1]), np.float32)
        sims = np.hstack([vecs @ rows.T, vecs @ self.vecs[start : self._n].T])
        k = min(NEIGHBOURS, len(ids))
        tops = np.argpartition(-sims, k - 1, axis=1)[:, :k] if k < len(ids) else None
        out: list[list[tuple[int, float]]] = []
        for r, row in enumerate(sims):
            top = tops[r] if tops is not None else range(len(ids))
            found = [(int(ids[i]), float(row[i])) for i in top if row[i] >= CANDIDATE_COSINE]
            out.append(sorted(found, key=lambda x: (-x[1], x[0])))
        return out

    def _paraphrase_probs(
        self,
        stmts: list[Statement],
        neighbours: list[list[tuple[int, float]]],
        matcher: ParaphraseMatcher,
    ) -> dict[tuple[int, int], float]:
        """Matcher probabilities for the most promising uncertain pairs (new index, old id)."""
        uncertain = [
            (cos, k, sid)
            for k, found in enumerate(neighbours)
            for sid, cos in found
            if cos < ACCEPT_COSINE and self._names_compatible(stmts[k], self.statements[sid])
        ]
        uncertain.sort(key=lambda x: (-x[0], x[1], x[2]))
        chosen = uncertain[:MATCHER_PAIRS]
        if not chosen:
            return {}
        probs = matcher.score(
            [stmts[k].text for _, k, _ in chosen], [self.statements[s].text for _, _, s in chosen]
        )
        threshold = matcher.threshold
        return {
            (k, sid): float(p)
            for (_, k, sid), p in zip(chosen, probs.tolist(), strict=True)
            if p >= threshold
        }

    def _assign(
        self,
        sid: int,
        vec: np.ndarray,
        neighbours: list[tuple[int, float]],
        probs: dict[tuple[int, int], float],
    ) -> None:
        """Give each claim of a new statement its fact: the best-matching one it may join,
        or a new one."""
        st = self.statements[sid]
        local = sid - self.articles[st.article].statements[0]
        real = [j for j, k in enumerate(st.claims) if not k.track]
        slots = (real or [-1]) + [j for j, k in enumerate(st.claims) if k.track]
        taken: set[int] = set()
        # The facts of the nearest statements are candidates; the statement joins one only if
        # it paraphrases one of that fact's first members, so a fact never drifts along a
        # chain of look-alikes.
        paraphrase_groups: dict[int, float] = {}
        for other, cos in neighbours:
            o = self.statements[other]
            g = self.group_of.get((other, o.primary))
            if o.article == st.article or g is None:
                continue
            score = self._paraphrase_score(sid, vec, local, g, probs)
            if score <= 0 and self._names_compatible(st, o):
                # a paraphrase of a later member, still close to the fact's founder
                founder = self.groups[g].founder[0]
                shared = _overlap(self._telling(st.names), o.names)
                clause = self._clause_cosine(sid, vec, other, cos)
                near = _paraphrase(st, o, cos, probs.get((local, other), 0.0), shared, clause)
                if near > 0 and float(vec @ self.vecs[founder]) >= ANCHOR_COSINE:
                    score = near
            if score > 0:
                paraphrase_groups[g] = max(paraphrase_groups.get(g, 0.0), 1.0 + score)
        for j in slots:
            best: tuple[float, int] | None = None
            options = dict(paraphrase_groups) if j == st.primary else {}
            if j >= 0 and st.claims[j].track:  # a toll: the story's one fact for it
                found = self._key_candidates(st.claims[j])
                g = self._live(found[0]) if found else self._new_group((sid, j))
                if found:
                    self._join(g, (sid, j))
                taken.add(g)
                self._index_keys(g, (sid, j))
                continue
            if j >= 0:
                for g in self._key_candidates(st.claims[j]):
                    s = self._claim_score(sid, vec, j, g)
                    if s > options.get(g, 0.0):
                        options[g] = s
            fitting = []
            for g, score in sorted(options.items()):
                g = self._live(g)
                if g in taken or not self._may_join(st, j, self.groups[g]):
                    continue  # one claim of a statement per fact
                fitting.append((score, g))
                if best is None or score > best[0]:
                    best = (score, g)
            if best is None:
                g = self._new_group((sid, j))
            else:
                g = best[1]
                self._join(g, (sid, j))
                # A statement that fits two facts firmly shows they are one: merge them.
                for score, other in sorted(set(fitting), key=lambda x: (-x[0], x[1])):
                    other = self._live(other)
                    if other != g and score >= MERGE_SCORE and self._mergeable(g, other):
                        self._merge(g, other)
            taken.add(g)
            self._index_keys(g, (sid, j))
        # Further facts the statement paraphrases take it as a member too.
        extra = iter(range(-2, -2 - EXTRA, -1))
        for g, _ in sorted(paraphrase_groups.items(), key=lambda x: (-x[1], x[0])):
            g = self._live(g)
            if g in taken or self._differs(st, self.groups[g]):
                continue
            if not self._may_join(st, -2, self.groups[g]):  # only its time is checked
                continue
            slot = next(extra, None)
            if slot is None:
                break
            self._join(g, (sid, slot))
            taken.add(g)

    def _clause_rows(self, sid: int, vec: np.ndarray) -> np.ndarray:
        """A statement's vector (`vec`) over its clauses' vectors (computed once, rounded as
        stored vectors are)."""
        found = self._clause_vecs.get(sid)
        if found is None:
            st = self.statements[sid]
            texts = [st.text[a:b] for a, b in st.spans]
            embed = self._embed
            if texts and embed is None:  # no embedder now: the statement alone, unkept
                return vec[None, :]
            clauses = (
                embed(texts).astype(np.float16).astype(np.float32)
                if texts and embed is not None
                else np.zeros((0, self.vecs.shape[1]), np.float32)
            )
            found = self._clause_vecs[sid] = np.vstack([vec[None, :], clauses])
        return found

    def _clause_cosine(self, sid: int, vec: np.ndarray, other: int, cos: float) -> float:
        """The closest pair of clauses (or statements) of two statements, for candidates that
        are neither far apart nor already close as wholes."""
        if not CANDIDATE_COSINE <= cos < ACCEPT_COSINE:
            return 0.0
        a, b = self._clause_rows(sid, vec), self._clause_rows(other, self.vecs[other])
        if len(a) == 1 and len(b) == 1:
            return cos
        return float((a @ b.T).max())

    def _paraphrase_score(
        self,
        me: int,
        vec: np.ndarray,
        local: int,
        g: int,
        probs: dict[tuple[int, int], float],
    ) -> float:
        """How surely a new statement paraphrases a fact: its best paraphrase score against
        the fact's first members that stand for their whole statement."""
        best = 0.0
        st = self.statements[me]
        for sid, j in self.groups[g].members[:REPS]:
            other = self.statements[sid]
            if j != other.primary or other.article == st.article or sid >= self._n:
                continue
            if not self._names_compatible(st, other):
                continue
            shared = _overlap(self._telling(st.names), other.names)
            cos = float(vec @ self.vecs[sid])
            clause = self._clause_cosine(me, vec, sid, cos)
            prob = probs.get((local, sid), 0.0)
            best = max(best, _paraphrase(st, other, cos, prob, shared, clause))
        return best

    def _index_keys(self, g: int, member: Member) -> None:
        """File a fact under its new member's claim keys (replayed in arrival order on load,
        so a reloaded index finds the same candidates)."""
        sid, j = member
        if j < 0:
            return
        half = KEY_CANDIDATES // 2
        for key in self.statements[sid].claims[j].index_keys():
            bucket = self.keys.setdefault(key, [])
            if g not in bucket[:half] and g not in bucket[-half:]:
                bucket.append(g)

    def _telling(self, names: frozenset[str]) -> frozenset[str]:
        """The names that tell statements of this story apart: not those that half or more of
        its articles mention ("OpenAI" in a story about OpenAI)."""
        found = self._telling_cache.get(names)
        if found is None:
            limit = max(2.0, COMMON_NAME_SHARE * len(self.articles))
            found = frozenset(x for x in names if self.name_df[x] < limit)
            self._telling_cache[names] = found
        return found

    def _names_compatible(self, a: Statement, b: Statement) -> bool:
        """Statements that both name telling participants share at least one, spelt alike
        up to doubled letters ("Auxillia" / "Auxilia")."""
        ta, tb = self._telling(a.names), self._telling(b.names)
        return not (ta and tb) or _overlap(ta, tb) or _overlap(_undoubled(ta), _undoubled(tb))

    def _key_candidates(self, claim: ClaimKey) -> list[int]:
        found: list[int] = []
        half = KEY_CANDIDATES // 2
        for key in claim.index_keys():
            bucket = self.keys.get(key, [])
            for g in bucket[:half] + bucket[-half:]:
                if g not in found:
                    found.append(g)
        return found

    def _claim_score(self, me: int, vec: np.ndarray, j: int, g: int) -> float:
        """How well claim j of a new statement matches a fact: its best match among the
        fact's first members, whose statements (or a clause of each: a claim told inside
        longer sentences) must be CLAIM_COSINE close; a claim about generic participants needs
        a shared name or NAME_COSINE. Both gates read one closeness: the statements', or their
        closest clauses' where the statements are below the higher gate."""
        best = 0.0
        st = self.statements[me]
        for sid, cj in self.groups[g].members[:REPS]:
            if cj < 0 or sid >= self._n:  # not a claim, or the new statement's own claim
                continue
            other = self.statements[sid]
            score = claims_match(st.claims[j], other.claims[cj])
            if score <= 0:
                continue
            cos = float(vec @ self.vecs[sid])
            if cos < NAME_COSINE:
                cos = max(cos, self._clause_cosine(me, vec, sid, cos))
            a, b = st.claims[j], other.claims[cj]
            named = _overlap(a.agent_names | a.patient_names, b.agent_names | b.patient_names)
            if cos < CLAIM_COSINE or (
                not named and not st.names & other.names and cos < NAME_COSINE
            ):
                continue
            best = max(best, score)
        return best

    def _may_join(self, st: Statement, j: int, group: _Group) -> bool:
        """The checks that keep a statement out of a fact: a statement of another time than
        the fact's (`_era`: "Gilbert made landfall in 1988" beside this storm's landfall);
        the same figure stated with an overlapping but different value at the same time
        ("at least 50" and "73" in one hour's reports are neither agreement nor
        contradiction)."""
        era = self._era(st)
        for sid, _ in group.members[:REPS]:
            theirs = self._era(self.statements[sid])
            if era is not None and theirs is not None and theirs != era:
                return False  # background of another time never joins a fact of this one
        mine = st.values_for(j)
        if not mine:
            return True
        when = self.articles[st.article].published
        for sid, cj in group.members[:REPS]:
            other = self.statements[sid]
            pair = figure_disagreement(mine, other.values_for(cj))
            if pair is None:
                continue
            a, b = pair
            same_time = self.articles[other.article].published == when
            if a.agrees(b) and same_time:
                return False
        return True

    def _era(self, st: Statement) -> str | None:
        """The earlier time a statement dates itself to, "" if its report's own, None if its
        page is undated: a year before the report's ("the Titanic sank in 1912", "in
        September 2019") or a day or month ended BACKGROUND_DAYS before it. Such a line is
        background; it corroborates only lines of that same year. A span up to now ("has not
        won a title since 1966") is no earlier time."""
        published = self.articles[st.article].published[:10]
        if not published:
            return None
        if not st.date or _since(st):
            return ""
        if st.date[:4] < published[:4]:
            return st.date[:4]
        if len(st.date) == 4 or len(published) < 10:
            return ""
        try:
            day = date.fromisoformat(st.date if len(st.date) == 10 else f"{st.date}-28")
            gap = (date.fromisoformat(published) - day).days
        except ValueError:
            return ""
        return st.date[:4] if gap > BACKGROUND_DAYS else ""

    def _differs(self, st: Statement, group: _Group) -> bool:
        """The statement gives another figure for something the fact's first members count:
        it may not join the fact as an extra (figure-less) member."""
        return any(
            figure_disagreement(st.values, self.statements[sid].values_for(cj)) is not None
            for sid, cj in group.members[:REPS]
        )

    def _live(self, g: int) -> int:
        """The fact a (possibly merged) fact now lives in."""
        while g in self.merged:
            g = self.merged[g]
        return g

    def _mergeable(self, g: int, other: int) -> bool:
        """Two facts whose founders are close, name compatible participants and give no
        different figure for one thing."""
        fa, fb = self.groups[g].founder, self.groups[other].founder
        a, b = self.statements[fa[0]], self.statements[fb[0]]
        if float(self.vecs[fa[0]] @ self.vecs[fb[0]]) < ANCHOR_COSINE:
            return False
        if not self._names_compatible(a, b):
            return False
        return figure_disagreement(a.values_for(fa[1]), b.values_for(fb[1])) is None

    def _merge(self, g: int, other: int) -> None:
        """Fold fact `other` into fact `g` (its id disappears, its members stay cited)."""
        keep, gone = self.groups[g], self.groups[other]
        for member in gone.members:
            if member not in keep.members:
                keep.members.append(member)
            self.group_of[member] = g
        keep.articles |= gone.articles
        self._changed_statements.update(sid for sid, _ in self._dropped.pop(other, []))
        self.merged[other] = g
        self._removed_groups.add(other)
        self._memos.pop(other, None)
        gone.members, gone.articles = [], set()
        self._changed_groups.add(g)
        self._dirty_groups |= {g, other}
        self._unfiled |= {g, other}
        for sid, _ in keep.members:
            self._changed_statements.add(sid)

    def _new_group(self, member: Member) -> int:
        g = len(self.groups)
        self.groups.append(_Group(g, member, [member], {self.statements[member[0]].article}))
        self.group_of[member] = g
        self._new_groups.add(g)
        self._dirty_groups.add(g)
        return g

    def _join(self, g: int, member: Member) -> None:
        group = self.groups[g]
        group.members.append(member)
        group.articles.add(self.statements[member[0]].article)
        self.group_of[member] = g
        self._changed_groups.add(g)
        self._dirty_groups.add(g)
        self._unfiled.add(g)
        if len(group.articles) == 2:  # the founder's statement is now covered by a fact
            for sid, _ in group.members:
                self._changed_statements.add(sid)
        if len(group.articles) >= 2:  # a shared fact: its first members stay searchable
            for sid, _ in group.members[:REPS]:
                if sid not in self._shared_set:
                    self._shared_set.add(sid)
                    self.shared.append(sid)

    # -- reading out ------------------------------------------------------

    def _covered(self, sid: int) -> bool:
        """Whether a shared fact cites the statement (one that gives another figure of the
        fact's thing is left out of it, and stands alone unless another fact cites it)."""
        st = self.statements[sid]
        for j in st.slots():
            g = self.group_of.get((sid, j))
            if g is not None and len(self.groups[g].articles) > 1 and (sid, j) in self._kept(g):
                return True
        return False

    def _kept(self, g: int) -> set[Member]:
        return self._verdict_of(g)[1]

    def _track_dropped(self, g: int) -> None:
        """Note which members a changed fact leaves out (another figure of its thing): those
        statements, and those it left out before, may now stand alone or be cited again."""
        group = self.groups[g]
        kept = self._kept(g) if len(group.articles) > 1 else set(group.members)
        now = sorted(m for m in group.members if m not in kept)
        before = self._dropped.get(g, [])
        if now != before:
            self._changed_statements.update(sid for sid, _ in [*before, *now])
            self._dropped[g] = now
            self._dirty_groups.add(g)

    def change_values(self, art: int) -> list[Value]:
        """The figures an article gives in sentences that tell a change (cached, as
        `article_values`)."""
        found = self._change_values.get(art)
        if found is None:
            found = self._change_values[art] = [
                v
                for sid in self.articles[art].statements
                if tells_change(self.statements[sid].text)
                for v in self.statements[sid].values
            ]
        return found

    def _unchanged_values(self, art: int) -> Iterator[tuple[int, Value]]:
        """(statement, figure) of an article outside sentences that tell a change."""
        for sid in self.articles[art].statements:
            if not tells_change(self.statements[sid].text):
                for v in self.statements[sid].values:
                    yield sid, v

    def article_values(self, art: int) -> list[Value]:
        """The figures an article gives outside sentences that tell a change (cached: an
        article's statements never change)."""
        found = self._article_values.get(art)
        if found is None:
            found = self._article_values[art] = [v for _, v in self._unchanged_values(art)]
        return found

    def told_values(self, art: int) -> list[Value]:
        """The figures an article gives as its current counts: outside sentences that tell a
        change, and neither a part of the whole nor a replaced figure (cached)."""
        found = self._told_values.get(art)
        if found is None:
            found = self._told_values[art] = [
                v for sid, v in self._unchanged_values(art) if not _scoped(self, (sid, -1), v)
            ]
        return found

    def _verdict_of(self, g: int) -> tuple[Fact, set[Member]]:
        found = self._verdicts.get(g)
        if found is None:
            memo = self._memos.setdefault(g, _Memo())
            found = self._verdicts[g] = _verdict(self, self.groups[g], memo)
        return found

    def _roots(self) -> list[str]:
        return [a.root for a in self.articles]

    def fact_of_group(self, g: int) -> Fact:
        """The fact a group of statements makes, with its verdict (outside a read-out, as
        its members are now)."""
        return self._verdict_of(g)[0]

    def fact_of_statement(self, sid: int) -> Fact:
        """A statement no other article shares, as a single-source fact."""
        st = self.statements[sid]
        art = self.articles[st.article]
        return Fact(
            id=_fact_id("s", art.id, st),
            text=st.text,
            status="single",
            sources=[art.source] if art.source else [],
            independent_sources=1,
            citations=[Citation(art.id, st.sentence, art.source, st.text)],
            origin=st.conduit or st.origin,
            date=st.date,
        )

    def _file_twins(self) -> None:
        """File the shared facts whose members changed by the statements they take in. A
        sentence stating two claims ("a coach crashed ..., killing 12": the crash and the toll)
        founds a fact for each, and a sentence stating both again joins both: two facts of the
        same statements, which read out as one line twice (`_stands` keeps one). The facts
        that were or now are twins of a refiled one may read out otherwise (`pop_changes`)."""
        for g in sorted(self._unfiled):
            old = self._twin_key.pop(g, None)
            if old is not None:
                twins = self._twins[old]
                twins.discard(g)
                self._twin_changed |= twins
                if not twins:
                    del self._twins[old]
            group = self.groups[g]
            if g in self.merged or len(group.articles) < 2:
                continue
            key = self._twin_key[g] = frozenset(s for s, _ in group.members)
            twins = self._twins.setdefault(key, set())
            self._twin_changed |= twins
            twins.add(g)
        self._unfiled = set()

    def _twins_of(self, g: int) -> set[int]:
        return self._twins.get(self._twin_key.get(g, frozenset()), set())

    def _stands(self, g: int) -> bool:
        """Whether a shared fact is read out: not when it restates a step of a toll that
        changed (`_restates_step`); of facts that take in and cite the same statements, one
        claim each, only the first in briefing order (one claim, one line)."""
        if self._restates_step(g):
            return False
        twins = self._twins_of(g)
        if len(twins) < 2:
            return True
        cited = {s for s, _ in self._kept(g)}
        alike = [h for h in twins if {s for s, _ in self._kept(h)} == cited]
        return min(alike, key=lambda h: sort_key(self.fact_of_group(h), h)) == g

    def _restates_step(self, g: int) -> bool:
        """Whether a shared fact only tells again one value of a toll that changed ("rose to
        six", backed by the two pages that gave six, beside the toll's fact "four, then
        six"): its own claim counts what the toll counts, and every figure of its shown
        statement is of a toll whose fact is an `update` citing every statement this fact
        cites. That fact shows the value, with its sources, in its sequence; one toll, one
        line."""
        fact = self.fact_of_group(g)
        if fact.status in ("update", "conflict"):
            return False
        cited = {s for s, _ in self._kept(g)}
        sid = next((s for s in sorted(cited) if self.statements[s].text == fact.text), -1)
        if sid < 0 or not self.statements[sid].values:
            return False
        shown = self.statements[sid]
        covered: list[Value] = []  # figures of the shown statement that such a fact gives
        tolls: set[str] = set()  # what those facts count ("kill")
        for j, claim in enumerate(shown.claims):
            h = self.group_of.get((sid, j)) if claim.track else None
            h = self._live(h) if h is not None else g
            if h == g or len(self.groups[h].articles) < 2:
                continue
            if self.fact_of_group(h).status == "update" and cited <= {s for s, _ in self._kept(h)}:
                covered += shown.claim_values[j]
                tolls.add(claim.verb.removeprefix(TRACK))
        # The fact's own claim is that toll's ("people killed ... rose to six"), not another
        # told beside it ("police arrested the driver as the toll rose to 11").
        fsid, fj = self.groups[g].founder
        founder = self.statements[fsid].claims
        if not (0 <= fj < len(founder) and founder[fj].verb in tolls):
            return False
        return all(any(v.one_count(w) for w in covered) for v in shown.values)

    def _toll_neighbours(self, changed: list[int]) -> set[int]:
        """The facts sharing a statement with a changed toll fact: whether they restate one
        of its steps (`_restates_step`) may have changed."""
        out: set[int] = set()
        for g in changed:
            members = self.groups[g].members
            if not members or not self._is_toll(members[0]):
                continue
            for sid, _ in members:
                for j in self.statements[sid].slots():
                    h = self.group_of.get((sid, j))
                    if h is not None and h not in self.merged and h != g:
                        out.add(h)
        return out

    def _is_toll(self, m: Member) -> bool:
        claims = self.statements[m[0]].claims
        return 0 <= m[1] < len(claims) and claims[m[1]].track

    def facts(self) -> list[Fact]:
        """Every fact of the story, in briefing order."""
        self._verdicts = {}
        self._file_twins()
        try:
            out = [
                (self.fact_of_group(g.seq), g.seq)
                for g in self.groups
                if len(g.articles) > 1 and self._stands(g.seq)
            ]
            out += [
                (self.fact_of_statement(sid), self.group_of[_first(self, sid)])
                for sid in range(len(self.statements))
                if not self._covered(sid)
            ]
        finally:
            self._verdicts = {}  # a verdict holds only while the members stay as they are
        return [f for f, _ in sorted(out, key=lambda x: sort_key(x[0], x[1]))]

    def pop_changes(self) -> tuple[list[tuple[Fact, int]], list[str]]:
        """The facts to write since the last call, each with its sort key, and the ids of
        facts that no longer exist (a statement now cited by a shared fact)."""
        upserts: list[tuple[Fact, int]] = []
        removed: list[str] = []
        changed = sorted((self._changed_groups | self._new_groups) - set(self.merged))
        self._file_twins()
        twins = self._twin_changed.union(*(self._twins_of(g) for g in changed))
        twins |= self._toll_neighbours(changed)
        self._verdicts = {}
        try:
            for g in changed:
                self._track_dropped(g)
            for g in sorted(self._removed_groups):
                founder = self.groups[g].founder
                st = self.statements[founder[0]]
                removed.append(_fact_id("g", self.articles[st.article].id, st, founder[1]))
            for g in sorted((twins | set(changed)) - set(self.merged)):
                if len(self.groups[g].articles) > 1:
                    fact = self.fact_of_group(g)
                    if self._stands(g):
                        upserts.append((fact, sort_key(fact, g)))
                    else:
                        removed.append(fact.id)
            for sid in sorted(self._changed_statements):
                st = self.statements[sid]
                fact_id = _fact_id("s", self.articles[st.article].id, st)
                if self._covered(sid):
                    removed.append(fact_id)
                else:
                    fact = self.fact_of_statement(sid)
                    seq = self.group_of[_first(self, sid)]
                    upserts.append((fact, sort_key(fact, seq)))
        finally:
            self._verdicts = {}  # a verdict holds only while the members stay as they are
        self._changed_groups, self._changed_statements, self._new_groups = set(), set(), set()
        self._removed_groups, self._twin_changed = set(), set()
        return upserts, removed

    def independent_reports(self) -> int:
        """Independent sources of the whole story: outlets after copies fold."""
        return _components([(*_org_wire(a.outlet), a.root) for a in self.articles])

    # -- state ------------------------------------------------------------

    def state_delta(self) -> tuple[dict[str, Any], list[tuple[int, Any]], list[tuple[int, Any]]]:
        """(header, new article rows, changed group rows) to write after a batch."""
        arts = [(pos, self._article_state(pos)) for pos in self._new_articles]
        groups = [
            (
                g,
                {
                    "founder": list(self.groups[g].founder),
                    "members": self.groups[g].members,
                    "merged_into": self.merged.get(g),
                    "dropped": self._dropped.get(g, []),
                },
            )
            for g in sorted(self._dirty_groups)
        ]
        self._new_articles, self._dirty_groups = [], set()
        header = {
            "roots": {a.id: a.root for a in self.articles if a.root != a.id},
            "n_articles": len(self.articles),
            "n_groups": len(self.groups),
            "name_df": dict(self.name_df),
            "shared": self.shared,
        }
        return header, arts, groups

    def _article_state(self, pos: int) -> dict[str, Any]:
        art = self.articles[pos]
        rows = art.statements
        vecs = self.vecs[rows[0] : rows[-1] + 1] if rows else np.zeros((0, 0), np.float32)
        return {
            "id": art.id,
            "source": art.source,
            "outlet": art.outlet,
            "published": art.published,
            "statements": [_statement_state(self.statements[s]) for s in rows],
            "vectors": base64.b64encode(vecs.astype("<f2").tobytes()).decode("ascii"),
            "dim": int(vecs.shape[1]) if rows else 0,
        }

    @classmethod
    def from_state(
        cls, header: dict[str, Any], articles: Iterable[Any], groups: Iterable[Any]
    ) -> StoryFacts:
        """Rebuild from a stored header, article rows (in order) and group rows (in order)."""
        index = cls()
        index.name_df = Counter(header.get("name_df", {}))
        index.shared = [int(x) for x in header.get("shared", [])]
        index._shared_set = set(index.shared)
        roots = header.get("roots", {})
        for pos, data in enumerate(articles):
            art = _Article(
                data["id"],
                data["source"],
                data["outlet"],
                data["published"],
                roots.get(data["id"], data["id"]),
            )
            index.articles.append(art)
            first = len(index.statements)
            for k, s in enumerate(data["statements"]):
                index.statements.append(_statement_from_state(s, pos))
                art.statements.append(first + k)
            if data["statements"]:
                raw = base64.b64decode(data["vectors"])
                vecs = np.frombuffer(raw, dtype="<f2").reshape(-1, data["dim"])
                index._append_vectors(vecs.astype(np.float32))
        for g, data in enumerate(groups):
            members = [(int(s), int(c)) for s, c in data["members"]]
            group = _Group(
                g,
                (int(data["founder"][0]), int(data["founder"][1])),
                members,
                {index.statements[s].article for s, _ in members},
            )
            index.groups.append(group)
            if data.get("merged_into") is not None:
                index.merged[g] = int(data["merged_into"])
            if data.get("dropped"):
                index._dropped[g] = [(int(s), int(c)) for s, c in data["dropped"]]
            for m in members:
                index.group_of[m] = g
        for m in sorted(index.group_of):  # statement ids grow with arrival
            index._index_keys(index.group_of[m], m)
        index._unfiled = set(range(len(index.groups)))
        index._file_twins()
        index._twin_changed = set()  # what the store holds already reads them out
        return index


def _first(index: StoryFacts, sid: int) -> Member:
    st = index.statements[sid]
    return (sid, 0 if st.claims else -1)


def sort_key(fact: Fact, seq: int) -> int:
    """Briefing order as one integer: status, then most independent sources, then the order
    the facts were first reported in."""
    return (
        STATUS_RANK[fact.status] * 10**12
        + (10**5 - min(fact.independent_sources, 10**5 - 1)) * 10**6
        + min(seq, 10**6 - 1)
    )


def _fact_id(kind: str, article_id: str, st: Statement, claim: int = -1) -> str:
    basis = f"{kind}|{article_id}|{st.sentence}|{st.start}|{claim}|{st.text}"
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()[:16]


def _overlap(a: frozenset[str], b: frozenset[str]) -> bool:
    """A name in common, allowing for one cut short or glued to the next word ("lamine
    yamal" / "lamine yamalmarking": the same first word, one the start of the other) and for
    one spelt as the other's initials ("usgs" / "us geological survey")."""
    return bool(a & b) or any(
        (x.split(" ")[0] == y.split(" ")[0] and (x.startswith(y) or y.startswith(x)))
        or _initials(x) == y
        or _initials(y) == x
        for x in a
        for y in b
        if " " in x or " " in y
    )


_LINKING = frozenset({"of", "the", "and", "for", "on", "in", "de", "&"})


@functools.lru_cache(maxsize=4096)
def _initials(name: str) -> str:
    """What a name of several words is abbreviated to: first letters, short words whole
    ("us geological survey" -> "usgs", "world health organization" -> "who"); "" for a
    name of one word, and for initials of two letters ("ap" is no more "andhra pradesh"
    than the agency; "un", "pm" likewise)."""
    words = [w.replace(".", "") for w in name.split(" ") if w not in _LINKING]
    initials = "".join(w if len(w) <= 2 else w[:1] for w in words)
    return initials if len(words) >= 2 and len(initials) >= 3 else ""


def _paraphrase(
    a: Statement, b: Statement, cos: float, prob: float, shared: bool, clause: float = 0.0
) -> float:
    """How surely two statements say the same thing (0: not): very close vectors; the
    matcher's verdict on a close pair; close vectors with a shared name or verb class; close
    enough vectors giving a figure of the same counted thing (agreeing or not: the checks
    decide which); or a clause of each very close with no figure that differs (`clause`, the
    best clause cosine: a claim shared inside longer sentences; never enough to merge facts)."""
    agree = _verb_agreement(a, b)
    if agree < 0:
        return 0.0  # the same action done to someone else ("captured Ghazni" / "... Kandahar")
    same_figure = figures_match(a.values, b.values)
    bonus = 0.1 if same_figure else 0.0  # prefer the fact with the same figure
    if cos >= ACCEPT_COSINE and min(len(a.text.split()), len(b.text.split())) >= SHORT:
        return cos + bonus
    if prob:
        return prob + bonus
    if cos >= SUPPORTED_COSINE and (shared or agree > 0):
        return cos + bonus
    if cos >= NUMBER_COSINE and same_figure:
        return cos + bonus
    if clause >= CLAUSE_COSINE and not figure_disagreement(a.values, b.values):
        return min(clause, MERGE_SCORE - 1.0 - 0.01)
    if cos >= SUPPORTED_COSINE and agree > 0 and figure_disagreement(a.values, b.values):
        return cos  # the same action with another figure: the checks call it
    return 0.0


def _verb_agreement(a: Statement, b: Statement) -> int:
    """+1: some claims of each share a verb class with no participant that differs; -1: they
    share verb classes only with named participants that differ; 0: otherwise."""
    found = 0
    for x in a.claims:
        for y in b.claims:
            if x.verb != y.verb or x.verb in LIGHT_VERBS or x.track:
                continue
            if claims_match(x, y, loose=True) > 0:
                return 1
            if names_clash(x, y):
                found = -1
    return found


def _components(keys: list[tuple[str, ...]]) -> int:
    """Connected components of items that share any key (union-find)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    roots = []
    for item in keys:
        nodes = [f"{i}:{k}" for i, k in enumerate(item) if k]
        for n in nodes[1:]:
            parent[find(n)] = find(nodes[0])
        roots.append(nodes[0] if nodes else "")
    return len({find(r) for r in roots if r})


# ---------------------------------------------------------------- verdicts


def _verdict(index: StoryFacts, group: _Group, memo: _Memo) -> tuple[Fact, set[Member]]:
    """A group's fact and the members it cites (`memo`: what it keeps of them)."""
    memo.update(index, group)
    members = group.members
    stmts = [index.statements[s] for s, _ in members]
    arts = [index.articles[st.article] for st in stmts]
    citations = list(memo.citations)
    # The statement shown is the one most outlets back, among the few best worded.
    backed = [memo.backing[i].count for _, i in memo.shown]
    pick = backed.index(max(backed))
    best, independent = memo.shown[pick][1], backed[pick]
    carried = memo.backing[best].carried
    conflict, updates = _disagreement(index, members, memo)
    # Only the members that back the statement shown can dispute it: a date of another
    # claim filed with it ("deposits of $89.17 billion as of March 8") is no dispute.
    backers = [m for i, m in enumerate(members) if carried[i]]
    if not conflict and not updates:  # another figure of the thing is another fact's
        kept = memo.unclashed(index, members, best)
        stmts, arts = [stmts[i] for i in kept], [arts[i] for i in kept]
        citations, members = [citations[i] for i in kept], [members[i] for i in kept]
        best = kept.index(best)
        backers = [members[i] for i, k in enumerate(kept) if carried[k]]
    disputed = not conflict and not updates and _disputed(index, backers)
    if disputed:
        independent = min(independent, 1)  # they differ on a day, a name or polarity
    status = (
        "conflict"
        if conflict
        else "update"
        if updates
        else "corroborated"
        if independent >= 2
        else "single"
    )
    origins = Counter(st.conduit or st.origin for st in stmts if st.conduit or st.origin)
    dates = [st.date for st in [stmts[best], *stmts] if len(st.date) >= 10]
    founder = index.statements[group.founder[0]]
    fact = Fact(
        id=_fact_id("g", index.articles[founder.article].id, founder, group.founder[1]),
        text=stmts[best].text,
        status=status,
        sources=sorted({a.source for a in arts if a.source}),
        independent_sources=independent,
        citations=citations,
        # the shown sentence's own source, as a reader sees it named there ("Seventeen died,
        # the health office said" is not attributed to the police who said 14)
        origin=stmts[best].conduit
        or stmts[best].origin
        or (origins.most_common(1)[0][0] if origins else ""),
        date=dates[0] if dates and not disputed else "",
        conflict=conflict,
        updates=updates,
    )
    return fact, set(members)


Node = tuple[str, Any]  # a source key of `_Backing`: ("o", org), ("r", root), ("w", group) ...


class _Backing:
    """The independent sources backing one candidate shown statement of a fact: the members
    that carry it (`_carries`, asked once per member), folded by organisation, wire,
    original, conduit and wording group (`_components` of those keys), and with the page
    of an outlet another member's page credits (`_credits`), kept as members arrive."""

    __slots__ = ("carried", "core", "count", "credited", "merged", "outlets", "parent", "shown")

    def __init__(self, shown: int, core: ClaimKey | None) -> None:
        self.shown, self.core = shown, core
        self.carried = bytearray()  # per member looked at: whether it carries the candidate
        self.merged = 0  # wording merges applied
        self.parent: dict[Node, Node] = {}
        self.count = 0  # groups of source keys: the independent sources
        self.credited: dict[str, list[Node]] = {}  # outlet -> groups of pages crediting it
        self.outlets: dict[str, Node] = {}  # outlet -> a group of its pages

    def find(self, x: Node) -> Node:
        parent = self.parent
        if x not in parent:
            parent[x] = x
            self.count += 1
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: Node, b: Node) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[ra] = rb
            self.count -= 1

    def take(self, index: StoryFacts, sid: int, wording: int) -> None:
        """Fold in a member that carries the candidate (`wording`: its wording group)."""
        st = index.statements[sid]
        art = index.articles[st.article]
        org, wire = _org_wire(art.outlet)
        group = self.find(("w", wording))  # one of its own if it shares no wording
        for key in (("o", org), ("x", wire), ("r", art.root), ("c", st.conduit.lower())):
            if key[1]:
                self.union(key, group)
        outlet = _compact(org)  # a page and the outlet it credits, whichever comes first
        self.outlets.setdefault(outlet, group)
        for name in _credits(art.outlet):
            self.credited.setdefault(name, []).append(group)
            if name in self.outlets:
                self.union(self.outlets[name], group)
        for other in self.credited.get(outlet, ()):
            self.union(other, group)


class _Memo:
    """What a fact's verdict keeps of its members, taken in as they arrive (members are only
    ever appended): their wording groups, the SHOWN_CHOICES best worded members (the shown
    candidates) and each candidate's backing. In memory only: a state loaded from the store
    starts a new one from its members; when a member's original changes (a copy found
    late), the candidates and backings are folded again from what the memo knows."""

    __slots__ = (
        "art_set",
        "arts",
        "backing",
        "citations",
        "clashes",
        "classes",
        "ranked",
        "refold",
        "shown",
        "size",
        "wording",
    )

    def __init__(self) -> None:
        self.size = 0  # members taken into `wording`, `citations`, `arts` and `classes`
        self.citations: list[Citation] = []  # per member
        self.arts: list[int] = []  # the members' articles, each once, as they came
        self.art_set: set[int] = set()
        self.classes = _Classes()
        self.clashes: dict[int, tuple[int, list[int]]] = {}  # per shown candidate: `unclashed`
        self.wording = _Wording()
        self.ranked = 0  # members ranked as shown candidates
        self.shown: list[tuple[tuple[bool, bool, bool, int, int], int]] = []  # (rank, member)
        self.backing: dict[int, _Backing] = {}  # per candidate
        self.refold = False  # originals changed: rank and fold every member again

    def roots_changed(self) -> None:
        self.refold = True

    def update(self, index: StoryFacts, group: _Group) -> None:
        members = group.members
        for i in range(self.size, len(members)):
            st = index.statements[members[i][0]]
            self.wording.add(st.text, st.words)
            art = index.articles[st.article]
            self.citations.append(Citation(art.id, st.sentence, art.source, st.text))
            if st.article not in self.art_set:
                self.art_set.add(st.article)
                self.arts.append(st.article)
        self.classes.update(index, members)
        self.size = len(members)
        if self.refold:
            self.shown, self.ranked = [], 0
        for i in range(self.ranked, len(members)):
            sid, slot = members[i]
            st = index.statements[sid]
            art = index.articles[st.article]
            rank = (
                art.root != art.id,
                len(st.text.split()) < 6,
                slot not in (-1, st.primary),  # the fact is its main claim
                len(st.text),
                i,
            )
            if len(self.shown) < SHOWN_CHOICES or rank < self.shown[-1][0]:
                self.shown = sorted([*self.shown, (rank, i)])[:SHOWN_CHOICES]
        self.ranked = len(members)
        chosen = {i for _, i in self.shown}
        self.backing = {i: b for i, b in self.backing.items() if i in chosen}
        self.clashes = {i: c for i, c in self.clashes.items() if i in chosen}
        for i in chosen:
            st, slot = index.statements[members[i][0]], members[i][1]
            core = _core_claim(st, slot) if slot in (-1, st.primary) else None  # a side claim
            backing = self.backing.setdefault(i, _Backing(i, core))
            self._extend(index, members, backing)
        self.refold = False

    def _extend(self, index: StoryFacts, members: list[Member], backing: _Backing) -> None:
        """Bring one candidate's backing up to the members taken in."""
        merges = self.wording.merges
        if self.refold:  # fold again, by the members' originals now
            backing.parent, backing.count = {}, 0
            for i, carries in enumerate(backing.carried):
                if carries:
                    backing.take(index, members[i][0], self.wording.find(i))
        else:
            for a, b in merges[backing.merged :]:
                if ("w", a) in backing.parent:
                    backing.union(("w", a), ("w", b))
        backing.merged = len(merges)
        shown = index.statements[members[backing.shown][0]]
        for i in range(len(backing.carried), self.size):
            sid = members[i][0]
            st = index.statements[sid]
            carries = i == backing.shown or (
                _carries(shown, backing.core, st) and not _contradicts(index, shown, st.article)
            )
            backing.carried.append(carries)
            if carries:
                backing.take(index, sid, self.wording.find(i))

    def unclashed(self, index: StoryFacts, members: list[Member], shown: int) -> list[int]:
        """The members (indices) whose figures do not clash with those of candidate `shown`
        (`_clash`), nor their pages' (`_contradicts`), each member asked once per
        candidate."""
        done, kept = self.clashes.get(shown, (0, []))
        st = index.statements[members[shown][0]]
        for i in range(done, len(members)):
            other = index.statements[members[i][0]]
            if i == shown or not (
                _clash(st.values, other.values)
                or (other.article != st.article and _contradicts(index, st, other.article))
            ):
                kept.append(i)
        self.clashes[shown] = (len(members), kept)
        return kept


def _contradicts(index: StoryFacts, shown: Statement, art: int) -> bool:
    """Whether a page gives, as its current count (`StoryFacts.told_values`), another figure
    of something the shown statement counts, and the shown figure nowhere: a report of four
    dead never backs "six dead", whichever of its sentences joined the fact."""
    if not shown.values or art == shown.article:
        return False
    told = index.told_values(art)
    said = told + index.change_values(art)
    for w in told:
        mine = [v for v in shown.values if v.one_count(w)]
        if mine and not any(_compatible(v, x) for v in mine for x in said if x.one_count(w)):
            return True
    return False


def _core_claim(shown: Statement, slot: int) -> ClaimKey | None:
    """The claim a fact's shown statement stands for: its member claim, else its main one."""
    j = slot if slot >= 0 else shown.primary if slot == -1 else -1
    return shown.claims[j] if 0 <= j < len(shown.claims) else None


def _carries(shown: Statement, core: ClaimKey | None, st: Statement) -> bool:
    """Whether a member backs the fact as a reader sees it (its shown statement), not only a
    side part of it. It must give the figures of the shown main claim (counts, not ordinals or
    clock times): compatibly for the same counted thing, or the same number in other words
    ("five pieces" / "five fragments"); "owns 49% ... and Nadella hinted" is not backed by
    Nadella's hint alone. Then it gives the same figure (not a rounding of it: "about 2,750"
    is not backed by "2,800") of the same counted thing as the shown main claim (a figure of
    a side clause, "stragglers in the 26.2-mile race", is background), or a claim of it
    matches the shown main claim with a participant named on both sides (actor + action:
    "the Taliban seized control of Kandahar" backs "the Taliban have captured ...
    Kandahar"), or it shares SUPPORT_OVERLAP of their content words, or gives
    SUPPORT_CONTAINED of the shown statement's own (a short claim inside a long report). A
    sentence that only shares "Mugabe resigned" with "Mnangagwa was nominated after Mugabe
    resigned" aligns but does not count. A denial ("Israel has not claimed responsibility for
    the attack on the consulate") is backed only by a member that negates too, not by one that
    shares its words ("in response to an Israeli strike on the consulate"). A shown statement
    that joined for another of its claims is backed by a figure of its main clause only (what
    the reader takes it to say): "Abouyaaqoub, a 22-year-old Moroccan, reportedly shouted" is
    not backed by another sentence's "Abouyaaqoub, a 22-year-old Moroccan"."""
    if _clash(shown.values, st.values):
        return False  # another figure for something it counts
    denies = st.negated or any(c.negated for c in st.claims)
    if core is not None and core.main and core.negated and not denies:
        return False
    j = shown.claims.index(core) if core is not None and core in shown.claims else -1
    figures = shown.claim_values[j] if j >= 0 else shown.values
    if core is None and shown.primary >= 0 and shown.claims[shown.primary].main:
        main = shown.claims[shown.primary]
        figures = [
            v for v in figures if v.verb == main.verb or v in shown.claim_values[shown.primary]
        ]
    for v in figures if j >= 0 else []:
        if not v.exact and not any(
            _compatible(v, w) if v.same_thing(w) else (v.unit, v.point) == (w.unit, w.point)
            for w in st.values
        ):
            return False  # a figure of the shown claim that it does not give
    if any(v.same_thing(w) and v.point == w.point for v in st.values for w in figures):
        return True
    if core is not None and not core.track:
        named = core.agent_names | core.patient_names
        for claim in st.claims:
            found = None if claim.track else parties(claim, core)
            if found is not None and (
                found == BOTH_PARTIES or _names_meet(named, claim.agent_names | claim.patient_names)
            ):
                return True
    mine, theirs = _content_words(shown.text), _content_words(st.text)
    shared = len(mine & theirs)
    return shared >= SUPPORT_OVERLAP * max(1, len(mine | theirs)) or (
        len(mine) >= SUPPORT_MIN_WORDS and shared >= SUPPORT_CONTAINED * len(mine)
    )


_DOUBLED = re.compile(r"(\w)\1")


def _undoubled(names: frozenset[str]) -> frozenset[str]:
    """Names with doubled letters made single: a transliteration's spelling varies."""
    return frozenset(_DOUBLED.sub(r"\1", n) for n in names)


def _names_meet(a: frozenset[str], b: frozenset[str]) -> bool:
    """A participant named on both sides, in full on one and in part on the other
    ("Mnangagwa" / "Emmerson Mnangagwa", "lamine yamal" / "lamine yamalmarking")."""
    return _overlap(a, b) or any(
        set(x.split(" ")) <= set(y.split(" ")) or set(y.split(" ")) <= set(x.split(" "))
        for x in a
        for y in b
    )


def _content_words(text: str) -> set[str]:
    """Words that carry content, cut to five letters so inflections meet ("resigned" /
    "resigns")."""
    return {w[:5] for w in _WORD.findall(text.lower()) if len(w) > 2 and w not in _FUNCTION}


def _disputed(index: StoryFacts, members: list[Member]) -> bool:
    """Members (those backing the shown statement) that date their claims to different days,
    name different holders of one title in one claim, or affirm and negate one action. Read
    off parses, these are too often artefacts to show as a conflict ("no electronics were
    considered safe" in a garbled copy), but they withhold corroboration. A titled speaker is
    no holder: "vice president Mnangagwa said Mugabe should resign" does not dispute "Zimbabwe
    president Robert Mugabe resigns"."""
    if all(j >= 0 and index.statements[s].claims[j].track for s, j in members):
        return False
    return bool(
        _date_conflict(index, members)
        or _name_conflict(index, members, same_claim=True)
        or _negation_conflict(index, members)
    )


def shared_wording(texts: list[str]) -> list[str]:
    """For each statement, a key shared with every other statement spun from the same text:
    one that repeats a run of WIRE_RUN words of its wording, quoted words included (one
    agency sentence or photo caption carried by several sites; one speaker's words passed on
    by several outlets: "conduits fold"), or one whose content words mostly come in the same
    order (`near_verbatim`: a light edit that breaks every long run; candidates share a run of
    three content words). Linear in the statements' words (see `_Wording`)."""
    wording = _Wording()
    for text in texts:
        wording.add(text, _Words.of(text))
    return [wording.key(i) for i in range(len(texts))]


@dataclass(slots=True, frozen=True)
class _Words:
    """A statement's content words cut to five letters, in order, and whether its wording
    negates it: what the near-verbatim check compares (kept per statement)."""

    stems: tuple[str, ...]
    negated: bool

    @classmethod
    def of(cls, text: str) -> _Words:
        stems = tuple(
            sys.intern(w[:5])
            for w in _WORD.findall(normalise_apostrophes(text).lower())
            if len(w) > 2 and w not in _FUNCTION
        )
        return cls(stems, negated_text(text))


def _run_keys(text: str) -> set[int]:
    """The statement's runs of WIRE_RUN words (quoted words included), hashed: computed as a
    statement joins a fact, never kept per statement. A run whose content words are all
    capitalised is a name ("of the National Council for the Safeguard of the Homeland"),
    which independent reports share as they share any name: it is no shared wording."""
    raw = _CASED_WORD.findall(normalise_apostrophes(text))
    words = [w.lower() for w in raw]
    plain = [w.islower() and len(w) > 2 and w not in _FUNCTION for w in raw]
    return {
        hash(tuple(words[k : k + WIRE_RUN]))
        for k in range(len(words) - WIRE_RUN + 1)
        if any(plain[k : k + WIRE_RUN])
    }


class _Wording:
    """`shared_wording` of a fact's members kept as they arrive: a member joins the members
    that share a run with it, and those of the earlier ones sharing a run of three content
    words (the first NEAR_BUCKET per run) that it repeats near verbatim. Every link depends
    only on the members before it, so the groups are those of all members at once, and a
    new member costs its own words, not the fact's."""

    __slots__ = ("first", "merges", "negated", "parent", "seen", "shared", "stems")

    def __init__(self) -> None:
        self.parent: list[int] = []
        self.first: dict[int, int] = {}  # a run of words -> the first member with it
        self.seen: dict[tuple[str, ...], list[int]] = {}  # three stems -> members with them
        self.shared: set[int] = set()  # members of a group of two or more
        self.stems: list[tuple[str, ...]] = []
        self.negated: list[bool] = []
        self.merges: list[tuple[int, int]] = []  # (group, group it joined), in order

    def find(self, x: int) -> int:
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def key(self, i: int) -> str:
        return f"w{self.find(i)}" if i in self.shared else ""

    def _join(self, i: int, other: int) -> None:
        a, b = self.find(i), self.find(other)
        if a != b:
            self.parent[a] = b
            self.merges.append((a, b))
            self.shared |= {i, other}

    def add(self, text: str, words: _Words) -> None:
        j = len(self.parent)
        self.parent.append(j)
        self.stems.append(words.stems)
        self.negated.append(words.negated)
        for run in _run_keys(text):
            self._join(j, self.first.setdefault(run, j))
        stems = words.stems
        if len(stems) < NEAR_MIN:
            return
        tried: set[int] = set()
        mine = frozenset(stems)
        for k in range(len(stems) - 2):
            bucket = self.seen.setdefault(stems[k : k + 3], [])
            for i in bucket:
                if i in tried:
                    continue
                tried.add(i)
                if self.negated[i] != words.negated or self.find(i) == self.find(j):
                    continue  # "was killed" / "was not killed": the edit is the news
                theirs = self.stems[i]
                if near_verbatim(theirs, stems, frozenset(theirs), mine):
                    self._join(j, i)
            if len(bucket) < NEAR_BUCKET and (not bucket or bucket[-1] != j):
                bucket.append(j)


def near_verbatim(
    a: tuple[str, ...], b: tuple[str, ...], sa: frozenset[str], sb: frozenset[str]
) -> bool:
    """Two statements whose content words (five-letter stems) are mostly the same, in the
    same order: NEAR_SHARE of the shorter's in a common subsequence, at least NEAR_MIN of
    them ("The bank had $110 billion in assets at the end of last year" / "... at the end of
    2022": one text lightly edited). Independent reports of one fact rarely keep another's
    word order this closely."""
    short = min(len(a), len(b))
    if short < NEAR_MIN or len(sa & sb) < NEAR_SHARE * min(len(sa), len(sb)):
        return False
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for k, y in enumerate(b):
            cur.append(prev[k] + 1 if x == y else max(prev[k + 1], cur[k]))
        prev = cur
    return prev[-1] >= NEAR_SHARE * short


def _disagreement(
    index: StoryFacts, members: list[Member], memo: _Memo
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(conflict, updates) of a fact: figures that changed over time become updates; figures
    of one counted thing that differ at one time, and days, names or polarity that differ
    between two members whose claims match, are a conflict (such differences between members
    of unmatched claims only withhold corroboration: see `_disputed`).

    A figure changed over time when its reports are dated apart, when one is an "at least",
    or when it is a toll whose reports are not all dated (tolls grow while a story unfolds);
    another figure at one time (a delay of 82 or 80 minutes, a magnitude of 6.3 or 6.4, 13
    or 12 dead in two reports of one day) is a conflict. Both need the figures to be of one
    thing (`_conflict_pair`, `_steps`); otherwise the fact shows neither, and its members
    with another figure are left out of it (`_verdict`). `memo`: the fact's kept answers
    (value classes, side-by-side pages), brought up to its members by `_Memo.update`."""
    things = [t for t in memo.classes.things if len(t.classes) >= 2]
    for thing in things:
        if not _evolves(thing):
            pair = _conflict_pair(index, memo.arts, thing)
            if pair:
                return _conflict_dict(index, "number", pair), []
    if not all(j >= 0 and index.statements[s].claims[j].track for s, j in members):
        for kind, found in (
            ("date", _date_conflict(index, members, same_claim=True)),
            ("name", _name_conflict(index, members, same_claim=True)),
            ("negation", _negation_conflict(index, members, same_claim=True)),
        ):
            if found and not _one_source(index, found[0][1], found[1][1], kind == "date"):
                return _conflict_dict(index, kind, found), []
    for thing in things:
        steps = _steps(index, memo.arts, thing) if _evolves(thing) else []
        if len(steps) >= 2:
            return {}, [_update(index, c) for c in steps]
    return {}, []


def _conflict_pair(index: StoryFacts, arts: list[int], thing: _Thing) -> list[tuple[str, Member]]:
    """Two members that give different current figures for one counted thing of one claim,
    from two independent sources: neither a part of the whole ("12 of them in Hatay") nor a
    figure the sentence replaces ("up from 50"), and no page of the fact (`arts`) giving
    both figures side by side (then they count two things: the two quakes of one day)."""
    apart = _side_by_side(index, arts, thing, 0)
    current = [_firsts(c.current(index), lambda m: _source_sig(index, m)) for c in thing.classes]
    for x, cx in enumerate(thing.classes):
        va = cx.value
        for y, cy in enumerate(thing.classes[x + 1 :], x + 1):
            if (x, y) in apart:
                continue
            for a in current[x]:
                for b in current[y]:
                    if not _one_source(index, a, b) and _same_count(index, a, b, va):
                        return [(va.text, a), (cy.value.text, b)]
    return []


def _steps(index: StoryFacts, arts: list[int], thing: _Thing) -> list[ValueClass]:
    """The steps of one evolving figure, oldest first: partial counts and replaced figures
    left out; none when a page of the fact (`arts`) gives two of the figures side by side
    (two things counted, not one figure's steps); a later lower bound that an earlier,
    higher figure already satisfies ("more than 200" after "265") is no step."""
    kept: list[ValueClass] = []
    at: list[int] = []  # their indices in the thing
    for k, c in enumerate(thing.classes):
        current = c.current(index)
        if current:
            kept.append((c.when, c.value, current))
            at.append(k)
    if len(kept) > 1:
        inside = set(at)
        if any(x in inside and y in inside for x, y in _side_by_side(index, arts, thing, at[0])):
            return []
    steps: list[ValueClass] = []
    for vc in sorted(kept, key=lambda vc: (vc[0], vc[1].point)):
        if any(vc[1].qualified and vc[1].agrees(p[1]) and vc[1].point < p[1].point for p in steps):
            continue
        steps.append(vc)
    return steps


def _scoped(index: StoryFacts, m: Member, value: Value) -> bool:
    """Whether the member gives the figure only as a part or as a replaced figure."""
    st = index.statements[m[0]]
    spans = [
        (i, i + len(v.text))
        for v in st.values
        if v.same_figure(value) and (i := st.text.find(v.text)) >= 0
    ]
    return bool(spans) and all(figure_scope(st.text, a, b) for a, b in spans)


def _side_by_side(
    index: StoryFacts, arts: list[int], thing: _Thing, first: int
) -> set[tuple[int, int]]:
    """The pairs of a thing's figures (indices into `thing.classes`) that some page of the
    fact (`arts`) gives both (in any of its sentences) without telling a change between them:
    they count two things, not one that changed or is disputed (the 7.8 and the 7.5 quake; 8
    dead at a bar and 18 in all). A page that tells elsewhere that this count changed ("the
    casualty figures have been upgraded to 3 killed", a change of the count of class
    `first`) gives its old and new values, not two things. Kept per thing and `first`: only
    new pages and new figures are read."""
    side = thing.sides.get(first)
    if side is None:
        side = thing.sides[first] = _Side()
    values = [c.value for c in thing.classes]
    if side.checked < len(values):
        for art, stated in side.stated.items():
            side.state(index, art, stated, values, side.checked)
    for art in arts[side.arts :]:
        if not _tells_change_of(index, art, values[first]):
            side.stated[art] = set()
            side.state(index, art, side.stated[art], values, 0)
    side.arts, side.checked = len(arts), len(values)
    return side.pairs


class _Side:
    """`_side_by_side` of one thing, kept: the figures (class indices) each page states."""

    __slots__ = ("arts", "checked", "pairs", "stated")

    def __init__(self) -> None:
        self.arts = 0  # pages read
        self.checked = 0  # classes each page was checked against
        self.stated: dict[int, set[int]] = {}  # per page that tells no change of the count
        self.pairs: set[tuple[int, int]] = set()

    def state(
        self, index: StoryFacts, art: int, stated: set[int], values: list[Value], start: int
    ) -> None:
        """Check a page against the classes from `start` on."""
        found = {
            k
            for v in index.article_values(art)
            for k in range(start, len(values))
            if values[k].same_figure(v)
        }
        for x in found:
            self.pairs.update((min(x, y), max(x, y)) for y in stated | found if y != x)
        stated |= found


def _tells_change_of(index: StoryFacts, art: int, value: Value) -> bool:
    """Whether a page has a sentence that tells a change of a figure of this count."""
    return any(v.one_count(value) for v in index.change_values(art))


def _one_source(index: StoryFacts, a: Member, b: Member, wording: bool = False) -> bool:
    """Two members from one origin: one organisation or agency, a page and the outlet it
    credits, a copy and its original, one conduit, or (`wording`) one text's wording. A
    disagreement between them is a misreading ("yesterday" in a copy resolved against its
    own date), not news; a copy that changes the figure, the name or the polarity it carries
    does tell something."""
    sa, sb = index.statements[a[0]], index.statements[b[0]]
    pa, pb = index.articles[sa.article], index.articles[sb.article]
    (oa, wa), (ob, wb) = _org_wire(pa.outlet), _org_wire(pb.outlet)
    if pa.root == pb.root or (oa and oa == ob) or (wa and wa == wb):
        return True
    if _compact(oa) in _credits(pb.outlet) or _compact(ob) in _credits(pa.outlet):
        return True
    if sa.conduit and sa.conduit.lower() == sb.conduit.lower():
        return True
    return wording and bool(shared_wording([sa.text, sb.text])[0])


def _source_sig(index: StoryFacts, m: Member) -> tuple[Any, ...]:
    """What `_one_source` (without wording) and `_claims_agree` read of a member."""
    st = index.statements[m[0]]
    art = index.articles[st.article]
    return (art.root, art.outlet, st.conduit.lower(), *_claim_sig(index, m))


def _same_count(index: StoryFacts, a: Member, b: Member, value: Value) -> bool:
    """Two members whose figures count for one claim: matching claims, or one toll (the
    same counted people of one event class and holder: `Value.same_thing`)."""
    return bool(value.toll) or _claims_agree(index, a, b)


def _clash(shown: list[Value], values: list[Value]) -> bool:
    """A statement gives figures of something the shown statement counts (`Value.one_count`),
    none of them compatible with the shown ones (`_compatible`). A toll is one count whoever a
    parse names as its holder ("Russia says 40 dead" / "Moscow attack leaves more than 60
    dead")."""
    for w in values:
        mine = [v for v in shown if v.one_count(w)]
        theirs = [x for x in values if w.one_count(x)]
        if mine and not any(_compatible(v, x) for v in mine for x in theirs):
            return True
    return False


def _compatible(a: Value, b: Value) -> bool:
    """The same figure, or a bound that fits the other and is near it ("at least eight" and
    "nine"; not "more than 100 injured" and "2,800 injured": a bound is given near the count).
    A toll is stricter, since it rises while a story unfolds: two different figures are two
    steps of it ("about 2,750" then "2,800" injured; "at least 60" then "at least 100"
    killed), and only a bound near a count ("at least 8" / "9") is the count's."""
    if a.same_value(b):
        return True
    if not (a.toll or b.toll):
        low, high = sorted((abs(a.point), abs(b.point)))
        return (a.qualified or b.qualified) and a.agrees(b) and low >= COMPATIBLE_BOUND * high
    bound, count = (a, b) if a.one_sided else (b, a)
    if not bound.one_sided or count.one_sided or not bound.agrees(count):
        return False
    low, high = sorted((abs(a.point), abs(b.point)))
    return low >= TOLL_BOUND * high


def _evolves(thing: _Thing) -> bool:
    """Whether different figures of one thing read as a sequence rather than a contradiction
    (see `_disagreement`): reports dated apart; else, for counts (not readings such as a
    magnitude or a clock time), an "at least", or a toll where a report is undated."""
    times = [c.when for c in thing.classes]
    if all(times) and len(set(times)) == len(times):
        return True
    if thing.classes[0].value.exact:  # a reading (magnitude 6.3 / 6.4, the 82nd / 86th minute)
        return False
    if any(c.value.qualified for c in thing.classes):
        return True
    if all(times):
        return False
    return any(c.value.toll for c in thing.classes)


ValueClass = tuple[str, Value, list[Member]]  # (first time, value, members stating it)


class _Class:
    """One value of a counted thing and the members stating it: those filed in the first
    pass (`main`, in member order) then those filed later (`later`: a member giving two
    different figures of one kind), as `_Classes` files them."""

    __slots__ = ("checked", "first", "late", "later", "later_seen", "main", "now", "seen", "value")

    def __init__(self, when: str, value: Value, m: Member) -> None:
        self.value = value
        self.first = when  # the earliest time of the `main` members
        self.main, self.seen = [m], {m}
        self.later: list[Member] = []
        self.later_seen: set[Member] = set()  # `later` as a set: filing asks it per figure
        self.late: str | None = None  # the earliest time of the figures filed later
        self.checked = 0  # main members read by `current`
        self.now: list[Member] = []  # those of them not scoped

    @property
    def when(self) -> str:
        return self.first if self.late is None else min(self.first, self.late)

    def current(self, index: StoryFacts) -> list[Member]:
        """The members giving the figure as the count itself (not `_scoped`), in order."""
        for m in self.main[self.checked :]:
            if not _scoped(index, m, self.value):
                self.now.append(m)
        self.checked = len(self.main)
        later = [m for m in self.later if not _scoped(index, m, self.value)]
        return self.now + later if later else list(self.now)


class _Thing:
    """One counted thing of a fact: its value classes (first time first), and its kept
    `_side_by_side` answers."""

    __slots__ = ("classes", "sides")

    def __init__(self, first: _Class) -> None:
        self.classes = [first]
        self.sides: dict[int, _Side] = {}


class _Classes:
    """Members' figures grouped by counted thing, then by value (`Value.one_count`,
    `Value.same_value`; first time first), kept as members arrive. A member giving two
    different figures of one kind ("$110.4 billion in assets and $88.6 billion in deposits")
    cannot say which is which, nor can its sentence's figures of a thing its claim gives none
    of: these only join equal ones, after every other figure is filed (so they are filed
    again when a new value opens). A member that dates its
    figure to an earlier year than the fact's other reports ("the Titanic sank in 1912,
    killing about 1,500") gives background, no value of the figure now (a later year
    arriving files every member again)."""

    __slots__ = ("filed", "later", "opened", "size", "things", "year")

    def __init__(self) -> None:
        self.size = 0  # members filed
        self.year = ""  # the latest year the members report for
        self.things: list[_Thing] = []
        self.later: list[tuple[Member, str, Value]] = []  # figures filed after the others
        self.filed = 0  # of `later`, filed
        self.opened = 0  # classes when `later` was filed

    def update(self, index: StoryFacts, members: list[Member]) -> None:
        new = members[self.size :]
        year = max([self.year, *(_report_year(index, m) for m in new)])
        if year != self.year and self.size:  # file every member again
            self.things, self.later, self.filed, self.opened = [], [], 0, 0
            new = members
        self.year, self.size = year, len(members)
        for m in new:
            st = index.statements[m[0]]
            when = index.articles[st.article].published
            if st.date and st.date[:4] < year:
                continue
            values = st.values_for(m[1])
            for v in values:
                if any(v.one_count(w) and not v.same_value(w) for w in values):
                    self.later.append((m, when, v))
                else:
                    self._open(m, when, v)
            # A figure its sentence gives under another claim ("the number killed in the
            # fire rose to 11": the rise's figure, cited for the killing) states that value.
            self.later += [
                (m, when, v) for v in st.values if not any(v.one_count(w) for w in values)
            ]
        opened = sum(len(t.classes) for t in self.things)
        if opened != self.opened:
            for thing in self.things:
                for c in thing.classes:
                    c.later, c.later_seen, c.late = [], set(), None
            self.filed, self.opened = 0, opened
        for m, when, v in self.later[self.filed :]:
            self._join(m, when, v)
        self.filed = len(self.later)

    def _find(self, v: Value) -> tuple[_Thing | None, _Class | None]:
        """The thing a figure counts (the first that `one_count`s it) and its equal value."""
        for thing in self.things:
            if thing.classes[0].value.one_count(v):
                return thing, next((c for c in thing.classes if c.value.same_value(v)), None)
        return None, None

    def _open(self, m: Member, when: str, v: Value) -> None:
        """File a figure: into its value, else a new value of its thing, else a new thing."""
        thing, c = self._find(v)
        if c is not None:
            if m not in c.seen:
                c.seen.add(m)
                c.main.append(m)
            c.first = min(c.first, when)
        elif thing is not None:
            thing.classes.append(_Class(when, v, m))
        else:
            self.things.append(_Thing(_Class(when, v, m)))

    def _join(self, m: Member, when: str, v: Value) -> None:
        """File a figure only into an equal value of its thing."""
        _, c = self._find(v)
        if c is not None:
            if m not in c.seen and m not in c.later_seen:
                c.later_seen.add(m)
                c.later.append(m)
            c.late = when if c.late is None else min(c.late, when)


def _report_year(index: StoryFacts, m: Member) -> str:
    """The year a member reports for: its statement's date, else its page's publication."""
    st = index.statements[m[0]]
    return (st.date or index.articles[st.article].published)[:4]


def _update(index: StoryFacts, cls: ValueClass) -> dict[str, Any]:
    """One step of a changed figure, its first report cited first (a timeline line reads it)."""
    when, value, ms = cls
    stmts = [index.statements[s] for s, _ in ms]
    stmts.sort(key=lambda st: index.articles[st.article].published)
    arts = [index.articles[st.article] for st in stmts]
    return {
        "value": value.text,
        "number": value.point,
        "time": when,
        "sources": sorted({a.source for a in arts if a.source}),
        "citations": [
            Citation(a.id, st.sentence, a.source, st.text).to_dict()
            for st, a in zip(stmts, arts, strict=True)
        ],
    }


def _conflict_dict(
    index: StoryFacts, kind: str, values: list[tuple[str, Member]]
) -> dict[str, Any]:
    return {
        "kind": kind,
        "values": [
            {
                "value": value,
                "source": index.articles[index.statements[m[0]].article].source,
                "text": index.statements[m[0]].text,
            }
            for value, m in values
        ],
    }


def _member_date(index: StoryFacts, m: Member) -> str:
    """The date a member states for its claim: the claim's own clause date, or for a whole
    statement its first event date ("closed on Sunday", not the Monday of a later clause)."""
    st = index.statements[m[0]]
    return st.claims[m[1]].time if m[1] >= 0 else st.date if m[1] == -1 else ""


def _date_conflict(
    index: StoryFacts, members: list[Member], same_claim: bool = False
) -> list[tuple[str, Member]]:
    """Two members that date their claim to different days (years alone are too often
    background: "after their 2021 Copa victory and the 2022 World Cup"); with `same_claim`,
    only two members whose claims match ("resigned on Monday" / "resigned on Tuesday", not
    "deposits as of March 8" / "closed on Sunday")."""
    dated = [(_member_date(index, m), m) for m in members]
    dated = [(d, m) for d, m in dated if len(d) >= 10]
    found = _first_pair(
        [(d, (d, m)) for d, m in dated],
        lambda da, db: not compatible_dates(da, db),
        lambda a, b: not same_claim or _claims_agree(index, a[1], b[1]),
        (lambda x: (x[0], *_claim_sig(index, x[1]))) if same_claim else None,
    )
    return list(found) if found else []


T = TypeVar("T")
K = TypeVar("K", bound=Hashable)


def _first_pair(
    items: list[tuple[K, T]],
    differ: Callable[[K, K], bool],
    test: Callable[[T, T], bool],
    signature: Callable[[T], Hashable] | None = None,
) -> tuple[T, T] | None:
    """The first pair of items (earlier, later), in the items' order, whose keys `differ`
    and that `test` accepts. Only items of keys that differ from another one are tried (a
    fact's members share a handful of days, names or verbs: the pairs of those come first),
    so a fact whose members agree costs one pass, not one per pair; with `signature` (what
    `differ` and `test` read of an item, see `_firsts`), one item per signature."""
    keys = list(dict.fromkeys(k for k, _ in items))
    apart = {
        pair
        for i, a in enumerate(keys)
        for b in keys[i + 1 :]
        if differ(a, b)
        for pair in ((a, b), (b, a))
    }
    if not apart:
        return None
    involved = {a for a, _ in apart}
    tried = [(k, x) for k, x in items if k in involved]
    if signature is not None:
        tried = _firsts(tried, lambda kx: signature(kx[1]))
    for i, (ka, a) in enumerate(tried):
        for kb, b in tried[i + 1 :]:
            if (ka, kb) in apart and test(a, b):
                return a, b
    return None


def _firsts(items: list[T], signature: Callable[[T], Hashable]) -> list[T]:
    """The first item of each signature, in order: where whether two items make a pair
    depends only on their signatures (and two of one signature never do), a later item of a
    signature cannot make an earlier pair than the first one."""
    seen: set[Hashable] = set()
    out = []
    for x in items:
        sig = signature(x)
        if sig not in seen:
            seen.add(sig)
            out.append(x)
    return out


def _claim_sig(index: StoryFacts, m: Member) -> tuple[bool, ClaimKey | None]:
    """What `_claims_agree` reads of a member."""
    st = index.statements[m[0]]
    return bool(st.claims), _core_claim(st, m[1])


def _claims_agree(index: StoryFacts, a: Member, b: Member) -> bool:
    """Whether two members state one claim: their claims match, or neither statement has a
    parsed claim to tell them apart (whole statements)."""
    sa, sb = index.statements[a[0]], index.statements[b[0]]
    if not sa.claims and not sb.claims:
        return True
    ca, cb = _core_claim(sa, a[1]), _core_claim(sb, b[1])
    return ca is not None and cb is not None and claims_match(ca, cb) > 0


def _takes_part(index: StoryFacts, name: str, m: Member) -> bool:
    """Whether a titled name is a participant of the member's claim (not the speaker who
    said "Mugabe should resign"); true where no claim was parsed."""
    st = index.statements[m[0]]
    core = _core_claim(st, m[1])
    if not st.claims:
        return True
    return core is not None and _overlap(
        frozenset({name.lower()}), core.agent_names | core.patient_names
    )


def _name_conflict(
    index: StoryFacts, members: list[Member], same_claim: bool = False
) -> list[tuple[str, Member]]:
    named = [((t, n), (n, m)) for m in members for t, n in index.statements[m[0]].titles]
    found = _first_pair(
        named,
        lambda ka, kb: ka[0] == kb[0] and not set(ka[1].split()) & set(kb[1].split()),
        lambda a, b: (
            a[1][0] != b[1][0]
            and (
                not same_claim
                or (
                    _claims_agree(index, a[1], b[1])
                    and _takes_part(index, a[0], a[1])
                    and _takes_part(index, b[0], b[1])
                )
            )
        ),
    )
    return list(found) if found else []


def _negation_conflict(
    index: StoryFacts, members: list[Member], same_claim: bool = False
) -> list[tuple[str, Member]]:
    """One member affirms what another negates: the main claims of two statements, of one verb
    class ("has not won a title" and "still in search of a trophy" are no contradiction;
    "devices that had not exploded" negates a clause inside), or two whole statements where
    there is no parse to say which action is negated. Shown as a conflict (`same_claim`) only
    when one sentence denies what the other says (`_restates`); any such pair withholds
    corroboration, and is found on the first pair, whatever the fact's size."""

    def polarity(m: Member) -> tuple[str, bool]:
        st = index.statements[m[0]]
        return (st.claims[m[1]].verb, st.claims[m[1]].negated) if m[1] >= 0 else ("", st.negated)

    stated = [  # an extra slot's polarity is its claims'; a clause inside another is not
        m for m in members if m[1] == -1 or m[1] == index.statements[m[0]].primary
    ]
    found = _first_pair(
        [(polarity(m), m) for m in stated],
        lambda ka, kb: ka[0] == kb[0] and ka[1] != kb[1],
        lambda a, b: (
            not same_claim
            or (
                _claims_agree(index, a, b)
                and _restates(index.statements[a[0]].text, index.statements[b[0]].text)
            )
        ),
        (lambda m: (polarity(m), *_claim_sig(index, m))) if same_claim else None,
    )
    if not found:
        return []
    a, b = found
    pos, neg = (b, a) if polarity(a)[1] else (a, b)
    return [("affirmed", pos), ("negated", neg)]


_NEGATORS = frozenset(  # "don't" is read as "don"
    [
        "not",
        "no",
        "never",
        "nor",
        "none",
        "nobody",
        "nothing",
        "don",
        "won",
        "didn",
        "doesn",
        "isn",
        "wasn",
        "aren",
        "weren",
    ]
)
RESTATED = 0.6  # a denial repeats most of what it denies


def _restates(a: str, b: str) -> bool:
    """Whether one sentence repeats most of the other's content words, negations aside: a
    denial says what it denies ("Wali was killed near the airport" / "Wali was not killed
    near the airport"). Sentences that share a topic but say different things ("we still
    don't know why" / "we'll find out why") are no contradiction: every negation conflict the
    editor's audit read on real pages without this was of that kind."""
    wa, wb = _content_words(a) - _NEGATORS, _content_words(b) - _NEGATORS
    return bool(wa and wb) and len(wa & wb) >= RESTATED * min(len(wa), len(wb))


# ---------------------------------------------------------------- state rows


def _value_state(v: Value) -> list[Any]:
    return [v.thing, v.unit, v.point, v.lo, v.hi, v.holder, v.verb, v.text, v.qualified]


def _value_from(d: list[Any]) -> Value:
    lo = float(d[3]) if d[3] is not None else float("-inf")
    hi = float(d[4]) if d[4] is not None else float("inf")
    return Value(d[0], d[1], float(d[2]), lo, hi, d[5], d[6], d[7], bool(d[8]))


def _finite(x: float) -> float | None:
    return x if np.isfinite(x) else None


def _statement_state(st: Statement) -> dict[str, Any]:
    def vals(values: list[Value]) -> list[list[Any]]:
        out = []
        for v in values:
            row = _value_state(v)
            row[3], row[4] = _finite(v.lo), _finite(v.hi)
            out.append(row)
        return out

    return {
        "s": st.sentence,
        "t": st.text,
        "a": st.start,
        "o": st.origin,
        "c": st.conduit,
        "k": [
            [
                k.verb,
                k.agent,
                k.patient,
                sorted(k.agent_names),
                sorted(k.patient_names),
                sorted(k.places),
                k.negated,
                k.main,
                k.time,
            ]
            for k in st.claims
        ],
        "kv": [vals(v) for v in st.claim_values],
        "v": vals(st.values),
        "n": sorted(st.names),
        "neg": st.negated,
        "d": st.date,
        "p": st.primary,
        "sp": [list(x) for x in st.spans],
    }


def _statement_from_state(d: dict[str, Any], article: int) -> Statement:
    st = Statement(article, d["s"], d["t"], d["a"], d["a"] + len(d["t"]), d["o"], d["c"])
    st.claims = [
        ClaimKey(
            k[0],
            k[1],
            k[2],
            frozenset(k[3]),
            frozenset(k[4]),
            frozenset(k[5]),
            k[6],
            k[7],
            k[8],
        )
        for k in d["k"]
    ]
    st.claim_values = [[_value_from(v) for v in vs] for vs in d["kv"]]
    st.values = [_value_from(v) for v in d["v"]]
    st.names = frozenset(d["n"])
    st.negated = bool(d["neg"])
    st.date = d["d"]
    st.primary = int(d["p"])
    st.spans = [(int(a), int(b)) for a, b in d.get("sp", [])]
    return st


# ---------------------------------------------------------------- one go


def fuse_story(
    articles: list[Article], derivations: list[Derivation], matcher: ParaphraseMatcher
) -> list[Fact]:
    """Facts of one story built in one go (articles in the order given): corroborated first
    (most independent sources), then updates, conflicts, singles."""
    from newsloom.nlp import load_static_embedder

    roots = _roots(articles, derivations)
    index = StoryFacts()
    embed = load_static_embedder().embed
    for art, root in zip(articles, roots, strict=True):
        index.add(art, embed, matcher, root)
    return index.facts()


def independent_reports(articles: list[Article], derivations: list[Derivation]) -> int:
    """Independent sources among a story's articles: outlets (sites), after copies fold."""
    roots = _roots(articles, derivations)
    return _components(
        [(*_org_wire(outlet_key(a)), root) for a, root in zip(articles, roots, strict=True)]
    )


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
