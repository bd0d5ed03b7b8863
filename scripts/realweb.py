"""The real-web news corpus (evalsets/realweb): check the recipe and build the eval files.

    python scripts/realweb.py check [--pages DIR]
    python scripts/realweb.py build [--pages DIR]
    python scripts/realweb.py baseline      # after build: TF-IDF + average-link reference

The recipe (evalsets/realweb/recipe.jsonl, committed) names each page, the search query that
found it and its gold event and storyline. The page texts are others' text, so they are kept
out of git (evalsets/realweb/pages, a link to /work/realweb-pages by default). `build` joins
the two into evalsets/realweb/dev.jsonl and test.jsonl, one line per page
{"id", "text", "event", "storyline", "url"}, the input of `newsloom eval cluster --data`.
`check` prints the counts per split and fails naming every page whose text is missing.
`baseline` scores the reference the issue compares against (TF-IDF cosine, average link,
distance threshold chosen on dev only) on both halves.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent / "evalsets" / "realweb"
RECIPE = HERE / "recipe.jsonl"
COPIES = HERE / "copies.jsonl"
RELATIONS = ("same_wire", "derived", "independent")
PAGES = HERE / "pages"
SPLITS = ("dev", "test")
KINDS = ("event", "lone")
MIN_REPORTS, MAX_REPORTS = 4, 10
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_ID = re.compile(r"rw-\d{3,}\Z")
# Independent checks use real news of 2018-2022: no event of the corpus may fall in those years.
_HELD_OUT_YEARS = range(2018, 2023)


@dataclass(frozen=True, slots=True)
class Page:
    """One recipe line: where a page came from and what it reports."""

    id: str
    url: str
    query: str
    event: str
    storyline: str
    split: str
    kind: str
    event_date: str
    notes: str


def load_recipe(path: Path = RECIPE) -> list[Page]:
    """The recipe's pages; a line that is not a page raises ValueError naming the line."""
    pages = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            pages.append(Page(**json.loads(line)))
        except (json.JSONDecodeError, TypeError) as error:
            raise ValueError(f"{path}:{number}: not a recipe line ({error})") from error
    return pages


def problems(pages: list[Page]) -> list[str]:
    """Everything that makes the recipe inconsistent, one line each (empty when well-formed)."""
    found: list[str] = []
    for field in ("id", "url"):
        counts = Counter(getattr(p, field) for p in pages)
        found += [f"{field} {value} appears {n} times" for value, n in counts.items() if n > 1]
    for p in pages:
        if not _ID.match(p.id):
            found.append(f"{p.id}: id is not rw-NNN")
        if p.split not in SPLITS:
            found.append(f"{p.id}: split {p.split!r} is not dev or test")
        if p.kind not in KINDS:
            found.append(f"{p.id}: kind {p.kind!r} is not event or lone")
        if not _DATE.match(p.event_date):
            found.append(f"{p.id}: event_date {p.event_date!r} is not YYYY-MM-DD")
        elif int(p.event_date[:4]) in _HELD_OUT_YEARS:
            found.append(f"{p.id}: event_date {p.event_date} is in the held-out years 2018-2022")
        if not p.query or not p.url.startswith(("http://", "https://")):
            found.append(f"{p.id}: needs a query and an http(s) url to be fetched again")
    by_event: dict[str, list[Page]] = defaultdict(list)
    for p in pages:
        by_event[p.event].append(p)
    for event, members in sorted(by_event.items()):
        for field in ("storyline", "kind", "split", "event_date"):
            values = {getattr(p, field) for p in members}
            if len(values) > 1:
                found.append(f"event {event}: pages disagree on {field} ({sorted(values)})")
        kind = members[0].kind
        if kind == "lone" and len(members) != 1:
            found.append(f"event {event}: a lone report must be one page, has {len(members)}")
        if kind == "event" and not MIN_REPORTS <= len(members) <= MAX_REPORTS:
            found.append(
                f"event {event}: has {len(members)} pages, needs {MIN_REPORTS}-{MAX_REPORTS}"
            )
    splits_of: dict[str, set[str]] = defaultdict(set)
    for p in pages:
        splits_of[p.storyline].add(p.split)
    found += [
        f"storyline {s} is in both splits"
        for s, splits in sorted(splits_of.items())
        if len(splits) > 1
    ]
    return found


def copy_problems(pages: list[Page], path: Path = COPIES) -> list[str]:
    """What is wrong with the copy-relation gold (copies.jsonl): unknown pages, a relation
    outside same_wire|derived|independent, a pair across splits or labelled twice."""
    split = {p.id: p.split for p in pages}
    event = {p.id: p.event for p in pages}
    found: list[str] = []
    seen: set[frozenset[str]] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        row = json.loads(line)
        a, b, where = row["article_id"], row["original_id"], f"copies line {number}"
        if a not in split or b not in split or a == b:
            found.append(f"{where}: {a} / {b} are not two recipe pages")
            continue
        if row["relation"] not in RELATIONS:
            found.append(f"{where}: relation {row['relation']!r} is not one of {RELATIONS}")
        if row["split"] != split[a] or split[a] != split[b]:
            found.append(f"{where}: {a} and {b} are not both in split {row['split']}")
        if row["same_event"] != (event[a] == event[b]):
            found.append(f"{where}: same_event is wrong for {a} / {b}")
        if frozenset((a, b)) in seen:
            found.append(f"{where}: {a} / {b} labelled twice")
        seen.add(frozenset((a, b)))
    return found


