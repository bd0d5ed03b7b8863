"""Extract stage: entities, places, time expressions, quotes, quantities and claims.

One spaCy pass per article feeds every extractor; each extractor is a pure function
in its own module (`entities`, `places`, `dates`, `quotes`, `quantities`).
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import TYPE_CHECKING

from newsloom.extract import actions, claims, dates, entities, places, quantities, quotes
from newsloom.limits import parse_safe
from newsloom.models import Article

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

    from newsloom.extract.places import Gazetteer


log = logging.getLogger(__name__)


def extract_article(article: Article, doc: Doc, gazetteer: Gazetteer) -> Article:
    """Fill the article's mentions, places, times, quotes, quantities and claims from its parse.

    An extractor that fails on one article (a bug met on unusual text) must not lose the
    batch: its field stays empty, the failure is logged and noted in `meta["extract_errors"]`.
    The extractors are English-only: an article in another language keeps them empty and
    says so in `meta["extract_skipped"]` rather than carrying invented names and places.
    """
    if not article.language.lower().startswith("en"):
        article.meta["extract_skipped"] = f"language {article.language!r}: extractors are English"
        return article
    steps = (
        ("mentions", lambda: entities.find_mentions(article, doc)),
        ("places", lambda: places.resolve_places(article, article.mentions, gazetteer)),
        ("times", lambda: dates.times_for(article)),
        ("quotes", lambda: quotes.find_quotes(article, doc, article.mentions)),
        ("quantities", lambda: quantities.find_quantities(article)),
        ("claims", lambda: claims.find_claims(article, doc)),
        ("actions", lambda: actions.lead_actions(article, doc)),
    )
    for field, step in steps:
        try:
            setattr(article, field, step())
        except Exception as exc:  # isolate one article's failure, keep the batch
            log.warning("%s: %s extraction failed: %r", article.origin or article.id, field, exc)
            article.meta.setdefault("extract_errors", []).append(f"{field}: {exc!r}")
    return article


def extract_batch(
    articles: list[Article], nlp: Language, gazetteer: Gazetteer, n_process: int = 1
) -> list[Article]:
    """Run extraction over a batch, parsing with `nlp.pipe` for speed."""
    texts = (parse_safe(a.text) for a in articles)  # same length: offsets hold
    docs = nlp.pipe(texts, batch_size=16, n_process=n_process)
    return [extract_article(a, doc, gazetteer) for a, doc in zip(articles, docs, strict=True)]


def refine_story(
    articles: list[Article],
    gazetteer: Gazetteer,
    context: Counter[str] | None = None,
    anchor: str = "",
) -> list[Article]:
    """Story-level second pass: what one article alone cannot know.

    - Places are re-resolved with the countries that the story's other articles
      mention, so an ambiguous name goes to the story's region.
    - An undated article borrows the story's earliest publication date as the anchor
      for relative dates ("on Thursday"), marked `meta["date_anchor"] = "story"`.

    `context` (country counts) and `anchor` (earliest date) may come from articles of the
    story that are not in `articles` (an incremental update refines only new ones).
    """
    if context is None:
        context = Counter(p.country for a in articles for p in a.places if p.country)
    dated = sorted(d for d in [anchor, *(a.day for a in articles)] if d)
    for art in articles:
        if context:
            art.places = places.resolve_places(art, art.mentions, gazetteer, context)
        if not art.published and dated:
            anchored = Article.from_dict(art.to_dict())
            anchored.published = dated[0]
            art.times = dates.times_for(anchored)
            art.meta["date_anchor"] = "story"
    return articles
