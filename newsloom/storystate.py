"""A story's incremental state: copy tracing and facts, grown one article at a time.

Re-doing copy tracing and fusion over a whole story after every batch costs more with every
report (13 s for the first batch of a story, 93 s for its eighth), so a story keeps its state:
the copy tracer's signatures (`dedupe.CopyTracer`), its facts as an index
(`fuse.StoryFacts`), the countries its places lie in and its earliest date (the context new
reports are refined with). A batch only adds its new articles to that state, in arrival
order, and writes what changed: new article rows, changed facts, a small header. Building a
story in batches therefore gives the same facts and derivations as building it in one go.

An update is a job (`read_job` in the writer: the story, its state's token, its new
articles) that runs wherever the executor puts it (`run_job`: this process, a worker
process, a Dask worker) and comes back as the rows to write (`write_update`, in the writer,
only if the story and its state did not change meanwhile). The process that ran a story's
update keeps the state in a bounded cache keyed by database, and the executor sends the
story's next job to it, so a state travels only when that process lacks it (a new worker,
a state evicted): the job then says `missing` and the writer sends the stored rows. A
cached state is used only if its token matches the store's (another process may have
written since); the least recently used states are dropped once the cache holds more
than `CACHE_STATEMENTS` statements, which bounds memory when stories leave the active
window. A story whose article order changed (stories merged) is rebuilt.
"""

from __future__ import annotations

import dataclasses
import pickle
import sys
import time
import uuid
import weakref
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from threadpoolctl import ThreadpoolController

from newsloom.brief import story_title
from newsloom.dedupe import CopyTracer
from newsloom.extract import refine_story
from newsloom.fuse import StoryFacts
from newsloom.models import Article, Derivation, Fact, Story

if TYPE_CHECKING:
    from newsloom.pipeline import Resources
    from newsloom.store import Store

STATE_VERSION = 7  # 7: tolls whose change ends at a number, toll facts across parsed holders
# 6: a clause carries the claims whose verb it holds
# 5: claims filed under surnames and head words, verb classes of dismissal
CACHE_STATEMENTS = 400_000  # statements kept in memory across all cached stories
HELD_STORIES = 100_000  # stories whose runner the writer remembers, per database


@dataclass(slots=True)
class StoryState:
    """Everything story-level work remembers about one story."""

    story_id: str
    token: str = ""
    article_ids: list[str] = field(default_factory=list)
    tracer: CopyTracer = field(default_factory=CopyTracer)
    facts: StoryFacts = field(default_factory=StoryFacts)
    countries: Counter[str] = field(default_factory=Counter)
    first_day: str = ""
    headline: str = ""  # the first real headline seen
    derived_titles: set[str] = field(default_factory=set)  # titles made from body text
    facts_header: dict[str, Any] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.facts.statements)

    def header(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "countries": dict(self.countries),
            "first_day": self.first_day,
            "headline": self.headline,
            "derived_titles": sorted(self.derived_titles),
            "derivations": [d.to_dict() for d in self.tracer.derivations],
            "facts": self.facts_header,
        }


class _Cache:
    """Recently used story states of one database, least recently used dropped first."""

    def __init__(self) -> None:
        self.states: OrderedDict[str, StoryState] = OrderedDict()
        self.total = 0  # statements held (kept as a running sum: a put stays O(1))

    def take(self, story_id: str, token: str | None) -> StoryState | None:
        """The state at `token`, removed from the cache: it is about to change in place,
        and a half-grown state (an update that failed) must not be found again."""
        state = self.drop(story_id)
        return state if state is not None and state.token == token else None

    def put(self, state: StoryState) -> None:
        self.drop(state.story_id)
        self.states[state.story_id] = state
        self.total += state.size
        while len(self.states) > 1 and self.total > CACHE_STATEMENTS:
            _, dropped = self.states.popitem(last=False)
            self.total -= dropped.size

    def clear(self) -> None:
        self.states.clear()
        self.total = 0

    def drop(self, story_id: str) -> StoryState | None:
        state = self.states.pop(story_id, None)
        if state is not None:
            self.total -= state.size
        return state


# Where a story's update runs (this process or a worker), the states it grew, per database.
_CACHES: dict[str, _Cache] = {}
# In the writer, per database: the token and article count of each story's state that the
# last update computed (and so the process that ran it probably still holds).
_HELD: dict[str, OrderedDict[str, tuple[str, int]]] = {}
_MEMORY_KEYS: weakref.WeakKeyDictionary[Store, str] = weakref.WeakKeyDictionary()


def db_key(store: Store) -> str:
    """Names the database in caches, in any process (each in-memory store its own)."""
    if store.path == ":memory:":
        if store not in _MEMORY_KEYS:
            key = _MEMORY_KEYS[store] = f":memory:{uuid.uuid4().hex}"
            weakref.finalize(store, _forget, key)  # its states go with the store
        return _MEMORY_KEYS[store]
    return store.path


