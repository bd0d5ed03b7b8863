"""Web pages over a hand-built store: content, links, escaping, headers, path checks."""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import pytest
from fastapi.testclient import TestClient

from newsloom.errors import NewsloomError
from newsloom.web.app import allowed_files, create_app

sys.path.insert(0, str(Path(__file__).parent))
import webdata


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[TestClient, dict[str, str]]:
    db = tmp_path_factory.mktemp("web") / "web.db"
    ids = webdata.fill(db)
    return TestClient(create_app(str(db))), ids


def test_stories_page_lists_stories_with_counts_and_places(site: tuple) -> None:
    client, _ = site
    r = client.get("/")
    assert r.status_code == 200
    assert "Floods in Porto Alegre" in r.text
    assert 'href="/stories/st-flood"' in r.text
    assert "2024-05-06" in r.text and "2024-05-07" in r.text
    assert re.search(r"<b>2</b> articles", r.text)
    assert "Porto Alegre</a>" in r.text  # place chip


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("place=Lyon", "Lyon protest", "Floods in Porto Alegre"),
        ("source=wire+daily", "Floods in Porto Alegre", "Lyon protest"),
        ("entity=Maria+Souza", "Floods in Porto Alegre", "Lyon protest"),
        ("from=2024-05-01", "Floods in Porto Alegre", "Lyon protest"),
        ("to=2024-04-30", "Lyon protest", "Floods in Porto Alegre"),
    ],
)
def test_story_filters(site: tuple, query: str, shown: str, hidden: str) -> None:
    client, _ = site
    html = client.get(f"/?{query}").text
    assert shown in html
    assert hidden not in html


def test_stylesheets_share_the_report_components(site: tuple) -> None:
    client, _ = site
    html = client.get("/").text
    for href in ("/briefing.css", "/static/style.css"):
        assert f'href="{href}"' in html
        r = client.get(href)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/css")
    assert "svg.map polygon" in client.get("/briefing.css").text  # the same rules as the report


def test_head_is_answered_like_get_without_a_body(site: tuple) -> None:
    """Uptime and link checkers send HEAD: the GET's status and headers, no body."""
    client, _ = site
    for path in ("/", "/stories/st-flood", "/api/stories", "/nope"):
        got, head = client.get(path), client.head(path)
        assert head.status_code == got.status_code and head.content == b""
        assert head.headers["content-type"] == got.headers["content-type"]
    assert client.head("/").headers["content-security-policy"]


def test_bad_date_filter_is_a_400_page(site: tuple) -> None:
    client, _ = site
    r = client.get("/?from=yesterday")
    assert r.status_code == 400
    assert "expected a date" in r.text


def test_story_page_has_facts_map_quotes_sources_and_citation_links(site: tuple) -> None:
    client, ids = site
    html = client.get("/stories/st-flood").text
    assert "confirmed by 2 independent sources: 2 files" in html  # on its summary line
    assert 'id="fact-f1"' in html  # the anchor feeds link to, once
    assert "Reported by one source" in html
    # one origin in two outlets: its badge does not say "one source" beside two names
    badge = re.search(r'id="fact-f4">\s*<span class="badge b-single"[^>]*>([^<]+)<', html)
    assert badge and badge.group(1) == "not independent"
    assert "Disputed" in html and "about 10,000" in html
    assert f'href="/articles/{ids["a"]}#s0"' in html
    assert f'href="/articles/{ids["b"]}#s0"' in html
    assert '<svg class="map"' in html and "<circle" in html
    assert html.count("<polygon") > 3  # Brazil and its neighbours from countries.geojson
    assert "We lost everything in one night" in html
    assert "rewrite copy" in html  # derivation tree
    assert "Sources compared" in html


def test_every_fact_keeps_its_anchor(tmp_path: Path) -> None:
    """Feeds, alerts and search link to `#fact-<id>`: a fact of a summary line's wording, two
    facts of one wording below it and a figure that changed each keep an anchor, once."""
    from newsloom.models import Citation, Fact
    from newsloom.store import Store

    db = tmp_path / "web.db"
    webdata.fill(db)
    store = Store(db)
    facts = store.get_facts("st-flood")
    f1 = facts[0]
    cite = Citation(f1.citations[0].article_id, 2, "Folha", "The Guaiba river rose.")
    facts += [
        Fact("f1b", f1.text, "corroborated", ["Folha", "Agencia"], 2, [cite], origin="police"),
        Fact("f4", "Rescue boats reached the north.", "corroborated", ["A", "B"], 2, [cite]),
        Fact("f5", "Rescue boats reached the north!", "corroborated", ["C", "D"], 2, [cite]),
        Fact("f5b", "Rescue boats reached the north!", "corroborated", ["C", "D"], 2, [cite]),
        Fact("f6", "The river rose to 5.3 metres.", "update", ["Folha"], 1, [cite],
             updates=[{"value": "5.3", "time": "2024-05-06", "sources": ["Folha"],
                       "citations": [cite.to_dict()]}]),
    ]  # fmt: skip
    store.save_facts("st-flood", facts, n_independent=1)
    store.close()
    html = TestClient(create_app(str(db))).get("/stories/st-flood").text
    for f in facts:
        assert html.count(f'id="fact-{f.id}"') == 1, f.id
    assert "attributed to police" in html and "sources: C, D" in html  # both verdicts shown
    assert html.count("Rescue boats reached the north") == 1  # one line, every fact's anchor
    assert html.count("sources: C, D") == 1  # f5b is f5's twin: its anchor says nothing new
    assert "Figures that changed" in html


