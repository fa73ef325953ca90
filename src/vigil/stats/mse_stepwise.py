"""SparseMSE stepwise selection of two-list interactions, run on many count vectors at once.

The method (Chan, Silverman & Vincent 2021; SparseMSE ``stepwisefit``): start from main effects;
for every pair of lists not yet in the model take ``N*`` (people on both lists) and ``λ*`` (sum of
the fitted means of the cells containing both lists under the current model) and the p-value
``min(P(X <= N*), P(X >= N*))`` for ``X ~ Poisson(λ*)``; candidates whose model would fail the
existence/identifiability check get p = 1; add the pair with the smallest p (lowest index on ties)
while it is below ``pthresh``. A pair with no observed overlap enters as an extended-MLE term: the
cells containing it are dropped.

:func:`stepwise_batch` runs this selection in lock step on a batch of count vectors (the data, the
bootstrap replicates, the jackknife deletions): every round fits all unfinished vectors with one
batched Newton call on the shared design (intercept, main effects, all pairs; each vector masks
the columns and cells of its own model), warm-started from the previous round's fitted values.
Existence checks depend only on the model and on which cells are positive, so they are cached
across the batch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import combinations

import numpy as np
import numpy.typing as npt
from scipy.special import gammaln, pdtr, pdtrc

from vigil.stats.mse_models import (
    BoolArray,
    Design,
    FloatArray,
    check_design,
    design,
    intercept_variance,
    irls,
    superset_sums,
)

__all__ = ["PairModelChecker", "StepwiseBatch", "StepwiseSpace", "space_for", "stepwise_batch"]


@dataclass(frozen=True)
class StepwiseSpace:
    """Design for ``n_lists`` lists: intercept, main effects, then all pairs in R's order."""

    n_lists: int
    pairs: tuple[tuple[int, int], ...]
    design: Design
    pair_codes: npt.NDArray[np.int64]  # (n_pairs,) term codes of the pairs
    pair_cells: FloatArray  # (K, n_pairs) 1 where the cell contains the pair
    list_cells: FloatArray  # (K, t) 1 where the cell contains the list

    @property
    def n_pairs(self) -> int:
        return len(self.pairs)

    def pair_column(self, j: int) -> int:
        return 1 + self.n_lists + j


@lru_cache(maxsize=16)
def space_for(n_lists: int) -> StepwiseSpace:
    pairs = tuple(combinations(range(n_lists), 2))
    terms = (0, *(1 << i for i in range(n_lists)), *((1 << i) | (1 << j) for i, j in pairs))
    d = design(n_lists, terms)
    return StepwiseSpace(
        n_lists,
        pairs,
        d,
        np.asarray(terms[1 + n_lists :], dtype=np.int64),
        np.ascontiguousarray(d.X[:, 1 + n_lists :]),
        np.ascontiguousarray(d.X[:, 1 : 1 + n_lists]),
    )


@dataclass
class StepwiseBatch:
    """Outcome of the selection for each count vector of a batch."""

    log_dark: FloatArray  # (B,) fitted intercept: log of the dark figure
    var_log_dark: FloatArray  # (B,) its variance (inverse Fisher information)
    n_observed: FloatArray  # (B,)
    order: list[list[int]]  # pair indices in the order they entered
    pvalues: list[list[float]]  # the p-value of each when it entered (NaN: pthresh = 1 full model)
    empty: BoolArray  # (B, n_pairs) pairs in the model with no observed overlap
    loglik: FloatArray  # (B,)
    n_params: npt.NDArray[np.int64]  # (B,) estimated parameters (intercept, mains, pairs)
    converged: BoolArray  # (B,)
    mu: FloatArray = field(repr=False)  # (B, K) fitted values
    beta: FloatArray = field(repr=False)  # (B, P) coefficients (0 for terms not in the model)
    zero_list: BoolArray = field(repr=False)  # (B,) some list has nobody on it
    warnings: list[str] = field(default_factory=list)

    @property
    def estimate(self) -> FloatArray:
        with np.errstate(over="ignore"):
            return np.asarray(self.n_observed + np.exp(self.log_dark))


