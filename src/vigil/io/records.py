"""Reading screening records: JSON Lines, CSV and XLSX, validated and encoded as columns.

Input is read and validated whole before anything is evaluated or written, so a bad record
stops the run with an error naming the file, the line or row, and the column or key. Records
are encoded as they are read into int8 columns, so a million records fit in well under a GB.

CSV and XLSX: one row per record; column ``id`` (optional), ``age`` (optional), one column per
indicator key with ``1/0/yes/no/true/false`` or a blank cell (the key is not given), and
``facts.<name>`` columns (booleans as above, lists separated by ``;``, numbers).
"""

from __future__ import annotations

import csv
import io
import json
import math
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np

from vigil.errors import InputError, VigilError
from vigil.rules.logic import ABSENT_KEY
from vigil.rules.records import Columns, Encoded, fact_specs

Encoder = Callable[[Any], Encoded]

TRUE_WORDS = {"1", "yes", "true", "y"}
FALSE_WORDS = {"0", "no", "false", "n"}
MAX_LINE = 1 << 20  # one record over 1 MiB is not a screening record


class ColumnBuilder:
    """Appends encoded records into growing int8/float64 columns (amortised doubling)."""

    def __init__(self, capacity: int = 1024) -> None:
        self.n = 0
        self.cap = capacity
        self.ids: list[Any] = []
        self.codes: dict[str, np.ndarray] = {}
        self.nums: dict[str, np.ndarray] = {}

    def _grow(self) -> None:
        self.cap *= 2
        for store, fill in ((self.codes, ABSENT_KEY), (self.nums, np.nan)):
            for k, arr in store.items():
                new = np.full(self.cap, fill, dtype=arr.dtype)
                new[: self.n] = arr[: self.n]
                store[k] = new

    def add(self, enc: Encoded) -> None:
        if self.n == self.cap:
            self._grow()
        j = self.n
        for col, v in enc.codes.items():
            arr = self.codes.get(col)
            if arr is None:
                arr = self.codes[col] = np.full(self.cap, ABSENT_KEY, dtype=np.int8)
            arr[j] = v
        for col, x in enc.nums.items():
            arr = self.nums.get(col)
            if arr is None:
                arr = self.nums[col] = np.full(self.cap, np.nan)
            arr[j] = x
        self.ids.append(enc.id)
        self.n += 1

    def build(self) -> Columns:
        cols = Columns(
            n=self.n,
            ids=self.ids,
            codes={k: v[: self.n] for k, v in self.codes.items()},
            nums={k: v[: self.n] for k, v in self.nums.items()},
        )
        cols.num("age")
        return cols


def _open(path: str | Path) -> IO[str]:
    if str(path) == "-":
        return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8")
    p = Path(path)
    if not p.is_file():
        raise InputError("no such file", str(path))
    return p.open(encoding="utf-8", newline="")


def iter_jsonl(path: str | Path) -> Iterator[tuple[str, Any]]:
    """(place, object) for every non-blank line of a JSON Lines file."""
    name = "stdin" if str(path) == "-" else Path(path).name
    with _open(path) as fh:
        try:
            for n, line in enumerate(fh, start=1):
                place = f"{name}, line {n}"
                if not line.strip():
                    continue
                if len(line) > MAX_LINE:
                    raise InputError("line longer than 1 MiB", place)
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputError(f"invalid JSON ({exc.msg}, column {exc.colno})", place) from None
                # a line of the reference case files ({"record": ..., "expect": ...}) is its record
                if isinstance(obj, dict) and "record" in obj and set(obj) <= {"record", "expect"}:
                    obj = obj["record"]
                yield place, obj
        except UnicodeDecodeError:
            raise InputError("not UTF-8 text", name) from None


def _cell_truth(text: str, place: str) -> bool | None:
    t = text.strip().lower()
    if t in TRUE_WORDS:
        return True
    if t in FALSE_WORDS:
        return False
    raise InputError(f"{text!r} is not one of 1/0/yes/no/true/false or blank", place)


def _cell_number(text: Any, place: str) -> float:
    if isinstance(text, bool):
        raise InputError("expected a number", place)
    if isinstance(text, int | float):
        return float(text)
    try:
        value = float(str(text).strip().replace(",", "."))
    except ValueError:
        raise InputError(f"{text!r} is not a number", place) from None
    if math.isnan(value):
        raise InputError("NaN is not a number", place)
    return value


