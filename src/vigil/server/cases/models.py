"""Persons (identity encrypted), cases with a migration-stage timeline, and consent per purpose.

Field names follow HTCDS v2.0 where it has one (``prs_``, ``vic_``, ``cas_``, ``hte_``, ``con_``);
``docs/cases.md`` lists the mapping.
"""

from __future__ import annotations

import secrets
from typing import Any, ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vigil.server.accounts.models import Organisation
from vigil.server.drawn_codes import save_with_drawn_code
from vigil.server.fields import EncryptedTextField, keyring
from vigil.server.versioning import Derived, Versioned
from vigil.server.versioning import StaleEdit as StaleEdit  # re-exported: its former home
from vigil.stats import countries, subdivisions

# ISIC Rev.4 sections (HTCDS vic_ForcedLabourIndustry).
ISIC_SECTIONS = [
    ("A", _("Agriculture, forestry and fishing")),
    ("B", _("Mining and quarrying")),
    ("C", _("Manufacturing")),
    ("D", _("Electricity, gas, steam and air conditioning supply")),
    ("E", _("Water supply; sewerage, waste management")),
    ("F", _("Construction")),
    ("G", _("Wholesale and retail trade")),
    ("H", _("Transportation and storage")),
    ("I", _("Accommodation and food service activities")),
    ("J", _("Information and communication")),
    ("K", _("Financial and insurance activities")),
    ("L", _("Real estate activities")),
    ("M", _("Professional, scientific and technical activities")),
    ("N", _("Administrative and support service activities")),
    ("O", _("Public administration and defence")),
    ("P", _("Education")),
    ("Q", _("Human health and social work activities")),
    ("R", _("Arts, entertainment and recreation")),
    ("S", _("Other service activities")),
    ("T", _("Activities of households as employers")),
    ("U", _("Activities of extraterritorial organizations")),
]


class Person(Versioned):
    """The identity side of a case (HTCDS Person). Identity fields are encrypted at rest.

    Versioned (``vigil.server.versioning``): edits go through ``save_versioned``, which keeps the
    blind indexes consistent with the stored other half of the name (``DERIVED``)."""

    class Gender(models.TextChoices):
        FEMININE = "Feminine", _("Female")
        MASCULINE = "Masculine", _("Male")
        TRANS_FEMININE = "TransgenderFeminine", _("Transgender female")
        TRANS_MASCULINE = "TransgenderMasculine", _("Transgender male")
        NON_CONFORMING = "NonConforming", _("Gender non-conforming")
        UNKNOWN = "NonSpecifiedUnknown", _("Not specified / unknown")

    given_name = EncryptedTextField(_("given name"), blank=True, default="")
    family_name = EncryptedTextField(_("family name"), blank=True, default="")
    document_number = EncryptedTextField(_("document number"), blank=True, default="")
    phone = EncryptedTextField(_("phone"), blank=True, default="")
    address = EncryptedTextField(_("address"), blank=True, default="")
    narrative = EncryptedTextField(_("narrative"), blank=True, default="")
    # Blind indexes (keyed hashes) for exact-match search; never the plaintext.
    name_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    document_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    phone_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)

    gender = models.CharField(_("gender"), max_length=24, choices=Gender.choices, blank=True)
    # Explicit bounds: the same on every database (and so in the OpenAPI schema).
    birth_year = models.PositiveSmallIntegerField(
        _("year of birth"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1900), MaxValueValidator(2100)],
    )
    citizenship = models.CharField(_("citizenship (ISO 3166-1 alpha-3)"), max_length=3, blank=True)
    primary_language = models.CharField(_("primary language (BCP 47)"), max_length=35, blank=True)

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="persons")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    IDENTITY_FIELDS = ("given_name", "family_name", "document_number", "phone", "address", "narrative")
    # What a person's record says of them, in the order of the forms, the API and the access copy.
    PROFILE_FIELDS = (*IDENTITY_FIELDS, "gender", "birth_year", "citizenship", "primary_language")
    DERIVED: ClassVar[dict[str, Derived]] = {
        "name_index": Derived(("given_name", "family_name"), lambda g, f: Person.name_index_of(g, f)),
        "document_index": Derived(("document_number",), lambda d: Person.index_document(d)),
        "phone_index": Derived(("phone",), lambda p: Person.index_phone(p)),
    }

    class Meta:
        ordering = ("-id",)
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        # Index-only scans for scoping.persons_for (scope organisation / own).
        indexes = (
            models.Index(fields=["organisation", "id"], name="person_org_id"),
            models.Index(fields=["created_by", "id"], name="person_creator_id"),
        )

    def __str__(self) -> str:
        # Never the name: strings of objects end up in logs and admin messages.
        return f"person #{self.pk}"

    @staticmethod
    def index_name(given_name: str, family_name: str) -> str:
        return keyring().blind_index(f"{given_name} {family_name}", "cases.person.name")

    @staticmethod
    def index_document(value: str) -> str:
        return keyring().blind_index(value, "cases.person.document_number")

    @staticmethod
    def index_phone(value: str) -> str:
        return keyring().blind_index(value, "cases.person.phone", phone=True)

    @staticmethod
    def name_index_of(given_name: str, family_name: str) -> str:
        return Person.index_name(given_name, family_name) if (given_name or family_name) else ""

    def refresh_indexes(self) -> None:
        for name, derived in self.DERIVED.items():
            setattr(self, name, derived.compute(*(getattr(self, i) for i in derived.inputs)))

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.refresh_indexes()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {
                *kwargs["update_fields"],
                "name_index",
                "document_index",
                "phone_index",
            }
        super().save(*args, **kwargs)


