"""Group articles into stories, one article at a time.

`article_features` is pure and batched (it can run on any worker); `StoryIndex`
is newsloom's only stateful component. It keeps, per story, a centroid of the
members' title+lead embeddings, summed IDF-weighted profiles of three channels
(content words with entity names; the words of names; numbers), entity/place counts,
years and the days the story covers. An article is scored against the stories still
active (one received an article within `window_days` of the newest date seen), so the
cost per article stays flat as the archive grows; it joins the best one above a
threshold or starts a story. Small stories are re-checked by average link over their
members when they leave the window and at the end of a run (`consolidate`).
Weights and thresholds were chosen on ECB+ dev topics (`newsloom eval cluster`).
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import math
import re
import zlib
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from newsloom.errors import StoreError
from newsloom.models import Article, Link, Story

if TYPE_CHECKING:
    from newsloom.nlp import Embedder

LEX_BUCKETS = 1 << 20
LEAD_SENTENCES = 3
STATE_VERSION = 3  # of `StoryIndex.to_state`: 3 has name/number profiles, members, binary df
NAME_TF = 2
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
_EMPTY_TF = np.zeros(0, dtype=np.float32)


@dataclass(slots=True)
class Features:
    """What the story index needs from one article (computed once, pure)."""

    article_id: str
    title: str
    embedding: np.ndarray  # (384,) unit vector of title + lead
    lex_idx: np.ndarray  # sorted unique hashed term ids (int64)
    lex_tf: np.ndarray  # sublinear term frequencies, aligned with lex_idx (float32)
    name_idx: np.ndarray = field(default_factory=lambda: _EMPTY_IDX)  # words of names
    name_tf: np.ndarray = field(default_factory=lambda: _EMPTY_TF)
    num_idx: np.ndarray = field(default_factory=lambda: _EMPTY_IDX)  # numbers in the text
    num_tf: np.ndarray = field(default_factory=lambda: _EMPTY_TF)
    entities: frozenset[str] = frozenset()
    places: frozenset[str] = frozenset()
    dates: frozenset[str] = frozenset()
    published: str = ""
    year: str = ""  # the year the text mentions most (two events of one kind differ here)


def _lead(article: Article) -> str:
    """Title plus the first sentences: what a reader sees of the event first."""
    if article.sentences:
        lead = " ".join(s.text for s in article.sentences[:LEAD_SENTENCES])
    else:
        lead = " ".join(article.text.split()[:80])
    return f"{article.title}. {lead}" if article.title else lead


def _term_id(term: str) -> int:
    return zlib.crc32(term.encode("utf-8")) % LEX_BUCKETS


def main_year(text: str) -> str:
    """The year mentioned most often in the text ("" if none): dates in the text often
    tell apart two events of one kind (two fires at one chain, two title fights)."""
    years = Counter(_YEAR.findall(text))
    return years.most_common(1)[0][0] if years else ""


def hashed_counts(counts: Counter[str]) -> tuple[np.ndarray, np.ndarray]:
    """Sorted hashed term ids and their sublinear weights (1 + log tf); IDF is applied
    by the index, which learns it from the stream."""
    merged: dict[int, float] = {}
    for term, n in counts.items():
        key = _term_id(term)
        merged[key] = merged.get(key, 0.0) + 1.0 + math.log(n)
    idx = np.fromiter(sorted(merged), dtype=np.int64, count=len(merged))
    tf = np.array([merged[int(i)] for i in idx], dtype=np.float32)
    return idx, tf


def lexical_signature(
    text: str, names: frozenset[str] = frozenset()
) -> tuple[np.ndarray, np.ndarray]:
    """Content-word counts plus one term per entity name (names tell two events of one
    kind apart). Numbers were tried as terms here and did not help on ECB+ dev; they
    are a channel of their own (`Features.num_idx`)."""
    counts = Counter(
        w for w in (m.group(0).lower() for m in _WORD.finditer(text)) if w not in _STOP
    )
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


def article_features(articles: list[Article], embedder: Embedder) -> list[Features]:
    """Features for a batch of articles (one embedder call for the whole batch)."""
    vecs = embedder.embed([_lead(a) for a in articles])
    out = []
    for art, vec in zip(articles, vecs, strict=True):
        name_counts = _name_counts(art)
        names = frozenset(name_counts)
        text = f"{art.title}\n{art.text}"
        idx, tf = lexical_signature(text, names)
        words: Counter[str] = Counter()
        for name, n in name_counts.items():
            for word in name.split():
                words["w:" + word] += n
        name_idx, name_tf = hashed_counts(words)
        num_idx, num_tf = hashed_counts(
            Counter("#" + x.replace(",", "") for x in _NUMBER.findall(art.text))
        )
        out.append(
            Features(
                article_id=art.id,
                title=art.title or (art.sentences[0].text if art.sentences else art.text[:80]),
                embedding=np.asarray(vec, dtype=np.float32),
                lex_idx=idx,
                lex_tf=tf,
                name_idx=name_idx,
                name_tf=name_tf,
                num_idx=num_idx,
                num_tf=num_tf,
                entities=names,
                places=frozenset(
                    p.name.lower() for p in art.places if p.name and p.form != "embedded"
                ),
                dates=frozenset(t.value[:10] for t in art.times if _ISO_DAY.match(t.value)),
                published=art.published[:10],
                year=main_year(text),
            )
        )
    return out


def _day(iso: str) -> int | None:
    try:
        return dt.date.fromisoformat(iso[:10]).toordinal()
    except ValueError:
        return None


@dataclass(slots=True)
class _Profile:
    """Summed term weights of one channel of a story, capped at its heaviest terms so
    the cost of scoring stays bounded however large the story grows."""

    idx: np.ndarray = field(default_factory=lambda: _EMPTY_IDX)
    tf: np.ndarray = field(default_factory=lambda: _EMPTY_TF)
    weighted: tuple[np.ndarray, float] | None = None  # IDF-weighted cache
    weighted_at: int = 0  # documents seen when the cache was made (IDF drifts slowly)

    def add(self, idx: np.ndarray, tf: np.ndarray, max_terms: int) -> None:
        if not len(idx):
            return
        keys, inv = np.unique(np.concatenate([self.idx, idx]), return_inverse=True)
        sums = np.bincount(inv, weights=np.concatenate([self.tf, tf]), minlength=len(keys))
        if len(keys) > max_terms:
            keep = np.sort(np.argpartition(-sums, max_terms - 1)[:max_terms])
            keys, sums = keys[keep], sums[keep]
        self.idx, self.tf, self.weighted = keys, sums.astype(np.float32), None

    def to_state(self) -> dict[str, list[float]]:
        return {"idx": self.idx.tolist(), "tf": [round(float(x), 4) for x in self.tf]}

    @classmethod
    def from_state(cls, d: dict[str, list[float]]) -> _Profile:
        return cls(np.array(d["idx"], dtype=np.int64), np.array(d["tf"], dtype=np.float32))


# An article's channel for scoring: (name, weight, term ids, IDF-weighted vector and norm).
_Channel = tuple[str, float, np.ndarray, tuple[np.ndarray, float]]

# One member kept for average-link checks: (lex_idx, lex_tf, name_idx, name_tf).
_Member = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


@dataclass(slots=True)
class _Story:
    """Mutable per-story aggregate inside the index."""

    id: str
    seq: int
    title: str
    central: float
    vec_sum: np.ndarray
    lex: _Profile = field(default_factory=_Profile)
    name_words: _Profile = field(default_factory=_Profile)
    numbers: _Profile = field(default_factory=_Profile)
    members: list[_Member] = field(default_factory=list)  # the first ones, while active
    units: list[tuple[np.ndarray, np.ndarray]] | None = None  # `_link_units` cache
    units_at: int = 0  # documents seen when it was made
    entities: Counter[str] = field(default_factory=Counter)
    places: Counter[str] = field(default_factory=Counter)
    dates: Counter[str] = field(default_factory=Counter)
    years: Counter[str] = field(default_factory=Counter)
    days: set[int] = field(default_factory=set)
    links: list[Link] = field(default_factory=list)
    merged_from: list[str] = field(default_factory=list)
    alive: bool = True
    last: int = -1  # newest day an article arrived (publication day, or "now" if undated)

    def retire(self) -> None:
        """Leaving the active window: drop what only live scoring needs (members and
        caches) and halve the centroid's precision; back-filled reports can still join."""
        self.members, self.units = [], None
        for profile in (self.lex, self.name_words, self.numbers):
            profile.weighted = None
        self.vec_sum = self.vec_sum.astype(np.float16)

    def to_state(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "seq": self.seq,
            "title": self.title,
            "central": self.central,
            "vec_sum": [round(float(x), 6) for x in self.vec_sum],
            "lex": self.lex.to_state(),
            "name_words": self.name_words.to_state(),
            "numbers": self.numbers.to_state(),
            "members": [[x.tolist() for x in m] for m in self.members],
            "entities": dict(self.entities),
            "places": dict(self.places),
            "dates": dict(self.dates),
            "years": dict(self.years),
            "days": sorted(self.days),
            "links": [lk.to_dict() for lk in self.links],
            "merged_from": self.merged_from,
            "alive": self.alive,
            "last": self.last,
        }

    @classmethod
    def from_state(cls, d: dict[str, Any]) -> _Story:
        def member(m: list[list[float]]) -> _Member:
            return (
                np.array(m[0], dtype=np.int64),
                np.array(m[1], dtype=np.float32),
                np.array(m[2], dtype=np.int64),
                np.array(m[3], dtype=np.float32),
            )

        return cls(
            id=d["id"],
            seq=d["seq"],
            title=d["title"],
            central=d["central"],
            vec_sum=np.array(d["vec_sum"], dtype=np.float32),
            lex=_Profile.from_state(d["lex"]),
            name_words=_Profile.from_state(d["name_words"]),
            numbers=_Profile.from_state(d["numbers"]),
            members=[member(m) for m in d["members"]],
            entities=Counter(d["entities"]),
            places=Counter(d["places"]),
            dates=Counter(d["dates"]),
            years=Counter(d["years"]),
            days=set(d["days"]),
            links=[Link.from_dict(x) for x in d["links"]],
            merged_from=list(d["merged_from"]),
            alive=d["alive"],
            last=d["last"],
        )


