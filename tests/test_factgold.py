"""The committed fact-level gold is well-formed, and scripts/factgold.py finds what breaks it.

Reads only evalsets/facts/pairs.jsonl and the real-web recipe and copy gold (the page texts
are not in git), so it runs in CI; the sentence check runs on texts written here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import load_script

ROOT = Path(__file__).resolve().parent.parent


realweb = load_script("realweb")
factgold = load_script("factgold")


@pytest.fixture(scope="module")
def pairs() -> list:
    return factgold.load_pairs()


def test_factgold_pairs_are_well_formed(pairs: list) -> None:
    pages = realweb.load_recipe(realweb.RECIPE)
    assert factgold.problems(pairs, pages, factgold.copy_relations()) == []


def test_factgold_meets_the_issue_sizes(pairs: list) -> None:
    assert len(pairs) >= 250
    table = factgold.summary(pairs)
    for split in ("dev", "test"):
        assert sum(table[split].values()) >= 100
        assert set(table[split]) == set(factgold.LABELS)
    assert sum(p.independent for p in pairs) >= 0.8 * len(pairs)
    assert len({p.event for p in pairs}) >= 30


def _page(n: int, event: str, url: str, split: str = "dev") -> object:
    return realweb.Page(
        id=f"rw-{n:03d}",
        url=url,
        query="q",
        event=event,
        storyline=event,
        split=split,
        kind="event",
        event_date="2024-01-02",
        notes="",
    )


def _pair(
    line: int, first: str, second: str, label: str = "same_claim", **fields: object
) -> object:
    row = {
        "line": line,
        "event": "e",
        "split": "dev",
        "a": factgold.Statement(first, f"Sentence {line} of {first}."),
        "b": factgold.Statement(second, f"Sentence {line} of {second}."),
        "label": label,
        "claim": "a claim",
        "independent": True,
        "note": "",
    }
    return factgold.Pair(**{**row, **fields})


def test_factgold_problems_names_each_defect() -> None:
    pages = [
        _page(1, "e", "https://www.bbc.co.uk/news/1"),
        _page(2, "e", "https://news.bbc.co.uk/2"),
        _page(3, "e", "https://example.org/3"),
        _page(4, "other", "https://example.net/4"),
        _page(5, "e", "https://example.com/5"),
    ]
    copies = {frozenset(("rw-003", "rw-005")): "same_wire"}
    good = _pair(1, "rw-001", "rw-003")
    assert factgold.problems([good], pages, copies) == []
    bad = [
        good,
        _pair(2, "rw-001", "rw-002"),  # one site, marked independent
        _pair(3, "rw-003", "rw-005"),  # wire copies, marked independent
        _pair(4, "rw-001", "rw-004", label="agree"),  # unknown label, page of another event
        _pair(5, "rw-009", "rw-009", split="train"),
        _pair(6, "rw-001", "rw-003", a=good.a, b=good.b),
    ]
    found = "\n".join(factgold.problems(bad, pages, copies))
    assert "line 2: rw-001 / rw-002 are pages of one site" in found
    assert "line 3: rw-003 / rw-005 are same_wire copies" in found
    assert "line 4: label 'agree'" in found
    assert "line 4: page rw-004 is not in event e" in found
    assert "line 5: split 'train'" in found
    assert "line 5: page rw-009 is not in the recipe" in found
    assert "line 5: both sentences come from rw-009" in found
    assert "line 6: the same pair as line 1" in found
    assert "line 1:" not in found
    crowded = [_pair(n, "rw-001", "rw-003") for n in range(1, factgold.MAX_PER_EVENT + 2)]
    assert "event e: 16 pairs" in "\n".join(factgold.problems(crowded, pages, copies))


def test_factgold_text_problems_needs_exact_substrings(tmp_path: Path) -> None:
    (tmp_path / "rw-001.txt").write_text("He said “no”. Sentence 1 of rw-001.", encoding="utf-8")
    exact = _pair(1, "rw-001", "rw-002", a=factgold.Statement("rw-001", "He said “no”."))
    straight = _pair(2, "rw-001", "rw-002", a=factgold.Statement("rw-001", 'He said "no".'))
    found = factgold.text_problems([exact, straight], tmp_path)
    assert found == [
        f"line 1: {tmp_path}/rw-002.txt is missing",
        "line 2: not in rw-001: 'He said \"no\".'",
        f"line 2: {tmp_path}/rw-002.txt is missing",
    ]


def test_factgold_load_pairs_names_a_bad_line(tmp_path: Path) -> None:
    row = {
        "event": "e",
        "split": "dev",
        "a": {"page": "rw-001", "text": "A."},
        "b": {"page": "rw-002", "text": "B."},
        "label": "update",
        "claim": "c",
        "independent": True,
        "note": "",
    }
    path = tmp_path / "pairs.jsonl"
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    assert factgold.load_pairs(path)[0].b == factgold.Statement("rw-002", "B.")
    path.write_text(json.dumps(row) + "\n" + json.dumps({**row, "independent": "yes"}) + "\n")
    with pytest.raises(ValueError, match=r"pairs\.jsonl:2: a field has the wrong type"):
        factgold.load_pairs(path)
    path.write_text(json.dumps({**row, "a": "rw-001"}) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"pairs\.jsonl:1: not a pair line"):
        factgold.load_pairs(path)


def test_factgold_site_folds_subdomains() -> None:
    assert factgold.site("https://www.bbc.co.uk/news") == "bbc.co.uk"
    assert factgold.site("https://news.yahoo.com/x") == "yahoo.com"
    assert factgold.site("http://static1-cdn.newser.com/story") == "newser.com"
