"""Watch mode: folders by path+mtime, feeds over HTTP with conditional requests."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import httpx
import pytest
from click.testing import CliRunner

from newsloom.cli import cli
from newsloom.errors import ConfigError, InputError
from newsloom.store import Store
from newsloom.watch import MAX_FEED_BYTES, _fetch, check_targets, poll_feed, watch

if TYPE_CHECKING:
    from newsloom.pipeline import Resources

FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Harbour Gazette</title><link>https://gazette.example/</link>
<item><title>Container ship runs aground off Rotterdam</title>
<link>https://gazette.example/ship-aground</link><pubDate>Tue, 14 Nov 2023 08:30:00 GMT</pubDate>
<description>A container ship carrying 4,000 containers ran aground near the port of Rotterdam
on Tuesday morning, the Dutch coast guard said. No injuries were reported and tugboats were
trying to refloat the vessel at high tide, a port authority spokesman said.</description></item>
<item><title>Dutch coast guard refloats stranded container ship</title>
<link>https://gazette.example/ship-refloated</link><pubDate>Wed, 15 Nov 2023 07:00:00 GMT</pubDate>
<description>Tugboats refloated the container ship that ran aground near Rotterdam, the Dutch
coast guard said on Wednesday. The ship had been stuck for about 20 hours and will be inspected
for damage before it continues to Hamburg, the port authority said.</description></item>
</channel></rss>"""

ETAG = '"v1"'


class FeedHandler(BaseHTTPRequestHandler):
    """Serves /feed.xml with an ETag, /big.xml over the size limit, anything else 404."""

    hits: ClassVar[list[dict[str, Any]]] = []

    def do_GET(self) -> None:
        FeedHandler.hits.append({"path": self.path, "inm": self.headers.get("If-None-Match")})
        if self.path == "/feed.xml":
            if self.headers.get("If-None-Match") == ETAG:
                self.send_response(304)
                self.end_headers()
                return
            body = FEED.encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("ETag", ETAG)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif self.path == "/big.xml":
            self.send_response(200)
            self.end_headers()
            chunk = b"<!-- padding -->" * 4096
            for _ in range(MAX_FEED_BYTES // len(chunk) + 2):
                self.wfile.write(chunk)
        else:
            self.send_response(404)
            self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FeedHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_check_targets(tmp_path: Path) -> None:
    check_targets([str(tmp_path), "https://example.org/feed.xml", "http://127.0.0.1/x"])
    for bad in (["file:///etc/passwd"], ["ftp://example.org/feed"], [str(tmp_path / "nope")], []):
        with pytest.raises(ConfigError):
            check_targets(bad)


def test_fetch_conditional_and_limits(server: str) -> None:
    with httpx.Client(timeout=5) as client:
        status, body, headers = _fetch(client, f"{server}/feed.xml", {})
        assert status == 200 and b"Rotterdam" in body and headers["etag"] == ETAG
        status, body, _ = _fetch(client, f"{server}/feed.xml", {"If-None-Match": ETAG})
        assert status == 304 and body == b""
        with pytest.raises(InputError, match="HTTP 404"):
            _fetch(client, f"{server}/missing.xml", {})
        with pytest.raises(InputError, match="larger than"):
            _fetch(client, f"{server}/big.xml", {})


def test_feed_errors_are_recorded_not_raised(server: str, tmp_path: Path) -> None:
    store = Store(tmp_path / "w.db")
    with httpx.Client(timeout=5) as client:
        result = poll_feed(f"{server}/missing.xml", store, None, client)  # type: ignore[arg-type]
        assert "HTTP 404" in result.error and result.report is None
        closed = poll_feed("http://127.0.0.1:9/feed.xml", store, None, client)  # type: ignore[arg-type]
        assert closed.error
    rows = store.conn.execute("SELECT origin FROM ingest_errors").fetchall()
    assert len(rows) == 2


def test_empty_folder_needs_no_models(tmp_path: Path) -> None:
    store = Store(tmp_path / "w.db")
    (tmp_path / "in").mkdir()
    [result] = watch([str(tmp_path / "in")], store, None, once=True)  # type: ignore[arg-type]
    assert result.report is None and not result.error


# -- with the real pipeline ----------------------------------------------------------


@pytest.fixture(scope="module")
def res(request: pytest.FixtureRequest) -> Resources:
    pytest.importorskip(
        "newsloom.pipeline", reason="pipeline modules not all in yet", exc_type=ImportError
    )
    resources: Resources = request.getfixturevalue("resources")
    return resources


@pytest.mark.slow
def test_watch_feed_ingests_then_sends_conditional_request(
    server: str, tmp_path: Path, res: Resources
) -> None:
    store = Store(tmp_path / "w.db")
    url = f"{server}/feed.xml"
    FeedHandler.hits.clear()
    [first] = watch([url], store, res, once=True)
    assert first.report is not None and first.report.new == 2, first
    assert store.count_articles() == 2
    assert store.load_state(f"watch:feed:{url}")["etag"] == ETAG
    [second] = watch([url], store, res, once=True)
    assert second.not_modified and second.report is None
    assert FeedHandler.hits[-1]["inm"] == ETAG
    assert store.count_articles() == 2


@pytest.mark.slow
def test_watch_folder_reads_new_and_changed_files_once(tmp_path: Path, res: Resources) -> None:
    store = Store(tmp_path / "w.db")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.txt").write_text(
        " date 2023-11-14 Ship aground off Rotterdam\n\nA container ship ran aground near "
        "Rotterdam on Tuesday, the Dutch coast guard said. Tugboats tried to refloat it.\n"
    )
    (inbox / ".partial.txt").write_text("ignored while hidden")
    [r1] = watch([str(inbox)], store, res, once=True)
    assert r1.report is not None and r1.report.new == 1
    [r2] = watch([str(inbox)], store, res, once=True)
    assert r2.report is None  # nothing new
    (inbox / "b.txt").write_text(
        " date 2023-11-15 Ship refloated\n\nTugboats refloated the container ship that ran "
        "aground near Rotterdam, the coast guard said on Wednesday.\n"
    )
    os.utime(inbox / "a.txt", ns=(1, 1))  # changed mtime: read again, already stored
    [r3] = watch([str(inbox)], store, res, once=True)
    assert r3.report is not None
    assert r3.report.new == 1 and r3.report.already_stored == 1
    assert store.count_articles() == 2


def test_watch_once_names_each_bad_file_and_fails(tmp_path: Path, res: Resources) -> None:
    """`watch --once` is for cron: a bad file is named in one line and the exit is non-zero,
    while the good file is stored; unchanged, the bad file is not read (or named) again."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_text(
        " date 2023-11-14 Ship aground off Rotterdam\n\nA container ship ran aground near"
        " the port of Rotterdam on Tuesday, the Dutch coast guard said.\n",
        encoding="utf-8",
    )
    (folder / "empty.txt").write_text("", encoding="utf-8")
    args = ["watch", str(folder), "--once", "--db", str(tmp_path / "w.db"), "--workers", "1"]
    first = CliRunner().invoke(cli, args, obj=res)
    assert first.exit_code == 1
    assert [line for line in first.stderr.splitlines() if "error" in line and "empty.txt" in line]
    assert Store(tmp_path / "w.db").count_articles() == 1
    again = CliRunner().invoke(cli, args, obj=res)
    assert again.exit_code == 0 and "empty.txt" not in again.stderr
