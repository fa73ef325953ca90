"""Stored estimates (issue 12, the annual report "with the MSE and survey estimates with their
intervals where they exist"): the coordinator uploads the JSON of ``vigil estimate mse|survey``
for a year; a bad file is refused whole with the place named; the report of that year and the
release carry them; the public page shows the released ones only."""

from __future__ import annotations

import importlib
import io
import json
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from tests.server.conftest import make_user

from vigil.server.audit.models import AuditEntry
from vigil.server.national import report, services
from vigil.server.national.models import Estimate

pytestmark = pytest.mark.django_db

REF = Path(__file__).resolve().parents[3] / "shared/reference/mse"
cli = importlib.import_module("vigil.cli.main")

SURVEY = [
    {"statistic": "proportion", "variable": "forced_labour", "value": 0.0213, "ci": [0.0171, 0.0255],
     "domain": {}},
    {"statistic": "proportion", "variable": "forced_labour", "value": 0.0342, "ci": [0.0251, 0.0433],
     "domain": {"sector": "construction"}},
]


def page(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def mse_json(capsys) -> str:
    """The JSON ``vigil estimate mse`` writes for the UK reference lists (shared/reference)."""
    try:
        cli.main(["estimate", "mse", "--format", "json", str(REF / "UKdat.csv")])
    except SystemExit as exc:
        assert not exc.code
    return capsys.readouterr().out


@pytest.fixture
def people(db):
    return {
        "coordinator": make_user("coord", "coordinator", None),
        "analyst": make_user("an", "analyst", None),
        "regulator": make_user("reg", "regulator", None),
    }


def _upload(c: Client, year: str, name: str, body: str | bytes):
    data = body.encode() if isinstance(body, str) else body
    return c.post("/national/estimates/", {"year": year, "file": SimpleUploadedFile(name, data)})


def test_the_coordinator_stores_estimates_that_the_report_and_the_release_carry(people, mse_json):
    coord = page(people["coordinator"])
    mse = json.loads(mse_json)
    r = _upload(coord, "2025", "uk-mse.json", mse_json)
    assert r.status_code == 302
    r = _upload(coord, "2025", "survey.json", json.dumps(SURVEY))
    assert r.status_code == 302
    stored = list(Estimate.objects.order_by("id"))
    assert [(e.kind, e.year) for e in stored] == [("mse", "2025"), ("survey", "2025"), ("survey", "2025")]
    ci = mse.get("ci_bootstrap") or mse["ci_model"]
    assert (stored[0].value, stored[0].low, stored[0].high) == (mse["estimate"], ci[0], ci[1])
    assert (stored[2].value, stored[2].low, stored[2].high) == (0.0342, 0.0251, 0.0433)
    assert "sector=construction" in stored[2].label
    assert AuditEntry.objects.filter(action="create", object_type="estimate").count() == 3
    html = coord.get("/national/estimates/").content.decode()
    assert "uk-mse.json" in html and "survey.json[1]" in html
    # the analyst sees them and may not change them
    assert page(people["analyst"]).get("/national/estimates/").status_code == 200
    assert _upload(page(people["analyst"]), "2025", "x.json", json.dumps(SURVEY)).status_code == 403
    assert page(people["regulator"]).get("/national/estimates/").status_code == 403
    assert Estimate.objects.count() == 3

    # the report of 2025 has them (XLSX: label, value, low, high); that of 2024 has none
    data = report.build(people["coordinator"], "2025")
    assert [(e.value, e.low, e.high) for e in data.estimates] == [(e.value, e.low, e.high) for e in stored]
    book = openpyxl.load_workbook(io.BytesIO(report.render(data, "xlsx")))
    sheet = [[c.value for c in row] for row in book["Estimates"].iter_rows(min_row=2)]
    # (a spreadsheet keeps 15 significant digits)
    assert [row[1:4] for row in sheet] == [pytest.approx([e.value, e.low, e.high], rel=1e-13) for e in stored]
    assert report.build(people["coordinator"], "2024").estimates == []

    # the release of 2025 publishes them; a later deletion does not change what was released
    rel = services.release(people["coordinator"], "2025", via="cli")
    assert [e["value"] for e in rel.estimates] == [e.value for e in stored]
    public = Client().get("/public/statistics/?year=2025").content.decode()
    assert 'id="released-estimates"' in public and "sector=construction" in public
    r = coord.post("/national/estimates/", {"delete": stored[0].pk})
    assert r.status_code == 302 and Estimate.objects.count() == 2
    deleted = AuditEntry.objects.filter(action="delete", object_type="estimate", object_id=str(stored[0].pk))
    assert deleted.exists()
    public = Client().get("/public/statistics/?year=2025").content.decode()
    assert "uk-mse.json" not in public  # sources are not published; the estimate stays released
    rel.refresh_from_db()
    assert len(rel.estimates) == 3


@pytest.mark.parametrize(
    ("name", "body", "place"),
    [
        ("broken.json", '{"estimate": 12', "broken.json"),
        ("other.json", json.dumps({"rows": []}), "other.json"),
        ("half.json", json.dumps([SURVEY[0], {**SURVEY[1], "value": "many"}]), "half.json[1]: value"),
        ("ci.json", json.dumps([{**SURVEY[0], "ci": [0.1]}]), "ci.json[0]: ci"),
        ("inf.json", '[{"statistic": "mean", "variable": "x", "value": Infinity}]', "inf.json[0]: value"),
    ],
)
def test_a_bad_file_is_refused_whole_with_the_place_named(people, name, body, place):
    r = _upload(page(people["coordinator"]), "2025", name, body)
    assert r.status_code == 200
    assert place in r.content.decode()
    assert Estimate.objects.count() == 0 and not AuditEntry.objects.filter(object_type="estimate").exists()


def test_not_utf8_too_large_or_a_bad_year_is_refused(people, settings):
    coord = page(people["coordinator"])
    latin = _upload(coord, "2025", "latin.json", b'[{"value": 1, "note": "\xe9"}]')
    assert "not UTF-8" in latin.content.decode()
    big = b"[" + b'{"value": 1},' * (report.MAX_ESTIMATES_BYTES // 12) + b'{"value": 1}]'
    assert "larger than" in _upload(coord, "2025", "big.json", big).content.decode()
    assert _upload(coord, "25", "s.json", json.dumps(SURVEY)).status_code == 200
    assert Estimate.objects.count() == 0


def test_the_command_reads_the_same_files(tmp_path, mse_json):
    path = tmp_path / "uk.json"
    path.write_text(mse_json, encoding="utf-8")
    (parsed,) = report.read_estimates([path])
    assert parsed.kind == "mse" and parsed.value == json.loads(mse_json)["estimate"]
    bad = tmp_path / "bad.json"
    bad.write_text("[]", encoding="utf-8")
    with pytest.raises(Exception, match="not the JSON"):
        report.read_estimates([bad])
