"""What the pages and the API of the national picture share: which cases a role's figures are made
of, the indicators (``vigil.stats.indicators`` over ``columns.load``), the charts (Altair specs
rendered to SVG on the server by vl-convert), releases of figures, and early-warning alerts
(``vigil.stats.farrington`` over weekly counts by unit) with their inbox and e-mails.

Who sees what:

* the coordinator and the analyst see indicators over the cases with statistics consent in force
  (``scoping.statistics_cases_for``), never a case: no drill-down;
* a supervisor sees indicators over the cases of their scope (``scoping.cases_for``) and may drill
  down from a cell to the list of those cases (``case.view``), each list audited;
* the public sees only released figures, which were disclosure-checked when released.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext

from vigil.server import scoping
from vigil.server.accounts.models import CAPABILITIES, User
from vigil.server.audit.log import record
from vigil.server.cases.models import Case
from vigil.server.national import columns, streams
from vigil.server.national.models import Alert, Estimate, Release
from vigil.stats import countries, farrington, flows, geo, indicator_i18n, subdivisions
from vigil.stats.indicators import IndicatorResult, IndicatorSet, Prepared, compute, load_set, members

SET_ID = "nap-2026"


def min_k() -> int:
    return int(getattr(settings, "VIGIL_MIN_K", 11))


@cache
def indicator_set() -> IndicatorSet:
    return load_set(getattr(settings, "VIGIL_INDICATOR_SET", SET_ID))


def _lang(lang: str | None) -> str:
    from django.utils.translation import get_language

    return (lang if lang is not None else get_language() or "en").split("-")[0]


def country_name(code: str, lang: str | None = None) -> str:
    """``Name (CODE)`` in ``lang`` (default: the active language); the code alone when unknown."""
    name = countries.name(code, _lang(lang))
    return f"{name} ({code})" if name != code else code


def place_name(code: str, lang: str | None = None) -> str:
    """A place of the regions view: ``Region, Country (TH-10)`` for an ISO 3166-2 code, the
    country's name for an alpha-3 code."""
    if len(code) == 3:
        return country_name(code, lang)
    name = subdivisions.name(code, _lang(lang))
    if name == code:
        return code
    return f"{name}, {countries.name(flows.place_country(code), _lang(lang))} ({code})"


def column_labels(dimension: str, cols: list[str], lang: str | None = None) -> list[str]:
    """The labels of a table's columns in ``lang`` (default: the active language)."""
    return indicator_i18n.column_labels(indicator_set(), dimension, cols, _lang(lang))


def titles(lang: str | None = None) -> dict[str, str]:
    """Each indicator's title in ``lang`` (default: the active language; English where none)."""
    from django.utils.translation import get_language

    return indicator_i18n.titles(indicator_set(), lang if lang is not None else get_language())


def may_drill_down(user: Any) -> bool:
    """Only roles that may see cases; never the analyst or the coordinator (aggregates only)."""
    return bool(user.can("national.view") and user.can("case.view"))


def cases_of(user: Any) -> QuerySet[Case]:
    """The cases a user's figures are made of."""
    if not user.can("national.view"):
        return Case.objects.none()
    if may_drill_down(user):
        return scoping.cases_for(user)
    return scoping.statistics_cases_for(user)


def prepared_for(user: Any) -> Prepared:
    return columns.load(indicator_set(), cases_of(user))


def indicators_for(
    user: Any, *, period: str = "year", k: int | None = None, ids: Sequence[str] | None = None
) -> list[IndicatorResult]:
    """The indicators over the user's cases, from the cache of their scope when the data have not
    changed since (``national.cache``: keyed by the SQL of ``cases_of(user)`` and the role)."""
    from vigil.server.national import cache

    k = k or min_k()
    scope = cache.scope_key(str(getattr(user, "role", "")), cases_of(user))
    return cache.cached(
        scope,
        ("indicators", indicator_set().id, indicator_set().version, period, k,
         tuple(ids) if ids is not None else None),
        lambda: compute(indicator_set(), prepared_for(user), period=period, k=k, indicators=ids),
    )


def drill_down(
    user: Any,
    indicator_id: str,
    *,
    period: str,
    period_label: str | None,
    dimension: str | None,
    category: str | None,
) -> QuerySet[Case]:
    """The cases behind one cell, within the user's scope; audited as a list of cases."""
    if not may_drill_down(user):
        return Case.objects.none()
    keys = members(
        indicator_set(),
        prepared_for(user),
        indicator_id,
        period=period,
        period_label=period_label,
        dimension=dimension,
        category=category,
    )
    return scoping.cases_for(user).filter(pk__in=keys)


