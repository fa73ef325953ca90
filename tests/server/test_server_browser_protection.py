"""Browser walks (Playwright, Debian's chromium) of the data-protection capabilities:

- emergency (break-glass) access: request, confirmation, read-only case page, owner's alert badge,
  acknowledgement, a supervisor's revocation, the holder refused afterwards;
- breach register: a report, the administrator's workflow (statuses, affected case, notification),
  the access review of the case, the suspension of an account that ends its session;
- encrypted exports: the analyst's statistics zip (one-time password, download, AES), and a
  supervisor's data-subject access copy started from the case page;
- data-sharing agreements on the referral form.

Screenshots go to ``$VIGIL_SCREENSHOTS`` when set (``docs/img/protection`` for the guides).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import pyzipper
from django.utils import timezone
from tests.server.conftest import PASSWORD, make_case, make_user
from tests.server.test_server_browser import browser, login, shots  # noqa: F401

VIEWPORT = {"width": 1200, "height": 900}
# Chromium logs every page answered with an error status as a console error; the walks visit a
# few such pages on purpose (a form refused with 400, the not-found page, a page the role may not
# use): each walk names them. Anything else in the console (CSP, a script error, a missing icon)
# fails.
STATUS_LINE = re.compile(r"^Failed to load resource: the server responded with a status of (\d{3})")


class Session:
    """One user's browser context, with the console errors of its pages."""

    def __init__(self, chromium: Any, base: str) -> None:
        self.context = chromium.new_context(viewport=VIEWPORT, locale="en-GB", accept_downloads=True)
        self.page = self.context.new_page()
        self.base = base
        self.errors: list[tuple[str, str]] = []
        self.page.on(
            "console",
            lambda m: self.errors.append((m.text, m.location.get("url", ""))) if m.type == "error" else None,
        )
        self.page.on("pageerror", lambda e: self.errors.append((f"page error: {e}", self.page.url)))

    def goto(self, path: str) -> Any:
        return self.page.goto(f"{self.base}{path}")

    def check_console(self, *expected: tuple[int, str]) -> None:
        """No console error but the error statuses of the pages named as ``(status, path)``."""
        unexpected = []
        for text, url in self.errors:
            m = STATUS_LINE.match(text)
            path = url.removeprefix(self.base)
            if m and (int(m.group(1)), path) in expected:
                continue
            unexpected.append(f"{text} {url}")
        assert not unexpected, unexpected

    def close(self) -> None:
        self.context.close()


def sign_in(page: Any, base: str, username: str) -> None:
    """Like ``login``, for any role's landing page (the analyst's is the statistics page)."""
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    try:
        page.wait_for_url(lambda url: "/login/" not in url, timeout=15000)
    except Exception:
        raise AssertionError(f"login of {username} failed at {page.url}: {page.inner_text('main')}") from None


def messages_text(page: Any) -> str:
    return page.inner_text("ul.messages") if page.locator("ul.messages").count() else ""


def read_zip(path: Path, password: str | None) -> dict[str, str]:
    with pyzipper.AESZipFile(path) as zf:
        if password is not None:
            zf.setpassword(password.encode())
        return {name: zf.read(name).decode("utf-8") for name in zf.namelist()}


def download(page: Any, selector: str, to: Path) -> Path:
    with page.expect_download() as info:
        page.click(selector)
    dl = info.value
    assert dl.failure() is None, dl.failure()
    dl.save_as(str(to))
    return to


