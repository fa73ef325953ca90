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

Clock steps. Times are aware UTC datetimes, so a daylight-saving change of ``TIME_ZONE`` moves
nothing. A step of the system clock (NTP, a clock set by hand) is handled so that a job is neither
run twice nor left waiting for the clock to catch up: forward, a due job runs once (not once per
missed interval); back, past the last success's start (the clock reads a time before that run),
the run under the lock notes the step on the job's lock (``counted_from``) and the interval is
counted from that moment, so the next run comes one interval later, instead of after the step plus
one interval. The clock of the runner is injectable (``clock``) for tests.
"""

from __future__ import annotations

import logging
import os
import socket
import traceback
from collections.abc import Callable
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
Clock = Callable[[], datetime]


def last_success(name: str) -> JobRun | None:
    """The latest successful run: the latest recorded (by id), not the one whose clock reading is the
    latest, which after the clock stepped back would be an older run."""
    return JobRun.objects.filter(name=name, status=JobRun.Status.OK).order_by("-id").first()


def counted_from(last_ok: JobRun, lock: JobLock | None) -> datetime:
    """Where the interval after ``last_ok`` starts: its start, or where a step back was noted."""
    if lock is not None and lock.counted_from is not None and lock.counted_from_run == last_ok.pk:
        return lock.counted_from
    return last_ok.started_at


def _lock_row(name: str) -> JobLock | None:
    return JobLock.objects.filter(name=name).first()


def next_due(job: Job, last_ok: JobRun | None, lock: JobLock | None = None) -> datetime | None:
    """When the job is due after its last successful run; None: now (it never succeeded)."""
    return None if last_ok is None else counted_from(last_ok, lock) + job.every


def clock_behind(job: Job, last_ok: JobRun | None, lock: JobLock | None, now: datetime) -> bool:
    """The clock reads a time before the start the interval is counted from: it stepped back."""
    return last_ok is not None and counted_from(last_ok, lock) > now


def is_due(job: Job, now: datetime) -> bool:
    """Due, or the clock is behind the last run (run_job, under the lock, notes the step)."""
    last_ok, lock = last_success(job.name), _lock_row(job.name)
    due = next_due(job, last_ok, lock)
    return due is None or due <= now or clock_behind(job, last_ok, lock, now)


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
    job: Job,
    status: str,
    started: datetime,
    summary: dict[str, Any],
    exc: BaseException | None,
    clock: Clock = timezone.now,
) -> JobRun:
    error_class, error_message = _error_fields(exc) if exc is not None else ("", "")
    host = _host()
    run = JobRun.objects.create(
        name=job.name,
        started_at=started,
        finished_at=max(clock(), started),
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


def run_job(
    job: Job, now: datetime | None = None, *, force: bool = False, clock: Clock = timezone.now
) -> JobRun | None:
    """Run one job if it is due (or ``force``) and nobody else runs it; return the run recorded
    (ok, failed, or skipped when another process holds the lock), None when it was not due."""
    now = now or clock()
    JobLock.objects.get_or_create(name=job.name)
    with transaction.atomic():
        started = clock()
        if not acquire(job.name):
            logger.info("job %s skipped: running in another process", job.name)
            return _save(job, JobRun.Status.SKIPPED, started, {}, None, clock)
        last_ok, lock = last_success(job.name), _lock_row(job.name)
        if lock is not None and last_ok is not None and clock_behind(job, last_ok, lock, now):
            logger.warning(
                "job %s: the clock reads %s, before its last run started (%s): the clock stepped back; "
                "its interval now counts from this moment",
                job.name,
                now.isoformat(),
                counted_from(last_ok, lock).isoformat(),
            )
            lock.counted_from, lock.counted_from_run = now, last_ok.pk
            lock.save(update_fields=["counted_from", "counted_from_run"])
        due = next_due(job, last_ok, lock)
        if not force and due is not None and due > now:
            return None
        try:
            with transaction.atomic():
                summary = _check_summary(job.name, job.func())
        except Exception as exc:
            logger.warning("job %s failed", job.name, exc_info=True)
            return _save(job, JobRun.Status.FAILED, started, {}, exc, clock)
        logger.info("job %s done", job.name)
        return _save(job, JobRun.Status.OK, started, summary, None, clock)


def run_due(
    now: datetime | None = None,
    *,
    only: str | None = None,
    force: bool = False,
    clock: Clock = timezone.now,
) -> list[JobRun]:
    """Run every due job (or only the one named; ``force``: even if not due), one after the other.
    A failing job does not stop the others. Returns the runs recorded."""
    now = now or clock()
    jobs = [get(only)] if only else all_jobs()
    runs = []
    for job in jobs:
        if not force and not is_due(job, now):  # cheap pre-check, without any lock
            continue
        run = run_job(job, now, force=force, clock=clock)
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
        last = JobRun.objects.filter(name=job.name).order_by("-id").first()
        ok = last if last is not None and last.status == JobRun.Status.OK else last_success(job.name)
        out.append(JobStatus(job, last, ok, next_due(job, ok, _lock_row(job.name))))
    return out
