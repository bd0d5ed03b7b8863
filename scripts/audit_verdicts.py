"""The editor's audit of newsloom's verdicts on real-web pages (issue #11, "Done when").

    python scripts/audit_verdicts.py dump [--data evalsets/realweb/dev.jsonl] [--out FILE]
    python scripts/audit_verdicts.py show [--sheet FILE] [--event PREFIX]
    python scripts/audit_verdicts.py merges [--data evalsets/realweb/dev.jsonl]
    python scripts/audit_verdicts.py score LABELS [--sheet FILE]

`dump` briefs each gold event with two or more pages in ONE run of the real pipeline (a fresh
database per event, all its pages as one JSONL input), so the audit measures corroboration,
not clustering, and writes a review sheet (default out/audit/sheet.jsonl, gitignored: it
quotes the pages): one line per fact with its status, text, independent sources and every
cited sentence with its outlet and page id. `show` prints the sheet's audited facts for
reading (with `--labels`, only those not labelled yet). `merges` runs all the pages in one
database and prints the stories that hold pages of more than one gold event, with their
non-single facts that cite pages of two events.
`score` reads the editor's labels (one line per audited fact: `event`, `key`, `status`,
`right`, `why`, `claim`) and prints the precision of each status and the kinds of error;
with `--sheet` only the facts of that dump count, and facts the sheet has but the labels
lack are listed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT / "evalsets" / "realweb" / "dev.jsonl"
SHEET = ROOT / "out" / "audit" / "sheet.jsonl"
AUDITED = ("corroborated", "conflict", "update")
WHY = (
    "ok",
    "different_event",
    "figure_differs",
    "rising_toll",
    "minor_part",
    "furniture",
    "same_outlet",
    "parse_artefact",
    "not_same_claim",
)


@dataclass(frozen=True, slots=True)
class Label:
    """The editor's verdict on one fact, found again across runs by its key and status.
    `shown` is the sentence the fact showed when it was read: a fact that keeps its cited
    sentences but shows another one asks for a new reading (a stale label)."""

    event: str
    key: str
    status: str
    right: bool
    why: str
    claim: str
    shown: str = ""


def fact_key(citations: list[dict[str, Any]]) -> str:
    """A fact's stable key: the cited pages and sentences, whatever id or order a run gives."""
    cited = sorted({f"{c['article_id']}\t{c['text']}" for c in citations})
    return hashlib.sha1("\n".join(cited).encode("utf-8")).hexdigest()[:16]


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def events_of(pages: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The gold events with two or more pages, each with its pages in id order."""
    by_event: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for page in sorted(pages, key=lambda p: p["id"]):
        by_event[page["event"]].append(page)
    return {event: rows for event, rows in sorted(by_event.items()) if len(rows) >= 2}


def brief_pages(pages: list[dict[str, Any]], folder: Path, resources: Any) -> list[dict[str, Any]]:
    """Run the real pipeline on the pages as one JSONL input into a fresh database."""
    from newsloom.brief import build_briefing
    from newsloom.pipeline import run
    from newsloom.store import Store

    data = folder / "pages.jsonl"
    keep = ("id", "text", "url")
    data.write_text("".join(json.dumps({k: p[k] for k in keep}) + "\n" for p in pages), "utf-8")
    store = Store(str(folder / "run.db"))
    report = run([str(data)], store, resources)
    briefings = []
    for story_id in report.story_ids:
        story = store.get_story(story_id)
        assert story is not None
        articles = store.get_articles(story.article_ids)
        briefings.append(build_briefing(story, articles, store.get_facts(story_id)))
    return briefings


def sheet_rows(event: str, briefings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One review line per fact: what the editor needs to judge it, and nothing else."""
    rows = []
    for briefing in briefings:
        for fact in briefing["facts"]:
            rows.append(
                {
                    "event": event,
                    "n_stories": len(briefings),
                    "story": briefing["id"],
                    "fact": fact["id"],
                    "key": fact_key(fact["citations"]),
                    "status": fact["status"],
                    "claim": fact["text"],
                    "independent_sources": fact["independent_sources"],
                    "sources": fact["sources"],
                    "conflict": fact.get("conflict") or {},
                    "updates": [
                        {"value": u["value"], "time": u["time"], "sources": u["sources"]}
                        for u in fact.get("updates") or []
                    ],
                    "citations": [
                        {"outlet": c["source"], "page": c["article_id"], "text": c["text"]}
                        for c in fact["citations"]
                    ],
                }
            )
    return rows


def dump(data: Path, out: Path) -> None:
    from newsloom.pipeline import Resources

    resources = Resources()
    rows: list[dict[str, Any]] = []
    for event, pages in events_of(read_jsonl(data)).items():
        with tempfile.TemporaryDirectory() as tmp:
            briefings = brief_pages(pages, Path(tmp), resources)
        event_rows = sheet_rows(event, briefings)
        counts = Counter(r["status"] for r in event_rows)
        print(f"{event}: {len(pages)} pages, {len(briefings)} stories, {dict(counts)}")
        rows += event_rows
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    print(f"wrote {out}: {len(rows)} facts")


def merges(data: Path) -> None:
    """Brief all the pages in one database; print stories that mix gold events and their
    verdicts that cite pages of more than one event."""
    from newsloom.pipeline import Resources

    pages = read_jsonl(data)
    gold = {p["id"]: p["event"] for p in pages}
    with tempfile.TemporaryDirectory() as tmp:
        briefings = brief_pages(pages, Path(tmp), Resources())
    mixed = 0
    for briefing in briefings:
        events = Counter(gold[a["id"]] for a in briefing["articles"])
        if len(events) < 2:
            continue
        mixed += 1
        print(f"story {briefing['id']}: {dict(events)}")
        for fact in briefing["facts"]:
            cited = {gold[c["article_id"]] for c in fact["citations"]}
            if fact["status"] != "single" and len(cited) > 1:
                print(f"  {fact['status']} across {sorted(cited)}: {fact['text'][:80]!r}")
    print(
        f"{len(briefings)} stories from {len(set(gold.values()))} gold events; {mixed} mix events"
    )


def show(sheet: list[dict[str, Any]], event: str, labelled: set[tuple[str, str]]) -> None:
    """The audited facts of the sheet not labelled yet, with their cited sentences."""
    for row in sheet:
        if row["status"] not in AUDITED or not row["event"].startswith(event):
            continue
        if (row["key"], row["status"]) in labelled:
            continue
        head = f"{row['event']} [{row['status']}] key={row['key']}"
        print(f"### {head} independent={row['independent_sources']}")
        print(f"  fact: {row['claim']}")
        if row["conflict"]:
            print(f"  conflict: {json.dumps(row['conflict'], ensure_ascii=False)}")
        for update in row["updates"]:
            print(f"  update: {update['value']} at {update['time']} from {update['sources']}")
        for cite in row["citations"]:
            print(f"  - {cite['page']} ({cite['outlet']}): {cite['text']}")


def load_labels(path: Path) -> list[Label]:
    """The labels file; a line that is not a well-formed label raises ValueError naming it."""
    labels = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            label = Label(**json.loads(line))
        except (json.JSONDecodeError, TypeError) as error:
            raise ValueError(f"{path}:{number}: not a label line ({error})") from error
        if label.status not in AUDITED or label.why not in WHY or not isinstance(label.right, bool):
            raise ValueError(f"{path}:{number}: bad status, why or right")
        if label.right != (label.why == "ok"):
            raise ValueError(f"{path}:{number}: right must be true exactly when why is ok")
        labels.append(label)
    return labels


@dataclass(slots=True)
class Score:
    """Per status: facts labelled, right, and the kinds of error."""

    total: Counter[str]
    right: Counter[str]
    errors: dict[str, Counter[str]]
    unlabelled: list[dict[str, Any]]  # new facts, and labelled ones that show another sentence

    def precision(self, status: str) -> float:
        return self.right[status] / self.total[status] if self.total[status] else 0.0


def score(labels: list[Label], sheet: list[dict[str, Any]] | None = None) -> Score:
    """Precision per status over the labels, or over the sheet's audited facts when given."""
    chosen = labels
    unlabelled: list[dict[str, Any]] = []
    if sheet is not None:
        by_key = {(label.key, label.status): label for label in labels}
        audited = [r for r in sheet if r["status"] in AUDITED]

        def read(row: dict[str, Any]) -> bool:
            label = by_key.get((row["key"], row["status"]))
            return label is not None and label.shown in ("", row["claim"])

        chosen = [
            by_key[k] for k in dict.fromkeys((r["key"], r["status"]) for r in audited if read(r))
        ]
        unlabelled = [r for r in audited if not read(r)]
    result = Score(Counter(), Counter(), defaultdict(Counter), unlabelled)
    for label in chosen:
        result.total[label.status] += 1
        result.right[label.status] += label.right
        if not label.right:
            result.errors[label.status][label.why] += 1
    return result


def print_score(result: Score) -> None:
    for status in AUDITED:
        n, right = result.total[status], result.right[status]
        kinds = ", ".join(f"{why} {n}" for why, n in result.errors[status].most_common())
        share = f"{right:3d}/{n:<3d} right  precision {result.precision(status):.2f}"
        print(f"{status:13s} {share}  {kinds}")
    for row in result.unlabelled:
        print(f"unlabelled: {row['event']} {row['status']} {row['key']} {row['claim'][:60]!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="command", required=True)
    p_dump = sub.add_parser("dump", help="brief each dev event and write the review sheet")
    p_dump.add_argument("--data", type=Path, default=DEV)
    p_dump.add_argument("--out", type=Path, default=SHEET)
    p_show = sub.add_parser("show", help="print the sheet's audited facts for reading")
    p_show.add_argument("--sheet", type=Path, default=SHEET)
    p_show.add_argument("--event", default="", help="only events whose name starts so")
    p_show.add_argument("--labels", type=Path, help="leave out the facts labelled here")
    p_merges = sub.add_parser("merges", help="brief all pages at once; list mixed stories")
    p_merges.add_argument("--data", type=Path, default=DEV)
    p_score = sub.add_parser("score", help="precision per status from the editor's labels")
    p_score.add_argument("labels", type=Path)
    p_score.add_argument("--sheet", type=Path, help="count only this dump's facts")
    args = parser.parse_args(argv)
    if args.command == "dump":
        dump(args.data, args.out)
    elif args.command == "show":
        done = load_labels(args.labels) if args.labels else []
        show(read_jsonl(args.sheet), args.event, {(label.key, label.status) for label in done})
    elif args.command == "merges":
        merges(args.data)
    else:
        try:
            labels = load_labels(args.labels)
        except (OSError, ValueError) as error:
            print(f"audit_verdicts: error: {error}", file=sys.stderr)
            return 1
        sheet = read_jsonl(args.sheet) if args.sheet else None
        print_score(score(labels, sheet))
    return 0


if __name__ == "__main__":
    sys.exit(main())
