"""A story's incremental state: copy tracing and facts, grown one article at a time.

Re-doing copy tracing and fusion over a whole story after every batch costs more with every
report (13 s for the first batch of a story, 93 s for its eighth), so a story keeps its state:
the copy tracer's signatures (`dedupe.CopyTracer`), its facts as an index
(`fuse.StoryFacts`), the countries its places lie in and its earliest date (the context new
reports are refined with). A batch only adds its new articles to that state, in arrival
order, and writes what changed: new article rows, changed facts, a small header. Building a
story in batches therefore gives the same facts and derivations as building it in one go.

States live in the store (fuse's section of the schema) and, while a process runs, in a
bounded cache keyed by database, so a long-running `watch` or web app does not reload a big
story for every batch. A cached state is used only if its token matches the store's (another
process may have written since); the least recently used states are dropped once the cache
holds more than `CACHE_STATEMENTS` statements, which bounds memory when stories leave the
active window. A story whose article order changed (stories merged) is rebuilt.
"""

from __future__ import annotations

import uuid
import weakref
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from threadpoolctl import threadpool_limits

from newsloom.brief import story_title
from newsloom.dedupe import CopyTracer
from newsloom.extract import refine_story
from newsloom.fuse import StoryFacts
from newsloom.models import Article, Derivation, Story

if TYPE_CHECKING:
    from newsloom.pipeline import Resources
    from newsloom.store import Store

STATE_VERSION = 1
CACHE_STATEMENTS = 400_000  # statements kept in memory across all cached stories


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

    def get(self, story_id: str, token: str | None) -> StoryState | None:
        state = self.states.get(story_id)
        if state is None or state.token != token:
            return None
        self.states.move_to_end(story_id)
        return state

    def put(self, state: StoryState) -> None:
        self.states[state.story_id] = state
        self.states.move_to_end(state.story_id)
        total = sum(s.size for s in self.states.values())
        while len(self.states) > 1 and total > CACHE_STATEMENTS:
            _, dropped = self.states.popitem(last=False)
            total -= dropped.size

    def drop(self, story_id: str) -> None:
        self.states.pop(story_id, None)


_BY_PATH: dict[str, _Cache] = {}
_BY_STORE: weakref.WeakKeyDictionary[Store, _Cache] = weakref.WeakKeyDictionary()


def _cache(store: Store) -> _Cache:
    if store.path == ":memory:":
        return _BY_STORE.setdefault(store, _Cache())
    return _BY_PATH.setdefault(store.path, _Cache())


def load_state(store: Store, story: Story) -> StoryState | None:
    """A story's state from the store (None if it has none, or one of another version)."""
    found = store.load_fuse_state(story.id)
    if found is None:
        return None
    token, header, articles, groups = found
    if header.get("version") != STATE_VERSION:
        return None
    state = StoryState(story.id, token)
    state.article_ids = [aid for aid, _, _ in articles]
    derivations = [Derivation.from_dict(d) for d in header["derivations"]]
    state.tracer = CopyTracer.from_state([c for _, _, c in articles], derivations)
    state.facts = StoryFacts.from_state(header["facts"], [f for _, f, _ in articles], groups)
    state.countries = Counter(header["countries"])
    state.first_day = header["first_day"]
    state.headline = header["headline"]
    state.derived_titles = set(header["derived_titles"])
    state.facts_header = header["facts"]
    return state


def update_story(store: Store, story_id: str, res: Resources) -> bool:
    """Bring one story's copies and facts up to date with its new articles; False (nothing
    written) if another process changed the story meanwhile: the caller does it again.

    Story-level work multiplies small matrices; BLAS threads only contend there (on a busy
    machine a 20 x 2000 product took 25 ms with them, 1 ms without), so it runs on one."""
    with threadpool_limits(limits=1, user_api="blas"):
        return _update_story(store, story_id, res)


def _update_story(store: Store, story_id: str, res: Resources) -> bool:
    story = store.get_story(story_id)
    read = story.to_dict()
    cache = _cache(store)
    token = store.fuse_token(story_id)
    state = cache.get(story_id, token)
    if state is None:
        state = load_state(store, story)
    if state is None or story.article_ids[: len(state.article_ids)] != state.article_ids:
        state = StoryState(story_id)  # new, or its articles were reordered: rebuild
    new_ids = story.article_ids[len(state.article_ids) :]
    rebuilt = not state.article_ids
    added = grow(state, store.get_articles(new_ids), res)
    story.title = _title(state, story)
    story.derivations = list(state.tracer.derivations)
    upserts, removed = state.facts.pop_changes()
    facts_header, art_rows, group_rows = state.facts.state_delta()
    state.facts_header = facts_header
    copies = dict(state.tracer.state_delta())
    state.token = uuid.uuid4().hex
    with store.transaction():
        # The work above ran outside the writer lock: write it only over what it read.
        if store.fuse_token(story_id) != token or store.get_story(story_id).to_dict() != read:
            cache.drop(story_id)
            return False
        for old in story.merged_from:
            store.delete_fuse_state(old)
            cache.drop(old)
        if rebuilt:
            store.delete_fuse_state(story_id)
            store.save_facts(story_id, [], n_independent=0)
        store.save_stories([story])
        for art in added:
            store.update_article(art)
        store.save_fuse_state(
            story_id,
            state.token,
            state.header(),
            [(pos, row["id"], row, copies[row["id"]]) for pos, row in art_rows],
            group_rows,
        )
        store.save_fact_changes(
            story_id, upserts, removed, n_independent=state.facts.independent_reports()
        )
    cache.put(state)
    return True


def grow(state: StoryState, articles: list[Article], res: Resources) -> list[Article]:
    """Add articles to the state one by one, in arrival order (the order makes the result:
    each article meets exactly the articles that came before it)."""
    vectors = res.statement_embedder.embed
    for art in articles:
        embed = _memo(vectors)  # copy tracing and fusion embed mostly the same sentences
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
    return articles


def _memo(embed: Callable[[list[str]], np.ndarray]) -> Callable[[list[str]], np.ndarray]:
    """`embed` that computes each text once (for one article's copy tracing and fusion)."""
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
