"""``vigil recruiters``: screen job offers, classify fees, match agency names, rank agencies.

Every command reads and checks its whole input before it prints or writes anything; bad
input is one line naming the file and the place (line, row, column) and exit status 2.
"""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from vigil.cli.main import app
from vigil.errors import InputError
from vigil.io.limits import check_row_count
from vigil.io.records import parse_json_line, text_lines
from vigil.recruitment import NO_SIGN_MESSAGE, OfferScreen, load_signs, screen_offer

recruiters_app = typer.Typer(
    help="Prevent at the source: job-offer screening, fees, agency matching and risk.",
    no_args_is_help=True,
)
app.add_typer(recruiters_app, name="recruiters")


class OfferLang(str, Enum):
    auto = "auto"
    en = "en"
    fr = "fr"


class OfferFormat(str, Enum):
    text = "text"
    json = "json"
    jsonl = "jsonl"


def _name(path: str) -> str:
    return "stdin" if path == "-" else Path(path).name


def read_offers(path: str) -> list[tuple[Any, str]]:
    """(id, text) of each offer: a JSON Lines file of ``{"id": ..., "text": ...}`` (by the
    ``.jsonl``/``.ndjson`` suffix, or when the first line is such an object), else the whole
    file is one offer whose id is the file name."""
    name = _name(path)
    if path != "-" and not Path(path).is_file():
        raise InputError("file not found" if not Path(path).exists() else "not a file", name)
    try:
        lines = list(text_lines(path))
    except OSError as exc:
        raise InputError(f"cannot read file: {type(exc).__name__}", name) from None
    first = next((ln for ln in lines if ln.strip()), "")
    jsonl = path.lower().endswith((".jsonl", ".ndjson"))
    if not jsonl and first.lstrip().startswith("{"):
        try:
            obj = json.loads(first)
            jsonl = isinstance(obj, dict) and "text" in obj
        except (json.JSONDecodeError, RecursionError):
            jsonl = False
    if not jsonl:
        text = "".join(lines)
        if not text.strip():
            raise InputError("empty file: no offer to check", name)
        return [(Path(path).stem if path != "-" else "stdin", text)]
    offers: list[tuple[Any, str]] = []
    for n, line in enumerate(lines, start=1):
        place = f"{name}, line {n}"
        if not line.strip():
            continue
        obj = parse_json_line(line, place)
        if not isinstance(obj, dict):
            raise InputError('expected an object {"id": ..., "text": ...}', place)
        if "id" not in obj:
            raise InputError("missing key 'id'", place)
        if not isinstance(obj["id"], str | int) or isinstance(obj["id"], bool):
            raise InputError("key 'id': expected a string or an integer", place)
        if "text" not in obj:
            raise InputError("missing key 'text'", place)
        if not isinstance(obj["text"], str):
            raise InputError("key 'text': expected a string", place)
        offers.append((obj["id"], obj["text"]))
        check_row_count(len(offers), name)
    if not offers:
        raise InputError("empty file: no offer to check", name)
    return offers


def _text_report(r: OfferScreen, title: str) -> str:
    head = f"offer {r.id} ({r.lang}, {title} {r.version})"
    if not r.signs:
        return f"{head}: {NO_SIGN_MESSAGE}\n"
    n = len(r.signs)
    out = [f"{head}: {n} warning sign{'s' if n > 1 else ''} (a reason to look closer, not a conclusion)"]
    for s in r.signs:
        out.append(f"  {s}: the offer {r.descriptions.get(s, '')}")
        out.append("    words: " + "; ".join(f'"{p}"' for p in r.evidence[s]))
    return "\n".join(out) + "\n"


