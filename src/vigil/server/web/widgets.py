"""Form widgets shared by the apps' pages."""

from __future__ import annotations

from typing import Any

from django import forms


class DateInput(forms.DateInput):
    """An HTML date input: its value is always ISO 8601, whatever the page's language."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None, format: str | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")
