"""Browser walk of the agency registry with Playwright and Debian's chromium.

regulator: worklist -> an agency (risk components, inspections, offers, linked cases) -> uploads a
licensing list -> approves a submitted offer (a note, since the offer check found signs) ->
reviews a name pair the import proposed and merges it; public visitor (no login): licence check,
offer check, verified offers, complaint with a receipt code, follow-up; the regulator reviews the
complaint and the visitor sees the new status.

Screenshots go to ``$VIGIL_SCREENSHOTS`` when set (``docs/img/recruitment`` for the guide).
"""

from __future__ import annotations

from typing import Any

import pytest
from tests.server.conftest import PASSWORD
from tests.server.test_server_browser import browser, shots  # noqa: F401

from vigil.server.recruitment.demo import load_recruitment_demo
from vigil.server.recruitment.models import Agency, Complaint, JobOffer, NamePair

VIEWPORT = {"width": 1200, "height": 900}
PHONE = {"width": 390, "height": 844}
LIST = (
    "legal_name,country,registration_number,licence_number,issuer,valid_from,valid_to,status\n"
    "Demo Nistru Personnel S.R.L.,MDA,MD-DEMO-199,ANOFM-DEMO-0099,Demo National Employment Agency,"
    "2025-01-01,2030-12-31,active\n"
)


