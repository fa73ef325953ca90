"""World boundaries shipped with Vigil: Natural Earth 1:110m countries (``data/world``).

:func:`countries` decodes the vendored TopoJSON (``world-atlas@2.0.2``, public-domain Natural
Earth data; see ``data/world/README.md``) into GeoJSON features keyed by ISO 3166-1 alpha-3 code,
with a label point for each country (the centroid of its largest ring, by the shoelace formula).
Nothing is fetched at run time.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["Country", "countries", "features", "label_point"]

_DATA = "vigil.stats.data"


@dataclass(frozen=True)
class Country:
    alpha3: str  # "" for the few shapes without a code (N. Cyprus, Somaliland)
    name: str
    geometry: dict[str, Any]  # GeoJSON Polygon or MultiPolygon, lon/lat degrees
    point: tuple[float, float]  # label point (lon, lat)


def _decode_arcs(topo: dict[str, Any]) -> list[list[tuple[float, float]]]:
    scale = topo["transform"]["scale"]
    shift = topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        line = []
        for dx, dy in arc:  # delta-encoded, quantized
            x += dx
            y += dy
            line.append((x * scale[0] + shift[0], y * scale[1] + shift[1]))
        arcs.append(line)
    return arcs


def _ring(arcs: list[list[tuple[float, float]]], indexes: list[int]) -> list[list[float]]:
    out: list[list[float]] = []
    for index in indexes:
        line = arcs[index] if index >= 0 else arcs[~index][::-1]
        points = line if not out else line[1:]  # consecutive arcs share an end point
        out.extend([x, y] for x, y in points)
    return out


def _area_centroid(ring: list[list[float]]) -> tuple[float, float, float]:
    if max(p[0] for p in ring) - min(p[0] for p in ring) > 180:  # across the antimeridian (Russia)
        ring = [[x + 360 if x < 0 else x, y] for x, y in ring]
    area = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
        cross = x0 * y1 - x1 * y0
        area += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    if area == 0:
        xs, ys = [p[0] for p in ring], [p[1] for p in ring]
        return 0.0, sum(xs) / len(xs), sum(ys) / len(ys)
    return abs(area / 2), cx / (3 * area), cy / (3 * area)


def label_point(geometry: dict[str, Any]) -> tuple[float, float]:
    """The centroid of the largest outer ring (a country's main land, not its islands)."""
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    best = max((_area_centroid(poly[0]) for poly in polygons), key=lambda t: t[0])
    lon = best[1] - 360 if best[1] > 180 else best[1]
    return round(lon, 3), round(best[2], 3)


@cache
def countries() -> dict[str, Country]:
    """Every country of the shipped map with a code, by alpha-3 code."""
    base = resources.files(_DATA) / "world"
    topo = json.loads((base / "countries-110m.json").read_text(encoding="utf-8"))
    codes = list(csv.DictReader((base / "countries-110m-iso.csv").read_text(encoding="utf-8").splitlines()))
    arcs = _decode_arcs(topo)
    out: dict[str, Country] = {}
    for geom, code in zip(topo["objects"]["countries"]["geometries"], codes, strict=True):
        if geom["properties"]["name"] != code["name"]:
            raise ValueError(f"data/world: codes out of step at {code['name']!r}")
        if geom["type"] == "Polygon":
            geometry = {"type": "Polygon", "coordinates": [_ring(arcs, r) for r in geom["arcs"]]}
        else:
            geometry = {
                "type": "MultiPolygon",
                "coordinates": [[_ring(arcs, r) for r in poly] for poly in geom["arcs"]],
            }
        key = code["alpha3"] or f"_{code['name']}"
        out[key] = Country(code["alpha3"], code["name"], geometry, label_point(geometry))
    return out


def features() -> list[dict[str, Any]]:
    """The map as GeoJSON features (``properties``: ``iso`` alpha-3 and ``name``)."""
    return [
        {"type": "Feature", "geometry": c.geometry, "properties": {"iso": c.alpha3, "name": c.name}}
        for c in countries().values()
    ]
