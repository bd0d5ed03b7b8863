"""Fact history and Atom feeds (#16): feeds parse with feedparser and carry every element
RFC 4287 requires, entry ids are stable tag: URIs, `updated` comes from the fact
history the store keeps (a restart announces nothing again), hostile text stays text,
and the web pages link the feeds."""

from __future__ import annotations

import html
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, unquote

import defusedxml.ElementTree as SafeET
import feedparser
import pytest
from fastapi.testclient import TestClient

from newsloom import history
from newsloom.models import Citation, Fact, Story
from newsloom.store import Store
from newsloom.web.app import create_app

sys.path.insert(0, str(Path(__file__).parent))
import webdata

ATOM = "{http://www.w3.org/2005/Atom}"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
TAG_URI = re.compile(r"^tag:[A-Za-z0-9.-]+,\d{4}(-\d{2}(-\d{2})?)?:[!-~]+$")


class Clock:
    """Stands in for history.now(): the time is the minute the test sets, on a day far ahead
    of the wall clock that stamps `stories.updated_at`, so the feed's newest time is the clock's."""

    def __init__(self) -> None:
        self.minute = 0

    def __call__(self) -> str:
        return f"2096-11-30T10:{self.minute:02d}:00Z"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(history, "now", c)
    return c


def check_rfc4287(body: bytes) -> list[dict[str, str]]:
    """Assert the RFC's MUSTs (a forgiving parser would not) and return the entries."""
    root = SafeET.fromstring(body)
    assert root.tag == ATOM + "feed"

    def one(el: object, name: str) -> str:
        found = el.findall(ATOM + name)  # type: ignore[attr-defined]
        assert len(found) == 1, f"exactly one atom:{name}, got {len(found)}"
        return str(found[0].text or "")

    assert TAG_URI.match(one(root, "id"))
    assert one(root, "title").strip()
    feed_updated = one(root, "updated")
    assert RFC3339.match(feed_updated)
    feed_author = bool(root.findall(ATOM + "author/" + ATOM + "name"))
    links = root.findall(ATOM + "link")
    assert [x.get("rel") for x in links].count("self") == 1
    assert [x.get("rel") for x in links].count("alternate") == 1
    entries, ids = [], set()
    for entry in root.findall(ATOM + "entry"):
        e = {name: one(entry, name) for name in ("id", "title", "updated")}
        assert TAG_URI.match(e["id"]), e["id"]
        assert e["id"] not in ids, "entry ids are unique"
        ids.add(e["id"])
        assert RFC3339.match(e["updated"]) and e["updated"] <= feed_updated
        published = entry.findall(ATOM + "published")
        if published:
            assert published[0].text <= e["updated"]
        alternates = [x for x in entry.findall(ATOM + "link") if x.get("rel") == "alternate"]
        assert len(alternates) == 1 and alternates[0].get("href", "").startswith("http")
        assert feed_author or entry.findall(ATOM + "author")
        content = entry.findall(ATOM + "content")
        if content:
            assert content[0].get("type") in ("text", "html", "xhtml")
        e["link"] = alternates[0].get("href", "")
        e["content"] = content[0].text or "" if content else ""
        entries.append(e)
    return entries


def parsed(body: bytes) -> feedparser.FeedParserDict:
    doc = feedparser.parse(body)
    assert not doc.bozo, doc.get("bozo_exception")
    assert doc.version == "atom10"
    return doc


# -- the fact history --------------------------------------------------------------


def _fact(fid: str, status: str, cites: list[tuple[str, int]], **extra: object) -> Fact:
    citations = [Citation(a, s, f"src-{a}", f"sentence {s} of {a}") for a, s in cites]
    sources = sorted({c.source for c in citations})
    return Fact(fid, f"fact {fid}", status, sources, len(sources), citations, **extra)  # type: ignore[arg-type]


def _conflict(values: list[str]) -> dict[str, object]:
    return {
        "kind": "number",
        "values": [{"value": v, "source": f"s{i}", "text": v} for i, v in enumerate(values)],
    }


def _events(store: Store, story_id: str) -> list[tuple[str, str, str, str]]:
    rows = store.conn.execute(
        "SELECT lineage, change, status, kind FROM fact_events WHERE story_id = ? ORDER BY seq",
        (story_id,),
    )
    return [tuple(r) for r in rows]


