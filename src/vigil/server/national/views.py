"""Pages of the national picture.

* ``/national/`` the dashboard of the role (coordinator, supervisor, analyst: ``national.view``):
  each indicator's published total over time as a chart rendered on the server;
* ``/national/indicators/<id>/`` a pivot table (periods x a disaggregation), hidden cells shown as
  such with the reason; for roles that may see cases a cell links to its cases;
* ``/national/indicators/<id>/cases/`` the drill-down (``case.view``; never the analyst or the
  coordinator), audited;
* ``/national/flows/`` persons per country-to-country leg of the journeys (origin, transit,
  destination from the migration-stage timeline) as a map with arrows and a table, disclosure-checked
  (``national.view``; counts only, for every role);
* ``/national/releases/`` releases of annual figures (``national.release``);
* ``/national/alerts/`` the early-warning inbox (``alerts.manage``): acknowledge or dismiss;
* ``/public/statistics/`` (no login, rate-limited) only the released figures.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from vigil.server.audit.log import record
from vigil.server.national import services
from vigil.server.national.forms import DecisionForm, EstimateUploadForm, ReleaseForm
from vigil.server.national.models import Alert, Estimate, Release
from vigil.server.recruitment.public import public_page
from vigil.server.web.access import PermissionDeniedPage, page_view, require_capability
from vigil.stats import indicator_i18n
from vigil.stats.indicators import PERIODS, TOTAL, IndicatorResult

ROLE_TITLES = {
    "coordinator": gettext_lazy("National coordinator's dashboard"),
    "supervisor": gettext_lazy("Supervisor's dashboard"),
    "analyst": gettext_lazy("Analyst's dashboard"),
}
# what each role's dashboard leads with (the others follow)
ROLE_FIRST = {
    "coordinator": ("victims_identified", "victims_referred", "safe_at_followup", "agencies_sanctioned"),
    "supervisor": ("victims_identified", "victims_referred", "victims_accepted", "days_to_first_service"),
    "analyst": ("victims_identified", "victims_presumed", "victims_confirmed", "screenings_positive"),
}
REASONS = {
    "primary": gettext_lazy("fewer than k"),
    "secondary": gettext_lazy("would give a hidden cell back"),
    "denominator primary": gettext_lazy("denominator fewer than k"),
    "denominator secondary": gettext_lazy("denominator would give a hidden cell back"),
}


def _period(request: HttpRequest) -> str:
    value = request.GET.get("period", "year")
    return value if value in PERIODS else "year"


def _ordered(results: list[IndicatorResult], role: str) -> list[IndicatorResult]:
    first = ROLE_FIRST.get(role, ())
    return sorted(results, key=lambda r: first.index(r.id) if r.id in first else len(first))


@page_view
def dashboard(request: HttpRequest) -> HttpResponse:
    require_capability(request, "national.view")
    user: Any = request.user
    period = _period(request)
    results = _ordered(services.indicators_for(user, period=period), user.role)
    shown = [r for r in results if r.hidden is None]
    names = services.titles()
    cards = [
        {
            "result": r,
            "title": names.get(r.id, r.title),
            "chart": services.chart_data_uri(r, names.get(r.id, r.title)),
            "total": r.tables["total"].values[-1][0]
            if r.tables.get("total") and r.tables["total"].values
            else None,
        }
        for r in shown
    ]
    record(
        "dashboard",
        user=user,
        object_type="indicator",
        via="web",
        request=request,
        detail={"period": period, "indicators": [r.id for r in shown]},
    )
    return render(
        request,
        "national/dashboard.html",
        {
            "title": ROLE_TITLES.get(user.role, _("National picture")),
            "cards": cards,
            "hidden": [(names.get(r.id, r.title), r.hidden) for r in results if r.hidden is not None],
            "period": period,
            "periods": PERIODS,
            "k": services.min_k(),
            "may_release": user.can("national.release"),
            "may_alert": user.can("alerts.manage"),
            "set": services.indicator_set(),
            "report_years": [
                str(d.year) for d in services.cases_of(user).dates("opened_on", "year", order="DESC")
            ],
        },
    )


@page_view
def pivot(request: HttpRequest, indicator_id: str) -> HttpResponse:
    require_capability(request, "national.view")
    user: Any = request.user
    period = _period(request)
    iset = services.indicator_set()
    if indicator_id not in {i.id for i in iset.indicators}:
        raise Http404
    result = services.indicators_for(user, period=period, ids=[indicator_id])[0]
    if result.hidden is not None:
        raise Http404
    dims = list(result.tables)
    dim = request.GET.get("dim", dims[1] if len(dims) > 1 else TOTAL)
    if dim not in result.tables:
        dim = TOTAL
    table = result.tables[dim]
    title = services.titles().get(result.id, result.title)
    dim_names = indicator_i18n.dimension_titles(iset, get_language())
    hidden = {(s.row, s.col): s.reason for s in table.suppressed}
    drill = services.may_drill_down(user)
    body = []
    for row, line in zip(table.rows, table.values, strict=False):
        cells = []
        for col, value in zip(table.cols, line, strict=False):
            cells.append(
                {
                    "value": value,
                    "col": col,
                    "hidden": REASONS.get(hidden.get((row, col), ""), "") if value is None else "",
                    "row": row,
                }
            )
        body.append({"row": row, "cells": cells})
    record(
        "pivot",
        user=user,
        object_type="indicator",
        object_id=indicator_id,
        via="web",
        request=request,
        detail={"period": period, "dimension": dim, "hidden": len(table.suppressed)},
    )
    return render(
        request,
        "national/pivot.html",
        {
            "result": result,
            "title": title,
            "table": table,
            "col_labels": services.column_labels(dim, table.cols),
            "dim": dim,
            "dims": [(d, _("Total") if d == TOTAL else dim_names.get(d, result.tables[d].title))
                     for d in dims],
            "body": body,
            "period": period,
            "periods": PERIODS,
            "drill": drill,
            "chart": services.chart_data_uri(result, title),
            "k": table.k,
        },
    )


def _year(request: HttpRequest, years: list[str]) -> str:
    value = request.GET.get("year", "")
    return value if value in years else ""

REGION_REASONS = {
    "regions": gettext_lazy("country leg: a region leg in it is fewer than k"),
    "country": gettext_lazy("withheld: the country table has no published leg for it"),
}


@page_view
def flows_page(request: HttpRequest) -> HttpResponse:
    """Persons per leg of the journeys, every leg and total disclosure-checked; no case, no drill."""
    require_capability(request, "national.view")
    user: Any = request.user
    years = [str(d.year) for d in services.cases_of(user).dates("opened_on", "year", order="DESC")]
    year = _year(request, years)
    view = "regions" if request.GET.get("view") == "regions" else "countries"
    if view == "regions":
        result, by_region = services.region_flows_for(user, year=year or None)
    else:
        result, by_region = services.flows_for(user, year=year or None), None
    legs = [
        {
            "origin": services.country_name(leg.origin),
            "destination": services.country_name(leg.destination),
            "within": leg.origin == leg.destination,
            "persons": leg.persons,
            "reason": REASONS.get(leg.reason, ""),
        }
        for leg in result.legs
    ]
    region_legs = [
        {
            "origin": services.place_name(leg.origin),
            "destination": services.place_name(leg.destination),
            "within": leg.origin == leg.destination,
            "persons": leg.persons,
            "detailed": leg.detailed,
            "reason": REGION_REASONS.get(leg.reason) or REASONS.get(leg.reason, ""),
        }
        for leg in (by_region.legs if by_region is not None else [])
    ]
    countries = [
        {
            "name": services.country_name(code),
            "leaving": result.leaving[code],
            "arriving": result.arriving[code],
            "leaving_reason": REASONS.get(result.margin_reasons.get(f"leaving {code}", ""), ""),
            "arriving_reason": REASONS.get(result.margin_reasons.get(f"arriving {code}", ""), ""),
        }
        for code in result.countries
    ]
    record(
        "flows",
        user=user,
        object_type="indicator",
        via="web",
        request=request,
        detail={"year": year or "all", "view": view, "legs": len(result.published),
                "hidden": len(result.suppressed)},
    )
    return render(
        request,
        "national/flows.html",
        {
            "map": services.svg_data_uri(services.flow_map_svg(result)) if result.published else "",
            "legs": legs,
            "view": view,
            "region_legs": region_legs,
            "countries": countries,
            "hidden": len(result.suppressed) + len(result.margin_reasons),
            "total": result.total,
            "k": result.k,
            "years": years,
            "year": year,
        },
    )


@page_view
def drill(request: HttpRequest, indicator_id: str) -> HttpResponse:
    """The cases behind one cell: only for roles that may see cases, within their scope."""
    require_capability(request, "national.view")
    require_capability(request, "case.view")
    user: Any = request.user
    iset = services.indicator_set()
    if indicator_id not in {i.id for i in iset.indicators}:
        raise Http404
    period = _period(request)
    row = request.GET.get("row") or None
    dim = request.GET.get("dim") or None
    cat = request.GET.get("cat")
    if dim is not None and dim != TOTAL and dim not in iset.dimensions:
        raise Http404
    cases = list(
        services.drill_down(
            user, indicator_id, period=period, period_label=row, dimension=dim, category=cat
        ).order_by("-opened_on", "-id")[:500]
    )
    record(
        "list",
        user=user,
        object_type="case",
        via="web",
        request=request,
        detail={"indicator": indicator_id, "ids": [c.pk for c in cases]},
    )
    return render(
        request,
        "national/drill.html",
        {
            "indicator": iset.indicator(indicator_id),
            "cases": cases,
            "row": row,
            "dim": dim,
            "cat": cat,
            "dim_title": indicator_i18n.dimension_titles(iset, get_language()).get(dim, "")
            if dim and dim in iset.dimensions else "",
            "cat_label": indicator_i18n.category_label(iset, dim, cat or "", get_language())
            if dim and dim in iset.dimensions else "",
        },
    )


@page_view
def releases(request: HttpRequest) -> HttpResponse:
    require_capability(request, "national.view")
    user: Any = request.user
    form = ReleaseForm(request.POST or None)
    if request.method == "POST":
        require_capability(request, "national.release")
        if form.is_valid():
            rel = services.release(user, form.cleaned_data["year"], note=form.cleaned_data["note"])
            messages.success(request, _("The figures of %(year)s are released.") % {"year": rel.period})
            return redirect("national:releases")
    return render(
        request,
        "national/releases.html",
        {
            "form": form,
            "releases": Release.objects.select_related("released_by")[:50],
            "may_release": user.can("national.release"),
        },
    )


@page_view
def estimates(request: HttpRequest) -> HttpResponse:
    """The estimates the annual report and the release carry (MSE, surveys): the coordinator
    uploads the JSON of ``vigil estimate mse|survey --format json`` for a year, or deletes one."""
    from vigil.errors import InputError
    from vigil.server.national.report import MAX_ESTIMATES_BYTES

    require_capability(request, "national.view")
    user: Any = request.user
    may_edit = user.can("national.release")
    form = EstimateUploadForm(request.POST or None, request.FILES or None) if may_edit else None
    if request.method == "POST":
        require_capability(request, "national.release")
        if request.POST.get("delete"):
            wanted = request.POST["delete"]
            est = get_object_or_404(Estimate, pk=int(wanted) if wanted.isdigit() else 0)
            services.delete_estimate(user, est)
            messages.success(request, _("Estimate deleted."))
            return redirect("national:estimates")
        if form is not None and form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > MAX_ESTIMATES_BYTES:
                form.add_error("file", _("The file is larger than %(n)s bytes.") % {"n": MAX_ESTIMATES_BYTES})
            else:
                try:
                    text = upload.read().decode("utf-8")
                    rows = services.add_estimates(user, form.cleaned_data["year"], text, upload.name)
                except UnicodeDecodeError:
                    form.add_error("file", _("The file is not UTF-8 text."))
                except InputError as exc:
                    form.add_error("file", str(exc))
                else:
                    messages.success(request, _("%(n)s estimate(s) stored.") % {"n": len(rows)})
                    return redirect("national:estimates")
    rows = [(e, estimate_number(e.value), estimate_number(e.low), estimate_number(e.high))
            for e in Estimate.objects.all()[:500]]
    return render(request, "national/estimates.html", {"form": form, "rows": rows, "may_edit": may_edit})


def estimate_number(value: float | None) -> str:
    """An estimate in the page's number format: whole above 100, two decimals above 1, else four."""
    from django.utils.formats import number_format

    if value is None:
        return "—"
    places = 0 if abs(value) >= 100 else 2 if abs(value) >= 1 else 4
    return str(number_format(round(value, places), places, use_l10n=True, force_grouping=places == 0))


