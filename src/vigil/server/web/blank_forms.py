"""Empty forms rendered once per process and language (the CPU of the case page).

The case page offers forms that start empty (add a migration stage, schedule a follow-up): their
markup is the same for every case and every user in one language (no per-request value, no
choices read from the database, no CSRF token: that is in the page's template). Rendering them
widget by widget on every page view was a large part of the page's server time, so the markup of
an unbound form is kept per (form class, prefix, language) and reused. A form with data or
errors is never cached: the views pass a real bound form then.
"""

from __future__ import annotations

import threading
from typing import Any

from django.forms import BaseForm
from django.utils import translation
from django.utils.safestring import SafeString

_lock = threading.Lock()
_cache: dict[tuple[type[BaseForm], str, str], SafeString] = {}


class BlankForm:
    """Stands in for ``form_class(prefix=prefix)`` in a template: ``as_div``, no errors."""

    is_bound = False
    errors: dict[str, Any] = {}  # noqa: RUF012  (never written: an empty form has no errors)

    def __init__(self, form_class: type[BaseForm], prefix: str) -> None:
        self.form_class = form_class
        self.prefix = prefix

    def as_div(self) -> SafeString:
        key = (self.form_class, self.prefix, translation.get_language() or "")
        html = _cache.get(key)
        if html is None:
            html = self.form_class(prefix=self.prefix).as_div()
            with _lock:
                _cache[key] = html
        return html

    def __str__(self) -> str:
        return self.as_div()


def clear() -> None:
    """Forget every rendered form (tests that change a form's definition or the date formats)."""
    with _lock:
        _cache.clear()
