from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from vigil.server.national.models import Alert


class ReleaseForm(forms.Form):
    year = forms.RegexField(label=_("Year"), regex=r"^(19|20)\d\d$", max_length=4)
    note = forms.CharField(label=_("Note for the public page"), max_length=500, required=False)


class EstimateUploadForm(forms.Form):
    year = forms.RegexField(label=_("Year"), regex=r"^(19|20)\d\d$", max_length=4)
    file = forms.FileField(
        label=_("Estimates (JSON)"),
        help_text=_("The file written by vigil estimate mse or vigil estimate survey with --format json."),
    )


class DecisionForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Decision"),
        choices=[(Alert.Status.ACKNOWLEDGED, _("Acknowledge")), (Alert.Status.DISMISSED, _("Dismiss"))],
    )
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("status") == Alert.Status.DISMISSED and not str(data.get("reason", "")).strip():
            self.add_error("reason", _("Say why the alert is dismissed."))
        return data
