"""``vigil estimate mse``: JSON shape, agreement with the library, tables, one-line errors."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from vigil.stats.capture import read_capture_csv
from vigil.stats.mse import estimate_search, estimate_stepwise

REF = Path(__file__).resolve().parents[3] / "shared/reference/mse"
cli = importlib.import_module("vigil.cli.main")


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        cli.main(args)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_json_stepwise_matches_library(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["estimate", "mse", "--format", "json", str(REF / "UKdat.csv")], capsys)
    assert code == 0
    d = json.loads(out)
    lib = estimate_stepwise(read_capture_csv(REF / "UKdat.csv"))
    assert d["estimate"] == pytest.approx(lib.estimate)
    assert d["ci_model"] == pytest.approx(list(lib.ci_model))
    assert d["terms"] == ["PF:NCA", "LA:NG", "NG:GP", "LA:PF", "PF:GP", "GO:GP", "NG:GO"]
    assert d["n_observed"] == 2744
    assert d["warnings"] == []
    assert "ci_bootstrap" not in d


def test_json_bootstrap_is_seeded(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["estimate", "mse", "--format", "json", "--bootstrap", "100", "--seed", "5"]
    code, out, _ = _run([*args, str(REF / "NewOrl_5.csv")], capsys)
    assert code == 0
    first = json.loads(out)
    _, out2, _ = _run([*args, str(REF / "NewOrl_5.csv")], capsys)
    assert json.loads(out2)["ci_bootstrap"] == first["ci_bootstrap"]
    lo, hi = first["ci_bootstrap"]
    assert lo < first["estimate"] < hi
    assert first["terms"] == []


def test_json_empty_overlap_warning(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["estimate", "mse", "--format", "json", str(REF / "Ned_5.csv")], capsys)
    assert code == 0
    d = json.loads(out)
    assert d["empty_overlaps"] == ["K:R"]
    assert "K:R" in d["terms"]
    assert any("K and R have no one in common" in w for w in d["warnings"])


def test_threshold_zero_is_main_effects(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(
        ["estimate", "mse", "--threshold", "0", "--format", "json", str(REF / "UKdat.csv")], capsys
    )
    assert code == 0
    d = json.loads(out)
    assert d["terms"] == []
    assert d["estimate"] == pytest.approx(12214.0, rel=5e-4)


def test_bic_table_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(REF / "UKdat_5.csv")
    code, out, _ = _run(["estimate", "mse", "--method", "bic", "--max-order", "2", path], capsys)
    assert code == 0
    assert "[12,13,23,25,34]" in out
    assert "22,991" in out
    assert "Models compared" in out
    code, out, _ = _run(
        ["estimate", "mse", "--method", "bic", "--max-order", "2", "--format", "json", path], capsys
    )
    d = json.loads(out)
    lib = estimate_search(read_capture_csv(REF / "UKdat_5.csv"), max_order=2)
    assert d["estimate"] == pytest.approx(lib.estimate)
    assert d["models"][0]["model"] == "[12,13,23,25,34]"
    assert len(d["models"]) == 10


def test_table_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["estimate", "mse", str(REF / "UKdat.csv")], capsys)
    assert code == 0
    assert "11,418" in out
    assert "9,977 – 13,146" in out
    assert "PF:NCA" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "xml"], "--format: must be table or json"),
        (["--method", "magic"], "--method: must be one of"),
        (["--threshold", "2"], "--threshold: must be between 0 and 1"),
        (["--bootstrap", "-3"], "--bootstrap: must be zero or positive"),
    ],
)
def test_bad_options_exit_2(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(["estimate", "mse", *args, str(REF / "UKdat.csv")], capsys)
    assert code == 2
    assert message in err
    assert err.count("\n") == 1


def test_bad_file_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "lists.csv"
    bad.write_text("A,B,count\n1,0,4\n1,1,-2\n", encoding="utf-8")
    code, _, err = _run(["estimate", "mse", str(bad)], capsys)
    assert code == 2
    assert err.startswith("vigil: ")
    assert "lists.csv, row 2, column count" in err
    assert err.count("\n") == 1


def test_single_list_is_an_estimation_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    one = tmp_path / "one.csv"
    one.write_text("A,count\n1,4\n", encoding="utf-8")
    code, _, err = _run(["estimate", "mse", str(one)], capsys)
    assert code == 2
    assert "at least two lists" in err


def test_bic_bootstrap_json(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["estimate", "mse", "--method", "bic", "--max-order", "2", "--bootstrap", "50"]
    code, out, _ = _run([*args, "--seed", "3", "--format", "json", str(REF / "NewOrl_5.csv")], capsys)
    assert code == 0
    d = json.loads(out)
    assert d["settings"]["bootstrap_models"] == 100
    lo, hi = d["ci_bootstrap"]
    assert lo < d["estimate"] < hi


def test_fixed_model(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(REF / "NewOrl.csv")
    code, out, _ = _run(
        ["estimate", "mse", "--method", "fixed", "--terms", "D:E", "--format", "json", path], capsys
    )
    assert code == 0
    d = json.loads(out)
    assert d["terms"] == ["D:E"]
    assert d["estimate"] == pytest.approx(1183.7, rel=1e-4)
    code, _, err = _run(["estimate", "mse", "--method", "fixed", path], capsys)
    assert code == 2
    assert "--terms" in err
    code, _, err = _run(["estimate", "mse", "--method", "fixed", "--terms", "A:Q", path], capsys)
    assert code == 2
    assert "unknown list 'Q'" in err


def test_top_zero_lists_every_model(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["estimate", "mse", "--method", "aic", "--max-order", "2", "--top", "0", "--format", "json"]
    code, out, _ = _run([*args, str(REF / "UKdat_4.csv")], capsys)
    assert code == 0
    d = json.loads(out)
    assert len(d["models"]) == 64  # all 2^6 pairwise models on four lists pass the check
    aics = [m["aic"] for m in d["models"]]
    assert aics == sorted(aics)
