"""Statistics out of the case base, for analysts: HTCDS-aligned microdata and count tables.

Only cases with statistics consent in force (``scoping.statistics_cases_for``); no identity field,
no organisation, no case reference. Disclosure control is ``vigil.stats.disclosure``: records whose
quasi-identifier combination is shared by fewer than ``k`` records have those values replaced by
``suppressed``; count tables hide cells below ``k`` and the cells that would give them back.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from django.conf import settings

from vigil.io.spreadsheet import formula_safe
from vigil.server.cases.models import Case
from vigil.stats.disclosure import check_k_anonymity, suppress_table

SUPPRESSED = "suppressed"
COLUMNS = (
    "cas_Status",
    "cas_OpenedYear",
    "vic_TraffickingStatus",
    "vic_TypeOfExploitation",
    "vic_ForcedLabourIndustry",
    "prs_Gender",
    "prs_AgeGroup",
    "prs_Citizenship",
    "vigil_ScreeningOutcome",
)
QUASI_IDENTIFIERS = (
    "cas_OpenedYear",
    "vic_ForcedLabourIndustry",
    "prs_Gender",
    "prs_AgeGroup",
    "prs_Citizenship",
)

# Dimensions of count tables: name -> column of the microdata.
DIMENSIONS = {
    "status": "cas_Status",
    "opened_year": "cas_OpenedYear",
    "trafficking_status": "vic_TraffickingStatus",
    "sector": "vic_ForcedLabourIndustry",
    "gender": "prs_Gender",
    "age_group": "prs_AgeGroup",
    "citizenship": "prs_Citizenship",
    "screening_outcome": "vigil_ScreeningOutcome",
}


def min_k() -> int:
    return int(getattr(settings, "VIGIL_MIN_K", 11))


def age_group(birth_year: int | None, year: int) -> str:
    if birth_year is None:
        return ""
    age = year - birth_year
    for upper, label in ((17, "0-17"), (24, "18-24"), (34, "25-34"), (49, "35-49")):
        if age <= upper:
            return label
    return "50+"


def rows(cases: Iterable[Case]) -> list[dict[str, str]]:
    out = []
    for case in cases:
        person = case.person
        latest = max(case.screenings.all(), key=lambda s: (s.created_at, s.pk), default=None)
        out.append(
            {
                "cas_Status": case.status,
                "cas_OpenedYear": str(case.opened_on.year),
                "vic_TraffickingStatus": case.trafficking_status,
                "vic_TypeOfExploitation": ";".join(sorted(case.exploitation_types or [])),
                "vic_ForcedLabourIndustry": case.sector,
                "prs_Gender": person.gender,
                "prs_AgeGroup": age_group(person.birth_year, case.opened_on.year),
                "prs_Citizenship": person.citizenship,
                "vigil_ScreeningOutcome": latest.outcome if latest else "",
            }
        )
    return out


def anonymise(records: list[dict[str, str]], k: int) -> tuple[list[dict[str, str]], int]:
    """Replace the quasi-identifiers of records in combinations smaller than ``k``."""
    if not records:
        return records, 0
    report = check_k_anonymity(records, QUASI_IDENTIFIERS, k)
    if report.satisfied:
        return records, 0
    risky = {tuple(r[q] for q in QUASI_IDENTIFIERS) for r in report.offending.iter_rows(named=True)}
    n = 0
    for rec in records:
        if tuple(rec[q] for q in QUASI_IDENTIFIERS) in risky:
            for q in QUASI_IDENTIFIERS:
                rec[q] = SUPPRESSED
            n += 1
    return records, n


def microdata_csv(cases: Any, k: int) -> tuple[str, int, int]:
    """CSV text, number of records, number of records whose quasi-identifiers were suppressed."""
    records = rows(cases.select_related("person").prefetch_related("screenings"))
    records, n_suppressed = anonymise(records, k)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for rec in records:
        # Values are codes, never free text; still, neutralise spreadsheet formulas.
        writer.writerow({c: formula_safe(v) for c, v in rec.items()})
    return buf.getvalue(), len(records), n_suppressed


def count_table(cases: Any, row_dim: str, col_dim: str, k: int, *, secondary: bool = False) -> dict[str, Any]:
    """The table with its totals, hidden cells ``None``. ``secondary``: also say how many cells
    were hidden only to protect others (``secondary``), for the page to explain them."""
    records = rows(cases.select_related("person").prefetch_related("screenings"))
    rcol, ccol = DIMENSIONS[row_dim], DIMENSIONS[col_dim]
    row_keys = sorted({r[rcol] for r in records})
    col_keys = sorted({r[ccol] for r in records})
    matrix = [[0] * len(col_keys) for _ in row_keys]
    ri = {v: i for i, v in enumerate(row_keys)}
    ci = {v: i for i, v in enumerate(col_keys)}
    for r in records:
        matrix[ri[r[rcol]]][ci[r[ccol]]] += 1
    if not records:
        empty: dict[str, Any] = {"rows": [], "cols": [], "cells": [], "k": k, "hidden": 0, "n": 0}
        return {**empty, "secondary": 0} if secondary else empty
    table = suppress_table(matrix, k)
    out = {
        "rows": [*row_keys, "total"],
        "cols": [*col_keys, "total"],
        "cells": table.published(),
        "k": k,
        "hidden": int(table.suppressed.sum()),
        "n": None if table.suppressed[-1, -1] else len(records),
    }
    if secondary:
        out["secondary"] = int((table.suppressed & ~table.primary).sum())
    return out


def download(request: Any, cases: Any, k: int, *, via: str) -> Any:
    """The microdata CSV as an attachment, its export audited (records, suppressed, k, columns):
    the one response of the API's and the page's download."""
    from django.http import HttpResponse

    from vigil.server.audit.log import record

    text, n, n_suppressed = microdata_csv(cases, k)
    record(
        "export",
        user=request.user,
        object_type="case",
        via=via,
        request=request,
        detail={"records": n, "suppressed": n_suppressed, "k": k, "columns": list(COLUMNS)},
    )
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="vigil-cases-htcds.csv"'
    return response
