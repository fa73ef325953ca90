from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import Workbook

from vigil.errors import InputError
from vigil.supply.countries import to_alpha3
from vigil.supply.network import Node, find_cycles, read_network
from vigil.supply.priors import FORCED, UNLICENSED, UNLISTED, node_prior
from vigil.supply.tvpra import build_normalised, shipped_tvpra

REFERENCE = Path("/work/shared/reference/supplychain/ilab_tvpra_goods_list.csv")
if not REFERENCE.exists():  # CI lays shared/ beside the clone
    REFERENCE = Path(__file__).resolve().parents[3] / "shared/reference/supplychain/ilab_tvpra_goods_list.csv"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


NODES = "id,name,kind,prior,country\nC,Co,company,,\nA,Alpha,supplier,0.3,BGD\nB,Beta,supplier,,Burma\n"


def test_read_network_normalises_countries_and_keeps_places(tmp_path: Path) -> None:
    n = write(tmp_path / "n.csv", NODES)
    e = write(tmp_path / "e.csv", "supplier,buyer,share\nA,C,0.6\nB,C,0.4\n")
    net = read_network(n, e)
    assert net.nodes["B"].country == "MMR"
    assert net.nodes["A"].prior == 0.3
    assert [x.place for x in net.edges] == ["e.csv, row 2", "e.csv, row 3"]


@pytest.mark.parametrize(
    ("edges", "message"),
    [
        ("supplier,buyer,share\nA,C,0.6\nZ,C,0.1\n", "e.csv, row 3, column supplier: unknown id 'Z'"),
        ("supplier,buyer,share\nA,C,1.5\n", "e.csv, row 2, column share: 1.5 is outside 0..1"),
        ("supplier,buyer,share\nA,C,0.6\nB,C,0.5\n",
         "e.csv, row 3, column share: the input shares of 'C' sum to 1.1"),
        ("supplier,buyer,share\nA,C,x\n", "e.csv, row 2, column share: not a number"),
        ("supplier,buyer,share\nA,C,0.5\nA,C,0.1\n", "e.csv, row 3: duplicate link A -> C"),
        ("supplier,share\nA,0.5\n", "e.csv, row 1: missing column buyer"),
    ],
)
def test_bad_links_name_file_row_column(tmp_path: Path, edges: str, message: str) -> None:
    n = write(tmp_path / "n.csv", NODES)
    e = write(tmp_path / "e.csv", edges)
    with pytest.raises(InputError) as err:
        read_network(n, e)
    assert str(err.value).startswith(message)


def test_shares_summing_to_one_within_tolerance_pass(tmp_path: Path) -> None:
    n = write(tmp_path / "n.csv", NODES)
    e = write(tmp_path / "e.csv", "supplier,buyer,share\nA,C,0.7\nB,C,0.3000000000001\n")
    assert len(read_network(n, e).edges) == 2


def test_bad_nodes(tmp_path: Path) -> None:
    for text, message in [
        ("id,country\nA,Atlantis\n", "n.csv, row 2, column country: unknown country"),
        ("id,kind\nA,boss\n", "n.csv, row 2, column kind: unknown kind"),
        ("id,prior\nA,0.2\nA,0.3\n", "n.csv, row 3, column id: duplicate id 'A'"),
        ("id,prior\nA,-1\n", "n.csv, row 2, column prior: -1 is outside 0..1"),
        ("id,evidence_date\nA,yesterday\n", "n.csv, row 2, column evidence_date: not an ISO date"),
    ]:
        with pytest.raises(InputError) as err:
            read_network(write(tmp_path / "n.csv", text))
        assert str(err.value).startswith(message)


def test_xlsx_import_names_sheet_and_row(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "nodes"
    rows = (["id", "kind", "prior"], ["C", "company", None], ["A", "supplier", 0.4], ["B", "supplier", 2])
    for row in rows:
        ws.append(row)
    wb.save(tmp_path / "n.xlsx")
    with pytest.raises(InputError) as err:
        read_network(tmp_path / "n.xlsx")
    assert str(err.value).startswith("n.xlsx, sheet nodes, row 4, column prior")
    ws.delete_rows(4)
    wb.save(tmp_path / "n.xlsx")
    net = read_network(tmp_path / "n.xlsx")
    assert net.nodes["A"].prior == 0.4 and net.nodes["C"].kind == "company"


def test_cycles_found() -> None:
    from vigil.supply.network import Edge, Network

    net = Network({k: Node(k) for k in "ABCD"})
    net.edges = [Edge("A", "B", 1), Edge("B", "C", 1), Edge("C", "A", 1), Edge("C", "D", 1)]
    assert find_cycles(net) == [["A", "B", "C"]]


def test_shipped_tvpra_is_the_reference_normalised_with_source_rows() -> None:
    ref = list(csv.DictReader(REFERENCE.open(encoding="utf-8")))
    shipped = shipped_tvpra()
    assert len(shipped) == len(ref) == 467
    for row, listed in zip(ref, shipped, strict=True):
        assert ref[listed.source_row - 2] is row
        assert listed.good == row["good"] and listed.country == row["country"]
        assert listed.forced_labor == (row["forced_labor"] == "Yes")
        assert len(listed.iso3) == 3
    shipped_text = (Path(__file__).resolve().parents[2] / "src/vigil/supply/data/tvpra_2022.csv").read_text()
    assert build_normalised(REFERENCE) == shipped_text
    codes = {r.iso3 for r in shipped}
    assert {"MMR", "COD", "CIV", "TUR", "PRK", "KGZ"} <= codes and len(codes) == 78


def test_country_names() -> None:
    assert to_alpha3("Côte d'Ivoire") == "CIV"
    assert to_alpha3("Congo, Democratic Republic of the") == "COD"
    assert to_alpha3("bd") == "BGD"
    assert to_alpha3("vnm") == "VNM"
    with pytest.raises(InputError):
        to_alpha3("Narnia")


def test_priors_name_their_source_row() -> None:
    cotton = node_prior(Node("X", country="TKM", good="cotton", place="n.csv, row 2"))
    assert cotton.value == FORCED
    row = next(r for r in shipped_tvpra() if r.good == "Cotton" and r.iso3 == "TKM")
    assert any(f"row {row.source_row} (Cotton, Turkmenistan)" in s for s in cotton.sources)
    assert node_prior(Node("Y", country="FRA", good="Cotton")).value == UNLISTED
    rec = node_prior(Node("R", kind="recruiter", prior=0.2, licence="expired", place="n.csv, row 3"))
    assert rec.value == UNLICENSED
    assert rec.sources[-1] == "recruiter licence expired (n.csv, row 3, column licence)"
    assert node_prior(Node("U")).value == 0.5
    assert node_prior(Node("U"), unknown_prior=0.9).value == 0.9


def test_sector_prior_takes_the_worst_listed_good_of_that_sector() -> None:
    rows = [r for r in shipped_tvpra() if r.iso3 == "COD" and r.sector == "Mining"]
    assert rows
    prior = node_prior(Node("M", country="COD", sector="mining"))
    forced = [r for r in rows if r.forced_labor or r.forced_child_labor]
    assert prior.value == (FORCED if forced else 0.6)
    assert len(prior.sources) == len(forced or rows)
    assert all("(" in s and ", Congo, Democratic Republic of the)" in s for s in prior.sources)
