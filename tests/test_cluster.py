"""Story clustering on small hand-written reports of three events plus the two seeds."""

from __future__ import annotations

import dataclasses
import json
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from conftest import load_script

from newsloom.cluster import (
    _NO_WEEKDAYS,
    FEATURES,
    Features,
    Settings,
    StoryIndex,
    _Agg,
    _Packed,
    _unit16,
    article_features,
    cluster_articles,
    hashed_counts,
    link_features,
)
from newsloom.errors import StoreError
from newsloom.evaluate.cluster import EvalSet
from newsloom.extract import extract_batch
from newsloom.models import Article, Sentence, content_id
from newsloom.nlp import Embedder, load_embedder
from newsloom.pipeline import Resources

EVENTS: dict[str, list[tuple[str, str, str]]] = {
    "peru": [
        (
            "2024-03-04",
            "Strong earthquake shakes southern Peru",
            "A magnitude 6.9 earthquake struck near the city of Arequipa in southern Peru on "
            "Monday, damaging churches and cutting power to thousands of homes. Peru's civil "
            "defence institute said at least four people were killed and 60 injured in the "
            "Arequipa region. The quake was centred 40 kilometres north of Arequipa at a depth "
            "of 35 kilometres, the US Geological Survey said. Landslides blocked the highway "
            "between Arequipa and the Colca Canyon, stranding tourist buses.",
        ),
        (
            "2024-03-05",
            "Arequipa counts damage after deadly quake",
            "Rescue teams in Arequipa searched collapsed adobe houses on Tuesday after a "
            "magnitude 6.9 earthquake killed five people in southern Peru. The tremor on Monday "
            "cracked the walls of the colonial cathedral and brought down part of a market roof. "
            "President of Peru's civil defence said 300 homes were uninhabitable in Arequipa. "
            "Engineers were clearing landslides on the road to the Colca Canyon.",
        ),
        (
            "2024-03-04",
            "Peru earthquake: several dead in Arequipa",
            "Several people died when a strong earthquake hit the Arequipa region of Peru. The "
            "magnitude 6.9 quake damaged the cathedral of Arequipa and triggered landslides "
            "near the Colca Canyon. Power was cut across much of the city, officials said.",
        ),
    ],
    "sulawesi": [
        (
            "2024-03-12",
            "Earthquake hits Indonesia's Sulawesi island",
            "A magnitude 6.2 earthquake struck the Indonesian island of Sulawesi on Tuesday, "
            "toppling houses in the town of Mamuju and killing at least seven people. The "
            "Indonesian disaster agency BNPB said hundreds of residents fled to higher ground "
            "fearing a tsunami. The quake hit at a depth of 10 kilometres near Majene, the "
            "meteorology agency BMKG said, and no tsunami warning was issued.",
        ),
        (
            "2024-03-13",
            "Death toll rises in Sulawesi quake",
            "The death toll from Tuesday's earthquake on Sulawesi rose to twelve, Indonesia's "
            "disaster agency BNPB said on Wednesday. Soldiers helped dig through the rubble of a "
            "hospital in Mamuju, the capital of West Sulawesi province. Thousands of people "
            "spent the night in tents in Majene after the magnitude 6.2 tremor.",
        ),
    ],
    "crash": [
        (
            "2024-03-20",
            "Cargo plane crashes on approach to Nairobi",
            "A cargo plane crashed on approach to Jomo Kenyatta International Airport in "
            "Nairobi on Wednesday, killing its three crew members, Kenya's civil aviation "
            "authority said. The Boeing 737 freighter came down in a field near the airport "
            "perimeter shortly before dawn. Investigators recovered the flight data recorder "
            "and the cause of the crash is not yet known.",
        ),
        (
            "2024-03-21",
            "Kenya investigates fatal freighter crash",
            "Kenyan investigators on Thursday began examining the wreckage of a Boeing 737 "
            "freighter that crashed near Jomo Kenyatta International Airport, killing all three "
            "crew. The aircraft had been flying from Addis Ababa and was cleared to land in "
            "Nairobi when contact was lost. The Kenya Civil Aviation Authority said the flight "
            "recorders were sent abroad for analysis.",
        ),
    ],
}


