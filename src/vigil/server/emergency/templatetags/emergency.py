"""``{% emergency_alert_count as n %}`` (the badge of the navigation) and
``{% emergency_banner case %}`` (on a case page: "you see this case through emergency access")."""

from __future__ import annotations

from typing import Any

from django import template

from vigil.server.emergency.context_processors import alert_count
from vigil.server.emergency.models import EmergencyAccess

register = template.Library()


@register.simple_tag(takes_context=True)
def emergency_alert_count(context: dict[str, Any]) -> int:
    request = context.get("request")
    return alert_count(getattr(request, "user", None))


def _may_hold_grant(user: Any, case: Any) -> bool:
    """False when the user's active grants, read once in this request (``scoping.granted_case_ids``),
    do not include the case: no query for the banner then. A user whose role no longer has the
    capability is asked the database, as before."""
    from vigil.server import scoping

    if not user.can("case.emergency_access"):
        return True
    return case.pk in scoping.granted_case_ids(user)


@register.inclusion_tag("emergency/_banner.html", takes_context=True)
def emergency_banner(context: dict[str, Any], case: Any) -> dict[str, Any]:
    """The user's active grant on this case, if the case is shown to them only through it."""
    request = context.get("request")
    user = getattr(request, "user", None)
    grant = None
    if user is not None and user.is_authenticated and case is not None and _may_hold_grant(user, case):
        grant = EmergencyAccess.objects.active().filter(user_id=user.pk, case_id=case.pk).first()
    return {"grant": grant, "csrf_token": context.get("csrf_token")}
