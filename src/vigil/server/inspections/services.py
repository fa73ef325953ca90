"""What the pages, the API and the CLI of the inspections app share. The planning score and the
classification of findings are computed by ``vigil.inspections``; this module reads the database
into their inputs, stores their outputs, and writes the audit entries.

- ``plan_columns`` / ``worklist``: the risk-ranked worklist of the workplaces a user may see
  (one query per table, then numpy);
- ``add_visit``, ``record_observation``, ``record_interview`` (screened live), ``add_violation``,
  ``complete_visit`` (classifies the visit, stores the findings), ``add_action``,
  ``schedule_follow_up``, ``verify_action``;
- ``refer_worker``: a presumed victim, with consent, into case intake and a referral, through
  ``vigil.server.cases`` and ``vigil.server.referrals``;
- ``statistics``: counts only (no worker-level data), for analysts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db import transaction
from django.db.models import Case as DbCase
from django.db.models import CharField, Count, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Cast
from django.utils import timezone

from vigil.errors import VigilError
from vigil.inspections import findings as fnd
from vigil.inspections import planning
from vigil.server.audit.log import record
from vigil.server.inspections.models import (
    JOINT_BODIES,
    EnforcementAction,
    Finding,
    InspectionPlan,
    Interview,
    Observation,
    Visit,
    Workplace,
)

UNLICENSED = frozenset({"none", "expired", "suspended", "revoked"})


class InspectionError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


def audit(
    action: str, user: Any, obj: Any = None, *, via: str = "", request: Any = None, **detail: Any
) -> None:
    """One audit entry; ``detail`` holds ids, counts and field names only."""
    record(action, user=user, obj=obj, via=via, request=request, detail=detail)


# --- planning --------------------------------------------------------------------------------


def agency_flags(agency_ids: Iterable[int]) -> dict[int, tuple[bool, bool]]:
    """{agency id: (unlicensed, breaching)} from the recruitment registry: unlicensed when its
    licence is none, expired, suspended or revoked; breaching when it has a fee breach, an upheld
    complaint or a sanction."""
    from vigil.server.recruitment.models import Agency

    ids = set(agency_ids)
    if not ids:
        return {}
    agencies = (
        Agency.objects.filter(pk__in=ids)
        .prefetch_related("licences")
        .annotate(
            breaches=Count("fee_reports", filter=Q(fee_reports__breach=True), distinct=True),
            upheld=Count("complaints", filter=Q(complaints__status="upheld"), distinct=True),
            sanction_count=Count("sanctions", distinct=True),
        )
    )
    return {
        a.pk: (a.licence_status() in UNLICENSED, bool(a.breaches or a.upheld or a.sanction_count))
        for a in agencies
    }


def supply_matches(qs: QuerySet[Workplace], weights: planning.PlanWeights) -> dict[int, Any]:
    """{workplace pk: ``SupplyMatch``} for the workplaces of ``qs`` that match a supplier or
    facility of a supply register (``vigil.inspections.supply_link``), its risk propagated by
    ``vigil.server.supply.services.chain_risk``; empty when no supply register holds one."""
    from vigil.inspections.supply_link import Candidate, match_workplaces
    from vigil.server.supply import services as supply
    from vigil.server.supply.models import Entity

    kinds = (Entity.Kind.SUPPLIER, Entity.Kind.FACILITY)
    orgs = list(
        Entity.objects.filter(kind__in=kinds, merged_into__isnull=True)
        .values_list("organisation", flat=True)
        .distinct()
    )
    if not orgs:
        return {}
    from vigil.server.accounts.models import Organisation

    candidates: list[Candidate] = []
    for org in Organisation.objects.filter(pk__in=orgs).order_by("pk"):
        cr = supply.chain_risk(org)
        for key, e in cr.entities.items():
            r = cr.risks.get(key)
            if e.kind not in kinds or r is None:
                continue
            path = tuple(cr.entities[k].name for k in r.path if k in cr.entities)
            candidates.append(Candidate(key, e.name, e.ref, r.risk, r.exposure, path))
    rows = [(str(pk), name, reg) for pk, name, reg in qs.values_list("pk", "name", "registration_number")]
    got = match_workplaces(rows, candidates, measure=weights.supply_measure, match_at=weights.supply_match_at)
    return {int(k): v for k, v in got.items()}


def plan_columns(
    qs: QuerySet[Workplace],
    weights: planning.PlanWeights | None = None,
) -> tuple[planning.WorkplaceColumns, planning.FindingColumns, list[int]]:
    """The planning input of the workplaces of ``qs``: one query for the workplaces, one for their
    links to recruiters, one for their findings (then the registry flags of the agencies)."""
    wp, pks = workplace_columns(qs, weights)
    return wp, finding_columns(qs, np.array(pks, dtype=np.int64)), pks


def workplace_columns(
    qs: QuerySet[Workplace], weights: planning.PlanWeights | None = None
) -> tuple[planning.WorkplaceColumns, list[int]]:
    """The workplaces of ``qs`` as planning columns (in pk order) and their pks."""
    rows = _fetch(
        qs.order_by("pk")
        .annotate(visit_text=Cast("last_visit", CharField()))
        .values_list(
            "pk",
            "name",
            "sector",
            "region",
            "open_complaints",
            "unregistered_recruiters",
            "supply_exposure",
            "visit_text",
        )
    )
    pks = [r[0] for r in rows]
    n = len(rows)
    pk_arr = np.array(pks, dtype=np.int64)
    cols = list(zip(*rows, strict=True)) if rows else [()] * 8
    unlicensed = np.array(cols[5], dtype=np.int64)
    breaching = np.zeros(n, dtype=np.int64)
    links = _fetch(
        Workplace.recruiters.through.objects.filter(workplace__in=qs.values("pk")).values_list(
            "workplace_id", "agency_id"
        )
    )
    if links:
        flags = agency_flags(a for _w, a in links)
        at = np.searchsorted(pk_arr, np.array([w for w, _a in links], dtype=np.int64))
        np.add.at(
            unlicensed, at, np.array([flags.get(a, (False, False))[0] for _w, a in links], dtype=np.int64)
        )
        np.add.at(
            breaching, at, np.array([flags.get(a, (False, False))[1] for _w, a in links], dtype=np.int64)
        )
    exposure = np.array(cols[6], dtype=np.float64)  # None -> NaN
    notes = None
    matched = supply_matches(qs, weights or planning.load_weights())
    if matched:
        pos = {pk: i for i, pk in enumerate(pks)}
        notes = np.full(n, "", dtype=object)
        for pk, m in matched.items():
            exposure[pos[pk]] = m.value
            notes[pos[pk]] = m.note
        notes = notes.astype(str)
    wp = planning.WorkplaceColumns(
        ids=pk_arr.astype(str),
        names=np.array(cols[1], dtype=str),
        sector=np.array(cols[2], dtype=str),
        region=np.array(cols[3], dtype=str),
        open_complaints=np.array(cols[4], dtype=np.int64),
        unlicensed_recruiters=unlicensed,
        breaching_recruiters=breaching,
        supply_exposure=exposure,
        last_visit=_days(cols[7]),
        supply_note=notes,
    )
    return wp, pks


def finding_columns(qs: QuerySet[Workplace], pk_arr: npt.NDArray[np.int64]) -> planning.FindingColumns:
    """The findings of the workplaces of ``qs`` (whose sorted pks are ``pk_arr``) as columns."""
    # the kind as its position in FINDING_KINDS and the date as ISO text, computed by the database
    kind_code = DbCase(
        *(When(kind=k, then=Value(i)) for i, k in enumerate(planning.FINDING_KINDS)),
        default=Value(-1),
        output_field=IntegerField(),
    )
    # remediated findings (an action on them complied with, verified at a follow-up) come in a
    # second, small query; the first reads the others
    mine = Finding.objects.filter(workplace__in=qs.values("pk"))
    fixed = remediated_findings()
    parts = (
        [(mine, False)]
        if fixed is None
        else [(mine.exclude(pk__in=fixed), False), (mine.filter(pk__in=fixed), True)]
    )
    columns: list[tuple[Any, ...]] = [(), (), (), ()]
    for part, flag in parts:
        frows = _fetch(
            part.annotate(kind_code=kind_code, found_text=Cast("found_on", CharField())).values_list(
                "workplace_id", "kind_code", "found_text"
            )
        )
        if frows:
            got = list(zip(*frows, strict=True))
            columns = [
                columns[0] + got[0],
                columns[1] + got[1],
                columns[2] + got[2],
                columns[3] + (flag,) * len(frows),
            ]
    return planning.FindingColumns(
        # pks are sorted: the positions of the findings' workplaces in the register
        np.searchsorted(pk_arr, np.array(columns[0], dtype=np.int64)).astype(np.int64),
        np.array(columns[1], dtype=np.int8),
        _days(columns[2]),
        np.array(columns[3], dtype=bool),
    )


# --- the findings totals: the fast path of the worklist ------------------------------------------


def refresh_totals(workplace_pks: Iterable[int], half_life_days: float | None = None) -> None:
    """Recompute the ``FindingTotals`` rows of these workplaces from their findings (a
    workplace without findings has no row)."""
    from vigil.server.inspections.models import FindingTotals

    pks = sorted({int(p) for p in workplace_pks if p is not None})
    if not pks:
        return
    h = half_life_days if half_life_days is not None else planning.load_weights().half_life_days
    step = 20_000
    with transaction.atomic():
        for i in range(0, len(pks), step):
            chunk = np.array(pks[i : i + step], dtype=np.int64)
            qs = Workplace.objects.filter(pk__in=chunk.tolist())
            fc = finding_columns(qs, chunk)
            tot = planning.FindingTotals.from_findings(fc, len(chunk), h)
            FindingTotals.objects.filter(workplace_id__in=chunk.tolist()).delete()
            rows = []
            for j in np.flatnonzero(tot.counts.sum(axis=1) > 0).tolist():
                latest = tot.latest[j]
                rows.append(
                    FindingTotals(
                        workplace_id=int(chunk[j]),
                        half_life_days=h,
                        **{k: int(tot.counts[j, c]) for c, k in enumerate(FindingTotals.COUNTS)},
                        n_remediated=int(tot.remediated[j]),
                        **{k: float(tot.open_sums[j, c]) for c, k in enumerate(FindingTotals.OPEN)},
                        **{k: float(tot.fixed_sums[j, c]) for c, k in enumerate(FindingTotals.FIXED)},
                        latest=None if np.isnat(latest) else latest.astype(date),
                    )
                )
            FindingTotals.objects.bulk_create(rows, batch_size=2000)


def rebuild_totals(half_life_days: float | None = None) -> int:
    """Recompute every workplace's totals (after a bulk load or a new half-life); the count of
    workplaces with findings."""
    from vigil.server.inspections.models import FindingTotals

    with transaction.atomic():
        FindingTotals.objects.all().delete()
        refresh_totals(Finding.objects.values_list("workplace_id", flat=True).distinct(), half_life_days)
        return FindingTotals.objects.count()


def plan_totals(
    qs: QuerySet[Workplace], pk_arr: npt.NDArray[np.int64], weights: planning.PlanWeights, as_of: date
) -> planning.FindingTotals | None:
    """The stored totals of the workplaces of ``qs`` (one query), or None when they cannot serve
    (another half-life, a finding dated after ``as_of``)."""
    from vigil.server.inspections.models import FindingTotals

    cols = (
        "workplace_id",
        "half_life_days",
        *FindingTotals.COUNTS,
        "n_remediated",
        *FindingTotals.OPEN,
        *FindingTotals.FIXED,
        "latest_text",
    )
    rows = _fetch(
        FindingTotals.objects.filter(workplace__in=qs.values("pk"))
        .annotate(latest_text=Cast("latest", CharField()))
        .values_list(*cols)
    )
    n = len(pk_arr)
    nk = len(planning.FINDING_KINDS)
    tot = planning.FindingTotals(
        weights.half_life_days,
        np.zeros((n, nk), dtype=np.int64),
        np.zeros(n, dtype=np.int64),
        np.zeros((n, nk)),
        np.zeros((n, nk)),
        np.full(n, planning.NAT, dtype="datetime64[D]"),
    )
    if rows:
        c = list(zip(*rows, strict=True))
        if any(h != weights.half_life_days for h in set(c[1])):
            return None
        at = np.searchsorted(pk_arr, np.array(c[0], dtype=np.int64))
        tot.counts[at] = np.array(c[2:5], dtype=np.int64).T
        tot.remediated[at] = np.array(c[5], dtype=np.int64)
        tot.open_sums[at] = np.array(c[6:9], dtype=np.float64).T
        tot.fixed_sums[at] = np.array(c[9:12], dtype=np.float64).T
        tot.latest[at] = _days(c[12])
    return tot if tot.usable(weights, as_of) else None


def rank_plan(
    qs: QuerySet[Workplace],
    *,
    weights: planning.PlanWeights | None = None,
    as_of: date,
    regions: Sequence[str] | None = None,
    fast: bool = True,
) -> tuple[planning.Plan, list[int]]:
    """The ranked plan of the workplaces of ``qs`` and their pks (positions of the plan): from
    the stored findings totals when they serve (``fast``), else from every finding (the
    reference path, which the tests hold equal)."""
    w = weights or planning.load_weights()
    wp, pks = workplace_columns(qs, w)
    pk_arr = np.array(pks, dtype=np.int64)
    totals = plan_totals(qs, pk_arr, w, as_of) if fast else None
    if totals is not None:
        return planning.rank(wp, None, w, as_of=as_of, regions=regions, totals=totals), pks
    fc = finding_columns(qs, pk_arr)
    return planning.rank(wp, fc, w, as_of=as_of, regions=regions), pks


def remediated_findings() -> QuerySet[Finding] | None:
    """The findings remediated: an enforcement action on the finding, or on its visit without
    naming a finding, was verified complied with at a follow-up visit. None when no action is."""
    complied = EnforcementAction.objects.filter(
        status=EnforcementAction.Status.COMPLIED, verified_by__isnull=False
    )
    if not complied.exists():
        return None
    return Finding.objects.filter(
        Q(pk__in=complied.filter(finding__isnull=False).values("finding_id"))
        | Q(visit_id__in=complied.filter(finding__isnull=True).values("visit_id"))
    ).values("pk")


def _fetch(qs: Any) -> list[tuple[Any, ...]]:
    """The rows of a ``values_list`` query through the database cursor: no per-value conversion
    by the ORM (SQLite gives dates as ISO text, which numpy parses in bulk)."""
    from django.db import connections

    sql, params = qs.query.sql_with_params()
    with connections[qs.db].cursor() as cur:
        cur.execute(sql, params)
        return list(cur.fetchall())


def _days(values: Sequence[Any]) -> npt.NDArray[np.datetime64]:
    """Dates (``date`` objects or ISO text, None for none) as a ``datetime64[D]`` column."""
    arr: npt.NDArray[np.datetime64] = np.array(list(values), dtype="datetime64[D]")
    return arr


@dataclass(frozen=True)
class WorklistLine:
    rank: int
    workplace: Workplace
    score: float
    reason: str
    components: tuple[planning.Component, ...]
    version: str


def worklist(
    qs: QuerySet[Workplace],
    *,
    region: str | None = None,
    limit: int | None = None,
    as_of: date | None = None,
    weights: planning.PlanWeights | None = None,
) -> list[WorklistLine]:
    """The workplaces of ``qs`` ranked by the explained risk score, highest first."""
    plan, _pks = rank_plan(
        qs, weights=weights, as_of=as_of or timezone.localdate(), regions=[region] if region else None
    )
    lines = plan.lines(limit=limit)
    by_pk = Workplace.objects.in_bulk([int(ln.workplace_id) for ln in lines])
    return [
        WorklistLine(ln.rank, by_pk[int(ln.workplace_id)], ln.score, ln.reason, ln.components, plan.version)
        for ln in lines
    ]


def create_plan(
    user: Any, *, title: str, region: str, period_start: date, period_end: date
) -> InspectionPlan:
    if period_end < period_start:
        raise InspectionError("period_end", "the plan ends before it starts")
    if not user.organisation_id:
        raise InspectionError("organisation", "your account belongs to no inspectorate")
    plan = InspectionPlan.objects.create(
        organisation_id=user.organisation_id,
        title=title.strip(),
        region=region.strip(),
        period_start=period_start,
        period_end=period_end,
        weights_version=planning.load_weights().version,
        created_by=user,
    )
    return plan


def _team_ok(user: Any, inspectors: Sequence[Any]) -> None:
    for u in inspectors:
        if not u.can("inspection.manage") or u.organisation_id != user.organisation_id:
            raise InspectionError("inspectors", "an inspector of the visit must be of your inspectorate")


def add_visit(
    user: Any,
    workplace: Workplace,
    *,
    scheduled_on: date,
    inspectors: Sequence[Any] = (),
    plan: InspectionPlan | None = None,
    joint_bodies: Sequence[str] = (),
    kind: str = Visit.Kind.PLANNED,
    announced: bool = False,
    follows: Visit | None = None,
) -> Visit:
    """A visit to ``workplace``; with a plan, the worklist's score and reason of the workplace at
    this moment are kept with it."""
    known = {k for k, _l in JOINT_BODIES}
    bad = [b for b in joint_bodies if b not in known]
    if bad:
        raise InspectionError("joint_bodies", f"choose among: {', '.join(sorted(known))}")
    _team_ok(user, inspectors)
    score, reason, version = None, "", ""
    if plan is not None:
        line = next(iter(worklist(Workplace.objects.filter(pk=workplace.pk))), None)
        if line is not None:
            score, reason, version = line.score, line.reason[:600], line.version
    with transaction.atomic():
        visit = Visit.objects.create(
            organisation_id=workplace.organisation_id or user.organisation_id,
            plan=plan,
            workplace=workplace,
            kind=kind,
            scheduled_on=scheduled_on,
            lead=user,
            joint_bodies=sorted(set(joint_bodies)),
            announced=announced,
            follows=follows,
            planned_score=score,
            planned_reason=reason,
            weights_version=version,
            created_by=user,
        )
        visit.inspectors.set(list(inspectors))
    return visit


def _open(visit: Visit) -> None:
    if visit.status != Visit.Status.PLANNED:
        raise InspectionError("visit", "the visit is closed: record a follow-up visit instead")


def record_observation(
    visit: Visit, user: Any, *, kind: str, present: bool = True, note: str = ""
) -> Observation:
    _open(visit)
    if kind not in fnd.OBSERVATIONS:
        raise InspectionError("kind", "not an observation of the checklist")
    obs, _created = Observation.objects.update_or_create(
        visit=visit, kind=kind, defaults={"present": present, "note": note, "created_by": user}
    )
    return obs


def screen(interview: Interview) -> fnd.InterviewResult:
    """Classify the interview with the rules engine and keep the result on it (the caller saves)."""
    rec: dict[str, Any] = {
        "id": f"interview-{interview.pk or 'new'}",
        "indicators": dict(interview.answers),
        "facts": dict(interview.facts),
    }
    if interview.age is not None:
        rec["age"] = float(interview.age)
    try:
        res = fnd.classify_interview(rec)
    except VigilError as exc:
        field = (
            "facts" if (exc.place or "").startswith("facts") else ("age" if exc.place == "age" else "answers")
        )
        raise InspectionError(field, str(exc)) from None
    interview.category = res.category
    interview.presumed_victim = res.presumed_victim
    interview.ruleset = res.ruleset
    interview.ruleset_version = res.ruleset_version
    interview.fired = list(res.indicators) + list(res.conditions)
    interview.decided_by = res.decided_by
    interview.determination = res.to_dict()
    return res


def _clean_answers(answers: Any) -> dict[str, bool]:
    if not isinstance(answers, dict):
        raise InspectionError("answers", "expected an object {indicator id: true | false}")
    out: dict[str, bool] = {}
    for k, v in answers.items():
        if v is None:
            continue
        if not isinstance(v, bool):
            raise InspectionError("answers", f"answer {str(k)[:20]!r}: expected true, false or null")
        out[str(k)] = v
    return out


def record_interview(
    visit: Visit,
    user: Any,
    *,
    held_in_private: bool,
    answers: dict[str, Any] | None = None,
    facts: dict[str, Any] | None = None,
    age: Decimal | float | None = None,
    language: str = "",
    interpreter: bool = False,
    worker_name: str = "",
    worker_contact: str = "",
    notes: str = "",
    via: str = "",
    request: Any = None,
) -> Interview:
    """A worker's interview, screened before it is stored (a record the rules engine refuses is
    not stored). An interview not held in private is refused: the worker's safety first."""
    _open(visit)
    if not held_in_private:
        raise InspectionError(
            "held_in_private", "interview workers in private, away from the employer and supervisors"
        )
    itv = Interview(
        visit=visit,
        held_in_private=True,
        language=language.strip(),
        interpreter=interpreter,
        age=Decimal(str(age)) if age is not None else None,
        worker_name=worker_name,
        worker_contact=worker_contact,
        notes=notes,
        answers=_clean_answers(answers or {}),
        facts=dict(facts or {}),
        created_by=user,
    )
    screen(itv)
    with transaction.atomic():
        itv.save()
        audit(
            "create",
            user,
            itv,
            via=via,
            request=request,
            fields=[
                f
                for f in ("worker_name", "worker_contact", "notes", "answers", "facts", "age")
                if getattr(itv, f)
            ],
        )
    return itv


