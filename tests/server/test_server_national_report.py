"""The annual report of the national picture (issue 12): the PDF opens and holds every shown
indicator's title, its tables with the hidden cells said, the methods and the estimates; the XLSX
has its sheets with the same figures; the page's download and the CLI write them; who may."""

from __future__ import annotations

import importlib
import io
import json
import re
from pathlib import Path

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from pypdf import PdfReader

from vigil.server.accounts.models import User
from vigil.server.audit.models import AuditEntry
from vigil.server.national import report, services

pytestmark = pytest.mark.django_db
YEAR = "2025"


@pytest.fixture
def demo() -> dict[str, User]:
    from vigil.server.cases.demo import load_demo

    load_demo()
    return {u.username: u for u in User.objects.all()}


def _pdf_text(body: bytes) -> str:
    reader = PdfReader(io.BytesIO(body))
    return "\n".join(page.extract_text() for page in reader.pages)


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.fixture
def mse_json(tmp_path: Path) -> Path:
    path = tmp_path / "mse.json"
    path.write_text(json.dumps({"method": "bic", "estimate": 1234.5, "ci_model": [980.0, 1620.25],
                                "lists": ["A", "B", "C"], "n_observed": 700}))
    return path


def test_the_pdf_holds_the_indicators_their_hidden_cells_and_the_estimates(demo, mse_json):
    coordinator = demo["coordinator"]
    data = report.build(coordinator, YEAR, estimates=report.read_estimates([mse_json]))
    shown = [r for r in services.indicators_for(coordinator) if r.hidden is None]
    assert [s.id for s in data.sections] == [r.id for r in shown]
    text = _squash(_pdf_text(report.to_pdf(data)))
    assert text.startswith("Annual report 2025")
    for section in data.sections:
        assert _squash(section.title) in text, section.title
    assert any(s.hidden_cells for s in data.sections)  # the demo has small cells
    assert "Hidden: " in text and "fewer than k" in text
    assert "Suppression: " in text and "Disclosure control" in text
    # a hidden cell of the year is "—" in the report, its published neighbours are numbers
    ident = next(s for s in data.sections if s.id == "victims_identified")
    sex = next(b for b in ident.breakdowns if b.dimension == "sex")
    table = services.indicators_for(coordinator, ids=["victims_identified"])[0]
    assert ident.value == services.compute(services.indicator_set(), services.prepared_for(coordinator),
                                           k=services.min_k(), periods=[YEAR],
                                           indicators=["victims_identified"])[0].tables["total"].values[0][0]
    assert table.tables["sex"]  # the same indicator on the page
    for label, value in zip(sex.labels, sex.values, strict=True):
        assert (value is None) == (label in sex.hidden)
    assert "MSE (bic; A, B, C): 1234.5 [980; 1620.25]" in text
    assert "Flows between countries" in text


def test_the_xlsx_has_its_sheets_with_the_same_figures(demo, mse_json):
    data = report.build(demo["analyst"], YEAR, lang="fr", estimates=report.read_estimates([mse_json]))
    wb = load_workbook(io.BytesIO(report.to_xlsx(data)))
    assert wb.sheetnames == ["Methods", "Indicators", "Tables", "Flows", "Estimates", "Charts"]
    rows = list(wb["Indicators"].iter_rows(values_only=True))
    assert rows[0][3] == YEAR
    by_id = {r[0]: r for r in rows[1:] if r[0]}
    for s in data.sections:
        assert by_id[s.id][1] == s.title and by_id[s.id][3] == s.value
    assert by_id["victims_identified"][1] == "Victimes présumées et avérées identifiées"
    tables = list(wb["Tables"].iter_rows(values_only=True))
    hidden = [r for r in tables[1:] if r[4] is None]
    assert hidden and all(r[5] for r in hidden)  # every cell without a number says why
    with translation.override("fr"):
        undefined = _("not defined (no records)")
    hidden_cells = sum(len(b.hidden) for s in data.sections for b in s.breakdowns)
    assert hidden_cells and sum(1 for r in hidden if r[5] != undefined) == hidden_cells
    flows = list(wb["Flows"].iter_rows(values_only=True))
    assert len(flows) - 1 == len(data.flows.legs)
    assert all((r[2] is None) == bool(r[3]) for r in flows[1:])
    est = list(wb["Estimates"].iter_rows(values_only=True))
    assert est[1][1:4] == (1234.5, 980.0, 1620.25)
    assert len(wb["Charts"]._images) == len(data.sections)


def test_an_arabic_report(demo):
    data = report.build(demo["coordinator"], YEAR, lang="ar")
    assert data.sections[0].title.startswith("ال")
    wb = load_workbook(io.BytesIO(report.to_xlsx(data)))
    assert any("\u0600" <= ch <= "\u06ff" for ch in str(wb["Indicators"]["B2"].value))
    if report._font_files() is not None:  # the Unicode font of the machine (fonts-dejavu-core)
        assert PdfReader(io.BytesIO(report.to_pdf(data))).pages


def test_bad_input_names_the_option(demo, tmp_path):
    with pytest.raises(Exception, match="--year"):
        report.build(demo["coordinator"], "25")
    with pytest.raises(Exception, match="--lang"):
        report.build(demo["coordinator"], YEAR, lang="de")
    bad = tmp_path / "x.json"
    bad.write_text('{"what": 1}')
    with pytest.raises(Exception, match=r"x\.json"):
        report.read_estimates([bad])


def test_the_page_offers_the_download_to_national_roles_only(demo):
    for role in ("coordinator", "analyst", "supervisor"):
        c = Client()
        c.force_login(demo[role])
        assert 'id="report-pdf"' in c.get("/national/").content.decode()
        r = c.get(f"/national/report/?year={YEAR}&format=pdf")
        assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
        assert PdfReader(io.BytesIO(r.content)).pages
        assert not re.search(r"VG-\d{4}-", _pdf_text(r.content))  # counts only, never a case
        r = c.get(f"/national/report/?year={YEAR}&format=xlsx")
        assert r.status_code == 200 and "spreadsheetml" in r["Content-Type"]
        assert AuditEntry.objects.filter(action="report", actor_id=demo[role].pk).count() == 2
        assert c.get("/national/report/?year=20x5&format=pdf").status_code == 404
        assert c.get(f"/national/report/?year={YEAR}&format=doc").status_code == 404
    for role in ("caseworker", "inspector", "shelter", "regulator", "admin"):
        c = Client()
        c.force_login(demo[role])
        assert c.get(f"/national/report/?year={YEAR}&format=pdf").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_the_cli_writes_the_report(demo, tmp_path, capsys, mse_json):
    cli = importlib.import_module("vigil.cli.main")
    out = tmp_path / "report.pdf"
    try:
        cli.main(["national", "report", "--year", YEAR, "--format", "pdf", "--lang", "es", "-o", str(out),
                  "--estimates", str(mse_json)])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "indicator(s) of 2025" in printed and "1 estimate(s)" in printed
    text = _squash(_pdf_text(out.read_bytes()))
    assert "Víctimas presuntas y confirmadas identificadas" in text
    xlsx = tmp_path / "report.xlsx"
    try:
        cli.main(["national", "report", "--year", "1999x", "--format", "xlsx", "-o", str(xlsx)])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    assert code == 2 and "--year" in capsys.readouterr().err and not xlsx.exists()
