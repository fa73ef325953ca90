"""Containment: suspend an account at once (inactive, every API token and session deleted) and
reactivate it later. Administrators only (``admin``); a reason is required; audited.

An inactive user is refused by the token authentication and by Django's session authentication
anyway; deleting the tokens and sessions as well means nothing comes back on reactivation: the
person signs in again and asks for a new token.

Sessions are found by reading each unexpired session of the database session store (the project's
default engine): the cost grows with the number of open sessions, a few thousand at most.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vigil.server.accounts.models import ApiToken
from vigil.server.audit.log import record
from vigil.server.breaches.models import AccountSuspension, BreachIncident
from vigil.server.breaches.services import BreachError, incidents_for
from vigil.server.emergency.models import EmergencyAccess

REASON_MAX = 500


def may_contain(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.can("admin"))


def accounts_for(user: Any) -> Any:
    """Accounts an administrator may suspend or reactivate: every account (administrators manage
    all users), none for anyone else."""
    users = get_user_model().objects.all()
    return users if may_contain(user) else users.none()


def _reason(raw: str | None, name: str = "reason") -> str:
    reason = (raw or "").strip()
    if not reason:
        raise BreachError(name, _("Give the reason (no identity data)."))
    if len(reason) > REASON_MAX:
        raise BreachError(name, _("At most %(n)s characters.") % {"n": REASON_MAX})
    return reason


def _incident(actor: Any, raw: Any) -> BreachIncident | None:
    if raw in (None, ""):
        return None
    if isinstance(raw, BreachIncident):
        pk: Any = raw.pk
    else:
        pk = str(raw).strip()
    incidents = incidents_for(actor)
    found = None
    if str(pk).isdigit():
        found = incidents.filter(pk=int(pk)).first()
    if found is None:
        found = incidents.filter(reference=str(pk).upper()).first()
    if found is None:
        raise BreachError("incident", _("No incident with this id or reference."))
    return found


def delete_sessions_of(user_id: int) -> int:
    """Delete every session signed in as ``user_id``; returns how many."""
    doomed = []
    sessions = Session.objects.filter(expire_date__gt=timezone.now()).only("session_key", "session_data")
    for s in sessions.iterator(chunk_size=500):
        try:
            data = s.get_decoded()
        except Exception:  # a session that no longer decodes is useless to everyone: leave it
            continue
        if str(data.get("_auth_user_id", "")) == str(user_id):
            doomed.append(s.session_key)
    if doomed:
        Session.objects.filter(session_key__in=doomed).delete()
    return len(doomed)


def suspend(
    actor: Any, target: Any, *, reason: str, incident: Any = None, via: str, request: Any = None
) -> AccountSuspension:
    """Set ``target`` inactive and delete its tokens and sessions, in one transaction.

    Suspending an account already suspended deletes any token or session again and records it.
    """
    if not may_contain(actor):
        raise PermissionError("admin")
    reason = _reason(reason)
    linked = _incident(actor, incident)
    if target.pk == actor.pk:
        raise BreachError("user", _("You cannot suspend your own account."))
    with transaction.atomic():
        User = get_user_model()
        target = User.objects.select_for_update().get(pk=target.pk)
        was_active = target.is_active
        if was_active:
            target.is_active = False
            target.save(update_fields=["is_active"])
        tokens, _detail = ApiToken.objects.filter(user_id=target.pk).delete()
        sessions = delete_sessions_of(target.pk)
        # Emergency grants end too: reactivating the account must not bring them back.
        grants = EmergencyAccess.objects.filter(
            user_id=target.pk, ended_at__isnull=True, expires_at__gt=timezone.now()
        ).update(
            ended_at=timezone.now(),
            ended_by=actor,
            ending=EmergencyAccess.Ending.REVOKED,
            end_reason=_("Account suspended."),
        )
        suspension = AccountSuspension.objects.create(
            user=target,
            incident=linked,
            reason=reason,
            suspended_by=actor,
            tokens_deleted=tokens,
            sessions_deleted=sessions,
        )
        record(
            "account_suspended",
            user=actor,
            object_type="user",
            object_id=target.pk,
            reason=reason,
            via=via,
            request=request,
            detail={
                "suspension": suspension.pk,
                "incident": linked.pk if linked else None,
                "tokens": tokens,
                "sessions": sessions,
                "emergency_grants_ended": grants,
                "was_active": was_active,
            },
        )
    return suspension


def reactivate(actor: Any, target: Any, *, reason: str, via: str, request: Any = None) -> Any:
    """Make a suspended account active again (no token or session comes back)."""
    if not may_contain(actor):
        raise PermissionError("admin")
    reason = _reason(reason)
    with transaction.atomic():
        User = get_user_model()
        target = User.objects.select_for_update().get(pk=target.pk)
        if target.is_active:
            raise BreachError("user", _("This account is active."))
        target.is_active = True
        target.save(update_fields=["is_active"])
        now = timezone.now()
        ended = AccountSuspension.objects.filter(user=target, reactivated_at__isnull=True).update(
            reactivated_at=now, reactivated_by=actor, reactivation_reason=reason
        )
        record(
            "account_reactivated",
            user=actor,
            object_type="user",
            object_id=target.pk,
            reason=reason,
            via=via,
            request=request,
            detail={"suspensions_ended": ended},
        )
    return target
