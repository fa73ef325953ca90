"""Outbreak detection on weekly counts: the Farrington flexible method.

This follows the algorithm of Noufaily et al. (2013), "An improved algorithm for outbreak
detection in multiple surveillance systems", Statistics in Medicine 32:1206-1222, as implemented
by R's ``surveillance::farringtonFlexible`` (read from its source, re-written here):

* the baseline of week ``k`` is every week from ``b`` years back minus ``w`` weeks up to
  ``pastWeeksNotIncluded + 1`` weeks before ``k``; the reference weeks are the weeks nearest the
  same calendar date 1..b years back (same weekday); with ``noPeriods > 1`` the windows of
  ``2w + 1`` weeks around the reference weeks form one level of a seasonal factor and the weeks
  between two windows are cut into ``noPeriods - 1`` blocks, the other levels;
* a quasi-Poisson log-linear GLM (intercept, linear trend, seasonal factor) is fitted; with
  ``reweight`` the Anscombe residuals of that fit give weights (``gamma * s**-2`` above
  ``weightsThreshold``, ``gamma`` below) and the model is fitted again with them; the dispersion
  is the Pearson statistic over the residual degrees of freedom, at least 1;
* the trend is kept only when its t-test p-value is below ``pThresholdTrend``, there are at least
  3 years of history and the prediction does not exceed the largest baseline count; otherwise
  the model is fitted (and reweighted) again without it;
* the threshold is the upper end of the ``1 - alpha`` one-sided prediction interval: "delta"
  (the 2/3 power transformation and the delta method, Farrington et al. 1996) or "nbPlugin" /
  "muan" (the negative binomial quantile of Noufaily et al.);
* limit54: with fewer than 5 cases in the last 4 weeks there is no threshold and no alarm.

The fitting is vectorised over units: every unit has the same periods, hence the same design
matrix for a given week, so the iteratively reweighted least squares runs on all units at once.
The results agree with ``statsmodels`` GLM fits (checked in the tests).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import stats as sps

from vigil.errors import EstimationError, InputError

FloatArray = NDArray[np.float64]

THRESHOLD_METHODS = ("delta", "nbPlugin", "muan")
MAX_ITER = 25  # glm.control() defaults of R: maxit 25, epsilon 1e-8
EPSILON = 1e-8


@dataclass(frozen=True)
class FarringtonControl:
    """The settings of the method (names as in ``farringtonFlexible``'s ``control`` list)."""

    years_back: int = 3  # b
    window: int = 3  # w
    alpha: float = 0.01
    no_periods: int = 10
    past_weeks_not_included: int = 26
    weights_threshold: float = 2.58
    p_threshold_trend: float = 0.05
    trend: bool = True
    reweight: bool = True
    limit54: tuple[int, int] = (5, 4)
    threshold_method: str = "delta"

    def check(self) -> None:
        """Refuse settings the method cannot use, naming the option."""
        if self.years_back < 1:
            raise InputError("must be at least 1", "--years-back")
        if self.window < 0:
            raise InputError("must be 0 or more", "--window")
        if not 0.0 < self.alpha < 1.0:
            raise InputError("must be strictly between 0 and 1", "--alpha")
        if self.no_periods < 1:
            raise InputError("must be at least 1", "--no-periods")
        if self.past_weeks_not_included < 0:
            raise InputError("must be 0 or more", "--past-weeks-not-included")
        if self.limit54[0] < 0 or self.limit54[1] < 1:
            raise InputError("cases must be >= 0 and weeks > 0", "limit54")
        if self.threshold_method not in THRESHOLD_METHODS:
            raise InputError(f"must be one of {', '.join(THRESHOLD_METHODS)}", "--threshold")


@dataclass(frozen=True)
class Detection:
    """One unit and week: observed, expected and upper threshold (None under limit54), alarm."""

    unit: str
    period: dt.date
    observed: int
    expected: float | None
    upper: float | None
    alarm: bool
    trend: bool

    def to_dict(self, period_text: str) -> dict[str, object]:
        return {"unit": self.unit, "period": period_text, "observed": self.observed,
                "expected": self.expected, "upper": self.upper, "alarm": self.alarm}


def _years_back(day: dt.date, years: int) -> dt.date:
    """``day`` minus ``years`` calendar years; 29 February becomes 1 March (as R's seq.Date)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return dt.date(day.year - years, 3, 1)


def reference_indices(dates: Sequence[dt.date], k: int, b: int) -> list[int]:
    """Indices of week ``k`` and of the weeks nearest the same date 1..b years back (same weekday).

    Index 0 of the result is ``k`` itself, index ``i`` the reference week ``i`` years back.
    """
    where = {d: i for i, d in enumerate(dates)}
    day = dates[k]
    out = [k]
    for i in range(1, b + 1):
        target = _years_back(day, i)
        a = target - dt.timedelta(days=(target.weekday() - day.weekday()))
        other = a + dt.timedelta(days=-7 if a > target else 7)
        best = a if abs((a - target).days) <= abs((other - target).days) else other
        if best not in where:
            raise EstimationError(
                f"needs {b} years of history before it (the week of {best.isoformat()} is missing);"
                " give fewer --years-back or evaluate later weeks", f"period {day.isoformat()}")
        out.append(where[best])
    return out


def baseline_blocks(n: int, refs: Sequence[int], control: FarringtonControl) -> NDArray[np.int64]:
    """Seasonal level of each week for the model of week ``refs[0]`` (0: not in the baseline)."""
    w, p, k = control.window, control.no_periods, refs[0]
    levels = np.zeros(n, dtype=np.int64)
    if refs[-1] - w < 0:
        raise EstimationError(
            f"needs {control.window} weeks before the reference week {control.years_back} years back",
            "period")
    levels[max(k - w, 0):k + 1] = p
    for i in range(1, len(refs)):
        ref, newer = refs[i], refs[i - 1]
        levels[ref - w:ref + w + 1] = p
        if p != 1:
            gap = newer - 2 * w - 1 - ref
            if gap < p - 1:
                raise EstimationError(f"too few weeks between reference windows for {p} periods",
                                      "--no-periods")
            size, rest = divmod(gap, p - 1)
            start = ref + w + 1
            for j in range(1, p):
                length = size + (1 if j <= rest else 0)
                levels[start:start + length] = j
                start += length
    levels[max(k - control.past_weeks_not_included, 0):k + 1] = 0
    return levels


@dataclass
class _Fit:
    beta: FloatArray  # (U, p)
    mu: FloatArray  # (U, m)
    xtwx_inv: FloatArray  # (U, p, p)
    hat: FloatArray  # (U, m)
    pearson_disp: FloatArray  # (U,)
    converged: NDArray[np.bool_]  # (U,)
    # the dispersion R's summary.glm and predict.glm see afterwards (see _fit_flexible)
    summary_disp: FloatArray | None = None

    def reported_disp(self) -> FloatArray:
        return self.pearson_disp if self.summary_disp is None else self.summary_disp


def _inverse(a: FloatArray) -> FloatArray:
    """Inverses of a stack of symmetric matrices; the pseudo-inverse where one is singular."""
    try:
        inv = np.linalg.inv(a)
        if np.isfinite(inv).all():
            return np.asarray(inv, dtype=np.float64)
    except np.linalg.LinAlgError:
        pass
    return np.asarray(np.linalg.pinv(a, rcond=1e-13, hermitian=True), dtype=np.float64)


def _solve(a: FloatArray, b: FloatArray) -> FloatArray:
    """Solutions of a stack of symmetric systems; by the pseudo-inverse where one is singular."""
    try:
        out = np.linalg.solve(a, b[:, :, None])[:, :, 0]
        if np.isfinite(out).all():
            return np.asarray(out, dtype=np.float64)
    except np.linalg.LinAlgError:
        pass
    return np.asarray(np.einsum("upq,uq->up", _inverse(a), b), dtype=np.float64)


def _deviance(y: FloatArray, mu: FloatArray, weights: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(y > 0, y * np.log(y / mu), 0.0)
    return np.asarray(2.0 * np.sum(weights * (term - (y - mu)), axis=1), dtype=np.float64)


def _linkinv(eta: FloatArray) -> FloatArray:
    """The Poisson family's inverse link as R has it, ``pmax(exp(eta), .Machine$double.eps)``:
    a unit whose baseline weeks are (nearly) all zero keeps a positive mean instead of an
    underflow to 0 and a division by it."""
    return np.asarray(np.maximum(np.exp(eta), np.finfo(np.float64).eps), dtype=np.float64)


def _irls(x: FloatArray, y: FloatArray, weights: FloatArray) -> _Fit:
    """Quasi-Poisson log-link fit of every row of ``y`` on ``x`` with prior ``weights``, as glm.fit.

    The iterations follow R's ``glm.fit`` step by step, so that the estimates agree with R's to
    far better than the convergence tolerance: start from ``mu = y + 0.1`` (the Poisson family's
    ``mustart``) with the deviance there as the previous deviance; stop a unit when the relative
    change of its deviance is below 1e-8 (``glm.control``), at most 25 iterations. As in R, the
    covariance, the hat values and the dispersion use the working weights of the last iteration
    (computed from the mean before its update) and the working residuals at the final mean.
    """
    units, m = y.shape
    p = x.shape[1]
    mu = y + 0.1
    eta = np.log(mu)
    dev_old = _deviance(y, mu, weights)
    converged = np.zeros(units, dtype=bool)
    beta = np.zeros((units, p))
    w_last = weights * mu
    active = np.arange(units)
    # rows of x as flattened outer products: X'WX of every unit is then one matrix product
    outer = (x[:, :, None] * x[:, None, :]).reshape(m, p * p)
    for _ in range(MAX_ITER):
        ya, wa, mua, etaa = y[active], weights[active], mu[active], eta[active]
        z = etaa + (ya - mua) / mua
        wk = wa * mua
        beta_a = _solve((wk @ outer).reshape(-1, p, p), (wk * z) @ x)
        eta_a = beta_a @ x.T
        mu_a = _linkinv(eta_a)
        dev = _deviance(ya, mu_a, wa)
        done = np.abs(dev - dev_old[active]) / (np.abs(dev) + 0.1) < EPSILON
        beta[active], eta[active], mu[active], w_last[active] = beta_a, eta_a, mu_a, wk
        dev_old[active] = dev
        converged[active[done]] = True
        active = active[~done]
        if active.size == 0:
            break
    inv = _inverse((w_last @ outer).reshape(-1, p, p))
    hat = w_last * (inv.reshape(units, p * p) @ outer.T)
    df = m - p
    with np.errstate(divide="ignore", invalid="ignore"):
        resid = (y - mu) / mu
    disp = np.sum(w_last * resid ** 2, axis=1) / df if df > 0 else np.full(units, np.nan)
    return _Fit(beta, mu, inv, hat, disp, converged)


def _fit_flexible(x: FloatArray, y: FloatArray, control: FarringtonControl) -> tuple[_Fit, FloatArray]:
    """First fit, then (with reweight) the refit with Anscombe-residual weights; and phi."""
    ones = np.ones_like(y)
    fit = _irls(x, y, ones)
    phi = np.maximum(fit.pearson_disp, 1.0)
    if control.reweight:
        mu = fit.mu
        with np.errstate(divide="ignore", invalid="ignore"):
            s = 1.5 * (y ** (2 / 3) * mu ** (-1 / 6) - mu ** 0.5)
            s = s / np.sqrt(phi[:, None] * (1.0 - fit.hat))
            above = s > control.weights_threshold
            inv_sq = np.where(above, s ** -2.0, 1.0)
            gamma = y.shape[1] / np.sum(inv_sq, axis=1)
        omega = gamma[:, None] * inv_sq
        first_converged = fit.converged
        fit = _irls(x, y, omega)
        fit.converged = first_converged  # R checks convergence of the first fit only
        phi = np.maximum(fit.pearson_disp, 1.0)
        # After computing phi, algo.farrington.fitGLM.flexible stores the prior weights omega in
        # the model's `weights` slot, where glm keeps the working weights (omega * mu for the log
        # link). summary.glm, which predict.glm (the standard error of the prediction) and the
        # trend's t-test then call, computes its dispersion from that slot:
        # sum(omega * ((y - mu) / mu)^2) / df instead of the Pearson sum(omega * (y - mu)^2 / mu) / df.
        # The thresholds of farringtonFlexible depend on it, so it is reproduced here; phi (in
        # tau = phi + se^2 / mu0 and the weights) stays the Pearson dispersion, as in R.
        df = y.shape[1] - x.shape[1]
        with np.errstate(divide="ignore", invalid="ignore"):
            fit.summary_disp = (np.sum(omega * ((y - fit.mu) / fit.mu) ** 2, axis=1) / df
                                if df > 0 else np.full(y.shape[0], np.nan))
    return fit, phi


def _design(
    levels: NDArray[np.int64], k: int, trend: bool
) -> tuple[FloatArray, FloatArray, NDArray[np.int64]]:
    """Design of the baseline weeks and the row of week ``k`` (treatment contrasts)."""
    idx = np.flatnonzero(levels)
    lv = levels[idx]
    present = np.unique(lv)
    cols = [np.ones(len(idx))]
    row = [1.0]
    if trend:
        cols.append((idx - idx[0]).astype(float))
        row.append(float(k - idx[0]))
    now_level = levels[levels > 0].max()  # the level of the windows (noPeriods), week k's level
    for level in present[1:]:
        cols.append((lv == level).astype(float))
        row.append(1.0 if level == now_level else 0.0)
    x = np.column_stack(cols)
    x0 = np.array(row)
    return x, x0, idx


def _predict(fit: _Fit, x0: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Predicted mean and its standard error on the response scale (summary dispersion)."""
    eta0 = fit.beta @ x0
    var_eta = np.einsum("p,upq,q->u", x0, fit.xtwx_inv, x0) * fit.reported_disp()
    mu0 = _linkinv(eta0)
    return mu0, mu0 * np.sqrt(np.maximum(var_eta, 0.0))


def _threshold(mu0: FloatArray, se_fit: FloatArray, phi: FloatArray,
               control: FarringtonControl) -> FloatArray:
    z = sps.norm.ppf(1.0 - control.alpha)
    if control.threshold_method == "delta":
        with np.errstate(divide="ignore", invalid="ignore"):
            tau = phi + se_fit ** 2 / mu0
            se = np.sqrt(4.0 / 9.0 * mu0 ** (1.0 / 3.0) * tau)
            upper: FloatArray = (mu0 ** (2.0 / 3.0) + z * se) ** 1.5
        return np.where(mu0 > 0, upper, 0.0)
    eta0 = np.log(mu0)
    se_eta = np.where(mu0 > 0, se_fit / np.where(mu0 > 0, mu0, 1.0), 0.0)
    quant = mu0 if control.threshold_method == "nbPlugin" else np.exp(eta0 + z * se_eta)
    nb = sps.nbinom.ppf(1.0 - control.alpha, quant / np.maximum(phi - 1.0, 1e-300), 1.0 / phi)
    po = sps.poisson.ppf(1.0 - control.alpha, quant)
    return np.asarray(np.where(phi > 1.0, nb, po), dtype=np.float64)


def detect(units: Sequence[str], dates: Sequence[dt.date], counts: FloatArray,
           control: FarringtonControl | None = None, evaluate_last: int = 1) -> list[Detection]:
    """Run the method for every unit (row of ``counts``) on each of the last ``evaluate_last`` weeks.

    ``dates`` are the consecutive Mondays of the columns of ``counts``.
    """
    control = control or FarringtonControl()
    control.check()
    n = len(dates)
    if evaluate_last < 1:
        raise InputError("must be at least 1", "--evaluate-last")
    if evaluate_last > n:
        raise InputError(f"asks for {evaluate_last} weeks but the data have {n}", "--evaluate-last")
    y_all = np.asarray(counts, dtype=np.float64)
    results: list[Detection] = []
    per_week: list[list[Detection]] = []
    for k in range(n - evaluate_last, n):
        refs = reference_indices(dates, k, control.years_back)
        levels = baseline_blocks(n, refs, control)
        per_week.append(_detect_week(units, dates, y_all, k, levels, control))
    for u in range(len(units)):
        results.extend(week[u] for week in per_week)
    return results


def _detect_week(units: Sequence[str], dates: Sequence[dt.date], y_all: FloatArray, k: int,
                 levels: NDArray[np.int64], control: FarringtonControl) -> list[Detection]:
    x_nt, x0_nt, idx = _design(levels, k, trend=False)
    y = y_all[:, idx]
    if len(idx) <= x_nt.shape[1] + (1 if control.trend else 0):
        raise EstimationError(f"only {len(idx)} baseline weeks, too few to fit the model",
                              f"period {dates[k].isoformat()}")
    fit_nt, phi_nt = _fit_flexible(x_nt, y, control)
    mu0, se0 = _predict(fit_nt, x0_nt)
    phi = phi_nt
    use_trend = np.zeros(len(units), dtype=bool)
    ok = fit_nt.converged.copy()
    if control.trend:
        x_t, x0_t, _ = _design(levels, k, trend=True)
        fit_t, phi_t = _fit_flexible(x_t, y, control)
        mu_t, se_t = _predict(fit_t, x0_t)
        se_beta = np.sqrt(fit_t.xtwx_inv[:, 1, 1] * fit_t.reported_disp())
        with np.errstate(divide="ignore", invalid="ignore"):
            tstat = fit_t.beta[:, 1] / se_beta
        pval = 2.0 * sps.t.sf(np.abs(tstat), x_t.shape[0] - x_t.shape[1])
        use_trend = (fit_t.converged & (pval < control.p_threshold_trend)
                     & (control.years_back >= 3) & (mu_t <= y.max(axis=1)))
        mu0 = np.where(use_trend, mu_t, mu0)
        se0 = np.where(use_trend, se_t, se0)
        phi = np.where(use_trend, phi_t, phi_nt)
        ok = ok | use_trend
    upper = _threshold(mu0, se0, phi, control)
    cases, weeks = control.limit54
    recent = y_all[:, max(k - weeks + 1, 0):k + 1].sum(axis=1)
    enough = recent >= cases
    observed = y_all[:, k]
    out = []
    for u, unit in enumerate(units):
        if not ok[u] or not enough[u] or not np.isfinite(upper[u]):
            out.append(Detection(unit, dates[k], int(observed[u]), None, None, False,
                                 bool(use_trend[u])))
            continue
        score_above = observed[u] > upper[u] if upper[u] > mu0[u] else False
        out.append(Detection(unit, dates[k], int(observed[u]), float(mu0[u]), float(upper[u]),
                             bool(score_above and observed[u] != 0), bool(use_trend[u])))
    return out
