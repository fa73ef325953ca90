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
    # the synthetic cases, and the one the inspections demo opens for the worker it refers
    assert DEMO_CASES >= 300 and cases.count() == DEMO_CASES + 1
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
    for words in (
        "Agriculture, forestry and fishing",
        "Possible victim of trafficking",
        "Not yet determined",
        "Total",
    ):
        assert words in html
    table = html.split('id="stats-table"')[1].split("</table>")[0]
    assert "PossibleVictimOfTrafficking" not in table and "(none)" not in table
    assert '<th scope="row">A</th>' not in table


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


# --- 7. smaller things ----------------------------------------------------------------------------
def _screen(case, user, ruleset="ilo-ec-2009-adult-labour", positive=True):
    from vigil.server.cases import screening

    s = screening.start(case, ruleset, user)
    if positive:
        for ind in ("DR01", "DR08", "EX01", "EX04", "CD01", "CD02"):
            screening.apply_answer(s, ind, True)
        s.age = 30
    screening.evaluate(s)
    s.save()
    return s


def test_case_list_names_sectors_orders_by_date_and_shows_screening_and_referrals(users, cases):
    import datetime as dt

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from tests.server.conftest import make_case

    from vigil.server.referrals.models import Referral, ServiceProvider

    worker = users["caseworker"]
    old = cases["a_caseworker"]
    Case.objects.filter(pk=old.pk).update(opened_on=dt.date(2025, 1, 5), sector="T")
    new = make_case(worker, doc="NEW-1", sector="C", opened_on=dt.date(2026, 3, 1))
    middle = make_case(worker, doc="MID-1", sector="F", opened_on=dt.date(2025, 6, 1))
    _screen(new, worker)
    provider = ServiceProvider.objects.create(
        organisation=worker.organisation, name="Own service", service_type="legal"
    )
    Referral.objects.create(case=new, provider=provider, created_by=worker)
    Referral.objects.create(case=new, provider=provider, created_by=worker)
    c = logged_in(worker)
    html = c.get("/cases/").content.decode()
    assert html.index(new.reference) < html.index(middle.reference) < html.index(old.reference)
    rows = {ref: html.split(ref)[1].split("</tr>")[0] for ref in (new.reference, old.reference)}
    assert "Manufacturing" in rows[new.reference] and "Positive" in rows[new.reference]
    assert '<td class="num">2</td>' in rows[new.reference]
    assert "Activities of households as employers" in rows[old.reference]
    assert '<td class="num">0</td>' in rows[old.reference]
    assert ">Latest screening<" in html and ">Referrals<" in html
    # no query per row: the same number of queries for 3 cases as for 13
    with CaptureQueriesContext(connection) as few:
        c.get("/cases/")
    for i in range(10):
        extra = make_case(worker, doc=f"MORE-{i}", sector="A")
        _screen(extra, worker, positive=False)
        Referral.objects.create(case=extra, provider=provider, created_by=worker)
    with CaptureQueriesContext(connection) as many:
        c.get("/cases/")
    assert len(many.captured_queries) == len(few.captured_queries)


def test_case_page_screenings_show_the_rule_set_title_and_the_picker_marks_unverified(users, cases):
    case = cases["a_caseworker"]
    _screen(case, users["caseworker"])
    html = logged_in(users["caseworker"]).get(f"/cases/{case.pk}/").content.decode()
    table = html.split('id="screening-table"')[1].split("</table>")[0]
    assert (
        "ILO/EC operational indicators of trafficking in human beings: adults, labour exploitation" in table
    )
    assert "ilo-ec-2009-adult-labour" not in table
    picker = html.split('id="id_ruleset"')[1].split("</select>")[0]
    unverified = next(o for o in picker.split("<option")[1:] if "ilo-ec-2009-child-labour" in o)
    verified = next(o for o in picker.split("<option")[1:] if "ilo-ec-2009-adult-labour" in o)
    assert "not verified against the source" in unverified and "not verified" not in verified
    s = _screen(case, users["caseworker"], ruleset="ilo-ec-2009-child-labour", positive=False)
    shown = logged_in(users["caseworker"]).get(f"/screenings/{s.pk}/").content.decode()
    assert "not verified against the source" in shown


def test_referral_form_has_no_default_service(users, cases):
    from vigil.server.referrals.models import ServiceProvider

    worker = users["caseworker"]
    ServiceProvider.objects.create(
        organisation=worker.organisation, name="Aardvark legal", service_type="legal"
    )
    case = cases["a_caseworker"]
    html = logged_in(worker).get(f"/cases/{case.pk}/").content.decode()
    select = html.split('id="id_provider"')[1].split("</select>")[0]
    assert '<option value="" selected disabled>Choose a service</option>' in select
    assert select.count("selected") == 1
    r = logged_in(worker).post(f"/cases/{case.pk}/referrals/", {"reason": "x"}, follow=True)
    section = r.content.decode().split('id="referrals"')[1].split("</section>")[0]
    assert "Choose a service." in section
    assert not case.referrals.exists()


