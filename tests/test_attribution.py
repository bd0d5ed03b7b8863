"""The learned attribution step: lemmas, candidates, the no-nesting decision, the shipped
model, and the training script on a tiny PolNeAR-shaped corpus."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import load_script
from test_quotes import quotes_of

from newsloom.evaluate.quotes import documents, metrics_of, score
from newsloom.extract.attribution import (
    VERB_CLASSES,
    AttributionModel,
    candidates,
    lemma,
    load_model,
)
from newsloom.extract.quotes import find_quotes, rule_quotes
from newsloom.nlp import load_spacy

ROOT = Path(__file__).resolve().parent.parent
EVERYTHING = AttributionModel({"o=subj": 10.0, "nocue": 10.0}, 0.0, 0.5)  # keeps every candidate
NOTHING = AttributionModel({}, -10.0, 0.5)


def _speakers(text: str, model: AttributionModel) -> list[tuple[str, str]]:
    from newsloom.evaluate.quotes import _article

    doc = load_spacy()(text)
    article = _article(text, doc)
    found = find_quotes(article, doc, [], model)
    return [(text[q.speaker_start : q.speaker_end], q.cue) for q in found if q.speaker_start >= 0]


def test_lemmas_of_verbs_and_nouns() -> None:
    doc = load_spacy()("Trump criticized the claims and said he was thinking of suing.")
    got = {t.text: lemma(t) for t in doc}
    assert got["criticized"] == "criticize"
    assert got["claims"] == "claim"
    assert got["said"] == "say"
    assert got["thinking"] == "think"


def test_parse_candidates_beyond_the_rules() -> None:
    text = (
        "Trump unleashed a series of tweets against Machado. The ad was praised by "
        "veterans. Warren urged Stumpf to resign. Clinton's plan raises taxes."
    )
    doc = load_spacy()(text)
    found = rule_quotes(text, doc, [])
    pairs = {(c.cue.text if c.cue else "", text[slice(*c.source)], c.origins[0])
             for c in candidates(doc, found.quotes)}  # fmt: skip
    assert ("unleashed", "Trump", "subj") in pairs
    assert ("praised", "veterans", "agent") in pairs
    assert ("resign", "Stumpf", "control") in pairs
    assert ("plan", "Clinton's", "poss") in pairs


def test_the_model_decides_and_attributions_do_not_nest() -> None:
    text = "Trump said that Clinton wants to raise taxes on the middle class."
    assert _speakers(text, EVERYTHING) == [("Trump", "said")]  # "Clinton wants" is content
    assert _speakers(text, NOTHING) == []
    # a quotation alone in its paragraph keeps its inherited speaker whatever the model says
    text = "“We will win,” Mayor Jane Hale said.\n\n“And we will rebuild.”"
    doc = load_spacy()(text)
    from newsloom.evaluate.quotes import _article

    kept = find_quotes(_article(text, doc), doc, [], NOTHING)
    assert [q.text for q in kept] == ["And we will rebuild."]


def test_a_verb_takes_the_weight_of_its_class() -> None:
    # a model that knows only classes: "lambasted" and "castigated" as judgements, "vowed"
    # as a commitment; "repaired" has no class and "said that" governs nothing of its class
    model = AttributionModel({"cls=judge": 6.0, "cls=commit": 6.0}, -3.0, 0.5)
    got = _speakers("Senator Hale lambasted the plan. Governor Ruiz repaired the roof.", model)
    assert got == [("Senator Hale", "lambasted")]
    assert _speakers("Mayor Ortiz castigated the council.", model) == [
        ("Mayor Ortiz", "castigated")
    ]
    assert _speakers("The union vowed to strike.", model) == [("The union", "vowed")]
    assert {"judge"} == set(VERB_CLASSES["castigate"]) and "say" in VERB_CLASSES["testify"]


def test_colon_and_dash_bylines_are_kept_whatever_the_model_says() -> None:
    text = (
        "WALLACE: Do you really see those two as equivalent, Governor?\n\n"
        "PENCE: Well, look, Mark Cuban has been out there saying some tough things.\n\n"
        "“He is someone no sane person would want in the White House.” ― Adriana Rodarte\n\n"
        "Trump said the debate was rigged."
    )
    got = _speakers(text, NOTHING)
    assert ("WALLACE", ":") in got and ("PENCE", ":") in got
    assert ("Adriana Rodarte", "―") in got
    assert all(cue != "said" for _, cue in got)  # the model still decides the rest


def test_shipped_model_keeps_reported_speech_and_a_stance() -> None:
    model = load_model()
    assert 0.2 <= model.threshold <= 0.7 and "PolNeAR" in model.meta["trained_on"]
    again = AttributionModel.from_dict(model.to_dict())
    assert again == model
    _, quotes = quotes_of(
        "“We will not leave,” said Ahmad Wali, a resident of Kandahar.\n\n"
        "Senator John Hale blasted the plan as reckless."
    )
    speakers = {(q.speaker, q.kind) for q in quotes}
    assert ("Ahmad Wali", "speech") in speakers
    assert ("John Hale", "stance") in speakers


def _polnear(folder: Path, name: str, text: str, source: str, cue: str, content: str) -> None:
    (folder / "text").mkdir(parents=True, exist_ok=True)
    (folder / "attributions").mkdir(parents=True, exist_ok=True)
    (folder / "text" / f"{name}.txt").write_text(text, encoding="utf-8")
    spans = [(text.index(part), text.index(part) + len(part)) for part in (source, cue, content)]
    kinds = zip(("Source", "Cue", "Content"), spans, strict=True)
    lines = [f"T{i + 1}\t{kind} {a} {b}\t{text[a:b]}" for i, (kind, (a, b)) in enumerate(kinds)]
    lines += [f"T4\tAttribution {spans[1][0]} {spans[1][1]}\t{cue}",
              "E1\tAttribution:T4 Content:T3 Cue:T2 Source:T1"]  # fmt: skip
    (folder / "attributions" / f"{name}_x.ann").write_text("\n".join(lines) + "\n", "utf-8")


def test_training_script_fits_a_model_that_scores_like_the_eval(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    _polnear(tmp_path, "a", "Senator Hale blasted the plan. Rain fell.", "Senator Hale",
             "blasted", "the plan")  # fmt: skip
    _polnear(tmp_path, "b", "Governor Ruiz attacked the budget. Snow fell.", "Governor Ruiz",
             "attacked", "the budget")  # fmt: skip
    docs = list(documents(tmp_path, "all"))
    train = load_script("train_attribution")
    cache = {d.name: train.examples(d) for d in docs}
    labels = [y for _, ys in cache.values() for y in ys]
    assert 1 in labels and 0 in labels  # the attacks are attributions, the weather is not
    model = train.fit(docs, cache)
    assert isinstance(model, AttributionModel) and model.threshold in train.THRESHOLDS
    assert metrics_of(score(docs, model))["source_exact_f1"] == 1.0
    text = docs[0].article.text
    found = find_quotes(docs[0].article, docs[0].doc, [], model)
    assert [text[q.speaker_start : q.speaker_end] for q in found] == ["Senator Hale"]


def test_headline_verbs_read_as_plural_nouns_are_candidates() -> None:
    for text, pair in (
        ("House panel votes to hold Clinton aide in contempt.", ("votes", "House panel")),
        ("But Trump claims that he should be the exception.", ("claims", "Trump")),
    ):
        doc = load_spacy()(text)
        assert next(t for t in doc if t.text == pair[0]).tag_ == "NNS"  # the misreading
        found = rule_quotes(text, doc, [])
        pairs = {(c.cue.text if c.cue else "", text[slice(*c.source)])
                 for c in candidates(doc, found.quotes)}  # fmt: skip
        assert pair in pairs
