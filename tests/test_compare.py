"""The checks behind "same fact": figures with their subjects and units, polarity with any
apostrophe, datelines, and claim matching."""

from __future__ import annotations

import pytest

from newsloom.clean import clean_article
from newsloom.compare import (
    ClaimKey,
    Value,
    claims_match,
    code_part,
    dateline_end,
    figure_disagreement,
    figure_scope,
    names_clash,
    negated_text,
    parties,
    special_values,
    value_of,
    verb_class,
)
from newsloom.extract.quantities import find_quantities
from newsloom.models import Article, Quantity


def quantity(text: str) -> Quantity:
    art = clean_article(Article(id="q", text=text, published="2024-01-01"))
    (q,) = find_quantities(art)
    return q


def value(text: str, holder: str = "", verb: str = "") -> Value:
    v = value_of(quantity(text), holder, verb)
    assert v is not None
    return v


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("The wave was 30-40 m high.", "The wave was 100 to 115 feet high."),
        ("It was 45C in the shade.", "It was 113F in the shade."),
        ("The storm was 200 km wide.", "The storm was 124 miles wide."),
        ("He weighed 90kg at the time.", "He weighed about 198 lb at the time."),
        ("Winds of 120 mph hit the coast.", "Winds of 193 km/h hit the coast."),
    ],
)
def test_units_are_compared_after_conversion(a: str, b: str) -> None:
    va, vb = value(a), value(b)
    assert va.same_thing(vb) and va.agrees(vb)
    assert figure_disagreement([va], [vb]) is None


def test_a_measure_that_differs_after_conversion_disagrees() -> None:
    assert figure_disagreement([value("The wave was 10 m high.")], [value("It was 100 feet.")])


def test_figures_pair_with_their_holders() -> None:
    biden = value("Biden won 306 electoral votes.", holder="joe biden")
    trump = value("Trump won 232 electoral votes.", holder="donald trump")
    biden_again = value("He won 306 votes.", holder="joe biden")
    assert not biden.same_thing(trump)
    assert figure_disagreement([biden, trump], [biden_again]) is None
    assert figure_disagreement([biden], [value("He won 290 votes.", holder="joe biden")])


def test_counts_of_different_things_are_not_compared() -> None:
    killed = value("Twelve people were killed.", verb="kill")
    injured = value("Fifteen people were injured.", verb="injure")
    assert figure_disagreement([killed], [injured]) is None


@pytest.mark.parametrize(
    ("a", "b", "differs"),
    [
        ("13 people died.", "12 people died.", True),
        ("nearly 3,000 troops were sent.", "3,000 troops were sent.", False),
        ("at least 50 people died.", "73 people died.", True),  # a changed figure: update
        ("600 soldiers were sent.", "600 troops were sent.", False),
    ],
)
def test_figure_disagreement(a: str, b: str, differs: bool) -> None:
    assert (figure_disagreement([value(a)], [value(b)]) is not None) is differs


def test_model_names_and_codes_are_not_figures() -> None:
    art = clean_article(
        Article(id="m", text="Boeing grounded 737 MAX 8 and MAX 9 jets; two F-16 jets flew.")
    )
    found = {(q.value, q.counts) for q in find_quantities(art)}
    assert found == {(2.0, "jets")}


@pytest.mark.parametrize(
    ("text", "negated"),
    [
        ("This isn’t a case of abandonment.", True),
        ("This isn't a case of abandonment.", True),
        ("It’s a case of abandonment.", False),
        ("The minister’s aides didn’t comment.", True),
        ("The minister’s aides commented.", False),
    ],
)
def test_negation_reads_any_apostrophe(text: str, negated: bool) -> None:
    assert negated_text(text) is negated


