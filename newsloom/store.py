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
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from newsloom import history
from newsloom.errors import NotFound, StoreError
from newsloom.models import Article, Fact, Story

SCHEMA_VERSION = 1

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
-- ---- fuse: incremental story state (owned by fuse, see newsloom/storystate.py) ----------
-- One header per story (`token` changes on every save, so a process that cached the state
-- can tell it is stale), one row per article (its statements for fusion and its copy
-- signature) and one row per fact under construction. Written incrementally: only new
-- articles and changed facts.
CREATE TABLE IF NOT EXISTS fuse_stories (
    story_id TEXT PRIMARY KEY,
    token TEXT NOT NULL,
    header TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS fuse_articles (
    story_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    article_id TEXT NOT NULL,
    facts TEXT NOT NULL,
    copies TEXT NOT NULL,
    PRIMARY KEY (story_id, position)
);
CREATE TABLE IF NOT EXISTS fuse_groups (
    story_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    state TEXT NOT NULL,
    PRIMARY KEY (story_id, position)
);
-- ---- end of fuse ---------------------------------------------------------------------------
-- == storylines (cluster; #10) ========================================================
-- A storyline links the stories (events) of one developing situation. `state` is the
-- storyline index's own record of the storyline (StorylineIndex), `position` its slot;
-- `story_storylines` maps each story to its storyline for listings.
CREATE TABLE IF NOT EXISTS storylines (
    position INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL DEFAULT '',
    first_day TEXT NOT NULL DEFAULT '',
    last_day TEXT NOT NULL DEFAULT '',
    n_stories INTEGER NOT NULL DEFAULT 0,
    alive INTEGER NOT NULL DEFAULT 1,
    state TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS storylines_last ON storylines(alive, last_day);
CREATE TABLE IF NOT EXISTS story_storylines (
    story_id TEXT PRIMARY KEY,
    storyline_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS story_storylines_line ON story_storylines(storyline_id);
-- == end storylines ====================================================================
CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5(
    title, text, content='articles', content_rowid='rowid', tokenize='porter unicode61'
);
CREATE VIRTUAL TABLE IF NOT EXISTS facts_fts USING fts5(
    text, story_id UNINDEXED, fact_id UNINDEXED, tokenize='porter unicode61'
);
"""

# -- feeds, exports and alerts (#16; feeds helper) ------------------------------
# fact_lineage: each current fact followed across recomputations (newsloom/history.py),
# with when it was first seen and last changed; fact_events: what changed, when (the
# story feeds and alerts read it); alert_*: alert subscriptions, the stories each has
# announced and the delivery outbox. The views give people readable names for sqlite3
# and datasette (docs/sqlite.md).
FEEDS_SCHEMA = """
CREATE TABLE IF NOT EXISTS fact_lineage (
    story_id TEXT NOT NULL,
    lineage TEXT NOT NULL,
    fact_id TEXT NOT NULL,
    status TEXT NOT NULL,
    figures TEXT NOT NULL,
    citations TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    PRIMARY KEY (story_id, lineage)
);
CREATE TABLE IF NOT EXISTS fact_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    story_id TEXT NOT NULL,
    lineage TEXT NOT NULL,
    fact_id TEXT NOT NULL,
    change TEXT NOT NULL,
    status TEXT NOT NULL,
    previous_status TEXT NOT NULL,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    fact TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS fact_events_story ON fact_events(story_id, seq);
CREATE TABLE IF NOT EXISTS alert_rules (
    query TEXT PRIMARY KEY,
    event_cursor INTEGER NOT NULL,
    article_cursor INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS alert_stories (
    query TEXT NOT NULL,
    story_id TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (query, story_id)
);
CREATE TABLE IF NOT EXISTS alert_outbox (
    key TEXT PRIMARY KEY,
    event TEXT NOT NULL,
    target TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    delivered_at TEXT
);
CREATE INDEX IF NOT EXISTS alert_outbox_pending ON alert_outbox(delivered_at, target);
CREATE VIEW IF NOT EXISTS story_overview AS
SELECT s.id AS story_id, s.title, s.first_published, s.last_published, s.n_articles,
    s.n_independent AS n_independent_articles,
    (SELECT count(*) FROM facts f WHERE f.story_id = s.id) AS n_facts,
    (SELECT count(*) FROM facts f WHERE f.story_id = s.id AND f.status = 'corroborated')
        AS n_corroborated,
    (SELECT count(*) FROM facts f WHERE f.story_id = s.id AND f.status = 'conflict')
        AS n_conflicts,
    s.updated_at
FROM stories s;
CREATE VIEW IF NOT EXISTS story_facts AS
SELECT f.story_id, s.title AS story_title, f.position, f.id AS fact_id, f.status,
    f.independent_sources,
    (SELECT group_concat(j.value, '; ') FROM json_each(f.data, '$.sources') j) AS sources,
    json_extract(f.data, '$.origin') AS origin, json_extract(f.data, '$.date') AS date, f.text,
    l.first_seen, l.changed_at AS last_changed
FROM facts f JOIN stories s ON s.id = f.story_id
LEFT JOIN fact_lineage l ON l.story_id = f.story_id AND l.fact_id = f.id;
CREATE VIEW IF NOT EXISTS fact_citations AS
SELECT f.story_id, f.id AS fact_id, json_extract(c.value, '$.article_id') AS article_id,
    json_extract(c.value, '$.sentence') AS sentence, json_extract(c.value, '$.source') AS source,
    a.url, json_extract(c.value, '$.text') AS text
FROM facts f JOIN json_each(f.data, '$.citations') c
LEFT JOIN articles a ON a.id = json_extract(c.value, '$.article_id');
CREATE VIEW IF NOT EXISTS story_article_list AS
SELECT sa.story_id, s.title AS story_title, a.id AS article_id, a.source, a.title, a.published,
    a.url, sa.score AS link_score, a.added_at
FROM story_articles sa JOIN articles a ON a.id = sa.article_id
LEFT JOIN stories s ON s.id = sa.story_id;
CREATE VIEW IF NOT EXISTS article_places AS
SELECT p.article_id, a.title AS article_title, a.source, a.published, sa.story_id,
    p.name AS place, p.country, p.lat, p.lon, p.sentence
FROM places p JOIN articles a ON a.id = p.article_id
LEFT JOIN story_articles sa ON sa.article_id = p.article_id;
CREATE VIEW IF NOT EXISTS story_places AS
SELECT sa.story_id, p.name AS place, p.country, p.lat, p.lon, count(*) AS mentions,
    count(DISTINCT a.source) AS n_sources
FROM places p JOIN story_articles sa ON sa.article_id = p.article_id
JOIN articles a ON a.id = p.article_id
GROUP BY sa.story_id, p.name, p.country, p.lat, p.lon;
CREATE VIEW IF NOT EXISTS article_entities AS
SELECT m.article_id, a.source, sa.story_id, m.label, m.norm AS name, m.text AS as_written,
    m.sentence
FROM mentions m JOIN articles a ON a.id = m.article_id
LEFT JOIN story_articles sa ON sa.article_id = m.article_id;
CREATE VIEW IF NOT EXISTS story_updates AS
SELECT e.seq, e.story_id, s.title AS story_title, e.kind, e.change, e.status,
    e.previous_status, e.fact_id, e.text, e.at
FROM fact_events e LEFT JOIN stories s ON s.id = e.story_id;
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
            self.conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self.conn.row_factory = sqlite3.Row
            self.conn.execute("PRAGMA foreign_keys = ON")
            if self.path != ":memory:":
                self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.executescript(SCHEMA)
            self.conn.executescript(FEEDS_SCHEMA)
            self.conn.execute(
                "INSERT OR IGNORE INTO state(key, value) VALUES ('schema_version', ?)",
                (json.dumps(SCHEMA_VERSION),),
            )
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot open database ({exc})") from exc
        self._depth = 0

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside commit together or not at all (nests: the outermost wins)."""
        if self._depth == 0:
            self.conn.execute("BEGIN IMMEDIATE")
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
                    [
                        (art.id, p.name, p.country, p.lat, p.lon, p.sentence)
                        for p in art.places
                        if p.form != "embedded"  # "The Washington Post" names no place of the story
                    ],
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
                [
                    (art.id, p.name, p.country, p.lat, p.lon, p.sentence)
                    for p in art.places
                    if p.form != "embedded"  # "The Washington Post" names no place of the story
                ],
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
                    self._move_fact_history(old, story.id)

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
            self._record_fact_history(story_id, facts)

    def get_facts(self, story_id: str) -> list[Fact]:
        rows = self.conn.execute(
            "SELECT data FROM facts WHERE story_id = ? ORDER BY position", (story_id,)
        )
        return [Fact.from_dict(json.loads(r[0])) for r in rows]

    def save_fact_changes(
        self,
        story_id: str,
        upserts: list[tuple[Fact, int]],
        removed: Iterable[str],
        n_independent: int,
    ) -> None:
        """Write only the facts that changed (with their sort keys as positions), drop the
        removed ones, and clear the story's dirty flag (fuse's incremental path)."""
        with self.transaction():
            for fact_id in removed:
                self.conn.execute(
                    "DELETE FROM facts WHERE story_id = ? AND id = ?", (story_id, fact_id)
                )
                self.conn.execute(
                    "DELETE FROM facts_fts WHERE story_id = ? AND fact_id = ?", (story_id, fact_id)
                )
            for fact, position in upserts:
                self.conn.execute(
                    "INSERT INTO facts VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(story_id, id)"
                    " DO UPDATE SET position=excluded.position, text=excluded.text,"
                    " status=excluded.status, independent_sources=excluded.independent_sources,"
                    " data=excluded.data",
                    (
                        fact.id,
                        story_id,
                        position,
                        fact.text,
                        fact.status,
                        fact.independent_sources,
                        json.dumps(fact.to_dict(), ensure_ascii=False),
                    ),
                )
                self.conn.execute(
                    "DELETE FROM facts_fts WHERE story_id = ? AND fact_id = ?", (story_id, fact.id)
                )
                self.conn.execute(
                    "INSERT INTO facts_fts(text, story_id, fact_id) VALUES (?, ?, ?)",
                    (fact.text, story_id, fact.id),
                )
            self.conn.execute(
                "UPDATE stories SET dirty = 0, n_independent = ? WHERE id = ?",
                (n_independent, story_id),
            )
            self._record_fact_history(story_id, [fact for fact, _ in upserts])

    # -- fuse state (owned by fuse: newsloom/storystate.py) ---------------

    def fuse_token(self, story_id: str) -> str | None:
        row = self.conn.execute(
            "SELECT token FROM fuse_stories WHERE story_id = ?", (story_id,)
        ).fetchone()
        return None if row is None else str(row[0])

    def load_fuse_state(
        self, story_id: str
    ) -> tuple[str, Any, list[tuple[str, Any, Any]], list[Any]] | None:
        """(token, header, [(article id, facts row, copies row)], [group rows]) or None."""
        row = self.conn.execute(
            "SELECT token, header FROM fuse_stories WHERE story_id = ?", (story_id,)
        ).fetchone()
        if row is None:
            return None
        articles = [
            (r[0], json.loads(r[1]), json.loads(r[2]))
            for r in self.conn.execute(
                "SELECT article_id, facts, copies FROM fuse_articles WHERE story_id = ?"
                " ORDER BY position",
                (story_id,),
            )
        ]
        groups = [
            json.loads(r[0])
            for r in self.conn.execute(
                "SELECT state FROM fuse_groups WHERE story_id = ? ORDER BY position", (story_id,)
            )
        ]
        return str(row[0]), json.loads(row[1]), articles, groups

    def save_fuse_state(
        self,
        story_id: str,
        token: str,
        header: Any,
        articles: Iterable[tuple[int, str, Any, Any]],
        groups: Iterable[tuple[int, Any]],
    ) -> None:
        """Write a story's fusion header and its new article rows and changed group rows."""
        with self.transaction():
            self.conn.execute(
                "INSERT INTO fuse_stories VALUES (?, ?, ?) ON CONFLICT(story_id)"
                " DO UPDATE SET token=excluded.token, header=excluded.header",
                (story_id, token, json.dumps(header)),
            )
            self.conn.executemany(
                "INSERT OR REPLACE INTO fuse_articles VALUES (?, ?, ?, ?, ?)",
                (
                    (story_id, pos, aid, json.dumps(facts), json.dumps(copies))
                    for pos, aid, facts, copies in articles
                ),
            )
            self.conn.executemany(
                "INSERT OR REPLACE INTO fuse_groups VALUES (?, ?, ?)",
                ((story_id, pos, json.dumps(state)) for pos, state in groups),
            )

    def delete_fuse_state(self, story_id: str) -> None:
        with self.transaction():
            for table in ("fuse_stories", "fuse_articles", "fuse_groups"):
                self.conn.execute(f"DELETE FROM {table} WHERE story_id = ?", (story_id,))

    # -- state ------------------------------------------------------------

    def load_state(self, key: str) -> Any:
        row = self.conn.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return None if row is None else json.loads(row[0])

    def save_state(self, key: str, value: Any) -> None:
        self.conn.execute(
            "INSERT INTO state(key, value) VALUES (?, ?)"
            " ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            (key, json.dumps(value)),
        )

    def save_cluster_stories(self, states: Iterable[tuple[int, Any]]) -> None:
        """Upsert the story index's per-story states (see `StoryIndex.state_delta`)."""
        self.conn.executemany(
            "INSERT INTO cluster_stories(position, state) VALUES (?, ?)"
            " ON CONFLICT(position) DO UPDATE SET state=excluded.state",
            ((pos, json.dumps(state)) for pos, state in states),
        )

    def cluster_stories(self) -> list[Any]:
        """Every per-story state of the story index, in position order."""
        rows = self.conn.execute("SELECT state FROM cluster_stories ORDER BY position")
        return [json.loads(r[0]) for r in rows]

    # -- storylines (cluster) ---------------------------------------------

    def save_storylines(self, rows: Iterable[tuple[int, Any, Any]]) -> None:
        """Upsert the storyline index's changed storylines (`StorylineIndex.delta`):
        (position, state, summary with id, title, story_ids, first_day, last_day, alive)."""
        for pos, state, line in rows:
            self.conn.execute(
                "INSERT INTO storylines(position, id, title, first_day, last_day, n_stories,"
                " alive, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(position) DO UPDATE"
                " SET title=excluded.title, first_day=excluded.first_day,"
                " last_day=excluded.last_day, n_stories=excluded.n_stories,"
                " alive=excluded.alive, state=excluded.state",
                (
                    pos,
                    line.id,
                    line.title,
                    line.first,
                    line.last,
                    len(line.story_ids),
                    int(line.alive),
                    json.dumps(state),
                ),
            )
            self.conn.executemany(
                "INSERT INTO story_storylines VALUES (?, ?) ON CONFLICT(story_id)"
                " DO UPDATE SET storyline_id=excluded.storyline_id",
                [(sid, line.id) for sid in line.story_ids],
            )

    def storyline_states(self) -> list[Any]:
        """Every storyline state of the storyline index, in position order."""
        rows = self.conn.execute("SELECT state FROM storylines ORDER BY position")
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

    # -- feeds, exports and alerts (#16; feeds helper) ----------------------

    def _record_fact_history(self, story_id: str, facts: list[Fact]) -> None:
        """Follow the facts just written across their recomputation and log what changed.

        Call inside the transaction that wrote them, after writing them: `facts` are all
        the story's facts, or only the changed ones of an incremental save (a fact whose
        id changed then has its old id removed in the same save). The lineages compared
        are those of these ids and those whose fact is gone; lineages left unmatched are
        dropped, except when the story has no facts at all (the reset before a rebuild:
        the rebuilt facts continue them)."""
        if (
            not facts
            and not self.conn.execute(
                "SELECT 1 FROM facts WHERE story_id = ? LIMIT 1", (story_id,)
            ).fetchone()
        ):
            return
        gone = (
            "NOT EXISTS (SELECT 1 FROM facts f WHERE f.story_id = l.story_id AND f.id = l.fact_id)"
        )
        rows = self.conn.execute(
            "SELECT * FROM fact_lineage l WHERE story_id = ?"
            f" AND (fact_id IN (SELECT value FROM json_each(?)) OR {gone})",
            (story_id, json.dumps([f.id for f in facts])),
        ).fetchall()
        previous = [
            history.Lineage(
                r["lineage"],
                r["fact_id"],
                r["status"],
                json.loads(r["figures"]),
                json.loads(r["citations"]),
                r["first_seen"],
                r["changed_at"],
            )
            for r in rows
        ]
        at = history.now()
        lineages, events = history.diff(previous, facts, at)
        # Only what changed is written: most facts of a recomputed story are as they were.
        before = {x.lineage: x for x in previous}
        kept = {x.lineage for x in lineages}
        self.conn.execute(
            "DELETE FROM fact_lineage WHERE story_id = ?"
            " AND lineage IN (SELECT value FROM json_each(?))",
            (story_id, json.dumps([name for name in before if name not in kept])),
        )
        self.conn.executemany(
            "INSERT OR REPLACE INTO fact_lineage VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    story_id,
                    x.lineage,
                    x.fact_id,
                    x.status,
                    json.dumps(x.figures),
                    json.dumps(x.citations),
                    x.first_seen,
                    x.changed_at,
                )
                for x in lineages
                if before.get(x.lineage) != x
            ],
        )
        self.conn.executemany(
            "INSERT INTO fact_events(story_id, lineage, fact_id, change, status,"
            " previous_status, kind, text, fact, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    story_id,
                    e.lineage,
                    e.fact_id,
                    e.change,
                    e.status,
                    e.previous_status,
                    e.kind,
                    e.text,
                    json.dumps(e.fact, ensure_ascii=False),
                    at,
                )
                for e in events
            ],
        )

    def _move_fact_history(self, old: str, new: str) -> None:
        """A merged story's facts continue in the story that absorbed it."""
        self.conn.execute(
            "UPDATE OR IGNORE fact_lineage SET story_id = ? WHERE story_id = ?", (new, old)
        )
        self.conn.execute("DELETE FROM fact_lineage WHERE story_id = ?", (old,))

    def fact_times(self, story_id: str) -> dict[str, tuple[str, str]]:
        """Fact id -> (first seen, last changed) for the story's current facts."""
        rows = self.conn.execute(
            "SELECT fact_id, first_seen, changed_at FROM fact_lineage WHERE story_id = ?",
            (story_id,),
        )
        return {r[0]: (r[1], r[2]) for r in rows}

    def fact_events(
        self,
        story_ids: Iterable[str] | None = None,
        *,
        kinds: Iterable[str] = history.ANNOUNCED,
        after: int = 0,
        upto: int | None = None,
        limit: int | None = 100,
        newest_first: bool = True,
    ) -> list[dict[str, Any]]:
        """Fact events of these stories (all stories with None) of these kinds, with
        sequence numbers in (`after`, `upto`], newest first unless told otherwise."""
        where = ["seq > ?", "kind IN (SELECT value FROM json_each(?))"]
        args: list[Any] = [after]
        args.append(json.dumps(list(kinds)))
        if upto is not None:
            where.append("seq <= ?")
            args.append(upto)
        if story_ids is not None:
            where.append("story_id IN (SELECT value FROM json_each(?))")
            args.append(json.dumps(list(story_ids)))
        # `current_fact_id`: the fact's id now (ids change as facts gain sources), "" if gone.
        rows = self.conn.execute(
            "SELECT e.*, coalesce(l.fact_id, '') AS current_fact_id FROM fact_events e"
            " LEFT JOIN fact_lineage l ON l.story_id = e.story_id AND l.lineage = e.lineage"
            f" WHERE {' AND '.join('e.' + w for w in where)}"
            f" ORDER BY e.seq {'DESC' if newest_first else 'ASC'} LIMIT ?",
            (*args, -1 if limit is None else limit),
        )
        return [{**dict(r), "fact": json.loads(r["fact"])} for r in rows]

    def last_fact_event(self) -> int:
        return int(self.conn.execute("SELECT coalesce(max(seq), 0) FROM fact_events").fetchone()[0])

    def story_summaries(self, story_ids: Iterable[str]) -> list[dict[str, Any]]:
        """Listing rows for these stories, in the order given (unknown ids skipped), with
        `first_seen` (when its first article was stored), `updated_at` and `sources`."""
        out = []
        for sid in story_ids:
            row = self.conn.execute(
                "SELECT id, title, first_published, last_published, n_articles, n_independent,"
                " updated_at, data,"
                " (SELECT min(a.added_at) FROM story_articles sa JOIN articles a"
                "  ON a.id = sa.article_id WHERE sa.story_id = stories.id) AS first_seen"
                " FROM stories WHERE id = ?",
                (sid,),
            ).fetchone()
            if row is None:
                continue
            item = dict(row)
            data = json.loads(item.pop("data"))
            item["storyline"] = data.get("storyline") or ""
            item["merged_from"] = data.get("merged_from", [])
            item["first_seen"] = item["first_seen"] or item["updated_at"]
            item["sources"] = [
                r[0]
                for r in self.conn.execute(
                    "SELECT DISTINCT a.source FROM story_articles sa JOIN articles a"
                    " ON a.id = sa.article_id WHERE sa.story_id = ? AND a.source != ''"
                    " ORDER BY a.source",
                    (sid,),
                )
            ]
            out.append(item)
        return out

    def recent_story_ids(self, limit: int = 50) -> list[str]:
        """Stories by their last change, newest first (what a feed of new stories lists)."""
        rows = self.conn.execute(
            "SELECT id FROM stories ORDER BY updated_at DESC, last_published DESC, id LIMIT ?",
            (limit,),
        )
        return [r[0] for r in rows]

    def storyline_story_ids(self, storyline_id: str) -> list[str]:
        """The stories of a storyline (`Story.storyline`), oldest first."""
        rows = self.conn.execute(
            "SELECT id FROM stories WHERE json_extract(data, '$.storyline') = ?"
            " ORDER BY first_published, id",
            (storyline_id,),
        )
        return [r[0] for r in rows]

    def story_ids_matching(
        self,
        query: str,
        limit: int | None = 200,
        order: str = "rank",
        within: Iterable[str] | None = None,
    ) -> list[str]:
        """Stories with an article or a fact matching `query` (only among `within` when
        given), best match first, or with order="recent" the most recently changed first."""
        fts_query = _fts_query(query)
        if not fts_query:
            return []
        order_by = {"rank": "best, s.id", "recent": "s.updated_at DESC, best, s.id"}[order]
        among = "" if within is None else " AND s.id IN (SELECT value FROM json_each(?))"
        rows = self.conn.execute(
            "SELECT story_id, min(rank) AS best FROM ("
            " SELECT sa.story_id, bm25(articles_fts) AS rank FROM articles_fts"
            " JOIN articles a ON a.rowid = articles_fts.rowid"
            " JOIN story_articles sa ON sa.article_id = a.id WHERE articles_fts MATCH ?"
            " UNION ALL SELECT story_id, bm25(facts_fts) AS rank FROM facts_fts"
            " WHERE facts_fts MATCH ?) hits JOIN stories s ON s.id = hits.story_id"
            f" WHERE 1{among} GROUP BY story_id ORDER BY {order_by} LIMIT ?",
            (
                fts_query,
                fts_query,
                *([] if within is None else [json.dumps(list(within))]),
                -1 if limit is None else limit,
            ),
        )
        return [r[0] for r in rows]

    def last_article_seq(self) -> int:
        """The newest article's insertion number (alerts remember where they stopped)."""
        return int(self.conn.execute("SELECT coalesce(max(rowid), 0) FROM articles").fetchone()[0])

    def stories_of_articles_after(self, seq: int) -> list[str]:
        """Stories holding an article stored after insertion number `seq`."""
        rows = self.conn.execute(
            "SELECT DISTINCT sa.story_id FROM articles a JOIN story_articles sa"
            " ON sa.article_id = a.id WHERE a.rowid > ? ORDER BY sa.story_id",
            (seq,),
        )
        return [r[0] for r in rows]

    def alert_rule(self, query: str) -> dict[str, Any] | None:
        row = self.conn.execute("SELECT * FROM alert_rules WHERE query = ?", (query,)).fetchone()
        return None if row is None else dict(row)

    def save_alert_rule(self, query: str, event_cursor: int, article_cursor: int) -> None:
        self.conn.execute(
            "INSERT INTO alert_rules VALUES (?, ?, ?, ?) ON CONFLICT(query) DO UPDATE SET"
            " event_cursor=excluded.event_cursor, article_cursor=excluded.article_cursor",
            (query, event_cursor, article_cursor, history.now()),
        )

    def alert_announced(self, query: str) -> set[str]:
        rows = self.conn.execute("SELECT story_id FROM alert_stories WHERE query = ?", (query,))
        return {r[0] for r in rows}

    def mark_announced(self, query: str, story_ids: Iterable[str]) -> None:
        at = history.now()
        self.conn.executemany(
            "INSERT OR IGNORE INTO alert_stories VALUES (?, ?, ?)",
            [(query, sid, at) for sid in story_ids],
        )

    def add_alerts(self, rows: Iterable[tuple[str, str, str, str]]) -> list[str]:
        """Queue (key, event, target, payload) deliveries; a key already queued is kept
        as it is, so an event is queued once. Returns the keys that were new."""
        new = []
        at = history.now()
        for key, event, target, payload in rows:
            cur = self.conn.execute(
                "INSERT OR IGNORE INTO alert_outbox(key, event, target, payload, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (key, event, target, payload, at),
            )
            if cur.rowcount:
                new.append(key)
        return new

    def pending_alerts(self, targets: Iterable[str]) -> list[str]:
        """Keys of undelivered alerts to these targets, oldest first."""
        rows = self.conn.execute(
            "SELECT key FROM alert_outbox WHERE delivered_at IS NULL"
            " AND target IN (SELECT value FROM json_each(?)) ORDER BY created_at, rowid",
            (json.dumps(list(targets)),),
        )
        return [r[0] for r in rows]

    def get_alert(self, key: str) -> dict[str, Any]:
        row = self.conn.execute("SELECT * FROM alert_outbox WHERE key = ?", (key,)).fetchone()
        if row is None:
            raise NotFound(f"no alert with key {key!r}")
        return dict(row)

    def mark_alert(self, key: str, *, delivered: bool, error: str = "") -> None:
        """Count a delivery attempt; a delivered alert is never sent again."""
        self.conn.execute(
            "UPDATE alert_outbox SET attempts = attempts + 1, last_error = ?,"
            " delivered_at = CASE WHEN ? THEN ? ELSE delivered_at END WHERE key = ?",
            (error, delivered, history.now(), key),
        )


def _fts_query(query: str) -> str:
    """Quote each word so user input can never be read as FTS5 syntax."""
    words = [w for w in query.replace('"', " ").split() if w]
    return " ".join(f'"{w}"' for w in words)
