"""What the contract (STANDARDS.md) says, case by case, beyond the reference fixtures."""

from __future__ import annotations

from typing import Any

import pytest

from vigil.rules import assess, load_ruleset
from vigil.rules.triage import triage

ADULT = "ilo-ec-2009-adult-labour"


def delphi(ind: dict[str, Any], missing: str = "absent", rs: str = ADULT, **kw: Any) -> dict[str, Any]:
    return assess(load_ruleset(rs), {"id": "t", "age": 30, "indicators": ind, **kw}, missing).to_dict()


@pytest.mark.parametrize(
    ("present", "expected"),
    [
        (["EX01"], "negative"),                      # one S alone
        (["EX01", "EX09"], "positive"),              # S + W
        (["EX01", "EX02"], "positive"),              # S + M
        (["EX02", "EX03"], "negative"),              # 2M
        (["EX02", "EX03", "EX04"], "positive"),      # 3M
        (["EX02", "EX03", "EX09"], "positive"),      # 2M + W
        (["EX02", "EX09"], "negative"),              # M + W
        (["EX09"], "negative"),                      # W only
    ],
)
def test_dimension_rule(present: list[str], expected: str) -> None:
    assert delphi(dict.fromkeys(present, True))["dimensions"]["EX"] == expected


def test_person_rule_needs_all_three_groups() -> None:
    base = {"DR01": True, "DR08": True, "EX01": True, "EX04": True}
    assert delphi(base)["outcome"] == "negative"
    d = delphi({**base, "VD01": True, "VD02": True, "VD03": True})
    assert d["outcome"] == "positive"
    assert d["decided_by"].startswith("DR positive (S+M: DR01, DR08) and EX positive")
    assert d["fired"] == ["DR01", "DR08", "EX01", "EX04", "VD01", "VD02", "VD03"]
    assert d["version"] == "2009.1" and d["ruleset"] == ADULT and d["verified"] is True


def test_insufficient_lists_unknowns_strongest_first() -> None:
    ind = {"DR01": True, "DR08": True, "EX02": True, "EX04": True, "CD01": True, "CD02": True,
           "EX01": None, "EX09": None, "EX03": None}
    d = delphi(ind)
    assert d["outcome"] == "insufficient"
    assert d["dimensions"]["EX"] == "insufficient"
    assert d["ask_next"] == ["EX01", "EX03", "EX09"]


def test_missing_keys_unknown_or_absent() -> None:
    ind = {"DR01": True, "DR08": True, "EX01": True, "EX04": True, "CD01": True}
    assert delphi(ind, missing="absent")["outcome"] == "negative"
    unknown = delphi(ind, missing="unknown")
    assert unknown["outcome"] == "insufficient"
    assert unknown["ask_next"][:4] == ["CD02", "CD03", "CD04", "CD05"]  # S first


def test_negative_outcome_has_no_ask_next_even_with_unknowns() -> None:
    d = delphi({"EX01": False, "CD02": None}, missing="absent")
    assert d["outcome"] == "negative" and d["ask_next"] == []


def test_child_grades_and_policies() -> None:
    child = "ilo-ec-2009-child-labour"
    # CR02 and CR04 are S for children: 2S makes CR positive (2M is not enough for adults)
    assert delphi({"CR02": True, "CR04": True}, rs=child)["dimensions"]["CR"] == "positive"
    assert delphi({"CR02": True, "CR04": True})["dimensions"]["CR"] == "negative"
    ex = {"EX01": True, "EX02": True}
    assert delphi(ex, rs=child, facts={"act": ["harboured"]})["outcome"] == "positive"
    assert delphi(ex, rs=child, facts={"act": []})["outcome"] == "negative"
    assert delphi(ex, rs=child)["outcome"] == "insufficient"  # act unknown
    strict = load_ruleset(child, {"policy": "delphi_strict"})
    rec = {"id": "c", "age": 12, "indicators": ex, "facts": {"act": ["harboured"]}}
    assert assess(strict, rec, "absent").outcome == "negative"
    assert load_ruleset(child).verified is False


def fl(ind: dict[str, Any], **kw: Any) -> dict[str, Any]:
    rec = {"id": "f", "indicators": ind, **kw}
    return assess(load_ruleset("ilo-2012-forced-labour"), rec, "absent").to_dict()


