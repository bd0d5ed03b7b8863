"""Regression tests for issue #12 (hostile inputs, exposure, wrong eval data) and #10.5.

Each test failed before its fix. Inputs that used to hang are run in a child process with
a generous time limit, so a regression fails the test instead of freezing the suite.
"""

from __future__ import annotations

import gzip
import io
import json
import logging
import os
import subprocess
import sys
import textwrap
import tracemalloc
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from newsloom import ingest, limits, watch
from newsloom.cli import cli
from newsloom.errors import ConfigError, InputError
from newsloom.ingest import read_inputs
from newsloom.models import Article
from newsloom.pipeline import run
from newsloom.store import Store
from newsloom.web import app as webapp
from newsloom.web.app import create_app

if TYPE_CHECKING:
    from newsloom.pipeline import Resources

DATA = Path(__file__).parent / "data"
GOOD = (
    "Firefighters contained a large blaze at a timber yard in the port of Gdansk on Sunday,"
    " the city's fire service said, after a night in which flames rose thirty metres high.\n\n"
    "No one was hurt, but about 200 residents of nearby streets spent the night in a school"
    " gym, a spokesman for the city said on Sunday morning."
)
OTHER = (
    "Heavy snow closed the main motorway between Innsbruck and the Brenner Pass on Tuesday,"
    " the Austrian road operator Asfinag said, stranding hundreds of lorries overnight.\n\n"
    "Snowploughs were clearing the road and it should reopen by the evening, a spokeswoman"
    " for the operator told the regional broadcaster."
)
TOKEN = "s3cret-token-for-tests-0123456789"


def finishes(code: str, seconds: float = 60) -> None:
    """Run `code` in a fresh interpreter; fail if it does not finish within `seconds`.

    A backtracking regex holds the GIL and ignores signals, so only a child process can
    be stopped: a regression fails here instead of hanging the suite."""
    try:
        subprocess.run(
            [sys.executable, "-c", textwrap.dedent(code)],
            check=True,
            timeout=seconds,
            capture_output=True,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"did not finish in {seconds} s (quadratic or worse again?)")


def read(*paths: Path | str) -> list[Article | InputError]:
    return list(read_inputs([str(p) for p in paths]))


# --- #12.2: markup parsed by a parser, linear on any input ------------------------------


def test_issue12_html_to_text_is_linear_on_unclosed_tags() -> None:
    # 64 KB took 2.7-8.7 s with the old regexes; 1 MB never finished
    finishes(
        """
        from newsloom.ingest import html_to_text
        for junk in ("<script>", "<", "<p ", "<figcaption>"):
            html_to_text("<p>Body</p>" + junk * (1_000_000 // len(junk)))
        """
    )


def test_issue12_figcaptions_of_a_page_with_unclosed_tags(tmp_path: Path) -> None:
    page = (DATA / "ingest" / "harbour.html").read_text()
    bad = page.replace("</body>", "<figcaption>" * 80_000 + "</body>")
    (tmp_path / "bad.html").write_text(bad)
    finishes(f"from newsloom.ingest import read_inputs; list(read_inputs([{str(tmp_path)!r}]))")
    art = ingest.extract_html(page.replace("<figcaption>", "<figcaption> <b>Caption:</b> "))
    assert any(c.startswith("Caption: ") for c in art.captions)


def test_issue12_rss_with_a_1mb_body(tmp_path: Path) -> None:
    body = "<p>Flood waters rose in the town overnight, officials said.</p>" + "<script>" * 125_000
    feed = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><item>'
        f"<title>Flood</title><description><![CDATA[{body}]]></description></item>"
        "</channel></rss>"
    )
    path = tmp_path / "big.rss"
    path.write_text(feed)
    finishes(f"from newsloom.ingest import read_inputs; list(read_inputs([{str(path)!r}]))")
    (art,) = read(path)
    assert isinstance(art, Article) and art.text.startswith("Flood waters rose")


