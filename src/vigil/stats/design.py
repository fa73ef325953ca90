"""Survey design description: the YAML design file and its checks against the data.

A design file says how the sample was drawn, with the same four arguments as R ``survey``'s
``svydesign``::

    ids: [dnum, snum]      # cluster columns, one per stage; omit or [] when elements were
                           # sampled directly (R: id=~1)
    strata: stype          # optional; a column, or a list with one column per stage
    weights: pw            # optional when fpc implies the weights
    fpc: [fpc1, fpc2]      # optional; one column per stage, population sizes or sampling
                           # fractions, read as R reads them (see vigil.stats.survey)
    nest: false            # optional; true when cluster ids repeat across strata

:func:`load_design` reads and validates the file; :func:`design_columns` checks the design
against a DataFrame (columns present, no missing values, numeric weights and fpc) and returns
the columns ready for :class:`vigil.stats.survey.SurveyDesign`. Every error is an
:class:`~vigil.errors.InputError` naming the design file and key, or the data file, row and
column.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import polars as pl

from vigil.errors import InputError
from vigil.io.tables import columns_list, row_place
from vigil.io.yamlfile import read_yaml

if TYPE_CHECKING:
    from vigil.stats.survey_replicates import ReplicateSpec

DESIGN_KEYS: tuple[str, ...] = ("ids", "strata", "weights", "fpc", "nest")
# keys that make a design file a replicate-weight design (vigil.stats.survey_replicates)
REPLICATE_MARKERS: tuple[str, ...] = ("type", "repweights", "replicates")

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class DesignSpec:
    """Which columns describe the sample design (column names only; no data).

    ``ids`` has one cluster column per stage (empty: elements sampled directly, one stage);
    ``strata`` one column per stage from the first (fewer than the stages is fine: later
    stages are then stratified by the clusters of the stage above, as in R); ``fpc`` one
    column per stage from the first (stages without one are taken as fully sampled, as R's
    documentation says). ``source`` names the design file in error messages.
    """

    ids: tuple[str, ...] = ()
    strata: tuple[str, ...] = ()
    weights: str | None = None
    fpc: tuple[str, ...] = ()
    nest: bool = False
    source: str = "design"

    def __post_init__(self) -> None:
        place = self.source
        if len(self.strata) > self.stages:
            raise InputError(
                f"{len(self.strata)} strata columns for a {self.stages}-stage design "
                "(at most one per stage of ids)",
                f"{place}, key 'strata'",
            )
        if len(self.fpc) > self.stages:
            raise InputError(
                f"{len(self.fpc)} fpc columns for a {self.stages}-stage design "
                "(at most one per stage of ids)",
                f"{place}, key 'fpc'",
            )

    @property
    def stages(self) -> int:
        """Number of sampling stages (1 when elements were sampled directly)."""
        return max(1, len(self.ids))

    def keyed_columns(self) -> list[tuple[str, str]]:
        """``(key, column)`` for every column the design uses, in file order."""
        pairs = [("ids", name) for name in self.ids]
        pairs += [("strata", name) for name in self.strata]
        if self.weights is not None:
            pairs.append(("weights", self.weights))
        pairs += [("fpc", name) for name in self.fpc]
        return pairs


@dataclass
class DesignColumns:
    """The design's columns taken from the data, validated (see :func:`design_columns`)."""

    ids: list[pl.Series]
    strata: list[pl.Series]
    weights: FloatArray | None
    fpc: list[FloatArray]
    nest: bool
    n: int
    places: dict[str, str] = field(default_factory=dict)


def load_design(path: str | Path) -> DesignSpec | ReplicateSpec:
    """Read and validate a design YAML file (a replicate-weight design when it has ``type``,
    ``repweights`` or ``replicates``: see :mod:`vigil.stats.survey_replicates`)."""
    content = read_yaml(path, "design file")
    return parse_design(content, source=str(path))


def parse_design(content: Any, source: str = "design") -> DesignSpec | ReplicateSpec:
    """Validate a design given as a mapping (the parsed YAML) and return a :class:`DesignSpec`."""
    if content is None:
        raise InputError("design file is empty; it needs at least 'ids' and 'weights'", source)
    if not isinstance(content, Mapping):
        raise InputError(
            f"a design must be a mapping with keys {', '.join(DESIGN_KEYS)}; found {type(content).__name__}",
            source,
        )
    if any(key in content for key in REPLICATE_MARKERS):
        from vigil.stats.survey_replicates import parse_replicate_design

        return parse_replicate_design(content, source)
    for key in content:
        if key not in DESIGN_KEYS:
            raise InputError(
                f"unknown key {key!r}; allowed keys are {', '.join(DESIGN_KEYS)} "
                "(replicate-weight designs: see 'type', 'repweights' and 'replicates')",
                f"{source}, key {key!r}",
            )
    ids = _column_list(content.get("ids"), "ids", source, allow_one=True)
    strata = _column_list(content.get("strata"), "strata", source)
    fpc = _column_list(content.get("fpc"), "fpc", source)
    weights_value = content.get("weights")
    if weights_value is not None and not _is_name(weights_value):
        raise InputError(
            f"weights must be one column name, found {weights_value!r}", f"{source}, key 'weights'"
        )
    nest = content.get("nest", False)
    if not isinstance(nest, bool):
        raise InputError(f"nest must be true or false, found {nest!r}", f"{source}, key 'nest'")
    return DesignSpec(
        ids=ids,
        strata=strata,
        weights=None if weights_value is None else str(weights_value),
        fpc=fpc,
        nest=nest,
        source=source,
    )


