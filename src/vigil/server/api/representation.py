"""Faster reads for DRF model serializers: the output of ``to_representation``, field for field, without
rebuilding the serializer's fields on every request.

DRF builds a ``ModelSerializer``'s fields anew for each serializer instance (model introspection and a
deep copy of the declared fields: about 2 ms for a case on this project's hardware), then, for every
record, walks them through generic ``get_attribute`` / ``to_representation`` calls. A detail request
pays the first cost, a list page of 50 cases the second 50 times (most of the CPU of ``GET
/api/cases/``; see ``bench/case_api.py``).

``FastReadMixin`` keeps, per serializer class, a *read plan*: one small function per readable field,
made once from the fields DRF built for the first instance. Only field kinds whose representation
depends on nothing but the value are planned (plain model fields, dates and times, primary-key and
slug relations, list fields of those); a ``SerializerMethodField`` calls the method of the current
serializer; any other kind (nested serializers, hyperlinks, anything taking the request from the
context) goes through the current serializer's own fields, as DRF would. Writing and validation are
DRF's, untouched. ``tests/server/test_server_representation.py`` checks the output is identical to
DRF's for every serializer that uses the mixin.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from django.core.exceptions import FieldDoesNotExist
from rest_framework import fields as drf_fields
from rest_framework import relations
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject

Getter = Callable[[Any, Any], Any]  # (serializer, instance) -> representation

# Field kinds whose to_representation uses only the value (no request, parent or context).
_VALUE_ONLY = (
    drf_fields.BooleanField,
    drf_fields.CharField,  # also EmailField, SlugField, RegexField, ...
    drf_fields.IntegerField,
    drf_fields.FloatField,
    drf_fields.DecimalField,
    drf_fields.DateField,
    drf_fields.DateTimeField,
    drf_fields.TimeField,
    drf_fields.DurationField,
    drf_fields.ChoiceField,  # also MultipleChoiceField
    drf_fields.JSONField,
    drf_fields.ReadOnlyField,
    drf_fields.UUIDField,
    drf_fields.IPAddressField,
    drf_fields.DictField,
)


def _attribute(field: drf_fields.Field) -> Callable[[Any], Any]:
    """``field.get_attribute`` for model instances, minus its generic machinery; a missing attribute
    or a mapping goes through DRF's own (defaults, ``SkipField`` for optional fields)."""
    attrs = tuple(field.source_attrs)

    def get(instance: Any) -> Any:
        if isinstance(instance, Mapping):
            return field.get_attribute(instance)
        value = instance
        try:
            for attr in attrs:
                value = getattr(value, attr)
                if value is None:
                    return None  # DRF stops at a None on the way
                if callable(value) and drf_fields.is_simple_callable(value):
                    value = value()
        except AttributeError:
            return field.get_attribute(instance)
        return value

    return get


def _plain_getter(field: drf_fields.Field) -> Getter | None:
    """Attribute then value-only conversion, as ``Serializer.to_representation`` does it."""
    if not field.source_attrs:  # source="*"
        return None
    attribute, convert = _attribute(field), field.to_representation

    def get(serializer: Any, instance: Any) -> Any:
        value = attribute(instance)
        return None if value is None else convert(value)

    return get


def _list_getter(field: drf_fields.ListField) -> Getter | None:
    if not isinstance(field.child, _VALUE_ONLY) or not field.source_attrs:
        return None
    attribute, convert = _attribute(field), field.child.to_representation

    def get(serializer: Any, instance: Any) -> Any:
        value = attribute(instance)
        return None if value is None else [None if item is None else convert(item) for item in value]

    return get


def _pk_getter(field: relations.PrimaryKeyRelatedField, model: type) -> Getter | None:
    if field.pk_field is not None or len(field.source_attrs) != 1:
        return None
    attr = field.source_attrs[0]
    try:
        attname = model._meta.get_field(attr).attname  # the "<name>_id" column: no query
    except FieldDoesNotExist:
        return None
    if attname == attr:
        return None

    def get(serializer: Any, instance: Any) -> Any:
        if isinstance(instance, Mapping):
            return _fallback_getter(field.field_name)(serializer, instance)
        return getattr(instance, attname)

    return get


def _slug_getter(field: relations.SlugRelatedField) -> Getter | None:
    if len(field.source_attrs) != 1 or "__" in field.slug_field:
        return None
    attr, slug = field.source_attrs[0], field.slug_field

    def get(serializer: Any, instance: Any) -> Any:
        related = getattr(instance, attr)
        return None if related is None else getattr(related, slug)

    return get


def _method_getter(field: drf_fields.SerializerMethodField) -> Getter:
    name = field.method_name

    def get(serializer: Any, instance: Any) -> Any:
        return getattr(serializer, name)(instance)

    return get


def _fallback_getter(field_name: str) -> Getter:
    """DRF's own path, through the fields of the serializer at hand."""

    def get(serializer: Any, instance: Any) -> Any:
        field = serializer.fields[field_name]
        attribute = field.get_attribute(instance)
        check = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
        return None if check is None else field.to_representation(attribute)

    return get


def _getter_for(field: drf_fields.Field, model: type | None) -> Getter | None:
    if isinstance(field, drf_fields.SerializerMethodField):
        return _method_getter(field)
    if isinstance(field, relations.PrimaryKeyRelatedField) and model is not None:
        return _pk_getter(field, model)
    if isinstance(field, relations.SlugRelatedField):
        return _slug_getter(field)
    if isinstance(field, drf_fields.ListField):
        return _list_getter(field)
    if isinstance(field, _VALUE_ONLY):
        return _plain_getter(field)
    return None


class FastReadMixin:
    """Put before ``serializers.ModelSerializer`` in the bases; see the module's docstring."""

    _read_plans: ClassVar[dict[type, tuple[tuple[str, Getter], ...]]] = {}
    _plan_lock: ClassVar[threading.Lock] = threading.Lock()

    def _read_plan(self) -> tuple[tuple[str, Getter], ...]:
        cls = type(self)
        plan = FastReadMixin._read_plans.get(cls)
        if plan is None:
            with FastReadMixin._plan_lock:
                plan = FastReadMixin._read_plans.get(cls)
                if plan is None:
                    model = getattr(getattr(self, "Meta", None), "model", None)
                    steps = []
                    for field in self._readable_fields:  # type: ignore[attr-defined]
                        getter = _getter_for(field, model) or _fallback_getter(field.field_name)
                        steps.append((field.field_name, getter))
                    plan = FastReadMixin._read_plans[cls] = tuple(steps)
        return plan

    def to_representation(self, instance: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, get in self._read_plan():
            try:
                out[name] = get(self, instance)
            except SkipField:
                continue
        return out
