"""``vigil estimate survey``: design-based means, totals, ratios and proportions from microdata.

Example (R's ``apistrat`` data)::

    vigil estimate survey --design strat.yaml --mean api00 --prop sch.wide=Yes \\
        --by stype --format json apistrat.csv

Every problem (unreadable file, unknown column, bad design, lonely PSU under ``fail``) is a
:class:`~vigil.errors.VigilError`, which ``vigil.cli.main`` prints on one line (exit 2).
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import typer

from vigil.cli.main import estimate_app
from vigil.errors import InputError
from vigil.io.tables import read_table
from vigil.stats.design import load_design
from vigil.stats.survey import (
    LONELY_PSU_CHOICES,
    Estimate,
    Statistic,
    SurveyDesign,
    parse_statistic,
)

_FORMATS = ("table", "json")


@estimate_app.command("survey")
def survey(
    data: Path = typer.Argument(
        ..., metavar="DATA", help="Survey microdata: CSV, XLSX, SPSS .sav or Stata .dta.", show_default=False
    ),
    design: Path = typer.Option(
        ...,
        "--design",
        metavar="DESIGN.yaml",
        help="Design YAML: ids, strata, weights, fpc (as R svydesign); or replicate weights: "
        "type, weights, repweights (as R svrepdesign); or replicates: JK1|JKn|bootstrap.",
    ),
    mean: list[str] = typer.Option([], "--mean", metavar="VAR", help="Mean of VAR (repeatable)."),
    total: list[str] = typer.Option(
        [], "--total", metavar="VAR", help="Population total of VAR (repeatable)."
    ),
    ratio: list[str] = typer.Option(
        [], "--ratio", metavar="NUM/DEN", help="Ratio of totals NUM/DEN (repeatable)."
    ),
    prop: list[str] = typer.Option(
        [],
        "--prop",
        metavar="VAR=LEVEL",
        help="Proportion with VAR equal to LEVEL; VAR alone gives every level (repeatable).",
    ),
    by: list[str] = typer.Option([], "--by", metavar="VAR", help="Estimate for every domain of VAR."),
    lonely_psu: str = typer.Option(
        "fail",
        "--lonely-psu",
        metavar="RULE",
        help="Strata with one PSU: fail, remove, certainty, adjust or average (R's options).",
    ),
    na_rm: bool = typer.Option(
        True,
        "--na-rm/--no-na-rm",
        help="Leave out rows with a missing analysis value, with a warning (R's na.rm=TRUE); "
        "--no-na-rm makes them an error.",
    ),
    output_format: str = typer.Option("table", "--format", metavar="table|json", help="Output."),
    sheet: str | None = typer.Option(
        None, "--sheet", metavar="NAME", help="XLSX worksheet (default: first)."
    ),
) -> None:
    """Design-based estimates with linearisation or replicate-weight standard errors and 95% intervals."""
    if output_format not in _FORMATS:
        raise InputError(f"must be table or json, found {output_format!r}", "--format")
    if lonely_psu not in LONELY_PSU_CHOICES:
        raise InputError(
            f"must be one of {', '.join(LONELY_PSU_CHOICES)}, found {lonely_psu!r}",
            "--lonely-psu",
        )
    if not (mean or total or ratio or prop):
        raise InputError("nothing to estimate: give --mean, --total, --ratio or --prop")
    spec = load_design(design)
    frame = read_table(data, sheet=sheet)
    statistics: list[Statistic] = []
    for kind, texts in (("mean", mean), ("total", total), ("ratio", ratio), ("prop", prop)):
        statistics += [parse_statistic(kind, text, frame.columns) for text in texts]
    compiled = SurveyDesign.from_frame(frame, spec, data_source=str(data))
    results = compiled.estimate(statistics, by=by or None, lonely_psu=lonely_psu, na_rm=na_rm)
    for note in compiled.warnings:
        print(f"vigil: warning: {note}", file=sys.stderr)
    if output_format == "json":
        print(json.dumps([item.to_dict() for item in results], indent=2))
    else:
        print(render_table(results))


def render_table(results: list[Estimate]) -> str:
    """Aligned plain-text table of estimates (one line per statistic and domain)."""
    header = ["statistic", "variable", "domain", "value", "se", "95% CI"]
    rows = [header]
    for item in results:
        domain = ", ".join(f"{key}={value}" for key, value in item.domain.items()) or "(all)"
        interval = f"[{_number(item.ci[0])}, {_number(item.ci[1])}]"
        rows.append(
            [
                item.statistic,
                item.variable,
                domain,
                _number(item.value),
                _number(item.se),
                interval,
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    right = {3, 4}
    lines = []
    for row in rows:
        cells = [cell.rjust(widths[i]) if i in right else cell.ljust(widths[i]) for i, cell in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
    for item in results:  # a value that is NA says why (e.g. a domain without respondents)
        if item.note is not None:
            domain = ", ".join(f"{key}={value}" for key, value in item.domain.items()) or "(all)"
            lines.append(f"note: {item.statistic} of {item.variable}, {domain}: {item.note}")
    return "\n".join(lines)


def _number(value: float) -> str:
    if not math.isfinite(value):
        return "NA"
    if abs(value) >= 1e5:
        return f"{value:,.0f}"
    return f"{value:.6g}"
