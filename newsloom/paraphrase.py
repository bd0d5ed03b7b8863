"""Sentence-pair paraphrase matcher that checks before it agrees: a three-step cascade.

1. **Gate** (cheap, ~0.1 ms a pair): surface features that news paraphrases keep (shared
   words and stems, the same numbers and names, similar length and order, the static-vector
   cosine) in a logistic model. Pairs it finds clearly different are rejected here, without
   the cross-encoder; on MRPC it lets almost every positive through (cut chosen for <= 1% lost).
2. **Evidence** (~0.5 ms a pair, passed pairs only): figures for the same counted thing, names on
   one side only, negation on one side only. A pair that gives different figures for the same
   counted thing ("12 rebels" / "16 rebels") is capped below the threshold whatever the models
   say (a different figure is never the same fact), so it never needs the cross-encoder.
3. **Cross-encoder** (`CrossEncoder`, ~7 ms of CPU a pair on one thread): all-MiniLM-L6-v2
   fine-tuned on MRPC reads both sentences together and gives a paraphrase logit, and the
   **stacker** (a logistic model over the logit, the gate and the evidence, fitted on
   out-of-fold logits) turns it into the probability. With a `crossencoder_pairs` budget, only
   that many pairs of a call (the ones the cheap stacker, gate + evidence without the logit, is
   least sure of) reach the cross-encoder; the rest keep the cheap stacker's verdict.

Weights: `data/paraphrase-model.json` (gate, stackers, thresholds) and
`data/paraphrase-crossencoder.onnx` (int8), both made by `scripts/train_crossencoder.py` from
MRPC train minus a fixed held-out fifth (`data/mrpc-heldout.tsv`). Run time needs numpy,
rapidfuzz, tokenizers and onnxruntime; no torch, no sklearn. Figures: docs/evaluation.md.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import re
import time
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING, Any

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.distance import Indel

if TYPE_CHECKING:
    from pathlib import Path

    from tokenizers import Tokenizer

    from newsloom.models import Quantity
    from newsloom.nlp import StaticEmbedder

MODEL_FILE = "paraphrase-model.json"
CROSSENCODER_FILE = "paraphrase-crossencoder.onnx"
VETO_CAP = 0.5  # a figure conflict caps the probability at VETO_CAP x threshold
# Cross-encoder reads per call in the pipeline. Fusion calls the matcher once per article with
# at most 6 uncertain pairs; one read costs ~8 ms of the ~50 ms an article may cost outside the
# parse (#13), the other pairs keep the cheap stacker's verdict (bench/bench_paraphrase.py).
PIPELINE_CROSSENCODER_PAIRS = 1

_WORD = re.compile(r"[A-Za-z]+(?:'[a-z]+)?|\d[\d,.]*\d|\d")
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
_CAP = re.compile(r"\b[A-Z][a-zA-Z]+(?:[-'][A-Za-z]+)?")
_NEGATION = re.compile(
    r"\b(?:not|no|never|neither|nor|none|nobody|nothing|without|denied|denies|deny)\b|n[’']t\b",
    re.IGNORECASE,
)
# "one" is left out: far more often a pronoun ("no one", "one of them") than a count.
_WORD_NUMBERS = {
    w: float(i)
    for i, w in enumerate(
        "zero _ two three four five six seven eight nine ten eleven twelve thirteen fourteen "  # noqa: SIM905
        "fifteen sixteen seventeen eighteen nineteen twenty".split()
    )
    if w != "_"
} | {
    w: 10.0 * i
    for i, w in enumerate("_ _ _ thirty forty fifty sixty seventy eighty ninety".split())  # noqa: SIM905
    if w != "_"
}
_STOP = frozenset(
    "a an the of to in on at for by with from and or but as is are was were be been has have "  # noqa: SIM905
    "had it its that this these those he she they we you i his her their our will would said "
    "says say also which who than then there not no".split()
)

SCALAR_FEATURES = [
    "cosine",
    "jaccard",
    "jaccard_content",
    "containment_min",
    "containment_max",
    "stem_jaccard",
    "bigram_jaccard",
    "char3_jaccard",
    "numbers_same",
    "numbers_conflict",
    "numbers_one_side",
    "names_jaccard",
    "names_unmatched",
    "length_ratio",
    "length_diff_log",
    "char_ratio",
    "token_set_ratio",
    "token_sort_ratio",
    "partial_ratio",
    "token_order",
    "trigram_jaccard",
    "unmatched_a",
    "unmatched_b",
    "unmatched_min",
    "unmatched_max",
    "numbers_unmatched",
]
STACK_FEATURES = [
    "logit",
    "gate",
    "figure_conflict",
    "figure_match",
    "numbers_conflict",
    "names_unmatched",
    "names_both_sides",
    "negation_differs",
]
CHEAP_FEATURES = STACK_FEATURES[1:]  # the stacker's inputs without the cross-encoder logit


def _tokens(text: str) -> list[str]:
    return [t.lower() for t in _WORD.findall(text)]


def _numbers(text: str) -> set[str]:
    """Figures in `text`, normalised ("1,500" and "1500" alike; "thirteen" as 13)."""
    out = {f"{_WORD_NUMBERS[w]:g}" for w in _tokens(text) if w in _WORD_NUMBERS}
    for raw in _NUMBER.findall(text):
        try:
            out.add(f"{float(raw.replace(',', '')):g}")
        except ValueError:
            continue
    return out


def _names(text: str) -> set[str]:
    """Capitalised tokens not at a sentence start: a cheap stand-in for named entities."""
    words = _CAP.findall(text)
    first = _WORD.search(text)
    first_word = first.group(0) if first else ""
    return {w.lower() for w in words if w != first_word or w.isupper()} - _STOP


def _jaccard(a: set[Any], b: set[Any]) -> float:
    union = a | b
    return len(a & b) / len(union) if union else 1.0


def _char3(text: str) -> set[str]:
    s = " ".join(_tokens(text))
    return {s[i : i + 3] for i in range(max(len(s) - 2, 0))}


def pair_features(a: str, b: str, cosine: float) -> list[float]:
    """The gate's scalar features of one pair, in `SCALAR_FEATURES` order."""
    ta, tb = _tokens(a), _tokens(b)
    sa, sb = set(ta), set(tb)
    ca, cb = sa - _STOP, sb - _STOP
    inter = len(sa & sb)
    stems_a, stems_b = {t[:5] for t in ca}, {t[:5] for t in cb}
    bi_a, bi_b = set(itertools.pairwise(ta)), set(itertools.pairwise(tb))
    na, nb = _numbers(a), _numbers(b)
    ea, eb = _names(a), _names(b)
    la, lb = max(len(ta), 1), max(len(tb), 1)
    tri_a = set(zip(ta, ta[1:], ta[2:], strict=False))
    tri_b = set(zip(tb, tb[1:], tb[2:], strict=False))
    only_a, only_b = len(ca - cb), len(cb - ca)
    return [
        cosine,
        _jaccard(sa, sb),
        _jaccard(ca, cb),
        inter / max(min(len(sa), len(sb)), 1),
        inter / max(len(sa), len(sb), 1),
        _jaccard(stems_a, stems_b),
        _jaccard(bi_a, bi_b),
        _jaccard(_char3(a), _char3(b)),
        float(bool(na) and na == nb),
        float(bool(na) and bool(nb) and na != nb),
        float(bool(na) != bool(nb)),
        _jaccard(ea, eb),
        float(len(ea ^ eb)),
        min(la, lb) / max(la, lb),
        abs(float(np.log(la / lb))),
        fuzz.ratio(a, b) / 100,
        fuzz.token_set_ratio(a, b) / 100,
        fuzz.token_sort_ratio(a, b) / 100,
        fuzz.partial_ratio(a, b) / 100,
        Indel.normalized_similarity(ta, tb),
        _jaccard(tri_a, tri_b),
        float(only_a),
        float(only_b),
        float(min(only_a, only_b)),
        float(max(only_a, only_b)),
        float(len(na ^ nb)),
    ]