def _is_name(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _column_list(value: Any, key: str, source: str, allow_one: bool = False) -> tuple[str, ...]:
    place = f"{source}, key {key!r}"
    if value is None:
        return ()
    if allow_one and (value in (0, 1, "0", "1", "~1", "~0") and not isinstance(value, bool)):
        return ()  # R's id=~1 / id=~0: no clusters
    if isinstance(value, str):
        if not value.strip():
            raise InputError(f"{key} must name a column, found an empty text", place)
        return (value,)
    if isinstance(value, list):
        if allow_one and len(value) == 1 and value[0] in (0, 1, "0", "1"):
            return ()
        names: list[str] = []
        for position, item in enumerate(value, start=1):
            if not _is_name(item):
                raise InputError(f"entry {position} of {key} must be a column name, found {item!r}", place)
            names.append(str(item))
        return tuple(names)
    raise InputError(f"{key} must be a column name or a list of them, found {value!r}", place)


def design_columns(
    spec: DesignSpec, frame: pl.DataFrame, data_source: str | Path | None = None
) -> DesignColumns:
    """Check ``spec`` against ``frame`` and return its columns.

    Raises :class:`InputError` for an unknown column (naming the design file and key), a
    missing value in any design column, or weights/fpc that are not non-negative numbers
    (naming the data file, row and column).
    """
    data_name = str(data_source) if data_source is not None else "the data"
    places: dict[str, str] = {}
    for key, name in spec.keyed_columns():
        place = f"{spec.source}, key {key!r}"
        if name not in frame.columns:
            raise InputError(
                f"no column {name!r} in {data_name}; columns are: {columns_list(frame.columns)}",
                place,
            )
        places[name] = place
        _check_no_missing(frame.get_column(name), key, data_source)
    weights = None
    if spec.weights is not None:
        weights = _numeric(frame.get_column(spec.weights), "weights", data_source)
        _check_range(weights, spec.weights, "weights", data_source, allow_inf=False)
    fpc = []
    for name in spec.fpc:
        values = _numeric(frame.get_column(name), "fpc", data_source)
        _check_range(values, name, "fpc", data_source, allow_inf=True)
        fpc.append(values)
    return DesignColumns(
        ids=[frame.get_column(name) for name in spec.ids],
        strata=[frame.get_column(name) for name in spec.strata],
        weights=weights,
        fpc=fpc,
        nest=spec.nest,
        n=frame.height,
        places=places,
    )


def _check_no_missing(series: pl.Series, key: str, source: str | Path | None) -> None:
    missing = series.is_null()
    if series.dtype.is_float():
        missing = missing | series.is_nan().fill_null(False)
    if missing.any():
        index = int(missing.arg_true()[0])
        count = int(missing.sum())
        raise InputError(
            f"missing value in design column ({key}); {count} row(s) have none",
            row_place(source, index, series.name),
        )


def _numeric(series: pl.Series, key: str, source: str | Path | None) -> FloatArray:
    dtype = series.dtype
    if dtype == pl.Boolean:
        raise InputError(
            f"{key} must be numbers, but the column holds true/false values",
            row_place(source, 0, series.name),
        )
    if dtype.is_numeric():
        return series.cast(pl.Float64).to_numpy().astype(np.float64, copy=False)
    as_text = series.cast(pl.String, strict=False)
    numbers = as_text.str.strip_chars().cast(pl.Float64, strict=False)
    bad = numbers.is_null() & as_text.is_not_null()
    if bad.any():
        index = int(bad.arg_true()[0])
        raise InputError(
            f"{key} must be numbers, found {as_text[index]!r}",
            row_place(source, index, series.name),
        )
    return numbers.to_numpy().astype(np.float64, copy=False)


def _check_range(values: FloatArray, name: str, key: str, source: str | Path | None, allow_inf: bool) -> None:
    bad = values < 0
    if not allow_inf:
        bad = bad | ~np.isfinite(values)
    if bad.any():
        index = int(np.flatnonzero(bad)[0])
        what = "non-negative finite numbers" if not allow_inf else "non-negative numbers"
        raise InputError(
            f"{key} must be {what}, found {float(values[index])!r}",
            row_place(source, index, name),
        )
