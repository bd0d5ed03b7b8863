"""The briefing as a reader sees it: quotations whole and attributed, outlets named in
words, timeline lines that say their date, no line twice."""

from __future__ import annotations

import dataclasses
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient

from newsloom.brief import (
    _quotes,
    _said,
    _summary,
    _timeline,
    _whole_sentences,
    build_briefing,
    outlet_name,
    readable,
    story_title,
)
from newsloom.fuse import split_statements
from newsloom.models import Article, Citation, Fact, Quote, Sentence, Story, TimeRef
from newsloom.render import balanced, quoted, sources_text, to_html, to_markdown
from newsloom.web.app import create_app

sys.path.insert(0, str(Path(__file__).parent))
from conftest import brief_json

if TYPE_CHECKING:
    from newsloom.pipeline import Resources

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture(scope="module")
def seeds(resources: Resources, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The bundled seeds (two files, no outlet named) briefed once, and their database."""
    db = tmp_path_factory.mktemp("seeds") / "b.db"
    body = brief_json(resources, [str(EXAMPLES / "seeds"), "--db", str(db)])
    return {"story": body["stories"][0], "db": str(db)}


def _sentences(text: str) -> list[Sentence]:
    out, start = [], 0
    for m in re.finditer(r"(?<=[.!?])\s+|(?<=[.!?]”)\s+|$", text):
        if m.start() > start:
            out.append(Sentence(len(out), text[start : m.start()], start, m.start()))
        start = m.end()
    return out


def _quotation_article() -> Article:
    text = (
        "Fighting reached the city on Friday. "
        "“We are surrounded. Food ran out on Monday, according to the UN. "
        "Nobody comes,” the mayor said."
    )
    art = Article(id="q1", text=text, source="Herald", sentences=_sentences(text))
    start, end = text.index("We are"), text.index("Nobody comes") + len("Nobody comes")
    art.quotes = [Quote(text[start:end], "Mayor Hamid Noori", start, end, 1)]
    return art


def test_a_sentence_inside_a_quotation_is_its_speakers() -> None:
    """fuse gives a statement the speaker of the quotation it overlaps, unless its own words
    name another party ("according to the UN"); the line the reader sees is the quotation's,
    so it is the speaker's."""
    art = _quotation_article()
    origins = {st.text: st.origin for st in split_statements(art, 0)}
    assert origins["Nobody comes,” the mayor said."] == "Mayor Hamid Noori"
    assert origins["Fighting reached the city on Friday."] == ""
    facts = [_single(art, i, origins[art.sentences[i].text]) for i in (0, 2, 3)]
    lines = _whole_sentences(facts, {art.id: art})
    assert lines[1]["speaker"] == "Mayor Hamid Noori"


def _single(art: Article, sentence: int, origin: str = "") -> Fact:
    s = art.sentences[sentence]
    return Fact(
        id=f"f{sentence}",
        text=s.text,
        status="single",
        sources=[art.source],
        independent_sources=1,
        citations=[Citation(art.id, sentence, art.source, s.text)],
        origin=origin,
    )


def test_the_sentences_of_one_quotation_are_one_line_with_closed_marks_and_speaker() -> None:
    art = _quotation_article()
    facts = [_single(art, i, "Mayor Hamid Noori" if i else "") for i in range(4)]
    lines = _whole_sentences(facts, {art.id: art})
    assert [x["text"] for x in lines] == [
        "Fighting reached the city on Friday.",
        "“We are surrounded. Food ran out on Monday, according to the UN. "
        "Nobody comes,” the mayor said.",
    ]
    assert lines[1]["speaker"] == "Mayor Hamid Noori"
    assert [c["sentence"] for c in lines[1]["citations"]] == [1, 2, 3]


def test_a_line_shown_already_is_not_shown_again() -> None:
    text = "Titan found in pieces. Five aboard are dead. Titan found in pieces."
    art = Article(id="h1", text=text, source="Wire", sentences=_sentences(text))
    lines = _whole_sentences([_single(art, i) for i in range(3)], {art.id: art})
    assert [x["text"] for x in lines] == ["Titan found in pieces.", "Five aboard are dead."]


def test_quotation_marks_are_paired_and_never_doubled() -> None:
    assert balanced("“Kandahar has been entirely taken over.") == (
        "“Kandahar has been entirely taken over.”"
    )
    assert balanced("This isn’t a complete withdrawal.”") == "“This isn’t a complete withdrawal.”"
    assert balanced('a 12" gun fired') == 'a 12" gun fired'  # inches, not a quotation
    assert balanced('posting "We are encouraged.') == 'posting "We are encouraged."'
    assert balanced('Nothing is left," she said.') == '"Nothing is left," she said.'
    assert balanced("\"A dangerous person,'' Alben said.") == "\"A dangerous person,'' Alben said."
    assert quoted("“We left,” he said.") == "“We left,” he said."
    assert quoted("Price said so.") == "“Price said so.”"


def test_seeds_quotations_are_whole_and_attributed(seeds: dict[str, Any]) -> None:
    story = seeds["story"]
    adds = [a for s in story["sources"] for a in s["adds"]]
    by_text = {a["text"]: a for a in adds}
    whole = (
        "“This isn’t a case of abandonment. This isn’t a mandatory evacuation. "
        "This isn’t a complete withdrawal.”"
    )
    assert by_text[whole]["speaker"] == "Ned Price"
    assert by_text["“Kandahar has been entirely taken over.”"]["speaker"] == "A Taliban spokesman"
    for text in [a["text"] for a in adds] + [f["text"] for f in story["facts"]]:
        assert text.count("“") == text.count("”"), text
    md = to_markdown([story])
    assert "- “Kandahar has been entirely taken over.” — A Taliban spokesman [" in md
    assert "““" not in md and "””" not in md


def test_unknown_outlets_are_said_in_words(seeds: dict[str, Any]) -> None:
    story = seeds["story"]
    names = story["source_names"]
    assert names["000_35127a3aa99a108c"] == "outlet unknown (file 000_35127a3aa99a108c)"
    assert {a["outlet"] for a in story["articles"]} == set(names.values())
    assert all(s["outlet"].startswith("outlet unknown") for s in story["sources"])
    assert [a["source"] for a in story["articles"]]  # the existing keys stay as they were
    md = to_markdown([story])
    assert "(2 independent reports; outlet unknown for 2)" in md
    assert "**outlet unknown (file 000\\_35127a3aa99a108c)** (reported only here):" in md
    # no line names a bare file id as its outlet
    assert not re.search(r"(?<!file )\b00[01]\\_[0-9a-f]{16}\b", md)
    html = to_html([story])
    assert "<h3>outlet unknown (file 000_35127a3aa99a108c)</h3>" in html
    assert "sources (outlet unknown for 2)" in html
    assert not re.search(r"(?<!file )\b00[01]_[0-9a-f]{16}\b(?!\.txt)", html)
    client = TestClient(create_app(seeds["db"]))
    for page in ("/", f"/stories/{story['id']}", f"/articles/{story['articles'][0]['id']}"):
        text = client.get(page).text
        assert "outlet unknown (file 00" in text, page
        assert ">000_35127a3aa99a108c<" not in text and ">001_da1e128feba3e378<" not in text


def test_a_named_outlet_stays_as_it_is() -> None:
    assert outlet_name("BBC News", "examples/kandahar.jsonl:2") == "BBC News"
    assert outlet_name("bbc.co.uk", "pages/001.html") == "bbc.co.uk"
    assert outlet_name("001", "pages/001.html") == "outlet unknown (file 001)"
    assert outlet_name("-", "-") == "outlet unknown"


def test_timeline_lines_say_their_date_and_come_once(seeds: dict[str, Any]) -> None:
    plans = [e for e in seeds["story"]["timeline"] if e["kind"] == "deadline"]
    assert plans and all("September 11" in e["text"] for e in plans if e["date"] == "2021-09-11")
    text = "The Titan had been missing since Sunday."
    art = Article(id="t1", text=f"{text} {text}", source="Wire", sentences=_sentences(text))
    art.sentences.append(Sentence(1, text, len(text) + 1, 2 * len(text) + 1))
    art.times = [
        TimeRef("Sunday", "2023-06-18", 35, 41, 0),
        TimeRef("Sunday", "2023-06-18", 0, 0, 1),
    ]
    facts = [
        {
            "text": text,
            "date": "2023-06-18",
            "status": status,
            "sources": [source],
            "citations": [
                {"article_id": "t1", "sentence": i, "source": source, "text": text},
            ],
        }
        for i, (status, source) in enumerate([("corroborated", "Wire"), ("single", "Herald")])
    ]
    entries = _timeline(facts, {art.id: art})
    assert len(entries) == 1
    assert entries[0]["sources"] == ["Herald", "Wire"] and len(entries[0]["citations"]) == 2


def test_a_verdict_says_how_many_outlets_stand_behind_its_independent_sources() -> None:
    from test_render import briefing

    story = briefing()
    story["facts"][0]["sources"] = ["Local", "Mirror", "Wire"]
    md = to_markdown([story])
    assert "confirmed by 2 independent sources (3 outlets): Local, Mirror, Wire" in md
    story["facts"][0]["sources"] = ["Local", "Wire"]
    assert "confirmed by 2 independent sources: Local, Wire" in to_markdown([story])


def _section(md: str, heading: str) -> str:
    """The Markdown of one section, up to the next heading."""
    if f"## {heading}\n" not in md:
        return ""
    return md.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]


