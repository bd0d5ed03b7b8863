"""Run the stages in order over batches of articles, writing each batch atomically.

ingest -> clean -> (skip stored) -> extract -> cluster -> store, one transaction per
batch; then, per story touched: trace copies -> story-level refinement -> fuse.
Per-article stages are pure functions over a batch; the only state is the story
index (persisted in the store after each batch), so an interrupted run resumes
where it stopped and a re-run of the same input changes nothing.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, BinaryIO, TypeVar

from tqdm import tqdm

from newsloom import clean, cluster, dedupe, fuse, ingest
from newsloom.brief import story_title
from newsloom.errors import InputError, NotFound
from newsloom.extract import extract_batch, refine_story
from newsloom.models import Article, Story
from newsloom.store import Store

if TYPE_CHECKING:
    from spacy.language import Language

    from newsloom.extract.places import Gazetteer
    from newsloom.nlp import Embedder
    from newsloom.paraphrase import ParaphraseMatcher

T = TypeVar("T")

CLUSTER_STATE = "story_index"
GENERATION = "story_index_generation"  # bumped by every write of the index
MAX_STORY_RETRIES = 5  # a story changed under its update this often is left dirty


class Resources:
    """Models and lookup tables, loaded once on first use and shared by the stages."""

    @functools.cached_property
    def nlp(self) -> Language:
        from newsloom.nlp import load_spacy

        return load_spacy()

    @functools.cached_property
    def gazetteer(self) -> Gazetteer:
        from newsloom.extract.places import load_gazetteer

        return load_gazetteer()

    @functools.cached_property
    def embedder(self) -> Embedder:
        from newsloom.nlp import load_embedder

        return load_embedder()

    @functools.cached_property
    def matcher(self) -> ParaphraseMatcher:
        from newsloom.paraphrase import ParaphraseMatcher

        return ParaphraseMatcher(self.embedder)


@dataclass(slots=True)
class RunReport:
    """What a run did: counts, the ids of the input's articles and stories, errors."""

    read: int = 0
    new: int = 0
    already_stored: int = 0
    article_ids: list[str] = field(default_factory=list)
    story_ids: list[str] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def show_progress() -> bool:
    """A progress bar on a terminal; quiet in pipes and CI."""
    return sys.stderr.isatty()


def run(
    paths: Sequence[str],
    store: Store,
    resources: Resources | None = None,
    *,
    stdin: BinaryIO | None = None,
    batch_size: int = 32,
    on_error: bool = True,
) -> RunReport:
    """Ingest `paths` into `store` and bring every touched story up to date."""
    res = resources or Resources()
    report = RunReport()
    index = IndexCopy()
    bar = tqdm(desc="articles", unit="art", disable=not show_progress(), leave=False)
    for batch in batched(ingest.read_inputs(paths, stdin=stdin), batch_size):
        articles: list[Article] = []
        for item in batch:
            if isinstance(item, InputError):
                report.errors.append(item)
                if on_error:
                    print(f"newsloom: error: {item}", file=sys.stderr)
            else:
                articles.append(item)
        report.read += len(articles)
        process_batch(clean.clean_batch(articles), store, index, res, report)
        bar.update(len(articles))
    bar.close()
    with index.writing(store) as story_index:
        # Reports that arrived before their siblings: re-check them.
        if story_index.consolidate():
            store.save_stories(story_index.pop_changed())
    for err in report.errors:
        store.record_error(err.where, err.problem)
    update_stories(store, store.dirty_story_ids(), res)
    report.story_ids = sorted(
        {sid for aid in report.article_ids if (sid := store.story_of(aid)) is not None}
    )
    return report


def load_index(store: Store) -> cluster.StoryIndex:
    header = store.load_state(CLUSTER_STATE)
    if header is None:
        return cluster.StoryIndex()
    return cluster.StoryIndex.from_state({**header, "stories": store.cluster_stories()})


@dataclass(slots=True)
class IndexCopy:
    """This process's copy of the story index and the store generation it reflects.

    Several processes may write one store (two ingests, `watch`, the web app's uploads).
    Every write of the index bumps a generation counter in the store, inside the
    writer's transaction; a copy that is behind is reloaded there before it is used,
    so an index is never written over a newer one."""

    index: cluster.StoryIndex | None = None
    generation: int = -1

    @contextmanager
    def writing(self, store: Store) -> Iterator[cluster.StoryIndex]:
        """The current index, inside a write transaction; its changes are saved with it."""
        try:
            with store.transaction():
                generation = int(store.load_state(GENERATION) or 0)
                if self.index is None or generation != self.generation:
                    self.index = load_index(store)
                    self.generation = generation
                yield self.index
                header, stories = self.index.state_delta()
                if stories:  # (the header changes only with some story)
                    store.save_state(CLUSTER_STATE, header)
                    store.save_cluster_stories(stories)
                    self.generation += 1
                    store.save_state(GENERATION, self.generation)
        except BaseException:
            self.index = None  # changed in memory but not stored: reload next time
            raise


def process_batch(
    articles: list[Article],
    store: Store,
    index: IndexCopy,
    res: Resources,
    report: RunReport,
) -> None:
    """Extract, cluster and store one batch of cleaned articles, atomically."""
    fresh: list[Article] = []
    seen: set[str] = set()
    for art in articles:
        report.article_ids.append(art.id)
        if art.id in seen or store.has_article(art.id):
            report.already_stored += 1
            continue
        seen.add(art.id)
        fresh.append(art)
    if not fresh:
        return
    extracted = extract_batch(fresh, res.nlp, res.gazetteer)
    features = cluster.article_features(extracted, res.embedder)
    with index.writing(store) as story_index:
        new = 0
        for art, feats in zip(extracted, features, strict=True):
            if store.has_article(art.id):  # another writer stored it meanwhile
                report.already_stored += 1
                continue
            story_index.add(art, feats)
            store.add_articles([art])
            new += 1
        store.save_stories(story_index.pop_changed())
    report.new += new


def update_stories(store: Store, story_ids: Iterable[str], res: Resources) -> None:
    """Recompute copy tracing and facts for stories whose articles changed.

    The work is done outside the writer lock; if another writer changed a story's
    members meanwhile, the story is done again (its facts must match its members)."""
    for story_id in story_ids:
        for _ in range(MAX_STORY_RETRIES):
            try:
                story = store.get_story(story_id)
            except NotFound:  # merged into another story by another writer
                break
            articles = store.get_articles(story.article_ids)
            articles = refine_story(articles, res.gazetteer)
            story.title = story_title(story, articles)
            story.derivations = dedupe.trace_copies(articles, res.embedder)
            facts = fuse.fuse_story(articles, story.derivations, res.matcher)
            roots = dedupe.independent_roots(articles, story.derivations)
            with store.transaction():
                if not _same_members(store, story):
                    continue
                store.save_stories([story])
                for art in articles:
                    store.update_article(art)
                store.save_facts(story_id, facts, n_independent=len(set(roots.values())))
            break


def _same_members(store: Store, story: Story) -> bool:
    try:
        return store.get_story(story.id).article_ids == story.article_ids
    except NotFound:
        return False
