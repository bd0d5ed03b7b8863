"""SQLite store: articles, sentences, mentions, places, stories, facts and run state.

One file, no server (`./newsloom.db` by default). Every batch is written in one
transaction, so a crash leaves the database as it was before the batch, and
re-ingesting an article already stored changes nothing (ids are content hashes).
Full article records are kept as JSON beside the columns that queries need; FTS5
tables back the web app's search.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from newsloom.errors import NotFound, StoreError
from newsloom.models import Article, Fact, Story

SCHEMA_VERSION = 1
WAIT_NOTICE_S = 1.0  # wait this long for the writer lock before saying so

SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL DEFAULT '',
    url TEXT NOT NULL DEFAULT '',
    title TEXT NOT NULL DEFAULT '',
    published TEXT NOT NULL DEFAULT '',
    origin TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL,
    data TEXT NOT NULL,
    added_at TEXT NOT NULL DEFAULT (datetime('now'))
);
CREATE INDEX IF NOT EXISTS articles_published ON articles(published);
CREATE TABLE IF NOT EXISTS sentences (
    article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    paragraph INTEGER NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (article_id, idx)
);
CREATE TABLE IF NOT EXISTS mentions (
    article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    label TEXT NOT NULL,
    text TEXT NOT NULL,
    norm TEXT NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    sentence INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS mentions_norm ON mentions(norm);
CREATE INDEX IF NOT EXISTS mentions_article ON mentions(article_id);
CREATE TABLE IF NOT EXISTS places (
    article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    country TEXT NOT NULL,
    lat REAL,
    lon REAL,
    sentence INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS places_name ON places(name);
CREATE INDEX IF NOT EXISTS places_article ON places(article_id);
CREATE TABLE IF NOT EXISTS stories (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL DEFAULT '',
    first_published TEXT NOT NULL DEFAULT '',
    last_published TEXT NOT NULL DEFAULT '',
    n_articles INTEGER NOT NULL DEFAULT 0,
    n_independent INTEGER NOT NULL DEFAULT 0,
    dirty INTEGER NOT NULL DEFAULT 1,
    data TEXT NOT NULL,
    updated_at TEXT NOT NULL DEFAULT (datetime('now'))
);
CREATE TABLE IF NOT EXISTS story_articles (
    article_id TEXT PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    story_id TEXT NOT NULL,
    score REAL NOT NULL,
    evidence TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS story_articles_story ON story_articles(story_id);
CREATE TABLE IF NOT EXISTS facts (
    id TEXT NOT NULL,
    story_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    text TEXT NOT NULL,
    status TEXT NOT NULL,
    independent_sources INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (story_id, id)
);
CREATE TABLE IF NOT EXISTS state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cluster_stories (
    position INTEGER PRIMARY KEY,
    state TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS ingest_errors (
    origin TEXT NOT NULL,
    problem TEXT NOT NULL,
    at TEXT NOT NULL DEFAULT (datetime('now'))
);
CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5(
    title, text, content='articles', content_rowid='rowid', tokenize='porter unicode61'
);
CREATE VIRTUAL TABLE IF NOT EXISTS facts_fts USING fts5(
    text, story_id UNINDEXED, fact_id UNINDEXED, tokenize='porter unicode61'
);
"""


