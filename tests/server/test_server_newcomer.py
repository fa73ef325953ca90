"""What a newcomer hits (issue 17, items 3 to 7): explicit consent, no blank case from an
accidental submit, a readable statistics page, the two-factor QR code, and the smaller things."""

from __future__ import annotations

import pytest
from django.test import Client

from vigil.server.audit.models import AuditEntry
from vigil.server.cases.models import Case, Consent, Person

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


# --- 3. consent: an explicit choice, several purposes at once ------------------------------------
def test_consent_unticked_is_not_a_refusal(users, cases):
    """The old form recorded a refusal when "Consent given" was left unticked; now a row without
    a choice is an error naming the purpose, and nothing is stored."""
    case = cases["a_caseworker"]
    c = logged_in(users["caseworker"])
    r = c.post(
        f"/cases/{case.pk}/consents/", {"referral-method": "verbal", "referral-given_on": "2026-04-01"}
    )
    assert r.status_code == 400
    html = r.content.decode()
    assert "Referral to other organisations: choose given or refused." in html
    assert not Consent.objects.filter(case=case).exists()


def test_consent_empty_form_records_nothing_and_says_so(users, cases):
    case = cases["a_caseworker"]
    r = logged_in(users["caseworker"]).post(f"/cases/{case.pk}/consents/", {})
    assert r.status_code == 400
    assert "Nothing was recorded: choose given or refused for at least one purpose." in r.content.decode()
    assert not Consent.objects.filter(case=case).exists()


def test_consent_choice_without_method_names_the_purpose(users, cases):
    case = cases["a_caseworker"]
    r = logged_in(users["caseworker"]).post(f"/cases/{case.pk}/consents/", {"services-decision": "given"})
    assert r.status_code == 400
    assert "Services: choose how the decision was expressed (method)." in r.content.decode()
    assert not Consent.objects.filter(case=case).exists()


def test_consent_page_has_no_default_choice(users, cases):
    html = logged_in(users["caseworker"]).get(f"/cases/{cases['a_caseworker'].pk}/consents/").content.decode()
    for purpose in ("services", "referral", "law_enforcement", "statistics", "tracing"):
        assert f'name="{purpose}-decision" value="given"' in html
        assert f'name="{purpose}-decision" value="refused"' in html
    assert "checked" not in html.split('id="consent-form"')[1]


def test_consent_several_purposes_at_once_confirmed_in_words_and_audited(users, cases):
    case = cases["a_caseworker"]
    c = logged_in(users["caseworker"])
    r = c.post(
        f"/cases/{case.pk}/consents/",
        {
            "services-decision": "given",
            "services-method": "verbal",
            "services-given_on": "2026-04-01",
            "referral-decision": "refused",
            "referral-method": "verbal",
            "referral-given_on": "2026-04-01",
            "statistics-given_on": "2026-04-01",  # a row without a choice: not recorded
        },
        follow=True,
    )
    assert r.status_code == 200
    html = r.content.decode()
    assert "Recorded: services — given (verbal); referral to other organisations — refused (verbal)" in html
    stored = {c.purpose: c.given for c in Consent.objects.filter(case=case)}
    assert stored == {"services": True, "referral": False}
    entries = AuditEntry.objects.filter(action="consent", object_type="case", object_id=str(case.pk))
    assert sorted((e.detail["purpose"], e.detail["given"]) for e in entries) == [
        ("referral", False),
        ("services", True),
    ]


