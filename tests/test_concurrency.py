"""Several writers on one database (issue #12.1): real `newsloom` processes at once.

Two `ingest` processes, a `watch --once` and an upload to the web app, all at once on
one SQLite file, must give the same stories as running them one after the other, and
leave a database that later ingests can use (no stale story index written over a
newer one)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from synthetic import EVENTS, write_corpus

from newsloom.pipeline import (
    Batch,
    IndexCopy,
    Resources,
    RunReport,
    load_index,
    prepare_batch,
    run,
    store_batch,
    update_stories,
)
from newsloom.store import Store
from newsloom.web.app import create_app


def memberships(store: Store) -> set[frozenset[str]]:
    rows = store.story_rows(limit=10_000)
    return {frozenset(store.get_story(r["id"]).article_ids) for r in rows}


def row_members(store: Store, row: dict[str, object]) -> list[str]:
    return store.get_story(str(row["id"])).article_ids


def newsloom(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "newsloom", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow  # three processes each load the models (~10 s)
def test_concurrent_writers_equal_a_sequential_run(tmp_path: Path, resources: Resources) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    first, second = inputs / "first.jsonl", inputs / "second.jsonl"
    watched = inputs / "watched"
    watched.mkdir()
    write_corpus(first, list(EVENTS[:3]), per_event=8, seed=1)
    write_corpus(second, list(EVENTS[3:]), per_event=8, seed=2)
    # The watched folder brings more reports of the first file's events: the writers
    # compete for the same stories, not only for the index.
    write_corpus(watched / "more.jsonl", list(EVENTS[:2]), per_event=4, seed=3)
    uploaded = inputs / "uploaded.jsonl"  # and the web upload of the second file's
    write_corpus(uploaded, list(EVENTS[4:]), per_event=3, seed=5)

    db = tmp_path / "shared.db"
    procs = [
        newsloom("ingest", str(first), "--db", str(db)),
        newsloom("ingest", str(second), "--db", str(db)),
        newsloom("watch", str(watched), "--db", str(db), "--once"),
    ]
    upload = [json.loads(line) for line in uploaded.read_text().splitlines()]
    with TestClient(create_app(str(db), resources=resources)) as client:
        response = client.post("/api/ingest", json={"articles": upload})
    assert response.status_code == 200, response.text
    outputs = [p.communicate(timeout=600) for p in procs]
    for proc, (_, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        assert "Traceback" not in err, err

    sequential = Store(tmp_path / "sequential.db")
    for path in (first, second, watched, uploaded):
        run([str(path)], sequential, resources)
    together = Store(db)
    assert together.count_articles() == sequential.count_articles() == 62
    assert memberships(together) == memberships(sequential)
    assert together.dirty_story_ids() == []
    for row in together.story_rows(limit=10_000):  # each story's kept state has every member
        state = together.load_fuse_state(row["id"])
        assert state is not None and [aid for aid, _, _ in state[2]] == row_members(together, row)
        assert together.get_facts(row["id"])

    # The index left behind is whole: another batch joins the existing stories.
    extra = tmp_path / "extra.jsonl"
    write_corpus(extra, list(EVENTS[:1]), per_event=2, seed=4)
    report = run([str(extra)], together, resources)
    assert report.new == 2 and len(report.story_ids) == 1
    story = together.get_story(report.story_ids[0])
    assert len(story.article_ids) == 8 + 4 + 2


def test_writer_waits_for_the_lock_and_says_so(
    db_target: str, capsys: pytest.CaptureFixture[str]
) -> None:
    db = db_target
    holder, waiter = Store(db), Store(db)
    thread = threading.Thread(target=lambda: waiter.save_state("k", 1))
    with holder.transaction():
        thread.start()
        time.sleep(1.5)
        assert Store(db).load_state("k") is None  # still waiting
    thread.join(timeout=10)
    assert Store(db).load_state("k") == 1
    assert "another process is writing" in capsys.readouterr().err


def test_stale_index_copy_is_reloaded_before_it_writes(
    tmp_path: Path, db_target: str, resources: Resources
) -> None:
    """Two writers, each with its own copy of the story index, take turns: the second
    must see the first one's stories instead of writing its old copy over them."""
    from newsloom import clean, ingest

    db = db_target
    corpus = tmp_path / "c.jsonl"
    write_corpus(corpus, list(EVENTS[:1]), per_event=4)
    articles = clean.clean_batch(ingest.read_inputs([str(corpus)]))  # type: ignore[arg-type]
    first, second = IndexCopy(), IndexCopy()
    for copy in (first, second):  # both copies loaded (empty) before anyone writes
        with copy.writing(Store(db)):
            pass
    for copy, part in ((first, articles[:2]), (second, articles[2:])):
        prepared = prepare_batch(resources, Batch(part, len(part)))
        store_batch(prepared, Store(db), copy, RunReport())
    stories = load_index(Store(db)).stories()
    assert [sorted(s.article_ids) for s in stories] == [sorted(a.id for a in articles)]


def test_story_update_is_redone_when_another_writer_changes_the_story(
    tmp_path: Path, db_target: str, resources: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Story-level work runs outside the writer lock: a story that gained an article
    meanwhile must not be written back with its old members (nor its old facts)."""
    from newsloom import clean, ingest, storystate

    corpus = tmp_path / "c.jsonl"
    write_corpus(corpus, list(EVENTS[:1]), per_event=4)
    articles = clean.clean_batch(ingest.read_inputs([str(corpus)]))  # type: ignore[arg-type]
    store = Store(db_target)
    store_batch(prepare_batch(resources, Batch(articles[:3], 3)), store, IndexCopy(), RunReport())
    (story_id,) = store.dirty_story_ids()
    late = prepare_batch(resources, Batch(articles[3:], 1))
    grow = storystate.grow

    def grow_while_another_writer_adds(*args: object) -> None:
        grow(*args)  # type: ignore[arg-type]
        store_batch(late, Store(db_target), IndexCopy(), RunReport())

    monkeypatch.setattr(storystate, "grow", grow_while_another_writer_adds)
    job = storystate.read_job(store, story_id)
    update = storystate.run_job(resources, job)
    assert storystate.write_update(store, job.story, job.token, update) is False
    assert store.fuse_token(story_id) is None  # nothing written
    assert len(store.get_story(story_id).article_ids) == 4
    monkeypatch.setattr(storystate, "grow", grow)
    update_stories(store, store.dirty_story_ids(), resources)
    state = store.load_fuse_state(story_id)
    assert state is not None
    assert [aid for aid, _, _ in state[2]] == store.get_story(story_id).article_ids
    assert store.dirty_story_ids() == [] and store.get_facts(story_id)
