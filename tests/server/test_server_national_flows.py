"""Flows between countries on the national page (issue 12): the demo's journeys counted by hand
against the page's table, the map as a server-rendered SVG, hidden legs listed, and who may see
it (aggregates only: no case for any role, no page for roles without national.view)."""

from __future__ import annotations

import base64
import itertools
import re
from collections import Counter

import pytest
from django.test import Client

from vigil.server.accounts.models import User
from vigil.server.audit.models import AuditEntry
from vigil.server.cases.models import MigrationStage
from vigil.server.national import services
from vigil.server.scoping import statistics_cases_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo() -> dict[str, User]:
    from vigil.server.cases.demo import load_demo

    load_demo()
    return {u.username: u for u in User.objects.all()}


def page(user: User) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _hand_legs(cases) -> Counter:
    """Persons per leg counted from the ORM (not the flows engine)."""
    stages = MigrationStage.objects.filter(case__in=cases, stage__in=("recruitment", "journey", "work"))
    by_case: dict[int, list] = {}
    for st in stages.exclude(country="").order_by("case_id", "start_date", "id"):
        path = by_case.setdefault(st.case_id, [])
        if not path or path[-1] != st.country:
            path.append(st.country)
    legs: Counter = Counter()
    for path in by_case.values():
        legs.update({(path[0], path[0])} if len(path) == 1 else set(itertools.pairwise(path)))
    return legs


def test_the_flows_of_the_analyst_are_the_hand_count_with_small_legs_hidden(demo):
    analyst = demo["analyst"]
    hand = _hand_legs(statistics_cases_for(analyst))
    assert hand  # the demo has journeys
    result = services.flows_for(analyst)
    got = {(g.origin, g.destination): g for g in result.legs}
    assert set(hand) <= set(got)
    for key, persons in hand.items():
        if got[key].persons is not None:
            assert got[key].persons == persons >= services.min_k()
    for key, leg in got.items():
        if 0 < hand.get(key, 0) < services.min_k():
            assert leg.persons is None and leg.reason == "primary"
    html = page(analyst).get("/national/flows/").content.decode()
    for leg in result.published:
        if leg.origin != leg.destination:
            assert re.search(rf"\({leg.origin}\)</td><td>[^<]*\({leg.destination}\)</td><td class=\"num\">"
                             rf"{leg.persons}</td>", html)
    for leg in result.suppressed:
        assert re.search(rf"\({leg.origin}\)</td><td>[^<]*</td><td class=\"num\"><span class=\"hidden-cell\"",
                         html)


def test_the_page_shows_the_map_and_the_table_and_lists_hidden_legs(demo):
    c = page(demo["coordinator"])
    r = c.get("/national/flows/")
    assert r.status_code == 200
    html = r.content.decode()
    m = re.search(r'id="flow-map" src="data:image/svg\+xml;base64,([^"]+)"', html)
    assert m, "the map is an SVG rendered on the server"
    svg = base64.b64decode(m.group(1)).decode()
    assert svg.startswith("<svg") and "<path" in svg
    assert 'id="flows-table"' in html and 'id="flow-countries"' in html
    result = services.flows_for(demo["coordinator"])
    assert result.published and result.suppressed
    assert html.count('class="suppressed"') == len(result.suppressed)
    assert 'id="suppression-note"' in html
    assert AuditEntry.objects.filter(action="flows", actor_id=demo["coordinator"].pk).exists()
    # a year: only the cases opened that year
    year = services.cases_of(demo["coordinator"]).latest("opened_on").opened_on.year
    one = services.flows_for(demo["coordinator"], year=str(year))
    assert sum(g.persons or 0 for g in one.legs) <= sum(g.persons or 0 for g in result.legs)
    assert c.get(f"/national/flows/?year={year}").status_code == 200
    assert c.get("/national/flows/?year=1066").status_code == 200  # not a year of cases: all years


def test_a_small_region_hides_everything_and_draws_no_map(demo):
    result = services.flows_for(demo["analyst"], k=10_000)
    assert result.published == [] and result.suppressed


@pytest.mark.parametrize("role", ["analyst", "coordinator", "supervisor"])
def test_flows_are_aggregates_only_for_every_role(demo, role):
    html = page(demo[role]).get("/national/flows/").content.decode()
    assert not re.search(r"VG-\d{4}-", html) and not re.search(r"/cases/\d", html) and "drill" not in html
    assert "Demo Agency" not in html  # the recruiter of a stage is never shown


@pytest.mark.parametrize("role", ["caseworker", "inspector", "shelter", "regulator", "admin"])
def test_other_roles_have_no_flows(demo, role):
    assert page(demo[role]).get("/national/flows/").status_code == 403
