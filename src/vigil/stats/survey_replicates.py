"""Replicate-weight survey designs, as R ``survey`` (4.x) ``svrepdesign`` and ``as.svrepdesign``
give them.

Two forms of design file are read (:func:`parse_replicate_design`, reached through
:func:`vigil.stats.design.load_design` when a file has ``type``, ``repweights`` or
``replicates``):

* **Replicate weights shipped with the data** (R ``svrepdesign``)::

      type: JK1              # BRR, Fay, JK1, JKn, bootstrap, ACS, successive-difference,
                             # JK2 or other
      weights: pw            # full-sample weights
      repweights: "rw[0-9]+" # a regular expression searched in the column names (R's grep),
                             # or a list of columns
      combined_weights: true # replicate columns are the weights (true) or factors (false)
      scale: 14/15           # optional; R's default for the type (see below)
      rscales: [...]         # optional; one number, or one per replicate
      rho: 0.5               # Fay only
      mse: false             # centre at the full-sample estimate (true) or the replicates'
                             # mean (false: R's getOption("survey.replicates.mse"))

* **Replicates made from a linearisation design** (R ``as.svrepdesign``): the usual keys
  ``ids``, ``strata``, ``weights``, ``fpc``, ``nest`` plus ``replicates: auto|JK1|JKn|
  bootstrap|subbootstrap`` (and ``mse``; ``n_replicates`` and ``seed`` for the bootstraps).

What is computed, following R's documented behaviour:

* Every estimate is the full-sample estimate with ``weights``; replicate ``r`` gives
  ``theta_r`` from the replicate weights (times ``weights`` when ``combined_weights`` is
  false). The variance is R's ``svrVar``: ``scale * sum_r rscales_r (theta_r - c)^2`` with
  ``c`` the full-sample estimate when ``mse`` is true, else the mean of the replicates whose
  ``rscales`` is positive. Replicates that give no estimate (NaN, e.g. a domain with no
  weight in that replicate) are left out with their ``rscales`` and a warning, as R does.
* Domains (``svyby``): each domain's estimate and replicates come from the rows in it.
* Defaults per type (R ``svrepdesign``; R replicates ``R``): BRR ``scale = 1/R`` (a given
  scale is ignored with a warning); Fay ``scale = 1/(R (1-rho)^2)``, ``rho`` required in
  [0, 1); bootstrap ``scale = bootstrap_average/(R-1)`` (``bootstrap_average`` 1); JK1
  ``scale = (R-1)/R`` guessed with a warning when not given (from the first replicate's
  largest factor, ``1/max``, when ``combined_weights`` is false); JKn needs ``rscales``
  (``(n_h-1)/n_h`` for the replicates of stratum h) with combined weights, and guesses
  ``1/max`` of each replicate's factors otherwise; ACS and successive-difference
  ``scale = 4/R``, ``rscales = 1`` (ACS: ``mse`` true unless set); JK2 ``scale = 1``,
  ``rscales = 1``; other: 1 and 1, with a warning when not given. ``rscales`` defaults to
  1. ``fpc`` (one number per replicate, with ``fpctype: fraction|correction``) multiplies
  ``rscales`` by ``1 - fpc`` or ``fpc`` (JK1, JKn and other).
* ``as.svrepdesign`` (first-stage PSUs and strata; later stages and their fpc are
  ignored): JK1 (unstratified only) deletes one PSU per replicate and multiplies the others
  by ``n/(n-1)``; ``scale = (1-f)(n-1)/n``, ``f = n/N`` from the first-stage fpc (no
  replicates when ``f = 1``). JKn (stratified only) does the same within each stratum,
  leaving the other strata alone, with ``rscales = (1-f_h)(n_h-1)/n_h`` and ``scale = 1``;
  fully sampled strata get no replicates; a stratum with one PSU follows the lonely-PSU
  rule (``fail`` raises; ``remove``/``certainty`` skip it; ``average`` skips it and
  multiplies ``scale`` by PSUs/replicates; ``adjust`` adds one replicate that drops the
  stratum and multiplies every other PSU by ``H/(H-1)``, with ``rscales (H-1)/H``).
  ``bootstrap`` is Canty and Davison's (resample ``n_h`` PSUs with replacement in each
  stratum, or without replacement from ``N_h`` copies when there is an fpc;
  ``scale = m/((m-1)(B-1))``, ``m`` the harmonic mean of the ``n_h``) and
  ``subbootstrap`` Rao and Wu's (``n_h - 1`` draws, factors times ``n_h/(n_h-1)``,
  ``scale = 1/(B-1)``). The bootstraps use numpy's random generator with ``seed``: they
  reproduce R's method, not R's random numbers, so their SEs differ from R's by
  simulation noise.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from vigil.errors import EstimationError, InputError, NotEstimableError
from vigil.io.tables import columns_list, row_place
from vigil.stats.design import (
    DESIGN_KEYS,
    DesignColumns,
    DesignSpec,
    _check_no_missing,
    _numeric,
    design_columns,
    parse_design,
)
from vigil.stats.survey import Statistic, SurveyDesign, Total

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

REPLICATE_TYPES: tuple[str, ...] = (
    "BRR",
    "Fay",
    "JK1",
    "JKn",
    "bootstrap",
    "ACS",
    "successive-difference",
    "JK2",
    "other",
)
CONVERSION_TYPES: tuple[str, ...] = ("auto", "JK1", "JKn", "bootstrap", "subbootstrap")
REPWEIGHT_KEYS: tuple[str, ...] = (
    "type",
    "weights",
    "repweights",
    "combined_weights",
    "scale",
    "rscales",
    "rho",
    "bootstrap_average",
    "mse",
    "fpc",
    "fpctype",
)
CONVERSION_KEYS: tuple[str, ...] = (*DESIGN_KEYS, "replicates", "mse", "n_replicates", "seed")
_ALIASES = {"combined.weights": "combined_weights", "bootstrap.average": "bootstrap_average"}
_MAX_POPULATION = 1e12  # as vigil.stats.survey: larger (or infinite) populations mean no fpc
_DENSE_LIMIT = 4_000_000  # units x domains above which replicate sums are done replicate by replicate


# --- the design file -----------------------------------------------------------------------


@dataclass(frozen=True)
class ReplicateSpec:
    """A replicate-weight design (column names and options; no data).

    ``convert`` false: R ``svrepdesign`` with ``type`` one of :data:`REPLICATE_TYPES`, the
    replicate columns ``repweights`` (names) or ``pattern`` (a regular expression searched in
    the column names). ``convert`` true: R ``as.svrepdesign`` of the linearisation design
    ``base`` with ``type`` one of :data:`CONVERSION_TYPES`. ``base`` holds the weights (and,
    when converting, the ids, strata, fpc and nest); ``mse`` None means R's default.
    """

    base: DesignSpec
    type: str
    convert: bool = False
    repweights: tuple[str, ...] = ()
    pattern: str | None = None
    combined_weights: bool = True
    scale: float | None = None
    rscales: tuple[float, ...] | None = None
    rho: float | None = None
    bootstrap_average: float | None = None
    mse: bool | None = None
    fpc: tuple[float, ...] | None = None
    fpctype: str | None = None
    n_replicates: int = 50
    seed: int | None = None

    @property
    def source(self) -> str:
        """The design file, for error messages."""
        return self.base.source

    @property
    def weights(self) -> str | None:
        return self.base.weights

    def key(self, key: str) -> str:
        return f"{self.source}, key {key!r}"


def parse_replicate_design(content: Mapping[str, Any], source: str = "design") -> ReplicateSpec:
    """Validate a replicate-weight design given as a mapping (the parsed YAML)."""
    content = {_ALIASES.get(str(key), key): value for key, value in content.items()}
    if "replicates" in content:
        if "type" in content or "repweights" in content:
            clash = "type" if "type" in content else "repweights"
            raise InputError(
                f"'replicates' (make replicates from ids/strata/fpc, R's as.svrepdesign) and "
                f"{clash!r} (replicate weights in the data, R's svrepdesign) exclude each other",
                f"{source}, key {clash!r}",
            )
        return _parse_conversion(content, source)
    return _parse_repweights(content, source)


def _parse_conversion(content: dict[str, Any], source: str) -> ReplicateSpec:
    for key in content:
        if key not in CONVERSION_KEYS:
            raise InputError(
                f"unknown key {key!r} in a design with 'replicates'; allowed keys are "
                f"{', '.join(CONVERSION_KEYS)}",
                f"{source}, key {key!r}",
            )
    kind = _choice(content["replicates"], CONVERSION_TYPES, "replicates", source)
    base = parse_design({key: content[key] for key in DESIGN_KEYS if key in content}, source)
    assert isinstance(base, DesignSpec)  # no replicate keys left
    n_replicates = content.get("n_replicates", 50)
    if isinstance(n_replicates, bool) or not isinstance(n_replicates, int) or n_replicates < 2:
        raise InputError(
            f"n_replicates must be a whole number of at least 2, found {n_replicates!r}",
            f"{source}, key 'n_replicates'",
        )
    if "n_replicates" in content and kind not in ("bootstrap", "subbootstrap"):
        raise InputError(
            f"n_replicates is for the bootstraps; {kind} makes one replicate per PSU",
            f"{source}, key 'n_replicates'",
        )
    seed = content.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise InputError(f"seed must be a non-negative whole number, found {seed!r}", f"{source}, key 'seed'")
    return ReplicateSpec(
        base=base,
        type=kind,
        convert=True,
        mse=_flag(content, "mse", source),
        n_replicates=n_replicates,
        seed=seed,
    )


def _parse_repweights(content: dict[str, Any], source: str) -> ReplicateSpec:
    for key in content:
        if key not in REPWEIGHT_KEYS:
            hint = ""
            if key in DESIGN_KEYS:
                hint = (
                    " (replicate weights replace ids, strata and nest; to make replicates "
                    "from them use 'replicates: JK1|JKn|bootstrap' instead of 'type')"
                )
            raise InputError(
                f"unknown key {key!r} in a replicate-weight design; allowed keys are "
                f"{', '.join(REPWEIGHT_KEYS)}{hint}",
                f"{source}, key {key!r}",
            )
    if "type" not in content:
        raise InputError(
            f"a replicate-weight design needs 'type' ({', '.join(REPLICATE_TYPES)})",
            f"{source}, key 'type'",
        )
    kind = _choice(content["type"], REPLICATE_TYPES, "type", source)
    repweights, pattern = _repweights(content.get("repweights"), source)
    weights = content.get("weights")
    if weights is not None and not (isinstance(weights, str) and weights.strip()):
        raise InputError(f"weights must be one column name, found {weights!r}", f"{source}, key 'weights'")
    combined = _flag(content, "combined_weights", source)
    scale = _number(content.get("scale"), "scale", source, positive=True)
    rscales = _rscales(content.get("rscales"), source)
    rho = _number(content.get("rho"), "rho", source)
    if rho is not None and not 0 <= rho < 1:
        raise InputError(f"rho must lie in [0, 1), found {rho!r}", f"{source}, key 'rho'")
    if kind == "Fay" and rho is None:
        raise InputError("type Fay needs rho, the Fay coefficient in [0, 1)", f"{source}, key 'rho'")
    average = _number(content.get("bootstrap_average"), "bootstrap_average", source, positive=True)
    if average is not None and kind != "bootstrap":
        raise InputError("bootstrap_average is for type bootstrap", f"{source}, key 'bootstrap_average'")
    fpc, fpctype = _replicate_fpc(content, kind, source)
    return ReplicateSpec(
        base=DesignSpec(weights=None if weights is None else str(weights), source=source),
        type=kind,
        repweights=repweights,
        pattern=pattern,
        combined_weights=True if combined is None else combined,
        scale=scale,
        rscales=rscales,
        rho=rho,
        bootstrap_average=average,
        mse=_flag(content, "mse", source),
        fpc=fpc,
        fpctype=fpctype,
    )


def _choice(value: Any, choices: tuple[str, ...], key: str, source: str) -> str:
    lookup = {choice.lower(): choice for choice in choices}
    chosen = lookup.get(str(value).strip().lower()) if isinstance(value, str) else None
    if chosen is None:
        raise InputError(
            f"{key} must be one of {', '.join(choices)}, found {value!r}", f"{source}, key {key!r}"
        )
    return chosen


def _flag(content: Mapping[str, Any], key: str, source: str) -> bool | None:
    value = content.get(key)
    if value is not None and not isinstance(value, bool):
        raise InputError(f"{key} must be true or false, found {value!r}", f"{source}, key {key!r}")
    return value


def _repweights(value: Any, source: str) -> tuple[tuple[str, ...], str | None]:
    place = f"{source}, key 'repweights'"
    if value is None:
        raise InputError(
            "a replicate-weight design needs repweights: a list of columns or a regular "
            'expression matching their names (e.g. "rw[0-9]+")',
            place,
        )
    if isinstance(value, str):
        if not value.strip():
            raise InputError("repweights is empty", place)
        try:
            re.compile(value)
        except re.error as exc:
            raise InputError(f"repweights is not a valid regular expression: {exc}", place) from None
        return (), value
    if isinstance(value, list) and value:
        names: list[str] = []
        for position, item in enumerate(value, start=1):
            if not (isinstance(item, str) and item.strip()):
                raise InputError(
                    f"entry {position} of repweights must be a column name, found {item!r}", place
                )
            names.append(item)
        if len(set(names)) != len(names):
            twice = next(name for name in names if names.count(name) > 1)
            raise InputError(f"column {twice!r} is listed twice in repweights", place)
        return tuple(names), None
    raise InputError(
        f"repweights must be a list of column names or a regular expression, found {value!r}", place
    )


def _parse_number(value: Any) -> float | None:
    """A YAML number, or a text ``a/b`` (so that 14/15 can be written exactly)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        top, slash, bottom = text.partition("/")
        try:
            if slash:
                return float(top) / float(bottom)
            return float(text)
        except (ValueError, ZeroDivisionError):
            return None
    return None


