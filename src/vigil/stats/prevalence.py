"""National prevalence: screen every respondent with a rule set (batch), then estimate.

A *mapping* says which survey variable answers which indicator and how answers read::

    ruleset: ilo-2012-forced-labour      # optional; the CLI's --ruleset wins
    indicators: {UR05: q31, D2.PN12: q47, WD01: q40}
    age: q2_age                          # optional
    values:                              # optional; these are the defaults
      true: [1, "1", "yes", "true"]
      false: [0, "0", 2, "2", "no", "false"]
      unknown: [8, 9, "8", "9", "dk", "refused"]   # a missing cell is unknown too

Answers outside these lists are an error naming the column and the first row. The screened
outcome becomes two 0/1 variables, ``fl_positive`` (indicators consistent with the rule) and
``fl_positive_or_insufficient`` (an upper bound: positive if the unknown answers were yes), whose
design-based means and totals are the prevalence rate and count. Indicators the mapping does
not name were not asked and count as absent; a "don't know" answer is unknown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from vigil.errors import InputError
from vigil.io.yamlfile import read_yaml
from vigil.rules import RuleSet, outcome_codes
from vigil.rules.logic import NEG, POS, UNK
from vigil.rules.records import Columns

DEFAULT_VALUES: dict[str, list[Any]] = {
    "true": [1, "1", "yes", "true", "y", True],
    "false": [0, "0", 2, "2", "no", "false", "n", False],
    "unknown": [8, 9, "8", "9", "dk", "refused", "don't know"],
}
POSITIVE = "fl_positive"
UPPER = "fl_positive_or_insufficient"


@dataclass(frozen=True)
class Mapping_:
    ruleset: str | None
    indicators: dict[str, str]
    age: str | None
    values: dict[str, list[Any]]


def load_mapping(path: str | Path) -> Mapping_:
    p = Path(path)
    raw = read_yaml(p, "mapping file", label=p.name)
    if not isinstance(raw, Mapping) or not isinstance(raw.get("indicators"), Mapping) \
            or not raw["indicators"]:
        raise InputError("needs 'indicators': a mapping of indicator id to survey variable", p.name)
    values = {k: list(v) for k, v in DEFAULT_VALUES.items()}
    for key, listed in (raw.get("values") or {}).items():
        if key not in values or not isinstance(listed, list):
            raise InputError("values has keys true, false, unknown, each a list", f"{p.name}, values.{key}")
        values[key] = listed
    return Mapping_(raw.get("ruleset"), {str(k): str(v) for k, v in raw["indicators"].items()},
                    raw.get("age"), values)


def _norm(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip().lower()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def screen_frame(frame: pl.DataFrame, rs: RuleSet, mapping: Mapping_, source: str = "data") -> pl.DataFrame:
    """Add ``fl_positive`` and ``fl_positive_or_insufficient`` columns (0/1) to ``frame``."""
    known = rs.record_keys()
    n = frame.height
    cols = Columns(n=n, ids=range(n))
    table = {}
    for code, key in ((POS, "true"), (NEG, "false"), (UNK, "unknown")):
        for v in mapping.values[key]:
            table[_norm(v)] = code
    for ind, var in mapping.indicators.items():
        if ind not in known:
            raise InputError(f"unknown indicator for {rs.id}", f"mapping, indicators.{ind}")
        if var not in frame.columns:
            raise InputError(f"no column {var!r} in the data", f"mapping, indicators.{ind}")
        series = frame.get_column(var)
        uniques = series.unique().to_list()
        lookup: dict[Any, int] = {}
        for u in uniques:
            if u is None or (isinstance(u, float) and np.isnan(u)):
                lookup[u] = UNK
                continue
            found = table.get(_norm(u))
            if found is None:
                row = series.to_list().index(u) + 2
                raise InputError(f"answer {u!r} is not in the mapping's values",
                                 f"{source}, row {row}, column {var}")
            lookup[u] = found
        codes = np.full(n, UNK, dtype=np.int8)  # missing cells (null or NaN) are unknown
        values = series.to_numpy()
        for u, code in lookup.items():
            if u is not None and not (isinstance(u, float) and np.isnan(u)):
                codes[values == u] = code
        cols.codes[ind] = codes
    if mapping.age is not None:
        if mapping.age not in frame.columns:
            raise InputError(f"no column {mapping.age!r} in the data", "mapping, age")
        ages = frame.get_column(mapping.age).cast(pl.Float64, strict=False).fill_null(np.nan)
        cols.nums["age"] = ages.to_numpy()
    # indicators the survey did not ask are not evidence: absent, not unknown
    out = outcome_codes(rs, cols, "absent")
    return frame.with_columns(
        pl.Series(POSITIVE, (out == POS).astype(np.int8)),
        pl.Series(UPPER, (out >= UNK).astype(np.int8)),
    )


def suppressed_domains(frame: pl.DataFrame, by: list[str], k: int) -> set[tuple[Any, ...]]:
    """Domains whose estimates must not be published (``vigil.stats.disclosure``).

    The cells are the *unweighted* numbers of respondents screened positive (and positive or
    insufficient) per domain: a count from 1 to k-1 is hidden, and secondary suppression hides
    further domains so that the overall count cannot give a hidden one back. A domain with
    fewer than ``k`` respondents is hidden too. Without ``by`` the one domain is the whole
    sample. ``k`` 0 turns suppression off.
    """
    from vigil.stats.disclosure import suppress_table

    if k <= 0:
        return set()
    if by:
        groups = frame.group_by(by, maintain_order=True).agg(
            pl.len().alias("n"), pl.col(POSITIVE).sum().alias("pos"), pl.col(UPPER).sum().alias("up"))
        keys = [tuple(row[c] for c in by) for row in groups.iter_rows(named=True)]
    else:
        groups = pl.DataFrame({"n": [frame.height], "pos": [int(frame[POSITIVE].sum())],
                               "up": [int(frame[UPPER].sum())]})
        keys = [()]
    hidden = {key for key, n in zip(keys, groups["n"].to_list(), strict=True) if n < k}
    for col in ("pos", "up"):
        table = suppress_table([groups[col].to_list()], k)
        row = table.suppressed[0, :-1]
        hidden |= {key for key, h in zip(keys, row.tolist(), strict=True) if h}
        if not by and table.suppressed[0, -1]:
            hidden.add(())
    return hidden
