"""What the supply app does, on top of ``vigil.supply`` (the core computes, this stores):
imports (all or nothing), the duplicate review queue with merges and undo, recruiters resolved
against the agency registry, audit findings screened with the rule sets, risk per entity with its
explanation, ranked remediation, corrective plans and overdue milestones, and the graph picture.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from vigil.errors import InputError
from vigil.recruitment.fees import Payment, classify_payment
from vigil.recruitment.names import normalise_name
from vigil.rules import assess, load_ruleset
from vigil.server.audit.log import record
from vigil.server.supply.models import (
    CorrectivePlan,
    Entity,
    Finding,
    Link,
    MatchCandidate,
    Merge,
    Milestone,
    SupplyAudit,
)
from vigil.supply import picture
from vigil.supply.network import SHARE_TOLERANCE, Edge, Network, Node, read_network
from vigil.supply.priors import FEE_BREACH, Prior, node_prior
from vigil.supply.propagation import NodeRisk, propagate
from vigil.supply.rank import Remediation, rank

INTERVIEW_RULESET = "ilo-11"
FEE_RULESET = "fair-recruitment-2019"
REGISTRY_MATCH_AT = 90.0


class SupplyError(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def audit(
    action: str,
    user: Any,
    *,
    obj: Any = None,
    object_type: str = "",
    via: str = "web",
    request: Any = None,
    **detail: Any,
) -> None:
    record(action, user=user, obj=obj, object_type=object_type, via=via, request=request, detail=detail)


# --- import -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Imported:
    created: int
    updated: int
    links: int
    candidates: int


def _save_upload(folder: Path, upload: Any, fallback: str) -> Path:
    name = Path(getattr(upload, "name", "") or fallback).name or fallback
    path = folder / name
    with open(path, "wb") as fh:
        for chunk in upload.chunks() if hasattr(upload, "chunks") else [upload.read()]:
            fh.write(chunk)
    return path


def import_files(organisation: Any, nodes_upload: Any, edges_upload: Any | None) -> Imported:
    """Read both files whole (``vigil.supply.network``), then store them in one transaction: new
    entities created, known ids updated, links created or updated. Any problem, in the files or
    with what is already stored (a buyer's shares above 1 with the stored links), raises
    ``InputError`` naming file, row and column, and nothing is stored."""
    with tempfile.TemporaryDirectory() as tmp:
        nodes_path = _save_upload(Path(tmp), nodes_upload, "nodes.csv")
        edges_path = _save_upload(Path(tmp), edges_upload, "edges.csv") if edges_upload else None
        net = read_network(nodes_path, edges_path)
    created = updated = 0
    with transaction.atomic():
        by_ref = {e.ref: e for e in Entity.objects.select_for_update().filter(organisation=organisation)}
        for ref, n in net.nodes.items():
            fields = {
                "kind": n.kind,
                "name": n.name[:200],
                "country": n.country,
                "sector": n.sector[:16],
                "good": n.good[:100],
                "address": n.address[:300],
                "workers": n.workers,
                "licence": n.licence,
                "fee_breaches": n.fee_breaches,
                "prior": n.prior,
            }
            if ref in by_ref:
                ent = by_ref[ref]
                for k, v in fields.items():
                    setattr(ent, k, v)
                ent.save()
                updated += 1
            else:
                by_ref[ref] = Entity.objects.create(organisation=organisation, ref=ref, **fields)
                created += 1
        stored = {(lk.supplier_id, lk.buyer_id): lk for lk in Link.objects.filter(organisation=organisation)}
        for e in net.edges:
            key = (by_ref[e.supplier].pk, by_ref[e.buyer].pk)
            if key in stored:
                lk = stored[key]
                lk.share, lk.spend = e.share, e.spend
                lk.save(update_fields=["share", "spend"])
            else:
                stored[key] = Link.objects.create(
                    organisation=organisation,
                    supplier_id=key[0],
                    buyer_id=key[1],
                    share=e.share,
                    spend=e.spend,
                )
        totals: dict[int, float] = {}
        for lk in stored.values():
            if lk.share is not None:
                totals[lk.buyer_id] = totals.get(lk.buyer_id, 0.0) + lk.share
        places = {(by_ref[e.supplier].pk, by_ref[e.buyer].pk): e.place for e in net.edges}
        for (_sup, buy), place in places.items():
            if totals.get(buy, 0.0) > 1 + SHARE_TOLERANCE:
                name = next(r for r, x in by_ref.items() if x.pk == buy)
                raise InputError(
                    f"with the links already stored, the input shares of {name!r} sum to "
                    f"{totals[buy]:.6g}, above 1",
                    f"{place}, column share",
                )
        resolve_recruiters(organisation)
        candidates = refresh_candidates(organisation)
    return Imported(created, updated, len(net.edges), candidates)


# --- entity resolution ---------------------------------------------------------------------------


def live_entities(organisation: Any) -> list[Entity]:
    return list(Entity.objects.filter(organisation=organisation, merged_into__isnull=True))


def refresh_candidates(organisation: Any, *, match_at: float = 90.0, review_at: float = 75.0) -> int:
    """Likely duplicates among the live entities (``vigil.supply.match``) into the review queue;
    pairs already decided stay decided. Returns the number of new pairs."""
    from vigil.supply.match import duplicates

    ents = {str(e.pk): e for e in live_entities(organisation)}
    nodes = [Node(k, e.name, e.kind, country=e.country, address=e.address) for k, e in ents.items()]
    new = 0
    for p in duplicates(nodes, match_at=match_at, review_at=review_at):
        a, b = sorted((int(p.a), int(p.b)))
        _obj, made = MatchCandidate.objects.get_or_create(
            a_id=a, b_id=b, defaults={"organisation": organisation, "score": p.score, "suggested": p.decision}
        )
        new += made
    return new


def merge(candidate: MatchCandidate, user: Any, *, keep: Entity | None = None) -> Merge:
    """Merge the pair (into ``keep``, else the first of the pair): the other entity stays stored,
    pointing at the kept one; its links, audits and plans count for the kept one."""
    if candidate.status != MatchCandidate.Status.PENDING:
        raise SupplyError("status", "this pair has already been decided")
    kept = keep or candidate.a
    if kept.pk not in (candidate.a_id, candidate.b_id):
        raise SupplyError("keep", "keep one of the two entities of the pair")
    gone = candidate.b if kept.pk == candidate.a_id else candidate.a
    if gone.merged_into_id is not None or kept.merged_into_id is not None:
        raise SupplyError("status", "one of the two has been merged already; review the pair again")
    with transaction.atomic():
        gone.merged_into = kept
        gone.save(update_fields=["merged_into"])
        candidate.status = MatchCandidate.Status.MERGED
        candidate.decided_by, candidate.decided_at = user, timezone.now()
        candidate.save(update_fields=["status", "decided_by", "decided_at"])
        return Merge.objects.create(
            organisation=candidate.organisation, kept=kept, merged=gone, candidate=candidate, by=user
        )


def undo_merge(m: Merge, user: Any) -> Merge:
    if m.undone_at is not None:
        raise SupplyError("merge", "this merge has already been undone")
    with transaction.atomic():
        gone = m.merged
        if gone.merged_into_id != m.kept_id:
            raise SupplyError("merge", "the entity has been changed since; undo the later merge first")
        if (
            Merge.objects.filter(kept=gone, undone_at__isnull=True).exists()
            or Entity.objects.filter(merged_into=gone).exists()
        ):
            raise SupplyError("merge", "another entity was merged into this one since; undo that first")
        gone.merged_into = None
        gone.save(update_fields=["merged_into"])
        m.undone_by, m.undone_at = user, timezone.now()
        m.save(update_fields=["undone_by", "undone_at"])
        if m.candidate is not None:
            m.candidate.status = MatchCandidate.Status.PENDING
            m.candidate.decided_by, m.candidate.decided_at = None, None
            m.candidate.save(update_fields=["status", "decided_by", "decided_at"])
    return m


def mark_distinct(candidate: MatchCandidate, user: Any) -> MatchCandidate:
    if candidate.status != MatchCandidate.Status.PENDING:
        raise SupplyError("status", "this pair has already been decided")
    candidate.status = MatchCandidate.Status.DISTINCT
    candidate.decided_by, candidate.decided_at = user, timezone.now()
    candidate.save(update_fields=["status", "decided_by", "decided_at"])
    return candidate


def resolve_recruiters(organisation: Any) -> int:
    """Link each recruiter to the registry's agency of the same country whose normalised name
    matches (rapidfuzz ratio at least ``REGISTRY_MATCH_AT``), when the registry has it."""
    from rapidfuzz import fuzz

    from vigil.server.recruitment.models import Agency

    linked = 0
    recruiters = Entity.objects.filter(
        organisation=organisation, kind=Entity.Kind.RECRUITER, agency__isnull=True
    )
    for ent in recruiters:
        want = normalise_name(ent.name)
        best, score = None, 0.0
        for ag in Agency.objects.filter(country=ent.country) if ent.country else []:
            s = fuzz.ratio(want, normalise_name(ag.legal_name))
            if s > score:
                best, score = ag, s
        if best is not None and score >= REGISTRY_MATCH_AT:
            ent.agency = best
            ent.save(update_fields=["agency"])
            linked += 1
    return linked


# --- audits ---------------------------------------------------------------------------------


def severity_of(fired: int) -> float:
    """The grade of an interview or observation with ``fired`` ILO-11 indicators."""
    return 0.0 if fired == 0 else min(1.0, 0.4 + 0.2 * fired)


def screen_interview(items: Iterable[str], note: str = "") -> dict[str, Any]:
    rs = load_ruleset(INTERVIEW_RULESET)
    known = {i.id for i in rs.indicators}
    ticked = sorted(set(items))
    bad = [i for i in ticked if i not in known]
    if bad:
        raise SupplyError(
            "items", f"unknown checklist item {bad[0]} (the {rs.id} items are ILO11.01..ILO11.11)"
        )
    det = assess(
        rs,
        {"id": "finding", "indicators": dict.fromkeys(known, False) | dict.fromkeys(ticked, True)},
        why=True,
    )
    d = det.to_dict()
    return {
        "answers": {"items": ticked},
        "ruleset": d["ruleset"],
        "version": d["version"],
        "outcome": d["outcome"],
        "label": str(d["label"])[:300],
        "fired": list(d["fired"]),
        "decided_by": str(d["decided_by"])[:300],
        "why": d["why"],
        "severity": severity_of(len(d["fired"])),
        "note": note,
    }


def screen_fee(
    amount: float,
    currency: str,
    purpose: str,
    payee: str = "recruiter",
    channel: str = "upfront",
    note: str = "",
) -> dict[str, Any]:
    try:
        det = classify_payment(Payment(amount, currency, purpose, payee, channel))
    except ValueError as exc:
        raise SupplyError("amount", str(exc)) from None
    positive = det.outcome == "positive"
    return {
        "answers": {
            "amount": amount,
            "currency": currency,
            "purpose": purpose,
            "payee": payee,
            "channel": channel,
        },
        "ruleset": det.ruleset,
        "version": det.version,
        "outcome": det.outcome,
        "label": det.label[:300],
        "fired": list(det.fired),
        "decided_by": det.decided_by[:300],
        "why": dict(det.why or {}),
        "severity": FEE_BREACH if positive else 0.0,
        "note": note,
    }


def add_finding(audit_obj: SupplyAudit, kind: str, screened: Mapping[str, Any]) -> Finding:
    return Finding.objects.create(audit=audit_obj, kind=kind, **screened)


# --- risk ---------------------------------------------------------------------------------------


@dataclass
class ChainRisk:
    net: Network
    risks: dict[str, NodeRisk]
    entities: dict[str, Entity]  # by str(pk), live entities only
    priors: dict[str, Prior]


def _findings_by_entity(organisation: Any) -> dict[int, list[Finding]]:
    out: dict[int, list[Finding]] = {}
    for f in Finding.objects.filter(audit__organisation=organisation).select_related(
        "audit", "audit__entity"
    ):
        out.setdefault(f.audit.entity.root().pk, []).append(f)
    return out


def chain_network(organisation: Any) -> tuple[Network, dict[str, Entity], dict[int, list[Finding]]]:
    """The organisation's network with merged entities folded into the kept ones (their links
    added up: shares summed up to 1, spends summed), each node carrying the severity and date of
    its latest findings and its registry facts."""
    all_ents = {e.pk: e for e in Entity.objects.filter(organisation=organisation).select_related("agency")}
    for e in all_ents.values():  # roots without a query per entity
        if e.merged_into_id is not None:
            e.merged_into = all_ents.get(e.merged_into_id)
    roots = {pk: e.root() for pk, e in all_ents.items()}
    findings = _findings_by_entity(organisation)
    net = Network()
    live = {str(e.pk): e for e in all_ents.values() if e.merged_into_id is None}
    for key, e in live.items():
        fs = findings.get(e.pk, [])
        sev = max((f.severity for f in fs), default=None)
        when = max((f.audit.date for f in fs), default=None)
        licence, breaches = e.licence, e.fee_breaches
        if e.agency is not None:
            licence = _registry_licence(e.agency) or licence
            breaches = max(breaches or 0, _registry_breaches(e.agency)) or breaches
        net.nodes[key] = Node(
            key,
            e.name,
            e.kind,
            e.prior,
            e.country,
            e.sector,
            e.good,
            e.address,
            e.workers,
            licence,
            breaches,
            sev,
            when.isoformat() if when else "",
            place=f"entity {e.ref}",
        )
    merged: dict[tuple[str, str], Edge] = {}
    for lk in Link.objects.filter(organisation=organisation):
        s, b = str(roots[lk.supplier_id].pk), str(roots[lk.buyer_id].pk)
        if s == b:
            continue
        if (s, b) in merged:
            old = merged[(s, b)]
            share = None if old.share is None or lk.share is None else min(1.0, old.share + lk.share)
            spend = None if old.spend is None and lk.spend is None else (old.spend or 0) + (lk.spend or 0)
            merged[(s, b)] = replace(old, share=share, spend=spend)
        else:
            merged[(s, b)] = Edge(
                s,
                b,
                lk.share,
                lk.spend,
                f"link {all_ents[lk.supplier_id].ref} -> {all_ents[lk.buyer_id].ref}",
            )
    net.edges = list(merged.values())
    return net, live, findings


def _registry_licence(agency: Any) -> str:
    status = agency.licence_status()
    return {
        "active": "valid",
        "expired": "expired",
        "suspended": "suspended",
        "revoked": "revoked",
        "none": "none",
    }.get(str(status), "")


def _registry_breaches(agency: Any) -> int:
    return int(agency.fee_reports.filter(outcome="positive").count())


def chain_risk(organisation: Any, *, attenuation: float = 0.8, unknown_prior: float = 0.5) -> ChainRisk:
    """Risk of every live entity: the inherent prior (``vigil.supply.priors``) raised by the
    findings of its audits (each named as a source), then propagated (``vigil.supply.propagation``)."""
    net, live, findings = chain_network(organisation)
    priors: dict[str, Prior] = {}
    for key, node in net.nodes.items():
        base = node_prior(node, unknown_prior)
        value, sources = base.value, list(base.sources)
        for f in findings.get(int(key), []):
            why = (
                f"audit {f.audit.pk} ({f.audit.standard}, {f.audit.date.isoformat()}), finding {f.pk}: "
                f"{f.decided_by} ({f.ruleset} {f.version})"
            )
            if f.severity > value:
                value, sources = f.severity, [why]
            elif f.severity == value and f.severity > 0:
                sources.append(why)
        priors[key] = Prior(value, tuple(sources))
    risks = propagate(net, attenuation=attenuation, unknown_prior=unknown_prior, priors=priors)
    return ChainRisk(net, risks, live, priors)


def remediation(organisation: Any, today: date | None = None) -> tuple[ChainRisk, list[Remediation]]:
    cr = chain_risk(organisation)
    return cr, rank(cr.net, cr.risks, today=today or timezone.localdate())


def graph_svg(cr: ChainRisk, labels: Mapping[str, str], href: Mapping[str, str]) -> str:
    return picture.svg(cr.net, cr.risks, labels, href)


# --- corrective plans -------------------------------------------------------------------------


def open_plan(
    entity: Entity,
    user: Any,
    *,
    title: str,
    action: str = CorrectivePlan.Action.ENGAGE,
    why_engaging_failed: str = "",
    plan_for_workers: str = "",
    milestones: Iterable[tuple[str, str, date]] = (),
) -> CorrectivePlan:
    """A corrective action plan with its milestones (title, owner, due). Disengaging needs the
    reason engaging failed and what happens to the workers."""
    if action == CorrectivePlan.Action.DISENGAGE:
        if not why_engaging_failed.strip():
            raise SupplyError("why_engaging_failed", "disengaging is a last resort: say why engaging failed")
        if not plan_for_workers.strip():
            raise SupplyError(
                "plan_for_workers", "say what happens to the workers (wages, jobs, remediation)"
            )
    with transaction.atomic():
        plan = CorrectivePlan.objects.create(
            organisation=entity.organisation,
            entity=entity,
            title=title,
            action=action,
            why_engaging_failed=why_engaging_failed,
            plan_for_workers=plan_for_workers,
            opened_by=user,
        )
        for t, owner, due in milestones:
            Milestone.objects.create(plan=plan, title=t, owner=owner, due=due)
    return plan


def overdue_milestones(plans: Any, today: date) -> Any:
    return (
        Milestone.objects.filter(
            plan__in=plans, plan__status=CorrectivePlan.Status.OPEN, done_on__isnull=True, due__lt=today
        )
        .select_related("plan", "plan__entity")
        .order_by("due", "id")
    )
