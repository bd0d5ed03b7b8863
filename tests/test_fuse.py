"""fuse_story on hand-built articles: sentences, quantities and times filled in directly."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from newsloom import fuse
from newsloom.clean import clean_article
from newsloom.extract import extract_batch
from newsloom.fuse import (
    _Classes,
    _side_by_side,
    fuse_story,
    quantities_agree,
    shared_wording,
    split_statements,
)
from newsloom.models import (
    Article,
    Derivation,
    Fact,
    Quantity,
    Quote,
    Sentence,
    TimeRef,
    content_id,
)
from newsloom.paraphrase import ParaphraseMatcher
from newsloom.pipeline import Resources

DATA = Path(__file__).parent / "data" / "fuse"


def sentences(text: str) -> list[Sentence]:
    """Split after ., ! or ? followed by a space: enough for hand-written test text."""
    out: list[Sentence] = []
    start = 0
    for m in re.finditer(r"(?<=[.!?])\s+|$", text):
        if m.start() > start:
            out.append(Sentence(len(out), text[start : m.start()], start, m.start()))
        start = m.end()
    return out


def build(spec: dict[str, Any]) -> Article:
    text = spec["text"]
    art = Article(
        id=content_id(text), text=text, source=spec["source"], published=spec["published"]
    )
    art.sentences = sentences(text)
    for q in spec.get("quantities", []):
        start = text.index(q["text"])
        art.quantities.append(
            Quantity(
                q["text"],
                q["value"],
                q["counts"],
                start,
                start + len(q["text"]),
                art.sentence_at(start),
                q.get("qualifier", ""),
                q.get("unit", ""),
            )
        )
    for t in spec.get("times", []):
        start = text.index(t["text"])
        art.times.append(
            TimeRef(t["text"], t["value"], start, start + len(t["text"]), art.sentence_at(start))
        )
    return art


def load(name: str) -> tuple[dict[str, Article], list[Derivation], list[dict[str, Any]]]:
    spec = json.loads((DATA / name).read_text(encoding="utf-8"))
    arts = {a["key"]: build(a) for a in spec["articles"]}
    derivs = [
        Derivation(arts[a["key"]].id, arts[a["derived_from"]].id, "rewrite", 0.9)
        for a in spec["articles"]
        if "derived_from" in a
    ]
    return arts, derivs, spec["expect"]


@pytest.fixture(scope="module")
def matcher(resources: Resources) -> ParaphraseMatcher:
    return resources.matcher


def find_fact(facts: list[Fact], arts: dict[str, Article], cited: dict[str, str]) -> Fact:
    """The fact citing, for every key, a sentence of that article containing the snippet."""
    for fact in facts:
        if all(
            any(c.article_id == arts[k].id and snip in c.text for c in fact.citations)
            for k, snip in cited.items()
        ):
            return fact
    shown = "\n".join(f"{f.status}: {[c.text for c in f.citations]}" for f in facts)
    raise AssertionError(f"no fact cites {cited}; facts:\n{shown}")


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.glob("*.json")))
def test_expected_verdicts(name: str, matcher: ParaphraseMatcher) -> None:
    arts, derivs, expect = load(name)
    facts = fuse_story(list(arts.values()), derivs, matcher)
    for exp in expect:
        fact = find_fact(facts, arts, exp["cited"])
        if "status" in exp:
            assert fact.status == exp["status"], (exp, fact)
        if "not_status" in exp:
            assert fact.status != exp["not_status"], (exp, fact)
        if "independent_sources" in exp:
            assert fact.independent_sources == exp["independent_sources"], (exp, fact)
        if "origin" in exp:
            assert fact.origin == exp["origin"], (exp, fact)
        if "conflict" in exp:
            assert fact.conflict["kind"] == exp["conflict"], (exp, fact)
            assert len({v["source"] for v in fact.conflict["values"]}) == 2
        if "date" in exp:
            assert fact.date == exp["date"], (exp, fact)
        if exp.get("alone"):
            assert len(fact.citations) == 1, (exp, fact)


def test_facts_are_ordered_and_cite_each_statement_once(matcher: ParaphraseMatcher) -> None:
    arts, derivs, _ = load("evacuation.json")
    facts = fuse_story(list(arts.values()), derivs, matcher)
    rank = {"corroborated": 0, "conflict": 1, "single": 2}
    assert [rank[f.status] for f in facts] == sorted(rank[f.status] for f in facts)
    for fact in facts:
        cited = [(c.article_id, c.sentence, c.text) for c in fact.citations]
        assert len(cited) == len(set(cited))
        assert fact.sources == sorted(set(fact.sources))
    troops = find_fact(facts, arts, {"herald": "3,000", "times": "3,000", "copy": "3,000"})
    assert troops.sources == ["Coastal Times", "Northern Herald", "Valley Post"]
    assert troops.text.startswith("Washington") or "Pentagon" in troops.text


def test_fact_ids_are_stable(matcher: ParaphraseMatcher) -> None:
    arts, derivs, _ = load("casualties.json")
    first = [f.id for f in fuse_story(list(arts.values()), derivs, matcher)]
    again = [f.id for f in fuse_story(list(arts.values()), derivs, matcher)]
    assert first == again
    assert len(set(first)) == len(first)


def test_without_derivation_a_verbatim_copy_still_folds_by_its_wording(
    matcher: ParaphraseMatcher,
) -> None:
    """No derivation links the copy to the Herald, but its sentence repeats the Herald's
    wording word for word: one agency sentence on two sites is one source."""
    arts, _, _ = load("evacuation.json")
    facts = fuse_story(list(arts.values()), [], matcher)
    fact = find_fact(facts, arts, {"herald": "Pentagon", "copy": "Pentagon"})
    assert fact.independent_sources == 2


def test_shared_wording_links_repeated_runs_quotations_and_light_edits() -> None:
    """One text carried by several pages is one source: a run of eight words (quoted words
    too: "conduits fold"), or most content words in the same order; a negation is no edit."""
    keys = shared_wording(
        [
            "Wild celebrations broke out at a joint sitting of parliament when the Speaker spoke.",
            "Parliament erupted as the Speaker read the letter.",
            "Wild celebrations broke out at the joint sitting of parliament when the Speaker spoke",
            "“I swear that as the president of the republic I will be faithful,” he said.",
            '"I swear that as the president of the republic I will be faithful," he said.',
            "Signature Bank had $110 billion in assets at the end of last year, filings say.",
            "Signature Bank had $110 billion of assets at the end of the last year, filings say.",
            "Signature Bank did not have $110 billion of assets at the end of 2022, filings say.",
            "Regulators closed Signature Bank, which had about $110 billion in assets.",
        ]
    )
    assert keys[0] and keys[0] == keys[2] and not keys[1]
    assert keys[3] and keys[3] == keys[4]
    assert keys[5] and keys[5] == keys[6] and keys[7] != keys[5] and not keys[8]


def test_origin_from_quote_and_patterns() -> None:
    text = (
        "Fighting is spreading to the north, according to the UN. "
        '"We will not leave," the mayor told reporters on Friday. '
        "A Taliban spokesman tweeted that the fighters had reached the main square."
    )
    art = Article(id="a1", text=text, source="S", sentences=sentences(text))
    start = text.index("We will")
    art.quotes = [Quote("We will not leave,", "Mayor Hamid Noori", start, start + 18, 1)]
    origins = [st.origin for st in split_statements(art, 0)]
    assert origins == ["UN", "Mayor Hamid Noori", "Taliban spokesman"]


def test_long_sentences_split_into_clauses() -> None:
    text = (
        "The army said it had retaken the district and cleared the main road to the border "
        "crossing overnight, while local officials reported that heavy fighting continued in "
        "three villages to the south of the town."
    )
    art = Article(id="a2", text=text, source="S", sentences=sentences(text))
    parts = split_statements(art, 0)
    assert len(parts) == 2
    assert parts[1].text.startswith("while local officials")
    assert all(p.sentence == 0 for p in parts)
    assert text[parts[1].start : parts[1].end] == parts[1].text


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ((3000, "troops", ""), (3000, "troops", "nearly"), True),
        ((13, "people", ""), (12, "people", ""), False),
        ((100, "people", "more than"), (140, "people", ""), True),
        ((100, "people", "more than"), (80, "people", ""), False),
        ((12, "capitals", ""), (33.3, "capitals", "about"), None),  # unit differs below
        ((5, "people", ""), (5, "vehicles", ""), None),
    ],
)
def test_quantities_agree(
    a: tuple[float, str, str], b: tuple[float, str, str], expected: bool | None
) -> None:
    qa = Quantity("", a[0], a[1], 0, 1, 0, a[2])
    qb = Quantity("", b[0], b[1], 0, 1, 0, b[2], "%" if b[0] == 33.3 else "")
    assert quantities_agree(qa, qb) is expected


def test_derivations_fold_transitively(matcher: ParaphraseMatcher) -> None:
    arts, derivs, _ = load("evacuation.json")
    spec = {
        "source": "Hill Gazette",
        "published": "2021-08-15",
        "text": "The Pentagon said that 3,000 American troops would be flown to Kabul within "
        "two days to evacuate embassy staff.",
    }
    third = build(spec)
    chain = [*derivs, Derivation(third.id, arts["copy"].id, "rewrite", 0.9)]
    group = [arts["herald"], arts["copy"], third]
    fact = find_fact(
        fuse_story(group, chain, matcher),
        {"h": group[0], "g": third},
        {"h": "Pentagon", "g": "Pentagon"},
    )
    assert len(fact.citations) == 3
    assert fact.independent_sources == 1 and fact.status == "single"


# ---------------------------------------------------------------- on parsed articles


def parsed(resources: Resources, *specs: tuple[str, str, str, str]) -> list[Article]:
    """Articles (source, url, published, text) through the real cleaning and extraction."""
    raw = [
        Article(id=content_id(text + url), text=text, source=src, url=url, published=when)
        for src, url, when, text in specs
    ]
    return extract_batch([clean_article(a) for a in raw], resources.nlp, resources.gazetteer)


def fact_citing(facts: list[Fact], *snippets: str) -> Fact:
    for fact in facts:
        if all(any(s in c.text for c in fact.citations) for s in snippets):
            return fact
    shown = "\n".join(f"{f.status}: {[c.text for c in f.citations]}" for f in facts)
    raise AssertionError(f"no fact cites {snippets}; facts:\n{shown}")


def test_a_shared_claim_inside_other_clauses_is_corroborated(
    resources: Resources, matcher: ParaphraseMatcher
) -> None:
    arts = parsed(
        resources,
        ("Lake Herald", "https://lakeherald.example/a", "2024-05-06",
         "Aid groups warned of a crisis as the rebels seized control of Goma, the largest city "
         "in the east, leaving the army in retreat."),
        ("Capital Times", "https://capitaltimes.example/b", "2024-05-06",
         "The rebels have captured Goma, in what is a major blow to the government."),
    )  # fmt: skip
    fact = fact_citing(fuse_story(arts, [], matcher), "seized control of Goma", "captured Goma")
    assert fact.status == "corroborated" and fact.independent_sources == 2


def test_a_name_and_its_initials_are_one_participant(
    resources: Resources, matcher: ParaphraseMatcher
) -> None:
    arts = parsed(
        resources,
        ("Coast Post", "https://coastpost.example/a", "2024-05-06",
         "A magnitude 5.9 earthquake shook southern Peru near Arequipa on Monday, the US "
         "Geological Survey said. Schools were closed in Arequipa."),
        ("Andes Wire", "https://andeswire.example/b", "2024-05-06",
         "An earthquake of magnitude 5.9 struck near Arequipa in southern Peru on Monday, "
         "according to the USGS. Roads were blocked by rocks."),
    )  # fmt: skip
    fact = fact_citing(fuse_story(arts, [], matcher), "US Geological Survey", "USGS")
    assert fact.status == "corroborated" and fact.independent_sources == 2


def test_a_rising_toll_is_an_update_and_a_same_time_one_a_conflict(
    resources: Resources, matcher: ParaphraseMatcher
) -> None:
    arts = parsed(
        resources,
        ("A", "https://a.example/1", "2024-05-06T08:00", "At least 50 people were killed in the "
         "landslide in the village of Kamanyola, officials said."),
        ("B", "https://b.example/1", "2024-05-06T14:00", "The landslide in Kamanyola killed 73 "
         "people, officials said."),
        ("C", "https://c.example/1", "2024-05-07T09:00", "More than 100 people were killed in "
         "the Kamanyola landslide, officials said on Tuesday."),
    )  # fmt: skip
    facts = fuse_story(arts, [], matcher)
    toll = fact_citing(facts, "At least 50", "73", "More than 100")
    assert toll.status == "update"
    assert [u["number"] for u in toll.updates] == [50, 73, 100]
    assert [u["time"] for u in toll.updates] == [a.published for a in arts]
    same_time = parsed(
        resources,
        ("A", "https://a.example/2", "2024-05-06", "Thirteen people were killed in the landslide "
         "in Kamanyola, police said."),
        ("B", "https://b.example/2", "2024-05-06", "The landslide in Kamanyola killed 12 people, "
         "police said."),
    )  # fmt: skip
    fact = fact_citing(fuse_story(same_time, [], matcher), "Thirteen", "12 people")
    assert fact.status == "conflict" and fact.conflict["kind"] == "number"


def test_undated_toll_reports_meet_as_one_update_whatever_else_they_say(
    resources: Resources, matcher: ParaphraseMatcher
) -> None:
    """Tolls inside unrelated-looking sentences of undated pages join one fact (a toll is a
    claim of its own); undated different tolls are updates, oldest figure first; a toll of
    another time ("in 1999") stays out."""
    arts = parsed(
        resources,
        ("A", "https://a.example/t", "", "The blasts killed eight people, including a girl, "
         "the minister told a press conference in Beirut."),
        ("B", "https://b.example/t", "", "Officials in the capital said 2,800 people were "
         "injured and nine people were killed in what the group called an attack."),
        ("C", "https://c.example/t", "", "More than 17,000 people were killed in the 1999 "
         "earthquake in the region."),
    )  # fmt: skip
    facts = fuse_story(arts, [], matcher)
    toll = fact_citing(facts, "eight people", "nine people")
    assert toll.status == "update"
    assert [u["number"] for u in toll.updates] == [8, 9]
    assert not any("17,000" in c.text for c in toll.citations)


def test_two_figures_of_one_kind_in_a_statement_are_not_a_conflict(
    resources: Resources, matcher: ParaphraseMatcher
) -> None:
    """A statement of "$110.4 billion in assets and $88.6 billion in deposits" agrees with
    "$110.36 billion in assets": the deposits figure has nothing to contradict."""
    arts = parsed(
        resources,
        ("A", "https://a.example/b", "2023-03-13", "As of Dec. 31, the bank had approximately "
         "$110.36 billion in assets, according to the state regulator."),
        ("B", "https://b.example/b", "2023-03-13", "As of Dec. 31, the bank had $110.4 billion "
         "in total assets and $88.6 billion in total deposits, according to a filing."),
    )  # fmt: skip
    facts = fuse_story(arts, [], matcher)
    assert not [f for f in facts if f.status == "conflict"]


def test_negation_conflict_needs_the_same_action(
    resources: Resources, matcher: ParaphraseMatcher
) -> None:
    """A statement that "has not won a major title" beside one "still in search of a trophy"
    negates no action the other affirms."""
    arts = parsed(
        resources,
        ("A", "https://a.example/n", "2024-07-14", "The result leaves the England team still in "
         "search of a major trophy since the 1966 World Cup triumph."),
        ("B", "https://b.example/n", "2024-07-14", "England has not won a major title since "
         "the 1966 World Cup triumph."),
    )  # fmt: skip
    assert not [f for f in fuse_story(arts, [], matcher) if f.conflict.get("kind") == "negation"]


def test_a_negation_conflict_is_a_denial_of_the_same_words(
    resources: Resources, matcher: ParaphraseMatcher
) -> None:
    """ "We still don't know who did this or why" against "we'll find out why they did this"
    (two real pages of one story) share a topic, not a statement one of them denies; a denial
    that repeats the statement it denies is still a conflict."""
    arts = parsed(
        resources,
        ("A", "https://a.example/n", "2013-04-16", "“We still don’t know who did this or why,” "
         "Obama said."),
        ("B", "https://b.example/n", "2013-04-16", "We’ll find out why they did this."),
        ("C", "https://c.example/n", "2013-04-16", "Local commander Ahmad Wali was killed in "
         "the fighting near the airport."),
        ("D", "https://d.example/n", "2013-04-16", "Local commander Ahmad Wali was not killed in "
         "the fighting near the airport, his family said."),
    )  # fmt: skip
    denials = [f for f in fuse_story(arts, [], matcher) if f.conflict.get("kind") == "negation"]
    assert [sorted(v["text"][:10] for v in f.conflict["values"]) for f in denials] == [
        ["Local comm", "Local comm"]
    ]


def test_look_alike_figures_and_negations_are_not_conflicts(
    resources: Resources, matcher: ParaphraseMatcher
) -> None:
    arts = parsed(
        resources,
        ("A", "https://a.example/3", "2024-05-08",
         "PARIS, March 24 (AFP) - Boeing grounded its 737 MAX 8 jets on Tuesday. "
         "Biden won 306 electoral votes to Trump’s 232. "
         "The airline said the crash wasn’t caused by the weather."),
        ("B", "https://b.example/3", "2024-05-08",
         "Boeing grounded its MAX 9 jets on Tuesday. "
         "Joe Biden secured 306 electoral votes, while Donald Trump got 232. "
         "The airline said the crash wasn't caused by the weather."),
    )  # fmt: skip
    facts = fuse_story(arts, [], matcher)
    assert not [f for f in facts if f.status == "conflict"], [f.conflict for f in facts]
    same = fact_citing(facts, "wasn’t caused", "wasn't caused")  # one wording: one source
    assert same.status == "single" and len(same.citations) == 2


def test_two_pages_of_one_site_are_one_source(
    resources: Resources, matcher: ParaphraseMatcher
) -> None:
    arts = parsed(
        resources,
        ("Herald", "https://www.herald.example/news/1", "2024-05-06",
         "The ferry capsized on Lake Kivu near Goma with 120 passengers on board."),
        ("Herald Live", "https://live.herald.example/updates/7", "2024-05-06",
         "A ferry with 120 passengers on board capsized on Lake Kivu near Goma."),
    )  # fmt: skip
    fact = fact_citing(fuse_story(arts, [], matcher), "ferry capsized", "capsized on Lake")
    assert fact.independent_sources == 1 and fact.status == "single"


def test_a_sentence_stating_one_claim_twice_does_not_trip_the_index(
    resources: Resources, matcher: ParaphraseMatcher
) -> None:
    """A page that repeats a clause inside one sentence (as a stored real page does): the
    second claim meets the first's fact before the sentence's vector is stored."""
    arts = parsed(
        resources,
        ("A", "https://a.example/4", "2023-09-09",
         "The US Geological Survey recorded the earthquake at 11:11 p.m., The US Geological "
         "Survey recorded the earthquake at 11:11 p.m., Morocco's government said."),
    )  # fmt: skip
    facts = fuse_story(arts, [], matcher)
    assert facts and all(f.status == "single" for f in facts)


def _status_of(facts: list[Fact], *snippets: str) -> str:
    """The status of the fact citing all snippets, "apart" when no fact cites them together."""
    for fact in facts:
        if all(any(s in c.text for c in fact.citations) for s in snippets):
            return fact.status
    return "apart"


def test_a_sentence_sharing_only_a_side_part_does_not_corroborate(
    resources: Resources, matcher: ParaphraseMatcher
) -> None:
    """The audit's minor_part error: a page that only says "Mugabe resigned" does not back
    "Mnangagwa was nominated after Mugabe resigned"; a page with the main claim does."""
    arts = parsed(
        resources,
        ("Daily Mail", "https://dailymail.example/a", "2017-11-24",
         "Mnangagwa, 75, was nominated for president by the ruling ZANU-PF party after Robert "
         "Mugabe resigned following an intervention by the military last week."),
        ("Jalili", "https://jalili.example/b", "2017-11-24",
         "Emmerson Mnangagwa, a former vice president of Zimbabwe, has been officially sworn "
         "in as the country's new president, days after long-time ruler Robert Mugabe resigned "
         "under pressure."),
        ("Herald", "https://herald.example/c", "2017-11-24",
         "The ruling ZANU-PF party nominated Mnangagwa, 75, for president after Robert Mugabe "
         "resigned."),
    )  # fmt: skip
    assert _status_of(fuse_story(arts[:2], [], matcher), "was nominated", "sworn in") in (
        "single",
        "apart",
    )
    fact = fact_citing(fuse_story(arts, [], matcher), "was nominated", "nominated Mnangagwa")
    assert fact.status == "corroborated" and fact.independent_sources == 2


def test_no_comment_boilerplate_makes_no_fact(
    resources: Resources, matcher: ParaphraseMatcher
) -> None:
    arts = parsed(
        resources,
        ("Money", "https://money.example/a", "2023-03-12",
         "Regulators closed Signature Bank on Sunday. Representatives for Signature Bank did "
         "not immediately respond to a request for comment."),
        ("Weird", "https://weird.example/b", "2023-03-12",
         "Signature Bank was closed by regulators on Sunday. Signature Bank representatives "
         "didn't immediately respond to a request for comment."),
    )  # fmt: skip
    facts = fuse_story(arts, [], matcher)
    assert not any("request for comment" in c.text for f in facts for c in f.citations)
    assert fact_citing(facts, "Regulators closed", "was closed").status == "corroborated"


def test_figures_of_two_things_are_neither_a_conflict_nor_an_update(
    resources: Resources, matcher: ParaphraseMatcher
) -> None:
    """A page that gives both figures side by side shows they count two things (two quakes
    of one day; a venue's dead and the total), and a part of the whole is no step of a toll."""
    arts = parsed(
        resources,
        ("A", "https://a.example/q", "2023-02-06", "A magnitude 7.8 earthquake struck southern "
         "Turkey before dawn. Hours later a magnitude 7.5 quake hit the same region."),
        ("B", "https://b.example/q", "2023-02-06", "The magnitude 7.5 earthquake struck "
         "southern Turkey on Monday, officials said."),
        ("C", "https://c.example/q", "2023-02-06", "The magnitude 7.8 earthquake struck "
         "southern Turkey on Monday, officials said."),
    )  # fmt: skip
    facts = fuse_story(arts, [], matcher)
    assert not [f for f in facts if f.status in ("conflict", "update")], [f.conflict for f in facts]
    tolls = parsed(
        resources,
        ("A", "https://a.example/l", "", "Eighteen people were killed in the shootings, police "
         "said. Eight people were killed at the bowling alley and seven at the bar."),
        ("B", "https://b.example/l", "", "The gunman killed 18 people in the shootings, police "
         "said on Thursday."),
        ("C", "https://c.example/l", "", "Seven people were killed at the bar, police said."),
    )  # fmt: skip
    facts = fuse_story(tolls, [], matcher)
    assert not [f for f in facts if f.status in ("conflict", "update")], [f.updates for f in facts]
    total = fact_citing(facts, "Eighteen people", "18 people")
    assert total.status == "corroborated"
    assert not any("Seven people" in c.text for c in total.citations)


def test_pages_of_one_organisation_or_one_wire_are_one_source(
    resources: Resources, matcher: ParaphraseMatcher
) -> None:
    """bbc.com and bbc.co.uk are one organisation; a page crediting Reuters in its dateline
    is one source with reuters.com."""
    arts = parsed(
        resources,
        ("BBC", "https://www.bbc.com/news/1", "2024-05-06",
         "The ferry capsized on Lake Kivu near Goma with 120 passengers on board."),
        ("BBC UK", "https://www.bbc.co.uk/news/2", "2024-05-06",
         "A ferry carrying 120 passengers capsized on Lake Kivu close to Goma."),
        ("Reuters", "https://www.reuters.com/world/3", "2024-05-06",
         "Rescuers pulled 40 survivors from the water after the ferry sank near Goma."),
        ("Daily", "https://dailynews.example/4", "2024-05-06",
         "GOMA, May 6 (Reuters) - Rescue teams pulled 40 survivors from the lake after the "
         "ferry went down near Goma."),
    )  # fmt: skip
    facts = fuse_story(arts, [], matcher)
    assert fact_citing(facts, "ferry capsized", "capsized on Lake").independent_sources == 1
    rescue = fact_citing(facts, "40 survivors", "40 survivors from the lake")
    assert rescue.independent_sources == 1 and rescue.status == "single"


def test_a_member_backs_the_shown_claim_only_with_its_figure() -> None:
    """A member that shares the wording of a shown claim but not its figure backs only a side
    part of it ("owns 49% ... and Nadella hinted" is not backed by Nadella's hint alone)."""
    from dataclasses import replace

    from newsloom.compare import ClaimKey, Value
    from newsloom.fuse import Statement, _carries

    own = ClaimKey("own", "microsoft", "", frozenset({"microsoft"}), frozenset({"openai"}),
                   frozenset(), False, True)  # fmt: skip
    stake = Value("%", "%", 49.0, 49.0, 49.0, verb="own")
    shown = Statement(0, 0, "Microsoft owns about 49% of OpenAI, and CEO Satya Nadella "
                      "indicated that Altman might return to OpenAI", 0, 90)  # fmt: skip
    shown.claims, shown.claim_values, shown.values = [own], [[stake]], [stake]
    hint = Statement(1, 0, "Microsoft CEO Satya Nadella said he would be open to Altman "
                     "returning to OpenAI", 0, 80)  # fmt: skip
    assert not _carries(shown, own, hint)
    both = Statement(2, 0, "Microsoft, which owns 49% of OpenAI, saw CEO Satya Nadella "
                     "indicate that Altman might return", 0, 80)  # fmt: skip
    both.values = [Value("%", "%", 49.0, 49.0, 49.0)]
    assert _carries(shown, own, both)
    pieces = replace(shown, text="The team found five major pieces of debris off the Titan")
    five = Value("piece", "", 5.0, 5.0, 5.0)
    pieces.claims, pieces.claim_values, pieces.values = [own], [[five]], [five]
    fragments = Statement(3, 0, "Five major fragments of debris of the Titan were found", 0, 50)
    fragments.values = [Value("fragment", "", 5.0, 5.0, 5.0)]
    assert _carries(pieces, own, fragments)  # the same number in other words


def test_a_figure_of_a_side_clause_backs_nothing() -> None:
    """The same figure backs the shown claim only when the claim gives it: a sentence that
    shares the race's length with "carry away the injured while stragglers in the 26.2-mile
    race were rerouted" does not back the carrying away."""
    from newsloom.compare import ClaimKey, Value
    from newsloom.fuse import Statement, _carries

    carry = ClaimKey("carry", "authority", "injured", frozenset(), frozenset(), frozenset(),
                     False, True)  # fmt: skip
    reroute = ClaimKey("reroute", "", "straggler", frozenset(), frozenset(), frozenset(),
                       False, False)  # fmt: skip
    race = Value("length", "length", 42164.8, 42164.8, 42164.8)
    shown = Statement(0, 0, "Authorities went onto the course to carry away the injured while "
                      "stragglers in the 26.2-mile race were rerouted", 0, 100)  # fmt: skip
    shown.claims, shown.claim_values, shown.values = [carry, reroute], [[], [race]], [race]
    shown.primary = 0
    runners = Statement(1, 0, "Some 27,000 runners took part in the 26.2-mile race", 0, 50)
    runners.values = [Value("runner", "", 27000.0, 27000.0, 27000.0), race]
    assert not _carries(shown, carry, runners)
    assert _carries(shown, reroute, runners)  # the rerouting's own race is the same race
    # shown for another of its claims: a reader takes it for its main clause, which has no race
    assert not _carries(shown, None, runners)
    shown.primary = -1
    assert _carries(shown, None, runners)  # no main claim known: any shared figure


def test_an_amount_of_something_is_that_something(resources: Resources) -> None:
    """Hundreds of pagers exploding and the pagers exploding have one participant: the
    pagers, not "hundreds" (which would read as another participant and part the claims)."""
    from newsloom.compare import claims_match

    arts = parsed(
        resources,
        ("A", "https://a.example/p", "2024-09-17",
         "On Tuesday, hundreds of handheld pagers exploded across Lebanon and Syria."),
        ("B", "https://b.example/p", "2024-09-17",
         "The pagers used by Hezbollah members exploded in Lebanon on Tuesday."),
    )  # fmt: skip
    (a,), (b,) = (split_statements(art, i) for i, art in enumerate(arts))
    ka = [k for k in a.claims if k.verb == "explode"]
    kb = [k for k in b.claims if k.verb == "explode"]
    assert ka and kb and ka[0].patient == "pager"
    assert claims_match(ka[0], kb[0], loose=True) > 0  # no participant that differs


def test_first_pair_finds_the_pair_a_full_scan_finds() -> None:
    """The conflict checks try only the pairs of keys that differ, and one member of each
    signature: the pair they find is the first one a scan of every pair finds."""
    import random

    from newsloom.fuse import _first_pair, _firsts

    rng = random.Random(3)
    for _ in range(300):
        items = [(rng.randrange(4), rng.randrange(3), k) for k in range(rng.randrange(12))]

        def differ(a: int, b: int) -> bool:
            return (a + b) % 3 == 0 and a != b

        def test(x: tuple[int, int, int], y: tuple[int, int, int]) -> bool:
            return x[1] != y[1] or x[1] == 0

        scan = next(
            (
                (x, y)
                for i, x in enumerate(items)
                for y in items[i + 1 :]
                if differ(x[0], y[0]) and test(x, y)
            ),
            None,
        )
        firsts = _firsts(items, lambda x: (x[0], x[1]))
        assert _first_pair([(x[0], x) for x in items], differ, test) == scan
        assert _first_pair([(x[0], x) for x in firsts], differ, test) == scan
        assert _first_pair([(x[0], x) for x in items], differ, test, lambda x: x[:2]) == scan


def test_facts_read_out_as_articles_arrive_equal_those_of_one_go(
    resources: Resources, matcher: ParaphraseMatcher
) -> None:
    """What a fact's verdict keeps of its members is carried from one read-out to the next
    (`fuse._Memo`): the facts equal those of the story read in one go, and no verdict
    outlives its read-out (a later `fact_of_group` sees the fact as it is then)."""
    from newsloom.fuse import StoryFacts
    from newsloom.nlp import load_static_embedder

    arts = parsed(
        resources,
        ("Lake Herald", "https://lakeherald.example/1", "2024-05-06",
         "A ferry carrying 120 passengers capsized on Lake Kivu near Goma on Monday. At least "
         "12 people died, officials said."),
        ("Capital Times", "https://capitaltimes.example/2", "2024-05-06",
         "An overloaded ferry sank on Lake Kivu close to Goma on Monday, police said. Twelve "
         "people died in the accident."),
        ("BBC", "https://www.bbc.com/news/3", "2024-05-07",
         "A ferry carrying 120 passengers capsized on Lake Kivu near Goma on Monday, the "
         "governor said. The toll rose to 27 people."),
        ("BBC UK", "https://www.bbc.co.uk/news/4", "2024-05-07",
         "The passenger ferry overturned on Lake Kivu off Goma on Monday. At least 27 people "
         "died, the governor said."),
        ("Reuters", "https://www.reuters.com/world/5", "2024-05-07",
         "A ferry capsized on Lake Kivu near the city of Goma on Monday, killing 27 people, "
         "the provincial governor said."),
        ("Daily", "https://dailynews.example/6", "2024-05-08",
         "GOMA, May 8 (Reuters) - A ferry capsized on Lake Kivu near the city of Goma on "
         "Monday, killing 27 people, the provincial governor said."),
        ("Lake News", "https://lakenews.example/7", "2024-05-08",
         "A ferry capsized on Lake Kivu near the city of Goma on Monday, the governor said."),
    )  # fmt: skip
    late = arts.pop()
    embed = load_static_embedder().embed
    grown = StoryFacts()
    for art in arts:
        grown.add(art, embed, matcher)
        grown.pop_changes()
        assert not grown._verdicts
        for g, memo in grown._memos.items():  # kept figure classes = those of all at once
            members = grown.groups[g].members
            fresh = _Classes()
            fresh.update(grown, members)
            pages = sorted({grown.statements[s].article for s, _ in members})
            kept = _classes_read(grown, memo.classes, memo.arts)
            assert kept == _classes_read(grown, fresh, pages)
    assert any(len(t.classes) >= 2 for m in grown._memos.values() for t in m.classes.things)
    facts = grown.facts()
    assert not grown._verdicts
    assert facts == fuse_story(arts, [], matcher)
    shared = [g.seq for g in grown.groups if len(g.articles) > 1 and g.seq not in grown.merged]
    assert shared and any(f.independent_sources >= 2 for f in facts)
    cited = {g: len(grown.fact_of_group(g).citations) for g in shared}
    grown.add(late, embed, matcher)
    assert any(len(grown.fact_of_group(g).citations) > n for g, n in cited.items())


def _classes_read(index: Any, classes: Any, arts: list[int]) -> list[Any]:
    """What `fuse._Classes` holds, as plain values: per thing, per class its time, value,
    members and current members, and the pairs of figures the fact's pages (`arts`) give
    side by side."""
    return [
        (
            [(c.when, c.value, c.main + c.later, c.current(index)) for c in t.classes],
            sorted(_side_by_side(index, arts, t, 0)),
        )
        for t in classes.things
    ]


def test_an_early_toll_does_not_back_the_later_one() -> None:
    """Two figures of one toll are compatible only when they can be one report of it: "at
    least 8" and "9", "more than 60" and "at least 60"; not two different lower bounds ("at
    least 60" then "at least 100"), an estimate and a later count ("about 2,750" / "2,800"),
    or a bound far from a count. A bare count ("up to 100 people" held hostage) is no figure
    of a toll, and a toll's holder as a parse reads it does not part its figures."""
    from newsloom.compare import Value
    from newsloom.fuse import _clash, _compatible

    inf = float("inf")

    def toll(point: float, lo: float, hi: float, verb: str = "kill", holder: str = "") -> Value:
        return Value("people", "", point, lo, hi, holder, verb, "", (lo, hi) != (point, point))

    assert _compatible(toll(8, 8, inf), toll(9, 9, 9))
    assert _compatible(toll(60, 60, inf), toll(60, 60, inf))
    assert not _compatible(toll(60, 60, inf), toll(100, 100, inf))
    assert not _compatible(toll(60, 60, inf), toll(100, 100, 100))
    assert not _compatible(toll(2750, 2475, 3025, "injure"), toll(2800, 2660, 2940, "injure"))
    assert not _compatible(toll(100, 0, 100, ""), toll(100, 100, inf))
    shown = [toll(100, 100, inf)]
    assert _clash(shown, [toll(60, 60, inf)])
    assert _clash(shown, [toll(15, 15, inf), toll(100, 0, 100, "")])  # 100 held hostage
    assert not _clash(shown, [toll(100, 100, inf, holder="paris")])
    assert _clash([toll(60, 60, inf, holder="moscow")], [toll(40, 40, 40, holder="russia")])
    assert not _clash([toll(100, 100, 100, "")], [toll(15, 15, inf), toll(100, 0, 100, "")])
    # Not a toll: a rounding and a near bound still agree ("$110.36 billion" / "$110 billion").
    assert _compatible(Value("dollar", "$", 110.36e9, 110.36e9, 110.36e9),
                       Value("dollar", "$", 110e9, 104.5e9, 115.5e9))  # fmt: skip


def test_an_early_toll_page_leaves_the_later_toll_fact(
    resources: Resources, matcher: ParaphraseMatcher
) -> None:
    """An early page's "at least 60 killed" is no backing of "at least 100 killed"."""
    arts = parsed(
        resources,
        ("Early", "https://early.example/c", "2015-11-13",
         "At least 60 people were killed in the attack on the Bataclan concert hall, police say."),
        ("Later", "https://later.example/c", "2015-11-14",
         "At least 100 people were killed in the attack on the Bataclan concert hall, police say."),
        ("Third", "https://third.example/c", "2015-11-14",
         "Police said at least 100 people were killed in the attack on the Bataclan concert hall"),
    )  # fmt: skip
    facts = fuse_story(arts, [], matcher)
    later = fact_citing(facts, "At least 100 people were", "Police said at least 100")
    if later.status == "update":  # one figure that rose: each step with its time
        assert [u["number"] for u in later.updates] == [60.0, 100.0]
    else:
        assert later.status == "corroborated" and later.independent_sources == 2
        assert not any("At least 60" in c.text for c in later.citations)


def test_a_titled_speaker_does_not_dispute_the_claim(
    resources: Resources, matcher: ParaphraseMatcher
) -> None:
    """Different holders of one title withhold corroboration only as participants of one
    claim: the vice president who said Mugabe should resign does not dispute "president
    Robert Mugabe resigns"."""
    arts = parsed(
        resources,
        ("Citizen", "https://citizen.example/a", "2017-11-21",
         "Zimbabwe president Robert Mugabe resigns after 37 years in power. Recently fired vice "
         "president Emmerson Mnangagwa earlier said Mugabe should resign immediately."),
        ("Beast", "https://beast.example/b", "2017-11-21",
         "Zimbabwean President Robert Mugabe resigned on Tuesday, the speaker of parliament "
         "announced, halting the impeachment debate."),
    )  # fmt: skip
    facts = fuse_story(arts, [], matcher)
    fact = fact_citing(facts, "Robert Mugabe resigns", "Robert Mugabe resigned on Tuesday")
    assert fact.status == "corroborated" and fact.independent_sources == 2


def test_a_long_name_is_no_shared_wording() -> None:
    """Two reports that both name "the National Council for the Safeguard of the Homeland"
    share a name, not a text; a sentence carried word for word still shares its wording."""
    keys = shared_wording(
        [
            "General Tchiani appeared on television and declared himself head of the "
            "National Council for the Safeguard of the Homeland.",
            "Tchiani, the chief of the guard, has been appointed president of the National "
            "Council for the Safeguard of the Homeland.",
            "Soldiers blockaded the presidential palace early on Wednesday and detained the "
            "president, officials said.",
            "Soldiers blockaded the presidential palace early on Wednesday and detained the "
            "president, a source told Reuters.",
        ]
    )
    assert keys[0] == keys[1] == ""
    assert keys[2] and keys[2] == keys[3]


def test_a_short_claim_inside_a_long_report_is_backed() -> None:
    """A member that gives nearly all of a short shown statement's words backs it, however
    much else it reports; one that gives only some of them does not."""
    from newsloom.fuse import Statement, _carries

    shown = Statement(0, 0, "Rebels seized the airport in Goma on Monday.", 0, 45)
    text = (
        "Aid groups warned of a humanitarian crisis in the east after rebels seized the airport "
        "in Goma on Monday, as the army retreated toward Bukavu and thousands of civilians fled "
        "across the border into Rwanda."
    )
    long = Statement(1, 0, text, 0, len(text))
    assert _carries(shown, None, long)
    text = (
        "Aid groups warned of a humanitarian crisis in the east as rebels neared Goma, the army "
        "retreated toward Bukavu and thousands of civilians fled across the border into Rwanda."
    )
    part = Statement(2, 0, text, 0, len(text))
    assert not _carries(shown, None, part)


def test_a_claim_with_both_parties_or_a_surname_backs_the_shown_one() -> None:
    """A member whose claim has the shown main claim's action and both its participants
    backs it, though a long shown sentence shares few of its words ("no losses will be
    borne by the taxpayer" inside the regulators' joint statement); so does one naming a
    participant by surname only ("he had sacked Mnangagwa" for "Mugabe had fired Emmerson
    Mnangagwa"). The same action with one participant named differently does not."""
    from newsloom.compare import ClaimKey
    from newsloom.fuse import Statement, _carries

    def claim(verb: str, agent: str, patient: str, names: str = "") -> ClaimKey:
        named = frozenset(x for x in names.split(",") if x)
        return ClaimKey(verb, agent, patient, frozenset(), named, frozenset(), False, True)

    bear = claim("bear", "taxpayer", "loss")
    text = (
        "The U.S. Treasury Department and other bank regulators said in a joint statement on "
        "Sunday that all depositors of Signature Bank will be made whole, and no losses will "
        "be borne by the taxpayer"
    )
    shown = Statement(0, 0, text, 0, len(text))
    shown.claims, shown.claim_values, shown.primary = [bear], [[]], 0
    member = Statement(1, 0, "As with the resolution of Silicon Valley Bank, no losses will be "
                       "borne by the taxpayer, the regulators said", 0, 100)  # fmt: skip
    member.claims = [claim("bear", "taxpayer", "loss")]
    assert _carries(shown, bear, member)
    member.claims = [claim("bear", "depositor", "loss")]
    assert not _carries(shown, bear, member)

    fired = claim("dismiss", "mugabe", "mnangagwa", "emmerson mnangagwa")
    shown = Statement(0, 0, "Earlier this month, Mugabe had fired Mnangagwa as vice president "
                      "in a power struggle with his wife, Grace Mugabe.", 0, 120)  # fmt: skip
    shown.claims, shown.claim_values, shown.primary = [fired], [[]], 0
    sacked = Statement(1, 0, "The 93-year-old was ousted when the military intervened after he "
                       "had sacked Mnangagwa as vice president on November 6.", 0, 120)  # fmt: skip
    sacked.claims = [claim("dismiss", "", "mnangagwa", "mnangagwa")]
    assert _carries(shown, fired, sacked)
    sacked.claims = [claim("dismiss", "", "chiwenga", "constantino chiwenga")]
    assert not _carries(shown, fired, sacked)


def test_a_lone_surname_meets_each_full_name_but_relatives_do_not_meet() -> None:
    """On purpose: inside one fact, "Mugabe" (a surname alone) meets "Robert Mugabe" and
    "Grace Mugabe" (the text cannot say which; the fact's other checks decide), but two full
    names that share the surname are two people: Grace Mugabe's claim does not back one that
    Robert Mugabe made."""
    from newsloom.compare import ClaimKey
    from newsloom.fuse import Statement, _carries, _names_meet

    robert, grace, lone = (frozenset({n}) for n in ("robert mugabe", "grace mugabe", "mugabe"))
    assert _names_meet(lone, robert) and _names_meet(lone, grace)
    assert not _names_meet(robert, grace)

    def welcomed(name: str) -> ClaimKey:
        return ClaimKey("welcome", "mugabe", "move", frozenset({name}), frozenset(),
                        frozenset(), False, True)  # fmt: skip

    shown = Statement(0, 0, "Robert Mugabe welcomed the move on Tuesday, state media said.", 0, 60)
    shown.claims, shown.claim_values, shown.primary = [welcomed("robert mugabe")], [[]], 0
    other = Statement(1, 0, "Grace Mugabe welcomed it in a brief speech to supporters.", 0, 58)
    other.claims = [welcomed("grace mugabe")]
    assert not _carries(shown, shown.claims[0], other)
    other.claims = [welcomed("mugabe")]
    assert _carries(shown, shown.claims[0], other)


def test_names_spelt_with_a_doubled_letter_are_compatible() -> None:
    """His "wife Auxillia" and "wife Auxilia" are one person: two captions of the
    arrival are not kept apart as naming different telling participants."""
    from newsloom.fuse import Statement, StoryFacts

    index = StoryFacts()
    index.articles = [None] * 4  # type: ignore[list-item]
    a = Statement(0, 0, "Mnangagwa and his wife Auxillia arrive at the inauguration", 0, 60)
    b = Statement(1, 0, "Mnangagwa arrives with his wife Auxilia at the stadium", 0, 55)
    c = Statement(2, 0, "Mnangagwa arrives with his wife Grace at the stadium", 0, 55)
    a.names = frozenset({"auxillia", "emmerson mnangagwa"})
    b.names = frozenset({"auxilia", "emmerson mnangagwa"})
    c.names = frozenset({"grace", "emmerson mnangagwa"})
    index.name_df.update({"emmerson mnangagwa": 3, "auxillia": 1, "auxilia": 1, "grace": 1})
    assert index._names_compatible(a, b)
    assert not index._names_compatible(a, c)


def test_a_line_dated_to_an_earlier_time_corroborates_no_fact_of_this_one(
    resources: Resources, matcher: ParaphraseMatcher
) -> None:
    """The audit's different_event error: a report's background line on an earlier event
    ("captured Kandahar in 1994") joins no fact of the current one, while two reports of this
    capture still corroborate each other. A span up to now ("since 1966") is no earlier time."""
    arts = parsed(
        resources,
        ("Bay Times", "https://baytimes.example/k", "2021-08-13",
         "The Taliban captured Kandahar in 1994, the first city they took."),
        ("Hill News", "https://hillnews.example/k", "2021-08-13",
         "The Taliban have captured Kandahar, the country's second-largest city, officials said."),
        ("Lake Herald", "https://lakeherald.example/k", "2021-08-13",
         "The Taliban seized control of Kandahar, the second-largest city, on Friday."),
    )  # fmt: skip
    facts = fuse_story(arts, [], matcher)
    assert _status_of(facts, "in 1994", "have captured Kandahar") == "apart"
    assert _status_of(facts, "in 1994", "seized control of Kandahar") == "apart"
    fact = fact_citing(facts, "have captured Kandahar", "seized control of Kandahar")
    assert fact.status == "corroborated" and fact.independent_sources == 2
    (old,) = parsed(
        resources,
        ("Bay Times", "https://baytimes.example/e", "2024-07-15",
         "England have not won a major title since their 1966 World Cup triumph."),
    )  # fmt: skip
    assert [fuse._since(st) for st in split_statements(old, 0)] == [True]


def test_a_claim_meets_through_its_closest_clauses_below_either_gate() -> None:
    """Review #8: the closest clauses carry a claim that no name backs whenever the whole
    statements are below the name gate (NAME_COSINE), not only below CLAIM_COSINE: a pair
    at 0.55 with clauses at 0.9 meets as a pair at 0.45 with those clauses does, and both
    gates read the one closeness. Far statements (under CANDIDATE_COSINE) never do."""
    import numpy as np

    from newsloom.compare import ClaimKey
    from newsloom.fuse import Statement, StoryFacts, _Group

    said = ClaimKey("announce", "police", "arrest", frozenset(), frozenset(), frozenset(),
                    False, True)  # fmt: skip
    for whole, meets in ((0.55, True), (0.47, True), (0.3, False)):
        index = StoryFacts()
        old = Statement(0, 0, "Police announced the arrest late on Friday", 0, 43)
        new = Statement(1, 0, "In a statement on Saturday police announced the arrest", 0, 54)
        for st in (old, new):
            st.claims, st.claim_values, st.primary = [said], [[]], 0
        index.statements = [old, new]
        index.groups = [_Group(0, (0, 0), [(0, 0)], {0})]
        v_old = np.array([1.0, 0.0, 0.0], np.float32)
        v_new = np.array([whole, np.sqrt(1 - whole**2), 0.0], np.float32)
        index.vecs, index._n = v_old[None, :], 1
        clause_old = np.array([0.0, 0.0, 1.0], np.float32)
        clause_new = np.array([0.0, np.sqrt(1 - 0.81), 0.9], np.float32)
        index._clause_vecs = {0: np.vstack([v_old, clause_old]), 1: np.vstack([v_new, clause_new])}
        assert (index._claim_score(1, v_new, 0, 0) > 0) == meets, whole


def test_two_claims_of_a_sentence_stated_again_make_one_line(
    resources: Resources, matcher: ParaphraseMatcher
) -> None:
    """A sentence giving two claims (the crash and its toll; leaving the road and overturning)
    founds a fact for each, and a sentence giving both again joins both: one line, not the
    same sentences twice. A report of one claim alone splits them again; grown one article
    at a time, the facts written and removed are those of one go."""
    from newsloom.fuse import StoryFacts
    from newsloom.nlp import load_static_embedder

    arts = parsed(
        resources,
        ("Le Monde", "https://lemonde.example/1", "2025-03-10",
         "A coach carrying tourists crashed on the A7 motorway near Lyon on Monday, killing 12 "
         "people, police said. The bus left the road at 3 a.m. and overturned."),
        ("Reuters", "https://reuters.example/2", "2025-03-10",
         "Twelve people were killed when a bus carrying tourists overturned on the A7 motorway "
         "near Lyon early on Monday, French police said. The bus left the road at 3 a.m. and "
         "overturned."),
        ("BBC", "https://bbc.example/3", "2025-03-10", "Officials said 12 people were killed."),
    )  # fmt: skip

    def cited(facts: list[Fact]) -> list[tuple[tuple[str, int], ...]]:
        return [tuple(sorted((c.article_id, c.sentence) for c in f.citations)) for f in facts]

    two = fuse_story(arts[:2], [], matcher)
    assert len(set(cited(two))) == len(two) == 2
    embed = load_static_embedder().embed
    grown, stored = StoryFacts(), {}
    for n, art in enumerate(arts, 1):
        grown.add(art, embed, matcher)
        upserts, removed = grown.pop_changes()
        for fact_id in removed:
            stored.pop(fact_id, None)
        stored.update({fact.id: fact for fact, _ in upserts})
        facts = grown.facts()
        assert facts == fuse_story(arts[:n], [], matcher)
        assert stored == {fact.id: fact for fact in facts}
    crash = [f for f in facts if any("A7" in c.text for c in f.citations)]
    assert len(crash) == 2 and len(set(cited(crash))) == 2  # told by three reports, by two
