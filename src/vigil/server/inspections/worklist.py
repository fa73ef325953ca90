"""The inspections app's section of the home page's work list: the visits of the user's team that
are due within a week or overdue (its strings live in this app's catalogue). A line names the
workplace (a business) and the visit's kind, never a worker."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from vigil.server import scoping

AHEAD = 7  # days ahead that a planned visit is listed


def visits_due_section(user: Any, today: date) -> Any:
    from vigil.server.inspections.models import Visit
    from vigil.server.web.worklist import Line, _section

    if not user.can("inspection.view"):
        return None
    qs = (
        scoping.visits_for(user)
        .filter(status=Visit.Status.PLANNED, scheduled_on__lte=today + timedelta(days=AHEAD))
        .select_related("workplace")
        .order_by("scheduled_on", "id")
    )
    return _section(
        "visits",
        _("Inspection visits due this week or overdue"),
        qs,
        lambda v: Line(
            v.pk,
            f"V-{v.pk}",
            f"{v.workplace.name} ({v.get_kind_display()})",
            v.scheduled_on,
            reverse("inspections:visit-detail", args=[v.pk]),
            str(_("Open the visit")),
            "visit",
        ),
        reverse("inspections:worklist"),
    )
