"""`newsloom eval paraphrase`: the sentence-pair matcher on the MSR Paraphrase Corpus.

Only MRPC's train part is here, so the matcher is scored by 10-fold cross-validation of
its own training (features and embeddings are fixed; the logistic regression and its
threshold are refit on 9 folds and scored on the 10th). Beside it, in the same run: the
best-threshold MiniLM cosine baseline (tuned on the scored data, so an upper bound for
that baseline) and always answering "paraphrase" (the majority class).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from newsloom.evaluate import EvalResult, prf, require, require_items
from newsloom.paraphrase import best_threshold, feature_matrix, fit_model

FOLDS = 10


def load_mrpc(path: Path, limit: int | None = None) -> tuple[list[str], list[str], np.ndarray]:
    """Sentence pairs and labels from msr_paraphrase_*.txt (TSV with a header row)."""
    a: list[str] = []
    b: list[str] = []
    labels: list[int] = []
    with require(path).open(encoding="utf-8-sig") as fh:
        next(fh, None)
        for line in fh:
            cols = line.rstrip("\n").split("\t")
            if len(cols) != 5:
                continue
            labels.append(int(cols[0]))
            a.append(cols[3])
            b.append(cols[4])
            if limit is not None and len(labels) >= limit:
                break
    require_items(labels, path, "MRPC sentence pairs (5 tab-separated columns)")
    return a, b, np.asarray(labels, dtype=np.int64)


def _scores(pred: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    tp = float(((pred == 1) & (y == 1)).sum())
    fp = float(((pred == 1) & (y == 0)).sum())
    fn = float(((pred == 0) & (y == 1)).sum())
    return float((pred == y).mean()), prf(tp, fp, fn)[2]


def cross_validate(x: np.ndarray, y: np.ndarray, folds: int = FOLDS) -> np.ndarray:
    """Out-of-fold 0/1 predictions of the matcher (stratified, fixed seed)."""
    from sklearn.model_selection import StratifiedKFold

    pred = np.zeros(len(y), dtype=np.int64)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    for train, test in splitter.split(x, y):
        model = fit_model(x[train], y[train])
        pred[test] = (model.predict_proba(x[test]) >= model.threshold).astype(np.int64)
    return pred


def evaluate(data: Path, *, limit: int | None = None, split: str = "all") -> EvalResult:
    """Accuracy/F1 of the matcher by 10-fold CV, beside the cosine and majority baselines."""
    from newsloom.nlp import load_embedder

    path = data / "msr_paraphrase_train.txt" if data.is_dir() else data
    a, b, y = load_mrpc(path, limit)
    emb = load_embedder()
    va, vb = emb.embed(a), emb.embed(b)
    x = feature_matrix(a, b, va, vb)
    acc, f1 = _scores(cross_validate(x, y, min(FOLDS, int(np.bincount(y).min()))), y)
    cos = np.einsum("ij,ij->i", va, vb)
    cut, _ = best_threshold(cos, y)
    cos_acc, cos_f1 = _scores((cos >= cut).astype(np.int64), y)
    maj_acc, maj_f1 = _scores(np.ones_like(y), y)
    return EvalResult(
        stage="paraphrase",
        data=str(path),
        headline="f1",
        metrics={
            "pairs": len(y),
            "accuracy": acc,
            "f1": f1,
            "cosine_threshold": cut,
            "cosine_accuracy": cos_acc,
            "cosine_f1": cos_f1,
            "majority_accuracy": maj_acc,
            "majority_f1": maj_f1,
        },
        reference={"BERT-large (MRPC test)": 0.89, "MiniLM cosine, best cut": cos_f1},
        notes=[
            f"matcher: {FOLDS}-fold cross-validation on MRPC train (split={split!r} ignored)",
            "cosine baseline: threshold tuned on the same pairs (optimistic for the baseline)",
        ],
    )
