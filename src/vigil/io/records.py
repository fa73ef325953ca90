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
import json
import math
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import numpy as np

from vigil.errors import InputError, VigilError
from vigil.io.limits import limit_rows
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

    def drop(self, rows: set[int]) -> None:
        """Remove the records at ``rows`` (indices in the order added), keeping the order."""
        if not rows:
            return
        keep = np.ones(self.n, dtype=bool)
        keep[list(rows)] = False
        for store, fill in ((self.codes, ABSENT_KEY), (self.nums, np.nan)):
            for arr in store.values():
                kept = arr[: self.n][keep]
                arr[: len(kept)] = kept
                arr[len(kept) : self.n] = fill  # a later add writes only its own columns
        self.ids = [i for j, i in enumerate(self.ids) if keep[j]]
        self.n = len(self.ids)

    def build(self) -> Columns:
        cols = Columns(
            n=self.n,
            ids=self.ids,
            codes={k: v[: self.n] for k, v in self.codes.items()},
            nums={k: v[: self.n] for k, v in self.nums.items()},
        )
        cols.num("age")
        return cols


def _open(path: str | Path) -> IO[bytes]:
    if str(path) == "-":
        return sys.stdin.buffer
    p = Path(path)
    if not p.is_file():
        raise InputError("no such file", str(path))
    try:
        return p.open("rb")
    except OSError as exc:
        raise InputError(f"cannot read the file ({type(exc).__name__})", str(path)) from None


def text_lines(path: str | Path) -> Iterator[str]:
    """The lines of the file (or stdin for ``-``) as UTF-8 text, line endings kept; a byte-order
    mark at the start is dropped. Bytes that are not UTF-8 raise ``InputError`` naming the line."""
    name = "stdin" if str(path) == "-" else Path(path).name
    fh = _open(path)
    try:
        for n, raw in enumerate(fh, start=1):
            if n == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError:
                raise InputError("not UTF-8 text", f"{name}, line {n}") from None
    finally:
        if fh is not sys.stdin.buffer:
            fh.close()


def parse_json_line(line: str, place: str) -> Any:
    """One line of a JSON Lines file, or an ``InputError`` naming ``place`` (too long, malformed,
    nested too deeply)."""
    if len(line) > MAX_LINE:
        raise InputError("line longer than 1 MiB", place)
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON ({exc.msg}, column {exc.colno})", place) from None
    except RecursionError:
        raise InputError("invalid JSON (nested too deeply)", place) from None


def iter_jsonl(path: str | Path) -> Iterator[tuple[str, Any]]:
    """(place, object) for every non-blank line of a JSON Lines file."""
    name = "stdin" if str(path) == "-" else Path(path).name
    for n, line in enumerate(text_lines(path), start=1):
        place = f"{name}, line {n}"
        if not line.strip():
            continue
        obj = parse_json_line(line, place)
        # a line of the reference case files ({"record": ..., "expect": ...}) is its record
        if isinstance(obj, dict) and "record" in obj and set(obj) <= {"record", "expect"}:
            obj = obj["record"]
        yield place, obj


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
    reader = csv.reader(text_lines(path))
    try:
        header = next(reader, None)
        if header is None:
            raise InputError("empty file (no header row)", name)
        header = _check_header(header, f"{name}, row 1")
        for row in reader:
            if not any(c.strip() for c in row):
                continue
            place = f"{name}, row {reader.line_num}"
            if len(row) != len(header):
                raise InputError(f"{len(row)} cells but {len(header)} columns", place)
            yield place, row_to_record(header, row, place)
    except csv.Error as exc:
        raise InputError(f"malformed CSV ({exc})", f"{name}, row {reader.line_num}") from None


@contextmanager
def first_sheet(path: str | Path) -> Iterator[tuple[Any, str]]:
    """(rows of the first worksheet as value tuples, "FILE, sheet NAME") of an XLSX file, or an
    ``InputError`` naming the file; the workbook is closed afterwards."""
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
        yield ws.iter_rows(values_only=True), f"{p.name}, sheet {ws.title}"
    finally:
        wb.close()


