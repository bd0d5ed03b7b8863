"""The committed real-web recipe is well-formed, and scripts/realweb.py finds what breaks it.

Reads only evalsets/realweb/recipe.jsonl (the page texts are not in git), so it runs in CI.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import load_script

ROOT = Path(__file__).resolve().parent.parent


realweb = load_script("realweb")


@pytest.fixture(scope="module")
def pages() -> list:
    return realweb.load_recipe(ROOT / "evalsets" / "realweb" / "recipe.jsonl")


def test_realweb_recipe_is_well_formed(pages: list) -> None:
    assert realweb.problems(pages) == []


def test_realweb_copy_gold_is_well_formed(pages: list) -> None:
    path = ROOT / "evalsets" / "realweb" / "copies.jsonl"
    assert realweb.copy_problems(pages, path) == []
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert sum(r["split"] == "dev" for r in rows) >= 40
    assert {r["relation"] for r in rows} == set(realweb.RELATIONS)


def test_realweb_copy_problems_names_bad_rows(tmp_path: Path) -> None:
    pages = [_page(1, "a", "s"), _page(2, "a", "s"), _page(3, "b", "t", split="test")]
    bad = [
        {"article_id": "rw-001", "original_id": "rw-009", "relation": "derived"},
        {"article_id": "rw-001", "original_id": "rw-003", "relation": "same_wire"},
        {"article_id": "rw-001", "original_id": "rw-002", "relation": "copied"},
    ]
    path = tmp_path / "copies.jsonl"
    lines = [json.dumps({**row, "split": "dev", "same_event": True}) for row in bad]
    path.write_text("\n".join(lines), encoding="utf-8")
    found = "\n".join(realweb.copy_problems(pages, path))
    assert "rw-001 / rw-009 are not two recipe pages" in found
    assert "rw-001 and rw-003 are not both in split dev" in found
    assert "same_event is wrong for rw-001 / rw-003" in found
    assert "relation 'copied'" in found


def test_realweb_recipe_meets_the_issue_sizes(pages: list) -> None:
    counts = realweb.summary(pages)
    total = {k: sum(c[k] for c in counts.values()) for k in counts["dev"]}
    assert total["events"] >= 25
    assert total["lone"] >= 10
    assert total["pages"] >= 150
    assert total["hard_pairs"] >= 8
    for split in ("dev", "test"):
        assert counts[split]["events"] >= 10
        assert counts[split]["hard_pairs"] >= 4


def test_realweb_hard_pairs_share_a_storyline_in_time_order(pages: list) -> None:
    info = {p.event: (p.storyline, p.event_date) for p in pages}
    pairs = realweb.hard_pairs(pages)
    assert ("germanwings-crash", "germanwings-leaders-visit") in pairs
    for a, b in pairs:
        assert info[a][0] == info[b][0]
        assert info[a][1] <= info[b][1]


def _page(n: int, event: str, storyline: str, split: str = "dev", kind: str = "event") -> object:
    return realweb.Page(
        id=f"rw-{n:03d}",
        url=f"https://example.org/{n}",
        query="q",
        event=event,
        storyline=storyline,
        split=split,
        kind=kind,
        event_date="2024-01-02",
        notes="",
    )


def test_realweb_problems_names_each_defect() -> None:
    good = [_page(i, "a", "s") for i in range(1, 5)] + [_page(5, "lone-x", "t", kind="lone")]
    assert realweb.problems(good) == []
    bad = [
        *good[:3],  # event a now has 3 pages
        replace(good[4], id="rw-001"),  # duplicate id
        _page(6, "b", "s", split="test"),  # storyline s in both splits, event b too small
        replace(_page(7, "c", "u"), event_date="2020-05-01"),  # held-out year
    ]
    found = "\n".join(realweb.problems(bad))
    assert "id rw-001 appears 2 times" in found
    assert "event a: has 3 pages" in found
    assert "storyline s is in both splits" in found
    assert "held-out years" in found
    assert "event c: pages disagree on event_date" not in found
    split_dates = [good[0], replace(good[1], event_date="2024-01-09"), *good[2:4]]
    assert "event a: pages disagree on event_date" in "\n".join(realweb.problems(split_dates))


def test_realweb_build_writes_splits_and_names_missing_texts(tmp_path: Path) -> None:
    pages = [_page(1, "a", "s"), _page(2, "b", "t", split="test"), _page(3, "b", "t", "test")]
    texts = tmp_path / "pages"
    texts.mkdir()
    (texts / "rw-001.txt").write_text(" date 2024-01-02 Headline\nBody.", encoding="utf-8")
    (texts / "rw-002.txt").write_text("Other body.", encoding="utf-8")
    missing = realweb.build(pages, texts, tmp_path)
    assert missing == ["rw-003"]
    dev = [json.loads(line) for line in (tmp_path / "dev.jsonl").read_text().splitlines()]
    assert dev == [
        {
            "id": "rw-001",
            "text": " date 2024-01-02 Headline\nBody.",
            "event": "a",
            "storyline": "s",
            "url": "https://example.org/1",
        }
    ]
    assert len((tmp_path / "test.jsonl").read_text().splitlines()) == 1
