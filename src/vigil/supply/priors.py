"""Inherent risk of a node (its own risk p(n) before propagation), each value naming its source.

In order: a ``prior`` given in the nodes file; else the TVPRA list for the node's good (or its
sector) in its country: forced labour (or forced child labour) listed gives ``FORCED``, child
labour only ``CHILD``, a good made with a listed input ``DERIVED``; else a country that the list
does not name for that good gives ``UNLISTED``. A ``sector`` that is one of the seeds' high-risk
sectors (ISIC Rev.4, ``sectors.py``) raises that to the sector's prior, naming its row; a node
with neither country nor good has the ``unknown`` prior (missing data raises risk). A
recruiter's facts then raise it: an unlicensed, expired, suspended or revoked licence to at
least ``UNLICENSED``, fee breaches to at least ``FEE_BREACH``. The numbers are parameters, not
findings; their sources are listed with them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from vigil.supply.network import Node
from vigil.supply.sectors import SectorPrior, sector_prior, tvpra_sector
from vigil.supply.tvpra import EDITION, ListedGood, shipped_tvpra

FORCED = 0.9
CHILD = 0.6
DERIVED = 0.7
UNLISTED = 0.1
UNLICENSED = 0.7
FEE_BREACH = 0.8


@dataclass(frozen=True)
class Prior:
    value: float
    sources: tuple[str, ...]


def _key(text: str) -> str:
    return " ".join(text.lower().split())


def _grade(row: ListedGood) -> tuple[float, str]:
    if row.forced_labor or row.forced_child_labor:
        return FORCED, "forced labour"
    if row.derived:
        return DERIVED, "made with a listed input"
    return CHILD, "child labour"


def node_prior(node: Node, unknown_prior: float = 0.5,
               tvpra: Sequence[ListedGood] | None = None,
               sectors: tuple[SectorPrior, ...] | None = None) -> Prior:
    rows = shipped_tvpra() if tvpra is None else tvpra
    if node.prior is not None:
        value, sources = node.prior, [f"prior given ({node.place}, column prior)"]
    elif node.country and (node.good or node.sector):
        want_good, want_sector = _key(node.good), _key(tvpra_sector(node.sector))
        hits = [r for r in rows if r.iso3 == node.country
                and ((want_good and _key(r.good) == want_good)
                     or (not want_good and _key(r.sector) == want_sector))]
        if hits:
            graded = sorted(((*_grade(r), r) for r in hits), key=lambda t: (-t[0], t[2].source_row))
            value = graded[0][0]
            sources = [f"{why}: {r.source}" for v, why, r in graded if v == value]
        else:
            what = f"good {node.good!r}" if want_good else f"sector {node.sector!r}"
            edition = rows[0].edition if rows else EDITION
            value, sources = UNLISTED, [f"{what} in {node.country} not on the {edition}"]
        high = sector_prior(node.sector, sectors) if node.sector else None
        if high is not None and high.value > value:
            value, sources = high.value, [high.source]
        elif high is not None and high.value == value:
            sources.append(high.source)
    elif node.kind == "company":
        value, sources = 0.0, ["the company itself (its own risk comes from its inputs)"]
    else:
        value, sources = unknown_prior, ["no prior, and no country with a good or sector: unknown_prior"]
    if node.licence in ("none", "expired", "suspended", "revoked") and value < UNLICENSED:
        value = UNLICENSED
        sources.append(f"recruiter licence {node.licence} ({node.place}, column licence)")
    if node.fee_breaches and value < FEE_BREACH:
        value = FEE_BREACH
        sources.append(f"{node.fee_breaches} recruitment fee breach(es) ({node.place}, column fee_breaches)")
    return Prior(value, tuple(sources))
