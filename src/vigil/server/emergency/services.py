"""Grant, end, revoke and acknowledge emergency access; who may do which; the audit trail of a grant.

Both the pages and the API call these functions, so the rules and the audit entries are the same
whichever way a user comes in. Ending, revoking and acknowledging are conditional UPDATEs on the
state read (and on the version, when the client sends it: ``StaleEdit``, 409), so of two
concurrent steps only one succeeds. Audit entries carry ids, times and the reason the user typed
(which the form tells them must hold no name); never an identity value of the person.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from vigil.server import scoping
from vigil.server.accounts.models import Role, Scope
from vigil.server.audit.log import record
from vigil.server.audit.models import AuditEntry
from vigil.server.cases.identity_guard import MESSAGE as IDENTITY_IN_TEXT
from vigil.server.cases.identity_guard import identity_in
from vigil.server.cases.models import Case
from vigil.server.emergency.models import EmergencyAccess, grant_hours
from vigil.server.versioning import StaleEdit
from vigil.server.web import request_cache

MIN_REASON = 15
MIN_END_REASON = 5
CLOSED = (Case.Status.CLOSED, Case.Status.CLOSED_REFERRED)
TRAIL_LIMIT = 2000


class EmergencyError(Exception):
    """A refused request; ``field`` names the input at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


# --- who may ------------------------------------------------------------------------------------
def may_request(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.can("case.emergency_access"))


def is_supervisor_of(user: Any, case: Case) -> bool:
    """A supervisor of the organisation that holds the case."""
    return bool(
        user.is_authenticated
        and user.is_active
        and user.role == Role.SUPERVISOR
        and user.organisation_id is not None
        and user.organisation_id == case.organisation_id
    )


def is_owner_side(user: Any, case: Case) -> bool:
    """The owner of the case or a supervisor of its organisation: those who are alerted."""
    return bool(user.is_authenticated and user.is_active and case.owner_id == user.pk) or is_supervisor_of(
        user, case
    )


def is_auditor(user: Any) -> bool:
    """Administrators (and any role reading the whole audit log) may review every grant."""
    return bool(user.is_authenticated and user.can("audit.view") and user.scope == Scope.ALL)


def may_end(user: Any, grant: EmergencyAccess) -> bool:
    return grant.user_id == user.pk


def may_acknowledge(user: Any, grant: EmergencyAccess) -> bool:
    return grant.user_id != user.pk and is_owner_side(user, grant.case)


def may_revoke(user: Any, grant: EmergencyAccess) -> bool:
    return grant.user_id != user.pk and is_supervisor_of(user, grant.case)


def may_view_trail(user: Any, grant: EmergencyAccess) -> bool:
    return is_supervisor_of(user, grant.case) or is_auditor(user)


# --- what each user sees ------------------------------------------------------------------------
def grants_for(user: Any) -> QuerySet[EmergencyAccess]:
    """The user's own grants; grants on the cases they own or supervise; all, for auditors."""
    qs = EmergencyAccess.objects.select_related("case", "user", "ended_by", "acknowledged_by")
    if not (user is not None and user.is_authenticated and user.is_active):
        return qs.none()
    if is_auditor(user):
        return qs.all()
    q = Q(user_id=user.pk) | Q(case__owner_id=user.pk)
    if user.role == Role.SUPERVISOR and user.organisation_id:
        q |= Q(case__organisation_id=user.organisation_id)
    return qs.filter(q)


def grants_on_cases_of(user: Any) -> QuerySet[EmergencyAccess]:
    """Grants to others on the cases the user owns, or, for a supervisor, on the cases of their
    organisation."""
    qs = EmergencyAccess.objects.select_related("case", "user", "ended_by", "acknowledged_by")
    if not (user is not None and user.is_authenticated and user.is_active):
        return qs.none()
    q = Q(case__owner_id=user.pk)
    if user.role == Role.SUPERVISOR and user.organisation_id:
        q |= Q(case__organisation_id=user.organisation_id)
    return qs.filter(q).exclude(user_id=user.pk)


def alerts_for(user: Any) -> QuerySet[EmergencyAccess]:
    """Grants on the user's cases (owned, or supervised) that nobody of the owning side has
    acknowledged yet. Administrators are not alerted: they review, the owning side acknowledges."""
    return grants_on_cases_of(user).filter(acknowledged_at__isnull=True)


# --- actions ------------------------------------------------------------------------------------
def clean_reason(reason: Any, *, minimum: int = MIN_REASON, field: str = "reason") -> str:
    """Whitespace collapsed; at least ``minimum`` characters with some letters, not one repeated
    character (so "..............." or "aaaaaaaaaaaaaaa" is refused)."""
    text = re.sub(r"\s+", " ", str(reason or "")).strip()
    if not text:
        raise EmergencyError(field, _("Give a reason."))
    letters = [c for c in text if c.isalpha()]
    if len(text) < minimum or len(letters) < minimum // 2 or len(set(letters)) < 4:
        raise EmergencyError(
            field, _("Describe the reason in at least %(n)d characters of text.") % {"n": minimum}
        )
    if len(text) > 500:
        raise EmergencyError(field, _("At most 500 characters."))
    return text


