"""Time expressions: find them with a small grammar and resolve them to TimeML values.

Values follow TimeML/TIMEX3 so the TimeBank evaluation compares directly: YYYY-MM-DD,
YYYY-MM, YYYY, YYYY-Www, YYYY-Qn, decades (199), PRESENT_REF/PAST_REF/FUTURE_REF, times
(YYYY-MM-DDTHH:MM, YYYY-MM-DDTNI) and durations (P3D, PT48H). Relative expressions resolve
against the publication date (the anchor); "the day before", "a year earlier" and
"three weeks later" resolve against the last date the text mentioned. News weekdays point
to the past week unless the sentence is in the future tense or says "next".
Month names must be capitalised, and "May"/"March" alone need a preposition before them,
so "troops may leave" and "they march" are not dates.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from newsloom.models import Article, TimeRef

MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11,
    "nov": 11, "december": 12, "dec": 12,
}  # fmt: skip
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "couple": 2, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "half": 0.5,
}  # fmt: skip
VAGUE = {"several", "a few", "few", "many", "some", "recent", "the past few", "the last few"}
UNITS = {
    "second": "S", "minute": "M", "hour": "H", "day": "D", "week": "W", "month": "M",
    "year": "Y", "decade": "DE", "century": "CE", "quarter": "Q",
}  # fmt: skip
PARTS = {"morning": "TMO", "afternoon": "TAF", "evening": "TEV", "night": "TNI"}
SEASONS = {"spring": "SP", "summer": "SU", "autumn": "FA", "fall": "FA", "winter": "WI"}
_SEASON_START = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}
ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4}

_MONTH_NAMES = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?)"
)
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?:1[6-9]\d\d|20\d\d)"
_SPOKEN_DECADE = r"(?:ten|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)"
_SPOKEN_UNIT = r"(?:one|two|three|four|five|six|seven|eight|nine)"
# A year in digits or, as broadcast transcripts write it, in words ("nineteen ninety-four").
_ANY_YEAR = rf"(?:{_YEAR}|[Nn]ineteen\s+{_SPOKEN_DECADE}(?:[- ]{_SPOKEN_UNIT})?)"
_NUMWORD = (
    r"(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[- ](?:one|two|three|"
    r"four|five|six|seven|eight|nine))?|one|two|three|four|five|six|seven|eight|nine|ten|"
    r"eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|an?)"
)
_NUM = rf"(?:\d{{1,3}}(?:\.\d+)?|{_NUMWORD})"
_QUANT = rf"(?:{_NUM}|several|a few|few|many|some|a couple of|a couple)"
_SPAN_AFTER = re.compile(r"\s+(?:later|earlier|ago|before|after|longer|or|and|to|of|in)\b")
_RATE = re.compile(r"\d[\d,.]*(?:\s+[a-z]+){0,2}\s*$|\bper\s*$", re.IGNORECASE)
_UNIT = r"(?:second|minute|hour|day|week|month|quarter|year|decade|centur(?:y|ie))"
_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_PART = r"(?:morning|afternoon|evening|night)"
_MOD = r"(?:(?:early|late|mid|the (?:beginning|start|end|middle) of)[- ]?)"
_FUTURE = re.compile(
    r"\b(?:will|won't|'ll|shall|would(?! have)|"
    r"(?:is|are|was|were) (?:due|set|scheduled|expected|going) to|"
    r"(?:plans?|planned|planning|intends?) to|deadline|expires?|until|is to|are to|next|"
    r"set to|as (?:soon|early) as|no (?:sooner|earlier) than)\b",
    re.IGNORECASE,
)
# A date a reporting verb was said on ("said Monday that it intends to …") is past whatever
# tense the reported clause takes; so is one after "since", "ended" ("the year ended Jan. 31").
_PAST_BEFORE = re.compile(
    r"(?i)\b(?:said|announced|reported|told|added|predicted|disclosed|confirmed|declared|"
    r"since|ended|dating (?:back )?to)\s+(?:on\s+|in\s+)?$"
)
# The past perfect puts a plan in the past ("had been scheduled to expire at midnight
# Friday", "until Thursday, they had not called him a suspect"); "will" overrides it.
_PAST_PERFECT = re.compile(r"(?i)\bhad\b(?!\s+to\b)")
_WILL = re.compile(r"(?i)\b(?:will|won't|'ll|shall|next)\b")
# A sentence ends at . ! ? ; (and closing quotes) and a space, but not after a.m., p.m. or a title.
_SENTENCE_END = re.compile(
    r"""(?<!\b[ap]\.m)(?<!\bMr)(?<!\bMrs)(?<!\bMs)(?<!\bDr)[.!?;]['"”’`]*\s"""
)


@dataclass(slots=True)
class _Ctx:
    """What a resolver needs: the anchor date, the last day, quarter and year the text named
    (a bare year names no day), the text and the match's span."""

    anchor: dt.date | None
    ref: dt.date | None
    quarter: str
    year: int | None
    text: str
    start: int
    end: int


Resolver = Callable[[re.Match[str], _Ctx], tuple[str, str] | None]
_RULES: list[tuple[re.Pattern[str], Resolver]] = []
_NEEDS: list[tuple[str, ...]] = []


def _rule(
    pattern: str, flags: int = 0, needs: tuple[str, ...] = ()
) -> Callable[[Resolver], Resolver]:
    """Register a pattern with the function that resolves its matches. `needs`: words one
    of which any match contains (lower case); a text without them skips the pattern, which
    saves most of the regex time on a typical article."""

    def wrap(fn: Resolver) -> Resolver:
        _RULES.append((re.compile(pattern, flags), fn))
        _NEEDS.append(needs)
        return fn

    return wrap


def _num(word: str) -> float | None:
    """'24' -> 24, 'twenty-four' -> 24, 'a' -> 1; None for vague quantities."""
    w = word.lower().strip()
    if w in VAGUE:
        return None
    if w.startswith("a couple"):
        return 2.0
    try:
        return float(w)
    except ValueError:
        pass
    total = 0.0
    for part in re.split(r"[- ]", w):
        if part not in NUMBERS:
            return None
        total += NUMBERS[part]
    return total


def _mkey(word: str) -> str:
    w = word.lower().rstrip(".")
    return w if w in MONTHS else w[:3]


def _iso(d: dt.date) -> str:
    return d.isoformat()


def _week(d: dt.date) -> str:
    y, w, _ = d.isocalendar()
    return f"{y}-W{w:02d}"


