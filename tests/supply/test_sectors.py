from __future__ import annotations

import pytest

from vigil.errors import InputError
from vigil.supply.network import Node
from vigil.supply.priors import UNLISTED, node_prior
from vigil.supply.sectors import FILE, VERSION, parse, sector_prior, shipped, split_code


def test_shipped_table_names_a_seed_line_for_every_prior() -> None:
    rows = shipped()
    assert {r.isic for r in rows} >= {"A01", "A03", "B", "C14", "F", "T97"}
    for r in rows:
        assert r.seed.endswith(".txt") and r.seed_line > 0 and r.quote
        assert 0 < r.value <= 1
        assert f"{FILE}, row {r.row}" in r.source and VERSION in r.source


@pytest.mark.parametrize(("code", "want"), [
    ("C14", ("C", 14)), ("14", ("C", 14)), ("1410", ("C", 14)), ("c1410", ("C", 14)),
    ("F", ("F", None)), ("A01", ("A", 1)), ("Z", None), ("B14", None), ("garment", None), ("7", None),
])
def test_isic_codes(code: str, want: tuple[str, int | None] | None) -> None:
    assert split_code(code) == want


def test_division_before_section_and_labels() -> None:
    assert sector_prior("1410").isic == "C14"  # type: ignore[union-attr]
    assert sector_prior("C25").isic == "C"  # type: ignore[union-attr]  # other manufacturing: the section
    assert sector_prior("Garment").isic == "C14"  # type: ignore[union-attr]
    assert sector_prior("J62") is None and sector_prior("software") is None


def test_node_with_sector_and_country_gets_the_sector_prior_naming_its_row() -> None:
    p = node_prior(Node("G", country="FRA", sector="C14", place="n.csv, row 2"))
    row = next(r for r in shipped() if r.isic == "C14")
    assert p.value == row.value and p.sources == (row.source,)
    assert "seed 004_1b00e15cdee05cf8.txt, line 137" in p.sources[0]
    # a sector the seeds do not name keeps the unlisted prior
    assert node_prior(Node("S", country="FRA", sector="J62")).value == UNLISTED


def test_tvpra_listing_above_the_sector_prior_wins_and_a_given_prior_beats_both() -> None:
    cotton = node_prior(Node("C", country="TKM", sector="A01", good="Cotton"))
    assert cotton.value == 0.9 and "Cotton, Turkmenistan" in cotton.sources[0]
    # a division is not joined with the list's coarse sectors (no dried fish for a garment maker)
    garment = node_prior(Node("G", country="BGD", sector="C14"))
    assert garment.value == next(r for r in shipped() if r.isic == "C14").value
    # a section letter is: the list's manufacturing rows of Bangladesh
    assert node_prior(Node("M", country="BGD", sector="C")).value == 0.9
    assert node_prior(Node("P", country="BGD", sector="C14", prior=0.05, place="n.csv, row 2")).value == 0.05


def test_no_country_means_unknown_not_the_sector() -> None:
    assert node_prior(Node("X", sector="C14"), unknown_prior=0.5).value == 0.5


def test_bad_table_is_refused_naming_row_and_column() -> None:
    head = "isic,label,prior,seed,seed_line,quote\n"
    with pytest.raises(InputError, match=r"t.csv, row 2, column isic: not an ISIC"):
        parse(head + "Q99,x,0.4,s.txt,1,q\n", "t.csv")
    with pytest.raises(InputError, match=r"t.csv, row 3, column prior: 1.5 is outside"):
        parse(head + "A01,a,0.4,s.txt,1,q\nF,f,1.5,s.txt,2,q\n", "t.csv")
    with pytest.raises(InputError, match=r"t.csv, row 1: missing column quote"):
        parse("isic,label,prior,seed,seed_line\n", "t.csv")