@recruiters_app.command("check-offer")
def check_offer(
    file: Annotated[
        str, typer.Argument(metavar="FILE", help="a text file (one offer) or JSONL of {id, text}")
    ],
    lang: Annotated[
        OfferLang, typer.Option("--lang", help="language of the offers; auto detects en/fr")
    ] = OfferLang.auto,
    fmt: Annotated[OfferFormat, typer.Option("--format")] = OfferFormat.text,
    signs_file: Annotated[
        Path | None, typer.Option("--signs", help="a warning-sign YAML file instead of the shipped one")
    ] = None,
) -> None:
    """Screen job offers for warning signs of deceptive or coercive recruitment."""
    signset = load_signs(signs_file)
    offers = read_offers(file)
    results = [screen_offer(text, lang=lang.value, signs=signset, offer_id=oid) for oid, text in offers]
    out = sys.stdout
    if fmt is OfferFormat.jsonl:
        for r in results:
            out.write(json.dumps(r.to_dict(), ensure_ascii=False) + "\n")
    elif fmt is OfferFormat.json:
        payload = [
            {
                **r.to_dict(),
                "lang": r.lang,
                "signset": signset.id,
                "descriptions": {s: r.descriptions[s] for s in r.signs},
                **({} if r.signs else {"message": NO_SIGN_MESSAGE}),
            }
            for r in results
        ]
        out.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    else:
        for r in results:
            out.write(_text_report(r, signset.id))
    out.flush()


# --- shared CSV reading ----------------------------------------------------------------------


def read_csv_rows(
    path: str, required: tuple[str, ...], optional: tuple[str, ...] = ()
) -> list[tuple[int, dict[str, str]]]:
    """(row number, cells) of a CSV file with a header; row 1 is the header. Refuses a missing
    file, bytes that are not UTF-8, a missing column and a row of the wrong width."""
    import csv

    name = _name(path)
    file = Path(path)
    if not file.is_file():
        raise InputError("file not found" if not file.exists() else "not a file", name)
    try:
        text = file.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = file.read_bytes()[: exc.start].count(b"\n") + 1
        raise InputError("not UTF-8 text", f"{name}, row {line}") from None
    except OSError as exc:
        raise InputError(f"cannot read file: {type(exc).__name__}", name) from None
    try:
        rows = list(csv.reader(text.splitlines()))
    except csv.Error as exc:
        raise InputError(f"not valid CSV ({exc})", name) from None
    if not rows or not any(c.strip() for c in rows[0]):
        raise InputError("empty file: expected a header row", name)
    header = [h.strip() for h in rows[0]]
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(f"missing column {missing[0]!r} (columns: {', '.join(header)})", f"{name}, row 1")
    out: list[tuple[int, dict[str, str]]] = []
    for n, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        if len(row) != len(header):
            raise InputError(f"{len(row)} cells, the header has {len(header)}", f"{name}, row {n}")
        out.append(
            (n, {h: c.strip() for h, c in zip(header, row, strict=True) if h in required or h in optional})
        )
        check_row_count(len(out), name)
    return out


def _write_csv(rows: list[list[Any]], header: list[str], out: Path | None) -> None:
    import csv
    import io
    import os
    import tempfile

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    if out is None:
        sys.stdout.write(buf.getvalue())
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(buf.getvalue())
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --- match -----------------------------------------------------------------------------------


@recruiters_app.command("match")
def match_cmd(
    names_file: Annotated[str, typer.Argument(metavar="NAMES.csv", help="columns id, name[, country]")],
    registry_file: Annotated[str, typer.Option("--registry", help="REG.csv: columns id, name[, country]")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="write the CSV here")] = None,
    match_at: Annotated[float, typer.Option("--match-at", help="score for a match (0-100)")] = 90.0,
    review_at: Annotated[float, typer.Option("--review-at", help="score for a review (0-100)")] = 75.0,
) -> None:
    """Match agency names against a registry (same country), with a score and a decision."""
    from vigil.recruitment.names import Party, match

    if not 0 <= review_at <= match_at <= 100:
        raise InputError("--review-at and --match-at must satisfy 0 <= review-at <= match-at <= 100")
    parties = []
    for path in (registry_file, names_file):
        got = []
        for n, row in read_csv_rows(path, ("id", "name"), ("country",)):
            for col in ("id", "name"):
                if not row[col]:
                    raise InputError(f"empty {col}", f"{_name(path)}, row {n}, column {col}")
            got.append(Party(row["id"], row["name"], row.get("country", "")))
        parties.append(got)
    registry, names = parties
    results = match(names, registry, match_at=match_at, review_at=review_at)
    _write_csv(
        [[r.id, r.name, r.match_id or "", r.match_name or "", f"{r.score:.1f}", r.decision] for r in results],
        ["id", "name", "match_id", "match_name", "score", "decision"],
        output,
    )


# --- risk ------------------------------------------------------------------------------------


