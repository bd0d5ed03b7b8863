"""Place resolution on small realistic articles and on the bundled seed reports."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import pytest

from newsloom.clean import split_sentences
from newsloom.extract.entities import find_mentions
from newsloom.extract.places import Gazetteer, best_candidate, fold, load_gazetteer, resolve_places
from newsloom.models import Article, Place, Sentence
from newsloom.nlp import load_spacy

SEEDS = Path(__file__).resolve().parent.parent / "examples" / "seeds"


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return load_gazetteer()


def make_article(text: str) -> Article:
    art = Article(id="t", text=text)
    art.sentences = [Sentence(i, text[s:e], s, e) for i, (s, e) in enumerate(split_sentences(text))]
    return art


def places_of(text: str, gaz: Gazetteer, context: Counter[str] | None = None) -> list[Place]:
    art = make_article(text)
    mentions = find_mentions(art, load_spacy()(text), gaz)
    return resolve_places(art, mentions, gaz, context)


def by_text(places: list[Place]) -> dict[str, Place]:
    return {p.text: p for p in places}


def near(place: Place, lat: float, lon: float, degrees: float = 0.5) -> bool:
    assert place.lat is not None and place.lon is not None
    return math.hypot(place.lat - lat, place.lon - lon) <= degrees


def test_fold_ignores_diacritics_dots_case_and_abbreviations() -> None:
    assert fold("Kandahār") == fold("KANDAHAR") == "kandahar"
    assert fold("U.S.") == "us"
    assert fold("the  United\nStates") == "united states"
    assert fold("St. Petersburg") == fold("Saint Petersburg")


def test_country_aliases_resolve_to_countries(gaz: Gazetteer) -> None:
    for name in ("U.S.", "US", "America", "United States"):
        entry = best_candidate(gaz, name)
        assert entry is not None and (entry.country, entry.feature) == ("US", "country")
    china = best_candidate(gaz, "China")
    assert china is not None and china.feature == "country" and china.country == "CN"
    # A short code never becomes a small town's alternate name.
    un = gaz.lookup("UN")
    assert all(c.entry.feature != "city" for c in un)


def test_alternate_names_lose_to_own_names(gaz: Gazetteer) -> None:
    herat = best_candidate(gaz, "Herat")
    assert herat is not None and herat.country == "AF"
    petersburg = best_candidate(gaz, "St. Petersburg")
    assert petersburg is not None and petersburg.country == "RU"


def test_earthquake_in_turkey(gaz: Gazetteer) -> None:
    text = (
        "A magnitude 6.8 earthquake struck eastern Turkey on Friday, killing at least 18 people. "
        "The quake was centred near the town of Sivrice in Elazig province, the disaster agency "
        "said. Tremors were felt in Malatya and as far away as Syria and Iran. "
        "Rescue teams from Ankara worked through the night."
    )
    found = by_text(places_of(text, gaz))
    assert found["Turkey"].feature == "country" and found["Turkey"].country == "TR"
    assert near(found["Malatya"], 38.35, 38.31)
    elazig = next(p for text, p in found.items() if text.startswith("Elazig"))
    assert (elazig.country, elazig.feature) == ("TR", "admin1")
    assert near(found["Ankara"], 39.92, 32.85)
    assert found["Syria"].country == "SY" and found["Iran"].country == "IR"
    assert all(p.sentence >= 0 for p in found.values())


def test_georgia_is_the_us_state_in_a_us_election_story(gaz: Gazetteer) -> None:
    text = (
        "Voters in Georgia lined up for hours on Tuesday as the state's Senate runoff drew "
        "record turnout. Polls in Atlanta stayed open late, and officials in Savannah and "
        "Augusta reported long queues. The race is watched across the U.S., analysts said."
    )
    found = by_text(places_of(text, gaz))
    georgia = found["Georgia"]
    assert (georgia.country, georgia.feature) == ("US", "admin1")
    assert found["Atlanta"].country == "US"
    assert found["U.S."].feature == "country" and found["U.S."].country == "US"


def test_georgia_is_the_country_beside_its_neighbours(gaz: Gazetteer) -> None:
    text = (
        "Protesters gathered outside parliament in Tbilisi, the capital of Georgia, after the "
        "government backed a bill critics compare to laws in Russia. Armenia and Azerbaijan "
        "watched closely."
    )
    found = by_text(places_of(text, gaz))
    assert (found["Georgia"].country, found["Georgia"].feature) == ("GE", "country")
    assert near(found["Tbilisi"], 41.69, 44.83)


def test_china_trade_story(gaz: Gazetteer) -> None:
    text = (
        "China's exports rose 7 percent in March, customs data showed, as shipments from "
        "Shanghai and Shenzhen to the United States and Europe recovered. Officials in Beijing "
        "said trade with Japan was stable."
    )
    found = by_text(places_of(text, gaz))
    assert (found["China"].country, found["China"].feature) == ("CN", "country")
    assert near(found["Shanghai"], 31.22, 121.46)
    assert near(found["Beijing"], 39.91, 116.40)
    assert found["United States"].name == "United States"
    assert found["Europe"].feature == "continent"


def test_story_context_moves_an_ambiguous_name(gaz: Gazetteer) -> None:
    text = "Floodwaters reached London on Sunday and closed several roads near the river."
    alone = by_text(places_of(text, gaz))
    assert alone["London"].country == "GB"
    canadian = by_text(places_of(text, gaz, Counter({"CA": 6})))
    assert canadian["London"].country == "CA"


@pytest.mark.skipif(not SEEDS.exists(), reason="bundled seeds missing")
def test_seed_reports_resolve_afghan_places(gaz: Gazetteer) -> None:
    found: dict[str, Place] = {}
    for path in sorted(SEEDS.glob("*.txt")):
        for place in places_of(path.read_text(encoding="utf-8"), gaz):
            found.setdefault(place.text, place)
    assert near(found["Kandahar"], 31.6, 65.7)
    assert found["Kandahar"].name == "Kandahar"  # diacritics dropped from display names
    for name in ("Kabul", "Lashkar Gah", "Ghazni", "Herat"):
        assert found[name].country == "AF", name
    assert found["Kunduz province"].feature == "admin1" and found["Kunduz province"].country == "AF"
    assert found["Ghazni city"].feature == "city" and near(found["Ghazni city"], 33.55, 68.42)
    assert found["Helmand"].feature == "admin1" and found["Helmand"].country == "AF"
    assert found["Washington"].country == "US" and near(found["Washington"], 38.9, -77.0)
    assert found["London"].country == "GB" and near(found["London"], 51.5, -0.13)


TITAN = (
    "The Titan, operated by OceanGate Expeditions, had been missing since Sunday. "
    "A robot found the wreckage of the Titan on Thursday near the Titanic. "
    "Officials said the Titan imploded. Five pieces of the Titan were found."
)


def test_a_vessel_named_like_a_village_is_no_place(gaz: Gazetteer) -> None:
    """ "the Titan" (a submersible; GeoNames has a village Titan in Afghanistan) written
    again and again as "the Titan." / "the Titan imploded" is a thing: it resolves nowhere,
    and the article says so for the story's other articles."""
    assert [c.entry.country for c in gaz.lookup("Titan")] == ["AF"]
    art = make_article(TITAN)
    places = resolve_places(art, find_mentions(art, load_spacy()(TITAN), gaz), gaz)
    assert "Titan" not in {p.name for p in places}
    assert art.meta["not_places"] == ["titan"]


def test_places_written_with_the_stay_places(gaz: Gazetteer) -> None:
    """A town after "the" stays a town when it modifies a noun, when its own name has
    "The", or when the article also says "in X" ("in Titan")."""
    text = (
        "Judges met in the Hague on Monday. The Hague court ruled. "
        "Officers of the Lamesa police said the Lamesa area was calm. "
        "Crowds gathered in Titan. The Titan council met, and the Titan market was shut."
    )
    art = make_article(text)
    places = resolve_places(art, find_mentions(art, load_spacy()(text), gaz), gaz)
    names = {p.name for p in places}
    assert {"The Hague", "Lamesa", "Titan"} <= names
    assert "not_places" not in art.meta
