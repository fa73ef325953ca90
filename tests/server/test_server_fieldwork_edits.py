"""Edited submissions (issue 13): ODK Collect, Enketo and KoboToolbox give an edited submission a
new instance id and ``meta/deprecatedID`` = the version it replaces. Stored on the server, the
edit replaces the earlier field screening in place (audited) instead of adding a second one; a
second import of either version adds nothing and never undoes the edit."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from vigil.forms import build_form
from vigil.forms.questions import plan
from vigil.rules import assess, load_ruleset
from vigil.server.audit.models import AuditEntry
from vigil.server.cases.models import Case
from vigil.server.fieldwork.models import FieldScreening, FieldScreeningVersion, FieldUpload

pytestmark = pytest.mark.django_db
RID = "ilo-11"
A, B, C = (f"0b6c5a1e-0000-4000-8000-00000000000{i}" for i in (1, 2, 3))


def _paths() -> dict[str, str]:
    return {item.key: f"interview/{g.name}/{item.key}" for g in plan(load_ruleset(RID)) for item in g.items}


def kobo(uuid: str, answers: dict[str, str], deprecated: str | None = None) -> bytes:
    """A Kobo API v2 document of one submission (after an edit, Kobo's _uuid is the new one)."""
    paths = _paths()
    sub: dict[str, Any] = {
        "_id": 7,
        "_uuid": uuid,
        "consent": "yes",
        "meta/instanceID": f"uuid:{uuid}",
        "vigil_ruleset": RID,
        "vigil_version": load_ruleset(RID).version,
    }
    if deprecated:
        sub["meta/deprecatedID"] = f"uuid:{deprecated}"
    sub.update({paths[k]: v for k, v in answers.items()})
    return json.dumps({"count": 1, "results": [sub]}).encode()


def central(first: str, instance: str, answers: dict[str, str], deprecated: str | None = None) -> bytes:
    """ODK Central's OData: ``__id`` stays the submission's first instance id, ``meta`` the version's."""
    interview: dict[str, Any] = {}
    for k, path in _paths().items():
        if k in answers:
            _i, group, name = path.split("/")
            interview.setdefault(group, {})[name] = answers[k]
    meta = {
        "instanceID": f"uuid:{instance}",
        **({"deprecatedID": f"uuid:{deprecated}"} if deprecated else {}),
    }
    sub = {
        "__id": f"uuid:{first}",
        "consent": "yes",
        "interview": interview,
        "meta": meta,
        "vigil_ruleset": RID,
        "vigil_version": load_ruleset(RID).version,
        "__system": {"submissionDate": "2026-12-01T10:00:00Z", "edits": 1 if deprecated else 0},
    }
    return json.dumps({"@odata.context": "x", "value": [sub]}).encode()


def send(c: Client, data: bytes, name: str = "subs.json") -> FieldUpload:
    form = build_form(load_ruleset(RID), ["en"]).to_xlsx()
    r = c.post(
        "/fieldwork/upload/",
        {"form": SimpleUploadedFile("f.xlsx", form), "submissions": SimpleUploadedFile(name, data)},
    )
    assert r.status_code == 302, r.content.decode()[:1500]
    return FieldUpload.objects.order_by("-id").first()


def expected(answers: dict[str, str], rid: str) -> dict[str, Any]:
    value = {"yes": True, "no": False, "dont_know": None, "refused": None}
    return assess(
        load_ruleset(RID), {"id": rid, "indicators": {k: value[v] for k, v in answers.items()}},
        why=True,  # the server keeps the explanation tree beside decided_by
    ).to_dict()


def client(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


FIRST = {"ILO11.01": "no", "ILO11.02": "no"}
EDITED = {"ILO11.01": "yes", "ILO11.02": "yes", "ILO11.03": "yes"}


@pytest.mark.parametrize("shape", ["kobo", "central"])
def test_an_edited_submission_replaces_the_earlier_screening(users, shape):
    c = client(users["caseworker"])
    if shape == "kobo":
        original, edit, rid = kobo(A, FIRST), kobo(B, EDITED, deprecated=A), A
    else:
        original, edit, rid = central(A, A, FIRST), central(A, B, EDITED, deprecated=A), A
    send(c, original)
    fs = FieldScreening.objects.get()
    case_id = fs.case_id
    assert fs.determination == expected(FIRST, rid)
    up = send(c, edit)
    assert (up.stored, up.replaced, up.new_cases, up.already_stored) == (1, 1, 0, 0)
    assert FieldScreening.objects.count() == 1 and Case.objects.count() == 1
    fs.refresh_from_db()
    assert fs.case_id == case_id and fs.submission_id == A  # the same screening, on the same case
    assert fs.answers["indicators"] == {"ILO11.01": True, "ILO11.02": True, "ILO11.03": True}
    assert fs.determination["outcome"] == expected(EDITED, rid)["outcome"]
    assert fs.determination["outcome"] != expected(FIRST, rid)["outcome"]
    assert sorted(FieldScreeningVersion.objects.values_list("instance_id", flat=True)) == [A, B]
    entry = AuditEntry.objects.filter(action="update", object_id=str(fs.pk)).get()
    assert entry.detail["replaces_version"] == A and entry.detail["version"] == B
    assert entry.detail["outcome_before"] != entry.detail["outcome"]
    # idempotent: the edit again, and the old export again, add and change nothing
    for data in (edit, original):
        up = send(c, data)
        assert (up.stored, up.replaced, up.already_stored) == (0, 0, 1)
    fs.refresh_from_db()
    assert fs.answers["indicators"]["ILO11.03"] is True and FieldScreening.objects.count() == 1
    # a second edit of the edit (A -> B -> C)
    third = {"ILO11.01": "no"}
    data = kobo(C, third, deprecated=B) if shape == "kobo" else central(A, C, third, deprecated=B)
    up = send(c, data)
    assert up.replaced == 1 and FieldScreening.objects.count() == 1
    fs.refresh_from_db()
    assert fs.answers["indicators"] == {"ILO11.01": False}
    for data in (original, edit):  # an older version never comes back
        assert send(c, data).already_stored == 1
    fs.refresh_from_db()
    assert fs.answers["indicators"] == {"ILO11.01": False}


def test_an_edit_arriving_before_its_original(users):
    c = client(users["caseworker"])
    send(c, kobo(B, EDITED, deprecated=A))
    fs = FieldScreening.objects.get()
    assert fs.submission_id == B
    up = send(c, kobo(A, FIRST))  # the earlier version, from an older export
    assert (up.stored, up.already_stored) == (0, 1)
    fs.refresh_from_db()
    assert fs.answers["indicators"]["ILO11.03"] is True and FieldScreening.objects.count() == 1


def test_the_edit_and_its_original_in_one_file(users):
    """Both versions in one export (a hand-merged file): one screening, the edit's answers."""
    c = client(users["caseworker"])
    first = json.loads(kobo(A, FIRST))["results"][0]
    second = json.loads(kobo(B, EDITED, deprecated=A))["results"][0]
    up = send(c, json.dumps({"results": [first, second]}).encode())
    assert (up.stored, up.replaced, up.new_cases) == (2, 1, 1)
    fs = FieldScreening.objects.get()
    assert fs.answers["indicators"]["ILO11.03"] is True


def test_a_chain_in_one_file_out_of_order(users):
    """A -> B -> C in one file as C, A, B: processed in chain order (vigil.forms.versions), one
    screening with C's answers, and a second upload adds nothing."""
    c = client(users["caseworker"])
    third = {"ILO11.01": "no"}
    subs = {
        u: json.loads(kobo(u, answers, deprecated=dep))["results"][0]
        for u, answers, dep in ((A, FIRST, None), (B, EDITED, A), (C, third, B))
    }
    data = json.dumps({"results": [subs[C], subs[A], subs[B]]}).encode()
    up = send(c, data)
    assert (up.stored, up.replaced, up.new_cases) == (3, 2, 1)
    fs = FieldScreening.objects.get()
    assert fs.submission_id == A and fs.answers["indicators"] == {"ILO11.01": False}
    assert sorted(FieldScreeningVersion.objects.values_list("instance_id", flat=True)) == sorted([A, B, C])
    up = send(c, data)
    assert (up.stored, up.replaced, up.already_stored) == (0, 0, 3)
    assert FieldScreening.objects.count() == 1


def test_edits_stay_within_the_organisation(users):
    """Another organisation's stored version is never replaced: it is their screening."""
    send(client(users["caseworker"]), kobo(A, FIRST))
    other = users["caseworker_b"]
    up = send(client(other), kobo(B, EDITED, deprecated=A))
    assert up.replaced == 0 and up.new_cases == 1
    assert FieldScreening.objects.count() == 2
    mine = FieldScreening.objects.get(submission_id=A)
    assert mine.answers["indicators"] == {"ILO11.01": False, "ILO11.02": False}


# --- field screenings on the case page ---------------------------------------------------------


def test_case_page_lists_its_field_screenings_to_those_who_may_read_the_case(users):
    from django.template import Context, Template
    from django.test import RequestFactory

    from vigil.server import scoping

    send(client(users["caseworker"]), kobo(A, FIRST))
    fs = FieldScreening.objects.get()
    other_case = Case.objects.create(
        organisation=fs.case.organisation, owner=users["caseworker"], person=fs.case.person
    )
    seen = {}
    for name, user in users.items():
        r = client(user).get(f"/cases/{fs.case_id}/")
        readable = scoping.cases_for(user).filter(pk=fs.case_id).exists()
        assert (r.status_code == 200) == readable, name
        if r.status_code == 200:
            text = r.content.decode()
            assert 'id="case-field-screenings"' in text and A in text, name
            seen[name] = True
    assert seen.get("caseworker") and "caseworker_b" not in seen  # the owner yes, another organisation no
    # another case of the same person shows none of them
    text = client(users["caseworker"]).get(f"/cases/{other_case.pk}/").content.decode()
    assert 'id="case-field-screenings"' not in text and A not in text
    # the panel checks the reader itself, whatever page includes it
    tpl = Template('{% include "fieldwork/_case_panel.html" %}')
    for name in ("caseworker", "caseworker_b"):
        request = RequestFactory().get("/")
        request.user = users[name]
        out = tpl.render(Context({"request": request, "case": fs.case}))
        assert (A in out) == (name == "caseworker"), name


def test_case_page_field_screenings_in_spanish_and_arabic(users):
    send(client(users["caseworker"]), kobo(B, EDITED))
    fs = FieldScreening.objects.get()
    for lang, title in (("es", "Cribados de campo"), ("ar", "عمليات الفرز الميداني")):
        c = client(users["caseworker"])
        c.cookies["django_language"] = lang
        text = c.get(f"/cases/{fs.case_id}/", HTTP_ACCEPT_LANGUAGE=lang).content.decode()
        assert title in text, lang
