"""Settings of the server started by ``bench/load.py``: those of ``bench/case_api.py`` (the
project's settings and the trivial view ``GET /bench/ping/``) plus, outermost, a middleware that
reports the server CPU time of each request (``load_cpu.CpuTimerMiddleware``).

A helper, not a benchmark: as a script (``make bench`` runs every ``bench/*.py``) it does nothing.
"""

if __name__ == "__main__":
    raise SystemExit(0)

from case_api_settings import *  # noqa: F403

MIDDLEWARE = ["load_cpu.CpuTimerMiddleware", *MIDDLEWARE]  # noqa: F405

# Every request of the bench comes from one address and one user: the per-client limits of the
# public pages (60 a minute) and of the API (VIGIL_API_RATE, set high by bench/load.py) would turn
# the mix into 429s. They are tested on their own (tests/server/test_server_api_throttling.py).
VIGIL_PUBLIC_RATE_LIMIT = (1_000_000, 60)