def test_forced_labour_pairs_within_a_dimension() -> None:
    assert fl({"UR05": True, "D2.PN04": True})["outcome"] == "negative"
    assert fl({"UR05": True, "D1.PN04": True})["outcome"] == "positive"
    d = fl({"WD03": True, "PN04": True})
    assert d["outcome"] == "positive"
    assert "pairing with D2 not established" in d["decided_by"]


def test_scoped_and_bare_penalty_are_one_question() -> None:
    # D1.PN02 false and PN02 true: Kleene OR is true
    assert fl({"UR01": True, "D1.PN02": False, "PN02": True})["outcome"] == "positive"
    # only the scoped key carried and it is null: unknown
    d = fl({"UR01": True, "D1.PN02": None})
    assert d["outcome"] == "insufficient" and d["ask_next"] == ["D1.PN02"]
    # the scoped key false and the bare key missing: false (not unknown), with --missing unknown too
    rec = {"id": "x", "indicators": {"UR01": True, **{f"D1.PN{i:02d}": False for i in range(1, 20)}}}
    rs = load_ruleset("ilo-2012-forced-labour")
    assert assess(rs, rec, "unknown").to_dict()["dimensions"]["D1"] == "negative"


def test_forced_labour_child_facts_only_raise() -> None:
    assert fl({}, age=12, facts={"parent_in_forced_labour": True})["outcome"] == "positive"
    assert fl({}, age=12, facts={"worst_form": ["illicit_activities"]})["outcome"] == "positive"
    assert fl({}, age=30, facts={"parent_in_forced_labour": True})["outcome"] == "negative"
    assert fl({}, age=12)["outcome"] == "negative"  # absent facts add nothing
    assert fl({}, facts={"parent_in_forced_labour": True})["outcome"] == "insufficient"  # age unknown


def c138(age: Any, rs: str = "c138-c182", **facts: Any) -> dict[str, Any]:
    return assess(load_ruleset(rs), {"id": "k", "age": age, "facts": facts}).to_dict()


def test_child_labour_bounds_and_variant() -> None:
    base = {"worst_form": [], "hazardous": False, "approved_training": False, "artistic_permit": False,
            "hours_per_week": 20, "schooling_affected": True}
    assert c138(18, **base)["outcome"] == "NOT_CHILD_LABOUR"
    assert c138(15, **base)["outcome"] == "NOT_CHILD_LABOUR"  # bound inclusive
    assert c138(14, **base)["outcome"] == "BELOW_MINIMUM_AGE"
    assert c138(14, rs="c138-c182-art2-4", **base)["outcome"] == "NOT_CHILD_LABOUR"
    light = {**base, "hours_per_week": 14, "schooling_affected": False}
    assert c138(13, **light)["outcome"] == "NOT_CHILD_LABOUR"
    assert c138(12, **light)["outcome"] == "BELOW_MINIMUM_AGE"
    assert c138(12, rs="c138-c182-art2-4", **light)["outcome"] == "NOT_CHILD_LABOUR"
    assert c138(17, **{**base, "hazardous": True})["outcome"] == "WORST_FORM_HAZARDOUS"
    exc = load_ruleset("c138-c182", {"hazardous_exception": True})
    rec = {"id": "k", "age": 16, "facts": {**base, "hazardous": True}}
    assert assess(exc, rec).outcome == "NOT_CHILD_LABOUR"


def test_child_labour_insufficient_names_the_fact() -> None:
    d = c138(10, hazardous=False, approved_training=False, artistic_permit=False,
             hours_per_week=5, schooling_affected=False)
    assert d["outcome"] == "insufficient"  # worst_form unknown decides between WORST_FORM and the rest
    assert d["ask_next"] == ["facts.worst_form"]
    d = c138(None, worst_form=[], hazardous=False)
    assert d["outcome"] == "insufficient" and "age" in d["ask_next"]


def test_palermo_child_needs_no_means() -> None:
    rs = load_ruleset("palermo-2000")
    facts = {"act": ["recruited"], "purpose": ["forced_labour_or_services"], "means": []}
    assert assess(rs, {"id": "p", "age": 16, "facts": facts}).outcome == "positive"
    assert assess(rs, {"id": "p", "age": 30, "facts": facts}).outcome == "negative"
    assert assess(rs, {"id": "p", "facts": facts}).outcome == "insufficient"  # age decides
    adult = {**facts, "means": ["deception"]}
    assert assess(rs, {"id": "p", "age": 30, "facts": adult}).outcome == "positive"


