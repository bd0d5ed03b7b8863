"""Streaming StoryIndex against batch clustering on ECB+: quality and time, same run.

    python bench/bench_cluster_ecb.py [--data ../shared/eval/ecbplus/ecbplus.jsonl]

Systems, all on the same precomputed MiniLM embeddings (their cost is reported once):
- newsloom `StoryIndex` (streaming, one pass, shipped settings);
- BERTopic-style batch: embeddings -> PCA to 5 dimensions -> HDBSCAN over everything
  (BERTopic uses UMAP, which is not installed here; PCA is the stand-in);
- embeddings + average-link agglomerative; TF-IDF + average-link agglomerative.
Every batch parameter is chosen on the dev topics (1-35); B-cubed F1 is reported on the
test topics (36-45) and on all 982 documents. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from newsloom.errors import EvalDataError, EvalDataMissing
from newsloom.evaluate.cluster import (
    agglomerative_labels,
    bcubed,
    cosine_distances,
    prepare,
    read_eval_set,
    stream_labels,
    tfidf_matrix,
)
from newsloom.pipeline import Resources


def hdbscan_labels(embeddings: np.ndarray, min_size: int) -> list[str]:
    """BERTopic's recipe with PCA for UMAP; HDBSCAN noise points become singletons."""
    from sklearn.cluster import HDBSCAN
    from sklearn.decomposition import PCA

    reduced = PCA(n_components=5, random_state=0).fit_transform(embeddings)
    labels = HDBSCAN(min_cluster_size=min_size, copy=True).fit_predict(reduced)
    return [str(x) if x >= 0 else f"noise{i}" for i, x in enumerate(labels)]


def fixed_cut(
    cut_at: Callable[[list[int], float], list[str]], threshold: float
) -> Callable[[list[int]], list[str]]:
    """`cut_at` with its threshold fixed (the one chosen on dev)."""
    return lambda idx: cut_at(idx, threshold)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/eval/ecbplus/ecbplus.jsonl")
    args = parser.parse_args()
    try:
        evalset = read_eval_set(Path(args.data))
    except (EvalDataMissing, EvalDataError) as exc:
        sys.exit(f"bench: {exc}")
    gold = np.array(evalset.events)
    dev = [i for i, s in enumerate(evalset.splits) if s == "dev"]
    test = [i for i, s in enumerate(evalset.splits) if s == "test"]
    everything = list(range(len(gold)))

    start = time.perf_counter()
    prepare(evalset, Resources())
    arts, feats = evalset.articles, evalset.features
    embed_secs = time.perf_counter() - start
    embeddings = np.stack([f.embedding for f in feats])
    print(f"extraction and features: {embed_secs:.1f}s", file=sys.stderr)

    def score(labels_of: Callable[[list[int]], list[str]]) -> tuple[float, float, float]:
        """B-cubed F1 on test and on all, and the seconds the run on all took."""
        on_test = bcubed(labels_of(test), list(gold[test]))[2]
        begin = time.perf_counter()
        on_all = bcubed(labels_of(everything), list(gold))[2]
        return on_test, on_all, time.perf_counter() - begin

    def tuned(label_fn: Callable[[list[int], float], list[str]], grid: list[float]) -> float:
        return max(grid, key=lambda p: bcubed(label_fn(dev, p), list(gold[dev]))[2])

    tfidf = tfidf_matrix([a.text for a in arts])

    def agglo(matrix: Any) -> Callable[[list[int], float], list[str]]:
        """Average link over the rows `idx` (distances computed inside, so they are timed)."""
        return lambda idx, t: agglomerative_labels(cosine_distances(matrix[idx]), t)

    def hdb(idx: list[int], size: float) -> list[str]:
        return hdbscan_labels(embeddings[idx], int(size))

    thresholds = [round(0.3 + 0.025 * i, 3) for i in range(25)]
    systems: list[tuple[str, Callable[[list[int]], list[str]], str]] = [
        (
            "newsloom StoryIndex (streaming)",
            lambda idx: stream_labels([arts[i] for i in idx], [feats[i] for i in idx]).stories,
            "shipped settings",
        )
    ]
    size = tuned(hdb, [2, 3, 4, 5, 6, 8, 10])
    systems.append(
        ("BERTopic-style: PCA + HDBSCAN", lambda idx: hdb(idx, size), f"min_cluster_size {size}")
    )
    for name, matrix in (("embeddings", embeddings), ("TF-IDF", tfidf)):
        cut_at = agglo(matrix)
        t = tuned(cut_at, thresholds)
        systems.append((f"{name} + average link (batch)", fixed_cut(cut_at, t), f"cut {t}"))

    print("\n| system | parameters (dev) | B³ F1 test | B³ F1 all | seconds on all 982 |")
    print("|---|---|---:|---:|---:|")
    for name, labels_of, params in systems:
        on_test, on_all, secs = score(labels_of)
        print(f"| {name} | {params} | {on_test:.3f} | {on_all:.3f} | {secs:.2f} |")
    print(f"\nShared cost (spaCy extraction and features of 982 documents): {embed_secs:.1f}s")


if __name__ == "__main__":
    main()