@pytest.mark.parametrize(
    "text",
    [
        "SEYNE, France (AFP) - A plane crashed in the French Alps on Tuesday.",
        "KABUL, Aug 13 (Reuters) - The Taliban captured Kandahar.",
        "BEIRUT, Lebanon, Sept. 18, 2024 — Walkie-talkies exploded across Lebanon.",
    ],
)
def test_datelines_are_found(text: str) -> None:
    end = dateline_end(text)
    assert 0 < end < text.index(" ", end + 1)
    assert text[end:][0].isupper()


@pytest.mark.parametrize(
    "text", ["On Monday a ferry sank on Lake Kivu.", "The Taliban captured Kandahar on Friday."]
)
def test_a_first_sentence_is_not_a_dateline(text: str) -> None:
    assert dateline_end(text) == 0


def key(verb: str, agent: str, patient: str, agents: str = "", patients: str = "") -> ClaimKey:
    def names(text: str) -> frozenset[str]:
        return frozenset(x for x in text.split(",") if x)

    return ClaimKey(verb, agent, patient, names(agents), names(patients), frozenset(), False, True)


def test_claims_match_on_verb_class_and_participants() -> None:
    seized = key("capture", "taliban", "kandahar", "taliban", "kandahar,taliban")
    captured = key("capture", "taliban", "city", "taliban", "afghanistan,kandahar")
    ghazni = key("capture", "taliban", "ghazni", "taliban", "ghazni")
    cities = key("capture", "taliban", "city", "taliban")
    assert claims_match(seized, captured) > 0.9
    assert claims_match(seized, ghazni) == 0  # another city
    assert claims_match(seized, cities) == 0  # "several cities" does not say Kandahar
    assert claims_match(seized, key("kill", "taliban", "kandahar", "taliban", "kandahar")) == 0


def test_readings_magnitudes_and_clock_times_are_exact_figures() -> None:
    """A magnitude of 6.3 is not "rounded" 6.4; 6:04 pm is 18:04 local time; "about 8:45"
    allows its quarter hour; a clock time beside a zone ("1 p.m. ET") is not compared."""

    def one(text: str) -> Value:
        (value,) = special_values(text)
        return value

    m63, m64 = one("a magnitude 6.3 quake"), one("The 6.4-magnitude earthquake hit")
    assert figure_disagreement([m63], [m64]) == (m63, m64)
    assert one("measured 6.4 on the Richter scale").equal(m64)
    assert one("landed at 6:04 pm on Wednesday").equal(one("touched down at 18:04 local time"))
    about = one("arrested at about 8:45 p.m.")
    assert about.equal(one("just before 8:45 p.m.")) and about.equal(one("at 8:50 p.m."))
    assert figure_disagreement([one("at 6:04 pm")], [one("at 7:30 pm")]) is not None
    assert special_values("at noon Tuesday, 1 p.m. ET") == []


def test_names_clash_needs_named_participants() -> None:
    """The same action on two named places clashes; two head words ("jet" / "plane") do not."""

    def key(verb: str, head: str, *names: str) -> ClaimKey:
        return ClaimKey(verb, "", head, frozenset(), frozenset(names), frozenset(), False, True)

    ghazni, kandahar = key("capture", "", "ghazni"), key("capture", "", "kandahar")
    jet, plane = key("crash", "jet"), key("crash", "plane")
    assert names_clash(ghazni, kandahar) and not names_clash(jet, plane)


@pytest.mark.parametrize(
    ("text", "figure", "scope"),
    [
        ("At least 50 people were killed, including 12 children.", "12 children", "partial"),
        ("The toll rose to 73, up from 50 people earlier.", "50 people", "earlier"),
        ("In Hatay province, 1,200 people died.", "1,200 people", "partial"),
        ("Eight people died at the bowling alley and seven at the bar.", "Eight people", "partial"),
        ("Officials initially reported 40 dead.", "40 dead", "earlier"),
        ("More than 2,000 people were killed in Morocco.", "2,000 people", ""),
        ("At least 50 people were killed in the village of Kamanyola.", "50 people", ""),
        ("The quake killed 45,000 people in Turkey and Syria.", "45,000 people", ""),
        ("The ferry was licensed to carry only 100 passengers.", "100 passengers", "capacity"),
        ("The hall has a capacity of 2,000 people.", "2,000 people", "capacity"),
        ("The ferry was carrying 250 passengers.", "250 passengers", ""),
    ],
)
def test_figure_scope(text: str, figure: str, scope: str) -> None:
    start = text.index(figure)
    assert figure_scope(text, start, start + len(figure)) == scope


