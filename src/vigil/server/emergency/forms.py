from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from vigil.server.emergency.models import EmergencyAccess


class EmergencyRequestForm(forms.Form):
    case_reference = forms.CharField(
        label=_("Case reference"),
        max_length=32,
        help_text=_("The exact reference, as the caller or the owning organisation gave it."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        help_text=EmergencyAccess._meta.get_field("reason").help_text,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("Reason for revoking"), max_length=500)
