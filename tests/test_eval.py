"""Every `newsloom eval` command runs on a small slice of its gold data, so none can rot.

The data lives outside the repository (`../shared/eval/`); each case skips with a message
when it is missing. Full-data figures: docs/evaluation.md.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsloom.cli import cli

EVAL = Path(__file__).resolve().parent.parent.parent / "shared" / "eval"

CASES = [
    ("text", "aeb", 5, "f1"),
    ("places", "geowebnews/GWN.xml", 3, "acc_161km"),
    ("dates", "timebank", 5, "value_f1"),
    ("quotes", "polnear/dev", 3, "source_exact_f1"),
    ("cluster", "ecbplus/ecbplus.jsonl", 60, "bcubed_f1"),
    ("paraphrase", "mrpc/msr_paraphrase_train.txt", 200, "f1"),
]


@pytest.mark.parametrize(("stage", "data", "limit", "key"), CASES)
def test_eval_command_on_a_slice(stage: str, data: str, limit: int, key: str) -> None:
    path = EVAL / data
    if not path.exists():
        pytest.skip(f"evaluation data not found: {path}")
    args = ["eval", stage, "--data", str(path), "--limit", str(limit), "--json"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout.strip().splitlines()[-1])
    assert 0.0 <= metrics[key] <= 1.0
    assert metrics["stage"] == stage


def test_eval_missing_data_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["eval", "dates", "--data", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "not found" in result.stderr


def _local_set(folder: Path, text: str) -> Path:
    """A one-document local-news gold file in `folder`, as scripts/build_localplaces.py writes."""
    import hashlib

    (folder / "pages").mkdir()
    (folder / "pages" / "doc.txt").write_text(text, encoding="utf-8")
    toponyms = [
        {"start": 0, "end": 9, "text": "SAN DIEGO", "lat": 32.72, "lon": -117.16,
         "geonameid": 5391811, "kind": "literal"},
        {"start": text.index("Monroeville"), "end": text.index("Monroeville") + 11,
         "text": "Monroeville", "lat": 31.53, "lon": -87.32, "geonameid": 4075663,
         "kind": "literal"},
    ]  # fmt: skip
    record = {
        "id": "doc",
        "file": "pages/doc.txt",
        "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "toponyms": toponyms,
    }
    gold = folder / "gold.jsonl"
    gold.write_text(json.dumps(record) + "\n", encoding="utf-8")
    return gold


def test_eval_places_reads_a_local_news_set(tmp_path: Path) -> None:
    text = "SAN DIEGO (AP) — The author grew up in Monroeville, Ala., her sister said."
    gold = _local_set(tmp_path, text)
    result = CliRunner().invoke(cli, ["eval", "places", "--data", str(gold), "--json"])
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout.strip().splitlines()[-1])
    assert metrics["gold_toponyms"] == 2 and metrics["acc_161km"] == 1.0
    assert metrics["literal_detect_r_overlap"] == 1.0


def test_eval_places_refuses_a_changed_page(tmp_path: Path) -> None:
    gold = _local_set(tmp_path, "SAN DIEGO — A reporter visited Monroeville, Ala., on Monday.")
    (tmp_path / "pages" / "doc.txt").write_text("something else entirely", encoding="utf-8")
    result = CliRunner().invoke(cli, ["eval", "places", "--data", str(gold)])
    assert result.exit_code != 0 and "differs" in result.output


def test_eval_copies_names_a_bad_spun_record(tmp_path: Path) -> None:
    """A spun page without an original (or a line that is not JSON) is one line naming the
    file, exit 2, not a traceback."""
    gold = tmp_path / "copies.jsonl"
    gold.write_text(
        json.dumps({"a": "spun-1", "b": "spun-2", "label": "independent", "split": "dev"}) + "\n",
        encoding="utf-8",
    )
    spun = tmp_path / "spun.jsonl"
    for body, problem in (
        ({"id": "spun-1", "original": None, "text": "A ferry sank."}, "needs an 'original'"),
        ("{not json", "spun.jsonl:1: invalid JSON"),
    ):
        spun.write_text((body if isinstance(body, str) else json.dumps(body)) + "\n", "utf-8")
        result = CliRunner().invoke(cli, ["eval", "copies", "--data", str(gold)])
        assert result.exit_code == 2, result.output
        assert problem in result.stderr and "Traceback" not in result.output
