"""Executors: where the work of a run (parse, extract, features, story updates) is done.

One small interface, three places: in this process (`Inline`), in worker processes on
this machine (`Processes`, `--workers N`), or on a Dask cluster (`distributed.Dask`,
`--cluster ADDRESS`). The pipeline maps a task over batches, then over stories, through
an executor and keeps story assignment and every store write in the calling process, in
input order, so every executor gives the same stories and facts. A story's task goes to
the worker that ran its last one (`Affinity`), which still holds the story's state.

A task is a module-level function `task(resources, item)`; a worker process loads its
own models once (`worker_resources`) with one thread per model, so N workers use N
cores without oversubscribing them.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import queue
import threading
import time
from collections import Counter, OrderedDict, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from newsloom.errors import NewsloomError

if TYPE_CHECKING:
    from newsloom.pipeline import Resources

T = TypeVar("T")
R = TypeVar("R")
Task = Callable[["Resources", T], R]


Key = Callable[[Any], str]


class Executor(Protocol):
    """Maps a task over items, results in input order, a bounded number in flight."""

    workers: int

    def map(self, task: Task[T, R], items: Iterable[T], key: Key | None = None) -> Iterator[R]:
        """`task(resources, item)` for each item. Items of one `key` (a story) go to the
        worker that ran that key before, which keeps what it learnt about it (the story's
        state), and come back as they finish (keyed items are independent: a long one
        must not hold up the others); unkeyed results come in input order. A keyed map
        never starts a local pool, and an unkeyed one starts it only for two items or
        more (a small input should not pay for loading models twice)."""
        ...

    def close(self) -> None: ...


def default_workers() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class Inline:
    """Everything in this process, with the caller's models."""

    workers = 1

    def __init__(self, resources: Resources) -> None:
        self.resources = resources

    def map(self, task: Task[T, R], items: Iterable[T], key: Key | None = None) -> Iterator[R]:
        return (run_here(task, self.resources, item) for item in items)

    def close(self) -> None:
        pass


_here = [0.0, 0.0]  # wall and CPU seconds this process spent in tasks it ran itself


def run_here(task: Task[T, R], resources: Resources, item: T) -> R:
    """Run a task in this process, inside the caller's wait for its result: its time is
    counted apart (`here_seconds`) so that the caller's stopwatch can leave it out."""
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        return task(resources, item)
    finally:
        _here[0] += time.perf_counter() - wall
        _here[1] += time.process_time() - cpu


def here_seconds() -> tuple[float, float]:
    """Wall and CPU seconds this process has spent so far in tasks run here (`run_here`)."""
    return _here[0], _here[1]


class Affinity:
    """Which worker each key went to: the first time, the one with the fewest tasks
    running (`busy`), then the fewest keys. The least recently used keys are forgotten
    past `size` (default: as many stories as the writer remembers states of): a forgotten
    key's next worker may lack its state and says so, and the caller sends the state
    along."""

    def __init__(self, size: int | None = None) -> None:
        from newsloom.storystate import HELD_STORIES

        self.homes: OrderedDict[str, Any] = OrderedDict()
        self.keys: Counter[Any] = Counter()  # keys per worker
        self.size = HELD_STORIES if size is None else size

    def worker(self, key: str, workers: Sequence[Any], busy: Callable[[Any], int]) -> Any:
        home = self.homes.get(key)
        if home not in workers:
            if home is not None:
                self.keys[home] -= 1
            home = min(workers, key=lambda w: (busy(w), self.keys[w]))
            self.homes[key] = home
            self.keys[home] += 1
        self.homes.move_to_end(key)
        while len(self.homes) > self.size:
            self.keys[self.homes.popitem(last=False)[1]] -= 1
        return home


