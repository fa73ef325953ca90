"""Browser walk of a labour inspection at tablet width (768 px, Debian's chromium): the lead
plans a visit from the worklist; the inspector records observations and two interviews in
private, refers the presumed victim with consent, records a violation, completes the visit,
issues an enforcement notice and schedules the follow-up that verifies it. No page scrolls
sideways. Screenshots go to ``$VIGIL_SCREENSHOTS`` when set (``docs/img/inspections``)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from tests.server.conftest import make_user
from tests.server.test_server_browser import browser, login, shots  # noqa: F401

WIDTH = 768


def fits(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH, page.url


@pytest.mark.django_db(transaction=True)
def test_inspection_walk(browser, live_server, orgs, shots):  # noqa: F811
    from vigil.server.inspections.models import EnforcementAction, Interview, Visit, Workplace
    from vigil.server.referrals.models import DataSharingAgreement, Referral, ServiceProvider

    lead = make_user("lead", "inspection_lead", orgs["a"])
    insp = make_user("inspector", "inspector", orgs["a"])
    Workplace.objects.create(
        organisation=orgs["a"],
        name="Hill Tomato Farm",
        sector="0113",
        region="north",
        open_complaints=2,
        unregistered_recruiters=1,
    )
    Workplace.objects.create(
        organisation=orgs["a"],
        name="City Bakery",
        sector="1071",
        region="south",
        last_visit=date.today() - timedelta(days=100),
    )
    shelter = ServiceProvider.objects.create(
        organisation=orgs["b"], name="Safe House", service_type="shelter"
    )
    DataSharingAgreement.objects.create(
        discloser=orgs["a"],
        recipient=orgs["b"],
        legal_basis="MoU",
        fields=["given_name", "primary_language"],
        signed_on=date(2025, 1, 1),
    )
    base = live_server.url
    ctx = browser.new_context(viewport={"width": WIDTH, "height": 1024})
    page = ctx.new_page()
    login(page, base, lead.username)
    page.goto(f"{base}/inspections/")
    assert page.inner_text("#worklist tbody tr:first-child").startswith("1\tHill Tomato Farm")
    fits(page)
    shots(page, "01-worklist")
    page.click("#worklist tbody tr:first-child a.plan-visit")
    page.fill("#id_scheduled_on", date.today().isoformat())
    page.check(f"input[name=inspectors][value='{insp.pk}']")
    page.check("input[name=joint_bodies][value='union']")
    fits(page)
    shots(page, "02-plan-visit")
    page.click("#plan-submit")
    page.wait_for_selector("#visit-meta")
    visit = Visit.objects.get()
    assert visit.joint_bodies == ["union"] and set(visit.inspectors.all()) == {insp}
    ctx.close()

    ctx = browser.new_context(viewport={"width": WIDTH, "height": 1024})
    page = ctx.new_page()
    login(page, base, insp.username)
    page.goto(f"{base}/inspections/visits/{visit.pk}/")
    page.check("#id_locked_doors")
    page.check("#id_documents_retained")
    page.check("#id_living_on_site")
    page.click("#observations-form button[type=submit]")
    page.wait_for_selector(".messages")
    fits(page)
    shots(page, "03-visit-observations")
    # interview 1: a presumed victim
    page.click("#new-interview")
    page.check("#id_held_in_private")
    page.fill("#id_age", "29")
    page.fill("#id_language", "ne")
    page.fill("#id_worker_name", "Maya Alias")
    page.select_option("select[name='q_ILO11.07']", "yes")
    page.click("#further summary")
    page.select_option("select[name='q_UR05']", "yes")
    page.select_option("select[name='q_PN02']", "yes")
    fits(page)
    shots(page, "04-interview-form")
    page.click("#interview-submit")
    page.wait_for_selector("#determination")
    assert "Presumed victim of forced labour" in page.inner_text("#category")
    assert "ilo-2012-forced-labour" in page.inner_text("#determination")
    page.select_option("#id_provider", str(shelter.pk))
    page.check("#id_consent_given")
    fits(page)
    shots(page, "05-interview-determination")
    page.click("#refer-submit")
    page.wait_for_selector("#referred")
    victim = Interview.objects.get(presumed_victim=True)
    assert Referral.objects.get(case=victim.case).provider == shelter
    shots(page, "06-referred")
    # interview 2: labour conditions only
    page.goto(f"{base}/inspections/visits/{visit.pk}/interviews/new/")
    page.check("#id_held_in_private")
    page.fill("#id_age", "41")
    page.click("#further summary")
    page.select_option("select[name='q_WD01']", "yes")
    page.select_option("select[name='q_UR05']", "no")
    page.select_option("select[name='q_PN02']", "no")
    page.click("#interview-submit")
    page.wait_for_selector("#determination")
    assert "Presumed victim" not in page.inner_text("#category")
    assert Interview.objects.count() == 2
    # the violation, completion, a notice, the follow-up
    page.goto(f"{base}/inspections/visits/{visit.pk}/")
    page.select_option("#violation-form select[name=category]", "hours")
    page.fill("#violation-form input[name=description]", "Seven days a week at harvest")
    page.click("#violation-form button[type=submit]")
    page.wait_for_selector(".messages")
    page.click("#complete")
    page.wait_for_selector("#outcome")
    assert "forced_labour" in page.inner_text("#outcome")
    page.select_option("#action-form select[name=kind]", "notice")
    page.fill("#action-form input[name=description]", "Unlock the gates and return the documents")
    page.fill("#action-form input[name=deadline]", (date.today() + timedelta(days=10)).isoformat())
    page.click("#action-form button[type=submit]")
    page.wait_for_selector("#actions")
    assert "Unlock the gates" in page.inner_text("#actions")
    fits(page)
    shots(page, "07-visit-completed")
    page.fill("#follow-up-form input[name=scheduled_on]", (date.today() + timedelta(days=11)).isoformat())
    page.click("#follow-up-form button[type=submit]")
    page.wait_for_selector("form.verify")
    follow = Visit.objects.get(kind="follow_up")
    assert page.url.endswith(f"/inspections/visits/{follow.pk}/")
    shots(page, "08-follow-up")
    page.select_option("form.verify select[name=status]", "complied")
    page.click("form.verify button[type=submit]")
    page.wait_for_selector(".messages")
    act = EnforcementAction.objects.get()
    assert act.status == "complied" and act.verified_by == follow
    fits(page)
    ctx.close()
