"""``vigil forms export`` and ``vigil forms import``: questionnaires out, submissions in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

from vigil.cli.main import app
from vigil.cli.rules_commands import (
    DET_COLUMNS,
    Missing,
    OutFormat,
    _csv_line,
    _det_csv,
    _warn,
    _write,
    resolve_ruleset,
)
from vigil.forms import build_form, write_form
from vigil.rules import to_json

forms_app = typer.Typer(help="XLSForm questionnaires for ODK and KoboToolbox, and their submissions.",
                        no_args_is_help=True)
app.add_typer(forms_app, name="forms")


@forms_app.command("export")
def export_cmd(
    ruleset: Annotated[str, typer.Option("--ruleset", help="rule set id or a rule-set YAML file")],
    output: Annotated[Path, typer.Option("-o", "--output", help="the XLSForm file to write (.xlsx)")],
    lang: Annotated[str, typer.Option("--lang", help="label languages, comma-separated: en,fr,es,ar")] = "en",
    with_identity: Annotated[bool, typer.Option("--with-identity", help="add name, phone and document "
                                                "fields (marked sensitive)")] = False,
) -> None:
    """Write the rule set's questionnaire as an XLSForm (checked with pyxform before it is written)."""
    rs = resolve_ruleset(ruleset)
    form = build_form(rs, lang.split(","), with_identity=with_identity)
    write_form(form, output)


@forms_app.command("import")
def import_cmd(
    submissions: Annotated[str, typer.Argument(metavar="SUBMISSIONS",
                                               help="Kobo or ODK Central export: CSV, XLSX or JSON")],
    form: Annotated[Path, typer.Option("--form", help="the XLSForm the submissions were collected with")],
    fmt: Annotated[OutFormat, typer.Option("--format")] = OutFormat.jsonl,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="write here, not to stdout")] = None,
    ruleset: Annotated[str | None, typer.Option("--ruleset", help="the rule-set YAML file, for a form "
                                                "exported from a jurisdiction's own rule set")] = None,
    missing: Annotated[Missing, typer.Option(help="not asked: unknown or absent")] = Missing.unknown,
) -> None:
    """Screen every submission with the form's rule set: one determination per submission, its
    UUID as id (the same output as vigil assess)."""
    from vigil.forms.submissions import read_form, screen

    spec = read_form(form, resolve_ruleset(ruleset) if ruleset else None)
    result = screen(spec, submissions, missing.value, warn=_warn)

    def lines() -> Iterator[str]:
        for det in result:
            d = det.to_dict()
            yield to_json(d) + "\n" if fmt is OutFormat.jsonl else _det_csv(d)

    _write(lines(), output, _csv_line(DET_COLUMNS) if fmt is OutFormat.csv else None)
