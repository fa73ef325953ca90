"""``vigil supply``: import a supply network, propagate risk, rank remediation, match duplicates.

Every command reads and checks both files whole before it prints anything; bad input is one line
naming the file, row and column, exit status 2. CSV output cells are formula-safe.
"""

from __future__ import annotations

import csv
import json
import sys
from dataclasses import asdict
from datetime import date
from enum import Enum
from typing import Annotated, Any

import typer

from vigil.cli.main import app
from vigil.errors import InputError
from vigil.io.spreadsheet import formula_safe
from vigil.supply.network import Network, find_cycles, read_network, tiers
from vigil.supply.priors import node_prior
from vigil.supply.propagation import NodeRisk, propagate
from vigil.supply.rank import rank as rank_nodes
from vigil.supply.tvpra import load_tvpra

supply_app = typer.Typer(
    help="Prevent in supply chains: multi-tier networks, inherent risk, propagation, remediation.",
    no_args_is_help=True,
)
app.add_typer(supply_app, name="supply")


class Fmt(str, Enum):
    text = "text"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"


class Lang(str, Enum):
    en = "en"
    fr = "fr"
    es = "es"
    ar = "ar"


NodesOpt = Annotated[str, typer.Option("--nodes", help="Nodes CSV/XLSX: id,name,kind,prior,country,good,...")]
EdgesOpt = Annotated[str | None, typer.Option("--edges", help="Links CSV/XLSX: supplier,buyer,share[,spend]")]
AttOpt = Annotated[float, typer.Option("--attenuation", help="Attenuation d per tier, in (0, 1].")]
UnkOpt = Annotated[float, typer.Option("--unknown-prior", help="Risk of an unmapped input share, 0..1.")]
FmtOpt = Annotated[Fmt, typer.Option("--format", help="Output format.")]
TvpraOpt = Annotated[str | None, typer.Option(
    "--tvpra", help="A TVPRA list in the shipped format (scripts/supply_tvpra.py), instead of the 2022 one.")]


def _risks(net: Network, attenuation: float, unknown_prior: float, tvpra: str | None) -> dict[str, NodeRisk]:
    rows = load_tvpra(tvpra)
    priors = {n: node_prior(v, unknown_prior, rows) for n, v in net.nodes.items()}
    return propagate(net, attenuation=attenuation, unknown_prior=unknown_prior, priors=priors)


def _check_params(attenuation: float, unknown_prior: float) -> None:
    if not 0 < attenuation <= 1:
        raise InputError("must be in (0, 1]", "--attenuation")
    if not 0 <= unknown_prior <= 1:
        raise InputError("must be in [0, 1]", "--unknown-prior")


def _emit(rows: list[dict[str, Any]], fmt: Fmt, text_lines: list[str]) -> None:
    if fmt is Fmt.jsonl:
        for r in rows:
            print(json.dumps(r, ensure_ascii=False))
    elif fmt is Fmt.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    elif fmt is Fmt.csv:
        if not rows:
            return
        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow(list(rows[0]))
        for r in rows:
            w.writerow([formula_safe(" -> ".join(map(str, v)) if isinstance(v, list) else v)
                        for v in r.values()])
    else:
        for line in text_lines:
            print(line)


@supply_app.command("import")
def import_cmd(nodes: NodesOpt, edges: EdgesOpt = None, fmt: FmtOpt = Fmt.text) -> None:
    """Check a supply network (all or nothing) and show its nodes with tier, inputs and shares."""
    net = read_network(nodes, edges)
    tier = tiers(net)
    ins = net.inputs()
    cycles = find_cycles(net)
    rows = []
    for nid, n in net.nodes.items():
        shares = [e.share for e in ins[nid] if e.share is not None]
        rows.append({"id": nid, "name": n.name, "kind": n.kind, "country": n.country, "good": n.good,
                     "tier": tier[nid], "inputs": len(ins[nid]),
                     "share_sum": round(sum(shares), 6) if shares else None, "workers": n.workers})
    text = [f"{len(net.nodes)} nodes, {len(net.edges)} links, {len(cycles)} cycle(s)"]
    text += [f"cycle: {' , '.join(c)}" for c in cycles]
    text += [f"{r['id']}\t{r['kind']}\ttier {r['tier'] if r['tier'] is not None else '?'}\t"
             f"{r['country'] or '-'}\t{r['inputs']} input(s)\t{r['name']}" for r in rows]
    _emit(rows, fmt, text)


