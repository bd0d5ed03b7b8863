"""Duplicates and rewrites: exact copies, near copies, hand-written paraphrases, and
independent reports of one event that must not be taken for copies."""

from __future__ import annotations

import re
import zlib
from pathlib import Path

import numpy as np
import pytest
from test_cluster import EVENTS, make_article, seed_articles

from newsloom.dedupe import CopyTracer, find_duplicates, independent_roots, trace_copies
from newsloom.nlp import Embedder, load_embedder
from newsloom.wires import credited_anywhere

PERU_REWRITE = (
    "On Monday a 6.9-magnitude quake hit close to Arequipa, in the south of Peru, damaging "
    "churches and leaving thousands of homes without electricity. At least four people died "
    "and 60 were hurt in the Arequipa region, according to Peru's civil defence institute. "
    "According to the US Geological Survey, the earthquake's epicentre lay 40 km north of "
    "Arequipa, 35 km deep. Tourist buses were stranded after landslides cut the highway "
    "linking Arequipa to the Colca Canyon."
)

KANDAHAR_REWRITE = (
    "Washington and London ordered hundreds of soldiers to Afghanistan on Friday to evacuate "
    "their citizens, as the Taliban overran several big regional cities and left the capital "
    "dangerously exposed. The Taliban took control of Kandahar, the second largest city in the "
    "country and the Taliban heartland, so that only Kabul and a few other pockets remain in "
    "government hands. A resident told AFP that government forces seemed to have pulled back en "
    "masse to a military base outside the southern city. After an eight-day blitz on urban "
    "centres by the Taliban, the Afghan government and its US backers have lost control of most "
    "of the country. The offensive started once the US and its allies pulled nearly all their "
    "forces out of Afghanistan, with President Joe Biden eager to end the two-decade war by "
    "September 11."
)


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return load_embedder()


def peru(i: int) -> str:
    return EVENTS["peru"][i][2]


def test_exact_and_near_duplicates() -> None:
    text = " ".join(day[2] for day in EVENTS["peru"])  # one long report
    original = make_article(text, published="2024-03-04")
    exact = make_article(text.upper().replace(". ", ".\n\n"), published="2024-03-05")
    near = make_article(text.replace("thousands of homes", "many homes"), published="2024-03-05")
    other = make_article(EVENTS["crash"][0][2], published="2024-03-05")
    found = {d.article_id: d for d in find_duplicates([near, other, exact, original])}
    assert found[exact.id].kind == "exact" and found[exact.id].original_id == original.id
    assert found[near.id].kind == "near" and found[near.id].original_id == original.id
    assert found[near.id].score >= 0.8
    assert other.id not in found and original.id not in found


def test_paraphrased_rewrite_points_to_its_original(embedder: Embedder) -> None:
    original = make_article(peru(0), published="2024-03-04")
    rewrite = make_article(PERU_REWRITE, published="2024-03-05")
    independent = make_article(peru(1), published="2024-03-05")
    short = make_article(peru(2), published="2024-03-04")
    arts = [rewrite, independent, original, short]
    derivations = trace_copies(arts, embedder)
    assert [(d.article_id, d.original_id, d.kind) for d in derivations] == [
        (rewrite.id, original.id, "rewrite")
    ]
    assert derivations[0].evidence["matched_sentences"] >= 3
    roots = independent_roots(arts, derivations)
    assert roots[rewrite.id] == original.id
    assert roots[independent.id] == independent.id and roots[short.id] == short.id


def test_seeds_are_independent_but_a_paraphrase_of_one_is_not(
    embedder: Embedder, seeds_dir: Path
) -> None:
    seeds = seed_articles(seeds_dir)
    afp_rewrite, bbc = seeds
    assert credited_anywhere(afp_rewrite.text) == ["afp"]
    copy = make_article(KANDAHAR_REWRITE)
    derivations = trace_copies([copy, *seeds], embedder)
    assert [(d.article_id, d.original_id) for d in derivations] == [(copy.id, afp_rewrite.id)]
    assert derivations[0].evidence["credited_wire"] == ["afp"]
    roots = independent_roots([*seeds, copy], derivations)
    assert roots[bbc.id] == bbc.id and roots[afp_rewrite.id] == afp_rewrite.id


