"""The visit questionnaire: one definition for the visit page and the XLSForm (checked with
pyxform), a change in it changes both, and the form's submissions come back as interviews of a
visit, once per submission UUID, all or nothing."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
import yaml
from django.test import Client

from vigil.errors import InputError
from vigil.forms import xform
from vigil.inspections import questionnaire as dq
from vigil.server.audit.models import AuditEntry
from vigil.server.inspections import forms as page_forms
from vigil.server.inspections import services
from vigil.server.inspections.models import Interview, Observation, Workplace
from vigil.server.inspections.questionnaire import import_submissions, visit_form

pytestmark = pytest.mark.django_db


def names(form) -> set[str]:
    return {r["name"] for r in form.survey if r.get("name")}


def test_the_form_converts_with_pyxform_in_every_language():
    form = visit_form(["en", "fr", "es", "ar"])
    xml = xform(form)  # raises on a pyxform error or any warning
    q = dq.load_questionnaire()
    for x in q.questions():
        assert f"/{x.name}" in xml or f"{x.name}" in xml, x.name
    assert form.settings["form_id"] == f"vigil-visit-questionnaire-{q.version}"
    # the page's words: the French label of an observation is the page's French label
    row = next(r for r in form.survey if r["name"] == "obs_locked_doors")
    from django.utils import translation

    with translation.override("fr"):
        assert row["label::French (fr)"] == str(page_forms.OBSERVATION_LABELS["locked_doors"])
    sensitive = {r["name"] for r in form.survey if r.get("bind::vigil:sensitive") == "true"}
    assert sensitive == {"worker_name", "worker_contact", "notes"}


def test_a_text_missing_in_a_language_is_refused():
    from vigil.server.inspections.questionnaire import texts

    q = dq.load_questionnaire()
    fr = texts(q, "fr")
    dq.build_visit_form(q, ["en", "fr"], {"en": texts(q, "en"), "fr": fr})
    del fr["obs.guards"]
    with pytest.raises(InputError, match=r"no fr wording for obs\.guards"):
        dq.build_visit_form(q, ["en", "fr"], {"en": texts(q, "en"), "fr": fr})


def test_a_change_in_the_definition_changes_the_page_and_the_form(tmp_path, monkeypatch):
    shipped = Path(str(dq.resources.files("vigil.inspections.data"))) / "visit-questionnaire.yaml"
    data = yaml.safe_load(shipped.read_text("utf-8"))
    before_page = set(page_forms.ObservationsForm().fields) | set(page_forms.InterviewForm().fields)
    before_form = names(visit_form())
    assert {"guards", "interpreter", "q_UR01"} <= before_page
    assert {"obs_guards", "interpreter", "UR01"} <= before_form
    data["observations"].remove("guards")
    data["interview"]["fields"].remove("interpreter")
    data["interview"]["further"] = None
    data["version"] = "test.2"
    changed = tmp_path / "visit-questionnaire.yaml"
    changed.write_text(yaml.safe_dump(data), "utf-8")
    monkeypatch.setattr(page_forms, "questionnaire", lambda: dq.load_questionnaire(changed))
    page = set(page_forms.ObservationsForm().fields) | set(page_forms.InterviewForm().fields)
    form = visit_form()
    assert before_page - page == {"guards", "interpreter"} | {
        f"q_{i}" for i in dq.load_questionnaire().indicator_ids("ilo-2012-forced-labour")
    }
    assert not {"obs_guards", "interpreter", "UR01"} & names(form)
    assert "obs_locked_doors" in names(form) and "ILO11.07" in names(form)
    assert form.settings["version"] == "test.2"
    xform(form)


def test_a_definition_that_asks_migration_status_is_refused(tmp_path):
    bad = tmp_path / "q.yaml"
    bad.write_text(
        "id: q\nversion: '1'\nobservations: []\ninterview: {fields: [held_in_private, stay_compliant]}\n",
        "utf-8",
    )
    with pytest.raises(InputError, match="migration"):
        dq.load_questionnaire(bad)


@pytest.fixture
def visit(orgs, users):
    wp = Workplace.objects.create(organisation=orgs["a"], name="Quarry", sector="B")
    return services.add_visit(
        users["inspection_lead"], wp, scheduled_on=date(2026, 5, 1), inspectors=[users["inspector"]]
    )


CSV = (
    "_uuid;held_in_private;observations/obs_locked_doors;observations/obs_guards;"
    "interview/age;interview/worker_name;interview/g_checklist/ILO11.07;interview/g_checklist/ILO11.03;"
    "interview/g_further/WD01\n"
    "uuid:aaa-1;yes;yes;;30;Ana Quarry;yes;dont_know;\n"
    "bbb-2;yes;;no;17;;no;no;\n"
    "ccc-3;no;;;;;;;\n"
)


def test_submissions_come_back_as_interviews_once_per_uuid(visit, users, tmp_path):
    f = tmp_path / "export.csv"
    f.write_text(CSV, "utf-8")
    got = import_submissions(visit, users["inspector"], f)
    assert (got.read, got.created, got.skipped, got.not_private) == (3, 2, 0, 1)
    itvs = {i.submission_uuid: i for i in Interview.objects.filter(visit=visit)}
    assert set(itvs) == {"aaa-1", "bbb-2"}
    first = itvs["aaa-1"]
    assert first.worker_name == "Ana Quarry" and first.answers == {"ILO11.07": True}  # dont_know: not asked
    assert first.category and first.ruleset  # screened on import
    assert float(itvs["bbb-2"].age) == 17
    obs = {o.kind: o.present for o in Observation.objects.filter(visit=visit)}
    assert obs == {"locked_doors": True, "guards": False}
    assert AuditEntry.objects.filter(action="create", object_id=str(first.pk)).exists()
    again = import_submissions(visit, users["inspector"], f)
    assert (again.created, again.skipped) == (0, 3 - 1)
    assert Interview.objects.filter(visit=visit).count() == 2


def test_a_bad_cell_stores_nothing_and_names_the_place(visit, users, tmp_path):
    f = tmp_path / "export.csv"
    f.write_text(CSV.replace("30;Ana", "300;Ana"), "utf-8")
    with pytest.raises(InputError) as err:
        import_submissions(visit, users["inspector"], f)
    assert "age" in str(err.value) and "row 2" in str(err.value)
    f.write_text(CSV.replace("bbb-2;yes;;no", "bbb-2;yes;;maybe"), "utf-8")
    with pytest.raises(InputError, match="obs_guards"):
        import_submissions(visit, users["inspector"], f)
    f.write_text(CSV.replace("interview/g_further/WD01", "interview/stay_compliant"), "utf-8")
    with pytest.raises(InputError, match="unknown question"):
        import_submissions(visit, users["inspector"], f)
    assert not Interview.objects.filter(visit=visit).exists()
    assert not Observation.objects.filter(visit=visit).exists()


def test_the_download_is_for_the_inspectorate(users):
    from openpyxl import load_workbook

    c = Client()
    c.force_login(users["inspector"])
    r = c.get("/inspections/visit-form.xlsx?lang=fr,en")
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.content))
    head = [c.value for c in wb["survey"][1]]
    assert "label::French (fr)" in head
    assert c.get("/inspections/visit-form.xlsx?lang=xx").status_code == 400
    for role in ("caseworker", "analyst", "referral_receiver", "compliance"):
        other = Client()
        other.force_login(users[role])
        assert other.get("/inspections/visit-form.xlsx").status_code == 403, role