def _pvalues(nstar: FloatArray, lam: FloatArray) -> FloatArray:
    lower = pdtr(nstar, lam)
    upper = np.where(nstar > 0, pdtrc(np.maximum(nstar - 1.0, 0.0), lam), 1.0)
    return np.asarray(np.minimum(lower, upper))


class PairModelChecker:
    """Cached SparseMSE ``checkident`` for pair models: key = (positive cells, pairs in model)."""

    def __init__(self, space: StepwiseSpace) -> None:
        self.space = space
        self.cache: dict[tuple[bytes, int], int] = {}
        self.mains = list(range(1 + space.n_lists))

    def __call__(self, support: BoolArray, support_key: bytes, pairs: list[int]) -> int:
        mask = 0
        for j in pairs:
            mask |= 1 << j
        key = (support_key, mask)
        code = self.cache.get(key)
        if code is None:
            code = self._compute(support, pairs)
            self.cache[key] = code
        return code

    def _compute(self, support: BoolArray, pairs: list[int]) -> int:
        sp = self.space
        pc = sp.pair_cells > 0
        overlapping = [j for j in pairs if (pc[:, j] & support).any()]
        empty = [j for j in pairs if j not in overlapping]
        kept = ~pc[:, empty].any(axis=1) if empty else np.ones(support.size, dtype=bool)
        cols = self.mains + [sp.pair_column(j) for j in overlapping]
        X = sp.design.X[kept][:, cols]
        return check_design(X, support[kept].astype(np.float64))