def _add_months(d: dt.date, n: int) -> dt.date:
    m = d.month - 1 + n
    return dt.date(d.year + m // 12, m % 12 + 1, 1)


def _quarter(d: dt.date) -> str:
    return f"{d.year}-Q{(d.month - 1) // 3 + 1}"


def _future(ctx: _Ctx) -> bool:
    """Whether the sentence around a match speaks of the future ("by" right before the date
    is a deadline), unless a past reporting verb or "since" governs the date."""
    before = ctx.text[max(0, ctx.start - 200) : ctx.start]
    if _PAST_BEFORE.search(before):
        return False
    left = _SENTENCE_END.split(before)[-1]
    right = _SENTENCE_END.split(ctx.text[ctx.start : ctx.end + 30])[0]
    sentence = left + " " + right
    if _PAST_PERFECT.search(left[-60:] + " " + right) and not _WILL.search(sentence):
        return False  # "had been due to expire Friday", "had filed by Wednesday": past
    if re.search(r"(?i)\bby\s+(?:the\s+)?$", before):
        return True
    return bool(_FUTURE.search(sentence))


def _tense(ctx: _Ctx) -> int:
    """-1 when a past cue governs the date ("said Monday", "since", "the year ended"), +1 when
    the sentence speaks of the future, else 0."""
    if _PAST_BEFORE.search(ctx.text[max(0, ctx.start - 50) : ctx.start]):
        return -1
    return 1 if _future(ctx) else 0


def _guess_year(month: int, day: int, anchor: dt.date | None, tense: int = 0) -> int | None:
    """A year-less date is the nearest one to the anchor (news rarely looks > 6 months ahead),
    the coming one when the sentence speaks of the future, a past one after a past cue."""
    if anchor is None:
        return None
    days = []
    for year in (anchor.year - 1, anchor.year, anchor.year + 1):
        try:
            days.append(dt.date(year, month, day))
        except ValueError:
            continue
    return _nearest(days, anchor, tense).year if days else None


def _nearest(days: list[dt.date], anchor: dt.date, tense: int) -> dt.date:
    """The day nearest the anchor, a day on the wrong side counting double (news looks back
    unless the tense is future); after a past cue only days up to the anchor."""
    if tense < 0:
        days = [d for d in days if d <= anchor] or days
    return min(
        days, key=lambda d: abs((d - anchor).days) * (1 if (d > anchor) == (tense > 0) else 2)
    )


def _date(year: int | None, month: int, day: int) -> str | None:
    try:
        return _iso(dt.date(year, month, day)) if year else f"XXXX-{month:02d}-{day:02d}"
    except ValueError:
        return None


@_rule(r"\b(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?\b", needs=("-",))
def _iso_date(m: re.Match[str], ctx: _Ctx) -> tuple[str, str] | None:
    value = _date(int(m[1]), int(m[2]), int(m[3]))
    if value and m[4]:
        return f"{value}T{m[4]}:{m[5]}", "time"
    return (value, "date") if value else None


@_rule(r"(?<![\d/])(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})(?![\d/])", needs=("/",))
def _slash_date(m: re.Match[str], ctx: _Ctx) -> tuple[str, str] | None:
    """12/08/2021: day-first unless impossible; if both readings work, the one nearer
    the anchor wins (so US-dated copy is read the US way when it fits the news)."""
    a, b, y = int(m[1]), int(m[2]), int(m[3])
    year = y if y > 99 else (2000 + y if y < 50 else 1900 + y)
    readings = [_date(year, b, a), _date(year, a, b)]
    valid = [r for r in readings if r]
    if not valid:
        return None
    if len(valid) == 2 and ctx.anchor:
        valid.sort(key=lambda v: abs((dt.date.fromisoformat(v) - ctx.anchor).days))  # type: ignore[operator]
    return valid[0], "date"


@_rule(rf"\b(?:{_WEEKDAY},?\s+)?({_DAY})\s+(?:of\s+)?({_MONTH_NAMES})(?:,?\s+({_YEAR}))?\b")
def _day_month(m: re.Match[str], ctx: _Ctx) -> tuple[str, str] | None:
    day = int(re.sub(r"\D", "", m[1]))
    month = MONTHS[_mkey(m[2])]
    year = int(m[3]) if m[3] else _guess_year(month, day, ctx.anchor, _tense(ctx))
    value = _date(year, month, day)
    return (value, "date") if value else None


@_rule(rf"\b(?:{_WEEKDAY},?\s+)?({_MONTH_NAMES})\s+({_DAY})(?:,?\s+({_YEAR}))?(?![\d,.]\d)")
def _month_day(m: re.Match[str], ctx: _Ctx) -> tuple[str, str] | None:
    day = int(re.sub(r"\D", "", m[2]))
    month = MONTHS[_mkey(m[1])]
    year = int(m[3]) if m[3] else _guess_year(month, day, ctx.anchor, _tense(ctx))
    value = _date(year, month, day)
    return (value, "date") if value else None


@_rule(rf"\b{_MOD}?({_MONTH_NAMES}),?\s+(?:of\s+)?({_ANY_YEAR})\b")
def _month_year(m: re.Match[str], ctx: _Ctx) -> tuple[str, str] | None:
    return f"{_year_of(m[2])}-{MONTHS[_mkey(m[1])]:02d}", "date"


@_rule(
    rf"\b(?:[Tt]he\s+)?(?:(?:early|late|mid)[- ]?)?([Ss]pring|[Ss]ummer|[Aa]utumn|[Ff]all|"
    rf"[Ww]inter)\s+(?:of\s+)?({_ANY_YEAR})\b",
    needs=("spring", "summer", "autumn", "fall", "winter"),
)
def _season_year(m: re.Match[str], ctx: _Ctx) -> tuple[str, str] | None:
    """ "the winter of 1994", "Summer 1998": that season of that year ("prices fall 1998
    levels" is none: a lower-case season needs "the" or "of")."""
    if m[1].islower() and not re.match(r"(?i)the|early|late|mid", m[0]) and " of " not in m[0]:
        return None
    return f"{_year_of(m[2])}-{SEASONS[m[1].lower()]}", "date"


def _year_of(text: str) -> int:
    """'1994' -> 1994, 'nineteen ninety-four' -> 1994."""
    if text.isdigit():
        return int(text)
    return 1900 + int(sum(NUMBERS[w] for w in re.split(r"[- ]+", text.lower())[1:]))


_MONTH_CUES = {
    "in", "of", "by", "since", "until", "from", "to", "through", "during", "before", "after",
    "for", "last", "next", "this", "early", "late", "mid", "end", "and", "the",
}  # fmt: skip


@_rule(rf"\b(?:(?:last|next|this|Last|Next|This)\s+)?{_MOD}?({_MONTH_NAMES})(?!\w)(?!\s+\d)")
def _bare_month(m: re.Match[str], ctx: _Ctx) -> tuple[str, str] | None:
    """A month without day; "May"/"March" need a cue word before them (they are verbs too)."""
    if len(m[1]) <= 4 and not m[1].endswith(".") and m[1] not in ("May", "June", "July"):
        return None  # "Jan", "Dec" alone are names more often than months ("Jan Egeland")
    if m[1] in ("May", "March"):
        words = re.findall(r"[A-Za-z]+", ctx.text[max(0, ctx.start - 12) : ctx.start])
        if m[0] == m[1] and (not words or words[-1].lower() not in _MONTH_CUES):
            return None
    month = MONTHS[_mkey(m[1])]
    if ctx.anchor is None:
        return f"XXXX-{month:02d}", "date"
    first = m[0].split()[0].lower()
    year = ctx.anchor.year
    if first not in ("last", "next", "this"):
        # the coming occurrence if at most 3 months ahead (8 in future tense), else the past one
        ahead = (month - ctx.anchor.month) % 12
        tense = _tense(ctx)
        if ahead and tense >= 0 and (ahead <= 3 or (ahead <= 8 and tense > 0)):
            year += 1 if month < ctx.anchor.month else 0
        else:
            year -= 1 if month > ctx.anchor.month else 0
    if first == "next":
        year += 1 if month <= ctx.anchor.month else 0
    elif first == "last":
        year -= 1 if month >= ctx.anchor.month else 0
    return f"{year}-{month:02d}", "date"


@_rule(
    rf"\b(?:(last|next|this|coming|past|Last|Next|This|the previous|the following)\s+)?"
    rf"({_WEEKDAY})\b(?:\s+({_PART}))?"
)
def _weekday(m: re.Match[str], ctx: _Ctx) -> tuple[str, str] | None:
    """The weekday of the past week, or of the coming one in future tense or after "next";
    "the previous Friday" counts back from the last date the text named. "Thursday night"
    is that day, written `2021-08-12|TNI` for TimeML (see `find_times`)."""
    if ctx.anchor is None:
        return None
    target = WEEKDAYS.index(m[2].lower())
    mod = (m[1] or "").lower()
    base = (ctx.ref or ctx.anchor) if mod.startswith("the ") else ctx.anchor
    shift = (base.weekday() - target) % 7
    if mod == "the previous":
        shift = shift or 7
    elif mod in ("next", "coming", "the following") or (mod != "last" and _future(ctx)):
        shift = -((target - base.weekday()) % 7 or (7 if mod != "" and mod != "this" else 0))
    elif mod == "last" and shift == 0:
        shift = 7
    day = _iso(base - dt.timedelta(days=shift))
    return (f"{day}|{PARTS[m[3].lower()]}", "time") if m[3] else (day, "date")


@_rule(
    r"\b(?:(late|early)\s+)?(today|tonight|tomorrow|yesterday|overnight|"
    r"(?:this|last|tomorrow|yesterday) (?:morning|afternoon|evening|night))\b",
    re.IGNORECASE,
    needs=(
        "today",
        "tonight",
        "tomorrow",
        "yesterday",
        "overnight",
        "morning",
        "afternoon",
        "evening",
        "night",
    ),
)
def _deictic(m: re.Match[str], ctx: _Ctx) -> tuple[str, str] | None:
    if ctx.anchor is None:
        return None
    words = m[2].lower().split()
    shift = {"tomorrow": 1, "yesterday": -1, "last": -1, "overnight": -1}.get(words[0], 0)
    part = PARTS.get(words[-1], "TNI" if words[0] in ("tonight", "overnight") else "")
    if words[0] == "last" and words[-1] != "night":
        shift = 0 if words[-1] != "evening" else -1
    day = _iso(ctx.anchor + dt.timedelta(days=shift))
    return (f"{day}{part}", "time") if part else (day, "date")


@_rule(
    r"\b(?:[Tt]he\s+|[Mm]id[- ]?)(morning|afternoon|evening)\b(?!\s+(?:of|after|before)\b)"
    r"(?:\s+(yesterday|today|tomorrow))?",
    needs=("morning", "afternoon", "evening"),
)
def _part_of_day(m: re.Match[str], ctx: _Ctx) -> tuple[str, str] | None:
    """ "by mid-afternoon", "in the morning", "mid-afternoon yesterday": that part of the day
    the text last named (of the publication day, or of the day "yesterday" names)."""
    shift = {"yesterday": -1, "tomorrow": 1}.get((m[2] or "").lower(), 0)
    base = ctx.anchor if m[2] else (ctx.ref or ctx.anchor)
    if base is None:
        return None
    return f"{_iso(base + dt.timedelta(days=shift))}{PARTS[m[1]]}", "time"


@_rule(
    r"\b(now|right now|currently|at present|at the moment)\b",
    re.IGNORECASE,
    needs=("now", "current", "present", "moment"),
)
def _present(m: re.Match[str], ctx: _Ctx) -> tuple[str, str] | None:
    """The present; not the discourse marker "Now, …" nor "for now" (a hedge)."""
    if m[0] == "Now" and ctx.text.startswith(",", ctx.end):
        return None
    if m[0].lower() == "now" and re.search(
        r"(?i)\bfor\s+$", ctx.text[max(0, ctx.start - 5) : ctx.start]
    ):
        return None
    return "PRESENT_REF", "date"


@_rule(
    r"\b(then\s+)?current\b(?!\s+(?:fiscal|calendar|year|quarter|period|month|week|account|"
    r"affairs|events)\b)(?=\s+[a-z])",
    re.IGNORECASE,
    needs=("current",),
)
def _current(m: re.Match[str], ctx: _Ctx) -> tuple[str, str] | None:
    """ "current market conditions": TimeML marks the adjective as the present."""
    return ("PAST_REF" if m[1] else "PRESENT_REF"), "date"


@_rule(
    r"\b(recently|formerly|the past|in the future|the (?:near |distant )?future|"
    r"the (?:near|short) term|(?:the )?coming (?:days|weeks|months|quarters|years)|"
    r"future quarters|these days|nowadays)\b"
    r"(?!\s+(?:few\s+)?(?:\w+\s+)?(?:days?|weeks?|months?|quarters?|years?|decades?|hours?|"
    r"summers?|winters?)\b)",
    re.IGNORECASE,
    needs=("recent", "formerly", "past", "future", "term", "coming", "these days", "nowadays"),
)
def _vague_ref(m: re.Match[str], ctx: _Ctx) -> tuple[str, str] | None:
    word = m[1].lower()
    if any(w in word for w in ("future", "term", "coming")):
        return "FUTURE_REF", "date"
    if word in ("these days", "nowadays"):
        return "PRESENT_REF", "date"
    return "PAST_REF", "date"


@_rule(
    r"\b(?:(earlier|later|early|late)\s+)?(this past|this|last|next|the past|the coming|"
    r"the previous|the following|past|coming|previous)\s+(week|weekend|month|year|quarter|decade|"
    r"spring|summer|autumn|fall|winter|century)\b",
    re.IGNORECASE,
    needs=("this", "last", "next", "past", "coming", "previous", "following"),
)
def _relative_period(m: re.Match[str], ctx: _Ctx) -> tuple[str, str] | None:
    which, unit = m[2].lower(), m[3].lower()
    if which in ("this past", "the past", "past") and (unit in SEASONS or unit == "weekend"):
        # the latest one before the anchor: "this past spring" in October is this year's
        if ctx.anchor is None:
            return None
        if unit == "weekend":
            return _shift(ctx.anchor, 0 if ctx.anchor.weekday() >= 5 else -1, unit), "date"
        started = ctx.anchor.month >= _SEASON_START[unit]
        return _shift(ctx.anchor, 0 if started else -1, unit), "date"
    if which == "this past":
        which = "last"
    shift = {"this": 0, "last": -1, "next": 1, "past": -1, "previous": -1}.get(which.split()[-1], 1)
    if which.startswith("the ") and which.split()[-1] in ("past", "coming") and unit in UNITS:
        # "the past year" = the last 12 months, "the past decade" P10Y; "the past summer" a date
        return _duration_value(1, unit), "duration"
    if ctx.anchor is None:
        return None
    # "the following year", "the previous month": counted from the last date the text named
    if unit == "year" and which in ("the previous", "the following") and ctx.year:
        return str(ctx.year + shift), "date"
    base = (ctx.ref or ctx.anchor) if which in ("the previous", "the following") else ctx.anchor
    return _shift(base, shift, unit), "date"


def _shift(base: dt.date, n: int, unit: str) -> str:
    """Value of the `unit` that lies `n` units away from `base`, at that unit's grain."""
    if unit == "day":
        return _iso(base + dt.timedelta(days=n))
    if unit in ("week", "weekend"):
        return _week(base + dt.timedelta(weeks=n)) + ("-WE" if unit == "weekend" else "")
    if unit == "month":
        return _add_months(base, n).strftime("%Y-%m")
    if unit == "quarter":
        return _quarter(_add_months(base, 3 * n))
    if unit in SEASONS:
        return f"{base.year + n}-{SEASONS[unit]}"
    if unit == "decade":
        return str(base.year // 10 + n)
    if unit == "century":
        return str(base.year // 100 + n)
    return str(base.year + n)


@_rule(
    rf"\b(?:(?:about|almost|nearly|some|more than|over|just|only)\s+)?({_QUANT})[- ]({_UNIT})s?"
    r"(?:\s+or\s+so)?\s+(ago|earlier|later|from now|hence|previously)\b",
    re.IGNORECASE,
    needs=("ago", "earlier", "later", "from now", "hence", "previously"),
)
def _offset(m: re.Match[str], ctx: _Ctx) -> tuple[str, str] | None:
    n = _num(m[1])
    unit = m[2].lower().replace("centurie", "century")
    direction = -1 if m[3].lower() in ("ago", "earlier", "before", "previously") else 1
    from_anchor = m[3].lower() in ("ago", "from now", "hence")
    base = ctx.anchor if from_anchor else (ctx.ref or ctx.anchor)
    if base is None:
        return None
    if n is None or n != int(n):
        return ("PAST_REF" if direction < 0 else "FUTURE_REF"), "date"
    if unit in ("hour", "minute", "second"):
        return _iso(base), "date"
    if unit == "year" and ctx.quarter:  # "a year ago" in earnings copy: that quarter
        return f"{int(ctx.quarter[:4]) + direction * int(n)}{ctx.quarter[4:]}", "date"
    return _shift(base, direction * int(n), unit), "date"


@_rule(
    r"\b(the )?(day|night|week|month|year) (before|after|earlier|later)\b|"
    r"\b(the )?(next|following|previous|same|preceding) (day|morning|evening|night|week|"
    r"month|year)\b",
    re.IGNORECASE,
    needs=(
        "before",
        "after",
        "earlier",
        "later",
        "next",
        "following",
        "previous",
        "same",
        "preceding",
    ),
)
def _anaphoric(m: re.Match[str], ctx: _Ctx) -> tuple[str, str] | None:
    """ "the day before", "the following week": counted from the last date named. In
    apposition to a date ("Nov. 3, the day before the warrant was issued") it is that date."""
    base = ctx.ref or ctx.anchor
    if base is None:
        return None
    if m[2]:
        unit, word = m[2].lower(), m[3].lower()
        n = -1 if word in ("before", "earlier") else 1
        apposition = re.search(r"\d,\s*$", ctx.text[max(0, ctx.start - 4) : ctx.start])
        if apposition and ctx.ref and re.match(r"\s+[a-z]", ctx.text[ctx.end :]):
            n = 0
    else:
        word, unit = m[5].lower(), m[6].lower()
        n = {"next": 1, "following": 1, "previous": -1, "preceding": -1, "same": 0}[word]
    if unit in PARTS:
        return f"{_iso(base + dt.timedelta(days=n))}{PARTS[unit]}", "time"
    if unit == "night":
        return f"{_iso(base + dt.timedelta(days=n))}TNI", "time"
    return _shift(base, n, unit), "date"


@_rule(
    rf"\b(?:between\s+)?(?:(?:about|almost|nearly|some|more than|less than|over|under|up to|"
    rf"at least|another|the (?:past|last|next|first|final|previous|coming|following))\s+)?"
    rf"(?:the\s+)?({_QUANT})(?:\s+(?:to|or|and)\s+({_NUM})|[-\u2013]({_NUM}))?[- ]"
    rf"(?:(and a half|\d/\d)\s+)?(?:(?:more|additional|extra|further)\s+)?"
    rf"({_UNIT})s?\b(\s+and a half)?(?!-old|[- ]old|-ago|-earlier)"
    r"(?!\s+(?:ago|earlier|later|from now|hence|previously))",
    re.IGNORECASE,
)
def _duration(m: re.Match[str], ctx: _Ctx) -> tuple[str, str] | None:
    """'several years' -> PXY; '2 1/2 years' -> P2Y6M; a range keeps both bounds: 'between
    12 and 18 months' -> 'P12M/P18M' (`find_times` splits it into `value` and `high`)."""
    unit = m[5].lower().replace("centurie", "century")
    if unit == "quarter" and (m[1].lower() == "a" or re.match(r"\s+of\b", ctx.text[ctx.end :])):
        return None  # "a quarter" is mostly a fraction ("a quarter-point cut")
    after = ctx.text[ctx.end :]
    ordinal = re.match(r"\s+[a-z]", after) and not _SPAN_AFTER.match(after)
    if m[0].lower() in ("a second", "one second") and ordinal:
        return None  # "a second group": an ordinal, not a span of time
    if (
        m[1].lower() in ("a", "an")
        and not m[2]
        and _RATE.search(ctx.text[max(0, ctx.start - 30) : ctx.start])
    ):
        return None  # "$1.76 a year", "700 seats a week": a rate, not a span of time
    low = _num(m[1])
    half = 0.5 if (m[4] or m[6]) else 0.0
    value = _duration_value(None if low is None else low + half, unit)
    high = m[2] or m[3]
    if high and _num(high) is not None:
        return f"{value}/{_duration_value(_num(high), unit)}", "duration"
    return value, "duration"


def _duration_value(n: float | None, unit: str) -> str:
    """TimeML duration of `n` units ("P3D", "PT1M30S", "PXY" when vague)."""
    code = UNITS[unit]
    prefix = "PT" if unit in ("hour", "minute", "second") else "P"
    if n is None:
        return f"{prefix}X{code}"
    if n != int(n):
        return _fraction_duration(n, unit)
    scale = {"decade": (10, "Y"), "century": (100, "Y"), "quarter": (3, "M")}  # as TimeML writes
    factor, code = scale.get(unit, (1, code))
    return f"{prefix}{int(n) * factor}{code}"


def _fraction_duration(n: float, unit: str) -> str:
    """2.5 years -> P2Y6M, a minute and a half -> PT1M30S: whole units, then the finer one."""
    finer = {"year": ("M", 12), "month": ("D", 30), "week": ("D", 7), "day": ("H", 24),
             "hour": ("M", 60), "minute": ("S", 60)}  # fmt: skip
    code, factor = finer.get(unit, (UNITS[unit], 1))
    whole, part = int(n), round((n - int(n)) * factor)
    prefix = "PT" if unit in ("hour", "minute", "second") else "P"
    if unit == "day":
        return f"P{whole}DT{part}H" if whole else f"PT{part}H"
    return f"{prefix}{whole}{UNITS[unit]}{part}{code}" if whole else f"{prefix}{part}{code}"


@_rule(
    r"\b(?:the\s+)?(?:(\d{4})\s+|(?:(last|this|next) year's\s+))?(?:fiscal\s+)?"
    r"(?:(first|second|third|fourth)[- ]quarter|"
    r"(first|second)[- ]half)(?:\s+of\s+(?:fiscal\s+)?(\d{4}))?\b",
    re.IGNORECASE,
    needs=("quarter", "half"),
)
def _named_quarter(m: re.Match[str], ctx: _Ctx) -> tuple[str, str] | None:
    given = m[1] or m[5]
    if m[2] and ctx.anchor:
        given = str(ctx.anchor.year + {"last": -1, "this": 0, "next": 1}[m[2].lower()])
    year = given or (str(ctx.anchor.year) if ctx.anchor else "XXXX")
    if m[3]:
        quarter = ORDINALS[m[3].lower()]
        if not given and ctx.anchor and 3 * quarter - 2 > ctx.anchor.month:
            year = str(ctx.anchor.year - 1)  # a quarter not yet begun is last year's
        return f"{year}-Q{quarter}", "date"
    return f"{year}-H{ORDINALS[m[4].lower()]}", "date"


@_rule(
    r"\bthe\s+(?:(?:latest|current|most recent)\s+(?:quarter|period)|quarter)\b|"
    r"\b(?:the\s+)?(?:year-ago|year-earlier|year earlier)(?:\s+(quarter|period))?\b",
    re.IGNORECASE,
    needs=("quarter", "year-ago", "year-earlier", "year earlier", "period"),
)
def _context_quarter(m: re.Match[str], ctx: _Ctx) -> tuple[str, str] | None:
    """Earnings-report quarters: "the quarter" is the one last named (else the last one
    completed); "the year-ago quarter" is that quarter a year before."""
    latest = re.search(r"latest|most recent|current", m[0], re.IGNORECASE)
    quarter = "" if latest else ctx.quarter
    if not quarter and ctx.anchor:
        current = "current" in m[0].lower()
        quarter = _quarter(_add_months(ctx.anchor, 0 if current else -3))
    if not quarter:
        return None
    if "year" in m[0].lower():
        return f"{int(quarter[:4]) - 1}{quarter[4:]}", "date"
    return quarter, "date"


@_rule(
    rf"\bthe\s+(?:comparable\s+|same\s+)?({_YEAR})\s+(?:quarter|period)\b",
    re.IGNORECASE,
    needs=("quarter", "period"),
)
def _year_quarter(m: re.Match[str], ctx: _Ctx) -> tuple[str, str] | None:
    """ "the 1988 period" in earnings copy: the quarter last named, in that year."""
    return (f"{m[1]}{ctx.quarter[4:]}" if ctx.quarter else m[1]), "date"


@_rule(
    rf"\b(?:nineteen\s+({_SPOKEN_DECADE})(?:[- ]({_SPOKEN_UNIT}))?|"
    rf"(?:the\s+year\s+)?two\s+thousand(?:\s+(?:and\s+)?({_SPOKEN_UNIT}|ten))?)\b",
    re.IGNORECASE,
    needs=("nineteen", "thousand"),
)
def _spoken_year(m: re.Match[str], ctx: _Ctx) -> tuple[str, str] | None:
    """Broadcast transcripts spell years out: "nineteen ninety-six" -> 1996."""
    if m[1]:
        return str(1900 + NUMBERS[m[1].lower()] + (NUMBERS[m[2].lower()] if m[2] else 0)), "date"
    if not m[0].lower().startswith("the") and not m[3]:
        return None  # "two thousand" alone is usually a count
    return str(2000 + (NUMBERS[m[3].lower()] if m[3] else 0)), "date"


@_rule(r"\brecent\s+(years|months|weeks|days)\b", re.IGNORECASE, needs=("recent",))
def _recent(m: re.Match[str], ctx: _Ctx) -> tuple[str, str] | None:
    return f"PX{UNITS[m[1].lower()[:-1]]}", "duration"


_YEAR_CUES = _MONTH_CUES | {"the", "between", "at", "around", "year", "fiscal", "calendar"}


@_rule(rf"(?<![$£€\d.,])\b(?:{_MOD}|(?:fiscal|calendar|FY)\s*)?({_YEAR})\b(?!%|[.,]?\d)")
def _year(m: re.Match[str], ctx: _Ctx) -> tuple[str, str] | None:
    """A four-digit year; before a plural noun ("2000 troops") only after a cue word."""
    if re.match(r"\s*(?:[a-z]+s|per|people|children|men|women)\b", ctx.text[ctx.end :]):
        words = re.findall(r"[A-Za-z]+", ctx.text[max(0, ctx.start - 12) : ctx.start])
        if m[0] == m[1] and (not words or words[-1].lower() not in _YEAR_CUES):
            return None
    return m[1], "date"


@_rule(
    r"\b(?:the\s+)?(?:(?:around|at|by)\s+)?(?:year[- ]end|year's end|end of the year|"
    r"(?:current|full|current fiscal|calendar)\s+year)\b",
    re.IGNORECASE,
    needs=("year",),
)
def _this_year(m: re.Match[str], ctx: _Ctx) -> tuple[str, str] | None:
    return (str(ctx.anchor.year), "date") if ctx.anchor else None


@_rule(
    r"\b(?:(?:earlier|later) in )?the\s+(?:fiscal\s+)?year\b(?![-'’]|\s+(?:two|nineteen)\b)"
    r"(?=(\s+end(?:ed|ing)\b)?)",
    re.IGNORECASE,
    needs=("the year", "fiscal year"),
)
def _the_year(m: re.Match[str], ctx: _Ctx) -> tuple[str, str] | None:
    """ "for the year", "earlier in the year": the anchor's year; "the year ended June 30" is
    a twelve-month period (the date that follows is its end)."""
    if m[1]:
        return "P1Y", "duration"
    return (str(ctx.anchor.year), "date") if ctx.anchor else None


@_rule(
    r"(?:(?<=\bfor )|(?<=\bFor )|(?<=\bin )|(?<=\bwithin )|(?<=\bover ))"
    r"(minutes|hours|days|weeks|months|years|decades)\b(?!\s+(?:of|ago|later|earlier|before|after)\b)",
    needs=("minutes", "hours", "days", "weeks", "months", "years", "decades"),
)
def _vague_span(m: re.Match[str], ctx: _Ctx) -> tuple[str, str] | None:
    """ "for weeks", "within months", "in years": a span of unknown length (PXW …)."""
    return _duration_value(None, m[1][:-1]), "duration"


@_rule(r"\b(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)[- ]century\b", re.IGNORECASE, needs=("century",))
def _century(m: re.Match[str], ctx: _Ctx) -> tuple[str, str] | None:
    return f"{int(m[1]) - 1:02d}", "date"


@_rule(
    r"\b(?:the|nineteen)[\s-]+(twenties|thirties|forties|fifties|sixties|seventies|eighties|"
    r"nineties)\b",
    re.IGNORECASE,
    needs=("ties",),
)
def _spoken_decade(m: re.Match[str], ctx: _Ctx) -> tuple[str, str] | None:
    return f"19{NUMBERS[m[1].lower()[:-3] + 'y'] // 10}", "date"


@_rule(rf"\b({_MONTH_NAMES})\s+(last|this|next)\s+year\b", needs=("year",))
def _month_rel_year(m: re.Match[str], ctx: _Ctx) -> tuple[str, str] | None:
    if ctx.anchor is None:
        return None
    year = ctx.anchor.year + {"last": -1, "this": 0, "next": 1}[m[2]]
    return f"{year}-{MONTHS[_mkey(m[1])]:02d}", "date"


@_rule(
    r"\b(?:the\s+)?(?:(early|late|mid)[- ])?(1[6-9]\d0|20[0-9]0)'?s\b|\bthe\s+'(\d0)s\b",
    needs=("0s", "0's"),
)
def _decade(m: re.Match[str], ctx: _Ctx) -> tuple[str, str] | None:
    if m[2]:
        return m[2][:3], "date"
    return f"19{m[3][0]}", "date"


@_rule(
    r"\b(\d{1,2})(?::(\d{2}))?\s*(a\.m\.|p\.m\.|am\b|pm\b)|(?<![:\d])\b(\d{1,2}):(\d{2})\b(?!:\d)"
    r"|\b(noon|midday|midnight)\b",
    re.IGNORECASE,
    needs=(":", ".m.", " am", " pm", "noon", "midday", "midnight"),
)
def _clock(m: re.Match[str], ctx: _Ctx) -> tuple[str, str] | None:
    base = ctx.ref or ctx.anchor
    day = _iso(base) if base else "XXXX-XX-XX"
    if m[6]:
        return f"{day}T{'24:00' if m[6].lower() == 'midnight' else '12:00'}", "time"
    hour = int(m[1] or m[4])
    minute = int(m[2] or m[5] or 0)
    if m[3] and m[3].lower().startswith("p") and hour < 12:
        hour += 12
    if m[3] and m[3].lower().startswith("a") and hour == 12:
        hour = 0
    if hour > 24 or minute > 59:
        return None
    return f"{day}T{hour:02d}:{minute:02d}", "time"


@_rule(
    r"\b(?:every|each|per|a)\s+(day|week|month|year|quarter|morning|night|evening)\b|"
    r"\b(weekly|monthly|yearly|nightly|hourly)\b",
    re.IGNORECASE,
    needs=("every", "each", "per ", "weekly", "monthly", "yearly", "nightly", "hourly", " a "),
)
def _set(m: re.Match[str], ctx: _Ctx) -> tuple[str, str] | None:
    if m[1]:
        word = m[1].lower()
        if ctx.text[ctx.start :].lower().startswith(("a year", "a day", "a week", "a month")):
            return None  # "a year" is a duration; left to that rule
        return (f"XXXX-XX-XX{PARTS[word]}" if word in PARTS else f"P1{UNITS[word]}"), "set"
    word = m[2].lower()
    code = {"weekly": "P1W", "monthly": "P1M", "yearly": "P1Y",
            "nightly": "XXXX-XX-XXTNI", "hourly": "PT1H"}[word]  # fmt: skip
    return code, "set"


@_rule(
    rf"\b(?:every|each)\s+(?:({_WEEKDAY})|({_MONTH_NAMES}))\b|"
    rf"\b({_WEEKDAY})(?:s\b|(?=\s+{_PART}s\b))(?:\s+({_PART})s\b)?",
    needs=("every", "each", "days", "nights", "mornings", "afternoons", "evenings"),
)
def _recurring(m: re.Match[str], ctx: _Ctx) -> tuple[str, str] | None:
    """ "each Thursday", "Tuesday nights", "every July": sets."""
    if m[2]:
        return f"XXXX-{MONTHS[_mkey(m[2])]:02d}", "set"
    day = WEEKDAYS.index((m[1] or m[3]).lower()) + 1
    return f"XXXX-WXX-{day}{PARTS[m[4]] if m[4] else ''}", "set"


@_rule(
    r"\b(?:the\s+)?(?:(?:past|last|next|coming)\s+)?weekend\b", re.IGNORECASE, needs=("weekend",)
)
def _weekend(m: re.Match[str], ctx: _Ctx) -> tuple[str, str] | None:
    if ctx.anchor is None:
        return None
    last = "next" not in m[0].lower() and "coming" not in m[0].lower() and not _future(ctx)
    base = ctx.anchor - dt.timedelta(days=7 if last and ctx.anchor.weekday() < 5 else 0)
    if not last:
        base = ctx.anchor + dt.timedelta(days=0 if ctx.anchor.weekday() < 5 else 7)
    return _week(base) + "-WE", "date"


@_rule(
    r"\b(?:[Tt]he|[Ii]nto|[Oo]ver)\s+(?:(?:early|late|mid)[- ]?)?(summer|spring|autumn|fall)\b"
    r"(?!\s+of\b)",
    needs=("summer", "spring", "autumn", "fall"),
)
def _the_season(m: re.Match[str], ctx: _Ctx) -> tuple[str, str] | None:
    """ "into the summer", "the early summer": that season of the anchor's year."""
    if ctx.anchor is None:
        return None
    return f"{ctx.anchor.year}-{SEASONS[m[1].lower()]}", "date"


@_rule(
    r"\b(?:(?:[Ee]arlier|[Ll]ater)\s+that\s+(day|morning|afternoon|evening|night|week|month|year)"
    r"|that\s+(year))\b",
    needs=("that",),
)
def _that_period(m: re.Match[str], ctx: _Ctx) -> tuple[str, str] | None:
    """ "later that year", "earlier that day": the period of the last date the text named."""
    unit = (m[1] or m[2]).lower()
    if unit == "year" and ctx.year:
        return str(ctx.year), "date"  # "In 1988, … imports that year"
    if ctx.ref is None:
        return None
    if unit in PARTS:
        return f"{_iso(ctx.ref)}{PARTS[unit]}", "time"
    return _shift(ctx.ref, 0, unit), "date"


def _easter(year: int) -> dt.date:
    """Western Easter Sunday (the anonymous Gregorian computus)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    j = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * j) // 451
    month, day = divmod(h + j - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    """The n-th given weekday of a month (n = -1: the last one)."""
    if n < 0:
        last = _add_months(dt.date(year, month, 1), 1) - dt.timedelta(days=1)
        return last - dt.timedelta(days=(last.weekday() - weekday) % 7)
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


# Holidays with a fixed or computable day (US federal ones, as news wires write them).
_HOLIDAYS: dict[str, Callable[[int], dt.date]] = {
    "christmas": lambda y: dt.date(y, 12, 25),
    "christmas day": lambda y: dt.date(y, 12, 25),
    "christmas eve": lambda y: dt.date(y, 12, 24),
    "new year's day": lambda y: dt.date(y, 1, 1),
    "new year's eve": lambda y: dt.date(y, 12, 31),
    "independence day": lambda y: dt.date(y, 7, 4),
    "halloween": lambda y: dt.date(y, 10, 31),
    "veterans day": lambda y: dt.date(y, 11, 11),
    "valentine's day": lambda y: dt.date(y, 2, 14),
    "easter": _easter,
    "easter sunday": _easter,
    "thanksgiving": lambda y: _nth_weekday(y, 11, 3, 4),
    "thanksgiving day": lambda y: _nth_weekday(y, 11, 3, 4),
    "labor day": lambda y: _nth_weekday(y, 9, 0, 1),
    "memorial day": lambda y: _nth_weekday(y, 5, 0, -1),
    "election day": lambda y: _nth_weekday(y, 11, 0, 1) + dt.timedelta(days=1),
}


@_rule(
    r"\b(Christmas(?: Day| Eve)?|New Year's (?:Day|Eve)|Independence Day|Halloween|"
    r"Veterans Day|Valentine's Day|Easter(?: Sunday)?|Thanksgiving(?: Day)?|Labor Day|"
    r"Memorial Day|Election Day)(?!['’]?\w)(?!\s+(?:week|weekend|season|holidays?|tree|trees|"
    r"card|cards|party|parties|shopping|sales?|dinner|break|recess|market)\b)",
    needs=("christmas", "new year", "day", "halloween", "easter", "thanksgiving"),
)
def _holiday(m: re.Match[str], ctx: _Ctx) -> tuple[str, str] | None:
    """A holiday is a day: the nearest one to the anchor (the coming one in future tense)."""
    if ctx.anchor is None:
        return None
    day = _HOLIDAYS[m[1].lower().replace("’", "'")]
    options = [day(ctx.anchor.year + k) for k in (-1, 0, 1)]
    return _iso(_nearest(options, ctx.anchor, _tense(ctx))), "date"


def _parse_anchor(anchor: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(anchor[:10]) if anchor else None
    except ValueError:
        return None


def _candidates(text: str) -> list[tuple[int, int, int, re.Match[str]]]:
    """All rule matches, longest first at each start; (start, end, rule index, match)."""
    found = []
    lower = text.lower()
    for i, (pattern, _) in enumerate(_RULES):
        if _NEEDS[i] and not any(word in lower for word in _NEEDS[i]):
            continue
        for m in pattern.finditer(text):
            if m.end() > m.start():
                found.append((m.start(), m.end(), i, m))
    found.sort(key=lambda c: (c[0], -(c[1] - c[0]), c[2]))
    return found


def _to_day(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value[:10]) if re.match(r"\d{4}-\d\d-\d\d", value) else None
    except ValueError:
        return None


_ANAPHORIC = (_offset, _anaphoric, _clock, _context_quarter, _year_quarter)


def find_times(text: str, anchor: str) -> list[TimeRef]:
    """Time expressions in `text` resolved against `anchor` (YYYY-MM-DD or "").
    `sentence` is left at -1 (see `times_for`)."""
    base = _parse_anchor(anchor)
    out: list[TimeRef] = []
    taken_until = -1
    ref: dt.date | None = None
    quarter = ""  # the last quarter named: earnings copy keeps referring to it
    year: int | None = None
    for start, end, i, m in _candidates(text):
        if start < taken_until:
            continue
        ctx = _Ctx(base, ref, quarter, year, text, start, end)
        result = _RULES[i][1](m, ctx)
        if result is None:
            continue
        value, kind = result
        value, _, high = value.partition("/")  # a range: "P12M/P18M"
        value, _, part = value.partition("|")  # a part of a day: "2021-08-12|TNI"
        if part:
            kind = "date"  # the calendar day for briefings; TimeML's form apart
        taken_until = end
        out.append(TimeRef(text=text[start:end], value=value, start=start, end=end,
                           sentence=-1, kind=kind, high=high,
                           timeml=f"{value}T{part.removeprefix('T')}" if part else ""))  # fmt: skip
        if kind in ("date", "time") and value[:1].isdigit() and _RULES[i][1] not in _ANAPHORIC:
            ref = _to_day(value) or _to_day(value[:7] + "-01") or ref
            year = int(value[:4]) if re.match(r"\d{4}\b", value) else year
            quarter = value if re.fullmatch(r"\d{4}-Q\d", value) else quarter
    return _second_days(text, _merge_clock_dates(text, out))


_CLOCK_GAP = re.compile(r"\s*(?:[A-Z]{2,4}T\s*|local time\s*)?(?:on\s+)?,?\s*")


def _merge_clock_dates(text: str, refs: list[TimeRef]) -> list[TimeRef]:
    """ "10 p.m. Wednesday", "5 p.m. EST Nov. 9": one time expression on that day."""
    out: list[TimeRef] = []
    for ref in refs:
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.kind == "time"
            and re.fullmatch(r".{10}T\d\d(?::\d\d)?", prev.value)
            and ref.kind == "date"
            and re.fullmatch(r"\d{4}-\d\d-\d\d", ref.value)
            and _CLOCK_GAP.fullmatch(text[prev.end : ref.start])
        ):
            prev.value = ref.value + prev.value[10:]
            prev.end, prev.text = ref.end, text[prev.start : ref.end]
            continue
        out.append(ref)
    return out


_SECOND_DAY = re.compile(
    r"\s*(?:and|or|to|through|-|\u2013)\s*([12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?\b"
    r"(?![\d,.:]\d|\s*(?:%|percent|per|[ap]\.?m\b))"
)


def _second_days(text: str, refs: list[TimeRef]) -> list[TimeRef]:
    """The second day of "April 24 and 25", "Nov. 5-6": that day of the month just named."""
    out: list[TimeRef] = []
    for i, ref in enumerate(refs):
        out.append(ref)
        m = _SECOND_DAY.match(text, ref.end)
        if not m or not re.search(r"[A-Za-z.]\s+\d{1,2}(?:st|nd|rd|th)?$", ref.text):
            continue
        day = _to_day(ref.value)
        following = refs[i + 1].start if i + 1 < len(refs) else len(text)
        if day is None or ref.kind != "date" or m.end() > following:
            continue
        value = _date(day.year, day.month, int(m[1]))
        if value:
            out.append(TimeRef(text=m[1], value=value, start=m.start(1), end=m.end(1),
                               sentence=-1, kind="date"))  # fmt: skip
    return out


def times_for(article: Article) -> list[TimeRef]:
    """The article's time expressions, anchored on its publication day, each with its role."""
    refs = find_times(article.text, article.day)
    anchor = _parse_anchor(article.day)
    for ref in refs:
        ref.sentence = article.sentence_at(ref.start)
        ref.role = role_of(article.text, ref, anchor)
    return refs


# What a date does in its sentence. A timeline dates what happened: a deadline or a plan
# ("to end the war by September 11", "talks will resume on Monday") had not happened when the
# story was written, and background ("since May", "began in 2019", "last year") is not
# the story's news.
_DEADLINE_BEFORE = re.compile(
    r"(?i)\b(?:by|until|till|before|no later than|deadline(?: of)?|due(?: on| by)?|"
    r"expires?(?: on| at)?|scheduled (?:for|on)|set for|planned for)\s+(?:the\s+)?$"
)
_BACKGROUND_BEFORE = re.compile(
    r"(?i)\b(?:since|began(?: in| on)?|started(?: in| on)?|begun(?: in)?|ever since|as early as|"
    r"dating back to|back in|as of)\s+(?:the\s+)?(?:late\s+|early\s+|mid-?)?$"
)
BACKGROUND_DAYS = 31  # a date this long before publication is background, not news


def role_of(text: str, ref: TimeRef, anchor: dt.date | None) -> str:
    """event | deadline | background, from the words before the date, the tense of its
    sentence and how far it lies from the publication day."""
    if ref.kind in ("duration", "set"):
        return "background"
    before = text[max(0, ref.start - 40) : ref.start]
    if _DEADLINE_BEFORE.search(before):
        return "deadline"
    if _BACKGROUND_BEFORE.search(before):
        return "background"
    day = _to_day(ref.value) or _period_end(ref.value)
    if anchor is None or day is None:
        return "event"
    if day > anchor:
        return "deadline"  # a plan or a deadline: it had not come when the story was written
    return "background" if (anchor - day).days > BACKGROUND_DAYS else "event"


def _period_end(value: str) -> dt.date | None:
    """The last day of a month or year value ("2021-05" -> 2021-05-31), for its distance."""
    try:
        if re.fullmatch(r"\d{4}-\d\d", value):
            return _add_months(dt.date(int(value[:4]), int(value[5:]), 1), 1) - dt.timedelta(1)
        if re.fullmatch(r"\d{4}", value):
            return dt.date(int(value), 12, 31)
    except ValueError:
        return None
    return None