def test_roots_follow_chains_and_survive_cycles() -> None:
    from newsloom.models import Article, Derivation

    arts = [Article(id=x, text=x) for x in "abcd"]
    chain = [Derivation("c", "b", "near", 0.9), Derivation("b", "a", "rewrite", 0.7)]
    assert independent_roots(arts, chain) == {"a": "a", "b": "a", "c": "a", "d": "d"}
    cycle = [Derivation("a", "b", "near", 0.9), Derivation("b", "a", "near", 0.9)]
    roots = independent_roots(arts[:2], cycle)
    assert set(roots.values()) <= {"a", "b"}


def _bag_embed(texts: list[str]) -> np.ndarray:
    """A stand-in embedder: hashed bags of words, so only shared words make vectors close."""
    out = np.zeros((len(texts), 512), dtype=np.float32)
    for row, text in enumerate(texts):
        for word in re.findall(r"\w+", text.lower()):
            out[row, zlib.crc32(word.encode()) % 512] += 1.0
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


WIRE = [
    "The regional carrier said on Tuesday that its night service would stop from March.",
    "About forty crew members are expected to lose their posts under the plan.",
    "The unions called the decision a betrayal of workers who kept the service running.",
    "Officials said talks with a possible buyer had broken down last week.",
    "Passengers holding tickets for later dates will be offered refunds or other routes.",
    "The ministry said it would review the subsidy that had kept the route alive.",
]


def test_a_page_carrying_two_pages_wire_text_folds_both() -> None:
    """Two earlier pages each carry a different half of one wire text and share nothing with
    each other; a later page carries all of it. All three are one origin (#11: copies found
    only one parent each, so one of the two stayed an independent source)."""
    from newsloom.dedupe import CopyTracer

    first = make_article(
        " ".join(WIRE[:3])
        + " Our reporter spoke to travellers at the harbour this morning."
        + " Many of them had used the boat for years and feared for their jobs."
    )
    second = make_article(
        " ".join(WIRE[3:])
        + " Local shops near the quay have seen fewer visitors since autumn."
        + " A petition against the closure has gathered several hundred names."
    )
    full = make_article(
        " ".join(WIRE) + " The council will debate the matter at its meeting next month."
    )
    tracer = CopyTracer()
    for art in (first, second, full):
        tracer.add(art, _bag_embed)
    assert tracer.root(first.id) == tracer.root(second.id) == tracer.root(full.id)
    assert len(tracer.derivations) == 2 and all(d.kind != "rewrite" for d in tracer.derivations)


def test_copied_wording_aligns_despite_a_cut_attribution() -> None:
    """A sentence kept word for word whose attribution the splitter cut ("…, Fanning said."
    against "…, Const.") is still one sentence; other numbers still part two sentences."""
    from newsloom.dedupe import _other_facts

    assert not _other_facts(("fanning",), ("const",), copied=True)
    assert _other_facts(("fanning",), ("const",))
    assert _other_facts(("12", "fanning"), ("16", "fanning"), copied=True)


def test_short_summaries_sharing_names_but_no_wording_stay_independent() -> None:
    """Two short summaries of one event name the same people in other words: vectors alone
    (here identical) and names are not a copy without a run of kept wording (#11)."""
    from newsloom.dedupe import CopyTracer

    long_page = make_article(
        "Microsoft has hired Sam Altman and Greg Brockman to run a new research group. "
        "The hiring follows the board of OpenAI removing Altman and Brockman last week. "
        "Nadella praised OpenAI and said the partnership with Microsoft stays strong. "
        "Staff at the startup threatened to quit in large numbers on Monday. "
        "Investors pressed the board to explain its choice to remove the chief executive."
    )
    stub = make_article(
        "Former OpenAI bosses Sam Altman and Greg Brockman join Microsoft for AI work. "
        "Altman and Brockman left OpenAI after a vote of its directors. "
        "Nadella says Microsoft still backs OpenAI and its own AI plans."
    )

    def same(texts: list[str]) -> np.ndarray:
        return np.ones((len(texts), 8), dtype=np.float32) / np.sqrt(8)

    tracer = CopyTracer()
    for art in (long_page, stub):
        tracer.add(art, same)
    assert tracer.derivations == []


STATEMENT = (
    "“The company has reached an agreement for its founder to return as chief executive. "
    "A new board will be formed with three members. "
    "We thank our staff for their patience through these difficult days.”"
)


