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
    visit = services.add_visit(
        lead, wp, scheduled_on=TODAY - timedelta(days=40), inspectors=[users["inspector"]]
    )
    finding = services.add_violation(visit, lead, category="wages", description="no payslips")
    visit = services.complete_visit(visit, lead, carried_out_on=TODAY - timedelta(days=40))
    action = services.add_action(
        visit,
        lead,
        kind="notice",
        description="pay the wages due",
        finding=finding,
        deadline=TODAY - timedelta(days=10),
    )
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
    whole = services.add_action(
        action.visit, lead, kind="fine", description="fine", amount=100, currency="eur"
    )
    services.verify_action(whole, follow, lead, status=EnforcementAction.Status.COMPLIED)
    assert findings_points(wp)[0] == pytest.approx(before * planning.load_weights().remediated_factor)


def supply_component(wp: Workplace):
    line = services.worklist(Workplace.objects.filter(pk=wp.pk))[0]
    return next(c for c in line.components if c.name == "supply_chain")


def test_supply_chain_exposure_comes_from_a_matching_supplier(orgs):
    from vigil.server.supply import services as supply
    from vigil.server.supply.models import Entity, Link

    org = orgs["b"]
    mill = Entity.objects.create(
        organisation=org,
        ref="REG-77",
        kind="supplier",
        name="Sunrise Spinning Mill",
        country="IND",
        prior=0.9,
    )
    brand = Entity.objects.create(
        organisation=org, ref="B1", kind="company", name="Brand", country="FRA", prior=0.1
    )
    Link.objects.create(organisation=org, supplier=mill, buyer=brand, share=1.0)
    by_reg = Workplace.objects.create(
        organisation=orgs["a"],
        name="Other name",
        registration_number="reg-77",
        sector="13",
        supply_exposure=0.1,
    )
    by_name = Workplace.objects.create(organisation=orgs["a"], name="SUNRISE SPINNING MILL", sector="13")
    none = Workplace.objects.create(
        organisation=orgs["a"], name="Harbour Fish Ltd", sector="03", supply_exposure=0.2
    )
    risk = supply.chain_risk(org).risks[str(mill.pk)].risk
    w = planning.load_weights()
    assert w.supply_measure == "risk"
    c = supply_component(by_reg)
    assert c.points == pytest.approx(risk * w.supply_points)
    assert "Sunrise Spinning Mill" in c.reason and "registration number" in c.reason
    c = supply_component(by_name)
    assert c.points == pytest.approx(risk * w.supply_points) and "matched by name" in c.reason
    # no match: the register's own exposure, as before
    c = supply_component(none)
    assert c.points == pytest.approx(0.2 * w.supply_points) and c.reason == "supply-chain exposure 0.20"
    # the worklist line's reason carries it when it is among the heaviest
    line = services.worklist(Workplace.objects.filter(pk=by_reg.pk))[0]
    assert "Sunrise Spinning Mill" in line.reason
