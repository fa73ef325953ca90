"""A company's own supply chain (issue 10): its suppliers of every tier, facilities and labour
recruiters (``Entity``), the links between them with shares, the review queue of likely
duplicates and the merges made from it (with undo), audits with their findings, and corrective
action plans with milestones. Everything belongs to one organisation (the company): a compliance
officer sees only their own organisation's chain (``scoping.supply_for``).

Supplier names, addresses and coordinates are business data and stay plain. What a worker said in
an interview is not stored as such: a finding keeps the checklist items ticked and the rule set's
determination; the auditor's note, which may name or describe a person, is encrypted at rest and
every read of it is audited.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from vigil.rules import explain_text
from vigil.server.fields import EncryptedTextField

ORG = "accounts.Organisation"
UNIT = (MinValueValidator(0.0), MaxValueValidator(1.0))


class Entity(models.Model):
    class Kind(models.TextChoices):
        COMPANY = "company", _("company")
        SUPPLIER = "supplier", _("supplier")
        FACILITY = "facility", _("facility")
        RECRUITER = "recruiter", _("recruiter")

    organisation = models.ForeignKey(ORG, on_delete=models.PROTECT, related_name="supply_entities")
    ref = models.CharField(_("id in the import"), max_length=64)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.SUPPLIER)
    name = models.CharField(_("name"), max_length=200)
    country = models.CharField(_("country (ISO 3166-1 alpha-3)"), max_length=3, blank=True)
    sector = models.CharField(_("sector (ISIC Rev.4)"), max_length=16, blank=True)
    good = models.CharField(_("good"), max_length=100, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    # the same bound on every database (the schema must not depend on the backend's integer range)
    workers = models.PositiveIntegerField(
        _("workers"), null=True, blank=True, validators=[MaxValueValidator(2_147_483_647)]
    )
    licence = models.CharField(_("recruiter licence"), max_length=16, blank=True)
    fee_breaches = models.PositiveIntegerField(_("fee breaches"), null=True, blank=True)
    prior = models.FloatField(_("own risk given"), null=True, blank=True, validators=UNIT)
    agency = models.ForeignKey(
        "recruitment.Agency",
        verbose_name=_("agency in the registry"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="supply_entities",
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("name", "id")
        verbose_name = _("supply-chain entity")
        verbose_name_plural = _("supply-chain entities")
        constraints = (
            models.UniqueConstraint(fields=("organisation", "ref"), name="supply_entity_unique_ref"),
        )

    def __str__(self) -> str:
        return self.name

    def root(self) -> Entity:
        """The entity this one was merged into, following merges to the end."""
        cur, seen = self, {self.pk}
        while cur.merged_into_id is not None and cur.merged_into_id not in seen:
            seen.add(cur.merged_into_id)
            cur = cur.merged_into  # type: ignore[assignment]
        return cur


class Link(models.Model):
    organisation = models.ForeignKey(ORG, on_delete=models.PROTECT, related_name="supply_links")
    supplier = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="outputs")
    buyer = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="inputs")
    share = models.FloatField(_("share of the buyer's input"), null=True, blank=True, validators=UNIT)
    spend = models.FloatField(_("spend"), null=True, blank=True, validators=(MinValueValidator(0.0),))

    class Meta:
        ordering = ("buyer_id", "supplier_id")
        constraints = (models.UniqueConstraint(fields=("supplier", "buyer"), name="supply_link_unique"),)


class MatchCandidate(models.Model):
    """A pair of entities that may be the same supplier, facility or recruiter, for a person."""

    class Status(models.TextChoices):
        PENDING = "pending", _("to review")
        MERGED = "merged", _("merged")
        DISTINCT = "distinct", _("not the same")

    organisation = models.ForeignKey(ORG, on_delete=models.PROTECT, related_name="supply_matches")
    a = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="+")
    b = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField(_("score"))
    suggested = models.CharField(_("suggested"), max_length=8)  # match / review
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-score", "id")
        constraints = (models.UniqueConstraint(fields=("a", "b"), name="supply_match_unique_pair"),)


class Merge(models.Model):
    """One entity merged into another: the history of merges, each undoable."""

    organisation = models.ForeignKey(ORG, on_delete=models.PROTECT, related_name="supply_merges")
    kept = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="+")
    merged = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="+")
    candidate = models.ForeignKey(
        MatchCandidate, null=True, blank=True, on_delete=models.SET_NULL, related_name="merges"
    )
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-at", "-id")


class SupplyAudit(models.Model):
    """An audit of a supplier, facility or recruiter against a standard (SMETA, Better Work...)."""

    organisation = models.ForeignKey(ORG, on_delete=models.PROTECT, related_name="supply_audits")
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="audits")
    date = models.DateField(_("date"))
    standard = models.CharField(_("standard"), max_length=100)
    auditor = models.CharField(_("auditor"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-date", "-id")
        verbose_name = _("audit")


class Finding(models.Model):
    """One finding of an audit, screened with a rule set when saved (traceable: rule set,
    version, indicators fired, deciding rule); its severity updates the entity's own risk."""

    class Kind(models.TextChoices):
        INTERVIEW = "interview", _("worker interview")
        OBSERVATION = "observation", _("observation")
        FEE = "fee", _("fee evidence")

    audit = models.ForeignKey(SupplyAudit, on_delete=models.CASCADE, related_name="findings")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    answers = models.JSONField(_("items ticked or fee facts"), default=dict)
    ruleset = models.CharField(max_length=64)
    version = models.CharField(max_length=32)
    outcome = models.CharField(max_length=32)
    label = models.CharField(max_length=300)
    fired = models.JSONField(default=list)
    decided_by = models.CharField(max_length=300)
    # the language-neutral tree of decided_by (vigil.rules.explain_text), rendered per request
    why = models.JSONField(default=dict, blank=True)
    severity = models.FloatField(validators=UNIT)
    note = EncryptedTextField(_("auditor's note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("id",)

    def why_text(self) -> str:
        """What decided, in the request's language: the stored tree rendered (the stored English
        text for a record saved before trees)."""
        return explain_text.decided_by(
            {"why": self.why or None, "decided_by": self.decided_by, "ruleset": self.ruleset},
            translation.get_language(),
        )


# the encrypted texts of a corrective plan (their reads are audited naming them)
PLAN_TEXT = ("why_engaging_failed", "plan_for_workers")


class CorrectivePlan(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("open")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    class Action(models.TextChoices):
        ENGAGE = "engage", _("engage")
        ESCALATE = "escalate", _("escalate")
        DISENGAGE = "disengage", _("disengage (last resort)")

    organisation = models.ForeignKey(ORG, on_delete=models.PROTECT, related_name="supply_plans")
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="plans")
    action = models.CharField(_("action"), max_length=16, choices=Action.choices, default=Action.ENGAGE)
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    # what a company writes about the workers of a supplier (wages, jobs, remediation) and why
    # engaging failed may describe people: encrypted at rest, every read audited naming them
    why_engaging_failed = EncryptedTextField(_("why engaging failed"), blank=True)
    plan_for_workers = EncryptedTextField(_("what happens to the workers"), blank=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-opened_at", "-id")
        verbose_name = _("corrective action plan")


class Milestone(models.Model):
    plan = models.ForeignKey(CorrectivePlan, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("milestone"), max_length=200)
    owner = models.CharField(_("owner"), max_length=120)
    due = models.DateField(_("due"))
    done_on = models.DateField(_("done on"), null=True, blank=True)

    class Meta:
        ordering = ("due", "id")
