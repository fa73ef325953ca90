"""Read a table file (CSV, XLSX, SPSS ``.sav``, Stata ``.dta``) into a polars DataFrame.

One function, :func:`read_table`, chooses the reader from the file extension. Every problem
becomes a :class:`vigil.errors.InputError` that names the file and, where it can, the row and
column. Row numbers follow what the user sees: for CSV and XLSX the row as a spreadsheet shows
it (the header is row 1, the first record row 2); for SPSS and Stata files the case number
(the first case is row 1). :func:`row_place` builds that text for code that validates a frame
after reading it.

Missing values: empty cells and the texts ``NA``, ``N/A``, ``NaN`` and ``NULL`` are missing in
CSV and XLSX; SPSS/Stata system-missing (and SPSS user-missing) values and empty texts are
missing; floating
``NaN`` is turned into a polars null everywhere, so ``is_null`` finds every missing value.
"""

from __future__ import annotations

import csv
import datetime as dt
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from vigil.errors import InputError
from vigil.io.limits import check_row_count, max_import_rows

NULL_TEXTS: tuple[str, ...] = ("", "NA", "N/A", "NaN", "NULL")
"""Cell texts read as missing values in CSV and XLSX files."""

_FORMATS: dict[str, str] = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".sav": "sav",
    ".zsav": "sav",
    ".dta": "dta",
}


def table_format(path: str | Path) -> str:
    """Return the reader used for ``path`` (``csv``, ``tsv``, ``xlsx``, ``sav`` or ``dta``)."""
    suffix = Path(path).suffix.lower()
    try:
        return _FORMATS[suffix]
    except KeyError:
        known = ", ".join(sorted(_FORMATS))
        raise InputError(
            f"unsupported file type {suffix or '(none)'!r}; use one of {known}", str(path)
        ) from None


def row_place(source: str | Path | None, index: int, column: str | None = None) -> str:
    """Describe where record ``index`` (0-based, as in the DataFrame) sits in ``source``.

    CSV/TSV/XLSX rows are numbered as a spreadsheet shows them (header is row 1); SPSS/Stata
    rows and frames without a file are numbered from 1.
    """
    name = str(source) if source is not None else "data"
    suffix = Path(name).suffix.lower() if source is not None else ""
    offset = 2 if _FORMATS.get(suffix) in {"csv", "tsv", "xlsx"} else 1
    place = f"{name}, row {index + offset}"
    return f"{place}, column {column}" if column is not None else place


def read_table(path: str | Path, *, sheet: str | None = None, value_labels: bool = False) -> pl.DataFrame:
    """Read ``path`` into a DataFrame, choosing the reader from its extension.

    ``sheet`` picks an XLSX worksheet (default: the first). ``value_labels`` replaces SPSS/Stata
    codes by their value labels (default: keep the codes).
    """
    file = Path(path)
    if not file.is_file():
        raise InputError("file not found", str(path))
    kind = table_format(file)
    if kind in {"csv", "tsv"}:
        frame = _read_csv(file, separator="\t" if kind == "tsv" else ",")
    elif kind == "xlsx":
        frame = _read_xlsx(file, sheet)
    else:
        frame = _read_stat(file, kind, value_labels)
    return _nan_to_null(frame)


# --- CSV ---------------------------------------------------------------------------------


def _read_csv(file: Path, separator: str) -> pl.DataFrame:
    header = _csv_header(file, separator)
    _check_header(header, file)
    try:
        frame = pl.read_csv(
            file,
            separator=separator,
            infer_schema_length=None,
            null_values=list(NULL_TEXTS),
            try_parse_dates=False,
            n_rows=max_import_rows() + 1,  # one past the limit is enough to refuse the file
        )
    except pl.exceptions.NoDataError:
        raise InputError("file is empty", str(file)) from None
    except (pl.exceptions.PolarsError, UnicodeDecodeError) as exc:
        raise _csv_problem(file, separator, exc) from None
    _check_row_lengths(file, separator, len(header))
    check_row_count(frame.height, str(file))
    return frame


def _check_row_lengths(file: Path, separator: str, width: int) -> None:
    """Polars fills a short row with missing values; a row with fewer (or more) fields than
    the header is an error naming the row (blank lines are skipped)."""
    with file.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle, delimiter=separator)
        next(reader, None)
        try:
            for record in reader:
                if record and len(record) != width:
                    raise InputError(
                        f"expected {width} fields, found {len(record)}", f"{file}, row {reader.line_num}"
                    )
        except csv.Error as err:
            raise InputError(f"malformed CSV: {err}", f"{file}, row {reader.line_num}") from None


def _csv_header(file: Path, separator: str) -> list[str]:
    try:
        with file.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle, delimiter=separator)
            return next(reader, [])
    except UnicodeDecodeError:
        raise InputError("file is not UTF-8 text", str(file)) from None
    except csv.Error as exc:
        raise InputError(f"cannot read the header: {exc}", f"{file}, row 1") from None


def _check_header(header: Sequence[str], file: Path) -> None:
    if not header:
        raise InputError("file is empty (no header row)", str(file))
    seen: set[str] = set()
    for position, name in enumerate(header, start=1):
        if not name.strip():
            raise InputError(f"column {position} has no name in the header", f"{file}, row 1")
        if name in seen:
            raise InputError(f"column name {name!r} appears twice in the header", f"{file}, row 1")
        seen.add(name)


