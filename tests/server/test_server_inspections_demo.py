"""The inspections demo: workplaces in three sectors, a plan, two completed visits (a presumed
victim referred to the shelter with consent; labour-law violations only), a follow-up due."""

from __future__ import annotations

import pytest

from vigil.inspections.planning import isic_section
from vigil.server.cases.demo import USERS, load_demo
from vigil.server.inspections import services
from vigil.server.inspections.models import Interview, Visit, Workplace
from vigil.server.referrals.models import Referral

pytestmark = pytest.mark.django_db


def test_demo_inspections(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    assert ("inspection_lead", "inspection_lead") in {(u, str(r)) for u, r, _o in USERS}
    load_demo(n_cases=20)
    wps = list(Workplace.objects.all())
    assert len({isic_section(w.sector) for w in wps}) == 3
    done = Visit.objects.filter(status="completed")
    assert sorted(v.outcome for v in done) == ["forced_labour", "labour_violations"]
    victim = Interview.objects.get(presumed_victim=True)
    assert victim.case is not None
    ref = Referral.objects.get(case=victim.case)
    assert ref.provider.service_type == "shelter"
    assert victim.case.consents.get().purpose == "referral"
    due = Visit.objects.get(kind="follow_up")
    assert due.status == "planned" and due.follows.outcome == "labour_violations"
    assert done.get(outcome="labour_violations").actions.get().kind == "notice"
    lines = services.worklist(Workplace.objects.all())
    assert len(lines) == 6 and all(ln.reason for ln in lines)
    # loaded once
    load_demo(n_cases=20)
    assert Workplace.objects.count() == 6 and Visit.objects.count() == 4


def test_the_case_demo_still_loads_its_cases(settings):
    from vigil.server.cases.models import Case

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    load_demo(n_cases=20)
    assert Case.objects.filter(reference__startswith="VG-").count() >= 21  # 20 + the referred worker
