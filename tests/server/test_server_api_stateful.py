"""Stateful API fuzzing (issue 14): schemathesis chains operations (a record created, then read,
changed, listed...) using the links it infers from ``/api/schema/`` (the ids a response holds,
matched to the path parameters of other operations). Each step, for a caseworker and a supervisor
token, must not be a server error, must match the schema, and must hold no identity value outside
the caller's scope (the same leak check as ``test_server_api_fuzz_roles.py``).

Bounded in ``make test`` (``VIGIL_API_STATEFUL_EXAMPLES`` scenarios of at most
``VIGIL_API_STATEFUL_STEPS`` steps, 4 and 6, derandomised); ``make fuzz-long`` runs 60 random
scenarios of up to 12 steps.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from tests.server.test_server_api_fuzz_roles import _forbidden, leaks
from tests.server.test_server_schema_conformance import (  # noqa: F401 (fixtures)
    CHECKS,
    world,
    wsgi_app,
)

from vigil.server.accounts.models import ApiToken

pytestmark = pytest.mark.django_db

LONG = os.environ.get("VIGIL_FUZZ_PROFILE") == "long"
EXAMPLES = int(os.environ.get("VIGIL_API_STATEFUL_EXAMPLES", "60" if LONG else "4"))
STEPS = int(os.environ.get("VIGIL_API_STATEFUL_STEPS", "12" if LONG else "6"))


def _links(machine: Any) -> list[str]:
    """The transitions of the state machine (one rule per inferred link: ``<source>__<target>``)."""
    return [n for n in vars(machine) if not n.startswith(("_", "RANDOM")) and "__" in n]


@pytest.mark.parametrize("role", ["caseworker", "supervisor"])
def test_stateful_sequences_for_a_role(wsgi_app, world, role):  # noqa: F811 (fixtures)
    user = world["users"][role]
    _token, key = ApiToken.issue(user)
    headers = {"Authorization": f"Token {key}"}
    exact, anywhere = _forbidden(user)
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app)
    machine = schema.as_state_machine()
    links = _links(machine)
    assert len(links) >= 50, links  # ids from responses feed the operations on {id}
    steps: list[tuple[str, int]] = []
    leaked: list[str] = []

    class Machine(machine):  # type: ignore[misc, valid-type]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": headers}

        def validate_response(
            self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any
        ) -> None:
            steps.append((case.operation.label, response.status_code))
            case.validate_response(response, checks=CHECKS, headers=headers)
            found = leaks(response.text, exact, anywhere)
            if found:
                now_exact, now_anywhere = _forbidden(user)  # the scope may have grown in the run
                found = leaks(response.text, now_exact, now_anywhere)
            if found:
                leaked.append(f"{case.operation.label} {response.status_code}: {len(found)} value(s)")
            assert not found, leaked[-1]

    Machine.run(
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            derandomize=not LONG,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
    )
    assert not leaked
    assert steps, "no scenario ran"
    created = [label for label, status in steps if label.startswith("POST") and status == 201]
    chained = [label for label, status in steps if "{id}" in label and status < 300]
    print(f"API-STATEFUL role={role} steps={len(steps)} 2xx={sum(s < 300 for _, s in steps)} "
          f"created={len(created)} chained_2xx={len(chained)} scenarios={EXAMPLES} max_steps={STEPS} "
          f"links={len(links)} failures=0 leaks=0")
