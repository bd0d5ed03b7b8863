"""Spun ECB+ copy gold (evalsets/spun): check the committed files and build the text files.

    python scripts/spun.py check [--ecbplus FILE]
    python scripts/spun.py build [--ecbplus FILE]

spun.jsonl (committed) holds hand-written rewrites of ECB+ articles (CC BY 3.0) in the ways
real pages copy agency text: spun, light edit, short excerpt, mixed. copies.jsonl (committed)
labels pairs among those rewrites and ECB+ originals, in the key format of
evalsets/realweb/copies.jsonl. Ids are `spun-NNN` (a line of spun.jsonl) or `ecb:<ECB+ id>`.
ECB+ texts are read in place from ../shared, never copied into git, so `build` writes the
texts of every labelled id to evalsets/spun/dev.jsonl and test.jsonl (git-ignored), one line
per article {"id", "text", "event", "storyline", "url"} like the real-web build: event and
storyline are the ECB+ story (topic and subtopic). `check` validates both files, resolving
ecb ids in the ECB+ file when it is there, and prints the counts.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsloom.errors import NewsloomError
from newsloom.evaluate import jsonl_records

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "evalsets" / "spun"
SPUN = HERE / "spun.jsonl"
COPIES = HERE / "copies.jsonl"
ECBPLUS = ROOT.parent / "shared" / "eval" / "ecbplus" / "ecbplus.jsonl"
RELATIONS = ("same_wire", "derived", "independent")
STYLES = ("spun", "light", "short", "mixed")
SPLITS = ("dev", "test")
LAST_DEV_TOPIC = 35  # ECB+ topics 1-35 are dev, 36-45 test (the usual held-out split)
SPUN_KEYS = {"id", "original_id", "style", "split", "text"}
COPY_KEYS = {"article_id", "original_id", "relation", "split", "same_event", "note"}
_SPUN_ID = re.compile(r"spun-\d{3,}\Z")
_ECB_ID = re.compile(r"ecb:(\d+)_\d+(ecb|ecbplus)\Z")


@dataclass(frozen=True, slots=True)
class Rewrite:
    """One hand-written rewrite of an ECB+ article."""

    id: str
    original_id: str
    style: str
    split: str
    text: str


def story_of(ecb_id: str) -> str | None:
    """The ECB+ story (`<topic>-<ecb|ecbplus>`) an `ecb:` id names, or None if malformed."""
    match = _ECB_ID.match(ecb_id)
    return f"{match.group(1)}-{match.group(2)}" if match else None


def split_of_story(story: str) -> str:
    """dev for topics 1-35, test for 36-45."""
    return "dev" if int(story.split("-")[0]) <= LAST_DEV_TOPIC else "test"


def _rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-empty line (`evaluate.jsonl_records`: a line that
    is not a JSON object is an error naming the file and line)."""
    return list(jsonl_records(path))


def load_rewrites(path: Path = SPUN) -> tuple[list[Rewrite], list[str]]:
    """The rewrites of spun.jsonl and the problems of its lines (a bad line is skipped)."""
    rewrites: list[Rewrite] = []
    found: list[str] = []
    for number, row in _rows(path):
        where = f"spun line {number}"
        if set(row) != SPUN_KEYS or not all(isinstance(v, str) for v in row.values()):
            found.append(f"{where}: needs exactly the string keys {sorted(SPUN_KEYS)}")
            continue
        rewrite = Rewrite(**{k: str(v) for k, v in row.items()})
        story = story_of(rewrite.original_id)
        if not _SPUN_ID.match(rewrite.id):
            found.append(f"{where}: id {rewrite.id!r} is not spun-NNN")
        if story is None:
            found.append(f"{where}: original_id {rewrite.original_id!r} is not ecb:<ECB+ id>")
        elif rewrite.split != split_of_story(story):
            found.append(
                f"{where}: {rewrite.id} is in split {rewrite.split!r}, its topic in "
                f"{split_of_story(story)}"
            )
        if rewrite.style not in STYLES:
            found.append(f"{where}: style {rewrite.style!r} is not one of {STYLES}")
        if len(rewrite.text.split()) < 20:
            found.append(f"{where}: {rewrite.id} has under 20 words of text")
        rewrites.append(rewrite)
    counts = Counter(r.id for r in rewrites)
    found += [f"spun id {i} appears {n} times" for i, n in counts.items() if n > 1]
    return rewrites, found


def load_ecbplus(path: Path) -> dict[str, dict[str, str]]:
    """ECB+ articles by `ecb:` id."""
    return {f"ecb:{row['id']}": {k: str(v) for k, v in row.items()} for _, row in _rows(path)}


