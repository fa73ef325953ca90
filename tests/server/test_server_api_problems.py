"""What the API refuses is a problem document, and the schema says so (issue 15, item 6): a body
over the limit is a 413 (not Django's HTML 400), a NUL in a query parameter is a 400 (PostgreSQL
refuses NUL in text), and every operation of the schema lists its problem answers. The full check
of every answer against the schema is ``test_server_schema_conformance.py``."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient
from tests.server.conftest import client_for

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
TWENTY_MB = 20 * 1024 * 1024


def test_the_body_limit_is_set():
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 1024 * 1024


def test_a_20_mb_body_is_a_413_problem_document(users, cases):
    body = json.dumps({"case": cases["a_inspector"].pk, "answers": {"a": "x" * TWENTY_MB}})
    c = client_for(users["inspector"])
    for method, url in (
        ("post", "/api/screenings/"),
        ("patch", f"/api/cases/{cases['a_inspector'].pk}/"),
        ("post", "/api/persons/search/"),
    ):
        r = getattr(c, method)(url, body, content_type="application/json")
        assert r.status_code == 413, (url, r.status_code)
        assert r["Content-Type"] == PROBLEM
        doc = r.json()
        assert doc["status"] == 413 and doc["max_bytes"] == settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        assert "x" * 100 not in r.content.decode()
    r = APIClient().post("/api/auth/token/", body, content_type="application/json")
    assert r.status_code == 413 and r["Content-Type"] == PROBLEM


def test_a_body_within_the_limit_is_read(users, cases):
    c = client_for(users["inspector"])
    body = {"document_number": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 2)}
    r = c.post("/api/persons/search/", body, format="json")
    assert r.status_code == 200 and r.json() == []  # read and searched: no such person


def test_a_page_form_over_the_limit_is_refused_without_a_500(users, cases, client):
    client.force_login(users["caseworker"])
    r = client.post(f"/cases/{cases['a_caseworker'].pk}/referrals/", {"reason": "x" * TWENTY_MB})
    assert r.status_code == 413 and b"<h1>413</h1>" in r.content  # the site's page, not Django's


def test_a_nul_in_a_query_parameter_is_a_400_naming_it(users, cases):
    c = client_for(users["supervisor"])
    for url, name in (("/api/cases/", "status"), ("/api/audit/", "actor"), ("/api/referrals/", "status")):
        r = c.get(url, {name: "open\x00"})
        assert r.status_code == 400 and r["Content-Type"] == PROBLEM
        assert [e["field"] for e in r.json()["errors"]] == [name]


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def test_every_operation_lists_its_problem_answers(schema):
    problem = schema["components"]["schemas"]["ProblemDetails"]
    assert set(problem["required"]) == {"type", "title", "status"}
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            codes = {int(c) for c in op["responses"]}
            assert 401 in codes, (method, path)
            if "{" in path:
                assert 404 in codes, (method, path)
            if method in {"post", "put", "patch", "delete"}:
                assert 413 in codes, (method, path)
            if "requestBody" in op:
                assert {400, 415} <= codes, (method, path)
            for code, response in op["responses"].items():
                if int(code) >= 400:
                    assert list(response["content"]) == [PROBLEM], (method, path, code)
    assert 429 in {int(c) for c in schema["paths"]["/api/auth/token/"]["post"]["responses"]}
    assert 409 in {int(c) for c in schema["paths"]["/api/cases/{id}/"]["patch"]["responses"]}


def test_the_schema_says_what_the_answers_hold(schema):
    components = schema["components"]["schemas"]
    # A consent not withdrawn has withdrawn_by null; a grant not ended has ending "".
    assert components["Consent"]["properties"]["withdrawn_by"]["nullable"] is True
    assert components["EmergencyAccess"]["properties"]["ended_by"]["nullable"] is True
    ending = components["EmergencyAccess"]["properties"]["ending"]["oneOf"]
    assert {"$ref": "#/components/schemas/BlankEnum"} in ending
    assert components["BlankEnum"]["enum"] == [""]
    # Reverse relations are lists, never null.
    assert "nullable" not in components["BreachIncident"]["properties"]["notifications"]
    # Custom actions answering many records answer a bare list, not a page.
    for path, method in (("/api/breaches/{id}/notifications/", "get"), ("/api/persons/search/", "post")):
        op = schema["paths"][path][method]
        body = op["responses"]["200"]["content"]["application/json"]["schema"]
        assert body["type"] == "array", path
        assert not {p["name"] for p in op.get("parameters", [])} & {"page", "page_size"}
    assert "PaginatedNotificationList" not in components