def test_history_follows_a_fact_whose_id_changes(clock: Clock) -> None:
    store = Store(":memory:")
    store.save_facts("s1", [_fact("a", "single", [("x", 0)])], 1)
    clock.minute = 5
    # A second outlet states it: new id (hash of citations), now corroborated.
    store.save_facts("s1", [_fact("a2", "corroborated", [("x", 0), ("y", 3)])], 2)
    assert _events(store, "s1") == [
        ("a", "new", "single", ""),
        ("a", "status", "corroborated", "corroborated"),
    ]
    assert store.fact_times("s1") == {"a2": ("2096-11-30T10:00:00Z", "2096-11-30T10:05:00Z")}


def test_history_conflict_values_and_update_status(clock: Clock) -> None:
    store = Store(":memory:")
    store.save_facts("s1", [_fact("c", "conflict", [("x", 1)], conflict=_conflict(["12"]))], 1)
    clock.minute = 1
    grown = _fact("c2", "conflict", [("x", 1), ("z", 0)], conflict=_conflict(["12", "10"]))
    store.save_facts("s1", [grown, _fact("u", "update", [("x", 2)])], 2)
    assert _events(store, "s1")[1:] == [
        ("c", "figures", "conflict", "conflict"),
        ("u", "new", "update", "update"),
    ]


def test_history_same_facts_again_record_nothing_across_a_restart(
    tmp_path: Path, clock: Clock
) -> None:
    facts = [_fact("a", "corroborated", [("x", 0), ("y", 0)]), _fact("b", "single", [("x", 1)])]
    store = Store(tmp_path / "h.db")
    store.save_facts("s1", facts, 2)
    store.close()
    clock.minute = 30
    store = Store(tmp_path / "h.db")
    store.save_facts("s1", list(reversed(facts)), 2)
    assert len(_events(store, "s1")) == 2
    assert set(store.fact_times("s1").values()) == {("2096-11-30T10:00:00Z",) * 2}


def test_history_survives_a_reset_and_rebuild(clock: Clock) -> None:
    store = Store(":memory:")
    store.save_facts("s1", [_fact("a", "corroborated", [("x", 0), ("y", 0)])], 2)
    clock.minute = 3
    store.save_facts("s1", [], 0)  # a rebuild clears the facts first ...
    rebuilt = [_fact("a-new-id", "corroborated", [("y", 0), ("x", 0)]), _fact("b", "single", [])]
    store.save_facts("s1", rebuilt, 2)  # ... then writes them again
    assert [e[1] for e in _events(store, "s1")] == ["new", "new"]  # a once, then b
    assert store.fact_times("s1")["a-new-id"][0] == "2096-11-30T10:00:00Z"


def test_history_of_an_incremental_save(clock: Clock) -> None:
    """fuse's incremental path writes only the changed facts, then records them."""
    store = Store(":memory:")
    facts = [_fact("a", "single", [("x", 0)]), _fact("b", "single", [("x", 1)])]
    store.save_facts("s1", facts, 1)
    clock.minute = 4
    grown = _fact("a2", "corroborated", [("x", 0), ("y", 2)])
    with store.transaction():  # a's id changed: the old one is removed, the new one written
        store.conn.execute("DELETE FROM facts WHERE story_id = 's1' AND id = 'a'")
        store.conn.execute("INSERT INTO facts VALUES ('a2', 's1', 0, 'x', 'corroborated', 2, '{}')")
        store._record_fact_history("s1", [grown])
    assert _events(store, "s1")[2:] == [("a", "status", "corroborated", "corroborated")]
    assert set(store.fact_times("s1")) == {"a2", "b"}


def test_history_a_merged_story_keeps_its_facts_history(tmp_path: Path, clock: Clock) -> None:
    store = Store(tmp_path / "m.db")
    a, b = (
        webdata.article(webdata.FLOOD_A, "A", "t", "2024-05-06"),
        webdata.article(webdata.FLOOD_B, "B", "t", "2024-05-07"),
    )
    store.add_articles([a, b])
    store.save_stories([Story("old", "t", [a.id]), Story("keep", "t", [b.id])])
    store.save_facts("old", [_fact("f", "single", [(a.id, 0)])], 1)
    clock.minute = 9
    store.save_stories([Story("keep", "t", [a.id, b.id], merged_from=["old"])])
    store.save_facts("keep", [_fact("g", "corroborated", [(a.id, 0), (b.id, 0)])], 2)
    assert [e[1:] for e in _events(store, "keep")] == [("status", "corroborated", "corroborated")]
    assert store.fact_times("keep")["g"][0] == "2096-11-30T10:00:00Z"


