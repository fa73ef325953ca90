"""Query parameters shared by the apps' list filters: each bad value is a 400 problem naming it."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions


def date_param(request: Any, name: str) -> date | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise exceptions.ValidationError({name: _("Use an ISO 8601 date (YYYY-MM-DD).")}) from None


def int_param(request: Any, name: str) -> int | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise exceptions.ValidationError({name: _("Expected a number.")}) from None