def make_article(text: str, title: str = "", published: str = "", source: str = "") -> Article:
    """An article with sentences split on sentence-final punctuation."""
    sentences = [
        Sentence(i, m.group(0), m.start(), m.end())
        for i, m in enumerate(re.finditer(r"\S.*?[.!?][”\"]?(?=\s+[A-Z“\"]|\s*$)", text, re.S))
    ]
    return Article(
        id=content_id(text, title),
        text=text,
        title=title,
        published=published,
        source=source,
        sentences=sentences,
    )


def event_articles() -> tuple[list[Article], dict[str, str]]:
    arts, gold = [], {}
    for event, items in EVENTS.items():
        for day, title, text in items:
            art = make_article(text, title, day)
            arts.append(art)
            gold[art.id] = event
    return arts, gold


def seed_articles(seeds_dir: Path) -> list[Article]:
    from newsloom.clean import clean_article

    out = []
    for path in sorted(seeds_dir.glob("*.txt")):
        raw = path.read_text(encoding="utf-8", errors="replace")
        out.append(clean_article(Article(id=content_id(raw), text=raw, origin=str(path))))
    return out


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return load_embedder()


@pytest.fixture(scope="module")
def corpus(embedder: Embedder, seeds_dir: Path) -> tuple[list[Article], list[Features], dict]:
    arts, gold = event_articles()
    seeds = seed_articles(seeds_dir)
    for s in seeds:
        gold[s.id] = "seeds"
    arts += seeds
    return arts, article_features(arts, embedder), gold


def grouping(stories: list, gold: dict[str, str]) -> dict[str, set[str]]:
    """Gold event -> set of story ids its articles went to."""
    out: dict[str, set[str]] = {}
    for story in stories:
        for aid in story.article_ids:
            out.setdefault(gold[aid], set()).add(story.id)
    return out


def test_features_are_batched_and_complete(corpus: tuple) -> None:
    arts, feats, _ = corpus
    assert [f.article_id for f in feats] == [a.id for a in arts]
    assert all(abs(float(np.linalg.norm(f.embedding)) - 1) < 1e-3 for f in feats)
    assert all(len(f.terms["body"][0]) == len(f.terms["body"][1]) > 5 for f in feats)
    assert all(len(f.terms["lead"][0]) > 3 for f in feats)
    assert "arequipa" in feats[0].entities
    assert feats[0].event_days == ("2024-03-04",)  # "on Monday" in a Monday report
    assert 0 in feats[0].weekdays


def test_events_and_seeds_form_their_own_stories(corpus: tuple) -> None:
    arts, feats, gold = corpus
    stories = cluster_articles(arts, None, features=feats)
    groups = grouping(stories, gold)
    assert all(len(ids) == 1 for ids in groups.values()), groups
    assert len({next(iter(ids)) for ids in groups.values()}) == len(groups)  # events apart
    joined = [lk for s in stories for lk in s.links if "logit" in lk.evidence]
    assert joined, "some report joined its story in the single pass"
    for link in joined:
        assert 0.5 < link.score <= 1.0
        assert set(FEATURES) <= set(link.evidence)


def test_seed_story_keeps_one_id_whatever_the_order(corpus: tuple) -> None:
    arts, feats, gold = corpus
    ids = set()
    for order in (arts, arts[::-1], arts[3:] + arts[:3]):
        stories = cluster_articles(order, None, features=feats)
        (seed_ids,) = [s.id for s in stories if any(gold[a] == "seeds" for a in s.article_ids)]
        ids.add(seed_ids)
        index = StoryIndex()
        by_id = {f.article_id: f for f in feats}
        links = {a.id: index.add(a, by_id[a.id]).story_id for a in order}
        index.consolidate()  # as a pipeline run does at its end
        seeds = [a.id for a in arts if gold[a.id] == "seeds"]
        assert len({index.story_of(links[a]) for a in seeds}) == 1
    assert len(ids) == 1


