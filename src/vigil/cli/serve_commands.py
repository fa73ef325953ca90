"""``vigil serve``: migrate the database and run the case-management server.

The server runs under waitress, a production-capable pure-Python WSGI server (it also runs on
Windows, where field teams' laptops often are); behind a TLS proxy in production. With
``--workers N`` (N > 1, Linux and macOS) it runs under gunicorn instead: N processes with
``--threads`` threads each, so a busy server uses every core instead of one (the GIL).
"""

from __future__ import annotations

import os

import typer

from vigil.cli.main import app
from vigil.errors import VigilError


@app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    demo: bool = typer.Option(False, "--demo", help="Load demo organisations, users and synthetic cases."),
    threads: int = typer.Option(8, help="Worker threads of the WSGI server (per process)."),
    workers: int = typer.Option(
        1,
        min=1,
        help="Server processes. 1: waitress in this process; more: gunicorn (Linux, macOS) with "
        "this many processes of --threads threads each (about one per CPU core).",
    ),
) -> None:
    """Migrate the database (SQLite under VIGIL_DATA_DIR, or DATABASE_URL) and start the server."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigil.server.settings")
    import django

    try:
        django.setup()
    except Exception as exc:  # ImproperlyConfigured: a bad or missing VIGIL_* variable
        raise VigilError(str(exc), place="vigil serve: settings") from None
    from django.conf import settings
    from django.core.management import call_command

    if demo and settings.PRODUCTION:
        raise VigilError("--demo is refused when VIGIL_ENV=production", place="vigil serve")
    from vigil.server.jobs.scheduler import scheduler_enabled

    try:
        scheduler_on = scheduler_enabled()
    except Exception as exc:  # ImproperlyConfigured: VIGIL_SCHEDULER neither on nor off
        raise VigilError(str(exc), place="vigil serve: settings") from None
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
    call_command("migrate", interactive=False, verbosity=0)
    if settings.PRODUCTION:
        call_command("collectstatic", interactive=False, verbosity=0)
    url = f"http://{'localhost' if host in {'127.0.0.1', '0.0.0.0'} else host}:{port}/"
    typer.echo(f"Vigil server: {url}  (API docs: {url}api/docs/)")
    if settings.VIGIL_INSECURE_KEYS:
        typer.echo(
            "WARNING: identity fields are encrypted with the public demo keys (INSECURE); "
            "set VIGIL_FIELD_KEYS and VIGIL_INDEX_KEY for real data."
        )
    if demo:
        from vigil.server.cases.demo import DEMO_PASSWORD, USERS, load_demo

        counts = load_demo()
        typer.echo(
            f"Demo data loaded ({counts['cases']} new synthetic cases). Logins, password '{DEMO_PASSWORD}':"
        )
        for username, role, _org in USERS:
            typer.echo(f"  {username:<11} {role.label}")
    if not scheduler_on:
        typer.echo(
            "Scheduled jobs are off (VIGIL_SCHEDULER=off): "
            "run 'python -m vigil.server run_jobs --once' from cron."
        )
    if workers > 1:
        _serve_gunicorn(host, port, workers, threads)
        return
    from waitress import serve as waitress_serve

    from vigil.server.audit.log import start_sealer
    from vigil.server.jobs.scheduler import start_scheduler
    from vigil.server.wsgi import application

    start_sealer()  # chains the audit entries the requests insert (see docs/security.md)
    start_scheduler()  # runs the due jobs every minute unless VIGIL_SCHEDULER=off (see docs/jobs.md)

    waitress_serve(application, host=host, port=port, threads=threads, ident="vigil")


def _serve_gunicorn(host: str, port: int, workers: int, threads: int) -> None:
    """N forked processes (gunicorn's gthread workers), each loading the application itself."""
    try:
        from gunicorn.app.base import BaseApplication
    except ImportError:  # Windows: gunicorn needs fork
        raise VigilError(
            "--workers needs gunicorn, which runs on Linux and macOS only; use --threads here",
            place="vigil serve",
        ) from None
    from django.db import connections

    connections.close_all()  # the forked workers must not share this process's connections

    def post_worker_init(worker: object) -> None:
        from vigil.server.audit.log import start_sealer
        from vigil.server.jobs.scheduler import start_scheduler

        start_sealer()  # one per process; the sealers take turns (see vigil.server.audit.log)
        start_scheduler()  # one per process; a job lock lets one run a given job (vigil.server.jobs)

    options = {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "post_worker_init": post_worker_init,
        "proc_name": "vigil",
        "errorlog": "-",
    }

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> object:
            from vigil.server.wsgi import application

            return application

    Server().run()
