"""Log-linear building blocks: checks, zero overlaps, thresholds, fixed models, the model search."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import numpy as np
import pytest

from vigil.errors import EstimationError, InputError, NotEstimableError
from vigil.stats.capture import CaptureHistories, read_capture_csv
from vigil.stats.mse import (
    check_model,
    estimate,
    estimate_fixed,
    estimate_main,
    estimate_search,
    estimate_stepwise,
)
from vigil.stats.mse_hierarchical import hierarchical_models, model_string
from vigil.stats.mse_models import (
    check_identifiability,
    closure,
    design,
    irls,
    linear_predictor,
    superset_sums,
)

REF = Path(__file__).resolve().parents[3] / "shared/reference/mse"


def load(name: str) -> CaptureHistories:
    return read_capture_csv(REF / f"{name}.csv")


# ---------------------------------------------------------------- existence / identifiability
def test_artificial_3_checkident_codes() -> None:
    """The examples of SparseMSE ``checkident`` on Artificial_3 (Chan, Silverman & Vincent)."""
    h = load("Artificial_3")
    assert check_model(h, ["A:B", "A:C", "B:C"]) == 2  # all pairs: not identifiable
    assert check_model(h, ["A:B"]) == 1  # A:B alone: the MLE does not exist
    assert check_model(h, ["A:C", "B:C"]) == 0  # passes both tests
    assert check_model(h, []) == 0


def test_artificial_3_fixed_model_errors_and_stepwise_avoids_it() -> None:
    h = load("Artificial_3")
    with pytest.raises(EstimationError, match="not identifiable"):
        estimate_fixed(h, ["A:B", "A:C", "B:C"])
    with pytest.raises(EstimationError, match="does not exist"):
        estimate_fixed(h, ["A:B"])
    res = estimate_stepwise(h, pthresh=1.0)
    # every candidate model containing A:B fails; the empty overlaps A:C and B:C may enter
    assert "A:B" not in res.terms
    assert res.check == 0
    assert np.isfinite(res.estimate)


def test_shortcuts_agree_with_the_linear_program() -> None:
    """Full-rank and one-dimensional shortcuts give the LP's answer on many random cases."""
    rng = np.random.default_rng(11)
    pairs = [(1 << i) | (1 << j) for i, j in combinations(range(4), 2)]
    triples = [c for c in range(16) if bin(c).count("1") == 3]
    seen = {0: 0, 1: 0, 2: 0, 3: 0}
    for _ in range(300):
        counts = rng.poisson(rng.choice([0.3, 1.0, 4.0]), size=16).astype(float)
        counts[0] = 0
        counts[1:][rng.random(15) < 0.3] = 0
        if counts.sum() == 0:
            continue
        terms = [p for p in pairs if rng.random() < 0.5]
        if rng.random() < 0.3:
            terms += [t for t in triples if rng.random() < 0.3]
        fast = check_identifiability(4, counts, terms)
        slow = check_identifiability(4, counts, terms, use_lp_only=True)
        assert fast == slow, (counts, terms)
        seen[fast] += 1
    assert seen[0] > 0 and seen[1] > 0


# ---------------------------------------------------------------- zero overlaps, thresholds
def test_zero_overlap_is_extended_mle() -> None:
    """An empty pair enters as minus infinity: same fit as dropping its cells."""
    h = load("Ned_5")
    assert h.overlap("K", "R") == 0
    with_kr = estimate_fixed(h, ["IO:Z", "P:Z", "P:R", "IO:P", "K:R", "IO:K"])
    assert with_kr.empty_overlaps == ["K:R"]
    # statsmodels reproduction in estimation-background.md: 121,521.6 (98,675.4 - 150,138.9)
    assert with_kr.estimate == pytest.approx(121521.6, rel=1e-5)
    assert with_kr.ci_model[0] == pytest.approx(98675.4, rel=1e-5)
    assert with_kr.ci_model[1] == pytest.approx(150138.9, rel=1e-5)
    # same as fitting the model without K:R on the table without the K-and-R cells
    y = h.cell_counts()[1:].astype(float)
    cells = np.arange(1, 32)
    kr = (1 << 1) | (1 << 3)
    kept = (cells & kr) != kr
    pairs = [(1 << i) | (1 << j) for i, j in [(0, 4), (2, 4), (2, 3), (0, 2), (0, 1)]]
    terms = tuple(closure(pairs, 5))
    fit = irls(design(5, terms), y[None, :], np.ones((1, len(terms)), bool), kept[None, :])
    assert with_kr.log_dark == pytest.approx(fit.beta[0, 0], rel=1e-9)
    assert with_kr.n_params == len(terms) + 1  # K:R counts as a parameter (AIC as SparseMSE)


