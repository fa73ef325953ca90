"""The dashboards' cache of indicator results (``vigil.server.national.cache``): a change of the
source data invalidates it, and roles or scopes never share cells they may not see."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from vigil.server.accounts.models import User
from vigil.server.cases.models import Case, Consent, Screening
from vigil.server.followups.models import FollowUp
from vigil.server.national import cache, services
from vigil.server.referrals.models import Referral

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo() -> dict[str, User]:
    from vigil.server.cases.demo import load_demo

    load_demo()
    return {u.username: u for u in User.objects.all()}


def _grand_total(results: list[Any], indicator: str) -> Any:
    result = next(r for r in results if r.id == indicator)
    return result.tables["total"].numerators[-1][0]


def _computes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the real computations behind ``services.indicators_for``."""
    calls: list[int] = []
    real = services.compute

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "compute", counting)
    return calls


def test_a_second_ask_is_served_from_the_cache(demo, monkeypatch):
    calls = _computes(monkeypatch)
    first = services.indicators_for(demo["supervisor"])
    again = services.indicators_for(demo["supervisor"])
    assert len(calls) == 1
    assert [r.to_dict() for r in again] == [r.to_dict() for r in first]
    services.indicators_for(demo["supervisor"], period="quarter")  # another period: its own entry
    assert len(calls) == 2


def _new_victim_case(supervisor: User) -> Case:
    person_case = Case.objects.filter(organisation=supervisor.organisation).first()
    assert person_case is not None
    return Case.objects.create(
        reference="VG-2099-CACHE001",
        person=person_case.person,
        organisation=supervisor.organisation,
        owner=person_case.owner,
        trafficking_status="PossibleVictimOfTrafficking",
        sector="A",
        opened_on=dt.date.today(),
    )


def test_a_new_case_invalidates_and_the_figures_follow(demo, monkeypatch):
    supervisor = demo["supervisor"]
    before = _grand_total(services.indicators_for(supervisor, k=1), "victims_identified")
    calls = _computes(monkeypatch)
    _new_victim_case(supervisor)
    after = _grand_total(services.indicators_for(supervisor, k=1), "victims_identified")
    assert len(calls) == 1  # recomputed, not served stale
    assert after == before + 1


@pytest.mark.parametrize("source", ["screening", "referral", "followup", "consent", "case edit", "delete"])
def test_each_kind_of_source_change_invalidates(demo, monkeypatch, source):
    supervisor = demo["supervisor"]
    services.indicators_for(supervisor)
    calls = _computes(monkeypatch)
    services.indicators_for(supervisor)
    assert calls == []  # cached
    case = Case.objects.filter(organisation=supervisor.organisation).first()
    assert case is not None
    if source == "screening":
        Screening.objects.create(case=case, ruleset="ilo-ec-2009-adult-labour", ruleset_version="t",
                                 answers={}, determination={}, outcome="positive")
    elif source == "referral":
        referral = Referral.objects.filter(case__organisation=supervisor.organisation).first()
        assert referral is not None
        referral.status = "completed"
        referral.save()
    elif source == "followup":
        FollowUp.objects.create(case=case, kind="check_in", due_on=dt.date.today())
    elif source == "consent":
        Consent.objects.create(case=case, purpose="statistics", given=False, method="verbal",
                               given_on=dt.date.today(), recorded_by=supervisor)
    elif source == "case edit":
        case.sector = "C" if case.sector != "C" else "A"
        case.save()
    else:
        FollowUp.objects.filter(case__organisation=supervisor.organisation).first().delete()  # type: ignore[union-attr]
    services.indicators_for(supervisor)
    assert calls == [1], source


def test_a_change_outside_the_sources_keeps_the_cache(demo, monkeypatch):
    from vigil.server.audit.log import record

    services.indicators_for(demo["coordinator"])
    calls = _computes(monkeypatch)
    record("view", object_type="system", via="cli")  # an audit entry is not a source of figures
    services.indicators_for(demo["coordinator"])
    assert calls == []


def test_roles_and_scopes_never_share_an_entry(demo, monkeypatch):
    """The supervisor's figures (their scope, every case) and the coordinator's (consented cases
    only) are different entries; so are two organisations' supervisors; the same scope twice is one."""
    from tests.server.conftest import make_user

    from vigil.server.accounts.models import Organisation

    supervisor, coordinator, analyst = demo["supervisor"], demo["coordinator"], demo["analyst"]
    other_org = Organisation.objects.exclude(pk=supervisor.organisation_id).first()
    other = make_user("supervisor2", "supervisor", other_org)  # before: a new user invalidates
    keys = {
        name: cache.scope_key(u.role, services.cases_of(u))
        for name, u in (("supervisor", supervisor), ("coordinator", coordinator), ("analyst", analyst))
    }
    assert len(set(keys.values())) == 3
    calls = _computes(monkeypatch)
    sup = services.indicators_for(supervisor, k=1)
    coo = services.indicators_for(coordinator, k=1)
    assert len(calls) == 2  # the coordinator did not get the supervisor's entry
    in_scope = services.cases_of(supervisor)
    consented = services.cases_of(coordinator)
    assert set(in_scope.values_list("pk", flat=True)) != set(consented.values_list("pk", flat=True))
    # each got the figures of their own cases: the cached entry is not the other's
    assert _grand_total(sup, "victims_identified") == in_scope.filter(
        trafficking_status__in=("PossibleVictimOfTrafficking", "ActualVictimOfTrafficking")).count()
    assert _grand_total(coo, "victims_identified") == consented.filter(
        trafficking_status__in=("PossibleVictimOfTrafficking", "ActualVictimOfTrafficking")).count()
    # another supervisor of another organisation: another scope, another entry
    assert cache.scope_key(other.role, services.cases_of(other)) != keys["supervisor"]
    services.indicators_for(other, k=1)
    assert len(calls) == 3
    services.indicators_for(coordinator, k=1)  # the coordinator again: served, no computation
    assert len(calls) == 3


def test_the_cache_can_be_turned_off(demo, monkeypatch, settings):
    settings.VIGIL_INDICATOR_CACHE_SECONDS = 0
    calls = _computes(monkeypatch)
    services.indicators_for(demo["analyst"])
    services.indicators_for(demo["analyst"])
    assert len(calls) == 2
