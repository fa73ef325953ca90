"""Multiple systems estimation (MSE): how many people are there, counting those on no list?

Given a capture-history table (:mod:`vigil.stats.capture`: one 0/1 column per list, a ``count``
column), fit Poisson log-linear models over the ``2^t - 1`` observable cells and extrapolate to
the unobserved cell. The estimate of the total population is ``N_obs + exp(intercept)``.

Methods, validated against the R reference implementations (``docs/statistics.md``):

* :func:`estimate_stepwise` -- SparseMSE (Chan, Silverman & Vincent 2021): main effects plus the
  two-list interactions chosen stepwise by Poisson p-value below ``pthresh`` (default 0.02); pairs
  with no observed overlap enter as extended-MLE terms (their cells dropped); candidates failing
  the existence/identifiability check get p = 1; ``pthresh = 0`` gives main effects only.
  Model-conditional interval ``N_obs + exp(intercept ± z se)``.
* :func:`bootstrap` -- BCa interval accounting for model selection, as SparseMSE
  ``estimatepopulation`` (multinomial resampling, whole selection rerun on each replicate,
  jackknife acceleration).
* :func:`estimate_search` -- exhaustive search over hierarchical models up to ``max_order`` by BIC
  or AIC, as MultipleSystemsEstimation ``estimate_population_bic``, with a model comparison.
* :func:`estimate_fixed` -- a given model; :func:`check_model` -- the 0/1/2/3 codes of
  SparseMSE ``checkident``.

Results are plain dataclasses; :meth:`MSEResult.to_dict` gives the JSON shape of the CLI.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.special import ndtri

from vigil.errors import EstimationError, InputError, NotEstimableError
from vigil.stats.capture import CaptureHistories
from vigil.stats.mse_bootstrap import BootstrapResult, bootstrap_stepwise
from vigil.stats.mse_hierarchical import (
    DEFAULT_NTOP,
    HierarchicalFit,
    SearchBootstrap,
    bootstrap_search,
    fit_hierarchical,
    model_string,
    search_models,
)
from vigil.stats.mse_models import (
    CHECK_MESSAGES,
    check_identifiability,
    popcount,
    safe_exp,
    term_label,
)
from vigil.stats.mse_stepwise import space_for, stepwise_batch

__all__ = [
    "CHECK_MESSAGES",
    "MSEResult",
    "ModelSummary",
    "NotEstimableError",
    "bootstrap",
    "check_model",
    "estimate",
    "estimate_fixed",
    "estimate_main",
    "estimate_search",
    "estimate_stepwise",
    "parse_terms",
]

DEFAULT_PTHRESH = 0.02


@dataclass
class ModelSummary:
    """One row of a model comparison."""

    model: str  # MultipleSystemsEstimation notation, e.g. "[123,25,34]"
    terms: list[str]  # interaction terms of the model (all orders), e.g. ["LA:NG", "LA:NG:PF"]
    minus_infinity: list[str]  # terms with no observed overlap (fixed at minus infinity)
    n_params: int
    estimate: float
    ci_model: tuple[float, float]
    aic: float
    bic: float
    check: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "terms": list(self.terms),
            "minus_infinity": list(self.minus_infinity),
            "n_params": self.n_params,
            "estimate": self.estimate,
            "ci_model": list(self.ci_model),
            "aic": self.aic,
            "bic": self.bic,
            "check": self.check,
        }


@dataclass
class MSEResult:
    """A population estimate with its intervals and the model behind it."""

    method: str  # "stepwise", "main", "fixed", "bic" or "aic"
    lists: tuple[str, ...]
    n_observed: int
    estimate: float
    ci_model: tuple[float, float]
    level: float
    terms: list[str]  # interaction terms chosen ("A:B"), in order of entry for stepwise
    empty_overlaps: list[str]  # of those, the ones with no observed overlap (minus infinity)
    log_dark: float
    se_log_dark: float
    loglik: float
    aic: float
    bic: float
    n_params: int
    check: int
    settings: dict[str, Any] = field(default_factory=dict)
    ci_bootstrap: tuple[float, float] | None = None
    bootstrap: BootstrapResult | None = field(default=None, repr=False)
    search_bootstrap: SearchBootstrap | None = field(default=None, repr=False)
    models: list[ModelSummary] = field(default_factory=list)
    steps: list[dict[str, Any]] = field(default_factory=list)  # stepwise: term, p-value, overlap
    warnings: list[str] = field(default_factory=list)

    @property
    def dark_figure(self) -> float:
        """Estimated number of people on no list."""
        return self.estimate - self.n_observed

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (the CLI's ``--format json``)."""
        out: dict[str, Any] = {
            "method": self.method,
            "estimate": self.estimate,
            "ci_model": list(self.ci_model),
            "level": self.level,
            "terms": list(self.terms),
            "empty_overlaps": list(self.empty_overlaps),
            "n_observed": self.n_observed,
            "lists": list(self.lists),
            "aic": self.aic,
            "bic": self.bic,
            "n_params": self.n_params,
            "check": self.check,
            "settings": dict(self.settings),
            "warnings": list(self.warnings),
        }
        if self.ci_bootstrap is not None:
            out["ci_bootstrap"] = list(self.ci_bootstrap)
            boot = self.bootstrap or self.search_bootstrap
            if boot is not None:
                out["bootstrap"] = {
                    "replicates": int(boot.replicates.size),
                    "seed": boot.seed,
                    "acceleration": boot.acceleration,
                    "bias_correction": boot.bias_correction,
                }
        if self.models:
            out["models"] = [m.to_dict() for m in self.models]
        if self.steps:
            out["steps"] = [dict(step) for step in self.steps]
        return dict(_json(out))


