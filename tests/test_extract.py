"""The extract stage as a whole: one spaCy parse feeds every extractor."""

from __future__ import annotations

from typing import Any

import pytest

from newsloom.clean import clean_article
from newsloom.extract import extract_batch
from newsloom.models import Article
from newsloom.pipeline import Resources

TEXT = (
    "Ferries evacuated 349 people from Limni on the Greek island of Evia on Sunday, "
    "the coast guard said.\n\n"
    '"We are facing a natural disaster of unprecedented scale," Prime Minister '
    "Kyriakos Mitsotakis said in Athens on Saturday."
)


def article() -> Article:
    return clean_article(Article(id="", text=TEXT, source="Wire", published="2021-08-08"))


def test_extract_fills_every_field(resources: Resources) -> None:
    (art,) = extract_batch([article()], resources.nlp, resources.gazetteer)
    assert any(m.norm == "Kyriakos Mitsotakis" for m in art.mentions)
    assert any(p.name == "Athens" and p.country == "GR" for p in art.places)
    assert any(t.value == "2021-08-07" for t in art.times)  # "on Saturday" before Sunday 8th
    assert any(q.speaker == "Kyriakos Mitsotakis" for q in art.quotes)
    assert any(q.value == 349 and q.counts == "people" for q in art.quantities)
    assert "extract_errors" not in art.meta


def test_extract_failure_of_one_extractor_keeps_the_rest(
    resources: Resources, caplog: pytest.LogCaptureFixture
) -> None:
    broken_gazetteer: Any = object()  # has no lookup methods: place resolution fails
    (art,) = extract_batch([article()], resources.nlp, broken_gazetteer)
    assert art.places == []
    assert art.quotes and art.times and art.quantities
    assert art.meta["extract_errors"][0].startswith("places:")
    assert "places extraction failed" in caplog.text


INDONESIAN = (
    "Banjir besar melanda Jakarta pada hari Minggu dan ribuan warga terpaksa mengungsi ke "
    "tempat yang lebih aman. Menurut badan penanggulangan bencana, air mulai naik sejak "
    "malam hari dan belum surut sampai pagi. Bukan hanya rumah yang rusak, tetapi juga "
    "jalan dan jembatan di beberapa wilayah. Pemerintah akan mengirim bantuan untuk warga "
    "yang terdampak dan meminta mereka untuk tetap waspada."
)


def test_articles_in_other_languages_skip_the_english_extractors(
    resources: Resources,
) -> None:
    foreign = clean_article(Article(id="", text=INDONESIAN, published="2024-01-07"))
    assert foreign.language == "und"
    (art,) = extract_batch([foreign], resources.nlp, resources.gazetteer)
    assert not art.mentions and not art.places and not art.quotes
    assert "English" in art.meta["extract_skipped"]
    (english,) = extract_batch([article()], resources.nlp, resources.gazetteer)
    assert english.language == "en" and english.places
