"""Hand-checkable tests of the survey estimators: multi-stage with fpc, ratios, domains,
single-PSU strata, equivalences between designs, and every kind of bad input.

The expected variances are written with the textbook formulas (Cochran, Lohr) as plain loops,
independently of the vectorised code under test.
"""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path

import polars as pl
import pytest

from vigil.errors import EstimationError, InputError
from vigil.io.tables import read_table
from vigil.stats.design import DesignSpec
from vigil.stats.survey import (
    Estimate,
    Mean,
    Proportion,
    Ratio,
    SurveyDesign,
    Total,
    estimate,
    parse_statistic,
)

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "survey"

# --- a small stratified two-stage sample ---------------------------------------------------
# stratum: (N1 clusters in population, {cluster: (M units in cluster, [y of sampled units])})
TWO_STAGE = {
    "A": (10, {"a1": (20, [3.0, 5.0, 4.0]), "a2": (15, [7.0, 9.0]), "a3": (30, [1, 2, 6, 2])}),
    "B": (8, {"b1": (12, [10.0, 14.0]), "b2": (25, [8.0, 11.0, 9.0])}),
}
X_OFFSET = [2.0, 1.0, 3.0, 2.0, 4.0, 1.0, 2.0, 3.0, 1.0, 2.0, 5.0, 1.0, 2.0, 3.0]


