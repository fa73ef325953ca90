"""The triage: every rule set on one record, then flags and a primary label (STANDARDS.md §6).

Nothing here knows a standard: the composition is data, the ``triage:`` section of
``palermo-2000.yaml``. This module adds the few cross-rule-set expressions it needs
(``{delphi: X}``, ``{forced_labour: X}``, ``{palermo: X}``, ``{child_labour: [labels]}``,
``{flag: NAME}``, ``{is_negative: X}``) and evaluates them in both modes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from vigil.errors import InputError, RuleSetError
from vigil.rules.engine import (
    INSUFFICIENT,
    BatchCtx,
    DecisionList,
    RowView,
    ScalarCtx,
    chunks,
    determine,
    root,
)
from vigil.rules.explain_text import Tree
from vigil.rules.expr import Array, Dim, Node, Parser, Term, View, tree
from vigil.rules.loader import load_ruleset
from vigil.rules.logic import ABSENT_KEY, NEG, POS, UNK, state_name
from vigil.rules.model import RuleSet
from vigil.rules.records import Columns, Encoded, encode_record, stack

TRIAGE_HOST = "palermo-2000"
CHILD_AGE = 18.0


def _target(rs: RuleSet, spec: Any, parser: Parser, path: str) -> Node:
    """``decision``, a dimension id, a term name, or an expression in ``rs``'s own terms."""
    if isinstance(spec, str):
        if spec == "decision":
            return root(rs)
        if spec in rs.dimensions:
            return Dim(rs.dimensions[spec])
        if spec in rs.terms:
            return Term(spec, rs)
        raise RuleSetError(f"{spec!r} is not a dimension or term of {rs.id}", path)
    return Parser(rs, f"{parser.where} ({rs.id})", parser.extra).parse(spec, path)


@dataclass(eq=False)
class RulesetRef(Node):
    """A node of another rule set; NEG when the record carries none of that rule set's keys."""

    name: str
    adult: Node
    child: Node | None = None
    keys: tuple[str, ...] = ()
    adult_rs: str | None = None
    child_rs: str | None = None
    label: str | None = None

    def _pick(self, view: View) -> Node:
        if self.child is None:
            return self.adult
        return self.child if view.num("age") < CHILD_AGE else self.adult

    def _assessed(self, view: View) -> bool:
        return not self.keys or any(view.code(k) != ABSENT_KEY for k in self.keys)

    def scalar(self, ctx: View) -> int:
        return ctx.state(self._pick(ctx)) if self._assessed(ctx) else NEG

    def batch(self, ctx: Any) -> Array:
        value = ctx.state(self.adult)
        if self.child is not None:
            value = np.where(ctx.num("age") < CHILD_AGE, ctx.state(self.child), value)
        if self.keys:
            assessed = np.zeros(ctx.n, dtype=bool)
            for k in self.keys:
                assessed |= ctx.code(k) != ABSENT_KEY
            value = np.where(assessed, value, np.int8(NEG))
        out: Array = value.astype(np.int8, copy=False)
        return out

    def why(self, view: View) -> Tree:
        if not self._assessed(view):
            return tree("not_assessed", {"ruleset": self.name})
        target = self._pick(view)
        text = target.why(view)
        rs = (self.child_rs if self.child is target else self.adult_rs) or self.name
        if isinstance(target, Term | Dim):
            return tree("in", {"ruleset": rs}, [text])
        return tree("ruleset_state", {"ruleset": rs, "state": state_name(view.state(target))}, [text])

    def unknowns(self, view: View) -> list[tuple[int, int, str]]:
        return self._pick(view).unknowns(view) if self._assessed(view) else []


@dataclass(eq=False)
class OutcomeIn(Node):
    """A decision-list rule set gave one of ``labels`` (UNK when it was insufficient)."""

    rs: RuleSet
    labels: tuple[str, ...]
    label: str | None = None

    def _codes(self) -> set[int]:
        top = root(self.rs)
        assert isinstance(top, DecisionList)
        return {top.labels.index(x) for x in self.labels}

    def scalar(self, ctx: View) -> int:
        s = ctx.state(root(self.rs))
        if s == INSUFFICIENT:
            return UNK
        return POS if s in self._codes() else NEG

    def batch(self, ctx: Any) -> Array:
        s = ctx.state(root(self.rs))
        out = np.where(np.isin(s, list(self._codes())), np.int8(POS), np.int8(NEG)).astype(np.int8)
        out[s == INSUFFICIENT] = UNK
        return out

    def why(self, view: View) -> Tree:
        return tree("outcome_in", {"ruleset": self.rs.id}, [root(self.rs).why(view)])

    def unknowns(self, view: View) -> list[tuple[int, int, str]]:
        return root(self.rs).unknowns(view)


