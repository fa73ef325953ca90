"""``vigil national report``: the annual report of the national picture as PDF or XLSX.

The figures are those a national user may see in the server's database (by default the only
active coordinator: the cases with statistics consent), every cell disclosure-checked, with the
charts of the dashboard, the flows between countries, the methods notes, and the MSE or survey
estimates given with ``--estimates`` (the JSON of ``vigil estimate mse|survey --format json``).
Bad input is one line naming the option, and exit status 2.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from vigil.cli.main import app
from vigil.errors import InputError

national_app = typer.Typer(help="The national picture: the annual report.", no_args_is_help=True)
app.add_typer(national_app, name="national")


class ReportFormat(str, Enum):
    pdf = "pdf"
    xlsx = "xlsx"


def _user(username: str | None) -> Any:
    from vigil.server.accounts.models import Role, User

    if username:
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None or not user.can("national.view"):
            raise InputError(f"no active user {username[:60]!r} who may see the national picture", "--user")
        return user
    coordinators = list(User.objects.filter(role=Role.COORDINATOR, is_active=True)[:2])
    if len(coordinators) != 1:
        raise InputError("name the user whose figures the report shows", "--user")
    return coordinators[0]


@national_app.command("report")
def report_cmd(
    year: Annotated[str, typer.Option("--year", help="the year of the report (cases opened then)")],
    output: Annotated[Path, typer.Option("-o", "--output", help="the file to write")],
    fmt: Annotated[ReportFormat, typer.Option("--format", help="pdf or xlsx")] = ReportFormat.pdf,
    lang: Annotated[str, typer.Option("--lang", help="en, fr, es or ar")] = "en",
    user: Annotated[
        str | None, typer.Option("--user", help="whose figures (default: the coordinator)")
    ] = None,
    estimates: Annotated[
        list[Path] | None,
        typer.Option("--estimates", help="JSON of 'vigil estimate mse|survey --format json' (repeatable)"),
    ] = None,
) -> None:
    """Write the annual report of YEAR: every shown indicator with its disaggregations for that year,
    hidden cells said with the reason, the charts, flows, methods notes and estimates."""
    from vigil.cli.inspections_commands import _setup_django

    _setup_django()
    from vigil.server.audit.log import record
    from vigil.server.national import report

    given = report.read_estimates(estimates or [])
    who = _user(user)
    data = report.build(who, year, lang=lang, estimates=given)
    body = report.render(data, fmt.value)
    output.write_bytes(body)
    record("report", user=who, object_type="indicator", via="cli",
           detail={"year": year, "format": fmt.value, "indicators": len(data.sections)})
    hidden = sum(s.hidden_cells for s in data.sections)
    typer.echo(f"{output}: {len(data.sections)} indicator(s) of {year}, {hidden} cell(s) hidden "
               f"(k = {data.k}), {len(data.flows.published)} flow(s) published, {len(given)} estimate(s)")