def _two_stage_frame() -> pl.DataFrame:
    rows = []
    for stratum, (big_n, clusters) in TWO_STAGE.items():
        n = len(clusters)
        for cluster, (big_m, ys) in clusters.items():
            m = len(ys)
            for j, y in enumerate(ys):
                rows.append(
                    {
                        "stratum": stratum,
                        "psu": cluster,
                        "ssu": j + 1,
                        "y": float(y),
                        "N1": big_n,
                        "M": big_m,
                        "f1": n / big_n,
                        "f2": m / big_m,
                        "w": (big_n / n) * (big_m / m),
                    }
                )
    frame = pl.DataFrame(rows)
    return frame.with_columns(
        x=pl.Series(X_OFFSET[: frame.height]) + pl.col("y"),
        group=pl.Series(["u", "v"] * (frame.height // 2)),
    )


def _var(values: list[float]) -> float:
    mean = sum(values) / len(values)
    return sum((v - mean) ** 2 for v in values) / (len(values) - 1)


def _two_stage_total_variance(frame: pl.DataFrame, column: str) -> float:
    """Cochran's unbiased variance of the estimated total in stratified two-stage sampling."""
    data: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for row in frame.iter_rows(named=True):
        data[row["stratum"]][row["psu"]].append(row[column])
    variance = 0.0
    for stratum, (big_n, clusters) in TWO_STAGE.items():
        n = len(clusters)
        cluster_totals = [clusters[c][0] * sum(v) / len(v) for c, v in data[stratum].items()]
        variance += big_n**2 * (1 - n / big_n) * _var(cluster_totals) / n
        for cluster, values in data[stratum].items():
            big_m, m = clusters[cluster][0], len(values)
            variance += (big_n / n) * big_m**2 * (1 - m / big_m) * _var(values) / m
    return variance


STAGED = DesignSpec(ids=("psu", "ssu"), strata=("stratum",), weights="w", fpc=("N1", "M"))


def _one(frame: pl.DataFrame, spec: DesignSpec, statistic: object, **kw: object) -> Estimate:
    results = estimate(frame, spec, [statistic], **kw)  # type: ignore[list-item, arg-type]
    assert len(results) == 1
    return results[0]


def test_two_stage_total_matches_cochran() -> None:
    frame = _two_stage_frame()
    result = _one(frame, STAGED, Total("y"))
    expected_total = sum(w * y for w, y in zip(frame["w"], frame["y"], strict=True))
    assert result.value == pytest.approx(expected_total, rel=1e-12)
    assert result.se**2 == pytest.approx(_two_stage_total_variance(frame, "y"), rel=1e-10)


def test_two_stage_mean_is_linearised_ratio() -> None:
    frame = _two_stage_frame()
    result = _one(frame, STAGED, Mean("y"))
    weight = frame["w"].sum()
    mean = (frame["w"] * frame["y"]).sum() / weight
    residual = frame.with_columns(e=pl.col("y") - mean)
    assert result.value == pytest.approx(mean, rel=1e-12)
    assert result.se**2 == pytest.approx(_two_stage_total_variance(residual, "e") / weight**2, rel=1e-10)
    z = 1.959963984540054
    assert result.ci[0] == pytest.approx(mean - z * result.se, rel=1e-12)
    assert result.ci[1] == pytest.approx(mean + z * result.se, rel=1e-12)


def test_two_stage_ratio() -> None:
    frame = _two_stage_frame()
    result = _one(frame, STAGED, Ratio("y", "x"))
    ty = (frame["w"] * frame["y"]).sum()
    tx = (frame["w"] * frame["x"]).sum()
    r = ty / tx
    residual = frame.with_columns(e=pl.col("y") - r * pl.col("x"))
    assert result.value == pytest.approx(r, rel=1e-12)
    assert result.se**2 == pytest.approx(_two_stage_total_variance(residual, "e") / tx**2, rel=1e-10)
    assert result.statistic == "ratio" and result.variable == "y/x"


def test_two_stage_domains_keep_the_full_design() -> None:
    frame = _two_stage_frame()
    results = estimate(frame, STAGED, [Mean("y"), Total("y")], by="group")
    assert [(r.statistic, r.domain) for r in results] == [
        ("mean", {"group": "u"}),
        ("mean", {"group": "v"}),
        ("total", {"group": "u"}),
        ("total", {"group": "v"}),
    ]
    for result in results:
        level = result.domain["group"]
        inside = (frame["group"] == level).cast(pl.Float64)
        if result.statistic == "total":
            scored = frame.with_columns(e=pl.col("y") * inside)
            expected = _two_stage_total_variance(scored, "e")
        else:
            weight = (frame["w"] * inside).sum()
            mean = (frame["w"] * frame["y"] * inside).sum() / weight
            assert result.value == pytest.approx(mean, rel=1e-12)
            scored = frame.with_columns(e=(pl.col("y") - mean) * inside)
            expected = _two_stage_total_variance(scored, "e") / weight**2
        assert result.se**2 == pytest.approx(expected, rel=1e-10)
        assert result.n == int(inside.sum())


def test_two_stage_fpc_as_fractions_and_weights_from_fpc_agree() -> None:
    frame = _two_stage_frame()
    base = _one(frame, STAGED, Mean("y"))
    fractions = DesignSpec(ids=("psu", "ssu"), strata=("stratum",), weights="w", fpc=("f1", "f2"))
    implied = DesignSpec(ids=("psu", "ssu"), strata=("stratum",), fpc=("N1", "M"))
    for spec in (fractions, implied):
        other = _one(frame, spec, Mean("y"))
        assert other.value == pytest.approx(base.value, rel=1e-12)
        assert other.se == pytest.approx(base.se, rel=1e-12)


def test_without_fpc_only_the_first_stage_counts() -> None:
    frame = _two_stage_frame()
    spec = DesignSpec(ids=("psu", "ssu"), strata=("stratum",), weights="w")
    result = _one(frame, spec, Total("y"))
    totals: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for row in frame.iter_rows(named=True):
        totals[row["stratum"]][row["psu"]] += row["w"] * row["y"]
    expected = 0.0
    for clusters in totals.values():
        values = list(clusters.values())
        expected += len(values) * _var(values)  # n/(n-1) * sum of squares
    assert result.se**2 == pytest.approx(expected, rel=1e-10)


def test_fpc_for_fewer_stages_means_later_stages_fully_sampled() -> None:
    frame = _two_stage_frame()
    spec = DesignSpec(ids=("psu", "ssu"), strata=("stratum",), weights="w", fpc=("N1",))
    result = _one(frame, spec, Total("y"))
    totals: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for row in frame.iter_rows(named=True):
        totals[row["stratum"]][row["psu"]] += row["w"] * row["y"]
    expected = 0.0
    for stratum, clusters in totals.items():
        values = list(clusters.values())
        f = 1 - len(values) / TWO_STAGE[stratum][0]
        expected += f * len(values) * _var(values)
    assert result.se**2 == pytest.approx(expected, rel=1e-10)


def test_third_stage_sampled_completely_adds_nothing() -> None:
    frame = _two_stage_frame().with_columns(tsu=pl.lit(1), one=pl.lit(1))
    three = DesignSpec(ids=("psu", "ssu", "tsu"), strata=("stratum",), weights="w", fpc=("N1", "M", "one"))
    a = _one(frame, STAGED, Mean("y"))
    b = _one(frame, three, Mean("y"))
    assert b.se == pytest.approx(a.se, rel=1e-12)
    assert SurveyDesign.from_frame(frame, three).clusters() == [5, 14, 14]


def test_apiclus1_as_two_stages_with_every_school_equals_one_stage() -> None:
    frame = read_table(REFERENCE / "apiclus1.csv")
    frame = frame.with_columns(schools=pl.len().over("dnum"))
    spec = DesignSpec(ids=("dnum", "snum"), weights="pw", fpc=("fpc", "schools"))
    one_stage = DesignSpec(ids=("dnum",), weights="pw", fpc=("fpc",))
    a = _one(frame, spec, Mean("api00"))
    b = _one(frame, one_stage, Mean("api00"))
    assert a.value == pytest.approx(b.value, rel=1e-12)
    assert a.se == pytest.approx(b.se, rel=1e-12)


def test_apistrat_weights_implied_by_fpc() -> None:
    frame = read_table(REFERENCE / "apistrat.csv")
    given = _one(frame, DesignSpec(strata=("stype",), weights="pw", fpc=("fpc",)), Mean("api00"))
    implied = _one(frame, DesignSpec(strata=("stype",), fpc=("fpc",)), Mean("api00"))
    # pw in the file is fpc/n rounded to single precision, hence 1e-7
    assert implied.value == pytest.approx(given.value, rel=1e-7)
    assert implied.se == pytest.approx(given.se, rel=1e-7)
    fractions = frame.with_columns(f=pl.len().over("stype") / pl.col("fpc"))
    as_fraction = _one(fractions, DesignSpec(strata=("stype",), weights="pw", fpc=("f",)), Mean("api00"))
    assert as_fraction.se == pytest.approx(given.se, rel=1e-9)


def test_proportion_equals_mean_of_indicator_and_levels_by_type() -> None:
    frame = read_table(REFERENCE / "apistrat.csv").with_columns(
        yes=(pl.col("sch.wide") == "Yes").cast(pl.Int64), flag=pl.col("sch.wide") == "Yes"
    )
    spec = DesignSpec(strata=("stype",), weights="pw", fpc=("fpc",))
    prop = _one(frame, spec, Proportion("sch.wide", "Yes"))
    mean = _one(frame, spec, Mean("yes"))
    numeric_level = _one(frame, spec, Proportion("yes", "1"))
    boolean_level = _one(frame, spec, Proportion("flag", "true"))
    for other in (mean, numeric_level, boolean_level):
        assert other.value == pytest.approx(prop.value, rel=1e-12)
        assert other.se == pytest.approx(prop.se, rel=1e-12)
    assert prop.variable == "sch.wide=Yes"


def test_proportion_without_level_gives_every_level() -> None:
    frame = _two_stage_frame()
    every = estimate(frame, STAGED, [Proportion("group")], by="stratum")
    assert [(r.variable, r.domain["stratum"]) for r in every] == [
        ("group=u", "A"),
        ("group=u", "B"),
        ("group=v", "A"),
        ("group=v", "B"),
    ]
    for result in every:
        level = result.variable.split("=")[1]
        single = estimate(frame, STAGED, [Proportion("group", level)], by="stratum")
        match = next(r for r in single if r.domain == result.domain)
        assert (match.value, match.se) == (result.value, result.se)
    assert every[0].value + every[2].value == pytest.approx(1.0)


# --- single-PSU strata -------------------------------------------------------------------


def _lonely_frame() -> pl.DataFrame:
    rows = [
        ("S1", "p1", 4.0, 2.0),
        ("S1", "p1", 6.0, 2.0),
        ("S1", "p2", 5.0, 3.0),
        ("S1", "p3", 9.0, 1.0),
        ("S2", "p4", 2.0, 4.0),
        ("S2", "p5", 3.0, 4.0),
        ("S2", "p5", 8.0, 2.0),
        ("S3", "p6", 7.0, 5.0),
        ("S3", "p6", 1.0, 5.0),
    ]
    frame = pl.DataFrame(rows, schema=["stratum", "psu", "y", "w"], orient="row")
    return frame.with_columns(
        N=pl.col("stratum").replace_strict({"S1": 10, "S2": 5, "S3": 1}),
        domain=pl.col("stratum").replace_strict({"S1": "in", "S2": "in", "S3": "out"}),
    )


LONELY = DesignSpec(ids=("psu",), strata=("stratum",), weights="w")


def _psu_totals(frame: pl.DataFrame, values: list[float]) -> dict[str, dict[str, float]]:
    totals: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for row, value in zip(frame.iter_rows(named=True), values, strict=True):
        totals[row["stratum"]][row["psu"]] += value
    return totals


def _stratum_terms(totals: dict[str, dict[str, float]]) -> dict[str, float]:
    terms = {}
    for stratum, clusters in totals.items():
        values = list(clusters.values())
        terms[stratum] = len(values) * _var(values) if len(values) > 1 else math.nan
    return terms


def test_lonely_psu_fail_names_the_stratum() -> None:
    with pytest.raises(EstimationError, match=r"S3.*only one PSU at stage 1"):
        estimate(_lonely_frame(), LONELY, [Total("y")])


def test_lonely_psu_rules_on_a_total() -> None:
    frame = _lonely_frame()
    scores = [w * y for w, y in zip(frame["w"], frame["y"], strict=True)]
    totals = _psu_totals(frame, scores)
    terms = _stratum_terms(totals)
    others = terms["S1"] + terms["S2"]
    lonely_total = totals["S3"]["p6"]
    expected = {
        "remove": others,
        "certainty": others,
        "adjust": others + lonely_total**2,
        "average": others * 3 / 2,
    }
    for rule, variance in expected.items():
        result = _one(frame, LONELY, Total("y"), lonely_psu=rule)
        assert result.se**2 == pytest.approx(variance, rel=1e-12), rule


def test_lonely_psu_adjust_on_a_mean_centres_at_zero() -> None:
    frame = _lonely_frame()
    weight = frame["w"].sum()
    mean = (frame["w"] * frame["y"]).sum() / weight
    scores = [w * (y - mean) / weight for w, y in zip(frame["w"], frame["y"], strict=True)]
    totals = _psu_totals(frame, scores)
    terms = _stratum_terms(totals)
    expected = terms["S1"] + terms["S2"] + totals["S3"]["p6"] ** 2
    result = _one(frame, LONELY, Mean("y"), lonely_psu="adjust")
    assert result.se**2 == pytest.approx(expected, rel=1e-12)


def test_certainty_psu_by_fpc_needs_no_rule() -> None:
    frame = _lonely_frame()
    spec = DesignSpec(ids=("psu",), strata=("stratum",), weights="w", fpc=("N",))
    result = _one(frame, spec, Total("y"))  # lonely_psu="fail", yet no error: N = 1
    totals = _psu_totals(frame, [w * y for w, y in zip(frame["w"], frame["y"], strict=True)])
    terms = _stratum_terms(totals)
    expected = (1 - 3 / 10) * terms["S1"] + (1 - 2 / 5) * terms["S2"]
    assert result.se**2 == pytest.approx(expected, rel=1e-12)


def test_lonely_stratum_outside_the_domain_is_left_out() -> None:
    frame = _lonely_frame()
    results = estimate(frame, LONELY, [Total("y")], by="domain", lonely_psu="average")
    inside = next(r for r in results if r.domain == {"domain": "in"})
    scores = [w * y * (d == "in") for w, y, d in zip(frame["w"], frame["y"], frame["domain"], strict=True)]
    terms = _stratum_terms(_psu_totals(frame, scores))
    # only S1 and S2 hold rows of the domain: nothing to average in
    assert inside.se**2 == pytest.approx(terms["S1"] + terms["S2"], rel=1e-12)
    with pytest.raises(EstimationError, match="only one PSU"):
        estimate(frame, LONELY, [Total("y")], by="domain")
    only_in = frame.filter(pl.col("domain") == "in")
    assert _one(only_in, LONELY, Total("y")).se == pytest.approx(inside.se, rel=1e-12)


def test_lonely_second_stage_cluster() -> None:
    frame = _two_stage_frame().filter(~((pl.col("psu") == "a2") & (pl.col("ssu") == 2)))
    with pytest.raises(EstimationError, match="stage 2"):
        estimate(frame, STAGED, [Total("y")])
    removed = _one(frame, STAGED, Total("y"), lonely_psu="remove")
    assert removed.se > 0


def test_missing_values_need_na_rm_and_then_form_a_domain() -> None:
    frame = _two_stage_frame().with_columns(y=pl.when(pl.col("ssu") == 2).then(None).otherwise(pl.col("y")))
    with pytest.raises(EstimationError, match="missing value"):
        estimate(frame, STAGED, [Mean("y")])
    dropped = _one(frame, STAGED, Mean("y"), na_rm=True)
    flagged = frame.with_columns(ok=pl.col("y").is_not_null())
    domain = estimate(flagged.fill_null(0.0), STAGED, [Mean("y")], by="ok")
    inside = next(r for r in domain if r.domain == {"ok": True})
    assert dropped.value == pytest.approx(inside.value, rel=1e-12)
    assert dropped.se == pytest.approx(inside.se, rel=1e-12)
    assert dropped.n == frame["y"].is_not_null().sum()


def test_domains_of_two_variables_and_null_domain() -> None:
    frame = _two_stage_frame().with_columns(tag=pl.when(pl.col("ssu") == 1).then(None).otherwise(pl.lit("t")))
    results = estimate(frame, STAGED, [Total("y")], by=["stratum", "tag"])
    domains = [r.domain for r in results]
    assert domains == [
        {"stratum": "A", "tag": "t"},
        {"stratum": "A", "tag": None},
        {"stratum": "B", "tag": "t"},
        {"stratum": "B", "tag": None},
    ]
    assert sum(r.value for r in results) == pytest.approx(_one(frame, STAGED, Total("y")).value)


def test_nest_makes_cluster_ids_unique_within_strata() -> None:
    frame = _two_stage_frame().with_columns(
        local=pl.col("psu").str.slice(1).cast(pl.Int64)  # a1 -> 1, b1 -> 1: reused ids
    )
    spec = DesignSpec(ids=("local", "ssu"), strata=("stratum",), weights="w", fpc=("N1", "M"))
    with pytest.raises(InputError, match="more than one stratum"):
        estimate(frame, spec, [Total("y")])
    nested = DesignSpec(ids=("local", "ssu"), strata=("stratum",), weights="w", fpc=("N1", "M"), nest=True)
    a = _one(frame, nested, Total("y"))
    b = _one(frame, STAGED, Total("y"))
    assert a.se == pytest.approx(b.se, rel=1e-12)


def test_design_without_weights_or_fpc_assumes_equal_probability() -> None:
    frame = _lonely_frame()
    design = SurveyDesign.from_frame(frame, DesignSpec())
    assert design.warnings and "equal probability" in design.warnings[0]
    result = design.estimate([Mean("y")])[0]
    values = list(frame["y"])
    assert result.value == pytest.approx(sum(values) / len(values))
    assert result.se**2 == pytest.approx(_var(values) / len(values), rel=1e-12)


def test_zero_weight_domain_gives_nan_not_a_crash() -> None:
    frame = _lonely_frame().with_columns(
        w=pl.when(pl.col("domain") == "out").then(0.0).otherwise(pl.col("w"))
    )
    results = estimate(frame, LONELY, [Mean("y")], by="domain", lonely_psu="remove")
    out = next(r for r in results if r.domain == {"domain": "out"})
    assert math.isnan(out.value)
    assert out.to_dict()["value"] is None


def test_to_dict_shape() -> None:
    frame = _two_stage_frame()
    result = estimate(frame, STAGED, [Mean("y")], by="group")[0]
    data = result.to_dict()
    assert set(data) == {"statistic", "variable", "domain", "value", "se", "ci"}
    assert data["domain"] == {"group": "u"}
    assert len(data["ci"]) == 2


def test_estimate_accepts_a_mapping_and_a_compiled_design() -> None:
    frame = _two_stage_frame()
    mapping = {"ids": ["psu", "ssu"], "strata": "stratum", "weights": "w", "fpc": ["N1", "M"]}
    a = _one(frame, mapping, Mean("y"))  # type: ignore[arg-type]
    b = _one(frame, SurveyDesign.from_frame(frame, STAGED), Mean("y"))
    assert a.se == pytest.approx(b.se, rel=1e-12)


# --- parsing statistics ------------------------------------------------------------------


def test_parse_statistic() -> None:
    assert parse_statistic("mean", "api00") == Mean("api00")
    assert parse_statistic("total", " enroll ") == Total("enroll")
    assert parse_statistic("ratio", "api00/api99") == Ratio("api00", "api99")
    assert parse_statistic("ratio", "a/b/c", columns=["a/b", "c"]) == Ratio("a/b", "c")
    assert parse_statistic("prop", "sch.wide=Yes") == Proportion("sch.wide", "Yes")
    assert parse_statistic("prop", "stype") == Proportion("stype")
    assert parse_statistic("prop", "a=b", columns=["a=b"]) == Proportion("a=b")
    for kind, text in (("ratio", "api00"), ("ratio", "/x"), ("prop", "x="), ("prop", "=1")):
        with pytest.raises(InputError):
            parse_statistic(kind, text)
    with pytest.raises(InputError, match="unknown statistic"):
        parse_statistic("median", "x")


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "spec", "message"),
    [
        (None, DesignSpec(ids=("nope",), weights="w"), "no column 'nope'"),
        (None, DesignSpec(ids=("psu",), weights="missing"), "key 'weights'"),
        ({"w": ["x"] + ["1"] * 8}, LONELY, "weights must be numbers, found 'x'"),
        ({"w": [-1.0] + [1.0] * 8}, LONELY, "non-negative"),
        ({"w": [math.inf] + [1.0] * 8}, LONELY, "finite"),
        ({"stratum": [None] + ["S1"] * 8}, LONELY, "missing value in design column"),
        ({"w": [True] * 9}, LONELY, "true/false"),
        ({"psu": ["p1"] * 9}, DesignSpec(ids=("psu",), weights="w"), "only one primary"),
    ],
)
def test_bad_design_data(change: dict[str, list[object]] | None, spec: DesignSpec, message: str) -> None:
    frame = _lonely_frame()
    if change:
        frame = frame.with_columns([pl.Series(k, v) for k, v in change.items()])
    with pytest.raises(InputError, match=message):
        estimate(frame, spec, [Total("y")], lonely_psu="remove", data_source="survey.csv")