def test_ilo11_is_risk_and_routes_to_interview() -> None:
    rs = load_ruleset("ilo-11")
    d = assess(rs, {"id": "i", "indicators": {"ILO11.07": True}}, "absent").to_dict()
    assert d["outcome"] == "risk"
    assert d["route"]["confirm"] == ["PN02"]
    assert "ilo-2012-forced-labour" in d["route"]["to"]
    assert assess(rs, {"id": "i", "indicators": {}}, "absent").outcome == "negative"


def test_fair_recruitment_exceptions_and_illegitimate_costs() -> None:
    rs = load_ruleset("fair-recruitment-2019")
    assert assess(rs, {"id": "r", "facts": {"fees_charged": ["RC1"]}}).outcome == "positive"
    assert assess(rs, {"id": "r", "facts": {"fees_charged": []}}).outcome == "negative"
    national = load_ruleset("fair-recruitment-2019", {"exceptions": ["RC1"]})
    assert assess(national, {"id": "r", "facts": {"fees_charged": ["RC1"]}}).outcome == "negative"
    assert assess(national, {"id": "r", "facts": {"fees_charged": ["IC"]}}).outcome == "positive"
    # indicator keys and the fees_charged fact are one question
    assert assess(rs, {"id": "r", "indicators": {"RC6": True}}, "absent").outcome == "positive"


def test_fee_repaid_by_deduction_or_loan_routes_debt_questions() -> None:
    rs = load_ruleset("fair-recruitment-2019")
    loan = assess(rs, {"id": "r", "facts": {"fees_charged": ["RF"], "fee_repayment": ["loan"]}}).to_dict()
    assert loan["outcome"] == "positive"
    assert loan["route"] == {"to": ["ilo-2012-forced-labour", "ilo-ec-2009-adult-labour"],
                             "confirm": ["UR04", "CR04"]}
    upfront = assess(rs, {"id": "r", "facts": {"fees_charged": ["RF"], "fee_repayment": ["upfront"]}})
    assert upfront.to_dict()["route"] == {"to": [], "confirm": []}


def test_triage_never_flags_mobility_or_occupation_alone() -> None:
    migrant = {"id": "m", "age": 25, "facts": {"crossed_border": True, "entry_compliant": False,
                                               "stay_compliant": False, "act": [], "means": [],
                                               "purpose": []}}
    res = triage(migrant)
    assert res["flags"] == ["IRREGULAR_MIGRATION"] and res["primary"] == "IRREGULAR_MIGRATION"
    regular = {"id": "r", "age": 25, "facts": {"crossed_border": True, "entry_compliant": True,
                                               "stay_compliant": True, "act": [], "means": [],
                                               "purpose": []}}
    assert triage(regular)["primary"] == "REGULAR_MIGRATION"
    # moving for work is an act, but without means or exploitation it is not trafficking
    mover = {"id": "w", "age": 30, "facts": {"act": ["transported"], "means": [], "purpose": []}}
    assert triage(mover)["primary"] == "NONE"


def test_triage_smuggling_is_not_trafficking() -> None:
    rec = {"id": "s", "age": 30, "facts": {"crossed_border": True, "entry_compliant": False,
                                           "stay_compliant": False, "facilitator_paid_for_entry": True,
                                           "act": ["transported"], "means": [], "purpose": []}}
    res = triage(rec)
    assert res["primary"] == "SMUGGLING" and "TRAFFICKING" not in res["flags"]


def test_triage_labour_violation_without_coercion() -> None:
    rec = {"id": "l", "age": 40, "indicators": {"EX04": True, "EX07": True},
           "facts": {"act": [], "means": [], "purpose": []}}
    res = triage(rec)
    # Delphi is assessed with most keys missing (unknown): trafficking cannot be excluded yet
    assert res["primary"].startswith("NEEDS_FURTHER_ASSESSMENT:")
    full = {k: False for k in load_ruleset(ADULT).record_keys()}
    rec["indicators"] = {**full, "EX04": True, "EX07": True}
    res = triage(rec)
    assert res["primary"] == "LABOUR_VIOLATION" and res["not_assessed"] == ["ilo-2012-forced-labour"]


def test_fair_recruitment_breach_is_never_primary() -> None:
    res = triage({"id": "f", "age": 30, "facts": {"fees_charged": ["RF"], "act": [], "means": [],
                                                   "purpose": []}})
    assert res["flags"] == ["FAIR_RECRUITMENT_BREACH"] and res["primary"] == "NONE"
