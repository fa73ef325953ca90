"""Forms of the breach pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from vigil.server.accounts.models import Organisation
from vigil.server.breaches.models import BreachIncident, BreachNotification
from vigil.server.web.versioning import VersionedForm


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None, format: str | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


_WHEN = {
    "discovered_at": DateTimeInput(),
    "occurred_from": DateTimeInput(),
    "occurred_to": DateTimeInput(),
}


class ReportForm(forms.ModelForm):
    class Meta:
        model = BreachIncident
        fields = ("title", "discovered_at", "description", "category", "occurred_from", "occurred_to")
        widgets = {**_WHEN, "title": forms.TextInput(attrs={"autocomplete": "off"})}  # noqa: RUF012


class UpdateForm(VersionedForm, forms.ModelForm):
    """Carries the version read (hidden): a save based on an older one is refused."""

    organisations = forms.ModelMultipleChoiceField(
        Organisation.objects.all(),
        required=False,
        label=_("other affected organisations"),
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = BreachIncident
        fields = (
            "title",
            "severity",
            "category",
            "discovered_at",
            "occurred_from",
            "occurred_to",
            "description",
            "estimated_records",
            "organisations",
            "containment_actions",
            "closure_summary",
        )
        widgets = {**_WHEN, "title": forms.TextInput(attrs={"autocomplete": "off"})}  # noqa: RUF012


class StatusForm(VersionedForm):
    """The version read is posted too; the service also checks the status read."""

    status = forms.ChoiceField(label=_("new status"), choices=BreachIncident.Status.choices)
    note = forms.CharField(label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    closure_summary = forms.CharField(
        label=_("closure summary"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, allowed: tuple[str, ...] = (), **kwargs: Any) -> None:
        kwargs.setdefault("version_required", False)
        super().__init__(*args, **kwargs)
        if allowed:
            self.fields["status"].choices = [
                (v, lbl) for v, lbl in BreachIncident.Status.choices if v in allowed
            ]


class NotificationForm(forms.ModelForm):
    class Meta:
        model = BreachNotification
        fields = ("recipient", "organisation", "notified_at", "method", "note")
        widgets = {"notified_at": DateTimeInput(), "note": forms.Textarea(attrs={"rows": 2})}  # noqa: RUF012
        help_texts = {"notified_at": _("Empty: now.")}  # noqa: RUF012

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["notified_at"].required = False


class CasesForm(forms.Form):
    references = forms.CharField(
        label=_("case references"),
        help_text=_("One or more references, separated by spaces or commas."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def tokens(self) -> list[str]:
        raw = self.cleaned_data.get("references", "")
        return [t for t in raw.replace(",", " ").split() if t]


class SuspendForm(forms.Form):
    user = forms.CharField(
        label=_("user name"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    reason = forms.CharField(label=_("reason"), max_length=500, help_text=_("No identity data."))
    incident = forms.CharField(label=_("incident reference (optional)"), max_length=32, required=False)


class ReactivateForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=500)
