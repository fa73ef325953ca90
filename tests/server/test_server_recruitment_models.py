"""The agency registry's models: fee reports classified on save, licence status with history,
complaints with a random receipt code and encrypted complainant details."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection

from vigil.server.recruitment import services
from vigil.server.recruitment.models import (
    Agency,
    Complaint,
    FeeReport,
    Licence,
    new_receipt_code,
    normalise_receipt,
)

pytestmark = pytest.mark.django_db


def _agency(name: str = "Sunrise Manpower Pvt Ltd", country: str = "NPL") -> Agency:
    return Agency.objects.create(legal_name=name, registration_number=f"REG-{name[:3]}", country=country)


@pytest.mark.parametrize(
    "purpose, channel, category, breach, debt_lead",
    [
        ("placement fee", "upfront", "RF", True, False),
        ("visa", "loan", "RC7", True, True),
        ("flight ticket", "wage_deduction", "RC6", True, True),
        ("pre-departure training", "upfront", "RC4", True, False),
        ("placement fee", "family", "RF", True, False),
        ("placement fee", "in_kind", "RF", True, False),
    ],
)
def test_fee_report_is_classified_on_save(
    purpose: str, channel: str, category: str, breach: bool, debt_lead: bool
) -> None:
    fee = FeeReport.objects.create(
        agency=_agency(), amount=Decimal("300"), currency="USD", purpose=purpose, channel=channel
    )
    fee.refresh_from_db()
    assert (fee.category, fee.breach, fee.debt_lead) == (category, breach, debt_lead)
    assert fee.ruleset == "fair-recruitment-2019" and fee.ruleset_version
    assert fee.fired == [f"facts.fees_charged={category}"]
    assert category in fee.decided_by


def test_fee_report_with_an_unknown_purpose_is_not_a_breach_but_insufficient() -> None:
    fee = FeeReport.objects.create(agency=_agency(), amount=Decimal("50"), currency="EUR", purpose="misc")
    assert (fee.category, fee.outcome, fee.breach, fee.fired) == ("", "insufficient", False, [])


def test_fee_report_is_reclassified_when_changed() -> None:
    fee = FeeReport.objects.create(
        agency=_agency(), amount=Decimal("0"), currency="EUR", purpose="placement fee"
    )
    assert not fee.breach
    fee.amount = Decimal("10")
    fee.save()
    fee.refresh_from_db()
    assert fee.breach


def test_bad_fee_input_names_the_field_and_stores_nothing() -> None:
    agency = _agency()
    with pytest.raises(ValueError, match="currency"):
        FeeReport.objects.create(agency=agency, amount=Decimal("5"), currency="usd", purpose="visa")
    assert FeeReport.objects.count() == 0


def test_licence_past_its_end_is_expired_and_status_changes_keep_history(users: dict) -> None:
    agency = _agency()
    today = date.today()
    old = Licence.objects.create(
        agency=agency,
        number="L-1",
        issuer="DoFE",
        valid_from=today - timedelta(days=800),
        valid_to=today - timedelta(days=1),
    )
    assert old.effective_status() == "expired" and agency.licence_status() == "expired"
    lic = Licence.objects.create(
        agency=agency, number="L-2", issuer="DoFE", valid_from=today - timedelta(days=10)
    )
    assert Agency.objects.get(pk=agency.pk).licence_status() == "active"
    services.change_licence_status(lic, "suspended", reason="fees charged", user=users["regulator"])
    lic.refresh_from_db()
    assert lic.status == "suspended"
    assert [(h.from_status, h.to_status) for h in lic.history.all()] == [("active", "suspended")]
    with pytest.raises(services.RecruitmentError) as err:
        services.change_licence_status(lic, "revoked", reason=" ", user=users["regulator"])
    assert err.value.field == "reason"
    assert lic.history.count() == 1
    assert Agency.objects.get(pk=agency.pk).licence_status() == "suspended"


def test_never_licensed_agency_has_status_none() -> None:
    assert _agency().licence_status() == "none"


def test_receipt_codes_are_random_unique_and_typed_forgivingly() -> None:
    codes = {new_receipt_code() for _ in range(500)}
    assert len(codes) == 500
    c = Complaint.objects.create(agency=_agency(), description="Charged 900 USD", contact="+977 98 0000 1111")
    assert c.receipt_code.startswith("RC-") and len(c.receipt_code) == 17
    typed = c.receipt_code.lower().replace("-", " ")
    assert normalise_receipt(typed) == c.receipt_code
    assert services.complaint_by_receipt(typed) == c
    assert services.complaint_by_receipt("RC-AAAA-AAAA-AAAA") is None
    assert services.complaint_by_receipt("nonsense") is None


def test_complainant_contact_and_narrative_are_encrypted_at_rest() -> None:
    c = Complaint.objects.create(
        agency=_agency(), description="Passport kept by Ram", contact="ram@example.org"
    )
    with connection.cursor() as cur:
        cur.execute("SELECT description, contact FROM recruitment_complaint WHERE id = %s", [c.pk])
        description, contact = cur.fetchone()
    assert "Ram" not in description and "example.org" not in contact
    assert Complaint.objects.get(pk=c.pk).contact == "ram@example.org"