def test_two_reports_quoting_one_statement_are_not_a_copy() -> None:
    """A statement of three sentences quoted by two outlets, each with its own report around
    it: the speaker is shared, not a text (#11: an OpenAI post quoted on two sites made one a
    rewrite of the other). The quotation runs across sentences, so all three are quoted."""
    from newsloom.dedupe import CopyTracer, _quoted

    first = make_article(
        "The startup said in a post on Tuesday evening that the founder would come back. "
        + STATEMENT
        + " Investors had pushed for the return since the weekend."
    )
    second = make_article(
        "In a surprise turn, the board of the company gave in to its employees. "
        + STATEMENT
        + " Nearly all of the workers had threatened to resign over the firing."
    )
    assert _quoted(first, first.sentences) == [False, True, True, True, False]
    tracer = CopyTracer()
    for art in (first, second):
        tracer.add(art, _bag_embed)
    assert tracer.derivations == [] and tracer.shared_sentences(second.id, first.id) == []


def test_one_shared_wire_sentence_is_sentence_provenance_not_a_page_copy() -> None:
    """Two own reports that carry one long wire sentence word for word: no page derives from
    the other, but that sentence's text has one origin, found again after a reload (#11)."""
    from newsloom.dedupe import CopyTracer
    from newsloom.evaluate.copies import predicted, shares_text

    earlier = make_article(
        "Rescue teams reached the valley on foot after the bridge collapsed overnight. "
        + WIRE[1]
        + " The mayor asked residents to stay away from the river banks until Friday."
        + " Schools in the district will stay closed for the rest of the week.",
        published="2024-03-04",
    )
    later = make_article(
        "Heavy rain has flooded the lower town, where the water stood a metre deep at noon. "
        "Shopkeepers spent the morning carrying stock to upper floors. "
        + WIRE[1]
        + " Forecasters expect more rain across the hills over the weekend.",
        published="2024-03-05",
    )
    tracer = CopyTracer()
    for art in (earlier, later):
        tracer.add(art, _bag_embed)
    assert tracer.derivations == []
    assert tracer.shared_sentences(later.id, earlier.id) == [(2, 1)]  # only the wire sentence
    assert tracer.shared_sentences(earlier.id, later.id) == [(1, 2)]
    assert predicted(tracer, later.id, earlier.id) == "independent"
    assert shares_text(tracer, later.id, earlier.id)  # what eval copies counts as text_*
    states = [state for _, state in tracer.state_delta()]
    assert all("shared" not in state for state in states)  # computed when asked, not stored
    again = CopyTracer.from_state(states, [])
    assert again.shared_sentences(later.id, earlier.id) == [(2, 1)]


def test_a_short_summary_of_a_long_page_is_derived_from_it() -> None:
    """Every sentence of a three-sentence page aligns with a page more than three times as
    long: the short one summarises it, though it keeps no run of wording (#11)."""
    from newsloom.dedupe import CopyTracer

    long_page = make_article(
        " ".join(WIRE)
        + " Ferry workers plan a protest outside the ministry on Monday."
        + " The company has run the crossing since the nineteen sixties."
        + " Its last new vessel entered service twelve years ago."
        + " A rival operator said it had no plans to take over the night service."
        + " Tourism groups warned that summer visitors would choose other islands."
        + " The island's council has asked for an urgent meeting with the minister."
    )
    summary = make_article(
        "Night ferries of the regional carrier end in March, the firm announced Tuesday. "
        "Forty crew members expect to lose their jobs under the plan. "
        "Ticket holders are offered refunds or other routes."
    )

    def topic(texts: list[str]) -> np.ndarray:
        """Vectors that make each summary sentence close to its source sentence only."""
        keys = ("night", "crew", "refunds")
        out = np.full((len(texts), 4), 0.05, dtype=np.float32)
        for row, text in enumerate(texts):
            hits = [k for k, word in enumerate(keys) if word in text.lower()]
            out[row, hits[0] if hits else 3] = 1.0
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    tracer = CopyTracer()
    for art in (long_page, summary):
        tracer.add(art, topic)
    assert [(d.article_id, d.original_id, d.kind) for d in tracer.derivations] == [
        (summary.id, long_page.id, "rewrite")
    ]


