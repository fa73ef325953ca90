"""``vigil rules``, ``vigil assess``, ``vigil triage`` and ``vigil demo``."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from vigil.cli.main import app, rules_app
from vigil.errors import InputError
from vigil.io.records import read_columns
from vigil.rules import assess_columns, available, i18n, load_file, load_ruleset, to_json
from vigil.rules.engine import encode
from vigil.rules.loader import merged_data
from vigil.rules.model import RuleSet
from vigil.rules.triage import load_triage, triage_columns

PROGRESS_FROM = 5000
err = Console(stderr=True)


def _out() -> Console:
    """Console for stdout; wide when piped, so ids and labels are never cut."""
    con = Console()
    return con if con.is_terminal else Console(width=200)


class Missing(str, Enum):
    unknown = "unknown"
    absent = "absent"


class OutFormat(str, Enum):
    jsonl = "jsonl"
    csv = "csv"


class ShowFormat(str, Enum):
    text = "text"
    json = "json"


def resolve_ruleset(ref: str, params: dict[str, Any] | None = None) -> RuleSet:
    """A shipped rule set by id, or a jurisdiction's own YAML file by path."""
    if ref.endswith((".yaml", ".yml")) or "/" in ref:
        return load_file(ref, params)
    return load_ruleset(ref, params)


