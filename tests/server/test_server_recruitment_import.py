"""Imports into the agency registry (``vigil recruiters import`` and the regulator's upload page):
licensing lists, complaints and fee reports from CSV and XLSX, all or nothing, one error line
naming file, row and column; and ``vigil recruiters check`` (licence status by name or number)."""

from __future__ import annotations

import importlib
import json
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from tests.server.conftest import ROLES

from vigil.server.audit.models import AuditEntry
from vigil.server.recruitment.models import Agency, Complaint, FeeReport, Licence, LicenceStatusChange

pytestmark = pytest.mark.django_db
cli = importlib.import_module("vigil.cli.main")

LICENCES = (
    "legal_name,country,registration_number,licence_number,issuer,valid_from,valid_to,status,"
    "sectors,countries_served\n"
    """Sunrise Manpower Pvt Ltd,NPL,NP-1,DOFE-0001,DoFE,2024-01-01,2027-12-31,active,F41;I56,QAT;ARE
Himal Gulf Link Pvt Ltd,NPL,NP-2,DOFE-0002,DoFE,2023-06-01,2026-05-31,suspended,I56,QAT
Chisinau Work Abroad SRL,MDA,MD-7,ANOFM-017,ANOFM,2024-03-01,,active,A01,DEU;ITA
"""
)


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        cli.main(args)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def counts() -> tuple[int, ...]:
    return (
        Agency.objects.count(),
        Licence.objects.count(),
        LicenceStatusChange.objects.count(),
        Complaint.objects.count(),
        FeeReport.objects.count(),
    )


def refused(code: int, out: str, err: str, *places: str) -> None:
    assert code == 2, err
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    for place in places:
        assert place in lines[0], lines[0]
    assert "Traceback" not in err and "unexpected error" not in err


def write(tmp_path: Path, name: str, text: str) -> str:
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    return str(f)


def test_import_a_licensing_list_then_update_it(tmp_path, capsys):
    code, out, err = run(["recruiters", "import", "licences", write(tmp_path, "lic.csv", LICENCES)], capsys)
    assert code == 0, err
    assert "3 agencies created" in out and "3 licences created" in out
    sunrise = Agency.objects.get(registration_number="NP-1")
    assert sunrise.sectors == ["F41", "I56"] and sunrise.countries_served == ["QAT", "ARE"]
    assert sunrise.licence_status() == "active"
    assert Agency.objects.get(registration_number="NP-2").licence_status() == "suspended"
    assert Licence.objects.get(number="ANOFM-017").valid_to is None
    # the same list a month later: Sunrise suspended; a status change is kept in its history
    later = LICENCES.replace("2027-12-31,active", "2027-12-31,suspended")
    code, out, err = run(["recruiters", "import", "licences", write(tmp_path, "lic2.csv", later)], capsys)
    assert code == 0, err
    assert "1 licences updated" in out and "created" not in out
    assert Agency.objects.count() == 3
    change = Licence.objects.get(number="DOFE-0001").history.last()
    assert (change.from_status, change.to_status) == ("active", "suspended")
    assert "lic2.csv, row 2" in change.reason
    entry = AuditEntry.objects.filter(action="import", object_type="licence").last()
    assert entry.via == "cli" and entry.detail["rows"] == 3


@pytest.mark.parametrize(
    ("text", "place"),
    [
        (LICENCES.replace("2023-06-01", "01/06/2023"), "row 3, column valid_from"),
        (LICENCES.replace("MDA,MD-7", "Moldova,MD-7"), "row 4, column country"),
        (LICENCES.replace(",suspended,", ",paused,"), "row 3, column status"),
        (LICENCES.replace("2024-03-01,,", "2024-03-01,2020-01-01,"), "row 4, column valid_to"),
        (LICENCES.replace("ANOFM-017", "DOFE-0001"), "row 4, column licence_number"),
        (LICENCES.replace("Himal Gulf Link Pvt Ltd", ""), "row 3, column legal_name"),
        (LICENCES.replace(",issuer,", ",issued_by,"), "row 1"),
        (LICENCES.replace("QAT;ARE", "QAT;Arabia"), "row 2, column countries_served"),
        (LICENCES + "Extra Ltd,NPL,NP-9,X-1,DoFE,2024-01-01,,active,,,surplus\n", "row 5"),
    ],
)
def test_a_refused_licensing_list_stores_nothing(tmp_path, capsys, text, place):
    # rows before the bad one are valid: all or nothing means they are not stored either
    before = counts()
    code, out, err = run(["recruiters", "import", "licences", write(tmp_path, "bad.csv", text)], capsys)
    refused(code, out, err, "bad.csv", place)
    assert counts() == before
    assert not AuditEntry.objects.filter(action="import").exists()