@page_view
def alert_inbox(request: HttpRequest) -> HttpResponse:
    require_capability(request, "alerts.manage")
    status = request.GET.get("status", Alert.Status.OPEN)
    qs = services.alerts_for(request.user)
    if status in Alert.Status.values:
        qs = qs.filter(status=status)
    rows = [(a, services.series_title(a), services.unit_name(a)) for a in qs[:200]]
    return render(
        request,
        "national/alerts.html",
        {
            "rows": rows,
            "status": status,
            "statuses": Alert.Status.choices,
            "may_dashboard": request.user.can("national.view"),  # type: ignore[union-attr]
        },
    )


@page_view
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_capability(request, "alerts.manage")
    alert = get_object_or_404(services.alerts_for(request.user), pk=pk)
    actions = services.actions_for(request.user, alert)
    if request.method == "POST" and request.POST.get("act") == "agency_review":
        if not actions.get("agency_review"):
            raise PermissionDeniedPage()
        services.open_agency_review(request.user, alert)
        messages.success(request, _("Review of the agency opened; the alert is acknowledged."))
        return redirect("recruitment:agency-detail", pk=int(alert.unit))
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.decide(
            request.user, alert, form.cleaned_data["status"], form.cleaned_data["reason"], request=request
        )
        messages.success(request, _("Decision recorded."))
        return redirect("national:alerts")
    record("view", user=request.user, obj=alert, via="web", request=request)
    return render(
        request,
        "national/alert_detail.html",
        {
            "alert": alert,
            "form": form,
            "series_title": services.series_title(alert),
            "unit_name": services.unit_name(alert),
            "evidence": services.evidence(request.user, alert),
            "actions": actions,
        },
    )


