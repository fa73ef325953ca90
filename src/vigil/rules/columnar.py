"""Polars / Arrow tables in, batch columns out: screening a data frame without going row by row.

A table has one column per indicator key (boolean, or integers 0/1; a null is unknown), and
optionally ``id``, ``age`` (numbers; null is unknown) and ``facts.<name>`` columns (booleans,
numbers, or lists of strings for list facts). A key with no column is not carried, exactly as a
key missing from a JSON record. The result feeds ``outcome_codes`` or ``assess_columns``, which
give the same answers as screening each row as a record.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from vigil.errors import InputError
from vigil.rules.logic import NEG, POS, UNK
from vigil.rules.records import MAX_AGE, Columns, fact_specs


def _truth_column(s: pl.Series, where: str) -> np.ndarray:
    if s.dtype == pl.Boolean:
        b = s
    elif s.dtype.is_integer():
        bad = s.drop_nulls().filter(~s.drop_nulls().is_in([0, 1]))
        if bad.len():
            raise InputError(f"value {bad[0]} is not 0, 1 or null", where)
        b = s.cast(pl.Boolean)
    else:
        raise InputError(f"column type {s.dtype} is not boolean or 0/1", where)
    out = np.where(b.fill_null(False).to_numpy(), np.int8(POS), np.int8(NEG)).astype(np.int8)
    out[b.is_null().to_numpy()] = UNK
    return out


def _number_column(s: pl.Series, where: str, lo: float | None, hi: float | None) -> np.ndarray:
    if not (s.dtype.is_numeric()) or s.dtype == pl.Boolean:
        raise InputError(f"column type {s.dtype} is not numeric", where)
    x = s.cast(pl.Float64).fill_null(np.nan).to_numpy().copy()
    known = x[~np.isnan(x)]
    if known.size and ((lo is not None and known.min() < lo) or (hi is not None and known.max() > hi)):
        raise InputError(f"values outside {lo}-{hi}", where)
    return x


def columns_from_frame(frame: Any, keys: frozenset[str], scope_name: str = "the rule set") -> Columns:
    """Encode a polars DataFrame (or an Arrow table) for batch screening; ``keys`` are the
    indicator keys allowed (``RuleSet.record_keys()``)."""
    df = frame if isinstance(frame, pl.DataFrame) else pl.from_arrow(frame)
    if not isinstance(df, pl.DataFrame):
        raise InputError("expected a table (polars DataFrame or Arrow table)")
    n = df.height
    ids: list[Any] = df.get_column("id").to_list() if "id" in df.columns else list(range(1, n + 1))
    cols = Columns(n=n, ids=ids)
    specs = fact_specs()
    for name in df.columns:
        s = df.get_column(name)
        where = f"column {name}"
        if name == "id":
            continue
        if name == "age":
            cols.nums["age"] = _number_column(s, where, 0, MAX_AGE)
        elif name.startswith("facts."):
            spec = specs.get(name[len("facts."):])
            if spec is None:
                raise InputError("unknown fact", where)
            if spec.type == "bool":
                cols.codes[spec.name] = _truth_column(s, where)
            elif spec.type == "number":
                cols.nums[spec.name] = _number_column(s, where, spec.min, spec.max)
            elif spec.type == "list":
                if not isinstance(s.dtype, pl.List):
                    raise InputError(f"column type {s.dtype} is not a list of strings", where)
                present = ~s.is_null().to_numpy()
                members = s.explode().drop_nulls().unique().to_list()
                bad = [m for m in members if m not in spec.values]
                if bad:
                    raise InputError(f"unknown value {bad[0]!r}", where)
                for v in spec.values:
                    has = s.list.contains(v).fill_null(False).to_numpy()
                    col = np.where(has, np.int8(POS), np.int8(NEG)).astype(np.int8)
                    col[~present] = -1
                    cols.codes[f"{spec.name}={v}"] = col
        elif name in keys:
            cols.codes[name] = _truth_column(s, where)
        else:
            raise InputError(f"unknown indicator for {scope_name}", where)
    cols.num("age")
    return cols