@dataclass(slots=True)
class Settings:
    """Scoring weights and thresholds (chosen on ECB+ dev topics, see evaluate/cluster.py)."""

    threshold: float = 0.35
    merge_threshold: float = 0.5
    w_embed: float = 0.3
    w_lex: float = 0.7
    w_names: float = 0.2  # cosine of the words of names (who and where tell events apart)
    w_numbers: float = 0.2  # cosine of the numbers (ages, tolls, scores, sums)
    w_date: float = 0.2
    w_year: float = 0.1  # added when the article's main year agrees, taken when it differs
    window_days: int = 7
    candidates: int = 3  # nearest stories by embedding, scored on every signal
    max_terms: int = 2000
    small_story: int = 3  # stories this small are re-checked by average link (consolidate)
    consolidate_threshold: float = 0.15
    consolidate_candidates: int = 4  # nearest stories checked (8 gave the same on dev)
    member_cap: int = 32  # members kept per active story for the average-link check


def _overlap(items: frozenset[str], counts: Counter[str]) -> tuple[float, list[str]]:
    """Share of the article's items that the story already has (0..1) and which."""
    if not items or not counts:
        return 0.0, []
    shared = sorted(x for x in items if x in counts)
    return len(shared) / min(len(items), len(counts)), shared


def _sparse_dot(ai: np.ndarray, aw: np.ndarray, bi: np.ndarray, bw: np.ndarray) -> float:
    """Dot product of two sparse vectors given as sorted ids and weights."""
    if not len(ai) or not len(bi):
        return 0.0
    pos = np.minimum(np.searchsorted(bi, ai), len(bi) - 1)
    hit = bi[pos] == ai
    return float(aw[hit] @ bw[pos[hit]])


