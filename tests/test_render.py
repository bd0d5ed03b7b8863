"""Renderers: untrusted text stays inert; citations are numbered; JSON follows the schema."""

from __future__ import annotations

import json
import re
from typing import Any

from newsloom.render import to_html, to_json, to_markdown

EVIL = "<script>alert(1)</script> [x](javascript:alert(2)) <img src=x onerror=alert(3)>"


def briefing(text: str = "Ferries evacuated 349 people from Limni.") -> dict[str, Any]:
    cite = {"article_id": "a1", "sentence": 0, "source": "Wire", "text": text}
    return {
        "id": "s1",
        "title": "Evia fires " + text,
        "first_published": "2021-08-08",
        "last_published": "2021-08-09",
        "n_articles": 2,
        "n_sources": 2,
        "n_independent": 2,
        "merged_from": [],
        "articles": [
            {
                "id": "a1",
                "url": "javascript:alert(4)",
                "source": "Wire",
                "title": text,
                "published": "2021-08-08",
                "origin": "x",
                "independent": True,
                "derived_from": None,
                "derivation": None,
                "link": {"score": 1.0, "evidence": {"places": ["Evia"]}},
            },
        ],
        "summary": [{"text": text, "citations": [cite], "fact_id": "f1"}],
        "facts": [
            {
                "id": "f1",
                "text": text,
                "status": "corroborated",
                "sources": ["Local", "Wire"],
                "independent_sources": 2,
                "origin": "",
                "date": "2021-08-08",
                "citations": [cite],
                "conflict": {},
            },
            {
                "id": "f2",
                "text": "Fire toll",
                "status": "conflict",
                "sources": ["Local", "Wire"],
                "independent_sources": 2,
                "origin": "",
                "date": "",
                "citations": [cite],
                "conflict": {
                    "kind": "number",
                    "values": [
                        {"value": 2, "source": "Wire", "text": "2 died"},
                        {"value": 3, "source": "Local", "text": "3 died"},
                    ],
                },
            },
        ],
        "timeline": [
            {
                "date": "2021-08-08",
                "text": text,
                "sources": ["Wire"],
                "status": "single",
                "citations": [cite],
            }
        ],
        "places": [
            {
                "name": "Limni",
                "lat": 38.77,
                "lon": 23.32,
                "country": "GR",
                "feature": "city",
                "geonameid": 1,
                "mentions": 2,
                "sources": ["Wire"],
                "as_written": ["Limni"],
            }
        ],
        "quotes": [
            {
                "speaker": "Kyriakos Mitsotakis",
                "text": text,
                "direct": True,
                "cue": "said",
                "source": "Wire",
                "article_id": "a1",
                "sentence": 0,
            }
        ],
        "entities": [],
        "sources": [
            {
                "source": "Wire",
                "articles": ["a1"],
                "independent": True,
                "facts": 2,
                "adds": [{"text": text, "citations": [cite]}],
            }
        ],
        "derivations": [],
    }


def test_render_markdown_sections_and_citations() -> None:
    md = to_markdown([briefing()])
    for heading in (
        "## Summary",
        "## Disputed",
        "## Timeline",
        "## Places",
        "## Quotes",
        "## Sources",
        "## References",
    ):
        assert heading in md
    assert "[1]" in md and "1. Wire: “Ferries evacuated 349 people from Limni.”" in md
    assert "**2021-08-08**" in md
    # the corroborated fact is the summary's line and carries its verdict there, once
    assert "[1] — confirmed by 2 independent sources: Local, Wire\n" in md
    assert "## Confirmed by several sources" not in md


def test_render_markdown_escapes_markup() -> None:
    md = to_markdown([briefing(EVIL)])
    assert "<script>" not in md
    assert not re.search(r"(?<!\\)\]\(javascript:", md)  # brackets are escaped: no link


def test_render_html_is_inert_and_self_contained() -> None:
    page = to_html([briefing(EVIL)])
    assert "<script>" not in page
    assert "&lt;script&gt;" in page
    assert 'href="javascript:' not in page
    assert "Content-Security-Policy" in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert page.count("<circle") == 1 and "Limni" in page
    assert "svg.map polygon {" in page and "<link" not in page  # shared CSS inlined


def test_render_json_document() -> None:
    doc = json.loads(to_json([briefing()], ["x.txt: empty file"]))
    assert doc["schema_version"] == "1.0"
    assert doc["errors"] == ["x.txt: empty file"]
    story = doc["stories"][0]
    assert story["facts"][0]["independent_sources"] == 2
    assert {"name", "lat", "lon"} <= set(story["places"][0])


