"""One story grown batch by batch: seconds per batch must not grow with the story.

Usage: python bench/bench_story_growth.py [--articles 2000] [--batch 32] [--json]
       [--data ../shared/eval/ecbplus/ecbplus.jsonl] [--event 12-ecb]

The reports come from one real event in ECB+ (default 12-ecb: the Indian navy captures 23
pirates in the Gulf of Aden, 19 reports by different outlets). Each generated report is
varied the way reports of one event vary: the lead of one real report, then sentences of that
report and of a second one, some dropped, the rest kept in their order; another outlet (site)
and a publication date spread over three days. Every batch goes through the real pipeline
(`pipeline.run`: ingest, clean, extract, cluster, then the story-level update) on one store,
so clustering decides the story and the story-level state grows as it would in production.

Prints seconds per batch (and the size of the biggest story); with --json the last line is
one object with `first_batch_s` (the first batch), `last_batch_s` (the last full batch),
`peak_rss_mb`, the means of the first and last three full batches (the machine is shared,
single batches are noisy), the same in CPU seconds of this process (`*_cpu_s`: what the
batch cost, whatever else the machine ran) and the raw `batch_s` / `batch_cpu_s` lists.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

from newsloom.pipeline import Resources, run
from newsloom.store import Store

EVENT_DAYS = ("2008-12-13", "2008-12-14", "2008-12-15")


def event_reports(path: Path, event: str) -> list[list[str]]:
    """The event's reports as lists of sentences (ECB+ keeps one sentence per line)."""
    out = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            doc = json.loads(line)
            if doc["story"] == event:
                out.append([s.strip() for s in doc["text"].split("\n") if s.strip()])
    return out


def vary(reports: list[list[str]], n: int, seed: int = 0) -> list[dict[str, str]]:
    """`n` distinct reports of the event, as JSONL records."""
    rng = random.Random(seed)
    seen: set[str] = set()
    out: list[dict[str, str]] = []
    while len(out) < n:
        i = len(out)
        first, second = rng.sample(range(len(reports)), 2)
        a, b = reports[first], reports[second]
        body = [s for s in a[2:] if rng.random() < 0.7] + [s for s in b[1:] if rng.random() < 0.3]
        text = "\n\n".join([*a[:2], *body])
        if text in seen:
            continue
        seen.add(text)
        outlet = i % 400
        out.append(
            {
                "id": f"growth-{i}",
                "text": text,
                "source": f"Outlet {outlet}",
                "url": f"https://www.outlet{outlet}.example/world/{i}",
                "date": EVENT_DAYS[min(2, 3 * i // n)],
            }
        )
    return out


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--data", default="../shared/eval/ecbplus/ecbplus.jsonl")
    parser.add_argument("--event", default="12-ecb")
    parser.add_argument("--json", action="store_true", help="End with one JSON object.")
    args = parser.parse_args()
    if not Path(args.data).exists():
        sys.exit(f"bench: corpus not found: {args.data} (see ../shared/README.md)")
    reports = event_reports(Path(args.data), args.event)
    if len(reports) < 2:
        sys.exit(f"bench: event {args.event!r} has fewer than two reports in {args.data}")
    records = vary(reports, args.articles)
    res = Resources()
    for model in (res.nlp, res.gazetteer, res.embedder, res.statement_embedder, res.matcher):
        del model  # load every model before timing
    times: list[float] = []
    cpu: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "growth.db")
        for b in range(0, len(records), args.batch):
            path = Path(tmp) / f"batch-{b}.jsonl"
            path.write_text(
                "".join(json.dumps(r) + "\n" for r in records[b : b + args.batch]),
                encoding="utf-8",
            )
            start, start_cpu = time.perf_counter(), time.process_time()
            run([str(path)], store, res, batch_size=args.batch)
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
            biggest = store.story_rows(limit=1, order="size")
            size = biggest[0]["n_articles"] if biggest else 0
            print(
                f"batch {len(times):>3}: {times[-1]:6.2f}s ({cpu[-1]:5.2f} s CPU)"
                f"  biggest story {size:>5} articles"
                f"  peak RSS {peak_rss_mb():7.0f} MB",
                file=sys.stderr,
            )
        stories = len(store.story_rows(limit=10_000))
    full = times[: len(records) // args.batch] or times
    full_cpu = cpu[: len(full)]
    head, tail = full[:3], full[-3:]
    result = {
        "articles": len(records),
        "batch": args.batch,
        "batches": len(times),
        "stories": stories,
        "biggest_story": size,
        "first_batch_s": round(full[0], 3),
        "last_batch_s": round(full[-1], 3),
        "first3_mean_s": round(sum(head) / len(head), 3),
        "last3_mean_s": round(sum(tail) / len(tail), 3),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "first_batch_cpu_s": round(full_cpu[0], 3),
        "last_batch_cpu_s": round(full_cpu[-1], 3),
        "first3_mean_cpu_s": round(sum(full_cpu[:3]) / len(head), 3),
        "last3_mean_cpu_s": round(sum(full_cpu[-3:]) / len(tail), 3),
        "batch_s": [round(t, 3) for t in times],
        "batch_cpu_s": [round(t, 3) for t in cpu],
    }
    print(
        f"{result['articles']} articles in {result['batches']} batches of {args.batch}:"
        f" first {result['first_batch_s']}s, last {result['last_batch_s']}s per batch,"
        f" biggest story {size}, {stories} stories, peak RSS {result['peak_rss_mb']} MB"
    )
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
