"""Incremental story state: a story built batch by batch (with the state reloaded from the
store in between) has the same facts and derivations as the story built in one go."""

from __future__ import annotations

import gc
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from newsloom import dedupe, fuse, pipeline, storystate
from newsloom.clean import clean_article
from newsloom.extract import extract_batch
from newsloom.models import Article, Story
from newsloom.pipeline import Resources
from newsloom.store import Store

DAYS = ("2024-05-06", "2024-05-07", "2024-05-08")
TOLL = {"2024-05-06": 12, "2024-05-07": 13, "2024-05-08": 27}
LEAD = "{A} {boat}{carrying} {verb} on Lake Kivu {near} Goma on Monday{said}."
TOLLS = (
    "{least}{n} people {died} in the accident{said}.",
    "The governor said {n} people {died} when the {boat} went down.",
)
SLOTS = {
    "A": ("A", "An overloaded", "A crowded"),
    "boat": ("ferry", "passenger ferry", "boat", "vessel"),
    "carrying": ("", " carrying 120 passengers", " with 120 people on board"),
    "verb": ("capsized", "sank", "overturned"),
    "near": ("near", "close to", "off"),
    "said": ("", ", officials said", ", the provincial governor said", ", police said"),
    "least": ("", "At least "),
    "died": ("died", "were killed", "drowned"),
}
UNIQUE = (
    "Fisherman {name} said he saw the {boat} tilt before it went under.",
    "{name}, who lost a cousin in the accident, waited at the port for news.",
    "A trader named {name} said the crossing usually takes {hours} hours.",
    "Rescue boats led by {name} joined the search on day {day} of the operation.",
    "The {boat} had been inspected in {year}, according to a port official named {name}.",
    "Weather on the lake was calm, said {name}, a boatman.",
)
SYLLABLES = ("ka", "lu", "mi", "so", "te", "ba", "ru", "ne", "zi", "po")


