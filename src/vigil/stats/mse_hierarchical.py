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
    "HierarchicalFit",
    "SearchResult",
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


def _fit_batch(
    n_lists: int,
    y: FloatArray,
    models: Sequence[tuple[int, ...]],
    all_terms: tuple[int, ...],
    level_terms: FloatArray,
) -> list[HierarchicalFit]:
    """Fit ``models`` (their interaction terms, hierarchical) on counts ``y`` (cells 1..2^t-1)."""
    d = design(n_lists, all_terms)
    col = {s: i for i, s in enumerate(all_terms)}
    P = d.n_terms
    n_obs = float(y.sum())
    log_n = math.log(n_obs)
    n = len(models)
    member = np.zeros((n, P), dtype=bool)
    member[:, : 1 + n_lists] = True  # intercept and main effects
    for i, m in enumerate(models):
        member[i, [col[c] for c in m]] = True
    terms_arr = np.asarray(all_terms, dtype=np.int64)
    sparse_col = (level_terms[terms_arr] == 0) & (terms_arr != 0)
    sparse = member & sparse_col[None, :]
    kept = ~((sparse.astype(np.float64) @ d.X.T) > 0)  # cells containing no sparse term
    active = member & ~sparse
    n_params = member.sum(axis=1)
    # identifiable unless the estimable terms are every kept cell plus the intercept
    codes = np.where(active.sum(axis=1) >= kept.sum(axis=1) + 1, 2, 0)
    fits = [
        HierarchicalFit(
            tuple(terms_arr[member[i]].tolist()),
            tuple(terms_arr[sparse[i]].tolist()),
            int(n_params[i]),
            int(codes[i]),
            n_obs,
        )
        for i in range(n)
    ]
    rows = np.flatnonzero(codes == 0)
    if rows.size == 0:
        return fits
    Y = np.broadcast_to(y, (rows.size, y.size))
    r = irls(d, Y, active[rows], kept[rows], max_iter=60)
    zero = (y == 0)[None, :] & kept[rows]
    tiny = np.where(zero, r.mu, np.inf).min(axis=1)
    se = np.sqrt(np.maximum(r.var_intercept, 0.0))
    for k, i in enumerate(rows.tolist()):
        f = fits[i]
        # A converged fit whose zero cells all keep clearly positive means is a strictly positive
        # table with the observed margins: the MLE exists. Otherwise solve the LP.
        if not (r.converged[k] and tiny[k] > 1e-6):
            X = d.X[kept[i]][:, active[i]]
            f.check = check_design(X, y[kept[i]])
            if f.check:
                continue
        f.converged = bool(r.converged[k])
        f.log_dark = float(r.beta[k, 0])
        f.se_log_dark = float(se[k])
        f.loglik = float(r.loglik[k])
        f.bic = f.n_params * log_n - 2.0 * f.loglik
        f.aic = 2.0 * f.n_params - 2.0 * f.loglik
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
    return SearchResult(criterion, max_order, valid, len(models), n_fitted, n_excluded, n_skipped, warnings)
