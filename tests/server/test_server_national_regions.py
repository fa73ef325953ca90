"""Regions on the national pages (issue 12): the region disaggregation of the indicators from
the work stage's ISO 3166-2 region (the country, labelled as such, where none is recorded),
counted by hand from the demo; the flows page's regions view, disclosure-checked against the
country table; the map stays at country level."""

from __future__ import annotations

import itertools
import re
from collections import Counter

import pytest
from django.test import Client

from vigil.server.accounts.models import User
from vigil.server.cases.models import MigrationStage
from vigil.server.national import services
from vigil.server.scoping import statistics_cases_for
from vigil.stats import flows

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo() -> dict[str, User]:
    from vigil.server.cases.demo import load_demo

    load_demo()
    return {u.username: u for u in User.objects.all()}


def page(user: User, lang: str = "en") -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE=lang)
    c.cookies["django_language"] = lang
    c.force_login(user)
    return c


def test_region_disaggregation_is_the_hand_count_of_work_stage_regions(demo):
    analyst = demo["analyst"]
    victims = statistics_cases_for(analyst).filter(
        trafficking_status__in=["PossibleVictimOfTrafficking", "ActualVictimOfTrafficking"]
    )
    hand: Counter = Counter()
    for case in victims:
        work = [s for s in MigrationStage.objects.filter(case=case, stage="work").order_by("id")
                if s.region or s.country]
        hand[(work[0].region or work[0].country) if work else ""] += 1
    assert any(len(code) == 6 or "-" in code for code in hand)  # regions recorded
    assert any(len(code) == 3 for code in hand)  # and stages with the country only
    (result,) = services.indicators_for(analyst, ids=["victims_identified"])
    table = result.tables["region"]
    total = table.values[table.rows.index("total")]
    assert set(table.cols) == {*hand, "total"}
    published = 0
    for code, persons in hand.items():
        value = total[table.cols.index(code)]
        if value is not None:
            assert value == persons >= services.min_k()
            published += 1
        else:
            assert persons < services.min_k() or any(s.col == code for s in table.suppressed)
    assert published >= 3
    labels = dict(zip(table.cols, table.col_labels, strict=True))
    assert labels["QA-DA"] == "Ad Dawḩah, Qatar"
    assert labels["FRA"] == "France (country; region not recorded)"
    french = dict(zip(table.cols, services.column_labels("region", table.cols, "fr"), strict=True))
    assert french["IT-62"] == "Latium, Italie"
    assert french["FRA"] == "France (pays ; région non renseignée)"


def _hand_region_legs(cases) -> Counter:
    """Persons per leg between places (region, else country) counted from the ORM."""
    by_case: dict[int, list[list[str]]] = {}
    for st in (MigrationStage.objects.filter(case__in=cases, stage__in=flows.FLOW_STAGES)
               .exclude(country="").order_by("case_id", "start_date", "id")):
        stops = by_case.setdefault(st.case_id, [])
        if stops and stops[-1][0] == st.country and (not st.region or not stops[-1][1]
                                                     or stops[-1][1] == st.region):
            stops[-1][1] = stops[-1][1] or st.region
        else:
            stops.append([st.country, st.region])
    legs: Counter = Counter()
    for stops in by_case.values():
        path = [region or country for country, region in stops]
        legs.update({(path[0], path[0])} if len(path) == 1 else set(itertools.pairwise(path)))
    return legs


def test_regions_view_of_the_flows_page(demo):
    analyst = demo["analyst"]
    by_country, by_region = services.region_flows_for(analyst)
    hand = _hand_region_legs(statistics_cases_for(analyst))
    k = services.min_k()
    detailed = [g for g in by_region.legs if g.detailed]
    assert detailed, "the demo has region legs to show"
    country_legs = {(g.origin, g.destination): g for g in by_country.legs}
    for leg in by_region.legs:
        if leg.detailed:
            assert leg.persons == hand[(leg.origin, leg.destination)] >= k
        block = (flows.place_country(leg.origin), flows.place_country(leg.destination))
        if leg.detailed:  # a published country leg, every part of it reaching k
            assert country_legs[block].persons is not None
            parts = [n for (a, b), n in hand.items()
                     if (flows.place_country(a), flows.place_country(b)) == block]
            assert min(parts) >= k
        elif leg.reason in ("primary", "secondary"):
            assert leg.persons is None and country_legs[block].reason == leg.reason
    html = page(analyst, "fr").get("/national/flows/", {"view": "regions"}).content.decode()
    table = re.search(r'id="region-flows-table">(.*?)</table>', html, re.S)
    assert table is not None
    rows = re.findall(r"<tr[^>]*><td>([^<]*)</td><td>([^<]*)</td><td class=\"num\">(\d+)", table.group(1))
    for leg in detailed:
        origin = services.place_name(leg.origin, "fr")
        destination = services.place_name(leg.destination, "fr")
        assert (origin, destination, str(leg.persons)) in rows or leg.origin == leg.destination
    assert "Latium, Italie (IT-62)" in table.group(1)
    assert 'id="flow-map"' in html  # the map is the country map
    assert "aucune frontière régionale" in html
    # the countries view has no regions table
    assert "region-flows-table" not in page(analyst).get("/national/flows/").content.decode()
