"""The fact-level gold (evalsets/facts/pairs.jsonl, issue #11): check it against the recipe.

    python scripts/factgold.py check [--data FILE] [--pages DIR]

One line per labelled statement pair: two sentences copied exactly from two pages of one gold
event of the real-web corpus (evalsets/realweb), a label (same_claim | conflict | update |
unrelated), the claim in a few words, whether the two pages are independent sources, and a
note. `check` fails naming every pair whose label, split, pages or independence flag do not
fit the recipe and the copy gold, and every sentence that is not an exact substring of its
page's text (the texts are not in git; without them only the format is checked). It prints
the counts per split and label.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from realweb import COPIES, PAGES, RECIPE, SPLITS, Page, load_recipe

DATA = Path(__file__).resolve().parent.parent / "evalsets" / "facts" / "pairs.jsonl"
LABELS = ("same_claim", "conflict", "update", "unrelated")
MAX_PER_EVENT = 15
# Two-letter country domains under which sites register at the third level (bbc.co.uk).
_SECOND_LEVEL = {"co", "com", "org", "net", "gov", "ac"}


@dataclass(frozen=True, slots=True)
class Statement:
    """One side of a pair: a sentence copied exactly from one page's text."""

    page: str
    text: str


@dataclass(frozen=True, slots=True)
class Pair:
    """One labelled statement pair; `line` is its line number in the file."""

    line: int
    event: str
    split: str
    a: Statement
    b: Statement
    label: str
    claim: str
    independent: bool
    note: str


def load_pairs(path: Path = DATA) -> list[Pair]:
    """The file's pairs; a line that is not a well-typed pair raises ValueError naming it."""
    pairs = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            sides = [Statement(**row.pop(side)) for side in ("a", "b")]
            pair = Pair(line=number, a=sides[0], b=sides[1], **row)
        except (json.JSONDecodeError, TypeError, KeyError, AttributeError) as error:
            raise ValueError(f"{path}:{number}: not a pair line ({error})") from error
        strings = [pair.event, pair.split, pair.label, pair.claim, pair.note]
        strings += [pair.a.page, pair.a.text, pair.b.page, pair.b.text]
        if not all(isinstance(s, str) for s in strings) or not isinstance(pair.independent, bool):
            raise ValueError(f"{path}:{number}: a field has the wrong type")
        pairs.append(pair)
    return pairs


def site(url: str) -> str:
    """The registrable domain of a page's URL: two pages of one site are one source."""
    labels = (urlparse(url).hostname or "").lower().split(".")
    if len(labels) > 2 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def copy_relations(path: Path = COPIES) -> dict[frozenset[str], str]:
    """The copy gold's relation for each labelled page pair."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return {frozenset((r["article_id"], r["original_id"])): r["relation"] for r in rows}


def problems(pairs: list[Pair], pages: list[Page], copies: dict[frozenset[str], str]) -> list[str]:
    """What is wrong with the pairs, one line each, checked without the page texts: labels,
    splits, pages outside the pair's event, copies or same-site pages marked independent,
    repeated pairs, events over the per-event cap."""
    by_id = {p.id: p for p in pages}
    found: list[str] = []
    seen: dict[frozenset[tuple[str, str]], int] = {}
    for pair in pairs:
        where = f"line {pair.line}"
        if pair.label not in LABELS:
            found.append(f"{where}: label {pair.label!r} is not one of {LABELS}")
        if pair.split not in SPLITS:
            found.append(f"{where}: split {pair.split!r} is not dev or test")
        if not pair.claim.strip():
            found.append(f"{where}: claim is empty")
        for side in (pair.a, pair.b):
            page = by_id.get(side.page)
            if page is None:
                found.append(f"{where}: page {side.page} is not in the recipe")
            elif page.event != pair.event:
                found.append(f"{where}: page {side.page} is not in event {pair.event}")
            elif page.split != pair.split:
                found.append(f"{where}: page {side.page} is not in split {pair.split}")
            if not side.text.strip() or side.text != side.text.strip():
                found.append(f"{where}: text of {side.page} is empty or has outer spaces")
        if pair.a.page == pair.b.page:
            found.append(f"{where}: both sentences come from {pair.a.page}")
        elif pair.a.page in by_id and pair.b.page in by_id and pair.independent:
            relation = copies.get(frozenset((pair.a.page, pair.b.page)))
            if relation in ("same_wire", "derived"):
                found.append(f"{where}: {pair.a.page} / {pair.b.page} are {relation} copies")
            elif site(by_id[pair.a.page].url) == site(by_id[pair.b.page].url):
                found.append(f"{where}: {pair.a.page} / {pair.b.page} are pages of one site")
        key = frozenset(((pair.a.page, pair.a.text), (pair.b.page, pair.b.text)))
        if key in seen:
            found.append(f"{where}: the same pair as line {seen[key]}")
        seen.setdefault(key, pair.line)
    per_event = Counter(pair.event for pair in pairs)
    found += [
        f"event {event}: {n} pairs, at most {MAX_PER_EVENT}"
        for event, n in sorted(per_event.items())
        if n > MAX_PER_EVENT
    ]
    return found


def text_problems(pairs: list[Pair], pages_dir: Path) -> list[str]:
    """Each sentence that is not an exact substring of its page's text, and each missing text."""
    texts: dict[str, str | None] = {}
    found: list[str] = []
    for pair in pairs:
        for side in (pair.a, pair.b):
            if side.page not in texts:
                path = pages_dir / f"{side.page}.txt"
                texts[side.page] = path.read_text(encoding="utf-8") if path.is_file() else None
            text = texts[side.page]
            if text is None:
                found.append(f"line {pair.line}: {pages_dir}/{side.page}.txt is missing")
            elif side.text not in text:
                found.append(f"line {pair.line}: not in {side.page}: {side.text[:60]!r}")
    return found


def summary(pairs: list[Pair]) -> dict[str, Counter[str]]:
    """Pairs per split and label."""
    table: dict[str, Counter[str]] = defaultdict(Counter)
    for pair in pairs:
        table[pair.split][pair.label] += 1
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("check",))
    parser.add_argument("--data", type=Path, default=DATA, help="the pairs file")
    parser.add_argument("--pages", type=Path, default=PAGES, help="folder of <id>.txt texts")
    args = parser.parse_args(argv)
    try:
        pairs = load_pairs(args.data)
        pages = load_recipe(RECIPE)
    except (OSError, ValueError) as error:
        print(f"factgold: {error}", file=sys.stderr)
        return 1
    found = problems(pairs, pages, copy_relations())
    if args.pages.is_dir():
        found += text_problems(pairs, args.pages)
    else:
        print(f"factgold: {args.pages} not found: sentences not checked", file=sys.stderr)
    for problem in found:
        print(f"factgold: {args.data}: {problem}", file=sys.stderr)
    table = summary(pairs)
    print(f"{'split':<6}" + "".join(f"{label:>12}" for label in LABELS) + f"{'all':>8}")
    for split in SPLITS:
        counts = table[split]
        row = "".join(f"{counts[label]:>12}" for label in LABELS)
        print(f"{split:<6}{row}{sum(counts.values()):>8}")
    events = len({pair.event for pair in pairs})
    independent = sum(pair.independent for pair in pairs)
    print(f"{len(pairs)} pairs over {events} events, {independent} of independent pages")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
