"""Atom feeds (RFC 4287) to follow the archive in a feed reader (#16).

Four feeds: the newest stories, the stories matching a search, one story's updates
(facts newly corroborated, new conflicts, updated figures, from the fact history the
store keeps) and one storyline's. Entry ids are tag: URIs built from story ids and
event numbers, so they never change and a feed reader never shows an entry twice;
`updated` is when newsloom learned of the change, not the article's date.
Article text is untrusted: every document is built as an ElementTree and serialised
by it (entry bodies are HTML fragments built and serialised the same way), and
characters XML cannot carry are dropped.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode, urljoin

from newsloom import __version__, history
from newsloom.errors import NotFound
from newsloom.models import Citation, Fact
from newsloom.render import safe_url
from newsloom.store import Store

ATOM_NS = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml"
TAG = "tag:newsloom,2026:"  # RFC 4151 tag URIs: stable whatever host serves the feed
EPOCH = "1970-01-01T00:00:00Z"
FEED_SIZE = 50
TITLE_CHARS = 160
_XML_INVALID = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_EVENT_TITLES = {"corroborated": "Confirmed", "conflict": "Disputed", "update": "Updated figure"}


@dataclass(slots=True)
class Entry:
    """One Atom entry; `content` is an HTML fragment (already serialised, safe)."""

    id: str
    title: str
    updated: str
    link: str
    published: str = ""
    summary: str = ""
    content: str = ""
    categories: list[str] = field(default_factory=list)
    contributors: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Feed:
    """One Atom feed: `link` is the web page it follows, `self_link` the feed's own URL."""

    id: str
    title: str
    link: str
    self_link: str
    entries: list[Entry]
    subtitle: str = ""
    updated: str = ""  # newest entry's time unless given


def rfc3339(when: str) -> str:
    """Store times ("2026-11-30 10:00:00" from SQLite, or already RFC 3339) as RFC 3339 UTC."""
    if not when:
        return EPOCH
    when = when.replace(" ", "T")
    return when if when.endswith("Z") or "+" in when[10:] else when + "Z"


def clean(text: str) -> str:
    """Drop characters XML 1.0 cannot carry (control characters, lone surrogates)."""
    return _XML_INVALID.sub("", text)


