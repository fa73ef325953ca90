"""Values computed once per request: a dict that lives from the start of a request to its end.

``RequestCacheMiddleware`` (outermost but for the security middleware) gives each request a fresh
dict in a context variable and drops it when the response is made; ``get``/``put`` read and write it
and do nothing outside a request (a shell, a management command, a test calling a service
directly): there every call computes afresh, as before. Nothing is shared between requests, users,
threads or processes, so a cached value can never outlive the request that computed it.

Used for what several parts of one page ask again and again about the signed-in user: the cases of
their active emergency grants (``scoping.granted_case_ids``: the case page's own query, the field
screenings panel's and the agencies panel's). A write that changes such a value within a request
calls ``forget`` (``EmergencyAccess`` saves and deletes through a signal, the services' bulk
updates directly).
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

_CACHE: ContextVar[dict[Any, Any] | None] = ContextVar("vigil_request_cache", default=None)
_MISSING = object()


def get_or_compute(key: Any, compute: Callable[[], Any]) -> Any:
    cache = _CACHE.get()
    if cache is None:
        return compute()
    value = cache.get(key, _MISSING)
    if value is _MISSING:
        value = cache[key] = compute()
    return value


def forget(prefix: str) -> None:
    """Drop every cached value whose key is ``prefix`` or a tuple starting with it."""
    cache = _CACHE.get()
    if cache:
        for key in [k for k in cache if k == prefix or (isinstance(k, tuple) and k and k[0] == prefix)]:
            del cache[key]


class RequestCacheMiddleware:
    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        token = _CACHE.set({})
        try:
            return self.get_response(request)
        finally:
            _CACHE.reset(token)