def test_two_files_are_one_transaction(tmp_path, capsys):
    good = write(tmp_path, "good.csv", LICENCES)
    bad = write(tmp_path, "bad.csv", LICENCES.replace("DOFE-0001", "DOFE-9").replace("2024-01-01", "soon"))
    code, out, err = run(["recruiters", "import", "licences", good, bad], capsys)
    refused(code, out, err, "bad.csv, row 2, column valid_from")
    assert counts() == (0, 0, 0, 0, 0)


def test_a_licence_of_another_agency_is_refused(tmp_path, capsys):
    run(["recruiters", "import", "licences", write(tmp_path, "lic.csv", LICENCES)], capsys)
    before = counts()
    stolen = "legal_name,country,licence_number,issuer,valid_from\nOther Ltd,NPL,DOFE-0001,DoFE,2024-01-01\n"
    code, out, err = run(["recruiters", "import", "licences", write(tmp_path, "s.csv", stolen)], capsys)
    refused(code, out, err, "s.csv, row 2, column licence_number", "another agency")
    assert counts() == before


def test_xlsx_licensing_list_keeps_leading_zeros_and_dates(tmp_path, capsys):
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["legal_name", "country", "licence_number", "issuer", "valid_from", "valid_to"])
    ws.append(["Nistru Personal SRL", "MDA", "00123", "ANOFM", date(2024, 2, 1), date(2026, 1, 31)])
    path = tmp_path / "list.xlsx"
    book.save(path)
    code, out, err = run(["recruiters", "import", "licences", str(path)], capsys)
    assert code == 0, err
    lic = Licence.objects.get(number="00123")
    assert lic.valid_from == date(2024, 2, 1) and lic.valid_to == date(2026, 1, 31)
    # a bad date cell in XLSX names its row and column too
    ws.append(["Codru SRL", "MDA", "00124", "ANOFM", "next week", None])
    book.save(path)
    before = counts()
    code, out, err = run(["recruiters", "import", "licences", str(path)], capsys)
    refused(code, out, err, "list.xlsx, row 3, column valid_from")
    assert counts() == before


def test_complaints_import_links_agencies_and_encrypts_contact(tmp_path, capsys):
    run(["recruiters", "import", "licences", write(tmp_path, "lic.csv", LICENCES)], capsys)
    text = (
        "agency,licence_number,complainant_type,severity,made_on,description,contact\n"
        "Sunrise Manpower,,worker,high,2026-01-10,They kept my passport,+977 981 000 1111\n"
        "someone,DOFE-0002,ngo,medium,2026-02-01,Fee of 1200 USD,\n"
        "Unknown Agents Co,,anonymous,low,,Promised a job that did not exist,\n"
    )
    code, out, err = run(["recruiters", "import", "complaints", write(tmp_path, "c.csv", text)], capsys)
    assert code == 0, err
    assert "3 complaints created" in out and "1 complaints without a registry agency created" in out
    by_desc = {c.description: c for c in Complaint.objects.all()}
    assert by_desc["They kept my passport"].agency.registration_number == "NP-1"
    assert by_desc["Fee of 1200 USD"].agency.registration_number == "NP-2"
    assert by_desc["Promised a job that did not exist"].agency is None
    assert all(c.receipt_code.startswith("RC-") for c in by_desc.values())
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT contact FROM recruitment_complaint")
        stored = " ".join(str(r[0]) for r in cur.fetchall())
    assert "981 000 1111" not in stored  # encrypted at rest


def test_a_refused_complaints_file_stores_nothing(tmp_path, capsys):
    run(["recruiters", "import", "licences", write(tmp_path, "lic.csv", LICENCES)], capsys)
    before = counts()
    text = (
        "agency,licence_number,severity,description\nSunrise,,high,They kept my passport\nx,NO-SUCH,low,Fee\n"
    )
    code, out, err = run(["recruiters", "import", "complaints", write(tmp_path, "c.csv", text)], capsys)
    refused(code, out, err, "c.csv, row 3, column licence_number")
    assert counts() == before
    text = "agency,severity,description\nSunrise,urgent,x\n"
    code, out, err = run(["recruiters", "import", "complaints", write(tmp_path, "c.csv", text)], capsys)
    refused(code, out, err, "c.csv, row 2, column severity")
    assert counts() == before


