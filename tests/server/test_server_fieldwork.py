"""Field submissions on the server: a Kobo or ODK Central export uploaded with its XLSForm, each
consented person screened in batch and stored on a case or a new intake, idempotent by
submission UUID, all or nothing per file; pages in fr/es/ar; permissions."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from tests.forms.synth import answers, kobo_csv, kobo_json_repeat, visits
from tests.server.conftest import client_for

from vigil.forms import build_form
from vigil.rules import assess_columns, load_ruleset
from vigil.rules.records import encode_record
from vigil.server.audit.models import AuditEntry
from vigil.server.cases.models import Case, Person
from vigil.server.fieldwork.models import FieldScreening, FieldUpload

pytestmark = pytest.mark.django_db


def form_bytes(rid: str, **kw: Any) -> bytes:
    return build_form(load_ruleset(rid), ["en", "fr"], **kw).to_xlsx()


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def expected(rid: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from vigil.io.records import ColumnBuilder

    rs = load_ruleset(rid)
    b = ColumnBuilder()
    for r in records:
        b.add(encode_record(r, rs.record_keys(), rs.id))
    # what ``vigil assess`` gives, with the explanation tree the server keeps for display (why=True)
    return [d.to_dict() for d in assess_columns(rs, b.build(), "unknown", why=True)]


def page(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_upload_page_stores_new_intakes_like_assess_and_a_second_upload_adds_nothing(users, tmp_path: Path):
    rid = "ilo-2012-forced-labour"
    rs = load_ruleset(rid)
    subs = answers(rs, 40, seed=11)
    kobo_csv(subs, rs, tmp_path / "k.csv")
    data = (tmp_path / "k.csv").read_bytes()
    user = users["caseworker"]
    c = page(user)
    r = c.post(
        "/fieldwork/upload/",
        {"form": upload("fl.xlsx", form_bytes(rid)), "submissions": upload("kobo.csv", data)},
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    up = FieldUpload.objects.get()
    assert (up.submissions, up.stored, up.already_stored, up.new_cases) == (40, 40, 0, 40)
    assert up.form_id == "vigil-ilo-2012-forced-labour-2012.1" and up.kind == "csv"  # never the file name
    stored = list(FieldScreening.objects.order_by("id"))
    want = expected(rid, [s["__record"] for s in subs])
    assert [fs.determination for fs in stored] == want  # the batch determination, as vigil assess
    assert [fs.submission_id for fs in stored] == [s["uuid"] for s in subs]
    assert all(fs.case.organisation_id == user.organisation_id and fs.case.owner == user for fs in stored)
    assert len({fs.case_id for fs in stored}) == 40
    assert stored[0].answers == {k: v for k, v in subs[0]["__record"].items() if k != "id"}
    detail = c.get(r["Location"])
    assert detail.status_code == 200 and stored[0].case.reference in detail.content.decode()
    # again: nothing new
    r = c.post(
        "/fieldwork/upload/",
        {"form": upload("fl.xlsx", form_bytes(rid)), "submissions": upload("kobo.csv", data)},
    )
    assert r.status_code == 302
    again = FieldUpload.objects.order_by("-id").first()
    assert again is not None and (again.stored, again.already_stored, again.new_cases) == (0, 40, 0)
    assert FieldScreening.objects.count() == 40 and Case.objects.filter(owner=user).count() == 40
    # audited: a create per person, case and screening, and the upload; no identity in the log
    assert AuditEntry.objects.filter(object_type="fieldscreening", action="create").count() == 40
    assert AuditEntry.objects.filter(object_type="fieldupload", action="create").count() == 2


def test_a_bad_file_stores_nothing_and_names_row_and_column(users, tmp_path: Path):
    rid = "ilo-11"
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";")
    w.writerows(
        [["_uuid", "consent", "interview/g_ILO11/ILO11.01"], ["u1", "yes", "yes"], ["u2", "yes", "maybe"]]
    )
    c = page(users["caseworker"])
    for lang in ("en", "fr", "es", "ar"):
        r = c.post(
            "/fieldwork/upload/",
            {
                "form": upload("f.xlsx", form_bytes(rid)),
                "submissions": upload("bad.csv", buf.getvalue().encode()),
            },
            HTTP_ACCEPT_LANGUAGE=lang,
        )
        assert r.status_code == 400
        text = r.content.decode()
        assert "bad.csv, row 3, column interview/g_ILO11/ILO11.01: unknown choice &#x27;maybe&#x27;" in text
        assert f'lang="{lang}"' in text
    assert FieldUpload.objects.count() == 0 and FieldScreening.objects.count() == 0
    assert Case.objects.count() == 0 and Person.objects.count() == 0


def test_the_upload_page_speaks_french_spanish_and_arabic(users):
    c = page(users["caseworker"])
    for lang, title in (
        ("fr", "Téléverser des soumissions de terrain"),
        ("es", "Subir envíos de campo"),
        ("ar", "رفع الاستمارات الميدانية"),
    ):
        r = c.get("/fieldwork/upload/", HTTP_ACCEPT_LANGUAGE=lang)
        assert r.status_code == 200
        text = r.content.decode()
        assert title in text, lang
        assert ('dir="rtl"' in text) == (lang == "ar")


def test_repeat_visit_to_one_case_with_identity_encrypted_on_intake(users, tmp_path: Path, cases):
    rid = "palermo-2000"
    rs = load_ruleset(rid)
    vs = visits(rs, 6, seed=3)
    next(g for _, g in vs if g)[0]["consent"] = "yes"
    kobo_json_repeat(vs, rs, tmp_path / "k.json")
    doc = json.loads((tmp_path / "k.json").read_text("utf-8"))
    # identity collected with the form for the first person of the first visit with people
    first = next(r for r in doc["results"] if r.get("workers"))
    first["workers"][0]["workers/interview/identity/person_name"] = "Zainab Fieldtest"
    first["workers"][0]["workers/interview/identity/phone"] = "+212 600 000 111"
    data = json.dumps(doc).encode()
    api = client_for(users["caseworker"])
    fb = form_bytes(rid, repeat="workers", with_identity=True)
    r = api.post(
        "/api/fieldwork/uploads/",
        {"form": upload("f.xlsx", fb), "submissions": upload("k.json", data)},
        format="multipart",
    )
    assert r.status_code == 201, r.content
    body = r.json()
    people = [p for _, g in vs for p in g if p["consent"] == "yes"]
    assert [s["submission_id"] for s in body["screenings"]] == [p["__record"]["id"] for p in people]
    assert [s["determination"] for s in body["screenings"]] == expected(rid, [p["__record"] for p in people])
    assert body["new_cases"] == len(people)
    person = Case.objects.get(pk=body["screenings"][0]["case"]).person
    assert (person.given_name, person.phone) == ("Zainab Fieldtest", "+212 600 000 111")
    assert Person.objects.filter(phone_index=Person.index_phone("+212 600 000 111")).count() == 1
    with connection.cursor() as cur:
        cur.execute("SELECT given_name, phone FROM cases_person WHERE id = %s", [person.pk])
        raw = cur.fetchone()
    assert "Zainab" not in raw[0] and "600" not in raw[1]  # encrypted at rest
    others = Case.objects.get(pk=body["screenings"][1]["case"]).person
    assert others.given_name == "" and others.phone == ""
    assert "Zainab" not in r.content.decode()
    # the same file attached to one case: everything already stored, nothing attached twice
    case = cases["a_caseworker"]
    r = api.post(
        "/api/fieldwork/uploads/",
        {"form": upload("f.xlsx", fb), "submissions": upload("k.json", data), "case": case.pk},
        format="multipart",
    )
    assert r.status_code == 201 and r.json()["already_stored"] == len(people) and r.json()["stored"] == 0
    # a new visit attached to that case
    vs2 = visits(rs, 3, seed=99)
    kobo_json_repeat(vs2, rs, tmp_path / "k2.json")
    r = api.post(
        "/api/fieldwork/uploads/",
        {
            "form": upload("f.xlsx", fb),
            "submissions": upload("k2.json", (tmp_path / "k2.json").read_bytes()),
            "case": case.pk,
        },
        format="multipart",
    )
    assert r.status_code == 201
    n = sum(p["consent"] == "yes" for _, g in vs2 for p in g)
    assert r.json()["new_cases"] == 0 and FieldScreening.objects.filter(case=case).count() == n


def test_api_refusals(users, cases):
    api = client_for(users["caseworker"])
    bad = json.dumps(
        {"value": [{"__id": "uuid:a", "consent": "yes", "interview": {"g_ILO11": {"ILO11.01": "oui"}}}]}
    ).encode()
    r = api.post(
        "/api/fieldwork/uploads/",
        {"form": upload("f.xlsx", form_bytes("ilo-11")), "submissions": upload("c.json", bad)},
        format="multipart",
    )
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == "submissions"
    assert (
        "c.json, value[0], key interview/g_ILO11/ILO11.01: unknown choice 'oui'"
        in r.json()["errors"][0]["detail"]
    )
    r = api.post(
        "/api/fieldwork/uploads/",
        {"form": upload("f.xlsx", b"not a workbook"), "submissions": upload("c.json", bad)},
        format="multipart",
    )
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "form"
    r = api.post(
        "/api/fieldwork/uploads/",
        {"form": upload("f.xlsx", form_bytes("ilo-11")), "submissions": upload("c.txt", b"x")},
        format="multipart",
    )
    assert r.status_code == 400 and ".csv, .xlsx, .json or .zip" in r.json()["errors"][0]["detail"]
    # a case of another organisation is not found
    r = api.post(
        "/api/fieldwork/uploads/",
        {
            "form": upload("f.xlsx", form_bytes("ilo-11")),
            "submissions": upload("c.json", bad),
            "case": cases["b"].pk,
        },
        format="multipart",
    )
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "case"
    assert FieldUpload.objects.count() == 0


UPLOADERS = {"caseworker", "inspector", "supervisor", "caseworker_b"}


@pytest.mark.parametrize(
    "role",
    [
        "caseworker",
        "inspector",
        "supervisor",
        "caseworker_b",
        "referral_receiver",
        "analyst",
        "administrator",
        "regulator",
        "coordinator",
        "compliance",
    ],
)
def test_permission_cells(users, role, tmp_path: Path):
    """Uploading and reading uploads need case.create; an upload is seen by its organisation only."""
    owner = users["caseworker"]
    rs = load_ruleset("ilo-11")
    subs = answers(rs, 3, seed=1)
    kobo_csv(subs, rs, tmp_path / "k.csv")
    r = client_for(owner).post(
        "/api/fieldwork/uploads/",
        {
            "form": upload("f.xlsx", form_bytes("ilo-11")),
            "submissions": upload("k.csv", (tmp_path / "k.csv").read_bytes()),
        },
        format="multipart",
    )
    assert r.status_code == 201
    up = r.json()["id"]
    c = client_for(users[role])
    listed = c.get("/api/fieldwork/uploads/")
    detail = c.get(f"/api/fieldwork/uploads/{up}/")
    post = c.post("/api/fieldwork/uploads/", {}, format="multipart")
    web = page(users[role]).get("/fieldwork/")
    if role not in UPLOADERS:
        assert (listed.status_code, detail.status_code, post.status_code, web.status_code) == (
            403,
            403,
            403,
            403,
        )
        return
    assert listed.status_code == 200 and post.status_code == 400 and web.status_code == 200
    same_org = users[role].organisation_id == owner.organisation_id
    assert [u["id"] for u in listed.json()] == ([up] if same_org else [])
    assert detail.status_code == (200 if same_org else 404)
    if same_org:
        # the screenings listed are those of cases the user may read (the inspector: own cases only)
        shown = {s["case"] for s in detail.json()["screenings"]}
        from vigil.server import scoping

        assert shown == set(scoping.cases_for(users[role]).filter(pk__in=shown).values_list("pk", flat=True))
        assert (len(shown) == 3) == (role != "inspector")