def _number(value: Any, key: str, source: str, positive: bool = False) -> float | None:
    if value is None:
        return None
    number = _parse_number(value)
    if number is None or not math.isfinite(number) or (positive and number <= 0):
        what = "a positive number" if positive else "a number"
        raise InputError(f"{key} must be {what}, found {value!r}", f"{source}, key {key!r}")
    return number


def _rscales(value: Any, source: str) -> tuple[float, ...] | None:
    if value is None:
        return None
    items = value if isinstance(value, list) else [value]
    if not items:
        raise InputError("rscales is an empty list", f"{source}, key 'rscales'")
    numbers: list[float] = []
    for position, item in enumerate(items, start=1):
        number = _parse_number(item)
        if number is None or not math.isfinite(number) or number < 0:
            raise InputError(
                f"entry {position} of rscales must be a non-negative number, found {item!r}",
                f"{source}, key 'rscales'",
            )
        numbers.append(number)
    return tuple(numbers)


def _replicate_fpc(
    content: Mapping[str, Any], kind: str, source: str
) -> tuple[tuple[float, ...] | None, str | None]:
    value = content.get("fpc")
    fpctype = content.get("fpctype")
    if value is None:
        if fpctype is not None:
            raise InputError("fpctype without fpc", f"{source}, key 'fpctype'")
        return None, None
    place = f"{source}, key 'fpc'"
    if kind in ("BRR", "Fay", "JK2", "ACS", "successive-difference"):
        raise InputError(f"fpc is not available for type {kind} (as in R)", place)
    if kind == "bootstrap":
        raise InputError("type bootstrap needs no separate fpc (as in R)", place)
    if fpctype not in ("fraction", "correction"):
        raise InputError(
            f"with fpc give fpctype: fraction or correction, found {fpctype!r}", f"{source}, key 'fpctype'"
        )
    items = value if isinstance(value, list) else [value]
    numbers: list[float] = []
    for position, item in enumerate(items, start=1):
        number = _parse_number(item)
        if number is None or not 0 <= number <= 1:
            raise InputError(
                f"entry {position} of fpc must be a number in [0, 1] (one per replicate), found {item!r}",
                place,
            )
        numbers.append(number)
    return tuple(numbers), str(fpctype)


