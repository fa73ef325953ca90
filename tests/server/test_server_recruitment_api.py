"""The agency registry's API: who may use it, fee reports classified through the API, licence
status changes with history, complaint reads audited, and the ranked worklist with reasons."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from tests.server.conftest import ROLES, client_for

from vigil.server.audit.models import AuditEntry
from vigil.server.recruitment.models import Agency, Complaint, FeeReport, Licence

pytestmark = pytest.mark.django_db

ROUTES = (
    "/api/recruitment/agencies/",
    "/api/recruitment/licences/",
    "/api/recruitment/complaints/",
    "/api/recruitment/fee-reports/",
    "/api/recruitment/worklist/",
    "/api/recruitment/offers/",
    "/api/recruitment/inspections/",
    "/api/recruitment/name-pairs/",
)


def _agency(name: str, status: str | None = "active", **fields) -> Agency:
    agency = Agency.objects.create(
        legal_name=name, registration_number=f"R-{name[:4]}", country="NPL", **fields
    )
    if status:
        Licence.objects.create(
            agency=agency, number=f"L-{name[:4]}", issuer="DoFE", valid_from=date(2024, 1, 1), status=status
        )
    return agency


@pytest.mark.parametrize("role", ROLES)
def test_only_the_regulator_reads_the_registry(users, role):
    _agency("Sunrise Manpower")
    api = client_for(users[role])
    for url in ROUTES:
        r = api.get(url)
        assert r.status_code == (200 if role == "regulator" else 403), (role, url, r.status_code)


def test_nothing_without_a_token():
    from rest_framework.test import APIClient

    for url in ROUTES:
        assert APIClient().get(url).status_code in {401, 403}


def test_fee_report_posted_is_classified_and_audited(users):
    agency = _agency("Sunrise Manpower")
    api = client_for(users["regulator"])
    r = api.post(
        "/api/recruitment/fee-reports/",
        {
            "agency": agency.pk,
            "amount": "850.00",
            "currency": "USD",
            "purpose": "visa processing",
            "payee": "agent",
            "channel": "loan",
        },
        format="json",
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["breach"] is True and body["debt_lead"] is True and body["category"] == "RC7"
    assert body["fired"] == ["facts.fees_charged=RC7"] and body["ruleset"] == "fair-recruitment-2019"
    entry = AuditEntry.objects.filter(action="create", object_type="fee_report").get()
    assert entry.object_id == str(body["id"])
    # the client cannot set the determination
    r = api.post(
        "/api/recruitment/fee-reports/",
        {"agency": agency.pk, "amount": "0", "currency": "USD", "purpose": "placement fee", "breach": True},
        format="json",
    )
    assert r.status_code == 201 and r.json()["breach"] is False


def test_bad_fee_report_names_the_field_and_stores_nothing(users):
    agency = _agency("Sunrise Manpower")
    api = client_for(users["regulator"])
    r = api.post(
        "/api/recruitment/fee-reports/",
        {"agency": agency.pk, "amount": "-5", "currency": "usd", "purpose": "visa", "channel": "barter"},
        format="json",
    )
    assert r.status_code == 400
    fields = {e["field"] for e in r.json()["errors"]}
    assert {"amount", "currency", "channel"} <= fields
    assert FeeReport.objects.count() == 0


def test_licence_status_change_keeps_history_and_needs_a_reason(users):
    agency = _agency("Sunrise Manpower")
    lic = agency.licences.get()
    api = client_for(users["regulator"])
    r = api.post(
        f"/api/recruitment/licences/{lic.pk}/status/", {"status": "suspended", "reason": ""}, format="json"
    )
    assert r.status_code == 400
    r = api.post(
        f"/api/recruitment/licences/{lic.pk}/status/",
        {"status": "suspended", "reason": "fees"},
        format="json",
    )
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "suspended"
    assert [(h["from_status"], h["to_status"], h["by"]) for h in r.json()["history"]] == [
        ("active", "suspended", "regulator")
    ]
    # the status cannot be patched around the history
    assert (
        api.patch(f"/api/recruitment/licences/{lic.pk}/", {"status": "active"}, format="json").status_code
        == 405
    )


def test_complaint_list_hides_contact_and_the_detail_read_is_audited(users):
    agency = _agency("Sunrise Manpower")
    c = Complaint.objects.create(
        agency=agency, description="Passport kept", contact="+977 9800000001", severity="high"
    )
    api = client_for(users["regulator"])
    listed = api.get("/api/recruitment/complaints/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert "contact" not in rows[0] and "description" not in rows[0]
    detail = api.get(f"/api/recruitment/complaints/{c.pk}/").json()
    assert detail["contact"] == "+977 9800000001"
    entry = AuditEntry.objects.get(action="view", object_type="complaint", object_id=str(c.pk))
    assert "contact" in entry.detail["fields"]
    assert "9800000001" not in str(entry.detail)


def test_worklist_ranks_with_a_reason_on_each_line(users):
    bad = _agency(
        "Golden Gate Overseas", status="suspended", last_inspection=date.today() - timedelta(days=900)
    )
    FeeReport.objects.create(agency=bad, amount=500, currency="USD", purpose="placement fee")
    Complaint.objects.create(agency=bad, description="x", severity="high")
    good = _agency(
        "Fair Path Recruitment", status="active", last_inspection=date.today() - timedelta(days=30)
    )
    unlicensed = _agency("Quick Jobs Abroad", status=None)
    r = client_for(users["regulator"]).get("/api/recruitment/worklist/")
    assert r.status_code == 200
    lines = r.json()
    order = [ln["agency"] for ln in lines]
    assert order.index(bad.pk) < order.index(good.pk) and order.index(unlicensed.pk) < order.index(good.pk)
    assert [ln["rank"] for ln in lines] == [1, 2, 3]
    top = lines[order.index(bad.pk)]
    assert "licence status: suspended" in top["reason"] and "fee breach" in top["reason"]
    assert sum(c["points"] for c in top["components"]) == pytest.approx(top["score"], abs=0.2)
    assert lines[0]["score"] >= lines[1]["score"] >= lines[2]["score"]
    assert AuditEntry.objects.filter(action="worklist").exists()
