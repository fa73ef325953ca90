"""Property: batch mode and single-record mode give the same JSON, byte for byte."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vigil.rules import assess, assess_many, load_ruleset
from vigil.rules.records import fact_specs
from vigil.rules.triage import triage, triage_many

TRUTH = st.sampled_from([True, False, None])
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def indicator_maps(keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    if not keys:
        return st.just({})
    return st.dictionaries(st.sampled_from(keys), TRUTH, max_size=len(keys))


def facts_strategy() -> st.SearchStrategy[dict[str, Any]]:
    specs = fact_specs()
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for name, spec in specs.items():
        if spec.type == "bool":
            fields[name] = TRUTH
        elif spec.type == "list":
            fields[name] = st.one_of(st.none(), st.lists(st.sampled_from(spec.values), unique=True))
        else:
            fields[name] = st.one_of(st.none(), st.integers(0, 60))
    return st.fixed_dictionaries({}, optional=fields)


def records(
    keys: list[str], min_age: int = 0, age_optional: bool = True
) -> st.SearchStrategy[dict[str, Any]]:
    age = st.one_of(st.integers(min_age, 90), st.floats(min_age, 90, allow_nan=False))
    if age_optional:
        age = st.one_of(st.none(), age)
    return st.builds(
        lambda i, a, ind, f: {"id": f"h-{i}", "age": a, "indicators": ind, "facts": f},
        st.integers(0, 10_000), age, indicator_maps(keys), facts_strategy(),
    )


def _check(rs_id: str, recs: list[dict[str, Any]], missing: str, **params: Any) -> None:
    rs = load_ruleset(rs_id, params or None)
    batch = [d.to_json() for d in assess_many(rs, recs, missing)]
    single = [assess(rs, r, missing).to_json() for r in recs]
    assert batch == single


RULESETS = ["ilo-ec-2009-adult-labour", "ilo-ec-2009-child-labour", "ilo-2012-forced-labour", "ilo-11",
            "palermo-2000", "c138-c182", "fair-recruitment-2019"]


@SETTINGS
@given(data=st.data(), missing=st.sampled_from(["unknown", "absent"]))
def test_every_ruleset_batch_equals_single(data: st.DataObject, missing: str) -> None:
    for rs_id in RULESETS:
        keys = sorted(load_ruleset(rs_id).record_keys())
        recs = data.draw(st.lists(records(keys), min_size=1, max_size=12))
        _check(rs_id, recs, missing)


@SETTINGS
@given(data=st.data())
def test_child_policy_and_params_batch_equals_single(data: st.DataObject) -> None:
    keys = sorted(load_ruleset("ilo-ec-2009-child-labour").record_keys())
    recs = data.draw(st.lists(records(keys), min_size=1, max_size=10))
    _check("ilo-ec-2009-child-labour", recs, "unknown", policy="delphi_strict")
    recs = data.draw(st.lists(records([]), min_size=1, max_size=10))
    _check("c138-c182", recs, "unknown", hazardous_exception=True, min_age=14)


@SETTINGS
@given(data=st.data())
def test_triage_batch_equals_single(data: st.DataObject) -> None:
    adult = sorted(load_ruleset("ilo-ec-2009-adult-labour").record_keys())
    child = sorted(load_ruleset("ilo-ec-2009-child-labour").record_keys())
    fl = sorted(load_ruleset("ilo-2012-forced-labour").record_keys())
    adults = records(adult + fl, min_age=18, age_optional=False)
    children = records(child + fl, age_optional=False).filter(lambda r: r["age"] < 18)
    recs = data.draw(st.lists(st.one_of(adults, children), min_size=1, max_size=10))
    assert list(triage_many(recs)) == [triage(r) for r in recs]
