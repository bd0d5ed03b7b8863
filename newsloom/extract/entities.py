"""Named entity mentions: spaCy NER, corrected with the gazetteer, with canonical names.

The small English model often mislabels foreign places ("Lashkar Gah" as PERSON,
"Herat" as ORG, a "KABUL" dateline as ORG) or misses them. Entities whose whole
text is the own name of a known place are relabelled GPE unless their context
says person or organisation, and capitalised runs that spaCy left out are added
when they are a known place. `norm` merges aliases within the article (titles and
"the" dropped, surnames to full names, "U.S." to "United States");
`merge_story_entities` does the same across a story's articles.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING

from newsloom.extract.places import Gazetteer, best_candidate, fold, load_gazetteer
from newsloom.models import Article, Mention

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span


def _words(text: str) -> frozenset[str]:
    """A word set written as text (long vocabularies stay compact)."""
    return frozenset(text.split())


LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT"})

TITLES = _words(
    """
    president vice prime minister foreign defence defense secretary senator sen rep
    representative governor gov mayor mr mrs ms miss dr gen general lt col colonel major
    capt captain sgt chancellor king queen prince princess sir lord lady judge justice
    chief spokesman spokeswoman spokesperson ambassador commander admiral pope sheikh
    former acting deputy interior state home finance
    """
)

# Words that make a span an organisation or a person's title, not a place.
ORG_WORDS = _words(
    """
    university college school party council ministry department company corp inc ltd
    bank club fc united city's agency army forces police news times post journal group
    association committee court hospital institute foundation airlines airways league
    herald tribune network channel
    """
)

SPEECH_VERBS = frozenset({"say", "said", "says", "told", "tells", "added", "asked", "wrote"})

# Well-known aliases that neither spelling nor initials reveal (folded key -> canonical).
ORG_ALIASES = {
    "pentagon": "US Department of Defense",
    "defense department": "US Department of Defense",
    "department of defense": "US Department of Defense",
    "us department of defense": "US Department of Defense",
    "us defense department": "US Department of Defense",
    "state department": "US Department of State",
    "us state department": "US Department of State",
    "department of state": "US Department of State",
    "white house": "White House",
    "kremlin": "Kremlin",
    "un": "United Nations",
    "united nations": "United Nations",
    "nato": "NATO",
    "eu": "European Union",
    "european union": "European Union",
    "who": "World Health Organization",
    "fbi": "FBI",
    "cia": "CIA",
    "foreign office": "Foreign Office",
    "mod": "Ministry of Defence",
}

ACRONYM_SKIP = frozenset({"of", "the", "and", "for", "on", "in", "&"})

MIN_CITY_POPULATION = 20000  # smaller towns share names with too many people and words
MIN_ADDED_POPULATION = 100000  # for names that NER did not mark at all


def _strip_name(text: str, person: bool = True) -> str:
    """Drop "the", possessive 's, extra spaces and (for people) leading titles."""
    text = re.sub(r"\s+", " ", text).strip().strip(",;:")
    text = re.sub(r"['’]s$", "", text)
    words = text.split(" ")
    if words and words[0].lower() == "the":
        words = words[1:]
    while person and len(words) > 1 and words[0].lower().rstrip(".") in TITLES:
        words = words[1:]
    return " ".join(words)


def _looks_like_org_or_person(span: Span) -> bool:
    """Context that keeps a place-named PERSON/ORG as it is."""
    words = {t.lower_ for t in span}
    if words & ORG_WORDS:
        return True
    before = span.doc[span.start - 1] if span.start > 0 else None
    if before is not None and before.lower_.rstrip(".") in TITLES:
        return True
    after = span.doc[span.end] if span.end < len(span.doc) else None
    if span.label_ == "PERSON" and len(span) == 1:
        return after is not None and after.lower_ in SPEECH_VERBS
    return after is not None and after.lower_ in {"inc", "ltd", "corp"}


def _place_label(span: Span, gazetteer: Gazetteer, person_words: set[str]) -> str:
    """GPE when a PERSON/ORG span is really a known place, else its own label.

    A one-word PERSON must be a big place and not a word of a full name elsewhere
    ("Tyler" after "Anne Tyler" stays a person).
    """
    if span.label_ not in {"PERSON", "ORG"}:
        return span.label_
    text = _strip_name(span.text)
    single_person = span.label_ == "PERSON" and len(span) == 1
    if single_person and text in person_words:
        return span.label_
    size = MIN_ADDED_POPULATION if single_person else MIN_CITY_POPULATION
    if gazetteer.is_known_place(text, size) and not _looks_like_org_or_person(span):
        return "GPE"
    return span.label_


def _is_capitalised(text: str) -> bool:
    return len(text) > 1 and text[0].isupper() and text.replace("-", "").isalpha()


