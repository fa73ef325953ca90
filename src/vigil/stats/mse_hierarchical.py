"""Hierarchical log-linear models: fixed fits and the exhaustive search by BIC or AIC.

As R MultipleSystemsEstimation ``estimate_population_bic`` (``assemble_bic``, ``fit_hier_model``):
every hierarchical model with all main effects and interactions up to ``max_order`` is a
candidate; terms whose sufficient statistic is zero are fixed at minus infinity and their cells
dropped (extended MLE); models failing the existence/identifiability check are excluded; the
others are ranked by ``BIC = k log(N) - 2 log L`` (``k`` counts every term of the model, those at
minus infinity included, ``N`` is the number of people observed, ``L`` the Poisson likelihood of
the fitted cells) or ``AIC = 2 k - 2 log L``.

Speed. All candidates share one design (every term up to ``max_order``) and are fitted together by
the batched Newton solver of :mod:`vigil.stats.mse_models`, smallest models first. Since no model
can have a larger likelihood than the saturated fit of the observed cells, a model with ``k`` terms
has criterion at least ``penalty(k) - 2 log L_max``, where ``L_max`` is the likelihood of the model
with every term allowed (or of the saturated fit): once ``top`` valid models are known, every
model whose bound exceeds the ``top``-th best criterion is skipped without changing the ranking of
the first ``top``. ``exhaustive=True`` fits every model (for a full report).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from scipy.special import gammaln, ndtri

from vigil.stats.mse_models import (
    FloatArray,
    check_design,
    closure,
    design,
    irls,
    popcount,
    safe_exp,
    superset_sums,
)

__all__ = [
    "DEFAULT_NTOP",
    "HierarchicalFit",
    "SearchBootstrap",
    "SearchResult",
    "bootstrap_search",
    "fit_hierarchical",
    "generators_of",
    "hierarchical_models",
    "model_string",
    "search_models",
]


@dataclass
class HierarchicalFit:
    """One fitted hierarchical model."""

    terms: tuple[int, ...]  # every term, intercept first
    minus_infinity: tuple[int, ...]  # terms fixed at minus infinity (no observed overlap)
    n_params: int  # every term, including intercept and those at minus infinity
    check: int  # 0 OK, 1 MLE does not exist, 2 not identifiable, 3 both
    n_observed: float
    log_dark: float = math.nan
    se_log_dark: float = math.nan
    loglik: float = math.nan
    aic: float = math.nan
    bic: float = math.nan
    converged: bool = False

    @property
    def generators(self) -> tuple[int, ...]:
        """Maximal terms (interactions of order >= 2 and main effects in none)."""
        return generators_of(self.terms)

    @property
    def estimate(self) -> float:
        return self.n_observed + safe_exp(self.log_dark) if math.isfinite(self.log_dark) else math.nan

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        z = float(ndtri(0.5 + level / 2.0))
        lo = self.n_observed + safe_exp(self.log_dark - z * self.se_log_dark)
        hi = self.n_observed + safe_exp(self.log_dark + z * self.se_log_dark)
        return lo, hi

    def criterion(self, name: str) -> float:
        return self.bic if name == "bic" else self.aic


@dataclass
class SearchResult:
    """Ranked models (best first) and what the search did."""

    criterion: str
    max_order: int
    models: list[HierarchicalFit]  # valid fitted models, best first
    n_candidates: int
    n_fitted: int
    n_excluded: int  # failed the existence/identifiability check
    n_skipped: int  # bound shows they cannot enter the top ``top``
    warnings: list[str] = field(default_factory=list)
    excluded: list[HierarchicalFit] = field(default_factory=list)  # fitted, failed the check

    @property
    def best(self) -> HierarchicalFit:
        return self.models[0]


# ---------------------------------------------------------------------- model enumeration
@lru_cache(maxsize=32)
def hierarchical_models(n_lists: int, max_order: int) -> tuple[tuple[int, ...], ...]:
    """Every hierarchical model on ``n_lists`` lists with all main effects and interactions of
    order at most ``max_order``, as sorted tuples of its interaction terms (order >= 2)."""
    max_order = min(max_order, n_lists - 1) if n_lists > 1 else 1
    by_order = {k: [c for c in range(1, 1 << n_lists) if popcount(c) == k] for k in range(2, max_order + 1)}
    # bit c of a family is set when term c is in the model; a term may enter once all its
    # subsets one list smaller are in
    need = {
        c: sum(1 << (c & ~(1 << i)) for i in range(n_lists) if c >> i & 1)
        for k in by_order
        for c in by_order[k]
    }
    base = 1 | sum(1 << (1 << i) for i in range(n_lists))
    out: list[tuple[int, ...]] = []

    def rec(k: int, fam: int, terms: tuple[int, ...]) -> None:
        if k > max_order:
            out.append(terms)
            return
        allowed = [c for c in by_order[k] if fam & need[c] == need[c]]

        def choose(i: int, f: int, chosen: tuple[int, ...]) -> None:
            if i == len(allowed):
                rec(k + 1, f, chosen)
                return
            choose(i + 1, f, chosen)
            c = allowed[i]
            choose(i + 1, f | 1 << c, (*chosen, c))

        choose(0, fam, terms)

    rec(2, base, ())
    return tuple(out)


def generators_of(terms: Iterable[int]) -> tuple[int, ...]:
    """Maximal terms of a hierarchical term set (intercept excluded)."""
    ts = [s for s in set(terms) if s]
    gens = [s for s in ts if not any(u != s and (u & s) == s for u in ts)]
    return tuple(sorted(gens, key=lambda s: (-popcount(s), s)))


def model_string(terms: Iterable[int]) -> str:
    """R MultipleSystemsEstimation notation, e.g. ``[123,25,34]`` (lists numbered from 1)."""
    gens = generators_of(terms)
    parts = []
    for g in gens:
        digits = [i + 1 for i in range(g.bit_length()) if g >> i & 1]
        weight = len(digits) + sum(0.5**d for d in digits)
        parts.append((weight, "".join(str(d) for d in digits)))
    parts.sort(key=lambda p: -p[0])
    return "[" + ",".join(p[1] for p in parts) + "]"


# ---------------------------------------------------------------------- fitting
def _saturated_loglik(y: FloatArray) -> float:
    pos = y[y > 0]
    return float((pos * np.log(pos) - pos - gammaln(pos + 1.0)).sum())


@dataclass
class _RowFits:
    """Fits of one model on one count vector per row (arrays over rows)."""

    member: npt.NDArray[np.bool_]  # (n, P) terms of the model
    sparse: npt.NDArray[np.bool_]  # (n, P) terms at minus infinity on that row's data
    code: npt.NDArray[np.int64]  # (n,) check code (0 = fitted)
    log_dark: FloatArray
    se: FloatArray
    loglik: FloatArray
    converged: npt.NDArray[np.bool_]
    n_params: npt.NDArray[np.int64]
    beta: FloatArray  # (n, P) coefficients (0 for terms not fitted)

    def criterion(self, name: str, n_obs: FloatArray) -> FloatArray:
        pen = np.log(n_obs) if name == "bic" else np.full(n_obs.shape, 2.0)
        out = self.n_params * pen - 2.0 * self.loglik
        return np.asarray(np.where(self.code == 0, out, np.inf))


def _fit_rows(
    n_lists: int,
    Y: FloatArray,
    member: npt.NDArray[np.bool_],
    all_terms: tuple[int, ...],
    *,
    want_variance: bool = True,
    chunk: int = 8192,
    beta_start: FloatArray | None = None,
) -> _RowFits:
    """Fit row ``i``'s model (``member[i]``) on counts ``Y[i]`` (cells 1..2^t-1), all rows at once.

    Terms with no observed overlap in that row's data are set to minus infinity (cells dropped);
    models failing the check get their code and no fit. ``beta_start`` (``(n, P)``) warm-starts
    the Newton iterations (e.g. replicates from the fit to the data); results do not depend on it.
    """
    d = design(n_lists, all_terms)
    n = Y.shape[0]
    terms_arr = np.asarray(all_terms, dtype=np.int64)
    nstar = superset_sums(Y, n_lists)[:, terms_arr]
    sparse = member & (nstar == 0) & (terms_arr != 0)[None, :]
    kept = ~((sparse.astype(np.float64) @ d.X.T) > 0)  # cells containing no sparse term
    active = member & ~sparse
    # identifiable unless the estimable terms are every kept cell plus the intercept
    code = np.where(active.sum(axis=1) >= kept.sum(axis=1) + 1, 2, 0).astype(np.int64)
    log_dark = np.full(n, np.nan)
    se = np.full(n, np.nan)
    loglik = np.full(n, np.nan)
    conv = np.zeros(n, dtype=bool)
    beta = np.zeros((n, len(all_terms)))
    cache: dict[tuple[bytes, bytes, bytes], int] = {}
    rows_all = np.flatnonzero(code == 0)
    # chunks of similar model size: each solves systems only as large as its largest model
    rows_all = rows_all[np.argsort(active[rows_all].sum(axis=1), kind="stable")]
    for first in range(0, rows_all.size, chunk):
        rows = rows_all[first : first + chunk]
        start = None if beta_start is None else beta_start[rows]
        r = irls(d, Y[rows], active[rows], kept[rows], start, max_iter=60, want_variance=want_variance)
        zero = (Y[rows] == 0) & kept[rows]
        tiny = np.where(zero, r.mu, np.inf).min(axis=1)
        # A converged fit whose zero cells all keep clearly positive means is a strictly
        # positive table with the observed margins: the MLE exists. Otherwise solve the LP.
        # (Where the MLE does not exist, Newton stops with the escaping means below about
        # tol * deviance = 1e-10 * deviance; the margin asked for is a thousand times that.)
        floor = np.maximum(1e-6, 1e-7 * (np.abs(r.deviance) + 1.0))
        for k in np.flatnonzero(~(r.converged & (tiny > floor))).tolist():
            i = int(rows[k])
            key = (
                np.packbits(Y[i] > 0).tobytes(),
                np.packbits(active[i]).tobytes(),
                np.packbits(kept[i]).tobytes(),
            )
            if key not in cache:
                X = d.X[kept[i]][:, active[i]]
                cache[key] = check_design(X, Y[i][kept[i]])
            code[i] = cache[key]
        good = code[rows] == 0
        log_dark[rows[good]] = r.beta[good, 0]
        se[rows[good]] = np.sqrt(np.maximum(r.var_intercept[good], 0.0))
        loglik[rows[good]] = r.loglik[good]
        conv[rows[good]] = r.converged[good]
        beta[rows[good]] = r.beta[good]
    n_params = member.sum(axis=1).astype(np.int64)
    return _RowFits(member, sparse, code, log_dark, se, loglik, conv, n_params, beta)


def _membership(
    models: Sequence[tuple[int, ...]], all_terms: tuple[int, ...], n_lists: int
) -> npt.NDArray[np.bool_]:
    col = {s: i for i, s in enumerate(all_terms)}
    member = np.zeros((len(models), len(all_terms)), dtype=bool)
    member[:, : 1 + n_lists] = True  # intercept and main effects
    for i, m in enumerate(models):
        member[i, [col[c] for c in m]] = True
    return member


def _fit_batch(
    n_lists: int,
    y: FloatArray,
    models: Sequence[tuple[int, ...]],
    all_terms: tuple[int, ...],
    level_terms: FloatArray | None = None,
) -> list[HierarchicalFit]:
    """Fit ``models`` (their interaction terms, hierarchical) on counts ``y`` (cells 1..2^t-1)."""
    member = _membership(models, all_terms, n_lists)
    Y = np.broadcast_to(y, (len(models), y.size))
    f = _fit_rows(n_lists, Y, member, all_terms)
    n_obs = float(y.sum())
    log_n = math.log(n_obs)
    terms_arr = np.asarray(all_terms, dtype=np.int64)
    fits = []
    for i in range(len(models)):
        h = HierarchicalFit(
            tuple(terms_arr[member[i]].tolist()),
            tuple(terms_arr[f.sparse[i]].tolist()),
            int(f.n_params[i]),
            int(f.code[i]),
            n_obs,
        )
        if h.check == 0:
            h.converged = bool(f.converged[i])
            h.log_dark = float(f.log_dark[i])
            h.se_log_dark = float(f.se[i])
            h.loglik = float(f.loglik[i])
            h.bic = h.n_params * log_n - 2.0 * h.loglik
            h.aic = 2.0 * h.n_params - 2.0 * h.loglik
        fits.append(h)
    return fits


def fit_hierarchical(
    n_lists: int, cell_counts: npt.ArrayLike, interactions: Sequence[int]
) -> HierarchicalFit:
    """Fit one hierarchical model (its interaction terms; closure taken) on counts by cell code."""
    y = np.asarray(cell_counts, dtype=np.float64)[1:]
    terms = tuple(closure(interactions, n_lists))
    nstar = superset_sums(y[None, :], n_lists)[0]
    return _fit_batch(n_lists, y, [tuple(s for s in terms if popcount(s) > 1)], terms, nstar)[0]


def search_models(
    n_lists: int,
    cell_counts: npt.ArrayLike,
    *,
    max_order: int | None = None,
    criterion: str = "bic",
    top: int = 20,
    exhaustive: bool = False,
) -> SearchResult:
    """Rank all hierarchical models up to ``max_order`` by ``criterion`` ("bic" or "aic").

    ``max_order`` defaults as in MultipleSystemsEstimation: 1 for two lists, 2 for three, 3 for
    four or five, 2 for six or more.
    """
    if criterion not in ("bic", "aic"):
        raise ValueError("criterion must be 'bic' or 'aic'")
    if max_order is None:
        max_order = {2: 1, 3: 2, 4: 3, 5: 3}.get(n_lists, 2)
    max_order = max(1, min(max_order, n_lists - 1))
    y = np.asarray(cell_counts, dtype=np.float64)[1:]
    n_obs = float(y.sum())
    models = hierarchical_models(n_lists, max_order)
    all_terms = tuple(closure([c for c in range(1, 1 << n_lists) if popcount(c) <= max_order], n_lists))
    nstar = superset_sums(y[None, :], n_lists)[0]
    sizes = np.array([1 + n_lists + len(m) for m in models])
    penalty_per = math.log(n_obs) if criterion == "bic" else 2.0
    # No model fits better than a model containing it: the richest model allowed, when its MLE
    # exists, bounds every log-likelihood more tightly than the saturated fit of the cells.
    floor_ll = _saturated_loglik(y)
    richest = tuple(s for s in all_terms if popcount(s) > 1)
    top_fit = _fit_batch(n_lists, y, [richest], all_terms, nstar)[0]
    if top_fit.check == 0 and top_fit.converged:
        floor_ll = min(floor_ll, top_fit.loglik + 1e-6 * abs(top_fit.loglik) + 1e-6)
    order = np.argsort(sizes, kind="stable")
    valid: list[HierarchicalFit] = []
    n_fitted = n_excluded = n_skipped = 0
    excluded: list[HierarchicalFit] = []
    warnings: list[str] = []
    pos = 0
    batch = 256
    while pos < order.size:
        threshold = math.inf
        if not exhaustive and len(valid) >= top:
            threshold = sorted(f.criterion(criterion) for f in valid)[top - 1]
        idx = order[pos : pos + batch]
        pos += idx.size
        bound = sizes[idx] * penalty_per - 2.0 * floor_ll
        keep = idx[bound <= threshold]
        n_skipped += int(idx.size - keep.size)
        if keep.size == 0:
            if np.all(sizes[order[pos:]] * penalty_per - 2.0 * floor_ll > threshold):
                n_skipped += int(order.size - pos)
                break
            continue
        fits = _fit_batch(n_lists, y, [models[i] for i in keep], all_terms, nstar)
        n_fitted += len(fits)
        for f in fits:
            if f.check:
                n_excluded += 1
                excluded.append(f)
            else:
                valid.append(f)
        batch = min(batch * 2, 4096)
    if not valid:
        warnings.append("no hierarchical model passed the existence/identifiability check")
    valid.sort(key=lambda f: f.criterion(criterion))
    if not exhaustive:
        valid = valid[:top]
    if any(not f.converged for f in valid):
        warnings.append("some model fits did not converge")
    return SearchResult(
        criterion, max_order, valid, len(models), n_fitted, n_excluded, n_skipped, warnings, excluded
    )


# ---------------------------------------------------------------------- bootstrap
#: Models kept for the bootstrap by number of lists (MultipleSystemsEstimation defaults).
DEFAULT_NTOP = {2: 10**9, 3: 10**9, 4: 20, 5: 100, 6: 100}


@dataclass
class SearchBootstrap:
    """BCa bootstrap of the model search restricted to the best models on the data."""

    estimate: float
    replicates: FloatArray = field(repr=False)
    jackknife: FloatArray = field(repr=False)
    acceleration: float
    bias_correction: float
    limits: dict[float, float]
    n_models: int
    seed: int | None
    warnings: list[str] = field(default_factory=list)


def _select(fits: _RowFits, n_rows: int, n_models: int, criterion: str, n_obs: FloatArray) -> FloatArray:
    """For each data row, the estimate of its best valid model (NaN when none is valid)."""
    crit = fits.criterion(criterion, np.repeat(n_obs, n_models)).reshape(n_rows, n_models)
    est = (np.repeat(n_obs, n_models) + np.exp(fits.log_dark)).reshape(n_rows, n_models)
    best = np.argmin(crit, axis=1)  # first of equal values, as R which.min
    out = est[np.arange(n_rows), best]
    return np.asarray(np.where(np.isfinite(crit.min(axis=1)), out, np.nan))


def bootstrap_search(
    n_lists: int,
    cell_counts: npt.ArrayLike,
    search: SearchResult,
    *,
    nboot: int = 1000,
    ntop: int | None = None,
    alpha: Sequence[float] = (0.025, 0.975),
    seed: int | None = None,
    rng: np.random.Generator | None = None,
) -> SearchBootstrap:
    """BCa interval for the searched estimate, as MultipleSystemsEstimation
    ``estimate_population_bic(nboot = ...)`` (Silverman, Chan & Vincent 2024).

    Only the ``ntop`` best models on the data (default 20 for four lists, 100 for five or six,
    all for fewer) are refitted on every multinomial replicate and on every delete-one
    jackknife table; each replicate takes the estimate of its best model by the same criterion.
    ``search`` must hold at least those models (``search_models(top=ntop)``).
    """
    from vigil.stats.mse_bootstrap import bca_limits  # here to keep the import graph acyclic

    y = np.asarray(cell_counts, dtype=np.float64)[1:]
    n_obs = float(y.sum())
    ntop = DEFAULT_NTOP.get(n_lists, 100) if ntop is None else ntop
    chosen = search.models[:ntop]
    models = [tuple(s for s in f.terms if popcount(s) > 1) for f in chosen]
    all_terms = tuple(
        closure([c for c in range(1, 1 << n_lists) if popcount(c) <= search.max_order], n_lists)
    )
    member = _membership(models, all_terms, n_lists)
    M = len(models)
    start = _fit_rows(n_lists, np.broadcast_to(y, (M, y.size)), member, all_terms, want_variance=False).beta
    gen = rng if rng is not None else np.random.default_rng(seed)
    boot = gen.multinomial(int(n_obs), y / n_obs, size=nboot).astype(np.float64)

    def estimates(tables: FloatArray) -> FloatArray:
        rows = tables.shape[0]
        f = _fit_rows(
            n_lists,
            np.repeat(tables, M, axis=0),
            np.tile(member, (rows, 1)),
            all_terms,
            want_variance=False,
            beta_start=np.tile(start, (rows, 1)),
        )
        return _select(f, rows, M, search.criterion, tables.sum(axis=1))

    reps = estimates(boot)
    pos = np.flatnonzero(y > 0)
    jack_tables = np.repeat(y[None, :], pos.size, axis=0)
    jack_tables[np.arange(pos.size), pos] -= 1.0
    jack = estimates(jack_tables)
    w = y[pos]
    warnings: list[str] = []
    accel = 0.0
    if np.isnan(jack).any():
        warnings.append("a jackknife table had no valid model: acceleration set to 0")
    else:
        resid = (w @ jack) / w.sum() - jack
        denom = float((w * resid**2).sum())
        accel = float((w * resid**3).sum() / (6.0 * denom**1.5)) if denom > 0 else 0.0
    if np.isnan(reps).any():
        warnings.append(f"{int(np.isnan(reps).sum())} bootstrap replicate(s) had no valid model")
    estimate = chosen[0].estimate
    limits, z0 = bca_limits(reps, estimate, accel, alpha)
    return SearchBootstrap(estimate, reps, jack, accel, z0, limits, M, seed, warnings)
