"""Who sees which incident, and every change to the register (transactional, audited).

Visibility:

- ``breach.manage`` with scope *all* (administrators): every incident, read and write;
- ``audit.view`` (supervisors): read-only, the incidents that affect their organisation (one of its
  cases, or the organisation named by hand) or that a user of their organisation reported; with
  scope *all*, every incident;
- anyone with ``breach.report``: the incidents they reported, in a short form (no affected cases,
  no notifications).

Audit entries name the incident by id (``object_type="breach"``) and hold ids, statuses and field
names only: never the text of a description, note or summary.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from vigil.server.accounts.models import Scope
from vigil.server.audit.log import record
from vigil.server.breaches.models import BreachIncident, BreachNotification, BreachStatusChange
from vigil.server.cases.models import Case
from vigil.server.versioning import lock

UPDATABLE = (
    "title",
    "description",
    "category",
    "severity",
    "discovered_at",
    "occurred_from",
    "occurred_to",
    "estimated_records",
    "containment_actions",
    "closure_summary",
)


@dataclass
class BreachError(Exception):
    """Bad input for one field: ``field`` names it, ``message`` says what to do."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


def _active(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def is_manager(user: Any) -> bool:
    return _active(user) and user.can("breach.manage") and user.scope == Scope.ALL


def is_overseer(user: Any) -> bool:
    """Reads incidents of an organisation (or of all, with scope *all*) without managing them."""
    return _active(user) and user.can("audit.view") and not is_manager(user)


def may_use_register(user: Any) -> bool:
    return _active(user) and (user.can("breach.report") or user.can("audit.view") or is_manager(user))


def overseen_incidents(user: Any) -> QuerySet[BreachIncident]:
    """The incidents whose full record (affected cases, notifications) the user may read."""
    if is_manager(user):
        return BreachIncident.objects.all()
    if not is_overseer(user):
        return BreachIncident.objects.none()
    if user.scope == Scope.ALL:
        return BreachIncident.objects.all()
    if user.scope != Scope.ORGANISATION or not user.organisation_id:
        return BreachIncident.objects.none()
    org = user.organisation_id
    # Subqueries on the link tables: no join on the incident rows, so no duplicates.
    by_case = BreachIncident.cases.through.objects.filter(case__organisation_id=org).values(
        "breachincident_id"
    )
    by_org = BreachIncident.organisations.through.objects.filter(organisation_id=org).values(
        "breachincident_id"
    )
    return BreachIncident.objects.filter(
        Q(pk__in=by_case) | Q(pk__in=by_org) | Q(reported_by__organisation_id=org)
    )


def incidents_for(user: Any) -> QuerySet[BreachIncident]:
    """Every incident the user may see at all: overseen ones and their own reports."""
    if not may_use_register(user):
        return BreachIncident.objects.none()
    if is_manager(user) or (is_overseer(user) and user.scope == Scope.ALL):
        return BreachIncident.objects.all()
    own = Q(reported_by_id=user.pk)
    if is_overseer(user):
        return BreachIncident.objects.filter(own | Q(pk__in=overseen_incidents(user).values("pk")))
    return BreachIncident.objects.filter(own)


def sees_full_record(user: Any, incident: BreachIncident) -> bool:
    return overseen_incidents(user).filter(pk=incident.pk).exists()


def visible_cases(user: Any, incident: BreachIncident) -> QuerySet[Case]:
    """Affected cases the user may see listed: all for managers, their organisation's for a
    supervisor (a case of another organisation is only counted)."""
    cases = incident.cases.all()
    if is_manager(user) or (is_overseer(user) and user.scope == Scope.ALL):
        return cases
    if is_overseer(user) and user.scope == Scope.ORGANISATION and user.organisation_id:
        return cases.filter(organisation_id=user.organisation_id)
    return Case.objects.none()


def audit(
    action: str, user: Any, incident: BreachIncident | None, *, via: str, request: Any = None, **detail: Any
) -> None:
    record(
        action,
        user=user,
        object_type="breach",
        object_id=incident.pk if incident is not None else "",
        via=via,
        request=request,
        detail=detail,
    )


def _check_window(data: dict[str, Any], incident: BreachIncident | None = None) -> None:
    def value(name: str) -> Any:
        return data[name] if name in data else getattr(incident, name, None)

    start, end, discovered = value("occurred_from"), value("occurred_to"), value("discovered_at")
    if start and end and start > end:
        raise BreachError("occurred_to", _("The end of the period must not be before its start."))
    if discovered and discovered > timezone.now() + timedelta(minutes=5):
        raise BreachError("discovered_at", _("The discovery cannot be in the future."))


def report(user: Any, data: dict[str, Any], *, via: str, request: Any = None) -> BreachIncident:
    """A suspected breach, from anyone with ``breach.report``: what happened, when discovered."""
    if not (_active(user) and user.can("breach.report")):
        raise PermissionError("breach.report")
    if not (data.get("title") or "").strip():
        raise BreachError("title", _("Say in a few words what happened (no identity data)."))
    if not data.get("discovered_at"):
        raise BreachError("discovered_at", _("Say when the breach was discovered."))
    _check_window(data)
    fields = {
        k: data[k]
        for k in ("title", "description", "category", "discovered_at", "occurred_from", "occurred_to")
        if data.get(k) not in (None, "")
    }
    with transaction.atomic():
        incident = BreachIncident.objects.create(reported_by=user, **fields)
        audit("breach_report", user, incident, via=via, request=request, category=incident.category)
    return incident


def update(
    user: Any,
    incident: BreachIncident,
    data: dict[str, Any],
    *,
    version: int,
    via: str,
    request: Any = None,
) -> list[str]:
    """Change fields of an incident (managers) if it is still at ``version`` (the version the
    manager read); returns the names of the fields changed. Only the fields in ``data`` that
    differ are written, in one conditional UPDATE (``save_versioned``); a stale version raises
    ``StaleEdit`` and nothing is written."""
    if not is_manager(user):
        raise PermissionError("breach.manage")
    _check_window(data, incident)
    changed = [k for k in UPDATABLE if k in data and getattr(incident, k) != data[k]]
    organisations = data.get("organisations")
    with transaction.atomic():
        incident.save_versioned(version, {name: data[name] for name in changed})
        if organisations is not None:
            before = set(incident.organisations.values_list("id", flat=True))
            after = {o.pk for o in organisations}
            if before != after:
                incident.organisations.set(after)
                changed.append("organisations")
        audit(
            "breach_update",
            user,
            incident,
            via=via,
            request=request,
            fields=sorted(changed),
            version=incident.version,
        )
    return changed


def change_status(
    user: Any,
    incident: BreachIncident,
    to: str,
    *,
    note: str = "",
    closure_summary: str = "",
    expected_version: int | None = None,
    via: str,
    request: Any = None,
) -> BreachStatusChange:
    """Move an incident along reported -> assessing -> contained -> notified -> closed.

    The row is re-read under a lock and must still be in the status ``incident`` was read in (and
    at ``expected_version``, when the client sent it): two concurrent changes cannot both
    succeed, the second raises ``StaleEdit``."""
    if not is_manager(user):
        raise PermissionError("breach.manage")
    with transaction.atomic():
        incident = lock(incident, expected_version=expected_version, status=incident.status)
        if to not in BreachIncident.Status.values:
            raise BreachError("status", _("Unknown status."))
        if to not in incident.allowed_next():
            raise BreachError(
                "status",
                _("From %(current)s the incident can move to: %(allowed)s.")
                % {
                    "current": incident.get_status_display(),
                    "allowed": ", ".join(
                        str(BreachIncident.Status(s).label) for s in incident.allowed_next()
                    ),
                },
            )
        if to == BreachIncident.Status.NOTIFIED and not incident.notifications.exists():
            raise BreachError("status", _("Record at least one notification first."))
        summary = closure_summary.strip() or incident.closure_summary
        if to == BreachIncident.Status.CLOSED and not summary.strip():
            raise BreachError("closure_summary", _("Write a closure summary before closing."))
        now = timezone.now()
        change = BreachStatusChange.objects.create(
            incident=incident,
            from_status=incident.status,
            to_status=to,
            changed_by=user,
            changed_at=now,
            note=note.strip(),
        )
        changes: dict[str, Any] = {
            "status": to,
            "status_changed_at": now,
            "closed_at": now if to == BreachIncident.Status.CLOSED else None,
        }
        if closure_summary.strip():
            changes["closure_summary"] = closure_summary.strip()
        incident.save_versioned(incident.version, changes)
        audit(
            "breach_status",
            user,
            incident,
            via=via,
            request=request,
            **{"from": change.from_status, "to": to, "change": change.pk, "version": incident.version},
        )
    return change


def add_notification(
    user: Any, incident: BreachIncident, data: dict[str, Any], *, via: str, request: Any = None
) -> BreachNotification:
    if not is_manager(user):
        raise PermissionError("breach.manage")
    recipient = data.get("recipient")
    if recipient not in BreachNotification.Recipient.values:
        raise BreachError("recipient", _("Choose to whom the notification went."))
    if data.get("method") not in BreachNotification.Method.values:
        raise BreachError("method", _("Choose how the notification was made."))
    organisation = data.get("organisation")
    if recipient == BreachNotification.Recipient.ORGANISATION and organisation is None:
        raise BreachError("organisation", _("Choose the organisation notified."))
    if recipient != BreachNotification.Recipient.ORGANISATION:
        organisation = None
    notified_at = data.get("notified_at") or timezone.now()
    if notified_at > timezone.now() + timedelta(minutes=5):
        raise BreachError("notified_at", _("A notification cannot be recorded in advance."))
    with transaction.atomic():
        notification = BreachNotification.objects.create(
            incident=incident,
            recipient=recipient,
            organisation=organisation,
            notified_at=notified_at,
            method=data["method"],
            note=(data.get("note") or "").strip(),
            recorded_by=user,
        )
        audit(
            "breach_notify",
            user,
            incident,
            via=via,
            request=request,
            notification=notification.pk,
            recipient=recipient,
            organisation=organisation.pk if organisation is not None else None,
            method=notification.method,
        )
    return notification


def resolve_cases(tokens: list[str]) -> tuple[list[Case], list[str]]:
    """Cases by reference (any case: breach handling needs need-to-know across organisations) or
    by id; returns the cases found and the tokens that match none."""
    found: list[Case] = []
    unknown: list[str] = []
    for raw in tokens:
        token = str(raw).strip()
        if not token:
            continue
        case = None
        if token.isdigit():
            case = Case.objects.filter(pk=int(token)).first()
        if case is None:
            case = Case.objects.filter(reference=token.upper()).first()
        if case is None:
            unknown.append(token)
        elif case not in found:
            found.append(case)
    return found, unknown


def change_cases(
    user: Any,
    incident: BreachIncident,
    *,
    add: list[str] | None = None,
    remove: list[str] | None = None,
    via: str,
    request: Any = None,
) -> tuple[list[int], list[int]]:
    """Add or remove affected cases by reference (or id); unknown references refuse the lot."""
    if not is_manager(user):
        raise PermissionError("breach.manage")
    to_add, unknown_add = resolve_cases(add or [])
    if unknown_add:
        raise BreachError("add", _("No case with the reference: %s") % ", ".join(unknown_add))
    to_remove, unknown_remove = resolve_cases(remove or [])
    if unknown_remove:
        raise BreachError("remove", _("No case with the reference: %s") % ", ".join(unknown_remove))
    with transaction.atomic():
        present = set(incident.cases.values_list("id", flat=True))
        added = sorted(c.pk for c in to_add if c.pk not in present)
        removed = sorted(c.pk for c in to_remove if c.pk in present)
        incident.cases.add(*added)
        incident.cases.remove(*removed)
        audit("breach_cases", user, incident, via=via, request=request, added=added, removed=removed)
    return added, removed
