"""Replicate-weight designs (R ``svrepdesign`` / ``as.svrepdesign``).

The expected values are computed here from the definitions with plain Python loops: build
each replicate's weights row by row, recompute the statistic, and apply
``scale * sum(rscales * (theta_r - centre)^2)``. They do not call the code under test.
Identities checked as well: for a total, JK1 and JKn equal Taylor linearisation (with the
fpc when the replicates carry it), so they reproduce R's printed linearisation SEs; BRR and
Fay with a balanced (Hadamard) set equal linearisation for two PSUs per stratum.
"""

from __future__ import annotations

import importlib
import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from vigil.errors import EstimationError, InputError
from vigil.io.tables import read_table
from vigil.stats.design import DesignSpec, load_design, parse_design
from vigil.stats.survey import Mean, Proportion, Ratio, SurveyDesign, Total, estimate
from vigil.stats.survey_replicates import (
    ReplicateDesign,
    ReplicateSpec,
    replicate_design,
    replicate_variance,
)

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "survey"
cli = importlib.import_module("vigil.cli.main")

Row = dict[str, Any]
StatFn = Callable[[Sequence[Row], Sequence[float]], float]


def _rows(name: str) -> list[Row]:
    return read_table(REFERENCE / name).to_dicts()


def _total(var: str) -> StatFn:
    return lambda rows, w: sum(wi * r[var] for r, wi in zip(rows, w, strict=True))


def _mean(var: str) -> StatFn:
    def f(rows: Sequence[Row], w: Sequence[float]) -> float:
        den = sum(w)
        return sum(wi * r[var] for r, wi in zip(rows, w, strict=True)) / den if den else math.nan

    return f


def _prop(var: str, level: str) -> StatFn:
    def f(rows: Sequence[Row], w: Sequence[float]) -> float:
        den = sum(w)
        hits = sum(wi for r, wi in zip(rows, w, strict=True) if r[var] == level)
        return hits / den if den else math.nan

    return f


def _ratio(num: str, den: str) -> StatFn:
    def f(rows: Sequence[Row], w: Sequence[float]) -> float:
        top = sum(wi * r[num] for r, wi in zip(rows, w, strict=True))
        bottom = sum(wi * r[den] for r, wi in zip(rows, w, strict=True))
        return top / bottom

    return f


STATISTICS = [
    (Total("enroll"), _total("enroll")),
    (Mean("api00"), _mean("api00")),
    (Proportion("sch.wide", "Yes"), _prop("sch.wide", "Yes")),
    (Ratio("api00", "api99"), _ratio("api00", "api99")),
]


def _loop_variance(thetas: list[float], full: float, scale: float, rscales: list[float], mse: bool) -> float:
    """svrVar by hand: drop NaN replicates, centre, weighted sum of squares."""
    pairs = [(t, s) for t, s in zip(thetas, rscales, strict=True) if not math.isnan(t)]
    if mse:
        centre = full
    else:
        used = [t for t, s in pairs if s > 0]
        centre = sum(used) / len(used)
    return scale * sum(s * (t - centre) ** 2 for t, s in pairs)


def _jk1_weights(rows: list[Row], psu: str) -> list[list[float]]:
    """One replicate per PSU: that PSU gets 0, every other row pw * n/(n-1)."""
    psus = sorted({r[psu] for r in rows})
    n = len(psus)
    return [[0.0 if r[psu] == j else r["pw"] * n / (n - 1) for r in rows] for j in psus]


def _jkn_weights(rows: list[Row], stratum: str, fpc: bool) -> tuple[list[list[float]], list[float]]:
    """Each row is its own PSU: delete it, rescale its stratum by n_h/(n_h-1)."""
    sizes: dict[str, int] = {}
    for r in rows:
        sizes[r[stratum]] = sizes.get(r[stratum], 0) + 1
    replicates, rscales = [], []
    for i, deleted in enumerate(rows):
        h = deleted[stratum]
        n_h = sizes[h]
        weights = []
        for k, r in enumerate(rows):
            if k == i:
                weights.append(0.0)
            elif r[stratum] == h:
                weights.append(r["pw"] * n_h / (n_h - 1))
            else:
                weights.append(r["pw"])
        replicates.append(weights)
        f = (deleted["fpc"] - n_h) / deleted["fpc"] if fpc else 1.0
        rscales.append(f * (n_h - 1) / n_h)
    return replicates, rscales


def _check(
    results: list[Any],
    rows: list[Row],
    replicates: list[list[float]],
    scale: float,
    rscales: list[float],
    mse: bool,
    rel: float = 1e-9,
) -> None:
    pw = [r["pw"] for r in rows]
    by_label = {item.variable: item for item in results}
    for statistic, function in STATISTICS:
        full = function(rows, pw)
        thetas = [function(rows, w) for w in replicates]
        se = math.sqrt(_loop_variance(thetas, full, scale, rscales, mse))
        got = by_label[statistic.label]
        assert got.value == pytest.approx(full, rel=rel)
        assert got.se == pytest.approx(se, rel=rel), statistic


