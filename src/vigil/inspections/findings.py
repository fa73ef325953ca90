"""What a visit found: labour-law violations kept apart from forced-labour indicators.

An inspection meets two different things (DOMAIN.md, "Distinctions"): labour-law violations
(wages, hours, safety, contracts: sub-standard conditions accepted under economic pressure) and
indicators of forced labour or trafficking (involuntariness, menace of penalty; act, means,
purpose). The first is enforced with notices and fines; the second protects a person. A violation,
however many, never becomes "forced labour" here: only the rules engine (``vigil.rules``) decides
that, on a worker's interview.

- An **observation** of the workplace (locked doors, guards, documents kept by the employer) is
  evidence for an item of the ILO-11 checklist (``ilo-11``): a reason to interview, never a
  determination. Living on site is context only; missing pay records is a violation.
- An **interview** held in private is screened with ``ilo-11`` (the inspector's checklist) and,
  when it goes further (Delphi or forced-labour questions, Palermo facts, a worker under 18), with
  the triage (``vigil.rules.triage``: forced-labour, trafficking and child-labour rule sets). The
  result keeps the determination, the rule-set versions, the indicators fired and the deciding rule.
- A visit's **classification** puts these together: ``forced_labour`` (a presumed victim),
  ``forced_labour_indicators`` (indicators to follow up, no determination), ``labour_violations``
  (violations only) or ``none``.

The firewall between labour inspection and immigration enforcement starts here: an interview
record that carries a migration fact (``crossed_border``, ``entry_compliant``, ``stay_compliant``,
``facilitator_paid_for_entry``) is refused, and no migration label leaves this module.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from vigil.errors import InputError
from vigil.rules import assess, load_ruleset
from vigil.rules.explain_text import english
from vigil.rules.triage import triage

__all__ = [
    "CATEGORIES",
    "MIGRATION_FACTS",
    "OBSERVATIONS",
    "VIOLATION_CATEGORIES",
    "InterviewResult",
    "Observation",
    "VisitClassification",
    "classify_interview",
    "classify_visit",
    "observation_checklist",
]

CHECKLIST = "ilo-11"
VIOLATION_CATEGORIES = ("wages", "hours", "safety", "contracts", "other")
#: facts of the triage an inspection never records (the firewall)
MIGRATION_FACTS = frozenset(
    {"crossed_border", "entry_compliant", "stay_compliant", "facilitator_paid_for_entry"}
)
#: triage labels about migration: never part of an inspection's result
MIGRATION_LABELS = frozenset({"SMUGGLING", "IRREGULAR_MIGRATION", "REGULAR_MIGRATION"})
#: the labels that make a worker a presumed victim, to be referred with consent
VICTIM_LABELS = ("TRAFFICKING", "FORCED_LABOUR", "CHILD_LABOUR_WORST_FORM")

#: interview categories, most serious first
CATEGORIES = (
    "trafficking",
    "forced_labour",
    "child_labour_worst_form",
    "forced_labour_indicators",
    "needs_further_assessment",
    "child_labour",
    "labour_violation",
    "none",
)


@dataclass(frozen=True)
class ObservationKind:
    id: str
    label: str
    #: the ILO-11 item it evidences, or None
    indicator: str | None = None
    #: the labour-law category it is a violation of, or None
    violation: str | None = None


OBSERVATIONS: dict[str, ObservationKind] = {
    o.id: o
    for o in (
        ObservationKind("locked_doors", "doors or gates locked from outside", indicator="ILO11.03"),
        ObservationKind("guards", "guards or escorts watching the workers", indicator="ILO11.03"),
        ObservationKind("isolated_site", "remote site, no phone or transport", indicator="ILO11.04"),
        ObservationKind("living_on_site", "workers live on site (context, not an indicator by itself)"),
        ObservationKind(
            "documents_retained", "identity documents kept by the employer", indicator="ILO11.07"
        ),
        ObservationKind(
            "wages_withheld", "pay records show wages withheld or deferred", indicator="ILO11.08"
        ),
        ObservationKind(
            "debt_ledger", "a ledger of workers' debts to the employer or recruiter", indicator="ILO11.09"
        ),
        ObservationKind("degrading_housing", "degrading living conditions", indicator="ILO11.10"),
        ObservationKind("pay_records_missing", "no pay records kept", violation="wages"),
    )
}


@dataclass(frozen=True)
class Observation:
    kind: str
    present: bool = True

    def __post_init__(self) -> None:
        if self.kind not in OBSERVATIONS:
            raise InputError(
                f"unknown observation {self.kind[:40]!r} (known: {', '.join(OBSERVATIONS)})", "observation"
            )


@dataclass(frozen=True)
class Violation:
    category: str
    note: str = ""

    def __post_init__(self) -> None:
        if self.category not in VIOLATION_CATEGORIES:
            raise InputError(f"category must be one of {', '.join(VIOLATION_CATEGORIES)}", "violation")


def observation_checklist(observations: Iterable[Observation]) -> dict[str, Any]:
    """The ``ilo-11`` determination of what was seen (items not observed are not answered)."""
    answers: dict[str, bool] = {}
    for o in observations:
        ind = OBSERVATIONS[o.kind].indicator
        if ind is not None and o.present:
            answers[ind] = True
    return assess(load_ruleset(CHECKLIST), {"id": "observations", "indicators": answers}).to_dict()


# --- interviews ------------------------------------------------------------------------------


@dataclass(frozen=True)
class InterviewResult:
    """The screening of one interview, as stored with it."""

    category: str
    presumed_victim: bool
    #: forced-labour and trafficking indicators fired (ILO-11, forced-labour, Delphi non-EX)
    indicators: tuple[str, ...]
    #: exploitative conditions fired (Delphi EX): labour-law matters unless the rules say more
    conditions: tuple[str, ...]
    #: triage labels that are positive, migration labels excluded
    flags: tuple[str, ...]
    primary: str
    #: the rule set that decided the category, its version and its deciding clause
    ruleset: str
    ruleset_version: str
    decided_by: str
    #: every determination made: {rule set id: determination}
    determinations: Mapping[str, Any] = field(default_factory=dict)
    #: the deciding clause as a language-neutral tree (``vigil.rules.explain_text.render``);
    #: ``decided_by`` is its English text
    why: Mapping[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "presumed_victim": self.presumed_victim,
            "indicators": list(self.indicators),
            "conditions": list(self.conditions),
            "flags": list(self.flags),
            "primary": self.primary,
            "ruleset": self.ruleset,
            "ruleset_version": self.ruleset_version,
            "decided_by": self.decided_by,
            "why": self.why,
            "determinations": dict(self.determinations),
        }


def _check(record: Mapping[str, Any]) -> None:
    facts = record.get("facts") or {}
    if not isinstance(facts, Mapping):
        raise InputError("expected an object", "facts")
    banned = sorted(MIGRATION_FACTS & set(facts))
    if banned:
        raise InputError("an inspection does not record migration status", f"facts.{banned[0]}")
    inds = record.get("indicators") or {}
    if not isinstance(inds, Mapping):
        raise InputError("expected an object", "indicators")


def _pick(dets: Mapping[str, Any], rs: str) -> tuple[str, str, str, Any]:
    d = dets[rs]
    return str(d["ruleset"]), str(d["version"]), str(d.get("decided_by", "")), d.get("why")


#: the deciding clause when the triage says forced labour for a child without the forced-labour
#: rule set being positive (the English text of the tree ``CHILD_FORCED_LABOUR``)
CHILD_FORCED_LABOUR: dict[str, Any] = {"key": "child_forced_labour"}


def classify_interview(record: Mapping[str, Any]) -> InterviewResult:
    """Screen one interview record (STANDARDS.md section 1: ``id``, ``age``, ``indicators``,
    ``facts``). ``ILO11.xx`` keys are the inspector's checklist; any other indicator key or a fact
    takes the record through the triage, which needs the worker's ``age``."""
    _check(record)
    inds: Mapping[str, Any] = record.get("indicators") or {}
    facts: Mapping[str, Any] = record.get("facts") or {}
    rid = record.get("id")
    dets: dict[str, Any] = {}
    checklist_keys = {k: v for k, v in inds.items() if str(k).startswith("ILO11.")}
    full_keys = {k: v for k, v in inds.items() if not str(k).startswith("ILO11.")}
    if checklist_keys or not (full_keys or facts):
        dets[CHECKLIST] = assess(load_ruleset(CHECKLIST), {"id": rid, "indicators": checklist_keys},
                                 why=True).to_dict()
    tri: dict[str, Any] | None = None
    if full_keys or facts or record.get("age") is not None:
        if record.get("age") is None:
            raise InputError("a full interview needs the worker's age", "age")
        tri = triage({"id": rid, "age": record["age"], "indicators": dict(inds), "facts": dict(facts)},
                     why=True)
        dets.update(tri["determinations"])
    labels: dict[str, str] = dict(tri["labels"]) if tri else {}
    flags = tuple(x for x in (tri["flags"] if tri else []) if x not in MIGRATION_LABELS)
    primary = str(tri["primary"]) if tri else "NONE"
    if primary.split(":")[-1] in MIGRATION_LABELS:
        primary = "NONE"
    fired: list[str] = []
    conditions: list[str] = []
    for rs_id, d in dets.items():
        for ind in d.get("fired", []):
            if str(ind).startswith("EX"):
                conditions.append(str(ind))
            elif rs_id != "palermo-2000" and not str(ind).startswith(("RF", "RC", "IC")):
                fired.append(str(ind))
    checklist_risk = CHECKLIST in dets and dets[CHECKLIST]["outcome"] == "risk"
    fl_rs = "ilo-2012-forced-labour"
    delphi = next((r for r in ("ilo-ec-2009-adult-labour", "ilo-ec-2009-child-labour") if r in dets), None)
    if labels.get("TRAFFICKING") == "positive":
        category, decider = "trafficking", _pick(dets, "palermo-2000")
    elif labels.get("FORCED_LABOUR") == "positive":
        category = "forced_labour"
        decider = (
            _pick(dets, fl_rs)
            if fl_rs in dets and dets[fl_rs]["outcome"] == "positive"
            else (*_pick(dets, "palermo-2000")[:2], english(CHILD_FORCED_LABOUR), CHILD_FORCED_LABOUR)
        )
    elif labels.get("CHILD_LABOUR_WORST_FORM") == "positive":
        category, decider = "child_labour_worst_form", _pick(dets, "c138-c182")
    elif primary.startswith("NEEDS_FURTHER_ASSESSMENT"):
        # the rules cannot decide yet: indicators to follow up when some fired
        category = "forced_labour_indicators" if fired else "needs_further_assessment"
        decider = _pick(dets, "palermo-2000")
    elif checklist_risk and (tri is None or len(tri["not_assessed"]) >= 2):
        # the checklist alone: a reason for a full interview, never a determination
        category, decider = "forced_labour_indicators", _pick(dets, CHECKLIST)
    elif labels.get("CHILD_LABOUR") == "positive":
        category, decider = "child_labour", _pick(dets, "c138-c182")
    elif labels.get("LABOUR_VIOLATION") == "positive":
        category = "labour_violation"
        decider = _pick(dets, delphi) if delphi else _pick(dets, "palermo-2000")
    else:
        category = "none"
        decider = _pick(dets, "palermo-2000") if "palermo-2000" in dets else _pick(dets, CHECKLIST)
    return InterviewResult(
        category=category,
        presumed_victim=category in ("trafficking", "forced_labour", "child_labour_worst_form"),
        indicators=tuple(dict.fromkeys(fired)),
        conditions=tuple(dict.fromkeys(conditions)),
        flags=flags,
        primary=primary,
        ruleset=decider[0],
        ruleset_version=decider[1],
        decided_by=decider[2],
        determinations=dets,
        why=decider[3],
    )


