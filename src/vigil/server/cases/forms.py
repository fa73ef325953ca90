"""Forms of the case pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from vigil.server.cases.identity_guard import MESSAGE as IDENTITY_IN_TEXT
from vigil.server.cases.identity_guard import identity_in
from vigil.server.cases.models import Case, Consent, MigrationStage, Person, region_error
from vigil.server.web.versioning import VersionedForm
from vigil.server.web.widgets import DateInput
from vigil.stats import subdivisions


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


def region_choices(country: str) -> list[tuple[str, str]]:
    """The options of the region select: none, then the first-level subdivisions of ``country``."""
    blank = [("", _("(none)") if country else _("(enter the country first)"))]
    return blank + subdivisions.of_country(country, get_language())


class StageForm(forms.ModelForm):
    # A select of the country's first-level subdivisions (ISO 3166-2): the options follow the
    # country typed (htmx asks ``cases:stage-regions``); without JavaScript they are those of the
    # country posted, so a form sent back with an error offers them.
    region = forms.CharField(label=_("region (ISO 3166-2)"), required=False, widget=forms.Select)

    class Meta:
        model = MigrationStage
        fields = (
            "stage",
            "start_date",
            "end_date",
            "place",
            "country",
            "region",
            "sector",
            "employer_or_recruiter",
            "notes",
        )
        widgets = {"start_date": DateInput, "end_date": DateInput, "notes": forms.Textarea(attrs={"rows": 2})}  # noqa: RUF012

    def __init__(self, *args: Any, person: Person | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.person = person
        bound = self.data.get(self.add_prefix("country")) if self.is_bound else None
        country = (bound if self.is_bound else self.instance.country) or ""
        region = self.fields["region"]
        region.widget.choices = region_choices(str(country).strip().upper())  # type: ignore[attr-defined]
        self.fields["country"].widget.attrs.update({
            "hx-get": reverse("cases:stage-regions"),
            "hx-trigger": "change",
            "hx-target": f"#{self.auto_id % self.add_prefix('region')}",
            "hx-swap": "innerHTML",
        })

    def clean_country(self) -> str:
        return str(self.cleaned_data.get("country") or "").strip().upper()

    def clean_region(self) -> str:
        return str(self.cleaned_data.get("region") or "").strip().upper()

    def clean(self) -> dict:  # type: ignore[type-arg]
        data = super().clean() or {}
        if data.get("start_date") and data.get("end_date") and data["end_date"] < data["start_date"]:
            self.add_error("end_date", _("The end is before the start."))
        message = region_error(data.get("region") or "", data.get("country") or "")
        if message and "country" not in self.errors:
            self.add_error("region", message)
        # The place is kept in plain text (it feeds the statistics of routes): never the person.
        if identity_in(self.person, data.get("place")):
            self.add_error("place", IDENTITY_IN_TEXT)
        return data


class IntakeStageForm(StageForm):
    """The first migration stage, optional at intake: left empty, no stage is created; begun
    (any field filled), it needs its stage."""

    use_required_attribute = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stage"].required = False

    def clean(self) -> dict:  # type: ignore[type-arg]
        data = super().clean() or {}
        if not data.get("stage") and any(data.get(name) for name in self.fields if name != "stage"):
            self.add_error("stage", _("Choose the stage, or leave the whole stage empty."))
        return data

    @property
    def filled(self) -> bool:
        return bool(self.is_valid() and self.cleaned_data.get("stage"))


class ConsentForm(forms.Form):
    """One decision per purpose, several at once: a row per purpose with an explicit choice
    (given / refused, no default), the method and the date. A row left untouched is not recorded;
    a row begun (a method chosen) without a choice, or a choice without a method, is an error that
    names the purpose; a form with no choice at all records nothing and says so."""

    DECISIONS = (("given", _("given")), ("refused", _("refused")))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.purposes = list(Consent.Purpose.choices)
        for value, label in self.purposes:
            self.fields[f"{value}-decision"] = forms.ChoiceField(
                label=label, choices=self.DECISIONS, widget=forms.RadioSelect, required=False
            )
            self.fields[f"{value}-method"] = forms.ChoiceField(
                label=_("method"), choices=[("", "—"), *Consent.Method.choices], required=False
            )
            self.fields[f"{value}-given_on"] = forms.DateField(
                label=_("date"), widget=DateInput, required=False, initial=timezone.localdate
            )

    def rows(self) -> list[dict[str, Any]]:
        """For the template: one dict per purpose with its label and bound fields."""
        return [
            {
                "purpose": value,
                "label": label,
                "decision": self[f"{value}-decision"],
                "method": self[f"{value}-method"],
                "given_on": self[f"{value}-given_on"],
            }
            for value, label in self.purposes
        ]

    def clean(self) -> dict:  # type: ignore[type-arg]
        data = super().clean() or {}
        chosen = []
        for value, label in self.purposes:
            decision = data.get(f"{value}-decision") or ""
            method = data.get(f"{value}-method") or ""
            if not decision and not method:
                continue
            if not decision:
                self.add_error(
                    f"{value}-decision",
                    _("%(purpose)s: choose given or refused.") % {"purpose": label},
                )
            elif not method:
                self.add_error(
                    f"{value}-method",
                    _("%(purpose)s: choose how the decision was expressed (method).") % {"purpose": label},
                )
            else:
                chosen.append(value)
        if not chosen and not self.errors:
            raise forms.ValidationError(
                _("Nothing was recorded: choose given or refused for at least one purpose.")
            )
        self.chosen = chosen
        return data

    def decisions(self) -> list[dict[str, Any]]:
        """The rows to record, in the order of the purposes (after ``is_valid``)."""
        data = self.cleaned_data
        return [
            {
                "purpose": value,
                "given": data[f"{value}-decision"] == "given",
                "method": data[f"{value}-method"],
                "given_on": data.get(f"{value}-given_on") or timezone.localdate(),
            }
            for value in self.chosen
        ]


class SearchForm(forms.Form):
    """Find a case: ``q`` is a reference, an exact document number or an exact phone number
    (matched through the keyed hashes, never the plaintext); status and sector narrow the list."""

    q = forms.CharField(label=_("Reference, document or phone number"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("any")), *Case.Status.choices], required=False
    )
    sector = forms.ChoiceField(
        label=_("Sector"), choices=[("", _("any")), *Case._meta.get_field("sector").choices], required=False
    )
