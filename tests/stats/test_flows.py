"""Flows between countries (issue 12): journeys from the stage timeline, persons per leg,
disclosure control of every leg and total; the shipped world boundaries."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from vigil.errors import InputError
from vigil.stats import flows, geo
from vigil.stats.disclosure import suppress_table


def _stages(case, *countries, stages=("recruitment", "journey", "work"), start=dt.date(2024, 1, 1)):
    return [
        {"id": case * 10 + n, "case_id": case, "stage": stage, "country": country,
         "start_date": start + dt.timedelta(days=30 * n)}
        for n, (stage, country) in enumerate(zip(stages, countries, strict=True))
    ]


def test_a_journey_follows_the_timeline_not_the_order_of_the_rows():
    rows = [
        {"id": 3, "case_id": 1, "stage": "work", "country": "ITA", "start_date": dt.date(2024, 6, 1)},
        {"id": 1, "case_id": 1, "stage": "recruitment", "country": "npl", "start_date": dt.date(2024, 1, 1)},
        {"id": 2, "case_id": 1, "stage": "journey", "country": "QAT", "start_date": dt.date(2024, 3, 1)},
        {"id": 4, "case_id": 1, "stage": "journey", "country": "QAT", "start_date": dt.date(2024, 4, 1)},
        {"id": 5, "case_id": 1, "stage": "return", "country": "NPL", "start_date": dt.date(2025, 1, 1)},
        {"id": 6, "case_id": 2, "stage": "work", "country": "", "start_date": None},
        {"id": 7, "case_id": 3, "stage": "recruitment", "country": "FRA", "start_date": None},
        {"id": 8, "case_id": 3, "stage": "work", "country": "FRA", "start_date": None},
    ]
    got = {j.case: j for j in flows.journeys(rows)}
    assert set(got) == {1, 3}  # case 2 has no country
    assert got[1].path == ("NPL", "QAT", "ITA")  # QAT twice in a row is one stay; return not a leg
    assert (got[1].origin, got[1].transit, got[1].destination) == ("NPL", ("QAT",), "ITA")
    assert got[1].legs() == {("NPL", "QAT"), ("QAT", "ITA")}
    assert got[3].legs() == {("FRA", "FRA")}  # within one country


def test_a_bad_country_code_names_the_case():
    with pytest.raises(InputError, match="case 7"):
        flows.journeys([{"case_id": 7, "stage": "work", "country": "France", "start_date": None}])


def test_persons_per_leg_with_small_legs_hidden():
    rows = []
    for case in range(40):  # 40 NPL -> QAT, then 25 to ITA and 15 to FRA
        rows += _stages(case, "NPL", "QAT", "ITA" if case < 25 else "FRA")
    for case in range(100, 120):  # 20 MDA -> ITA
        rows += _stages(case, "MDA", "ITA", stages=("recruitment", "work"))
    for case in range(200, 205):  # 5 within THA: hidden
        rows += _stages(case, "THA", stages=("work",))
    result = flows.compute(flows.journeys(rows), k=11)
    legs = {(g.origin, g.destination): g for g in result.legs}
    published = {k: g.persons for k, g in legs.items() if g.persons is not None}
    assert published == {("NPL", "QAT"): 40, ("QAT", "ITA"): 25, ("MDA", "ITA"): 20}
    assert legs[("THA", "THA")].persons is None and legs[("THA", "THA")].reason == "primary"
    assert result.leaving["THA"] is None and result.margin_reasons["leaving THA"] == "primary"
    # with the 5 hidden, the QAT -> FRA leg (15) and the totals around it would give them back
    # from the published grand total: secondary suppression hides a cycle through them
    assert legs[("QAT", "FRA")].persons is None and legs[("QAT", "FRA")].reason == "secondary"
    assert {g.reason for g in result.suppressed} <= {"primary", "secondary"}
    assert result.total == 40 + 25 + 15 + 20 + 5
    assert result.leaving["NPL"] == 40 and result.arriving["ITA"] == 45
    assert result.persons == 65


def test_every_hidden_leg_is_protected_like_any_table():
    rng = np.random.default_rng(12)
    codes = ["FRA", "ITA", "NPL", "QAT", "THA", "MDA"]
    rows = []
    for case in range(300):
        path = list(rng.choice(codes, size=int(rng.integers(1, 4)), replace=False))
        rows += _stages(case, *path, stages=("recruitment", "journey", "work")[: len(path)])
    journeys = flows.journeys(rows)
    result = flows.compute(journeys, k=11)
    index = {c: i for i, c in enumerate(result.countries)}
    matrix = np.zeros((len(index), len(index)))
    for j in journeys:
        for a, b in j.legs():
            matrix[index[a], index[b]] += 1
    expected = suppress_table(matrix, 11)
    for leg in result.legs:
        i, j = index[leg.origin], index[leg.destination]
        assert (leg.persons is None) == bool(expected.suppressed[i, j])
        if leg.persons is not None:
            assert leg.persons == matrix[i, j] >= 11
    assert any(g.persons is None for g in result.legs) and any(g.persons for g in result.legs)
    for c in result.countries:
        assert (result.leaving[c] is None) == bool(expected.suppressed[index[c], -1])


def test_no_journey_no_flow():
    result = flows.compute([], k=11)
    assert result.legs == [] and result.total == 0
    with pytest.raises(InputError):
        flows.compute([], k=0)


def test_the_shipped_world_boundaries():
    world = geo.countries()
    assert len(world) == 177  # N. Cyprus and Somaliland have no code: kept under their names
    assert sum(1 for c in world.values() if c.alpha3) == 175
    assert world["FRA"].name == "France" and world["NPL"].name == "Nepal"
    lon, lat = world["NPL"].point
    assert 80 < lon < 89 and 26 < lat < 31  # Nepal's centroid is in Nepal
    lon, lat = world["RUS"].point  # across the antimeridian
    assert 30 < lon < 140 and 50 < lat < 70
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in geo.features())
