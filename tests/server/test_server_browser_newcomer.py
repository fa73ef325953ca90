"""What a newcomer sees (issue 17): the header on one line at 1280 px in English and French for
every role, the two-factor QR code, and Revoke asked again without any script."""

from __future__ import annotations

from typing import Any

import pytest
from tests.server.conftest import make_case, make_user
from tests.server.test_server_browser import browser, shots  # noqa: F401

WIDTH = 1280

# The demo's organisation names (long ones, as in real deployments).
ORGS = {
    "inspectorate": "Demo Labour Inspectorate",
    "ngo": "Demo Migrant Support NGO",
    "shelter": "Demo Safe House Shelter",
}
ROLE_USERS = [
    ("caseworker", "caseworker", "ngo"),
    ("inspector", "inspector", "inspectorate"),
    ("supervisor", "supervisor", "inspectorate"),
    ("shelter", "referral_receiver", "shelter"),
    ("analyst", "analyst", "inspectorate"),
    ("admin", "administrator", None),
]


def header_lines(page: Any) -> tuple[float, int]:
    """The header's height and the number of distinct lines its items sit on."""
    return page.evaluate(
        """() => {
          const h = document.querySelector('header.top');
          const items = h.querySelectorAll('a, button, select, .who');
          const tops = [];
          for (const e of items) {
            const r = e.getBoundingClientRect();
            if (r.width === 0 || !e.checkVisibility()) continue;  // e.g. inside the closed account menu
            const mid = r.top + r.height / 2;
            if (!tops.some(t => Math.abs(t - mid) < 8)) tops.push(mid);
          }
          return [h.getBoundingClientRect().height, tops.length];
        }"""
    )


@pytest.mark.django_db(transaction=True)
def test_header_is_one_line_at_1280_for_every_role_in_english_and_french(browser, live_server):  # noqa: F811
    from vigil.server.accounts.models import Organisation
    from vigil.server.emergency import services as emergency

    orgs = {key: Organisation.objects.create(name=name, kind="ngo") for key, name in ORGS.items()}
    users = {}
    for username, role, org in ROLE_USERS:
        users[username] = make_user(username, role, orgs[org] if org else None)
    admin = users["admin"]
    admin.is_staff = admin.is_superuser = True
    admin.save()
    # an emergency alert: the badge in the header of the inspector and the supervisor
    case = make_case(users["inspector"], "Header", "Test", "HDR-1")
    emergency.grant(users["caseworker"], case.reference, "Night call: checking the safety plan.", via="cli")
    heights = {}
    for lang in ("en-GB", "fr-FR"):
        for username, _role, _org in ROLE_USERS:
            context = browser.new_context(viewport={"width": WIDTH, "height": 800}, locale=lang)
            page = context.new_page()
            page.set_extra_http_headers({"Accept-Language": lang})
            _login(page, live_server.url, username)
            assert page.evaluate("document.documentElement.lang") == lang[:2]
            height, lines = header_lines(page)
            heights[(lang, username)] = height
            where = page.evaluate(
                "() => [...document.querySelectorAll('header.top a, header.top button, header.top select,"
                " header.top .who')].filter(e => e.checkVisibility())"
                ".map(e => [e.textContent.trim().slice(0, 20), Math.round(e.getBoundingClientRect().top),"
                " Math.round(e.getBoundingClientRect().bottom)])"
            )
            assert lines == 1, f"{username} ({lang}): the header wraps on {lines} lines, {height} px: {where}"
            assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
            context.close()
    assert max(heights.values()) < 60, heights


def _login(page: Any, base: str, username: str) -> None:
    """Log in and wait for the landing page of the role (which differs by role)."""
    from tests.server.conftest import PASSWORD

    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)