def test_bad_design_error_names_file_row_and_column() -> None:
    frame = _lonely_frame().with_columns(pl.Series("w", ["1"] * 4 + ["heavy"] + ["1"] * 4))
    with pytest.raises(InputError) as info:
        estimate(frame, LONELY, [Total("y")], data_source="survey.csv")
    assert info.value.place == "survey.csv, row 6, column w"


@pytest.mark.parametrize(
    ("fpc", "message"),
    [
        ([0.5] * 4 + [20.0] * 5, "all population sizes"),
        ([1.0] * 9, "every value is 1"),
        ([2.0] * 9, "more than 100% sampling"),
        ([10.0] * 3 + [11.0] + [5.0] * 3 + [1.0] * 2, "varies within a stratum"),
    ],
)
def test_bad_fpc(fpc: list[float], message: str) -> None:
    frame = _lonely_frame().with_columns(pl.Series("fpc", fpc))
    spec = DesignSpec(ids=("psu",), strata=("stratum",), weights="w", fpc=("fpc",))
    with pytest.raises(InputError, match=message):
        estimate(frame, spec, [Total("y")], lonely_psu="remove")


def test_weights_cannot_come_from_an_infinite_population() -> None:
    frame = _lonely_frame().with_columns(f=pl.lit(0.0))
    spec = DesignSpec(ids=("psu",), strata=("stratum",), fpc=("f",))
    with pytest.raises(InputError, match="cannot be computed from fpc"):
        estimate(frame, spec, [Total("y")], lonely_psu="remove")