# --- emergency access ------------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_emergency_access_walk(browser, live_server, orgs, shots):  # noqa: F811
    from vigil.server.emergency import services
    from vigil.server.emergency.models import EmergencyAccess

    owner = make_user("owner_a", "caseworker", orgs["a"])
    make_user("sup_a", "supervisor", orgs["a"])
    holder = make_user("night_b", "caseworker", orgs["b"])
    case1 = make_case(owner, "Amina", "Synthetic", "DOC-EM-0001")
    case2 = make_case(owner, "Boris", "Placeholder", "DOC-EM-0002")
    base = live_server.url
    reason = "Shelter called 02:10: the person asks for help, we must check the safety plan."

    # Night shift: the caseworker of B asks emergency access to a case of A by its reference.
    night = Session(browser, base)
    login(night.page, base, "night_b")
    assert night.page.locator("#emergency-badge").count() == 0
    night.page.click("#nav-emergency")
    night.page.click("#emergency-new-link")
    night.page.wait_for_url(re.compile(r".*/emergency/new/$"))
    night.page.fill("#id_case_reference", case1.reference)
    night.page.fill("#id_reason", "help now")  # too short: refused, nothing granted
    night.page.click("#emergency-form button[type=submit]")
    night.page.wait_for_selector("#emergency-form .errorlist")
    assert "at least 15 characters" in night.page.inner_text("#emergency-form")
    assert not EmergencyAccess.objects.exists()
    night.page.fill("#id_reason", reason)
    night.page.click("#emergency-form button[type=submit]")
    night.page.wait_for_selector("#emergency-confirm")
    assert night.page.inner_text("#confirm-reference") == case1.reference
    confirm = night.page.inner_text("#emergency-confirm")
    assert "Inspectorate A" in confirm and "logged and the owner is alerted" in confirm
    assert "Amina" not in confirm  # nothing of the person before the access is granted
    assert not EmergencyAccess.objects.exists()
    shots(night.page, "01-emergency-confirm", full_page=False)
    night.page.click("#emergency-confirm-button")
    night.page.wait_for_url(re.compile(rf".*/cases/{case1.pk}/$"))
    grant1 = EmergencyAccess.objects.get(user=holder, case=case1)
    assert grant1.is_active and grant1.reason == reason

    # The case page: the banner, the person, and no form that changes anything.
    assert night.page.locator("#emergency-banner").is_visible()
    assert "read only" in night.page.inner_text("#emergency-banner")
    assert "read only" in messages_text(night.page)
    assert night.page.inner_text("#case-reference") == case1.reference
    assert "Amina" in night.page.inner_text("main")
    for form in ("#case-form", "#stage-form", "#screening-start", "#referral-form", "#followup-form"):
        assert night.page.locator(form).count() == 0, form
    assert night.page.locator("#person-edit-link").count() == 0
    assert night.page.locator("#subject-request-link").count() == 0

    # A second grant (a police operation), on the other case of the same owner.
    grant2 = services.grant(
        holder, case2.reference, "Police operation: person found, check the case", via="web"
    )
    assert night.goto(f"/cases/{case2.pk}/").status == 200

    # The owner sees the badge and acknowledges the first grant.
    own = Session(browser, base)
    login(own.page, base, "owner_a")
    assert own.page.inner_text("#emergency-badge") == "2"
    own.page.click("#nav-emergency")
    own.page.wait_for_url(re.compile(r".*/emergency/$"))
    row1 = own.page.locator(f"#emergency-alerts tr[data-grant='{grant1.pk}']")
    assert "unacknowledged" in (row1.get_attribute("class") or "")
    assert "night_b (NGO B)" in row1.inner_text() and reason in row1.inner_text()
    assert own.page.locator("#emergency-alerts form.revoke").count() == 0  # the owner cannot revoke
    row1.locator("button.ack").click()
    own.page.wait_for_selector("text=Acknowledged.")
    assert own.page.inner_text("#emergency-badge") == "1"
    assert "owner_a" in own.page.inner_text(f"#emergency-alerts tr[data-grant='{grant1.pk}']")
    grant1.refresh_from_db()
    assert grant1.acknowledged_by == owner

    # The owner's supervisor revokes the second grant and reads what was seen under the first.
    sup = Session(browser, base)
    login(sup.page, base, "sup_a")
    assert sup.page.inner_text("#emergency-badge") == "1"
    sup.goto("/emergency/")
    row2 = sup.page.locator(f"#emergency-alerts tr[data-grant='{grant2.pk}']")
    row2.locator("input[name=reason]").fill("Operation over, access not needed")
    row2.locator("form.revoke button").click()
    sup.page.wait_for_selector(f"text=Emergency access to {case2.reference} revoked.")
    status2 = sup.page.inner_text(f"#emergency-alerts tr[data-grant='{grant2.pk}']")
    assert "sup_a: Operation over, access not needed" in status2
    shots(sup.page, "02-emergency-alerts", full_page=False)
    grant2.refresh_from_db()
    assert grant2.ending == "revoked" and not grant2.is_active
    sup.page.click(f"#emergency-alerts tr[data-grant='{grant1.pk}'] >> text=What was seen")
    sup.page.wait_for_url(re.compile(rf".*/emergency/{grant1.pk}/trail/$"))
    trail = sup.page.inner_text("#trail-table")
    assert "night_b" in trail and "emergency_access" in trail and "view" in trail

    # The holder: the revoked case is not found any more; the other one still opens, read only.
    response = night.goto(f"/cases/{case2.pk}/")
    assert response.status == 404 and "Page not found" in night.page.inner_text("main")
    assert "Boris" not in night.page.content()
    assert night.goto(f"/cases/{case1.pk}/").status == 200
    assert night.page.locator("#emergency-banner").is_visible()
    night.goto("/emergency/")
    assert "Operation over" in night.page.inner_text(f"#emergency-mine tr[data-grant='{grant2.pk}']")

    night.check_console((400, "/emergency/new/"), (404, f"/cases/{case2.pk}/"))
    own.check_console()
    sup.check_console()
    for s in (night, own, sup):
        s.close()


