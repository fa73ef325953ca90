"""``rank_candidates``: registry entries for a free-text mention of a recruiter (a case's
"employer or recruiter" field), on the synthetic registry with known duplicates."""

from __future__ import annotations

import pytest

from vigil.recruitment.names import Party, rank_candidates, synthetic_agencies


@pytest.mark.parametrize(
    ("before", "after", "top1", "top3"), [("", "", 0.9, 0.97), ("the agent of ", " in town", 0.8, 0.9)]
)
def test_the_true_entry_comes_first_or_in_the_three(
    before: str, after: str, top1: float, top3: float
) -> None:
    registry, names, truth = synthetic_agencies(2000, 200, seed=0)
    first = three = total = 0
    for p in names:
        if p.id not in truth:
            continue
        total += 1
        got = [c.id for c in rank_candidates(before + p.name + after, registry, country=p.country)]
        first += got[:1] == [truth[p.id]]
        three += truth[p.id] in got
    assert total >= 100
    assert first / total >= top1 and three / total >= top3, (first / total, three / total)


def test_order_cutoff_and_country() -> None:
    reg = [
        Party("1", "Sunshine Manpower Services", "NPL"),
        Party("2", "Sunrise Manpower Pvt Ltd", "NPL"),
        Party("3", "Sunrise Manpower Pvt Ltd", "MDA"),
    ]
    got = rank_candidates("Mr Sharma, Sunrise Manpower", reg, country="NPL")
    assert [c.id for c in got] == ["2", "3", "1"] and got[0].score > got[2].score
    assert rank_candidates("Mr Sharma, Sunrise Manpower", reg, country="MDA")[0].id == "3"
    assert rank_candidates("a cousin in Lyon", reg) == [] and rank_candidates("", reg) == []
    assert len(rank_candidates("Sunrise Manpower", reg, limit=1)) == 1
