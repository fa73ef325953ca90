"""Inspections of agencies and links from agencies to the cases and offers that name them: the
risk components "deceptive offers", "linked trafficking cases" and "time since last inspection"
move in the server's worklist; a case is linked only by someone who may edit it, and the regulator
sees counts, never the case."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone
from tests.server.conftest import ROLES, client_for

from vigil.server.audit.models import AuditEntry
from vigil.server.recruitment import services
from vigil.server.recruitment.models import Agency, CaseLink, Inspection, JobOffer, Licence

pytestmark = pytest.mark.django_db


def _agency(name: str) -> Agency:
    agency = Agency.objects.create(legal_name=name, registration_number=f"R-{name[:5]}", country="NPL")
    Licence.objects.create(agency=agency, number=f"L-{name[:5]}", issuer="DoFE", valid_from=date(2024, 1, 1))
    return agency


def _components(agency: Agency) -> dict[str, tuple[float, str]]:
    (line,) = services.worklist(Agency.objects.filter(pk=agency.pk))
    return {c.name: (c.points, c.reason) for c in line.components}


def _offer(agency: Agency, text: str, status: str = "submitted") -> JobOffer:
    offer = JobOffer.objects.create(
        agency=agency,
        title="Waitress",
        employer="Blue Star Restaurant LLC",
        workplace="Al Wasl Road 3, Dubai",
        country="ARE",
        pay_amount="900",
        pay_currency="USD",
        pay_period="month",
        hours_per_week=48,
        contract="fixed_term",
        description=text,
    )
    JobOffer.objects.filter(pk=offer.pk).update(status=status)
    return offer


def test_deceptive_offers_move_the_score():
    agency = _agency("Sunrise Manpower")
    assert _components(agency)["deceptive_offers"] == (0.0, "no deceptive offer on record")
    _offer(agency, "Apply at our office.")  # no sign: not deceptive
    assert _components(agency)["deceptive_offers"][0] == 0
    _offer(agency, "Young good looking girls only, send photos. We keep your passport.")
    _offer(agency, "Pay the 500 USD placement fee now, 2 places left.", status="rejected")
    _offer(agency, "Decide today, few places left.", status="approved")  # the regulator accepted it
    points, reason = _components(agency)["deceptive_offers"]
    assert points > 0 and reason == "2 offer(s) with warning signs"


def test_linked_trafficking_cases_move_the_score(users, cases):
    agency = _agency("Himal Gulf Link")
    possible, decided, not_victim = cases["a_caseworker"], cases["a_inspector"], cases["b"]
    possible.trafficking_status = "PossibleVictimOfTrafficking"
    decided.trafficking_status = "ActualVictimOfTrafficking"
    not_victim.trafficking_status = "NotAVictimOfTrafficking"
    for c in (possible, decided, not_victim):
        c.save()
    services.link_case(agency, not_victim, user=users["caseworker_b"])
    assert _components(agency)["trafficking_cases"] == (0.0, "no linked trafficking case")
    services.link_case(agency, possible, user=users["caseworker"])
    services.link_case(agency, decided, user=users["inspector"])
    services.link_case(agency, decided, user=users["inspector"])  # twice: one link
    points, reason = _components(agency)["trafficking_cases"]
    assert points > 0 and reason == "linked to 2 trafficking case(s)"
    assert CaseLink.objects.filter(agency=agency).count() == 3


def test_inspections_move_the_score(users):
    agency = _agency("Chisinau Work Abroad")
    assert _components(agency)["inspection"][1] == "never inspected"
    never = _components(agency)["inspection"][0]
    today = timezone.localdate()
    Inspection.objects.create(
        agency=agency, inspected_on=today - timedelta(days=3 * 365), inspector="Team North", outcome="minor"
    )
    old = _components(agency)["inspection"]
    assert old[0] > 0 and "years ago" in old[1]
    Inspection.objects.create(agency=agency, inspected_on=today, inspector="Team North", outcome="compliant")
    recent = _components(agency)["inspection"]
    assert recent[0] == 0 < old[0] and recent[0] < never
    assert Agency.objects.get(pk=agency.pk).last_inspection == today
    # an older inspection recorded later does not move the latest date back
    Inspection.objects.create(
        agency=agency, inspected_on=today - timedelta(days=900), inspector="Team South", outcome="breaches"
    )
    assert Agency.objects.get(pk=agency.pk).last_inspection == today


def test_the_worklist_ranks_by_the_moved_components(users, cases):
    calm, risky = _agency("Calm Recruiters"), _agency("Risky Recruiters")
    today = timezone.localdate()
    for a in (calm, risky):
        Inspection.objects.create(agency=a, inspected_on=today, inspector="T", outcome="compliant")
    ranks = [ln.agency.pk for ln in services.worklist(Agency.objects.all())]
    assert ranks == sorted(ranks)  # tie: by id
    cases["b"].trafficking_status = "ActualVictimOfTrafficking"
    cases["b"].save()
    services.link_case(risky, cases["b"], user=users["caseworker_b"])
    lines = services.worklist(Agency.objects.all())
    assert [ln.agency for ln in lines] == [risky, calm]
    assert "linked to 1 trafficking case(s)" in lines[0].reason


# --- who links, who sees ----------------------------------------------------------------------------


def test_only_someone_who_may_edit_the_case_links_it(users, cases):
    agency = _agency("Sunrise Manpower")
    with pytest.raises(services.RecruitmentError):
        services.link_case(agency, cases["b"], user=users["caseworker"])  # another organisation's case
    with pytest.raises(services.RecruitmentError):
        services.link_case(agency, cases["b"], user=users["regulator"])
    assert not CaseLink.objects.exists()


@pytest.mark.parametrize("role", ROLES)
def test_case_links_api_by_role(users, cases, role):
    agency = _agency("Sunrise Manpower")
    api = client_for(users[role])
    case = cases["a_caseworker"]
    r = api.post("/api/recruitment/case-links/", {"agency": agency.pk, "case": case.pk}, format="json")
    may_edit = role in {"caseworker", "supervisor"}  # org A, organisation scope; the inspector: own cases
    if role in {"caseworker", "inspector", "supervisor"}:
        assert r.status_code == (201 if may_edit else 400), (role, r.content)
    else:
        assert r.status_code == 403, (role, r.status_code)
    listed = api.get("/api/recruitment/case-links/")
    if role in {"caseworker", "inspector", "supervisor"}:
        assert listed.status_code == 200
    else:
        assert listed.status_code == 403


def test_a_case_out_of_scope_is_unknown_and_the_regulator_sees_counts_only(users, cases):
    agency = _agency("Sunrise Manpower")
    api = client_for(users["caseworker"])
    out = api.post(
        "/api/recruitment/case-links/", {"agency": agency.pk, "case": cases["b"].pk}, format="json"
    )
    missing = api.post("/api/recruitment/case-links/", {"agency": agency.pk, "case": 987654}, format="json")
    assert out.status_code == missing.status_code == 400
    # the same answer as for a case that does not exist (the id aside)
    out_errors = [
        {**e, "detail": e["detail"].replace(str(cases["b"].pk), "ID")} for e in out.json()["errors"]
    ]
    missing_errors = [{**e, "detail": e["detail"].replace("987654", "ID")} for e in missing.json()["errors"]]
    assert out_errors == missing_errors and out_errors[0]["field"] == "case"
    r = api.post(
        "/api/recruitment/case-links/", {"agency": agency.pk, "case": cases["a_caseworker"].pk}, format="json"
    )
    assert r.status_code == 201 and r.json()["case_reference"] == cases["a_caseworker"].reference
    again = api.post(
        "/api/recruitment/case-links/", {"agency": agency.pk, "case": cases["a_caseworker"].pk}, format="json"
    )
    assert again.status_code == 200 and again.json()["id"] == r.json()["id"]
    # caseworker_b sees no link of org A's case
    assert client_for(users["caseworker_b"]).get("/api/recruitment/case-links/").json()["results"] == []
    assert AuditEntry.objects.filter(object_type="case_link", action="create").count() == 1
    # the regulator's agency page: the count, no case reference, no person
    client = Client()
    client.force_login(users["regulator"])
    html = client.get(f"/recruitment/agencies/{agency.pk}/").content.decode()
    assert "1 linked case" in html
    assert cases["a_caseworker"].reference not in html and cases["a_caseworker"].person.given_name not in html


def test_case_link_page_for_a_caseworker(users, cases):
    agency = _agency("Sunrise Manpower")
    client = Client()
    client.force_login(users["caseworker"])
    page = client.get("/recruitment/case-links/").content.decode()
    assert cases["a_caseworker"].reference in page and cases["b"].reference not in page
    r = client.post(
        "/recruitment/case-links/", {"case": cases["a_caseworker"].pk, "agency": agency.pk}, follow=True
    )
    assert "The case is linked to the agency." in r.content.decode()
    assert CaseLink.objects.get().linked_by == users["caseworker"]
    r = client.post("/recruitment/case-links/", {"case": cases["b"].pk, "agency": agency.pk})
    assert r.status_code == 200 and CaseLink.objects.count() == 1
    for role in ("regulator", "analyst", "referral_receiver"):
        other = Client()
        other.force_login(users[role])
        assert other.get("/recruitment/case-links/").status_code == 403


# --- inspections: API and page ---------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_only_the_regulator_records_inspections(users, role):
    agency = _agency("Sunrise Manpower")
    api = client_for(users[role])
    body = {
        "agency": agency.pk,
        "inspected_on": "2026-01-05",
        "inspector": "Team North",
        "outcome": "breaches",
    }
    r = api.post("/api/recruitment/inspections/", body, format="json")
    assert r.status_code == (201 if role == "regulator" else 403), r.content
    assert api.get("/api/recruitment/inspections/").status_code == (200 if role == "regulator" else 403)


def test_inspection_api_and_page(users):
    agency = _agency("Sunrise Manpower")
    api = client_for(users["regulator"])
    future = (timezone.localdate() + timedelta(days=2)).isoformat()
    r = api.post(
        "/api/recruitment/inspections/",
        {"agency": agency.pk, "inspected_on": future, "inspector": "T", "outcome": "compliant"},
        format="json",
    )
    assert r.status_code == 400
    # last_inspection follows the inspections, it cannot be set on the agency
    api.patch(f"/api/recruitment/agencies/{agency.pk}/", {"last_inspection": "2026-01-01"}, format="json")
    assert Agency.objects.get(pk=agency.pk).last_inspection is None
    client = Client()
    client.force_login(users["regulator"])
    day = (timezone.localdate() - timedelta(days=10)).isoformat()
    r = client.post(
        f"/recruitment/agencies/{agency.pk}/",
        {
            "form": "inspection",
            "inspected_on": day,
            "inspector": "Team North",
            "outcome": "breaches",
            "findings": "Fees charged for medical tests.",
        },
        follow=True,
    )
    html = r.content.decode()
    assert "Inspection recorded." in html and "Fees charged for medical tests." in html
    assert Inspection.objects.get().recorded_by == users["regulator"]
    assert Agency.objects.get(pk=agency.pk).last_inspection.isoformat() == day
