"""Query parameters and ids shared by the apps' APIs: each bad value is a 400 problem naming it.

Integers a client sends are bounded to the 64-bit signed range of the database's ``bigint`` (ids
are ``BigAutoField``): a larger number would otherwise reach the database driver and fail there
(``OverflowError`` on SQLite, a numeric error on PostgreSQL), i.e. a 500 from input the client
controls.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions

from vigil.server.api.pagination import MAX_PAGE_SIZE

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
# Ids in URLs: ASCII digits, at most 19 of them (INT64_MAX has 19); see api.routers.
ID_DIGITS = 19


def parse_id(raw: Any) -> int | None:
    """``raw`` as a database id (ASCII digits within the 64-bit range), or ``None``.

    ``str.isdigit`` is not enough: it accepts ``"²"`` and other Unicode digits that ``int`` refuses,
    and numbers beyond the database's range."""
    text = str(raw if raw is not None else "").strip()
    if not text or len(text) > ID_DIGITS or not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if value <= INT64_MAX else None


def date_param(request: Any, name: str) -> date | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise exceptions.ValidationError({name: _("Use an ISO 8601 date (YYYY-MM-DD).")}) from None


def int_param(request: Any, name: str, *, default: int | None = None) -> int | None:
    """The integer query parameter ``name`` (``default`` when absent or empty); a value that is not
    a whole number, or is outside the 64-bit signed range, is a 400 naming the parameter."""
    raw = (request.query_params.get(name) or "").strip()
    if not raw:
        return default
    digits = raw[1:] if raw[:1] in "+-" else raw
    if not (digits.isascii() and digits.isdigit()):
        raise exceptions.ValidationError({name: [_("Expected a number.")]})
    if len(digits) > ID_DIGITS or not INT64_MIN <= int(raw) <= INT64_MAX:
        message = _("Expected a number between %(low)s and %(high)s.") % {"low": INT64_MIN, "high": INT64_MAX}
        raise exceptions.ValidationError({name: [message]})
    return int(raw)


def limit_param(request: Any, name: str = "limit") -> int:
    """A list's ``limit``: a whole number (a 400 naming it otherwise), at most and by default the
    page maximum, so that no answer grows with the size of the data."""
    limit = int_param(request, name)
    return min(limit, MAX_PAGE_SIZE) if limit and limit > 0 else MAX_PAGE_SIZE