def test_stepwise_reports_zero_overlaps_as_minus_infinity() -> None:
    res = estimate_stepwise(load("Ned"))
    assert set(res.empty_overlaps) == {"K:R", "I:K"}
    assert sum("no one in common" in w for w in res.warnings) == 2


def test_threshold_zero_gives_main_effects() -> None:
    h = load("UKdat")
    zero = estimate_stepwise(h, 0.0)
    main = estimate_main(h)
    assert zero.terms == [] and main.terms == []
    assert zero.estimate == pytest.approx(main.estimate)
    assert zero.ci_model == pytest.approx(main.ci_model)
    assert zero.n_params == 1 + 6


def test_threshold_one_takes_full_model_when_identifiable() -> None:
    h = load("UKdat_4")
    full = estimate_stepwise(h, 1.0)
    assert len(full.terms) == 6
    all_pairs = estimate_fixed(h, [f"{a}:{b}" for a, b in combinations(h.lists, 2)])
    assert full.estimate == pytest.approx(all_pairs.estimate, rel=1e-9)


def test_fixed_stepwise_model_equals_stepwise() -> None:
    h = load("UKdat")
    step = estimate_stepwise(h)
    fixed = estimate_fixed(h, step.terms)
    assert fixed.estimate == pytest.approx(step.estimate, rel=1e-9)
    assert fixed.ci_model == pytest.approx(step.ci_model, rel=1e-7)
    assert fixed.aic == pytest.approx(step.aic, rel=1e-9)


def test_level_changes_interval_only() -> None:
    h = load("NewOrl")
    a = estimate_stepwise(h, level=0.95)
    b = estimate_stepwise(h, level=0.80)
    assert a.estimate == b.estimate
    assert a.ci_model[0] < b.ci_model[0] < b.ci_model[1] < a.ci_model[1]


def test_bad_arguments() -> None:
    h = load("UKdat")
    with pytest.raises(InputError, match="unknown list"):
        estimate_fixed(h, ["LA:XX"])
    with pytest.raises(InputError, match="not an interaction"):
        estimate_fixed(h, ["LA"])
    with pytest.raises(InputError, match="threshold"):
        estimate_stepwise(h, 1.5)
    with pytest.raises(InputError, match="unknown method"):
        estimate(h, method="magic")
    one = CaptureHistories.from_arrays(["A"], [[1]], [5])
    with pytest.raises(EstimationError, match="two lists"):
        estimate_stepwise(one)


def test_list_holding_everyone_is_refused() -> None:
    # Every cell without list A is empty: the MLE does not exist (the dark figure goes to 0).
    # This used to be a warning next to a number; it is now a refusal that says why.
    h = CaptureHistories.from_arrays(["A", "B", "C"], [[1, 0, 0], [1, 1, 0], [1, 0, 1]], [5, 2, 3])
    with pytest.raises(NotEstimableError, match=r"not estimable.*list A contains everyone observed"):
        estimate_stepwise(h)


def test_to_dict_shape() -> None:
    d = estimate_stepwise(load("NewOrl")).to_dict()
    for key in ("estimate", "ci_model", "terms", "n_observed", "warnings"):
        assert key in d
    assert d["terms"] == ["D:E"]
    assert d["n_observed"] == 185
    assert len(d["ci_model"]) == 2
    assert "ci_bootstrap" not in d


# ---------------------------------------------------------------- transforms and the search
def test_superset_and_subset_sums_equal_design_products() -> None:
    rng = np.random.default_rng(2)
    terms = tuple(closure([0b0111, 0b1100, 0b1001], 4))
    d = design(4, terms)
    v = rng.random((3, 15))
    z = superset_sums(v, 4)
    assert z[:, list(terms)] == pytest.approx(v @ d.X)
    b = rng.random((3, len(terms)))
    assert linear_predictor(d, b) == pytest.approx(b @ d.X.T)


@pytest.mark.parametrize(
    ("t", "order", "count"),
    [(3, 2, 8), (3, 1, 1), (4, 2, 64), (4, 3, 113), (5, 2, 1024), (5, 4, 6893)],
)
def test_number_of_hierarchical_models(t: int, order: int, count: int) -> None:
    # simplicial complexes on t labelled vertices (all vertices present), top face excluded
    assert len(hierarchical_models(t, order)) == count


def test_model_string_notation() -> None:
    assert model_string(closure([0b00111, 0b10010, 0b01100], 5)) == "[123,25,34]"
    assert model_string(closure([], 3)) == "[1,2,3]"


