"""Pages of the breach register (``/breaches/``): register, report, incident with its workflow,
access review and account containment. Every read of the register and every review is audited."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vigil.server.breaches import access_review, containment, services
from vigil.server.breaches.forms import (
    CasesForm,
    NotificationForm,
    ReactivateForm,
    ReportForm,
    StatusForm,
    SuspendForm,
    UpdateForm,
)
from vigil.server.breaches.models import AccountSuspension, BreachIncident
from vigil.server.versioning import StaleEdit
from vigil.server.web.access import PermissionDeniedPage, page_view
from vigil.server.web.versioning import STALE, refuse_stale


def _audit(request: HttpRequest, action: str, incident: BreachIncident | None, **detail: Any) -> None:
    services.audit(action, request.user, incident, via="web", request=request, **detail)


def _incident_or_404(request: HttpRequest, pk: int) -> BreachIncident:
    return get_object_or_404(services.incidents_for(request.user).select_related("reported_by"), pk=pk)


def _manager_incident(request: HttpRequest, pk: int) -> BreachIncident:
    if not services.is_manager(request.user):
        raise PermissionDeniedPage
    return get_object_or_404(BreachIncident, pk=pk)


def _form_error(form: Any, exc: services.BreachError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


# --- register ------------------------------------------------------------------------------------
@page_view
def register(request: HttpRequest) -> HttpResponse:
    if not services.may_use_register(request.user):
        raise PermissionDeniedPage
    incidents = (
        services.incidents_for(request.user).select_related("reported_by").order_by("-reported_at", "-id")
    )
    chosen = {}
    for name, choices in (
        ("status", BreachIncident.Status),
        ("severity", BreachIncident.Severity),
        ("category", BreachIncident.Category),
    ):
        value = request.GET.get(name, "")
        if value in choices.values:
            incidents = incidents.filter(**{name: value})
            chosen[name] = value
    page = Paginator(incidents, 25).get_page(request.GET.get("page"))
    _audit(request, "list", None, ids=[i.pk for i in page.object_list], query=sorted(chosen))
    return render(
        request,
        "breaches/register.html",
        {
            "page": page,
            "chosen": chosen,
            "statuses": BreachIncident.Status.choices,
            "severities": BreachIncident.Severity.choices,
            "categories": BreachIncident.Category.choices,
            "is_manager": services.is_manager(request.user),
            "may_review": access_review.may_review(request.user),
            "may_contain": containment.may_contain(request.user),
        },
    )


@page_view
def report(request: HttpRequest) -> HttpResponse:
    """The short form: what happened and when it was discovered. Anyone with ``breach.report``."""
    if not request.user.can("breach.report"):  # type: ignore[union-attr]
        raise PermissionDeniedPage
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            incident = services.report(request.user, form.cleaned_data, via="web", request=request)
        except services.BreachError as exc:
            _form_error(form, exc)
        else:
            messages.success(
                request,
                _("Breach %(ref)s reported. The administrators see it now.") % {"ref": incident.reference},
            )
            return redirect("breaches:detail", pk=incident.pk)
    return render(request, "breaches/report.html", {"form": form}, status=400 if form.errors else 200)


@page_view
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident_or_404(request, pk)
    full = services.sees_full_record(request.user, incident)
    manager = services.is_manager(request.user)
    _audit(request, "view", incident)
    context: dict[str, Any] = {"incident": incident, "full": full, "is_manager": manager}
    if full:
        context.update(
            {
                "cases": services.visible_cases(request.user, incident)
                .select_related("organisation")
                .order_by("reference"),
                "case_count": incident.cases.count(),
                "organisations": _organisations(incident),
                "notifications": incident.notifications.select_related("organisation", "recorded_by"),
                "history": incident.status_changes.select_related("changed_by"),
                "suspensions": incident.suspensions.select_related("user", "suspended_by"),
                "may_review": access_review.may_review(request.user),
            }
        )
    if manager:
        context.update(
            {
                # Distinct id prefixes: the forms share field names (e.g. "note") on one page.
                "status_form": StatusForm(
                    allowed=incident.allowed_next(), version=incident.version, auto_id="status_%s"
                ),
                "notification_form": NotificationForm(auto_id="notify_%s"),
                "cases_form": CasesForm(auto_id="cases_%s"),
            }
        )
    return render(request, "breaches/detail.html", context)


def _organisations(incident: BreachIncident) -> list[tuple[Any, bool, bool]]:
    from vigil.server.accounts.models import Organisation

    from_cases = set(incident.cases.values_list("organisation_id", flat=True))
    manual = set(incident.organisations.values_list("id", flat=True))
    orgs = Organisation.objects.filter(pk__in=from_cases | manual).order_by("name")
    return [(o, o.pk in from_cases, o.pk in manual) for o in orgs]


@page_view
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _manager_incident(request, pk)
    form = UpdateForm(request.POST or None, instance=BreachIncident.objects.get(pk=incident.pk))
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.update(
                request.user,
                incident,
                form.cleaned_data,
                version=form.cleaned_data["version"],
                via="web",
                request=request,
            )
        except services.BreachError as exc:
            _form_error(form, exc)
        except StaleEdit:
            # Show the stored incident, not the refused input: the manager re-applies the change.
            form = UpdateForm(instance=BreachIncident.objects.get(pk=incident.pk))
            refuse_stale(form)
            status = 409
        else:
            messages.success(request, _("Saved."))
            return redirect("breaches:detail", pk=incident.pk)
    elif request.method != "POST":
        _audit(request, "view", incident, page="edit")
    if form.errors and status == 200:
        status = 400
    return render(request, "breaches/edit.html", {"incident": incident, "form": form}, status=status)


@page_view
@require_POST
def change_status(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _manager_incident(request, pk)
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            services.change_status(
                request.user,
                incident,
                form.cleaned_data["status"],
                note=form.cleaned_data.get("note", ""),
                closure_summary=form.cleaned_data.get("closure_summary", ""),
                expected_version=form.expected_version(),
                via="web",
                request=request,
            )
            messages.success(request, _("Status changed."))
        except services.BreachError as exc:
            messages.error(request, exc.message)
        except StaleEdit:
            messages.error(request, STALE)
    else:
        messages.error(request, _("Choose the new status."))
    return redirect(reverse("breaches:detail", args=[incident.pk]) + "#status")


@page_view
@require_POST
def notify(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _manager_incident(request, pk)
    form = NotificationForm(request.POST)
    if form.is_valid():
        try:
            services.add_notification(request.user, incident, form.cleaned_data, via="web", request=request)
            messages.success(request, _("Notification recorded."))
        except services.BreachError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, _("Say to whom, when and how the notification was made."))
    return redirect(reverse("breaches:detail", args=[incident.pk]) + "#notifications")


@page_view
@require_POST
def change_cases(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _manager_incident(request, pk)
    remove = request.POST.get("remove", "")
    form = CasesForm(request.POST)
    try:
        if remove:
            services.change_cases(request.user, incident, remove=[remove], via="web", request=request)
            messages.success(request, _("Case removed from the incident."))
        elif form.is_valid():
            added, _removed = services.change_cases(
                request.user, incident, add=form.tokens(), via="web", request=request
            )
            messages.success(request, _("%(n)s case(s) added.") % {"n": len(added)})
        else:
            messages.error(request, _("Give one or more case references."))
    except services.BreachError as exc:
        messages.error(request, exc.message)
    return redirect(reverse("breaches:detail", args=[incident.pk]) + "#cases")


# --- access review -------------------------------------------------------------------------------
def _require_review(request: HttpRequest) -> None:
    if not access_review.may_review(request.user):
        raise PermissionDeniedPage


def _csv_response(text: str, name: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@page_view
def review(request: HttpRequest) -> HttpResponse:
    """The two review forms; with ``case`` or ``user`` in the query, the result below them."""
    _require_review(request)
    params = request.GET
    context: dict[str, Any] = {"params": params, "error": "", "error_field": ""}
    kind = "case" if params.get("case") else "user" if params.get("user") else ""
    status = 200
    if kind:
        try:
            period = access_review.parse_period(params.get("from"), params.get("to"))
            if kind == "case":
                case = access_review.find_case(request.user, params["case"])
                if case is None:
                    raise services.BreachError("case", _("No case with this reference in your scope."))
                result = access_review.who_accessed_case(
                    request.user, case, period, via="web", request=request
                )
                context.update({"case": case, "access": result})
                if params.get("format") == "csv":
                    return _csv_response(access_review.access_csv(result), f"access-{case.reference}.csv")
            else:
                target = _find_user(request.user, params["user"])
                result = access_review.records_accessed_by(
                    request.user, target, period, via="web", request=request
                )
                context.update({"target": target, "records": result})
                if params.get("format") == "csv":
                    return _csv_response(
                        access_review.records_csv(result), f"records-of-user-{target.pk}.csv"
                    )
        except services.BreachError as exc:
            context.update({"error": exc.message, "error_field": exc.field})
            status = 404 if exc.field in {"case", "user"} else 400
    return render(request, "breaches/review.html", context, status=status)


def _find_user(viewer: Any, token: str) -> Any:
    users = access_review.reviewable_users(viewer)
    token = token.strip()
    found = users.filter(username=token).first()
    if found is None and token.isdigit():
        found = users.filter(pk=int(token)).first()
    if found is None:
        raise services.BreachError("user", _("No such user in your organisation."))
    return found


@page_view
def incident_review(request: HttpRequest, pk: int) -> HttpResponse:
    _require_review(request)
    incident = _incident_or_404(request, pk)
    if not services.sees_full_record(request.user, incident):
        raise PermissionDeniedPage
    result = access_review.who_accessed_incident(request.user, incident, via="web", request=request)
    if request.GET.get("format") == "csv":
        return _csv_response(access_review.access_csv(result), f"access-{incident.reference}.csv")
    return render(request, "breaches/incident_review.html", {"incident": incident, "access": result})


# --- containment ---------------------------------------------------------------------------------
@page_view
def accounts(request: HttpRequest) -> HttpResponse:
    """Suspend an account (with a reason, optionally for an incident); suspended accounts."""
    if not containment.may_contain(request.user):
        raise PermissionDeniedPage
    form = SuspendForm(request.POST or None, initial={"incident": request.GET.get("incident", "")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        target = containment.accounts_for(request.user).filter(username=data["user"].strip()).first()
        if target is None:
            form.add_error("user", _("No account with this user name."))
        else:
            try:
                suspension = containment.suspend(
                    request.user,
                    target,
                    reason=data["reason"],
                    incident=data.get("incident"),
                    via="web",
                    request=request,
                )
            except services.BreachError as exc:
                _form_error(form, exc)
            else:
                messages.success(
                    request,
                    _("%(user)s is suspended: %(tokens)s token(s) and %(sessions)s session(s) ended.")
                    % {
                        "user": target.username,
                        "tokens": suspension.tokens_deleted,
                        "sessions": suspension.sessions_deleted,
                    },
                )
                return redirect("breaches:accounts")
    suspended = get_user_model().objects.filter(is_active=False).order_by("username")
    latest = {
        s.user_id: s
        for s in AccountSuspension.objects.filter(user__in=suspended, reactivated_at__isnull=True)
        .select_related("incident", "suspended_by")
        .order_by("suspended_at")
    }
    rows = [(u, latest.get(u.pk)) for u in suspended]
    return render(
        request,
        "breaches/accounts.html",
        {"form": form, "rows": rows, "reactivate_form": ReactivateForm()},
        status=400 if form.errors else 200,
    )


@page_view
@require_POST
def reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    if not containment.may_contain(request.user):
        raise PermissionDeniedPage
    target = get_object_or_404(containment.accounts_for(request.user), pk=pk)
    form = ReactivateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason (no identity data)."))
        return redirect("breaches:accounts")
    try:
        containment.reactivate(
            request.user, target, reason=form.cleaned_data["reason"], via="web", request=request
        )
        messages.success(request, _("%(user)s is active again.") % {"user": target.username})
    except services.BreachError as exc:
        messages.error(request, exc.message)
    return redirect("breaches:accounts")
