"""``vigil backup`` and ``vigil restore``: the whole database, encrypted with the deployment key
(``vigil.server.backup``; docs/backup.md)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from vigil.cli.main import app
from vigil.errors import VigilError


def _setup(command: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigil.server.settings")
    import django

    try:
        django.setup()
    except Exception as exc:  # ImproperlyConfigured: a bad or missing VIGIL_* variable
        raise VigilError(str(exc), place=f"vigil {command}: settings") from None


@app.command("backup")
def backup(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="The backup file to write.")],
) -> None:
    """Back up the database (SQLite or DATABASE_URL) into FILE, encrypted with the deployment key."""
    _setup("backup")
    from vigil.server.backup import BackupError
    from vigil.server.backup import backup as run

    try:
        header = run(file)
    except BackupError as exc:
        raise VigilError(str(exc), place="vigil backup") from None
    size = file.stat().st_size
    typer.echo(f"backup: {file} ({header.engine}, {len(header.tables)} tables, {header.rows:,} rows, "
               f"{size:,} bytes, key {header.key_id!r})")


@app.command("restore")
def restore(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="A file written by vigil backup.")],
    replace: Annotated[bool, typer.Option(
        "--replace", help="Replace a database that holds data (everything in it is lost).")] = False,
) -> None:
    """Restore the database from FILE (stop the server first); the key it names must be in
    VIGIL_FIELD_KEYS."""
    _setup("restore")
    from vigil.server.backup import BackupError
    from vigil.server.backup import restore as run

    if not file.is_file():
        raise VigilError("no such file", place=str(file))
    try:
        header = run(file, replace=replace)
    except BackupError as exc:
        raise VigilError(str(exc), place="vigil restore") from None
    typer.echo(f"restored: {file} ({header.engine}, made {header.created_at}, {len(header.tables)} tables, "
               f"{header.rows:,} rows)")
