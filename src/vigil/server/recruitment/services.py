"""What the pages and the API of the agency registry share: the risk worklist (scored with
``vigil.recruitment.risk``), the public licence search (``vigil.recruitment.names``), licence
status changes with their history, complaints with receipt codes, and their audit entries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from vigil.recruitment import risk
from vigil.recruitment.names import normalise_name
from vigil.recruitment.offers import OfferScreen, screen_offer
from vigil.server.audit.log import record
from vigil.server.recruitment.models import (
    Agency,
    AgencyReview,
    CaseLink,
    Complaint,
    FeeReport,
    JobOffer,
    Licence,
    LicenceStatusChange,
    normalise_receipt,
)

# the licence statuses of the registry, in the vocabulary of vigil.recruitment.risk
_RISK_STATUS = {"active": "valid", "suspended": "suspended", "revoked": "revoked", "expired": "expired"}


class RecruitmentError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


def audit(
    action: str,
    user: Any,
    obj: Any = None,
    *,
    object_type: str = "",
    via: str = "",
    request: Any = None,
    **detail: Any,
) -> None:
    """One audit entry; ``detail`` holds ids, counts and field names only."""
    record(action, user=user, obj=obj, object_type=object_type, via=via, request=request, detail=detail)


# the trafficking statuses of a linked case that count in the risk score
TRAFFICKING_STATUSES = ("PossibleVictimOfTrafficking", "ActualVictimOfTrafficking")
# offers that count as deceptive: warning signs found and not approved by the regulator
DECEPTIVE_OFFER_STATUSES = ("submitted", "rejected")


def with_risk_counts(qs: QuerySet[Agency]) -> QuerySet[Agency]:
    """The agencies with what the risk score reads, in a few queries for any number of them."""
    return qs.prefetch_related("licences", "complaints", "fee_reports", "offers").annotate(
        trafficking_case_count=Count(
            "case_links",
            filter=Q(case_links__case__trafficking_status__in=TRAFFICKING_STATUSES),
            distinct=True,
        ),
        linked_case_count=Count("case_links", distinct=True),
    )


def deceptive_offers(agency: Agency) -> int:
    return sum(1 for o in agency.offers.all() if o.signs and o.status in DECEPTIVE_OFFER_STATUSES)


def risk_input(agency: Agency) -> risk.Agency:
    """The agency's record as ``vigil.recruitment.risk`` reads it (pass agencies from
    :func:`with_risk_counts`)."""
    status = agency.licence_status()
    upheld_or_open = [c for c in agency.complaints.all() if c.status != Complaint.Status.DISMISSED]
    trafficking = getattr(agency, "trafficking_case_count", None)
    if trafficking is None:
        trafficking = agency.case_links.filter(case__trafficking_status__in=TRAFFICKING_STATUSES).count()
    return risk.Agency(
        id=str(agency.pk),
        name=agency.legal_name,
        licence_status=_RISK_STATUS.get(status, "none"),
        fee_breaches=sum(1 for f in agency.fee_reports.all() if f.breach),
        complaints=tuple(risk.Complaint(c.severity, c.made_on) for c in upheld_or_open),
        deceptive_offers=deceptive_offers(agency),
        trafficking_cases=trafficking,
        last_inspection=agency.last_inspection,
    )


@dataclass(frozen=True)
class WorklistLine:
    rank: int
    agency: Agency
    score: float
    reason: str
    components: tuple[risk.Component, ...]
    version: str


def worklist(
    agencies: QuerySet[Agency], *, as_of: date | None = None, limit: int | None = None
) -> list[WorklistLine]:
    """The agencies ranked by risk, highest first; each line's reason names its heaviest
    components (the full explanation is in ``components``)."""
    rows = list(with_risk_counts(agencies))
    by_id = {str(a.pk): a for a in rows}
    ranked = risk.rank([risk_input(a) for a in rows], as_of=as_of or timezone.localdate())
    lines = []
    for i, r in enumerate(ranked[:limit] if limit else ranked, start=1):
        heavy = sorted((c for c in r.components if c.points > 0), key=lambda c: -c.points)[:3]
        reason = "; ".join(f"{c.reason} (+{c.points:g})" for c in heavy) or "no risk factor on record"
        lines.append(WorklistLine(i, by_id[r.agency_id], r.score, reason, r.components, r.version))
    return lines


def search_agencies(query: str, *, limit: int = 10) -> list[Agency]:
    """Public licence check: an exact licence or registration number, else a fuzzy name match
    (the same normalisation as ``vigil recruiters match``: legal suffixes, word order, accents)."""
    from rapidfuzz import fuzz, process

    q = query.strip()
    if not q:
        return []
    exact = list(
        dict.fromkeys(
            survivor(a)
            for a in Agency.objects.filter(Q(licences__number__iexact=q) | Q(registration_number__iexact=q))
            .distinct()
            .order_by("pk")
        )
    )
    if exact:
        return exact
    target = normalise_name(q)
    if not target:
        return []
    agencies = list(active_agencies())
    choices = {a.pk: normalise_name(a.legal_name) for a in agencies}
    found = process.extract(target, choices, scorer=fuzz.token_set_ratio, score_cutoff=75, limit=limit)
    by_pk = {a.pk: a for a in agencies}
    return [by_pk[pk] for _name, _score, pk in found]


def change_licence_status(licence: Licence, to_status: str, *, reason: str, user: Any) -> LicenceStatusChange:
    if to_status not in Licence.Status.values:
        raise RecruitmentError("status", f"choose one of: {', '.join(Licence.Status.values)}")
    if to_status == licence.status:
        raise RecruitmentError("status", "the licence already has this status")
    if not reason.strip():
        raise RecruitmentError("reason", "give the reason for the change")
    with transaction.atomic():
        locked = Licence.objects.select_for_update().get(pk=licence.pk)
        change = LicenceStatusChange.objects.create(
            licence=locked, from_status=locked.status, to_status=to_status, reason=reason.strip(), by=user
        )
        locked.status = to_status
        locked.save(update_fields=["status"])
    licence.status = to_status
    return change


def open_review(agency: Agency, *, user: Any, alert_id: int | None = None, via: str = "web") -> AgencyReview:
    """Open a review of the agency (one open review at a time: an open one is returned as it is,
    noting the alert on it if it had none); audited."""
    with transaction.atomic():
        Agency.objects.select_for_update().filter(pk=agency.pk).first()
        review = AgencyReview.objects.filter(agency=agency, closed_at__isnull=True).first()
        if review is None:
            review = AgencyReview.objects.create(agency=agency, alert_id=alert_id, opened_by=user)
            audit("create", user, review, via=via, agency=agency.pk, alert=alert_id)
        elif alert_id is not None and review.alert_id is None:
            review.alert_id = alert_id
            review.save(update_fields=["alert_id"])
            audit("update", user, review, via=via, fields=["alert_id"])
    return review


def close_review(review: AgencyReview, outcome: str, *, user: Any, via: str = "web") -> AgencyReview:
    if outcome not in AgencyReview.Outcome.values:
        raise RecruitmentError("outcome", f"choose one of: {', '.join(AgencyReview.Outcome.values)}")
    with transaction.atomic():
        locked = AgencyReview.objects.select_for_update().get(pk=review.pk)
        if locked.closed_at is not None:
            raise RecruitmentError("outcome", "the review is already closed")
        locked.outcome, locked.closed_by, locked.closed_at = outcome, user, timezone.now()
        locked.save(update_fields=["outcome", "closed_by", "closed_at"])
        audit("close", user, locked, via=via, outcome=outcome)
    return locked


def complaint_by_receipt(code: str) -> Complaint | None:
    stored = normalise_receipt(code)
    if not stored:
        return None
    return Complaint.objects.filter(receipt_code=stored).select_related("agency").first()


def screen_offer_text(text: str) -> tuple[OfferScreen, list[Agency]]:
    """The offer's warning signs and the registry entries of agencies it seems to name."""
    screen = screen_offer(text)
    named: list[Agency] = []
    low = normalise_name(text)
    words = set(low.split())
    for a in active_agencies():
        n = normalise_name(a.legal_name)
        if n and set(n.split()) <= words:
            named.append(a)
    return screen, named


