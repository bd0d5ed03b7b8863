"""Render briefings as Markdown, JSON or a self-contained HTML report.

All three read the same briefing dicts built by `newsloom.brief`. Article text is
untrusted: the HTML report escapes everything (Jinja2 autoescape), loads nothing
from the network and carries a Content-Security-Policy that forbids scripts.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import jinja2

from newsloom import __version__

JSON_SCHEMA_VERSION = "1.0"


class Citations:
    """Numbers source sentences [1], [2], ... in order of first use within a story; a
    sentence its page repeats (a headline printed three times) keeps its first number."""

    def __init__(self, story: dict[str, Any]) -> None:
        self.numbers: dict[tuple[str, int], int] = {}
        self.said: dict[tuple[str, str], int] = {}  # (article, words) -> number
        self.entries: list[dict[str, Any]] = []
        self.articles = {a["id"]: a for a in story["articles"]}
        self.names: dict[str, str] = story.get("source_names") or {}

    def numbers_of(self, citations: list[dict[str, Any]]) -> list[int]:
        return sorted({self.number(c) for c in citations})

    def runs(self, citations: list[dict[str, Any]]) -> list[tuple[int, int]]:
        """The numbers as runs (first, last): [1–24] reads better than 24 marks."""
        out: list[tuple[int, int]] = []
        for n in self.numbers_of(citations):
            if out and n == out[-1][1] + 1:
                out[-1] = (out[-1][0], n)
            else:
                out.append((n, n))
        return out

    def mark(self, citations: list[dict[str, Any]]) -> str:
        """Markdown marks: [1][2], a run of three or more as [4–9]."""
        parts = []
        for a, b in self.runs(citations):
            parts += [f"[{a}–{b}]"] if b - a >= 2 else [f"[{n}]" for n in range(a, b + 1)]
        return "".join(parts)

    def number(self, c: dict[str, Any]) -> int:
        key = (c["article_id"], c["sentence"])
        said = (c["article_id"], _words(c["text"]) or f"#{c['sentence']}")  # no words: its own
        if key not in self.numbers and said in self.said:
            self.numbers[key] = self.said[said]
        if key not in self.numbers:
            self.numbers[key] = self.said[said] = len(self.entries) + 1
            art = self.articles.get(c["article_id"], {})
            self.entries.append(
                {
                    "n": self.numbers[key],
                    "source": c["source"],
                    "outlet": self.names.get(c["source"], c["source"]),
                    "text": c["text"],
                    "title": art.get("title", ""),
                    "url": art.get("url", ""),
                    "article_id": c["article_id"],
                    "sentence": c["sentence"],
                }
            )
        return self.numbers[key]


def unknown_outlets(story: dict[str, Any]) -> int:
    """How many of the story's sources are named by no outlet (a file name stands in)."""
    return sum(1 for source, name in (story.get("source_names") or {}).items() if name != source)


_OPEN_CLOSE = (("“", "”"), ("«", "»"))


def balanced(text: str) -> str:
    """Text with its quotation marks paired: a sentence cut from a longer quotation
    ("“Kandahar has been entirely taken over.") gets the mark it lacks."""
    for left, right in _OPEN_CLOSE:
        opens, closes = text.count(left), text.count(right)
        if opens > closes:
            text += right * (opens - closes)
        elif closes > opens:
            text = left * (closes - opens) + text
    if text.count('"') % 2 and "''" not in text:  # '' closes a "…'' quotation
        first, last = text.index('"'), text.rindex('"')
        if last + 1 < len(text) and (last == 0 or text[last - 1] in " (:—–"):
            text += '"'  # the last mark opens: the quotation goes on past the cut
        elif first > 0 and text[first - 1] in ".,!?…" and text[first + 1 : first + 2] in " ,.":
            text = '"' + text  # the first mark closes a quotation begun before the cut
    return text


def quoted(text: str) -> str:
    """A source sentence in quotation marks, its own marks paired; one that opens with a
    quotation is shown as it is (no doubled marks: ““We…”)."""
    text = balanced(text)
    return text if text[:1] in '“"«' else f"“{text}”"


