"""Storing an uploaded Kobo or ODK Central export: read and screen it with ``vigil.forms`` (the
same core as ``vigil forms import``), then store, in one transaction, one field screening per
consented person, each linked to the case given or to a new intake (a person and a case).

All or nothing per file: a file the reader refuses stores nothing and the error names its row
and column; a submission already stored for the organisation (same UUID) is counted and skipped,
so a second upload of the same export adds nothing.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from vigil.errors import VigilError
from vigil.forms.export import form_id
from vigil.forms.submissions import load_submissions, read_form
from vigil.forms.versions import edit_order
from vigil.server.audit.log import record as audit
from vigil.server.cases.models import Case, Person
from vigil.server.fieldwork.models import FieldScreening, FieldScreeningVersion, FieldUpload

KINDS = (".csv", ".xlsx", ".json", ".zip")
#: the largest export a page upload takes (the API's own body limit is smaller: settings)
MAX_FILE = 20 * 1024 * 1024
MAX_FORM = 5 * 1024 * 1024
#: what a form's identity questions fill in a new intake's person (encrypted fields)
IDENTITY_TO_PERSON = {"person_name": "given_name", "phone": "phone", "document_number": "document_number"}


class FieldworkError(Exception):
    """A file refused; ``field`` is the upload field it is about (form, submissions, case)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass
class Result:
    upload: FieldUpload
    screenings: list[FieldScreening] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _safe_name(name: str, default: str) -> str:
    """The uploaded file's own name (errors name it), reduced to a harmless file name."""
    base = Path(name or default).name
    stem = re.sub(r"[^\w.\-]+", "_", base)[-120:].lstrip(".")
    return stem or default


