"""Entity mentions: gazetteer relabelling, added places and canonical names."""

from __future__ import annotations

from newsloom.clean import split_sentences
from newsloom.extract.entities import alias_map, find_mentions, merge_story_entities
from newsloom.extract.places import load_gazetteer
from newsloom.models import Article, Mention, Sentence
from newsloom.nlp import load_spacy


def mentions_of(text: str) -> tuple[Article, list[Mention]]:
    art = Article(id="t", text=text)
    art.sentences = [Sentence(i, text[s:e], s, e) for i, (s, e) in enumerate(split_sentences(text))]
    return art, find_mentions(art, load_spacy()(text), load_gazetteer())


def label_of(mentions: list[Mention], text: str) -> str:
    return next(m.label for m in mentions if m.text == text)


def test_misread_places_become_gpe() -> None:
    text = (
        "KABUL (Reuters) - Fighting spread to Herat and Ghazni on Thursday. "
        "Residents of Lashkar Gah said the city was surrounded. Meanwhile Kunduz fell."
    )
    art, mentions = mentions_of(text)
    for name in ("Herat", "Ghazni", "Lashkar Gah", "KABUL", "Kunduz"):
        assert label_of(mentions, name) == "GPE", name
    kabul = next(m for m in mentions if m.text == "KABUL")
    assert kabul.norm == "Kabul" and kabul.sentence == 0
    assert all(text[m.start : m.end] == m.text for m in mentions)
    assert all(m.sentence == art.sentence_at(m.start) for m in mentions)


def test_people_and_organisations_keep_their_labels() -> None:
    text = (
        "Paris Hilton arrived late. The University of Chicago said on Monday that "
        "Chelsea Clinton would speak at its graduation."
    )
    _, mentions = mentions_of(text)
    assert all(m.label != "GPE" for m in mentions if "Paris" in m.text or "Chelsea" in m.text)


def test_norms_drop_titles_and_merge_surnames_and_country_names() -> None:
    text = (
        "President Joe Biden met Prime Minister Boris Johnson in Washington. "
        "Biden said the U.S. and the United Kingdom would act together, and Johnson agreed. "
        "America will send aid, said State Department spokesman Ned Price. Price added that "
        "the UN would help."
    )
    _, mentions = mentions_of(text)
    norms = {m.text: m.norm for m in mentions}
    assert norms["Joe Biden"] == "Joe Biden"
    assert norms["Biden"] == "Joe Biden"
    assert norms["Johnson"] == "Boris Johnson"
    assert norms["U.S."] == "United States"
    assert norms["America"] == "United States"
    assert norms["the United Kingdom"] == "United Kingdom"
    assert norms["UN"] == "United Nations"
    assert label_of(mentions, "UN") == "ORG"


def test_alias_map_expands_acronyms_and_known_aliases() -> None:
    names = [
        ("ORG", "World Food Programme"),
        ("ORG", "WFP"),
        ("ORG", "Pentagon"),
        ("ORG", "US Department of Defense"),
        ("PERSON", "Antonio Guterres"),
        ("PERSON", "Guterres"),
    ]
    out = alias_map(names)
    assert out["WFP"] == "World Food Programme"
    assert out["Pentagon"] == out["US Department of Defense"] == "US Department of Defense"
    assert out["Guterres"] == "Antonio Guterres"


def test_merge_story_entities_across_articles() -> None:
    first, first_mentions = mentions_of(
        "President Joe Biden spoke in Washington. A State Department spokesman said the "
        "United Nations would help."
    )
    second, second_mentions = mentions_of(
        "Biden said on Friday that the Pentagon would send troops, and the UN agreed."
    )
    first.mentions, second.mentions = first_mentions, second_mentions
    merged = merge_story_entities([first, second])
    assert merged["Biden"] == "Joe Biden"
    assert merged["United Nations"] == "United Nations"
    norm_of = {m.text: m.norm for m in first.mentions + second.mentions}
    assert merged[norm_of["Pentagon"]] == "US Department of Defense"
    assert merged[norm_of["State Department"]] == "US Department of State"
    assert merged[norm_of["UN"]] == "United Nations"
