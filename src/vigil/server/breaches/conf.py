"""Settings of this app (read at call time, see ``vigil.server.conf``)."""

from __future__ import annotations

from vigil.server.conf import positive_int


def review_max_days() -> int:
    """Longest period one access-review query may cover (``VIGIL_ACCESS_REVIEW_MAX_DAYS``, 93)."""
    return positive_int("VIGIL_ACCESS_REVIEW_MAX_DAYS", 93)


def review_default_days() -> int:
    """Period reviewed when no start is given (``VIGIL_ACCESS_REVIEW_DEFAULT_DAYS``, 30)."""
    return min(positive_int("VIGIL_ACCESS_REVIEW_DEFAULT_DAYS", 30), review_max_days())


def review_max_rows() -> int:
    """Most entries one review returns; more are reported as truncated
    (``VIGIL_ACCESS_REVIEW_MAX_ROWS``, 5000)."""
    return positive_int("VIGIL_ACCESS_REVIEW_MAX_ROWS", 5000)