def hard_pairs(pages: list[Page]) -> list[tuple[str, str]]:
    """Neighbouring multi-report events of one storyline, in time order: the pairs that a
    story builder must keep apart as events and together as a storyline."""
    dates: dict[str, str] = {}
    storyline: dict[str, str] = {}
    for p in pages:
        if p.kind == "event":
            dates[p.event] = p.event_date
            storyline[p.event] = p.storyline
    by_storyline: dict[str, list[str]] = defaultdict(list)
    for event in sorted(dates, key=lambda e: (dates[e], e)):
        by_storyline[storyline[event]].append(event)
    return [(a, b) for events in by_storyline.values() for a, b in itertools.pairwise(events)]


def missing_texts(pages: list[Page], pages_dir: Path) -> list[str]:
    """The ids whose text file is absent or empty."""
    paths = {p.id: pages_dir / f"{p.id}.txt" for p in pages}
    return [i for i, path in paths.items() if not path.is_file() or not path.stat().st_size]


def summary(pages: list[Page]) -> dict[str, dict[str, int]]:
    """Counts per split: multi-report events, pages, lone reports, storylines, hard pairs."""
    pairs = hard_pairs(pages)
    split_of_event = {p.event: p.split for p in pages}
    table: dict[str, dict[str, int]] = {}
    for split in SPLITS:
        mine = [p for p in pages if p.split == split]
        table[split] = {
            "events": len({p.event for p in mine if p.kind == "event"}),
            "pages": len(mine),
            "lone": len({p.event for p in mine if p.kind == "lone"}),
            "storylines": len({p.storyline for p in mine}),
            "hard_pairs": sum(split_of_event[a] == split for a, _ in pairs),
        }
    return table


def build(pages: list[Page], pages_dir: Path, out_dir: Path) -> list[str]:
    """Write <split>.jsonl for each split from the pages whose text exists; returns the ids
    left out because their text is missing."""
    missing = set(missing_texts(pages, pages_dir))
    for split in SPLITS:
        lines = [
            json.dumps(
                {
                    "id": p.id,
                    "text": (pages_dir / f"{p.id}.txt").read_text(encoding="utf-8"),
                    "event": p.event,
                    "storyline": p.storyline,
                    "url": p.url,
                },
                ensure_ascii=False,
            )
            for p in pages
            if p.split == split and p.id not in missing
        ]
        (out_dir / f"{split}.jsonl").write_text("".join(f"{line}\n" for line in lines), "utf-8")
    return sorted(missing)


def baseline(out_dir: Path) -> None:
    """Print B-cubed P/R/F1 of TF-IDF + average-link clustering against the gold events (and
    storylines) of dev and test, with the distance threshold that is best on dev."""
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.feature_extraction.text import TfidfVectorizer

    from newsloom.evaluate.cluster import bcubed

    def clusters(docs: list[dict[str, str]], threshold: float) -> list[str]:
        vectors = TfidfVectorizer(sublinear_tf=True, stop_words="english").fit_transform(
            [d["text"] for d in docs]
        )
        model = AgglomerativeClustering(
            n_clusters=None, metric="cosine", linkage="average", distance_threshold=threshold
        )
        return [str(label) for label in model.fit(vectors.toarray()).labels_]

    halves = {
        split: [json.loads(line) for line in (out_dir / f"{split}.jsonl").open(encoding="utf-8")]
        for split in SPLITS
    }
    gold_dev = [d["event"] for d in halves["dev"]]
    thresholds = [round(0.5 + 0.025 * i, 3) for i in range(20)]
    best = max(thresholds, key=lambda t: bcubed(clusters(halves["dev"], t), gold_dev)[2])
    print(f"TF-IDF + average link, cosine distance threshold {best} (best on dev)")
    for split, docs in halves.items():
        pred = clusters(docs, best)
        for level in ("event", "storyline"):
            p, r, f = bcubed(pred, [d[level] for d in docs])
            print(f"{split:<5} {level:<9} B-cubed P {p:.3f} R {r:.3f} F1 {f:.3f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("check", "build", "baseline"))
    parser.add_argument("--pages", type=Path, default=PAGES, help="folder of <id>.txt texts")
    parser.add_argument("--recipe", type=Path, default=RECIPE)
    args = parser.parse_args(argv)
    try:
        pages = load_recipe(args.recipe)
    except (OSError, ValueError) as error:
        print(f"realweb: {error}", file=sys.stderr)
        return 1
    status = 0
    for problem in problems(pages) + copy_problems(pages, args.recipe.parent / "copies.jsonl"):
        print(f"realweb: {args.recipe}: {problem}", file=sys.stderr)
        status = 1
    if args.command == "baseline":
        baseline(args.recipe.parent)
        return status
    if args.command == "build":
        missing = build(pages, args.pages, args.recipe.parent)
        print(f"wrote {args.recipe.parent}/dev.jsonl and test.jsonl")
    else:
        missing = missing_texts(pages, args.pages)
        print(f"{'split':<6}" + "".join(f"{k:>12}" for k in next(iter(summary(pages).values()))))
        for split, counts in summary(pages).items():
            print(f"{split:<6}" + "".join(f"{v:>12}" for v in counts.values()))
    for page_id in missing:
        print(f"realweb: {args.pages}/{page_id}.txt: text missing", file=sys.stderr)
        status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
