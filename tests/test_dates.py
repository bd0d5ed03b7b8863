"""Time expressions in realistic news sentences, resolved against the publication date."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsloom.extract.dates import find_times, times_for
from newsloom.models import Article, Sentence

FRIDAY = "2021-08-13"  # a Friday


def values(text: str, anchor: str = FRIDAY) -> dict[str, str]:
    return {t.text: t.value for t in find_times(text, anchor)}


def test_thursday_night_in_a_friday_article_is_the_day_before() -> None:
    text = "On Thursday night, Washington and London declared they would send troops to Kabul."
    refs = find_times(text, FRIDAY)
    assert [r.value for r in refs] == ["2021-08-12"]
    assert (refs[0].text, refs[0].timeml) == ("Thursday night", "2021-08-12TNI")
    assert text[refs[0].start : refs[0].end] == "Thursday night"


def test_weekdays_point_back_unless_future_or_next() -> None:
    assert values("The Taliban entered Herat on Tuesday.") == {"Tuesday": "2021-08-10"}
    assert values("The envoy will arrive in Doha on Monday.") == {"Monday": "2021-08-16"}
    assert values("Talks resume next Wednesday.") == {"next Wednesday": "2021-08-18"}
    assert values("The offensive began last Friday.") == {"last Friday": "2021-08-06"}


def test_explicit_dates_in_common_formats() -> None:
    got = values(
        "The deadline was 31 August 2021, moved from Aug. 12, 2021, and from 2021-08-20; "
        "a memo dated 25/08/2021 said so."
    )
    assert got == {
        "31 August 2021": "2021-08-31",
        "Aug. 12, 2021": "2021-08-12",
        "2021-08-20": "2021-08-20",
        "25/08/2021": "2021-08-25",
    }


def test_year_less_dates_take_the_articles_year() -> None:
    assert values("Kabul airport reopened on 12 August.") == {"12 August": "2021-08-12"}
    assert values("The attacks of September 11 changed everything.") == {
        "September 11": "2021-09-11"
    }
    # a date far ahead of a January article is last year's
    assert values("Fighting began on December 28.", "2022-01-03") == {"December 28": "2021-12-28"}


def test_deictic_words() -> None:
    got = {t.text: (t.value, t.kind) for t in find_times(
        "Officials said yesterday that the embassy will close tonight; today the airport "
        "is open, as it was last week and last month.", FRIDAY)}  # fmt: skip
    assert got == {
        "yesterday": ("2021-08-12", "date"),
        "tonight": ("2021-08-13TNI", "time"),
        "today": ("2021-08-13", "date"),
        "last week": ("2021-W31", "date"),
        "last month": ("2021-07", "date"),
    }


def test_years_months_decades_and_relative_years() -> None:
    got = values(
        "Troops arrived in 2001, surged in May, left in the 1990s plan's wake; "
        "elections are due next year and this year's budget is short."
    )
    assert got["2001"] == "2001"
    assert got["May"] == "2021-05"
    assert got["the 1990s"] == "199"
    assert got["next year"] == "2022"
    assert got["this year"] == "2021"


def test_relative_offsets_and_anaphora() -> None:
    got = values(
        "Two days ago the governor fled. On 2 August the city fell; the day before, "
        "the army withdrew, and three weeks later the capital was surrounded."
    )
    assert got["Two days ago"] == "2021-08-11"
    assert got["the day before"] == "2021-08-01"
    assert got["three weeks later"] == "2021-W34"


def test_durations_are_timeml_periods() -> None:
    refs = find_times("Evacuation will take 24 to 48 hours, after 20 years of war.", FRIDAY)
    got = {r.text: (r.value, r.kind) for r in refs}
    assert got == {"24 to 48 hours": ("PT24H", "duration"), "20 years": ("P20Y", "duration")}
    assert next(r.high for r in refs if r.text == "24 to 48 hours") == "PT48H"  # both bounds


def test_no_false_hits_on_common_words() -> None:
    text = (
        "Troops may leave soon, and protesters march through the city under the sun. "
        "A 35-year-old man said 3,000 soldiers may march on the capital."
    )
    assert find_times(text, FRIDAY) == []


def test_may_and_march_as_months_with_a_cue() -> None:
    assert values("The deal was signed in May and ratified in March 2020.") == {
        "May": "2021-05",
        "March 2020": "2020-03",
    }


def test_without_anchor_explicit_dates_still_resolve() -> None:
    assert values("It happened on 12 August 2021, not on Thursday.", "") == {
        "12 August 2021": "2021-08-12"
    }


def test_times_for_fills_sentences() -> None:
    text = "The city fell on Friday. Two days later, the airport closed."
    art = Article(
        id="a",
        text=text,
        published="2021-08-16T09:00:00Z",
        sentences=[Sentence(0, text[:24], 0, 24), Sentence(1, text[25:], 25, len(text))],
    )
    refs = times_for(art)
    assert [(r.value, r.sentence) for r in refs] == [("2021-08-13", 0), ("2021-08-15", 1)]


TIMEBANK = Path(__file__).resolve().parents[2] / "shared" / "eval" / "timebank"


@pytest.mark.slow
@pytest.mark.skipif(not TIMEBANK.exists(), reason="TimeBank evaluation data not present")
def test_timebank_value_f1_floor() -> None:
    from newsloom.evaluate.dates import evaluate

    result = evaluate(TIMEBANK, limit=40, split="timebank")
    assert float(result.metrics["value_f1"]) > 0.65


def test_month_abbreviations_need_a_period_or_a_number() -> None:
    got = values("Jan Egeland said aid stopped in Dec. and resumed on Jan. 4.", "2022-01-20")
    assert got == {"Dec.": "2021-12", "Jan. 4": "2022-01-04"}


def test_clock_time_joins_the_day_it_names() -> None:
    text = "The curfew starts at 10 p.m. Wednesday and the vote closed at 5:30 pm."
    got = {t.text: (t.value, t.kind) for t in find_times(text, FRIDAY)}
    assert got["10 p.m. Wednesday"] == ("2021-08-11T22:00", "time")
    assert got["5:30 pm"] == ("2021-08-11T17:30", "time")


def test_evaluate_scores_a_small_timeml_corpus(tmp_path: Path) -> None:
    from newsloom.evaluate.dates import evaluate, read_timeml

    doc = (
        '<?xml version="1.0" ?>\n<TimeML>\n<DCT><TIMEX3 tid="t0" type="DATE" value="2021-08-13" '
        'functionInDocument="CREATION_TIME">20210813</TIMEX3></DCT>\n<TEXT>\nThe Taliban took '
        'Herat on <TIMEX3 tid="t1" type="DATE" value="2021-08-12">Thursday</TIMEX3> after '
        '<TIMEX3 tid="t2" type="DURATION" value="P2W">two weeks</TIMEX3> of fighting &amp; '
        'talks, <TIMEX3 tid="t3" type="DATE" value="PAST_REF">recently</TIMEX3> stalled.\n'
        "</TEXT>\n</TimeML>\n"
    )
    (tmp_path / "TimeBank").mkdir()
    (tmp_path / "TimeBank" / "a.tml").write_text(doc, encoding="utf-8")
    text, dct, gold = read_timeml(tmp_path / "TimeBank" / "a.tml")
    assert dct == "2021-08-13"
    assert [text[g.start : g.end] for g in gold] == ["Thursday", "two weeks", "recently"]
    assert "fighting & talks" in text
    result = evaluate(tmp_path, split="timebank")
    assert result.metrics["value_f1"] == 1.0
    assert result.metrics["strict_f1"] == 1.0
    with pytest.raises(ValueError):
        evaluate(tmp_path, split="nope")


def test_issue15_race_times_ranges_and_coming_weekdays() -> None:
    assert not find_times("She won the marathon, finishing in 3:07:35.", "2021-08-13")
    (span,) = find_times("Repairs will take between 12 and 18 months.", "2021-08-13")
    assert (span.text, span.value, span.high) == ("between 12 and 18 months", "P12M", "P18M")
    (saturday,) = find_times("The ultimatum expires at 15:00 GMT Saturday.", "2021-08-13")
    assert saturday.value == "2021-08-14T15:00"
    (past,) = find_times("Fighting stopped at 15:00 GMT Saturday.", "2021-08-13")
    assert past.value == "2021-08-07T15:00"


def test_issue15_roles_tell_events_from_deadlines_and_background() -> None:
    text = (
        "Since May the fighting has grown. On Thursday the city fell. Biden wants the war over "
        "by September 11. Talks will resume on Monday. The war began in 2001."
    )
    article = Article(id="t", text=text, published="2021-08-13")
    roles = {t.text: t.role for t in times_for(article)}
    assert roles == {
        "May": "background",
        "Thursday": "event",
        "September 11": "deadline",
        "Monday": "deadline",
        "2001": "background",
    }


def test_issue15_future_and_past_cues_place_weekdays_and_year_less_dates() -> None:
    monday = "2000-04-03"  # a Monday
    assert values("The relatives could leave as soon as Tuesday.", monday) == {
        "Tuesday": "2000-04-04"
    }
    (clock,) = find_times("INS extended its deadline until 9 a.m. EST Tuesday.", monday)
    assert clock.value == "2000-04-04T09:00"  # "a.m." does not end the sentence
    # a date a reporting verb was said on is past, whatever the reported clause says
    assert values("Paribas said Monday that it intends to bid.", "1989-10-27") == {
        "Monday": "1989-10-23"
    }
    assert values("Sales fell in the year ended Jan. 31.", "1989-10-31")["Jan. 31"] == "1989-01-31"
    assert values("It plans to pay the loan by February.", "1989-10-30") == {"February": "1990-02"}
    assert values("The ship has been on patrol since March.", "1990-08-13") == {"March": "1990-03"}


def test_issue15_holidays_periods_of_the_named_year_and_vague_spans() -> None:
    assert values("Elian was found Thanksgiving Day clinging to a tube.", "2000-01-07") == {
        "Thanksgiving Day": "1999-11-25"
    }
    assert values("They campaigned until Election Day.", "1998-10-26") == {
        "Election Day": "1998-11-03"
    }
    assert values("Christmas trees sold well.", "2021-12-01") == {}
    got = values("He fled in June 1998 and returned later that year.", "2000-01-28")
    assert got["later that year"] == "1998"
    got = values("Farkas was promoted on Feb. 2, 1995, and the following year he left.")
    assert got["the following year"] == "1996"
    refs = [(t.text, t.value, t.kind) for t in find_times(
        "For the year ended Sept. 30, it earned $4 million; for the year, volume was flat. "
        "For weeks the talks stalled, demand held into the summer, and current prices fell.",
        "1989-11-02")]  # fmt: skip
    assert refs == [
        ("the year", "P1Y", "duration"),  # "the year ended …" is a twelve-month period
        ("Sept. 30", "1989-09-30", "date"),
        ("the year", "1989", "date"),
        ("weeks", "PXW", "duration"),
        ("the summer", "1989-SU", "date"),
        ("current", "PRESENT_REF", "date"),
    ]
    assert values("A second group of directors joined.", FRIDAY) == {}


def test_tense_reads_the_whole_sentence_and_the_past_perfect() -> None:
    monday = "1998-10-26"  # a Monday
    # a closing quote ends the sentence: "from now to Election Day" does not make Sunday future
    text = "``It is our theme from now to Election Day.''  In Sunday's debate he attacked."
    assert values(text, monday)["Sunday"] == "1998-10-25"
    # the future cue lies more than 50 characters before the weekday
    text = "Protesters were planning to drive around Miami International Airport on Monday."
    assert values(text, "2000-01-07") == {"Monday": "2000-01-10"}
    # a plan in the past perfect is past; "will" keeps it future
    assert values("The offer had been due to expire Friday evening.", monday) == {
        "Friday evening": "1998-10-23"
    }
    assert values("The offer will expire Friday evening.", monday) == {
        "Friday evening": "1998-10-30"
    }
    # "would" after a reporting verb is a future in the past: the coming August 6
    assert values("It said flights would depart from August 6.", "1998-02-13") == {
        "August 6": "1998-08-06"
    }


def test_seasons_and_months_of_a_named_year_in_digits_or_words() -> None:
    got = values(
        "Oil fell in the winter of nineteen ninety-four and in January nineteen ninety-seven."
    )
    assert got == {"the winter of nineteen ninety-four": "1994-WI",
                   "January nineteen ninety-seven": "1997-01"}  # fmt: skip
    assert values("Sales peaked in Summer 2001 and late spring 2003.") == {
        "Summer 2001": "2001-SU",
        "late spring 2003": "2003-SP",
    }
    assert values("Prices fall 1998 style.") == {"1998": "1998"}  # "fall" is a verb here


def test_parts_of_day_sets_second_days_and_earnings_periods() -> None:
    thursday = "1989-11-02"
    assert values("In London at mid-afternoon yesterday, shares rose.", thursday) == {
        "mid-afternoon yesterday": "1989-11-01TAF"
    }
    got = values("Shares fell Friday. Dealers placed orders in the morning.", "1989-10-30")
    assert got == {"Friday": "1989-10-27", "the morning": "1989-10-27TMO"}
    assert values("Flights leave on Tuesday nights.", thursday) == {
        "Tuesday nights": "XXXX-WXX-2TNI"
    }
    got = values("The summit is on April 24 and 25; it rose 5 and 6 percent.", "1999-02-10")
    assert got == {"April 24": "1999-04-24", "25": "1999-04-25"}
    got = values("Profit rose in the third quarter. In the 1988 period, it earned less.", thursday)
    assert got == {"the third quarter": "1989-Q3", "the 1988 period": "1988-Q3"}
    assert values("Then, a week or so ago, the general picked a date.", "1991-02-25") == {
        "a week or so ago": "1991-W08"
    }
    got = values("Violence rose over the past decade and this past weekend.", "1999-10-04")
    assert got == {"the past decade": "P10Y", "this past weekend": "1999-W39-WE"}


def test_anaphora_reach_bare_years_and_apposed_dates() -> None:
    got = values("In 1988 watch imports rose, and Swiss makers took most of them that year.")
    assert got == {"1988": "1988", "that year": "1988"}
    got = values("Kopp moved in 1995 and the following year he left.", "1999-05-07")
    assert got["the following year"] == "1996"
    # "Nov. 3, the day before the warrant was issued" is Nov. 3 itself
    got = values("He was last seen Nov. 3, the day before a warrant was issued.", "1999-05-07")
    assert got == {"Nov. 3": "1998-11-03", "the day before": "1998-11-03"}
    got = values("He was seen Nov. 3. The day before, he sold his car.", "1999-05-07")
    assert got["The day before"] == "1998-11-02"
    # a past perfect near the date puts a "by" deadline in the past
    got = values("Only two members had filed reports by Wednesday.", "1990-08-16")
    assert got == {"Wednesday": "1990-08-15"}


def test_now_as_a_discourse_marker_or_hedge_is_no_time() -> None:
    assert values("Now, he says, the West has won.") == {}
    assert values("For now, though, that is theory.") == {}
    assert values("Now the court will rule; the fund now holds cash.") == {
        "Now": "PRESENT_REF",
        "now": "PRESENT_REF",
    }
