"""Delete expired or used-up encrypted export files, and files left without a row."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from vigil.server.disclosures.exportfiles import purge_expired


class Command(BaseCommand):
    help = "Delete expired encrypted export files and orphan files (run hourly)."

    def handle(self, *args: Any, **options: Any) -> None:
        report = purge_expired()
        self.stdout.write(
            f"purged {len(report.purged)} export file(s), removed {report.orphans_removed} orphan file(s)"
        )