def test_bad_analysis_input() -> None:
    frame = _lonely_frame()
    with pytest.raises(InputError, match="no column 'income'"):
        estimate(frame, LONELY, [Mean("income")], lonely_psu="remove")
    with pytest.raises(InputError, match=r"numeric variable.*--prop stratum=LEVEL"):
        estimate(frame, LONELY, [Mean("stratum")], lonely_psu="remove")
    with pytest.raises(InputError, match="level 'S9' does not occur"):
        estimate(frame, LONELY, [Proportion("stratum", "S9")], lonely_psu="remove")
    with pytest.raises(InputError, match="must be a number"):
        estimate(frame, LONELY, [Proportion("y", "many")], lonely_psu="remove")
    with pytest.raises(InputError, match="no column 'sex'"):
        estimate(frame, LONELY, [Mean("y")], by="sex", lonely_psu="remove")
    with pytest.raises(InputError, match="lonely_psu must be one of"):
        estimate(frame, LONELY, [Mean("y")], lonely_psu="ignore")
    with pytest.raises(InputError, match="confidence level"):
        estimate(frame, LONELY, [Mean("y")], lonely_psu="remove", level=1.5)
    with pytest.raises(InputError, match="no rows"):
        estimate(frame.head(0), LONELY, [Mean("y")])
    flags = frame.with_columns(flag=pl.col("y") > 4)
    with pytest.raises(InputError, match="true or false"):
        estimate(flags, LONELY, [Proportion("flag", "maybe")], lonely_psu="remove")