# --- as.svrepdesign: JK1 and JKn from a linearisation design ------------------------------


@pytest.mark.parametrize("mse", [False, True])
def test_jk1_from_cluster_design_matches_loops(mse: bool) -> None:
    rows = _rows("apiclus1.csv")
    frame = pl.DataFrame(rows)
    design = {"ids": ["dnum"], "weights": "pw", "fpc": "fpc", "replicates": "JK1", "mse": mse}
    results = estimate(frame, design, [s for s, _ in STATISTICS])
    n = len({r["dnum"] for r in rows})
    big_n = rows[0]["fpc"]
    scale = (big_n - n) / big_n * (n - 1) / n
    _check(results, rows, _jk1_weights(rows, "dnum"), scale, [1.0] * n, mse)


@pytest.mark.parametrize(("fpc", "mse"), [(True, False), (True, True), (False, False)])
def test_jkn_from_stratified_design_matches_loops(fpc: bool, mse: bool) -> None:
    rows = _rows("apistrat.csv")
    frame = pl.DataFrame(rows)
    design: dict[str, Any] = {"strata": "stype", "weights": "pw", "replicates": "JKn", "mse": mse}
    if fpc:
        design["fpc"] = "fpc"
    results = estimate(frame, design, [s for s, _ in STATISTICS])
    replicates, rscales = _jkn_weights(rows, "stype", fpc)
    _check(results, rows, replicates, 1.0, rscales, mse)


def test_auto_picks_jk1_or_jkn() -> None:
    strat = parse_design({"strata": "stype", "weights": "pw", "replicates": "auto"})
    frame = read_table(REFERENCE / "apistrat.csv")
    design = SurveyDesign.from_frame(frame, strat)
    assert isinstance(design, ReplicateDesign)
    assert design.replicate_spec.type == "JKn" and design.replicates().count == 200
    clus = parse_design({"ids": "dnum", "weights": "pw", "replicates": "auto"})
    design = SurveyDesign.from_frame(read_table(REFERENCE / "apiclus1.csv"), clus)
    assert isinstance(design, ReplicateDesign) and design.replicate_spec.type == "JK1"
    assert design.replicates().count == 15


# --- identities with linearisation (and so with R's printed values) -----------------------


def _reference() -> dict[str, tuple[float, float]]:
    table = pl.read_csv(REFERENCE / "r_survey_reference.csv")
    return {row["estimate"]: (row["value"], row["se"]) for row in table.to_dicts()}


@pytest.mark.parametrize("mse", [False, True])
def test_jkn_totals_equal_linearisation_apistrat(mse: bool) -> None:
    """Deleting one PSU per replicate makes a total's JKn variance the linearisation one:
    with the fpc carried in rscales it is R's printed SE; without fpc it is the no-fpc SE."""
    frame = read_table(REFERENCE / "apistrat.csv")
    with_fpc = {"strata": "stype", "weights": "pw", "fpc": "fpc", "replicates": "JKn", "mse": mse}
    (total,) = estimate(frame, with_fpc, [Total("enroll")])
    value, se = _reference()["apistrat.total.enroll"]
    assert total.value == pytest.approx(value, rel=1e-9)
    assert total.se == pytest.approx(se, rel=1e-8)

    no_fpc = {"strata": "stype", "weights": "pw", "replicates": "JKn", "mse": mse}
    linear = estimate(frame, DesignSpec(strata=("stype",), weights="pw"), [Total("enroll"), Total("api00")])
    replicate = estimate(frame, no_fpc, [Total("enroll"), Total("api00")])
    for lin, rep in zip(linear, replicate, strict=True):
        assert rep.value == pytest.approx(lin.value, rel=1e-12)
        assert rep.se == pytest.approx(lin.se, rel=1e-9)
    # the same without fpc, by the textbook formula: sum_h n_h/(n_h-1) sum_i (t_hi - mean_h)^2
    rows = frame.to_dicts()
    variance = 0.0
    for h in ("E", "H", "M"):
        t = [r["pw"] * r["enroll"] for r in rows if r["stype"] == h]
        mean_h = sum(t) / len(t)
        variance += len(t) / (len(t) - 1) * sum((x - mean_h) ** 2 for x in t)
    assert replicate[0].se == pytest.approx(math.sqrt(variance), rel=1e-9)