def feature_matrix(a: list[str], b: list[str], va: np.ndarray, vb: np.ndarray) -> np.ndarray:
    """One row of `SCALAR_FEATURES` per pair, from the texts and their unit vectors."""
    cos = np.einsum("ij,ij->i", va, vb)
    return np.array(
        [pair_features(x, y, float(c)) for x, y, c in zip(a, b, cos, strict=True)],
        dtype=np.float64,
    ).reshape(len(a), len(SCALAR_FEATURES))


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the two sentences say that a paraphrase score can overlook."""

    figure_conflict: bool  # the same counted thing with another figure, and no figure shared
    figure_match: bool  # the same counted thing with the same figure
    numbers_conflict: bool  # both give numbers, not the same ones
    names_unmatched: int  # capitalised names found on one side only
    names_both_sides: int  # names each side has that the other lacks: fewer of the two
    negation_differs: bool  # one side negates, the other does not

    def row(self, gate: float) -> list[float]:
        """The cheap stacker's input, in `CHEAP_FEATURES` order (prepend the logit for the
        stacker's)."""
        return [
            gate,
            float(self.figure_conflict),
            float(self.figure_match),
            float(self.numbers_conflict),
            float(self.names_unmatched),
            float(self.names_both_sides),
            float(self.negation_differs),
        ]