def guard_text(visit: Visit, text: str, field: str) -> None:
    """Refuse a plain-text field that names a worker interviewed at this visit (or its contact):
    findings and actions say what, not who (``cases.identity_guard``)."""
    from types import SimpleNamespace

    from vigil.server.cases.identity_guard import MESSAGE, identity_in

    for itv in Interview.objects.filter(visit__workplace=visit.workplace_id):
        parts = (itv.worker_name or "").split()
        who = SimpleNamespace(
            given_name=parts[0] if parts else "",
            family_name=parts[-1] if len(parts) > 1 else "",
            document_number="",
            phone=itv.worker_contact or "",
        )
        if identity_in(who, text):
            raise InspectionError(field, str(MESSAGE))


def add_violation(visit: Visit, user: Any, *, category: str, description: str = "") -> Finding:
    _open(visit)
    guard_text(visit, description, "description")
    if category not in fnd.VIOLATION_CATEGORIES:
        raise InspectionError("category", f"choose one of: {', '.join(fnd.VIOLATION_CATEGORIES)}")
    return Finding.objects.create(
        workplace=visit.workplace,
        visit=visit,
        kind=Finding.Kind.VIOLATION,
        category=category,
        description=description.strip(),
        found_on=visit.carried_out_on or timezone.localdate(),
    )