def test_jk1_total_equals_linearisation_apiclus1() -> None:
    frame = read_table(REFERENCE / "apiclus1.csv")
    design = {"ids": ["dnum"], "weights": "pw", "fpc": "fpc", "replicates": "JK1"}
    (total,) = estimate(frame, design, [Total("enroll")])
    value, se = _reference()["apiclus1.total.enroll"]
    assert total.value == pytest.approx(value, rel=1e-9)
    assert total.se == pytest.approx(se, rel=1e-8)


def test_r_example_rclus1_printed_values() -> None:
    """R's as.svrepdesign example, ``rclus1 <- as.svrepdesign(dclus1)``, prints
    ``svymean(~api00, rclus1)`` as 644.17 (SE 26.329) and ``svytotal(~enroll, rclus1)`` as
    3404940 (SE 932235); recalled from R's documentation, so checked to the printed digits."""
    frame = read_table(REFERENCE / "apiclus1.csv")
    design = {"ids": ["dnum"], "weights": "pw", "fpc": "fpc", "replicates": "JK1"}
    mean, total = estimate(frame, design, [Mean("api00"), Total("enroll")])
    assert round(mean.value, 2) == 644.17 and round(mean.se, 3) == 26.329
    assert round(total.value) == 3404940 and round(total.se) == 932235


# --- svrepdesign: replicate weights in the data ------------------------------------------


def _with_columns(rows: list[Row], replicates: list[list[float]], prefix: str, factors: bool) -> pl.DataFrame:
    frame = pl.DataFrame(rows)
    columns = {}
    for j, weights in enumerate(replicates, start=1):
        values = [w / r["pw"] for w, r in zip(weights, rows, strict=True)] if factors else weights
        columns[f"{prefix}{j}"] = values
    return frame.with_columns(**{name: pl.Series(values) for name, values in columns.items()})


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("combined", [True, False])
def test_svrepdesign_jk1_columns_match_loops(tmp_path: Path, combined: bool) -> None:
    rows = _rows("apiclus1.csv")
    replicates = _jk1_weights(rows, "dnum")
    frame = _with_columns(rows, replicates, "rw", factors=not combined)
    n = len(replicates)
    design = _write(
        tmp_path / "rep.yaml",
        f"type: JK1\nweights: pw\nrepweights: 'rw[0-9]+'\ncombined_weights: {str(combined).lower()}\n"
        f"scale: {n - 1}/{n}\n",
    )
    spec = load_design(design)
    assert isinstance(spec, ReplicateSpec) and spec.pattern == "rw[0-9]+"
    results = estimate(frame, spec, [s for s, _ in STATISTICS])
    _check(results, rows, replicates, (n - 1) / n, [1.0] * n, mse=False)


def test_svrepdesign_jkn_with_rscales_list_matches_conversion() -> None:
    rows = _rows("apistrat.csv")
    replicates, rscales = _jkn_weights(rows, "stype", fpc=True)
    frame = _with_columns(rows, replicates, "repw_", factors=False)
    names = [f"repw_{j}" for j in range(1, len(replicates) + 1)]
    spec = {"type": "JKn", "weights": "pw", "repweights": names, "rscales": rscales, "mse": True}
    results = estimate(frame, spec, [s for s, _ in STATISTICS])
    _check(results, rows, replicates, 1.0, rscales, mse=True)
    converted = estimate(
        frame,
        {"strata": "stype", "weights": "pw", "fpc": "fpc", "replicates": "JKn", "mse": True},
        [s for s, _ in STATISTICS],
    )
    for a, b in zip(results, converted, strict=True):
        assert a.se == pytest.approx(b.se, rel=1e-10)


def test_jk1_scale_guesses_as_r(tmp_path: Path) -> None:
    rows = _rows("apiclus1.csv")
    replicates = _jk1_weights(rows, "dnum")
    n = len(replicates)
    combined = replicate_design(
        _with_columns(rows, replicates, "rw", factors=False),
        {"type": "JK1", "weights": "pw", "repweights": "^rw"},
    )
    assert combined.replicates().scale == pytest.approx((n - 1) / n)
    assert any("guessing n = number of replicates" in note for note in combined.warnings)
    factors = replicate_design(
        _with_columns(rows, replicates, "rw", factors=True),
        {"type": "JK1", "weights": "pw", "repweights": "^rw", "combined_weights": False},
    )
    assert factors.replicates().scale == pytest.approx((n - 1) / n)  # 1/max of n/(n-1)
    assert any("1/max" in note for note in factors.warnings)


def test_jkn_rscales_guessed_from_factors() -> None:
    rows = _rows("apistrat.csv")
    replicates, rscales = _jkn_weights(rows, "stype", fpc=False)
    design = replicate_design(
        _with_columns(rows, replicates, "rw", factors=True),
        {"type": "JKn", "weights": "pw", "repweights": "^rw", "combined_weights": False},
    )
    assert design.replicates().rscales.tolist() == pytest.approx(rscales)
    assert any("rscales" in note for note in design.warnings)


