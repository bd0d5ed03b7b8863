"""A small hand-built store for the web tests (no models needed)."""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import unquote

from fastapi.testclient import TestClient

from newsloom.models import (
    Article,
    Citation,
    Derivation,
    Fact,
    Link,
    Mention,
    Place,
    Quote,
    Sentence,
    Story,
    TimeRef,
    content_id,
)
from newsloom.store import Store

FLOOD_A = (
    "Floodwaters swept through Porto Alegre on Monday, forcing 12,000 residents from their"
    " homes.\n\n"
    '"We lost everything in one night," said Maria Souza, a shopkeeper in the city centre. '
    "The Guaiba river rose to a record 5.3 metres, the state civil defence agency said."
)
FLOOD_B = (
    "Heavy rain flooded Porto Alegre on Monday and about 10,000 people left their homes, "
    "officials said.\n\nRescue boats reached the northern districts by Tuesday morning."
)
EVIL = (
    "<script>alert('pwned')</script> Residents of Lyon protested on Sunday. "
    'Click <a href="javascript:alert(1)">here</a> for more.'
)


def _sentences(text: str) -> list[Sentence]:
    out, para = [], 0
    for m in re.finditer(r"[^\n]+?[.!?]\"?(?=\s|$)|\n\n", text):
        if m.group() == "\n\n":
            para += 1
            continue
        start = m.start() + len(m.group()) - len(m.group().lstrip())
        out.append(Sentence(len(out), text[start : m.end()], start, m.end(), para))
    return out


def _at(text: str, needle: str) -> tuple[int, int]:
    i = text.index(needle)
    return i, i + len(needle)


def article(text: str, source: str, title: str, published: str, url: str = "") -> Article:
    art = Article(
        id=content_id(text, title),
        text=text,
        source=source,
        title=title,
        published=published,
        url=url,
        origin=f"{source}.txt",
    )
    art.sentences = _sentences(text)
    for name, lat, lon, cc in (("Porto Alegre", -30.03, -51.23, "BR"), ("Lyon", 45.76, 4.84, "FR")):
        if name in text:
            s, e = _at(text, name)
            art.places.append(
                Place(name, name, lat, lon, cc, "city", None, 1, art.sentence_at(s), s, e)
            )
            art.mentions.append(Mention(name, "GPE", s, e, art.sentence_at(s), name))
    if "Maria Souza" in text:
        s, e = _at(text, "Maria Souza")
        art.mentions.append(
            Mention("Maria Souza", "PERSON", s, e, art.sentence_at(s), "Maria Souza")
        )
        qs, qe = _at(text, "We lost everything in one night,")
        art.quotes.append(
            Quote("We lost everything in one night", "Maria Souza", qs, qe, 1, True, "said")
        )
    for word, value in (("Monday", "2024-05-06"), ("Sunday", "2024-05-05")):
        if word in text:
            s, e = _at(text, word)
            art.times.append(TimeRef(word, value, s, e, art.sentence_at(s)))
    return art


def fill(path: Path) -> dict[str, str]:
    """Two flood reports in one story (one a rewrite) with facts, plus a hostile article."""
    store = Store(path)
    a = article(
        FLOOD_A,
        "Folha",
        "Floods force thousands from Porto Alegre homes",
        "2024-05-06",
        "https://folha.example/floods",
    )
    b = article(
        FLOOD_B,
        "Wire Daily",
        "Porto Alegre under water",
        "2024-05-07",
        "javascript:alert(document.cookie)",
    )
    evil = article(
        EVIL,
        "Evil <b>Times</b>",
        "<img src=x onerror=alert(2)> Lyon protest",
        "2024-04-01",
        "javascript:alert(3)",
    )
    store.add_articles([a, b, evil])
    flood = Story(
        id="st-flood",
        title="Floods in Porto Alegre",
        article_ids=[a.id, b.id],
        links=[
            Link(a.id, "st-flood", 1.0, {"places": ["Porto Alegre"]}),
            Link(b.id, "st-flood", 0.8, {"places": ["Porto Alegre"]}),
        ],
        derivations=[Derivation(b.id, a.id, "rewrite", 0.71)],
    )
    protest = Story(
        id="st-lyon", title=evil.title, article_ids=[evil.id], links=[Link(evil.id, "st-lyon", 1.0)]
    )
    store.save_stories([flood, protest])
    ca = Citation(a.id, 0, "Folha", a.sentences[0].text)
    cb = Citation(b.id, 0, "Wire Daily", b.sentences[0].text)
    facts = [
        Fact(
            "f1",
            "Floodwaters swept through Porto Alegre on Monday.",
            "corroborated",
            ["Folha", "Wire Daily"],
            2,
            [ca, cb],
        ),
        Fact(
            "f2",
            "The Guaiba river rose to a record 5.3 metres.",
            "single",
            ["Folha"],
            1,
            [Citation(a.id, 2, "Folha", a.sentences[2].text)],
        ),
        Fact(
            "f3",
            "Residents were forced from their homes.",
            "conflict",
            ["Folha", "Wire Daily"],
            2,
            [ca, cb],
            conflict={
                "kind": "number",
                "values": [
                    {"value": "12,000", "source": "Folha", "text": ca.text},
                    {"value": "about 10,000", "source": "Wire Daily", "text": cb.text},
                ],
            },
        ),
        Fact(  # one origin carried by two outlets (a wire text)
            "f4",
            "The airport stays closed until further notice.",
            "single",
            ["Folha", "Wire Daily"],
            1,
            [Citation(a.id, 1, "Folha", a.sentences[1].text), cb],
        ),
    ]
    store.save_facts("st-flood", facts, n_independent=1)
    store.save_facts(
        "st-lyon",
        [
            Fact(
                "f9",
                "Residents of Lyon protested <script>x</script>.",
                "single",
                ["Evil <b>Times</b>"],
                1,
                [Citation(evil.id, 1, "Evil <b>Times</b>", "Residents")],
            )
        ],
        1,
    )
    store.close()
    return {"a": a.id, "b": b.id, "evil": evil.id}


