"""The "Recruitment agencies" panel of the case page (``recruitment/_case_agencies.html``,
included by ``cases/case_detail.html`` when this app is installed): the agencies linked to the
case and, for someone who may edit it, the registry entries its migration stages seem to name."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def case_agencies(context: Any, case: Any) -> dict[str, Any]:
    from vigil.server import scoping
    from vigil.server.recruitment import services
    from vigil.server.recruitment.models import CaseLink

    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or case is None or not scoping.can_read_case(user, case):
        return {"visible": False}
    # The case is readable (above), so its links are all in ``scoping.case_links_for(user)``: read
    # them directly, without that function's subquery of the readable cases.
    links = list(CaseLink.objects.filter(case=case).select_related("agency"))
    may_link = bool(user.can("case.edit")) and scoping.can_edit_case(user, case)
    suggestions = (
        services.suggest_agencies(case, user=user, request=request, linked={link.agency_id for link in links})
        if may_link
        else []
    )
    return {
        "visible": True,
        "links": [
            {"agency": link.agency, "status": link.agency.licence_status(), "link": link} for link in links
        ],
        "suggestions": [{"s": s, "status": s.agency.licence_status()} for s in suggestions],
        "may_link": may_link,
    }
