"""Pagination maximums of the API (issue 14, limits): every list action pages with at most
``MAX_PAGE_SIZE`` records per answer whatever ``page_size`` asks, the schema says so, and each
operation that answers a bare list is bounded by it or by construction. (The 20 MB body: see
test_server_api_problems.py, and over real HTTP test_server_faults.py.)"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator
from tests.server.conftest import client_for

from vigil.server.accounts.models import Organisation
from vigil.server.api.pagination import MAX_PAGE_SIZE, Pagination

pytestmark = pytest.mark.django_db

#: GET operations answering a bare list, and what bounds them.
BARE_LISTS = {
    "/api/jobs/": "the scheduled jobs declared in the code (vigil.server.jobs), a handful",
    "/api/breaches/{id}/notifications/": "the notifications of one incident, each recorded by hand",
    "/api/recruitment/worklist/": f"limit, at most and by default {MAX_PAGE_SIZE}",
    "/api/inspections/worklist/": f"limit, at most and by default {MAX_PAGE_SIZE}",
    "/api/supply/remediation/": f"limit, at most and by default {MAX_PAGE_SIZE}",
    "/api/fieldwork/uploads/": "the organisation's latest uploads, at most 200",
    "/api/supply/risk/": f"the riskiest entities first, limit at most and by default {MAX_PAGE_SIZE}",
}


def _api_views(patterns: list[Any], prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for p in patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            out += _api_views(p.url_patterns, route)
        elif isinstance(p, URLPattern) and route.startswith("api/"):
            out.append((route, p.callback))
    return out


def test_every_list_action_pages_with_the_maximum():
    lists = [(route, cb) for route, cb in _api_views(get_resolver().url_patterns)
             if "list" in (getattr(cb, "actions", None) or {}).values()]
    assert len(lists) >= 15  # cases, persons, screenings, referrals, audit, recruitment...
    for route, cb in lists:
        paginator = cb.cls.pagination_class
        assert paginator is not None and issubclass(paginator, Pagination), route
        assert paginator.max_page_size == MAX_PAGE_SIZE == 200, route


def test_the_schema_states_the_maximum_and_every_bare_list_is_bounded():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    bare, paged = [], []
    for path, ops in schema["paths"].items():
        op = ops.get("get")
        if op is None:
            continue
        content = op["responses"].get("200", {}).get("content", {}).get("application/json", {})
        body = content.get("schema", {})
        if body.get("type") == "array":
            bare.append(path)
        elif body.get("$ref", "").split("/")[-1].startswith("Paginated"):
            size = next(p for p in op["parameters"] if p["name"] == "page_size")
            assert size["schema"]["maximum"] == MAX_PAGE_SIZE and size["schema"]["minimum"] == 1, path
            paged.append(path)
    assert sorted(bare) == sorted(BARE_LISTS)
    assert len(paged) >= 15
    worklist = schema["paths"]["/api/recruitment/worklist/"]["get"]
    assert [p["name"] for p in worklist["parameters"]] == ["limit"]


def test_a_page_never_holds_more_than_the_maximum(users):
    Organisation.objects.bulk_create(
        Organisation(name=f"Org {i:03d}", kind="ngo", country="FRA") for i in range(MAX_PAGE_SIZE + 30)
    )
    total = Organisation.objects.count()
    c = client_for(users["administrator"])
    r = c.get("/api/organisations/", {"page_size": 100_000})
    assert r.status_code == 200
    doc = r.json()
    assert doc["count"] == total and len(doc["results"]) == MAX_PAGE_SIZE and "page=2" in doc["next"]
    rest = c.get(doc["next"]).json()
    assert len(rest["results"]) == total - MAX_PAGE_SIZE and rest["next"] is None
    seen = {o["id"] for o in doc["results"]} | {o["id"] for o in rest["results"]}
    assert len(seen) == total  # the two pages together hold every record once
    for odd in ("0", "-5", "many"):  # not a size: the default page of 50
        assert len(c.get("/api/organisations/", {"page_size": odd}).json()["results"]) == 50


def test_the_worklist_is_bounded(users):
    from vigil.server.recruitment.models import Agency

    Agency.objects.bulk_create(
        Agency(legal_name=f"Agency {i:03d}", country="NPL")
        for i in range(MAX_PAGE_SIZE + 5)
    )
    c = client_for(users["regulator"])
    assert len(c.get("/api/recruitment/worklist/").json()) == MAX_PAGE_SIZE
    assert len(c.get("/api/recruitment/worklist/", {"limit": 10_000}).json()) == MAX_PAGE_SIZE
    assert len(c.get("/api/recruitment/worklist/", {"limit": 7}).json()) == 7
