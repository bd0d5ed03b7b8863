"""The SQLite file read with standard tools (#16): the views named for people return
rows after a real run, in Python's sqlite3 and in the sqlite3 shell."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from newsloom.pipeline import run
from newsloom.store import Store

if TYPE_CHECKING:
    from newsloom.pipeline import Resources

VIEWS = {
    "story_overview": "story_id, title, n_articles, n_facts, n_corroborated, n_conflicts",
    "story_facts": "story_id, story_title, fact_id, status, independent_sources, sources, text,"
    " first_seen, last_changed",
    "fact_citations": "story_id, fact_id, article_id, sentence, source, url, text",
    "story_article_list": "story_id, story_title, article_id, source, title, published, url",
    "article_places": "article_id, source, story_id, place, country, lat, lon",
    "story_places": "story_id, place, country, lat, lon, mentions, n_sources",
    "article_entities": "article_id, source, story_id, label, name, as_written",
    "story_updates": "seq, story_id, story_title, kind, change, status, fact_id, text, at",
}


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory, seeds_dir: Path, resources: Resources) -> Path:
    path = tmp_path_factory.mktemp("views") / "seeds.db"
    store = Store(path)
    run([str(seeds_dir)], store, resources, on_error=False)
    store.close()
    return path


@pytest.mark.parametrize("view", sorted(VIEWS))
def test_views_return_rows_after_a_run(db: Path, view: str) -> None:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    rows = conn.execute(f"SELECT {VIEWS[view]} FROM {view}").fetchall()
    assert rows, f"{view} is empty"
    assert all(row[0] not in (None, "") for row in rows)


def test_views_agree_with_the_tables(db: Path) -> None:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    n_facts = conn.execute("SELECT count(*) FROM facts").fetchone()[0]
    assert conn.execute("SELECT count(*) FROM story_facts").fetchone()[0] == n_facts
    assert conn.execute("SELECT sum(n_facts) FROM story_overview").fetchone()[0] == n_facts
    kandahar = conn.execute(
        "SELECT lat, lon, n_sources FROM story_places WHERE place = 'Kandahar'"
    ).fetchone()
    assert kandahar is not None and round(kandahar[0]) == 32 and round(kandahar[1]) == 66
    assert conn.execute("SELECT count(*) FROM story_facts WHERE first_seen IS NULL").fetchone() == (
        0,
    )


def test_the_sqlite3_shell_reads_the_views(db: Path) -> None:
    shell = shutil.which("sqlite3")
    if shell is None:
        pytest.skip("the sqlite3 shell is not installed (apt-get install sqlite3)")
    query = "SELECT status, count(*) FROM story_facts GROUP BY status ORDER BY status;"
    out = subprocess.run(
        [shell, "-readonly", str(db), query], capture_output=True, text=True, check=True
    ).stdout
    counts = dict(line.split("|") for line in out.split())
    assert sum(int(n) for n in counts.values()) > 0 and "corroborated" in counts
