"""Settings of the server started by ``bench/case_api.py``: the project's own settings, read from
the same environment (``VIGIL_*``, ``DATABASE_URL``), with one change: the URL configuration
``case_api_urls`` adds a trivial view, ``GET /bench/ping/``, the baseline of the benchmark.

A helper, not a benchmark: ``make bench`` runs every ``bench/*.py``; run as a script this module
only evaluates the settings and exits.
"""

from vigil.server.settings import *  # noqa: F403

ROOT_URLCONF = "case_api_urls"