class StoryIndex:
    """Incremental story assignment with stable ids (see module docstring).

    Candidates come from a contiguous matrix of the centroids of *active* stories:
    those that received an article within `window_days` of the newest publication
    date seen (undated articles count as "now"). Older stories leave the matrix, so
    the cost per article is bounded by the news volume of one window, not the archive.

    A single pass decides on the evidence it has so far, so a report that arrived
    before its siblings may sit alone. `consolidate` re-checks such small stories by
    average link over members (what batch clustering does) and folds them into their
    best match; it runs when stories leave the window and at the end of a batch run.

    Example:
        >>> index = StoryIndex()
        >>> link = index.add(article, features)  # doctest: +SKIP
        >>> index.stories()[0].id == link.story_id  # doctest: +SKIP
        True
    """

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self._stories: list[_Story] = []
        self._by_id: dict[str, int] = {}
        self._df = np.zeros(LEX_BUCKETS, dtype=np.int32)
        self._docs = 0
        self._now: int | None = None
        self._rows = np.zeros((64, 384), dtype=np.float32)  # active centroids
        self._row_slot: list[int] = []
        self._slot_row: dict[int, int] = {}
        self._by_day: dict[int, set[int]] = {}  # publication day -> stories with articles that day
        self._changed: set[int] = set()  # stories changed since `pop_changed`
        self._unsaved: set[int] = set()  # story states changed since `state_delta`

    # -- scoring -------------------------------------------------------------------------

    def _weighted(self, idx: np.ndarray, tf: np.ndarray) -> tuple[np.ndarray, float]:
        vec = tf * (np.log((self._docs + 1) / (self._df[idx] + 1)) + 1.0)
        return vec, float(np.sqrt(vec @ vec))

    def _cos(self, idx: np.ndarray, a: tuple[np.ndarray, float], p: _Profile) -> float:
        """IDF-weighted cosine of an article channel (`a` from `_weighted`) and a profile."""
        if not len(idx) or not len(p.idx) or not a[1]:
            return 0.0
        if p.weighted is None or self._docs > 1.1 * p.weighted_at + 10:
            p.weighted, p.weighted_at = self._weighted(p.idx, p.tf), self._docs
        b, norm_b = p.weighted
        return _sparse_dot(idx, a[0], p.idx, b) / (a[1] * norm_b) if norm_b else 0.0

    def _nearest(self, vec: np.ndarray, day: int | None, k: int) -> list[int]:
        """The `k` stories whose centroids are nearest `vec` among those active around
        `day`: the active matrix, or for a day older than the window (a late or
        back-filled report) the stories of the days around it."""
        window = self.settings.window_days
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
            rows = np.stack([self._stories[x].vec_sum for x in slots])
            rows /= np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-9)
        else:
            slots, rows = self._row_slot, self._rows[: len(self._row_slot)]
            if not slots:
                return []
        sims = rows @ vec
        k = min(k, len(slots))
        return [slots[int(i)] for i in np.argpartition(-sims, k - 1)[:k]]

    def _score(self, f: Features, channels: list[_Channel], s: _Story) -> dict[str, float]:
        """Weighted mean of the available signals; missing signals do not count against."""
        st = self.settings
        row = self._slot_row.get(s.seq)
        if row is not None:  # the active matrix holds unit centroids
            parts = {"cosine": float(self._rows[row] @ f.embedding)}
        else:
            norm = max(float(np.linalg.norm(s.vec_sum)), 1e-9)
            parts = {"cosine": float(s.vec_sum @ f.embedding) / norm}
        num, den = st.w_embed * parts["cosine"], st.w_embed
        profiles = {"lexical": s.lex, "names": s.name_words, "numbers": s.numbers}
        for key, weight, idx, vec in channels:
            if key == "lexical" or (weight and len(idx) and len(profiles[key].idx)):
                parts[key] = self._cos(idx, vec, profiles[key])
                num, den = num + weight * parts[key], den + weight
        day = _day(f.published)
        if day is not None and s.days:
            gap = min(abs(day - d) for d in s.days)
            num, den = num + st.w_date * math.exp(-gap / 3.0), den + st.w_date
        parts["score"] = num / den
        if st.w_year and f.year and s.years:
            parts["score"] += st.w_year if f.year == s.years.most_common(1)[0][0] else -st.w_year
        return parts

    def _evidence(self, f: Features, s: _Story, parts: dict[str, float]) -> dict[str, Any]:
        return {
            **{k: round(v, 4) for k, v in parts.items()},
            "shared_entities": _overlap(f.entities, s.entities)[1][:20],
            "shared_places": _overlap(f.places, s.places)[1][:20],
            "shared_dates": sorted(d for d in f.dates if d in s.dates),
        }

    def _link_units(self, s: _Story) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per channel (words, names), the mean of the story's unit-length IDF-weighted
        member vectors: the dot product of two such means is their average link."""
        if s.units is not None and self._docs <= 1.1 * s.units_at + 10:
            return s.units
        units: list[tuple[np.ndarray, np.ndarray]] = []
        for channel in (0, 2):  # (lex_idx, lex_tf) and (name_idx, name_tf) of a member
            parts = []
            for m in s.members:
                vec, norm = self._weighted(m[channel], m[channel + 1])
                if norm:
                    parts.append((m[channel], vec / norm))
            if not parts:
                units.append((_EMPTY_IDX, _EMPTY_TF))
                continue
            keys, inv = np.unique(np.concatenate([i for i, _ in parts]), return_inverse=True)
            sums = np.bincount(inv, weights=np.concatenate([v for _, v in parts]))
            units.append((keys, sums / len(s.members)))
        s.units, s.units_at = units, self._docs
        return units

    # -- updates -------------------------------------------------------------------------

    def _new_story(self, f: Features) -> int:
        story = _Story(
            id="s" + f.article_id,
            seq=len(self._stories),
            title=f.title,
            central=-1.0,
            vec_sum=np.zeros(384, dtype=np.float32),
        )
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
        vec = self._stories[slot].vec_sum
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

    def _age_out(self) -> None:
        """Stories whose newest article is older than the window leave the matrix, after
        a last average-link check of the small ones; they no longer need their members."""
        if self._now is None:
            return
        horizon = self._now - self.settings.window_days
        leaving = [x for x in self._row_slot if self._stories[x].last < horizon]
        if not leaving:
            return
        self.consolidate(leaving)
        for slot in leaving:
            # (a leaving story that absorbed an active one in `consolidate` stays)
            if self._stories[slot].alive and self._stories[slot].last < horizon:
                self._stories[slot].retire()
                self._unsaved.add(slot)
                self._drop_row(slot)

    def _absorb(self, slot: int, f: Features, link: Link) -> None:
        s, st = self._stories[slot], self.settings
        cos = float(s.vec_sum @ f.embedding) / max(float(np.linalg.norm(s.vec_sum)), 1e-9)
        if cos > s.central:
            s.central, s.title = cos, f.title
        s.vec_sum = s.vec_sum + f.embedding
        s.lex.add(f.lex_idx, f.lex_tf, st.max_terms)
        s.name_words.add(f.name_idx, f.name_tf, st.max_terms)
        s.numbers.add(f.num_idx, f.num_tf, st.max_terms)
        if len(s.members) < st.member_cap:
            s.members.append((f.lex_idx, f.lex_tf, f.name_idx, f.name_tf))
            s.units = None
        s.entities.update(f.entities)
        s.places.update(f.places)
        s.dates.update(f.dates)
        if f.year:
            s.years[f.year] += 1
        day = _day(f.published)
        if day is not None:
            s.days.add(day)
            self._by_day.setdefault(day, set()).add(slot)
        seen = day if day is not None else self._now
        if seen is not None:
            s.last = max(s.last, seen)
        s.links.append(link)
        self._changed.add(slot)
        self._unsaved.add(slot)
        self._set_row(slot)

    def _merge(self, keep: int, drop: int) -> int:
        """Fold one story into the older one (ids never change); returns the kept slot."""
        if self._stories[drop].seq < self._stories[keep].seq:
            keep, drop = drop, keep
        k, d, cap = self._stories[keep], self._stories[drop], self.settings.member_cap
        k.vec_sum = k.vec_sum + d.vec_sum
        for mine, theirs in ((k.lex, d.lex), (k.name_words, d.name_words), (k.numbers, d.numbers)):
            mine.add(theirs.idx, theirs.tf, self.settings.max_terms)
        k.members, k.units = (k.members + d.members)[:cap], None
        k.entities.update(d.entities)
        k.places.update(d.places)
        k.dates.update(d.dates)
        k.years.update(d.years)
        k.days |= d.days
        for day in d.days:
            self._by_day[day].add(keep)
        k.last = max(k.last, d.last)
        k.links += [Link(lk.article_id, k.id, lk.score, lk.evidence) for lk in d.links]
        k.merged_from += [d.id, *d.merged_from]
        self._changed.add(keep)
        self._unsaved |= {keep, drop}
        d.alive, d.members, d.units = False, [], None
        for alias in [d.id, *d.merged_from]:
            self._by_id[alias] = keep
        self._drop_row(drop)
        if keep in self._slot_row or d.last >= (self._now or 0) - self.settings.window_days:
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
        channels = [
            (key, weight, idx, self._weighted(idx, tf))
            for key, weight, idx, tf in (
                ("lexical", st.w_lex, f.lex_idx, f.lex_tf),
                ("names", st.w_names, f.name_idx, f.name_tf),
                ("numbers", st.w_numbers, f.num_idx, f.num_tf),
            )
        ]
        scored = sorted(
            (
                (self._score(f, channels, self._stories[i]), i)
                for i in self._nearest(f.embedding, day, st.candidates)
            ),
            key=lambda x: -x[0]["score"],
        )
        self._docs += 1
        self._df[f.lex_idx] += 1
        self._df[f.name_idx] += 1
        self._df[f.num_idx] += 1
        if not scored or scored[0][0]["score"] < st.threshold:
            slot = self._new_story(f)
            link = Link(article.id, self._stories[slot].id, 1.0, {"new_story": True})
            self._absorb(slot, f, link)
            return link
        best, slot = scored[0]
        evidence = self._evidence(f, self._stories[slot], best)
        link = Link(article.id, self._stories[slot].id, round(best["score"], 4), evidence)
        self._absorb(slot, f, link)
        for other, j in scored[1:]:
            if other["score"] >= st.merge_threshold and self._stories[j].alive:
                slot = self._merge(slot, j)
        return Link(article.id, self._stories[slot].id, link.score, evidence)

    def consolidate(self, slots: list[int] | None = None) -> list[str]:
        """Fold small stories (`small_story` articles or fewer) into the story they are
        most like by average link, best pairs first, while that is at least
        `consolidate_threshold`. `slots` limits the check to those stories (default:
        all active). The older id is kept and the merge recorded; returns kept ids."""
        st = self.settings
        pending = set(self._row_slot if slots is None else slots)
        kept: set[str] = set()

        def link(x: int, y: int) -> float:
            """Average link of two stories: the mean of the word and name channels."""
            ux, uy = self._link_units(self._stories[x]), self._link_units(self._stories[y])
            return sum(_sparse_dot(*u, *v) for u, v in zip(ux, uy, strict=True)) / len(ux)

        while pending:
            near = self._small_neighbours(pending)
            pairs = [
                (sim, slot, other)
                for slot, others in near.items()
                for other in others
                if self._stories[other].members
                and (sim := link(slot, other)) >= st.consolidate_threshold
            ]
            changed: set[int] = set()
            for _, a, b in sorted(pairs, reverse=True):
                if a in changed or b in changed:
                    continue
                into = self._merge(a, b)
                changed |= {a, b}
                kept.add(self._stories[into].id)
            # Next round: merged stories and those that had one of them as a neighbour.
            pending = {x for x in changed if self._stories[x].alive} | {
                slot for slot, others in near.items() if changed & {slot, *others}
            }
            pending = {x for x in pending if self._stories[x].alive}
        return sorted(kept)

    def _small_neighbours(self, slots: set[int]) -> dict[int, list[int]]:
        """For each small live story among `slots`, the stories nearest its centroid
        (one matrix product for those in the active matrix)."""
        st = self.settings
        small = sorted(
            x
            for x in slots
            if self._stories[x].alive
            and self._stories[x].members
            and len(self._stories[x].links) <= st.small_story
        )
        out: dict[int, list[int]] = {}
        active = [x for x in small if x in self._slot_row]
        if active and len(self._row_slot) > 1:
            rows = self._rows[: len(self._row_slot)]
            sims = rows @ rows[[self._slot_row[x] for x in active]].T
            k = min(st.consolidate_candidates + 1, len(self._row_slot))
            top = np.argpartition(-sims, k - 1, axis=0)[:k]
            for col, slot in enumerate(active):
                out[slot] = [self._row_slot[int(r)] for r in top[:, col]]
        for slot in small:
            if slot not in self._slot_row:
                s = self._stories[slot]
                centroid = s.vec_sum / max(float(np.linalg.norm(s.vec_sum)), 1e-9)
                out[slot] = self._nearest(
                    centroid, s.last if s.last >= 0 else None, st.consolidate_candidates + 1
                )
        return {slot: [x for x in near if x != slot] for slot, near in out.items()}

    # -- reading and persistence ---------------------------------------------------------

    def story_of(self, story_id: str) -> str:
        """Current id of a story, following late merges."""
        return self._stories[self._by_id[story_id]].id

    def stories(self) -> list[Story]:
        return [_public(s) for s in self._stories if s.alive]

    def pop_changed(self) -> list[Story]:
        """The live stories that gained articles or absorbed others since the last call
        (what a store must save)."""
        slots, self._changed = sorted(self._changed), set()
        return [_public(self._stories[x]) for x in slots if self._stories[x].alive]

    def to_state(self) -> dict[str, Any]:
        """Everything, as JSON-ready data: a header and every story's state."""
        return {**self._header(), "stories": [st.to_state() for st in self._stories]}

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
        for slot, s in enumerate(index._stories):
            for day in s.days:
                index._by_day.setdefault(day, set()).add(slot)
        return index


def _public(s: _Story) -> Story:
    return Story(
        id=s.id,
        title=s.title,
        article_ids=[lk.article_id for lk in s.links],
        links=list(s.links),
        merged_from=list(s.merged_from),
    )


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
    feats = features
    by_id = {f.article_id: f for f in feats}
    index = StoryIndex(Settings(**settings))
    for art in sorted(articles, key=_order_key):
        index.add(art, by_id[art.id])
    index.consolidate()
    return index.stories()