def _params(pairs: list[str] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise InputError(f"--param {pair!r} is not KEY=VALUE")
        key, value = pair.split("=", 1)
        out[key.strip()] = yaml.safe_load(value)
    return out


# --- rules list / show --------------------------------------------------------------------


def ruleset_summary(rs: RuleSet) -> dict[str, Any]:
    return {"id": rs.id, "version": rs.version, "title": rs.title, "verified": rs.verified,
            "extends": rs.extends}


@rules_app.command("list")
def rules_list(fmt: Annotated[ShowFormat, typer.Option("--format")] = ShowFormat.text) -> None:
    """List the rule sets that ship with Vigil."""
    sets = [load_ruleset(i) for i in available()]
    if fmt is ShowFormat.json:
        print(json.dumps([ruleset_summary(rs) for rs in sets], indent=2, ensure_ascii=False))
        return
    table = Table("id", "version", "verified", "title")
    for rs in sets:
        table.add_row(rs.id, rs.version, "yes" if rs.verified else "NO (unverified)", rs.title)
    _out().print(table)


def ruleset_detail(rs: RuleSet) -> dict[str, Any]:
    data = merged_data(rs)
    return {
        **ruleset_summary(rs),
        "source": rs.source,
        "notes": rs.notes,
        "unverified": list(rs.unverified),
        "params": rs.params,
        "dimensions": {d.id: {"label": d.label, "patterns": [p.name for p in d.patterns]}
                       for d in rs.dimensions.values()},
        "indicators": [
            {"id": i.id, "dimension": i.dimension, "grade": i.grade, "label": i.label,
             "question": i.question, **({"scopes": list(i.scopes)} if i.scopes else {}),
             **({"maps_to": list(i.maps_to)} if i.maps_to else {})}
            for i in rs.indicators
        ],
        "rule": {k: data[k] for k in ("terms", "decision", "outcomes", "otherwise") if k in data},
        "labels": rs.labels,
    }


@rules_app.command("show")
def rules_show(
    ruleset_id: Annotated[str, typer.Argument(metavar="ID")],
    fmt: Annotated[ShowFormat, typer.Option("--format")] = ShowFormat.text,
    lang: Annotated[str | None, typer.Option("--lang", help="wording in this language (en, fr)")] = None,
) -> None:
    """Show a rule set (id or YAML file): indicators, grades, the rule, its source, verified flag."""
    if lang is not None and i18n.normalise(lang) not in i18n.languages():
        raise InputError(f"--lang {lang!r}: no translation (available: {', '.join(i18n.languages())})")
    rs = i18n.translate(resolve_ruleset(ruleset_id), lang)
    detail = ruleset_detail(rs)
    if fmt is ShowFormat.json:
        print(json.dumps(detail, indent=2, ensure_ascii=False))
        return
    con = _out()
    con.print(f"[bold]{rs.id}[/bold] {rs.version}: {rs.title}")
    con.print(f"source: {rs.source}")
    con.print("verified: yes" if rs.verified else "[bold red]verified: NO[/bold red] (unverified source)")
    if rs.extends:
        con.print(f"extends: {rs.extends}")
    if rs.notes:
        con.print(f"notes: {rs.notes}")
    if rs.params:
        con.print("params: " + ", ".join(f"{k}={v}" for k, v in rs.params.items()))
    if rs.indicators:
        table = Table("id", "dimension", "grade", "indicator")
        for i in rs.indicators:
            table.add_row(i.id, i.dimension, i.grade or "", i.label)
        con.print(table)
    con.print("rule:")
    con.print(yaml.safe_dump(detail["rule"], sort_keys=False, allow_unicode=True, width=100), markup=False)


# --- assess / triage ----------------------------------------------------------------------


@contextmanager
def _progress(total_hint: str) -> Iterator[Callable[[int], None]]:
    """A Rich progress bar on stderr, shown once the input passes a few thousand records."""
    if not err.is_terminal and os.environ.get("VIGIL_PROGRESS") != "1":
        yield lambda n: None
        return
    with Progress(TextColumn(f"[bold]{total_hint}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err, transient=True) as bar:
        task = None

        def tick(n: int) -> None:
            nonlocal task
            if n < PROGRESS_FROM:
                return
            if task is None:
                task = bar.add_task(total_hint, total=None)
            bar.update(task, completed=n)

        yield tick


def _warn(text: str) -> None:
    print(f"vigil: warning: {text}", file=sys.stderr)


def _write(lines: Iterable[str], out: Path | None, header: str | None = None) -> None:
    """Write lines to stdout, or atomically to ``out`` (a temp file renamed when complete)."""
    if out is None:
        w = sys.stdout
        if header:
            w.write(header)
        for line in lines:
            w.write(line)
        w.flush()
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            if header:
                fh.write(header)
            for line in lines:
                fh.write(line)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


DET_COLUMNS = ["id", "ruleset", "version", "verified", "outcome", "label", "dimensions", "fired",
               "decided_by", "ask_next"]


def _csv_line(values: list[Any]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(values)
    return buf.getvalue()


def _det_csv(d: dict[str, Any]) -> str:
    dims = ";".join(f"{k}={v}" for k, v in sorted(d["dimensions"].items()))
    return _csv_line([d["id"], d["ruleset"], d["version"], d["verified"], d["outcome"], d["label"],
                      dims, ";".join(d["fired"]), d["decided_by"], ";".join(d["ask_next"])])


@app.command("assess")
def assess_cmd(
    input_path: Annotated[str, typer.Argument(metavar="INPUT", help="JSON Lines, CSV or XLSX; - for stdin")],
    ruleset: Annotated[
        str, typer.Option("--ruleset", help="rule set id (vigil rules list) or a rule-set YAML file")
    ],
    missing: Annotated[
        Missing, typer.Option(help="a key the record lacks is unknown or absent")
    ] = Missing.unknown,
    fmt: Annotated[OutFormat, typer.Option("--format")] = OutFormat.jsonl,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="write here instead of stdout")
    ] = None,
    param: Annotated[list[str] | None, typer.Option("--param", help="rule-set parameter KEY=VALUE")] = None,
    input_format: Annotated[str | None, typer.Option("--input-format", help="jsonl, csv or xlsx")] = None,
) -> None:
    """Screen every record of INPUT with one rule set: one determination per record, in order."""
    rs = resolve_ruleset(ruleset, _params(param))
    with _progress("reading") as tick:
        cols = read_columns(input_path, lambda r: encode(rs, r), input_format, tick,
                            indicator_keys=rs.record_keys(), warn=_warn)
    with _progress("screening") as tick:
        def lines() -> Iterator[str]:
            for n, det in enumerate(assess_columns(rs, cols, missing.value), start=1):
                d = det.to_dict()
                yield to_json(d) + "\n" if fmt is OutFormat.jsonl else _det_csv(d)
                if n % 4096 == 0:
                    tick(n)

        _write(lines(), output, _csv_line(DET_COLUMNS) if fmt is OutFormat.csv else None)


@app.command("triage")
def triage_cmd(
    input_path: Annotated[str, typer.Argument(metavar="INPUT", help="JSON Lines, CSV or XLSX; - for stdin")],
    fmt: Annotated[OutFormat, typer.Option("--format")] = OutFormat.jsonl,
    output: Annotated[Path | None, typer.Option("-o", "--output")] = None,
    input_format: Annotated[str | None, typer.Option("--input-format")] = None,
) -> None:
    """Run every rule set together: flags and a primary label per record (docs/rules.md, "The triage")."""
    t = load_triage()
    with _progress("reading") as tick:
        cols = read_columns(input_path, t.encode, input_format, tick,
                            indicator_keys=t.allowed, warn=_warn)
    with _progress("triage") as tick:
        def lines() -> Iterator[str]:
            for n, res in enumerate(triage_columns(cols), start=1):
                if fmt is OutFormat.jsonl:
                    yield to_json(res) + "\n"
                else:
                    yield _csv_line([res["id"], res["primary"], ";".join(res["flags"]),
                                     ";".join(res["not_assessed"])])
                if n % 4096 == 0:
                    tick(n)

        header = _csv_line(["id", "primary", "flags", "not_assessed"]) if fmt is OutFormat.csv else None
        _write(lines(), output, header)


DEMO_RECORDS = [
    {"id": "demo-1", "age": 29,
     "indicators": {"DR01": True, "DR08": True, "EX01": True, "EX04": True, "CD01": True, "CD02": True},
     "facts": {"crossed_border": True, "entry_compliant": True, "stay_compliant": False,
               "fees_charged": ["RF", "RC6"]}},
    {"id": "demo-2", "age": 34,
     "facts": {"crossed_border": True, "entry_compliant": False, "stay_compliant": False,
               "facilitator_paid_for_entry": True, "act": [], "means": [], "purpose": []}},
    {"id": "demo-3", "age": 13,
     "facts": {"act": ["recruited"], "purpose": ["forced_labour_or_services"], "worst_form": [],
               "hazardous": True, "hours_per_week": 30, "schooling_affected": True}},
    {"id": "demo-4", "age": 41, "indicators": {"UR06": True, "PN12": True, "EX04": None}},
]


@app.command("demo")
def demo_cmd() -> None:
    """Triage a few invented records and explain the results (no server, no data stored)."""
    from vigil.rules.triage import triage

    con = Console()
    con.print("[bold]Vigil demo[/bold]: the triage on four invented records (no real person).\n")
    for rec in DEMO_RECORDS:
        res = triage(rec)
        con.print(f"[bold]{res['id']}[/bold]  primary: [cyan]{res['primary']}[/cyan]  "
                  f"flags: {', '.join(res['flags']) or 'none'}")
        for rsid, det in res["determinations"].items():
            con.print(f"   {rsid}: {det['outcome']}: {det['decided_by']}", markup=False)
        con.print()
    con.print("Try: vigil rules list | vigil rules show ilo-2012-forced-labour | "
              "vigil assess --ruleset ilo-ec-2009-adult-labour FILE.jsonl")