def test_search_checks_models_like_check_extended_mle() -> None:
    """Codes of the search agree with the LP on every 3-list model of Artificial_3."""
    h = load("Artificial_3")
    res = estimate_search(h, max_order=2, exhaustive=True)
    counts = h.cell_counts()
    valid = {m.model for m in res.models if m.check == 0}
    for m in hierarchical_models(3, 2):
        code = check_identifiability(3, counts, list(m), drop_empty_main_effects=True)
        assert (code == 0) == (model_string(closure(m, 3)) in valid)


def test_exhaustive_search_agrees_with_pruned_search() -> None:
    h = load("UKdat_4")
    pruned = estimate_search(h, max_order=3, top=5)
    full = estimate_search(h, max_order=3, exhaustive=True)
    assert len(full.models) > len(pruned.models)
    assert all(m.check == 0 for m in pruned.models)
    assert [m.model for m in full.models[:5]] == [m.model for m in pruned.models]
    assert full.estimate == pytest.approx(pruned.estimate)


def test_aic_search_prefers_larger_models_than_bic() -> None:
    h = load("UKdat_5")
    aic = estimate_search(h, max_order=2, criterion="aic")
    bic = estimate_search(h, max_order=2, criterion="bic")
    assert aic.method == "aic"
    assert aic.models[0].aic <= bic.models[0].aic
    assert aic.n_params >= bic.n_params


def test_six_list_search_is_capped_at_order_two() -> None:
    h = load("UKdat").select_lists(["LA", "NG", "PF", "GO", "GP", "NCA"])
    res = estimate_search(h, max_order=3, top=3)
    assert res.settings["max_order"] == 2
    assert any("reduced from 3 to 2" in w for w in res.warnings)
    # Silverman, Chan & Vincent (2024): UK six lists, max order 2 -> 12,350
    assert res.estimate == pytest.approx(12350, abs=1)


def test_more_than_six_lists_refused_by_search() -> None:
    with pytest.raises(EstimationError, match="at most six lists"):
        estimate_search(load("NewOrl"))


def test_main_effects_bootstrap() -> None:
    res = estimate(load("NewOrl_5"), method="main", nboot=200, seed=1)
    assert res.terms == []
    assert res.ci_bootstrap is not None
    assert res.ci_bootstrap[0] < res.estimate < res.ci_bootstrap[1]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_search_validity_equals_exact_check_on_sparse_tables(seed: int) -> None:
    """The search's shortcut (a converged fit with clearly positive means certifies existence)
    excludes exactly the models that the linear program rejects."""
    rng = np.random.default_rng(seed)
    counts = rng.poisson(2.0, size=15)
    counts[rng.random(15) < 0.45] = 0
    counts[:4] = np.maximum(counts[:4], 1)  # singletons (codes 1, 2, 4 and 3) kept positive
    codes = np.arange(1, 16)
    keep = counts > 0
    pat = ((codes[keep][:, None] >> np.arange(4)) & 1).astype(int)
    h = CaptureHistories.from_arrays(["A", "B", "C", "D"], pat, counts[keep])
    res = estimate_search(h, max_order=3, exhaustive=True)
    valid = {m.model for m in res.models if m.check == 0}
    cells = h.cell_counts()
    n_invalid = 0
    for m in hierarchical_models(4, 3):
        ok = check_identifiability(4, cells, list(m), drop_empty_main_effects=True) == 0
        n_invalid += not ok
        assert ok == (model_string(closure(m, 4)) in valid), m
    assert res.settings["models_excluded_by_check"] + len(valid) <= 113
    assert n_invalid > 0


def test_full_report_lists_excluded_models_with_their_codes() -> None:
    res = estimate_search(load("Artificial_3"), max_order=2, top=0)
    assert len(res.models) == 8
    codes = sorted(m.check for m in res.models)
    assert codes == [0, 0, 0, 0, 1, 1, 1, 2]
    excluded = [m for m in res.models if m.check]
    assert all(np.isnan(m.estimate) for m in excluded)
    assert {m.model for m in excluded} == {"[12,3]", "[12,23]", "[12,13]", "[12,13,23]"}
    d = res.to_dict()
    assert d["models"][-1]["estimate"] is None  # JSON has no NaN


def test_stepwise_path_records_p_values_and_overlaps() -> None:
    res = estimate_stepwise(load("Ned"))
    assert [s["term"] for s in res.steps] == res.terms
    assert all(s["p_value"] < 0.02 for s in res.steps)
    assert {s["term"] for s in res.steps if s["overlap"] == 0} == set(res.empty_overlaps)
    assert res.to_dict()["steps"][0]["term"] == "O:Z"
