"""The registry of recruitment agencies (issue 9): agencies, their licences with a history of
status changes, sanctions, complaints from workers, unions and NGOs, and fee reports classified
with the ``fair-recruitment-2019`` rule set (``vigil.recruitment.fees``) when saved.

A complaint's narrative and the complainant's contact details are identity data: they are
encrypted like a person's fields and every read or write of them is audited. Agency names,
registration and licence numbers are public registry data and stay plain (the public licence
check searches them).
"""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from vigil.recruitment.fees import Payment, classify_payment
from vigil.rules import explain_text
from vigil.server.drawn_codes import save_with_drawn_code
from vigil.server.fields import EncryptedTextField

# receipt codes: no 0/O or 1/I/L, so a code read over the phone is not misheard
RECEIPT_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
RECEIPT_LENGTH = 12


def new_receipt_code() -> str:
    """A random receipt code such as ``RC-7KQ2-M9XD-4TWP`` (about 59 bits of randomness)."""
    raw = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))
    return "RC-" + "-".join(raw[i : i + 4] for i in range(0, RECEIPT_LENGTH, 4))


def normalise_receipt(code: str) -> str:
    """A code as typed (spaces, lower case, no dashes) in its stored form."""
    raw = "".join(ch for ch in code.upper() if ch.isalnum())
    if raw.startswith("RC"):
        raw = raw[2:]
    if len(raw) != RECEIPT_LENGTH:
        return ""
    return "RC-" + "-".join(raw[i : i + 4] for i in range(0, RECEIPT_LENGTH, 4))


class Agency(models.Model):
    legal_name = models.CharField(_("legal name"), max_length=200)
    registration_number = models.CharField(_("registration number"), max_length=64, blank=True)
    country = models.CharField(_("country (ISO 3166-1 alpha-3)"), max_length=3)
    sectors = models.JSONField(_("sectors (ISIC codes)"), default=list, blank=True)
    countries_served = models.JSONField(_("countries served (ISO 3166-1 alpha-3)"), default=list, blank=True)
    last_inspection = models.DateField(_("last inspection"), null=True, blank=True)
    # set when a reviewer merged this entry into another (the name review queue); undone by undo
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_entries", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("legal_name", "id")
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        constraints = (
            models.UniqueConstraint(
                fields=("country", "registration_number"),
                condition=~models.Q(registration_number=""),
                name="recruitment_agency_unique_registration",
            ),
        )

    def __str__(self) -> str:
        return self.legal_name

    def current_licence(self) -> Licence | None:
        """The licence in force if any, else the most recent one."""
        licences = list(self.licences.all())
        if not licences:
            return None
        in_force = [lic for lic in licences if lic.effective_status() == Licence.Status.ACTIVE]
        pool = in_force or licences
        return max(pool, key=lambda lic: (lic.valid_from, lic.pk))

    def licence_status(self) -> str:
        """``active``, ``suspended``, ``revoked``, ``expired`` or ``none`` (never licensed)."""
        lic = self.current_licence()
        return lic.effective_status() if lic else "none"


class Licence(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        REVOKED = "revoked", _("Revoked")
        EXPIRED = "expired", _("Expired")

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="licences")
    number = models.CharField(_("licence number"), max_length=64, unique=True)
    issuer = models.CharField(_("issuer"), max_length=200)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)

    class Meta:
        ordering = ("-valid_from", "-id")
        verbose_name = _("licence")
        verbose_name_plural = _("licences")
        constraints = (
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=models.F("valid_from")),
                name="recruitment_licence_valid_range",
            ),
        )

    def __str__(self) -> str:
        return self.number

    def effective_status(self, today: date | None = None) -> str:
        """The recorded status, except that an active licence past its end date is expired."""
        today = today or timezone.localdate()
        if self.status == self.Status.ACTIVE and self.valid_to is not None and self.valid_to < today:
            return str(self.Status.EXPIRED)
        return str(self.status)


class LicenceStatusChange(models.Model):
    licence = models.ForeignKey(Licence, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=16, choices=Licence.Status.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=Licence.Status.choices)
    reason = models.TextField(_("reason"), blank=True)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ("at", "id")


class Sanction(models.Model):
    class Kind(models.TextChoices):
        WARNING = "warning", _("Warning")
        FINE = "fine", _("Fine")
        SUSPENSION = "suspension", _("Licence suspension")
        REVOCATION = "revocation", _("Licence revocation")
        PROSECUTION = "prosecution", _("Referred for prosecution")

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="sanctions")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    imposed_on = models.DateField(_("imposed on"))
    summary = models.TextField(_("summary"), blank=True, help_text=_("No names of workers or complainants."))

    class Meta:
        ordering = ("-imposed_on", "-id")