def test_a_retelling_that_changes_the_toll_day_and_polarity_is_no_copy(
    embedder: Embedder,
) -> None:
    """Spinners reword everything but names, numbers, the weekday and the polarity; a page
    told in the same order that gives 12 dead for thirteen, Tuesday for Monday and "was not
    killed" for "was killed" is another report, whose disagreements must show."""
    wire = make_article(
        "Thirteen people were killed when a bomb went off at a crowded market in Jalalabad,"
        " a police spokesman said. The governor of Nangarhar province resigned on Monday after"
        " weeks of protests. Local commander Ahmad Wali was killed in the fighting near the"
        " airport. Kabul airport reopened to civilian flights on Wednesday.",
        published="2023-03-15",
    )
    daily = make_article(
        "A bomb blast at a busy Jalalabad market killed 12 people, police said. Nangarhar's"
        " provincial governor resigned on Tuesday after weeks of protests. Local commander"
        " Ahmad Wali was not killed in the fighting near the airport, his family said."
        " Civilian flights resumed at Kabul airport on Wednesday, officials said.",
        published="2023-03-15",
    )
    assert trace_copies([wire, daily], embedder) == []


def _aligned(tracer: CopyTracer, a: str, b: str) -> set[tuple[int, int]]:
    """Sentence pairs (a's index, b's index) the tracer aligns between two of its pages."""
    from newsloom.dedupe import _align

    pa, pb = tracer.pages[tracer.by_id[a]], tracer.pages[tracer.by_id[b]]
    va = tracer.vecs[pa.first_row : pa.first_row + pa.n]
    vb = tracer.vecs[pb.first_row : pb.first_row + pb.n]
    return {(i, j) for i, j, _, _ in _align(pa, va, pb, vb).pairs}


@pytest.mark.parametrize(
    ("original", "rewrite", "figure", "changed"),
    [
        pytest.param(  # a merge carries the next sentence's figure: {120, 40} against {120}
            "The ferry left the port of Goma at dawn on Tuesday with a full load of traders. "
            "About 120 passengers were on board when it left the harbour. "
            "It sank 40 minutes later near the island of Idjwi in heavy wind. "
            "Rescue teams pulled survivors from the lake throughout the afternoon.",
            "The ferry left the port of Goma at dawn on Tuesday with a full load of traders. "
            "About 120 passengers were on board when it left the harbour and sank 40 minutes "
            "later. It went down near the island of Idjwi in heavy wind. "
            "Rescue teams pulled survivors from the lake throughout the afternoon.",
            "120 passengers",
            "41 passengers",
            id="merged-sentences",
        ),
        pytest.param(  # a left-out detail: {5, 2} within {5, 22, 6.7, 2}
            "The search for the missing submersible ended on Thursday off Newfoundland. "
            "Five major fragments of the 22-foot (6.7-meter) Titan were located in the debris "
            "field, including the tail cone and two sections of the pressure hull, officials "
            "said. The company said there were no survivors among the men on board.",
            "The search for the missing submersible ended on Thursday off Newfoundland. "
            "Five major fragments of the Titan were located in the debris field, including the "
            "tail cone and two sections of the pressure hull, officials said. "
            "The company said none of the men on board survived.",
            "Five major",
            "Four major",
            id="dropped-detail",
        ),
    ],
)
def test_a_rewrite_keeps_its_sentence_unless_it_changes_a_figure(
    original: str, rewrite: str, figure: str, changed: str
) -> None:
    """A rewrite that merges two sentences (the next one's figure comes along) or leaves out a
    detail still aligns sentence by sentence with its original (#11); the same rewrite with a
    figure changed ("41 passengers", "four fragments") is another fact."""
    first, kept, other = (
        make_article(t) for t in (original, rewrite, rewrite.replace(figure, changed))
    )
    tracer = CopyTracer()
    for art in (first, kept, other):
        tracer.add(art, _bag_embed)
    assert (1, 1) in _aligned(tracer, kept.id, first.id)
    assert (1, 1) not in _aligned(tracer, other.id, first.id)