def test_code_part() -> None:
    text = "Boeing's 787-8/9 fleet flew 9 routes."
    assert code_part(text, text.index("9 fleet")) and not code_part(text, text.index("9 routes"))


def test_a_surname_meets_the_full_name() -> None:
    """Mugabe "had fired Mnangagwa" and "he had sacked Mnangagwa" are one claim: the
    dismissal verbs are one class, a name cut to its last word is the same participant
    (index keys meet, and a head the parse left unnamed matches the name on the other side)."""
    fired = key("dismiss", "mugabe", "mnangagwa", "robert mugabe", "emmerson mnangagwa")
    sacked = key("dismiss", "", "mnangagwa", "", "mnangagwa")
    assert verb_class("sack") == verb_class("fire") == "dismiss"
    assert "dismiss|mnangagwa" in fired.index_keys()
    assert set(fired.index_keys()) & set(sacked.index_keys())
    assert claims_match(fired, sacked) > 0
    unnamed = key("dismiss", "board", "altman", "openai")  # "Altman, who was fired by ..."
    named = key("dismiss", "", "altman", "", "sam altman")
    assert "dismiss|altman" in unnamed.index_keys()
    assert claims_match(unnamed, named) > 0
    other = key("dismiss", "", "brockman", "", "greg brockman")
    assert claims_match(unnamed, other) == 0  # a head that is another name's part differs


def test_no_verb_sits_in_two_classes() -> None:
    """A verb in two classes would silently take the later one ("dismiss": deny or fire)."""
    from newsloom.compare import _VERB_CLASSES

    verbs = [v for listed in _VERB_CLASSES.values() for v in listed.split()]
    assert len(verbs) == len(set(verbs))


def test_a_head_named_on_one_side_only_is_that_participant() -> None:
    """A parse may read names off a phrase inside a participant ("Altman, who was fired by
    OpenAI's board" gives the patient the name OpenAI): the same head, which the other side
    names, is still the same participant. Two people named in full on both sides are not
    ("Grace Mugabe" / "Robert Mugabe"), nor is a head no side names ("the city")."""
    stray = key("dismiss", "board", "altman", "openai", "openai")
    named = key("dismiss", "", "altman", "", "altman")
    assert parties(stray, named) == (0, 1)
    assert claims_match(stray, named) == pytest.approx(0.85)
    grace = key("welcome", "mugabe", "move", "grace mugabe")
    robert = key("welcome", "mugabe", "move", "robert mugabe")
    assert parties(grace, robert) is None
    ghazni = key("capture", "taliban", "city", "taliban", "ghazni")
    kandahar = key("capture", "taliban", "city", "taliban", "kandahar")
    assert parties(ghazni, kandahar) is None


def test_parties_say_which_participants_are_known_the_same() -> None:
    """`parties` tells a caller which participants matched (both, for backing a shown claim),
    so no caller compares `claims_match`'s float to a constant."""
    seized = key("capture", "taliban", "kandahar", "taliban", "kandahar")
    captured = key("capture", "taliban", "city", "taliban", "kandahar")
    unnamed = key("capture", "", "kandahar", "", "kandahar")
    assert parties(seized, captured) == (1, 1)
    assert parties(seized, unnamed) == (0, 1)
    assert parties(seized, key("kill", "taliban", "kandahar", "taliban", "kandahar")) is None
    assert parties(seized, unnamed, loose=True) == (0, 1)
    assert claims_match(seized, captured) > claims_match(seized, unnamed) > 0
