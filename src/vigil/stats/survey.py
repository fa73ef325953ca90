"""Design-based estimation from complex survey samples, as R ``survey`` (4.1) computes it.

A :class:`SurveyDesign` couples a DataFrame with its :class:`~vigil.stats.design.DesignSpec`
(cluster ids per stage, strata, weights, finite population corrections). :func:`estimate`
then gives means, totals, proportions (of one level of a variable) and ratios, overall or by
domain, each with a Taylor-linearisation standard error and a 95% confidence interval::

    from vigil.stats.design import DesignSpec
    from vigil.stats.survey import Mean, Proportion, estimate

    spec = DesignSpec(strata=("stype",), weights="pw", fpc=("fpc",))
    rows = estimate(frame, spec, [Mean("api00"), Proportion("sch.wide", "Yes")], by="stype")

What follows is what R ``survey`` does, reimplemented from its documented formulas:

* Design (``svydesign``): without ids every row is its own PSU. Clusters of later stages are
  nested in those of earlier stages; with ``nest`` the cluster ids are nested in the strata,
  otherwise a cluster found in two strata is an error. Strata of stage ``k > 1`` are the
  given stage-``k`` strata (or the last given ones) within each cluster of stage ``k - 1``.
  The sample size of a stratum is its number of distinct clusters.
* fpc (``as.fpc``): all values >= 1 (and some > 1) are population sizes, all values <= 1 are
  sampling fractions (population = sample size / fraction; a fraction of 0 is an infinite
  population); anything else is an error, as is a population smaller than its sample. Stages
  with no fpc column are taken as fully sampled. Without weights the weights are the product
  over stages of population size / sample size.
* Variance (``svyrecvar``): the influence values of the statistic are summed per PSU,
  centred within strata and ``f n/(n-1)`` times their sum of squares is added over strata,
  with ``f = (N - n)/N`` (1 without fpc). With fpc and several stages the same is done
  within every PSU for the next stage and added with the factor ``n/N`` of the stage above
  (Bellhouse's recursion); without fpc only the first stage counts (ultimate clusters).
  A stratum whose f is below 1e-7 (sampled completely) adds nothing.
* One PSU in a stratum (``options(survey.lonely.psu)``): ``fail`` (default) raises
  :class:`~vigil.errors.EstimationError`; ``remove`` and ``certainty`` add zero; ``adjust``
  uses the PSU total centred at zero (survey 4.1 behaviour); ``average`` gives such strata
  the average contribution of the other strata of the same stage and parent cluster.
* Domains (``svyby``): the estimate for a domain is that of the subset design: rows outside
  the domain contribute zero but every stratum keeps its design number of PSUs; strata with
  no row in the domain are left out (so a single-PSU stratum only matters where the domain
  has rows). ``na_rm=True`` drops rows with a missing analysis value the same way.
* Influence values: total ``w y``; mean ``w (y - mean)/sum(w)``; ratio
  ``w (y - r x)/sum(w x)``; a proportion is the mean of the 0/1 indicator of the level.
* Confidence intervals are ``value +/- z se`` with the normal quantile (``confint`` on an
  ``svymean`` result; no design degrees of freedom).

Everything is vectorised with ``numpy.bincount`` over integer codes: one pass over the rows
per statistic, then work on PSU totals only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from statistics import NormalDist
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, get_args

import numpy as np
import numpy.typing as npt
import polars as pl

from vigil.errors import EstimationError, InputError, NotEstimableError
from vigil.io.tables import columns_list, row_place
from vigil.stats.design import DesignColumns, DesignSpec, design_columns

if TYPE_CHECKING:
    from vigil.stats.survey_replicates import ReplicateSpec

LonelyPSU: TypeAlias = Literal["fail", "remove", "certainty", "adjust", "average"]
LONELY_PSU_CHOICES: tuple[str, ...] = get_args(LonelyPSU)

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_SELF_REPRESENTING = 1e-7  # R: a stratum with f below this is sampled completely
_MAX_POPULATION = 1e12  # R: weights cannot be computed from larger (or infinite) populations


# --- statistics ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Mean:
    """Weighted mean of a numeric (or true/false) variable (R ``svymean``)."""

    variable: str
    statistic: str = field(default="mean", init=False)

    @property
    def label(self) -> str:
        return self.variable


@dataclass(frozen=True)
class Total:
    """Estimated population total of a variable (R ``svytotal``)."""

    variable: str
    statistic: str = field(default="total", init=False)

    @property
    def label(self) -> str:
        return self.variable


@dataclass(frozen=True)
class Proportion:
    """Proportion of the population in which ``variable`` equals ``level``.

    Without a level, :func:`estimate` gives the proportion of every level seen in the data
    (as R's ``svymean`` on a factor).
    """

    variable: str
    level: str | int | float | bool | None = None
    statistic: str = field(default="proportion", init=False)

    @property
    def label(self) -> str:
        return self.variable if self.level is None else f"{self.variable}={self.level}"


@dataclass(frozen=True)
class Ratio:
    """Ratio of two population totals, ``numerator / denominator`` (R ``svyratio``)."""

    numerator: str
    denominator: str
    statistic: str = field(default="ratio", init=False)

    @property
    def label(self) -> str:
        return f"{self.numerator}/{self.denominator}"


Statistic: TypeAlias = Mean | Total | Proportion | Ratio


def parse_statistic(kind: str, text: str, columns: Sequence[str] | None = None) -> Statistic:
    """Build a statistic from its command-line form.

    ``kind`` is ``mean``, ``total``, ``ratio`` (``text`` is ``NUM/DEN``) or ``prop``/
    ``proportion`` (``text`` is ``VAR=LEVEL``, or ``VAR`` for every level). With ``columns``
    a ratio is split where both sides are column names, so names containing ``/`` work.
    """
    text = text.strip()
    if kind == "mean":
        return Mean(text)
    if kind == "total":
        return Total(text)
    if kind == "ratio":
        splits = [i for i, char in enumerate(text) if char == "/"]
        if columns is not None:
            for i in splits:
                if text[:i] in columns and text[i + 1 :] in columns:
                    return Ratio(text[:i], text[i + 1 :])
        if len(splits) != 1 or splits[0] in (0, len(text) - 1):
            raise InputError(f"a ratio is written NUM/DEN, found {text!r}", "--ratio")
        return Ratio(text[: splits[0]], text[splits[0] + 1 :])
    if kind in ("prop", "proportion"):
        if columns is not None and text in columns:
            return Proportion(text)
        variable, sep, level = text.partition("=")
        if not variable or (sep and not level):
            raise InputError(
                f"a proportion is written VAR=LEVEL (or VAR for every level), found {text!r}",
                "--prop",
            )
        return Proportion(variable, level if sep else None)
    raise InputError(f"unknown statistic {kind!r}; use mean, total, ratio or prop")


@dataclass(frozen=True)
class Estimate:
    """One estimate: the statistic, its domain, value, standard error and confidence interval.

    ``n`` is the number of sample rows that contributed (in the domain, without missing
    values), useful for small-cell rules before publication.
    """

    statistic: str
    variable: str
    domain: dict[str, Any]
    value: float
    se: float
    ci: tuple[float, float]
    n: int
    #: Why there is no value, e.g. a domain without respondents (``None`` when there is one).
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``NaN`` becomes ``None``; ``note`` only when there is one)."""
        out = {
            "statistic": self.statistic,
            "variable": self.variable,
            "domain": {key: _plain(value) for key, value in self.domain.items()},
            "value": _finite_or_none(self.value),
            "se": _finite_or_none(self.se),
            "ci": [_finite_or_none(self.ci[0]), _finite_or_none(self.ci[1])],
        }
        if self.note is not None:
            out["note"] = self.note
        return out


def _empty_domain_note(statistic: Statistic, weight: float, denominator: float) -> str | None:
    """Why a domain has no estimate: no respondent (with a positive weight and a value) in it,
    or, for a ratio, a denominator total of zero. ``None`` when the estimate is defined."""
    if weight <= 0.0:
        what = "the total is 0 by construction" if isinstance(statistic, Total) else (
            f"the {statistic.statistic} is undefined")
        return f"no respondents with a positive weight and a value in this domain: {what}"
    if denominator == 0.0:
        return "the denominator's total is 0 in this domain: the ratio is undefined"
    return None


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _plain(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


# --- codes ---------------------------------------------------------------------------------


def _codes(series: pl.Series) -> tuple[IntArray, int]:
    """Dense integer codes (0..k-1, in sorted order of the values) and k; nulls get code k."""
    n = len(series)
    nulls = series.null_count()
    if (series.dtype.is_integer() or series.dtype == pl.Boolean) and nulls == 0 and n:
        values = series.cast(pl.Int64).to_numpy()
        low = int(values.min())
        span = int(values.max()) - low + 1
        if span <= max(4 * n, 1 << 20):
            return _dense(values - low, span)
        uniques, inverse = np.unique(values, return_inverse=True)
        return inverse.astype(np.int64).reshape(-1), len(uniques)
    levels = series.drop_nulls().unique().sort()
    mapping = pl.DataFrame(
        {"value": levels, "code": np.arange(len(levels), dtype=np.int64)},
        schema={"value": series.dtype, "code": pl.Int64},
    )
    coded = (
        series.rename("value")
        .to_frame()
        .join(mapping, on="value", how="left", maintain_order="left")
        .get_column("code")
    )
    codes = coded.fill_null(len(levels)).to_numpy().astype(np.int64)
    return codes, len(levels) + (1 if nulls else 0)


def _dense(codes: IntArray, size: int) -> tuple[IntArray, int]:
    """Renumber codes in 0..size-1 to 0..k-1 (keeping their order)."""
    seen = np.zeros(size, dtype=bool)
    seen[codes] = True
    present = np.flatnonzero(seen)
    remap = np.empty(size, dtype=np.int64)
    remap[present] = np.arange(len(present), dtype=np.int64)
    return remap[codes], len(present)


def _interact(a: IntArray, na: int, b: IntArray, nb: int) -> tuple[IntArray, int]:
    """Codes of the pairs (a, b), dense and in lexicographic order."""
    combined = a * nb + b
    size = na * nb
    if size <= max(4 * len(a), 1 << 20):
        return _dense(combined, size)
    uniques, inverse = np.unique(combined, return_inverse=True)
    return inverse.astype(np.int64).reshape(-1), len(uniques)


def _first_rows(codes: IntArray, k: int) -> IntArray:
    """For each code 0..k-1 the first row where it occurs."""
    first = np.full(k, -1, dtype=np.int64)
    rows = np.arange(len(codes), dtype=np.int64)
    first[codes[::-1]] = rows[::-1]
    return first


def _group_sum(codes: IntArray, values: FloatArray, groups: int) -> FloatArray:
    """Sum the rows of ``values`` (m x k) by ``codes`` into a (groups x k) array."""
    out = np.empty((groups, values.shape[1]), dtype=np.float64)
    for column in range(values.shape[1]):
        out[:, column] = np.bincount(codes, weights=values[:, column], minlength=groups)
    return out


# --- the design ----------------------------------------------------------------------------


@dataclass
class _Stage:
    """One sampling stage: its strata and clusters (units) as integer codes."""

    unit: IntArray  # per row: the stage's cluster (stratum x id), 0..n_units-1
    n_units: int
    unit_stratum: IntArray  # per unit: its stratum
    n_strata: int
    sampsize: FloatArray  # per stratum: number of clusters in the sample
    popsize: FloatArray  # per stratum: number of clusters in the population (inf: unknown)
    stratum_parent: IntArray  # per stratum: the cluster of the stage above (0 at stage 1)
    unit_parent: IntArray  # per unit: the cluster of the stage above (0 at stage 1)
    stratum_first_row: IntArray  # per stratum: a row in it, to name it in messages

    @property
    def fraction_unsampled(self) -> FloatArray:
        """``f = (N - n) / N`` per stratum (1 when N is infinite or unknown)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            f = (self.popsize - self.sampsize) / self.popsize
        return np.where(np.isinf(self.popsize), 1.0, f)

    @property
    def sampling_fraction(self) -> FloatArray:
        """``n / N`` per stratum (0 when N is infinite)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(np.isinf(self.popsize), 0.0, self.sampsize / self.popsize)


class SurveyDesign:
    """A survey design compiled over one DataFrame (R ``svydesign``).

    Build it with :meth:`from_frame`; estimate with :meth:`estimate` (or the module-level
    :func:`estimate`). ``warnings`` holds notes such as "no weights: equal probability".
    """

    def __init__(
        self,
        frame: pl.DataFrame,
        columns: DesignColumns,
        spec: DesignSpec,
        data_source: str | Path | None = None,
    ) -> None:
        self.frame = frame
        self.spec = spec
        self.data_source = data_source
        self.n = frame.height
        self.warnings: list[str] = []
        if self.n == 0:
            raise InputError("the data have no rows", _source_name(data_source))
        self._build(columns)

    @classmethod
    def from_frame(
        cls,
        frame: pl.DataFrame,
        spec: DesignSpec | ReplicateSpec,
        data_source: str | Path | None = None,
    ) -> SurveyDesign:
        """Validate ``spec`` against ``frame`` and compile the design.

        A :class:`~vigil.stats.survey_replicates.ReplicateSpec` (a design file with
        ``type``/``repweights`` or ``replicates``) gives a replicate-weight design.
        """
        if not isinstance(spec, DesignSpec):
            from vigil.stats.survey_replicates import ReplicateDesign

            return ReplicateDesign.build(frame, spec, data_source)
        return cls(frame, design_columns(spec, frame, data_source), spec, data_source)

    # .. construction ..

    def _build(self, cols: DesignColumns) -> None:
        spec = self.spec
        n = self.n
        stages = spec.stages
        has_strata = bool(cols.strata)
        rows_as_ids = [(np.arange(n, dtype=np.int64), n)]
        raw_ids = [_codes(series) for series in cols.ids] if cols.ids else rows_as_ids
        raw_strata = [_codes(series) for series in cols.strata]

        if raw_ids[0][1] == 1 and not (spec.nest and has_strata):
            raise InputError("the design has only one primary sampling unit", self._key("ids"))

        ids = [raw_ids[0]]
        for i in range(1, stages):  # subclusters nested in clusters
            ids.append(_interact(*ids[i - 1], *raw_ids[i]))
        if spec.nest and has_strata:  # clusters nested in strata
            for i in range(stages):
                code = raw_strata[0]
                for j in range(1, min(i + 1, len(raw_strata))):
                    code = _interact(*code, *raw_strata[j])
                ids[i] = _interact(*code, *ids[i])
        elif has_strata:
            self._check_nested(ids[0], raw_strata[0], cols, 0)

        strata: list[tuple[IntArray, int]] = []
        ones = (np.zeros(n, dtype=np.int64), 1)
        for i in range(stages):
            base = raw_strata[min(i, len(raw_strata) - 1)] if has_strata else ones
            strata.append(base if i == 0 else _interact(*base, *ids[i - 1]))

        units = [_interact(*strata[i], *ids[i]) for i in range(stages)]
        for i in range(1, stages):  # a cluster must not span strata of its own stage
            if has_strata and units[i - 1][1] != ids[i - 1][1]:
                stage_strata = raw_strata[min(i - 1, len(raw_strata) - 1)]
                self._check_nested(ids[i - 1], stage_strata, cols, i - 1)

        sampsize_rows: list[FloatArray] = []
        self._stages: list[_Stage] = []
        for i in range(stages):
            unit, n_units = units[i]
            stratum, n_strata = strata[i]
            unit_stratum = np.zeros(n_units, dtype=np.int64)
            unit_stratum[unit] = stratum
            sampsize = np.bincount(unit_stratum, minlength=n_strata).astype(np.float64)
            sampsize_rows.append(sampsize[stratum])
            stratum_parent = np.zeros(n_strata, dtype=np.int64)
            unit_parent = np.zeros(n_units, dtype=np.int64)
            if i > 0:
                stratum_parent[stratum] = units[i - 1][0]
                unit_parent[unit] = units[i - 1][0]
            self._stages.append(
                _Stage(
                    unit=unit,
                    n_units=n_units,
                    unit_stratum=unit_stratum,
                    n_strata=n_strata,
                    sampsize=sampsize,
                    popsize=np.full(n_strata, np.inf),
                    stratum_parent=stratum_parent,
                    unit_parent=unit_parent,
                    stratum_first_row=_first_rows(stratum, n_strata),
                )
            )
        self.has_popsize = bool(cols.fpc)
        popsize_rows = self._popsizes(cols, sampsize_rows) if cols.fpc else None
        self.weights = self._weights(cols, sampsize_rows, popsize_rows)

    def _key(self, key: str) -> str:
        return f"{self.spec.source}, key {key!r}"

    def _check_nested(
        self,
        ids: tuple[IntArray, int],
        strata: tuple[IntArray, int],
        cols: DesignColumns,
        stage: int,
    ) -> None:
        _, n_pairs = _interact(*ids, *strata)
        if n_pairs == ids[1]:
            return
        # find a cluster seen in two strata, to name it
        first_stratum = np.full(ids[1], -1, dtype=np.int64)
        first_stratum[ids[0][::-1]] = strata[0][::-1]
        bad = np.flatnonzero(first_stratum[ids[0]] != strata[0])
        row = int(bad[0])
        id_column = cols.ids[stage].name if cols.ids else "(row)"
        strata_column = cols.strata[min(stage, len(cols.strata) - 1)].name
        id_value = cols.ids[stage][row] if cols.ids else row + 1
        raise InputError(
            f"cluster {id_value!r} of {id_column!r} lies in more than one stratum of "
            f"{strata_column!r} at stage {stage + 1}; clusters must be nested in strata "
            "(set nest: true if cluster ids are reused across strata)",
            row_place(self.data_source, row, id_column),
        )

    def _popsizes(self, cols: DesignColumns, sampsize_rows: list[FloatArray]) -> list[FloatArray]:
        fpc = cols.fpc
        values = np.concatenate(fpc)
        is_popsize = bool((values > 1).any())
        all_at_least_one = bool((values >= 1).all())
        if is_popsize != all_at_least_one:
            if is_popsize:
                stage, row = _first_where(fpc, lambda v: v < 1)
                detail = f"found {fpc[stage][row]!r} among population sizes"
            else:
                stage, row = 0, 0
                detail = "every value is 1"
            raise InputError(
                "fpc must be all population sizes (>= 1, some > 1) or all sampling "
                f"fractions (<= 1); {detail}",
                row_place(self.data_source, row, self.spec.fpc[stage]),
            )
        popsize_rows: list[FloatArray] = []
        for i, current in enumerate(self._stages):
            if i < len(fpc):
                if is_popsize:
                    pop = fpc[i]
                else:
                    with np.errstate(divide="ignore"):
                        pop = sampsize_rows[i] / fpc[i]
            else:
                pop = sampsize_rows[i]  # no fpc for this stage: sampled completely
            name = self.spec.fpc[min(i, len(fpc) - 1)]
            too_small = pop < sampsize_rows[i]
            if too_small.any():
                row = int(np.flatnonzero(too_small)[0])
                raise InputError(
                    f"fpc implies more than 100% sampling at stage {i + 1}: population "
                    f"{pop[row]:g} but {sampsize_rows[i][row]:g} clusters in the sample",
                    row_place(self.data_source, row, name),
                )
            stratum = self._stage_strata(i)
            per_stratum = np.full(current.n_strata, np.nan)
            per_stratum[stratum] = pop
            varies = per_stratum[stratum] != pop
            if varies.any():
                row = int(np.flatnonzero(varies)[0])
                raise InputError(
                    f"fpc varies within a stratum at stage {i + 1} "
                    f"({pop[row]:g} here, {per_stratum[stratum[row]]:g} elsewhere)",
                    row_place(self.data_source, row, name),
                )
            current.popsize = per_stratum
            popsize_rows.append(pop)
        return popsize_rows

    def _stage_strata(self, i: int) -> IntArray:
        stage = self._stages[i]
        return stage.unit_stratum[stage.unit]

    def _weights(
        self,
        cols: DesignColumns,
        sampsize_rows: list[FloatArray],
        popsize_rows: list[FloatArray] | None,
    ) -> FloatArray:
        if cols.weights is not None:
            return cols.weights
        if popsize_rows is None:
            self.warnings.append("no weights or fpc given: assuming equal probability")
            return np.ones(self.n, dtype=np.float64)
        if any(bool((pop > _MAX_POPULATION).any()) for pop in popsize_rows):
            raise InputError(
                "weights are not given and cannot be computed from fpc (infinite population)",
                self._key("weights"),
            )
        weights = np.ones(self.n, dtype=np.float64)
        for pop, samp in zip(popsize_rows, sampsize_rows, strict=True):
            weights *= pop / samp
        return weights

    # .. description ..

    @property
    def stages(self) -> int:
        """Number of sampling stages."""
        return len(self._stages)

    def clusters(self) -> list[int]:
        """Number of sampled clusters at each stage (as R prints them)."""
        return [stage.n_units for stage in self._stages]

    # .. estimation ..

    def estimate(
        self,
        statistics: Sequence[Statistic],
        *,
        by: str | Sequence[str] | None = None,
        lonely_psu: LonelyPSU | str = "fail",
        na_rm: bool = False,
        level: float = 0.95,
    ) -> list[Estimate]:
        """Estimate every statistic, overall or for every domain of ``by``.

        Results come statistic by statistic, domains in sorted order of their values (missing
        values of ``by`` last, as their own domain).
        """
        if lonely_psu not in LONELY_PSU_CHOICES:
            raise InputError(
                f"lonely_psu must be one of {', '.join(LONELY_PSU_CHOICES)}, found {lonely_psu!r}"
            )
        if not 0 < level < 1:
            raise InputError(f"confidence level must lie between 0 and 1, found {level!r}")
        by_columns = [by] if isinstance(by, str) else list(by or [])
        for name in by_columns:
            self._require_column(name, "--by")
        codes, n_domains, domains = self._domains(by_columns)
        quantile = NormalDist().inv_cdf(0.5 + level / 2)
        results: list[Estimate] = []
        for statistic in self._expand(statistics):
            values, variances, counts, weight, den = self._one(
                statistic, codes, n_domains, lonely_psu, na_rm
            )
            for d in range(n_domains):
                se = math.sqrt(variances[d]) if variances[d] >= 0 else math.nan
                value = float(values[d])
                note = _empty_domain_note(statistic, float(weight[d]), float(den[d]))
                if note is not None and not isinstance(statistic, Total):
                    value, se = math.nan, math.nan
                results.append(
                    Estimate(
                        statistic=statistic.statistic,
                        variable=statistic.label,
                        domain=dict(domains[d]),
                        value=value,
                        se=se,
                        ci=(value - quantile * se, value + quantile * se),
                        n=int(counts[d]),
                        note=note,
                    )
                )
        return results

    def _expand(self, statistics: Sequence[Statistic]) -> list[Statistic]:
        """Replace each proportion without a level by one per level seen (sorted)."""
        expanded: list[Statistic] = []
        for statistic in statistics:
            if isinstance(statistic, Proportion) and statistic.level is None:
                series = self._require_column(statistic.variable, "--prop")
                levels = series.drop_nulls().unique().sort().to_list()
                if not levels:
                    raise InputError(f"column {statistic.variable!r} has no values", "--prop")
                expanded += [Proportion(statistic.variable, value) for value in levels]
            else:
                expanded.append(statistic)
        return expanded

    def _domains(self, by: list[str]) -> tuple[IntArray, int, list[dict[str, Any]]]:
        if not by:
            return np.zeros(self.n, dtype=np.int64), 1, [{}]
        series = [self.frame.get_column(name) for name in by]
        code = _codes(series[0])
        for other in series[1:]:
            code = _interact(*code, *_codes(other))
        codes, k = code
        first = _first_rows(codes, k)
        domains = [{s.name: s[int(row)] for s in series} for row in first]
        return codes, k, domains

    def _require_column(self, name: str, what: str) -> pl.Series:
        if name not in self.frame.columns:
            raise InputError(
                f"no column {name!r} in {_source_name(self.data_source)}; "
                f"columns are: {columns_list(self.frame.columns)}",
                what,
            )
        return self.frame.get_column(name)

    def _numeric(self, name: str, statistic: Statistic) -> FloatArray:
        """The column as floats, NaN where missing; an error if it is not numeric."""
        series = self._require_column(name, f"--{statistic.statistic}")
        if series.dtype == pl.Boolean or series.dtype.is_numeric():
            return series.cast(pl.Float64).fill_null(np.nan).to_numpy().astype(np.float64)
        text = series.cast(pl.String, strict=False)
        numbers = text.str.strip_chars().cast(pl.Float64, strict=False)
        bad = numbers.is_null() & text.is_not_null()
        if bad.any():
            row = int(bad.arg_true()[0])
            hint = ""
            if statistic.statistic == "mean":
                hint = f"; for a proportion use --prop {name}=LEVEL"
            raise InputError(
                f"{statistic.statistic} needs a numeric variable, found {text[row]!r}{hint}",
                row_place(self.data_source, row, name),
            )
        return numbers.fill_null(np.nan).to_numpy().astype(np.float64)

    def _indicator(self, statistic: Proportion) -> tuple[FloatArray, BoolArray]:
        name = statistic.variable
        series = self._require_column(name, "--prop")
        level = statistic.level
        if level is None:  # expanded to every level before estimation
            raise InputError(f"no level given for a proportion of {name!r}", "--prop")
        missing = series.is_null().to_numpy()
        if series.dtype == pl.Boolean:
            truth = _parse_bool(level)
            if truth is None:
                raise InputError(
                    f"column {name!r} is true/false; the level must be true or false, found {level!r}",
                    "--prop",
                )
            hit = series.fill_null(not truth) == truth
        elif series.dtype.is_numeric():
            try:
                number = float(level)
            except (TypeError, ValueError):
                raise InputError(
                    f"column {name!r} is numeric; the level must be a number, found {level!r}",
                    "--prop",
                ) from None
            hit = series.cast(pl.Float64).fill_null(math.nan) == number
        else:
            hit = series.cast(pl.String).fill_null("") == str(level)
            hit = hit & series.is_not_null()
        indicator = hit.fill_null(False).to_numpy().astype(np.float64)
        if not indicator.any():
            seen = series.drop_nulls().unique().sort().head(12).cast(pl.String).to_list()
            raise InputError(
                f"level {str(level)!r} does not occur in column {name!r}; values are: "
                + ", ".join(map(str, seen)),
                "--prop",
            )
        return indicator, missing

    def _analysis_values(
        self, statistic: Statistic, na_rm: bool
    ) -> tuple[FloatArray, FloatArray | None, BoolArray | None]:
        """The statistic's variable(s) as floats (NaN where missing) and the rows kept.

        ``keep`` is None when no value is missing; otherwise missing values are an error
        unless ``na_rm``, when they are left out with a warning.
        """
        x: FloatArray | None
        if isinstance(statistic, Ratio):
            y = self._numeric(statistic.numerator, statistic)
            x = self._numeric(statistic.denominator, statistic)
            missing = np.isnan(y) | np.isnan(x)
        elif isinstance(statistic, Proportion):
            y, missing = self._indicator(statistic)
            x = None
        else:
            y = self._numeric(statistic.variable, statistic)
            missing = np.isnan(y)
            x = None
        if missing.any() and not na_rm:
            row = int(np.flatnonzero(missing)[0])
            raise EstimationError(
                f"{statistic.statistic} of {statistic.label}: {int(missing.sum())} row(s) have "
                "a missing value; drop them with na_rm=True (--na-rm)",
                row_place(self.data_source, row),
            )
        if missing.any():
            self.warnings.append(
                f"{statistic.statistic} of {statistic.label}: {int(missing.sum())} row(s) with a "
                "missing value left out (R's na.rm=TRUE)"
            )
        keep = ~missing if missing.any() else None
        return y, x, keep

    def _one(
        self,
        statistic: Statistic,
        domain_codes: IntArray,
        n_domains: int,
        lonely: str,
        na_rm: bool,
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
        """Values, variances, rows, weight totals and denominator totals, per domain."""
        y, x, keep = self._analysis_values(statistic, na_rm)

        levels = self._used_levels()
        finest = self._stages[levels[-1]]
        index = finest.unit * n_domains + domain_codes
        size = finest.n_units * n_domains
        w = self.weights

        def unit_sums(values: FloatArray | None) -> FloatArray:
            if keep is None:
                sums = np.bincount(index, weights=values, minlength=size)
            else:
                sums = np.bincount(
                    index[keep], weights=None if values is None else values[keep], minlength=size
                )
            return sums.astype(np.float64).reshape(finest.n_units, n_domains)

        counts = unit_sums(None)
        weight_total = unit_sums(w).sum(axis=0)
        wy = w * np.where(np.isnan(y), 0.0, y)
        if isinstance(statistic, Total):
            scores = unit_sums(wy)
            values = scores.sum(axis=0)
            den_total = weight_total
        else:
            numerator = unit_sums(wy)
            wx = w if x is None else w * np.where(np.isnan(x), 0.0, x)
            denominator = unit_sums(wx)
            num_total = numerator.sum(axis=0)
            den_total = denominator.sum(axis=0)
            with np.errstate(invalid="ignore", divide="ignore"):
                values = num_total / den_total
                scores = (numerator - values * denominator) / den_total
        variances = self._variance(scores, counts, levels, lonely)
        return values, variances, counts.sum(axis=0), weight_total, den_total

    def _used_levels(self) -> list[int]:
        """Stages that enter the variance: all of them with fpc, else the first (R)."""
        if self.has_popsize and self.stages > 1:
            return list(range(self.stages))
        return [0]

    def _variance(self, scores: FloatArray, counts: FloatArray, levels: list[int], lonely: str) -> FloatArray:
        """Variance of the totals of ``scores`` (finest-used-unit x domain), by recursion."""
        totals = {levels[-1]: scores}
        present = {levels[-1]: counts}
        for i in reversed(levels[1:]):
            stage = self._stages[i]
            above = self._stages[i - 1].n_units
            totals[i - 1] = _group_sum(stage.unit_parent, totals[i], above)
            present[i - 1] = _group_sum(stage.unit_parent, present[i], above)
        variance = np.zeros(scores.shape[1], dtype=np.float64)
        multiplier = np.ones(1, dtype=np.float64)  # per cluster of the stage above
        for i in levels:
            stage = self._stages[i]
            contribution = self._stage_variance(i, totals[i], present[i], lonely)
            variance += (multiplier[:, None] * contribution).sum(axis=0)
            # clusters of this stage become the parents of the next stage's strata
            stratum = stage.unit_stratum
            multiplier = multiplier[stage.stratum_parent[stratum]] * stage.sampling_fraction[stratum]
        return variance

    def _stage_variance(self, i: int, totals: FloatArray, unit_counts: FloatArray, lonely: str) -> FloatArray:
        """Per parent cluster (rows) and domain (columns): the stage's variance contribution."""
        stage = self._stages[i]
        strata = stage.n_strata
        us = stage.unit_stratum
        n_h = stage.sampsize
        f_h = stage.fraction_unsampled
        stratum_sum = _group_sum(us, totals, strata)
        deviation = totals - (stratum_sum / n_h[:, None])[us]
        squares = _group_sum(us, deviation * deviation, strata)
        present = _group_sum(us, unit_counts, strata) > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            scale = np.where(n_h > 1, f_h * n_h / (n_h - 1), f_h)
        contribution = squares * scale[:, None]
        self_representing = f_h < _SELF_REPRESENTING
        lonely_strata = (n_h == 1) & ~self_representing
        if lonely_strata.any():
            if lonely == "fail":
                offending = lonely_strata[:, None] & present
                if offending.any():
                    raise NotEstimableError(
                        f"{self._stratum_name(i, int(np.argwhere(offending)[0][0]))} has only one "
                        f"PSU at stage {i + 1}, so its variance is not estimable; give a lonely-PSU "
                        "rule (--lonely-psu / lonely_psu: remove, certainty, adjust or average)",
                        self._key("strata" if self.spec.strata else "ids"),
                    )
            elif lonely in ("remove", "certainty"):
                contribution[lonely_strata] = 0.0
            elif lonely == "adjust":
                contribution[lonely_strata] = f_h[lonely_strata, None] * stratum_sum[lonely_strata] ** 2
            else:  # average
                contribution[lonely_strata] = np.nan
        contribution[self_representing] = 0.0
        contribution = np.where(present, contribution, 0.0)
        parents = self._stages[i - 1].n_units if i > 0 else 1
        group = stage.stratum_parent
        if lonely != "average":
            return _group_sum(group, contribution, parents)
        ok = present & ~np.isnan(contribution)
        n_present = _group_sum(group, present.astype(np.float64), parents)
        n_ok = _group_sum(group, ok.astype(np.float64), parents)
        summed = _group_sum(group, np.where(ok, contribution, 0.0), parents)
        with np.errstate(invalid="ignore", divide="ignore"):
            averaged = summed * n_present / n_ok
        return np.where(n_present > 0, averaged, 0.0)

    def _stratum_name(self, i: int, stratum: int) -> str:
        row = int(self._stages[i].stratum_first_row[stratum])
        if i == 0 and self.spec.strata:
            column = self.spec.strata[0]
            return f"stratum {self.frame.get_column(column)[row]!r} of {column!r}"
        if i > 0 and self.spec.ids:
            column = self.spec.ids[i - 1]
            return f"the stratum in cluster {self.frame.get_column(column)[row]!r} of {column!r}"
        return "the only stratum"


def _first_where(arrays: list[FloatArray], test: Any) -> tuple[int, int]:
    for stage, values in enumerate(arrays):
        hits = np.flatnonzero(test(values))
        if len(hits):
            return stage, int(hits[0])
    return 0, 0


def _parse_bool(level: Any) -> bool | None:
    if isinstance(level, bool):
        return level
    text = str(level).strip().lower()
    if text in ("true", "1", "yes", "t"):
        return True
    if text in ("false", "0", "no", "f"):
        return False
    return None


def _source_name(source: str | Path | None) -> str:
    return str(source) if source is not None else "the data"


def estimate(
    frame: pl.DataFrame,
    design: DesignSpec | ReplicateSpec | SurveyDesign | Mapping[str, Any],
    statistics: Sequence[Statistic],
    *,
    by: str | Sequence[str] | None = None,
    lonely_psu: LonelyPSU | str = "fail",
    na_rm: bool = False,
    level: float = 0.95,
    data_source: str | Path | None = None,
) -> list[Estimate]:
    """Estimate ``statistics`` from ``frame`` under ``design``, overall or by domain.

    ``design`` is a :class:`DesignSpec`, a mapping with the design-file keys, or a compiled
    :class:`SurveyDesign` (then ``frame`` must be the frame it was built on).
    ``data_source`` names the data in error messages (a file name gives row numbers as the
    file shows them).
    """
    if isinstance(design, SurveyDesign):
        if design.frame is not frame and design.frame.height != frame.height:
            raise InputError("the design was built on another data frame")
        compiled = design
    else:
        if isinstance(design, Mapping):
            from vigil.stats.design import parse_design

            design = parse_design(design)
        compiled = SurveyDesign.from_frame(frame, design, data_source)
    return compiled.estimate(statistics, by=by, lonely_psu=lonely_psu, na_rm=na_rm, level=level)
