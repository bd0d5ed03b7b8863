"""Evolving figures (issue #11 item 4): one rule for "the same figure", shared by fact classes,
side-by-side pages, partial counts and agreement; a toll that changes is one `update` with each
value's time and sources, and different values are never corroboration."""

from __future__ import annotations

import pytest

from newsloom.clean import clean_article
from newsloom.compare import Value, event_of, figure_scope, value_of
from newsloom.extract import extract_batch
from newsloom.extract.quantities import find_quantities
from newsloom.fuse import _compatible, fuse_story
from newsloom.models import Article, Fact, content_id
from newsloom.paraphrase import ParaphraseMatcher
from newsloom.pipeline import Resources


def figure(text: str, event: str = "", holder: str = "") -> Value:
    """The first figure of `text`, as fusion compares it."""
    q = find_quantities(Article(id="x", text=text, source="s"))[0]
    v = value_of(q, holder, event=event or event_of(text, q.start, q.end))
    assert v is not None
    return v


@pytest.mark.parametrize(
    ("a", "b", "same", "compatible"),
    [
        ("About 2,750 people were hurt.", "Approximately 2,800 people were hurt.", False, False),
        ("More than 60 people were killed.", "At least 60 people were killed.", True, True),
        ("At least 8 people were killed.", "Nine people were killed.", False, True),
        ("At least 60 people were killed.", "At least 100 people were killed.", False, False),
        ("Up to 100 people were killed.", "At least 100 people were killed.", False, False),
        ("The bank had nearly $3,000 in cash.", "The bank had $3,000 in cash.", True, True),
    ],
)  # fmt: skip
def test_one_rule_for_the_same_figure(a: str, b: str, same: bool, compatible: bool) -> None:
    """A toll is one value only at one point (it rises, so "about 2,750" then "2,800" are two
    steps); other figures allow rounding; a bound near a count is compatible, not the same."""
    va, vb = figure(a), figure(b)
    assert va.same_value(vb) is same and va.same_figure(vb) is same
    assert _compatible(va, vb) is compatible


def test_a_toll_is_one_count_whoever_a_parse_names_as_holder() -> None:
    """ "Russia says 40 dead" and "more than 60 dead": one toll, another value; the injured
    and those in hospital are two counts ("115 hospitalised" is no step of "145 wounded")."""
    russia = figure("Russia says 40 dead in the raid.", holder="russia")
    assert russia.same_figure(figure("Officials say 40 dead in the raid."))
    assert not russia.same_figure(figure("More than 60 dead in the raid."))
    assert event_of("115 people were hospitalized.", 0, 10) == "hospital"
    hospital = figure("115 people were hospitalized.")
    assert not hospital.same_figure(figure("115 people were wounded."))


@pytest.mark.parametrize(
    ("text", "number", "scope"),
    [
        ("He saw at least two dozen people with very serious injuries, including lost limbs.",
         "at least two dozen people", "partial"),
        ("The blast killed two, seriously injuring 20 people.", "20 people", "partial"),
        ("Police say 2 are dead, 6 are in critical condition, and 49 people are hurt.",
         "49 people", ""),
        ("Police say 2 are dead, 6 are in critical condition, and 49 people are hurt.", "6 are",
         "partial"),
    ],
)  # fmt: skip
def test_the_badly_hurt_are_a_part_of_the_injured(text: str, number: str, scope: str) -> None:
    start = text.index(number)
    assert figure_scope(text, start, start + len(number)) == scope


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Pagers exploded, injuring more than 2,8000 and killing nine.", [("nine", 9.0)]),
        ("The blast killed 12 and wounded 30 people.", [("12", 12.0), ("30 people", 30.0)]),
        ("near Moscow. -AP\n\nMore than 60 people died.", [("More than 60 people", 60.0)]),
        ("The 737 MAX 8 jets were grounded.", []),
    ],
)  # fmt: skip
def test_toll_figures_are_read(text: str, found: list[tuple[str, float]]) -> None:
    """A bare number a toll verb counts is a figure; a number glued to more digits (a typo)
    is none; a wire credit on the line before ("-AP") is no model code."""
    got = [(q.text, q.value) for q in find_quantities(Article(id="x", text=text, source="s"))]
    assert got == found


