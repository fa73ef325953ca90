"""Publishing guides: a review publishes, an edit of a published text sends it back to review."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from vigil.server.audit.log import record
from vigil.server.safemigration.models import Guide

EDIT = "safemigration.edit"
PUBLISH = "safemigration.publish"


def may_edit(user: Any) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.can(EDIT))


def may_publish(user: Any) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.can(PUBLISH))


def edited(guide: Guide, changed: list[str], user: Any) -> None:
    """After a save: a published guide whose text changed waits for a new review."""
    content = [f for f in changed if f in Guide.CONTENT]
    if content and guide.status == Guide.Status.PUBLISHED:
        guide.status = Guide.Status.REVIEW
        guide.save(update_fields=["status"])
    record(
        "update", user=user, obj=guide, via="web", detail={"fields": sorted(changed), "status": guide.status}
    )


def publish(guide: Guide, user: Any) -> None:
    """The reviewer read it: published, reviewed today by ``user``."""
    if not may_publish(user):
        raise PermissionError("safemigration.publish")
    guide.status = Guide.Status.PUBLISHED
    guide.reviewed_on = timezone.localdate()
    guide.reviewed_by = user
    guide.save(update_fields=["status", "reviewed_on", "reviewed_by"])
    record("publish", user=user, obj=guide, via="web", detail={"language": guide.language})


def published(language: str) -> list[Guide]:
    """The published guides, one per country: in ``language`` where there is one, else English."""
    best: dict[str, Guide] = {}
    for g in Guide.objects.filter(status=Guide.Status.PUBLISHED, language__in=[language, "en"]):
        if g.country not in best or g.language == language:
            best[g.country] = g
    return sorted(best.values(), key=lambda g: (g.role, g.country_name))


def guide_for(country: str, language: str) -> Guide | None:
    found = {
        g.language: g for g in Guide.objects.filter(country=country.upper(), status=Guide.Status.PUBLISHED)
    }
    return found.get(language) or found.get("en")
