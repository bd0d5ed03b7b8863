"""Group articles into stories, one article at a time.

`article_features` is pure and batched (it can run on any worker); `StoryIndex`
is newsloom's only stateful component. It keeps, per story, a centroid of the
members' title+lead embeddings, a summed lexical profile (weighted by IDF learnt
from everything seen so far), entity/place counts and the days the story covers.
An article is scored against the stories still active (one received an article
within `window_days` of the newest date seen), so the cost per article stays flat
as the archive grows; it joins the best one above a threshold or starts a story.
Weights and thresholds were chosen on ECB+ dev topics (`newsloom eval cluster`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
import zlib
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from newsloom.models import Article, Link, Story

if TYPE_CHECKING:
    from newsloom.nlp import Embedder

LEX_BUCKETS = 1 << 20
LEAD_SENTENCES = 3
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


@dataclass(slots=True)
class Features:
    """What the story index needs from one article (computed once, pure)."""

    article_id: str
    title: str
    embedding: np.ndarray  # (384,) unit vector of title + lead
    lex_idx: np.ndarray  # sorted unique hashed term ids (int64)
    lex_tf: np.ndarray  # sublinear term frequencies, aligned with lex_idx (float32)
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


def lexical_signature(
    text: str, names: frozenset[str] = frozenset()
) -> tuple[np.ndarray, np.ndarray]:
    """Hashed content-word counts (1 + log tf), plus one term per entity name (names
    tell two events of one kind apart); IDF is applied by the index. Numbers were
    tried as terms too and did not help on ECB+ dev."""
    counts = Counter(
        w for w in (m.group(0).lower() for m in _WORD.finditer(text)) if w not in _STOP
    )
    for name in names:
        counts["name:" + name] += NAME_TF
    if not counts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    merged: dict[int, float] = {}
    for word, n in counts.items():
        key = _term_id(word)
        merged[key] = merged.get(key, 0.0) + 1.0 + math.log(n)
    idx = np.fromiter(sorted(merged), dtype=np.int64, count=len(merged))
    tf = np.array([merged[int(i)] for i in idx], dtype=np.float32)
    return idx, tf


def _names(article: Article) -> frozenset[str]:
    """Entity names: spaCy mentions when extracted, else capitalised word runs."""
    if article.mentions:
        return frozenset(
            (m.norm or m.text).lower()
            for m in article.mentions
            if m.label not in {"DATE", "TIME", "CARDINAL", "ORDINAL", "QUANTITY", "PERCENT"}
        )
    found = set()
    for sent in article.sentences or []:
        for m in _NAME.finditer(sent.text):
            if m.start() > 0 and m.group(1).lower() not in _STOP:
                found.add(m.group(1).lower())
    return frozenset(found)


def article_features(articles: list[Article], embedder: Embedder) -> list[Features]:
    """Features for a batch of articles (one embedder call for the whole batch)."""
    vecs = embedder.embed([_lead(a) for a in articles])
    out = []
    for art, vec in zip(articles, vecs, strict=True):
        names = _names(art)
        text = f"{art.title}\n{art.text}"
        idx, tf = lexical_signature(text, names)
        out.append(
            Features(
                article_id=art.id,
                title=art.title or (art.sentences[0].text if art.sentences else art.text[:80]),
                embedding=np.asarray(vec, dtype=np.float32),
                lex_idx=idx,
                lex_tf=tf,
                entities=names,
                places=frozenset(p.name.lower() for p in art.places if p.name),
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
class _Story:
    """Mutable per-story aggregate inside the index."""

    id: str
    seq: int
    title: str
    central: float
    vec_sum: np.ndarray
    lex_idx: np.ndarray
    lex_tf: np.ndarray
    entities: Counter[str] = field(default_factory=Counter)
    places: Counter[str] = field(default_factory=Counter)
    dates: Counter[str] = field(default_factory=Counter)
    years: Counter[str] = field(default_factory=Counter)
    days: set[int] = field(default_factory=set)
    links: list[Link] = field(default_factory=list)
    merged_from: list[str] = field(default_factory=list)
    alive: bool = True
    weighted: tuple[np.ndarray, float] | None = None  # IDF-weighted profile cache
    weighted_at: int = 0  # documents seen when the cache was made (IDF drifts slowly)
    last: int = -1  # newest day an article arrived (publication day, or "now" if undated)

    def add_lex(self, idx: np.ndarray, tf: np.ndarray, max_terms: int) -> None:
        """Sum term weights; keep the `max_terms` heaviest so scoring cost stays bounded."""
        both = np.concatenate([self.lex_idx, idx])
        keys, inv = np.unique(both, return_inverse=True)
        sums = np.bincount(inv, weights=np.concatenate([self.lex_tf, tf]), minlength=len(keys))
        if len(keys) > max_terms:
            keep = np.sort(np.argpartition(-sums, max_terms - 1)[:max_terms])
            keys, sums = keys[keep], sums[keep]
        self.lex_idx, self.lex_tf = keys, sums.astype(np.float32)
        self.weighted = None

    def to_state(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "seq": self.seq,
            "title": self.title,
            "central": self.central,
            "vec_sum": [round(float(x), 6) for x in self.vec_sum],
            "lex_idx": self.lex_idx.tolist(),
            "lex_tf": [round(float(x), 4) for x in self.lex_tf],
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
        return cls(
            id=d["id"],
            seq=d["seq"],
            title=d["title"],
            central=d["central"],
            vec_sum=np.array(d["vec_sum"], dtype=np.float32),
            lex_idx=np.array(d["lex_idx"], dtype=np.int64),
            lex_tf=np.array(d["lex_tf"], dtype=np.float32),
            entities=Counter(d["entities"]),
            places=Counter(d["places"]),
            dates=Counter(d["dates"]),
            years=Counter(d.get("years", {})),
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
    w_names: float = 0.0  # entity overlap did not help on ECB+ dev; names enter `lex` instead
    w_date: float = 0.2
    w_year: float = 0.05  # added when the article's main year agrees, taken when it differs
    window_days: int = 7
    candidates: int = 8
    max_terms: int = 2000


def _overlap(items: frozenset[str], counts: Counter[str]) -> tuple[float, list[str]]:
    """Share of the article's items that the story already has (0..1) and which."""
    if not items or not counts:
        return 0.0, []
    shared = sorted(x for x in items if x in counts)
    return len(shared) / min(len(items), len(counts)), shared


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
        self._stories: list[_Story] = []
        self._by_id: dict[str, int] = {}
        self._df = np.zeros(LEX_BUCKETS, dtype=np.int32)
        self._docs = 0
        self._now: int | None = None
        self._rows = np.zeros((64, 384), dtype=np.float32)  # active centroids
        self._row_slot: list[int] = []
        self._slot_row: dict[int, int] = {}
        self._by_day: dict[int, set[int]] = {}  # publication day -> stories with articles that day

    # -- scoring -------------------------------------------------------------------------

    def _weighted(self, idx: np.ndarray, tf: np.ndarray) -> tuple[np.ndarray, float]:
        vec = tf * (np.log((self._docs + 1) / (self._df[idx] + 1)) + 1.0)
        return vec, float(np.sqrt(vec @ vec))

    def _lex_cos(self, f: Features, a: tuple[np.ndarray, float], s: _Story) -> float:
        if not len(f.lex_idx) or not len(s.lex_idx) or not a[1]:
            return 0.0
        if s.weighted is None or self._docs > 1.1 * s.weighted_at + 10:
            s.weighted, s.weighted_at = self._weighted(s.lex_idx, s.lex_tf), self._docs
        b, norm_b = s.weighted
        pos = np.minimum(np.searchsorted(s.lex_idx, f.lex_idx), len(s.lex_idx) - 1)
        hit = s.lex_idx[pos] == f.lex_idx
        return float(a[0][hit] @ b[pos[hit]]) / (a[1] * norm_b) if norm_b else 0.0

    def _candidates(self, f: Features) -> list[int]:
        """The stories whose centroids are nearest the article's embedding among those
        active around its date: the active matrix, or for an article older than the
        window (a late or back-filled report) the stories of the days around it."""
        day, window = _day(f.published), self.settings.window_days
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
        sims = rows @ f.embedding
        k = min(self.settings.candidates, len(slots))
        return [slots[int(i)] for i in np.argpartition(-sims, k - 1)[:k]]

    def _score(
        self, f: Features, a: tuple[np.ndarray, float], s: _Story
    ) -> tuple[float, float, float]:
        """Weighted mean of the available signals; missing signals do not count against."""
        st = self.settings
        cos = float(s.vec_sum @ f.embedding) / max(float(np.linalg.norm(s.vec_sum)), 1e-9)
        lex = self._lex_cos(f, a, s)
        num, den = st.w_embed * cos + st.w_lex * lex, st.w_embed + st.w_lex
        if st.w_names and f.entities and s.entities:
            num, den = num + st.w_names * _overlap(f.entities, s.entities)[0], den + st.w_names
        if st.w_names and f.places and s.places:
            num, den = num + st.w_names * _overlap(f.places, s.places)[0], den + st.w_names
        day = _day(f.published)
        if day is not None and s.days:
            gap = min(abs(day - d) for d in s.days)
            num, den = num + st.w_date * math.exp(-gap / 3.0), den + st.w_date
        score = num / den
        if st.w_year and f.year and s.years:
            score += st.w_year if f.year == s.years.most_common(1)[0][0] else -st.w_year
        return score, cos, lex

    def _evidence(
        self, f: Features, s: _Story, score: tuple[float, float, float]
    ) -> dict[str, Any]:
        return {
            "cosine": round(score[1], 4),
            "lexical": round(score[2], 4),
            "shared_entities": _overlap(f.entities, s.entities)[1][:20],
            "shared_places": _overlap(f.places, s.places)[1][:20],
            "shared_dates": sorted(d for d in f.dates if d in s.dates),
            "score": round(score[0], 4),
        }

    # -- updates -------------------------------------------------------------------------

    def _new_story(self, f: Features) -> int:
        story = _Story(
            id="s" + f.article_id,
            seq=len(self._stories),
            title=f.title,
            central=-1.0,
            vec_sum=np.zeros(384, dtype=np.float32),
            lex_idx=np.zeros(0, dtype=np.int64),
            lex_tf=np.zeros(0, dtype=np.float32),
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
        """Drop stories whose newest article is older than the window from the matrix."""
        if self._now is None:
            return
        horizon = self._now - self.settings.window_days
        for slot in [x for x in self._row_slot if self._stories[x].last < horizon]:
            self._drop_row(slot)

    def _absorb(self, slot: int, f: Features, link: Link) -> None:
        s = self._stories[slot]
        cos = float(s.vec_sum @ f.embedding) / max(float(np.linalg.norm(s.vec_sum)), 1e-9)
        if cos > s.central:
            s.central, s.title = cos, f.title
        s.vec_sum = s.vec_sum + f.embedding
        s.add_lex(f.lex_idx, f.lex_tf, self.settings.max_terms)
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
        self._set_row(slot)

    def _merge(self, keep: int, drop: int) -> int:
        """Fold one story into the older one (ids never change); returns the kept slot."""
        if self._stories[drop].seq < self._stories[keep].seq:
            keep, drop = drop, keep
        k, d = self._stories[keep], self._stories[drop]
        k.vec_sum = k.vec_sum + d.vec_sum
        k.add_lex(d.lex_idx, d.lex_tf, self.settings.max_terms)
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
        d.alive = False
        for alias in [d.id, *d.merged_from]:
            self._by_id[alias] = keep
        self._drop_row(drop)
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
        weighted = self._weighted(f.lex_idx, f.lex_tf)
        scored = sorted(
            ((self._score(f, weighted, self._stories[i]), i) for i in self._candidates(f)),
            key=lambda x: -x[0][0],
        )
        self._docs += 1
        self._df[f.lex_idx] += 1
        if not scored or scored[0][0][0] < self.settings.threshold:
            slot = self._new_story(f)
            link = Link(article.id, self._stories[slot].id, 1.0, {"new_story": True})
            self._absorb(slot, f, link)
            return link
        best, slot = scored[0]
        evidence = self._evidence(f, self._stories[slot], best)
        link = Link(article.id, self._stories[slot].id, round(best[0], 4), evidence)
        self._absorb(slot, f, link)
        for other, j in scored[1:]:
            if other[0] >= self.settings.merge_threshold and self._stories[j].alive:
                slot = self._merge(slot, j)
        return Link(article.id, self._stories[slot].id, link.score, evidence)

    # -- reading and persistence ---------------------------------------------------------

    def story_of(self, story_id: str) -> str:
        """Current id of a story, following late merges."""
        return self._stories[self._by_id[story_id]].id

    def stories(self) -> list[Story]:
        return [
            Story(
                id=s.id,
                title=s.title,
                article_ids=[lk.article_id for lk in s.links],
                links=list(s.links),
                merged_from=list(s.merged_from),
            )
            for s in self._stories
            if s.alive
        ]

    def to_state(self) -> dict[str, Any]:
        nz = np.nonzero(self._df)[0]
        return {
            "version": 1,
            "settings": dataclasses.asdict(self.settings),
            "docs": self._docs,
            "now": self._now,
            "df": {str(int(i)): int(self._df[i]) for i in nz},
            "stories": [s.to_state() for s in self._stories],
            "active": [self._stories[x].id for x in self._row_slot],
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> StoryIndex:
        index = cls(Settings(**state["settings"]))
        index._docs = state["docs"]
        index._now = state["now"]
        for k, v in state["df"].items():
            index._df[int(k)] = v
        for d in state["stories"]:
            index._stories.append(_Story.from_state(d))
        for slot, s in enumerate(index._stories):
            index._by_id.setdefault(s.id, slot)
            for alias in s.merged_from:
                index._by_id[alias] = slot
        for sid in state["active"]:
            index._set_row(index._by_id[sid])
        for slot, s in enumerate(index._stories):
            for day in s.days:
                index._by_day.setdefault(day, set()).add(slot)
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
    feats = features
    by_id = {f.article_id: f for f in feats}
    index = StoryIndex(Settings(**settings))
    for art in sorted(articles, key=_order_key):
        index.add(art, by_id[art.id])
    return index.stories()
