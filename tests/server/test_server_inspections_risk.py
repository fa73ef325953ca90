"""The employer risk of the worklist: it moves with remediation (actions complied with, verified
at a follow-up), with supply-chain exposure found through the supply register, and the fast
path (the findings summary) gives what the reference path (every finding) gives."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from vigil.inspections import planning
from vigil.server.inspections import services
from vigil.server.inspections.models import EnforcementAction, Workplace

pytestmark = pytest.mark.django_db
TODAY = date.today()


def findings_points(wp: Workplace) -> tuple[float, str]:
    line = services.worklist(Workplace.objects.filter(pk=wp.pk))[0]
    c = next(c for c in line.components if c.name == "findings")
    return c.points, c.reason


@pytest.fixture
def inspected(orgs, users):
    wp = Workplace.objects.create(organisation=orgs["a"], name="Brick Kiln", sector="2392", region="east")
    lead = users["inspection_lead"]
    visit = services.add_visit(lead, wp, scheduled_on=TODAY - timedelta(days=40), inspectors=[users["inspector"]])
    finding = services.add_violation(visit, lead, category="wages", description="no payslips")
    visit = services.complete_visit(visit, lead, carried_out_on=TODAY - timedelta(days=40))
    action = services.add_action(visit, lead, kind="notice", description="pay the wages due", finding=finding,
                                 deadline=TODAY - timedelta(days=10))
    follow = services.schedule_follow_up(visit, lead, scheduled_on=TODAY - timedelta(days=5))
    return wp, action, follow, lead


def test_an_action_complied_with_lowers_the_employer_risk(inspected):
    wp, action, follow, lead = inspected
    before, reason = findings_points(wp)
    assert before > 0 and "remediated" not in reason
    services.verify_action(action, follow, lead, status=EnforcementAction.Status.COMPLIED)
    after, reason = findings_points(wp)
    w = planning.load_weights()
    assert after == pytest.approx(before * w.remediated_factor)
    assert "1 remediated, verified at follow-up" in reason


def test_an_action_not_complied_with_leaves_it(inspected):
    wp, action, follow, lead = inspected
    before, _r = findings_points(wp)
    services.verify_action(action, follow, lead, status=EnforcementAction.Status.NOT_COMPLIED)
    assert findings_points(wp)[0] == pytest.approx(before)


def test_an_action_on_the_visit_remediates_its_findings(inspected):
    wp, action, follow, lead = inspected
    before, _r = findings_points(wp)
    whole = services.add_action(action.visit, lead, kind="fine", description="fine", amount=100, currency="eur")
    services.verify_action(whole, follow, lead, status=EnforcementAction.Status.COMPLIED)
    assert findings_points(wp)[0] == pytest.approx(before * planning.load_weights().remediated_factor)
