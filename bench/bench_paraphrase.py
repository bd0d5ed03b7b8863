"""What the paraphrase matcher costs per pair, on one thread.

    TOKENIZERS_PARALLELISM=false python bench/bench_paraphrase.py [--json]

Three figures, each from CPU time of this process (so other load on the machine inflates them
less than wall time would):
- the cross-encoder alone (int8 ONNX, one thread) on MRPC pairs;
- the whole cascade on MRPC pairs (two sentences on one story: almost all pass the gate);
- the whole cascade on fusion-like candidates: pairs of sentences from two ECB+ articles of one
  topic whose static cosine is in fusion's uncertain band (`fuse.CANDIDATE_COSINE` to
  `fuse.ACCEPT_COSINE`: what fusion asks the matcher about); here the gate turns many away;
- the cost per article in the pipeline: calls of `fuse.MATCHER_PAIRS` such pairs (fusion calls
  the matcher once per article) with the pipeline's cross-encoder budget
  (`PIPELINE_CROSSENCODER_PAIRS`), against #13's ~50 ms per article for all work outside the parse.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

from newsloom.clean import split_sentences
from newsloom.errors import EvalDataMissing
from newsloom.evaluate.paraphrase import load_mrpc_pairs
from newsloom.fuse import ACCEPT_COSINE, CANDIDATE_COSINE, MATCHER_PAIRS
from newsloom.paraphrase import PIPELINE_CROSSENCODER_PAIRS, CrossEncoder, ParaphraseMatcher

EVAL = Path(__file__).resolve().parent.parent.parent / "shared" / "eval"
SEED = 5


def cpu_ms_per_pair(fn: object, a: list[str], b: list[str]) -> float:
    start = time.process_time()
    fn(a, b)  # type: ignore[operator]
    return 1000 * (time.process_time() - start) / len(a)


def ecb_candidates(matcher: ParaphraseMatcher, n: int) -> tuple[list[str], list[str]]:
    """n cross-article sentence pairs of one ECB+ topic in fusion's uncertain cosine band."""
    rng = random.Random(SEED)
    by_topic: dict[str, list[tuple[str, str]]] = {}
    lines = (EVAL / "ecbplus" / "ecbplus.jsonl").read_text(encoding="utf-8").splitlines()
    for doc in map(json.loads, lines):
        text = doc["text"]
        for start, end in split_sentences(text):
            sentence = " ".join(text[start:end].split())
            if len(sentence.split()) >= 6:
                by_topic.setdefault(str(doc["topic"]), []).append((doc["id"], sentence))
    a: list[str] = []
    b: list[str] = []
    while len(a) < n:
        rows = by_topic[rng.choice(sorted(by_topic))]
        x, y = rng.sample(rows, 2)
        if x[0] == y[0]:
            continue
        vx, vy = matcher.embedder.embed([x[1], y[1]])
        if CANDIDATE_COSINE <= float(vx @ vy) < ACCEPT_COSINE:
            a.append(x[1])
            b.append(y[1])
    return a, b


def cascade(matcher: ParaphraseMatcher, a: list[str], b: list[str]) -> dict[str, float]:
    before = matcher.cost.crossencoded
    ms = cpu_ms_per_pair(matcher.score, a, b)
    return {"ms_per_pair": ms, "crossencoded_share": (matcher.cost.crossencoded - before) / len(a)}


def per_article(encoder: CrossEncoder, a: list[str], b: list[str]) -> dict[str, float]:
    """CPU ms per call of MATCHER_PAIRS pairs with the pipeline's budget: one article's cost."""
    matcher = ParaphraseMatcher(
        crossencoder=encoder, crossencoder_pairs=PIPELINE_CROSSENCODER_PAIRS
    )
    calls = range(0, len(a) - MATCHER_PAIRS + 1, MATCHER_PAIRS)
    start = time.process_time()
    for s in calls:
        matcher.score(a[s : s + MATCHER_PAIRS], b[s : s + MATCHER_PAIRS])
    return {
        "ms_per_article": 1000 * (time.process_time() - start) / len(calls),
        "pairs_per_article": MATCHER_PAIRS,
        "crossencoded_per_article": matcher.cost.crossencoded / len(calls),
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=400)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    try:
        mrpc = load_mrpc_pairs(EVAL / "mrpc" / "msr_paraphrase_train.txt")[: args.pairs]
    except EvalDataMissing as exc:
        sys.exit(f"bench_paraphrase: {exc}")
    a, b = [p.a for p in mrpc], [p.b for p in mrpc]
    encoder = CrossEncoder(threads=1)
    matcher = ParaphraseMatcher(crossencoder=encoder)
    matcher.score(a[:16], b[:16])  # warm up
    tokens = [
        sum(e.attention_mask) for e in encoder.tokenizer.encode_batch(list(zip(a, b, strict=True)))
    ]
    results = {
        "pair_tokens_mean": float(np.mean(tokens)),
        "crossencoder_ms_per_pair": cpu_ms_per_pair(encoder.logits, a, b),
        "mrpc": cascade(matcher, a, b),
    }
    candidates = ecb_candidates(matcher, args.pairs)
    results["pipeline"] = per_article(encoder, *candidates)  # first: evidence is cached per text
    results["ecb_candidates"] = cascade(matcher, *candidates)
    print(
        f"cross-encoder, one thread: {results['crossencoder_ms_per_pair']:.1f} ms a pair "
        f"({results['pair_tokens_mean']:.0f} tokens a pair on average)"
    )
    for name in ("mrpc", "ecb_candidates"):
        r = results[name]
        assert isinstance(r, dict)
        print(
            f"cascade on {name}: {r['ms_per_pair']:.1f} ms a pair "
            f"({1000 / r['ms_per_pair']:.0f} pairs/s), "
            f"{100 * r['crossencoded_share']:.0f}% reach the cross-encoder"
        )
    r = results["pipeline"]
    assert isinstance(r, dict)
    print(
        f"pipeline, one article ({r['pairs_per_article']} pairs, budget "
        f"{PIPELINE_CROSSENCODER_PAIRS}): {r['ms_per_article']:.1f} ms, "
        f"{r['crossencoded_per_article']:.2f} cross-encoder reads"
    )
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main(sys.argv[1:])
