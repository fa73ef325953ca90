"""Keep the findings totals (``FindingTotals``, the worklist's fast path) up to date: a finding
or an enforcement action saved or deleted refreshes its workplace's row. Writes that bypass
signals (``QuerySet.update``, ``bulk_create``) call ``services.refresh_totals`` or
``services.rebuild_totals`` themselves."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save


def _finding_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    from vigil.server.inspections import services

    if kwargs.get("raw"):
        return
    services.refresh_totals([instance.workplace_id])


def _action_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    from vigil.server.inspections import services
    from vigil.server.inspections.models import Visit

    if kwargs.get("raw"):
        return
    wp = Visit.objects.filter(pk=instance.visit_id).values_list("workplace_id", flat=True).first()
    services.refresh_totals([wp] if wp is not None else [])


def connect() -> None:
    from vigil.server.inspections.models import EnforcementAction, Finding

    for signal in (post_save, post_delete):
        uid = "save" if signal is post_save else "delete"
        signal.connect(_finding_changed, sender=Finding, dispatch_uid=f"inspections-totals-finding-{uid}")
        signal.connect(
            _action_changed, sender=EnforcementAction, dispatch_uid=f"inspections-totals-action-{uid}"
        )
