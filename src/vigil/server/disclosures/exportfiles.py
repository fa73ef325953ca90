"""Issue, hand out and purge encrypted export files.

``issue`` writes the zip and its row in one transaction and returns the password and the link
token, both shown once. ``claim_download`` counts a download with one conditional UPDATE, so
concurrent downloads never exceed the limit. ``purge_expired`` (management command
``purge_exports``, to schedule hourly) deletes expired files and files without a row.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone

from vigil.server.audit.log import record
from vigil.server.disclosures import conf, packaging
from vigil.server.disclosures.models import ExportFile

# A file younger than this with no row may belong to a transaction not committed yet.
ORPHAN_GRACE = timedelta(minutes=15)


def hash_link_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


@dataclass(frozen=True)
class IssuedExport:
    """What the requester sees once: the password and the link are not stored anywhere."""

    export: ExportFile
    password: str
    token: str

    @property
    def download_url(self) -> str:
        return download_path(self.token)


def download_path(token: str) -> str:
    return reverse("disclosures:download", args=[token])


def export_files_for(user: Any) -> models.QuerySet[ExportFile]:
    """A user sees only the export files they asked for."""
    if not (user is not None and user.is_authenticated and user.is_active):
        return ExportFile.objects.none()
    return ExportFile.objects.filter(requested_by=user)


def issue(
    *,
    user: Any,
    kind: str,
    members: Mapping[str, str | bytes],
    fields: list[str],
    records: int,
    purpose: str = "",
    parameters: dict[str, Any] | None = None,
    subject_request: Any = None,
    audit: Callable[[ExportFile], object] | None = None,
) -> IssuedExport:
    """Write the encrypted zip, then its row and ``audit(export)`` in one transaction; if that
    fails, the file is deleted."""
    password = packaging.new_password()
    token = secrets.token_urlsafe(32)
    file_name, size = packaging.write_encrypted_zip(members, password)
    now = timezone.now()
    try:
        with transaction.atomic():
            export = ExportFile.objects.create(
                kind=kind,
                requested_by=user,
                purpose=purpose,
                subject_request=subject_request,
                fields=list(fields),
                records=records,
                parameters=parameters or {},
                file_name=file_name,
                size=size,
                token_hash=hash_link_token(token),
                created_at=now,
                expires_at=now + timedelta(hours=conf.export_hours()),
                max_downloads=conf.export_max_downloads(),
            )
            if audit is not None:
                audit(export)
    except BaseException:
        packaging.delete_file(file_name)
        raise
    # If an enclosing transaction rolls back later, the file has no row: the purge removes it.
    return IssuedExport(export, password, token)


class DownloadRefused(Exception):
    """``status`` is 404 (no such link for this user) or 410 (expired, purged, used up)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def claim_download(token: str, user: Any, now: datetime | None = None) -> ExportFile:
    """The export file behind ``token`` if ``user`` asked for it and it may still be downloaded;
    counts the download. Raises ``DownloadRefused``."""
    now = now or timezone.now()
    export = ExportFile.objects.filter(token_hash=hash_link_token(token)).first()
    if export is None or export.requested_by_id != getattr(user, "pk", None):
        raise DownloadRefused(404, "unknown")
    if export.purged_at is not None:
        raise DownloadRefused(410, "purged")
    if export.expires_at <= now:
        raise DownloadRefused(410, "expired")
    if not packaging.path_of(export.file_name).exists():
        mark_purged(export, now)
        raise DownloadRefused(410, "missing")
    claimed = ExportFile.objects.filter(
        pk=export.pk,
        purged_at__isnull=True,
        expires_at__gt=now,
        download_count__lt=models.F("max_downloads"),
    ).update(download_count=models.F("download_count") + 1)
    if not claimed:
        raise DownloadRefused(410, "used_up")
    export.refresh_from_db(fields=["download_count"])
    return export


def mark_purged(export: ExportFile, now: datetime) -> None:
    packaging.delete_file(export.file_name)
    ExportFile.objects.filter(pk=export.pk, purged_at__isnull=True).update(purged_at=now)
    export.purged_at = export.purged_at or now


@dataclass
class PurgeReport:
    purged: list[int] = field(default_factory=list)
    orphans_removed: int = 0


def purge(exports: models.QuerySet[ExportFile], now: datetime) -> list[int]:
    """Delete the files of ``exports`` now and mark them purged; return their ids."""
    done = []
    for export in exports.filter(purged_at__isnull=True):
        mark_purged(export, now)
        done.append(export.pk)
    return done


def purge_expired(now: datetime | None = None) -> PurgeReport:
    """Delete expired or used-up export files and files on disk with no row; mark rows purged.

    Run it hourly: ``python -m vigil.server purge_exports``."""
    now = now or timezone.now()
    report = PurgeReport()
    due = ExportFile.objects.filter(purged_at__isnull=True).filter(
        models.Q(expires_at__lte=now) | models.Q(download_count__gte=models.F("max_downloads"))
    )
    report.purged = purge(due, now)
    folder = conf.exports_dir()
    if folder.is_dir():
        known = set(ExportFile.objects.filter(purged_at__isnull=True).values_list("file_name", flat=True))
        # The grace runs on the real clock: a file being committed right now is never an orphan.
        cutoff = min(now.timestamp(), time.time()) - ORPHAN_GRACE.total_seconds()
        for path in folder.iterdir():
            if not path.is_file() or path.name in known:
                continue
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    report.orphans_removed += 1
            except FileNotFoundError:
                continue
    if report.purged or report.orphans_removed:
        record(
            "purge_exports",
            object_type="system",
            via="job",
            detail={"purged": report.purged, "orphans_removed": report.orphans_removed},
        )
    return report


def purge_job() -> dict[str, int]:
    """``purge_expired`` as a scheduled job (``vigil.server.jobs``): counts only."""
    report = purge_expired()
    return {"purged": len(report.purged), "orphans_removed": report.orphans_removed}