@functools.lru_cache(maxsize=4096)
def _quantities(text: str) -> tuple[Quantity, ...]:
    """Cached: a caller compares one sentence with several others."""
    from newsloom.extract.quantities import find_quantities
    from newsloom.models import Article

    return tuple(find_quantities(Article(id="", text=text)))


def evidence(a: str, b: str) -> Evidence:
    """Figures, names and negation of one pair (~0.5 ms: run on gated pairs only).

    Figures are compared by value, not by compatibility: "at least 13 killed" and "at least 31
    killed" can both be true, but they are not the same statement (a toll that rose, or two
    events), so they are a figure conflict here; `fuse` tells updates from conflicts itself."""
    from newsloom.extract.quantities import agree

    same_thing = [(x, y) for x in _quantities(a) for y in _quantities(b) if agree(x, y) is not None]
    equal = [math.isclose(x.value, y.value, rel_tol=1e-6) for x, y in same_thing]
    na, nb = _numbers(a), _numbers(b)
    names_a, names_b = _names(a), _names(b)
    return Evidence(
        figure_conflict=bool(equal) and not any(equal),
        figure_match=any(equal),
        numbers_conflict=bool(na) and bool(nb) and na != nb,
        names_unmatched=len(names_a ^ names_b),
        names_both_sides=min(len(names_a - names_b), len(names_b - names_a)),
        negation_differs=bool(_NEGATION.search(a)) != bool(_NEGATION.search(b)),
    )


@dataclass(slots=True)
class LogisticModel:
    """Standardise, then a linear score through a sigmoid (weights from sklearn)."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        z = ((x - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-z))

    def to_dict(self) -> dict[str, Any]:
        return {
            "mean": [round(float(v), 6) for v in self.mean],
            "scale": [round(float(v), 6) for v in self.scale],
            "coef": [round(float(v), 6) for v in self.coef],
            "intercept": round(self.intercept, 6),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LogisticModel:
        return cls(
            mean=np.asarray(data["mean"], dtype=np.float64),
            scale=np.asarray(data["scale"], dtype=np.float64),
            coef=np.asarray(data["coef"], dtype=np.float64),
            intercept=float(data["intercept"]),
        )


@dataclass(slots=True)
class CascadeModel:
    """The cheap half of the matcher: gate and its cut, both stackers, decision threshold."""

    gate: LogisticModel
    gate_cut: float  # gate probability below this: rejected without the cross-encoder
    stacker: LogisticModel  # over `STACK_FEATURES` (cross-encoder logit first)
    cheap: LogisticModel  # over `CHEAP_FEATURES`, for pairs left without the cross-encoder
    threshold: float  # probability at or above this: same meaning (both stackers)

    def to_dict(self) -> dict[str, Any]:
        return {
            "gate_features": SCALAR_FEATURES,
            "gate": self.gate.to_dict(),
            "gate_cut": round(self.gate_cut, 6),
            "stack_features": STACK_FEATURES,
            "stacker": self.stacker.to_dict(),
            "cheap": self.cheap.to_dict(),
            "threshold": round(self.threshold, 4),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CascadeModel:
        if data.get("gate_features") != SCALAR_FEATURES or data.get("stack_features") != (
            STACK_FEATURES
        ):
            raise ValueError("paraphrase model was trained on other features; retrain it")
        return cls(
            gate=LogisticModel.from_dict(data["gate"]),
            gate_cut=float(data["gate_cut"]),
            stacker=LogisticModel.from_dict(data["stacker"]),
            cheap=LogisticModel.from_dict(data["cheap"]),
            threshold=float(data["threshold"]),
        )


def load_model() -> CascadeModel:
    """The shipped gate and stacker (scripts/train_crossencoder.py stack)."""
    path = resources.files("newsloom") / "data" / MODEL_FILE
    return CascadeModel.from_dict(json.loads(path.read_text(encoding="utf-8")))


def pair_tokenizer(max_tokens: int = 128) -> Tokenizer:
    """MiniLM's WordPiece tokenizer set up for pairs: `[CLS] a [SEP] b [SEP]`, padded per batch."""
    from newsloom.nlp import minilm_tokenizer

    tok = minilm_tokenizer()
    tok.enable_truncation(max_length=max_tokens)
    tok.enable_padding(pad_id=0, pad_token="[PAD]")
    return tok


