"""The Farrington flexible method (vigil.stats.farrington) on hand-built and synthetic series.

The GLM is checked against statsmodels; the window construction against hand-derived levels;
the behaviours against injected outbreaks, flat Poisson series, limit54 and trends.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
import statsmodels.api as sm

from vigil.errors import EstimationError, InputError
from vigil.stats.farrington import (
    FarringtonControl,
    _design,
    _irls,
    baseline_blocks,
    detect,
    reference_indices,
)

START = dt.date(2021, 1, 4)  # a Monday


def mondays(n: int, start: dt.date = START) -> list[dt.date]:
    return [start + dt.timedelta(weeks=i) for i in range(n)]


def seasonal(n: int, base: float = 10.0, slope: float = 0.0) -> np.ndarray:
    t = np.arange(n)
    return np.asarray(base * np.exp(0.4 * np.sin(2 * np.pi * t / 52.18) + slope * t))


def test_reference_weeks_are_the_nearest_same_weekday_one_year_back() -> None:
    dates = mondays(260)
    refs = reference_indices(dates, 259, 3)
    assert refs[0] == 259
    for i, r in enumerate(refs[1:], start=1):
        target = dates[259].replace(year=dates[259].year - i)
        assert dates[r].weekday() == 0
        assert abs((dates[r] - target).days) <= 3
    # 29 February 2016 was a Monday; one year back it is 1 March 2015, whose nearest Monday is 2 March
    leap = mondays(70, dt.date(2015, 1, 5))
    k = leap.index(dt.date(2016, 2, 29))
    assert leap[reference_indices(leap, k, 1)[1]] == dt.date(2015, 3, 2)


def test_baseline_levels_hand_derived() -> None:
    # b=1, w=1, 3 periods, 2 recent weeks left out; week k=60, its reference week 8 (60 - 52)
    control = FarringtonControl(years_back=1, window=1, no_periods=3, past_weeks_not_included=2)
    levels = baseline_blocks(61, [60, 8], control)
    assert list(levels[:7]) == [0] * 7  # before the window of the reference week
    assert list(levels[7:10]) == [3, 3, 3]  # the window 8 +- 1: the level of the windows
    # the gap 10..58 (49 weeks) cut into 2 blocks of 25 and 24 weeks
    assert list(levels[10:35]) == [1] * 25 and list(levels[35:58]) == [2] * 23
    assert list(levels[58:61]) == [0, 0, 0]  # week 58 (block 2) .. 60 left out by the last 2 weeks
    one = baseline_blocks(61, [60, 8], FarringtonControl(years_back=1, window=1, no_periods=1,
                                                         past_weeks_not_included=1))
    # with one period only the windows count (the original Farrington baseline)
    assert list(np.flatnonzero(one)) == [7, 8, 9]


def test_irls_agrees_with_statsmodels_weighted_quasi_poisson() -> None:
    rng = np.random.default_rng(5)
    dates = mondays(260)
    y = rng.poisson(seasonal(260, 8.0, 0.002), size=(2, 260)).astype(float)
    control = FarringtonControl()
    levels = baseline_blocks(260, reference_indices(dates, 259, 3), control)
    x, _, idx = _design(levels, 259, trend=True)
    weights = rng.uniform(0.5, 1.5, size=(2, len(idx)))
    fit = _irls(x, y[:, idx], weights)
    for u in range(2):
        ref = sm.GLM(y[u, idx], x, family=sm.families.Poisson(), var_weights=weights[u]).fit(
            scale="X2", use_t=True)
        np.testing.assert_allclose(fit.beta[u], ref.params, rtol=1e-6, atol=1e-9)
        # the dispersion and covariance use the last iteration's working weights, as R's glm.fit
        # (statsmodels the final ones): the two agree to the convergence tolerance
        np.testing.assert_allclose(fit.pearson_disp[u], ref.scale, rtol=1e-5)
        np.testing.assert_allclose(np.sqrt(fit.xtwx_inv[u, 1, 1] * fit.pearson_disp[u]),
                                   ref.bse[1], rtol=1e-5)
        assert fit.converged[u]


def test_injected_outbreaks_are_all_found() -> None:
    rng = np.random.default_rng(11)
    n, units = 260, 40
    mean = seasonal(n, 10.0)
    y = rng.poisson(mean, size=(units, n)).astype(float)
    y[:, -1] += np.ceil(3 * mean[-1]) + 10  # an outbreak in the last week of every unit
    res = detect([f"u{i}" for i in range(units)], mondays(n), y, evaluate_last=1)
    assert len(res) == units
    assert all(r.alarm for r in res), [r for r in res if not r.alarm]
    assert all(r.upper is not None and r.observed > r.upper for r in res)


def test_flat_poisson_series_alarm_near_the_nominal_rate() -> None:
    rng = np.random.default_rng(3)
    n, units = 220, 1500
    y = rng.poisson(20.0, size=(units, n)).astype(float)
    res = detect([str(i) for i in range(units)], mondays(n), y,
                 FarringtonControl(alpha=0.05), evaluate_last=2)
    rate = sum(r.alarm for r in res) / len(res)
    assert 0.005 < rate < 0.08, rate
    expected = np.array([r.expected for r in res], dtype=float)
    assert abs(np.median(expected) - 20.0) < 1.0


def test_limit54_no_threshold_under_5_cases_in_the_last_4_weeks() -> None:
    n = 220
    y = np.zeros((2, n))
    y[:, ::13] = 1  # rare background counts
    y[0, -4:] = [0, 0, 0, 4]  # 4 cases in the last 4 weeks: far above, yet no alarm
    y[1, -4:] = [0, 0, 1, 4]  # 5 cases: the limit is reached, alarm
    res = detect(["few", "enough"], mondays(n), y, evaluate_last=1)
    few, enough = res
    assert few.upper is None and few.expected is None and not few.alarm
    assert enough.upper is not None and enough.alarm


def test_trend_kept_only_when_significant() -> None:
    rng = np.random.default_rng(8)
    n, units = 240, 30
    rising = rng.poisson(seasonal(n, 5.0, 0.008), size=(units, n)).astype(float)
    flat = rng.poisson(seasonal(n, 15.0), size=(units, n)).astype(float)
    res_r = detect([str(i) for i in range(units)], mondays(n), rising, evaluate_last=1)
    assert sum(r.trend for r in res_r) >= 0.9 * units
    # Without reweighting the trend's t-test uses the Pearson dispersion and a flat series
    # rarely keeps a trend. With reweighting, R's farringtonFlexible tests the trend with a
    # dispersion divided by the mean (see _fit_flexible), so it keeps far more trends on series
    # of high counts; Vigil does as R does (test_farrington_r.py).
    plain = FarringtonControl(reweight=False)
    res_f = detect([str(i) for i in range(units)], mondays(n), flat, plain, evaluate_last=1)
    assert sum(r.trend for r in res_f) <= 0.25 * units
    res_fw = detect([str(i) for i in range(units)], mondays(n), flat, evaluate_last=1)
    assert sum(r.trend for r in res_fw) > sum(r.trend for r in res_f)
    off = detect([str(i) for i in range(units)], mondays(n), rising,
                 FarringtonControl(trend=False), evaluate_last=1)
    assert not any(r.trend for r in off)
    # with the trend the expectation follows the rise; without it, it lags behind
    assert np.mean([a.expected for a in res_r]) > np.mean([b.expected for b in off])  # type: ignore[misc]


def test_reweighting_discounts_a_past_outbreak() -> None:
    rng = np.random.default_rng(21)
    n = 240
    y = rng.poisson(10.0, size=(1, n)).astype(float)
    y[0, 150:154] += 60  # an outbreak inside the baseline of the last week
    kept = detect(["a"], mondays(n), y, evaluate_last=1)[0]
    plain = detect(["a"], mondays(n), y, FarringtonControl(reweight=False), evaluate_last=1)[0]
    assert kept.upper is not None and plain.upper is not None
    assert kept.upper < plain.upper


def test_too_short_series_refused_clearly() -> None:
    with pytest.raises(EstimationError, match="3 years of history"):
        detect(["a"], mondays(150), np.full((1, 150), 5.0), evaluate_last=1)
    with pytest.raises(InputError, match="data have 10"):
        detect(["a"], mondays(10), np.full((1, 10), 5.0), evaluate_last=11)
    with pytest.raises(InputError):
        detect(["a"], mondays(200), np.full((1, 200), 5.0), FarringtonControl(alpha=1.5))


def test_delta_threshold_formula_by_hand() -> None:
    # a constant series: mu0 = 20, phi = 1 (floored), se.fit^2 / mu0 small: upper by the 2/3 power
    n = 220
    y = np.full((1, n), 20.0)
    r = detect(["c"], mondays(n), y, FarringtonControl(trend=False, reweight=False))[0]
    assert r.expected == pytest.approx(20.0)
    z = 2.3263478740408408  # qnorm(0.99)
    upper_phi1 = (20 ** (2 / 3) + z * np.sqrt(4 / 9 * 20 ** (1 / 3) * 1.0)) ** 1.5
    assert r.upper == pytest.approx(upper_phi1, rel=1e-6)


def test_noufaily_plugin_threshold_is_the_poisson_quantile_without_overdispersion() -> None:
    # constant counts: phi is floored at 1, so nbPlugin's threshold is qpois(1 - alpha, mu0)
    n = 220
    y = np.full((1, n), 20.0)
    r = detect(["c"], mondays(n), y, FarringtonControl(trend=False, reweight=False,
                                                       threshold_method="nbPlugin"))[0]
    assert r.expected == pytest.approx(20.0)
    assert r.upper == 31.0  # qpois(0.99, 20) = 31: P(X <= 30) < 0.99 <= P(X <= 31)
