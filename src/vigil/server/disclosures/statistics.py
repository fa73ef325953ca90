"""The analyst's microdata export, encrypted: the same CSV as ``vigil.server.statistics.microdata``
(cases with statistics consent, HTCDS columns, quasi-identifiers of groups smaller than k suppressed) and a
README, in an AES-256 zip."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from vigil.server import scoping
from vigil.server.audit.log import record
from vigil.server.disclosures import exportfiles
from vigil.server.disclosures.models import ExportFile
from vigil.server.statistics import microdata as exports

CSV_NAME = "vigil-cases-htcds.csv"
README_NAME = "README.txt"


def readme(*, k: int, records: int, suppressed: int, purpose: str, created: str) -> str:
    lines = [
        _("Vigil: case microdata for statistics (HTCDS columns)"),
        "",
        _("Created: %(date)s") % {"date": created},
        _("Purpose declared: %(purpose)s") % {"purpose": purpose},
        _("Records: %(n)s") % {"n": records},
        _("Smallest group published (k): %(k)s") % {"k": k},
        _("Records whose quasi-identifiers were suppressed: %(n)s") % {"n": suppressed},
        "",
        _("File %(name)s, one row per case, columns:") % {"name": CSV_NAME},
        *(f"  {column}" for column in exports.COLUMNS),
        "",
        _(
            "Only cases whose statistics consent is in force. No identity field, no organisation, "
            "no case reference. Where a combination of %(qi)s is shared by fewer than k records, "
            "those values read '%(suppressed)s'."
        )
        % {"qi": ", ".join(exports.QUASI_IDENTIFIERS), "suppressed": exports.SUPPRESSED},
        _("Do not try to re-identify anyone; delete this file when the purpose is met."),
    ]
    return "\n".join(lines) + "\n"


def create(user: Any, *, purpose: str, k: int, via: str, request: Any = None) -> exportfiles.IssuedExport:
    """Build, encrypt, store and audit one statistics export (the caller checked the input)."""
    text, n, n_suppressed = exports.microdata_csv(scoping.statistics_cases_for(user), k)
    created = timezone.localdate().isoformat()
    members = {
        README_NAME: readme(k=k, records=n, suppressed=n_suppressed, purpose=purpose, created=created),
        CSV_NAME: text,
    }
    fields = list(exports.COLUMNS)

    def audit(export: ExportFile) -> None:
        record(
            "export",
            user=user,
            object_type="export",
            object_id=export.pk,
            reason=purpose[:500],
            via=via,
            request=request,
            detail={
                "kind": ExportFile.Kind.STATISTICS.value,
                "records": n,
                "suppressed": n_suppressed,
                "k": k,
                "fields": fields,
                "encrypted": True,
                "expires_at": export.expires_at.isoformat(),
            },
        )

    return exportfiles.issue(
        user=user,
        kind=ExportFile.Kind.STATISTICS,
        members=members,
        fields=fields,
        records=n,
        purpose=purpose,
        parameters={"k": k, "suppressed": n_suppressed},
        audit=audit,
    )