class Processes:
    """`workers` processes on this machine, started when first needed (see `Executor.map`),
    each with its own queue so that a story's updates keep going to one process."""

    def __init__(self, workers: int, resources: Resources) -> None:
        if workers < 1:
            raise NewsloomError(f"--workers must be at least 1, not {workers}")
        self.workers = workers
        self.resources = resources
        self._pools: list[ProcessPoolExecutor] = []
        self._running: list[set[Future[Any]]] = []
        self._affinity = Affinity()

    def map(self, task: Task[T, R], items: Iterable[T], key: Key | None = None) -> Iterator[R]:
        it = iter(items)
        head = list(itertools.islice(it, 2))
        if not self._pools and (key is not None or len(head) < 2):
            yield from (run_here(task, self.resources, item) for item in itertools.chain(head, it))
            return
        if not self._pools:
            # spawn, not fork: the parent may hold model threads that a fork would break.
            context = multiprocessing.get_context("spawn")
            self._pools = [ProcessPoolExecutor(1, mp_context=context) for _ in range(self.workers)]
            self._running = [set() for _ in range(self.workers)]
        try:
            if key is None:
                yield from ordered(
                    lambda item: self._submit(task, item, key),
                    itertools.chain(head, it),
                    in_flight=2 * self.workers,
                )
            else:  # story jobs vary in size: a deeper queue keeps every worker busy
                yield from finished(
                    lambda item: self._submit(task, item, key),
                    itertools.chain(head, it),
                    8 * self.workers,
                )
        except BrokenProcessPool as exc:
            self.close()
            raise NewsloomError(
                "a worker process died (out of memory?); the batches stored so far are kept,"
                " run the same command again to go on"
            ) from exc

    def _submit(self, task: Task[T, R], item: T, key: Key | None) -> Future[R]:
        workers, load = range(self.workers), lambda w: len(self._running[w])
        w = (
            min(workers, key=load)
            if key is None
            else self._affinity.worker(key(item), workers, load)
        )
        future = self._pools[w].submit(run_task, task, item)
        self._running[w].add(future)
        future.add_done_callback(self._running[w].discard)
        return future

    def close(self) -> None:
        """Stop the workers; the next map starts new ones, which hold no story state."""
        for pool in self._pools:
            pool.shutdown(cancel_futures=True)
        self._pools, self._running, self._affinity = [], [], Affinity()


def ordered(
    submit: Callable[[T], Future[R] | Any], items: Iterable[T], in_flight: int
) -> Iterator[R]:
    """Submit items keeping at most `in_flight` unfinished; yield results in input order
    (anything with `.result()` is a future here: concurrent.futures or Dask)."""
    pending: deque[Any] = deque()
    for item in items:
        pending.append(submit(item))
        if len(pending) >= in_flight:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def finished(
    submit: Callable[[T], Future[R] | Any], items: Iterable[T], in_flight: int
) -> Iterator[R]:
    """Submit items keeping at most `in_flight` unfinished; yield results as they finish
    (concurrent.futures or Dask futures: both call back when done)."""
    done: queue.SimpleQueue[Any] = queue.SimpleQueue()
    pending = 0
    for item in items:
        submit(item).add_done_callback(done.put)
        pending += 1
        if pending >= in_flight:
            pending -= 1
            yield done.get().result()
    for _ in range(pending):
        yield done.get().result()


_resources: Resources | None = None
_task_lock = threading.Lock()


def worker_resources() -> Resources:
    """This worker process's models, loaded on first use with one thread per model."""
    global _resources
    if _resources is None:
        from newsloom import nlp
        from newsloom.pipeline import Resources

        nlp.set_threads(1)
        _resources = Resources()
    return _resources


def run_task(task: Task[T, R], item: T) -> R:
    """Run `task` on a worker. Tasks of one process run one at a time (a Dask worker
    started with several threads shares one set of models, and spaCy is not thread-safe)."""
    with _task_lock:
        return task(worker_resources(), item)


def make_executor(
    resources: Resources, workers: int | None = None, cluster: str | None = None
) -> Executor:
    """The executor for `--workers N` / `--cluster ADDRESS` (cluster wins)."""
    if cluster:
        from newsloom.distributed import Dask

        return Dask(cluster)
    n = default_workers() if workers is None else workers
    return Inline(resources) if n == 1 else Processes(n, resources)