@dataclass(eq=False)
class LabelRef(Node):
    name: str
    target: Node
    label: str | None = None

    def scalar(self, ctx: View) -> int:
        return ctx.state(self.target)

    def batch(self, ctx: Any) -> Array:
        out: Array = ctx.state(self.target)
        return out

    def why(self, view: View) -> Tree:
        return tree("state", {"name": {"flag": self.name}, "state": state_name(view.state(self))})


@dataclass(eq=False)
class IsNegative(Node):
    """POS exactly when the inner value is NEG (an insufficient value is not negative)."""

    item: Node
    label: str | None = None

    def scalar(self, ctx: View) -> int:
        return POS if ctx.state(self.item) == NEG else NEG

    def batch(self, ctx: Any) -> Array:
        return np.where(ctx.state(self.item) == NEG, np.int8(POS), np.int8(NEG)).astype(np.int8)

    def why(self, view: View) -> Tree:
        return self.item.why(view)


@dataclass(eq=False)
class TwoValued(Node):
    """A two-valued label: insufficient counts as negative."""

    item: Node
    label: str | None = None

    def scalar(self, ctx: View) -> int:
        return POS if ctx.state(self.item) == POS else NEG

    def batch(self, ctx: Any) -> Array:
        return np.where(ctx.state(self.item) == POS, np.int8(POS), np.int8(NEG)).astype(np.int8)

    def why(self, view: View) -> Tree:
        return self.item.why(view)


@dataclass
class Label:
    name: str
    node: Node
    primary: bool


