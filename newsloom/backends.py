"""Database backends: SQLite (one file, the default) and PostgreSQL (a server).

Everything that differs between the two SQL dialects lives here: connecting, the
parameter style, the writer lock, column types in the schema, and full-text search
(FTS5 tables in SQLite, generated `tsvector` columns with GIN indexes in PostgreSQL).
The store and the web app write one portable SQL with `?` parameters; the PostgreSQL
connection translates it.
"""

from __future__ import annotations

import functools
import hashlib
import sqlite3
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, ClassVar, Protocol

from newsloom.errors import StoreError

WAIT_NOTICE_S = 1.0  # wait this long for the writer lock before saying so
PG_WRITER_LOCK = 0x6E6577736C6F6F6D  # "newsloom": the advisory lock key of the writer
PG_SCHEMES = ("postgresql://", "postgres://")


def is_postgres(target: str) -> bool:
    return target.startswith(PG_SCHEMES)


def say_waiting(target: str) -> None:
    print(f"newsloom: another process is writing to {target}; waiting", file=sys.stderr)


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    """What the store and the web app use of a connection (sqlite3's own API)."""

    def execute(self, sql: str, params: Sequence[Any] = ...) -> Cursor: ...
    def executemany(self, sql: str, seq: Iterable[Sequence[Any]]) -> Any: ...
    def close(self) -> None: ...


class Backend:
    """One open database; subclasses hold the dialect."""

    name = ""
    conn: Connection
    # Column types and defaults that the dialects spell differently (used by migrations).
    tokens: ClassVar[dict[str, str]] = {}
    errors: tuple[type[Exception], ...] = (sqlite3.Error,)  # what the driver raises

    def __init__(self, target: str) -> None:
        self.target = target

    def sql(self, sql: str) -> str:
        """`sql` with the dialect's spelling of `{real}`, `{now}`, `{seq}`…"""
        for token, value in self.tokens.items():
            sql = sql.replace("{" + token + "}", value)
        return sql

    def json_text(self, column: str, key: str) -> str:
        """SQL for the text of `key` in the JSON object stored in `column`."""
        raise NotImplementedError

    def json_list_has(self, column: str, key: str) -> str:
        """SQL that is true when the list at `key` in `column`'s JSON holds the string
        given as the one `?` parameter."""
        raise NotImplementedError

    def begin_write(self, on_wait: Callable[[str], None] = say_waiting) -> None:
        """Start a transaction holding the database's writer lock (one writer at a time
        across processes and machines)."""
        raise NotImplementedError

    def commit(self) -> None:
        self.conn.execute("COMMIT")

    def rollback(self) -> None:
        self.conn.execute("ROLLBACK")

    def has_table(self, name: str) -> bool:
        raise NotImplementedError

    def index_article(self, article_id: str) -> None:
        """Add a stored article to full-text search."""

    def reindex_facts(self, story_id: str, fact_ids: Iterable[str]) -> None:
        """Bring these facts of a story in full-text search in line with `facts` (changed
        ones re-indexed, removed ones dropped), at a cost that does not grow with the index."""

    def search_articles(self, words: list[str], limit: int) -> list[Any]:
        raise NotImplementedError

    def search_facts(self, words: list[str], limit: int) -> list[Any]:
        raise NotImplementedError

    def search_stories(self, words: list[str]) -> tuple[str, list[Any]]:
        """A subquery of (story_id, rank) for stories with an article or a fact matching
        every word (lower rank is better), and its parameters."""
        raise NotImplementedError

    def close(self) -> None:
        self.conn.close()