def test_consolidate_folds_reports_that_missed_their_story(corpus: tuple) -> None:
    """With a threshold no article can pass, the single pass leaves every report alone;
    the average-link check (as stories leave the window, then at the end) regroups
    each event, apart from the others, under the id of its first report."""
    arts, feats, gold = corpus
    by_id = {f.article_id: f for f in feats}
    index = StoryIndex(Settings(join=100.0))
    first: dict[str, str] = {}
    for a in arts:
        assert index.add(a, by_id[a.id]).evidence == {"new_story": True}
        first.setdefault(gold[a.id], "s" + a.id)
    index.consolidate()
    stories = index.stories()
    groups = grouping(stories, gold)
    assert all(len(ids) == 1 for ids in groups.values()), groups
    assert {event: next(iter(ids)) for event, ids in groups.items()} == first
    assert all(len(s.merged_from) == len(s.article_ids) - 1 for s in stories)
    assert {s.id for s in index.pop_changed()} == {s.id for s in stories}
    assert index.pop_changed() == []


def test_state_round_trip_continues_incrementally(corpus: tuple) -> None:
    arts, feats, _ = corpus
    by_id = {f.article_id: f for f in feats}
    whole = StoryIndex()
    for a in arts:
        whole.add(a, by_id[a.id])
    first = StoryIndex()
    for a in arts[:4]:
        first.add(a, by_id[a.id])
    resumed = StoryIndex.from_state(json.loads(json.dumps(first.to_state())))
    for a in arts[4:]:
        resumed.add(a, by_id[a.id])
    assert [(s.id, s.article_ids) for s in resumed.stories()] == [
        (s.id, s.article_ids) for s in whole.stories()
    ]


def test_state_deltas_rebuild_the_index_and_stay_small(corpus: tuple) -> None:
    """A store writes the header and the changed stories after each batch; rebuilt from
    those rows, the index goes on exactly as the original."""
    arts, feats, _ = corpus
    by_id = {f.article_id: f for f in feats}
    index, rows = StoryIndex(), {}
    for a in arts[:-3]:
        index.add(a, by_id[a.id])
    header, delta = index.state_delta()
    rows.update(delta)
    assert len(rows) >= 3
    index.add(arts[-3], by_id[arts[-3].id])
    header, delta = index.state_delta()
    assert 1 <= len(delta) < len(rows)  # the story it joined (and any that aged out)
    rows.update(delta)
    state = json.loads(json.dumps({**header, "stories": [rows[k] for k in sorted(rows)]}))
    resumed = StoryIndex.from_state(state)
    for a in arts[-2:]:
        index.add(a, by_id[a.id])
        resumed.add(a, by_id[a.id])
    assert [(s.id, s.article_ids) for s in resumed.stories()] == [
        (s.id, s.article_ids) for s in index.stories()
    ]


def test_state_of_another_version_is_a_clear_error() -> None:
    state = StoryIndex().to_state()
    state["version"] = 1
    with pytest.raises(StoreError, match=r"version 1, .* ingest the articles again"):
        StoryIndex.from_state(state)


def _feat(aid: str, vec: np.ndarray, terms: list[int], published: str = "") -> Features:
    vec = (vec / np.linalg.norm(vec)).astype(np.float32)
    idx = np.array(sorted(terms), dtype=np.int64)
    body = (idx, np.ones(len(idx), dtype=np.float32))
    return Features(aid, aid, vec, {"body": body, "lead": body}, published=published)


