"""Forms of the supply pages."""

from __future__ import annotations

from typing import ClassVar

from django import forms
from django.utils.translation import gettext_lazy as _

from vigil.rules import load_ruleset
from vigil.server.supply.models import CorrectivePlan, Finding, Milestone, SupplyAudit


class ImportForm(forms.Form):
    nodes = forms.FileField(
        label=_("Nodes file (CSV or XLSX)"),
        help_text=_(
            "Columns id, name, kind, prior, country, sector, good, address, workers, licence, fee_breaches."
        ),
    )
    edges = forms.FileField(
        label=_("Links file (CSV or XLSX)"),
        required=False,
        help_text=_("Columns supplier, buyer, share, spend."),
    )


class AuditForm(forms.ModelForm):
    class Meta:
        model = SupplyAudit
        fields = ("date", "standard", "auditor")
        widgets: ClassVar[dict[str, forms.Widget]] = {"date": forms.DateInput(attrs={"type": "date"})}


def _items() -> list[tuple[str, str]]:
    rs = load_ruleset("ilo-11")
    return [(i.id, f"{i.id} {i.label}") for i in rs.indicators]


class FindingForm(forms.Form):
    audit = forms.IntegerField(widget=forms.HiddenInput)
    kind = forms.ChoiceField(label=_("Kind of finding"), choices=Finding.Kind.choices)
    items = forms.MultipleChoiceField(
        label=_("ILO indicators found (interview or observation)"),
        required=False,
        choices=_items,
        widget=forms.CheckboxSelectMultiple,
    )
    amount = forms.FloatField(label=_("Fee amount (fee evidence)"), required=False, min_value=0)
    currency = forms.CharField(label=_("Currency"), required=False, max_length=3)
    purpose = forms.CharField(label=_("What the fee was for"), required=False, max_length=200)
    note = forms.CharField(
        label=_("Auditor's note (encrypted)"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self):  # type: ignore[no-untyped-def]
        data = super().clean()
        if data.get("kind") == Finding.Kind.FEE:
            for f in ("amount", "currency", "purpose"):
                if data.get(f) in (None, ""):
                    self.add_error(f, _("Required for fee evidence."))
        return data


class PlanForm(forms.ModelForm):
    class Meta:
        model = CorrectivePlan
        fields = ("title", "action", "why_engaging_failed", "plan_for_workers")
        widgets: ClassVar[dict[str, forms.Widget]] = {
            "why_engaging_failed": forms.Textarea(attrs={"rows": 2}),
            "plan_for_workers": forms.Textarea(attrs={"rows": 2}),
        }


class MilestoneForm(forms.ModelForm):
    class Meta:
        model = Milestone
        fields = ("title", "owner", "due")
        widgets: ClassVar[dict[str, forms.Widget]] = {"due": forms.DateInput(attrs={"type": "date"})}