AGENCY_FIRST = [
    "Two bombs exploded near the finish of the city marathon on Monday, killing two people "
    "and injuring dozens, race organizers and police said.",
    "Police found and defused at least one other explosive device near the course.",
    "About two hours after the winners crossed the finish line, there was a loud explosion on "
    "the north side of the main street, just before the photo bridge.",
    "Bloody spectators were being carried to the medical tent that had been set up to care "
    "for tired runners.",
    "A senior intelligence official said the two other explosive devices found nearby were "
    "being dismantled by the bomb squad.",
    "Runners who had not finished were sent away from the smoking site by marshals.",
    "Competitors and race volunteers were crying as they fled from the chaos.",
    "The police commissioner asked everyone to stay indoors for the night.",
]
AGENCY_LATER = [  # the agency's later version: new lead, paragraphs cut, edited, reordered
    "Investigators searched on Tuesday for whoever planted the bombs that tore through the "
    "crowd at the city marathon.",
    "As people wailed in agony, bloody spectators were carried to a medical tent that had "
    "been set up to care for runners.",
    "A senior intelligence official said the two other explosive devices found nearby were "
    "being examined.",
    "About two hours after the winners crossed the line, there was a loud explosion near "
    "the photo bridge.",
    "The federal aviation authority barred low flights over the area until further notice.",
    "Mobile phone service was shut down to prevent any remote detonation of explosives.",
    "Hospitals reported that several of the wounded had lost limbs in the blasts.",
    "The president promised that those responsible would feel the full weight of justice.",
]


def test_two_versions_of_one_agency_text_are_one_origin(monkeypatch: pytest.MonkeyPatch) -> None:
    """The agency's later version rewrites the lead and edits, cuts and reorders the rest, so
    no sentence aligns word for word, yet three of its own sentences keep runs of eight words
    of the first version: one origin (#11: AP versions on two sites were two sources)."""
    from newsloom import dedupe

    first = make_article(" ".join(AGENCY_FIRST), published="2024-04-15")
    later = make_article(" ".join(AGENCY_LATER), published="2024-04-16")

    def trace() -> list[tuple[str, str, str]]:
        tracer = CopyTracer()
        for art in (first, later):
            tracer.add(art, _bag_embed)
        return [(d.article_id, d.original_id, d.kind) for d in tracer.derivations]

    assert trace() == [(later.id, first.id, "same_wire")]
    tracer = CopyTracer()
    tracer.add(first, _bag_embed)
    again = CopyTracer.from_state([state for _, state in tracer.state_delta()], [])
    assert [d.kind for d in again.add(later, _bag_embed)] == ["same_wire"]  # as stored
    monkeypatch.setattr(dedupe, "WIRE_RUNS", 99)  # the runs are what link them
    assert trace() == []


WORDS = [f"topic{n}" for n in range(18)]  # a word of its own per filler sentence


def test_stock_phrases_in_long_reports_are_no_copy() -> None:
    """Own reports of one trial share legal phrases of eight words ("life in prison without
    the possibility of parole") in three sentences of thirteen: not a quarter of either page."""
    phrases = [
        "life in prison without the possibility of parole",
        "the special circumstance of murder of a peace officer",
        "two counts of possession of a firearm by a felon",
    ]
    in_a = [
        f"The defendant now faces {phrases[0]} after a three-week trial.",
        f"Jurors took two days to find true {phrases[1]} in the case.",
        f"He had also admitted {phrases[2]} before the hearing began.",
    ]
    in_b = [
        f"Prosecutors said they would ask for {phrases[0]} at sentencing.",
        f"Defence lawyers had argued against {phrases[1]} during closing statements.",
        f"The indictment listed {phrases[2]} among other charges.",
    ]
    own_a = [f"The first paper's own line number {w} about the long trial." for w in WORDS[:10]]
    own_b = [f"Another outlet wrote its sentence {w} on the courtroom scene." for w in WORDS[8:18]]
    a = make_article(" ".join(own_a[:4] + in_a[:2] + own_a[4:] + in_a[2:]))
    b = make_article(" ".join(in_b + own_b))
    tracer = CopyTracer()
    for art in (a, b):
        tracer.add(art, _bag_embed)
    assert tracer.derivations == []


