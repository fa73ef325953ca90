"""The report a compliance officer hands over: HTML (one self-contained page: the graph, charts of
risk by tier and by country drawn as SVG, the top worst paths with their sources, the ranked
remediation and the corrective plans) and XLSX (the same tables, one sheet each, with native
bar charts). Plain data in, bytes or text out; every label and cell comes from the caller's data,
escaped in HTML and formula-safe in the workbook.

The report's own words go through ``gettext`` (a function from an English message to its
translation; the default keeps English) and ``lang`` sets the page's language, right to left for
Arabic (``dir="rtl"``, and right-to-left sheets in the workbook). The messages are the list
:data:`MESSAGES`; their translations live in the supply app's catalogue
(``vigil/server/supply/locale``), which :func:`catalogue` reads with the standard library. The
reasons of the ranking and the sources of each score are evidence as computed (ids, numbers,
rule ids) and stay as they are.
"""

from __future__ import annotations

import gettext as _gettext
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from statistics import mean
from typing import Any

from vigil.io.spreadsheet import formula_safe
from vigil.supply import picture
from vigil.supply.network import Network, tiers
from vigil.supply.propagation import NodeRisk
from vigil.supply.rank import ACTIONS, Remediation

TOP_PATHS = 10
RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur"})
LANGUAGES = ("en", "fr", "es", "ar")
Translate = Callable[[str], str]

# Every message of the report (English), as the catalogue has them; the server app lists them
# for extraction in ``vigil/server/supply/report_words.py`` (a test keeps the two lists equal).
MESSAGES: tuple[str, ...] = (
    "Supply-chain due diligence report",
    "Generated %(when)s. Worst-path risk R (attenuated maximum along the chain), exposure E "
    "(noisy-OR weighted by shares); every score names its sources.",
    "The supply graph",
    "Risk by tier",
    "Risk by country",
    "Top worst paths",
    "Ranked remediation",
    "Corrective plans",
    "Tier {n}",
    "Company",
    "Not linked",
    "risk",
    "Supply graph: tiers as columns, worst-path risk as colour",
    "max %(max)s · mean %(mean)s",
    "tier",
    "entities",
    "mean risk",
    "highest risk",
    "country",
    "entity",
    "risk R",
    "exposure E",
    "worst path",
    "sources",
    "kind",
    "score",
    "action",
    "why",
    "plan",
    "status",
    "milestones",
    "milestone",
    "owner",
    "due",
    "done",
    "id",
    "name",
    "own risk",
    "rank",
    "leverage",
    "severity",
    "recency",
    "report",
    "generated",
    "%(milestone)s (%(owner)s, due %(due)s)",
    "%(milestone)s (%(owner)s, due %(due)s, done %(done)s)",
    "Entities",
    "By tier",
    "By country",
    "Top paths",
    "Remediation",
    "Plans",
    "About",
    "company",
    "supplier",
    "facility",
    "recruiter",
    *ACTIONS,
)
_KINDS = frozenset({"company", "supplier", "facility", "recruiter"})


def _english(message: str) -> str:
    return message


def catalogue(lang: str, localedir: str | None = None) -> Translate:
    """The translation function for ``lang`` from the supply app's compiled catalogue
    (``django.mo``), read with the standard library; English (or a language without a
    catalogue) keeps the messages as they are."""
    if lang == "en":
        return _english
    from pathlib import Path

    where = localedir or str(Path(__file__).resolve().parent.parent / "server" / "supply" / "locale")
    return _gettext.translation("django", localedir=where, languages=[lang], fallback=True).gettext


def direction(lang: str) -> str:
    return "rtl" if lang.split("-")[0] in RTL_LANGUAGES else "ltr"


def graph_labels(t: Translate = _english) -> dict[str, str]:
    """The words of :func:`vigil.supply.picture.svg`, translated."""
    return {
        "tier": t("Tier {n}"),
        "company": t("Company"),
        "unlinked": t("Not linked"),
        "risk": t("risk"),
        "title": t("Supply graph: tiers as columns, worst-path risk as colour"),
    }


def _kind(kind: str, t: Translate) -> str:
    return t(kind) if kind in _KINDS else kind


