"""Indicators as data: the shipped set loads, bad sets are refused naming the key, and the engine's
cells equal counts made by hand, every cell disclosure-checked, absent sources hidden."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import yaml

from vigil.errors import InputError
from vigil.stats.disclosure import suppress_table
from vigil.stats.indicators import available_sets, compute, load_set, members, prepare

VICTIM = ("PossibleVictimOfTrafficking", "ActualVictimOfTrafficking")


def _data(n: int = 3000, seed: int = 3) -> dict[str, dict[str, list]]:
    rng = np.random.default_rng(seed)
    opened = [dt.date(2023, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 3 * 365, n)]
    cases = {
        "id": list(range(1, n + 1)),
        "opened_on": opened,
        "trafficking_status": rng.choice(["", *VICTIM, "NotAVictimOfTrafficking"], n).tolist(),
        "status": ["Active"] * n,
        "sector": rng.choice(["A", "C", "F", "I", "T", ""], n).tolist(),
        "exploitation_types": [
            ["ForcedLabour"] if i % 4 else (["ForcedLabour", "SexualExploitation"] if i % 8 else [])
            for i in range(n)
        ],
        "sex": rng.choice(["Feminine", "Masculine", "NonSpecifiedUnknown", ""], n).tolist(),
        "birth_year": [None if i % 17 == 0 else 1960 + i % 50 for i in range(n)],
        "citizenship": rng.choice(["NPL", "MDA", "PHL"], n).tolist(),
        "identified_by": rng.choice(["ngo", "police", "labour_inspectorate"], n).tolist(),
    }
    ref_cases = sorted(rng.choice(np.arange(1, n + 1), n // 2, replace=False).tolist())
    ref_status = rng.choice(
        ["pending", "accepted", "completed", "revoked", "declined"], len(ref_cases)
    ).tolist()
    referrals = {
        "case_id": [*ref_cases, n + 99],  # one referral of a case that is not in the data
        "status": [*ref_status, "accepted"],
        "service_type": rng.choice(["shelter", "legal", "medical"], len(ref_cases) + 1).tolist(),
        "created_on": [opened[c - 1] for c in ref_cases] + [dt.date(2024, 1, 1)],
        "decided_on": [
            opened[c - 1] + dt.timedelta(days=int(d))
            for c, d in zip(ref_cases, rng.integers(0, 40, len(ref_cases)), strict=True)
        ]
        + [dt.date(2024, 1, 2)],
    }
    fu_cases = rng.choice(np.arange(1, n + 1), n // 3).tolist()
    followups = {
        "case_id": fu_cases,
        "outcome": rng.choice(["", "safe", "re_exploited", "still_at_risk"], len(fu_cases)).tolist(),
        "done_on": [dt.date(2025, 1, 1)] * len(fu_cases),
        "retrafficking_risk": (rng.random(len(fu_cases)) < 0.1).tolist(),
    }
    stages = {
        "case_id": list(range(1, n + 1)) * 2,
        "stage": ["recruitment"] * n + ["work"] * n,
        "country": ["NPL"] * n + ["QAT"] * n,
        "region": ["NP-P3"] * n + rng.choice(["QA-DA", "QA-WA", ""], n).tolist(),
    }
    return {"cases": cases, "referrals": referrals, "followups": followups, "stages": stages}


def _year(d: dt.date) -> str:
    return str(d.year)


def test_the_shipped_set_loads_and_lists_what_the_issue_names():
    assert "nap-2026" in available_sets()
    s = load_set("nap-2026")
    ids = {i.id for i in s.indicators}
    assert {
        "victims_identified",
        "victims_presumed",
        "victims_confirmed",
        "victims_referred",
        "victims_accepted",
        "victims_assisted",
        "safe_at_followup",
        "re_trafficked",
        "days_to_first_service",
        "agencies_licensed",
        "agencies_inspected",
        "agencies_sanctioned",
        "workplaces_inspected",
        "workplaces_forced_labour",
        "offers_checked",
        "offers_with_signs",
    } <= ids
    identified = s.indicator("victims_identified")
    assert set(identified.disaggregations) >= {
        "sex",
        "age_group",
        "form",
        "sector",
        "citizenship",
        "identified_by",
        "region",
    }
    assert s.k == 11


@pytest.mark.parametrize(
    ("change", "place"),
    [
        (lambda d: d.pop("sources"), "top level"),
        (lambda d: d["indicators"][0].update(source="nowhere"), "indicators[0] (victims_identified).source"),
        (
            lambda d: d["indicators"][1].update(disaggregations=["shoe_size"]),
            "indicators[1] (victims_presumed)",
        ),
        (lambda d: d["indicators"][0]["numerator"].update(has={"nowhere": {}}), "numerator.has"),
        (lambda d: d["indicators"][0].update(statistic="mean"), "statistic"),
        (lambda d: d["disclosure"].update(k=0), "disclosure.k"),
        (lambda d: d["dimensions"]["age_group"]["bands"].update({"x": [5]}), "dimensions.age_group.bands.x"),
        (lambda d: d["indicators"].append(dict(d["indicators"][0])), ".id"),
        (lambda d: d["indicators"][0]["numerator"].update(sector=[]), "numerator.sector"),
    ],
)
def test_a_bad_set_is_refused_naming_the_key(tmp_path: Path, change, place):
    shipped = Path(__file__).parents[2] / "src/vigil/stats/data/indicators/nap-2026.yaml"
    data = yaml.safe_load(shipped.read_text())
    change(data)
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(InputError) as err:
        load_set(path)
    assert "mine.yaml" in str(err.value) and place in str(err.value)


def test_counts_equal_a_hand_count_and_pass_disclosure():
    data = _data()
    s = load_set()
    results = {r.id: r for r in compute(s, data, k=11)}
    cases = data["cases"]
    n = len(cases["id"])
    table = results["victims_identified"].tables["sex"]
    years = sorted({_year(d) for d in cases["opened_on"]})
    assert table.rows == [*years, "total"]
    for i, year in enumerate(years):
        for j, sex in enumerate(table.cols[:-1]):
            hand = sum(
                1
                for c in range(n)
                if cases["trafficking_status"][c] in VICTIM
                and _year(cases["opened_on"][c]) == year
                and (cases["sex"][c] or "") == sex
            )
            assert table.numerators[i][j] in (hand, None)
            if table.numerators[i][j] is None:
                assert any(s_.row == year and s_.col == sex for s_ in table.suppressed)
    # the published cells are exactly the disclosure module's on the hand-count matrix
    matrix = [
        [
            sum(
                1
                for c in range(n)
                if cases["trafficking_status"][c] in VICTIM
                and _year(cases["opened_on"][c]) == y
                and (cases["sex"][c] or "") == sx
            )
            for sx in table.cols[:-1]
        ]
        for y in years
    ]
    assert table.numerators == suppress_table(matrix, 11).published()
    # age groups from year of birth at identification, unknown last
    ages = results["victims_identified"].tables["age_group"]
    assert ages.cols == ["0-17", "18-24", "25-34", "35-49", "50+", "", "total"]
    hand_unknown = sum(
        1 for c in range(n) if cases["trafficking_status"][c] in VICTIM and cases["birth_year"][c] is None
    )
    assert ages.numerators[-1][5] == hand_unknown
    forms = results["victims_identified"].tables["form"]
    assert "Multiple forms" in forms.cols and "ForcedLabour" in forms.cols
    assert forms.col_labels[forms.cols.index("ForcedLabour")] == "Forced labour"


def test_a_percentage_has_its_numerator_and_denominator_and_hides_either():
    data = _data()
    s = load_set()
    res = compute(s, data, k=11, indicators=["victims_referred"])[0]
    cases, refs = data["cases"], data["referrals"]
    referred = {c for c, st in zip(refs["case_id"], refs["status"], strict=True) if st != "revoked"}
    victims = [c for c, st in zip(cases["id"], cases["trafficking_status"], strict=True) if st in VICTIM]
    total = res.tables["total"]
    assert total.denominators[-1][0] == len(victims)
    assert total.numerators[-1][0] == len([c for c in victims if c in referred])
    assert total.values[-1][0] == round(100 * total.numerators[-1][0] / len(victims), 1)
    sex = res.tables["sex"]
    for i, row in enumerate(sex.values):
        for j, v in enumerate(row):
            if sex.numerators[i][j] is None or sex.denominators[i][j] is None:
                assert v is None


def test_distinct_counts_medians_and_follow_ups_by_hand():
    data = _data()
    s = load_set()
    res = {r.id: r for r in compute(s, data, k=1)}
    refs, cases = data["referrals"], data["cases"]
    known = set(cases["id"])
    assisted = {
        (c, t)
        for c, st, t in zip(refs["case_id"], refs["status"], refs["service_type"], strict=True)
        if st in ("accepted", "completed") and c in known
    }
    table = res["victims_assisted"].tables["service_type"]
    for j, kind in enumerate(table.cols[:-1]):
        assert table.numerators[-1][j] == len({c for c, t in assisted if t == kind})
    # median days from identification to the first accepted service
    first: dict[int, dt.date] = {}
    for c, st, d in zip(refs["case_id"], refs["status"], refs["decided_on"], strict=True):
        if st in ("accepted", "completed") and c in known:
            first[c] = min(first.get(c, d), d)
    days = [(first[c] - cases["opened_on"][c - 1]).days for c in first]
    assert res["days_to_first_service"].tables["total"].values[-1][0] == float(np.median(days))
    fus = data["followups"]
    followed = {c for c, o in zip(fus["case_id"], fus["outcome"], strict=True) if o}
    again = {
        c
        for c, o, r in zip(fus["case_id"], fus["outcome"], fus["retrafficking_risk"], strict=True)
        if o == "re_exploited" or (r and o)
    }
    t = res["re_trafficked"].tables["total"]
    assert t.denominators[-1][0] == len(followed)
    assert t.numerators[-1][0] == len(again)
    region = compute(s, data, k=1, indicators=["victims_identified"])[0].tables["region"]
    # the work stage's region, else its country (QAT): the recruitment stage's region is not it
    assert set(region.cols) == {"QA-DA", "QA-WA", "QAT", "total"}
    victims = {c for c, t in zip(cases["id"], cases["trafficking_status"], strict=True) if t in VICTIM}
    st = data["stages"]
    hand = Counter(r or c for cid, s_, c, r in zip(st["case_id"], st["stage"], st["country"], st["region"],
                                                   strict=True) if s_ == "work" and cid in victims)
    assert {col: region.values[-1][region.cols.index(col)] for col in hand} == dict(hand)


def test_small_cells_are_hidden_with_the_reason_and_k_is_configurable():
    data = _data(400)
    s = load_set()
    strict = compute(s, data, k=40, indicators=["victims_identified"])[0].tables["citizenship"]
    loose = compute(s, data, k=1, indicators=["victims_identified"])[0].tables["citizenship"]
    assert strict.suppressed and not loose.suppressed
    reasons = {x.reason for x in strict.suppressed}
    assert reasons <= {"primary", "secondary"} and "primary" in reasons
    for x in strict.suppressed:
        i, j = strict.rows.index(x.row), strict.cols.index(x.col)
        assert strict.values[i][j] is None
        if x.reason == "primary":
            assert 0 < loose.values[i][j] < 40
    with pytest.raises(InputError):
        compute(s, data, k=0)


def test_an_indicator_over_an_absent_source_is_hidden_not_an_error():
    s = load_set()
    prepared = prepare(s, _data(200), {"inspections": "the inspections app is not installed"})
    res = {r.id: r for r in compute(s, prepared)}
    assert res["workplaces_inspected"].hidden == "the inspections app is not installed"
    assert res["workplaces_inspected"].tables == {}
    assert res["agencies_licensed"].hidden == "no licences data"
    assert res["victims_identified"].hidden is None


def test_drill_down_members_are_the_cases_of_the_cell():
    data = _data(500)
    s = load_set()
    cases = data["cases"]
    got = members(s, data, "victims_identified", period_label="2024", dimension="sector", category="A")
    hand = [
        c
        for c, st, d, sec in zip(
            cases["id"], cases["trafficking_status"], cases["opened_on"], cases["sector"], strict=True
        )
        if st in VICTIM and d.year == 2024 and sec == "A"
    ]
    assert got == hand and got
    assisted = members(s, data, "victims_assisted")
    assert n_plus_99_absent(assisted, len(cases["id"]))


def n_plus_99_absent(keys: list[int], n: int) -> bool:
    return bool(keys) and max(keys) <= n


def test_the_columns_read_are_those_an_indicator_names(tmp_path: Path):
    from importlib import resources

    s = load_set()
    # read: keys and links, period, filters (also of has/lacks and derived columns), dimensions
    # (also on the parent through the link), age_at, duration, distinct
    assert s.used_columns("cases") == (
        "id", "opened_on", "trafficking_status", "sector", "exploitation_types", "sex", "birth_year",
        "citizenship", "identified_by",
    )
    assert s.used_columns("referrals") == ("case_id", "status", "service_type", "decided_on")
    assert s.used_columns("followups") == ("case_id", "outcome", "retrafficking_risk")
    # the region of the work stage, with its country as the fallback; the free-text place unread
    assert s.used_columns("stages") == ("case_id", "stage", "country", "region")
    assert s.used_columns("agencies") == ("id", "last_inspection")
    assert s.used_columns("inspections") == s.sources["inspections"].columns
    # an indicator naming a column makes it read: a filter on the cases' status, a dimension of
    # a child source's own column
    shipped = Path(str(resources.files("vigil.stats.data.indicators"))) / "nap-2026.yaml"
    changed = yaml.safe_load(shipped.read_text())
    changed["indicators"][0]["numerator"]["status"] = "Active"
    changed["dimensions"]["agency_country"] = {"column": "country"}
    changed["indicators"][1].update(
        {"source": "agencies", "numerator": {}, "disaggregations": ["agency_country"]}
    )
    path = tmp_path / "changed.yaml"
    path.write_text(yaml.safe_dump(changed))
    other = load_set(str(path))
    assert "status" in other.used_columns("cases") and "country" in other.used_columns("agencies")
    assert "status" not in s.used_columns("cases") and "country" not in s.used_columns("agencies")


def test_data_without_the_unread_columns_give_the_same_results_and_a_read_one_is_required():
    s = load_set()
    full = _data(800)
    narrow = {
        name: {c: v for c, v in cols.items() if c in s.used_columns(name)} for name, cols in full.items()
    }
    assert "status" not in narrow["cases"] and "sex" in narrow["cases"]
    assert [r.to_dict() for r in compute(s, narrow, k=1)] == [r.to_dict() for r in compute(s, full, k=1)]
    broken = {**narrow, "cases": {c: v for c, v in narrow["cases"].items() if c != "sector"}}
    with pytest.raises(InputError, match="sector"):
        prepare(s, broken)