# --- charts --------------------------------------------------------------------------------------


def chart_points(result: IndicatorResult) -> list[dict[str, Any]]:
    """The points of an indicator's chart: the published total per period, nothing hidden."""
    table = result.tables.get("total")
    if table is None:
        return []
    return [
        {"period": row, "value": line[0]}
        for row, line in zip(table.rows[:-1], table.values, strict=False)
        if line and line[0] is not None
    ]


def chart_spec(result: IndicatorResult, title: str = "") -> dict[str, Any]:
    import altair as alt

    points = chart_points(result)
    axis = {"count": "count", "percent": "per cent", "median_days": "days (median)"}[result.kind]
    chart = (
        alt.Chart(alt.Data(values=points), title=title or result.title)
        .mark_line(point=True)
        .encode(x=alt.X("period:O", title=None), y=alt.Y("value:Q", title=axis))
        .properties(width=320, height=140)
    )
    return chart.to_dict()  # type: ignore[no-any-return]


def chart_svg(result: IndicatorResult, title: str = "") -> str:
    import vl_convert as vlc

    return str(vlc.vegalite_to_svg(chart_spec(result, title)))


def chart_data_uri(result: IndicatorResult, title: str = "") -> str:
    """An ``<img src>`` for the chart: no inline script or style, nothing new for the CSP."""
    svg = chart_svg(result, title).encode("utf-8")
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


# --- releases ------------------------------------------------------------------------------------


def published(results: list[IndicatorResult]) -> list[dict[str, Any]]:
    """What a release stores: the disclosure-checked tables of the indicators that are shown."""
    return [r.to_dict() for r in results if r.hidden is None]


@transaction.atomic
def release(user: User, year: str, *, note: str = "", k: int | None = None, via: str = "web") -> Release:
    """Release the annual figures of ``year`` (the coordinator's figures: statistics consent)."""
    if not user.can("national.release"):
        raise PermissionError("national.release")
    k = max(k or min_k(), min_k())
    results = compute(indicator_set(), prepared_for(user), period="year", k=k, periods=[year])
    iset = indicator_set()
    rel = Release.objects.create(
        indicator_set=iset.id,
        set_version=iset.version,
        period=year,
        k=k,
        figures=published(results),
        estimates=[e.as_published() for e in Estimate.objects.filter(year=year).order_by("id")],
        note=note,
        released_by=user,
    )
    hidden = sum(len(t["suppressed"]) for r in rel.figures for t in r["tables"].values())
    record(
        "release",
        user=user,
        obj=rel,
        via=via,
        detail={"period": year, "k": k, "indicators": len(rel.figures), "cells_hidden": hidden},
    )
    return rel


@transaction.atomic
def add_estimates(user: Any, year: str, text: str, name: str, *, via: str = "web") -> list[Estimate]:
    """Store the estimates of one JSON file of ``vigil estimate mse|survey --format json`` for
    ``year``: all of the file or none of it (an error names the file and the place); audited."""
    from vigil.errors import InputError
    from vigil.server.national import report

    if not user.can("national.release"):
        raise PermissionError("national.release")
    if not (len(year) == 4 and year.isdigit()):
        raise InputError(f"a year is four digits, found {year[:10]!r}", "year")
    parsed = report.parse_estimates(text, name[:120])
    rows = Estimate.objects.bulk_create(
        Estimate(year=year, kind=e.kind, source=e.source[:200], label=e.label, value=e.value, low=e.low,
                 high=e.high, note=e.note, added_by=user)
        for e in parsed
    )
    for row in rows:
        record("create", user=user, obj=row, via=via, detail={"year": year, "kind": row.kind})
    return rows


def delete_estimate(user: Any, estimate: Estimate, *, via: str = "web") -> None:
    if not user.can("national.release"):
        raise PermissionError("national.release")
    pk = estimate.pk
    estimate.delete()
    record("delete", user=user, object_type="estimate", object_id=pk, via=via, detail={"year": estimate.year})


def released_years() -> list[str]:
    return sorted(set(Release.objects.values_list("period", flat=True)), reverse=True)


def latest_release(year: str | None = None) -> Release | None:
    qs = Release.objects.all()
    if year:
        qs = qs.filter(period=year)
    return qs.order_by("-released_at", "-id").first()