def test_history_value_items_are_found_in_any_field() -> None:
    fact = {"status": "update", "updates": [{"value": 10, "time": "d1"}, {"value": 15}]}
    assert [x["value"] for x in history.value_items(fact)] == [10, 15]
    assert history.event_kind("corroborated", "figures") == ""
    assert history.event_kind("single", "new") == ""


# -- feeds -------------------------------------------------------------------------


@pytest.fixture
def site(tmp_path: Path, clock: Clock) -> Iterator[tuple[TestClient, Path, dict[str, str]]]:
    db = tmp_path / "web.db"
    ids = webdata.fill(db)
    with TestClient(create_app(str(db))) as client:
        yield client, db, ids


FEEDS = (
    "/feeds/stories.atom",
    "/feeds/search.atom?q=flood",
    "/feeds/stories/st-flood.atom",
    "/feeds/stories/st-lyon.atom",
)


@pytest.mark.parametrize("path", FEEDS)
def test_feeds_are_valid_atom(site: tuple, path: str) -> None:
    client, _, _ = site
    r = client.get(path)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/atom+xml; charset=utf-8"
    entries = check_rfc4287(r.content)
    doc = parsed(r.content)
    assert entries and len(doc.entries) == len(entries)
    assert [e.id for e in doc.entries] == [e["id"] for e in entries]


def test_stories_feed_lists_stories_with_their_facts(site: tuple) -> None:
    client, _, _ = site
    doc = parsed(client.get("/feeds/stories.atom").content)
    flood = next(e for e in doc.entries if e.title == "Floods in Porto Alegre")
    assert flood.id == "tag:newsloom,2026:story/st-flood"
    assert flood.link == "http://testserver/stories/st-flood"
    assert "Floodwaters swept through Porto Alegre" in flood.content[0].value
    assert "12,000" not in flood.summary  # the summary is the best corroborated fact
    assert {c.name for c in flood.contributors} == {"Folha", "Wire Daily"}


def test_search_feed_holds_only_matching_stories(site: tuple) -> None:
    client, _, _ = site
    doc = parsed(client.get("/feeds/search.atom", params={"q": "protested Lyon"}).content)
    assert [e.link for e in doc.entries] == ["http://testserver/stories/st-lyon"]
    assert parsed(client.get("/feeds/search.atom?q=zzzunknown").content).entries == []
    assert client.get("/feeds/search.atom?q=").status_code == 422


def test_story_feed_announces_changes_once_with_their_times(site: tuple, clock: Clock) -> None:
    client, db, ids = site
    first = client.get("/feeds/stories/st-flood.atom").content
    titles = [e.title for e in parsed(first).entries]
    assert titles[0].startswith("Disputed (number): Residents")
    assert titles[1].startswith("Confirmed by 2 independent sources: Floodwaters")
    assert titles[-1] == "New story: Floods in Porto Alegre"
    assert not any("Guaiba" in t for t in titles)  # single-source facts are not announced

    store = Store(db)
    facts = store.get_facts("st-flood")
    clock.minute = 7  # the river figure gains a second source; the dispute gains a value
    facts[1] = Fact(
        "f2b",
        facts[1].text,
        "corroborated",
        ["Folha", "Wire Daily"],
        2,
        [*facts[1].citations, Citation(ids["b"], 1, "Wire Daily", "Rescue boats")],
    )
    facts[2].conflict["values"].append({"value": "9,000", "source": "G1", "text": "9,000 left"})
    store.save_facts("st-flood", facts, 2)
    second = client.get("/feeds/stories/st-flood.atom")
    entries = check_rfc4287(second.content)
    new = [e for e in entries if e["updated"] == "2096-11-30T10:07:00Z"]
    assert [e["title"][:20] for e in new] == ["Disputed (number): R", "Confirmed by 2 indep"]
    assert "9,000" in new[0]["content"] and new[1]["link"].endswith("#fact-f2b")
    assert parsed(second.content).feed.updated == "2096-11-30T10:07:00Z"

    clock.minute = 30  # recomputed again (a restart, a re-run): nothing new to announce
    store.close()
    Store(db).save_facts("st-flood", facts, 2)
    assert client.get("/feeds/stories/st-flood.atom").content == second.content


