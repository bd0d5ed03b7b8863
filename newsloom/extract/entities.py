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

from spacy.tokens import Span

from newsloom.extract.places import Gazetteer, best_candidate, fold, load_gazetteer
from newsloom.models import Article, Mention

if TYPE_CHECKING:
    from spacy.tokens import Doc


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

DOC_TEXT = "newsloom.text"  # Doc.user_data key of the joined text
AP_STATE = re.compile(r"[A-Z][a-z]{1,4}\.|[A-Z]\.[A-Z]\.|[A-Z]{2}")
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

# Words before a name that place it ("west of Buckeye", "in Ruskington", "from Kinistino"):
# with one of these a town of any size in the gazetteer is read as a town, not a person.
LOCATIVE = _words(
    "in near at from outside around across throughout between into toward towards via"
)
# "<word> of X" that makes X a place ("north of", "town of", "Smith of Prineville").
OF_PLACE = _words(
    """
    north south east west northeast northwest southeast southwest northern southern eastern
    western town village city community township county outskirts resident residents native
    mayor outside suburb
    """
)
LIST_WORDS = frozenset({",", "and", "or"})


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


def _place_label(
    span: Span, gazetteer: Gazetteer, person_words: set[str], places: list[bool]
) -> str:
    """GPE when a PERSON/ORG span is really a known place, else its own label.

    A one-word PERSON must be a big place and not a word of a full name elsewhere
    ("Tyler" after "Anne Tyler" stays a person). A town of any size counts when the
    text places it: "west of Buckeye", "in Ruskington", "Smith of Prineville", a list of
    places ("Horbling and Ruskington"), "Monroeville, Ala.", or a dateline. `places`
    marks the tokens already read as places.
    """
    if span.label_ not in {"PERSON", "ORG"}:
        return span.label_
    text = _strip_name(span.text)
    if _looks_like_org_or_person(span):
        return span.label_
    if gazetteer.is_known_place(text) and _placed(span, places):
        return "GPE"
    single_person = span.label_ == "PERSON" and len(span) == 1
    if single_person and text in person_words:
        return span.label_
    size = MIN_ADDED_POPULATION if single_person else MIN_CITY_POPULATION
    return "GPE" if gazetteer.is_known_place(text, size) else span.label_


def _placed(span: Span, places: list[bool]) -> bool:
    """Whether the words around a name say it is a place."""
    doc = span.doc
    after = doc[span.end] if span.end < len(doc) else None
    if after is not None and after.text in {"'s", "’s"}:
        return False  # "Copeland's devices"
    before = doc[span.start - 1] if span.start > 0 else None
    if before is not None and before.lower_ in LOCATIVE:
        return True
    if before is not None and before.lower_ == "of" and span.start > 1:
        word = doc[span.start - 2]
        if word.lower_ in OF_PLACE or word.ent_type_ == "PERSON":
            return True
    if (
        before is not None
        and before.text in LIST_WORDS
        and span.start > 1
        and places[span.start - 2]
    ):
        return True
    if after is not None and after.text in LIST_WORDS and span.end + 1 < len(doc):
        nxt = doc[span.end + 1]
        if nxt.ent_type_ in {"GPE", "LOC"} or AP_STATE.fullmatch(nxt.text):
            return True
    return _dateline(span)


def doc_text(doc: Doc) -> str:
    """The doc's text, joined once per doc (spaCy rebuilds `Doc.text` from its tokens on
    every call, which costs more than the extraction rules themselves)."""
    text = doc.user_data.get(DOC_TEXT)
    if text is None:
        text = doc.user_data[DOC_TEXT] = doc.text
    return str(text)


def _dateline(span: Span) -> bool:
    """An all-caps name opening a line, followed by a comma, dash or "(AP)"."""
    doc = span.doc
    text = doc_text(doc)
    start = span.start_char
    if not span.text.isupper() or len(span.text) < 3:
        return False
    if start and text[start - 1] not in "\n" and text[:start].strip():
        return False
    return re.match(r"\s*(?:,|—|–|-|\(|:)", text[span.end_char : span.end_char + 3]) is not None


def _list_parts(ent: Span, gazetteer: Gazetteer) -> list[tuple[int, int]]:
    """ "Deary and Bovill" read as one ORG: its parts, when they are names and one is a
    known place."""
    parts, start = [], ent.start
    for tok in ent:
        if tok.text in LIST_WORDS:
            parts.append((start, tok.i))
            start = tok.i + 1
    parts.append((start, ent.end))
    doc = ent.doc
    if (
        len(parts) > 1
        and all(j > i and _is_capitalised(doc[i].text) for i, j in parts)
        and any(gazetteer.is_known_place(doc[i:j].text) for i, j in parts)
    ):
        return parts
    return [(ent.start, ent.end)]


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
        known = gazetteer.is_known_place(text, 0 if _dateline(span) else MIN_ADDED_POPULATION)
        if proper and not after_title and not set(text.split()) & person_words and known:
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
    places = [t.ent_type_ in {"GPE", "LOC"} for t in doc]
    for ent in doc.ents:
        taken[ent.start : ent.end] = [True] * len(ent)  # "March" as a DATE is no town
        if ent.label_ in LABELS:
            for i, j in _list_parts(ent, gaz):
                part = ent if j - i == len(ent) else Span(doc, i, j, label=ent.label_)
                label = _place_label(part, gaz, person_words, places)
                places[i:j] = [label in {"GPE", "LOC"}] * (j - i)
                spans.append((i, j, label))
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
