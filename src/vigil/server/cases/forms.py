"""Forms of the case pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from vigil.server.cases.identity_guard import MESSAGE as IDENTITY_IN_TEXT
from vigil.server.cases.identity_guard import identity_in
from vigil.server.cases.models import Case, Consent, MigrationStage, Person
from vigil.server.web.versioning import VersionedForm
from vigil.server.web.widgets import DateInput


class PersonForm(VersionedForm, forms.ModelForm):
    """Carries the version read (hidden): a save based on an older one is refused."""

    class Meta:
        model = Person
        fields = Person.PROFILE_FIELDS
        widgets = {  # noqa: RUF012
            "given_name": forms.TextInput(attrs={"autocomplete": "off"}),
            "family_name": forms.TextInput(attrs={"autocomplete": "off"}),
            "document_number": forms.TextInput(attrs={"autocomplete": "off"}),
            "phone": forms.TextInput(attrs={"autocomplete": "off"}),
            "address": forms.Textarea(attrs={"rows": 2}),
            "narrative": forms.Textarea(attrs={"rows": 4}),
        }


class CaseForm(forms.ModelForm):
    """The template carries the version read as ``case-version`` (optimistic locking)."""

    class Meta:
        model = Case
        fields = (
            "status",
            "trafficking_status",
            "sector",
            "opened_on",
            "closed_on",
            "closure_reason",
            "legal_hold",
            "legal_hold_reason",
        )
        widgets = {"opened_on": DateInput, "closed_on": DateInput}  # noqa: RUF012

    def __init__(self, *args: Any, can_hold: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not can_hold:
            del self.fields["legal_hold"]
            del self.fields["legal_hold_reason"]

    def clean(self) -> dict:  # type: ignore[type-arg]
        data = super().clean() or {}
        if data.get("legal_hold") and not data.get("legal_hold_reason"):
            self.add_error("legal_hold_reason", _("A legal hold needs a reason."))
        if data.get("status") in {Case.Status.CLOSED, Case.Status.CLOSED_REFERRED} and not data.get(
            "closure_reason"
        ):
            self.add_error("closure_reason", _("A closed case needs a reason."))
        person = self.instance.person if self.instance.person_id else None
        for name in ("closure_reason", "legal_hold_reason"):
            if name in self.fields and identity_in(person, data.get(name)):
                self.add_error(name, IDENTITY_IN_TEXT)
        return data


class StageForm(forms.ModelForm):
    class Meta:
        model = MigrationStage
        fields = (
            "stage",
            "start_date",
            "end_date",
            "place",
            "country",
            "sector",
            "employer_or_recruiter",
            "notes",
        )
        widgets = {"start_date": DateInput, "end_date": DateInput, "notes": forms.Textarea(attrs={"rows": 2})}  # noqa: RUF012

    def __init__(self, *args: Any, person: Person | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.person = person

    def clean(self) -> dict:  # type: ignore[type-arg]
        data = super().clean() or {}
        if data.get("start_date") and data.get("end_date") and data["end_date"] < data["start_date"]:
            self.add_error("end_date", _("The end is before the start."))
        # The place is kept in plain text (it feeds the statistics of routes): never the person.
        if identity_in(self.person, data.get("place")):
            self.add_error("place", IDENTITY_IN_TEXT)
        return data


class ConsentForm(forms.ModelForm):
    class Meta:
        model = Consent
        fields = ("purpose", "given", "given_on", "method")
        widgets = {"given_on": DateInput}  # noqa: RUF012


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Reference or document number"), required=False)