class Complaint(models.Model):
    class ComplainantType(models.TextChoices):
        WORKER = "worker", _("Worker")
        UNION = "union", _("Trade union")
        NGO = "ngo", _("NGO")
        ANONYMOUS = "anonymous", _("Anonymous")

    class Severity(models.TextChoices):
        LOW = "low", _("Low")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        REVIEWING = "reviewing", _("Under review")
        UPHELD = "upheld", _("Upheld")
        DISMISSED = "dismissed", _("Dismissed")
        CLOSED = "closed", _("Closed")

    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="complaints", null=True, blank=True
    )
    agency_name_given = EncryptedTextField(_("agency named by the complainant"), blank=True, default="")
    complainant_type = models.CharField(
        _("complainant"), max_length=16, choices=ComplainantType.choices, default=ComplainantType.ANONYMOUS
    )
    description = EncryptedTextField(_("what happened"))
    contact = EncryptedTextField(_("contact details of the complainant"), blank=True, default="")
    severity = models.CharField(
        _("severity"), max_length=8, choices=Severity.choices, default=Severity.MEDIUM
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.RECEIVED)
    receipt_code = models.CharField(max_length=20, unique=True, editable=False)
    made_on = models.DateField(_("made on"), default=timezone.localdate)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-made_on", "-id")

    def __str__(self) -> str:
        return f"complaint #{self.pk}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is None and not self.receipt_code:
            save_with_drawn_code(
                self, "receipt_code", new_receipt_code, lambda: super(Complaint, self).save(*args, **kwargs)
            )
            return
        super().save(*args, **kwargs)


class FeeReport(models.Model):
    class Channel(models.TextChoices):
        UPFRONT = "upfront", _("Paid upfront")
        WAGE_DEDUCTION = "wage_deduction", _("Deducted from wages")
        LOAN = "loan", _("Through a loan")
        FAMILY = "family", _("Paid by the family")
        IN_KIND = "in_kind", _("In kind")

    class Payee(models.TextChoices):
        RECRUITER = "recruiter", _("Recruiter")
        EMPLOYER = "employer", _("Employer")
        AGENT = "agent", _("Agent")
        OFFICIAL = "official", _("Official")
        OTHER = "other", _("Other")

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="fee_reports")
    complaint = models.ForeignKey(
        Complaint, on_delete=models.SET_NULL, null=True, blank=True, related_name="fee_reports"
    )
    amount = models.DecimalField(
        _("amount"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)]
    )
    currency = models.CharField(_("currency (ISO 4217)"), max_length=3)
    purpose = models.CharField(_("what the payment was for"), max_length=200)
    payee = models.CharField(_("paid to"), max_length=16, choices=Payee.choices, default=Payee.RECRUITER)
    channel = models.CharField(_("how"), max_length=16, choices=Channel.choices, default=Channel.UPFRONT)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    # the determination (vigil.recruitment.fees), recomputed on every save
    category = models.CharField(max_length=8, blank=True)
    outcome = models.CharField(max_length=16, blank=True)
    breach = models.BooleanField(default=False)
    decided_by = models.TextField(blank=True)
    # the language-neutral tree of decided_by (vigil.rules.explain_text), rendered per request
    why = models.JSONField(default=dict, blank=True, editable=False)
    fired = models.JSONField(default=list, blank=True)
    ruleset = models.CharField(max_length=64, blank=True)
    ruleset_version = models.CharField(max_length=32, blank=True)
    debt_lead = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created_at", "-id")

    def why_text(self) -> str:
        """What decided, in the request's language: the stored tree rendered (the stored English
        text for a record saved before trees)."""
        return explain_text.decided_by(
            {"why": self.why or None, "decided_by": self.decided_by, "ruleset": self.ruleset},
            translation.get_language(),
        )

    def classify(self) -> None:
        """Classify with ``fair-recruitment-2019``; raises ``ValueError`` naming the bad field."""
        det = classify_payment(
            Payment(
                amount=float(self.amount),
                currency=self.currency,
                purpose=self.purpose,
                payee=self.payee,
                channel=self.channel,
                id=str(self.pk) if self.pk else None,
            )
        )
        self.category = det.category or ""
        self.outcome = det.outcome
        self.breach = det.outcome == "positive"
        self.decided_by = det.decided_by
        self.why = dict(det.why or {})
        self.fired = list(det.fired)
        self.ruleset = det.ruleset
        self.ruleset_version = det.version
        self.debt_lead = det.debt_lead

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.classify()
        super().save(*args, **kwargs)


