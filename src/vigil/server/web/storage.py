"""The database's storage is full (SQLite: the disk or ``max_page_count``; PostgreSQL: SQLSTATE
53100 ``disk_full``): a 507 that says nothing was saved, instead of a bare 500.

The request's transaction has been rolled back by then (every write is atomic), so what was
stored before is intact and the same request succeeds once space is freed. API requests get a
problem document (``type .../storage-full``), pages the site's error page in the visitor's
language. The event is logged (without personal data) at ERROR so that monitoring sees it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from vigil.server.api.problems import PROBLEM_BASE, problem_response

log = logging.getLogger("vigil.storage")
DISK_FULL_SQLSTATE = "53100"


def storage_full(exc: BaseException) -> bool:
    """Whether ``exc`` (a Django database error, or the driver's) says the storage is full."""
    for err in (exc, exc.__cause__):
        if err is None:
            continue
        if DISK_FULL_SQLSTATE in (getattr(err, "sqlstate", None), getattr(err, "pgcode", None)):
            return True
        if getattr(err, "sqlite_errorname", None) == "SQLITE_FULL" or "database or disk is full" in str(err):
            return True
    return False


class StorageFullMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DatabaseError) or not storage_full(exception):
            return None
        log.error("storage full: a %s to %s was refused, nothing was saved", request.method, request.path)
        message = _("The server's storage is full. Nothing was saved; try again once space is freed.")
        if request.path.startswith("/api/"):
            return problem_response(
                request, 507, type_=PROBLEM_BASE + "storage-full", title=_("Storage full"), detail=message
            )
        return render(request, "vigil/error.html", {"status": 507, "message": message}, status=507)
