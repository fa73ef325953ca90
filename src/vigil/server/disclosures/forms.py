"""Forms of the pages of this app."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vigil.server.disclosures.models import SubjectRequest
from vigil.server.statistics import microdata as exports
from vigil.server.web.versioning import VersionedForm
from vigil.server.web.widgets import DateInput


class StatisticsExportForm(forms.Form):
    purpose = forms.CharField(
        label=gettext_lazy("Purpose"),
        max_length=500,
        help_text=gettext_lazy(
            "Why the data leave the system, and for whom (e.g. the ministry's annual report)."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    k = forms.IntegerField(
        label=gettext_lazy("Smallest group published (k)"),
        required=False,
        help_text=gettext_lazy("At least 11; a larger k suppresses more."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["k"].initial = exports.min_k()
        self.fields["k"].widget.attrs["min"] = exports.min_k()

    def clean_purpose(self) -> str:
        value = self.cleaned_data["purpose"].strip()
        if not value:
            raise forms.ValidationError(_("Say why the data leave the system."))
        return value

    def clean_k(self) -> int:
        value = self.cleaned_data.get("k") or exports.min_k()
        if value < exports.min_k():
            raise forms.ValidationError(_("k must be at least %(k)s.") % {"k": exports.min_k()})
        return value


class SubjectRequestForm(forms.ModelForm):
    class Meta:
        model = SubjectRequest
        fields = ("kind", "channel", "received_on", "verification")
        widgets: ClassVar[dict[str, forms.Widget]] = {"received_on": DateInput()}


class UpdateForm(VersionedForm):
    """With the version read (hidden, required): a save based on an older one is refused."""

    verification = forms.ChoiceField(
        label=gettext_lazy("Identity verified by"),
        choices=SubjectRequest.Verification.choices,
        required=False,
    )
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        choices=[(s.value, s.label) for s in SubjectRequest.OPEN_STATUSES],
    )
    outcome_note = forms.CharField(
        label=gettext_lazy("Outcome note (no identity value)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CompleteForm(VersionedForm):
    """The version read is posted (hidden); the service also checks the request is open."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("version_required", False)
        super().__init__(*args, **kwargs)

    outcome_note = forms.CharField(
        label=gettext_lazy("What was done (no identity value)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RefuseForm(VersionedForm):
    """The version read is posted (hidden); the service also checks the request is open."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("version_required", False)
        super().__init__(*args, **kwargs)

    refusal_reason = forms.CharField(label=gettext_lazy("Reason for refusal"), max_length=300)
    outcome_note = forms.CharField(
        label=gettext_lazy("Outcome note (no identity value)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
