"""What a rule set asks: its questionnaire items, their order, groups and follow-up conditions.

Read from the rule set itself, never written by hand:

* every indicator with a ``question`` is one item, grouped by its dimension;
* an indicator with ``scopes`` (the forced-labour penalties, ``D1.PN04``) is asked once per scope,
  as a follow-up: the scope's group is relevant when an answer of that stage is yes or don't
  know. The condition comes from the rule: a scoped ``any_in`` inside an ``all`` whose other
  branches read only indicators of the stage (``D1 = involuntariness in D1 and a penalty tied
  to D1``); a penalty can change nothing while every answer of the stage is no;
* the facts and numbers the decision reads (``age``, ``act``, ``worst_form``, ``fee_repayment``...),
  outside indicators, are items too; a fact read only beside ``age < 18`` (or after an adult
  outcome of a decision list) is asked only when the person is not known to be an adult, and
  one read only beside indicator branches (``route.when: breach and fee_repayment``) only when
  one of those indicators was answered yes or don't know.

Nothing else is a follow-up: a rule set with no scopes and no guarded facts (the Delphi lists,
ILO-11) gives a flat questionnaire.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from vigil.rules.engine import DecisionList, root
from vigil.rules.expr import All, AnyIn, AnyOf, Compare, Dim, Fact, FactMember, Ind, Node, Not, Term
from vigil.rules.model import RuleSet
from vigil.rules.records import fact_specs


@dataclass(frozen=True)
class Guard:
    """A follow-up condition: the person is not known to be ``age >= adult_from`` (``age``), or
    one of ``keys`` was answered yes or don't know (``keys``)."""

    adult_from: float | None = None
    keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class Item:
    """One question: ``key`` is the record key (``DR01``, ``D1.PN04``, ``age``, ``act``)."""

    key: str
    kind: str  # indicator | bool | list | number | age
    indicator: str | None = None
    guards: tuple[Guard, ...] = ()


@dataclass
class Group:
    """A group of items; ``dimension`` or ``scope`` names what it is, ``guard`` its relevance."""

    name: str
    kind: str  # dimension | scope | questions | facts
    ref: str | None
    items: list[Item] = field(default_factory=list)
    guards: tuple[Guard, ...] = ()


def _resolve(node: Node, rs: RuleSet) -> Node:
    seen = 0
    while isinstance(node, Term) and seen < 64:
        target = rs.terms.get(node.name) if node.owner is rs or node.owner.id == rs.id else None
        if target is None:
            target = node.owner.terms[node.name]
        node = target
        seen += 1
    return node


def _kids(node: Node, rs: RuleSet) -> list[Node]:
    return [_resolve(c, rs) for c in node.children()]


def _indicator_only(node: Node, rs: RuleSet) -> bool:
    if isinstance(node, AnyIn | Ind | Dim):
        return True
    if isinstance(node, All | AnyOf | Not):
        return all(_indicator_only(c, rs) for c in _kids(node, rs))
    return False


def _keys_of(node: Node, rs: RuleSet) -> list[str]:
    """The unscoped indicator keys an indicator-only branch reads."""
    if isinstance(node, AnyIn):
        return [f"{node.scope}.{i.id}" if node.scope else i.id for i in node.members]
    if isinstance(node, Ind):
        return [f"{node.scope}.{node.ind.id}" if node.scope else node.ind.id]
    if isinstance(node, Dim):
        return [i.id for i in node.dim.indicators]
    out: list[str] = []
    for c in _kids(node, rs):
        out.extend(k for k in _keys_of(c, rs) if k not in out)
    return out


def _has_scoped(node: Node, rs: RuleSet) -> bool:
    if isinstance(node, AnyIn | Ind):
        return node.scope is not None
    return any(_has_scoped(c, rs) for c in _kids(node, rs))


Occurrences = dict[str, list[tuple[Guard, ...]]]


