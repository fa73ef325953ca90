"""Browser walk of the guided interview (Playwright, Debian's chromium): an inspector starts a
screening, switches to the guided mode and answers one question at a time until "stop here" at a
positive determination, on a 390 x 844 phone (tapping the large buttons) and at 1280 wide (the
y / n keyboard shortcuts). Prints how many questions it took against the full form's count.

Screenshots go to ``$VIGIL_SCREENSHOTS`` when set (``docs/img/cases`` for the docs)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from tests.server.a11y import assert_accessible
from tests.server.conftest import make_case, make_user
from tests.server.test_server_browser import browser, login  # noqa: F401  (the browser fixture)

ADULT = "ilo-ec-2009-adult-labour"


@pytest.fixture
def shots(tmp_path: Path) -> Any:
    """As in test_server_browser, but the caret left as it is: Playwright's caret hiding injects a
    <style> that htmx's history snapshot would then re-apply (a CSP report not of the page's own)."""
    out = Path(os.environ.get("VIGIL_SCREENSHOTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)

    def shot(page: Any, name: str, full_page: bool = True) -> None:
        page.screenshot(path=str(out / f"{name}.png"), full_page=full_page, caret="initial")

    return shot
YES = {"DR01", "DR08", "EX01", "EX04", "CD01", "CD02"}  # the synthetic worker's yes; no to the rest


def _guided_walk(page: Any, base: str, case: Any, tap: bool, shots: Any, prefix: str) -> tuple[int, int]:
    page.goto(f"{base}/cases/{case.pk}/")
    page.select_option("#id_ruleset", ADULT)
    page.click("#screening-start button[type=submit]")
    page.wait_for_url(re.compile(r".*/screenings/\d+/$"))
    full_count = page.locator("#screening-form .question").count()
    page.click("#guided-mode")
    page.wait_for_url(re.compile(r".*/screenings/\d+/guided/.*"))
    asked: list[str] = []
    while page.locator("#stop-here").count() == 0:
        indicator = page.get_attribute("#question", "data-indicator")
        assert indicator and indicator not in asked, f"{indicator} asked twice"
        asked.append(indicator)
        key = "y" if indicator in YES else "n"
        if len(asked) == 2:
            shots(page, f"{prefix}-question", full_page=False)
            assert_accessible(page)
        if tap:
            button = page.locator(f'#guided-form button[data-key="{key}"]')
            box = button.bounding_box()
            assert box and box["height"] >= 48 and box["width"] >= 120  # a touch target
            button.click()
        else:
            page.keyboard.press(key)
        # htmx swaps the card: wait for the next question (or the end)
        page.wait_for_function(
            "prev => !document.getElementById('question') || "
            "document.getElementById('question').dataset.indicator !== prev",
            arg=indicator,
        )
        assert len(asked) < full_count, "the guided interview asked as many questions as the full form"
    assert "positive" in page.inner_text("#stop-here #outcome")
    shots(page, f"{prefix}-stop-here", full_page=False)
    assert_accessible(page)
    # the address follows the interview: a reload shows the same end without re-asking
    page.reload()
    assert page.locator("#stop-here").count() == 1
    return len(asked), full_count


@pytest.mark.django_db(transaction=True)
def test_guided_interview_walk_phone_and_desktop(browser, live_server, orgs, shots):  # noqa: F811
    from vigil.server.cases.models import Screening

    inspector = make_user("inspector", "inspector", orgs["a"])
    base = live_server.url
    results = {}
    for name, viewport, tap in (
        ("20-guided-phone", {"width": 390, "height": 844}, True),
        ("21-guided-desktop", {"width": 1280, "height": 900}, False),
    ):
        case = make_case(inspector, "Sample", "Guided", f"GUIDED-{viewport['width']}")
        context = browser.new_context(viewport=viewport, locale="en-GB", has_touch=tap)
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m, errors=errors: errors.append(m.text) if m.type == "error" else None)
        login(page, base, "inspector")
        asked, full = _guided_walk(page, base, case, tap, shots, name)
        screening = Screening.objects.get(case=case)
        assert screening.outcome == "positive"
        assert {k for k, v in screening.answers.items() if v} == YES
        assert len(screening.answers) == asked  # every answer saved, each once
        assert errors == []
        context.close()
        results[viewport["width"]] = (asked, full)
        print(f"guided interview at {viewport['width']}x{viewport['height']}: "
              f"{asked} questions to a positive determination; the full form has {full}")
    assert results[390] == results[1280]


FL = "ilo-2012-forced-labour"


@pytest.mark.django_db(transaction=True)
def test_forced_labour_guided_walk_per_stage_then_facts_on_the_full_form(
    browser, live_server, orgs, shots  # noqa: F811
):
    """The forced-labour survey in the guided mode asks each penalty with its stage named
    (keyboard at 1280): the answers land under their stage keys; then, on the full form, the
    child's facts (age 14, a worst form ticked) make the determination positive through htmx."""
    from vigil.server.cases import screening as screening_service
    from vigil.server.cases.models import Screening

    inspector = make_user("inspector", "inspector", orgs["a"])
    case = make_case(inspector, "Sample", "Stages", "STAGES-0001")
    s = screening_service.start(case, FL, inspector)
    base = live_server.url
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    login(page, base, "inspector")
    page.goto(f"{base}/screenings/{s.pk}/guided/?worker=fr")
    asked: list[str] = []
    staged_seen = False
    while page.locator("#stop-here").count() == 0 and len(asked) < 40:
        key = page.get_attribute("#question", "data-indicator")
        assert key and key not in asked, f"{key} asked twice"
        asked.append(key)
        if "." in key:
            stage = key.split(".")[0]
            assert page.get_attribute("#question-stage", "data-stage") == stage
            assert "menace of penalty" in page.inner_text("#question-stage")
            assert "menace d'une peine" in page.inner_text("#worker-question-stage")
            if not staged_seen:
                shots(page, "23-guided-stage", full_page=False)
                assert_accessible(page)
            staged_seen = True
        page.keyboard.press("y" if key in {"UR02", "D1.PN07"} else "n")
        page.wait_for_function(
            "prev => !document.getElementById('question') || "
            "document.getElementById('question').dataset.indicator !== prev",
            arg=key,
        )
    assert staged_seen and page.locator("#stop-here").count() == 1
    stored = Screening.objects.get(pk=s.pk)
    assert stored.answers.get("D1.PN07") is True and not any(k.startswith("PN") for k in stored.answers)
    assert len(stored.answers) == len(asked)
    # the full form: the facts group, a worst form for a child of 14
    page.goto(f"{base}/screenings/{s.pk}/")
    # the positive above came from D1.PN07: answered no, it is gone
    page.locator('input[name="a-D1.PN07"][value="no"]').check()
    page.wait_for_function("() => !document.querySelector('#determination .outcome-positive')")
    page.fill("#id_age", "14")
    page.locator("#id_age").dispatch_event("change")
    page.locator('input[name="f-worst_form"][value="slavery_or_similar"]').check()
    page.wait_for_function("() => document.querySelector('#determination .outcome-positive') !== null")
    stored.refresh_from_db()
    assert stored.facts == {"worst_form": ["slavery_or_similar"]} and stored.outcome == "positive"
    shots(page, "24-screening-facts")
    assert_accessible(page)
    assert errors == []
    context.close()