# --- early warning -------------------------------------------------------------------------------


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def weekly_counts(
    cases: QuerySet[Case], unit_field: str = "sector", *, end: dt.date | None = None, years: int = 4
) -> tuple[list[str], list[dt.date], np.ndarray]:
    """New cases per unit and ISO week (Mondays) over ``years`` years up to the week of ``end``,
    every unit with the same weeks (zeros where none); one query."""
    first, last = _weeks_span(end, years)
    rows = cases.filter(opened_on__gte=first, opened_on__lt=last + dt.timedelta(days=7)).order_by()
    return weekly_grid(rows.values_list(unit_field, "opened_on"), first, last)


def _weeks_span(end: dt.date | None, years: int) -> tuple[dt.date, dt.date]:
    last = _monday(end or timezone.localdate())
    return last - dt.timedelta(weeks=52 * years + 2), last


def weekly_grid(
    pairs: Any, first: dt.date, last: dt.date
) -> tuple[list[str], list[dt.date], np.ndarray]:
    """(unit, day) pairs counted per unit and week from the Monday ``first`` to the Monday
    ``last``: every unit with the same weeks, zeros where none."""
    pairs = [(u, d) for u, d in pairs if u not in (None, "") and first <= d < last + dt.timedelta(days=7)]
    units = sorted({str(u) for u, _d in pairs})
    dates = [first + dt.timedelta(weeks=i) for i in range((last - first).days // 7 + 1)]
    counts = np.zeros((len(units), len(dates)))
    index = {u: i for i, u in enumerate(units)}
    for unit, day in pairs:
        counts[index[str(unit)], (day - first).days // 7] += 1
    return units, dates, counts


def stream_counts(
    stream: streams.Stream, *, end: dt.date | None = None, years: int = 4
) -> tuple[list[str], list[dt.date], np.ndarray]:
    """The weekly counts of one stream (``vigil.server.national.streams``)."""
    first, last = _weeks_span(end, years)
    return weekly_grid(stream.pairs(first, last + dt.timedelta(days=7)), first, last)


def detect(
    units: Sequence[str],
    dates: Sequence[dt.date],
    counts: np.ndarray,
    *,
    evaluate_last: int = 1,
    control: farrington.FarringtonControl | None = None,
) -> list[farrington.Detection]:
    control = control or farrington.FarringtonControl()
    return farrington.detect(list(units), list(dates), counts, control, evaluate_last=evaluate_last)


def responsible_users(series: str = "new cases", unit_type: str = "sector") -> QuerySet[User]:
    """The active users whose inbox an alert of this stream reaches (``streams.responsible_for``):
    coordinators and supervisors for every stream, regulators for the agency streams, inspection
    leads for the workplace streams."""
    stream = streams.find(series, unit_type)
    audience = stream.audience if stream is not None else "national.view"
    roles = [
        role
        for role, caps in CAPABILITIES.items()
        if "alerts.manage" in caps and ("national.view" in caps or audience in caps)
    ]
    return User.objects.filter(is_active=True, role__in=roles)


def raise_alerts(
    detections: Sequence[farrington.Detection],
    *,
    series: str = "new cases",
    unit_type: str = "sector",
    control: farrington.FarringtonControl | None = None,
    via: str = "job",
) -> list[Alert]:
    """Store an alert for each alarm (once per unit and week), tell the responsible users by e-mail
    (no case data in the message: the unit, the week and the three numbers), audit each."""
    control = control or farrington.FarringtonControl()
    method = {
        "method": "farrington",
        "alpha": control.alpha,
        "years_back": control.years_back,
        "window": control.window,
        "threshold": control.threshold_method,
    }
    created: list[Alert] = []
    for det in detections:
        if not det.alarm or det.expected is None or det.upper is None:
            continue
        alert, new = Alert.objects.get_or_create(
            series=series,
            unit_type=unit_type,
            unit=det.unit,
            week=det.period,
            defaults={
                "observed": det.observed,
                "expected": round(det.expected, 2),
                "upper": round(det.upper, 2),
                "method": method,
            },
        )
        if not new:
            continue
        record(
            "alert",
            obj=alert,
            via=via,
            detail={"unit_type": unit_type, "observed": det.observed, "upper": alert.upper},
        )
        created.append(alert)
    if created:
        recipients = sorted({u.email for u in responsible_users(series, unit_type) if u.email})
        if recipients:
            subject, body = alert_mail(created)
            send_mail(subject, body, None, recipients)
            Alert.objects.filter(pk__in=[a.pk for a in created]).update(emailed_to=len(recipients))
    return created


def alert_mail(created: Sequence[Alert]) -> tuple[str, str]:
    """(subject, body) of the e-mail on new alerts, in the deployment's language
    (``VIGIL_LANGUAGE``): the recipients' own choice of language is a cookie of their browser,
    not known to a job. Numbers and the week stay as figures (ISO date)."""
    with translation.override(settings.LANGUAGE_CODE):
        lines = [
            "- "
            + gettext(
                "%(series)s, %(unit_type)s %(unit)s, week of %(week)s: observed %(observed)s, "
                "expected %(expected)s, threshold %(upper)s"
            )
            % {
                "series": a.series,
                "unit_type": a.unit_type,
                "unit": a.unit,
                "week": a.week.isoformat() if hasattr(a.week, "isoformat") else a.week,
                "observed": a.observed,
                "expected": f"{a.expected:g}",
                "upper": f"{a.upper:g}",
            }
            for a in created
        ]
        subject = ngettext(
            "Vigil: %(n)d new early-warning alert", "Vigil: %(n)d new early-warning alerts", len(created)
        ) % {"n": len(created)}
        body = (
            gettext("Counts above the expected threshold (Farrington flexible):")
            + "\n"
            + "\n".join(lines)
            + "\n\n"
            + gettext("Open the alert inbox in Vigil to acknowledge or dismiss them.")
        )
    return subject, body


def scan(*, end: dt.date | None = None, evaluate_last: int = 1, via: str = "job") -> list[Alert]:
    """Every installed stream (new cases and positive screenings by sector, complaints, fee
    breaches and offers with warning signs by agency, forced-labour findings by employer): weekly
    counts only, the last week(s) evaluated, an alert for each alarm."""
    created: list[Alert] = []
    for stream in streams.installed():
        units, dates, counts = stream_counts(stream, end=end)
        if not units:
            continue
        detections = detect(units, dates, counts, evaluate_last=evaluate_last)
        created += raise_alerts(detections, series=stream.series, unit_type=stream.unit_type, via=via)
    return created


def alerts_for(user: Any) -> QuerySet[Alert]:
    """The alerts of the streams a user is responsible for (``streams.responsible_for``)."""
    if not user.can("alerts.manage"):
        return Alert.objects.none()
    if user.can("national.view"):
        return Alert.objects.all()
    mine = [(s.series, s.unit_type) for s in streams.responsible_for(user)]
    if not mine:
        return Alert.objects.none()
    q = Q()
    for series, unit_type in mine:
        q |= Q(series=series, unit_type=unit_type)
    return Alert.objects.filter(q)


def unit_name(alert: Alert) -> str:
    """The alert's unit in words: a sector's name, an agency's or a workplace's name."""
    stream = streams.find(alert.series, alert.unit_type)
    return stream.unit_name(alert.unit) if stream is not None and stream.installed() else alert.unit


def series_title(alert: Alert) -> str:
    stream = streams.find(alert.series, alert.unit_type)
    return str(stream.title) if stream is not None else alert.series


def evidence(user: Any, alert: Alert) -> list[streams.Evidence] | None:
    """The records behind the alert's count (its unit and week), for a user who may see them;
    None for one who may not (the coordinator: aggregates only). Each list is audited."""
    stream = streams.find(alert.series, alert.unit_type)
    if stream is None or not stream.installed():
        return None
    first = alert.week
    found = stream.evidence(user, alert.unit, first, first + dt.timedelta(days=7))
    if found is not None:
        record("alert_evidence", user=user, obj=alert, detail={"records": len(found)})
    return found


@transaction.atomic
def decide(
    user: Any, alert: Alert, status: str, reason: str, *, via: str = "web", request: Any = None
) -> Alert:
    """Acknowledge, or dismiss with a reason; audited."""
    if status not in (Alert.Status.ACKNOWLEDGED, Alert.Status.DISMISSED):
        raise ValueError("status")
    reason = reason.strip()
    if status == Alert.Status.DISMISSED and not reason:
        raise ValueError("reason")
    before = alert.status
    alert.status, alert.reason = status, reason[:500]
    alert.decided_by, alert.decided_at = user, timezone.now()
    alert.save(update_fields=["status", "reason", "decided_by", "decided_at"])
    record(
        "alert_" + status,
        user=user,
        obj=alert,
        via=via,
        request=request,
        detail={"from": before, "to": status},
    )
    return alert


def note_action(user: Any, alert_pk: Any, kind: str, obj: Any, *, via: str = "web") -> Alert | None:
    """Note on an alert what was opened on it (``visit`` or ``agency_review``, with its id) and
    acknowledge it if it was open; audited. An alert the user is not responsible for, or gone, is
    left alone (None)."""
    try:
        pk = int(alert_pk)
    except (TypeError, ValueError):
        return None
    with transaction.atomic():
        alert = alerts_for(user).select_for_update().filter(pk=pk).first()
        if alert is None:
            return None
        alert.acted, alert.acted_ref = kind, obj.pk
        fields = ["acted", "acted_ref"]
        if alert.status == Alert.Status.OPEN:
            alert.status = Alert.Status.ACKNOWLEDGED
            alert.decided_by, alert.decided_at = user, timezone.now()
            fields += ["status", "decided_by", "decided_at"]
        alert.save(update_fields=fields)
        record("alert_acted", user=user, obj=alert, via=via, detail={"kind": kind, "id": obj.pk})
    return alert


def actions_for(user: Any, alert: Alert) -> dict[str, Any]:
    """What the user may open on this alert: a visit to the workplace (an employer alert, for
    ``inspection.plan``), the workplace register of the sector (a sector alert), a review of the
    agency (an agency alert, for ``recruitment.manage``)."""
    from django.apps import apps
    from django.urls import reverse

    out: dict[str, Any] = {}
    unit = int(alert.unit) if alert.unit.isdigit() else None
    plans = user.can("inspection.plan") and apps.is_installed("vigil.server.inspections")
    regulates = user.can("recruitment.manage") and apps.is_installed("vigil.server.recruitment")
    mine = scoping.workplaces_for(user) if plans else None
    if alert.unit_type == "employer" and mine is not None and unit and mine.filter(pk=unit).exists():
        out["visit_url"] = reverse("inspections:plan-visit", args=[unit]) + f"?alert={alert.pk}"
    if alert.unit_type == "sector" and plans:
        out["workplaces_url"] = reverse("inspections:workplace-list") + f"?sector={alert.unit}"
    registry = scoping.agencies_for(user) if regulates else None
    if alert.unit_type == "agency" and registry is not None and unit and registry.filter(pk=unit).exists():
        out["agency_review"] = True
    return out


def open_agency_review(user: Any, alert: Alert, *, via: str = "web") -> Any:
    """Open (or find the open) review of the alert's agency and note it on the alert."""
    from vigil.server.recruitment import services as recruitment

    agency = scoping.agencies_for(user).get(pk=int(alert.unit))
    review = recruitment.open_review(agency, user=user, alert_id=alert.pk, via=via)
    note_action(user, alert.pk, "agency_review", review, via=via)
    return review


# --- flows ---------------------------------------------------------------------------------------


def flows_for(user: Any, *, year: str | None = None, k: int | None = None) -> flows.FlowResult:
    """Persons per country-to-country leg of the journeys of the user's cases (opened in ``year``
    when given), disclosure-checked: one query over the migration stages, counts only."""
    from vigil.server.cases.models import MigrationStage

    cases = cases_of(user)
    if year:
        cases = cases.filter(opened_on__year=int(year))
    rows = (
        MigrationStage.objects.filter(case__in=cases.values("pk"), stage__in=flows.FLOW_STAGES)
        .exclude(country="")
        .order_by()
        .values("id", "case_id", "stage", "country", "start_date")
    )
    return flows.compute(flows.journeys(rows), k=max(k or min_k(), min_k()))


def region_flows_for(
    user: Any, *, year: str | None = None, k: int | None = None
) -> tuple[flows.FlowResult, flows.RegionFlowResult]:
    """The country flows of :func:`flows_for` and their break-down into region legs
    (``flows.compute_regions``: only where the country leg is published and every region leg
    in it reaches k), from one query over the migration stages."""
    from vigil.server.cases.models import MigrationStage

    cases = cases_of(user)
    if year:
        cases = cases.filter(opened_on__year=int(year))
    rows = list(
        MigrationStage.objects.filter(case__in=cases.values("pk"), stage__in=flows.FLOW_STAGES)
        .exclude(country="")
        .order_by()
        .values("id", "case_id", "stage", "country", "region", "start_date")
    )
    by_country = flows.compute(flows.journeys(rows), k=max(k or min_k(), min_k()))
    return by_country, flows.compute_regions(flows.region_journeys(rows), by_country)


def _bearing(a: tuple[float, float], b: tuple[float, float]) -> float:
    """The angle of a point mark pointing from a to b on an equirectangular map (0 = up)."""
    import math

    return (math.degrees(math.atan2(b[0] - a[0], b[1] - a[1])) + 360) % 360


WIDTH, HEIGHT = 640, 360


def flow_map_spec(result: flows.FlowResult, title: str = "", lang: str | None = None) -> dict[str, Any]:
    """The world (shipped Natural Earth 1:110m boundaries) with an arrow for each published leg,
    a dot for published journeys within one country, the countries with published figures
    shaded. Hidden legs are not drawn: they are listed beside the map."""
    import altair as alt

    world = geo.countries()
    shown = {c for c, v in result.leaving.items() if v} | {c for c, v in result.arriving.items() if v}
    features = [
        {**f, "properties": {**f["properties"], "shown": f["properties"]["iso"] in shown}}
        for f in geo.features()
    ]
    lines, heads, dots = [], [], []
    for leg in result.published:
        if leg.origin not in world or leg.destination not in world:
            continue
        a, b = world[leg.origin].point, world[leg.destination].point
        if leg.origin == leg.destination:
            dots.append({"lon": a[0], "lat": a[1], "persons": leg.persons,
                         "leg": country_name(leg.origin, lang)})
            continue
        lines.append({"lon": a[0], "lat": a[1], "lon2": b[0], "lat2": b[1], "persons": leg.persons,
                      "leg": f"{country_name(leg.origin, lang)} → {country_name(leg.destination, lang)}"})
        tip = (a[0] + 0.9 * (b[0] - a[0]), a[1] + 0.9 * (b[1] - a[1]))
        heads.append({"lon": tip[0], "lat": tip[1], "angle": _bearing(a, b), "persons": leg.persons})
    points = [world[c].point for c in shown if c in world]
    projection: dict[str, Any] = {"type": "equirectangular"}
    if points:  # the region of the flows, with a margin (the whole world when they span it)
        lon0, lon1 = min(p[0] for p in points) - 15, max(p[0] for p in points) + 15
        lat0, lat1 = min(p[1] for p in points) - 10, max(p[1] for p in points) + 10
        grow_lon, grow_lat = max(0.0, 60 - (lon1 - lon0)) / 2, max(0.0, 30 - (lat1 - lat0)) / 2
        lon0, lon1 = max(-180.0, lon0 - grow_lon), min(180.0, lon1 + grow_lon)
        lat0, lat1 = max(-85.0, lat0 - grow_lat), min(85.0, lat1 + grow_lat)
        import math

        scale = min(WIDTH / math.radians(lon1 - lon0), HEIGHT / math.radians(lat1 - lat0))
        projection.update(scale=round(scale, 2), center=[(lon0 + lon1) / 2, (lat0 + lat1) / 2],
                          translate=[WIDTH / 2, HEIGHT / 2])
    base = (
        alt.Chart(alt.Data(values=features, format=alt.DataFormat(type="json")))
        .mark_geoshape(stroke="#ffffff", strokeWidth=0.4, clip=True)
        .encode(
            color=alt.condition("datum.properties.shown", alt.value("#9ecae1"), alt.value("#e5e5e5"))
        )
    )
    layers: list[Any] = [base]
    width = alt.Size("persons:Q", scale=alt.Scale(range=[1, 8]), legend=None)
    if lines:
        layers.append(
            alt.Chart(alt.Data(values=lines))
            .mark_rule(color="#b2182b", opacity=0.85, clip=True)
            .encode(longitude="lon:Q", latitude="lat:Q", longitude2="lon2:Q", latitude2="lat2:Q",
                    strokeWidth=alt.StrokeWidth("persons:Q", scale=alt.Scale(range=[1, 6]),
                                                title="persons"))
        )
        layers.append(
            alt.Chart(alt.Data(values=heads))
            .mark_point(shape="triangle-up", filled=True, color="#b2182b", size=90, opacity=1)
            .encode(longitude="lon:Q", latitude="lat:Q", angle=alt.Angle("angle:Q", scale=None))
        )
    if dots:
        layers.append(
            alt.Chart(alt.Data(values=dots))
            .mark_circle(color="#b2182b", opacity=0.8)
            .encode(longitude="lon:Q", latitude="lat:Q", size=width)
        )
    chart = alt.layer(*layers, title=title or "").project(**projection).properties(width=WIDTH, height=HEIGHT)
    return chart.to_dict()  # type: ignore[no-any-return]


def flow_map_svg(result: flows.FlowResult, title: str = "", lang: str | None = None) -> str:
    import vl_convert as vlc

    return str(vlc.vegalite_to_svg(flow_map_spec(result, title, lang)))


def svg_data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
