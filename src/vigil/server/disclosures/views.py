"""Pages: encrypted exports (analysts; supervisors see theirs), the download link, and the
data-subject request worklist with its actions (supervisors)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from rest_framework.exceptions import AuthenticationFailed

from vigil.server.accounts.tokens import TokenAuthentication
from vigil.server.api.params import parse_id
from vigil.server.audit.log import record
from vigil.server.disclosures import conf, exportfiles, packaging, statistics, subject_requests
from vigil.server.disclosures.forms import (
    CompleteForm,
    RefuseForm,
    StatisticsExportForm,
    SubjectRequestForm,
    UpdateForm,
)
from vigil.server.disclosures.models import ExportFile, SubjectRequest
from vigil.server.versioning import StaleEdit
from vigil.server.web.access import PermissionDeniedPage, page_view
from vigil.server.web.versioning import STALE
from vigil.server.web.views import not_found


def _audit(request: HttpRequest, action: str, object_type: str, object_id: Any = "", **detail: Any) -> None:
    record(
        action,
        user=request.user,
        object_type=object_type,
        object_id=object_id,
        via="web",
        request=request,
        detail=detail,
    )


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


def _issued_page(request: HttpRequest, issued: exportfiles.IssuedExport, back: str) -> HttpResponse:
    """The one page that shows the password: rendered in the POST answer, never stored."""
    context = {
        "export": issued.export,
        "password": issued.password,
        "link": request.build_absolute_uri(issued.download_url),
        "back": back,
    }
    return _no_store(render(request, "disclosures/issued.html", context, status=201))


# --- exports ------------------------------------------------------------------------------------
@page_view
def exports_page(request: HttpRequest) -> HttpResponse:
    """Analysts: the form of an encrypted statistics export. Everyone allowed: their own files."""
    user = request.user
    can_stats = user.can("stats.view")  # type: ignore[union-attr]
    if not (can_stats or subject_requests.allowed(user)):
        raise PermissionDeniedPage
    form = StatisticsExportForm(request.POST or None) if can_stats else None
    if request.method == "POST":
        if form is None:
            raise PermissionDeniedPage
        if form.is_valid():
            data = form.cleaned_data
            issued = statistics.create(user, purpose=data["purpose"], k=data["k"], via="web", request=request)
            return _issued_page(request, issued, "disclosures:exports")
    files = list(exportfiles.export_files_for(user)[:50])
    return render(
        request,
        "disclosures/exports.html",
        {"form": form, "files": files, "now": timezone.now(), "hours": conf.export_hours()},
        status=400 if form is not None and form.errors else 200,
    )


def _download_user(request: HttpRequest) -> Any:
    """The signed-in user, or the user of an API token (``Authorization: Token <key>``)."""
    if request.user.is_authenticated:
        return request.user
    if request.headers.get("Authorization", "").startswith("Token "):
        try:
            found = TokenAuthentication().authenticate(request)  # type: ignore[arg-type]
        except AuthenticationFailed:
            return None
        return found[0] if found else None
    return None


REFUSALS = {
    "expired": lambda: _("This download link has expired. Make a new export."),
    "purged": lambda: _("This file has been deleted from the server. Make a new export."),
    "missing": lambda: _("This file has been deleted from the server. Make a new export."),
    "used_up": lambda: _("This file has been downloaded as many times as allowed. Make a new export."),
}


def _gone(request: HttpRequest, reason: str) -> HttpResponse:
    context = {"status": 410, "message": REFUSALS[reason]()}
    return _no_store(render(request, "vigil/error.html", context, status=410))


def download(request: HttpRequest, token: str) -> HttpResponse:
    """The encrypted file, for the user who asked for it only, before expiry, within the count."""
    user = _download_user(request)
    if user is None:
        if request.headers.get("Authorization"):
            return HttpResponse(_("Invalid or expired token."), status=401, content_type="text/plain")
        return redirect_to_login(request.get_full_path())
    request.user = user
    try:
        export = exportfiles.claim_download(token, user)
        handle = packaging.path_of(export.file_name).open("rb")
    except exportfiles.DownloadRefused as exc:
        export_id = ""
        if exc.status == 410:
            export_id = (
                ExportFile.objects.filter(token_hash=exportfiles.hash_link_token(token))
                .values_list("pk", flat=True)
                .first()
                or ""
            )
        _audit(request, "download_refused", "export", export_id, reason=exc.reason)
        if exc.status == 404:
            return not_found(request)
        return _gone(request, exc.reason)
    except FileNotFoundError:
        exportfiles.mark_purged(export, timezone.now())
        _audit(request, "download_refused", "export", export.pk, reason="missing")
        return _gone(request, "missing")
    _audit(
        request,
        "download",
        "export",
        export.pk,
        kind=export.kind,
        download=export.download_count,
        max_downloads=export.max_downloads,
        records=export.records,
        fields=export.fields,
    )
    if export.kind == ExportFile.Kind.SUBJECT_ACCESS:
        name = f"vigil-subject-access-{export.subject_request_id}.zip"
    else:
        name = f"vigil-statistics-{export.created_at:%Y%m%d}-{export.pk}.zip"
    response = FileResponse(handle, as_attachment=True, filename=name, content_type="application/zip")
    return _no_store(response)


# --- data-subject requests ---------------------------------------------------------------------
def _require_requests(request: HttpRequest) -> None:
    if not subject_requests.allowed(request.user):
        raise PermissionDeniedPage


def _request_or_404(request: HttpRequest, pk: int) -> SubjectRequest:
    return get_object_or_404(subject_requests.subject_requests_for(request.user), pk=pk)


@page_view
def request_list(request: HttpRequest) -> HttpResponse:
    """The worklist: open requests by due date, overdue first; the latest closed ones."""
    _require_requests(request)
    mine = subject_requests.subject_requests_for(request.user).prefetch_related("person__cases")
    open_items = list(mine.filter(status__in=SubjectRequest.OPEN_STATUSES).order_by("due_on", "id")[:500])
    closed = list(mine.exclude(status__in=SubjectRequest.OPEN_STATUSES).order_by("-completed_on", "-id")[:50])
    _audit(request, "list", "subject_request", ids=[r.pk for r in open_items + closed])
    today = timezone.localdate()
    return render(
        request,
        "disclosures/requests.html",
        {
            "overdue": [r for r in open_items if r.due_on < today],
            "upcoming": [r for r in open_items if r.due_on >= today],
            "closed": closed,
        },
    )


@page_view
def request_new(request: HttpRequest) -> HttpResponse:
    """A new request for the person of a case (``?case=<id>``, the link on the case page)."""
    _require_requests(request)
    raw = request.GET.get("case") or request.POST.get("case") or ""
    case = None
    if (pk := parse_id(raw)) is not None:
        case = subject_requests.cases_for(request.user).select_related("person").filter(pk=pk).first()
    if case is None or not subject_requests.persons_for(request.user).filter(pk=case.person_id).exists():
        return render(
            request,
            "vigil/error.html",
            {"status": 400, "message": _("Open the request from the page of one of the person's cases.")},
            status=400,
        )
    form = SubjectRequestForm(request.POST or None, initial={"received_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            req = subject_requests.create(
                request.user, person=case.person, **form.cleaned_data, via="web", request=request
            )
        except subject_requests.RequestError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Request recorded; answer by %(date)s.") % {"date": req.due_on})
            return redirect("disclosures:request-detail", pk=req.pk)
    return render(
        request,
        "disclosures/request_new.html",
        {"form": form, "case": case},
        status=400 if form.errors else 200,
    )


def _detail_context(request: HttpRequest, req: SubjectRequest) -> dict[str, Any]:
    cases = list(
        subject_requests.cases_for(request.user).filter(person_id=req.person_id).order_by("opened_on", "id")
    )
    return {
        "req": req,
        "cases": cases,
        "exports": list(req.exports.filter(requested_by=request.user)),
        # Distinct id prefixes: the forms share field names (e.g. "outcome_note") on one page.
        "update_form": UpdateForm(
            initial={
                "verification": req.verification,
                "status": req.status,
                "outcome_note": req.outcome_note,
            },
            version=req.version,
            auto_id="update_%s",
        ),
        "complete_form": CompleteForm(version=req.version, auto_id="complete_%s"),
        "refuse_form": RefuseForm(version=req.version, auto_id="refuse_%s"),
        "now": timezone.now(),
    }


@page_view
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_requests(request)
    req = _request_or_404(request, pk)
    _audit(request, "view", "subject_request", req.pk, person=req.person_id)
    return render(request, "disclosures/request_detail.html", _detail_context(request, req))


ACTIONS = ("update", "access", "erase", "complete", "refuse")


@page_view
@require_POST
def request_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    _require_requests(request)
    req = _request_or_404(request, pk)
    if action not in ACTIONS:
        return not_found(request)
    user = request.user
    form: Any = None
    posted = request.POST.get("version", "")
    expected = int(posted) if posted.isdigit() else None
    try:
        if action == "access":
            issued = subject_requests.access(req, user, expected_version=expected, via="web", request=request)
            return _issued_page(request, issued, "disclosures:requests")
        if action == "erase":
            subject_requests.erase(req, user, expected_version=expected, via="web", request=request)
            req.refresh_from_db()
            messages.success(request, _("Erasure done: %(status)s.") % {"status": req.get_status_display()})
        elif action == "update":
            form = UpdateForm(request.POST)
            if form.is_valid():
                changes = {k: v for k, v in form.cleaned_data.items() if k != "version"}
                version = form.cleaned_data["version"]
                subject_requests.update(req, user, changes, version=version, via="web", request=request)
                messages.success(request, _("Saved."))
        elif action == "complete":
            form = CompleteForm(request.POST)
            if form.is_valid():
                note = form.cleaned_data["outcome_note"]
                subject_requests.complete(
                    req, user, note, expected_version=form.expected_version(), via="web", request=request
                )
                messages.success(request, _("Request completed."))
        elif action == "refuse":
            form = RefuseForm(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                subject_requests.refuse(
                    req,
                    user,
                    data["refusal_reason"],
                    data["outcome_note"],
                    expected_version=form.expected_version(),
                    via="web",
                    request=request,
                )
                messages.success(request, _("Request refused."))
        if form is not None and not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
    except subject_requests.RequestError as exc:
        messages.error(request, exc.message)
        req.refresh_from_db()
        context = _detail_context(request, req)
        return render(request, "disclosures/request_detail.html", context, status=exc.status)
    except StaleEdit:
        # Nothing was saved: show the stored request and say why.
        messages.error(request, STALE)
        req.refresh_from_db()
        return render(request, "disclosures/request_detail.html", _detail_context(request, req), status=409)
    return redirect("disclosures:request-detail", pk=req.pk)