class Store:
    """The newsloom database.

    Example:
        >>> store = Store(":memory:")
        >>> store.count_articles()
        0
    """

    def __init__(self, path: str | Path = "newsloom.db") -> None:
        self.path = str(path)
        try:
            self.conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=WAIT_NOTICE_S
            )
            self.conn.row_factory = sqlite3.Row
            self.conn.execute("PRAGMA foreign_keys = ON")
            if self.path != ":memory:":
                self.conn.execute("PRAGMA journal_mode = WAL")
            self._depth = 0
            if self._schema_version() == SCHEMA_VERSION:
                return  # nothing to create: no need to wait for the writer lock
            with self.transaction():
                for statement in SCHEMA.split(";\n"):
                    if statement.strip():
                        self.conn.execute(statement)
                self.conn.execute(
                    "INSERT OR IGNORE INTO state(key, value) VALUES ('schema_version', ?)",
                    (json.dumps(SCHEMA_VERSION),),
                )
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot open database ({exc})") from exc

    def _schema_version(self) -> int | None:
        try:
            row = self.conn.execute(
                "SELECT value FROM state WHERE key = 'schema_version'"
            ).fetchone()
        except sqlite3.OperationalError:  # no state table yet
            return None
        return None if row is None else int(json.loads(row[0]))

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside commit together or not at all (nests: the outermost wins).

        The outermost level holds the database's writer lock: one writer at a time
        across processes (other ingests, `watch`, the web app's uploads wait their turn)."""
        if self._depth == 0:
            self._begin_write()
        self._depth += 1
        try:
            yield
        except BaseException:
            self._depth -= 1
            if self._depth == 0:
                self.conn.execute("ROLLBACK")
            raise
        self._depth -= 1
        if self._depth == 0:
            self.conn.execute("COMMIT")

    def _begin_write(self) -> None:
        """BEGIN IMMEDIATE (the writer lock), saying once on stderr when it has to wait."""
        told = False
        while True:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
            if not told:
                print(
                    f"newsloom: another process is writing to {self.path}; waiting",
                    file=sys.stderr,
                )
                told = True
            time.sleep(0.05)

    # -- articles ---------------------------------------------------------

    def has_article(self, article_id: str) -> bool:
        row = self.conn.execute("SELECT 1 FROM articles WHERE id = ?", (article_id,)).fetchone()
        return row is not None

    def add_articles(self, articles: Iterable[Article]) -> list[str]:
        """Insert articles not yet stored; return the ids that were new."""
        new: list[str] = []
        with self.transaction():
            for art in articles:
                if self.has_article(art.id):
                    continue
                cur = self.conn.execute(
                    "INSERT INTO articles(id, source, url, title, published, origin, text, data)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        art.id,
                        art.source,
                        art.url,
                        art.title,
                        art.published,
                        art.origin,
                        art.text,
                        json.dumps(art.to_dict(), ensure_ascii=False),
                    ),
                )
                self.conn.execute(
                    "INSERT INTO articles_fts(rowid, title, text) VALUES (?, ?, ?)",
                    (cur.lastrowid, art.title, art.text),
                )
                self.conn.executemany(
                    "INSERT INTO sentences VALUES (?, ?, ?, ?, ?, ?)",
                    [(art.id, s.index, s.paragraph, s.start, s.end, s.text) for s in art.sentences],
                )
                self.conn.executemany(
                    "INSERT INTO mentions VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [
                        (art.id, m.label, m.text, m.norm or m.text, m.start, m.end, m.sentence)
                        for m in art.mentions
                    ],
                )
                self.conn.executemany(
                    "INSERT INTO places VALUES (?, ?, ?, ?, ?, ?)",
                    [(art.id, p.name, p.country, p.lat, p.lon, p.sentence) for p in art.places],
                )
                new.append(art.id)
        return new

    def update_article(self, art: Article) -> None:
        """Rewrite an article's extracted data after a story-level refinement."""
        with self.transaction():
            self.conn.execute(
                "UPDATE articles SET data = ? WHERE id = ?",
                (json.dumps(art.to_dict(), ensure_ascii=False), art.id),
            )
            self.conn.execute("DELETE FROM places WHERE article_id = ?", (art.id,))
            self.conn.executemany(
                "INSERT INTO places VALUES (?, ?, ?, ?, ?, ?)",
                [(art.id, p.name, p.country, p.lat, p.lon, p.sentence) for p in art.places],
            )

    def get_article(self, article_id: str) -> Article:
        row = self.conn.execute("SELECT data FROM articles WHERE id = ?", (article_id,)).fetchone()
        if row is None:
            raise NotFound(f"no article with id {article_id!r}")
        return Article.from_dict(json.loads(row["data"]))

    def get_articles(self, ids: Iterable[str]) -> list[Article]:
        return [self.get_article(i) for i in ids]

    def count_articles(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM articles").fetchone()[0])

    def record_error(self, origin: str, problem: str) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO ingest_errors(origin, problem) VALUES (?, ?)", (origin, problem)
            )

    # -- stories ----------------------------------------------------------

    def save_stories(self, stories: Iterable[Story]) -> None:
        """Upsert stories and their article links; marks them dirty (facts to redo)."""
        with self.transaction():
            for story in stories:
                dates = sorted(
                    d
                    for (d,) in self.conn.execute(
                        "SELECT published FROM articles WHERE published != ''"
                        " AND id IN (SELECT value FROM json_each(?))",
                        (json.dumps(story.article_ids),),
                    )
                )
                self.conn.execute(
                    "INSERT INTO stories(id, title, first_published, last_published, n_articles,"
                    " dirty, data, updated_at) VALUES (?, ?, ?, ?, ?, 1, ?, datetime('now'))"
                    " ON CONFLICT(id) DO UPDATE SET title=excluded.title,"
                    " first_published=excluded.first_published,"
                    " last_published=excluded.last_published, n_articles=excluded.n_articles,"
                    " dirty=1, data=excluded.data, updated_at=excluded.updated_at",
                    (
                        story.id,
                        story.title,
                        dates[0] if dates else "",
                        dates[-1] if dates else "",
                        len(story.article_ids),
                        json.dumps(story.to_dict(), ensure_ascii=False),
                    ),
                )
                for link in story.links:
                    self.conn.execute(
                        "INSERT INTO story_articles VALUES (?, ?, ?, ?) ON CONFLICT(article_id)"
                        " DO UPDATE SET story_id=excluded.story_id, score=excluded.score,"
                        " evidence=excluded.evidence",
                        (
                            link.article_id,
                            story.id,
                            link.score,
                            json.dumps(link.evidence, ensure_ascii=False),
                        ),
                    )
            # Stories absorbed by a merge disappear from the listing.
            for story in stories:
                for old in story.merged_from:
                    self.conn.execute("DELETE FROM stories WHERE id = ?", (old,))
                    self.conn.execute("DELETE FROM facts WHERE story_id = ?", (old,))

    def get_story(self, story_id: str) -> Story:
        row = self.conn.execute("SELECT data FROM stories WHERE id = ?", (story_id,)).fetchone()
        if row is None:
            raise NotFound(f"no story with id {story_id!r}")
        return Story.from_dict(json.loads(row["data"]))

    def story_rows(
        self, *, limit: int = 50, offset: int = 0, order: str = "recent"
    ) -> list[dict[str, Any]]:
        """Story summaries for listings, newest (or biggest) first."""
        order_by = {
            "recent": "last_published DESC, n_articles DESC",
            "size": "n_articles DESC, last_published DESC",
        }[order]
        rows = self.conn.execute(
            "SELECT id, title, first_published, last_published, n_articles, n_independent"
            f" FROM stories ORDER BY {order_by}, id LIMIT ? OFFSET ?",
            (limit, offset),
        ).fetchall()
        return [dict(r) for r in rows]

    def dirty_story_ids(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT id FROM stories WHERE dirty = 1")]

    def story_of(self, article_id: str) -> str | None:
        row = self.conn.execute(
            "SELECT story_id FROM story_articles WHERE article_id = ?", (article_id,)
        ).fetchone()
        return None if row is None else str(row[0])

    # -- facts ------------------------------------------------------------

    def save_facts(self, story_id: str, facts: list[Fact], n_independent: int) -> None:
        """Replace a story's facts and clear its dirty flag, in one transaction."""
        with self.transaction():
            self.conn.execute("DELETE FROM facts WHERE story_id = ?", (story_id,))
            self.conn.execute("DELETE FROM facts_fts WHERE story_id = ?", (story_id,))
            for pos, fact in enumerate(facts):
                self.conn.execute(
                    "INSERT OR REPLACE INTO facts VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        fact.id,
                        story_id,
                        pos,
                        fact.text,
                        fact.status,
                        fact.independent_sources,
                        json.dumps(fact.to_dict(), ensure_ascii=False),
                    ),
                )
                self.conn.execute(
                    "INSERT INTO facts_fts(text, story_id, fact_id) VALUES (?, ?, ?)",
                    (fact.text, story_id, fact.id),
                )
            self.conn.execute(
                "UPDATE stories SET dirty = 0, n_independent = ? WHERE id = ?",
                (n_independent, story_id),
            )

    def get_facts(self, story_id: str) -> list[Fact]:
        rows = self.conn.execute(
            "SELECT data FROM facts WHERE story_id = ? ORDER BY position", (story_id,)
        )
        return [Fact.from_dict(json.loads(r[0])) for r in rows]

    # -- state ------------------------------------------------------------

    def load_state(self, key: str) -> Any:
        row = self.conn.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return None if row is None else json.loads(row[0])

    def save_state(self, key: str, value: Any) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO state(key, value) VALUES (?, ?)"
                " ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                (key, json.dumps(value)),
            )

    def save_cluster_stories(self, states: Iterable[tuple[int, Any]]) -> None:
        """Upsert the story index's per-story states (see `StoryIndex.state_delta`)."""
        with self.transaction():
            self.conn.executemany(
                "INSERT INTO cluster_stories(position, state) VALUES (?, ?)"
                " ON CONFLICT(position) DO UPDATE SET state=excluded.state",
                ((pos, json.dumps(state)) for pos, state in states),
            )

    def cluster_stories(self) -> list[Any]:
        """Every per-story state of the story index, in position order."""
        rows = self.conn.execute("SELECT state FROM cluster_stories ORDER BY position")
        return [json.loads(r[0]) for r in rows]

    # -- search -----------------------------------------------------------

    def search(self, query: str, limit: int = 50) -> list[dict[str, Any]]:
        """Full-text search over articles and facts (FTS5, bm25 ranking), with story ids."""
        fts_query = _fts_query(query)
        if not fts_query:
            return []
        hits: list[dict[str, Any]] = []
        for row in self.conn.execute(
            "SELECT a.id, a.title, a.source, a.published, sa.story_id,"
            " snippet(articles_fts, 1, '[', ']', '…', 12) AS snippet, bm25(articles_fts) AS rank"
            " FROM articles_fts JOIN articles a ON a.rowid = articles_fts.rowid"
            " LEFT JOIN story_articles sa ON sa.article_id = a.id"
            " WHERE articles_fts MATCH ? ORDER BY rank LIMIT ?",
            (fts_query, limit),
        ):
            hits.append({"kind": "article", **dict(row)})
        for row in self.conn.execute(
            "SELECT fact_id AS id, text AS title, story_id,"
            " snippet(facts_fts, 0, '[', ']', '…', 12) AS snippet, bm25(facts_fts) AS rank"
            " FROM facts_fts WHERE facts_fts MATCH ? ORDER BY rank LIMIT ?",
            (fts_query, limit),
        ):
            hits.append({"kind": "fact", **dict(row)})
        return hits


def _fts_query(query: str) -> str:
    """Quote each word so user input can never be read as FTS5 syntax."""
    words = [w for w in query.replace('"', " ").split() if w]
    return " ".join(f'"{w}"' for w in words)
