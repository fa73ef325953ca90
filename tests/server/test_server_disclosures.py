"""Encrypted exports (AES-256 zip, one-time password, short-lived download link, purge) and
data-subject requests (access, erasure, correction...), with their permissions and audit."""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import stat
import struct
import time
import zipfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import pyzipper
from django.core.management import call_command
from django.test import Client
from django.utils import timezone, translation
from tests.server.conftest import client_for, make_case

from vigil.server import scoping
from vigil.server.audit.models import AuditEntry
from vigil.server.cases.models import Case, Consent, MigrationStage, Person, Screening
from vigil.server.disclosures import exportfiles, packaging
from vigil.server.disclosures.models import ExportFile, SubjectRequest
from vigil.server.followups.models import FollowUp
from vigil.server.statistics import microdata as exports

pytestmark = pytest.mark.django_db

STATS_URL = "/api/disclosures/statistics/"
REQUESTS_URL = "/api/subject-requests/"
IDENTITY = ("given_name", "family_name", "document_number", "phone", "address", "narrative")


@pytest.fixture(autouse=True)
def data_dir(settings: Any, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path
    return tmp_path


def exports_dir(data_dir: Path) -> Path:
    return data_dir / "exports"


def identity_values() -> list[str]:
    """Every identity value of every person, and every case reference (kept before erasure)."""
    values = [getattr(p, f) for p in Person.objects.all() for f in IDENTITY if getattr(p, f)]
    return values + list(Case.objects.values_list("reference", flat=True))


def read_zip(path: Path, password: str) -> dict[str, str]:
    with pyzipper.AESZipFile(path) as zf:
        zf.setpassword(password.encode())
        return {name: zf.read(name).decode("utf-8") for name in zf.namelist()}


def stored(export_id: int) -> Path:
    return packaging.path_of(ExportFile.objects.get(pk=export_id).file_name)


def token_of(download_url: str) -> str:
    return download_url.rstrip("/").rsplit("/", 1)[-1]


@pytest.fixture
def stats_cases(users: dict[str, Any]) -> list[Case]:
    """25 cases with statistics consent in org A (one outlier), one without consent."""
    owner = users["caseworker"]
    made = []
    for i in range(24):
        case = make_case(owner, f"Stat{i:02d}", f"Family{i:02d}", f"STAT-{i:03d}", sector="A")
        case.person.gender, case.person.citizenship, case.person.birth_year = "Feminine", "NPL", 1990
        case.person.save()
        made.append(case)
    odd = make_case(owner, "Unique", "Outlier", "ODD-0001", sector="T")
    odd.person.gender, odd.person.citizenship, odd.person.birth_year = "Masculine", "BOL", 1960
    odd.person.save()
    made.append(odd)
    for case in made:
        Consent.objects.create(case=case, purpose="statistics", given=True, method="verbal")
    make_case(owner, "NoConsent", "Person", "NOC-0001", sector="F")
    return made


def post_stats(user: Any, **body: Any) -> Any:
    return client_for(user).post(STATS_URL, {"purpose": "Ministry annual report", **body}, format="json")


def problem_fields(response: Any) -> set[str]:
    return {e["field"] for e in response.json().get("errors", [])}


# --- the encrypted file ------------------------------------------------------------------------
def test_password_is_six_groups_of_unambiguous_symbols():
    passwords = {packaging.new_password() for _ in range(200)}
    assert len(passwords) == 200
    for pw in passwords:
        groups = pw.split("-")
        assert [len(g) for g in groups] == [4] * 6
        assert set("".join(groups)) <= set(packaging.PASSWORD_ALPHABET)
    assert not set("01ILO") & set(packaging.PASSWORD_ALPHABET)
    assert 24 * math.log2(len(packaging.PASSWORD_ALPHABET)) > 118


def test_zip_opens_with_its_password_only_and_is_aes_256(data_dir):
    password = packaging.new_password()
    name, size = packaging.write_encrypted_zip({"a.txt": "secret content é", "b.csv": b"x,y\n"}, password)
    path = exports_dir(data_dir) / name
    assert path.stat().st_size == size > 0
    assert read_zip(path, password) == {"a.txt": "secret content é", "b.csv": "x,y\n"}
    with pyzipper.AESZipFile(path) as zf, pytest.raises(RuntimeError):
        zf.read("a.txt")  # no password
    with pyzipper.AESZipFile(path) as zf, pytest.raises(RuntimeError):
        zf.setpassword(b"AAAA-AAAA-AAAA-AAAA-AAAA-AAAA")
        zf.read("a.txt")
    # not a plain zip: the standard library cannot read the members
    with zipfile.ZipFile(path) as plain:
        with pytest.raises((NotImplementedError, RuntimeError)):
            plain.read("a.txt")
        info = plain.getinfo("a.txt")
    assert info.compress_type == 99  # WinZip AES
    extra = info.extra
    while extra:
        header, length = struct.unpack("<HH", extra[:4])
        if header == 0x9901:
            _version, vendor, strength, _method = struct.unpack("<H2sBH", extra[4 : 4 + length])
            assert vendor == b"AE" and strength == 3  # 3 = AES-256
            break
        extra = extra[4 + length :]
    else:
        pytest.fail("no AES extra field")
    assert b"secret content" not in path.read_bytes()


def test_exports_folder_is_private_and_no_part_file_is_left(data_dir, monkeypatch):
    name, _size = packaging.write_encrypted_zip({"a.txt": "x"}, packaging.new_password())
    folder = exports_dir(data_dir)
    if os.name == "posix":
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert [p.name for p in folder.iterdir()] == [name]
    assert len(name) == 36 and name.endswith(".zip")

    def broken(*args: Any, **kwargs: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(packaging.os, "replace", broken)
    with pytest.raises(OSError):
        packaging.write_encrypted_zip({"a.txt": "x"}, "pw")
    assert [p.name for p in folder.iterdir()] == [name]  # no half-written file


def test_path_of_refuses_anything_but_a_file_name():
    for bad in ("../x.zip", "a/b.zip", "", ".hidden.part"):
        with pytest.raises(ValueError):
            packaging.path_of(bad)


# --- statistics export -------------------------------------------------------------------------
def test_statistics_export_is_the_analyst_csv_encrypted_with_a_readme(users, stats_cases, data_dir):
    r = post_stats(users["analyst"], k=11)
    assert r.status_code == 201, r.content
    body = r.json()
    assert set(body) >= {"id", "download_url", "password", "expires_at", "records", "fields"}
    assert r["Cache-Control"] == "no-store"
    assert body["records"] == 25 and body["fields"] == list(exports.COLUMNS)
    assert body["download_url"].startswith("/disclosures/download/")
    files = read_zip(stored(body["id"]), body["password"])
    assert set(files) == {"README.txt", "vigil-cases-htcds.csv"}
    expected, n, n_suppressed = exports.microdata_csv(scoping.statistics_cases_for(users["analyst"]), 11)
    assert files["vigil-cases-htcds.csv"] == expected and n == 25
    readme = files["README.txt"]
    assert "Ministry annual report" in readme
    assert "(k): 11" in readme and f"suppressed: {n_suppressed}" in readme and n_suppressed == 1
    assert all(column in readme for column in exports.COLUMNS)
    assert timezone.localdate().isoformat() in readme
    plaintext = "".join(files.values())
    for value in identity_values():
        assert value not in plaintext
    raw = stored(body["id"]).read_bytes()
    assert b"Ministry annual report" not in raw and b"cas_Status" not in raw


def test_statistics_export_row_password_and_token(users, stats_cases, settings):
    settings.VIGIL_EXPORT_HOURS = 2
    before = timezone.now()
    body = post_stats(users["analyst"]).json()
    export = ExportFile.objects.get(pk=body["id"])
    assert export.kind == "statistics_microdata" and export.requested_by == users["analyst"]
    assert export.purpose == "Ministry annual report"
    assert export.parameters == {"k": 11, "suppressed": 1} and export.records == 25
    assert export.max_downloads == 3 and export.download_count == 0
    assert before + timedelta(hours=2) <= export.expires_at <= timezone.now() + timedelta(hours=2)
    token = token_of(body["download_url"])
    assert export.token_hash == hashlib.sha256(token.encode()).hexdigest()
    # neither the password nor the token is kept anywhere
    row = json.dumps(list(ExportFile.objects.values()), default=str)
    audit = json.dumps(list(AuditEntry.objects.values()), default=str)
    for secret in (body["password"], token):
        assert secret not in row and secret not in audit


def test_statistics_export_is_audited_with_the_field_list(users, stats_cases):
    body = post_stats(users["analyst"]).json()
    entry = AuditEntry.objects.get(action="export", object_type="export", object_id=str(body["id"]))
    assert entry.actor_id == users["analyst"].pk and entry.via == "api"
    assert entry.detail["fields"] == list(exports.COLUMNS)
    assert entry.detail["records"] == 25 and entry.detail["k"] == 11 and entry.detail["suppressed"] == 1
    assert entry.reason == "Ministry annual report"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"purpose": "Report", "k": 5}, "k"),
        ({"purpose": "Report", "k": "many"}, "k"),
        ({"k": 11}, "purpose"),
        ({"purpose": "   ", "k": 11}, "purpose"),
        ({"purpose": "x" * 501}, "purpose"),
    ],
)
def test_statistics_export_bad_input_names_the_field(users, body, field, data_dir):
    r = client_for(users["analyst"]).post(STATS_URL, body, format="json")
    assert r.status_code == 400
    assert field in problem_fields(r)
    assert ExportFile.objects.count() == 0
    assert not exports_dir(data_dir).exists() or not any(exports_dir(data_dir).iterdir())


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("analyst", 201),
        ("analyst_b", 201),
        ("supervisor", 403),
        ("caseworker", 403),
        ("inspector", 403),
        ("administrator", 403),
        ("referral_receiver", 403),
    ],
)
def test_statistics_export_permission(users, stats_cases, role, expected):
    r = post_stats(users[role])
    assert r.status_code == expected
    if expected == 201:
        # the analyst's scope decides the records (all: the default scope of analysts)
        assert r.json()["records"] == 25


