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

from newsloom import history
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
                _INSERT_PLACE,
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
                    self._delete_facts(old)
                    self._move_fact_history(old, story.id)

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
            self._delete_facts(story_id)
            for pos, fact in enumerate(facts):
                self._upsert_fact(story_id, fact, pos)
            self.db.reindex_facts(story_id, [fact.id for fact in facts])
            self.conn.execute(
                "UPDATE stories SET dirty = 0, n_independent = ? WHERE id = ?",
                (n_independent, story_id),
            )
            self._record_fact_history(story_id, facts)

    def get_facts(self, story_id: str) -> list[Fact]:
        rows = self.conn.execute(
            "SELECT data FROM facts WHERE story_id = ? ORDER BY position, id", (story_id,)
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
        removed = list(removed)
        with self.transaction():
            for fact_id in removed:
                self.conn.execute(
                    "DELETE FROM facts WHERE story_id = ? AND id = ?", (story_id, fact_id)
                )
            for fact, position in upserts:
                self._upsert_fact(story_id, fact, position)
            self.db.reindex_facts(story_id, [*removed, *(fact.id for fact, _ in upserts)])
            self.conn.execute(
                "UPDATE stories SET dirty = 0, n_independent = ? WHERE id = ?",
                (n_independent, story_id),
            )
            self._record_fact_history(story_id, [fact for fact, _ in upserts])

    def _delete_facts(self, story_id: str) -> None:
        """Drop a story's facts, and so their rows in full-text search."""
        ids = [
            r[0] for r in self.conn.execute("SELECT id FROM facts WHERE story_id = ?", (story_id,))
        ]
        self.conn.execute("DELETE FROM facts WHERE story_id = ?", (story_id,))
        self.db.reindex_facts(story_id, ids)

    def _upsert_fact(self, story_id: str, fact: Fact, position: int) -> None:
        self.conn.execute(
            "INSERT INTO facts(id, story_id, position, text, status, independent_sources, data)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(story_id, id) DO UPDATE SET"
            " position=excluded.position, text=excluded.text, status=excluded.status,"
            " independent_sources=excluded.independent_sources, data=excluded.data",
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
                "INSERT INTO fuse_stories(story_id, token, header) VALUES (?, ?, ?)"
                " ON CONFLICT(story_id)"
                " DO UPDATE SET token=excluded.token, header=excluded.header",
                (story_id, token, json.dumps(header)),
            )
            self.conn.executemany(
                "INSERT INTO fuse_articles(story_id, position, article_id, facts, copies)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT(story_id, position) DO UPDATE SET"
                " article_id=excluded.article_id, facts=excluded.facts, copies=excluded.copies",
                (
                    (story_id, pos, aid, json.dumps(facts), json.dumps(copies))
                    for pos, aid, facts, copies in articles
                ),
            )
            self.conn.executemany(
                "INSERT INTO fuse_groups(story_id, position, state) VALUES (?, ?, ?)"
                " ON CONFLICT(story_id, position) DO UPDATE SET state=excluded.state",
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

    # -- storylines (cluster) ---------------------------------------------

    def save_storylines(self, rows: Iterable[tuple[int, Any, Any]]) -> None:
        """Upsert the storyline index's changed storylines (`StorylineIndex.delta`):
        (position, state, summary with id, title, story_ids, first_day, last_day, alive)."""
        with self.transaction():
            self._save_storylines(rows)

    def _save_storylines(self, rows: Iterable[tuple[int, Any, Any]]) -> None:
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
                "INSERT INTO story_storylines(story_id, storyline_id) VALUES (?, ?)"
                " ON CONFLICT(story_id)"
                " DO UPDATE SET storyline_id=excluded.storyline_id",
                [(sid, line.id) for sid in line.story_ids],
            )

    def storyline_states(self) -> list[Any]:
        """Every storyline state of the storyline index, in position order."""
        rows = self.conn.execute("SELECT state FROM storylines ORDER BY position")
        return [json.loads(r[0]) for r in rows]

    # -- search -----------------------------------------------------------

    def search(self, query: str, limit: int = 50) -> list[dict[str, Any]]:
        """Full-text search over articles and facts (best first), with story ids.

        Every word must match (stemmed); user input is never read as query syntax."""
        words = _words(query)
        if not words:
            return []
        hits = [{"kind": "article", **dict(r)} for r in self.db.search_articles(words, limit)]
        hits += [{"kind": "fact", **dict(r)} for r in self.db.search_facts(words, limit)]
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
        ids = [f.id for f in facts]
        rows = self.conn.execute(
            "SELECT * FROM fact_lineage l WHERE story_id = ?"
            f" AND (fact_id IN ({_marks(ids)}) OR {gone})",
            (story_id, *ids),
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
        dropped = [name for name in before if name not in kept]
        self.conn.execute(
            f"DELETE FROM fact_lineage WHERE story_id = ? AND lineage IN ({_marks(dropped)})",
            (story_id, *dropped),
        )
        self.conn.executemany(
            "INSERT INTO fact_lineage(story_id, lineage, fact_id, status, figures, citations,"
            " first_seen, changed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(story_id, lineage) DO UPDATE SET fact_id=excluded.fact_id,"
            " status=excluded.status, figures=excluded.figures, citations=excluded.citations,"
            " first_seen=excluded.first_seen, changed_at=excluded.changed_at",
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
            "UPDATE fact_lineage SET story_id = ? WHERE story_id = ? AND lineage NOT IN"
            " (SELECT lineage FROM fact_lineage WHERE story_id = ?)",
            (new, old, new),
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
        kinds = list(kinds)
        where = ["seq > ?", f"kind IN ({_marks(kinds)})"]
        args: list[Any] = [after, *kinds]
        if upto is not None:
            where.append("seq <= ?")
            args.append(upto)
        if story_ids is not None:
            ids = list(story_ids)
            where.append(f"story_id IN ({_marks(ids)})")
            args += ids
        # `current_fact_id`: the fact's id now (ids change as facts gain sources), "" if gone.
        rows = self.conn.execute(
            "SELECT e.*, coalesce(l.fact_id, '') AS current_fact_id FROM fact_events e"
            " LEFT JOIN fact_lineage l ON l.story_id = e.story_id AND l.lineage = e.lineage"
            f" WHERE {' AND '.join('e.' + w for w in where)}"
            f" ORDER BY e.seq {'DESC' if newest_first else 'ASC'}{_limit(limit)}",
            args,
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
            f"SELECT id FROM stories WHERE {self.db.json_text('data', 'storyline')} = ?"
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
        words = _words(query)
        if not words:
            return []
        order_by = {"rank": "best, s.id", "recent": "s.updated_at DESC, best, s.id"}[order]
        hits, args = self.db.search_stories(words)
        ids = None if within is None else list(within)
        among = "" if ids is None else f" AND s.id IN ({_marks(ids)})"
        rows = self.conn.execute(
            f"SELECT hits.story_id, min(hits.rank) AS best FROM ({hits}) hits"
            f" JOIN stories s ON s.id = hits.story_id WHERE 1 = 1{among}"
            f" GROUP BY hits.story_id, s.id, s.updated_at ORDER BY {order_by}{_limit(limit)}",
            [*args, *(ids or [])],
        )
        return [r[0] for r in rows]

    def last_article_seq(self) -> int:
        """The newest article's insertion number (alerts remember where they stopped)."""
        row = self.conn.execute(self.db.sql("SELECT coalesce(max({seq}), 0) FROM articles"))
        return int(row.fetchone()[0])

    def stories_of_articles_after(self, seq: int) -> list[str]:
        """Stories holding an article stored after insertion number `seq`."""
        rows = self.conn.execute(
            self.db.sql(
                "SELECT DISTINCT sa.story_id FROM articles a JOIN story_articles sa"
                " ON sa.article_id = a.id WHERE a.{seq} > ? ORDER BY sa.story_id"
            ),
            (seq,),
        )
        return [r[0] for r in rows]

    def alert_rule(self, query: str) -> dict[str, Any] | None:
        row = self.conn.execute("SELECT * FROM alert_rules WHERE query = ?", (query,)).fetchone()
        return None if row is None else dict(row)

    def save_alert_rule(self, query: str, event_cursor: int, article_cursor: int) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO alert_rules(query, event_cursor, article_cursor, created_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT(query) DO UPDATE SET"
                " event_cursor=excluded.event_cursor, article_cursor=excluded.article_cursor",
                (query, event_cursor, article_cursor, history.now()),
            )

    def alert_announced(self, query: str) -> set[str]:
        rows = self.conn.execute("SELECT story_id FROM alert_stories WHERE query = ?", (query,))
        return {r[0] for r in rows}

    def mark_announced(self, query: str, story_ids: Iterable[str]) -> None:
        at = history.now()
        with self.transaction():
            self.conn.executemany(
                "INSERT INTO alert_stories(query, story_id, at) VALUES (?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                [(query, sid, at) for sid in story_ids],
            )

    def add_alerts(self, rows: Iterable[tuple[str, str, str, str]]) -> list[str]:
        """Queue (key, event, target, payload) deliveries; a key already queued is kept
        as it is, so an event is queued once. Returns the keys that were new."""
        new = []
        at = history.now()
        with self.transaction():
            for key, event, target, payload in rows:
                cur = self.conn.execute(
                    "INSERT INTO alert_outbox(key, event, target, payload, created_at)"
                    " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    (key, event, target, payload, at),
                )
                if cur.rowcount:
                    new.append(key)
        return new

    def pending_alerts(self, targets: Iterable[str]) -> list[str]:
        """Keys of undelivered alerts to these targets, oldest first."""
        wanted = list(targets)
        rows = self.conn.execute(
            self.db.sql(
                "SELECT key FROM alert_outbox WHERE delivered_at IS NULL"
                f" AND target IN ({_marks(wanted)}) ORDER BY created_at, {{seq}}"
            ),
            wanted,
        )
        return [r[0] for r in rows]

    def get_alert(self, key: str) -> dict[str, Any]:
        row = self.conn.execute("SELECT * FROM alert_outbox WHERE key = ?", (key,)).fetchone()
        if row is None:
            raise NotFound(f"no alert with key {key!r}")
        return dict(row)

    def mark_alert(self, key: str, *, delivered: bool, error: str = "") -> None:
        """Count a delivery attempt; a delivered alert is never sent again."""
        with self.transaction():
            self.conn.execute(
                "UPDATE alert_outbox SET attempts = attempts + 1, last_error = ?,"
                " delivered_at = CASE WHEN ? THEN ? ELSE delivered_at END WHERE key = ?",
                (error, delivered, history.now(), key),
            )


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def _words(query: str) -> list[str]:
    """The words of a search query (quotes and NULs dropped: never query syntax)."""
    return [w for w in query.replace('"', " ").replace("\x00", " ").split() if w]


def _marks(values: list[Any]) -> str:
    """Placeholders for `IN (...)`; `NULL` (matches nothing) for no values."""
    return ", ".join("?" * len(values)) or "NULL"


def _limit(limit: int | None) -> str:
    return "" if limit is None else f" LIMIT {int(limit)}"


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]
