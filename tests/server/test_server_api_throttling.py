"""The per-user API rate (issue 14): over ``VIGIL_API_RATE`` a 429 problem document, per user."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
from tests.server.conftest import client_for

pytestmark = pytest.mark.django_db


def test_the_default_rate_is_600_a_minute() -> None:
    env = {k: v for k, v in os.environ.items() if k != "VIGIL_API_RATE"}
    out = subprocess.run(
        [sys.executable, "-c", "from vigil.server import settings; print(settings.VIGIL_API_RATE)"],
        env=env, capture_output=True, text=True, check=True,
    )
    assert out.stdout.strip() == "600/min"


@pytest.mark.parametrize("bad", ["600", "0/min", "ten/min", "600/week", "600/min; 5/s"])
def test_a_malformed_rate_is_refused_at_start_naming_the_setting(bad: str) -> None:
    env = {**os.environ, "VIGIL_API_RATE": bad}
    out = subprocess.run(
        [sys.executable, "-c", "import vigil.server.settings"], env=env, capture_output=True, text=True
    )
    assert out.returncode != 0
    assert "VIGIL_API_RATE" in out.stderr and repr(bad) in out.stderr


def test_over_the_rate_a_user_gets_a_429_problem_and_another_user_does_not(
    settings: Any, users: dict, cases: dict
) -> None:
    settings.VIGIL_API_RATE = "3/min"
    caseworker, supervisor = client_for(users["caseworker"]), client_for(users["supervisor"])
    assert [caseworker.get("/api/cases/").status_code for _ in range(3)] == [200, 200, 200]
    refused = caseworker.get("/api/cases/")
    assert refused.status_code == 429
    assert refused["Content-Type"].startswith("application/problem+json")
    body = refused.json()
    assert body["status"] == 429 and body["instance"] == "/api/cases/"
    assert 0 < body["retry_after"] <= 60 and int(refused["Retry-After"]) == body["retry_after"]
    # the limit is per user: the supervisor's first request is answered
    assert supervisor.get("/api/cases/").status_code == 200


def test_a_changed_rate_is_obeyed_at_once(settings: Any, users: dict, cases: dict) -> None:
    settings.VIGIL_API_RATE = "2/min"
    client = client_for(users["caseworker"])
    assert [client.get("/api/cases/").status_code for _ in range(3)] == [200, 200, 429]
    settings.VIGIL_API_RATE = "100/min"
    assert client.get("/api/cases/").status_code == 200
