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

#: Every text of the report, in English. A caller in another language passes ``words`` with the
#: same keys (a key it lacks stays English); names, numbers and sources are the caller's data.
WORDS: dict[str, str] = {
    "generated": "Generated {when}.",
    "intro": "Worst-path risk R (attenuated maximum along the chain), exposure E (noisy-OR weighted "
    "by shares); every score names its sources.",
    "graph": "The supply graph",
    "by_tier": "Risk by tier",
    "by_country": "Risk by country",
    "top_paths": "Top worst paths",
    "remediation": "Ranked remediation",
    "plans": "Corrective plans",
    "not_linked": "not linked",
    "tier_n": "tier {n}",
    "max_mean": "max {max} · mean {mean}",
    "milestone_due": "{title} ({owner}, due {due})",
    "milestone_done": "{title} ({owner}, due {due}, done {done})",
    "id": "id",
    "name": "name",
    "kind": "kind",
    "country": "country",
    "tier": "tier",
    "own_risk": "own risk",
    "risk_r": "risk R",
    "exposure_e": "exposure E",
    "worst_path": "worst path",
    "sources": "sources",
    "entities": "entities",
    "mean_risk": "mean risk",
    "highest_risk": "highest risk",
    "entity": "entity",
    "score": "score",
    "action": "action",
    "why": "why",
    "plan": "plan",
    "status": "status",
    "milestones": "milestones",
    "rank": "rank",
    "risk": "risk",
    "leverage": "leverage",
    "severity": "severity",
    "recency": "recency",
    "milestone": "milestone",
    "owner": "owner",
    "due": "due",
    "done": "done",
    "report": "report",
    "generated_at": "generated",
    "sheet_entities": "Entities",
    "sheet_by_tier": "By tier",
    "sheet_by_country": "By country",
    "sheet_top_paths": "Top paths",
    "sheet_remediation": "Remediation",
    "sheet_plans": "Plans",
    "sheet_about": "About",
}


def _words(words: Mapping[str, str] | None) -> dict[str, str]:
    return {**WORDS, **{k: v for k, v in (words or {}).items() if k in WORDS and v}}


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


def by_tier(
    net: Network, risks: Mapping[str, NodeRisk], words: Mapping[str, str] | None = None
) -> list[Summary]:
    w = _words(words)
    t = tiers(net)
    groups: dict[int | None, list[float]] = {}
    for n, r in risks.items():
        groups.setdefault(t.get(n), []).append(r.risk)
    keys = sorted(k for k in groups if k is not None) + ([None] if None in groups else [])
    return [
        Summary(
            w["not_linked"] if k is None else w["tier_n"].format(n=k),
            len(groups[k]),
            mean(groups[k]),
            max(groups[k]),
        )
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


def bars(rows: Sequence[Summary], title: str, words: Mapping[str, str] | None = None) -> str:
    """A horizontal bar chart of the highest risk per row (and the mean as a thin bar)."""
    width, bar_w, row_h = 520, 300, 26
    figures = _words(words)["max_mean"]
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
            f"{escape(figures.format(max=f'{s.max_risk:.2f}', mean=f'{s.mean_risk:.2f}'))}</text>"
        )
    out.append("</svg>")
    return "".join(out)


def _table(head: Sequence[str], rows: Sequence[Sequence[Any]], id_: str) -> str:
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in r) + "</tr>" for r in rows)
    return f'<table id="{id_}"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'


def _milestones(p: PlanRow, w: Mapping[str, str]) -> str:
    return "; ".join(
        (w["milestone_done"] if x else w["milestone_due"]).format(title=t, owner=o, due=d, done=x)
        for t, o, d, x in p.milestones
    )