def to_json(briefings: list[dict[str, Any]], errors: list[str] | None = None) -> str:
    """The documented JSON document (docs/json-schema.md)."""
    doc = {
        "schema_version": JSON_SCHEMA_VERSION,
        "generator": f"newsloom {__version__}",
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "stories": briefings,
        "errors": errors or [],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2)


def _md(text: str) -> str:
    """Keep untrusted text from being read as Markdown/HTML markup."""
    return (
        text.replace("\\", "\\\\")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("|", "\\|")
        .replace("*", "\\*")
        .replace("_", "\\_")
        .replace("[", "\\[")
        .replace("]", "\\]")
        .replace("\n", " ")
    )


def _status(fact: dict[str, Any], names: dict[str, str]) -> str:
    """The verdict in words: how many independent sources, of how many outlets (of how many
    reports, when some have no known outlet: a file is not an outlet)."""
    n, outlets_n = fact["independent_sources"], len(fact["sources"])
    kind = "outlets" if all(names.get(s, s) == s for s in fact["sources"]) else "reports"
    if fact["status"] == "corroborated":
        if outlets_n > n:
            return f"confirmed by {n} independent sources ({outlets_n} {kind})"
        return f"confirmed by {n} independent sources"
    if fact["status"] == "conflict":
        return "disputed"
    if fact["status"] == "update":
        return "a figure that changed"
    if outlets_n > 1:  # several outlets, one origin: a wire story or a shared source
        return f"not independently confirmed ({outlets_n} {kind})"
    return "single source"


NAMED_AT_MOST = 4  # outlets named on one verdict line; the Sources table lists them all


def sources_text(sources: list[str], names: dict[str, str]) -> str:
    """The outlets behind a fact, short enough for one line: up to NAMED_AT_MOST names,
    and several sources without an outlet counted ("2 files, outlet unknown"), since their
    file names, listed once under Sources, would only repeat on every line."""
    named = [s for s in sources if names.get(s, s) == s]
    unknown = [names[s] for s in sources if names.get(s, s) != s]
    shown = ", ".join(named[:NAMED_AT_MOST])
    if len(named) > NAMED_AT_MOST:
        shown += f" and {len(named) - NAMED_AT_MOST} more"
    if unknown:
        files = unknown[0] if len(unknown) == 1 else f"{len(unknown)} files, outlet unknown"
        shown = f"{shown}; {files}" if shown else files
    return shown


def verdict(fact: dict[str, Any], names: dict[str, str]) -> str:
    """A fact's verdict as a line ends with it: "confirmed by 2 independent sources: BBC,
    AFP; attributed to Ben Wallace"."""
    origin = f"; attributed to {fact['origin']}" if fact.get("origin") else ""
    return f"{_status(fact, names)}: {sources_text(fact['sources'], names)}{origin}"


@dataclass(frozen=True, slots=True)
class Line:
    """The facts one summary or "Confirmed" line states (fuse may keep facts of one wording
    apart, by their origins). Each of `facts` says something new: its verdict and citations
    are shown. `twins` add nothing to one shown (same status and origin, their sources and
    sentences within its): they keep only their web anchor, which feeds and alerts link to."""

    facts: list[dict[str, Any]]
    twins: list[dict[str, Any]]


def _line(facts: list[dict[str, Any]]) -> Line:
    shown: list[dict[str, Any]] = []
    twins: list[dict[str, Any]] = []
    for f in facts:
        (twins if any(_within(f, g) for g in shown) else shown).append(f)
    return Line(shown, twins)


def _within(f: dict[str, Any], g: dict[str, Any]) -> bool:
    """Whether fact `f` says nothing that `g`'s line does not: a reader learns no more from it."""
    return (
        (f["status"], f.get("origin", "")) == (g["status"], g.get("origin", ""))
        and set(f["sources"]) <= set(g["sources"])
        and f["independent_sources"] <= g["independent_sources"]
        and _sentences(f) <= _sentences(g)
    )


