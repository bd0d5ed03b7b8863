"""Benchmark StoryIndex assignment on a synthetic news stream.

    python bench/bench_cluster.py --n 10000 --n 100000

The stream has many events (a few new ones every day, each reported 1-20 times with
varied wording: noisy embeddings around an event centre, overlapping term sets,
shared names) plus unrelated one-off articles. Features are precomputed per chunk,
so the timing is assignment only. Reports articles/s overall (wall clock, and per
second of this process's CPU, which other jobs on a shared machine do not inflate) and for the last
chunk (flat cost per article means the two stay close as the archive grows),
peak RSS and B-cubed F1 against the synthetic truth; prints a Markdown table. Every 100k
articles it prints the growth line (rate per CPU s so far, peak RSS) on stderr: the stream
does not depend on `--n`, so a long run's 100k line is a 100k run.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one matvec per article: threads only cost

import numpy as np

from newsloom.cluster import LEX_BUCKETS, Features, StoryIndex, hashed_counts
from newsloom.models import Article

DIM = 384
CHUNK = 10_000


@dataclass
class Stream:
    """Synthetic events: `events_per_day` new events, one-off noise at `noise` share."""

    seed: int = 0
    events_per_day: int = 120
    noise: float = 0.15

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng(self.seed)
        self.day0 = 738000  # a proleptic ordinal (2021-08)
        self.open: list[tuple[int, np.ndarray, np.ndarray, list[str], int, int]] = []
        self.next_event = 0

    def _new_event(self, day: int) -> tuple[int, np.ndarray, np.ndarray, list[str], int, int]:
        rng = self.rng
        centre = rng.normal(size=DIM).astype(np.float32)
        centre /= np.linalg.norm(centre)
        terms = rng.zipf(1.3, size=60) % LEX_BUCKETS
        names = [f"name{rng.integers(0, 200_000)}" for _ in range(5)]
        size = int(min(20, 1 + rng.geometric(0.15)))
        self.next_event += 1
        return (self.next_event, centre, terms, names, day, size)

    def articles(self, n: int) -> Iterator[tuple[Article, Features, int]]:
        rng = self.rng
        per_day = self.events_per_day * 6
        for i in range(n):
            day = self.day0 + i // per_day
            if i % per_day == 0:
                self.open = [e for e in self.open if e[5] > 0 and day - e[4] < 5]
                self.open += [self._new_event(day) for _ in range(self.events_per_day)]
            if rng.random() < self.noise or not self.open:
                event = (-(i + 1), *self._new_event(day)[1:])
            else:
                k = int(rng.integers(len(self.open)))
                event = self.open[k]
                self.open[k] = (*event[:5], event[5] - 1)
            yield self._article(i, event, day)

    def _article(self, i: int, event: tuple, day: int) -> tuple[Article, Features, int]:
        rng = self.rng
        eid, centre, terms, names, _, _ = event
        vec = centre + rng.normal(scale=0.045, size=DIM).astype(np.float32)
        vec /= np.linalg.norm(vec)
        keep = terms[rng.random(len(terms)) < 0.6]
        background = rng.zipf(1.2, size=80) % LEX_BUCKETS
        idx = np.unique(np.concatenate([keep, background]).astype(np.int64))
        tf = (1.0 + rng.random(len(idx))).astype(np.float32)
        published = str(np.datetime64("0001-01-01") + np.timedelta64(day - 1, "D"))
        aid = f"a{i}"
        kept = [n for n in names if rng.random() < 0.7]
        name_idx, name_tf = hashed_counts(Counter("w:" + n for n in kept))
        num_idx, num_tf = hashed_counts(Counter(f"#{x}" for x in rng.integers(0, 500, size=4)))
        lead = idx[: len(idx) // 3], tf[: len(idx) // 3]
        feats = Features(
            article_id=aid,
            title=f"event {eid}",
            embedding=vec,
            terms={
                "body": (idx, tf),
                "lead": lead,
                "names": (name_idx, name_tf),
                "numbers": (num_idx, num_tf),
                "actions": hashed_counts(Counter(f"v:{eid % 50}" for _ in range(2))),
            },
            entities=frozenset(kept),
            published=published,
            event_days=(published,),
        )
        return Article(id=aid, text="", published=published), feats, eid


def bcubed_f1(pred: list[str], gold: list[int]) -> float:
    pair = Counter(zip(pred, gold, strict=True))
    ps, gs = Counter(pred), Counter(gold)
    p = sum(pair[(a, b)] / ps[a] for a, b in zip(pred, gold, strict=True)) / len(pred)
    r = sum(pair[(a, b)] / gs[b] for a, b in zip(pred, gold, strict=True)) / len(pred)
    return 2 * p * r / (p + r)


def run(n: int, budget_s: float) -> dict[str, float] | None:
    stream, index = Stream(), StoryIndex()
    items = stream.articles(n)
    pred: list[str] = []
    gold: list[int] = []
    spent = cpu = last_rate = 0.0
    done = 0
    while done < n:
        chunk = [next(items) for _ in range(min(CHUNK, n - done))]
        start, start_cpu = time.perf_counter(), time.process_time()
        for art, feats, _ in chunk:
            pred.append(index.add(art, feats).story_id)
        index.pop_changed()  # what a store would save for this chunk
        took = time.perf_counter() - start
        spent += took
        cpu += time.process_time() - start_cpu
        last_rate = len(chunk) / took
        gold += [g for _, _, g in chunk]
        done += len(chunk)
        if done % 100_000 == 0:  # the growth curve, on stderr
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(
                f"  {done:>9,} articles: {done / cpu:,.0f} per CPU s so far, last 10k"
                f" {last_rate:,.0f}/s, peak RSS {rss:,.0f} MB",
                file=sys.stderr,
                flush=True,
            )
        if spent > budget_s and done < n:
            return None
    pred = [index.story_of(s) for s in pred]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "n": n,
        "seconds": spent,
        "rate": n / spent,
        "cpu_rate": n / cpu,
        "last_chunk_rate": last_rate,
        "stories": len(index.stories()),
        "peak_rss_mb": peak_mb,
        "bcubed_f1": bcubed_f1(pred, gold),
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, action="append", help="stream sizes (repeatable)")
    ap.add_argument("--budget", type=float, default=300.0, help="give up a size after this")
    args = ap.parse_args(argv)
    sizes = args.n or [10_000, 100_000]
    print(
        "| articles | assign s | articles/s | articles/CPU s | last 10k articles/s | stories"
        " | peak RSS MB | B³ F1 |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in sizes:
        row = run(n, args.budget)
        if row is None:
            print(f"| {n:,} | > {args.budget:.0f} (stopped) | | | | | | |")
            continue
        print(
            f"| {n:,} | {row['seconds']:.1f} | {row['rate']:,.0f} | {row['cpu_rate']:,.0f}"
            f" | {row['last_chunk_rate']:,.0f}"
            f" | {row['stories']:,} | {row['peak_rss_mb']:,.0f} | {row['bcubed_f1']:.3f} |"
        )
        sys.stdout.flush()


if __name__ == "__main__":
    main()
