"""Exports for other tools (#16): facts as CSV for spreadsheets, places as GeoJSON for
QGIS and web maps, articles and facts as JSON Lines for scripts.

The columns and keys are documented in docs/json-schema.md. Article text is untrusted
and spreadsheets run formulas: a CSV cell that starts with `=`, `+`, `-`, `@`, a tab
or a carriage return gets a leading `'`, so it is shown as text, never evaluated.
GeoJSON follows RFC 7946: [longitude, latitude] in WGS 84, places without valid
coordinates left out.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from newsloom import history
from newsloom.brief import build_briefing
from newsloom.errors import ConfigError
from newsloom.render import safe_url
from newsloom.store import Store


@dataclass(frozen=True, slots=True)
class Format:
    media_type: str
    suffix: str
    what: str  # what the file holds, for its name


FORMATS = {
    "csv": Format("text/csv; charset=utf-8", "csv", "facts"),
    "geojson": Format("application/geo+json", "geojson", "places"),
    "jsonl": Format("application/x-ndjson", "jsonl", "articles-facts"),
}

FACT_COLUMNS = (
    "story_id",
    "story_title",
    "fact_id",
    "status",
    "independent_sources",
    "n_sources",
    "sources",
    "origin",
    "date",
    "text",
    "conflict_kind",
    "values",
    "citation_urls",
    "citations",
    "first_seen",
    "last_changed",
    "outlets",
    "cited_in",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(slots=True)
class StoryData:
    """What every export format reads of one story."""

    briefing: dict[str, Any]
    texts: dict[str, str]  # article id -> cleaned text
    fact_times: dict[str, tuple[str, str]]  # fact id -> (first seen, last changed)


def load(store: Store, story_id: str) -> StoryData:
    story = store.get_story(story_id)
    articles = store.get_articles(story.article_ids)
    return StoryData(
        briefing=build_briefing(story, articles, store.get_facts(story_id)),
        texts={a.id: a.text for a in articles},
        fact_times=store.fact_times(story_id),
    )


def export(store: Store, story_ids: list[str], fmt: str) -> Iterator[str]:
    """The export of these stories in `fmt`, as text chunks (one story loaded at a time)."""
    if fmt not in FORMATS:
        raise ConfigError(f"format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    for sid in story_ids:  # unknown ids fail now, before anything is written
        store.get_story(sid)
    stories = (load(store, sid) for sid in story_ids)
    if fmt == "csv":
        return csv_chunks(stories)
    if fmt == "geojson":
        return geojson_chunks(stories)
    return jsonl_chunks(stories)


def filename(fmt: str, *, story_id: str = "", query: str = "") -> str:
    """A safe file name: newsloom-<story id or search words>-<what>.<suffix>."""
    spec = FORMATS[fmt]
    label = story_id or ("search-" + "-".join(query.split()))
    label = _UNSAFE_NAME.sub("_", label).strip("._-")[:80] or "export"
    return f"newsloom-{label}-{spec.what}.{spec.suffix}"


# -- CSV ---------------------------------------------------------------------------


def neutralise(value: Any) -> Any:
    """Text a spreadsheet would read as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _csv_line(cells: list[Any]) -> str:
    buf = io.StringIO()
    csv.writer(buf).writerow([neutralise(c) for c in cells])
    return buf.getvalue()


def csv_chunks(stories: Iterator[StoryData]) -> Iterator[str]:
    """One row per fact; lists inside a cell are joined with "; " (http(s) URLs with spaces)."""
    yield _csv_line(list(FACT_COLUMNS))
    for data in stories:
        for row in fact_rows(data):
            yield _csv_line([row[c] for c in FACT_COLUMNS])


