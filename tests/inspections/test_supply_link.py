"""A workplace matched to a supplier or facility of the supply register: by registration number,
else by name at or above the threshold; the highest value wins; the note says how."""

from __future__ import annotations

from vigil.inspections.supply_link import Candidate, match_workplaces

MILL = Candidate(
    "1",
    "Sunrise Spinning Mill Pvt Ltd",
    "REG-77",
    risk=0.8,
    exposure=0.3,
    path=("Sunrise Spinning Mill Pvt Ltd", "Cotton Gin"),
)
DYE = Candidate("2", "Blue Dye House", "", risk=0.4, exposure=0.6)


def test_by_registration_then_by_name():
    got = match_workplaces(
        [
            ("a", "Anything", "reg-77"),
            ("b", "sunrise spinning mill", ""),
            ("c", "Blue Dye", ""),
            ("d", "", ""),
        ],
        [MILL, DYE],
    )
    assert got["a"].value == 0.8 and "matched by registration number" in got["a"].note
    assert "path Sunrise Spinning Mill Pvt Ltd -> Cotton Gin" in got["a"].note
    assert got["b"].value == 0.8 and "matched by name" in got["b"].note
    assert "c" not in got and "d" not in got  # "Blue Dye" is below the threshold


def test_the_measure_and_the_threshold_are_the_weights():
    got = match_workplaces([("c", "Blue Dye", "")], [MILL, DYE], measure="exposure", match_at=70)
    assert got["c"].value == 0.6 and got["c"].note.startswith("exposure of 'Blue Dye House'")
    assert match_workplaces([("c", "Blue Dye", "")], []) == {}