def _forget(key: str) -> None:
    _CACHES.pop(key, None)
    _HELD.pop(key, None)


def _cache(db: str) -> _Cache:
    """The cached states of one database (`db_key`)."""
    return _CACHES.setdefault(db, _Cache())


def _held(store: Store) -> OrderedDict[str, tuple[str, int]]:
    return _HELD.setdefault(db_key(store), OrderedDict())


@dataclass(slots=True)
class StoryJob:
    """One story's update as the writer read it, for wherever the update runs: the story,
    the token of its kept state, and its articles from `start` on. The state itself
    travels only when the runner may not hold it (`stored`: the rows as stored)."""

    db: str
    story: Story
    token: str | None
    start: int
    articles: list[Article]
    stored: StoredRows | None = None


@dataclass(slots=True)
class StoryUpdate:
    """What an update changed, for the writer to store; `missing` when the runner did not
    hold the state the job assumed (the writer sends it and asks again)."""

    story: Story
    missing: bool = False
    rebuilt: bool = False
    changed: list[Article] = field(default_factory=list)  # articles the story refined
    token: str = ""
    header: dict[str, Any] = field(default_factory=dict)
    article_rows: list[tuple[int, str, Any, Any]] = field(default_factory=list)
    group_rows: list[tuple[int, Any]] = field(default_factory=list)
    upserts: list[tuple[Fact, int]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    n_independent: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


StoredRows = tuple[str, Any, list[tuple[str, Any, Any]], list[Any]]


def from_rows(story_id: str, rows: StoredRows) -> StoryState:
    """A story's state from its stored rows (`Store.load_fuse_state`)."""
    token, header, articles, groups = rows
    derivations = [Derivation.from_dict(d) for d in header["derivations"]]
    return StoryState(
        story_id,
        token,
        article_ids=[aid for aid, _, _ in articles],
        tracer=CopyTracer.from_state([c for _, _, c in articles], derivations),
        facts=StoryFacts.from_state(header["facts"], [f for _, f, _ in articles], groups),
        countries=Counter(header["countries"]),
        first_day=header["first_day"],
        headline=header["headline"],
        derived_titles=set(header["derived_titles"]),
        facts_header=header["facts"],
    )


def read_job(store: Store, story_id: str, *, send_state: bool = False) -> StoryJob:
    """The job for one story as the store has it now (`NotFound` if it was merged away).

    The kept state is sent along unless the last update here left it, at the store's
    token, with the runner (`send_state` forces it: the runner said it lacks it); a
    state of another version, or one whose articles are no longer the story's first
    ones (stories merged), is rebuilt from all the story's articles."""
    story = store.get_story(story_id)
    token = store.fuse_token(story_id)
    held = _held(store).get(story_id)
    start, rows = 0, None
    if token is not None and not send_state and held is not None and held[0] == token:
        start = held[1]
    elif token is not None:
        found = store.load_fuse_state(story_id)
        if found is not None and found[1].get("version") == STATE_VERSION:
            ids = [aid for aid, _, _ in found[2]]
            if story.article_ids[: len(ids)] == ids:
                start, rows = len(ids), found
    articles = store.get_articles(story.article_ids[start:])
    return StoryJob(db_key(store), story, token, start, articles, rows)


def run_job(res: Resources, job: StoryJob) -> StoryUpdate:
    """Grow the story's state by the job's articles; runs wherever the executor puts it,
    and keeps the state there for the story's next job.

    Story-level work multiplies small matrices; BLAS threads only contend there (on a busy
    machine a 20 x 2000 product took 25 ms with them, 1 ms without), so it runs on one."""
    started = time.perf_counter(), time.process_time()
    story = job.story
    cache = _cache(job.db)
    for old in story.merged_from:
        cache.drop(old)
    state = cache.take(story.id, job.token)
    if job.start == 0:
        state = StoryState(story.id)  # new, or rebuilt from all its articles
    elif state is None and job.stored is not None:
        state = from_rows(story.id, job.stored)
    if state is None or state.article_ids != story.article_ids[: job.start]:
        return StoryUpdate(story, missing=True)
    rebuilt = job.start == 0
    # Story-level refinement seldom changes an article (1 in 160 ECB+ articles): only the
    # changed ones go back to be rewritten (the others would be written as they are).
    # Equal articles may pickle to other bytes (shared strings), so bytes that differ are
    # checked by comparing the articles (~2 in 3 ECB+ articles were rewritten unchanged).
    before = [pickle.dumps(art) for art in job.articles]
    with _blas().limit(limits=1, user_api="blas"):
        grow(state, job.articles, res)
    # a new Story: the job's stays as read (in this process, the writer compares with it)
    story = dataclasses.replace(
        story, title=_title(state, story), derivations=list(state.tracer.derivations)
    )
    upserts, removed = state.facts.pop_changes()
    state.facts_header, art_rows, group_rows = state.facts.state_delta()
    copies = dict(state.tracer.state_delta())
    state.token = uuid.uuid4().hex
    cache.put(state)
    return StoryUpdate(
        story,
        rebuilt=rebuilt,
        changed=[
            a
            for a, b in zip(job.articles, before, strict=True)
            if pickle.dumps(a) != b and pickle.loads(b) != a
        ],
        token=state.token,
        header=state.header(),
        article_rows=[(pos, row["id"], row, copies[row["id"]]) for pos, row in art_rows],
        group_rows=group_rows,
        upserts=upserts,
        removed=removed,
        n_independent=state.facts.independent_reports(),
        seconds={
            "story updates": time.perf_counter() - started[0],
            "story updates cpu": time.process_time() - started[1],
        },
    )


_blas_found: list[tuple[int, ThreadpoolController]] = []


def _blas() -> ThreadpoolController:
    """The BLAS libraries loaded in this process. Finding them scans every loaded library
    (~2.5 ms, as much as a small story's update), so it is done again only after new
    modules were imported (one may have brought its own BLAS)."""
    if not _blas_found or _blas_found[0][0] != len(sys.modules):
        _blas_found[:] = [(len(sys.modules), ThreadpoolController())]
    return _blas_found[0][1]


def write_update(store: Store, read: Story, token: str | None, update: StoryUpdate) -> bool:
    """Store an update, only over the story and kept state it was computed from (`read`,
    `token`): the work ran outside the writer lock. False (nothing written) if another
    process changed them meanwhile: the caller reads the story again and redoes it."""
    story = update.story
    held = _held(store)
    with store.transaction():
        if store.fuse_token(story.id) != token or store.get_story(story.id) != read:
            held.pop(story.id, None)
            return False
        for old in story.merged_from:
            store.delete_fuse_state(old)
            held.pop(old, None)
        if update.rebuilt:
            store.delete_fuse_state(story.id)
            store.save_facts(story.id, [], n_independent=0)
        store.save_stories([story])
        for art in update.changed:
            store.update_article(art)
        store.save_fuse_state(
            story.id, update.token, update.header, update.article_rows, update.group_rows
        )
        store.save_fact_changes(
            story.id, update.upserts, update.removed, n_independent=update.n_independent
        )
    held[story.id] = (update.token, len(story.article_ids))
    held.move_to_end(story.id)
    while len(held) > HELD_STORIES:
        held.popitem(last=False)
    return True


def grow(state: StoryState, articles: list[Article], res: Resources) -> None:
    """Add articles to the state one by one, in arrival order (the order makes the result:
    each article meets exactly the articles that came before it)."""
    # Copy tracing and fusion embed mostly the same sentences, and a later article some
    # of an earlier one's again: each text once per update.
    embed = _memo(res.statement_embedder.embed)
    for art in articles:
        state.countries.update(p.country for p in art.places if p.country)
        refine_story([art], res.gazetteer, state.countries, state.first_day)
        if art.day and (not state.first_day or art.day < state.first_day):
            state.first_day = art.day
        for d in state.tracer.add(art, embed):
            _reroot(state, d)
        state.facts.add(art, embed, res.matcher, state.tracer.root(art.id))
        state.article_ids.append(art.id)
        if art.title and not art.meta.get("title_derived"):
            state.headline = state.headline or art.title
        elif art.title:
            state.derived_titles.add(art.title)


def _memo(embed: Callable[[list[str]], np.ndarray]) -> Callable[[list[str]], np.ndarray]:
    """`embed` that computes each text once (for one update's copy tracing and fusion)."""
    seen: dict[str, np.ndarray] = {}

    def cached(texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in seen]
        if missing:
            seen.update(zip(missing, embed(missing), strict=True))
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([seen[t] for t in texts])

    return cached


def _reroot(state: StoryState, d: Derivation) -> None:
    """An article already indexed turned out to copy the new one: re-count its facts."""
    if d.article_id not in state.article_ids:
        return  # the new article itself: its root is given when it is added
    for aid in state.tracer.descendants(d.article_id):
        state.facts.set_root(aid, state.tracer.root(aid))


def _title(state: StoryState, story: Story) -> str:
    stubs = [Article(id="h", text="", title=state.headline)] if state.headline else []
    if story.title in state.derived_titles:
        stubs.append(Article(id="d", text="", title=story.title, meta={"title_derived": True}))
    return story_title(story, stubs)