def find_case(user: Any, reference: Any) -> Case:
    """The case named by its exact reference, if emergency access to it may be granted."""
    ref = str(reference or "").strip().upper()
    if not ref:
        raise EmergencyError("case_reference", _("Give the case reference."))
    case = Case.objects.select_related("organisation").filter(reference=ref).first()
    if case is None:
        raise EmergencyError("case_reference", _("No case has this reference."))
    if scoping.cases_in_scope_for(user).filter(pk=case.pk).exists():
        raise EmergencyError(
            "case_reference", _("This case is already in your scope: open it from the list of cases.")
        )
    if case.anonymised_at is not None or case.status in CLOSED:
        raise EmergencyError(
            "case_reference", _("This case is closed: emergency access is only for open cases.")
        )
    existing = EmergencyAccess.objects.active().filter(user_id=user.pk, case_id=case.pk).first()
    if existing is not None:
        raise EmergencyError(
            "case_reference",
            _("You already have emergency access to this case until %(time)s.")
            % {"time": timezone.localtime(existing.expires_at).strftime("%Y-%m-%d %H:%M")},
        )
    return case


def _refused(user: Any, exc: EmergencyError, via: str, request: Any) -> None:
    """Refused attempts are audited too (the cause only, not the reference or reason typed)."""
    record(
        "emergency_access_refused",
        user=user,
        object_type="case",
        via=via,
        request=request,
        detail={"field": exc.field},
    )


def check(user: Any, reference: Any, reason: Any, *, via: str, request: Any = None) -> tuple[Case, str]:
    """The case and the cleaned reason, or ``EmergencyError`` (audited as a refused attempt)."""
    if not may_request(user):
        raise PermissionError("case.emergency_access")
    try:
        text = clean_reason(reason)  # first: a bad reason reveals nothing about references
        case = find_case(user, reference)
        if identity_in(case.person, text):
            raise EmergencyError("reason", str(IDENTITY_IN_TEXT))
        return case, text
    except EmergencyError as exc:
        _refused(user, exc, via, request)
        raise


def grant(user: Any, reference: Any, reason: Any, *, via: str, request: Any = None) -> EmergencyAccess:
    """Check everything, then grant read access to the case for ``VIGIL_EMERGENCY_HOURS`` hours."""
    case, text = check(user, reference, reason, via=via, request=request)
    now = timezone.now()
    hours = grant_hours()
    with transaction.atomic():
        access = EmergencyAccess.objects.create(
            user=user, case=case, reason=text, granted_at=now, expires_at=now + timedelta(hours=hours)
        )
        record(
            "emergency_access",
            user=user,
            obj=case,
            reason=text,
            via=via,
            request=request,
            detail={
                "grant": access.pk,
                "expires_at": access.expires_at.isoformat(),
                "hours": hours,
                "organisation": case.organisation_id,
                "owner": case.owner_id,
            },
        )
    return access


def _still(access: EmergencyAccess, expected_version: int | None, **state: Any) -> None:
    """After a conditional UPDATE matched nothing: ``StaleEdit`` if only the version the client
    sent is out of date (the grant is still in ``state``), else nothing (the caller says why)."""
    if expected_version is None:
        return
    current = EmergencyAccess.objects.filter(pk=access.pk, **state).values_list("version", flat=True).first()
    if current is not None and current != expected_version:
        raise StaleEdit(current)


def _close(
    access: EmergencyAccess,
    user: Any,
    ending: str,
    reason: str,
    *,
    expected_version: int | None,
    via: str,
    request: Any,
    acknowledge: bool = False,
) -> EmergencyAccess:
    now = timezone.now()
    active = {"ended_at__isnull": True, "expires_at__gt": now}
    with transaction.atomic():
        # Conditional UPDATE: of two concurrent ends, one wins; an expired grant has nothing to end.
        rows = EmergencyAccess.objects.filter(pk=access.pk, **active)
        if expected_version is not None:
            rows = rows.filter(version=expected_version)
        done = rows.update(
            ended_at=now, ended_by=user, ending=ending, end_reason=reason, version=F("version") + 1
        )
        request_cache.forget("granted")  # scoping.granted_case_ids of this request
        if not done:
            _still(access, expected_version, **active)
            raise EmergencyError("status", _("This emergency access is no longer active."))
        if acknowledge:
            # Revoking is acting on the alert: it no longer waits for someone to acknowledge it.
            EmergencyAccess.objects.filter(pk=access.pk, acknowledged_at__isnull=True).update(
                acknowledged_at=now, acknowledged_by=user, version=F("version") + 1
            )
        access.refresh_from_db()
        record(
            f"emergency_access_{ending}",
            user=user,
            obj=access.case,
            reason=reason,
            via=via,
            request=request,
            detail={"grant": access.pk, "granted_to": access.user_id, "ended_at": now.isoformat()},
        )
    return access


