"""Rate limiting of the public pages (no login): a fixed window per client in Django's cache.

The client is keyed by a SHA-256 of its address, never the address itself; nothing is logged."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone


def limits() -> tuple[int, int]:
    """(requests, seconds) allowed per client on the public pages."""
    count, seconds = getattr(settings, "VIGIL_PUBLIC_RATE_LIMIT", (60, 60))
    return int(count), int(seconds)


def over_limit(request: HttpRequest) -> bool:
    count, seconds = limits()
    client = hashlib.sha256(request.META.get("REMOTE_ADDR", "").encode()).hexdigest()[:32]
    window = int(timezone.now().timestamp()) // seconds
    key = f"vigil:public-rate:{client}:{window}"
    cache.add(key, 0, timeout=seconds + 1)
    try:
        hits = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=seconds + 1)
        hits = 1
    return hits > count


def public_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A page anyone may open: rate-limited (429 past the limit), never cached by the browser."""

    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if over_limit(request):
            response = render(
                request, "recruitment/public_limited.html", {"seconds": limits()[1]}, status=429
            )
            response["Retry-After"] = str(limits()[1])
        else:
            response = view(request, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        return response

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper
