"""Every command's promise on bad input (issue 15, item 5): one line on stderr that names the
file and the place (line, row or column), exit status 2, no traceback and nothing written.

The parametrised set runs the command in-process through ``vigil.cli.main.main``, the same
function ``python -m vigil`` calls; the reproductions of the issue also run as a subprocess.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from vigil.errors import InputError

cli = importlib.import_module("vigil.cli.main")
VIGIL = [sys.executable, "-m", "vigil"]
ADULT = "ilo-ec-2009-adult-labour"
GARBAGE = bytes(range(128, 256)) * 3 + b"\n\x00\xff\n"


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        cli.main(args)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def _check_refusal(code: int, out: str, err: str, name: str, place: str) -> None:
    assert code == 2, err
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("vigil: ") and name in lines[0], lines[0]
    assert len(lines[0]) < 400, lines[0]
    assert place in lines[0], lines[0]
    assert "Traceback" not in err and "unexpected error" not in err


# --- assess and triage -------------------------------------------------------------------
RECORD_INPUTS: list[tuple[str, bytes, str]] = [
    # (file name, content, expected place in the message)
    ("garbage.jsonl", GARBAGE, "line 1"),
    ("garbage.csv", GARBAGE, "line 1"),
    ("late.jsonl", b'{"id": "a", "age": 30}\n' + b'{"id": "\xff"}\n', "line 2"),
    ("late.csv", b"id,age\na,30\nb,4\xff0\n", "line 3"),
    ("empty.jsonl", b"", ""),
    ("blank.jsonl", b"\n  \n\n", ""),
    ("header.csv", b"id,age,DR01\n", ""),
    ("bom-header.csv", b"\xef\xbb\xbfid,age\n", ""),
    ("short.csv", b"id,age,DR01\na,30,yes\nb,31\n", "row 3"),
    ("long.csv", b"id,age\na,30,yes\n", "row 2"),
    ("badjson.jsonl", b'{"id": "a", "age": 30}\n{"id": "b", \n', "line 2"),
    ("deep.jsonl", b"[" * 100_000 + b"]" * 100_000 + b"\n", "line 1"),
    ("huge-age.jsonl", b'{"id": "a", "age": 1e400}\n', "line 1"),
    ("bigint-age.jsonl", b'{"id": "a", "age": ' + b"9" * 400 + b"}\n", "line 1"),
    ("huge-age.csv", b"id,age\na," + b"9" * 400 + b"\n", "row 2"),
    ("noheader.csv", b",age\na,30\n", "row 1"),
    ("quote.csv", b'id,age\n"a,30\n', "row"),
    ("notobject.jsonl", b"[1, 2]\n", "line 1"),
]


@pytest.mark.parametrize(("name", "content", "place"), RECORD_INPUTS, ids=[r[0] for r in RECORD_INPUTS])
@pytest.mark.parametrize("command", ["assess", "triage"])
def test_records_commands_refuse_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, name: str, content: bytes, place: str
) -> None:
    src = tmp_path / name
    src.write_bytes(content)
    out_file = tmp_path / "out" / "result.jsonl"
    args = [command, "-o", str(out_file), str(src)]
    if command == "assess":
        args[1:1] = ["--ruleset", ADULT]
    code, out, err = _run(args, capsys)
    _check_refusal(code, out, err, name, place)
    assert not out_file.exists() and not (tmp_path / "out").exists()
    code, out, err = _run([*args[: args.index("-o")], str(src)], capsys)  # to stdout: nothing printed
    _check_refusal(code, out, err, name, place)


def test_empty_input_says_there_are_no_records(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "empty.jsonl"
    src.write_text("", "utf-8")
    code, out, err = _run(["assess", "--ruleset", ADULT, "-o", str(tmp_path / "o.jsonl"), str(src)], capsys)
    assert (code, out, err) == (2, "", "vigil: empty.jsonl: the input has no records\n")
    assert not (tmp_path / "o.jsonl").exists()


def test_short_csv_row_names_the_row(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "short.csv"
    src.write_text("id,age,DR01\na,30,yes\nb,31\n", "utf-8")
    code, _, err = _run(["assess", "--ruleset", ADULT, str(src)], capsys)
    assert (code, err) == (2, "vigil: short.csv, row 3: 2 cells but 3 columns\n")


@pytest.mark.parametrize("suffix", ["csv", "jsonl"])
@pytest.mark.parametrize("command", ["assess", "triage"])
def test_byte_order_mark_is_stripped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, suffix: str
) -> None:
    plain = tmp_path / f"plain.{suffix}"
    text = ("id,age,DR01\nw1,30,yes\n" if suffix == "csv"
            else '{"id": "w1", "age": 30, "indicators": {"DR01": true}}\n')
    plain.write_text(text, "utf-8")
    bom = tmp_path / f"bom.{suffix}"
    bom.write_bytes(b"\xef\xbb\xbf" + text.encode())
    args = [command] + (["--ruleset", ADULT] if command == "assess" else [])
    code, expected, err = _run([*args, str(plain)], capsys)
    assert code == 0, err
    code, out, err = _run([*args, str(bom)], capsys)
    assert code == 0, err
    assert out == expected and '"id":"w1"' in out


def test_top_level_answers_are_warned_about_naming_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "flat.jsonl"
    src.write_text('{"id": "ok", "indicators": {"DR01": true}}\n'
                   '{"id": "flat", "DR01": true, "crossed_border": true, "sex": "f"}\n', "utf-8")
    code, out, err = _run(["assess", "--ruleset", ADULT, str(src)], capsys)
    assert code == 0
    assert len(out.splitlines()) == 2
    assert err.splitlines() == [
        "vigil: warning: flat.jsonl, line 2: indicator answers at the top level (DR01) belong under "
        "'indicators'; facts at the top level (crossed_border) belong under 'facts'; they are not read"
    ]
    many = tmp_path / "many.jsonl"
    many.write_text("".join(f'{{"id": {i}, "age": 30, "DR01": true}}\n' for i in range(15)), "utf-8")
    code, _, err = _run(["triage", str(many)], capsys)
    assert code == 0
    lines = err.splitlines()
    assert len(lines) == 11 and lines[0].startswith("vigil: warning: many.jsonl, line 1: indicator")
    assert lines[-1] == "vigil: warning: many.jsonl: 5 more record(s) with answers at the top level"


# --- estimate mse --------------------------------------------------------------------------
MSE_INPUTS: list[tuple[str, bytes, str]] = [
    ("garbage.csv", GARBAGE, "line 1"),
    ("late-garbage.csv", b"A,B,count\n1,0,3\n0,1,4\n1,1,\xff\xfe\n", "row 3"),
    ("overflow.csv", b"A,B,count\n1,0,100000000000000000000000\n0,1,4\n1,1,2\n", "row 1, column count"),
    ("sum-overflow.csv", b"A,B,count\n" + b"1,0,90000000000\n" * 3 + b"1,1,2\n0,1,3\n", "sum"),
    ("float-overflow.csv", b"A,B,count\n1,0,1e400\n0,1,4\n1,1,2\n", "row 1, column count"),
    ("digits.csv", b"A,B,count\n1,0," + b"9" * 5000 + b"\n0,1,4\n", "row 1, column count"),
    ("short.csv", b"A,B,count\n1,0,3\n0,1\n", "row 2"),
    ("flag.csv", b"A,B,count\n1,0,3\n0,2,4\n", "row 2, column B"),
    ("negative.csv", b"A,B,count\n1,0,-3\n", "row 1, column count"),
    ("nolist.csv", b"A,B,count\n1,0,3\n0,0,4\n", "row 2"),
    ("empty.csv", b"", ""),
    ("header.csv", b"A,B,count\n", ""),
    ("nocount.csv", b"A,B\n1,0\n", "count"),
    ("zeros.csv", b"A,B,count\n1,0,0\n0,1,0\n", ""),
]


@pytest.mark.parametrize(("name", "content", "place"), MSE_INPUTS, ids=[r[0] for r in MSE_INPUTS])
def test_mse_refuses_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: bytes, place: str
) -> None:
    src = tmp_path / name
    src.write_bytes(content)
    if place == "sum":
        code, out, err = _run(["estimate", "mse", str(src)], capsys)
        _check_refusal(code, out, err, name, "")
        assert "add up to" in err
        return
    code, out, err = _run(["estimate", "mse", str(src)], capsys)
    _check_refusal(code, out, err, name, place)


def test_mse_aggregates_while_reading(tmp_path: Path) -> None:
    """200,000 rows of 16 pattern lines (some with a quoted, CRLF or blank line) give the same
    table as the patterns summed by hand."""
    from vigil.stats.capture import read_capture_csv

    codes = [c for c in range(1, 16)] + [15]
    rows = [(codes[i % 16], 1 + i % 3) for i in range(200_000)]
    body = "".join(f"{c & 1},{c >> 1 & 1},{c >> 2 & 1},{c >> 3 & 1},{n}\n" for c, n in rows)
    src = tmp_path / "many.csv"
    src.write_text("A,B,C,D,count\n" + body + "\n1,1,0,0,5\r\n", "utf-8")
    expected: dict[int, int] = {}
    for c, n in [*rows, (3, 5)]:
        expected[c] = expected.get(c, 0) + n
    table = read_capture_csv(src)
    got = {int(code): int(n) for code, n in zip(table.codes(), table.counts, strict=True)}
    assert got == expected
    assert table.lists == ("A", "B", "C", "D")
    quoted = tmp_path / "quoted.csv"
    quoted.write_text('\ufeff"A","B",count\n"1",0,2\n0,"1\n2",3\n', "utf-8")  # a field spans lines
    with pytest.raises(InputError, match=r"quoted.csv, row 2, column B: list membership"):
        read_capture_csv(quoted)
    quoted.write_text('\ufeff"A","B",count\n"1",0,2\n0,"1",3\n1,1,"4"\n', "utf-8")
    assert read_capture_csv(quoted).to_rows() == [
        {"A": 1, "B": 0, "count": 2}, {"A": 0, "B": 1, "count": 3}, {"A": 1, "B": 1, "count": 4}]


# --- estimate survey and prevalence -------------------------------------------------------
def _survey_files(tmp_path: Path) -> tuple[Path, Path]:
    design = tmp_path / "design.yaml"
    design.write_bytes(b"\xef\xbb\xbfids: [psu]\nweights: wt\n")  # a BOM is fine
    mapping = tmp_path / "map.yaml"
    mapping.write_bytes(b"\xef\xbb\xbfruleset: ilo-2012-forced-labour\nindicators: {UR05: q}\n")
    return design, mapping


SURVEY_INPUTS: list[tuple[str, bytes, str]] = [
    ("garbage.csv", GARBAGE, ""),
    ("empty.csv", b"", ""),
    ("header.csv", b"psu,wt,q\n", ""),
    ("short.csv", b"psu,wt,q\n1,10,1\n2,10\n", "row 3"),
]


@pytest.mark.parametrize(("name", "content", "place"), SURVEY_INPUTS, ids=[r[0] for r in SURVEY_INPUTS])
@pytest.mark.parametrize("command", ["survey", "prevalence"])
def test_survey_commands_refuse_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, name: str, content: bytes, place: str
) -> None:
    design, mapping = _survey_files(tmp_path)
    src = tmp_path / name
    src.write_bytes(content)
    args = ["estimate", command, "--design", str(design)]
    args += ["--mean", "q"] if command == "survey" else ["--mapping", str(mapping)]
    code, out, err = _run([*args, str(src)], capsys)
    _check_refusal(code, out, err, str(src) if command == "survey" else "", place)
    assert name in err


@pytest.mark.parametrize("which", ["design", "mapping"])
def test_survey_config_garbage(tmp_path: Path, capsys: pytest.CaptureFixture[str], which: str) -> None:
    design, mapping = _survey_files(tmp_path)
    (design if which == "design" else mapping).write_bytes(GARBAGE)
    src = tmp_path / "svy.csv"
    src.write_text("psu,wt,q\n1,10,1\n2,10,0\n", "utf-8")
    code, out, err = _run(["estimate", "prevalence", "--design", str(design), "--mapping", str(mapping),
                           str(src)], capsys)
    _check_refusal(code, out, err, "", f"{which if which == 'design' else 'map'}.yaml")


# --- link and rules ----------------------------------------------------------------------
def _lists(tmp_path: Path, first: bytes) -> Path:
    (tmp_path / "a.csv").write_bytes(first)
    (tmp_path / "b.csv").write_text("given_name,family_name,dob\nAna,Petrova,1990-03-02\n", "utf-8")
    config = tmp_path / "lists.yaml"
    config.write_bytes(b"\xef\xbb\xbfversion: 1\nlists:\n  a: {file: a.csv}\n  b: {file: b.csv}\n")
    return config


LINK_INPUTS: list[tuple[str, bytes, str]] = [
    ("garbage", GARBAGE, "line 1"),
    ("empty", b"", ""),
    ("header only", b"given_name,family_name,dob\n", ""),
    ("short row", b"given_name,family_name,dob\nAna,Petrova\n", "row 1"),
]


@pytest.mark.parametrize(("case", "content", "place"), LINK_INPUTS, ids=[r[0] for r in LINK_INPUTS])
def test_link_refuses_bad_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str, content: bytes, place: str
) -> None:
    config = _lists(tmp_path, content)
    out_file = tmp_path / "histories.csv"
    code, out, err = _run(["link", "--config", str(config), "-o", str(out_file)], capsys)
    _check_refusal(code, out, err, str(tmp_path / "a.csv"), place)
    assert not out_file.exists()


def test_link_config_garbage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "lists.yaml"
    config.write_bytes(GARBAGE)
    code, out, err = _run(["link", "--config", str(config), "-o", str(tmp_path / "o.csv")], capsys)
    _check_refusal(code, out, err, str(config), "")
    assert not (tmp_path / "o.csv").exists()


def test_link_strips_byte_order_marks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _lists(tmp_path, b"\xef\xbb\xbfgiven_name,family_name,dob\nAna,Petrova,1990-03-02\n"
                              b"Jo,Santos,2001-07-14\n")
    code, out, err = _run(["link", "--config", str(config)], capsys)
    assert code == 0, err
    assert out.splitlines()[0] == "a,b,count"


RULE_FILES: list[tuple[str, bytes]] = [
    ("garbage.yaml", GARBAGE),
    ("broken.yaml", b"id: x\nindicators: [\n"),
    ("list.yaml", b"- 1\n- 2\n"),
    ("deep.yaml", b"[" * 50_000 + b"]" * 50_000 + b"\n"),
]


@pytest.mark.parametrize(("name", "content"), RULE_FILES, ids=[r[0] for r in RULE_FILES])
@pytest.mark.parametrize("command", ["show", "assess"])
def test_rule_set_files_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, name: str, content: bytes
) -> None:
    rules = tmp_path / name
    rules.write_bytes(content)
    records = tmp_path / "r.jsonl"
    records.write_text('{"id": 1}\n', "utf-8")
    args: list[str] = (["rules", "show", str(rules)] if command == "show"
                       else ["assess", "--ruleset", str(rules), str(records)])
    code, out, err = _run(args, capsys)
    _check_refusal(code, out, err, "", name)


# --- the reproductions, end to end ---------------------------------------------------------
REPRODUCTIONS: list[tuple[str, Callable[[Path], list[str]]]] = [
    ("binary garbage to estimate mse", lambda d: ["estimate", "mse", _w(d, "g.csv", GARBAGE)]),
    ("count of 10^23", lambda d: ["estimate", "mse", _w(d, "c.csv", b"A,B,count\n1,0,"
                                                                     b"100000000000000000000000\n")]),
    ("empty assess input", lambda d: ["assess", "--ruleset", ADULT, _w(d, "e.jsonl", b"")]),
    ("BOM jsonl with a bad key", lambda d: [
        "assess", "--ruleset", ADULT,
        _w(d, "b.jsonl", b'\xef\xbb\xbf{"id": "x", "indicators": {"Q": 1}}\n')]),
]


def _w(directory: Path, name: str, content: bytes) -> str:
    (directory / name).write_bytes(content)
    return str(directory / name)


@pytest.mark.parametrize(("case", "make"), REPRODUCTIONS, ids=[r[0] for r in REPRODUCTIONS])
def test_reproductions_as_a_subprocess(tmp_path: Path, case: str, make: Callable[[Path], list[str]]) -> None:
    res = subprocess.run([*VIGIL, *make(tmp_path)], capture_output=True, text=True, timeout=120)
    assert res.returncode == 2
    assert res.stdout == ""
    assert len(res.stderr.splitlines()) == 1 and res.stderr.startswith("vigil: ")
    assert "Traceback" not in res.stderr and "unexpected error" not in res.stderr
