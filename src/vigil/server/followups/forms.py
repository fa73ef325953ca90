"""Forms of the follow-up pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from vigil.server.followups.models import FollowUp
from vigil.server.web.widgets import DateInput


class FollowUpForm(forms.ModelForm):
    class Meta:
        model = FollowUp
        fields = ("kind", "due_on")
        widgets = {"due_on": DateInput}  # noqa: RUF012


class FollowUpDoneForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=FollowUp.Outcome.choices)
    removal_verified = forms.NullBooleanField(label=_("Removal from the workplace verified"), required=False)
    retrafficking_risk = forms.BooleanField(label=_("Risk of re-trafficking"), required=False)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
