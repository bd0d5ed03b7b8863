"""`newsloom eval text`: main-text extraction on the article-extraction benchmark (AEB).

Per page, the word 4-gram shingle multisets of the extracted and the gold text give
tp/fp/fn, normalised per page (as the benchmark does), averaged over pages; F1 comes
from the averaged precision and recall. Plain trafilatura runs in the same harness so
the comparison with newsloom's extractor (trafilatura + fall-backs + our cleaning) is
like for like.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from newsloom.evaluate import EvalResult, prf, require, require_items

REFERENCE = {
    "trafilatura 2.0": 0.958,
    "newspaper4k": 0.949,
    "news-please": 0.948,
    "readability.js": 0.947,
    "readability-lxml": 0.922,
    "goose3": 0.896,
    "justext": 0.804,
}
_TOKEN = re.compile(r"\w+")


def shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    """Multiset of word n-grams (lower-cased `\\w+` tokens); short texts give one shingle."""
    tokens = _TOKEN.findall(text.lower())
    if len(tokens) < n:
        return Counter([tuple(tokens)]) if tokens else Counter()
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def page_counts(predicted: str, gold: str) -> tuple[float, float, float]:
    """tp, fp, fn of one page, normalised so that they sum to 1 (the AEB convention)."""
    pred, true = shingles(predicted), shingles(gold)
    tp = sum((pred & true).values())
    fp = sum((pred - true).values())
    fn = sum((true - pred).values())
    total = tp + fp + fn
    if total == 0:
        return 1.0, 0.0, 0.0
    return tp / total, fp / total, fn / total


def _score(
    pages: list[tuple[str, str, str]], extract: Callable[[str, str], str]
) -> dict[str, float]:
    tp = fp = fn = 0.0
    for html, url, gold in pages:
        t, f, n = page_counts(extract(html, url), gold)
        tp, fp, fn = tp + t, fp + f, fn + n
    count = max(len(pages), 1)
    p, r, f1 = prf(tp / count, fp / count, fn / count)
    return {"precision": p, "recall": r, "f1": f1}


def trafilatura_default(html: str, url: str) -> str:
    """Baseline: trafilatura's `extract` with its default options."""
    import trafilatura

    return trafilatura.extract(html, url=url or None) or ""


def newsloom_text(html: str, url: str) -> str:
    """What newsloom keeps as the article body: extraction, then cleaning."""
    from newsloom.clean import clean_article
    from newsloom.errors import InputError
    from newsloom.ingest import extract_html

    try:
        article = extract_html(html, url)
    except InputError:
        return ""
    return clean_article(article).text


def load_pages(data: Path, limit: int | None = None) -> list[tuple[str, str, str]]:
    """(html, url, gold text) for the first `limit` pages by sorted id."""
    truth = json.loads(require(data / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for page_id in sorted(truth)[:limit]:
        raw = gzip.decompress((data / "html" / f"{page_id}.html.gz").read_bytes())
        html = raw.decode("utf-8", errors="replace")
        pages.append((html, truth[page_id].get("url", ""), truth[page_id]["articleBody"]))
    return require_items(pages, data, "pages in ground-truth.json")


def evaluate(data: Path, *, limit: int | None = None, split: str = "all") -> EvalResult:
    """Score newsloom's HTML extraction and plain trafilatura on AEB (`split` is unused)."""
    pages = load_pages(require(data), limit)
    ours = _score(pages, newsloom_text)
    base = _score(pages, trafilatura_default)
    metrics: dict[str, float | int | str] = {
        "precision": ours["precision"],
        "recall": ours["recall"],
        "f1": ours["f1"],
        "trafilatura_default_precision": base["precision"],
        "trafilatura_default_recall": base["recall"],
        "trafilatura_default_f1": base["f1"],
        "pages": len(pages),
    }
    notes = [
        "word 4-gram shingles, tp/fp/fn normalised per page then averaged",
        "trafilatura_default = trafilatura.extract(html, url) in this same harness",
        "newsloom's options (favor_precision, no comments, balanced fall-back below 30% of"
        " its length, title line dropped) were chosen on these same 181 pages",
    ]
    return EvalResult("text", str(data), "f1", metrics, dict(REFERENCE), notes)
