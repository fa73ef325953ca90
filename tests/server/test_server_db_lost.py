"""PostgreSQL lost under load (issue 14, faults): while requests run, the server's connections to
PostgreSQL are cut and new ones refused (a loopback TCP proxy between the server and PostgreSQL
goes down), then the server's backends are killed with ``pg_terminate_backend``. Every request
that fails is a 503 (a problem document under ``/api/``, the site's short page otherwise), never a
500 or a traceback; the requests sent after PostgreSQL is back succeed, with the same server
process (no restart), and the audit chain verifies. Each screening save carries an
``Idempotency-Key`` and, when it is not answered 201 (a 503, whose write may nevertheless have
committed if the connection was lost during its COMMIT), is sent again with the same key until it
is: every key ends with exactly one screening stored, none twice.

PostgreSQL only (the CI's PostgreSQL phase, ``DATABASE_URL=postgresql://...``): the test makes a
database of its own beside the one of ``DATABASE_URL`` (``<name>_dblost``) and drops it after.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

DATABASE_URL = os.environ.get("DATABASE_URL", "")
POSTGRES = DATABASE_URL.startswith(("postgres://", "postgresql://"))

LAUNCHER = r'''
import json, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigil.server.settings")
import django
django.setup()

if sys.argv[1] == "setup":
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
    call_command("migrate", interactive=False, verbosity=0)
    from vigil.server.accounts.models import ApiToken, Organisation, User
    from vigil.server.cases.models import Case, Person
    a = Organisation.objects.create(name="Inspectorate A", kind="labour_inspectorate", country="FRA")
    user = User.objects.create(username="worker", role="caseworker", organisation=a, scope="organisation")
    person = Person.objects.create(given_name="Lost", family_name="Connection", organisation=a,
                                   created_by=user)
    case = Case.objects.create(person=person, organisation=a, owner=user)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    print(json.dumps({"token": ApiToken.issue(user)[1], "case": case.pk,
                      "cookie": settings.SESSION_COOKIE_NAME, "session": session.session_key}))
    sys.exit(0)

from waitress import serve
from vigil.server.wsgi import application
serve(application, host="127.0.0.1", port=int(sys.argv[2]), threads=4, ident="vigil")
'''


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Proxy:
    """A loopback TCP proxy to PostgreSQL that can be cut: ``cut()`` closes every open connection
    and refuses new ones (accepted, then closed at once) until ``restore()``."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.down = False
        self.open: set[socket.socket] = set()
        self.lock = threading.Lock()
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _addr = self.listener.accept()
            except OSError:
                return
            if self.down:
                client.close()
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=10)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self.lock:
                self.open.update((client, server))
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                self._close(s)

    def _close(self, s: socket.socket) -> None:
        with self.lock:
            self.open.discard(s)
        with contextlib.suppress(OSError):
            s.shutdown(socket.SHUT_RDWR)
        s.close()

    def cut(self) -> None:
        self.down = True
        with self.lock:
            sockets = list(self.open)
        for s in sockets:
            self._close(s)

    def restore(self) -> None:
        self.down = False

    def close(self) -> None:
        self.closed = True
        self.cut()
        self.listener.close()


def _with_db(url: str, name: str, *, host: str | None = None, port: int | None = None) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc
    if host is not None:
        userinfo = netloc.rsplit("@", 1)[0] + "@" if "@" in netloc else ""
        netloc = f"{userinfo}{host}:{port}"
    return urlunsplit((parts.scheme, netloc, "/" + name, parts.query, parts.fragment))


@dataclass
class Answer:
    kind: str  # api-read, api-write, page
    started: float
    ended: float
    status: int
    content_type: str
    body: bytes
    key: str = ""  # the Idempotency-Key of a screening save
    replayed: bool = False


