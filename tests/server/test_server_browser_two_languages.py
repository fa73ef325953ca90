"""Browser check of the two-language interview (Playwright, Debian's chromium): on the screening
page in English with the worker's language Arabic, each question's Arabic text is laid out right
to left beside the English one (same row, the other column) at 1280 wide, and under it on a phone."""

from __future__ import annotations

from typing import Any

import pytest
from tests.server.conftest import make_case, make_user
from tests.server.test_server_browser import browser, login  # noqa: F401  (the browser fixture)

from vigil.rules import i18n, load_ruleset

ADULT = "ilo-ec-2009-adult-labour"


@pytest.mark.django_db(transaction=True)
def test_arabic_beside_english_on_the_screening_page(browser, live_server, orgs):  # noqa: F811
    from vigil.server.cases import screening as screening_service

    inspector = make_user("inspector", "inspector", orgs["a"])
    case = make_case(inspector, "Sample", "Two", "TWO-LANG-1")
    s = screening_service.start(case, ADULT, inspector)
    arabic = i18n.indicator_text(load_ruleset(ADULT), "DR01", "ar")[1]
    base = live_server.url
    boxes: dict[int, tuple[Any, Any]] = {}
    for width in (1280, 390):
        context = browser.new_context(viewport={"width": width, "height": 900}, locale="en-GB")
        page = context.new_page()
        login(page, base, "inspector")
        page.goto(f"{base}/screenings/{s.pk}/")
        page.select_option("#id_worker_lang", "ar")
        page.click("#worker-language button[type=submit]")
        page.wait_for_url(f"**/screenings/{s.pk}/?worker_lang=ar")
        worker = page.locator("#q-DR01 .worker-text")
        assert worker.inner_text().strip() == arabic
        assert worker.evaluate("e => getComputedStyle(e).direction") == "rtl"
        assert page.locator("#q-DR01 .page-text").evaluate("e => getComputedStyle(e).direction") == "ltr"
        assert page.get_attribute("html", "dir") == "ltr"
        boxes[width] = (page.locator("#q-DR01 .page-text").bounding_box(), worker.bounding_box())
        # answering still works with two languages shown
        value = "yes" if width == 1280 else "no"
        with page.expect_response(
            lambda r: r.request.method == "POST" and f"/screenings/{s.pk}/" in r.url
        ) as resp:
            page.check(f'input[name="a-DR01"][value="{value}"]')
        assert resp.value.status == 200
        context.close()
    en, ar = boxes[1280]
    assert ar["x"] >= en["x"] + en["width"] - 1 and abs(ar["y"] - en["y"]) < 5  # beside, same row
    en, ar = boxes[390]
    assert ar["y"] >= en["y"] + en["height"] - 1  # stacked on a phone
    s.refresh_from_db()
    assert s.answers == {"DR01": False}  # the phone's answer, saved after the desktop's
