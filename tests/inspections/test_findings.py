"""Findings of a visit: labour-law violations kept apart from forced-labour indicators, on the
public triage cases (../shared/reference/cases/triage.jsonl)."""

from __future__ import annotations

import random

import pytest

from tests.rules.helpers import load_cases
from vigil.errors import InputError
from vigil.inspections.findings import (
    MIGRATION_FACTS,
    MIGRATION_LABELS,
    OBSERVATIONS,
    VIOLATION_CATEGORIES,
    Observation,
    Violation,
    classify_interview,
    classify_visit,
    observation_checklist,
)


def cases() -> list[dict]:
    return load_cases("triage")


def without_migration(record: dict) -> dict:
    r = dict(record)
    r["facts"] = {k: v for k, v in (r.get("facts") or {}).items() if k not in MIGRATION_FACTS}
    return r


def expected_category(expect: dict) -> str:
    flags = set(expect["flags"])
    for label, cat in (
        ("TRAFFICKING", "trafficking"),
        ("FORCED_LABOUR", "forced_labour"),
        ("CHILD_LABOUR_WORST_FORM", "child_labour_worst_form"),
    ):
        if label in flags:
            return cat
    if expect["primary"].startswith("NEEDS_FURTHER_ASSESSMENT"):
        return "needs"
    if "CHILD_LABOUR" in flags:
        return "child_labour"
    if "LABOUR_VIOLATION" in flags:
        return "labour_violation"
    return "none"


@pytest.mark.parametrize("case", cases(), ids=lambda c: c["record"]["id"])
def test_public_triage_cases(case: dict) -> None:
    res = classify_interview(without_migration(case["record"]))
    want = expected_category(case["expect"])
    if want == "needs":
        assert res.category in ("forced_labour_indicators", "needs_further_assessment")
    else:
        assert res.category == want
    assert res.presumed_victim == (want in ("trafficking", "forced_labour", "child_labour_worst_form"))
    # the labels of the triage, less those about migration, which an inspection never shows
    assert list(res.flags) == [f for f in case["expect"]["flags"] if f not in MIGRATION_LABELS]
    assert not set(res.flags) & MIGRATION_LABELS
    # the determination is traceable: the deciding rule set, its version, its clause
    assert res.ruleset in res.determinations
    assert res.ruleset_version == res.determinations[res.ruleset]["version"]
    assert res.decided_by


def test_the_public_cases_cover_both_sides() -> None:
    cats = {classify_interview(without_migration(c["record"])).category for c in cases()}
    assert {"trafficking", "forced_labour", "labour_violation", "none"} <= cats


@pytest.mark.parametrize("case", cases(), ids=lambda c: c["record"]["id"])
def test_exploitative_conditions_alone_are_never_forced_labour(case: dict) -> None:
    """Keep only the EX answers (sub-standard conditions) of each case, every other indicator
    answered no and no facts: never a presumed victim; a labour violation when one is present."""
    rec = case["record"]
    age = max(rec["age"], 18)  # the EX list is the adults' Delphi list
    from vigil.rules import load_ruleset

    keys = (
        load_ruleset("ilo-ec-2009-adult-labour").record_keys()
        | load_ruleset("ilo-2012-forced-labour").record_keys()
    )
    inds = {k: False for k in keys if "." not in k}
    rng = random.Random(rec["id"])
    ex = sorted(k for k in inds if k.startswith("EX"))
    for k in rng.sample(ex, rng.randint(1, len(ex))):
        inds[k] = True
    res = classify_interview(
        {"id": rec["id"], "age": age, "indicators": inds, "facts": {"act": [], "means": [], "purpose": []}}
    )
    assert not res.presumed_victim
    assert res.category == "labour_violation"
    assert res.indicators == ()
    assert res.conditions


def test_migration_facts_are_refused() -> None:
    rec = {"id": "x", "age": 30, "indicators": {}, "facts": {"crossed_border": True}}
    with pytest.raises(InputError, match="does not record migration status") as err:
        classify_interview(rec)
    assert err.value.place == "facts.crossed_border"


def test_checklist_alone_is_a_reason_to_interview_not_a_determination() -> None:
    res = classify_interview({"id": "c", "indicators": {"ILO11.07": True, "ILO11.03": False}})
    assert res.category == "forced_labour_indicators"
    assert not res.presumed_victim
    assert res.ruleset == "ilo-11"
    assert res.indicators == ("ILO11.07",)
    none = classify_interview({"id": "c", "indicators": {"ILO11.07": False}})
    assert none.category == "none"


def test_full_interview_needs_an_age() -> None:
    with pytest.raises(InputError, match="needs the worker's age"):
        classify_interview({"id": "c", "indicators": {"PN02": True}})


def test_violations_alone_never_make_forced_labour() -> None:
    rng = random.Random(5)
    for _ in range(50):
        vs = [Violation(rng.choice(VIOLATION_CATEGORIES)) for _ in range(rng.randint(1, 30))]
        obs = [Observation("living_on_site"), Observation("pay_records_missing")]
        lv = classify_interview(
            {
                "id": "w",
                "age": 40,
                "indicators": {"EX01": True, "EX04": True},
                "facts": {"act": [], "means": [], "purpose": []},
            }
        )
        got = classify_visit(vs, obs, [lv])
        assert got.outcome == "labour_violations"
        assert got.presumed_victims == 0
        assert "forced_labour" not in got.finding_kinds
        assert got.violations["wages"] >= 1  # missing pay records are a wage-law violation
        assert sum(got.violations.values()) == len(vs) + 1


def test_observations_are_checklist_evidence() -> None:
    det = observation_checklist(
        [
            Observation("locked_doors"),
            Observation("documents_retained"),
            Observation("living_on_site"),
            Observation("guards", present=False),
        ]
    )
    assert det["ruleset"] == "ilo-11"
    assert det["outcome"] == "risk"
    assert det["fired"] == ["ILO11.03", "ILO11.07"]
    v = classify_visit([], [Observation("locked_doors")], [])
    assert v.outcome == "forced_labour_indicators"
    assert v.finding_kinds == ("indicator",)
    assert classify_visit([], [Observation("living_on_site")], []).outcome == "none"
    with pytest.raises(InputError, match="unknown observation"):
        Observation("immigration_papers")
    assert not any("migra" in k for k in OBSERVATIONS)


def test_a_presumed_victim_makes_the_visit_forced_labour() -> None:
    victim = classify_interview({"id": "v", "age": 30, "indicators": {"UR05": True, "D1.PN02": True}})
    assert victim.category == "forced_labour"
    assert victim.ruleset == "ilo-2012-forced-labour"
    got = classify_visit([Violation("hours")], [Observation("guards")], [victim])
    assert got.outcome == "forced_labour"
    assert got.violations == {"hours": 1}
    assert got.presumed_victims == 1
    assert got.finding_kinds.count("forced_labour") == 1
