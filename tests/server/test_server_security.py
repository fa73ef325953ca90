"""Encryption at rest, key rotation, audit chain and append-only enforcement, locking races."""

from __future__ import annotations

import sqlite3
import tempfile
import threading
from pathlib import Path

import pytest
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test import override_settings
from tests.server.conftest import make_case, make_user

from vigil.server import crypto
from vigil.server.audit.log import record, seal_pending, verify_chain
from vigil.server.audit.models import AuditEntry, AuditSeal
from vigil.server.cases.models import Case, MigrationStage, Person, StaleEdit

IDENTITY = {
    "given_name": "Zoltana",
    "family_name": "Quixwellborne",
    "document_number": "ZQ-55512345",
    "phone": "+99 555 0142 777",
    "address": "77 Nowhere Lane, Atlantis",
    "narrative": "Held by Mr Vexbridge in a locked dormitory",
}


def _all_table_text() -> str:
    """Every row of every table, as the database returns it (no model decryption)."""
    chunks: list[str] = []
    with connection.cursor() as cur:
        for table in connection.introspection.table_names():
            cur.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            chunks.extend(repr(row) for row in cur.fetchall())
    return "\n".join(chunks)


@pytest.mark.django_db(transaction=True)
def test_database_holds_no_plaintext_identity(users):
    owner = users["caseworker"]
    person = Person.objects.create(organisation=owner.organisation, created_by=owner, **IDENTITY)
    case = Case.objects.create(person=person, organisation=owner.organisation, owner=owner)
    MigrationStage.objects.create(
        case=case,
        stage="work",
        employer_or_recruiter="Vexbridge Farms Ltd",
        notes="Vexbridge keeps the passports",
    )
    record("view", user=owner, obj=person)
    needles = [*IDENTITY.values(), "Vexbridge", "Quixwellborne".lower()]
    if connection.vendor == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            dump = Path(tmp) / "dump.sqlite3"
            with connection.cursor() as cur:
                cur.execute("VACUUM INTO %s", [str(dump)])
            raw = dump.read_bytes()
            assert len(raw) > 10_000
            assert sqlite3.connect(dump).execute("select count(*) from cases_person").fetchone()[0] == 1
        haystacks = [raw, raw.lower()]
        for needle in needles:
            for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
                for hay in haystacks:
                    assert needle.encode(encoding) not in hay, needle
    else:
        text = _all_table_text()
        for needle in needles:
            assert needle not in text and needle.lower() not in text.lower(), needle
    # ... while the application reads the values back.
    again = Person.objects.get(pk=person.pk)
    assert again.given_name == IDENTITY["given_name"] and again.narrative == IDENTITY["narrative"]


@pytest.mark.django_db
def test_encrypted_fields_refuse_plaintext_lookups(users):
    with pytest.raises(FieldError, match="blind index"):
        list(Person.objects.filter(given_name="x"))


