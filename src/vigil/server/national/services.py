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
from django.db.models import QuerySet
from django.utils import timezone

from vigil.server import scoping
from vigil.server.accounts.models import CAPABILITIES, User
from vigil.server.audit.log import record
from vigil.server.cases.models import Case
from vigil.server.national import columns
from vigil.server.national.models import Alert, Release
from vigil.stats import farrington
from vigil.stats.indicators import IndicatorResult, IndicatorSet, Prepared, compute, load_set, members

SET_ID = "nap-2026"


def min_k() -> int:
    return int(getattr(settings, "VIGIL_MIN_K", 11))


@cache
def indicator_set() -> IndicatorSet:
    return load_set(getattr(settings, "VIGIL_INDICATOR_SET", SET_ID))


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
    last = _monday(end or timezone.localdate())
    first = last - dt.timedelta(weeks=52 * years + 2)
    rows = cases.filter(opened_on__gte=first, opened_on__lt=last + dt.timedelta(days=7)).order_by()
    pairs = list(rows.values_list(unit_field, "opened_on"))
    units = sorted({u for u, _d in pairs if u})
    dates = [first + dt.timedelta(weeks=i) for i in range((last - first).days // 7 + 1)]
    counts = np.zeros((len(units), len(dates)))
    index = {u: i for i, u in enumerate(units)}
    for unit, day in pairs:
        if unit:
            counts[index[unit], (day - first).days // 7] += 1
    return units, dates, counts


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


def responsible_users() -> QuerySet[User]:
    roles = [role for role, caps in CAPABILITIES.items() if "alerts.manage" in caps]
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
        recipients = [u.email for u in responsible_users() if u.email]
        if recipients:
            lines = [
                f"- {a.series}, {a.unit_type} {a.unit}, week of {a.week}: observed {a.observed}, "
                f"expected {a.expected:g}, threshold {a.upper:g}"
                for a in created
            ]
            send_mail(
                f"Vigil: {len(created)} new early-warning alert(s)",
                "Counts above the expected threshold (Farrington flexible):\n"
                + "\n".join(lines)
                + "\n\nOpen the alert inbox in Vigil to acknowledge or dismiss them.",
                None,
                recipients,
            )
            Alert.objects.filter(pk__in=[a.pk for a in created]).update(emailed_to=len(recipients))
    return created


def scan(*, end: dt.date | None = None, evaluate_last: int = 1, via: str = "job") -> list[Alert]:
    """Weekly new cases by sector over every case (counts only), the last week(s) evaluated."""
    units, dates, counts = weekly_counts(Case.objects.all(), "sector", end=end)
    if not units:
        return []
    return raise_alerts(detect(units, dates, counts, evaluate_last=evaluate_last), via=via)


def alerts_for(user: Any) -> QuerySet[Alert]:
    return Alert.objects.all() if user.can("alerts.manage") else Alert.objects.none()


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
