"""The national picture (issue 12): each shipped indicator on the demo against a count made by hand
with the ORM, disclosure of every chart and table, who may drill down to cases (never the analyst
or the coordinator), releases and the public statistics page (only released figures), and the
early-warning alerts (found on an injected surge, e-mailed, acknowledged or dismissed, audited)."""

from __future__ import annotations

import datetime as dt
import re
import statistics
from typing import Any

import numpy as np
import pytest
from django.core import mail
from django.test import Client
from tests.server.conftest import client_for, make_user

from vigil.server.accounts.models import CAPABILITIES, Role, User
from vigil.server.audit.models import AuditEntry
from vigil.server.cases.models import Case, Screening
from vigil.server.followups.models import FollowUp
from vigil.server.inspections.models import Visit
from vigil.server.national import services
from vigil.server.national.demo import RELEASED_YEAR, SURGES, last_complete_week
from vigil.server.national.models import Alert, Release
from vigil.server.recruitment.models import Agency, Complaint, Licence, Sanction
from vigil.server.referrals.models import Referral
from vigil.server.scoping import statistics_cases_for

pytestmark = pytest.mark.django_db

VICTIM = ("PossibleVictimOfTrafficking", "ActualVictimOfTrafficking")
SHOWN_ROLES = ("coordinator", "supervisor", "analyst")


@pytest.fixture
def demo() -> dict[str, User]:
    from vigil.server.cases.demo import load_demo

    load_demo()
    return {u.username: u for u in User.objects.all()}


def page(user: User) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _total(result: Any) -> Any:
    return result.tables["total"].numerators[-1][0]


def _hand_counts(cases: Any) -> dict[str, Any]:
    """Every shipped indicator over ``cases``, all periods, counted with the ORM (not the engine)."""
    ids = set(cases.values_list("pk", flat=True))
    victims = set(cases.filter(trafficking_status__in=VICTIM).values_list("pk", flat=True))
    refs = list(Referral.objects.filter(case_id__in=ids).values_list("case_id", "status", "decided_at"))
    referred = {c for c, st, _d in refs if st != "revoked"}
    accepted = {c for c, st, _d in refs if st in ("accepted", "completed")}
    assisted = {c for c, st, d in refs if st in ("accepted", "completed") and d is not None}
    fus = list(
        FollowUp.objects.filter(case_id__in=ids).values_list("case_id", "outcome", "retrafficking_risk")
    )
    followed = {c for c, o, _r in fus if o}
    safe = {c for c, o, _r in fus if o == "safe"}
    again = {c for c, o, r in fus if o == "re_exploited" or (r and o)}
    first: dict[int, dt.date] = {}
    for c, st, d in refs:
        if st in ("accepted", "completed") and d is not None:
            first[c] = min(first.get(c, d.date()), d.date())
    opened = dict(cases.values_list("pk", "opened_on"))
    days = [(first[c] - opened[c]).days for c in first if (first[c] - opened[c]).days >= 0]
    screenings = Screening.objects.filter(case_id__in=ids)
    return {
        "victims_identified": len(victims),
        "victims_presumed": cases.filter(trafficking_status=VICTIM[0]).count(),
        "victims_confirmed": cases.filter(trafficking_status=VICTIM[1]).count(),
        "victims_referred": (len(victims & referred), len(victims)),
        "victims_accepted": (len(victims & accepted), len(victims & referred)),
        "victims_assisted": len(assisted),
        "safe_at_followup": (len(safe), len(followed)),
        "re_trafficked": (len(again), len(followed)),
        "days_to_first_service": statistics.median(days),
        "screenings_positive": (screenings.filter(outcome="positive").count(), screenings.count()),
        "agencies_licensed": Licence.objects.filter(status="active").values("agency").distinct().count(),
        "agencies_inspected": Agency.objects.filter(last_inspection__isnull=False).count(),
        "agencies_sanctioned": Sanction.objects.values("agency").distinct().count(),
        "complaints_received": Complaint.objects.count(),
        # workplaces, not people: the inspections app's completed visits (any organisation)
        "workplaces_inspected": len(
            set(Visit.objects.filter(status="completed").values_list("workplace_id", flat=True))
        ),
        "workplaces_forced_labour": len(
            set(
                Visit.objects.filter(
                    status="completed", outcome__in=("forced_labour", "forced_labour_indicators")
                ).values_list("workplace_id", flat=True)
            )
        ),
    }