def _int_cell(value: Any, place: str) -> int:
    if value in ("", None):
        return 0
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise InputError("expected a whole number >= 0", place) from None
    if n < 0 or isinstance(value, bool):
        raise InputError("expected a whole number >= 0", place)
    return n


def _date_cell(value: Any, place: str) -> Any:
    from datetime import date

    if value in ("", None):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InputError("expected an ISO date (YYYY-MM-DD)", place) from None


def _agency(obj: dict[str, Any], place: str) -> Any:
    from vigil.recruitment.risk import LICENCE_STATUSES, SEVERITIES, Agency, Complaint

    if not str(obj.get("id") or "").strip():
        raise InputError("missing id", f"{place}, column id")
    status = str(obj.get("licence_status") or "unknown").strip().lower()
    if status not in LICENCE_STATUSES:
        raise InputError(
            f"licence_status must be one of {', '.join(LICENCE_STATUSES)}", f"{place}, column licence_status"
        )
    raw = obj.get("complaints") or []
    if isinstance(raw, str):  # CSV: "high:2025-01-03;low:2024-02-01"
        raw = [
            dict(zip(("severity", "date"), p.split(":", 1), strict=False))
            for p in raw.split(";")
            if p.strip()
        ]
    if not isinstance(raw, list):
        raise InputError("complaints must be a list", f"{place}, column complaints")
    complaints = []
    for k, cm in enumerate(raw, start=1):
        where = f"{place}, column complaints, item {k}"
        if not isinstance(cm, dict) or str(cm.get("severity", "")).strip().lower() not in SEVERITIES:
            raise InputError(f"severity must be one of {', '.join(SEVERITIES)}", where)
        when = _date_cell(str(cm.get("date", "")).strip(), where)
        if when is None:
            raise InputError("a complaint needs a date", where)
        complaints.append(Complaint(str(cm["severity"]).strip().lower(), when))
    return Agency(
        id=str(obj["id"]).strip(),
        name=str(obj.get("name") or ""),
        licence_status=status,
        fee_breaches=_int_cell(obj.get("fee_breaches"), f"{place}, column fee_breaches"),
        complaints=tuple(complaints),
        deceptive_offers=_int_cell(obj.get("deceptive_offers"), f"{place}, column deceptive_offers"),
        trafficking_cases=_int_cell(obj.get("trafficking_cases"), f"{place}, column trafficking_cases"),
        last_inspection=_date_cell(obj.get("last_inspection"), f"{place}, column last_inspection"),
    )


AGENCY_COLUMNS = (
    "name",
    "licence_status",
    "fee_breaches",
    "complaints",
    "deceptive_offers",
    "trafficking_cases",
    "last_inspection",
)


@recruiters_app.command("risk")
def risk_cmd(
    agencies_file: Annotated[str, typer.Argument(metavar="AGENCIES.json|csv")],
    fmt: Annotated[OfferFormat, typer.Option("--format")] = OfferFormat.text,
    as_of: Annotated[str | None, typer.Option("--as-of", help="date of the score (YYYY-MM-DD)")] = None,
) -> None:
    """Rank agencies by an explained risk score (a worklist for inspection, not a finding)."""
    from vigil.recruitment.risk import load_weights, rank

    day = _date_cell(as_of, "--as-of") if as_of else None
    name = _name(agencies_file)
    agencies = []
    if agencies_file.lower().endswith(".json"):
        file = Path(agencies_file)
        if not file.is_file():
            raise InputError("file not found", name)
        try:
            data = json.loads(file.read_text(encoding="utf-8-sig"))
        except UnicodeDecodeError:
            raise InputError("not UTF-8 text", name) from None
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid JSON ({exc.msg})", f"{name}, line {exc.lineno}") from None
        if not isinstance(data, list):
            raise InputError("expected a JSON list of agencies", name)
        for k, obj in enumerate(data, start=1):
            if not isinstance(obj, dict):
                raise InputError("expected an object", f"{name}, item {k}")
            agencies.append(_agency(obj, f"{name}, item {k}"))
    else:
        for n, row in read_csv_rows(agencies_file, ("id",), AGENCY_COLUMNS):
            agencies.append(_agency(dict(row), f"{name}, row {n}"))
    ranked = rank(agencies, load_weights(), as_of=day)
    if fmt is OfferFormat.text:
        for i, r in enumerate(ranked, start=1):
            print(f"{i}. {r.agency_id} {r.name}: score {r.score:g}")
            for c in r.components:
                if c.points:
                    print(f"     +{c.points:g} {c.name}: {c.reason}")
        return
    dicts = [r.to_dict() for r in ranked]
    if fmt is OfferFormat.json:
        print(json.dumps(dicts, ensure_ascii=False, indent=2))
    else:
        for d in dicts:
            print(json.dumps(d, ensure_ascii=False))


