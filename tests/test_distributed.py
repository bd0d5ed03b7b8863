"""Dask executor (#14.1, #14.3): a real LocalCluster of 2 worker processes.

300 ECB+ articles ingested through the cluster, with one worker killed mid-run (Dask
retries its tasks on a restarted worker), must give exactly the stories and facts of
a run in this process, and store every article once."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from newsloom.distributed import Dask
from newsloom.pipeline import Resources, run
from newsloom.store import Store

ECB = (
    Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "ecbplus" / "ecbplus.jsonl"
)
N_ARTICLES = 300


def stories_and_facts(store: Store) -> dict[str, Any]:
    out = {}
    for row in store.story_rows(limit=100_000):
        story = store.get_story(row["id"])
        out[story.id] = {
            "articles": sorted(story.article_ids),
            "title": story.title,
            "derivations": [d.to_dict() for d in story.derivations],
            "facts": [f.to_dict() for f in store.get_facts(story.id)],
        }
    return out


def kill_one_worker_once_work_is_stored(ex: Dask, db: str, done: threading.Event) -> None:
    """SIGKILL a worker process as soon as the first batch is stored: its tasks in
    flight are lost with it and must be recomputed elsewhere."""
    store = Store(db)
    while not done.is_set():
        if store.count_articles() > 0:
            pids = ex.client.run(os.getpid)
            os.kill(next(iter(pids.values())), signal.SIGKILL)
            return
        time.sleep(0.05)


@pytest.mark.slow  # ~300 articles through every stage twice
def test_local_cluster_equals_a_local_run(tmp_path: Path, resources: Resources) -> None:
    if not ECB.exists():
        pytest.skip(f"ECB+ not found at {ECB} (see ../shared/README.md)")
    corpus = tmp_path / "ecb300.jsonl"
    with ECB.open(encoding="utf-8") as src:
        corpus.write_text("".join(next(src) for _ in range(N_ARTICLES)), encoding="utf-8")

    local = Store(tmp_path / "local.db")
    run([str(corpus)], local, resources)

    db = str(tmp_path / "cluster.db")
    ex = Dask("local:2")
    done = threading.Event()
    killer = threading.Thread(target=kill_one_worker_once_work_is_stored, args=(ex, db, done))
    try:
        assert ex.workers == 2
        Store(db)  # created before the killer starts polling it
        killer.start()
        report = run([str(corpus)], Store(db), resources, executor=ex)
    finally:
        done.set()
        killer.join()
        ex.close()

    distributed = Store(db)
    assert report.new == N_ARTICLES and distributed.count_articles() == N_ARTICLES
    assert stories_and_facts(distributed) == stories_and_facts(local)
    assert distributed.dirty_story_ids() == []
