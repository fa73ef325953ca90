"""A data-subject access request carries the labour-inspection interviews about the person (the
interviews that referred the worker into a case), and each interview's audit trail shows it."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import pyzipper
from tests.server.conftest import client_for

from vigil.server.audit.models import AuditEntry
from vigil.server.disclosures import packaging
from vigil.server.disclosures.models import ExportFile
from vigil.server.inspections import services
from vigil.server.inspections.models import Interview, Workplace
from vigil.server.referrals.models import DataSharingAgreement, ServiceProvider

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def data_dir(settings: Any, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path
    return tmp_path


def read_zip(export_id: int, password: str) -> dict[str, str]:
    path = packaging.path_of(ExportFile.objects.get(pk=export_id).file_name)
    with pyzipper.AESZipFile(path) as zf:
        zf.setpassword(password.encode())
        return {name: zf.read(name).decode("utf-8") for name in zf.namelist()}


def test_the_access_request_holds_the_inspection_interviews(users, orgs):
    wp = Workplace.objects.create(organisation=orgs["a"], name="Dye Works", sector="13")
    visit = services.add_visit(
        users["inspection_lead"], wp, scheduled_on=date(2026, 5, 1), inspectors=[users["inspector"]]
    )
    answers = {"ILO11.07": True, "ILO11.08": True, "WD01": True, "PN03": True}
    referred = services.record_interview(
        visit,
        users["inspector"],
        held_in_private=True,
        answers=answers,
        age=31,
        worker_name="Lemlem Tesfaye",
        worker_contact="+251 911 000",
        notes="kept passports in the office",
        language="ti",
    )
    other = services.record_interview(
        visit,
        users["inspector"],
        held_in_private=True,
        answers={"ILO11.01": True},
        worker_name="Someone Else",
    )
    shelter = ServiceProvider.objects.create(
        organisation=orgs["b"], name="Safe House", service_type="shelter"
    )
    DataSharingAgreement.objects.create(
        discloser=orgs["a"],
        recipient=orgs["b"],
        legal_basis="MoU",
        fields=["given_name", "primary_language"],
        signed_on=date(2025, 1, 1),
    )
    services.refer_worker(referred, users["inspector"], provider=shelter, consent_given=True)
    person = Interview.objects.get(pk=referred.pk).case.person
    api = client_for(users["supervisor"])
    r = api.post(
        "/api/subject-requests/",
        {"person": person.pk, "kind": "access", "channel": "in_person", "verification": "document_seen"},
        format="json",
    )
    assert r.status_code == 201, r.content
    r = api.post(f"/api/subject-requests/{r.json()['id']}/access/")
    assert r.status_code == 201, r.content
    body = r.json()
    assert "inspection_interviews.worker_name" in body["fields"]
    files = read_zip(body["id"], body["password"])
    record = json.loads(files["record.json"])
    (itv,) = record["cases"][0]["inspection_interviews"]
    assert itv["worker_name"] == "Lemlem Tesfaye" and itv["notes"] == "kept passports in the office"
    assert itv["category"] == referred.category and itv["answers"] == answers
    assert "Lemlem Tesfaye" in files["record.txt"] and "kept passports" in files["record.txt"]
    assert "Someone Else" not in "".join(files.values())  # another worker of the same visit
    entry = AuditEntry.objects.get(action="subject_access", object_type="person")
    assert entry.detail["inspection_interviews"] == [referred.pk]
    trail = AuditEntry.objects.exclude(object_type="person").get(
        action="subject_access", object_id=str(referred.pk)
    )
    assert trail.object_type != "person" and trail.detail["export"] == body["id"]
    assert set(trail.detail["fields"]) == {"worker_name", "worker_contact", "notes"}
    assert (
        not AuditEntry.objects.filter(action="subject_access", object_id=str(other.pk))
        .exclude(object_type="person")
        .exists()
    )
    assert "Lemlem" not in json.dumps(list(AuditEntry.objects.values("detail")), default=str)