_REF_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_reference() -> str:
    """``VG-2026-7KQ3M9XD``: random (so it reveals no case counts), easy to read aloud."""
    body = "".join(secrets.choice(_REF_ALPHABET) for _ in range(8))
    return f"VG-{timezone.now().year}-{body}"


class Case(Versioned):
    class Status(models.TextChoices):  # HTCDS cas_Status
        ACTIVE = "Active", _("Active")
        FOLLOW_UP = "FollowUp", _("Follow-up")
        CLOSED = "Closed", _("Closed")
        CLOSED_REFERRED = "ClosedReferred", _("Closed (referred)")

    class TraffickingStatus(models.TextChoices):  # HTCDS vic_TraffickingStatus
        UNKNOWN = "", _("Not yet determined")
        POSSIBLE = "PossibleVictimOfTrafficking", _("Possible victim of trafficking")
        ACTUAL = "ActualVictimOfTrafficking", _("Victim of trafficking (decided)")
        NOT_VICTIM = "NotAVictimOfTrafficking", _("Not a victim of trafficking")

    reference = models.CharField(_("reference"), max_length=32, unique=True, editable=False)
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="cases"
    )
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="cases")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="owned_cases"
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    trafficking_status = models.CharField(
        _("trafficking status"), max_length=32, choices=TraffickingStatus.choices, blank=True
    )
    exploitation_types = models.JSONField(_("types of exploitation"), default=list, blank=True)
    sector = models.CharField(
        _("sector (ISIC Rev.4 section)"), max_length=1, choices=ISIC_SECTIONS, blank=True
    )
    opened_on = models.DateField(_("opened on"), default=timezone.localdate)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    closure_reason = models.CharField(_("reason for closure"), max_length=200, blank=True)
    legal_hold = models.BooleanField(
        _("legal hold"), default=False, help_text=_("Blocks anonymisation after the retention period.")
    )
    legal_hold_reason = models.CharField(_("reason for the legal hold"), max_length=300, blank=True)
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    EDITABLE: ClassVar[tuple[str, ...]] = (
        "legal_hold",
        "legal_hold_reason",
        "status",
        "trafficking_status",
        "exploitation_types",
        "sector",
        "opened_on",
        "closed_on",
        "closure_reason",
    )

    class Meta:
        ordering = ("-id",)
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        # Index-only scans for the persons of the cases in scope (scoping.persons_for).
        indexes = (
            models.Index(fields=["organisation", "person"], name="case_org_person"),
            models.Index(fields=["owner", "person"], name="case_owner_person"),
        )

    def __str__(self) -> str:
        return self.reference

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is None and not self.reference:
            save_with_drawn_code(
                self, "reference", new_reference, lambda: super(Case, self).save(*args, **kwargs)
            )
            return
        super().save(*args, **kwargs)


