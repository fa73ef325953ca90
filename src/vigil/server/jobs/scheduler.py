"""The scheduler thread of ``vigil serve``: every minute, run the jobs that are due.

Each server process (``--workers N``) starts one; the job locks (see ``runner``) make sure one
process at a time runs a given job, and a cron ``run_jobs`` beside the server takes the same locks.
``VIGIL_SCHEDULER=off`` turns the thread off (then run ``python -m vigil.server run_jobs --once``
from cron or a systemd timer).
"""

from __future__ import annotations

import logging
import os
import threading

from django.core.exceptions import ImproperlyConfigured
from django.db import close_old_connections
from django.utils import timezone

from vigil.server.jobs.runner import Clock, run_due

logger = logging.getLogger(__name__)
ON = frozenset({"", "on", "true", "yes", "1"})
OFF = frozenset({"off", "false", "no", "0"})


def scheduler_enabled() -> bool:
    """``VIGIL_SCHEDULER``: on (default) or off; anything else is a configuration error."""
    raw = os.environ.get("VIGIL_SCHEDULER", "").strip().lower()
    if raw in ON:
        return True
    if raw in OFF:
        return False
    raise ImproperlyConfigured(f"VIGIL_SCHEDULER must be 'on' or 'off', not {raw!r}")


class Scheduler(threading.Thread):
    """A daemon thread calling ``run_due()`` every ``interval`` seconds until ``stop()``.

    The wait between ticks is on the monotonic clock (``Event.wait``): a step of the wall clock
    neither stops the ticks nor makes them come in a burst; the wall clock (``clock``, injectable)
    only dates the runs and decides what is due (see ``runner``)."""

    def __init__(self, interval: float, clock: Clock = timezone.now) -> None:
        super().__init__(name="vigil-jobs", daemon=True)
        self.interval = interval
        self.clock = clock
        self._stopping = threading.Event()

    def run(self) -> None:
        while not self._stopping.wait(self.interval):
            self.tick()

    def tick(self) -> None:
        try:
            run_due(clock=self.clock)
        except Exception:  # a locked SQLite database, a restarting PostgreSQL: next tick
            logger.warning("job scheduler tick failed; retrying in %.0f s", self.interval, exc_info=True)
        finally:
            close_old_connections()

    def stop(self, timeout: float | None = 30.0) -> None:
        """Stop after the current job (if any) and wait for the thread to end."""
        self._stopping.set()
        if self.is_alive():
            self.join(timeout)


def start_scheduler(interval_seconds: float = 60.0) -> Scheduler | None:
    """Start the scheduler thread of this process; None when ``VIGIL_SCHEDULER=off``."""
    if interval_seconds <= 0:
        raise ValueError("interval_seconds must be positive")
    if not scheduler_enabled():
        logger.info("job scheduler off (VIGIL_SCHEDULER=off)")
        return None
    scheduler = Scheduler(interval_seconds)
    scheduler.start()
    return scheduler
