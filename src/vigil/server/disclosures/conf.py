"""Settings of this app (read at call time, see ``vigil.server.conf``)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from vigil.server.conf import positive_int


def export_hours() -> int:
    """How long an export file can be downloaded (``VIGIL_EXPORT_HOURS``, default 24)."""
    return positive_int("VIGIL_EXPORT_HOURS", 24)


def export_max_downloads() -> int:
    """Downloads allowed per export file (``VIGIL_EXPORT_MAX_DOWNLOADS``, default 3)."""
    return positive_int("VIGIL_EXPORT_MAX_DOWNLOADS", 3)


def subject_request_days() -> int:
    """Days to answer a data-subject request (``VIGIL_SUBJECT_REQUEST_DAYS``, default 30)."""
    return positive_int("VIGIL_SUBJECT_REQUEST_DAYS", 30)


def exports_dir() -> Path:
    """``<data dir>/exports``: the data dir is ``settings.DATA_DIR`` (from ``VIGIL_DATA_DIR``)."""
    return Path(settings.DATA_DIR) / "exports"