def test_day_agreement_of_two_groups_is_the_mean_over_their_pairs() -> None:
    """The date signal of a story against a story is the mean over member pairs of
    +1 (same day), 0.5 (one day apart), -0.5 (two), -1 (three or more), each member's days
    sharing its weight and undated members counting 0."""
    index = StoryIndex()
    vec = np.ones(384, dtype=np.float32)

    def group(*members: tuple[str, ...]) -> _Agg:
        total = _Agg()
        for k, days in enumerate(members):
            f = dataclasses.replace(_feat(f"m{k}", vec, [1]), event_days=days)
            total.add(index._article_agg(f), 100)
        return total

    a_days = [("2024-03-01",), ("2024-03-01", "2024-03-03"), ()]
    b_days = [("2024-03-02",), ("2024-03-05",), ("2024-03-01", "2024-03-04")]
    agree = {0: 1.0, 1: 0.5, 2: -0.5}
    expected = 0.0
    for da in a_days:
        for db in b_days:
            for x in da:
                for y in db:
                    gap = abs(int(x[-2:]) - int(y[-2:]))
                    expected += agree.get(gap, -1.0) / (len(da) * len(db))
    expected /= len(a_days) * len(b_days)
    date = FEATURES.index("date")
    assert link_features(group(*a_days), group(*b_days))[date] == pytest.approx(expected)
    assert link_features(group(*b_days), group(*a_days))[date] == pytest.approx(expected)


def test_grouped_cv_scores_folds_that_lack_a_corpus(corpus: tuple) -> None:
    """`cluster_fit.grouped_cv` with a corpus of one storyline: most folds hold none of
    it, and the held-out log-loss still comes out a number (it was nan)."""
    fit = load_script("cluster_fit")
    arts, feats, gold = corpus
    events = [gold[a.id] for a in arts]

    def evalset(keep: list[int], lines: list[str]) -> EvalSet:
        return EvalSet(
            articles=[arts[i] for i in keep],
            events=[events[i] for i in keep],
            splits=["dev"] * len(keep),
            storylines=lines,
            features=[feats[i] for i in keep],
        )

    quakes = [i for i, e in enumerate(events) if e in ("peru", "sulawesi")]
    rest = [i for i, e in enumerate(events) if e not in ("peru", "sulawesi")]
    sets = {
        "one": evalset(quakes, ["quakes"] * len(quakes)),
        "many": evalset(rest, [events[i] for i in rest]),
    }
    cv = fit.grouped_cv(sets, drop=("names",), folds=3, seeds=1)
    assert np.isfinite(cv["cv_logloss"]) and cv["cv_logloss"] > 0
    assert 0 < cv["cv_bcubed_f1_one"] <= 1 and 0 < cv["cv_bcubed_f1_many"] <= 1


def test_late_merge_keeps_older_id() -> None:
    """Two reports that the single pass kept apart are merged by consolidation: the
    older id stays, the other is recorded and still resolves."""
    rng = np.random.default_rng(0)
    base, side = rng.normal(size=(2, 384)).astype(np.float32)
    index = StoryIndex(Settings(join=100.0))
    index.add(Article(id="a", text="a"), _feat("a", base + 0.1 * side, [1, 2, 3, 4]))
    index.add(Article(id="b", text="b"), _feat("b", base - 0.1 * side, [1, 2, 3, 5]))
    assert [s.id for s in index.stories()] == ["sa", "sb"]
    assert index.consolidate() == ["sa"]
    (story,) = index.stories()
    assert story.merged_from == ["sb"] and sorted(story.article_ids) == ["a", "b"]
    assert index.story_of("sb") == "sa"


def test_a_merged_story_keeps_only_what_resolves_its_id() -> None:
    """The story folded into another gives up its sums, members and links (the kept
    story has them: memory at 1M articles), and its id still resolves after a reload."""
    rng = np.random.default_rng(0)
    base, side = rng.normal(size=(2, 384)).astype(np.float32)
    index = StoryIndex(Settings(join=100.0))
    index.add(Article(id="a", text="a"), _feat("a", base + 0.1 * side, [1, 2, 3, 4]))
    index.add(Article(id="b", text="b"), _feat("b", base - 0.1 * side, [1, 2, 3, 5]))
    assert index.consolidate() == ["sa"]
    kept, folded = index._stories
    assert kept.agg.n == 2 and len(kept.links) == 2
    assert folded.agg.n == 0 and not folded.agg.sums and not folded.links
    assert not folded.members and not folded.entities and not folded.pub_days
    again = StoryIndex.from_state(json.loads(json.dumps(index.to_state())))
    assert again.story_of("sb") == "sa"
    assert [(s.id, s.article_ids) for s in again.stories()] == [("sa", ["a", "b"])]


