"""A person's complete record for a data-subject access request: identity (decrypted), cases,
migration stages, consents, screenings with their determinations, referrals, follow-ups, the
labour-inspection interviews that opened a case for the person (``inspections.Interview.case``:
the worker was referred with consent; an interview never referred names no person of the case
register and is not matched by name) and the person's own requests. JSON for machines, a
readable text in the person's language (else English).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from vigil.server.cases.models import Case, Consent, MigrationStage, Person, Screening
from vigil.server.followups.models import FollowUp
from vigil.server.inspections.models import Interview
from vigil.server.referrals.models import Referral

PERSON_FIELDS = (*Person.PROFILE_FIELDS, "created_at")
CASE_FIELDS = (
    "reference",
    "status",
    "trafficking_status",
    "exploitation_types",
    "sector",
    "opened_on",
    "closed_on",
    "closure_reason",
    "legal_hold",
    "legal_hold_reason",
    "anonymised_at",
)
STAGE_FIELDS = (
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
CONSENT_FIELDS = ("purpose", "given", "given_on", "method", "withdrawn_on")
SCREENING_FIELDS = ("ruleset", "ruleset_version", "age", "created_at", "answers", "outcome", "determination")
REFERRAL_FIELDS = (
    "provider",
    "status",
    "reason",
    "shared_fields",
    "created_at",
    "decided_at",
    "decline_reason",
    "completed_at",
)
FOLLOWUP_FIELDS = ("kind", "due_on", "done_on", "outcome", "removal_verified", "retrafficking_risk", "notes")
INTERVIEW_FIELDS = (
    "created_at",
    "held_in_private",
    "language",
    "interpreter",
    "age",
    *Interview.IDENTITY_FIELDS,
    "answers",
    "category",
    "fired",
    "ruleset",
    "ruleset_version",
)

# (section name in the JSON and the field list, model, fields, related name on Case)
CHILDREN: tuple[tuple[str, type[models.Model], tuple[str, ...], str], ...] = (
    ("migration_stages", MigrationStage, STAGE_FIELDS, "stages"),
    ("consents", Consent, CONSENT_FIELDS, "consents"),
    ("screenings", Screening, SCREENING_FIELDS, "screenings"),
    ("referrals", Referral, REFERRAL_FIELDS, "referrals"),
    ("follow_ups", FollowUp, FOLLOWUP_FIELDS, "followups"),
    ("inspection_interviews", Interview, INTERVIEW_FIELDS, "inspection_interviews"),
)
REQUEST_FIELDS = ("kind", "received_on", "channel", "status", "due_on", "completed_on")


def field_list() -> list[str]:
    """Every field the record holds, ``section.field``: what the audit entry names."""
    out = [f"person.{f}" for f in PERSON_FIELDS] + [f"case.{f}" for f in CASE_FIELDS]
    for section, _model, fields, _rel in CHILDREN:
        out += [f"{section}.{f}" for f in fields]
    out += [f"subject_requests.{f}" for f in REQUEST_FIELDS]
    return out


def language_for(person: Person) -> str:
    """The person's primary language if the server speaks it, else English."""
    wanted = (person.primary_language or "").strip().lower().replace("_", "-")
    available = {code for code, _name in settings.LANGUAGES}
    for candidate in (wanted, wanted.split("-")[0]):
        if candidate in available:
            return candidate
    return "en"


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return str(getattr(value, "name", value.pk))
    return value


def _row(obj: models.Model, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: _plain(getattr(obj, name)) for name in fields}


_LABELS = {
    "created_at": lambda: _("recorded on"),
    "decided_at": lambda: _("decided on"),
    "completed_at": lambda: _("completed on"),
    "determination": lambda: _("indicators found"),
    "fired": lambda: _("indicators found"),
    "answers": lambda: _("answers"),
    "provider": lambda: _("service"),
}


def _label(model: type[models.Model], name: str) -> str:
    if name in _LABELS:
        return str(_LABELS[name]())
    return str(model._meta.get_field(name).verbose_name)


def _shown(obj: models.Model, name: str) -> str:
    value = getattr(obj, name)
    field = obj._meta.get_field(name)
    if value in (None, "", [], {}):
        return "—"
    if getattr(field, "choices", None):
        return str(getattr(obj, f"get_{name}_display")())
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if name == "determination":
        return ", ".join(value.get("fired", [])) or "—"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_('yes') if v else _('no')}" for k, v in sorted(value.items()))
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, models.Model):
        return str(getattr(value, "name", value.pk))
    return str(value)


def _block(obj: models.Model, fields: tuple[str, ...], indent: str = "") -> list[str]:
    return [f"{indent}{_label(type(obj), f).capitalize()}: {_shown(obj, f)}" for f in fields]


def build(person: Person, cases: list[Case], requests: list[Any], organisation: str) -> dict[str, Any]:
    """The record as plain data (the JSON file). ``cases`` come with their children prefetched."""
    out: dict[str, Any] = {
        "produced_on": timezone.localdate().isoformat(),
        "organisation": organisation,
        "person": {"id": person.pk, **_row(person, PERSON_FIELDS)},
        "cases": [],
        "subject_requests": [_row(r, REQUEST_FIELDS) for r in requests],
    }
    for case in cases:
        row = _row(case, CASE_FIELDS)
        for section, _model, fields, rel in CHILDREN:
            row[section] = [_row(child, fields) for child in getattr(case, rel).all()]
        out["cases"].append(row)
    return out


def render_text(person: Person, cases: list[Case], requests: list[Any], organisation: str) -> str:
    """The same record, readable, in the active language."""
    titles = {
        "migration_stages": _("Migration stages"),
        "consents": _("Consents"),
        "screenings": _("Screenings"),
        "referrals": _("Referrals"),
        "follow_ups": _("Follow-ups"),
        "inspection_interviews": _("Labour inspection interviews"),
    }
    lines = [
        _("The record held about you by %(org)s") % {"org": organisation},
        _("Produced on %(date)s") % {"date": timezone.localdate().isoformat()},
        "",
        "== " + _("Identity") + " ==",
        *_block(person, PERSON_FIELDS),
    ]
    for case in cases:
        lines += ["", "== " + _("Case %(ref)s") % {"ref": case.reference} + " ==", *_block(case, CASE_FIELDS)]
        for section, _model, fields, rel in CHILDREN:
            children = list(getattr(case, rel).all())
            lines += ["", "-- " + str(titles[section]) + f" ({len(children)}) --"]
            for i, child in enumerate(children, 1):
                lines += [f"  {i}.", *_block(child, fields, "     ")]
    lines += ["", "== " + _("Your requests") + " =="]
    for i, r in enumerate(requests, 1):
        lines += [f"  {i}.", *_block(r, REQUEST_FIELDS, "     ")]
    return "\n".join(lines) + "\n"


def readme(organisation: str) -> str:
    return (
        "\n".join(
            [
                _("A copy of the personal data held about you by %(org)s.") % {"org": organisation},
                "",
                _("record.txt: the record, to read."),
                _("record.json: the same record, for a computer (JSON)."),
                "",
                _(
                    "It contains your identity and your story: keep it safe, and delete it from any "
                    "shared computer once it has been handed over."
                ),
            ]
        )
        + "\n"
    )


def members(person: Person, cases: list[Case], requests: list[Any], organisation: str) -> tuple[dict, str]:
    """The zip's files and the language of the readable ones."""
    lang = language_for(person)
    data = build(person, cases, requests, organisation)
    with translation.override(lang):
        files = {
            "README.txt": readme(organisation),
            "record.txt": render_text(person, cases, requests, organisation),
            "record.json": json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n",
        }
    return files, lang