def test_summary_lines_carry_their_verdict_once(seeds: dict[str, Any]) -> None:
    """The seeds' three corroborated facts lead the summary, each with its verdict inline,
    and are not listed again below it; the verdicts are fuse's, as before."""
    story = seeds["story"]

    def verdict(words: str) -> tuple[str, int]:
        [f] = [f for f in story["facts"] if f["text"].startswith(words)]
        return f["status"], f["independent_sources"]

    assert verdict("The Taliban have captured Afghanistan") == ("corroborated", 2)
    assert verdict("The US is to send nearly 3,000 troops") == ("corroborated", 2)
    assert verdict("The UK is deploying 600 troops") == ("corroborated", 2)
    assert verdict("More than 1,000 civilians")[0] == "single"
    assert verdict("An estimated 72,000 children")[0] == "single"
    corroborated = [f for f in story["facts"] if f["status"] == "corroborated"]
    items = {s["fact_id"]: s for s in story["summary"]}
    for f in corroborated:  # the JSON summary item says which fact and verdict it carries
        item = items[f["id"]]
        assert (item["status"], item["independent_sources"]) == ("corroborated", 2)
        assert item["sources"] == f["sources"] and item["origin"] == f["origin"]
    md = to_markdown([story])
    summary = _section(md, "Summary")
    assert (
        "Kandahar, in what is a crushing blow for the government and a major win for the"
        " militants. [1–3] — confirmed by 2 independent sources: 2 files, outlet unknown\n"
    ) in summary
    assert "— confirmed by 2 independent sources: 2 files, outlet unknown; attributed to Ben" in md
    assert "## Confirmed by several sources" not in md  # all three are in the summary
    body = md.split("## References", 1)[0]
    for f in corroborated:
        assert body.count(to_markdown_text(f["text"])) == 1, f["text"]
    html = to_html([story])
    assert html.split("<h2>References</h2>")[0].count("The UK is deploying 600 troops") == 1
    assert "<h2>Confirmed by several sources</h2>" not in html
    assert "confirmed by 2 independent sources: 2 files, outlet unknown" in html


