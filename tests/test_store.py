"""The SQLite store: round trips, idempotence, transactions, search."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsloom.errors import NotFound
from newsloom.models import (
    Article,
    Citation,
    Fact,
    Link,
    Mention,
    Place,
    Sentence,
    Story,
    plain,
)
from newsloom.store import Store


def make_article(
    aid: str = "a1", text: str = "Floods hit Valencia. Rescue teams arrived."
) -> Article:
    first = text.split(". ")[0] + "."
    return Article(
        id=aid,
        text=text,
        source="Example Times",
        url="https://example.org/a",
        title="Floods hit Valencia",
        published="2024-10-30",
        sentences=[Sentence(0, first, 0, len(first))],
        mentions=[Mention("Valencia", "GPE", 11, 19, 0, "Valencia")],
        places=[
            Place("Valencia", "Valencia", 39.47, -0.38, "ES", "city", 2509954, 800000, 0, 11, 19)
        ],
    )


def test_store_article_round_trip(tmp_path: Path) -> None:
    store = Store(tmp_path / "n.db")
    art = make_article()
    assert store.add_articles([art]) == ["a1"]
    assert store.get_article("a1") == art
    assert store.conn.execute("SELECT count(*) FROM sentences").fetchone()[0] == 1
    assert tuple(store.conn.execute("SELECT name, lat FROM places").fetchone()) == (
        "Valencia",
        39.47,
    )


def test_store_readding_is_a_no_op(tmp_path: Path) -> None:
    store = Store(tmp_path / "n.db")
    store.add_articles([make_article()])
    assert store.add_articles([make_article()]) == []
    assert store.count_articles() == 1


def test_store_transaction_rolls_back_on_error(tmp_path: Path) -> None:
    store = Store(tmp_path / "n.db")
    with pytest.raises(RuntimeError), store.transaction():
        store.add_articles([make_article("a1")])
        raise RuntimeError("crash in the middle of a batch")
    assert store.count_articles() == 0
    assert Store(tmp_path / "n.db").count_articles() == 0


def test_store_story_and_facts(tmp_path: Path) -> None:
    store = Store(tmp_path / "n.db")
    store.add_articles([make_article("a1"), make_article("a2", "Floods hit Valencia. Many died.")])
    story = Story(
        "s1",
        "Floods hit Valencia",
        ["a1", "a2"],
        links=[Link("a1", "s1", 1.0), Link("a2", "s1", 0.8, {"places": ["Valencia"]})],
    )
    store.save_stories([story])
    assert store.dirty_story_ids() == ["s1"]
    fact = Fact(
        "f1",
        "Floods hit Valencia.",
        "corroborated",
        ["Example Times"],
        1,
        [Citation("a1", 0, "Example Times", "Floods hit Valencia.")],
    )
    store.save_facts("s1", [fact], n_independent=2)
    assert store.dirty_story_ids() == []
    assert store.get_story("s1") == story
    assert store.get_facts("s1") == [fact]
    assert store.story_of("a2") == "s1"
    row = store.story_rows()[0]
    assert (row["n_articles"], row["n_independent"], row["last_published"]) == (2, 2, "2024-10-30")


def test_store_unknown_ids_raise_not_found(tmp_path: Path) -> None:
    store = Store(tmp_path / "n.db")
    with pytest.raises(NotFound):
        store.get_article("nope")
    with pytest.raises(NotFound):
        store.get_story("nope")


def test_store_search_is_safe_against_fts_syntax(tmp_path: Path) -> None:
    store = Store(tmp_path / "n.db")
    store.add_articles([make_article()])
    assert [h["id"] for h in store.search("valencia")] == ["a1"]
    assert store.search('"NEAR( OR * -') == []  # user input is never FTS syntax
    assert store.search("   ") == []


@settings(max_examples=25, deadline=None)
@given(text=st.text(min_size=1, max_size=300), title=st.text(max_size=50))
def test_store_round_trips_any_text(text: str, title: str) -> None:
    store = Store(":memory:")
    art = Article(id="x", text=text, title=title, meta={"k": [1, "two"]})
    store.add_articles([art])
    assert store.get_article("x") == art


def test_store_migrates_a_database_from_before_migrations(tmp_path: Path) -> None:
    """A file made by the first release (its schema, no `schema_migrations`) is
    upgraded in place and keeps its data."""
    from newsloom import backends, migrations

    db = backends.connect(str(tmp_path / "old.db"))
    for statement in migrations.MIGRATIONS[0].statements("sqlite"):
        db.conn.execute(db.sql(statement))
    db.conn.execute("INSERT INTO state(key, value) VALUES ('schema_version', '1')")
    db.close()
    store = Store(tmp_path / "old.db")
    assert migrations.applied_version(store.db) == migrations.LATEST
    assert store.load_state("schema_version") == 1
    assert Store(tmp_path / "old.db").add_articles([make_article()]) == ["a1"]


def test_store_refuses_a_database_from_a_newer_build(tmp_path: Path) -> None:
    from newsloom import backends, migrations
    from newsloom.errors import StoreError

    db = backends.connect(str(tmp_path / "new.db"))
    future = migrations.Migration(10_000, "from a later build", ())
    migrations.migrate(db, (*migrations.MIGRATIONS, future))
    with pytest.raises(StoreError, match="newer than this newsloom"):
        Store(tmp_path / "new.db")


def _fact(fid: str, text: str) -> Fact:
    return Fact(
        fid, text, "single", ["Example Times"], 1, [Citation("a1", 0, "Example Times", text)]
    )


def _fact_hits(store: Store, query: str) -> list[tuple[str, str]]:
    return sorted((h["story_id"], h["id"]) for h in store.search(query) if h["kind"] == "fact")


def test_store_fact_search_follows_replaced_changed_and_removed_facts(tmp_path: Path) -> None:
    """Facts are found by search exactly as stored, after a full replace, an incremental
    change and a removal, and each sits at its (story, fact) key in `facts_fts` (found by
    one seek, not a scan of the index: FTS5 cannot index `story_id`/`fact_id`)."""
    from newsloom.backends import fact_rowid

    store = Store(tmp_path / "n.db")
    store.add_articles([make_article()])
    store.save_stories([Story("s1", "Floods", ["a1"]), Story("s2", "Floods", [])])
    store.save_facts("s1", [_fact("f1", "Dams burst upstream."), _fact("f2", "Levees held.")], 1)
    store.save_facts("s2", [_fact("f1", "Dams burst in the north.")], 1)
    assert _fact_hits(store, "dams") == [("s1", "f1"), ("s2", "f1")]
    store.save_facts("s1", [_fact("f3", "Bridges collapsed.")], 1)  # a full replace
    assert _fact_hits(store, "dams") == [("s2", "f1")]
    assert _fact_hits(store, "levees") == []
    store.save_fact_changes("s1", [(_fact("f3", "Bridges and roads collapsed."), 0)], [], 1)
    store.save_fact_changes("s2", [], ["f1"], 1)
    assert _fact_hits(store, "roads") == [("s1", "f3")]
    assert _fact_hits(store, "dams") == []
    rows = store.conn.execute("SELECT rowid, story_id, fact_id FROM facts_fts").fetchall()
    assert [(r[0], r[1], r[2]) for r in rows] == [(fact_rowid("s1", "f3"), "s1", "f3")]


def test_store_migration_6_rekeys_an_old_fact_index(tmp_path: Path) -> None:
    """A database written before migration 6 (facts indexed under arbitrary rowids) gets
    its fact index rekeyed, so later updates replace rows instead of adding duplicates."""
    from newsloom import backends, migrations

    db = backends.connect(str(tmp_path / "v5.db"))
    migrations.migrate(db, migrations.MIGRATIONS[:5])
    db.conn.execute(
        "INSERT INTO facts(id, story_id, position, text, status, independent_sources, data)"
        " VALUES ('f1', 's1', 0, 'Dams burst upstream.', 'single', 1, ?)",
        (json.dumps(_fact("f1", "Dams burst upstream.").to_dict()),),
    )
    db.conn.execute(
        "INSERT INTO facts_fts(text, story_id, fact_id) VALUES ('Dams burst upstream.', 's1', 'f1')"
    )
    db.close()
    store = Store(tmp_path / "v5.db")
    assert migrations.applied_version(store.db) == migrations.LATEST
    store.save_fact_changes("s1", [(_fact("f1", "Dams held."), 0)], [], 1)
    assert _fact_hits(store, "dams") == [("s1", "f1")]
    assert _fact_hits(store, "burst") == []


def test_plain_matches_asdict_and_copies_containers() -> None:
    """Stored JSON comes from `plain`; it must equal `dataclasses.asdict` field for field and
    not share a list or dict with the article it was made from."""
    art = make_article()
    art.meta = {"feed": {"tags": ["a", "b"]}, "pair": (1, 2)}
    out = plain(art)
    assert out == dataclasses.asdict(art)
    assert json.dumps(out) == json.dumps(dataclasses.asdict(art))
    out["sentences"][0]["text"] = "changed"
    out["meta"]["feed"]["tags"].append("c")
    assert art.sentences[0].text != "changed"
    assert art.meta["feed"]["tags"] == ["a", "b"]
