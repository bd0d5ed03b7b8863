"""Group articles into event-level stories, one article at a time.

`article_features` is pure and batched (it can run on any worker); `StoryIndex` is
newsloom's only stateful component. Whether an article and a story report the same event is
one fitted decision: a logistic model over a handful of signals, each the *average link*
of the article with the story's members (the mean over members of a pairwise signal):

- what the text is about: the title+lead embedding and IDF-weighted words of the whole text;
- what the lead says: the words of the headline and first sentences, and the lemmas of its
  verbs (crashed / grounded, captured / fled): two events of one storyline share the
  background that every report repeats, not the lead;
- how many: the numbers (names find candidate stories and weigh among the text's words, but
  have no signal of their own: two events of one storyline share their actors);
- when: the day the lead reports (a lead date resolved against the publication date, else
  the publication date), the weekdays the lead names ("on Friday"), the year the text
  mentions most.

Each pairwise signal is a dot product of per-article vectors (or a count agreement), so the
average over a story's members is one dot product with the story's sum of member vectors:
scoring an article costs the same for a story of 2 or of 2,000 reports. The weights were fit
on pairs of the ECB+ dev topics and the real-web dev half (`scripts/cluster_fit.py`); the
thresholds were chosen on the same dev data by the stories they make.

An article is scored against the stories nearest its embedding among those still active
(one received an article within `window_days` of the newest date seen; in a young stream,
before `settle_docs` reports, every story: see `StoryIndex._window`), and an undated one
also against stories that share its rarest name words (it may belong to any time), so the
cost per article stays flat as the archive grows; it joins the best one at or above `join`,
or starts a story. A single pass decides on what has arrived, so the stories touched since the last
check are re-examined by average link between stories (`consolidate`, a greedy
agglomeration over nearby stories, best pair first, down to `merge`; two stories of
several reports each from `merge_stories`) when they leave the window and at the end of
each run; stories untouched since then are not re-examined, so a run that adds nothing
changes nothing.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import heapq
import json
import math
import re
import threading
import zlib
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from newsloom.errors import StoreError
from newsloom.extract.actions import lead_sentences
from newsloom.models import Article, Link, Story
from newsloom.storylines import StorylineIndex, StoryProfile

if TYPE_CHECKING:
    from newsloom.nlp import Embedder

LEX_BUCKETS = 1 << 20
EMBED_SENTENCES = 3
STATE_VERSION = 4  # of `StoryIndex.to_state`: 4 has average-link sums per channel
NAME_TF = 2
CHANNELS = ("body", "lead", "names", "numbers", "actions")
FEATURES = ("embedding", *CHANNELS, "date", "weekday", "year")
_F = {name: i for i, name in enumerate(FEATURES)}
_CHANNEL = {name: i for i, name in enumerate(CHANNELS)}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY = re.compile(r"\b(" + "|".join(WEEKDAYS) + r")\b", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_][\w'’-]*", re.UNICODE)
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_YEAR = re.compile(r"(?<![\w.,])(?:19[5-9]\d|20[0-4]\d)(?![\w,]|\.\d)")
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-Z][a-z]+(?:\s+[A-Z][a-z]+)*)")
_STOP_WORDS = """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each
    few for from further had has have having he her here hers herself him himself his how
    i if in into is it its itself just me more most my myself no nor not now of off on
    once only or other our ours ourselves out over own same she should so some such than
    that the their theirs them themselves then there these they this those through to too
    under until up very was we were what when where which while who whom why will with
    would you your yours yourself yourselves said says say told according one two new
    year years people time us mr mrs ms would could may might like get got make made
    last first week day days monday tuesday wednesday thursday friday saturday sunday"""
_STOP = frozenset(_STOP_WORDS.split())
_NUMBER = re.compile(r"(?<![\w.])\d[\d,.]*\d(?!\w)|(?<![\w.])\d(?![\w.])")
_EMPTY_IDX = np.zeros(0, dtype=np.int64)
_EMPTY_W = np.zeros(0, dtype=np.float32)
_NO_TERMS = (_EMPTY_IDX, _EMPTY_W)
_NO_WEEKDAYS = np.zeros(7, dtype=np.float32)
_NO_WEEKDAYS.flags.writeable = False  # shared by every retired story whose lead names none

# The fitted decision (scripts/cluster_fit.py --drop names): logit = bias + sum(weight *
# average link). Names are left out: events of one storyline share their actors, and the
# fit without them holds up better on storylines it did not see (`--cv`). Fit on ECB+ dev
# and the 346-page real-web dev half (tenth round).
FITTED_WEIGHTS = {
    "embedding": 5.11,
    "body": 10.85,
    "lead": 6.37,
    "names": 0.0,
    "numbers": 3.61,
    "actions": -0.42,
    "date": 2.35,
    "weekday": 1.4,
    "year": 1.19,
}
FITTED_BIAS = -8.25

Terms = tuple[np.ndarray, np.ndarray]  # sorted hashed term ids, weights (float32)


@dataclass(slots=True)
class Features:
    """What the story index needs from one article (computed once, pure)."""

    article_id: str
    title: str
    embedding: np.ndarray  # (384,) unit vector of title + lead
    terms: dict[str, Terms] = field(default_factory=dict)  # channel -> (ids, sublinear tf)
    entities: frozenset[str] = frozenset()
    places: frozenset[str] = frozenset()
    dates: frozenset[str] = frozenset()
    published: str = ""
    event_days: tuple[str, ...] = ()  # ISO days the lead reports (none if unknown)
    weekdays: tuple[int, ...] = ()  # weekdays the headline and lead name (0 = Monday)
    year: str = ""  # the year the text mentions most (two events of one kind differ here)


def _headline(article: Article) -> str:
    """The headline when it is not part of the text and reads as one (not "Email Print")."""
    title = article.title
    if not title or article.meta.get("title_derived") or len(title.split()) < 3:
        return ""
    return title


def _embed_text(article: Article) -> str:
    """Headline plus the first sentences of running text: what a reader sees first."""
    if article.sentences:
        lead = " ".join(s.text for s in lead_sentences(article, EMBED_SENTENCES))
    else:
        lead = " ".join(article.text.split()[:80])
    headline = _headline(article)
    return f"{headline}. {lead}" if headline else lead


def _lead_text(article: Article) -> str:
    """The headline and the lead sentences (the headline once, however it was given)."""
    lead = " ".join(s.text for s in lead_sentences(article))
    headline = _headline(article)
    return f"{headline}\n{lead}" if headline else lead


def _term_id(term: str) -> int:
    return zlib.crc32(term.encode("utf-8")) % LEX_BUCKETS


def main_year(text: str) -> str:
    """The year mentioned most often in the text ("" if none): dates in the text often
    tell apart two events of one kind (two fires at one chain, two title fights)."""
    years = Counter(_YEAR.findall(text))
    return years.most_common(1)[0][0] if years else ""


def hashed_counts(counts: Counter[str]) -> Terms:
    """Sorted hashed term ids and their sublinear weights (1 + log tf); IDF is applied
    by the index, which learns it from the stream."""
    merged: dict[int, float] = {}
    for term, n in counts.items():
        key = _term_id(term)
        merged[key] = merged.get(key, 0.0) + 1.0 + math.log(n)
    idx = np.fromiter(sorted(merged), dtype=np.int64, count=len(merged))
    tf = np.array([merged[int(i)] for i in idx], dtype=np.float32)
    return idx, tf


def _words(text: str, prefix: str = "") -> Counter[str]:
    return Counter(
        prefix + w for w in (m.group(0).lower() for m in _WORD.finditer(text)) if w not in _STOP
    )


def lexical_signature(text: str, names: frozenset[str] = frozenset()) -> Terms:
    """Content-word counts plus one term per entity name (a name is a telling word of what
    the text is about)."""
    counts = _words(text)
    for name in names:
        counts["name:" + name] += NAME_TF
    return hashed_counts(counts)


def _name_counts(article: Article) -> Counter[str]:
    """Entity names and how often each is mentioned: spaCy mentions when extracted,
    else capitalised word runs that do not open a sentence."""
    if article.mentions:
        return Counter(
            (m.norm or m.text).lower()
            for m in article.mentions
            if m.label not in {"DATE", "TIME", "CARDINAL", "ORDINAL", "QUANTITY", "PERCENT"}
        )
    found: Counter[str] = Counter()
    for sent in article.sentences or []:
        for m in _NAME.finditer(sent.text):
            if m.start() > 0 and m.group(1).lower() not in _STOP:
                found[m.group(1).lower()] += 1
    return found


def event_time(article: Article) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """The days the lead reports and the weekdays it names.

    The days are the dates resolved in the lead that are not after the publication day
    ("on Tuesday" in a Wednesday paper), else the publication day. A lead that names two
    days (a statement on Thursday about Tuesday's crash) keeps both: each counts half.
    An undated article whose lead names "Friday" keeps the weekday.
    """
    published = article.day if _ISO_DAY.fullmatch(article.day) else ""
    lead = {s.index for s in lead_sentences(article)}
    days = {
        t.value[:10]
        for t in article.times
        if t.sentence in lead and t.kind in ("date", "time") and _ISO_DAY.match(t.value)
    }
    if published:
        latest = (dt.date.fromisoformat(published) + dt.timedelta(days=1)).isoformat()
        days = {d for d in days if d <= latest}
    weekdays = {WEEKDAYS.index(m.group(1).lower()) for m in _WEEKDAY.finditer(_lead_text(article))}
    weekdays |= {dt.date.fromisoformat(d).weekday() for d in days}
    if not days and published:
        days = {published}
    return tuple(sorted(days)), tuple(sorted(weekdays))


def article_features(articles: list[Article], embedder: Embedder) -> list[Features]:
    """Features for a batch of articles (one embedder call for the whole batch)."""
    vecs = embedder.embed([_embed_text(a) for a in articles])
    out = []
    for art, vec in zip(articles, vecs, strict=True):
        name_counts = _name_counts(art)
        names = frozenset(name_counts)
        text = f"{art.title}\n{art.text}"
        name_words: Counter[str] = Counter()
        for name, n in name_counts.items():
            for word in name.split():
                name_words["w:" + word] += n
        numbers = Counter("#" + x.replace(",", "") for x in _NUMBER.findall(art.text))
        days, weekdays = event_time(art)
        out.append(
            Features(
                article_id=art.id,
                title=art.title or (art.sentences[0].text if art.sentences else art.text[:80]),
                embedding=np.asarray(vec, dtype=np.float32),
                terms={
                    "body": lexical_signature(text, names),
                    "lead": hashed_counts(_words(_lead_text(art), "l:")),
                    "names": hashed_counts(name_words),
                    "numbers": hashed_counts(numbers),
                    "actions": hashed_counts(Counter("v:" + v for v in art.actions)),
                },
                entities=names,
                places=frozenset(
                    p.name.lower() for p in art.places if p.name and p.form != "embedded"
                ),
                dates=frozenset(t.value[:10] for t in art.times if _ISO_DAY.match(t.value)),
                published=art.published[:10],
                event_days=days,
                weekdays=weekdays,
                year=main_year(text),
            )
        )
    return out


def _day(iso: str) -> int | None:
    try:
        return dt.date.fromisoformat(iso[:10]).toordinal()
    except ValueError:
        return None


# Agreement of two reports' days by their gap: +1 the same day, 0.5 one day apart, -0.5 two,
# -1 three or more (a later development); written as -1 plus a bonus for gaps under three.
_DAY_BONUS = ((0, 2.0), (-1, 1.5), (1, 1.5), (-2, 0.5), (2, 0.5))


def _date_link(a: dict[int, float], b: dict[int, float], b_total: float) -> float:
    """Sum over all pairs of days (one of `a`, one of `b`) of weight × weight × agreement,
    in time linear in `a` (`b_total`: the sum of `b`'s weights)."""
    return sum(
        ca * (sum(bonus * b.get(da + gap, 0.0) for gap, bonus in _DAY_BONUS) - b_total)
        for da, ca in a.items()
    )


def _weekday_vector(weekdays: tuple[int, ...]) -> np.ndarray:
    vec = np.zeros(7, dtype=np.float32)
    if weekdays:
        vec[list(weekdays)] = 1.0 / math.sqrt(len(weekdays))
    return vec


@dataclass(slots=True)
class _Profile:
    """A sum of sparse vectors, capped at its heaviest terms so the cost of scoring stays
    bounded however large the story grows."""

    idx: np.ndarray = field(default_factory=lambda: _EMPTY_IDX)
    w: np.ndarray = field(default_factory=lambda: _EMPTY_W)

    def add(self, idx: np.ndarray, w: np.ndarray, max_terms: int) -> None:
        if not len(idx):
            return
        if not len(self.idx):
            self.idx, self.w = idx.astype(np.int64), w.astype(np.float32)
            return
        keys, inv = np.unique(np.concatenate([self.idx, idx]), return_inverse=True)
        sums = np.bincount(inv, weights=np.concatenate([self.w, w]), minlength=len(keys))
        if len(keys) > max_terms:
            keep = np.sort(np.argpartition(-sums, max_terms - 1)[:max_terms])
            keys, sums = keys[keep], sums[keep]
        self.idx, self.w = keys, sums.astype(np.float32)

    def to_state(self) -> dict[str, list[float]]:
        return {"idx": self.idx.tolist(), "w": [round(float(x), 5) for x in self.w]}

    @classmethod
    def from_state(cls, d: dict[str, list[float]]) -> _Profile:
        return cls(np.array(d["idx"], dtype=np.int64), np.array(d["w"], dtype=np.float32))


class _Packed(Mapping[str, _Profile]):
    """The channel sums of a story that left the window, read-only, in two arrays (ids
    fit 32 bits, weights float16): a fifth of the array headers of five `_Profile`s,
    which outweigh the terms of a story of a few reports. A channel reads as views."""

    __slots__ = ("ends", "idx", "w")

    def __init__(self, sums: Mapping[str, _Profile]) -> None:
        self.idx = np.concatenate([sums[ch].idx for ch in CHANNELS]).astype(np.int32)
        self.w = np.concatenate([sums[ch].w for ch in CHANNELS]).astype(np.float16)
        self.ends = tuple(int(x) for x in np.cumsum([len(sums[ch].idx) for ch in CHANNELS]))

    def __getitem__(self, ch: str) -> _Profile:
        k = _CHANNEL[ch]
        start, end = self.ends[k - 1] if k else 0, self.ends[k]
        return _Profile(self.idx[start:end], self.w[start:end])

    def __iter__(self) -> Iterator[str]:
        return iter(CHANNELS)

    def __len__(self) -> int:
        return len(CHANNELS)


@dataclass(slots=True)
class _Agg:
    """What average links need of a group of articles (one article, or a story's members):
    sums of the members' unit vectors per signal and counts of their days and years.

    A retired story keeps its embedding sum as a float16 unit vector (`vec_sum`, the same
    array as its storyline profile's centroid) and its length (`norm`): see `vector`."""

    n: int = 0
    vec_sum: np.ndarray = field(default_factory=lambda: np.zeros(384, dtype=np.float32))
    norm: float = 1.0  # of the embedding sum, when `vec_sum` is a float16 unit vector
    sums: dict[str, _Profile] | _Packed = field(
        default_factory=lambda: {c: _Profile() for c in CHANNELS}
    )
    days: dict[int, float] = field(default_factory=dict)  # event days (ordinals), weighted
    weekdays: np.ndarray = field(default_factory=lambda: np.zeros(7, dtype=np.float32))
    n_weekdays: int = 0  # members whose lead names a weekday
    years: Counter[str] = field(default_factory=Counter)
    n_days: int = 0  # members with event days

    def vector(self) -> np.ndarray:
        """The sum of the members' embeddings (float32)."""
        if self.vec_sum.dtype == np.float16:
            return self.vec_sum.astype(np.float32) * np.float32(self.norm)
        return self.vec_sum

    def add(self, other: _Agg, max_terms: int, channels: bool = True) -> None:
        self.n += other.n
        self.vec_sum, self.norm = self.vector() + other.vector(), 1.0
        if isinstance(self.sums, _Packed):  # a retired story gains again: sums to grow
            self.sums = dict(self.sums)
        if channels:
            for ch in CHANNELS:
                self.sums[ch].add(other.sums[ch].idx, other.sums[ch].w, max_terms)
        for day, weight in other.days.items():
            self.days[day] = self.days.get(day, 0.0) + weight
        self.weekdays = self.weekdays + other.weekdays
        self.n_weekdays += other.n_weekdays
        self.years.update(other.years)
        self.n_days += other.n_days

    def to_state(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "vec_sum": [round(float(x), 6) for x in self.vector()],
            "sums": {c: p.to_state() for c, p in self.sums.items()},
            "days": {str(k): v for k, v in self.days.items()},
            "weekdays": [round(float(x), 6) for x in self.weekdays],
            "n_weekdays": self.n_weekdays,
            "years": dict(self.years),
            "n_days": self.n_days,
        }

    @classmethod
    def from_state(cls, d: dict[str, Any]) -> _Agg:
        return cls(
            n=d["n"],
            vec_sum=np.array(d["vec_sum"], dtype=np.float32),
            sums={c: _Profile.from_state(p) for c, p in d["sums"].items()},
            days={int(k): v for k, v in d["days"].items()},
            weekdays=np.array(d["weekdays"], dtype=np.float32),
            n_weekdays=d["n_weekdays"],
            years=Counter(d["years"]),
            n_days=d["n_days"],
        )


_SCRATCH = threading.local()


def _dense() -> np.ndarray:
    """A zeroed per-thread buffer over all term buckets: an article's (or story's) sparse
    vector is scattered into it once and each candidate's dot is one gather."""
    buf = getattr(_SCRATCH, "buf", None)
    if buf is None:
        buf = _SCRATCH.buf = np.zeros(LEX_BUCKETS, dtype=np.float32)
    return buf


def link_features_many(a: _Agg, bs: list[_Agg]) -> np.ndarray:
    """`link_features` of `a` against each of `bs` (one row each), `a` scattered once."""
    x = np.zeros((len(bs), len(FEATURES)))
    if not bs:
        return x
    nn = np.array([float(a.n * b.n) for b in bs])
    vec = a.vector()
    x[:, 0] = np.array([float(vec @ b.vector()) for b in bs])
    buf = _dense()
    for k, ch in enumerate(CHANNELS, start=1):
        p = a.sums[ch]
        if not len(p.idx):
            continue
        buf[p.idx] = p.w
        for row, b in enumerate(bs):
            q = b.sums[ch]
            if len(q.idx):
                x[row, k] = float(buf[q.idx] @ q.w.astype(np.float32))
        buf[p.idx] = 0.0
    for row, b in enumerate(bs):
        if a.days and b.days:  # each member's days weigh 1 in all: n_days is the total
            small, large = (a, b) if len(a.days) <= len(b.days) else (b, a)
            x[row, _F["date"]] = _date_link(small.days, large.days, large.n_days)
        if a.n_weekdays and b.n_weekdays:
            x[row, _F["weekday"]] = (
                2.0 * float(a.weekdays @ b.weekdays) - a.n_weekdays * b.n_weekdays
            )
        ya, yb = sum(a.years.values()), sum(b.years.values())
        if ya and yb:
            x[row, _F["year"]] = 2.0 * sum(c * b.years[y] for y, c in a.years.items()) - ya * yb
    return x / nn[:, None]


def link_features(a: _Agg, b: _Agg) -> np.ndarray:
    """The average over all pairs (one member of `a`, one of `b`) of each pairwise signal
    (order: FEATURES); a signal unknown for a pair counts 0 (no evidence either way)."""
    return link_features_many(a, [b])[0]


def _unit16(vec: np.ndarray, norm: float) -> np.ndarray:
    """A story's centroid as storylines keep it: unit length, half precision."""
    return (vec / max(norm, 1e-9)).astype(np.float16)


@dataclass(frozen=True, slots=True)
class _PackedLinks:
    """The links of a story that left the window, as compressed JSON: a joined report's
    evidence is a dozen small Python objects, several times the bytes of its text."""

    data: bytes

    @classmethod
    def pack(cls, links: list[Link]) -> _PackedLinks:
        rows = [[lk.article_id, lk.score, lk.evidence] for lk in links]
        return cls(zlib.compress(json.dumps(rows, separators=(",", ":")).encode(), 1))

    def unpack(self, story_id: str) -> list[Link]:
        return [Link(a, story_id, p, ev) for a, p, ev in json.loads(zlib.decompress(self.data))]


@dataclass(frozen=True, slots=True)
class _Nothing:
    """What a story merged into another keeps: empty containers shared by all such
    stories (a folded story never takes articles again, so they never change)."""

    agg: _Agg = field(default_factory=lambda: _Agg(vec_sum=np.zeros(0, np.float16), sums={}))
    members: list[_Member] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    days: set[int] = field(default_factory=set)


# One member kept for recomputing a story's sums as the IDF settles: channel -> raw terms.
_Member = dict[str, Terms]
_GONE = _Nothing()


@dataclass(slots=True)
class _Story:
    """Mutable per-story aggregate inside the index."""

    id: str
    seq: int
    title: str
    central: float
    agg: _Agg = field(default_factory=_Agg)
    members: list[_Member] = field(default_factory=list)  # the first ones, while active
    sums_at: int = 0  # documents seen when `agg.sums` were last computed from `members`
    entities: Counter[str] = field(default_factory=Counter)
    places: Counter[str] = field(default_factory=Counter)
    dates: Counter[str] = field(default_factory=Counter)
    pub_days: set[int] = field(default_factory=set)  # publication days of members
    links: list[Link] | _PackedLinks = field(default_factory=list)
    merged_from: list[str] = field(default_factory=list)
    alive: bool = True
    last: int = -1  # newest day an article arrived (publication day, or "now" if undated)

    def retire(self) -> None:
        """Leaving the active window: drop what only live scoring needs (the raw members)
        and keep the sums at half precision, packed; back-filled reports can still join.
        The embedding sum becomes a float16 unit vector and its norm: the very array
        `_profile` gives the storyline (`StorylineIndex.shared_centroid`)."""
        self.members = []
        vec = self.agg.vector()
        self.agg.norm = float(np.linalg.norm(vec))
        self.agg.vec_sum = _unit16(vec, self.agg.norm)
        self.agg.sums = _Packed(self.agg.sums)
        if not self.agg.n_weekdays:
            self.agg.weekdays = _NO_WEEKDAYS
        if isinstance(self.links, list) and all(lk.story_id == self.id for lk in self.links):
            self.links = _PackedLinks.pack(self.links)

    def link_list(self) -> list[Link]:
        """Why each report belongs to the story (unpacked anew if the story retired)."""
        return self.links.unpack(self.id) if isinstance(self.links, _PackedLinks) else self.links

    def fold(self) -> None:
        """Merged into another story, which took its members, sums and links: keep only
        what resolves its id (the story's id, `merged_from`, `seq`)."""
        self.alive, self.members, self.agg, self.links = False, _GONE.members, _GONE.agg, []
        self.entities = self.places = self.dates = _GONE.counts
        self.pub_days = _GONE.days

    def to_state(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "seq": self.seq,
            "title": self.title,
            "central": self.central,
            "agg": self.agg.to_state(),
            "members": [
                {c: [t[0].tolist(), [round(float(x), 4) for x in t[1]]] for c, t in m.items()}
                for m in self.members
            ],
            "sums_at": self.sums_at,
            "entities": dict(self.entities),
            "places": dict(self.places),
            "dates": dict(self.dates),
            "pub_days": sorted(self.pub_days),
            "links": [lk.to_dict() for lk in self.link_list()],
            "merged_from": self.merged_from,
            "alive": self.alive,
            "last": self.last,
        }

    @classmethod
    def from_state(cls, d: dict[str, Any]) -> _Story:
        return cls(
            id=d["id"],
            seq=d["seq"],
            title=d["title"],
            central=d["central"],
            agg=_Agg.from_state(d["agg"]) if d["alive"] else _GONE.agg,
            members=[
                {
                    c: (np.array(t[0], dtype=np.int64), np.array(t[1], dtype=np.float32))
                    for c, t in m.items()
                }
                for m in d["members"]
            ],
            sums_at=d["sums_at"],
            entities=Counter(d["entities"]),
            places=Counter(d["places"]),
            dates=Counter(d["dates"]),
            pub_days=set(d["pub_days"]),
            links=[Link.from_dict(x) for x in d["links"]],
            merged_from=list(d["merged_from"]),
            alive=d["alive"],
            last=d["last"],
        )


@dataclass(slots=True)
class Settings:
    """The fitted decision and the thresholds chosen on dev (see module docstring)."""

    weights: dict[str, float] = field(default_factory=lambda: dict(FITTED_WEIGHTS))
    bias: float = FITTED_BIAS
    join: float = 2.0  # logit an article needs to join its best candidate story
    merge: float = -0.25  # average-link logit at which `consolidate` merges two stories
    lone_size: int = 1  # a story this small folds into another only with time/action evidence
    lone_actions: float = 0.05  # shared lead verbs (average link) that count as evidence
    lone_merge: float = -1.0  # with that evidence, a lone report folds from this logit
    lone_margin: float = 2.0  # this far above `merge`, the text alone is evidence enough
    story_size: int = 4  # two stories of this many reports each merge only from
    merge_stories: float = 0.5  # this logit: the stream kept them apart report by report
    window_days: int = 7
    settle_docs: int = 1000  # nothing leaves the window before the stream has this many
    candidates: int = 4  # nearest stories by embedding, scored on every signal
    min_cosine: float = 0.35  # centroids less alike than this are never scored
    consolidate_candidates: int = 6  # nearest stories checked by `consolidate`
    consolidate_max: int = 1_000_000  # pairs whose smaller story is bigger are not checked
    max_terms: int = 2000
    name_keys: int = 6  # rarest name words of an undated report that look up stories
    name_postings: int = 32  # newest stories remembered per name word
    member_cap: int = 32  # members kept per active story to recompute its sums
    idf_prior: float = 10.0  # pseudo-documents: a young stream's IDF stays close to flat
    refresh: float = 2.0  # recompute a story's sums when the documents seen grew this much

    def weight_vector(self) -> np.ndarray:
        return np.array([self.weights.get(name, 0.0) for name in FEATURES])


def _overlap(items: frozenset[str], counts: Counter[str]) -> list[str]:
    """The article's items that the story already has."""
    return sorted(x for x in items if x in counts)


class StoryIndex:
    """Incremental story assignment with stable ids (see module docstring).

    Candidates come from a contiguous matrix of the centroids of *active* stories:
    those that received an article within `window_days` of the newest publication
    date seen (undated articles count as "now"). Older stories leave the matrix, so
    the cost per article is bounded by the news volume of one window, not the archive.

    Example:
        >>> index = StoryIndex()
        >>> link = index.add(article, features)  # doctest: +SKIP
        >>> index.stories()[0].id == link.story_id  # doctest: +SKIP
        True
    """

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self._w = self.settings.weight_vector()
        self._stories: list[_Story] = []
        self._by_id: dict[str, int] = {}
        self._df = np.zeros(LEX_BUCKETS, dtype=np.int32)
        self._docs = 0
        self._now: int | None = None
        self._rows = np.zeros((64, 384), dtype=np.float32)  # active centroids
        self._row_slot: list[int] = []
        self._slot_row: dict[int, int] = {}
        self._by_day: dict[int, set[int]] = {}  # publication day -> stories with articles that day
        self._by_name: dict[int, list[int]] = {}  # name-word id -> stories naming it, newest last
        self._changed: set[int] = set()  # stories changed since `pop_changed`
        self._unsaved: set[int] = set()  # story states changed since `state_delta`
        self._touched: set[int] = set()  # stories changed since the last `consolidate`
        self.storylines = StorylineIndex()

    # -- scoring -------------------------------------------------------------------------

    def _unit(self, idx: np.ndarray, tf: np.ndarray) -> np.ndarray:
        """IDF-weighted, unit-length weights of one article channel."""
        if not len(idx):
            return _EMPTY_W
        prior = self.settings.idf_prior + 1
        vec = tf * (np.log((self._docs + prior) / (self._df[idx] + prior)) + 1.0)
        norm = float(np.sqrt(vec @ vec))
        return (vec / norm).astype(np.float32) if norm else vec.astype(np.float32)

    def _article_agg(self, f: Features) -> _Agg:
        """The article as a group of one (its unit vectors under the current IDF)."""
        sums = {}
        for ch in CHANNELS:
            idx, tf = f.terms.get(ch, _NO_TERMS)
            sums[ch] = _Profile(idx, self._unit(idx, tf))
        agg = _Agg(n=1, vec_sum=f.embedding.astype(np.float32), sums=sums)
        days = [d for d in map(_day, f.event_days) if d is not None]
        agg.days = {day: 1.0 / len(days) for day in days}
        agg.n_days = int(bool(days))
        if f.weekdays:
            agg.weekdays, agg.n_weekdays = _weekday_vector(f.weekdays), 1
        if f.year:
            agg.years[f.year] = 1
        return agg

    def _fresh(self, s: _Story) -> _Agg:
        """The story's aggregate, its sums recomputed from its members when the IDF has
        moved on since they were made (early in a stream it is still settling)."""
        st = self.settings
        if s.members and len(s.members) == s.agg.n and self._docs > st.refresh * s.sums_at:
            sums = {ch: _Profile() for ch in CHANNELS}
            for m in s.members:
                for ch in CHANNELS:
                    idx, tf = m.get(ch, _NO_TERMS)
                    sums[ch].add(idx, self._unit(idx, tf), st.max_terms)
            s.agg.sums, s.sums_at = sums, self._docs
        return s.agg

    def _logit(self, x: np.ndarray) -> float:
        return float(self.settings.bias + self._w @ x)

    def _names_of(self, agg: _Agg) -> np.ndarray:
        """The rarest name words of an article or story (its heaviest IDF-weighted ones)."""
        names = agg.sums["names"]
        k = min(self.settings.name_keys, len(names.idx))
        if not k:
            return _EMPTY_IDX
        return names.idx[np.argpartition(-names.w, k - 1)[:k]].astype(np.int64)

    def _by_names(self, vec: np.ndarray, names: np.ndarray, k: int) -> list[int]:
        """The `k` stories nearest `vec` among those that share one of `names`, wherever
        they are in time: an undated report (or a story whose reports are undated) may
        belong to any time, and time signals in the score keep far-apart events apart."""
        slots = sorted(
            {
                self._by_id[self._stories[x].id]
                for key in names.tolist()
                for x in self._by_name.get(key, ())
            }
        )
        if not slots:
            return []
        sims = np.empty(len(slots), dtype=np.float32)
        active = [i for i, x in enumerate(slots) if x in self._slot_row]  # unit rows at hand
        if active:
            rows = self._rows[[self._slot_row[slots[i]] for i in active]]
            sims[active] = rows @ vec
        if len(active) < len(slots):
            rest = [i for i, x in enumerate(slots) if x not in self._slot_row]
            rows = np.stack([self._stories[slots[i]].agg.vec_sum.astype(np.float32) for i in rest])
            sims[rest] = rows @ vec / np.maximum(np.linalg.norm(rows, axis=1), 1e-9)
        return self._top(slots, sims, k)

    def _top(self, slots: list[int], sims: np.ndarray, k: int) -> list[int]:
        """The `k` slots of highest similarity, leaving out those below `min_cosine`
        (too far apart in content for any other signal to make them one event)."""
        close = np.flatnonzero(sims >= self.settings.min_cosine)  # few: cheaper to rank
        if len(close) > k:
            close = close[np.argpartition(-sims[close], k - 1)[:k]]
        return [slots[int(i)] for i in close]

    def _candidates(self, vec: np.ndarray, day: int | None, names: np.ndarray, k: int) -> list[int]:
        """Stories to score: the nearest active ones (or those of the report's days) and
        the nearest of those sharing its rarest names (bounded postings: flat cost)."""
        near = self._nearest(vec, day, k)
        if len(names):
            near += [x for x in self._by_names(vec, names, k) if x not in near]
        return near

    def _index_names(self, slot: int, names: np.ndarray) -> None:
        for key in names.tolist():
            postings = self._by_name.setdefault(key, [])
            if slot not in postings[-4:]:
                postings.append(slot)
                if len(postings) > self.settings.name_postings:
                    del postings[0]

    def _nearest(self, vec: np.ndarray, day: int | None, k: int) -> list[int]:
        """The `k` stories whose centroids are nearest `vec` among those active around
        `day`: the active matrix, or for a day older than the window (a late or
        back-filled report) the stories of the days around it."""
        window = self._window()
        if day is not None and self._now is not None and day < self._now - window:
            slots = sorted(
                {
                    slot
                    for d in range(day - window, day + window + 1)
                    for slot in self._by_day.get(d, ())
                    if self._stories[slot].alive
                }
            )
            if not slots:
                return []
            rows = np.stack([self._stories[x].agg.vec_sum.astype(np.float32) for x in slots])
            rows /= np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-9)
        else:
            slots, rows = self._row_slot, self._rows[: len(self._row_slot)]
            if not slots:
                return []
        return self._top(slots, rows @ vec, k)

    def _evidence(self, f: Features, s: _Story, x: np.ndarray, logit: float) -> dict[str, Any]:
        return {
            **{name: round(float(v), 4) for name, v in zip(FEATURES, x, strict=True)},
            "logit": round(logit, 3),
            "shared_entities": _overlap(f.entities, s.entities)[:20],
            "shared_places": _overlap(f.places, s.places)[:20],
            "shared_dates": _overlap(f.dates, s.dates)[:20],
        }

    # -- updates -------------------------------------------------------------------------

    def _new_story(self, f: Features) -> int:
        story = _Story(id="s" + f.article_id, seq=len(self._stories), title=f.title, central=-1.0)
        self._stories.append(story)
        self._by_id[story.id] = story.seq
        return story.seq

    def _set_row(self, slot: int) -> None:
        """Put (or refresh) a story's centroid in the active matrix."""
        row = self._slot_row.get(slot)
        if row is None:
            row = len(self._row_slot)
            if row >= len(self._rows):
                self._rows = np.vstack([self._rows, np.zeros_like(self._rows)])
            self._row_slot.append(slot)
            self._slot_row[slot] = row
        vec = self._stories[slot].agg.vec_sum.astype(np.float32)
        self._rows[row] = vec / max(float(np.linalg.norm(vec)), 1e-9)

    def _drop_row(self, slot: int) -> None:
        row = self._slot_row.pop(slot, None)
        if row is None:
            return
        last = len(self._row_slot) - 1
        moved = self._row_slot.pop()
        if row != last:
            self._rows[row] = self._rows[last]
            self._row_slot[row] = moved
            self._slot_row[moved] = row

    def _window(self) -> int:
        """Days a story stays active. A young stream keeps every story active: its IDF,
        learnt from a few dozen reports, is too flat for the last check of a story that
        leaves (same-theme stories merge on common words), and a folder of old pages read
        in any order would send its earlier dates out of the window at once. The cost
        per article stays bounded: by `settle_docs` stories, then by one window's news."""
        if self._docs < self.settings.settle_docs:
            return 1 << 30
        return self.settings.window_days

    def _age_out(self) -> None:
        """Stories whose newest article is older than the window leave the matrix, after
        a last average-link check of what changed; they no longer need their members."""
        if self._now is None:
            return
        horizon = self._now - self._window()
        if not any(self._stories[x].last < horizon for x in self._row_slot):
            return
        self.consolidate()
        for slot in [x for x in self._row_slot if self._stories[x].last < horizon]:
            s = self._stories[slot]
            s.retire()
            s.agg.vec_sum = self.storylines.shared_centroid(s.id, s.agg.vec_sum)
            self._unsaved.add(slot)
            self._drop_row(slot)

    def _absorb(self, slot: int, f: Features, agg: _Agg, link: Link) -> None:
        s, st = self._stories[slot], self.settings
        if s.agg.n:
            centroid = s.agg.vec_sum.astype(np.float32)
            cos = float(centroid @ f.embedding) / max(float(np.linalg.norm(centroid)), 1e-9)
        else:
            cos, s.sums_at = 1.0, self._docs
        if cos > s.central:
            s.central, s.title = cos, f.title
        s.agg.add(agg, st.max_terms)
        if len(s.members) < st.member_cap:
            s.members.append({ch: f.terms[ch] for ch in CHANNELS if ch in f.terms})
        s.entities.update(f.entities)
        s.places.update(f.places)
        s.dates.update(f.dates)
        day = _day(f.published)
        if day is not None:
            s.pub_days.add(day)
            self._by_day.setdefault(day, set()).add(slot)
        seen = day if day is not None else self._now
        if seen is not None:
            s.last = max(s.last, seen)
        if isinstance(s.links, _PackedLinks):  # a retired story gains a report again
            s.links = s.links.unpack(s.id)
        s.links.append(link)
        self._changed.add(slot)
        self._unsaved.add(slot)
        self._touched.add(slot)
        self._set_row(slot)

    def _merge(self, keep: int, drop: int) -> int:
        """Fold one story into the older one (ids never change); returns the kept slot."""
        if self._stories[drop].seq < self._stories[keep].seq:
            keep, drop = drop, keep
        k, d, st = self._stories[keep], self._stories[drop], self.settings
        k.agg.add(d.agg, st.max_terms)
        k.members = (k.members + d.members)[: st.member_cap]
        k.entities.update(d.entities)
        k.places.update(d.places)
        k.dates.update(d.dates)
        k.pub_days |= d.pub_days
        for day in d.pub_days:
            self._by_day[day].add(keep)
        k.last = max(k.last, d.last)
        k.links = k.link_list() + [
            Link(lk.article_id, k.id, lk.score, lk.evidence) for lk in d.link_list()
        ]
        k.merged_from += [d.id, *d.merged_from]
        self._changed.add(keep)
        self._unsaved |= {keep, drop}
        self._touched.add(keep)
        self._touched.discard(drop)
        d.fold()
        self.storylines.story_merged(k.id, d.id)
        for alias in [d.id, *d.merged_from]:
            self._by_id[alias] = keep
        self._drop_row(drop)
        if keep in self._slot_row or d.last >= (self._now or 0) - self._window():
            self._set_row(keep)
        return keep

    def add(self, article: Article, features: Features) -> Link:
        """Assign one article to its best story (or a new one) and return why."""
        f = features
        day = _day(f.published)
        if day is not None and (self._now is None or day > self._now):
            for slot in self._row_slot if self._now is None else []:
                self._stories[slot].last = day  # undated so far: they were "now"
            self._now = day
            self._age_out()
        st = self.settings
        agg = self._article_agg(f)
        scored = []
        names = self._names_of(agg)
        lookup = names if day is None else _EMPTY_IDX  # a dated report has its days' stories
        slots = self._candidates(f.embedding, day, lookup, st.candidates)
        feats = link_features_many(agg, [self._fresh(self._stories[x]) for x in slots])
        for slot, x in zip(slots, feats, strict=True):
            scored.append((self._logit(x), slot, x))
        scored.sort(key=lambda item: -item[0])
        self._docs += 1
        for idx, _ in f.terms.values():
            self._df[idx] += 1
        if not scored or scored[0][0] < st.join:
            slot = self._new_story(f)
            link = Link(article.id, self._stories[slot].id, 1.0, {"new_story": True})
        else:
            logit, slot, x = scored[0]
            evidence = self._evidence(f, self._stories[slot], x, logit)
            p = 1.0 / (1.0 + math.exp(-logit))
            link = Link(article.id, self._stories[slot].id, round(p, 4), evidence)
        self._absorb(slot, f, agg, link)
        self._index_names(slot, names)
        return link

    def _merge_logit(self, x: int, y: int) -> float | None:
        """Average-link logit of two stories, or None when they must stay apart: a lone
        report folds into a story of its theme only with evidence of time or action (or
        text far above the threshold); with that evidence, from `lone_merge`, below
        `merge` (on dev, a lone report's best story is nearly always its own event's).
        Two stories of `story_size` reports or more merge from `merge_stories`: two events
        of one storyline grow into such stories side by side, and on dev most pairs of
        them that met between `merge` and there were two events."""
        st = self.settings
        a, b = self._fresh(self._stories[x]), self._fresh(self._stories[y])
        feats = link_features(a, b)
        logit = self._logit(feats)
        if min(a.n, b.n) >= st.story_size:
            return logit if logit >= max(st.merge, st.merge_stories) else None
        if logit < min(st.merge, st.lone_merge):
            return None
        lone = min(a.n, b.n) <= st.lone_size < max(a.n, b.n)
        evidence = (
            feats[_F["date"]] > 0
            or feats[_F["weekday"]] > 0
            or feats[_F["actions"]] >= st.lone_actions
        )
        if lone and evidence:
            return logit if logit >= st.lone_merge else None
        if logit < st.merge or (lone and logit < st.merge + st.lone_margin):
            return None
        return logit

    def consolidate(self, slots: list[int] | None = None) -> list[str]:
        """Merge stories by average link, best pair first, while a pair reaches `merge`:
        each story among `slots` (default: those touched since the last call) against
        its nearest stories, and each merged story again. The older id is kept and the
        merge recorded; returns the kept ids. Untouched stories were checked when they
        last changed, so a second call with nothing new merges nothing."""
        st = self.settings
        pending = set(self._touched if slots is None else slots)
        kept: set[str] = set()
        version: Counter[int] = Counter()
        heap: list[tuple[float, int, int, int, int]] = []

        seen: set[tuple[int, int, int, int]] = set()

        def push_pairs(x: int, near: list[int]) -> None:
            for y in near:
                key = (min(x, y), max(x, y), version[min(x, y)], version[max(x, y)])
                if y == x or key in seen or not self._stories[y].alive:
                    continue
                seen.add(key)
                if min(self._stories[x].agg.n, self._stories[y].agg.n) > st.consolidate_max:
                    continue
                logit = self._merge_logit(x, y)
                if logit is not None:
                    heapq.heappush(heap, (-logit, x, y, version[x], version[y]))

        live = sorted(x for x in pending if self._stories[x].alive)
        active = [x for x in live if x in self._slot_row]
        for x, near in zip(active, self._active_neighbours(active), strict=True):
            push_pairs(x, near)
        for x in live:
            if x not in self._slot_row:
                push_pairs(x, self._neighbours(x))
        while heap:
            _, x, y, vx, vy = heapq.heappop(heap)
            stale = version[x] != vx or version[y] != vy
            if stale or not (self._stories[x].alive and self._stories[y].alive):
                continue
            into = self._merge(x, y)
            version[x] += 1
            version[y] += 1
            kept.add(self._stories[into].id)
            push_pairs(into, self._neighbours(into))
        if slots is None:
            self._touched = set()
        return sorted(kept)

    def _active_neighbours(self, slots: list[int]) -> list[list[int]]:
        """`_neighbours` of many active stories at once (one matrix product per 512) and
        the nearest of those sharing their rarest names."""
        k = self.settings.consolidate_candidates + 1
        rows = self._rows[: len(self._row_slot)]
        out: list[list[int]] = []
        for start in range(0, len(slots), 512):
            chunk = slots[start : start + 512]
            sims = rows @ rows[[self._slot_row[x] for x in chunk]].T
            for col, x in enumerate(chunk):
                near = self._top(self._row_slot, sims[:, col], k)
                names = self._names_of(self._stories[x].agg)
                if len(names):
                    vec = rows[self._slot_row[x]]
                    near += [y for y in self._by_names(vec, names, k) if y not in near]
                out.append(near)
        return out

    def _neighbours(self, slot: int) -> list[int]:
        """The stories nearest a story's centroid (active ones, or those of its days)."""
        s, k = self._stories[slot], self.settings.consolidate_candidates + 1
        centroid = s.agg.vec_sum.astype(np.float32)
        centroid = centroid / max(float(np.linalg.norm(centroid)), 1e-9)
        day = None if not s.pub_days else s.last if slot not in self._slot_row else self._now
        return self._candidates(centroid, day, self._names_of(s.agg), k)

    # -- reading and persistence ---------------------------------------------------------

    def story_of(self, story_id: str) -> str:
        """Current id of a story, following late merges."""
        return self._stories[self._by_id[story_id]].id

    def stories(self) -> list[Story]:
        return [self._public(s) for s in self._stories if s.alive]

    def pop_changed(self) -> list[Story]:
        """The live stories that gained articles or absorbed others since the last call
        (what a store must save), each linked to its storyline first."""
        slots, self._changed = sorted(self._changed), set()
        live = [self._stories[x] for x in slots if self._stories[x].alive]
        for s in live:
            self.storylines.update(self._profile(s))
        return [self._public(s) for s in live]

    def _profile(self, s: _Story) -> StoryProfile:
        vec = s.agg.vec_sum
        if vec.dtype != np.float16:  # a retired story's unit centroid is shared as it is
            vec = _unit16(vec, float(np.linalg.norm(vec)))
        names = s.agg.sums["names"]
        return StoryProfile(
            id=s.id,
            title=s.title,
            n_articles=len(s.link_list()),
            centroid=vec,
            name_idx=names.idx.astype(np.int64, copy=False),
            name_w=names.w.astype(np.float32, copy=False),
            days=tuple(sorted(s.pub_days | set(s.agg.days))),
        )

    def _public(self, s: _Story) -> Story:
        links = list(s.link_list())
        return Story(
            id=s.id,
            title=s.title,
            article_ids=[lk.article_id for lk in links],
            links=links,
            merged_from=list(s.merged_from),
            storyline=self.storylines.storyline_of(s.id),
        )

    def to_state(self) -> dict[str, Any]:
        """Everything, as JSON-ready data: a header, every story's and storyline's state."""
        return {
            **self._header(),
            "stories": [st.to_state() for st in self._stories],
            "lines": self.storylines.states(),
        }

    def state_delta(self) -> tuple[dict[str, Any], list[tuple[int, dict[str, Any]]]]:
        """The header and the states of the stories changed since the last call, by
        position: what a store must write after a batch (retired stories are written
        once, so the cost of saving does not grow with the archive)."""
        slots, self._unsaved = sorted(self._unsaved), set()
        return self._header(), [(x, self._stories[x].to_state()) for x in slots]

    def _header(self) -> dict[str, Any]:
        df = zlib.compress(self._df.astype("<i4").tobytes(), 1)
        return {
            "version": STATE_VERSION,
            "settings": dataclasses.asdict(self.settings),
            "docs": self._docs,
            "now": self._now,
            "df": base64.b64encode(df).decode("ascii"),
            "active": [self._stories[x].id for x in self._row_slot],
            "touched": sorted(self._stories[x].id for x in self._touched),
            "storylines": self.storylines.header(),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> StoryIndex:
        """Rebuild from `to_state` data (or a stored header plus every story's state,
        in position order)."""
        if state.get("version") != STATE_VERSION:
            raise StoreError(
                f"the store's cluster state is version {state.get('version')}, this newsloom"
                f" reads version {STATE_VERSION}: ingest the articles again into a new store"
            )
        index = cls(Settings(**state["settings"]))
        index._docs = state["docs"]
        index._now = state["now"]
        df = np.frombuffer(zlib.decompress(base64.b64decode(state["df"])), dtype="<i4")
        index._df[:] = df
        for d in state["stories"]:
            index._stories.append(_Story.from_state(d))
        for slot, s in enumerate(index._stories):
            index._by_id.setdefault(s.id, slot)
            for alias in s.merged_from:
                index._by_id[alias] = slot
        for sid in state["active"]:  # in row order, so candidate search is unchanged
            index._set_row(index._by_id[sid])
        for slot, s in enumerate(index._stories):
            if s.alive and slot not in index._slot_row:
                s.retire()
            for day in s.pub_days:
                index._by_day.setdefault(day, set()).add(slot)
            if s.alive:
                index._index_names(slot, index._names_of(s.agg))
        index._touched = {index._by_id[sid] for sid in state["touched"]}
        index.storylines = StorylineIndex.from_state(state["storylines"], state.get("lines", []))
        for s in index._stories:
            if s.alive and s.agg.vec_sum.dtype == np.float16:  # retired on loading
                s.agg.vec_sum = index.storylines.shared_centroid(s.id, s.agg.vec_sum, 2e-3)
        return index


def _order_key(a: Article) -> tuple[str, str]:
    return (a.published[:10] or "9999", a.id)


def cluster_articles(
    articles: list[Article],
    embedder: Embedder | None,
    features: list[Features] | None = None,
    **settings: Any,
) -> list[Story]:
    """Batch clustering: stream the articles in publication order (ties by id), so
    the result does not depend on the order they were given in."""
    if features is None:
        if embedder is None:
            raise ValueError("cluster_articles needs an embedder or precomputed features")
        features = article_features(articles, embedder)
    by_id = {f.article_id: f for f in features}
    index = StoryIndex(Settings(**settings))
    for art in sorted(articles, key=_order_key):
        index.add(art, by_id[art.id])
    index.consolidate()
    return index.stories()