def html(
    title: str,
    net: Network,
    risks: Mapping[str, NodeRisk],
    lines: Sequence[Remediation],
    plans: Sequence[PlanRow],
    generated: str,
    words: Mapping[str, str] | None = None,
    lang: str = "en",
    rtl: bool = False,
) -> str:
    """The report as one self-contained HTML page in ``words`` (``WORDS`` keys), ``lang``/``rtl``
    its language and direction."""
    w = _words(words)
    names = {k: v.name for k, v in net.nodes.items()}

    def via(path: Sequence[str]) -> str:
        return " → ".join(names.get(p, p) for p in path)

    tier_rows, country_rows = by_tier(net, risks, w), by_country(net, risks)
    direction = "rtl" if rtl else "ltr"
    parts = [
        f'<!DOCTYPE html><html lang="{escape(lang)}" dir="{direction}"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title><style>body{{font-family:sans-serif;margin:2em}}"
        "table{border-collapse:collapse;margin-block:1em}td,th{border:1px solid #999;"
        "padding:0.2em 0.5em;text-align:start;vertical-align:top}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f"<p>{escape(w['generated'].format(when=generated))} {escape(w['intro'])}</p>",
        f"<h2>{escape(w['graph'])}</h2>",
        picture.svg(net, risks),
        f"<h2>{escape(w['by_tier'])}</h2>",
        bars(tier_rows, w["by_tier"], w),
        _table(
            (w["tier"], w["entities"], w["mean_risk"], w["highest_risk"]),
            [(s.label, s.count, f"{s.mean_risk:.3f}", f"{s.max_risk:.3f}") for s in tier_rows],
            "by-tier",
        ),
        f"<h2>{escape(w['by_country'])}</h2>",
        bars(country_rows, w["by_country"], w),
        _table(
            (w["country"], w["entities"], w["mean_risk"], w["highest_risk"]),
            [(s.label, s.count, f"{s.mean_risk:.3f}", f"{s.max_risk:.3f}") for s in country_rows],
            "by-country",
        ),
        f"<h2>{escape(w['top_paths'])}</h2>",
        _table(
            (w["entity"], w["risk_r"], w["exposure_e"], w["worst_path"], w["sources"]),
            [
                (names[r.id], f"{r.risk:.3f}", f"{r.exposure:.3f}", via(r.path), "; ".join(r.sources))
                for r in top_paths(net, risks)
            ],
            "top-paths",
        ),
        f"<h2>{escape(w['remediation'])}</h2>",
        _table(
            ("#", w["entity"], w["kind"], w["score"], w["action"], w["why"]),
            [(ln.rank, ln.name, ln.kind, f"{ln.score:.4f}", ln.action, ln.reason) for ln in lines],
            "remediation",
        ),
        f"<h2>{escape(w['plans'])}</h2>",
        _table(
            (w["entity"], w["plan"], w["action"], w["status"], w["milestones"]),
            [(p.entity, p.title, p.action, p.status, _milestones(p, w)) for p in plans],
            "plans",
        ),
        "</body></html>",
    ]
    return "".join(parts)


def _sheet_name(text: str) -> str:
    """An Excel sheet name: at most 31 characters, none of []:*?/\\."""
    return "".join(c for c in text if c not in "[]:*?/\\")[:31] or "sheet"


def xlsx(
    title: str,
    net: Network,
    risks: Mapping[str, NodeRisk],
    lines: Sequence[Remediation],
    plans: Sequence[PlanRow],
    generated: str,
    words: Mapping[str, str] | None = None,
    rtl: bool = False,
) -> bytes:
    """The report as a workbook in ``words`` (``WORDS`` keys); ``rtl``: sheets right to left."""
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference

    w = _words(words)
    wb = Workbook()
    names = {k: v.name for k, v in net.nodes.items()}
    t = tiers(net)

    def sheet(name: str, head: Sequence[str], rows: Sequence[Sequence[Any]], first: bool = False) -> Any:
        ws = wb.active if first else wb.create_sheet(_sheet_name(name))
        ws.title = _sheet_name(name)
        if rtl:
            ws.sheet_view.rightToLeft = True
        ws.append(list(head))
        for r in rows:
            ws.append([formula_safe(c) for c in r])
        return ws

    sheet(
        w["sheet_entities"],
        tuple(
            w[k]
            for k in (
                "id",
                "name",
                "kind",
                "country",
                "tier",
                "own_risk",
                "risk_r",
                "exposure_e",
                "worst_path",
                "sources",
            )
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
    for name, first_col, chart_title, rows in (
        (w["sheet_by_tier"], w["tier"], w["by_tier"], by_tier(net, risks, w)),
        (w["sheet_by_country"], w["country"], w["by_country"], by_country(net, risks)),
    ):
        ws = sheet(
            name,
            (first_col, w["entities"], w["mean_risk"], w["highest_risk"]),
            [(s.label, s.count, round(s.mean_risk, 6), round(s.max_risk, 6)) for s in rows],
        )
        chart = BarChart()
        chart.title = chart_title
        chart.add_data(
            Reference(ws, min_col=3, max_col=4, min_row=1, max_row=len(rows) + 1), titles_from_data=True
        )
        chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=len(rows) + 1))
        ws.add_chart(chart, "F2")
    sheet(
        w["sheet_top_paths"],
        (w["entity"], w["risk_r"], w["exposure_e"], w["worst_path"], w["sources"]),
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
        w["sheet_remediation"],
        tuple(
            w[k]
            for k in (
                "rank",
                "entity",
                "kind",
                "score",
                "risk",
                "leverage",
                "severity",
                "recency",
                "action",
                "why",
            )
        ),
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
        w["sheet_plans"],
        tuple(w[k] for k in ("entity", "plan", "action", "status", "milestone", "owner", "due", "done")),
        [
            (p.entity, p.title, p.action, p.status, *m)
            for p in plans
            for m in (p.milestones or [("", "", "", "")])
        ],
    )
    sheet(w["sheet_about"], (w["report"], w["generated_at"]), [(title, generated)])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
