"""Executors: where the per-article work of a run (parse, extract, features) is done.

One small interface, three places: in this process (`Inline`), in worker processes on
this machine (`Processes`, `--workers N`), or on a Dask cluster (`distributed.Dask`,
`--cluster ADDRESS`). The pipeline maps a pure task over batches through an executor
and keeps everything stateful (story assignment, story-level updates, store writes) in
the calling process, in input order, so every executor gives the same stories and facts.

A task is a module-level function `task(resources, item)`; a worker process loads its
own models once (`worker_resources`) with one thread per model, so N workers use N
cores without oversubscribing them.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from newsloom.errors import NewsloomError

if TYPE_CHECKING:
    from newsloom.pipeline import Resources

T = TypeVar("T")
R = TypeVar("R")
Task = Callable[["Resources", T], R]


class Executor(Protocol):
    """Maps a task over items, results in input order, a bounded number in flight."""

    workers: int

    def map(self, task: Task[T, R], items: Iterable[T]) -> Iterator[R]:
        """`task(resources, item)` for each item. A local pool not yet started starts
        only for two items or more (one runs here)."""
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

    def map(self, task: Task[T, R], items: Iterable[T]) -> Iterator[R]:
        return (task(self.resources, item) for item in items)

    def close(self) -> None:
        pass


class Processes:
    """`workers` processes on this machine, started when first needed: a map over one
    item runs in this process instead (a small input should not pay for starting workers
    and loading their models)."""

    def __init__(self, workers: int, resources: Resources) -> None:
        if workers < 1:
            raise NewsloomError(f"--workers must be at least 1, not {workers}")
        self.workers = workers
        self.resources = resources
        self._pool: ProcessPoolExecutor | None = None

    def map(self, task: Task[T, R], items: Iterable[T]) -> Iterator[R]:
        it = iter(items)
        head = list(itertools.islice(it, 2))
        if self._pool is None and len(head) < 2:
            yield from (task(self.resources, item) for item in head)
            return
        if self._pool is None:
            # spawn, not fork: the parent may hold model threads that a fork would break.
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(self.workers, mp_context=context)
        pool = self._pool
        try:
            yield from ordered(
                lambda item: pool.submit(run_task, task, item),
                itertools.chain(head, it),
                in_flight=2 * self.workers,
            )
        except BrokenProcessPool as exc:
            self.close()
            raise NewsloomError(
                "a worker process died (out of memory?); the batches stored so far are kept,"
                " run the same command again to go on"
            ) from exc

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None


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
