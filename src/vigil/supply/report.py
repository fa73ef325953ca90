"""The report a compliance officer hands over: HTML (one self-contained page: the graph, charts of
risk by tier and by country drawn as SVG, the top worst paths with their sources, the ranked
remediation and the corrective plans) and XLSX (the same tables, one sheet each, with native
bar charts). Plain data in, bytes or text out; every label and cell comes from the caller's data,
escaped in HTML and formula-safe in the workbook.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from statistics import mean
from typing import Any

from vigil.io.spreadsheet import formula_safe
from vigil.supply import picture
from vigil.supply.network import Network, tiers
from vigil.supply.propagation import NodeRisk
from vigil.supply.rank import Remediation

TOP_PATHS = 10


@dataclass(frozen=True)
class PlanRow:
    entity: str
    title: str
    action: str
    status: str
    milestones: Sequence[tuple[str, str, str, str]] = field(default_factory=tuple)  # title, owner, due, done


@dataclass(frozen=True)
class Summary:
    label: str
    count: int
    mean_risk: float
    max_risk: float


def by_tier(net: Network, risks: Mapping[str, NodeRisk]) -> list[Summary]:
    t = tiers(net)
    groups: dict[int | None, list[float]] = {}
    for n, r in risks.items():
        groups.setdefault(t.get(n), []).append(r.risk)
    keys = sorted(k for k in groups if k is not None) + ([None] if None in groups else [])
    return [
        Summary("not linked" if k is None else f"tier {k}", len(groups[k]), mean(groups[k]), max(groups[k]))
        for k in keys
    ]


def by_country(net: Network, risks: Mapping[str, NodeRisk]) -> list[Summary]:
    groups: dict[str, list[float]] = {}
    for n, r in risks.items():
        groups.setdefault(net.nodes[n].country or "?", []).append(r.risk)
    rows = [Summary(c, len(v), mean(v), max(v)) for c, v in groups.items()]
    return sorted(rows, key=lambda s: (-s.max_risk, s.label))


def top_paths(net: Network, risks: Mapping[str, NodeRisk], n: int = TOP_PATHS) -> list[NodeRisk]:
    """The worst paths that reach a company or a tier-1 supplier: the risks a buyer carries."""
    t = tiers(net)
    near = [r for k, r in risks.items() if t.get(k) in (0, 1)] or list(risks.values())
    return sorted(near, key=lambda r: (-r.risk, r.id))[:n]


def bars(rows: Sequence[Summary], title: str) -> str:
    """A horizontal bar chart of the highest risk per row (and the mean as a thin bar)."""
    width, bar_w, row_h = 520, 300, 26
    height = 30 + row_h * max(1, len(rows))
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}"><title>{escape(title)}</title>'
    ]
    for i, s in enumerate(rows):
        y = 20 + i * row_h
        fill, _ink = picture.band(s.max_risk)
        out.append(
            f'<text x="0" y="{y + 14}" font-size="12">{escape(s.label)} ({s.count})</text>'
            f'<rect x="130" y="{y}" width="{bar_w * s.max_risk:.1f}" height="16" fill="{fill}" '
            f'stroke="#333333"/><rect x="130" y="{y + 6}" width="{bar_w * s.mean_risk:.1f}" height="4" '
            f'fill="#333333"/><text x="{136 + bar_w}" y="{y + 13}" font-size="11">'
            f"max {s.max_risk:.2f} · mean {s.mean_risk:.2f}</text>"
        )
    out.append("</svg>")
    return "".join(out)


def _table(head: Sequence[str], rows: Sequence[Sequence[Any]], id_: str) -> str:
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in r) + "</tr>" for r in rows)
    return f'<table id="{id_}"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'


def html(
    title: str,
    net: Network,
    risks: Mapping[str, NodeRisk],
    lines: Sequence[Remediation],
    plans: Sequence[PlanRow],
    generated: str,
) -> str:
    names = {k: v.name for k, v in net.nodes.items()}

    def via(path: Sequence[str]) -> str:
        return " → ".join(names.get(p, p) for p in path)

    tier_rows, country_rows = by_tier(net, risks), by_country(net, risks)
    parts = [
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title><style>body{{font-family:sans-serif;margin:2em}}"
        "table{border-collapse:collapse;margin-block:1em}td,th{border:1px solid #999;"
        "padding:0.2em 0.5em;text-align:start;vertical-align:top}</style></head><body>",
        f"<h1>{escape(title)}</h1><p>Generated {escape(generated)}. Worst-path risk R (attenuated "
        "maximum along the chain), exposure E (noisy-OR weighted by shares); every score names its "
        "sources.</p>",
        "<h2>The supply graph</h2>",
        picture.svg(net, risks),
        "<h2>Risk by tier</h2>",
        bars(tier_rows, "Risk by tier"),
        _table(
            ("tier", "entities", "mean risk", "highest risk"),
            [(s.label, s.count, f"{s.mean_risk:.3f}", f"{s.max_risk:.3f}") for s in tier_rows],
            "by-tier",
        ),
        "<h2>Risk by country</h2>",
        bars(country_rows, "Risk by country"),
        _table(
            ("country", "entities", "mean risk", "highest risk"),
            [(s.label, s.count, f"{s.mean_risk:.3f}", f"{s.max_risk:.3f}") for s in country_rows],
            "by-country",
        ),
        "<h2>Top worst paths</h2>",
        _table(
            ("entity", "risk R", "exposure E", "worst path", "sources"),
            [
                (names[r.id], f"{r.risk:.3f}", f"{r.exposure:.3f}", via(r.path), "; ".join(r.sources))
                for r in top_paths(net, risks)
            ],
            "top-paths",
        ),
        "<h2>Ranked remediation</h2>",
        _table(
            ("#", "entity", "kind", "score", "action", "why"),
            [(ln.rank, ln.name, ln.kind, f"{ln.score:.4f}", ln.action, ln.reason) for ln in lines],
            "remediation",
        ),
        "<h2>Corrective plans</h2>",
        _table(
            ("entity", "plan", "action", "status", "milestones"),
            [
                (
                    p.entity,
                    p.title,
                    p.action,
                    p.status,
                    "; ".join(
                        f"{t} ({o}, due {d}{', done ' + x if x else ''})" for t, o, d, x in p.milestones
                    ),
                )
                for p in plans
            ],
            "plans",
        ),
        "</body></html>",
    ]
    return "".join(parts)


def xlsx(
    title: str,
    net: Network,
    risks: Mapping[str, NodeRisk],
    lines: Sequence[Remediation],
    plans: Sequence[PlanRow],
    generated: str,
) -> bytes:
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference

    wb = Workbook()
    names = {k: v.name for k, v in net.nodes.items()}
    t = tiers(net)

    def sheet(name: str, head: Sequence[str], rows: Sequence[Sequence[Any]], first: bool = False) -> Any:
        ws = wb.active if first else wb.create_sheet(name)
        ws.title = name
        ws.append(list(head))
        for r in rows:
            ws.append([formula_safe(c) for c in r])
        return ws

    sheet(
        "Entities",
        (
            "id",
            "name",
            "kind",
            "country",
            "tier",
            "own risk",
            "risk R",
            "exposure E",
            "worst path",
            "sources",
        ),
        [
            (
                k,
                names[k],
                net.nodes[k].kind,
                net.nodes[k].country,
                t.get(k),
                round(r.prior, 6),
                round(r.risk, 6),
                round(r.exposure, 6),
                " -> ".join(names.get(p, p) for p in r.path),
                "; ".join(r.sources),
            )
            for k, r in risks.items()
        ],
        first=True,
    )
    for name, rows in (("By tier", by_tier(net, risks)), ("By country", by_country(net, risks))):
        ws = sheet(
            name,
            (name.split()[-1], "entities", "mean risk", "highest risk"),
            [(s.label, s.count, round(s.mean_risk, 6), round(s.max_risk, 6)) for s in rows],
        )
        chart = BarChart()
        chart.title = f"Risk {name.lower()}"
        chart.add_data(
            Reference(ws, min_col=3, max_col=4, min_row=1, max_row=len(rows) + 1), titles_from_data=True
        )
        chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=len(rows) + 1))
        ws.add_chart(chart, "F2")
    sheet(
        "Top paths",
        ("entity", "risk R", "exposure E", "worst path", "sources"),
        [
            (
                names[r.id],
                round(r.risk, 6),
                round(r.exposure, 6),
                " -> ".join(names.get(p, p) for p in r.path),
                "; ".join(r.sources),
            )
            for r in top_paths(net, risks)
        ],
    )
    sheet(
        "Remediation",
        ("rank", "entity", "kind", "score", "risk", "leverage", "severity", "recency", "action", "why"),
        [
            (
                ln.rank,
                ln.name,
                ln.kind,
                ln.score,
                round(ln.risk, 6),
                round(ln.leverage, 6),
                ln.severity,
                round(ln.recency, 6),
                ln.action,
                ln.reason,
            )
            for ln in lines
        ],
    )
    sheet(
        "Plans",
        ("entity", "plan", "action", "status", "milestone", "owner", "due", "done"),
        [
            (p.entity, p.title, p.action, p.status, *m)
            for p in plans
            for m in (p.milestones or [("", "", "", "")])
        ],
    )
    sheet("About", ("report", "generated"), [(title, generated)])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
