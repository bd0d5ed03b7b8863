"""The database schema as numbered migrations, shared by SQLite and PostgreSQL.

A store applies, in one transaction under the writer lock, every migration newer than
the highest one recorded in `schema_migrations`, so a new build upgrades an old
database in place and several processes opening a fresh database at once create it
once. Statements are portable SQL; `{real}` and `{now}` are spelled per dialect by
`backends.Backend.sql`. Full-text search is the one part that differs in kind, so a
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


# Views for people reading the database with sqlite3, psql or Datasette (docs/sqlite.md):
# plain SQL in both dialects but for the two that read the facts' JSON.
_VIEWS = (
    """{create_view} story_overview AS
    SELECT s.id AS story_id, s.title, s.first_published, s.last_published, s.n_articles,
        s.n_independent AS n_independent_articles,
        (SELECT count(*) FROM facts f WHERE f.story_id = s.id) AS n_facts,
        (SELECT count(*) FROM facts f WHERE f.story_id = s.id AND f.status = 'corroborated')
            AS n_corroborated,
        (SELECT count(*) FROM facts f WHERE f.story_id = s.id AND f.status = 'conflict')
            AS n_conflicts,
        s.updated_at
    FROM stories s""",
    """{create_view} story_article_list AS
    SELECT sa.story_id, s.title AS story_title, a.id AS article_id, a.source, a.title,
        a.published, a.url, sa.score AS link_score, a.added_at
    FROM story_articles sa JOIN articles a ON a.id = sa.article_id
    LEFT JOIN stories s ON s.id = sa.story_id""",
    """{create_view} article_places AS
    SELECT p.article_id, a.title AS article_title, a.source, a.published, sa.story_id,
        p.name AS place, p.country, p.lat, p.lon, p.sentence
    FROM places p JOIN articles a ON a.id = p.article_id
    LEFT JOIN story_articles sa ON sa.article_id = p.article_id""",
    """{create_view} story_places AS
    SELECT sa.story_id, p.name AS place, p.country, p.lat, p.lon, count(*) AS mentions,
        count(DISTINCT a.source) AS n_sources
    FROM places p JOIN story_articles sa ON sa.article_id = p.article_id
    JOIN articles a ON a.id = p.article_id
    GROUP BY sa.story_id, p.name, p.country, p.lat, p.lon""",
    """{create_view} article_entities AS
    SELECT m.article_id, a.source, sa.story_id, m.label, m.norm AS name, m.text AS as_written,
        m.sentence
    FROM mentions m JOIN articles a ON a.id = m.article_id
    LEFT JOIN story_articles sa ON sa.article_id = m.article_id""",
    """{create_view} story_updates AS
    SELECT e.seq, e.story_id, s.title AS story_title, e.kind, e.change, e.status,
        e.previous_status, e.fact_id, e.text, e.at
    FROM fact_events e LEFT JOIN stories s ON s.id = e.story_id""",
)

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
                position BIGINT NOT NULL,
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
    Migration(
        3,
        "fact history, alert state and outbox (feeds, #16); views for people",
        (
            # fact_lineage: each current fact followed across recomputations (history.py), with
            # when it was first seen and last changed; fact_events: what changed, when (story
            # feeds and alerts read it); alert_*: subscriptions, the stories each announced,
            # and the delivery outbox.
            """CREATE TABLE IF NOT EXISTS fact_lineage (
                story_id TEXT NOT NULL,
                lineage TEXT NOT NULL,
                fact_id TEXT NOT NULL,
                status TEXT NOT NULL,
                figures TEXT NOT NULL,
                citations TEXT NOT NULL,
                first_seen TEXT NOT NULL,
                changed_at TEXT NOT NULL,
                PRIMARY KEY (story_id, lineage)
            )""",
            """CREATE TABLE IF NOT EXISTS fact_events (
                seq {serial_key},
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
            )""",
            "CREATE INDEX IF NOT EXISTS fact_events_story ON fact_events(story_id, seq)",
            """CREATE TABLE IF NOT EXISTS alert_rules (
                query TEXT PRIMARY KEY,
                event_cursor INTEGER NOT NULL,
                article_cursor INTEGER NOT NULL,
                created_at TEXT NOT NULL
            )""",
            """CREATE TABLE IF NOT EXISTS alert_stories (
                query TEXT NOT NULL,
                story_id TEXT NOT NULL,
                at TEXT NOT NULL,
                PRIMARY KEY (query, story_id)
            )""",
            """CREATE TABLE IF NOT EXISTS alert_outbox (
                key TEXT PRIMARY KEY,
                event TEXT NOT NULL,
                target TEXT NOT NULL,
                payload TEXT NOT NULL,
                created_at TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                last_error TEXT NOT NULL DEFAULT '',
                delivered_at TEXT
            )""",
            "CREATE INDEX IF NOT EXISTS alert_outbox_pending ON alert_outbox(delivered_at, target)",
            *_VIEWS,
        ),
        sqlite=(
            """CREATE VIEW IF NOT EXISTS story_facts AS
            SELECT f.story_id, s.title AS story_title, f.position, f.id AS fact_id, f.status,
                f.independent_sources,
                (SELECT group_concat(j.value, '; ') FROM json_each(f.data, '$.sources') j)
                    AS sources,
                json_extract(f.data, '$.origin') AS origin, json_extract(f.data, '$.date') AS date,
                f.text, l.first_seen, l.changed_at AS last_changed
            FROM facts f JOIN stories s ON s.id = f.story_id
            LEFT JOIN fact_lineage l ON l.story_id = f.story_id AND l.fact_id = f.id""",
            """CREATE VIEW IF NOT EXISTS fact_citations AS
            SELECT f.story_id, f.id AS fact_id, json_extract(c.value, '$.article_id') AS article_id,
                json_extract(c.value, '$.sentence') AS sentence,
                json_extract(c.value, '$.source') AS source,
                a.url, json_extract(c.value, '$.text') AS text
            FROM facts f JOIN json_each(f.data, '$.citations') c
            LEFT JOIN articles a ON a.id = json_extract(c.value, '$.article_id')""",
        ),
        postgresql=(
            # Insertion order, which SQLite's rowid gives (alerts resume from it).
            "ALTER TABLE articles ADD COLUMN IF NOT EXISTS seq BIGINT GENERATED ALWAYS AS IDENTITY",
            "CREATE INDEX IF NOT EXISTS articles_seq ON articles(seq)",
            "ALTER TABLE alert_outbox ADD COLUMN IF NOT EXISTS seq"
            " BIGINT GENERATED ALWAYS AS IDENTITY",
            """CREATE OR REPLACE VIEW story_facts AS
            SELECT f.story_id, s.title AS story_title, f.position, f.id AS fact_id, f.status,
                f.independent_sources,
                (SELECT string_agg(j.value, '; ')
                 FROM jsonb_array_elements_text(f.data::jsonb -> 'sources') AS j(value)) AS sources,
                f.data::jsonb ->> 'origin' AS origin, f.data::jsonb ->> 'date' AS date,
                f.text, l.first_seen, l.changed_at AS last_changed
            FROM facts f JOIN stories s ON s.id = f.story_id
            LEFT JOIN fact_lineage l ON l.story_id = f.story_id AND l.fact_id = f.id""",
            """CREATE OR REPLACE VIEW fact_citations AS
            SELECT f.story_id, f.id AS fact_id, c.value ->> 'article_id' AS article_id,
                (c.value ->> 'sentence')::integer AS sentence, c.value ->> 'source' AS source,
                a.url, c.value ->> 'text' AS text
            FROM facts f CROSS JOIN LATERAL jsonb_array_elements(f.data::jsonb -> 'citations')
                AS c(value)
            LEFT JOIN articles a ON a.id = c.value ->> 'article_id'""",
        ),
    ),
    Migration(
        4,
        "storylines (cluster, #10): the events of one developing situation",
        (
            # `state` is the storyline index's own record (StorylineIndex), `position` its
            # slot; `story_storylines` maps each story to its storyline for listings.
            """CREATE TABLE IF NOT EXISTS storylines (
                position INTEGER PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                title TEXT NOT NULL DEFAULT '',
                first_day TEXT NOT NULL DEFAULT '',
                last_day TEXT NOT NULL DEFAULT '',
                n_stories INTEGER NOT NULL DEFAULT 0,
                alive INTEGER NOT NULL DEFAULT 1,
                state TEXT NOT NULL
            )""",
            "CREATE INDEX IF NOT EXISTS storylines_last ON storylines(alive, last_day)",
            """CREATE TABLE IF NOT EXISTS story_storylines (
                story_id TEXT PRIMARY KEY,
                storyline_id TEXT NOT NULL
            )""",
            "CREATE INDEX IF NOT EXISTS story_storylines_line ON story_storylines(storyline_id)",
        ),
    ),
    Migration(
        5,
        "incremental story state (fuse, #11/#13): copy signatures and facts under construction",
        (
            # One header per story (`token` changes on every save, so a process that cached
            # the state can tell it is stale), one row per article (its statements for fusion
            # and its copy signature), one row per fact under construction (storystate.py).
            """CREATE TABLE IF NOT EXISTS fuse_stories (
                story_id TEXT PRIMARY KEY,
                token TEXT NOT NULL,
                header TEXT NOT NULL
            )""",
            """CREATE TABLE IF NOT EXISTS fuse_articles (
                story_id TEXT NOT NULL,
                position INTEGER NOT NULL,
                article_id TEXT NOT NULL,
                facts TEXT NOT NULL,
                copies TEXT NOT NULL,
                PRIMARY KEY (story_id, position)
            )""",
            """CREATE TABLE IF NOT EXISTS fuse_groups (
                story_id TEXT NOT NULL,
                position INTEGER NOT NULL,
                state TEXT NOT NULL,
                PRIMARY KEY (story_id, position)
            )""",
        ),
    ),
    Migration(
        6,
        "SQLite: facts in full-text search keyed by (story, fact), so a fact's update is one seek",
        (),
        sqlite=(
            # backends.fact_rowid: replacing a fact no longer scans the whole FTS5 index.
            "DELETE FROM facts_fts",
            """INSERT INTO facts_fts(rowid, text, story_id, fact_id)
                SELECT fact_rowid(story_id, id), text, story_id, id FROM facts""",
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
                db.conn.execute(db.sql(statement))
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
