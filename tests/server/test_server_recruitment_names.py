"""The name review queue: pairs of registry entries whose names may be one agency
(``vigil.recruitment.names.pairs_within``, same country) wait for a regulator, who merges them
(everything that names the merged entry moves to the kept one) or separates them; every decision
is kept in a history and can be undone, restoring each row where it was."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from tests.server.conftest import ROLES, client_for

from vigil.server.recruitment import services
from vigil.server.recruitment.models import (
    Agency,
    CaseLink,
    Complaint,
    FeeReport,
    Inspection,
    JobOffer,
    Licence,
    NamePair,
    Sanction,
)

pytestmark = pytest.mark.django_db


def _agency(name: str, country: str = "NPL", number: str | None = None) -> Agency:
    agency = Agency.objects.create(legal_name=name, country=country)
    if number:
        Licence.objects.create(agency=agency, number=number, issuer="DoFE", valid_from=date(2024, 1, 1))
    return agency


@pytest.fixture
def pair_world(users, cases):
    a = _agency("Sunrise Manpower Pvt Ltd", number="DOFE-1")
    b = _agency("Sunrize Man Power Private Limited")
    other = _agency("Himal Gulf Link")
    abroad = _agency("Sunrise Manpower", country="MDA")
    Complaint.objects.create(agency=b, description="fee of 900 USD", severity="high")
    FeeReport.objects.create(agency=b, amount=900, currency="USD", purpose="visa", channel="loan")
    Sanction.objects.create(agency=b, kind="warning", imposed_on=date(2025, 1, 1))
    Inspection.objects.create(agency=b, inspected_on=date(2025, 6, 1), inspector="T", outcome="breaches")
    JobOffer.objects.create(
        agency=b,
        title="Cook",
        employer="X LLC",
        workplace="Doha",
        country="QAT",
        pay_amount=1,
        pay_currency="QAR",
        pay_period="month",
        hours_per_week=48,
        contract="fixed_term",
    )
    case = cases["a_caseworker"]
    services.link_case(a, case, user=users["caseworker"])
    services.link_case(b, case, user=users["caseworker"])  # the same case, linked to both entries
    services.link_case(b, cases["a_inspector"], user=users["inspector"])
    return {"a": a, "b": b, "other": other, "abroad": abroad}


def _snapshot(agency: Agency) -> dict[str, set[int]]:
    return {
        "licences": set(agency.licences.values_list("pk", flat=True)),
        "complaints": set(agency.complaints.values_list("pk", flat=True)),
        "fee_reports": set(agency.fee_reports.values_list("pk", flat=True)),
        "sanctions": set(agency.sanctions.values_list("pk", flat=True)),
        "inspections": set(agency.inspections.values_list("pk", flat=True)),
        "offers": set(agency.offers.values_list("pk", flat=True)),
        "case_links": set(agency.case_links.values_list("case_id", flat=True)),
    }


def test_pairs_are_found_within_a_country_once(pair_world):
    assert services.find_name_pairs() == 1
    pair = NamePair.objects.get()
    assert {pair.agency_a, pair.agency_b} == {pair_world["a"], pair_world["b"]}
    assert pair.agency_a_id < pair.agency_b_id and 75 <= pair.score < 100
    assert services.find_name_pairs() == 0  # not proposed twice
    services.separate_pair(pair, user=None)
    assert services.find_name_pairs() == 0  # nor after a decision


def test_merge_moves_everything_and_undo_restores_it(users, pair_world):
    a, b = pair_world["a"], pair_world["b"]
    before_a, before_b = _snapshot(a), _snapshot(b)
    services.find_name_pairs()
    pair = NamePair.objects.get()
    services.merge_pair(pair, keep=a, user=users["regulator"])
    b.refresh_from_db()
    assert b.merged_into == a
    after = _snapshot(a)
    for key in before_a:
        assert after[key] == before_a[key] | before_b[key], key
    assert _snapshot(b) == {k: set() for k in before_b}
    assert CaseLink.objects.filter(agency=a).count() == 2  # the case linked to both: once
    assert Agency.objects.get(pk=a.pk).last_inspection == date(2025, 6, 1)
    # the merged entry leaves the registry: worklist, search, agency list
    assert b not in [ln.agency for ln in services.worklist(services.active_agencies())]
    found = services.search_agencies("Sunrize Man Power Private Limited")
    assert a in found and b not in found
    regulator = client_for(users["regulator"])
    assert regulator.get(f"/api/recruitment/agencies/{b.pk}/").status_code == 404
    with pytest.raises(services.RecruitmentError):
        services.merge_pair(pair, keep=a, user=users["regulator"])  # already decided
    services.undo_pair(pair, user=users["regulator"])
    a.refresh_from_db()
    b.refresh_from_db()
    assert b.merged_into is None and _snapshot(a) == before_a and _snapshot(b) == before_b
    assert Agency.objects.get(pk=a.pk).last_inspection is None
    pair.refresh_from_db()
    assert pair.status == "pending" and pair.kept is None
    assert [e.action for e in pair.events.all()] == ["merged", "undone"]
    assert pair.events.first().by == users["regulator"]
    assert list(services.review_queue()) == [pair]


def test_separate_and_undo(users, pair_world):
    services.find_name_pairs()
    pair = NamePair.objects.get()
    services.separate_pair(pair, user=users["regulator"])
    assert list(services.review_queue()) == []
    with pytest.raises(services.RecruitmentError):
        services.separate_pair(pair, user=users["regulator"])
    services.undo_pair(pair, user=users["regulator"])
    assert list(services.review_queue()) == [pair]
    with pytest.raises(services.RecruitmentError):
        services.undo_pair(pair, user=users["regulator"])  # nothing to undo


def test_a_chain_of_merges_is_undone_in_order(users):
    a, b, c = _agency("Atlas Manpower Ltd"), _agency("Atlas Man Power"), _agency("Atlas Manpower Limited Co")
    fee = FeeReport.objects.create(agency=b, amount=5, currency="USD", purpose="visa", channel="upfront")
    services.find_name_pairs()
    ab = NamePair.objects.get(agency_a=a, agency_b=b)
    ac = NamePair.objects.get(agency_a=a, agency_b=c)
    services.merge_pair(ab, keep=a, user=None)
    # a pair with a merged entry leaves the queue
    assert all(b.pk not in (p.agency_a_id, p.agency_b_id) for p in services.review_queue())
    services.merge_pair(ac, keep=c, user=None)
    fee.refresh_from_db()
    assert fee.agency == c
    with pytest.raises(services.RecruitmentError) as exc:
        services.undo_pair(ab, user=None)  # a was merged into c since
    assert "undo that first" in exc.value.message
    services.undo_pair(ac, user=None)
    services.undo_pair(ab, user=None)
    fee.refresh_from_db()
    assert fee.agency == b and Agency.objects.filter(merged_into__isnull=False).count() == 0


def test_licence_import_puts_new_pairs_in_the_queue(users, tmp_path):
    from vigil.server.recruitment.imports import import_files

    _agency("Golden Gate Overseas SRL", country="MDA", number="ANOFM-1")
    result = import_files(
        "licences",
        [
            (
                "l.csv",
                b"legal_name,country,licence_number,issuer,valid_from\n"
                b"Golden Gate Oversea S.R.L.,MDA,ANOFM-2,ANOFM,2024-01-01\n",
            )
        ],
    )
    assert result.created["name pairs to review"] == 1 and NamePair.objects.count() == 1


# --- API and page -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_only_the_regulator_reviews_names(users, pair_world, role):
    services.find_name_pairs()
    pair = NamePair.objects.get()
    api = client_for(users[role])
    ok = role == "regulator"
    assert api.get("/api/recruitment/name-pairs/").status_code == (200 if ok else 403)
    assert api.post("/api/recruitment/name-pairs/find/").status_code == (200 if ok else 403)
    r = api.post(f"/api/recruitment/name-pairs/{pair.pk}/separate/")
    assert r.status_code == (200 if ok else 403)
    client = Client()
    client.force_login(users[role])
    assert client.get("/recruitment/names/").status_code == (200 if ok else 403)


def test_api_merge_undo(users, pair_world):
    api = client_for(users["regulator"])
    assert api.post("/api/recruitment/name-pairs/find/").json() == {"new_pairs": 1}
    (row,) = api.get("/api/recruitment/name-pairs/", {"status": "pending"}).json()["results"]
    r = api.post(
        f"/api/recruitment/name-pairs/{row['id']}/merge/", {"keep": pair_world["other"].pk}, format="json"
    )
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "keep"
    r = api.post(
        f"/api/recruitment/name-pairs/{row['id']}/merge/", {"keep": pair_world["b"].pk}, format="json"
    )
    assert r.status_code == 200 and r.json()["status"] == "merged" and r.json()["kept"] == pair_world["b"].pk
    assert Agency.objects.get(pk=pair_world["a"].pk).merged_into_id == pair_world["b"].pk
    assert Licence.objects.get(number="DOFE-1").agency_id == pair_world["b"].pk
    r = api.post(f"/api/recruitment/name-pairs/{row['id']}/undo/")
    assert r.status_code == 200 and [e["action"] for e in r.json()["events"]] == ["merged", "undone"]
    assert Licence.objects.get(number="DOFE-1").agency_id == pair_world["a"].pk


def test_review_page_merge_separate_undo(users, pair_world):
    client = Client()
    client.force_login(users["regulator"])
    r = client.post("/recruitment/names/", {"action": "find"}, follow=True)
    html = r.content.decode()
    assert "1 new pair(s) to review." in html
    assert "Sunrise Manpower Pvt Ltd" in html and "Sunrize Man Power Private Limited" in html
    pair = NamePair.objects.get()
    keep = "keep_a" if pair.agency_a == pair_world["a"] else "keep_b"
    r = client.post("/recruitment/names/", {"action": keep, "pair": pair.pk}, follow=True)
    html = r.content.decode()
    assert "Merged into Sunrise Manpower Pvt Ltd." in html and "No pair waits for review." in html
    assert Agency.objects.get(pk=pair_world["b"].pk).merged_into_id == pair_world["a"].pk
    r = client.post("/recruitment/names/", {"action": "undo", "pair": pair.pk}, follow=True)
    assert "Decision undone" in r.content.decode()
    r = client.post("/recruitment/names/", {"action": "separate", "pair": pair.pk}, follow=True)
    html = r.content.decode()
    assert "Kept as separate agencies." in html and "Separate agencies" in html
    r = client.post("/recruitment/names/", {"action": "separate", "pair": pair.pk}, follow=True)
    assert "already decided" in r.content.decode()
