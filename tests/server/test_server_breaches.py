"""Breach register (R14): permission cells, the report -> close workflow, access review from the
audit log, account suspension, audit without identity values, CSV safety, French."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient
from tests.server.conftest import PASSWORD, client_for, make_user

from vigil.io.spreadsheet import formula_safe
from vigil.server.accounts.models import ApiToken
from vigil.server.audit.models import AuditEntry
from vigil.server.breaches import access_review
from vigil.server.breaches.models import AccountSuspension, BreachIncident, BreachNotification

pytestmark = pytest.mark.django_db

DESCRIPTION = "Laptop left on the 8:15 train; it held the intake notes of two cases."


def logged_in(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def world(users, cases, orgs) -> dict[str, Any]:
    """inc_a: reported by the caseworker of org A, affects A's case; inc_b: by org B, affects B's."""
    inc_a = BreachIncident.objects.create(
        title="Lost laptop",
        description=DESCRIPTION,
        discovered_at=timezone.now(),
        reported_by=users["caseworker"],
    )
    inc_a.cases.add(cases["a_caseworker"])
    inc_b = BreachIncident.objects.create(
        title="Misdirected e-mail", discovered_at=timezone.now(), reported_by=users["caseworker_b"]
    )
    inc_b.cases.add(cases["b"])
    users = {**users, "target_a": make_user("target_a", "caseworker", orgs["a"])}
    users["target_b"] = make_user("target_b", "caseworker", orgs["b"])
    return {"users": users, "cases": cases, "orgs": orgs, "a": inc_a, "b": inc_b}


# --- permission cells ----------------------------------------------------------------------------
# Users of the fixture: <role> in org A (caseworker reported inc_a), <role>_b in org B
# (caseworker_b reported inc_b), caseworker_a2 a colleague in org A who reported nothing.
USERS = [
    "caseworker",
    "caseworker_a2",
    "inspector",
    "supervisor",
    "referral_receiver",
    "analyst",
    "administrator",
    "caseworker_b",
    "supervisor_b",
    "administrator_b",
]


def _expect(table: dict[str, tuple[int, int]], user: str) -> tuple[int, int]:
    return table.get(user, table["*"])


# (status for the org-A target, status for the org-B target)
RETRIEVE = {
    "administrator": (200, 200),
    "administrator_b": (200, 200),
    "supervisor": (200, 404),
    "supervisor_b": (404, 200),
    "caseworker": (200, 404),  # own report
    "caseworker_b": (404, 200),  # own report
    "*": (404, 404),
}
MANAGE = {"administrator": (200, 200), "administrator_b": (200, 200), "*": (403, 403)}
FULL_READ = {
    "administrator": (200, 200),
    "administrator_b": (200, 200),
    "supervisor": (200, 404),
    "supervisor_b": (404, 200),
    "caseworker": (403, 404),  # sees own report, not its notifications or review
    "caseworker_b": (404, 403),
    "*": (404, 404),
}
REVIEW_RECORD = {
    "administrator": (200, 200),
    "administrator_b": (200, 200),
    "supervisor": (200, 404),
    "supervisor_b": (404, 200),
    "*": (403, 403),
}
CONTAIN = {"administrator": (200, 200), "administrator_b": (200, 200), "*": (403, 403)}


def _call(world: dict[str, Any], endpoint: str, user: str, target: str) -> int:
    c = client_for(world["users"][user])
    inc = world[target]
    case = world["cases"]["a_caseworker" if target == "a" else "b"]
    if endpoint == "retrieve":
        return c.get(f"/api/breaches/{inc.pk}/").status_code
    if endpoint == "update":
        version = BreachIncident.objects.get(pk=inc.pk).version
        body = {"severity": "critical", "version": version}
        return c.patch(f"/api/breaches/{inc.pk}/", body, format="json").status_code
    if endpoint == "status":
        return c.post(f"/api/breaches/{inc.pk}/status/", {"status": "assessing"}, format="json").status_code
    if endpoint == "notify":
        body = {"recipient": "dpo", "method": "email"}
        r = c.post(f"/api/breaches/{inc.pk}/notifications/", body, format="json")
        return 200 if r.status_code == 201 else r.status_code
    if endpoint == "notifications":
        return c.get(f"/api/breaches/{inc.pk}/notifications/").status_code
    if endpoint == "cases":
        other = world["cases"]["a_inspector"].reference
        return c.post(f"/api/breaches/{inc.pk}/cases/", {"add": [other]}, format="json").status_code
    if endpoint == "incident_review":
        return c.get(f"/api/breaches/{inc.pk}/access-review/").status_code
    if endpoint == "review_record":
        return c.get("/api/access-review/record/", {"case": case.reference}).status_code
    if endpoint == "review_user":
        someone = world["users"]["caseworker_a2" if target == "a" else "caseworker_b"]
        return c.get(f"/api/access-review/user/{someone.pk}/").status_code
    if endpoint == "suspend":
        someone = world["users"][f"target_{target}"]
        return c.post(
            f"/api/accounts/{someone.pk}/suspend/", {"reason": "containment"}, format="json"
        ).status_code
    if endpoint == "reactivate":
        someone = world["users"][f"target_{target}"]
        someone.is_active = False
        someone.save(update_fields=["is_active"])
        return c.post(
            f"/api/accounts/{someone.pk}/reactivate/", {"reason": "cleared"}, format="json"
        ).status_code
    raise AssertionError(endpoint)


ENDPOINTS = {
    "retrieve": RETRIEVE,
    "update": MANAGE,
    "status": MANAGE,
    "notify": MANAGE,
    "cases": MANAGE,
    "notifications": FULL_READ,
    "incident_review": FULL_READ,
    "review_record": REVIEW_RECORD,
    "review_user": REVIEW_RECORD,
    "suspend": CONTAIN,
    "reactivate": CONTAIN,
}


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
@pytest.mark.parametrize("user", USERS)
def test_permission_cell(world, endpoint, user):
    expected = _expect(ENDPOINTS[endpoint], user)
    got = (_call(world, endpoint, user, "a"), _call(world, endpoint, user, "b"))
    assert got == expected


LIST_SEES = {
    "administrator": {"a", "b"},
    "administrator_b": {"a", "b"},
    "supervisor": {"a"},
    "supervisor_b": {"b"},
    "caseworker": {"a"},
    "caseworker_b": {"b"},
}


@pytest.mark.parametrize("user", USERS)
def test_list_shows_exactly_the_visible_incidents(world, user):
    r = client_for(world["users"][user]).get("/api/breaches/")
    assert r.status_code == 200
    got = {row["reference"] for row in r.json()["results"]}
    assert got == {world[k].reference for k in LIST_SEES.get(user, set())}


@pytest.mark.parametrize("user", USERS)
def test_every_role_may_report(world, user):
    r = client_for(world["users"][user]).post(
        "/api/breaches/",
        {"title": "Phone stolen", "discovered_at": timezone.now().isoformat()},
        format="json",
    )
    assert r.status_code == 201
    assert r.json()["reference"].startswith(f"BR-{timezone.now().year}-")


def test_anonymous_gets_401(world):
    anon = APIClient()
    assert anon.get("/api/breaches/").status_code == 401
    assert anon.post(f"/api/accounts/{world['users']['caseworker'].pk}/suspend/", {}).status_code == 401
    assert anon.get("/api/access-review/record/", {"case": "1"}).status_code == 401


def test_no_destroy_and_no_put(world):
    c = client_for(world["users"]["administrator"])
    assert c.delete(f"/api/breaches/{world['a'].pk}/").status_code == 405
    assert c.put(f"/api/breaches/{world['a'].pk}/", {}, format="json").status_code == 405
    assert BreachIncident.objects.filter(pk=world["a"].pk).exists()


def test_reporter_sees_short_view_supervisor_sees_only_own_org_cases(world):
    cases = world["cases"]
    world["a"].cases.add(cases["b"])  # an incident spanning both organisations
    short = client_for(world["users"]["caseworker"]).get(f"/api/breaches/{world['a'].pk}/").json()
    assert short["full"] is False and "affected_cases" not in short and "notifications" not in short
    sup = client_for(world["users"]["supervisor"]).get(f"/api/breaches/{world['a'].pk}/").json()
    assert sup["full"] is True and sup["allowed_next"] == []
    assert [c["reference"] for c in sup["affected_cases"]] == [cases["a_caseworker"].reference]
    assert sup["affected_case_count"] == 2
    assert {o["name"] for o in sup["affected_organisations"]} == {"Inspectorate A", "NGO B"}
    # Org B's supervisor now sees the incident too (it affects one of B's cases), with B's case only.
    sup_b = client_for(world["users"]["supervisor_b"]).get(f"/api/breaches/{world['a'].pk}/").json()
    assert [c["reference"] for c in sup_b["affected_cases"]] == [cases["b"].reference]


def test_reads_of_the_register_are_audited(world):
    admin = world["users"]["administrator"]
    c = client_for(admin)
    c.get("/api/breaches/")
    c.get(f"/api/breaches/{world['a'].pk}/")
    listed = AuditEntry.objects.get(actor_id=admin.pk, action="list", object_type="breach")
    assert set(listed.detail["ids"]) == {world["a"].pk, world["b"].pk}
    assert AuditEntry.objects.filter(
        actor_id=admin.pk, action="view", object_type="breach", object_id=str(world["a"].pk)
    ).exists()


# --- workflow ------------------------------------------------------------------------------------
def test_report_to_close_with_notifications(users, cases, orgs):
    reporter = client_for(users["caseworker"])
    r = reporter.post(
        "/api/breaches/",
        {
            "title": "Laptop lost",
            "description": DESCRIPTION,
            "category": "lost_device",
            "discovered_at": timezone.now().isoformat(),
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    pk = r.json()["id"]
    admin = client_for(users["administrator"])

    r = admin.patch(
        f"/api/breaches/{pk}/",
        {
            "severity": "critical",
            "estimated_records": 40,
            "organisations": [orgs["b"].pk],
            "version": r.json()["version"],
        },
        format="json",
    )
    assert r.status_code == 200 and r.json()["severity"] == "critical"
    ref = cases["a_caseworker"].reference
    r = admin.post(f"/api/breaches/{pk}/cases/", {"add": [ref.lower(), "VG-0000-NOTACASE"]}, format="json")
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "add"
    r = admin.post(f"/api/breaches/{pk}/cases/", {"add": [ref]}, format="json")
    assert [c["reference"] for c in r.json()["affected_cases"]] == [ref]

    def move(to: str, **extra: Any) -> Any:
        return admin.post(f"/api/breaches/{pk}/status/", {"status": to, **extra}, format="json")

    r = move("notified")  # not allowed from "reported"
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "status"
    assert move("assessing", note="checking the device log").status_code == 200
    assert move("contained").status_code == 200
    r = move("notified")
    assert r.status_code == 400 and "notification" in r.json()["errors"][0]["detail"]

    r = admin.post(
        f"/api/breaches/{pk}/notifications/", {"recipient": "organisation", "method": "phone"}, format="json"
    )
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "organisation"
    r = admin.post(
        f"/api/breaches/{pk}/notifications/", {"recipient": "dpo", "method": "email"}, format="json"
    )
    assert r.status_code == 201
    r = admin.post(
        f"/api/breaches/{pk}/notifications/",
        {
            "recipient": "organisation",
            "organisation": orgs["b"].pk,
            "method": "phone",
            "note": "called the head",
        },
        format="json",
    )
    assert r.status_code == 201
    assert move("notified").status_code == 200
    r = move("closed")
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "closure_summary"
    r = move("closed", closure_summary="Device wiped remotely; both persons informed and safe.")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "closed" and body["closed_at"]
    assert [(h["from_status"], h["to_status"], h["changed_by"]) for h in body["status_history"]] == [
        ("reported", "assessing", "administrator"),
        ("assessing", "contained", "administrator"),
        ("contained", "notified", "administrator"),
        ("notified", "closed", "administrator"),
    ]
    assert [n["recipient"] for n in body["notifications"]] == ["dpo", "organisation"]
    assert BreachNotification.objects.filter(incident_id=pk).count() == 2

    statuses = AuditEntry.objects.filter(action="breach_status", object_type="breach", object_id=str(pk))
    assert [(e.detail["from"], e.detail["to"]) for e in statuses.order_by("id")] == [
        ("reported", "assessing"),
        ("assessing", "contained"),
        ("contained", "notified"),
        ("notified", "closed"),
    ]
    # The supervisor of org A reads it (its case is affected), cannot change it.
    sup = client_for(users["supervisor"])
    assert sup.get(f"/api/breaches/{pk}/notifications/").status_code == 200
    assert sup.post(f"/api/breaches/{pk}/status/", {"status": "assessing"}, format="json").status_code == 403
    # Reopen for assessment.
    assert move("assessing", note="new facts").json()["closed_at"] is None


def test_bad_input_names_the_field(world):
    admin = client_for(world["users"]["administrator"])
    now = timezone.now()
    r = admin.post("/api/breaches/", {"discovered_at": now.isoformat()}, format="json")
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "title"
    r = admin.post(
        "/api/breaches/",
        {
            "title": "x",
            "discovered_at": now.isoformat(),
            "occurred_from": now.isoformat(),
            "occurred_to": (now - timedelta(days=1)).isoformat(),
        },
        format="json",
    )
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "occurred_to"
    r = admin.post(
        "/api/breaches/",
        {"title": "x", "discovered_at": (now + timedelta(days=2)).isoformat()},
        format="json",
    )
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "discovered_at"
    r = admin.get("/api/breaches/", {"severity": "apocalyptic"})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "severity"


def test_references_are_sequential_within_the_year(users):
    c = client_for(users["caseworker"])
    year = timezone.now().year
    refs = [
        c.post(
            "/api/breaches/", {"title": "t", "discovered_at": timezone.now().isoformat()}, format="json"
        ).json()["reference"]
        for _ in range(3)
    ]
    assert refs == [f"BR-{year}-0001", f"BR-{year}-0002", f"BR-{year}-0003"]


# --- access review -------------------------------------------------------------------------------
def _rows(review_json: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(r["actor_username"], r["action"], r["match"]) for r in review_json["rows"]]


def test_review_finds_api_view_api_list_web_list_and_person_view(users, cases, orgs):
    case = cases["a_caseworker"]
    cw = client_for(users["caseworker"])
    assert cw.get(f"/api/cases/{case.pk}/").status_code == 200  # a view of the case
    assert cw.get("/api/cases/").status_code == 200  # a list that shows it
    assert logged_in(users["caseworker_a2"]).get("/cases/").status_code == 200  # a web list
    assert cw.get(f"/api/persons/{case.person_id}/").status_code == 200  # a view of the person
    client_for(users["caseworker_b"]).get("/api/cases/")  # org B's list: does not show the case

    sup = client_for(users["supervisor"])
    r = sup.get("/api/access-review/record/", {"case": case.reference})
    assert r.status_code == 200, r.json()
    assert sorted(_rows(r.json())) == sorted(
        [
            ("caseworker", "view", "case"),
            ("caseworker", "list", "list"),
            ("caseworker_a2", "list", "list"),
            ("caseworker", "view", "person"),
        ]
    )
    assert all(row["cases"] == [case.reference] for row in r.json()["rows"])
    # By id too, and the review itself is audited (ids and dates, no reference, no name).
    assert sorted(_rows(sup.get("/api/access-review/record/", {"case": str(case.pk)}).json())) == sorted(
        _rows(r.json())
    )
    entry = AuditEntry.objects.filter(action="access_review", actor_id=users["supervisor"].pk).first()
    assert entry.detail["case"] == case.pk and entry.detail["entries"] == 4


def test_review_of_a_user(users, cases):
    case = cases["a_caseworker"]
    cw = client_for(users["caseworker"])
    cw.get(f"/api/cases/{case.pk}/")
    cw.get(f"/api/cases/{case.pk}/")
    cw.patch(f"/api/cases/{case.pk}/", {"sector": "A", "version": 1}, format="json")
    cw.get("/api/cases/")
    r = client_for(users["supervisor"]).get(f"/api/access-review/user/{users['caseworker'].pk}/")
    assert r.status_code == 200
    rows = {(x["object_type"], x["object_id"]): x for x in r.json()["rows"]}
    mine = rows[("case", case.pk)]
    assert (mine["reads"], mine["changes"], mine["listed"], mine["cases"]) == (2, 1, 1, [case.reference])
    other = rows[("case", cases["a_inspector"].pk)]
    assert (other["reads"], other["changes"], other["listed"]) == (0, 0, 1)
    assert ("case", cases["b"].pk) not in rows


def test_other_organisation_user_listing_our_case_appears_but_cannot_be_reviewed(users, cases, orgs):
    """Decision: org A's supervisor sees every access to org A's records, whoever made it (here a
    national-scope supervisor of org B listing cases); they cannot review what that user did."""
    national_b = make_user("national_b", "supervisor", orgs["b"], scope="all")
    client_for(national_b).get("/api/cases/")
    sup = client_for(users["supervisor"])
    r = sup.get("/api/access-review/record/", {"case": cases["a_caseworker"].reference})
    assert ("national_b", "list", "list") in _rows(r.json())
    assert sup.get(f"/api/access-review/user/{national_b.pk}/").status_code == 404
    # Org B's own supervisor reviews their colleague, but not org A's case.
    sup_b = client_for(users["supervisor_b"])
    assert sup_b.get(f"/api/access-review/user/{national_b.pk}/").status_code == 200
    assert (
        sup_b.get("/api/access-review/record/", {"case": cases["a_caseworker"].reference}).status_code == 404
    )


def test_review_period_bounds(users, cases):
    case = cases["a_caseworker"]
    client_for(users["caseworker"]).get(f"/api/cases/{case.pk}/")
    sup = client_for(users["supervisor"])
    today = timezone.localdate()
    old = {"case": case.reference, "from": "2020-01-01", "to": "2020-01-31"}
    assert sup.get("/api/access-review/record/", old).json()["rows"] == []
    r = sup.get(
        "/api/access-review/record/", {"case": case.reference, "from": "2020-01-01", "to": str(today)}
    )
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "from"
    r = sup.get("/api/access-review/record/", {"case": case.reference, "to": "31/12/2026"})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "to"
    r = sup.get("/api/access-review/record/", {})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "case"
    r = sup.get("/api/access-review/record/", {"case": case.reference, "from": str(today), "to": str(today)})
    assert [x["action"] for x in r.json()["rows"]] == ["view"]


def test_review_scans_no_list_entries_outside_the_period(users, cases):
    """The cost of list matching is bounded by the period: entries outside it are not read."""
    client_for(users["caseworker"]).get("/api/cases/")
    # The same list 400 days ago (the log is insert-only, on PostgreSQL by a trigger: a past entry
    # is inserted as it was then, not backdated).
    listed = AuditEntry.objects.get(action="list", actor_username="caseworker")
    AuditEntry.objects.create(
        at=timezone.now() - timedelta(days=400),
        actor_id=listed.actor_id,
        actor_username="caseworker_old",
        action="list",
        object_type="case",
        via="api",
        detail=listed.detail,
    )
    client_for(users["caseworker_a2"]).get("/api/cases/")
    review = access_review.who_accessed_case(
        users["administrator"],
        cases["a_caseworker"],
        access_review.parse_period(None, None),
        via="api",
    )
    assert sorted(r.actor_username for r in review.rows) == ["caseworker", "caseworker_a2"]
    if connection.vendor != "postgresql":
        assert review.list_entries_scanned == 2  # today's two, not the old one


def test_incident_review_covers_its_window(world):
    case = world["cases"]["a_caseworker"]
    client_for(world["users"]["caseworker_a2"]).get(f"/api/cases/{case.pk}/")
    inc = world["a"]
    inc.occurred_from = timezone.now() - timedelta(days=2)
    inc.save()
    r = client_for(world["users"]["supervisor"]).get(f"/api/breaches/{inc.pk}/access-review/")
    assert r.status_code == 200
    assert ("caseworker_a2", "view", "case") in _rows(r.json())
    inc.occurred_from = timezone.now() - timedelta(days=500)
    inc.occurred_to = timezone.now() - timedelta(days=400)
    inc.save()
    r = client_for(world["users"]["administrator"]).get(f"/api/breaches/{inc.pk}/access-review/")
    assert r.json()["rows"] == [] and r.json()["period"]["clipped"] is True
    assert (
        AuditEntry.objects.filter(action="access_review", object_type="breach", object_id=str(inc.pk)).count()
        == 2
    )


# --- containment ---------------------------------------------------------------------------------
def test_suspension_blocks_token_and_session_at_once(world):
    users = world["users"]
    victim = users["caseworker"]
    token_client = client_for(victim)
    browser = logged_in(victim)
    assert token_client.get("/api/me/").status_code == 200
    assert browser.get("/cases/").status_code == 200
    assert Session.objects.count() == 1

    admin = client_for(users["administrator"])
    r = admin.post(f"/api/accounts/{victim.pk}/suspend/", {"incident": world["a"].reference}, format="json")
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "reason"
    r = admin.post(
        f"/api/accounts/{victim.pk}/suspend/",
        {"reason": "laptop lost", "incident": "BR-1999-0001"},
        format="json",
    )
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "incident"
    r = admin.post(
        f"/api/accounts/{victim.pk}/suspend/",
        {"reason": "laptop lost", "incident": world["a"].reference},
        format="json",
    )
    assert r.status_code == 200, r.json()
    body = r.json()
    assert body["is_active"] is False and body["tokens_deleted"] == 1 and body["sessions_deleted"] == 1
    assert body["incident"] == world["a"].pk

    assert token_client.get("/api/me/").status_code == 401
    assert browser.get("/cases/").status_code == 302  # back to the login page
    assert ApiToken.objects.filter(user=victim).count() == 0 and Session.objects.count() == 0
    r = APIClient().post(
        "/api/auth/token/", {"username": victim.username, "password": PASSWORD}, format="json"
    )
    assert r.status_code == 400

    entry = AuditEntry.objects.get(action="account_suspended")
    assert entry.object_id == str(victim.pk) and entry.reason == "laptop lost"
    assert entry.detail["incident"] == world["a"].pk and entry.detail["tokens"] == 1

    r = admin.post(f"/api/accounts/{victim.pk}/reactivate/", {"reason": "laptop found, wiped"}, format="json")
    assert r.status_code == 200 and r.json()["is_active"] is True
    assert token_client.get("/api/me/").status_code == 401  # the old token stays gone
    assert client_for(victim).get("/api/me/").status_code == 200
    suspension = AccountSuspension.objects.get(user=victim)
    assert suspension.reactivated_at is not None and suspension.reactivated_by == users["administrator"]
    r = admin.post(f"/api/accounts/{victim.pk}/reactivate/", {"reason": "again"}, format="json")
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "user"


def test_cannot_suspend_yourself(users):
    admin = users["administrator"]
    r = client_for(admin).post(f"/api/accounts/{admin.pk}/suspend/", {"reason": "test"}, format="json")
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "user"
    admin.refresh_from_db()
    assert admin.is_active


# --- no identity values in the audit log, encrypted free text ------------------------------------
def test_audit_entries_carry_no_identity_value(world):
    users, cases = world["users"], world["cases"]
    admin = client_for(users["administrator"])
    pk = world["a"].pk
    r = admin.patch(
        f"/api/breaches/{pk}/",
        {"containment_actions": "Wiped the laptop of Amina Synthetic", "version": world["a"].version},
        format="json",
    )
    assert r.status_code == 200
    admin.post(f"/api/breaches/{pk}/cases/", {"add": [cases["a_inspector"].reference]}, format="json")
    admin.post(
        f"/api/breaches/{pk}/notifications/",
        {"recipient": "data_subjects", "method": "phone", "note": "Called Boris Placeholder"},
        format="json",
    )
    admin.post(
        f"/api/breaches/{pk}/status/", {"status": "assessing", "note": "DOC-A-0001 exposed"}, format="json"
    )
    client_for(users["supervisor"]).get(
        "/api/access-review/record/", {"case": cases["a_caseworker"].reference}
    )
    client_for(users["supervisor"]).get(f"/api/breaches/{pk}/access-review/")
    admin.post(
        f"/api/accounts/{users['caseworker_a2'].pk}/suspend/", {"reason": "containment"}, format="json"
    )

    dump = json.dumps(
        [
            [e.actor_username, e.action, e.object_type, e.object_id, e.reason, e.detail]
            for e in AuditEntry.objects.all()
        ]
    )
    secrets = [
        "Amina",
        "Synthetic",
        "Boris",
        "Placeholder",
        "DOC-A-0001",
        "Laptop left",
        "intake notes",
        "Wiped",
    ]
    assert [s for s in secrets if s in dump] == []
    # Free text of the register is encrypted at rest.
    with connection.cursor() as cur:
        cur.execute(
            "SELECT description, containment_actions FROM breaches_breachincident WHERE id = %s", [pk]
        )
        raw = " ".join(cur.fetchone())
        cur.execute("SELECT note FROM breaches_breachnotification")
        raw += " ".join(r[0] for r in cur.fetchall())
    assert "Laptop" not in raw and "Amina" not in raw and "Boris" not in raw


# --- CSV -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+33 6", "'+33 6"),
        ("-1", "'-1"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (7, 7),
    ],
)
def test_csv_safe(value, expected):
    assert formula_safe(value) == expected


def test_csv_download_is_injection_safe(users, cases, orgs):
    sly = make_user("+sly", "caseworker", orgs["a"])
    case = cases["a_caseworker"]
    client_for(sly).get(f"/api/cases/{case.pk}/", HTTP_X_VIGIL_REASON='=HYPERLINK("http://evil.invalid")')
    r = logged_in(users["supervisor"]).get(
        "/breaches/access-review/", {"case": case.reference, "format": "csv"}
    )
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.content.decode())))
    assert len(rows) == 1
    assert rows[0]["user"] == "'+sly" and rows[0]["reason"].startswith("'=HYPERLINK")
    assert rows[0]["cases"] == case.reference


# --- pages ---------------------------------------------------------------------------------------
def test_pages_report_register_and_workflow(world):
    users = world["users"]
    cw = logged_in(users["caseworker_a2"])
    r = cw.post(
        "/breaches/report/",
        {"title": "Stranger asked about a case", "discovered_at": "2026-01-05T10:00", "category": "other"},
    )
    assert r.status_code == 302
    incident = BreachIncident.objects.get(title="Stranger asked about a case")
    assert cw.get(r["Location"]).status_code == 200
    page = cw.get("/breaches/").content.decode()
    assert incident.reference in page and world["a"].reference not in page
    r = cw.post("/breaches/report/", {"title": "", "discovered_at": ""})
    assert r.status_code == 400

    admin = logged_in(users["administrator"])
    assert admin.get(f"/breaches/{incident.pk}/").status_code == 200
    r = admin.post(f"/breaches/{incident.pk}/status/", {"status": "assessing"})
    assert r.status_code == 302
    r = admin.post(f"/breaches/{incident.pk}/cases/", {"references": world["cases"]["b"].reference})
    incident.refresh_from_db()
    assert incident.status == "assessing" and list(incident.cases.all()) == [world["cases"]["b"]]
    admin.post(
        f"/breaches/{incident.pk}/notifications/", {"recipient": "dpo", "method": "email", "notified_at": ""}
    )
    assert incident.notifications.count() == 1
    assert admin.get(f"/breaches/{incident.pk}/edit/").status_code == 200
    # The caseworker cannot act on it; the supervisor of org B now oversees it (B's case), read-only.
    assert cw.post(f"/breaches/{incident.pk}/status/", {"status": "contained"}).status_code == 403
    sup_b = logged_in(users["supervisor_b"])
    detail = sup_b.get(f"/breaches/{incident.pk}/")
    assert detail.status_code == 200 and world["cases"]["b"].reference.encode() in detail.content
    assert b'id="status-form"' not in detail.content
    # Org A's supervisor oversees it too (reported by a colleague), without B's case.
    detail = logged_in(users["supervisor"]).get(f"/breaches/{incident.pk}/")
    assert detail.status_code == 200 and world["cases"]["b"].reference.encode() not in detail.content
    assert b"0 of them belong to your organisation" in detail.content


def test_pages_review_and_accounts(world):
    users, cases = world["users"], world["cases"]
    client_for(users["caseworker"]).get(f"/api/cases/{cases['a_caseworker'].pk}/")
    sup = logged_in(users["supervisor"])
    r = sup.get("/breaches/access-review/", {"case": cases["a_caseworker"].reference})
    assert r.status_code == 200 and b"caseworker" in r.content
    assert sup.get("/breaches/access-review/", {"case": cases["b"].reference}).status_code == 404
    r = sup.get("/breaches/access-review/", {"user": "caseworker"})
    assert r.status_code == 200 and cases["a_caseworker"].reference.encode() in r.content
    assert sup.get(f"/breaches/{world['a'].pk}/access-review/").status_code == 200
    assert logged_in(users["caseworker"]).get("/breaches/access-review/").status_code == 403
    assert sup.get("/breaches/accounts/").status_code == 403

    admin = logged_in(users["administrator"])
    victim = users["caseworker_a2"]
    r = admin.post("/breaches/accounts/", {"user": victim.username, "reason": "", "incident": ""})
    assert r.status_code == 400
    r = admin.post("/breaches/accounts/", {"user": victim.username, "reason": "phone stolen", "incident": ""})
    assert r.status_code == 302
    victim.refresh_from_db()
    assert not victim.is_active
    assert victim.username.encode() in admin.get("/breaches/accounts/").content
    admin.post(f"/breaches/accounts/{victim.pk}/reactivate/", {"reason": "phone recovered"})
    victim.refresh_from_db()
    assert victim.is_active


def test_french(world):
    c = logged_in(world["users"]["administrator"])
    c.cookies["django_language"] = "fr"
    page = c.get("/breaches/").content.decode()
    assert "Registre des violations" in page and "Signaler une violation présumée" in page
    detail = c.get(f"/breaches/{world['a'].pk}/").content.decode()
    assert "Dossiers concernés" in detail and "Élevée" in detail
    r = client_for(world["users"]["administrator"]).post(
        f"/api/breaches/{world['a'].pk}/status/",
        {"status": "closed"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert "synthèse de clôture" in r.json()["errors"][0]["detail"]


def test_openapi_schema_lists_the_endpoints(users):
    r = client_for(users["administrator"]).get("/api/schema/", HTTP_ACCEPT="application/json")
    assert r.status_code == 200
    text = r.content.decode()
    for path in (
        "/api/breaches/{id}/status/",
        "/api/breaches/{id}/notifications/",
        "/api/access-review/record/",
        "/api/access-review/user/{id}/",
        "/api/accounts/{id}/suspend/",
        "/api/accounts/{id}/reactivate/",
    ):
        assert path in text


def test_an_inactive_user_is_refused_even_with_a_session_left(users):
    """Defence in depth behind the session deletion: Django refuses an inactive user's session."""
    browser = logged_in(users["caseworker"])
    assert browser.get("/cases/").status_code == 200
    users["caseworker"].is_active = False
    users["caseworker"].save(update_fields=["is_active"])
    assert Session.objects.count() == 1
    assert browser.get("/cases/").status_code == 302


