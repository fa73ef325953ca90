"""Bootstrap BCa intervals that account for model selection (SparseMSE ``estimatepopulation``).

Each replicate resamples the observed counts multinomially (``rmultinom(1, N, counts)``) and reruns
the whole stepwise selection. The bias correction ``z0`` is the normal quantile of the share of
replicates below the point estimate; the acceleration ``a`` comes from a delete-one jackknife done
once per distinct observed pattern (one person fewer with that pattern), each weighted by the
pattern's count. The limits are the type-8 quantiles (as R ``quantile(type = 8)``) of the replicates
at the adjusted levels ``Φ(z0 + (z0 + z_α) / (1 - a (z0 + z_α)))``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy.special import ndtr, ndtri

from vigil.stats.capture import CaptureHistories
from vigil.stats.mse_models import FloatArray
from vigil.stats.mse_stepwise import PairModelChecker, space_for, stepwise_batch

__all__ = ["BootstrapResult", "bca_limits", "bootstrap_stepwise", "quantile_type8"]

#: Replicates fitted per batched call (bounds memory; results do not depend on it).
CHUNK = 500


@dataclass
class BootstrapResult:
    """Bootstrap replicates and BCa limits (keys of ``limits`` are the levels ``alpha``)."""

    estimate: float
    replicates: FloatArray = field(repr=False)
    jackknife: FloatArray = field(repr=False)
    acceleration: float
    bias_correction: float
    limits: dict[float, float]
    seed: int | None
    warnings: list[str] = field(default_factory=list)


def quantile_type8(x: npt.ArrayLike, probs: npt.ArrayLike) -> FloatArray:
    """Sample quantiles of R ``quantile(x, probs, type = 8)`` (median-unbiased, Hyndman & Fan)."""
    xs = np.sort(np.asarray(x, dtype=np.float64))
    n = xs.size
    p = np.atleast_1d(np.asarray(probs, dtype=np.float64))
    if n == 0:
        return np.full(p.shape, np.nan)
    a = 1.0 / 3.0
    nppm = a + p * (n + 1.0 - 2.0 * a)
    fuzz = 4.0 * np.finfo(float).eps
    j = np.floor(nppm + fuzz).astype(np.int64)
    h = nppm - j
    h[np.abs(h) < fuzz] = 0.0
    padded = np.concatenate([[xs[0], xs[0]], xs, [xs[-1], xs[-1]]])
    lo = padded[np.clip(j + 1, 0, n + 3)]
    hi = padded[np.clip(j + 2, 0, n + 3)]
    return np.asarray(np.where(h == 0, lo, np.where(h == 1, hi, (1 - h) * lo + h * hi)))


def bca_limits(
    replicates: npt.ArrayLike, estimate: float, acceleration: float, alpha: Sequence[float]
) -> tuple[dict[float, float], float]:
    """BCa limits (SparseMSE ``bcaconfvalues``) and the bias correction ``z0``."""
    reps = np.asarray(replicates, dtype=np.float64)
    reps = reps[~np.isnan(reps)]  # +inf (an overflowing estimate) stays: it is a large value
    share = float(np.mean(reps < estimate)) if reps.size else 0.5
    z0 = float(ndtri(share))
    za = ndtri(np.asarray(alpha, dtype=np.float64))
    with np.errstate(invalid="ignore", divide="ignore"):
        za0 = za + z0
        levels = ndtr(z0 + za0 / (1.0 - acceleration * za0))
    levels = np.where(np.isnan(levels), np.where(za > 0, 1.0, 0.0), levels)
    q = quantile_type8(reps, levels)
    return {float(a): float(v) for a, v in zip(alpha, q, strict=True)}, z0


def _to_cells(h: CaptureHistories, counts: npt.NDArray[np.int64]) -> FloatArray:
    """Rows of pattern counts (``(B, n_patterns)``) to rows of cell counts (``(B, 2**t - 1)``)."""
    out = np.zeros((counts.shape[0], (1 << h.n_lists) - 1))
    out[:, h.codes() - 1] = counts
    return out


def _estimates(
    h: CaptureHistories,
    cells: FloatArray,
    pthresh: float,
    chk: PairModelChecker,
    start: FloatArray,
    what: str,
) -> tuple[FloatArray, list[str]]:
    n = cells.shape[0]
    est = np.empty(n)
    zero_list = np.zeros(n, dtype=bool)
    conv = np.zeros(n, dtype=bool)
    for i in range(0, n, CHUNK):
        r = stepwise_batch(cells[i : i + CHUNK], h.n_lists, pthresh, checker=chk, beta_start=start)
        est[i : i + CHUNK] = r.estimate
        zero_list[i : i + CHUNK] = r.zero_list
        conv[i : i + CHUNK] = r.converged
    warnings: list[str] = []
    if zero_list.any():
        warnings.append(
            f"{int(zero_list.sum())} of {n} {what} had a list with nobody on it: its main effect "
            "was set to minus infinity (the limit that R's glm drifts towards)"
        )
    if not conv.all():
        warnings.append(f"{int((~conv).sum())} of {n} {what} did not converge")
    return est, warnings


def bootstrap_stepwise(
    histories: CaptureHistories,
    *,
    nboot: int = 1000,
    pthresh: float = 0.02,
    alpha: Sequence[float] = (0.025, 0.975),
    seed: int | None = None,
    rng: np.random.Generator | None = None,
) -> BootstrapResult:
    """BCa bootstrap of the stepwise estimate, the whole selection rerun on every replicate.

    ``rng`` (a numpy ``Generator``) or ``seed`` makes the run reproducible. The point estimate is
    recomputed here on the original data with the same ``pthresh``.
    """
    if nboot < 1:
        raise ValueError("nboot must be at least 1")
    h = histories.tidy()
    gen = rng if rng is not None else np.random.default_rng(seed)
    chk = PairModelChecker(space_for(h.n_lists))
    counts = h.counts
    n = int(counts.sum())
    cells = _to_cells(h, counts[None, :])
    estimate = float(stepwise_batch(cells, h.n_lists, pthresh, checker=chk).estimate[0])
    start = stepwise_batch(cells, h.n_lists, 0.0).beta[0]  # main effects: warm start
    boot_counts = gen.multinomial(n, counts / n, size=nboot).astype(np.int64)
    reps, w_boot = _estimates(h, _to_cells(h, boot_counts), pthresh, chk, start, "bootstrap replicates")
    # delete-one jackknife, once per distinct pattern
    jack_counts = np.repeat(counts[None, :], counts.size, axis=0) - np.eye(counts.size, dtype=np.int64)
    jack, w_jack = _estimates(h, _to_cells(h, jack_counts), pthresh, chk, start, "jackknife tables")
    w = counts.astype(np.float64)
    resid = (w @ jack) / w.sum() - jack
    denom = float((w * resid**2).sum())
    accel = float((w * resid**3).sum() / (6.0 * denom**1.5)) if denom > 0 else 0.0
    warnings = w_boot + w_jack
    if np.isnan(reps).any():
        warnings.append(f"{int(np.isnan(reps).sum())} bootstrap replicate(s) gave no estimate")
    limits, z0 = bca_limits(reps, estimate, accel, alpha)
    if not np.isfinite(z0):
        warnings.append(
            "every bootstrap replicate lies on one side of the estimate: BCa limits are unreliable"
        )
    return BootstrapResult(estimate, reps, jack, accel, z0, limits, seed, warnings)
