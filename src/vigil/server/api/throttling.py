"""Per-user request rate of the API (anonymous callers by address), from ``VIGIL_API_RATE``.

DRF's own ``UserRateThrottle`` reads its rates once, when the class is defined; this one reads
the setting on each request, so a deployment (or a test) that changes it is obeyed at once. Over
the limit the answer is a 429 problem document with ``retry_after`` and a ``Retry-After`` header
(vigil.server.api.problems). The counters live in Django's cache: with several server
processes, configure a shared cache (Redis) so that the limit is per user, not per process.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import UserRateThrottle


class PerUserRateThrottle(UserRateThrottle):
    scope = "user"

    def get_rate(self) -> str:
        return str(settings.VIGIL_API_RATE)