def test_a_wording_the_summary_states_is_not_listed_again() -> None:
    """Two facts of one wording (fuse keeps them apart by origin: "U.S. Coast Guard" and
    "Coast Guard", as in the real-web Titan story) show as one line, the summary's, with
    both verdicts: neither fact's sources are lost."""
    story = briefing()
    other = {"article_id": "a2", "sentence": 4, "source": "Mirror", "text": "Ferries evacuated."}
    twin = dict(
        story["facts"][0], id="f1b", origin="Coast Guard", sources=["Mirror", "Wire"],
        citations=[other],
    )  # fmt: skip
    story["facts"].append(twin)
    md = to_markdown([story])
    assert "## Confirmed by several sources" not in md
    summary = md.split("## Summary")[1].split("## Disputed")[0]
    assert summary.count("- Ferries evacuated") == 1
    assert (
        summary.count("\n- ") == 1
        and (
            "[1] — confirmed by 2 independent sources: Local, Wire · also confirmed by 2"
            " independent sources: Mirror, Wire; attributed to Coast Guard [2]\n"
        )
        in summary
    )
    story["summary"] = []
    md = to_markdown([story])
    confirmed = md.split("## Confirmed by several sources")[1].split("## Disputed")[0]
    assert confirmed.count("- Ferries evacuated") == 1
    assert "Local, Wire · also" in confirmed and "Mirror, Wire; attributed to Coast Guard" in md


def test_facts_of_one_wording_keep_their_sources_in_markdown_and_html() -> None:
    """A fact that is another fact's wording is one line, never dropped with its sources:
    in the summary and in the list below it, in Markdown and in the HTML report."""
    story = briefing()

    def fact(id_: str, text: str, sources: list[str], origin: str = "") -> dict[str, Any]:
        cite = {"article_id": id_, "sentence": 1, "source": sources[0], "text": text}
        return dict(story["facts"][0], id=id_, text=text, sources=sources, origin=origin,
                    citations=[cite])  # fmt: skip

    battled = "Firefighters battled the blaze for a week."
    story["facts"] += [
        fact("f3", "Ferries evacuated 349 people from Limni!", ["AP", "BBC"], "the ministry"),
        fact("f4", battled, ["Reuters", "Kathimerini"]),
        fact("f5", battled.upper(), ["AFP", "ERT"], "the fire service"),
    ]
    f4 = story["facts"][-2]
    story["facts"] += [dict(f4, id="f4b"), dict(f4, id="f4c", sources=["Reuters"])]  # twins
    md, page = to_markdown([story]), to_html([story])
    for shown in (md, page):
        summary, below = shown.split("Confirmed by several sources")
        assert "AP, BBC; attributed to the ministry" in summary
        assert (
            "Reuters, Kathimerini" in below and "AFP, ERT; attributed to the fire service" in below
        )
    confirmed = md.split("## Confirmed by several sources")[1].split("## ")[0]
    assert confirmed.count("\n- ") == 1  # one line for the wording, both verdicts on it
    listed = page.split("Confirmed by several sources")[1].split("References")[0]
    assert listed.count("Firefighters battled") == 1 and "FIREFIGHTERS" not in listed
    for shown in (confirmed, listed):
        assert shown.count("Reuters") == 1 and shown.count("also") == 1  # twins add nothing


def test_what_a_reader_reads_is_words_not_keys() -> None:
    """Read on real-web dev stories: "1 articles from 1 outlets", "is a same_wire of",
    24 marks in a row and one headline cited three times."""
    story = briefing()
    story.update(n_articles=1, n_sources=1, n_independent=1)
    copy = dict(story["articles"][0], id="a2", source="Mirror", derived_from="a1")
    story["articles"].append(dict(copy, derivation={"kind": "same_wire", "score": 0.9}))
    head = "Evia fires: ferries evacuate Limni"
    story["summary"][0]["citations"] = [
        {"article_id": "a1", "sentence": n, "source": "Wire", "text": f"Line {n}."}
        for n in range(5)
    ] + [{"article_id": "a1", "sentence": n, "source": "Wire", "text": head} for n in (7, 9)]
    md, page = to_markdown([story]), to_html([story])
    assert "_1 article from 1 outlet (1 independent report), 2021-08-08 to" in md
    assert re.search(r"<b>1</b> article · <b>1</b> outlet ·\s+<b>1</b> independent report\s", page)
    assert "- Mirror carries the same wire text as Wire" in md and "same_wire" not in page
    assert "[1–6] — confirmed by 2" in md  # five lines and the headline, printed twice
    assert md.count(head) == 1 and "7. " not in md.split("## References")[1]  # cited once
    assert '<a href="#ref-s1-1">[1</a>–<a href="#ref-s1-6">6]</a>' in page
