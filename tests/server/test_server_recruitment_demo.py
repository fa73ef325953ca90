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


def test_demo_cases_are_linked_to_demo_agencies(users, cases):
    from vigil.server.recruitment.demo import link_demo_cases
    from vigil.server.recruitment.models import CaseLink

    load_recruitment_demo(users["regulator"])
    for key, status in (("a_caseworker", "PossibleVictimOfTrafficking"), ("b", "ActualVictimOfTrafficking")):
        cases[key].trafficking_status = status
        cases[key].save()
    # the demo's cases have VG- references, as these do
    assert all(c.reference.startswith("VG-") for c in cases.values())
    assert link_demo_cases() == 3 and link_demo_cases() == 0
    assert CaseLink.objects.filter(case__trafficking_status__in=services.TRAFFICKING_STATUSES).count() == 2
    lines = {ln.agency.legal_name: ln for ln in services.worklist(Agency.objects.all())}
    kathmandu = {c.name: c for c in lines["Demo Kathmandu Gulf Recruiters Pvt Ltd"].components}
    assert kathmandu["trafficking_cases"].points > 0
