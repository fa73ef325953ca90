"""Keep identity values out of the short free-text fields that are stored in plain text.

Reasons (for closing a case, a legal hold, a referral, declining or revoking it, an emergency
access), notes of data-subject requests and the place of a migration stage are not encrypted: they
must say *why* and *where*, never *who*.
``identity_in`` finds the person's own identity values in such a text: a given or family name as a
whole word (3 letters or more), the document number (letters and digits, whatever the separators)
or the phone number (6 digits or more, whatever the formatting). It cannot find other people's
names; the forms say so.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext_lazy as _

MESSAGE = _(
    "Do not write the person's name, document or phone number here: this field is not encrypted. "
    "Say why, not who."
)


def _alnum(value: str) -> str:
    return re.sub(r"[\W_]+", "", value.casefold())


def _digits(value: str) -> str:
    return re.sub(r"\D+", "", value)


def identity_in(person: Any, text: str | None) -> str | None:
    """The name of the first identity field of ``person`` whose value appears in ``text``."""
    if not text or person is None:
        return None
    folded = text.casefold()
    for name in ("given_name", "family_name"):
        value = (getattr(person, name, "") or "").strip().casefold()
        if len(value) >= 3 and re.search(rf"(?<!\w){re.escape(value)}(?!\w)", folded):
            return name
    document = _alnum(getattr(person, "document_number", "") or "")
    if len(document) >= 4 and document in _alnum(text):
        return "document_number"
    phone = _digits(getattr(person, "phone", "") or "")[-8:]  # with or without the country code
    if len(phone) >= 6 and phone in _digits(text):
        return "phone"
    return None


# Every free-text column of the server that is *not* encrypted, and why that is safe. A new plain
# text column must be added here with its decision (a test fails otherwise); identity data goes
# into an ``EncryptedTextField`` instead.
GUARDED = "refuses the person's own identity values (identity_in), API and pages"
CODE = "a code, hash, identifier or number chosen from a list; never free text about a person"
STAFF = "about staff accounts or organisations, not about the people Vigil protects"
NO_PERSON = "not about one person (help text asks for no identity data); reviewed by supervisors"
WORKERS_GUARDED = "refuses the names and contacts of the workers interviewed at the workplace"
SUPPLY = "a company's own supply-chain record about businesses (suppliers, facilities, recruiters)"
GUIDE = "public safe-migration information, reviewed before publication; about no person"
REGISTRY = "a public registry entry about a recruitment agency (a business), shown on public pages"
PLAIN_TEXT_FIELDS: dict[str, str] = {
    "api.IdempotencyKey.key_hash": CODE,
    "api.IdempotencyKey.path": CODE + " (an API path: ids only, a body is never in it)",
    "api.IdempotencyKey.body_hash": CODE,
    "accounts.Organisation.name": STAFF,
    "accounts.Organisation.country": CODE,
    "accounts.User.password": CODE,
    "accounts.User.username": STAFF,
    "accounts.User.first_name": STAFF,
    "accounts.User.last_name": STAFF,
    "accounts.User.email": STAFF,
    "accounts.ApiToken.key_hash": CODE,
    "audit.AuditEntry.actor_username": STAFF,
    "audit.AuditEntry.action": CODE,
    "audit.AuditEntry.object_type": CODE,
    "audit.AuditEntry.object_id": CODE,
    "audit.AuditEntry.reason": "the X-Vigil-Reason header: withheld when it names the record's person",
    "audit.AuditEntry.via": CODE,
    "audit.AuditSeal.prev_hash": CODE,
    "audit.AuditSeal.hash": CODE,
    "cases.Person.name_index": CODE,
    "cases.Person.document_index": CODE,
    "cases.Person.phone_index": CODE,
    "cases.Person.citizenship": CODE,
    "cases.Person.primary_language": CODE,
    "cases.Case.reference": CODE,
    "cases.Case.closure_reason": GUARDED,
    "cases.Case.legal_hold_reason": GUARDED,
    "cases.MigrationStage.place": GUARDED + "; kept in plain text for the statistics of routes",
    "cases.MigrationStage.country": CODE,
    "cases.MigrationStage.region": CODE,
    "cases.Screening.ruleset": CODE,
    "cases.Screening.ruleset_version": CODE,
    "cases.Screening.outcome": CODE,
    "referrals.ServiceProvider.name": STAFF,
    "referrals.ServiceProvider.area": STAFF,
    "referrals.ServiceProvider.languages": CODE,
    "referrals.DataSharingAgreement.legal_basis": STAFF,
    "referrals.DataSharingAgreement.document_reference": STAFF,
    "referrals.Referral.reason": GUARDED,
    "referrals.Referral.override_reason": GUARDED,
    "referrals.Referral.decline_reason": GUARDED,
    "emergency.EmergencyAccess.reason": GUARDED,
    "emergency.EmergencyAccess.end_reason": GUARDED,
    "breaches.BreachIncident.reference": CODE,
    "breaches.BreachIncident.title": NO_PERSON,
    "breaches.AccountSuspension.reason": STAFF,
    "breaches.AccountSuspension.reactivation_reason": STAFF,
    "disclosures.ExportFile.purpose": NO_PERSON,
    "disclosures.ExportFile.file_name": CODE,
    "disclosures.ExportFile.token_hash": CODE,
    "disclosures.SubjectRequest.refusal_reason": GUARDED,
    "disclosures.SubjectRequest.outcome_note": GUARDED,
    "jobs.JobRun.name": CODE,
    "jobs.JobRun.error_class": CODE,
    "jobs.JobRun.error_message": "an exception message of a scheduled job (jobs handle ids and counts)",
    "jobs.JobRun.host": CODE,
    "jobs.JobLock.name": CODE,
    "recruitment.Agency.legal_name": REGISTRY,
    "recruitment.Agency.registration_number": REGISTRY,
    "recruitment.Agency.country": CODE,
    "recruitment.Licence.number": REGISTRY,
    "recruitment.Licence.issuer": REGISTRY,
    "recruitment.LicenceStatusChange.reason": NO_PERSON,
    "recruitment.Sanction.summary": NO_PERSON,
    "recruitment.Complaint.receipt_code": CODE,
    "recruitment.FeeReport.currency": CODE,
    "recruitment.FeeReport.purpose": NO_PERSON,
    "recruitment.FeeReport.category": CODE,
    "recruitment.FeeReport.outcome": CODE,
    "recruitment.FeeReport.decided_by": "the deciding rule of fair-recruitment-2019 (category codes only)",
    "recruitment.FeeReport.ruleset": CODE,
    "recruitment.FeeReport.ruleset_version": CODE,
    "recruitment.Inspection.inspector": STAFF,
    "recruitment.Inspection.findings": NO_PERSON,
    "recruitment.JobOffer.title": REGISTRY,
    "recruitment.JobOffer.employer": REGISTRY,
    "recruitment.JobOffer.workplace": REGISTRY,
    "recruitment.JobOffer.country": CODE,
    "recruitment.JobOffer.sector": CODE,
    "recruitment.JobOffer.pay_currency": CODE,
    "recruitment.JobOffer.description": "a job offer as an agency publishes it (a public listing, no worker)",
    "recruitment.JobOffer.review_note": NO_PERSON,
    "recruitment.JobOffer.signs_version": CODE,
    "recruitment.JobOffer.fees_ruleset_version": CODE,
    # labour inspections (issue 11): workplaces are businesses; worker-level text is encrypted
    "inspections.Workplace.name": "a business name (a household gets a label, never a person's name)",
    "inspections.Workplace.registration_number": REGISTRY,
    "inspections.Workplace.sector": CODE,
    "inspections.Workplace.region": CODE,
    "inspections.InspectionPlan.title": STAFF,
    "inspections.InspectionPlan.region": CODE,
    "inspections.InspectionPlan.weights_version": CODE,
    "inspections.Visit.planned_reason": "the worklist's reason, generated from the planning components",
    "inspections.Visit.weights_version": CODE,
    "inspections.Visit.outcome": CODE,
    "inspections.Interview.language": CODE,
    "inspections.Interview.category": CODE,
    "inspections.Interview.ruleset": CODE,
    "inspections.Interview.ruleset_version": CODE,
    "inspections.Interview.submission_uuid": "the UUID an ODK or Kobo device gave the submission",
    "inspections.Interview.decided_by": "the deciding clause of a rule set (indicator ids and labels only)",
    "inspections.Finding.indicator": CODE,
    "inspections.Finding.description": WORKERS_GUARDED,
    "inspections.EnforcementAction.description": WORKERS_GUARDED,
    "inspections.EnforcementAction.currency": CODE,
    # field uploads (issue 13): codes and hashes; the answers themselves are encrypted
    "fieldwork.FieldScreening.outcome": CODE,
    "fieldwork.FieldScreening.ruleset": CODE,
    "fieldwork.FieldScreening.ruleset_version": CODE,
    "fieldwork.FieldScreening.submission_id": "the collection tool's submission UUID",
    "fieldwork.FieldScreeningVersion.instance_id": "the collection tool's instance UUID of one version",
    "fieldwork.FieldUpload.form_id": CODE,
    "fieldwork.FieldUpload.kind": CODE,
    "fieldwork.FieldUpload.ruleset": CODE,
    "fieldwork.FieldUpload.ruleset_version": CODE,
    "fieldwork.FieldUpload.sha256": CODE,
    # safe-migration guides (issue 13): public information written by the coordinator
    "safemigration.Guide.channels": GUIDE,
    "safemigration.Guide.contract": GUIDE,
    "safemigration.Guide.country": CODE,
    "safemigration.Guide.country_name": GUIDE,
    "safemigration.Guide.fees": GUIDE,
    "safemigration.Guide.help": GUIDE,
    "safemigration.Guide.rights": GUIDE,
    "safemigration.Guide.summary": GUIDE,
    "safemigration.Guide.warning_signs": GUIDE,
    # the national picture (issue 12): released aggregates and alerts on counts, never a person
    "national.Alert.reason": "a generated sentence about a count (observed, expected, threshold)",
    "national.Alert.series": CODE,
    "national.Alert.unit": "a unit of counting (sector, region, agency, route), not a person",
    "national.Alert.unit_type": CODE,
    "national.Estimate.label": "what an MSE or survey estimate is of (method, lists, statistic, domain)",
    "national.Estimate.note": "the estimate's note (number observed, method note), an aggregate",
    "national.Estimate.source": "the name of the file the estimate came from (written by vigil estimate)",
    "national.Estimate.year": CODE,
    "national.Release.indicator_set": CODE,
    "national.Release.note": STAFF,
    "national.Release.period": CODE,
    "national.Release.set_version": CODE,
    # supply chains (issue 10): businesses, audits and plans of a company, not one worker
    "supply.CorrectivePlan.title": SUPPLY,
    "supply.Entity.address": "a business's registered or facility address, not a person's",
    "supply.Entity.country": CODE,
    "supply.Entity.good": CODE,
    "supply.Entity.licence": CODE,
    "supply.Entity.name": "a business name (a supplier, facility or recruiter)",
    "supply.Entity.ref": CODE,
    "supply.Entity.sector": CODE,
    "supply.Finding.decided_by": "the deciding clause of a rule set (indicator ids and labels only)",
    "supply.Finding.label": "an indicator's label from the rule set",
    "supply.Finding.outcome": CODE,
    "supply.Finding.ruleset": CODE,
    "supply.Finding.version": CODE,
    "supply.MatchCandidate.suggested": CODE,
    "supply.Milestone.owner": STAFF,
    "supply.Milestone.title": SUPPLY,
    "supply.SupplyAudit.auditor": STAFF,
    "supply.SupplyAudit.standard": CODE,
}
