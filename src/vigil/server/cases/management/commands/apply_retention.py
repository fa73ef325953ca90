from datetime import date

from django.core.management.base import BaseCommand

from vigil.server.cases import retention


class Command(BaseCommand):
    help = "Anonymise closed cases past their retention period (not those on legal hold); purge old tokens."

    def add_arguments(self, parser) -> None:  # type: ignore[no-untyped-def]
        parser.add_argument("--dry-run", action="store_true", help="only report what would be done")
        parser.add_argument(
            "--today", type=date.fromisoformat, help="pretend today is this date (YYYY-MM-DD)"
        )

    def handle(self, *args: object, **options: object) -> None:
        report = retention.apply(options["today"], dry_run=bool(options["dry_run"]))  # type: ignore[arg-type]
        verb = "would anonymise" if options["dry_run"] else "anonymised"
        self.stdout.write(
            f"{verb} {len(report.anonymised_cases)} closed cases ({report.anonymised_persons} persons); "
            f"{len(report.held_cases)} kept on legal hold; {report.tokens_deleted} expired tokens and "
            f"{report.login_attempts_deleted} old failed-login records deleted"
        )