# ---------------------------------------------------------------------- helpers
def _json(value: Any) -> Any:
    """Infinite or undefined numbers become ``None`` (JSON has no Infinity or NaN)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json(v) for v in value]
    return value


def _z(level: float) -> float:
    if not 0.0 < level < 1.0:
        raise InputError(f"confidence level must be between 0 and 1, got {level}")
    return float(ndtri(0.5 + level / 2.0))


def _validate(h: CaptureHistories) -> CaptureHistories:
    h = h.tidy()
    if h.n_lists < 2:
        raise EstimationError("multiple systems estimation needs at least two lists")
    if h.n_observed == 0:
        raise EstimationError("nobody was observed: all counts are zero")
    return h


def _list_warnings(h: CaptureHistories) -> list[str]:
    out = []
    for name, tot in h.list_totals().items():
        if tot == 0:
            out.append(f"list {name} is empty: it carries no information")
        elif tot == h.n_observed:
            out.append(f"list {name} contains everyone observed: the estimate cannot exist")
    return out


# ---------------------------------------------------------------------- estimability
#: Why a model fails, in words (codes of :func:`check_identifiability`).
_CHECK_WHY = {
    1: "the maximum likelihood estimate does not exist: the empty cells push the fit to the "
    "boundary, where the number of people on no list is infinite or zero",
    2: "the model is not identifiable: it has more free parameters than the observed patterns "
    "can determine (e.g. a saturated model)",
    3: "the maximum likelihood estimate does not exist and the model is not identifiable",
}


def data_reasons(h: CaptureHistories) -> list[str]:
    """Features of the table that, by themselves, leave the population unidentified.

    Two lists with no one in common (the Lincoln-Petersen estimate n_A n_B / m has m = 0), more
    lists none of which shares anyone with another, or a list that holds everyone observed
    (nothing shows how many people it misses)."""
    reasons: list[str] = []
    totals = h.list_totals()
    pairs = [(a, b) for i, a in enumerate(h.lists) for b in h.lists[i + 1 :]]
    zero = [(a, b) for a, b in pairs if h.overlap(a, b) == 0]
    if h.n_lists == 2 and zero:
        a, b = h.lists
        reasons.append(
            f"lists {a} and {b} have no one in common, so the two-list (Lincoln-Petersen) "
            f"estimate n_{a} x n_{b} / m = {totals[a]} x {totals[b]} / 0 is undefined"
        )
    elif zero and len(zero) == len(pairs):
        reasons.append("no two lists have anyone in common, so no overlap measures what the lists miss")
    for name, tot in totals.items():
        if tot == h.n_observed:
            reasons.append(
                f"list {name} contains everyone observed, so nothing shows how many people it misses"
            )
    return reasons


def not_estimable(h: CaptureHistories, model: str, why: str) -> NotEstimableError:
    """The refusal: the population is not estimable from these lists, and why."""
    reasons = data_reasons(h)
    detail = "; ".join([*reasons, f"model {model}: {why}"])
    return NotEstimableError(f"the population is not estimable from these lists: {detail}")


def _require_estimable(
    h: CaptureHistories, model: str, check: int, converged: bool, log_dark: float, se: float
) -> None:
    """Refuse a selected model that cannot give an estimate (docs/statistics.md, "When there is
    no estimate"): the check fails, the fit does not converge, or the dark figure or its
    standard error is not a finite number."""
    if check:
        raise not_estimable(h, model, _CHECK_WHY[check])
    if not converged:
        raise not_estimable(h, model, "the fit did not converge (the estimate diverges)")
    if not (math.isfinite(log_dark) and math.isfinite(se)) or log_dark >= _MAX_LOG_DARK:
        raise not_estimable(h, model, "the estimated number of people on no list is not a finite number")


#: exp(700) overflows most arithmetic downstream; a dark figure that large is a diverging fit.
_MAX_LOG_DARK = 700.0


def parse_terms(terms: Sequence[str | Sequence[str]], lists: Sequence[str]) -> list[int]:
    """Interaction terms given as ``"A:B"`` strings or name tuples, to term codes."""
    codes = []
    for t in terms:
        names = t.split(":") if isinstance(t, str) else list(t)
        code = 0
        for n in names:
            n = n.strip()
            if n not in lists:
                raise InputError(f"unknown list {n!r} in term {t!r} (lists: {', '.join(lists)})")
            code |= 1 << list(lists).index(n)
        if popcount(code) < 2:
            raise InputError(f"term {t!r} is not an interaction of two or more lists")
        codes.append(code)
    return codes


def check_model(histories: CaptureHistories, terms: Sequence[str | Sequence[str]] = ()) -> int:
    """Existence/identifiability code of a model on the data, as SparseMSE ``checkident``:
    0 OK, 1 the (extended) MLE does not exist, 2 not identifiable, 3 both."""
    h = histories.tidy()
    return check_identifiability(h.n_lists, h.cell_counts(), parse_terms(terms, h.lists))


def _interval(n: float, log_dark: float, se: float, level: float) -> tuple[float, float]:
    z = _z(level)
    return (n + safe_exp(log_dark - z * se), n + safe_exp(log_dark + z * se))


# ---------------------------------------------------------------------- estimators
def estimate_stepwise(
    histories: CaptureHistories,
    pthresh: float = DEFAULT_PTHRESH,
    *,
    level: float = 0.95,
    method: str = "stepwise",
) -> MSEResult:
    """SparseMSE stepwise estimate (``estimatepopulation.0``) with its model-conditional interval."""
    if not 0.0 <= pthresh <= 1.0:
        raise InputError(f"p-value threshold must be between 0 and 1, got {pthresh}")
    h = _validate(histories)
    sp = space_for(h.n_lists)
    cells = h.cell_counts()
    r = stepwise_batch(cells[None, 1:], h.n_lists, pthresh)
    order = r.order[0]
    pair_code = {j: (1 << a) | (1 << b) for j, (a, b) in enumerate(sp.pairs)}
    terms = [term_label(pair_code[j], h.lists) for j in order]
    empty = [term_label(pair_code[j], h.lists) for j in order if r.empty[0, j]]
    code = check_identifiability(h.n_lists, cells, [pair_code[j] for j in order])
    log_dark = float(r.log_dark[0])
    se = float(math.sqrt(max(r.var_log_dark[0], 0.0)))
    model = "main effects" + (f" + {' + '.join(terms)}" if terms else "")
    _require_estimable(h, model, code, bool(r.converged[0]), log_dark, se)
    warnings = _list_warnings(h) + list(r.warnings)
    for e in empty:
        warnings.append(
            f"lists {e.replace(':', ' and ')} have no one in common: their interaction is "
            "minus infinity (extended MLE) and the cells containing both are dropped"
        )
    overlaps = cells[1:] @ (sp.pair_cells > 0)
    steps = [
        {"term": term_label(pair_code[j], h.lists), "p_value": p, "overlap": int(overlaps[j])}
        for j, p in zip(order, r.pvalues[0], strict=True)
    ]
    n = h.n_observed
    ll = float(r.loglik[0])
    k = int(r.n_params[0]) + len(empty)
    return MSEResult(
        method=method,
        lists=h.lists,
        n_observed=n,
        estimate=n + safe_exp(log_dark),
        ci_model=_interval(n, log_dark, se, level),
        level=level,
        terms=terms,
        empty_overlaps=empty,
        log_dark=log_dark,
        se_log_dark=se,
        loglik=ll,
        aic=2.0 * k - 2.0 * ll,
        bic=k * math.log(n) - 2.0 * ll,
        n_params=k,
        check=code,
        settings={"pthresh": pthresh} if method == "stepwise" else {},
        steps=steps,
        warnings=warnings,
    )


def estimate_main(histories: CaptureHistories, *, level: float = 0.95) -> MSEResult:
    """Main effects only (independence of the lists)."""
    return estimate_stepwise(histories, 0.0, level=level, method="main")


def _from_fit(
    h: CaptureHistories, f: HierarchicalFit, method: str, level: float
) -> tuple[MSEResult, list[str]]:
    inter = [s for s in f.terms if popcount(s) > 1]
    terms = [term_label(s, h.lists) for s in inter]
    mi = [term_label(s, h.lists) for s in f.minus_infinity if popcount(s) > 1]
    warnings = _list_warnings(h)
    _require_estimable(h, model_string(f.terms), f.check, f.converged, f.log_dark, f.se_log_dark)
    res = MSEResult(
        method=method,
        lists=h.lists,
        n_observed=h.n_observed,
        estimate=f.estimate,
        ci_model=f.interval(level),
        level=level,
        terms=terms,
        empty_overlaps=mi,
        log_dark=f.log_dark,
        se_log_dark=f.se_log_dark,
        loglik=f.loglik,
        aic=f.aic,
        bic=f.bic,
        n_params=f.n_params,
        check=f.check,
        warnings=warnings,
    )
    return res, warnings


def estimate_fixed(
    histories: CaptureHistories,
    terms: Sequence[str | Sequence[str]],
    *,
    level: float = 0.95,
) -> MSEResult:
    """Fit one given model: main effects plus ``terms`` (e.g. ``["A:B", "B:C:D"]``, lower-order
    terms implied). Raises :class:`EstimationError` when the check fails."""
    h = _validate(histories)
    f = fit_hierarchical(h.n_lists, h.cell_counts(), parse_terms(terms, h.lists))
    res, _ = _from_fit(h, f, "fixed", level)
    res.settings = {"model": model_string(f.terms)}
    return res


def _summary(h: CaptureHistories, f: HierarchicalFit, level: float) -> ModelSummary:
    nan = math.nan
    return ModelSummary(
        model=model_string(f.terms),
        terms=[term_label(s, h.lists) for s in f.terms if popcount(s) > 1],
        minus_infinity=[term_label(s, h.lists) for s in f.minus_infinity],
        n_params=f.n_params,
        estimate=f.estimate if f.check == 0 else nan,
        ci_model=f.interval(level) if f.check == 0 else (nan, nan),
        aic=f.aic,
        bic=f.bic,
        check=f.check,
    )


def estimate_search(
    histories: CaptureHistories,
    *,
    max_order: int | None = None,
    criterion: str = "bic",
    top: int = 20,
    exhaustive: bool = False,
    level: float = 0.95,
    nboot: int = 0,
    ntop: int | None = None,
    seed: int | None = None,
    rng: np.random.Generator | None = None,
) -> MSEResult:
    """Best hierarchical model by BIC (or AIC) among all up to ``max_order``
    (MultipleSystemsEstimation ``estimate_population_bic``); ``models`` holds the ``top`` best
    (every valid model when ``exhaustive`` or ``top <= 0``) for comparison.

    ``nboot > 0`` adds the BCa bootstrap interval of Silverman, Chan & Vincent (2024): the
    ``ntop`` best models on the data (default 20 for four lists, 100 for five or six, all for
    fewer) are refitted on each replicate and the best of them by the criterion is taken."""
    h = _validate(histories)
    notes: list[str] = []
    if h.n_lists > 6:
        raise EstimationError(
            "the search over hierarchical models is available for at most six lists "
            "(as MultipleSystemsEstimation); use the stepwise method"
        )
    if max_order is not None and max_order < 1:
        raise InputError(f"maximum order must be at least 1, got {max_order}")
    if h.n_lists == 6 and max_order is not None and max_order > 2:
        notes.append(
            f"six lists: maximum order reduced from {max_order} to 2 (order 3 would mean "
            "3,702,013 models), as MultipleSystemsEstimation does"
        )
        max_order = 2
    if nboot < 0:
        raise InputError(f"number of bootstrap replicates must not be negative, got {nboot}")
    if top <= 0:  # show every model: fit them all
        exhaustive = True
    n_top_boot = (DEFAULT_NTOP.get(h.n_lists, 100) if ntop is None else ntop) if nboot else 0
    s = search_models(
        h.n_lists,
        h.cell_counts(),
        max_order=max_order,
        criterion=criterion,
        top=max(top, n_top_boot, 1),
        exhaustive=exhaustive,
    )
    if not s.models:
        raise not_estimable(
            h,
            f"search up to order {s.max_order}",
            f"none of the {s.n_candidates} hierarchical models passed the existence and "
            "identifiability check",
        )
    res, warnings = _from_fit(h, s.best, criterion, level)
    shown = s.models if exhaustive else s.models[: max(top, 1)]
    res.models = [_summary(h, f, level) for f in shown]
    if exhaustive:  # the full report also lists the models the check excluded (no estimate)
        res.models += [_summary(h, f, level) for f in s.excluded]
    if nboot:
        a = round((1.0 - level) / 2.0, 12)
        b = bootstrap_search(
            h.n_lists,
            h.cell_counts(),
            s,
            nboot=nboot,
            ntop=n_top_boot,
            alpha=(a, 1.0 - a),
            seed=seed,
            rng=rng,
        )
        res.ci_bootstrap = (b.limits[a], b.limits[1.0 - a])
        res.search_bootstrap = b
        warnings = warnings + b.warnings
    res.settings = {
        "max_order": s.max_order,
        "criterion": criterion,
        "model": model_string(s.best.terms),
        "models_considered": s.n_candidates,
        "models_fitted": s.n_fitted,
        "models_excluded_by_check": s.n_excluded,
        "models_skipped_by_bound": s.n_skipped,
    }
    if nboot:
        res.settings.update(
            {"nboot": nboot, "seed": seed, "bootstrap_models": res.search_bootstrap.n_models}
            if res.search_bootstrap is not None
            else {}
        )
    res.warnings = notes + warnings + s.warnings
    return res


def bootstrap(
    histories: CaptureHistories,
    *,
    nboot: int = 1000,
    pthresh: float = DEFAULT_PTHRESH,
    level: float = 0.95,
    seed: int | None = None,
    rng: np.random.Generator | None = None,
) -> BootstrapResult:
    """BCa bootstrap of the stepwise estimate (SparseMSE ``estimatepopulation``)."""
    if nboot < 1:
        raise InputError(f"number of bootstrap replicates must be positive, got {nboot}")
    h = _validate(histories)
    estimate_stepwise(h, pthresh, level=level)  # refuses data that cannot give an estimate
    a = round((1.0 - level) / 2.0, 12)
    return bootstrap_stepwise(h, nboot=nboot, pthresh=pthresh, alpha=(a, 1.0 - a), seed=seed, rng=rng)


def estimate(
    histories: CaptureHistories,
    *,
    method: str = "stepwise",
    threshold: float = DEFAULT_PTHRESH,
    max_order: int | None = None,
    nboot: int = 0,
    seed: int | None = None,
    level: float = 0.95,
    top: int = 20,
) -> MSEResult:
    """One entry point: ``method`` "stepwise", "main", "bic" or "aic"; ``nboot > 0`` adds the
    BCa bootstrap interval that accounts for model selection (the selection rerun on every
    replicate; for bic/aic over the best models on the data)."""
    if method == "stepwise":
        res = estimate_stepwise(histories, threshold, level=level)
    elif method == "main":
        res = estimate_main(histories, level=level)
    elif method in ("bic", "aic"):
        return estimate_search(
            histories,
            max_order=max_order,
            criterion=method,
            top=top,
            level=level,
            nboot=nboot,
            seed=seed,
        )
    else:
        raise InputError(f"unknown method {method!r} (stepwise, main, bic, aic)")
    if nboot > 0:
        b = bootstrap(
            histories,
            nboot=nboot,
            pthresh=threshold if method == "stepwise" else 0.0,
            level=level,
            seed=seed,
        )
        lo, hi = sorted(b.limits)
        res.ci_bootstrap = (b.limits[lo], b.limits[hi])
        res.bootstrap = b
        res.settings["nboot"] = nboot
        res.settings["seed"] = seed
        res.warnings.extend(b.warnings)
    return res
