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


@pytest.mark.django_db
def test_stage_place_refuses_identity_api_and_page(users, cases):
    """The place of a stage is plain text (it feeds the statistics of routes): never the person."""
    case = cases["a_caseworker"]  # Amina Synthetic, DOC-A-0001
    api = client_for(users["caseworker"])
    r = api.post(
        "/api/stages/", {"case": case.pk, "stage": "work", "place": "with Amina Synthetic"}, format="json"
    )
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "place"
    r = api.post("/api/stages/", {"case": case.pk, "stage": "work", "place": "Chisinau"}, format="json")
    assert r.status_code == 201, r.content
    stage_id = r.json()["id"]
    r = api.patch(f"/api/stages/{stage_id}/", {"version": 1, "place": "farm of Synthetic"}, format="json")
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "place"
    page = Client()
    page.force_login(users["caseworker"])
    r = page.post(f"/cases/{case.pk}/stages/", {"stage-stage": "journey", "stage-place": "Amina's uncle"})
    assert case.stages.count() == 1 and case.stages.get().place == "Chisinau"
    r = page.post(f"/cases/{case.pk}/stages/", {"stage-stage": "journey", "stage-place": "Odesa"})
    assert case.stages.count() == 2


@pytest.mark.django_db
def test_emergency_revocation_reason_refuses_identity(users, cases):
    from vigil.server.emergency import services

    access = services.grant(
        users["inspector"], cases["b"].reference, "Night call from the shelter: safety plan check.", via="api"
    )
    url = f"/api/emergency-access/{access.pk}/revoke/"
    r = client_for(users["supervisor_b"]).post(url, {"reason": "Chen is with us now"}, format="json")
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "reason"
    access.refresh_from_db()
    assert access.ended_at is None
    r = client_for(users["supervisor_b"]).post(url, {"reason": "We handle it ourselves"}, format="json")
    assert r.status_code == 200


@pytest.mark.django_db
def test_reason_header_naming_the_person_is_withheld_from_the_audit(users, cases):
    from vigil.server.audit.log import REASON_WITHHELD
    from vigil.server.audit.models import AuditEntry

    case = cases["a_caseworker"]
    api = client_for(users["caseworker"])
    r = api.get(f"/api/cases/{case.pk}/", HTTP_X_VIGIL_REASON="call from Amina's sister\nat night")
    assert r.status_code == 200
    r = api.get(f"/api/persons/{case.person_id}/", HTTP_X_VIGIL_REASON="check DOC-A-0001")
    assert r.status_code == 200
    r = api.get(f"/api/cases/{case.pk}/", HTTP_X_VIGIL_REASON="court order\n2026/118")
    reasons = list(AuditEntry.objects.filter(action="view").order_by("id").values_list("reason", flat=True))
    assert reasons == [REASON_WITHHELD, REASON_WITHHELD, "court order 2026/118"]
    assert not AuditEntry.objects.filter(reason__icontains="amina").exists()


@pytest.mark.django_db
def test_every_plain_text_column_has_a_decision():
    """Each free-text column that is not encrypted is listed, with why that is safe; guarded ones
    are tested above and in the tests of their apps."""
    from django.apps import apps
    from django.db import models

    from vigil.server.cases.identity_guard import PLAIN_TEXT_FIELDS
    from vigil.server.fields import EncryptedTextField

    found = {
        f"{m._meta.label}.{f.name}"
        for m in apps.get_models()
        if m.__module__.startswith("vigil.")
        for f in m._meta.concrete_fields
        if isinstance(f, models.CharField | models.TextField)
        and not isinstance(f, EncryptedTextField)
        and not f.choices
    }
    assert found - set(PLAIN_TEXT_FIELDS) == set(), "add the new plain-text columns with a decision"
    assert set(PLAIN_TEXT_FIELDS) - found == set(), "remove the columns that are gone"
