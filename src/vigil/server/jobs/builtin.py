"""The jobs Vigil itself schedules (registered by ``JobsConfig.ready``).

- ``retention`` (daily): ``vigil.server.cases.retention.apply`` — anonymises closed cases past
  their period unless on legal hold, and deletes expired API tokens and old failed-login records
  (so no separate token purge job).
- ``audit_seal_verify`` (daily): seals every pending audit entry (a full sweep, not only the
  recent ids the background sealer looks at), then verifies the whole hash chain; a broken chain
  is a failed run naming the first bad entry id.
- ``idempotency_purge`` (hourly): deletes the API's idempotency keys older than 24 hours
  (``vigil.server.api.idempotency``).
"""

from __future__ import annotations

from datetime import timedelta

from django.utils.translation import gettext_lazy as _

from vigil.server.jobs.registry import JobError, register


def retention_job() -> dict[str, int]:
    from vigil.server.cases import retention

    report = retention.apply()
    return {
        "anonymised_cases": len(report.anonymised_cases),
        "anonymised_persons": report.anonymised_persons,
        "held_cases": len(report.held_cases),
        "tokens_deleted": report.tokens_deleted,
        "login_attempts_deleted": report.login_attempts_deleted,
    }


def audit_seal_verify_job() -> dict[str, int]:
    from vigil.server.audit.log import seal_pending, verify_chain

    sealed = seal_pending()
    report = verify_chain()
    if not report.ok:
        where = f"entry {report.first_bad_id}" if report.first_bad_id else "head"
        raise JobError(f"audit chain broken at {where}: {report.problem} ({report.checked} entries intact)")
    return {"sealed": sealed, "checked": report.checked, "unsealed": report.unsealed}


def idempotency_purge_job() -> dict[str, int]:
    from vigil.server.api.idempotency import purge_expired

    return {"keys_deleted": purge_expired()}


def register_builtin_jobs() -> None:
    register(
        "retention",
        retention_job,
        every=timedelta(days=1),
        description=_(
            "Anonymise closed cases past their retention period (not those on legal hold); delete "
            "expired API tokens and old failed-login records."
        ),
    )
    register(
        "audit_seal_verify",
        audit_seal_verify_job,
        every=timedelta(days=1),
        description=_("Seal every pending audit entry, then verify the whole audit hash chain."),
    )
    register(
        "idempotency_purge",
        idempotency_purge_job,
        every=timedelta(hours=1),
        description=_("Delete the API's idempotency keys older than 24 hours."),
    )
