"""Browser walk (Playwright, Debian's chromium) of the national picture on the demo: the coordinator
opens the dashboard and a pivot table (no drill-down), the flows map, downloads the annual report,
stores a survey estimate, releases the 2024 figures, views the public statistics page (figures and
estimate) as an anonymous visitor, acknowledges an alert; the inspection lead goes from a sector
alert to the workplaces of that sector; a supervisor drills down from a cell to its cases. Screenshots go to
``$VIGIL_SCREENSHOTS`` when set (``docs/img/national``)."""

from __future__ import annotations

import re

from tests.server.test_server_browser import browser, shots  # noqa: F401
from tests.server.test_server_browser_protection import Session

from vigil.server.cases.demo import DEMO_PASSWORD, load_demo
from vigil.server.national.models import Alert, Release


def demo_login(s: Session, username: str) -> None:
    s.goto("/login/")
    s.page.fill("#id_username", username)
    s.page.fill("#id_password", DEMO_PASSWORD)
    s.page.click("main button[type=submit]")
    s.page.wait_for_url(lambda url: "/login/" not in url, timeout=15000)


def test_national_picture_walk(browser, live_server, shots, tmp_path):  # noqa: F811
    load_demo()
    base = live_server.url
    coord = Session(browser, base)
    demo_login(coord, "coordinator")
    coord.page.click("#nav-national")
    page = coord.page
    assert "National coordinator" in page.inner_text("h1")
    assert page.locator("img.chart").count() >= 10
    assert page.evaluate("Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)")
    shots(page, "dashboard")
    page.click("#ind-victims_identified h2 a")
    page.select_option("#id_dim", "citizenship")
    page.click("main form.filters button")
    assert page.locator("#pivot-table .hidden-cell").count() > 0
    assert page.locator("a.drill").count() == 0  # the coordinator never reaches a case list
    shots(page, "pivot")
    # the flows between countries: the map and the legs, hidden legs listed; the annual report
    coord.goto("/national/")
    page.click("#nav-flows")
    assert page.evaluate("document.getElementById('flow-map').naturalWidth > 0")
    legs = page.locator("#flows-table tbody tr").count()
    assert legs > page.locator("#flows-table tr.suppressed").count() > 0
    shots(page, "flows-page")
    coord.goto("/national/")
    with page.expect_download() as download:
        page.click("#report-xlsx")
    year = page.input_value("#id_report_year")
    assert download.value.suggested_filename == f"vigil-national-report-{year}.xlsx"
    # a survey estimate of 2024 stored for the report and the release
    estimate = tmp_path / "survey-2024.json"
    estimate.write_text(
        '[{"statistic": "proportion", "variable": "forced_labour", "value": 0.0213, "ci": [0.0171, 0.0255]}]',
        encoding="utf-8",
    )
    coord.goto("/national/estimates/")
    page.fill("#id_year", "2024")
    page.set_input_files("#id_file", str(estimate))
    page.click("#estimate-form button")
    assert "stored" in page.inner_text("ul.messages")
    assert "survey-2024.json[0]" in page.inner_text("#estimate-list")
    shots(page, "estimates")
    coord.goto("/national/releases/")
    page.fill("#id_year", "2024")
    page.fill("#id_note", "Annual figures 2024 (demo).")
    page.click("#release-form button")
    assert "released" in page.inner_text("ul.messages")
    assert Release.objects.filter(period="2024").exists()
    # the public page, as a visitor with no session
    public = Session(browser, base)
    public.goto("/public/statistics/?year=2024")
    ppage = public.page
    assert "Figures of 2024" in ppage.inner_text("#release-note")
    assert "forced_labour" in ppage.inner_text("#released-estimates")
    assert not re.search(r"VG-\d{4}-", ppage.content())
    shots(ppage, "public")
    public.check_console()
    public.close()
    # an alert of the demo's surge: open it, acknowledge it
    coord.goto("/national/alerts/")
    page.click("#alert-list tbody tr:first-child a")
    shots(page, "alert")
    page.select_option("#id_status", "acknowledged")
    page.fill("#id_reason", "Construction site visits planned with the inspectorate.")
    page.click("#decision-form button")
    assert "Decision recorded" in page.inner_text("ul.messages")
    assert Alert.objects.filter(status="acknowledged", decided_by__username="coordinator").count() == 1
    coord.check_console()
    coord.close()
    # the inspection lead's inbox holds the sector alerts: from one, the workplaces of that sector
    lead = Session(browser, base)
    demo_login(lead, "inspection_lead")
    lead.page.click("#nav-alerts")
    sector_alert = Alert.objects.filter(unit_type="sector", status="open").first()
    assert sector_alert is not None
    lead.goto(f"/national/alerts/{sector_alert.pk}/")
    assert lead.page.locator("#alert-evidence").count() == 0  # counts only: no case behind it
    shots(lead.page, "alert-actions")
    lead.page.click("#sector-workplaces")
    assert sector_alert.unit in lead.page.inner_text("#sector-filter")
    lead.check_console()
    lead.close()
    # a supervisor drills down from a cell to its cases
    sup = Session(browser, base)
    demo_login(sup, "supervisor")
    sup.goto("/national/indicators/victims_identified/?dim=sector")
    link = sup.page.locator("a.drill").first
    figure = int(link.inner_text())
    link.click()
    assert sup.page.locator("#drill-cases tbody tr").count() == figure
    assert re.search(r"VG-\d{4}-", sup.page.inner_text("#drill-cases"))
    sup.check_console()
    sup.close()
