"""Every page route, enumerated from the URL configuration: without a session, nothing but the
login page (and the language switch) answers with content; no role makes any page fail with a
500 by plain requests (unknown ids, empty forms)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import get_resolver
from tests.server.test_server_api_surface import MISSING_ID, _walk

pytestmark = pytest.mark.django_db

OPEN = {"/login/", "/i18n/setlang/", "/login/2fa/"}
# the public pages of the agency registry (no login); test_server_recruitment_public.py crawls
# them as an anonymous visitor and proves they show no identity data
PUBLIC = {
    "/public/agencies/",
    "/public/offer-check/",
    "/public/offers/",
    "/public/complaints/new/",
    "/public/complaints/follow-up/",
    # the released national figures (test_server_national.py: only released, disclosure-checked)
    "/public/statistics/",
    # the safe-migration guides (published text only; test_server_safemigration.py)
    "/public/safe-migration/",
}


def page_urls() -> list[str]:
    import re

    urls = []
    for route in _walk(get_resolver().url_patterns):
        if route.startswith(("api/", "admin/")) or "(?P<format>" in route:
            continue
        path = route.replace("^", "").replace("$", "")
        path = re.sub(r"<str:action>", "accept", path)
        path = re.sub(r"<str:token>", "x" * 43, path)
        path = re.sub(r"<(?:\w+:)?\w+>", MISSING_ID, path)
        assert not re.search(r"[()<>\\?^$]", path), f"route not materialised: {route}"
        urls.append("/" + path)
    return sorted(set(urls))


URLS = page_urls()


def test_pages_are_enumerated():
    for expected in ("/cases/", "/emergency/", "/breaches/", "/disclosures/requests/", "/followups/"):
        assert expected in URLS
    assert len(URLS) >= 30


def test_no_page_without_a_session():
    anonymous = Client()
    for url in URLS:
        if url in OPEN or url in PUBLIC or url == "/":
            continue
        r = anonymous.get(url)
        assert r.status_code in {302, 404, 405}, (url, r.status_code)
        if r.status_code == 302:
            assert r["Location"].startswith("/login/"), (url, r["Location"])


@pytest.mark.parametrize(
    "user_key", ["caseworker", "inspector", "supervisor", "referral_receiver", "analyst", "administrator"]
)
def test_no_role_can_make_a_page_fail(users, cases, user_key):
    c = Client()
    c.force_login(users[user_key])
    for url in URLS:
        if url == "/logout/":
            continue
        for method in ("get", "post"):
            r = getattr(c, method)(url, {})
            assert r.status_code < 500, (user_key, method, url, r.status_code)
        if MISSING_ID in url:
            assert c.get(url).status_code in {302, 403, 404, 405, 410}, (user_key, url)
