"""The whole API surface, enumerated from the URL configuration (so a new endpoint is covered the day
it is added): nobody gets in without a token, and no role can make any endpoint fail with a 500 by
plain requests (unknown ids, empty or malformed bodies). Per-endpoint permission cells are in the
tests of each app; this is the net under them."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient
from tests.server.conftest import client_for

pytestmark = pytest.mark.django_db

PUBLIC = {"api/auth/token/", "api/schema/", "api/docs/"}
MISSING_ID = "987654"
PROBLEM = "application/problem+json"


def _walk(patterns: list[Any], prefix: str = "") -> list[str]:
    out: list[str] = []
    for p in patterns:
        if isinstance(p, URLResolver):
            out += _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            out.append(prefix + str(p.pattern))
    return out


def api_urls() -> list[str]:
    """Every API route as a concrete path, an unknown id in place of each parameter (format-suffix
    variants of the router, ``cases.json``, are the same views and left out)."""
    urls = []
    for route in _walk(get_resolver().url_patterns):
        if not route.startswith("api/") or route in PUBLIC or "(?P<format>" in route:
            continue
        path = route.replace("^", "").replace("$", "")
        path = re.sub(r"\(\?P<\w+>[^)]*\)", MISSING_ID, path)
        path = re.sub(r"<(?:\w+:)?\w+>", MISSING_ID, path)
        assert not re.search(r"[()<>\\?^$]", path), f"route not materialised: {route}"
        urls.append("/" + path)
    return sorted(set(urls))


URLS = api_urls()


def test_the_surface_is_enumerated():
    # The big families are all there (a regression in the walk would silently shrink the tests).
    for expected in (
        "/api/cases/",
        "/api/persons/",
        "/api/referrals/",
        "/api/breaches/",
        "/api/emergency-access/",
        "/api/subject-requests/",
        "/api/agreements/",
        "/api/jobs/",
        "/api/audit/",
    ):
        assert expected in URLS
    assert len(URLS) >= 40


@pytest.mark.parametrize("method", ["get", "post", "patch", "delete"])
def test_nothing_without_a_token(method):
    anonymous = APIClient()
    for url in URLS:
        r = getattr(anonymous, method)(url, {}, format="json")
        assert r.status_code in {401, 403, 405}, (method, url, r.status_code)
        if r.status_code != 405:
            assert r["Content-Type"] == PROBLEM, (method, url)


@pytest.mark.parametrize(
    "user_key", ["caseworker", "inspector", "supervisor", "referral_receiver", "analyst", "administrator"]
)
def test_no_role_can_make_an_endpoint_fail(users, cases, user_key):
    api = client_for(users[user_key])
    for url in URLS:
        for method, body in (
            ("get", None),
            ("post", {}),
            ("post", {"case": "not-a-number", "reason": ["x"], "k": "eleven", "from": "2026-13-45"}),
            ("patch", {"version": "x"}),
            ("delete", None),
        ):
            r = getattr(api, method)(url, body, format="json")
            assert r.status_code < 500, (user_key, method, url, r.status_code, r.content[:300])
            if r.status_code >= 400:
                assert r["Content-Type"] == PROBLEM, (user_key, method, url, r.status_code)
        if MISSING_ID in url:
            r = api.get(url)
            assert r.status_code in {403, 404, 405}, (user_key, url, r.status_code)
