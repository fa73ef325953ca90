"""Faults (issue 14): the server process killed (SIGKILL) in the middle of a screening save and of
a referral leaves no half-written row and an audit chain that verifies, and the restarted server
does the same request; a client that retries with the same ``Idempotency-Key`` gets one
row, and a replay after that; a full SQLite database (``PRAGMA max_page_count``) is a clear 507 with
nothing lost; a 20 MB body over real HTTP is a 413 problem document.

The server runs as a subprocess (waitress, as ``vigil serve``) on its own SQLite file. The
test-only hook is in the launcher below, not in the server: a ``pre_save`` receiver of
``AuditEntry`` that, for the chosen action, writes a marker file and sleeps. By then the request's
transaction has inserted the screening (or the referral) and is about to insert its audit entry:
the test sees the marker and kills the process there.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

LAUNCHER = r'''
import json, os, pathlib, sys, time
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigil.server.settings")
import django
django.setup()
from django.core.management import call_command

if sys.argv[1] == "setup":
    import datetime as dt
    from django.conf import settings
    settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
    call_command("migrate", interactive=False, verbosity=0)
    from vigil.server.accounts.models import ApiToken, Organisation, User
    from vigil.server.cases.models import Case, Consent, Person
    from vigil.server.referrals.models import SHAREABLE, DataSharingAgreement, ServiceProvider
    a = Organisation.objects.create(name="Inspectorate A", kind="labour_inspectorate", country="FRA")
    b = Organisation.objects.create(name="NGO B", kind="ngo", country="FRA")
    user = User.objects.create(username="worker", role="caseworker", organisation=a, scope="organisation")
    person = Person.objects.create(given_name="Fault", family_name="Testperson", document_number="FLT-0001",
                                   phone="+33 6 11 22 33 44", organisation=a, created_by=user)
    case = Case.objects.create(person=person, organisation=a, owner=user)
    Consent.objects.create(case=case, purpose="referral", given=True, method="written", recorded_by=user)
    DataSharingAgreement.objects.create(discloser=a, recipient=b, fields=sorted(SHAREABLE),
                                        legal_basis="MoU (test)", signed_on=dt.date(2025, 1, 1))
    provider = ServiceProvider.objects.create(organisation=b, name="Shelter B", service_type="shelter",
                                              languages="en", capacity=5)
    print(json.dumps({"token": ApiToken.issue(user)[1], "case": case.pk, "provider": provider.pk}))
    sys.exit(0)

action = os.environ.get("FAULT_ACTION", "")
if action:
    from django.db.models.signals import pre_save
    from vigil.server.audit.models import AuditEntry
    marker = pathlib.Path(os.environ["FAULT_MARKER"])

    def hang(sender, instance, **kwargs):
        if instance.action == action and instance.object_type == os.environ["FAULT_OBJECT"]:
            from django.db import connection
            with connection.cursor() as cur:  # what this (uncommitted) transaction has written
                cur.execute(f"SELECT COUNT(*) FROM {os.environ['FAULT_TABLE']}")
                rows = cur.fetchone()[0]
            marker.write_text(json.dumps({"pid": os.getpid(), "rows": rows}))
            time.sleep(600)

    pre_save.connect(hang, sender=AuditEntry, weak=False)

from waitress import serve
from vigil.server.wsgi import application
serve(application, host="127.0.0.1", port=int(sys.argv[2]), threads=4, ident="vigil")
'''


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.launcher = tmp / "launch.py"
        self.launcher.write_text(LAUNCHER, "utf-8")
        self.db = tmp / "data" / "vigil.sqlite3"
        self.env = {
            **os.environ,
            "VIGIL_DATA_DIR": str(tmp / "data"),
            "VIGIL_SCHEDULER": "off",
            "VIGIL_API_RATE": "100000/min",
            "PYTHONPATH": os.pathsep.join(sys.path),
        }
        self.env.pop("DATABASE_URL", None)
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""
        self.headers: Any = {}

    def setup(self) -> dict[str, Any]:
        out = subprocess.run([sys.executable, str(self.launcher), "setup"], env=self.env, check=True,
                             capture_output=True, timeout=300)
        return json.loads(out.stdout.decode().strip().splitlines()[-1])

    def start(self, **fault: str) -> None:
        port = _free_port()
        env = {**self.env, **fault}
        self.proc = subprocess.Popen([sys.executable, str(self.launcher), "serve", str(port)], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/api/schema/", timeout=5)
                return
            except urllib.error.HTTPError:
                return  # it answers
            except OSError:
                time.sleep(0.3)
        raise AssertionError("the server did not start")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def call(self, method: str, path: str, token: str, body: Any = None,
             raw: bytes | None = None, key: str = "") -> tuple[int, dict[str, Any]]:
        """(status, JSON body); the answer's headers in ``self.headers``. ``key``: an Idempotency-Key."""
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
        if key:
            headers["Idempotency-Key"] = key
        req = urllib.request.Request(self.url + path, method=method, data=data, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                self.headers = r.headers
                return r.status, json.load(r)
        except urllib.error.HTTPError as e:
            self.headers = e.headers
            return e.code, json.loads(e.read() or b"{}")

    def counts(self) -> dict[str, int]:
        conn = sqlite3.connect(self.db)
        try:
            return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                    for t in ("cases_screening", "referrals_referral", "audit_auditentry", "cases_case")}
        finally:
            conn.close()

    def verify_audit(self) -> str:
        out = subprocess.run([sys.executable, "-m", "vigil.server", "verify_audit"], env=self.env,
                             capture_output=True, timeout=300)
        assert out.returncode == 0, out.stderr.decode()[-500:]
        return out.stdout.decode()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    s = Server(tmp_path)
    try:
        yield s
    finally:
        s.stop()


