"""`newsloom eval copies`: copy tracing against labelled page pairs (issue #11).

Gold: one labelled pair of pages a line, either `{"a", "b", "label", "original", "split"}` or
the real-web corpus form `{"article_id", "original_id", "relation", "split", "same_event"}`;
labels `derived` (one page rewrites or spins the other), `same_wire` (both carry one agency's
text) and `independent`. Page ids are real-web ids (`rw-NNN`: text in `pages/<id>.txt` beside
the gold file or in `evalsets/realweb/pages/`, metadata in the `recipe.jsonl` beside it),
spun rewrites (`spun-…`: `{"id", "original" or "original_id", "text"}` lines in `spun.jsonl`
beside the gold file) or ECB+ documents (`ecb:<id>`, from ../shared/eval/ecbplus/ecbplus.jsonl).

How it is scored. Every page of each storyline (real web: all the recipe's pages of the
storylines the gold names, not only the labelled ones), ECB+ topic (its two events), or spun
page's original is read through the real pipeline (ingest, clean, extract) and traced as ONE
story, in id order, by `dedupe.CopyTracer`: pages of different events of one storyline are
compared too, so a link across events is possible and counted. A pair is predicted `derived`
when one page is the other's ancestor through a path with a `rewrite` link (reworded),
`same_wire` when the path only copies wording (exact, near, same_wire links) or the two share an
original without one deriving from the other, and `independent` otherwise. Headline:
`linked_f1`, where a pair is positive when it is derived or same wire, whatever the kind;
`strict_*` also needs the kind right; per-label figures and `cross_event_links` (predicted links
between pages of different events) follow. `text_*` scores sentence-level provenance beside the
page links: a pair is also positive when the two pages carry one sentence word for word
(`CopyTracer.shared_sentences`, computed here: a wire sentence in two otherwise own reports),
with its own `text_cross_event_links`.
"""

from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsloom.errors import EvalDataError, EvalDataMissing
from newsloom.evaluate import EvalResult, jsonl_records, prf
from newsloom.models import Article

if TYPE_CHECKING:
    from newsloom.dedupe import CopyTracer
    from newsloom.pipeline import Resources

LABELS = ("derived", "same_wire", "independent")
ECBPLUS = Path("../shared/eval/ecbplus/ecbplus.jsonl")


@dataclass(slots=True)
class Page:
    """One page of an evaluation set: its text and where it belongs."""

    id: str
    text: str
    group: str  # pages traced (or fused) together as one story
    event: str = ""
    url: str = ""


SPLITS = ("all", "dev", "test")


def _first(*paths: Path) -> Path | None:
    return next((p for p in paths if p.exists()), None)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [record for _, record in jsonl_records(path)]


def _by_id(path: Path) -> dict[str, dict[str, Any]]:
    records = read_jsonl(path)
    if any(not isinstance(r.get("id"), str) for r in records):
        raise EvalDataError(f"{path}: a record has no 'id'")
    return {r["id"]: r for r in records}