def test_a_story_that_left_the_window_is_packed_and_scores_as_before() -> None:
    """A retired story keeps its sums at half precision in one pair of arrays and its
    embedding sum as the float16 unit centroid its storyline profile holds (one array for
    both) and a norm: scoring against it is what scoring those half-precision forms gave,
    a back-filled report still joins it, and its sums grow again from there."""
    rng = np.random.default_rng(4)
    event, other = rng.normal(size=(2, 384)).astype(np.float32)
    index = StoryIndex(Settings(settle_docs=0))  # a settled stream: stories age out
    f = _feat("old", event, [5, 9, 11], "2020-01-01")
    f.terms["names"] = hashed_counts(Counter({"w:arequipa": 2, "w:peru": 1}))
    index.add(Article(id="old", text="t", published=f.published), f)
    index.pop_changed()  # its storyline profile exists before it retires
    old = index._stories[0]
    probe = index._article_agg(_feat("probe", event, [5, 9, 12], "2020-01-02"))
    norm = float(np.linalg.norm(old.agg.vec_sum))
    half = _Agg(old.agg.n, _unit16(old.agg.vec_sum, norm), norm, days=old.agg.days)
    half.sums = {
        ch: dataclasses.replace(p, idx=p.idx.astype(np.int32), w=p.w.astype(np.float16))
        for ch, p in old.agg.sums.items()
    }
    expected, state = link_features(probe, half), index.to_state()["stories"]
    new = _feat("new", other, [7], "2020-06-01")
    index.add(Article(id="new", text="t", published="2020-06-01"), new)
    assert isinstance(old.agg.sums, _Packed) and not old.members  # "old" left the window
    assert np.array_equal(link_features(probe, old.agg), expected)
    lines = index.storylines
    profile = lines._lines[lines._of_story["sold"]].members["sold"]
    assert profile.centroid is old.agg.vec_sum and old.agg.weekdays is _NO_WEEKDAYS
    again = StoryIndex.from_state(json.loads(json.dumps(index.to_state())))
    lines, kept = again.storylines, again._stories[0].agg.vec_sum  # a reload shares it too
    assert lines._lines[lines._of_story["sold"]].members["sold"].centroid is kept
    assert index.to_state()["stories"][0]["links"] == state[0]["links"]
    assert dict(old.agg.sums)["names"].idx.tolist() == half.sums["names"].idx.tolist()
    late = _feat("late", event, [5, 9, 11], "2020-01-02")
    assert index.add(Article(id="late", text="t", published="2020-01-02"), late).story_id == "sold"
    body = old.agg.sums["body"]
    assert isinstance(old.agg.sums, dict) and old.agg.n == 2
    assert [lk.article_id for lk in index.stories()[0].links] == ["old", "late"]
    assert body.idx.tolist() == [5, 9, 11] and body.w == pytest.approx(2 / np.sqrt(3), rel=1e-3)


@pytest.mark.parametrize(
    ("day", "lone_merge", "folds"),
    [("2024-03-04", -1.0, True), ("", -1.0, False), ("2024-03-04", -0.25, False)],
)
def test_a_lone_report_folds_below_merge_only_with_time_or_action_evidence(
    day: str, lone_merge: float, folds: bool
) -> None:
    """A lone report whose average link with a story lies between `lone_merge` and `merge`
    folds into it when their days agree, and stays alone without that evidence (#10: no
    lone report folded into a same-theme story without time or action evidence)."""
    vec = np.ones(384, dtype=np.float32)
    weights = dict.fromkeys(FEATURES, 0.0) | {"embedding": 1.0, "body": 1.0}
    index = StoryIndex(Settings(weights=weights, bias=-1.5, join=0.0, lone_merge=lone_merge))
    for aid, terms in (("a1", [1, 2, 3]), ("a2", [1, 2, 3]), ("lone", [7, 8, 9])):
        f = dataclasses.replace(_feat(aid, vec, terms, day), event_days=(day,) if day else ())
        index.add(Article(id=aid, text="t", published=day), f)
    assert sorted(s.article_ids for s in index.stories()) == [["a1", "a2"], ["lone"]]
    a, lone = (index._fresh(s) for s in index._stories)
    assert index._logit(link_features(lone, a)) == pytest.approx(-0.5, abs=1e-4)
    index.consolidate()
    assert (len(index.stories()) == 1) == folds