def agency_counts(qs: QuerySet[Agency]) -> QuerySet[Agency]:
    return qs.annotate(
        complaint_count=Count("complaints", distinct=True),
        fee_breach_count=Count("fee_reports", filter=Q(fee_reports__breach=True), distinct=True),
    )


# --- inspections and links to cases ------------------------------------------------------------


def link_case(agency: Agency, case: Any, *, user: Any) -> tuple[CaseLink, bool]:
    """Link a case the user may edit to the agency that recruited the person (idempotent)."""
    from vigil.server.scoping import can_edit_case

    if not can_edit_case(user, case):
        raise RecruitmentError("case", "you may not change this case")
    link, created = CaseLink.objects.get_or_create(agency=agency, case=case, defaults={"linked_by": user})
    return link, created


@dataclass(frozen=True)
class Suggestion:
    agency: Agency
    score: float
    stage_id: int


def suggest_agencies(
    case: Any, *, user: Any, request: Any = None, limit: int = 3, linked: set[int] | None = None
) -> list[Suggestion]:
    """Registry entries that the case's migration stages name as employer or recruiter (the
    encrypted ``employer_or_recruiter``), ranked by ``vigil.recruitment.names.rank_candidates``,
    leaving out the agencies already linked. Only for someone who may edit the case; reading the
    encrypted field and what was suggested are audited (ids and scores, never the text)."""
    from vigil.recruitment.names import Party, rank_candidates
    from vigil.server.scoping import can_edit_case

    if not can_edit_case(user, case):
        raise RecruitmentError("case", "you may not change this case")
    stages = [s for s in case.stages.all() if s.employer_or_recruiter.strip()]
    if not stages:
        return []
    if linked is None:  # the ids of the agencies linked to the case, unless the caller has read them
        linked = set(CaseLink.objects.filter(case=case).values_list("agency_id", flat=True))
    agencies = {str(a.pk): a for a in active_agencies().exclude(pk__in=linked)}
    registry = [Party(pk, a.legal_name, a.country) for pk, a in agencies.items()]
    best: dict[str, Suggestion] = {}
    for stage in stages:
        for c in rank_candidates(stage.employer_or_recruiter, registry, country=stage.country, limit=limit):
            if c.id not in best or c.score > best[c.id].score:
                best[c.id] = Suggestion(agencies[c.id], c.score, stage.pk)
    out = sorted(best.values(), key=lambda s: (-s.score, s.agency.legal_name))[:limit]
    audit(
        "suggest",
        user,
        case,
        via="web",
        request=request,
        read="migration_stage.employer_or_recruiter",
        stages=[s.pk for s in stages],
        agencies=[s.agency.pk for s in out],
        scores=[s.score for s in out],
    )
    return out


