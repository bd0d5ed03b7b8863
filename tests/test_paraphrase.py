"""The paraphrase matcher: shipped weights, features and decisions on news sentence pairs."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from newsloom.paraphrase import SCALAR_FEATURES, ParaphraseMatcher, load_model, pair_features

MRPC = Path(__file__).resolve().parents[2] / "shared" / "eval" / "mrpc"


@pytest.fixture(scope="module")
def matcher() -> ParaphraseMatcher:
    return ParaphraseMatcher()


def test_model_file_matches_features() -> None:
    model = load_model()
    assert model.coef.shape == model.mean.shape == (len(SCALAR_FEATURES),)
    assert 0.0 < model.threshold < 1.0


def test_number_features() -> None:
    feats = dict(
        zip(SCALAR_FEATURES, pair_features("13 people died", "12 people died", 0.9), strict=True)
    )
    assert feats["numbers_conflict"] == 1.0 and feats["numbers_same"] == 0.0
    feats = dict(
        zip(SCALAR_FEATURES, pair_features("It cost $1,500", "a $1500 bill", 0.5), strict=True)
    )
    assert feats["numbers_same"] == 1.0


def test_paraphrases_and_non_paraphrases(matcher: ParaphraseMatcher) -> None:
    a = [
        "3,000 US troops will be deployed to Kabul in the next two days.",
        "The company's shares fell 5 percent to $12.40 on Tuesday.",
        "Rescue teams pulled 14 survivors from the rubble of the collapsed hotel.",
    ]
    b = [
        "The US is to send nearly 3,000 troops to Kabul airport.",
        "Shares of the company dropped 5 percent on Tuesday to close at $12.40.",
        "The hotel was built in 1962 and renovated in the 1990s.",
    ]
    probs = matcher.score(a, b)
    assert probs.shape == (3,)
    assert probs[0] >= matcher.threshold and probs[1] >= matcher.threshold
    assert probs[2] < matcher.threshold
    assert matcher.same(a[1], b[1]) and not matcher.same(a[2], b[2])


def test_conflicting_numbers_lower_the_score(matcher: ParaphraseMatcher) -> None:
    same, diff = matcher.score(
        ["Thirteen people were killed in the blast.", "13 people were killed in the blast."],
        ["13 people died in the explosion.", "31 people died in the explosion."],
    )
    assert diff < same


def test_empty_and_mismatched_input(matcher: ParaphraseMatcher) -> None:
    assert matcher.score([], []).shape == (0,)
    with pytest.raises(ValueError):
        matcher.score(["a"], [])


@pytest.mark.slow
@pytest.mark.skipif(not (MRPC / "msr_paraphrase_train.txt").exists(), reason="no MRPC data")
def test_eval_on_mrpc_sample() -> None:
    from newsloom.evaluate.paraphrase import evaluate

    result = evaluate(MRPC, limit=int(os.environ.get("MRPC_LIMIT", "400")))
    assert float(result.metrics["f1"]) > float(result.metrics["majority_f1"]) - 0.02
    assert np.isfinite(float(result.metrics["cosine_f1"]))
