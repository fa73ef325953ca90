"""Form widgets shared by the apps' pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

# Eastern Arabic and Persian digits typed on an Arabic keyboard, read as the digits they are.
DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "0123456789" * 2)


def date_pattern() -> str:
    """The date format of the page's language as a reader types it: ``dd/mm/yyyy`` in English
    words, ``jj/mm/aaaa`` in French, ``yyyy-mm-dd`` for the ISO dates of English pages."""
    fmt = str(formats.get_format("DATE_INPUT_FORMATS")[0])
    parts = {
        "%d": pgettext("date pattern: day", "dd"),
        "%m": pgettext("date pattern: month", "mm"),
        "%Y": pgettext("date pattern: year", "yyyy"),
        "%y": pgettext("date pattern: two-digit year", "yy"),
    }
    for code, word in parts.items():
        fmt = fmt.replace(code, word)
    return fmt


class DateInput(forms.DateInput):
    """A date typed in the page language's format (day/month/year in French, Spanish and
    Arabic, ISO in English), shown with that format as its placeholder and read with the
    language's input formats (ISO always accepted too).

    Not ``<input type=date>``: browsers draw and read that one in the *browser's* locale, not the
    page's (Chromium with an English system shows mm/dd/yyyy to a French page), so the same
    interviewer saw two date orders on one screen."""

    input_type = "text"

    def __init__(self, attrs: dict[str, Any] | None = None, format: str | None = None) -> None:
        base = {"autocomplete": "off", "spellcheck": "false", "class": "date", "size": "12"}
        super().__init__({**base, **(attrs or {})}, format=format)

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        pattern = date_pattern()
        widget_attrs = context["widget"]["attrs"]
        widget_attrs.setdefault("placeholder", pattern)
        widget_attrs.setdefault("title", _("Date, as %(pattern)s") % {"pattern": pattern})
        return context

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        value = super().value_from_datadict(data, files, name)
        return value.translate(DIGITS).strip() if isinstance(value, str) else value
