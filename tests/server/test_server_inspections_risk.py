"""The employer risk of the worklist: it moves with remediation (actions complied with, verified
at a follow-up), with supply-chain exposure found through the supply register, and the fast
path (the findings summary) gives what the reference path (every finding) gives."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import numpy as np
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


# --- the fast path: stored findings totals give what every finding gives -------------------------


def same_plan(qs, as_of=None, weights=None):
    """The fast and the reference plans of ``qs``: same workplaces, scores (1e-9), components
    and reasons, the same ranking (ties within rounding aside)."""
    day = as_of or TODAY
    fast, pks_f = services.rank_plan(qs, as_of=day, weights=weights)
    ref, pks_r = services.rank_plan(qs, as_of=day, weights=weights, fast=False)
    assert pks_f == pks_r
    assert fast.scores == pytest.approx(ref.scores, abs=1e-9)
    for i in range(len(pks_f)):
        a, b = fast.components(i), ref.components(i)
        assert [c.reason for c in a] == [c.reason for c in b]
        assert [c.points for c in a] == pytest.approx([c.points for c in b], abs=1e-9)
    assert ref.scores[fast.order] == pytest.approx(ref.scores[ref.order], abs=1e-9)
    return fast, ref


def test_the_totals_follow_every_write_and_give_the_reference_plan(inspected, orgs, users):
    from vigil.server.inspections.models import FindingTotals

    wp, action, follow, lead = inspected
    qs = Workplace.objects.all()
    Workplace.objects.create(organisation=orgs["a"], name="Never Visited", sector="A")
    assert FindingTotals.objects.filter(workplace=wp).get().n_violation == 1
    fast, _r = same_plan(qs)
    # the totals were read: a stale row changes the fast plan (so the comparison can fail)
    FindingTotals.objects.filter(workplace=wp).update(s_violation=0.0)
    stale, _p = services.rank_plan(qs, as_of=TODAY)
    assert stale.scores.sum() < fast.scores.sum()
    services.refresh_totals([wp.pk])
    same_plan(qs)
    services.verify_action(action, follow, lead, status=EnforcementAction.Status.COMPLIED)
    assert FindingTotals.objects.get(workplace=wp).n_remediated == 1
    same_plan(qs)
    # the follow-up finds more: indicators from an interview, then completion
    services.record_interview(follow, users["inspector"], held_in_private=True, answers={"ILO11.07": True})
    services.add_violation(follow, lead, category="hours")
    services.complete_visit(follow, lead, carried_out_on=TODAY)
    same_plan(qs)
    assert FindingTotals.objects.get(workplace=wp).n_indicator >= 1
    # a plan dated before a finding, or another half-life: the reference path serves
    same_plan(qs, as_of=TODAY - timedelta(days=20))
    pk_arr = np.array(sorted(qs.values_list("pk", flat=True)))
    assert services.plan_totals(qs, pk_arr, planning.load_weights(), TODAY - timedelta(days=20)) is None
    assert services.plan_totals(qs, pk_arr, planning.load_weights(), TODAY) is not None
    w = planning.load_weights()
    other = dataclasses.replace(w, half_life_days=365.0)
    same_plan(qs, weights=other)
    # a bulk load: rebuild_totals puts them right
    FindingTotals.objects.all().delete()
    assert services.rebuild_totals() == 1
    same_plan(qs)


def test_the_demo_plan_is_the_same_both_ways(settings):
    from vigil.server.cases.demo import load_demo

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    load_demo(n_cases=5)
    fast, ref = same_plan(Workplace.objects.all())
    assert len(fast) == 6 and ref.kind_counts.sum() > 0
