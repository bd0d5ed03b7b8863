"""End-to-end throughput of the pipeline on real news articles, with seconds per stage.

Usage: python bench/bench_pipeline.py [--n 1000] [--workers N | --cluster ADDRESS] [--json]
                                      [--data ../shared/eval/ecbplus/ecbplus.jsonl]

The corpus is ECB+ (982 real news articles); for --n above that, articles are
repeated with a numbered first line so that every one is a new article. In one run:

1. parse only: the spaCy pipeline alone (`nlp.pipe`, the model the pipeline uses)
   over the same cleaned texts, with the same number of processes;
2. end to end: `pipeline.run` with N workers (the real path of `newsloom ingest
   --workers N`) into a new SQLite store, workers started and models loaded before
   the clock starts (as the parse-only processes have theirs).

Prints a Markdown table of wall-clock and CPU seconds per stage and CPU ms per article,
where "workers" stages are summed over the worker processes and "writer" stages are the
one writing process ("waiting for workers" is the writer idle while articles are
prepared, "waiting for story updates" while stories are updated; "story updates" is the
story-level work: refinement, copy tracing, facts, one task per story; "story writes" is
the writer reading each story's job and storing its result). CPU time is what a capacity
plan needs: it barely moves when other jobs share the machine, wall time does.
With --json, ends with one JSON object: `articles_per_s`, `parse_only_per_s`, `ratio`,
`stages` (wall seconds), `cpu` (CPU seconds), `cpu_ms_per_article` (the workers' stages
and the writer's, summed), `peak_rss_mb` (largest process),
`db_kb_per_article` (SQLite file size).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from newsloom import clean, ingest
from newsloom.errors import InputError
from newsloom.executors import Executor, default_workers, make_executor
from newsloom.models import Article
from newsloom.pipeline import Batch, Resources, RunReport, prepare_batch, run
from newsloom.store import Store

WORKER_STAGES = ("extract", "features", "story updates")
WRITER_STAGES = (
    "read + clean",
    "assign + store",
    "waiting for workers",
    "story writes",
    "waiting for story updates",
)


def write_corpus(src: Path, n: int, dest: Path) -> None:
    docs = [json.loads(line) for line in src.open(encoding="utf-8")]
    with dest.open("w", encoding="utf-8") as out:
        for i in range(n):
            doc = docs[i % len(docs)]
            text = doc["text"] if i < len(docs) else f"Update {i}.\n\n{doc['text']}"
            record = {"id": f"{doc['id']}-{i}", "text": text, "source": f"outlet{i % 37}"}
            out.write(json.dumps(record) + "\n")


def parse_only(res: Resources, corpus: Path, processes: int) -> tuple[int, float]:
    """Articles parsed per second by spaCy alone, over the pipeline's cleaned texts."""
    raw = [a for a in ingest.read_inputs([str(corpus)]) if not isinstance(a, InputError)]
    texts = [a.text for a in clean.clean_batch(raw)]
    start = time.perf_counter()
    for _ in res.nlp.pipe(texts, batch_size=16, n_process=processes):
        pass
    return len(texts), time.perf_counter() - start


WARM_TEXT = (
    "KABUL, Afghanistan (AP) — The Taliban captured Kandahar on Thursday, officials said."
    ' "The city has fallen," a spokesman told reporters.'
)


def _warm(res: Resources, _: int) -> None:
    """Load every model a worker uses, those the extractors load on first use included."""
    _ = (res.nlp, res.gazetteer, res.embedder, res.statement_embedder, res.matcher)
    (article,) = clean.clean_batch([Article(id="warm", text=WARM_TEXT, published="2021-08-12")])
    prepare_batch(res, Batch([article], 1))
    time.sleep(0.5)  # so that each worker takes one of the warm-up tasks


