"""Referral workflow: create (consent-gated), accept, decline, complete, revoke. Each step is audited
and is a conditional UPDATE on the status read (``vigil.server.versioning.transition``)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vigil.server.audit.log import record
from vigil.server.cases.identity_guard import MESSAGE as IDENTITY_IN_TEXT
from vigil.server.cases.identity_guard import identity_in
from vigil.server.cases.models import Case, has_consent
from vigil.server.referrals.models import SHAREABLE, DataSharingAgreement, Referral, ServiceProvider
from vigil.server.versioning import transition


class ReferralError(Exception):
    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


def provider_choices(
    case: Case, providers: Any
) -> list[tuple[ServiceProvider, DataSharingAgreement | None, bool]]:
    """(provider, the latest agreement in force with its organisation or None, inside the case's
    organisation) for the referral form: services of an organisation without an agreement are shown
    but cannot be chosen."""
    providers = list(providers.select_related("organisation").with_places().order_by("name", "id"))
    others = {p.organisation_id for p in providers} - {case.organisation_id}
    latest: dict[int, DataSharingAgreement] = {}
    for agreement in DataSharingAgreement.objects.filter(
        DataSharingAgreement.in_force_q(timezone.localdate()),
        discloser_id=case.organisation_id,
        recipient_id__in=others,
        purpose=DataSharingAgreement.Purpose.REFERRAL,
    ).order_by("signed_on", "id"):
        latest[agreement.recipient_id] = agreement
    return [(p, latest.get(p.organisation_id), p.organisation_id == case.organisation_id) for p in providers]


def required_agreement(
    case: Case, provider: ServiceProvider, shared_fields: list[str]
) -> DataSharingAgreement | None:
    """None inside the organisation; otherwise the agreement in force that covers every shared field,
    or a ``ReferralError`` saying what is missing (R13)."""
    if provider.organisation_id == case.organisation_id:
        return None
    today = timezone.localdate()
    agreement = DataSharingAgreement.covering(
        case.organisation_id, provider.organisation_id, shared_fields, today
    )
    if agreement is not None:
        return agreement
    best = (
        DataSharingAgreement.objects.filter(
            DataSharingAgreement.in_force_q(today),
            discloser_id=case.organisation_id,
            recipient_id=provider.organisation_id,
            purpose=DataSharingAgreement.Purpose.REFERRAL,
        )
        .order_by("-signed_on", "-id")
        .first()
    )
    if best is None:
        raise ReferralError(
            _(
                "No data-sharing agreement in force with the organisation of this service: a referral "
                "to another organisation needs one (ask your administrator)."
            ),
            "provider",
        )
    outside = sorted(set(shared_fields) - set(best.fields or []))
    raise ReferralError(
        _("The data-sharing agreement with this organisation does not cover: %s") % ", ".join(outside),
        "shared_fields",
    )


def create(
    case: Case,
    provider: ServiceProvider,
    user: Any,
    *,
    shared_fields: list[str],
    reason: str = "",
    override_reason: str = "",
    via: str = "",
    request: Any = None,
) -> Referral:
    unknown = [f for f in shared_fields if f not in SHAREABLE]
    if unknown:
        raise ReferralError(_("These fields cannot be shared: %s") % ", ".join(unknown), "shared_fields")
    if not provider.active:
        raise ReferralError(_("This service is not active."), "provider")
    consented = has_consent(case, "referral")
    overridden = False
    if not consented:
        if not override_reason.strip():
            raise ReferralError(
                _(
                    "The person has not consented to referral. Record consent, or (with the permission) "
                    "give a reason to override."
                ),
                "consent",
            )
        if not user.can("consent.override"):
            raise ReferralError(_("Your role cannot override a missing consent."), "consent")
        overridden = True
    for name, text in (("reason", reason), ("override_reason", override_reason)):
        if identity_in(case.person, text):
            raise ReferralError(str(IDENTITY_IN_TEXT), name)
    agreement = required_agreement(case, provider, shared_fields)
    with transaction.atomic():
        ref = Referral.objects.create(
            case=case,
            provider=provider,
            agreement=agreement,
            created_by=user,
            reason=reason,
            shared_fields=sorted(set(shared_fields)),
            consent_overridden=overridden,
            override_reason=override_reason.strip() if overridden else "",
        )
        if overridden:
            record(
                "consent_override",
                user=user,
                obj=case,
                via=via,
                request=request,
                reason=ref.override_reason,
                detail={"referral": ref.pk, "purpose": "referral"},
            )
        record(
            "referral",
            user=user,
            obj=case,
            via=via,
            request=request,
            detail={
                "referral": ref.pk,
                "provider": provider.pk,
                "shared": ref.shared_fields,
                "agreement": agreement.pk if agreement else None,
            },
        )
    return ref


_TRANSITIONS = {
    "accept": ({Referral.Status.PENDING}, Referral.Status.ACCEPTED),
    "decline": ({Referral.Status.PENDING}, Referral.Status.DECLINED),
    "complete": ({Referral.Status.ACCEPTED}, Referral.Status.COMPLETED),
    # by the sender: a mistake, or the person no longer wants it; the receiver then sees nothing
    "revoke": ({Referral.Status.PENDING, Referral.Status.ACCEPTED}, Referral.Status.REVOKED),
}


def decide(
    ref: Referral,
    action: str,
    user: Any,
    *,
    reason: str = "",
    expected_version: int | None = None,
    via: str = "",
    request: Any = None,
) -> Referral:
    """Accept, decline, complete or revoke ``ref`` as it was read: one conditional UPDATE on the
    status read (and ``expected_version`` when the client sent one), so of two concurrent steps
    only one succeeds; the other raises ``StaleEdit`` (409) and writes nothing."""
    allowed_from, to = _TRANSITIONS[action]
    if ref.status not in allowed_from:
        message = _("This referral is %(status)s: that step is not possible now.")
        raise ReferralError(message % {"status": ref.get_status_display()}, "status")
    if action == "accept" and not ref.consent_overridden and not has_consent(ref.case, "referral"):
        # The referral rests on the person's consent, withdrawn (or replaced by a refusal) since.
        raise ReferralError(
            _(
                "The person has withdrawn the consent to referral that this referral rests on: it "
                "cannot be accepted. The sender can revoke it."
            ),
            "consent",
        )
    if action in {"decline", "revoke"} and not reason.strip():
        raise ReferralError(_("Say why the referral is declined."), "reason")
    if identity_in(ref.case.person, reason):
        raise ReferralError(str(IDENTITY_IN_TEXT), "reason")
    changes: dict[str, Any] = {"status": to}
    now = timezone.now()
    if action in {"accept", "decline"}:
        changes.update(decided_by=user, decided_at=now)
    if action in {"decline", "revoke"}:
        changes["decline_reason"] = reason.strip()
    if action == "complete":
        changes["completed_at"] = now
    with transaction.atomic():
        transition(ref, changes, expected_version=expected_version, status=ref.status)
        record(
            f"referral_{to}", user=user, obj=ref.case, via=via, request=request, detail={"referral": ref.pk}
        )
    return ref


def audit_shared_view(
    ref: Referral, user: Any, data: dict[str, Any], *, via: str, request: Any = None
) -> None:
    """A receiver reading shared fields is a read of the person: audited."""
    if data:
        record(
            "view",
            user=user,
            obj=ref.case,
            via=via,
            request=request,
            detail={"referral": ref.pk, "shared": sorted(data)},
        )
