"""The automated accessibility check (issue 16): axe-core, run through Playwright in Debian's
chromium, on the pages of the walks, for each role that uses them, in English and in Arabic
(right to left), on a 390 x 844 phone and at 1280: no serious or critical violation of the
WCAG 2.0 / 2.1 / 2.2 A and AA rules or axe's best practices. The small forms that open in place
are checked open. The walks themselves (test_server_browser*.py) run the same check on the pages
they pass through."""

from __future__ import annotations

from typing import Any

import pytest
from tests.server.a11y import assert_accessible
from tests.server.conftest import make_case, make_user
from tests.server.test_server_browser import browser, login  # noqa: F401  (the browser fixture)

ADULT = "ilo-ec-2009-adult-labour"
POSITIVE = {"DR01": True, "DR08": True, "EX01": True, "EX04": True, "CD01": True, "CD02": True}
PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1280, "height": 900}


def _in_arabic(page: Any) -> None:
    page.select_option("select[name=language]", "ar")
    page.click("form.lang button")
    page.wait_for_selector("html[lang=ar][dir=rtl]")


def _open_in_place_forms(page: Any) -> None:
    page.evaluate("() => document.querySelectorAll('main details').forEach(d => { d.open = true; })")


@pytest.mark.django_db(transaction=True)
def test_pages_of_the_walks_have_no_serious_accessibility_violation(browser, live_server, orgs):  # noqa: F811
    from vigil.server.cases import screening as screening_service
    from vigil.server.followups.models import FollowUp

    cw = make_user("cw", "caseworker", orgs["a"])
    make_user("sup", "supervisor", orgs["a"])
    make_user("recv", "referral_receiver", orgs["b"])
    make_user("analyst", "analyst", orgs["a"])
    make_user("reg", "regulator", None)
    case = make_case(cw, "Sample", "Accessible", "A11Y-0001")
    positive = screening_service.start(case, ADULT, cw)
    screening_service.update(positive, positive.version, answers=POSITIVE)
    open_one = screening_service.start(case, ADULT, cw)
    from django.utils import timezone

    FollowUp.objects.create(case=case, due_on=timezone.localdate(), created_by=cw)
    pages = {
        "cw": ["/", "/cases/", f"/cases/{case.pk}/", "/cases/new/", f"/cases/{case.pk}/consents/",
               f"/cases/{case.pk}/person/", f"/screenings/{positive.pk}/",
               f"/screenings/{open_one.pk}/guided/", f"/screenings/{positive.pk}/guided/",
               "/followups/", "/emergency/", "/breaches/"],
        "sup": ["/", "/disclosures/requests/", "/disclosures/exports/", "/breaches/"],
        "recv": ["/referrals/"],
        "analyst": ["/statistics/"],
        "reg": ["/recruitment/worklist/", "/recruitment/agencies/", "/recruitment/complaints/"],
    }
    base = live_server.url
    checked: list[str] = []
    for viewport, arabic in ((PHONE, False), (DESKTOP, False), (PHONE, True), (DESKTOP, True)):
        for username, paths in pages.items():
            context = browser.new_context(viewport=viewport, locale="en-GB")
            page = context.new_page()
            if username in ("cw", "sup", "recv"):
                login(page, base, username)
            else:
                _sign_in(page, base, username)
            if arabic:
                _in_arabic(page)
            for path in paths:
                page.goto(f"{base}{path}")
                _open_in_place_forms(page)
                assert_accessible(page, checked)
            context.close()
    # the pages seen before logging in
    context = browser.new_context(viewport=PHONE, locale="en-GB")
    page = context.new_page()
    for path in ("/login/", "/public/agencies/", "/public/offer-check/", "/public/complaints/new/"):
        page.goto(f"{base}{path}")
        assert_accessible(page, checked)
    context.close()
    print(f"axe: {len(checked)} page views, no serious or critical violation")
    assert len(checked) == 4 * sum(len(p) for p in pages.values()) + 4


def _sign_in(page: Any, base: str, username: str) -> None:
    from tests.server.conftest import PASSWORD

    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url, timeout=15000)


@pytest.mark.django_db(transaction=True)
def test_the_check_finds_a_violation(browser, live_server, orgs):  # noqa: F811
    """The check can fail: a page with an unlabelled field and low-contrast text is refused."""
    make_user("cw", "caseworker", orgs["a"])
    context = browser.new_context(viewport=DESKTOP, locale="en-GB")
    page = context.new_page()
    login(page, live_server.url, "cw")
    page.evaluate(
        "() => { const m = document.querySelector('main');"
        " m.insertAdjacentHTML('beforeend',"
        " '<input type=text><p style=\"color:#bbb;background:#fff\">faint</p>'); }"
    )
    with pytest.raises(AssertionError, match=r"label|color-contrast"):
        assert_accessible(page)
    context.close()


@pytest.mark.django_db(transaction=True)
def test_keyboard_focus_is_visible(browser, live_server, orgs):  # noqa: F811
    """Tabbing reaches the links and buttons of the page with a visible 3 px outline."""
    cw = make_user("cw", "caseworker", orgs["a"])
    case = make_case(cw, "Sample", "Focus", "FOCUS-0001")
    context = browser.new_context(viewport=DESKTOP, locale="en-GB")
    page = context.new_page()
    login(page, live_server.url, "cw")
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    seen = set()
    for _ in range(12):
        page.keyboard.press("Tab")
        tag, width, style = page.evaluate(
            "() => { const e = document.activeElement, s = getComputedStyle(e);"
            " return [e.tagName, parseFloat(s.outlineWidth), s.outlineStyle]; }"
        )
        assert width >= 2 and style != "none", (tag, width, style)
        seen.add(tag)
    assert {"A", "SUMMARY"} & seen
    context.close()