def test_each_shipped_indicator_on_the_demo_equals_a_hand_count(demo):
    for username, cases in (
        ("coordinator", statistics_cases_for(demo["coordinator"])),
        ("supervisor", Case.objects.filter(organisation=demo["supervisor"].organisation)),
    ):
        results = {r.id: r for r in services.indicators_for(demo[username], k=1)}
        hand = _hand_counts(cases)
        for ind_id, expected in hand.items():
            res = results[ind_id]
            assert res.hidden is None, ind_id
            if res.kind == "percent":
                t = res.tables["total"]
                assert (t.numerators[-1][0], t.denominators[-1][0]) == expected, (username, ind_id)
            elif res.kind == "median_days":
                assert res.tables["total"].values[-1][0] == float(expected), (username, ind_id)
            else:
                assert _total(res) == expected, (username, ind_id)
            assert expected, f"the demo leaves {ind_id} empty"
        # an indicator over records no installed app stores is hidden, with the reason
        assert results["offers_checked"].hidden and results["offers_checked"].tables == {}
    # a disaggregation by hand: victims identified by sex and by who identified them, 2025
    coord = {r.id: r for r in services.indicators_for(demo["coordinator"], k=1)}
    cases = statistics_cases_for(demo["coordinator"]).filter(trafficking_status__in=VICTIM)
    sex = coord["victims_identified"].tables["sex"]
    row = sex.rows.index("2025")
    for j, code in enumerate(sex.cols[:-1]):
        assert sex.numerators[row][j] == cases.filter(opened_on__year=2025, person__gender=code).count()
    who = coord["victims_identified"].tables["identified_by"]
    for j, code in enumerate(who.cols[:-1]):
        assert who.numerators[-1][j] == cases.filter(organisation__kind=code).count()


def test_every_published_cell_and_chart_point_passed_disclosure(demo):
    coordinator = demo["coordinator"]
    strict = services.indicators_for(coordinator, k=11)
    raw = {r.id: r for r in services.indicators_for(coordinator, k=1)}
    hidden_any = 0
    for res in strict:
        if res.hidden:
            continue
        for dim, table in res.tables.items():
            raw_table = raw[res.id].tables[dim]
            reasons = {(s.row, s.col): s.reason for s in table.suppressed}
            for i, row in enumerate(table.numerators):
                for j, value in enumerate(row):
                    cell = (table.rows[i], table.cols[j])
                    count = raw_table.numerators[i][j]
                    if value is None:
                        assert cell in reasons or any(
                            r.startswith("denominator") for (rr, cc), r in reasons.items() if (rr, cc) == cell
                        )
                        hidden_any += 1
                    else:
                        assert value == count
                        if res.counts == "persons":
                            assert value == 0 or value >= 11, (res.id, dim, cell, value)
                    if cell in reasons and reasons[cell] == "primary":
                        assert 0 < count < 11
        # the chart shows the published totals only
        points = services.chart_points(res)
        total = res.tables["total"]
        published = {r: line[0] for r, line in zip(total.rows[:-1], total.values, strict=False)}
        assert {p["period"]: p["value"] for p in points} == {
            r: v for r, v in published.items() if v is not None
        }
        spec = services.chart_spec(res)
        values = next(iter(spec["datasets"].values())) if "datasets" in spec else spec["data"]["values"]
        assert values == points
    assert hidden_any > 0  # the demo has small cells, and they are hidden
    svg = services.chart_svg(next(r for r in strict if r.id == "victims_identified"))
    assert svg.startswith("<svg") and "2025" in svg


@pytest.mark.parametrize("role", SHOWN_ROLES)
def test_the_dashboard_of_each_role(demo, role):
    r = page(demo[role]).get("/national/")
    assert r.status_code == 200
    html = r.content.decode()
    assert 'src="data:image/svg+xml;base64,' in html and 'id="ind-victims_identified"' in html
    assert "stores no recruitment.OfferCheck records" in html  # hidden, said so, not an error
    assert ('id="nav-releases"' in html) == (role == "coordinator")
    assert AuditEntry.objects.filter(action="dashboard", actor_id=demo[role].pk).exists()
    assert page(demo[role]).get("/national/?period=quarter").status_code == 200


@pytest.mark.parametrize("role", ["caseworker", "inspector", "shelter", "regulator", "admin"])
def test_other_roles_have_no_dashboard(demo, role):
    c = page(demo[role])
    for url in (
        "/national/",
        "/national/indicators/victims_identified/",
        "/national/releases/",
        "/national/alerts/",
        "/national/indicators/victims_identified/cases/",
    ):
        if role == "regulator" and url == "/national/alerts/":
            continue  # the regulator's inbox holds the alerts about agencies (test_server_national_streams)
        assert c.get(url).status_code == 403, (role, url)


