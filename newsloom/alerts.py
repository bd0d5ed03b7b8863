"""Alerts (#16): tell a webhook or a local command when a story matching a query
appears, or when a story it watches gets a new conflict or an updated figure.

After each poll `newsloom watch` looks at what the store recorded since the last
check (articles stored after a remembered position, the fact history after a
remembered event number), writes one outbox row per event and receiver, and hands
the rows to a background thread: ingest never waits for a receiver. The thread
POSTs the JSON payload (or pipes it into the command), retries with exponential
back-off, logs failures and marks a row delivered only when the receiver accepted
it (HTTP 2xx, exit status 0). Rows still undelivered when watch stops are retried
when it starts again; a row is written once per event (its key is unique), so each
event reaches each receiver once. The payload's `id` (also sent as the
`X-Newsloom-Event` header) is the same on every try: a receiver that must survive a
crash between its answer and our bookkeeping can drop repeats by it.
"""

from __future__ import annotations

import hashlib
import json
import queue
import shlex
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import httpx

from newsloom import __version__, history
from newsloom.errors import ConfigError
from newsloom.feeds import story_feed_url, story_url, url_id
from newsloom.store import Store

RETRIES = 5  # after the first try: 1 + 2 + 4 + 8 + 16 s of back-off
BACKOFF = 1.0
MAX_DELAY = 60.0
TIMEOUT = 10.0  # seconds for one webhook request
COMMAND_TIMEOUT = 60.0
DRAIN_TIMEOUT = 120.0


@dataclass(frozen=True, slots=True)
class Target:
    """Where alerts go: `webhook` (an http(s) URL) or `command` (run with the JSON on stdin)."""

    kind: str
    address: str

    @property
    def name(self) -> str:
        return f"{self.kind}:{self.address}"


def make_targets(webhooks: Iterable[str], commands: Iterable[str]) -> list[Target]:
    targets = []
    for url in webhooks:
        if not url.lower().startswith(("http://", "https://")):
            raise ConfigError(f"--webhook {url}: expected an http:// or https:// URL")
        targets.append(Target("webhook", url))
    for cmd in commands:
        try:
            words = shlex.split(cmd)
        except ValueError as exc:
            raise ConfigError(f"--alert-cmd {cmd}: {exc}") from exc
        if not words:
            raise ConfigError("--alert-cmd: empty command")
        targets.append(Target("command", cmd))
    return targets


def _stderr(message: str) -> None:
    print(f"newsloom alerts: {message}", file=sys.stderr)


def event_id(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:20]