# --- BRR and Fay: balanced half-samples ----------------------------------------------------

HADAMARD_COLUMNS = [[1, -1, 1, -1], [1, 1, -1, -1], [1, -1, -1, 1]]  # Sylvester order 4, columns 2-4


def _paired_rows() -> list[Row]:
    """Three strata, two PSUs each, three elements per PSU."""
    rng = np.random.default_rng(7)
    rows = []
    for h in range(3):
        for p in (1, 2):
            for e in range(3):
                rows.append(
                    {
                        "stratum": h,
                        "psu": 10 * h + p,
                        "pw": float(5 + h + p),
                        "y": float(rng.normal(50 + 10 * h + 5 * p, 8)),
                        "x": float(rng.uniform(1, 3)),
                        "z": float(e),
                    }
                )
    return rows


def _half_samples(rows: list[Row], rho: float) -> list[list[float]]:
    replicates = []
    for r in range(4):
        weights = []
        for row in rows:
            chosen = 1 if HADAMARD_COLUMNS[row["stratum"]][r] == 1 else 2
            in_half = row["psu"] % 10 == chosen
            weights.append(row["pw"] * ((2 - rho) if in_half else rho))
        replicates.append(weights)
    return replicates


@pytest.mark.parametrize(("kind", "rho"), [("BRR", 0.0), ("Fay", 0.5), ("Fay", 0.3)])
@pytest.mark.parametrize("mse", [False, True])
def test_brr_and_fay(kind: str, rho: float, mse: bool) -> None:
    rows = _paired_rows()
    replicates = _half_samples(rows, rho)
    frame = _with_columns(rows, replicates, "hs", factors=False)
    spec: dict[str, Any] = {"type": kind, "weights": "pw", "repweights": "^hs", "mse": mse}
    if kind == "Fay":
        spec["rho"] = rho
    statistics = [Total("y"), Mean("y"), Ratio("y", "x")]
    results = estimate(frame, spec, statistics)
    scale = 1 / (4 * (1 - rho) ** 2)
    functions = [_total("y"), _mean("y"), _ratio("y", "x")]
    pw = [r["pw"] for r in rows]
    for got, function in zip(results, functions, strict=True):
        thetas = [function(rows, w) for w in replicates]
        expected = _loop_variance(thetas, function(rows, pw), scale, [1.0] * 4, mse)
        assert got.se == pytest.approx(math.sqrt(expected), rel=1e-10)
    # a total under a balanced set: the linearisation variance with two PSUs per stratum
    linear = estimate(frame, DesignSpec(ids=("psu",), strata=("stratum",), weights="pw"), [Total("y")])
    assert results[0].se == pytest.approx(linear[0].se, rel=1e-10)
    by_hand = 0.0
    for h in range(3):
        halves = [sum(r["pw"] * r["y"] for r in rows if r["psu"] == 10 * h + p) for p in (1, 2)]
        by_hand += (halves[0] - halves[1]) ** 2
    assert results[0].se == pytest.approx(math.sqrt(by_hand), rel=1e-10)


def test_brr_ignores_a_given_scale_as_r() -> None:
    rows = _paired_rows()
    frame = _with_columns(rows, _half_samples(rows, 0.0), "hs", factors=False)
    design = replicate_design(frame, {"type": "BRR", "weights": "pw", "repweights": "^hs", "scale": 9})
    assert design.replicates().scale == 0.25
    assert any("ignored" in note for note in design.warnings)


@pytest.mark.parametrize(
    ("spec", "scale", "rscales", "mse"),
    [
        ({"type": "bootstrap"}, 1 / 3, [1.0] * 4, False),
        ({"type": "bootstrap", "bootstrap_average": 2}, 2 / 3, [1.0] * 4, False),
        ({"type": "ACS"}, 1.0, [1.0] * 4, True),
        ({"type": "ACS", "mse": False}, 1.0, [1.0] * 4, False),
        ({"type": "successive-difference"}, 1.0, [1.0] * 4, False),
        ({"type": "JK2"}, 1.0, [1.0] * 4, False),
        ({"type": "other"}, 1.0, [1.0] * 4, False),
        ({"type": "other", "scale": 0.5, "rscales": 2}, 0.5, [2.0] * 4, False),
        (
            {"type": "JK1", "scale": "3/4", "fpc": [0.1, 0.2, 0.3, 0.4], "fpctype": "fraction"},
            0.75,
            [0.9, 0.8, 0.7, 0.6],
            False,
        ),
        ({"type": "other", "scale": 1, "fpc": [0.5] * 4, "fpctype": "correction"}, 1.0, [0.5] * 4, False),
    ],
)
def test_defaults_per_type(spec: dict[str, Any], scale: float, rscales: list[float], mse: bool) -> None:
    rows = _paired_rows()
    frame = _with_columns(rows, _half_samples(rows, 0.0), "hs", factors=False)
    design = replicate_design(frame, {"weights": "pw", "repweights": "^hs", **spec})
    replicates = design.replicates()
    assert replicates.scale == pytest.approx(scale)
    assert replicates.rscales.tolist() == pytest.approx(rscales)
    assert design.mse is mse


