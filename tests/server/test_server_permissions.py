"""Permission matrix: every API endpoint x every role x an in-scope and an out-of-scope record.

Each cell has an expected status; list endpoints must return exactly the visible records, and no
response may contain an identity value of a record the user may not see (zero leaks).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.server.conftest import ROLES, client_for, make_user

from vigil.server.cases import screening as screening_service
from vigil.server.cases.models import Consent, MigrationStage
from vigil.server.followups.models import FollowUp

pytestmark = pytest.mark.django_db

# Which of the fixture cases (a_caseworker, a_inspector, b) each user sees.
VISIBLE = {
    "caseworker": {"a_caseworker", "a_inspector"},  # organisation scope, org A
    "inspector": {"a_inspector"},  # own scope
    "supervisor": {"a_caseworker", "a_inspector"},  # organisation scope
    "national": {"a_caseworker", "a_inspector", "b"},  # supervisor with scope "all"
    "caseworker_b": {"b"},
    "referral_receiver": set(),  # only via referrals (not yet built)
    "analyst": set(),  # aggregates only
    "administrator": set(),  # manages users, not case content
}
CASE_ROLES = {"caseworker", "inspector", "supervisor", "national", "caseworker_b"}
ALL_CASES = {"a_caseworker", "a_inspector", "b"}


@pytest.fixture
def world(users, cases, orgs) -> dict[str, Any]:
    users = dict(users)
    users["national"] = make_user("national", "supervisor", orgs["a"], scope="all")
    stages, consents, screenings, followups = {}, {}, {}, {}
    for key, case in cases.items():
        screenings[key] = screening_service.start(case, "ilo-11", case.owner)
        followups[key] = FollowUp.objects.create(case=case, due_on="2026-01-01")
        stages[key] = MigrationStage.objects.create(
            case=case, stage="work", country="FRA", employer_or_recruiter=f"Employer of {key}"
        )
        consents[key] = Consent.objects.create(
            case=case, purpose="services", given=True, method="verbal", recorded_by=case.owner
        )
    return {
        "users": users,
        "cases": cases,
        "stages": stages,
        "consents": consents,
        "screenings": screenings,
        "followups": followups,
    }


def identity_values(case) -> list[str]:
    p = case.person
    return [p.given_name, p.family_name, p.document_number, p.address]


def assert_no_leak(response, world, visible: set[str]) -> None:
    text = response.content.decode()
    for key in ALL_CASES - visible:
        for value in identity_values(world["cases"][key]):
            assert value not in text, f"leak of {key} in {response.request['PATH_INFO']}"
        assert f"Employer of {key}" not in text


def cells(user_key: str) -> list[tuple[str, str]]:
    visible = VISIBLE[user_key]
    inside = sorted(visible)[:1]
    outside = sorted(ALL_CASES - visible)[:1]
    return [("in", k) for k in inside] + [("out", k) for k in outside]


def detail_status(user_key: str, where: str, *, capability_ok: bool) -> int:
    if not capability_ok:
        return 403
    return 200 if where == "in" else 404


@pytest.mark.parametrize("user_key", sorted(VISIBLE))
def test_list_endpoints(world, user_key):
    c = client_for(world["users"][user_key])
    visible = VISIBLE[user_key]
    for url, objects, id_of in [
        ("/api/cases/", world["cases"], lambda o: o.pk),
        ("/api/persons/", world["cases"], lambda o: o.person_id),
        ("/api/stages/", world["stages"], lambda o: o.pk),
        ("/api/consents/", world["consents"], lambda o: o.pk),
        ("/api/screenings/", world["screenings"], lambda o: o.pk),
        ("/api/followups/", world["followups"], lambda o: o.pk),
    ]:
        r = c.get(url, {"page_size": 200})
        if user_key not in CASE_ROLES:
            assert r.status_code == 403, (url, r.status_code)
        else:
            assert r.status_code == 200, (url, r.status_code)
            got = {row["id"] for row in r.json()["results"]}
            assert got == {id_of(objects[k]) for k in visible}, url
        assert_no_leak(r, world, visible)


@pytest.mark.parametrize("user_key", sorted(VISIBLE))
def test_detail_and_write_endpoints(world, user_key):
    user = world["users"][user_key]
    c = client_for(user)
    viewer = user_key in CASE_ROLES
    visible = VISIBLE[user_key]
    targets = cells(user_key) or [("out", "b")]
    if not viewer:
        targets = [("in", "a_caseworker"), ("out", "b")]
    for where, key in targets:
        case = world["cases"][key]
        stage = world["stages"][key]
        consent = world["consents"][key]
        sc = world["screenings"][key]
        fu = world["followups"][key]
        expect_read = detail_status(user_key, where, capability_ok=viewer)
        person_v, stage_v, fu_v = case.person.version, stage.version, fu.version
        answer = {"version": sc.version, "answers": {"ILO11.01": True}}
        requests = [
            ("get", f"/api/cases/{case.pk}/", None, expect_read),
            ("get", f"/api/persons/{case.person_id}/", None, expect_read),
            ("get", f"/api/stages/{stage.pk}/", None, expect_read),
            ("get", f"/api/consents/{consent.pk}/", None, expect_read),
            ("patch", f"/api/cases/{case.pk}/", {"version": case.version, "sector": "G"}, expect_read),
            ("patch", f"/api/persons/{case.person_id}/", {"version": person_v, "phone": "000"}, expect_read),
            ("patch", f"/api/stages/{stage.pk}/", {"version": stage_v, "place": "Elsewhere"}, expect_read),
            ("post", f"/api/consents/{consent.pk}/withdraw/", {}, expect_read),
            ("get", f"/api/screenings/{sc.pk}/", None, expect_read),
            ("get", f"/api/followups/{fu.pk}/", None, expect_read),
            ("patch", f"/api/followups/{fu.pk}/", {"version": fu_v, "due_on": "2026-02-01"}, expect_read),
            ("post", f"/api/followups/{fu.pk}/complete/", {"outcome": "safe"}, expect_read),
            ("patch", f"/api/screenings/{sc.pk}/", answer, expect_read),
            ("delete", f"/api/stages/{stage.pk}/", None, 204 if expect_read == 200 else expect_read),
        ]
        for method, url, body, expected in requests:
            r = getattr(c, method)(url, body, format="json") if body is not None else getattr(c, method)(url)
            assert r.status_code == expected, (user_key, where, method, url, r.status_code, r.content[:200])
            assert_no_leak(r, world, visible)
            if r.status_code >= 400:
                assert r["Content-Type"] == "application/problem+json"
        # Creating children of the case: 201 in scope; 400 (unknown case) out of scope.
        create_expect = (201 if where == "in" else 400) if viewer else 403
        r = c.post("/api/stages/", {"case": case.pk, "stage": "exit"}, format="json")
        assert r.status_code == create_expect, (user_key, where, "stage", r.content[:200])
        r = c.post(
            "/api/consents/",
            {"case": case.pk, "purpose": "statistics", "given": True, "method": "verbal"},
            format="json",
        )
        assert r.status_code == create_expect, (user_key, where, "consent", r.content[:200])
        r = c.post("/api/screenings/", {"case": case.pk, "ruleset": "ilo-11"}, format="json")
        assert r.status_code == create_expect, (user_key, where, "screening", r.content[:200])
        r = c.post("/api/cases/", {"person": case.person_id}, format="json")
        assert r.status_code == create_expect, (user_key, where, "case", r.content[:200])
        assert_no_leak(r, world, visible)


@pytest.mark.parametrize("user_key", sorted(VISIBLE))
def test_directory_and_me_for_everyone(world, user_key):
    c = client_for(world["users"][user_key])
    assert c.get("/api/organisations/").status_code == 200
    me = c.get("/api/me/")
    assert me.status_code == 200 and me.json()["username"] == world["users"][user_key].username
    r = c.post("/api/persons/", {"given_name": "New"}, format="json")
    assert r.status_code == (201 if user_key in CASE_ROLES else 403)
    r = c.post("/api/persons/search/", {"name": "New"}, format="json")
    assert r.status_code == (200 if user_key in CASE_ROLES else 403)


def test_search_does_not_cross_scope(world):
    c = client_for(world["users"]["caseworker_b"])
    doc = world["cases"]["a_caseworker"].person.document_number
    r = c.post("/api/persons/search/", {"document_number": doc}, format="json")
    assert r.status_code == 200 and r.json() == []
    assert doc not in json.dumps(r.json())


def test_inactive_user_token_refused(world):
    user = world["users"]["caseworker"]
    c = client_for(user)
    user.is_active = False
    user.save()
    assert c.get("/api/cases/").status_code == 401


# The national picture (issue 12): aggregates for national.view, releases for national.release,
# the alert inbox for alerts.manage; no response names a person (the drill-down is a page, for
# roles that may see cases: tests/server/test_server_national.py).
NATIONAL = {
    "caseworker": set(),
    "inspector": set(),
    "supervisor": {"indicators", "releases", "alerts"},
    "national": {"indicators", "releases", "alerts"},
    "caseworker_b": set(),
    "referral_receiver": set(),
    "analyst": {"indicators", "releases"},
    "administrator": set(),
}


@pytest.mark.parametrize("user_key", sorted(VISIBLE))
def test_national_endpoints(world, user_key):
    c = client_for(world["users"][user_key])
    for name, url in [
        ("indicators", "/api/national/indicators/"),
        ("releases", "/api/national/releases/"),
        ("alerts", "/api/national/alerts/"),
        ("alerts", f"/api/national/alerts/{MISSING_ALERT}/"),
    ]:
        r = c.get(url)
        allowed = name in NATIONAL[user_key]
        expected = (404 if url.endswith(f"{MISSING_ALERT}/") else 200) if allowed else 403
        assert r.status_code == expected, (user_key, url, r.status_code)
        assert_no_leak(r, world, set())
    r = c.post("/api/national/releases/", {"year": "2025"}, format="json")
    assert r.status_code == 403  # only the coordinator releases (not among these users)


MISSING_ALERT = 987654
# --- labour inspections (issue 11): every endpoint x every role ------------------------------------
@pytest.mark.parametrize("role", ROLES)
def test_inspections_endpoints_by_role(users, orgs, role):
    from tests.server.test_server_inspections_api import COUNTERS, LISTS, READERS

    from vigil.server.inspections import services
    from vigil.server.inspections.models import Workplace

    wp = Workplace.objects.create(organisation=orgs["a"], name="Matrix Farm", sector="A")
    visit = services.add_visit(users["inspection_lead"], wp, scheduled_on="2026-05-01",
                               inspectors=[users["inspector"]])
    itv = services.record_interview(visit, users["inspector"], held_in_private=True,
                                    answers={"ILO11.07": True}, worker_name="Matrix Worker")
    api = client_for(users[role])
    expected = 200 if role in READERS else 403
    for url in [*LISTS, f"/api/inspections/interviews/{itv.pk}/", f"/api/inspections/visits/{visit.pk}/"]:
        r = api.get(url)
        assert r.status_code == expected, (role, url, r.status_code)
        if expected == 403:
            assert "Matrix Worker" not in r.content.decode()
    assert api.get("/api/inspections/statistics/").status_code == (200 if role in COUNTERS else 403)
    # the same role in another organisation reads none of it
    other = client_for(users[f"{role}_b"])
    for url in (f"/api/inspections/interviews/{itv.pk}/", f"/api/inspections/visits/{visit.pk}/",
                f"/api/inspections/workplaces/{wp.pk}/"):
        assert other.get(url).status_code in (403, 404), (role, url)
# Field uploads (fieldwork app): case.create; an upload is its organisation's; its screenings are
# listed only for the cases the reader may see.
UPLOADERS = {"caseworker", "inspector", "supervisor", "national", "caseworker_b"}


@pytest.mark.parametrize("user_key", sorted(VISIBLE))
def test_fieldwork_upload_endpoints(world, user_key, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from vigil.forms import build_form
    from vigil.rules import load_ruleset

    form = build_form(load_ruleset("ilo-11"), ["en"]).to_xlsx()
    rows = b"_uuid;consent;interview/g_ILO11/ILO11.07\nperm-1;yes;yes\nperm-2;yes;no\n"
    owner = world["users"]["caseworker"]
    r = client_for(owner).post(
        "/api/fieldwork/uploads/",
        {"form": SimpleUploadedFile("f.xlsx", form), "submissions": SimpleUploadedFile("s.csv", rows)},
        format="multipart",
    )
    assert r.status_code == 201, r.content
    upload_id = r.json()["id"]
    user = world["users"][user_key]
    c = client_for(user)
    listed, detail = c.get("/api/fieldwork/uploads/"), c.get(f"/api/fieldwork/uploads/{upload_id}/")
    post = c.post("/api/fieldwork/uploads/", {}, format="multipart")
    if user_key not in UPLOADERS:
        assert (listed.status_code, detail.status_code, post.status_code) == (403, 403, 403)
    else:
        same = user.organisation_id == owner.organisation_id
        assert listed.status_code == 200 and post.status_code == 400
        assert [u["id"] for u in listed.json()] == ([upload_id] if same else [])
        assert detail.status_code == (200 if same else 404)
        if same:  # the two new intakes belong to the caseworker: an own-scope inspector sees none
            assert len(detail.json()["screenings"]) == (0 if user_key == "inspector" else 2)
    assert_no_leak(listed, world, VISIBLE[user_key])
    assert_no_leak(detail, world, VISIBLE[user_key])
