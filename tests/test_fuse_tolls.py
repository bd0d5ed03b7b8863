"""Tolls across a story's reports (#11 items 3 and 4): a page that gave another toll never
backs a later one, a toll told as a change ("the death toll has risen to 14") is a step of
the toll, and each step is dated and worded by its first report; the same grown one article
at a time, with the state stored and reloaded, as in one go."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import brief_json
from test_fuse import fact_citing, parsed

from newsloom.brief import _timeline
from newsloom.fuse import StoryFacts, fuse_story
from newsloom.models import Article
from newsloom.nlp import load_static_embedder
from newsloom.paraphrase import ParaphraseMatcher
from newsloom.pipeline import Resources


@pytest.fixture(scope="module")
def matcher(resources: Resources) -> ParaphraseMatcher:
    return resources.matcher


def _bus(resources: Resources) -> list[Article]:
    return parsed(
        resources,
        ("Valley Times", "https://valleytimes.example/1", "2024-09-02",
         "A crowded bus carrying wedding guests plunged off a mountain road into a river near "
         "Tarbela late on Monday evening, the district police chief told reporters at the "
         "scene. Seven people died and 20 were rescued."),
        ("Hill Post", "https://hillpost.example/2", "2024-09-03",
         "The number of people killed when a bus plunged into a river near Tarbela rose to 11 "
         "on Tuesday, the police chief said. Divers were still looking for nine missing "
         "passengers."),
        ("River Wire", "https://riverwire.example/3", "2024-09-03",
         "Divers searched on Tuesday for nine passengers missing after the bus fell into the "
         "river at Tarbela, killing 11."),
    )  # fmt: skip


def test_a_page_that_gave_another_toll_backs_no_other_figure(
    resources: Resources, matcher: ParaphraseMatcher
) -> None:
    """Seven dead on Monday, eleven on Tuesday: one toll that rose, eleven from the two
    Tuesday pages. The Monday page backs no fact of eleven and is cited by none, whichever
    of its sentences joined it (its crash sentence shares most words with Tuesday's
    "the number killed when a bus plunged ... rose to 11"), and eleven is no confirmed line
    of its own beside the toll's (the crash, another claim of that sentence, may show it)."""
    arts = _bus(resources)
    facts = fuse_story(arts, [], matcher)
    toll = fact_citing(facts, "Seven people died", "rose to 11", "killing 11")
    assert toll.status == "update"
    assert [u["number"] for u in toll.updates] == [7, 11]
    assert toll.updates[1]["sources"] == ["Hill Post", "River Wire"]
    for fact in facts:
        if fact is not toll and any("rose to 11" in c.text for c in fact.citations):
            assert "Valley Times" not in fact.sources, fact
            assert fact.status == "single" or "rose to 11" not in fact.text, fact


def test_a_claim_told_beside_a_toll_step_keeps_its_line(
    resources: Resources, matcher: ParaphraseMatcher
) -> None:
    """ "Police arrested the driver as the toll rose to 11" states an arrest: the toll's
    update shows the 11, the arrest stays a line of its own (review10)."""
    arts = parsed(
        resources,
        ("Valley Times", "https://valleytimes.example/1", "2024-09-02",
         "A bus plunged off a mountain road into a river near Tarbela on Monday evening. "
         "Seven people died in the crash, the police chief said."),
        ("Hill Post", "https://hillpost.example/2", "2024-09-03",
         "Officers detained the driver of the bus on Tuesday as the death toll from the "
         "Tarbela crash rose to 11, district officials said."),
        ("River Wire", "https://riverwire.example/3", "2024-09-03",
         "Police arrested the bus driver on Tuesday while the number of people killed in the "
         "crash at Tarbela rose to 11, a spokesman said."),
    )  # fmt: skip
    facts = fuse_story(arts, [], matcher)
    arrest = fact_citing(facts, "Officers detained the driver", "Police arrested the bus driver")
    assert arrest.status == "corroborated" and not arrest.updates
    assert any(f.status == "update" for f in facts)


def test_a_fact_is_attributed_as_its_shown_sentence_names_its_source(
    resources: Resources, tmp_path: Path
) -> None:
    """Police gave 14 dead, the health office 17 (qa10's bus reports): the fact showing the
    health office's sentence is not attributed to the police."""
    data = Path(__file__).parent / "data" / "fuse" / "bus_two_counts.jsonl"
    body = brief_json(resources, [str(data), "--db", str(tmp_path / "bus.db")])
    facts = [f for s in body["stories"] for f in s["facts"] if f["text"].startswith("Seventeen")]
    assert facts and all(f["origin"] == "the regional health office" for f in facts)