def row_to_record(header: list[str], row: list[Any], place: str) -> dict[str, Any]:
    """One CSV/XLSX row → a record dict as in STANDARDS.md section 1 (blank cells left out)."""
    record: dict[str, Any] = {}
    indicators: dict[str, Any] = {}
    facts: dict[str, Any] = {}
    specs = fact_specs()
    if len(row) > len(header):
        raise InputError(f"{len(row)} cells but {len(header)} columns", place)
    for col, raw in zip(header, row, strict=False):
        cell_place = f"{place}, column {col}"
        text = "" if raw is None else raw
        if isinstance(text, str) and not text.strip():
            continue
        if col == "id":
            record["id"] = str(text).strip() if not isinstance(text, int | float) else text
            if isinstance(record["id"], float) and record["id"].is_integer():
                record["id"] = int(record["id"])
        elif col == "age":
            record["age"] = _cell_number(text, cell_place)
        elif col.startswith("facts."):
            name = col[len("facts."):]
            spec = specs.get(name)
            if spec is None:
                raise InputError("unknown fact", cell_place)
            if spec.type == "context":
                facts[name] = str(text)
            elif spec.type == "bool":
                facts[name] = text if isinstance(text, bool) else _cell_truth(str(text), cell_place)
            elif spec.type == "list":
                t = str(text).strip()
                empty = t in ("[]", "-", "none")
                facts[name] = [] if empty else [x.strip() for x in t.split(";") if x.strip()]
            else:
                facts[name] = _cell_number(text, cell_place)
        else:
            if isinstance(text, bool):
                indicators[col] = text
            elif isinstance(text, int | float) and text in (0, 1):
                indicators[col] = bool(text)
            else:
                indicators[col] = _cell_truth(str(text), cell_place)
    if indicators:
        record["indicators"] = indicators
    if facts:
        record["facts"] = facts
    if isinstance(record.get("age"), float) and record["age"].is_integer():
        record["age"] = int(record["age"])
    return record


def _check_header(header: list[str], place: str) -> list[str]:
    clean = [str(h).strip() if h is not None else "" for h in header]
    for i, h in enumerate(clean, start=1):
        if not h:
            raise InputError(f"column {i} has no name", place)
    dup = {h for h in clean if clean.count(h) > 1}
    if dup:
        raise InputError(f"duplicate column {sorted(dup)[0]}", place)
    return clean


def iter_csv(path: str | Path) -> Iterator[tuple[str, Any]]:
    name = "stdin" if str(path) == "-" else Path(path).name
    with _open(path) as fh:
        try:
            reader = csv.reader(fh)
            header = next(reader, None)
            if header is None:
                raise InputError("empty file (no header row)", name)
            header = _check_header(header, f"{name}, row 1")
            for n, row in enumerate(reader, start=2):
                if not any(c.strip() for c in row):
                    continue
                place = f"{name}, row {n}"
                yield place, row_to_record(header, row, place)
        except UnicodeDecodeError:
            raise InputError("not UTF-8 text", name) from None
        except csv.Error as exc:
            raise InputError(f"malformed CSV ({exc})", name) from None


def iter_xlsx(path: str | Path) -> Iterator[tuple[str, Any]]:
    from openpyxl import load_workbook

    p = Path(path)
    if not p.is_file():
        raise InputError("no such file", str(path))
    try:
        wb = load_workbook(p, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise InputError(f"not a readable XLSX workbook ({type(exc).__name__})", p.name) from None
    try:
        ws = wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header_row = next(rows, None)
        if header_row is None:
            raise InputError("empty sheet (no header row)", f"{p.name}, sheet {ws.title}")
        header = _check_header(list(header_row), f"{p.name}, sheet {ws.title}, row 1")
        for n, row in enumerate(rows, start=2):
            cells = list(row)
            while cells and cells[-1] is None:
                cells.pop()
            if not cells:
                continue
            place = f"{p.name}, sheet {ws.title}, row {n}"
            yield place, row_to_record(header, cells, place)
    finally:
        wb.close()


def iter_records(path: str | Path, fmt: str | None = None) -> Iterator[tuple[str, Any]]:
    """(place, record) from a JSON Lines, CSV or XLSX file, by extension unless ``fmt``."""
    kind = fmt or _kind(path)
    if kind == "jsonl":
        return iter_jsonl(path)
    if kind == "csv":
        return iter_csv(path)
    if kind == "xlsx":
        return iter_xlsx(path)
    raise InputError(f"unknown input format {kind!r} (jsonl, csv, xlsx)", str(path))


def _kind(path: str | Path) -> str:
    suffix = Path(str(path)).suffix.lower()
    return {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv",
            ".xlsx": "xlsx"}.get(suffix, "jsonl")


def read_columns(path: str | Path, encode: Encoder, fmt: str | None = None,
                 progress: Callable[[int], None] | None = None) -> Columns:
    """Read, validate and encode every record of ``path``; the first bad one raises."""
    builder = ColumnBuilder()
    for place, record in iter_records(path, fmt):
        try:
            builder.add(encode(record))
        except VigilError as exc:
            raise exc.at(place) from None
        if progress is not None and builder.n % 4096 == 0:
            progress(builder.n)
    return builder.build()