def _login(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/recruitment/worklist/", timeout=15000)


@pytest.mark.django_db(transaction=True)
def test_regulator_and_public_walk(browser, live_server, users, shots, tmp_path):  # noqa: F811
    load_recruitment_demo(users["regulator"])
    base = live_server.url
    reg = browser.new_context(viewport=VIEWPORT, locale="en-GB").new_page()

    # the worklist: agencies ranked, the reason on each line
    _login(reg, base, "regulator")
    rows = reg.locator("#worklist tbody tr")
    assert rows.count() == 12
    top = rows.first.inner_text()
    assert "licence status" in top
    shots(reg, "01-worklist")

    # one agency: risk components, licences with history, inspections, offers, linked cases
    rows.first.locator("a").click()
    reg.wait_for_selector("#risk")
    assert "deceptive_offers" in reg.inner_text("#risk") and reg.locator("#inspections").count() == 1
    assert "linked case" in reg.inner_text("#linked-cases")
    shots(reg, "02-agency")

    # upload a licensing list (all rows or none); the import proposes a name pair to review
    csv_file = tmp_path / "licences.csv"
    csv_file.write_text(LIST, encoding="utf-8")
    reg.goto(f"{base}/recruitment/import/")
    reg.select_option("#id_kind", "licences")
    reg.set_input_files("#id_file", str(csv_file))
    reg.click("#import-form button[type=submit]")
    reg.wait_for_selector(".messages")
    message = reg.inner_text(".messages")
    assert "1 agencies created" in message and "1 name pairs to review created" in message, message
    shots(reg, "03-import")

    # approve the submitted offer: the check found signs and a cost the worker pays, so a note
    offer = JobOffer.objects.get(status="submitted")
    reg.goto(f"{base}/recruitment/offers/")
    shots(reg, "04-offers")
    reg.click(f"a[href='/recruitment/offers/{offer.pk}/']")
    reg.wait_for_selector("#offer-review")
    assert "You are pushed to decide or pay quickly." in reg.inner_text(f"#offer-{offer.pk}")
    reg.select_option("#id_decision", "approve")
    reg.click("#offer-review button[type=submit]")
    reg.wait_for_selector("#offer-review .errorlist")
    assert "say in the note" in reg.inner_text("#offer-review")
    reg.select_option("#id_decision", "approve")
    reg.fill(
        "#id_note",
        "Start date fixed by the season; the employer refunds the visa on arrival (letter on file).",
    )
    reg.click("#offer-review button[type=submit]")
    reg.wait_for_selector("text=on the public list now")
    shots(reg, "05-offer-approved")

    # review the name pair: the same agency, keep the licensed entry of the registry
    reg.goto(f"{base}/recruitment/names/")
    pair = NamePair.objects.get()
    card = reg.locator(f"#pair-{pair.pk}")
    assert (
        "Demo Nistru Personal SRL" in card.inner_text()
        and "Demo Nistru Personnel S.R.L." in card.inner_text()
    )
    shots(reg, "06-name-review")
    older = "keep_a" if pair.agency_a.legal_name == "Demo Nistru Personal SRL" else "keep_b"
    card.locator(f"button[value={older}]").click()
    reg.wait_for_selector("#queue-empty")
    assert "Merged into Demo Nistru Personal SRL." in reg.inner_text(".messages")
    shots(reg, "07-name-merged")
    kept = Agency.objects.get(legal_name="Demo Nistru Personal SRL")
    assert kept.licences.filter(number="ANOFM-DEMO-0099").exists()

    # the public pages, on a phone, no login
    pub = browser.new_context(viewport=PHONE, locale="en-GB").new_page()
    pub.goto(f"{base}/public/agencies/?q=everest+fair+manpower")
    assert "Licensed: licence in force" in pub.inner_text("#results")
    shots(pub, "10-public-licence-check")
    pub.goto(f"{base}/public/agencies/?q=sagarmatha+job+link")
    assert "Licence suspended" in pub.inner_text("#results")
    pub.goto(f"{base}/public/offer-check/")
    pub.fill(
        "#id_text",
        "Urgent! Waitresses for a leading hotel in Dubai, 5000 USD a month, no experience needed. "
        "Registration fee 150 USD, pay today to reserve your place. Contract signed on arrival. "
        "Agency: Demo Sagarmatha Job Link Pvt Ltd. WhatsApp +971 50 123 4567.",
    )
    pub.click("main form button[type=submit]")
    pub.wait_for_selector("#signs")
    assert pub.locator("#sign-fee_charged").count() == 1 and "Licence suspended" in pub.inner_text("#signs")
    shots(pub, "11-public-offer-check")
    pub.goto(f"{base}/public/offers/")
    listed = pub.inner_text("#offers")
    assert "Demo Orchard Farms Ltd" in listed  # approved above
    assert "Demo Pearl Hotel WLL" not in listed  # approved once, its agency's licence is suspended
    shots(pub, "12-public-offers")
    pub.goto(f"{base}/public/complaints/new/")
    pub.fill("#id_agency_name", "Demo Codru Recruitment")
    pub.select_option("#id_complainant_type", "worker")
    pub.fill("#id_description", "Synthetic: asked for 400 EUR before leaving, the job did not exist.")
    pub.click("main form button[type=submit]")
    pub.wait_for_selector("#receipt-code")
    code = pub.inner_text("#receipt-code")
    assert code.startswith("RC-")
    shots(pub, "13-public-receipt")

    # the regulator reviews the complaint
    complaint = Complaint.objects.get(receipt_code=code)
    assert complaint.agency.legal_name == "Demo Codru Recruitment SRL"
    reg.goto(f"{base}/recruitment/complaints/{complaint.pk}/")
    reg.select_option("#id_status", "reviewing")
    reg.select_option("#id_severity", "high")
    reg.click("#review button[type=submit]")
    reg.wait_for_selector(".messages")
    shots(reg, "08-complaint-review")

    # the visitor follows up with the code
    pub.goto(f"{base}/public/complaints/follow-up/")
    pub.fill("#id_code", code.lower().replace("-", " "))
    pub.click("main form button[type=submit]")
    pub.wait_for_selector("#complaint-status")
    assert pub.inner_text("#complaint-status") == "Under review"
    shots(pub, "14-public-follow-up")

    # French, for the visitor (the language from the browser's Accept-Language)
    fr = browser.new_context(viewport=PHONE, locale="fr-FR").new_page()
    fr.goto(f"{base}/public/offers/")
    assert fr.inner_text("h1") == "Offres d'emploi vérifiées"
    assert "Agréée : licence en vigueur" in fr.inner_text("#offers")
    shots(fr, "15-public-offers-fr")
