"""Forms of the agency registry's pages (public and regulator)."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.core.validators import MaxValueValidator
from django.db.models import OuterRef
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from vigil.server.recruitment.models import (
    COST_KEYS,
    OFFER_COSTS,
    Agency,
    Complaint,
    Inspection,
    JobOffer,
    Licence,
)


class LicenceCheckForm(forms.Form):
    q = forms.CharField(
        label=_("Agency name or licence number"),
        max_length=200,
        help_text=_("Spelling, word order and Ltd/SRL/LLC/Pvt do not matter."),
    )


class OfferCheckForm(forms.Form):
    text = forms.CharField(
        label=_("Text of the job offer"),
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Paste the offer as you received it. It is checked here and not stored."),
    )


class PublicComplaintForm(forms.Form):
    agency_name = forms.CharField(label=_("Agency or recruiter"), max_length=200)
    complainant_type = forms.ChoiceField(label=_("You are"), choices=Complaint.ComplainantType.choices)
    description = forms.CharField(
        label=_("What happened"), max_length=5000, widget=forms.Textarea(attrs={"rows": 6})
    )
    contact = forms.CharField(
        label=_("How we can reach you (optional)"),
        max_length=300,
        required=False,
        help_text=_("Leave empty to stay anonymous. Only the regulator sees it."),
    )


class FollowUpForm(forms.Form):
    code = forms.CharField(label=_("Receipt code"), max_length=40)


class ComplaintReviewForm(forms.ModelForm):
    agency = forms.ModelChoiceField(
        label=_("Agency"), queryset=Agency.objects.filter(merged_into__isnull=True), required=False
    )

    class Meta:
        model = Complaint
        fields = ("agency", "severity", "status")


class LicenceStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=Licence.Status.choices)
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


IMPORT_MAX_BYTES = 10 * 1024 * 1024


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What the file holds"),
        choices=(
            ("licences", _("A licensing list (agencies and their licences)")),
            ("complaints", _("Complaints")),
            ("fees", _("Fee reports")),
        ),
    )
    file = forms.FileField(
        label=_("CSV or XLSX file"),
        help_text=_("One header row. All rows are stored, or none: the first error names row and column."),
    )

    def clean_file(self):  # type: ignore[no-untyped-def]
        f = self.cleaned_data["file"]
        if f.size > IMPORT_MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 10 MB: split it."))
        return f


class JobOfferForm(forms.ModelForm):
    """An offer as the agency submitted it; one choice of payer per cost."""

    agency = forms.ModelChoiceField(label=_("Agency"), queryset=Agency.objects.none())

    class Meta:
        model = JobOffer
        fields = (
            "agency",
            "title",
            "employer",
            "workplace",
            "country",
            "sector",
            "pay_amount",
            "pay_currency",
            "pay_period",
            "hours_per_week",
            "contract",
            "contract_months",
            "contract_before_departure",
            "description",
            "open_until",
        )
        widgets: ClassVar[dict[str, Any]] = {
            "description": forms.Textarea(attrs={"rows": 5}),
            "open_until": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args: Any, agencies: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from vigil.server.recruitment.services import licence_in_force

        self.fields["agency"].queryset = (
            agencies
            if agencies is not None
            else Agency.objects.filter(merged_into__isnull=True).filter(licence_in_force(OuterRef("pk")))
        )
        for key, label, _ilo in OFFER_COSTS:
            self.fields[f"cost_{key}"] = forms.ChoiceField(
                label=format_lazy("{}: {}", _("Who pays"), label),
                choices=JobOffer.Payer.choices,
                initial=(self.instance.costs or {}).get(key, JobOffer.Payer.EMPLOYER),
            )
        self.fields["hours_per_week"].validators.append(MaxValueValidator(84))

    def clean_country(self) -> str:
        value = self.cleaned_data["country"].strip().upper()
        if len(value) != 3 or not value.isalpha():
            raise forms.ValidationError(_("Give an ISO 3166-1 alpha-3 code such as ITA."))
        return value

    def clean_pay_currency(self) -> str:
        value = self.cleaned_data["pay_currency"].strip().upper()
        if len(value) != 3 or not value.isalpha():
            raise forms.ValidationError(_("Give an ISO 4217 code such as EUR."))
        return value

    def save(self, commit: bool = True) -> JobOffer:
        self.instance.costs = {key: self.cleaned_data[f"cost_{key}"] for key in COST_KEYS}
        return super().save(commit)


class OfferReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=(("approve", _("Approve")), ("reject", _("Reject")), ("withdraw", _("Withdraw"))),
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Needed to reject, to withdraw, or to approve an offer with warning signs."),
    )


class InspectionForm(forms.ModelForm):
    class Meta:
        model = Inspection
        fields = ("inspected_on", "inspector", "outcome", "findings")
        widgets: ClassVar[dict[str, Any]] = {
            "inspected_on": forms.DateInput(attrs={"type": "date"}),
            "findings": forms.Textarea(attrs={"rows": 3}),
        }

    def clean_inspected_on(self):  # type: ignore[no-untyped-def]
        from django.utils import timezone

        value = self.cleaned_data["inspected_on"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("An inspection cannot be in the future."))
        return value


class CaseLinkForm(forms.Form):
    case = forms.ModelChoiceField(label=_("Case"), queryset=Agency.objects.none())
    agency = forms.ModelChoiceField(
        label=_("Agency that recruited the person"),
        queryset=Agency.objects.filter(merged_into__isnull=True).order_by("legal_name"),
    )

    def __init__(self, *args: Any, cases: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["case"].queryset = cases
        self.fields["case"].label_from_instance = lambda c: c.reference
