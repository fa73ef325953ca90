"""The case page's "Recruitment agencies" panel (recruitment/_case_agencies.html): the agencies
linked to the case, the registry entries that the case's migration stages name (fuzzy match of
the encrypted ``employer_or_recruiter``), one click to link one; the suggestion and the link are
audited; a regulator never sees the case."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from vigil.recruitment.names import Party, rank_candidates
from vigil.server.audit.models import AuditEntry
from vigil.server.cases.models import MigrationStage
from vigil.server.recruitment.models import Agency, CaseLink, Licence

pytestmark = pytest.mark.django_db


def _agency(name: str, country: str = "NPL", licensed: bool = True) -> Agency:
    agency = Agency.objects.create(legal_name=name, registration_number=f"R-{name}", country=country)
    if licensed:
        Licence.objects.create(agency=agency, number=f"L-{name}", issuer="DoFE", valid_from=date(2024, 1, 1))
    return agency


@pytest.fixture
def registry() -> dict[str, Agency]:
    return {
        "sunrise": _agency("Sunrise Manpower Pvt Ltd"),
        "sunshine": _agency("Sunshine Manpower Services"),
        "sunrise_travel": _agency("Sunrise Travel Agency", licensed=False),
        "bluestar": _agency("Blue Star Recruitment SRL", country="MDA"),
    }


def _page(user, case) -> tuple[int, str]:
    client = Client()
    client.force_login(user)
    r = client.get(f"/cases/{case.pk}/")
    return r.status_code, r.content.decode()


def _section(html: str, element_id: str) -> str:
    start = html.index(f'id="{element_id}"')
    return html[start : html.index("</ul>", start)]


def test_ranking_puts_the_named_agency_first():
    reg = [Party("1", "Sunshine Manpower Services", "NPL"), Party("2", "Sunrise Manpower Pvt Ltd", "NPL")]
    got = rank_candidates("the agent of Sunrise Manpower (Kathmandu)", reg, country="NPL")
    assert [c.id for c in got][:1] == ["2"] and got[0].score >= 75
    assert rank_candidates("sunrise manpwer pvt", reg)[0].id == "2"  # a misspelling
    assert rank_candidates("a cousin in Lyon", reg) == []
    assert rank_candidates("", reg) == []


def test_suggestion_shown_ranked_and_audited_for_the_caseworker(users, cases, registry):
    case = cases["a_caseworker"]
    MigrationStage.objects.create(
        case=case,
        stage="recruitment",
        country="NPL",
        employer_or_recruiter="Sunrise Manpower, agent in Kathmandu",
    )
    status, html = _page(users["caseworker"], case)
    assert status == 200 and 'id="agencies"' in html
    suggested = _section(html, "agency-suggestions")
    first = suggested.index("Sunrise Manpower Pvt Ltd")
    assert "Blue Star" not in suggested
    for other in ("Sunshine Manpower Services", "Sunrise Travel Agency"):
        assert other not in suggested or suggested.index(other) > first
    assert f'value="{registry["sunrise"].pk}"' in suggested
    entry = AuditEntry.objects.filter(action="suggest", object_type="case", object_id=str(case.pk)).get()
    assert entry.detail["agencies"][0] == registry["sunrise"].pk
    assert entry.detail["read"] == "migration_stage.employer_or_recruiter"
    assert "Kathmandu" not in str(entry.detail)  # ids and scores, never the text
    assert "No agency of the registry is linked to this case." in html


def test_one_click_links_the_agency_and_is_audited(users, cases, registry):
    case = cases["a_caseworker"]
    MigrationStage.objects.create(case=case, stage="recruitment", employer_or_recruiter="Sunrise Manpower")
    client = Client()
    client.force_login(users["caseworker"])
    r = client.post(f"/recruitment/cases/{case.pk}/agencies/", {"agency": registry["sunrise"].pk})
    assert r.status_code == 302 and r["Location"] == f"/cases/{case.pk}/#agencies"
    link = CaseLink.objects.get()
    assert (link.case, link.agency, link.linked_by) == (case, registry["sunrise"], users["caseworker"])
    entry = AuditEntry.objects.get(action="create", object_type="caselink")
    assert entry.detail == {"case": case.pk, "agency": registry["sunrise"].pk, "via_suggestion": True}
    # the page now lists the link, and no longer suggests the linked agency
    _status, html = _page(users["caseworker"], case)
    assert "Sunrise Manpower Pvt Ltd" in _section(html, "case-agencies")
    assert "agency-suggestions" not in html or "Sunrise Manpower Pvt Ltd" not in _section(
        html, "agency-suggestions"
    )
    assert f"/recruitment/case-links/?case={case.pk}" in html
    # twice is once
    client.post(f"/recruitment/cases/{case.pk}/agencies/", {"agency": registry["sunrise"].pk})
    assert CaseLink.objects.count() == 1


def test_who_may_link_and_who_sees(users, cases, registry):
    case = cases["a_caseworker"]
    MigrationStage.objects.create(case=case, stage="recruitment", employer_or_recruiter="Sunrise Manpower")
    CaseLink.objects.create(case=case, agency=registry["bluestar"], linked_by=users["caseworker"])
    url = f"/recruitment/cases/{case.pk}/agencies/"
    # the regulator never sees the case, nor links it
    regulator = Client()
    regulator.force_login(users["regulator"])
    status, html = _page(users["regulator"], case)
    assert status == 403 and case.reference not in html and "Blue Star" not in html
    assert regulator.post(url, {"agency": registry["sunrise"].pk}).status_code == 403
    for role in ("analyst", "referral_receiver", "administrator", "compliance"):
        other = Client()
        other.force_login(users[role])
        assert other.post(url, {"agency": registry["sunrise"].pk}).status_code == 403, role
    # another organisation's caseworker: the case is unknown
    b = Client()
    b.force_login(users["caseworker_b"])
    assert b.post(url, {"agency": registry["sunrise"].pk}).status_code == 404
    # the inspector (own scope) may not edit this org-A case: no panel suggestions, no link
    inspector = Client()
    inspector.force_login(users["inspector"])
    assert inspector.post(url, {"agency": registry["sunrise"].pk}).status_code == 404
    # a merged entry or an unknown agency is refused
    client = Client()
    client.force_login(users["caseworker"])
    assert client.post(url, {"agency": "nope"}).status_code == 404
    assert CaseLink.objects.count() == 1
    assert not AuditEntry.objects.filter(object_type="caselink").exists()


def test_a_reader_who_may_not_edit_sees_links_but_no_suggestion(users, cases, registry):
    """Emergency (break-glass) access reads a case without editing it: the linked agencies show,
    no suggestion is computed (nothing read from the stages for it), no link button."""
    from vigil.server.emergency import services as emergency

    case = cases["b"]
    MigrationStage.objects.create(case=case, stage="recruitment", employer_or_recruiter="Sunrise Manpower")
    CaseLink.objects.create(case=case, agency=registry["bluestar"], linked_by=users["caseworker_b"])
    emergency.grant(
        users["caseworker"], case.reference, "Shelter called at night: the person asks for help.", via="web"
    )
    status, html = _page(users["caseworker"], case)
    assert status == 200 and "Blue Star Recruitment SRL" in _section(html, "case-agencies")
    assert "agency-suggestions" not in html and "case-link-page" not in html
    assert not AuditEntry.objects.filter(action="suggest").exists()
