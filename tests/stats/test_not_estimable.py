"""Data that cannot identify the population are refused, never answered with a number.

Multiple systems estimation (issue 17, item 1): lists without overlap, a list holding everyone
observed, a saturated or otherwise unidentifiable model. Every entry point (the stepwise,
main-effects, fixed and search estimators, the bootstrap) raises ``NotEstimableError`` that
says the population is not estimable from these lists and why; the CLI prints it on one line
and exits 2. The survey estimators: a stratum with one PSU is refused naming the stratum
unless a lonely-PSU rule is given; a domain without respondents gets a result that says so.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from vigil.errors import EstimationError, NotEstimableError
from vigil.stats.capture import CaptureHistories
from vigil.stats.design import DesignSpec
from vigil.stats.mse import (
    bootstrap,
    estimate,
    estimate_fixed,
    estimate_main,
    estimate_search,
    estimate_stepwise,
)
from vigil.stats.survey import Mean, Ratio, SurveyDesign, Total

VIGIL = [sys.executable, "-m", "vigil"]


def table(lists: str, rows: list[tuple[str, int]]) -> CaptureHistories:
    return CaptureHistories.from_arrays(
        list(lists), [[int(c) for c in pattern] for pattern, _ in rows], [n for _, n in rows]
    )


# tables that cannot identify the population, and what the refusal must say
UNIDENTIFIED = {
    "two lists, no overlap": (table("AB", [("10", 30), ("01", 40)]), "A and B have no one in common"),
    "two lists, zero overlap row": (
        table("AB", [("10", 30), ("01", 40), ("11", 0)]),
        "30 x 40 / 0 is undefined",
    ),
    "three lists, no pair overlaps": (
        table("ABC", [("100", 10), ("010", 12), ("001", 9)]),
        "no two lists have anyone in common",
    ),
    "a list holds everyone": (table("AB", [("10", 30), ("11", 5)]), "list A contains everyone observed"),
}

ENTRY_POINTS: dict[str, Callable[[CaptureHistories], Any]] = {
    "stepwise": estimate_stepwise,
    "main": estimate_main,
    "estimate(stepwise)": lambda h: estimate(h),
    "estimate(bic)": lambda h: estimate(h, method="bic"),
    "estimate(aic)": lambda h: estimate(h, method="aic"),
    "search": lambda h: estimate_search(h, top=0),
    "bootstrap": lambda h: bootstrap(h, nboot=20, seed=1),
    "estimate with bootstrap": lambda h: estimate(h, nboot=20, seed=1),
    "bic with bootstrap": lambda h: estimate(h, method="bic", nboot=20, seed=1),
}


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
@pytest.mark.parametrize("case", list(UNIDENTIFIED))
def test_every_entry_point_refuses(case: str, entry: str) -> None:
    h, why = UNIDENTIFIED[case]
    with pytest.raises(NotEstimableError) as info:
        ENTRY_POINTS[entry](h)
    text = str(info.value)
    assert text.startswith("the population is not estimable from these lists: ")
    assert why in text
    assert "\n" not in text
    assert isinstance(info.value, EstimationError)  # callers catching the old class still do


def test_saturated_model_is_refused() -> None:
    h = table("AB", [("10", 30), ("01", 40), ("11", 5)])
    with pytest.raises(NotEstimableError, match=r"model \[12\]: the model is not identifiable"):
        estimate_fixed(h, ["A:B"])


def test_unbounded_fixed_model_is_refused() -> None:
    # A:C and B:C are empty, so the main-effects model on these three lists has no MLE
    h = table("ABC", [("100", 10), ("010", 12), ("001", 9), ("110", 3)])
    assert estimate_main(h).check == 0  # main effects exist here (A:B carries the information)
    with pytest.raises(NotEstimableError, match="not estimable"):
        estimate_fixed(table("ABC", [("100", 10), ("010", 12), ("001", 9)]), [])


@pytest.mark.parametrize("seed", range(30))
def test_two_lists_refused_exactly_when_lincoln_petersen_is_undefined(seed: int) -> None:
    rng = np.random.default_rng(seed)
    only_a, only_b, both = (int(v) for v in rng.integers(0, 4, size=3) * rng.integers(0, 30, size=3))
    rows = [(p, n) for p, n in (("10", only_a), ("01", only_b), ("11", both)) if n > 0]
    if not rows:
        return
    h = table("AB", rows)
    defined = both > 0 and only_a > 0 and only_b > 0
    if defined:
        res = estimate_stepwise(h)
        n_a, n_b = only_a + both, only_b + both
        assert res.estimate == pytest.approx(n_a * n_b / both, rel=1e-9)  # Lincoln-Petersen
        assert np.isfinite(res.ci_model).all()
    else:
        with pytest.raises(NotEstimableError, match="not estimable from these lists"):
            estimate_stepwise(h)


def test_estimable_data_keep_their_numbers() -> None:
    h = table("AB", [("10", 30), ("01", 40), ("11", 5)])
    assert estimate_stepwise(h).estimate == pytest.approx(315.0)
    assert estimate(h, method="bic").estimate == pytest.approx(315.0)
    b = bootstrap(h, nboot=50, seed=3)
    assert np.isfinite(list(b.limits.values())).all()


def test_cli_refuses_with_one_line_and_exit_2(tmp_path: Path) -> None:
    src = tmp_path / "lists.csv"
    src.write_text("police,ngo,count\n1,0,30\n0,1,40\n", "utf-8")
    for extra in ([], ["--format", "json"], ["--method", "bic"], ["--bootstrap", "20"]):
        res = subprocess.run([*VIGIL, "estimate", "mse", *extra, str(src)],
                             capture_output=True, text=True, timeout=120)
        assert res.returncode == 2, (extra, res.stderr)
        assert res.stdout == ""
        lines = res.stderr.splitlines()
        assert len(lines) == 1, res.stderr
        assert lines[0].startswith("vigil: the population is not estimable from these lists: lists "
                                   "police and ngo have no one in common")


# ------------------------------------------------------------------------- survey
def _frame() -> pl.DataFrame:
    return pl.DataFrame({
        "psu": [1, 2, 3, 4, 5, 6],
        "stratum": ["a", "a", "b", "c", "c", "c"],
        "wt": [10.0, 10.0, 10.0, 10.0, 0.0, 10.0],
        "y": [1.0, 0.0, 1.0, 1.0, 0.0, 0.0],
        "x": [1.0, 1.0, 1.0, 1.0, 1.0, 0.0],
        "region": ["n", "n", "s", "n", "e", "n"],
    })


def test_one_psu_stratum_is_refused_naming_it() -> None:
    design = SurveyDesign.from_frame(_frame(), DesignSpec(ids=("psu",), strata=("stratum",), weights="wt"))
    with pytest.raises(NotEstimableError, match=r"stratum 'b' .*only one PSU.*--lonely-psu"):
        design.estimate([Mean("y")])
    for rule in ("remove", "certainty", "adjust", "average"):
        (res,) = design.estimate([Mean("y")], lonely_psu=rule)
        assert np.isfinite(res.value) and np.isfinite(res.se)


def test_domain_without_respondents_says_so() -> None:
    design = SurveyDesign.from_frame(_frame(), DesignSpec(ids=("psu",), strata=("stratum",), weights="wt"))
    results = design.estimate([Mean("y"), Total("y"), Ratio("y", "x")], by="region", lonely_psu="remove")
    east = {r.statistic: r for r in results if r.domain == {"region": "e"}}
    assert set(east) == {"mean", "total", "ratio"}
    assert np.isnan(east["mean"].value) and np.isnan(east["mean"].se)
    assert east["mean"].note is not None and "no respondents" in east["mean"].note
    assert east["total"].value == 0.0 and "no respondents" in (east["total"].note or "")
    assert east["mean"].to_dict()["value"] is None and "note" in east["mean"].to_dict()
    north = [r for r in results if r.domain == {"region": "n"}]
    assert all(r.note is None and np.isfinite(r.value) for r in north)
    assert "note" not in north[0].to_dict()


def test_cli_prevalence_domain_without_respondents(tmp_path: Path) -> None:
    (tmp_path / "svy.csv").write_text(
        "psu,stratum,wt,q_ur05,q_pn02,region\n1,a,10,1,1,n\n2,a,10,0,1,n\n3,a,0,1,0,s\n"
        "4,b,10,1,1,n\n5,b,10,0,0,n\n6,b,0,0,0,s\n", "utf-8")
    (tmp_path / "design.yaml").write_text("ids: [psu]\nstrata: stratum\nweights: wt\n", "utf-8")
    (tmp_path / "map.yaml").write_text(
        "ruleset: ilo-2012-forced-labour\nindicators: {UR05: q_ur05, D1.PN02: q_pn02}\n", "utf-8")
    base = [*VIGIL, "estimate", "prevalence", "--design", str(tmp_path / "design.yaml"), "--mapping",
            str(tmp_path / "map.yaml"), "--min-count", "0", "--by", "region", str(tmp_path / "svy.csv")]
    res = subprocess.run([*base, "--format", "json"], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    south = [e for e in json.loads(res.stdout)["estimates"] if e["domain"] == {"region": "s"}]
    assert south and all("no respondents" in e["note"] for e in south)
    assert all(e["value"] is None for e in south if e["statistic"] == "mean")
    res = subprocess.run(base, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0 and "region=s: no respondents" in res.stdout
