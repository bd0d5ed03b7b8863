"""The store: articles, sentences, mentions, places, stories, facts and run state.

One SQLite file by default (`./newsloom.db`), or a PostgreSQL database given as a
`postgresql://` URL (`backends.py` holds what differs). The schema comes from
numbered migrations (`migrations.py`). Every batch is written in one transaction that
holds the database's writer lock, so a crash leaves the database as it was before the
batch, several processes can write one database, and re-ingesting an article already
stored changes nothing (ids are content hashes). Full article records are kept as
JSON beside the columns that queries need; full-text search backs the web app.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from newsloom.backends import Connection, connect, say_waiting
from newsloom.errors import NotFound, StoreError
from newsloom.migrations import migrate
from newsloom.models import Article, Fact, Story

_INSERT_PLACE = (
    "INSERT INTO places(article_id, name, country, lat, lon, sentence) VALUES (?, ?, ?, ?, ?, ?)"
)
CHUNK = 500  # ids per `IN (...)` query (below every SQLite build's parameter limit)


class Store:
    """The newsloom database.

    Example:
        >>> store = Store(":memory:")
        >>> store.count_articles()
        0
    """

    def __init__(self, path: str | Path = "newsloom.db") -> None:
        self.path = str(path)
        self.db = connect(self.path)
        self.conn: Connection = self.db.conn
        self._depth = 0
        try:
            migrate(self.db)
        except self.db.errors as exc:
            raise StoreError(f"{self.path}: cannot open database ({exc})") from exc

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside commit together or not at all (nests: the outermost wins).

        The outermost level holds the database's writer lock: one writer at a time
        across processes (other ingests, `watch`, the web app's uploads wait their turn,
        saying so on stderr)."""
        if self._depth == 0:
            self.db.begin_write(say_waiting)
        self._depth += 1
        try:
            yield
        except BaseException:
            self._depth -= 1
            if self._depth == 0:
                self.db.rollback()
            raise
        self._depth -= 1
        if self._depth == 0:
            self.db.commit()

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
                self.conn.execute(
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
                self.db.index_article(art.id)
                self.conn.executemany(
                    'INSERT INTO sentences(article_id, idx, paragraph, start, "end", text)'
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    [(art.id, s.index, s.paragraph, s.start, s.end, s.text) for s in art.sentences],
                )
                self.conn.executemany(
                    'INSERT INTO mentions(article_id, label, text, norm, start, "end", sentence)'
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [
                        (art.id, m.label, m.text, m.norm or m.text, m.start, m.end, m.sentence)
                        for m in art.mentions
                    ],
                )
                self.conn.executemany(
                    _INSERT_PLACE,
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
                _INSERT_PLACE,
                [(art.id, p.name, p.country, p.lat, p.lon, p.sentence) for p in art.places],
            )

    def get_article(self, article_id: str) -> Article:
        row = self.conn.execute("SELECT data FROM articles WHERE id = ?", (article_id,)).fetchone()
        if row is None:
            raise NotFound(f"no article with id {article_id!r}")
        return Article.from_dict(json.loads(row["data"]))

    def get_articles(self, ids: Iterable[str]) -> list[Article]:
        """Articles by id, in the order asked (a few queries, not one per article)."""
        wanted = list(ids)
        data: dict[str, str] = {}
        for chunk in _chunks(sorted(set(wanted))):
            marks = ", ".join("?" * len(chunk))
            for row in self.conn.execute(
                f"SELECT id, data FROM articles WHERE id IN ({marks})", chunk
            ):
                data[row[0]] = row[1]
        missing = [i for i in wanted if i not in data]
        if missing:
            raise NotFound(f"no article with id {missing[0]!r}")
        return [Article.from_dict(json.loads(data[i])) for i in wanted]

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
                dates = self._published_range(story.article_ids)
                self.conn.execute(
                    "INSERT INTO stories(id, title, first_published, last_published, n_articles,"
                    " dirty, data, updated_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?)"
                    " ON CONFLICT(id) DO UPDATE SET title=excluded.title,"
                    " first_published=excluded.first_published,"
                    " last_published=excluded.last_published, n_articles=excluded.n_articles,"
                    " dirty=1, data=excluded.data, updated_at=excluded.updated_at",
                    (
                        story.id,
                        story.title,
                        dates[0],
                        dates[1],
                        len(story.article_ids),
                        json.dumps(story.to_dict(), ensure_ascii=False),
                        _now(),
                    ),
                )
                for link in story.links:
                    self.conn.execute(
                        "INSERT INTO story_articles(article_id, story_id, score, evidence)"
                        " VALUES (?, ?, ?, ?) ON CONFLICT(article_id)"
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

    def _published_range(self, article_ids: list[str]) -> tuple[str, str]:
        """The first and last publication dates of these articles ("" if none dated)."""
        first, last = "", ""
        for chunk in _chunks(article_ids):
            marks = ", ".join("?" * len(chunk))
            lo, hi = self.conn.execute(
                "SELECT min(published), max(published) FROM articles"
                f" WHERE published != '' AND id IN ({marks})",
                chunk,
            ).fetchone()
            if lo:
                first = min(first, lo) if first else lo
                last = max(last, hi)
        return first, last

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
            for pos, fact in enumerate(facts):
                self.conn.execute(
                    "INSERT INTO facts(id, story_id, position, text, status,"
                    " independent_sources, data) VALUES (?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT(story_id, id) DO UPDATE SET position=excluded.position,"
                    " text=excluded.text, status=excluded.status,"
                    " independent_sources=excluded.independent_sources, data=excluded.data",
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
            self.db.index_facts(story_id)
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
        """Full-text search over articles and facts (best first), with story ids.

        Every word must match (stemmed); user input is never read as query syntax."""
        words = [w for w in query.replace('"', " ").replace("\x00", " ").split() if w]
        if not words:
            return []
        hits = [{"kind": "article", **dict(r)} for r in self.db.search_articles(words, limit)]
        hits += [{"kind": "fact", **dict(r)} for r in self.db.search_facts(words, limit)]
        return hits


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]
