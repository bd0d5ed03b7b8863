"""Property tests (Hypothesis) for every reader, and schemathesis against the live API.

Properties: no exception other than an `InputError` (yielded, never raised) comes out of
a reader, whatever the bytes; and good articles mixed with bad input are never lost. The
API runs on a real server over a temp database and must never answer 5xx.

`make test` runs a short slice (the "quick" profile); `make fuzz` runs the "fuzz"
profile (HYPOTHESIS_PROFILE=fuzz, over 10,000 generated cases) and prints the counts.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable

from newsloom.errors import InputError
from newsloom.ingest import html_to_text, read_inputs
from newsloom.models import Article
from newsloom.pipeline import run
from newsloom.store import Store
from newsloom.web.app import create_app

if TYPE_CHECKING:
    from newsloom.pipeline import Resources

FUZZ = os.environ.get("HYPOTHESIS_PROFILE") == "fuzz"
CASES: Counter[str] = Counter()  # generated cases run, per property


def budget(quick: int, fuzz: int) -> Any:
    """Examples per property: a slice in `make test`, the full run in `make fuzz`."""
    return settings(
        max_examples=fuzz if FUZZ else quick,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


@pytest.fixture(scope="module", autouse=True)
def report_counts() -> Iterator[None]:
    """Save how many cases each property ran (to NEWSLOOM_FUZZ_REPORT, for `make fuzz`)."""
    yield
    if os.environ.get("NEWSLOOM_FUZZ_REPORT"):
        Path(os.environ["NEWSLOOM_FUZZ_REPORT"]).write_text(json.dumps(dict(CASES), indent=1))


VOCABULARY = (
    "the council approved a budget for new homes on monday after rain flooded the valley"
    " officials said police rescued families while ministers met in the capital to discuss"
    " aid and thousands of residents waited for power to return across the region today"
)
WORDS = tuple(VOCABULARY.split())
article_text = st.lists(st.sampled_from(WORDS), min_size=20, max_size=80).map(
    lambda ws: " ".join(ws).capitalize() + "."
)
any_text = st.text(max_size=600)
date_line = st.builds(
    lambda y, m, d, title: f" date {y:04d}-{m:02d}-{d:02d} {title}\n",
    st.integers(1900, 2100),
    st.integers(1, 12),
    st.integers(1, 28),
    st.text(st.characters(blacklist_characters="\n\r", blacklist_categories=("Cs",)), max_size=80),
)


def visible(text: str) -> str:
    """`text` as readers keep it: control characters (never text) are dropped."""
    return re.sub("[\x00-\x08\x0b\x0e-\x1f\x7f]", "", text)


def items_of(path: Path) -> list[Article | InputError]:
    """Read `path`; only Articles and InputErrors may come out (any exception fails)."""
    out = list(read_inputs([str(path)]))
    assert out, "every input gives at least one item (an article or an error)"
    assert all(isinstance(i, Article | InputError) for i in out)
    for item in out:
        if isinstance(item, InputError):
            assert item.where.startswith(str(path))  # every error names its input
    return out


def write(tmp: Path, name: str, data: bytes) -> Path:
    path = tmp / name
    path.write_bytes(data)
    return path


# --- plain text ------------------------------------------------------------------------


@budget(25, 2000)
@given(head=st.one_of(st.just(""), date_line), body=any_text)
def test_plain_text_any_content(
    tmp_path_factory: pytest.TempPathFactory, head: str, body: str
) -> None:
    CASES["plain text"] += 1
    data = (head + body).encode("utf-8", "surrogatepass")
    items_of(write(tmp_path_factory.mktemp("t"), "a.txt", data))


@budget(25, 2000)
@given(head=st.one_of(st.just(""), date_line), body=article_text)
def test_plain_text_article_is_kept_whole(
    tmp_path_factory: pytest.TempPathFactory, head: str, body: str
) -> None:
    CASES["plain text (good)"] += 1
    (art,) = items_of(write(tmp_path_factory.mktemp("t"), "a.txt", (head + body).encode()))
    assert isinstance(art, Article) and art.text == body
    if head:
        assert art.published == head.split()[1]


# --- HTML ------------------------------------------------------------------------------

TAGS = ["p", "div", "script", "style", "figcaption", "figure", "br", "b", "a", "li", "table"]
html_token = st.one_of(
    st.sampled_from(TAGS).map(lambda t: f"<{t}>"),
    st.sampled_from(TAGS).map(lambda t: f"</{t}>"),
    st.sampled_from(["<", ">", "&", "&amp;", "&#x0;", "&nosuch;", "<!--", "-->", "<![CDATA["]),
    st.sampled_from(['<a href="javascript:x">', "<p class='x", "<?xml encoding='x'?>"]),
    st.text(max_size=30),
)
html_soup = st.lists(html_token, max_size=80).map("".join)


@budget(50, 3000)
@given(soup=html_soup)
def test_html_to_text_on_tag_soup(soup: str) -> None:
    CASES["html fragment"] += 1
    text = html_to_text(soup)
    assert isinstance(text, str) and "<script>" not in text.lower()


@budget(10, 500)
@given(soup=html_soup, body=article_text)
def test_html_page_with_junk(
    tmp_path_factory: pytest.TempPathFactory, soup: str, body: str
) -> None:
    CASES["html page"] += 1
    page = f"<html><body><article><p>{body}</p><p>{body}</p></article>{soup}</body></html>"
    items_of(write(tmp_path_factory.mktemp("h"), "page.html", page.encode("utf-8", "replace")))


# --- JSONL / JSON ----------------------------------------------------------------------

good_record = st.fixed_dictionaries(
    {"text": article_text},
    optional={
        "title": st.text(max_size=40),
        "date": st.sampled_from(["2024-01-02", "", "2024-06", "2024-01-02T10:00:00Z"]),
        "source": st.text(max_size=20),
        "extra": st.recursive(st.integers() | st.text(max_size=5), st.lists, max_leaves=5),
    },
)
bad_line = st.one_of(
    st.text(st.characters(blacklist_characters="\n"), max_size=60).filter(str.strip),
    st.sampled_from(["[]", "123", "null", '"text"', "{}", '{"text": ""}', '{"text": 5}']),
    st.sampled_from(['{"html": "<p>x</p>"}', '{"text": "\\ud800"', '{"id": 1}']),
    st.sampled_from(["not a date", "2024-13-45", "2024-02-30"]).map(
        lambda d: json.dumps({"text": "A storm cut power to many homes.", "date": d})
    ),
    st.integers(65, 3_000).map(lambda n: '{"text": ' + "[" * n + "]" * n + "}"),
)


def _line(record: Any, raw: bool) -> str:
    """A JSONL line; `raw` keeps non-ASCII unescaped (U+2028 and U+0085 included)."""
    return record if isinstance(record, str) else json.dumps(record, ensure_ascii=not raw)


@budget(40, 2000)
@given(
    lines=st.lists(st.one_of(good_record, bad_line), min_size=1, max_size=12),
    raw=st.booleans(),
    odd_text=st.text(max_size=20),
)
def test_jsonl_good_records_are_never_lost(
    tmp_path_factory: pytest.TempPathFactory, lines: list[Any], raw: bool, odd_text: str
) -> None:
    CASES["jsonl"] += 1
    for record in lines:  # any characters at all inside a good record's text
        if isinstance(record, dict):
            record["text"] += " " + odd_text
    data = "\n".join(_line(r, raw) for r in lines).encode("utf-8", "surrogatepass")
    items = items_of(write(tmp_path_factory.mktemp("j"), "a.jsonl", data))
    kept = iter([i.text for i in items if isinstance(i, Article)])
    for record in lines:
        if isinstance(record, dict):  # every good record, in order, never lost
            assert any(text == visible(record["text"]) for text in kept), (record, items)


@budget(20, 1000)
@given(records=st.lists(st.one_of(good_record, st.integers(), st.text(max_size=10)), max_size=8))
def test_json_array(tmp_path_factory: pytest.TempPathFactory, records: list[Any]) -> None:
    CASES["json array"] += 1
    path = write(tmp_path_factory.mktemp("j"), "a.json", json.dumps(records).encode())
    kept = [i.text for i in items_of(path) if isinstance(i, Article)]
    assert kept == [r["text"] for r in records if isinstance(r, dict)]


# --- RSS / Atom ------------------------------------------------------------------------

feed_item = st.one_of(
    article_text.map(
        lambda t: ("good", f"<item><title>T</title><description>{t}</description></item>")
    ),
    st.sampled_from(["<item></item>", "<item><title>only</title></item>", "<junk/>"]).map(
        lambda x: ("bad", x)
    ),
    html_soup.map(
        lambda s: (
            "soup",
            "<item><description><![CDATA[" + s.replace("]]>", "") + "]]></description></item>",
        )
    ),
)


@budget(30, 1500)
@given(
    items=st.lists(feed_item, max_size=8),
    atom=st.booleans(),
    cut=st.none() | st.integers(0, 400),
)
def test_feed_items(
    tmp_path_factory: pytest.TempPathFactory,
    items: list[tuple[str, str]],
    atom: bool,
    cut: int | None,
) -> None:
    CASES["rss/atom"] += 1
    body = "".join(x for _, x in items)
    if atom:
        body = body.replace("<item>", "<entry>").replace("</item>", "</entry>")
        body = body.replace("description>", "summary>")
        root = '<feed xmlns="http://www.w3.org/2005/Atom"><title>F</title>{}</feed>'
    else:
        root = '<rss version="2.0"><channel><title>F</title>{}</channel></rss>'
    doc = '<?xml version="1.0"?>' + root.format(body)
    data = doc.encode()[:cut] if cut is not None else doc.encode()
    out = items_of(write(tmp_path_factory.mktemp("f"), "feed.xml", data))
    if cut is None and all(kind != "soup" for kind, _ in items):
        n_good = sum(kind == "good" for kind, _ in items)
        assert sum(isinstance(i, Article) for i in out) == n_good


# --- WARC and gzip ---------------------------------------------------------------------


def _page(words: str) -> bytes:
    return (
        f"<html><head><title>Report</title></head><body><article><h1>Report</h1><p>{words}</p>"
        f"<p>{words}</p></article></body></html>"
    ).encode()


warc_record = st.one_of(
    article_text.map(lambda t: ("text/html", _page(t))),
    st.tuples(st.sampled_from(["text/html", "image/png", "text/plain"]), st.binary(max_size=300)),
)


@budget(10, 500)
@given(
    records=st.lists(warc_record, max_size=5),
    gz=st.booleans(),
    damage=st.none() | st.tuples(st.integers(0, 5000), st.binary(min_size=1, max_size=20)),
)
def test_warc_records(
    tmp_path_factory: pytest.TempPathFactory,
    records: list[tuple[str, bytes]],
    gz: bool,
    damage: tuple[int, bytes] | None,
) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    CASES["warc"] += 1
    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=gz)
    for n, (ctype, body) in enumerate(records):
        headers = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.1")
        record = writer.create_warc_record(
            f"https://x.example/{n}", "response", payload=io.BytesIO(body), http_headers=headers
        )
        writer.write_record(record)
    data = buf.getvalue()
    if damage is not None:
        at, junk = damage
        data = data[:at] + junk + data[at + len(junk) :]
    items_of(write(tmp_path_factory.mktemp("w"), "a.warc.gz" if gz else "a.warc", data))


@budget(30, 1500)
@given(
    content=st.binary(max_size=400) | article_text.map(str.encode),
    cut=st.none() | st.integers(0, 100),
    name=st.sampled_from(["a.txt.gz", "a.jsonl.gz", "a.gz", "a.html.gz", "a.warc.gz"]),
)
def test_gzip(
    tmp_path_factory: pytest.TempPathFactory, content: bytes, cut: int | None, name: str
) -> None:
    CASES["gzip"] += 1
    data = gzip.compress(content)
    items_of(write(tmp_path_factory.mktemp("g"), name, data[:cut] if cut is not None else data))


@budget(40, 2000)
@given(
    data=st.binary(max_size=600),
    name=st.sampled_from(["a", "a.txt", "a.html", "a.jsonl", "a.json", "a.xml", "a.rss", "a.warc"]),
)
def test_any_bytes(tmp_path_factory: pytest.TempPathFactory, data: bytes, name: str) -> None:
    CASES["any bytes"] += 1
    items_of(write(tmp_path_factory.mktemp("b"), name, data))


# --- end to end: good files mixed with bad ones, through the pipeline --------------------

bad_file = st.one_of(
    st.binary(max_size=200).map(lambda b: ("bad.bin", b"\x00" + b)),
    st.just(("empty.txt", b"")),
    st.integers(100, 5_000).map(
        lambda n: ("deep.jsonl", ('{"text": ' + "[" * n + "]" * n + "}").encode())
    ),
    st.just(("broken.gz", b"\x1f\x8b\x08\x00garbage")),
    st.just(("nav.html", b"<html><body><nav>Home</nav></body></html>")),
)


@budget(3, 60)
@given(
    goods=st.lists(article_text, min_size=1, max_size=3, unique=True),
    bads=st.lists(bad_file, max_size=3),
)
def test_pipeline_keeps_every_good_file(
    tmp_path_factory: pytest.TempPathFactory,
    resources: Resources,
    goods: list[str],
    bads: list[tuple[str, bytes]],
) -> None:
    CASES["pipeline mix"] += 1
    folder = tmp_path_factory.mktemp("mix")
    for n, text in enumerate(goods):
        (folder / f"good{n}.txt").write_text(f"Report {n}. {text}")
    for n, (name, data) in enumerate(bads):
        (folder / f"{n}_{name}").write_bytes(data)
    store = Store(tmp_path_factory.mktemp("db") / "db.sqlite")
    report = run([str(folder)], store, resources, on_error=False)
    assert report.new == len(goods) and len(report.errors) == len(bads)
    stored = {store.get_article(aid).text for aid in report.article_ids}
    assert stored == {f"Report {n}. {text}" for n, text in enumerate(goods)}


# --- the web app: pages with odd parameters, and the API by schemathesis -------------------

odd = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["99999999999999999999", "-1", "\x00", "%00", "1e9", "", " ", "NEAR(", '"']),
)


@pytest.fixture(scope="module")
def pages_client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    return TestClient(
        create_app(str(tmp_path_factory.mktemp("p") / "p.db")), raise_server_exceptions=False
    )


@budget(40, 1000)
@given(
    path=st.sampled_from(["/", "/search", "/stories/{v}", "/articles/{v}", "/ingest", "/login"]),
    name=st.sampled_from(
        ["offset", "q", "order", "from", "to", "place", "source", "entity", "next"]
    ),
    value=odd,
)
def test_pages_never_500(pages_client: TestClient, path: str, name: str, value: str) -> None:
    CASES["web pages"] += 1
    response = pages_client.get(path.replace("{v}", "x"), params={name: value})
    assert response.status_code < 500, (path, name, value)


@pytest.fixture(scope="module")
def live_api(tmp_path_factory: pytest.TempPathFactory, resources: Resources) -> Iterator[str]:
    """The real app on a real server (localhost, a free port) over a temp database."""
    import uvicorn

    folder = tmp_path_factory.mktemp("api")
    (folder / "in.jsonl").write_text(
        "\n".join(json.dumps({"id": f"seed{n}", "text": t}) for n, t in enumerate(SEEDS))
    )
    run([str(folder / "in.jsonl")], Store(folder / "api.db"), resources, on_error=False)
    app = create_app(str(folder / "api.db"), resources=resources)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


SEEDS = [
    "Floodwaters swept through Porto Alegre on Monday, forcing 12,000 residents from their"
    " homes, the state civil defence agency said. The Guaiba river rose to a record level.",
    "The Guaiba river in Porto Alegre reached a record 5.3 metres on Monday and 12,000 people"
    " left their homes, officials said, as rescue boats moved through flooded streets.",
]


def test_api_has_no_server_errors(live_api: str) -> None:
    import schemathesis
    from schemathesis.generation import GenerationMode

    schema = schemathesis.openapi.from_url(f"{live_api}/openapi.json")
    for result in schema.get_all_operations():
        _no_server_error(result.ok(), GenerationMode.POSITIVE, live_api)()
        with contextlib.suppress(Unsatisfiable):  # a free-text path id: nothing to negate
            _no_server_error(result.ok(), GenerationMode.NEGATIVE, live_api)()


def _no_server_error(operation: Any, mode: Any, base_url: str) -> Any:
    """A property over one operation's generated requests: the answer is never 5xx."""
    label = f"api {operation.method.upper()} {operation.path}"

    @budget(6, 150)
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case: Any) -> None:
        CASES[label] += 1
        response = case.call(base_url=base_url, timeout=60)
        assert response.status_code < 500, case.as_curl_command()

    return check
