from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


def reference(g: Network, d: float, unknown: float) -> tuple[dict[str, float], dict[str, float]]:
    """The equations iterated over every node at once from R = E = p until nothing moves: no
    components, no levels, no order."""
    p = {k: float(v.prior or 0.0) for k, v in g.nodes.items()}
    ins: dict[str, list[tuple[str, float]]] = {k: [] for k in g.nodes}
    m: dict[str, float] = dict.fromkeys(g.nodes, 0.0)
    for k in g.nodes:
        edges = [e for e in g.edges if e.buyer == k]
        known = sum(e.share for e in edges if e.share is not None)
        blank = [e for e in edges if e.share is None]
        rest = max(0.0, 1.0 - known)
        ins[k] = [(e.supplier, e.share if e.share is not None else rest / len(blank)) for e in edges]
        m[k] = rest if edges and not blank and rest > 1e-9 else 0.0
    r, ex = dict(p), dict(p)
    for _ in range(100_000):
        nr, ne = {}, {}
        for k in g.nodes:
            nr[k] = max([r[k], p[k]] + ([d * unknown] if m[k] else []) + [d * r[u] for u, _ in ins[k]])
            prod = 1.0 - d * m[k] * unknown
            for u, w in ins[k]:
                prod *= 1.0 - d * w * ex[u]
            ne[k] = max(ex[k], 1.0 - (1.0 - p[k]) * prod)
        moved = max(max(nr[k] - r[k], ne[k] - ex[k]) for k in g.nodes)
        r, ex = nr, ne
        if moved <= 1e-14:
            break
    return r, ex


@st.composite
def graphs(draw: st.DrawFn) -> tuple[Network, float, float]:
    size = draw(st.integers(1, 9))
    names = [f"n{i}" for i in range(size)]
    pri = {k: draw(st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.9, 1.0]) | st.floats(0, 1)) for k in names}
    pairs = draw(st.lists(st.tuples(st.integers(0, size - 1), st.integers(0, size - 1)),
                          max_size=3 * size, unique=True))
    edges: list[tuple[str, str, float | None]] = []
    room = dict.fromkeys(names, 1.0)
    for s, b in pairs:
        if s == b:
            continue
        share = draw(st.none() | st.floats(0, 1))
        if share is not None:
            share = min(share, room[names[b]])
            room[names[b]] -= share
        edges.append((names[s], names[b], share))
    d = draw(st.sampled_from([0.5, 0.8, 1.0]) | st.floats(0.05, 1))
    unknown = draw(st.sampled_from([0.0, 0.5, 1.0]) | st.floats(0, 1))
    return net(pri, edges), d, unknown


@settings(max_examples=300, deadline=None)
@given(graphs())
def test_fast_path_agrees_with_the_plain_iteration(case: tuple[Network, float, float]) -> None:
    g, d, unknown = case
    res = propagate(g, attenuation=d, unknown_prior=unknown)
    r, ex = reference(g, d, unknown)
    cyclic = {k for c in find_cycles(g) for k in c}
    for k, v in res.items():
        assert v.risk == pytest.approx(r[k], abs=1e-9)
        assert v.exposure == pytest.approx(ex[k], abs=1e-9)
        # the path explains R: each step attenuates by d, it ends at an own risk or an unmapped
        # share giving that value, and it never visits a node twice
        path = [x for x in v.path if x != UNMAPPED]
        assert len(set(path)) == len(path)
        for a, b in itertools.pairwise(path):
            assert res[a].risk == d * res[b].risk
            assert any(e.supplier == b and e.buyer == a for e in g.edges)
        end = res[path[-1]]
        if v.path[-1] == UNMAPPED:
            assert end.unmapped > 0 and end.risk == d * unknown
        else:
            assert end.risk == end.prior
        if not cyclic:
            # off cycles the path is the first input (file order) at the maximum, as it always was
            first = path[1] if len(path) > 1 else (UNMAPPED if v.path[-1] == UNMAPPED else None)
            ins = [e.supplier for e in g.edges if e.buyer == k]
            want = None
            top = v.prior
            if v.unmapped > 0 and d * unknown > top:
                want, top = UNMAPPED, d * unknown
            for u in ins:
                if d * r[u] > top:
                    want, top = u, d * r[u]
            assert first == want
