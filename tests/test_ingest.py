"""Ingest: every supported format from real files, and one InputError per bad input."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import pytest

from newsloom.errors import InputError
from newsloom.ingest import domain, extract_html, html_to_text, read_inputs
from newsloom.models import Article

DATA = Path(__file__).parent / "data" / "ingest"
SEEDS = Path(__file__).parent.parent / "examples" / "seeds"


def read(*paths: str | Path, **kwargs: object) -> list[Article | InputError]:
    return list(read_inputs([str(p) for p in paths], **kwargs))  # type: ignore[arg-type]


def articles(items: list[Article | InputError]) -> list[Article]:
    return [a for a in items if isinstance(a, Article)]


def errors(items: list[Article | InputError]) -> list[str]:
    return [str(e) for e in items if isinstance(e, InputError)]


def test_html_page_main_text_and_metadata() -> None:
    (art,) = read(DATA / "harbour.html")
    assert isinstance(art, Article)
    assert art.title == "Storm floods harbour town as river bursts banks"
    assert art.published.startswith("2024-03-14")
    assert art.source == "The Coastal Courier"
    assert art.author == "Maria Lindqvist"
    assert art.url == "https://www.coastalcourier.example/news/2024/03/14/storm-floods-harbour"
    assert art.origin == str(DATA / "harbour.html")
    assert art.id == ""
    assert "River Alder burst its banks" in art.text
    assert "£25m" in art.text
    # navigation, comments, share widgets and the footer are not article text
    for junk in ("Most read", "Share on Facebook", "Terrible news", "cookies", "Sport"):
        assert junk not in art.text
    paragraphs = art.text.split("\n\n")
    assert len(paragraphs) >= 5
    assert paragraphs[0].startswith("Hundreds of homes")
    assert "waist-deep water" in " ".join(art.captions)


def test_gzipped_html_reads_like_the_plain_page() -> None:
    (plain,) = read(DATA / "harbour.html")
    (zipped,) = read(DATA / "harbour_copy.html.gz")
    assert isinstance(plain, Article) and isinstance(zipped, Article)
    assert zipped.text == plain.text


def test_html_without_article_text_is_an_error() -> None:
    assert errors(read(DATA / "nav_only.html")) == [
        f"{DATA / 'nav_only.html'}: no article text found in HTML"
    ]
    with pytest.raises(InputError):
        extract_html("<html><body><p>Hi</p></body></html>")


def test_rss_items_become_articles() -> None:
    items = articles(read(DATA / "wires.rss"))
    assert [a.title for a in items] == [
        "Bridge closed after crack found in support pillar",
        "Library reopens after two-year refit",
    ]
    bridge, library = items
    assert bridge.source == "Northern Daily Wire"
    assert bridge.url == "https://northerndaily.example/news/bridge-closed"
    assert bridge.published == "2024-11-05T14:20:00+00:00"
    assert bridge.author == "Tom Hale"
    # content:encoded wins over the short description, and its HTML becomes paragraphs
    assert bridge.text.split("\n\n")[1].startswith("About 20,000 vehicles")
    assert "<p>" not in library.text and "£4m" in library.text


def test_atom_entry() -> None:
    (entry,) = articles(read(DATA / "science.atom"))
    assert entry.title == "Telescope spots water vapour on distant planet"
    assert entry.url == "https://sciencedesk.example/2024/06/water-vapour"
    assert entry.published == "2024-06-01T10:15:00Z"
    assert entry.author == "Priya Raman"
    assert entry.source == "Science Desk"
    assert entry.text.count("\n\n") == 1


def test_malformed_xml_feed(tmp_path: Path) -> None:
    bad = tmp_path / "broken.rss"
    bad.write_text('<?xml version="1.0"?><rss><channel><item><title>x</item></rss>')
    (problem,) = errors(read(bad))
    assert problem.startswith(f"{bad}: malformed XML")


def test_feed_entity_expansion_is_refused(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.xml"
    bomb.write_text(
        '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;">]><rss><channel><item><description>&b;</description>'
        "</item></channel></rss>"
    )
    assert errors(read(bomb))


def test_jsonl_good_and_bad_lines() -> None:
    items = read(DATA / "mixed.jsonl")
    where = DATA / "mixed.jsonl"
    assert errors(items) == [
        f"{where}:2: invalid JSON (Expecting value, column 1)",
        f'{where}:3: no "text" or "html" field',
    ]
    first, festival = articles(items)
    assert first.id == "wire-001"
    assert first.origin == f"{where}:1"
    assert first.published == "2024-02-02"
    assert first.source == "example-news.co.uk"  # no source field: the URL's domain
    assert first.meta == {"desk": "regional"}
    assert festival.source == "Festival Times"
    assert festival.text.startswith("The festival drew a record crowd")


def test_warc_response_records(tmp_path: Path) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    page = (DATA / "harbour.html").read_bytes()
    path = tmp_path / "crawl.warc.gz"
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for uri, ctype, body in (
            ("https://www.harbournews.example/flood", "text/html; charset=utf-8", page),
            ("https://www.harbournews.example/logo.png", "image/png", b"\x89PNG...."),
        ):
            headers = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.1")
            record = writer.create_warc_record(
                uri, "response", payload=io.BytesIO(body), http_headers=headers
            )
            writer.write_record(record)
    (art,) = read(path)
    assert isinstance(art, Article)
    assert art.url == "https://www.harbournews.example/flood"
    assert "River Alder" in art.text
    assert art.origin.startswith(str(path))


def test_a_damaged_warc_is_one_line_and_warcio_stays_quiet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """warcio writes its own warnings about a damaged record to stderr; the reader's one
    error line names the file instead."""
    path = tmp_path / "fake.warc"
    path.write_text("this is not a warc file\njust text\n", encoding="utf-8")
    assert errors(read(path)) == [f"{path}: no HTML response records in WARC"]
    assert capsys.readouterr().err == ""


def test_plain_text_with_date_line() -> None:
    (art,) = read(DATA / "cp874_mojibake.txt")
    assert isinstance(art, Article)
    assert art.title == "Council approves housing budget"
    assert art.published == "2023-05-02"
    assert art.source == "cp874_mojibake"
    assert art.text.startswith("The council approved")


def test_month_only_date_line(tmp_path: Path) -> None:
    path = tmp_path / "monthly.txt"
    path.write_text(" date 2022-07 Heatwave breaks records\nTemperatures passed 40C in London.\n")
    (art,) = read(path)
    assert isinstance(art, Article)
    assert (art.published, art.title) == ("2022-07", "Heatwave breaks records")


def test_a_date_that_is_no_day_is_an_input_error_and_the_rest_is_read(tmp_path: Path) -> None:
    (tmp_path / "month13.txt").write_text(" date 2026-13-45 Storm\nA storm hit Bergen.\n")
    (tmp_path / "records.jsonl").write_text(
        '{"text": "A storm hit Bergen.", "date": "2026-02-30"}\n'
        '{"text": "A storm hit Oslo.", "date": "yesterday"}\n'
        '{"text": "A storm hit Tromso.", "date": "2026-02-27T08:00:00+01:00"}\n'
        '{"text": "A storm hit Bodo.", "date": "Feb. 27, 2026"}\n'
        '{"text": "A storm hit Alta.", "date": "Fri, 27 Feb 2026 08:00:00 +0100"}\n'
    )
    items = read(tmp_path)
    assert [(a.text, a.published) for a in articles(items)] == [
        ("A storm hit Tromso.", "2026-02-27T08:00:00+01:00"),
        ("A storm hit Bodo.", "2026-02-27"),  # a written-out day, in ISO form
        ("A storm hit Alta.", "2026-02-27T08:00:00+01:00"),
    ]
    assert [e.split(": ", 1)[1] for e in errors(items)] == [
        "invalid date '2026-13-45' (expected YYYY-MM-DD or ISO 8601)",
        "invalid date '2026-02-30' (expected YYYY-MM-DD or ISO 8601)",
        "invalid date 'yesterday' (expected YYYY-MM-DD or ISO 8601)",
    ]


def test_an_empty_folder_is_an_input_error(tmp_path: Path) -> None:
    assert errors(read(tmp_path)) == [f"{tmp_path}: folder holds no files"]


def test_a_notice_saved_as_the_headline_is_no_title(tmp_path: Path) -> None:
    """A real crawl saved "This post will be updated …" as a page's headline; the story was
    then titled with it."""
    path = tmp_path / "notice.txt"
    path.write_text(
        " date 2023-06-22 This post will be updated as new information is available.\n\n"
        "The remains of the Titan submersible were found near the wreck of the Titanic.\n"
    )
    (art,) = read(path)
    assert isinstance(art, Article)
    assert (art.published, art.title) == ("2023-06-22", "")
    assert art.text.strip().startswith("The remains of the Titan")


def test_page_saved_on_one_line_is_text_not_a_headline(tmp_path: Path) -> None:
    """A saved page with no line break: the date line holds the whole article (a real page of
    the real-web corpus); a short headline with nothing after it is still no article."""
    body = "Rebels took control of Aleppo on Saturday, a monitor said. " * 8
    page = tmp_path / "one-line.txt"
    page.write_text(f" date 2024-12 {body}")
    record = tmp_path / "one-line.jsonl"
    record.write_text(json.dumps({"id": "p1", "text": f" date 2024-12-02 {body}"}) + "\n")
    short = tmp_path / "headline-only.txt"
    short.write_text(" date 2024-12-02 Rebels take Aleppo\n")
    plain, from_json, headline_only = read(page, record, short)
    assert isinstance(plain, Article) and isinstance(from_json, Article)
    assert (plain.published, plain.title, plain.text) == ("2024-12", "", body.strip())
    assert (from_json.published, from_json.title) == ("2024-12-02", "")
    assert from_json.text.startswith("Rebels took control of Aleppo")
    assert isinstance(headline_only, InputError)


def test_bad_inputs_each_give_one_error(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_text("word " * 100)
    latin = tmp_path / "latin.txt"
    latin.write_bytes("Le café a fermé ses portes à Paris lundi soir.".encode("cp1252"))
    items = read(
        DATA / "empty.txt", DATA / "random.bin", tmp_path / "nope", str(tmp_path / "*.none")
    )
    assert errors(items) == [
        f"{DATA / 'empty.txt'}: empty file",
        f"{DATA / 'random.bin'}: binary file (not text)",
        f"{tmp_path / 'nope'}: no such file or directory",
        f"{tmp_path / '*.none'}: no files match this pattern",
    ]
    (too_big,) = errors(read(big, max_bytes=100))
    assert too_big.startswith(f"{big}: file too large")
    (decoded,) = articles(read(latin))
    assert "café" in decoded.text


def test_folder_is_recursive_and_sorted_and_glob(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "two.txt").write_text("Second report about the storm damage.")
    (tmp_path / "a.txt").write_text("First report about the storm damage.")
    (tmp_path / ".hidden.txt").write_text("Not an article.")
    origins = [a.origin for a in articles(read(tmp_path))]
    assert origins == [str(tmp_path / "a.txt"), str(tmp_path / "b" / "two.txt")]
    assert [a.origin for a in articles(read(str(tmp_path / "**" / "*.txt")))] == [
        str(tmp_path / "a.txt"),
        str(tmp_path / "b" / "two.txt"),
    ]


def test_stdin_is_sniffed() -> None:
    raw = gzip.compress(b'{"text": "A ferry ran aground off the coast on Sunday."}\n')
    (art,) = read("-", stdin=io.BytesIO(raw))
    assert isinstance(art, Article)
    assert art.origin == "-:1"
    assert art.text.startswith("A ferry")


def test_seeds_read_with_their_date_line() -> None:
    items = read(SEEDS)
    assert not errors(items)
    dated = [a for a in articles(items) if a.published]
    assert dated and dated[0].published == "2021-08-13"
    assert dated[0].title.startswith("As the Taliban advance across Afghanistan")
    assert not dated[0].text.lstrip().startswith("date")


def test_html_fragment_and_domain_helpers() -> None:
    assert html_to_text("<p>One &amp; two</p><script>x()</script><p>Three</p>") == (
        "One & two\n\nThree"
    )
    assert domain("https://www.bbc.co.uk/news/world") == "bbc.co.uk"
    assert domain("") == ""


def test_json_array_and_single_object(tmp_path: Path) -> None:
    array = tmp_path / "batch.json"
    array.write_text(
        '[{"text": "Rail strike called off after late-night talks.", "source": "Rail Weekly"},'
        ' {"title": "missing body"}]'
    )
    single = tmp_path / "one.json"
    single.write_text('{\n  "text": "The airport reopened at noon.",\n  "id": "a-1"\n}\n')
    items = read(array, single)
    assert errors(items) == [f'{array}#2: no "text" or "html" field']
    strike, airport = articles(items)
    assert (strike.source, strike.origin) == ("Rail Weekly", f"{array}#1")
    assert (airport.id, airport.source) == ("a-1", "one")


AEB = Path(__file__).resolve().parents[2] / "shared" / "eval" / "aeb"


@pytest.mark.slow
@pytest.mark.skipif(not AEB.exists(), reason="AEB evaluation data not available")
def test_eval_text_on_a_few_pages() -> None:
    from newsloom.evaluate.text import evaluate, page_counts

    assert page_counts("the cat sat on the mat", "the cat sat on the mat") == (1.0, 0.0, 0.0)
    result = evaluate(AEB, limit=8)
    assert result.metrics["pages"] == 8
    assert result.headline == "f1" and 0.8 < float(result.metrics["f1"]) <= 1.0
    assert "trafilatura_default_f1" in result.metrics


def test_a_fragment_without_a_letter_is_no_article(tmp_path: Path) -> None:
    """Found by the fuzz test: a NUL-led fragment whose rest is spaces and a digit."""
    path = tmp_path / "bad.bin"
    path.write_bytes(b"\x00\t\t                0")
    assert errors(read(path)) == [f"{path}: no text"]