def classify(visit: Visit) -> fnd.VisitClassification:
    violations = [fnd.Violation(f.category) for f in visit.findings.filter(kind=Finding.Kind.VIOLATION)]
    observations = [fnd.Observation(o.kind, o.present) for o in visit.observations.all()]
    results = []
    for itv in visit.interviews.all():
        results.append(screen(itv))
    return fnd.classify_visit(violations, observations, results)


def complete_visit(visit: Visit, user: Any, *, carried_out_on: date | None = None) -> Visit:
    """Close the visit: classify it (``classify_visit``), store its forced-labour findings (an
    indicator finding per indicator seen or heard, a forced-labour finding per presumed victim),
    verify what a follow-up checked, and move the workplace's last visit."""
    _open(visit)
    day = carried_out_on or timezone.localdate()
    with transaction.atomic():
        visit = Visit.objects.select_for_update().get(pk=visit.pk)
        _open(visit)
        visit.carried_out_on = day
        Finding.objects.filter(visit=visit, kind=Finding.Kind.VIOLATION).update(found_on=day)
        result = classify(visit)
        by_indicator: dict[str, Interview | None] = {}
        for itv in visit.interviews.all():
            for ind in itv.fired:
                if not str(ind).startswith("EX"):
                    by_indicator.setdefault(str(ind), itv)
        for ind in result.indicators:
            Finding.objects.create(
                workplace=visit.workplace,
                visit=visit,
                interview=by_indicator.get(ind),
                kind=Finding.Kind.INDICATOR,
                indicator=ind,
                found_on=day,
            )
        for itv in visit.interviews.filter(presumed_victim=True):
            Finding.objects.create(
                workplace=visit.workplace,
                visit=visit,
                interview=itv,
                kind=Finding.Kind.FORCED_LABOUR,
                indicator=itv.ruleset,
                found_on=day,
            )
        visit.outcome = result.outcome
        visit.classification = result.to_dict()
        visit.status = Visit.Status.COMPLETED
        visit.save()
        wp = visit.workplace
        if wp.last_visit is None or wp.last_visit < day:
            wp.last_visit = day
            wp.save(update_fields=["last_visit"])
        refresh_totals([wp.pk])  # the violations' dates moved with an update (no signal)
        audit("complete", user, visit, outcome=result.outcome, findings=len(result.finding_kinds))
    return visit


