"""The committed spun ECB+ copy gold is well-formed, and scripts/spun.py finds what breaks it.

Reads only evalsets/spun/*.jsonl, so it runs in CI; the checks against the ECB+ texts
themselves run where ../shared/eval/ecbplus is present and skip elsewhere.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from conftest import load_script

ROOT = Path(__file__).resolve().parent.parent


spun = load_script("spun")


@pytest.fixture(scope="module")
def rewrites() -> list:
    loaded, problems = spun.load_rewrites()
    assert problems == []
    return loaded


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return [json.loads(line) for line in spun.COPIES.read_text(encoding="utf-8").splitlines()]


def test_spun_copy_gold_is_well_formed(rewrites: list) -> None:
    assert spun.copy_problems(rewrites, None) == []


def test_spun_copy_gold_keys_match_the_realweb_gold(rows: list[dict]) -> None:
    realweb = ROOT / "evalsets" / "realweb" / "copies.jsonl"
    first = json.loads(realweb.read_text(encoding="utf-8").splitlines()[0])
    assert all(list(row) == list(first) for row in rows)


def test_spun_gold_meets_the_brief_sizes(rewrites: list, rows: list[dict]) -> None:
    by_split = Counter(r.split for r in rewrites)
    assert by_split["dev"] >= 20 and by_split["test"] >= 10
    assert set(Counter(r.style for r in rewrites)) == set(spun.STYLES)
    assert len({r.original_id.split("_")[0] for r in rewrites}) >= 25  # many topics
    ecb_pairs = [r for r in rows if r["article_id"].startswith("ecb:")]
    ecb_pairs = [r for r in ecb_pairs if r["original_id"].startswith("ecb:")]
    same = [r for r in ecb_pairs if r["relation"] == "independent" and r["same_event"]]
    assert len(same) >= 30
    cross = [r for r in rows if not r["same_event"]]
    assert len(cross) >= 10
    assert all(r["relation"] == "independent" for r in cross)
    assert any(r["article_id"].startswith("spun-") for r in cross)
    assert {r["relation"] for r in rows} == set(spun.RELATIONS)
    for split in spun.SPLITS:
        assert sum(r["split"] == split for r in rows) >= 40


def test_spun_story_and_split_follow_the_ecb_topics() -> None:
    assert spun.story_of("ecb:12_1ecbplus") == "12-ecbplus"
    assert spun.story_of("ecb:12_1ecb") == "12-ecb"
    assert spun.story_of("ecb:12_1") is None
    assert spun.split_of_story("35-ecb") == "dev"
    assert spun.split_of_story("36-ecbplus") == "test"


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_spun_load_rewrites_names_bad_lines(tmp_path: Path) -> None:
    good = {"id": "spun-001", "original_id": "ecb:1_1ecb", "style": "spun", "split": "dev"}
    text = {"text": "word " * 30}
    bad = [
        {**good, **text},
        {**good, **text, "id": "spun-001", "split": "test"},  # duplicate id, topic 1 is dev
        {**good, **text, "id": "spun-003", "style": "rewrite", "original_id": "1_1ecb"},
        {**good, "id": "spun-004", "text": "too short"},
        {**good, "id": "spun-005"},  # no text key
    ]
    loaded, found = spun.load_rewrites(_write(tmp_path / "spun.jsonl", bad))
    report = "\n".join(found)
    assert len(loaded) == 4
    assert "spun-001 is in split 'test', its topic in dev" in report
    assert "spun id spun-001 appears 2 times" in report
    assert "style 'rewrite'" in report
    assert "original_id '1_1ecb' is not ecb:<ECB+ id>" in report
    assert "spun-004 has under 20 words" in report
    assert "spun line 5: needs exactly the string keys" in report


def test_spun_copy_problems_names_bad_rows(tmp_path: Path) -> None:
    rewrite = spun.Rewrite("spun-001", "ecb:1_1ecb", "spun", "dev", "text")
    base = {"split": "dev", "same_event": True, "note": ""}
    bad = [
        {**base, "article_id": "spun-002", "original_id": "ecb:1_1ecb", "relation": "derived"},
        {**base, "article_id": "spun-001", "original_id": "ecb:40_1ecb", "relation": "derived"},
        {**base, "article_id": "ecb:1_2ecb", "original_id": "ecb:1_3ecb", "relation": "copied"},
        {
            **base,
            "article_id": "ecb:1_2ecbplus",
            "original_id": "ecb:1_3ecb",
            "relation": "derived",
        },
        {**base, "article_id": "ecb:1_3ecb", "original_id": "ecb:1_2ecb", "relation": "same_wire"},
        {**base, "article_id": "ecb:1_4ecb", "original_id": "ecb:1_4ecb", "relation": "derived"},
        {"article_id": "ecb:1_5ecb", "original_id": "ecb:1_6ecb", "relation": "derived"},
    ]
    found = "\n".join(spun.copy_problems([rewrite], None, _write(tmp_path / "c.jsonl", bad)))
    assert "copies line 1: unknown id spun-002" in found
    assert "spun-001 and ecb:40_1ecb are not both in split dev" in found
    assert "same_event is wrong for spun-001 / ecb:40_1ecb" in found
    assert "relation 'copied'" in found
    assert "same_event is wrong for ecb:1_2ecbplus / ecb:1_3ecb" in found
    assert "ecb:1_3ecb / ecb:1_2ecb labelled twice" in found
    assert "ecb:1_4ecb is paired with itself" in found
    assert "copies line 7: needs exactly the keys" in found
    assert "spun-001: no derived row to its original ecb:1_1ecb" in found
    known = {"ecb:1_2ecb": {"text": "t", "url": ""}, "ecb:1_3ecb": {"text": "t", "url": ""}}
    found = "\n".join(spun.copy_problems([rewrite], known, tmp_path / "c.jsonl"))
    assert "copies line 4: unknown id ecb:1_2ecbplus" in found


needs_ecbplus = pytest.mark.skipif(not spun.ECBPLUS.is_file(), reason="ECB+ not in ../shared")


@needs_ecbplus
def test_spun_ids_resolve_in_ecbplus(rewrites: list) -> None:
    ecb = spun.load_ecbplus(spun.ECBPLUS)
    assert spun.copy_problems(rewrites, ecb) == []
    assert all(r.original_id in ecb for r in rewrites)


@needs_ecbplus
def test_spun_rewrites_reword_their_originals(rewrites: list) -> None:
    """A spun rewrite keeps few of its original's word 8-grams; a light edit keeps many."""
    ecb = spun.load_ecbplus(spun.ECBPLUS)

    def grams(text: str) -> set[tuple[str, ...]]:
        words = re.findall(r"\w+", text.lower())
        return {tuple(words[i : i + 8]) for i in range(len(words) - 7)}

    for r in rewrites:
        mine = grams(r.text)
        shared = len(mine & grams(ecb[r.original_id]["text"])) / len(mine)
        if r.style in ("spun", "light"):
            assert shared <= 0.2 if r.style == "spun" else shared >= 0.15, (r.id, shared)


@needs_ecbplus
def test_spun_build_writes_every_labelled_text(tmp_path: Path, rewrites: list) -> None:
    ecb = spun.load_ecbplus(spun.ECBPLUS)
    spun.build(rewrites, ecb, tmp_path)
    built = {}
    for split in spun.SPLITS:
        for line in (tmp_path / f"{split}.jsonl").read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            assert spun.split_of_story(row["event"]) == split
            built[row["id"]] = row
    copies = [json.loads(line) for line in spun.COPIES.read_text(encoding="utf-8").splitlines()]
    labelled = {i for row in copies for i in (row["article_id"], row["original_id"])}
    assert labelled <= set(built)
    assert built["spun-001"]["event"] == "1-ecb"
