"""Write, seal and verify the audit log.

Writing (``record``) is a plain INSERT: requests never wait for one another on the log. Sealing
(``seal_pending``) chains the entries not sealed yet, in id order, onto the end of the hash chain
kept in ``AuditSeal``; it runs from ``verify_audit`` (before verifying), from ``seal_audit`` (a
scheduled job) and in the background of ``vigil serve``. Verification (``verify_chain``) walks the
seals and reports the first broken link, and how many entries still wait for their seal.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from vigil.server.audit.models import AuditEntry, AuditSeal
from vigil.server.cases.identity_guard import identity_in

GENESIS = "0" * 64
logger = logging.getLogger(__name__)
# Key of the PostgreSQL advisory lock that lets one sealer at a time extend the chain ("vigl").
SEAL_LOCK_KEY = 0x7669676C


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


# What the audit keeps of an X-Vigil-Reason header that named the person of the record.
REASON_WITHHELD = "[withheld: the reason named the person]"


def _person_of(obj: Any) -> Any:
    if obj is None:
        return None
    if obj._meta.label == "cases.Person":
        return obj
    return getattr(obj, "person", None) if hasattr(obj, "person_id") else None


def header_reason(request: Any, obj: Any = None) -> str:
    """The request's ``X-Vigil-Reason`` as the audit keeps it: on one line, at most 500 characters,
    and withheld when it holds an identity value of the record's person (the audit log is not
    encrypted: a reason says why, never who)."""
    text = " ".join((request.headers.get("X-Vigil-Reason") or "").split())[:500]
    if text and identity_in(_person_of(obj), text):
        return REASON_WITHHELD
    return text


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
        reason = header_reason(request, obj)
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
    # A plain INSERT: no lock, no shared row. The hash chain is added later by ``seal_pending``.
    entry = AuditEntry.objects.create(**fields)
    return entry


def record_each(
    action: str, *, user: Any = None, objs: list[models.Model], via: str = "", request: Any = None
) -> list[AuditEntry]:
    """One entry per object, as ``record`` gives each (no detail), written in one INSERT: the case
    page's reads of the case and of its person."""
    actor_id = getattr(user, "pk", None) if user is not None and user.is_authenticated else None
    username = user.get_username() if actor_id is not None else ""
    now, ip = timezone.now(), _client_ip(request)
    entries = [
        AuditEntry(
            at=now,
            actor_id=actor_id,
            actor_username=username,
            action=action,
            object_type=obj._meta.model_name or "",
            object_id=str(obj.pk),
            reason=header_reason(request, obj) if request is not None else "",
            via=via,
            ip=ip,
            detail={},
        )
        for obj in objs
    ]
    return AuditEntry.objects.bulk_create(entries)


def _content_hash(prev_hash: str, e: AuditEntry) -> str:
    return entry_hash(
        prev_hash,
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


def seal_pending(batch: int = 2000, window: int | None = None) -> int:
    """Append every committed, not yet sealed entry to the hash chain (in id order); return how many.

    ``window=None`` looks for unsealed entries over the whole log (an anti-join: ``verify_audit``
    and ``seal_audit`` do this); a number looks only at ids above the highest sealed id minus
    ``window`` (an index range: the frequent background runs), so an entry that committed later
    than that is left to the next full run and meanwhile counted as unsealed by ``verify_chain``.

    Entries are taken as committed data, so an entry whose transaction commits after this run
    (PostgreSQL allocates ids before commit, so its id may be lower than sealed ones) is sealed by
    the next run: the chain follows sealing order and never skips or waits for an id. One sealer at
    a time: on PostgreSQL a transaction-level advisory lock (taken by sealers only, never by
    requests), on SQLite the database write lock, and in any case the ``seq`` primary key.
    """
    total = 0
    while True:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cur:
                    cur.execute("SELECT pg_advisory_xact_lock(%s)", [SEAL_LOCK_KEY])
            last = AuditSeal.objects.order_by("-seq").only("seq", "hash").first()
            seq, prev = (last.seq, last.hash) if last is not None else (0, GENESIS)
            unsealed = AuditEntry.objects.filter(seal__isnull=True)
            if window is not None:
                top = AuditSeal.objects.aggregate(top=models.Max("entry_id"))["top"] or 0
                unsealed = unsealed.filter(id__gt=top - window)
            pending = list(unsealed.order_by("id")[:batch])
            now = timezone.now()
            seals = []
            for e in pending:
                seq += 1
                digest = _content_hash(prev, e)
                seals.append(AuditSeal(seq=seq, entry_id=e.pk, prev_hash=prev, hash=digest, sealed_at=now))
                prev = digest
            AuditSeal.objects.bulk_create(seals)
        total += len(pending)
        if len(pending) < batch:
            return total


def start_sealer(interval: float = 30.0, window: int = 100_000) -> threading.Thread:
    """Seal pending entries every ``interval`` seconds in a daemon thread of this process.

    Several server processes may each run one: the advisory lock (PostgreSQL) or the write lock
    (SQLite) lets one sealer at a time extend the chain. A failed run is logged and retried.
    """

    def loop() -> None:
        from django.db import close_old_connections

        while True:
            time.sleep(interval)
            try:
                seal_pending(window=window)
            except Exception:  # a locked SQLite database, a restarting PostgreSQL: next time
                logger.warning("audit sealing failed; retrying in %.0f s", interval, exc_info=True)
            finally:
                close_old_connections()

    thread = threading.Thread(target=loop, name="vigil-audit-sealer", daemon=True)
    thread.start()
    return thread


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    problem: str = ""
    unsealed: int = 0
    head_hash: str = GENESIS


def verify_chain() -> ChainReport:
    """Recompute every seal's hash in chain order; report the first link that does not match.

    ``checked`` counts sealed entries verified; ``unsealed`` counts entries not sealed yet (run
    ``seal_pending`` first to cover them); ``head_hash`` is the last hash of the chain (keep it
    elsewhere to detect a rewrite of the whole tail).
    """
    prev = GENESIS
    n = 0
    seals = AuditSeal.objects.order_by("seq").iterator(chunk_size=2000)
    while chunk := list(islice(seals, 2000)):
        entries = AuditEntry.objects.in_bulk([s.entry_id for s in chunk])
        for s in chunk:
            if s.seq != n + 1 or s.prev_hash != prev:
                return ChainReport(False, n, s.entry_id, "seal missing or out of order (seal removed)")
            e = entries.get(s.entry_id)
            if e is None:
                return ChainReport(False, n, s.entry_id, "sealed entry is missing (entry removed)")
            if _content_hash(prev, e) != s.hash:
                return ChainReport(False, n, e.pk, "content does not match its hash (entry altered)")
            prev = s.hash
            n += 1
    unsealed = AuditEntry.objects.filter(seal__isnull=True).count()
    return ChainReport(True, n, unsealed=unsealed, head_hash=prev)
