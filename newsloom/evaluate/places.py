"""`newsloom eval places`: toponym detection and resolution on GeoWebNews or local news.

GeoWebNews (Gritta et al. 2019) marks every toponym in 200 news articles with a
type; the 2,601 with coordinates (literal, metonymic, modifier, embedded ...) are
the gold toponyms here. Types without coordinates (demonyms, homonyms, generic
nouns like "city") are neither gold nor counted as false positives.

Detection compares the spans of resolved places (`Place.start/end`) with gold
spans, exactly and by overlap. Resolution is accuracy@161 km (100 miles):
`acc_161km` over gold toponyms that were detected (overlap) - what Mordecai and
Gritta et al. report - and `acc_161km_all` over all gold toponyms with
coordinates, where a missed toponym counts as wrong. `geonames_exact` is the
share of detected gold toponyms with a GeoNames id whose id we return.
There is no official split: `split="dev"` is the first 100 articles (used for
tuning), `split="test"` the last 100.

A `.jsonl` file is read as newsloom's own local-news set (`evalsets/localplaces/gold.jsonl`,
built by `scripts/build_localplaces.py`): one document per line with its page text file
(beside the gold file), the text's SHA-256 and every toponym's span, coordinates and kind
(literal, embedded in an organisation's name, demonym, facility). The same metrics are
reported over all toponyms and, with the prefix `literal_`, over literal toponyms and
demonyms only (predictions inside embedded names and facilities then count neither way).
"""

from __future__ import annotations

import hashlib
import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from newsloom.errors import EvalDataMissing
from newsloom.evaluate import EvalResult, jsonl_records, prf, require, require_items
from newsloom.extract.entities import find_mentions
from newsloom.extract.places import load_gazetteer, resolve_places
from newsloom.models import Article, Place
from newsloom.nlp import load_spacy

KM_161 = 161.0
HALF = 100  # articles in the dev half
SPLITS = ("all", "dev", "test")


@dataclass(slots=True)
class Gold:
    """One gold toponym with coordinates."""

    start: int
    end: int
    lat: float
    lon: float
    geonameid: int | None
    kind: str = "literal"


@dataclass
class Tally:
    """Counts over a set of articles."""

    gold: int = 0
    pred: int = 0
    exact_tp: int = 0
    overlap_gold: int = 0  # gold toponyms overlapped by a prediction
    overlap_pred: int = 0  # predictions overlapping a gold toponym
    correct: int = 0
    with_id: int = 0
    id_match: int = 0

    def add(self, other: Tally) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(min(1.0, a)))


def read_gwn(path: Path) -> list[tuple[str, list[Gold]]]:
    """(text, gold toponyms with coordinates) per article, in file order."""
    root = ET.parse(require(path)).getroot()
    out = []
    for art in root.iter("article"):
        text = art.findtext("text") or ""
        golds = []
        for top in art.iter("toponym"):
            lat, lon = top.findtext("latitude"), top.findtext("longitude")
            if not lat or not lon:
                continue
            gid = (top.findtext("geonamesID") or "").strip()
            start, end = int(top.findtext("start") or 0), int(top.findtext("end") or 0)
            golds.append(Gold(start, end, float(lat), float(lon), int(gid) if gid else None))
        out.append((text, golds))
    return require_items(out, path, "GeoWebNews <article> elements")


def read_local(path: Path) -> list[tuple[str, list[Gold]]]:
    """(text, gold toponyms) per document of a local-news gold file; the page texts lie
    beside it and must be the ones the spans were made on."""
    out = []
    for _, record in jsonl_records(path):
        page = path.parent / record["file"]
        if not page.exists():
            raise EvalDataMissing(f"page text not found: {page} (see {path.parent}/README.md)")
        text = page.read_text(encoding="utf-8")
        if hashlib.sha256(text.encode("utf-8")).hexdigest() != record["sha256"]:
            raise EvalDataMissing(f"{page}: text differs from the one the gold was made on")
        golds = [
            Gold(t["start"], t["end"], t["lat"], t["lon"], t["geonameid"], t["kind"])
            for t in record["toponyms"]
        ]
        out.append((text, golds))
    return out


def score_article(
    golds: list[Gold], places: list[Place], ignored: list[Gold] | None = None
) -> Tally:
    """Detection and resolution counts for one article; predictions overlapping an
    `ignored` toponym count neither way."""
    skip = ignored or []
    places = [p for p in places if not any(p.start < g.end and g.start < p.end for g in skip)]
    tally = Tally(gold=len(golds), pred=len(places))
    spans = {(g.start, g.end) for g in golds}
    tally.exact_tp = sum((p.start, p.end) in spans for p in places)
    tally.overlap_pred = sum(
        any(p.start < g.end and g.start < p.end for g in golds) for p in places
    )
    for gold in golds:
        hits = [p for p in places if p.start < gold.end and gold.start < p.end]
        if not hits:
            continue
        tally.overlap_gold += 1
        place = max(hits, key=lambda p: min(p.end, gold.end) - max(p.start, gold.start))
        if place.lat is not None and place.lon is not None:
            km = haversine_km(gold.lat, gold.lon, place.lat, place.lon)
            tally.correct += km <= KM_161
        if gold.geonameid is not None:
            tally.with_id += 1
            tally.id_match += place.geonameid == gold.geonameid
    return tally


