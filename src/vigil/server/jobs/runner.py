"""Run the jobs that are due, one at a time, each by one process at a time, and record the runs.

A job is due when its last successful run started at least its interval ago (or it never
succeeded): a failed run is retried at the next tick. ``run_job`` takes the job's lock inside a
transaction and checks again that the job is due *under the lock*, so two processes ticking
together (several ``vigil serve --workers``, a cron ``run_jobs`` beside the server) run it once:

- PostgreSQL: ``SELECT ... FOR UPDATE SKIP LOCKED`` on the job's ``JobLock`` row; the process
  that finds the row locked records a *skipped* attempt and moves on.
- SQLite: the transaction begins with ``BEGIN IMMEDIATE`` (the project's setting), which takes the
  database write lock; a second process waits for it, then finds the job no longer due.

The job runs inside a savepoint of that transaction: a failing job leaves no partial change, its
run is recorded as failed (exception class; the message only for a ``JobError``) and the other
jobs still run. Every run is audited (action ``job``, via ``job``, counts only).
"""

from __future__ import annotations

import logging
import os
import socket
import traceback
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from vigil.server.audit.log import record
from vigil.server.jobs.models import JobLock, JobRun
from vigil.server.jobs.registry import NAME_RE, Job, JobError, all_jobs, get

logger = logging.getLogger(__name__)
RESERVED_KEYS = frozenset({"job", "status", "error"})


def last_success(name: str) -> JobRun | None:
    return JobRun.objects.filter(name=name, status=JobRun.Status.OK).order_by("-started_at", "-id").first()


def next_due(job: Job, last_ok: JobRun | None) -> datetime | None:
    """When the job is due after its last successful run; None: now (it never succeeded)."""
    return None if last_ok is None else last_ok.started_at + job.every


def is_due(job: Job, now: datetime) -> bool:
    due = next_due(job, last_success(job.name))
    return due is None or due <= now


def acquire(name: str) -> bool:
    """Inside a transaction: take the job's lock for the rest of it; False if another process holds
    it (PostgreSQL). On SQLite the transaction already holds the database write lock: True."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("acquire() must run inside transaction.atomic()")
    if not connection.features.has_select_for_update:
        return True
    return bool(list(lock_query(name)[:1]))


def lock_query(name: str) -> Any:
    """The query that takes the row lock (``FOR UPDATE SKIP LOCKED``; a no-op on SQLite)."""
    return JobLock.objects.select_for_update(skip_locked=True).filter(name=name)


class SummaryError(JobError):
    """The job returned something other than a dict of counts (message: key names and types only)."""


def _check_summary(name: str, summary: Any) -> dict[str, int | float | bool]:
    if summary is None:
        return {}
    if not isinstance(summary, dict):
        raise SummaryError(f"job {name} returned {type(summary).__name__}, not a dict of counts")
    for key, value in summary.items():
        if not isinstance(key, str) or not NAME_RE.match(key) or key in RESERVED_KEYS:
            raise SummaryError(
                f"job {name}: summary keys must be lower-case names (a-z, 0-9, _) other than "
                "job, status, error"
            )
        if not isinstance(value, int | float | bool):
            kind = type(value).__name__
            raise SummaryError(f"job {name}: summary value of {key} is a {kind}, not a number")
    return dict(summary)


def _error_fields(exc: BaseException) -> tuple[str, str]:
    """(class, message): the message of a JobError (ids and counts, written by Vigil's jobs); for
    any other exception only where it was raised, as its message may quote data."""
    cls = type(exc)
    name = cls.__name__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
    if isinstance(exc, JobError):
        return name[:200], str(exc)[:500]
    frames = traceback.extract_tb(exc.__traceback__)
    where = f"; raised at {os.path.basename(frames[-1].filename)}:{frames[-1].lineno}" if frames else ""
    return name[:200], f"message withheld (it may quote data){where}"[:500]


@dataclass(frozen=True)
class Host:
    name: str
    pid: int


def _host() -> Host:
    return Host(socket.gethostname()[:255], os.getpid())


def _save(
    job: Job, status: str, started: datetime, summary: dict[str, Any], exc: BaseException | None
) -> JobRun:
    error_class, error_message = _error_fields(exc) if exc is not None else ("", "")
    host = _host()
    run = JobRun.objects.create(
        name=job.name,
        started_at=started,
        finished_at=timezone.now(),
        status=status,
        summary=summary,
        error_class=error_class,
        error_message=error_message,
        host=host.name,
        pid=host.pid,
    )
    detail: dict[str, Any] = {**summary, "job": job.name, "status": status}
    if error_class:
        detail["error"] = error_class
    record("job", via="job", object_type="system", object_id=run.pk, detail=detail)
    return run


def run_job(job: Job, now: datetime | None = None, *, force: bool = False) -> JobRun | None:
    """Run one job if it is due (or ``force``) and nobody else runs it; return the run recorded
    (ok, failed, or skipped when another process holds the lock), None when it was not due."""
    now = now or timezone.now()
    JobLock.objects.get_or_create(name=job.name)
    with transaction.atomic():
        started = timezone.now()
        if not acquire(job.name):
            logger.info("job %s skipped: running in another process", job.name)
            return _save(job, JobRun.Status.SKIPPED, started, {}, None)
        if not force and not is_due(job, now):
            return None
        try:
            with transaction.atomic():
                summary = _check_summary(job.name, job.func())
        except Exception as exc:
            logger.warning("job %s failed", job.name, exc_info=True)
            return _save(job, JobRun.Status.FAILED, started, {}, exc)
        logger.info("job %s done", job.name)
        return _save(job, JobRun.Status.OK, started, summary, None)


def run_due(now: datetime | None = None, *, only: str | None = None, force: bool = False) -> list[JobRun]:
    """Run every due job (or only the one named; ``force``: even if not due), one after the other.
    A failing job does not stop the others. Returns the runs recorded."""
    now = now or timezone.now()
    jobs = [get(only)] if only else all_jobs()
    runs = []
    for job in jobs:
        if not force and not is_due(job, now):  # cheap pre-check, without any lock
            continue
        run = run_job(job, now, force=force)
        if run is not None:
            runs.append(run)
    return runs


@dataclass(frozen=True)
class JobStatus:
    job: Job
    last_run: JobRun | None
    last_success: JobRun | None
    next_due: datetime | None  # None: due now (never succeeded)

    def due(self, now: datetime) -> bool:
        return self.next_due is None or self.next_due <= now


def statuses() -> list[JobStatus]:
    """Each registered job with its last run, last success and next due time."""
    out = []
    for job in all_jobs():
        last = JobRun.objects.filter(name=job.name).order_by("-started_at", "-id").first()
        ok = last if last is not None and last.status == JobRun.Status.OK else last_success(job.name)
        out.append(JobStatus(job, last, ok, next_due(job, ok)))
    return out
