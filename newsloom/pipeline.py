"""Run the stages in order over batches of articles, writing each batch atomically.

ingest -> clean -> (skip stored) -> extract -> cluster -> store, one transaction per
batch; then, per story touched, only its new articles: refinement -> copy tracing ->
facts (`storystate`). Per-article stages are pure functions over a batch; the state is the
story index (persisted in the store after each batch) and each story's kept state (saved
with it), so an interrupted run resumes
where it stopped and a re-run of the same input changes nothing.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, BinaryIO, TypeVar

from tqdm import tqdm

from newsloom import clean, cluster, ingest, storystate
from newsloom.errors import InputError
from newsloom.extract import extract_batch
from newsloom.models import Article
from newsloom.store import Store

if TYPE_CHECKING:
    from spacy.language import Language

    from newsloom.extract.places import Gazetteer
    from newsloom.nlp import Embedder, StaticEmbedder
    from newsloom.paraphrase import ParaphraseMatcher

T = TypeVar("T")

CLUSTER_STATE = "story_index"


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
    def statement_embedder(self) -> StaticEmbedder:
        """Cheap sentence vectors for story-level work (copy tracing, fusion): the static
        embedder distilled from MiniLM, ~100x cheaper per sentence."""
        from newsloom.nlp import load_static_embedder

        return load_static_embedder()

    @functools.cached_property
    def matcher(self) -> ParaphraseMatcher:
        from newsloom.paraphrase import PIPELINE_CROSSENCODER_PAIRS, ParaphraseMatcher

        # its own static embedder (the one its gate was trained on); a bounded cost per article
        return ParaphraseMatcher(crossencoder_pairs=PIPELINE_CROSSENCODER_PAIRS)


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
    labels: Mapping[str, str] | None = None,
) -> RunReport:
    """Ingest `paths` into `store` and bring every touched story up to date.

    `labels` gives inputs the names to report and store (see `ingest.read_inputs`)."""
    res = resources or Resources()
    report = RunReport()
    index = load_index(store)
    bar = tqdm(desc="articles", unit="art", disable=not show_progress(), leave=False)
    own = [store.path + end for end in ("", "-wal", "-shm", "-journal")]  # never read the db
    inputs = ingest.read_inputs(paths, stdin=stdin, labels=labels, skip=own)
    for batch in batched(inputs, batch_size):
        articles: list[Article] = []
        for item in batch:
            if isinstance(item, InputError):
                report.errors.append(item)
                if on_error:
                    print(f"newsloom: error: {item}", file=sys.stderr)
            else:
                articles.append(item)
        report.read += len(articles)
        n_errors = len(report.errors)
        process_batch(clean.clean_batch(articles), store, index, res, report)
        for err in report.errors[n_errors:] if on_error else []:
            print(f"newsloom: error: {err}", file=sys.stderr)
        bar.update(len(articles))
    bar.close()
    # Reports that arrived before their siblings: re-check the stories this run touched
    # (only those, so a run that adds nothing changes nothing).
    index.consolidate()
    with store.transaction():
        store.save_stories(index.pop_changed())
        save_index(store, index)
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
    return cluster.StoryIndex.from_state(
        {**header, "stories": store.cluster_stories(), "lines": store.storyline_states()}
    )


def save_index(store: Store, index: cluster.StoryIndex) -> None:
    """Write what changed in the index (call inside the batch's transaction)."""
    header, stories = index.state_delta()
    store.save_state(CLUSTER_STATE, header)
    store.save_cluster_stories(stories)
    store.save_storylines(index.storylines.delta())


def process_batch(
    articles: list[Article],
    store: Store,
    index: cluster.StoryIndex,
    res: Resources,
    report: RunReport,
) -> None:
    """Extract, cluster and store one batch of cleaned articles, atomically."""
    articles = ingest.refuse_id_clashes(articles, store, report.errors)
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
    # The index is changed in memory first; if the transaction fails, the run
    # stops and the next run reloads the last committed state.
    for art, feats in zip(extracted, features, strict=True):
        index.add(art, feats)
    with store.transaction():
        store.add_articles(extracted)
        store.save_stories(index.pop_changed())
        save_index(store, index)
    report.new += len(extracted)


def update_stories(store: Store, story_ids: Iterable[str], res: Resources) -> None:
    """Bring copy tracing and facts up to date for stories whose articles changed: only
    their new articles are added to each story's kept state (`storystate`)."""
    for story_id in story_ids:
        storystate.update_story(store, story_id, res)
