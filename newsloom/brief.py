"""Brief stage: one story's articles and facts -> a briefing (plain dict, JSON-ready).

The briefing is the documented JSON schema (docs/json-schema.md); the Markdown and
HTML renderers and the web app all read this one structure. Every summary sentence,
fact, timeline entry and quote carries citations back to source sentences.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Any

from newsloom.extract.attribution import VERB_CLASSES
from newsloom.extract.entities import merge_story_entities
from newsloom.extract.places import NOT_PLACES, fold
from newsloom.extract.quotes import CUE_FORMS, STANCE_FORMS
from newsloom.fuse import independent_reports
from newsloom.ingest import _where_stem as file_stem
from newsloom.models import Article, Citation, Fact, Quote, Sentence, Story
from newsloom.render import balanced

SUMMARY_SENTENCES = 5
FULL_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CALENDAR_DATE = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")  # a day or a month: what a timeline shows


def build_briefing(story: Story, articles: list[Article], facts: list[Fact]) -> dict[str, Any]:
    """Assemble the briefing of one story."""
    by_id = {a.id: a for a in articles}
    derived = {d.article_id: d for d in story.derivations}
    links = {link.article_id: link for link in story.links}
    dates = sorted(a.day for a in articles if a.day)
    fact_dicts = [_fact(f, by_id) for f in facts]
    names = {a.source: outlet_name(a.source, a.origin) for a in articles}
    return {
        "id": story.id,
        "title": story_title(story, articles),
        "first_published": dates[0] if dates else "",
        "last_published": dates[-1] if dates else "",
        "n_articles": len(articles),
        "n_sources": len({a.source for a in articles}),
        "n_independent": independent_reports(articles, story.derivations),
        "merged_from": list(story.merged_from),
        "articles": [
            {
                "id": a.id,
                "url": a.url,
                "source": a.source,
                "outlet": names[a.source],
                "title": a.title,
                "published": a.published,
                "origin": a.origin,
                "language": a.language,
                "independent": a.id not in derived,
                "derived_from": derived[a.id].original_id if a.id in derived else None,
                "derivation": derived[a.id].to_dict() if a.id in derived else None,
                "link": (
                    {"score": links[a.id].score, "evidence": links[a.id].evidence}
                    if a.id in links
                    else None
                ),
            }
            for a in articles
        ],
        "summary": _summary(facts, articles),
        "facts": fact_dicts,
        "timeline": _timeline(fact_dicts, by_id),
        "places": _places(articles),
        "quotes": _quotes(articles),
        "entities": _entities(articles),
        "sources": _sources(articles, facts, derived, names),
        "derivations": [d.to_dict() for d in story.derivations],
        "source_names": names,
    }


def outlet_name(source: str, origin: str) -> str:
    """The outlet as a reader should see it: the source, or, where the input named none and
    ingest fell back to the file name (`origin` is where the article was read), words that
    say so: a file id is no outlet."""
    stem = file_stem(origin) if origin else ""
    if source and source != stem:
        return source
    where = source or stem
    if where in {"", "-"}:
        return "outlet unknown"
    return f"outlet unknown (file {where})"


def story_title(story: Story, articles: list[Article]) -> str:
    """The story's title, unless it was derived from body text and a real headline exists;
    a "title" that runs on for sentences (a page's first paragraph) is its first sentence."""
    headlines = [a.title for a in articles if a.title and not a.meta.get("title_derived")]
    derived = any(a.title == story.title and a.meta.get("title_derived") for a in articles)
    if headlines and (derived or not story.title):
        return _first_sentence(headlines[0])
    return _first_sentence(story.title or (articles[0].title if articles else ""))


LONG_TITLE = 160  # characters: longer than any headline, so a paragraph taken for one
_SENTENCE_END = re.compile(r"(?<=[a-z0-9”\"')][.!?])\s+(?=[A-Z“\"])")


def _first_sentence(title: str) -> str:
    if len(title) <= LONG_TITLE:
        return title
    return _SENTENCE_END.split(title, maxsplit=1)[0]


_DANGLING = frozenset({
    "and", "or", "but", "nor", "the", "a", "an", "of", "to", "that", "with", "for", "in", "on",
    "at", "by", "from", "as", "than", "who", "which",
})  # fmt: skip


def readable(text: str) -> bool:
    """Whether a line stands on its own: a page cut short ("Backed by billions of dollars
    from Microsoft (MSF", "…(but that he was vital to the company and") or a lead-in whose
    sequel is not shown ("…, shared:") does not."""
    if text.count("(") != text.count(")"):
        return False
    if re.search(r"[.!?…][”’\"')]*$", text.strip()):
        return True  # a whole sentence, if one that ends on "to" ("… they can go to.")
    words = re.findall(r"[\w’']+|[:(]$", text.strip())
    last = words[-1].lower() if words else ""
    return bool(last) and last not in _DANGLING and last not in {":", "("}  # "" has no words


def _cite(c: Citation) -> dict[str, Any]:
    return {"article_id": c.article_id, "sentence": c.sentence, "source": c.source, "text": c.text}


def _fact(fact: Fact, by_id: dict[str, Article]) -> dict[str, Any]:
    data = fact.to_dict()
    data["text"] = balanced(fact.text)
    data["citations"] = [_cite(c) for c in fact.citations]
    data["origin"] = shown_origin(fact.origin)
    if not data["date"]:
        data["date"] = _date_of(fact, by_id)
    return data


# a pronoun or determiner is no origin a reader can use ("attributed to This")
_NO_ORIGIN = frozenset({"this", "that", "these", "those", "it", "he", "she", "they", "we", "i"})


def shown_origin(origin: str) -> str:
    """A fact's origin as every view shows it: "" for a bare pronoun the parse took for one."""
    return "" if origin.lower() in _NO_ORIGIN else origin


def _date_of(fact: Fact, by_id: dict[str, Article]) -> str:
    """The event date of a fact: a resolved date expression in one of its sentences."""
    for c in fact.citations:
        art = by_id.get(c.article_id)
        if art is None:
            continue
        for t in art.times:
            if t.sentence == c.sentence and t.kind == "date" and FULL_DATE.match(t.value):
                return t.value
    return ""


def _summary(facts: list[Fact], articles: list[Article]) -> list[dict[str, Any]]:
    """Extractive summary: the most corroborated facts, then leads, without repeats."""
    ranked = sorted(
        (f for f in facts if f.status != "conflict"),
        key=lambda f: (-f.independent_sources, -len(f.sources), _position(f)),
    )
    chosen: list[dict[str, Any]] = []
    seen_words: list[set[str]] = []
    for fact in ranked:
        words = set(re.findall(r"\w+", fact.text.lower()))
        if (
            len(words) < 5
            or not readable(fact.text)
            or _says_who(fact.text)
            or any(len(words & s) / len(words) > 0.6 for s in seen_words)
        ):
            continue
        seen_words.append(words)
        chosen.append(
            {
                "text": balanced(fact.text),
                "citations": [_cite(c) for c in fact.citations],
                "fact_id": fact.id,
                "status": fact.status,
                "independent_sources": fact.independent_sources,
                "sources": list(fact.sources),
                "origin": shown_origin(fact.origin),
            }
        )
        if len(chosen) >= SUMMARY_SENTENCES:
            break
    if not chosen:  # no facts (e.g. fusing failed): fall back to each article's lead
        for art in articles[:SUMMARY_SENTENCES]:
            if art.sentences:
                s = art.sentences[0]
                chosen.append(
                    {"text": s.text, "citations": [_cite(Citation(art.id, 0, art.source, s.text))]}
                )
    return chosen


_WHO = frozenset({"he", "she", "they", "his", "her", "their", "him", "them"})


def _says_who(text: str) -> bool:
    """Whether a line opens on a person it does not name ("He was accused of…"): among other
    summary lines, "he" reads as the person of the line before, often someone else."""
    first = re.match(r"[“\"‘']?(\w+)", text)
    return first is not None and first.group(1).lower() in _WHO


def _position(fact: Fact) -> int:
    return min((c.sentence for c in fact.citations), default=0)


def _timeline(facts: list[dict[str, Any]], by_id: dict[str, Article]) -> list[dict[str, Any]]:
    """Dated facts in date order, each with the `kind` of its date: `event` (what happened),
    `deadline` (a deadline or plan that had not come when reported) or `background`; and each
    value of a figure that changed (an `update` fact), dated when it was first reported, in
    the words of that first report (the fact's own text may give another value)."""
    changes = [
        {
            "date": u["time"][:10],
            "kind": "event",
            "text": balanced(u["citations"][0]["text"]) if u["citations"] else u["value"],
            "sources": u["sources"],
            "status": "update",
            "citations": u["citations"],
        }
        for f in facts
        if f["status"] == "update"
        for u in f.get("updates", [])
        if CALENDAR_DATE.match(u["time"][:10])
    ]
    entries = changes + [
        {
            "date": f["date"],
            "kind": _date_kind(f, by_id),
            "text": _dated_text(f, by_id),
            "sources": f["sources"],
            "status": f["status"],
            "citations": f["citations"],
        }
        for f in facts
        if CALENDAR_DATE.match(f["date"]) and f["status"] != "update"
    ]
    out: list[dict[str, Any]] = []
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for e in sorted(entries, key=lambda e: e["date"]):
        same = seen.get((e["date"], _norm(e["text"])))
        if same is None:  # two facts of one wording on one day are one line
            seen[(e["date"], _norm(e["text"]))] = e
            out.append(e)
            continue
        same["sources"] = sorted({*same["sources"], *e["sources"]})
        same["citations"] = same["citations"] + [
            c for c in e["citations"] if c not in same["citations"]
        ]
    return out


def _dated_text(fact: dict[str, Any], by_id: dict[str, Article]) -> str:
    """What a timeline shows for a fact: its text, or, when the words that date it are in
    another of its sentences ("by September 11"), that sentence: a line says its date."""
    for c in fact["citations"]:
        art = by_id.get(c["article_id"])
        for t in art.times if art else []:
            if t.sentence == c["sentence"] and t.value[: len(fact["date"])] == fact["date"]:
                if t.text.lower() in fact["text"].lower():
                    return str(fact["text"])
                return balanced(c["text"])
    return str(fact["text"])


def _date_kind(fact: dict[str, Any], by_id: dict[str, Article]) -> str:
    """The role of the time expression that dates a fact, in the sentences it cites."""
    roles = [
        t.role
        for c in fact["citations"]
        if c["article_id"] in by_id
        for t in by_id[c["article_id"]].times
        if t.sentence == c["sentence"] and t.value[: len(fact["date"])] == fact["date"]
    ]
    for kind in ("event", "deadline", "background"):
        if kind in roles:
            return kind
    return "event"


def _places(articles: list[Article]) -> list[dict[str, Any]]:
    """The story's places; a name one of its articles shows to be a thing ("the Titan
    imploded") is none in the others either ("the Titan submersible")."""
    things = {name for art in articles for name in art.meta.get(NOT_PLACES, [])}
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for art in articles:
        for p in art.places:
            if p.lat is None or p.lon is None or p.form == "embedded" or fold(p.text) in things:
                continue  # "The Washington Post" is no place of the story
            key = (p.name, p.country)
            entry = groups.setdefault(
                key,
                {
                    "name": p.name,
                    "lat": round(p.lat, 4),
                    "lon": round(p.lon, 4),
                    "country": p.country,
                    "feature": p.feature,
                    "geonameid": p.geonameid,
                    "mentions": 0,
                    "sources": set(),
                    "as_written": set(),
                },
            )
            entry["mentions"] += 1
            entry["sources"].add(art.source)
            entry["as_written"].add(p.text)
    places = sorted(groups.values(), key=lambda e: (-e["mentions"], e["name"]))
    for e in places:
        e["sources"] = sorted(e["sources"])
        e["as_written"] = sorted(e["as_written"])
    return places


_UNSAID = frozenset({"think", "want"})  # verb classes of a belief or a wish, not of speech
_BARE = frozenset(
    {"i", "we", "you", "they", "it", "he", "she", "them", "one", "some", "others", "many"}
)


def _said(q: Quote) -> bool:
    """A quote a reader can take as said, by someone: not a stance ("X attacked Y"), a
    belief or wish ("many of them believe …"), nor a speaker left as a bare pronoun."""
    cue = q.cue.lower()
    lemma = CUE_FORMS.get(cue) or STANCE_FORMS.get(cue) or cue
    classes = set(VERB_CLASSES.get(lemma, ()))
    unsaid = bool(classes) and classes <= _UNSAID
    return q.kind == "speech" and not unsaid and q.speaker.lower() not in _BARE


def _quotes(articles: list[Article]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for art in articles:
        for q in art.quotes:
            if not _said(q) or cut_at_end(art, q.sentence):
                continue
            key = (q.speaker.lower(), re.sub(r"\W+", " ", q.text.lower()).strip())
            if key in seen:
                continue
            seen.add(key)
            out.append(
                {
                    "speaker": q.speaker,
                    "text": q.text,
                    "direct": q.direct,
                    "cue": q.cue,
                    "source": art.source,
                    "article_id": art.id,
                    "sentence": q.sentence,
                    "citations": [
                        _cite(Citation(art.id, q.sentence, art.source, sent.text))
                        for sent in art.sentences[q.sentence : q.sentence + 1]
                        if q.sentence >= 0
                    ],
                }
            )
    return out


def _entities(articles: list[Article]) -> list[dict[str, Any]]:
    canonical = merge_story_entities(articles)
    counts: Counter[tuple[str, str]] = Counter()
    sources: defaultdict[tuple[str, str], set[str]] = defaultdict(set)
    for art in articles:
        for m in art.mentions:
            if m.label not in {"PERSON", "ORG", "NORP", "EVENT"}:
                continue
            name = canonical.get(m.norm or m.text, m.norm or m.text)
            counts[(name, m.label)] += 1
            sources[(name, m.label)].add(art.source)
    return [
        {"name": name, "label": label, "mentions": n, "sources": sorted(sources[(name, label)])}
        for (name, label), n in counts.most_common()
    ]


def _sources(
    articles: list[Article], facts: list[Fact], derived: dict[str, Any], names: dict[str, str]
) -> list[dict[str, Any]]:
    """What each outlet contributes: its articles and the facts only it reports."""
    out = []
    for source in sorted({a.source for a in articles}):
        ids = [a.id for a in articles if a.source == source]
        only = [f for f in facts if f.status == "single" and f.sources == [source]]
        out.append(
            {
                "source": source,
                "outlet": names[source],
                "articles": ids,
                "independent": any(i not in derived for i in ids),
                "facts": sum(1 for f in facts if source in f.sources),
                "adds": _whole_sentences(only, {a.id: a for a in articles}),
            }
        )
    return out


def _whole_sentences(facts: list[Fact], by_id: dict[str, Article]) -> list[dict[str, Any]]:
    """Single-source facts for a reader: clauses cut from one sentence are shown as that
    sentence once, and so is a clause that cannot stand alone ("but the Taliban's...");
    the sentences of one quotation are one line with its marks closed and its `speaker`;
    a line already shown (a page that repeats its headline) is not shown again."""
    out: list[dict[str, Any]] = []
    last: tuple[str, int] | None = None
    for f in facts:
        text, key, quote, speaker = f.text, None, None, ""
        cite = f.citations[0] if len(f.citations) == 1 else None
        art = by_id.get(cite.article_id) if cite else None
        if cite and art and 0 <= cite.sentence < len(art.sentences):
            if cut_at_end(art, cite.sentence):
                continue
            sent = art.sentences[cite.sentence]
            quote = _quotation_of(art, sent)
            speaker = (quote.speaker or f.origin) if quote else _pronoun_speaker(art, sent)
            key = (cite.article_id, quote.start if quote else -1 - cite.sentence)
            if key == last:
                if quote and sent.text not in out[-1]["text"]:
                    out[-1]["text"] += f" {sent.text}"
                    out[-1]["citations"] += [_cite(c) for c in f.citations]
                elif not quote:
                    out[-1]["text"] = sent.text
                continue
            if text[:1].islower() or quote:
                text = sent.text
        out.append({"text": text, "citations": [_cite(c) for c in f.citations], "speaker": speaker})
        last = key
    shown: set[str] = set()
    lines = []
    for entry in out:
        entry["text"] = balanced(entry["text"])
        if _norm(entry["text"]) in shown or not readable(entry["text"]):
            continue
        shown.add(_norm(entry["text"]))
        if entry["speaker"].lower() in entry["text"].lower():
            entry["speaker"] = ""  # the line names its speaker already
        lines.append(entry)
    return lines


def cut_at_end(art: Article, sentence: int) -> bool:
    """Whether a sentence is a page's last and stops short of its end: the page was cut
    ("…by staying in pow", "ISRO also said that the communi") or ends on furniture
    ("Required fields are marked *", "Back to top button"); a reader learns nothing from it."""
    return sentence == len(art.sentences) - 1 and not _ENDS.search(art.sentences[-1].text)


_ENDS = re.compile(r"[.!?…][”’\"')\]]*\s*$")


def _pronoun_speaker(art: Article, sent: Sentence) -> str:
    """Who "he" or "she" is in a sentence's "“…,” he said": the quote's resolved speaker."""
    for q in art.quotes:
        if q.kind == "speech" and sent.start <= q.speaker_start < sent.end:
            written = art.text[q.speaker_start : q.speaker_end].lower()
            if written in {"he", "she"} and q.speaker.lower() not in {"he", "she"}:
                return q.speaker
    return ""


def _quotation_of(art: Article, sent: Sentence) -> Quote | None:
    """The direct quotation a sentence is a fragment of: one that runs over several
    sentences, or whose mark the sentence leaves open (None for a quotation held whole)."""
    for q in art.quotes:
        if not (q.direct and q.kind == "speech" and q.start < sent.end and sent.start < q.end):
            continue
        several = any(x is not sent and x.start < q.end and q.start < x.end for x in art.sentences)
        if several or balanced(sent.text) != sent.text:
            return q
    return None


def _norm(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()