def _name(i: int, k: int) -> str:
    """A made-up name of its own for each report: the people each outlet quotes differ."""
    parts = (i % 10, i // 10 % 10, i // 100 % 10, k)
    return "".join(SYLLABLES[p] for p in parts).capitalize()


def _fill(template: str, rng: random.Random, i: int = 0, **fixed: Any) -> str:
    values = {k: rng.choice(v) for k, v in SLOTS.items()}
    values.update(
        name=_name(i, rng.randrange(10)),
        hours=rng.randint(2, 9),
        day=rng.randint(1, 3),
        year=rng.randint(2015, 2023),
        **fixed,
    )
    text = template.format(**values)
    return text[0].upper() + text[1:]


def _reports(n: int) -> list[dict[str, Any]]:
    """`n` reports of one event, each worded its own way: tolls that rise by the day,
    other outlets' own details, and some copies of earlier reports."""
    rng = random.Random(7)
    out: list[dict[str, Any]] = []
    for i in range(n):
        day = DAYS[min(2, 3 * i // n)]
        if i % 9 == 8:  # a copy of an earlier report on another site, lightly edited
            src = out[rng.randrange(len(out))]
            text = src["text"].replace(" said", " stated", 1) + "\n\nThe story is developing."
        else:
            sents = [_fill(LEAD, rng), _fill(rng.choice(TOLLS), rng, n=TOLL[day])]
            sents += [_fill(t, rng, i) for t in rng.sample(UNIQUE, 4)]
            text = "\n\n".join(sents)
        out.append({"text": text, "source": f"Outlet {i % 23}", "day": day, "i": i})
    return out


@pytest.fixture(scope="module")
def articles(resources: Resources) -> list[Article]:
    raw = [
        Article(
            id=f"r{r['i']:03d}",
            text=r["text"],
            source=r["source"],
            url=f"https://outlet{r['i'] % 23}.example/news/{r['i']}",
            published=r["day"],
        )
        for r in _reports(200)
    ]
    return extract_batch([clean_article(a) for a in raw], resources.nlp, resources.gazetteer)


def _store(tmp: Path, articles: list[Article], name: str) -> Store:
    store = Store(tmp / name)
    store.add_articles([Article.from_dict(a.to_dict()) for a in articles])
    return store


def _grow(store: Store, articles: list[Article], sizes: list[int], res: Resources) -> None:
    ids = [a.id for a in articles]
    done = 0
    for size in sizes:
        done += size
        store.save_stories([Story("s1", "Ferry", ids[:done])])
        pipeline.update_stories(store, ["s1"], res)


@pytest.fixture(scope="module", autouse=True)
def small_window() -> Iterator[None]:
    """Search windows smaller than the story, so the test covers what a big story meets."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fuse, "RECENT", 300)
        mp.setattr(dedupe, "RECENT", 300)
        yield


@pytest.fixture(scope="module")
def one_go(
    tmp_path_factory: pytest.TempPathFactory, articles: list[Article], resources: Resources
) -> Store:
    store = _store(tmp_path_factory.mktemp("one"), articles, "one.db")
    _grow(store, articles, [200], resources)
    return store


def _summary(store: Store) -> tuple[list[Any], list[Any]]:
    facts = sorted(
        (
            f.id,
            f.status,
            f.independent_sources,
            f.text,
            sorted((c.article_id, c.sentence) for c in f.citations),
            [(u["value"], u["time"], u["sources"]) for u in f.updates],
            f.conflict,
        )
        for f in store.get_facts("s1")
    )
    derivations = [(d.article_id, d.original_id, d.kind) for d in store.get_story("s1").derivations]
    return facts, derivations


def test_batches_give_the_facts_of_one_go(
    tmp_path: Path, articles: list[Article], resources: Resources, one_go: Store
) -> None:
    batched = _store(tmp_path, articles, "batched.db")
    sizes = [32, 32, 32, 32, 32, 40]
    ids = [a.id for a in articles]
    done = 0
    for size in sizes:  # every batch reloads the state from the store (a new process)
        done += size
        storystate._cache(storystate.db_key(batched)).clear()
        batched.save_stories([Story("s1", "Ferry", ids[:done])])
        pipeline.update_stories(batched, ["s1"], resources)
    expected, got = _summary(one_go), _summary(batched)
    assert got[1] == expected[1]
    assert got[0] == expected[0]
    facts, derivations = expected
    assert derivations and {kind for _, _, kind in derivations} <= {"exact", "near", "same_wire"}
    statuses = {fact[1] for fact in facts}
    assert {"corroborated", "update", "single"} <= statuses
    cited = [str(fact[4]) for fact in facts]  # one line per claim: no statements cited twice
    assert len(set(cited)) == len(cited)


def test_rising_toll_is_one_update_with_its_sequence(one_go: Store) -> None:
    updates = [f for f in one_go.get_facts("s1") if f.status == "update"]
    toll = max(updates, key=lambda f: len(f.citations))
    values = [(u["number"], u["time"]) for u in toll.updates]
    assert values == [(12, DAYS[0]), (13, DAYS[1]), (27, DAYS[2])]
    assert all(str(int(u["number"])) in u["value"] for u in toll.updates)
    assert all(u["sources"] and u["citations"] for u in toll.updates)


def test_a_state_of_another_version_is_rebuilt(
    tmp_path: Path, articles: list[Article], resources: Resources
) -> None:
    store = _store(tmp_path, articles[:20], "old.db")
    _grow(store, articles[:20], [20], resources)
    before = _summary(store)
    token, header, _, _ = store.load_fuse_state("s1") or ("", {}, [], [])
    store.save_fuse_state("s1", token, {**header, "version": 0}, [], [])
    storystate._cache(storystate.db_key(store)).clear()
    pipeline.update_stories(store, ["s1"], resources)
    assert _summary(store) == before


def test_updates_are_on_the_timeline_and_in_the_markdown(one_go: Store) -> None:
    from newsloom.brief import build_briefing
    from newsloom.render import to_markdown

    story = one_go.get_story("s1")
    briefing = build_briefing(story, one_go.get_articles(story.article_ids), one_go.get_facts("s1"))
    changes = [e for e in briefing["timeline"] if e["status"] == "update"]
    assert {e["date"] for e in changes} == set(DAYS)
    assert briefing["n_independent"] <= 23  # outlets, after copies fold
    markdown = to_markdown([briefing], [])
    assert "## Figures that changed" in markdown


def test_batches_kept_in_memory_give_the_facts_of_one_go(
    tmp_path: Path, articles: list[Article], resources: Resources, one_go: Store
) -> None:
    """The state stays with the process between batches, as in production: what each
    fact's verdict keeps of its members (`fuse._Memo`) is carried from batch to batch, and
    the facts are those of one go."""
    batched = _store(tmp_path, articles, "kept.db")
    _grow(batched, articles, [32, 32, 32, 32, 32, 40], resources)
    assert _summary(batched) == _summary(one_go)


def test_an_in_memory_stores_states_go_with_it() -> None:
    store = Store(":memory:")
    key = storystate.db_key(store)
    storystate._cache(key)
    storystate._held(store)
    assert key in storystate._CACHES and key in storystate._HELD
    del store
    gc.collect()
    assert key not in storystate._CACHES and key not in storystate._HELD
