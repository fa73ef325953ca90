"""API fuzzing per role (issue 14): schemathesis generates requests for every operation of
``/api/schema/`` with the token of every role (and with none), and each answer must

- not be a server error, and match the schema (status code, content type, body), and
- return no identity value to a role that may not see it: the decrypted values of every person
  (the encrypted identity fields of ``cases.Person``: names, document number, phone, address,
  narrative) outside the caller's scope (``scoping.persons_for``; for a referral receiver, what
  its referrals share), and the encrypted fields of recruitment complaints to anyone but a
  regulator, must appear in no answer: as a JSON string, or (document numbers and phones) anywhere
  in the body.

Bounded in ``make test`` (``VIGIL_API_FUZZ_EXAMPLES``, 3 per operation and role, derandomised);
``make fuzz-long`` runs many more examples with random seeds. The demo world and the ids of real
records come from the conformance test (``test_server_schema_conformance.py``), which checks the
same contract for the supervisor with more examples.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from tests.server.test_server_schema_conformance import (  # noqa: F401 (fixtures)
    CHECKS,
    _real_ids,
    world,
    wsgi_app,
)

from vigil.server import scoping
from vigil.server.accounts.models import ApiToken, Role, User

pytestmark = pytest.mark.django_db

LONG = os.environ.get("VIGIL_FUZZ_PROFILE") == "long"
EXAMPLES = int(os.environ.get("VIGIL_API_FUZZ_EXAMPLES", "60" if LONG else "3"))
PERSON_FIELDS = ("given_name", "family_name", "document_number", "phone", "address", "narrative")
COMPLAINT_FIELDS = ("agency_name_given", "description", "contact")
ANYWHERE = ("document_number", "phone")  # long, unique values: searched in the whole body
CALLERS = [r.value for r in Role] + ["none"]


def _person_values(persons: Any) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {f: set() for f in PERSON_FIELDS}
    for p in persons:
        for f in PERSON_FIELDS:
            value = (getattr(p, f) or "").strip()
            if len(value) >= 3:
                out[f].add(value)
    return out


def _forbidden(user: User | None) -> tuple[set[str], set[str]]:
    """(values no JSON string may equal, values the body may not contain) for ``user``."""
    from vigil.server.cases.models import Person
    from vigil.server.recruitment.models import Agency, Complaint

    everyone = _person_values(Person.objects.all())
    allowed: dict[str, set[str]] = {f: set() for f in PERSON_FIELDS}
    complaints_allowed: set[int] = set()
    if user is not None:
        allowed = _person_values(scoping.persons_for(user))
        for referral in scoping.received_referrals_for(user):
            for name, value in referral.shared_data().items():
                if name in allowed and isinstance(value, str):
                    allowed[name].add(value.strip())
        complaints_allowed = set(scoping.complaints_for(user).values_list("pk", flat=True))
        # the workers an inspection team interviewed (a referred worker is also a case's person)
        for interview in scoping.interviews_for(user):
            for value in (interview.worker_name, interview.worker_contact):
                if value and value.strip():
                    allowed["given_name"].add(value.strip())
    allowed_any = set().union(*allowed.values())
    exact: set[str] = set()
    anywhere: set[str] = set()
    for f in PERSON_FIELDS:
        for value in everyone[f] - allowed_any:  # a value also held by a visible person is seen
            exact.add(value)
            if f in ANYWHERE and len(value) >= 6:
                anywhere.add(value)
    # an agency name a complainant typed that is the registry's own (public) name reveals nothing
    registry = {name.strip() for name in Agency.objects.values_list("legal_name", flat=True)}
    for complaint in Complaint.objects.exclude(pk__in=complaints_allowed):
        for f in COMPLAINT_FIELDS:
            value = (getattr(complaint, f) or "").strip()
            if len(value) >= 6 and value not in registry:
                exact.add(value)
    return exact - allowed_any, anywhere - allowed_any


def _strings(doc: Any) -> list[str]:
    if isinstance(doc, str):
        return [doc.strip()]
    if isinstance(doc, dict):
        return [s for v in doc.values() for s in _strings(v)]
    if isinstance(doc, list):
        return [s for v in doc for s in _strings(v)]
    return []


def leaks(text: str, exact: set[str], anywhere: set[str]) -> list[str]:
    try:
        doc = json.loads(text) if text else None
    except ValueError:
        doc = text
    found = sorted({s for s in _strings(doc) if s in exact})
    found += sorted(v for v in anywhere if v in text)
    return found


def _caller(role: str, world: dict[str, Any]) -> User | None:  # noqa: F811 (not the fixture)
    if role == "none":
        return None
    users = [u for u in world["users"].values() if u.role == role]
    if users:
        return sorted(users, key=lambda u: u.pk)[0]
    from tests.server.conftest import make_user

    org = world["users"]["supervisor"].organisation
    return make_user(f"fuzz-{role}", role, org)


def test_the_leak_check_finds_a_leak():
    exact, anywhere = {"Amina", "Rue des Lilas 4"}, {"X12345678"}
    assert leaks('{"results": [{"given_name": "Amina"}]}', exact, anywhere) == ["Amina"]
    assert leaks('{"note": "see X12345678"}', exact, anywhere) == ["X12345678"]
    assert leaks('{"note": "Aminata"}', exact, anywhere) == []


@pytest.mark.parametrize("role", CALLERS)
def test_every_operation_for_every_role(wsgi_app, world, role):  # noqa: F811 (fixtures)
    user = _caller(role, world)
    headers = {}
    if user is not None:
        _token, key = ApiToken.issue(user)
        headers = {"Authorization": f"Token {key}"}
    exact, anywhere = _forbidden(user)
    if role in ("analyst", "administrator", "regulator", "none"):
        assert len(exact) >= 40  # the demo's people are all out of reach: the check has teeth
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app)
    ids = _real_ids(world)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 60
    failures: list[str] = []
    leaked: list[str] = []
    answered = {"2xx": 0, "4xx": 0, "all": 0}
    for operation in operations:
        runs: list[dict[str, Any]] = [{}]
        if "{id}" in operation.path:
            prefix = operation.path.removeprefix("/api/").split("/")[0]
            runs.append({"path_parameters": {"id": ids[prefix]}})
        for fixed in runs:

            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                derandomize=not LONG,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(**fixed))
            def run(case: Any) -> None:
                response = case.call_and_validate(headers=headers, checks=CHECKS)
                answered["all"] += 1
                answered["2xx" if response.status_code < 300 else "4xx"] += 1
                found = leaks(response.text, exact, anywhere)
                if found:
                    # the scope may have grown during the run (a referral accepted...): look again
                    now_exact, now_anywhere = _forbidden(user)
                    found = leaks(response.text, now_exact, now_anywhere)
                if found:
                    leaked.append(f"{case.operation.label} {response.status_code}: {len(found)} value(s)")

            try:
                run()
            except BaseException as exc:  # a FailureGroup is a BaseExceptionGroup
                if isinstance(exc, KeyboardInterrupt | SystemExit):
                    raise
                failures.append(f"{operation.label} {fixed}: {exc}"[:1500])
    assert not failures, f"{role}: {len(failures)} operations disagree:\n\n" + "\n\n".join(failures)
    assert not leaked, f"{role}: identity values in answers:\n" + "\n".join(leaked)
    assert answered["all"] >= len(operations)
    print(f"API-FUZZ role={role} operations={len(operations)} requests={answered['all']} "
          f"2xx={answered['2xx']} refused={answered['4xx']} examples={EXAMPLES} leaks=0 failures=0")


def test_the_leak_check_sees_a_real_answer(world):  # noqa: F811 (the fixture)
    """A person's record as the supervisor reads it is a leak for the analyst: the values the
    check searches for are the ones the API answers."""
    from tests.server.conftest import client_for

    supervisor = world["users"]["supervisor"]
    person = scoping.persons_for(supervisor).order_by("id").first()
    text = client_for(supervisor).get(f"/api/persons/{person.pk}/").content.decode()
    exact, anywhere = _forbidden(world["users"]["analyst"])
    found = leaks(text, exact, anywhere)
    assert person.given_name in found and person.document_number in found
    exact, anywhere = _forbidden(supervisor)
    assert leaks(text, exact, anywhere) == []