@pytest.mark.django_db(transaction=True)
def test_two_factor_setup_shows_a_qr_code_and_a_wrapped_uri(browser, live_server, orgs, shots):  # noqa: F811
    make_user("supervisor", "supervisor", orgs["a"])
    context = browser.new_context(viewport={"width": WIDTH, "height": 900}, locale="en-GB")
    page = context.new_page()
    csp_errors: list[str] = []
    page.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)
    _login(page, live_server.url, "supervisor")
    page.click("#account-menu")
    page.click("#nav-otp")
    page.wait_for_selector("#otp-qr")
    size = page.eval_on_selector(
        "#otp-qr", "img => [img.complete, img.naturalWidth, img.getBoundingClientRect().width]"
    )
    assert size[0] and size[1] > 0 and size[2] >= 150, size
    page.click("details.meta summary")
    uri = page.locator("#otp-uri")
    assert uri.inner_text().startswith("otpauth://totp/")
    card = page.locator(".card.narrow")
    # the URI wraps inside its card: nothing sticks out
    assert card.evaluate("c => c.scrollWidth <= c.clientWidth"), "the otpauth URI overflows its card"
    ubox, cbox = uri.bounding_box(), card.bounding_box()
    assert ubox["x"] + ubox["width"] <= cbox["x"] + cbox["width"] + 1
    assert not csp_errors, csp_errors
    shots(page, "13-two-factor-qr")
    context.close()


@pytest.mark.django_db(transaction=True)
def test_demo_statistics_page_reads_in_words(browser, live_server, shots):  # noqa: F811
    from vigil.server.cases.demo import DEMO_PASSWORD, load_demo

    load_demo()
    context = browser.new_context(viewport={"width": WIDTH, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "analyst")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: url.endswith("/statistics/"))
    table = page.inner_text("#stats-table")
    assert "Agriculture, forestry and fishing" in table and "Possible victim of trafficking" in table
    assert "PossibleVictimOfTrafficking" not in table and "(none)" not in table
    cells = page.locator("#stats-table td.num")
    hidden = page.locator("#stats-table td.num .hidden-cell")
    assert cells.count() >= 20 and hidden.count() <= cells.count() // 5
    shots(page, "12-statistics")
    page.select_option("#id_rows", "status")
    page.select_option("#id_cols", "screening_outcome")
    page.click("form.filters button[type=submit]")
    page.wait_for_selector("#suppression-note")
    note = page.inner_text("#suppression-note")
    assert "— : fewer than 11 cases, hidden to protect identities." in note
    assert "they would give a hidden count back" in note
    shots(page, "12b-statistics-suppression")
    context.close()


@pytest.mark.django_db(transaction=True)
def test_revoke_is_asked_again_without_javascript(browser, live_server, orgs):  # noqa: F811
    from vigil.server.referrals.models import Referral, ServiceProvider

    worker = make_user("cw", "caseworker", orgs["a"])
    case = make_case(worker, "Nojs", "Person", "NOJS-1")
    provider = ServiceProvider.objects.create(
        organisation=orgs["a"], name="Own legal aid", service_type="legal"
    )
    ref = Referral.objects.create(case=case, provider=provider, created_by=worker)
    context = browser.new_context(
        viewport={"width": WIDTH, "height": 900}, locale="en-GB", java_script_enabled=False
    )
    page = context.new_page()
    _login(page, live_server.url, "cw")
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    revoke = page.locator("form.revoke button")
    colour = revoke.evaluate("b => getComputedStyle(b).backgroundColor")
    assert colour == "rgb(164, 22, 26)", colour  # the "bad" colour of the style sheet: a dangerous action
    page.fill("form.revoke input[name=reason]", "sent by mistake")
    revoke.click()
    page.wait_for_selector("#confirm-revoke")
    ref.refresh_from_db()
    assert ref.status == "pending"  # asked, not done
    page.click("#confirm-form button.danger")
    page.wait_for_selector("#referral-messages >> text=Referral revoked.")
    ref.refresh_from_db()
    assert ref.status == "revoked" and ref.decline_reason == "sent by mistake"
    context.close()
