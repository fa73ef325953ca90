"""Browser walk with Playwright and Debian's chromium (never a downloaded browser).

inspector logs in -> creates a case (intake) -> screens it (positive, answers saved by htmx)
-> records consent -> edits and closes the case; a second user's stale save is refused.

Screenshots of each step go to ``$VIGIL_SCREENSHOTS`` when set (``docs/img/cases`` for the docs),
otherwise to a temporary directory.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.server.a11y import assert_accessible
from tests.server.conftest import PASSWORD, make_user

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium); "
            ".ci/run does this. Browser tests are never skipped.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
    # synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def shots(tmp_path: Path) -> Any:
    out = Path(os.environ.get("VIGIL_SCREENSHOTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)

    def shot(page: Any, name: str, full_page: bool = True) -> None:
        page.screenshot(path=str(out / f"{name}.png"), full_page=full_page)

    return shot


def login(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    try:
        page.wait_for_url(re.compile(r"^https?://[^/]+/((cases|referrals)/)?$"), timeout=15000)
    except Exception:
        raise AssertionError(f"login of {username} failed at {page.url}: {page.inner_text('main')}") from None


@pytest.mark.django_db(transaction=True)
def test_inspector_walk(browser, live_server, orgs, shots):
    from vigil.server.accounts.models import Organisation
    from vigil.server.cases.models import Case, Consent, Screening
    from vigil.server.referrals.models import SHAREABLE, DataSharingAgreement, Referral, ServiceProvider

    make_user("inspector", "inspector", orgs["a"])
    shelter_org = Organisation.objects.create(name="Safe House", kind="shelter")
    make_user("shelter", "referral_receiver", shelter_org)
    DataSharingAgreement.objects.create(
        discloser=orgs["a"],
        recipient=shelter_org,
        fields=sorted(set(SHAREABLE) - {"narrative"}),
        legal_basis="National referral mechanism MoU",
        signed_on="2025-01-01",
    )
    ServiceProvider.objects.create(
        organisation=shelter_org,
        name="Safe House: emergency shelter",
        service_type="shelter",
        languages="en,ro",
        capacity=6,
    )
    make_user("supervisor", "supervisor", orgs["a"])
    base = live_server.url
    context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="en-GB")
    page = context.new_page()
    console_errors: list[str] = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    checked: list[str] = []  # pages checked by axe (no serious or critical violation)

    login(page, base, "inspector")
    page.goto(f"{base}/cases/")  # from the work list (the home page)
    shots(page, "01-case-list")
    assert_accessible(page, checked)

    # Intake
    page.click("#nav-new-case")
    page.click("#intake button[type=submit]")  # an accidental submit of the empty form
    page.wait_for_selector("#intake-error")
    assert "a case needs at least a sector" in page.inner_text("#intake-error")
    assert not Case.objects.exists()
    page.fill("#id_person-given_name", "Sample")
    page.fill("#id_person-family_name", "Walkthrough")
    page.fill("#id_person-document_number", "WALK-0001")
    page.fill("#id_person-narrative", "Synthetic: recruited for farm work, passport kept by the employer.")
    page.select_option("#id_person-gender", "Feminine")
    page.fill("#id_person-citizenship", "MDA")
    page.fill("#id_person-birth_year", "1994")
    page.fill("#id_person-primary_language", "ro")
    page.select_option("#id_case-sector", "A")
    shots(page, "02-intake")
    assert_accessible(page, checked)
    page.click("#intake button[type=submit]")
    page.wait_for_url(re.compile(r".*/cases/\d+/$"))
    reference = page.inner_text("#case-reference")
    assert reference.startswith("VG-")
    assert f"Case {reference} created." in page.inner_text(".messages")
    case = Case.objects.get(reference=reference)
    assert case.person.given_name == "Sample" and case.owner.username == "inspector"

    # Add a migration stage with htmx
    page.click("#stage-form summary")
    page.select_option("#id_stage-stage", "recruitment")
    page.fill("#id_stage-country", "MDA")
    page.fill("#id_stage-place", "Chisinau")  # leaving the country: the region select follows it
    page.wait_for_selector('#id_stage-region option[value="MD-CU"]', state="attached")
    assert page.locator('#id_stage-region option[value="TH-10"]').count() == 0
    page.select_option("#id_stage-region", "MD-CU")
    page.fill("#id_stage-employer_or_recruiter", "Agency Demo")
    page.click("#stage-form button[type=submit]")
    page.wait_for_selector("#stage-table >> text=Chisinau")
    page.wait_for_selector("#stage-table >> text=Chișinău")  # the region, by name
    shots(page, "03-case-detail")
    assert_accessible(page, checked)

    # Screening: positive, saved as answered
    page.select_option("#id_ruleset", "ilo-ec-2009-adult-labour")
    page.click("#screening-start button[type=submit]")
    page.wait_for_url(re.compile(r".*/screenings/\d+/$"))
    page.fill("#id_age", "29")
    for indicator in ["DR01", "DR08", "EX01", "EX04", "CD01", "CD02"]:
        with page.expect_response(lambda r: "/screenings/" in r.url and r.request.method == "POST"):
            page.check(f"input[name='a-{indicator}'][value=yes]")
    page.wait_for_selector("#outcome >> text=positive")
    page.wait_for_selector("#possible-prompt")  # a person decides the trafficking status
    page.locator("#q-CD02").scroll_into_view_if_needed()
    shots(page, "04-screening-positive", full_page=False)
    assert_accessible(page, checked)
    screening = Screening.objects.get(case=case)
    assert screening.outcome == "positive" and screening.answers["CD02"] is True
    assert float(screening.age) == 29

    # Consent
    page.goto(f"{base}/cases/{case.pk}/consents/")
    page.check("#id_services-decision_0")  # given
    page.select_option("#id_services-method", "verbal")
    page.check("#id_referral-decision_0")  # given
    page.select_option("#id_referral-method", "written")
    page.check("#id_law_enforcement-decision_1")  # refused
    page.select_option("#id_law_enforcement-method", "verbal")
    page.click("#consent-form button[type=submit]")
    page.wait_for_selector("#consent-table tr[data-purpose=referral] >> text=yes")
    assert (
        "Recorded: services — given (verbal); referral to other organisations — given (written); "
        "disclosure to law enforcement — refused (verbal)"
    ) in page.inner_text(".messages")
    shots(page, "05-consent")
    assert_accessible(page, checked)
    assert Consent.objects.get(case=case, purpose="referral").in_force
    assert not Consent.objects.get(case=case, purpose="law_enforcement").given
    assert not Consent.objects.filter(case=case, purpose__in=["statistics", "tracing"]).exists()

    # Referral to the shelter, sharing the default minimum (given name, language, gender, year)
    page.goto(f"{base}/cases/{case.pk}/")
    page.click("#referral-form summary")
    assert page.eval_on_selector("#id_provider", "s => s.value") == ""  # no default service
    provider = ServiceProvider.objects.get(name="Safe House: emergency shelter")
    page.select_option("#id_provider", str(provider.pk))
    page.fill("#id_reason", "Safe accommodation tonight")
    shots(page, "06-referral-form")
    assert_accessible(page, checked)
    page.click("#referral-form button[type=submit]")
    page.wait_for_selector("#referral-messages >> text=Referral sent to Safe House: emergency shelter.")
    # the page jumped to the referral section: the message is on screen, next to it
    assert page.locator("#referral-messages").is_visible()
    box = page.locator("#referral-messages").bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 900, box
    ref = Referral.objects.get(case=case)
    assert ref.shared_fields == ["birth_year", "gender", "given_name", "primary_language"]

    # The shelter accepts and sees only the shared fields
    shelter = browser.new_context(viewport={"width": 1200, "height": 900}, locale="en-GB").new_page()
    login(shelter, base, "shelter")
    shelter.wait_for_selector(f"#referral-{ref.pk}")
    card = shelter.inner_text(f"#referral-{ref.pk}")
    assert "Sample" in card and reference in card
    assert "Walkthrough" not in card and "WALK-0001" not in card and "passport" not in card
    shelter.click(f"#referral-{ref.pk} button.accept")
    shelter.wait_for_selector("text=Referral updated.")
    shots(shelter, "07-shelter-accepts")
    assert_accessible(shelter, checked)
    ref.refresh_from_db()
    assert ref.status == "accepted"
    assert shelter.goto(f"{base}/cases/{case.pk}/").status == 403

    # A follow-up: removal from the workplace verified
    from datetime import date

    from vigil.server.followups.models import FollowUp

    page.goto(f"{base}/cases/{case.pk}/")
    page.click("#followup-form summary")  # the small form opens in place
    page.select_option("#id_fu-kind", "removal")
    page.fill("#id_fu-due_on", date.today().isoformat())
    page.click("#followup-form button[type=submit]")
    page.wait_for_selector("text=Follow-up scheduled.")
    fu = FollowUp.objects.get(case=case)
    page.click(f"#followup-{fu.pk} summary")
    page.select_option(f"#id_done{fu.pk}-outcome", "in_services")
    page.select_option(f"#id_done{fu.pk}-removal_verified", "true")
    page.click(f"#followup-{fu.pk} .followup-done button[type=submit]")
    page.wait_for_selector("text=Follow-up recorded.")
    page.locator("#followups").scroll_into_view_if_needed()
    shots(page, "08-follow-up-done", full_page=False)
    assert_accessible(page, checked)
    fu.refresh_from_db()
    assert fu.outcome == "in_services" and fu.removal_verified is True

    # A supervisor saves the case first; the inspector's stale save is refused with a message.
    other = browser.new_context(locale="en-GB").new_page()
    login(other, base, "supervisor")
    other.goto(f"{base}/cases/{case.pk}/")
    page.goto(f"{base}/cases/{case.pk}/")
    other.click("#case-edit summary")
    page.click("#case-edit summary")
    page.wait_for_selector("#case-form")  # the form is fetched when its <details> opens: at this version
    other.select_option("#id_case-trafficking_status", "PossibleVictimOfTrafficking")
    other.click("#case-form button[type=submit]")
    other.wait_for_selector("text=Saved.")
    page.select_option("#id_case-sector", "C")
    page.click("#case-form button[type=submit]")
    page.wait_for_selector("#stale")
    shots(page, "09-stale-edit-refused")
    assert_accessible(page, checked)
    case.refresh_from_db()
    assert case.sector == "A" and case.trafficking_status == "PossibleVictimOfTrafficking"

    # Close the case (from the refreshed form, now at the current version, left open)
    assert page.locator("#case-edit[open]").count() == 1
    page.select_option("#id_case-status", "Closed")
    page.fill("#id_case-closure_reason", "Safe: returned home with support")
    page.click("#case-form button[type=submit]")
    try:
        page.wait_for_selector("text=Saved.", timeout=10000)
    finally:
        shots(page, "10-closed")
    case.refresh_from_db()
    assert case.status == "Closed" and case.version == 3

    # French
    page.select_option("select[name=language]", "fr")
    page.click("form.lang button")
    page.wait_for_selector("html[lang=fr]")
    assert "Dossier" in page.inner_text("h1")
    shots(page, "11-french")
    assert_accessible(page, checked)

    csp_errors = [e for e in console_errors if "Content Security Policy" in e]
    assert not csp_errors, csp_errors
    assert len(checked) == 10
    context.close()