class CrossEncoder:
    """The fine-tuned MiniLM pair classifier (int8 ONNX): one paraphrase logit per pair.

    It reads both sentences at once, so it sees which words align, what differs and how, which
    surface features cannot: at the same precision (0.87, out of fold on MRPC) the cascade with
    it recalls 0.79 of the paraphrases, without it 0.71. It costs about ten times the gate and
    the evidence together, so `ParaphraseMatcher` runs it only on pairs the gate lets through.
    `threads` is the onnxruntime intra-op thread count (1 in worker processes).
    """

    def __init__(self, path: Path | str | None = None, threads: int = 1) -> None:
        import onnxruntime as ort

        if path is None:
            path = str(resources.files("newsloom") / "data" / CROSSENCODER_FILE)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.tokenizer = pair_tokenizer()

    def logits(self, a: list[str], b: list[str]) -> np.ndarray:
        """Paraphrase logit of each pair (a[i], b[i]), one pair per run: int8 activations are
        scaled per run, so a pair batched with others would score differently by their company
        (and batches of padded pairs were no faster on one thread)."""
        out = np.zeros(len(a), dtype=np.float64)
        encs = self.tokenizer.encode_batch(
            [(x or " ", y or " ") for x, y in zip(a, b, strict=True)]
        )
        for i, enc in enumerate(encs):
            width = sum(enc.attention_mask)
            feeds = {
                name: np.array([getattr(enc, attr)[:width]], dtype=np.int64)
                for name, attr in (
                    ("input_ids", "ids"),
                    ("attention_mask", "attention_mask"),
                    ("token_type_ids", "type_ids"),
                )
            }
            out[i] = self.session.run(None, feeds)[0][0]
        return out


@dataclass(slots=True)
class MatchCost:
    """Running totals of what the matcher has done, for per-pair cost figures."""

    pairs: int = 0
    crossencoded: int = 0
    seconds: float = 0.0
    crossencoder_seconds: float = 0.0

    @property
    def ms_per_pair(self) -> float:
        return 1000 * self.seconds / self.pairs if self.pairs else 0.0


@dataclass(slots=True)
class PairScores:
    """Per-pair results of one `ParaphraseMatcher.judge` call (arrays of equal length)."""

    probability: np.ndarray  # final same-meaning probability (compare with `threshold`)
    gate: np.ndarray  # the cheap gate's probability
    logit: np.ndarray  # cross-encoder logit; NaN where the gate rejected the pair
    figure_conflict: np.ndarray  # bool: a figure for the same counted thing differs
    evidence: list[Evidence | None] = field(default_factory=list)  # None where gated out


