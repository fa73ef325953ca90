"""Every public screening case of ../shared/reference/cases passes, in both evaluation modes."""

from __future__ import annotations

import pytest

from vigil.rules import assess, assess_many, load_ruleset
from vigil.rules.triage import triage, triage_many

from .helpers import load_cases

RULESET_FILES = ["ilo-ec-2009-adult-labour", "ilo-ec-2009-child-labour", "ilo-2012-forced-labour",
                 "c138-c182"]


@pytest.mark.parametrize("ruleset_id", RULESET_FILES)
def test_reference_cases(ruleset_id: str) -> None:
    rs = load_ruleset(ruleset_id)
    cases = load_cases(ruleset_id)
    assert len(cases) >= 20
    batch = list(assess_many(rs, [c["record"] for c in cases]))
    for case, from_batch in zip(cases, batch, strict=True):
        single = assess(rs, case["record"]).to_dict()
        for key, expected in case["expect"].items():
            assert single[key] == expected, (case["record"]["id"], key, single["decided_by"])
        assert from_batch.to_json() == assess(rs, case["record"]).to_json()


def test_triage_reference_cases() -> None:
    cases = load_cases("triage")
    batch = list(triage_many([c["record"] for c in cases]))
    for case, from_batch in zip(cases, batch, strict=True):
        single = triage(case["record"])
        for key, expected in case["expect"].items():
            assert single[key] == expected, (case["record"]["id"], key)
        assert from_batch == single
