"""The national app's section of the home page's work list: early-warning alerts waiting for a
decision (acknowledge, or dismiss with a reason). A line is a count, never a person."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _


def open_alerts_section(user: Any, today: date) -> Any:
    from vigil.server.national.models import Alert
    from vigil.server.national.services import alerts_for
    from vigil.server.web.worklist import Line, _section

    if not user.can("alerts.manage"):
        return None
    qs = alerts_for(user).filter(status=Alert.Status.OPEN).order_by("week", "id")
    return _section(
        "alerts",
        _("Alerts waiting for a decision"),
        qs,
        lambda a: Line(
            a.pk,
            f"A-{a.pk}",
            f"{a.series}, {a.unit_type} {a.unit}: {a.observed} > {a.upper:.1f}",
            a.week,
            reverse("national:alert-detail", args=[a.pk]),
            str(_("Acknowledge or dismiss")),
            "alert",
        ),
        reverse("national:alerts"),
    )
