"""``vigil alerts detect``: the Farrington flexible method on weekly counts by unit."""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import json
import re
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from vigil.cli.main import app
from vigil.errors import InputError
from vigil.io.limits import limit_rows
from vigil.stats.farrington import THRESHOLD_METHODS, Detection, FarringtonControl, detect

alerts_app = typer.Typer(help="Early warning: alarms on weekly counts by unit.",
                         no_args_is_help=True)
app.add_typer(alerts_app, name="alerts")

_ISO_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
FORMATS = ("jsonl", "csv", "text")
FIELDS = ("unit", "period", "observed", "expected", "upper", "alarm")


def _period(text: str, place: str) -> tuple[dt.date, bool]:
    """The Monday of a period written ``2025-W07`` (ISO week) or ``2025-02-10`` (its Monday)."""
    text = text.strip()
    match = _ISO_WEEK.match(text)
    try:
        if match:
            return dt.date.fromisocalendar(int(match[1]), int(match[2]), 1), True
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"not an ISO week (2025-W07) nor a date: {text!r}", place) from None
    if day.weekday() != 0:
        raise InputError(f"{text} is not a Monday (give the date of the week's Monday)", place)
    return day, False


def read_counts(path: Path) -> tuple[list[str], list[dt.date], np.ndarray, bool]:
    """Read ``unit,period,count``; every unit must have the same consecutive weekly periods."""
    name = path.name
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror})", name) from None
    cells: dict[str, dict[dt.date, int]] = {}
    iso = False
    with handle:
        reader = csv.reader(handle)
        header = [h.strip().lower() for h in next(reader, [])]
        missing = [c for c in ("unit", "period", "count") if c not in header]
        if missing:
            raise InputError(f"missing column(s) {', '.join(missing)} (need unit,period,count)",
                             f"{name}, row 1")
        cu, cp, cc = (header.index(c) for c in ("unit", "period", "count"))
        for row_no, row in enumerate(limit_rows(reader, name), start=2):
            if not any(v.strip() for v in row):
                continue
            if len(row) < len(header):
                raise InputError(f"has {len(row)} fields, the header {len(header)}",
                                 f"{name}, row {row_no}")
            unit = row[cu].strip()
            if not unit:
                raise InputError("is empty", f"{name}, row {row_no}, column unit")
            day, iso = _period(row[cp], f"{name}, row {row_no}, column period")
            raw = row[cc].strip()
            if not raw.isdigit():
                raise InputError(f"must be a whole number of 0 or more, found {raw!r}",
                                 f"{name}, row {row_no}, column count")
            series = cells.setdefault(unit, {})
            if day in series:
                raise InputError(f"unit {unit!r} has period {row[cp].strip()} twice",
                                 f"{name}, row {row_no}, column period")
            series[day] = int(raw)
    if not cells:
        raise InputError("has no data rows", name)
    units = list(cells)
    dates = sorted(cells[units[0]])
    for a, b in itertools.pairwise(dates):
        if (b - a).days != 7:
            raise InputError(f"periods are not consecutive weeks: {a.isoformat()} then "
                             f"{b.isoformat()}", f"{name}, column period")
    for unit in units[1:]:
        if set(cells[unit]) != set(dates):
            raise InputError(f"unit {unit!r} does not have the same periods as {units[0]!r}",
                             f"{name}, column period")
    counts = np.array([[cells[u][d] for d in dates] for u in units], dtype=np.float64)
    return units, dates, counts, iso


def _period_text(day: dt.date, iso: bool) -> str:
    if iso:
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    return day.isoformat()


def _num(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


@alerts_app.command("detect")
def detect_command(
    counts_csv: Annotated[Path, typer.Argument(metavar="COUNTS.csv",
                                               help="columns unit,period,count; weekly")],
    method: Annotated[str, typer.Option("--method", metavar="farrington")] = "farrington",
    alpha: Annotated[float, typer.Option("--alpha")] = 0.01,
    years_back: Annotated[int, typer.Option("--years-back", help="b")] = 3,
    window: Annotated[int, typer.Option("--window", help="w, half-window in weeks")] = 3,
    evaluate_last: Annotated[int, typer.Option("--evaluate-last", metavar="N")] = 1,
    output_format: Annotated[str, typer.Option("--format", metavar="jsonl|csv|text")] = "jsonl",
    no_periods: Annotated[int, typer.Option("--no-periods")] = 10,
    past_weeks: Annotated[int, typer.Option("--past-weeks-not-included")] = 26,
    threshold: Annotated[str, typer.Option("--threshold", metavar="delta|nbPlugin|muan")] = "delta",
    no_trend: Annotated[bool, typer.Option("--no-trend")] = False,
    no_reweight: Annotated[bool, typer.Option("--no-reweight")] = False,
) -> None:
    """Expected count, upper threshold and alarm for each unit in each of the last N weeks."""
    if method != "farrington":
        raise InputError(f"must be farrington, found {method!r}", "--method")
    if output_format not in FORMATS:
        raise InputError(f"must be one of {', '.join(FORMATS)}, found {output_format!r}",
                         "--format")
    if threshold not in THRESHOLD_METHODS:
        raise InputError(f"must be one of {', '.join(THRESHOLD_METHODS)}", "--threshold")
    control = FarringtonControl(years_back=years_back, window=window, alpha=alpha,
                                no_periods=no_periods, past_weeks_not_included=past_weeks,
                                threshold_method=threshold, trend=not no_trend,
                                reweight=not no_reweight)
    control.check()
    units, dates, counts, iso = read_counts(counts_csv)
    results = detect(units, dates, counts, control, evaluate_last)
    _print(results, iso, output_format)


def _print(results: list[Detection], iso: bool, output_format: str) -> None:
    rows = [r.to_dict(_period_text(r.period, iso)) for r in results]
    for row in rows:
        row["expected"] = _num(row["expected"])  # type: ignore[arg-type]
        row["upper"] = _num(row["upper"])  # type: ignore[arg-type]
    if output_format == "jsonl":
        for row in rows:
            typer.echo(json.dumps(row))
    elif output_format == "csv":
        typer.echo(",".join(FIELDS))
        for row in rows:
            typer.echo(",".join("" if row[f] is None else
                                ("true" if row[f] is True else "false" if row[f] is False
                                 else str(row[f])) for f in FIELDS))
    else:
        for row in rows:
            exp = "-" if row["expected"] is None else f"{row['expected']:.2f}"
            up = "-" if row["upper"] is None else f"{row['upper']:.2f}"
            flag = "ALARM" if row["alarm"] else ""
            typer.echo(f"{row['unit']}\t{row['period']}\tobserved {row['observed']}\t"
                       f"expected {exp}\tupper {up}\t{flag}".rstrip())