def _walk(node: Node, rs: RuleSet, guards: tuple[Guard, ...], out: Occurrences, depth: int = 0) -> None:
    """Every fact, number and scoped indicator key under ``node`` with the guards it sits under."""
    if depth > 200:
        return
    node = _resolve(node, rs)
    if isinstance(node, Fact | FactMember):
        out.setdefault(node.name, []).append(guards)
        return
    if isinstance(node, Compare):
        out.setdefault(node.field, []).append(guards)
        return
    if isinstance(node, AnyIn) and node.scope is not None:
        for ind in node.members:
            out.setdefault(f"{node.scope}.{ind.id}", []).append(guards)
        return
    if isinstance(node, DecisionList):
        current = guards
        for o in node.outcomes:
            when = _resolve(o.when, rs)
            _walk(when, rs, current, out, depth + 1)
            if isinstance(when, Compare) and when.field == "age" and when.op == ">=":
                current = (*current, Guard(adult_from=when.value))
        return
    kids = _kids(node, rs)
    if isinstance(node, All):
        for i, child in enumerate(kids):
            extra: list[Guard] = []
            for j, other in enumerate(kids):
                if i == j:
                    continue
                if isinstance(other, Compare) and other.field == "age" and other.op == "<":
                    extra.append(Guard(adult_from=other.value))
                elif _indicator_only(other, rs) and not _has_scoped(other, rs):
                    extra.append(Guard(keys=tuple(_keys_of(other, rs))))
            _walk(child, rs, (*guards, *extra), out, depth + 1)
        return
    for child in kids:
        _walk(child, rs, guards, out, depth + 1)


def _occurrences(rs: RuleSet) -> Occurrences:
    out: Occurrences = {}
    _walk(root(rs), rs, (), out)
    if rs.route_when is not None:
        _walk(rs.route_when, rs, (), out)
    return out


def _common(occ: list[tuple[Guard, ...]]) -> tuple[Guard, ...]:
    """Guards that hold at every occurrence (a key read anywhere unguarded is always asked)."""
    if not occ:
        return ()
    first = occ[0]
    return tuple(g for g in first if all(g in o for o in occ[1:]))


def plan(rs: RuleSet) -> list[Group]:
    """The questionnaire of ``rs``: groups of items in rule-set order (see the module text)."""
    occ = _occurrences(rs)
    covered_facts = {i.fact for i in rs.indicators if i.fact}
    groups: dict[str, Group] = {}
    scoped: dict[str, Group] = {}
    for ind in rs.indicators:
        if not ind.question:
            continue
        if ind.scopes:
            for scope in ind.scopes:
                key = f"{scope}.{ind.id}"
                g = scoped.get(scope)
                if g is None:
                    g = scoped[scope] = Group(f"g_{_safe(scope)}_{_safe(ind.dimension)}", "scope", scope,
                                              guards=_common(occ.get(key, [])))
                g.items.append(Item(key, "indicator", ind.id))
            continue
        gname = f"g_{_safe(ind.dimension)}"
        g = groups.get(gname)
        if g is None:
            g = groups[gname] = Group(gname, "dimension", ind.dimension)
        g.items.append(Item(ind.id, "indicator", ind.id))
    # the scoped follow-ups go right after the group of their stage (or at the end)
    ordered: list[Group] = []
    placed: set[str] = set()
    for g in groups.values():
        ordered.append(g)
        if g.ref in scoped:
            ordered.append(scoped[g.ref])
            placed.add(g.ref)
    ordered.extend(g for s, g in scoped.items() if s not in placed)
    specs = fact_specs()
    facts = Group("g_about", "facts", None)
    names = [n for n in occ if "." not in n and n not in covered_facts]
    # age first, then facts in vocabulary order
    order = ["age", *specs]
    for name in sorted(names, key=lambda n: order.index(n) if n in order else len(order)):
        if name == "age":
            kind = "age"
        else:
            spec = specs[name]
            kind = {"bool": "bool", "list": "list", "number": "number"}[spec.type]
        facts.items.append(Item(name, kind, None, _common(occ[name])))
    if facts.items:
        if facts.items[0].kind == "age":
            ordered.insert(0, Group("g_age", "facts", None, [facts.items.pop(0)]))
        if facts.items:
            ordered.append(facts)
    return [g for g in ordered if g.items]


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c == "_" else "_" for c in text)


def asked_keys(rs: RuleSet) -> frozenset[str]:
    """Every record key the questionnaire of ``rs`` asks."""
    return frozenset(i.key for g in plan(rs) for i in g.items)


def indicator_groups(rs: RuleSet) -> list[Group]:
    """The indicator questions of ``plan(rs)`` (its dimension and stage groups, in form order):
    what the server's screening page asks. The page and the XLSForm read the same plan, so a
    change to the rule set changes both."""
    return [g for g in plan(rs) if g.kind in ("dimension", "scope")]
