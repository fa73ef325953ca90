from __future__ import annotations

import io
from datetime import date

from openpyxl import load_workbook

from vigil.supply.network import Edge, Network, Node
from vigil.supply.propagation import propagate
from vigil.supply.rank import rank
from vigil.supply.report import PlanRow, by_country, by_tier, html, top_paths, xlsx


def chain() -> Network:
    net = Network(
        {
            "B": Node("B", "Brand", "company", prior=0.0, country="FRA"),
            "G": Node("G", "=HYPERLINK(1)", "supplier", prior=0.1, country="BGD"),
            "M": Node("M", "Mill <i>", "supplier", prior=0.2, country="BGD"),
            "C": Node("C", "Cotton", "supplier", prior=0.9, country="TKM"),
        }
    )
    net.edges = [Edge("G", "B", 1.0), Edge("M", "G", 1.0), Edge("C", "M", 0.5)]
    return net


def test_summaries_by_tier_and_country_and_top_paths() -> None:
    net = chain()
    res = propagate(net)
    tiers = {s.label: s for s in by_tier(net, res)}
    assert set(tiers) == {"tier 0", "tier 1", "tier 2", "tier 3"}
    assert tiers["tier 3"].max_risk == 0.9 and tiers["tier 3"].count == 1
    countries = by_country(net, res)
    assert countries[0].label == "TKM" and {c.label for c in countries} == {"TKM", "BGD", "FRA"}
    bgd = next(c for c in countries if c.label == "BGD")
    assert bgd.count == 2 and bgd.max_risk == res["M"].risk
    assert [r.id for r in top_paths(net, res)] == ["G", "B"]  # the company and tier 1 only


def test_html_and_xlsx_hold_the_charts_paths_and_plans() -> None:
    net = chain()
    res = propagate(net)
    lines = rank(net, res, today=date(2026, 12, 1))
    plans = [
        PlanRow(
            "Mill <i>",
            "Return passports",
            "escalate",
            "open",
            (("Passports returned", "HR manager", "2026-11-15", ""),),
        )
    ]
    page = html("Report", net, res, lines, plans, "2026-12-01")
    assert page.count("<svg") == 3  # the graph, by tier, by country
    assert "Mill <i>" not in page and "Mill &lt;i&gt;" in page
    assert 'id="top-paths"' in page and "Passports returned (HR manager, due 2026-11-15)" in page
    wb = load_workbook(io.BytesIO(xlsx("Report", net, res, lines, plans, "2026-12-01")))
    assert wb.sheetnames == [
        "Entities",
        "By tier",
        "By country",
        "Top paths",
        "Remediation",
        "Plans",
        "About",
    ]
    names = [row[1] for row in wb["Entities"].iter_rows(min_row=2, values_only=True)]
    assert "'=HYPERLINK(1)" in names  # formula-safe
    assert len(wb["By tier"]._charts) == 1 and len(wb["By country"]._charts) == 1
    assert wb["Plans"]["E2"].value == "Passports returned"
    assert wb["Remediation"].max_row == len(lines) + 1
