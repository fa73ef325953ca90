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
        json.dumps({"id": "a", "text": "Pay the 300 EUR registration fee. We keep your passport."}) + "\n"
        + json.dumps({"id": 2, "text": "No fee. We never keep your passport."}) + "\n"
        + json.dumps({"id": "c", "text": "Frais de dossier : 200 €. Contrat signé à l'arrivée."}) + "\n",
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
    f.write_text("Hotel Adlon, Unter den Linden 77, Berlin, hires cooks. Email jobs@adlon.de.\n",
                 encoding="utf-8")
    code, out, _ = run(["recruiters", "check-offer", str(f)], capsys)
    assert code == 0
    assert "No warning sign found in this offer. That does not make it safe" in out
    assert "safe:" in out and " is safe" not in out
    code, out, _ = run(["recruiters", "check-offer", "--format", "json", "--lang", "en", str(f)], capsys)
    payload = json.loads(out)
    assert payload[0]["id"] == "offer" and payload[0]["signs"] == []
    assert "not make it safe" in payload[0]["message"]


def test_check_offer_text_lists_signs_and_words(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "offer.txt"
    f.write_text("Only 3 places left! Leave within 5 days.", encoding="utf-8")
    code, out, _ = run(["recruiters", "check-offer", str(f)], capsys)
    assert code == 0 and "pressure" in out and '"Only 3 places left"' in out


@pytest.mark.parametrize(("content", "place"), [
    (b'{"id": 1, "text": "ok"}\n{"id": 2}\n', "line 2"),
    (b'{"id": 1, "text": "ok"}\nnot json\n', "line 2"),
    (b'{"id": 1, "text": 5}\n', "line 1"),
    (b'[1, 2]\n', "line 1"),
    (b'{"text": "no id"}\n', "line 1"),
    (b'\xff\xfe\x00bad\n', "line 1"),
    (b"", "empty"),
])
def test_check_offer_refuses_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                       content: bytes, place: str) -> None:
    f = tmp_path / "bad.jsonl"
    f.write_bytes(content)
    refused(*run(["recruiters", "check-offer", "--format", "jsonl", str(f)], capsys), "bad.jsonl", place)


def test_check_offer_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    refused(*run(["recruiters", "check-offer", str(tmp_path / "nope.txt")], capsys), "nope.txt", "not found")
