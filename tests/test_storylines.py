"""Storylines end to end: ingest reports of a crash, the regulator's action days later and
an unrelated earthquake; the crash and the grounding are two stories of one storyline,
listed by the CLI, the API and the web page; re-running the same input changes nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from test_cluster import EVENTS, FOLLOW_UP

from newsloom.cli import cli
from newsloom.evaluate.cluster import bootstrap_difference
from newsloom.pipeline import Resources, run
from newsloom.store import Store
from newsloom.web.app import create_app


def _records() -> list[dict[str, Any]]:
    out = []
    for event, items in EVENTS.items():
        for n, (day, title, text) in enumerate(items):
            out.append({"id": f"{event}-{n}", "date": day, "title": title, "text": text})
    day, title, text = FOLLOW_UP
    out.append({"id": "grounding-0", "date": day, "title": title, "text": text})
    return out


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory, resources: Resources) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("lines")
    data = tmp / "news.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in _records()), encoding="utf-8")
    db = tmp / "n.db"
    store = Store(db)
    run([str(data)], store, resources)
    story = {aid: store.story_of(aid) for aid in (r["id"] for r in _records())}
    snapshot = _snapshot(store)
    store.close()
    return {"db": db, "data": data, "story": story, "snapshot": snapshot}


def _snapshot(store: Store) -> list[Any]:
    """Everything a re-run could change: stories, memberships, storylines."""
    return [
        store.conn.execute("SELECT id, n_articles, data FROM stories ORDER BY id").fetchall(),
        store.conn.execute("SELECT * FROM story_articles ORDER BY article_id").fetchall(),
        store.conn.execute("SELECT id, n_stories, alive FROM storylines ORDER BY id").fetchall(),
        store.conn.execute("SELECT * FROM story_storylines ORDER BY story_id").fetchall(),
    ]


def _line_of(db: Path, story_id: str) -> str:
    store = Store(db)
    row = store.conn.execute(
        "SELECT storyline_id FROM story_storylines WHERE story_id = ?", (story_id,)
    ).fetchone()
    store.close()
    return str(row[0])


def test_crash_and_grounding_are_two_events_of_one_storyline(ingested: dict[str, Any]) -> None:
    story = ingested["story"]
    assert story["crash-0"] == story["crash-1"] != story["grounding-0"]
    db = ingested["db"]
    assert _line_of(db, story["crash-0"]) == _line_of(db, story["grounding-0"])
    assert _line_of(db, story["peru-0"]) != _line_of(db, story["crash-0"])
    assert _line_of(db, story["peru-0"]) != _line_of(db, story["sulawesi-0"])


def test_cli_lists_and_shows_storylines(ingested: dict[str, Any], resources: Resources) -> None:
    db = str(ingested["db"])
    listed = CliRunner().invoke(cli, ["storylines", "--db", db, "--json"], obj=resources)
    assert listed.exit_code == 0, listed.output
    lines = json.loads(listed.stdout)["storylines"]
    line_id = _line_of(ingested["db"], ingested["story"]["crash-0"])
    assert {"id", "title", "first_day", "last_day", "n_stories"} <= set(lines[0])
    assert next(x for x in lines if x["id"] == line_id)["n_stories"] == 2
    shown = CliRunner().invoke(cli, ["storylines", line_id, "--db", db], obj=resources)
    assert shown.exit_code == 0, shown.output
    events = [x for x in shown.stdout.splitlines() if x.startswith("  ")]
    assert len(events) == 2 and events[0] < events[1]  # one line each, in time order
    assert "2024-03-20" in events[0] and "2024-03-23" in events[1]
    story = ingested["story"]["crash-0"]
    shown_md = CliRunner().invoke(cli, ["show", story, "--db", db], obj=resources)
    assert "## Other events of this storyline" in shown_md.stdout
    assert "2024-03-23: Kenya suspends" in shown_md.stdout
    missing = CliRunner().invoke(cli, ["storylines", "lnope", "--db", db], obj=resources)
    assert missing.exit_code == 1 and "no storyline" in missing.output


def test_api_and_pages(ingested: dict[str, Any], resources: Resources) -> None:
    client = TestClient(create_app(str(ingested["db"]), resources=resources))
    page = client.get("/api/storylines", params={"limit": 1})
    assert page.status_code == 200
    assert page.json()["total"] >= 3 and len(page.json()["storylines"]) == 1
    crash, grounding = ingested["story"]["crash-0"], ingested["story"]["grounding-0"]
    brief = client.get(f"/api/stories/{crash}").json()
    assert brief["storyline"] and [e["id"] for e in brief["storyline_events"]] == [grounding]
    line = client.get(f"/api/storylines/{brief['storyline']}").json()
    assert [e["id"] for e in line["events"]] == [crash, grounding]
    assert client.get("/api/storylines/lnope").status_code == 404
    html = client.get(f"/stories/{crash}").text
    assert f'href="/storylines/{brief["storyline"]}"' in html
    assert client.get(f"/storylines/{brief['storyline']}").status_code == 200


def test_issue12_rerun_of_the_same_input_changes_nothing(
    ingested: dict[str, Any], resources: Resources
) -> None:
    store = Store(ingested["db"])
    report = run([str(ingested["data"])], store, resources)
    assert report.new == 0
    assert _snapshot(store) == ingested["snapshot"]
    store.close()


def test_eval_cluster_reads_any_gold_jsonl(tmp_path: Path, resources: Resources) -> None:
    """`newsloom eval cluster --data FILE.jsonl`: gold `event` (and `storyline`) on any
    records, read through the pipeline's ingest; a date line opens one text."""
    records = _records()
    for n, r in enumerate(records):
        r["event"] = r["id"].rsplit("-", 1)[0]
        r["storyline"] = "kenya" if r["event"] in ("crash", "grounding") else r["event"]
        r["split"] = ("dev", "test")[n % 2]
    first = records[0]
    first["text"] = f" date {first.pop('date')} {first.pop('title')}\n{first['text']}"
    data = tmp_path / "gold.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    args = ["eval", "cluster", "--data", str(data), "--json"]
    result = CliRunner().invoke(cli, args, obj=resources)
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout.strip().splitlines()[-1])
    assert metrics["documents"] == len(records) and metrics["events"] == 4
    assert 0.0 <= metrics["bcubed_f1"] <= 1.0 and 0.0 <= metrics["storyline_pairwise_f1"] <= 1.0
    assert "baseline_tfidf_oracle_bcubed_f1" in metrics and "pairwise_f1" in metrics
    low, high = metrics["bcubed_f1_minus_baseline_low"], metrics["bcubed_f1_minus_baseline_high"]
    assert -1.0 <= low <= high <= 1.0
    bogus = CliRunner().invoke(cli, [*args, "--split", "bogus"], obj=resources)
    assert bogus.exit_code == 2 and "split" in bogus.stderr
    no_gold = tmp_path / "nogold.jsonl"
    no_gold.write_text(json.dumps({"id": "x", "text": "Some text here."}) + "\n")
    missing = CliRunner().invoke(cli, ["eval", "cluster", "--data", str(no_gold)], obj=resources)
    assert missing.exit_code == 2 and "event" in missing.stderr


def test_bootstrap_difference_says_when_few_storylines_can_tell_systems_apart() -> None:
    """The interval of B-cubed F1 differences under resampled storylines: 0 for the same
    labels; above 0 when one system is right on every storyline and the other merges each
    storyline's two events; across 0 when each system is right on different storylines."""
    gold = [f"{line}-{event}" for line in "abcdefghij" for event in "xy" for _ in range(3)]
    lines = [g.split("-")[0] for g in gold]
    merged = list(lines)
    assert bootstrap_difference(gold, gold, gold, lines) == (0.0, 0.0)
    low, high = bootstrap_difference(gold, merged, gold, lines)
    assert 0.0 < low <= high
    half = [g if g < "f" else line for g, line in zip(gold, lines, strict=True)]
    other = [line if g < "f" else g for g, line in zip(gold, lines, strict=True)]
    low, high = bootstrap_difference(half, other, gold, lines)
    assert low < 0.0 < high
