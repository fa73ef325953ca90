"""Organisations, users with a role and a scope, and API tokens (stored as hashes)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Organisation(models.Model):
    class Kind(models.TextChoices):
        LABOUR_INSPECTORATE = "labour_inspectorate", _("Labour inspectorate")
        POLICE = "police", _("Police")
        NGO = "ngo", _("NGO")
        TRADE_UNION = "trade_union", _("Trade union")
        SHELTER = "shelter", _("Shelter")
        EMBASSY = "embassy", _("Embassy")
        EMPLOYMENT_SERVICE = "employment_service", _("Employment service")
        LEGAL_AID = "legal_aid", _("Legal aid")
        COMPANY = "company", _("Company (supply chain)")

    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    country = models.CharField(_("country (ISO 3166-1 alpha-3)"), max_length=3, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("name",)
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    CASEWORKER = "caseworker", _("Caseworker")
    INSPECTOR = "inspector", _("Labour inspector")
    SUPERVISOR = "supervisor", _("Supervisor")
    REFERRAL_RECEIVER = "referral_receiver", _("Referral receiver")
    ANALYST = "analyst", _("Analyst (aggregates only)")
    ADMINISTRATOR = "administrator", _("Administrator")
    REGULATOR = "regulator", _("Recruitment regulator")
    INSPECTION_LEAD = "inspection_lead", _("Inspection lead")
    COMPLIANCE = "compliance", _("Supply-chain compliance officer")
    COORDINATOR = "coordinator", _("National coordinator")


class Scope(models.TextChoices):
    OWN = "own", _("Own records")
    ORGANISATION = "organisation", _("Records of the organisation")
    ALL = "all", _("All records")


# What each role may do. Which records it may do it on is the user's scope (see scoping.py).
CAPABILITIES: dict[str, frozenset[str]] = {
    Role.CASEWORKER: frozenset(
        {
            "case.view",
            "case.create",
            "case.edit",
            "consent.record",
            "referral.create",
            "case.emergency_access",
            "breach.report",
        }
    ),
    Role.INSPECTOR: frozenset(
        {
            "case.view",
            "case.create",
            "case.edit",
            "consent.record",
            "referral.create",
            "case.emergency_access",
            "breach.report",
            # labour inspections (inspections app): the register, visits of their team, interviews
            "inspection.view",
            "inspection.manage",
            "inspection.stats",
        }
    ),
    Role.SUPERVISOR: frozenset(
        {
            "case.view",
            "case.create",
            "case.edit",
            "consent.record",
            "consent.override",
            "audit.view",
            "case.hold",
            "referral.create",
            "case.emergency_access",
            "breach.report",
            "subject.request",
            # the national picture over the cases of the scope, with drill-down; alert inbox
            "national.view",
            "alerts.manage",
        }
    ),
    # Sees only what a referral shares (referrals app); no direct case access.
    Role.REFERRAL_RECEIVER: frozenset({"referral.receive", "breach.report"}),
    # inspection.stats: counts of visits, findings and actions (inspections app), never a worker
    Role.ANALYST: frozenset({"stats.view", "breach.report", "inspection.stats", "national.view"}),
    # Manages organisations and users, the breach register and data-subject requests' paperwork;
    # no access to case content (need-to-know).
    Role.ADMINISTRATOR: frozenset({"admin", "audit.view", "breach.report", "breach.manage"}),
    # Licenses and monitors recruitment agencies (recruitment app): the registry, complaints,
    # fee reports and the risk worklist, the early-warning alerts about agencies; no access to
    # case content.
    Role.REGULATOR: frozenset({"recruitment.view", "recruitment.manage", "breach.report", "alerts.manage"}),
    # Plans inspections and leads the inspection team (inspections app): the risk-ranked plan,
    # visits and their team. No case access: the inspector who held an interview refers the
    # worker into case intake.
    Role.INSPECTION_LEAD: frozenset(
        {
            "breach.report",
            "inspection.view",
            "inspection.manage",
            "inspection.plan",
            "inspection.stats",
            # the early-warning alerts about workplaces and sectors (national app)
            "alerts.manage",
        }
    ),
    # A company's compliance officer: its own supply chain only (supply app); no case content.
    Role.COMPLIANCE: frozenset({"supply.view", "supply.manage", "breach.report"}),
    # The national coordinator: indicators, releases of figures, alerts (national app); sees
    # aggregates, never a person.
    Role.COORDINATOR: frozenset(
        {
            "stats.view",
            "breach.report",
            "national.view",
            "national.release",
            "alerts.manage",
            "safemigration.edit",
            "safemigration.publish",
        }
    ),
}

DEFAULT_SCOPE = {
    Role.CASEWORKER: Scope.ORGANISATION,
    Role.INSPECTOR: Scope.OWN,
    Role.SUPERVISOR: Scope.ORGANISATION,
    Role.REFERRAL_RECEIVER: Scope.OWN,
    Role.ANALYST: Scope.ALL,
    Role.ADMINISTRATOR: Scope.ALL,
    Role.REGULATOR: Scope.ALL,
    Role.INSPECTION_LEAD: Scope.ORGANISATION,
    Role.COMPLIANCE: Scope.ORGANISATION,
    Role.COORDINATOR: Scope.ALL,
}


class User(AbstractUser):
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices, default=Role.CASEWORKER)
    scope = models.CharField(_("scope"), max_length=16, choices=Scope.choices, default=Scope.OWN)

    def can(self, capability: str) -> bool:
        return self.is_active and capability in CAPABILITIES.get(self.role, frozenset())

    def save(self, *args: object, **kwargs: object) -> None:
        # ``manage.py createsuperuser`` makes an administrator (the first account of a deployment).
        if self._state.adding and self.is_superuser and self.role == Role.CASEWORKER:
            self.role, self.scope = Role.ADMINISTRATOR, Scope.ALL
        # Only administrators reach the Django admin, and coordinators for the safe-migration
        # guides (their admin grants by capability; they hold no model permission, so no other
        # model of the admin is theirs).
        self.is_staff = self.role in (Role.ADMINISTRATOR, Role.COORDINATOR)
        self.is_superuser = self.is_superuser and self.role == Role.ADMINISTRATOR
        super().save(*args, **kwargs)  # type: ignore[arg-type]


def hash_token(key: str) -> str:
    return hashlib.sha256(key.encode("ascii", "replace")).hexdigest()


class ApiToken(models.Model):
    """A bearer token for the API. Only its SHA-256 is stored; the key is shown once."""

    key_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    @classmethod
    def issue(cls, user: User) -> tuple[ApiToken, str]:
        key = secrets.token_urlsafe(32)
        token = cls.objects.create(
            key_hash=hash_token(key),
            user=user,
            expires_at=timezone.now() + timedelta(hours=settings.VIGIL_TOKEN_HOURS),
        )
        return token, key