def load_pages(ids: set[str], data: Path) -> dict[str, Page]:
    """The texts and groups of the pages named in a gold file (see the module doc)."""
    base = data.parent
    recipe_path = _first(
        base / "recipe.jsonl",
        base.parent / "realweb" / "recipe.jsonl",
        Path("evalsets/realweb/recipe.jsonl"),
    )
    recipe = _by_id(recipe_path) if recipe_path else {}
    spun_path = base / "spun.jsonl"
    spun = _by_id(spun_path) if spun_path.exists() else {}
    for rec in spun.values():  # either key names the original
        rec.setdefault("original", rec.get("original_id"))
        if not isinstance(rec.get("original"), str) or not isinstance(rec.get("text"), str):
            raise EvalDataError(
                f"{spun_path}: spun page {rec['id']} needs an 'original' id and a 'text'"
            )
    wanted = set(ids) | {spun[i]["original"] for i in ids if i in spun}
    ecb: dict[str, dict[str, Any]] = {}
    if any(i.startswith("ecb:") for i in wanted):
        ecb = {f"ecb:{d['id']}": d for d in read_jsonl(ECBPLUS)}
    pages: dict[str, Page] = {}
    for pid in sorted(wanted):
        if pid in ecb:
            doc = ecb[pid]
            # one traced story per ECB+ topic: its two events are compared, so a link
            # across events can happen and is counted
            pages[pid] = Page(pid, doc["text"], f"ecb:{doc['topic']}", doc["story"], doc["url"])
        elif pid in recipe:
            found = _first(
                base / "pages" / f"{pid}.txt",
                base.parent / "realweb" / "pages" / f"{pid}.txt",
                Path("evalsets/realweb/pages") / f"{pid}.txt",
            )
            if found is None:
                raise EvalDataMissing(f"no text for page {pid} (pages/{pid}.txt)")
            r = recipe[pid]
            text = found.read_text(encoding="utf-8", errors="replace")
            pages[pid] = Page(pid, text, r.get("storyline") or r["event"], r["event"], r["url"])
        elif pid not in spun:
            raise EvalDataMissing(f"page {pid} is in no recipe, spun file or ECB+ ({data})")
    for pid in sorted(wanted & set(spun)):
        if spun[pid]["original"] not in pages:
            raise EvalDataMissing(f"no text for {spun[pid]['original']}, the original of {pid}")
        orig = pages[spun[pid]["original"]]
        pages[pid] = Page(pid, spun[pid]["text"], orig.group, orig.event)
    return pages


def with_groups(ids: set[str], data: Path) -> set[str]:
    """The ids plus every recipe page of the storylines they belong to (a story holds all
    its reports, not only the labelled ones)."""
    recipe_path = _first(
        data.parent / "recipe.jsonl",
        data.parent.parent / "realweb" / "recipe.jsonl",
        Path("evalsets/realweb/recipe.jsonl"),
    )
    if recipe_path is None:
        return set(ids)
    recipe = read_jsonl(recipe_path)
    groups = {r.get("storyline") or r["event"] for r in recipe if r["id"] in ids}
    return set(ids) | {r["id"] for r in recipe if (r.get("storyline") or r["event"]) in groups}


def read_articles(pages: list[Page], res: Resources) -> list[Article]:
    """Pages through the real ingest (the ` date … headline` first line), cleaning and
    extraction; the page id is the article id and the URL's site its source. A page that
    ingest cannot split into headline and body is read as plain text."""
    from newsloom import clean
    from newsloom.extract import extract_batch
    from newsloom.ingest import domain, read_inputs

    raw = []
    for page in pages:
        items = list(read_inputs(["-"], stdin=io.BytesIO(page.text.encode("utf-8"))))
        if len(items) == 1 and isinstance(items[0], Article):
            art = items[0]
        else:  # e.g. a whole page on its date line: ingest has no body; keep the text
            art = Article(id=page.id, text=page.text)
        art.id, art.url, art.origin = page.id, page.url, page.id
        art.source = domain(page.url) or page.id
        raw.append(art)
    return extract_batch(clean.clean_batch(raw), res.nlp, res.gazetteer)


def trace_groups(pages: dict[str, Page], res: Resources) -> dict[str, CopyTracer]:
    """One copy tracer per group of pages, fed in id order."""
    from newsloom.dedupe import CopyTracer

    groups: dict[str, list[Page]] = defaultdict(list)
    for page in pages.values():
        groups[page.group].append(page)
    tracers: dict[str, CopyTracer] = {}
    for name, members in sorted(groups.items()):
        tracer = CopyTracer()
        for art in read_articles(sorted(members, key=lambda p: p.id), res):
            tracer.add(art, res.statement_embedder.embed)
        tracers[name] = tracer
    return tracers


