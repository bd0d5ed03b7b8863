"""Do two statements make the same claim, and if so, do they agree on it?

Fusion aligns statements by claim (who did what to whom) or by paraphrase, then checks before
it agrees: a different figure for the same counted thing, the opposite polarity, another date
for a one-off event, or another named holder of the same title is a disagreement, never
corroboration. The checks are careful about what looks like a figure or a negation but is not:

- a figure is paired with its subject ("306 for Biden" only with Biden's figure), counted nouns
  are compared by their head ("US troops" ~ "troops"), and lengths, weights, speeds and
  temperatures are converted to one unit first (30-40 m agrees with 100-115 ft);
- model names and codes ("737 MAX 8", "F-16", "G7", "Covid-19") are not figures
  (`extract.quantities` skips them);
- negation comes from the parse (`Claim.negated`) or from words, with curly apostrophes read
  as apostrophes ("isn’t" is as negative as "isn't");
- datelines ("SEYNE, France, March 24 (AFP) -") date the report, not the event.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from newsloom.extract.quantities import TOLL_CHANGED, TOLL_REACH, bounds
from newsloom.models import Claim, Quantity

# ---------------------------------------------------------------- verbs

_VERB_CLASSES = {
    "capture": "capture seize take overrun conquer occupy storm seize_control take_control "
    "take_over gain_control assume_control fall_to wrest_control retake recapture",
    "kill": "kill die slay perish murder execute claim_life leave_dead",
    "injure": "injure wound hurt maim",
    "arrest": "arrest detain apprehend nab take_into_custody",
    "deploy": "send deploy dispatch fly_in airlift_in",
    "evacuate": "evacuate airlift extract pull_out_of evacuate_from",
    "withdraw": "withdraw pull_out pull_back retreat",
    "resign": "resign quit step_down stand_down",
    "crash": "crash come_down go_down plunge plummet nosedive",
    "explode": "explode detonate blow_up go_off blast",
    "attack": "attack strike hit bomb shell target raid assault",
    "win": "win secure clinch",
    "flee": "flee escape",
    "rise": "rise climb increase grow jump surge soar",
    "decline": "fall drop decline decrease sink shrink",
    "open": "open reopen resume",
    "close": "close shut suspend halt",
    "elect": "elect vote_in",
    "approve": "approve pass adopt endorse ratify",
    "reject": "reject refuse turn_down",
    "deny": "deny dismiss rebuff",
    "find": "find recover discover locate retrieve",
    "destroy": "destroy demolish raze flatten wreck",
    "sentence": "sentence jail imprison",
    "charge": "charge indict",
    "accuse": "accuse blame",
    "rescue": "rescue save",
    "release": "release free",
    "launch": "launch begin start initiate open_up",
    "investigate": "investigate probe examine",
    "visit": "visit tour",
    "meet": "meet hold_talks",
    "sign": "sign ink",
    "ban": "ban bar prohibit block",
    "surround": "surround encircle besiege",
    "enter": "enter reach arrive",
    "announce": "announce declare unveil",
    "confirm": "confirm verify",
    "dismiss": "fire sack",  # "dismissed the claims" denies: the verb stays in "deny"
    "welcome": "welcome applaud hail praise",
    "reform": "reform overhaul revamp reconstitute restructure",
}
VERB_CLASS = {
    verb.replace("_", " "): cls for cls, verbs in _VERB_CLASSES.items() for verb in verbs.split()
}
# Verbs too vague to carry a claim on their own: "be", "have", "say" ...
LIGHT_VERBS = frozenset(
    "be have do get make go come seem appear become say tell add include remain keep "  # noqa: SIM905
    "want try need use give put see know think believe expect".split()
)


def verb_class(verb: str) -> str:
    """The synonym class of a verb phrase ("seize control" -> "capture"), else the verb."""
    if verb in VERB_CLASS:
        return VERB_CLASS[verb]
    head = verb.split(" ")[0]
    return VERB_CLASS.get(head, verb) if " " in verb else verb


# ---------------------------------------------------------------- figures

_LENGTH = {"m": 1.0, "metre": 1.0, "meter": 1.0, "km": 1000.0, "kilometre": 1000.0,
           "kilometer": 1000.0, "cm": 0.01, "centimetre": 0.01, "centimeter": 0.01,
           "mm": 0.001, "ft": 0.3048, "foot": 0.3048, "feet": 0.3048, "mi": 1609.344,
           "mile": 1609.344, "yd": 0.9144, "yard": 0.9144, "inch": 0.0254, "in": 0.0254,
           "nautical mile": 1852.0}  # fmt: skip
_MASS = {"kg": 1.0, "kilogram": 1.0, "kilo": 1.0, "g": 0.001, "gram": 0.001, "t": 1000.0,
         "tonne": 1000.0, "ton": 907.185, "lb": 0.45359237, "lbs": 0.45359237,
         "pound": 0.45359237, "oz": 0.0283495}  # fmt: skip
_SPEED = {"mph": 1.609344, "km/h": 1.0, "kph": 1.0, "kmh": 1.0, "knot": 1.852, "kt": 1.852}
_AREA = {"sq km": 1.0, "square kilometre": 1.0, "square kilometer": 1.0, "km2": 1.0,
         "sq mi": 2.589988, "square mile": 2.589988, "hectare": 0.01, "ha": 0.01,
         "acre": 0.00404686}  # fmt: skip
_TEMPERATURE = {"c": "C", "°c": "C", "celsius": "C", "f": "F", "°f": "F", "fahrenheit": "F"}
# Counted nouns that name the same thing ("600 soldiers" / "600 troops").
_NOUN_SYNONYMS = {
    "soldier": "troop", "force": "troop", "serviceman": "troop", "personnel": "troop",
    "person": "people", "individual": "people", "resident": "people", "civilian": "people",
    "dead": "killed", "death": "killed", "fatality": "killed", "life": "killed",
    "casualty": "killed", "wounded": "injured", "injury": "injured", "passenger": "people",
    "kid": "child", "children": "child", "men": "man", "women": "woman",
}  # fmt: skip
_WORD = re.compile(r"[a-z]+")


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 2:
        return word[:-1]
    return word


def counted_key(counts: str) -> str:
    """Head of a counted phrase as a key: "US troops" -> "troop", "soldiers" -> "troop"."""
    words = _WORD.findall(counts.lower())
    if not words:
        return ""
    head = _singular(words[-1]) if words[-1] not in ("people", "police", "news") else words[-1]
    return _NOUN_SYNONYMS.get(head, _NOUN_SYNONYMS.get(words[-1], head))


def _unit_scale(name: str) -> tuple[str, float] | None:
    """(dimension, factor to the base unit) of a unit name, or None if it is not one."""
    low = name.lower().rstrip(".")
    base = low[:-1] if low.endswith("s") and low[:-1] in {**_LENGTH, **_MASS, **_AREA} else low
    for dim, table in (("length", _LENGTH), ("mass", _MASS), ("speed", _SPEED), ("area", _AREA)):
        if base in table:
            return dim, table[base]
    return None


@dataclass(slots=True, frozen=True)
class Value:
    """A figure ready to compare: what it counts, whose it is, and the interval it allows
    in a base unit (metres, kilograms, km/h, km², °C; counts stay counts)."""

    thing: str  # counted-noun key, or the dimension of a measure ("length")
    unit: str  # "", a currency, "%", or the base unit of a measure
    point: float
    lo: float
    hi: float
    holder: str = ""
    verb: str = ""  # verb class of the clause that carries it ("kill")
    text: str = ""
    qualified: bool = False  # "at least", "nearly", "more than" ...

    def same_thing(self, other: Value) -> bool:
        """Whether the two values count the same thing for the same holder."""
        if self.thing != other.thing or self.unit != other.unit or not self.thing:
            return False
        if self.holder and other.holder and self.holder != other.holder:
            return False
        return not (self.verb and other.verb and self.verb != other.verb)

    def agrees(self, other: Value) -> bool:
        """Whether the two intervals overlap (the figures can both be right)."""
        return self.lo <= other.hi and other.lo <= self.hi

    @property
    def exact(self) -> bool:
        """A reading, not a count: ordinals, clock times and magnitudes are not rounded (6.3
        and 6.4 differ), though "about 8:45" allows its interval."""
        return self.thing.startswith("#") or self.thing == "magnitude"

    def equal(self, other: Value) -> bool:
        """The same figure, allowing for rounding ("nearly 3,000" and "3,000")."""
        if self.point == other.point:
            return True
        if self.exact:
            return (self.qualified or other.qualified) and self.agrees(other)
        big = max(abs(self.point), abs(other.point))
        return self.agrees(other) and big > 0 and abs(self.point - other.point) / big <= 0.05

    # The one rule for "the same figure" that fusion's fact classes, side-by-side pages,
    # partial counts, agreement and alignment all share: `same_figure`.

    @property
    def toll(self) -> str:
        """The toll a figure counts ("kill", "injure", ...: `TOLL_EVENTS`), else ""."""
        return self.verb if self.verb in TOLL_EVENTS else ""

    @property
    def one_sided(self) -> bool:
        """A one-sided bound ("at least 8", "more than 60", "up to 40"), not an estimate."""
        return self.qualified and (self.hi == INF or self.lo <= 0 < self.point)

    def one_count(self, other: Value) -> bool:
        """Whether two figures count one thing: `same_thing`, but a toll only with the same
        toll ("100 people" held hostage is no figure of "at least 15 killed"), whoever a parse
        names as its holder ("Russia says 40 dead" / "more than 60 dead")."""
        if self.toll != other.toll:
            return False
        return self.same_thing(other) or (
            bool(self.toll) and (self.thing, self.unit) == (other.thing, other.unit)
        )

    def same_value(self, other: Value) -> bool:
        """Whether two figures of one count read as one value: a toll only at the same point
        ("more than 60" / "at least 60"; not "about 2,750" / "2,800": it rises while a story
        unfolds, so each figure is a step), though not an upper and a lower bound there ("up
        to 100" / "at least 100"); other figures allowing for rounding (`equal`)."""
        if not (self.toll or other.toll):
            return self.equal(other)
        if self.point != other.point:
            return False
        return not (self.one_sided and other.one_sided and (self.hi == INF) != (other.hi == INF))

    def same_figure(self, other: Value) -> bool:
        """One counted thing (`one_count`) at one value (`same_value`)."""
        return self.one_count(other) and self.same_value(other)


INF = float("inf")


# What a count of people is a count of, from the words around it ("2 people are dead",
# "killing three people", "49 hurt"): a toll is never compared with a count of the injured,
# nor the injured with those in hospital ("115 hospitalised" is no step of "145 wounded").
_EVENTS = (
    ("kill", r"dead|died|die|dies|killed|killing|kills|deaths?|fatalities|lives|perished|slain"
     r"|bodies|death toll|toll"),
    ("injure", r"injured|injuring|injuries|hurt|wounded|wounding|casualties"),
    ("hospital", r"hospitali[sz]ed|hospitali[sz]ing|in hospital"),
    ("missing", r"missing|unaccounted"),
    ("arrest", r"arrested|arresting|arrests|detained|detaining|detentions|custody"),
    ("rescue", r"rescued|rescuing|saved|survivors|survived|pulled alive"),
    ("displace", r"evacuated|evacuating|evacuees|displaced|homeless|fled|refugees"),
)  # fmt: skip
_EVENT_WORD = re.compile(
    "|".join(rf"\b(?P<{cls}>{words})\b" for cls, words in _EVENTS), re.IGNORECASE
)
_QUALIFYING = frozenset(
    "at least more than about nearly some over up to almost around an estimated the a "  # noqa: SIM905
    "another as many another".split()
)
_CLAUSE_END = re.compile(r"[,;.()]|\b(?:and|but|while|whereas|after|as)\b", re.IGNORECASE)
_EVENT_NOUNS = {"killed": "kill", "dead": "kill", "death": "kill", "fatality": "kill",
                "injured": "injure", "wounded": "injure", "injury": "injure", "missing": "missing",
                "arrested": "arrest", "detained": "arrest", "rescued": "rescue",
                "evacuated": "displace", "displaced": "displace"}  # fmt: skip


def event_of(text: str, start: int, end: int) -> str:
    """The event class a count in `text[start:end]` counts (kill, injure, missing, arrest,
    rescue, displace): the verb just before it ("killing three people"), else the toll whose
    change ends at it ("the number of people killed ... rose to six"), else the first event
    word after it in its clause ("2 people are dead")."""
    before = text[max(0, start - 30) : start]
    for m in reversed(list(_EVENT_WORD.finditer(before))):
        between = before[m.end() :].lower().split()
        if len(between) <= 4 and all(w in _QUALIFYING for w in between):
            return str(m.lastgroup)
        break
    changed = TOLL_CHANGED.search(text[max(0, start - TOLL_REACH) : start])
    toll = _EVENT_WORD.search(changed["subject"]) if changed else None
    if toll:
        return str(toll.lastgroup)
    after = text[end : end + 60]
    stop = _CLAUSE_END.search(after)
    found = _EVENT_WORD.search(after, 0, stop.start() if stop else len(after))
    return str(found.lastgroup) if found else ""


def value_of(q: Quantity, holder: str = "", verb: str = "", event: str = "") -> Value | None:
    """The comparable form of a quantity, or None when it cannot be compared. `event` (see
    `event_of`) says what a count counts; it overrides the clause's verb class."""
    lo, hi = bounds(q)
    high = _range_high(q)
    if high is not None:
        hi = max(hi, high)
    scale = _unit_scale(q.unit) or _unit_scale(q.counts)
    if scale is not None:
        dim, factor = scale
        return Value(dim, dim, q.value * factor, lo * factor, hi * factor, holder, "", q.text,
                     bool(q.qualifier))  # fmt: skip
    temp = _TEMPERATURE.get(q.unit.lower()) or _TEMPERATURE.get(q.counts.lower())
    if temp is not None:
        conv = (lambda v: v) if temp == "C" else (lambda v: (v - 32) * 5 / 9)
        return Value("temperature", "C", conv(q.value), conv(lo), conv(hi), holder, "", q.text,
                     bool(q.qualifier))  # fmt: skip
    thing = counted_key(q.counts)
    if not thing and event and not q.unit:
        thing = "people"  # "killing nine": a bare count of a toll counts people
    if not thing:
        return None
    if thing in _EVENT_NOUNS:  # "12 killed" counts people, as "12 people killed" does
        event = _EVENT_NOUNS[thing]
        thing = "people"
    if event:
        verb = event
    return Value(thing, q.unit, q.value, lo, hi, holder, verb, q.text, bool(q.qualifier))


_ORDINAL = re.compile(r"\b(\d{1,4})(?:st|nd|rd|th)\b[-\s]+(?:minute\b|([a-z]+))", re.IGNORECASE)


def ordinal_values(text: str) -> list[Value]:
    """Ordinals with what they number ("the 86th minute", "a record 16th title"): a goal in
    the 82nd minute against one in the 86th is a disagreement."""
    out = []
    for m in _ORDINAL.finditer(text):
        noun = "minute" if not m.group(2) else _singular(m.group(2).lower())
        n = float(m.group(1))
        out.append(Value(f"#{noun}", "", n, n, n, "", "", m.group(0), False))
    return out


_MAGNITUDE = re.compile(
    r"\bmagnitude(?:\s+of)?[-\s]+(\d(?:\.\d)?)\b|\b(\d(?:\.\d)?)[-\s]+magnitude\b"
    r"|\b(\d(?:\.\d)?)\s+on the Richter scale\b|\bmeasured\s+(\d\.\d)\b",
    re.IGNORECASE,
)
_CLOCK = re.compile(
    r"\b(?P<about>about|around|approximately|roughly|shortly (?:before|after)|just (?:before|after)"
    r"|some|nearly)?\s*\b(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?P<ap>[ap])\.?\s?m\b\.?"
    r"|\b(?P<h24>[01]?\d|2[0-3])[:h](?P<m24>[0-5]\d)\s*(?:hours?|hrs|GMT|UTC|local)",
    re.IGNORECASE,
)
_ZONE = re.compile(r"\b(?:ET|EST|EDT|PT|PST|PDT|CT|GMT|UTC|BST|CET|CEST|IST|local time)\b")
CLOCK_SLACK = 15.0  # minutes either side of "about 8:45" or "just before 8:45"


def special_values(text: str) -> list[Value]:
    """Figures the quantity extractor has no noun for: ordinals with what they number ("the
    86th minute"), quake magnitudes ("magnitude 6.3", "7.8-magnitude", "6.4 on the Richter
    scale") and clock times ("6:04 pm" = "18:04 local time"; "about 8:45" allows a quarter
    hour either side). A clock time is kept only where the statement names no time zone
    ("1 p.m. ET" and "noon" in Jamaica are one moment)."""
    out = ordinal_values(text)
    for m in _MAGNITUDE.finditer(text):
        n = float(next(g for g in m.groups() if g))
        out.append(Value("magnitude", "", n, n, n, "", "", m.group(0), False))
    if _ZONE.search(text.replace("local time", "")):
        return out
    for m in _CLOCK.finditer(text):
        if m.group("h24"):
            minutes = int(m.group("h24")) * 60 + int(m.group("m24"))
        else:
            hour = int(m.group("h")) % 12 + (12 if m.group("ap").lower() == "p" else 0)
            minutes = hour * 60 + int(m.group("m") or 0)
        slack = CLOCK_SLACK if m.group("about") else 0.0
        point = float(minutes)
        out.append(
            Value("#clock", "", point, point - slack, point + slack, "", "", m.group(0).strip(),
                  bool(m.group("about")))
        )  # fmt: skip
    return out


def _range_high(q: Quantity) -> float | None:
    """The upper end of a range written into the quantity's text ("30-40 m")."""
    m = re.search(r"(?:-|–|—|\bto\b)\s*(\d[\d,]*(?:\.\d+)?)", q.text)
    if not m:
        return None
    try:
        high = float(m.group(1).replace(",", ""))
    except ValueError:
        return None
    return high if high > q.value else None


# What limits a figure to a part of the counted whole, or marks it as an old figure: such a
# figure is never one side of a conflict or a step of an update ("12 of them in Hatay
# province" is no rival of the toll; "up from 50" is the figure the sentence replaces).
_PLACE_UNIT = r"(?:province|region|district|state|county|governorate|prefecture)"
# The badly hurt among the injured: "seriously injuring 20", "24 with very serious injuries".
_SEVERELY = r"(?:seriously|critically|severely|badly|gravely)\s+(?:injur|wound|hurt)\w*"
_SEVERE = (
    _SEVERELY
    + r"|(?:serious|critical|severe|grave|life-threatening)\s+(?:injur\w*|wounds?|condition)"
)
_PARTIAL_BEFORE = re.compile(
    r"(?:\b(?:including|includes|included|among (?:them|whom|those)|of (?:them|whom|those)"
    r"|in (?:the )?" + _PLACE_UNIT + r" of [A-Z][\w'-]+)|(?:^|[,;:(]\s*)[Ii]n [A-Z][\w'-]+"
    r"(?:\s+[A-Z][\w'-]+)*\s+" + _PLACE_UNIT + r"s?\s*,?|\b" + _SEVERELY + r")"
    r"\W*(?:[\w-]+\W+){0,2}$"
)
_PARTIAL_AFTER = re.compile(
    r"^\W*(?:[\w-]+\W+){0,5}?(?:of (?:them|whom|those)\b|alone\b|(?:" + _SEVERE + r")\b"
    r"|in (?:the )?"
    + _PLACE_UNIT
    + r" of\b|in (?:[A-Z][\w'-]+\s+)+"
    + _PLACE_UNIT
    + r"\b|at (?:the|a) (?:[a-z]+\s+)?"
    r"(?:bar|restaurant|bowling alley|alley|hospital|school|market|mosque|church|hotel|site)\b)"
)
_EARLIER = re.compile(
    r"\b(?:(?:up|down|rose|risen|rising|climbed|increased|revised|jumped|fell)\s+from"
    r"|earlier(?:\s+\w+){0,3}|initial(?:ly)?(?:\s+\w+){0,3}|previous(?:ly)?(?:\s+\w+){0,3}"
    r"|first reported|had (?:earlier |initially )?(?:said|reported|put))\s+(?:\w+\s+){0,3}$",
    re.IGNORECASE,
)
_CAPACITY = re.compile(
    r"\b(?:capacity\s+(?:of|for)|(?:licensed|designed|built|certified|allowed|permitted|able)"
    r"\s+to\s+(?:carry|hold|seat|take)|(?:can|could)\s+(?:carry|hold|seat|take)|room\s+for)"
    r"\s+(?:only\s+|just\s+|up\s+to\s+|a\s+maximum\s+of\s+|about\s+|around\s+)?$",
    re.IGNORECASE,
)
_CHANGE = re.compile(
    r"\b(?:rose|risen|rising|climbed|climbing|increased|jumped|revised|updated|upgraded|raised"
    r"|raising|up from|down from"
    r"|earlier|initially|previously|had (?:earlier )?(?:said|reported)|now stands|has reached)\b",
    re.IGNORECASE,
)


def code_part(text: str, start: int) -> bool:
    """Whether a number at `start` is the tail of a code glued to digits ("the 787-8/9 fleet",
    "A320-200"): a model's name, not a figure."""
    return start >= 2 and text[start - 1] in "/-" and text[start - 2].isdigit()


def figure_scope(text: str, start: int, end: int) -> str:
    """What a figure in `text[start:end]` is, beside the current whole: "partial" (a count
    of one place, venue or group: "including 12 children", "8 at the bar", "in Hatay
    province alone"; the badly hurt among the injured: "two dozen with serious injuries"),
    "earlier" (the figure a change replaces: "up from 50", "initially reported 40"),
    "capacity" (what it can hold, not what it held: "licensed to carry only 100
    passengers"), else ""."""
    before, after = text[max(0, start - 60) : start], text[end : end + 60]
    stop = _CLAUSE_END.search(after)
    after = after[: stop.start()] if stop and stop.group(0) not in ("and", "as") else after
    if _EARLIER.search(before):
        return "earlier"
    if _CAPACITY.search(before):
        return "capacity"
    if _PARTIAL_BEFORE.search(before) or _PARTIAL_AFTER.search(after):
        return "partial"
    return ""


@lru_cache(maxsize=1 << 16)
def tells_change(text: str) -> bool:
    """Whether a sentence tells that a figure changed ("the toll rose to 73", "earlier
    reports said 50"): two figures of one thing in it may be one figure's two steps."""
    return bool(_CHANGE.search(text))


def figure_disagreement(a: list[Value], b: list[Value]) -> tuple[Value, Value] | None:
    """The first pair of values for the same thing whose figures differ, if any.

    Values differ when they cannot both be right, or when both are exact-looking and
    different ("at least 50" then "73" is a change of figure for `update`, not agreement)."""
    for va in a:
        for vb in b:
            if not va.same_thing(vb) or va.equal(vb):
                continue
            if not va.agrees(vb) or (va.qualified != vb.qualified):
                return va, vb
            if not va.qualified and not vb.qualified:
                return va, vb
    return None


def figures_match(a: list[Value], b: list[Value]) -> bool:
    """Some figure is stated equal on both sides (`Value.same_figure`)."""
    return any(va.same_figure(vb) for va in a for vb in b)


# ---------------------------------------------------------------- polarity, names, dates

_NEGATION = re.compile(
    r"\b(?:not|no|never|no longer|denied|denies|neither|nor|without)\b|n't\b", re.IGNORECASE
)
_TITLE_NAME = re.compile(
    r"\b(spokes(?:man|woman|person)|minister|secretary|president|governor|commander|general|"
    r"ambassador|mayor|chief|leader|director)\s+([A-Z][\w'-]+(?:\s+[A-Z][\w'-]+)+)"
)
_DATELINE = re.compile(
    r"^\s*(?:[A-Z][A-Za-z.'’-]+(?:[ -][A-Za-z.'’-]+){0,3}\s*(?:\([^)]{1,40}\))?\s*,?\s*)?"
    r"(?:[A-Z][a-z]+\.?\s*,?\s*)?"
    r"(?:(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2}"
    r"(?:,?\s+\d{4})?|\d{1,2}\s+(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*"
    r"(?:\s+\d{4})?|\d{4}-\d{2}-\d{2})?\s*"
    r"(?:\((?:[A-Z][\w.]*(?:\s*[/&,]\s*[A-Z][\w.]*)*)\)\s*)?[-–—:]\s",
)


def normalise_apostrophes(text: str) -> str:
    """Curly apostrophes and primes read as the ASCII apostrophe."""
    return text.replace("’", "'").replace("‘", "'").replace("ʼ", "'").replace("′", "'")


def negated_text(text: str) -> bool:
    """Whether a statement's wording negates it (any apostrophe counts in "isn't")."""
    return bool(_NEGATION.search(normalise_apostrophes(text)))


def title_names(text: str) -> list[tuple[str, str]]:
    """(title, name) pairs such as ("spokesman", "Zabihullah Mujahid")."""
    return [(m.group(1).lower(), m.group(2)) for m in _TITLE_NAME.finditer(text)]


def dateline_end(text: str) -> int:
    """Length of the dateline that opens an article ("KABUL, Aug 13 (Reuters) - "), 0 if
    none: dates in it say when the report was filed, not when the event happened."""
    m = _DATELINE.match(text[:160])
    if not m or m.end() < 4 or not re.search(r"[A-Z]{2}|\(|\d", m.group(0)):
        return 0
    return m.end()


def compatible_dates(a: str, b: str) -> bool:
    """Two ISO date values (day, month or year precision) that can name the same day."""
    if not a or not b:
        return True
    n = min(len(a), len(b))
    return a[:n] == b[:n]


# ---------------------------------------------------------------- claims

_PRONOUNS = frozenset(
    "he she it they we i you this that these those who which what one some many all "  # noqa: SIM905
    "others other there here".split()
)
_GENERIC = frozenset(
    "people person thousand hundred dozen number official source report member group man "  # noqa: SIM905
    "woman child resident".split()
)


# Nouns that stand for a named participant ("the city" for Kandahar, "the group" for Hamas).
_REFERENTS = frozenset(
    "city town village country capital region area province state nation group company firm "  # noqa: SIM905
    "government party organisation organization agency bank army militia force forces "
    "militant insurgent rebel team club side body ministry airline carrier site place "
    "spacecraft probe plane aircraft jet vessel ship boat mission".split()
)


# Counts that grow as a story unfolds (a toll, the injured, the missing, arrests, rescues, the
# displaced): different figures of one are a sequence of updates, not a contradiction.
TOLL_EVENTS = frozenset({"kill", "injure", "hospital", "missing", "arrest", "rescue", "displace"})
TRACK = "toll:"  # verb prefix of a statement's toll figure, kept as a claim of its own


def toll_claim(v: Value) -> ClaimKey:
    """A statement's toll figure as a claim of its own ("toll:kill" of people), so every
    report of one story's toll meets in one fact whatever else its sentence says, and
    whatever holder a parse names ("a fire in Dhaka killed eight": Dhaka), as its figures
    are one count (`Value.one_count`)."""
    return ClaimKey(
        f"{TRACK}{v.verb}", "", v.thing, frozenset(), frozenset(), frozenset(), False, False
    )


@dataclass(slots=True, frozen=True)
class ClaimKey:
    """A claim reduced to what alignment compares."""

    verb: str  # verb class
    agent: str  # head word ("" if none or a pronoun)
    patient: str
    agent_names: frozenset[str]
    patient_names: frozenset[str]
    places: frozenset[str]
    negated: bool
    main: bool
    time: str = ""  # ISO date the clause itself gives (not a dateline's), "" if none

    @property
    def track(self) -> bool:
        """A toll figure standing as a claim (see `toll_claim`)."""
        return self.verb.startswith(TRACK)

    @property
    def informative(self) -> bool:
        """Carries a claim of its own (not "it is", "they said")."""
        has_args = bool(self.agent_names or self.patient_names or self.patient or self.agent)
        return has_args and self.verb not in LIGHT_VERBS

    def index_keys(self) -> list[str]:
        """Index keys: the verb class with each name (or specific head) of its arguments; a
        toll claim's one key is what it counts and for whom."""
        if self.track:
            return [f"{self.verb}|{self.patient}"]
        args = self.agent_names | self.patient_names
        heads = {h for h in (self.agent, self.patient) if h and h not in _GENERIC}
        if not args:
            args = frozenset(heads)
        # a name's last word as well, and a head that may be a name the parse missed:
        # "Altman, who was fired" meets "Sam Altman was fired"
        args |= {a.rsplit(" ", 1)[1] for a in args if " " in a}
        args |= heads - _REFERENTS
        return [f"{self.verb}|{a}" for a in sorted(args)]


def claim_key(claim: Claim) -> ClaimKey:
    def head(word: str) -> str:
        return "" if word in _PRONOUNS else word

    return ClaimKey(
        verb=verb_class(claim.verb),
        agent=head(claim.agent),
        patient=head(claim.patient),
        agent_names=frozenset(claim.agent_names),
        patient_names=frozenset(claim.patient_names),
        places=frozenset(claim.places),
        negated=claim.negated,
        main=claim.main,
        time=claim.time,
    )


def _last_words(names: frozenset[str]) -> set[str]:
    """The names' last words ("altman" of "sam altman"): how a head word names someone."""
    return {n.rsplit(" ", 1)[-1] for n in names}


def _argument_match(heads: tuple[str, str], names: tuple[frozenset[str], frozenset[str]]) -> int:
    """+1 the same participant, 0 unknown (missing, or named on one side only), -1 different
    participants."""
    na, nb = names
    ha, hb = heads
    if na and nb:
        if na & nb or any(x in y or y in x for x in na for y in nb):
            return 1
        # the same head that is a name on one side only: the other side's names came from a
        # phrase inside it ("Altman, who was fired by OpenAI's board" names OpenAI); not
        # "Grace Mugabe" / "Robert Mugabe", named on both
        if ha and ha == hb and (ha in _last_words(na)) != (ha in _last_words(nb)):
            return 1
        return -1
    named = na or nb
    if named and (hb if na else ha) in _last_words(named):
        return 1  # "Altman" unrecognised as a name on one side, "Sam Altman" on the other
    if na or nb:  # named on one side: "the city" may be Kandahar, a "number" is no translator
        vague = {ha, hb} & (_GENERIC | _REFERENTS) or not (ha and hb) or ha == hb
        return 0 if vague else -1
    if ha and hb:
        if ha == hb:
            return 1 if ha not in _GENERIC else 0
        return -1
    return 0


def names_clash(a: ClaimKey, b: ClaimKey) -> bool:
    """The same action with a named participant that differs ("captured Ghazni" / "captured
    Kandahar"). Head words that differ are no clash: a parse that reads "crashed the jet" and
    another that reads "the plane crashed" are the same action."""
    if a.verb != b.verb or a.verb in LIGHT_VERBS:
        return False
    return any(
        _argument_match(("", ""), names) < 0
        for names in ((a.agent_names, b.agent_names), (a.patient_names, b.patient_names))
    )


def parties(a: ClaimKey, b: ClaimKey, loose: bool = False) -> tuple[int, int] | None:
    """(agent, patient) of two claims, each +1 the same participant or 0 unknown
    (`_argument_match`), when they can be the same claim: the same verb class, no participant
    that differs, and at least one that is the same (`loose`: none needs to be the same, the
    statements' other evidence decides); None when they cannot. Polarity is left to the
    checks."""
    if a.verb != b.verb or a.verb in LIGHT_VERBS:
        return None
    agent = _argument_match((a.agent, b.agent), (a.agent_names, b.agent_names))
    patient = _argument_match((a.patient, b.patient), (a.patient_names, b.patient_names))
    if agent < 0 or patient < 0:
        return None
    if loose:
        return agent, patient
    both_patients = (a.patient or a.patient_names) and (b.patient or b.patient_names)
    if agent + patient == 0 or (both_patients and patient < 1):
        return None
    if a.places and b.places and not a.places & b.places:
        return None
    return agent, patient


def claims_match(a: ClaimKey, b: ClaimKey, loose: bool = False) -> float:
    """How surely two claims are the same (0 = not; see `parties`): more for each
    participant known to be the same."""
    found = parties(a, b, loose)
    return 0.0 if found is None else 0.7 + 0.15 * sum(found)
