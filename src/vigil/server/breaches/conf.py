"""Settings of this app: a Django setting if the project defines one, else the environment
variable of the same name, else the default (``settings.py`` is shared and does not name them)."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _positive_int(name: str, default: int) -> int:
    raw = getattr(settings, name, None)
    if raw is None:
        raw = os.environ.get(name, "").strip() or default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ImproperlyConfigured(f"{name}: expected a whole number, got {raw!r}") from None
    if value < 1:
        raise ImproperlyConfigured(f"{name}: expected a number of at least 1, got {value}")
    return value


def review_max_days() -> int:
    """Longest period one access-review query may cover (``VIGIL_ACCESS_REVIEW_MAX_DAYS``, 93)."""
    return _positive_int("VIGIL_ACCESS_REVIEW_MAX_DAYS", 93)


def review_default_days() -> int:
    """Period reviewed when no start is given (``VIGIL_ACCESS_REVIEW_DEFAULT_DAYS``, 30)."""
    return min(_positive_int("VIGIL_ACCESS_REVIEW_DEFAULT_DAYS", 30), review_max_days())


def review_max_rows() -> int:
    """Most entries one review returns; more are reported as truncated
    (``VIGIL_ACCESS_REVIEW_MAX_ROWS``, 5000)."""
    return _positive_int("VIGIL_ACCESS_REVIEW_MAX_ROWS", 5000)
