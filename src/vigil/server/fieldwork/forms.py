"""The upload form: the XLSForm, the export, and optionally the case to attach to."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from vigil.server import scoping
from vigil.server.cases.models import Case


class UploadForm(forms.Form):
    form = forms.FileField(label=_("Form (XLSForm from vigil forms export)"))
    submissions = forms.FileField(label=_("Submissions (Kobo or ODK Central export: CSV, XLSX, JSON or zip)"))
    case = forms.CharField(
        label=_("Case reference (optional)"),
        required=False,
        max_length=32,
        help_text=_("Leave empty to open a new case for each person interviewed."),
    )

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.case_obj: Case | None = None

    def clean_case(self) -> str:
        ref = (self.cleaned_data.get("case") or "").strip().upper()
        if ref:
            found = scoping.editable_cases_for(self.user).filter(reference=ref).first()
            if found is None:
                raise forms.ValidationError(_("No case with this reference that you may change."))
            self.case_obj = found
        return ref
