"""``vigil serve``: migrates, loads the demo, prints URL and logins, answers HTTP; demo refused in
production."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from vigil.server.accounts.models import User
from vigil.server.cases.demo import DEMO_CASES, DEMO_PASSWORD, load_demo
from vigil.server.cases.models import Case, Person

VIGIL = str(Path(sys.executable).parent / "vigil")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_") and k != "DATABASE_URL"}
    env.update(extra)
    return env


def test_serve_demo_end_to_end(tmp_path):
    port = _free_port()
    proc = subprocess.Popen(
        [VIGIL, "serve", "--demo", "--port", str(port)],
        env=_env(VIGIL_DATA_DIR=str(tmp_path)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2) as r:
                    assert r.status == 200
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(proc.stdout.read() if proc.stdout else "no output") from None
                time.sleep(0.3)
        req = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/auth/token/",
            method="POST",
            data=json.dumps({"username": "supervisor", "password": DEMO_PASSWORD}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=5) as r:
            token = json.load(r)["token"]
        req = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/cases/", headers={"Authorization": f"Token {token}"}
        )
        with urllib.request.urlopen(req, timeout=5) as r:
            assert json.load(r)["count"] > 0
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        out, _ = proc.communicate(timeout=20)
    assert f"http://localhost:{port}/" in out
    for name in ("admin", "supervisor", "caseworker", "inspector", "shelter", "analyst"):
        assert f"  {name} " in out
    assert "vigil-demo" in out and "INSECURE" in out
    assert (tmp_path / "vigil.sqlite3").exists()


@pytest.mark.skipif(sys.platform == "win32", reason="gunicorn needs fork")
def test_serve_with_several_worker_processes(tmp_path):
    port = _free_port()
    proc = subprocess.Popen(
        [VIGIL, "serve", "--demo", "--port", str(port), "--workers", "2", "--threads", "2"],
        env=_env(VIGIL_DATA_DIR=str(tmp_path)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2) as r:
                    assert r.status == 200
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(proc.stdout.read() if proc.stdout else "no output") from None
                time.sleep(0.3)
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        assert len(children) == 2  # two worker processes under the master
        req = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/auth/token/",
            method="POST",
            data=json.dumps({"username": "caseworker", "password": DEMO_PASSWORD}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=5) as r:
            token = json.load(r)["token"]
        for _ in range(6):  # spread over both workers
            req = urllib.request.Request(
                f"http://127.0.0.1:{port}/api/cases/", headers={"Authorization": f"Token {token}"}
            )
            with urllib.request.urlopen(req, timeout=5) as r:
                assert json.load(r)["count"] > 0
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    assert "Booting worker" in out and "Traceback" not in out


def test_serve_demo_refused_in_production(tmp_path):
    key = "k1:" + "A" * 43
    r = subprocess.run(
        [VIGIL, "serve", "--demo"],
        env=_env(
            VIGIL_ENV="production",
            VIGIL_SECRET_KEY=secrets.token_urlsafe(60),
            VIGIL_ALLOWED_HOSTS="x.example",
            VIGIL_FIELD_KEYS=key,
            VIGIL_INDEX_KEY="B" * 43,
            VIGIL_DATA_DIR=str(tmp_path),
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2
    assert "refused when VIGIL_ENV=production" in r.stderr
    assert not (tmp_path / "vigil.sqlite3").exists()


@pytest.mark.django_db
def test_load_demo_is_synthetic_and_idempotent():
    first = load_demo()
    assert first["cases"] == DEMO_CASES and load_demo()["cases"] == 0
    # and the case of the worker the inspections demo referred to the shelter
    assert Case.objects.count() == DEMO_CASES + 1
    assert set(User.objects.values_list("username", flat=True)) >= {
        "inspection_lead",
        "admin",
        "supervisor",
        "caseworker",
        "inspector",
        "shelter",
        "analyst",
        "regulator",
    }
    assert User.objects.get(username="shelter").role == "referral_receiver"
    assert User.objects.get(username="regulator").role == "regulator"
    from vigil.server.recruitment.models import Agency

    assert Agency.objects.count() == 12
    # Something on each protection page, made through the services (so audited) and only once.
    from vigil.server.breaches.models import BreachIncident
    from vigil.server.disclosures.models import SubjectRequest
    from vigil.server.emergency.models import EmergencyAccess
    from vigil.server.emergency.services import alerts_for

    assert (
        EmergencyAccess.objects.count() == 1
        and alerts_for(User.objects.get(username="inspector")).count() == 1
    )
    assert list(BreachIncident.objects.values_list("status", flat=True)) == ["assessing"]
    assert SubjectRequest.objects.get().kind == "access"
    assert User.objects.get(username="admin").is_staff
    assert all(p.given_name == "Demo" and p.family_name.startswith("Person-") for p in Person.objects.all())
    assert User.objects.get(username="caseworker").check_password(DEMO_PASSWORD)
    from vigil.server.referrals.models import Referral

    shelter = User.objects.get(username="shelter")
    assert Referral.objects.filter(provider__organisation=shelter.organisation).count() >= 1