def test_article_page_anchors_and_highlights(site: tuple) -> None:
    client, ids = site
    html = client.get(f"/articles/{ids['a']}").text
    for n in range(3):
        assert f'id="s{n}"' in html
    assert 'class="ent ent-gpe place"' in html
    assert '<span class="time" title="2024-05-06">Monday</span>' in html
    assert 'class="quote"' in html
    assert 'href="https://folha.example/floods"' in html
    assert 'href="/stories/st-flood"' in html


def test_hostile_article_is_escaped_and_links_dropped(site: tuple) -> None:
    client, ids = site
    for url in (f"/articles/{ids['evil']}", "/stories/st-lyon", "/", "/search?q=Lyon"):
        html = client.get(url).text
        assert "<script>" not in html, url
        assert "<img src=x" not in html, url
        assert 'href="javascript:' not in html, url
        assert "<b>Times</b>" not in html, url
    html = client.get(f"/articles/{ids['b']}").text
    assert 'href="javascript:' not in html


def test_security_headers_on_pages_and_api(site: tuple) -> None:
    client, ids = site
    for url in ("/", f"/articles/{ids['a']}", "/api/stories", "/nowhere", "/static/style.css"):
        r = client.get(url)
        csp = r.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src" not in csp
        assert "frame-ancestors 'none'" in csp
        assert r.headers["x-content-type-options"] == "nosniff"


def test_search_groups_hits_by_story(site: tuple) -> None:
    client, _ = site
    html = client.get("/search?q=Porto+Alegre").text
    assert 'href="/stories/st-flood"' in html
    assert "<mark>" in html
    assert "Nothing found" in client.get("/search?q=zzzqqq").text
    assert client.get('/search?q="unbalanced AND (').status_code == 200  # no FTS syntax errors


def test_unknown_ids_are_404_pages(site: tuple) -> None:
    client, _ = site
    assert client.get("/stories/nope").status_code == 404
    r = client.get("/articles/nope")
    assert r.status_code == 404 and "no article" in r.text
    r = client.get("/no/such/page")  # no route at all: a page too, not raw JSON
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    r = client.get("/api/no/such/route")
    assert r.status_code == 404 and r.json() == {"detail": "Not Found"}


def test_ingest_form_and_refusals(site: tuple) -> None:
    client, _ = site
    assert 'enctype="multipart/form-data"' in client.get("/ingest").text
    assert "folder on the server" not in client.get("/ingest").text
    r = client.post("/ingest", data={"folder": "/etc"})
    assert r.status_code == 400 and "--allow-dir" in r.text
    r = client.post("/ingest", files={"files": ("a.txt", b"x")}, headers={"Origin": "http://evil"})
    assert r.status_code == 403
    big = {"content-length": str(30_000_000)}
    assert client.post("/ingest", content=b"", headers=big).status_code == 413


# -- ids that hold "/", "?", "#", "%", spaces and other letters ------------------------


def test_odd_ids_every_page_feed_and_link_resolves(odd: TestClient) -> None:
    bodies = webdata.crawl(odd, ["/", "/search?q=Porto+Alegre"])
    q = {x: quote(x, safe="") for x in webdata.ODD_STORY_IDS + webdata.ODD_ARTICLE_IDS}
    line = quote(webdata.ODD_STORYLINE_ID, safe="")
    reached = set(bodies)
    for sid in webdata.ODD_STORY_IDS:
        assert f"/stories/{q[sid]}" in reached  # linked from the index and the search page
        assert f"/api/stories/{q[sid]}" in reached and f"/feeds/stories/{q[sid]}.atom" in reached
        for fmt in ("csv", "geojson", "jsonl"):
            assert f"/api/stories/{q[sid]}/export?format={fmt}" in reached
    for aid in webdata.ODD_ARTICLE_IDS:
        assert f"/articles/{q[aid]}" in reached and f"/api/articles/{q[aid]}" in reached
    for path in ("/storylines/{}", "/api/storylines/{}", "/feeds/storylines/{}.atom"):
        assert path.format(line) in reached
    # each page is its own object's, not another's that shares a prefix
    export_id = webdata.ODD_STORY_IDS[1]  # "…/export": the story, not an export
    assert odd.get(f"/api/stories/{q[export_id]}").json()["id"] == export_id
    assert odd.get(f"/api/articles/{q[webdata.ODD_ARTICLE_IDS[1]]}").json()["story_id"] == export_id
    page = bodies[f"/articles/{q[webdata.ODD_ARTICLE_IDS[0]]}"]
    assert f'href="/stories/{html.escape(q[webdata.ODD_STORY_IDS[0]])}"' in page