def end_to_end(
    res: Resources, corpus: Path, executor: Executor, db: Path
) -> tuple[RunReport, float]:
    list(executor.map(_warm, range(max(2, executor.workers))))
    start = time.perf_counter()
    report = run([str(corpus)], Store(db), res, executor=executor)
    return report, time.perf_counter() - start


def peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def table(report: RunReport, n: int, wall: float) -> str:
    lines = [
        "| stage | where | wall s | CPU s | CPU ms/article |",
        "|---|---|---|---|---|",
    ]
    for stage in (*WORKER_STAGES, *WRITER_STAGES):
        if stage in report.seconds:
            where = "workers" if stage in WORKER_STAGES else "writer"
            secs, cpu = report.seconds[stage], report.seconds[f"{stage} cpu"]
            lines.append(f"| {stage} | {where} | {secs:.1f} | {cpu:.1f} | {1000 * cpu / n:.1f} |")
    for where, ms in cpu_per_article(report, n).items():
        lines.append(f"| **all {where} stages** | {where} | | | **{ms:.1f}** |")
    lines.append(f"| **end to end** | | {wall:.1f} | | |")
    return "\n".join(lines)


def cpu_per_article(report: RunReport, n: int) -> dict[str, float]:
    """CPU ms per article of the workers' stages and of the writer's."""
    return {
        where: round(sum(1000 * report.seconds.get(f"{s} cpu", 0.0) / max(n, 1) for s in stages), 1)
        for where, stages in (("workers", WORKER_STAGES), ("writer", WRITER_STAGES))
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=None, help="default: the cores")
    parser.add_argument("--cluster", default=None, help="a Dask scheduler or local:N")
    parser.add_argument("--data", default="../shared/eval/ecbplus/ecbplus.jsonl")
    parser.add_argument("--json", action="store_true", help="end with one JSON object")
    args = parser.parse_args()
    if not Path(args.data).exists():
        sys.exit(f"bench: corpus not found: {args.data} (see ../shared/README.md)")
    res = Resources()
    executor = make_executor(res, args.workers or default_workers(), args.cluster)
    processes = executor.workers
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus.jsonl"
        write_corpus(Path(args.data), args.n, corpus)
        start = time.perf_counter()
        _warm(res, 0)
        print(f"  load models: {time.perf_counter() - start:.1f}s", file=sys.stderr)
        n_parsed, parse_secs = parse_only(res, corpus, processes)
        print(f"  parse only ({processes} processes): {parse_secs:.1f}s", file=sys.stderr)
        db = Path(tmp) / "bench.db"
        try:
            report, wall = end_to_end(res, corpus, executor, db)
        finally:
            executor.close()
        Store(db).conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db_bytes = sum(p.stat().st_size for p in Path(tmp).glob("bench.db*"))
    print(f"  end to end ({processes} workers): {wall:.1f}s", file=sys.stderr)
    n = report.read
    result: dict[str, Any] = {
        "n": n,
        "workers": processes,
        "executor": args.cluster or (f"processes:{processes}" if processes > 1 else "inline"),
        "articles_per_s": round(n / wall, 2),
        "parse_only_per_s": round(n_parsed / parse_secs, 2),
        "stages": {k: round(v, 2) for k, v in report.seconds.items() if not k.endswith(" cpu")},
        "cpu": {k[:-4]: round(v, 2) for k, v in report.seconds.items() if k.endswith(" cpu")},
        "cpu_ms_per_article": cpu_per_article(report, n),
        "peak_rss_mb": round(peak_rss_mb()),
        "db_kb_per_article": round(db_bytes / 1024 / max(n, 1), 1),
    }
    result["ratio"] = round(result["articles_per_s"] / result["parse_only_per_s"], 3)
    print(table(report, n, wall))
    print(
        f"\nend to end {result['articles_per_s']} articles/s, spaCy parse alone"
        f" {result['parse_only_per_s']} articles/s (ratio {result['ratio']});"
        f" peak RSS {result['peak_rss_mb']:,} MiB; store {result['db_kb_per_article']} KiB/article"
    )
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