def copy_problems(
    rewrites: list[Rewrite], ecb: dict[str, dict[str, str]] | None, path: Path = COPIES
) -> list[str]:
    """What is wrong with copies.jsonl: unknown ids (ecb ids are looked up only when the ECB+
    file is given), a relation outside RELATIONS, a split or same_event that contradicts the
    ECB+ topics, a pair labelled twice, a rewrite without its own derived row."""
    by_id = {r.id: r for r in rewrites}
    found: list[str] = []
    seen: set[frozenset[str]] = set()
    derived_ok: set[str] = set()
    for number, row in _rows(path):
        where = f"copies line {number}"
        if set(row) != COPY_KEYS:
            found.append(f"{where}: needs exactly the keys {sorted(COPY_KEYS)}")
            continue
        a, b = str(row["article_id"]), str(row["original_id"])
        stories = [_story(i, by_id, ecb) for i in (a, b)]
        unknown = [i for i, s in zip((a, b), stories, strict=True) if s is None]
        if unknown:
            found.append(f"{where}: unknown id {' '.join(unknown)}")
            continue
        if a == b:
            found.append(f"{where}: {a} is paired with itself")
            continue
        story_a, story_b = str(stories[0]), str(stories[1])
        if row["relation"] not in RELATIONS:
            found.append(f"{where}: relation {row['relation']!r} is not one of {RELATIONS}")
        split = split_of_story(story_a)
        if row["split"] != split or split != split_of_story(story_b):
            found.append(f"{where}: {a} and {b} are not both in split {row['split']}")
        if row["same_event"] is not (story_a == story_b):
            found.append(f"{where}: same_event is wrong for {a} / {b}")
        if not isinstance(row["note"], str):
            found.append(f"{where}: note is not a string")
        if frozenset((a, b)) in seen:
            found.append(f"{where}: {a} / {b} labelled twice")
        seen.add(frozenset((a, b)))
        if a in by_id and by_id[a].original_id == b and row["relation"] == "derived":
            derived_ok.add(a)
    found += [
        f"{i}: no derived row to its original {by_id[i].original_id}"
        for i in sorted(set(by_id) - derived_ok)
    ]
    return found


def _story(
    item: str, by_id: dict[str, Rewrite], ecb: dict[str, dict[str, str]] | None
) -> str | None:
    """The ECB+ story of a labelled id, or None if the id resolves nowhere."""
    if item in by_id:
        item = by_id[item].original_id
    elif item.startswith("spun-"):
        return None
    if ecb is not None and item not in ecb:
        return None
    return story_of(item)


def summary(rewrites: list[Rewrite], path: Path = COPIES) -> dict[str, Counter[str]]:
    """Counts per split: rewrites by style, relations, and same-event / cross-event pairs."""
    table: dict[str, Counter[str]] = {s: Counter() for s in SPLITS}
    for r in rewrites:
        table[r.split][r.style] += 1
    for _, row in _rows(path):
        split = str(row["split"])
        if split in table:
            table[split][str(row["relation"])] += 1
            table[split]["same_event" if row["same_event"] else "cross_event"] += 1
    return table


def build(rewrites: list[Rewrite], ecb: dict[str, dict[str, str]], out_dir: Path) -> None:
    """Write <split>.jsonl: every rewrite and every ECB+ article that copies.jsonl labels."""
    labelled = {str(row[k]) for _, row in _rows(COPIES) for k in ("article_id", "original_id")}
    lines: dict[str, list[str]] = {s: [] for s in SPLITS}
    for r in rewrites:
        story = str(story_of(r.original_id))
        lines[r.split].append(_line(r.id, r.text, story, ""))
    for item in sorted(i for i in labelled if i.startswith("ecb:")):
        story = str(story_of(item))
        lines[split_of_story(story)].append(_line(item, ecb[item]["text"], story, ecb[item]["url"]))
    for split, rows in lines.items():
        (out_dir / f"{split}.jsonl").write_text("".join(f"{r}\n" for r in rows), "utf-8")


def _line(item: str, text: str, story: str, url: str) -> str:
    row = {"id": item, "text": text, "event": story, "storyline": story, "url": url}
    return json.dumps(row, ensure_ascii=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("check", "build"))
    parser.add_argument("--ecbplus", type=Path, default=ECBPLUS, help="the ECB+ jsonl file")
    args = parser.parse_args(argv)
    ecb: dict[str, dict[str, str]] | None = None
    try:
        rewrites, found = load_rewrites()
        if args.ecbplus.is_file():
            ecb = load_ecbplus(args.ecbplus)
        else:
            print(f"spun: {args.ecbplus} not found: ecb ids checked by form only", file=sys.stderr)
        found += copy_problems(rewrites, ecb)
    except (OSError, ValueError, NewsloomError) as error:
        print(f"spun: {error}", file=sys.stderr)
        return 1
    found += [
        f"{r.id}: original {r.original_id} not in ECB+"
        for r in rewrites
        if ecb is not None and r.original_id not in ecb
    ]
    for problem in found:
        print(f"spun: {HERE}: {problem}", file=sys.stderr)
    if args.command == "build":
        if ecb is None:
            print("spun: build needs the ECB+ file (--ecbplus)", file=sys.stderr)
            return 1
        build(rewrites, ecb, HERE)
        print(f"wrote {HERE}/dev.jsonl and test.jsonl")
    else:
        keys = (*STYLES, *RELATIONS, "same_event", "cross_event")
        print(f"{'split':<6}" + "".join(f"{k:>12}" for k in keys))
        for split, counts in summary(rewrites).items():
            print(f"{split:<6}" + "".join(f"{counts[k]:>12}" for k in keys))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
