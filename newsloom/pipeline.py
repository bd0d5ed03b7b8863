"""Run the stages in order over batches of articles, writing each batch atomically.

ingest -> clean -> (skip stored) -> extract -> cluster -> store, one transaction per
batch; then, per story touched, only its new articles: refinement -> copy tracing ->
facts (`storystate`). The per-article stages are a pure function (`prepare_batch`) that an
executor runs here, in worker processes or on a Dask cluster; so are the story updates
(`storystate.run_job`, one task per story, on the worker that holds the story's state),
whose results this process stores. The state is the story index
(kept by this process, the one writer, and persisted in the store after each batch) and
each story's kept state (saved with it), so an interrupted run resumes where it stopped
and a re-run of the same input changes nothing.
"""

from __future__ import annotations

import functools
import gc
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, BinaryIO, TypeVar

from tqdm import tqdm

from newsloom import clean, cluster, ingest, storystate
from newsloom.errors import InputError, NotFound
from newsloom.executors import Executor, Inline, here_seconds
from newsloom.extract import extract_batch
from newsloom.models import Article, Story
from newsloom.store import Store

if TYPE_CHECKING:
    from spacy.language import Language

    from newsloom.extract.places import Gazetteer
    from newsloom.nlp import Embedder, StaticEmbedder
    from newsloom.paraphrase import ParaphraseMatcher

T = TypeVar("T")

CLUSTER_STATE = "story_index"
GENERATION = "story_index_generation"  # bumped by every write of the index
MAX_STORY_RETRIES = 5  # a story changed under its update this often is left dirty


FULL_GC_EVERY = 100  # young-generation collections between full ones (Python's default: 10)


def _kept(model: T) -> T:
    """A model kept for the life of the process, moved out of the cyclic garbage
    collector's way (`gc.freeze`): its full passes walked the models' objects again and
    again, ~3 ms of CPU an article."""
    gc.freeze()
    return model


class Resources:
    """Models and lookup tables, loaded once on first use and shared by the stages.

    A process that runs the stages also makes the collector's full passes 10 times rarer:
    they walk everything a run keeps (the writer's story index, the workers' story states),
    ~2.5 ms of CPU an article with 2 workers at Python's pace (young collections and
    reference counting still free almost everything as soon as it is dropped)."""

    def __init__(self) -> None:
        young, middle, _ = gc.get_threshold()
        gc.set_threshold(young, middle, FULL_GC_EVERY)

    @functools.cached_property
    def nlp(self) -> Language:
        from newsloom.nlp import load_spacy

        return _kept(load_spacy())

    @functools.cached_property
    def gazetteer(self) -> Gazetteer:
        from newsloom.extract.places import load_gazetteer

        return _kept(load_gazetteer())

    @functools.cached_property
    def embedder(self) -> Embedder:
        from newsloom.nlp import load_embedder

        return _kept(load_embedder())

    @functools.cached_property
    def statement_embedder(self) -> StaticEmbedder:
        """Cheap sentence vectors for story-level work (copy tracing, fusion): the static
        embedder distilled from MiniLM, ~100x cheaper per sentence."""
        from newsloom.nlp import load_static_embedder

        return _kept(load_static_embedder())

    @functools.cached_property
    def matcher(self) -> ParaphraseMatcher:
        from newsloom.paraphrase import PIPELINE_CROSSENCODER_PAIRS, ParaphraseMatcher

        # its own static embedder (the one its gate was trained on); a bounded cost per article
        return _kept(ParaphraseMatcher(crossencoder_pairs=PIPELINE_CROSSENCODER_PAIRS))


@dataclass(slots=True)
class RunReport:
    """What a run did: counts, the ids of the input's articles and stories, errors,
    and seconds per stage: `seconds["extract"]` wall-clock, `seconds["extract cpu"]` CPU
    time, summed over the workers for the stages they run."""

    read: int = 0
    new: int = 0
    already_stored: int = 0
    article_ids: list[str] = field(default_factory=list)
    story_ids: list[str] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    def add_seconds(self, seconds: dict[str, float]) -> None:
        add_seconds(self.seconds, seconds)


def add_seconds(into: dict[str, float], seconds: dict[str, float]) -> None:
    for stage, secs in seconds.items():
        into[stage] = into.get(stage, 0.0) + secs


