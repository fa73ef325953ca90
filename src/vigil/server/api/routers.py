"""The router of every app's API: ids in URLs are ASCII digits, at most 19 of them.

DRF's default lookup (``[^/.]+``) lets any text reach the view, where a lookup by id of ``abc``
raises ``ValueError`` in Django's ``get_object_or_404`` (a 500) and a number of thousands of digits
exceeds what ``int`` parses. With this pattern such URLs do not resolve: 404 problem document.
Numbers of 19 digits beyond the 64-bit range match no row (Django answers an empty result for an
out-of-range integer lookup), so also 404."""

from __future__ import annotations

from django.urls import register_converter
from rest_framework.routers import SimpleRouter

from vigil.server.api.params import ID_DIGITS, INT64_MAX

ID_PATTERN = f"[0-9]{{1,{ID_DIGITS}}}"


class Router(SimpleRouter):
    """``SimpleRouter`` whose default lookup is a bounded id (a viewset may set its own
    ``lookup_value_regex``)."""

    def __init__(self, trailing_slash: bool = True) -> None:
        super().__init__(trailing_slash=trailing_slash)
        self._default_value_pattern = ID_PATTERN


class IdConverter:
    """``<id:pk>`` in a ``path()``: the same bounded id for routes outside a router; a number
    beyond the 64-bit range does not match (404)."""

    regex = ID_PATTERN

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > INT64_MAX:
            raise ValueError("out of range")
        return number

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")
