"""Cleaning: mojibake repair, boilerplate and captions, sentences with exact offsets."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsloom.clean import (
    clean_article,
    clean_batch,
    fix_mojibake,
    is_furniture,
    is_no_comment,
    looks_english,
    split_sentences,
)
from newsloom.ingest import read_inputs
from newsloom.models import Article, content_id

DATA = Path(__file__).parent / "data" / "ingest"
SEEDS = Path(__file__).parent.parent / "examples" / "seeds"


def sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text)]


def load(path: Path) -> Article:
    (item,) = list(read_inputs([str(path)]))
    assert isinstance(item, Article)
    return clean_article(item)


def test_cp874_mojibake_repaired_and_thai_kept() -> None:
    art = load(DATA / "cp874_mojibake.txt")
    assert "budget of £12m" in art.text
    assert "mayor’s office" in art.text
    assert "“too little, too late”" in art.text  # curly quotes survive
    assert "ในกรุงเทพฯ มีฝนตกหนัก" in art.text  # real Thai is not "repaired"
    assert "ยฃ" not in art.text and "โ€" not in art.text


def test_cp1252_mojibake_repaired() -> None:
    art = load(DATA / "cp1252_mojibake.txt")
    assert "company’s shares fell 8% to £3.20" in art.text
    assert "café chain — once" in art.text
    assert "“serious questions”" in art.text
    assert "Â" not in art.text and "â€" not in art.text


def test_fix_mojibake_leaves_clean_text_alone() -> None:
    text = "Prices rose 5% in “real” terms, said Zoë Brontë in Zürich – £3 more."
    assert fix_mojibake(text) == text


def test_boilerplate_dropped_and_captions_moved() -> None:
    raw = (
        "Share this\n\nFirefighters battled the blaze at the warehouse for six hours overnight.\n\n"
        "2px presentational grey line\n\n"
        "Smoke rising over the industrial estate at dawn\n"
        "image captionCrews from four stations were called to the scene\n\n"
        "Media caption, Drone footage shows the damage\n\n"
        "By Jane Doe in Leeds\n\n"
        "The cause of the fire is not yet known, police said.\n\n"
        "Read more\n\nAdvertisement\n\nVisited 1,204 times\n\n"
        "Follow us on Twitter and Facebook\n\nSign up for our morning newsletter\n\n"
        "We use cookies to give you the best experience. Accept all cookies.\n\nComments (12)\n"
    )
    art = clean_article(Article(id="", text=raw))
    assert art.text == (
        "Firefighters battled the blaze at the warehouse for six hours overnight.\n\n"
        "The cause of the fire is not yet known, police said."
    )
    assert art.captions == [
        "Smoke rising over the industrial estate at dawn",
        "Crews from four stations were called to the scene",
        "Drone footage shows the damage",
    ]
    assert art.author == "Jane Doe"
    assert art.meta["bylines"] == ["By Jane Doe in Leeds"]


def test_whitespace_and_hard_wrapped_lines() -> None:
    raw = (
        "  The minister   said the new rail line would open\r\nin 2027, two years late.\t\n\n\n\n"
        "Short heading\nA second paragraph follows here.\u200b"
    )
    art = clean_article(Article(id="", text=raw))
    assert art.text == (
        "The minister said the new rail line would open in 2027, two years late.\n\n"
        "Short heading\n\nA second paragraph follows here."
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Mr. Smith met Dr. Jones in Washington. They spoke for an hour.",
            ["Mr. Smith met Dr. Jones in Washington.", "They spoke for an hour."],
        ),
        (
            "Troops arrived in the U.S. The Pentagon confirmed it. Gen. Mark A. Milley agreed.",
            [
                "Troops arrived in the U.S.",
                "The Pentagon confirmed it.",
                "Gen. Mark A. Milley agreed.",
            ],
        ),
        (
            "Growth was 2.5 per cent on Jan. 5 at the U.S. Federal Reserve. Then it fell.",
            ["Growth was 2.5 per cent on Jan. 5 at the U.S. Federal Reserve.", "Then it fell."],
        ),
        (
            "“We will stay until the end,” he said. “Nobody is leaving.” She agreed.",
            ["“We will stay until the end,” he said.", "“Nobody is leaving.”", "She agreed."],
        ),
        (
            "“Run!” she shouted. He waited... and then ran. It was over… Everyone left.",
            ["“Run!” she shouted.", "He waited... and then ran.", "It was over…", "Everyone left."],
        ),
        (
            "J. R. R. Tolkien wrote it. Was it good? Yes!",
            ["J. R. R. Tolkien wrote it.", "Was it good?", "Yes!"],
        ),
        (
            "The fire began at 9 p.m. More than 20 engines came. It ended at 2 a.m. Tuesday.",
            [
                "The fire began at 9 p.m.",
                "More than 20 engines came.",
                "It ended at 2 a.m. Tuesday.",
            ],
        ),
        (
            "It hit at 3:05 a.m. Eastern, in the north. At 9 p.m. (1800 GMT) on Tuesday it "
            "ended. At 10 p.m. US troops left.",
            [
                "It hit at 3:05 a.m. Eastern, in the north.",
                "At 9 p.m. (1800 GMT) on Tuesday it ended.",
                "At 10 p.m.",
                "US troops left.",
            ],
        ),
        (
            "Shots at 7 p.m. Paris time (6 p.m. GMT) and at 8 p.m. EST. At 9 a.m. the police came.",
            [
                "Shots at 7 p.m. Paris time (6 p.m. GMT) and at 8 p.m. EST.",
                "At 9 a.m. the police came.",
            ],
        ),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_sentence_never_crosses_a_paragraph() -> None:
    text = "A heading without a stop\n\nThe body starts here. It ends here"
    assert sentences(text) == ["A heading without a stop", "The body starts here.", "It ends here"]


def test_sentences_offsets_and_paragraphs() -> None:
    art = clean_article(
        Article(id="", text="First one. Second one.\n\nThird, in paragraph two.", title="T")
    )
    assert [(s.index, s.paragraph) for s in art.sentences] == [(0, 0), (1, 0), (2, 1)]
    for s in art.sentences:
        assert art.text[s.start : s.end] == s.text
    assert art.sentence_at(art.text.index("Third")) == 2


def test_ids_and_derived_title() -> None:
    art = clean_article(Article(id="", text="Floods hit the valley\n\nRivers rose overnight."))
    assert art.title == "Floods hit the valley"
    assert art.meta["title_derived"] is True
    assert art.id == content_id(art.text, art.title, "")
    kept = clean_article(Article(id="wire-7", text="Text here.", title="Given"))
    assert (kept.id, kept.title, "title_derived" in kept.meta) == ("wire-7", "Given", False)
    long_first = "word " * 60
    assert len(clean_article(Article(id="", text=long_first)).title) <= 121


def test_clean_is_pure_and_batch_keeps_order() -> None:
    original = Article(id="", text="One.\n\nimage captionA photo\n\nTwo.")
    batch = clean_batch([original, Article(id="", text="Three.")])
    assert original.text == "One.\n\nimage captionA photo\n\nTwo." and not original.captions
    assert [a.text for a in batch] == ["One.\n\nTwo.", "Three."]


def test_seeds_clean() -> None:
    cleaned = [load(p) for p in sorted(SEEDS.glob("*.txt"))]
    joined = "\n".join(a.text for a in cleaned)
    assert "£360m" in joined
    assert "ยฃ" not in joined
    assert "presentational grey line" not in joined
    assert "image caption" not in joined.lower()
    dated = [a for a in cleaned if a.published]
    assert dated[0].published == "2021-08-13"
    assert dated[0].title.startswith("As the Taliban advance")
    for art in cleaned:
        assert art.sentences and art.id
        for s in art.sentences:
            assert art.text[s.start : s.end] == s.text and "\n\n" not in s.text


def test_speed() -> None:
    texts = [(SEEDS / p).read_text(encoding="utf-8") for p in sorted(SEEDS.iterdir())]
    import time

    batch = [Article(id="", text=t) for t in texts] * 50
    started = time.perf_counter()
    clean_batch(batch)
    assert time.perf_counter() - started < 5.0  # 100 long articles; typically ~0.2 s


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.text(alphabet=st.sampled_from(list("ab .!?…“”\"'\n U.S.Dr")), max_size=40),
        max_size=6,
    )
)
def test_sentence_spans_are_ordered_and_stay_in_paragraphs(parts: list[str]) -> None:
    text = "\n\n".join(parts)
    spans = split_sentences(text)
    last = 0
    for start, end in spans:
        assert last <= start < end <= len(text)
        assert text[start:end] == text[start:end].strip()
        assert "\n\n" not in text[start:end]
        last = end


def test_caption_takes_only_the_line_above_and_food_cookies_stay() -> None:
    raw = (
        "The bakery sold 4,000 cookies on the first day, its owner said.\n"
        "Ministers met on Tuesday to discuss the budget shortfall in detail.\n"
        "A queue outside the shop\n"
        "image caption Customers queued from 6am\n"
    )
    art = clean_article(Article(id="", text=raw))
    assert art.captions == ["A queue outside the shop", "Customers queued from 6am"]
    assert art.text.split("\n\n") == [
        "The bakery sold 4,000 cookies on the first day, its owner said.",
        "Ministers met on Tuesday to discuss the budget shortfall in detail.",
    ]


def test_inline_divider_and_copyright_footer_removed() -> None:
    raw = (
        "The vote was delayed. 2px presentational grey line Campaigners said they would appeal.\n\n"
        "© 2024 The Valley Herald. All rights reserved."
    )
    art = clean_article(Article(id="", text=raw))
    assert art.text == "The vote was delayed.\n\nCampaigners said they would appeal."


def test_cleaning_twice_changes_nothing() -> None:
    once = load(DATA / "cp874_mojibake.txt")
    raw = Article(id="", text="Alt text here\nimage caption A photo\n\nBody text. More.")
    for art in (once, clean_article(raw)):
        again = clean_article(art)
        assert (again.text, again.title, again.captions, again.id) == (
            art.text,
            art.title,
            art.captions,
            art.id,
        )
        assert again.sentences == art.sentences


@pytest.mark.parametrize(
    ("text", "english"),
    [
        ("The government said on Monday that it would send more troops to the region. " * 4, True),
        ("O governo disse na segunda-feira que vai enviar mais tropas para a região. " * 4, False),
        (
            "Die Regierung sagte am Montag, dass sie mehr Truppen in die Region schicken wird. "
            * 4,
            False,
        ),
        ("Правительство заявило в понедельник, что направит в регион больше войск. " * 4, False),
        ("政府は月曜日、地域にさらに部隊を派遣すると発表した。 " * 12, False),
        ("Viera 35, Rockledge 14; Melbourne 21, Palm Bay 7; Cocoa 28, Titusville 10. " * 4, True),
        ("Brief note in another tongue: o governo disse.", True),  # too short to judge
    ],
)
def test_looks_english(text: str, english: bool) -> None:
    assert looks_english(text) is english


FURNITURE_PAGE = """Rescuers search the ruins of the hotel