def test_feeds_keep_hostile_text_as_text(site: tuple) -> None:
    client, db, _ = site
    store = Store(db)
    store.conn.execute(
        "UPDATE stories SET title = ?, data = json_set(data, '$.title', ?) WHERE id = 'st-lyon'",
        ("Lyon \x00\x1b]] <b>protest</b> & riot", "x"),
    )
    r = client.get("/feeds/stories.atom")
    check_rfc4287(r.content)
    assert b"<b>" not in r.content and b"<script" not in r.content
    titles = [e.title for e in parsed(r.content).entries]
    assert "Lyon ]] <b>protest</b> & riot" in titles  # control chars dropped, markup kept as text
    # The entry body is HTML: the outlet's markup is escaped inside it, not live.
    [lyon] = check_rfc4287(client.get("/feeds/stories/st-lyon.atom").content)
    assert "Outlets: Evil &lt;b&gt;Times&lt;/b&gt;" in lyon["content"]
    assert "<b>" not in lyon["content"]


def test_feeds_answer_not_modified_and_404(site: tuple) -> None:
    client, _, _ = site
    r = client.get("/feeds/stories.atom")
    again = client.get("/feeds/stories.atom", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and not again.content
    assert client.get("/feeds/stories/nope.atom").status_code == 404
    assert client.get("/feeds/storylines/nope.atom").status_code == 404


def test_storyline_feed_merges_its_stories(site: tuple) -> None:
    client, db, _ = site
    store = Store(db)
    store.conn.execute("UPDATE stories SET data = json_set(data, '$.storyline', 'sl-1')")
    r = client.get("/feeds/storylines/sl-1.atom")
    entries = check_rfc4287(r.content)
    links = {e["link"].split("#")[0] for e in entries}
    assert links == {"http://testserver/stories/st-flood", "http://testserver/stories/st-lyon"}
    updated = [e["updated"] for e in entries]
    assert updated == sorted(updated, reverse=True)


FEED_LINK = re.compile(r'<link rel="alternate" type="application/atom\+xml"[^>]*href="([^"]+)"')


@pytest.mark.parametrize(
    ("page", "feed"),
    [
        ("/", "/feeds/stories.atom"),
        ("/search?q=flood", "/feeds/search.atom?q=flood"),
        ("/stories/st-flood", "/feeds/stories/st-flood.atom"),
    ],
)
def test_pages_link_their_feeds(site: tuple, page: str, feed: str) -> None:
    client, _, _ = site
    hrefs = FEED_LINK.findall(client.get(page).text)
    assert feed in hrefs
    for href in hrefs:
        r = client.get(href.replace("&amp;", "&"))
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/atom")


def test_feeds_of_odd_ids_are_valid_and_their_links_resolve(tmp_path: Path, clock: Clock) -> None:
    """Ids with "/", "?", "#", "%", spaces and accents: every feed of them parses, and every
    link in it (entries, cited sentences) reaches its page and anchor."""
    db = tmp_path / "odd.db"
    webdata.fill_odd(db)
    client = TestClient(create_app(str(db)))
    line = quote(webdata.ODD_STORYLINE_ID, safe="")
    paths = [f"/feeds/stories/{quote(sid, safe='')}.atom" for sid in webdata.ODD_STORY_IDS]
    paths += ["/feeds/stories.atom", f"/feeds/storylines/{line}.atom"]
    for path in paths:
        r = client.get(path)
        assert r.status_code == 200, path
        entries = check_rfc4287(r.content)
        links = parsed(r.content).feed.links
        assert {x.href for x in links if x.rel == "self"} == {f"http://testserver{path}"}
        hrefs = [e["link"] for e in entries]
        hrefs += re.findall(
            r'href="([^"]+)"', html.unescape("".join(e["content"] for e in entries))
        )
        for href in hrefs:
            target, _, fragment = href.removeprefix("http://testserver").partition("#")
            page = client.get(target)
            assert page.status_code == 200, href
            if fragment:
                assert re.fullmatch(r"[\w.~%-]+", fragment, re.ASCII), href  # encoded
                assert f'id="{html.escape(unquote(fragment))}"' in page.text, href
        linked = {unquote(h.split("#")[0].rsplit("/", 1)[1]) for h in hrefs if "/stories/" in h}
        assert linked <= set(webdata.ODD_STORY_IDS) and linked