class SQLite(Backend):
    """A file opened in WAL mode: readers never wait; `BEGIN IMMEDIATE` is the writer lock."""

    name = "sqlite"
    tokens: ClassVar[dict[str, str]] = {
        "real": "REAL",
        "now": "(datetime('now'))",
        "serial_key": "INTEGER PRIMARY KEY AUTOINCREMENT",
        "create_view": "CREATE VIEW IF NOT EXISTS",
        "seq": "rowid",
    }

    def __init__(self, target: str) -> None:
        super().__init__(target)
        try:
            conn = sqlite3.connect(
                target, isolation_level=None, check_same_thread=False, timeout=WAIT_NOTICE_S
            )
            conn.row_factory = sqlite3.Row
            conn.create_function("fact_rowid", 2, fact_rowid, deterministic=True)
            conn.execute("PRAGMA foreign_keys = ON")
            if target != ":memory:":
                conn.execute("PRAGMA journal_mode = WAL")
        except sqlite3.Error as exc:
            raise StoreError(f"{target}: cannot open database ({exc})") from exc
        self.conn = conn

    def begin_write(self, on_wait: Callable[[str], None] = say_waiting) -> None:
        told = False
        while True:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
            if not told:
                on_wait(self.target)
                told = True
            time.sleep(0.05)

    def has_table(self, name: str) -> bool:
        row = self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
        ).fetchone()
        return row is not None

    def index_article(self, article_id: str) -> None:
        self.conn.execute(
            "INSERT INTO articles_fts(rowid, title, text)"
            " SELECT rowid, title, text FROM articles WHERE id = ?",
            (article_id,),
        )

    def reindex_facts(self, story_id: str, fact_ids: Iterable[str]) -> None:
        for fact_id in fact_ids:
            rowid = fact_rowid(story_id, fact_id)
            self.conn.execute("DELETE FROM facts_fts WHERE rowid = ?", (rowid,))
            self.conn.execute(
                "INSERT INTO facts_fts(rowid, text, story_id, fact_id)"
                " SELECT ?, text, story_id, id FROM facts WHERE story_id = ? AND id = ?",
                (rowid, story_id, fact_id),
            )

    def search_articles(self, words: list[str], limit: int) -> list[Any]:
        return self.conn.execute(
            "SELECT a.id, a.title, a.source, a.published, sa.story_id,"
            " snippet(articles_fts, 1, '[', ']', '…', 12) AS snippet, bm25(articles_fts) AS rank"
            " FROM articles_fts JOIN articles a ON a.rowid = articles_fts.rowid"
            " LEFT JOIN story_articles sa ON sa.article_id = a.id"
            " WHERE articles_fts MATCH ? ORDER BY rank LIMIT ?",
            (_fts5_query(words), limit),
        ).fetchall()

    def search_facts(self, words: list[str], limit: int) -> list[Any]:
        return self.conn.execute(
            "SELECT fact_id AS id, text AS title, story_id,"
            " snippet(facts_fts, 0, '[', ']', '…', 12) AS snippet, bm25(facts_fts) AS rank"
            " FROM facts_fts WHERE facts_fts MATCH ? ORDER BY rank LIMIT ?",
            (_fts5_query(words), limit),
        ).fetchall()

    def json_text(self, column: str, key: str) -> str:
        return f"json_extract({column}, '$.{key}')"

    def json_list_has(self, column: str, key: str) -> str:
        return f"EXISTS (SELECT 1 FROM json_each({column}, '$.{key}') WHERE value = ?)"

    def search_stories(self, words: list[str]) -> tuple[str, list[Any]]:
        query = _fts5_query(words)
        return (
            "SELECT sa.story_id, bm25(articles_fts) AS rank FROM articles_fts"
            " JOIN articles a ON a.rowid = articles_fts.rowid"
            " JOIN story_articles sa ON sa.article_id = a.id WHERE articles_fts MATCH ?"
            " UNION ALL SELECT story_id, bm25(facts_fts) AS rank FROM facts_fts"
            " WHERE facts_fts MATCH ?",
            [query, query],
        )


