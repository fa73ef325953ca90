"""Limits on what a request to ``/api/`` may send, answered as problem documents before any view
(or Django itself) reads the request:

- a body larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (by its ``Content-Length``) is a 413; DRF's
  parsers read the stream directly, so Django's own check would not apply to them, and Django's
  answer to its own check is an HTML page;
- a query parameter holding a NUL character is a 400 naming it (PostgreSQL refuses NUL in text,
  so a filter would otherwise fail in the database driver: a 500).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from vigil.server.api.problems import PROBLEM_BASE, problem_response


class ApiRequestLimitsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        if request.path.startswith("/api/"):
            refusal = self.refuse(request)
            if refusal is not None:
                return refusal
        return self.get_response(request)

    def refuse(self, request: HttpRequest) -> HttpResponse | None:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # as Django reads it: no body
        if limit is not None and length > limit:
            return problem_response(
                request,
                413,
                type_=PROBLEM_BASE + "body-too-large",
                detail=_("The request body is larger than %(limit)s bytes.") % {"limit": limit},
                max_bytes=limit,
            )
        bad = sorted({name for name, values in request.GET.lists() if any("\x00" in v for v in values)})
        bad += sorted({name for name in request.GET if "\x00" in name and name not in bad})
        if bad:
            return problem_response(
                request,
                400,
                type_=PROBLEM_BASE + "validation-error",
                title=_("The request is not valid"),
                detail=_("See 'errors' for each field."),
                errors=[
                    {"field": name.replace("\x00", ""), "detail": _("A query parameter cannot contain NUL.")}
                    for name in bad
                ],
            )
        return None
