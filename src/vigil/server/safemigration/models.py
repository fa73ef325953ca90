"""Safe-migration information (issue 13): public guides for people who plan to migrate for work or
are already abroad, one per country and language, edited by the coordinator in the admin.

A guide is shown to the public only once published after a review; its date of last review is
shown on the page. Changing the text of a published guide sends it back to review (it stays
unpublished until reviewed again), so what the public reads has always been reviewed.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Guide(models.Model):
    class Role(models.TextChoices):
        DESTINATION = "destination", _("Country of destination")
        ORIGIN = "origin", _("Country of origin")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        REVIEW = "review", _("Waiting for review")
        PUBLISHED = "published", _("Published")

    country = models.CharField(_("country (ISO 3166-1 alpha-3)"), max_length=3)
    country_name = models.CharField(_("country name (in this language)"), max_length=100)
    role = models.CharField(_("role"), max_length=12, choices=Role.choices)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    summary = models.TextField(_("summary"), blank=True)
    rights = models.TextField(_("the rights of migrant workers"), blank=True)
    channels = models.TextField(_("legal recruitment channels"), blank=True)
    contract = models.TextField(_("what a legal contract contains"), blank=True)
    fees = models.TextField(_("recruitment fees"), blank=True)
    warning_signs = models.TextField(_("warning signs of trafficking"), blank=True)
    help = models.TextField(
        _("where to get help"),
        blank=True,
        help_text=_("Hotlines, embassies, NGOs and shelters open to the public."),
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    reviewed_on = models.DateField(_("last reviewed on"), null=True, blank=True, editable=False)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    demo = models.BooleanField(
        _("demo content"), default=False, help_text=_("Written for the demonstration: not real advice.")
    )
    updated_at = models.DateTimeField(auto_now=True)

    #: the sections of a guide, in the order of the page
    SECTIONS = ("rights", "channels", "contract", "fees", "warning_signs", "help")
    CONTENT = ("country_name", "summary", *SECTIONS)

    class Meta:
        ordering = ("role", "country_name", "language")
        verbose_name = _("safe-migration guide")
        verbose_name_plural = _("safe-migration guides")
        constraints = (
            models.UniqueConstraint(fields=("country", "language"), name="guide_once_per_language"),
        )

    def __str__(self) -> str:
        return f"{self.country} ({self.language})"
