"""The accessibility check of the browser walks: axe-core (bundled by axe-playwright-python,
decision 30) run in the page as it is, WCAG 2.0/2.1/2.2 A and AA rules and axe's best practices;
a walk fails on any serious or critical violation, naming the rule, the page and the elements."""

from __future__ import annotations

from typing import Any

RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
BLOCKING = {"serious", "critical"}


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Every violation axe finds in the page (any impact)."""
    from axe_playwright_python.sync_playwright import Axe

    options = {"runOnly": {"type": "tag", "values": RULES}, "resultTypes": ["violations"]}
    results = Axe().run(page, options=options)
    return list(results.response.get("violations", []))


def describe(violations: list[dict[str, Any]]) -> list[str]:
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + "; ".join(" ".join(node.get("target", [])) for node in v.get("nodes", [])[:5])
        for v in violations
    ]


def assert_accessible(page: Any, checked: list[str] | None = None) -> None:
    """No serious or critical axe violation in the page as it is now; ``checked`` collects the
    addresses checked (for the walk's summary)."""
    blocking = [v for v in axe_violations(page) if v.get("impact") in BLOCKING]
    assert not blocking, f"{page.url}: " + " | ".join(describe(blocking))
    if checked is not None:
        checked.append(page.url)
