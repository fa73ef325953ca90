"""Screening a polars/Arrow table gives what screening each row as a record gives."""

from __future__ import annotations

import polars as pl
import pytest

from vigil.errors import InputError
from vigil.rules import assess, assess_columns, load_ruleset
from vigil.rules.columnar import columns_from_frame

from .helpers import load_cases


@pytest.mark.parametrize("ruleset_id", ["ilo-ec-2009-adult-labour", "ilo-2012-forced-labour"])
def test_frame_equals_records(ruleset_id: str) -> None:
    rs = load_ruleset(ruleset_id)
    records = [c["record"] for c in load_cases(ruleset_id)]
    keys = sorted({k for r in records for k in r["indicators"]})
    frame = pl.DataFrame({
        "id": [r["id"] for r in records],
        "age": [r.get("age") for r in records],
        **{k: pl.Series(k, [r["indicators"].get(k) for r in records], dtype=pl.Boolean) for k in keys},
    })
    # a key a record lacks is a null in the table (unknown): make the records say the same
    as_records = [{**r, "indicators": {k: r["indicators"].get(k) for k in keys}} for r in records]
    from_frame = [d.to_json() for d in assess_columns(rs, columns_from_frame(frame, rs.record_keys()))]
    from_arrow = [d.to_json() for d in assess_columns(rs, columns_from_frame(frame.to_arrow(),
                                                                             rs.record_keys()))]
    assert from_frame == from_arrow == [assess(rs, r).to_json() for r in as_records]


def test_list_and_bool_facts_from_a_frame() -> None:
    rs = load_ruleset("palermo-2000")
    frame = pl.DataFrame({
        "age": [16, 30, None],
        "facts.act": [["recruited"], ["recruited"], None],
        "facts.means": [[], ["deception"], []],
        "facts.purpose": [["forced_labour_or_services"]] * 3,
    })
    outcomes = [d.outcome for d in assess_columns(rs, columns_from_frame(frame, rs.record_keys()))]
    assert outcomes == ["positive", "positive", "insufficient"]


def test_bad_frames() -> None:
    keys = load_ruleset("ilo-ec-2009-adult-labour").record_keys()
    with pytest.raises(InputError, match="unknown indicator") as info:
        columns_from_frame(pl.DataFrame({"ZZ01": [True]}), keys)
    assert info.value.place == "column ZZ01"
    with pytest.raises(InputError, match="not 0, 1 or null"):
        columns_from_frame(pl.DataFrame({"DR01": [0, 2]}), keys)
    with pytest.raises(InputError, match="not boolean"):
        columns_from_frame(pl.DataFrame({"DR01": ["yes"]}), keys)
    with pytest.raises(InputError, match="outside 0-120"):
        columns_from_frame(pl.DataFrame({"age": [130]}), keys)
    with pytest.raises(InputError, match="unknown value 'kidnapped'"):
        columns_from_frame(pl.DataFrame({"facts.act": [["kidnapped"]]}), keys)
