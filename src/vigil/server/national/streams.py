"""What the early warning counts: one *stream* per kind of record and unit.

A stream names the records it counts (new cases, positive screenings, complaints, fee breaches,
offers with warning signs, forced-labour findings), the unit they are counted by (sector, agency,
employer), the day each record counts on, who is responsible for its alerts (the capability that
puts them in a user's inbox beside the coordinators and supervisors, who see every alert) and,
for the alert page, the records behind a count for the users who may see them.

A stream over an app that is not installed is skipped, not an error. The counting itself
(weekly counts, Farrington) is in :mod:`vigil.server.national.services` and
:mod:`vigil.stats.farrington`; this module only says what to count.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

#: Unit types an alert can be about, with the words a page shows.
UNIT_TYPES = {
    "sector": _("sector"),
    "region": _("region (where the work was)"),
    "route": _("route (country of recruitment to country of work)"),
    "agency": _("recruitment agency"),
    "employer": _("employer (workplace)"),
}


@dataclass(frozen=True)
class Evidence:
    """One record behind a count, as a line of the alert page: a label and a link."""

    label: str
    url: str


@dataclass(frozen=True)
class Stream:
    series: str  # stored on the alert ("new cases"); stable, English, a key
    title: Any  # translatable words for pages
    unit_type: str  # a key of UNIT_TYPES
    app: str  # the app label whose records are counted
    audience: str  # capability of the users responsible besides alerts.manage
    pairs: Callable[[dt.date, dt.date], Iterable[tuple[str, dt.date]]]  # (unit, day) in [first, end)
    evidence: Callable[[Any, str, dt.date, dt.date], list[Evidence] | None]  # None: may not see
    unit_name: Callable[[str], str]

    def installed(self) -> bool:
        return apps.is_installed(f"vigil.server.{self.app}")


def _local_day(value: dt.datetime | dt.date) -> dt.date:
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.date()
    return value


def _days(rows: Iterable[tuple[Any, Any]], first: dt.date, end: dt.date) -> list[tuple[str, dt.date]]:
    out = []
    for unit, when in rows:
        if unit in (None, ""):
            continue
        day = _local_day(when)
        if first <= day < end:
            out.append((str(unit), day))
    return out


def _window(field: str, first: dt.date, end: dt.date, *, datetime: bool) -> Q:
    """``first <= field < end``; for a DateTimeField a day wider on each side (the local day is
    taken in Python, the database may hold UTC)."""
    if datetime:
        lo = timezone.make_aware(dt.datetime.combine(first - dt.timedelta(days=1), dt.time.min), dt.UTC)
        hi = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min), dt.UTC)
        return Q(**{f"{field}__gte": lo, f"{field}__lt": hi})
    return Q(**{f"{field}__gte": first, f"{field}__lt": end})


# --- cases and screenings -------------------------------------------------------------------------


def _case_model() -> Any:
    return apps.get_model("cases", "Case")


def _new_cases(first: dt.date, end: dt.date) -> list[tuple[str, dt.date]]:
    qs = _case_model().objects.filter(_window("opened_on", first, end, datetime=False)).order_by()
    return _days(qs.values_list("sector", "opened_on"), first, end)


def _positive_screenings(first: dt.date, end: dt.date) -> list[tuple[str, dt.date]]:
    screening = apps.get_model("cases", "Screening")
    qs = screening.objects.filter(_window("created_at", first, end, datetime=True), outcome="positive")
    return _days(qs.order_by().values_list("case__sector", "created_at"), first, end)


def _case_evidence(user: Any, cases: QuerySet[Any]) -> list[Evidence] | None:
    from vigil.server import scoping

    if not user.can("case.view"):
        return None
    visible = cases.filter(pk__in=scoping.cases_for(user).values("pk")).order_by("opened_on", "pk")
    return [
        Evidence(f"{c.reference} ({c.opened_on.isoformat()})", reverse("cases:case-detail", args=[c.pk]))
        for c in visible[:200]
    ]


def _new_cases_evidence(user: Any, unit: str, first: dt.date, end: dt.date) -> list[Evidence] | None:
    cases = _case_model().objects.filter(sector=unit, opened_on__gte=first, opened_on__lt=end)
    return _case_evidence(user, cases)


def _positive_screenings_evidence(
    user: Any, unit: str, first: dt.date, end: dt.date
) -> list[Evidence] | None:
    screening = apps.get_model("cases", "Screening")
    ids = [
        cid
        for cid, when in screening.objects.filter(
            _window("created_at", first, end, datetime=True), outcome="positive", case__sector=unit
        ).values_list("case_id", "created_at")
        if first <= _local_day(when) < end
    ]
    return _case_evidence(user, _case_model().objects.filter(pk__in=ids))


def _first_stages(stage: str, first: dt.date, end: dt.date) -> dict[int, tuple[str, str, dt.date]]:
    """{case id: (region, country, opened on)} of each case's first ``stage`` (by start date, an
    undated stage after the dated ones on every database, as ``vigil.stats.flows.journeys`` orders
    a timeline; then entry), for the cases opened in [first, end)."""
    from django.db.models import F

    stages = apps.get_model("cases", "MigrationStage")
    rows = (
        stages.objects.filter(stage=stage, case__opened_on__gte=first, case__opened_on__lt=end)
        .order_by("case_id", F("start_date").asc(nulls_last=True), "id")
        .values_list("case_id", "region", "country", "case__opened_on")
    )
    out: dict[int, tuple[str, str, dt.date]] = {}
    for case_id, region, country, opened in rows:
        out.setdefault(case_id, (region or "", country or "", opened))
    return out


def _region_cases(first: dt.date, end: dt.date) -> list[tuple[str, dt.date]]:
    """New cases by the coded region (ISO 3166-2) of their first work stage."""
    return _days(((r, d) for r, _c, d in _first_stages("work", first, end).values()), first, end)


def _route_cases(first: dt.date, end: dt.date) -> list[tuple[str, dt.date]]:
    """New cases by route: the country of recruitment to the country of work (``PHL>THA``)."""
    recruited = _first_stages("recruitment", first, end)
    worked = _first_stages("work", first, end)
    rows = []
    for case_id, (_r, origin, opened) in recruited.items():
        destination = worked.get(case_id, ("", "", opened))[1]
        if origin and destination:
            rows.append((f"{origin}>{destination}", opened))
    return _days(rows, first, end)


def _region_evidence(user: Any, unit: str, first: dt.date, end: dt.date) -> list[Evidence] | None:
    ids = [cid for cid, (region, _c, _d) in _first_stages("work", first, end).items() if region == unit]
    return _case_evidence(user, _case_model().objects.filter(pk__in=ids))


def _route_evidence(user: Any, unit: str, first: dt.date, end: dt.date) -> list[Evidence] | None:
    origin, _sep, destination = unit.partition(">")
    worked = _first_stages("work", first, end)
    ids = [
        cid
        for cid, (_r, country, _d) in _first_stages("recruitment", first, end).items()
        if country == origin and worked.get(cid, ("", "", None))[1] == destination
    ]
    return _case_evidence(user, _case_model().objects.filter(pk__in=ids))


def _region_name(code: str) -> str:
    from django.utils import translation

    from vigil.stats import countries, subdivisions

    lang = translation.get_language()
    country = subdivisions.country_of(code)
    region = subdivisions.name(code, lang)
    return f"{region} ({countries.name(country, lang)})" if country else region


def _route_name(unit: str) -> str:
    from django.utils import translation

    from vigil.stats import countries

    lang = translation.get_language()
    origin, _sep, destination = unit.partition(">")
    return f"{countries.name(origin, lang)} → {countries.name(destination, lang)}"


def _sector_name(code: str) -> str:
    from vigil.server.cases.models import Case

    labels = dict(Case._meta.get_field("sector").flatchoices)
    return str(labels.get(code, code))


# --- recruitment ----------------------------------------------------------------------------------


def _complaints(first: dt.date, end: dt.date) -> list[tuple[str, dt.date]]:
    complaint = apps.get_model("recruitment", "Complaint")
    qs = complaint.objects.filter(_window("made_on", first, end, datetime=False), agency__isnull=False)
    return _days(qs.order_by().values_list("agency_id", "made_on"), first, end)


def _fee_breaches(first: dt.date, end: dt.date) -> list[tuple[str, dt.date]]:
    report = apps.get_model("recruitment", "FeeReport")
    qs = report.objects.filter(_window("created_at", first, end, datetime=True), breach=True)
    return _days(qs.order_by().values_list("agency_id", "created_at"), first, end)


def _offer_signs(first: dt.date, end: dt.date) -> list[tuple[str, dt.date]]:
    offer = apps.get_model("recruitment", "JobOffer")
    qs = offer.objects.filter(_window("created_at", first, end, datetime=True))
    rows = (
        (a, when) for a, when, signs in qs.order_by().values_list("agency_id", "created_at", "signs") if signs
    )
    return _days(rows, first, end)


def _may_see_recruitment(user: Any) -> bool:
    return bool(user.can("recruitment.view"))


def _complaint_evidence(user: Any, unit: str, first: dt.date, end: dt.date) -> list[Evidence] | None:
    if not _may_see_recruitment(user):
        return None
    complaint = apps.get_model("recruitment", "Complaint")
    qs = complaint.objects.filter(agency_id=int(unit), made_on__gte=first, made_on__lt=end).order_by(
        "made_on", "pk"
    )
    return [
        Evidence(f"#{c.pk} ({c.made_on.isoformat()})", reverse("recruitment:complaint-detail", args=[c.pk]))
        for c in qs[:200]
    ]


def _fee_evidence(user: Any, unit: str, first: dt.date, end: dt.date) -> list[Evidence] | None:
    if not _may_see_recruitment(user):
        return None
    report = apps.get_model("recruitment", "FeeReport")
    qs = report.objects.filter(
        _window("created_at", first, end, datetime=True), agency_id=int(unit), breach=True
    )
    url = reverse("recruitment:agency-detail", args=[int(unit)])
    return [
        Evidence(f"#{r.pk} {r.category} ({_local_day(r.created_at).isoformat()})", url)
        for r in qs.order_by("created_at", "pk")[:200]
        if first <= _local_day(r.created_at) < end
    ]


def _offer_evidence(user: Any, unit: str, first: dt.date, end: dt.date) -> list[Evidence] | None:
    if not _may_see_recruitment(user):
        return None
    offer = apps.get_model("recruitment", "JobOffer")
    qs = offer.objects.filter(_window("created_at", first, end, datetime=True), agency_id=int(unit))
    return [
        Evidence(f"#{o.pk} {', '.join(o.signs)}", reverse("recruitment:offer-detail", args=[o.pk]))
        for o in qs.order_by("created_at", "pk")[:200]
        if o.signs and first <= _local_day(o.created_at) < end
    ]


def _agency_name(unit: str) -> str:
    agency = apps.get_model("recruitment", "Agency")
    name = (
        agency.objects.filter(pk=int(unit)).values_list("legal_name", flat=True).first()
        if unit.isdigit()
        else None
    )
    return str(name or unit)


# --- inspections ----------------------------------------------------------------------------------

FORCED_LABOUR_KINDS = ("indicator", "forced_labour")


def _findings(first: dt.date, end: dt.date) -> list[tuple[str, dt.date]]:
    finding = apps.get_model("inspections", "Finding")
    qs = finding.objects.filter(_window("found_on", first, end, datetime=False), kind__in=FORCED_LABOUR_KINDS)
    return _days(qs.order_by().values_list("workplace_id", "found_on"), first, end)


def _finding_evidence(user: Any, unit: str, first: dt.date, end: dt.date) -> list[Evidence] | None:
    from vigil.server import scoping

    if not user.can("inspection.view"):
        return None
    finding = apps.get_model("inspections", "Finding")
    visible = scoping.workplaces_for(user).filter(pk=int(unit)).exists()
    if not visible:
        return []
    qs = finding.objects.filter(
        workplace_id=int(unit), found_on__gte=first, found_on__lt=end, kind__in=FORCED_LABOUR_KINDS
    ).order_by("found_on", "pk")
    url = reverse("inspections:workplace-detail", args=[int(unit)])
    return [Evidence(f"#{f.pk} {f.indicator} ({f.found_on.isoformat()})", url) for f in qs[:200]]


def _workplace_name(unit: str) -> str:
    workplace = apps.get_model("inspections", "Workplace")
    name = (
        workplace.objects.filter(pk=int(unit)).values_list("name", flat=True).first()
        if unit.isdigit()
        else None
    )
    return str(name or unit)


STREAMS: tuple[Stream, ...] = (
    Stream(
        "new cases",
        _("new cases"),
        "sector",
        "cases",
        "inspection.plan",
        _new_cases,
        _new_cases_evidence,
        _sector_name,
    ),
    Stream(
        "new cases",
        _("new cases"),
        "region",
        "cases",
        "inspection.plan",
        _region_cases,
        _region_evidence,
        _region_name,
    ),
    Stream(
        "new cases",
        _("new cases"),
        "route",
        "cases",
        "recruitment.manage",
        _route_cases,
        _route_evidence,
        _route_name,
    ),
    Stream(
        "positive screenings",
        _("positive screenings"),
        "sector",
        "cases",
        "inspection.plan",
        _positive_screenings,
        _positive_screenings_evidence,
        _sector_name,
    ),
    Stream(
        "complaints",
        _("complaints about an agency"),
        "agency",
        "recruitment",
        "recruitment.manage",
        _complaints,
        _complaint_evidence,
        _agency_name,
    ),
    Stream(
        "fee breaches",
        _("recruitment-fee breaches"),
        "agency",
        "recruitment",
        "recruitment.manage",
        _fee_breaches,
        _fee_evidence,
        _agency_name,
    ),
    Stream(
        "offer warning signs",
        _("job offers with warning signs"),
        "agency",
        "recruitment",
        "recruitment.manage",
        _offer_signs,
        _offer_evidence,
        _agency_name,
    ),
    Stream(
        "forced-labour findings",
        _("forced-labour findings"),
        "employer",
        "inspections",
        "inspection.plan",
        _findings,
        _finding_evidence,
        _workplace_name,
    ),
)


def installed() -> list[Stream]:
    return [s for s in STREAMS if s.installed()]


def find(series: str, unit_type: str) -> Stream | None:
    return next((s for s in STREAMS if s.series == series and s.unit_type == unit_type), None)


def responsible_for(user: Any) -> list[Stream]:
    """The streams whose alerts reach ``user``: every one for coordinators and supervisors
    (``alerts.manage`` with ``national.view``), the agency streams for regulators, the sector and
    workplace streams for inspection leads (counts only: the cases behind a sector's count stay
    with those who may see cases)."""
    if not user.can("alerts.manage"):
        return []
    if user.can("national.view"):
        return installed()
    return [s for s in installed() if user.can(s.audience)]