class Alerter:
    """Alert rules (full-text queries) checked after each poll, and the delivery thread:
    `start(store)` once, `check(store)` after each poll, `close()` at the end."""

    def __init__(
        self,
        db_path: str,
        queries: Iterable[str],
        targets: list[Target],
        *,
        base_url: str = "http://127.0.0.1:8000/",
        retries: int = RETRIES,
        backoff: float = BACKOFF,
        max_delay: float = MAX_DELAY,
        timeout: float = TIMEOUT,
        log: Callable[[str], None] = _stderr,
    ) -> None:
        if db_path == ":memory:":
            raise ConfigError("alerts need a database file (the delivery thread opens it too)")
        self.queries = list(dict.fromkeys(q.strip() for q in queries))
        if not self.queries or not all(self.queries):
            raise ConfigError("--alert: give a non-empty search query")
        if not targets:
            raise ConfigError("--alert needs somewhere to send alerts: --webhook or --alert-cmd")
        self.db_path = db_path
        self.targets = {t.name: t for t in targets}
        self.base_url = base_url.rstrip("/") + "/"
        self.retries, self.backoff, self.max_delay = retries, backoff, max_delay
        self.timeout = timeout
        self.log = log
        self.delivered = 0
        self.failed = 0  # deliveries given up for this run (kept for the next)
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- finding events (main thread) -------------------------------------------------

    def start(self, store: Store) -> None:
        """Register new rules, start the delivery thread, queue what a previous run left."""
        with store.transaction():
            for query in self.queries:
                if store.alert_rule(query) is None:
                    # Stories matching already are watched, not announced as new.
                    store.mark_announced(query, store.story_ids_matching(query, limit=None))
                    store.save_alert_rule(query, store.last_fact_event(), store.last_article_seq())
        self._thread = threading.Thread(target=self._work, name="newsloom-alerts", daemon=True)
        self._thread.start()
        pending = store.pending_alerts(self.targets)
        if pending:
            self.log(f"{len(pending)} undelivered alert(s) from an earlier run: retrying")
        for key in pending:
            self._queue.put(key)

    def check(self, store: Store) -> list[str]:
        """Queue an alert for every event since the last check; returns the outbox keys."""
        keys: list[str] = []
        for query in self.queries:
            with store.transaction():
                rows = self._events(store, query)
                keys += store.add_alerts(rows)
        for key in keys:
            self._queue.put(key)
        return keys

    def _events(self, store: Store, query: str) -> list[tuple[str, str, str, str]]:
        rule = store.alert_rule(query)
        if rule is None:
            raise ConfigError(f"alert {query!r}: not started")
        last_event, last_article = store.last_fact_event(), store.last_article_seq()
        fresh = store.stories_of_articles_after(rule["article_cursor"])
        events = store.fact_events(
            kinds=history.ALERTED,
            after=rule["event_cursor"],
            upto=last_event,
            limit=None,
            newest_first=False,
        )
        touched = set(fresh) | {e["story_id"] for e in events}
        matching = set(store.story_ids_matching(query, limit=None, within=touched))
        announced = store.alert_announced(query)
        payloads: list[dict[str, Any]] = []
        appeared = []
        for row in store.story_summaries(sid for sid in fresh if sid in matching):
            if row["id"] in announced:
                continue
            appeared.append(row["id"])
            if announced.intersection(row["merged_from"]):
                continue  # a watched story grew by a merge: not a new story
            payloads.append(self._payload("story", query, row, None, history.now()))
        store.mark_announced(query, appeared)
        rows_by_id = {r["id"]: r for r in store.story_summaries(touched & matching)}
        for event in events:
            if event["story_id"] in rows_by_id:
                story = rows_by_id[event["story_id"]]
                payloads.append(self._payload(event["kind"], query, story, event, event["at"]))
        store.save_alert_rule(query, last_event, last_article)
        out = []
        for payload in payloads:
            body = json.dumps(payload, ensure_ascii=False)
            for target in self.targets.values():
                out.append((f"{payload['id']}:{target.name}", payload["id"], target.name, body))
        return out

    def _payload(
        self,
        kind: str,
        query: str,
        row: dict[str, Any],
        event: dict[str, Any] | None,
        at: str,
    ) -> dict[str, Any]:
        """The documented alert JSON (docs/web.md, "Alerts")."""
        url = story_url(self.base_url, row["id"])
        fact = None
        if event is not None:
            fact = {
                **event["fact"],
                "change": event["change"],
                "previous_status": event["previous_status"],
                "values": history.value_items(event["fact"]),
                "url": f"{url}#fact-{url_id(event['fact']['id'])}",
            }
        key = f"fact:{event['seq']}" if event is not None else f"story:{row['id']}"
        return {
            "id": event_id(query, key),
            "event": kind,
            "alert": query,
            "time": at,
            "story": {
                "id": row["id"],
                "title": row["title"],
                "url": url,
                "feed": story_feed_url(self.base_url, row["id"]),
                "n_articles": row["n_articles"],
                "sources": row["sources"],
                "first_published": row["first_published"],
                "last_published": row["last_published"],
            },
            "fact": fact,
            "generator": f"newsloom {__version__}",
        }

    # -- delivery (background thread) -------------------------------------------------

    def close(self, *, drain: bool = True, timeout: float = DRAIN_TIMEOUT) -> None:
        """Stop the delivery thread; with `drain`, first let it try what is queued
        (at most `timeout` seconds). Whatever is left stays in the outbox for next time."""
        if self._thread is None:
            return
        if not drain:
            self._stop.set()
        self._queue.put(None)
        self._thread.join(timeout)
        if self._thread.is_alive():
            self._stop.set()
            self._thread.join(self.timeout + 1)
        self._thread = None

    def _work(self) -> None:
        store = Store(self.db_path)
        try:
            with httpx.Client(timeout=self.timeout, follow_redirects=False) as client:
                while (key := self._queue.get()) is not None:
                    if self._stop.is_set():
                        continue
                    try:
                        self._deliver(store, client, key)
                    except Exception as exc:  # one bad row must not stop every later alert
                        self.log(f"alert {key}: not delivered ({type(exc).__name__}: {exc})")
        finally:
            store.close()

    def _deliver(self, store: Store, client: httpx.Client, key: str) -> None:
        alert = store.get_alert(key)
        target = self.targets.get(alert["target"])
        if alert["delivered_at"] or target is None:
            return
        what = f"{json.loads(alert['payload'])['event']} alert {alert['event']} to {target.name}"
        for attempt in range(1, self.retries + 2):
            error = self._send(client, target, alert["payload"], alert["event"])
            self._mark(store, key, error)
            if not error:
                self.delivered += 1
                self.log(f"{what}: delivered")
                return
            if attempt > self.retries:
                break
            delay = min(self.backoff * 2 ** (attempt - 1), self.max_delay)
            self.log(f"{what}: {error}; try {attempt + 1} in {delay:g}s")
            if self._stop.wait(delay):
                return
        self.failed += 1
        self.log(f"{what}: {error}; giving up for now (kept, retried on the next start)")

    def _send(self, client: httpx.Client, target: Target, payload: str, event: str) -> str:
        """Deliver once; "" on success, else what went wrong."""
        body = payload.encode("utf-8")
        if target.kind == "webhook":
            try:
                response = client.post(
                    target.address,
                    content=body,
                    headers={
                        "Content-Type": "application/json",
                        "User-Agent": f"newsloom/{__version__}",
                        "X-Newsloom-Event": event,
                    },
                )
            except httpx.HTTPError as exc:
                return f"{type(exc).__name__}: {exc}"
            return "" if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"
        try:
            proc = subprocess.run(
                shlex.split(target.address),
                input=body,
                capture_output=True,
                timeout=COMMAND_TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return str(exc)
        if proc.returncode == 0:
            return ""
        tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
        return f"exit status {proc.returncode}" + (f" ({tail[0]})" if tail else "")

    def _mark(self, store: Store, key: str, error: str) -> None:
        """Record the attempt; a busy database is waited for, not given up on."""
        for wait in (0.5, 2.0, 8.0, 0.0):
            try:
                store.mark_alert(key, delivered=not error, error=error)
                return
            except store.db.errors as exc:
                if not wait:
                    self.log(f"cannot record alert {key}: {exc}")
                    return
                time.sleep(wait)
