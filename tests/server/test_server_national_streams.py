"""Early warning beyond new cases (issue 12): every stream counts its records by unit and week as a
hand count does; a surge of complaints about one agency over a flat history raises an alert that
reaches the regulator (inbox and e-mail) and not the inspection lead; the records behind the count
are shown to those who may see them (never to the coordinator); from the alert the regulator opens
an agency review and the inspection lead plans a visit, each noted on the alert and audited."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from tests.server.conftest import make_user

from vigil.server.accounts.models import Organisation
from vigil.server.audit.models import AuditEntry
from vigil.server.cases.models import Case, MigrationStage, Person, Screening
from vigil.server.inspections.models import Finding, Visit, Workplace
from vigil.server.national import services, streams
from vigil.server.national.models import Alert
from vigil.server.recruitment.models import Agency, AgencyReview, Complaint, FeeReport, JobOffer

pytestmark = pytest.mark.django_db

END = dt.date(2026, 11, 23)  # a Monday: the last week counted
FIRST, LAST = services._weeks_span(END, 4)


def page(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(10, 30)))


@pytest.fixture
def people(db):
    inspectorate = Organisation.objects.create(name="Inspectorate", kind="labour_inspectorate", country="FRA")
    ngo = Organisation.objects.create(name="NGO", kind="ngo", country="FRA")
    out = {
        "coordinator": make_user("coord", "coordinator", None),
        "regulator": make_user("reg", "regulator", None),
        "lead": make_user("lead", "inspection_lead", inspectorate),
        "supervisor": make_user("sup", "supervisor", ngo),
        "analyst": make_user("an", "analyst", None),
    }
    for name, user in out.items():
        user.email = f"{name}@example.org"
        user.save()
    return out


def _complaints(agency: Agency, per_week: np.ndarray, start: int) -> None:
    rows = []
    for w, n in enumerate(per_week):
        day = FIRST + dt.timedelta(weeks=w, days=2)
        for _ in range(int(n)):
            rows.append(
                Complaint(
                    agency=agency, description="d", made_on=day, receipt_code=f"T{start + len(rows):09d}"
                )
            )
    Complaint.objects.bulk_create(rows)


def test_each_stream_counts_by_unit_and_week_as_a_hand_count(people):
    agency = Agency.objects.create(legal_name="Harbour Jobs", country="PHL")
    other = Agency.objects.create(legal_name="Quiet Recruiters", country="PHL")
    week = END - dt.timedelta(weeks=3)
    # cases by sector, one outside the window
    sup = people["supervisor"]
    person = Person.objects.create(organisation=sup.organisation, created_by=sup)
    for sector, day in (
        ("F", week),
        ("F", week + dt.timedelta(days=6)),
        ("A", END),
        ("A", FIRST - dt.timedelta(days=1)),
    ):
        Case.objects.create(
            person=person, organisation=sup.organisation, owner=sup, sector=sector, opened_on=day
        )
    # screenings: positive counts, negative does not
    case_f = Case.objects.filter(sector="F").first()
    for outcome in ("positive", "positive", "negative"):
        s = Screening.objects.create(case=case_f, ruleset="ilo-11", ruleset_version="1", outcome=outcome)
        Screening.objects.filter(pk=s.pk).update(created_at=at(END))
    # fee reports: breaches only (the flag is the determination's, set on save; fixed here)
    for breach in (True, True, False):
        r = FeeReport.objects.create(agency=agency, amount=Decimal("100"), currency="USD", purpose="fee")
        FeeReport.objects.filter(pk=r.pk).update(created_at=at(week), breach=breach)
    # offers: those with warning signs only
    for signs in (["fee_charged"], [], ["fee_charged", "travel_on_credit"]):
        o = JobOffer.objects.create(
            agency=other,
            title="t",
            employer="e",
            workplace="w",
            country="ARE",
            pay_amount=1,
            pay_currency="AED",
            pay_period="month",
            hours_per_week=48,
            contract="fixed_term",
        )
        JobOffer.objects.filter(pk=o.pk).update(created_at=at(END), signs=signs)
    _complaints(agency, np.array([0] * (len(services.weekly_grid([], FIRST, LAST)[1]) - 1) + [2]), 0)
    wp = Workplace.objects.create(organisation=people["lead"].organisation, name="Hill Farm", sector="0113")
    for kind, indicator in (("indicator", "DR01"), ("forced_labour", "ilo-11"), ("violation", "")):
        Finding.objects.create(
            workplace=wp,
            kind=kind,
            indicator=indicator,
            category="wages" if kind == "violation" else "",
            found_on=week,
        )

    def counts(series: str, unit_type: str) -> dict[tuple[str, dt.date], int]:
        stream = streams.find(series, unit_type)
        assert stream is not None and stream.installed()
        units, dates, grid = services.stream_counts(stream, end=END)
        return {
            (u, dates[j]): int(grid[i, j])
            for i, u in enumerate(units)
            for j in range(len(dates))
            if grid[i, j]
        }

    assert counts("new cases", "sector") == {("F", week): 2, ("A", END): 1}
    assert counts("positive screenings", "sector") == {("F", END): 2}
    assert counts("fee breaches", "agency") == {(str(agency.pk), week): 2}
    assert counts("offer warning signs", "agency") == {(str(other.pk), END): 2}
    assert counts("complaints", "agency") == {(str(agency.pk), END): 2}
    assert counts("forced-labour findings", "employer") == {(str(wp.pk), week): 2}
    assert {s.series for s in streams.installed()} == {
        "new cases",
        "positive screenings",
        "complaints",
        "fee breaches",
        "offer warning signs",
        "forced-labour findings",
    }


def test_a_surge_of_complaints_reaches_the_regulator_who_opens_a_review(people, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    agency = Agency.objects.create(legal_name="Harbour Jobs", country="PHL")
    flat = Agency.objects.create(legal_name="Quiet Recruiters", country="PHL")
    n_weeks = len(services.weekly_grid([], FIRST, LAST)[1])
    rng = np.random.default_rng(12)
    surge = rng.poisson(2.0, n_weeks)
    surge[-1] += 15
    _complaints(agency, surge, 0)
    _complaints(flat, rng.poisson(2.0, n_weeks), 10_000)

    created = services.scan(end=END)
    complaints = [a for a in created if a.series == "complaints"]
    assert [(a.unit, a.week) for a in complaints] == [(str(agency.pk), END)]
    alert = complaints[0]
    assert alert.observed == surge[-1] and alert.observed > alert.upper
    # e-mailed to the regulator, the coordinator and the supervisor, not to the inspection lead
    sent = {to for m in mail.outbox for to in m.to}
    assert {"regulator@example.org", "coordinator@example.org", "supervisor@example.org"} <= sent
    assert "lead@example.org" not in sent and "analyst@example.org" not in sent
    # inboxes: the regulator sees it by the agency's name; the inspection lead does not
    html = page(people["regulator"]).get("/national/alerts/").content.decode()
    assert "Harbour Jobs" in html and "complaints about an agency" in html
    assert alert not in services.alerts_for(people["lead"])
    assert page(people["lead"]).get(f"/national/alerts/{alert.pk}/").status_code == 404
    assert page(people["analyst"]).get("/national/alerts/").status_code == 403

    # the records behind the count: the regulator sees the complaints; the coordinator does not
    reg = page(people["regulator"])
    html = reg.get(f"/national/alerts/{alert.pk}/").content.decode()
    behind = Complaint.objects.filter(agency=agency, made_on__gte=END, made_on__lt=END + dt.timedelta(days=7))
    assert behind.count() == alert.observed
    for c in behind:
        assert f"/recruitment/complaints/{c.pk}/" in html
    assert AuditEntry.objects.filter(action="alert_evidence", actor_id=people["regulator"].pk).exists()
    coord_html = page(people["coordinator"]).get(f"/national/alerts/{alert.pk}/").content.decode()
    assert 'id="alert-evidence"' not in coord_html and "/recruitment/complaints/" not in coord_html
    assert 'id="agency-review-form"' not in coord_html  # no recruitment.manage: no review to open

    # the regulator opens a review: one, noted on the alert, which is acknowledged; audited
    r = reg.post(f"/national/alerts/{alert.pk}/", {"act": "agency_review"})
    assert r.status_code == 302 and r["Location"] == f"/recruitment/agencies/{agency.pk}/"
    review = AgencyReview.objects.get(agency=agency)
    alert.refresh_from_db()
    assert (review.alert_id, review.is_open) == (alert.pk, True)
    assert (alert.status, alert.acted, alert.acted_ref, alert.decided_by) == (
        "acknowledged",
        "agency_review",
        review.pk,
        people["regulator"],
    )
    assert AuditEntry.objects.filter(action="alert_acted", object_id=str(alert.pk)).exists()
    reg.post(f"/national/alerts/{alert.pk}/", {"act": "agency_review"})
    assert AgencyReview.objects.filter(agency=agency).count() == 1
    # the agency page shows it under review and closes it with an outcome
    html = reg.get(f"/recruitment/agencies/{agency.pk}/").content.decode()
    assert f"early-warning alert #{alert.pk}" in html and 'class="under-review"' in html
    reg.post(
        f"/recruitment/agencies/{agency.pk}/",
        {"form": "review_close", "review": review.pk, "outcome": "bogus"},
    )
    assert AgencyReview.objects.get(pk=review.pk).is_open
    reg.post(
        f"/recruitment/agencies/{agency.pk}/",
        {"form": "review_close", "review": review.pk, "outcome": "inspection"},
    )
    review.refresh_from_db()
    assert (review.is_open, review.outcome, review.closed_by) == (False, "inspection", people["regulator"])
    # a second scan of the same week adds nothing
    assert [a for a in services.scan(end=END) if a.series == "complaints"] == []


def test_a_surge_of_findings_at_a_workplace_lets_the_lead_plan_a_visit_from_the_alert(people):
    lead = people["lead"]
    wp = Workplace.objects.create(organisation=lead.organisation, name="Hill Farm", sector="0113")
    n_weeks = len(services.weekly_grid([], FIRST, LAST)[1])
    per_week = np.random.default_rng(3).poisson(1.5, n_weeks)
    per_week[-1] += 12
    Finding.objects.bulk_create(
        Finding(
            workplace=wp, kind="indicator", indicator="DR01", found_on=FIRST + dt.timedelta(weeks=w, days=1)
        )
        for w, n in enumerate(per_week)
        for _ in range(int(n))
    )
    created = [a for a in services.scan(end=END) if a.series == "forced-labour findings"]
    assert [(a.unit, a.unit_type) for a in created] == [(str(wp.pk), "employer")]
    alert = created[0]
    assert alert in services.alerts_for(lead) and alert not in services.alerts_for(people["regulator"])
    c = page(lead)
    html = c.get(f"/national/alerts/{alert.pk}/").content.decode()
    assert "Hill Farm" in html and f"/inspections/workplaces/{wp.pk}/plan-visit/?alert={alert.pk}" in html
    form = c.get(f"/inspections/workplaces/{wp.pk}/plan-visit/?alert={alert.pk}").content.decode()
    assert f'name="alert" value="{alert.pk}"' in form
    r = c.post(
        f"/inspections/workplaces/{wp.pk}/plan-visit/",
        {
            "alert": alert.pk,
            "scheduled_on": (END + dt.timedelta(days=10)).isoformat(),
            "inspectors": [lead.pk],
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    visit = Visit.objects.get(workplace=wp)
    alert.refresh_from_db()
    assert (alert.acted, alert.acted_ref, alert.status) == ("visit", visit.pk, "acknowledged")


def test_a_sector_alert_links_to_the_workplaces_of_that_section(people):
    lead = people["lead"]
    org = lead.organisation
    Workplace.objects.create(organisation=org, name="Site Build", sector="4100")
    Workplace.objects.create(organisation=org, name="Road Works", sector="F")
    Workplace.objects.create(organisation=org, name="Hill Farm", sector="0113")
    alert = Alert.objects.create(
        series="new cases", unit_type="sector", unit="F", week=END, observed=9, expected=2, upper=5
    )
    html = page(lead).get(f"/national/alerts/{alert.pk}/").content.decode()
    assert "/inspections/workplaces/?sector=F" in html
    listing = page(lead).get("/inspections/workplaces/?sector=F").content.decode()
    assert "Site Build" in listing and "Road Works" in listing and "Hill Farm" not in listing


def test_new_cases_by_region_of_work_and_by_route(people):
    sup = people["supervisor"]
    person = Person.objects.create(organisation=sup.organisation, created_by=sup)
    journeys = [
        # (recruited in, worked in, region of work)
        ("PHL", "THA", "TH-10"),
        ("PHL", "THA", "TH-10"),
        ("PHL", "THA", ""),  # no coded region: counted by route only
        ("NPL", "THA", "TH-20"),
        ("", "THA", "TH-10"),  # no recruitment stage: counted by region only
    ]
    for origin, destination, region in journeys:
        case = Case.objects.create(person=person, organisation=sup.organisation, owner=sup, opened_on=END)
        if origin:
            MigrationStage.objects.create(case=case, stage="recruitment", country=origin)
        began = END - dt.timedelta(days=30)
        MigrationStage.objects.create(
            case=case, stage="work", country=destination, region=region, start_date=began
        )
    # a later second work stage does not move the case
    MigrationStage.objects.create(
        case=case, stage="work", country="MYS", region="MY-14", start_date=END + dt.timedelta(days=300)
    )

    def counts(unit_type: str) -> dict[str, int]:
        stream = streams.find("new cases", unit_type)
        assert stream is not None
        units, _dates, grid = services.stream_counts(stream, end=END)
        return {u: int(grid[i, -1]) for i, u in enumerate(units)}

    assert counts("region") == {"TH-10": 3, "TH-20": 1}
    assert counts("route") == {"PHL>THA": 3, "NPL>THA": 1}
    route = streams.find("new cases", "route")
    region = streams.find("new cases", "region")
    assert route is not None and region is not None
    assert route.unit_name("PHL>THA") == "Philippines → Thailand"
    assert "Thailand" in region.unit_name("TH-10")
    # the cases behind a count, for a supervisor whose scope holds them; none for the coordinator
    assert len(region.evidence(sup, "TH-10", END, END + dt.timedelta(days=7)) or []) == 3
    assert region.evidence(people["coordinator"], "TH-10", END, END + dt.timedelta(days=7)) is None
    # whose inbox: routes reach regulators, regions inspection leads
    assert route in streams.responsible_for(people["regulator"])
    assert region in streams.responsible_for(people["lead"]) and region not in streams.responsible_for(
        people["regulator"]
    )