# --- fees ------------------------------------------------------------------------------------


@recruiters_app.command("fees")
def fees_cmd(
    payments_file: Annotated[
        str,
        typer.Argument(
            metavar="PAYMENTS.csv", help="columns amount, currency, purpose, payee, channel[, id]"
        ),
    ],
    fmt: Annotated[OfferFormat, typer.Option("--format")] = OfferFormat.jsonl,
) -> None:
    """Classify each payment a worker made under the Employer Pays principle (fair-recruitment-2019)."""
    from vigil.recruitment.fees import CHANNELS, PAYEES, Payment, category_of, classify_payment

    name = _name(payments_file)
    payments = []
    for n, row in read_csv_rows(
        payments_file, ("amount", "currency", "purpose", "payee", "channel"), ("id",)
    ):
        place = f"{name}, row {n}"
        try:
            amount = float(row["amount"].replace(",", ""))
        except ValueError:
            raise InputError("expected a number", f"{place}, column amount") from None
        if not amount >= 0 or amount == float("inf"):
            raise InputError("expected a number >= 0", f"{place}, column amount")
        currency = row["currency"].upper()
        if len(currency) != 3 or not currency.isalpha():
            raise InputError("expected an ISO 4217 code such as USD", f"{place}, column currency")
        if category_of(row["purpose"]) is None:
            raise InputError(
                "names no ILO cost category (use RF, RC1-RC7, IC or words such as "
                "'placement fee', 'medical', 'flight', 'visa', 'bond')",
                f"{place}, column purpose",
            )
        payee, channel = row["payee"].lower(), row["channel"].lower().replace(" ", "_").replace("-", "_")
        if payee not in PAYEES:
            raise InputError(f"expected one of {', '.join(PAYEES)}", f"{place}, column payee")
        if channel not in CHANNELS:
            raise InputError(f"expected one of {', '.join(CHANNELS)}", f"{place}, column channel")
        payments.append(
            Payment(amount, currency, row["purpose"], payee, channel, row.get("id") or str(n - 1))
        )
    results = [classify_payment(p) for p in payments]
    if fmt is OfferFormat.text:
        for r in results:
            lead = (
                " DEBT LEAD: repaid by " + r.channel.replace("_", " ") + f", confirm {', '.join(r.confirm)}"
                if r.debt_lead
                else ""
            )
            print(
                f"{r.id}: {r.amount:g} {r.currency} {r.category} ({r.category_label}): {r.outcome}, "
                f"{r.decided_by} [{r.ruleset} {r.version}]{lead}"
            )
    elif fmt is OfferFormat.json:
        print(json.dumps([r.to_dict() for r in results], ensure_ascii=False, indent=2))
    else:
        for r in results:
            print(json.dumps(r.to_dict(), ensure_ascii=False))


# --- the server's registry: import and check -----------------------------------------------------


def _server() -> None:
    """Django set up on the server's database (VIGIL_DATA_DIR or DATABASE_URL), which must exist."""
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigil.server.settings")
    import django
    from django.db import connection
    from django.db.utils import DatabaseError

    from vigil.errors import VigilError

    try:
        django.setup()
    except Exception as exc:  # ImproperlyConfigured: a bad or missing VIGIL_* variable
        raise VigilError(str(exc), place="server settings") from None
    try:
        tables = connection.introspection.table_names()
    except DatabaseError as exc:
        raise VigilError(f"cannot open the server database ({type(exc).__name__})") from None
    if "recruitment_agency" not in tables:
        raise VigilError(
            "the server database has no agency registry yet: run 'vigil serve' once "
            "(or 'python -m vigil.server migrate')"
        )


class ImportKind(str, Enum):
    licences = "licences"
    complaints = "complaints"
    fees = "fees"


