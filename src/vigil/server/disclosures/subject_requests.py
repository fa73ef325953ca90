"""Data-subject requests (R12): record, track, and carry out access and erasure.

Who: users with ``subject.request`` (supervisors), on the persons of their own scope
(``scoping.editable_persons_for``: ``persons_for`` without emergency grants, which let a user read
one case, never hand a person's whole record out or erase it). Every step writes an audit entry
naming ids and fields, never values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vigil.server import scoping
from vigil.server.audit.log import record
from vigil.server.cases.identity_guard import identity_in
from vigil.server.cases.models import Case, Person
from vigil.server.cases.retention import anonymise_case
from vigil.server.disclosures import conf, exportfiles, subject_access
from vigil.server.disclosures.models import ExportFile, SubjectRequest
from vigil.server.inspections.models import Interview
from vigil.server.versioning import StaleEdit, lock, transition

CLOSED = (Case.Status.CLOSED, Case.Status.CLOSED_REFERRED)
ANONYMISED_FIELDS = [
    *(f"person.{f}" for f in Person.IDENTITY_FIELDS),
    "person.birth_year",
    "migration_stages.employer_or_recruiter",
    "migration_stages.notes",
    "follow_ups.notes",
]


class RequestError(Exception):
    """A refused step: ``field`` names the input or the state at fault; 400 or 409."""

    def __init__(self, field: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.status = status


def allowed(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.can("subject.request"))


def persons_for(user: Any) -> models.QuerySet[Person]:
    """Persons a request may be recorded for: those of the user's scope, if the role handles
    requests (an emergency grant does not count)."""
    return scoping.editable_persons_for(user) if allowed(user) else Person.objects.none()


def cases_for(user: Any) -> models.QuerySet[Case]:
    """The cases a request acts on: the user's scope, without emergency grants."""
    return scoping.editable_cases_for(user) if allowed(user) else Case.objects.none()


def subject_requests_for(user: Any) -> models.QuerySet[SubjectRequest]:
    """Requests about persons the user can see, if the role handles requests."""
    if not allowed(user):
        return SubjectRequest.objects.none()
    return SubjectRequest.objects.filter(person__in=persons_for(user))


def _audit(action: str, req: SubjectRequest, user: Any, via: str, request: Any, **detail: Any) -> None:
    record(
        action,
        user=user,
        object_type="subject_request",
        object_id=req.pk,
        via=via,
        request=request,
        detail={"person": req.person_id, "kind": req.kind, **detail},
    )


def check_note(person: Person, text: str, field: str) -> str:
    """Refuse a note that contains one of the person's identity values (notes hold none)."""
    text = (text or "").strip()
    if identity_in(person, text):
        raise RequestError(field, _("Do not write the person's name, document or phone number here."))
    return text


def create(
    user: Any,
    *,
    person: Person,
    kind: str,
    channel: str,
    received_on: date | None = None,
    verification: str = "",
    via: str,
    request: Any = None,
) -> SubjectRequest:
    received_on = received_on or timezone.localdate()
    if received_on > timezone.localdate():
        raise RequestError("received_on", _("The date received cannot be in the future."))
    with transaction.atomic():
        req = SubjectRequest.objects.create(
            person=person,
            kind=kind,
            channel=channel,
            received_on=received_on,
            verification=verification,
            due_on=received_on + timedelta(days=conf.subject_request_days()),
            created_by=user,
            handled_by=user,
        )
        _audit("create", req, user, via, request, fields=["kind", "channel", "received_on", "verification"])
    return req


def _require_open(req: SubjectRequest) -> None:
    if not req.is_open:
        raise RequestError("status", _("This request is closed."), status=409)


def _require_verified(req: SubjectRequest) -> None:
    if not req.verification:
        raise RequestError("verification", _("Verify the person's identity first and say how."))


def _require_kind(req: SubjectRequest, *kinds: str) -> None:
    if req.kind not in kinds:
        raise RequestError("kind", _("This action does not apply to this kind of request."), status=409)


def update(
    req: SubjectRequest,
    user: Any,
    changes: dict[str, Any],
    *,
    version: int,
    via: str,
    request: Any = None,
) -> SubjectRequest:
    """Change the verification, the note, or move the status between received and in progress,
    if the request is still at ``version`` (the one the user read): only the fields sent are
    written, in one conditional UPDATE; a stale version raises ``StaleEdit`` (409)."""
    _require_open(req)
    fields = {}
    if "verification" in changes:
        fields["verification"] = changes["verification"]
    if "outcome_note" in changes:
        fields["outcome_note"] = check_note(req.person, changes["outcome_note"], "outcome_note")
    if "status" in changes:
        if changes["status"] not in SubjectRequest.OPEN_STATUSES:
            raise RequestError("status", _("Use the complete, refuse, access or erase actions to close it."))
        fields["status"] = changes["status"]
    with transaction.atomic():
        req.save_versioned(version, {**fields, "handled_by": user})
        _audit("update", req, user, via, request, fields=sorted(fields), version=req.version)
    return req


