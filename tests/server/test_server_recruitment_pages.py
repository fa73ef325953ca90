"""The regulator's pages of the agency registry: who sees them, the worklist with reasons, the
licence status change with history, the complaint review (audited)."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from tests.server.conftest import ROLES

from vigil.server.audit.models import AuditEntry
from vigil.server.recruitment.models import Agency, Complaint, FeeReport, Licence

pytestmark = pytest.mark.django_db


def _login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def registry():
    a = Agency.objects.create(
        legal_name="Golden Gate Overseas Pvt Ltd", registration_number="R1", country="NPL", sectors=["I56"]
    )
    lic = Licence.objects.create(agency=a, number="DOFE-0001", issuer="DoFE", valid_from=date(2024, 1, 1))
    FeeReport.objects.create(agency=a, amount=900, currency="USD", purpose="visa", channel="loan")
    c = Complaint.objects.create(
        agency=a, description="They kept my passport", contact="+977 9811111111", severity="high"
    )
    return {"agency": a, "licence": lic, "complaint": c}


@pytest.mark.parametrize("role", ROLES)
def test_only_the_regulator_sees_the_regulator_pages(users, registry, role):
    client = _login(users[role])
    for url in (
        "/recruitment/agencies/",
        f"/recruitment/agencies/{registry['agency'].pk}/",
        "/recruitment/worklist/",
        "/recruitment/complaints/",
        f"/recruitment/complaints/{registry['complaint'].pk}/",
    ):
        r = client.get(url)
        assert r.status_code == (200 if role == "regulator" else 403), (role, url, r.status_code)


def test_regulator_home_is_the_worklist_with_reasons(users, registry):
    client = _login(users["regulator"])
    r = client.get("/", follow=True)
    assert r.redirect_chain[-1][0] == "/recruitment/worklist/"
    html = r.content.decode()
    assert "Golden Gate Overseas Pvt Ltd" in html
    assert "fee breach" in html and "never inspected" in html


def test_agency_page_shows_the_fee_determination_and_changes_licence_status(users, registry):
    client = _login(users["regulator"])
    url = f"/recruitment/agencies/{registry['agency'].pk}/"
    html = client.get(url).content.decode()
    assert "RC7" in html and "Debt-bondage lead" in html and "fair-recruitment-2019" in html
    r = client.post(url, {"licence": registry["licence"].pk, "status": "suspended", "reason": ""})
    assert r.status_code == 200 and Licence.objects.get().status == "active"
    r = client.post(url, {"licence": registry["licence"].pk, "status": "suspended", "reason": "fees charged"})
    assert r.status_code == 302
    lic = Licence.objects.get()
    assert lic.status == "suspended" and lic.history.get().reason == "fees charged"
    assert "active → suspended" in client.get(url).content.decode()


def test_complaint_review_is_audited_and_changes_status(users, registry):
    client = _login(users["regulator"])
    c = registry["complaint"]
    url = f"/recruitment/complaints/{c.pk}/"
    html = client.get(url).content.decode()
    assert "+977 9811111111" in html
    entry = AuditEntry.objects.filter(action="view", object_type="complaint", object_id=str(c.pk)).get()
    assert "contact" in entry.detail["fields"] and "9811111111" not in str(entry.detail)
    r = client.post(url, {"agency": c.agency_id, "severity": "high", "status": "upheld"})
    assert r.status_code == 302
    assert Complaint.objects.get().status == "upheld"
    assert AuditEntry.objects.filter(action="update", object_type="complaint").get().detail["fields"] == [
        "status"
    ]
