"""Exports (#16): facts as CSV read back with the csv module (formula-looking cells
neutralised), places as GeoJSON checked against a FeatureCollection schema and the
coordinate ranges, articles and facts as JSON Lines; the CLI and the API."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import jsonschema
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from newsloom.cli import cli
from newsloom.export import FACT_COLUMNS, FORMATS, export, filename, neutralise
from newsloom.models import Citation, Fact, Link, Story
from newsloom.store import Store
from newsloom.web.app import create_app

sys.path.insert(0, str(Path(__file__).parent))
import webdata

if TYPE_CHECKING:
    from newsloom.pipeline import Resources

SEEDS = Path(__file__).resolve().parent.parent / "examples" / "seeds"

SCHEMA = json.loads(
    (Path(__file__).parent / "data" / "geojson" / "featurecollection.schema.json").read_text()
)
HOSTILE = {
    "text": '=HYPERLINK("http://evil.example","click")',
    "source": "@SUM(A1:A9)",
    "origin": "+cmd|' /C calc'!A0",
    "value": "-2+3",
}


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The web test store plus a story whose facts look like spreadsheet formulas."""
    path = tmp_path_factory.mktemp("export") / "x.db"
    webdata.fill(path)
    store = Store(path)
    art = webdata.article(
        "Residents of Lyon protested on Sunday. Police said 40 people were held.",
        HOSTILE["source"],
        "\tTab title",
        "2024-04-02",
        "https://lyon.example/a?x=1;y=2",
    )
    store.add_articles([art])
    store.save_stories([Story("st-inject", "\tTab title", [art.id], [Link(art.id, "x", 1.0)])])
    cite = Citation(art.id, 1, art.source, art.sentences[1].text)
    conflict = {"kind": "number", "values": [{"value": HOSTILE["value"], "source": "@x"}]}
    fact = Fact("fx", HOSTILE["text"], "conflict", [art.source], 1, [cite], HOSTILE["origin"])
    fact.conflict = conflict
    store.save_facts("st-inject", [fact], 1)
    store.close()
    return path


def _text(path: Path, ids: list[str], fmt: str) -> str:
    store = Store(path)
    try:
        return "".join(export(store, ids, fmt))
    finally:
        store.close()


def test_csv_round_trips_through_the_csv_module(db: Path) -> None:
    text = _text(db, ["st-flood", "st-lyon"], "csv")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert tuple(rows[0]) == FACT_COLUMNS
    store = Store(db)
    facts = {(sid, f.id): f for sid in ("st-flood", "st-lyon") for f in store.get_facts(sid)}
    assert {(r["story_id"], r["fact_id"]) for r in rows} == set(facts)  # one row per fact
    for row in rows:
        fact = facts[(row["story_id"], row["fact_id"])]
        assert row["text"] == fact.text and row["status"] == fact.status
        assert int(row["independent_sources"]) == fact.independent_sources
        assert row["sources"].split("; ") == fact.sources
        assert row["citations"].split() == [f"{c.article_id}#s{c.sentence}" for c in fact.citations]
        assert row["first_seen"].endswith("Z") and row["last_changed"] >= row["first_seen"]
    f3 = next(r for r in rows if r["fact_id"] == "f3")
    assert f3["conflict_kind"] == "number"
    assert f3["values"] == "12,000 (Folha); about 10,000 (Wire Daily)"
    # The rewrite's URL is javascript: and is left out; the original's is kept.
    assert f3["citation_urls"] == "https://folha.example/floods"


def test_csv_neutralises_cells_a_spreadsheet_would_run(db: Path) -> None:
    text = _text(db, ["st-inject"], "csv")
    [row] = list(csv.DictReader(io.StringIO(text, newline="")))
    assert row["text"] == "'" + HOSTILE["text"]
    assert row["sources"] == "'" + HOSTILE["source"]
    assert row["origin"] == "'" + HOSTILE["origin"]
    assert row["story_title"] == "'\tTab title"
    assert row["values"] == "'-2+3 (@x)"
    assert row["citation_urls"] == "https://lyon.example/a?x=1;y=2"
    for cell in row.values():
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert neutralise(-3) == -3 and neutralise("3-2") == "3-2"


def test_geojson_is_a_valid_feature_collection(db: Path) -> None:
    doc = json.loads(_text(db, ["st-flood", "st-lyon", "st-inject"], "geojson"))
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.validate(doc, SCHEMA, cls=jsonschema.Draft202012Validator)
    by_name = {f["properties"]["name"]: f for f in doc["features"]}
    lon, lat = by_name["Porto Alegre"]["geometry"]["coordinates"]
    assert (lon, lat) == (-51.23, -30.03)  # RFC 7946: longitude first
    assert by_name["Lyon"]["properties"]["country"] == "FR"
    assert by_name["Porto Alegre"]["properties"]["mentions"] == 2
    assert by_name["Porto Alegre"]["properties"]["sources"] == ["Folha", "Wire Daily"]
    for feature in doc["features"]:
        lon, lat = feature["geometry"]["coordinates"]
        assert -180 <= lon <= 180 and -90 <= lat <= 90
    assert len({f["id"] for f in doc["features"]}) == len(doc["features"])


