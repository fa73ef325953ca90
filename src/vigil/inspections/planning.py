"""A risk-ranked inspection worklist: explained components per workplace, weights as data.

Each workplace gets points from seven components, each with a reason in words:

- ``sector``: a prior by ISIC Rev.4 section or division (agriculture, fishing, construction,
  garments, domestic work score higher: the seeds' sectors);
- ``region``: a prior by region (border or seasonal-work regions, as a team configures);
- ``findings``: past findings of inspections, by kind (a forced-labour indicator weighs more
  than a labour-law violation, a forced-labour finding more still), halved every
  ``half_life_days`` since the visit that found them; a finding remediated (an enforcement
  action on it complied with, verified at a follow-up visit) counts ``remediated_factor`` of
  its points: the employer risk moves with remediation;
- ``complaints``: complaints still open about the workplace;
- ``recruiters``: known recruiters that are unlicensed or breaching (fee breaches, upheld
  complaints, sanctions in the recruitment registry);
- ``supply_chain``: a value in [0, 1] from the supply chain: the register's exposure of the
  workplace through its buyers, or, when the workplace matches a supplier or facility of the
  supply register (``vigil.inspections.supply_link``), that entity's worst-path risk or exposure
  (``measure``), the reason naming the entity and its path;
- ``last_visit``: time since the last visit (never visited scores the cap).

The weights are versioned data (``data/inspection-risk.yaml``); a plan keeps the version it was
ranked with. The score orders a worklist; it is not a finding about any employer.

Two implementations of the same arithmetic: :func:`score_workplace` for one workplace (plain
Python, the reference) and :func:`rank` for many at once (numpy columns: 200,000 workplaces and a
million past findings in well under a second). Tests hold them equal.

:class:`FindingTotals` holds the findings of each workplace summed once: with ``age = as_of -
found_on``, ``0.5 ** (age / h) = 2 ** ((found_on - EPOCH) / h) * 2 ** (-(as_of - EPOCH) / h)``, so
the sums of ``2 ** ((found_on - EPOCH) / h)`` by kind do not depend on the plan's date. A server
keeps them up to date as findings are written and ranks from them without reading every finding
(``rank(..., totals=...)``); they serve while the half-life is the one they were summed with and
no finding is dated after the plan's day (else the findings themselves are read).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from vigil.errors import InputError
from vigil.io.yamlfile import read_yaml

__all__ = [
    "COMPONENTS",
    "EPOCH",
    "FINDING_KINDS",
    "Component",
    "FindingColumns",
    "FindingTotals",
    "PastFinding",
    "Plan",
    "PlanLine",
    "PlanWeights",
    "Workplace",
    "WorkplaceColumns",
    "isic_section",
    "load_weights",
    "rank",
    "score_workplace",
]

COMPONENTS = ("sector", "region", "findings", "complaints", "recruiters", "supply_chain", "last_visit")
#: kinds of past finding, lightest first (``vigil.inspections.findings`` gives them)
FINDING_KINDS = ("violation", "indicator", "forced_labour")
_KIND_WORDS = {
    "violation": "labour-law violation(s)",
    "indicator": "forced-labour indicator(s)",
    "forced_labour": "forced-labour finding(s)",
}

# ISIC Rev.4: the section of each 2-digit division (first division of each section)
_SECTION_STARTS = (
    (1, "A"), (5, "B"), (10, "C"), (35, "D"), (36, "E"), (41, "F"), (45, "G"), (49, "H"),
    (55, "I"), (58, "J"), (64, "K"), (68, "L"), (69, "M"), (77, "N"), (84, "O"), (85, "P"),
    (86, "Q"), (90, "R"), (94, "S"), (97, "T"), (99, "U"),
)  # fmt: skip
_SECTIONS = frozenset(s for _d, s in _SECTION_STARTS)


def section_divisions(section: str) -> list[str]:
    """The two-digit ISIC Rev.4 divisions of a section letter (``F`` -> ``41, 42, 43``); empty
    for an unknown letter."""
    letter = section.strip().upper()
    starts = [start for start, sec in _SECTION_STARTS] + [100]
    for i, (start, sec) in enumerate(_SECTION_STARTS):
        if sec == letter:
            return [f"{d:02d}" for d in range(start, starts[i + 1])]
    return []


def isic_section(code: str) -> str | None:
    """The ISIC Rev.4 section letter of a section (``A``) or a code of 2 to 4 digits
    (``0111``, ``14``); None when ``code`` is neither."""
    c = code.strip().upper()
    if len(c) == 1 and c in _SECTIONS:
        return c
    if 2 <= len(c) <= 4 and c.isdigit():
        div = int(c[:2])
        section = None
        for start, letter in _SECTION_STARTS:
            if div >= start:
                section = letter
        return section if div <= 99 and div >= 1 else None
    return None


# --- weights ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanWeights:
    id: str
    version: str
    sections: Mapping[str, float]
    divisions: Mapping[str, float]
    sector_default: float
    region_priors: Mapping[str, float]
    region_default: float
    finding_points: Mapping[str, float]
    half_life_days: float
    remediated_factor: float
    findings_cap: float
    per_complaint: float
    complaints_cap: float
    per_unlicensed: float
    per_breaching: float
    recruiters_cap: float
    supply_points: float
    supply_measure: str
    supply_match_at: float
    never_visited: float
    per_year_since: float
    last_visit_cap: float
    source: str = field(default="", compare=False)

    def sector_prior(self, code: str) -> float:
        c = code.strip().upper()
        if len(c) >= 2 and c[:2] in self.divisions:
            return float(self.divisions[c[:2]])
        sec = isic_section(c)
        return float(self.sections.get(sec, self.sector_default)) if sec else self.sector_default

    def region_prior(self, region: str) -> float:
        return float(self.region_priors.get(region, self.region_default))


def _get(data: Any, path: str, where: str) -> Any:
    node = data
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            raise InputError(f"missing key {path!r}", where)
        node = node[part]
    return node


def _number(data: Any, path: str, where: str) -> float:
    value = _get(data, path, where)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise InputError(f"key {path!r}: expected a number >= 0", where)
    return float(value)


def _table(data: Any, path: str, where: str) -> dict[str, float]:
    value = _get(data, path, where)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError(f"key {path!r}: expected a mapping of codes to points", where)
    return {str(k): _number(value, str(k), f"{where}, key {path}") for k in value}


def _measure(data: Any, where: str) -> str:
    value = _get(data, "components.supply_chain.measure", where)
    if value not in ("risk", "exposure"):
        raise InputError("key 'components.supply_chain.measure': expected risk or exposure", where)
    return str(value)


def _match_at(data: Any, where: str) -> float:
    value = _number(data, "components.supply_chain.match_name_at", where)
    if not 50 <= value <= 100:
        raise InputError(
            "key 'components.supply_chain.match_name_at': expected a score from 50 to 100", where
        )
    return value


def load_weights(path: str | Path | None = None) -> PlanWeights:
    """Read and check a weights file (default: the shipped ``inspection-risk.yaml``); a missing
    or invalid key is an ``InputError`` naming the file and the key."""
    file = (
        Path(path)
        if path is not None
        else Path(str(resources.files("vigil.inspections.data"))) / "inspection-risk.yaml"
    )
    where = file.name
    data = read_yaml(file, "inspection weights file", where)
    if not isinstance(data, dict):
        raise InputError("a weights file is a mapping with id, version and components", where)
    for key in ("id", "version"):
        value = _get(data, key, where)
        if not isinstance(value, str | int | float) or isinstance(value, bool) or not str(value).strip():
            raise InputError(f"key {key!r}: expected a non-empty string", where)
    comps = _get(data, "components", where)
    unknown = sorted(set(comps) - set(COMPONENTS)) if isinstance(comps, dict) else []
    if unknown:
        raise InputError(f"unknown component {unknown[0]!r} (known: {', '.join(COMPONENTS)})", where)
    kinds = _table(data, "components.findings.kinds", where)
    missing = [k for k in FINDING_KINDS if k not in kinds]
    if missing:
        raise InputError(f"missing key 'components.findings.kinds.{missing[0]}'", where)
    extra = sorted(set(kinds) - set(FINDING_KINDS))
    if extra:
        raise InputError(
            f"key 'components.findings.kinds.{extra[0]}': not a kind of finding ({', '.join(FINDING_KINDS)})",
            where,
        )
    sections = _table(data, "components.sector.sections", where)
    bad = [s for s in sections if s not in _SECTIONS]
    if bad:
        raise InputError(f"key 'components.sector.sections.{bad[0]}': not an ISIC Rev.4 section", where)
    divisions = _table(data, "components.sector.divisions", where)
    bad = [d for d in divisions if not (len(d) == 2 and d.isdigit() and isic_section(d))]
    if bad:
        raise InputError(f"key 'components.sector.divisions.{bad[0]}': not an ISIC Rev.4 division", where)
    half_life = _number(data, "components.findings.half_life_days", where)
    if half_life <= 0:
        raise InputError("key 'components.findings.half_life_days': expected a number > 0", where)
    def n(key: str) -> float:
        return _number(data, f"components.{key}", where)
    remediated = n("findings.remediated_factor")
    if remediated > 1:
        raise InputError("key 'components.findings.remediated_factor': expected a number in [0, 1]", where)
    return PlanWeights(
        id=str(data["id"]),
        version=str(data["version"]),
        sections=sections,
        divisions=divisions,
        sector_default=n("sector.default"),
        region_priors=_table(data, "components.region.priors", where),
        region_default=n("region.default"),
        finding_points=kinds,
        half_life_days=half_life,
        remediated_factor=remediated,
        findings_cap=n("findings.cap"),
        per_complaint=n("complaints.per_complaint"),
        complaints_cap=n("complaints.cap"),
        per_unlicensed=n("recruiters.per_unlicensed"),
        per_breaching=n("recruiters.per_breaching"),
        recruiters_cap=n("recruiters.cap"),
        supply_points=n("supply_chain.points"),
        supply_measure=_measure(data, where),
        supply_match_at=_match_at(data, where),
        never_visited=n("last_visit.never"),
        per_year_since=n("last_visit.per_year_since"),
        last_visit_cap=n("last_visit.cap"),
        source=where,
    )


# --- input -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Workplace:
    """One workplace as the plan reads it (the server and the CLI build these)."""

    id: str
    name: str = ""
    sector: str = ""
    region: str = ""
    open_complaints: int = 0
    unlicensed_recruiters: int = 0
    breaching_recruiters: int = 0
    #: exposure through buyers in [0, 1]; None when no supply-chain data covers the workplace
    supply_exposure: float | None = None
    last_visit: date | None = None
    #: where ``supply_exposure`` comes from when the supply register gave it (empty: the register)
    supply_note: str = ""


@dataclass(frozen=True)
class PastFinding:
    workplace_id: str
    kind: str
    found_on: date
    #: an enforcement action on it was complied with (verified at a follow-up visit)
    remediated: bool = False


DateArray = npt.NDArray[np.datetime64]
NAT = np.datetime64("NaT", "D")


@dataclass
class WorkplaceColumns:
    """Workplaces as columns (one entry per workplace, in any order)."""

    ids: npt.NDArray[np.str_]
    names: npt.NDArray[np.str_]
    sector: npt.NDArray[np.str_]
    region: npt.NDArray[np.str_]
    open_complaints: npt.NDArray[np.int64]
    unlicensed_recruiters: npt.NDArray[np.int64]
    breaching_recruiters: npt.NDArray[np.int64]
    #: NaN where unknown
    supply_exposure: npt.NDArray[np.float64]
    #: NaT where never visited
    last_visit: DateArray
    #: where the supply value comes from ("" for the register's own); None: all from the register
    supply_note: npt.NDArray[np.str_] | None = None

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    @classmethod
    def from_records(cls, workplaces: Sequence[Workplace]) -> WorkplaceColumns:
        return cls(
            ids=np.array([w.id for w in workplaces], dtype=str),
            names=np.array([w.name for w in workplaces], dtype=str),
            sector=np.array([w.sector for w in workplaces], dtype=str),
            region=np.array([w.region for w in workplaces], dtype=str),
            open_complaints=np.array([w.open_complaints for w in workplaces], dtype=np.int64),
            unlicensed_recruiters=np.array([w.unlicensed_recruiters for w in workplaces], dtype=np.int64),
            breaching_recruiters=np.array([w.breaching_recruiters for w in workplaces], dtype=np.int64),
            supply_exposure=np.array(
                [np.nan if w.supply_exposure is None else w.supply_exposure for w in workplaces],
                dtype=np.float64,
            ),
            last_visit=np.array(
                [NAT if w.last_visit is None else np.datetime64(w.last_visit, "D") for w in workplaces],
                dtype="datetime64[D]",
            ),
            supply_note=np.array([w.supply_note for w in workplaces], dtype=str),
        )

    def check(self) -> None:
        """Raise ``InputError`` naming the first workplace with a value out of range."""
        n = len(self)
        for name in (
            "names",
            "sector",
            "region",
            "open_complaints",
            "unlicensed_recruiters",
            "breaching_recruiters",
            "supply_exposure",
            "last_visit",
        ):
            if getattr(self, name).shape != (n,):
                raise InputError(f"column {name}: {getattr(self, name).shape[0]} values for {n} workplaces")
        if self.supply_note is not None and self.supply_note.shape != (n,):
            raise InputError(f"column supply_note: {self.supply_note.shape[0]} values for {n} workplaces")
        for name in ("open_complaints", "unlicensed_recruiters", "breaching_recruiters"):
            bad = np.flatnonzero(getattr(self, name) < 0)
            if bad.size:
                raise InputError(
                    "expected a whole number >= 0", f"workplace {str(self.ids[bad[0]])!r}, {name}"
                )
        ex = self.supply_exposure
        bad = np.flatnonzero(~np.isnan(ex) & ((ex < 0) | (ex > 1)))
        if bad.size:
            raise InputError(
                "expected a number in [0, 1]", f"workplace {str(self.ids[bad[0]])!r}, supply_exposure"
            )
        uniq, counts = np.unique(self.ids, return_counts=True)
        if (counts > 1).any():
            raise InputError("workplace id given twice", f"workplace {str(uniq[counts > 1][0])!r}")


@dataclass
class FindingColumns:
    """Past findings as columns: the workplace (a position in ``WorkplaceColumns``), the kind (a
    position in ``FINDING_KINDS``) and the date of the visit that found it."""

    workplace: npt.NDArray[np.int64]
    kind: npt.NDArray[np.int8]
    found_on: DateArray
    #: remediated (see ``PastFinding.remediated``); None: none is
    remediated: npt.NDArray[np.bool_] | None = None

    def __len__(self) -> int:
        return int(self.workplace.shape[0])

    def remediated_mask(self) -> npt.NDArray[np.bool_]:
        if self.remediated is None:
            return np.zeros(len(self), dtype=bool)
        return self.remediated

    @classmethod
    def empty(cls) -> FindingColumns:
        return cls(np.zeros(0, np.int64), np.zeros(0, np.int8), np.zeros(0, "datetime64[D]"))

    @classmethod
    def from_records(cls, findings: Iterable[PastFinding], workplace_ids: Sequence[str]) -> FindingColumns:
        pos = {w: i for i, w in enumerate(workplace_ids)}
        codes = {k: i for i, k in enumerate(FINDING_KINDS)}
        wp: list[int] = []
        kind: list[int] = []
        when: list[date] = []
        fixed: list[bool] = []
        for k, f in enumerate(findings, start=1):
            if f.workplace_id not in pos:
                raise InputError(f"unknown workplace {f.workplace_id!r}", f"finding {k}")
            if f.kind not in codes:
                raise InputError(f"kind must be one of {', '.join(FINDING_KINDS)}", f"finding {k}")
            wp.append(pos[f.workplace_id])
            kind.append(codes[f.kind])
            when.append(f.found_on)
            fixed.append(bool(f.remediated))
        return cls(
            np.array(wp, dtype=np.int64),
            np.array(kind, dtype=np.int8),
            np.array(when, dtype="datetime64[D]"),
            np.array(fixed, dtype=bool),
        )


EPOCH = date(1970, 1, 1)
#: below this half-life the sums of 2 ** (days / h) could overflow: the findings are read instead
MIN_TOTALS_HALF_LIFE = 60.0


@dataclass
class FindingTotals:
    """The past findings of each workplace (rows aligned with ``WorkplaceColumns``), summed."""

    half_life_days: float
    #: (n, len(FINDING_KINDS)) findings by kind
    counts: npt.NDArray[np.int64]
    #: (n,) remediated findings
    remediated: npt.NDArray[np.int64]
    #: (n, len(FINDING_KINDS)) sums of 2 ** ((found_on - EPOCH) / h), findings not remediated
    open_sums: npt.NDArray[np.float64]
    #: the same for remediated findings
    fixed_sums: npt.NDArray[np.float64]
    #: (n,) the latest finding's day, NaT for none
    latest: DateArray

    @classmethod
    def from_findings(cls, f: FindingColumns, n: int, half_life_days: float) -> FindingTotals:
        nk = len(FINDING_KINDS)
        fixed = f.remediated_mask()
        cell = f.workplace * nk + f.kind.astype(np.int64)
        days = (f.found_on - np.datetime64(EPOCH, "D")).astype(np.int64)
        grow = np.power(2.0, days / half_life_days)
        counts = np.bincount(cell, minlength=n * nk).reshape(n, nk).astype(np.int64)
        open_sums: npt.NDArray[np.float64] = np.asarray(
            np.bincount(cell[~fixed], weights=grow[~fixed], minlength=n * nk), dtype=np.float64
        ).reshape(n, nk)
        fixed_sums: npt.NDArray[np.float64] = np.asarray(
            np.bincount(cell[fixed], weights=grow[fixed], minlength=n * nk), dtype=np.float64
        ).reshape(n, nk)
        latest = np.full(n, NAT, dtype="datetime64[D]")
        if len(f):
            order = np.lexsort((f.found_on, f.workplace))
            last = np.r_[f.workplace[order][1:] != f.workplace[order][:-1], True]
            latest[f.workplace[order][last]] = f.found_on[order][last]
        return cls(
            float(half_life_days),
            counts,
            np.bincount(f.workplace[fixed], minlength=n).astype(np.int64),
            open_sums,
            fixed_sums,
            latest,
        )

    def usable(self, weights: PlanWeights, as_of: date) -> bool:
        """Whether ``rank`` may use these totals for ``weights`` at ``as_of``."""
        if self.half_life_days != weights.half_life_days or self.half_life_days < MIN_TOTALS_HALF_LIFE:
            return False
        seen = self.latest[~np.isnat(self.latest)]
        return not (seen.size and seen.max() > np.datetime64(as_of, "D"))


# --- one workplace (the reference) -----------------------------------------------------------


@dataclass(frozen=True)
class Component:
    name: str
    points: float
    reason: str


def _sector_reason(code: str, points: float) -> str:
    return f"sector {code or 'unknown'} (prior {points:g})"


def _finding_reason(counts: Mapping[str, int], half_life: float, remediated: int = 0) -> str:
    if not any(counts.values()):
        return "no past finding"
    parts = ", ".join(f"{counts[k]} {_KIND_WORDS[k]}" for k in reversed(FINDING_KINDS) if counts[k])
    fixed = f" ({remediated} remediated, verified at follow-up)" if remediated else ""
    return f"past findings: {parts}{fixed}; older ones count less (half-life {half_life:g} days)"


def _recruiter_reason(unlicensed: int, breaching: int) -> str:
    if not unlicensed and not breaching:
        return "no unlicensed or breaching recruiter known"
    parts = []
    if unlicensed:
        parts.append(f"{unlicensed} unlicensed")
    if breaching:
        parts.append(f"{breaching} breaching")
    return "recruiters: " + ", ".join(parts)


def _visit_reason(last: date | None, as_of: date) -> str:
    if last is None:
        return "never inspected"
    years = max((as_of - last).days, 0) / 365.25
    return f"last inspected {last.isoformat()} ({years:.1f} years ago)"


def _exposure_reason(exposure: float | None, note: str = "") -> str:
    if exposure is None:
        return "no supply-chain data"
    if note:
        return f"supply chain {exposure:.2f}: {note}"
    return f"supply-chain exposure {exposure:.2f}"


def score_workplace(
    workplace: Workplace, findings: Iterable[PastFinding], weights: PlanWeights, as_of: date
) -> tuple[Component, ...]:
    """The components of one workplace, each with its points and reason (plain Python)."""
    w = weights
    sector = w.sector_prior(workplace.sector)
    region = w.region_prior(workplace.region)
    total = 0.0
    counts = dict.fromkeys(FINDING_KINDS, 0)
    remediated = 0
    for f in findings:
        age = max((as_of - f.found_on).days, 0)
        factor = w.remediated_factor if f.remediated else 1.0
        total += w.finding_points[f.kind] * 0.5 ** (age / w.half_life_days) * factor
        counts[f.kind] += 1
        remediated += int(f.remediated)
    rec = (
        workplace.unlicensed_recruiters * w.per_unlicensed + workplace.breaching_recruiters * w.per_breaching
    )
    exposure = workplace.supply_exposure
    if workplace.last_visit is None:
        visit = w.never_visited
    else:
        visit = min(max((as_of - workplace.last_visit).days, 0) / 365.25 * w.per_year_since, w.last_visit_cap)
    return (
        Component("sector", sector, _sector_reason(workplace.sector, sector)),
        Component("region", region, f"region {workplace.region or 'unknown'} (prior {region:g})"),
        Component(
            "findings", min(total, w.findings_cap), _finding_reason(counts, w.half_life_days, remediated)
        ),
        Component(
            "complaints",
            min(workplace.open_complaints * w.per_complaint, w.complaints_cap),
            f"{workplace.open_complaints} open complaint(s)"
            if workplace.open_complaints
            else "no open complaint",
        ),
        Component(
            "recruiters",
            min(rec, w.recruiters_cap),
            _recruiter_reason(workplace.unlicensed_recruiters, workplace.breaching_recruiters),
        ),
        Component(
            "supply_chain",
            0.0 if exposure is None else exposure * w.supply_points,
            _exposure_reason(exposure, workplace.supply_note),
        ),
        Component("last_visit", visit, _visit_reason(workplace.last_visit, as_of)),
    )


# --- many workplaces (vectorised) ------------------------------------------------------------


@dataclass(frozen=True)
class PlanLine:
    rank: int
    workplace_id: str
    name: str
    region: str
    score: float
    components: tuple[Component, ...]
    #: the heaviest components (up to three) in words, the line's reason
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "id": self.workplace_id,
            "name": self.name,
            "region": self.region,
            "score": round(self.score, 1),
            "reason": self.reason,
            "components": [
                {"component": c.name, "points": round(c.points, 1), "reason": c.reason}
                for c in self.components
            ],
        }


def reason_of(components: Sequence[Component], top: int = 3) -> str:
    """The heaviest components with points, in words (ties in component order)."""
    heavy = sorted((c for c in components if c.points > 0), key=lambda c: -c.points)[:top]
    return "; ".join(f"{c.reason} (+{c.points:.1f})" for c in heavy) or "no risk factor on record"


@dataclass
class Plan:
    """The ranking: ``order`` lists workplace positions, highest score first (ties by id)."""

    workplaces: WorkplaceColumns
    points: npt.NDArray[np.float64]  # (n, len(COMPONENTS))
    scores: npt.NDArray[np.float64]
    order: npt.NDArray[np.int64]
    kind_counts: npt.NDArray[np.int64]  # (n, len(FINDING_KINDS))
    weights: PlanWeights
    as_of: date
    #: remediated findings per workplace
    remediated: npt.NDArray[np.int64] | None = None

    @property
    def version(self) -> str:
        return self.weights.version

    def __len__(self) -> int:
        return int(self.order.shape[0])

    def components(self, i: int) -> tuple[Component, ...]:
        """The explained components of the workplace at position ``i``."""
        wp, p, w = self.workplaces, self.points[i], self.weights
        last = wp.last_visit[i]
        last_day = None if np.isnat(last) else last.astype(date)
        exposure = float(wp.supply_exposure[i])
        counts = {k: int(self.kind_counts[i, j]) for j, k in enumerate(FINDING_KINDS)}
        n_c = int(wp.open_complaints[i])
        return (
            Component("sector", float(p[0]), _sector_reason(str(wp.sector[i]), float(p[0]))),
            Component("region", float(p[1]), f"region {wp.region[i] or 'unknown'} (prior {float(p[1]):g})"),
            Component(
                "findings",
                float(p[2]),
                _finding_reason(
                    counts, w.half_life_days, int(self.remediated[i]) if self.remediated is not None else 0
                ),
            ),
            Component("complaints", float(p[3]), f"{n_c} open complaint(s)" if n_c else "no open complaint"),
            Component(
                "recruiters",
                float(p[4]),
                _recruiter_reason(int(wp.unlicensed_recruiters[i]), int(wp.breaching_recruiters[i])),
            ),
            Component(
                "supply_chain",
                float(p[5]),
                _exposure_reason(
                    None if math.isnan(exposure) else exposure,
                    str(wp.supply_note[i]) if wp.supply_note is not None else "",
                ),
            ),
            Component("last_visit", float(p[6]), _visit_reason(last_day, self.as_of)),
        )

    def lines(self, limit: int | None = None) -> list[PlanLine]:
        """The first ``limit`` lines of the worklist (all when None), each explained."""
        out = []
        picked = self.order if limit is None else self.order[:limit]
        for r, i in enumerate(picked.tolist(), start=1):
            comps = self.components(i)
            out.append(
                PlanLine(
                    r,
                    str(self.workplaces.ids[i]),
                    str(self.workplaces.names[i]),
                    str(self.workplaces.region[i]),
                    float(self.scores[i]),
                    comps,
                    reason_of(comps),
                )
            )
        return out


def _lookup(codes: npt.NDArray[np.str_], prior: Any) -> npt.NDArray[np.float64]:
    """``prior(code)`` for each code, computed once per distinct code."""
    if codes.size == 0:
        return np.zeros(0)
    uniq, inverse = np.unique(codes, return_inverse=True)
    values = np.array([prior(str(u)) for u in uniq], dtype=np.float64)
    out: npt.NDArray[np.float64] = values[inverse.reshape(-1)]
    return out


def rank(
    workplaces: WorkplaceColumns,
    findings: FindingColumns | None = None,
    weights: PlanWeights | None = None,
    *,
    as_of: date,
    regions: Iterable[str] | None = None,
    totals: FindingTotals | None = None,
) -> Plan:
    """Score every workplace and rank them, highest first (ties by id); with ``regions``, only
    the workplaces of those regions are ranked (a team's worklist). With ``totals`` (usable for
    these weights and day), the findings component comes from them and ``findings`` is not read."""
    w = weights or load_weights()
    wp = workplaces
    wp.check()
    f = findings if findings is not None else FindingColumns.empty()
    n = len(wp)
    if f.workplace.size and (int(f.workplace.min()) < 0 or int(f.workplace.max()) >= n):
        raise InputError("a past finding names a workplace that is not in the register")
    day = np.datetime64(as_of, "D")
    pts = np.zeros((n, len(COMPONENTS)), dtype=np.float64)
    pts[:, 0] = _lookup(wp.sector, w.sector_prior)
    pts[:, 1] = _lookup(wp.region, w.region_prior)
    kind_pts = np.array([w.finding_points[k] for k in FINDING_KINDS], dtype=np.float64)
    if totals is not None:
        if not totals.usable(w, as_of) or totals.counts.shape != (n, len(FINDING_KINDS)):
            raise InputError("the findings totals do not serve these weights or this day: read the findings")
        shrink = 2.0 ** (-float((day - np.datetime64(EPOCH, "D")).astype(np.int64)) / w.half_life_days)
        raw = (totals.open_sums @ kind_pts + w.remediated_factor * (totals.fixed_sums @ kind_pts)) * shrink
        pts[:, 2] = np.minimum(raw, w.findings_cap)
        return _finish(wp, pts, totals.counts, totals.remediated, w, as_of, regions)
    age = np.maximum((day - f.found_on).astype(np.int64), 0)
    fixed = f.remediated_mask()
    if fixed.shape != f.workplace.shape:
        raise InputError("column remediated: one value per past finding")
    decayed = kind_pts[f.kind] * np.power(0.5, age / w.half_life_days)
    decayed = np.where(fixed, decayed * w.remediated_factor, decayed)
    pts[:, 2] = np.minimum(np.bincount(f.workplace, weights=decayed, minlength=n), w.findings_cap)
    nk = len(FINDING_KINDS)
    flat = np.bincount(f.workplace * nk + f.kind.astype(np.int64), minlength=n * nk)
    kind_counts = flat.reshape(n, nk).astype(np.int64)
    remediated = np.bincount(f.workplace[fixed], minlength=n).astype(np.int64)
    return _finish(wp, pts, kind_counts, remediated, w, as_of, regions)


def _finish(
    wp: WorkplaceColumns,
    pts: npt.NDArray[np.float64],
    kind_counts: npt.NDArray[np.int64],
    remediated: npt.NDArray[np.int64],
    w: PlanWeights,
    as_of: date,
    regions: Iterable[str] | None,
) -> Plan:
    """The components other than findings, the scores and the order."""
    n = len(wp)
    day = np.datetime64(as_of, "D")
    pts[:, 3] = np.minimum(wp.open_complaints * w.per_complaint, w.complaints_cap)
    rec = wp.unlicensed_recruiters * w.per_unlicensed + wp.breaching_recruiters * w.per_breaching
    pts[:, 4] = np.minimum(rec, w.recruiters_cap)
    pts[:, 5] = np.where(np.isnan(wp.supply_exposure), 0.0, wp.supply_exposure * w.supply_points)
    never = np.isnat(wp.last_visit)
    days = np.maximum((day - np.where(never, day, wp.last_visit)).astype(np.int64), 0)
    pts[:, 6] = np.where(
        never, w.never_visited, np.minimum(days / 365.25 * w.per_year_since, w.last_visit_cap)
    )
    scores = pts.sum(axis=1)
    pool = np.arange(n)
    if regions is not None:
        pool = np.flatnonzero(np.isin(wp.region, np.array(sorted(set(regions)), dtype=str)))
    order = pool[np.lexsort((wp.ids[pool], -scores[pool]))].astype(np.int64)
    return Plan(wp, pts, scores, order, kind_counts, w, as_of, remediated)