@recruiters_app.command("import")
def import_cmd(
    kind: Annotated[ImportKind, typer.Argument(help="licences (a licensing list), complaints or fees")],
    files: Annotated[
        list[str], typer.Argument(metavar="FILE...", help="CSV or XLSX files with a header row")
    ],
    by: Annotated[
        str | None, typer.Option("--by", help="the regulator's user name, recorded in the audit log")
    ] = None,
) -> None:
    """Import licensing lists, complaints or fee reports into the server's agency registry.

    All files in one transaction: the first bad cell is reported (file, row, column) and nothing
    is stored."""
    _server()
    from vigil.server.accounts.models import User
    from vigil.server.recruitment.imports import import_files

    user = None
    if by is not None:
        user = User.objects.filter(username=by, is_active=True).first()
        if user is None or not user.can("recruitment.manage"):
            raise InputError("no active user of that name may change the agency registry", "--by")
    contents = []
    for path in files:
        file = Path(path)
        if not file.is_file():
            raise InputError("file not found" if not file.exists() else "not a file", _name(path))
        try:
            contents.append((file.name, file.read_bytes()))
        except OSError as exc:
            raise InputError(f"cannot read file: {type(exc).__name__}", _name(path)) from None
    result = import_files(kind.value, contents, user=user, via="cli")
    print(f"imported {result.summary()} (one transaction)")


def agency_record(agency: Any) -> dict[str, Any]:
    """What ``vigil recruiters check`` shows of an agency: public registry data only (no
    complaint, fee report or case)."""
    licence = agency.current_licence()
    return {
        "legal_name": agency.legal_name,
        "country": agency.country,
        "registration_number": agency.registration_number,
        "licence_status": agency.licence_status(),
        "licence": None
        if licence is None
        else {
            "number": licence.number,
            "issuer": licence.issuer,
            "valid_from": licence.valid_from.isoformat(),
            "valid_to": licence.valid_to.isoformat() if licence.valid_to else None,
            "status": licence.effective_status(),
            "history": [
                {"at": h.at.date().isoformat(), "from": h.from_status, "to": h.to_status}
                for h in licence.history.all()
            ],
        },
        "sectors": list(agency.sectors),
        "countries_served": list(agency.countries_served),
    }


STATUS_WORDS = {
    "active": "licence in force",
    "suspended": "licence SUSPENDED: may not recruit now",
    "revoked": "licence REVOKED: may not recruit",
    "expired": "licence EXPIRED: may not recruit",
    "none": "NO LICENCE on record: may not recruit",
}


class CheckFormat(str, Enum):
    text = "text"
    json = "json"


@recruiters_app.command("check")
def check_cmd(
    query: Annotated[str, typer.Argument(metavar="NAME|LICENCE", help="an agency name or a licence number")],
    fmt: Annotated[CheckFormat, typer.Option("--format")] = CheckFormat.text,
) -> None:
    """Look an agency up in the server's registry (licence or registration number exactly, or
    the name fuzzily) and print its licence status. Exit status 1 when nothing matches."""
    if not query.strip():
        raise InputError("give an agency name or a licence number", "NAME|LICENCE")
    _server()
    from vigil.server.recruitment.services import search_agencies

    found = [agency_record(a) for a in search_agencies(query)]
    if fmt is CheckFormat.json:
        print(json.dumps(found, ensure_ascii=False, indent=2))
    elif not found:
        print(
            f"no agency of the registry matches {query.strip()!r}: an agency that is not in the "
            "registry has no licence and may not recruit"
        )
    else:
        for r in found:
            lic = r["licence"]
            reg = f", registration {r['registration_number']}" if r["registration_number"] else ""
            print(f"{r['legal_name']} ({r['country']}{reg}): {STATUS_WORDS[r['licence_status']]}")
            if lic:
                until = f" to {lic['valid_to']}" if lic["valid_to"] else ""
                print(
                    f"  licence {lic['number']} issued by {lic['issuer']}, "
                    f"valid from {lic['valid_from']}{until}"
                )
            if r["sectors"]:
                print(f"  sectors (ISIC): {', '.join(r['sectors'])}")
            if r["countries_served"]:
                print(f"  countries served: {', '.join(r['countries_served'])}")
    if not found:
        raise SystemExit(1)
