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


@register.inclusion_tag("emergency/_banner.html", takes_context=True)
def emergency_banner(context: dict[str, Any], case: Any) -> dict[str, Any]:
    """The user's active grant on this case, if the case is shown to them only through it."""
    request = context.get("request")
    user = getattr(request, "user", None)
    grant = None
    if user is not None and user.is_authenticated and case is not None:
        grant = EmergencyAccess.objects.active().filter(user_id=user.pk, case_id=case.pk).first()
    return {"grant": grant, "csrf_token": context.get("csrf_token")}
