"""What the fact history (#16) adds to saving a story's facts, and what feeds and exports cost.

Usage: python bench/bench_fact_history.py [--facts 200] [--rounds 50]

A story of --facts facts is saved --rounds times, each round one more source joining a
tenth of its facts (new ids, so the history must follow them by their citations), once
with the history and once without (the same store code with the history step skipped).
Then the story's Atom feed and its three exports are built. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from newsloom import export, feeds
from newsloom.models import Citation, Fact, Story
from newsloom.store import Store


def story_facts(n: int, round_no: int) -> list[Fact]:
    facts = []
    for i in range(n):
        cites = [Citation("a0", i, "Outlet 0", f"sentence {i}")]
        if i % 10 < round_no % 10:  # some facts have gained sources by this round
            cites += [Citation(f"a{k}", i, f"Outlet {k}", f"sentence {i}") for k in (1, 2)]
        status = "corroborated" if len(cites) > 1 else "single"
        fid = f"f{i}-{len(cites)}"
        facts.append(Fact(fid, f"Fact {i} of the story.", status, [], len(cites), cites))
    return facts


def time_saves(path: Path, n: int, rounds: int, history: bool) -> float:
    store = Store(path)
    if not history:
        store._record_fact_history = lambda story_id, facts: None  # type: ignore[method-assign]
    rounds_facts = [story_facts(n, r) for r in range(rounds)]
    start = time.perf_counter()
    for facts in rounds_facts:
        store.save_facts("s1", facts, 3)
    elapsed = time.perf_counter() - start
    store.close()
    return elapsed / rounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--facts", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        without = time_saves(Path(tmp) / "a.db", args.facts, args.rounds, history=False)
        with_history = time_saves(Path(tmp) / "b.db", args.facts, args.rounds, history=True)
        store = Store(Path(tmp) / "b.db")
        store.save_stories([Story("s1", "A story", [])])
        store.save_facts("s1", story_facts(args.facts, 0), 3)
        events = store.conn.execute("SELECT count(*) FROM fact_events").fetchone()[0]
        rows = [
            ("save_facts without history", without),
            ("save_facts with history", with_history),
        ]
        start = time.perf_counter()
        feeds.render(feeds.story_feed(store, "http://127.0.0.1:8000/", "s1"))
        rows.append(("story feed (100 newest events)", time.perf_counter() - start))
        for fmt in export.FORMATS:
            start = time.perf_counter()
            "".join(export.export(store, ["s1"], fmt))
            rows.append((f"export {fmt}", time.perf_counter() - start))
    print(f"{args.facts} facts per story, {args.rounds} recomputations, {events} events kept\n")
    print("| step | ms per call |\n|---|---|")
    for name, seconds in rows:
        print(f"| {name} | {seconds * 1000:.1f} |")


if __name__ == "__main__":
    main()