def _metrics(tally: Tally, prefix: str = "") -> dict[str, float | int | str]:
    p, r, f = prf(tally.exact_tp, tally.pred - tally.exact_tp, tally.gold - tally.exact_tp)
    po = tally.overlap_pred / tally.pred if tally.pred else 0.0
    ro = tally.overlap_gold / tally.gold if tally.gold else 0.0
    fo = 2 * po * ro / (po + ro) if po + ro else 0.0
    detected = tally.overlap_gold
    return {
        f"{prefix}acc_161km": tally.correct / detected if detected else 0.0,
        f"{prefix}acc_161km_all": tally.correct / tally.gold if tally.gold else 0.0,
        f"{prefix}geonames_exact": tally.id_match / tally.with_id if tally.with_id else 0.0,
        f"{prefix}detect_p_exact": p,
        f"{prefix}detect_r_exact": r,
        f"{prefix}detect_f1_exact": f,
        f"{prefix}detect_p_overlap": po,
        f"{prefix}detect_r_overlap": ro,
        f"{prefix}detect_f1_overlap": fo,
        f"{prefix}gold_toponyms": tally.gold,
        f"{prefix}detected": detected,
    }


def evaluate(data: Path, *, limit: int | None = None, split: str = "all") -> EvalResult:
    """Run entities + places over GeoWebNews (or a local `.jsonl` set) and score detection
    and resolution."""
    if data.suffix == ".jsonl":
        return _evaluate_local(data, limit)
    path = data / "GWN.xml" if data.is_dir() else data
    articles = read_gwn(path)
    indices = list(range(len(articles)))
    if split == "dev":
        indices = indices[:HALF]
    elif split == "test":
        indices = indices[HALF:]
    if limit is not None:
        indices = indices[:limit]
    total, halves = Tally(), {"dev_": Tally(), "test_": Tally()}
    for i, places in zip(indices, _resolve([articles[i][0] for i in indices]), strict=True):
        tally = score_article(articles[i][1], places)
        total.add(tally)
        halves["dev_" if i < HALF else "test_"].add(tally)
    metrics = _metrics(total)
    if split == "all":
        for prefix, tally in halves.items():
            if tally.gold:
                metrics.update(
                    {k: v for k, v in _metrics(tally, prefix).items() if "acc" in k or "_r_" in k}
                )
    return EvalResult(
        stage="places",
        data=str(path),
        headline="acc_161km",
        metrics=metrics,
        reference={"Mordecai 3 (own held-out part)": 0.941},
        notes=[
            f"{len(indices)} articles (split={split}); gold = toponyms with coordinates",
            "acc_161km: of gold toponyms detected (span overlap); acc_161km_all: of all gold",
            "dev = first 100 articles (used for tuning), test = last 100",
        ],
    )


def _resolve(texts: list[str]) -> list[list[Place]]:
    """Entities and places of each text, as the pipeline finds them."""
    nlp, gazetteer = load_spacy(), load_gazetteer()
    out = []
    for i, (text, doc) in enumerate(zip(texts, nlp.pipe(texts, batch_size=8), strict=True)):
        article = Article(id=str(i), text=text)
        out.append(resolve_places(article, find_mentions(article, doc, gazetteer), gazetteer))
    return out


def _evaluate_local(path: Path, limit: int | None) -> EvalResult:
    """Score the local-news set: all toponyms, and literal ones (and demonyms) apart."""
    documents = read_local(path)[:limit]
    total, literal = Tally(), Tally()
    for (_, golds), places in zip(documents, _resolve([t for t, _ in documents]), strict=True):
        total.add(score_article(golds, places))
        plain = [g for g in golds if g.kind in ("literal", "demonym")]
        other = [g for g in golds if g.kind not in ("literal", "demonym")]
        literal.add(score_article(plain, places, other))
    metrics = _metrics(total) | {
        k: v for k, v in _metrics(literal, "literal_").items() if not k.endswith("exact")
    }
    return EvalResult(
        stage="places",
        data=str(path),
        headline="acc_161km",
        metrics=metrics,
        reference={},
        notes=[
            f"{len(documents)} hand-labelled local news documents (see the README beside the"
            " gold file); gold = every toponym, embedded names and facilities included",
            "literal_*: literal toponyms and demonyms only",
        ],
    )