SCREENING = {"ruleset": "ilo-ec-2009-adult-labour", "age": 30, "answers": {"DR01": True, "DR08": True}}


def _requests(world: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any], str, str]]:
    """path, body, audit action and object type of the entry the hook stops before"""
    return {
        "screening": ("/api/screenings/", {"case": world["case"], **SCREENING}, "update", "case"),
        "referral": ("/api/referrals/", {"case": world["case"], "provider": world["provider"],
                                         "shared_fields": ["given_name"], "reason": "needs shelter"},
                     "referral", "case"),
    }


@pytest.mark.parametrize("what", ["screening", "referral"])
def test_killed_mid_save_leaves_no_half_written_row(server: Server, what: str) -> None:
    world = server.setup()
    path, body, action, object_type = _requests(world)[what]
    marker = server.tmp / "reached"
    before = server.counts()
    table = "cases_screening" if what == "screening" else "referrals_referral"
    server.start(FAULT_ACTION=action, FAULT_OBJECT=object_type, FAULT_MARKER=str(marker), FAULT_TABLE=table)
    answer: dict[str, Any] = {}

    key = f"fault-{what}-1"  # the client retries with the key of its first attempt

    def send() -> None:
        try:
            answer["status"] = server.call("POST", path, world["token"], body, key=key)[0]
        except OSError as exc:  # the connection dies with the server
            answer["error"] = type(exc).__name__

    t = threading.Thread(target=send, daemon=True)
    t.start()
    deadline = time.monotonic() + 120
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists(), "the request did not reach the hook"
    time.sleep(0.2)  # the marker is written in one call; let it land
    assert json.loads(marker.read_text())["rows"] == before[table] + 1  # the row is written, uncommitted
    server.kill()  # SIGKILL: the row is inserted, its audit entry not yet, nothing committed
    t.join(timeout=60)
    assert "status" not in answer  # the client got no answer, only a broken connection

    assert server.counts() == before  # no screening/referral row without its audit entry, or at all
    report = server.verify_audit()
    assert report.startswith("audit chain intact")

    server.start()  # the same database, no repair step: the request now goes through
    status, doc = server.call("POST", path, world["token"], body, key=key)
    assert status == 201, doc
    assert server.headers.get("Idempotent-Replayed") is None  # the killed attempt left no key: done now
    after = server.counts()
    assert after[table] == before[table] + 1 and after["audit_auditentry"] > before["audit_auditentry"]
    status, again = server.call("POST", path, world["token"], body, key=key)  # the answer lost again
    assert status == 201 and server.headers.get("Idempotent-Replayed") == "true" and again["id"] == doc["id"]
    assert server.counts()[table] == after[table]  # replayed: still exactly one row
    assert server.verify_audit().startswith("audit chain intact")


def test_a_20_mb_body_over_http_is_a_413_problem(server: Server) -> None:
    world = server.setup()
    server.start()
    huge = {"a": "x" * (20 * 1024 * 1024)}
    body = json.dumps({"case": world["case"], **SCREENING, "answers": huge}).encode()
    started = time.monotonic()
    try:
        status, doc = server.call("POST", "/api/screenings/", world["token"], raw=body)
    except (ConnectionResetError, BrokenPipeError):  # pragma: no cover - the server may close early
        pytest.fail("the server closed the connection instead of answering 413")
    assert status == 413 and doc["type"].endswith("/body-too-large") and doc["max_bytes"] == 1024 * 1024
    assert time.monotonic() - started < 60  # answered, not hung
    assert server.counts()["cases_screening"] == 0
    screening = {"case": world["case"], **SCREENING}
    status, _doc = server.call("POST", "/api/screenings/", world["token"], screening)
    assert status == 201  # and the server goes on