def test_referral_message_is_shown_in_the_referral_section(users, cases):
    from vigil.server.referrals.models import ServiceProvider

    worker = users["caseworker"]
    provider = ServiceProvider.objects.create(
        organisation=worker.organisation, name="Own legal", service_type="legal"
    )
    case = cases["a_caseworker"]
    Consent.objects.create(case=case, purpose="referral", given=True, method="verbal", recorded_by=worker)
    c = logged_in(worker)
    r = c.post(f"/cases/{case.pk}/referrals/", {"provider": provider.pk, "shared": ["given_name"]})
    assert r["Location"].endswith("#referrals")
    html = c.get(r["Location"].split("#")[0]).content.decode()
    section = html.split('id="referrals"')[1].split("</section>")[0]
    assert 'id="referral-messages"' in section and "Referral sent to Own legal." in section
    top = html.split("<main>")[1].split("<h1>")[0]
    assert "Referral sent" not in top


def test_decline_and_revoke_are_dangerous_and_confirmed_without_script(users, cases):
    from vigil.server.referrals.models import Referral, ServiceProvider

    worker, receiver = users["caseworker"], users["referral_receiver"]
    provider = ServiceProvider.objects.create(
        organisation=receiver.organisation, name="Shelter", service_type="shelter"
    )
    case = cases["a_caseworker"]
    ref = Referral.objects.create(case=case, provider=provider, created_by=worker)
    inbox = logged_in(receiver).get("/referrals/").content.decode()
    assert '<button type="submit" class="danger">Decline…</button>' in inbox
    page = logged_in(worker).get(f"/cases/{case.pk}/").content.decode()
    assert '<button type="submit" class="danger">Revoke…</button>' in page
    # decline: a first POST asks; the confirmation page posts again with confirmed=yes
    ask = logged_in(receiver).post(f"/referrals/{ref.pk}/decline/", {"reason": "full tonight"})
    html = ask.content.decode()
    assert ask.status_code == 200 and "Decline the referral?" in html
    assert 'name="confirmed" value="yes"' in html and 'value="full tonight"' in html
    form = html.split('id="confirm-decline"')[1].split("</section>")[0]
    assert "hx-" not in form and "onclick" not in form  # a plain form: no script needed
    ref.refresh_from_db()
    assert ref.status == "pending"
    done = logged_in(receiver).post(
        f"/referrals/{ref.pk}/decline/", {"reason": "full tonight", "confirmed": "yes"}
    )
    assert done.status_code == 302
    ref.refresh_from_db()
    assert ref.status == "declined" and ref.decline_reason == "full tonight"
    # revoke
    ref2 = Referral.objects.create(case=case, provider=provider, created_by=worker)
    ask = logged_in(worker).post(f"/referrals/{ref2.pk}/revoke/", {"reason": "sent by mistake"})
    assert ask.status_code == 200 and "Revoke the referral?" in ask.content.decode()
    ref2.refresh_from_db()
    assert ref2.status == "pending"
    logged_in(worker).post(f"/referrals/{ref2.pk}/revoke/", {"reason": "sent by mistake", "confirmed": "yes"})
    ref2.refresh_from_db()
    assert ref2.status == "revoked"


def test_positive_screening_prompts_the_trafficking_status_never_sets_it(users, cases):
    case = cases["a_caseworker"]
    worker = users["caseworker"]
    s = _screen(case, worker)
    case.refresh_from_db()
    assert case.trafficking_status == ""  # never set by the screening
    c = logged_in(worker)
    for url in (f"/cases/{case.pk}/", f"/screenings/{s.pk}/"):
        html = c.get(url).content.decode()
        assert 'id="possible-prompt"' in html, url
    r = c.post(
        f"/cases/{case.pk}/possible-victim/", {"version": case.version, "next": f"/screenings/{s.pk}/"}
    )
    assert r.status_code == 302 and r["Location"] == f"/screenings/{s.pk}/"
    case.refresh_from_db()
    assert case.trafficking_status == "PossibleVictimOfTrafficking" and case.version == 2
    entry = AuditEntry.objects.filter(action="update", object_type="case", object_id=str(case.pk)).latest(
        "id"
    )
    assert entry.detail["fields"] == ["trafficking_status"]
    assert 'id="possible-prompt"' not in c.get(f"/cases/{case.pk}/").content.decode()
    # an outside next is not followed; a stale version changes nothing
    other = cases["a_inspector"]
    _screen(other, users["inspector"])
    r = logged_in(users["inspector"]).post(
        f"/cases/{other.pk}/possible-victim/", {"version": 7, "next": "https://evil.example/"}
    )
    assert r["Location"] == f"/cases/{other.pk}/"
    other.refresh_from_db()
    assert other.trafficking_status == ""


def test_no_prompt_for_a_positive_outside_trafficking(users, cases):
    case = cases["a_caseworker"]
    _screen(case, users["caseworker"], ruleset="fair-recruitment-2019", positive=False)
    s = case.screenings.get()
    s.outcome = "positive"  # a fee breach is not trafficking
    s.save()
    assert (
        'id="possible-prompt"'
        not in logged_in(users["caseworker"]).get(f"/cases/{case.pk}/").content.decode()
    )