# --- verified job offers ----------------------------------------------------------------------


def licence_in_force(agency_ref: Any, today: date | None = None) -> Exists:
    """A query condition: the agency (``agency_ref``, e.g. ``OuterRef("agency")``) holds a licence
    that is active and within its validity today. Suspended, revoked and lapsed licences fail it
    at once: nothing has to run for an agency to lose its listing."""
    today = today or timezone.localdate()
    return Exists(
        Licence.objects.filter(agency=agency_ref, status=Licence.Status.ACTIVE, valid_from__lte=today).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=today)
        )
    )


def listed_offers(today: date | None = None) -> QuerySet[JobOffer]:
    """The public list: approved offers, still open, of agencies with a licence in force."""
    today = today or timezone.localdate()
    return (
        JobOffer.objects.filter(status=JobOffer.Status.APPROVED)
        .filter(Q(open_until__isnull=True) | Q(open_until__gte=today))
        .filter(licence_in_force(OuterRef("agency"), today))
        .select_related("agency")
        .prefetch_related("agency__licences")
        .order_by("-reviewed_at", "-id")
    )


def may_publish(agency: Agency) -> bool:
    return Agency.objects.filter(pk=agency.pk).filter(licence_in_force(OuterRef("pk"))).exists()


def review_offer(offer: JobOffer, decision: str, *, note: str, user: Any) -> JobOffer:
    """Approve or reject a submitted offer (or withdraw a listed one). An approval needs the
    agency's licence in force, and a note when the offer check found warning signs or the worker
    would pay costs that the employer must pay; a rejection or withdrawal needs a note."""
    note = note.strip()
    targets = {
        "approve": (JobOffer.Status.APPROVED, {JobOffer.Status.SUBMITTED}),
        "reject": (JobOffer.Status.REJECTED, {JobOffer.Status.SUBMITTED}),
        "withdraw": (JobOffer.Status.WITHDRAWN, {JobOffer.Status.SUBMITTED, JobOffer.Status.APPROVED}),
    }
    if decision not in targets:
        raise RecruitmentError("decision", "choose approve, reject or withdraw")
    to_status, allowed_from = targets[decision]
    with transaction.atomic():
        locked = JobOffer.objects.select_for_update().select_related("agency").get(pk=offer.pk)
        if locked.status not in allowed_from:
            raise RecruitmentError("decision", f"the offer is {locked.status}: it cannot be {to_status} now")
        if decision == "approve":
            if not may_publish(locked.agency):
                raise RecruitmentError(
                    "decision", "the agency has no licence in force: its offers cannot be listed"
                )
            owed = [c["cost"] for c in locked.worker_costs if c.get("breach")]
            if (locked.signs or owed) and not note:
                raise RecruitmentError(
                    "note",
                    "the offer check found warning signs or costs the worker would pay: "
                    "say in the note why it may be listed",
                )
        elif not note:
            raise RecruitmentError("note", "give the reason")
        locked.status = to_status
        locked.review_note = note
        locked.reviewed_at = timezone.now()
        locked.reviewed_by = user if getattr(user, "is_authenticated", False) else None
        locked.save(
            update_fields=[
                "status",
                "review_note",
                "reviewed_at",
                "reviewed_by",
                "signs",
                "evidence",
                "signs_version",
                "worker_costs",
                "fees_ruleset_version",
            ]
        )
    return locked


