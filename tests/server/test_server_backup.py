"""``vigil backup`` / ``vigil restore`` (issue 14): a round trip gives back every table byte for byte
(checksums of every row of every table) and every identity field as it was (decrypted), the file
holds no plaintext, and a changed, cut or foreign file is refused without touching the database.

SQLite here; the same round trip runs on PostgreSQL (pg_dump / pg_restore) when DATABASE_URL is a
PostgreSQL URL (the lead's PostgreSQL suite), and is skipped only otherwise."""

from __future__ import annotations

import hashlib
import importlib
import os
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from tests.server.conftest import make_case

from vigil.server import crypto
from vigil.server.audit.log import seal_pending, verify_chain
from vigil.server.backup import MAGIC, BackupError, backup, read_header, restore
from vigil.server.cases.models import Case, Person

cli = importlib.import_module("vigil.cli.main")
pytestmark = pytest.mark.django_db(transaction=True)
IDENTITY = ("given_name", "family_name", "document_number", "phone", "address", "narrative")
POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def checksums() -> dict[str, str]:
    """sha256 of the sorted rows of every table (the ``restore`` audit entry left out)."""
    out = {}
    qn = connection.ops.quote_name
    with connection.cursor() as cur:
        for table in sorted(connection.introspection.table_names(cur)):
            where = " WHERE action <> 'restore'" if table == "audit_auditentry" else ""
            cur.execute(f"SELECT * FROM {qn(table)}{where}")
            rows = sorted(repr(tuple(str(v) for v in row)) for row in cur.fetchall())
            out[table] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    return out


def identities() -> dict[int, tuple[str, ...]]:
    return {p.pk: tuple(getattr(p, f) for f in IDENTITY) for p in Person.objects.order_by("pk")}


@pytest.fixture
def world(users: dict[str, Any]) -> dict[str, Any]:
    cases = [make_case(users["caseworker"], f"Given{i}", f"Family{i}", f"BK-DOC-{i:04d}") for i in range(12)]
    seal_pending()
    return {"cases": cases, "users": users}


def _round_trip(world: dict[str, Any], tmp_path: Path) -> None:
    file = tmp_path / "vigil.backup"
    header = backup(file)
    before, people = checksums(), identities()
    assert len(people) == 12 and header.tables["cases_person"] == 12
    from django.conf import settings

    assert header.key_id == crypto.parse_keys(settings.VIGIL_FIELD_KEYS)[0][0]
    # the database moves on after the backup: an edit, a new case, a changed case
    first = Person.objects.order_by("pk").first()
    first.given_name = "Changed"
    first.save()
    make_case(world["users"]["caseworker"], "After", "Backup", "BK-DOC-9999")
    Case.objects.filter(pk=world["cases"][-1].pk).update(closure_reason="moved on")
    assert checksums() != before

    restore(file, replace=True)

    assert checksums() == before  # every table, every row
    assert identities() == people  # and the identity fields decrypt to the same values
    assert "BK-DOC-9999" not in {p.document_number for p in Person.objects.all()}
    seal_pending()
    report = verify_chain()
    assert report.ok and report.unsealed == 0


@pytest.mark.skipif(POSTGRES, reason="the SQLite round trip; PostgreSQL's is the test below")
def test_sqlite_round_trip_tables_and_identities_match(world, tmp_path):
    _round_trip(world, tmp_path)


@pytest.mark.skipif(not POSTGRES, reason="DATABASE_URL is not PostgreSQL (the PostgreSQL suite runs it)")
def test_postgresql_round_trip_tables_and_identities_match(world, tmp_path):
    _round_trip(world, tmp_path)


def test_the_file_holds_no_plaintext(world, tmp_path):
    file = tmp_path / "b.backup"
    backup(file)
    raw = file.read_bytes()
    assert raw.startswith(MAGIC)
    for person in Person.objects.all():
        for field in IDENTITY:
            assert getattr(person, field).encode() not in raw, field
    for marker in (b"SQLite format 3", b"PGDMP", b"cases_person\x00", b"CREATE TABLE", b"caseworker"):
        assert marker not in raw[200:], marker  # the header names tables and counts, nothing else
    header = read_header(file)
    assert header.tables["cases_case"] == Case.objects.count()


def test_a_database_with_data_is_not_replaced_unless_asked(world, tmp_path):
    file = tmp_path / "b.backup"
    backup(file)
    before = checksums()
    with pytest.raises(BackupError, match="add --replace"):
        restore(file)
    assert checksums() == before


