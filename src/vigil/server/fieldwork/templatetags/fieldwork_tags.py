"""The case page's panel of field screenings (``{% include "fieldwork/_case_panel.html" %}`` in
the case page): the screenings stored from uploaded field submissions for that case, to a user
who may read the case (``scoping.cases_for``: own, organisation or emergency-grant scope)."""

from __future__ import annotations

from typing import Any

from django import template

from vigil.server import scoping
from vigil.server.cases.screening import outcome_words, ruleset_title
from vigil.server.fieldwork.models import FieldScreening

register = template.Library()

#: at most this many on the case page (newest first); the upload pages list the rest
LIMIT = 50


@register.inclusion_tag("fieldwork/_case_field_screenings.html", takes_context=True)
def case_field_screenings(context: Any, case: Any) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    rows: list[FieldScreening] = []
    if user is not None and case is not None and scoping.can_read_case(user, case):
        rows = list(
            FieldScreening.objects.filter(case_id=case.pk)
            .select_related("upload")
            .order_by("-created_at", "-id")[: LIMIT + 1]
        )
    titles: dict[str, str] = {}
    for fs in rows:
        fs.outcome_words = outcome_words(fs.outcome)  # type: ignore[attr-defined]
        if fs.ruleset not in titles:
            titles[fs.ruleset] = ruleset_title(fs.ruleset)
        fs.title = titles[fs.ruleset]  # type: ignore[attr-defined]
    can_uploads = bool(user is not None and getattr(user, "can", None) and user.can("case.create"))
    return {"field_screenings": rows[:LIMIT], "more": len(rows) > LIMIT, "can_uploads": can_uploads}