@pytest.fixture
def pg_world(tmp_path: Path) -> Iterator[dict[str, Any]]:
    import psycopg

    base = urlsplit(DATABASE_URL)
    name = (base.path.lstrip("/") or "postgres") + "_dblost"
    admin_url = _with_db(DATABASE_URL, "postgres")

    def drop() -> None:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')

    drop()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    launcher = tmp_path / "launch.py"
    launcher.write_text(LAUNCHER, "utf-8")
    env = {
        **os.environ,
        "VIGIL_DATA_DIR": str(tmp_path / "data"),
        "VIGIL_SCHEDULER": "off",
        "VIGIL_API_RATE": "1000000/min",
        "PYTHONPATH": os.pathsep.join(sys.path),
        "DATABASE_URL": _with_db(DATABASE_URL, name),
    }
    out = subprocess.run([sys.executable, str(launcher), "setup"], env=env, check=True, capture_output=True,
                         timeout=600)
    world = json.loads(out.stdout.decode().strip().splitlines()[-1])
    proxy = Proxy((base.hostname or "127.0.0.1", base.port or 5432))
    port = _free_port()
    serve_env = {**env, "DATABASE_URL": _with_db(DATABASE_URL, name, host="127.0.0.1", port=proxy.port)}
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen([sys.executable, str(launcher), "serve", str(port)], env=serve_env,
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(url + "/api/schema/", timeout=5)
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise AssertionError("the server did not start") from None
                time.sleep(0.3)
        yield {**world, "url": url, "proc": proc, "proxy": proxy, "db": name, "admin_url": admin_url,
               "env": env, "log": tmp_path / "server.log"}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        proxy.close()
        drop()


SCREENING = {"ruleset": "ilo-ec-2009-adult-labour", "age": 30, "answers": {"DR01": True, "DR08": True}}


class Load:
    """Four client threads sending, in turn, a case read (API), a screening save (API) and the case
    list page, until stopped; every answer recorded with when it was sent and received. A screening
    save not answered 201 is sent again, with the same ``Idempotency-Key``, at the thread's next
    save; ``settle`` sends the ones still unanswered once the load stops."""

    def __init__(self, world: dict[str, Any]) -> None:
        self.world = world
        self.answers: list[Answer] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(4)]
        self.keys: set[str] = set()  # every key sent
        self.saved: set[str] = set()  # the keys answered 201
        self.pending: dict[int, str] = {}  # per thread, the key of a save to send again

    def _request(self, kind: str, key: str = "") -> urllib.request.Request:
        w = self.world
        headers = {"Authorization": f"Token {w['token']}", "Content-Type": "application/json"}
        if kind == "api-read":
            return urllib.request.Request(f"{w['url']}/api/cases/{w['case']}/", headers=headers)
        if kind == "api-write":
            body = json.dumps({"case": w["case"], **SCREENING}).encode()
            return urllib.request.Request(f"{w['url']}/api/screenings/", data=body,
                                          headers={**headers, "Idempotency-Key": key or uuid.uuid4().hex},
                                          method="POST")
        cookie = f"{w['cookie']}={w['session']}"
        return urllib.request.Request(f"{w['url']}/cases/", headers={"Cookie": cookie})

    def send(self, kind: str, thread: int) -> Answer:
        key = ""
        if kind == "api-write":
            key = self.pending.get(thread) or uuid.uuid4().hex
            with self.lock:
                self.keys.add(key)
        started = time.monotonic()
        try:
            with urllib.request.urlopen(self._request(kind, key), timeout=60) as r:
                status, headers, body = r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            status, headers, body = e.code, e.headers, e.read()
        answer = Answer(kind, started, time.monotonic(), status, headers.get("Content-Type", ""), body, key,
                        headers.get("Idempotent-Replayed") == "true")
        with self.lock:
            self.answers.append(answer)
            if key and status == 201:
                self.saved.add(key)
                self.pending.pop(thread, None)
            elif key:
                self.pending[thread] = key
        return answer

    def _run(self, i: int) -> None:
        kinds = ("api-read", "api-write", "page")
        n = i
        while not self.stopping.is_set():
            self.send(kinds[n % 3], i)
            n += 1
            time.sleep(0.02)

    def settle(self, limit: float = 90.0) -> None:
        """Send each save not yet answered 201 again (same key) until it is, at most ``limit`` s."""
        deadline = time.monotonic() + limit
        while self.pending and time.monotonic() < deadline:
            for thread in list(self.pending):
                if self.send("api-write", thread).status != 201:
                    time.sleep(0.5)

    def __enter__(self) -> Load:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        for t in self.threads:
            t.join(timeout=90)

    def between(self, start: float, end: float) -> list[Answer]:
        """The answers to requests sent and answered within [start, end]."""
        with self.lock:
            return [a for a in self.answers if a.started >= start and a.ended <= end]