@pytest.mark.parametrize(
    ("text", "number", "event"),
    [
        ("The death toll from the crash near Lyon has risen to 13.", "13", "kill"),
        ("The death toll rose to 13, and the number of injured has risen to 40.", "40", "injure"),
        ("The death toll was not yet known as the river rose to 6.", "6", ""),
        ("The toll for the bridge rose to 5.", "5", ""),
    ],
)  # fmt: skip
def test_a_toll_change_counts_its_own_subject(text: str, number: str, event: str) -> None:
    """The number a toll's change ends at counts that toll; a change of something else in
    another clause, or a toll paid, counts no dead."""
    start = text.rindex(number)
    assert event_of(text, start, start + len(number)) == event


# ---------------------------------------------------------------- on parsed articles


def parsed(resources: Resources, *specs: tuple[str, str, str]) -> list[Article]:
    """Articles (source, published, text) through the real cleaning and extraction."""
    raw = [
        Article(
            id=content_id(text + src), text=text, source=src, url=f"https://{src}/a", published=when
        )
        for src, when, text in specs
    ]
    return extract_batch([clean_article(a) for a in raw], resources.nlp, resources.gazetteer)


def citing(facts: list[Fact], *snippets: str) -> Fact:
    for fact in facts:
        if all(any(s in c.text for c in fact.citations) for s in snippets):
            return fact
    shown = "\n".join(f"{f.status}: {[c.text for c in f.citations]}" for f in facts)
    raise AssertionError(f"no fact cites {snippets}; facts:\n{shown}")


@pytest.fixture(scope="module")
def matcher(resources: Resources) -> ParaphraseMatcher:
    return resources.matcher


def test_a_toll_of_12_then_13_is_one_update_with_each_values_sources(
    resources: Resources, matcher: ParaphraseMatcher
) -> None:
    arts = parsed(
        resources,
        ("lake.example", "2024-05-06T08:00", "Twelve people were killed when the ferry "
         "capsized on Lake Kivu, police said."),
        ("hill.example", "2024-05-06T09:00", "The ferry disaster on Lake Kivu killed 12 "
         "people, police said."),
        ("river.example", "2024-05-06T15:00", "The toll of the ferry capsizing on Lake Kivu "
         "stands at 13 dead, police said."),
    )  # fmt: skip
    facts = fuse_story(arts, [], matcher)
    fact = citing(facts, "Twelve people", "13 dead")
    assert fact.status == "update", fact
    assert [(u["number"], u["time"]) for u in fact.updates] == [
        (12, "2024-05-06T08:00"),
        (13, "2024-05-06T15:00"),
    ]
    assert "lake.example" in fact.updates[0]["sources"]
    assert fact.updates[1]["sources"] == ["river.example"]
    for other in facts:  # twelve may stand corroborated on its own, never beside 13
        cited = " ".join(c.text for c in other.citations)
        assert other.status == "update" or not ("12" in cited and "13" in cited), other


def test_an_estimate_then_another_is_no_corroboration(
    resources: Resources, matcher: ParaphraseMatcher
) -> None:
    """ "About 2,750 injured" and "approximately 2,800 injured" of undated pages: the count
    rose (two steps), not two sources agreeing."""
    arts = parsed(
        resources,
        ("a.example", "", "The health minister said about 2,750 people were injured when the "
         "pagers exploded across Lebanon."),
        ("b.example", "", "The health minister said approximately 2,800 people were injured "
         "when the pagers exploded across Lebanon."),
    )  # fmt: skip
    facts = fuse_story(arts, [], matcher)
    fact = citing(facts, "about 2,750", "approximately 2,800")
    assert fact.status == "update", fact
    assert [(u["number"], u["sources"]) for u in fact.updates] == [
        (2750, ["a.example"]),
        (2800, ["b.example"]),
    ]
    assert not [f for f in facts if f.status == "corroborated"], facts


def test_a_page_that_tells_the_change_gives_steps_not_two_things(
    resources: Resources, matcher: ParaphraseMatcher
) -> None:
    """A live page that says "two people were killed" and later "upgraded to 3 killed" gives
    one toll's old and new values; a toll of 1912 in a background sentence is no step."""
    arts = parsed(
        resources,
        ("a.example", "", "Two bombs exploded at the marathon finish line. Authorities said two "
         "people were killed in the blasts. Since this report, the figures have been upgraded "
         "to 3 killed."),
        ("b.example", "", "Police said the marathon bombs killed three people at the finish "
         "line."),
        ("c.example", "", "Police said two people were killed by the marathon bombs at the "
         "finish line."),
    )  # fmt: skip
    fact = citing(fuse_story(arts, [], matcher), "killed three people", "two people were killed")
    assert fact.status == "update", fact
    assert [u["number"] for u in fact.updates] == [2, 3]
