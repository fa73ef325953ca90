"""``vigil inspections``: import a workplace register, print the risk-ranked inspection plan.

``import`` checks the whole register before it writes, then stores it in the server's database
in one transaction (all or nothing); ``plan`` ranks the workplaces of a register file (no server
needed) or, without a file, of the server's database. Bad input is one line naming the file, the
row and the column, and exit status 2.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from vigil.cli.main import app
from vigil.errors import InputError, VigilError

inspections_app = typer.Typer(
    help="Prevent at the workplace: the workplace register and the risk-ranked inspection plan.",
    no_args_is_help=True,
)
app.add_typer(inspections_app, name="inspections")


class PlanFormat(str, Enum):
    text = "text"
    jsonl = "jsonl"
    csv = "csv"


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigil.server.settings")
    import django

    try:
        django.setup()
    except Exception as exc:  # ImproperlyConfigured: a bad or missing VIGIL_* variable
        raise VigilError(str(exc), place="vigil inspections: settings") from None
    from django.conf import settings
    from django.core.management import call_command

    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
    call_command("migrate", interactive=False, verbosity=0)


def _organisation(name: str | None) -> Any:
    from vigil.server.accounts.models import Organisation

    inspectorates = Organisation.objects.filter(kind=Organisation.Kind.LABOUR_INSPECTORATE)
    if name:
        org = Organisation.objects.filter(name=name).first()
        if org is None:
            raise InputError(f"no organisation named {name[:60]!r}", "--organisation")
        return org
    if inspectorates.count() != 1:
        raise InputError("name the inspectorate that holds the register", "--organisation")
    return inspectorates.get()


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError("expected an ISO date (YYYY-MM-DD)", "--as-of") from None


@inspections_app.command("import")
def import_cmd(
    register: Annotated[Path, typer.Argument(metavar="REGISTER.csv|xlsx", help="the workplace register")],
    organisation: Annotated[
        str | None, typer.Option("--organisation", help="the inspectorate (default: the only one)")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="check the file, store nothing")] = False,
) -> None:
    """Import a workplace register into the server's database, all or nothing: a workplace with
    the registration number of one already held is updated; recruiters are linked to the agency
    registry by registration number (others count as recruiters not in the registry)."""
    from vigil.inspections.register import read_register

    rows = read_register(register)
    if dry_run:
        typer.echo(f"{register.name}: {len(rows)} workplace(s), no error (nothing stored: --dry-run)")
        return
    _setup_django()
    from django.db import transaction

    from vigil.server.inspections.models import Workplace
    from vigil.server.recruitment.models import Agency

    org = _organisation(organisation)
    agencies: dict[str, list[Any]] = {}
    for a in Agency.objects.exclude(registration_number=""):
        agencies.setdefault(a.registration_number, []).append(a)
    created = updated = 0
    with transaction.atomic():
        for r in rows:
            linked = [a for reg in r.recruiters for a in agencies.get(reg, [])[:1]]
            unknown = sum(1 for reg in r.recruiters if reg not in agencies)
            values = {
                "name": r.name,
                "sector": r.sector,
                "region": r.region,
                "address": r.address,
                "size": r.size,
                "open_complaints": r.open_complaints,
                "buyers": list(r.buyers),
                "unregistered_recruiters": r.unregistered_recruiters + r.unlicensed_recruiters + unknown,
                "supply_exposure": r.supply_exposure,
            }
            wp = (
                Workplace.objects.filter(organisation=org, registration_number=r.registration_number).first()
                if r.registration_number
                else None
            )
            if wp is None:
                wp = Workplace(organisation=org, registration_number=r.registration_number, **values)
                created += 1
            else:
                for k, v in values.items():
                    setattr(wp, k, v)
                updated += 1
            if r.last_visit and (wp.last_visit is None or wp.last_visit < r.last_visit):
                wp.last_visit = r.last_visit
            wp.save()
            wp.recruiters.set(linked)
    from vigil.server.audit.log import record

    record("import", object_type="workplace", via="cli", detail={"created": created, "updated": updated})
    typer.echo(f"{register.name}: {created} workplace(s) created, {updated} updated ({org.name})")


def _print(lines: list[dict[str, Any]], fmt: PlanFormat, version: str) -> None:
    out = sys.stdout
    if fmt is PlanFormat.jsonl:
        for d in lines:
            out.write(json.dumps({**d, "version": version}, ensure_ascii=False) + "\n")
    elif fmt is PlanFormat.csv:
        from vigil.io.spreadsheet import formula_safe

        w = csv.writer(out, lineterminator="\n")
        w.writerow(["rank", "id", "name", "region", "score", "reason", "version"])
        for d in lines:
            w.writerow(
                [formula_safe(d[k]) for k in ("rank", "id", "name", "region", "score", "reason")] + [version]
            )
    else:
        out.write(f"inspection plan (weights {version}): {len(lines)} workplace(s)\n")
        for d in lines:
            out.write(f"{d['rank']}. {d['id']} {d['name']} [{d['region'] or '-'}]: score {d['score']:g}\n")
            out.write(f"     why: {d['reason']}\n")
    out.flush()


@inspections_app.command("plan")
def plan_cmd(
    register: Annotated[
        Path | None,
        typer.Argument(metavar="[REGISTER.csv|xlsx]", help="a register file (default: the server's)"),
    ] = None,
    findings: Annotated[
        Path | None, typer.Option("--findings", help="past findings CSV/XLSX: workplace, kind, found_on")
    ] = None,
    weights: Annotated[
        Path | None, typer.Option("--weights", help="a weights YAML instead of the shipped one")
    ] = None,
    region: Annotated[
        str | None, typer.Option("--region", help="only this region (a team's worklist)")
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="the first N lines")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="date of the plan (YYYY-MM-DD)")] = None,
    fmt: Annotated[PlanFormat, typer.Option("--format")] = PlanFormat.text,
) -> None:
    """Print the risk-ranked inspection worklist, each line with its score and the heaviest
    components as its reason (a worklist for inspection, not a finding)."""
    from vigil.inspections.planning import FindingColumns, WorkplaceColumns, load_weights, rank

    w = load_weights(weights)
    day = _day(as_of) or date.today()
    if register is not None:
        from vigil.inspections.register import read_findings, read_register, to_planning

        rows = read_register(register)
        past = read_findings(findings, rows) if findings is not None else []
        wps = to_planning(rows)
        plan = rank(
            WorkplaceColumns.from_records(wps),
            FindingColumns.from_records(past, [x.id for x in wps]),
            w,
            as_of=day,
            regions=[region] if region else None,
        )
        lines = [ln.to_dict() for ln in plan.lines(limit=limit)]
    else:
        if findings is not None:
            raise InputError(
                "--findings goes with a register file; the server holds its own findings", "--findings"
            )
        _setup_django()
        from vigil.server.inspections import services
        from vigil.server.inspections.models import Workplace

        got = services.worklist(Workplace.objects.all(), region=region, limit=limit, as_of=day, weights=w)
        lines = [
            {
                "rank": ln.rank,
                "id": str(ln.workplace.pk),
                "name": ln.workplace.name,
                "region": ln.workplace.region,
                "score": round(ln.score, 1),
                "reason": ln.reason,
                "components": [
                    {"component": c.name, "points": round(c.points, 1), "reason": c.reason}
                    for c in ln.components
                ],
            }
            for ln in got
        ]
    _print(lines, fmt, w.version)


@inspections_app.command("form")
def form_cmd(
    out: Annotated[Path, typer.Option("--out", "-o", help="the XLSForm to write (.xlsx)")],
    lang: Annotated[str, typer.Option("--lang", help="languages of the form, e.g. en,fr")] = "en",
) -> None:
    """Write the visit questionnaire as an XLSForm for ODK and KoboToolbox: the same questions as
    the visit page (one definition), in the page's words; checked with pyxform before it is
    written."""
    from vigil.forms import parse_languages, write_form

    langs = parse_languages(lang)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigil.server.settings")
    import django

    django.setup()
    from vigil.server.inspections.questionnaire import visit_form

    form = visit_form(langs)
    write_form(form, out)
    typer.echo(f"{out}: {form.settings['form_id']} ({', '.join(langs)}), {len(form.survey)} rows")


@inspections_app.command("submissions")
def submissions_cmd(
    visit: Annotated[int, typer.Option("--visit", help="the visit the interviews were held at")],
    user: Annotated[str, typer.Option("--user", help="the inspector importing them (username)")],
    path: Annotated[
        Path, typer.Argument(metavar="EXPORT.csv|xlsx|json", help="a Kobo or ODK Central export")
    ],
) -> None:
    """Import the submissions of the visit form as interviews of a visit, screened as the page
    screens them; all or nothing; a submission imported before (same UUID) is skipped."""
    _setup_django()
    from vigil.server.accounts.models import User
    from vigil.server.inspections.models import Visit
    from vigil.server.inspections.questionnaire import import_submissions

    who = User.objects.filter(username=user, is_active=True).first()
    if who is None or not who.can("inspection.manage"):
        raise InputError(f"no active inspector {user[:40]!r}", "--user")
    from vigil.server import scoping

    v = scoping.visits_for(who).filter(pk=visit).first()
    if v is None or not isinstance(v, Visit):
        raise InputError(f"no visit {visit} of {user[:40]!r}'s team", "--visit")
    got = import_submissions(v, who, path)
    typer.echo(
        f"{path.name}: {got.read} submission(s), {got.created} interview(s) stored, {got.skipped} "
        f"imported before, {got.not_private} not held in private (not stored)"
    )
