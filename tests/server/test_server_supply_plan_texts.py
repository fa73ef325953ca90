"""The corrective plan's texts about workers (why engaging failed, what happens to the workers)
are encrypted at rest, read back through the page and the API with the read audited naming
them, and the migration that introduced the encryption encrypts the rows stored before."""

from __future__ import annotations

import importlib

import pytest
from django.db import connection
from django.test import Client
from tests.server.conftest import client_for

from vigil.server.audit.models import AuditEntry
from vigil.server.cases.identity_guard import PLAIN_TEXT_FIELDS
from vigil.server.crypto import is_ciphertext
from vigil.server.supply import services
from vigil.server.supply.models import CorrectivePlan, Entity

pytestmark = pytest.mark.django_db

WHY = "Owner refused twice to return the passports of Mrs Rahman's team"
WORKERS = "Back wages for the 40 spinners paid before exit; Ms Akter helps them find work"


def _plan(users, orgs) -> CorrectivePlan:
    farm = Entity.objects.create(organisation=orgs["a"], ref="T3", name="Cotton Farm", kind="supplier")
    return services.open_plan(
        farm,
        users["compliance"],
        title="Exit",
        action="disengage",
        why_engaging_failed=WHY,
        plan_for_workers=WORKERS,
    )


def _raw() -> list[tuple[str, str]]:
    with connection.cursor() as cur:
        cur.execute("select why_engaging_failed, plan_for_workers from supply_correctiveplan")
        return cur.fetchall()


def test_no_plain_text_entry_left_for_the_plan_texts():
    assert "supply.CorrectivePlan.why_engaging_failed" not in PLAIN_TEXT_FIELDS
    assert "supply.CorrectivePlan.plan_for_workers" not in PLAIN_TEXT_FIELDS


def test_texts_encrypted_at_rest_and_reads_audited(users, orgs):
    plan = _plan(users, orgs)
    ((why, workers),) = _raw()
    assert is_ciphertext(why) and is_ciphertext(workers) and "Rahman" not in why + workers
    assert CorrectivePlan.objects.get(pk=plan.pk).plan_for_workers == WORKERS
    c = Client()
    c.force_login(users["compliance"])
    assert "Ms Akter" in c.get(f"/supply/plans/{plan.pk}/").content.decode()
    page = AuditEntry.objects.filter(action="view", object_type="correctiveplan", via="web").get()
    assert page.detail["fields"] == ["why_engaging_failed", "plan_for_workers"]
    api = client_for(users["compliance"])
    assert api.get(f"/api/supply/plans/{plan.pk}/").json()["why_engaging_failed"] == WHY
    assert AuditEntry.objects.get(action="view", object_type="supply_plan").detail["fields"] == [
        "why_engaging_failed",
        "plan_for_workers",
    ]
    listed = api.get("/api/supply/plans/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert rows[0]["plan_for_workers"] == WORKERS
    entry = AuditEntry.objects.get(action="list", object_type="supply_plan")
    assert entry.detail["fields"] == ["why_engaging_failed", "plan_for_workers"] and entry.detail["ids"] == [
        plan.pk
    ]
    # another company sees nothing of it
    assert client_for(users["compliance_b"]).get(f"/api/supply/plans/{plan.pk}/").status_code == 404


def test_the_migration_encrypts_rows_stored_in_plain_text_and_reverses(users, orgs):
    plan = _plan(users, orgs)
    with connection.cursor() as cur:  # a row as stored before the migration
        cur.execute(
            "update supply_correctiveplan set why_engaging_failed = %s, plan_for_workers = %s where id = %s",
            [WHY, "", plan.pk],
        )
    migration = importlib.import_module("vigil.server.supply.migrations.0003_plan_texts_encrypted")

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection  # type: ignore[attr-defined]
    migration.encrypt(None, editor)
    ((why, workers),) = _raw()
    assert is_ciphertext(why) and workers == ""
    assert CorrectivePlan.objects.get(pk=plan.pk).why_engaging_failed == WHY
    migration.encrypt(None, editor)  # a rerun changes nothing
    assert _raw() == [(why, "")]
    migration.decrypt(None, editor)
    assert _raw() == [(WHY, "")]
