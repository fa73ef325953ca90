"""Records in, codes out: validation of input records and their encoding as tri-valued codes.

Both evaluation modes read the same encoding. A record becomes a map from *column* to code:
indicator keys as given (``DR01``, ``D2.PN04``), boolean facts by name (``crossed_border``), one
column per allowed member of a list fact (``act=recruited``: POS when listed, NEG when the list
is given without it, missing when the list is absent) and numbers (``age``, ``hours_per_week``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt
import yaml

from vigil.errors import InputError
from vigil.rules.logic import ABSENT_KEY, NEG, POS, UNK

MAX_AGE = 120


@dataclass(frozen=True)
class FactSpec:
    name: str
    type: str
    label: str
    values: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None

    def columns(self) -> tuple[str, ...]:
        if self.type == "list":
            return tuple(f"{self.name}={v}" for v in self.values)
        if self.type == "bool":
            return (self.name,)
        return ()


@cache
def fact_specs() -> dict[str, FactSpec]:
    """The fact vocabulary (``vocabulary.yaml``)."""
    text = resources.files("vigil.rules").joinpath("vocabulary.yaml").read_text("utf-8")
    raw = yaml.safe_load(text)["facts"]
    return {
        name: FactSpec(
            name=name,
            type=spec["type"],
            label=spec.get("label", name),
            values=tuple(spec.get("values", ())),
            min=spec.get("min"),
            max=spec.get("max"),
        )
        for name, spec in raw.items()
    }


NUMERIC_FIELDS = ("age", "hours_per_week")


@dataclass
class Encoded:
    """One record as codes: what both evaluators read."""

    id: Any
    codes: dict[str, int] = field(default_factory=dict)
    nums: dict[str, float] = field(default_factory=dict)


def _where(rid: Any, key: str) -> str:
    return f"record {rid!r}, key {key}" if rid is not None else f"key {key}"


def parse_truth(value: Any, rid: Any, key: str) -> int:
    """JSON ``true``/``false``/``null`` → POS/NEG/UNK; anything else is an error."""
    if value is None:
        return UNK
    if value is True:
        return POS
    if value is False:
        return NEG
    raise InputError(f"value {type(value).__name__} is not true, false or null", _where(rid, key))


def _finite(value: Any) -> float | None:
    """``value`` as a finite float, or ``None`` if it is not a number (booleans, text, NaN,
    infinities and integers too large for a float are not)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def parse_age(value: Any, rid: Any) -> float:
    if value is None:
        return math.nan
    age = _finite(value)
    if age is None:
        raise InputError("age must be a number from 0 to 120", _where(rid, "age"))
    if not 0 <= age <= MAX_AGE:
        raise InputError(f"age {age:g} is outside 0-120", _where(rid, "age"))
    return age


def encode_fact(spec: FactSpec, value: Any, rid: Any, out: Encoded) -> None:
    """Add the columns of one fact to ``out``; a ``None`` value leaves the fact unknown."""
    key = f"facts.{spec.name}"
    if value is None:
        return
    if spec.type == "bool":
        out.codes[spec.name] = parse_truth(value, rid, key)
    elif spec.type == "list":
        if not isinstance(value, list):
            raise InputError("must be a list", _where(rid, key))
        members = set()
        for item in value:
            if item not in spec.values:
                allowed = ", ".join(spec.values)
                raise InputError(f"unknown value {item!r} (allowed: {allowed})", _where(rid, key))
            members.add(item)
        for v in spec.values:
            out.codes[f"{spec.name}={v}"] = POS if v in members else NEG
    else:
        number = _finite(value)
        if number is None:
            raise InputError("must be a number", _where(rid, key))
        lo, hi = spec.min, spec.max
        if (lo is not None and number < lo) or (hi is not None and number > hi):
            raise InputError(f"{number:g} is outside {lo}-{hi}", _where(rid, key))
        out.nums[spec.name] = number


def encode_record(record: Any, allowed_keys: frozenset[str], scope_name: str) -> Encoded:
    """Validate one input record and encode it.

    ``allowed_keys`` are the indicator keys the rule set (or the triage) knows; any other key is
    an error naming the record and the key.
    """
    if not isinstance(record, Mapping):
        raise InputError("a record must be a JSON object")
    rid = record.get("id")
    if rid is not None and (isinstance(rid, bool) or not isinstance(rid, str | int)):
        raise InputError("id must be a string or an integer", "key id")
    # Other top-level keys (sex, nationality, occupation...) describe the person and are never
    # read by a rule: they cannot raise an outcome by themselves (STANDARDS.md section 6.6).
    out = Encoded(id=rid)
    out.nums["age"] = parse_age(record.get("age"), rid)
    indicators = record.get("indicators", {})
    if indicators is None:
        indicators = {}
    if not isinstance(indicators, Mapping):
        raise InputError("must be an object of indicator: true/false/null", _where(rid, "indicators"))
    for key, value in indicators.items():
        if key not in allowed_keys:
            raise InputError(f"unknown indicator for {scope_name}", _where(rid, f"indicators.{key}"))
        out.codes[key] = parse_truth(value, rid, f"indicators.{key}")
    facts = record.get("facts", {})
    if facts is None:
        facts = {}
    if not isinstance(facts, Mapping):
        raise InputError("must be an object", _where(rid, "facts"))
    specs = fact_specs()
    for key, value in facts.items():
        spec = specs.get(key)
        if spec is None:
            raise InputError("unknown fact", _where(rid, f"facts.{key}"))
        if spec.type != "context":
            encode_fact(spec, value, rid, out)
    return out


@dataclass
class Columns:
    """Many records as columns: ``codes`` are int8 arrays (-1 = key not carried), ``nums``
    float64 arrays (NaN = unknown). Columns that no record carries may be left out."""

    n: int
    ids: Sequence[Any]
    codes: dict[str, npt.NDArray[np.int8]] = field(default_factory=dict)
    nums: dict[str, npt.NDArray[np.float64]] = field(default_factory=dict)

    def code(self, col: str) -> npt.NDArray[np.int8]:
        arr = self.codes.get(col)
        if arr is None:
            arr = np.full(self.n, ABSENT_KEY, dtype=np.int8)
            self.codes[col] = arr
        return arr

    def num(self, col: str) -> npt.NDArray[np.float64]:
        arr = self.nums.get(col)
        if arr is None:
            arr = np.full(self.n, np.nan)
            self.nums[col] = arr
        return arr

    def row(self, j: int) -> Encoded:
        """Record ``j`` back as an ``Encoded`` (only the columns it carries)."""
        enc = Encoded(id=self.ids[j])
        for col, arr in self.codes.items():
            v = int(arr[j])
            if v != ABSENT_KEY:
                enc.codes[col] = v
        for col, nums in self.nums.items():
            x = float(nums[j])
            if not math.isnan(x):
                enc.nums[col] = x
        return enc


def stack(encoded: Iterable[Encoded]) -> Columns:
    """Encoded records → columns (the batch input)."""
    rows = list(encoded)
    n = len(rows)
    cols = Columns(n=n, ids=[r.id for r in rows])
    for j, r in enumerate(rows):
        for col, v in r.codes.items():
            cols.code(col)[j] = v
        for col, x in r.nums.items():
            cols.num(col)[j] = x
    cols.num("age")
    return cols