__all__ = [
    "Agency",
    "Complaint",
    "FeeReport",
    "JobOffer",
    "RecruitmentError",
    "WorklistLine",
    "audit",
    "change_licence_status",
    "complaint_by_receipt",
    "licence_in_force",
    "listed_offers",
    "review_offer",
    "risk_input",
    "screen_offer_text",
    "search_agencies",
    "worklist",
]


# --- the name review queue -------------------------------------------------------------------------


def _relations() -> tuple[tuple[str, Any], ...]:
    """The rows that name an agency, moved to the kept agency by a merge (back by its undo)."""
    from vigil.server.recruitment.models import Inspection, Sanction

    return (
        ("licences", Licence),
        ("sanctions", Sanction),
        ("complaints", Complaint),
        ("fee_reports", FeeReport),
        ("offers", JobOffer),
        ("inspections", Inspection),
    )


def survivor(agency: Agency) -> Agency:
    """The registry entry an agency was merged into (following merges), else the agency."""
    seen = {agency.pk}
    while agency.merged_into_id is not None and agency.merged_into_id not in seen:
        seen.add(agency.merged_into_id)
        agency = Agency.objects.get(pk=agency.merged_into_id)
    return agency


def active_agencies() -> QuerySet[Agency]:
    """The registry's entries that were not merged into another."""
    return Agency.objects.filter(merged_into__isnull=True)


def find_name_pairs(*, match_at: float = 90.0, review_at: float = 75.0) -> int:
    """Put the pairs of registry entries whose names may be one agency (same country) into the
    review queue; pairs already decided are not proposed again. The number of new pairs."""
    from vigil.recruitment.names import Party, pairs_within
    from vigil.server.recruitment.models import NamePair

    agencies = list(active_agencies().only("pk", "legal_name", "country"))
    found = pairs_within(
        [Party(str(a.pk), a.legal_name, a.country) for a in agencies], match_at=match_at, review_at=review_at
    )
    known = set(NamePair.objects.values_list("agency_a_id", "agency_b_id"))
    new = []
    for p in found:
        a, b = sorted((int(p.a), int(p.b)))
        if (a, b) not in known:
            known.add((a, b))
            new.append(NamePair(agency_a_id=a, agency_b_id=b, score=p.score, decision=p.decision))
    NamePair.objects.bulk_create(new)
    return len(new)


def review_queue() -> QuerySet[Any]:
    """Pending pairs whose two entries are both still in the registry (not merged elsewhere)."""
    from vigil.server.recruitment.models import NamePair

    return (
        NamePair.objects.filter(status=NamePair.Status.PENDING)
        .filter(agency_a__merged_into__isnull=True, agency_b__merged_into__isnull=True)
        .select_related("agency_a", "agency_b")
    )


def _locked_pair(pair: Any) -> Any:
    from vigil.server.recruitment.models import NamePair

    return NamePair.objects.select_for_update().select_related("agency_a", "agency_b").get(pk=pair.pk)


def _refresh_last_inspection(agency: Agency) -> None:
    from django.db.models import Max

    latest = agency.inspections.aggregate(Max("inspected_on"))["inspected_on__max"]
    Agency.objects.filter(pk=agency.pk).update(last_inspection=latest)


