"""Executors (#13.3): worker processes give the same stories and facts as one process."""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import stories_and_facts
from synthetic import EVENTS, write_corpus

from newsloom.cli import cli
from newsloom.errors import NewsloomError
from newsloom.executors import Inline, Processes, make_executor, ordered
from newsloom.pipeline import Resources, run
from newsloom.store import Store


@pytest.mark.slow  # two worker processes load the models
def test_worker_processes_equal_one_process(tmp_path: Path, resources: Resources) -> None:
    corpus = tmp_path / "c.jsonl"
    write_corpus(corpus, list(EVENTS[:3]), per_event=8)
    inline = Store(tmp_path / "inline.db")
    run([str(corpus)], inline, resources, batch_size=6)
    workers = Processes(2, resources)
    try:
        parallel = Store(tmp_path / "parallel.db")
        report = run([str(corpus)], parallel, resources, batch_size=6, executor=workers)
        assert workers._pool is not None  # 4 batches: the work went to the pool
    finally:
        workers.close()
    assert report.new == 24
    assert report.seconds["extract"] > 0 and report.seconds["story updates"] > 0
    assert stories_and_facts(parallel) == stories_and_facts(inline)


def test_one_batch_starts_no_worker(resources: Resources) -> None:
    workers = Processes(2, resources)
    assert list(workers.map(lambda res, x: (res is resources, x), [7])) == [(True, 7)]
    assert workers._pool is None


def _exit_worker(res: Resources, item: int) -> int:
    if item == 3:
        os._exit(1)  # a worker killed (out of memory, say)
    return item


def test_dead_worker_is_one_clear_error(resources: Resources) -> None:
    workers = Processes(2, resources)
    with pytest.raises(NewsloomError, match="worker process died"):
        list(workers.map(_exit_worker, range(6)))
    assert workers._pool is None


def test_ordered_keeps_input_order_and_bounds_work_in_flight() -> None:
    running, peak = 0, 0
    lock = threading.Lock()

    def work(x: int) -> int:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.01 * (x % 3))
        with lock:
            running -= 1
        return x * x

    with ThreadPoolExecutor(8) as pool:
        out = list(ordered(lambda x: pool.submit(work, x), range(40), in_flight=3))
    assert out == [x * x for x in range(40)]
    assert peak <= 3


def test_executor_choice(resources: Resources) -> None:
    assert isinstance(make_executor(resources, 1), Inline)
    assert isinstance(make_executor(resources, 3), Processes)
    with pytest.raises(NewsloomError, match="local:N"):
        make_executor(resources, cluster="local:none")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--workers", "0"], "0 is not in the range x>=1"),
        (["--cluster", "local:0"], "local:N"),
        (["--cluster", "tcp://127.0.0.1:9"], "cannot reach the scheduler"),
    ],
)
def test_cli_rejects_bad_executor_options(
    tmp_path: Path,
    resources: Resources,
    seeds_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    message: str,
) -> None:
    monkeypatch.setattr("newsloom.distributed.CONNECT_TIMEOUT", "1s")
    cmd = ["ingest", str(seeds_dir), "--db", str(tmp_path / "n.db"), *args]
    result = CliRunner().invoke(cli, cmd, obj=resources)
    assert result.exit_code in (1, 2) and message in result.output
    assert "Traceback" not in result.output
