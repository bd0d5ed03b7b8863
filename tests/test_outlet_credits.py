"""A page that credits another outlet by name ("according to the Telegraph") retells that
outlet's report: where a fact cites both pages they are one source (issue #11, same_outlet)."""

from __future__ import annotations

import pytest

from newsloom.clean import clean_article
from newsloom.extract import extract_batch
from newsloom.fuse import Fact, _credited_outlets, fuse_story, outlet_key
from newsloom.models import Article, content_id
from newsloom.paraphrase import ParaphraseMatcher
from newsloom.pipeline import Resources

TELEGRAPH = (
    "https://www.telegraph.co.uk/news/1",
    "The ferry capsized on Lake Kivu near Goma with 120 passengers on board.",
)
REWRITE = (
    "https://www.ibtimes.com.au/ferry-2",
    "A ferry with 120 passengers on board capsized on Lake Kivu near Goma. "
    "Rescuers were still searching the lake for survivors, {credit}.",
)


@pytest.fixture(scope="module")
def matcher(resources: Resources) -> ParaphraseMatcher:
    return resources.matcher


def parsed(resources: Resources, *pages: tuple[str, str]) -> list[Article]:
    raw = [
        Article(id=content_id(text + url), text=text, url=url, published="2024-05-06")
        for url, text in pages
    ]
    return extract_batch([clean_article(a) for a in raw], resources.nlp, resources.gazetteer)


def capsized(facts: list[Fact]) -> Fact:
    found = [f for f in facts if len({c.article_id for c in f.citations}) == 2]
    assert len(found) == 1, [(f.status, [c.text for c in f.citations]) for f in facts]
    return found[0]


def test_a_page_names_the_outlets_it_credits_but_not_agencies_or_officials() -> None:
    text = (
        "The ferry sank, the Telegraph reported.\nA survivor told CBS News she swam ashore.\n"
        "Reuters reported 40 rescued, according to the Associated Press. Police said so."
    )
    assert _credited_outlets(text) == ["cbsnews", "telegraph"]
    page = Article(id="a", text=text, url="https://www.telegraph.co.uk/news/3")
    assert outlet_key(page) == "telegraph||cbsnews"  # its own name is no credit
    plain = Article(id="b", text="The ferry sank.", url="https://www.ibtimes.com.au/x")
    assert outlet_key(plain) == "ibtimes|"  # keys of pages crediting nobody are unchanged
    own = Article(id="c", text="She told The Japan Times so.", source="The Japan Times")
    assert outlet_key(own) == "japan times|"  # a source name without a URL, compared compact


@pytest.mark.parametrize("rewrite_first", [False, True])
def test_a_page_crediting_an_outlet_is_one_source_with_its_page(
    resources: Resources, matcher: ParaphraseMatcher, rewrite_first: bool
) -> None:
    rewrite = (REWRITE[0], REWRITE[1].format(credit="according to the Telegraph"))
    pages = [rewrite, TELEGRAPH] if rewrite_first else [TELEGRAPH, rewrite]
    fact = capsized(fuse_story(parsed(resources, *pages), [], matcher))
    assert fact.independent_sources == 1 and fact.status == "single"


def test_crediting_a_party_that_is_no_page_of_the_story_folds_nothing(
    resources: Resources, matcher: ParaphraseMatcher
) -> None:
    """Both pages credit the ministry, which has no page here: two reports, as before."""
    ministry = "according to the Interior Ministry"
    rewrite = (REWRITE[0], REWRITE[1].format(credit=ministry))
    telegraph = (TELEGRAPH[0], f"{TELEGRAPH[1]} The toll was not yet known, {ministry}.")
    fact = capsized(fuse_story(parsed(resources, telegraph, rewrite), [], matcher))
    assert fact.independent_sources == 2 and fact.status == "corroborated"
