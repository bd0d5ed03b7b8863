"""The ablation table of docs/evaluation.md ("Story clustering"): B-cubed F1 of the
streaming StoryIndex on ECB+ dev, test and all, with one setting changed at a time.

    python scripts/cluster_ablation.py [--data ../shared/eval/ecbplus/ecbplus.jsonl]

Settings are chosen on the dev column only; test and all are reported, not used.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from newsloom.cluster import article_features
from newsloom.errors import EvalDataMissing
from newsloom.evaluate.cluster import bcubed, in_split, load_articles, stream_labels
from newsloom.nlp import load_embedder

ROWS: list[tuple[str, dict[str, Any]]] = [
    ("base signals only", {"w_names": 0, "w_numbers": 0, "small_story": 0, "w_year": 0.05}),
    ("+ names and numbers channels", {"small_story": 0, "w_year": 0.05}),
    ("+ average-link consolidation (<= 3 articles, >= 0.15)", {"w_year": 0.05}),
    ("+ year weight 0.1 (shipped)", {}),
    (
        "shipped, consolidation >= 0.10 and <= 5 articles",
        {"consolidate_threshold": 0.1, "small_story": 5},
    ),
    ("shipped without the numbers channel", {"w_numbers": 0}),
    ("shipped without the names channel", {"w_names": 0}),
    ("shipped with 2 candidates", {"candidates": 2}),
    ("shipped with 4 candidates", {"candidates": 4}),
    ("shipped with 6 candidates", {"candidates": 6}),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/eval/ecbplus/ecbplus.jsonl")
    args = parser.parse_args()
    try:
        docs, arts = load_articles(Path(args.data))
    except EvalDataMissing as exc:
        sys.exit(f"cluster_ablation: {exc}")
    feats = article_features(arts, load_embedder())
    print("| change | dev | test | all |\n|---|---:|---:|---:|")
    for name, settings in ROWS:
        scores = []
        for split in ("dev", "test", "all"):
            idx = [i for i, d in enumerate(docs) if in_split(d, split)]
            pred = stream_labels([arts[i] for i in idx], [feats[i] for i in idx], settings)
            scores.append(bcubed(pred, [docs[i]["story"] for i in idx])[2])
        print(f"| {name} | " + " | ".join(f"{x:.3f}" for x in scores) + " |", flush=True)


if __name__ == "__main__":
    main()
