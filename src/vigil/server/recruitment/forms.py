"""Forms of the agency registry's pages (public and regulator)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from vigil.server.recruitment.models import Agency, Complaint, Licence


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
    agency = forms.ModelChoiceField(label=_("Agency"), queryset=Agency.objects.all(), required=False)

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
