"""What every app's pages share: the login-and-role decorator, the 403 page for a missing
capability, and the audit entry of a page."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse

from vigil.server.audit.log import record
from vigil.server.web.views import forbidden


class PermissionDeniedPage(Exception):
    """Raised by a page whose user's role does not allow what it asks; ``page_view`` answers 403."""


def require_capability(request: HttpRequest, capability: str) -> None:
    if not request.user.can(capability):  # type: ignore[union-attr]
        raise PermissionDeniedPage


def audit_page(request: HttpRequest, action: str, obj: Any, **detail: Any) -> None:
    record(action, user=request.user, obj=obj, via="web", request=request, detail=detail)


def page_view(view: Any) -> Any:
    """A page for logged-in users; ``PermissionDeniedPage`` inside it becomes the 403 page."""

    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except PermissionDeniedPage:
            return forbidden(request)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return login_required(wrapper)
