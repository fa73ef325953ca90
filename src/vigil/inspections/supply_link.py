"""Supply-chain exposure of a workplace from the supply register (``vigil.supply``).

A workplace of the inspection register is matched to a supplier or facility of a supply-chain
network (the compliance teams' import, risk propagated by ``vigil.supply.propagation``): by its
registration number (the entity's id in the import), else by its name (normalised as for
recruitment agencies, ``vigil.recruitment.names.normalise_name``, compared with rapidfuzz) at or
above ``match_at``. The matched entity gives the planning's ``supply_chain`` component its value:
the entity's worst-path risk R or its exposure E (``measure`` in the weights file), the highest
when several entities match, and the reason names the entity, how it was matched and its path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from vigil.recruitment.names import normalise_name

__all__ = ["Candidate", "SupplyMatch", "match_workplaces"]


@dataclass(frozen=True)
class Candidate:
    """A supplier or facility with its propagated risk (R), exposure (E) and worst path (names)."""

    key: str
    name: str
    ref: str
    risk: float
    exposure: float
    path: tuple[str, ...] = ()


@dataclass(frozen=True)
class SupplyMatch:
    value: float
    note: str


def _note(c: Candidate, how: str, measure: str, score: float | None) -> str:
    what = "worst-path risk" if measure == "risk" else "exposure"
    by = "registration number" if how == "registration" else f"name ({score:.0f}/100)"
    path = f"; path {' -> '.join(c.path)}" if len(c.path) > 1 else ""
    return f"{what} of {c.name!r} in the supply register, matched by {by}{path}"


def match_workplaces(
    workplaces: Sequence[tuple[str, str, str]],
    candidates: Sequence[Candidate],
    *,
    measure: str = "risk",
    match_at: float = 92.0,
) -> dict[str, SupplyMatch]:
    """{workplace id: its match} for the workplaces ``(id, name, registration number)`` that
    match a candidate; a workplace that matches none is left out."""
    from rapidfuzz import fuzz, process

    if not candidates:
        return {}
    by_ref: dict[str, list[Candidate]] = {}
    for c in candidates:
        if c.ref.strip():
            by_ref.setdefault(c.ref.strip().upper(), []).append(c)
    names = [normalise_name(c.name) for c in candidates]

    def value(c: Candidate) -> float:
        return c.risk if measure == "risk" else c.exposure

    out: dict[str, SupplyMatch] = {}
    for wid, name, reg in workplaces:
        found: list[tuple[Candidate, str, float | None]] = [
            (c, "registration", None) for c in by_ref.get(reg.strip().upper(), []) if reg.strip()
        ]
        if not found and name.strip():
            key = normalise_name(name)
            if key:
                for _n, score, i in process.extract(
                    key, names, scorer=fuzz.ratio, score_cutoff=match_at, limit=5
                ):
                    found.append((candidates[i], "name", float(score)))
        if found:
            best = max(found, key=lambda t: (value(t[0]), t[0].key))
            out[wid] = SupplyMatch(
                min(max(value(best[0]), 0.0), 1.0), _note(best[0], best[1], measure, best[2])
            )
    return out
