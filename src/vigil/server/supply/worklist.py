"""The supply app's section of the home page's work list: overdue milestones of the corrective
plans of the user's own chain (its strings live in this app's catalogue)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from vigil.server import scoping


def overdue_section(user: Any, today: date) -> Any:
    from vigil.server.supply.models import CorrectivePlan
    from vigil.server.supply.services import overdue_milestones
    from vigil.server.web.worklist import Line, _section

    if not user.can("supply.view"):
        return None
    qs = overdue_milestones(scoping.supply_for(user, CorrectivePlan), today)
    return _section(
        "milestones",
        _("Overdue milestones of corrective plans"),
        qs,
        lambda m: Line(
            m.plan_id,
            f"CAP-{m.plan_id}",
            f"{m.plan.entity.name}: {m.title} ({m.owner})",
            m.due,
            reverse("supply:plan", args=[m.plan_id]),
            str(_("Open the plan")),
            "plan",
        ),
        reverse("supply:plans"),
    )