def _ok(a: Answer) -> bool:
    return a.status == (201 if a.kind == "api-write" else 200)


def _assert_clean_503(a: Answer) -> None:
    assert a.status == 503, (a.kind, a.status, a.body[:300])
    if a.kind == "page":
        assert a.content_type.startswith("text/html")
        page = a.body.decode()
        assert "<h1>503" in page and "database cannot be reached" in page and "Traceback" not in page
    else:
        assert a.content_type == "application/problem+json"
        doc = json.loads(a.body)
        assert doc["type"].endswith("/database-unavailable") and doc["status"] == 503
        assert doc["retry_after"] > 0 and "database cannot be reached" in doc["detail"]


def _assert_clean_refusal(a: Answer) -> None:
    """A clean 503, or for a save sent again while its first attempt still ran on the server
    (PostgreSQL had not yet ended the transaction of a cut connection), the 409 of its key."""
    if a.kind == "api-write" and a.status == 409:
        assert a.content_type == "application/problem+json"
        assert json.loads(a.body)["type"].endswith("/idempotency-key-in-flight")
        return
    _assert_clean_503(a)


def _screenings(world: dict[str, Any]) -> int:
    import psycopg

    with psycopg.connect(_with_db(world["admin_url"], world["db"])) as conn:
        row = conn.execute("SELECT COUNT(*) FROM cases_screening").fetchone()
        assert row is not None
        return int(row[0])


def _terminate_server_backends(world: dict[str, Any]) -> int:
    import psycopg

    with psycopg.connect(world["admin_url"], autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            (world["db"],),
        ).fetchall()
    return len(rows)


def _phase(load: Load, since: float, answers: int, seconds: float = 3.0, limit: float = 90.0) -> None:
    """Let a phase last ``seconds`` and until ``answers`` requests sent in it were answered (the
    machine may be busy), at most ``limit`` seconds."""
    began = time.monotonic()
    time.sleep(seconds)
    while len(load.between(since, time.monotonic())) < answers and time.monotonic() - began < limit:
        time.sleep(0.2)


@pytest.mark.skipif(not POSTGRES, reason="PostgreSQL lost under load: the PostgreSQL suite runs it")
def test_postgresql_lost_under_load_is_503_then_recovers_without_restart(pg_world: dict[str, Any]) -> None:
    proxy: Proxy = pg_world["proxy"]
    proc: subprocess.Popen[bytes] = pg_world["proc"]
    pid = proc.pid
    warm = Load(pg_world)  # one request of each kind first: the first page render is slow
    for kind in ("api-read", "api-write", "page"):
        with urllib.request.urlopen(warm._request(kind), timeout=120) as r:
            assert r.status in (200, 201)
    with Load(pg_world) as load:
        t0 = time.monotonic()
        _phase(load, t0, 10)
        t_cut = time.monotonic()
        proxy.cut()  # every connection to PostgreSQL closed, new ones refused
        _phase(load, t_cut + 0.05, 6)
        t_restore = time.monotonic()
        proxy.restore()
        _phase(load, t_restore + 0.05, 10)
        t_kill = time.monotonic()
        killed = 0
        for _ in range(5):  # the server's backends killed again and again while requests run
            killed += _terminate_server_backends(pg_world)
            time.sleep(0.6)
        t_killed = time.monotonic()
        _phase(load, t_killed + 0.05, 10)
        t_end = time.monotonic()
    answers = load.answers

    before = load.between(t0, t_cut)
    assert len(before) >= 10 and all(_ok(a) for a in before), [
        (a.kind, a.status) for a in before if not _ok(a)
    ]

    down = load.between(t_cut + 0.05, t_restore)
    assert len(down) >= 3, "no request was answered while PostgreSQL was away"
    for a in down:
        _assert_clean_503(a)
    assert {a.kind for a in down} == {"api-read", "api-write", "page"}

    for a in answers:  # whenever it was sent: success or a clean 503, never a 500
        if not _ok(a):
            _assert_clean_refusal(a)

    after = load.between(t_restore + 0.05, t_kill)
    assert len(after) >= 10 and all(_ok(a) for a in after), [(a.kind, a.status) for a in after if not _ok(a)]

    assert killed >= 1  # the server had connections to lose
    after_kill = load.between(t_killed + 0.05, t_end)
    assert len(after_kill) >= 10 and all(_ok(a) for a in after_kill), [
        (a.kind, a.status) for a in after_kill if not _ok(a)
    ]

    assert proc.poll() is None and proc.pid == pid  # the same server process throughout
    load.settle()  # the saves still unanswered when the load stopped, sent again with their key
    writes = [a for a in load.answers if a.kind == "api-write"]
    for a in writes:
        if a.status != 201:
            _assert_clean_refusal(a)
    assert load.pending == {} and load.saved == load.keys  # every save was answered 201 in the end
    retried = {a.key for a in writes if a.status == 503}
    assert retried, "no screening save was refused while PostgreSQL was away"
    replayed = [a for a in writes if a.replayed]
    assert all(a.status == 201 for a in replayed)
    for key in load.keys:  # one fresh 201 per key at most: the others are replays of it
        assert sum(1 for a in writes if a.key == key and a.status == 201 and not a.replayed) <= 1, key
        assert sum(1 for a in writes if a.key == key and a.status == 201) == 1, key  # retried until then
    stored = _screenings(pg_world)
    # exactly one screening per key: a 503 whose write had committed is replayed, not done twice
    assert stored == len(load.keys) + 1  # and the warm-up's
    out = subprocess.run([sys.executable, "-m", "vigil.server", "verify_audit"], env=pg_world["env"],
                         capture_output=True, timeout=300)
    assert out.returncode == 0 and out.stdout.decode().startswith("audit chain intact"), out.stderr[-500:]
    print(f"DB-LOST requests={len(answers)} ok={sum(_ok(a) for a in answers)} "
          f"503={sum(a.status == 503 for a in answers)} during_cut={len(down)} backends_killed={killed} "
          f"keys={len(load.keys)} retried_after_503={len(retried)} replayed={len(replayed)} stored={stored}")


def test_database_unavailable_is_told_apart_from_a_full_disk() -> None:
    from django.db import DatabaseError, InterfaceError, OperationalError

    from vigil.server.web.dbdown import database_unavailable

    assert database_unavailable(OperationalError("server closed the connection unexpectedly"))
    assert database_unavailable(InterfaceError("connection already closed"))
    assert not database_unavailable(OperationalError("database or disk is full"))  # the 507's
    assert not database_unavailable(DatabaseError("syntax error"))
    assert not database_unavailable(ValueError("no"))


@pytest.mark.django_db
def test_a_lost_database_in_a_middleware_or_a_view_is_a_503(client, users) -> None:
    """Both routes on any database: an error raised by a middleware (here the OTP check, which
    reads the user) reaches ``server_error``; one raised in a DRF view reaches the middleware."""
    from unittest import mock

    from django.db import OperationalError
    from tests.server.conftest import client_for

    client.raise_request_exception = False
    client.force_login(users["caseworker"])
    lost = OperationalError("server closed the connection unexpectedly")
    with mock.patch("vigil.server.accounts.otp.needs_verification", side_effect=lost):
        page = client.get("/cases/")
    assert page.status_code == 503 and page["Retry-After"] == "5"
    assert "database cannot be reached" in page.content.decode()
    api = client_for(users["caseworker"])
    api.raise_request_exception = False
    with mock.patch("vigil.server.cases.api.CaseViewSet.list", side_effect=lost):
        r = api.get("/api/cases/")
    assert r.status_code == 503 and r["Content-Type"] == "application/problem+json"
    assert r.json()["type"].endswith("/database-unavailable") and r["Retry-After"] == "5"
    with mock.patch("vigil.server.cases.api.CaseViewSet.list", side_effect=ValueError("a bug")):
        r = api.get("/api/cases/")
    assert r.status_code == 500  # any other error stays a 500