# --- bootstraps made from a design (R's random numbers cannot be matched) -----------------


def test_bootstrap_from_design_is_reproducible_and_sane() -> None:
    frame = read_table(REFERENCE / "apistrat.csv")
    spec = {"strata": "stype", "weights": "pw", "replicates": "bootstrap", "seed": 11, "n_replicates": 400}
    first = SurveyDesign.from_frame(frame, parse_design(spec))
    again = SurveyDesign.from_frame(frame, parse_design(spec))
    assert isinstance(first, ReplicateDesign) and isinstance(again, ReplicateDesign)
    reps = first.replicates()
    assert np.array_equal(reps.factors, again.replicates().factors)
    stype = frame.get_column("stype").to_numpy()
    per_row = reps.analysis_weights() / frame.get_column("pw").to_numpy()[:, None]
    for h in ("E", "H", "M"):  # each replicate draws n_h PSUs in each stratum
        assert np.allclose(per_row[stype == h].sum(axis=0), (stype == h).sum())
    harmonic = 1 / np.mean([1 / 100, 1 / 50, 1 / 50])
    assert reps.scale == pytest.approx(harmonic / ((harmonic - 1) * 399))
    (boot,) = first.estimate([Total("enroll")])
    (lin,) = estimate(frame, DesignSpec(strata=("stype",), weights="pw"), [Total("enroll")])
    assert boot.value == pytest.approx(lin.value, rel=1e-12)
    assert abs(boot.se / lin.se - 1) < 0.15


def test_bootstrap_with_fpc_and_rao_wu() -> None:
    frame = read_table(REFERENCE / "apiclus1.csv")
    boot = SurveyDesign.from_frame(
        frame,
        parse_design({"ids": "dnum", "weights": "pw", "fpc": "fpc", "replicates": "bootstrap", "seed": 3}),
    )
    assert isinstance(boot, ReplicateDesign)
    reps = boot.replicates()
    assert reps.count == 50
    assert np.all(reps.factors.sum(axis=0) == 15)  # 15 of the 757 pseudo-population PSUs
    sub = SurveyDesign.from_frame(
        frame, parse_design({"ids": "dnum", "weights": "pw", "replicates": "subbootstrap", "seed": 3})
    )
    assert isinstance(sub, ReplicateDesign)
    factors = sub.replicates().factors
    assert np.allclose(factors.sum(axis=0), 14 * 15 / 14)
    assert sub.replicates().scale == pytest.approx(1 / 49)


# --- domains ------------------------------------------------------------------------------


def test_domains_match_loops_and_drop_empty_replicates() -> None:
    rows = _rows("apiclus1.csv")
    first_district = min(r["dnum"] for r in rows)
    for r in rows:
        r["home"] = "yes" if r["dnum"] == first_district else "no"
    frame = pl.DataFrame(rows)
    design = SurveyDesign.from_frame(
        frame, parse_design({"ids": ["dnum"], "weights": "pw", "fpc": "fpc", "replicates": "JK1"})
    )
    results = design.estimate([Mean("api00"), Total("enroll")], by=["stype", "home"])
    replicates = _jk1_weights(rows, "dnum")
    n = len(replicates)
    scale = (rows[0]["fpc"] - n) / rows[0]["fpc"] * (n - 1) / n
    for item in results:
        inside = [
            i
            for i, r in enumerate(rows)
            if r["stype"] == item.domain["stype"] and r["home"] == item.domain["home"]
        ]
        sub = [rows[i] for i in inside]
        function = _mean("api00") if item.statistic == "mean" else _total("enroll")
        full = function(sub, [rows[i]["pw"] for i in inside])
        thetas = [function(sub, [w[i] for i in inside]) for w in replicates]
        assert item.value == pytest.approx(full, rel=1e-10)
        assert item.se == pytest.approx(
            math.sqrt(_loop_variance(thetas, full, scale, [1.0] * n, False)), rel=1e-9
        )
        assert item.n == len(inside)
    assert any("replicates gave no estimate" in note and "home=yes" in note for note in design.warnings)