# --- strata at the second stage ---------------------------------------------------------
# stratum: (N1, {psu: {substratum: (M, [y of sampled units])}})
SUBSTRATA = {
    "A": (
        6,
        {
            "a1": {"x": (10, [1.0, 4.0, 2.0]), "y": (8, [7.0, 5.0])},
            "a2": {"x": (12, [3.0, 3.5]), "y": (5, [9.0, 6.0, 8.0])},
        },
    ),
    "B": (
        4,
        {
            "b1": {"x": (7, [2.0, 2.5]), "y": (9, [4.0, 1.0])},
            "b2": {"x": (6, [5.0, 7.0, 6.0]), "y": (11, [3.0, 8.0])},
        },
    ),
}


def _substrata_frame(lonely: bool = False) -> pl.DataFrame:
    rows = []
    for stratum, (big_n, clusters) in SUBSTRATA.items():
        for psu, parts in clusters.items():
            for sub, (big_m, ys) in parts.items():
                values = ys[:1] if lonely and psu == "a2" and sub == "y" else ys
                for j, y in enumerate(values):
                    weight = (big_n / len(clusters)) * (big_m / len(values))
                    rows.append(
                        {
                            "stratum": stratum,
                            "psu": psu,
                            "sub": sub,
                            "unit": f"{sub}{j}",
                            "y": y,
                            "w": weight,
                            "N": big_n,
                            "M": big_m,
                        }
                    )
    return pl.DataFrame(rows)


