"""``vigil inspections import`` into the server's database (all or nothing, recruiters linked to
the agency registry) and ``vigil inspections plan`` from it."""

from __future__ import annotations

import importlib
import json
from datetime import date
from pathlib import Path

import pytest

from vigil.server.accounts.models import Organisation
from vigil.server.inspections.models import Workplace
from vigil.server.recruitment.models import Agency, Licence

pytestmark = pytest.mark.django_db(transaction=True)
cli = importlib.import_module("vigil.cli.main")


def run(args, capsys):
    try:
        cli.main(args)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return (code, *capsys.readouterr())


@pytest.fixture
def inspectorate():
    return Organisation.objects.create(name="Inspectorate North", kind="labour_inspectorate", country="FRA")


def test_import_links_recruiters_and_updates(tmp_path: Path, capsys, inspectorate) -> None:
    ok = Agency.objects.create(legal_name="Fair Jobs", registration_number="AG-1", country="FRA")
    Licence.objects.create(agency=ok, number="L-1", issuer="Ministry", valid_from=date(2020, 1, 1))
    Agency.objects.create(legal_name="Shady Ltd", registration_number="AG-2", country="FRA")  # no licence
    reg = tmp_path / "reg.csv"
    reg.write_text(
        "registration_number,name,sector,region,recruiters,address\n"
        "R-1,Green Farm,0111,north,AG-1;AG-2;AG-9,Route 5\n"
        "R-2,Corner Shop,G,south,,\n",
        encoding="utf-8",
    )
    code, out, err = run(["inspections", "import", str(reg)], capsys)
    assert code == 0, err
    assert out == "reg.csv: 2 workplace(s) created, 0 updated (Inspectorate North)\n"
    farm = Workplace.objects.get(registration_number="R-1")
    assert farm.organisation == inspectorate
    assert {a.registration_number for a in farm.recruiters.all()} == {"AG-1", "AG-2"}
    assert farm.unregistered_recruiters == 1  # AG-9 is not in the registry
    assert farm.address == "Route 5"
    reg.write_text("registration_number,name,sector,region\nR-1,Green Farm Co,0111,north\n", encoding="utf-8")
    code, out, err = run(["inspections", "import", str(reg)], capsys)
    assert code == 0 and "0 workplace(s) created, 1 updated" in out
    assert Workplace.objects.get(registration_number="R-1").name == "Green Farm Co"
    code, out, err = run(["inspections", "plan", "--format", "jsonl"], capsys)
    assert code == 0, err
    lines = [json.loads(x) for x in out.splitlines()]
    assert [x["name"] for x in lines] == ["Green Farm Co", "Corner Shop"]


def test_import_is_all_or_nothing(tmp_path: Path, capsys, inspectorate) -> None:
    reg = tmp_path / "reg.csv"
    reg.write_text("registration_number,name,sector\nR-1,Farm,A\nR-2,Shop,G\nR-3,Bad,Q9\n", encoding="utf-8")
    code, out, err = run(["inspections", "import", str(reg)], capsys)
    assert code == 2 and out == ""
    assert err.startswith("vigil: reg.csv, row 4, column sector")
    assert Workplace.objects.count() == 0


def test_import_needs_to_know_the_inspectorate(tmp_path: Path, capsys, inspectorate) -> None:
    Organisation.objects.create(name="Inspectorate South", kind="labour_inspectorate")
    reg = tmp_path / "reg.csv"
    reg.write_text("name,sector\nFarm,A\n", encoding="utf-8")
    code, out, err = run(["inspections", "import", str(reg)], capsys)
    assert code == 2 and out == "" and "--organisation" in err
    code, _out, err = run(["inspections", "import", "--organisation", "Inspectorate South", str(reg)], capsys)
    assert code == 0, err
    assert Workplace.objects.get().organisation.name == "Inspectorate South"


def test_form_and_submissions_commands(tmp_path: Path, capsys, users, orgs) -> None:
    from openpyxl import load_workbook

    from vigil.server.inspections import services
    from vigil.server.inspections.models import Interview

    out = tmp_path / "visit.xlsx"
    code, stdout, _err = run(["inspections", "form", "--out", str(out), "--lang", "en,ar"], capsys)
    assert code == 0 and "vigil-visit-questionnaire-" in stdout
    head = [c.value for c in load_workbook(out)["survey"][1]]
    assert "label::Arabic (ar)" in head
    code, _o, err = run(["inspections", "form", "--out", str(tmp_path / "x.xlsx"), "--lang", "xx"], capsys)
    assert code == 2 and "xx" in err and not (tmp_path / "x.xlsx").exists()
    wp = Workplace.objects.create(organisation=orgs["a"], name="Tea Estate", sector="A")
    visit = services.add_visit(
        users["inspection_lead"], wp, scheduled_on=date(2026, 5, 1), inspectors=[users["inspector"]]
    )
    sub = tmp_path / "kobo.csv"
    sub.write_text("_uuid;held_in_private;interview/g_checklist/ILO11.07\nu-1;yes;yes\n", "utf-8")
    args = ["inspections", "submissions", "--visit", str(visit.pk), "--user", "inspector", str(sub)]
    code, stdout, _err = run(args, capsys)
    assert code == 0 and "1 interview(s) stored" in stdout
    code, stdout, _err = run(args, capsys)
    assert code == 0 and "0 interview(s) stored, 1 imported before" in stdout
    assert Interview.objects.filter(visit=visit).count() == 1
    code, _o, err = run([*args[:4], "--user", "caseworker", str(sub)], capsys)
    assert code == 2 and "--user" in err