def test_na_rm_drops_rows_from_every_replicate() -> None:
    rows = _rows("apiclus1.csv")
    rows[0]["api00"] = None
    frame = pl.DataFrame(rows)
    design = {"ids": ["dnum"], "weights": "pw", "replicates": "JK1"}
    with pytest.raises(EstimationError, match="missing value"):
        estimate(frame, design, [Mean("api00")])
    (got,) = estimate(frame, design, [Mean("api00")], na_rm=True)
    kept = rows[1:]
    replicates = [w[1:] for w in _jk1_weights(rows, "dnum")]
    n = len(replicates)
    thetas = [_mean("api00")(kept, w) for w in replicates]
    full = _mean("api00")(kept, [r["pw"] for r in kept])
    assert got.se == pytest.approx(math.sqrt(_loop_variance(thetas, full, (n - 1) / n, [1.0] * n, False)))


# --- lonely PSUs in JKn --------------------------------------------------------------------


def _lonely_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "stratum": ["a", "a", "a", "b", "b", "c"],
            "psu": [1, 2, 3, 4, 5, 6],
            "pw": [2.0, 2.0, 2.0, 3.0, 3.0, 4.0],
            "y": [1.0, 4.0, 2.0, 7.0, 5.0, 9.0],
        }
    )


def _lonely_expected(rule: str) -> float:
    frame = _lonely_frame().to_dicts()
    total = sum(r["pw"] * r["y"] for r in frame)
    thetas, rscales = [], []
    for h in ("a", "b"):
        members = [r for r in frame if r["stratum"] == h]
        n_h = len(members)
        for deleted in members:
            t = 0.0
            for r in frame:
                factor = 1.0
                if r["stratum"] == h:
                    factor = 0.0 if r is deleted else n_h / (n_h - 1)
                t += factor * r["pw"] * r["y"]
            thetas.append(t)
            rscales.append((n_h - 1) / n_h)
    scale = 1.0
    if rule == "adjust":  # drop stratum c, others times H/(H-1)
        thetas.append(sum((0.0 if r["stratum"] == "c" else 1.5) * r["pw"] * r["y"] for r in frame))
        rscales.append(2 / 3)
    if rule == "average":
        scale = 6 / 5
    return _loop_variance(thetas, total, scale, rscales, mse=False)


@pytest.mark.parametrize("rule", ["remove", "certainty", "adjust", "average"])
def test_jkn_lonely_psu_rules(rule: str) -> None:
    design = {"ids": "psu", "strata": "stratum", "weights": "pw", "replicates": "JKn"}
    (got,) = estimate(_lonely_frame(), design, [Total("y")], lonely_psu=rule)
    assert got.se == pytest.approx(math.sqrt(_lonely_expected(rule)), rel=1e-12)


def test_jkn_lonely_psu_fail() -> None:
    design = {"ids": "psu", "strata": "stratum", "weights": "pw", "replicates": "JKn"}
    with pytest.raises(EstimationError, match="stratum 'c' of 'stratum' has only one PSU"):
        estimate(_lonely_frame(), design, [Total("y")])


def test_multistage_uses_first_stage_and_warns() -> None:
    frame = pl.DataFrame(
        {
            "psu": [1, 1, 2, 2, 3, 3],
            "ssu": [1, 2, 1, 2, 1, 2],
            "f1": [10] * 6,
            "f2": [5] * 6,
            "y": [1.0, 2.0, 4.0, 3.0, 8.0, 6.0],
        }
    )
    spec = parse_design({"ids": ["psu", "ssu"], "fpc": ["f1", "f2"], "replicates": "JK1"})
    design = SurveyDesign.from_frame(frame, spec)
    assert any("first stage" in note for note in design.warnings)
    (got,) = design.estimate([Total("y")])
    w = 10 / 3 * 5 / 2
    totals = [w * 3, w * 7, w * 14]
    mean_t = sum(totals) / 3
    variance = (1 - 3 / 10) * 3 / 2 * sum((t - mean_t) ** 2 for t in totals)
    assert got.se == pytest.approx(math.sqrt(variance), rel=1e-12)


# --- svrVar -------------------------------------------------------------------------------


def test_replicate_variance_centre_ignores_zero_rscales() -> None:
    thetas = np.array([1.0, 3.0, 100.0, math.nan])
    rscales = np.array([1.0, 1.0, 0.0, 1.0])
    variance, dropped = replicate_variance(thetas, 0.0, 2.0, rscales, mse=False)
    assert dropped == 1 and variance == pytest.approx(2.0 * (1 + 1))
    variance, _ = replicate_variance(thetas, 0.0, 2.0, rscales, mse=True)
    assert variance == pytest.approx(2.0 * (1 + 9))


