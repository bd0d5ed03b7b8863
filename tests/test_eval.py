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