def fact_rowid(story_id: str, fact_id: str) -> int:
    """A fact's row in SQLite's `facts_fts`: a stable 63-bit key of (story, fact). FTS5
    cannot index its UNINDEXED columns, so finding a fact there by `story_id`/`fact_id`
    scanned the whole index (174 ms a lookup at 300,000 facts); by rowid it is one seek."""
    digest = hashlib.sha1(f"{story_id}\t{fact_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def _fts5_query(words: list[str]) -> str:
    """Each word quoted, so user input can never be read as FTS5 syntax."""
    return " ".join(f'"{w}"' for w in words)


class PostgreSQL(Backend):
    """A server database: `pg_advisory_xact_lock` is the writer lock; search uses
    generated `tsvector` columns (English stemming, like FTS5's porter tokenizer)."""

    name = "postgresql"
    tokens: ClassVar[dict[str, str]] = {
        "real": "DOUBLE PRECISION",
        "now": "(to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'))",
        "serial_key": "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
        "create_view": "CREATE OR REPLACE VIEW",
        "seq": "seq",
    }

    def __init__(self, target: str) -> None:
        super().__init__(target)
        try:
            import psycopg
        except ImportError as exc:  # pragma: no cover - psycopg is a pinned dependency
            raise StoreError(f"{target}: PostgreSQL needs psycopg ({exc})") from exc
        try:
            raw = psycopg.connect(target, autocommit=True, row_factory=_row_factory)
        except psycopg.Error as exc:
            raise StoreError(f"{_redact(target)}: cannot connect ({exc})") from exc
        self.conn = _PgConnection(raw)
        self.errors = (psycopg.Error,)

    def begin_write(self, on_wait: Callable[[str], None] = say_waiting) -> None:
        self.conn.execute("BEGIN")
        got = self.conn.execute("SELECT pg_try_advisory_xact_lock(?)", (PG_WRITER_LOCK,))
        if not got.fetchone()[0]:
            on_wait(_redact(self.target))
            self.conn.execute("SELECT pg_advisory_xact_lock(?)", (PG_WRITER_LOCK,))

    def has_table(self, name: str) -> bool:
        row = self.conn.execute("SELECT to_regclass(?) IS NOT NULL", (name,)).fetchone()
        return bool(row[0])

    def search_articles(self, words: list[str], limit: int) -> list[Any]:
        return self.conn.execute(
            "SELECT a.id, a.title, a.source, a.published, sa.story_id,"
            " ts_headline('english', a.text, q, 'StartSel=[, StopSel=], MaxWords=12,"
            " MinWords=4, MaxFragments=1, FragmentDelimiter=…') AS snippet,"
            " -ts_rank(a.tsv, q) AS rank"
            " FROM articles a CROSS JOIN plainto_tsquery('english', ?) q"
            " LEFT JOIN story_articles sa ON sa.article_id = a.id"
            " WHERE a.tsv @@ q ORDER BY rank, a.id LIMIT ?",
            (" ".join(words), limit),
        ).fetchall()

    def search_facts(self, words: list[str], limit: int) -> list[Any]:
        return self.conn.execute(
            "SELECT f.id, f.text AS title, f.story_id,"
            " ts_headline('english', f.text, q, 'StartSel=[, StopSel=], MaxWords=12,"
            " MinWords=4') AS snippet, -ts_rank(f.tsv, q) AS rank"
            " FROM facts f CROSS JOIN plainto_tsquery('english', ?) q"
            " WHERE f.tsv @@ q ORDER BY rank, f.story_id, f.position LIMIT ?",
            (" ".join(words), limit),
        ).fetchall()

    def json_text(self, column: str, key: str) -> str:
        return f"({column}::jsonb ->> '{key}')"

    def json_list_has(self, column: str, key: str) -> str:
        return f"({column}::jsonb -> '{key}') @> jsonb_build_array(?::text)"

    def search_stories(self, words: list[str]) -> tuple[str, list[Any]]:
        query = " ".join(words)
        return (
            "SELECT sa.story_id, -ts_rank(a.tsv, q) AS rank"
            " FROM articles a CROSS JOIN plainto_tsquery('english', ?) q"
            " JOIN story_articles sa ON sa.article_id = a.id WHERE a.tsv @@ q"
            " UNION ALL SELECT f.story_id, -ts_rank(f.tsv, q) AS rank"
            " FROM facts f CROSS JOIN plainto_tsquery('english', ?) q WHERE f.tsv @@ q",
            [query, query],
        )


class Row(tuple[Any, ...]):
    """A result row readable by position, by column name and as `dict(row)`,
    like `sqlite3.Row`."""

    _names: ClassVar[dict[str, int]] = {}

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self._names[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._names)


def _row_factory(cursor: Any) -> Callable[[Sequence[Any]], Row]:
    return _row_class(tuple(d.name for d in cursor.description or ()))


@functools.lru_cache(maxsize=256)
def _row_class(names: tuple[str, ...]) -> type[Row]:
    return type("Row", (Row,), {"_names": {n: i for i, n in enumerate(names)}})


@functools.lru_cache(maxsize=512)
def _pg_sql(sql: str) -> str:
    """`?` parameters as psycopg's `%s` (a literal `%` doubled)."""
    return sql.replace("%", "%%").replace("?", "%s")


class _PgConnection:
    """psycopg behind the sqlite3 calls the store and the web app make."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.raw.execute(_pg_sql(sql), tuple(params))

    def executemany(self, sql: str, seq: Iterable[Sequence[Any]]) -> Any:
        with self.raw.cursor() as cur:
            cur.executemany(_pg_sql(sql), [tuple(p) for p in seq])

    def close(self) -> None:
        self.raw.close()


def _redact(url: str) -> str:
    """The URL without a password, for messages."""
    head, sep, tail = url.partition("@")
    if not sep or ":" not in head.split("://", 1)[-1]:
        return url
    scheme, _, user = head.partition("://")
    return f"{scheme}://{user.split(':', 1)[0]}:***@{tail}"


def connect(target: str) -> Backend:
    """Open `target`: a `postgresql://` URL, or else a SQLite file path."""
    return PostgreSQL(target) if is_postgres(target) else SQLite(target)