@dataclass
class Triage:
    """The composition read from the host rule set's ``triage:`` section."""

    host: RuleSet
    delphi_adult: RuleSet
    delphi_child: RuleSet
    forced_labour: RuleSet
    child_labour: RuleSet
    labels: list[Label]
    overrides: dict[tuple[str, str], Node]
    delphi_keys: tuple[str, ...]
    fl_keys: tuple[str, ...]
    allowed: frozenset[str]
    adult_only: frozenset[str]

    @classmethod
    def build(cls, host: RuleSet) -> Triage:
        spec = host.triage
        if not spec:
            raise RuleSetError(f"{host.id} has no triage section")
        adult = load_ruleset(spec["delphi"]["adult"])
        child = load_ruleset(spec["delphi"]["child"])
        fl = load_ruleset(spec["forced_labour"])
        cl = load_ruleset(spec["child_labour"])
        delphi_keys = tuple(sorted(adult.record_keys() | child.record_keys()))
        fl_keys = tuple(sorted(fl.record_keys()))
        labels: list[Label] = []
        by_name: dict[str, Node] = {}

        def delphi(obj: Mapping[str, Any], p: Parser) -> Node:
            a = _target(adult, obj["delphi"], p, "delphi")
            c = _target(child, obj["delphi"], p, "delphi")
            return RulesetRef("Delphi", a, c, delphi_keys, adult.id, child.id)

        def forced(obj: Mapping[str, Any], p: Parser) -> Node:
            target = _target(fl, obj["forced_labour"], p, "forced_labour")
            return RulesetRef(fl.id, target, None, fl_keys, fl.id)

        def palermo(obj: Mapping[str, Any], p: Parser) -> Node:
            return RulesetRef(host.id, _target(host, obj["palermo"], p, "palermo"), adult_rs=host.id)

        def child_labour(obj: Mapping[str, Any], p: Parser) -> Node:
            wanted = tuple(obj["child_labour"])
            unknown = [x for x in wanted if x not in cl.outcome_labels]
            if unknown:
                raise RuleSetError(f"unknown {cl.id} outcomes {unknown}", p.where)
            return OutcomeIn(cl, wanted)

        def label_ref(obj: Mapping[str, Any], p: Parser) -> Node:
            name = obj["flag"]
            if name not in by_name:
                raise RuleSetError(f"label {name!r} is used before it is defined", p.where)
            return LabelRef(name, by_name[name])

        def is_negative(obj: Mapping[str, Any], p: Parser) -> Node:
            return IsNegative(p.parse(obj["is_negative"], "is_negative"))

        extra = {"delphi": delphi, "forced_labour": forced, "palermo": palermo,
                 "child_labour": child_labour, "flag": label_ref, "is_negative": is_negative}
        parser = Parser(host, f"{host.path}, triage", extra)
        overrides: dict[tuple[str, str], Node] = {}
        for rs_id, terms in (spec.get("overrides") or {}).items():
            owner = load_ruleset(rs_id)
            for name, expr in terms.items():
                if name not in owner.terms:
                    raise RuleSetError(f"{rs_id} has no term {name!r} to override", parser.where)
                overrides[(rs_id, name)] = parser.parse(expr, f"overrides.{rs_id}.{name}")
        for i, raw in enumerate(spec["labels"]):
            node = parser.parse(raw["when"], f"labels[{i}]")
            if raw.get("two_valued"):
                node = TwoValued(node)
            by_name[raw["name"]] = node
            labels.append(Label(raw["name"], node, bool(raw.get("primary", True))))
        allowed = adult.record_keys() | child.record_keys() | fl.record_keys()
        allowed |= load_ruleset("ilo-11").record_keys()
        return cls(host, adult, child, fl, cl, labels, overrides, delphi_keys, fl_keys,
                   frozenset(allowed), frozenset(adult.record_keys() - child.record_keys()))

    # --- records ---------------------------------------------------------------------------

    def encode(self, record: Any) -> Encoded:
        enc = encode_record(record, self.allowed, "the triage")
        age = enc.nums["age"]
        rid = enc.id
        where = f"record {rid!r}, key age" if rid is not None else "key age"
        if math.isnan(age):
            raise InputError("the triage needs an age", where)
        if age < CHILD_AGE:
            extra = sorted(k for k in enc.codes if k in self.adult_only)
            if extra:
                raise InputError(f"not in the child list ({self.delphi_child.id})",
                                 f"record {rid!r}, key indicators.{extra[0]}")
        return enc

    # --- evaluation ------------------------------------------------------------------------

    def _assessed(self, view: Any) -> tuple[bool, bool]:
        d = any(view.code(k) != ABSENT_KEY for k in self.delphi_keys)
        f = any(view.code(k) != ABSENT_KEY for k in self.fl_keys)
        return d, f

    def result(self, view: Any, rid: Any, why: bool = False) -> dict[str, Any]:
        states = {lab.name: view.state(lab.node) for lab in self.labels}
        flags = [name for name, s in states.items() if s == POS]
        primary = "NONE"
        for lab in self.labels:
            if not lab.primary:
                continue
            s = states[lab.name]
            if s == POS:
                primary = lab.name
                break
            if s == UNK:
                primary = f"NEEDS_FURTHER_ASSESSMENT:{lab.name}"
                break
        child = view.num("age") < CHILD_AGE
        delphi = self.delphi_child if child else self.delphi_adult
        d_assessed, f_assessed = self._assessed(view)
        not_assessed = []
        dets: dict[str, Any] = {}
        if d_assessed:
            dets[delphi.id] = determine(delphi, view, rid, why).to_dict()
        else:
            not_assessed.append(delphi.id)
        if f_assessed:
            dets[self.forced_labour.id] = determine(self.forced_labour, view, rid, why).to_dict()
        else:
            not_assessed.append(self.forced_labour.id)
        dets[self.host.id] = determine(self.host, view, rid, why).to_dict()
        if child:
            dets[self.child_labour.id] = determine(self.child_labour, view, rid, why).to_dict()
        return {
            "id": rid,
            "flags": flags,
            "primary": primary,
            "not_assessed": not_assessed,
            "labels": {name: state_name(s) for name, s in states.items()},
            "determinations": dets,
        }


@cache
def load_triage(host_id: str = TRIAGE_HOST) -> Triage:
    return Triage.build(load_ruleset(host_id))


def triage(record: Any, why: bool = False) -> dict[str, Any]:
    """Triage one record (single-record mode); ``why`` adds each determination's explanation tree."""
    t = load_triage()
    enc = record if isinstance(record, Encoded) else t.encode(record)
    ctx = ScalarCtx(t.host, enc, UNK, t.overrides)
    return t.result(ctx, enc.id, why)


def triage_columns(cols: Columns, why: bool = False) -> Iterator[dict[str, Any]]:
    """Triage many records (batch mode): label states as numpy columns, chunk by chunk."""
    t = load_triage()
    for part in chunks(cols):
        ctx = BatchCtx(t.host, part, UNK, t.overrides)
        for lab in t.labels:
            ctx.state(lab.node)
        for j in range(part.n):
            yield t.result(RowView(ctx, j), part.ids[j], why)


def triage_many(records: Iterable[Any], why: bool = False) -> Iterator[dict[str, Any]]:
    t = load_triage()
    return triage_columns(stack([t.encode(r) for r in records]), why)
