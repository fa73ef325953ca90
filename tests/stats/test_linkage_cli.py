"""``vigil link`` and ``vigil link synth`` as a user runs them."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from vigil.cli.main import main
from vigil.stats.capture import read_capture_csv


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def synth_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("synth")
    # The real entry point, in a subprocess, once.
    done = subprocess.run(
        [sys.executable, "-m", "vigil", "link", "synth", "--people", "200", "--lists", "3",
         "--seed", "3", "--out", str(folder)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "vigil link --config" in done.stderr
    return folder


def test_synth_writes_lists_config_and_truth(synth_dir: Path) -> None:
    names = ["police", "labour_inspectorate", "ngo"]
    for name in names:
        assert (synth_dir / f"{name}.csv").is_file()
    config = yaml.safe_load((synth_dir / "lists.yaml").read_text(encoding="utf-8"))
    assert list(config["lists"]) == names
    truth = read_capture_csv(synth_dir / "truth.csv")
    assert truth.lists == tuple(names)
    with (synth_dir / "truth_records.csv").open(encoding="utf-8") as fh:
        records = list(csv.DictReader(fh))
    assert len({r["person"] for r in records}) == truth.n_observed
    # the first list uses its own column names and day-first dates
    header = (synth_dir / "police.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("first_name,surname,dob")


def test_link_writes_capture_histories_and_summary(
    synth_dir: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out_file = tmp_path / "capture.csv"
    code, out, err = run(
        ["link", "--config", str(synth_dir / "lists.yaml"), "-o", str(out_file),
         "--truth", str(synth_dir / "truth_records.csv")],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    assert out == ""
    table = read_capture_csv(out_file)
    truth = read_capture_csv(synth_dir / "truth.csv")
    assert table.lists == truth.lists
    assert abs(table.n_observed - truth.n_observed) <= 0.08 * truth.n_observed
    assert "distinct people observed" in err and "within-list duplicates" in err
    assert "quality against the truth: pairwise precision" in err
    f1 = float(err.split(" F1 ")[1].split()[0])
    assert f1 >= 0.9, err
    # no name from the lists appears in the summary
    with (synth_dir / "ngo.csv").open(encoding="utf-8") as fh:
        names = {row["family_name"] for row in csv.DictReader(fh) if row["family_name"]}
    assert not any(f" {name} " in f" {err} " for name in names if len(name) > 3)


def test_link_to_stdout_with_list_arguments_and_threshold(
    synth_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        ["link", "--config", str(synth_dir / "lists.yaml"), "--threshold", "0.95",
         f"ngo={synth_dir / 'ngo.csv'}", str(synth_dir / "labour_inspectorate.csv")],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "labour_inspectorate,ngo,count"
    assert {line.rsplit(",", 1)[0] for line in lines[1:]} == {"1,0", "0,1", "1,1"}
    assert "match threshold 0.95" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--threshold", "2"], "--threshold: must be a number strictly between 0 and 1"),
        (["nobody=x.csv"], "argument 'nobody=x.csv': list 'nobody' is not in the configuration"),
        (["ngo=does-not-exist.csv", "police=police.csv"], "does-not-exist.csv: file not found"),
        (["ngo=ngo.csv"], "at least two lists are needed"),
    ],
)
def test_link_errors_are_one_line_exit_2(
    synth_dir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(synth_dir)
    code, out, err = run(["link", "--config", str(synth_dir / "lists.yaml"), *argv], capsys)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("vigil: ")
    assert message in err


def test_missing_config_and_spark_without_pyspark(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = run(["link", "--config", str(tmp_path / "nope.yaml")], capsys)
    assert code == 2 and "configuration file not found" in err
    (tmp_path / "a.csv").write_text("given_name,family_name\nA,B\n", encoding="utf-8")
    (tmp_path / "b.csv").write_text("given_name,family_name\nA,B\n", encoding="utf-8")
    (tmp_path / "lists.yaml").write_text(
        "backend: spark\nlists:\n  a: a.csv\n  b: b.csv\n", encoding="utf-8"
    )
    monkeypatch.setitem(sys.modules, "pyspark", None)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    code, _, err = run(["link", "--config", str(tmp_path / "lists.yaml")], capsys)
    assert code == 2
    assert err.startswith("vigil: lists.yaml, key backend: backend 'spark' needs the pyspark")


def test_synth_bad_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["link", "synth", "--out", str(tmp_path), "--lists", "1"], capsys)
    assert code == 2 and "number of lists" in err
    code, _, err = run(["link", "synth", "--out", str(tmp_path), "--noise", "loud"], capsys)
    assert code == 2 and "unknown noise level" in err
