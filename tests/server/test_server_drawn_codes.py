"""The shared draw-insert-redraw of random codes (case and breach references, complaint receipts)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError

from vigil.server.drawn_codes import save_with_drawn_code
from vigil.server.recruitment.models import Agency, Complaint

pytestmark = pytest.mark.django_db


def _complaint() -> Complaint:
    agency, _ = Agency.objects.get_or_create(
        legal_name="Demo Agency", registration_number="R-1", country="NPL"
    )
    return Complaint(agency=agency, description="fee", contact="")


def test_a_code_another_row_holds_is_drawn_again() -> None:
    taken = _complaint()
    taken.save()
    draws = iter([taken.receipt_code, "RC-ZZZZ-ZZZZ-ZZZZ"])
    fresh = _complaint()
    save_with_drawn_code(fresh, "receipt_code", lambda: next(draws), lambda: Complaint.save(fresh))
    assert fresh.pk is not None and fresh.receipt_code == "RC-ZZZZ-ZZZZ-ZZZZ"
    assert Complaint.objects.count() == 2


def test_when_every_draw_clashes_it_stops_and_stores_nothing() -> None:
    taken = _complaint()
    taken.save()
    fresh = _complaint()
    with pytest.raises(IntegrityError, match="receipt_code"):
        save_with_drawn_code(fresh, "receipt_code", lambda: taken.receipt_code, lambda: Complaint.save(fresh))
    assert Complaint.objects.count() == 1
