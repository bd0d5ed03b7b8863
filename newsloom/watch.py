"""Watch folders and RSS/Atom feeds and ingest what is new, poll after poll.

Folders: a file is read once it is new or changed (size or modification time) and
stable: the same size and time seen twice, `settle` seconds apart (in one poll, or
across polls while it keeps changing), so a file still being written is not stored
half-written and again when complete. Files that vanish between listing and reading
are skipped. Feeds: fetched with conditional requests (ETag / Last-Modified) under a
size limit and timeouts, then read by `pipeline.run` like any feed file; articles
already stored are skipped by content id, so a feed that repeats its items adds
nothing. What has been seen lives in the store's state table, so a restarted watcher
goes on where it stopped.
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

from newsloom.errors import ConfigError, InputError, NewsloomError
from newsloom.store import Store

if TYPE_CHECKING:
    from newsloom.executors import Executor
    from newsloom.pipeline import Resources, RunReport

MAX_FEED_BYTES = 10_000_000
SETTLE_SECONDS = 1.0  # a file must keep its size and time this long before it is read
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
    try:
        if is_url(target):
            return poll_feed(target, store, resources, client, executor)
        return poll_folder(target, store, resources, executor=executor)
    except (NewsloomError, OSError) as exc:  # one failed poll must not end the watch
        return PollResult(target, error=str(exc) or type(exc).__name__)


Signature = list[int] | None  # [size, mtime_ns]; None when the file cannot be stat'ed


def poll_folder(
    folder: str,
    store: Store,
    resources: Resources,
    settle: float = SETTLE_SECONDS,
    executor: Executor | None = None,
) -> PollResult:
    """Ingest the files under `folder` that are new or changed since they were read, once
    each is stable (see the module docstring)."""
    root = Path(folder).resolve()
    key = f"watch:folder:{root}"
    state = store.load_state(key) or {}
    done: dict[str, Signature] = state.get("done", {})
    waiting: dict[str, Signature] = state.get("waiting", {})
    own = {os.path.realpath(store.path + end) for end in ("", "-wal", "-shm", "-journal")}
    current = _signatures([p for p in _files(root) if os.path.realpath(p) not in own])
    changed = {p: sig for p, sig in current.items() if p not in done or done[p] != sig}
    ready = sorted(p for p, sig in changed.items() if p in waiting and waiting[p] == sig)
    unsure = {p: sig for p, sig in changed.items() if p not in ready}
    if unsure and settle > 0:
        time.sleep(settle)
        again = _signatures([Path(p) for p in unsure])
        ready = sorted([*ready, *(p for p, sig in unsure.items() if again.get(p, 0) == sig)])
        unsure = {p: sig for p, sig in again.items() if p not in ready}
    result = PollResult(folder)
    if ready:
        from newsloom import pipeline  # late: the models load only when there is work

        result.report = pipeline.run(ready, store, resources, on_error=False, executor=executor)
    # Deleted files are forgotten, so a file put back later is read again.
    done = {p: sig for p, sig in done.items() if p in current}
    done.update((p, changed[p]) for p in ready)
    store.save_state(key, {"done": done, "waiting": unsure})
    return result


def _signatures(paths: list[Path]) -> dict[str, Signature]:
    """[size, mtime_ns] of each file; a file that has vanished is left out, and one that
    cannot be stat'ed gets None (it is then read once, and the reader names the problem)."""
    out: dict[str, Signature] = {}
    for path in paths:
        try:
            st = path.stat()
        except FileNotFoundError:
            continue
        except OSError:
            out[str(path)] = None
            continue
        out[str(path)] = [st.st_size, st.st_mtime_ns]
    return out


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
        labels = {str(path): url}  # articles and errors name the feed, not the temp file
        result.report = pipeline.run(
            [str(path)], store, resources, on_error=False, labels=labels, executor=executor
        )
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
        for err in rep.errors:  # each bad file named once: it is not read again unchanged
            print(f"newsloom watch: error: {err}", file=sys.stderr)
        print(
            f"newsloom watch: {r.target}: {rep.new} new, {rep.already_stored} already stored,"
            f" {len(rep.story_ids)} stories touched, {len(rep.errors)} errors",
            file=sys.stderr,
        )
