"""Flows by region (ISO 3166-2) where the stages record one: the places of a journey, and the
break-down of the country legs, shown only where it cannot give a hidden count back."""

from __future__ import annotations

import datetime as dt

from vigil.stats import flows

D = dt.date


def _case(case, *stops, start=D(2024, 1, 1)):
    """Stages of one case: (stage, country, region) in the order of the timeline."""
    return [
        {"case_id": case, "id": case * 10 + n, "stage": stage, "country": country, "region": region,
         "start_date": start + dt.timedelta(days=30 * n)}
        for n, (stage, country, region) in enumerate(stops)
    ]


def test_places_are_regions_where_recorded_else_the_country():
    rows = (
        _case(1, ("recruitment", "NPL", "NP-P3"), ("work", "QAT", "QA-DA"))
        + _case(2, ("recruitment", "NPL", ""), ("journey", "NPL", "NP-P3"), ("work", "THA", "TH-10"))
        + _case(3, ("recruitment", "THA", "TH-10"), ("journey", "THA", ""), ("work", "THA", "TH-74"))
        + _case(4, ("recruitment", "MDA", "TH-10"), ("work", "ITA", "IT-62"))  # a region of another country
        + _case(5, ("recruitment", "NPL", "NP-P3"), ("exit", "QAT", "QA-DA"))
    )
    paths = {j.case: j.path for j in flows.region_journeys(rows)}
    assert paths == {
        1: ("NP-P3", "QA-DA"),
        2: ("NP-P3", "TH-10"),  # the stage without a region is the same stop as the next one
        3: ("TH-10", "TH-74"),  # a move between two regions of one country
        4: ("MDA", "IT-62"),  # a region that is not of the stage's country is not believed
        5: ("NP-P3",),  # exit stages are not part of the flow
    }
    # the country journeys of the same stages are unchanged
    assert {j.case: j.path for j in flows.journeys(rows)}[3] == ("THA",)


def _cohort(n, start_case, *stops):
    return [row for c in range(start_case, start_case + n) for row in _case(c, *stops)]


def test_region_legs_split_a_published_country_leg_only_when_every_part_reaches_k():
    rows = (
        # NPL -> QAT: 30 persons, 18 to Doha and 12 to Al Wakrah: both >= 11, shown by region
        _cohort(18, 0, ("recruitment", "NPL", "NP-P3"), ("work", "QAT", "QA-DA"))
        + _cohort(12, 100, ("recruitment", "NPL", "NP-P3"), ("work", "QAT", "QA-WA"))
        # NPL -> THA: 20 persons, 17 to Bangkok and 3 to Samut Sakhon: the 3 would be hidden,
        # and 20 - 17 would give it back, so the country leg stands for both
        + _cohort(17, 200, ("recruitment", "NPL", ""), ("work", "THA", "TH-10"))
        + _cohort(3, 300, ("recruitment", "NPL", ""), ("work", "THA", "TH-74"))
    )
    by_country = flows.compute(flows.journeys(rows), k=11)
    assert not by_country.suppressed
    result = flows.compute_regions(flows.region_journeys(rows), by_country)
    got = {(g.origin, g.destination): (g.persons, g.reason, g.detailed) for g in result.legs}
    assert got[("NP-P3", "QA-DA")] == (18, "", True)
    assert got[("NP-P3", "QA-WA")] == (12, "", True)
    assert got[("NPL", "THA")] == (20, "regions", False)
    assert ("NPL", "TH-10") not in got and ("NPL", "TH-74") not in got
    # no number is published that the country table does not already publish or split into
    # parts of at least k
    for persons, _reason, detailed in got.values():
        assert persons is None or persons >= 11
        assert detailed or persons in (None, *[g.persons for g in by_country.published])
    assert [g["persons"] for g in result.to_dict()["legs"]] == [20, 18, 12]  # largest first
    assert {"origin": "NP-P3", "destination": "QA-DA", "persons": 18, "reason": "",
            "regions": True} in result.to_dict()["legs"]


def test_a_country_leg_hidden_stays_hidden_with_its_regions():
    rows = (
        _cohort(40, 0, ("recruitment", "NPL", "NP-P3"), ("work", "QAT", "QA-DA"))
        + _cohort(30, 100, ("recruitment", "MDA", "MD-CU"), ("work", "QAT", "QA-DA"))
        + _cohort(30, 200, ("recruitment", "NPL", "NP-P3"), ("work", "ITA", "IT-62"))
        # MDA -> ITA: 5 persons, all in Lazio: hidden in the country table, and not shown by
        # region even though the break-down has a single part
        + _cohort(5, 400, ("recruitment", "MDA", "MD-CU"), ("work", "ITA", "IT-62"))
    )
    by_country = flows.compute(flows.journeys(rows), k=11)
    hidden = {(g.origin, g.destination): g.reason for g in by_country.suppressed}
    assert hidden[("MDA", "ITA")] == "primary"
    got = {(g.origin, g.destination): (g.persons, g.reason, g.detailed) for g in
           flows.compute_regions(flows.region_journeys(rows), by_country).legs}
    assert got[("MDA", "ITA")] == (None, "primary", False)
    assert ("MD-CU", "IT-62") not in got
    for (origin, destination), reason in hidden.items():  # the legs hidden to protect it too
        assert got[(origin, destination)] == (None, reason, False)
    assert not any(detailed and flows.place_country(a) + flows.place_country(b) in
                   {o + d for o, d in hidden} for (a, b), (_n, _r, detailed) in got.items())


def test_moves_between_regions_without_a_country_leg_are_withheld():
    rows = (
        _cohort(15, 0, ("recruitment", "NPL", "NP-P3"), ("journey", "THA", "TH-10"), ("work", "THA", "TH-74"))
    )
    by_country = flows.compute(flows.journeys(rows), k=11)
    assert [(g.origin, g.destination) for g in by_country.legs] == [("NPL", "THA")]
    got = {(g.origin, g.destination): (g.persons, g.reason) for g in
           flows.compute_regions(flows.region_journeys(rows), by_country).legs}
    assert got[("NP-P3", "TH-10")] == (15, "")
    # 15 persons moved from Bangkok to Samut Sakhon, but the country table has no THA -> THA leg
    assert got[("THA", "THA")] == (None, "country")


def test_no_stage_no_leg():
    empty = flows.compute([], k=11)
    assert flows.compute_regions([], empty).legs == []
