"""Fit the story decision (`cluster.FITTED_WEIGHTS`, `FITTED_BIAS`) on dev data of two corpora.

    python scripts/cluster_fit.py [--ecb ../shared/eval/ecbplus/ecbplus.jsonl]
                                  [--realweb evalsets/realweb/dev.jsonl] [--cache .cache/eval]
                                  [--check] [--cv] [--drop SIGNAL ...]

Examples are what the stream decides on: an article against a story. For every dev article,
positives are the article against its own event's other reports (one of them, half of them,
all of them: stories of different sizes); negatives are the article against the other events
of its storyline (ECB+: its topic) and against the 5 events nearest its embedding, at the same
sizes. Each example's signals are the average links `cluster.link_features` computes, with
IDF from the whole dev set. A logistic regression (corpus-balanced sample weights, so ECB+'s
772 dev documents do not drown the 346 real-web ones) gives the weights; the thresholds
(`Settings.join`, `Settings.merge`) are then chosen on the dev streams with
`scripts/cluster_ablation.py`. Only dev halves are read: ECB+ topics 1-35, realweb dev.jsonl.

`--check` also says how a fit generalises, by what the stream makes of data the fit did not
see (B-cubed F1, mean of 3 arrival orders): fit on one dev corpus, scored on the other; and
fit on one half of each dev corpus (split by storyline, ECB+ by topic), scored on the other
half. Two cautions from measuring it (docs/evaluation.md): the real-web halves hold about ten
storylines each, so the half-split figure moves by several points with any change; and
neither check predicted the real-web test half's verdict on a simpler decision.

`--cv` cross-validates the joint fit by storyline (`grouped_cv`): B-cubed F1 of each corpus
over streams of storylines the fit did not see, and the held-out examples' log-loss (pooled
per corpus, the corpora weighing the same).
`--drop` leaves signals out of the fit (and of both checks).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import pickle
import sys
import zlib
from collections import defaultdict
from pathlib import Path

import numpy as np

from newsloom.cluster import FEATURES, STATE_VERSION, Settings, StoryIndex, _Agg, link_features
from newsloom.errors import EvalDataError, EvalDataMissing
from newsloom.evaluate.cluster import (
    EvalSet,
    bcubed,
    groups_of,
    prepare,
    read_eval_set,
    stream_labels,
)
from newsloom.pipeline import Resources


def cached_set(data: Path, cache: Path, resources: Resources) -> EvalSet:
    """`read_eval_set` + `prepare` (extraction and features), kept in `cache` by the data
    file's hash and the index version (extraction takes minutes on ECB+). A change to
    how features are made (`cluster.article_features`) needs the cache emptied."""
    key = hashlib.sha1(data.read_bytes()).hexdigest()[:16]
    path = cache / f"{data.stem}-{key}-v{STATE_VERSION}.pkl"
    if path.exists():
        evalset: EvalSet = pickle.loads(path.read_bytes())
        return evalset
    evalset = prepare(read_eval_set(data), resources)
    cache.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(evalset))
    return evalset


def examples(
    evalset: EvalSet, settings: Settings | None = None, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(features, same event?, the article's storyline) for article-against-story examples
    (see module docstring)."""
    index = StoryIndex(settings)
    for f in evalset.features:
        index._docs += 1
        for ids, _ in f.terms.values():
            index._df[ids] += 1
    aggs = [index._article_agg(f) for f in evalset.features]
    by_event: dict[str, list[int]] = defaultdict(list)
    for i, event in enumerate(evalset.events):
        by_event[event].append(i)
    groups = groups_of(evalset)

    def agg_of(ids: list[int]) -> _Agg:
        total = _Agg()
        for i in ids:
            total.add(aggs[i], 10**6)
        return total

    centroid = {}
    for event, ids in by_event.items():
        vec = np.sum([evalset.features[i].embedding for i in ids], axis=0)
        centroid[event] = vec / np.linalg.norm(vec)
    rng = np.random.default_rng(seed)
    rows, labels, lines = [], [], []
    for i, f in enumerate(evalset.features):
        own = evalset.events[i]
        siblings = {evalset.events[j] for j, g in enumerate(groups) if g == groups[i]}
        near = sorted(
            (e for e in by_event if e != own), key=lambda e: -float(centroid[e] @ f.embedding)
        )
        for event in sorted(siblings | set(near[:5])):
            ids = [j for j in by_event[event] if j != i]
            for size in sorted({1, max(1, len(ids) // 2), len(ids)} if ids else set()):
                sample = [int(x) for x in rng.choice(ids, size=size, replace=False)]
                rows.append(link_features(aggs[i], agg_of(sample)))
                labels.append(event == own)
                lines.append(groups[i])
    return np.array(rows), np.array(labels), np.array(lines)


def fit(parts: list[tuple[np.ndarray, ...]], drop: tuple[str, ...] = ()) -> Settings:
    """Logistic regression over the examples of every corpus, each corpus weighing the
    same; `drop` leaves signals out (their weight is 0)."""
    from sklearn.linear_model import LogisticRegression

    keep = [k for k, name in enumerate(FEATURES) if name not in drop]
    x = np.vstack([p[0][:, keep] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    w = np.concatenate([np.full(len(p[1]), 1.0 / len(p[1])) for p in parts])
    model = LogisticRegression(C=1.0, max_iter=5000).fit(x, y, sample_weight=w * len(y) / w.sum())
    weights = dict.fromkeys(FEATURES, 0.0)
    for k, coef in zip(keep, model.coef_[0], strict=True):
        weights[FEATURES[k]] = round(float(coef), 2)
    return Settings(weights=weights, bias=round(float(model.intercept_[0]), 2))


def stream_f1(evalset: EvalSet, settings: Settings, orders: tuple[int, ...] = (0, 1, 2)) -> float:
    """B-cubed F1 of the stream (`newsloom ingest`'s path), mean of a few arrival orders."""
    opts = dataclasses.asdict(settings)
    return float(
        np.mean(
            [
                bcubed(
                    stream_labels(evalset.articles, evalset.features, opts, o).stories,
                    evalset.events,
                )[2]
                for o in orders
            ]
        )
    )


def halves(evalset: EvalSet) -> list[EvalSet]:
    """Two halves split by storyline (ECB+: topic), so no event is in both."""
    groups = groups_of(evalset)
    return [
        evalset.take([i for i, g in enumerate(groups) if zlib.crc32(g.encode()) % 2 == half])
        for half in (0, 1)
    ]


def check(sets: dict[str, EvalSet], drop: tuple[str, ...] = ()) -> dict[str, float]:
    """B-cubed F1 on dev data each fit did not see (see module docstring)."""
    out = {}
    ex = {name: examples(s) for name, s in sets.items()}
    for src, dst in (("ecb", "realweb"), ("realweb", "ecb")):
        out[f"fit_{src}_scored_{dst}"] = stream_f1(sets[dst], fit([ex[src]], drop))
    parts = {name: halves(s) for name, s in sets.items()}
    part_ex = {name: [examples(p) for p in ps] for name, ps in parts.items()}
    for name in sets:
        scores = []
        for half in (0, 1):
            fitted = fit([part_ex[n][1 - half] for n in sets], drop)
            scores.append(stream_f1(parts[name][half], fitted))
        out[f"fit_other_halves_scored_{name}"] = float(np.mean(scores))
    full = fit(list(ex.values()), drop)
    out |= {f"fit_all_scored_{name}": stream_f1(s, full) for name, s in sets.items()}
    return {k: round(v, 3) for k, v in out.items()}


def grouped_cv(
    sets: dict[str, EvalSet],
    drop: tuple[str, ...] = (),
    folds: int = 5,
    seeds: int = 3,
    options: dict[str, object] | None = None,
) -> dict[str, float]:
    """Cross-validation by storyline (ECB+: topic) on both dev corpora at once: each fold's
    storylines are left out of the fit, and the stream runs on them alone. Gives the
    B-cubed F1 of each corpus over all folds' stories (mean of 3 orders), how far apart the
    orders lie (best minus worst) and the log-loss of the held-out examples, each the mean
    over `seeds` ways of drawing the folds. Fold
    streams are small (a fifth of a corpus), so compare decisions, not these figures with
    a whole stream's. `options`: other settings of the fold streams (thresholds)."""
    ex = {name: examples(s) for name, s in sets.items()}
    f1s: dict[str, list[float]] = defaultdict(list)
    spreads: dict[str, list[float]] = defaultdict(list)  # best minus worst arrival order
    losses: dict[str, list[float]] = defaultdict(list)  # per held-out example, per corpus
    for seed in range(seeds):

        def fold(line: str, seed: int = seed) -> int:
            return zlib.crc32(f"{seed}:{line}".encode()) % folds

        pred = {name: [[""] * len(s.events) for _ in range(3)] for name, s in sets.items()}
        for k in range(folds):
            train = [
                (x[mask], y[mask])
                for x, y, g in ex.values()
                if (mask := np.array([fold(v) != k for v in g])).any()
            ]
            fitted = fit(train, drop)
            w, b = fitted.weight_vector(), fitted.bias
            for name, s in sets.items():
                x, y, g = ex[name]
                test = np.array([fold(v) == k for v in g], dtype=bool)
                p = np.clip(1 / (1 + np.exp(-(b + x[test] @ w))), 1e-6, 1 - 1e-6)
                losses[name].extend(-(y[test] * np.log(p) + (1 - y[test]) * np.log(1 - p)))
                keep = [i for i, v in enumerate(groups_of(s)) if fold(v) == k]
                if not keep:  # no storyline of this corpus fell in this fold
                    continue
                part = s.take(keep)
                opts = {
                    **dataclasses.asdict(Settings()),
                    **(options or {}),
                    "weights": fitted.weights,
                    "bias": b,
                }
                for order in range(3):
                    labels = stream_labels(part.articles, part.features, opts, order).stories
                    for i, label in zip(keep, labels, strict=True):
                        pred[name][order][i] = f"{k}:{label}"
        for name, s in sets.items():
            by_order = [bcubed(p, s.events)[2] for p in pred[name]]
            f1s[name].append(float(np.mean(by_order)))
            spreads[name].append(max(by_order) - min(by_order))
    out = {f"cv_bcubed_f1_{name}": float(np.mean(v)) for name, v in f1s.items()}
    out |= {f"cv_order_spread_{name}": float(np.mean(v)) for name, v in spreads.items()}
    return {k: round(v, 4) for k, v in out.items()} | {
        # each corpus weighs the same, as in the fit; pooled, so a fold that lacks a corpus's
        # storylines adds nothing (a per-fold mean over no examples was nan)
        "cv_logloss": round(float(np.mean([np.mean(v) for v in losses.values()])), 4)
    }


def dev_sets(ecb: Path, realweb: Path, cache: Path) -> dict[str, EvalSet]:
    resources = Resources()
    return {
        "ecb": cached_set(ecb, cache, resources).subset("dev"),
        "realweb": cached_set(realweb, cache, resources),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ecb", type=Path, default=Path("../shared/eval/ecbplus/ecbplus.jsonl"))
    parser.add_argument("--realweb", type=Path, default=Path("evalsets/realweb/dev.jsonl"))
    parser.add_argument("--cache", type=Path, default=Path(".cache/eval"))
    parser.add_argument("--check", action="store_true", help="also score fits on unseen dev data")
    parser.add_argument("--cv", action="store_true", help="also cross-validate by storyline")
    parser.add_argument(
        "--drop", nargs="*", default=[], choices=FEATURES, help="signals left out (weight 0)"
    )
    args = parser.parse_args()
    try:
        sets = dev_sets(args.ecb, args.realweb, args.cache)
    except (EvalDataMissing, EvalDataError) as exc:
        sys.exit(f"cluster_fit: {exc}")
    settings = fit([examples(s) for s in sets.values()], drop=tuple(args.drop))
    result: dict[str, object] = {"weights": settings.weights, "bias": settings.bias}
    if args.check:
        result["check"] = check(sets, tuple(args.drop))
    if args.cv:
        result["cv"] = grouped_cv(sets, tuple(args.drop))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
