"""The paraphrase matcher with its real shipped models: decisions, traps, evidence, the eval CLI."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import load_script

from newsloom.cli import cli
from newsloom.paraphrase import (
    CHEAP_FEATURES,
    CROSSENCODER_FILE,
    SCALAR_FEATURES,
    STACK_FEATURES,
    LogisticModel,
    ParaphraseMatcher,
    evidence,
    load_model,
    pair_features,
)

# Skipped only where the cross-encoder has not been built (it ships in newsloom/data/).
SHIPPED = resources.files("newsloom") / "data" / CROSSENCODER_FILE
MISSING = f"{SHIPPED} not built: scripts/train_crossencoder.py final"


@pytest.fixture(scope="module")
def matcher() -> ParaphraseMatcher:
    if not SHIPPED.is_file():
        pytest.skip(MISSING)
    return ParaphraseMatcher()


def test_model_file_matches_features() -> None:
    model = load_model()
    assert model.gate.coef.shape == model.gate.mean.shape == (len(SCALAR_FEATURES),)
    assert model.stacker.coef.shape == (len(STACK_FEATURES),)
    assert model.cheap.coef.shape == (len(CHEAP_FEATURES),)
    assert 0.0 < model.gate_cut < model.threshold < 1.0
    # The stacker trusts the cross-encoder: a higher logit, a higher probability.
    assert model.stacker.coef[STACK_FEATURES.index("logit")] > 0


def test_number_features() -> None:
    feats = dict(
        zip(SCALAR_FEATURES, pair_features("13 people died", "12 people died", 0.9), strict=True)
    )
    assert feats["numbers_conflict"] == 1.0 and feats["numbers_same"] == 0.0
    feats = dict(
        zip(SCALAR_FEATURES, pair_features("It cost $1,500", "a $1500 bill", 0.5), strict=True)
    )
    assert feats["numbers_same"] == 1.0


def test_evidence_compares_figures_of_the_same_thing() -> None:
    rebels = evidence("The army killed 12 rebels.", "The army killed 16 rebels.")
    assert rebels.figure_conflict and not rebels.figure_match
    troops = evidence("nearly 3,000 US troops will go", "3,000 troops are to be sent")
    assert troops.figure_match and not troops.figure_conflict
    # Different counted things are not a conflict, only different numbers.
    mixed = evidence("12 rebels were killed", "16 soldiers were wounded")
    assert not mixed.figure_conflict and mixed.numbers_conflict
    assert evidence("The bill was not passed.", "The bill was passed.").negation_differs
    assert evidence("Smith met Jones.", "Smith met Brown.").names_unmatched == 2


def test_paraphrases_and_non_paraphrases(matcher: ParaphraseMatcher) -> None:
    a = [
        "3,000 US troops will be deployed to Kabul in the next two days.",
        "The company's shares fell 5 percent to $12.40 on Tuesday.",
        "Rescue teams pulled 14 survivors from the rubble of the collapsed hotel.",
        "Thirteen people were killed in the blast, police said.",
    ]
    b = [
        "The US is to send 3,000 troops to Kabul over the next two days.",
        "Shares of the company dropped 5 percent on Tuesday to close at $12.40.",
        "The hotel was built in 1962 and renovated in the 1990s.",
        "Police said 13 people died in the explosion.",
    ]
    probs = matcher.score(a, b)
    assert probs.shape == (4,)
    assert (probs[[0, 1, 3]] >= matcher.threshold).all()
    assert probs[2] < matcher.threshold
    assert matcher.same(a[1], b[1]) and not matcher.same(a[2], b[2])


TRAPS = [
    pytest.param(
        "Government troops killed 12 rebels in fierce fighting on Sunday, and six soldiers were "
        "wounded, the army said.",
        "Government troops killed 16 rebels in fierce fighting on Sunday, and one soldier was "
        "killed, the army said.",
        id="issue-11-rebels",
    ),
    pytest.param(
        "At least 13 people were killed when a car bomb exploded in the market.",
        "At least 31 people were killed when a car bomb exploded in the market.",
        id="toll",
    ),
    pytest.param(
        "The company's shares fell 5 percent to $12.40 on Tuesday.",
        "The company's shares fell 8 percent to $11.90 on Tuesday.",
        id="price",
    ),
    pytest.param(
        "The Senate approved the spending bill on Thursday by a vote of 60 to 40.",
        "The Senate did not approve the spending bill on Thursday.",
        id="negation",
    ),
    pytest.param(
        "Prime Minister Theresa May announced her resignation outside Downing Street.",
        "Foreign Secretary Boris Johnson announced his resignation outside Downing Street.",
        id="other-person",
    ),
]


@pytest.mark.parametrize(("a", "b"), TRAPS)
def test_traps_are_not_paraphrases(matcher: ParaphraseMatcher, a: str, b: str) -> None:
    assert not matcher.same(a, b)
    assert not matcher.same(b, a)


def test_figure_conflict_is_vetoed_without_the_crossencoder(matcher: ParaphraseMatcher) -> None:
    a = "Government troops killed 12 rebels in fierce fighting on Sunday, the army said."
    b = "Government troops killed 16 rebels in fierce fighting on Sunday, the army said."
    before = matcher.cost.crossencoded
    judged = matcher.judge([a, a], [b, a])
    assert judged.figure_conflict.tolist() == [True, False]
    assert judged.probability[0] < matcher.threshold <= judged.probability[1]
    # The veto decides the first pair; only the second is read by the cross-encoder.
    assert np.isnan(judged.logit[0]) and np.isfinite(judged.logit[1])
    assert matcher.cost.crossencoded == before + 1


def test_gate_spares_the_crossencoder_on_unrelated_pairs(matcher: ParaphraseMatcher) -> None:
    before = matcher.cost.crossencoded
    judged = matcher.judge(
        ["The central bank raised interest rates by a quarter point."],
        ["Heavy snow closed the mountain pass for a third day."],
    )
    assert matcher.cost.crossencoded == before
    assert np.isnan(judged.logit[0]) and judged.evidence == [None]
    assert judged.probability[0] < matcher.threshold
    assert matcher.cost.pairs > 0 and matcher.cost.ms_per_pair > 0


def test_budget_sends_the_most_doubtful_pair_to_the_crossencoder(
    matcher: ParaphraseMatcher,
) -> None:
    a = [
        "3,000 US troops will be deployed to Kabul in the next two days.",
        "The company's shares fell 5 percent to $12.40 on Tuesday.",
        "Rescue teams pulled 14 survivors from the rubble of the collapsed hotel.",
    ]
    b = [
        "The US is to send 3,000 troops to Kabul over the next two days.",
        "Shares of the company dropped 5 percent on Tuesday to close at $12.40.",
        "Rescuers said the hotel had collapsed after the quake.",
    ]
    full = matcher.judge(a, b)
    cheap = ParaphraseMatcher(
        matcher.embedder, crossencoder=matcher.crossencoder, crossencoder_pairs=0
    )
    without = cheap.judge(a, b)
    assert cheap.cost.crossencoded == 0 and np.isnan(without.logit).all()
    one = ParaphraseMatcher(
        matcher.embedder, crossencoder=matcher.crossencoder, crossencoder_pairs=1
    )
    judged = one.judge(a, b)
    assert one.cost.crossencoded == 1
    read = int(np.flatnonzero(np.isfinite(judged.logit))[0])
    candidates = [i for i, e in enumerate(without.evidence) if e and not e.figure_conflict]
    assert len(candidates) >= 2
    doubt = np.abs(without.probability[candidates] - one.threshold)
    assert read == candidates[int(np.argmin(doubt))]
    # The pair it read gets the full cascade's answer; the others keep the cheap one.
    assert judged.probability[read] == pytest.approx(full.probability[read])
    others = [i for i in range(3) if i != read]
    assert judged.probability[others] == pytest.approx(without.probability[others])


def test_empty_and_mismatched_input(matcher: ParaphraseMatcher) -> None:
    assert matcher.score([], []).shape == (0,)
    with pytest.raises(ValueError):
        matcher.score(["a"], [])


MRPC_ROWS = [
    ("1", "The US will send 3,000 troops to Kabul.", "3,000 US troops are going to Kabul."),
    ("0", "Shares fell 5 percent on Tuesday.", "The hotel was built in 1962."),
    ("1", "Police said 13 people died.", "Thirteen people were killed, police said."),
    ("0", "The army killed 12 rebels.", "The army killed 16 rebels."),
]


def _mrpc_file(path: Path) -> Path:
    lines = ["Quality\t#1 ID\t#2 ID\t#1 String\t#2 String"]
    lines += [f"{q}\t{i}\t{i + 100}\t{a}\t{b}" for i, (q, a, b) in enumerate(MRPC_ROWS)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_eval_shipped_scores_any_file(tmp_path: Path, matcher: ParaphraseMatcher) -> None:
    data = _mrpc_file(tmp_path / "pairs.tsv")
    result = CliRunner().invoke(
        cli, ["eval", "paraphrase", "--data", str(data), "--shipped", "--json"]
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout.strip().splitlines()[-1])
    assert metrics["pairs"] == 4
    assert list(metrics)[-3:] == ["f1", "precision", "recall"]
    # The figures are the matcher's own decisions counted against the labels.
    gold = [q == "1" for q, _, _ in MRPC_ROWS]
    said = [matcher.same(a, b) for _, a, b in MRPC_ROWS]
    tp = sum(g and s for g, s in zip(gold, said, strict=True))
    assert metrics["precision"] == pytest.approx(tp / max(sum(said), 1))
    assert metrics["recall"] == pytest.approx(tp / 2)
    assert metrics["figure_vetoes"] == 1  # 12 rebels / 16 rebels


def test_eval_without_shipped_refuses_other_files(tmp_path: Path) -> None:
    data = _mrpc_file(tmp_path / "pairs.tsv")
    result = CliRunner().invoke(cli, ["eval", "paraphrase", "--data", str(data)])
    assert result.exit_code == 2
    assert "--shipped" in result.stderr
    result = CliRunner().invoke(cli, ["eval", "dates", "--data", str(data), "--shipped"])
    assert result.exit_code == 2


def test_training_script_threshold_floor_and_shift() -> None:
    train = load_script("train_crossencoder")
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4])
    y = np.array([1, 1, 0, 1, 0, 0])
    # Precision of the top k: 1, 1, .67, .75, .6, .5; among cuts >= 0.7 the best F1 is at k=4.
    assert train.precise_threshold(scores, y, 0.7) == 0.6
    assert train.precise_threshold(scores, y, 0.8) == 0.8
    # The cheap stacker is shifted so that its own cut lands on the shared threshold.
    model = LogisticModel(np.zeros(1), np.ones(1), np.array([2.0]), 0.0)
    shifted = train.shift_to(model, 0.7, 0.6)
    at_cut = np.array([[np.log(0.7 / 0.3) / 2]])
    assert model.predict_proba(at_cut)[0] == pytest.approx(0.7)
    assert shifted.predict_proba(at_cut)[0] == pytest.approx(0.6)


def test_training_script_reads_the_folds_that_were_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    train = load_script("train_crossencoder")
    monkeypatch.setattr(train, "BUILD", tmp_path)
    (tmp_path / "oof-fold1.json").write_text(json.dumps({"1-2": [0.5, 0.25]}))
    pairs = train.Pairs(["1-2", "3-4"], ["a", "c"], ["b", "d"], np.array([1, 0]))
    logits = train.load_oof(pairs)
    assert logits[0].tolist() == [0.5, 0.25]
    assert np.isnan(logits[1]).all()  # its fold was never run: left out of the stacker's fit
