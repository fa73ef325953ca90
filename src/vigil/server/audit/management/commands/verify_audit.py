from django.core.management.base import BaseCommand, CommandError, CommandParser

from vigil.server.audit.log import seal_pending, verify_chain


class Command(BaseCommand):
    help = (
        "Seal the audit entries not sealed yet, then recompute the audit log's hash chain and report "
        "the first broken link."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-seal", action="store_true", help="Verify only; do not seal pending entries first."
        )

    def handle(self, *args: object, **options: object) -> None:
        sealed = 0 if options["no_seal"] else seal_pending()
        report = verify_chain()
        if not report.ok:
            where = f"entry {report.first_bad_id}" if report.first_bad_id else "head"
            raise CommandError(f"audit chain broken at {where}: {report.problem}")
        self.stdout.write(
            f"audit chain intact: {report.checked} entries ({sealed} sealed now, "
            f"{report.unsealed} not sealed yet); last hash {report.head_hash}"
        )
