"""`newsloom eval places`: toponym detection and resolution on GeoWebNews.

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
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from newsloom.evaluate import EvalResult, prf, require, require_items
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


def score_article(golds: list[Gold], places: list[Place]) -> Tally:
    """Detection and resolution counts for one article."""
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
    """Run entities + places over GeoWebNews and score detection and resolution."""
    path = data / "GWN.xml" if data.is_dir() else data
    articles = read_gwn(path)
    indices = list(range(len(articles)))
    if split == "dev":
        indices = indices[:HALF]
    elif split == "test":
        indices = indices[HALF:]
    if limit is not None:
        indices = indices[:limit]
    nlp, gazetteer = load_spacy(), load_gazetteer()
    total, halves = Tally(), {"dev_": Tally(), "test_": Tally()}
    texts = [articles[i][0] for i in indices]
    for i, doc in zip(indices, nlp.pipe(texts, batch_size=8), strict=True):
        text, golds = articles[i]
        article = Article(id=str(i), text=text)
        places = resolve_places(article, find_mentions(article, doc, gazetteer), gazetteer)
        tally = score_article(golds, places)
        total.add(tally)
        halves["dev_" if i < HALF else "test_"].add(tally)
    metrics = _metrics(total)
    if split == "all":
        for prefix, tally in halves.items():
            if tally.gold:
                metrics.update({k: v for k, v in _metrics(tally, prefix).items() if "acc" in k})
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
            "only GPE/LOC/FAC mentions become places: demonym modifiers ('Russian') and "
            "names inside organisations ('The Washington Post') count as missed",
        ],
    )
