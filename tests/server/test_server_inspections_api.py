"""Inspections API: the whole flow (plan, visit, observations, interviews screened live, a worker
referred with consent, violations, completion, enforcement, follow-up) and the permission
matrix of every new endpoint for every role."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from tests.server.conftest import ROLES, client_for, make_user

from vigil.server.audit.models import AuditEntry
from vigil.server.cases.models import Case, Consent
from vigil.server.inspections import services
from vigil.server.inspections.models import Finding, Interview, Visit, Workplace
from vigil.server.referrals.models import DataSharingAgreement, Referral, ServiceProvider

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 2)
WORKER = "Rahel Worker"
CONTACT = "+33 6 12 34 56 78"
VICTIM = {"UR05": True, "D1.PN02": True}  # deceived and documents retained: forced labour


@pytest.fixture
def world(users, orgs) -> dict[str, Any]:
    lead, insp = users["inspection_lead"], users["inspector"]
    farm = Workplace.objects.create(
        organisation=orgs["a"], name="Green Farm", sector="0111", region="north", open_complaints=2
    )
    shop = Workplace.objects.create(
        organisation=orgs["a"], name="Corner Shop", sector="G", region="south", last_visit=DAY
    )
    other = Workplace.objects.create(organisation=orgs["b"], name="Far Away", sector="F", region="north")
    plan = services.create_plan(
        lead, title="Spring", region="", period_start=DAY, period_end=date(2026, 6, 30)
    )
    visit = services.add_visit(
        lead, farm, scheduled_on=DAY, inspectors=[insp], plan=plan, joint_bodies=["union"]
    )
    itv = services.record_interview(
        visit,
        insp,
        held_in_private=True,
        answers=VICTIM,
        age=34,
        worker_name=WORKER,
        worker_contact=CONTACT,
        language="am",
    )
    return {"farm": farm, "shop": shop, "other": other, "plan": plan, "visit": visit, "interview": itv}


# --- the permission matrix ---------------------------------------------------------------------

READERS = {"inspector", "inspection_lead"}
COUNTERS = {"inspector", "inspection_lead", "analyst"}
LISTS = [
    "/api/inspections/workplaces/",
    "/api/inspections/plans/",
    "/api/inspections/visits/",
    "/api/inspections/observations/",
    "/api/inspections/interviews/",
    "/api/inspections/findings/",
    "/api/inspections/actions/",
    "/api/inspections/worklist/",
]


@pytest.mark.parametrize("role", ROLES)
def test_only_the_inspectorate_reads(world, users, role):
    api = client_for(users[role])
    for url in LISTS:
        r = api.get(url)
        assert r.status_code == (200 if role in READERS else 403), (role, url, r.status_code)
    for key in ("interview", "visit", "farm"):
        obj = world[key]
        base = {"interview": "interviews", "visit": "visits", "farm": "workplaces"}[key]
        r = api.get(f"/api/inspections/{base}/{obj.pk}/")
        assert r.status_code == (200 if role in READERS else 403), (role, key, r.status_code)
    r = api.get("/api/inspections/statistics/")
    assert r.status_code == (200 if role in COUNTERS else 403), (role, r.status_code)
    if role not in READERS:
        assert WORKER not in r.content.decode()


@pytest.mark.parametrize("role", ["inspector", "inspection_lead"])
def test_another_inspectorate_sees_nothing(world, users, role):
    api = client_for(users[f"{role}_b"])
    for url in LISTS:
        text = api.get(url).content.decode()
        for name in ("Green Farm", "Corner Shop", "Spring", WORKER):
            assert name not in text, (role, url)
    for url in ("/api/inspections/visits/", "/api/inspections/interviews/", "/api/inspections/plans/"):
        assert api.get(url).json()["results"] == [], (role, url)
    assert api.get(f"/api/inspections/interviews/{world['interview'].pk}/").status_code == 404


def test_an_inspector_off_the_team_reads_no_interview(world, orgs):
    outsider = make_user("inspector_a2", "inspector", orgs["a"])
    api = client_for(outsider)
    assert api.get("/api/inspections/interviews/").json()["results"] == []
    assert api.get(f"/api/inspections/interviews/{world['interview'].pk}/").status_code == 404
    assert api.get(f"/api/inspections/visits/{world['visit'].pk}/").status_code == 404
    # the register is the inspectorate's: every inspector of it reads workplaces
    assert api.get(f"/api/inspections/workplaces/{world['farm'].pk}/").status_code == 200


@pytest.mark.parametrize("role", ROLES)
def test_writes_need_the_capability(world, users, role):
    api = client_for(users[role])
    r = api.post(
        "/api/inspections/plans/",
        {"title": "x", "period_start": "2026-01-01", "period_end": "2026-02-01"},
        format="json",
    )
    assert r.status_code == (201 if role == "inspection_lead" else 403), (role, r.status_code)
    r = api.post(
        "/api/inspections/visits/",
        {"workplace": world["shop"].pk, "scheduled_on": "2026-04-01"},
        format="json",
    )
    assert r.status_code == (201 if role == "inspection_lead" else 403), (role, r.status_code)
    r = api.post(
        "/api/inspections/findings/", {"visit": world["visit"].pk, "category": "wages"}, format="json"
    )
    assert r.status_code == (201 if role in READERS else 403), (role, r.status_code)


# --- the flow ----------------------------------------------------------------------------------


def test_interview_is_screened_live_and_traceable(world, users):
    api = client_for(users["inspector"])
    r = api.post(
        "/api/inspections/interviews/",
        {
            "visit": world["visit"].pk,
            "held_in_private": True,
            "age": "41",
            "answers": {"EX01": True, "EX04": True, "ILO11.11": True},
            "worker_name": "Second Worker",
        },
        format="json",
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["category"] in {"labour_violation", "forced_labour_indicators", "needs_further_assessment"}
    assert body["presumed_victim"] is False
    assert body["ruleset"] and body["ruleset_version"] and body["decided_by"]
    assert "EX01" in body["fired"]
    first = api.get(f"/api/inspections/interviews/{world['interview'].pk}/").json()
    assert first["category"] == "forced_labour"
    assert first["ruleset"] == "ilo-2012-forced-labour"
    assert first["worker_name"] == WORKER
    listed = api.get("/api/inspections/interviews/").content.decode()
    assert WORKER not in listed and CONTACT not in listed
    # the read of one interview is audited naming the identity fields read
    entry = AuditEntry.objects.filter(action="view", object_type="interview").latest("id")
    assert "worker_name" in entry.detail["fields"]


def test_interview_refusals(world, users):
    api = client_for(users["inspector"])
    base = {"visit": world["visit"].pk, "age": "30", "answers": {"PN02": True}}
    r = api.post("/api/inspections/interviews/", {**base, "held_in_private": False}, format="json")
    assert r.status_code == 400 and "held_in_private" in r.content.decode()
    r = api.post(
        "/api/inspections/interviews/",
        {**base, "held_in_private": True, "facts": {"stay_compliant": False}},
        format="json",
    )
    assert r.status_code == 400 and "migration status" in r.content.decode()
    assert Interview.objects.count() == 1


def test_refer_a_presumed_victim_with_consent(world, users, orgs):
    shelter_org = orgs["b"]
    shelter = ServiceProvider.objects.create(
        organisation=shelter_org, name="Safe House", service_type="shelter"
    )
    DataSharingAgreement.objects.create(
        discloser=orgs["a"],
        recipient=shelter_org,
        legal_basis="MoU",
        fields=["given_name", "primary_language"],
        signed_on=date(2025, 1, 1),
    )
    api = client_for(users["inspector"])
    url = f"/api/inspections/interviews/{world['interview'].pk}/refer/"
    r = api.post(url, {"provider": shelter.pk, "consent_given": False}, format="json")
    assert r.status_code == 400 and "consent" in r.content.decode()
    assert Case.objects.count() == 0
    r = api.post(url, {"provider": shelter.pk, "consent_given": True}, format="json")
    assert r.status_code == 200, r.content
    itv = Interview.objects.get(pk=world["interview"].pk)
    case = itv.case
    assert case is not None and (case.person.given_name, case.person.family_name) == ("Rahel", "Worker")
    assert case.exploitation_types == ["ForcedLabour"]  # the HTCDS code of the case's field
    assert Consent.objects.get(case=case).purpose == "referral"
    ref = Referral.objects.get(case=case)
    assert ref.provider == shelter and ref.shared_fields == ["given_name", "primary_language"]
    assert case.screenings.get().ruleset == "ilo-2012-forced-labour"
    assert api.post(url, {"provider": shelter.pk, "consent_given": True}, format="json").status_code == 400
    # the lead plans and reads, but opens no case: the interviewer refers
    lead = client_for(users["inspection_lead"])
    assert lead.post(url, {"provider": shelter.pk, "consent_given": True}, format="json").status_code == 400


def test_complete_enforce_and_follow_up(world, users):
    api = client_for(users["inspector"])
    v = world["visit"]
    assert (
        api.post(
            "/api/inspections/observations/", {"visit": v.pk, "kind": "locked_doors"}, format="json"
        ).status_code
        == 201
    )
    assert (
        api.post(
            "/api/inspections/findings/", {"visit": v.pk, "category": "hours"}, format="json"
        ).status_code
        == 201
    )
    r = api.post(f"/api/inspections/visits/{v.pk}/complete/", {"carried_out_on": "2026-03-03"}, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["outcome"] == "forced_labour"
    kinds = sorted(Finding.objects.filter(visit=v).values_list("kind", flat=True))
    assert kinds.count("violation") == 1 and "forced_labour" in kinds and "indicator" in kinds
    assert Workplace.objects.get(pk=world["farm"].pk).last_visit == date(2026, 3, 3)
    # a closed visit takes no more observations
    assert (
        api.post(
            "/api/inspections/observations/", {"visit": v.pk, "kind": "guards"}, format="json"
        ).status_code
        == 400
    )
    r = api.post(
        "/api/inspections/actions/",
        {"visit": v.pk, "kind": "notice", "description": "Pay overtime", "deadline": "2026-04-01"},
        format="json",
    )
    assert r.status_code == 201, r.content
    action_id = r.json()["id"]
    r = api.post(f"/api/inspections/visits/{v.pk}/follow-up/", {"scheduled_on": "2026-04-02"}, format="json")
    assert r.status_code == 201
    follow = Visit.objects.get(pk=r.json()["id"])
    assert follow.kind == "follow_up" and follow.follows_id == v.pk
    assert set(follow.inspectors.all()) == {users["inspector"]}
    r = api.post(
        f"/api/inspections/actions/{action_id}/verify/",
        {"visit": follow.pk, "status": "complied"},
        format="json",
    )
    assert r.status_code == 200 and r.json()["status"] == "complied"


def test_worklist_ranks_with_reasons(world, users):
    r = client_for(users["inspection_lead"]).get("/api/inspections/worklist/")
    lines = r.json()
    assert [ln["name"] for ln in lines] == ["Green Farm", "Corner Shop"]  # org B's workplace not listed
    assert lines[0]["reason"].startswith("sector 0111")
    assert {c["component"] for c in lines[0]["components"]} >= {"sector", "findings", "last_visit"}
    assert lines[0]["version"] == "2026.2"
    north = client_for(users["inspection_lead"]).get("/api/inspections/worklist/?region=south").json()
    assert [ln["name"] for ln in north] == ["Corner Shop"]


def test_statistics_are_counts_only(world, users):
    services.complete_visit(world["visit"], users["inspector"], carried_out_on=DAY)
    body = client_for(users["analyst"]).get("/api/inspections/statistics/").json()
    assert body["visits"] == [{"outcome": "forced_labour", "n": 1}]
    text = str(body)
    assert WORKER not in text and "Green Farm" not in text


def test_findings_and_actions_say_what_not_who(world, users):
    api = client_for(users["inspector"])
    v = world["visit"]
    r = api.post(
        "/api/inspections/findings/",
        {"visit": v.pk, "category": "wages", "description": "Rahel was paid nothing"},
        format="json",
    )
    assert r.status_code == 400 and "description" in r.content.decode()
    r = api.post(
        "/api/inspections/actions/",
        {"visit": v.pk, "kind": "notice", "description": "call 06 12 34 56 78"},
        format="json",
    )
    assert r.status_code == 400
    assert Finding.objects.filter(visit=v).count() == 0


def test_small_cells_by_sector_are_suppressed(world, users):
    services.complete_visit(world["visit"], users["inspector"], carried_out_on=DAY)
    body = client_for(users["analyst"]).get("/api/inspections/statistics/").json()
    assert body["visits_by_sector"] == [
        {"sector": "0111", "outcome": "forced_labour", "n": None, "suppressed": True}
    ]


def test_the_server_worklist_equals_the_reference(orgs):
    """services.worklist (one query per table, numpy) gives each workplace the score the
    one-workplace reference gives on the same records (findings, registry status of recruiters)."""
    import random

    from vigil.inspections.planning import PastFinding, load_weights, score_workplace
    from vigil.inspections.planning import Workplace as Plain
    from vigil.server.recruitment.models import Agency, FeeReport, Licence

    rng = random.Random(11)
    ok = Agency.objects.create(legal_name="Licensed", country="FRA")
    Licence.objects.create(agency=ok, number="L-OK", issuer="M", valid_from=date(2020, 1, 1))
    bad = Agency.objects.create(legal_name="Unlicensed", country="FRA")
    FeeReport.objects.create(
        agency=bad,
        amount=100,
        currency="USD",
        purpose="recruitment fee",
        payee="recruiter",
        channel="upfront",
    )
    wps = []
    for i in range(30):
        wp = Workplace.objects.create(
            organisation=orgs["a"],
            name=f"W{i}",
            sector=rng.choice(["A", "0111", "1410", "F", "J"]),
            region=rng.choice(["n", "s"]),
            open_complaints=rng.randint(0, 3),
            unregistered_recruiters=rng.randint(0, 1),
            supply_exposure=rng.choice([None, rng.random()]),
            last_visit=rng.choice([None, date(2024, 1, 1) + timedelta(days=rng.randint(0, 800))]),
        )
        wp.recruiters.set(rng.sample([ok, bad], rng.randint(0, 2)))
        for _ in range(rng.randint(0, 4)):
            kind = rng.choice(["violation", "indicator", "forced_labour"])
            Finding.objects.create(
                workplace=wp,
                kind=kind,
                category="wages" if kind == "violation" else "",
                found_on=date(2023, 1, 1) + timedelta(days=rng.randint(0, 1200)),
            )
        wps.append(wp)
    day = date(2026, 6, 1)
    lines = services.worklist(Workplace.objects.all(), as_of=day)
    assert len(lines) == 30
    w = load_weights()
    for ln in lines:
        wp = ln.workplace
        links = list(wp.recruiters.all())
        ref = score_workplace(
            Plain(
                str(wp.pk),
                wp.name,
                wp.sector,
                wp.region,
                wp.open_complaints,
                wp.unregistered_recruiters + sum(1 for a in links if a.licence_status() == "none"),
                sum(1 for a in links if a.fee_reports.filter(breach=True).exists()),
                wp.supply_exposure,
                wp.last_visit,
            ),
            [PastFinding(str(wp.pk), f.kind, f.found_on) for f in wp.findings.all()],
            w,
            day,
        )
        assert ln.score == pytest.approx(sum(c.points for c in ref), abs=1e-9), wp.name
    assert [ln.score for ln in lines] == sorted((ln.score for ln in lines), reverse=True)


def test_a_visit_cannot_be_moved_outside_the_inspectorate(world, users):
    api = client_for(users["inspection_lead"])
    v = world["visit"]
    r = api.patch(f"/api/inspections/visits/{v.pk}/", {"workplace": world["other"].pk}, format="json")
    assert r.status_code == 400 and "workplace" in r.content.decode()
    r = api.patch(
        f"/api/inspections/visits/{v.pk}/", {"inspectors": [users["inspector_b"].pk]}, format="json"
    )
    assert r.status_code == 400 and "inspectors" in r.content.decode()
    r = api.patch(f"/api/inspections/visits/{v.pk}/", {"joint_bodies": ["police", "union"]}, format="json")
    assert r.status_code == 200 and r.json()["joint_bodies"] == ["police", "union"]
    assert Visit.objects.get(pk=v.pk).workplace == world["farm"]
