"""``python -m vigil.server run_jobs``: run the due jobs (for cron, a systemd timer or service)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections
from django.utils import timezone
from django.utils.translation import gettext as _

from vigil.server.jobs import registry
from vigil.server.jobs.display import format_interval, format_time
from vigil.server.jobs.models import JobRun
from vigil.server.jobs.runner import run_due, statuses


class Command(BaseCommand):
    help = (
        "Run the scheduled jobs that are due (retention, audit sealing and verification...). "
        "--once: one pass then exit (cron); without it: a pass every --interval seconds."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="One pass, then exit (for cron).")
        parser.add_argument("--job", metavar="NAME", help="Only this job.")
        parser.add_argument("--force", action="store_true", help="Run even if not due yet.")
        parser.add_argument(
            "--list", action="store_true", help="Show each job, its interval, last run and next due."
        )
        parser.add_argument(
            "--interval", type=float, default=60.0, help="Seconds between passes without --once."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        only = options["job"]
        if only:
            try:
                registry.get(only)
            except registry.UnknownJob as exc:
                raise CommandError(f"--job: {exc}") from None
        if options["list"]:
            if options["force"] or options["once"]:
                raise CommandError(_("--list only shows the jobs: drop --once and --force"))
            self._list(only)
            return
        if options["interval"] <= 0:
            raise CommandError(_("--interval must be a positive number of seconds"))
        if options["once"]:
            failed = self._pass(only, options["force"], say_idle=True)
            if failed:
                raise CommandError(_("failed: %(jobs)s") % {"jobs": ", ".join(failed)})
            return
        self.stdout.write(_("running due jobs every %(n)s s; stop with Ctrl+C") % {"n": options["interval"]})
        try:
            while True:
                self._pass(only, options["force"], say_idle=False)
                close_old_connections()
                time.sleep(options["interval"])
        except KeyboardInterrupt:
            return

    def _pass(self, only: str | None, force: bool, *, say_idle: bool) -> list[str]:
        runs = run_due(only=only, force=force)
        if not runs and say_idle:
            self.stdout.write(_("no job due"))
        for run in runs:
            line = f"{run.name}: {run.get_status_display()}"
            if run.summary:
                line += " (" + ", ".join(f"{k}={v}" for k, v in run.summary.items()) + ")"
            if run.status == JobRun.Status.FAILED:
                line += f" {run.error_class}: {run.error_message}"
            self.stdout.write(line)
        return [run.name for run in runs if run.status == JobRun.Status.FAILED]

    def _list(self, only: str | None) -> None:
        now = timezone.now()
        header = (_("job"), _("every"), _("last run"), _("last status"), _("next due"))
        rows = [header]
        for st in statuses():
            if only and st.job.name != only:
                continue
            rows.append(
                (
                    st.job.name,
                    format_interval(st.job.every),
                    format_time(st.last_run.started_at) if st.last_run else _("never"),
                    st.last_run.get_status_display() if st.last_run else "-",
                    _("now") if st.due(now) else format_time(st.next_due),  # type: ignore[arg-type]
                )
            )
        widths = [max(len(str(row[i])) for row in rows) for i in range(len(header))]
        for row in rows:
            self.stdout.write("  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