def to_markdown_text(text: str) -> str:
    return text.replace("_", "\\_").replace("*", "\\*")


def test_verdicts_cite_unknown_outlets_compactly(seeds: dict[str, Any]) -> None:
    """No line lists the files of unknown outlets in full more than once: verdicts count
    them ("2 files, outlet unknown"), quotes point to their reference; the file names stand
    once in the Sources table and in the references."""
    md = to_markdown([seeds["story"]])
    for line in md.split("## Sources", 1)[0].splitlines():
        if not line.startswith("**"):  # the per-source heading of "What each source adds"
            assert "outlet unknown (file" not in line, line
    names = {"a": "a", "b": "b", "c": "c", "d": "d", "e": "e", "f1": "outlet unknown (file f1)"}
    assert sources_text(["a", "b"], names) == "a, b"
    assert sources_text(list("abcde"), names) == "a, b, c, d and 1 more"
    assert sources_text(["a", "f1"], names) == "a; outlet unknown (file f1)"
    names["f2"] = "outlet unknown (file f2)"
    assert sources_text(["f1", "a", "f2"], names) == "a; 2 files, outlet unknown"
    # files whose outlet is unknown are counted as reports, not as outlets
    assert "not independently confirmed (2 reports): 2 files, outlet unknown" in md
    assert "(2 outlets)" not in md