# --- replicate weights ---------------------------------------------------------------------


@dataclass
class Jackknife:
    """Delete-one-PSU replicates, kept without a units x replicates matrix.

    In replicate ``r`` the units of stratum ``stratum[r]`` get the factor ``inside[r]``,
    except unit ``deleted[r]`` (when >= 0), which gets 0; every other unit gets
    ``outside[r]``. So a replicate total is ``outside (T - T_h) + inside (T_h - t_j)``.
    """

    unit_stratum: IntArray
    stratum: IntArray
    deleted: IntArray
    inside: FloatArray
    outside: FloatArray

    def dense(self) -> FloatArray:
        """The factors as a units x replicates matrix."""
        same = self.unit_stratum[:, None] == self.stratum[None, :]
        factors = np.where(same, self.inside[None, :], self.outside[None, :])
        valid = np.flatnonzero(self.deleted >= 0)
        factors[self.deleted[valid], valid] = 0.0
        return factors

    def sums(self, per_unit: FloatArray) -> FloatArray:
        """Replicates x domains from the units x domains sums."""
        n_strata = int(self.unit_stratum.max()) + 1 if self.unit_stratum.size else 1
        strata = np.empty((n_strata, per_unit.shape[1]), dtype=np.float64)
        for column in range(per_unit.shape[1]):
            strata[:, column] = np.bincount(
                self.unit_stratum, weights=per_unit[:, column], minlength=n_strata
            )
        total = per_unit.sum(axis=0)
        own = strata[self.stratum]
        removed = np.where((self.deleted >= 0)[:, None], per_unit[np.maximum(self.deleted, 0)], 0.0)
        result: FloatArray = self.outside[:, None] * (total - own) + self.inside[:, None] * (own - removed)
        return result