# --- the CLI ------------------------------------------------------------------------------


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        cli.main(args)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_with_replicate_design(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = _rows("apiclus1.csv")
    replicates = _jk1_weights(rows, "dnum")
    data = tmp_path / "clus.csv"
    _with_columns(rows, replicates, "rw", factors=False).write_csv(data)
    design = _write(tmp_path / "rep.yaml", "type: JK1\nweights: pw\nrepweights: 'rw[0-9]+'\nscale: 14/15\n")
    code, out, err = _run(
        [
            "estimate",
            "survey",
            "--design",
            str(design),
            "--mean",
            "api00",
            "--by",
            "stype",
            "--format",
            "json",
            str(data),
        ],
        capsys,
    )
    assert code == 0, err
    got = json.loads(out)
    library = estimate(read_table(data), load_design(design), [Mean("api00")], by="stype")
    assert [item["se"] for item in got] == pytest.approx([item.se for item in library], rel=1e-12)
    assert got[0]["domain"] == {"stype": "E"}
    converted = _write(tmp_path / "conv.yaml", "ids: [dnum]\nweights: pw\nfpc: fpc\nreplicates: JK1\n")
    code, out, err = _run(
        ["estimate", "survey", "--design", str(converted), "--total", "enroll", str(data)], capsys
    )
    assert code == 0, err
    assert "932,235" in out


def test_cli_error_names_file_and_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "clus.csv"
    pl.DataFrame(_rows("apiclus1.csv")).write_csv(data)
    design = _write(tmp_path / "rep.yaml", "type: JK1\nweights: pw\nrepweights: 'rw[0-9]+'\n")
    code, _, err = _run(["estimate", "survey", "--design", str(design), "--mean", "api00", str(data)], capsys)
    assert code == 2
    assert f"{design}, key 'repweights'" in err and "matches no column" in err


# --- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message", "key"),
    [
        ("type: JK3\nrepweights: [a]\n", "type must be one of", "type"),
        ("repweights: [a]\n", "needs 'type'", "type"),
        ("type: JK1\n", "needs repweights", "repweights"),
        ("type: JK1\nrepweights: 'rw[0-9'\n", "not a valid regular expression", "repweights"),
        ("type: JK1\nrepweights: [a, a]\n", "listed twice", "repweights"),
        ("type: Fay\nrepweights: [a, b]\n", "type Fay needs rho", "rho"),
        ("type: Fay\nrepweights: [a, b]\nrho: 1\n", r"rho must lie in \[0, 1\)", "rho"),
        ("type: Fay\nrepweights: [a, b]\nrho: -0.1\n", r"rho must lie in \[0, 1\)", "rho"),
        ("type: JK1\nrepweights: [a, b]\nscale: 0\n", "scale must be a positive number", "scale"),
        ("type: JK1\nrepweights: [a, b]\nrscales: [1, -1]\n", "non-negative number", "rscales"),
        ("type: JK1\nrepweights: [a, b]\nmse: maybe\n", "mse must be true or false", "mse"),
        ("type: JK1\nrepweights: [a, b]\nstrata: s\n", "replicate weights replace ids", "strata"),
        (
            "type: BRR\nrepweights: [a, b]\nfpc: [0.1, 0.1]\nfpctype: fraction\n",
            "fpc is not available",
            "fpc",
        ),
        ("type: JK1\nrepweights: [a, b]\nfpc: [0.1, 0.1]\n", "fpctype", "fpctype"),
        ("type: JK1\nrepweights: [a]\nreplicates: JK1\n", "exclude each other", "type"),
        ("ids: [a]\nreplicates: BRR\n", "replicates must be one of", "replicates"),
        (
            "ids: [a]\nreplicates: JK1\nn_replicates: 10\n",
            "n_replicates is for the bootstraps",
            "n_replicates",
        ),
        ("ids: [a]\nreplicates: bootstrap\nn_replicates: 1\n", "at least 2", "n_replicates"),
        ("ids: [a]\nreplicates: bootstrap\nseed: -3\n", "seed must be", "seed"),
        ("ids: [a]\nreplicates: JK1\nscale: 1\n", "unknown key 'scale'", "scale"),
    ],
)
def test_bad_design_files(tmp_path: Path, text: str, message: str, key: str) -> None:
    path = _write(tmp_path / "rep.yaml", text)
    with pytest.raises(InputError, match=message) as info:
        load_design(path)
    assert info.value.place == f"{path}, key {key!r}"


def _small_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {"pw": [2.0, 2.0, 3.0], "y": [1.0, 2.0, 3.0], "rw1": [4.0, 0.0, 3.0], "rw2": [0.0, 4.0, 3.0]}
    )


