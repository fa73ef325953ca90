"""The visit questionnaire as an XLSForm, worded like the visit page, and its submissions in.

The questions come from ``vigil.inspections.questionnaire`` (one definition for the page and
the form); their wording here is the page's own (this app's catalogue, the rule sets'
translations), so a worker hears the same question on paper, on a tablet and in Kobo.

- ``visit_form(languages)``: the XLSForm (``vigil inspections form``, the "XLSForm" link of the
  worklist page);
- ``import_submissions(visit, user, path)``: a Kobo or ODK Central export of the form into
  interviews of ``visit``, screened as the page screens them; all or nothing; a submission whose
  UUID was imported before is skipped (an import can be run again on a growing export).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from vigil.errors import InputError
from vigil.inspections.questionnaire import (
    VisitQuestionnaire,
    build_visit_form,
    read_visit_submissions,
)
from vigil.server.inspections import forms as page_forms
from vigil.server.inspections import services
from vigil.server.inspections.models import Interview, Visit


def texts(q: VisitQuestionnaire, lang: str) -> dict[str, str]:
    """The page's words in ``lang`` for the form (the same catalogue entries as the page)."""
    with translation.override(lang):
        out = {
            "private_note": _(
                "In private, in the worker's language, away from the employer. Never ask about "
                "migration or residence status: an inspection does not record it."
            ),
            "observations": _("Observations"),
            "interview": _("The interview"),
            "checklist": _("ILO checklist (11 indicators)"),
            "further": _("Going further: the forced-labour questions"),
            "seen": _("seen"),
            "not_seen": _("not seen"),
            "yes": _("yes"),
            "no": _("no"),
        }
        for key in q.observations:
            out[f"obs.{key}"] = str(page_forms.OBSERVATION_LABELS[key])
        for key in q.fields:
            out[f"field.{key}"] = str(page_forms.InterviewForm.base_fields[key].label)
    return out


def visit_form(languages: Sequence[str] = ("en",), q: VisitQuestionnaire | None = None) -> Any:
    """The XLSForm of the visit questionnaire (a ``vigil.forms.Form``)."""
    q = q or page_forms.questionnaire()
    return build_visit_form(q, languages, {lang: texts(q, lang) for lang in languages})


@dataclass(frozen=True)
class Imported:
    read: int
    created: int
    skipped: int
    not_private: int
    observations: int


def import_submissions(visit: Visit, user: Any, path: str | Path, *, via: str = "cli") -> Imported:
    """Every submission of ``path`` as an interview of ``visit`` (screened live), with the
    observations it answers; all or nothing: the first bad cell or refused record stops the
    import with its place and nothing is stored. A submission not held in private is not
    stored (and counted)."""
    q = page_forms.questionnaire()
    subs = read_visit_submissions(q, path)
    name = Path(str(path)).name
    created = skipped = not_private = observed = 0
    with transaction.atomic():
        done = set(
            Interview.objects.filter(submission_uuid__in=[s.uuid for s in subs]).values_list(
                "submission_uuid", flat=True
            )
        )
        seen: set[str] = set()
        for s in subs:
            if s.uuid in done or s.uuid in seen:
                skipped += 1
                continue
            seen.add(s.uuid)
            if not s.held_in_private:
                not_private += 1
                continue
            try:
                for key, present in s.observations.items():
                    services.record_observation(visit, user, kind=key, present=present)
                    observed += 1
                f = s.fields
                itv = services.record_interview(
                    visit,
                    user,
                    held_in_private=True,
                    answers=s.answers,
                    age=f.get("age"),
                    language=str(f.get("language") or "")[:35],
                    interpreter=bool(f.get("interpreter")),
                    worker_name=str(f.get("worker_name") or ""),
                    worker_contact=str(f.get("worker_contact") or ""),
                    notes=str(f.get("notes") or ""),
                    via=via,
                )
            except services.InspectionError as exc:
                raise InputError(exc.message, f"{name}, {s.place}, {exc.field}") from None
            itv.submission_uuid = s.uuid
            itv.save(update_fields=["submission_uuid"])
            created += 1
        services.audit(
            "import", user, visit, via=via, created=created, skipped=skipped, not_private=not_private
        )
    return Imported(len(subs), created, skipped, not_private, observed)
