"""``vigil forms export``, ``import`` and ``pull``: questionnaires out, submissions in."""

from __future__ import annotations

from collections.abc import Iterator
from enum import Enum
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
    repeat: Annotated[str | None, typer.Option("--repeat", metavar="NAME", help="consent and interview in "
                                               "a repeat group NAME: several people per submission (a "
                                               "visit), each screened on its own")] = None,
) -> None:
    """Write the rule set's questionnaire as an XLSForm (checked with pyxform before it is written)."""
    rs = resolve_ruleset(ruleset)
    form = build_form(rs, lang.split(","), with_identity=with_identity, repeat=repeat)
    write_form(form, output)


@forms_app.command("import")
def import_cmd(
    submissions: Annotated[str, typer.Argument(metavar="SUBMISSIONS",
                                               help="Kobo or ODK Central export: CSV, XLSX, JSON or "
                                               "Central's CSV zip")],
    form: Annotated[Path, typer.Option("--form", help="the XLSForm the submissions were collected with")],
    fmt: Annotated[OutFormat, typer.Option("--format")] = OutFormat.jsonl,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="write here, not to stdout")] = None,
    ruleset: Annotated[str | None, typer.Option("--ruleset", help="the rule-set YAML file, for a form "
                                                "exported from a jurisdiction's own rule set")] = None,
    missing: Annotated[Missing, typer.Option(help="not asked: unknown or absent")] = Missing.unknown,
) -> None:
    """Screen every submission with the form's rule set: one determination per submission, its
    UUID as id (the same output as vigil assess). An edit (meta/deprecatedID) supersedes the
    version it replaces when both are in the file: only the latest version is screened."""
    from vigil.forms.submissions import read_form, screen

    spec = read_form(form, resolve_ruleset(ruleset) if ruleset else None)
    result = screen(spec, submissions, missing.value, warn=_warn, latest=True)

    def lines() -> Iterator[str]:
        for det in result:
            d = det.to_dict()
            yield to_json(d) + "\n" if fmt is OutFormat.jsonl else _det_csv(d)

    _write(lines(), output, _csv_line(DET_COLUMNS) if fmt is OutFormat.csv else None)


class ServerKind(str, Enum):
    central = "central"
    kobo = "kobo"


@forms_app.command("pull")
def pull_cmd(
    server: Annotated[str, typer.Option("--server", help="the server's URL: https://central.example.org, "
                                        "https://kf.kobotoolbox.org")],
    form_id: Annotated[str, typer.Option("--form", help="the form's id on the server (Kobo: the asset uid)")],
    xlsform: Annotated[Path, typer.Option("--xlsform", help="the XLSForm the submissions were collected "
                                          "with (from vigil forms export)")],
    project: Annotated[str | None, typer.Option("--project", help="ODK Central project id")] = None,
    kind: Annotated[ServerKind, typer.Option("--kind", help="ODK Central or KoboToolbox (API v2)")] =
        ServerKind.central,
    state_file: Annotated[Path, typer.Option("--state", help="remembers the last pulled submission, "
                                             "per server and form")] = Path("vigil-pull-state.json"),
    full: Annotated[bool, typer.Option("--full", help="pull every submission, not only new ones (the "
                                       "state is still updated)")] = False,
    save: Annotated[Path | None, typer.Option("--save", help="also write the pulled submissions as the "
                                              "API's JSON (for vigil forms import or the server)")] = None,
    fmt: Annotated[OutFormat, typer.Option("--format")] = OutFormat.jsonl,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="write here, not to stdout")] = None,
    ruleset: Annotated[str | None, typer.Option("--ruleset", help="the rule-set YAML file, for a form "
                                                "exported from a jurisdiction's own rule set")] = None,
    missing: Annotated[Missing, typer.Option(help="not asked: unknown or absent")] = Missing.unknown,
    page: Annotated[int, typer.Option("--page-size", min=1, max=30000)] = 500,
) -> None:
    """Pull the new submissions of a form from ODK Central (ODK_CENTRAL_EMAIL, ODK_CENTRAL_PASSWORD)
    or KoboToolbox (KOBO_TOKEN) and screen them like vigil forms import. Nothing is written and
    the state is unchanged when a submission is refused."""
    import json

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from vigil.forms.pull import PullError, pull, read_state, write_state
    from vigil.forms.submissions import json_submissions, load, read_form

    if kind is ServerKind.central and not project:
        raise PullError("--project is needed for ODK Central")
    spec = read_form(xlsform, resolve_ruleset(ruleset) if ruleset else None)
    state = read_state(state_file, kind.value, server, project or "", form_id)
    if full:
        state.last, state.seen = None, []
    console = Console(stderr=True)
    with Progress(TextColumn("pulling {task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task(form_id, total=None)
        pulled = pull(state, page, lambda done, total: bar.update(task, completed=done, total=total))
    if not pulled.submissions:
        _warn(f"{form_id}: no new submissions")
        return
    name = f"{form_id} (pulled)"
    subs = json_submissions(pulled.document(), name, spec.repeat_path or None)
    screened = load(spec, subs, name, warn=_warn, latest=True)
    if save is not None:
        _write([json.dumps(pulled.document(), ensure_ascii=False) + "\n"], save)

    def lines() -> Iterator[str]:
        for det in screened.determinations(missing.value):
            d = det.to_dict()
            yield to_json(d) + "\n" if fmt is OutFormat.jsonl else _det_csv(d)

    _write(lines(), output, _csv_line(DET_COLUMNS) if fmt is OutFormat.csv else None)
    write_state(state_file, pulled.state)
    _warn(f"{form_id}: {len(pulled.submissions)} new submission(s) pulled")
