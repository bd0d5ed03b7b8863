"""Quantities: a number, what it counts, and how sure the writer is of it.

"nearly 3,000 US troops" -> value 3000, counts "troops", qualifier "nearly". Numbers that
are part of a date or time ("12 August", "in 2019") belong to `dates` and are skipped, as
are ordinals ("second largest"). `agree` compares two quantities of the same thing so the
fuse stage can call a conflict ("13 killed" vs "12 killed") or a match ("nearly 3,000"
vs "3,000").
"""

from __future__ import annotations

import math
import re

from newsloom.extract.dates import find_times
from newsloom.models import Article, Quantity

WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90, "a dozen": 12, "dozen": 12, "a hundred": 100,
    "hundred": 100, "a thousand": 1000,
}  # fmt: skip
FRACTIONS = {"half": 0.5, "a third": 1 / 3, "one third": 1 / 3, "two thirds": 2 / 3,
             "two-thirds": 2 / 3, "a quarter": 0.25, "one quarter": 0.25,
             "three quarters": 0.75, "a fifth": 0.2, "a tenth": 0.1}  # fmt: skip
SCALE = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mn": 1e6, "million": 1e6, "bn": 1e9,
         "b": 1e9, "billion": 1e9, "tn": 1e12, "trillion": 1e12}  # fmt: skip
CURRENCY = {"$": "USD", "us$": "USD", "£": "GBP", "€": "EUR", "¥": "JPY", "rs": "INR"}
QUALIFIERS = {
    "nearly": "nearly", "almost": "almost", "about": "about", "around": "about",
    "approximately": "about", "roughly": "about", "an estimated": "about", "some": "some",
    "more than": "more than", "over": "over", "upwards of": "more than",
    "less than": "less than", "fewer than": "less than", "under": "less than",
    "at least": "at least", "up to": "up to", "as many as": "up to", "at most": "up to",
    "no fewer than": "at least", "no less than": "at least", "not less than": "at least",
    "no more than": "up to", "not more than": "up to",
}  # fmt: skip
PLURALS = {"people", "children", "men", "women", "police", "staff", "personnel", "cattle",
           "killed", "dead", "injured", "wounded", "missing"}  # fmt: skip
STOP = {
    "of", "to", "in", "on", "at", "for", "from", "by", "with", "and", "or", "but", "as",
    "the", "a", "an", "were", "was", "are", "is", "have", "has", "had", "be", "been", "who",
    "which", "that", "this", "it", "they", "their", "its", "than", "into", "after", "before",
    "since", "during", "while", "will", "would", "could", "should", "can", "may", "said",
    # irregular verbs that follow a subject number ("three met", "two fled"): not counted nouns
    "met", "told", "went", "came", "took", "fled", "died", "left", "won", "lost", "made", "saw",
    "got", "ran", "fell", "gave", "held", "spoke", "began", "became", "say", "says", "do", "did",
}  # fmt: skip

_WORDNUM = (
    r"(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:-(?:one|two|three|four|"
    r"five|six|seven|eight|nine))?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|"
    r"twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|a dozen|dozen|"
    r"a hundred|a thousand)"
)
_FRACTION = r"(?:half|a third|one third|two[- ]thirds|a quarter|one quarter|three quarters|" \
    r"a fifth|a tenth)"  # fmt: skip
