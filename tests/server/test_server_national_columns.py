"""The columnar loader of the indicators (``national.columns.fetch_source``: each column as one
``group_concat`` / ``string_agg`` text split by polars) gives
exactly the columns of reading the same fields with the ORM (``values_list``, one Python value at
a time), source by source, on the demo world and on records with the awkward values: nulls,
empty texts, empty and multi-valued JSON lists, booleans, dates and date-times."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest
from django.apps import apps
from django.db import models

from vigil.server.cases.models import Case, MigrationStage, Screening
from vigil.server.followups.models import FollowUp
from vigil.server.national import columns
from vigil.server.national.services import indicator_set
from vigil.server.referrals.models import Referral

pytestmark = pytest.mark.django_db


def _orm_value(value: Any, field: Any) -> Any:
    """What the engine wants for one value, decided in Python from the ORM's value."""
    if isinstance(field, models.DateTimeField):
        return None if value is None else value.astimezone(dt.UTC).date()
    if isinstance(field, models.DateField):
        return value
    if isinstance(field, models.BooleanField):
        return bool(value)
    if isinstance(field, models.JSONField):
        items = value if isinstance(value, list) else ([] if value in (None, "") else [value])
        return "\x1f".join(sorted(str(i) for i in items if i not in (None, "")))
    if isinstance(field, models.IntegerField | models.AutoField | models.ForeignKey):
        return value
    if isinstance(field, models.FloatField | models.DecimalField):
        return None if value is None else float(value)
    return "" if value is None else str(value)


def orm_columns(queryset: Any, fields: dict[str, str]) -> dict[str, list[Any]]:
    model = queryset.model
    resolved = {col: columns._field(model, path) for col, path in fields.items()}
    rows = list(queryset.order_by().values_list(*fields.values()))
    return {
        col: [_orm_value(row[i], resolved[col]) for row in rows] for i, col in enumerate(fields)
    }


def _as_sorted_rows(cols: dict[str, list[Any]]) -> list[tuple[Any, ...]]:
    names = list(cols)
    return sorted(zip(*(cols[n] for n in names), strict=True), key=repr)


def _check_every_source() -> int:
    checked = 0
    for name, source in indicator_set().sources.items():
        try:
            model = apps.get_model(source.orm_model)
        except (LookupError, ValueError):
            continue
        if any(columns._field(model, p) is None for p in source.orm_fields.values()):
            continue
        qs = model._default_manager.all()
        fast = columns.fetch_source(qs, source.orm_fields)
        fast_lists = {c: (s.to_list() if isinstance(s, pl.Series) else list(s)) for c, s in fast.items()}
        reference = orm_columns(qs, dict(source.orm_fields))
        assert {c: len(v) for c, v in fast_lists.items()} == {c: len(v) for c, v in reference.items()}, name
        assert _as_sorted_rows(fast_lists) == _as_sorted_rows(reference), name
        checked += 1
    return checked


def test_every_source_on_the_demo_equals_the_orm_reading():
    from vigil.server.cases.demo import load_demo

    load_demo()
    assert Case.objects.count() > 0 and Referral.objects.count() > 0
    assert _check_every_source() >= 8  # cases, screenings, referrals, follow-ups, stages, agencies...


def test_awkward_values_equal_the_orm_reading():
    from vigil.server.cases.demo import load_demo

    load_demo()
    case = Case.objects.first()
    assert case is not None
    # a multi-valued and an empty list of forms, empty texts, a null birth year
    Case.objects.filter(pk=case.pk).update(
        exploitation_types=["SexualExploitation", "ForcedLabour"], sector=""
    )
    other = Case.objects.exclude(pk=case.pk).first()
    assert other is not None
    Case.objects.filter(pk=other.pk).update(exploitation_types=[], trafficking_status="")
    type(case.person).objects.filter(pk=other.person_id).update(birth_year=None, gender="")
    FollowUp.objects.create(case=case, kind="check_in", due_on=dt.date(2025, 2, 3), retrafficking_risk=True,
                            done_on=dt.date(2025, 2, 4), outcome="safe")
    FollowUp.objects.create(case=other, kind="check_in", due_on=dt.date(2025, 2, 3))  # no done_on, outcome ""
    Screening.objects.create(case=case, ruleset="ilo-ec-2009-adult-labour", ruleset_version="t", answers={},
                             determination={}, outcome="positive")
    referral = Referral.objects.first()
    assert referral is not None
    Referral.objects.filter(pk=referral.pk).update(decided_at=None)
    # texts with quotes, commas, a tab and line breaks: one source's rows travel as one text
    MigrationStage.objects.create(case=case, stage="work", country="QAT",
                                  place='"Al Wakra" \tzone 5\r\nnorth, "A')
    assert _check_every_source() >= 8
    # and the columns are the engine's types, not texts
    fast = columns.fetch_source(Case.objects.filter(pk=case.pk), {"forms": "exploitation_types",
                                                                  "opened_on": "opened_on",
                                                                  "birth_year": "person__birth_year"})
    assert fast["forms"].to_list() == ["ForcedLabour\x1fSexualExploitation"]
    assert fast["opened_on"].dtype == pl.Date and fast["birth_year"].dtype == pl.Int64


def test_no_rows_gives_empty_columns():
    fast = columns.fetch_source(Case.objects.filter(pk=-1),
                                {"id": "id", "opened_on": "opened_on", "sex": "person__gender"})
    assert {c: len(s) for c, s in fast.items()} == {"id": 0, "opened_on": 0, "sex": 0}



def test_load_reads_only_the_columns_an_indicator_names():
    from vigil.server.cases.demo import load_demo

    load_demo()
    iset = indicator_set()
    prepared = columns.load(iset, Case.objects.all())
    for name, frame in prepared.frames.items():
        read = set(frame.columns) - {d.name for d in iset.sources[name].derived}
        assert read == set(iset.used_columns(name)), name
    assert "status" not in prepared.frames["cases"].columns  # no indicator reads the cases' status
    assert "country" not in prepared.frames["agencies"].columns  # no indicator reads an agency's country
    assert prepared.frames["cases"].n == Case.objects.count()
