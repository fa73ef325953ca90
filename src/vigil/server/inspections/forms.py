"""Forms of the inspection pages. The observations and the interview's fields and questions are
read from the visit questionnaire (``vigil.inspections.questionnaire``), the definition the
XLSForm is written from too: the ILO-11 checklist and, when the interview goes further, the
questions of the forced-labour rule set; no field asks about migration status (the firewall,
docs/security.md)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from vigil.inspections.findings import OBSERVATIONS, VIOLATION_CATEGORIES
from vigil.inspections.questionnaire import VisitQuestionnaire, load_questionnaire
from vigil.rules import load_ruleset
from vigil.server.inspections.models import JOINT_BODIES, EnforcementAction, InspectionPlan

# the observations of the checklist (vigil.inspections.findings.OBSERVATIONS) in the user's language
OBSERVATION_LABELS = {
    "locked_doors": _("Doors or gates locked from outside"),
    "guards": _("Guards or escorts watching the workers"),
    "isolated_site": _("Remote site, no phone or transport"),
    "living_on_site": _("Workers live on site (context, not an indicator by itself)"),
    "documents_retained": _("Identity documents kept by the employer"),
    "wages_withheld": _("Pay records show wages withheld or deferred"),
    "debt_ledger": _("A ledger of workers' debts to the employer or recruiter"),
    "degrading_housing": _("Degrading living conditions"),
    "pay_records_missing": _("No pay records kept"),
}
assert set(OBSERVATION_LABELS) == set(OBSERVATIONS)
YES_NO = [("", _("not asked / not known")), ("yes", _("yes")), ("no", _("no"))]


def questionnaire() -> VisitQuestionnaire:
    """The visit questionnaire the page asks (and the XLSForm download writes)."""
    return load_questionnaire()


class DateInput(forms.DateInput):
    input_type = "date"


class PlanForm(forms.ModelForm):
    class Meta:
        model = InspectionPlan
        fields = ("title", "region", "period_start", "period_end")
        widgets = {"period_start": DateInput(), "period_end": DateInput()}  # noqa: RUF012


class VisitForm(forms.Form):
    plan = forms.ModelChoiceField(label=_("Plan"), queryset=InspectionPlan.objects.none(), required=False)
    scheduled_on = forms.DateField(label=_("Date"), widget=DateInput())
    inspectors = forms.ModelMultipleChoiceField(
        label=_("Inspectors"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    joint_bodies = forms.MultipleChoiceField(
        label=_("Joint visit with"), choices=JOINT_BODIES, required=False, widget=forms.CheckboxSelectMultiple
    )
    announced = forms.BooleanField(label=_("Announced in advance"), required=False)

    def __init__(self, *args: Any, plans: Any, inspectors: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = plans
        self.fields["inspectors"].queryset = inspectors


class ObservationsForm(forms.Form):
    """One checkbox per observation of the checklist."""

    def __init__(self, *args: Any, seen: set[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key in questionnaire().observations:
            obs = OBSERVATIONS[key]
            self.fields[key] = forms.BooleanField(
                label=OBSERVATION_LABELS.get(key, obs.label), required=False, initial=key in (seen or set())
            )


def _questions(ruleset: str | None, ids: list[str]) -> list[tuple[str, str]]:
    """The questions ``ids`` of a rule set in the user's language (``vigil.rules.i18n``)."""
    from django.utils import translation

    from vigil.rules import i18n as rule_i18n

    if not ruleset:
        return []
    rs = rule_i18n.translate(load_ruleset(ruleset), translation.get_language())
    by_id = {i.id: i for i in rs.indicators}
    return [(i, by_id[i].question or by_id[i].label) for i in ids]


class InterviewForm(forms.Form):
    held_in_private = forms.BooleanField(
        label=_("Held in private: no employer, supervisor or recruiter present or listening"), required=False
    )
    language = forms.CharField(
        label=_("Language of the interview (BCP 47, e.g. am, ne, fr)"), max_length=35, required=False
    )
    interpreter = forms.BooleanField(label=_("With an interpreter"), required=False)
    age = forms.DecimalField(
        label=_("Age"),
        min_value=5,
        max_value=110,
        decimal_places=0,
        required=False,
        help_text=_("Needed for the full interview and the child-labour rules."),
    )
    worker_name = forms.CharField(label=_("Name or alias (encrypted)"), max_length=200, required=False)
    worker_contact = forms.CharField(label=_("Safe contact (encrypted)"), max_length=200, required=False)
    notes = forms.CharField(
        label=_("Notes (encrypted)"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        q = questionnaire()
        # the interview's fields, in the definition's order (a field it does not list is not asked)
        declared = self.fields
        self.fields = {k: declared[k] for k in q.fields}  # type: ignore[assignment]
        self.checklist = []
        self.further = []
        for ind, question in _questions(q.checklist, q.indicator_ids(q.checklist)):
            self.fields[f"q_{ind}"] = forms.ChoiceField(label=question, choices=YES_NO, required=False)
            self.checklist.append(f"q_{ind}")
        for ind, question in _questions(q.further, q.indicator_ids(q.further)):
            self.fields[f"q_{ind}"] = forms.ChoiceField(label=question, choices=YES_NO, required=False)
            self.further.append(f"q_{ind}")

    def answers(self) -> dict[str, bool]:
        out = {}
        for name, value in self.cleaned_data.items():
            if name.startswith("q_") and value in ("yes", "no"):
                out[name[2:]] = value == "yes"
        return out

    def interview_fields(self) -> list[Any]:
        """The fields about the interview and the worker, in the definition's order."""
        return [self[n] for n in self.fields if not n.startswith("q_")]

    def checklist_fields(self) -> list[Any]:
        return [self[n] for n in self.checklist]

    def further_fields(self) -> list[Any]:
        return [self[n] for n in self.further]


class ViolationForm(forms.Form):
    category = forms.ChoiceField(label=_("Labour-law area"), choices=[(c, c) for c in VIOLATION_CATEGORIES])
    description = forms.CharField(
        label=_("What was found (no worker's name)"), max_length=2000, required=False
    )


class ActionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Action"), choices=EnforcementAction.Kind.choices)
    description = forms.CharField(label=_("What is required (no worker's name)"), max_length=2000)
    deadline = forms.DateField(label=_("Deadline"), required=False, widget=DateInput())
    amount = forms.DecimalField(
        label=_("Amount (fines)"), min_value=0, max_value=10**9, decimal_places=2, required=False
    )
    currency = forms.CharField(label=_("Currency (ISO 4217)"), max_length=3, required=False)


class FollowUpForm(forms.Form):
    scheduled_on = forms.DateField(label=_("Follow-up visit on"), widget=DateInput())


class VerifyForm(forms.Form):
    action = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(
        label=_("Found at this visit"),
        choices=[("complied", _("Complied")), ("not_complied", _("Not complied"))],
    )


class ReferForm(forms.Form):
    provider = forms.ModelChoiceField(label=_("Service"), queryset=None)
    consent_given = forms.BooleanField(
        label=_("The worker consents to be referred (asked in private, in their language)"), required=False
    )
    consent_method = forms.ChoiceField(
        label=_("How"),
        choices=[("verbal", _("Verbal")), ("written", _("Written")), ("guardian", _("Guardian assent"))],
    )
    reason = forms.CharField(label=_("Reason for referral (no name)"), max_length=500, required=False)

    def __init__(self, *args: Any, providers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = providers