def _missed_places(doc: Doc, taken: list[bool], gazetteer: Gazetteer) -> list[tuple[int, int]]:
    """Token ranges of whole capitalised runs that NER missed and that name a known place.

    The whole run must match, so "Paris Hilton" or "Jordan Henderson" stay out;
    a lone word must be a proper noun or an all-caps dateline, not part of a
    person's name elsewhere in the text ("Nelson" after "Horatio Nelson"), and
    a town must be big: small towns are named after too many people.
    """
    person_words = {t.text for ent in doc.ents if ent.label_ == "PERSON" for t in ent}
    found = []
    i = 0
    while i < len(doc):
        if taken[i] or not _is_capitalised(doc[i].text):
            i += 1
            continue
        j = i
        while j < len(doc) and not taken[j] and _is_capitalised(doc[j].text):
            j += 1
        start = i
        while start < j - 1 and doc[start].pos_ != "PROPN" and not doc[start].is_upper:
            start += 1  # "Meanwhile Herat": a capitalised sentence opener is no name
        span = doc[start:j]
        text = span.text
        proper = all(t.pos_ == "PROPN" for t in span) or (text.isupper() and len(text) > 3)
        after_title = i > 0 and doc[i - 1].lower_.rstrip(".") in TITLES
        if (
            proper
            and not after_title
            and not set(text.split()) & person_words
            and gazetteer.is_known_place(text, MIN_ADDED_POPULATION)
        ):
            found.append((start, j))
        i = j
    return found


def _missed_surnames(doc: Doc, taken: list[bool], spans: list[tuple[int, int, str]]) -> list[int]:
    """Tokens NER left out that repeat the surname of a person named in full ("Price added")."""
    surnames = {doc[j - 1].text for i, j, label in spans if label == "PERSON" and j - i > 1}
    return [
        t.i
        for t in doc
        if not taken[t.i] and t.text in surnames and t.pos_ == "PROPN" and t.text[0].isupper()
    ]


def _place_norm(text: str, gazetteer: Gazetteer) -> str:
    """Countries under their gazetteer name ("U.S." -> "United States"); datelines titled."""
    entry = best_candidate(gazetteer, text)
    if entry is not None and entry.feature in {"country", "continent"}:
        return entry.name
    return text.title() if text.isupper() and len(text) > 3 else text


def _initials(name: str) -> str:
    return "".join(w[0] for w in name.split() if w.lower() not in ACRONYM_SKIP and w[0].isalpha())


def alias_map(names: list[tuple[str, str]]) -> dict[str, str]:
    """Map each stripped name to a canonical one, given (label, name) pairs.

    Known aliases and acronyms go to the long form ("UN" -> "United Nations"); a
    person's surname alone goes to the most frequent full name ending with it.
    """
    counts = Counter(name for _, name in names)
    persons = [n for label, n in names if label == "PERSON" and " " in n]
    long_forms = [n for n in counts if " " in n]
    out: dict[str, str] = {}
    for label, name in names:
        key = fold(name)
        if key in ORG_ALIASES:
            out[name] = ORG_ALIASES[key]
            continue
        target = name
        if " " not in name and label in {"PERSON", "ORG"}:
            full = [p for p in persons if p.split()[-1] == name]
            if full:
                target = max(full, key=lambda p: (counts[p], len(p)))
        acronym = name.replace(".", "")
        if target == name and acronym.isupper() and 2 <= len(acronym) <= 6:
            longs = [n for n in long_forms if _initials(n) == acronym]
            if longs:
                target = max(longs, key=lambda n: counts[n])
        out[name] = target
    # Follow chains ("Pentagon" and its long form end in one name).
    for name, target in out.items():
        out[name] = ORG_ALIASES.get(fold(target), target)
    return out


def find_mentions(article: Article, doc: Doc, gazetteer: Gazetteer | None = None) -> list[Mention]:
    """Entity mentions of `article` from its spaCy `doc`, places corrected, norms merged."""
    gaz = gazetteer if gazetteer is not None else load_gazetteer()
    taken = [False] * len(doc)
    spans: list[tuple[int, int, str]] = []
    person_words = {t.text for e in doc.ents if e.label_ == "PERSON" and len(e) > 1 for t in e}
    for ent in doc.ents:
        taken[ent.start : ent.end] = [True] * len(ent)  # "March" as a DATE is no town
        if ent.label_ in LABELS:
            spans.append((ent.start, ent.end, _place_label(ent, gaz, person_words)))
    spans += [(i, i + 1, "PERSON") for i in _missed_surnames(doc, taken, spans)]
    spans += [(i, j, "GPE") for i, j in _missed_places(doc, taken, gaz)]
    mentions = []
    for i, j, label in sorted(spans):
        span = doc[i:j]
        text = span.text
        norm = _strip_name(text, person=label == "PERSON")
        if label in {"GPE", "LOC"} and fold(norm) in ORG_ALIASES:
            label = "ORG"  # "UN", "EU": bodies, not places
        elif label in {"GPE", "LOC"}:
            norm = _place_norm(norm, gaz)
        start = span.start_char
        mentions.append(
            Mention(text, label, start, span.end_char, article.sentence_at(start), norm)
        )
    aliases = alias_map([(m.label, m.norm) for m in mentions])
    for m in mentions:
        m.norm = aliases.get(m.norm, m.norm)
    return mentions


def merge_story_entities(articles: list[Article]) -> dict[str, str]:
    """Map each mention norm in a story to one canonical name across its articles."""
    names = [
        (m.label, m.norm or _strip_name(m.text, m.label == "PERSON"))
        for a in articles
        for m in a.mentions
    ]
    return alias_map(names)