def _close(
    req: SubjectRequest,
    user: Any,
    status: str,
    *,
    reason: str = "",
    note: str | None = None,
    result: dict[str, Any] | None = None,
    expected_version: int | None = None,
) -> None:
    """Close an open request: one conditional UPDATE on "still open" (and the version, when
    given), so two concurrent closings cannot both succeed (``StaleEdit``)."""
    changes: dict[str, Any] = {
        "status": status,
        "refusal_reason": reason,
        "handled_by": user,
        "completed_on": timezone.localdate(),
    }
    if note is not None:
        changes["outcome_note"] = note
    if result is not None:
        changes["result"] = result
    transition(req, changes, expected_version=expected_version, status__in=SubjectRequest.OPEN_STATUSES)


def _check_version(req: SubjectRequest, expected_version: int | None) -> None:
    if expected_version is not None and req.version != expected_version:
        raise StaleEdit(req.version)


def complete(
    req: SubjectRequest,
    user: Any,
    note: str,
    *,
    expected_version: int | None = None,
    via: str,
    request: Any = None,
) -> SubjectRequest:
    """Close a correction, restriction or objection (the correction itself is made on the person's
    page; restriction and objection are recorded here)."""
    _check_version(req, expected_version)
    _require_open(req)
    kinds = SubjectRequest.Kind
    _require_kind(req, kinds.CORRECTION, kinds.RESTRICTION, kinds.OBJECTION)
    note = check_note(req.person, note, "outcome_note")
    with transaction.atomic():
        _close(req, user, SubjectRequest.Status.COMPLETED, note=note, expected_version=req.version)
        _audit("complete", req, user, via, request, fields=["status", "outcome_note"] if note else ["status"])
    return req


def refuse(
    req: SubjectRequest,
    user: Any,
    reason: str,
    note: str = "",
    *,
    expected_version: int | None = None,
    via: str,
    request: Any = None,
) -> SubjectRequest:
    _check_version(req, expected_version)
    _require_open(req)
    reason = check_note(req.person, reason, "refusal_reason")
    if not reason:
        raise RequestError("refusal_reason", _("Give the reason for the refusal."))
    note = check_note(req.person, note, "outcome_note")
    with transaction.atomic():
        _close(
            req, user, SubjectRequest.Status.REFUSED, reason=reason, note=note, expected_version=req.version
        )
        _audit("refuse", req, user, via, request, fields=["status", "refusal_reason", "outcome_note"])
    return req


def _person_cases(person: Person, user: Any) -> list[Case]:
    return list(
        cases_for(user)
        .filter(person=person)
        .order_by("opened_on", "id")
        .prefetch_related(
            "stages", "consents", "screenings", "referrals__provider", "followups", "inspection_interviews"
        )
    )


def access(
    req: SubjectRequest,
    user: Any,
    *,
    expected_version: int | None = None,
    via: str,
    request: Any = None,
) -> exportfiles.IssuedExport:
    """Build the person's record into an encrypted zip for the supervisor to hand over.

    An open request is closed in the file's transaction, conditionally on still being open at
    the version read: of two concurrent builds one closes it, the other raises ``StaleEdit``
    and its file is deleted."""
    _check_version(req, expected_version)
    _require_kind(req, SubjectRequest.Kind.ACCESS)
    if req.status in (SubjectRequest.Status.REFUSED, SubjectRequest.Status.PARTIALLY_REFUSED):
        _require_open(req)  # a completed access request may be built again (a lost password)
    _require_verified(req)
    person = Person.objects.get(pk=req.person_id)
    cases = _person_cases(person, user)
    requests = list(person.subject_requests.order_by("received_on", "id"))
    organisation = user.organisation.name if user.organisation_id else ""
    files, lang = subject_access.members(person, cases, requests, organisation)
    fields = subject_access.field_list()
    case_ids = [c.pk for c in cases]
    interviews = [i for c in cases for i in c.inspection_interviews.all()]

    def audit(export: ExportFile) -> None:
        record(
            "subject_access",
            user=user,
            object_type="person",
            object_id=person.pk,
            via=via,
            request=request,
            detail={
                "subject_request": req.pk,
                "export": export.pk,
                "cases": case_ids,
                "inspection_interviews": [i.pk for i in interviews],
                "fields": fields,
                "language": lang,
                "encrypted": True,
            },
        )
        for itv in interviews:  # each interview's own trail shows it was handed out
            record(
                "subject_access",
                user=user,
                obj=itv,
                via=via,
                request=request,
                detail={
                    "subject_request": req.pk,
                    "export": export.pk,
                    "fields": [f for f in subject_access.INTERVIEW_FIELDS if f in Interview.IDENTITY_FIELDS],
                },
            )
        if req.is_open:
            _close(req, user, SubjectRequest.Status.COMPLETED, expected_version=req.version)
        _audit("complete", req, user, via, request, export=export.pk, fields=["status"])

    return exportfiles.issue(
        user=user,
        kind=ExportFile.Kind.SUBJECT_ACCESS,
        members=files,
        fields=fields,
        records=len(cases),
        parameters={"person": person.pk, "cases": case_ids, "language": lang},
        subject_request=req,
        audit=audit,
    )


