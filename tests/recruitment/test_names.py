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


# --- pairs within one registry (the review queue) -------------------------------------------------


def test_pairs_within_one_list_each_pair_once_same_country() -> None:
    from vigil.recruitment.names import pairs_within

    parties = [
        Party("1", "Sunrise Manpower Pvt Ltd", "NPL"),
        Party("2", "SUNRISE MANPOWER PRIVATE LIMITED", "NPL"),
        Party("3", "Sunrise Manpower", "MDA"),  # another country: never paired with 1 or 2
        Party("4", "Himal Gulf Link", "NPL"),
        Party("5", "Sunrize Manpower", "NPL"),
        Party("6", "Ltd", "NPL"),
    ]
    pairs = pairs_within(parties, match_at=95, review_at=75)
    got = {(p.a, p.b): p for p in pairs}
    assert set(got) == {("1", "2"), ("1", "5"), ("2", "5")}
    assert got[("1", "2")].decision == "match" and got[("1", "2")].score == 100
    assert got[("1", "5")].decision == "review" and 75 <= got[("1", "5")].score < 95
    assert [p.score for p in pairs] == sorted((p.score for p in pairs), reverse=True)
    assert {(p.a, p.b) for p in pairs_within(parties, by_country=False)} >= {("1", "3"), ("2", "3")}
    with pytest.raises(ValueError):
        pairs_within(parties, match_at=70, review_at=80)


def test_pairs_within_find_the_known_duplicates() -> None:
    """A registry that holds noisy copies of some of its entries: the pairs found include nearly
    every true duplicate pair, and the ``match`` ones are nearly all true."""
    from vigil.recruitment.names import pairs_within

    registry, names, truth = synthetic_agencies(800, 600, seed=5)
    merged = registry + names
    pairs = pairs_within(merged, chunk=16)  # blocks of about 70 names: several chunks each
    assert {(p.a, p.b) for p in pairs} == {(p.a, p.b) for p in pairs_within(merged)}
    true_pairs = {tuple(sorted(t)) for t in truth.items()}
    found = {tuple(sorted((p.a, p.b))) for p in pairs}
    assert len(found & true_pairs) / len(true_pairs) >= 0.90
    matched = [tuple(sorted((p.a, p.b))) for p in pairs if p.decision == "match"]
    # two noisy copies of one registry entry are the same agency too
    same = {r: {r} for r in {r.id for r in registry}}
    for n, r in truth.items():
        same[r].add(n)
    group = {x: r for r, xs in same.items() for x in xs}
    correct = sum(1 for a, b in matched if group.get(a, a) == group.get(b, b))
    assert correct / len(matched) >= 0.95