# Units of measure, compared after conversion by `newsloom.compare` (metres against feet).
MEASURES = {
    "km/h": "km/h", "kph": "km/h", "kmh": "km/h", "mph": "mph", "knots": "knot", "knot": "knot",
    "sq km": "sq km", "square kilometres": "sq km", "square kilometers": "sq km",
    "square miles": "sq mi", "square mile": "sq mi", "km": "km", "kilometres": "km",
    "kilometers": "km", "kilometre": "km", "kilometer": "km", "metres": "m", "meters": "m",
    "metre": "m", "meter": "m", "cm": "cm", "centimetres": "cm", "centimeters": "cm", "mm": "mm",
    "ft": "ft", "feet": "ft", "foot": "ft", "miles": "mi", "mile": "mi", "yards": "yd",
    "yard": "yd", "inches": "inch", "inch": "inch", "kg": "kg", "kilograms": "kg",
    "kilogram": "kg", "kilos": "kg", "lbs": "lb", "lb": "lb", "tonnes": "tonne", "tonne": "tonne",
    "hectares": "hectare", "hectare": "hectare", "acres": "acre", "acre": "acre",
    "degrees celsius": "C", "degrees fahrenheit": "F", "degrees c": "C", "degrees f": "F",
}  # fmt: skip
_MEASURE = "|".join(sorted((re.escape(u) for u in MEASURES), key=len, reverse=True))
# Words after which a number names a model, a flight or a rule, not a count ("Boeing 737").
_CODE_BEFORE = re.compile(
    r"\b(?:Boeing|Airbus|Embraer|Bombardier|Cessna|Antonov|Tupolev|Ilyushin|Sukhoi|MiG|Flight|"
    r"Windows|iPhone|Galaxy|Model|Type|Class|Mark|Mk|Route|Highway|Interstate|Terminal|Gate|"
    r"Platform|Article|Section|Chapter|Resolution|Proposition|Prop|Category|Level|Stage|Phase|"
    r"Version|Series|Apollo|Soyuz|Falcon|Unit|Block|Room|Ward|District|Precinct|Division|"
    r"Brigade|Regiment|Battalion)[ \t]+$|\b[A-Z]{2,}[ \t]+$"  # on its line: not "-AP\n\n60 ..."
)
_QUAL = "|".join(sorted((re.escape(q) for q in QUALIFIERS), key=len, reverse=True))
_PATTERN = re.compile(
    rf"(?:\b(?P<qual>{_QUAL})\s+)?"
    rf"(?:(?P<frac>\b{_FRACTION})\s+of\s+(?:the\s+)?|"
    rf"(?P<cur>US\$|\$|£|€|¥|\bRs\.?\s?)?(?P<num>(?<![\w.,-])\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?"
    rf"|(?<![\w.,-])\d+(?:\.\d+)?(?!\d)|\b{_WORDNUM}\b)"
    rf"(?:\s?(?:-|–|—|\bto\b(?=\s*\d[\d,.]*\s?(?:{_MEASURE})\b))\s?"
    rf"(?P<high>\d{{1,3}}(?:,\d{{3}})+|\d+(?:\.\d+)?)(?![\w-]))?"
    rf"(?:\s?(?P<measure>{_MEASURE})\b|(?P<temp>(?-i:\s?°\s?[CF]\b|(?<=\d)[CF](?![\w-])))"
    rf"|\s?(?P<scale>k|m|mn|bn|b|tn|million|billion|thousand|trillion)\b)?(?![A-Za-z])"
    rf"(?P<pct>\s?%|\s(?:per\s?cent|percent)\b)?"
    rf"(?:(?P<age>-year-old|-month-old)|-(?P<compound>(?-i:[a-z]+))\b)?)",
    re.IGNORECASE,
)
_WORD = re.compile(r"[ \t]*([A-Za-z][A-Za-z'-]*(?:-?\d[\w-]*)?)")  # same line only
_PLURAL_AFTER = re.compile(r"\s+(?:[a-z]+-)?[a-z]+s\b|\s+(?:people|children|men|women)\b")


def _value(m: re.Match[str]) -> float:
    """The number's value, scaled ("500m" -> 5e8) and with word numbers read."""
    raw = m["num"].lower()
    if raw in WORDS:
        value = float(WORDS[raw])
    elif "-" in raw:
        tens, unit = raw.split("-")
        value = float(WORDS[tens] + WORDS[unit])
    else:
        value = float(raw.replace(",", ""))
    if m["scale"]:
        value *= SCALE[m["scale"].lower()]
    return value