@pytest.mark.parametrize(
    ("merge_stories", "story_size", "merged"),
    [(0.5, 3, False), (-0.25, 3, True), (0.5, 4, True)],
)
def test_two_stories_of_several_reports_merge_only_from_merge_stories(
    merge_stories: float, story_size: int, merged: bool
) -> None:
    """Two stories the stream grew apart, three reports each, whose average link lies
    between `merge` and `merge_stories`, stay apart (#10: the hard pairs merged there);
    smaller stories still merge from `merge`."""
    vec = np.ones(384, dtype=np.float32)
    weights = dict.fromkeys(FEATURES, 0.0) | {"embedding": 1.0, "body": 1.0}
    settings = Settings(
        weights=weights, bias=-1.5, join=0.3, merge_stories=merge_stories, story_size=story_size
    )
    index = StoryIndex(settings)
    for aid, terms in (("a1", [1, 2, 3]), ("a2", [1, 2, 3]), ("a3", [1, 2, 3])):
        index.add(Article(id=aid, text="t"), _feat(aid, vec, terms))
    for aid, terms in (("b1", [1, 2, 4]), ("b2", [1, 2, 4]), ("b3", [1, 2, 4])):
        index.add(Article(id=aid, text="t"), _feat(aid, vec, terms))
    assert sorted(s.article_ids for s in index.stories()) == [
        ["a1", "a2", "a3"],
        ["b1", "b2", "b3"],
    ]
    a, b = (index._fresh(s) for s in index._stories if s.alive)
    assert -0.25 < index._logit(link_features(a, b)) < 0.5
    index.consolidate()
    assert (len(index.stories()) == 1) == merged


def test_a_state_saved_before_merge_stories_still_loads() -> None:
    """The header's settings gained `story_size` and `merge_stories` (the story state's
    shape is unchanged, so no version bump): an older header loads with the defaults."""
    state = json.loads(json.dumps(StoryIndex().to_state()))
    for key in ("story_size", "merge_stories"):
        del state["settings"][key]
    settings = StoryIndex.from_state(state).settings
    assert (settings.story_size, settings.merge_stories) == (4, 0.5)


def test_issue12_rerun_consolidates_nothing() -> None:
    """Re-running on a finished index changes nothing (#12.10): consolidation looks only
    at stories touched since it last ran, even if settings or IDF would now merge others,
    and the touched set survives a save and reload (an interrupted run still checks)."""
    rng = np.random.default_rng(0)
    base, side = rng.normal(size=(2, 384)).astype(np.float32)
    index = StoryIndex(Settings(join=100.0, merge=100.0))
    index.add(Article(id="a", text="a"), _feat("a", base + 0.1 * side, [1, 2, 3, 4]))
    index.add(Article(id="b", text="b"), _feat("b", base - 0.1 * side, [1, 2, 3, 5]))
    reloaded = StoryIndex.from_state(json.loads(json.dumps(index.to_state())))
    reloaded.settings.merge = 0.0
    assert reloaded.consolidate() == ["sa"]  # touched before the save: still checked
    assert index.consolidate() == []  # nothing reaches merge=100
    index.settings.merge = 0.0  # the pair would merge now, but nothing was touched since
    assert index.consolidate() == []
    again = StoryIndex.from_state(json.loads(json.dumps(index.to_state())))
    assert again.consolidate() == []
    assert [s.id for s in again.stories()] == ["sa", "sb"]