def test_consent_confirmation_in_french(users, cases):
    case = cases["a_caseworker"]
    c = logged_in(users["caseworker"])
    c.cookies["django_language"] = "fr"
    r = c.post(
        f"/cases/{case.pk}/consents/",
        {"tracing-decision": "refused", "tracing-method": "written"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    html = r.content.decode()
    assert "Enregistré :" in html and "refusé" in html


# --- 4. intake: no blank case from an accidental submit ------------------------------------------
INTAKE = {
    "person-given_name": "Ilse",
    "person-family_name": "Madeup",
    "person-document_number": "",
    "person-phone": "",
    "person-address": "",
    "person-narrative": "",
    "person-gender": "",
    "person-birth_year": "",
    "person-citizenship": "",
    "person-primary_language": "",
    "case-status": "Active",
    "case-trafficking_status": "",
    "case-sector": "",
    "case-opened_on": "2026-05-01",
    "case-closed_on": "",
    "case-closure_reason": "",
}


def test_empty_intake_post_creates_nothing_and_says_why(users):
    c = logged_in(users["inspector"])
    r = c.post("/cases/new/", {})
    assert r.status_code == 400
    html = r.content.decode()
    assert "Nothing was created: a case needs at least a sector, a migration stage or a narrative." in html
    assert not Case.objects.exists() and not Person.objects.exists()


def test_intake_with_only_a_name_creates_nothing(users):
    """Enter pressed in the first field: a name alone is not a case."""
    r = logged_in(users["inspector"]).post("/cases/new/", INTAKE)
    assert r.status_code == 400 and 'id="intake-error"' in r.content.decode()
    assert not Case.objects.exists()


def test_intake_form_names_the_organisation(users):
    html = logged_in(users["inspector"]).get("/cases/new/").content.decode()
    assert "The case will belong to Inspectorate A." in html
    assert 'name="intake_token"' in html


@pytest.mark.parametrize(
    "useful",
    [{"case-sector": "I"}, {"person-narrative": "Came for a hotel job."}, {"stage-stage": "recruitment"}],
    ids=["sector", "narrative", "stage"],
)
def test_intake_with_a_sector_a_stage_or_a_note_creates_the_case(users, useful):
    c = logged_in(users["inspector"])
    country = "MDA" if useful.get("stage-stage") else ""
    r = c.post("/cases/new/", {**INTAKE, **useful, "stage-country": country})
    assert r.status_code == 302
    case = Case.objects.get()
    assert case.organisation == users["inspector"].organisation
    page = c.get(r["Location"]).content.decode()
    assert f"Case {case.reference} created." in page
    assert case.stages.count() == (1 if "stage-stage" in useful else 0)


def test_a_stage_begun_without_its_stage_is_an_error(users):
    form = {**INTAKE, "case-sector": "A", "stage-place": "Lyon"}
    r = logged_in(users["inspector"]).post("/cases/new/", form)
    assert r.status_code == 400
    assert "Choose the stage, or leave the whole stage empty." in r.content.decode()
    assert not Case.objects.exists()


def test_intake_sent_twice_creates_one_case(users):
    c = logged_in(users["inspector"])
    token = c.get("/cases/new/").context["intake_token"]
    form = {**INTAKE, "case-sector": "A", "intake_token": token}
    first = c.post("/cases/new/", form)
    second = c.post("/cases/new/", form, follow=True)
    assert Case.objects.count() == 1
    case = Case.objects.get()
    assert first["Location"] == f"/cases/{case.pk}/"
    assert f"This form was already sent: case {case.reference} was created then." in second.content.decode()


# --- 5. the analyst's statistics page on the demo -----------------------------------------------
@pytest.fixture
def demo(db):
    from vigil.server.accounts.models import User
    from vigil.server.cases.demo import load_demo

    load_demo()
    return User.objects.get(username="analyst")


def _cells(html: str) -> list[str]:
    import re

    body = html.split('id="stats-table"')[1].split("</table>")[0].split("<tbody>")[1]
    return re.findall(r'<td class="num">(.*?)</td>', body)


def test_demo_is_large_varied_and_mostly_consented(demo):
    from vigil.server.cases.demo import DEMO_CASES

    cases = Case.objects.all()
    assert DEMO_CASES >= 300 and cases.count() == DEMO_CASES
    consented = Consent.objects.filter(purpose="statistics", given=True, withdrawn_on=None)
    assert consented.count() > 0.8 * DEMO_CASES
    assert set(cases.values_list("sector", flat=True)) >= {"A", "C", "F", "I", "T"}
    assert len(set(cases.values_list("status", flat=True))) == 4
    assert len(set(cases.values_list("trafficking_status", flat=True))) == 4
    assert all(p.given_name == "Demo" and p.family_name.startswith("Person-") for p in Person.objects.all())
    # bulk-created persons still have their blind indexes: search by document number works
    assert Person.objects.filter(document_index=Person.index_document("DEMO-100001")).count() == 1


def test_demo_statistics_page_is_readable_with_labels_in_words(demo):
    html = logged_in(demo).get("/statistics/").content.decode()
    cells = _cells(html)
    assert len(cells) >= 20
    hidden = [c for c in cells if "—" in c]
    assert len(hidden) <= 0.2 * len(cells), f"{len(hidden)} of {len(cells)} cells hidden"
    for words in ("Agriculture, forestry and fishing", "Possible victim of trafficking", "Not yet determined",
                  "Total"):
        assert words in html
    table = html.split('id="stats-table"')[1].split("</table>")[0]
    assert "PossibleVictimOfTrafficking" not in table and "(none)" not in table
    assert "<th scope=\"row\">A</th>" not in table


def test_statistics_page_explains_suppression(demo):
    r = logged_in(demo).get("/statistics/", {"rows": "status", "cols": "screening_outcome"})
    html = r.content.decode()
    table = r.context["table"]
    assert table["hidden"] > 0
    assert "— : fewer than 11 cases, hidden to protect identities." in html
    assert ("with the totals shown, they would give a hidden count back" in html) == (table["secondary"] > 0)
    assert table["secondary"] > 0
    for words in ("Closed (referred)", "Follow-up", "Not screened", "Insufficient evidence"):
        assert words in html
    assert ">Latest screening outcome<" in html


def test_statistics_page_without_hidden_cells_has_no_note(users):
    from tests.server.conftest import make_case

    owner = users["caseworker"]
    for i in range(12):
        case = make_case(owner, doc=f"ALL-{i}", sector="C")
        Consent.objects.create(
            case=case, purpose="statistics", given=True, method="verbal", recorded_by=owner
        )
    html = logged_in(users["analyst"]).get("/statistics/").content.decode()
    assert 'id="suppression-note"' not in html and "Manufacturing" in html


def test_statistics_labels_in_french(demo):
    c = logged_in(demo)
    c.cookies["django_language"] = "fr"
    html = c.get("/statistics/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    table = html.split('id="stats-table"')[1].split("</table>")[0]
    assert "Total" in table and "Secteur" in table
    assert "Possible victim of trafficking" not in table and "Agriculture, forestry and fishing" not in table