def stepwise_batch(
    counts: npt.ArrayLike,
    n_lists: int,
    pthresh: float = 0.02,
    *,
    checker: PairModelChecker | None = None,
    beta_start: FloatArray | None = None,
) -> StepwiseBatch:
    """Run the stepwise selection on each row of ``counts`` (``(B, 2**t - 1)``, cell codes 1..).

    ``pthresh = 0`` gives main effects only; ``pthresh = 1`` fits all pairs when that model passes
    the check, else selects stepwise with every passing pair admitted (as SparseMSE).
    ``beta_start`` (intercept and main effects, ``(1 + t,)``) warm-starts the first fit, e.g. the
    bootstrap starts its replicates from the fit to the data; the results do not depend on it.
    """
    sp = space_for(n_lists)
    d = sp.design
    y = np.atleast_2d(np.asarray(counts, dtype=np.float64))
    B, K = y.shape
    P = d.n_terms
    t = n_lists
    chk = checker if checker is not None else PairModelChecker(sp)
    warnings: list[str] = []

    support = y > 0
    list_tot = y @ sp.list_cells
    zero_lists = list_tot == 0
    active = np.zeros((B, P), dtype=bool)
    active[:, : 1 + t] = True
    active[:, 1 : 1 + t] &= ~zero_lists
    # A list nobody is on has main effect minus infinity (R glm drifts there); fit its limit.
    kept = ~((zero_lists.astype(np.float64) @ sp.list_cells.T) > 0)
    if zero_lists.any():
        warnings.append(
            f"{int(zero_lists.any(axis=1).sum())} count vector(s) had a list with nobody on it; "
            "its main effect was fixed at minus infinity"
        )
    included = np.zeros((B, sp.n_pairs), dtype=bool)
    empty = np.zeros((B, sp.n_pairs), dtype=bool)
    nstar = y @ sp.pair_cells
    order: list[list[int]] = [[] for _ in range(B)]
    pvals: list[list[float]] = [[] for _ in range(B)]
    # Existence/identifiability, R semantics: the check's model keeps the main effect columns and
    # drops only the cells of empty pairs; ``ck_*`` track that model, ``active``/``kept`` the fit.
    ck_cols = np.zeros((B, P), dtype=bool)
    ck_cols[:, : 1 + t] = True
    ck_kept = np.ones((B, K), dtype=bool)
    gram: FloatArray | None = None  # X'X over the positive cells, built on first use

    beta = np.zeros((B, P))
    if beta_start is not None:
        beta[:, : 1 + t] = np.asarray(beta_start)[None, : 1 + t]
    mu = np.zeros((B, K))
    conv = np.zeros(B, dtype=bool)

    def keys(b: int) -> bytes:
        return np.packbits(support[b]).tobytes()

    def add(b: int, j: int, p: float = math.nan) -> None:
        included[b, j] = True
        order[b].append(j)
        pvals[b].append(p)
        if nstar[b, j] == 0:
            empty[b, j] = True
            drop = sp.pair_cells[:, j] == 0
            kept[b] &= drop
            ck_kept[b] &= drop
        else:
            active[b, sp.pair_column(j)] = True
            ck_cols[b, sp.pair_column(j)] = True

    if pthresh >= 1.0:
        all_pairs = list(range(sp.n_pairs))
        for b in range(B):
            if chk(support[b], keys(b), all_pairs) == 0:
                for j in all_pairs:
                    add(b, j)

    todo = np.arange(B)
    first = True
    while todo.size:
        start = beta[todo] if (not first or beta_start is not None) else None
        r = irls(d, y[todo], active[todo], kept[todo], start, want_variance=False)
        first = False
        beta[todo], mu[todo], conv[todo] = r.beta, r.mu, r.converged
        if pthresh <= 0.0:
            break
        p = _pvalues(nstar[todo], superset_sums(r.mu, t)[:, sp.pair_codes])
        p[included[todo]] = 1.0
        best = np.argmin(p, axis=1)  # lowest index among equal p-values, as R
        pbest = p[np.arange(todo.size), best]
        live = pbest < pthresh
        if not live.any():
            break
        rows, cand = todo[live], best[live]
        # Fast check of the best candidate for all rows at once: the MLE exists when the design
        # restricted to the positive cells has full column rank; the model is not identifiable
        # exactly when its columns are every kept cell plus the intercept (see mse_models).
        if gram is None:
            gram = superset_sums(support.astype(np.float64), t)[:, d.or_index]
        cols = ck_cols[rows].copy()
        kept_c = ck_kept[rows].copy()
        is_empty = nstar[rows, cand] == 0
        cols[~is_empty, sp.pair_column(0) + cand[~is_empty]] = True
        kept_c[is_empty] &= sp.pair_cells[:, cand[is_empty]].T == 0
        colsf = cols.astype(np.float64)
        G = gram[rows] * colsf[:, :, None] * colsf[:, None, :]
        G[:, np.arange(P), np.arange(P)] += 1.0 - colsf
        ev = np.linalg.eigvalsh(G)
        fullrank = ev[:, 0] > 1e-9 * ev[:, -1]
        identifiable = cols.sum(axis=1) < kept_c.sum(axis=1) + 1
        ok = fullrank & identifiable
        nxt: list[int] = []
        for k, b in enumerate(rows):
            bi = int(b)
            if ok[k]:
                add(bi, int(cand[k]), float(pbest[live][k]))
                nxt.append(bi)
                continue
            # slow path: exact checks (cached), candidates in order of p-value then index
            pk = p[np.flatnonzero(todo == b)[0]]
            cands = np.flatnonzero(pk < pthresh)
            cands = cands[np.lexsort((cands, pk[cands]))]
            key = keys(bi)
            for jj in cands.tolist():
                if chk(support[bi], key, [*order[bi], jj]) == 0:
                    add(bi, jj, float(pk[jj]))
                    nxt.append(bi)
                    break
        todo = np.asarray(nxt, dtype=np.int64)

    var0 = intercept_variance(d, mu, active, kept)
    with np.errstate(divide="ignore", invalid="ignore"):
        ll = np.where(kept, y * np.log(np.where(mu > 0, mu, 1.0)) - mu - gammaln(y + 1.0), 0.0)
    if not conv.all():
        warnings.append(f"{int((~conv).sum())} fit(s) did not converge")
    return StepwiseBatch(
        log_dark=beta[:, 0].copy(),
        var_log_dark=var0,
        n_observed=y.sum(axis=1),
        order=order,
        pvalues=pvals,
        empty=empty,
        loglik=ll.sum(axis=1),
        n_params=active.sum(axis=1).astype(np.int64),
        converged=conv,
        mu=mu,
        beta=beta,
        zero_list=zero_lists.any(axis=1),
        warnings=warnings,
    )
