"""Input a client controls never makes a 500 (issue 15, item 2): integers beyond 64 bits in any
integer filter, ids that are not numbers (or are too large) in any route and any custom action,
JSON bodies nested without limit. Each is a 400 or 404 problem document.

The filters and routes are enumerated from the OpenAPI schema and the URL configuration, so a
filter or an action added tomorrow is covered the day it is added."""

from __future__ import annotations

import json
from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator
from tests.server.conftest import client_for
from tests.server.test_server_api_surface import api_urls

from vigil.server.api.params import INT64_MAX
from vigil.server.api.parsers import MAX_DEPTH, depth_exceeds

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
HUGE = "99999999999999999999"  # 20 digits: beyond any 64-bit integer
JUST_ABOVE = str(INT64_MAX + 1)  # 19 digits, one more than the largest bigint
BAD_IDS = ("abc", HUGE, JUST_ABOVE, "²")
RULESET = "ilo-ec-2009-adult-labour"
ROLES = (
    "supervisor",
    "caseworker",
    "referral_receiver",
    "analyst",
    "administrator",
    "regulator",
    "inspection_lead",
    "compliance",
    "coordinator",
)


def _integer_query_params() -> list[tuple[str, str, dict[str, str]]]:
    """(path, parameter, other required parameters) for every integer query parameter of a GET."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    out = []
    for path, ops in schema["paths"].items():
        op = ops.get("get")
        if op is None or "{" in path:
            continue
        params = [p for p in op.get("parameters", []) if p["in"] == "query"]
        required = {
            p["name"]: str((p["schema"].get("enum") or ["1"])[0]) for p in params if p.get("required")
        }
        for p in params:
            if p["schema"].get("type") == "integer":
                out.append((path, p["name"], {k: v for k, v in required.items() if k != p["name"]}))
    return out


INTEGER_PARAMS = _integer_query_params()


def test_the_integer_filters_are_enumerated():
    names = {(path, name) for path, name, _ in INTEGER_PARAMS}
    for expected in (
        ("/api/cases/", "person"),
        ("/api/stages/", "case"),
        ("/api/consents/", "case"),
        ("/api/screenings/", "case"),
        ("/api/followups/", "case"),
        ("/api/referrals/", "case"),
        ("/api/agreements/", "recipient"),
        ("/api/subject-requests/", "person"),
        ("/api/stats/cases/", "k"),
        ("/api/exports/cases/", "k"),
    ):
        assert expected in names


@pytest.mark.parametrize(("path", "name", "required"), INTEGER_PARAMS, ids=lambda v: str(v))
def test_an_integer_filter_beyond_64_bits_is_a_400_naming_it(users, cases, path, name, required):
    if name in {"page", "page_size"}:
        # DRF's pagination: a page beyond the last is a 404, a page size is capped at 200.
        for role in ROLES:
            r = client_for(users[role]).get(path, {**required, name: HUGE})
            assert r.status_code in {200, 403, 404}, (role, r.status_code)
        return
    refused = []
    for role in ROLES:
        for value in (HUGE, "-" + HUGE, "12abc", "²"):
            r = client_for(users[role]).get(path, {**required, name: value})
            assert r.status_code in {400, 403}, (role, value, r.status_code)
            assert r["Content-Type"] == PROBLEM
            if r.status_code == 400:
                refused.append(value)
                assert [e["field"] for e in r.json()["errors"]] == [name]
    assert refused, f"no role may use {path}: the test proves nothing"
    # The bounds themselves are accepted.
    for role in ROLES:
        r = client_for(users[role]).get(path, {**required, name: str(INT64_MAX)})
        assert r.status_code in {200, 400, 403}, r.status_code
        if r.status_code == 400:  # e.g. k has its own lower bound; never a complaint about the type
            assert "between" not in json.dumps(r.json())


DETAIL_URLS = [u for u in api_urls() if "987654" in u]


def test_the_detail_routes_are_enumerated():
    for expected in (
        "/api/referrals/987654/revoke/",
        "/api/referrals/987654/accept/",
        "/api/referrals/987654/decline/",
        "/api/referrals/987654/complete/",
        "/api/cases/987654/",
        "/api/access-review/user/987654/",
        "/api/accounts/987654/suspend/",
    ):
        assert expected in DETAIL_URLS
    assert len(DETAIL_URLS) >= 25


@pytest.mark.parametrize("role", ROLES)
def test_an_id_that_is_not_a_database_id_is_a_404_on_every_route(users, cases, role):
    c = client_for(users[role])
    for template in DETAIL_URLS:
        for bad in BAD_IDS:
            url = template.replace("987654", bad)
            for method in ("get", "post", "patch", "delete"):
                r = getattr(c, method)(url, {"reason": "Checked with the team."}, format="json")
                # Not an id: the URL does not resolve. 19 digits beyond the range resolve (the
                # pattern counts digits) and then match no row; a method the route lacks, or a
                # role without the capability, is refused first, as for any id.
                allowed = {403, 404, 405} if bad == JUST_ABOVE else {404}
                assert r.status_code in allowed, (method, url[:80], r.status_code)
                assert r["Content-Type"] == PROBLEM


def test_referral_actions_with_a_non_numeric_id_are_404_for_the_roles_that_may_use_them(users):
    receiver = client_for(users["referral_receiver"])
    for action in ("accept", "decline", "complete"):
        r = receiver.post(f"/api/referrals/abc/{action}/", {"reason": "x"}, format="json")
        assert r.status_code == 404 and r["Content-Type"] == PROBLEM
    sender = client_for(users["caseworker"])
    r = sender.post("/api/referrals/abc/revoke/", {"reason": "Consent withdrawn."}, format="json")
    assert r.status_code == 404 and r["Content-Type"] == PROBLEM


def test_a_case_token_that_looks_like_a_digit_is_no_500(users, cases):
    c = client_for(users["supervisor"])
    for token in ("²", "1" * 5000, HUGE):
        r = c.get("/api/access-review/record/", {"case": token})
        assert r.status_code == 404 and r["Content-Type"] == PROBLEM


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [100_000, 1_000, MAX_DEPTH + 1])
def test_a_deeply_nested_json_body_is_a_400(users, cases, depth):
    c = client_for(users["inspector"])
    case = cases["a_inspector"].pk
    body = f'{{"case": {case}, "ruleset": "{RULESET}", "answers": {{"a": {_nested(depth)}}}}}'
    for url in ("/api/screenings/", "/api/cases/", "/api/persons/search/", "/api/auth/token/"):
        r = c.post(url, body, content_type="application/json")
        assert r.status_code == 400, (url, r.status_code)
        assert r["Content-Type"] == PROBLEM
        assert "nested" in r.json()["detail"]


def test_a_body_nested_within_the_limit_reaches_validation(users, cases):
    c = client_for(users["inspector"])
    body = {"case": cases["a_inspector"].pk, "ruleset": RULESET, "answers": {"a": json.loads(_nested(10))}}
    r = c.post("/api/screenings/", body, format="json")
    assert r.status_code == 400 and r["Content-Type"] == PROBLEM
    assert "nested" not in r.json().get("detail", "")
    assert r.json()["errors"]  # a field complaint, from the serializer


def test_depth_is_measured_without_recursion():
    deep: Any = []
    for _ in range(100_000):
        deep = [deep]
    assert depth_exceeds(deep, MAX_DEPTH)
    assert not depth_exceeds({"a": [1, {"b": [2]}]}, 4)  # dict, list, dict, list
    assert depth_exceeds({"a": [1, {"b": [2]}]}, 3)


def test_pages_refuse_ids_that_are_not_ids_without_a_500(users, cases, client):
    """The same classes on the pages: a provider that is not a number on the referral form, a case
    reference that looks like a digit on the data-subject request form, huge page numbers."""
    client.force_login(users["caseworker"])
    case = cases["a_caseworker"]
    for provider in ("abc", HUGE, "²"):
        r = client.post(f"/cases/{case.pk}/referrals/", {"provider": provider, "reason": "Shelter needed."})
        assert r.status_code in {200, 302}, r.status_code  # the form answers "Choose a service."
    client.force_login(users["supervisor"])
    for raw in ("²", "1" * 5000, HUGE):
        assert client.get("/disclosures/requests/new/", {"case": raw}).status_code == 400
    for url in ("/cases/", "/referrals/", "/breaches/", "/disclosures/requests/"):
        r = client.get(url, {"page": HUGE})
        assert r.status_code in {200, 403}, (url, r.status_code)
    assert client.get(f"/cases/{HUGE}/").status_code == 404


@pytest.mark.django_db
def test_integer_fields_have_the_same_bounds_on_every_database(users, cases):
    """A year of birth, a service's capacity and a breach's record count are bounded by the model,
    not by the database's integer type: the API refuses the same values on SQLite and PostgreSQL,
    and the OpenAPI schema (checked in as a snapshot) is the same for both."""
    case = cases["a_caseworker"]
    api = client_for(users["caseworker"])
    for year in (1899, 2101, 40000):
        r = api.patch(f"/api/persons/{case.person_id}/", {"version": 1, "birth_year": year}, format="json")
        assert r.status_code == 400 and r.json()["errors"][0]["field"] == "birth_year", (year, r.content)
    r = api.patch(f"/api/persons/{case.person_id}/", {"version": 1, "birth_year": 1994}, format="json")
    assert r.status_code == 200 and r.json()["birth_year"] == 1994
