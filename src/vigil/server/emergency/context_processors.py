"""``emergency_alert_count``: how many emergency accesses to the signed-in user's cases (owned, or
supervised) nobody has acknowledged yet, for a badge in the navigation. Lazy: the count query runs
only on pages whose template uses the variable, once per page.

Enable it by adding ``"vigil.server.emergency.context_processors.emergency_alerts"`` to
``TEMPLATES[0]["OPTIONS"]["context_processors"]``; or use the template tag
``{% load emergency %}{% emergency_alert_count as n %}``, which needs no setting.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from vigil.server.emergency import services


def alert_count(user: Any) -> int:
    if not (user is not None and user.is_authenticated):
        return 0
    return services.alerts_for(user).count()


class LazyCount:
    """An int computed on first use (``{% if n %}``, ``{{ n }}``, ``n > 0``), then kept."""

    def __init__(self, user: Any) -> None:
        self._user = user
        self._value: int | None = None

    def __int__(self) -> int:
        if self._value is None:
            self._value = alert_count(self._user)
        return self._value

    def __bool__(self) -> bool:
        return int(self) > 0

    def __str__(self) -> str:
        return str(int(self))

    def __eq__(self, other: object) -> bool:
        return int(self) == other

    def __gt__(self, other: int) -> bool:
        return int(self) > other

    def __lt__(self, other: int) -> bool:
        return int(self) < other

    def __hash__(self) -> int:
        return hash(int(self))


def emergency_alerts(request: HttpRequest) -> dict[str, Any]:
    return {"emergency_alert_count": LazyCount(getattr(request, "user", None))}
