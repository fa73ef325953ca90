"""Reading a workplace register (CSV or XLSX) and a file of past findings, with errors naming
the file, the row (as a spreadsheet numbers it: the header is row 1) and the column.

Register columns: ``name`` and ``sector`` (ISIC Rev.4: a section letter or a code of 2 to 4
digits) are required; ``id``, ``registration_number``, ``region``, ``address``, ``size``,
``open_complaints``, ``recruiters`` (registration numbers of recruitment agencies, ``;``
between them), ``unregistered_recruiters``, ``unlicensed_recruiters``, ``breaching_recruiters``,
``buyers`` (``;`` between them), ``supply_exposure`` (0 to 1) and ``last_visit`` (YYYY-MM-DD)
are optional. No column may record a worker's migration status (the register is of workplaces).

Findings columns: ``workplace`` (the register's ``id`` or ``registration_number``), ``kind``
(``violation``, ``indicator``, ``forced_labour``) and ``found_on`` (YYYY-MM-DD).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from vigil.errors import InputError
from vigil.inspections.planning import FINDING_KINDS, PastFinding, Workplace, isic_section

__all__ = ["REGISTER_COLUMNS", "RegisterRow", "read_findings", "read_register", "to_planning"]

REQUIRED = ("name", "sector")
OPTIONAL = (
    "id", "registration_number", "region", "address", "size", "open_complaints", "recruiters",
    "unregistered_recruiters", "unlicensed_recruiters", "breaching_recruiters", "buyers",
    "supply_exposure", "last_visit",
)  # fmt: skip
REGISTER_COLUMNS = REQUIRED + OPTIONAL
MAX_ROWS = 1_000_000


@dataclass(frozen=True)
class RegisterRow:
    row: int
    id: str
    name: str
    sector: str
    registration_number: str = ""
    region: str = ""
    address: str = ""
    size: int | None = None
    open_complaints: int = 0
    recruiters: tuple[str, ...] = ()
    unregistered_recruiters: int = 0
    unlicensed_recruiters: int = 0
    breaching_recruiters: int = 0
    buyers: tuple[str, ...] = ()
    supply_exposure: float | None = None
    last_visit: date | None = None


def _rows(path: str | Path) -> tuple[str, list[tuple[int, dict[str, Any]]]]:
    """(file name, [(row number, {column: raw cell})]) of a CSV (every cell text) or XLSX file."""
    file = Path(path)
    name = file.name
    if not file.is_file():
        raise InputError("file not found" if not file.exists() else "not a file", name)
    suffix = file.suffix.lower()
    if suffix == ".xlsx":
        return name, _xlsx_rows(file)
    if suffix not in (".csv", ".txt"):
        raise InputError(f"unsupported file type {suffix or '(none)'!r}; use .csv or .xlsx", name)
    try:
        text = file.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = file.read_bytes()[: exc.start].count(b"\n") + 1
        raise InputError("not UTF-8 text", f"{name}, row {line}") from None
    try:
        rows = list(csv.reader(text.splitlines()))
    except csv.Error as exc:
        raise InputError(f"not valid CSV ({exc})", name) from None
    if not rows or not any(c.strip() for c in rows[0]):
        raise InputError("empty file: expected a header row", name)
    header = [h.strip() for h in rows[0]]
    out: list[tuple[int, dict[str, Any]]] = []
    for n, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        if len(row) != len(header):
            raise InputError(f"{len(row)} cells, the header has {len(header)}", f"{name}, row {n}")
        out.append((n, {h: c.strip() for h, c in zip(header, row, strict=True)}))
    return name, [(0, {"": header}), *out]


def _xlsx_rows(file: Path) -> list[tuple[int, dict[str, Any]]]:
    import zipfile

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(file, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise InputError(f"cannot open as an Excel workbook ({type(exc).__name__})", file.name) from None
    except Exception as exc:  # a damaged archive fails in zlib or the XML parser
        raise InputError(f"cannot read the workbook ({type(exc).__name__})", file.name) from None
    try:
        rows = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    except Exception as exc:  # a damaged workbook fails while its sheet is read (zlib, XML)
        raise InputError(f"cannot read the workbook's sheet ({type(exc).__name__})", file.name) from None
    finally:
        book.close()
    if not rows or not any(c is not None for c in rows[0]):
        raise InputError("empty sheet: expected a header row", file.name)
    header = ["" if c is None else str(c).strip() for c in rows[0]]
    while header and not header[-1]:
        header.pop()
    out: list[tuple[int, dict[str, Any]]] = [(0, {"": header})]
    for n, row in enumerate(rows[1:], start=2):
        if all(c is None or (isinstance(c, str) and not c.strip()) for c in row):
            continue
        extra = [c for c in row[len(header) :] if c is not None]
        if extra:
            raise InputError("a value lies outside the named columns", f"{file.name}, row {n}")
        cells = {h: (row[i] if i < len(row) else None) for i, h in enumerate(header)}
        out.append(
            (n, {h: ("" if v is None else v.strip() if isinstance(v, str) else v) for h, v in cells.items()})
        )
    return out


def _header(name: str, header: list[str], required: tuple[str, ...], known: tuple[str, ...]) -> None:
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(f"missing column {missing[0]!r} (columns: {', '.join(header)})", f"{name}, row 1")
    unknown = [c for c in header if c and c not in known]
    if unknown:
        raise InputError(f"unknown column {unknown[0][:40]!r} (known: {', '.join(known)})", f"{name}, row 1")
    dup = [c for c in header if c and header.count(c) > 1]
    if dup:
        raise InputError(f"column {dup[0]!r} given twice", f"{name}, row 1")


def _text(value: Any, place: str, limit: int = 200) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip() if value is not None else ""
    if len(text) > limit:
        raise InputError(f"longer than {limit} characters", place)
    return text


def _count(value: Any, place: str, limit: int = 1_000_000) -> int:
    if value in ("", None):
        return 0
    if isinstance(value, bool):
        raise InputError("expected a whole number >= 0", place)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    try:
        n = int(str(value).strip())
    except ValueError:
        raise InputError("expected a whole number >= 0", place) from None
    if not 0 <= n <= limit:
        raise InputError(f"expected a whole number from 0 to {limit:,}", place)
    return n


def _day(value: Any, place: str) -> date | None:
    if value in ("", None):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise InputError("expected an ISO date (YYYY-MM-DD)", place) from None


def _sector(value: Any, place: str) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        digits = str(int(value)) if float(value).is_integer() else ""
        if len(digits) not in (2, 4):
            raise InputError("write the ISIC code as text (a spreadsheet drops its leading zero)", place)
        value = digits
    code = _text(value, place, 8).upper()
    if not code:
        raise InputError("empty sector: give an ISIC Rev.4 section (A-U) or code", place)
    if isic_section(code) is None:
        raise InputError(f"{code[:8]!r} is not an ISIC Rev.4 section (A-U) or code of 2 to 4 digits", place)
    return code


def read_register(path: str | Path) -> list[RegisterRow]:
    """The rows of a workplace register; the whole file is checked before anything is returned."""
    name, rows = _rows(path)
    header = list(rows[0][1][""])
    _header(name, header, REQUIRED, REGISTER_COLUMNS)
    if len(rows) - 1 > MAX_ROWS:
        raise InputError(f"more than {MAX_ROWS:,} rows", name)
    out: list[RegisterRow] = []
    seen_ids: dict[str, int] = {}
    seen_reg: dict[str, int] = {}
    for n, cells in rows[1:]:

        def at(col: str, n: int = n) -> str:
            return f"{name}, row {n}, column {col}"

        wname = _text(cells.get("name"), at("name"))
        if not wname:
            raise InputError("empty name", at("name"))
        reg = _text(cells.get("registration_number", ""), at("registration_number"), 64)
        wid = _text(cells.get("id", ""), at("id"), 64) or reg or f"row-{n}"
        if wid in seen_ids:
            raise InputError(f"id {wid[:40]!r} already on row {seen_ids[wid]}", at("id"))
        seen_ids[wid] = n
        if reg:
            if reg in seen_reg:
                raise InputError(
                    f"registration number already on row {seen_reg[reg]}", at("registration_number")
                )
            seen_reg[reg] = n
        exposure: float | None = None
        raw = cells.get("supply_exposure", "")
        if raw not in ("", None):
            try:
                exposure = float(str(raw).strip())
            except ValueError:
                raise InputError("expected a number from 0 to 1", at("supply_exposure")) from None
            if not (math.isfinite(exposure) and 0 <= exposure <= 1):
                raise InputError("expected a number from 0 to 1", at("supply_exposure"))
        size_raw = cells.get("size", "")
        out.append(
            RegisterRow(
                row=n,
                id=wid,
                name=wname,
                sector=_sector(cells.get("sector"), at("sector")),
                registration_number=reg,
                region=_text(cells.get("region", ""), at("region"), 64),
                address=_text(cells.get("address", ""), at("address"), 500),
                size=None if size_raw in ("", None) else _count(size_raw, at("size")),
                open_complaints=_count(cells.get("open_complaints"), at("open_complaints"), 100_000),
                recruiters=tuple(
                    r.strip()
                    for r in _text(cells.get("recruiters", ""), at("recruiters"), 2000).split(";")
                    if r.strip()
                ),
                unregistered_recruiters=_count(
                    cells.get("unregistered_recruiters"), at("unregistered_recruiters"), 1000
                ),
                unlicensed_recruiters=_count(
                    cells.get("unlicensed_recruiters"), at("unlicensed_recruiters"), 1000
                ),
                breaching_recruiters=_count(
                    cells.get("breaching_recruiters"), at("breaching_recruiters"), 1000
                ),
                buyers=tuple(
                    b.strip()
                    for b in _text(cells.get("buyers", ""), at("buyers"), 2000).split(";")
                    if b.strip()
                ),
                supply_exposure=exposure,
                last_visit=_day(cells.get("last_visit"), at("last_visit")),
            )
        )
    if not out:
        raise InputError("no workplace in the file", name)
    return out


def to_planning(rows: list[RegisterRow]) -> list[Workplace]:
    """The register as the plan reads it without a server: recruiters named but not checked
    against a registry count with the unlicensed ones given."""
    return [
        Workplace(
            r.id,
            r.name,
            r.sector,
            r.region,
            r.open_complaints,
            r.unlicensed_recruiters + r.unregistered_recruiters,
            r.breaching_recruiters,
            r.supply_exposure,
            r.last_visit,
        )
        for r in rows
    ]


def read_findings(path: str | Path, rows: list[RegisterRow]) -> list[PastFinding]:
    """Past findings naming the register's workplaces by ``id`` or ``registration_number``."""
    name, table = _rows(path)
    _header(name, list(table[0][1][""]), ("workplace", "kind", "found_on"), ("workplace", "kind", "found_on"))
    by_key = {r.id: r.id for r in rows}
    by_key.update({r.registration_number: r.id for r in rows if r.registration_number})
    out = []
    for n, cells in table[1:]:
        place = f"{name}, row {n}, column "
        key = _text(cells.get("workplace"), place + "workplace", 64)
        if key not in by_key:
            raise InputError(f"no workplace {key[:40]!r} in the register", place + "workplace")
        kind = _text(cells.get("kind"), place + "kind", 32).lower()
        if kind not in FINDING_KINDS:
            raise InputError(f"kind must be one of {', '.join(FINDING_KINDS)}", place + "kind")
        day = _day(cells.get("found_on"), place + "found_on")
        if day is None:
            raise InputError("a finding needs its date", place + "found_on")
        out.append(PastFinding(by_key[key], kind, day))
    return out
