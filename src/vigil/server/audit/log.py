"""Write and verify the hash-chained audit log."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from vigil.server.audit.models import AuditEntry, AuditHead

GENESIS = "0" * 64


def entry_hash(
    prev_hash: str,
    *,
    at: datetime,
    actor_id: int | None,
    actor_username: str,
    action: str,
    object_type: str,
    object_id: str,
    reason: str,
    via: str,
    ip: str | None,
    detail: dict[str, Any],
) -> str:
    payload = [
        prev_hash,
        at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        actor_id,
        actor_username,
        action,
        object_type,
        object_id,
        reason,
        via,
        ip or "",
        detail,
    ]
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _client_ip(request: Any) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def record(
    action: str,
    *,
    user: Any = None,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    reason: str = "",
    via: str = "",
    request: Any = None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry. ``detail`` must hold ids, counts and field *names* only."""
    if obj is not None:
        object_type = object_type or obj._meta.model_name or ""
        object_id = object_id or obj.pk
    if request is not None and not reason:
        reason = (request.headers.get("X-Vigil-Reason") or "")[:500]
    actor_id = getattr(user, "pk", None) if user is not None and user.is_authenticated else None
    username = user.get_username() if actor_id is not None else ""
    fields = {
        "at": timezone.now(),
        "actor_id": actor_id,
        "actor_username": username,
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id),
        "reason": reason,
        "via": via,
        "ip": _client_ip(request),
        "detail": detail or {},
    }
    with transaction.atomic():
        # Updating the head row first takes the write lock (row lock on PostgreSQL, database
        # lock on SQLite): concurrent writers queue here and the chain cannot fork.
        if not AuditHead.objects.filter(pk=1).update(count=models.F("count") + 1):
            AuditHead.objects.get_or_create(pk=1, defaults={"last_hash": GENESIS, "count": 0})
            AuditHead.objects.filter(pk=1).update(count=models.F("count") + 1)
        head = AuditHead.objects.get(pk=1)
        digest = entry_hash(head.last_hash, **fields)
        entry = AuditEntry.objects.create(prev_hash=head.last_hash, hash=digest, **fields)
        AuditHead.objects.filter(pk=1).update(last_hash=digest)
    return entry


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    problem: str = ""


def verify_chain() -> ChainReport:
    """Recompute every hash in order; report the first entry that does not match."""
    prev = GENESIS
    n = 0
    for e in AuditEntry.objects.order_by("id").iterator(chunk_size=2000):
        if e.prev_hash != prev:
            return ChainReport(False, n, e.pk, "previous hash does not match (entry removed or reordered)")
        expected = entry_hash(
            e.prev_hash,
            at=e.at,
            actor_id=e.actor_id,
            actor_username=e.actor_username,
            action=e.action,
            object_type=e.object_type,
            object_id=e.object_id,
            reason=e.reason,
            via=e.via,
            ip=e.ip,
            detail=e.detail,
        )
        if expected != e.hash:
            return ChainReport(False, n, e.pk, "content does not match its hash (entry altered)")
        prev = e.hash
        n += 1
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and (head.last_hash != prev or head.count != n):
        return ChainReport(False, n, None, "chain head does not match the last entry (tail removed)")
    return ChainReport(True, n)
