"""Duplicates and rewrites: exact copies, near copies, hand-written paraphrases, and
independent reports of one event that must not be taken for copies."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_cluster import EVENTS, make_article, seed_articles

from newsloom.dedupe import credited_wires, find_duplicates, independent_roots, trace_copies
from newsloom.nlp import Embedder, load_embedder

PERU_REWRITE = (
    "On Monday a 6.9-magnitude quake hit close to Arequipa, in the south of Peru, damaging "
    "churches and leaving thousands of homes without electricity. At least four people died "
    "and 60 were hurt in the Arequipa region, according to Peru's civil defence institute. "
    "According to the US Geological Survey, the earthquake's epicentre lay 40 km north of "
    "Arequipa, 35 km deep. Tourist buses were stranded after landslides cut the highway "
    "linking Arequipa to the Colca Canyon."
)

KANDAHAR_REWRITE = (
    "Washington and London ordered hundreds of soldiers to Afghanistan on Friday to evacuate "
    "their citizens, as the Taliban overran several big regional cities and left the capital "
    "dangerously exposed. The Taliban took control of Kandahar, the second largest city in the "
    "country and the Taliban heartland, so that only Kabul and a few other pockets remain in "
    "government hands. A resident told AFP that government forces seemed to have pulled back en "
    "masse to a military base outside the southern city. After an eight-day blitz on urban "
    "centres by the Taliban, the Afghan government and its US backers have lost control of most "
    "of the country. The offensive started once the US and its allies pulled nearly all their "
    "forces out of Afghanistan, with President Joe Biden eager to end the two-decade war by "
    "September 11."
)


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return load_embedder()


def peru(i: int) -> str:
    return EVENTS["peru"][i][2]


def test_exact_and_near_duplicates() -> None:
    text = " ".join(day[2] for day in EVENTS["peru"])  # one long report
    original = make_article(text, published="2024-03-04")
    exact = make_article(text.upper().replace(". ", ".\n\n"), published="2024-03-05")
    near = make_article(text.replace("thousands of homes", "many homes"), published="2024-03-05")
    other = make_article(EVENTS["crash"][0][2], published="2024-03-05")
    found = {d.article_id: d for d in find_duplicates([near, other, exact, original])}
    assert found[exact.id].kind == "exact" and found[exact.id].original_id == original.id
    assert found[near.id].kind == "near" and found[near.id].original_id == original.id
    assert found[near.id].score >= 0.8
    assert other.id not in found and original.id not in found


def test_paraphrased_rewrite_points_to_its_original(embedder: Embedder) -> None:
    original = make_article(peru(0), published="2024-03-04")
    rewrite = make_article(PERU_REWRITE, published="2024-03-05")
    independent = make_article(peru(1), published="2024-03-05")
    short = make_article(peru(2), published="2024-03-04")
    arts = [rewrite, independent, original, short]
    derivations = trace_copies(arts, embedder)
    assert [(d.article_id, d.original_id, d.kind) for d in derivations] == [
        (rewrite.id, original.id, "rewrite")
    ]
    assert derivations[0].evidence["matched_sentences"] >= 3
    roots = independent_roots(arts, derivations)
    assert roots[rewrite.id] == original.id
    assert roots[independent.id] == independent.id and roots[short.id] == short.id


def test_seeds_are_independent_but_a_paraphrase_of_one_is_not(
    embedder: Embedder, seeds_dir: Path
) -> None:
    seeds = seed_articles(seeds_dir)
    afp_rewrite, bbc = seeds
    assert credited_wires(afp_rewrite) == ["AFP"]
    copy = make_article(KANDAHAR_REWRITE)
    derivations = trace_copies([copy, *seeds], embedder)
    assert [(d.article_id, d.original_id) for d in derivations] == [(copy.id, afp_rewrite.id)]
    assert derivations[0].evidence["credited_wire"] == ["AFP"]
    roots = independent_roots([*seeds, copy], derivations)
    assert roots[bbc.id] == bbc.id and roots[afp_rewrite.id] == afp_rewrite.id


def test_roots_follow_chains_and_survive_cycles() -> None:
    from newsloom.models import Article, Derivation

    arts = [Article(id=x, text=x) for x in "abcd"]
    chain = [Derivation("c", "b", "near", 0.9), Derivation("b", "a", "rewrite", 0.7)]
    assert independent_roots(arts, chain) == {"a": "a", "b": "a", "c": "a", "d": "d"}
    cycle = [Derivation("a", "b", "near", 0.9), Derivation("b", "a", "near", 0.9)]
    roots = independent_roots(arts[:2], cycle)
    assert set(roots.values()) <= {"a", "b"}
