from django.core.management.base import BaseCommand, CommandError

from vigil.server.cases.demo import DemoRefused, load_demo


class Command(BaseCommand):
    help = "Load demo organisations, users (password vigil-demo) and synthetic cases. Not in production."

    def handle(self, *args: object, **options: object) -> None:
        try:
            counts = load_demo()
        except DemoRefused as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"demo: {counts['cases']} synthetic cases created")
