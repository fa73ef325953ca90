"""The analyst's pages: the count table and the microdata download."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from vigil.server import scoping
from vigil.server.audit.log import record
from vigil.server.cases.models import ISIC_SECTIONS, Case, Person
from vigil.server.statistics import microdata as exports
from vigil.server.web.access import page_view, require_capability

# The names of the dimensions, in the order of the menus.
DIMENSION_NAMES = {
    "sector": _("Sector"),
    "trafficking_status": _("Trafficking status"),
    "status": _("Case status"),
    "screening_outcome": _("Latest screening outcome"),
    "gender": _("Gender"),
    "age_group": _("Age group"),
    "citizenship": _("Citizenship"),
    "opened_year": _("Year opened"),
}

NOT_RECORDED = _("Not recorded")
OUTCOMES = {
    "positive": _("Positive"),
    "negative": _("Negative"),
    "insufficient": _("Insufficient evidence"),
    "risk": _("Risk"),
    "": _("Not screened"),
}
AGE_GROUPS = {
    "0-17": _("0–17 years"),
    "18-24": _("18–24 years"),
    "25-34": _("25–34 years"),
    "35-49": _("35–49 years"),
    "50+": _("50 years and over"),
}


def _labels(dimension: str) -> dict[str, Any]:
    """Code -> words for one dimension ("" is the value not recorded)."""
    return {
        "status": dict(Case.Status.choices),
        "trafficking_status": dict(Case.TraffickingStatus.choices),
        "sector": dict(ISIC_SECTIONS),
        "gender": dict(Person.Gender.choices),
        "screening_outcome": OUTCOMES,
        "age_group": AGE_GROUPS,
    }.get(dimension, {})


def label(dimension: str, code: str) -> str:
    if code == "total":
        return str(_("Total"))
    words = _labels(dimension).get(code)
    if words is not None:
        return str(words)
    return code if code else str(NOT_RECORDED)


@page_view
def statistics_page(request: HttpRequest) -> HttpResponse:
    require_capability(request, "stats.view")
    row_dim = request.GET.get("rows", "sector")
    col_dim = request.GET.get("cols", "trafficking_status")
    if row_dim not in exports.DIMENSIONS or col_dim not in exports.DIMENSIONS:
        row_dim, col_dim = "sector", "trafficking_status"
    k = exports.min_k()
    table = exports.count_table(
        scoping.statistics_cases_for(request.user), row_dim, col_dim, k, secondary=True
    )
    record(
        "export",
        user=request.user,
        object_type="case",
        via="web",
        request=request,
        detail={"table": [row_dim, col_dim], "k": k, "hidden": table["hidden"]},
    )
    body = [
        (label(row_dim, code), code == "total", row)
        for code, row in zip(table["rows"], table["cells"], strict=True)
    ]
    return render(
        request,
        "statistics/statistics.html",
        {
            "table": table,
            "body": body,
            "head": [(label(col_dim, code), code == "total") for code in table["cols"]],
            "dimensions": [(d, name) for d, name in DIMENSION_NAMES.items() if d in exports.DIMENSIONS],
            "row_dim": row_dim,
            "col_dim": col_dim,
            "row_name": DIMENSION_NAMES.get(row_dim, row_dim),
            "col_name": DIMENSION_NAMES.get(col_dim, col_dim),
            "k": k,
        },
    )


@page_view
def statistics_csv(request: HttpRequest) -> HttpResponse:
    require_capability(request, "stats.view")
    return exports.download(request, scoping.statistics_cases_for(request.user), exports.min_k(), via="web")