class ParaphraseMatcher:
    """Probability that two sentences have the same meaning, and whether they do.

    `embedder` is the static embedder the gate was trained with: callers that already embed
    their sentences with `matcher.embedder` pass the vectors to `score_embedded`/`judge`.
    `threads` is the cross-encoder's thread count. `crossencoder_pairs` caps how many pairs of
    one call reach the cross-encoder (None: every pair the gate passes), which bounds the cost
    per call. `cost` accumulates pairs and seconds.

    Example:
        >>> m = ParaphraseMatcher()
        >>> m.same("3,000 US troops will be deployed to Kabul",
        ...        "The US is to send 3,000 troops to Kabul")
        True
        >>> m.same("The army killed 12 rebels in the raid", "The army killed 16 rebels in the raid")
        False
    """

    def __init__(
        self,
        embedder: StaticEmbedder | None = None,
        model: CascadeModel | None = None,
        crossencoder: CrossEncoder | None = None,
        threads: int = 1,
        crossencoder_pairs: int | None = None,
    ) -> None:
        if embedder is None:
            from newsloom.nlp import load_static_embedder

            embedder = load_static_embedder()
        self.embedder = embedder
        self.model = model if model is not None else load_model()
        self.crossencoder = (
            crossencoder if crossencoder is not None else CrossEncoder(threads=threads)
        )
        self.crossencoder_pairs = crossencoder_pairs
        self.cost = MatchCost()

    @property
    def threshold(self) -> float:
        return self.model.threshold

    def score(self, a: list[str], b: list[str]) -> np.ndarray:
        """Same-meaning probability of each pair (a[i], b[i])."""
        return self.judge(a, b).probability

    def score_embedded(
        self, a: list[str], b: list[str], va: np.ndarray, vb: np.ndarray
    ) -> np.ndarray:
        """As `score`, reusing vectors the caller already has from `self.embedder`."""
        return self.judge(a, b, va, vb).probability

    def same(self, a: str, b: str) -> bool:
        return bool(self.score([a], [b])[0] >= self.threshold)

    def judge(
        self,
        a: list[str],
        b: list[str],
        va: np.ndarray | None = None,
        vb: np.ndarray | None = None,
    ) -> PairScores:
        """Everything the cascade found for each pair: probability, gate, logit, evidence."""
        if len(a) != len(b):
            raise ValueError(f"score needs equal lengths, got {len(a)} and {len(b)}")
        started = time.perf_counter()
        n = len(a)
        if va is None or vb is None:
            vecs = self.embedder.embed(list(a) + list(b))
            va, vb = vecs[:n], vecs[n:]
        gate = self.model.gate.predict_proba(feature_matrix(a, b, va, vb)) if n else np.zeros(0)
        cap = VETO_CAP * self.threshold
        probability = gate * cap  # gated-out pairs stay well below the threshold
        logit = np.full(n, np.nan)
        conflict = np.zeros(n, dtype=bool)
        found: list[Evidence | None] = [None] * n
        passed = np.flatnonzero(gate >= self.model.gate_cut)
        if len(passed):
            ev = {int(i): evidence(a[i], b[i]) for i in passed}
            for i, e in ev.items():
                found[i] = e
                conflict[i] = e.figure_conflict
            rows = np.array([ev[i].row(float(gate[i])) for i in ev])
            probability[passed] = self.model.cheap.predict_proba(rows)
            encode = self._to_crossencode(passed, probability[passed], conflict[passed])
            if len(encode):
                ce_start = time.perf_counter()
                logit[encode] = self.crossencoder.logits(
                    [a[i] for i in encode], [b[i] for i in encode]
                )
                self.cost.crossencoder_seconds += time.perf_counter() - ce_start
                self.cost.crossencoded += len(encode)
                stack_rows = np.array([[logit[i], *ev[i].row(float(gate[i]))] for i in encode])
                probability[encode] = self.model.stacker.predict_proba(stack_rows)
            probability[conflict] = np.minimum(probability[conflict], cap)
        self.cost.pairs += n
        self.cost.seconds += time.perf_counter() - started
        return PairScores(probability, gate, logit, conflict, found)

    def _to_crossencode(
        self, passed: np.ndarray, cheap: np.ndarray, conflict: np.ndarray
    ) -> np.ndarray:
        """The passed pairs the cross-encoder reads: not the vetoed ones (the veto decides
        them), and within the budget those whose cheap probability is nearest the threshold."""
        candidates = passed[~conflict]
        if self.crossencoder_pairs is None or len(candidates) <= self.crossencoder_pairs:
            return candidates
        doubt = np.abs(cheap[~conflict] - self.threshold)
        return np.sort(candidates[np.argsort(doubt, kind="stable")[: self.crossencoder_pairs]])


def best_threshold(scores: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """The cut on `scores` with the best F1 (and that F1)."""
    order = np.argsort(-scores)
    hits = np.cumsum(y[order] == 1)
    k = np.arange(1, len(order) + 1)
    f1 = 2 * hits / (k + int((y == 1).sum()))
    i = int(np.argmax(f1))
    return float(scores[order[i]]), float(f1[i])
