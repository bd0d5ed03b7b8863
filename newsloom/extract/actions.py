"""What the lead says happened: the lemmas of the verbs of the headline and first sentences.

Two events of one storyline share actors, places and vocabulary; what tells them apart is
often the action itself (a plane *crashed* / regulators *grounded* the fleet; rebels
*captured* a city / the president *fled*; the board *fired* its chief / *reinstated* him).
The story index compares these lemmas as a channel of their own (`cluster.Features`).
Verbs of reporting ("said", "told") and light verbs ("have", "make") say nothing about the
event and are left out. The body's lead comes from the article's own parse; a headline that
is not part of the text is tagged by the same model's tagger alone (no parser, no NER).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from newsloom.models import Article, Sentence
from newsloom.nlp import load_spacy

if TYPE_CHECKING:
    from spacy.pipeline import Lemmatizer
    from spacy.tokens import Doc, Token

LEAD_SENTENCES = 2  # body sentences after the headline

_NOT_ACTIONS = """say tell report add accord announce confirm state claim believe think know see
    be have do make get go come take include reveal call quote cite describe note suggest
    appear seem want need try begin continue remain become show give put use expect find keep
    let"""
NOT_ACTIONS = frozenset(_NOT_ACTIONS.split())


@functools.cache
def _lemmatizer() -> Lemmatizer:
    """spaCy's rule lemmatizer alone, on the main pipeline's vocabulary: the main pipeline
    leaves it out (it would lemmatise every token of every text, for a few lead verbs),
    and a second copy of the model (tagger and all) cost ~35 MB and ~2 s in every process."""
    from spacy.lang.en.lemmatizer import EnglishLemmatizer

    nlp = load_spacy()
    lemmatizer = EnglishLemmatizer(nlp.vocab, None, mode="rule")
    lemmatizer.from_disk(nlp.path / "lemmatizer", exclude=["vocab"])  # its lookups only
    return lemmatizer


def _tagged(text: str) -> Doc:
    """A headline tagged and lemmatised by the main pipeline's own tagger (the shared
    tok2vec, tagger and attribute rules, no parser, no NER)."""
    nlp = load_spacy()
    doc = nlp.make_doc(text)
    for name in ("tok2vec", "tagger", "attribute_ruler"):
        doc = nlp.get_pipe(name)(doc)
    return _lemmatizer()(doc)


def is_prose(text: str) -> bool:
    """A sentence of running text, not page furniture ("Email Print", "0", a dateline,
    a menu): five words or more, most of them not capitalised."""
    words = text.split()
    if len(words) < 5:
        return False
    lower = sum(1 for w in words if w[:1].islower())
    return lower >= max(2, len(words) // 3)


def lead_sentences(article: Article, count: int = LEAD_SENTENCES) -> list[Sentence]:
    """The first `count` sentences of running text among the first ten (the headline
    too when cleaning took it from the first line); the first ones if none is prose."""
    extra = 1 if article.meta.get("title_derived") else 0
    prose = [s for s in article.sentences[:10] if is_prose(s.text)]
    return (prose or article.sentences)[: count + extra]


def _verbs(tokens: list[Token], lemma: bool) -> list[str]:
    out = []
    for tok in tokens:
        if tok.pos_ != "VERB":
            continue
        word = (tok.lemma_ if lemma else _lemmatizer().rule_lemmatize(tok)[0]).lower()
        if word.isalpha() and word not in NOT_ACTIONS:
            out.append(word)
    return out


def lead_actions(article: Article, doc: Doc) -> list[str]:
    """Verb lemmas of the headline and the lead sentences, in text order."""
    lead = lead_sentences(article)
    out: list[str] = []
    if article.title and not article.meta.get("title_derived"):
        out += _verbs(list(_tagged(article.title[:300])), lemma=True)
    # the lead is a few sentences among the first ten: only the tokens up to its end
    end = max((sent.end for sent in lead), default=0)
    head: list[Token] = []
    for tok in doc:
        if tok.idx >= end:
            break
        head.append(tok)
    for sent in lead:
        out += _verbs([t for t in head if sent.start <= t.idx < sent.end], lemma=False)
    return out
