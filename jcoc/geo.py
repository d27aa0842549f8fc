"""Kota Jambi's 11 kecamatan with approximate centroids, and checks against them.

The centroids are approximate (good enough to place a marker or pick the nearest district),
not survey data. Dashboard and demo reuse this list; incidents validate against it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Kecamatan:
    name: str
    lat: float
    lon: float


KECAMATAN: tuple[Kecamatan, ...] = (
    Kecamatan("Alam Barajo", -1.6395, 103.5660),
    Kecamatan("Danau Sipin", -1.6040, 103.5900),
    Kecamatan("Danau Teluk", -1.5770, 103.6260),
    Kecamatan("Jambi Selatan", -1.6420, 103.6230),
    Kecamatan("Jambi Timur", -1.6060, 103.6440),
    Kecamatan("Jelutung", -1.6210, 103.6090),
    Kecamatan("Kota Baru", -1.6300, 103.5870),
    Kecamatan("Paal Merah", -1.6560, 103.6430),
    Kecamatan("Pasar Jambi", -1.5893, 103.6129),
    Kecamatan("Pelayangan", -1.5730, 103.6470),
    Kecamatan("Telanaipura", -1.5930, 103.5740),
)

KECAMATAN_NAMES: tuple[str, ...] = tuple(k.name for k in KECAMATAN)

# A generous box around the city: a location outside it is almost surely a typo (lat/lon
# swapped, a missing minus sign).
CITY_BOUNDS = {"lat_min": -1.80, "lat_max": -1.45, "lon_min": 103.45, "lon_max": 103.80}

_BY_KEY = {k.name.casefold().replace(" ", ""): k for k in KECAMATAN}


def find_kecamatan(name: str) -> Kecamatan | None:
    """The kecamatan called `name` (case and spaces ignored), or None."""
    return _BY_KEY.get(name.casefold().replace(" ", "").replace("-", ""))


def canonical_kecamatan(name: str) -> str:
    """The canonical spelling of a kecamatan name; ValueError naming the valid ones."""
    found = find_kecamatan(name)
    if found is None:
        raise ValueError(
            f"unknown kecamatan {name!r}; Kota Jambi's are: {', '.join(KECAMATAN_NAMES)}"
        )
    return found.name


def in_city(lat: float, lon: float) -> bool:
    """Whether a point lies in the box around Kota Jambi."""
    b = CITY_BOUNDS
    return b["lat_min"] <= lat <= b["lat_max"] and b["lon_min"] <= lon <= b["lon_max"]


def nearest_kecamatan(lat: float, lon: float) -> Kecamatan:
    """The kecamatan whose centroid is closest to a point (a fair guess inside the city)."""
    scale = math.cos(math.radians(lat))
    return min(KECAMATAN, key=lambda k: (k.lat - lat) ** 2 + ((k.lon - lon) * scale) ** 2)
