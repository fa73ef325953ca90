"""Per-request server CPU timer of ``bench/load.py``, installed by ``bench/load_settings.py`` only.

The server runs gunicorn's gthread workers: a request is handled from start to end by one thread,
so the thread's CPU clock (``time.thread_time``) between the outermost middleware's entry and exit
is the CPU that request cost the server process (Python, templates, serialisation, the database
driver; not the database server's own CPU). The figure goes back in the ``X-Bench-Cpu-Us``
response header (microseconds). Never part of the project's settings.

A helper, not a benchmark: as a script (``make bench`` runs every ``bench/*.py``) it does nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

HEADER = "X-Bench-Cpu-Us"


class CpuTimerMiddleware:
    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        t0 = time.thread_time()
        response = self.get_response(request)
        response[HEADER] = str(round((time.thread_time() - t0) * 1e6))
        return response


if __name__ == "__main__":
    raise SystemExit(0)