# Costs of a job offer and who pays them; ``ilo`` is the purpose words that give the ILO 2019
# category (vigil.recruitment.fees) when the worker would pay them.
OFFER_COSTS: tuple[tuple[str, Any, str], ...] = (
    ("recruitment_fee", _("Recruitment fee"), "recruitment fee"),
    ("travel", _("Travel to the workplace"), "travel"),
    ("visa", _("Visa and work permit"), "visa"),
    ("medical", _("Medical examination"), "medical"),
    ("training", _("Training before departure"), "training"),
    ("insurance", _("Insurance"), "insurance"),
    ("housing", _("Housing at the workplace"), ""),
    ("food", _("Food"), ""),
)
COST_KEYS = tuple(k for k, _label, _ilo in OFFER_COSTS)


class JobOffer(models.Model):
    """A job offer a licensed agency publishes: the regulator approves it before it is listed;
    the public list shows it only while the agency's licence is in force (a query condition:
    :func:`vigil.server.recruitment.services.listed_offers`). The offer check
    (``vigil.recruitment.offers``) and the costs the worker would pay (``fair-recruitment-2019``)
    are recomputed on every save."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted, waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Payer(models.TextChoices):
        EMPLOYER = "employer", _("The employer")
        WORKER = "worker", _("The worker")
        NONE = "none", _("Not applicable")

    class PayPeriod(models.TextChoices):
        HOUR = "hour", _("per hour")
        WEEK = "week", _("per week")
        MONTH = "month", _("per month")

    class Contract(models.TextChoices):
        PERMANENT = "permanent", _("Permanent")
        FIXED_TERM = "fixed_term", _("Fixed term")
        SEASONAL = "seasonal", _("Seasonal")

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="offers")
    title = models.CharField(_("job"), max_length=200)
    employer = models.CharField(_("employer (legal name)"), max_length=200)
    workplace = models.CharField(_("workplace (address, town)"), max_length=300)
    country = models.CharField(_("country of the workplace (ISO 3166-1 alpha-3)"), max_length=3)
    sector = models.CharField(_("sector (ISIC code)"), max_length=8, blank=True)
    pay_amount = models.DecimalField(
        _("pay before deductions"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)]
    )
    pay_currency = models.CharField(_("currency (ISO 4217)"), max_length=3)
    pay_period = models.CharField(_("pay period"), max_length=8, choices=PayPeriod.choices)
    hours_per_week = models.PositiveSmallIntegerField(_("hours per week"))
    contract = models.CharField(_("contract"), max_length=16, choices=Contract.choices)
    contract_months = models.PositiveSmallIntegerField(
        _("length of the contract (months)"), null=True, blank=True
    )
    contract_before_departure = models.BooleanField(
        _("written contract signed before departure"), default=True
    )
    costs = models.JSONField(_("who pays which costs"), default=dict, blank=True)
    description = models.TextField(_("the offer as published"), blank=True, max_length=5000)
    open_until = models.DateField(_("applications until"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    review_note = models.TextField(_("note of the review"), blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # the offer check (vigil.recruitment.offers) and the costs the worker would pay, on every save
    signs = models.JSONField(default=list, blank=True)
    evidence = models.JSONField(default=dict, blank=True)
    signs_version = models.CharField(max_length=32, blank=True)
    worker_costs = models.JSONField(default=list, blank=True)
    fees_ruleset_version = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("job offer")
        verbose_name_plural = _("job offers")

    def __str__(self) -> str:
        return f"{self.title} ({self.employer})"

    def screened_text(self) -> str:
        """The offer as one text for the offer check: its fields, then the text as published."""
        period = {"hour": "per hour", "week": "per week", "month": "per month"}.get(self.pay_period, "")
        contract = (
            "written contract signed before departure"
            if self.contract_before_departure
            else "contract signed on arrival"
        )
        length = f", {self.contract_months} months" if self.contract_months else ""
        return (
            f"{self.title}. Employer: {self.employer}. Workplace: {self.workplace}, {self.country}. "
            f"Pay: {self.pay_amount} {self.pay_currency} {period}, {self.hours_per_week} hours per week. "
            f"Contract: {self.contract.replace('_', ' ')}{length}, {contract}.\n{self.description}"
        )

    def screen(self) -> None:
        """Recompute the offer check and the costs the worker would pay."""
        from vigil.recruitment.fees import classify_payment
        from vigil.recruitment.offers import screen_offer

        result = screen_offer(self.screened_text())
        self.signs = list(result.signs)
        self.evidence = {s: list(result.evidence[s]) for s in result.signs}
        self.signs_version = result.version
        owed = []
        version = ""
        for key, _label, purpose in OFFER_COSTS:
            if self.costs.get(key) != self.Payer.WORKER or not purpose:
                continue
            det = classify_payment(Payment(1.0, "USD", purpose, "recruiter", "upfront", id=key))
            version = det.version
            owed.append(
                {
                    "cost": key,
                    "category": det.category or "",
                    "breach": det.outcome == "positive",
                    "decided_by": det.decided_by,
                }
            )
        self.worker_costs = owed
        self.fees_ruleset_version = version

    def cost_lines(self) -> list[tuple[str, Any, str]]:
        """(key, label, payer label) of every cost, in the order of OFFER_COSTS."""
        payers = dict(self.Payer.choices)
        return [
            (key, label, payers.get(self.costs.get(key, "none"), payers["none"]))
            for key, label, _ilo in OFFER_COSTS
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.screen()
        super().save(*args, **kwargs)


class Inspection(models.Model):
    """An inspection of the agency (by the regulator or the labour inspectorate). Saving one
    keeps ``Agency.last_inspection`` at the latest date, which the risk score reads."""

    class Outcome(models.TextChoices):
        COMPLIANT = "compliant", _("Compliant")
        MINOR = "minor", _("Minor issues, advice given")
        BREACHES = "breaches", _("Breaches found")
        REFERRED = "referred", _("Referred for sanction or prosecution")

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="inspections")
    inspected_on = models.DateField(_("date of the inspection"))
    inspector = models.CharField(_("inspector or team"), max_length=200)
    findings = models.TextField(
        _("summary of the findings"), blank=True, help_text=_("No names of workers or complainants.")
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-inspected_on", "-id")
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        latest = self.agency.inspections.aggregate(models.Max("inspected_on"))["inspected_on__max"]
        Agency.objects.filter(pk=self.agency_id).update(last_inspection=latest)
        self.agency.last_inspection = latest


class CaseLink(models.Model):
    """A case that names the agency (its recruiter), linked by someone who may edit the case.
    The regulator sees how many cases, and how many of them are (possible) trafficking, never
    the cases themselves."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="case_links")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="agency_links")
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    linked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-linked_at", "-id")
        constraints = (
            models.UniqueConstraint(fields=("agency", "case"), name="recruitment_caselink_unique"),
        )


