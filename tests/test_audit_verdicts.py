"""scripts/audit_verdicts.py scores the editor's labels right, and the committed labels parse.

Runs on hand-made labels and sheets (the page texts are not in git), so it runs in CI.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import load_script

ROOT = Path(__file__).resolve().parent.parent
audit = load_script("audit_verdicts")


def _write(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _label(key: str, status: str, why: str) -> dict[str, object]:
    return {"event": "e", "key": key, "status": status, "right": why == "ok", "why": why,
            "claim": "a claim"}  # fmt: skip


def test_score_gives_precision_and_error_kinds_per_status(tmp_path: Path) -> None:
    labels = audit.load_labels(
        _write(
            tmp_path / "labels.jsonl",
            [
                _label("k1", "corroborated", "ok"),
                _label("k2", "corroborated", "ok"),
                _label("k3", "corroborated", "same_outlet"),
                _label("k4", "corroborated", "minor_part"),
                _label("k5", "conflict", "parse_artefact"),
                _label("k6", "update", "ok"),
            ],
        )
    )
    result = audit.score(labels)
    assert result.precision("corroborated") == 0.5
    assert result.precision("conflict") == 0.0
    assert result.precision("update") == 1.0
    assert result.errors["corroborated"] == {"same_outlet": 1, "minor_part": 1}
    assert result.errors["conflict"] == {"parse_artefact": 1}


def test_score_with_a_sheet_counts_only_its_facts_and_lists_unlabelled(tmp_path: Path) -> None:
    labels = audit.load_labels(
        _write(
            tmp_path / "labels.jsonl",
            [_label("k1", "corroborated", "ok"), _label("k2", "corroborated", "furniture")],
        )
    )
    sheet = [
        {"event": "e", "key": "k2", "status": "corroborated", "claim": "x"},
        {"event": "e", "key": "k2", "status": "corroborated", "claim": "x"},  # a duplicate fact
        {"event": "e", "key": "k1", "status": "conflict", "claim": "y"},  # status changed
        {"event": "e", "key": "k9", "status": "single", "claim": "z"},  # not audited
    ]
    result = audit.score(labels, sheet)
    assert result.total == {"corroborated": 1}
    assert result.precision("corroborated") == 0.0
    assert [(r["key"], r["status"]) for r in result.unlabelled] == [("k1", "conflict")]


def test_a_label_read_for_another_shown_sentence_is_stale(tmp_path: Path) -> None:
    """The key is the cited sentences; a fact that now shows another of them is read again."""
    rows = [{**_label("k1", "corroborated", "ok"), "shown": "The ferry sank."}]
    labels = audit.load_labels(_write(tmp_path / "labels.jsonl", rows))
    same = [{"event": "e", "key": "k1", "status": "corroborated", "claim": "The ferry sank."}]
    other = [{**same[0], "claim": "Four people died."}]
    assert audit.score(labels, same).total == {"corroborated": 1}
    assert audit.score(labels, other).total == {}
    assert [r["claim"] for r in audit.score(labels, other).unlabelled] == ["Four people died."]


@pytest.mark.parametrize(
    "row",
    [
        {**_label("k", "corroborated", "ok"), "why": "looks fine"},
        {**_label("k", "single", "ok")},
        {**_label("k", "corroborated", "ok"), "right": False},
        {"event": "e", "key": "k", "status": "corroborated", "right": True},
    ],
)
def test_load_labels_refuses_a_malformed_line_naming_it(tmp_path: Path, row: dict) -> None:
    path = _write(tmp_path / "labels.jsonl", [_label("k0", "conflict", "ok"), row])
    with pytest.raises(ValueError, match=r"labels\.jsonl:2"):
        audit.load_labels(path)


def test_fact_key_ignores_citation_order_and_repeats() -> None:
    a = {"article_id": "rw-001", "text": "One."}
    b = {"article_id": "rw-002", "text": "Two."}
    assert audit.fact_key([a, b]) == audit.fact_key([b, a, b])
    assert audit.fact_key([a, b]) != audit.fact_key([a, {**b, "text": "Two!"}])


def test_committed_labels_parse_and_paraphrase_briefly() -> None:
    labels = audit.load_labels(ROOT / "evalsets" / "audit" / "labels.jsonl")
    assert len(labels) >= 100
    assert all(len(label.claim.split()) <= 15 for label in labels)
    assert len({(label.key, label.status) for label in labels}) == len(labels)