def short(text: str, limit: int = TITLE_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def url_id(value: str) -> str:
    """An id as one URL path segment: ids come from JSONL files and may hold "/", "?",
    "#", "%", spaces or any letter (`reuters/2025/…`, full URLs). The web app's links
    (the `urlid` template filter), feeds and alerts all encode ids with this."""
    return quote(value, safe="")


def story_url(base: str, story_id: str) -> str:
    return urljoin(base, "stories/" + url_id(story_id))


def story_feed_url(base: str, story_id: str) -> str:
    return urljoin(base, "feeds/stories/" + url_id(story_id) + ".atom")


def article_url(base: str, citation: Citation) -> str:
    """The cited sentence in the web app."""
    return urljoin(base, f"articles/{url_id(citation.article_id)}#s{citation.sentence}")


def story_tag(story_id: str) -> str:
    return f"{TAG}story/{url_id(story_id)}"


# -- serialisation -----------------------------------------------------------------


def _add(parent: ET.Element, tag: str, text: str = "", **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, {k: clean(v) for k, v in attrs.items()})
    if text:
        el.text = clean(text)
    return el


def render(feed: Feed) -> bytes:
    """The feed as an Atom document (UTF-8)."""
    root = ET.Element("feed", {"xmlns": ATOM_NS})
    _add(root, "id", feed.id)
    _add(root, "title", feed.title)
    if feed.subtitle:
        _add(root, "subtitle", feed.subtitle)
    updated = feed.updated or max((e.updated for e in feed.entries), default=EPOCH)
    _add(root, "updated", updated)
    _add(root, "link", rel="self", type=MEDIA_TYPE, href=feed.self_link)
    _add(root, "link", rel="alternate", type="text/html", href=feed.link)
    author = _add(root, "author")
    _add(author, "name", "newsloom")
    _add(root, "generator", "newsloom", version=__version__)
    for entry in feed.entries:
        el = _add(root, "entry")
        _add(el, "id", entry.id)
        _add(el, "title", entry.title or "(untitled)", type="text")
        _add(el, "updated", entry.updated)
        if entry.published:
            _add(el, "published", entry.published)
        _add(el, "link", rel="alternate", type="text/html", href=entry.link)
        for name in entry.contributors:
            _add(_add(el, "contributor"), "name", name)
        for term in entry.categories:
            _add(el, "category", term=term)
        if entry.summary:
            _add(el, "summary", entry.summary, type="text")
        if entry.content:
            _add(el, "content", entry.content, type="html")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


class _Html:
    """An HTML fragment built as elements, serialised (and so escaped) by ElementTree."""

    def __init__(self) -> None:
        self.root = ET.Element("div")

    def para(self, text: str) -> None:
        _add(self.root, "p", text)

    def heading(self, text: str) -> None:
        _add(self.root, "h3", text)

    def items(self, lines: list[tuple[str, str]]) -> None:
        """A list of (text, link) items; a link that is not http(s) is left out."""
        ul = _add(self.root, "ul")
        for text, href in lines:
            li = _add(ul, "li")
            if href and safe_url(href):
                _add(li, "a", text, href=href)
            else:
                li.text = clean(text)

    def table(self, header: list[str], rows: list[list[str]]) -> None:
        table = _add(self.root, "table")
        tr = _add(table, "tr")
        for name in header:
            _add(tr, "th", name)
        for row in rows:
            tr = _add(table, "tr")
            for cell in row:
                _add(tr, "td", cell)

    def serialise(self) -> str:
        return ET.tostring(self.root, encoding="unicode", method="html")


# -- entries -----------------------------------------------------------------------


def story_entry(store: Store, base: str, row: dict[str, Any]) -> Entry:
    """A story as a feed entry: counts, outlets, confirmed and disputed facts."""
    facts = store.get_facts(row["id"])
    confirmed = [f for f in facts if f.status == "corroborated"]
    disputed = [f for f in facts if f.status == "conflict"]
    body = _Html()
    span = row["first_published"][:10]
    if row["last_published"][:10] not in ("", span):
        span += " – " + row["last_published"][:10]
    counts = (
        f"{row['n_articles']} article{'s' if row['n_articles'] != 1 else ''} from"
        f" {len(row['sources'])} outlet{'s' if len(row['sources']) != 1 else ''},"
        f" {row['n_independent']} independent"
    )
    body.para(counts + (f"; published {span}" if span else "") + ".")
    if row["sources"]:
        body.para("Outlets: " + ", ".join(row["sources"]))
    url = story_url(base, row["id"])
    if confirmed:
        body.heading("Confirmed by several sources")
        body.items([_fact_line(f, url) for f in confirmed[:5]])
    if disputed:
        body.heading("Disputed")
        body.items([_fact_line(f, url) for f in disputed[:5]])
    summary = confirmed[0].text if confirmed else counts
    return Entry(
        id=story_tag(row["id"]),
        title=row["title"] or "(untitled story)",
        updated=rfc3339(row["updated_at"]),
        published=rfc3339(row["first_seen"]),
        link=url,
        summary=short(summary, 400),
        content=body.serialise(),
        categories=["story"],
        contributors=row["sources"],
    )


def _fact_line(fact: Fact, story_link: str) -> tuple[str, str]:
    sources = ", ".join(fact.sources)
    return (
        f"{fact.text} ({sources})" if sources else fact.text,
        f"{story_link}#fact-{url_id(fact.id)}",
    )


def event_entry(base: str, story_id: str, event: dict[str, Any]) -> Entry:
    """A fact event (newly corroborated, disputed, updated figure) as a feed entry."""
    fact = Fact.from_dict(event["fact"])
    kind = event["kind"]
    label = _EVENT_TITLES.get(kind, kind)
    if kind == "corroborated":
        label += f" by {fact.independent_sources} independent sources"
    elif kind == "conflict" and fact.conflict.get("kind"):
        label += f" ({fact.conflict['kind']})"
    body = _Html()
    body.para(fact.text)
    if fact.sources:
        body.para(
            f"Sources: {', '.join(fact.sources)} ({fact.independent_sources} independent)"
            + (f"; attributed to {fact.origin}" if fact.origin else "")
        )
    if event["previous_status"] and event["change"] == "status":
        body.para(f"Was: {event['previous_status']}.")
    sides = fact.conflict.get("values") or []
    if sides:
        body.table(
            ["value", "source", "says"],
            [[str(s.get(k, "")) for k in ("value", "source", "text")] for s in sides],
        )
    values = [str(item["value"]) for item in history.value_items(event["fact"])]
    if values and not sides:
        body.para("Figures: " + " → ".join(values))
    body.heading("Cited sentences")
    body.items([(f"{c.source}: “{c.text}”", article_url(base, c)) for c in fact.citations])
    return Entry(
        id=f"{story_tag(story_id)}/event/{event['seq']}",
        title=short(f"{label}: {fact.text}"),
        updated=rfc3339(event["at"]),
        published=rfc3339(event["at"]),
        link=f"{story_url(base, story_id)}#fact-{url_id(event['current_fact_id'] or fact.id)}",
        summary=short(fact.text, 400),
        content=body.serialise(),
        categories=[kind, event["change"]],
        contributors=fact.sources,
    )


# -- feeds -------------------------------------------------------------------------


def stories_feed(store: Store, base: str, limit: int = FEED_SIZE) -> Feed:
    """The newest stories (by their last change)."""
    rows = store.story_summaries(store.recent_story_ids(limit))
    return Feed(
        id=f"{TAG}feeds/stories",
        title="newsloom: newest stories",
        subtitle="Stories built from many news reports, with corroborated and disputed facts.",
        link=base,
        self_link=urljoin(base, "feeds/stories.atom"),
        entries=[story_entry(store, base, r) for r in rows],
    )


def search_feed(store: Store, base: str, query: str, limit: int = FEED_SIZE) -> Feed:
    """The stories matching a full-text search, most recently changed first."""
    ids = store.story_ids_matching(query, limit=limit, order="recent")
    norm = " ".join(query.split())
    return Feed(
        id=f"{TAG}feeds/search?{urlencode({'q': norm})}",
        title=f"newsloom: stories matching “{short(norm, 80)}”",
        link=urljoin(base, "search?" + urlencode({"q": norm})),
        self_link=urljoin(base, "feeds/search.atom?" + urlencode({"q": norm})),
        entries=[story_entry(store, base, r) for r in store.story_summaries(ids)],
    )


def story_feed(store: Store, base: str, story_id: str, limit: int = 100) -> Feed:
    """One story's updates: facts newly corroborated, new conflicts, updated figures;
    the story itself, as first seen, is the oldest entry."""
    rows = store.story_summaries([story_id])
    if not rows:
        raise NotFound(f"no story with id {story_id!r}")
    row = rows[0]
    events = store.fact_events([story_id], limit=limit)
    entries = [event_entry(base, story_id, e) for e in events]
    first = story_entry(store, base, row)
    first.id += "/new"  # not the newest-stories feed's entry, which changes as the story grows
    first.updated = first.published
    first.title = "New story: " + first.title
    entries.append(first)
    return Feed(
        id=f"{TAG}feeds/story/{url_id(story_id)}",
        title=f"newsloom: {row['title'] or '(untitled story)'}",
        subtitle="Updates of one story: facts newly confirmed, new disputes, updated figures.",
        link=story_url(base, story_id),
        self_link=story_feed_url(base, story_id),
        entries=entries,
        updated=max(rfc3339(row["updated_at"]), *(e.updated for e in entries)),
    )


def storyline_feed(store: Store, base: str, storyline_id: str, limit: int = 100) -> Feed:
    """A storyline's stories (`Story.storyline`) and their updates, newest first."""
    ids = store.storyline_story_ids(storyline_id)
    if not ids:
        raise NotFound(f"no storyline with id {storyline_id!r}")
    rows = store.story_summaries(ids)
    entries = [story_entry(store, base, r) for r in rows]
    for event in store.fact_events(ids, limit=limit):
        entries.append(event_entry(base, event["story_id"], event))
    entries.sort(key=lambda e: e.updated, reverse=True)
    quoted = url_id(storyline_id)
    newest = max(rows, key=lambda r: r["last_published"])
    return Feed(
        id=f"{TAG}feeds/storyline/{quoted}",
        title=f"newsloom storyline: {newest['title'] or '(untitled story)'}",
        link=urljoin(base, f"storylines/{quoted}"),
        self_link=urljoin(base, f"feeds/storylines/{quoted}.atom"),
        entries=entries[:limit],
    )