def test_fee_reports_import_is_classified(tmp_path, capsys):
    run(["recruiters", "import", "licences", write(tmp_path, "lic.csv", LICENCES)], capsys)
    text = (
        "agency,licence_number,amount,currency,purpose,payee,channel,paid_on\n"
        ",DOFE-0001,850,USD,visa processing,agent,loan,2025-11-02\n"
        "Chisinau Work Abroad,,120.50,EUR,medical examination,employer,upfront,\n"
    )
    code, out, err = run(["recruiters", "import", "fees", write(tmp_path, "f.csv", text)], capsys)
    assert code == 0, err
    assert "2 fee reports created" in out and "2 fee breaches created" in out
    visa = FeeReport.objects.get(currency="USD")
    assert (
        visa.breach and visa.debt_lead and visa.category == "RC7" and visa.ruleset == "fair-recruitment-2019"
    )
    assert visa.agency.registration_number == "NP-1"


@pytest.mark.parametrize(
    ("row", "column"),
    [
        ("Nobody Ltd,,10,USD,visa,agent,loan", "agency"),
        (",DOFE-0001,ten,USD,visa,agent,loan", "amount"),
        (",DOFE-0001,-5,USD,visa,agent,loan", "amount"),
        (",DOFE-0001,10,dollars,visa,agent,loan", "currency"),
        (",DOFE-0001,10,USD,a present,agent,loan", "purpose"),
        (",DOFE-0001,10,USD,visa,cousin,loan", "payee"),
        (",DOFE-0001,10,USD,visa,agent,barter", "channel"),
    ],
)
def test_a_refused_fee_file_stores_nothing(tmp_path, capsys, row, column):
    run(["recruiters", "import", "licences", write(tmp_path, "lic.csv", LICENCES)], capsys)
    before = counts()
    text = (
        "agency,licence_number,amount,currency,purpose,payee,channel\n"
        ",DOFE-0001,850,USD,visa processing,agent,loan\n" + row + "\n"
    )
    code, out, err = run(["recruiters", "import", "fees", write(tmp_path, "f.csv", text)], capsys)
    refused(code, out, err, f"f.csv, row 3, column {column}")
    assert counts() == before


@pytest.mark.parametrize(
    ("name", "content", "expect"),
    [
        ("x.csv", b"", "empty file"),
        ("x.csv", b"legal_name,country\n\xff\xfe\n", "not UTF-8"),
        ("x.xlsx", b"PK\x03\x04 not really", "Excel"),
        ("x.json", b"[]", "unsupported file type"),
    ],
)
def test_unreadable_files_are_refused(tmp_path, capsys, name, content, expect):
    f = tmp_path / name
    f.write_bytes(content)
    code, out, err = run(["recruiters", "import", "licences", str(f)], capsys)
    refused(code, out, err, name, expect)
    assert counts() == (0, 0, 0, 0, 0)


def test_import_by_a_named_regulator(tmp_path, capsys, users):
    path = write(tmp_path, "lic.csv", LICENCES)
    code, out, err = run(["recruiters", "import", "licences", path, "--by", "caseworker"], capsys)
    refused(code, out, err, "--by")
    assert counts() == (0, 0, 0, 0, 0)
    code, out, err = run(["recruiters", "import", "licences", path, "--by", "regulator"], capsys)
    assert code == 0, err
    assert AuditEntry.objects.get(action="import").actor_username == "regulator"


# --- check -------------------------------------------------------------------------------------


def test_check_by_name_and_by_number(tmp_path, capsys):
    run(["recruiters", "import", "licences", write(tmp_path, "lic.csv", LICENCES)], capsys)
    code, out, err = run(["recruiters", "check", "himal gulf link"], capsys)
    assert code == 0, err
    assert out.splitlines()[0] == (
        "Himal Gulf Link Pvt Ltd (NPL, registration NP-2): licence SUSPENDED: may not recruit now"
    )
    assert "licence DOFE-0002 issued by DoFE, valid from 2023-06-01 to 2026-05-31" in out
    code, out, err = run(["recruiters", "check", "dofe-0001", "--format", "json"], capsys)
    assert code == 0, err
    (rec,) = json.loads(out)
    assert rec["legal_name"] == "Sunrise Manpower Pvt Ltd" and rec["licence_status"] == "active"
    assert rec["licence"]["number"] == "DOFE-0001" and rec["licence"]["history"][0]["to"] == "active"
    assert set(rec) == {
        "legal_name",
        "country",
        "registration_number",
        "licence_status",
        "licence",
        "sectors",
        "countries_served",
    }


def test_check_finds_nothing_with_exit_1(tmp_path, capsys):
    run(["recruiters", "import", "licences", write(tmp_path, "lic.csv", LICENCES)], capsys)
    code, out, _err = run(["recruiters", "check", "Totally Different Travel"], capsys)
    assert code == 1 and "may not recruit" in out
    code, out, _err = run(["recruiters", "check", "Totally Different Travel", "--format", "json"], capsys)
    assert code == 1 and json.loads(out) == []


