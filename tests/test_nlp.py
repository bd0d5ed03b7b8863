"""Shared model resources load offline from their packages and give real results."""

from __future__ import annotations

import numpy as np

from newsloom.nlp import Embedder, load_spacy


def test_nlp_embedder_ranks_paraphrase_above_unrelated() -> None:
    emb = Embedder(cache_size=10)
    vecs = emb.embed(
        [
            "3,000 US troops will be deployed to Kabul",
            "The US is to send nearly 3,000 troops to Kabul airport",
            "Two celebrities enter rehab clinics in California",
        ]
    )
    assert vecs.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
    assert vecs[0] @ vecs[1] > 0.6 > vecs[0] @ vecs[2]


def test_nlp_embedder_cache_returns_identical_vectors_and_stays_bounded() -> None:
    emb = Embedder(cache_size=2)
    first = emb.embed(["a storm hit Florida", "schools closed"])
    again = emb.embed(["schools closed", "a storm hit Florida", "power cut in Miami"])
    assert np.array_equal(first[0], again[1]) and np.array_equal(first[1], again[0])
    assert len(emb.cache) == 2
    assert emb.embed([]).shape == (0, 384)


def test_nlp_spacy_model_finds_entities() -> None:
    doc = load_spacy()("Ned Price, a State Department spokesman, spoke in Washington.")
    assert ("Ned Price", "PERSON") in {(e.text, e.label_) for e in doc.ents}