class MigrationStage(Versioned):
    """One stage of the journey (seed 003, Box 1.3; HTCDS hte_ events)."""

    class Stage(models.TextChoices):
        RECRUITMENT = "recruitment", _("Recruitment and pre-departure")
        JOURNEY = "journey", _("Journey")
        WORK = "work", _("Work and life at destination")
        EXIT = "exit", _("Exit / termination")
        RETURN = "return", _("Return")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="stages")
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices)
    start_date = models.DateField(_("from"), null=True, blank=True)
    end_date = models.DateField(_("to"), null=True, blank=True)
    place = models.CharField(_("place (town, region)"), max_length=200, blank=True)
    country = models.CharField(_("country (ISO 3166-1 alpha-3)"), max_length=3, blank=True)
    # The first-level subdivision (ISO 3166-2, e.g. TH-10) of ``country``; checked by
    # ``region_error`` in the page form and the API (vigil.stats.subdivisions).
    region = models.CharField(_("region (ISO 3166-2)"), max_length=6, blank=True, default="")
    sector = models.CharField(
        _("sector (ISIC Rev.4 section)"), max_length=1, choices=ISIC_SECTIONS, blank=True
    )
    # A recruiter or employer may be a private individual: encrypted like identity fields.
    employer_or_recruiter = EncryptedTextField(_("employer or recruiter"), blank=True, default="")
    notes = EncryptedTextField(_("notes"), blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("case", "start_date", "id")
        verbose_name = _("migration stage")
        verbose_name_plural = _("migration stages")

    def __str__(self) -> str:
        return f"{self.get_stage_display()} ({self.case_id})"

    def region_name(self) -> str:
        """The region's name in the active language (the code when it names no subdivision)."""
        from django.utils.translation import get_language

        return subdivisions.name(self.region, get_language()) if self.region else ""

    def region_options(self) -> list[tuple[str, str]]:
        """The first-level subdivisions of the stage's country, by name in the active language."""
        from django.utils.translation import get_language

        return subdivisions.of_country(self.country, get_language()) if self.country else []

    def country_name(self) -> str:
        from django.utils.translation import get_language

        return countries.name(self.country, get_language()) if self.country else ""


def region_error(region: str, country: str) -> str | None:
    """The message for a region that is not a first-level subdivision of ``country``, else None."""
    why = subdivisions.check(region, country)
    if why == "unknown":
        return _("%(code)s is not an ISO 3166-2 first-level subdivision.") % {"code": region}
    if why == "no_country":
        return _("A region needs the stage's country.")
    if why == "other_country":
        return _("%(code)s is a region of %(other)s, not of %(country)s.") % {
            "code": region,
            "other": subdivisions.country_of(region),
            "country": country.upper(),
        }
    return None


class Consent(Versioned):
    """Consent for one purpose (R1): given or refused, when, how, by whom recorded; withdrawal."""

    class Purpose(models.TextChoices):
        SERVICES = "services", _("Services")
        REFERRAL = "referral", _("Referral to other organisations")
        LAW_ENFORCEMENT = "law_enforcement", _("Disclosure to law enforcement")
        STATISTICS = "statistics", _("Statistics (non-identifying)")
        TRACING = "tracing", _("Tracing and family contact")

    class Method(models.TextChoices):
        VERBAL = "verbal", _("Verbal")
        WRITTEN = "written", _("Written")
        GUARDIAN = "guardian", _("Guardian assent")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(_("purpose"), max_length=24, choices=Purpose.choices)
    given = models.BooleanField(_("consent given"))
    given_on = models.DateField(_("date"), default=timezone.localdate)
    method = models.CharField(_("method"), max_length=16, choices=Method.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ("case", "purpose", "-given_on", "-id")
        verbose_name = _("consent")
        verbose_name_plural = _("consents")

    def __str__(self) -> str:
        return f"{self.purpose}: {'yes' if self.in_force else 'no'}"

    @property
    def in_force(self) -> bool:
        return self.given and self.withdrawn_on is None


def has_consent(case: Case, purpose: str) -> bool:
    """The latest record for this purpose decides; none, refused or withdrawn means no."""
    latest = case.consents.filter(purpose=purpose).order_by("-given_on", "-id").first()
    return latest is not None and latest.in_force


class Screening(Versioned):
    """One interview against one rule set (the version is kept with it). The determination is
    computed by ``vigil.rules`` from the answers; the server only stores it."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="screenings")
    ruleset = models.CharField(_("rule set"), max_length=64)
    ruleset_version = models.CharField(_("rule-set version"), max_length=32)
    age = models.DecimalField(
        _("age at the interview"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    # {indicator id: true | false}; an indicator not in the dict is unknown.
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    # {fact: true | false | [codes] | number}: the questionnaire's facts beside the indicators
    # (``act``, ``worst_form``, ``fee_repayment``...), checked against their kind in the
    # vocabulary (``vigil.rules.records.fact_specs``); codes and numbers only, never identity.
    facts = models.JSONField(_("facts"), default=dict, blank=True)
    determination = models.JSONField(_("determination"), default=dict, blank=True)
    outcome = models.CharField(_("outcome"), max_length=32, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("case", "-created_at", "-id")
        verbose_name = _("screening")
        verbose_name_plural = _("screenings")

    def __str__(self) -> str:
        return f"{self.ruleset} {self.ruleset_version} ({self.case_id})"


class RetentionPolicy(models.Model):
    """How long a record type is kept before anonymisation or deletion (R8)."""

    class RecordType(models.TextChoices):
        CLOSED_CASE = "closed_case", _("Closed case (identity anonymised)")
        API_TOKEN = "api_token", _("Expired API token (deleted)")
        LOGIN_ATTEMPT = "login_attempt", _("Failed login record (deleted)")

    record_type = models.CharField(_("record type"), max_length=24, choices=RecordType.choices, unique=True)
    days = models.PositiveIntegerField(_("days kept"))

    DEFAULT_DAYS: ClassVar[dict[str, int]] = {"closed_case": 5 * 365, "api_token": 30, "login_attempt": 90}

    class Meta:
        verbose_name = _("retention policy")
        verbose_name_plural = _("retention policies")

    def __str__(self) -> str:
        return f"{self.record_type}: {self.days} days"

    @classmethod
    def days_for(cls, record_type: str) -> int:
        row = cls.objects.filter(record_type=record_type).first()
        return row.days if row else cls.DEFAULT_DAYS[record_type]