# Ids as JSONL files give them: paths, full URLs, "?", "#", "%", spaces, any letter, even
# line breaks and markup. Story and storyline ids are built from article ids; one story id
# ends like a route suffix.
ODD_ARTICLE_IDS = (
    "reuters/2025/03 flood?a=1#top 100%é",
    "https://wire.example/x?y=1&z=2#frag\n\t\"'<odd>&amp;",
)
ODD_STORY_IDS = ("s" + ODD_ARTICLE_IDS[0], "sw/1?q#z/export")
ODD_STORYLINE_ID = "lreuters/2025/x.atom?#% ü"


def fill_odd(path: Path) -> dict[str, str]:
    """Two stories of one storyline whose ids hold every character a URL treats specially."""
    store = Store(path)
    a = article(FLOOD_A, "Folha", "Floods in Porto Alegre", "2024-05-06")
    b = article(FLOOD_B, "Wire Daily", "", "2024-05-07")  # untitled: pages show its id
    a.id, b.id = ODD_ARTICLE_IDS
    store.add_articles([a, b])
    stories = [
        Story(id=sid, title=art.title, article_ids=[art.id], storyline=ODD_STORYLINE_ID)
        for sid, art in zip(ODD_STORY_IDS, (a, b), strict=True)
    ]
    for story, art in zip(stories, (a, b), strict=True):
        story.links = [Link(art.id, story.id, 1.0)]
    store.save_stories(stories)
    ca, cb = (Citation(x.id, 0, x.source, x.sentences[0].text) for x in (a, b))
    both = Fact("f/1?#", ca.text, "corroborated", [a.source, b.source], 2, [ca, cb])
    store.save_facts(stories[0].id, [both], n_independent=2)
    store.save_facts(stories[1].id, [Fact("f 2%é", cb.text, "single", [b.source], 1, [cb])], 1)
    store.conn.execute(
        "INSERT INTO storylines(position, id, title, first_day, last_day, n_stories, alive,"
        " state) VALUES (0, ?, 'Floods', '2024-05-06', '2024-05-07', 2, 1, ?)",
        (ODD_STORYLINE_ID, '{"merged_from": []}'),
    )
    store.conn.executemany(
        "INSERT INTO story_storylines(story_id, storyline_id) VALUES (?, ?)",
        [(sid, ODD_STORYLINE_ID) for sid in ODD_STORY_IDS],
    )
    store.conn.commit()
    store.close()
    return {"a": a.id, "b": b.id}


def local_links(body: str) -> list[str]:
    """Every link of a page or Atom feed to this server, as sent (path?query#fragment)."""
    out = []
    for href in re.findall(r'href="([^"]*)"', body):
        url = html.unescape(href).removeprefix("http://testserver")
        if url.startswith("/") and not url.startswith("//"):
            out.append(url)
    return out


def crawl(client: TestClient, start: list[str]) -> dict[str, str]:
    """Follow every local link from `start` (GET only), asserting each answers 200 and
    each #fragment names an element of its page; the bodies by path and query."""
    bodies: dict[str, str] = {}
    anchors: list[tuple[str, str, str]] = []
    todo = list(start)
    while todo:
        url = todo.pop()
        target, _, fragment = url.partition("#")
        if fragment:
            anchors.append((url, target, fragment))
        if target in bodies:
            continue
        r = client.get(target)
        assert r.status_code == 200, f"{target}: {r.status_code}"
        bodies[target] = r.text
        if r.headers["content-type"].startswith(("text/html", "application/atom+xml")):
            todo += local_links(r.text)
        assert len(bodies) < 300
    for url, target, fragment in anchors:
        assert re.fullmatch(r"[\w.~%-]+", fragment, re.ASCII), url  # encoded
        assert f'id="{html.escape(unquote(fragment))}"' in bodies[target], url
    return bodies
