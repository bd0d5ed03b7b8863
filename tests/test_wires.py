"""Agency credits: named anywhere (copy tracing) against credited as the page's source
(source counting), and the two agreeing on the agency's id."""

from __future__ import annotations

import numpy as np

from newsloom.dedupe import CopyTracer
from newsloom.fuse import outlet_key
from newsloom.models import Article
from newsloom.nlp import load_embedder
from newsloom.wires import credited_anywhere, credited_as_source


def page(text: str, url: str = "https://example.com/a") -> Article:
    return Article(id="a", text=text, url=url)


def test_a_dateline_or_byline_credit_makes_the_agency_the_source() -> None:
    dateline = page("KABUL, Aug 13 (Reuters) - The Taliban took Kandahar on Friday.")
    byline = page("By The Associated Press\nThe Taliban took Kandahar on Friday.")
    long_name = page("By Agence France-Presse\nThe Taliban took Kandahar on Friday.")
    signoff = page(
        "The Taliban took Kandahar on Friday.\n"
        "Reporting by Jane Doe; Editing by John Roe"
    )  # fmt: skip
    assert credited_as_source(dateline) == "reuters"
    assert credited_as_source(byline) == "ap"
    assert credited_as_source(long_name) == "afp"
    assert credited_as_source(signoff) == "reuters"
    assert credited_as_source(page("Nothing credited."), "apnews") == "ap"  # the agency's site


def test_a_mention_is_a_credit_anywhere_but_not_the_source() -> None:
    text = (
        "The Taliban took Kandahar on Friday, the group said.\n"
        + "Residents described heavy fighting overnight. " * 20
        + "\nA resident told AFP the army had left, and Reuters reported looting."
    )
    mention = page(text)
    assert credited_anywhere(mention.text) == ["afp", "reuters"]
    assert credited_as_source(mention) == ""
    late_dateline = page("x " * 300 + "KABUL (AFP) - The Taliban took Kandahar.")
    assert credited_anywhere(late_dateline.text) == ["afp"]
    assert credited_as_source(late_dateline) == ""  # past the head: not this page's credit
    assert credited_anywhere("Apple's APP store and a CAP on rents.") == []


def test_fusion_and_copy_tracing_name_one_agency_alike() -> None:
    """The id in the outlet key (fusion) is the id copy tracing credits."""
    art = page("GOMA, May 6 (AFP) - The ferry sank near Goma.", "https://dailynews.example/4")
    assert outlet_key(art) == "dailynews|afp"
    assert credited_anywhere(art.text) == [outlet_key(art).split("|")[1]]


def test_old_tracer_states_with_upper_case_credits_load_as_ids() -> None:
    """States saved before `wires` stored "AFP"; they load as the ids new pages carry."""
    tracer = CopyTracer()
    tracer.add(page("KABUL (AFP) - The Taliban took the city of Kandahar on Friday."), embed)
    [(_, state)] = tracer.state_delta()
    assert state["credits"] == ["afp"]
    state["credits"] = ["AFP"]
    assert CopyTracer.from_state([state], []).pages[0].credits == ["afp"]


def embed(texts: list[str]) -> np.ndarray:
    return load_embedder().embed(texts)
