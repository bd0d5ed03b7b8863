"""Alerts (#16) against a real local HTTP server: one POST per event, retries with
back-off when the receiver fails, never in the way of ingest, undelivered alerts kept
for the next start, and exactly once per event across restarts of `watch`."""

from __future__ import annotations

import html
import json
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from newsloom.alerts import Alerter, Target, make_targets
from newsloom.cli import cli
from newsloom.errors import ConfigError
from newsloom.models import Citation, Fact
from newsloom.store import Store
from newsloom.web.app import create_app

sys.path.insert(0, str(Path(__file__).parent))
import webdata

if TYPE_CHECKING:
    from newsloom.pipeline import Resources


class Receiver(ThreadingHTTPServer):
    """A webhook: records each POST; answers 500 to the next `fail` requests, and
    holds each answer until `release` is set."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.posts: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.tries = 0
        self.fail = 0
        self.release = threading.Event()
        self.release.set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.release.wait(10)
        self.server.tries += 1
        if self.server.fail > 0:
            self.server.fail -= 1
            self.send_response(500)
        else:
            self.server.posts.append(json.loads(body))
            self.server.headers.append(dict(self.headers))
            self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


def alerter(db: Path, targets: list[Target], logs: list[str] | None = None) -> Alerter:
    return Alerter(
        str(db),
        ["flood"],
        targets,
        base_url="http://news.example/",
        backoff=0.01,
        retries=3,
        log=(logs if logs is not None else []).append,
    )


def _grow_conflict(db: Path) -> None:
    """A third outlet adds a figure to the flood story's dispute (an updated figure)."""
    store = Store(db)
    facts = store.get_facts("st-flood")
    conflict = next(f for f in facts if f.status == "conflict")
    conflict.conflict["values"].append({"value": "9,000", "source": "G1", "text": "9,000 left"})
    store.save_facts("st-flood", facts, 2)
    store.close()


def test_story_and_conflict_each_posted_once(tmp_path: Path, receiver: Receiver) -> None:
    db = tmp_path / "a.db"
    store = Store(db)
    alerts = alerter(db, make_targets([receiver.url], []))
    alerts.start(store)  # empty archive: nothing is watched yet
    webdata.fill(db)  # a flood story arrives, with a disputed figure; and a Lyon story
    keys = alerts.check(store)
    alerts.close()
    assert len(keys) == 2
    assert [(p["event"], p["story"]["id"]) for p in receiver.posts] == [
        ("story", "st-flood"),
        ("conflict", "st-flood"),
    ]
    story, conflict = receiver.posts
    assert story["alert"] == "flood" and story["fact"] is None
    assert story["story"]["url"] == "http://news.example/stories/st-flood"
    assert story["story"]["feed"] == "http://news.example/feeds/stories/st-flood.atom"
    assert story["story"]["title"] == "Floods in Porto Alegre"
    fact = conflict["fact"]
    assert fact["status"] == "conflict" and fact["change"] == "new"
    assert [v["value"] for v in fact["values"]] == ["12,000", "about 10,000"]
    assert fact["url"] == "http://news.example/stories/st-flood#fact-f3"
    assert conflict["time"].endswith("Z") and len({story["id"], conflict["id"]}) == 2
    assert [h["X-Newsloom-Event"] for h in receiver.headers] == [story["id"], conflict["id"]]
    assert alerts.check(store) == []  # nothing new: nothing sent


def test_failing_receiver_is_retried_until_it_accepts(tmp_path: Path, receiver: Receiver) -> None:
    db = tmp_path / "a.db"
    store = Store(db)
    logs: list[str] = []
    alerts = alerter(db, make_targets([receiver.url], []), logs)
    alerts.start(store)
    webdata.fill(db)
    receiver.fail = 2
    alerts.check(store)
    alerts.close()
    assert receiver.tries == 4  # the first event twice refused, then each accepted once
    assert [p["event"] for p in receiver.posts] == ["story", "conflict"]
    assert sum("HTTP 500" in line for line in logs) == 2
    attempts = store.conn.execute("SELECT attempts FROM alert_outbox ORDER BY rowid").fetchall()
    assert [a[0] for a in attempts] == [3, 1]


def test_undelivered_alerts_survive_a_restart_and_go_once(
    tmp_path: Path, receiver: Receiver
) -> None:
    db = tmp_path / "a.db"
    store = Store(db)
    logs: list[str] = []
    first = alerter(db, make_targets([receiver.url], []), logs)
    first.start(store)
    webdata.fill(db)
    receiver.fail = 100  # the receiver is down for this whole run
    first.check(store)
    first.close()
    assert receiver.posts == [] and first.failed == 2
    assert any("giving up for now" in line for line in logs)

    receiver.fail = 0  # back up; watch starts again
    second = alerter(db, make_targets([receiver.url], []))
    second.start(store)
    assert second.check(store) == []  # the events were found before: not found again
    _grow_conflict(db)
    second.check(store)
    second.close()
    assert [p["event"] for p in receiver.posts] == ["story", "conflict", "conflict"]
    assert receiver.posts[2]["fact"]["change"] == "figures"

    third = alerter(db, make_targets([receiver.url], []))
    third.start(store)
    third.check(store)
    third.close()
    assert len(receiver.posts) == 3
    assert len({p["id"] for p in receiver.posts}) == 3


def test_delivery_never_holds_up_the_caller(tmp_path: Path, receiver: Receiver) -> None:
    db = tmp_path / "a.db"
    store = Store(db)
    alerts = alerter(db, make_targets([receiver.url], []))
    alerts.start(store)
    webdata.fill(db)
    receiver.release.clear()  # the receiver hangs on every request
    done = threading.Event()
    threading.Thread(target=lambda: (alerts.check(store), done.set()), daemon=True).start()
    assert done.wait(5), "check() waited for the receiver"
    assert receiver.posts == []
    receiver.release.set()
    alerts.close()
    assert len(receiver.posts) == 2


