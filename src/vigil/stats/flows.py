"""Flows of persons between countries, from the migration-stage timeline, disclosure-checked.

A case's journey is the countries of its ``recruitment``, ``journey`` and ``work`` stages in the
order of the timeline (start date, then the order recorded; a stage without a country is
skipped, a country repeated in a row is one stay): the first is the *origin*, the last the
*destination*, those between *transit*. Each pair of consecutive countries is a *leg*
(Nepal -> Qatar, Qatar -> Italy); a journey within one country is the leg ``X -> X``.

:func:`compute` counts the persons on each leg (a person once per leg) in a square table,
origin of the leg by destination of the leg, with its totals (persons leaving and arriving in
each country on a leg), and passes it through :func:`vigil.stats.disclosure.suppress_table`:
counts below ``k`` are hidden with the cells that would give them back. Only published legs are
drawn or tabulated with a number; hidden legs are listed with the reason, as elsewhere. The exit
and return stages are not part of the flow (a return is not the movement into exploitation).

**Regions.** A stage may also record its first-level subdivision (ISO 3166-2). :func:`region_journeys`
makes the journeys with a *place* per stop, the region where the stage has one, else the country
(a stage without a region next to a stage of the same country is the same stop), and
:func:`compute_regions` breaks the country legs of a :class:`FlowResult` down into region legs.
The break-down is shown for a country leg only when that leg is published in the country table
and every region leg in it reaches ``k``: then the region legs only split a published count into
published counts, and no hidden country leg can be got back by adding region legs up. Otherwise
the leg is shown as in the country table (or, for moves between regions of one country that
the country table has no leg for, withheld). Region totals are not published (the countries'
totals are).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from vigil.errors import InputError
from vigil.stats import subdivisions
from vigil.stats.disclosure import DEFAULT_K, suppress_table

__all__ = [
    "FLOW_STAGES",
    "FlowResult",
    "Journey",
    "Leg",
    "RegionFlowResult",
    "RegionLeg",
    "compute",
    "compute_regions",
    "journeys",
    "place_country",
    "region_journeys",
]

FLOW_STAGES = ("recruitment", "journey", "work")


@dataclass(frozen=True)
class Journey:
    case: Any
    path: tuple[str, ...]  # origin, transit..., destination (alpha-3 codes)

    @property
    def origin(self) -> str:
        return self.path[0]

    @property
    def destination(self) -> str:
        return self.path[-1]

    @property
    def transit(self) -> tuple[str, ...]:
        return self.path[1:-1]

    def legs(self) -> set[tuple[str, str]]:
        if len(self.path) == 1:
            return {(self.path[0], self.path[0])}
        return set(zip(self.path, self.path[1:], strict=False))


def journeys(stages: Iterable[Mapping[str, Any]]) -> list[Journey]:
    """The journeys of the cases of ``stages`` (mappings with ``case_id``, ``stage``, ``country``,
    ``start_date`` (a date or None) and optionally ``id``, the order recorded). Cases whose stages
    have no country have no journey."""
    by_case: dict[Any, list[tuple[int, dt.date, int, str]]] = {}
    for n, row in enumerate(stages):
        if row.get("stage") not in FLOW_STAGES:
            continue
        country = str(row.get("country") or "").strip().upper()
        if not country:
            continue
        if len(country) != 3 or not country.isalpha():
            raise InputError(f"country must be an ISO 3166-1 alpha-3 code, found {country!r}",
                             f"stage of case {row.get('case_id')}")
        start = row.get("start_date")
        key = (0 if start is not None else 1, start or dt.date.min, int(row.get("id") or n), country)
        by_case.setdefault(row["case_id"], []).append(key)
    out = []
    for case, items in by_case.items():
        path: list[str] = []
        for *_order, country in sorted(items):
            if not path or path[-1] != country:
                path.append(country)
        out.append(Journey(case, tuple(path)))
    return sorted(out, key=lambda j: str(j.case))


@dataclass(frozen=True)
class Leg:
    origin: str
    destination: str
    persons: int | None  # None: hidden
    reason: str = ""  # "primary" (fewer than k) or "secondary" (would give a hidden cell back)


@dataclass(frozen=True)
class FlowResult:
    countries: list[str]  # the rows and columns of the table, in order
    legs: list[Leg]  # every leg some person made (published or hidden), largest first
    leaving: dict[str, int | None]  # persons leaving each country on a leg (row totals)
    arriving: dict[str, int | None]  # persons arriving (column totals)
    margin_reasons: dict[str, str]  # "leaving FRA" / "arriving FRA" -> reason, for hidden totals
    total: int | None  # persons-legs in all
    persons: int  # journeys counted (not published when below k: see ``total``)
    k: int

    @property
    def published(self) -> list[Leg]:
        return [leg for leg in self.legs if leg.persons is not None]

    @property
    def suppressed(self) -> list[Leg]:
        return [leg for leg in self.legs if leg.persons is None]

    def to_dict(self) -> dict[str, Any]:
        return {
            "k": self.k,
            "countries": self.countries,
            "legs": [
                {"origin": g.origin, "destination": g.destination, "persons": g.persons, "reason": g.reason}
                for g in self.legs
            ],
            "leaving": self.leaving,
            "arriving": self.arriving,
            "hidden_totals": self.margin_reasons,
            "total": self.total,
        }


def compute(items: Iterable[Journey], k: int = DEFAULT_K) -> FlowResult:
    """Persons per leg, with every cell and total disclosure-checked (see the module)."""
    if k < 1:
        raise InputError(f"k must be at least 1, found {k}", "k")
    items = list(items)
    codes = sorted({c for j in items for c in j.path})
    if not codes:
        return FlowResult([], [], {}, {}, {}, 0, 0, k)
    index = {c: i for i, c in enumerate(codes)}
    matrix = np.zeros((len(codes), len(codes)), dtype=np.int64)
    for journey in items:
        for a, b in journey.legs():
            matrix[index[a], index[b]] += 1
    table = suppress_table(matrix, k)
    pub = table.published()
    n = len(codes)
    legs = []
    for i, j in zip(*np.nonzero(matrix | table.suppressed[:n, :n]), strict=True):
        hidden = bool(table.suppressed[i, j])
        reason = ("primary" if table.primary[i, j] else "secondary") if hidden else ""
        value = pub[i][j]
        legs.append(Leg(codes[i], codes[j], None if hidden else int(value or 0), reason))
    legs.sort(key=lambda g: (g.persons is None, -(g.persons or 0), g.origin, g.destination))
    reasons: dict[str, str] = {}
    leaving: dict[str, int | None] = {}
    arriving: dict[str, int | None] = {}
    for i, code in enumerate(codes):
        for label, value, hidden, primary, out in (
            ("leaving", pub[i][n], table.suppressed[i, n], table.primary[i, n], leaving),
            ("arriving", pub[n][i], table.suppressed[n, i], table.primary[n, i], arriving),
        ):
            out[code] = None if hidden else int(value or 0)
            if hidden:
                reasons[f"{label} {code}"] = "primary" if primary else "secondary"
    grand = pub[n][n]
    return FlowResult(codes, legs, leaving, arriving, reasons, None if grand is None else int(grand),
                      len(items), k)


# --- regions -------------------------------------------------------------------------------------


def place_country(place: str) -> str:
    """The alpha-3 country of a place of a region journey (a region code or a country code)."""
    return place if len(place) == 3 else (subdivisions.country_of(place) or place)


def region_journeys(stages: Iterable[Mapping[str, Any]]) -> list[Journey]:
    """Like :func:`journeys`, with ``region`` (ISO 3166-2, may be empty) in the mappings: each stop
    is the region when the stage has one of its country, else the country. A stage without a
    region next to a stop in the same country is that stop (a region found later names it)."""
    by_case: dict[Any, list[tuple[int, dt.date, int, str, str]]] = {}
    for n, row in enumerate(stages):
        if row.get("stage") not in FLOW_STAGES:
            continue
        country = str(row.get("country") or "").strip().upper()
        if not country:
            continue
        if len(country) != 3 or not country.isalpha():
            raise InputError(f"country must be an ISO 3166-1 alpha-3 code, found {country!r}",
                             f"stage of case {row.get('case_id')}")
        region = str(row.get("region") or "").strip().upper()
        if region and subdivisions.country_of(region) != country:
            region = ""  # not a region of the stage's country: the country is what is known
        start = row.get("start_date")
        key = (0 if start is not None else 1, start or dt.date.min, int(row.get("id") or n), country, region)
        by_case.setdefault(row["case_id"], []).append(key)
    out = []
    for case, items in by_case.items():
        stops: list[list[str]] = []  # [country, region]
        for *_order, country, region in sorted(items):
            last = stops[-1] if stops else None
            if last is not None and last[0] == country and (not region or not last[1] or last[1] == region):
                last[1] = last[1] or region
            else:
                stops.append([country, region])
        out.append(Journey(case, tuple(region or country for country, region in stops)))
    return sorted(out, key=lambda j: str(j.case))


@dataclass(frozen=True)
class RegionLeg:
    origin: str  # a region code, or a country code where the stage has no region
    destination: str
    persons: int | None  # None: hidden or withheld
    reason: str = ""  # "primary", "secondary" (as the country leg), "regions" (a region leg below k:
    #                   the country leg shown instead) or "country" (no published country leg)
    detailed: bool = False  # a region leg (True) or the country leg standing for its regions


@dataclass(frozen=True)
class RegionFlowResult:
    legs: list[RegionLeg]
    k: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "k": self.k,
            "legs": [
                {"origin": g.origin, "destination": g.destination, "persons": g.persons,
                 "reason": g.reason, "regions": g.detailed}
                for g in self.legs
            ],
        }


def compute_regions(items: Iterable[Journey], countries: FlowResult) -> RegionFlowResult:
    """The region legs of the journeys ``items`` (from :func:`region_journeys`) where the country
    table ``countries`` (from :func:`compute` over the same cases) allows them (see the module)."""
    k = countries.k
    items = list(items)
    places = sorted({p for j in items for p in j.path})
    if not places:
        return RegionFlowResult([], k)
    index = {p: i for i, p in enumerate(places)}
    matrix = np.zeros((len(places), len(places)), dtype=np.int64)
    for journey in items:
        for a, b in journey.legs():
            matrix[index[a], index[b]] += 1
    table = suppress_table(matrix, k, margins=False)  # counts below k, nothing else published
    blocks: dict[tuple[str, str], list[tuple[str, str, int, bool]]] = {}
    for i, j in zip(*np.nonzero(matrix), strict=True):
        a, b = places[i], places[j]
        blocks.setdefault((place_country(a), place_country(b)), []).append(
            (a, b, int(matrix[i, j]), bool(table.suppressed[i, j]))
        )
    by_country = {(g.origin, g.destination): g for g in countries.legs}
    legs: list[RegionLeg] = []
    for block, cells in blocks.items():
        leg = by_country.get(block)
        if leg is not None and leg.persons is not None and not any(hidden for *_x, hidden in cells):
            legs.extend(RegionLeg(a, b, n, "", True) for a, b, n, _hidden in cells)
        elif leg is not None:
            reason = leg.reason or "regions"
            legs.append(RegionLeg(leg.origin, leg.destination, leg.persons if not leg.reason else None,
                                  reason))
        else:
            legs.append(RegionLeg(block[0], block[1], None, "country"))
    # a country leg with no region journey behind it (cannot happen over the same cases) is kept
    seen = set(blocks)
    legs.extend(RegionLeg(g.origin, g.destination, g.persons, g.reason) for g in countries.legs
                if (g.origin, g.destination) not in seen)
    legs.sort(key=lambda g: (g.persons is None, -(g.persons or 0), g.origin, g.destination))
    return RegionFlowResult(legs, k)
