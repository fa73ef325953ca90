"""``vigil recruiters``: the output contracts and the one-line refusal of bad input."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

cli = importlib.import_module("vigil.cli.main")


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        cli.main(args)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def refused(code: int, out: str, err: str, name: str, place: str) -> None:
    assert code == 2, err
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("vigil: ") and name in lines[0] and place in lines[0], lines[0]
    assert "Traceback" not in err and "unexpected error" not in err


# --- check-offer -----------------------------------------------------------------------------


def test_check_offer_jsonl_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "offers.jsonl"
    f.write_text(
        json.dumps({"id": "a", "text": "Pay the 300 EUR registration fee. We keep your passport."})
        + "\n"
        + json.dumps({"id": 2, "text": "No fee. We never keep your passport."})
        + "\n"
        + json.dumps({"id": "c", "text": "Frais de dossier : 200 €. Contrat signé à l'arrivée."})
        + "\n",
        encoding="utf-8",
    )
    code, out, err = run(["recruiters", "check-offer", "--format", "jsonl", str(f)], capsys)
    assert code == 0, err
    lines = [json.loads(x) for x in out.splitlines()]
    assert [list(x) for x in lines] == [["id", "signs", "evidence", "version"]] * 3
    assert lines[0]["id"] == "a" and lines[0]["signs"] == ["documents_held", "fee_charged"]
    assert lines[0]["evidence"]["fee_charged"] == ["300 EUR registration fee"]
    assert lines[1] == {"id": 2, "signs": [], "evidence": {}, "version": lines[0]["version"]}
    assert lines[2]["signs"] == ["fee_charged", "no_contract"]


def test_check_offer_no_sign_wording(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "offer.txt"
    f.write_text(
        "Hotel Adlon, Unter den Linden 77, Berlin, hires cooks. Email jobs@adlon.de.\n", encoding="utf-8"
    )
    code, out, _ = run(["recruiters", "check-offer", str(f)], capsys)
    assert code == 0
    assert "No warning sign found in this offer." in out and "safe" not in out.lower()
    code, out, _ = run(["recruiters", "check-offer", "--format", "json", "--lang", "en", str(f)], capsys)
    payload = json.loads(out)
    assert payload[0]["id"] == "offer" and payload[0]["signs"] == []
    assert "No warning sign found" in payload[0]["message"]
    assert "safe" not in payload[0]["message"].lower()  # never "safe", not even negated


def test_check_offer_text_lists_signs_and_words(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "offer.txt"
    f.write_text("Only 3 places left! Leave within 5 days.", encoding="utf-8")
    code, out, _ = run(["recruiters", "check-offer", str(f)], capsys)
    assert code == 0 and "pressure" in out and '"Only 3 places left"' in out


@pytest.mark.parametrize(
    ("content", "place"),
    [
        (b'{"id": 1, "text": "ok"}\n{"id": 2}\n', "line 2"),
        (b'{"id": 1, "text": "ok"}\nnot json\n', "line 2"),
        (b'{"id": 1, "text": 5}\n', "line 1"),
        (b"[1, 2]\n", "line 1"),
        (b'{"text": "no id"}\n', "line 1"),
        (b"\xff\xfe\x00bad\n", "line 1"),
        (b"", "empty"),
    ],
)
def test_check_offer_refuses_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, place: str
) -> None:
    f = tmp_path / "bad.jsonl"
    f.write_bytes(content)
    refused(*run(["recruiters", "check-offer", "--format", "jsonl", str(f)], capsys), "bad.jsonl", place)


def test_check_offer_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    refused(*run(["recruiters", "check-offer", str(tmp_path / "nope.txt")], capsys), "nope.txt", "not found")


# --- match, risk, fees -----------------------------------------------------------------------


def test_match_writes_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    reg = tmp_path / "reg.csv"
    reg.write_text("id,name,country\nR1,Sunrise Manpower Ltd,NPL\n", encoding="utf-8")
    names = tmp_path / "names.csv"
    names.write_text("id,name,country\nN1,SUNRISE MANPOWER LIMITED,NPL\nN2,Other,NPL\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    code, _, err = run(["recruiters", "match", "--registry", str(reg), str(names), "-o", str(out)], capsys)
    assert code == 0, err
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "id,name,match_id,match_name,score,decision"
    assert lines[1].startswith("N1,") and lines[1].endswith(",match") and ",R1," in lines[1]
    assert lines[2].endswith(",no_match")


def test_match_refuses_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    reg = tmp_path / "reg.csv"
    reg.write_text("id,name\nR1,Sunrise\n", encoding="utf-8")
    names = tmp_path / "names.csv"
    names.write_text("id,name\nN1,Sunrise\nN2,\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    refused(
        *run(["recruiters", "match", "--registry", str(reg), str(names), "-o", str(out)], capsys),
        "names.csv",
        "row 3, column name",
    )
    assert not out.exists()
    names.write_text("ident,name\nN1,x\n", encoding="utf-8")
    refused(*run(["recruiters", "match", "--registry", str(reg), str(names)], capsys), "names.csv", "row 1")


def test_risk_ranks_with_reasons(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "agencies.json"
    f.write_text(
        json.dumps(
            [
                {"id": "A", "name": "Alpha", "licence_status": "valid", "last_inspection": "2025-05-01"},
                {
                    "id": "B",
                    "name": "Beta",
                    "licence_status": "revoked",
                    "fee_breaches": 2,
                    "complaints": [{"severity": "high", "date": "2025-05-01"}],
                },
            ]
        ),
        encoding="utf-8",
    )
    code, out, err = run(["recruiters", "risk", "--as-of", "2025-06-01", str(f)], capsys)
    assert code == 0, err
    assert out.splitlines()[0].startswith("1. B Beta: score") and "licence status: revoked" in out
    csvf = tmp_path / "agencies.csv"
    csvf.write_text("id,licence_status,fee_breaches\nA,valid,x\n", encoding="utf-8")
    refused(*run(["recruiters", "risk", str(csvf)], capsys), "agencies.csv", "row 2, column fee_breaches")
    csvf.write_text("id,licence_status\nA,lost\n", encoding="utf-8")
    refused(*run(["recruiters", "risk", str(csvf)], capsys), "agencies.csv", "row 2, column licence_status")


def test_fees_per_row(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "payments.csv"
    f.write_text(
        "id,amount,currency,purpose,payee,channel\n"
        "p1,1200,USD,flight ticket,recruiter,wage_deduction\np2,300,EUR,placement fee,agent,upfront\n",
        encoding="utf-8",
    )
    code, out, err = run(["recruiters", "fees", str(f)], capsys)
    assert code == 0, err
    rows = [json.loads(x) for x in out.splitlines()]
    assert [(r["id"], r["category"], r["outcome"], r["debt_lead"]) for r in rows] == [
        ("p1", "RC6", "positive", True),
        ("p2", "RF", "positive", False),
    ]
    assert rows[0]["ruleset"] == "fair-recruitment-2019"


@pytest.mark.parametrize(
    ("row", "place"),
    [
        ("p1,abc,USD,visa,recruiter,upfront", "row 2, column amount"),
        ("p1,10,US,visa,recruiter,upfront", "row 2, column currency"),
        ("p1,10,USD,lunch money,recruiter,upfront", "row 2, column purpose"),
        ("p1,10,USD,visa,friend,upfront", "row 2, column payee"),
        ("p1,10,USD,visa,recruiter,cash", "row 2, column channel"),
        ("p1,10,USD", "row 2"),
    ],
)
def test_fees_refuses_bad_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], row: str, place: str
) -> None:
    f = tmp_path / "payments.csv"
    f.write_text("id,amount,currency,purpose,payee,channel\n" + row + "\n", encoding="utf-8")
    refused(*run(["recruiters", "fees", str(f)], capsys), "payments.csv", place)