def merge_pair(pair: Any, *, keep: Agency, user: Any) -> Any:
    """The two entries are one agency: every licence, sanction, complaint, fee report, offer,
    inspection and case link of the other moves to ``keep``, and the other is marked merged
    into it (kept, so that the merge can be undone)."""
    from vigil.server.recruitment.models import NamePair, NamePairEvent

    with transaction.atomic():
        locked = _locked_pair(pair)
        if locked.status != NamePair.Status.PENDING:
            raise RecruitmentError("pair", f"this pair was already decided ({locked.status}): undo it first")
        if keep.pk not in (locked.agency_a_id, locked.agency_b_id):
            raise RecruitmentError("keep", "keep one of the two agencies of the pair")
        gone = locked.agency_b if keep.pk == locked.agency_a_id else locked.agency_a
        kept = Agency.objects.select_for_update().get(pk=keep.pk)
        gone = Agency.objects.select_for_update().get(pk=gone.pk)
        if kept.merged_into_id or gone.merged_into_id:
            raise RecruitmentError(
                "pair", "one of the agencies was merged into another since: undo that first"
            )
        moved: dict[str, Any] = {"kept": kept.pk, "merged": gone.pk}
        for name, model in _relations():
            ids = list(model.objects.filter(agency=gone).values_list("pk", flat=True))
            model.objects.filter(pk__in=ids).update(agency=kept)
            moved[name] = ids
        both = set(CaseLink.objects.filter(agency=kept).values_list("case_id", flat=True))
        dropped = list(
            CaseLink.objects.filter(agency=gone, case_id__in=both).values_list("case_id", flat=True)
        )
        CaseLink.objects.filter(agency=gone, case_id__in=both).delete()  # the case is linked to kept already
        ids = list(CaseLink.objects.filter(agency=gone).values_list("pk", flat=True))
        CaseLink.objects.filter(pk__in=ids).update(agency=kept)
        moved["case_links"], moved["case_links_dropped"] = ids, dropped
        gone.merged_into = kept
        gone.save(update_fields=["merged_into"])
        _refresh_last_inspection(kept)
        _refresh_last_inspection(gone)
        locked.status, locked.kept = NamePair.Status.MERGED, kept
        locked.save(update_fields=["status", "kept"])
        NamePairEvent.objects.create(pair=locked, action=NamePairEvent.Action.MERGED, moved=moved, by=user)
    return locked


def separate_pair(pair: Any, *, user: Any) -> Any:
    """The two entries are different agencies; the pair is not proposed again."""
    from vigil.server.recruitment.models import NamePair, NamePairEvent

    with transaction.atomic():
        locked = _locked_pair(pair)
        if locked.status != NamePair.Status.PENDING:
            raise RecruitmentError("pair", f"this pair was already decided ({locked.status}): undo it first")
        locked.status = NamePair.Status.SEPARATED
        locked.save(update_fields=["status"])
        NamePairEvent.objects.create(pair=locked, action=NamePairEvent.Action.SEPARATED, by=user)
    return locked


def undo_pair(pair: Any, *, user: Any) -> Any:
    """Undo the pair's decision: a separation goes back to the queue; a merge moves back every
    row it moved and brings the merged entry back into the registry."""
    from vigil.server.recruitment.models import NamePair, NamePairEvent

    with transaction.atomic():
        locked = _locked_pair(pair)
        if locked.status == NamePair.Status.PENDING:
            raise RecruitmentError("pair", "nothing to undo: the pair waits for review")
        last = locked.events.exclude(action=NamePairEvent.Action.UNDONE).order_by("-at", "-id").first()
        if locked.status == NamePair.Status.MERGED:
            moved = last.moved if last is not None else {}
            kept = Agency.objects.select_for_update().get(pk=moved["kept"])
            gone = Agency.objects.select_for_update().get(pk=moved["merged"])
            if kept.merged_into_id is not None:
                raise RecruitmentError(
                    "pair", "the kept agency was merged into another since: undo that first"
                )
            for name, model in _relations():
                model.objects.filter(pk__in=moved.get(name, []), agency=kept).update(agency=gone)
            CaseLink.objects.filter(pk__in=moved.get("case_links", []), agency=kept).update(agency=gone)
            for case_id in moved.get("case_links_dropped", []):
                CaseLink.objects.get_or_create(agency=gone, case_id=case_id)
            gone.merged_into = None
            gone.save(update_fields=["merged_into"])
            _refresh_last_inspection(kept)
            _refresh_last_inspection(gone)
        undone = locked.status
        locked.status, locked.kept = NamePair.Status.PENDING, None
        locked.save(update_fields=["status", "kept"])
        NamePairEvent.objects.create(
            pair=locked, action=NamePairEvent.Action.UNDONE, moved={"undid": undone}, by=user
        )
    return locked
