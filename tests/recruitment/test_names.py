"""Agency name normalisation and matching on synthetic names with known duplicates."""

from __future__ import annotations

import pytest

from vigil.recruitment.names import Party, match, normalise_name, synthetic_agencies


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Sunrise Manpower Ltd", "SUNRISE MANPOWER LIMITED"),
        ("Étoile Recrutement S.A.R.L.", "etoile recrutement sarl"),
        ("Atlas Overseas Pvt. Ltd.", "Overseas Atlas"),
        ("Golden-Gate Staffing, LLC", "golden gate staffing"),
        ("Nordfrucht GmbH", "Nordfrucht"),
        ("Agence Océan S.A.", "agence ocean sa"),
        ("Baraka & Sons SRL", "Baraka and Sons"),
        ("Шевченко Кадры ООО", "Shevchenko Kadry"),
    ],
)
def test_normalisation_equates_variants(a: str, b: str) -> None:
    assert normalise_name(a) == normalise_name(b)


def test_match_decisions_and_country_blocking() -> None:
    registry = [
        Party("R1", "Sunrise Manpower Ltd", "NPL"),
        Party("R2", "Sunrise Manpower Ltd", "PHL"),
        Party("R3", "Atlas Overseas SARL", "MAR"),
    ]
    names = [
        Party("a", "SUNRISE MAN-POWER LIMITED", "PHL"),
        Party("b", "Atlas Overseaz Group", "MAR"),
        Party("c", "Completely Different", "NPL"),
        Party("d", "Atlas Overseas", "NPL"),
    ]
    got = {r.id: r for r in match(names, registry)}
    assert got["a"].match_id == "R2" and got["a"].decision == "match"
    assert got["b"].decision == "review" and got["b"].match_id == "R3"
    assert got["c"].decision == "no_match" and got["c"].match_id is None
    assert got["d"].decision == "no_match"  # same name, other country: blocked
    assert {r.id for r in match(names, registry, by_country=False) if r.decision == "match"} >= {"a", "d"}
    with pytest.raises(ValueError):
        match(names, registry, match_at=50, review_at=80)


def test_precision_and_recall_on_synthetic_names() -> None:
    registry, names, truth = synthetic_agencies(3000, 6000, seed=11)
    results = match(names, registry)
    tp = sum(1 for r in results if r.decision == "match" and truth.get(r.id) == r.match_id)
    fp = sum(1 for r in results if r.decision == "match" and truth.get(r.id) != r.match_id)
    assert tp / (tp + fp) >= 0.95
    assert tp / len(truth) >= 0.90


def test_generator_is_reproducible_and_has_known_duplicates() -> None:
    a = synthetic_agencies(200, 300, seed=3)
    assert a == synthetic_agencies(200, 300, seed=3)
    registry, names, truth = a
    assert len(registry) == 200 and len(names) == 300 and 150 <= len(truth) <= 260
    ids = {r.id for r in registry}
    assert set(truth.values()) <= ids