def _action(action: str, t: Translate) -> str:
    return t(action) if action in ACTIONS else action


def _milestone(m: tuple[str, str, str, str], t: Translate) -> str:
    title, owner, due, done = m
    if done:
        return t("%(milestone)s (%(owner)s, due %(due)s, done %(done)s)") % {
            "milestone": title, "owner": owner, "due": due, "done": done}
    return t("%(milestone)s (%(owner)s, due %(due)s)") % {"milestone": title, "owner": owner, "due": due}


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


def by_tier(net: Network, risks: Mapping[str, NodeRisk], t: Translate | None = None) -> list[Summary]:
    """Risk per tier; labels "tier 0", "tier 1"... and "not linked" (translated with ``t``:
    "Tier {n}", "Not linked")."""
    tier_of = tiers(net)
    groups: dict[int | None, list[float]] = {}
    for n, r in risks.items():
        groups.setdefault(tier_of.get(n), []).append(r.risk)
    keys = sorted(k for k in groups if k is not None) + ([None] if None in groups else [])

    def label(k: int | None) -> str:
        if t is None:
            return "not linked" if k is None else f"tier {k}"
        return t("Not linked") if k is None else t("Tier {n}").format(n=k)

    return [Summary(label(k), len(groups[k]), mean(groups[k]), max(groups[k])) for k in keys]


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


