"""Risk propagation through the tiers (issue 10, background section 4.3).

For a node n with own risk p(n), inputs u with share w(n,u) and attenuation d:
  worst path  R(n) = max(p(n), max_u d*R(u))            (shares do not dilute it)
  exposure    E(n) = 1 - (1 - p(n)) * prod_u (1 - d*w(n,u)*E(u))
A node with inputs whose shares sum below 1 has the unmapped share m = 1 - sum as one more input
of risk ``unknown_prior``: d*unknown_prior joins the max of R, (1 - d*m*unknown_prior) the product
of E. Inputs without a share split the rest of the buyer's input equally. With cycles, the least
fixed point reached by iterating from R = E = p (both maps are monotone and bounded by 1), each
strongly connected component on its own, in topological order; a node on no cycle is computed
once, after its inputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from vigil.supply.network import Network, components
from vigil.supply.priors import Prior, node_prior

UNMAPPED = "(unmapped)"


@dataclass(frozen=True)
class NodeRisk:
    id: str
    prior: float
    risk: float
    exposure: float
    # from this node to the node whose own risk gives R (UNMAPPED last when the unknown share does)
    path: tuple[str, ...]
    sources: tuple[str, ...]  # where the risk at the end of the path comes from
    unmapped: float  # the unmapped share m of this node's input


def propagate(net: Network, *, attenuation: float = 0.8, unknown_prior: float = 0.5,
              priors: Mapping[str, Prior] | None = None, tol: float = 1e-12,
              max_rounds: int = 10_000) -> dict[str, NodeRisk]:
    if not 0 < attenuation <= 1:
        raise ValueError("attenuation must be in (0, 1]")
    if not 0 <= unknown_prior <= 1:
        raise ValueError("unknown_prior must be in [0, 1]")
    d = attenuation
    pri = (dict(priors) if priors is not None
           else {n: node_prior(v, unknown_prior) for n, v in net.nodes.items()})
    inputs: dict[str, list[tuple[str, float]]] = {n: [] for n in net.nodes}
    unmapped: dict[str, float] = {}
    for n, edges in net.inputs().items():
        known = sum(e.share for e in edges if e.share is not None)
        blank = [e for e in edges if e.share is None]
        rest = max(0.0, 1.0 - known)
        for e in edges:
            inputs[n].append((e.supplier, e.share if e.share is not None else rest / len(blank)))
        unmapped[n] = rest if edges and not blank and rest > 1e-9 else 0.0
    p = {n: pri[n].value for n in net.nodes}
    r = dict(p)
    ex = dict(p)
    best: dict[str, str | None] = {n: None for n in net.nodes}
    # components in topological order: a node off cycles is computed once, after its inputs;
    # a cycle is iterated on its own until nothing moves by more than ``tol``
    for comp in reversed(components(net)):
        for _ in range(max_rounds if len(comp) > 1 else 1):
            changed = 0.0
            for n in comp:
                rn, arg = p[n], None
                m = unmapped[n]
                if m > 0 and d * unknown_prior > rn:
                    rn, arg = d * unknown_prior, UNMAPPED
                prod = 1.0 - d * m * unknown_prior
                for u, w in inputs[n]:
                    if d * r[u] > rn:
                        rn, arg = d * r[u], u
                    prod *= 1.0 - d * w * ex[u]
                en = 1.0 - (1.0 - p[n]) * prod
                changed = max(changed, rn - r[n], en - ex[n])
                if rn > r[n]:
                    r[n], best[n] = rn, arg
                if en > ex[n]:
                    ex[n] = en
            if changed <= tol:
                break
    out: dict[str, NodeRisk] = {}
    for n in net.nodes:
        path = [n]
        cur: str | None = best[n]
        while cur is not None and cur != UNMAPPED and cur not in path:
            path.append(cur)
            cur = best[cur]
        end = path[-1]
        if cur == UNMAPPED:
            path.append(UNMAPPED)
            sources: tuple[str, ...] = (f"unmapped share {unmapped[end]:.6g} of {end}'s input at "
                                        f"unknown_prior {unknown_prior:g}",)
        else:
            sources = pri[end].sources
        out[n] = NodeRisk(n, p[n], r[n], ex[n], tuple(path), sources, unmapped[n])
    return out