class NamePair(models.Model):
    """Two registry entries whose names may be the same agency (``vigil.recruitment.names``,
    same country), waiting for a person to merge or separate them. Every decision is kept in
    :class:`NamePairEvent` and can be undone."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        MERGED = "merged", _("Merged: the same agency")
        SEPARATED = "separated", _("Separate agencies")

    agency_a = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    agency_b = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    score = models.FloatField()
    decision = models.CharField(max_length=8, choices=(("match", "match"), ("review", "review")))
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    kept = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    found_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-score", "id")
        constraints = (
            models.UniqueConstraint(fields=("agency_a", "agency_b"), name="recruitment_namepair_unique"),
            models.CheckConstraint(
                condition=models.Q(agency_a__lt=models.F("agency_b")), name="recruitment_namepair_order"
            ),
        )


class NamePairEvent(models.Model):
    class Action(models.TextChoices):
        MERGED = "merged", _("Merged")
        SEPARATED = "separated", _("Separated")
        UNDONE = "undone", _("Undone")

    pair = models.ForeignKey(NamePair, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=16, choices=Action.choices)
    # for a merge: the kept and the merged agency, and the ids of every row moved (to undo it)
    moved = models.JSONField(default=dict, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("at", "id")


class AgencyReview(models.Model):
    """A review of an agency the regulator opens, by hand or on an early-warning alert (its id in
    ``alert_id``: no foreign key, the national app may be absent), and closes with an outcome.
    No free text: what happened is in the complaints, fee reports and inspections it leads to."""

    class Outcome(models.TextChoices):
        NO_ISSUE = "no_issue", _("No issue found")
        INSPECTION = "inspection", _("Inspection carried out")
        SANCTION = "sanction", _("Sanction imposed")
        LICENCE = "licence", _("Licence suspended or revoked")

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="reviews")
    alert_id = models.PositiveBigIntegerField(_("early-warning alert"), null=True, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-opened_at", "-id")
        verbose_name = _("agency review")
        verbose_name_plural = _("agency reviews")
        constraints = (
            models.UniqueConstraint(
                fields=("agency",),
                condition=models.Q(closed_at__isnull=True),
                name="recruitment_one_open_review",
            ),
        )

    def __str__(self) -> str:
        return f"agency review #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None
