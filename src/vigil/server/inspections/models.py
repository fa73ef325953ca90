"""Labour inspections (issue 11): workplaces and their employers, inspection plans, visits with
observations, worker interviews held in private and screened live with the rules engine,
findings (labour-law violations kept apart from forced-labour indicators), enforcement actions
with deadlines, and follow-up visits.

Worker interviews are identity data: the worker's name, contact and the interviewer's notes are
encrypted, every read is audited, and only the inspection team sees them (``scoping``).

The firewall: no model here has a field for a worker's nationality, migration or residence
status, visa or work permit, and an interview's facts refuse the triage's migration facts
(``vigil.inspections.findings.MIGRATION_FACTS``); ``tests/server/test_server_inspections_firewall.py``
holds it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vigil.inspections.findings import OBSERVATIONS, VIOLATION_CATEGORIES
from vigil.inspections.planning import FINDING_KINDS
from vigil.server.accounts.models import Organisation
from vigil.server.fields import EncryptedTextField
from vigil.server.versioning import Versioned

VIOLATION_CHOICES = [(c, c) for c in VIOLATION_CATEGORIES]
ISIC_CODE = RegexValidator(r"^([A-U]|\d{2,4})$", _("An ISIC Rev.4 section (A-U) or a code of 2 to 4 digits."))


class Workplace(models.Model):
    """A workplace and its employer, as the labour-inspection register holds it."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="workplaces",
        null=True,
        blank=True,
        help_text=_("The inspectorate that holds this register entry."),
    )
    name = models.CharField(
        _("name"),
        max_length=200,
        help_text=_(
            "The business name; for a private household, a label such as 'household, district' "
            "(never a person's name)."
        ),
    )
    registration_number = models.CharField(_("registration number"), max_length=64, blank=True)
    sector = models.CharField(_("sector (ISIC Rev.4)"), max_length=4, validators=[ISIC_CODE])
    address = EncryptedTextField(_("address"), blank=True, default="")
    region = models.CharField(_("region"), max_length=64, blank=True, db_index=True)
    size = models.PositiveIntegerField(
        _("workers (approximate)"), null=True, blank=True, validators=[MaxValueValidator(1_000_000)]
    )
    recruiters = models.ManyToManyField(
        "recruitment.Agency",
        blank=True,
        related_name="workplaces",
        verbose_name=_("known recruiters (registry)"),
    )
    unregistered_recruiters = models.PositiveIntegerField(
        _("known recruiters not in the registry"), default=0, validators=[MaxValueValidator(1000)]
    )
    buyers = models.JSONField(_("known buyers"), default=list, blank=True)
    supply_exposure = models.FloatField(
        _("supply-chain exposure (0-1)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
    )
    open_complaints = models.PositiveIntegerField(
        _("open complaints"), default=0, validators=[MaxValueValidator(100_000)]
    )
    last_visit = models.DateField(_("last visit"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("name", "id")
        verbose_name = _("workplace")
        verbose_name_plural = _("workplaces")
        constraints = (
            models.UniqueConstraint(
                fields=("organisation", "registration_number"),
                condition=~models.Q(registration_number=""),
                name="inspections_workplace_unique_registration",
            ),
        )

    def __str__(self) -> str:
        return self.name


class InspectionPlan(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        APPROVED = "approved", _("Approved")
        CLOSED = "closed", _("Closed")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="inspection_plans")
    title = models.CharField(_("title"), max_length=200)
    region = models.CharField(_("region (empty: all)"), max_length=64, blank=True)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    weights_version = models.CharField(_("weights version"), max_length=32, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-period_start", "-id")
        verbose_name = _("inspection plan")
        verbose_name_plural = _("inspection plans")
        constraints = (
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")), name="inspections_plan_period"
            ),
        )

    def __str__(self) -> str:
        return self.title


JOINT_BODIES = (
    ("police", _("Police")),
    ("union", _("Trade union")),
    ("ngo", _("NGO")),
    ("vigilance_committee", _("Vigilance committee")),
)


class Visit(Versioned):
    class Kind(models.TextChoices):
        PLANNED = "planned", _("Planned (risk-based)")
        COMPLAINT = "complaint", _("On a complaint")
        FOLLOW_UP = "follow_up", _("Follow-up")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="inspection_visits")
    plan = models.ForeignKey(
        InspectionPlan, on_delete=models.PROTECT, related_name="visits", null=True, blank=True
    )
    workplace = models.ForeignKey(Workplace, on_delete=models.PROTECT, related_name="visits")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.PLANNED)
    follows = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="follow_ups",
        verbose_name=_("follows up on"),
    )
    scheduled_on = models.DateField(_("scheduled on"))
    carried_out_on = models.DateField(_("carried out on"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PLANNED)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="led_visits",
        verbose_name=_("lead inspector"),
    )
    inspectors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="inspection_visits", blank=True, verbose_name=_("inspectors")
    )
    joint_bodies = models.JSONField(_("joint visit with"), default=list, blank=True)
    announced = models.BooleanField(_("announced in advance"), default=False)
    # the plan's ranking when the visit was planned (the reason is the worklist line's)
    planned_score = models.FloatField(null=True, blank=True, editable=False)
    planned_reason = models.CharField(max_length=600, blank=True, editable=False)
    weights_version = models.CharField(max_length=32, blank=True, editable=False)
    # vigil.inspections.findings.classify_visit, recomputed when the visit is completed
    outcome = models.CharField(_("outcome"), max_length=32, blank=True, editable=False)
    classification = models.JSONField(default=dict, blank=True, editable=False)
    notes = EncryptedTextField(_("notes"), blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("scheduled_on", "id")
        verbose_name = _("visit")
        verbose_name_plural = _("visits")

    def __str__(self) -> str:
        return f"visit #{self.pk}"

    def team_ids(self) -> set[int]:
        ids = {u.pk for u in self.inspectors.all()}
        if self.lead_id:
            ids.add(self.lead_id)
        return ids


class Observation(models.Model):
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="observations")
    kind = models.CharField(
        _("what was seen"), max_length=32, choices=[(k, o.label) for k, o in OBSERVATIONS.items()]
    )
    present = models.BooleanField(_("seen"), default=True)
    note = EncryptedTextField(_("note"), blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("visit", "id")
        constraints = (
            models.UniqueConstraint(fields=("visit", "kind"), name="inspections_observation_once"),
        )

    def __str__(self) -> str:
        return f"{self.kind} ({self.visit_id})"


class Interview(models.Model):
    """A worker interviewed in private, screened live: the determination, the rule-set version,
    the indicators fired and the deciding rule are stored with it."""

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="interviews")
    held_in_private = models.BooleanField(_("held in private (no employer or supervisor present)"))
    language = models.CharField(_("language of the interview (BCP 47)"), max_length=35, blank=True)
    interpreter = models.BooleanField(_("with an interpreter"), default=False)
    age = models.DecimalField(
        _("age"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(5), MaxValueValidator(110)],
    )
    worker_name = EncryptedTextField(_("worker's name or alias"), blank=True, default="")
    worker_contact = EncryptedTextField(_("safe contact"), blank=True, default="")
    notes = EncryptedTextField(_("interview notes"), blank=True, default="")
    # {indicator id: true | false} (ILO-11 checklist and, when the interview goes further, the
    # forced-labour and Delphi questions); facts of the triage (never a migration fact)
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    facts = models.JSONField(_("facts"), default=dict, blank=True)
    # vigil.inspections.findings.classify_interview
    category = models.CharField(_("result"), max_length=32, blank=True, editable=False)
    presumed_victim = models.BooleanField(default=False, editable=False)
    ruleset = models.CharField(_("rule set"), max_length=64, blank=True, editable=False)
    ruleset_version = models.CharField(_("rule-set version"), max_length=32, blank=True, editable=False)
    fired = models.JSONField(default=list, blank=True, editable=False)
    decided_by = models.TextField(blank=True, editable=False)
    determination = models.JSONField(default=dict, blank=True, editable=False)
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inspection_interviews",
        editable=False,
    )
    # the UUID of the XLSForm submission it was imported from (empty: recorded on the page)
    submission_uuid = models.CharField(max_length=64, blank=True, default="", editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    IDENTITY_FIELDS = ("worker_name", "worker_contact", "notes")

    class Meta:
        ordering = ("visit", "id")
        verbose_name = _("interview")
        verbose_name_plural = _("interviews")
        constraints = (
            models.UniqueConstraint(
                fields=("submission_uuid",),
                condition=~models.Q(submission_uuid=""),
                name="inspections_interview_submission_once",
            ),
        )

    def __str__(self) -> str:
        return f"interview #{self.pk}"  # never the name


class Finding(models.Model):
    """One finding: a labour-law violation (with its category) or a forced-labour indicator or
    determination (with the indicator or rule set); never both."""

    class Kind(models.TextChoices):
        VIOLATION = "violation", _("Labour-law violation")
        INDICATOR = "indicator", _("Forced-labour indicator")
        FORCED_LABOUR = "forced_labour", _("Forced labour or trafficking (presumed victim)")

    workplace = models.ForeignKey(Workplace, on_delete=models.PROTECT, related_name="findings")
    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="findings", null=True, blank=True)
    interview = models.ForeignKey(
        Interview, on_delete=models.PROTECT, related_name="findings", null=True, blank=True
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    category = models.CharField(
        _("labour-law area"),
        max_length=16,
        blank=True,
        choices=VIOLATION_CHOICES,
    )
    indicator = models.CharField(_("indicator or rule set"), max_length=64, blank=True)
    description = models.TextField(
        _("description"), blank=True, max_length=2000, help_text=_("What was found; no worker's name.")
    )
    found_on = models.DateField(_("found on"), default=timezone.localdate)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-found_on", "id")
        indexes = (models.Index(fields=["workplace", "found_on"], name="inspections_finding_wp"),)
        constraints = (
            models.CheckConstraint(
                condition=(models.Q(kind="violation") & ~models.Q(category=""))
                | (~models.Q(kind="violation") & models.Q(category="")),
                name="inspections_finding_kept_apart",
            ),
        )

    def __str__(self) -> str:
        return f"{self.kind} ({self.workplace_id})"


assert tuple(Finding.Kind.values) == FINDING_KINDS  # the planning score reads the same kinds


class EnforcementAction(models.Model):
    class Kind(models.TextChoices):
        NOTICE = "notice", _("Improvement notice")
        FINE = "fine", _("Fine")
        SUSPENSION = "suspension", _("Suspension of activity")
        POLICE = "police", _("Referral to the police")
        PROSECUTOR = "prosecutor", _("Referral to the prosecutor")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        COMPLIED = "complied", _("Complied")
        NOT_COMPLIED = "not_complied", _("Not complied")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="actions")
    finding = models.ForeignKey(
        Finding, on_delete=models.PROTECT, related_name="actions", null=True, blank=True
    )
    kind = models.CharField(_("action"), max_length=16, choices=Kind.choices)
    description = models.TextField(_("what is required"), max_length=2000, help_text=_("No worker's name."))
    amount = models.DecimalField(
        _("amount"), max_digits=12, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    currency = models.CharField(_("currency (ISO 4217)"), max_length=3, blank=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    verified_by = models.ForeignKey(
        Visit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="verified_actions",
        verbose_name=_("verified at visit"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("deadline", "id")
        verbose_name = _("enforcement action")
        verbose_name_plural = _("enforcement actions")

    def __str__(self) -> str:
        return f"{self.kind} ({self.visit_id})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.currency = (self.currency or "").upper()
        super().save(*args, **kwargs)


class FindingTotals(models.Model):
    """The findings of one workplace summed for the worklist (``vigil.inspections.planning.
    FindingTotals``): counts by kind, remediated count, sums of ``2 ** ((found_on - EPOCH) / h)``
    by kind for open and remediated findings, and the latest finding's day. Written by
    ``services.refresh_totals`` whenever a finding or an enforcement action changes; the worklist
    reads these rows instead of every finding."""

    workplace = models.OneToOneField(
        Workplace, on_delete=models.CASCADE, primary_key=True, related_name="finding_totals"
    )
    half_life_days = models.FloatField()
    n_violation = models.PositiveIntegerField(default=0)
    n_indicator = models.PositiveIntegerField(default=0)
    n_forced_labour = models.PositiveIntegerField(default=0)
    n_remediated = models.PositiveIntegerField(default=0)
    s_violation = models.FloatField(default=0.0)
    s_indicator = models.FloatField(default=0.0)
    s_forced_labour = models.FloatField(default=0.0)
    r_violation = models.FloatField(default=0.0)
    r_indicator = models.FloatField(default=0.0)
    r_forced_labour = models.FloatField(default=0.0)
    latest = models.DateField(null=True, blank=True)

    COUNTS = ("n_violation", "n_indicator", "n_forced_labour")
    OPEN = ("s_violation", "s_indicator", "s_forced_labour")
    FIXED = ("r_violation", "r_indicator", "r_forced_labour")

    def __str__(self) -> str:
        return f"totals ({self.workplace_id})"


assert tuple(f"n_{k}" for k in FINDING_KINDS) == FindingTotals.COUNTS