def add_action(
    visit: Visit,
    user: Any,
    *,
    kind: str,
    description: str,
    deadline: date | None = None,
    amount: Decimal | None = None,
    currency: str = "",
    finding: Finding | None = None,
) -> EnforcementAction:
    if kind not in EnforcementAction.Kind.values:
        raise InspectionError("kind", f"choose one of: {', '.join(EnforcementAction.Kind.values)}")
    if not description.strip():
        raise InspectionError("description", "say what is required")
    guard_text(visit, description, "description")
    if finding is not None and finding.visit_id != visit.pk:
        raise InspectionError("finding", "the finding is not of this visit")
    if kind == EnforcementAction.Kind.FINE and (amount is None or len(currency.strip()) != 3):
        raise InspectionError("amount", "a fine needs an amount and an ISO 4217 currency")
    if deadline is not None and deadline < (visit.carried_out_on or visit.scheduled_on):
        raise InspectionError("deadline", "the deadline is before the visit")
    return EnforcementAction.objects.create(
        visit=visit,
        finding=finding,
        kind=kind,
        description=description.strip(),
        deadline=deadline,
        amount=amount,
        currency=currency.strip(),
        created_by=user,
    )


def schedule_follow_up(visit: Visit, user: Any, *, scheduled_on: date) -> Visit:
    if visit.status != Visit.Status.COMPLETED:
        raise InspectionError("visit", "a follow-up is for a completed visit")
    if scheduled_on < (visit.carried_out_on or visit.scheduled_on):
        raise InspectionError("scheduled_on", "the follow-up is before the visit")
    return add_visit(
        user,
        visit.workplace,
        scheduled_on=scheduled_on,
        inspectors=list(visit.inspectors.all()),
        plan=visit.plan,
        kind=Visit.Kind.FOLLOW_UP,
        follows=visit,
    )