@pytest.mark.parametrize("damage", ["flip", "truncate", "extend", "header"])
def test_a_changed_file_is_refused_and_nothing_changes(world, tmp_path, damage):
    file = tmp_path / "b.backup"
    backup(file)
    raw = bytearray(file.read_bytes())
    if damage == "flip":
        raw[len(raw) // 2] ^= 0x01
    elif damage == "truncate":
        del raw[len(raw) - 100:]
    elif damage == "extend":
        raw += b"\x00" * 10
    else:  # the header is bound to every chunk: a changed count is detected
        raw[:] = raw.replace(b'"cases_person": 12', b'"cases_person": 13', 1)
    file.write_bytes(bytes(raw))
    Person.objects.filter(pk=Person.objects.order_by("pk").first().pk).update(citizenship="ZZZ")
    before = checksums()
    with pytest.raises(BackupError, match=r"b\.backup"):
        restore(file, replace=True)
    assert checksums() == before


def test_rotation_old_backups_need_the_old_key_kept(world, tmp_path, settings):
    file = tmp_path / "old.backup"
    backup(file)
    old = settings.VIGIL_FIELD_KEYS
    new = f"k-new:{crypto.generate_key()}"
    settings.VIGIL_FIELD_KEYS = new  # the old key dropped: the backup cannot be read
    with pytest.raises(BackupError, match="not in VIGIL_FIELD_KEYS"):
        restore(file, replace=True)
    settings.VIGIL_FIELD_KEYS = f"{new},{old}"  # the new key first, the old one kept
    people = identities()
    restore(file, replace=True)
    assert identities() == people
    assert backup(tmp_path / "new.backup").key_id == "k-new"  # new backups under the new key


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        cli.main(args)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_the_commands(world, tmp_path, capsys):
    file = tmp_path / "cli.backup"
    code, out, err = _run(["backup", str(file)], capsys)
    assert code == 0, err
    assert out.startswith(f"backup: {file} (") and "12 " not in err
    code, out, err = _run(["restore", str(file)], capsys)
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [
        "vigil: vigil restore: the database already holds data; restoring cli.backup replaces it all: "
        "add --replace"]
    code, out, err = _run(["restore", "--replace", str(file)], capsys)
    assert code == 0, err
    assert out.startswith(f"restored: {file} (")
    code, out, err = _run(["restore", str(tmp_path / "missing.backup")], capsys)
    assert code == 2 and "missing.backup: no such file" in err


def _under(key_id: str) -> int:
    with connection.cursor() as cur:
        cur.execute("SELECT given_name FROM cases_person")
        return sum(1 for (v,) in cur.fetchall() if v.startswith(f"vf1.{key_id}."))


def test_key_rotation_interrupted_and_resumed(world, settings, monkeypatch):
    """``rotate_field_keys`` commits batch by batch: killed in its second batch, the first stays
    under the new key, the rest under the old one, and a second run finishes the job."""
    from django.core.management import call_command

    people = identities()
    settings.VIGIL_FIELD_KEYS = f"k-rot:{crypto.generate_key()},{settings.VIGIL_FIELD_KEYS}"
    original_save = Person.save
    calls = {"n": 0}

    def dying_save(self: Person, *args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 7:  # the second row of the second batch of 5
            raise KeyboardInterrupt("killed")
        original_save(self, *args, **kwargs)

    monkeypatch.setattr(Person, "save", dying_save)
    with pytest.raises(KeyboardInterrupt):
        call_command("rotate_field_keys", "--batch", "5", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert _under("k-rot") == 5 and len(people) - 5 == 12 - _under("k-rot")  # one batch committed
    monkeypatch.setattr(Person, "save", original_save)
    call_command("rotate_field_keys", "--batch", "5", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert _under("k-rot") == 12
    settings.VIGIL_FIELD_KEYS = settings.VIGIL_FIELD_KEYS.split(",")[0]  # the old key can go
    assert identities() == people


def test_an_interrupted_backup_leaves_no_file(world, tmp_path, monkeypatch):
    """All or nothing: a backup stopped half-way leaves neither the file nor its partial copy,
    nor the plaintext image next to the database."""
    from vigil.server import backup as module

    def broken_close(self: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(module._SealedWriter, "close", broken_close)
    data_dir = Path(connection.settings_dict["NAME"]).parent
    images = set(data_dir.glob(".vigil-backup-*"))
    file = tmp_path / "b.backup"
    with pytest.raises(BackupError, match=r"cannot write the backup \(No space left on device\); nothing"):
        backup(file)
    assert not file.exists() and not list(tmp_path.iterdir())
    assert set(data_dir.glob(".vigil-backup-*")) == images  # the temporary image is gone too
