"""`newsloom eval quotes`: attribution (source, cue, content) against PolNeAR's brat files.

Matching, per attribution relation (gold `E` lines of type Attribution with their
Source/Cue/Content spans; discontinuous spans are unions of segments):
- a predicted attribution is our quotes grouped by (speaker span, cue position), so the
  parts of a split quote form one attribution as in the gold;
- source exact: predicted speaker span == a gold source span (whitespace/punctuation at the
  edges ignored); source overlap: they share a word character; each gold attribution matches once;
  predicted attributions with an implicit speaker are not scored for source;
- content exact / overlap: the same on content, comparing the sets of word characters
  (quotation marks and punctuation ignored), so "“Yes,”" equals "Yes";
- cue: the reporting word's span overlaps the gold cue span;
- source_exact_r_speech_cues: source exact recall on the gold attributions whose cue is a
  reporting verb (say, tell, add, …), a colon, a dash or "according to": the part of
  PolNeAR (which also marks beliefs, plans and actions) that this extractor aims at.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from newsloom.errors import ConfigError
from newsloom.evaluate import EvalResult, prf, require, require_items
from newsloom.models import Article, Mention, Quote, Sentence, content_id

if TYPE_CHECKING:
    from spacy.tokens import Doc

    from newsloom.extract.attribution import AttributionModel

Spans = tuple[tuple[int, int], ...]
SPLITS = ("all", "first", "second")  # halves of the PolNeAR dev split


@dataclass(slots=True)
class _Attr:
    source: Spans
    cue: Spans
    content: Spans


@dataclass(slots=True)
class Document:
    """One parsed PolNeAR article with its gold attributions."""

    name: str
    article: Article
    doc: Doc
    mentions: list[Mention]
    gold: list[_Attr]


def documents(data: Path, split: str = "all", limit: int | None = None) -> Iterator[Document]:
    """The split's articles, parsed, with their gold (first/second: the two halves of the
    sorted file list; the attribution model is trained on one and scored on the other)."""
    from newsloom.nlp import load_spacy

    if split not in {"first", "second", "all"}:
        raise ConfigError(f"split must be first, second or all (PolNeAR dev halves), not {split!r}")
    texts = require_items(sorted(require(data / "text").glob("*.txt")), data, "text/*.txt files")
    half = len(texts) // 2
    texts = {"first": texts[:half], "second": texts[half:], "all": texts}[split]
    nlp = load_spacy()
    for path in texts[:limit]:
        text = path.read_text(encoding="utf-8")
        doc = nlp(text)
        article = _article(text, doc)
        mentions = [
            Mention(e.text, e.label_, e.start_char, e.end_char, article.sentence_at(e.start_char),
                    e.text)
            for e in doc.ents
        ]  # fmt: skip
        yield Document(
            path.stem, article, doc, mentions, _read_gold(data / "attributions", path.stem)
        )


def score(docs: Iterable[Document], model: AttributionModel | None = None) -> dict[str, list[int]]:
    """Counts (tp, fp, fn per measure) of `find_quotes` over `docs`."""
    from newsloom.extract.quotes import find_quotes

    counts: dict[str, list[int]] = {}
    for d in docs:
        pred = _group(find_quotes(d.article, d.doc, d.mentions, model), d.article.text)
        _score(pred, d.gold, d.article.text, counts)
    return counts


def metrics_of(counts: dict[str, list[int]]) -> dict[str, float | int | str]:
    metrics: dict[str, float | int | str] = {}
    for key in ("source_exact", "source_overlap", "content_exact", "content_overlap", "cue"):
        tp, fp, fn = counts.get(key, [0, 0, 0])
        p, r, f = prf(tp, fp, fn)
        metrics |= {f"{key}_p": p, f"{key}_r": r, f"{key}_f1": f}
    tp, _, fn = counts.get("speech", [0, 0, 0])
    metrics["source_exact_r_speech_cues"] = prf(tp, 0, fn)[1]
    metrics["gold_attributions"] = sum(counts.get("gold", [0]))
    metrics["gold_speech_cue_attributions"] = tp + fn
    return metrics


def evaluate(data: Path, *, limit: int | None = None, split: str = "all") -> EvalResult:
    """Score `find_quotes` on PolNeAR (`data` = the dev folder with text/ and attributions/)."""
    docs = list(documents(data, split, limit))
    metrics: dict[str, float | int | str] = {"articles": len(docs)} | metrics_of(score(docs))
    return EvalResult(
        stage="quotes",
        data=f"{data} (split={split})",
        headline="source_exact_f1",
        metrics=metrics,
        reference={"citron (PARC 3, not PolNeAR)": 0.82},
        notes=[
            "reference: BBC citron, source exact F1 0.82 / content overlap F1 0.83 on PARC 3,"
            " a different corpus and annotation scheme",
            "the shipped attribution model is trained on all of PolNeAR dev, so these figures"
            " are training-set figures; held-out halves: scripts/train_attribution.py",
        ],
    )


def _article(text: str, doc: Doc) -> Article:
    sents = [
        Sentence(i, s.text, s.start_char, s.end_char, text.count("\n\n", 0, s.start_char))
        for i, s in enumerate(doc.sents)
    ]
    return Article(id=content_id(text), text=text, sentences=sents)


def _read_gold(folder: Path, stem: str) -> list[_Attr]:
    files = sorted(folder.glob(f"{stem}_*.ann")) or sorted(folder.glob(f"{stem}.ann"))
    spans: dict[str, Spans] = {}
    attrs: list[_Attr] = []
    lines = files[0].read_text(encoding="utf-8").splitlines() if files else []
    for line in lines:
        parts = line.split("\t")
        if line.startswith("T") and len(parts) >= 2:
            _, _, offsets = parts[1].partition(" ")
            segs = [tuple(int(x) for x in seg.split()) for seg in offsets.split(";")]
            spans[parts[0]] = tuple((a, b) for a, b in segs)
    for line in lines:
        if not line.startswith("E"):
            continue
        roles = dict(r.split(":", 1) for r in line.split("\t")[1].split())
        if "Attribution" not in roles:
            continue
        attrs.append(
            _Attr(
                spans.get(roles.get("Source", ""), ()),
                spans.get(roles.get("Cue", ""), ()),
                spans.get(roles.get("Content", ""), ()),
            )
        )
    return attrs


def _group(quotes: list[Quote], text: str) -> list[_Attr]:
    """One attribution per (speaker span, cue): the parts of a split quote join up."""
    groups: dict[tuple[int, int, str, int], _Attr] = {}
    for i, q in enumerate(quotes):
        explicit = q.speaker_start >= 0
        key = (q.speaker_start, q.speaker_end, q.cue, 0 if explicit else i)
        source = ((q.speaker_start, q.speaker_end),) if explicit else ()
        cue = _find_cue(text, q)
        attr = groups.setdefault(key, _Attr(source, cue, ()))
        attr.content = (*attr.content, (q.start, q.end))
    return list(groups.values())


def _find_cue(text: str, q: Quote) -> Spans:
    """Where the cue word sits: where the extractor says, else the occurrence nearest the
    speaker (or the content)."""
    if not q.cue:
        return ()
    if q.cue_start >= 0:
        return ((q.cue_start, q.cue_start + len(q.cue)),)
    anchor = q.speaker_start if q.speaker_start >= 0 else q.start
    hits = [m.start() for m in re.finditer(re.escape(q.cue), text)]
    if not hits:
        return ()
    best = min(hits, key=lambda h: abs(h - anchor))
    return ((best, best + len(q.cue)),)


def _chars(text: str, spans: Spans) -> frozenset[int]:
    return frozenset(i for a, b in spans for i in range(a, min(b, len(text))) if text[i].isalnum())


def _score(pred: list[_Attr], gold: list[_Attr], text: str, counts: dict[str, list[int]]) -> None:
    def exact(a: Spans, b: Spans) -> bool:
        return bool(_chars(text, a)) and _chars(text, a) == _chars(text, b)

    def overlap(a: Spans, b: Spans) -> bool:
        return bool(_chars(text, a) & _chars(text, b))

    counts.setdefault("gold", [0])[0] += len(gold)
    for key, field, match in (
        ("source_exact", "source", exact),
        ("source_overlap", "source", overlap),
        ("content_exact", "content", exact),
        ("content_overlap", "content", overlap),
        ("cue", "cue", overlap),
    ):
        p_items = [getattr(a, field) for a in pred if getattr(a, field)]
        g_items = [getattr(a, field) for a in gold if getattr(a, field)]
        tp = _match(p_items, g_items, match)
        c = counts.setdefault(key, [0, 0, 0])
        c[0] += tp
        c[1] += len(p_items) - tp
        c[2] += len(g_items) - tp
    speech = [a.source for a in gold if a.source and _speech_cue(text, a.cue)]
    tp = _match([a.source for a in pred if a.source], speech, exact)
    c = counts.setdefault("speech", [0, 0, 0])
    c[0] += tp
    c[2] += len(speech) - tp


def _speech_cue(text: str, cue: Spans) -> bool:
    """Gold cues that are reporting verbs, colons, dashes or `according to`."""
    from newsloom.extract.quotes import CUE_FORMS

    words = " ".join(text[a:b] for a, b in cue).lower().split()
    return bool(words) and (words[-1] in CUE_FORMS or words[-1] in {":", "―", "—", "to"})


def _match(pred: list[Spans], gold: list[Spans], same: Callable[[Spans, Spans], bool]) -> int:
    """Greedy one-to-one matching count."""
    free = list(range(len(gold)))
    tp = 0
    for p in pred:
        for j in free:
            if same(p, gold[j]):
                free.remove(j)
                tp += 1
                break
    return tp