def test_watched_story_update_figure_and_command_target(tmp_path: Path, receiver: Receiver) -> None:
    db = tmp_path / "a.db"
    webdata.fill(db)
    out, script = tmp_path / "alerts.jsonl", tmp_path / "append.py"
    script.write_text(
        "import sys\nopen(sys.argv[1], 'ab').write(sys.stdin.buffer.read() + b'\\n')\n"
    )
    cmd = f"{sys.executable} {script} '{out}'"
    store = Store(db)
    alerts = alerter(db, make_targets([receiver.url], [cmd]))
    alerts.start(store)  # the flood story exists already: watched, not announced
    assert alerts.check(store) == []
    facts = store.get_facts("st-flood")
    cite = Citation(facts[0].citations[0].article_id, 0, "Folha", "12,000 residents")
    toll = Fact("toll", "Residents forced from their homes", "update", ["Folha"], 1, [cite])
    store.save_facts("st-flood", [*facts, toll], 2)
    alerts.check(store)
    alerts.close()
    assert [p["event"] for p in receiver.posts] == ["update"]
    [line] = out.read_text().splitlines()
    assert json.loads(line) == receiver.posts[0]


def test_alert_settings_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="http"):
        make_targets(["ftp://x/"], [])
    with pytest.raises(ConfigError, match="--alert-cmd"):
        make_targets([], ["'unclosed"])
    with pytest.raises(ConfigError, match="webhook"):
        Alerter(str(tmp_path / "a.db"), ["flood"], [])
    with pytest.raises(ConfigError, match="query"):
        Alerter(str(tmp_path / "a.db"), [" "], make_targets(["http://x/"], []))
    result = CliRunner().invoke(cli, ["watch", str(tmp_path), "--webhook", "http://x/"])
    assert result.exit_code == 2 and "--alert" in result.output


# -- `newsloom watch` with the real pipeline ------------------------------------------


@pytest.mark.slow
def test_watch_alerts_exactly_once_across_restarts(
    tmp_path: Path, receiver: Receiver, data_dir: Path, resources: Resources
) -> None:
    """Two outlets disagree on a bombing (toll, day, names, a denial): the first report
    makes a story, the second the disputes; each is posted once over four runs."""
    inbox, db = tmp_path / "inbox", tmp_path / "w.db"
    inbox.mkdir()
    spec = json.loads((data_dir / "fuse" / "casualties.json").read_text())
    reports = [f" date {a['published']} {a['source']}\n\n{a['text']}\n" for a in spec["articles"]]
    args = ["watch", str(inbox), "--once", "--db", str(db), "--alert", "Jalalabad bomb"]
    args += ["--webhook", receiver.url, "--base-url", "http://news.example"]

    def run() -> list[dict[str, Any]]:
        before = len(receiver.posts)
        result = CliRunner().invoke(cli, args, obj=resources)
        assert result.exit_code == 0, result.output
        return receiver.posts[before:]

    (inbox / "wire.txt").write_text(reports[0])
    [story] = run()
    assert story["event"] == "story" and story["fact"] is None
    assert run() == []  # a restart with nothing new sends nothing
    (inbox / "daily.txt").write_text(reports[1])
    disputes = run()
    assert {p["fact"]["conflict"]["kind"] for p in disputes} >= {"number", "negation"}
    assert {(p["event"], p["story"]["id"]) for p in disputes} == {
        ("conflict", story["story"]["id"])
    }
    assert run() == []
    assert len({p["id"] for p in receiver.posts}) == len(receiver.posts) == 1 + len(disputes)
    pending = Store(db).conn.execute("SELECT count(*) FROM alert_outbox WHERE delivered_at IS NULL")
    assert pending.fetchone()[0] == 0


def test_alert_urls_encode_odd_ids_and_resolve(tmp_path: Path, receiver: Receiver) -> None:
    """Story and fact ids with "/", "?", "#", "%", spaces, accents: the alert's links are
    encoded, and the web app answers each of them at its anchor."""
    db = tmp_path / "a.db"
    store = Store(db)
    alerts = alerter(db, make_targets([receiver.url], []))
    alerts.start(store)
    webdata.fill_odd(db)
    sid = webdata.ODD_STORY_IDS[0]
    facts = store.get_facts(sid)
    values = [{"value": "12,000"}, {"value": "10,000"}]
    toll = Fact(
        "toll/1?#ü",
        "Residents left",
        "conflict",
        ["Folha", "Wire Daily"],
        2,
        facts[0].citations,
        conflict={"kind": "number", "values": values},
    )
    store.save_facts(sid, [*facts, toll], 2)
    alerts.check(store)
    alerts.close()
    posted = {(p["event"], p["story"]["id"]) for p in receiver.posts}
    assert posted >= {("story", sid), ("conflict", sid)}
    client = TestClient(create_app(str(db)))
    for post in receiver.posts:
        urls = [post["story"]["url"], post["story"]["feed"]]
        urls += [post["fact"]["url"]] if post["fact"] else []
        for url in urls:
            assert url.startswith("http://news.example/") and url.isascii()
            target, _, fragment = url.removeprefix("http://news.example").partition("#")
            page = client.get(target)
            assert page.status_code == 200, url
            if fragment:
                assert fragment == "fact-" + quote("toll/1?#ü", safe="")
                assert f'id="fact-{html.escape("toll/1?#ü")}"' in page.text
