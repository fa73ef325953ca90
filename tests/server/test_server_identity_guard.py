"""Plain-text reasons never carry the person's identity (they are not encrypted): the guard, and
each field it protects through the API and the pages."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.test import Client
from tests.server.conftest import client_for

from vigil.server.cases.identity_guard import identity_in
from vigil.server.cases.models import Case, Consent
from vigil.server.referrals.models import Referral, ServiceProvider

PERSON = SimpleNamespace(
    given_name="Amina", family_name="Synthetic", document_number="DOC-A-0001", phone="+33 6 12 34 56 78"
)


@pytest.mark.parametrize(
    "text, found",
    [
        ("Closed: Amina is safe at home", "given_name"),
        ("amina returned", "given_name"),  # case does not matter
        ("SYNTHETIC family contacted", "family_name"),
        ("doc a 0001 seen at the border", "document_number"),  # separators do not matter
        ("call back on 06 12 34 56 78", "phone"),  # without the country code
        ("call back on +33612345678", "phone"),
        ("Aminata is another person", None),  # whole words only
        ("safe, returned home, no further risk", None),
        ("", None),
        (None, None),
    ],
)
def test_identity_in(text, found):
    assert identity_in(PERSON, text) == found


def test_short_values_are_not_matched():
    person = SimpleNamespace(given_name="Li", family_name="", document_number="", phone="")
    assert identity_in(person, "Li was referred") is None  # 2 letters: too many false alarms


@pytest.mark.django_db
def test_case_reasons_refuse_identity_api_and_page(users, cases):
    case = cases["a_caseworker"]  # person Amina Synthetic, DOC-A-0001
    api = client_for(users["supervisor"])
    r = api.patch(
        f"/api/cases/{case.pk}/",
        {
            "version": case.version,
            "status": "Closed",
            "closed_on": "2026-11-01",
            "closure_reason": "Amina safe",
        },
        format="json",
    )
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "closure_reason"
    r = api.patch(
        f"/api/cases/{case.pk}/",
        {"version": case.version, "legal_hold": True, "legal_hold_reason": "court file DOC-A-0001"},
        format="json",
    )
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "legal_hold_reason"
    r = api.patch(
        f"/api/cases/{case.pk}/",
        {"version": case.version, "legal_hold": True, "legal_hold_reason": "court file 2026/118"},
        format="json",
    )
    assert r.status_code == 200
    page = Client()
    page.force_login(users["caseworker"])
    case.refresh_from_db()
    r = page.post(
        f"/cases/{case.pk}/",
        {
            "case-status": "Closed",
            "case-trafficking_status": "",
            "case-sector": "",
            "case-opened_on": str(case.opened_on),
            "case-closed_on": "2026-11-01",
            "case-closure_reason": "Synthetic family took her home",
            "case-version": case.version,
        },
    )
    assert "this field is not encrypted" in r.content.decode()
    case.refresh_from_db()
    assert case.status != Case.Status.CLOSED and "Synthetic" not in case.closure_reason


@pytest.mark.django_db
def test_referral_and_emergency_reasons_refuse_identity(users, cases, orgs):
    case = cases["a_caseworker"]
    Consent.objects.create(
        case=case, purpose="referral", given=True, method="verbal", recorded_by=users["caseworker"]
    )
    own = ServiceProvider.objects.create(organisation=orgs["a"], name="Own desk", service_type="legal")
    api = client_for(users["caseworker"])
    body = {
        "case": case.pk,
        "provider": own.pk,
        "shared_fields": ["given_name"],
        "reason": "Amina needs a lawyer",
    }
    r = api.post("/api/referrals/", body, format="json")
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "reason"
    assert Referral.objects.count() == 0
    r = api.post("/api/referrals/", {**body, "reason": "needs a lawyer"}, format="json")
    assert r.status_code == 201
    receiver = client_for(users["referral_receiver"])  # org A's receiver: the service is org A's
    r = receiver.post(
        f"/api/referrals/{r.json()['id']}/decline/",
        {"reason": f"no bed, call {case.person.phone.replace(' ', '')}"},
        format="json",
    )
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "reason"

    reason = "Night call from the shelter: Synthetic asks for help, check the safety plan now"
    r = client_for(users["caseworker_b"]).post(
        "/api/emergency-access/", {"case_reference": case.reference, "reason": reason}, format="json"
    )
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "reason"
