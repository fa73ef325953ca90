"""RFC 9457 problem details for every API error (``application/problem+json``)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from vigil.server.versioning import StaleEdit

PROBLEM_BASE = "https://vigil.invalid/problems/"
CONTENT_TYPE = "application/problem+json"


def problem(
    status_code: int,
    *,
    detail: str = "",
    type_: str = "about:blank",
    title: str = "",
    instance: str = "",
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": type_,
        "title": title or HTTPStatus(status_code).phrase,
        "status": status_code,
    }
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    body.update(extra)
    return body


def _flatten(errors: Any, prefix: str = "") -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    if isinstance(errors, dict):
        for key, value in errors.items():
            name = key if key != "non_field_errors" else ""
            out.extend(_flatten(value, f"{prefix}.{name}" if prefix and name else (name or prefix)))
    elif isinstance(errors, list):
        for i, value in enumerate(errors):
            if isinstance(value, dict | list):
                out.extend(_flatten(value, f"{prefix}[{i}]"))
            else:
                out.append({"field": prefix, "detail": str(value)})
    else:
        out.append({"field": prefix, "detail": str(errors)})
    return out


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    request = context.get("request")
    instance = request.path if request is not None else ""
    if isinstance(exc, StaleEdit):
        body = problem(
            409,
            type_=PROBLEM_BASE + "stale-edit",
            title=_("The record was changed by someone else"),
            detail=_("Reload the record and apply your change again; nothing was saved."),
            instance=instance,
            current_version=exc.current_version,
        )
        return _respond(Response(body, status=409))
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        body = problem(
            response.status_code,
            type_=PROBLEM_BASE + "validation-error",
            title=_("The request is not valid"),
            detail=_("See 'errors' for each field."),
            instance=instance,
            errors=_flatten(exc.detail),
        )
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else ""
        extra: dict[str, Any] = {}
        code = getattr(exc, "default_code", "")
        type_ = PROBLEM_BASE + code.replace("_", "-") if code and code != "error" else "about:blank"
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            extra["retry_after"] = int(exc.wait)
        extra.update(getattr(exc, "problem_extra", {}))  # e.g. the header an idempotency problem names
        body = problem(response.status_code, type_=type_, detail=str(detail), instance=instance, **extra)
    response.data = body
    return _respond(response)


def _respond(response: Response) -> Response:
    response.content_type = CONTENT_TYPE
    return response


def problem_response(request: Any, status_code: int, **kwargs: Any) -> JsonResponse:
    """A problem response outside DRF (URL not found, server error, lockout)."""
    body = problem(status_code, instance=request.path, **kwargs)
    return JsonResponse(body, status=status_code, content_type=CONTENT_TYPE)


__all__ = ["exception_handler", "problem", "problem_response", "status"]
