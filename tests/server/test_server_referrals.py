"""Referrals: consent gate and override, shared fields only, receiver workflow, audit, scoping."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from tests.server.conftest import client_for

from vigil.server.accounts.models import Organisation
from vigil.server.audit.models import AuditEntry
from vigil.server.cases.models import Consent
from vigil.server.referrals.models import SHAREABLE, DataSharingAgreement, Referral, ServiceProvider

pytestmark = pytest.mark.django_db
PROBLEM = "application/problem+json"


@pytest.fixture
def agreements(orgs):
    """Org A may refer to org B's services sharing any field, and B to A (R13)."""
    return {
        (x, y): DataSharingAgreement.objects.create(
            discloser=orgs[x],
            recipient=orgs[y],
            fields=sorted(SHAREABLE),
            legal_basis="Memorandum of understanding (test)",
            signed_on=dt.date(2025, 1, 1),
        )
        for x, y in (("a", "b"), ("b", "a"))
    }


@pytest.fixture
def providers(orgs, agreements):
    return {
        "a": ServiceProvider.objects.create(
            organisation=orgs["a"], name="Shelter A", service_type="shelter", languages="en,fr", capacity=5
        ),
        "b": ServiceProvider.objects.create(
            organisation=orgs["b"], name="Shelter B", service_type="shelter", languages="ro", capacity=8
        ),
    }


def consent(case, user, purpose="referral"):
    return Consent.objects.create(case=case, purpose=purpose, given=True, method="written", recorded_by=user)


def test_referral_needs_consent_or_an_audited_override(users, cases, providers):
    case = cases["a_caseworker"]
    body = {"case": case.pk, "provider": providers["b"].pk, "shared_fields": ["given_name"]}
    r = client_for(users["caseworker"]).post("/api/referrals/", body, format="json")
    assert r.status_code == 409 and r["Content-Type"] == PROBLEM
    assert r.json()["type"].endswith("/consent-required")
    r = client_for(users["caseworker"]).post(
        "/api/referrals/", {**body, "override_reason": "urgent"}, format="json"
    )
    assert r.status_code == 409  # a caseworker may not override
    r = client_for(users["supervisor"]).post(
        "/api/referrals/", {**body, "override_reason": "imminent danger"}, format="json"
    )
    assert r.status_code == 201, r.content
    assert r.json()["consent_overridden"] is True
    entry = AuditEntry.objects.get(action="consent_override")
    assert entry.reason == "imminent danger" and entry.object_id == str(case.pk)
    assert entry.actor_username == "supervisor"


