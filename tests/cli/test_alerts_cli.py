"""``vigil alerts detect``: the command line contract of issue 12 and its refusals."""

from __future__ import annotations

import datetime as dt
import importlib
import json
from pathlib import Path

import numpy as np
import pytest

cli = importlib.import_module("vigil.cli.main")


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        cli.main(args)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def _write(path: Path, iso: bool = True, n: int = 200) -> Path:
    rng = np.random.default_rng(4)
    lines = ["unit,period,count"]
    for unit in ("north", "south"):
        for i in range(n):
            day = dt.date(2022, 1, 3) + dt.timedelta(weeks=i)
            year, week, _ = day.isocalendar()
            count = int(rng.poisson(8)) + (40 if unit == "north" and i == n - 1 else 0)
            lines.append(f"{unit},{f'{year}-W{week:02d}' if iso else day.isoformat()},{count}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_jsonl_one_line_per_unit_and_period(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(["alerts", "detect", "--evaluate-last", "3", str(_write(tmp_path / "c.csv"))],
                          capsys)
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 6
    assert all(set(r) == {"unit", "period", "observed", "expected", "upper", "alarm"} for r in rows)
    assert [r["unit"] for r in rows] == ["north"] * 3 + ["south"] * 3
    assert rows[2]["period"] == "2025-W44" and rows[2]["alarm"] is True
    assert rows[2]["observed"] > rows[2]["upper"] > rows[2]["expected"]
    assert rows[5]["alarm"] is False


def test_dates_csv_and_text_formats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path / "d.csv", iso=False)
    code, out, _ = _run(["alerts", "detect", "--format", "csv", str(path)], capsys)
    lines = out.splitlines()
    assert code == 0 and lines[0] == "unit,period,observed,expected,upper,alarm"
    assert lines[1].startswith("north,2025-10-27,") and lines[1].endswith(",true")
    code, out, _ = _run(["alerts", "detect", "--format", "text", str(path)], capsys)
    assert code == 0 and "ALARM" in out.splitlines()[0] and "ALARM" not in out.splitlines()[1]


def test_options_change_the_threshold(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path / "c.csv")
    _, strict, _ = _run(["alerts", "detect", "--alpha", "0.001", str(path)], capsys)
    _, loose, _ = _run(["alerts", "detect", "--alpha", "0.1", str(path)], capsys)
    assert json.loads(strict.splitlines()[1])["upper"] > json.loads(loose.splitlines()[1])["upper"]


@pytest.mark.parametrize(("body", "place"), [
    ("unit,period,count\na,2025-W01,x\n", "row 2, column count"),
    ("unit,period,count\na,2025-W01,3\na,2025-02-11,4\n", "row 3, column period"),
    ("unit,period,count\na,2025-W01,3\n,2025-W02,4\n", "row 3, column unit"),
    ("unit,period\na,2025-W01\n", "row 1"),
    ("unit,period,count\na,2025-W01,3\na,2025-W01,4\n", "row 3, column period"),
    ("unit,period,count\na,2025-W01,3\na,2025-W03,4\n", "column period"),
    ("unit,period,count\na,2025-W01,3\nb,2025-W02,4\n", "column period"),
])
def test_bad_csv_one_line_naming_the_place(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           body: str, place: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(body)
    code, out, err = _run(["alerts", "detect", str(path)], capsys)
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1
    assert err.startswith("vigil: bad.csv") and place in err, err


def test_too_short_and_bad_options_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    short = _write(tmp_path / "s.csv", n=100)
    code, out, err = _run(["alerts", "detect", str(short)], capsys)
    assert code == 2 and out == "" and "3 years of history" in err and len(err.splitlines()) == 1
    path = _write(tmp_path / "c.csv")
    for args, place in ((["--method", "cusum"], "--method"), (["--format", "xml"], "--format"),
                        (["--alpha", "2"], "--alpha")):
        code, _, err = _run(["alerts", "detect", *args, str(path)], capsys)
        assert code == 2 and place in err, err