def test_undated_articles_and_window() -> None:
    rng = np.random.default_rng(1)
    vec = rng.normal(size=384).astype(np.float32)
    vec /= np.linalg.norm(vec)

    def features(aid: str) -> Features:
        return _feat(aid, vec, [5, 9])

    index = StoryIndex(Settings(settle_docs=0))  # a settled stream: stories age out

    def add(aid: str, published: str = "") -> str:
        f = dataclasses.replace(features(aid), published=published)
        return index.add(Article(id=aid, text="t", published=published), f).story_id

    assert add("old", "2020-01-01") == "sold"
    assert add("new", "2020-06-01") == "snew"  # "old" aged out of the active window
    assert add("nodate") == "snew"  # no date counts as "now"
    assert add("late", "2020-01-03") == "sold"  # an old report finds the story of its days


def test_a_young_stream_keeps_every_story_active() -> None:
    """Until `settle_docs` reports have arrived nothing leaves the window (a few pages of
    many years, read in any order): a report dated months before the newest one still
    finds an undated story of its event; once settled, it sees only the stories of its
    days."""
    rng = np.random.default_rng(3)
    event, other = rng.normal(size=(2, 384)).astype(np.float32)

    def late_report(settle_docs: int) -> str:
        index = StoryIndex(Settings(settle_docs=settle_docs))
        for aid, vec, day in (("undated", event, ""), ("new", other, "2020-06-01")):
            index.add(Article(id=aid, text="t", published=day), _feat(aid, vec, [5, 9], day))
        late = _feat("late", event, [5, 9], "2020-01-03")
        return index.add(Article(id="late", text="t", published=late.published), late).story_id

    assert late_report(1000) == "sundated"
    assert late_report(0) == "slate"  # a settled stream: only stories of its days


def test_name_words_find_old_stories_for_undated_reports_only() -> None:
    """An undated report may belong to any time, so its rarest name words look up stories
    that left the window; a dated report is compared with the stories of its own days only,
    however alike its text is to an old story (a later event of the same theme)."""
    rng = np.random.default_rng(2)
    old_vec, new_vec = rng.normal(size=(2, 384)).astype(np.float32)
    names = hashed_counts(Counter({"w:hezbollah": 2, "w:beirut": 1}))

    def later_report(published: str) -> str:
        index = StoryIndex(Settings(settle_docs=0))  # a settled stream: stories age out
        for aid, vec, day in (
            ("old", old_vec, "2020-01-01"),
            ("new", new_vec, "2020-06-01"),
            ("later", old_vec, published),
        ):
            f = _feat(aid, vec, [5, 9, 11], day)
            if aid != "new":
                f.terms["names"] = names
            story = index.add(Article(id=aid, text="t", published=day), f).story_id
        assert [s.id for s in index.stories()][:2] == ["sold", "snew"]  # "old" left the window
        return story

    assert later_report("") == "sold"  # found through its name words
    assert later_report("2020-06-02") == "slater"  # compared with its days' stories only


def test_backfilled_report_joins_its_story_after_newer_news(
    corpus: tuple, embedder: Embedder
) -> None:
    """A report of an old event, ingested after later unrelated news moved the window on,
    joins the old event's story instead of starting a new one."""
    arts, feats, gold = corpus
    by_id = {f.article_id: f for f in feats}
    seeds = [dataclasses.replace(a, published="2021-08-13") for a in arts if gold[a.id] == "seeds"]
    seed_feats = article_features(seeds, embedder)
    index = StoryIndex()
    first = index.add(seeds[0], seed_feats[0])
    for a in arts:
        if gold[a.id] != "seeds":  # March 2024
            index.add(a, by_id[a.id])
    assert index.add(seeds[1], seed_feats[1]).story_id == first.story_id


FOLLOW_UP = (
    "2024-03-23",
    "Kenya suspends cargo airline's licence and grounds its fleet",
    "Kenya's aviation regulator on Saturday suspended the operating licence of Astral Cargo "
    "and grounded its remaining four aircraft pending a safety audit. The authority said "
    "inspectors found lapses in maintenance records at the airline's hangar. The airline's "
    "Boeing 737 freighter crashed near Jomo Kenyatta International Airport in Nairobi earlier "
    "this week, killing three crew members.",
)


