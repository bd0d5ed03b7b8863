"""Per-stage throughput and peak memory of the whole pipeline on real news articles.

Usage: python bench/bench_pipeline.py [--n 1000] [--data ../shared/eval/ecbplus/ecbplus.jsonl]

The corpus is ECB+ (982 real news articles); for --n above that, articles are
repeated with a numbered first line so that every one is a new article. Prints a
Markdown table: stage | articles | seconds | articles/s, then peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from newsloom import clean, cluster, dedupe, fuse, ingest
from newsloom.errors import InputError
from newsloom.extract import extract_batch, refine_story
from newsloom.pipeline import Resources
from newsloom.store import Store

T = TypeVar("T")


def write_corpus(src: Path, n: int, dest: Path) -> None:
    docs = [json.loads(line) for line in src.open(encoding="utf-8")]
    with dest.open("w", encoding="utf-8") as out:
        for i in range(n):
            doc = docs[i % len(docs)]
            text = doc["text"] if i < len(docs) else f"Update {i}.\n\n{doc['text']}"
            record = {"id": f"{doc['id']}-{i}", "text": text, "source": f"outlet{i % 37}"}
            out.write(json.dumps(record) + "\n")


def timed(rows: list[tuple[str, int, float]], name: str, n: int, fn: Callable[[], T]) -> T:
    start = time.perf_counter()
    result = fn()
    rows.append((name, n, time.perf_counter() - start))
    print(f"  {name}: {rows[-1][2]:.1f}s", file=sys.stderr)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--data", default="../shared/eval/ecbplus/ecbplus.jsonl")
    args = parser.parse_args()
    if not Path(args.data).exists():
        sys.exit(f"bench: corpus not found: {args.data} (see ../shared/README.md)")
    res = Resources()
    rows: list[tuple[str, int, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus.jsonl"
        write_corpus(Path(args.data), args.n, corpus)
        timed(rows, "load models", 0, lambda: (res.nlp, res.gazetteer, res.embedder, res.matcher))
        items = timed(
            rows, "ingest (JSONL)", args.n, lambda: list(ingest.read_inputs([str(corpus)]))
        )
        raw = [a for a in items if not isinstance(a, InputError)]
        arts = timed(rows, "clean", len(raw), lambda: clean.clean_batch(raw))
        arts = timed(
            rows, "extract", len(arts), lambda: extract_batch(arts, res.nlp, res.gazetteer)
        )
        feats = timed(
            rows, "features", len(arts), lambda: cluster.article_features(arts, res.embedder)
        )
        index = cluster.StoryIndex()
        timed(
            rows,
            "cluster assign",
            len(arts),
            lambda: [index.add(a, f) for a, f in zip(arts, feats, strict=True)],
        )
        store = Store(Path(tmp) / "bench.db")
        timed(rows, "store write", len(arts), lambda: store.add_articles(arts))
        by_id = {a.id: a for a in arts}
        stories = index.stories()

        def per_story() -> None:
            for story in stories:
                members = refine_story([by_id[i] for i in story.article_ids], res.gazetteer)
                derivations = dedupe.trace_copies(members, res.embedder)
                fuse.fuse_story(members, derivations, res.matcher)

        timed(rows, f"trace + fuse ({len(stories)} stories)", len(arts), per_story)
    print("\n| stage | articles | seconds | articles/s |\n|---|---|---|---|")
    for name, n, secs in rows:
        rate = f"{n / secs:,.0f}" if n and secs else "—"
        print(f"| {name} | {n:,} | {secs:.2f} | {rate} |")
    total = sum(secs for name, _, secs in rows if name != "load models")
    print(f"| **all stages** | {args.n:,} | {total:.2f} | {args.n / total:,.1f} |")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS: {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
