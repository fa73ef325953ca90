"""The ``vigil`` command end to end, as a user runs it (a subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.rules.helpers import CASES

VIGIL = [sys.executable, "-m", "vigil"]


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*VIGIL, *args], capture_output=True, text=True, input=stdin, timeout=120)


def test_assess_reference_cases_in_input_order() -> None:
    path = CASES / "ilo-2012-forced-labour.jsonl"
    out = run("assess", "--ruleset", "ilo-2012-forced-labour", str(path))
    assert out.returncode == 0, out.stderr
    cases = [json.loads(line) for line in path.read_text().splitlines()]
    results = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["id"] for r in results] == [c["record"]["id"] for c in cases]
    assert [r["outcome"] for r in results] == [c["expect"]["outcome"] for c in cases]
    # canonical JSON: sorted keys
    assert out.stdout.splitlines()[0].startswith('{"ask_next":')


def test_assess_csv_output_and_file(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(json.dumps(json.loads(line)["record"])
                             for line in (CASES / "c138-c182.jsonl").read_text().splitlines()), "utf-8")
    out_file = tmp_path / "out" / "res.csv"
    res = run("assess", "--ruleset", "c138-c182", "--format", "csv", "-o", str(out_file), str(src))
    assert res.returncode == 0, res.stderr
    assert res.stdout == ""
    lines = out_file.read_text().splitlines()
    assert lines[0].startswith("id,ruleset,version,verified,outcome")
    assert len(lines) == 26


def test_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "a", "indicators": {"DR01": true}}\n{"id": "b", "indicators": {"ZZ01": true}}\n')
    out_file = tmp_path / "res.jsonl"
    res = run("assess", "--ruleset", "ilo-ec-2009-adult-labour", "-o", str(out_file), str(src))
    assert res.returncode == 2
    assert res.stderr.strip() == ("vigil: in.jsonl, line 2, record 'b', key indicators.ZZ01: "
                                  "unknown indicator for ilo-ec-2009-adult-labour")
    assert not out_file.exists() and list(tmp_path.iterdir()) == [src]
    res = run("assess", "--ruleset", "ilo-ec-2009-adult-labour", str(src))
    assert res.returncode == 2 and res.stdout == ""


def test_unknown_ruleset_is_one_line() -> None:
    res = run("assess", "--ruleset", "nope", "-", stdin="{}\n")
    assert res.returncode == 2
    assert res.stderr.startswith("vigil: unknown rule set 'nope'") and len(res.stderr.splitlines()) == 1


def test_missing_absent_option() -> None:
    rec = ('{"id": "m", "indicators": {"DR01": true, "DR08": true, "EX01": true, "EX04": true, '
           '"CD01": true}}\n')
    unknown = run("assess", "--ruleset", "ilo-ec-2009-adult-labour", "-", stdin=rec)
    absent = run("assess", "--ruleset", "ilo-ec-2009-adult-labour", "--missing", "absent", "-", stdin=rec)
    assert json.loads(unknown.stdout)["outcome"] == "insufficient"
    assert json.loads(absent.stdout)["outcome"] == "negative"


def test_triage_command() -> None:
    path = CASES / "triage.jsonl"
    res = run("triage", str(path))
    assert res.returncode == 0, res.stderr
    cases = [json.loads(line) for line in path.read_text().splitlines()]
    results = [json.loads(line) for line in res.stdout.splitlines()]
    for case, result in zip(cases, results, strict=True):
        assert result["primary"] == case["expect"]["primary"]
        assert result["flags"] == case["expect"]["flags"]


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_rules_list_and_show(fmt: str) -> None:
    res = run("rules", "list", "--format", fmt)
    assert res.returncode == 0
    assert "ilo-2012-forced-labour" in res.stdout and "palermo-2000" in res.stdout
    shown = run("rules", "show", "ilo-ec-2009-child-labour", "--format", fmt)
    assert shown.returncode == 0
    if fmt == "json":
        data = json.loads(shown.stdout)
        assert data["verified"] is False
        grades = {i["id"]: i["grade"] for i in data["indicators"]}
        assert grades["CD11"] == "S" and "VR07" not in grades
        assert data["rule"]["decision"] == {"choose": "policy"}
        assert "recruitment" in data["rule"]["terms"]  # inherited from the adult list
    else:
        assert "verified: NO" in shown.stdout


def test_usage_error_exits_2_without_traceback() -> None:
    res = run("assess")
    assert res.returncode == 2
    assert "Traceback" not in res.stderr and "Missing" in res.stderr


def test_jurisdiction_rule_set_file(tmp_path: Path) -> None:
    variant = tmp_path / "xk-c138.yaml"
    variant.write_text("id: xk-c138\nextends: c138-c182\nversion: '1999.1-xk'\ntitle: XK\n"
                       "verified: false\nparams: {min_age: 14}\n")
    rec = ('{"id": "k", "age": 14, "facts": {"worst_form": [], "hazardous": false, '
           '"approved_training": false, "artistic_permit": false, "hours_per_week": 30, '
           '"schooling_affected": true}}\n')
    base = run("assess", "--ruleset", "c138-c182", "-", stdin=rec)
    national = run("assess", "--ruleset", str(variant), "-", stdin=rec)
    assert json.loads(base.stdout)["outcome"] == "BELOW_MINIMUM_AGE"
    out = json.loads(national.stdout)
    assert out["outcome"] == "NOT_CHILD_LABOUR" and out["version"] == "1999.1-xk"
    shown = run("rules", "show", str(variant), "--format", "json")
    detail = json.loads(shown.stdout)
    assert detail["params"]["min_age"] == 14
    assert detail["rule"]["otherwise"] == "BELOW_MINIMUM_AGE"  # inherited rule is shown
    missing = run("assess", "--ruleset", str(tmp_path / "nope.yaml"), "-", stdin=rec)
    assert missing.returncode == 2 and "no such rule-set file" in missing.stderr
