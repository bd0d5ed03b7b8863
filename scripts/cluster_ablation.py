"""The ablation table of docs/evaluation.md ("Story clustering"): B-cubed F1 of the stream
(StoryIndex + end-of-run consolidation, as `newsloom ingest` runs it) on ECB+ and the
real-web corpus, dev and test, with one thing changed at a time.

    python scripts/cluster_ablation.py [--ecb ...] [--realweb-dev ...] [--realweb-test ...]

A row that removes a signal refits the decision without it on the dev examples
(`scripts/cluster_fit.py`); thresholds stay. Each figure is the mean over 3 arrival orders
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
from newsloom.errors import EvalDataMissing
from newsloom.evaluate.cluster import EvalSet, bcubed, stream_labels
from newsloom.pipeline import Resources

ORDERS = (0, 1, 2)


def score(evalset: EvalSet, settings: dict[str, Any]) -> float:
    runs = [
        bcubed(
            stream_labels(evalset.articles, evalset.features, settings, seed).stories,
            evalset.events,
        )[2]
        for seed in ORDERS
    ]
    return float(np.mean(runs))


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
    except EvalDataMissing as exc:
        sys.exit(f"cluster_ablation: {exc}")
    parts = [examples(sets["ECB+ dev"]), examples(sets["real-web dev"])]
    shipped = dataclasses.asdict(Settings())
    rows: list[tuple[str, dict[str, Any]]] = [("shipped", {})]
    for name in FEATURES:
        refit = fit(parts, drop=(name,))
        rows.append((f"without {name} (refit)", {"weights": refit.weights, "bias": refit.bias}))
    rows += [
        ("join at logit 1 (shipped 2)", {"join": 1.0}),
        ("join at logit 3", {"join": 3.0}),
        ("merge at logit -0.5 (shipped 0)", {"merge": -0.5}),
        ("merge at logit 0.5", {"merge": 0.5}),
        ("no time/action evidence needed to fold a lone report", {"lone_size": 0}),
        ("no name-word postings (candidates by embedding only)", {"name_keys": 0}),
    ]
    print("| change | " + " | ".join(sets) + " |\n|---|" + "---:|" * len(sets))
    for label, change in rows:
        settings = {**shipped, **change}
        cells = [f"{score(s, settings):.3f}" for s in sets.values()]
        print(f"| {label} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