# --- a full disk (SQLite) --------------------------------------------------------------------


@pytest.fixture
def full_disk() -> Iterator[Any]:
    """Cap the test database at its current size (``PRAGMA max_page_count``) for this connection
    (the tests using it are transactional: VACUUM needs autocommit)."""
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("the data directory of SQLite filling up; PostgreSQL keeps its own data files")
    connection.ensure_connection()
    with connection.cursor() as cur:
        cur.execute("PRAGMA max_page_count")
        old = cur.fetchone()[0]

    def fill() -> None:
        with connection.cursor() as cur:
            cur.execute("VACUUM")  # no free pages left inside the file (earlier tests leave some)
            cur.execute("PRAGMA page_count")
            pages = cur.fetchone()[0]
            cur.execute(f"PRAGMA max_page_count = {pages}")

    def free() -> None:
        with connection.cursor() as cur:
            cur.execute(f"PRAGMA max_page_count = {old}")

    try:
        yield type("Disk", (), {"fill": staticmethod(fill), "free": staticmethod(free)})
    finally:
        free()


# transactional: the request's transaction is the outermost one, as in production (SQLite may
# roll back the whole transaction on SQLITE_FULL, which inside a test's transaction breaks it)
@pytest.mark.django_db(transaction=True)
def test_a_full_database_is_a_507_and_nothing_is_lost(users, cases, full_disk) -> None:
    from django.db import connection
    from tests.server.conftest import client_for

    from vigil.server.cases.models import Person

    if connection.vendor != "sqlite":
        pytest.skip("max_page_count is SQLite's; on PostgreSQL the same 507 answers SQLSTATE 53100")
    case = cases["a_caseworker"]
    person = case.person
    before = (person.narrative, person.version)
    c = client_for(users["caseworker"])
    big = ("Recruited with a false offer. " * 20_000).strip()  # 600 kB: new pages are needed
    full_disk.fill()
    r = c.patch(f"/api/persons/{person.pk}/", {"version": person.version, "narrative": big}, format="json")
    assert r.status_code == 507, r.content[:300]
    assert r["Content-Type"] == "application/problem+json"
    doc = r.json()
    assert doc["type"].endswith("/storage-full") and "Nothing was saved" in doc["detail"]
    person.refresh_from_db()
    assert (person.narrative, person.version) == before  # nothing lost, nothing half-written
    page = c.get(f"/api/persons/{person.pk}/")  # reading still works
    assert page.status_code == 200
    full_disk.free()
    r = c.patch(f"/api/persons/{person.pk}/", {"version": person.version, "narrative": big}, format="json")
    assert r.status_code == 200  # once space is freed, the same request succeeds
    assert Person.objects.get(pk=person.pk).narrative == big


def test_storage_full_is_recognised() -> None:
    from django.db import OperationalError

    from vigil.server.web.storage import storage_full

    class PgDiskFull(Exception):
        sqlstate = "53100"

    wrapped = OperationalError("could not extend file")
    wrapped.__cause__ = PgDiskFull("could not extend file: No space left on device")
    assert storage_full(wrapped)
    assert storage_full(OperationalError("database or disk is full"))
    assert not storage_full(OperationalError("database is locked"))


@pytest.mark.django_db(transaction=True)
def test_a_full_database_on_a_page_is_the_sites_507_page(client, users, cases, full_disk) -> None:
    from django.db import connection
    from django.urls import reverse

    from vigil.server.cases.models import Person

    if connection.vendor != "sqlite":
        pytest.skip("max_page_count is SQLite's")
    case = cases["a_caseworker"]
    person = Person.objects.get(pk=case.person_id)
    form = {name: getattr(person, name) or "" for name in Person.PROFILE_FIELDS}
    form = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in form.items()}
    form.update(narrative=("Recruited with a false offer. " * 20_000).strip(), version=person.version)
    post = {f"person-{k}": v for k, v in form.items()}  # the page's form has the prefix "person"
    client.force_login(users["caseworker"])
    full_disk.fill()
    response = client.post(reverse("cases:person-edit", args=[case.pk]), post)
    assert response.status_code == 507
    page = response.content.decode()
    assert "<h1>507</h1>" in page and "Nothing was saved" in page
    assert Person.objects.get(pk=person.pk).narrative == person.narrative
    full_disk.free()
    response = client.post(reverse("cases:person-edit", args=[case.pk]), post)
    assert response.status_code == 302  # saved, back to the case
    assert Person.objects.get(pk=person.pk).narrative == form["narrative"]
