"""Settings of the server started by ``bench/load.py``: those of ``bench/case_api.py`` (the
project's settings and the trivial view ``GET /bench/ping/``) plus, outermost, a middleware that
reports the server CPU time of each request (``load_cpu.CpuTimerMiddleware``).

A helper, not a benchmark: as a script (``make bench`` runs every ``bench/*.py``) it does nothing.
"""

if __name__ == "__main__":
    raise SystemExit(0)

from case_api_settings import *  # noqa: F403

MIDDLEWARE = ["load_cpu.CpuTimerMiddleware", *MIDDLEWARE]  # noqa: F405