def _csv_problem(file: Path, separator: str, exc: BaseException) -> InputError:
    """Find the first malformed record with the csv module so the error can name its row."""
    try:
        with file.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle, delimiter=separator)
            header = next(reader, [])
            for number, record in enumerate(reader, start=2):
                if record and len(record) != len(header):
                    return InputError(
                        f"expected {len(header)} fields, found {len(record)}",
                        f"{file}, row {number}",
                    )
    except UnicodeDecodeError:
        return InputError("file is not UTF-8 text", str(file))
    except csv.Error as err:
        return InputError(f"malformed CSV: {err}", str(file))
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return InputError(f"cannot read CSV: {first}", str(file))


# --- XLSX --------------------------------------------------------------------------------


def _read_xlsx(file: Path, sheet: str | None) -> pl.DataFrame:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(file, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise InputError(f"cannot open as an Excel workbook: {exc}", str(file)) from None
    try:
        if sheet is None:
            worksheet = book.worksheets[0]
        elif sheet in book.sheetnames:
            worksheet = book[sheet]
        else:
            names = ", ".join(book.sheetnames)
            raise InputError(f"no sheet named {sheet!r}; sheets are: {names}", str(file))
        rows = _sheet_rows(worksheet, str(file))
    finally:
        book.close()
    place = f"{file}, sheet {worksheet.title}"
    if not rows:
        raise InputError("sheet is empty", place)
    header_cells = rows[0]
    while header_cells and header_cells[-1] is None:
        header_cells.pop()
    header = ["" if cell is None else str(cell).strip() for cell in header_cells]
    _check_header(header, Path(place))
    body = rows[1:]
    while body and all(cell is None for cell in body[-1]):
        body.pop()
    check_row_count(len(body), place)
    width = len(header)
    columns: dict[str, pl.Series] = {}
    for position, name in enumerate(header):
        values = [_xlsx_cell(row[position]) if position < len(row) else None for row in body]
        columns[name] = _xlsx_series(name, values)
    for number, row in enumerate(body, start=2):
        extra = [cell for cell in row[width:] if cell is not None]
        if extra:
            raise InputError(f"value {extra[0]!r} lies outside the named columns", f"{place}, row {number}")
    return pl.DataFrame(columns)


def _sheet_rows(worksheet: Any, source: str) -> list[list[Any]]:
    """The rows of a worksheet, stopping at the first non-blank row past the import limit."""
    limit = max_import_rows()
    rows: list[list[Any]] = []
    filled = 0
    for row in worksheet.iter_rows(values_only=True):
        rows.append(list(row))
        if len(rows) > 1 and any(cell is not None for cell in row):
            filled += 1
            if filled > limit:
                check_row_count(filled, f"{source}, sheet {worksheet.title}")
    return rows


def _xlsx_cell(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip()
        return None if text in NULL_TEXTS else text
    return value


def _xlsx_series(name: str, values: list[Any]) -> pl.Series:
    present = [value for value in values if value is not None]
    if not present:
        return pl.Series(name, [None] * len(values), dtype=pl.String)
    if all(isinstance(v, bool) for v in present):
        return pl.Series(name, values, dtype=pl.Boolean)
    if all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return pl.Series(name, values, dtype=pl.Int64)
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return pl.Series(name, [None if v is None else float(v) for v in values], dtype=pl.Float64)
    if all(isinstance(v, dt.datetime) for v in present):
        return pl.Series(name, values, dtype=pl.Datetime)
    if all(isinstance(v, dt.date) and not isinstance(v, dt.datetime) for v in present):
        return pl.Series(name, values, dtype=pl.Date)
    return pl.Series(name, [_as_text(v) for v in values], dtype=pl.String)


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


# --- SPSS / Stata -------------------------------------------------------------------------


def _read_stat(file: Path, kind: str, value_labels: bool) -> pl.DataFrame:
    import pyreadstat

    reader = pyreadstat.read_sav if kind == "sav" else pyreadstat.read_dta
    label = "SPSS" if kind == "sav" else "Stata"
    try:
        frame, _meta = reader(
            str(file),
            apply_value_formats=value_labels,
            formats_as_category=False,
            output_format="polars",
            row_limit=max_import_rows() + 1,
        )
    except Exception as exc:  # pyreadstat raises its own and OS errors; all mean "unreadable"
        message = str(exc).strip() or type(exc).__name__
        raise InputError(f"cannot read as a {label} file: {message}", str(file)) from None
    if not isinstance(frame, pl.DataFrame):  # pragma: no cover - defensive
        raise InputError(f"cannot read as a {label} file", str(file))
    check_row_count(frame.height, str(file))
    texts = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    # SPSS and Stata have no missing text value: an empty text is the missing one
    return frame.with_columns(
        [pl.when(pl.col(name) == "").then(None).otherwise(pl.col(name)).alias(name) for name in texts]
    )


# --- common ------------------------------------------------------------------------------


def _nan_to_null(frame: pl.DataFrame) -> pl.DataFrame:
    floats = [name for name, dtype in frame.schema.items() if dtype.is_float()]
    if not floats:
        return frame
    return frame.with_columns([pl.col(name).fill_nan(None) for name in floats])


def columns_list(names: Iterable[str], limit: int = 12) -> str:
    """``"a, b, c"`` (shortened with ``…`` after ``limit`` names), for error messages."""
    items = list(names)
    shown = ", ".join(items[:limit])
    return shown + (f", … ({len(items)} in all)" if len(items) > limit else "")
