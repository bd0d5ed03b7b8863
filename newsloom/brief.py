"""Brief stage: one story's articles and facts -> a briefing (plain dict, JSON-ready).

The briefing is the documented JSON schema (docs/json-schema.md); the Markdown and
HTML renderers and the web app all read this one structure. Every summary sentence,
fact, timeline entry and quote carries citations back to source sentences.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Any

from newsloom.extract.entities import merge_story_entities
from newsloom.fuse import independent_reports
from newsloom.models import Article, Citation, Fact, Story

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
        "sources": _sources(articles, facts, derived),
        "derivations": [d.to_dict() for d in story.derivations],
    }


def story_title(story: Story, articles: list[Article]) -> str:
    """The story's title, unless it was derived from body text and a real headline exists."""
    headlines = [a.title for a in articles if a.title and not a.meta.get("title_derived")]
    derived = any(a.title == story.title and a.meta.get("title_derived") for a in articles)
    if headlines and (derived or not story.title):
        return headlines[0]
    return story.title or (articles[0].title if articles else "")


def _cite(c: Citation) -> dict[str, Any]:
    return {"article_id": c.article_id, "sentence": c.sentence, "source": c.source, "text": c.text}


def _fact(fact: Fact, by_id: dict[str, Article]) -> dict[str, Any]:
    data = fact.to_dict()
    data["citations"] = [_cite(c) for c in fact.citations]
    if not data["date"]:
        data["date"] = _date_of(fact, by_id)
    return data


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
        if len(words) < 5 or any(len(words & s) / len(words) > 0.6 for s in seen_words):
            continue
        seen_words.append(words)
        chosen.append({"text": fact.text, "citations": [_cite(c) for c in fact.citations]})
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


def _position(fact: Fact) -> int:
    return min((c.sentence for c in fact.citations), default=0)


def _timeline(facts: list[dict[str, Any]], by_id: dict[str, Article]) -> list[dict[str, Any]]:
    """Dated facts in date order, each with the `kind` of its date: `event` (what happened),
    `deadline` (a deadline or plan that had not come when reported) or `background`; and each
    value of a figure that changed (an `update` fact), dated when it was reported."""
    changes = [
        {
            "date": u["time"][:10],
            "kind": "event",
            "text": f"{f['text']} [{u['value']}]",
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
            "text": f["text"],
            "sources": f["sources"],
            "status": f["status"],
            "citations": f["citations"],
        }
        for f in facts
        if CALENDAR_DATE.match(f["date"]) and f["status"] != "update"
    ]
    return sorted(entries, key=lambda e: e["date"])


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
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for art in articles:
        for p in art.places:
            if p.lat is None or p.lon is None or p.form == "embedded":
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


def _quotes(articles: list[Article]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for art in articles:
        for q in art.quotes:
            if q.kind != "speech":
                continue  # "X attacked Y" is a stance, not something X said
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
    articles: list[Article], facts: list[Fact], derived: dict[str, Any]
) -> list[dict[str, Any]]:
    """What each outlet contributes: its articles and the facts only it reports."""
    out = []
    for source in sorted({a.source for a in articles}):
        ids = [a.id for a in articles if a.source == source]
        only = [f for f in facts if f.status == "single" and f.sources == [source]]
        out.append(
            {
                "source": source,
                "articles": ids,
                "independent": any(i not in derived for i in ids),
                "facts": sum(1 for f in facts if source in f.sources),
                "adds": _whole_sentences(only, {a.id: a for a in articles}),
            }
        )
    return out


def _whole_sentences(facts: list[Fact], by_id: dict[str, Article]) -> list[dict[str, Any]]:
    """Single-source facts for a reader: clauses cut from one sentence are shown as that
    sentence once, and so is a clause that cannot stand alone ("but the Taliban's...")."""
    out: list[dict[str, Any]] = []
    last: tuple[str, int] | None = None
    for f in facts:
        text, key = f.text, None
        cite = f.citations[0] if len(f.citations) == 1 else None
        if (
            cite
            and cite.article_id in by_id
            and 0 <= cite.sentence < len(by_id[cite.article_id].sentences)
        ):
            key = (cite.article_id, cite.sentence)
            whole = by_id[cite.article_id].sentences[cite.sentence].text
            if key == last:
                out[-1]["text"] = whole
                continue
            if text[:1].islower():
                text = whole
        out.append({"text": text, "citations": [_cite(c) for c in f.citations]})
        last = key
    return out