def verify_action(
    action: EnforcementAction, follow_up: Visit, user: Any, *, status: str
) -> EnforcementAction:
    """What the follow-up visit found of an action: complied or not (withdrawn by the lead)."""
    if status not in (
        EnforcementAction.Status.COMPLIED,
        EnforcementAction.Status.NOT_COMPLIED,
        EnforcementAction.Status.WITHDRAWN,
    ):
        raise InspectionError("status", "complied, not_complied or withdrawn")
    if follow_up.workplace_id != action.visit.workplace_id:
        raise InspectionError("visit", "the follow-up is of another workplace")
    action.status = status
    action.verified_by = follow_up
    action.save(update_fields=["status", "verified_by"])
    audit("verify", user, action, status=status, visit=follow_up.pk)
    return action


# --- protection: a presumed victim into case intake, with consent -----------------------------


def refer_worker(
    interview: Interview,
    user: Any,
    *,
    provider: Any,
    consent_given: bool,
    consent_method: str = "verbal",
    shared_fields: Sequence[str] = ("given_name", "primary_language"),
    reason: str = "",
    via: str = "",
    request: Any = None,
) -> Any:
    """Open a case for the worker (the interview's screening copied into it), record the consent
    to referral, and refer the case to ``provider`` with the referral mechanism (agreements,
    shared fields, audit). Refused without the worker's consent: nothing is stored."""
    from vigil.server.cases import screening as screening_service
    from vigil.server.cases.models import Case, Consent, Person
    from vigil.server.referrals import services as referrals

    if not consent_given:
        raise InspectionError("consent", "the worker has not consented to referral: nothing is shared")
    if interview.case_id is not None:
        raise InspectionError("interview", "this worker has already been referred")
    if not (user.can("case.create") and user.can("consent.record") and user.can("referral.create")):
        raise InspectionError("user", "your role cannot open a case and refer it")
    if consent_method not in Consent.Method.values:
        raise InspectionError("consent_method", f"choose one of: {', '.join(Consent.Method.values)}")
    section = planning.isic_section(interview.visit.workplace.sector) or ""
    with transaction.atomic():
        given, _sep, family = (interview.worker_name or "").strip().partition(" ")
        person = Person.objects.create(
            given_name=given,
            family_name=family.strip(),
            phone=interview.worker_contact,
            primary_language=interview.language,
            organisation_id=user.organisation_id,
            created_by=user,
        )
        case = Case.objects.create(
            person=person,
            organisation_id=user.organisation_id,
            owner=user,
            sector=section,
            trafficking_status=(
                Case.TraffickingStatus.POSSIBLE if interview.category == "trafficking" else ""
            ),
            exploitation_types=["ChildLabour"]
            if interview.category == "child_labour_worst_form"
            else ["ForcedLabour"],
        )
        Consent.objects.create(
            case=case, purpose=Consent.Purpose.REFERRAL, given=True, method=consent_method, recorded_by=user
        )
        try:
            from vigil.rules import load_ruleset

            rs = load_ruleset(interview.ruleset)
            answers = {k: v for k, v in interview.answers.items() if k in rs.by_id}
            screening_service.create(
                case, rs.id, user, age=float(interview.age) if interview.age else None, answers=answers
            )
        except (VigilError, screening_service.ScreeningError):
            pass  # the triage's own determination stays with the interview
        try:
            ref = referrals.create(
                case,
                provider,
                user,
                shared_fields=list(shared_fields),
                reason=reason,
                via=via,
                request=request,
            )
        except referrals.ReferralError as exc:
            raise InspectionError(exc.field or "provider", str(exc)) from None
        interview.case = case
        interview.save(update_fields=["case"])
        audit("refer", user, interview, via=via, request=request, case=case.pk, referral=ref.pk)
    return ref