def test_quotes_are_what_someone_said(seeds: dict[str, Any]) -> None:
    """The Quotes section leaves out beliefs ("many of them believe they can go to") and
    speakers left as a bare pronoun ("They"), and each quote cites its sentence."""
    quotes = seeds["story"]["quotes"]
    speakers = {q["speaker"] for q in quotes}
    assert "many of them" not in speakers and "They" not in speakers
    assert {"Ned Price", "A Taliban spokesman", "Ben Wallace"} <= speakers
    assert all(len(q["citations"]) == 1 for q in quotes)
    section = _section(to_markdown([seeds["story"]]), "Quotes")
    assert "- **Ned Price**: “In view of the deteriorating security situation in Kabul, we are" in (
        section
    )
    assert "civilian footprint” [" in section  # the comma that led into "Ned Price said" goes
    assert "outlet unknown" not in section


def test_lines_cut_short_stay_out_of_summary_and_adds() -> None:
    """Pages cut mid-sentence (the real-web altman-fired story: "…(but that he was vital to
    the company and", "Backed by billions of dollars from Microsoft (MSF") or a lead-in whose
    sequel is not shown ("…, shared:") make no summary line and no "adds" line."""
    cut = "Greg was told that he was going to be removed (but that he was vital to the company and"
    lines = [
        cut,
        "Backed by billions of dollars from Microsoft (MSF",
        "Giving a blow-by-blow account of the incident, Brockman in a post on X, shared:",
        "The board said Altman was not consistently candid in his communications.",
    ]
    text = " ".join(lines)
    art = Article(id="c1", text=text, source="Wire", sentences=[])
    start = 0
    for i, line in enumerate(lines):
        art.sentences.append(Sentence(i, line, start, start + len(line)))
        start += len(line) + 1
    facts = [
        Fact(f"f{i}", line, "corroborated" if i == 0 else "single", ["Wire"], 2 if i == 0 else 1,
             [Citation("c1", i, "Wire", line)])
        for i, line in enumerate(lines)
    ]  # fmt: skip
    summary = _summary(facts, [art])
    assert [s["text"] for s in summary] == [lines[3]]
    assert [a["text"] for a in _whole_sentences(facts, {"c1": art})] == [lines[3]]
    assert readable("The UK is deploying 600 troops (about 1,000 in all).")
    assert readable("This is the last place many of them believe they can go to.")
    assert readable("Troops in Kabul") and readable("Troops at Kabul's airport: 600")
    assert not readable("") and not readable("—")  # no words: nothing to read
    assert not readable("The minister said:") and not readable("Troops arrived (in Kabul")


def test_a_paragraph_taken_for_a_title_is_cut_to_its_first_sentence() -> None:
    """The real-web altman-fired story's title was a whole first paragraph."""
    para = (
        "New York: OpenAI, the parent firm of ChatGPT, has ousted CEO Sam Altman on Friday. "
        "Within hours, Chairman Greg Brockman also resigned after the tech company’s decision. "
        "After Altman was fired, OpenAI appointed Mira Murati to replace him for the top post."
    )
    art = Article(id="t1", text=para, title=para, source="Wire")
    assert story_title(Story("s1", para, ["t1"]), [art]) == (
        "New York: OpenAI, the parent firm of ChatGPT, has ousted CEO Sam Altman on Friday."
    )
    short = "Mr. Altman ousted. OpenAI names Murati interim CEO"
    assert story_title(Story("s1", short, ["t1"]), [art]) == short


def test_an_add_that_says_he_said_names_him() -> None:
    """ "“…,” he said." alone under "What each source adds" leaves the reader asking who:
    the line carries the quote's resolved speaker (the real-web Titan report's Mauger)."""
    from test_quotes import quotes_of

    text = (
        "Rear Adm. John Mauger, commander of the First Coast Guard District, said that parts "
        "of the submersible were found.\n\n"
        "“The debris is consistent with the catastrophic loss of the pressure chamber,” he said."
    )
    art, quotes = quotes_of(text)
    art.quotes, art.source = quotes, "news.usni.org"
    sent = art.sentences[-1]
    fact = Fact("f1", sent.text, "single", ["news.usni.org"], 1,
                [Citation(art.id, sent.index, "news.usni.org", sent.text)])  # fmt: skip
    [line] = _whole_sentences([fact], {art.id: art})
    assert line["speaker"] == "John Mauger"
    assert "he said. — John Mauger [" in to_markdown([_one_add_story(art, line)])


