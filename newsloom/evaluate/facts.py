"""`newsloom eval facts`: fact-level fusion against labelled statement pairs (issue #11).

Gold: one pair of sentences from two pages of one event a line, `{"event", "split",
"a": {"page", "text"}, "b": {"page", "text"}, "label", "note"}`; `label` is `same_claim`,
`conflict`, `update` or `unrelated`; `text` is one sentence copied from the page. Pages are
found as for `eval copies` (real-web `pages/` and `recipe.jsonl` beside the gold file).

How it is scored. Fusion is measured alone, on gold clustering: all the recipe's pages of each
gold event are read through the real pipeline (ingest, clean, extract) and fused as ONE story,
in id order, by the production story update (`storystate.grow`: story-level refinement, copy
tracing, facts). A gold sentence is located in its page's cleaned sentences (whitespace and
quote marks normalised; a sentence the cleaner split or joined matches by containment). A pair
is predicted:

- `conflict` when one `conflict` fact cites both sentences;
- `update` when one `update` fact cites both sentences with different values (the same value
  in an update is `same_claim`);
- `same_claim` when one fact with two or more citations (corroborated, or single because the
  two pages fold into one source) cites both;
- `unrelated` otherwise (also when a sentence cannot be found in its page: counted in
  `unmatched`).

Headline: `same_claim_precision` (the precision of "corroborated": how often two sentences the
briefing cites together really make the same claim), with `same_claim_recall` and per-label
precision, recall and F1 for the other labels.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsloom.errors import EvalDataMissing
from newsloom.evaluate import EvalResult, prf
from newsloom.evaluate.copies import load_pages, read_articles, read_jsonl
from newsloom.models import Article, Fact

if TYPE_CHECKING:
    from newsloom.pipeline import Resources

LABELS = ("same_claim", "conflict", "update", "unrelated")
_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "\u00a0": " "})


SPLITS = ("all", "dev", "test")


def _norm(text: str) -> str:
    return " ".join(text.translate(_QUOTES).split()).strip(" .")


def locate(article: Article, text: str) -> set[int]:
    """Indices of the article's sentences that hold the gold sentence."""
    gold = _norm(text)
    if not gold:
        return set()
    found = {s.index for s in article.sentences if _norm(s.text) == gold}
    if found:
        return found
    return {
        s.index
        for s in article.sentences
        if len(_norm(s.text)) >= 20 and (_norm(s.text) in gold or gold in _norm(s.text))
    }


def _event_pages(data: Path, events: set[str]) -> list[str]:
    recipe_path = next(
        (
            p
            for p in (
                data.parent / "recipe.jsonl",
                data.parent.parent / "realweb" / "recipe.jsonl",
                Path("evalsets/realweb/recipe.jsonl"),
            )
            if p.exists()
        ),
        None,
    )
    if recipe_path is None:
        raise EvalDataMissing(f"no recipe.jsonl beside {data} or in evalsets/realweb/")
    return [r["id"] for r in read_jsonl(recipe_path) if r["event"] in events]


def fuse_events(
    data: Path, events: set[str], res: Resources
) -> dict[str, tuple[dict[str, Article], list[Fact]]]:
    """Each event's pages (by id) and facts, fused as one story by the production update."""
    from newsloom.storystate import StoryState, grow

    pages = load_pages(set(_event_pages(data, events)), data)
    by_event: dict[str, list[str]] = defaultdict(list)
    for page in pages.values():
        by_event[page.event].append(page.id)
    out: dict[str, tuple[dict[str, Article], list[Fact]]] = {}
    for event, ids in sorted(by_event.items()):
        articles = read_articles([pages[i] for i in sorted(ids)], res)
        state = StoryState(event)
        grow(state, articles, res)
        out[event] = ({a.id: a for a in articles}, state.facts.facts())
    return out


def predict(facts: list[Fact], a: tuple[str, set[int]], b: tuple[str, set[int]]) -> str:
    """The relation the facts give two located sentences (see the module doc)."""

    def cites(fact: Fact, where: tuple[str, set[int]]) -> bool:
        return any(c.article_id == where[0] and c.sentence in where[1] for c in fact.citations)

    found: set[str] = set()
    for fact in facts:
        if len(fact.citations) < 2 or not (cites(fact, a) and cites(fact, b)):
            continue
        if fact.status == "conflict":
            found.add("conflict")
        elif fact.status == "update":
            sides = [
                i
                for i, u in enumerate(fact.updates)
                for c in u["citations"]
                for where in (a, b)
                if c["article_id"] == where[0] and c["sentence"] in where[1]
            ]
            found.add("update" if len(set(sides)) > 1 else "same_claim")
        else:
            found.add("same_claim")
    for label in ("conflict", "update", "same_claim"):
        if label in found:
            return label
    return "unrelated"


def evaluate(data: Path, *, limit: int | None = None, split: str = "all") -> EvalResult:
    """Per-label precision and recall of fusion on gold statement pairs."""
    from newsloom.pipeline import Resources

    records = [r for r in read_jsonl(data) if split == "all" or r.get("split") == split]
    records = records[:limit] if limit else records
    if not records:
        raise EvalDataMissing(f"{data}: no gold pairs in split {split!r}")
    fused = fuse_events(data, {r["event"] for r in records}, Resources())
    counts = {label: [0, 0, 0] for label in LABELS}
    unmatched = 0
    confusion: dict[str, int] = defaultdict(int)
    for rec in records:
        articles, facts = fused.get(rec["event"], ({}, []))
        ends = []
        for side in ("a", "b"):
            page, text = rec[side]["page"], rec[side]["text"]
            ends.append((page, locate(articles[page], text) if page in articles else set()))
        if not ends[0][1] or not ends[1][1]:
            unmatched += 1
            pred = "unrelated"
        else:
            pred = predict(facts, ends[0], ends[1])
        gold = rec["label"]
        confusion[f"{gold}->{pred}"] += 1
        for label in LABELS:
            cell = counts[label]
            cell[0] += int(pred == label and gold == label)
            cell[1] += int(pred == label and gold != label)
            cell[2] += int(gold == label and pred != label)
    metrics: dict[str, Any] = {"pairs": len(records), "unmatched": unmatched}
    for label in LABELS:
        p, r, f = prf(*counts[label])
        metrics.update({f"{label}_precision": p, f"{label}_recall": r, f"{label}_f1": f})
        metrics[f"{label}_gold"] = counts[label][0] + counts[label][2]
    return EvalResult(
        stage="facts",
        data=str(data),
        headline="same_claim_precision",
        metrics=metrics,
        notes=[
            "gold clustering: each gold event's pages are fused as one story, in id order",
            "confusion (gold->predicted): "
            + ", ".join(f"{k} {v}" for k, v in sorted(confusion.items())),
        ],
    )