@pytest.mark.django_db(transaction=True)
def test_work_list_walk_per_role(browser, live_server, orgs, shots):  # noqa: F811
    """The caseworker's home is their work list; one click continues an insufficient screening in
    the guided mode; the supervisor sees the organisation's work, a receiver keeps the inbox."""
    from datetime import timedelta

    from django.utils import timezone

    from vigil.server.cases import screening as screening_service
    from vigil.server.followups.models import FollowUp

    cw = make_user("cw", "caseworker", orgs["a"])
    make_user("sup", "supervisor", orgs["a"])
    make_user("recv", "referral_receiver", orgs["b"])
    case = make_case(cw, "Sample", "Worklist", "WORK-0001")
    FollowUp.objects.create(case=case, due_on=timezone.localdate() - timedelta(days=2), created_by=cw)
    s = screening_service.start(case, ADULT, cw)
    base = live_server.url
    phone, desktop = {"width": 390, "height": 844}, {"width": 1280, "height": 900}
    for username, viewport in (("cw", phone), ("sup", desktop)):
        context = browser.new_context(viewport=viewport, locale="en-GB")
        page = context.new_page()
        login(page, base, username)
        assert page.url == f"{base}/"
        assert case.reference in page.inner_text("#work-followups")
        assert case.reference in page.inner_text("#work-screenings")
        shots(page, f"22-work-list-{username}")
        assert_accessible(page)
        page.click("#work-screenings a")
        page.wait_for_url(re.compile(rf".*/screenings/{s.pk}/guided/.*"))
        assert page.locator("#guided-form").count() == 1
        context.close()
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    login(page, base, "recv")
    assert page.url.endswith("/referrals/")
    context.close()