def test_a_toll_that_has_risen_is_a_step_of_the_toll(
    resources: Resources, matcher: ParaphraseMatcher
) -> None:
    """ "The death toll ... has risen to 14 people" counts the dead, as "killed 9" does."""
    arts = parsed(
        resources,
        ("Coast News", "https://coastnews.example/1", "2024-10-14",
         "A gas explosion at a fireworks warehouse in Ruvuma killed 9 people on Monday, police "
         "said."),
        ("Lake Daily", "https://lakedaily.example/2", "2024-10-14",
         "Nine people were killed when a fireworks warehouse exploded in Ruvuma on Monday, "
         "officials said."),
        ("Delta Radio", "https://deltaradio.example/3", "2024-10-15",
         "The death toll from the warehouse explosion in Ruvuma has risen to 14 people, the "
         "regional governor said on Tuesday."),
    )  # fmt: skip
    toll = fact_citing(fuse_story(arts, [], matcher), "killed 9", "risen to 14")
    assert toll.status == "update"
    assert [u["number"] for u in toll.updates] == [9, 14]


def _fire(resources: Resources) -> list[Article]:
    return parsed(
        resources,
        ("Metro Star", "https://metrostar.example/1", "2024-11-04",
         "A fire at a textile mill in Gazipur killed six people on Monday, fire officials "
         "said."),
        ("City Wire", "https://citywire.example/2", "2024-11-05",
         "The number of people killed in a fire at a textile mill in Gazipur rose to 10 on "
         "Tuesday, officials said."),
        ("Bay Herald", "https://bayherald.example/3", "2024-11-06",
         "Ten people were killed in the mill fire in Gazipur, the fire service said on "
         "Wednesday."),
    )  # fmt: skip


def test_each_step_is_dated_and_worded_by_its_first_report(
    resources: Resources, matcher: ParaphraseMatcher
) -> None:
    """The page that first gave ten is in that step, which dates from it; a timeline line
    of a step reads that step's own report, never another figure's."""
    arts = _fire(resources)
    toll = fact_citing(fuse_story(arts, [], matcher), "six people", "rose to 10", "Ten people")
    assert toll.status == "update"
    assert [(u["number"], u["time"]) for u in toll.updates] == [
        (6, "2024-11-04"),
        (10, "2024-11-05"),
    ]
    assert "rose to 10" in toll.updates[1]["citations"][0]["text"]
    lines = [e for e in _timeline([toll.to_dict()], {}) if e["status"] == "update"]
    assert [(e["date"], e["text"]) for e in lines] == [
        ("2024-11-04", arts[0].sentences[0].text),
        ("2024-11-05", arts[1].sentences[0].text),
    ]


def test_tolls_grown_in_batches_and_reloaded_are_those_of_one_go(
    resources: Resources, matcher: ParaphraseMatcher
) -> None:
    """Article by article, with the state stored and read back before the last one, the
    facts written and removed are those of one go."""
    embed = load_static_embedder().embed
    for arts in (_bus(resources), _fire(resources)):
        grown, stored = StoryFacts(), {}
        header: dict[str, Any] = {}
        art_rows: dict[int, Any] = {}
        group_rows: dict[int, Any] = {}
        for n, art in enumerate(arts, 1):
            if n == len(arts):  # the story's state read back from what was stored
                grown = StoryFacts.from_state(
                    header,
                    [art_rows[k] for k in sorted(art_rows)],
                    [group_rows[k] for k in sorted(group_rows)],
                )
            grown.add(art, embed, matcher)
            upserts, removed = grown.pop_changes()
            for fact_id in removed:
                stored.pop(fact_id, None)
            stored.update({fact.id: fact for fact, _ in upserts})
            head, new_arts, groups = json.loads(json.dumps(grown.state_delta()))
            header = head
            art_rows.update({int(k): v for k, v in new_arts})
            group_rows.update({int(k): v for k, v in groups})
            one_go = fuse_story(arts[:n], [], matcher)
            assert grown.facts() == one_go
            assert stored == {fact.id: fact for fact in one_go}
