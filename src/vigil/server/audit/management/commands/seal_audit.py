from django.core.management.base import BaseCommand

from vigil.server.audit.log import seal_pending


class Command(BaseCommand):
    help = "Append the audit entries not sealed yet to the hash chain (run it on a schedule)."

    def handle(self, *args: object, **options: object) -> None:
        self.stdout.write(f"sealed {seal_pending()} audit entries")
