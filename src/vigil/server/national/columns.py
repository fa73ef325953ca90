"""The thin adapter between the ORM and the indicator engine (``vigil.stats.indicators``).

For each source of the indicator set it reads the columns the set names (``orm.fields``) in one
query (``values_list`` compiled by the ORM and run on a cursor, so a million rows are not turned
into model instances or converted value by value), and hands the engine plain columns. A source
whose app or model is not installed, or whose fields do not exist, is *missing*: the engine hides
its indicators and says why. No identity field is ever read: the set's fields are codes, dates
and keys (``check_fields`` refuses an encrypted field).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import polars as pl
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import connections, models
from django.db.models import QuerySet

from vigil.server.fields import EncryptedTextField
from vigil.stats.indicators import IndicatorSet, Prepared, prepare


def _model(label: str | None) -> type[models.Model] | None:
    if not label:
        return None
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def _field(model: type[models.Model], path: str) -> models.Field[Any, Any] | None:
    """The model field at the end of a ``a__b__c`` path, or None when it does not exist."""
    current: Any = model
    field: Any = None
    for part in path.split("__"):
        try:
            field = current._meta.get_field(part if part != "pk" else current._meta.pk.name)
        except FieldDoesNotExist:
            # ``case_id``: the column of a foreign key
            if part.endswith("_id"):
                try:
                    fk = current._meta.get_field(part[:-3])
                except FieldDoesNotExist:
                    return None
                return fk.target_field if fk.is_relation else None  # type: ignore[union-attr]
            return None
        if field.is_relation:
            current = field.related_model
    if isinstance(field, EncryptedTextField):
        raise ValueError(f"{model._meta.label}.{path} is an identity field: never read for statistics")
    return field  # type: ignore[no-any-return]


def _convert(values: list[Any], field: Any) -> Any:
    if isinstance(field, models.DateTimeField | models.DateField):
        if values and any(isinstance(v, str) for v in values[:50]):  # SQLite: ISO text
            return pl.Series(values, dtype=pl.String).str.slice(0, 10).str.to_date(strict=False)
        series = pl.Series(values, strict=False)
        return series.dt.date() if series.dtype == pl.Datetime else series
    if isinstance(field, models.JSONField):
        series = pl.Series([v if isinstance(v, str) or v is None else json.dumps(v) for v in values],
                           dtype=pl.String)
        mapping = {}
        for text in series.unique().drop_nulls().to_list():
            try:
                decoded = json.loads(text)
            except ValueError:
                decoded = text
            items = decoded if isinstance(decoded, list) else [decoded]
            mapping[text] = "\x1f".join(sorted(str(i) for i in items if i not in (None, "")))
        return series.replace_strict(mapping, default="", return_dtype=pl.String)
    if isinstance(field, models.BooleanField):
        return pl.Series([None if v is None else bool(v) for v in values], dtype=pl.Boolean)
    return values


def fetch_source(queryset: QuerySet[Any], fields: Mapping[str, str]) -> dict[str, Any]:
    """The columns of ``queryset`` (one query): column name -> values."""
    model = queryset.model
    resolved = {col: _field(model, path) for col, path in fields.items()}
    qs = queryset.order_by().values_list(*fields.values())
    sql, params = qs.query.sql_with_params()
    with connections[qs.db].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in fields]
    return {col: _convert(list(vals), resolved[col]) for col, vals in zip(fields, columns, strict=True)}


def load(
    indicator_set: IndicatorSet,
    cases: QuerySet[Any],
    *,
    restrict_children: bool = True,
) -> Prepared:
    """Read every source of the set (the cases from ``cases``; the records linked to cases only
    for those cases when ``restrict_children``) and code them for the engine."""
    data: dict[str, dict[str, Any]] = {}
    missing: dict[str, str] = {}
    for name, source in indicator_set.sources.items():
        model = _model(source.orm_model)
        if model is None:
            app = (source.orm_model or "?").split(".")[0]
            missing[name] = f"the {app} app is not installed (no {source.orm_model})"
            continue
        absent = [path for path in source.orm_fields.values() if _field(model, path) is None]
        if absent:
            missing[name] = f"{source.orm_model} has no field {', '.join(absent)}"
            continue
        if name == "cases":
            qs: QuerySet[Any] = cases
        else:
            qs = model._default_manager.all()
            if source.link and restrict_children:
                qs = qs.filter(**{f"{source.link.removesuffix('_id')}__in": cases.values("pk")})
        data[name] = fetch_source(qs, source.orm_fields)
    return prepare(indicator_set, data, missing)