@public_page
def public_statistics(request: HttpRequest) -> HttpResponse:
    """Only what the coordinator released: the stored, disclosure-checked figures."""
    years = services.released_years()
    year = request.GET.get("year") or (years[0] if years else None)
    rel = services.latest_release(year) if year in years else None
    indicators = []
    dim_names = indicator_i18n.dimension_titles(services.indicator_set(), get_language())
    names = services.titles()
    if rel is not None:
        for fig in rel.figures:
            total = fig["tables"].get("total")
            rows = []
            for dim_id, table in fig["tables"].items():
                if dim_id == TOTAL:
                    continue
                hidden = {(s["row"], s["col"]) for s in table["suppressed"]}
                # the row of the released year (the first row; the second is the total)
                line = table["values"][0] if table["values"] else []
                labels = (services.column_labels(dim_id, table["cols"]) if dim_id in dim_names
                          else table["col_labels"])
                rows.append(
                    {
                        "title": dim_names.get(dim_id, table["title"]),
                        "cells": [
                            {"label": label, "value": v, "hidden": (table["rows"][0], col) in hidden}
                            for label, col, v in zip(labels, table["cols"], line, strict=False)
                        ],
                    }
                )
            indicators.append(
                {
                    "title": names.get(fig["id"], fig["title"]),
                    "kind": fig["kind"],
                    "total": total["values"][0][0] if total and total["values"] else None,
                    "tables": rows,
                }
            )
    return render(
        request,
        "national/public_statistics.html",
        {
            "release": rel,
            "years": years,
            "year": year,
            "indicators": indicators,
            "estimates": [
                {
                    **e,
                    "value_text": estimate_number(e.get("value")),
                    "low_text": estimate_number(e.get("low")),
                    "high_text": estimate_number(e.get("high")),
                }
                for e in (rel.estimates if rel is not None else [])
            ],
        },
    )


@page_view
def report_download(request: HttpRequest) -> HttpResponse:
    """The annual report of a year as PDF or XLSX: the figures of the page, disclosure-checked."""
    from vigil.errors import InputError
    from vigil.server.national import report

    require_capability(request, "national.view")
    user: Any = request.user
    year = request.GET.get("year", "")
    fmt = request.GET.get("format", "pdf")
    lang = (get_language() or "en").split("-")[0]
    if fmt not in report.FORMATS or not (len(year) == 4 and year.isdigit()):
        raise Http404
    try:
        data = report.build(user, year, lang=lang if lang in report.LANGS else "en")
        body = report.render(data, fmt)
    except InputError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    record(
        "report",
        user=user,
        object_type="indicator",
        via="web",
        request=request,
        detail={"year": year, "format": fmt, "indicators": len(data.sections)},
    )
    types = {
        "pdf": "application/pdf",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
    response = HttpResponse(body, content_type=types[fmt])
    response["Content-Disposition"] = f'attachment; filename="vigil-national-report-{year}.{fmt}"'
    return response
