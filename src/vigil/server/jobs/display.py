"""Language-neutral renderings of intervals and times for the command and the admin."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone


def format_interval(every: timedelta) -> str:
    """``1d``, ``12h``, ``1d 6h``, ``30m``, ``45s``."""
    seconds = int(every.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return " ".join(parts) or "0s"


def format_time(at: datetime) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M %Z")
