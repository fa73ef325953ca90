from django.core.management.base import BaseCommand, CommandError

from vigil.server.audit.log import verify_chain


class Command(BaseCommand):
    help = "Recompute the audit log's hash chain and report the first broken entry."

    def handle(self, *args: object, **options: object) -> None:
        report = verify_chain()
        if not report.ok:
            where = f"entry {report.first_bad_id}" if report.first_bad_id else "head"
            raise CommandError(f"audit chain broken at {where}: {report.problem}")
        self.stdout.write(f"audit chain intact: {report.checked} entries")
