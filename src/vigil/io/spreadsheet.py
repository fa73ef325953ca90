"""Cells that a spreadsheet will show, not run (CSV/formula injection, OWASP).

A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by Excel,
LibreOffice and Google Sheets as a formula; such a cell gets a leading apostrophe, which the
spreadsheet hides. Every other value, the empty string included, is written as it is, so that an
export read back with a CSV reader gives the data again.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(value: Any) -> Any:
    """``value`` as a CSV cell: ``None`` as empty, dates in ISO 8601, formula-like text quoted."""
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
