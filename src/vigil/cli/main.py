"""Entry point of the ``vigil`` command: the Typer application and its error handling.

A ``VigilError`` (bad input, unknown rule set, estimate that cannot be computed) is printed
as one line on stderr, ``vigil: <place>: <message>``, and the command exits with status 2.
The readers turn every malformed input into such an error; should an unforeseen exception
still escape a command, it too is one line and exit 2 (``VIGIL_DEBUG=1`` shows the
traceback), never a traceback.
"""

from __future__ import annotations

import os
import sys

import typer

try:  # Typer 0.20+ vendors Click as typer._click
    from typer._click.exceptions import ClickException
except ImportError:  # pragma: no cover - older Typer uses Click itself
    from click.exceptions import ClickException

from vigil.errors import VigilError

app = typer.Typer(
    name="vigil",
    help="Vigil: screen, refer, prevent and count forced labour and human trafficking.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
rules_app = typer.Typer(help="List and show the rule sets (the standards as data).", no_args_is_help=True)
estimate_app = typer.Typer(
    help="Estimates: survey prevalence and multiple systems estimation.", no_args_is_help=True
)
app.add_typer(rules_app, name="rules")
app.add_typer(estimate_app, name="estimate")


def _register() -> None:
    """Import the modules that add commands to the applications above."""
    # One import per command module; each decorates ``app``, ``rules_app`` or ``estimate_app``.
    # --- command modules (keep one per line) ---
    from vigil.cli import rules_commands  # noqa: F401
    from vigil.cli import survey_commands  # noqa: F401
    from vigil.cli import mse_commands  # noqa: F401
    from vigil.cli import link_commands  # noqa: F401
    from vigil.cli import prevalence_commands  # noqa: F401
    from vigil.cli import serve_commands  # noqa: F401
    from vigil.cli import recruiters_commands  # noqa: F401
    from vigil.cli import forms_commands  # noqa: F401
    from vigil.cli import supply_commands  # noqa: F401
    from vigil.cli import alerts_commands  # noqa: F401
    from vigil.cli import backup_commands  # noqa: F401
    from vigil.cli import inspections_commands  # noqa: F401
    from vigil.cli import national_commands  # noqa: F401


MESSAGE_LIMIT = 500


def one_line(message: str, limit: int = MESSAGE_LIMIT) -> str:
    """The message on one line of at most ``limit`` characters: a parser's multi-line text (a
    YAML error's "in <unicode string>" line) is joined, and a message that quotes the input
    (a header of 100,000 characters) is cut after its start, which names the place."""
    text = " ".join(part.strip() for part in message.splitlines() if part.strip())
    return text if len(text) <= limit else text[: limit - 2].rstrip() + " …"


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; domain errors become one clear line and exit status 2."""
    _register()
    try:
        app(args=argv, standalone_mode=False)
    except VigilError as exc:
        print(f"vigil: {one_line(str(exc))}", file=sys.stderr)
        raise SystemExit(2) from None
    except ClickException as exc:  # usage errors: Typer's own message, exit 2
        exc.show()
        raise SystemExit(exc.exit_code) from None
    except typer.Abort:
        print("vigil: aborted", file=sys.stderr)
        raise SystemExit(1) from None
    except typer.Exit as exc:
        raise SystemExit(exc.exit_code) from None
    except BrokenPipeError:
        raise SystemExit(0) from None
    except (Exception, RecursionError) as exc:  # the last guard before a traceback
        if os.environ.get("VIGIL_DEBUG"):
            raise
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        print(
            f"vigil: unexpected error ({type(exc).__name__}{': ' + text if text else ''}); "
            "this is a bug, please report it (VIGIL_DEBUG=1 shows where)",
            file=sys.stderr,
        )
        raise SystemExit(2) from None
