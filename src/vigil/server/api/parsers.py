"""The JSON parser of the API: a body nested deeper than ``MAX_DEPTH`` is a 400 problem.

Python's ``json`` parses recursively: a body of 100,000 nested ``[`` raises ``RecursionError``,
which DRF's parser does not catch (a 500), and a body nested a few hundred levels would parse but
then exhaust the stack later (validation, ``json.dumps`` into a ``JSONField``, the audit). No
field of the API nests deeper than a few levels."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_DEPTH = 64


def depth_exceeds(value: Any, limit: int) -> bool:
    """Whether ``value`` (parsed JSON) nests deeper than ``limit`` containers; iterative, so it
    cannot itself exhaust the stack."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


class BoundedJSONParser(JSONParser):
    max_depth = MAX_DEPTH

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            too_deep = True
        else:
            too_deep = depth_exceeds(data, self.max_depth)
        if too_deep:
            raise ParseError(
                _("The JSON body is nested more than %(depth)s levels deep.") % {"depth": self.max_depth}
            )
        return data