def bars(rows: Sequence[Summary], title: str, t: Translate = _english) -> str:
    """A horizontal bar chart of the highest risk per row (and the mean as a thin bar)."""
    width, bar_w, row_h = 520, 300, 26
    height = 30 + row_h * max(1, len(rows))
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}"><title>{escape(title)}</title>'
    ]
    for i, s in enumerate(rows):
        y = 20 + i * row_h
        mean_s = f"{s.mean_risk:.2f}"
        fill, _ink = picture.band(s.max_risk)
        out.append(
            f'<text x="0" y="{y + 14}" font-size="12">{escape(s.label)} ({s.count})</text>'
            f'<rect x="130" y="{y}" width="{bar_w * s.max_risk:.1f}" height="16" fill="{fill}" '
            f'stroke="#333333"/><rect x="130" y="{y + 6}" width="{bar_w * s.mean_risk:.1f}" height="4" '
            f'fill="#333333"/><text x="{136 + bar_w}" y="{y + 13}" font-size="11">'
            + escape(t("max %(max)s · mean %(mean)s") % {"max": f"{s.max_risk:.2f}", "mean": mean_s})
            + "</text>"
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
    *,
    lang: str = "en",
    gettext: Translate = _english,
) -> str:
    t = gettext
    names = {k: v.name for k, v in net.nodes.items()}

    def via(path: Sequence[str]) -> str:
        return " → ".join(names.get(p, p) for p in path)

    tier_rows, country_rows = by_tier(net, risks, t), by_country(net, risks)
    # the pictures keep their left-to-right geometry on a right-to-left page
    parts = [
        f'<!DOCTYPE html><html lang="{escape(lang)}" dir="{direction(lang)}"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title><style>body{{font-family:sans-serif;margin:2em}}"
        "table{border-collapse:collapse;margin-block:1em}td,th{border:1px solid #999;"
        "padding:0.2em 0.5em;text-align:start;vertical-align:top}.picture{direction:ltr}"
        "</style></head><body>",
        f"<h1>{escape(title)}</h1><p>"
        + escape(
            t(
                "Generated %(when)s. Worst-path risk R (attenuated maximum along the chain), exposure E "
                "(noisy-OR weighted by shares); every score names its sources."
            )
            % {"when": generated}
        )
        + "</p>",
        f"<h2>{escape(t('The supply graph'))}</h2>",
        '<div class="picture" dir="ltr">' + picture.svg(net, risks, graph_labels(t)) + "</div>",
        f"<h2>{escape(t('Risk by tier'))}</h2>",
        '<div class="picture" dir="ltr">' + bars(tier_rows, t("Risk by tier"), t) + "</div>",
        _table(
            (t("tier"), t("entities"), t("mean risk"), t("highest risk")),
            [(s.label, s.count, f"{s.mean_risk:.3f}", f"{s.max_risk:.3f}") for s in tier_rows],
            "by-tier",
        ),
        f"<h2>{escape(t('Risk by country'))}</h2>",
        '<div class="picture" dir="ltr">' + bars(country_rows, t("Risk by country"), t) + "</div>",
        _table(
            (t("country"), t("entities"), t("mean risk"), t("highest risk")),
            [(s.label, s.count, f"{s.mean_risk:.3f}", f"{s.max_risk:.3f}") for s in country_rows],
            "by-country",
        ),
        f"<h2>{escape(t('Top worst paths'))}</h2>",
        _table(
            (t("entity"), t("risk R"), t("exposure E"), t("worst path"), t("sources")),
            [
                (names[r.id], f"{r.risk:.3f}", f"{r.exposure:.3f}", via(r.path), "; ".join(r.sources))
                for r in top_paths(net, risks)
            ],
            "top-paths",
        ),
        f"<h2>{escape(t('Ranked remediation'))}</h2>",
        _table(
            ("#", t("entity"), t("kind"), t("score"), t("action"), t("why")),
            [
                (ln.rank, ln.name, _kind(ln.kind, t), f"{ln.score:.4f}", _action(ln.action, t), ln.reason)
                for ln in lines
            ],
            "remediation",
        ),
        f"<h2>{escape(t('Corrective plans'))}</h2>",
        _table(
            (t("entity"), t("plan"), t("action"), t("status"), t("milestones")),
            [
                (p.entity, p.title, p.action, p.status, "; ".join(_milestone(m, t) for m in p.milestones))
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
    *,
    lang: str = "en",
    gettext: Translate = _english,
) -> bytes:
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference

    t = gettext
    rtl = direction(lang) == "rtl"
    wb = Workbook()
    names = {k: v.name for k, v in net.nodes.items()}
    tier_of = tiers(net)

    def sheet(name: str, head: Sequence[str], rows: Sequence[Sequence[Any]], first: bool = False) -> Any:
        ws = wb.active if first else wb.create_sheet()
        ws.title = _sheet_title(name)
        ws.sheet_view.rightToLeft = rtl
        ws.append(list(head))
        for r in rows:
            ws.append([formula_safe(c) for c in r])
        return ws

    sheet(
        t("Entities"),
        (
            t("id"),
            t("name"),
            t("kind"),
            t("country"),
            t("tier"),
            t("own risk"),
            t("risk R"),
            t("exposure E"),
            t("worst path"),
            t("sources"),
        ),
        [
            (
                k,
                names[k],
                _kind(net.nodes[k].kind, t),
                net.nodes[k].country,
                tier_of.get(k),
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
        (t("By tier"), t("tier"), t("Risk by tier"), by_tier(net, risks, t)),
        (t("By country"), t("country"), t("Risk by country"), by_country(net, risks)),
    ):
        ws = sheet(
            name,
            (first_col, t("entities"), t("mean risk"), t("highest risk")),
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
        t("Top paths"),
        (t("entity"), t("risk R"), t("exposure E"), t("worst path"), t("sources")),
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
        t("Remediation"),
        (
            t("rank"),
            t("entity"),
            t("kind"),
            t("score"),
            t("risk"),
            t("leverage"),
            t("severity"),
            t("recency"),
            t("action"),
            t("why"),
        ),
        [
            (
                ln.rank,
                ln.name,
                _kind(ln.kind, t),
                ln.score,
                round(ln.risk, 6),
                round(ln.leverage, 6),
                ln.severity,
                round(ln.recency, 6),
                _action(ln.action, t),
                ln.reason,
            )
            for ln in lines
        ],
    )
    sheet(
        t("Plans"),
        (t("entity"), t("plan"), t("action"), t("status"), t("milestone"), t("owner"), t("due"), t("done")),
        [
            (p.entity, p.title, p.action, p.status, *m)
            for p in plans
            for m in (p.milestones or [("", "", "", "")])
        ],
    )
    sheet(t("About"), (t("report"), t("generated")), [(title, generated)])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


_SHEET_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})


def _sheet_title(name: str) -> str:
    """A worksheet title Excel accepts: none of []:*?/\\, at most 31 characters."""
    return name.translate(_SHEET_FORBIDDEN).strip()[:31] or "Sheet"
