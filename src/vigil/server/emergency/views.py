"""Pages of emergency access: the request form and its confirmation, the list of grants (own, on
one's cases, all for administrators) with end / acknowledge / revoke, and the audit trail of a grant."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib import messages
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vigil.server.audit.log import record
from vigil.server.emergency import services
from vigil.server.emergency.forms import EmergencyRequestForm, RevokeForm
from vigil.server.emergency.models import EmergencyAccess, grant_hours
from vigil.server.versioning import StaleEdit
from vigil.server.web.access import PermissionDeniedPage, page_view
from vigil.server.web.versioning import STALE

LIST_LIMIT = 200


def _time(value: datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def _grant_or_404(request: HttpRequest, pk: int) -> EmergencyAccess:
    return get_object_or_404(services.grants_for(request.user), pk=pk)


def _posted_version(request: HttpRequest) -> int | None:
    """The version the page showed (hidden field); the service refuses a stale one."""
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else None


@page_view
def grant_list(request: HttpRequest) -> HttpResponse:
    """ "Emergency access to your cases": alerts to acknowledge, grants to revoke; one's own grants."""
    user = request.user
    visible = services.grants_for(user)
    mine = list(visible.filter(user_id=user.pk).order_by("-granted_at", "-id")[:LIST_LIMIT])
    on_my_cases = list(
        services.grants_on_cases_of(user).order_by(
            F("acknowledged_at").asc(nulls_first=True), "-granted_at", "-id"
        )[:LIST_LIMIT]
    )
    all_grants = (
        list(visible.order_by("-granted_at", "-id")[:LIST_LIMIT]) if services.is_auditor(user) else []
    )
    rows = [
        {
            "g": g,
            "can_ack": g.acknowledged_at is None and services.may_acknowledge(user, g),
            "can_revoke": g.is_active and services.may_revoke(user, g),
            "can_trail": services.may_view_trail(user, g),
        }
        for g in on_my_cases
    ]
    record(
        "list",
        user=user,
        object_type="emergency_access",
        via="web",
        request=request,
        detail={"ids": sorted({g.pk for g in [*mine, *on_my_cases, *all_grants]})},
    )
    return render(
        request,
        "emergency/list.html",
        {
            "mine": mine,
            "rows": rows,
            "all_grants": all_grants,
            "is_auditor": services.is_auditor(user),
            "may_request": services.may_request(user),
            "revoke_form": RevokeForm(),
        },
    )


@page_view
def grant_new(request: HttpRequest) -> HttpResponse:
    """Step 1: reference and reason. Step 2: a confirmation that says what happens. Then the case."""
    if not services.may_request(request.user):
        raise PermissionDeniedPage
    form = EmergencyRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        reference, reason = form.cleaned_data["case_reference"], form.cleaned_data["reason"]
        try:
            if request.POST.get("confirm") == "yes":
                access = services.grant(request.user, reference, reason, via="web", request=request)
                messages.warning(
                    request,
                    _(
                        "Emergency access to %(ref)s until %(time)s, read only. It is logged and the "
                        "owner of the case is alerted."
                    )
                    % {"ref": access.case.reference, "time": _time(access.expires_at)},
                )
                return redirect("cases:case-detail", pk=access.case_id)
            case, text = services.check(request.user, reference, reason, via="web", request=request)
        except services.EmergencyError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            hours = grant_hours()
            return render(
                request,
                "emergency/confirm.html",
                {
                    "form": form,
                    "case": case,
                    "reason": text,
                    "hours": hours,
                    "until": timezone.now() + timedelta(hours=hours),
                },
            )
    return render(request, "emergency/new.html", {"form": form}, status=400 if form.errors else 200)


@page_view
@require_POST
def grant_end(request: HttpRequest, pk: int) -> HttpResponse:
    access = _grant_or_404(request, pk)
    if not services.may_end(request.user, access):
        raise PermissionDeniedPage
    try:
        services.end(
            access,
            request.user,
            request.POST.get("reason", ""),
            expected_version=_posted_version(request),
            via="web",
            request=request,
        )
        messages.success(request, _("Emergency access to %(ref)s ended.") % {"ref": access.case.reference})
    except services.EmergencyError as exc:
        messages.error(request, exc.message)
    except StaleEdit:
        messages.error(request, STALE)
    return redirect("emergency:list")


@page_view
@require_POST
def grant_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    access = _grant_or_404(request, pk)
    if not services.may_acknowledge(request.user, access):
        raise PermissionDeniedPage
    try:
        services.acknowledge(
            access, request.user, expected_version=_posted_version(request), via="web", request=request
        )
        messages.success(request, _("Acknowledged."))
    except services.EmergencyError as exc:
        messages.error(request, exc.message)
    except StaleEdit:
        messages.error(request, STALE)
    return redirect("emergency:list")


@page_view
@require_POST
def grant_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    access = _grant_or_404(request, pk)
    if not services.may_revoke(request.user, access):
        raise PermissionDeniedPage
    try:
        services.revoke(
            access,
            request.user,
            request.POST.get("reason", ""),
            expected_version=_posted_version(request),
            via="web",
            request=request,
        )
        messages.success(request, _("Emergency access to %(ref)s revoked.") % {"ref": access.case.reference})
    except services.EmergencyError as exc:
        messages.error(request, exc.message)
    except StaleEdit:
        messages.error(request, STALE)
    return redirect("emergency:list")


@page_view
def grant_trail(request: HttpRequest, pk: int) -> HttpResponse:
    """What the holder did on the case during the window (supervisors of the owning organisation,
    administrators). Reading it is audited."""
    access = _grant_or_404(request, pk)
    if not services.may_view_trail(request.user, access):
        raise PermissionDeniedPage
    entries = services.trail(access)
    services.audit_trail_read(request.user, access, via="web", request=request)
    return render(request, "emergency/trail.html", {"g": access, "entries": entries})
