from __future__ import annotations

from datetime import date

import pytest

from vigil.recruitment.names import synthetic_agencies
from vigil.supply.match import duplicates
from vigil.supply.network import Edge, Network, Node
from vigil.supply.propagation import propagate
from vigil.supply.rank import rank


def garment() -> Network:
    nodes = [
        Node("C", "Co", "company"),
        Node("T1", "Stitch", prior=0.2, place="n.csv, row 3"),
        Node("T2", "Mill", prior=0.1, severity=0.9, evidence_date="2026-06-01", place="n.csv, row 4"),
        Node("T3", "Farm", prior=0.9, place="n.csv, row 5"),
        Node("R1", "Agency", "recruiter", prior=0.3, licence="none", place="n.csv, row 6"),
    ]
    net = Network({n.id: n for n in nodes})
    net.edges = [Edge("T1", "C", 1.0, 80.0, "e.csv, row 2"), Edge("T2", "C", None, 20.0, "e.csv, row 3"),
                 Edge("T3", "T1", 0.5, None, "e.csv, row 4"), Edge("R1", "T1", 0.5, None, "e.csv, row 5")]
    return net


def test_rank_components_and_order() -> None:
    net = garment()
    res = propagate(net)
    lines = rank(net, res, today=date(2026, 6, 1))
    by = {ln.id: ln for ln in lines}
    assert "C" not in by
    # T1: R = 0.8*0.9, leverage = spend share 80/100, no graded finding (0.5), undated
    assert by["T1"].score == pytest.approx(0.72 * 0.8 * 0.5)
    assert by["T1"].leverage == pytest.approx(0.8)
    assert "spend share at C (e.csv, row 2)" in by["T1"].reason
    assert by["T3"].leverage == pytest.approx(0.5 * 0.8) and by["R1"].leverage == pytest.approx(0.4)
    assert by["T1"].path == ("T1", "T3") and "n.csv, row 5" in by["T1"].sources[0]
    # T2: severity 0.9 today -> recency 1; escalated
    assert by["T2"].score == pytest.approx(0.1 * 0.2 * 0.9)
    assert by["T2"].action.startswith("escalate")
    assert by["R1"].action.startswith("escalate") and "last resort" in by["R1"].action
    assert by["T3"].action.startswith("engage")
    assert [ln.rank for ln in lines] == list(range(1, len(lines) + 1))
    assert [ln.score for ln in lines] == sorted((ln.score for ln in lines), reverse=True)
    later = {ln.id: ln for ln in rank(net, res, today=date(2028, 6, 1))}
    assert later["T2"].recency == pytest.approx(0.5, abs=1e-3)
    assert later["T1"].recency == 1.0


def test_match_precision_recall_on_synthetic_suppliers() -> None:
    registry, names, truth = synthetic_agencies(400, 400, duplicate_share=0.7, seed=3)
    nodes = [Node(p.id, p.name, country=p.country) for p in registry + names]
    pairs = [p for p in duplicates(nodes) if p.decision == "match"]
    # two noisy variants of one registry entry are duplicates of each other too
    entity = {p.id: truth.get(p.id, p.id) for p in registry + names}
    members: dict[str, list[str]] = {}
    for pid, ent in entity.items():
        members.setdefault(ent, []).append(pid)
    true_pairs = {frozenset((a, b)) for group in members.values() for a in group for b in group if a < b}
    found = {frozenset((p.a, p.b)) for p in pairs}
    tp = len(found & true_pairs)
    precision, recall = tp / len(found), tp / len(true_pairs)
    assert precision >= 0.95, precision
    assert recall >= 0.90, recall


def test_match_blocks_by_country_and_uses_address() -> None:
    nodes = [Node("a", "Dhaka Knit Ltd", country="BGD", address="12 Road 5, Gazipur"),
             Node("b", "DHAKA KNIT LIMITED", country="BGD", address="12 Road 5 Gazipur"),
             Node("c", "Dhaka Knit Ltd", country="IND"),
             Node("d", "Dhaka Knit", country="BGD", address="Plot 77, Chittagong EPZ")]
    pairs = {(p.a, p.b): p for p in duplicates(nodes)}
    assert pairs[("a", "b")].decision == "match"
    assert not any("c" in k for k in pairs)
    ad = pairs.get(("a", "d"))
    assert ad is None or ad.score < pairs[("a", "b")].score
