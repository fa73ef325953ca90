"""Verified job offers: recorded for licensed agencies only, checked for warning signs and for
costs the worker would pay, approved by the regulator, and listed publicly only while the
agency's licence is in force (a suspension, revocation or lapse takes the offer off at once)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone
from tests.server.conftest import ROLES, client_for

from vigil.server.audit.models import AuditEntry
from vigil.server.recruitment import services
from vigil.server.recruitment.models import Agency, JobOffer, Licence

pytestmark = pytest.mark.django_db

FAIR_COSTS = {
    "recruitment_fee": "employer",
    "travel": "employer",
    "visa": "employer",
    "medical": "employer",
    "training": "none",
    "insurance": "employer",
    "housing": "worker",
    "food": "worker",
}


def _agency(name: str, status: str = "active", valid_to: date | None = None) -> Agency:
    agency = Agency.objects.create(legal_name=name, registration_number=f"R-{name[:6]}", country="MDA")
    Licence.objects.create(
        agency=agency,
        number=f"L-{name[:6]}",
        issuer="ANOFM",
        valid_from=date(2024, 1, 1),
        valid_to=valid_to,
        status=status,
    )
    return agency


def _offer(agency: Agency, **fields) -> JobOffer:
    base = {
        "title": "Kitchen assistant",
        "employer": "Hotel Adriatica SpA",
        "workplace": "Via Roma 12, Rimini",
        "country": "ITA",
        "sector": "I55",
        "pay_amount": "1450.00",
        "pay_currency": "EUR",
        "pay_period": "month",
        "hours_per_week": 40,
        "contract": "fixed_term",
        "contract_months": 6,
        "costs": FAIR_COSTS,
        "description": "Seasonal work in a hotel kitchen. Apply at the agency office, Str. Independentei 4.",
    }
    base.update(fields)
    return JobOffer.objects.create(agency=agency, **base)


def _approve(offer: JobOffer, user, note: str = "") -> JobOffer:
    return services.review_offer(offer, "approve", note=note, user=user)


def test_the_offer_check_and_the_costs_are_computed_on_save():
    agency = _agency("Codru Work SRL")
    clean = _offer(agency)
    assert clean.signs == [] and clean.signs_version
    assert clean.worker_costs == []  # housing and food at the workplace are not recruitment costs
    bad = _offer(
        agency,
        employer="confidential",
        contract_before_departure=False,
        description="Pay 300 EUR registration fee now, only 3 places left! We keep your passport.",
        costs={**FAIR_COSTS, "visa": "worker", "recruitment_fee": "worker"},
    )
    assert {"fee_charged", "documents_held", "pressure", "no_contract"} <= set(bad.signs)
    assert bad.evidence["documents_held"]
    owed = {c["cost"]: c for c in bad.worker_costs}
    assert set(owed) == {"visa", "recruitment_fee"}
    assert owed["visa"]["category"] == "RC7" and owed["visa"]["breach"] is True
    assert owed["recruitment_fee"]["category"] == "RF" and "RF" in owed["recruitment_fee"]["decided_by"]
    assert bad.fees_ruleset_version


def test_only_approved_offers_of_licensed_agencies_are_listed(users):
    agency = _agency("Codru Work SRL")
    offer = _offer(agency)
    assert list(services.listed_offers()) == []  # submitted, not approved
    _approve(offer, users["regulator"])
    assert list(services.listed_offers()) == [offer]
    # an offer past its closing date leaves the list
    offer.open_until = timezone.localdate() - timedelta(days=1)
    offer.save()
    assert list(services.listed_offers()) == []


@pytest.mark.parametrize("lapse", ["suspended", "revoked", "expired_status", "past_valid_to"])
def test_an_agency_whose_licence_lapses_loses_its_listing_at_once(users, lapse):
    agency = _agency("Nistru Personal SRL", valid_to=date(2099, 1, 1))
    offer = _approve(_offer(agency), users["regulator"])
    client = Client()
    assert "Hotel Adriatica SpA" in client.get("/public/offers/").content.decode()
    licence = agency.licences.get()
    if lapse == "past_valid_to":
        # no status change and no job: the validity ends, the query condition drops the offer
        Licence.objects.filter(pk=licence.pk).update(valid_to=timezone.localdate() - timedelta(days=1))
    else:
        to = "expired" if lapse == "expired_status" else lapse
        services.change_licence_status(licence, to, reason="inspection findings", user=users["regulator"])
    assert list(services.listed_offers()) == []
    html = client.get("/public/offers/").content.decode()
    assert "Hotel Adriatica SpA" not in html and "No verified offer is listed now." in html
    offer.refresh_from_db()
    assert offer.status == JobOffer.Status.APPROVED  # the offer is unchanged; the listing is a condition
    # reinstated: back on the list, without a new approval
    if lapse == "past_valid_to":
        Licence.objects.filter(pk=licence.pk).update(valid_to=date(2099, 1, 1))
    else:
        services.change_licence_status(licence, "active", reason="reinstated", user=users["regulator"])
    assert list(services.listed_offers()) == [offer]


def test_approval_needs_a_licence_in_force_and_a_note_for_warning_signs(users):
    agency = _agency("Prut Jobs SRL")
    risky = _offer(agency, description="Only 2 places left, decide today.")
    assert "pressure" in risky.signs
    with pytest.raises(services.RecruitmentError) as exc:
        _approve(risky, users["regulator"])
    assert exc.value.field == "note"
    _approve(risky, users["regulator"], note="Seasonal start date is fixed; checked with the employer.")
    other = _offer(agency)
    services.change_licence_status(agency.licences.get(), "suspended", reason="x", user=users["regulator"])
    with pytest.raises(services.RecruitmentError) as exc:
        _approve(other, users["regulator"])
    assert "licence in force" in exc.value.message
    with pytest.raises(services.RecruitmentError):
        services.review_offer(other, "reject", note="", user=users["regulator"])


# --- API ------------------------------------------------------------------------------------------


def _body(agency: Agency, **fields):
    body = {
        "agency": agency.pk,
        "title": "Fruit picker",
        "employer": "Fattoria Sole Srl",
        "workplace": "Strada Provinciale 5, Latina",
        "country": "ITA",
        "sector": "A01",
        "pay_amount": "9.50",
        "pay_currency": "EUR",
        "pay_period": "hour",
        "hours_per_week": 40,
        "contract": "seasonal",
        "contract_months": 4,
        "costs": FAIR_COSTS,
    }
    body.update(fields)
    return body


@pytest.mark.parametrize("role", ROLES)
def test_only_the_regulator_uses_the_offers_api(users, role):
    agency = _agency("Codru Work SRL")
    offer = _offer(agency)
    api = client_for(users[role])
    allowed = role == "regulator"
    assert api.get("/api/recruitment/offers/").status_code == (200 if allowed else 403)
    assert api.get(f"/api/recruitment/offers/{offer.pk}/").status_code == (200 if allowed else 403)
    r = api.post("/api/recruitment/offers/", _body(agency), format="json")
    assert r.status_code == (201 if allowed else 403), r.content
    r = api.post(f"/api/recruitment/offers/{offer.pk}/approve/", {}, format="json")
    assert r.status_code == (200 if allowed else 403), r.content
    assert JobOffer.objects.filter(status="approved").count() == (1 if allowed else 0)


def test_api_offer_flow(users):
    agency = _agency("Codru Work SRL")
    unlicensed = Agency.objects.create(legal_name="Dream Jobs Europe", country="MDA")
    api = client_for(users["regulator"])
    r = api.post("/api/recruitment/offers/", _body(unlicensed), format="json")
    assert r.status_code == 400 and "licence in force" in r.content.decode()
    r = api.post("/api/recruitment/offers/", _body(agency, costs={"bribe": "worker"}), format="json")
    assert r.status_code == 400 and "bribe" in r.content.decode()
    r = api.post("/api/recruitment/offers/", _body(agency, signs=["made_up"]), format="json")
    assert r.status_code == 201, r.content
    created = r.json()
    assert (
        created["status"] == "submitted" and created["signs"] == [] and created["licence_status"] == "active"
    )
    pk = created["id"]
    r = api.post(f"/api/recruitment/offers/{pk}/approve/", {}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "approved"
    assert [o["id"] for o in api.get("/api/recruitment/offers/", {"listed": "1"}).json()["results"]] == [pk]
    # a change to an approved offer sends it back for approval, and off the list
    r = api.patch(f"/api/recruitment/offers/{pk}/", {"pay_amount": "7.00"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "submitted"
    assert api.get("/api/recruitment/offers/", {"listed": "1"}).json()["results"] == []
    r = api.post(f"/api/recruitment/offers/{pk}/reject/", {}, format="json")
    assert r.status_code == 400 and [e["field"] for e in r.json()["errors"]] == ["note"]
    r = api.post(
        f"/api/recruitment/offers/{pk}/reject/", {"note": "pay below the minimum wage"}, format="json"
    )
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    actions = set(AuditEntry.objects.filter(object_type="job_offer").values_list("action", flat=True))
    assert {"create", "approve", "update", "reject"} <= actions


# --- pages ------------------------------------------------------------------------------------------


def _login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("role", ROLES)
def test_only_the_regulator_sees_the_offer_pages(users, role):
    offer = _offer(_agency("Codru Work SRL"))
    client = _login(users[role])
    for url in ("/recruitment/offers/", "/recruitment/offers/new/", f"/recruitment/offers/{offer.pk}/"):
        r = client.get(url)
        assert r.status_code == (200 if role == "regulator" else 403), (role, url)


def test_regulator_records_and_approves_an_offer_on_the_pages(users):
    agency = _agency("Codru Work SRL")
    Agency.objects.create(legal_name="Dream Jobs Europe", country="MDA")  # unlicensed: not offered
    client = _login(users["regulator"])
    form = client.get("/recruitment/offers/new/").content.decode()
    assert "Codru Work SRL" in form and "Dream Jobs Europe" not in form
    data = {
        "agency": agency.pk,
        "title": "Care worker",
        "employer": "Casa Serena Srl",
        "workplace": "Via Verdi 3, Bologna",
        "country": "ita",
        "sector": "Q87",
        "pay_amount": "1500",
        "pay_currency": "eur",
        "pay_period": "month",
        "hours_per_week": "38",
        "contract": "permanent",
        "contract_before_departure": "on",
        "description": "Care of elderly residents.",
        **{f"cost_{k}": v for k, v in FAIR_COSTS.items()},
        "cost_visa": "worker",
    }
    r = client.post("/recruitment/offers/new/", data, follow=True)
    offer = JobOffer.objects.get()
    assert offer.country == "ITA" and offer.costs["visa"] == "worker"
    html = r.content.decode()
    assert "Visa and work permit" in html and "not on the public list" in html
    # the worker would pay the visa: approval needs a note
    r = client.post(f"/recruitment/offers/{offer.pk}/", {"decision": "approve", "note": ""})
    assert r.status_code == 400 and "say in the note" in r.content.decode()
    r = client.post(
        f"/recruitment/offers/{offer.pk}/",
        {"decision": "approve", "note": "Employer confirmed in writing it refunds the visa."},
        follow=True,
    )
    assert "on the public list now" in r.content.decode()
    public = Client().get("/public/offers/").content.decode()
    assert "Casa Serena Srl" in public and "Licensed: licence in force" in public
    assert (
        "The worker would pay costs that the employer must pay" in public and "Visa and work permit" in public
    )
    assert "1500" in public and "38 hours per week" in public


def test_public_list_filters_by_country_and_shows_the_check(users):
    agency = _agency("Codru Work SRL")
    _approve(_offer(agency), users["regulator"])
    _approve(
        _offer(agency, country="DEU", employer="Bau GmbH", description="Decide today, few places left."),
        users["regulator"],
        note="ok",
    )
    html = Client().get("/public/offers/", {"country": "deu"}).content.decode()
    assert "Bau GmbH" in html and "Hotel Adriatica SpA" not in html
    assert "You are pushed to decide or pay quickly." in html
    html = Client().get("/public/offers/", {"country": "ITA"}).content.decode()
    assert "No warning sign was found in this offer" in html
