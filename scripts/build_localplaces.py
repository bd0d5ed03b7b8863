"""Build `evalsets/localplaces/gold.jsonl` from the hand labels and the saved page texts.

Usage: python scripts/build_localplaces.py [--pages evalsets/localplaces/pages]

`sources.tsv` names each document (the search query, rank and URL it came from, and when
its events happened); `labels.tsv` gives every toponym as the string written, which of its
whole-word occurrences are meant ("*" for all that no earlier label covers, or "1,3"),
its coordinates, GeoNames id where GeoNames has the place, and its kind (literal |
embedded | demonym | facility). This script turns the labels into character spans over
the page texts (kept out of git, see the README) and records each text's SHA-256, so a
changed page is caught by `newsloom eval places` instead of silently shifting spans.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent / "evalsets" / "localplaces"


def read_tsv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


def spans_of(text: str, label: dict[str, str], taken: list[tuple[int, int]]) -> list[int]:
    """Start offsets of the occurrences a label means."""
    pattern = r"(?<!\w)" + re.escape(label["text"]) + r"(?!\w)"
    starts = [m.start() for m in re.finditer(pattern, text)]
    end = len(label["text"])
    free = [s for s in starts if not any(a < s + end and s < b for a, b in taken)]
    if label["occurrences"] == "*":
        return free
    wanted = [int(n) for n in label["occurrences"].split(",")]
    if max(wanted) > len(starts):
        raise ValueError(f"{label['doc']}: {label['text']!r} occurs {len(starts)} times")
    chosen = [starts[n - 1] for n in wanted]
    clash = [s for s in chosen if s not in free]
    if clash:
        raise ValueError(f"{label['doc']}: {label['text']!r} at {clash} overlaps a label")
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=Path, default=HERE / "pages")
    args = parser.parse_args()
    labels = read_tsv(HERE / "labels.tsv")
    out = []
    for source in read_tsv(HERE / "sources.tsv"):
        doc = source["doc"]
        path = args.pages / f"{doc}.txt"
        if not path.exists():
            sys.exit(f"build_localplaces: missing page text {path} (see the README)")
        text = path.read_text(encoding="utf-8")
        taken: list[tuple[int, int]] = []
        toponyms = []
        for label in (lab for lab in labels if lab["doc"] == doc):
            starts = spans_of(text, label, taken)
            if not starts:
                sys.exit(f"build_localplaces: {doc}: {label['text']!r} not found")
            for start in starts:
                end = start + len(label["text"])
                taken.append((start, end))
                toponyms.append(
                    {
                        "start": start,
                        "end": end,
                        "text": label["text"],
                        "lat": float(label["lat"]),
                        "lon": float(label["lon"]),
                        "geonameid": int(label["geonameid"]) if label["geonameid"] else None,
                        "kind": label["kind"],
                    }
                )
        toponyms.sort(key=lambda t: t["start"])
        out.append(
            {
                "id": doc,
                "file": f"pages/{doc}.txt",
                "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
                "url": source["url"],
                "query": source["query"],
                "rank": int(source["rank"]),
                "event_date": source["event_date"],
                "toponyms": toponyms,
            }
        )
    with (HERE / "gold.jsonl").open("w", encoding="utf-8") as fh:
        for record in out:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    n = sum(len(r["toponyms"]) for r in out)
    print(f"wrote {HERE / 'gold.jsonl'}: {len(out)} documents, {n} toponyms")


if __name__ == "__main__":
    main()
