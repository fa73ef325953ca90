"""``python -m vigil.server <command>``: Django's manage.py for the Vigil server."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigil.server.settings")
    from django.conf import settings
    from django.core.management import execute_from_command_line

    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
    execute_from_command_line(["vigil-manage", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
