"""Settings that apps read at call time: a Django setting if the project defines one (tests override
it), else the environment variable of the same name, else the default; a bad value is a clear
``ImproperlyConfigured`` naming the variable."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def positive_int(name: str, default: int) -> int:
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