class Stopwatch:
    """Wall-clock and CPU seconds per stage (`stage`, `stage cpu`), for `RunReport.seconds`
    and the benchmarks (CPU time is what a capacity plan needs on a shared machine).

    Tasks that an executor ran in this process, inside a wait for their results, are
    left out: their time is theirs (`extract`, `story updates`…), not the wait's."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.restart()

    def restart(self) -> None:
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        self._tasks = here_seconds()

    def lap(self, stage: str) -> None:
        """Charge the time since the previous lap (or restart) to `stage`."""
        wall, cpu = time.perf_counter(), time.process_time()
        tasks = here_seconds()
        own_wall = wall - self._wall - (tasks[0] - self._tasks[0])
        own_cpu = cpu - self._cpu - (tasks[1] - self._tasks[1])
        self.seconds[stage] = self.seconds.get(stage, 0.0) + own_wall
        cpu_key = f"{stage} cpu"
        self.seconds[cpu_key] = self.seconds.get(cpu_key, 0.0) + own_cpu
        self._wall, self._cpu, self._tasks = wall, cpu, tasks


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


@dataclass(slots=True)
class Batch:
    """Cleaned articles not yet stored, on their way to a worker; `read` counts every
    article of the input batch (stored ones included) for the progress bar."""

    articles: list[Article]
    read: int


@dataclass(slots=True)
class Prepared:
    """A batch back from a worker: extracted articles and their cluster features."""

    articles: list[Article]
    features: list[cluster.Features]
    read: int
    seconds: dict[str, float] = field(default_factory=dict)


def prepare_batch(res: Resources, batch: Batch) -> Prepared:
    """The per-article stages (extract, cluster features): pure, so any worker can run
    them; only the compact results travel back (never spaCy docs)."""
    if not batch.articles:
        return Prepared([], [], batch.read)
    watch = Stopwatch()
    extracted = extract_batch(batch.articles, res.nlp, res.gazetteer)
    watch.lap("extract")
    features = cluster.article_features(extracted, res.embedder)
    watch.lap("features")
    return Prepared(extracted, features, batch.read, watch.seconds)


def run(
    paths: Sequence[str],
    store: Store,
    resources: Resources | None = None,
    *,
    stdin: BinaryIO | None = None,
    batch_size: int = 32,
    on_error: bool = True,
    labels: Mapping[str, str] | None = None,
    executor: Executor | None = None,
) -> RunReport:
    """Ingest `paths` into `store` and bring every touched story up to date.

    `labels` gives inputs the names to report and store (see `ingest.read_inputs`).
    `executor` runs the per-article work (this process by default); story assignment,
    the story-level updates and every store write stay here, in input order."""
    res = resources or Resources()
    ex = executor or Inline(res)
    report = RunReport()
    index = IndexCopy()
    bar = tqdm(desc="articles", unit="art", disable=not show_progress(), leave=False)
    batches = read_batches(
        paths, store, report, stdin=stdin, size=batch_size, on_error=on_error, labels=labels
    )
    watch = Stopwatch()
    for prepared in ex.map(prepare_batch, batches):
        watch.lap("waiting for workers")
        store_batch(prepared, store, index, report)
        report.add_seconds(prepared.seconds)
        bar.update(prepared.read)
        watch.lap("assign + store")
    bar.close()
    with index.writing(store) as story_index:
        # Reports that arrived before their siblings: re-check the stories this run
        # touched (only those, so a run that adds nothing changes nothing).
        story_index.consolidate()
        store.save_stories(story_index.pop_changed())
    for err in report.errors:
        store.record_error(err.where, err.problem)
    watch.lap("assign + store")
    report.add_seconds(update_stories(store, store.dirty_story_ids(), res, ex))
    report.story_ids = sorted(
        {sid for aid in report.article_ids if (sid := store.story_of(aid)) is not None}
    )
    # Reading and cleaning happen inside the waits for results: take them out.
    for key in ("", " cpu"):
        waited = watch.seconds.get("waiting for workers" + key, 0.0)  # none without a batch
        read = report.seconds.get("read + clean" + key, 0.0)
        watch.seconds["waiting for workers" + key] = max(0.0, waited - read)
    report.add_seconds(watch.seconds)
    return report


def read_batches(
    paths: Sequence[str],
    store: Store,
    report: RunReport,
    *,
    stdin: BinaryIO | None = None,
    size: int = 32,
    on_error: bool = True,
    labels: Mapping[str, str] | None = None,
) -> Iterator[Batch]:
    """Read, clean and drop articles already stored (cleaning is cheap and gives the
    content id, so a re-run or a repeating feed costs no extraction). An id already
    stored with other content is an error, not a silent skip."""
    seen: set[str] = set()
    watch = Stopwatch()
    own = [store.path + end for end in ("", "-wal", "-shm", "-journal")]  # never read the db
    inputs = ingest.read_inputs(paths, stdin=stdin, labels=labels, skip=own)
    for items in batched(inputs, size):
        articles: list[Article] = []
        for item in items:
            if isinstance(item, InputError):
                report.errors.append(item)
                if on_error:
                    print(f"newsloom: error: {item}", file=sys.stderr)
            else:
                articles.append(item)
        report.read += len(articles)
        n_errors = len(report.errors)
        cleaned = ingest.refuse_id_clashes(clean.clean_batch(articles), store, report.errors)
        for err in report.errors[n_errors:] if on_error else []:
            print(f"newsloom: error: {err}", file=sys.stderr)
        fresh: list[Article] = []
        for art in cleaned:
            report.article_ids.append(art.id)
            if art.id in seen or store.has_article(art.id):
                report.already_stored += 1
                continue
            seen.add(art.id)
            fresh.append(art)
        watch.lap("read + clean")
        yield Batch(fresh, len(articles))
        watch.restart()
    report.add_seconds(watch.seconds)


def load_index(store: Store) -> cluster.StoryIndex:
    header = store.load_state(CLUSTER_STATE)
    if header is None:
        return cluster.StoryIndex()
    return cluster.StoryIndex.from_state(
        {**header, "stories": store.cluster_stories(), "lines": store.storyline_states()}
    )


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
                lines = self.index.storylines.delta()
                if stories or lines:  # (the header changes only with some story)
                    store.save_state(CLUSTER_STATE, header)
                    store.save_cluster_stories(stories)
                    store.save_storylines(lines)
                    self.generation += 1
                    store.save_state(GENERATION, self.generation)
        except BaseException:
            self.index = None  # changed in memory but not stored: reload next time
            raise


def store_batch(prepared: Prepared, store: Store, index: IndexCopy, report: RunReport) -> None:
    """Assign a prepared batch to stories and store it, in one transaction."""
    if not prepared.articles:
        return
    with index.writing(store) as story_index:
        new = 0
        for art, feats in zip(prepared.articles, prepared.features, strict=True):
            if store.has_article(art.id):  # another writer stored it meanwhile
                report.already_stored += 1
                continue
            story_index.add(art, feats)
            store.add_articles([art])
            new += 1
        store.save_stories(story_index.pop_changed())
    report.new += new


def update_stories(
    store: Store, story_ids: Iterable[str], res: Resources, executor: Executor | None = None
) -> dict[str, float]:
    """Bring copy tracing and facts up to date for stories whose articles changed: only
    their new articles are added to each story's kept state (`storystate`). One task per
    story on the executor, a story always on the worker that holds its state; this
    process reads each story and stores each result, in order. Returns seconds per
    stage ("story updates" on the workers; "story writes" and the wait for results here).

    Another writer may change a story while it is updated; its update is then done
    again on the story as it is now (its facts must match its members), up to
    `MAX_STORY_RETRIES` times; a runner that lacked the story's state is sent it, which
    is no try. Results are stored as they come (stories are independent)."""
    ex = executor or Inline(res)
    watch = Stopwatch()
    tries: Counter[str] = Counter()
    send_state: set[str] = set()  # stories whose runner said it lacks their state
    todo = list(story_ids)
    while todo:
        redo: list[str] = []
        reads: dict[str, tuple[Story, str | None]] = {}
        jobs = _story_jobs(store, todo, send_state, reads, watch)
        for update in ex.map(storystate.run_job, jobs, key=_story_of_job):
            watch.lap("waiting for story updates")
            add_seconds(watch.seconds, update.seconds)
            story_id = update.story.id
            read, token = reads.pop(story_id)
            if update.missing and story_id not in send_state:
                send_state.add(story_id)  # read again with its state: not a try
                redo.append(story_id)
            elif update.missing or not storystate.write_update(store, read, token, update):
                tries[story_id] += 1
                if tries[story_id] < MAX_STORY_RETRIES:
                    redo.append(story_id)
                else:
                    print(
                        f"newsloom: story {story_id} changed under its update"
                        f" {MAX_STORY_RETRIES} times (another writer?); left for the next run",
                        file=sys.stderr,
                    )
            watch.lap("story writes")
        todo = redo
    return watch.seconds


def _story_jobs(
    store: Store,
    story_ids: list[str],
    send_state: set[str],
    reads: dict[str, tuple[Story, str | None]],
    watch: Stopwatch,
) -> Iterator[storystate.StoryJob]:
    """Each story's job as the store has it now, and what was read (to check at write)."""
    for story_id in story_ids:
        watch.restart()
        try:
            job = storystate.read_job(store, story_id, send_state=story_id in send_state)
        except NotFound:  # merged into another story by another writer
            continue
        reads[story_id] = (job.story, job.token)
        watch.lap("story writes")
        yield job


def _story_of_job(job: storystate.StoryJob) -> str:
    return job.story.id