# --- breach register -------------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_breach_register_walk(browser, live_server, orgs, shots):  # noqa: F811
    from vigil.server.breaches.models import BreachIncident

    reporter = make_user("cw_rep", "caseworker", orgs["a"])
    make_user("dpo", "administrator", None)
    case = make_case(reporter, "Chen", "Fictional", "DOC-BR-0001")
    base = live_server.url

    # The caseworker opens the case, then reports the stolen laptop.
    cw = Session(browser, base)
    login(cw.page, base, "cw_rep")
    cw.goto(f"/cases/{case.pk}/")
    assert cw.page.inner_text("#case-reference") == case.reference
    cw.page.click("#nav-breaches")
    cw.page.click("#report-breach")
    cw.page.wait_for_url(re.compile(r".*/breaches/report/$"))
    discovered = (timezone.now() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    cw.page.fill("#id_title", "Laptop stolen on the train")
    cw.page.fill("#id_discovered_at", discovered)
    cw.page.fill(
        "#id_description", f"Work laptop, disk encrypted, session possibly open. Case {case.reference}."
    )
    cw.page.select_option("#id_category", "lost_device")
    cw.page.click("main form button[type=submit]")
    cw.page.wait_for_url(re.compile(r".*/breaches/\d+/$"))
    incident = BreachIncident.objects.get()
    assert incident.reported_by == reporter and incident.status == "reported"
    assert incident.reference in messages_text(cw.page)
    assert cw.page.inner_text("#status") == "Reported"
    assert cw.page.locator("#cases").count() == 0 and cw.page.locator("#status-form").count() == 0

    # The administrator works the incident through.
    adm = Session(browser, base)
    sign_in(adm.page, base, "dpo")
    adm.page.wait_for_url(re.compile(r".*/breaches/$"))  # the administrator's landing page
    assert "Laptop stolen on the train" in adm.page.inner_text("#incidents")
    adm.page.click(f"#incidents >> text={incident.reference}")
    adm.page.wait_for_url(re.compile(rf".*/breaches/{incident.pk}/$"))

    def change_status(to: str, note: str = "", closure: str = "") -> None:
        adm.page.select_option("#status-form select[name=status]", to)
        if note:
            adm.page.fill("#status-form textarea[name=note]", note)
        if closure:
            adm.page.fill("#status-form textarea[name=closure_summary]", closure)
        adm.page.click("#status-form button[type=submit]")
        adm.page.wait_for_selector("text=Status changed.")

    # A status that does not follow is not offered.
    options = adm.page.locator("#status-form select[name=status] option").all_inner_texts()
    assert options == ["Assessing", "Closed"]
    change_status("assessing", "Device of a caseworker; checking which cases were open")
    assert adm.page.inner_text("#status") == "Assessing"

    adm.page.fill("#cases input[name=references]", case.reference.lower())
    adm.page.click("#cases form.card button[type=submit]")
    adm.page.wait_for_selector("text=1 case(s) added.")
    assert case.reference in adm.page.inner_text("#cases table")
    assert "Inspectorate A" in adm.page.inner_text("#cases ul")
    change_status("contained", "Account suspended, remote wipe requested")

    # Notified needs a notification first.
    change_to_notified = "#status-form select[name=status]"
    adm.page.select_option(change_to_notified, "notified")
    adm.page.click("#status-form button[type=submit]")
    adm.page.wait_for_selector("text=Record at least one notification first.")
    assert adm.page.inner_text("#status") == "Contained"
    adm.page.select_option("#notifications select[name=recipient]", "organisation")
    adm.page.select_option("#notifications select[name=organisation]", str(orgs["a"].pk))
    adm.page.select_option("#notifications select[name=method]", "phone")
    adm.page.fill("#notifications textarea[name=note]", "Head of unit informed")
    adm.page.click("#notifications form.card button[type=submit]")
    adm.page.wait_for_selector("text=Notification recorded.")
    assert "Affected organisation: Inspectorate A" in adm.page.inner_text("#notifications table")
    change_status("notified")
    change_status("closed", closure="Laptop wiped remotely; no sign of access to the cases.")
    assert adm.page.inner_text("#status") == "Closed"
    history = adm.page.inner_text("#history")
    for step in ("Assessing", "Contained", "Notified", "Closed"):
        assert step in history
    adm.page.locator("h1").scroll_into_view_if_needed()
    shots(adm.page, "03-breach-incident", full_page=False)
    incident.refresh_from_db()
    assert incident.status == "closed" and list(incident.cases.all()) == [case]
    assert incident.status_changes.count() == 4 and incident.notifications.count() == 1

    # Access review of the case: the caseworker's view is there.
    adm.goto("/breaches/access-review/")
    adm.page.fill("#r-case", case.reference)
    adm.page.click("#review-case button[type=submit]")
    adm.page.wait_for_selector("#access-rows")
    rows = adm.page.locator("#access-rows tbody tr")
    views = [t for t in rows.all_inner_texts() if "cw_rep" in t and "\tview\t" in t and "the case" in t]
    assert views, rows.all_inner_texts()
    assert case.reference in views[0]
    shots(adm.page, "04-breach-access-review", full_page=False)

    # Containment: suspend the caseworker; their next page load goes to the login page.
    adm.goto(f"/breaches/accounts/?incident={incident.reference}")
    assert adm.page.input_value("#id_incident") == incident.reference
    adm.page.fill("#id_user", "cw_rep")
    adm.page.fill("#id_reason", "laptop stolen")
    adm.page.click("#suspend button[type=submit]")
    adm.page.wait_for_selector("text=cw_rep is suspended")
    assert "1 session(s) ended" in messages_text(adm.page)
    assert "cw_rep" in adm.page.inner_text("#suspended") and incident.reference in adm.page.inner_text(
        "#suspended"
    )
    reporter.refresh_from_db()
    assert not reporter.is_active

    cw.page.reload()
    cw.page.wait_for_url(re.compile(r".*/login/\?next="))
    assert cw.page.locator("#id_username").is_visible()
    cw.goto(f"/cases/{case.pk}/")
    assert "/login/" in cw.page.url and "Chen" not in cw.page.content()

    cw.check_console()
    adm.check_console()
    cw.close()
    adm.close()


# --- encrypted exports and data-subject requests ----------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_encrypted_exports_walk(browser, live_server, orgs, shots, settings, tmp_path):  # noqa: F811
    from vigil.server.cases.models import Consent
    from vigil.server.disclosures.models import ExportFile, SubjectRequest

    settings.DATA_DIR = tmp_path / "data"
    owner = make_user("cw_stats", "caseworker", orgs["a"])
    make_user("analyst", "analyst", orgs["a"])
    make_user("sup_a", "supervisor", orgs["a"])
    for i in range(12):
        case = make_case(owner, f"Stat{i:02d}", f"Family{i:02d}", f"STAT-{i:03d}", sector="A")
        case.person.gender, case.person.citizenship, case.person.birth_year = "Feminine", "NPL", 1990
        case.person.save()
        Consent.objects.create(case=case, purpose="statistics", given=True, method="verbal")
    subject = make_case(owner, "Dana", "Sample", "DSR-0001", sector="A")  # no statistics consent
    base = live_server.url

    # The analyst: a statistics export with its one-time password.
    an = Session(browser, base)
    sign_in(an.page, base, "analyst")
    an.page.click("#nav-exports")
    an.page.wait_for_url(re.compile(r".*/disclosures/$"))
    an.page.fill("#id_purpose", "Ministry of Labour, annual report")
    an.page.click("#statistics-export-form button[type=submit]")
    an.page.wait_for_selector("#export-password")
    password = an.page.inner_text("#export-password").strip()
    assert re.fullmatch(r"[A-Z0-9]{4}(-[A-Z0-9]{4}){5}", password), password
    link = an.page.get_attribute("#download-link", "href")
    assert link and re.search(r"/disclosures/download/[^/]+/$", link)
    assert password not in link
    export = ExportFile.objects.get(kind="statistics_microdata")
    assert export.records == 12
    shots(an.page, "05-export-password", full_page=False)

    path = download(an.page, "#download-link", tmp_path / "stats.zip")
    content = read_zip(path, password)
    assert set(content) == {"vigil-cases-htcds.csv", "README.txt"}
    csv_lines = content["vigil-cases-htcds.csv"].strip().splitlines()
    assert len(csv_lines) == 13  # header and the 12 consenting cases, not the 13th case
    assert "Ministry of Labour, annual report" in content["README.txt"]
    for secret in ("Stat00", "Family00", "STAT-000", "Dana", "DSR-0001"):
        assert secret not in content["vigil-cases-htcds.csv"]
    with pytest.raises(RuntimeError):
        read_zip(path, None)
    with pytest.raises(RuntimeError):
        read_zip(path, "AAAA-AAAA-AAAA-AAAA-AAAA-AAAA")
    assert b"cas_" not in path.read_bytes()  # the CSV header is not readable in the raw file

    # Reloading the exports page lists the file but never shows the password again.
    an.goto("/disclosures/")
    assert password not in an.page.content()
    files = an.page.inner_text("#export-files")
    assert "1 / 3" in files and "available" in files
    # Another user's session cannot use the link.
    other = Session(browser, base)
    login(other.page, base, "cw_stats")
    assert other.page.goto(link).status == 404

    # A supervisor: an access request from the case page, and the person's encrypted copy.
    sup = Session(browser, base)
    login(sup.page, base, "sup_a")
    sup.goto(f"/cases/{subject.pk}/")
    sup.page.click("#subject-request-link")
    sup.page.wait_for_url(re.compile(rf".*/disclosures/requests/new/\?case={subject.pk}$"))
    assert subject.reference in sup.page.inner_text("h1")
    assert sup.page.input_value("#id_received_on") == timezone.localdate().isoformat()
    sup.page.select_option("#id_kind", "access")
    sup.page.select_option("#id_channel", "in_person")
    sup.page.select_option("#id_verification", "document_seen")
    sup.page.click("#subject-request-form button[type=submit]")
    sup.page.wait_for_url(re.compile(r".*/disclosures/requests/\d+/$"))
    req = SubjectRequest.objects.get()
    assert req.person_id == subject.person_id and req.due_on == timezone.localdate() + timedelta(days=30)
    assert sup.page.inner_text("#request-status") == "Received"
    assert subject.reference in sup.page.inner_text("#person-cases")
    sup.page.click("#access-form button[type=submit]")
    sup.page.wait_for_selector("#export-password")
    sup_password = sup.page.inner_text("#export-password").strip()
    record = read_zip(download(sup.page, "#download-link", tmp_path / "subject.zip"), sup_password)
    assert {"record.txt", "record.json", "README.txt"} <= set(record)
    for value in ("Dana", "Sample", "DSR-0001", subject.reference):
        assert value in record["record.txt"], value
    assert "Stat00" not in record["record.json"]  # nobody else's data
    with pytest.raises(RuntimeError):
        read_zip(tmp_path / "subject.zip", password)  # the analyst's password does not open it
    sup.goto(f"/disclosures/requests/{req.pk}/")
    assert sup.page.inner_text("#request-status") == "Completed"
    assert "1 / 3" in sup.page.inner_text("#request-exports")
    shots(sup.page, "06-subject-request", full_page=False)

    an.check_console()
    other.check_console((404, link.removeprefix(base)))
    sup.check_console()
    for s in (an, other, sup):
        s.close()


# --- data-sharing agreements on the referral form -------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_referral_needs_a_data_sharing_agreement(browser, live_server, orgs):  # noqa: F811
    from playwright.sync_api import Error as PlaywrightError

    from vigil.server.accounts.models import Organisation
    from vigil.server.cases.models import Consent
    from vigil.server.referrals.models import DataSharingAgreement, Referral, ServiceProvider

    worker = make_user("cw_ref", "caseworker", orgs["a"])
    case = make_case(worker, "Eva", "Example", "DOC-RF-0001")
    Consent.objects.create(case=case, purpose="referral", given=True, method="written")
    shelter_org = Organisation.objects.create(name="Safe House", kind="shelter")
    own = ServiceProvider.objects.create(
        organisation=orgs["a"], name="Inspectorate A: legal advice", service_type="legal"
    )
    shelter = ServiceProvider.objects.create(
        organisation=shelter_org, name="Safe House: night shelter", service_type="shelter", languages="en,ro"
    )
    base = live_server.url

    s = Session(browser, base)
    login(s.page, base, "cw_ref")
    s.goto(f"/cases/{case.pk}/")
    s.page.click("#referral-form summary")
    shelter_option = s.page.locator(f"#id_provider option[value='{shelter.pk}']")
    own_option = s.page.locator(f"#id_provider option[value='{own.pk}']")
    assert shelter_option.is_disabled() and "no data-sharing agreement" in shelter_option.inner_text()
    assert own_option.is_enabled() and "own organisation" in own_option.inner_text()
    with pytest.raises(PlaywrightError):  # a disabled option cannot be chosen
        s.page.select_option("#id_provider", str(shelter.pk), timeout=2000)
    assert s.page.input_value("#id_provider") == ""  # no default service: a placeholder

    agreement = DataSharingAgreement.objects.create(
        discloser=orgs["a"],
        recipient=shelter_org,
        fields=["given_name", "primary_language", "gender", "birth_year", "phone"],
        legal_basis="National referral mechanism MoU",
        document_reference="MOU-2025-07",
        signed_on=date.today() - timedelta(days=30),
    )
    s.page.reload()
    s.page.click("#referral-form summary")
    assert shelter_option.is_enabled() and "agreement MOU-2025-07" in shelter_option.inner_text()
    s.page.select_option("#id_provider", str(shelter.pk))
    s.page.fill("#id_reason", "Safe accommodation tonight")
    s.page.click("#referral-form button[type=submit]")
    s.page.wait_for_selector("#referral-messages >> text=Referral sent to Safe House: night shelter.")
    referral = Referral.objects.get(case=case)
    assert referral.provider == shelter and referral.agreement == agreement
    assert "Safe House: night shelter" in s.page.inner_text("#referral-table")

    # A field the agreement does not cover is refused, and nothing is stored.
    s.page.click("#referral-form summary")
    s.page.select_option("#id_provider", str(shelter.pk))
    s.page.check("#referral-form input[name=shared][value=family_name]")
    s.page.click("#referral-form button[type=submit]")
    s.page.wait_for_selector("ul.messages li.error")
    assert "family" in messages_text(s.page).lower()
    assert Referral.objects.filter(case=case).count() == 1

    s.check_console()
    s.close()


# --- labels point to their own form's field ------------------------------------------------------
def label_focuses(page: Any, field: Any) -> tuple[bool, str]:
    """Click the label of ``field`` in its own form; whether the field got the focus, and the action
    of the form of the element that did."""
    field.locator("xpath=ancestor::form").locator(f"label[for='{field.get_attribute('id')}']").click()
    got = field.evaluate("e => e === document.activeElement")
    where = page.evaluate("() => document.activeElement?.closest('form')?.getAttribute('action') || ''")
    return got, where


@pytest.mark.django_db(transaction=True)
def test_breach_page_note_labels_point_to_their_own_form(browser, live_server):  # noqa: F811
    from vigil.server.breaches.models import BreachIncident

    make_user("dpo", "administrator", None)
    incident = BreachIncident.objects.create(title="Misdirected e-mail", discovered_at=timezone.now())
    s = Session(browser, live_server.url)
    sign_in(s.page, live_server.url, "dpo")
    s.goto(f"/breaches/{incident.pk}/")
    field = s.page.locator("#notifications textarea[name=note]")
    got, where = label_focuses(s.page, field)
    assert got, f"the notification form's 'note' label focused a field of the form {where}"
    s.close()


@pytest.mark.django_db(transaction=True)
def test_subject_request_page_note_labels_point_to_their_own_form(browser, live_server, orgs):  # noqa: F811
    from vigil.server.disclosures.models import SubjectRequest

    worker = make_user("cw_dsr", "caseworker", orgs["a"])
    make_user("sup_a", "supervisor", orgs["a"])
    case = make_case(worker, "Fay", "Example", "DOC-DS-0001")
    req = SubjectRequest.objects.create(
        person=case.person, kind="access", channel="phone", due_on=date.today() + timedelta(days=30)
    )
    s = Session(browser, live_server.url)
    login(s.page, live_server.url, "sup_a")
    s.goto(f"/disclosures/requests/{req.pk}/")
    field = s.page.locator("#refuse-form textarea[name=outcome_note]")
    got, where = label_focuses(s.page, field)
    assert got, f"the refusal form's 'outcome note' label focused a field of the form {where}"
    s.close()