def _sentences(fact: dict[str, Any]) -> set[tuple[str, int]]:
    return {(c["article_id"], c["sentence"]) for c in fact["citations"]}


def summary_facts(story: dict[str, Any]) -> list[Line]:
    """What each summary line states: its own fact (by `fact_id`; none for a lead sentence
    shown when there are no facts), then the corroborated facts of its wording. The line
    carries their verdicts and anchors: no corroborated one is listed again below the summary
    (a single, disputed or changed one still is, in its own list on the web page)."""
    by_id = {f["id"]: f for f in story["facts"]}
    alike = _alike(story, "corroborated")
    out = []
    for line in story["summary"]:
        own = by_id.get(line.get("fact_id"))
        facts = [own] if own else []
        out.append(_line(facts + [f for f in alike.pop(_words(line["text"]), []) if f is not own]))
    return out


def not_in_summary(story: dict[str, Any], status: str) -> list[Line]:
    """The story's facts of this status that no summary line states, a line per wording: a
    reader sees each wording once, with every fact of it."""
    stated = {id(f) for line in summary_facts(story) for f in line.facts + line.twins}
    return [_line(facts) for facts in _alike(story, status, stated).values()]


def _alike(
    story: dict[str, Any], status: str, leave: frozenset[int] | set[int] = frozenset()
) -> dict[str, list[dict[str, Any]]]:
    """Facts of this status (but those in `leave`, by `id()`) by wording, in story order."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for f in story["facts"]:
        if f["status"] == status and id(f) not in leave:
            groups.setdefault(_words(f["text"]), []).append(f)
    return groups


def _words(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def _name(story: dict[str, Any], source: str) -> str:
    return _md((story.get("source_names") or {}).get(source, source))


def to_markdown(briefings: list[dict[str, Any]], errors: list[str] | None = None) -> str:
    """A readable briefing for the terminal or a Markdown viewer."""
    out: list[str] = []
    for story in briefings:
        cite = Citations(story)
        for section in (
            _md_header,
            _md_summary,
            _md_corroborated,
            _md_updates,
            _md_disputed,
            _md_adds,
            _md_timeline,
            _md_places,
            _md_quotes,
            _md_sources,
            _md_grouping,
            _md_storyline,
        ):
            lines = section(story, cite)
            if lines:
                out += [*lines, ""]
        out += [*_md_references(cite), "---", ""]
    if errors:
        out += ["## Inputs that could not be read", ""] + [f"- {_md(e)}" for e in errors]
    return "\n".join(out).rstrip() + "\n"


def _md_storyline(story: dict[str, Any], cite: Citations) -> list[str]:
    """The storyline's other events (cluster, #10), one line each in time order."""
    events = story.get("storyline_events") or []
    if not events:
        return []
    lines = [f"## Other events of this storyline (`{story['storyline']}`)", ""]
    for e in events:
        day = (e.get("first_published") or "")[:10] or "undated"
        lines.append(f"- {day}: {_md(e.get('title') or e['id'])} · story `{e['id']}`")
    return lines


def _md_header(story: dict[str, Any], cite: Citations) -> list[str]:
    days = dict.fromkeys(filter(None, [story["first_published"], story["last_published"]]))
    span = f", {' to '.join(days)}" if days else ""
    unknown = unknown_outlets(story)
    kind, note = ("source", f"; outlet unknown for {unknown}") if unknown else ("outlet", "")
    return [
        f"# {_md(story['title'])}",
        "",
        f"_{counted(story['n_articles'], 'article')} from {counted(story['n_sources'], kind)}"
        f" ({counted(story['n_independent'], 'independent report')}{note}){span}"
        f" · story `{story['id']}`_",
    ]


