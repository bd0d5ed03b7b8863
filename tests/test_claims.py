"""A claim belongs to the clause that holds its verb (issue #11: claims, not sentences)."""

from __future__ import annotations

from newsloom.clean import clean_article
from newsloom.extract import extract_batch
from newsloom.fuse import fuse_story, split_statements
from newsloom.models import Article, Claim, content_id
from newsloom.pipeline import Resources

# A long sentence cut into two clauses; the parse lets the first clause's span run on to
# "but", so its claim (troops deployed) overlaps the second clause, which does not state it.
PENTAGON = (
    "The Pentagon said that 1,500 US troops will be deployed to Haiti over the coming week, "
    "but that the troops would not be used to fight the gangs in Haiti."
)
OTHER = "The US is to send about 1,500 troops to Haiti to guard the airport and the embassy."
CONJUNCT = "but that the troops would not be used"


def parsed(resources: Resources, *texts: str) -> list[Article]:
    raw = [
        Article(
            id=content_id(text),
            text=text,
            source=f"Outlet {i}",
            url=f"https://outlet{i}.example/a",
            published="2024-05-06",
        )
        for i, text in enumerate(texts)
    ]
    return extract_batch([clean_article(a) for a in raw], resources.nlp, resources.gazetteer)


def test_a_claim_knows_where_its_verb_is(resources: Resources) -> None:
    (art,) = parsed(resources, PENTAGON)
    verbs = {c.verb: c for c in art.claims}
    deploy, fight = verbs["deploy"], verbs["fight"]
    assert art.text[deploy.verb_start :].startswith("deployed")
    assert art.text[fight.verb_start :].startswith("fight")
    assert all(c.start <= c.verb_start < c.end for c in art.claims)
    assert deploy.end > art.text.index(CONJUNCT)  # the clause does run over (the case here)


def test_a_clause_carries_the_claims_whose_verb_it_holds(resources: Resources) -> None:
    (art,) = parsed(resources, PENTAGON)
    first, second = split_statements(art, 0)
    assert second.text.startswith(CONJUNCT)
    assert [k.verb for k in first.claims] == ["deploy"]
    assert "deploy" not in [k.verb for k in second.claims]
    assert "fight" in [k.verb for k in second.claims]


def test_a_claim_stored_without_its_verb_is_placed_by_its_clause_start(
    resources: Resources,
) -> None:
    (art,) = parsed(resources, PENTAGON)
    stored = [c.to_dict() for c in art.claims]
    for c in stored:
        del c["verb_start"]  # as read from a store written before claims had it
    art.claims = [Claim.from_dict(c) for c in stored]
    assert all(c.verb_start == -1 for c in art.claims)
    first, second = split_statements(art, 0)
    assert [k.verb for k in first.claims] == ["deploy"]
    assert "deploy" not in [k.verb for k in second.claims]


def test_a_fact_does_not_cite_a_clause_that_only_borders_its_claim(
    resources: Resources,
) -> None:
    arts = parsed(resources, PENTAGON, OTHER)
    facts = fuse_story(arts, [], resources.matcher)
    (deployed,) = [f for f in facts if any(c.text == OTHER for c in f.citations)]
    assert deployed.status == "corroborated" and deployed.independent_sources == 2
    assert [c.text for c in deployed.citations] == [
        "The Pentagon said that 1,500 US troops will be deployed to Haiti over the coming week",
        OTHER,
    ]
    assert any(f.citations[0].text.startswith(CONJUNCT) for f in facts if f is not deployed)