def test_issue12_feed_sniffing_is_linear() -> None:
    # the old sniffing regex backtracked exponentially over many comments before the root
    finishes(
        """
        from newsloom.ingest import _is_feed
        assert not _is_feed("<!---->" * 290 + "<x>")
        assert _is_feed('<?xml version="1.0"?><!-- c --> <rss version="2.0">')
        """,
        seconds=20,
    )


def test_issue12_sentence_and_byline_regexes_are_linear() -> None:
    # "By " + 100 capitals took 30 s (nested quantifiers); 40,000 dots took 87 s
    finishes(
        """
        from newsloom.clean import clean_text, split_sentences
        clean_text("By " + "A" * 100_000 + "!")
        split_sentences("Word " + "." * 1_000_000 + "x")
        split_sentences("Word " + "!?" * 500_000 + "x")
        """
    )


def test_issue12_parser_never_gets_a_long_run() -> None:
    text = "Start " + "(" * 5_000 + " end."
    safe = limits.parse_safe(text)
    assert len(safe) == len(text)  # offsets into the article still hold
    assert max(len(w) for w in safe.split()) <= limits.MAX_RUN_CHARS


def test_issue12_extract_batch_parses_the_safe_text() -> None:
    from newsloom.extract import extract_batch

    seen: list[str] = []

    class Recorder:  # only what reaches the parser matters: record it, parse nothing
        def pipe(self, texts: Any, **_: Any) -> list[Any]:
            seen.extend(texts)
            return []

    art = Article(id="x", text="Start " + "(" * 5_000 + " end.")
    with pytest.raises(ValueError):  # no docs for the article: zip(strict=True) refuses
        extract_batch([art], Recorder(), None)  # type: ignore[arg-type]
    assert seen and max(len(w) for w in seen[0].split()) <= limits.MAX_RUN_CHARS


def test_issue12_many_element_page_skips_quadratic_fallbacks() -> None:
    # 8,000 small blocks took 52 s in justext's neighbour search
    finishes(
        """
        from pathlib import Path
        from newsloom.ingest import extract_html
        page = Path("tests/data/ingest/harbour.html").read_text()
        extract_html(page.replace("</body>", "<div><span>x</span></div>" * 20_000 + "</body>"))
        """,
        seconds=90,
    )


def test_issue12_html_pages_are_capped_in_size_and_elements() -> None:
    with pytest.raises(InputError, match="elements"):
        ingest.extract_html("<p>x</p>" * (limits.MAX_HTML_ELEMENTS + 10))
    with pytest.raises(InputError, match="larger than"):
        ingest.extract_html("<p>" + "x" * limits.MAX_HTML_BYTES + "</p>")


# --- #12.3: long texts are cut, never crash a batch -------------------------------------


def test_issue12_long_text_is_cut_at_a_paragraph_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    para = "A sentence of the long report about the flood. " * 20
    path = tmp_path / "long.txt"
    path.write_text("\n\n".join([para] * 1_200))  # about 1.1 million characters
    with caplog.at_level(logging.WARNING, logger="newsloom.ingest"):
        (art,) = read(path)
    assert isinstance(art, Article)
    assert len(art.text) <= limits.MAX_ARTICLE_CHARS < 1_000_000  # spaCy's own limit
    assert art.text.endswith(para.strip())  # cut at a paragraph end
    assert art.meta["text_cut_from_chars"] == len(path.read_text())
    assert str(path) in caplog.text and "cut" in caplog.text


def test_issue12_long_text_keeps_the_rest_of_the_batch(
    tmp_path: Path, resources: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest, "MAX_ARTICLE_CHARS", 3_000, raising=False)  # at test speed
    (tmp_path / "a_long.txt").write_text(("Word " * 100 + "\n\n") * 2_200)  # 1.1 M chars
    (tmp_path / "b_good.txt").write_text(GOOD)
    store = Store(tmp_path / "db.sqlite")
    report = run([str(tmp_path / "a_long.txt"), str(tmp_path / "b_good.txt")], store, resources)
    assert report.new == 2 and not report.errors
    client = TestClient(create_app(str(tmp_path / "web.db"), resources=resources))
    response = client.post(
        "/api/ingest",
        content=("Word " * 100 + "\n\n").encode() * 2_200,
        headers={"content-type": "text/plain"},
    )
    assert response.status_code == 200 and response.json()["new"] == 1


