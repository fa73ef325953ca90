"""Capture-history tables: read, validate and tidy.

A capture-history table has one 0/1 column per list (agency) and a ``count`` column: each row is a
pattern of lists and the number of people seen on exactly those lists. The all-zero pattern (people
on no list) is what multiple systems estimation estimates, so it never appears in the data.

``vigil link`` writes this table from agency lists; ``vigil.stats.mse`` reads it. The table is
immutable: :meth:`CaptureHistories.tidy` and friends return new tables.

Patterns are also handled as integer *cell codes*: bit ``i`` of the code is set when the pattern
includes list ``i`` (list 0 is the first column), so ``0b101`` is "lists 0 and 2".
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import numpy.typing as npt

from vigil.errors import InputError
from vigil.io.limits import check_row_count

__all__ = ["COUNT_COLUMN", "MAX_COUNT", "MAX_LISTS", "CaptureHistories", "read_capture_csv"]

COUNT_COLUMN = "count"
#: The log-linear models enumerate all 2^t - 1 observable cells; 16 lists is far beyond any real use.
MAX_LISTS = 16
#: No count (and no table) may exceed this: ten times the world's population is a data error, and
#: it keeps every sum exact in 64-bit integers and in the floats of the fit.
MAX_COUNT = 10**11

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class CaptureHistories:
    """A validated capture-history table.

    ``patterns`` is an ``(n, t)`` 0/1 integer array, ``counts`` an ``(n,)`` non-negative integer
    array, ``lists`` the ``t`` list names in column order. Use :meth:`from_rows`,
    :meth:`from_arrays` or :func:`read_capture_csv` to build one: they validate.
    """

    lists: tuple[str, ...]
    patterns: IntArray = field(repr=False)
    counts: IntArray = field(repr=False)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_arrays(
        cls,
        lists: Sequence[str],
        patterns: npt.ArrayLike,
        counts: npt.ArrayLike,
        *,
        source: str = "capture histories",
    ) -> CaptureHistories:
        """Build and validate a table from a pattern matrix and a count vector."""
        names = tuple(str(n) for n in lists)
        _check_list_names(names, source)
        pat = np.asarray(patterns)
        cnt = np.asarray(counts)
        if pat.ndim != 2 or pat.shape[1] != len(names):
            raise InputError(
                f"patterns must have one column per list ({len(names)}), got shape {pat.shape}",
                source,
            )
        if cnt.shape != (pat.shape[0],):
            raise InputError("counts must have one value per pattern row", source)
        for i in range(pat.shape[0]):
            for j, name in enumerate(names):
                v = pat[i, j]
                if v not in (0, 1):
                    raise InputError(
                        f"list membership must be 0 or 1, got {v!r}", f"{source}, row {i + 1}, column {name}"
                    )
            c = cnt[i]
            if not _is_whole(c) or c < 0 or c > MAX_COUNT:
                raise InputError(
                    f"count must be a non-negative integer of at most {MAX_COUNT:.0e}, got {c!r}",
                    f"{source}, row {i + 1}, column {COUNT_COLUMN}",
                )
            if not pat[i].any():
                raise InputError(
                    "a pattern on no list cannot be observed (all list columns are 0)",
                    f"{source}, row {i + 1}",
                )
        return cls(names, pat.astype(np.int64), cnt.astype(np.int64))

    @classmethod
    def from_rows(
        cls,
        rows: Iterable[Mapping[str, object]],
        lists: Sequence[str] | None = None,
        *,
        source: str = "capture histories",
    ) -> CaptureHistories:
        """Build a table from mappings such as ``{"LA": 1, "NG": 0, "count": 54}``.

        Values may be ints or strings (as read from CSV); ``lists`` defaults to the keys of the
        first row other than ``count``, in order.
        """
        materialised = list(rows)
        if lists is None:
            if not materialised:
                raise InputError("no rows and no list names given", source)
            lists = [k for k in materialised[0] if k != COUNT_COLUMN]
        names = tuple(lists)
        _check_list_names(names, source)
        pat = np.zeros((len(materialised), len(names)), dtype=np.int64)
        cnt = np.zeros(len(materialised), dtype=np.int64)
        for i, row in enumerate(materialised):
            for j, name in enumerate(names):
                pat[i, j] = _parse_flag(row.get(name), f"{source}, row {i + 1}, column {name}")
            cnt[i] = _parse_count(row.get(COUNT_COLUMN), f"{source}, row {i + 1}, column {COUNT_COLUMN}")
            if not pat[i].any():
                raise InputError(
                    "a pattern on no list cannot be observed (all list columns are 0)",
                    f"{source}, row {i + 1}",
                )
        return cls(names, pat, cnt)

    # ------------------------------------------------------------------ views
    @property
    def n_lists(self) -> int:
        return len(self.lists)

    @property
    def n_observed(self) -> int:
        """Number of people observed on at least one list."""
        return int(self.counts.sum())

    def codes(self) -> IntArray:
        """Cell code of each row (bit ``i`` set when the row is on list ``i``)."""
        weights = np.left_shift(1, np.arange(self.n_lists, dtype=np.int64))
        return np.asarray(self.patterns @ weights, dtype=np.int64)

    def cell_counts(self) -> IntArray:
        """Counts indexed by cell code, length ``2**t`` (entry 0, the unobserved cell, is 0)."""
        out = np.zeros(1 << self.n_lists, dtype=np.int64)
        np.add.at(out, self.codes(), self.counts)
        return out

    def list_totals(self) -> dict[str, int]:
        """Number of people on each list."""
        totals = self.counts @ self.patterns
        return {name: int(v) for name, v in zip(self.lists, totals, strict=True)}

    def overlap(self, a: str, b: str) -> int:
        """Number of people on both lists ``a`` and ``b`` (whatever other lists they are on)."""
        i, j = self.lists.index(a), self.lists.index(b)
        return int(self.counts[(self.patterns[:, i] == 1) & (self.patterns[:, j] == 1)].sum())

    # ------------------------------------------------------------------ tidying
    def tidy(self, *, include_zero: bool = False) -> CaptureHistories:
        """Merge duplicate patterns (summing counts) and order rows by number of lists, then code.

        Rows with a zero count are dropped unless ``include_zero``, in which case every observable
        pattern (all ``2**t - 1`` of them) is present.
        """
        full = self.cell_counts()
        codes = np.arange(1, full.size, dtype=np.int64)
        if not include_zero:
            codes = codes[full[1:] > 0]
        order = np.lexsort((codes, _popcount(codes)))
        codes = codes[order]
        pat = ((codes[:, None] >> np.arange(self.n_lists)) & 1).astype(np.int64)
        return CaptureHistories(self.lists, pat, full[codes])

    def with_counts(self, counts: npt.ArrayLike) -> CaptureHistories:
        """The same patterns with other counts (e.g. a bootstrap replicate)."""
        cnt = np.asarray(counts, dtype=np.int64)
        if cnt.shape != self.counts.shape or (cnt < 0).any():
            raise InputError("counts must be non-negative, one per pattern row")
        return CaptureHistories(self.lists, self.patterns, cnt)

    def select_lists(self, lists: Sequence[str]) -> CaptureHistories:
        """Keep only the named lists; people seen on none of them are dropped, duplicates merged."""
        idx = [self.lists.index(n) for n in lists]
        pat = self.patterns[:, idx]
        keep = pat.any(axis=1)
        return CaptureHistories(tuple(lists), pat[keep], self.counts[keep]).tidy()

    def merge_lists(self, lists: Sequence[str], name: str) -> CaptureHistories:
        """Merge several lists into one (a person is on ``name`` if on any of ``lists``)."""
        idx = [self.lists.index(n) for n in lists]
        first = min(idx)
        merged = self.patterns[:, idx].max(axis=1)
        keep_cols = [j for j in range(self.n_lists) if j not in idx or j == first]
        names = [name if j == first else self.lists[j] for j in keep_cols]
        pat = self.patterns[:, keep_cols].copy()
        pat[:, keep_cols.index(first)] = merged
        return CaptureHistories(tuple(names), pat, self.counts).tidy()

    def informative(self) -> CaptureHistories:
        """Drop lists that are empty, that contain everyone observed, or that duplicate an earlier
        list (as SparseMSE ``removenoninformativelists``)."""
        total = self.n_observed
        keep: list[int] = []
        seen: list[npt.NDArray[np.int64]] = []
        tot = self.counts @ self.patterns
        for j in range(self.n_lists):
            col = self.patterns[:, j] * (self.counts > 0)
            if tot[j] == 0 or tot[j] == total or any(np.array_equal(col, s) for s in seen):
                continue
            seen.append(col)
            keep.append(j)
        return self.select_lists([self.lists[j] for j in keep])

    def to_rows(self) -> list[dict[str, int]]:
        """Rows as dictionaries, the shape written to CSV."""
        out = []
        for pat, c in zip(self.patterns, self.counts, strict=True):
            row = {name: int(v) for name, v in zip(self.lists, pat, strict=True)}
            row[COUNT_COLUMN] = int(c)
            out.append(row)
        return out

    def write_csv(self, path: str | Path) -> None:
        """Write the table as CSV (one 0/1 column per list, then ``count``)."""
        with Path(path).open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=[*self.lists, COUNT_COLUMN])
            writer.writeheader()
            writer.writerows(self.to_rows())


def read_capture_csv(path: str | Path) -> CaptureHistories:
    """Read a capture-history CSV: one 0/1 column per list and a ``count`` column.

    Duplicate patterns are merged. Raises :class:`vigil.errors.InputError` naming the file, row
    (1 = first data row) and column of the first problem: missing ``count`` column, a value other
    than 0/1 in a list column, a negative, non-integer or implausibly large count (over
    ``MAX_COUNT``), a row with too few or too many values, a row on no list, bytes that are not
    UTF-8 text.

    The file is aggregated by pattern while it is read: identical lines are counted first (at C
    speed, holding only the distinct lines), then each distinct line is parsed once. A file of
    millions of rows with a few patterns takes seconds and little memory.
    """
    p = Path(path)
    source = str(p)
    try:
        fh = p.open("rb")
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", source) from None
    with fh:
        try:
            first = fh.readline(_MAX_LINE)
            lines = Counter(fh)
        except OSError as exc:
            raise InputError(f"cannot read file: {exc.strerror or exc}", source) from None
        check_row_count(sum(n for raw, n in lines.items() if raw.strip()), source)
        header = _parse_header(first, source)
        lists = [h for h in header if h != COUNT_COLUMN]
        _check_list_names(tuple(lists), source)
        texts: dict[bytes, str] = {}
        bad: dict[bytes, InputError] = {}
        for raw in lines:
            try:
                texts[raw] = raw.decode("utf-8")
            except UnicodeDecodeError:
                bad[raw] = InputError("not UTF-8 text", "")
        if not bad and any(text.count('"') % 2 for text in texts.values()):
            # a quoted field spans lines: parse record by record (rare; same checks)
            fh.seek(0)
            return _read_records(fh, header, lists, source)
        totals: dict[int, int] = {}
        parsed: dict[tuple[str, ...], tuple[int, int]] = {}
        for raw, text in texts.items() if not bad else ():
            if not text.strip():
                continue
            values = tuple(next(csv.reader([text])))
            if not values or all(not v.strip() for v in values):
                continue
            try:
                code, count = _parse_record(values, header, lists, parsed)
            except InputError as exc:
                bad[raw] = exc
                continue
            totals[code] = totals.get(code, 0) + count * lines[raw]
        if bad:  # report the first bad row of the file
            fh.seek(0)
            fh.readline(_MAX_LINE)
            for row, raw in enumerate(fh, start=1):
                if raw in bad:
                    first_bad = bad[raw]
                    inner = f"row {row}, {first_bad.place}" if first_bad.place else f"row {row}"
                    raise InputError(first_bad.message, f"{source}, {inner}")
    return _from_totals(lists, totals, source, any_rows=bool(parsed))


_MAX_LINE = 1 << 20


def _parse_header(first: bytes, source: str) -> list[str]:
    if first.startswith(b"\xef\xbb\xbf"):
        first = first[3:]
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text (expected a header row)", f"{source}, line 1") from None
    if not text.strip():
        raise InputError("empty file (expected a header row)", source)
    try:
        header = [h.strip() for h in next(csv.reader([text]))]
    except csv.Error as exc:
        raise InputError(f"malformed CSV: {exc}", f"{source}, line 1") from None
    if COUNT_COLUMN not in header:
        raise InputError(f"missing '{COUNT_COLUMN}' column (columns: {', '.join(header)})", source)
    if not [h for h in header if h != COUNT_COLUMN]:
        raise InputError("no list columns besides 'count'", source)
    return header


def _parse_record(
    values: tuple[str, ...],
    header: list[str],
    lists: list[str],
    cache: dict[tuple[str, ...], tuple[int, int]],
) -> tuple[int, int]:
    """Cell code and count of one data row (cached: a file repeats few distinct rows).
    Errors carry the column as their place; the caller adds the file and row."""
    hit = cache.get(values)
    if hit is not None:
        return hit
    if len(values) != len(header):
        raise InputError(f"expected {len(header)} values, got {len(values)}", "")
    row = dict(zip(header, values, strict=True))
    code = 0
    for i, name in enumerate(lists):
        code |= _parse_flag(row[name], f"column {name}") << i
    count = _parse_count(row[COUNT_COLUMN], f"column {COUNT_COLUMN}")
    if code == 0:
        raise InputError("a pattern on no list cannot be observed (all list columns are 0)", "")
    cache[values] = (code, count)
    return code, count


def _read_records(fh: BinaryIO, header: list[str], lists: list[str], source: str) -> CaptureHistories:
    """Record-by-record reading through the csv module (quoted fields spanning lines)."""
    text = io.TextIOWrapper(fh, encoding="utf-8-sig", newline="")
    reader = csv.reader(text)
    totals: dict[int, int] = {}
    parsed: dict[tuple[str, ...], tuple[int, int]] = {}
    row = 0
    try:
        next(reader)
        for row, values in enumerate(reader, start=1):
            if not values or all(not v.strip() for v in values):
                continue
            try:
                code, count = _parse_record(tuple(values), header, lists, parsed)
            except InputError as exc:
                inner = f"row {row}, {exc.place}" if exc.place else f"row {row}"
                raise InputError(exc.message, f"{source}, {inner}") from None
            totals[code] = totals.get(code, 0) + count
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", f"{source}, row {row + 1}") from None
    except csv.Error as exc:
        raise InputError(f"malformed CSV: {exc}", f"{source}, row {row + 1}") from None
    return _from_totals(lists, totals, source, any_rows=bool(parsed))


def _from_totals(
    lists: list[str], totals: dict[int, int], source: str, *, any_rows: bool
) -> CaptureHistories:
    if not any_rows:
        raise InputError("no data rows", source)
    total = sum(totals.values())
    if total == 0:
        raise InputError("all counts are zero: nobody was observed", source)
    if total > MAX_COUNT:
        raise InputError(f"the counts add up to {total}, more than {MAX_COUNT:.0e} people", source)
    codes = np.array(sorted(totals), dtype=np.int64)
    pat = ((codes[:, None] >> np.arange(len(lists))) & 1).astype(np.int64)
    cnt = np.array([totals[int(c)] for c in codes], dtype=np.int64)
    return CaptureHistories(tuple(lists), pat, cnt).tidy()


# ---------------------------------------------------------------------- helpers
def _check_list_names(names: tuple[str, ...], source: str) -> None:
    if not names:
        raise InputError("at least one list is needed", source)
    if len(names) > MAX_LISTS:
        raise InputError(f"at most {MAX_LISTS} lists are supported, got {len(names)}", source)
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise InputError(f"duplicate list names: {', '.join(dup)}", source)
    for n in names:
        if not n or n == COUNT_COLUMN:
            raise InputError(f"invalid list name {n!r}", source)


def _is_whole(v: object) -> bool:
    try:
        f = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return False
    return bool(np.isfinite(f)) and f == int(f)


def _parse_flag(raw: object, place: str) -> int:
    if isinstance(raw, bool):
        return int(raw)
    if isinstance(raw, (int, np.integer)) and raw in (0, 1):
        return int(raw)
    text = str(raw).strip() if raw is not None else ""
    if text in ("0", "1"):
        return int(text)
    if text in ("0.0", "1.0"):
        return int(float(text))
    shown = "empty" if not text else _shown(raw)
    raise InputError(f"list membership must be 0 or 1, got {shown}", place)


def _shown(raw: object) -> str:
    """``repr`` of a bad value, shortened so that the error stays one readable line."""
    text = repr(raw)
    return text if len(text) <= 40 else text[:30] + "..." + text[-6:]


def _parse_count(raw: object, place: str) -> int:
    text = str(raw).strip() if raw is not None else ""
    if not text:
        raise InputError("count is missing", place)
    if isinstance(raw, (int, np.integer)) and not isinstance(raw, bool):
        value = int(raw)
    else:
        try:
            value = int(text)
        except ValueError:
            try:
                f = float(text)
            except ValueError:
                raise InputError(f"count must be a non-negative integer, got {_shown(raw)}", place) from None
            if not np.isfinite(f) or f != int(f):
                raise InputError(f"count must be a non-negative integer, got {_shown(raw)}", place) from None
            value = int(f)
    if value < 0:
        raise InputError(f"count must be a non-negative integer, got {_shown(raw)}", place)
    if value > MAX_COUNT:
        raise InputError(
            f"count {_shown(text)[1:-1]} is implausibly large (more than {MAX_COUNT:.0e} people)", place
        )
    return value


def _popcount(codes: IntArray) -> IntArray:
    out = np.zeros_like(codes)
    c = codes.copy()
    while c.any():
        out += c & 1
        c >>= 1
    return out
