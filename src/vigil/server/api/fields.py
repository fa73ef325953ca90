"""Serializer fields shared by the apps' APIs."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class ScopedPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """A foreign key whose choices are what the requesting user may see."""

    def __init__(self, scope_fn: Any, **kwargs: Any) -> None:
        self.scope_fn = scope_fn
        super().__init__(**kwargs)

    def get_queryset(self):  # type: ignore[no-untyped-def]
        request = self.context.get("request")
        return self.scope_fn(request.user if request else None)