def test_statistics_export_needs_a_signed_in_user(stats_cases):
    from rest_framework.test import APIClient

    assert APIClient().post(STATS_URL, {"purpose": "x"}, format="json").status_code in (401, 403)
    assert ExportFile.objects.count() == 0


# --- download link -----------------------------------------------------------------------------
def web(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_download_by_the_requester_counts_and_stops_at_the_limit(users, stats_cases):
    body = post_stats(users["analyst"]).json()
    url = body["download_url"]
    disk = stored(body["id"]).read_bytes()
    client = web(users["analyst"])
    for n in (1, 2, 3):
        r = client.get(url)
        assert r.status_code == 200
        assert r["Content-Type"] == "application/zip" and r["Cache-Control"] == "no-store"
        assert "attachment" in r["Content-Disposition"] and ".zip" in r["Content-Disposition"]
        assert b"".join(r.streaming_content) == disk
        assert ExportFile.objects.get(pk=body["id"]).download_count == n
    r = client.get(url)
    assert r.status_code == 410
    assert "downloaded as many times as allowed" in r.content.decode()
    entries = AuditEntry.objects.filter(action="download", object_id=str(body["id"]))
    assert entries.count() == 3
    assert all(e.detail["fields"] == list(exports.COLUMNS) for e in entries)
    assert AuditEntry.objects.filter(action="download_refused", detail__reason="used_up").count() == 1


def test_download_by_another_user_or_nobody(users, stats_cases):
    body = post_stats(users["analyst"]).json()
    url = body["download_url"]
    for other in ("analyst_b", "supervisor", "administrator"):
        assert web(users[other]).get(url).status_code == 404
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    assert web(users["analyst"]).get("/disclosures/download/not-a-token/").status_code == 404
    assert ExportFile.objects.get(pk=body["id"]).download_count == 0


def test_download_with_the_api_token_of_the_requester(users, stats_cases, tmp_path):
    body = post_stats(users["analyst"]).json()
    r = client_for(users["analyst"]).get(body["download_url"])
    assert r.status_code == 200
    received = tmp_path / "received.zip"
    received.write_bytes(b"".join(r.streaming_content))
    files = read_zip(received, body["password"])
    assert "vigil-cases-htcds.csv" in files
    assert client_for(users["analyst_b"]).get(body["download_url"]).status_code == 404
    bad = Client(HTTP_AUTHORIZATION="Token nope").get(body["download_url"])
    assert bad.status_code == 401


def test_download_after_expiry_or_purge_is_gone(users, stats_cases):
    first = post_stats(users["analyst"]).json()
    second = post_stats(users["analyst"]).json()
    ExportFile.objects.filter(pk=first["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    r = web(users["analyst"]).get(first["download_url"])
    assert r.status_code == 410 and "expired" in r.content.decode()
    exportfiles.purge(ExportFile.objects.filter(pk=second["id"]), timezone.now())
    r = web(users["analyst"]).get(second["download_url"])
    assert r.status_code == 410 and "deleted" in r.content.decode()
    assert set(
        AuditEntry.objects.filter(action="download_refused").values_list("detail__reason", flat=True)
    ) == {"expired", "purged"}


def test_claim_download_never_exceeds_the_limit(users, stats_cases):
    body = post_stats(users["analyst"]).json()
    token = token_of(body["download_url"])
    ExportFile.objects.filter(pk=body["id"]).update(download_count=2)
    assert exportfiles.claim_download(token, users["analyst"]).download_count == 3
    with pytest.raises(exportfiles.DownloadRefused) as exc:
        exportfiles.claim_download(token, users["analyst"])
    assert exc.value.status == 410 and exc.value.reason == "used_up"


# --- purge -------------------------------------------------------------------------------------
def test_purge_deletes_expired_and_used_up_files_and_orphans(users, stats_cases, data_dir):
    keep = post_stats(users["analyst"]).json()
    old = post_stats(users["analyst"]).json()
    used = post_stats(users["analyst"]).json()
    ExportFile.objects.filter(pk=used["id"]).update(download_count=3)
    folder = exports_dir(data_dir)
    orphan = folder / ("ab" * 16 + ".zip")
    orphan.write_bytes(b"left by a crash")
    part = folder / ".tmpabc.part"
    part.write_bytes(b"half")
    hour_ago = time.time() - 3600
    os.utime(orphan, (hour_ago, hour_ago))
    os.utime(part, (hour_ago, hour_ago))
    fresh_orphan = folder / ("cd" * 16 + ".zip")  # maybe a transaction not committed yet
    fresh_orphan.write_bytes(b"new")
    old_path, keep_path = stored(old["id"]), stored(keep["id"])

    report = exportfiles.purge_expired(timezone.now() + timedelta(hours=25))
    # after 25 hours, every export has expired
    assert set(report.purged) == {keep["id"], old["id"], used["id"]}
    assert report.orphans_removed == 2
    assert not old_path.exists() and not keep_path.exists()
    assert not orphan.exists() and not part.exists() and fresh_orphan.exists()
    assert ExportFile.objects.filter(purged_at__isnull=True).count() == 0
    entry = AuditEntry.objects.get(action="purge_exports")
    assert entry.via == "job" and entry.detail["orphans_removed"] == 2


def test_purge_keeps_live_files_and_the_command_runs(users, stats_cases, data_dir):
    live = post_stats(users["analyst"]).json()
    dead = post_stats(users["analyst"]).json()
    ExportFile.objects.filter(pk=dead["id"]).update(expires_at=timezone.now() - timedelta(minutes=1))
    out = io.StringIO()
    call_command("purge_exports", stdout=out)
    assert "purged 1 export file(s)" in out.getvalue()
    assert stored(live["id"]).exists() and not stored(dead["id"]).exists()
    assert ExportFile.objects.get(pk=dead["id"]).purged_at is not None
    assert ExportFile.objects.get(pk=live["id"]).purged_at is None
    assert web(users["analyst"]).get(live["download_url"]).status_code == 200


def test_purge_job_returns_counts(users, stats_cases):
    dead = post_stats(users["analyst"]).json()
    ExportFile.objects.filter(pk=dead["id"]).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert exportfiles.purge_job() == {"purged": 1, "orphans_removed": 0}
    assert exportfiles.purge_job() == {"purged": 0, "orphans_removed": 0}


def test_a_failed_audit_leaves_no_file_and_no_row(users, stats_cases, data_dir, monkeypatch):
    from vigil.server.disclosures import statistics

    def failing(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("audit down")

    monkeypatch.setattr(statistics, "record", failing)
    with pytest.raises(RuntimeError):
        statistics.create(users["analyst"], purpose="x", k=11, via="api")
    assert ExportFile.objects.count() == 0
    assert list(exports_dir(data_dir).iterdir()) == []


# --- analyst pages -----------------------------------------------------------------------------
def test_statistics_export_page_shows_the_password_once(users, stats_cases):
    client = web(users["analyst"])
    page = client.get("/disclosures/")
    assert page.status_code == 200 and 'id="statistics-export-form"' in page.content.decode()
    r = client.post("/disclosures/", {"purpose": "Ministry visit", "k": "11"})
    assert r.status_code == 201 and r["Cache-Control"] == "no-store"
    html = r.content.decode()
    export = ExportFile.objects.get()
    assert 'id="export-password"' in html and "another channel than the file" in html
    assert "/disclosures/download/" in html
    password = html.split('id="export-password">')[1].split("<")[0]
    assert read_zip(stored(export.pk), password)["README.txt"].count("Ministry visit") == 1
    listing = client.get("/disclosures/").content.decode()
    assert password not in listing and "available" in listing
    bad = client.post("/disclosures/", {"purpose": "", "k": "3"})
    assert bad.status_code == 400 and ExportFile.objects.count() == 1


@pytest.mark.parametrize(
    ("role", "get", "post"),
    [
        ("analyst", 200, 201),
        ("supervisor", 200, 403),
        ("caseworker", 403, 403),
        ("administrator", 403, 403),
        ("referral_receiver", 403, 403),
    ],
)
def test_exports_page_permission(users, stats_cases, role, get, post):
    client = web(users[role])
    assert client.get("/disclosures/").status_code == get
    assert client.post("/disclosures/", {"purpose": "Report", "k": "11"}).status_code == post


# --- data-subject requests ---------------------------------------------------------------------
def new_request(user: Any, person: Person, kind: str = "access", **body: Any) -> Any:
    data = {"person": person.pk, "kind": kind, "channel": "in_person", **body}
    return client_for(user).post(REQUESTS_URL, data, format="json")


@pytest.fixture
def rich_case(users: dict[str, Any]) -> Case:
    """A case of org A with every kind of child record, person speaking French."""
    case = make_case(users["caseworker"], "Amina", "Subjecta", "DOC-SUBJ-1")
    case.person.primary_language = "fr-FR"
    case.person.save()
    MigrationStage.objects.create(case=case, stage="work", place="Lyon", employer_or_recruiter="Farm X")
    Consent.objects.create(case=case, purpose="services", given=True, method="written")
    Screening.objects.create(
        case=case,
        ruleset="ilo-forced-labour",
        ruleset_version="1",
        answers={"threats": True},
        determination={"outcome": "positive", "fired": ["threats"]},
        outcome="positive",
    )
    FollowUp.objects.create(case=case, due_on=date(2026, 1, 1), notes="Called back")
    return case


def test_request_is_recorded_with_its_due_date(users, rich_case, settings):
    r = new_request(
        users["supervisor"], rich_case.person, received_on="2026-03-01", verification="document_seen"
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["due_on"] == "2026-03-31" and body["status"] == "received" and body["overdue"] is True
    settings.VIGIL_SUBJECT_REQUEST_DAYS = 10
    r = new_request(users["supervisor"], rich_case.person, "objection", received_on="2026-03-01")
    assert r.json()["due_on"] == "2026-03-11"
    entry = AuditEntry.objects.filter(action="create", object_type="subject_request").first()
    assert entry.detail["person"] == rich_case.person.pk and "kind" in entry.detail["fields"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"person": 999999}, "person"),
        ({"person": "abc"}, "person"),
        ({"kind": "delete_everything"}, "kind"),
        ({"channel": "pigeon"}, "channel"),
        ({"received_on": "2999-01-01"}, "received_on"),
        ({"received_on": "yesterday"}, "received_on"),
        ({"verification": "passport A123"}, "verification"),
    ],
)
def test_request_bad_input_names_the_field(users, rich_case, body, field):
    data = {"person": rich_case.person.pk, "kind": "access", "channel": "phone", **body}
    r = client_for(users["supervisor"]).post(REQUESTS_URL, data, format="json")
    assert r.status_code == 400 and field in problem_fields(r)
    assert SubjectRequest.objects.count() == 0


def test_request_for_a_person_out_of_scope_is_an_unknown_person(users, rich_case, cases):
    r = new_request(users["supervisor_b"], rich_case.person)
    assert r.status_code == 400 and "person" in problem_fields(r)
    ok = new_request(users["supervisor"], rich_case.person)
    rid = ok.json()["id"]
    other = client_for(users["supervisor_b"])
    assert other.get(f"{REQUESTS_URL}{rid}/").status_code == 404
    assert other.post(f"{REQUESTS_URL}{rid}/access/").status_code == 404
    assert other.get(REQUESTS_URL).json()["results"] == []
    mine = client_for(users["supervisor"]).get(REQUESTS_URL).json()["results"]
    assert [r["id"] for r in mine] == [rid]


def test_an_emergency_grant_does_not_open_subject_requests(users, rich_case):
    from vigil.server.emergency.models import EmergencyAccess

    other = users["supervisor_b"]
    EmergencyAccess.objects.create(user=other, case=rich_case, reason="Person in danger tonight")
    assert scoping.persons_for(other).filter(pk=rich_case.person_id).exists()  # may read the case
    r = new_request(other, rich_case.person, verification="document_seen")
    assert r.status_code == 400 and "person" in problem_fields(r)
    rid = new_request(users["supervisor"], rich_case.person, verification="document_seen").json()["id"]
    assert client_for(other).post(f"{REQUESTS_URL}{rid}/access/").status_code == 404
    assert web(other).get(f"/disclosures/requests/new/?case={rich_case.pk}").status_code == 400


@pytest.mark.parametrize("role", ["caseworker", "inspector", "analyst", "administrator", "referral_receiver"])
def test_only_supervisors_handle_requests(users, rich_case, role):
    req = SubjectRequest.objects.create(
        person=rich_case.person, kind="access", channel="phone", due_on=date(2026, 12, 31)
    )
    client = client_for(users[role])
    assert client.get(REQUESTS_URL).status_code == 403
    assert new_request(users[role], rich_case.person).status_code == 403
    assert client.post(f"{REQUESTS_URL}{req.pk}/access/").status_code == 403
    assert client.post(f"{REQUESTS_URL}{req.pk}/erase/").status_code == 403
    assert web(users[role]).get("/disclosures/requests/").status_code == 403
    assert web(users[role]).get(f"/disclosures/requests/new/?case={rich_case.pk}").status_code == 403


def test_subject_access_zip_holds_the_person_record_only(users, rich_case, cases):
    # another person of the same organisation, visible to the supervisor
    other_case = cases["a_inspector"]
    second = Case.objects.create(
        person=rich_case.person,
        organisation=rich_case.organisation,
        owner=users["caseworker"],
        status="Closed",
    )
    values_before = identity_values()
    r = new_request(users["supervisor"], rich_case.person, verification="known_to_staff")
    rid = r.json()["id"]
    r = client_for(users["supervisor"]).post(f"{REQUESTS_URL}{rid}/access/")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["records"] == 2 and "person.document_number" in body["fields"]
    files = read_zip(stored(body["id"]), body["password"])
    assert set(files) == {"README.txt", "record.txt", "record.json"}
    record = json.loads(files["record.json"])
    person = rich_case.person
    for name in IDENTITY:
        assert record["person"][name] == getattr(person, name) != ""
        assert getattr(person, name) in files["record.txt"]
    assert [c["reference"] for c in record["cases"]] == [rich_case.reference, second.reference]
    first = record["cases"][0]
    assert first["migration_stages"][0]["employer_or_recruiter"] == "Farm X"
    assert first["consents"][0]["purpose"] == "services"
    assert first["screenings"][0]["determination"]["fired"] == ["threats"]
    assert first["follow_ups"][0]["notes"] == "Called back"
    assert record["subject_requests"][0]["kind"] == "access"
    everything = "".join(files.values())
    other = other_case.person
    for value in (other.given_name, other.family_name, other.document_number, other_case.reference):
        assert value not in everything
    for c in cases.values():
        assert c.reference not in everything
    # in the person's language (fr-FR -> French)
    assert "Identité" in files["record.txt"] and "Prénom".lower() in files["record.txt"].lower()
    # audited with the field list and no identity value
    entry = AuditEntry.objects.get(action="subject_access")
    assert entry.object_type == "person" and entry.object_id == str(person.pk)
    assert entry.detail["fields"] == body["fields"] and entry.detail["cases"] == [rich_case.pk, second.pk]
    assert entry.detail["export"] == body["id"] and entry.detail["language"] == "fr"
    dump = json.dumps(list(AuditEntry.objects.values()), default=str)
    for value in values_before:
        if len(value) >= 4 and not value.startswith("VG-"):
            assert value not in dump
    req = SubjectRequest.objects.get(pk=rid)
    assert req.status == "completed" and req.completed_on == timezone.localdate()
    assert req.handled_by == users["supervisor"]
    # the copy is downloadable by the supervisor only
    assert web(users["supervisor"]).get(body["download_url"]).status_code == 200
    assert web(users["caseworker"]).get(body["download_url"]).status_code == 404


def test_subject_access_in_english_by_default(users, rich_case):
    rich_case.person.primary_language = "ro"  # a language the server does not speak
    rich_case.person.save()
    rid = new_request(users["supervisor"], rich_case.person, verification="document_seen").json()["id"]
    with translation.override("fr"):
        body = client_for(users["supervisor"]).post(f"{REQUESTS_URL}{rid}/access/").json()
    text = read_zip(stored(body["id"]), body["password"])["record.txt"]
    assert "Identity" in text and "Identité" not in text


def test_subject_access_needs_a_verified_identity_and_the_right_kind(users, rich_case):
    client = client_for(users["supervisor"])
    rid = new_request(users["supervisor"], rich_case.person).json()["id"]
    r = client.post(f"{REQUESTS_URL}{rid}/access/")
    assert r.status_code == 400 and "verification" in problem_fields(r)
    assert ExportFile.objects.count() == 0
    erasure = new_request(users["supervisor"], rich_case.person, "erasure", verification="document_seen")
    r = client.post(f"{REQUESTS_URL}{erasure.json()['id']}/access/")
    assert r.status_code == 409
    change = {"verification": "case_details", "status": "in_progress", "version": 1}
    r = client.patch(f"{REQUESTS_URL}{rid}/", change, format="json")
    assert r.status_code == 200 and r.json()["status"] == "in_progress"
    assert client.post(f"{REQUESTS_URL}{rid}/access/").status_code == 201


# --- erasure -----------------------------------------------------------------------------------
def erasure_request(user: Any, person: Person) -> int:
    r = new_request(user, person, "erasure", verification="document_seen")
    assert r.status_code == 201
    return r.json()["id"]


def test_erasure_refuses_while_a_case_is_open(users, rich_case):
    before = {f: getattr(rich_case.person, f) for f in IDENTITY}
    rid = erasure_request(users["supervisor"], rich_case.person)
    r = client_for(users["supervisor"]).post(f"{REQUESTS_URL}{rid}/erase/")
    assert r.status_code == 409
    assert rich_case.reference in r.json()["detail"] and "Close the case first" in r.json()["detail"]
    person = Person.objects.get(pk=rich_case.person.pk)
    assert {f: getattr(person, f) for f in IDENTITY} == before
    assert Case.objects.get(pk=rich_case.pk).anonymised_at is None
    assert SubjectRequest.objects.get(pk=rid).status == "received"


def test_erasure_anonymises_closed_cases_and_keeps_held_ones(users, rich_case):
    Case.objects.filter(pk=rich_case.pk).update(status="Closed", closed_on=date(2026, 1, 1))
    held = Case.objects.create(
        person=rich_case.person,
        organisation=rich_case.organisation,
        owner=users["caseworker"],
        status="Closed",
        legal_hold=True,
        legal_hold_reason="Court case 12",
    )
    values_before = identity_values()
    issued_access = new_request(users["supervisor"], rich_case.person, verification="document_seen").json()
    access = client_for(users["supervisor"]).post(f"{REQUESTS_URL}{issued_access['id']}/access/").json()
    rid = erasure_request(users["supervisor"], rich_case.person)
    r = client_for(users["supervisor"]).post(f"{REQUESTS_URL}{rid}/erase/")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["anonymised"] == [rich_case.pk] and body["held"] == [held.pk]
    assert body["person_anonymised"] is False
    assert body["request"]["status"] == "partially_refused"
    assert body["request"]["refusal_reason"] == "legal hold"
    assert Case.objects.get(pk=rich_case.pk).anonymised_at is not None
    assert Case.objects.get(pk=held.pk).anonymised_at is None
    assert MigrationStage.objects.get(case=rich_case).employer_or_recruiter == ""
    assert FollowUp.objects.get(case=rich_case).notes == ""
    # the held case still needs the identity: retention's rule, not ours
    assert Person.objects.get(pk=rich_case.person.pk).given_name == "Amina"
    # the copy handed out for access is deleted at once
    assert ExportFile.objects.get(pk=access["id"]).purged_at is not None
    assert not stored(access["id"]).exists()
    anonymise = AuditEntry.objects.get(action="anonymise", object_id=str(rich_case.pk))
    assert anonymise.detail["subject_request"] == rid and "person.given_name" in anonymise.detail["fields"]
    erasure = AuditEntry.objects.get(action="erasure")
    assert erasure.detail["held"] == [held.pk] and erasure.detail["exports_purged"] == [access["id"]]
    dump = json.dumps(list(AuditEntry.objects.values()), default=str)
    for value in values_before:
        if len(value) >= 4 and not value.startswith("VG-"):
            assert value not in dump
    again = client_for(users["supervisor"]).post(f"{REQUESTS_URL}{rid}/erase/")
    assert again.status_code == 409


def test_erasure_of_closed_cases_anonymises_the_person(users, rich_case):
    Case.objects.filter(pk=rich_case.pk).update(status="ClosedReferred", closed_on=date(2026, 1, 1))
    rid = erasure_request(users["supervisor"], rich_case.person)
    body = client_for(users["supervisor"]).post(f"{REQUESTS_URL}{rid}/erase/").json()
    assert body["person_anonymised"] is True and body["request"]["status"] == "completed"
    person = Person.objects.get(pk=rich_case.person.pk)
    assert all(getattr(person, f) == "" for f in IDENTITY) and person.birth_year is None
    assert person.name_index == "" and person.document_index == ""


def test_erasure_when_every_case_is_held_is_refused(users, rich_case):
    Case.objects.filter(pk=rich_case.pk).update(status="Closed", legal_hold=True)
    rid = erasure_request(users["supervisor"], rich_case.person)
    body = client_for(users["supervisor"]).post(f"{REQUESTS_URL}{rid}/erase/").json()
    assert body["request"]["status"] == "refused" and body["anonymised"] == []
    assert Case.objects.get(pk=rich_case.pk).anonymised_at is None


def test_erasure_needs_a_verified_identity(users, rich_case):
    Case.objects.filter(pk=rich_case.pk).update(status="Closed")
    rid = new_request(users["supervisor"], rich_case.person, "erasure").json()["id"]
    r = client_for(users["supervisor"]).post(f"{REQUESTS_URL}{rid}/erase/")
    assert r.status_code == 400 and "verification" in problem_fields(r)
    assert Case.objects.get(pk=rich_case.pk).anonymised_at is None


# --- other kinds, notes ------------------------------------------------------------------------
def test_correction_is_tracked_then_completed(users, rich_case):
    client = client_for(users["supervisor"])
    rid = new_request(users["supervisor"], rich_case.person, "correction").json()["id"]
    r = client.post(f"{REQUESTS_URL}{rid}/complete/", {"outcome_note": "Name spelling fixed"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "completed"
    assert r.json()["outcome_note"] == "Name spelling fixed"
    assert client.post(f"{REQUESTS_URL}{rid}/complete/", {}, format="json").status_code == 409
    access = new_request(users["supervisor"], rich_case.person).json()["id"]
    assert client.post(f"{REQUESTS_URL}{access}/complete/", {}, format="json").status_code == 409


def test_notes_must_not_hold_identity_values(users, rich_case):
    client = client_for(users["supervisor"])
    rid = new_request(users["supervisor"], rich_case.person, "objection").json()["id"]
    r = client.post(f"{REQUESTS_URL}{rid}/complete/", {"outcome_note": "amina called"}, format="json")
    assert r.status_code == 400 and "outcome_note" in problem_fields(r)
    r = client.post(f"{REQUESTS_URL}{rid}/refuse/", {"refusal_reason": "doc DOC-SUBJ-1 fake"}, format="json")
    assert r.status_code == 400 and "refusal_reason" in problem_fields(r)
    r = client.post(f"{REQUESTS_URL}{rid}/refuse/", {}, format="json")
    assert r.status_code == 400 and "refusal_reason" in problem_fields(r)
    r = client.post(f"{REQUESTS_URL}{rid}/refuse/", {"refusal_reason": "Manifestly unfounded"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "refused"
    assert r.json()["refusal_reason"] == "Manifestly unfounded"


def test_update_cannot_close_a_request(users, rich_case):
    rid = new_request(users["supervisor"], rich_case.person, "restriction").json()["id"]
    r = client_for(users["supervisor"]).patch(f"{REQUESTS_URL}{rid}/", {"status": "completed"}, format="json")
    assert r.status_code == 400 and "status" in problem_fields(r)


def test_worklist_api_filters_overdue(users, rich_case):
    today = timezone.localdate()
    late = SubjectRequest.objects.create(
        person=rich_case.person, kind="access", channel="phone", due_on=today - timedelta(days=1)
    )
    SubjectRequest.objects.create(
        person=rich_case.person, kind="access", channel="phone", due_on=today + timedelta(days=5)
    )
    SubjectRequest.objects.create(
        person=rich_case.person,
        kind="access",
        channel="phone",
        due_on=today - timedelta(days=9),
        status="completed",
    )
    r = client_for(users["supervisor"]).get(REQUESTS_URL, {"overdue": "true"})
    assert [x["id"] for x in r.json()["results"]] == [late.pk]
    assert AuditEntry.objects.filter(action="list", object_type="subject_request").exists()


# --- request pages -----------------------------------------------------------------------------
def test_request_pages_new_worklist_detail_and_erase(users, rich_case):
    client = web(users["supervisor"])
    page = client.get(f"/disclosures/requests/new/?case={rich_case.pk}")
    assert page.status_code == 200 and rich_case.reference in page.content.decode()
    r = client.post(
        "/disclosures/requests/new/",
        {"case": rich_case.pk, "kind": "erasure", "channel": "letter", "received_on": "2026-01-02",
         "verification": "document_seen"},
    )
    assert r.status_code == 302
    req = SubjectRequest.objects.get()
    assert req.person == rich_case.person and req.due_on == date(2026, 2, 1)
    worklist = client.get("/disclosures/requests/").content.decode()
    assert 'id="overdue"' in worklist and f"#{req.pk}" in worklist.split('id="open"')[0]
    detail = client.get(f"/disclosures/requests/{req.pk}/")
    assert detail.status_code == 200 and 'id="erase-form"' in detail.content.decode()
    for value in (rich_case.person.given_name, rich_case.person.document_number):
        assert value not in detail.content.decode() and value not in worklist
    refused = client.post(f"/disclosures/requests/{req.pk}/erase/")
    assert refused.status_code == 409 and "Close the case first" in refused.content.decode()
    Case.objects.filter(pk=rich_case.pk).update(status="Closed")
    done = client.post(f"/disclosures/requests/{req.pk}/erase/")
    assert done.status_code == 302
    assert SubjectRequest.objects.get(pk=req.pk).status == "completed"
    assert web(users["supervisor_b"]).get(f"/disclosures/requests/{req.pk}/").status_code == 404


def test_request_page_bad_case_and_access_copy(users, rich_case, cases):
    client = web(users["supervisor"])
    assert client.get("/disclosures/requests/new/").status_code == 400
    assert client.get(f"/disclosures/requests/new/?case={cases['b'].pk}").status_code == 400
    req = SubjectRequest.objects.create(
        person=rich_case.person,
        kind="access",
        channel="phone",
        due_on=date(2026, 12, 31),
        verification="document_seen",
    )
    r = client.post(f"/disclosures/requests/{req.pk}/access/")
    assert r.status_code == 201 and r["Cache-Control"] == "no-store"
    html = r.content.decode()
    password = html.split('id="export-password">')[1].split("<")[0]
    export = ExportFile.objects.get(kind="subject_access")
    assert "Amina" in read_zip(stored(export.pk), password)["record.json"]
    assert client.post(f"/disclosures/requests/{req.pk}/nonsense/").status_code == 404


# --- French ------------------------------------------------------------------------------------
def test_french_catalogue_covers_this_app(users, rich_case):
    with translation.override("fr"):
        from django.utils.translation import gettext

        for text in ("Encrypted exports", "Data-subject requests", "Build the encrypted copy", "legal hold"):
            assert gettext(text) != text
    client = web(users["supervisor"])
    client.cookies["django_language"] = "fr"
    page = client.get("/disclosures/requests/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Demandes des personnes concernées" in page


@pytest.mark.parametrize("kind", [k.value for k in SubjectRequest.Kind])
def test_request_page_offers_the_actions_of_its_kind_in_french(users, rich_case, kind):
    req = SubjectRequest.objects.create(
        person=rich_case.person, kind=kind, channel="email", due_on=date(2026, 12, 31)
    )
    client = web(users["supervisor"])
    client.cookies["django_language"] = "fr"
    html = client.get(f"/disclosures/requests/{req.pk}/").content.decode()
    assert ('id="access-form"' in html) == (kind == "access")
    assert ('id="erase-form"' in html) == (kind == "erasure")
    assert ('id="complete-form"' in html) == (kind in ("correction", "restriction", "objection"))
    assert 'id="refuse-form"' in html and "Refuser la demande" in html
    views = AuditEntry.objects.filter(action="view", object_type="subject_request", object_id=str(req.pk))
    assert views.count() == 1


def test_purge_is_a_scheduled_job():
    from datetime import timedelta

    from vigil.server.jobs import registry

    job = registry.get("export_purge")
    assert job.func is exportfiles.purge_job and job.every == timedelta(hours=1)
