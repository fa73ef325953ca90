"""Inspection pages: who reaches them, and the flow a lead and an inspector walk through
(plan a visit, observations, two interviews, a referral with consent, completion, an
enforcement notice, a follow-up that verifies it)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client
from tests.server.conftest import ROLES

from vigil.server import scoping
from vigil.server.audit.models import AuditEntry
from vigil.server.inspections import services
from vigil.server.inspections.models import EnforcementAction, Interview, Visit, Workplace
from vigil.server.referrals.models import DataSharingAgreement, Referral, ServiceProvider

pytestmark = pytest.mark.django_db
TODAY = date.today()


def browser(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def farm(orgs):
    return Workplace.objects.create(
        organisation=orgs["a"], name="Hill Farm", sector="0113", region="north", open_complaints=1
    )


@pytest.mark.parametrize("role", ROLES)
def test_who_reaches_the_pages(farm, users, role):
    c = browser(users[role])
    inside = role in {"inspector", "inspection_lead"}
    for url in (
        "/inspections/",
        "/inspections/plans/",
        "/inspections/workplaces/",
        f"/inspections/workplaces/{farm.pk}/",
        "/inspections/visit-form.xlsx",
    ):
        r = c.get(url)
        assert r.status_code == (200 if inside else 403), (role, url)
    r = c.get("/inspections/statistics/")
    assert r.status_code == (200 if role in {"inspector", "inspection_lead", "analyst"} else 403)
    r = c.get(f"/inspections/workplaces/{farm.pk}/plan-visit/")
    assert r.status_code == (200 if role == "inspection_lead" else 403)
    home = c.get("/").content.decode()
    assert ('id="nav-inspections"' in home) == inside


def test_the_walk(farm, users, orgs):
    lead, insp = users["inspection_lead"], users["inspector"]
    shelter = ServiceProvider.objects.create(
        organisation=orgs["b"], name="Safe House", service_type="shelter"
    )
    DataSharingAgreement.objects.create(
        discloser=orgs["a"],
        recipient=orgs["b"],
        legal_basis="MoU",
        fields=["given_name", "primary_language"],
        signed_on=date(2025, 1, 1),
    )
    c = browser(lead)
    page = c.get("/inspections/").content.decode()
    assert "Hill Farm" in page and "sector 0113" in page and "Plan a visit" in page
    r = c.post(
        "/inspections/plans/",
        {
            "title": "North",
            "region": "north",
            "period_start": TODAY.isoformat(),
            "period_end": (TODAY + timedelta(days=60)).isoformat(),
        },
    )
    assert r.status_code == 302
    plan = scoping.inspection_plans_for(lead).get()
    r = c.post(
        f"/inspections/workplaces/{farm.pk}/plan-visit/",
        {
            "plan": plan.pk,
            "scheduled_on": TODAY.isoformat(),
            "inspectors": [insp.pk],
            "joint_bodies": ["police"],
        },
    )
    assert r.status_code == 302
    visit = Visit.objects.get()
    assert visit.joint_bodies == ["police"] and visit.planned_reason.startswith("sector 0113")
    c = browser(insp)
    r = c.post(
        f"/inspections/visits/{visit.pk}/",
        {"form": "observations", "locked_doors": "on", "documents_retained": "on"},
    )
    assert r.status_code == 302
    r = c.post(
        f"/inspections/visits/{visit.pk}/interviews/new/",
        {
            "held_in_private": "on",
            "age": "29",
            "worker_name": "Lina Field",
            "language": "ne",
            "q_ILO11.07": "yes",
            "q_UR05": "yes",
            "q_PN02": "yes",
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    victim = Interview.objects.get(worker_name__isnull=False, presumed_victim=True)
    assert victim.answers == {"ILO11.07": True, "UR05": True, "PN02": True}
    page = c.get(f"/inspections/interviews/{victim.pk}/").content.decode()
    assert "Presumed victim of forced labour" in page and "ilo-2012-forced-labour" in page
    assert AuditEntry.objects.filter(
        action="view", object_type="interview", object_id=str(victim.pk)
    ).exists()
    r = c.post(
        f"/inspections/visits/{visit.pk}/interviews/new/",
        {"held_in_private": "on", "age": "44", "q_WD01": "yes", "q_UR05": "no", "q_PN02": "no"},
    )
    assert r.status_code == 302
    second = Interview.objects.exclude(pk=victim.pk).get()
    assert not second.presumed_victim and "WD01" in second.fired
    assert Interview.objects.count() == 2
    # not in private: refused
    r = c.post(f"/inspections/visits/{visit.pk}/interviews/new/", {"age": "30", "q_ILO11.03": "yes"})
    assert r.status_code == 200 and Interview.objects.count() == 2
    # refer without consent: refused; with consent: a case and a referral
    r = c.post(f"/inspections/interviews/{victim.pk}/", {"provider": shelter.pk, "consent_method": "verbal"})
    assert r.status_code == 200 and not Referral.objects.exists()
    r = c.post(
        f"/inspections/interviews/{victim.pk}/",
        {"provider": shelter.pk, "consent_given": "on", "consent_method": "verbal"},
    )
    assert r.status_code == 302
    assert Referral.objects.get().provider == shelter
    r = c.post(
        f"/inspections/visits/{visit.pk}/",
        {"form": "violation", "category": "hours", "description": "70 hours a week"},
    )
    assert r.status_code == 302
    assert c.post(f"/inspections/visits/{visit.pk}/", {"form": "complete"}).status_code == 302
    visit.refresh_from_db()
    assert visit.outcome == "forced_labour" and visit.status == "completed"
    r = c.post(
        f"/inspections/visits/{visit.pk}/",
        {
            "form": "action",
            "kind": "notice",
            "description": "Return the documents",
            "deadline": (TODAY + timedelta(days=10)).isoformat(),
        },
    )
    assert r.status_code == 302
    r = c.post(
        f"/inspections/visits/{visit.pk}/",
        {"form": "follow_up", "scheduled_on": (TODAY + timedelta(days=11)).isoformat()},
    )
    assert r.status_code == 302
    follow = Visit.objects.get(kind="follow_up")
    page = c.get(f"/inspections/visits/{follow.pk}/").content.decode()
    assert "Return the documents" in page
    act = EnforcementAction.objects.get()
    r = c.post(
        f"/inspections/visits/{follow.pk}/", {"form": "verify", "action": act.pk, "status": "complied"}
    )
    assert r.status_code == 302
    act.refresh_from_db()
    assert act.status == "complied" and act.verified_by == follow
    # the analyst's page: counts only
    page = browser(users["analyst"]).get("/inspections/statistics/").content.decode()
    assert "forced_labour" in page and "Hill Farm" not in page and "Lina" not in page


def test_an_inspector_off_the_team_cannot_open_the_interview(farm, users, orgs):
    from tests.server.conftest import make_user

    visit = services.add_visit(
        users["inspection_lead"], farm, scheduled_on=TODAY, inspectors=[users["inspector"]]
    )
    itv = services.record_interview(
        visit, users["inspector"], held_in_private=True, answers={"ILO11.07": True}
    )
    other = browser(make_user("inspector_x", "inspector", orgs["a"]))
    assert other.get(f"/inspections/interviews/{itv.pk}/").status_code == 404
    assert other.get(f"/inspections/visits/{visit.pk}/").status_code == 404
