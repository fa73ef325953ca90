"""Prevalence: respondents screened with the rules engine, then design-based estimates."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from vigil.errors import InputError
from vigil.rules import load_ruleset
from vigil.stats.design import load_design
from vigil.stats.prevalence import POSITIVE, UPPER, load_mapping, screen_frame
from vigil.stats.survey import Mean, SurveyDesign


@pytest.fixture
def survey(tmp_path: Path) -> Path:
    rng = np.random.default_rng(7)
    n = 600
    frame = pl.DataFrame({
        "psu": np.arange(n) // 10,
        "stratum": (np.arange(n) // 10) % 3,
        "wt": 40.0 + ((np.arange(n) // 10) % 3) * 5,
        "q_ur05": (rng.random(n) < 0.3).astype(int),
        "q_pn02": rng.choice([0, 1, 9], n, p=[0.7, 0.2, 0.1]),
    })
    frame.write_csv(tmp_path / "svy.csv")
    (tmp_path / "design.yaml").write_text("ids: [psu]\nstrata: stratum\nweights: wt\n")
    (tmp_path / "map.yaml").write_text(
        "ruleset: ilo-2012-forced-labour\nindicators: {UR05: q_ur05, D1.PN02: q_pn02}\n")
    return tmp_path


def test_screened_prevalence_equals_the_rule_applied_by_hand(survey: Path) -> None:
    frame = pl.read_csv(survey / "svy.csv")
    screened = screen_frame(frame, load_ruleset("ilo-2012-forced-labour"), load_mapping(survey / "map.yaml"))
    by_hand = ((frame["q_ur05"] == 1) & (frame["q_pn02"] == 1)).cast(pl.Int8)
    upper = ((frame["q_ur05"] == 1) & (frame["q_pn02"] != 0)).cast(pl.Int8)
    assert screened[POSITIVE].to_list() == by_hand.to_list()
    assert screened[UPPER].to_list() == upper.to_list()
    design = SurveyDesign.from_frame(screened.with_columns(by_hand.alias("hand")),
                                     load_design(survey / "design.yaml"))
    ours, hand = design.estimate([Mean(POSITIVE), Mean("hand")])
    assert ours.value == hand.value and ours.se == hand.se and 0 < ours.value < 0.2


def test_cli_prevalence_json(survey: Path) -> None:
    res = subprocess.run(
        [sys.executable, "-m", "vigil", "estimate", "prevalence", "--design", str(survey / "design.yaml"),
         "--mapping", str(survey / "map.yaml"), "--format", "json", str(survey / "svy.csv")],
        capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["ruleset"] == "ilo-2012-forced-labour" and out["version"] == "2012.1"
    stats = {(e["statistic"], e["variable"]): e for e in out["estimates"]}
    low, high = stats[("mean", POSITIVE)], stats[("mean", UPPER)]
    assert low["value"] <= high["value"] and low["se"] > 0


def test_bad_mapping_and_answers(survey: Path) -> None:
    frame = pl.read_csv(survey / "svy.csv")
    rs = load_ruleset("ilo-2012-forced-labour")
    (survey / "bad.yaml").write_text("indicators: {ZZ01: q_ur05}\n")
    with pytest.raises(InputError, match="unknown indicator") as info:
        screen_frame(frame, rs, load_mapping(survey / "bad.yaml"))
    assert info.value.place == "mapping, indicators.ZZ01"
    (survey / "nocol.yaml").write_text("indicators: {UR05: q_nope}\n")
    with pytest.raises(InputError, match="no column 'q_nope'"):
        screen_frame(frame, rs, load_mapping(survey / "nocol.yaml"))
    odd = frame.with_columns(pl.when(pl.int_range(pl.len()) == 4).then(7).otherwise(pl.col("q_ur05"))
                             .alias("q_ur05"))
    with pytest.raises(InputError, match="answer 7 is not in the mapping") as info:
        screen_frame(odd, rs, load_mapping(survey / "map.yaml"), "svy.csv")
    assert info.value.place == "svy.csv, row 6, column q_ur05"


def test_small_domains_are_suppressed_with_secondary_suppression() -> None:
    from vigil.stats.prevalence import suppressed_domains

    region = ["A"] * 200 + ["B"] * 50 + ["C"] * 100 + ["D"] * 5
    positive = [1] * 40 + [0] * 160 + [1] * 3 + [0] * 47 + [1] * 20 + [0] * 80 + [0] * 5
    frame = pl.DataFrame({"region": region, POSITIVE: positive, UPPER: positive})
    hidden = suppressed_domains(frame, ["region"], 11)
    # B has 3 positive respondents (primary), D only 5 respondents; one more domain is hidden so
    # that the overall count (63) cannot give B back
    assert ("B",) in hidden and ("D",) in hidden
    assert len(hidden - {("D",)}) == 2
    assert suppressed_domains(frame, ["region"], 0) == set()
    assert suppressed_domains(frame.filter(pl.col("region") == "B"), [], 11) == {()}
    assert suppressed_domains(frame, [], 11) == set()


def test_cli_prevalence_hides_small_domains(survey: Path) -> None:
    res = subprocess.run(
        [sys.executable, "-m", "vigil", "estimate", "prevalence", "--design", str(survey / "design.yaml"),
         "--mapping", str(survey / "map.yaml"), "--by", "psu", "--format", "json", str(survey / "svy.csv")],
        capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    rows = json.loads(res.stdout)["estimates"]
    hidden = [r for r in rows if r["suppressed"]]
    assert hidden and all(set(r) == {"domain", "suppressed"} for r in hidden)
    shown_psus = {r["domain"]["psu"] for r in rows if not r["suppressed"]}
    assert not shown_psus & {r["domain"]["psu"] for r in hidden}