@dataclass
class Replicates:
    """Replicate weights in compressed form, with their variance constants.

    The analysis weight of row ``i`` in replicate ``r`` is
    ``row_weights[i] * factors[unit[i], r]`` (``unit`` None: one unit per row); jackknife
    replicates made from a design keep their factors implicitly (``jackknife``).
    """

    factors: FloatArray | None  # units x replicates (None: see jackknife)
    unit: IntArray | None
    row_weights: FloatArray
    scale: float
    rscales: FloatArray
    jackknife: Jackknife | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        """Number of replicates."""
        if self.jackknife is not None:
            return len(self.jackknife.stratum)
        return int(self._factors().shape[1])

    def _factors(self) -> FloatArray:
        if self.factors is None:
            if self.jackknife is None:
                raise ValueError("replicates without factors")
            return self.jackknife.dense()
        return self.factors

    def analysis_weights(self) -> FloatArray:
        """Rows x replicates (R's ``weights(design, "analysis")``)."""
        factors = self._factors()
        expanded = factors if self.unit is None else factors[self.unit]
        return expanded * self.row_weights[:, None]

    def sums(self, values: FloatArray, codes: IntArray, n_domains: int) -> FloatArray:
        """Replicates x domains: the replicate-weighted sums of ``values`` in each domain."""
        contributions = self.row_weights * values
        if self.jackknife is not None and self.unit is not None:
            units = len(self.jackknife.unit_stratum)
            index = self.unit * n_domains + codes
            per_unit = np.bincount(index, weights=contributions, minlength=units * n_domains)
            return self.jackknife.sums(per_unit.astype(np.float64).reshape(units, n_domains))
        factors = self._factors()
        units = factors.shape[0]
        if units * n_domains <= _DENSE_LIMIT:
            rows = np.arange(len(values), dtype=np.int64) if self.unit is None else self.unit
            index = rows * n_domains + codes
            per_unit = np.bincount(index, weights=contributions, minlength=units * n_domains)
            return factors.T @ per_unit.reshape(units, n_domains)
        out = np.empty((factors.shape[1], n_domains), dtype=np.float64)
        for r in range(factors.shape[1]):
            column = factors[:, r] if self.unit is None else factors[self.unit, r]
            out[r] = np.bincount(codes, weights=contributions * column, minlength=n_domains)
        return out