def test_receiver_sees_only_shared_fields_and_works_the_referral(users, cases, providers):
    case = cases["a_caseworker"]
    consent(case, users["caseworker"])
    sender = client_for(users["caseworker"])
    r = sender.post(
        "/api/referrals/",
        {
            "case": case.pk,
            "provider": providers["b"].pk,
            "shared_fields": ["given_name", "phone"],
            "reason": "safe housing",
        },
        format="json",
    )
    assert r.status_code == 201, r.content
    rid = r.json()["id"]
    receiver = client_for(users["referral_receiver_b"])
    listing = receiver.get("/api/referrals/")
    assert listing.status_code == 200 and listing.json()["count"] == 1
    item = listing.json()["results"][0]
    person = case.person
    assert item["shared"] == {"given_name": person.given_name, "phone": person.phone}
    text = listing.content.decode()
    for secret in (person.family_name, person.document_number, person.address, person.narrative):
        assert secret not in text
    assert AuditEntry.objects.filter(
        action="view", actor_username="referral_receiver_b", object_id=str(case.pk)
    ).exists()
    # the receiver has no access to the case or person themselves
    assert receiver.get(f"/api/cases/{case.pk}/").status_code == 403
    assert receiver.get(f"/api/persons/{person.pk}/").status_code == 403
    # workflow
    assert receiver.post(f"/api/referrals/{rid}/complete/", {}, format="json").status_code == 400
    assert sender.post(f"/api/referrals/{rid}/accept/", {}, format="json").status_code == 403
    other = client_for(users["referral_receiver"])  # org A: not the receiving organisation
    assert other.post(f"/api/referrals/{rid}/accept/", {}, format="json").status_code == 404
    assert other.get(f"/api/referrals/{rid}/").status_code == 404
    r = receiver.post(f"/api/referrals/{rid}/accept/", {}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "accepted"
    r = receiver.post(f"/api/referrals/{rid}/complete/", {}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "completed"
    assert sender.get(f"/api/referrals/{rid}/").json()["status"] == "completed"
    # consent withdrawn: nothing shared any more
    Consent.objects.filter(case=case).update(withdrawn_on="2026-06-01")
    assert receiver.get(f"/api/referrals/{rid}/").json()["shared"] == {}


def test_decline_needs_a_reason(users, cases, providers):
    case = cases["a_caseworker"]
    consent(case, users["caseworker"])
    rid = (
        client_for(users["caseworker"])
        .post("/api/referrals/", {"case": case.pk, "provider": providers["b"].pk}, format="json")
        .json()["id"]
    )
    receiver = client_for(users["referral_receiver_b"])
    assert receiver.post(f"/api/referrals/{rid}/decline/", {}, format="json").status_code == 400
    r = receiver.post(f"/api/referrals/{rid}/decline/", {"reason": "no capacity"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "declined"
    assert Referral.objects.get(pk=rid).shared_fields == [
        "birth_year",
        "gender",
        "given_name",
        "primary_language",
    ]


@pytest.mark.parametrize(
    "role",
    [
        "caseworker",
        "inspector",
        "supervisor",
        "referral_receiver",
        "analyst",
        "administrator",
        "caseworker_b",
        "referral_receiver_b",
    ],
)
def test_referral_matrix(users, cases, providers, role):
    """Who sees which referral: senders in scope of the case, receivers of the service's org."""
    refs = {}
    for key in ("a_caseworker", "a_inspector"):
        consent(cases[key], cases[key].owner)
        refs[key] = Referral.objects.create(
            case=cases[key], provider=providers["b"], shared_fields=["given_name"]
        )
    consent(cases["b"], cases["b"].owner)
    refs["b"] = Referral.objects.create(
        case=cases["b"], provider=providers["a"], shared_fields=["given_name"]
    )
    expected = {
        "caseworker": {"a_caseworker", "a_inspector"},
        "inspector": {"a_inspector"},
        "supervisor": {"a_caseworker", "a_inspector"},
        "caseworker_b": {"b"},
        "referral_receiver": {"b"},
        "referral_receiver_b": {"a_caseworker", "a_inspector"},
    }
    c = client_for(users[role])
    r = c.get("/api/referrals/")
    if role in ("analyst", "administrator"):
        assert r.status_code == 403
        return
    assert {x["id"] for x in r.json()["results"]} == {refs[k].pk for k in expected[role]}
    for key, ref in refs.items():
        assert c.get(f"/api/referrals/{ref.pk}/").status_code == (200 if key in expected[role] else 404)
    # creation: only case roles, only on cases they may edit
    r = c.post(
        "/api/referrals/", {"case": cases["a_inspector"].pk, "provider": providers["a"].pk}, format="json"
    )
    if role.startswith("referral_receiver"):
        assert r.status_code == 403
    elif "a_inspector" in expected[role]:
        assert r.status_code == 201
    else:
        assert r.status_code == 400  # the case is not among those the user can see


def test_referral_pages(users, cases, providers):
    case = cases["a_caseworker"]
    consent(case, users["caseworker"])
    sender = Client()
    sender.force_login(users["caseworker"])
    r = sender.post(
        f"/cases/{case.pk}/referrals/",
        {"provider": providers["b"].pk, "shared": ["given_name", "primary_language"]},
    )
    assert r.status_code == 302
    ref = Referral.objects.get(case=case)
    receiver = Client()
    receiver.force_login(users["referral_receiver_b"])
    assert receiver.get("/").url == "/referrals/"
    html = receiver.get("/referrals/").content.decode()
    assert case.person.given_name in html and case.reference in html
    assert case.person.family_name not in html and case.person.document_number not in html
    assert receiver.post(f"/referrals/{ref.pk}/accept/").status_code == 302
    ref.refresh_from_db()
    assert ref.status == "accepted"
    assert receiver.get(f"/cases/{case.pk}/").status_code == 403
    page = sender.get(f"/cases/{case.pk}/").content.decode()
    assert "Shelter B" in page and "Accepted" in page


def test_provider_directory(users, providers):
    r = client_for(users["analyst"]).get("/api/providers/", {"language": "ro"})
    assert r.status_code == 200 and [p["name"] for p in r.json()["results"]] == ["Shelter B"]


def test_sender_revokes_and_receiver_then_sees_nothing(users, cases, providers):
    case = cases["a_caseworker"]
    consent(case, users["caseworker"])
    sender = client_for(users["caseworker"])
    rid = sender.post(
        "/api/referrals/",
        {"case": case.pk, "provider": providers["b"].pk, "shared_fields": ["given_name"]},
        format="json",
    ).json()["id"]
    assert sender.post(f"/api/referrals/{rid}/revoke/", {}, format="json").status_code == 400  # reason needed
    assert (
        client_for(users["referral_receiver_b"])
        .post(f"/api/referrals/{rid}/revoke/", {"reason": "x"}, format="json")
        .status_code
        == 403
    )
    assert (
        client_for(users["caseworker_b"])
        .post(f"/api/referrals/{rid}/revoke/", {"reason": "x"}, format="json")
        .status_code
        == 404
    )
    r = sender.post(f"/api/referrals/{rid}/revoke/", {"reason": "sent to the wrong shelter"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "revoked"
    seen = client_for(users["referral_receiver_b"]).get(f"/api/referrals/{rid}/").json()
    assert seen["status"] == "revoked" and seen["shared"] == {}
    assert (
        client_for(users["referral_receiver_b"])
        .post(f"/api/referrals/{rid}/accept/", {}, format="json")
        .status_code
        == 400
    )
    # page
    c = Client()
    c.force_login(users["caseworker"])
    rid2 = sender.post(
        "/api/referrals/", {"case": case.pk, "provider": providers["b"].pk}, format="json"
    ).json()["id"]
    # a first POST only asks for confirmation; nothing changes until it is confirmed
    ask = c.post(f"/referrals/{rid2}/revoke/", {"reason": "duplicate"})
    assert ask.status_code == 200 and b'id="confirm-revoke"' in ask.content
    assert Referral.objects.get(pk=rid2).status == "pending"
    confirmed = c.post(f"/referrals/{rid2}/revoke/", {"reason": "duplicate", "confirmed": "yes"})
    assert confirmed.status_code == 302
    assert Referral.objects.get(pk=rid2).status == "revoked"


def test_referral_to_another_organisation_needs_an_agreement_covering_the_fields(users, cases, orgs):
    """R13: inside the organisation no agreement is needed; to another one, an agreement in force
    that covers every shared field, and the referral records which."""
    case = cases["a_caseworker"]
    consent(case, users["caseworker"])
    own = ServiceProvider.objects.create(organisation=orgs["a"], name="Own legal desk", service_type="legal")
    other = ServiceProvider.objects.create(organisation=orgs["b"], name="B shelter", service_type="shelter")
    api = client_for(users["caseworker"])

    def refer(provider, fields):
        body = {"case": case.pk, "provider": provider.pk, "shared_fields": fields}
        return api.post("/api/referrals/", body, format="json")

    r = refer(own, ["given_name", "narrative"])
    assert r.status_code == 201 and r.json()["agreement"] is None
    r = refer(other, ["given_name"])
    assert r.status_code == 400
    assert [e["field"] for e in r.json()["errors"]] == ["provider"]
    assert "agreement" in r.json()["errors"][0]["detail"]
    today = dt.date.today()
    expired = DataSharingAgreement.objects.create(
        discloser=orgs["a"],
        recipient=orgs["b"],
        fields=["given_name"],
        legal_basis="old MoU",
        signed_on=today - dt.timedelta(days=800),
        expires_on=today - dt.timedelta(days=1),
    )
    assert refer(other, ["given_name"]).status_code == 400  # expired: not in force
    narrow = DataSharingAgreement.objects.create(
        discloser=orgs["a"],
        recipient=orgs["b"],
        fields=["given_name", "primary_language"],
        legal_basis="MoU 2026",
        signed_on=today - dt.timedelta(days=10),
    )
    r = refer(other, ["given_name", "phone"])
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "shared_fields"
    assert r.json()["errors"][0]["detail"].endswith(": phone")
    r = refer(other, ["given_name", "primary_language"])
    assert r.status_code == 201, r.content
    assert r.json()["agreement"] == narrow.pk
    entry = AuditEntry.objects.filter(action="referral").latest("id")
    assert entry.detail["agreement"] == narrow.pk
    # The reverse direction is a different agreement: B -> A is not covered by A -> B.
    consent(cases["b"], users["caseworker_b"])
    own_a = own
    r = client_for(users["caseworker_b"]).post(
        "/api/referrals/",
        {"case": cases["b"].pk, "provider": own_a.pk, "shared_fields": ["given_name"]},
        format="json",
    )
    assert r.status_code == 400
    narrow.terminated_on = today
    narrow.save()
    assert refer(other, ["given_name"]).status_code == 400  # terminated today: no longer in force
    assert expired.in_force(today - dt.timedelta(days=2)) and not expired.in_force(today)


def test_agreement_validation():
    from django.core.exceptions import ValidationError

    a = DataSharingAgreement(
        fields=["given_name", "password"], legal_basis="x", signed_on=dt.date(2026, 1, 1)
    )
    with pytest.raises(ValidationError) as err:
        a.clean()
    assert "password" in str(err.value)


@pytest.mark.parametrize(
    "user_key, expected",
    [
        ("caseworker", {("a", "b"), ("b", "a")}),  # party to both, as discloser and as recipient
        ("caseworker_b", {("a", "b"), ("b", "a")}),
        ("referral_receiver", {("a", "b"), ("b", "a")}),
        ("analyst", {("a", "b"), ("b", "a")}),  # the analyst's scope is "all"
        ("administrator", {("a", "b"), ("b", "a")}),
    ],
)
def test_agreements_api_lists_the_organisations_agreements(users, orgs, agreements, user_key, expected):
    c = Organisation.objects.create(name="Org C", kind="ngo")
    d = Organisation.objects.create(name="Org D", kind="shelter")
    other = DataSharingAgreement.objects.create(
        discloser=c, recipient=d, fields=["given_name"], legal_basis="MoU C-D", signed_on=dt.date(2025, 1, 1)
    )
    r = client_for(users[user_key]).get("/api/agreements/", {"page_size": 200})
    assert r.status_code == 200
    got = {row["id"] for row in r.json()["results"]}
    names = {v.pk: k for k, v in agreements.items()}
    if users[user_key].scope == "all":
        assert got == {*agreements_ids(agreements), other.pk}
    else:
        assert {names[i] for i in got} == expected and other.pk not in got
    assert all(row["in_force"] is True for row in r.json()["results"] if row["id"] in names)


def agreements_ids(agreements):
    return {a.pk for a in agreements.values()}


def test_agreements_api_filters_and_needs_login(users, orgs, agreements):
    api = client_for(users["caseworker"])
    past = DataSharingAgreement.objects.create(
        discloser=orgs["a"],
        recipient=orgs["b"],
        fields=[],
        legal_basis="old",
        signed_on=dt.date(2020, 1, 1),
        expires_on=dt.date(2021, 1, 1),
    )
    rows = api.get("/api/agreements/", {"recipient": orgs["b"].pk}).json()["results"]
    assert {r["id"] for r in rows} == {agreements[("a", "b")].pk, past.pk}
    rows = api.get("/api/agreements/", {"recipient": orgs["b"].pk, "in_force": "true"}).json()["results"]
    assert [r["id"] for r in rows] == [agreements[("a", "b")].pk]
    assert api.get("/api/agreements/", {"recipient": "x"}).status_code == 400
    assert Client().get("/api/agreements/").status_code in {401, 403}


def test_directory_shows_places_free(users, cases, providers):
    """A place is taken by an accepted referral until it is completed; pending, declined and
    completed referrals take none."""
    shelter = providers["a"]  # capacity 5, organisation A
    for key, status in [("a_caseworker", "accepted"), ("a_inspector", "accepted"), ("b", "pending")]:
        Referral.objects.create(case=cases[key], provider=shelter, status=status)
    Referral.objects.create(case=cases["b"], provider=shelter, status="completed")
    Referral.objects.create(case=cases["b"], provider=shelter, status="declined")
    api = client_for(users["caseworker"])
    rows = {p["id"]: p for p in api.get("/api/providers/").json()["results"]}
    assert rows[shelter.pk]["places_in_use"] == 2 and rows[shelter.pk]["places_available"] == 3
    assert rows[providers["b"].pk]["places_available"] == 8
    shelter.capacity = 2
    shelter.save()
    free = {p["id"] for p in api.get("/api/providers/", {"available": "true"}).json()["results"]}
    assert shelter.pk not in free and providers["b"].pk in free
    no_capacity = ServiceProvider.objects.create(
        organisation=providers["a"].organisation, name="Legal desk", service_type="legal"
    )
    row = next(
        p
        for p in api.get("/api/providers/", {"available": "true"}).json()["results"]
        if p["id"] == no_capacity.pk
    )
    assert row["capacity"] is None and row["places_available"] is None
    # The referral form says it too.
    page = Client()
    page.force_login(users["caseworker"])
    text = page.get(f"/cases/{cases['a_caseworker'].pk}/").content.decode()
    assert "0 of 2 places free" in text and "8 of 8 places free" in text


def test_a_referral_cannot_be_accepted_once_its_consent_is_withdrawn(users, cases, providers):
    """The accept is refused with the reason (API: 409 problem; page: the message), nothing changes;
    declining stays possible, and a referral made on an audited override does not rest on consent."""
    case = cases["a_caseworker"]
    given = consent(case, users["caseworker"])
    sender = client_for(users["caseworker"])
    body = {"case": case.pk, "provider": providers["b"].pk, "shared_fields": ["given_name"]}
    rid = sender.post("/api/referrals/", body, format="json").json()["id"]
    second = sender.post("/api/referrals/", body, format="json").json()["id"]
    r = sender.post(f"/api/consents/{given.pk}/withdraw/", {}, format="json")
    assert r.status_code == 200, r.content
    receiver = client_for(users["referral_receiver_b"])
    r = receiver.post(f"/api/referrals/{rid}/accept/", {}, format="json")
    assert r.status_code == 409 and r["Content-Type"] == PROBLEM
    assert r.json()["type"].endswith("/consent-required") and "withdrawn" in r.json()["detail"]
    ref = Referral.objects.get(pk=rid)
    assert ref.status == "pending" and ref.decided_at is None
    assert not AuditEntry.objects.filter(action="referral_accepted").exists()
    page = Client()
    page.force_login(users["referral_receiver_b"])
    r = page.post(f"/referrals/{second}/accept/", follow=True)
    assert "withdrawn the consent" in r.content.decode()
    assert Referral.objects.get(pk=second).status == "pending"
    r = receiver.post(f"/api/referrals/{rid}/decline/", {"reason": "consent withdrawn"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "declined"
    # an override does not rest on consent: the supervisor's decision stands
    urgent = client_for(users["supervisor"]).post(
        "/api/referrals/", {**body, "override_reason": "imminent danger"}, format="json"
    )
    assert urgent.status_code == 201, urgent.content
    r = receiver.post(f"/api/referrals/{urgent.json()['id']}/accept/", {}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "accepted"
