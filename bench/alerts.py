"""Early warning at scale: ``vigil.stats.farrington.detect`` on 10,000 units x 260 weeks.

The latest week of every unit is evaluated with the defaults of ``vigil alerts detect``
(b=3, w=3, noPeriods=10, reweighting, trend test). The baseline, measured in the same run, is
the naive way: one statsmodels quasi-Poisson GLM per unit and fit (with and without trend,
each reweighted), on a sample of units, extrapolated to all of them. The two agree on
``upper`` (the largest relative difference on the sample is printed); R's own agreement is
tested in tests/stats/test_farrington_r.py.

Prints
BENCH alerts_detect_10000x260 value=<s> unit=s baseline=<s, extrapolated> ratio=<baseline/value>

    PYTHONPATH=src .venv/bin/python bench/alerts.py
"""

from __future__ import annotations

import datetime as dt
import time

import numpy as np
import statsmodels.api as sm
from scipy import stats as sps

from vigil.stats.farrington import FarringtonControl, _design, baseline_blocks, detect, reference_indices

UNITS, WEEKS, SAMPLE = 10_000, 260, 100


def naive_upper(y: np.ndarray, x_t: np.ndarray, x0_t: np.ndarray, x_nt: np.ndarray,
                x0_nt: np.ndarray, control: FarringtonControl) -> float:
    """One unit with statsmodels: fit, Anscombe weights, refit; trend test; delta threshold."""

    def fit(x: np.ndarray) -> tuple[object, float]:
        first = sm.GLM(y, x, family=sm.families.Poisson()).fit(scale="X2")
        phi = max(first.scale, 1.0)
        mu = first.mu
        hat = first.get_influence().hat_matrix_diag
        s = 1.5 * (y ** (2 / 3) * mu ** (-1 / 6) - mu ** 0.5) / np.sqrt(phi * (1 - hat))
        inv = np.where(s > control.weights_threshold, s ** -2.0, 1.0)
        omega = len(y) / inv.sum() * inv
        glm = sm.GLM(y, x, family=sm.families.Poisson(), var_weights=omega)
        pearson = glm.fit(scale="X2")
        # R's summary.glm after farringtonFlexible's refit (see vigil.stats.farrington._fit_flexible)
        reported = float(np.sum(omega * ((y - pearson.mu) / pearson.mu) ** 2) / (len(y) - x.shape[1]))
        return glm.fit(scale=reported, use_t=True), max(pearson.scale, 1.0)

    model, phi = fit(x_t)
    pred = model.get_prediction(x0_t[None, :])
    mu0 = float(pred.predicted_mean[0])
    if not (model.pvalues[1] < control.p_threshold_trend and mu0 <= y.max()):
        model, phi = fit(x_nt)
        pred = model.get_prediction(x0_nt[None, :])
        mu0 = float(pred.predicted_mean[0])
    se_fit = float(pred.se_mean[0])
    tau = phi + se_fit ** 2 / mu0
    se = np.sqrt(4 / 9 * mu0 ** (1 / 3) * tau)
    return float((mu0 ** (2 / 3) + sps.norm.ppf(1 - control.alpha) * se) ** 1.5)


def main() -> None:
    rng = np.random.default_rng(2026)
    dates = [dt.date(2021, 1, 4) + dt.timedelta(weeks=i) for i in range(WEEKS)]
    t = np.arange(WEEKS)
    base = rng.uniform(3, 40, size=(UNITS, 1))
    mean = base * np.exp(0.3 * np.sin(2 * np.pi * t / 52.18) + rng.normal(0, 0.002, (UNITS, 1)) * t)
    counts = rng.poisson(mean).astype(float)
    units = [f"unit{i}" for i in range(UNITS)]
    control = FarringtonControl()

    start = time.perf_counter()
    results = detect(units, dates, counts, control, evaluate_last=1)
    value = time.perf_counter() - start

    k = WEEKS - 1
    levels = baseline_blocks(WEEKS, reference_indices(dates, k, control.years_back), control)
    x_t, x0_t, idx = _design(levels, k, trend=True)
    x_nt, x0_nt, _ = _design(levels, k, trend=False)
    start = time.perf_counter()
    naive = [naive_upper(counts[u, idx], x_t, x0_t, x_nt, x0_nt, control) for u in range(SAMPLE)]
    baseline = (time.perf_counter() - start) * UNITS / SAMPLE
    diffs = [abs(r.upper - n) / n for r, n in zip(results[:SAMPLE], naive, strict=True)
             if r.upper is not None]
    print(f"units={UNITS} weeks={WEEKS} alarms={sum(r.alarm for r in results)} "
          f"max_rel_diff_upper_vs_statsmodels={max(diffs):.2e} (sample {SAMPLE})")
    print(f"BENCH alerts_detect_{UNITS}x{WEEKS} value={value:.2f} unit=s "
          f"baseline={baseline:.2f} ratio={baseline / value:.1f}")


if __name__ == "__main__":
    main()