# --- a visit ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class VisitClassification:
    outcome: str
    #: labour-law violations by category (inspector's findings and observations)
    violations: Mapping[str, int]
    #: forced-labour indicators seen or heard (ILO-11 items from observations, interview indicators)
    indicators: tuple[str, ...]
    presumed_victims: int
    #: kinds of finding for the planning score (``vigil.inspections.planning.FINDING_KINDS``)
    finding_kinds: tuple[str, ...]
    observations: Mapping[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "violations": dict(self.violations),
            "indicators": list(self.indicators),
            "presumed_victims": self.presumed_victims,
            "finding_kinds": list(self.finding_kinds),
        }


def classify_visit(
    violations: Sequence[Violation],
    observations: Sequence[Observation],
    interviews: Sequence[InterviewResult],
) -> VisitClassification:
    """The visit's outcome. Violations count as violations only: ``forced_labour`` needs an
    interview the rules engine found to be forced labour, trafficking or a worst form of child
    labour; ``forced_labour_indicators`` needs an indicator seen or heard."""
    by_cat = dict.fromkeys(VIOLATION_CATEGORIES, 0)
    for v in violations:
        by_cat[v.category] += 1
    for o in observations:
        cat = OBSERVATIONS[o.kind].violation
        if cat is not None and o.present:
            by_cat[cat] += 1
    checklist = observation_checklist(observations)
    indicators = list(checklist["fired"])
    for r in interviews:
        indicators.extend(r.indicators)
    indicators = list(dict.fromkeys(indicators))
    victims = sum(1 for r in interviews if r.presumed_victim)
    n_viol = sum(by_cat.values())
    if victims:
        outcome = "forced_labour"
    elif indicators:
        outcome = "forced_labour_indicators"
    elif n_viol or any(r.category in ("labour_violation", "child_labour") for r in interviews):
        outcome = "labour_violations"
    else:
        outcome = "none"
    kinds = ["violation"] * n_viol + ["indicator"] * len(indicators) + ["forced_labour"] * victims
    return VisitClassification(
        outcome, {k: n for k, n in by_cat.items() if n}, tuple(indicators), victims, tuple(kinds), checklist
    )
