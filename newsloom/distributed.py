"""Run the per-article and per-story stages on a Dask cluster (`--cluster ADDRESS`).

ADDRESS is a running scheduler (`tcp://host:8786`, workers started with
`dask worker tcp://host:8786 --nthreads 1`) or `local:N`, which starts a LocalCluster
of N worker processes on this machine. The client (this process) reads and cleans the
input, sends batches of articles to the workers as tasks, then one task per touched
story (to the worker that ran the story's last one, if it is still there), and assigns
stories and writes the store itself, in input order: the workers never touch the
database, so they need no access to it, and a task that Dask retries after losing a
worker stores nothing twice (article ids are content hashes and the client writes each
batch and each story update once).
Each worker loads the models once, on its first task (`executors.worker_resources`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from newsloom import __version__
from newsloom.errors import ConfigError
from newsloom.executors import Affinity, Key, Task, finished, ordered, run_task

T = TypeVar("T")
R = TypeVar("R")

RETRIES = 3  # a task that fails (or whose worker dies) is tried this many more times
CONNECT_TIMEOUT = "20s"


class Dask:
    """An executor on a Dask distributed cluster."""

    def __init__(self, address: str) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover - a pinned dependency
            raise ConfigError(f"--cluster needs dask.distributed ({exc})") from exc
        self._cluster: Any = None
        try:
            if address.startswith("local:"):
                n = _local_workers(address)
                self._cluster = LocalCluster(
                    n_workers=n,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    silence_logs=logging.ERROR,
                )
                self.client = Client(self._cluster)
            else:
                self.client = Client(address, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError) as exc:
            self.close()
            raise ConfigError(f"--cluster {address}: cannot reach the scheduler ({exc})") from exc
        self.address = address
        self._affinity = Affinity()
        self._check_workers()
        self.workers = max(1, sum(self.client.nthreads().values()))

    def _check_workers(self) -> None:
        """Every worker must run this newsloom (tasks are this build's functions)."""
        versions = self.client.run(_newsloom_version)
        wrong = {w: v for w, v in versions.items() if v != __version__}
        if wrong:
            self.close()
            raise ConfigError(
                f"--cluster {self.address}: workers run another newsloom than {__version__}:"
                f" {wrong}"
            )

    def map(self, task: Task[T, R], items: Iterable[T], key: Key | None = None) -> Iterator[R]:
        if key is None:
            return ordered(
                lambda item: self.client.submit(run_task, task, item, pure=False, retries=RETRIES),
                items,
                in_flight=2 * self.workers,
            )
        workers = list(self.client.nthreads())  # their addresses

        def submit(item: T) -> Any:
            # a preference, not a rule: if that worker is gone, another runs the task
            home = self._affinity.worker(key(item), workers, lambda w: 0)
            return self.client.submit(
                run_task,
                task,
                item,
                pure=False,
                retries=RETRIES,
                workers=[home],
                allow_other_workers=True,
            )

        return finished(submit, items, in_flight=8 * self.workers)

    def close(self) -> None:
        client = getattr(self, "client", None)
        if client is not None:
            client.close()
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None


def _local_workers(address: str) -> int:
    try:
        n = int(address.removeprefix("local:"))
    except ValueError:
        n = 0
    if n < 1:
        raise ConfigError(f"--cluster {address}: write local:N with N a number of workers ≥ 1")
    return n


def _newsloom_version() -> str:
    import newsloom

    return newsloom.__version__
