"""Fixtures of the server tests: two organisations, one user per role in each, cases in each."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from rest_framework.test import APIClient

from vigil.server.accounts.models import DEFAULT_SCOPE, ApiToken, Organisation, Role, User
from vigil.server.cases.models import Case, Person

PASSWORD = "correct horse battery staple"
ROLES = [r.value for r in Role]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """Argon2 costs ~0.3 s per hash by design; the tests create many users. Production keeps
    Argon2 first (checked in test_server_settings.py)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from django.core.cache import cache

    cache.clear()  # throttling counters live in the cache: each test starts fresh
    # The per-user API rate (600/min by default) is tested on its own in
    # test_server_api_throttling.py; the other tests, some of which send hundreds of requests a
    # minute as one user, must not depend on it.
    settings.VIGIL_API_RATE = "1000000/min"


@pytest.fixture(autouse=True)
def _english_between_tests() -> Any:
    """A French page or request leaves French active in the thread: each test starts in English."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.activate("en")


@pytest.fixture
def orgs(db: Any) -> dict[str, Organisation]:
    return {
        "a": Organisation.objects.create(name="Inspectorate A", kind="labour_inspectorate", country="FRA"),
        "b": Organisation.objects.create(name="NGO B", kind="ngo", country="FRA"),
    }


def make_user(username: str, role: str, org: Organisation | None, scope: str | None = None) -> User:
    user = User(username=username, role=role, organisation=org, scope=scope or DEFAULT_SCOPE[role])
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def users(orgs: dict[str, Organisation]) -> dict[str, User]:
    """``users["caseworker"]`` in org A, ``users["caseworker_b"]`` in org B, for every role."""
    out: dict[str, User] = {}
    for role in ROLES:
        out[role] = make_user(role, role, orgs["a"])
        out[f"{role}_b"] = make_user(f"{role}_b", role, orgs["b"])
    out["caseworker_a2"] = make_user("caseworker_a2", "caseworker", orgs["a"])
    return out


def make_case(
    owner: User, given: str = "Amina", family: str = "Testperson", doc: str = "X1234567", **case_fields: Any
) -> Case:
    person = Person.objects.create(
        given_name=given,
        family_name=family,
        document_number=doc,
        phone=f"+33 6 {abs(hash(doc)) % 10**8:08d}",
        address=f"{doc} rue Imaginaire, Lyon",
        narrative=f"Recruited with a false job offer ({doc}).",
        organisation=owner.organisation,
        created_by=owner,
    )
    return Case.objects.create(person=person, organisation=owner.organisation, owner=owner, **case_fields)


@pytest.fixture
def cases(users: dict[str, User]) -> dict[str, Case]:
    """A case of org A owned by caseworker, one of org A owned by the inspector, one of org B."""
    return {
        "a_caseworker": make_case(users["caseworker"], "Amina", "Synthetic", "DOC-A-0001"),
        "a_inspector": make_case(users["inspector"], "Boris", "Placeholder", "DOC-A-0002"),
        "b": make_case(users["caseworker_b"], "Chen", "Fictional", "DOC-B-0001"),
    }


def client_for(user: User) -> APIClient:
    client = APIClient()
    _token, key = ApiToken.issue(user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def api() -> Any:
    return client_for


def http_call(url: str, key: str, method: str = "GET", body: dict | None = None) -> tuple[int, dict]:
    """One JSON request to a live server with a token: (status, decoded body)."""
    req = urllib.request.Request(
        url,
        method=method,
        data=json.dumps(body).encode() if body else None,
        headers={"Authorization": f"Token {key}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")
