from __future__ import annotations

import pytest

from vigil.supply.network import Edge, Network, Node, find_cycles
from vigil.supply.propagation import UNMAPPED, propagate


def net(nodes: dict[str, float], edges: list[tuple[str, str, float | None]]) -> Network:
    n = Network({k: Node(k, prior=v, place=f"n.csv, row {i}") for i, (k, v) in enumerate(nodes.items(), 2)})
    n.edges = [Edge(s, b, w) for s, b, w in edges]
    return n


def test_worked_example_of_section_4_3() -> None:
    g = net({"T1": 0.2, "T2a": 0.3, "T2b": 0.1, "T3": 0.9},
            [("T2a", "T1", 0.5), ("T2b", "T1", 0.5), ("T3", "T2a", 1.0)])
    res = propagate(g, attenuation=0.8)
    assert res["T2a"].risk == pytest.approx(0.72)
    assert res["T2a"].exposure == pytest.approx(0.804)
    assert res["T1"].risk == pytest.approx(0.576)
    # 1 - 0.8 * (1 - 0.4*0.804) * (1 - 0.4*0.1)
    assert res["T1"].exposure == pytest.approx(1 - 0.8 * (1 - 0.4 * 0.804) * (1 - 0.04))
    assert round(res["T1"].exposure, 2) == 0.48
    assert res["T1"].path == ("T1", "T2a", "T3")
    assert any("n.csv, row 5" in s for s in res["T1"].sources)
    assert res["T3"].path == ("T3",)


def test_unmapped_share_raises_risk_never_lowers() -> None:
    g = net({"B": 0.1, "A": 0.2}, [("A", "B", 0.6)])
    res = propagate(g, attenuation=0.8, unknown_prior=0.5)
    assert res["B"].unmapped == pytest.approx(0.4)
    assert res["B"].risk == pytest.approx(0.4)  # d*unknown_prior beats 0.1 and d*0.2
    assert res["B"].path == ("B", UNMAPPED)
    assert res["B"].exposure == pytest.approx(1 - 0.9 * (1 - 0.8 * 0.6 * 0.2) * (1 - 0.8 * 0.4 * 0.5))
    full = propagate(net({"B": 0.1, "A": 0.2}, [("A", "B", 1.0)]))
    assert res["B"].exposure > full["B"].exposure


def test_cycle_least_fixed_point_by_hand() -> None:
    # A <-> B, each all of the other's input except B also buys 0.5 from S (0.9); d = 0.5
    g = net({"A": 0.0, "B": 0.0, "S": 0.9}, [("B", "A", 1.0), ("A", "B", 0.5), ("S", "B", 0.5)])
    assert find_cycles(g) == [["A", "B"]]
    res = propagate(g, attenuation=0.5)
    assert res["B"].risk == pytest.approx(0.45)
    assert res["A"].risk == pytest.approx(0.225)
    assert res["A"].path == ("A", "B", "S")
    # E_B = 1 - (1 - 0.25 E_A)(1 - 0.225), E_A = 0.5 E_B  -> solve the linear pair
    eb = (1 - 0.775) / (1 - 0.775 * 0.125)
    assert res["B"].exposure == pytest.approx(eb)
    assert res["A"].exposure == pytest.approx(0.5 * eb)


def test_small_input_from_forced_labour_source_not_diluted() -> None:
    g = net({"C": 0.0, "X": 0.95, "Y": 0.05}, [("X", "C", 0.01), ("Y", "C", 0.99)])
    res = propagate(g, attenuation=0.8)
    assert res["C"].risk == pytest.approx(0.76)
    assert res["C"].exposure < 0.1


def test_links_without_share_split_the_rest_equally() -> None:
    g = net({"B": 0.0, "X": 0.5, "Y": 0.5, "Z": 0.5}, [("X", "B", 0.4), ("Y", "B", None), ("Z", "B", None)])
    res = propagate(g, attenuation=1.0)
    assert res["B"].unmapped == 0.0
    assert res["B"].exposure == pytest.approx(1 - (1 - 0.4 * 0.5) * (1 - 0.3 * 0.5) ** 2)
    assert res["B"].risk == 0.5 and res["B"].path == ("B", "X")