def test_follow_up_is_its_own_event_in_the_same_storyline(
    embedder: Embedder, resources: Resources
) -> None:
    """The regulator's action days after a crash is another event of the crash's
    storyline; two earthquakes in two countries are two storylines."""
    arts, gold = event_articles()
    follow = make_article(FOLLOW_UP[2], FOLLOW_UP[1], FOLLOW_UP[0])
    arts = extract_batch([*arts, follow], resources.nlp, resources.gazetteer)
    gold[follow.id] = "grounding"
    feats = {f.article_id: f for f in article_features(arts, embedder)}
    index = StoryIndex()
    for art in arts:
        index.add(art, feats[art.id])
        index.pop_changed()
    index.consolidate()
    index.pop_changed()
    stories = index.stories()
    groups = grouping(stories, gold)
    assert all(len(ids) == 1 for ids in groups.values()), groups
    line = {s.id: s.storyline for s in stories}
    story_of = {event: next(iter(ids)) for event, ids in groups.items()}
    assert story_of["crash"] != story_of["grounding"]
    assert line[story_of["crash"]] == line[story_of["grounding"]] != ""
    assert line[story_of["peru"]] != line[story_of["sulawesi"]]
    assert line[story_of["crash"]] not in {line[story_of["peru"]], line[story_of["sulawesi"]]}
    state = json.loads(json.dumps(index.to_state()))
    assert (
        StoryIndex.from_state(state).storylines.storyline_of(story_of["grounding"])
        == (line[story_of["crash"]])
    )


# Undated web pages of two events of one storyline a day apart: the same country, group,
# devices and aftermath words; only the lead's weekday and devices tell them apart.
BLASTS = {
    "pagers": [
        "Hundreds of pagers used by Hezbollah members exploded across Lebanon on Tuesday, "
        "killing at least nine people and wounding about 2,800, Lebanon's health minister said. "
        "Hospitals in Beirut's southern suburbs and in the south of Lebanon were overwhelmed.",
        "Pagers carried by Hezbollah fighters blew up almost at the same moment across Lebanon "
        "on Tuesday afternoon, killing nine and injuring thousands, the health ministry said. "
        "Hezbollah blamed Israel for the attack on its communications.",
        "On Tuesday, thousands of pagers exploded in Lebanon and Syria, killing at least nine "
        "people including a girl and wounding some 2,800, Lebanese officials said. Hezbollah "
        "vowed to retaliate against Israel.",
    ],
    "radios": [
        "Walkie-talkies used by Hezbollah exploded across Lebanon on Wednesday, killing at "
        "least 20 people and wounding more than 450, the health ministry said. Some of the "
        "blasts hit funerals in Beirut for those killed the day before.",
        "A second wave of blasts hit Lebanon on Wednesday as hand-held radios detonated at a "
        "funeral and in shops, killing 20. Soldiers shot some devices in the street; Israel's "
        "defence minister spoke of a new phase of the war.",
    ],
}


@pytest.mark.xfail(
    strict=True,
    reason="known weakness (#10): the fitted decision lets text outweigh the weekdays of"
    " undated leads; a text-and-time decision that passes this scored worse on held-out"
    " real-web pages (docs/evaluation.md)",
)
def test_undated_reports_a_day_apart_stay_apart_by_their_weekdays(
    embedder: Embedder, resources: Resources
) -> None:
    """Two events of one storyline reported on undated pages: the weekdays their leads
    name should keep them apart (without the time evidence the text alone merges them)."""
    gold, arts = {}, []
    for event, texts in BLASTS.items():
        for text in texts:
            art = make_article(text)
            arts.append(art)
            gold[art.id] = event
    arts = extract_batch(arts, resources.nlp, resources.gazetteer)
    feats = article_features(arts, embedder)

    def groups(settings: Settings) -> dict[str, set[str]]:
        return grouping(cluster_articles(arts, None, feats, **dataclasses.asdict(settings)), gold)

    shipped = groups(Settings())
    assert all(len(ids) == 1 for ids in shipped.values()), shipped
    assert shipped["pagers"] != shipped["radios"]
    timeless = Settings()
    timeless.weights = {**timeless.weights, "date": 0.0, "weekday": 0.0, "year": 0.0}
    assert groups(timeless)["pagers"] == groups(timeless)["radios"]
