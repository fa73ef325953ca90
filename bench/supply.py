"""Risk propagation (vigil.supply.propagation) over a layered random supply network.

Builds NODES nodes (default 100,000) in 8 tiers with about 5 input links per node (shares that
sum to 0.9..1, so some nodes have an unmapped share) and 0.1% back links that make cycles, then
times ``propagate`` (worst path, exposure, paths) against a networkx implementation of the same
computation run in the same process on the same graph (topological order of the condensation,
then the same iteration to the fixed point); both results are compared before timing counts.
networkx is not a dependency of Vigil: install it to run this bench (``pip install networkx``).

Prints
BENCH supply_propagate_<nodes> value=<s> unit=s baseline=<networkx s> ratio=<networkx s / our s>

    .venv/bin/python bench/supply.py [NODES]
"""

from __future__ import annotations

import random
import sys
import time

import networkx as nx

from vigil.supply.network import Edge, Network, Node
from vigil.supply.priors import Prior
from vigil.supply.propagation import propagate


def build(n: int, seed: int = 0) -> tuple[Network, dict[str, Prior]]:
    rng = random.Random(seed)
    tiers = 8
    ids = [f"n{i}" for i in range(n)]
    net = Network({i: Node(i) for i in ids})
    priors = {i: Prior(rng.random() ** 3, ("bench",)) for i in ids}
    per = n // tiers
    seen: set[tuple[str, str]] = set()
    for b in range(per, n):
        tier = b // per
        k = rng.randint(3, 7)
        lo = (tier - 1) * per
        sups = {rng.randrange(lo, lo + per) for _ in range(k)}
        total = rng.uniform(0.9, 1.0)
        ws = [rng.random() for _ in sups]
        for s, w in zip(sups, ws, strict=True):
            net.edges.append(Edge(ids[s], ids[b], total * w / sum(ws)))
            seen.add((ids[s], ids[b]))
    for _ in range(n // 1000):  # back links: cycles
        b = rng.randrange(0, n - per)
        s = rng.randrange(b + per, n) if b + per < n else n - 1
        if (ids[s], ids[b]) not in seen and s != b:
            net.edges.append(Edge(ids[s], ids[b], 0.0))
    return net, priors


def nx_propagate(g: nx.DiGraph, p: dict[str, float], d: float = 0.8, unknown: float = 0.5,
                 tol: float = 1e-12) -> tuple[dict[str, float], dict[str, float]]:
    cond = nx.condensation(g)
    order = [n for c in nx.topological_sort(cond) for n in cond.nodes[c]["members"]]
    unmapped = {}
    for n in g:
        tot = sum(w for _, _, w in g.in_edges(n, data="share"))
        unmapped[n] = 1.0 - tot if g.in_degree(n) and 1.0 - tot > 1e-9 else 0.0
    r, e = dict(p), dict(p)
    while True:
        changed = 0.0
        for n in order:
            rn = p[n]
            m = unmapped[n]
            if m > 0:
                rn = max(rn, d * unknown)
            prod = 1.0 - d * m * unknown
            for u, _, w in g.in_edges(n, data="share"):
                rn = max(rn, d * r[u])
                prod *= 1.0 - d * w * e[u]
            en = 1.0 - (1.0 - p[n]) * prod
            changed = max(changed, rn - r[n], en - e[n])
            r[n], e[n] = max(r[n], rn), max(e[n], en)
        if changed <= tol:
            return r, e


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    net, priors = build(n)
    g = nx.DiGraph()
    g.add_nodes_from(net.nodes)
    g.add_edges_from((x.supplier, x.buyer, {"share": x.share}) for x in net.edges)
    p = {k: v.value for k, v in priors.items()}
    t0 = time.perf_counter()
    ours = propagate(net, priors=priors)
    t1 = time.perf_counter()
    r, e = nx_propagate(g, p)
    t2 = time.perf_counter()
    worst = max(max(abs(ours[k].risk - r[k]), abs(ours[k].exposure - e[k])) for k in net.nodes)
    if worst > 1e-9:
        raise SystemExit(f"results differ by {worst}")
    print(f"# {n} nodes, {len(net.edges)} links; same results (max difference {worst:.1e})")
    print(f"BENCH supply_propagate_{n} value={t1 - t0:.3f} unit=s baseline={t2 - t1:.3f} "
          f"ratio={(t2 - t1) / (t1 - t0):.2f}")


if __name__ == "__main__":
    main()