def _one_add_story(art: Article, line: dict[str, Any]) -> dict[str, Any]:
    from test_render import briefing

    story = briefing()
    story["sources"][0]["adds"] = [line]
    story["articles"][0]["id"] = art.id
    return story


def test_a_summary_line_names_whom_it_is_about() -> None:
    """Real-web mugabe-resigns: "He was accused of positioning his wife…" came right after a
    line about Mnangagwa, so a reader took "he" for him. A line that opens on an unnamed
    person makes no summary line; "many" is no speaker of a quote either."""
    lines = [
        "He was accused of positioning his wife as his successor, BBC News reported.",
        "“They are angry at the government about being left alone,” a resident said.",
        "Mnangagwa is widely expected to take over from the fallen leader.",
        "Robert Mugabe resigned as president of Zimbabwe on Tuesday.",
    ]
    facts = [
        Fact(f"f{i}", line, "corroborated", ["A", "B"], 4 - i, [Citation("m1", i, "A", line)])
        for i, line in enumerate(lines)
    ]
    assert [s["text"] for s in _summary(facts, [])] == lines[2:]
    many = Quote("he has damaged the economy", "many", 0, 10, 0, False, "say")
    assert not _said(many) and _said(dataclasses.replace(many, speaker="Ned Price"))


def test_a_page_cut_short_adds_nothing_from_its_last_line() -> None:
    """Real-web pages end mid-word ("…by staying in pow", "ISRO also said that the communi")
    or on furniture ("Required fields are marked *"): that last line is no "adds" line and
    no quote; a last line that ends its sentence, and a headline without a stop, stay."""
    lines = [
        "Mugabe resigns",
        "He resigned on Tuesday, the speaker said.",
        "But many say he has damaged Zimbabwe’s economy by staying in pow",
    ]
    text = " ".join(lines)
    art = Article(id="c1", text=text, source="Wire", sentences=[])
    for i, line in enumerate(lines):
        start = text.index(line)
        art.sentences.append(Sentence(i, line, start, start + len(line)))
    art.quotes = [Quote("he has damaged", "many people", 0, 1, 2, False, "say")]
    facts = [Fact(f"f{i}", line, "single", ["Wire"], 1, [Citation("c1", i, "Wire", line)])
             for i, line in enumerate(lines)]  # fmt: skip
    assert [a["text"] for a in _whole_sentences(facts, {"c1": art})] == lines[:2]
    assert _quotes([art]) == []
    art.sentences[2].text = lines[2] + "er."
    assert len(_whole_sentences(facts, {"c1": art})) == 3 and len(_quotes([art])) == 1


def test_a_pronoun_is_no_origin_in_any_view() -> None:
    """The parse took "This" for the origin of "This is a crime, he said": JSON, the report
    and the web page all read the briefing, so it is blanked there, once."""
    line, other = "This is a crime against the people.", "Ben Wallace said 600 troops will go."
    art = Article(id="a1", text=f"{line} {other}", source="Wire", sentences=[])
    art.sentences = [Sentence(0, line, 0, len(line)), Sentence(1, other, len(line) + 1, 0)]
    facts = [
        Fact("f0", line, "corroborated", ["Wire", "AFP"], 2, [Citation("a1", 0, "Wire", line)],
             origin="This"),
        Fact("f1", other, "single", ["Wire"], 1, [Citation("a1", 1, "Wire", other)],
             origin="Ben Wallace"),
    ]  # fmt: skip
    story = Story(id="s1", title="Troops", article_ids=["a1"])
    briefing = build_briefing(story, [art], facts)
    assert [f["origin"] for f in briefing["facts"]] == ["", "Ben Wallace"]
    assert all(s["origin"] != "This" for s in briefing["summary"])
    assert "attributed to This" not in to_markdown([briefing]) + to_html([briefing])