SUBSTRATIFIED = DesignSpec(ids=("psu", "unit"), strata=("stratum", "sub"), weights="w", fpc=("N", "M"))


def _substrata_terms(frame: pl.DataFrame) -> tuple[float, dict[str, dict[str, float]]]:
    """Stage-1 variance and, per PSU and substratum, the stage-2 term before n/N."""
    data: dict[str, dict[str, dict[str, list[float]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(list))
    )
    for row in frame.iter_rows(named=True):
        data[row["stratum"]][row["psu"]][row["sub"]].append(row["y"])
    stage1 = 0.0
    stage2: dict[str, dict[str, float]] = defaultdict(dict)
    for stratum, (big_n, clusters) in SUBSTRATA.items():
        n = len(clusters)
        totals = []
        for psu, parts in data[stratum].items():
            totals.append(sum(clusters[psu][s][0] * sum(v) / len(v) for s, v in parts.items()))
            for sub, values in parts.items():
                big_m, m = clusters[psu][sub][0], len(values)
                term = big_m**2 * (1 - m / big_m) * _var(values) / m if m > 1 else math.nan
                stage2[psu][sub] = (big_n / n) * term
        stage1 += big_n**2 * (1 - n / big_n) * _var(totals) / n
    return stage1, stage2


def test_second_stage_strata_match_cochran() -> None:
    frame = _substrata_frame()
    result = _one(frame, SUBSTRATIFIED, Total("y"))
    stage1, stage2 = _substrata_terms(frame)
    expected = stage1 + sum(sum(parts.values()) for parts in stage2.values())
    assert result.se**2 == pytest.approx(expected, rel=1e-10)
    assert SurveyDesign.from_frame(frame, SUBSTRATIFIED).clusters() == [4, 19]


def test_average_rule_at_the_second_stage_stays_within_the_cluster() -> None:
    frame = _substrata_frame(lonely=True)
    with pytest.raises(EstimationError, match=r"cluster 'a2'.*stage 2"):
        estimate(frame, SUBSTRATIFIED, [Total("y")])
    stage1, stage2 = _substrata_terms(frame)
    averaged = 0.0
    for parts in stage2.values():
        ok = [v for v in parts.values() if not math.isnan(v)]
        averaged += sum(ok) * len(parts) / len(ok)
    result = _one(frame, SUBSTRATIFIED, Total("y"), lonely_psu="average")
    assert result.se**2 == pytest.approx(stage1 + averaged, rel=1e-10)
    removed = _one(frame, SUBSTRATIFIED, Total("y"), lonely_psu="remove")
    expected = stage1 + sum(v for p in stage2.values() for v in p.values() if not math.isnan(v))
    assert removed.se**2 == pytest.approx(expected, rel=1e-10)
