"""Bad records and bad rule sets give clear errors naming the place."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from vigil.errors import InputError, RuleSetError
from vigil.rules import assess, load_file, load_ruleset
from vigil.rules.triage import triage

ADULT = "ilo-ec-2009-adult-labour"


@pytest.mark.parametrize(
    ("record", "place", "message"),
    [
        ({"id": "r1", "indicators": {"XX99": True}}, "record 'r1', key indicators.XX99", "unknown indicator"),
        ({"id": "r2", "indicators": {"DR01": "yes"}}, "record 'r2', key indicators.DR01", "not true, false"),
        ({"id": "r3", "indicators": {"DR01": 1}}, "record 'r3', key indicators.DR01", "not true, false"),
        ({"id": "r4", "age": 130}, "record 'r4', key age", "outside 0-120"),
        ({"id": "r5", "age": "12"}, "record 'r5', key age", "must be a number"),
        ({"id": "r6", "age": True}, "record 'r6', key age", "must be a number"),
        ({"id": "r7", "facts": {"colour": "red"}}, "record 'r7', key facts.colour", "unknown fact"),
        ({"id": "r8", "facts": {"act": ["kidnapped"]}}, "record 'r8', key facts.act", "unknown value"),
        ({"id": "r9", "facts": {"act": "recruited"}}, "record 'r9', key facts.act", "must be a list"),
        ({"id": "r10", "indicators": ["DR01"]}, "record 'r10', key indicators", "must be an object"),
        ({"id": "r12", "facts": {"hours_per_week": 500}}, "record 'r12', key facts.hours_per_week",
         "outside"),
    ],
)
def test_bad_records(record: dict[str, Any], place: str, message: str) -> None:
    with pytest.raises(InputError) as info:
        assess(load_ruleset(ADULT), record)
    assert info.value.place == place
    assert message in info.value.message


def test_child_list_rejects_adult_only_indicators() -> None:
    with pytest.raises(InputError, match="unknown indicator") as info:
        assess(load_ruleset("ilo-ec-2009-child-labour"), {"id": "c", "indicators": {"VR07": True}})
    assert info.value.place == "record 'c', key indicators.VR07"
    with pytest.raises(InputError, match="not in the child list"):
        triage({"id": "c", "age": 10, "indicators": {"EX06": False}})


def test_triage_requires_age() -> None:
    with pytest.raises(InputError, match="needs an age") as info:
        triage({"id": "t", "facts": {}})
    assert info.value.place == "record 't', key age"


def test_forced_labour_scope_only_on_penalties() -> None:
    with pytest.raises(InputError):
        assess(load_ruleset("ilo-2012-forced-labour"), {"id": "f", "indicators": {"D1.UR01": True}})


def test_not_a_record() -> None:
    with pytest.raises(InputError, match="JSON object"):
        assess(load_ruleset(ADULT), ["DR01"])


def test_unknown_ruleset_and_parameter() -> None:
    with pytest.raises(RuleSetError, match="unknown rule set 'nope'"):
        load_ruleset("nope")
    with pytest.raises(RuleSetError, match="unknown parameter 'min_agee'"):
        load_ruleset("c138-c182", {"min_agee": 14})
    with pytest.raises(RuleSetError, match="policy 'lenient' is not one of"):
        load_ruleset("ilo-ec-2009-child-labour", {"policy": "lenient"})


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, "utf-8")
    return p


def test_malformed_ruleset_files(tmp_path: Path) -> None:
    with pytest.raises(RuleSetError, match="invalid YAML") as info:
        load_file(write(tmp_path, "bad.yaml", "id: x\nindicators: [\n"))
    assert info.value.place is not None and info.value.place.startswith("bad.yaml, line")
    with pytest.raises(RuleSetError, match="missing key 'version'"):
        load_file(write(tmp_path, "a.yaml", "id: a\ntitle: t\nsource: s\nverified: true\nindicators: []\n"))
    base = "id: b\nversion: '1'\ntitle: t\nsource: s\nverified: true\n"
    with pytest.raises(RuleSetError, match="grade 'X'"):
        load_file(write(tmp_path, "b.yaml", base + "indicators: [{id: A, dimension: D, grade: X}]\n"
                        "decision: {indicator: A}\n"))
    with pytest.raises(RuleSetError, match="unknown indicator 'B'"):
        load_file(write(tmp_path, "c.yaml", base + "indicators: [{id: A, dimension: D}]\n"
                        "decision: {indicator: B}\n"))
    with pytest.raises(RuleSetError, match="unknown expression"):
        load_file(write(tmp_path, "d.yaml", base + "indicators: [{id: A, dimension: D}]\n"
                        "decision: {maybe: A}\n"))


def test_jurisdiction_file_extends_a_shipped_ruleset(tmp_path: Path) -> None:
    text = (
        "id: xk-delphi\nextends: ilo-ec-2009-adult-labour\nversion: '2009.1-xk'\n"
        "title: national variant\nverified: false\n"
        "override_indicators: {VR15: {grade: M}, VR16: {grade: M}}\n"
    )
    rs = load_file(write(tmp_path, "xk.yaml", text))
    rec = {"id": "v", "indicators": {"VR01": True, "VR15": True, "VR16": True}}
    assert assess(rs, rec, "absent").to_dict()["dimensions"]["VR"] == "positive"  # 3M
    assert assess(load_ruleset(ADULT), rec, "absent").to_dict()["dimensions"]["VR"] == "negative"
    assert rs.version == "2009.1-xk" and rs.extends == ADULT
    bad = text.replace("VR15: {grade: M}", "ZZ01: {grade: M}")
    with pytest.raises(RuleSetError, match="cannot override unknown indicator ZZ01"):
        load_file(write(tmp_path, "xk2.yaml", bad))


def test_descriptive_keys_are_accepted_and_never_raise_an_outcome() -> None:
    rs = load_ruleset("palermo-2000")
    plain = {"id": "d", "age": 24, "facts": {"act": ["transported"], "means": [], "purpose": []}}
    described = {**plain, "sex": "F", "facts": {**plain["facts"], "occupation": "sex work",
                                                  "nationality": "NGA", "migration_status": "irregular"}}
    assert assess(rs, described).to_json() == assess(rs, plain).to_json()
    assert triage(described)["primary"] == triage(plain)["primary"] == "NONE"
