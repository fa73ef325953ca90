"""vigil.stats.farrington against R's surveillance::farringtonFlexible.

tests/stats/farrington_r/series.csv (six units, 313 weeks) was run through farringtonFlexible by
tests/stats/farrington_r/reference.R under each row of settings.csv; reference_output.csv is what
R wrote (its first line names R's and the package's versions). Every evaluated week of every unit
must agree: the same weeks without a threshold (limit54 or no fit), `expected` and `upper` within
1e-6 relative, the same alarms. Where Rscript with surveillance is installed, a second test runs
the script afresh and checks that R still writes the recorded figures.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import shutil
import subprocess
from pathlib import Path

import pytest

from vigil.cli.alerts_commands import read_counts
from vigil.stats.farrington import FarringtonControl, detect

HERE = Path(__file__).with_name("farrington_r")
ROOT = Path(__file__).resolve().parents[2]


def _settings() -> list[dict[str, str]]:
    with (HERE / "settings.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _reference(path: Path) -> dict[tuple[str, str, str], dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        lines = [line for line in fh if not line.startswith("#")]
    return {(r["setting"], r["unit"], r["period"]): r for r in csv.DictReader(lines)}


def _ours(setting: dict[str, str]) -> dict[tuple[str, str], tuple[float | None, float | None, bool]]:
    units, dates, counts, _ = read_counts(HERE / "series.csv")
    control = FarringtonControl(
        years_back=int(setting["b"]), window=int(setting["w"]), alpha=float(setting["alpha"]),
        no_periods=int(setting["noPeriods"]),
        past_weeks_not_included=int(setting["pastWeeksNotIncluded"]),
        threshold_method=setting["thresholdMethod"])
    found = detect(units, dates, counts, control, evaluate_last=int(setting["evaluate_last"]))
    return {(d.unit, d.period.isoformat()): (d.expected, d.upper, d.alarm) for d in found}


def _value(text: str) -> float | None:
    return None if text in ("", "NA") else float(text)


def _agree(ours: float | None, theirs: float | None) -> bool:
    if ours is None or theirs is None:
        return ours is None and theirs is None
    return math.isclose(ours, theirs, rel_tol=1e-6, abs_tol=1e-9)


def _compare(reference: dict[tuple[str, str, str], dict[str, str]], setting: dict[str, str]) -> None:
    ours = _ours(setting)
    rows = {k[1:]: v for k, v in reference.items() if k[0] == setting["name"]}
    assert len(rows) == len(ours) == 6 * int(setting["evaluate_last"])
    differences = []
    for key, r in rows.items():
        expected, upper, alarm = ours[key]
        r_upper = _value(r["upper"])
        # R writes an expected value even where limit54 withholds the threshold; Vigil writes none
        r_expected = _value(r["expected"]) if r_upper is not None else None
        r_alarm = r["alarm"] == "TRUE"
        if not (_agree(upper, r_upper) and _agree(expected, r_expected) and alarm == r_alarm):
            differences.append((key, (expected, upper, alarm), (r_expected, r_upper, r_alarm)))
    assert not differences, differences[:5]


@pytest.mark.parametrize("setting", _settings(), ids=lambda s: s["name"])
def test_every_week_agrees_with_the_recorded_r_output(setting: dict[str, str]) -> None:
    _compare(_reference(HERE / "reference_output.csv"), setting)


def test_the_recorded_output_exercises_alarms_and_withheld_thresholds() -> None:
    rows = _reference(HERE / "reference_output.csv").values()
    assert any(r["alarm"] == "TRUE" for r in rows)
    assert any(r["upper"] in ("", "NA") for r in rows)
    assert any(r["alarm"] == "FALSE" and r["upper"] not in ("", "NA") for r in rows)


def _r_with_surveillance() -> bool:
    if shutil.which("Rscript") is None:
        return False
    probe = subprocess.run(["Rscript", "-e", "library(surveillance)"], capture_output=True,
                           check=False)
    return probe.returncode == 0


@pytest.mark.skipif(not _r_with_surveillance(),
                    reason="Rscript with the surveillance package is not installed "
                           "(Debian: apt-get install r-cran-surveillance); the recorded R output "
                           "is checked by the tests above")
def test_r_run_afresh_writes_the_recorded_figures(tmp_path: Path) -> None:
    work = tmp_path / "tests/stats/farrington_r"
    work.mkdir(parents=True)
    for name in ("series.csv", "settings.csv"):
        shutil.copy(HERE / name, work / name)
    subprocess.run(["Rscript", str(HERE / "reference.R")], cwd=tmp_path, check=True,
                   capture_output=True, timeout=600)
    fresh = _reference(work / "reference_output.csv")
    for setting in _settings():
        _compare(fresh, setting)


def test_series_covers_six_years_of_mondays() -> None:
    _, dates, counts, _ = read_counts(HERE / "series.csv")
    assert dates[0] == dt.date(2019, 1, 7) and len(dates) == 313 and counts.shape == (6, 313)