def _counted(text: str, pos: int) -> tuple[str, int]:
    """(head, end) of the noun phrase after a number: "US troops to" -> ("troops", end of
    "troops"). Stops at function words and punctuation; up to 3 words."""
    words: list[tuple[str, int]] = []
    while len(words) < 3:
        w = _WORD.match(text, pos)
        if not w or w[1].lower() in STOP or w[1].lower().endswith("ly"):
            break
        pos = w.end()
        if any(c.isdigit() for c in w[1]):
            continue  # a model code inside the phrase: "two F-16 jets" counts jets
        words.append((w[1], w.end()))
        low = w[1].lower()
        if low in PLURALS or (w[1] != w[1].upper() and low.endswith(("s", "ed"))):
            break  # plural noun or participle: the head ("troops", "killed")
    if not words:
        return "", pos
    return words[-1][0].lower(), words[-1][1]


def _skip(text: str, m: re.Match[str]) -> bool:
    """Ordinals ("2nd"), ranks ("No. 2"), parts of codes or scores, and bare "one" used
    as a pronoun."""
    after = text[m.end() : m.end() + 3]
    if re.match(r"(?:st|nd|rd|th)\b", after, re.IGNORECASE) or re.match(r"[/:]\d", after):
        return True
    if re.search(r"(?:\bNo\.|#|\bnumber)\s*$", text[max(0, m.start() - 8) : m.start()], re.I):
        return True
    if not m["cur"] and _CODE_BEFORE.search(text[max(0, m.start() - 16) : m.start()]):
        return True  # "Boeing 737", "MAX 8": a model or a code
    if re.match(r"\s+[A-Z]{2,}\s*\d", text[m.end() : m.end() + 12]):
        return True  # "737 MAX 8"
    return bool(m["num"] and m["num"].lower() == "one" and not m["qual"])


def find_quantities(article: Article) -> list[Quantity]:
    """Every counted number in the article (dates and times excluded)."""
    text = article.text
    times = article.times or find_times(text, article.day)  # extract_article found them
    dated = [(t.start, t.end) for t in times if t.kind != "duration"]
    out: list[Quantity] = []
    for m in _PATTERN.finditer(text):
        if not (m["num"] or m["frac"]) or _skip(text, m):
            continue
        core = m.start("frac") if m["frac"] else m.start("cur") if m["cur"] else m.start("num")
        if any(s <= core < e for s, e in dated):
            continue
        quantity = _quantity(article, m)
        if quantity.counts or quantity.unit or _toll_count(text, m):
            out.append(quantity)  # a bare number says nothing checkable, but a toll's does
    return out


# A toll's verb just before a bare number: "... and killing nine." counts people.
_TOLL_BEFORE = re.compile(r"\b(?:killing|killed|kills|injuring|wounding|hurting)\s+$")
# A toll whose change ends just before a number: "the number of people killed in the sinking
# ... rose to six", "the death toll from the crash has risen to 13 people". The number is the
# toll (`compare.event_of` reads its kind off `subject`).
# Between the subject and its verb no other subject or clause begins ("the death toll rose
# to 13, and the number of injured has risen to 40": the 40 is no toll), and a toll paid
# ("the toll for the bridge") is none.
TOLL_CHANGED = re.compile(
    r"(?P<subject>\b(?:(?:death\s+)?toll(?!\s+(?:for|on|road|booth|fee|plaza|charge)s?\b)"
    r"|number\s+of\s+(?:[a-z]+\s+){0,2}?(?:dead|killed|deaths"
    r"|fatalities|casualties|injured|wounded|hurt|missing))\b"
    r"(?:(?!\b(?:toll|number\s+of|as|but|while|whereas|and)\b)[^.;!?]){0,100}?)"
    r"\b(?:(?:has|have|had)\s+)?(?:rose|risen|climbed|increased|jumped|grew|grown|reached"
    r"|(?:now\s+)?stands\s+at|stood\s+at)\s+(?:to\s+)?$",
    re.IGNORECASE,
)
TOLL_REACH = 160  # characters before a number searched for `TOLL_CHANGED`


