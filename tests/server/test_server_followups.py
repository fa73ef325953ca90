"""Follow-ups: schedule, worklist of overdue ones, completion with outcome and risk flag."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client
from tests.server.conftest import client_for

from vigil.server.audit.models import AuditEntry
from vigil.server.followups.models import FollowUp

pytestmark = pytest.mark.django_db


def test_followup_api(users, cases):
    case = cases["a_caseworker"]
    c = client_for(users["caseworker"])
    past = (date.today() - timedelta(days=3)).isoformat()
    future = (date.today() + timedelta(days=10)).isoformat()
    late = c.post("/api/followups/", {"case": case.pk, "kind": "removal", "due_on": past}, format="json")
    assert late.status_code == 201, late.content
    assert late.json()["overdue"] is True
    c.post("/api/followups/", {"case": case.pk, "due_on": future}, format="json")
    worklist = c.get("/api/followups/", {"overdue": "true"}).json()
    assert [f["id"] for f in worklist["results"]] == [late.json()["id"]]
    assert c.get("/api/followups/", {"open": "true"}).json()["count"] == 2
    r = c.post(
        f"/api/followups/{late.json()['id']}/complete/",
        {"outcome": "re_exploited", "removal_verified": True, "notes": "Seen at the same farm"},
        format="json",
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["done_by"] == "caseworker" and body["retrafficking_risk"] is True and body["removal_verified"]
    assert body["notes"] == "Seen at the same farm"
    again = c.post(f"/api/followups/{late.json()['id']}/complete/", {"outcome": "safe"}, format="json")
    assert again.status_code == 400
    assert c.get("/api/followups/", {"overdue": "true"}).json()["count"] == 0
    # scope: another organisation sees nothing, an analyst is refused
    assert client_for(users["caseworker_b"]).get(f"/api/followups/{late.json()['id']}/").status_code == 404
    assert (
        client_for(users["caseworker_b"])
        .post("/api/followups/", {"case": case.pk, "due_on": future}, format="json")
        .status_code
        == 400
    )
    assert client_for(users["analyst"]).get("/api/followups/").status_code == 403
    assert AuditEntry.objects.filter(
        object_type="case", object_id=str(case.pk), detail__change="follow-up done"
    ).exists()


def test_followup_pages(users, cases):
    case = cases["a_inspector"]
    c = Client()
    c.force_login(users["inspector"])
    past = (date.today() - timedelta(days=1)).isoformat()
    r = c.post(f"/cases/{case.pk}/followups/", {"fu-kind": "check_in", "fu-due_on": past})
    assert r.status_code == 302
    fu = FollowUp.objects.get(case=case)
    page = c.get("/followups/").content.decode()
    assert case.reference in page and 'id="overdue"' in page and "overdue" in page
    r = c.post(
        f"/followups/{fu.pk}/done/",
        {f"done{fu.pk}-outcome": "safe", f"done{fu.pk}-removal_verified": "true", "next": "worklist"},
    )
    assert r.status_code == 302 and r["Location"] == "/followups/"
    fu.refresh_from_db()
    assert fu.outcome == "safe" and fu.removal_verified is True and fu.done_by == users["inspector"]
    # the caseworker of org A may see the inspector's case? No: inspector scope is own, but the
    # caseworker's is the organisation: the follow-up shows on their worklist only while open.
    other = Client()
    other.force_login(users["caseworker_b"])
    assert other.post(f"/followups/{fu.pk}/done/", {f"done{fu.pk}-outcome": "safe"}).status_code == 404