@supply_app.command("risk")
def risk_cmd(nodes: NodesOpt, edges: EdgesOpt = None, attenuation: AttOpt = 0.8,
             unknown_prior: UnkOpt = 0.5, fmt: FmtOpt = Fmt.jsonl, tvpra: TvpraOpt = None) -> None:
    """Worst-path risk R and exposure E of every node, with the path and the sources of R."""
    _check_params(attenuation, unknown_prior)
    net = read_network(nodes, edges)
    res = _risks(net, attenuation, unknown_prior, tvpra)
    rows = [{"id": r.id, "risk": round(r.risk, 6), "exposure": round(r.exposure, 6),
             "path": list(r.path), "sources": list(r.sources)} for r in res.values()]
    text = [f"{r['id']}\tR={r['risk']:.3f}\tE={r['exposure']:.3f}\t{' -> '.join(r['path'])}\t"
            f"{'; '.join(r['sources'])}" for r in rows]
    _emit(rows, fmt, text)


@supply_app.command("rank")
def rank_cmd(nodes: NodesOpt, edges: EdgesOpt = None, attenuation: AttOpt = 0.8,
             unknown_prior: UnkOpt = 0.5, fmt: FmtOpt = Fmt.text, tvpra: TvpraOpt = None,
             top: Annotated[int | None, typer.Option("--top", min=1)] = None,
             today: Annotated[str | None, typer.Option("--today", help="ISO date for recency.")] = None,
             ) -> None:
    """Suppliers and recruiters ranked by risk x leverage x severity x recency, with reasons."""
    _check_params(attenuation, unknown_prior)
    try:
        day = date.fromisoformat(today) if today else None
    except ValueError:
        raise InputError(f"not an ISO date: {today!r}", "--today") from None
    net = read_network(nodes, edges)
    res = _risks(net, attenuation, unknown_prior, tvpra)
    lines = rank_nodes(net, res, today=day, top=top)
    rows = []
    for ln in lines:
        d = asdict(ln)
        d["path"], d["sources"] = list(ln.path), list(ln.sources)
        for k in ("risk", "leverage", "severity", "recency"):
            d[k] = round(d[k], 6)
        rows.append(d)
    text = []
    for ln in lines:
        text += [f"{ln.rank}. {ln.id} ({ln.kind}, {ln.name}) score {ln.score:.4f}",
                 f"   why: {ln.reason}", f"   sources: {'; '.join(ln.sources)}",
                 f"   action: {ln.action}"]
    _emit(rows, fmt, text)


@supply_app.command("match")
def match_cmd(nodes: NodesOpt, fmt: FmtOpt = Fmt.text,
              match_at: Annotated[float, typer.Option("--match-at", min=0, max=100)] = 90.0,
              review_at: Annotated[float, typer.Option("--review-at", min=0, max=100)] = 75.0) -> None:
    """Likely duplicate suppliers and facilities (same country), to merge or to review."""
    from vigil.supply.match import duplicates

    if review_at > match_at:
        raise InputError("must not be above --match-at", "--review-at")
    net = read_network(nodes)
    pairs = duplicates(list(net.nodes.values()), match_at=match_at, review_at=review_at)
    rows = [asdict(p) for p in pairs]
    text = [f"{p.decision}\t{p.score:.1f}\t{p.a} = {p.b}\t{net.nodes[p.a].name} | {net.nodes[p.b].name}"
            for p in pairs] or ["no likely duplicates"]
    _emit(rows, fmt, text)


@supply_app.command("report")
def report_cmd(nodes: NodesOpt, out: Annotated[str, typer.Option("--out", help="FILE.html or FILE.xlsx")],
               edges: EdgesOpt = None, attenuation: AttOpt = 0.8, unknown_prior: UnkOpt = 0.5,
               tvpra: TvpraOpt = None,
               title: Annotated[str | None, typer.Option(
                   "--title", help="Default: 'Supply-chain due diligence report', translated.")] = None,
               today: Annotated[str | None, typer.Option("--today", help="ISO date for recency.")] = None,
               lang: Annotated[Lang, typer.Option(
                   "--lang", help="Language of the report's words (Arabic right to left).")] = Lang.en,
               ) -> None:
    """The report to hand over: graph, risk by tier and by country, top paths, remediation."""
    from pathlib import Path

    from vigil.supply import report

    _check_params(attenuation, unknown_prior)
    suffix = Path(out).suffix.lower()
    if suffix not in (".html", ".xlsx"):
        raise InputError("must end with .html or .xlsx", "--out")
    try:
        day = date.fromisoformat(today) if today else date.today()
    except ValueError:
        raise InputError(f"not an ISO date: {today!r}", "--today") from None
    net = read_network(nodes, edges)
    res = _risks(net, attenuation, unknown_prior, tvpra)
    lines = rank_nodes(net, res, today=day)
    t = report.catalogue(lang.value)
    words: dict[str, Any] = {"lang": lang.value, "gettext": t}
    heading = title or t("Supply-chain due diligence report")
    if suffix == ".html":
        Path(out).write_text(report.html(heading, net, res, lines, [], day.isoformat(), **words),
                             encoding="utf-8")
    else:
        Path(out).write_bytes(report.xlsx(heading, net, res, lines, [], day.isoformat(), **words))
    print(f"{out}: {len(net.nodes)} nodes, {len(lines)} ranked")
