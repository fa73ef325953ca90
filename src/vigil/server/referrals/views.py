"""Pages of referrals: sending one from the case page, the receiver's inbox and decisions,
revocation by the sender."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vigil.server import scoping
from vigil.server.api.params import parse_id
from vigil.server.cases.models import Person
from vigil.server.cases.views import case_or_404
from vigil.server.referrals import services as referral_services
from vigil.server.referrals.models import SHAREABLE
from vigil.server.web.access import PermissionDeniedPage, page_view, require_capability

SECTION = "section-referrals"  # messages shown in the referral section of the case page


@page_view
@require_POST
def referral_create(request: HttpRequest, pk: int) -> HttpResponse:
    case = case_or_404(request, pk)
    if not (request.user.can("referral.create") and scoping.can_edit_case(request.user, case)):  # type: ignore[union-attr]
        raise PermissionDeniedPage
    provider_id = parse_id(request.POST.get("provider")) or 0
    provider = scoping.providers_for(request.user).filter(pk=provider_id).first()
    if provider is None:
        messages.error(request, _("Choose a service."), extra_tags=SECTION)
        return redirect(reverse("cases:case-detail", args=[case.pk]) + "#referrals")
    try:
        referral_services.create(
            case,
            provider,
            request.user,
            shared_fields=request.POST.getlist("shared"),
            reason=request.POST.get("reason", ""),
            override_reason=request.POST.get("override_reason", ""),
            via="web",
            request=request,
        )
        sent = _("Referral sent to %(service)s.") % {"service": provider.name}
        messages.success(request, sent, extra_tags=SECTION)
    except referral_services.ReferralError as exc:
        messages.error(request, str(exc), extra_tags=SECTION)
    return redirect(reverse("cases:case-detail", args=[case.pk]) + "#referrals")


def _display(name: str, value: Any) -> str:
    if value in (None, ""):
        return "—"
    if name == "gender" and value in Person.Gender.values:
        return str(Person.Gender(value).label)
    return str(value)


@page_view
def referral_inbox(request: HttpRequest) -> HttpResponse:
    """Referrals received by the user's organisation, with only what each one shares."""
    require_capability(request, "referral.receive")
    refs = list(
        scoping.received_referrals_for(request.user)
        .select_related("case", "case__person", "provider")
        .order_by("-id")[:200]
    )
    rows = []
    for ref in refs:
        data = ref.shared_data()
        referral_services.audit_shared_view(ref, request.user, data, via="web", request=request)
        rows.append((ref, [(SHAREABLE[k], _display(k, v)) for k, v in data.items()]))
    return render(request, "referrals/referral_inbox.html", {"rows": rows})


def _confirm(request: HttpRequest, ref: Any, action: str, url: str) -> HttpResponse:
    """The second step of a dangerous action (decline, revoke): a page that says what will happen
    and posts again with ``confirmed``; plain HTML, no script needed."""
    return render(
        request,
        "referrals/confirm.html",
        {"ref": ref, "action": action, "url": url, "reason": request.POST.get("reason", "")},
    )


@page_view
@require_POST
def referral_decide(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    require_capability(request, "referral.receive")
    received = scoping.received_referrals_for(request.user).select_related("case", "provider")
    ref = get_object_or_404(received, pk=pk)
    if action not in {"accept", "decline", "complete"}:
        raise Http404
    if action == "decline" and request.POST.get("confirmed") != "yes":
        url = reverse("referrals:referral-decide", args=[ref.pk, "decline"])
        return _confirm(request, ref, "decline", url)
    try:
        referral_services.decide(
            ref, action, request.user, reason=request.POST.get("reason", ""), via="web", request=request
        )
        messages.success(request, _("Referral updated."))
    except referral_services.ReferralError as exc:
        messages.error(request, str(exc))
    return redirect("referrals:referral-inbox")


@page_view
@require_POST
def referral_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    ref = get_object_or_404(scoping.referrals_for(request.user).select_related("case", "provider"), pk=pk)
    if not (request.user.can("referral.create") and scoping.can_edit_case(request.user, ref.case)):  # type: ignore[union-attr]
        raise PermissionDeniedPage
    if request.POST.get("confirmed") != "yes":
        return _confirm(request, ref, "revoke", reverse("referrals:referral-revoke", args=[ref.pk]))
    try:
        referral_services.decide(
            ref, "revoke", request.user, reason=request.POST.get("reason", ""), via="web", request=request
        )
        messages.success(request, _("Referral revoked."), extra_tags=SECTION)
    except referral_services.ReferralError as exc:
        messages.error(request, str(exc), extra_tags=SECTION)
    return redirect(reverse("cases:case-detail", args=[ref.case_id]) + "#referrals")