def test_geojson_schema_rejects_swapped_or_out_of_range_points(db: Path) -> None:
    doc = json.loads(_text(db, ["st-flood"], "geojson"))
    doc["features"][0]["geometry"]["coordinates"] = [10.0, 95.0]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, SCHEMA, cls=jsonschema.Draft202012Validator)


def test_jsonl_has_stories_articles_and_facts(db: Path) -> None:
    lines = _text(db, ["st-flood"], "jsonl").splitlines()
    records = [json.loads(line) for line in lines]
    kinds = [r["type"] for r in records]
    assert kinds == ["story", "article", "article", "fact", "fact", "fact", "fact"]
    assert all(r["story_id"] == "st-flood" for r in records)
    story, article = records[0], records[1]
    assert story["title"] == "Floods in Porto Alegre" and story["n_articles"] == 2
    assert article["text"].startswith("Floodwaters swept") and "independent" in article
    fact = records[-1]
    assert {"id", "text", "status", "sources", "citations", "first_seen"} <= set(fact)


def test_export_refuses_unknown_stories_and_formats(db: Path) -> None:
    store = Store(db)
    with pytest.raises(LookupError):
        export(store, ["st-flood", "nope"], "csv")
    with pytest.raises(ValueError, match="format"):
        export(store, ["st-flood"], "xlsx")
    assert filename("csv", query="floods ../etc") == "newsloom-search-floods-.._etc-facts.csv"


def test_cli_export_story_and_query(db: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = runner.invoke(cli, ["export", "st-flood", "--format", "csv", "--db", str(db)])
    assert out.exit_code == 0, out.output
    assert len(list(csv.DictReader(io.StringIO(out.stdout, newline="")))) == 4
    target = tmp_path / "places.geojson"
    args = ["export", "--query", "Porto Alegre", "--format", "geojson", "--out", str(target)]
    done = runner.invoke(cli, [*args, "--db", str(db)])
    assert done.exit_code == 0, done.output
    names = [f["properties"]["name"] for f in json.loads(target.read_text())["features"]]
    assert names == ["Porto Alegre"]
    none = runner.invoke(cli, ["export", "-q", "zzzz", "--format", "jsonl", "--db", str(db)])
    assert none.exit_code == 0 and none.stdout == "" and "no story matches" in none.stderr


def test_cli_export_usage_errors(db: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    both = runner.invoke(cli, ["export", "st-flood", "-q", "x", "--format", "csv", "--db", str(db)])
    assert both.exit_code == 2
    neither = runner.invoke(cli, ["export", "--format", "csv", "--db", str(db)])
    assert neither.exit_code == 2
    target = tmp_path / "never.csv"
    missing = runner.invoke(
        cli, ["export", "nope", "--format", "csv", "--out", str(target), "--db", str(db)]
    )
    assert missing.exit_code == 1 and "nope" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1 and not target.exists()


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_api_exports_with_types_and_file_names(db: Path, fmt: str) -> None:
    client = TestClient(create_app(str(db)))
    r = client.get(f"/api/stories/st-flood/export?format={fmt}")
    assert r.status_code == 200
    assert r.headers["content-type"] == FORMATS[fmt].media_type
    disposition = f'attachment; filename="newsloom-st-flood-{FORMATS[fmt].what}.{fmt}"'
    assert r.headers["content-disposition"] == disposition
    assert r.text == _text(db, ["st-flood"], fmt)
    q = client.get("/api/export", params={"q": "Porto Alegre", "format": fmt})
    assert q.status_code == 200 and q.text == r.text
    assert "newsloom-search-Porto-Alegre-" in q.headers["content-disposition"]


def test_api_export_errors(db: Path) -> None:
    client = TestClient(create_app(str(db)))
    assert client.get("/api/stories/nope/export?format=csv").status_code == 404
    assert client.get("/api/stories/st-flood/export?format=xlsx").status_code == 422
    assert client.get("/api/export?q=&format=csv").status_code == 422


def test_csv_names_outlets_and_the_files_cited(resources: Resources, tmp_path: Path) -> None:
    """The seeds name no outlet: the CSV says so in words (`outlets`) and points to the
    files the cited sentences were read from (`cited_in`), next to the ids it always had."""
    from conftest import brief_json

    db = tmp_path / "seeds.db"
    story = brief_json(resources, [str(SEEDS), "--db", str(db)])["stories"][0]
    rows = list(csv.DictReader(io.StringIO(_text(db, [story["id"]], "csv"), newline="")))
    assert tuple(rows[0]) == FACT_COLUMNS and FACT_COLUMNS[-2:] == ("outlets", "cited_in")
    kandahar = next(r for r in rows if r["text"].startswith("The Taliban have captured"))
    assert kandahar["sources"] == "000_35127a3aa99a108c; 001_da1e128feba3e378"  # as before
    assert kandahar["outlets"] == (
        "outlet unknown (file 000_35127a3aa99a108c); outlet unknown (file 001_da1e128feba3e378)"
    )
    cited = kandahar["cited_in"].split("; ")
    assert len(cited) == len(kandahar["citations"].split())
    assert {c.split("#s")[0] for c in cited} == {
        str(SEEDS / "000_35127a3aa99a108c.txt"),
        str(SEEDS / "001_da1e128feba3e378.txt"),
    }
