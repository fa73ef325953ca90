"""Settings of this app, read like the others: a Django setting if the project defines one, else
the environment variable of the same name, else the default. (``settings.py`` is shared and does
not name them yet.)"""

from __future__ import annotations

import os
from pathlib import Path

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


def export_hours() -> int:
    """How long an export file can be downloaded (``VIGIL_EXPORT_HOURS``, default 24)."""
    return _positive_int("VIGIL_EXPORT_HOURS", 24)


def export_max_downloads() -> int:
    """Downloads allowed per export file (``VIGIL_EXPORT_MAX_DOWNLOADS``, default 3)."""
    return _positive_int("VIGIL_EXPORT_MAX_DOWNLOADS", 3)


def subject_request_days() -> int:
    """Days to answer a data-subject request (``VIGIL_SUBJECT_REQUEST_DAYS``, default 30)."""
    return _positive_int("VIGIL_SUBJECT_REQUEST_DAYS", 30)


def exports_dir() -> Path:
    """``<data dir>/exports``: the data dir is ``settings.DATA_DIR`` (from ``VIGIL_DATA_DIR``)."""
    return Path(settings.DATA_DIR) / "exports"
