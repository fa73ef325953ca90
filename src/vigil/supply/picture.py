"""The supply graph as an SVG picture, made on the server (no client-side library): tiers as
columns (the company at the inline start, tier n further on), one box per node coloured by its
worst-path risk R, a line per link (thicker with a larger share), and a legend of the colours.

The picture is text: every label is escaped, and the colours come from a fixed scale, so the
same network gives the same picture. Nodes with no path to a company are in a last column,
"not linked". Labels are passed in (``labels``) so the caller can translate them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from html import escape

from vigil.supply.network import Network, tiers
from vigil.supply.propagation import NodeRisk

# risk bands: (upper bound, fill colour, text colour); colour-blind safe sequential scale
BANDS = (
    (0.2, "#ffffcc", "#000000"),
    (0.4, "#fed976", "#000000"),
    (0.6, "#fd8d3c", "#000000"),
    (0.8, "#e31a1c", "#ffffff"),
    (1.01, "#800026", "#ffffff"),
)
BOX_W, BOX_H, COL_GAP, ROW_GAP, TOP = 180, 40, 80, 14, 40

DEFAULT_LABELS = {
    "tier": "Tier {n}",
    "company": "Company",
    "unlinked": "Not linked",
    "risk": "risk",
    "title": "Supply graph: tiers as columns, worst-path risk as colour",
}


@dataclass(frozen=True)
class Placed:
    id: str
    x: int
    y: int
    column: int


def band(risk: float) -> tuple[str, str]:
    for hi, fill, ink in BANDS:
        if risk < hi:
            return fill, ink
    return BANDS[-1][1], BANDS[-1][2]


def layout(net: Network) -> tuple[dict[str, Placed], list[int | None]]:
    """Position of each node: its column is its tier (unlinked nodes last), its row the order of
    ids within the column."""
    tier = tiers(net)
    known = sorted({t for t in tier.values() if t is not None})
    columns: list[int | None] = [*known, *([None] if any(t is None for t in tier.values()) else [])]
    where: dict[str, Placed] = {}
    for c, t in enumerate(columns):
        ids = sorted(n for n, v in tier.items() if v == t)
        for r, n in enumerate(ids):
            where[n] = Placed(n, 10 + c * (BOX_W + COL_GAP), TOP + r * (BOX_H + ROW_GAP), c)
    return where, columns


def svg(
    net: Network,
    risks: Mapping[str, NodeRisk],
    labels: Mapping[str, str] | None = None,
    href: Mapping[str, str] | None = None,
) -> str:
    """The picture as an ``<svg>`` element; ``href`` links a node's box to a page."""
    words = {**DEFAULT_LABELS, **(labels or {})}
    where, columns = layout(net)
    rows = max((sum(1 for p in where.values() if p.column == c) for c in range(len(columns))), default=0)
    width = 20 + max(1, len(columns)) * (BOX_W + COL_GAP)
    height = TOP + max(1, rows) * (BOX_H + ROW_GAP) + 60
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" class="supply-graph">',
        f"<title>{escape(words['title'])}</title>",
    ]
    for c, t in enumerate(columns):
        head = words["company"] if t == 0 else words["unlinked"] if t is None else words["tier"].format(n=t)
        out.append(
            f'<text x="{10 + c * (BOX_W + COL_GAP)}" y="{TOP - 14}" font-size="13" '
            f'font-weight="bold">{escape(head)}</text>'
        )
    for e in net.edges:
        a, b = where[e.supplier], where[e.buyer]
        w = 1 + 4 * (e.share if e.share is not None else 0.25)
        # from the supplier's box to the buyer's: suppliers sit in later columns
        x1, x2 = (a.x, b.x + BOX_W) if a.x > b.x else (a.x + BOX_W, b.x)
        out.append(
            f'<line x1="{x1}" y1="{a.y + BOX_H // 2}" x2="{x2}" y2="{b.y + BOX_H // 2}" '
            f'stroke="#555555" stroke-opacity="0.6" stroke-width="{w:.1f}">'
            f"<title>{escape(e.supplier)} → {escape(e.buyer)}"
            f"{'' if e.share is None else f' ({e.share:.0%})'}</title></line>"
        )
    for n, p in sorted(where.items()):
        r = risks[n].risk if n in risks else 0.0
        fill, ink = band(r)
        name = net.nodes[n].name
        short = name if len(name) <= 22 else name[:21] + "…"
        box = (
            f'<rect x="{p.x}" y="{p.y}" width="{BOX_W}" height="{BOX_H}" rx="4" fill="{fill}" '
            f'stroke="#333333"/><text x="{p.x + 6}" y="{p.y + 16}" font-size="12" fill="{ink}">'
            f'{escape(short)}</text><text x="{p.x + 6}" y="{p.y + 32}" font-size="11" '
            f'fill="{ink}">{escape(words["risk"])} {r:.2f} · {escape(net.nodes[n].kind)}</text>'
        )
        tip = f"<title>{escape(name)}: {escape(words['risk'])} {r:.3f}</title>"
        link = (href or {}).get(n)
        inner = f'<g class="node" data-id="{escape(n)}">{tip}{box}</g>'
        out.append(f'<a href="{escape(link)}">{inner}</a>' if link else inner)
    y = height - 30
    for i, (hi, fill, ink) in enumerate(BANDS):
        lo = 0.0 if i == 0 else BANDS[i - 1][0]
        out.append(
            f'<rect x="{10 + i * 110}" y="{y}" width="100" height="20" fill="{fill}" stroke="#333333"/>'
            f'<text x="{16 + i * 110}" y="{y + 14}" font-size="11" fill="{ink}">'
            f"{escape(words['risk'])} {lo:.1f}–{min(hi, 1.0):.1f}</text>"
        )
    out.append("</svg>")
    return "".join(out)
