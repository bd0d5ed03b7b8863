"""When each fact of a story first appeared, and when its status or figures changed (#16).

Feeds and alerts announce what is *new* in a story, so they need the time a fact was
first seen and the time it last changed, and a restart must not announce it again.
A fact's id is a hash of its citations, so a fact that gains a source gets a new id;
to follow it across recomputations each fact belongs to a *lineage*: a new fact
continues the stored lineage with the same id, else the one it shares the most
cited sentences with. Comparing the new facts with the stored lineages gives the
events: a fact appeared, its status changed, or its figures (the values of a conflict
or of an evolving figure) changed. The store writes them when facts are saved.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from newsloom.models import Fact

# Statuses whose arrival is news; `single` facts are recorded but not announced.
ANNOUNCED = ("corroborated", "conflict", "update")
# Events an alert fires on (a new story matching the query is the other one).
ALERTED = ("conflict", "update")


def now() -> str:
    """The current UTC time as RFC 3339 (what Atom's `updated` wants)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(slots=True)
class Lineage:
    """One fact followed across recomputations of its story."""

    lineage: str  # the fact's id when first seen
    fact_id: str  # its id now
    status: str
    figures: list[str]
    citations: list[str]  # "article_id:sentence" keys
    first_seen: str
    changed_at: str


@dataclass(slots=True)
class FactEvent:
    """Something new about a fact. `change` is new | status | figures; `kind` is the
    status it announces (corroborated | conflict | update), "" when not announced."""

    lineage: str
    fact_id: str
    change: str
    status: str
    previous_status: str
    kind: str
    text: str
    fact: dict[str, Any] = field(default_factory=dict)


def citation_keys(fact: Fact) -> list[str]:
    return sorted({f"{c.article_id}:{c.sentence}" for c in fact.citations})


def figures(fact: Fact) -> list[str]:
    """The values a fact reports, as a set of JSON strings (what "figures changed" compares)."""
    fields = {f.name: getattr(fact, f.name) for f in dataclasses.fields(fact)}
    return sorted({json.dumps(item["value"], sort_keys=True) for item in value_items(fields)})


def value_items(fact: dict[str, Any]) -> list[dict[str, Any]]:
    """Every item with a `value` in a fact's fields, citations aside, in order: a
    conflict's sides, an evolving figure's sequence, whatever field holds them."""
    return list(_items({k: v for k, v in fact.items() if k != "citations"}))


def _items(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if "value" in node:
            yield node
        for key, child in node.items():
            if key != "value" and (isinstance(child, dict | list) or _is_record(child)):
                yield from _items(child)
    elif isinstance(node, list):
        for child in node:
            if isinstance(child, dict | list) or _is_record(child):
                yield from _items(child)
    elif _is_record(node):
        yield from _items(dataclasses.asdict(node))


def _is_record(node: Any) -> bool:
    return dataclasses.is_dataclass(node) and not isinstance(node, type)


def event_kind(status: str, change: str) -> str:
    """What an event announces: a fact newly corroborated or disputed, or an updated figure."""
    if status not in ANNOUNCED:
        return ""
    if change == "figures" and status == "corroborated":
        return ""  # a corroborated fact has no competing figures to update
    return status


def diff(
    previous: list[Lineage], facts: list[Fact], at: str
) -> tuple[list[Lineage], list[FactEvent]]:
    """The story's lineages after `facts` replace its facts, and the events that makes.

    Lineages no new fact continues are dropped (their fact was folded into another)."""
    matched = _match(previous, facts)
    lineages: list[Lineage] = []
    events: list[FactEvent] = []
    for i, fact in enumerate(facts):
        keys, figs = citation_keys(fact), figures(fact)
        old = matched.get(i)
        if old is None:
            change, before, first, changed = "new", "", at, at
        elif old.status != fact.status:
            change, before, first, changed = "status", old.status, old.first_seen, at
        elif old.figures != figs:
            change, before, first, changed = "figures", old.status, old.first_seen, at
        else:
            change, before, first, changed = "", old.status, old.first_seen, old.changed_at
        name = old.lineage if old else fact.id
        lineages.append(Lineage(name, fact.id, fact.status, figs, keys, first, changed))
        if change:
            events.append(
                FactEvent(
                    lineage=name,
                    fact_id=fact.id,
                    change=change,
                    status=fact.status,
                    previous_status=before,
                    kind=event_kind(fact.status, change),
                    text=fact.text,
                    fact=fact.to_dict(),
                )
            )
    return lineages, events


def _match(previous: list[Lineage], facts: list[Fact]) -> dict[int, Lineage]:
    """Pair new facts with stored lineages: same id first, then most shared citations."""
    out: dict[int, Lineage] = {}
    taken: set[int] = set()
    by_id = {old.fact_id: j for j, old in enumerate(previous)}
    for i, fact in enumerate(facts):
        j = by_id.get(fact.id)
        if j is not None and j not in taken:
            out[i] = previous[j]
            taken.add(j)
    by_key: dict[str, list[int]] = {}
    for j, old in enumerate(previous):
        for key in old.citations:
            by_key.setdefault(key, []).append(j)
    pairs: dict[tuple[int, int], int] = {}
    for i, fact in enumerate(facts):
        if i in out:
            continue
        for key in citation_keys(fact):
            for j in by_key.get(key, []):
                pairs[(i, j)] = pairs.get((i, j), 0) + 1
    # Largest overlap first; ties go to the older lineage, then to the earlier fact.
    ranked = sorted(pairs.items(), key=lambda p: (-p[1], previous[p[0][1]].first_seen, p[0]))
    for (i, j), _ in ranked:
        if i not in out and j not in taken:
            out[i] = previous[j]
            taken.add(j)
    return out
