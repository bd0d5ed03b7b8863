"""Cost of the extraction rules per article, extractor by extractor, after the spaCy parse.

Usage: python bench/bench_extract.py [--n 300] [--data ../shared/eval/ecbplus/ecbplus.jsonl]
       [--profile]

Parses the first N ECB+ articles once (timed apart), then runs each extractor of
`newsloom.extract` over the parsed articles on one thread and prints a Markdown table:
extractor | ms/article. The gazetteer load time and the process's peak memory are printed
too. `--profile` adds the 25 most costly functions (cProfile, cumulative time).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

from newsloom import clean
from newsloom.extract import dates, entities, places, quantities, quotes
from newsloom.models import Article
from newsloom.nlp import load_spacy


def load(path: Path, n: int) -> list[Article]:
    """The first `n` ECB+ texts as cleaned articles."""
    raw = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            doc = json.loads(line)
            raw.append(Article(id=doc["id"], text=doc["text"]))
            if len(raw) >= n:
                break
    return clean.clean_batch(raw)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--data", default="../shared/eval/ecbplus/ecbplus.jsonl")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    if not Path(args.data).exists():
        sys.exit(f"bench: corpus not found: {args.data} (see ../shared/README.md)")
    start = time.perf_counter()
    gazetteer = places.load_gazetteer()
    gaz_s = time.perf_counter() - start
    rss_gaz = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    nlp = load_spacy()
    articles = load(Path(args.data), args.n)
    start = time.perf_counter()
    docs = list(nlp.pipe((a.text for a in articles), batch_size=16))
    parse_s = time.perf_counter() - start
    pairs = list(zip(articles, docs, strict=True))

    def run_entities() -> None:
        for art, doc in pairs:
            art.mentions = entities.find_mentions(art, doc, gazetteer)

    def run_places() -> None:
        for art, _ in pairs:
            art.places = places.resolve_places(art, art.mentions, gazetteer)

    def run_dates() -> None:
        for art, _ in pairs:
            art.times = dates.times_for(art)

    def run_quotes() -> None:
        for art, doc in pairs:
            art.quotes = quotes.find_quotes(art, doc, art.mentions)

    def run_quantities() -> None:
        for art, _ in pairs:
            art.quantities = quantities.find_quantities(art)

    steps: list[tuple[str, Callable[[], None]]] = [
        ("entities", run_entities),
        ("places", run_places),
        ("dates", run_dates),
        ("quotes", run_quotes),
        ("quantities", run_quantities),
    ]
    profiler = cProfile.Profile() if args.profile else None
    rows = []
    for name, step in steps:
        step()  # warm caches once, as a long-running process would have them
        if profiler:
            profiler.enable()
        start = time.perf_counter()
        step()
        rows.append((name, (time.perf_counter() - start) * 1000 / len(pairs)))
        if profiler:
            profiler.disable()
    n = len(pairs)
    print(f"{n} ECB+ articles; spaCy parse {parse_s * 1000 / n:.1f} ms/article (not counted below)")
    print(f"gazetteer load {gaz_s:.2f} s, peak RSS after load {rss_gaz:.0f} MiB\n")
    print("| extractor | ms/article |\n|---|---:|")
    for name, ms in rows:
        print(f"| {name} | {ms:.2f} |")
    print(f"| **all rules** | **{sum(ms for _, ms in rows):.2f}** |")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS {peak:.0f} MiB")
    if profiler:
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
