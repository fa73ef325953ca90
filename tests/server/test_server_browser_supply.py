"""Browser walk of the supply app with Playwright and Debian's chromium: the compliance officer
imports the suppliers, reviews the likely duplicates (merge), sees the graph, records an audit
with a finding, gets the ranked remediation and opens a corrective plan with a milestone.

Screenshots go to ``$VIGIL_SCREENSHOTS`` when set (``docs/img/supply`` for docs/supplychain.md),
otherwise to a temporary directory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.server.conftest import make_user
from tests.server.test_server_browser import browser, login, shots  # noqa: F401 (fixtures)
from tests.server.test_server_supply import EDGES, NODES

from vigil.server.supply.models import CorrectivePlan, Entity, Finding


@pytest.mark.django_db(transaction=True)
def test_compliance_officer_walk(browser, live_server, orgs, shots, tmp_path: Path) -> None:  # noqa: F811
    make_user("officer", "compliance", orgs["a"])
    (tmp_path / "nodes.csv").write_text(NODES, encoding="utf-8")
    (tmp_path / "edges.csv").write_text(EDGES, encoding="utf-8")
    base = live_server.url
    page: Any = browser.new_page(viewport={"width": 1280, "height": 900})
    login(page, base, "officer")

    page.goto(f"{base}/supply/import/")
    page.set_input_files("#id_nodes", str(tmp_path / "nodes.csv"))
    page.set_input_files("#id_edges", str(tmp_path / "edges.csv"))
    shots(page, "01-import")
    page.click("#import-form button[type=submit]")
    page.wait_for_url(f"{base}/supply/matches/")
    assert "Dhaka Garments Limited" in page.inner_text("#queue")
    shots(page, "02-review-matches")
    page.click("#queue button[value=merge]")
    page.wait_for_selector("#merges button[name=undo]")
    assert Entity.objects.get(ref="T1b").merged_into is not None

    page.goto(f"{base}/supply/")
    assert page.locator("#graph svg .node").count() == 5  # six imported, one merged
    shots(page, "03-graph")

    mill = Entity.objects.get(ref="T2")
    page.goto(f"{base}/supply/entities/{mill.pk}/")
    page.fill("#id_audit-date", "2026-10-01")
    page.fill("#id_audit-standard", "SMETA 6.1")
    page.fill("#id_audit-auditor", "Demo Social Audits")
    page.click("#audit-form button[type=submit]")
    page.wait_for_selector("#finding-form")
    page.select_option("#id_finding-kind", "interview")
    page.check("#finding-form input[value='ILO11.07']")
    page.check("#finding-form input[value='ILO11.09']")
    page.click("#finding-form button[type=submit]")
    page.wait_for_selector(".audit li strong")
    assert Finding.objects.get().fired == ["ILO11.07", "ILO11.09"]
    assert "ILO-11 indicator present" in page.inner_text("main")
    shots(page, "04-audit-findings")

    page.goto(f"{base}/supply/remediation/")
    assert page.locator("#remediation tbody tr").count() >= 4
    shots(page, "05-ranked-remediation")
    page.click(f"#open-plan-{mill.pk}")
    page.fill("#id_plan-title", "Return passports, end the recruitment debt")
    page.select_option("#id_plan-action", "escalate")
    page.click("#plan-form button[type=submit]")
    page.wait_for_selector("#milestone-form")
    page.fill("#id_title", "Passports returned to every worker")
    page.fill("#id_owner", "Factory HR manager")
    page.fill("#id_due", "2026-11-15")
    page.click("#milestone-form button[type=submit]")
    page.wait_for_selector("#milestones td")
    plan = CorrectivePlan.objects.get()
    assert plan.entity == mill and plan.milestones.count() == 1
    shots(page, "06-corrective-plan")
    page.close()