@pytest.mark.parametrize("role", ["analyst", "coordinator"])
def test_analyst_and_coordinator_never_reach_a_case_list(demo, role):
    c = page(demo[role])
    html = c.get("/national/indicators/victims_identified/?dim=sector").content.decode()
    assert 'id="pivot-table"' in html and 'class="drill"' not in html and "/cases/" not in html
    r = c.get("/national/indicators/victims_identified/cases/?row=2025&dim=sector&cat=A")
    assert r.status_code == 403
    assert "VG-" not in r.content.decode()
    for url in ("/national/", "/national/releases/", "/public/statistics/"):
        assert not re.search(r"VG-\d{4}-", page(demo[role]).get(url).content.decode())


def test_a_supervisor_drills_down_to_the_cases_of_a_cell_in_scope(demo):
    supervisor = demo["supervisor"]
    c = page(supervisor)
    html = c.get("/national/indicators/victims_identified/?dim=sector").content.decode()
    links = re.findall(r'class="drill" href="([^"]+)"', html)
    assert links
    url = next(u for u in links if "row=20" in u and "cat=total" not in u).replace("&amp;", "&")
    year, sector = re.search(r"row=(\d{4}).*cat=(\w)", url).groups()  # type: ignore[union-attr]
    listed = c.get(url).content.decode()
    refs = set(re.findall(r"VG-\d{4}-[A-Z0-9]{8}", listed))
    expected = Case.objects.filter(
        organisation=supervisor.organisation,
        trafficking_status__in=VICTIM,
        opened_on__year=int(year),
        sector=sector,
    )
    assert refs == set(expected.values_list("reference", flat=True)) and refs
    entry = AuditEntry.objects.filter(action="list", actor_id=supervisor.pk, object_type="case").latest("id")
    assert sorted(entry.detail["ids"]) == sorted(expected.values_list("pk", flat=True))


def test_releases_are_the_coordinators_and_audited(demo):
    assert page(demo["supervisor"]).post("/national/releases/", {"year": "2024"}).status_code == 403
    assert page(demo["analyst"]).post("/national/releases/", {"year": "2024"}).status_code == 403
    assert not Release.objects.filter(period="2024").exists()
    r = page(demo["coordinator"]).post("/national/releases/", {"year": "2024", "note": "Annual figures"})
    assert r.status_code == 302
    rel = Release.objects.get(period="2024")
    assert rel.released_by == demo["coordinator"] and rel.k == 11
    assert AuditEntry.objects.filter(action="release", object_id=str(rel.pk)).exists()
    # every stored cell is disclosure-checked: no count of persons below k
    for fig in rel.figures:
        for table in fig["tables"].values():
            assert table["rows"] == ["2024", "total"]
            if fig["counts"] == "persons":
                for line in table["numerators"]:
                    assert all(v is None or v == 0 or v >= 11 for v in line), fig["id"]
    assert page(demo["coordinator"]).post("/national/releases/", {"year": "20x4"}).status_code == 200


def test_the_public_page_shows_only_released_figures(demo):
    anonymous = Client()
    rel = Release.objects.get(period=RELEASED_YEAR)
    html = anonymous.get("/public/statistics/").content.decode()
    assert "Figures of 2025" in html
    released = {f["id"]: f["tables"]["total"]["values"][0][0] for f in rel.figures}
    totals = re.findall(r'class="released-total">([^<]+)<', html)
    assert totals == [str(v) for v in released.values() if v is not None]
    # a year nobody released is not shown, whatever the data hold
    other = anonymous.get("/public/statistics/?year=2024").content.decode()
    assert 'id="nothing-released"' in other and "released-total" not in other
    # the page shows the release, not the live data: a change after the release does not reach it
    Case.objects.filter(opened_on__year=2025, trafficking_status="").update(
        trafficking_status="ActualVictimOfTrafficking"
    )

    def content(text: str) -> str:  # the page without its per-request CSRF token
        return re.sub(r'"X-CSRFToken": "[^"]+"|name="csrfmiddlewaretoken" value="[^"]+"', "", text)

    assert content(anonymous.get("/public/statistics/").content.decode()) == content(html)
    assert not re.search(r"VG-\d{4}-", html) and "Demo Person" not in html
    # no login asked, and nothing of it before any release
    Release.objects.all().delete()
    assert 'id="nothing-released"' in anonymous.get("/public/statistics/").content.decode()


def test_the_demo_surge_raised_alerts_and_flat_weeks_did_not(demo):
    week = last_complete_week()
    alerts = Alert.objects.filter(week=week)
    assert {a.unit for a in alerts} == {s for s, _n in SURGES}
    for alert in alerts:
        assert alert.observed > alert.upper > alert.expected and alert.method["method"] == "farrington"
    # the weeks before the surge, evaluated like the last one: no alarm
    units, dates, counts = services.weekly_counts(Case.objects.all(), end=week - dt.timedelta(weeks=1))
    assert not [d for d in services.detect(units, dates, counts, evaluate_last=8) if d.alarm]