@pytest.mark.parametrize(
    ("spec", "message", "key"),
    [
        ({"type": "JK1", "repweights": ["rw1", "rw9"]}, "no column 'rw9'", "repweights"),
        ({"type": "JK1", "repweights": "^rep"}, "matches no column", "repweights"),
        ({"type": "JKn", "repweights": "^rw"}, "needs rscales", "rscales"),
        ({"type": "JK1", "repweights": "^rw", "rscales": [1, 1, 1]}, "rscales has 3 values for 2", "rscales"),
        ({"type": "JK1", "repweights": ["rw1"]}, "at least 2 replicate columns", "repweights"),
        (
            {"type": "JK1", "repweights": "^rw", "fpc": [0.1, 0.1, 0.1], "fpctype": "fraction"},
            "fpc has 3 values",
            "fpc",
        ),
    ],
)
def test_bad_replicates_against_the_data(
    tmp_path: Path, spec: dict[str, Any], message: str, key: str
) -> None:
    path = _write(tmp_path / "rep.yaml", json.dumps({"weights": "pw", **spec}))
    with pytest.raises(InputError, match=message) as info:
        estimate(_small_frame(), load_design(path), [Mean("y")], data_source="small.csv")
    assert info.value.place == f"{path}, key {key!r}"


def test_negative_missing_and_text_replicate_weights(tmp_path: Path) -> None:
    path = _write(tmp_path / "rep.yaml", "type: JK1\nweights: pw\nrepweights: '^rw'\nscale: 0.5\n")
    spec = load_design(path)
    negative = _small_frame().with_columns(rw2=pl.Series([0.0, -4.0, 3.0]))
    with pytest.raises(InputError, match=r"key 'repweights' of .*rep.yaml\) must be non-negative") as info:
        estimate(negative, spec, [Mean("y")], data_source="small.csv")
    assert info.value.place == "small.csv, row 3, column rw2"
    missing = _small_frame().with_columns(rw1=pl.Series([4.0, None, 3.0]))
    with pytest.raises(InputError, match="missing value in design column"):
        estimate(missing, spec, [Mean("y")], data_source="small.csv")
    text = _small_frame().with_columns(rw1=pl.Series(["4", "x", "3"]))
    with pytest.raises(InputError, match="must be numbers, found 'x'"):
        estimate(text, spec, [Mean("y")], data_source="small.csv")


@pytest.mark.parametrize(
    ("design", "message"),
    [
        ({"ids": "dnum", "strata": "stype", "weights": "pw", "replicates": "JK1"}, "JK1 is for unstratified"),
        ({"ids": "dnum", "weights": "pw", "replicates": "JKn"}, "JKn needs strata"),
    ],
)
def test_conversion_type_must_fit_the_design(design: dict[str, Any], message: str) -> None:
    frame = read_table(REFERENCE / "apiclus1.csv")
    with pytest.raises(InputError, match=message):
        estimate(frame, {**design, "nest": True}, [Mean("api00")])


# --- internals: implicit jackknife and the replicate-by-replicate path --------------------


def test_jackknife_factors_expand_to_the_loop_weights() -> None:
    rows = _rows("apistrat.csv")
    expected, _ = _jkn_weights(rows, "stype", fpc=True)
    design = SurveyDesign.from_frame(
        pl.DataFrame(rows),
        parse_design({"strata": "stype", "weights": "pw", "fpc": "fpc", "replicates": "JKn"}),
    )
    assert isinstance(design, ReplicateDesign)
    weights = design.replicates().analysis_weights()
    got = sorted(tuple(np.round(weights[:, r], 9)) for r in range(weights.shape[1]))
    assert got == sorted(tuple(np.round(w, 9)) for w in expected)


def test_sums_replicate_by_replicate_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = _rows("apiclus1.csv")
    frame = _with_columns(rows, _jk1_weights(rows, "dnum"), "rw", factors=False)
    spec = {"type": "JK1", "weights": "pw", "repweights": "^rw", "scale": "14/15"}
    dense = estimate(frame, spec, [Mean("api00"), Total("enroll")], by="stype")
    monkeypatch.setattr("vigil.stats.survey_replicates._DENSE_LIMIT", 0)
    looped = estimate(frame, spec, [Mean("api00"), Total("enroll")], by="stype")
    for a, b in zip(dense, looped, strict=True):
        assert a.se == pytest.approx(b.se, rel=1e-12)


def test_no_weights_and_acs_warnings() -> None:
    rows = _paired_rows()
    frame = _with_columns(rows, _half_samples(rows, 0.0), "hs", factors=False)
    design = replicate_design(frame, {"type": "BRR", "repweights": "^hs"})
    assert any("equal probability" in note for note in design.warnings)
    (got,) = design.estimate([Mean("y")])
    assert got.value == pytest.approx(sum(r["y"] for r in rows) / len(rows))
    acs = replicate_design(frame, {"type": "ACS", "weights": "pw", "repweights": "^hs", "mse": False})
    assert acs.mse is False and any("ACS uses MSE" in note for note in acs.warnings)
