"""The demo registry: a dozen synthetic agencies in two countries with every licence situation,
complaints and fee reports, loaded once; the worklist ranks it with a reason on each line."""

from __future__ import annotations

import pytest

from vigil.server.recruitment import services
from vigil.server.recruitment.demo import load_recruitment_demo
from vigil.server.recruitment.models import Agency, Complaint, FeeReport, JobOffer

pytestmark = pytest.mark.django_db


def test_demo_registry_is_complete_and_loaded_once(users):
    counts = load_recruitment_demo(users["regulator"])
    assert counts["agencies"] == Agency.objects.count() == 12
    assert set(Agency.objects.values_list("country", flat=True)) == {"NPL", "MDA"}
    statuses = {a.licence_status() for a in Agency.objects.all()}
    assert {"active", "suspended", "revoked", "expired", "none"} <= statuses
    assert Complaint.objects.count() == counts["complaints"] > 0
    assert (
        FeeReport.objects.filter(breach=True).exists() and FeeReport.objects.filter(debt_lead=True).exists()
    )
    assert FeeReport.objects.filter(breach=False).exists()
    assert all(a.legal_name.startswith("Demo ") for a in Agency.objects.all())
    assert load_recruitment_demo(users["regulator"]) == {
        "agencies": 0,
        "complaints": 0,
        "fee_reports": 0,
        "offers": 0,
    }
    # verified offers: approved ones listed only while their agency's licence is in force
    listed = list(services.listed_offers())
    assert len(listed) == 4 and all(o.agency.licence_status() == "active" for o in listed)
    assert JobOffer.objects.filter(status="approved", agency__legal_name__contains="Sagarmatha").exists()
    waiting = JobOffer.objects.get(status="submitted")
    assert "pressure" in waiting.signs and waiting.worker_costs[0]["cost"] == "visa"
    lines = services.worklist(Agency.objects.all())
    assert len(lines) == 12 and all(ln.reason for ln in lines)
    top = lines[0].agency.licence_status()
    assert top in {"suspended", "revoked", "none"}, top
