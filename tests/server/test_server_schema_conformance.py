"""The OpenAPI schema tells the truth (issue 15, item 6): schemathesis generates requests for EVERY
operation of ``/api/schema/`` and checks each answer against it: no 5xx, the status code is
documented, the content type is the documented one, and the body matches the documented schema.

The server runs in process (``vigil.server.wsgi``) on the test database, with the demo world
(``load_demo``) plus records whose optional fields are filled in (a withdrawn consent, an ended
emergency access, a breach notification, a completed follow-up), and a supervisor's token. Each
operation with an id in its path runs twice: with generated ids (mostly 404) and with the id of a
real record. Bounded for a few minutes on two cores: few examples per operation, no deadline, no
shrinking."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from vigil.server.accounts.models import ApiToken, User

pytestmark = pytest.mark.django_db

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 6


@pytest.fixture
def wsgi_app() -> Iterator[Any]:
    """Django's WSGI handler, on the test transaction: as Django's own test client does, requests
    must not close the connection that holds the test's transaction."""
    from vigil.server.wsgi import application

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield application
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def world(settings: Any) -> dict[str, Any]:
    from vigil.server.breaches import services as breaches
    from vigil.server.breaches.models import BreachIncident
    from vigil.server.cases.demo import load_demo
    from vigil.server.cases.models import Case, Consent
    from vigil.server.emergency import services as emergency
    from vigil.server.followups.models import FollowUp

    load_demo()
    users = {u.username: u for u in User.objects.all()}
    case = Case.objects.filter(organisation=users["supervisor"].organisation).order_by("id").first()
    consent = Consent.objects.filter(case=case).first() or Consent.objects.create(
        case=case, purpose="referral", given=True, method="verbal", recorded_by=users["inspector"]
    )
    consent.withdrawn_on = timezone.localdate()
    consent.withdrawn_by = users["supervisor"]
    consent.save()
    other = Case.objects.exclude(organisation=users["caseworker"].organisation).order_by("-id").first()
    reason = "Second night call: checking the safety plan."
    grant = emergency.grant(users["caseworker"], other.reference, reason, via="cli")
    emergency.end(grant, users["caseworker"], "Done, the shelter confirmed.", via="cli")
    incident = BreachIncident.objects.order_by("id").first()
    breaches.add_notification(
        users["admin"],
        incident,
        {"recipient": "authority", "method": "portal", "note": "Notified within 72 hours."},
        via="cli",
    )
    FollowUp.objects.create(
        case=case,
        kind=FollowUp.Kind.CHECK_IN,
        due_on=timezone.localdate() + timedelta(days=3),
        created_by=users["supervisor"],
    )
    return {"users": users, "case": case, "incident": incident}


def _real_ids(world: dict[str, Any]) -> dict[str, int]:
    """The id of one visible record per path prefix."""
    from vigil.server.cases.models import Consent, MigrationStage, Screening
    from vigil.server.disclosures.models import SubjectRequest
    from vigil.server.emergency.models import EmergencyAccess
    from vigil.server.followups.models import FollowUp
    from vigil.server.national.models import Alert
    from vigil.server.referrals.models import DataSharingAgreement, Referral, ServiceProvider

    case = world["case"]
    supervisor = world["users"]["supervisor"]

    def first(qs: Any) -> int:
        obj = qs.order_by("id").first()
        return obj.pk if obj is not None else 1

    return {
        "cases": case.pk,
        "persons": case.person_id,
        "stages": first(MigrationStage.objects.filter(case__organisation=case.organisation)),
        "consents": first(Consent.objects.filter(case=case)),
        "screenings": first(Screening.objects.filter(case__organisation=case.organisation)),
        "followups": first(FollowUp.objects.filter(case=case)),
        "referrals": first(Referral.objects.filter(case__organisation=case.organisation)),
        "providers": first(ServiceProvider.objects.all()),
        "agreements": first(DataSharingAgreement.objects.all()),
        "breaches": world["incident"].pk,
        "emergency-access": first(EmergencyAccess.objects.all()),
        "subject-requests": first(SubjectRequest.objects.all()),
        "organisations": supervisor.organisation_id,
        "audit": 1,
        "access-review": supervisor.pk,
        "accounts": world["users"]["caseworker"].pk,
        "recruitment": 1,
        "inspections": 1,
        "supply": 1,
        "national": first(Alert.objects.all()),
        "fieldwork": 1,
    }


def test_every_operation_answers_as_its_schema_says(wsgi_app, world):
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app)
    _token, key = ApiToken.issue(world["users"]["supervisor"])
    headers = {"Authorization": f"Token {key}"}
    ids = _real_ids(world)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 60
    failures: list[str] = []
    statuses: dict[str, set[int]] = {}
    for operation in operations:
        runs: list[dict[str, Any]] = [{}]
        if "{id}" in operation.path:
            prefix = operation.path.removeprefix("/api/").split("/")[0]
            runs.append({"path_parameters": {"id": ids[prefix]}})
        for fixed in runs:

            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                derandomize=True,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(**fixed))
            def run(case: Any) -> None:
                response = case.call_and_validate(headers=headers, checks=CHECKS)
                statuses.setdefault(case.operation.label, set()).add(response.status_code)

            try:
                run()
            except BaseException as exc:  # a FailureGroup is a BaseExceptionGroup
                if isinstance(exc, KeyboardInterrupt | SystemExit):
                    raise
                failures.append(f"{operation.label} {fixed}: {exc}"[:1500])
    assert not failures, f"{len(failures)} operations disagree with the schema:\n\n" + "\n\n".join(failures)
    # The run proves something only if real records were answered, not only refusals.
    succeeded = sorted(label for label, codes in statuses.items() if any(200 <= c < 300 for c in codes))
    # Edits (PATCH) need the version the client read, which generated bodies rarely hold: they
    # mostly answer a (documented) 400 or 409; the other operations reach their 2xx answers.
    assert len(succeeded) >= 36, succeeded
