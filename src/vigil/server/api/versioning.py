"""API side of ``vigil.server.versioning``: a ``version`` in every answer, required on every update.

``VersionedSerializerMixin`` (before ``ModelSerializer`` in the bases) adds ``version`` to the
serializer's fields (no need to list it in ``Meta.fields``); on update it requires the version the
client read (400 naming ``version`` without it) and writes *only the validated fields* through
``save_versioned`` (one conditional UPDATE); a stale version raises ``StaleEdit``, which
``api.problems`` answers with 409 ``application/problem+json`` and ``current_version``.

``version_field()`` is the same field for plain input serializers (a service's PATCH body or an
action's body): ``required=True`` for edits, ``required=False`` for transitions, where the state
the service checks is the guard and a version, when sent, must match too.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from vigil.server.versioning import Versioned

SEND_VERSION = _("Send the version you read.")


def version_field(*, required: bool = True, **kwargs: Any) -> serializers.IntegerField:
    help_text = (
        _("Required: the version you read. A stale version is refused (409).")
        if required
        else _("Optional: the version you read; if sent and stale, the request is refused (409).")
    )
    return serializers.IntegerField(
        required=required,
        min_value=1,
        help_text=kwargs.pop("help_text", help_text),
        error_messages={"required": SEND_VERSION, "null": SEND_VERSION},
        **kwargs,
    )


class VersionedSerializerMixin(serializers.Serializer):
    """For ``ModelSerializer``s of ``Versioned`` models: partial, version-checked updates."""

    version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text=_("Required when updating: the version you read. A stale version is refused (409)."),
    )

    def get_field_names(self, declared_fields: Any, info: Any) -> Any:
        names = super().get_field_names(declared_fields, info)  # type: ignore[misc]
        if "version" not in names:
            names = (*names, "version")
        return names

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if self.instance is not None and "version" not in attrs:
            raise serializers.ValidationError({"version": SEND_VERSION})
        return attrs

    def create(self, validated: dict[str, Any]) -> Any:
        validated.pop("version", None)
        return super().create(validated)  # type: ignore[misc]

    def update(self, instance: Versioned, validated: dict[str, Any]) -> Any:
        """Only the fields the request sent (and that validated), in one conditional UPDATE;
        many-to-many fields are set after it, in the same transaction."""
        from django.db import transaction

        expected = validated.pop("version", None)
        if expected is None:  # a subclass's validate() that does not call this mixin's
            raise serializers.ValidationError({"version": SEND_VERSION})
        concrete, many = split_fields(instance, validated)
        with transaction.atomic():
            instance.save_versioned(expected, concrete)
            for name, value in many.items():
                getattr(instance, name).set(value)
        return instance


def split_fields(instance: models.Model, validated: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(concrete column values, many-to-many values) of ``validated``."""
    many_names = {f.name for f in instance._meta.many_to_many}
    concrete = {k: v for k, v in validated.items() if k not in many_names}
    many = {k: v for k, v in validated.items() if k in many_names}
    return concrete, many