Rescuers worked through the night at the collapsed hotel in the town centre on Tuesday.

AFP via Getty Images

(Yves Malenfer / Associated Press)

Twelve people were pulled alive from the rubble, the fire service said.

Print Friendly, PDF & Email

Watch more from CBS above.

READ MORE: How the hotel was built

Share this:

(Reporting by Jane Doe; Editing by John Roe)
"""


def test_furniture_lines_are_dropped_from_text_pages() -> None:
    art = clean_article(Article(id="", text=FURNITURE_PAGE))
    assert [s.text for s in art.sentences] == [
        "Rescuers search the ruins of the hotel",
        "Rescuers worked through the night at the collapsed hotel in the town centre on Tuesday.",
        "Twelve people were pulled alive from the rubble, the fire service said.",
    ]


@pytest.mark.parametrize(
    "line",
    [
        "AFP via Getty Images",
        "Mohammed Abed/AFP via Getty Images",
        "(AP Photo/Claude Paris)",
        "Photograph: Christophe Ena/AP",
        "Click to share on Twitter (Opens in new window)",
        "Facebook Twitter WhatsApp Email",
        "Watch: rescuers reach the site",
        "This post will be updated as new information is available.",
        "This is a developing story. Check back for updates.",
    ],
)
def test_is_furniture(line: str) -> None:
    assert is_furniture(line)


@pytest.mark.parametrize(
    "line",
    [
        "Reuters reported that the plane crashed.",
        "A resident told AFP that government forces withdrew.",
        "Watch out for falling debris, police warned residents on Tuesday.",
        "Share prices fell sharply in Frankfurt on Tuesday.",
        "Related companies saw their shares fall.",
        "This story of a developing crisis was told by survivors.",
    ],
)
def test_reporting_is_not_furniture(line: str) -> None:
    assert not is_furniture(line)


def test_furniture_lines_are_dropped_from_html_pages(tmp_path: Path) -> None:
    body = "".join(f"<p>{line}</p>" for line in FURNITURE_PAGE.strip().split("\n\n")[1:] if line)
    page = tmp_path / "hotel.html"
    page.write_text(
        "<html><head><title>Rescuers search the ruins of the hotel</title></head>"
        f"<body><article><h1>Rescuers search the ruins of the hotel</h1>{body}</article>"
        "</body></html>",
        encoding="utf-8",
    )
    (item,) = read_inputs([str(page)])
    assert isinstance(item, Article)
    art = clean_article(item)
    assert "Getty" not in art.text and "Print Friendly" not in art.text
    assert "CBS" not in art.text and "Reporting by" not in art.text
    assert "Twelve people were pulled alive from the rubble" in art.text


@pytest.mark.parametrize(
    ("text", "boilerplate"),
    [
        ("Representatives for the bank did not respond to a request for comment.", True),
        ("The bank's representatives didn’t immediately respond to a request for comment.", True),
        ("OpenAI did not immediately respond to Reuters request for comment.", True),
        ("A spokesman for the ministry declined to comment.", True),
        ("The FBI could not be reached for comment on Friday.", True),
        ("The army did not respond to the attack until the next morning.", False),
        ("Regulators closed Signature Bank on Sunday.", False),
    ],
)  # fmt: skip
def test_no_comment_lines_are_boilerplate(text: str, boilerplate: bool) -> None:
    assert is_no_comment(text) is boilerplate
