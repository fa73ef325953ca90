"""The supply demo: a garment brand with three tiers, cotton from a TVPRA-listed country, two
recruiters (one unlicensed) resolved against the demo registry, one audit with findings, a
duplicate to review and a corrective plan with an overdue milestone; loaded once."""

from __future__ import annotations

import pytest
from tests.server.conftest import make_user

from vigil.server.accounts.models import Organisation
from vigil.server.recruitment.demo import load_recruitment_demo
from vigil.server.supply import services
from vigil.server.supply.demo import load_supply_demo
from vigil.server.supply.models import Entity, Finding, MatchCandidate, Milestone
from vigil.supply.network import tiers

pytestmark = pytest.mark.django_db


def test_demo_chain_is_complete_explained_and_loaded_once(users):
    load_recruitment_demo(users["regulator"])
    org = Organisation.objects.create(name="Demo Garment Brand SA", kind="ngo", country="FRA")
    officer = make_user("demo_compliance", "compliance", org)
    counts = load_supply_demo(org, officer)
    assert counts["entities"] == Entity.objects.filter(organisation=org).count() == 10
    cr = services.chain_risk(org)
    ids = {e.ref: k for k, e in cr.entities.items()}
    tier = tiers(cr.net)
    assert tier[ids["BRAND"]] == 0 and tier[ids["PEN"]] == 1 and tier[ids["GAZ"]] == 2
    assert tier[ids["AHAL"]] == 3
    # cotton from Turkmenistan: forced labour on the TVPRA list, named in the sources
    assert cr.priors[ids["AHAL"]].value == 0.9
    assert any("Cotton, Turkmenistan" in s for s in cr.priors[ids["AHAL"]].sources)
    # the recruiters resolved against the registry: one licensed, one never licensed
    evr = Entity.objects.get(organisation=org, ref="EVR")
    him = Entity.objects.get(organisation=org, ref="HIM")
    assert evr.agency is not None and evr.agency.licence_status() == "active"
    assert him.agency is not None and him.agency.licence_status() == "none"
    assert any("licence none" in s for s in cr.priors[ids["HIM"]].sources)
    # the audit's findings raised the garment maker's own risk, naming the audit
    assert Finding.objects.filter(audit__entity__ref="PEN", outcome="risk").exists()
    assert Finding.objects.filter(kind="fee", outcome="positive").exists()
    assert any("SMETA 6.1 (demo)" in s for s in cr.priors[ids["PEN"]].sources)
    assert MatchCandidate.objects.filter(organisation=org, a__ref="DHK", b__ref="DHK2").exists()
    assert Milestone.objects.filter(plan__entity__ref="PEN", done_on__isnull=True).count() == 3
    _cr, lines = services.remediation(org)
    assert lines and all(ln.reason and ln.action for ln in lines)
    assert load_supply_demo(org, officer) == {"entities": 0, "audits": 0, "plans": 0}


def test_load_demo_adds_the_compliance_user_with_the_chain():
    from vigil.server.accounts.models import User
    from vigil.server.cases.demo import load_demo

    load_demo()
    officer = User.objects.get(username="compliance")
    assert officer.role == "compliance" and officer.can("supply.manage")
    assert Entity.objects.filter(organisation=officer.organisation).count() == 10
    load_demo()
    assert Entity.objects.filter(organisation=officer.organisation).count() == 10
