"""The analyst's pages: the count table and the microdata download."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from vigil.server import scoping
from vigil.server.audit.log import record
from vigil.server.statistics import microdata as exports
from vigil.server.web.access import page_view, require_capability


@page_view
def statistics_page(request: HttpRequest) -> HttpResponse:
    require_capability(request, "stats.view")
    row_dim = request.GET.get("rows", "sector")
    col_dim = request.GET.get("cols", "trafficking_status")
    if row_dim not in exports.DIMENSIONS or col_dim not in exports.DIMENSIONS:
        row_dim, col_dim = "sector", "trafficking_status"
    k = exports.min_k()
    table = exports.count_table(scoping.statistics_cases_for(request.user), row_dim, col_dim, k)
    record(
        "export",
        user=request.user,
        object_type="case",
        via="web",
        request=request,
        detail={"table": [row_dim, col_dim], "k": k, "hidden": table["hidden"]},
    )
    body = [(label, row) for label, row in zip(table["rows"], table["cells"], strict=True)]
    return render(
        request,
        "statistics/statistics.html",
        {
            "table": table,
            "body": body,
            "dimensions": sorted(exports.DIMENSIONS),
            "row_dim": row_dim,
            "col_dim": col_dim,
            "k": k,
        },
    )


@page_view
def statistics_csv(request: HttpRequest) -> HttpResponse:
    require_capability(request, "stats.view")
    k = exports.min_k()
    text, n, n_suppressed = exports.microdata_csv(scoping.statistics_cases_for(request.user), k)
    record(
        "export",
        user=request.user,
        object_type="case",
        via="web",
        request=request,
        detail={"records": n, "suppressed": n_suppressed, "k": k, "columns": list(exports.COLUMNS)},
    )
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="vigil-cases-htcds.csv"'
    return response
