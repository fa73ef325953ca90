"""The pages every app shares: the home page (which sends each role to its work) and the error
pages (a problem document under ``/api/``)."""

from __future__ import annotations

import sys
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from vigil.server.api.problems import problem_response
from vigil.server.web.dbdown import unavailable_response


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return problem_response(request, 404)
    return render(request, "vigil/error.html", {"status": 404, "message": _("Page not found.")}, status=404)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """A request the server cannot read; a form post over the size limit is a 413, on the site's
    own page (under ``/api/``, vigil.server.api.limits answers before this is reached)."""
    if isinstance(exception, RequestDataTooBig):
        status = 413
        message = _("What you sent is larger than the server accepts (%(size)s). Nothing was saved.") % {
            "size": filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        }
    else:
        status, message = 400, _("The request could not be read. Nothing was saved.")
    if _is_api(request):
        return problem_response(request, status, detail=message)
    return render(request, "vigil/error.html", {"status": status, "message": message}, status=status)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return problem_response(request, 403)
    return render(
        request,
        "vigil/error.html",
        {"status": 403, "message": _("Your role does not allow this.")},
        status=403,
    )


def server_error(request: HttpRequest) -> HttpResponse:
    # An error raised by a middleware (the session, the OTP device) reaches this handler directly.
    unavailable = unavailable_response(request, sys.exc_info()[1])
    if unavailable is not None:
        return unavailable
    if _is_api(request):
        return problem_response(request, 500, detail=_("The error was logged without personal data."))
    return render(
        request,
        "vigil/error.html",
        {"status": 500, "message": _("Something went wrong. The error was logged.")},
        status=500,
    )


def locked_out(request: HttpRequest, credentials: Any = None, *args: Any, **kwargs: Any) -> HttpResponse:
    """django-axes: too many failed logins for this username from this address."""
    message = _("Too many failed attempts. Try again in an hour or ask an administrator.")
    if _is_api(request):
        return problem_response(
            request,
            429,
            type_="https://vigil.invalid/problems/locked-out",
            title=_("Account locked"),
            detail=message,
        )
    return render(request, "vigil/error.html", {"status": 429, "message": message}, status=429)


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    if request.user.can("referral.receive") and not request.user.can("case.view"):  # type: ignore[union-attr]
        return redirect("referrals:referral-inbox")
    if (
        request.user.can("stats.view")  # type: ignore[union-attr]
        and not request.user.can("case.view")  # type: ignore[union-attr]
        and not request.user.can("alerts.manage")  # type: ignore[union-attr]
    ):
        return redirect("statistics:statistics")  # a coordinator lands on the work list (alerts)
    if request.user.can("breach.manage") and not request.user.can("case.view"):  # type: ignore[union-attr]
        return redirect("breaches:register")  # administrators: no case content, the register is theirs
    if request.user.can("recruitment.view") and not request.user.can("case.view"):  # type: ignore[union-attr]
        return redirect("recruitment:worklist")
    from django.utils import timezone

    from vigil.server.audit.log import record
    from vigil.server.web.worklist import work_for

    sections = work_for(request.user, timezone.localdate())
    ids = sorted({line.case_id for s in sections for line in s.lines if line.kind == "case"})
    # the work list shows references of cases: audited as a list, like the case list
    record(
        "list",
        user=request.user,
        object_type="case",
        via="web",
        request=request,
        detail={"ids": ids, "page": "home"},
    )
    context = {
        "sections": sections,
        "empty": not any(s.lines for s in sections),
        "can_search": request.user.can("case.view"),  # type: ignore[union-attr]
    }
    return render(request, "vigil/home.html", context)
