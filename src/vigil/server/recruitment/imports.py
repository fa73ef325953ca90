"""Imports into the agency registry (issue 9): licensing lists, complaints and fee reports from
CSV or XLSX, used by ``vigil recruiters import`` and the regulator's upload page.

All or nothing: every file of one import is read and stored in one transaction; the first bad
cell stops it with one :class:`vigil.errors.InputError` naming the file, the row (as a
spreadsheet shows it: the header is row 1) and the column, and nothing is stored. Cells are read
as text (a licence number ``00123`` keeps its zeros).

Columns (a header row; other columns are refused, so a misspelt optional column is not silently
ignored):

- ``licences``: legal_name, country, licence_number, issuer, valid_from; optional
  registration_number, valid_to, status (active, suspended, revoked, expired; default active),
  sectors and countries_served (separated by ``;``). An agency is found by country and
  registration number, else by country and legal name; a licence by its number. A changed status
  is written into the licence's history with the file and row as the reason.
- ``complaints``: agency (the name as the complainant gave it), description; optional
  licence_number (to name the agency exactly), complainant_type, severity, status, made_on,
  contact. The agency is linked when the licence number, or the name, designates one agency of the
  registry; otherwise the complaint is kept with the name as given, for review.
- ``fees``: agency, amount, currency, purpose, payee, channel; optional licence_number, paid_on.
  The agency must be in the registry. Each report is classified with ``fair-recruitment-2019``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from vigil.errors import InputError
from vigil.recruitment.fees import category_of
from vigil.recruitment.names import normalise_name
from vigil.server.audit.log import record
from vigil.server.recruitment.models import (
    Agency,
    Complaint,
    FeeReport,
    Licence,
    LicenceStatusChange,
)
from vigil.server.recruitment.services import survivor

KINDS = ("licences", "complaints", "fees")
MAX_ROWS = 100_000

COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "licences": (
        ("legal_name", "country", "licence_number", "issuer", "valid_from"),
        ("registration_number", "valid_to", "status", "sectors", "countries_served"),
    ),
    "complaints": (
        ("agency", "description"),
        ("licence_number", "complainant_type", "severity", "status", "made_on", "contact"),
    ),
    "fees": (
        ("agency", "amount", "currency", "purpose", "payee", "channel"),
        ("licence_number", "paid_on"),
    ),
}


@dataclass
class ImportResult:
    kind: str
    files: list[str] = field(default_factory=list)
    rows: int = 0
    created: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    updated: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def summary(self) -> str:
        parts = [f"{n} {what} created" for what, n in sorted(self.created.items()) if n]
        parts += [f"{n} {what} updated" for what, n in sorted(self.updated.items()) if n]
        return f"{self.rows} row(s) of {self.kind} from {', '.join(self.files)}: " + (
            ", ".join(parts) or "nothing changed"
        )


# --- reading -------------------------------------------------------------------------------


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _csv_rows(data: bytes, name: str) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError("not UTF-8 text", f"{name}, row {line}") from None
    if "\x00" in text:
        raise InputError("not a text file (NUL bytes)", name)
    try:
        return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text, newline=""))]
    except csv.Error as exc:
        raise InputError(f"not valid CSV ({exc})", name) from None


def _xlsx_rows(data: bytes, name: str) -> list[list[str]]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, Exception) as exc:  # also XML ParseError, zlib.error
        raise InputError(f"cannot open as an Excel workbook ({type(exc).__name__})", name) from None
    try:
        sheet = book.worksheets[0]
        rows = []
        for row in sheet.iter_rows(values_only=True):
            rows.append([_cell_text(v) for v in row])
            if len(rows) > MAX_ROWS + 1:
                break
    except Exception as exc:  # a corrupt sheet: XML ParseError, BadZipFile, zlib.error...
        raise InputError(f"cannot read the first sheet ({type(exc).__name__})", name) from None
    finally:
        book.close()
    for row in rows:  # openpyxl pads rows to the sheet's width
        while row and row[-1] == "":
            row.pop()
    return rows


def read_rows(data: bytes, name: str, kind: str) -> list[tuple[int, dict[str, str]]]:
    """(row number, cells by column) of a CSV or XLSX file for an import of ``kind``."""
    required, optional = COLUMNS[kind]
    low = name.lower()
    if low.endswith((".xlsx", ".xlsm")):
        rows = _xlsx_rows(data, name)
    elif low.endswith((".csv", ".txt")):
        rows = _csv_rows(data, name)
    else:
        raise InputError("unsupported file type: use .csv or .xlsx", name)
    if not rows or not any(rows[0]):
        raise InputError("empty file: expected a header row", name)
    if len(rows) > MAX_ROWS + 1:
        raise InputError(f"more than {MAX_ROWS} rows: split the file", name)
    header = [h.strip().lower() for h in rows[0]]
    while header and header[-1] == "":
        header.pop()
    for col, h in enumerate(header, start=1):
        if not h:
            raise InputError("a column has no name", f"{name}, row 1, column {col}")
        if h not in required and h not in optional:
            raise InputError(
                f"unknown column {h[:60]!r} (columns of a {kind} import: {', '.join(required + optional)})",
                f"{name}, row 1",
            )
        if header.index(h) != col - 1:
            raise InputError(f"column {h!r} appears twice", f"{name}, row 1")
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(f"missing column {missing[0]!r}", f"{name}, row 1")
    out: list[tuple[int, dict[str, str]]] = []
    for n, row in enumerate(rows[1:], start=2):
        if not any(row):
            continue
        if len(row) > len(header) and any(row[len(header) :]):
            raise InputError(f"{len(row)} cells, the header has {len(header)}", f"{name}, row {n}")
        cells = {h: (row[i] if i < len(row) else "") for i, h in enumerate(header)}
        out.append((n, cells))
    return out


# --- cells ---------------------------------------------------------------------------------


class _Row:
    def __init__(self, name: str, n: int, cells: dict[str, str]) -> None:
        self.name, self.n, self.cells = name, n, cells

    def place(self, column: str | None = None) -> str:
        where = f"{self.name}, row {self.n}"
        return f"{where}, column {column}" if column else where

    def fail(self, column: str | None, message: str) -> InputError:
        return InputError(message, self.place(column))

    def text(self, column: str, *, required: bool = False, max_length: int = 200) -> str:
        value = self.cells.get(column, "").strip()
        if required and not value:
            raise self.fail(column, "empty: a value is required")
        if len(value) > max_length:
            raise self.fail(column, f"longer than {max_length} characters")
        return value

    def date(self, column: str, *, required: bool = False) -> dt.date | None:
        value = self.text(column, required=required, max_length=40)
        if not value:
            return None
        try:
            return dt.date.fromisoformat(value[:10] if "T" in value else value)
        except ValueError:
            raise self.fail(column, "expected an ISO date (YYYY-MM-DD)") from None

    def choice(self, column: str, choices: Sequence[str], default: str) -> str:
        value = self.text(column, max_length=40).lower().replace(" ", "_").replace("-", "_") or default
        if value not in choices:
            raise self.fail(column, f"expected one of {', '.join(choices)}")
        return value

    def country(self, column: str, *, required: bool = False) -> str:
        value = self.text(column, required=required, max_length=40).upper()
        if value and (len(value) != 3 or not value.isalpha() or not value.isascii()):
            raise self.fail(column, "expected an ISO 3166-1 alpha-3 code such as NPL")
        return value

    def codes(self, column: str, *, country: bool = False) -> list[str] | None:
        raw = self.text(column, max_length=1000)
        if not raw:
            return None
        items = [p.strip().upper() for p in raw.replace(",", ";").split(";") if p.strip()]
        for item in items:
            if country and (len(item) != 3 or not item.isalpha() or not item.isascii()):
                raise self.fail(column, f"{item[:20]!r} is not an ISO 3166-1 alpha-3 code")
            if not country and (len(item) > 8 or not item.isalnum()):
                raise self.fail(column, f"{item[:20]!r} is not an ISIC code")
        return items


# --- the three kinds -------------------------------------------------------------------------


class _Registry:
    """Agencies by licence number, registration number and normalised name, kept current as the
    import creates agencies."""

    def __init__(self) -> None:
        self.by_name: dict[str, list[Agency]] = defaultdict(list)
        for a in Agency.objects.filter(merged_into__isnull=True):
            self.by_name[normalise_name(a.legal_name)].append(a)

    def add(self, agency: Agency) -> None:
        self.by_name[normalise_name(agency.legal_name)].append(agency)

    def find(self, row: _Row, name_column: str) -> Agency | None:
        """The agency the row names: its licence number if given (must exist), else a name
        that designates exactly one agency."""
        number = row.text("licence_number", max_length=64)
        if number:
            lic = Licence.objects.filter(number__iexact=number).select_related("agency").first()
            if lic is None:
                raise row.fail("licence_number", f"no licence {number[:64]!r} in the registry")
            return lic.agency
        name = row.text(name_column, required=True)
        found = self.by_name.get(normalise_name(name), [])
        return found[0] if len(found) == 1 else None


def _import_licences(row: _Row, reg: _Registry, result: ImportResult, seen: dict[str, str]) -> None:
    legal_name = row.text("legal_name", required=True)
    country = row.country("country", required=True)
    number = row.text("licence_number", required=True, max_length=64)
    issuer = row.text("issuer", required=True)
    valid_from = row.date("valid_from", required=True)
    valid_to = row.date("valid_to")
    status = row.choice("status", Licence.Status.values, Licence.Status.ACTIVE)
    registration = row.text("registration_number", max_length=64)
    sectors = row.codes("sectors")
    served = row.codes("countries_served", country=True)
    assert valid_from is not None
    if valid_to is not None and valid_to < valid_from:
        raise row.fail("valid_to", "the end of validity is before its start (valid_from)")
    key = number.upper()
    if key in seen:
        raise row.fail("licence_number", f"licence {number!r} appears twice (also at {seen[key]})")
    seen[key] = f"{row.name}, row {row.n}"

    agency = None
    if registration:
        agency = Agency.objects.filter(country=country, registration_number=registration).first()
        agency = survivor(agency) if agency is not None else None
    if agency is None:
        agency = (
            Agency.objects.filter(country=country, legal_name__iexact=legal_name, merged_into__isnull=True)
            .order_by("pk")
            .first()
        )
        if agency is not None and registration and agency.registration_number not in ("", registration):
            agency = None  # same name, another registration: another agency
    if agency is None:
        agency = Agency.objects.create(
            legal_name=legal_name,
            registration_number=registration,
            country=country,
            sectors=sectors or [],
            countries_served=served or [],
        )
        reg.add(agency)
        result.created["agencies"] += 1
    else:
        changed = []
        for attr, value in (
            ("legal_name", legal_name),
            ("registration_number", registration or agency.registration_number),
            ("sectors", sectors if sectors is not None else agency.sectors),
            ("countries_served", served if served is not None else agency.countries_served),
        ):
            if getattr(agency, attr) != value:
                setattr(agency, attr, value)
                changed.append(attr)
        if changed:
            agency.save(update_fields=changed)
            result.updated["agencies"] += 1

    licence = Licence.objects.filter(number__iexact=number).first()
    if licence is None:
        licence = Licence.objects.create(
            agency=agency,
            number=number,
            issuer=issuer,
            valid_from=valid_from,
            valid_to=valid_to,
            status=status,
        )
        LicenceStatusChange.objects.create(
            licence=licence, from_status="", to_status=status, reason=f"imported from {row.place()}"
        )
        result.created["licences"] += 1
        return
    if licence.agency_id != agency.pk:
        raise row.fail(
            "licence_number",
            f"licence {number!r} belongs to another agency in the registry (#{licence.agency_id})",
        )
    changed = [
        attr
        for attr, value in (("issuer", issuer), ("valid_from", valid_from), ("valid_to", valid_to))
        if getattr(licence, attr) != value
    ]
    for attr in changed:
        setattr(licence, attr, {"issuer": issuer, "valid_from": valid_from, "valid_to": valid_to}[attr])
    if licence.status != status:
        LicenceStatusChange.objects.create(
            licence=licence,
            from_status=licence.status,
            to_status=status,
            reason=f"imported from {row.place()}",
        )
        licence.status = status
        changed.append("status")
    if changed:
        licence.save(update_fields=changed)
        result.updated["licences"] += 1


def _import_complaint(row: _Row, reg: _Registry, result: ImportResult, _seen: dict[str, str]) -> None:
    name = row.text("agency", required=True)
    description = row.text("description", required=True, max_length=5000)
    agency = reg.find(row, "agency")
    complaint = Complaint(
        agency=agency,
        agency_name_given=name,
        complainant_type=row.choice(
            "complainant_type", Complaint.ComplainantType.values, Complaint.ComplainantType.ANONYMOUS
        ),
        description=description,
        contact=row.text("contact", max_length=300),
        severity=row.choice("severity", Complaint.Severity.values, Complaint.Severity.MEDIUM),
        status=row.choice("status", Complaint.Status.values, Complaint.Status.RECEIVED),
    )
    made_on = row.date("made_on")
    if made_on is not None:
        complaint.made_on = made_on
    complaint.save()
    result.created["complaints"] += 1
    if agency is None:
        result.created["complaints without a registry agency"] += 1


def _import_fee(row: _Row, reg: _Registry, result: ImportResult, _seen: dict[str, str]) -> None:
    agency = reg.find(row, "agency")
    if agency is None:
        raise row.fail("agency", "no single agency of the registry has this name (give its licence_number)")
    raw = row.text("amount", required=True, max_length=40).replace(",", "")
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        raise row.fail("amount", "expected a number") from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e10"):
        raise row.fail("amount", "expected a number >= 0 and below 10,000,000,000")
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise row.fail("amount", "at most two decimal places")
    currency = row.text("currency", required=True, max_length=10).upper()
    if len(currency) != 3 or not currency.isalpha() or not currency.isascii():
        raise row.fail("currency", "expected an ISO 4217 code such as USD")
    purpose = row.text("purpose", required=True)
    if category_of(purpose) is None:
        raise row.fail(
            "purpose",
            "names no ILO cost category (use RF, RC1-RC7, IC or words such as "
            "'placement fee', 'medical', 'flight', 'visa', 'bond')",
        )
    report = FeeReport(
        agency=agency,
        amount=amount,
        currency=currency,
        purpose=purpose,
        payee=row.choice("payee", FeeReport.Payee.values, ""),
        channel=row.choice("channel", FeeReport.Channel.values, ""),
        paid_on=row.date("paid_on"),
    )
    try:
        report.save()
    except ValueError as exc:
        raise row.fail(None, str(exc)) from None
    result.created["fee reports"] += 1
    if report.breach:
        result.created["fee breaches"] += 1


_IMPORTERS = {"licences": _import_licences, "complaints": _import_complaint, "fees": _import_fee}
_AUDIT_TYPE = {"licences": "licence", "complaints": "complaint", "fees": "fee_report"}


def import_files(
    kind: str, files: Sequence[tuple[str, bytes]], *, user: Any = None, via: str = "cli", request: Any = None
) -> ImportResult:
    """Read and store every file (name, content) of one import in one transaction; the first
    bad cell raises :class:`InputError` and nothing is stored."""
    if kind not in _IMPORTERS:
        raise InputError(f"unknown import {kind!r}: use one of {', '.join(KINDS)}")
    parsed = [(name, read_rows(data, name, kind)) for name, data in files]  # every file read first
    result = ImportResult(kind, [name for name, _ in files])
    importer = _IMPORTERS[kind]
    with transaction.atomic():
        reg = _Registry()
        seen: dict[str, str] = {}
        for name, rows in parsed:
            for n, cells in rows:
                importer(_Row(name, n, cells), reg, result, seen)
                result.rows += 1
        if kind == "licences":  # names that may be one agency go to the review queue
            from vigil.server.recruitment.services import find_name_pairs

            result.created["name pairs to review"] += find_name_pairs()
        record(
            "import",
            user=user,
            object_type=_AUDIT_TYPE[kind],
            via=via,
            request=request,
            detail={
                "kind": kind,
                "files": len(files),
                "rows": result.rows,
                "created": dict(result.created),
                "updated": dict(result.updated),
            },
        )
    return result
