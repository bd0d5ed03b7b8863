"""The static embedder against MiniLM: speed on one thread, and quality on two tasks.

    TOKENIZERS_PARALLELISM=false python bench/bench_embedders.py [--json]

Speed: sentences per second on one thread (ECB+ sentences, about 25 words each), embedding
from scratch (MiniLM's cache off). Quality, as ROC AUC of the cosine:
- MRPC train (4,076 pairs): paraphrase vs not. Every MRPC pair is two sentences on the same
  story, so this asks for meaning, not topic.
- ECB+ test topics (36-45): a sentence and a sentence of another article of the same topic;
  positive when both articles report the same event (same subtopic). `ecb_pairs` scores random
  sentence pairs; `ecb_best` scores each sentence by its best match in the other article (what
  copy tracing and fusion look at).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

import numpy as np

from newsloom.clean import split_sentences
from newsloom.errors import EvalDataMissing
from newsloom.evaluate.cluster import in_split, load_docs
from newsloom.evaluate.paraphrase import load_mrpc_pairs
from newsloom.nlp import Embedder, StaticEmbedder

EVAL = Path(__file__).resolve().parent.parent.parent / "shared" / "eval"
SEED = 11


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """ROC AUC by ranks (ties shared)."""
    from scipy.stats import rankdata

    ranks = rankdata(scores)
    pos = labels == 1
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def speed(embed: object, sentences: list[str], repeat: int = 1) -> float:
    fn = embed.embed  # type: ignore[attr-defined]
    fn(sentences[:32])  # warm up
    start = time.perf_counter()
    for _ in range(repeat):
        fn(sentences)
    return repeat * len(sentences) / (time.perf_counter() - start)


def ecb_sentences() -> list[tuple[str, str, int]]:
    """(article id, story, sentence index) -> text, for the ECB+ test topics."""
    out = []
    for doc in load_docs(EVAL / "ecbplus" / "ecbplus.jsonl"):
        if in_split(doc, "test"):
            text = doc["text"]
            for start, end in split_sentences(text):
                sentence = " ".join(text[start:end].split())
                if len(sentence.split()) >= 4:
                    out.append((doc["id"], doc["story"], sentence))
    return out


def ecb_tasks(rows: list[tuple[str, str, str]], vecs: np.ndarray, n_pairs: int) -> dict[str, float]:
    rng = random.Random(SEED)
    by_doc: dict[str, list[int]] = {}
    for i, (doc, _, _) in enumerate(rows):
        by_doc.setdefault(doc, []).append(i)
    docs = sorted(by_doc)
    story = {doc: rows[by_doc[doc][0]][1] for doc in docs}
    topic = {doc: story[doc].split("-")[0] for doc in docs}
    pairs: list[tuple[str, str]] = []
    while len(pairs) < n_pairs:
        a, b = rng.sample(docs, 2)
        if topic[a] == topic[b]:
            pairs.append((a, b))
    labels = np.array([int(story[a] == story[b]) for a, b in pairs])
    rand, best = [], []
    for a, b in pairs:
        i = rng.choice(by_doc[a])
        sims = vecs[by_doc[b]] @ vecs[i]
        rand.append(float(sims[rng.randrange(len(sims))]))
        best.append(float(sims.max()))
    return {"ecb_pairs": auc(np.array(rand), labels), "ecb_best": auc(np.array(best), labels)}


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--pairs", type=int, default=4000, help="ECB+ article pairs sampled")
    args = parser.parse_args(argv)
    if os.environ.get("TOKENIZERS_PARALLELISM") != "false":
        print("note: set TOKENIZERS_PARALLELISM=false for one-thread figures", file=sys.stderr)
    try:
        mrpc = load_mrpc_pairs(EVAL / "mrpc" / "msr_paraphrase_train.txt")
        rows = ecb_sentences()
    except EvalDataMissing as exc:
        sys.exit(f"bench_embedders: {exc}")
    texts = [r[2] for r in rows]
    results: dict[str, dict[str, float]] = {
        "minilm": {"sentences_per_s": speed(Embedder(threads=1, cache_size=0), texts[:300])},
        "static": {"sentences_per_s": speed(StaticEmbedder(), texts, repeat=3)},
    }
    y = np.array([p.label for p in mrpc])
    # Quality does not depend on threads: MiniLM runs on two for it, to save time.
    for name, model in (("minilm", Embedder(threads=2)), ("static", StaticEmbedder())):
        va = model.embed([p.a for p in mrpc])
        vb = model.embed([p.b for p in mrpc])
        results[name]["mrpc_auc"] = auc(np.einsum("ij,ij->i", va, vb), y)
        results[name] |= ecb_tasks(rows, model.embed(texts), args.pairs)
    print("| embedder | sentences/s (1 thread) | MRPC AUC | ECB+ random pair AUC | ECB+ best AUC |")
    print("|---|---:|---:|---:|---:|")
    for name, r in results.items():
        print(
            f"| {name} | {r['sentences_per_s']:,.0f} | {r['mrpc_auc']:.3f} | "
            f"{r['ecb_pairs']:.3f} | {r['ecb_best']:.3f} |"
        )
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main(sys.argv[1:])
