"""Risk propagation through the tiers (issue 10, background section 4.3).

For a node n with own risk p(n), inputs u with share w(n,u) and attenuation d:
  worst path  R(n) = max(p(n), max_u d*R(u))            (shares do not dilute it)
  exposure    E(n) = 1 - (1 - p(n)) * prod_u (1 - d*w(n,u)*E(u))
A node with inputs whose shares sum below 1 has the unmapped share m = 1 - sum as one more input
of risk ``unknown_prior``: d*unknown_prior joins the max of R, (1 - d*m*unknown_prior) the product
of E. Inputs without a share split the rest of the buyer's input equally. With cycles, the least
fixed point reached by iterating from R = E = p (both maps are monotone and bounded by 1).

The computation is on arrays (``propagate_arrays``): the unmapped share of each node becomes a
link from one virtual node of own risk ``unknown_prior`` (first among the node's inputs, so ties
go as they always did: own risk, then the unmapped share, then the inputs in file order); the
strongly connected components are found with scipy.sparse.csgraph, the condensation is cut into
levels (a component's level is one more than the deepest of its inputs') and each level is
computed at once with segment reductions over the links sorted by buyer; only inside a
component with a cycle are the equations iterated, all such components of a level together,
until nothing moves by more than ``tol``.

The worst path of a node follows ``best``: the input giving R(n). Off cycles it is the first
input (in file order) reaching the maximum; inside a cycle it is, among the inputs reaching R(n),
one with the fewest links to where the path leaves the cycle (then file order), so a path never
loops, also with d = 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from vigil.supply.network import Network
from vigil.supply.priors import Prior, node_prior

UNMAPPED = "(unmapped)"
OWN = -1  # best: the node's own risk gives R
UNMAPPED_INPUT = -2  # best: the unmapped share of the node's input gives R

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


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


@dataclass(frozen=True)
class Propagation:
    """Arrays over the nodes 0..n-1: R, E, the input giving R (a node index, ``OWN`` or
    ``UNMAPPED_INPUT``), the unmapped share of each node's input, and the rounds iterated in
    cycles."""

    risk: FloatArray
    exposure: FloatArray
    best: IntArray
    unmapped: FloatArray
    rounds: int = 0

    def path(self, i: int) -> list[int]:
        """Node indices from ``i`` to the source of its R, then ``UNMAPPED_INPUT`` if the unmapped
        share of the last node gives it."""
        out = [i]
        seen = {i}
        cur = int(self.best[i])
        while cur >= 0 and cur not in seen:
            out.append(cur)
            seen.add(cur)
            cur = int(self.best[cur])
        if cur == UNMAPPED_INPUT:
            out.append(UNMAPPED_INPUT)
        return out


def _ranges(starts: IntArray, ends: IntArray) -> IntArray:
    """The concatenation of range(s, e) for each pair."""
    lengths = ends - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
    return np.arange(total, dtype=np.int64) + offsets


def _stable_order(keys: IntArray) -> IntArray:
    """A stable argsort of small non-negative integers (a radix sort when they fit 16 bits)."""
    if keys.size and int(keys.max()) < 1 << 16:
        return np.argsort(keys.astype(np.uint16), kind="stable").astype(np.int64)
    return np.argsort(keys, kind="stable").astype(np.int64)


def _levels(label: IntArray, n_comp: int, in_degree: IntArray, out_ptr: IntArray,
            out_dst: IntArray, cyclic_nodes: IntArray, intra: IntArray) -> IntArray:
    """Level of each strongly connected component: 0 without inputs from other components, else
    one more than the deepest of them (Kahn, one front at a time, pushing along the links of
    ``out_ptr``/``out_dst``, the buyers of each node). ``intra``: the buyer of each link inside a
    component."""
    indeg = np.bincount(label, weights=in_degree, minlength=n_comp).astype(np.int64)
    indeg -= np.bincount(label[intra], minlength=n_comp)
    rep = np.empty(n_comp, np.int64)
    rep[label] = np.arange(label.size)
    # members of the components with a cycle, grouped by component
    cyc_sorted = cyclic_nodes[np.argsort(label[cyclic_nodes], kind="stable")]
    cyc_labels = label[cyc_sorted]
    multi = np.zeros(n_comp, bool)
    multi[cyc_labels] = True
    level = np.zeros(n_comp, np.int64)
    front = np.flatnonzero(indeg == 0)
    depth = 0
    while front.size:
        level[front] = depth
        many = front[multi[front]]
        members = rep[front[~multi[front]]]
        if many.size:
            members = np.concatenate((members, cyc_sorted[_ranges(
                np.searchsorted(cyc_labels, many), np.searchsorted(cyc_labels, many, "right"))]))
        to = label[out_dst[_ranges(out_ptr[members], out_ptr[members + 1])]]
        if many.size:  # links inside a component do not count
            to = to[to != np.repeat(label[members], out_ptr[members + 1] - out_ptr[members])]
        if to.size == 0:
            break
        np.subtract.at(indeg, to, 1)
        done = np.sort(to[indeg[to] == 0])
        front = done[np.concatenate(([True], done[1:] != done[:-1]))] if done.size else done
        depth += 1
    return level


def propagate_arrays(prior: npt.ArrayLike, supplier: npt.ArrayLike, buyer: npt.ArrayLike,
                     share: npt.ArrayLike, *, attenuation: float = 0.8, unknown_prior: float = 0.5,
                     tol: float = 1e-12, max_rounds: int = 10_000) -> Propagation:
    """R, E and the worst-path pointers of nodes 0..n-1 with own risks ``prior`` and links
    ``supplier[k] -> buyer[k]`` of input share ``share[k]`` (NaN: no share given). The links are
    taken as checked (ids in range, no self links, no duplicate links, explicit shares of a
    buyer summing to <= 1)."""
    if not 0 < attenuation <= 1:
        raise ValueError("attenuation must be in (0, 1]")
    if not 0 <= unknown_prior <= 1:
        raise ValueError("unknown_prior must be in [0, 1]")
    d = float(attenuation)
    p0 = np.asarray(prior, dtype=np.float64)
    n = int(p0.size)
    idx = np.int32 if n + 1 < 2**31 and np.size(supplier) < 2**31 else np.int64
    src0 = np.asarray(supplier).astype(idx, copy=False)
    dst0 = np.asarray(buyer).astype(idx, copy=False)
    sh = np.asarray(share, dtype=np.float64)

    # shares: blanks split the rest of the buyer's input; a rest with no blank is unmapped
    blank_at = np.flatnonzero(np.isnan(sh))
    known = np.bincount(dst0, weights=np.nan_to_num(sh, nan=0.0), minlength=n)
    nblank = np.bincount(dst0[blank_at], minlength=n)
    degree = np.bincount(dst0, minlength=n)
    rest = np.maximum(0.0, 1.0 - known)
    unmapped = np.where((degree > 0) & (nblank == 0) & (rest > 1e-9), rest, 0.0)

    # the virtual node n (own risk unknown_prior) supplies each node its unmapped share; its
    # links come first, so they win ties against the real inputs (link order = tie order)
    virt = np.flatnonzero(unmapped > 0).astype(idx)
    src = np.concatenate((np.full(virt.size, n, idx), src0))
    dw = np.concatenate((unmapped[virt], sh))
    tail = dw[virt.size:]
    tail[blank_at] = rest[dst0[blank_at]] / nblank[dst0[blank_at]]
    dw *= d
    p = np.concatenate((p0, [unknown_prior]))
    size = n + 1

    # the inputs of each node (rows: buyers; data: the link) and, transposed, the buyers
    ins = csr_matrix((np.arange(src.size, dtype=idx), (np.concatenate((virt, dst0)), src)),
                     shape=(size, size))
    del virt, blank_at
    in_ptr = ins.indptr
    n_comp, label = connected_components(ins, directed=True, connection="strong")
    comp_size = np.bincount(label, minlength=n_comp)
    cyclic = comp_size[label] > 1
    cyc_nodes = np.flatnonzero(cyclic)
    # links inside a component: among the inputs of nodes on cycles
    cyc_at = _ranges(in_ptr[cyc_nodes].astype(np.int64), in_ptr[cyc_nodes + 1].astype(np.int64))
    cyc_buyer = np.repeat(cyc_nodes, np.diff(in_ptr)[cyc_nodes])
    intra = cyc_buyer[label[ins.indices[cyc_at]] == label[cyc_buyer]]
    outs = ins.tocsc()
    comp_level = _levels(label, n_comp, np.diff(in_ptr), outs.indptr, outs.indices, cyc_nodes, intra)
    del outs
    # nodes with inputs by (level, off/on a cycle)
    group = comp_level[label] * 2 + cyclic
    rows = np.flatnonzero(np.diff(in_ptr) > 0)
    rows = rows[_stable_order(group[rows])]
    row_group = group[rows]
    n_group = int(row_group.max()) + 1 if rows.size else 0
    g_start = np.searchsorted(row_group, np.arange(n_group + 1))

    risk = p.copy()
    best = np.full(size, OWN, np.int64)
    # a node without inputs: E = max(p, 1 - (1 - p)), as the equations give it in floating point
    expo = np.maximum(p, 1.0 - (1.0 - p) * 1.0)
    rounds = 0
    big = np.int64(np.iinfo(np.int64).max)
    for g in range(n_group):
        nodes = rows[g_start[g]:g_start[g + 1]]
        if nodes.size == 0:
            continue
        lo, hi = in_ptr[nodes].astype(np.int64), in_ptr[nodes + 1].astype(np.int64)
        seg_len = hi - lo
        starts = np.concatenate(([0], np.cumsum(seg_len)[:-1]))
        at = _ranges(lo, hi)
        esrc, elink = ins.indices[at], ins.data[at]
        edw = dw[elink]
        pn = p[nodes]
        if g % 2 == 0:  # off cycles: once, after the inputs
            cand = d * risk[esrc]
            top = np.maximum.reduceat(cand, starts)
            prod = np.multiply.reduceat(1.0 - edw * expo[esrc], starts)
            risk[nodes] = np.maximum(pn, top)
            expo[nodes] = np.maximum(pn, 1.0 - (1.0 - pn) * prod)
            wins = top > pn
            first = np.minimum.reduceat(np.where(cand == np.repeat(top, seg_len), elink, big), starts)
            best[nodes[wins]] = src[first[wins]]
            continue
        # on cycles: iterate from R = E = p to the least fixed point
        expo[nodes] = pn
        for _ in range(max_rounds):
            rounds += 1
            top = np.maximum.reduceat(d * risk[esrc], starts)
            prod = np.multiply.reduceat(1.0 - edw * expo[esrc], starts)
            rn = np.maximum(risk[nodes], top)
            en = np.maximum(expo[nodes], 1.0 - (1.0 - pn) * prod)
            moved = max(float(np.max(rn - risk[nodes])), float(np.max(en - expo[nodes])))
            risk[nodes], expo[nodes] = rn, en
            if moved <= tol:
                break
        _cycle_pointers(risk, best, label, nodes, esrc, elink, src, starts, seg_len, pn, d)
    best_out = best[:n]
    best_out = np.where(best_out == n, UNMAPPED_INPUT, best_out)
    return Propagation(risk[:n], expo[:n], best_out, unmapped, rounds)


def _cycle_pointers(risk: FloatArray, best: IntArray, label: IntArray, nodes: IntArray,
                    esrc: IntArray, elink: IntArray, src: IntArray, starts: IntArray,
                    lengths: IntArray, pn: FloatArray, d: float) -> None:
    """``best`` of nodes on cycles: an input reaching R(n) with the fewest links to where the
    path leaves the cycle (inputs outside the node's component count 0), then link order."""
    buyer = np.repeat(nodes, lengths)
    tight = d * risk[esrc] == risk[buyer]
    inside = label[esrc] == label[buyer]
    own = risk[nodes] <= pn  # the node's own risk gives R
    big = np.int64(np.iinfo(np.int64).max // 4)
    # nodes are in increasing order: the place of an input inside them, where it is one of them
    local = np.minimum(np.searchsorted(nodes, esrc), nodes.size - 1)
    hops = np.where(own, 0, big)
    while True:
        src_hops = np.where(inside, hops[local], 0)
        cand = np.where(tight, src_hops + 1, big)
        new = np.minimum(hops, np.minimum.reduceat(cand, starts))
        if np.array_equal(new, hops):
            break
        hops = new
    src_hops = np.where(inside, hops[local], 0)
    ok = tight & (src_hops + 1 == np.repeat(hops, lengths))
    none = np.int64(np.iinfo(np.int64).max)
    first = np.minimum.reduceat(np.where(ok, elink, none), starts)
    found = ~own & (first < none)
    best[nodes] = OWN
    best[nodes[found]] = src[first[found]]
    # not reached from outside the cycle within float precision: the first input at the maximum
    lost = ~own & ~found
    if lost.any():
        cand_r = d * risk[esrc]
        top = np.maximum.reduceat(cand_r, starts)
        at_top = np.where(cand_r == np.repeat(top, lengths), elink, none)
        first_top = np.minimum.reduceat(at_top, starts)
        best[nodes[lost]] = src[first_top[lost]]


def propagate(net: Network, *, attenuation: float = 0.8, unknown_prior: float = 0.5,
              priors: Mapping[str, Prior] | None = None, tol: float = 1e-12,
              max_rounds: int = 10_000) -> dict[str, NodeRisk]:
    """R, E, worst path and its sources of every node of ``net`` (see the module docstring)."""
    if not 0 < attenuation <= 1:
        raise ValueError("attenuation must be in (0, 1]")
    if not 0 <= unknown_prior <= 1:
        raise ValueError("unknown_prior must be in [0, 1]")
    pri = (dict(priors) if priors is not None
           else {n: node_prior(v, unknown_prior) for n, v in net.nodes.items()})
    ids = list(net.nodes)
    index = {k: i for i, k in enumerate(ids)}
    res = propagate_arrays(
        [pri[k].value for k in ids],
        np.fromiter((index[e.supplier] for e in net.edges), np.int64, len(net.edges)),
        np.fromiter((index[e.buyer] for e in net.edges), np.int64, len(net.edges)),
        np.fromiter((np.nan if e.share is None else e.share for e in net.edges), np.float64,
                    len(net.edges)),
        attenuation=attenuation, unknown_prior=unknown_prior, tol=tol, max_rounds=max_rounds)
    out: dict[str, NodeRisk] = {}
    for i, k in enumerate(ids):
        steps = res.path(i)
        path = [ids[j] if j >= 0 else UNMAPPED for j in steps]
        if steps[-1] == UNMAPPED_INPUT:
            end = ids[steps[-2]]
            sources: tuple[str, ...] = (
                f"unmapped share {float(res.unmapped[steps[-2]]):.6g} of {end}'s input at "
                f"unknown_prior {unknown_prior:g}",)
        else:
            sources = pri[ids[steps[-1]]].sources
        out[k] = NodeRisk(k, pri[k].value, float(res.risk[i]), float(res.exposure[i]),
                          tuple(path), sources, float(res.unmapped[i]))
    return out