def predicted(tracer: CopyTracer, a: str, b: str) -> str:
    """The relation copy tracing gives two pages of one traced group."""
    links = {d.article_id: (d.original_id, d.kind) for d in tracer.derivations}

    def ancestors(x: str) -> dict[str, bool]:
        """Each ancestor of x, with whether the path to it rewords (a rewrite link)."""
        out: dict[str, bool] = {}
        reworded = False
        while x in links and links[x][0] not in out and links[x][0] != x:
            x, kind = links[x]
            reworded = reworded or kind == "rewrite"
            out[x] = reworded
        return out

    up_a, up_b = ancestors(a), ancestors(b)
    if b in up_a:
        return "derived" if up_a[b] else "same_wire"
    if a in up_b:
        return "derived" if up_b[a] else "same_wire"
    if tracer.root(a) == tracer.root(b):
        return "same_wire"
    return "independent"


def shares_text(tracer: CopyTracer, a: str, b: str) -> bool:
    """Whether two pages carry one sentence word for word (sentence-level provenance,
    `CopyTracer.shared_sentences`), whatever their page-level relation."""
    return bool(tracer.shared_sentences(a, b))


def _pair(rec: dict[str, Any]) -> tuple[str, str, str]:
    if "label" in rec:
        return rec["a"], rec["b"], rec["label"]
    return rec["article_id"], rec["original_id"], rec["relation"]


def evaluate(data: Path, *, limit: int | None = None, split: str = "all") -> EvalResult:
    """Linked / strict / per-label precision and recall of copy tracing on the gold pairs."""
    from newsloom.pipeline import Resources

    records = [r for r in read_jsonl(data) if split == "all" or r.get("split") == split]
    records = records[:limit] if limit else records
    if not records:
        raise EvalDataMissing(f"{data}: no gold pairs in split {split!r}")
    pairs = [_pair(r) for r in records]
    pages = load_pages(with_groups({x for a, b, _ in pairs for x in (a, b)}, data), data)
    tracers = trace_groups(pages, Resources())
    counts: dict[str, list[int]] = {
        label: [0, 0, 0] for label in (*LABELS, "linked", "strict", "text")
    }
    cross_event = text_cross_event = 0
    for (a, b, gold), rec in zip(pairs, records, strict=True):
        pa, pb = pages[a], pages[b]
        same_group = pa.group == pb.group
        pred = predicted(tracers[pa.group], a, b) if same_group else "independent"
        text_pred = pred != "independent" or (same_group and shares_text(tracers[pa.group], a, b))
        for label in LABELS:
            _count(counts[label], pred == label, gold == label)
        linked_pred, linked_gold = pred != "independent", gold != "independent"
        _count(counts["linked"], linked_pred, linked_gold)
        _count(counts["text"], text_pred, linked_gold)
        right = linked_pred and pred == gold
        counts["strict"][0] += int(right)
        counts["strict"][1] += int(linked_pred and not right)
        counts["strict"][2] += int(linked_gold and not right)
        different_event = rec.get("same_event") is False or pa.event != pb.event
        cross_event += int(linked_pred and different_event)
        text_cross_event += int(text_pred and different_event)
    metrics: dict[str, float | int | str] = {"pairs": len(pairs), "pages": len(pages)}
    for key in ("linked", "strict", *LABELS, "text"):
        p, r, f = prf(*counts[key])
        metrics.update({f"{key}_precision": p, f"{key}_recall": r, f"{key}_f1": f})
        metrics[f"{key}_gold"] = counts[key][0] + counts[key][2]
    metrics["cross_event_links"] = cross_event
    metrics["text_cross_event_links"] = text_cross_event
    return EvalResult(
        stage="copies",
        data=str(data),
        headline="linked_f1",
        metrics=metrics,
        notes=[
            "linked: derived or same wire, whatever the kind; strict: the kind right too",
            "text: linked, or sharing a sentence word for word (sentence-level provenance)",
            "pages of one storyline (or ECB+ story) are traced as one story, in id order",
        ],
    )


def _count(cell: list[int], pred: bool, gold: bool) -> None:
    """[tp, fp, fn] for one pair."""
    cell[0] += int(pred and gold)
    cell[1] += int(pred and not gold)
    cell[2] += int(gold and not pred)