def replicate_variance(
    thetas: FloatArray, estimate: float, scale: float, rscales: FloatArray, mse: bool
) -> tuple[float, int]:
    """R's ``svrVar`` for one statistic: the variance and the number of replicates dropped.

    Replicates whose estimate is NaN are left out with their ``rscales``; the centre is
    ``estimate`` when ``mse``, else the mean of the replicates with positive ``rscales``.
    """
    thetas = np.asarray(thetas, dtype=np.float64)
    if thetas.size == 0:
        return 0.0, 0
    ok = ~np.isnan(thetas)
    dropped = int(thetas.size - ok.sum())
    if not ok.any():
        return math.nan, dropped
    kept = thetas[ok]
    scales = np.broadcast_to(rscales, thetas.shape)[ok]
    if mse:
        centre = estimate
    else:
        positive = kept[scales > 0]
        centre = float(positive.mean()) if positive.size else math.nan
    return float(scale * np.sum(scales * (kept - centre) ** 2)), dropped


# --- the design ----------------------------------------------------------------------------


class ReplicateDesign(SurveyDesign):
    """A survey design whose variances come from replicate weights (R ``svyrep.design``).

    Build it with :meth:`SurveyDesign.from_frame` (or :meth:`build`) from a
    :class:`ReplicateSpec`; :meth:`estimate` works as for linearisation designs.
    """

    def __init__(
        self,
        frame: pl.DataFrame,
        columns: DesignColumns,
        spec: ReplicateSpec,
        data_source: str | Path | None = None,
    ) -> None:
        super().__init__(frame, columns, spec.base, data_source)
        self.replicate_spec = spec
        self.mse = bool(spec.mse) if spec.mse is not None else spec.type == "ACS"
        if spec.type == "ACS" and spec.mse is False:
            self.warnings.append("the ACS uses MSE standard errors but mse is false (R warns the same)")
        self._cache: dict[str, Replicates] = {}
        self._domain_labels: list[dict[str, Any]] = [{}]
        if spec.convert:
            self._check_conversion()
        else:
            self._cache[""] = self._read_repweights()
            self.warnings += self._cache[""].notes

    @classmethod
    def build(
        cls, frame: pl.DataFrame, spec: ReplicateSpec, data_source: str | Path | None = None
    ) -> ReplicateDesign:
        """Validate ``spec`` against ``frame`` and compile the design."""
        return cls(frame, design_columns(spec.base, frame, data_source), spec, data_source)

    # .. replicate weights from the data (svrepdesign) ..

    def _repweight_columns(self) -> list[str]:
        spec = self.replicate_spec
        place = spec.key("repweights")
        data_name = str(self.data_source) if self.data_source is not None else "the data"
        if spec.pattern is not None:
            found = [name for name in self.frame.columns if re.search(spec.pattern, name)]
            if not found:
                raise InputError(
                    f"the pattern {spec.pattern!r} matches no column of {data_name}; columns are: "
                    f"{columns_list(self.frame.columns)}",
                    place,
                )
            if spec.weights in found:
                self.warnings.append(
                    f"repweights pattern {spec.pattern!r} also matches the weights column "
                    f"{spec.weights!r}; it is used as a replicate too (as R's grep would)"
                )
            return found
        for name in spec.repweights:
            if name not in self.frame.columns:
                raise InputError(
                    f"no column {name!r} in {data_name}; columns are: {columns_list(self.frame.columns)}",
                    place,
                )
        return list(spec.repweights)

    def _read_repweights(self) -> Replicates:
        spec = self.replicate_spec
        names = self._repweight_columns()
        matrix = np.empty((self.n, len(names)), dtype=np.float64)
        for j, name in enumerate(names):
            series = self.frame.get_column(name)
            _check_no_missing(series, "repweights", self.data_source)
            values = _numeric(series, "replicate weights", self.data_source)
            bad = (values < 0) | ~np.isfinite(values)
            if bad.any():
                row = int(np.flatnonzero(bad)[0])
                raise InputError(
                    f"replicate weights (key 'repweights' of {spec.source}) must be non-negative "
                    f"finite numbers, found {float(values[row])!r}",
                    row_place(self.data_source, row, name),
                )
            matrix[:, j] = values
        count = len(names)
        notes: list[str] = []
        scale, rscales = self._constants(matrix, notes)
        row_weights = np.ones(self.n) if spec.combined_weights else self.weights
        self._look_of_weights(matrix, notes)
        return Replicates(
            factors=matrix,
            unit=None,
            row_weights=np.asarray(row_weights, dtype=np.float64),
            scale=scale,
            rscales=rscales if rscales.size == count else np.full(count, float(rscales[0])),
            notes=notes,
        )

    def _constants(self, matrix: FloatArray, notes: list[str]) -> tuple[float, FloatArray]:
        """``scale`` and ``rscales`` as R's ``svrepdesign`` sets them for the type."""
        spec = self.replicate_spec
        kind = spec.type
        count = matrix.shape[1]
        scale = spec.scale
        rscales = None if spec.rscales is None else np.asarray(spec.rscales, dtype=np.float64)
        if rscales is not None and rscales.size not in (1, count):
            raise InputError(
                f"rscales has {rscales.size} values for {count} replicate columns "
                "(give one, or one per replicate)",
                spec.key("rscales"),
            )
        if spec.rho is not None and kind != "Fay":
            notes.append(f"rho is only used by type Fay; ignored for type {kind}")
        if kind in ("ACS", "successive-difference", "JK2") and (scale is not None or rscales is not None):
            notes.append(f"type {kind} sets scale and rscales itself; the values given are ignored")
        if kind in ("BRR", "Fay") and scale is not None:
            notes.append(f"type {kind} sets scale itself (1/(R(1-rho)^2)); the value given is ignored")
        if kind in ("BRR", "Fay", "bootstrap", "JK1", "JK2", "ACS", "successive-difference") and count < 2:
            raise InputError(
                f"type {kind} needs at least 2 replicate columns, found {count}", spec.key("repweights")
            )
        if kind == "BRR":
            scale = 1 / count
        elif kind == "Fay":
            rho = spec.rho if spec.rho is not None else 0.0
            scale = 1 / (count * (1 - rho) ** 2)
        elif kind == "bootstrap":
            average = spec.bootstrap_average if spec.bootstrap_average is not None else 1.0
            if scale is None:
                scale = average / (count - 1)
        elif kind == "JK1" and scale is None:
            if spec.combined_weights:
                scale = (count - 1) / count
                notes.append(
                    f"scale (n-1)/n not given for JK1: guessing n = number of replicates ({count}), as R does"
                )
            else:
                top = float(matrix[:, 0].max())
                if top <= 0:
                    raise InputError("the first replicate column is all zero", spec.key("repweights"))
                scale = 1 / top
                notes.append("scale (n-1)/n not given for JK1: guessed from the weights (1/max), as R does")
        elif kind == "JKn" and rscales is None:
            if spec.combined_weights:
                raise InputError(
                    "type JKn with combined weights needs rscales: (n_h-1)/n_h for each replicate "
                    "of stratum h (as R requires)",
                    spec.key("rscales"),
                )
            tops = matrix.max(axis=0)
            if (tops <= 0).any():
                raise InputError("a replicate column is all zero", spec.key("repweights"))
            rscales = 1 / tops
            notes.append("rscales (n_h-1)/n_h not given for JKn: guessed from the weights (1/max), as R does")
        elif kind in ("ACS", "successive-difference"):
            scale, rscales = 4 / count, np.ones(count)
        elif kind == "JK2":
            scale, rscales = 1.0, np.ones(count)
        elif kind == "other" and (scale is None or rscales is None):
            notes.append("scale or rscales not given for type other: set to 1, as R does")
        if rscales is None:
            rscales = np.ones(count)
        if spec.fpc is not None:
            if len(spec.fpc) != rscales.size:
                raise InputError(
                    f"fpc has {len(spec.fpc)} values for {rscales.size} rscales (one per replicate)",
                    spec.key("fpc"),
                )
            correction = np.asarray(spec.fpc, dtype=np.float64)
            rscales = rscales * (correction if spec.fpctype == "correction" else 1 - correction)
        return (1.0 if scale is None else float(scale)), rscales

    def _look_of_weights(self, matrix: FloatArray, notes: list[str]) -> None:
        """R's warnings when the replicate weights do not look like what was declared."""
        replicate_mean = float(matrix.mean())
        weight_mean = float(self.weights.mean())
        if replicate_mean <= 0:
            return
        combined = self.replicate_spec.combined_weights
        if combined and replicate_mean < 5 and weight_mean / replicate_mean > 5:
            notes.append(
                f"the replicate weights do not look like combined weights (mean {replicate_mean:g}, "
                f"mean sampling weight {weight_mean:g}); set combined_weights: false if they are factors"
            )
        if not combined and replicate_mean > 5 and weight_mean / replicate_mean < 5:
            notes.append(
                f"the replicate weights look like combined weights (mean {replicate_mean:g}, "
                f"mean sampling weight {weight_mean:g}); with combined_weights: false they are "
                "multiplied by the weights"
            )

    # .. replicates made from the design (as.svrepdesign) ..

    def _check_conversion(self) -> None:
        spec = self.replicate_spec
        stratified = bool(spec.base.strata)
        kind = spec.type
        if kind == "auto":
            kind = "JKn" if stratified else "JK1"
            self.replicate_spec = replace(spec, type=kind)
        if kind == "JK1" and stratified:
            raise InputError(
                "JK1 is for unstratified designs; use JKn (as R's as.svrepdesign)", spec.key("replicates")
            )
        if kind == "JKn" and not stratified:
            raise InputError(
                "JKn needs strata; use JK1 or a bootstrap (as R's as.svrepdesign)", spec.key("replicates")
            )
        if len(spec.base.fpc) > 1:
            self.warnings.append(
                "replicates use the first stage only: fpc after the first stage dropped (as R does)"
            )

    def _first_stage(self) -> tuple[IntArray, int, IntArray, int, FloatArray]:
        stage = self._stages[0]
        popsize = np.where(stage.popsize > _MAX_POPULATION, np.inf, stage.popsize)
        return stage.unit, stage.n_units, stage.unit_stratum, stage.n_strata, popsize

    def _convert(self, lonely: str) -> Replicates:
        kind = self.replicate_spec.type
        if kind == "JK1":
            return self._jk1()
        if kind == "JKn":
            return self._jkn(lonely)
        return self._bootstrap(sub=kind == "subbootstrap")

    def _jk1(self) -> Replicates:
        unit, n, _, _, popsize = self._first_stage()
        f = 1.0 if math.isinf(popsize[0]) else (popsize[0] - n) / popsize[0]
        deleted = np.arange(n if f != 0 else 0, dtype=np.int64)  # fully sampled: no replicates
        plan = Jackknife(
            unit_stratum=np.zeros(n, dtype=np.int64),
            stratum=np.zeros(len(deleted), dtype=np.int64),
            deleted=deleted,
            inside=np.full(len(deleted), n / (n - 1)),
            outside=np.ones(len(deleted)),
        )
        return Replicates(None, unit, self.weights, f * (n - 1) / n, np.ones(len(deleted)), plan)

    def _jkn(self, lonely: str) -> Replicates:
        unit, n_units, unit_stratum, n_strata, popsize = self._first_stage()
        strata: list[IntArray] = []
        deleted: list[IntArray] = []
        inside: list[FloatArray] = []
        outside: list[FloatArray] = []
        rscales: list[FloatArray] = []
        for h in range(n_strata):
            members = np.flatnonzero(unit_stratum == h)
            n_h = len(members)
            f_h = 1.0 if math.isinf(popsize[h]) else (popsize[h] - n_h) / popsize[h]
            if f_h == 0:
                continue  # sampled completely: no replicates
            if n_h == 1:
                if lonely == "fail":
                    raise NotEstimableError(
                        f"{self._stratum_name(0, h)} has only one PSU, so JKn cannot delete it and "
                        "its variance is not estimable; give a lonely-PSU rule (--lonely-psu / "
                        "lonely_psu: remove, certainty, adjust or average)",
                        self._key("strata"),
                    )
                if lonely == "adjust":  # drop the stratum, the others times H/(H-1)
                    strata.append(np.array([h]))
                    deleted.append(np.array([-1]))
                    inside.append(np.zeros(1))
                    outside.append(np.array([n_strata / (n_strata - 1) if n_strata > 1 else math.nan]))
                    rscales.append(np.array([(n_strata - 1) / n_strata]))
                continue  # remove, certainty, average: no replicate
            strata.append(np.full(n_h, h))
            deleted.append(members)
            inside.append(np.full(n_h, n_h / (n_h - 1)))
            outside.append(np.ones(n_h))
            rscales.append(np.full(n_h, f_h * (n_h - 1) / n_h))
        if not strata:
            raise EstimationError(
                "every stratum was sampled completely (or has one PSU): JKn has no replicates",
                self._key("strata"),
            )
        plan = Jackknife(
            unit_stratum=unit_stratum,
            stratum=np.concatenate(strata).astype(np.int64),
            deleted=np.concatenate(deleted).astype(np.int64),
            inside=np.concatenate(inside),
            outside=np.concatenate(outside),
        )
        count = len(plan.stratum)
        scale = 1.0
        if lonely == "average" and count < n_units:
            scale = n_units / count
        return Replicates(None, unit, self.weights, scale, np.concatenate(rscales), plan)

    def _bootstrap(self, sub: bool) -> Replicates:
        unit, n_units, unit_stratum, n_strata, popsize = self._first_stage()
        spec = self.replicate_spec
        count = spec.n_replicates
        rng = np.random.default_rng(spec.seed)
        factors = np.zeros((n_units, count))
        for h in range(n_strata):
            members = np.flatnonzero(unit_stratum == h)
            n_h = len(members)
            if sub:
                if n_h < 2:
                    raise NotEstimableError(
                        f"{self._stratum_name(0, h)} has only one PSU, so its variance is not "
                        "estimable: the Rao-Wu bootstrap needs two or more",
                        self._key("strata"),
                    )
                draws = rng.integers(0, n_h, size=(count, n_h - 1))
                multiplier = n_h / (n_h - 1)
            elif math.isinf(popsize[h]):
                draws = rng.integers(0, n_h, size=(count, n_h))
                multiplier = 1.0
            else:  # without replacement from N_h copies of the sample (Canty and Davison)
                pseudo = np.resize(np.arange(n_h), int(popsize[h]))
                picks = np.argsort(rng.random((count, len(pseudo))), axis=1)[:, :n_h]
                draws = pseudo[picks]
                multiplier = 1.0
            offsets = (np.arange(count) * n_h)[:, None]
            counts = np.bincount((draws + offsets).ravel(), minlength=count * n_h).reshape(count, n_h)
            factors[members] = counts.T * multiplier
        if sub:
            scale = 1 / (count - 1)
        else:
            per_stratum = np.bincount(unit_stratum, minlength=n_strata).astype(np.float64)
            harmonic = float(1 / np.mean(1 / per_stratum))
            if harmonic <= 1:
                raise EstimationError(
                    "every stratum has one PSU: the bootstrap has no variance to estimate",
                    self._key("strata"),
                )
            scale = harmonic / ((harmonic - 1) * (count - 1))
        return Replicates(factors, unit, self.weights, scale, np.ones(count))

    # .. estimation ..

    def replicates(self, lonely_psu: str = "fail") -> Replicates:
        """The replicate weights and constants (for JKn made from a design, under ``lonely_psu``)."""
        if not self.replicate_spec.convert:
            return self._cache[""]
        key = lonely_psu if self.replicate_spec.type == "JKn" else ""
        if key not in self._cache:
            self._cache[key] = self._convert(lonely_psu)
        return self._cache[key]

    def _domains(self, by: list[str]) -> tuple[IntArray, int, list[dict[str, Any]]]:
        codes, count, labels = super()._domains(by)
        self._domain_labels = labels
        return codes, count, labels

    def _one(
        self,
        statistic: Statistic,
        domain_codes: IntArray,
        n_domains: int,
        lonely: str,
        na_rm: bool,
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
        y, x, keep = self._analysis_values(statistic, na_rm)
        reps = self.replicates(lonely)
        used = np.ones(self.n) if keep is None else keep.astype(np.float64)
        y_values = np.where(np.isnan(y), 0.0, y) * used
        counts = _sum_by(domain_codes, used, n_domains)
        weights = self.weights
        numerator = _sum_by(domain_codes, weights * y_values, n_domains)
        replicate_numerator = reps.sums(y_values, domain_codes, n_domains)
        weight_total = _sum_by(domain_codes, weights * used, n_domains)
        if isinstance(statistic, Total):
            values, thetas = numerator, replicate_numerator
            denominator = weight_total
        else:
            x_values = used if x is None else np.where(np.isnan(x), 0.0, x) * used
            denominator = _sum_by(domain_codes, weights * x_values, n_domains)
            replicate_denominator = reps.sums(x_values, domain_codes, n_domains)
            with np.errstate(invalid="ignore", divide="ignore"):
                values = numerator / denominator
                thetas = replicate_numerator / replicate_denominator
        variances = np.empty(n_domains, dtype=np.float64)
        for d in range(n_domains):
            variances[d], dropped = replicate_variance(
                thetas[:, d], float(values[d]), reps.scale, reps.rscales, self.mse
            )
            if dropped:
                where = self._domain_text(d)
                self.warnings.append(
                    f"{statistic.statistic} of {statistic.label}{where}: {dropped} of {reps.count} "
                    "replicates gave no estimate and were left out of the variance (as R's svrVar)"
                )
        return values, variances, counts, weight_total, denominator

    def _domain_text(self, d: int) -> str:
        if d >= len(self._domain_labels) or not self._domain_labels[d]:
            return ""
        return " (" + ", ".join(f"{k}={v}" for k, v in self._domain_labels[d].items()) + ")"


def _sum_by(codes: IntArray, values: FloatArray, groups: int) -> FloatArray:
    return np.bincount(codes, weights=values, minlength=groups).astype(np.float64)


def replicate_design(
    frame: pl.DataFrame,
    spec: ReplicateSpec | Mapping[str, Any],
    data_source: str | Path | None = None,
) -> ReplicateDesign:
    """Compile a replicate-weight design from a :class:`ReplicateSpec` or its mapping form."""
    if not isinstance(spec, ReplicateSpec):
        spec = parse_replicate_design(spec)
    return ReplicateDesign.build(frame, spec, data_source)


__all__: Sequence[str] = (
    "CONVERSION_TYPES",
    "REPLICATE_TYPES",
    "Jackknife",
    "ReplicateDesign",
    "ReplicateSpec",
    "Replicates",
    "parse_replicate_design",
    "replicate_design",
    "replicate_variance",
)
