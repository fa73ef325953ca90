"""Pages of follow-ups: scheduling from the case page, recording the outcome, the worklist."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vigil.server import scoping
from vigil.server.audit.log import record
from vigil.server.cases.views import case_or_404
from vigil.server.followups import services as followup_services
from vigil.server.followups.forms import FollowUpDoneForm, FollowUpForm
from vigil.server.followups.models import FollowUp
from vigil.server.versioning import StaleEdit
from vigil.server.web.access import PermissionDeniedPage, audit_page, page_view, require_capability
from vigil.server.web.versioning import STALE


@page_view
@require_POST
def followup_add(request: HttpRequest, pk: int) -> HttpResponse:
    case = case_or_404(request, pk)
    if not scoping.can_edit_case(request.user, case):
        raise PermissionDeniedPage
    form = FollowUpForm(request.POST, prefix="fu")
    if form.is_valid():
        with transaction.atomic():
            fu = form.save(commit=False)
            fu.case = case
            fu.created_by = request.user
            fu.save()
            audit_page(request, "update", case, change="follow-up scheduled", followup=fu.pk)
        messages.success(request, _("Follow-up scheduled."))
    else:
        messages.error(request, _("Give a due date."))
    return redirect(reverse("cases:case-detail", args=[case.pk]) + "#followups")


@page_view
@require_POST
def followup_done(request: HttpRequest, pk: int) -> HttpResponse:
    fu = get_object_or_404(scoping.followups_for(request.user).select_related("case"), pk=pk)
    if not scoping.can_edit_case(request.user, fu.case) or fu.done_on is not None:
        raise PermissionDeniedPage
    form = FollowUpDoneForm(request.POST, prefix=f"done{fu.pk}")
    if form.is_valid():
        try:
            with transaction.atomic():
                followup_services.complete(fu, request.user, **form.cleaned_data)
                audit_page(
                    request,
                    "update",
                    fu.case,
                    change="follow-up done",
                    followup=fu.pk,
                    outcome=fu.outcome,
                    retrafficking_risk=fu.retrafficking_risk,
                )
            messages.success(request, _("Follow-up recorded."))
        except StaleEdit:  # recorded by someone else meanwhile: their outcome stays
            messages.error(request, STALE)
    else:
        messages.error(request, _("Choose an outcome."))
    nxt = request.POST.get("next", "")
    if nxt == "worklist":
        return redirect("followups:followup-worklist")
    return redirect(reverse("cases:case-detail", args=[fu.case_id]) + "#followups")


@page_view
def followup_worklist(request: HttpRequest) -> HttpResponse:
    """Open follow-ups of the cases in scope, overdue first."""
    require_capability(request, "case.view")
    open_items = list(
        scoping.followups_for(request.user)
        .filter(done_on__isnull=True)
        .select_related("case")
        .order_by("due_on", "id")[:500]
    )
    record(
        "list",
        user=request.user,
        object_type="case",
        via="web",
        request=request,
        detail={"ids": sorted({f.case_id for f in open_items}), "page": "follow-ups"},
    )
    today = timezone.localdate()
    return render(
        request,
        "followups/followups.html",
        {
            "overdue": [f for f in open_items if f.due_on < today],
            "upcoming": [f for f in open_items if f.due_on >= today],
            "outcomes": FollowUp.Outcome.choices,
        },
    )
