"""The home page as a work list per role: overdue follow-ups, referrals waiting for an answer,
screenings left insufficient, emergency-access alerts, closed cases near their retention date;
each line one click from its action, each user seeing only what the scoped lists show them."""

from __future__ import annotations

import html as html_lib
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from tests.server.conftest import make_case

from vigil.server.cases import screening as screening_service
from vigil.server.cases.models import Case, RetentionPolicy
from vigil.server.emergency.models import EmergencyAccess
from vigil.server.followups.models import FollowUp
from vigil.server.referrals.models import Referral, ServiceProvider

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def home(user) -> str:
    r = logged_in(user).get("/")
    assert r.status_code == 200
    return html_lib.unescape(r.content.decode())


def section(page: str, key: str) -> str:
    start = page.find(f'id="work-{key}"')
    if start < 0:
        return ""
    return page[start : page.find("</section>", start)]


@pytest.fixture
def work(users, cases):
    """One item of each kind on the caseworker's case (org A) and on org B's case."""
    today = timezone.localdate()
    mine, theirs = cases["a_caseworker"], cases["b"]
    for case in (mine, theirs):
        FollowUp.objects.create(case=case, due_on=today - timedelta(days=3), created_by=case.owner)
        FollowUp.objects.create(case=case, due_on=today + timedelta(days=3), created_by=case.owner)  # not due
        provider = ServiceProvider.objects.create(
            organisation=case.organisation, name=f"Shelter of {case.organisation.name}",
            service_type="shelter",
        )
        Referral.objects.create(case=case, provider=provider, created_by=case.owner)
        screening_service.start(case, "ilo-ec-2009-adult-labour", case.owner)  # no answer: insufficient
    days = RetentionPolicy.days_for("closed_case")
    closed = make_case(users["caseworker"], "Dana", "Closedcase", "DOC-A-0009",
                       status=Case.Status.CLOSED, closed_on=today - timedelta(days=days - 10))
    far = make_case(users["caseworker"], "Eli", "Recentclose", "DOC-A-0010",
                    status=Case.Status.CLOSED, closed_on=today - timedelta(days=10))
    EmergencyAccess.objects.create(
        user=users["caseworker_a2"], case=mine, reason="night call, safety plan check"
    )
    return {"mine": mine, "theirs": theirs, "closed": closed, "far": far}


def test_caseworker_sees_each_kind_of_work_on_their_cases_only(users, work):
    page = home(users["caseworker"])
    mine, theirs = work["mine"], work["theirs"]
    for key in ("followups", "referrals", "screenings", "emergency", "retention"):
        assert section(page, key), f"no {key} section"
        assert theirs.reference not in section(page, key)
    followups = section(page, "followups")
    assert mine.reference in followups and f"/cases/{mine.pk}/#followups" in followups
    assert followups.count("<tr>") == 1  # the follow-up not yet due is not listed
    referral = section(page, "referrals")
    assert f"/cases/{mine.pk}/#referrals" in referral and f"Shelter of {mine.organisation.name}" in referral
    screening = mine.screenings.get()
    assert f"/screenings/{screening.pk}/guided/" in section(page, "screenings")  # continue the interview
    assert "/emergency/" in section(page, "emergency") and mine.reference in section(page, "emergency")
    retention = section(page, "retention")
    assert work["closed"].reference in retention and work["far"].reference not in retention
    # no name or other identifying data on the work list
    assert "Amina" not in page and "Dana" not in page and "DOC-A" not in page


def test_the_other_organisation_sees_its_own_work(users, work):
    page = home(users["caseworker_b"])
    theirs = work["theirs"]
    assert theirs.reference in section(page, "followups") and theirs.reference in section(page, "screenings")
    assert work["mine"].reference not in page and not section(page, "emergency")


def test_a_screening_answered_or_superseded_leaves_the_list(users, work):
    mine = work["mine"]
    s = mine.screenings.get()
    yes = ["DR01", "DR08", "EX01", "EX04", "CD01", "CD02"]
    screening_service.update(s, s.version, answers=dict.fromkeys(yes, True))
    assert s.outcome == "positive"
    assert mine.reference not in section(home(users["caseworker"]), "screenings")


def test_supervisor_sees_the_organisation_and_its_alerts(users, work):
    page = home(users["supervisor"])
    mine = work["mine"]
    assert mine.reference in section(page, "followups") and mine.reference in section(page, "emergency")
    assert work["theirs"].reference not in page


def test_a_user_with_nothing_due_is_told_so(users, cases):
    page = home(users["inspector"])
    assert "Nothing is waiting for you." in page and 'id="work-' not in page


@pytest.mark.parametrize("role, landing", [("referral_receiver", "/referrals/"), ("analyst", "/statistics/"),
                                            ("administrator", "/breaches/")])
def test_roles_without_cases_keep_their_own_work_page(users, role, landing):
    assert logged_in(users[role]).get("/").url == landing


def test_work_list_in_french(users, work):
    c = logged_in(users["caseworker"])
    c.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    page = html_lib.unescape(c.get("/").content.decode())
    assert "Suivis en retard" in page and "Reprendre l'entretien" in page




def test_the_work_list_is_audited_as_a_list_of_cases(users, work):
    from vigil.server.audit.models import AuditEntry

    home(users["caseworker"])
    entry = AuditEntry.objects.filter(actor_id=users["caseworker"].pk, action="list").latest("id")
    assert entry.detail["page"] == "home"
    assert set(entry.detail["ids"]) == {work["mine"].pk, work["closed"].pk}


def test_the_work_list_names_the_visits_due_and_the_open_alerts(demo_users_for_apps):
    """The inspections and national apps add their lines: the visits of the user's team due
    within a week or overdue, and the alerts waiting for a decision; a line is one click from the
    action, and only case lines are audited as case ids."""
    from django.utils import timezone

    from vigil.server.audit.models import AuditEntry
    from vigil.server.inspections.models import Visit
    from vigil.server.national.models import Alert
    from vigil.server.web.worklist import work_for

    lead, coordinator, inspector = demo_users_for_apps
    today = timezone.localdate()
    due = Visit.objects.filter(status="planned", scheduled_on__lte=today + timedelta(days=7))
    sections = {s.key: s for s in work_for(lead, today)}
    assert "visits" in sections and sections["visits"].total == due.count() > 0
    line = sections["visits"].lines[0]
    assert line.kind == "visit" and line.url == f"/inspections/visits/{line.case_id}/"
    assert "visits" not in {s.key for s in work_for(coordinator, today)}

    open_alerts = Alert.objects.filter(status="open")
    sections = {s.key: s for s in work_for(coordinator, today)}
    assert sections["alerts"].total == open_alerts.count() > 0
    assert "alerts" not in {s.key for s in work_for(inspector, today)}

    c = Client()
    c.force_login(coordinator)
    r = c.get("/")
    assert r.status_code == 200  # the coordinator lands on the work list, not the statistics page
    body = r.content.decode()
    assert f'href="/national/alerts/{open_alerts.order_by("week", "id").first().pk}/"' in body
    entry = AuditEntry.objects.filter(actor_id=coordinator.pk, action="list").latest("id")
    assert entry.detail["ids"] == []  # alert ids are not recorded as case ids


@pytest.fixture
def demo_users_for_apps(db):
    from vigil.server.accounts.models import User
    from vigil.server.cases.demo import load_demo

    load_demo()
    users = User.objects
    return tuple(users.get(username=name) for name in ("inspection_lead", "coordinator", "inspector"))