@pytest.mark.django_db
def test_rotation_command_reencrypts_under_new_key(users):
    from django.conf import settings

    make_case(users["caseworker"], doc="ROT-1")
    old_spec = settings.VIGIL_FIELD_KEYS
    new_spec = f"k2027:{crypto.generate_key()},{old_spec}"
    with override_settings(VIGIL_FIELD_KEYS=new_spec):
        call_command("rotate_field_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115
        with connection.cursor() as cur:
            cur.execute("SELECT given_name, document_number FROM cases_person")
            for row in cur.fetchall():
                assert all(v.startswith("vf1.k2027.") for v in row)
        # The old key can now go: everything still decrypts and search still works.
        with override_settings(VIGIL_FIELD_KEYS=new_spec.split(",")[0]):
            p = Person.objects.get(document_index=Person.index_document("rot-1"))
            assert p.given_name == "Amina"
    assert AuditEntry.objects.filter(action="rekey").exists()


@pytest.mark.django_db
def test_audit_chain_verifies_and_detects_tampering(users):
    for i in range(5):
        record("view", user=users["caseworker"], object_type="case", object_id=i, detail={"n": i})
    # Requests only insert: nothing is chained until the sealer runs, and verify says so.
    pending = verify_chain()
    assert pending.ok and pending.checked == 0 and pending.unsealed == 5
    assert seal_pending() == 5
    report = verify_chain()
    assert report.ok and report.checked == 5 and report.unsealed == 0
    assert seal_pending() == 0  # idempotent: each entry is sealed once
    if connection.vendor == "postgresql":
        pytest.skip("tampering by UPDATE is refused outright on PostgreSQL (see the trigger test)")
    third = AuditEntry.objects.order_by("id")[2]
    AuditEntry.objects.filter(pk=third.pk).update(reason="rewritten later")
    bad = verify_chain()
    assert not bad.ok and bad.first_bad_id == third.pk
    AuditEntry.objects.filter(pk=third.pk).update(reason="")
    assert verify_chain().ok
    AuditEntry.objects.filter(pk=third.pk).delete()
    bad = verify_chain()
    assert not bad.ok and bad.first_bad_id == third.pk and "removed" in bad.problem


@pytest.mark.django_db
def test_audit_seal_removal_detected(users):
    if connection.vendor == "postgresql":
        pytest.skip("DELETE on the seals is refused on PostgreSQL")
    for i in range(4):
        record("view", user=users["caseworker"], object_type="case", object_id=i)
    seal_pending()
    second = AuditSeal.objects.order_by("seq")[1]
    AuditSeal.objects.filter(pk=second.pk).delete()
    bad = verify_chain()
    assert not bad.ok and "seal removed" in bad.problem


@pytest.mark.django_db
def test_audit_tail_truncation_detected(users):
    if connection.vendor == "postgresql":
        pytest.skip("DELETE is refused on PostgreSQL")
    for i in range(3):
        record("view", user=users["caseworker"], object_type="case", object_id=i)
    seal_pending()
    AuditEntry.objects.order_by("-id").first().delete()
    assert not verify_chain().ok
    # Sealing again does not paper over the removal.
    seal_pending()
    assert not verify_chain().ok


@pytest.mark.django_db
def test_audit_late_commit_is_sealed_in_a_later_batch(users):
    """An entry with a lower id that becomes visible after a seal run is chained by the next run."""
    first = record("view", user=users["caseworker"], object_type="case", object_id=1)
    later = record("view", user=users["caseworker"], object_type="case", object_id=2)
    # Simulate PostgreSQL's id-before-commit: seal only the later entry, as if the first were
    # still uncommitted when the sealer looked.
    AuditSeal.objects.create(
        seq=1, entry=later, prev_hash="0" * 64, hash=_first_link(later), sealed_at=later.at
    )
    report = verify_chain()
    assert report.ok and report.checked == 1 and report.unsealed == 1
    assert seal_pending() == 1
    assert AuditSeal.objects.get(entry=first).seq == 2
    report = verify_chain()
    assert report.ok and report.checked == 2 and report.unsealed == 0


@pytest.mark.django_db
def test_audit_background_sealing_looks_at_recent_ids_only(users):
    """The frequent background run scans a window of recent ids; the full run catches the rest."""
    old = [record("view", user=users["caseworker"], object_type="case", object_id=i) for i in range(2)]
    newest = record("view", user=users["caseworker"], object_type="case", object_id=9)
    AuditSeal.objects.create(
        seq=1, entry=newest, prev_hash="0" * 64, hash=_first_link(newest), sealed_at=newest.at
    )
    assert seal_pending(window=1) == 0  # both older entries lie below the window
    assert verify_chain().unsealed == 2
    assert seal_pending() == 2
    assert sorted(AuditSeal.objects.filter(seq__gt=1).values_list("entry_id", flat=True)) == [
        e.pk for e in old
    ]
    assert verify_chain().ok and verify_chain().unsealed == 0


def _first_link(entry: AuditEntry) -> str:
    from vigil.server.audit.log import _content_hash

    return _content_hash("0" * 64, entry)


@pytest.mark.django_db
def test_audit_is_append_only_on_postgresql(users):
    if connection.vendor != "postgresql":
        pytest.skip("the trigger exists on PostgreSQL only; SQLite relies on the hash chain")
    entry = record("view", user=users["caseworker"], object_type="case", object_id=1)
    assert seal_pending() == 1
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(reason="x")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
        cur.execute("DELETE FROM audit_auditentry")
    # The chain itself is insert-only too.
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditSeal.objects.filter(entry=entry).update(hash="f" * 64)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
        cur.execute("DELETE FROM audit_auditseal")
    assert AuditEntry.objects.filter(pk=entry.pk, reason="").exists()
    report = verify_chain()
    assert report.ok and report.checked == 1


@pytest.mark.django_db
def test_stale_save_refused_at_model_level(users):
    case = make_case(users["caseworker"])
    a = Case.objects.get(pk=case.pk)
    b = Case.objects.get(pk=case.pk)
    a.save_versioned(1, {"sector": "F"})
    with pytest.raises(StaleEdit) as err:
        b.save_versioned(1, {"sector": "C"})
    assert err.value.current_version == 2
    assert Case.objects.get(pk=case.pk).sector == "F"


@pytest.mark.django_db(transaction=True)
def test_parallel_saves_lose_no_update(orgs):
    """Many threads edit one case at once, each retrying on StaleEdit: every edit lands once."""
    owner = make_user("racer", "caseworker", orgs["a"])
    case = make_case(owner, doc="RACE-1")
    n_threads, per_thread = 8, 5
    errors: list[BaseException] = []

    def worker(idx: int) -> None:
        from django.db import connection as conn

        try:
            for _ in range(per_thread):
                while True:
                    current = Case.objects.get(pk=case.pk)
                    types = [*current.exploitation_types, f"t{idx}"]
                    try:
                        with transaction.atomic():
                            current.save_versioned(current.version, {"exploitation_types": types})
                            record(
                                "update", user=owner, obj=current, detail={"fields": ["exploitation_types"]}
                            )
                        break
                    except StaleEdit:
                        continue
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            conn.close()

    done = threading.Event()

    def sealer() -> None:  # seals while the writers commit, as the scheduled job would
        from django.db import connection as conn

        try:
            while not done.is_set():
                seal_pending()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n_threads)]
    sealing = threading.Thread(target=sealer)
    sealing.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    sealing.join()
    assert not errors, errors
    final = Case.objects.get(pk=case.pk)
    assert final.version == 1 + n_threads * per_thread
    assert sorted(final.exploitation_types) == sorted(
        f"t{i}" for i in range(n_threads) for _ in range(per_thread)
    )
    seal_pending()
    report = verify_chain()
    assert report.ok and report.unsealed == 0 and report.checked == AuditEntry.objects.count()
    assert AuditEntry.objects.filter(action="update").count() == n_threads * per_thread