# --- #12.4: WARC bombs -----------------------------------------------------------------


def _warc(path: Path, records: list[tuple[str, bytes]]) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for uri, body in records:
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], "HTTP/1.1")
            record = writer.create_warc_record(
                uri, "response", payload=io.BytesIO(body), http_headers=headers
            )
            writer.write_record(record)


def test_issue12_warc_bomb_is_capped_and_keeps_earlier_records(tmp_path: Path) -> None:
    page = (DATA / "ingest" / "harbour.html").read_bytes()
    path = tmp_path / "bomb.warc.gz"
    _warc(
        path,
        [
            ("https://a.example/first", page),
            ("https://a.example/big", b"\0" * (limits.MAX_HTML_BYTES + 10)),
            ("https://a.example/bomb", b"\0" * 120_000_000),  # 120 MB from ~120 KB
        ],
    )
    assert path.stat().st_size < 1_000_000
    tracemalloc.start()
    items = read(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 80_000_000  # was the whole decompressed record: 120 MB and more
    first, big, bomb, rest = items
    assert isinstance(first, Article) and first.url == "https://a.example/first"
    assert isinstance(big, InputError) and big.where.endswith("#https://a.example/big")
    assert "HTML record larger than" in big.problem
    assert isinstance(bomb, InputError) and bomb.where.endswith("#https://a.example/bomb")
    assert isinstance(rest, InputError) and rest.where == str(path)
    assert "records after this point are not read" in rest.problem


def test_issue12_warc_bomb_upload_keeps_the_good_file(tmp_path: Path, resources: Resources) -> None:
    bomb = tmp_path / "bomb.warc.gz"
    _warc(bomb, [("https://a.example/bomb", b"\0" * 60_000_000)])
    client = TestClient(create_app(str(tmp_path / "u.db"), resources=resources))
    files = [
        ("files", ("bomb.warc.gz", bomb.read_bytes(), "application/gzip")),
        ("files", ("good.txt", GOOD.encode(), "text/plain")),
    ]
    response = client.post("/ingest", files=files)
    assert response.status_code == 200
    assert "bomb.warc.gz" in response.text and "larger than" in response.text
    assert Store(tmp_path / "u.db").count_articles() == 1


# --- #12.5: deep JSON ------------------------------------------------------------------


def _deep(levels: int) -> str:
    return '{"text": ' + "[" * levels + "]" * levels + "}"


def test_issue12_deep_jsonl_line_is_one_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.jsonl"
    moderately = '{"text": ' + json.dumps(GOOD) + ', "extra": ' + "[" * 500 + "]" * 500 + "}"
    path.write_text("\n".join([_deep(100_000), moderately, json.dumps({"text": GOOD})]) + "\n")
    deep, moderate, good = read(path)
    assert isinstance(deep, InputError) and deep.where == f"{path}:1" and "nested" in deep.problem
    assert isinstance(moderate, InputError) and moderate.where == f"{path}:2"
    assert isinstance(good, Article)


def test_issue12_deep_json_file_and_api(tmp_path: Path, resources: Resources) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text(_deep(100_000))
    (tmp_path / "good.txt").write_text(GOOD)
    store = Store(tmp_path / "db.sqlite")
    report = run([str(deep), str(tmp_path / "good.txt")], store, resources)
    assert report.new == 1 and [e.where for e in report.errors] == [f"{deep}:1"]
    client = TestClient(create_app(str(tmp_path / "web.db"), resources=resources))
    body = '{"articles": [' + _deep(100_000) + "]}"
    response = client.post(
        "/api/ingest", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422


# --- #12.6: watch ----------------------------------------------------------------------


def test_issue12_watch_reads_a_file_only_once_it_is_stable(
    tmp_path: Path, resources: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    path = folder / "report.txt"
    path.write_text(GOOD[:120])  # the writer is still at work
    finish = [lambda: path.write_text(GOOD)]  # ... and done during the settle wait

    def settle(_: float) -> None:
        while finish:
            finish.pop()()

    monkeypatch.setattr(watch.time, "sleep", settle)
    store = Store(tmp_path / "db.sqlite")
    first = watch.poll_folder(str(folder), store, resources)
    assert first.report is None  # changed while watched: not read yet
    second = watch.poll_folder(str(folder), store, resources)
    assert second.report is not None and second.report.new == 1
    third = watch.poll_folder(str(folder), store, resources)
    assert third.report is None
    assert store.count_articles() == 1
    (art,) = store.get_articles(second.report.article_ids)
    assert art.text.endswith("on Sunday morning.")


def test_issue12_watch_tolerates_vanished_files(
    tmp_path: Path, resources: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "real.txt").write_text(GOOD)
    ghost = folder / "ghost.txt"  # listed, then deleted before it is looked at
    listing = watch._files
    monkeypatch.setattr(watch, "_files", lambda root: [*listing(root), ghost])
    monkeypatch.setattr(watch.time, "sleep", lambda _: None)
    store = Store(folder / "db.sqlite")  # the store's own files are never read as input
    result = watch.poll_folder(str(folder), store, resources)
    assert result.report is not None and result.report.new == 1 and not result.error
    assert not result.report.errors


def test_issue12_watch_names_the_target_of_a_failed_poll(
    tmp_path: Path, resources: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: Any, **__: Any) -> None:
        raise OSError(f"{tmp_path}: disk on fire")

    monkeypatch.setattr(watch, "poll_folder", broken)
    store = Store(tmp_path / "db.sqlite")
    (result,) = watch.watch([str(tmp_path)], store, resources, once=True)
    assert result.target == str(tmp_path) and "disk on fire" in result.error


# --- #12.7: ids ------------------------------------------------------------------------


def test_issue12_same_id_different_text_is_an_error_naming_both(
    tmp_path: Path, resources: Resources
) -> None:
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_text(json.dumps({"id": "r1", "text": GOOD}) + "\n")
    b.write_text(
        json.dumps({"id": "r1", "text": OTHER})
        + "\n"
        + json.dumps({"id": "r1", "text": GOOD})  # the same text again: a quiet skip
        + "\n"
    )
    store = Store(tmp_path / "db.sqlite")
    assert run([str(a)], store, resources).new == 1
    report = run([str(b)], store, resources)
    (err,) = report.errors
    assert err.where == f"{b}:1" and f"{a}:1" in err.problem and "'r1'" in err.problem
    assert report.already_stored == 1 and report.new == 0
    assert store.get_article("r1").text.startswith("Firefighters")
    # within one batch, too
    c = tmp_path / "c.jsonl"
    c.write_text(
        json.dumps({"id": "r2", "text": GOOD}) + "\n" + json.dumps({"id": "r2", "text": OTHER})
    )
    report = run([str(c)], store, resources)
    assert [e.where for e in report.errors] == [f"{c}:2"] and report.new == 1


# --- #12.8: exposure -------------------------------------------------------------------


def test_issue12_non_local_bind_needs_a_token_and_warns(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import uvicorn

    started: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: started.append({"app": app, **kw}))
    monkeypatch.delenv("NEWSLOOM_TOKEN", raising=False)
    db = str(tmp_path / "s.db")
    with pytest.raises(ConfigError, match="token"):
        webapp.serve(db, host="0.0.0.0")
    with pytest.raises(ConfigError, match="16"):
        webapp.serve(db, host="0.0.0.0", token="short")
    assert not started
    webapp.serve(db, host="127.0.0.1")
    assert started and "warning" not in capsys.readouterr().err
    result = CliRunner().invoke(cli, ["serve", "--db", db, "--host", "0.0.0.0"])
    assert result.exit_code == 2 and "NEWSLOOM_TOKEN" in result.stderr and len(started) == 1
    result = CliRunner().invoke(
        cli, ["serve", "--db", db, "--host", "0.0.0.0"], env={"NEWSLOOM_TOKEN": TOKEN}
    )
    assert result.exit_code == 0 and "reachable from other machines" in result.stderr
    client = TestClient(started[-1]["app"])
    assert client.get("/api/stories").status_code == 401


def test_issue12_token_protects_api_and_pages(tmp_path: Path) -> None:
    client = TestClient(create_app(str(tmp_path / "t.db"), token=TOKEN))
    denied = client.get("/api/stories")
    assert denied.status_code == 401 and denied.headers["www-authenticate"] == "Bearer"
    assert client.get("/openapi.json").status_code == 401
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    assert client.get("/api/stories", headers=bearer).status_code == 200
    assert client.get("/api/stories", headers={"Authorization": "Bearer nope"}).status_code == 401
    page = client.get("/?order=size", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login?next=%2F%3Forder%3Dsize"
    assert client.get("/login").status_code == 200
    assert client.get("/static/style.css").status_code == 200
    wrong = client.post("/login", data={"token": "nope", "next": "/"}, follow_redirects=False)
    assert wrong.status_code == 401 and "wrong token" in wrong.text
    ok = client.post(
        "/login", data={"token": TOKEN, "next": "//evil.example/"}, follow_redirects=False
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/"  # no open redirect
    cookie = ok.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and TOKEN.lower() not in cookie
    assert client.get("/").status_code == 200  # the cookie is kept by the client
    client.post("/logout")
    assert client.get("/", follow_redirects=False).status_code == 303


def test_issue12_read_only_refuses_ingest(tmp_path: Path) -> None:
    client = TestClient(create_app(str(tmp_path / "r.db"), read_only=True))
    assert "Add articles" not in client.get("/").text
    for response in (
        client.get("/ingest"),
        client.post("/ingest", files=[("files", ("a.txt", GOOD.encode(), "text/plain"))]),
        client.post("/api/ingest", content=GOOD, headers={"content-type": "text/plain"}),
    ):
        assert response.status_code == 403 and "read-only" in response.text


def test_issue12_origins_name_uploads_not_server_paths(
    tmp_path: Path, resources: Resources
) -> None:
    client = TestClient(create_app(str(tmp_path / "o.db"), resources=resources))
    upload = client.post("/ingest", files=[("files", ("gdansk.txt", GOOD.encode(), "text/plain"))])
    assert upload.status_code == 200
    posted = client.post("/api/ingest", json={"articles": [{"text": OTHER}]}).json()
    origins = {
        a["origin"]
        for s in client.get("/api/stories").json()["stories"]
        for a in client.get(f"/api/stories/{s['id']}").json()["articles"]
    }
    assert origins == {"gdansk.txt", "api:1"}
    shown = client.get(f"/api/articles/{posted['article_ids'][0]}").json()
    assert shown["origin"] == "api:1"
    assert webapp.public_origin("/tmp/newsloom-upload-ab12/003/x.txt") == "x.txt"


# --- #12.9: no 500s --------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/?offset=99999999999999999999",
        "/api/stories?offset=99999999999999999999",
        "/search?q=%00",
        "/search?q=a%00b",
        "/api/search?q=%00",
        "/api/search?q=x%01y",
    ],
)
def test_issue12_odd_query_values_are_4xx(
    tmp_path_factory: pytest.TempPathFactory, url: str
) -> None:
    client = TestClient(
        create_app(str(tmp_path_factory.mktemp("q") / "q.db")), raise_server_exceptions=False
    )
    response = client.get(url)
    assert 400 <= response.status_code < 500, response.text
    if not url.startswith("/api/"):
        assert response.headers["content-type"].startswith("text/html")


def test_issue12_upload_with_bad_files_keeps_the_good_ones(
    tmp_path: Path, resources: Resources
) -> None:
    client = TestClient(create_app(str(tmp_path / "u.db"), resources=resources))
    files = [
        ("files", ("deep.jsonl", _deep(100_000).encode(), "application/json")),
        ("files", ("binary.bin", bytes(range(256)) * 40, "application/octet-stream")),
        ("files", ("good.txt", GOOD.encode(), "text/plain")),
        ("files", ("broken.gz", b"\x1f\x8b\x08\x00broken", "application/gzip")),
    ]
    response = client.post("/ingest", files=files)
    assert response.status_code == 200
    for name in ("deep.jsonl", "binary.bin", "broken.gz"):
        assert name in response.text
    assert Store(tmp_path / "u.db").count_articles() == 1


# --- #12.11: eval on wrong input --------------------------------------------------------


def _eval_cases(tmp: Path) -> list[tuple[list[str], str]]:
    (tmp / "folder").mkdir()
    (tmp / "nokeys.jsonl").write_text('{"a": 1}\n')
    (tmp / "bad.jsonl").write_text("not json\n")
    (tmp / "bytes.jsonl").write_bytes(b"\xff\xfe\x00bad")
    (tmp / "bad.xml").write_text("<a><b></a>")
    return [
        (["cluster", "--data", str(tmp / "folder")], "a folder"),
        (["cluster", "--data", str(tmp / "nokeys.jsonl")], "no 'text'"),
        (["cluster", "--data", str(tmp / "bad.jsonl")], "invalid JSON"),
        (["cluster", "--data", str(tmp / "bytes.jsonl")], "not UTF-8"),
        (["places", "--data", str(tmp / "bad.xml")], "invalid XML"),
        (["dates", "--data", str(tmp / "bad.xml")], "no TimeML files"),
        (["paraphrase", "--data", str(tmp / "bad.jsonl")], "no MRPC"),
        (["cluster", "--data", str(tmp / "bad.jsonl"), "--split", "bogus"], "all, dev, test"),
    ]


def test_issue12_eval_on_wrong_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    for args, problem in _eval_cases(tmp_path):
        result = CliRunner().invoke(cli, ["eval", *args])
        lines = result.output.strip().splitlines()
        assert result.exit_code == 2, (args, result.output)
        assert len(lines) == 1 and lines[0].startswith("newsloom: ") and problem in lines[0]
        assert "Traceback" not in result.output


# --- #12.12: OpenAPI ------------------------------------------------------------------


def test_issue12_every_openapi_ref_resolves(tmp_path: Path) -> None:
    doc = TestClient(create_app(str(tmp_path / "d.db"))).get("/openapi.json").json()

    def refs(node: Any) -> list[str]:
        if isinstance(node, dict):
            return [v for k, v in node.items() if k == "$ref"] + [
                r for v in node.values() for r in refs(v)
            ]
        return [r for v in node for r in refs(v)] if isinstance(node, list) else []

    found = refs(doc)
    assert "#/components/schemas/IngestArticle" in found
    for ref in found:
        node: Any = doc
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]  # KeyError: an unresolvable $ref
        assert isinstance(node, dict)


# --- #10.5: the date line in JSON records and API posts --------------------------------


def test_issue10_date_line_in_json_text(tmp_path: Path, resources: Resources) -> None:
    line = " date 2023-06-04 Timber yard fire in Gdansk contained\n"
    path = tmp_path / "dated.jsonl"
    path.write_text(
        json.dumps({"text": line + GOOD})
        + "\n"
        + json.dumps({"text": line + OTHER, "date": "2023-06-05", "title": "Snow"})
        + "\n"
    )
    first, second = read(path)
    assert isinstance(first, Article) and isinstance(second, Article)
    assert (first.published, first.title) == ("2023-06-04", "Timber yard fire in Gdansk contained")
    assert first.text == GOOD
    assert (second.published, second.title, second.text) == ("2023-06-05", "Snow", OTHER)
    client = TestClient(create_app(str(tmp_path / "a.db"), resources=resources))
    posted = client.post("/api/ingest", json={"articles": [{"text": line + GOOD}]}).json()
    art = client.get(f"/api/articles/{posted['article_ids'][0]}").json()
    assert art["published"] == "2023-06-04" and art["title"].startswith("Timber yard fire")
    assert not art["text"].lstrip().startswith("date")
    gz = tmp_path / "plain.txt.gz"
    gz.write_bytes(gzip.compress((line + GOOD).encode()))
    (plain,) = read(gz)
    assert isinstance(plain, Article) and plain.published == "2023-06-04"


# --- found by our own probe (CLI on odd paths, odd bytes) ---------------------------------


def test_probe_odd_paths_are_one_line_errors_or_read(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(GOOD)
    (folder / "loop").symlink_to(folder)  # a link back up: read once, not forever
    odd = Path(os.fsdecode(bytes(folder) + b"/\xff\xfename.txt"))  # not UTF-8
    odd.write_text(OTHER)
    finishes(f"from newsloom.ingest import read_inputs; list(read_inputs([{str(folder)!r}]))")
    items = read(folder)
    assert sorted(i.text[:12] for i in items if isinstance(i, Article)) == [
        "Firefighters",
        "Heavy snow c",
    ]
    assert all(i.origin.encode("utf-8") for i in items if isinstance(i, Article))
    (empty,) = read("")
    assert isinstance(empty, InputError) and empty.problem == "empty path"


def test_probe_non_utf8_file_name_is_stored(tmp_path: Path, resources: Resources) -> None:
    odd = Path(os.fsdecode(bytes(tmp_path) + b"/\xff\xfename.txt"))
    odd.write_text(GOOD)
    store = Store(tmp_path / "db.sqlite")
    report = run([str(tmp_path)], store, resources)  # the store's own files are skipped too
    assert report.new == 1 and not report.errors
    assert store.get_article(report.article_ids[0]).origin.endswith("\\udcff\\udcfename.txt")


def test_probe_cli_refuses_bad_numbers_and_paths(tmp_path: Path) -> None:
    db = str(tmp_path / "c.db")
    for args in (
        ["stories", "--db", db, "--limit", "99999999999999999999"],
        ["stories", "--db", db, "--limit", "-5"],
        ["serve", "--db", db, "--port", "99999"],
        ["brief", str(DATA / "ingest" / "harbour.html"), "--db", db, "--html", "/no/such/x.html"],
    ):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 2 and "Traceback" not in result.output, args
        assert "Invalid value" in result.output


def test_probe_jsonl_keeps_line_separators_and_binary_lines(tmp_path: Path) -> None:
    path = tmp_path / "odd.jsonl"
    good = json.dumps({"text": GOOD.replace(",", ",\u2028", 1)}, ensure_ascii=False)
    path.write_bytes(
        good.encode() + b"\n\x00\xff\xfe junk\n" + json.dumps({"text": OTHER}).encode()
    )
    first, junk, last = read(path)
    assert isinstance(first, Article) and "\u2028" in first.text
    assert isinstance(junk, InputError) and junk.where == f"{path}:2"
    assert isinstance(last, Article)
    (only_controls,) = list(read_inputs(["-"], stdin=io.BytesIO(b"\xff\xfe\x00\x00")))
    assert isinstance(only_controls, InputError)


def test_probe_lone_surrogate_escape_in_json(tmp_path: Path) -> None:
    # valid JSON, invalid text: it used to stop the whole run at the database insert
    path = tmp_path / "s.jsonl"
    path.write_text(
        '{"text": "Rescuers reached the village \\ud800 on Tuesday.", "x": ["\\udfff"]}\n'
    )
    (art,) = read(path)
    assert isinstance(art, Article) and "\ufffd" in art.text
    art.text.encode("utf-8")
    json.dumps(art.meta, ensure_ascii=False).encode("utf-8")


@pytest.mark.parametrize(
    "args", [["stories"], ["storylines"], ["show", "s1"], ["export", "s1", "--format", "csv"]]
)
def test_a_mistyped_db_is_an_error_not_an_empty_archive(tmp_path: Path, args: list[str]) -> None:
    """Commands that only read refuse a database that does not exist (and do not create it)."""
    db = tmp_path / "typo.db"
    result = CliRunner().invoke(cli, [*args, "--db", str(db)])
    assert result.exit_code == 1 and "no such database" in result.stderr
    assert not db.exists()
