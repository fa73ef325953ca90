"""An explained risk score per recruitment agency, and a ranked worklist.

Each component (licence status, fee breaches, complaints by severity and recency, deceptive
offers, linked trafficking cases, time since the last inspection) gives points with a reason in
words; the weights are versioned data (``data/agency-risk.yaml``). The score ranks agencies for
inspection; it is not a finding.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from vigil.errors import InputError
from vigil.io.yamlfile import read_yaml

__all__ = [
    "LICENCE_STATUSES",
    "SEVERITIES",
    "Agency",
    "AgencyRisk",
    "Complaint",
    "Component",
    "RiskWeights",
    "load_weights",
    "rank",
    "score_agency",
]

LICENCE_STATUSES = ("valid", "pending", "expired", "suspended", "revoked", "none", "unknown")
SEVERITIES = ("low", "medium", "high")


@dataclass(frozen=True)
class Complaint:
    severity: str
    made_on: date


@dataclass(frozen=True)
class Agency:
    id: str
    name: str = ""
    licence_status: str = "unknown"
    fee_breaches: int = 0
    complaints: tuple[Complaint, ...] = ()
    deceptive_offers: int = 0
    trafficking_cases: int = 0
    last_inspection: date | None = None


@dataclass(frozen=True)
class Component:
    name: str
    points: float
    reason: str


@dataclass(frozen=True)
class AgencyRisk:
    agency_id: str
    name: str
    score: float
    components: tuple[Component, ...]
    version: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.agency_id,
            "name": self.name,
            "score": self.score,
            "version": self.version,
            "components": [
                {"component": c.name, "points": c.points, "reason": c.reason} for c in self.components
            ],
        }


@dataclass(frozen=True)
class RiskWeights:
    id: str
    version: str
    components: Mapping[str, Mapping[str, Any]] = field(repr=False)


def load_weights(path: str | Path | None = None) -> RiskWeights:
    file = (
        Path(path)
        if path is not None
        else Path(str(resources.files("vigil.recruitment.data"))) / "agency-risk.yaml"
    )
    data = read_yaml(file, "risk weights file", file.name)
    if not isinstance(data, dict) or not {"id", "version", "components"} <= set(data):
        raise InputError("a risk weights file needs id, version and components", file.name)
    comps = data["components"]
    need = {"licence", "fee_breaches", "complaints", "deceptive_offers", "trafficking_cases", "inspection"}
    if not isinstance(comps, dict) or need - set(comps):
        raise InputError(f"components must include {', '.join(sorted(need))}", file.name)
    return RiskWeights(str(data["id"]), str(data["version"]), comps)


def _capped(points: float, cap: float) -> float:
    return round(min(points, cap), 1)


def score_agency(
    agency: Agency, weights: RiskWeights | None = None, *, as_of: date | None = None
) -> AgencyRisk:
    """The score of one agency and each component's points with its reason."""
    w = weights or load_weights()
    c = w.components
    today = as_of or date.today()
    parts: list[Component] = []
    lic = c["licence"]["points"]
    status = agency.licence_status
    parts.append(
        Component("licence", float(lic.get(status, lic.get("unknown", 0))), f"licence status: {status}")
    )
    fb = c["fee_breaches"]
    parts.append(
        Component(
            "fee_breaches",
            _capped(agency.fee_breaches * fb["per_breach"], fb["cap"]),
            f"{agency.fee_breaches} fee breach(es) found (Employer Pays)"
            if agency.fee_breaches
            else "no fee breach on record",
        )
    )
    cp = c["complaints"]
    total = 0.0
    counts = dict.fromkeys(SEVERITIES, 0)
    for cm in agency.complaints:
        age = max((today - cm.made_on).days, 0)
        total += cp["severity"][cm.severity] * 0.5 ** (age / cp["half_life_days"])
        counts[cm.severity] += 1
    by_severity = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    recent = sum(1 for cm in agency.complaints if (today - cm.made_on).days <= 365)
    reason = (
        "no complaint on record"
        if not agency.complaints
        else f"{len(agency.complaints)} complaint(s) ({by_severity}), "
        f"{recent} in the last year; older ones count less (half-life {cp['half_life_days']} days)"
    )
    parts.append(Component("complaints", _capped(total, cp["cap"]), reason))
    do = c["deceptive_offers"]
    parts.append(
        Component(
            "deceptive_offers",
            _capped(agency.deceptive_offers * do["per_offer"], do["cap"]),
            f"{agency.deceptive_offers} offer(s) with warning signs"
            if agency.deceptive_offers
            else "no deceptive offer on record",
        )
    )
    tc = c["trafficking_cases"]
    parts.append(
        Component(
            "trafficking_cases",
            _capped(agency.trafficking_cases * tc["per_case"], tc["cap"]),
            f"linked to {agency.trafficking_cases} trafficking case(s)"
            if agency.trafficking_cases
            else "no linked trafficking case",
        )
    )
    ins = c["inspection"]
    if agency.last_inspection is None:
        parts.append(Component("inspection", float(ins["never"]), "never inspected"))
    else:
        years = max((today - agency.last_inspection).days, 0) / 365.25
        parts.append(
            Component(
                "inspection",
                _capped(years * ins["per_year_since"], ins["cap"]),
                f"last inspected {agency.last_inspection.isoformat()} ({years:.1f} years ago)",
            )
        )
    return AgencyRisk(agency.id, agency.name, round(sum(p.points for p in parts), 1), tuple(parts), w.version)


def rank(
    agencies: Iterable[Agency], weights: RiskWeights | None = None, *, as_of: date | None = None
) -> list[AgencyRisk]:
    """The agencies by score, highest first (ties by id), for an inspection worklist."""
    w = weights or load_weights()
    scored: Sequence[AgencyRisk] = [score_agency(a, w, as_of=as_of) for a in agencies]
    return sorted(scored, key=lambda r: (-r.score, r.agency_id))
