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


SEP = "\x1f"  # unit separator: between the values of a row; in no code, date or key
ROW = "\x1e"  # record separator: between rows


def _split_rows(text: str | None, n: int, width: int) -> list[pl.Series]:
    """The one text of a source (rows of ``width`` values, each row led by a marker field) back
    into its columns of text (``""``: missing)."""
    if n == 0 or text is None:
        return [pl.Series([], dtype=pl.String) for _ in range(width)]
    frame = pl.read_csv(
        text.encode(),
        has_header=False,
        separator=SEP,
        eol_char=ROW,
        quote_char=None,
        infer_schema=False,
        empty_string_is_null=False,
        new_columns=["_", *(f"c{i}" for i in range(width))],
    )
    if frame.height != n or frame.width != width + 1:  # pragma: no cover - a value holding a separator
        raise ValueError("a value holds the column or row separator")
    return [frame.get_column(f"c{i}") for i in range(width)]


def _typed(series: pl.Series, field: Any) -> pl.Series:
    """The text values of a column as the engine wants them (missing as null)."""
    if isinstance(field, models.DateTimeField | models.DateField):
        return series.str.slice(0, 10).str.to_date(strict=False)
    if isinstance(field, models.BooleanField):
        return series.is_in(["1", "true", "t", "True"])
    if isinstance(field, models.JSONField):
        mapping = {}
        for text in series.unique().to_list():
            try:
                decoded = json.loads(text) if text else []
            except ValueError:
                decoded = text
            items = decoded if isinstance(decoded, list) else [decoded]
            mapping[text] = SEP.join(sorted(str(i) for i in items if i not in (None, "")))
        return series.replace_strict(mapping, default="", return_dtype=pl.String)
    if isinstance(field, models.IntegerField | models.AutoField | models.ForeignKey) or field is None:
        return series.cast(pl.Int64, strict=False) if field is not None else series
    if isinstance(field, models.FloatField | models.DecimalField):
        return series.cast(pl.Float64, strict=False)
    return series


def fetch_source(queryset: QuerySet[Any], fields: Mapping[str, str]) -> dict[str, Any]:
    """The columns of ``queryset``: column name -> values, in one query.

    The ORM compiles the query (joins, the scope's filters); the database then returns the whole
    result as one text (``group_concat`` / ``string_agg`` of each row's values joined by a unit
    separator, rows by a record separator), so a million rows cross into Python as one string
    instead of a million tuples, and polars' CSV reader splits it (on all cores) and ``_typed``
    types each column. One aggregate per source rather than one per column: SQLite's aggregate
    steps cost more than its string concatenation (1,000,000 cases: 1.6 s of SQL either way, but
    the split of one text 0.2 s against 1.5 s for ten). (Streaming the same texts as CSV with
    PostgreSQL's ``COPY`` was tried and was slower at 1,000,000 cases: psycopg hands ``COPY TO``
    over one row at a time.) Missing values come back as empty strings.
    ``tests/server/test_server_national_columns.py`` checks the columns against reading the same
    fields with the ORM, on SQLite and PostgreSQL.
    """
    from django.db.models import F

    model = queryset.model
    resolved = {col: _field(model, path) for col, path in fields.items()}
    aliases = {f"c{i}": F(path) for i, path in enumerate(fields.values())}
    inner = queryset.order_by().values(**aliases)
    sql, params = inner.query.sql_with_params()
    connection = connections[inner.db]
    if connection.vendor == "postgresql":
        agg, unit = "string_agg({}, chr(30))", "chr(31)"
    else:
        agg, unit = "group_concat({}, char(30))", "char(31)"
    row = f" || {unit} || ".join(
        ["'r'", *(f"coalesce(CAST(t.c{i} AS TEXT), '')" for i in range(len(fields)))]
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*), {agg.format(row)} FROM ({sql}) t", params)
        result = cursor.fetchone()
    n = int(result[0]) if result else 0
    texts = _split_rows(result[1] if result else None, n, len(fields))
    return {col: _typed(texts[i], resolved[col]) for i, col in enumerate(fields)}


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
            if apps.is_installed(f"vigil.server.{app}") or any(
                c.label == app for c in apps.get_app_configs()
            ):
                missing[name] = f"the {app} app stores no {source.orm_model} records"
            else:
                missing[name] = f"the {app} app is not installed"
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
        used = indicator_set.used_columns(name)  # the columns no indicator reads are not read
        data[name] = fetch_source(qs, {c: source.orm_fields[c] for c in used})
    return prepare(indicator_set, data, missing)
