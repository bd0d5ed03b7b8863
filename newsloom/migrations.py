"""The database schema as numbered migrations, shared by SQLite and PostgreSQL.

A store applies, in one transaction under the writer lock, every migration newer than
the highest one recorded in `schema_migrations`, so a new build upgrades an old
database in place and several processes opening a fresh database at once create it
once. Statements are portable SQL; `{real}` and `{now}` are spelled per dialect by
`backends.Backend.ddl`. Full-text search is the one part that differs in kind, so a
migration may add statements for one dialect only (`sqlite=`, `postgresql=`).

To add a table or column: append a `Migration` with the next number. Never edit one
that has shipped (databases out there have applied it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from newsloom.backends import Backend
from newsloom.errors import StoreError


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: tuple[str, ...]
    sqlite: tuple[str, ...] = ()
    postgresql: tuple[str, ...] = ()

    def statements(self, dialect: str) -> tuple[str, ...]:
        return self.sql + (self.sqlite if dialect == "sqlite" else self.postgresql)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "articles, sentences, entities, places, stories, facts, run state",
        (
            """CREATE TABLE IF NOT EXISTS articles (
                id TEXT PRIMARY KEY,
                source TEXT NOT NULL DEFAULT '',
                url TEXT NOT NULL DEFAULT '',
                title TEXT NOT NULL DEFAULT '',
                published TEXT NOT NULL DEFAULT '',
                origin TEXT NOT NULL DEFAULT '',
                text TEXT NOT NULL,
                data TEXT NOT NULL,
                added_at TEXT NOT NULL DEFAULT {now}
            )""",
            "CREATE INDEX IF NOT EXISTS articles_published ON articles(published)",
            """CREATE TABLE IF NOT EXISTS sentences (
                article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
                idx INTEGER NOT NULL,
                paragraph INTEGER NOT NULL,
                start INTEGER NOT NULL,
                "end" INTEGER NOT NULL,
                text TEXT NOT NULL,
                PRIMARY KEY (article_id, idx)
            )""",
            """CREATE TABLE IF NOT EXISTS mentions (
                article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
                label TEXT NOT NULL,
                text TEXT NOT NULL,
                norm TEXT NOT NULL,
                start INTEGER NOT NULL,
                "end" INTEGER NOT NULL,
                sentence INTEGER NOT NULL
            )""",
            "CREATE INDEX IF NOT EXISTS mentions_norm ON mentions(norm)",
            "CREATE INDEX IF NOT EXISTS mentions_article ON mentions(article_id)",
            """CREATE TABLE IF NOT EXISTS places (
                article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
                name TEXT NOT NULL,
                country TEXT NOT NULL,
                lat {real},
                lon {real},
                sentence INTEGER NOT NULL
            )""",
            "CREATE INDEX IF NOT EXISTS places_name ON places(name)",
            "CREATE INDEX IF NOT EXISTS places_article ON places(article_id)",
            """CREATE TABLE IF NOT EXISTS stories (
                id TEXT PRIMARY KEY,
                title TEXT NOT NULL DEFAULT '',
                first_published TEXT NOT NULL DEFAULT '',
                last_published TEXT NOT NULL DEFAULT '',
                n_articles INTEGER NOT NULL DEFAULT 0,
                n_independent INTEGER NOT NULL DEFAULT 0,
                dirty INTEGER NOT NULL DEFAULT 1,
                data TEXT NOT NULL,
                updated_at TEXT NOT NULL DEFAULT {now}
            )""",
            """CREATE TABLE IF NOT EXISTS story_articles (
                article_id TEXT PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
                story_id TEXT NOT NULL,
                score {real} NOT NULL,
                evidence TEXT NOT NULL DEFAULT '{}'
            )""",
            "CREATE INDEX IF NOT EXISTS story_articles_story ON story_articles(story_id)",
            """CREATE TABLE IF NOT EXISTS facts (
                id TEXT NOT NULL,
                story_id TEXT NOT NULL,
                position INTEGER NOT NULL,
                text TEXT NOT NULL,
                status TEXT NOT NULL,
                independent_sources INTEGER NOT NULL,
                data TEXT NOT NULL,
                PRIMARY KEY (story_id, id)
            )""",
            "CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            """CREATE TABLE IF NOT EXISTS cluster_stories (
                position INTEGER PRIMARY KEY,
                state TEXT NOT NULL
            )""",
            """CREATE TABLE IF NOT EXISTS ingest_errors (
                origin TEXT NOT NULL,
                problem TEXT NOT NULL,
                at TEXT NOT NULL DEFAULT {now}
            )""",
        ),
        sqlite=(
            """CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5(
                title, text, content='articles', content_rowid='rowid',
                tokenize='porter unicode61'
            )""",
            """CREATE VIRTUAL TABLE IF NOT EXISTS facts_fts USING fts5(
                text, story_id UNINDEXED, fact_id UNINDEXED, tokenize='porter unicode61'
            )""",
        ),
        postgresql=(
            """ALTER TABLE articles ADD COLUMN IF NOT EXISTS tsv tsvector GENERATED ALWAYS AS
                (to_tsvector('english', title || ' ' || text)) STORED""",
            "CREATE INDEX IF NOT EXISTS articles_tsv ON articles USING GIN (tsv)",
            """ALTER TABLE facts ADD COLUMN IF NOT EXISTS tsv tsvector GENERATED ALWAYS AS
                (to_tsvector('english', text)) STORED""",
            "CREATE INDEX IF NOT EXISTS facts_tsv ON facts USING GIN (tsv)",
        ),
    ),
    Migration(
        2,
        "case-insensitive lookups of places, outlets and names (the web app's filters)",
        (
            "CREATE INDEX IF NOT EXISTS places_name_lower ON places(lower(name))",
            "CREATE INDEX IF NOT EXISTS articles_source_lower ON articles(lower(source))",
            "CREATE INDEX IF NOT EXISTS mentions_norm_lower ON mentions(lower(norm))",
            "CREATE INDEX IF NOT EXISTS mentions_text_lower ON mentions(lower(text))",
        ),
    ),
)

LATEST = MIGRATIONS[-1].version

_BOOKKEEPING = """CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
)"""


def applied_version(db: Backend) -> int:
    """The highest migration applied to `db` (0 for a new database)."""
    if not db.has_table("schema_migrations"):
        return 0
    row = db.conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
    return int(row[0] or 0)


def migrate(db: Backend, migrations: tuple[Migration, ...] = MIGRATIONS) -> list[int]:
    """Apply the migrations `db` lacks, atomically; return their numbers.

    Refuses a database written by a newer build (it may hold what this one cannot read)."""
    latest = migrations[-1].version
    current = applied_version(db)
    if current > latest:
        raise StoreError(
            f"{db.target}: the database schema is version {current}, newer than this"
            f" newsloom knows ({latest}); upgrade newsloom"
        )
    if current == latest:
        return []  # nothing to do: no need to wait for the writer lock
    db.begin_write()
    try:
        db.conn.execute(_BOOKKEEPING)
        current = applied_version(db)  # another process may have migrated meanwhile
        done = []
        for m in migrations:
            if m.version <= current:
                continue
            for statement in m.statements(db.name):
                db.conn.execute(db.ddl(statement))
            db.conn.execute(
                "INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, ?, ?)",
                (m.version, m.name, dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")),
            )
            done.append(m.version)
    except BaseException:
        db.rollback()
        raise
    db.commit()
    return done
