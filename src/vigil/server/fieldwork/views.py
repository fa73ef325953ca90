"""Upload pages: send a Kobo or ODK Central export with its XLSForm, see what was stored."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from vigil.server import scoping
from vigil.server.cases.screening import outcome_words, ruleset_title
from vigil.server.fieldwork import services
from vigil.server.fieldwork.forms import UploadForm
from vigil.server.fieldwork.models import FieldScreening, FieldUpload
from vigil.server.web.access import PermissionDeniedPage, audit_page, page_view, require_capability


def _uploads(request: HttpRequest) -> object:
    require_capability(request, "case.create")
    org = request.user.organisation_id  # type: ignore[union-attr]
    if org is None:
        raise PermissionDeniedPage
    return FieldUpload.objects.filter(organisation_id=org)


@page_view
def upload_list(request: HttpRequest) -> HttpResponse:
    """The organisation's uploads, newest first (counts only: no person in this list)."""
    uploads = _uploads(request)
    page = Paginator(uploads.select_related("uploaded_by"), 25).get_page(request.GET.get("page"))  # type: ignore[attr-defined]
    return render(request, "fieldwork/upload_list.html", {"page": page})


@page_view
def upload_new(request: HttpRequest) -> HttpResponse:
    _uploads(request)
    posted = request.method == "POST"
    form = UploadForm(request.POST if posted else None, request.FILES if posted else None, user=request.user)
    error = ""
    if posted and form.is_valid():
        try:
            result = services.store_upload(
                request.user,
                form.cleaned_data["form"],
                form.cleaned_data["submissions"],
                form.case_obj,
                via="web",
            )
        except services.FieldworkError as exc:
            error = exc.message
        else:
            messages.success(
                request,
                _("%(stored)s screening(s) stored, %(skipped)s already stored before.")
                % {"stored": result.upload.stored, "skipped": result.upload.already_stored},
            )
            return redirect("fieldwork:upload-detail", pk=result.upload.pk)
    elif posted:
        error = _("Nothing was stored: correct the fields marked below.")
    return render(
        request, "fieldwork/upload_new.html", {"form": form, "error": error}, status=400 if posted else 200
    )


@page_view
def upload_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One upload: its counts and the screenings stored, each with its case (only the cases the
    user may read are listed)."""
    upload = get_object_or_404(_uploads(request), pk=pk)  # type: ignore[arg-type]
    readable = scoping.cases_for(request.user)
    rows = (
        FieldScreening.objects.filter(upload=upload, case__in=readable).select_related("case").order_by("id")
    )
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    for fs in page.object_list:
        fs.outcome_words = outcome_words(fs.outcome)  # type: ignore[attr-defined]
    audit_page(request, "view", upload, screenings=[fs.pk for fs in page.object_list])
    return render(
        request,
        "fieldwork/upload_detail.html",
        {"upload": upload, "page": page, "ruleset_title": ruleset_title(upload.ruleset)},
    )
