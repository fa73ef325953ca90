"""``/api/docs/`` works without internet and under the site's strict CSP (issue 17, item 2): Swagger
UI comes from this server (drf-spectacular-sidecar), its start script is a file, and the
Content-Security-Policy names no other host. The browser test opens the page with every request to
another host aborted and sees the operations listed, with no CSP violation."""

from __future__ import annotations

import re
from typing import Any

import pytest
from rest_framework.test import APIClient
from tests.server.test_server_browser import browser  # noqa: F401 (the module's chromium fixture)

pytestmark = pytest.mark.django_db


def _csp(response: Any) -> str:
    return response["Content-Security-Policy"]


def test_the_docs_page_loads_nothing_from_another_host():
    client = APIClient()
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), "an absolute URL in the docs page"
    assert "<script>" not in html and "<style>" not in html  # nothing inline for the CSP to allow
    srcs = re.findall(r"""(?:src|href)="([^"]+)\"""", html)
    assert any("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in s for s in srcs)
    for directive in ("script-src 'self'", "style-src 'self'", "default-src 'self'"):
        assert directive in _csp(page)
    assert "http" not in _csp(page) and "unsafe-inline" not in _csp(page)
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()
    for src in srcs:
        if src.startswith("/static/"):
            assert client.get(src).status_code == 200, src


@pytest.mark.django_db(transaction=True)
def test_the_docs_list_the_operations_with_the_internet_blocked(browser, live_server):  # noqa: F811
    base = live_server.url
    context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="en-GB")
    blocked: list[str] = []

    def only_this_server(route: Any) -> None:
        if route.request.url.startswith(base + "/"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", only_this_server)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    try:
        response = page.goto(f"{base}/api/docs/")
        assert response is not None and response.status == 200
        # The tags start collapsed (some 180 operations): every resource is listed, and opening
        # one lists its operations.
        page.wait_for_selector(".opblock-tag[data-tag='cases']", timeout=30000)
        tags = page.locator(".opblock-tag").all_inner_texts()
        assert len(tags) >= 20, tags
        page.locator(".opblock-tag[data-tag='cases']").click()
        page.wait_for_selector(".opblock-summary-path[data-path='/api/cases/']", timeout=30000)
        paths = page.locator(".opblock-summary-path").all_inner_texts()
        assert any(p.replace("\u200b", "") == "/api/cases/" for p in paths), paths[:10]
        assert any(p.replace("\u200b", "") == "/api/cases/{id}/" for p in paths), paths[:10]
        # The page listed the operations, and asked nothing of another host, and broke no rule of
        # the CSP (a violation is reported as a console error).
        assert blocked == []
        assert problems == [], problems
    finally:
        context.close()