def fact_rows(data: StoryData) -> Iterator[dict[str, Any]]:
    b = data.briefing
    urls = {a["id"]: a["url"] for a in b["articles"]}
    # where a reader finds a cited article: its http(s) URL, else the file it was read from
    where = {a["id"]: safe_url(a["url"]) or a["origin"] or a["id"] for a in b["articles"]}
    names = b.get("source_names") or {}
    for fact in b["facts"]:
        first, last = data.fact_times.get(fact["id"], ("", ""))
        cited = fact["citations"]
        yield {
            "story_id": b["id"],
            "story_title": b["title"],
            "fact_id": fact["id"],
            "status": fact["status"],
            "independent_sources": fact["independent_sources"],
            "n_sources": len(fact["sources"]),
            "sources": "; ".join(fact["sources"]),
            "origin": fact["origin"],
            "date": fact["date"],
            "text": fact["text"],
            "conflict_kind": (fact.get("conflict") or {}).get("kind", ""),
            "values": "; ".join(_describe(item) for item in history.value_items(fact)),
            "citation_urls": " ".join(
                dict.fromkeys(
                    url for c in cited if (url := safe_url(urls.get(c["article_id"], "")))
                )
            ),
            "citations": " ".join(f"{c['article_id']}#s{c['sentence']}" for c in cited),
            "first_seen": first,
            "last_changed": last,
            "outlets": "; ".join(names.get(s, s) for s in fact["sources"]),
            "cited_in": "; ".join(
                f"{where.get(c['article_id'], c['article_id'])}#s{c['sentence']}" for c in cited
            ),
        }


def _describe(item: dict[str, Any]) -> str:
    """A value with who gave it and when: "12 (City Daily)", "15 (2024-05-07; AFP, BBC)"."""
    about = [str(item[k]) for k in ("time", "date", "source") if item.get(k)]
    if isinstance(item.get("sources"), list):
        about.append(", ".join(str(s) for s in item["sources"]))
    return f"{item['value']} ({'; '.join(about)})" if about else str(item["value"])


# -- GeoJSON -----------------------------------------------------------------------


def geojson_chunks(stories: Iterator[StoryData]) -> Iterator[str]:
    """A FeatureCollection with one Point per place and story."""
    yield '{"type": "FeatureCollection", "features": ['
    first = True
    for data in stories:
        for feature in place_features(data):
            yield ("\n" if first else ",\n") + json.dumps(feature, ensure_ascii=False)
            first = False
    yield "\n]}\n"


def place_features(data: StoryData) -> Iterator[dict[str, Any]]:
    b = data.briefing
    for place in b["places"]:
        lat, lon = place.get("lat"), place.get("lon")
        if not _valid(lat, -90, 90) or not _valid(lon, -180, 180):
            continue
        yield {
            "type": "Feature",
            "id": f"{b['id']}/{place['name']}/{place.get('country', '')}",
            "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
            "properties": {
                "story_id": b["id"],
                "story_title": b["title"],
                "name": place["name"],
                "country": place.get("country", ""),
                "feature": place.get("feature", ""),
                "geonameid": place.get("geonameid"),
                "mentions": place.get("mentions", 0),
                "sources": place.get("sources", []),
                "as_written": place.get("as_written", []),
            },
        }


def _valid(value: Any, low: float, high: float) -> bool:
    return isinstance(value, int | float) and math.isfinite(value) and low <= value <= high


# -- JSON Lines --------------------------------------------------------------------


def jsonl_chunks(stories: Iterator[StoryData]) -> Iterator[str]:
    """Per story: a `story` record, then its `article` records, then its `fact` records."""
    for data in stories:
        for record in records(data):
            yield json.dumps(record, ensure_ascii=False) + "\n"


def records(data: StoryData) -> Iterator[dict[str, Any]]:
    b = data.briefing
    yield {
        "type": "story",
        "story_id": b["id"],
        **{
            k: b[k]
            for k in (
                "title",
                "first_published",
                "last_published",
                "n_articles",
                "n_sources",
                "n_independent",
                "merged_from",
            )
        },
    }
    for art in b["articles"]:
        yield {
            "type": "article",
            "story_id": b["id"],
            **{k: v for k, v in art.items() if k not in ("derivation", "link")},
            "text": data.texts.get(art["id"], ""),
        }
    for fact in b["facts"]:
        first, last = data.fact_times.get(fact["id"], ("", ""))
        yield {
            "type": "fact",
            "story_id": b["id"],
            **fact,
            "first_seen": first,
            "last_changed": last,
        }