def iter_xlsx(path: str | Path) -> Iterator[tuple[str, Any]]:
    with first_sheet(path) as (rows, sheet):
        header_row = next(rows, None)
        if header_row is None:
            raise InputError("empty sheet (no header row)", sheet)
        header = _check_header(list(header_row), f"{sheet}, row 1")
        for n, row in enumerate(rows, start=2):
            cells = list(row)
            while cells and cells[-1] is None:
                cells.pop()
            if not cells:
                continue
            place = f"{sheet}, row {n}"
            yield place, row_to_record(header, cells, place)


def iter_records(path: str | Path, fmt: str | None = None) -> Iterator[tuple[str, Any]]:
    """(place, record) from a JSON Lines, CSV or XLSX file, by extension unless ``fmt``."""
    kind = fmt or _kind(path)
    name = "stdin" if str(path) == "-" else Path(path).name
    if kind == "jsonl":
        return limit_rows(iter_jsonl(path), name)
    if kind == "csv":
        return limit_rows(iter_csv(path), name)
    if kind == "xlsx":
        return limit_rows(iter_xlsx(path), name)
    raise InputError(f"unknown input format {kind!r} (jsonl, csv, xlsx)", str(path))


def _kind(path: str | Path) -> str:
    suffix = Path(str(path)).suffix.lower()
    return {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv",
            ".xlsx": "xlsx"}.get(suffix, "jsonl")


#: Top-level keys of a record that the format defines.
DESCRIPTIVE_KEYS = frozenset({"id", "age", "indicators", "facts"})
MAX_WARNINGS = 10


def misplaced_keys(record: Any, indicator_keys: frozenset[str]) -> tuple[list[str], list[str]]:
    """Indicator answers and facts found at the top level of a record, where no rule reads them
    (they belong under ``indicators`` and ``facts``)."""
    if not isinstance(record, dict):
        return [], []
    # context facts (sex, nationality...) describe the person and may sit at the top level
    facts = {name for name, spec in fact_specs().items() if spec.type != "context"}
    top = [k for k in record if k not in DESCRIPTIVE_KEYS]
    return [k for k in top if k in indicator_keys], [k for k in top if k in facts]


def read_columns(path: str | Path, encode: Encoder, fmt: str | None = None,
                 progress: Callable[[int], None] | None = None, *,
                 indicator_keys: frozenset[str] | None = None,
                 warn: Callable[[str], None] | None = None) -> Columns:
    """Read, validate and encode every record of ``path``; the first bad one raises.

    An input without any record is an error. With ``indicator_keys`` and ``warn``, a record
    whose indicator answers (or facts) sit at its top level, where no rule reads them, is
    reported through ``warn`` naming the line (the first ``MAX_WARNINGS``, then a count).
    """
    builder = ColumnBuilder()
    name = "stdin" if str(path) == "-" else Path(path).name
    warned = 0
    for place, record in iter_records(path, fmt):
        if warn is not None and indicator_keys is not None:
            inds, facts = misplaced_keys(record, indicator_keys)
            if inds or facts:
                warned += 1
                if warned <= MAX_WARNINGS:
                    parts = []
                    if inds:
                        parts.append(f"indicator answers at the top level ({', '.join(inds[:5])}"
                                     f"{', ...' if len(inds) > 5 else ''}) belong under 'indicators'")
                    if facts:
                        parts.append(f"facts at the top level ({', '.join(facts[:5])}) belong "
                                     "under 'facts'")
                    warn(f"{place}: {'; '.join(parts)}; they are not read")
        try:
            builder.add(encode(record))
        except VigilError as exc:
            raise exc.at(place) from None
        if progress is not None and builder.n % 4096 == 0:
            progress(builder.n)
    if warn is not None and warned > MAX_WARNINGS:
        warn(f"{name}: {warned - MAX_WARNINGS} more record(s) with answers at the top level")
    if builder.n == 0:
        raise InputError("the input has no records", name)
    return builder.build()
