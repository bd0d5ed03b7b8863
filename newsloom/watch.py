"""Watch folders and RSS/Atom feeds and ingest what is new, poll after poll.

Folders: a file is (re)ingested when its path or modification time is new. Feeds:
fetched with conditional requests (ETag / Last-Modified) under a size limit and
timeouts, then read by `pipeline.run` like any feed file; articles already stored
are skipped by content id, so a feed that repeats its items adds nothing. What has
been seen lives in the store's state table, so a restarted watcher goes on where
it stopped.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from newsloom.errors import ConfigError, InputError
from newsloom.store import Store

if TYPE_CHECKING:
    from newsloom.executors import Executor
    from newsloom.pipeline import Resources, RunReport

MAX_FEED_BYTES = 10_000_000
TIMEOUT = httpx.Timeout(20.0, connect=10.0)
USER_AGENT = "newsloom-watch"


@dataclass(slots=True)
class PollResult:
    """What one poll of one target did (`report` is None when nothing was new)."""

    target: str
    report: RunReport | None = None
    error: str = ""
    not_modified: bool = False


def is_url(target: str) -> bool:
    return target.lower().startswith(("http://", "https://"))


def check_targets(targets: list[str]) -> None:
    """Refuse targets that are neither an existing folder/file nor an http(s) URL."""
    if not targets:
        raise ConfigError("watch: give at least one folder or feed URL")
    for t in targets:
        if "://" in t and not is_url(t):
            raise ConfigError(f"{t}: only http:// and https:// feed URLs can be watched")
        if not is_url(t) and not Path(t).exists():
            raise ConfigError(f"{t}: no such folder or file")


def watch(
    targets: list[str],
    store: Store,
    resources: Resources,
    interval: float = 60.0,
    once: bool = False,
    on_poll: Callable[[list[PollResult]], None] | None = None,
    executor: Executor | None = None,
) -> list[PollResult]:
    """Poll every target, then again every `interval` seconds (only once with `once`);
    `on_poll` runs after each poll (alerts hook in here).

    Returns the results of the last poll (what a test or a cron job wants to see)."""
    check_targets(targets)
    with httpx.Client(
        timeout=TIMEOUT, follow_redirects=True, headers={"User-Agent": USER_AGENT}
    ) as client:
        while True:
            results = [poll(t, store, resources, client, executor) for t in targets]
            for r in results:
                _log(r)
            if on_poll is not None:
                on_poll(results)
            if once:
                return results
            try:
                time.sleep(interval)
            except KeyboardInterrupt:
                return results


def poll(
    target: str,
    store: Store,
    resources: Resources,
    client: httpx.Client,
    executor: Executor | None = None,
) -> PollResult:
    if is_url(target):
        return poll_feed(target, store, resources, client, executor)
    return poll_folder(target, store, resources, executor)


def poll_folder(
    folder: str, store: Store, resources: Resources, executor: Executor | None = None
) -> PollResult:
    """Ingest the files under `folder` that are new or changed since the last poll."""
    root = Path(folder).resolve()
    key = f"watch:folder:{root}"
    seen: dict[str, int] = store.load_state(key) or {}
    current = {str(p): p.stat().st_mtime_ns for p in _files(root)}
    fresh = sorted(p for p, mtime in current.items() if seen.get(p) != mtime)
    result = PollResult(folder)
    if fresh:
        from newsloom import pipeline  # late: the models load only when there is work

        result.report = pipeline.run(fresh, store, resources, on_error=False, executor=executor)
    # Deleted files are forgotten, so a file put back later is read again.
    store.save_state(key, current)
    return result


def _files(root: Path) -> list[Path]:
    """Regular, non-hidden files under `root` in a stable order."""
    if root.is_file():
        return [root]
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        out += [Path(dirpath) / f for f in sorted(filenames) if not f.startswith(".")]
    return [p for p in out if p.is_file()]


def poll_feed(
    url: str,
    store: Store,
    resources: Resources,
    client: httpx.Client,
    executor: Executor | None = None,
) -> PollResult:
    """Fetch `url` (conditionally) and ingest its items."""
    key = f"watch:feed:{url}"
    state: dict[str, str] = store.load_state(key) or {}
    headers = {}
    if state.get("etag"):
        headers["If-None-Match"] = state["etag"]
    if state.get("last_modified"):
        headers["If-Modified-Since"] = state["last_modified"]
    result = PollResult(url)
    try:
        status, body, response_headers = _fetch(client, url, headers)
    except (httpx.HTTPError, InputError) as exc:
        result.error = str(exc) or type(exc).__name__
        store.record_error(url, result.error)
        return result
    if status == 304:
        result.not_modified = True
        return result
    from newsloom import pipeline

    with tempfile.TemporaryDirectory(prefix="newsloom-feed-") as tmp:
        path = Path(tmp) / "feed.xml"
        path.write_bytes(body)
        result.report = pipeline.run(
            [str(path)], store, resources, on_error=False, executor=executor
        )
    for err in result.report.errors:
        err.where = err.where.replace(str(path), url)
    store.save_state(
        key,
        {
            "etag": response_headers.get("etag", ""),
            "last_modified": response_headers.get("last-modified", ""),
        },
    )
    return result


def _fetch(
    client: httpx.Client, url: str, headers: dict[str, str]
) -> tuple[int, bytes, httpx.Headers]:
    """GET under a size limit; a redirect may not leave http(s)."""
    with client.stream("GET", url, headers=headers) as response:
        if not is_url(str(response.url)):
            raise InputError(url, f"redirected to a non-http URL {response.url}")
        if response.status_code == 304:
            return 304, b"", response.headers
        if response.status_code != 200:
            raise InputError(url, f"HTTP {response.status_code}")
        chunks, total = [], 0
        for chunk in response.iter_bytes():
            total += len(chunk)
            if total > MAX_FEED_BYTES:
                raise InputError(url, f"feed larger than {MAX_FEED_BYTES} bytes")
            chunks.append(chunk)
        return 200, b"".join(chunks), response.headers


def _log(r: PollResult) -> None:
    if r.error:
        print(f"newsloom watch: {r.target}: error: {r.error}", file=sys.stderr)
    elif r.report is not None:
        rep = r.report
        print(
            f"newsloom watch: {r.target}: {rep.new} new, {rep.already_stored} already stored,"
            f" {len(rep.story_ids)} stories touched, {len(rep.errors)} errors",
            file=sys.stderr,
        )