# --- the upload page ----------------------------------------------------------------------------


def _upload(client: Client, kind: str, name: str, content: bytes):
    return client.post(
        "/recruitment/import/", {"kind": kind, "file": SimpleUploadedFile(name, content)}, follow=True
    )


@pytest.mark.parametrize("role", ROLES)
def test_only_the_regulator_uploads(users, role):
    client = Client()
    client.force_login(users[role])
    assert client.get("/recruitment/import/").status_code == (200 if role == "regulator" else 403)
    r = _upload(client, "licences", "lic.csv", LICENCES.encode())
    assert r.status_code == (200 if role == "regulator" else 403)
    assert Agency.objects.count() == (3 if role == "regulator" else 0)


def test_upload_refused_stores_nothing_and_says_where(users):
    client = Client()
    client.force_login(users["regulator"])
    r = _upload(client, "licences", "lic.csv", LICENCES.encode())
    assert "3 agencies created" in r.content.decode()
    before = counts()
    r = _upload(
        client,
        "fees",
        "fees.csv",
        b"agency,amount,currency,purpose,payee,channel\nNobody,1,USD,visa,agent,loan\n",
    )
    assert r.status_code == 400
    html = r.content.decode()
    assert "Nothing was stored" in html and "fees.csv, row 2, column agency" in html
    assert counts() == before
    entry = AuditEntry.objects.get(action="import")
    assert entry.via == "web" and entry.actor_username == "regulator"


# --- fuzzing (the contract of tests/fuzz: exit 0, or 2 with one line; here also: nothing stored) ---


def _xlsx_seed() -> bytes:
    import io

    book = openpyxl.Workbook()
    ws = book.active
    for row in LICENCES.strip().splitlines():
        ws.append(row.split(","))
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


FEES = "agency,licence_number,amount,currency,purpose,payee,channel\n,DOFE-0001,850,USD,visa,agent,loan\n"


@pytest.mark.parametrize(
    ("kind", "name", "seed"),
    [
        ("licences", "lic.csv", LICENCES.encode()),
        ("fees", "fees.csv", FEES.encode()),
        ("licences", "lic.xlsx", None),
    ],
    ids=["licences-csv", "fees-csv", "licences-xlsx"],
)
def test_mutated_imports_keep_the_contract(tmp_path, capsys, kind, name, seed):
    from hypothesis import given, settings
    from tests.fuzz.test_import_fuzz import PROFILE, _mutations, _xlsx_mutations

    seed = seed if seed is not None else _xlsx_seed()
    if kind == "fees":  # the agency the seed names
        run(["recruiters", "import", "licences", write(tmp_path, "base.csv", LICENCES)], capsys)
    f = tmp_path / name
    f.write_bytes(seed)
    code, _out, err = run(["recruiters", "import", kind, str(f)], capsys)
    assert code == 0, err  # the seed is accepted
    strategy = _xlsx_mutations(seed) if name.endswith(".xlsx") else _mutations(seed)

    @settings(settings.get_profile(PROFILE))
    @given(strategy)
    def fuzz(content: bytes) -> None:
        f.write_bytes(content)
        before = counts()
        code, out, err = run(["recruiters", "import", kind, str(f)], capsys)
        assert "Traceback" not in err and "unexpected error" not in err, (content[:200], err)
        assert code in (0, 2), (code, err)
        if code == 2:
            lines = err.splitlines()
            assert len(lines) == 1 and lines[0].startswith("vigil: ") and name in lines[0], err
            assert len(lines[0]) < 600 and out == ""
            assert counts() == before

    fuzz()


def test_a_workbook_with_a_corrupt_part_is_one_line(tmp_path, capsys):
    """Found by the fuzzing: an empty XML part raised ParseError past the workbook checks."""
    import io
    import zipfile

    seed = _xlsx_seed()
    with zipfile.ZipFile(io.BytesIO(seed)) as z:
        parts = {i.filename: z.read(i.filename) for i in z.infolist()}
    for part in ("xl/workbook.xml", "xl/worksheets/sheet1.xml", "xl/styles.xml"):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            for n, d in parts.items():
                z.writestr(n, b"" if n == part else d)
        f = tmp_path / "broken.xlsx"
        f.write_bytes(buf.getvalue())
        code, out, err = run(["recruiters", "import", "licences", str(f)], capsys)
        refused(code, out, err, "broken.xlsx", "Excel workbook" if part != "xl/worksheets/sheet1.xml" else "")
        assert counts() == (0, 0, 0, 0, 0)