@pytest.mark.django_db(transaction=True)
def test_search_and_case_page_walk(browser, live_server, orgs, shots):  # noqa: F811
    """From the home page a caseworker finds a case by its document number, then by its phone
    number written differently, opens it (the summary at the top, the sections a tap away) and
    corrects the phone in place; a caseworker of another organisation finds nothing; on a phone
    and at 1280, in English and in French (dates day first)."""
    from datetime import date

    from vigil.server.cases import screening as screening_service
    from vigil.server.cases.models import Case, Person

    cw = make_user("cw", "caseworker", orgs["a"])
    make_user("other", "caseworker", orgs["b"])
    case = make_case(cw, "Sample", "Searched", "SEARCH-0042")
    Case.objects.filter(pk=case.pk).update(opened_on=date(2026, 3, 5), sector="A")
    s = screening_service.start(case, ADULT, cw)
    screening_service.update(s, s.version, answers={k: True for k in YES})
    make_case(cw, "Other", "Person", "SEARCH-0043")
    phone = Person.objects.get(pk=case.person_id).phone  # "+33 6 12345678"
    typed = phone.replace(" ", "")[:3] + " " + phone.replace(" ", "")[3:]  # spaced differently
    base = live_server.url
    for name, viewport in (("23-search-phone", {"width": 390, "height": 844}),
                           ("24-search-desktop", {"width": 1280, "height": 900})):
        context = browser.new_context(viewport=viewport, locale="en-GB")
        page = context.new_page()
        login(page, base, "cw")
        page.fill("#home-q", "search-0042")
        page.click("#home-search button[type=submit]")
        page.wait_for_selector("#result-count")
        assert "1 case found." in page.inner_text("#result-count")
        assert case.reference in page.inner_text("#case-table")
        assert "SEARCH-0042" not in page.url and "search-0042" not in page.url
        page.fill("#id_q", typed)
        page.select_option("#id_sector", "A")
        page.click("#case-search button[type=submit]")  # htmx swaps the rows
        page.wait_for_function("() => document.querySelector('#case-table tbody tr a') !== null")
        assert case.reference in page.inner_text("#case-table")
        shots(page, f"{name}-results", full_page=False)
        assert_accessible(page)
        page.click(f"#case-table a:text('{case.reference}')")
        page.wait_for_url(re.compile(rf".*/cases/{case.pk}/$"))
        summary = page.inner_text("#summary")
        assert "indicators consistent with" in summary.lower() or "positive" in summary.lower()
        assert "2026-03-05" in page.inner_text("#case")  # English pages: ISO dates
        shots(page, f"{name}-case-summary", full_page=False)
        assert_accessible(page)
        # the person's phone corrected in place (htmx), the page not reloaded
        page.click("#person-edit-link")
        page.wait_for_selector("#person-form")
        assert page.url.endswith(f"/cases/{case.pk}/")
        page.fill("#id_person-phone", "+33 6 98 76 54 32")
        page.click("#person-form button[type=submit]")
        page.wait_for_selector("#person-body >> text=+33 6 98 76 54 32")
        assert Person.objects.get(pk=case.person_id).phone == "+33 6 98 76 54 32"
        Person.objects.filter(pk=case.person_id).update(phone=phone)  # for the next viewport
        Person.objects.get(pk=case.person_id).save()  # and its blind index
        # in French the dates are day first, the date field too
        page.select_option("select[name=language]", "fr")
        page.click("form.lang button")
        page.wait_for_selector("html[lang=fr]")
        assert "05/03/2026" in page.inner_text("#case")
        page.click("#case-edit summary")
        assert page.input_value("#id_case-opened_on") == "05/03/2026"
        assert page.get_attribute("#id_case-opened_on", "placeholder") == "jj/mm/aaaa"
        if viewport["width"] == 1280:
            page.locator("#case").scroll_into_view_if_needed()
            shots(page, "25-case-french-dates", full_page=False)
        assert_accessible(page)
        context.close()
    # another organisation's caseworker: the same number finds nothing
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    login(page, base, "other")
    page.fill("#home-q", "SEARCH-0042")
    page.click("#home-search button[type=submit]")
    page.wait_for_selector("#result-count")
    assert "0 cases found." in page.inner_text("#result-count")
    assert case.reference not in page.inner_text("main")
    context.close()
