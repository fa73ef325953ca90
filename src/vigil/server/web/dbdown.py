"""The database cannot be reached (PostgreSQL restarted, its connection cut, a SQLite file locked
past the busy timeout): a 503 that says so, with ``Retry-After``, instead of a traceback or a 500.

Two places see such an error. A view's (and DRF's) exception reaches ``process_exception`` of
``DatabaseUnavailableMiddleware``; one raised by a middleware itself (the session, the user's OTP
device) is turned into a 500 by Django's handler, where ``server_error`` asks
``unavailable_response`` first. The answer never touches the database: the page is a template
of its own (no menu, no user), the API a problem document (``type .../database-unavailable``).

Nothing has to be restarted afterwards: a connection that failed is closed at the end of the
request (Django closes a connection that had an error and is no longer usable) and the next
request opens a new one (``conn_health_checks``). The request's transaction was rolled back,
unless the connection was lost during its COMMIT, when the server cannot know; so the message
asks to check before sending the change again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from vigil.server.api.problems import PROBLEM_BASE, problem_response
from vigil.server.web.storage import storage_full

log = logging.getLogger("vigil.database")
RETRY_AFTER_SECONDS = 5


def database_unavailable(exc: BaseException | None) -> bool:
    """Whether ``exc`` is Django's error for a database that cannot be reached or used now (and
    not a full disk: that is ``StorageFullMiddleware``'s 507)."""
    return isinstance(exc, OperationalError | InterfaceError) and not storage_full(exc)


def unavailable_response(request: HttpRequest, exc: BaseException | None) -> HttpResponse | None:
    """The 503 for ``exc`` if it is a database that cannot be reached, else None."""
    if not database_unavailable(exc):
        return None
    log.warning(
        "database unavailable: a %s to %s was answered 503 (%s)",
        request.method,
        request.path,
        type(exc).__name__,
    )
    message = _(
        "The database cannot be reached for the moment. Try again in a few seconds; if you were "
        "saving something, check that it is there before saving it again."
    )
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = problem_response(
            request,
            503,
            type_=PROBLEM_BASE + "database-unavailable",
            title=_("Database unavailable"),
            detail=message,
            retry_after=RETRY_AFTER_SECONDS,
        )
    else:
        html = render_to_string("vigil/unavailable.html", {"status": 503, "message": message})
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return unavailable_response(request, exception)