def test_odd_ids_links_are_encoded_and_escaped(odd: TestClient) -> None:
    bodies = webdata.crawl(odd, ["/", "/search?q=Porto"])
    shown = [page for page, body in bodies.items() if "&#34;&#39;&lt;odd&gt;&amp;amp;" in body]
    assert "/search?q=Porto" in shown  # the untitled article, named by its id, as text
    for page, body in bodies.items():
        if not page.startswith(("/api/", "/feeds/")):
            assert "<odd>" not in body
        for url in webdata.local_links(body):
            path = urlsplit(url).path
            assert "?" not in path and " " not in path and "#" not in path
            assert all(part.isascii() for part in url)
    sid = webdata.ODD_STORY_IDS[0]
    assert f'href="/stories/{sid}"' not in odd.get("/").text  # the raw id never is a link


def test_odd_ids_also_reached_with_plain_slashes(odd: TestClient) -> None:
    """A hand-typed path need not encode "/" (only an id ending in "/export" must, for
    the API: a literal /export asks for the export)."""
    sid = webdata.ODD_STORY_IDS[0]
    path = quote(sid, safe="/")
    assert "/" in path
    assert odd.get(f"/stories/{path}").status_code == 200
    assert odd.get(f"/api/stories/{path}").json()["id"] == sid
    assert odd.get(f"/api/stories/{path}/export?format=csv").status_code == 200
    assert odd.get("/api/stories/sw%2F1%3Fq%23z/export?format=csv").status_code == 404


def test_login_returns_to_the_odd_id_page(tmp_path: Path) -> None:
    webdata.fill_odd(tmp_path / "t.db")
    token = "a-long-enough-test-token"
    client = TestClient(create_app(str(tmp_path / "t.db"), token=token))
    path = "/stories/" + quote(webdata.ODD_STORY_IDS[0], safe="")
    r = client.get(path, follow_redirects=False)
    assert r.status_code == 303
    target = dict(p.split("=", 1) for p in urlsplit(r.headers["location"]).query.split("&"))["next"]
    assert unquote(target) == path
    form = {"token": token, "next": unquote(target)}
    r = client.post("/login", data=form, follow_redirects=False)
    assert r.headers["location"] == path
    assert client.get(path).status_code == 200


def test_allowed_files_checks_containment_and_symlinks(tmp_path: Path) -> None:
    allowed = tmp_path / "allowed"
    (allowed / "sub").mkdir(parents=True)
    (allowed / "sub" / "a.txt").write_text("report")
    (allowed / ".hidden.txt").write_text("no")
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    (allowed / "link.txt").symlink_to(secret)
    (allowed / "escape").symlink_to(tmp_path)
    roots = [allowed.resolve()]
    files = allowed_files(str(allowed), roots)
    assert files == {str((allowed / "sub" / "a.txt").resolve()): "allowed/sub/a.txt"}
    for bad in (str(tmp_path), str(allowed / "escape"), str(allowed / ".." / "secret.txt"), "/"):
        with pytest.raises(NewsloomError, match="outside"):
            allowed_files(bad, roots)
    with pytest.raises(NewsloomError, match="no such"):
        allowed_files(str(allowed / "missing"), roots)


@pytest.mark.slow
def test_upload_form_reports_per_file_errors_and_stories(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    pytest.importorskip(
        "newsloom.pipeline", reason="pipeline modules not all in yet", exc_type=ImportError
    )
    client = TestClient(
        create_app(str(tmp_path / "u.db"), resources=request.getfixturevalue("resources"))
    )
    good = (
        " date 2024-02-02 Storm cuts power in Halifax\n\nA winter storm cut power to 80,000 "
        "homes in Halifax on Friday, Nova Scotia Power said. Crews expected to restore most "
        "customers by Sunday.\n"
    )
    r = client.post(
        "/ingest",
        files=[
            ("files", ("halifax storm.txt", good.encode(), "text/plain")),
            ("files", ("empty.txt", b"", "text/plain")),
            (
                "files",
                ("photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(200), "image/jpeg"),
            ),
        ],
    )
    assert r.status_code == 200
    html = r.text
    assert "<b>1</b> new" in html
    assert "<code>empty.txt</code>" in html and "<code>photo.jpg</code>" in html
    assert "newsloom-upload-" not in html  # no server temp paths leak
    story = re.search(r'href="/stories/([^"]+)">Storm cuts power in Halifax', html)
    assert story is not None
    article = client.get(f"/api/stories/{story.group(1)}").json()["articles"][0]
    assert article["source"] == "halifax_storm"
