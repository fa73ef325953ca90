"""A supply network read from CSV or XLSX: nodes (company, suppliers of any tier, facilities,
recruiters) and links from an input provider to its buyer with the share of the buyer's input.

Reading is all or nothing: the whole of both files is checked (columns, numbers, countries,
unknown ids, shares in 0..1, a buyer's shares summing above 1, duplicates) before a network is
returned, and the first problem is an ``InputError`` naming the file, row and column.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vigil.errors import InputError
from vigil.io.limits import check_row_count
from vigil.io.records import first_sheet, text_lines
from vigil.supply.countries import to_alpha3

KINDS = ("company", "supplier", "facility", "recruiter")
SHARE_TOLERANCE = 1e-9
NODE_COLUMNS = ("id", "name", "kind", "prior", "country", "sector", "good", "address",
                "workers", "licence", "fee_breaches", "severity", "evidence_date")
EDGE_COLUMNS = ("supplier", "buyer", "share", "spend")


@dataclass(frozen=True)
class Node:
    id: str
    name: str = ""
    kind: str = "supplier"
    prior: float | None = None
    country: str = ""
    sector: str = ""
    good: str = ""
    address: str = ""
    workers: int | None = None
    licence: str = ""  # recruiters: "valid", "expired", "none" or blank (unknown)
    fee_breaches: int | None = None
    severity: float | None = None  # grade of the indicators found at the node, 0..1
    evidence_date: str = ""  # ISO date of the latest evidence (audit, finding)
    place: str = ""


@dataclass(frozen=True)
class Edge:
    supplier: str
    buyer: str
    share: float | None
    spend: float | None = None
    place: str = ""


@dataclass
class Network:
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)

    def inputs(self) -> dict[str, list[Edge]]:
        out: dict[str, list[Edge]] = {n: [] for n in self.nodes}
        for e in self.edges:
            out[e.buyer].append(e)
        return out

    def outputs(self) -> dict[str, list[Edge]]:
        out: dict[str, list[Edge]] = {n: [] for n in self.nodes}
        for e in self.edges:
            out[e.supplier].append(e)
        return out


def _clean_header(cells: Iterable[Any], place: str) -> list[str]:
    header = ["" if c is None else str(c).strip() for c in cells]
    for i, h in enumerate(header, start=1):
        if not h:
            raise InputError(f"column {i} has no name", place)
    dup = sorted({h for h in header if header.count(h) > 1})
    if dup:
        raise InputError(f"duplicate column {dup[0]}", place)
    return header


def read_rows(path: str | Path) -> list[tuple[str, dict[str, str]]]:
    """(place "FILE, row N", {column: text}) of each non-blank row of a CSV or XLSX file."""
    p = Path(path)
    name = p.name
    if not p.is_file():
        raise InputError("no such file", str(path))
    rows: list[tuple[str, dict[str, str]]] = []
    if p.suffix.lower() in (".xlsx", ".xlsm"):
        with first_sheet(p) as (cells, sheet):
            first = next(cells, None)
            if first is None:
                raise InputError("empty sheet (no header row)", sheet)
            header = _clean_header(first, f"{sheet}, row 1")
            for n, row in enumerate(cells, start=2):
                values = ["" if c is None else _cell_text(c) for c in row]
                if not any(v.strip() for v in values):
                    continue
                if len(values) > len(header) and any(v.strip() for v in values[len(header):]):
                    raise InputError(f"{len(values)} cells but {len(header)} columns", f"{sheet}, row {n}")
                rows.append((f"{sheet}, row {n}", dict(zip(header, values, strict=False))))
                check_row_count(len(rows), name)
        return rows
    try:
        reader = csv.reader(text_lines(p))
        first_row = next(reader, None)
        if first_row is None:
            raise InputError("empty file (no header row)", name)
        header = _clean_header(first_row, f"{name}, row 1")
        for row in reader:
            if not any(c.strip() for c in row):
                continue
            place = f"{name}, row {reader.line_num}"
            if len(row) != len(header):
                raise InputError(f"{len(row)} cells but {len(header)} columns", place)
            rows.append((place, dict(zip(header, row, strict=True))))
            check_row_count(len(rows), name)
    except csv.Error as exc:
        raise InputError(f"malformed CSV ({exc})", name) from None
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", name) from None
    return rows


def _cell_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return str(value.isoformat())[:10]
    return str(value)


def _number(text: str, place: str, lo: float | None = None, hi: float | None = None) -> float | None:
    t = text.strip()
    if not t:
        return None
    try:
        x = float(t)
    except ValueError:
        raise InputError(f"not a number: {t!r}", place) from None
    if x != x or x in (float("inf"), float("-inf")):
        raise InputError(f"not a finite number: {t!r}", place)
    if (lo is not None and x < lo) or (hi is not None and x > hi):
        where = f"outside {lo:g}..{hi:g}" if hi is not None else f"below {lo:g}"
        raise InputError(f"{t} is {where}", place)
    return x


def _require(header: Iterable[str], needed: Iterable[str], place: str) -> None:
    have = set(header)
    for c in needed:
        if c not in have:
            raise InputError(f"missing column {c}", place)


def _file_place(rows: list[tuple[str, dict[str, str]]], path: str | Path) -> str:
    return rows[0][0].rsplit(", row", 1)[0] + ", row 1" if rows else f"{Path(path).name}, row 1"


def read_network(nodes_path: str | Path, edges_path: str | Path | None = None) -> Network:
    """The network of a nodes file and an edges file (see the module docstring)."""
    net = Network()
    node_rows = read_rows(nodes_path)
    if not node_rows:
        raise InputError("no nodes", Path(nodes_path).name)
    _require(node_rows[0][1].keys(), ("id",), _file_place(node_rows, nodes_path))
    for place, r in node_rows:
        def col(c: str, r: dict[str, str] = r) -> str:
            return (r.get(c) or "").strip()

        nid = col("id")
        if not nid:
            raise InputError("empty id", f"{place}, column id")
        if nid in net.nodes:
            raise InputError(f"duplicate id {nid!r} (first at {net.nodes[nid].place})", f"{place}, column id")
        kind = col("kind").lower() or "supplier"
        if kind not in KINDS:
            raise InputError(f"unknown kind {kind!r} ({', '.join(KINDS)})", f"{place}, column kind")
        workers = _number(col("workers"), f"{place}, column workers", 0)
        if workers is not None and not workers.is_integer():
            raise InputError("workers is not a whole number", f"{place}, column workers")
        breaches = _number(col("fee_breaches"), f"{place}, column fee_breaches", 0)
        licence = col("licence").lower()
        if licence not in ("", "valid", "expired", "none", "suspended", "revoked"):
            raise InputError(f"unknown licence status {licence!r} (valid, expired, suspended, revoked, none)",
                             f"{place}, column licence")
        date = col("evidence_date")
        if date:
            from datetime import date as _date

            try:
                _date.fromisoformat(date)
            except ValueError:
                raise InputError(f"not an ISO date: {date!r}", f"{place}, column evidence_date") from None
        net.nodes[nid] = Node(
            id=nid, name=col("name") or nid, kind=kind,
            prior=_number(col("prior"), f"{place}, column prior", 0, 1),
            country=to_alpha3(col("country"), f"{place}, column country") if col("country") else "",
            sector=col("sector"), good=col("good"), address=col("address"),
            workers=int(workers) if workers is not None else None, licence=licence,
            fee_breaches=int(breaches) if breaches is not None else None,
            severity=_number(col("severity"), f"{place}, column severity", 0, 1),
            evidence_date=date, place=place,
        )
    if edges_path is None:
        return net
    edge_rows = read_rows(edges_path)
    if edge_rows:
        _require(edge_rows[0][1].keys(), ("supplier", "buyer"), _file_place(edge_rows, edges_path))
    seen: dict[tuple[str, str], str] = {}
    totals: dict[str, float] = {}
    for place, r in edge_rows:
        sup, buy = (r.get("supplier") or "").strip(), (r.get("buyer") or "").strip()
        for c, v in (("supplier", sup), ("buyer", buy)):
            if v not in net.nodes:
                raise InputError(f"unknown id {v!r} (not in {Path(nodes_path).name})", f"{place}, column {c}")
        if sup == buy:
            raise InputError(f"{sup!r} supplies itself", place)
        if (sup, buy) in seen:
            raise InputError(f"duplicate link {sup} -> {buy} (first at {seen[(sup, buy)]})", place)
        seen[(sup, buy)] = place
        share = _number(r.get("share") or "", f"{place}, column share", 0, 1)
        spend = _number(r.get("spend") or "", f"{place}, column spend", 0)
        if share is not None:
            totals[buy] = totals.get(buy, 0.0) + share
            if totals[buy] > 1 + SHARE_TOLERANCE:
                raise InputError(f"the input shares of {buy!r} sum to {totals[buy]:.6g}, above 1",
                                 f"{place}, column share")
        net.edges.append(Edge(sup, buy, share, spend, place))
    return net


def tiers(net: Network) -> dict[str, int | None]:
    """Tier of each node: 0 for a company, 1 for its direct suppliers...; None if no path."""
    out: dict[str, int | None] = {n: (0 if v.kind == "company" else None) for n, v in net.nodes.items()}
    ins = net.inputs()
    frontier = [n for n, t in out.items() if t == 0]
    while frontier:
        nxt = []
        for b in frontier:
            level = out[b]
            assert level is not None
            for e in ins[b]:
                if out[e.supplier] is None:
                    out[e.supplier] = level + 1
                    nxt.append(e.supplier)
        frontier = nxt
    return out


def find_cycles(net: Network) -> list[list[str]]:
    """The strongly connected components with more than one node, each sorted."""
    return [sorted(c) for c in components(net) if len(c) > 1]


def components(net: Network) -> list[list[str]]:
    """Every strongly connected component (Tarjan, iterative), buyers before their suppliers:
    reversed, suppliers come first (a topological order of the condensation)."""
    succ: dict[str, list[str]] = {n: [] for n in net.nodes}
    for e in net.edges:
        succ[e.supplier].append(e.buyer)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on: set[str] = set()
    stack: list[str] = []
    comps: list[list[str]] = []
    counter = 0
    for root in net.nodes:
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            v, i = work.pop()
            if i == 0:
                index[v] = low[v] = counter
                counter += 1
                stack.append(v)
                on.add(v)
            children = succ[v]
            if i < len(children):
                work.append((v, i + 1))
                w = children[i]
                if w not in index:
                    work.append((w, 0))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                comps.append(comp)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[v])
    return comps