# --- aggregates --------------------------------------------------------------------------------


def statistics(
    visits: QuerySet[Visit], findings: QuerySet[Finding], actions: QuerySet[EnforcementAction]
) -> dict[str, Any]:
    """Counts only: visits by outcome, findings by kind and area, actions by kind and status. The
    table by sector and outcome can single out a workplace (a household in sector T): its cells
    below ``VIGIL_MIN_K`` (11) are published as ``n: null, suppressed: true``."""
    from vigil.server.statistics.microdata import min_k

    def counts(qs: QuerySet[Any], *fields: str) -> list[dict[str, Any]]:
        return [dict(r) for r in qs.values(*fields).annotate(n=Count("id")).order_by(*fields)]

    k = min_k()
    by_sector = []
    for row in counts(visits.filter(status=Visit.Status.COMPLETED), "workplace__sector", "outcome"):
        small = 0 < row["n"] < k
        by_sector.append(
            {
                "sector": row["workplace__sector"],
                "outcome": row["outcome"],
                "n": None if small else row["n"],
                "suppressed": small,
            }
        )
    return {
        "visits": counts(visits.filter(status=Visit.Status.COMPLETED), "outcome"),
        "visits_by_sector": by_sector,
        "findings": counts(findings, "kind", "category"),
        "actions": counts(actions, "kind", "status"),
    }
