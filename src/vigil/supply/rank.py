"""Ranked remediation: suppliers and recruiters by risk x leverage x severity x recency.

- risk: the worst-path risk R of the node (propagation.py), so a supplier whose own inputs end in
  a forced-labour source ranks with that source's risk, attenuated;
- leverage: the share of the top buyers' input that passes through the node (``leverages``):
  spend shares (spend on the link / all spend of that buyer), else input shares, multiplied down
  the tiers; a link with neither counts as 1 (unknown leverage is not taken as none);
- severity: the grade of the indicators found at the node (column ``severity``, 0..1); 0.5 when
  no finding is graded (inherent risk only);
- recency: 0.5 ** (years since ``evidence_date`` / half_life), 1 for undated (inherent) evidence.

Each line has the reason (the components and the sources behind the risk) and an action:
*escalate* (severity >= 0.75, fee breaches or an invalid recruiter licence: senior contact,
remediation for the workers first), *engage* (risk >= ``engage_at``: corrective action plan with
milestones and owners) or *monitor*. Disengagement is never recommended by the score: it is a last
resort after a failed corrective plan, and the line says what must be known first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from vigil.supply.network import Network
from vigil.supply.propagation import NodeRisk

HALF_LIFE_YEARS = 2.0
NO_SEVERITY = 0.5
ESCALATE_SEVERITY = 0.75
LAST_RESORT = ("disengage only as a last resort: after a corrective plan failed (say why), "
               "with a plan for the workers' wages, jobs and remediation")
# the recommended actions, whole sentences (reports translate them as they are)
ESCALATE = ("escalate: senior contact within 30 days, remediation for the workers first "
            "(fees repaid, documents returned), corrective plan with milestones and owners; "
            + LAST_RESORT)
ENGAGE = "engage: corrective action plan with milestones and owners, follow-up audit"
MONITOR = "monitor: keep the data current, review at the next cycle"
ACTIONS = (ESCALATE, ENGAGE, MONITOR)


@dataclass(frozen=True)
class Remediation:
    rank: int
    id: str
    name: str
    kind: str
    score: float
    risk: float
    leverage: float
    severity: float
    recency: float
    action: str
    reason: str
    path: tuple[str, ...]
    sources: tuple[str, ...]


def leverages(net: Network, rounds: int = 200) -> dict[str, tuple[float, str]]:
    """The share of the top buyers' input (a node with no buyer is a top buyer, leverage 1) that
    passes through each node: lev(n) = min(1, sum_b w(n,b) * lev(b)), w the spend share of the
    link at buyer b when spends are given, else its input share (a link with neither counts as 1,
    unknown leverage is not taken as none). Iterated to a fixed point on cycles."""
    spend_total: dict[str, float] = {}
    for e in net.edges:
        if e.spend is not None:
            spend_total[e.buyer] = spend_total.get(e.buyer, 0.0) + e.spend
    outs = net.outputs()
    weights: dict[str, list[tuple[str, float, str]]] = {}
    for n, edges in outs.items():
        ws = []
        for e in edges:
            if e.spend is not None and spend_total.get(e.buyer):
                ws.append((e.buyer, e.spend / spend_total[e.buyer], f"spend share at {e.buyer} ({e.place})"))
            elif e.share is not None:
                ws.append((e.buyer, e.share, f"input share at {e.buyer} ({e.place})"))
            else:
                ws.append((e.buyer, 1.0, f"no share or spend at {e.buyer} ({e.place}), taken as 1"))
        weights[n] = ws
    lev = {n: 1.0 if not weights[n] else 0.0 for n in net.nodes}
    for _ in range(rounds):
        change = 0.0
        for n, ws in weights.items():
            if ws:
                v = min(1.0, sum(w * lev[b] for b, w, _ in ws))
                change = max(change, abs(v - lev[n]))
                lev[n] = v
        if change < 1e-12:
            break
    out: dict[str, tuple[float, str]] = {}
    for n, ws in weights.items():
        if not ws:
            out[n] = (1.0, "a top buyer (no buyer link)")
        else:
            b, _w, why = max(ws, key=lambda t: (t[1] * lev[t[0]], t[0]))
            out[n] = (lev[n], f"share of the top buyers' input through this node; largest via {b}: {why}")
    return out


def _recency(evidence_date: str, today: date) -> float:
    if not evidence_date:
        return 1.0
    years = max(0.0, (today - date.fromisoformat(evidence_date)).days / 365.25)
    return float(0.5 ** (years / HALF_LIFE_YEARS))


def rank(net: Network, risks: Mapping[str, NodeRisk], *, today: date | None = None,
         engage_at: float = 0.3, top: int | None = None) -> list[Remediation]:
    """The suppliers, facilities and recruiters (not the company) by score, highest first
    (ties by id)."""
    day = today or date.today()
    levs = leverages(net)
    lines = []
    for nid, node in net.nodes.items():
        if node.kind == "company":
            continue
        nr = risks[nid]
        lev, lev_why = levs[nid]
        sev = node.severity if node.severity is not None else NO_SEVERITY
        rec = _recency(node.evidence_date, day)
        score = nr.risk * lev * sev * rec
        bad_licence = node.licence in ("none", "expired", "suspended", "revoked")
        if sev >= ESCALATE_SEVERITY or node.fee_breaches or bad_licence:
            action = ESCALATE
        elif nr.risk >= engage_at:
            action = ENGAGE
        else:
            action = MONITOR
        via = " -> ".join(nr.path)
        reason = (f"risk {nr.risk:.3f} (worst path {via}; exposure {nr.exposure:.3f}) x leverage "
                  f"{lev:.3f} ({lev_why}) x severity {sev:.2f} "
                  f"({'graded finding' if node.severity is not None else 'no graded finding'}) x recency "
                  f"{rec:.2f} ({node.evidence_date or 'undated evidence'})")
        lines.append((score, nid, node, nr, lev, sev, rec, action, reason))
    lines.sort(key=lambda t: (-t[0], t[1]))
    out = [Remediation(i, nid, node.name, node.kind, round(score, 6), nr.risk, lev, sev, rec,
                       action, reason, nr.path, nr.sources)
           for i, (score, nid, node, nr, lev, sev, rec, action, reason) in enumerate(lines, start=1)]
    return out[:top] if top else out
