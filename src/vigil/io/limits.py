"""The most rows one import may hold: ``VIGIL_MAX_IMPORT_ROWS`` (default 20,000,000).

Every reader of a user's file (records, tables, submissions, lists, capture histories, supply
networks, agencies, payments, offers, weekly counts) counts the data rows it reads and stops at
the first one past the limit with an :class:`InputError` naming the file, so the command exits 2
with one line and stores or writes nothing (the readers run before anything is written). The
limit protects the machine (memory, hours of work) from a file that is far larger than meant,
e.g. a log concatenated by mistake; a deployment with larger files raises it. The default leaves
room for the 10,000,000-row survey and capture-history runs of the scale path.

Pure Python (no Django): the CLI and the server read the same environment variable.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import TypeVar

from vigil.errors import InputError

ENV = "VIGIL_MAX_IMPORT_ROWS"
DEFAULT_MAX_ROWS = 20_000_000

T = TypeVar("T")


def max_import_rows() -> int:
    """The limit now in force (read on each call, so a test or a deployment may change it)."""
    raw = os.environ.get(ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_ROWS
    try:
        value = int(raw.replace("_", ""))
    except ValueError:
        value = 0
    if value < 1:
        raise InputError(f"expected a whole number of rows of at least 1, got {raw[:40]!r}", ENV)
    return value


def too_many_rows(source: str, limit: int) -> InputError:
    """The one error of a file past the limit (its place is the file)."""
    return InputError(
        f"more than {limit:,} rows, the most one import may hold ({ENV}); nothing was imported: "
        "split the file or raise the limit",
        source,
    )


def check_row_count(count: int, source: str) -> None:
    """Raise when ``count`` data rows are more than the limit."""
    limit = max_import_rows()
    if count > limit:
        raise too_many_rows(source, limit)


def limit_rows(rows: Iterable[T], source: str) -> Iterator[T]:
    """``rows`` unchanged, stopping with the error at the first row past the limit."""
    limit = max_import_rows()
    for n, row in enumerate(rows, start=1):
        if n > limit:
            raise too_many_rows(source, limit)
        yield row