def test_one_long_agency_sentence_word_for_word_is_one_origin() -> None:
    """A sentence of over thirty words kept word for word outside quotation marks is the
    agency's text, not a phrase two reporters both found (#11: Reuters' account of the
    prosecutor's statement on two sites); a shorter shared sentence stays sentence-level
    provenance (`test_one_shared_wire_sentence_is_sentence_provenance_not_a_page_copy`)."""
    long_sentence = (
        "The prosecutor said the co-pilot, left in sole control of the aircraft after the "
        "captain stepped out, refused to open the cockpit door and deliberately set the plane "
        "into a descent that lasted about eight minutes until it struck the mountainside."
    )
    earlier = make_article(
        "French prosecutors gave their first account of the crash on Thursday. "
        + long_sentence
        + " Families of the victims were told of the findings before the news conference.",
        published="2024-03-26",
    )
    later = make_article(
        "The airline's chief said he was stunned by what investigators had found. "
        "Search teams resumed work at first light on the scree slopes. "
        + long_sentence
        + " The company will hold a memorial service next week in its home city.",
        published="2024-03-26",
    )
    tracer = CopyTracer()
    for art in (earlier, later):
        tracer.add(art, _bag_embed)
    assert [d.kind for d in tracer.derivations] == ["same_wire"]
    assert tracer.derivations[0].evidence["run_grams"] >= 30
    assert tracer.root(later.id) == tracer.root(earlier.id)


PROBE_REPORT = [
    "The Norwegian space agency said its Fjellstad-2 probe has crashed into Mars.",
    "The unmanned lander crashed after it had spun into an uncontrolled orbit, the agency "
    "Romsenter said.",
    "The launch in March was Norway's first mission to another planet.",
    "The crash comes after Romsenter reported a fault in the main thruster that its engineers "
    "were analysing on Friday.",
    "The lander was meant to spend two years drilling for ice near the northern cap.",
    "Its builders had promised a cheaper way to reach the planet than the big agencies.",
]
PROBE_SPUN = [  # reworded sentence by sentence, in the report's order, then two of its own
    "Norway's space agency announced that its Fjellstad-2 probe suffered a crash into Mars.",
    "According to Norway's space body Romsenter, the unmanned robot lander hit the planet "
    "after entering an uncontrolled orbit.",
    "The mishap follows an earlier report of a fault in the main thruster that Norwegian "
    "engineers were studying on Friday.",
    "Norway had wished for the lander to spend a span of two years drilling for frozen ice by "
    "the northern cap.",
    "Contact with the craft was lost after unspecified problems during the approach.",
    "Officials have not said when a new attempt could be made.",
]
PROBE_OWN = [  # another outlet's report: the same facts in the same order, its own words
    "Norway's first Mars lander, Fjellstad-2, is lost, officials in Oslo confirmed.",
    "Romsenter said controllers saw the probe veer off course before signals stopped.",
    "Engineers had been worried since Friday about a faulty main thruster, staff told reporters.",
    "Scientists had hoped to study buried ice near the northern cap for two years.",
    "The mission cost less than a third of comparable probes.",
    "A review board will report next month.",
]


def test_a_page_spun_sentence_by_sentence_in_order_is_a_rewrite(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Four of six sentences reworded one by one in the report's order, each keeping its names
    and a third of its words, the fourth too loosely for the alignment (#11: a spun Luna-25
    page was an independent source); the same sentences out of order, or another outlet's
    report of the same facts in the same order, stay independent."""
    from newsloom import dedupe
    from newsloom.nlp import load_static_embedder

    embed = load_static_embedder().embed
    report = make_article(" ".join(PROBE_REPORT), published="2024-05-01")

    def trace(sentences: list[str]) -> list[tuple[str, str, str]]:
        tracer = CopyTracer()
        page = make_article(" ".join(sentences), published="2024-05-02")
        for art in (report, page):
            tracer.add(art, embed)
        names = {report.id: "report", page.id: "page"}
        return [(names[d.article_id], names[d.original_id], d.kind) for d in tracer.derivations]

    assert trace(PROBE_SPUN) == [("page", "report", "rewrite")]
    assert trace(PROBE_SPUN[::-1]) == []  # the same sentences, no order: no chain
    assert trace(PROBE_OWN) == []
    tracer = CopyTracer()
    tracer.add(report, embed)
    again = CopyTracer.from_state([state for _, state in tracer.state_delta()], [])
    spun = make_article(" ".join(PROBE_SPUN), published="2024-05-02")
    found = again.add(spun, embed)
    assert [(d.kind, d.evidence["ordered_sentences"]) for d in found] == [("rewrite", 4)]
    monkeypatch.setattr(dedupe, "ORDERED", 99)  # the ordered chain is what links it
    assert trace(PROBE_SPUN) == []