def test_assess_page_saves_only_changed_fields(world):
    inc = world["a"]
    admin = logged_in(world["users"]["administrator"])
    form = {
        "title": inc.title,
        "severity": "critical",
        "category": inc.category,
        "discovered_at": timezone.localtime(inc.discovered_at).strftime("%Y-%m-%dT%H:%M"),
        "occurred_from": "",
        "occurred_to": "",
        "description": inc.description,
        "estimated_records": "12",
        "organisations": [world["orgs"]["b"].pk],
        "containment_actions": "Remote wipe requested",
        "closure_summary": "",
        "version": inc.version,
    }
    r = admin.post(f"/breaches/{inc.pk}/edit/", form)
    assert r.status_code == 302
    inc.refresh_from_db()
    assert (inc.severity, inc.estimated_records) == ("critical", 12)
    assert list(inc.organisations.all()) == [world["orgs"]["b"]]
    entry = AuditEntry.objects.get(action="breach_update")
    fields = set(entry.detail["fields"])
    assert {"severity", "estimated_records", "containment_actions", "organisations"} <= fields
    assert not fields & {"title", "description", "category", "closure_summary"}  # unchanged


def test_suspension_ends_emergency_grants_for_good(users, cases):
    """A suspended user's emergency access ends with the suspension; reactivating the account
    does not bring it back."""
    from vigil.server.emergency.models import EmergencyAccess

    holder = users["caseworker"]
    reason = "Shelter called at night: the person asks for help, we must check the safety plan."
    r = client_for(holder).post(
        "/api/emergency-access/", {"case_reference": cases["b"].reference, "reason": reason}, format="json"
    )
    assert r.status_code == 201, r.content
    admin = client_for(users["administrator"])
    r = admin.post(f"/api/accounts/{holder.pk}/suspend/", {"reason": "phone stolen"}, format="json")
    assert r.status_code == 200
    grant = EmergencyAccess.objects.get(user=holder)
    assert grant.ended_at is not None and grant.ending == EmergencyAccess.Ending.REVOKED
    assert AuditEntry.objects.get(action="account_suspended").detail["emergency_grants_ended"] == 1
    admin.post(f"/api/accounts/{holder.pk}/reactivate/", {"reason": "phone found, wiped"}, format="json")
    assert client_for(holder).get(f"/api/cases/{cases['b'].pk}/").status_code == 404