@dataclass
class ErasureResult:
    anonymised: list[int]
    already_anonymised: list[int]
    held: list[int]
    other_organisation: list[int]
    person_anonymised: bool

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def erase(
    req: SubjectRequest,
    user: Any,
    *,
    expected_version: int | None = None,
    via: str,
    request: Any = None,
) -> ErasureResult:
    """Anonymise now every closed case of the person (``retention.anonymise_case``). A case on
    legal hold is kept (that part refused, reason "legal hold"); an open case stops everything:
    it must be closed first.

    The request is locked (``versioning.lock``) for the whole erasure, open and at the version
    read: a concurrent erasure or closing raises ``StaleEdit`` and changes nothing."""
    _check_version(req, expected_version)
    _require_kind(req, SubjectRequest.Kind.ERASURE)
    _require_open(req)
    _require_verified(req)
    person = req.person
    cases = list(Case.objects.filter(person=person).select_related("person").order_by("id"))
    if not cases:
        raise RequestError("cases", _("This person has no case to anonymise."), status=409)
    visible = set(cases_for(user).filter(person=person).values_list("pk", flat=True))
    still_open = [c for c in cases if c.pk in visible and c.anonymised_at is None and c.status not in CLOSED]
    if still_open:
        refs = ", ".join(c.reference for c in still_open)
        message = _("Still open: %(refs)s. Close the case first, then erase; nothing was changed.")
        raise RequestError("cases", message % {"refs": refs}, status=409)
    result = ErasureResult([], [], [], [], False)
    with transaction.atomic():
        lock(req, expected_version=req.version, status__in=SubjectRequest.OPEN_STATUSES)
        for case in cases:
            if case.pk not in visible:
                result.other_organisation.append(case.pk)
            elif case.anonymised_at is not None:
                result.already_anonymised.append(case.pk)
            elif case.legal_hold:
                result.held.append(case.pk)
            else:
                person_done = anonymise_case(case)
                result.person_anonymised = result.person_anonymised or person_done
                result.anonymised.append(case.pk)
                record(
                    "anonymise",
                    user=user,
                    object_type="case",
                    object_id=case.pk,
                    via=via,
                    request=request,
                    detail={
                        "subject_request": req.pk,
                        "person_anonymised": person_done,
                        "fields": ANONYMISED_FIELDS,
                    },
                )
        # Copies handed out for access requests hold the identity: they go too.
        purged = exportfiles.purge(ExportFile.objects.filter(subject_request__person=person), timezone.now())
        reasons = []
        if result.held:
            reasons.append(_("legal hold"))
        if result.other_organisation:
            reasons.append(_("case held by another organisation"))
        done = result.anonymised or result.already_anonymised
        if not reasons:
            status = SubjectRequest.Status.COMPLETED
        elif done:
            status = SubjectRequest.Status.PARTIALLY_REFUSED
        else:
            status = SubjectRequest.Status.REFUSED
        _close(
            req,
            user,
            status,
            reason="; ".join(reasons),
            result=result.as_dict(),
            expected_version=req.version,
        )
        record(
            "erasure",
            user=user,
            object_type="person",
            object_id=person.pk,
            via=via,
            request=request,
            detail={
                "subject_request": req.pk,
                **result.as_dict(),
                "exports_purged": purged,
                "fields": ANONYMISED_FIELDS if done else [],
            },
        )
        _audit("complete", req, user, via, request, status=status, fields=["status", "result"])
    return result