def test_alerts_on_synthetic_series_are_mailed_decided_and_audited(db, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    coordinator = make_user("coord", "coordinator", None)
    coordinator.email = "coord@example.org"
    coordinator.save()
    analyst = make_user("an", "analyst", None)
    analyst.email = "analyst@example.org"
    analyst.save()
    rng = np.random.default_rng(4)
    dates = [dt.date(2022, 1, 3) + dt.timedelta(weeks=i) for i in range(4 * 52)]
    counts = rng.poisson(6.0, size=(20, len(dates))).astype(float)
    outbreaks = {3: 30.0, 11: 24.0}
    for unit, extra in outbreaks.items():
        counts[unit, -1] += extra
    units = [f"U{u:02d}" for u in range(20)]
    detections = services.detect(units, dates, counts)
    found = {d.unit for d in detections if d.alarm}
    assert {"U03", "U11"} <= found and len(found - {"U03", "U11"}) <= 1
    created = services.raise_alerts(detections, unit_type="region")
    assert {a.unit for a in created} == found
    assert services.raise_alerts(detections, unit_type="region") == []  # once per unit and week
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["coord@example.org"]
    assert "U03" in mail.outbox[0].body and "VG-" not in mail.outbox[0].body
    alert = Alert.objects.get(unit="U03")
    c = page(coordinator)
    assert "U03" in c.get("/national/alerts/").content.decode()
    r = c.post(f"/national/alerts/{alert.pk}/", {"status": "dismissed", "reason": ""})
    assert r.status_code == 200 and Alert.objects.get(pk=alert.pk).status == "open"
    r = c.post(f"/national/alerts/{alert.pk}/", {"status": "dismissed", "reason": "Seasonal harvest intake"})
    assert r.status_code == 302
    alert.refresh_from_db()
    assert (alert.status, alert.reason, alert.decided_by) == (
        "dismissed",
        "Seasonal harvest intake",
        coordinator,
    )
    assert AuditEntry.objects.filter(action="alert_dismissed", object_id=str(alert.pk)).exists()
    # the API: the analyst has no inbox; the coordinator acknowledges the other alert
    other = Alert.objects.get(unit="U11")
    assert client_for(analyst).get("/api/national/alerts/").status_code == 403
    api = client_for(coordinator)
    assert (
        api.post(
            f"/api/national/alerts/{other.pk}/decide/", {"status": "dismissed"}, format="json"
        ).status_code
        == 400
    )
    r = api.post(f"/api/national/alerts/{other.pk}/decide/", {"status": "acknowledged"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "acknowledged"
    again = api.post(
        f"/api/national/alerts/{other.pk}/decide/", {"status": "dismissed", "reason": "x"}, format="json"
    )
    assert again.status_code == 400
    assert AuditEntry.objects.filter(action="alert_acknowledged", object_id=str(other.pk), via="api").exists()


# --- the API permission matrix -----------------------------------------------------------------

ENDPOINTS = (
    ("get", "/api/national/indicators/", "national.view"),
    ("get", "/api/national/releases/", "national.view"),
    ("post", "/api/national/releases/", "national.release"),
    ("get", "/api/national/alerts/", "alerts.manage"),
)


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_api_permission_matrix(users, role):
    user = users[role]
    api = client_for(user)
    for method, url, capability in ENDPOINTS:
        body = {"year": "2025"} if method == "post" else None
        r = getattr(api, method)(url, body, format="json") if body else getattr(api, method)(url)
        allowed = capability in CAPABILITIES[role]
        assert r.status_code == ({"get": 200, "post": 201}[method] if allowed else 403), (role, method, url)
        assert not re.search(r"VG-\d{4}-", r.content.decode())
    assert client_for(user).get("/api/national/indicators/?period=week").status_code in (400, 403)
    assert Client().get("/api/national/indicators/").status_code in (401, 403)


def test_api_indicators_say_what_is_hidden(demo):
    r = client_for(demo["analyst"]).get("/api/national/indicators/?indicator=victims_identified")
    body = r.json()
    assert r.status_code == 200 and body["k"] == 11 and len(body["indicators"]) == 1
    table = body["indicators"][0]["tables"]["citizenship"]
    assert table["suppressed"] and all(s["reason"] in ("primary", "secondary") for s in table["suppressed"])
    for s in table["suppressed"]:
        assert table["values"][table["rows"].index(s["row"])][table["cols"].index(s["col"])] is None


def test_the_weekly_alerts_job_is_registered_and_runs_once_per_week(demo):
    from vigil.server.jobs import registry

    job = registry.get("national_alerts")
    assert job.every == dt.timedelta(days=7)
    assert job.func() == {"alerts": 0}  # the demo's surge was already raised, once
    Alert.objects.all().delete()
    assert job.func() == {"alerts": len(SURGES)}
