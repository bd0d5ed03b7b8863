"""`newsloom eval paraphrase`: the sentence-pair matcher on the MSR Paraphrase Corpus.

Only MRPC's train part is here. A fixed fifth of it (`data/mrpc-heldout.tsv`: 816 pairs,
grouped so no sentence is on both sides) was set aside before any training and is never
trained or tuned on; `--data msr_paraphrase_train.txt` reports on that fifth. `--shipped`
scores every pair of any MRPC-format file with the shipped model as it is (no refitting),
for held-out files such as MRPC test. Beside the matcher, in the same run: the cross-encoder
alone on every pair at logit 0, the gate alone, MiniLM and static-vector cosine at their best cut
on the scored pairs (optimistic for those baselines), and always answering "paraphrase".
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from newsloom.errors import ConfigError
from newsloom.evaluate import EvalResult, prf, require, require_items

HELDOUT_FILE = "mrpc-heldout.tsv"
TRAIN_NAME = "msr_paraphrase_train.txt"


@dataclass(frozen=True, slots=True)
class MrpcPair:
    """One MRPC row: `pair_id` is "<id1>-<id2>", `label` 1 = same meaning."""

    pair_id: str
    a: str
    b: str
    label: int


def load_mrpc_pairs(path: Path) -> list[MrpcPair]:
    """The rows of msr_paraphrase_*.txt (TSV with a header row; malformed rows skipped)."""
    out: list[MrpcPair] = []
    with require(path).open(encoding="utf-8-sig") as fh:
        next(fh, None)
        for line in fh:
            cols = line.rstrip("\n").split("\t")
            if len(cols) == 5 and cols[0] in ("0", "1"):
                out.append(MrpcPair(f"{cols[1]}-{cols[2]}", cols[3], cols[4], int(cols[0])))
    require_items(out, path, "MRPC sentence pairs (5 tab-separated columns)")
    return out


def load_heldout_ids() -> set[str]:
    """Pair ids of the fixed held-out fifth of MRPC train (never trained or tuned on)."""
    text = (resources.files("newsloom") / "data" / HELDOUT_FILE).read_text(encoding="utf-8")
    return {line.split("\t")[0] for line in text.splitlines() if line and not line.startswith("#")}


def _counts(pred: np.ndarray, y: np.ndarray) -> dict[str, float]:
    tp = float(((pred == 1) & (y == 1)).sum())
    fp = float(((pred == 1) & (y == 0)).sum())
    fn = float(((pred == 0) & (y == 1)).sum())
    p, r, f = prf(tp, fp, fn)
    return {"accuracy": float((pred == y).mean()), "precision": p, "recall": r, "f1": f}


def _best_cut_f1(scores: np.ndarray, y: np.ndarray) -> float:
    from newsloom.paraphrase import best_threshold

    return best_threshold(scores, y)[1]


def evaluate(
    data: Path, *, limit: int | None = None, split: str = "all", shipped: bool = False
) -> EvalResult:
    """P/R/F1 of the shipped matcher on the held-out fifth, or on any file with `shipped`."""
    from newsloom.nlp import load_embedder
    from newsloom.paraphrase import ParaphraseMatcher

    path = data / TRAIN_NAME if data.is_dir() else data
    rows = load_mrpc_pairs(path)
    if not shipped:
        if path.name != TRAIN_NAME:
            raise ConfigError(
                f"{path}: not MRPC train; score another file with --shipped (no refitting)"
            )
        held = load_heldout_ids()
        rows = [r for r in rows if r.pair_id in held]
        scope = "the held-out fifth of MRPC train (never trained or tuned on)"
    else:
        scope = "every pair, shipped model, no refitting"
        if path.name == TRAIN_NAME:
            scope += " (4/5 of these pairs were trained on: in-sample)"
    rows = rows[:limit]
    if not rows:
        raise ConfigError(f"{path}: no MRPC pairs to score")
    a, b = [r.a for r in rows], [r.b for r in rows]
    y = np.array([r.label for r in rows], dtype=np.int64)
    matcher = ParaphraseMatcher(threads=2)
    judged = matcher.judge(a, b)
    decided = _counts((judged.probability >= matcher.threshold).astype(np.int64), y)
    alone = matcher.crossencoder.logits(a, b)
    minilm = load_embedder()
    cos = np.einsum("ij,ij->i", minilm.embed(a), minilm.embed(b))
    static = matcher.embedder
    static_cos = np.einsum("ij,ij->i", static.embed(a), static.embed(b))
    metrics: dict[str, float | int | str] = {
        "pairs": len(y),
        "accuracy": decided["accuracy"],
        "crossencoder_f1_at_0": _counts((alone >= 0.0).astype(np.int64), y)["f1"],
        "gate_f1_best_cut": _best_cut_f1(judged.gate, y),
        "minilm_cosine_f1_best_cut": _best_cut_f1(cos, y),
        "static_cosine_f1_best_cut": _best_cut_f1(static_cos, y),
        "majority_f1": _counts(np.ones_like(y), y)["f1"],
        "crossencoded_share": matcher.cost.crossencoded / len(y),
        "figure_vetoes": int(judged.figure_conflict.sum()),
        "figure_vetoes_labelled_paraphrase": int((judged.figure_conflict & (y == 1)).sum()),
        "ms_per_pair": matcher.cost.ms_per_pair,
        # the matcher's decision, last (the keys the issue names)
        "f1": decided["f1"],
        "precision": decided["precision"],
        "recall": decided["recall"],
    }
    return EvalResult(
        stage="paraphrase",
        data=str(path),
        headline="f1",
        metrics=metrics,
        reference={
            "BERT-large (MRPC test)": 0.89,
            "feature model (old, 10-fold)": 0.840,
            "MiniLM cosine, best cut": float(metrics["minilm_cosine_f1_best_cut"]),
        },
        notes=[
            f"scored: {scope}",
            "best-cut baselines: threshold tuned on the scored pairs (optimistic for them)",
        ],
    )
