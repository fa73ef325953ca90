"""The ``vigil`` command. Each sub-command lives in its own module and calls the pure core."""

from vigil.cli.main import app, main

__all__ = ["app", "main"]
