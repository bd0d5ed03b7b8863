"""Quantities with what they count and their qualifier, and agreement between reports."""

from __future__ import annotations

import pytest

from newsloom.extract.quantities import agree, find_quantities
from newsloom.models import Article, Quantity, Sentence


def article(text: str) -> Article:
    return Article(
        id="t",
        text=text,
        published="2021-08-13",
        sentences=[Sentence(0, text, 0, len(text))],
    )


def found(text: str) -> dict[str, tuple[float, str, str, str]]:
    return {
        x.text: (x.value, x.counts, x.qualifier, x.unit) for x in find_quantities(article(text))
    }


def test_counts_with_modifiers_and_qualifiers() -> None:
    got = found(
        "Washington will send 3,000 US troops while London sends nearly 3,000 troops; "
        "more than 1,000 civilians have fled and 72,000 children need help."
    )
    assert got == {
        "3,000 US troops": (3000.0, "troops", "", ""),
        "nearly 3,000 troops": (3000.0, "troops", "nearly", ""),
        "more than 1,000 civilians": (1000.0, "civilians", "more than", ""),
        "72,000 children": (72000.0, "children", "", ""),
    }


def test_a_negated_bound_is_the_opposite_bound() -> None:
    got = found("No fewer than 14 people died and no more than 30 people were hurt.")
    assert got["No fewer than 14 people"][2] == "at least"
    assert got["no more than 30 people"][2] == "up to"


def test_money_in_two_currencies() -> None:
    got = found("Britain pledged $500m (£360m) in aid.")
    assert got["$500m"][0] == pytest.approx(500e6)
    assert got["$500m"][3] == "USD"
    assert got["£360m"][0] == pytest.approx(360e6)
    assert got["£360m"][3] == "GBP"


def test_word_numbers_dozens_and_fractions() -> None:
    got = found(
        "The Taliban took five provincial capitals in a week, a dozen provincial capitals "
        "in ten days and about a third of the provincial capitals by Friday."
    )
    assert got["five provincial capitals"][:2] == (5.0, "capitals")
    assert got["a dozen provincial capitals"][:2] == (12.0, "capitals")
    frac = got["about a third of the provincial capitals"]
    assert frac[0] == pytest.approx(0.333, abs=1e-3)
    assert frac[1:] == ("capitals", "about", "fraction")


def test_ages_percentages_and_casualties() -> None:
    got = found(
        "A 35-year-old driver said prices rose 12% this year and 12 per cent last year. "
        "At least 13 people were killed; officials said 12 killed."
    )
    assert got["35-year-old"][1:] == ("age", "", "years")
    assert got["12%"] == (12.0, "percent", "", "%")
    assert got["12 per cent"] == (12.0, "percent", "", "%")
    assert got["At least 13 people"] == (13.0, "people", "at least", "")
    assert got["12 killed"] == (12.0, "killed", "", "")


def test_dates_years_and_ordinals_are_not_quantities() -> None:
    got = found("On 12 August 2021, the second largest city fell, as it did in 1996.")
    assert got == {}


def test_sentence_index_is_filled() -> None:
    text = "The city fell. Some 600 troops were flown in."
    art = Article(
        id="s",
        text=text,
        sentences=[Sentence(0, text[:14], 0, 14), Sentence(1, text[15:], 15, len(text))],
    )
    (q,) = find_quantities(art)
    assert (q.text, q.qualifier, q.sentence) == ("Some 600 troops", "some", 1)


def q(value: float, counts: str, qualifier: str = "", unit: str = "") -> Quantity:
    return Quantity(text="", value=value, counts=counts, start=0, end=0, sentence=0,
                    qualifier=qualifier, unit=unit)  # fmt: skip


def test_agree_rules() -> None:
    assert agree(q(3000, "troops", "nearly"), q(3000, "troops")) is True
    assert agree(q(13, "killed"), q(12, "killed")) is False
    assert agree(q(1000, "civilians", "more than"), q(1200, "civilians")) is True
    assert agree(q(1000, "civilians", "less than"), q(1200, "civilians")) is False
    assert agree(q(3000, "troops"), q(3100, "troops")) is True  # rounded figure, within 5%
    assert agree(q(3000, "troops"), q(5000, "troops")) is False
    assert agree(q(3000, "troops"), q(3000, "civilians")) is None
    assert agree(q(500e6, "money", unit="USD"), q(360e6, "money", unit="GBP")) is None
    assert agree(q(600, "troop"), q(600, "troops")) is True


def test_compounds_codes_and_bare_numbers() -> None:
    got = found(
        "After an eight-day blitz, Covid-19 cases hit 40 and a 2px line showed 24 to 48 hours."
    )
    assert got["eight-day"][:2] == (8.0, "day")
    assert "40" not in got  # a bare number with nothing counted is not kept
    assert "48 hours" in got
    assert not any("19" in k or "2px" in k for k in got)