def end(
    access: EmergencyAccess,
    user: Any,
    reason: Any = "",
    *,
    expected_version: int | None = None,
    via: str,
    request: Any = None,
) -> EmergencyAccess:
    """The holder ends their own access early (a reason is optional)."""
    if not may_end(user, access):
        raise PermissionError("end")
    text = re.sub(r"\s+", " ", str(reason or "")).strip()
    if len(text) > 500:
        raise EmergencyError("reason", _("At most 500 characters."))
    return _close(
        access,
        user,
        EmergencyAccess.Ending.ENDED,
        text,
        expected_version=expected_version,
        via=via,
        request=request,
    )


def revoke(
    access: EmergencyAccess,
    user: Any,
    reason: Any,
    *,
    expected_version: int | None = None,
    via: str,
    request: Any = None,
) -> EmergencyAccess:
    """A supervisor of the owning organisation ends the access at once, with a reason (and
    acknowledges its alert, in the same transaction)."""
    if not may_revoke(user, access):
        raise PermissionError("revoke")
    text = clean_reason(reason, minimum=MIN_END_REASON)
    if identity_in(access.case.person, text):
        raise EmergencyError("reason", str(IDENTITY_IN_TEXT))
    return _close(
        access,
        user,
        EmergencyAccess.Ending.REVOKED,
        text,
        expected_version=expected_version,
        via=via,
        request=request,
        acknowledge=True,
    )


def acknowledge(
    access: EmergencyAccess,
    user: Any,
    *,
    expected_version: int | None = None,
    via: str,
    request: Any = None,
) -> EmergencyAccess:
    """The owner or a supervisor of the owning organisation has seen the alert."""
    if not may_acknowledge(user, access):
        raise PermissionError("acknowledge")
    now = timezone.now()
    with transaction.atomic():
        rows = EmergencyAccess.objects.filter(pk=access.pk, acknowledged_at__isnull=True)
        if expected_version is not None:
            rows = rows.filter(version=expected_version)
        done = rows.update(acknowledged_at=now, acknowledged_by=user, version=F("version") + 1)
        if not done:
            _still(access, expected_version, acknowledged_at__isnull=True)
            raise EmergencyError("status", _("This emergency access was already acknowledged."))
        access.refresh_from_db()
        record(
            "emergency_access_acknowledged",
            user=user,
            obj=access.case,
            via=via,
            request=request,
            detail={"grant": access.pk, "granted_to": access.user_id},
        )
    return access


# --- the audit trail of a grant -----------------------------------------------------------------
def _concerns(entry: AuditEntry, case_id: int, person_id: int) -> bool:
    own_id = {"case": str(case_id), "person": str(person_id)}.get(entry.object_type)
    if own_id is None:
        return False
    if entry.object_id == own_id:
        return True
    ids = entry.detail.get("ids") if isinstance(entry.detail, dict) else None
    return isinstance(ids, list) and int(own_id) in ids


def trail(access: EmergencyAccess) -> list[AuditEntry]:
    """The grant's own entries (granted, ended or revoked, acknowledged), and what the holder did
    on this case and its person from the grant to the end of the window (lists that showed the
    case included). Entries by the holder on other records are not shown."""
    slack = timedelta(seconds=5)  # the entry of an early end is written just after ``ended_at``
    by_holder = AuditEntry.objects.filter(
        actor_id=access.user_id, at__gte=access.granted_at, at__lte=access.window_end + slack
    ).order_by("id")[:TRAIL_LIMIT]
    about_grant = AuditEntry.objects.filter(
        object_type="case",
        object_id=str(access.case_id),
        action__startswith="emergency_access",
        at__gte=access.granted_at,
    ).order_by("id")[:TRAIL_LIMIT]
    person_id = access.case.person_id
    found = {e.pk: e for e in by_holder if _concerns(e, access.case_id, person_id)}
    for e in about_grant:
        if isinstance(e.detail, dict) and e.detail.get("grant") == access.pk:
            found[e.pk] = e
    return [found[k] for k in sorted(found)]


def audit_trail_read(user: Any, access: EmergencyAccess, *, via: str, request: Any = None) -> None:
    record(
        "audit_read",
        user=user,
        object_type="audit",
        via=via,
        request=request,
        detail={"emergency_grant": access.pk, "case": access.case_id},
    )