def counted(n: int, noun: str) -> str:
    """ "1 article", "2 articles"."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _md_summary(story: dict[str, Any], cite: Citations) -> list[str]:
    """Summary lines, each with its verdict (a corroborated fact is not listed twice)."""
    lines = ["## Summary", ""]
    for s, line in zip(story["summary"], summary_facts(story), strict=True):
        lines.append(
            f"- {_md(s['text'])} {cite.mark(s['citations'])}{_md_verdicts(story, cite, line)}"
        )
    return lines


def _md_corroborated(story: dict[str, Any], cite: Citations) -> list[str]:
    lines = [
        f"- {_md(line.facts[0]['text'])} {cite.mark(line.facts[0]['citations'])}"
        f"{_md_verdicts(story, cite, line)}"
        for line in not_in_summary(story, "corroborated")
    ]
    return ["## Confirmed by several sources", "", *lines] if lines else []


def _md_verdicts(story: dict[str, Any], cite: Citations, line: Line) -> str:
    """The verdict of a line's fact, then of each other fact of its wording that says
    something new, with its own citations ("… · also confirmed by 2 independent sources:
    CNN, AP [3][4]")."""
    names = story.get("source_names") or {}
    said = [_md(verdict(f, names)) for f in line.facts[:1]]
    said += [f"{_md(verdict(f, names))} {cite.mark(f['citations'])}" for f in line.facts[1:]]
    return f" — {' · also '.join(said)}" if said else ""


def _md_updates(story: dict[str, Any], cite: Citations) -> list[str]:
    lines = []
    for f in (f for f in story["facts"] if f["status"] == "update"):
        lines.append(f"- {_md(f['text'])}")
        for u in f.get("updates", []):
            sources = _md(sources_text(u["sources"], story.get("source_names") or {}))
            when = _md(u["time"] or "undated")
            lines.append(f"  - {_md(u['value'])} — {when}: {sources} {cite.mark(u['citations'])}")
    return ["## Figures that changed", "", *lines] if lines else []


def _md_disputed(story: dict[str, Any], cite: Citations) -> list[str]:
    lines = []
    for f in (f for f in story["facts"] if f["status"] == "conflict"):
        lines.append(f"- **{_md(f['conflict'].get('kind', 'conflict'))}**: {_md(f['text'])}")
        for side in f["conflict"].get("values", []):
            value, source = _md(str(side.get("value", ""))), _name(story, side.get("source", ""))
            lines.append(f"  - {value} — {source}: “{_md(side.get('text', ''))}”")
    return ["## Disputed", "", *lines] if lines else []


def _md_adds(story: dict[str, Any], cite: Citations) -> list[str]:
    lines = []
    for s in (s for s in story["sources"] if s["adds"]):
        lines.append(f"**{_name(story, s['source'])}** (reported only here):")
        for a in s["adds"]:
            said = f" — {_md(a['speaker'])}" if a.get("speaker") else ""
            lines.append(f"- {_md(a['text'])}{said} {cite.mark(a['citations'])}")
        lines.append("")
    return ["## What each source adds", "", *lines[:-1]] if lines else []


TIMELINE_SECTIONS = (
    ("event", "Timeline"),
    ("deadline", "Deadlines and plans"),
    ("background", "Background dates"),
)


def _md_timeline(story: dict[str, Any], cite: Citations) -> list[str]:
    """The events in date order, then deadlines/plans and background dates apart."""
    out: list[str] = []
    for kind, heading in TIMELINE_SECTIONS:
        lines = [
            f"- **{e['date']}** — {_md(e['text'])} {cite.mark(e['citations'])}"
            for e in story["timeline"]
            if e.get("kind", "event") == kind
        ]
        if lines:
            out += [*([""] if out else []), f"## {heading}", "", *lines]
    return out


def _md_places(story: dict[str, Any], cite: Citations) -> list[str]:
    rows = [
        f"| {_md(p['name'])} | {p['lat']:.3f} | {p['lon']:.3f} | {p['country']} | {p['mentions']} |"
        for p in story["places"]
    ]
    head = ["## Places", "", "| place | lat | lon | country | mentions |", "|---|---|---|---|---|"]
    return head + rows if rows else []


def _md_quotes(story: dict[str, Any], cite: Citations) -> list[str]:
    lines = []
    for q in story["quotes"]:
        text = f"“{_md(q['text'].rstrip(' ,'))}”" if q["direct"] else _md(q["text"])
        speaker = _md(q["speaker"] or "unknown")
        named = (story.get("source_names") or {}).get(q["source"], q["source"]) == q["source"]
        where = f" — {_md(q['source'])}" if named else ""  # an unknown outlet: its reference
        lines.append(f"- **{speaker}**: {text}{where} {cite.mark(q.get('citations', []))}".rstrip())
    return ["## Quotes", "", *lines] if lines else []


def _md_sources(story: dict[str, Any], cite: Citations) -> list[str]:
    lines = [
        "## Sources",
        "",
        "| outlet | articles | independent | facts | only here |",
        "|---|---|---|---|---|",
    ]
    for s in story["sources"]:
        independent = "yes" if s["independent"] else "no"
        lines.append(
            f"| {_name(story, s['source'])} | {len(s['articles'])} | {independent} | {s['facts']}"
            f" | {len(s['adds'])} |"
        )
    names = {a["id"]: _name(story, a["source"]) for a in story["articles"]}
    for a in (a for a in story["articles"] if a["derived_from"]):
        original = names.get(a["derived_from"], a["derived_from"])
        lines.append(
            f"- {_name(story, a['source'])} {copy_words(a['derivation']['kind'])} {original}"
        )
    return lines


COPY_WORDS = {
    "exact": "is an exact copy of",
    "near": "is a near copy of",
    "rewrite": "is a rewrite of",
    "same_wire": "carries the same wire text as",
}


def copy_words(kind: str) -> str:
    """A derivation's kind as a reader says it ("same_wire" is a JSON key, not words)."""
    return COPY_WORDS.get(kind, f"is a {kind.replace('_', ' ')} of")


def _md_grouping(story: dict[str, Any], cite: Citations) -> list[str]:
    lines = ["## Why these articles are grouped", ""]
    for a in story["articles"]:
        link = a["link"] or {}
        shared = "; ".join(
            f"{key}: {', '.join(map(str, value[:6]))}"
            for key, value in link.get("evidence", {}).items()
            if isinstance(value, list) and value
        )
        detail = f"; {_md(shared)}" if shared else ""
        lines.append(
            f"- {_name(story, a['source'])} — {_md(a['title'])}"
            f" (score {link.get('score', 0):.2f}{detail})"
        )
    return lines


def _md_references(cite: Citations) -> list[str]:
    if not cite.entries:
        return []
    lines = ["## References", ""]
    for e in cite.entries:
        where = f" <{e['url']}>" if safe_url(e["url"]) else ""
        lines.append(f"{e['n']}. {_md(e['outlet'])}: {_md(quoted(e['text']))}{where}")
    return [*lines, ""]


def focus_places(places: list[dict[str, Any]], reach: float = 12.0) -> list[dict[str, Any]]:
    """The places a story map should frame: those near the story's main country.

    Whole countries and places a world away (Washington, in a story about Kabul) would
    zoom the map out to the globe; they stay in the place table but not in the frame.
    """
    local = [p for p in places if p.get("feature") not in {"country", "continent", "region"}]
    pool = local or places
    weight: dict[str, int] = {}
    for p in pool:
        weight[p.get("country", "")] = weight.get(p.get("country", ""), 0) + p["mentions"]
    main = max(weight, key=lambda c: weight[c])
    core = [p for p in pool if p.get("country", "") == main]
    lat = sorted(p["lat"] for p in core)[len(core) // 2]
    lon = sorted(p["lon"] for p in core)[len(core) // 2]
    return [p for p in pool if abs(p["lat"] - lat) <= reach and abs(p["lon"] - lon) <= reach * 1.5]


def story_map(places: list[dict[str, Any]], width: int = 640, height: int = 400) -> dict[str, Any]:
    """Places projected into an SVG box (equirectangular) with the country outlines
    around them; the box frames the story's region (`focus_places`) and spans at least
    ~30 degrees so one city still shows its region. Places outside the box are left out."""
    if not places:
        return {"points": [], "width": width, "height": height, "outlines": []}
    frame = focus_places(places)
    lats, lons = [p["lat"] for p in frame], [p["lon"] for p in frame]
    margin = 1.2  # room around the points for their labels
    span = max(
        (max(lons) - min(lons)) * margin + 8,
        ((max(lats) - min(lats)) * margin + 8) * width / height,
        30.0,
    )
    span = min(span, 360.0)
    lon0 = (min(lons) + max(lons)) / 2 - span / 2
    lat_span = span * height / width
    lat1 = (min(lats) + max(lats)) / 2 + lat_span / 2
    scale = width / span

    def xy(lat: float, lon: float) -> tuple[float, float]:
        return round((lon - lon0) * scale, 1), round((lat1 - lat) * scale, 1)

    top = max(p["mentions"] for p in places)
    points: list[dict[str, Any]] = []
    boxes: list[tuple[float, ...]] = []  # label extents placed so far: labels never overlap
    inside = [p for p in places if 0 <= xy(p["lat"], p["lon"])[0] <= width]
    for rank, p in enumerate(p for p in inside if 0 <= xy(p["lat"], p["lon"])[1] <= height):
        x, y = xy(p["lat"], p["lon"])
        r = round(4 + 6 * math.sqrt(p["mentions"] / top), 1)
        right = x > width * 0.7  # label on the left near the right edge
        label_x = round(x - r - 3 if right else x + r + 3, 1)
        anchor = "end" if right else "start"
        width_px = 6.5 * len(p["name"])
        x0 = label_x - width_px if right else label_x
        box = (x0, y - 8, x0 + width_px, y + 6)
        label = rank < 8 and not any(_overlap(box, b) for b in boxes)
        if label:
            boxes.append(box)
        points.append(
            {**p, "x": x, "y": y, "r": r, "label_x": label_x, "anchor": anchor, "label": label}
        )
    outlines = []
    for ring in country_rings():
        ring_lons, ring_lats = [c[0] for c in ring], [c[1] for c in ring]
        if (
            max(ring_lons) >= lon0
            and min(ring_lons) <= lon0 + span
            and max(ring_lats) >= lat1 - lat_span
            and min(ring_lats) <= lat1
        ):
            outlines.append(" ".join("{},{}".format(*xy(la, lo)) for lo, la in ring))
    return {"points": points, "width": width, "height": height, "outlines": outlines}


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def country_rings() -> list[list[tuple[float, float]]]:
    """Country outlines (lon, lat rings) if the Natural Earth file ships with the package."""
    path = resources.files("newsloom") / "data" / "countries.geojson"
    if not path.is_file():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    rings: list[list[tuple[float, float]]] = []
    for feature in data.get("features", []):
        geom = feature.get("geometry") or {}
        polys = geom.get("coordinates", [])
        if geom.get("type") == "Polygon":
            polys = [polys]
        for poly in polys:
            if poly:
                rings.append([(float(c[0]), float(c[1])) for c in poly[0]])
    return rings


def safe_url(url: str) -> str:
    """Only http(s) links survive; `javascript:` and other schemes are dropped."""
    return url if url.lower().startswith(("http://", "https://")) else ""


def to_html(briefings: list[dict[str, Any]], errors: list[str] | None = None) -> str:
    """A self-contained HTML report (inline CSS and SVG, no scripts, no network)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("newsloom", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["safe_url"] = safe_url
    env.filters["quoted"] = quoted
    env.filters["verdict"] = verdict
    env.filters["sources_text"] = sources_text
    env.filters["copy_words"] = copy_words
    env.globals["zip"] = zip
    env.globals["summary_facts"] = summary_facts
    env.globals["not_in_summary"] = not_in_summary
    env.globals["unknown_outlets"] = unknown_outlets
    stories = []
    for story in briefings:
        cite = Citations(story)
        stories.append(
            {
                "s": story,
                "cite": cite,
                "map": story_map(story["places"]),
            }
        )
    # References are numbered while the template renders, so the template reads
    # cite.entries only after the body that uses them.
    return env.get_template("report.html").render(
        stories=stories,
        errors=errors or [],
        version=__version__,
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )
