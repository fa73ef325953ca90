"""Plaintext scan (issue 14): after a representative flow through a real server (waitress on its own
SQLite file), none of the identity values it used is anywhere at rest: not in the database file
(nor its WAL), not in a SQL dump of it, not in a ``vigil backup`` file, not in the server's log,
not in the subject-access export it wrote. Every value is searched as UTF-8 (and lower-cased),
UTF-16 and base64 of UTF-8.

The scan has teeth: the same files do hold the plaintext fields that are not identity data (the
organisation's name, the service's name: so the database and the dump are really read), the
values are really stored (the API answers them decrypted), and a file holding one value is found.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.server.test_server_faults import _free_port

LAUNCHER = r'''
import json, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigil.server.settings")
import django
django.setup()

if sys.argv[1] == "setup":
    import datetime as dt
    from django.conf import settings
    from django.core.management import call_command
    settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
    call_command("migrate", interactive=False, verbosity=0)
    from vigil.server.accounts.models import ApiToken, Organisation, User
    from vigil.server.referrals.models import SHAREABLE, DataSharingAgreement, ServiceProvider
    tag = sys.argv[2]
    a = Organisation.objects.create(name=f"Inspectorate {tag}", kind="labour_inspectorate", country="FRA")
    b = Organisation.objects.create(name="NGO B", kind="ngo", country="FRA")
    worker = User.objects.create(username="worker", role="caseworker", organisation=a, scope="organisation")
    chief = User.objects.create(username="chief", role="supervisor", organisation=a, scope="organisation")
    DataSharingAgreement.objects.create(discloser=a, recipient=b, fields=sorted(SHAREABLE),
                                        legal_basis="MoU (test)", signed_on=dt.date(2025, 1, 1))
    provider = ServiceProvider.objects.create(organisation=b, name=f"Shelter {tag}", service_type="shelter",
                                              languages="en", capacity=5)
    print(json.dumps({"worker": ApiToken.issue(worker)[1], "chief": ApiToken.issue(chief)[1],
                      "provider": provider.pk}))
    sys.exit(0)

from waitress import serve
from vigil.server.wsgi import application
serve(application, host="127.0.0.1", port=int(sys.argv[2]), threads=4, ident="vigil")
'''

SCREENING = {"ruleset": "ilo-ec-2009-adult-labour", "age": 30, "answers": {"DR01": True, "DR08": True}}


def _forms(value: str) -> Iterator[bytes]:
    """The encodings a value could be found in at rest."""
    raw = value.encode("utf-8")
    yield raw
    yield value.encode("utf-16-le")
    yield base64.b64encode(raw).rstrip(b"=")


def scan(files: Iterable[Path], values: Iterable[str]) -> list[str]:
    """``file: value`` for each value found in a file (lower-cased search too)."""
    found = []
    for path in files:
        data = path.read_bytes()
        lowered = data.lower()
        for value in values:
            if any(f in data for f in _forms(value)) or value.lower().encode("utf-8") in lowered:
                found.append(f"{path.name}: {value!r}")
    return found


def test_the_scan_finds_a_value(tmp_path: Path) -> None:
    f = tmp_path / "f.bin"
    f.write_bytes(b"\x00\x01" + "Zoé Q".encode("utf-16-le") + b"\x00")
    assert scan([f], ["Zoé Q"]) == ["f.bin: 'Zoé Q'"]
    f.write_bytes(base64.b64encode(b"prefix DOC-778899 suffix"))
    assert scan([f], ["DOC-778899"]) == []  # base64 of a longer text is not aligned: known limit
    f.write_bytes(b"... ZOE QUINCE ...")
    assert scan([f], ["Zoe Quince"]) == ["f.bin: 'Zoe Quince'"]


class Server:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.launcher = tmp / "launch.py"
        self.launcher.write_text(LAUNCHER, "utf-8")
        self.data = tmp / "data"
        self.env = {
            **os.environ,
            "VIGIL_DATA_DIR": str(self.data),
            "VIGIL_SCHEDULER": "off",
            "VIGIL_API_RATE": "100000/min",
            "VIGIL_LOG_LEVEL": "DEBUG",  # the most the server would ever log
            "PYTHONPATH": os.pathsep.join(sys.path),
        }
        self.env.pop("DATABASE_URL", None)
        self.log = tmp / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""

    def start(self) -> None:
        port = _free_port()
        self.url = f"http://127.0.0.1:{port}"
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen([sys.executable, str(self.launcher), "serve", str(port)],
                                         env=self.env, stdout=log, stderr=subprocess.STDOUT)

        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/api/schema/", timeout=5)
                return
            except urllib.error.HTTPError:
                return
            except OSError:
                time.sleep(0.3)
        raise AssertionError("the server did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)

    def call(self, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, method=method, data=data, headers={
            "Authorization": f"Token {token}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, json.load(r)
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    s = Server(tmp_path)
    try:
        yield s
    finally:
        s.stop()


def test_no_identity_value_at_rest_after_a_representative_flow(server: Server, tmp_path: Path) -> None:
    tag = secrets.token_hex(4)
    out = subprocess.run([sys.executable, str(server.launcher), "setup", tag], env=server.env, check=True,
                         capture_output=True, timeout=300)
    world = json.loads(out.stdout.decode().strip().splitlines()[-1])
    worker, chief = world["worker"], world["chief"]
    identity = {  # made unique per run, so that nothing else can match them
        "given_name": f"Zephyrine{tag}",
        "family_name": f"Quillmartin{tag}",
        "document_number": f"PZ{int(tag, 16):010d}",
        "phone": f"+33 7 {int(tag, 16) % 10**8:08d}",
        "address": f"{tag} impasse des Glycines, Valence",
        "narrative": f"Recruited in {tag} by a broker who kept her passport and wages.",
    }
    later = {"narrative": f"She later said the broker {tag} threatened her family.",
             "address": f"Shelter room {tag}, rue Basse"}
    server.start()
    status, person = server.call("POST", "/api/persons/", worker, identity)
    assert status == 201, person
    status, case = server.call("POST", "/api/cases/", worker, {"person": person["id"]})
    assert status == 201, case
    status, doc = server.call("PATCH", f"/api/persons/{person['id']}/", worker,
                              {"version": person["version"], **later})
    assert status == 200, doc
    status, doc = server.call("POST", "/api/consents/", worker, {"case": case["id"], "purpose": "referral",
                                                                 "given": True, "method": "written"})
    assert status == 201, doc
    status, doc = server.call("POST", "/api/screenings/", worker, {"case": case["id"], **SCREENING})
    assert status == 201, doc
    status, doc = server.call("POST", "/api/referrals/", worker, {
        "case": case["id"], "provider": world["provider"], "reason": "needs shelter",
        "shared_fields": ["given_name", "family_name", "phone"]})
    assert status == 201, doc
    # a refused write quoting identity values (the log must not echo them)
    status, doc = server.call("POST", "/api/persons/", worker, {**identity, "birth_year": "not a year"})
    assert status == 400
    status, read = server.call("GET", f"/api/persons/{person['id']}/", chief)
    assert status == 200
    assert read["given_name"] == identity["given_name"] and read["narrative"] == later["narrative"]  # stored
    status, req = server.call("POST", "/api/subject-requests/", chief, {
        "person": person["id"], "kind": "access", "channel": "in_person", "verification": "known_to_staff"})
    assert status == 201, req
    status, export = server.call("POST", f"/api/subject-requests/{req['id']}/access/", chief)
    assert status == 201, export
    snapshot = tmp_path / "live"  # with the server up: the database and its WAL, if one is open
    snapshot.mkdir()
    for p in server.data.glob("vigil.sqlite3*"):
        with contextlib.suppress(FileNotFoundError):  # the WAL goes when the last connection closes
            (snapshot / p.name).write_bytes(p.read_bytes())
    server.stop()

    env = server.env
    backup_file = tmp_path / "vigil.backup"
    out = subprocess.run([sys.executable, "-c", "import sys; from vigil.cli import main; sys.exit(main())",
                          "backup", str(backup_file)], env=env, capture_output=True, timeout=300)
    assert out.returncode == 0 and backup_file.stat().st_size > 0, out.stderr.decode()[-500:]
    db = server.data / "vigil.sqlite3"
    dump = tmp_path / "dump.sql"
    conn = sqlite3.connect(db)
    try:
        dump.write_text("\n".join(conn.iterdump()), "utf-8")
    finally:
        conn.close()
    exports = [p for p in server.data.rglob("*") if p.is_file() and p.suffix == ".zip"]
    assert exports, "the subject-access export was not written"
    stored = [p for p in server.data.rglob("*") if p.is_file()]  # the database, its WAL, exports
    files = [*stored, *snapshot.iterdir(), backup_file, dump, server.log]
    values = [*identity.values(), *later.values()]
    assert scan(files, values) == []
    # the scan has teeth: plaintext data that is not identity data is found in the database and dump
    assert scan([db, dump], [f"Inspectorate {tag}", f"Shelter {tag}"]) == [
        f"vigil.sqlite3: 'Inspectorate {tag}'", f"vigil.sqlite3: 'Shelter {tag}'",
        f"dump.sql: 'Inspectorate {tag}'", f"dump.sql: 'Shelter {tag}'"]
    sizes = {p.name: p.stat().st_size for p in files}
    print(f"PLAINTEXT-SCAN files={len(files)} values={len(values)} found=0 sizes={sizes}")
