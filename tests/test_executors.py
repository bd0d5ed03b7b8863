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

from newsloom import storystate
from newsloom.cli import cli
from newsloom.errors import NewsloomError
from newsloom.executors import Inline, Processes, make_executor, ordered
from newsloom.pipeline import Resources, run
from newsloom.store import Store
from newsloom.storystate import StoryJob


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
        assert workers._pools  # 4 batches: the work went to the pool
    finally:
        workers.close()
    assert report.new == 24
    assert report.seconds["extract"] > 0 and report.seconds["story updates"] > 0
    assert stories_and_facts(parallel) == stories_and_facts(inline)


@pytest.mark.slow  # two worker processes load the models
def test_story_state_travels_only_to_a_worker_that_lacks_it(
    tmp_path: Path, resources: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stories grown over two runs. With the same workers, the second run sends no story
    state (each update goes to the worker that holds it); after a run in this process,
    a worker lacks the states, says so, and is sent them; both equal one process."""
    corpus = tmp_path / "c.jsonl"
    write_corpus(corpus, list(EVENTS[:3]), per_event=8)
    lines = corpus.read_text(encoding="utf-8").splitlines(keepends=True)
    parts = [tmp_path / "a.jsonl", tmp_path / "b.jsonl"]
    parts[0].write_text("".join(lines[:12]), encoding="utf-8")
    parts[1].write_text("".join(lines[12:]), encoding="utf-8")
    inline = Store(tmp_path / "inline.db")
    for part in parts:
        run([str(part)], inline, resources, batch_size=4)

    sent: list[bool] = []
    read_job = storystate.read_job

    def recording(store: Store, story_id: str, *, send_state: bool = False) -> StoryJob:
        job = read_job(store, story_id, send_state=send_state)
        sent.append(job.stored is not None)
        return job

    monkeypatch.setattr(storystate, "read_job", recording)
    workers = Processes(2, resources)
    try:
        kept, moved = Store(tmp_path / "kept.db"), Store(tmp_path / "moved.db")
        for part in parts:
            run([str(part)], kept, resources, batch_size=4, executor=workers)
        assert workers._pools and sent and not any(sent)
        run([str(parts[0])], moved, resources, batch_size=4)  # states in this process
        sent.clear()
        run([str(parts[1])], moved, resources, batch_size=4, executor=workers)
        assert any(sent)
    finally:
        workers.close()
    assert stories_and_facts(kept) == stories_and_facts(inline)
    assert stories_and_facts(moved) == stories_and_facts(inline)


def test_one_batch_starts_no_worker(resources: Resources) -> None:
    workers = Processes(2, resources)
    assert list(workers.map(lambda res, x: (res is resources, x), [7])) == [(True, 7)]
    assert workers._pools == []


def _exit_worker(res: Resources, item: int) -> int:
    if item == 3:
        os._exit(1)  # a worker killed (out of memory, say)
    return item


def test_dead_worker_is_one_clear_error(resources: Resources) -> None:
    workers = Processes(2, resources)
    with pytest.raises(NewsloomError, match="worker process died"):
        list(workers.map(_exit_worker, range(6)))
    assert workers._pools == []


def _pid(res: Resources, item: str) -> tuple[str, int]:
    return item, os.getpid()


def test_keyed_items_stay_on_one_worker(resources: Resources) -> None:
    """A story's jobs go to the worker that holds its state; keys spread over the workers;
    a keyed map alone (story updates after a one-batch run) starts no pool."""
    workers = Processes(2, resources)
    try:
        assert {pid for _, pid in workers.map(_pid, ["a", "b"], key=str)} == {os.getpid()}
        assert workers._pools == []
        list(workers.map(_pid, range(4)))  # unkeyed work starts the pool
        keys = [f"s{i % 6}" for i in range(30)]
        homes: dict[str, set[int]] = {}
        for key, pid in workers.map(_pid, keys, key=str):
            homes.setdefault(key, set()).add(pid)
    finally:
        workers.close()
    assert all(len(pids) == 1 for pids in homes.values())
    assert len(set.union(*homes.values())) == 2 and os.getpid() not in set.union(*homes.values())


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
