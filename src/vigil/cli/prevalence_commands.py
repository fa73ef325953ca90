"""``vigil estimate prevalence``: screen survey respondents with a rule set, then estimate."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from vigil.cli.main import estimate_app
from vigil.cli.survey_commands import render_table
from vigil.errors import InputError
from vigil.io.tables import read_table
from vigil.rules import load_ruleset
from vigil.stats.design import load_design
from vigil.stats.disclosure import DEFAULT_K
from vigil.stats.prevalence import POSITIVE, UPPER, load_mapping, screen_frame, suppressed_domains
from vigil.stats.survey import Mean, SurveyDesign, Total


@estimate_app.command("prevalence")
def prevalence(
    data: Annotated[Path, typer.Argument(metavar="DATA", help="CSV, XLSX, SPSS .sav or Stata .dta")],
    design: Annotated[Path, typer.Option("--design", metavar="DESIGN.yaml")],
    mapping: Annotated[Path, typer.Option("--mapping", metavar="MAP.yaml")],
    ruleset: Annotated[str | None, typer.Option("--ruleset", help="rule set id")] = None,
    by: Annotated[list[str] | None, typer.Option("--by", metavar="VAR")] = None,
    lonely_psu: Annotated[str, typer.Option("--lonely-psu")] = "fail",
    output_format: Annotated[str, typer.Option("--format", metavar="table|json")] = "table",
    min_count: Annotated[int, typer.Option(
        "--min-count", help="hide domains with 1 to K-1 positive respondents (and fewer than K "
        "respondents), with secondary suppression; 0 turns it off")] = DEFAULT_K,
) -> None:
    """Prevalence (rate and count) with design-based SEs; upper bound counts insufficient as yes."""
    if output_format not in ("table", "json"):
        raise InputError(f"must be table or json, found {output_format!r}", "--format")
    spec = load_design(design)
    mapped = load_mapping(mapping)
    rs_id = ruleset or mapped.ruleset
    if rs_id is None:
        raise InputError("no rule set: give --ruleset or 'ruleset:' in the mapping", "--ruleset")
    rs = load_ruleset(rs_id)
    frame = screen_frame(read_table(data), rs, mapped, data.name)
    compiled = SurveyDesign.from_frame(frame, spec, data_source=str(data))
    for note in compiled.warnings:
        print(f"vigil: warning: {note}", file=sys.stderr)
    stats = [Mean(POSITIVE), Total(POSITIVE), Mean(UPPER), Total(UPPER)]
    results = compiled.estimate(stats, by=by or None, lonely_psu=lonely_psu)
    hidden = suppressed_domains(frame, list(by or []), min_count)
    shown = [r for r in results if tuple(r.domain.values()) not in hidden]
    gone = [r.domain for r in results if tuple(r.domain.values()) in hidden]
    if output_format == "json":
        rows = [{**r.to_dict(), "suppressed": False} for r in shown]
        rows += [{"domain": d, "suppressed": True} for d in _unique(gone)]
        print(json.dumps({"ruleset": rs.id, "version": rs.version, "verified": rs.verified,
                          "min_count": min_count, "estimates": rows}, indent=2))
    else:
        print(f"{rs.id} {rs.version}{'' if rs.verified else ' (unverified)'}: "
              f"{POSITIVE} = indicators consistent with the rule; {UPPER} = upper bound")
        print(render_table(shown))
        for d in _unique(gone):
            label = ", ".join(f"{k}={v}" for k, v in d.items()) or "(all)"
            print(f"suppressed: {label} (fewer than {min_count} respondents or positive respondents)")


def _unique(domains: list[dict[str, object]]) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for d in domains:
        if d not in out:
            out.append(d)
    return out
