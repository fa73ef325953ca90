"""The recurring jobs the scheduler knows: name, callable, interval, description.

Apps register their jobs from their ``AppConfig.ready()``::

    from datetime import timedelta
    from vigil.server.jobs.registry import register

    register("export_purge", purge_exports, every=timedelta(hours=1),
             description=gettext_lazy("Delete expired export files."))

This module imports no model, so ``register`` works from any app's ``ready()`` whatever the order
of ``INSTALLED_APPS``. A job is a callable without arguments returning a small summary: a dict of
counts (``{"deleted": 3}``), never an identity value; it raises ``JobError`` with a message made
of ids and counts only when it fails for a reason worth showing (any other exception's message is
withheld, as it may quote data).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta

Summary = Mapping[str, int | float | bool]
JobFunc = Callable[[], Summary | None]

NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class JobError(Exception):
    """A job failed for a reason its message states; the message holds ids and counts only."""


class UnknownJob(LookupError):
    """No job of that name is registered."""


@dataclass(frozen=True)
class Job:
    name: str
    func: JobFunc
    every: timedelta
    description: str  # usually a lazy translation


_jobs: dict[str, Job] = {}


def register(name: str, func: JobFunc, *, every: timedelta, description: str = "") -> Job:
    """Add a job (or register the same callable again: idempotent); return it."""
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise ValueError(f"job name {name!r}: use 1-64 lower-case letters, digits and _, starting a letter")
    if not callable(func):
        raise TypeError(f"job {name}: func must be callable")
    if not isinstance(every, timedelta) or every <= timedelta(0):
        raise ValueError(f"job {name}: every must be a positive timedelta")
    job = Job(name=name, func=func, every=every, description=description)
    existing = _jobs.get(name)
    if existing is not None and existing.func is not func:
        raise ValueError(f"job {name} is already registered with another function")
    _jobs[name] = job
    return job


def unregister(name: str) -> None:
    """Remove a job (tests; an app that turns a job off)."""
    _jobs.pop(name, None)


def get(name: str) -> Job:
    try:
        return _jobs[name]
    except KeyError:
        known = ", ".join(sorted(_jobs)) or "none"
        raise UnknownJob(f"no job named {name!r} (known: {known})") from None


def all_jobs() -> list[Job]:
    return [_jobs[name] for name in sorted(_jobs)]
