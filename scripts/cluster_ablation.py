"""The ablation table of docs/evaluation.md ("Story clustering"): B-cubed F1 of the stream
(StoryIndex + end-of-run consolidation, as `newsloom ingest` runs it) on ECB+ and the
real-web corpus, dev and test, with one thing changed at a time.

    python scripts/cluster_ablation.py [--ecb ...] [--realweb-dev ...] [--realweb-test ...]

A row that removes a signal refits the decision without it on the dev examples
(`scripts/cluster_fit.py`; a signal the shipped decision leaves out, names, is added back
the same way); thresholds stay. Each figure is the mean over 3 arrival orders
(`evaluate.cluster.arrival_order`). Choices are made on the dev columns only; the test
columns are reported, never used.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import Any

import numpy as np
from cluster_fit import cached_set, examples, fit

from newsloom.cluster import FEATURES, Settings
from newsloom.errors import EvalDataError, EvalDataMissing
from newsloom.evaluate.cluster import (
    BASELINE_GRID,
    EvalSet,
    agglomerative_labels,
    bcubed,
    best_threshold,
    cosine_distances,
    score_assignment,
    stream_labels,
    tfidf_matrix,
)
from newsloom.pipeline import Resources

ORDERS = (0, 1, 2)
# Before the fourth round (main at 539b5ca): the decision fit on the 129-page real-web dev
# half, merging at logit 0, stories leaving the window from the first report.
PREVIOUS: dict[str, Any] = {
    "weights": {
        "embedding": 3.75,
        "body": 10.09,
        "lead": 7.66,
        "names": 1.87,
        "numbers": 2.36,
        "actions": -0.12,
        "date": 1.85,
        "weekday": 1.42,
        "year": 1.06,
    },
    "bias": -8.07,
    "merge": 0.0,
    "settle_docs": 0,
    "merge_stories": 0.0,
}

# Before the sixth round (main at d88782a): a lone report folded only at `merge` (-0.25).
FIFTH: dict[str, Any] = {"lone_merge": -0.25, "lone_actions": 0.1}

# Before the seventh round (main at 9ffa7b9): names in the decision, fit on 187 dev pages.
SIXTH: dict[str, Any] = {
    "weights": {
        "embedding": 4.4,
        "body": 10.64,
        "lead": 6.46,
        "names": 1.73,
        "numbers": 3.16,
        "actions": -0.4,
        "date": 2.63,
        "weekday": 1.55,
        "year": 1.18,
    },
    "bias": -8.32,
    "merge_stories": -0.25,
}

# Before the tenth round (main at fdd030f): fit on 215 dev pages; two stories of several
# reports merged from `merge` like any.
SEVENTH: dict[str, Any] = {
    "weights": {
        "embedding": 4.9,
        "body": 11.84,
        "lead": 6.22,
        "names": 0.0,
        "numbers": 3.59,
        "actions": 0.08,
        "date": 2.42,
        "weekday": 1.45,
        "year": 1.28,
    },
    "bias": -8.28,
    "merge_stories": -0.25,
}


def score(evalset: EvalSet, settings: dict[str, Any]) -> float:
    runs = [
        bcubed(
            stream_labels(evalset.articles, evalset.features, settings, seed).stories,
            evalset.events,
        )[2]
        for seed in ORDERS
    ]
    return float(np.mean(runs))


def headline(sets: dict[str, EvalSet]) -> None:
    """The headline table: the shipped stream (arrival order 0, what `newsloom eval cluster`
    prints, and the mean of 3 orders) beside TF-IDF + average link cut where dev chose."""

    def tfidf(part: EvalSet, threshold: float) -> list[str]:
        texts = [f"{a.title}\n{a.text}" for a in part.articles]
        return agglomerative_labels(cosine_distances(tfidf_matrix(texts)), threshold)

    cut = {
        name: best_threshold(lambda t, d=sets[name]: tfidf(d, t), sets[name].events, BASELINE_GRID)[
            0
        ]
        for name in ("ECB+ dev", "real-web dev")
    }
    print(
        "| set | B³ P / R / F1 (order 0) | B³ F1, mean of 3 orders | pairwise F1 | V-measure"
        " | storyline pairwise F1 | TF-IDF + avg link (dev cut) |"
    )
    print("|---|---|---:|---:|---:|---:|---:|")
    for name, part in sets.items():
        m = score_assignment(part, stream_labels(part.articles, part.features))
        mean = score(part, {})
        base = bcubed(
            tfidf(part, cut["ECB+ dev" if "ECB" in name else "real-web dev"]), part.events
        )[2]
        line = f"{m['storyline_pairwise_f1']:.3f}" if "storyline_pairwise_f1" in m else "—"
        print(
            f"| {name} ({m['documents']} docs) | {m['bcubed_p']:.3f} / {m['bcubed_r']:.3f} /"
            f" **{m['bcubed_f1']:.3f}** | {mean:.3f} | {m['pairwise_f1']:.3f} |"
            f" {m['v_measure']:.3f} | {line} | {base:.3f} |",
            flush=True,
        )
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ecb", type=Path, default=Path("../shared/eval/ecbplus/ecbplus.jsonl"))
    parser.add_argument("--realweb-dev", type=Path, default=Path("evalsets/realweb/dev.jsonl"))
    parser.add_argument("--realweb-test", type=Path, default=Path("evalsets/realweb/test.jsonl"))
    parser.add_argument("--cache", type=Path, default=Path(".cache/eval"))
    args = parser.parse_args()
    resources = Resources()
    try:
        ecb = cached_set(args.ecb, args.cache, resources)
        sets = {
            "ECB+ dev": ecb.subset("dev"),
            "ECB+ test": ecb.subset("test"),
            "real-web dev": cached_set(args.realweb_dev, args.cache, resources),
            "real-web test": cached_set(args.realweb_test, args.cache, resources),
        }
    except (EvalDataMissing, EvalDataError) as exc:
        sys.exit(f"cluster_ablation: {exc}")
    headline(sets)
    parts = [examples(sets["ECB+ dev"]), examples(sets["real-web dev"])]
    shipped = dataclasses.asdict(Settings())
    rows: list[tuple[str, dict[str, Any]]] = [("shipped", {})]
    left_out = tuple(name for name in FEATURES if not shipped["weights"].get(name))
    for name in FEATURES:
        if name in left_out:
            refit = fit(parts, drop=tuple(x for x in left_out if x != name))
            label = f"with {name} (refit)"
        else:
            refit = fit(parts, drop=(name, *left_out))
            label = f"without {name} (refit)"
        rows.append((label, {"weights": refit.weights, "bias": refit.bias}))
    rows += [
        (
            "two stories of 4+ reports merge from `merge` like any (shipped 0.5)",
            {"merge_stories": -0.25},
        ),
        ("two stories of 4+ reports merge from logit 1", {"merge_stories": 1.0}),
        ("two stories of 3+ reports merge from logit 0.5 (shipped 4+)", {"story_size": 3}),
        ("two stories of 5+ reports merge from logit 0.5", {"story_size": 5}),
        ("join at logit 1 (shipped 2)", {"join": 1.0}),
        ("join at logit 3", {"join": 3.0}),
        ("merge at logit -0.5 (shipped -0.25)", {"merge": -0.5}),
        ("merge at logit 0", {"merge": 0.0}),
        ("no time/action evidence needed to fold a lone report", {"lone_size": 0}),
        ("a lone report with evidence folds from logit -0.25 (shipped -1)", {"lone_merge": -0.25}),
        ("a lone report with evidence folds from logit -1.5", {"lone_merge": -1.5}),
        ("shared lead verbs count as evidence from 0.1 (shipped 0.05)", {"lone_actions": 0.1}),
        ("shared lead verbs count as evidence from 0.03", {"lone_actions": 0.03}),
        ("no name-word postings (candidates by embedding only)", {"name_keys": 0}),
        ("stories leave the window from the first report (settle_docs 0)", {"settle_docs": 0}),
        ("previous decision (fit on the 129-page dev half, merge 0, settle_docs 0)", PREVIOUS),
        ("fifth round (lone report with evidence from -0.25, verbs from 0.1)", {**SIXTH, **FIFTH}),
        ("sixth round (names in the decision, fit on 187 dev pages)", SIXTH),
        ("seventh round (fit on 215 dev pages, no `merge_stories`; main at fdd030f)", SEVENTH),
    ]
    print("| change | " + " | ".join(sets) + " |\n|---|" + "---:|" * len(sets))
    for label, change in rows:
        settings = {**shipped, **change}
        cells = [f"{score(s, settings):.3f}" for s in sets.values()]
        print(f"| {label} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