def _toll_count(text: str, m: re.Match[str]) -> bool:
    """A bare number that a toll's verb counts ("killing nine") or a toll's change ends at
    ("the death toll rose to nine"), not a number glued to more digits (the typo "more than
    2,8000" is no figure of 2,800)."""
    if not m["num"] or re.match(r"[,.]?\d", text[m.end() : m.end() + 2]):
        return False
    if _TOLL_BEFORE.search(text[max(0, m.start() - 12) : m.start()]):
        return True
    return bool(TOLL_CHANGED.search(text[max(0, m.start() - TOLL_REACH) : m.start()]))


def _quantity(article: Article, m: re.Match[str]) -> Quantity:
    text = article.text
    qualifier = QUALIFIERS.get((m["qual"] or "").lower(), "")
    head, end = _counted(text, m.end())
    unit = ""
    if m["frac"]:
        value = FRACTIONS[m["frac"].lower().replace("-", " ")]
        unit = "fraction"
    else:
        value = _value(m)
        if m["cur"]:
            unit = CURRENCY.get(m["cur"].lower().rstrip(". "), m["cur"])
            head = head or "money"
        elif m["pct"]:
            unit, head, end = "%", "percent", m.end()
        elif m["measure"] or m["temp"]:
            raw_unit = (m["measure"] or m["temp"]).strip(" °").lower()
            unit, head, end = MEASURES.get(raw_unit, raw_unit.upper()), "", m.end()
        elif (m["scale"] or "").lower() == "m" and not _PLURAL_AFTER.match(text, m.end()):
            value /= SCALE["m"]  # "40 m high": metres, not millions
            unit, head, end = "m", "", m.end()
        elif m["age"]:
            unit, head, end = "years" if "year" in m["age"] else "months", "age", m.end()
        elif m["compound"]:  # "eight-day blitz", "10-point plan": the number measures that
            head, end = m["compound"].lower(), m.end()
    if not head and not unit:
        end = m.end()
    return Quantity(
        text=text[m.start() : end],
        value=value,
        counts=head,
        start=m.start(),
        end=end,
        sentence=article.sentence_at(m.start()),
        qualifier=qualifier,
        unit=unit,
    )


def bounds(q: Quantity) -> tuple[float, float]:
    """The interval a reported figure allows.

    Tolerance rule: an exact figure allows nothing (13 and 12 conflict) unless it looks
    rounded (>= 100 with at most two significant digits: "3,000"), which allows +-5%.
    nearly/almost: [90%, 100%]; about/some: +-10%; more than/over: (v, inf);
    at least: [v, inf); less than/up to: [0, v]."""
    v = q.value
    rounded = v >= 100 and float(f"{v:.2g}") == v
    slack = 0.05 * v if rounded else 0.0
    return {
        "nearly": (0.9 * v, v),
        "almost": (0.9 * v, v),
        "about": (0.9 * v, 1.1 * v),
        "some": (0.9 * v, 1.1 * v),
        "more than": (v, math.inf),
        "over": (v, math.inf),
        "at least": (v, math.inf),
        "less than": (0.0, v),
        "up to": (0.0, v),
    }.get(q.qualifier, (v - slack, v + slack))


def _noun_key(word: str) -> str:
    w = word.lower()
    return w[:-1] if w.endswith("s") and not w.endswith("ss") else w


def agree(a: Quantity, b: Quantity) -> bool | None:
    """None if `a` and `b` count different things; else whether their intervals (see
    `bounds`) overlap: "nearly 3,000" agrees with 3,000, "more than 1,000" with 1,200,
    13 killed conflicts with 12 killed."""
    if _noun_key(a.counts) != _noun_key(b.counts) or a.unit != b.unit or not a.counts:
        return None
    lo_a, hi_a = bounds(a)
    lo_b, hi_b = bounds(b)
    return lo_a <= hi_b and lo_b <= hi_a