def _read(upload: Any, limit: int, what: str) -> bytes:
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise FieldworkError(what, _("The file is larger than %(mb)s MB.") % {"mb": limit // (1024 * 1024)})
    data: bytes = upload.read(limit + 1)
    if len(data) > limit:
        raise FieldworkError(what, _("The file is larger than %(mb)s MB.") % {"mb": limit // (1024 * 1024)})
    if not data:
        raise FieldworkError(what, _("The file is empty."))
    return data


def store_upload(
    user: Any, form_file: Any, submissions_file: Any, case: Case | None = None, via: str = "web"
) -> Result:
    """Screen ``submissions_file`` (collected with the XLSForm ``form_file``) and store it for
    ``user``'s organisation; ``case``: attach every screening to it instead of opening intakes."""
    if user.organisation_id is None:
        raise FieldworkError("submissions", _("Your account belongs to no organisation."))
    name = _safe_name(getattr(submissions_file, "name", ""), "submissions.csv")
    suffix = Path(name).suffix.lower()
    if suffix not in KINDS:
        raise FieldworkError(
            "submissions", _("Expected a Kobo or ODK Central export: .csv, .xlsx, .json or .zip.")
        )
    form_data = _read(form_file, MAX_FORM, "form")
    data = _read(submissions_file, MAX_FILE, "submissions")
    warnings: list[str] = []
    with tempfile.TemporaryDirectory(prefix="vigil-fieldwork-") as tmp:
        form_path = Path(tmp) / "form" / _safe_name(getattr(form_file, "name", ""), "form.xlsx")
        form_path.parent.mkdir()
        form_path.write_bytes(form_data)
        path = Path(tmp) / name
        path.write_bytes(data)
        try:
            spec = read_form(form_path)
        except VigilError as exc:
            raise FieldworkError("form", str(exc)) from None
        try:
            loaded = load_submissions(spec, path, warnings.append, keep=True)
            dets = [d.to_dict() for d in loaded.determinations(why=True)]
        except VigilError as exc:
            raise FieldworkError("submissions", str(exc)) from None
    rs = spec.ruleset
    try:
        with transaction.atomic():
            upload = FieldUpload.objects.create(
                organisation_id=user.organisation_id,
                uploaded_by=user,
                kind=suffix[1:],
                sha256=hashlib.sha256(data).hexdigest(),
                ruleset=rs.id,
                ruleset_version=rs.version,
                form_id=form_id(rs)[:200],
                submissions=loaded.read,
                duplicates=loaded.duplicates,
                without_consent=loaded.without_consent,
            )
            result = Result(upload, warnings=warnings)
            rows = []
            for (rec, uuid, _place, identity), det in zip(loaded.records, dets, strict=True):
                instance, deprecated = loaded.versions.get(uuid, (uuid, None))
                suffix = rec["id"][len(uuid) :]  # "" or "/workers[2]": one person of a repeat form
                rows.append(
                    (rec, identity, det, instance + suffix, deprecated + suffix if deprecated else None)
                )
            wanted = {r[0]["id"] for r in rows} | {r[3] for r in rows} | {r[4] for r in rows if r[4]}
            org = user.organisation_id
            by_submission = {
                fs.submission_id: fs
                for fs in FieldScreening.objects.filter(organisation_id=org, submission_id__in=wanted)
            }
            by_version = {
                v.instance_id: v.screening
                for v in FieldScreeningVersion.objects.filter(
                    organisation_id=org, instance_id__in=wanted
                ).select_related("screening")
            }
            # within the file, a version before its edits (A -> B -> C in any row order)
            order = edit_order([(r[3], r[4]) for r in rows])
            for rec, identity, det, version, deprecated in (rows[n] for n in order):
                rid = rec["id"]
                if version in by_version or version in by_submission:
                    upload.already_stored += 1  # this very version is stored (or was replaced)
                    continue
                earlier = None
                if deprecated is not None:
                    earlier = (
                        by_version.get(deprecated) or by_submission.get(deprecated) or by_submission.get(rid)
                    )
                elif rid in by_submission:
                    upload.already_stored += 1
                    continue
                answers = {k: v for k, v in rec.items() if k != "id"}
                if earlier is not None:
                    fs = _replace(user, upload, earlier, answers, det, version, deprecated, via)
                    upload.replaced += 1
                else:
                    target = case if case is not None else _intake(user, identity, via)
                    if case is None:
                        upload.new_cases += 1
                    fs = FieldScreening.objects.create(
                        organisation_id=org,
                        upload=upload,
                        case=target,
                        submission_id=rid,
                        ruleset=rs.id,
                        ruleset_version=rs.version,
                        answers=answers,
                        determination=det,
                        outcome=str(det.get("outcome", "")),
                    )
                    audit(
                        "create",
                        user=user,
                        obj=fs,
                        via=via,
                        detail={
                            "case": target.pk,
                            "upload": upload.pk,
                            "outcome": fs.outcome,
                            **({"replaces_version": deprecated} if deprecated else {}),
                        },
                    )
                    by_submission[rid] = fs
                    # an edit whose earlier version was never stored: that version, arriving
                    # later in an older export, is already replaced
                    for vid in dict.fromkeys(v for v in (rid, version, deprecated) if v):
                        FieldScreeningVersion.objects.create(
                            organisation_id=org, screening=fs, instance_id=vid
                        )
                        by_version[vid] = fs
                if earlier is not None:
                    by_version[version] = fs
                result.screenings.append(fs)
            upload.stored = len(result.screenings)
            upload.save(update_fields=["already_stored", "new_cases", "stored", "replaced"])
            audit(
                "create",
                user=user,
                obj=upload,
                via=via,
                detail={
                    "stored": upload.stored,
                    "already_stored": upload.already_stored,
                    "new_cases": upload.new_cases,
                    "replaced": upload.replaced,
                    "ruleset": rs.id,
                },
            )
    except IntegrityError:  # the same submissions stored by another upload at this very moment
        raise FieldworkError(
            "submissions",
            _(
                "The same submissions are being stored by another upload; "
                "send the file again: what is stored already is skipped."
            ),
        ) from None
    return result


def _replace(
    user: Any,
    upload: FieldUpload,
    fs: FieldScreening,
    answers: dict[str, Any],
    det: dict[str, Any],
    version: str,
    deprecated: str,
    via: str,
) -> FieldScreening:
    """An edited submission: its answers and determination replace those of the stored earlier
    version, in place (one screening, on the same case); both versions are kept as ids, and
    the change is audited with both outcomes (never the answers)."""
    before = fs.outcome
    if not fs.versions.filter(instance_id=fs.submission_id).exists():  # stored before versions were kept
        FieldScreeningVersion.objects.get_or_create(
            organisation_id=fs.organisation_id, instance_id=fs.submission_id, defaults={"screening": fs}
        )
    fs.upload = upload
    fs.ruleset = upload.ruleset
    fs.ruleset_version = upload.ruleset_version
    fs.answers = answers
    fs.determination = det
    fs.outcome = str(det.get("outcome", ""))
    fs.save(update_fields=["upload", "ruleset", "ruleset_version", "answers", "determination", "outcome"])
    FieldScreeningVersion.objects.create(
        organisation_id=fs.organisation_id, screening=fs, instance_id=version
    )
    audit(
        "update",
        user=user,
        obj=fs,
        via=via,
        detail={
            "change": "edited submission replaces the earlier version",
            "upload": upload.pk,
            "version": version,
            "replaces_version": deprecated,
            "outcome_before": before,
            "outcome": fs.outcome,
        },
    )
    return fs


def _intake(user: Any, identity: dict[str, str], via: str) -> Case:
    """A new person and case for one person interviewed: the identity collected with the form
    (encrypted), the uploader as owner."""
    person = Person(organisation_id=user.organisation_id, created_by=user)
    for question, attr in IDENTITY_TO_PERSON.items():
        value = identity.get(question, "")[:500]
        if value:
            setattr(person, attr, value)
    person.save()
    audit(
        "create",
        user=user,
        obj=person,
        via=via,
        detail={"fields": sorted(IDENTITY_TO_PERSON[q] for q in identity if q in IDENTITY_TO_PERSON)},
    )
    case = Case(person=person, organisation_id=user.organisation_id, owner=user)
    case.save()
    audit("create", user=user, obj=case, via=via, detail={"fields": []})
    return case
