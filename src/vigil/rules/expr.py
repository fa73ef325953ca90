"""The decision language: a small tree of nodes read from a rule set's YAML.

Every node evaluates in two ways that must agree value for value: ``scalar`` on one encoded
record and ``batch`` on int8 columns. Both use the Kleene order NEG < UNK < POS, so AND is min and
OR is max. Nodes also explain themselves and name the unknowns that could change them (``unknowns``),
reading the record through a *view* that serves both modes. The explanation is a small
language-neutral tree (``why``: message keys and references, see ``vigil.rules.explain_text``);
``explain`` is its English text.

YAML forms (each may carry ``label:``)::

    {all: [...]}  {any: [...]}  {not: X}  {at_least: {n: 2, of: [...]}}
    {dimension: DR}              graded dimension (patterns of S/M/W indicators)
    {indicator: DR01}            one indicator (optionally ``scope: D1``)
    {any_in: D1, scope: D1, except_param: exceptions}   any indicator of a group is present
    {term: act}                  a named expression of the rule set (a triage may override it)
    {choose: policy}             the term named by a parameter (a policy switch)
    {fact: crossed_border, absent: false}              boolean fact
    {fact: act, nonempty: true, values: [...], absent: false}   list fact has a member
    {compare: [age, "<", 18]}    numbers; the right side may be {param: min_age}
    {param: hazardous_exception} boolean parameter of the rule set
    {const: true}
"""

from __future__ import annotations

import math
import operator
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import numpy as np
import numpy.typing as npt

from vigil.errors import RuleSetError
from vigil.rules.explain_text import Tree, english
from vigil.rules.logic import ABSENT_KEY, GRADE_RANK, NEG, POS, UNK, state_name
from vigil.rules.records import fact_specs

if TYPE_CHECKING:
    from vigil.rules.model import Dimension, Indicator, RuleSet

Array = npt.NDArray[np.int8]

#: an entry of ask_next: (grade rank, order of appearance, name)
Ask = tuple[int, int, str]


class View(Protocol):
    """One record, as both evaluation modes expose it to explanations."""

    ruleset: RuleSet
    missing: int

    def code(self, col: str) -> int: ...
    def num(self, col: str) -> float: ...
    def state(self, node: Node) -> int: ...
    def term(self, ref: Term) -> Node: ...


class Scalar(View, Protocol):
    pass


class Batch(Protocol):
    ruleset: RuleSet
    missing: int

    @property
    def n(self) -> int: ...

    def code(self, col: str) -> Array: ...
    def num(self, col: str) -> npt.NDArray[np.float64]: ...
    def state(self, node: Node) -> Array: ...
    def term(self, ref: Term) -> Node: ...


def tree(key: str, args: dict[str, Any] | None = None, parts: list[Tree] | None = None) -> Tree:
    """One node of an explanation: a message key, its arguments and the explanations below."""
    out: Tree = {"key": key}
    if args:
        out["args"] = args
    if parts:
        out["parts"] = parts
    return out


class Node(ABC):
    """A node of the decision tree: evaluated per record (``scalar``) or per column (``batch``)."""

    label: str | None = None
    #: (rule-set id, term name) when the node is the body of a term (its label is the term's)
    term_of: tuple[str, str] | None = None

    @abstractmethod
    def scalar(self, ctx: View) -> int: ...

    @abstractmethod
    def batch(self, ctx: Batch) -> Array: ...

    def explain(self, view: View) -> str:
        """The English explanation (a determination's ``decided_by``)."""
        return english(self.why(view))

    def why(self, view: View) -> Tree:
        """The explanation as a language-neutral tree (rendered by ``vigil.rules.explain_text``)."""
        return tree("state", {"name": self.name_ref(), "state": state_name(view.state(self))})

    def label_ref(self) -> dict[str, Any]:
        """The node's label (rule-set wording), with the term it labels so it can be translated."""
        ref: dict[str, Any] = {"label": self.label}
        if self.term_of is not None:
            ref["ruleset"], ref["term"] = self.term_of
        return ref

    def name_ref(self) -> dict[str, Any]:
        """What names the node in an explanation: its label, else a reference to what it tests."""
        return self.label_ref() if self.label else {"node": self.describe()}

    def describe(self) -> str:
        return type(self).__name__

    def unknowns(self, view: View) -> list[Ask]:
        return []

    def children(self) -> Sequence[Node]:
        return ()


# --- indicators ---------------------------------------------------------------------------


def indicator_code(ctx: View, ind: Indicator, scope: str | None = None) -> int:
    """An indicator's value: the Kleene OR of the keys the record carries for it."""
    best = ABSENT_KEY
    for col in ind.sources(scope):
        best = max(best, ctx.code(col))
    return ctx.missing if best == ABSENT_KEY else best


def indicator_column(ctx: Batch, ind: Indicator, scope: str | None = None) -> Array:
    cols = [ctx.code(c) for c in ind.sources(scope)]
    best = cols[0] if len(cols) == 1 else np.maximum.reduce(cols)
    if ctx.missing == UNK:
        # a not-carried key (-1) becomes unknown (1): max(-1, 1) is wrong for 0/2, so map
        return np.where(best == ABSENT_KEY, np.int8(UNK), best).astype(np.int8, copy=False)
    return np.maximum(best, np.int8(NEG))


def asked_key(view: View, ind: Indicator, scope: str | None) -> str:
    """The key to ask about: the scoped one unless the record carries only the bare key."""
    if scope is not None:
        scoped = f"{scope}.{ind.id}"
        if view.code(scoped) == ABSENT_KEY and view.code(ind.id) != ABSENT_KEY:
            return ind.id
        return scoped
    return ind.id


def asked_ref(view: View, ind: Indicator, scope: str | None) -> dict[str, Any]:
    """``asked_key`` as a reference."""
    key = asked_key(view, ind, scope)
    return {"ind": ind.id, "scope": scope} if key != ind.id else {"ind": ind.id}


def _rank(ind: Indicator) -> int:
    return GRADE_RANK.get(ind.grade or "", 3)


@dataclass(eq=False)
class Ind(Node):
    ind: Indicator
    scope: str | None = None
    label: str | None = None

    def scalar(self, ctx: View) -> int:
        return indicator_code(ctx, self.ind, self.scope)

    def batch(self, ctx: Batch) -> Array:
        return indicator_column(ctx, self.ind, self.scope)

    def describe(self) -> str:
        return self.ind.id

    def name_ref(self) -> dict[str, Any]:
        return self.label_ref() if self.label else {"ind": self.ind.id}

    def unknowns(self, view: View) -> list[Ask]:
        if view.state(self) != UNK:
            return []
        return [(_rank(self.ind), 0, asked_key(view, self.ind, self.scope))]


@dataclass(eq=False)
class AnyIn(Node):
    """At least one indicator of a group is present (Kleene OR over the group)."""

    group: str
    members: tuple[Indicator, ...]
    scope: str | None = None
    label: str | None = None

    def scalar(self, ctx: View) -> int:
        best = NEG
        for ind in self.members:
            best = max(best, indicator_code(ctx, ind, self.scope))
            if best == POS:
                break
        return best

    def batch(self, ctx: Batch) -> Array:
        out = np.zeros(ctx.n, dtype=np.int8)
        for ind in self.members:
            np.maximum(out, indicator_column(ctx, ind, self.scope), out=out)
        return out

    def describe(self) -> str:
        return f"{self.group}" + (f" ({self.scope})" if self.scope else "")

    def name_ref(self) -> dict[str, Any]:
        if self.label:
            return self.label_ref()
        return {"group": self.group, "scope": self.scope} if self.scope else {"group": self.group}

    def _named(self, view: View, ind: Indicator) -> Any:
        if self.scope is None:
            return {"ind": ind.id}
        if view.code(f"{self.scope}.{ind.id}") == POS:
            return {"ind": ind.id, "scope": self.scope}
        return tree("indicator_unpaired", {"indicator": {"ind": ind.id}, "scope": self.scope})

    def why(self, view: View) -> Tree:
        name = self.name_ref()
        values = [(ind, indicator_code(view, ind, self.scope)) for ind in self.members]
        present = [self._named(view, ind) for ind, v in values if v == POS]
        if present:
            return tree("group_present", {"name": name, "items": present})
        unknown = [asked_ref(view, ind, self.scope) for ind, v in values if v == UNK]
        if unknown:
            return tree("group_unknown", {"name": name, "items": unknown})
        return tree("group_absent", {"name": name})

    def unknowns(self, view: View) -> list[Ask]:
        if view.state(self) != UNK:
            return []
        return [
            (_rank(ind), i, asked_key(view, ind, self.scope))
            for i, ind in enumerate(self.members)
            if indicator_code(view, ind, self.scope) == UNK
        ]


@dataclass(eq=False)
class Dim(Node):
    """A graded dimension: positive when its present indicators meet one of the patterns."""

    dim: Dimension
    label: str | None = None

    def _counts(self, view: View) -> tuple[dict[str, int], dict[str, int], list[Indicator],
                                           list[Indicator]]:
        present: dict[str, int] = {}
        possible: dict[str, int] = {}
        fired: list[Indicator] = []
        unknown: list[Indicator] = []
        for ind in self.dim.indicators:
            v = indicator_code(view, ind)
            g = ind.grade or ""
            if v == POS:
                present[g] = present.get(g, 0) + 1
                fired.append(ind)
            if v >= UNK:
                possible[g] = possible.get(g, 0) + 1
            if v == UNK:
                unknown.append(ind)
        return present, possible, fired, unknown

    def scalar(self, ctx: View) -> int:
        present, possible, _, _ = self._counts(ctx)
        if any(p.met(present) for p in self.dim.patterns):
            return POS
        if any(p.met(possible) for p in self.dim.patterns):
            return UNK
        return NEG

    def batch(self, ctx: Batch) -> Array:
        grades = sorted({ind.grade or "" for ind in self.dim.indicators})
        present = {g: np.zeros(ctx.n, dtype=np.int8) for g in grades}
        possible = {g: np.zeros(ctx.n, dtype=np.int8) for g in grades}
        for ind in self.dim.indicators:
            v = indicator_column(ctx, ind)
            g = ind.grade or ""
            present[g] += v == POS
            possible[g] += v >= UNK

        def met(counts: dict[str, Array]) -> npt.NDArray[np.bool_]:
            hit = np.zeros(ctx.n, dtype=bool)
            for pat in self.dim.patterns:
                ok = np.ones(ctx.n, dtype=bool)
                for req in pat.needs:
                    total = sum((counts[g] for g in req.grades if g in counts),
                                np.zeros(ctx.n, dtype=np.int8))
                    ok &= total >= req.n
                hit |= ok
            return hit

        out = np.where(met(possible), np.int8(UNK), np.int8(NEG)).astype(np.int8)
        out[met(present)] = POS
        return out

    def describe(self) -> str:
        return self.dim.id

    def why(self, view: View) -> Tree:
        state = view.state(self)
        present, _, fired, unknown = self._counts(view)
        dim = {"dim": self.dim.id}
        if state == POS:
            pat = next(p for p in self.dim.patterns if p.met(present))
            return tree("dim_positive", {"dim": dim, "pattern": pat.name,
                                         "items": [{"ind": i.id} for i in fired]})
        args: dict[str, Any] = {"dim": dim}
        if fired:
            args["present"] = [{"ind": i.id, "grade": i.grade} for i in fired]
        if state == UNK:
            args["unknown"] = [{"ind": i.id} for i in unknown]
        key = f"dim_{state_name(state)}" + ("" if fired else "_none")
        return tree(key, args)

    def unknowns(self, view: View) -> list[Ask]:
        if view.state(self) != UNK:
            return []
        _, _, _, unknown = self._counts(view)
        return [(_rank(ind), i, ind.id) for i, ind in enumerate(unknown)]


# --- combinators --------------------------------------------------------------------------


def _join_unknowns(nodes: Sequence[Node], view: View) -> list[Ask]:
    out: list[Ask] = []
    for i, child in enumerate(nodes):
        if view.state(child) == UNK:
            out.extend((r, i * 10_000 + o, name) for r, o, name in child.unknowns(view))
    return out


@dataclass(eq=False)
class _Junction(Node):
    """Kleene AND (``decisive`` NEG, i.e. min) or OR (``decisive`` POS, i.e. max) of its items."""

    items: tuple[Node, ...]
    label: str | None = None
    decisive: ClassVar[int]

    def scalar(self, ctx: View) -> int:
        pick = min if self.decisive == NEG else max
        out = POS - self.decisive
        for c in self.items:
            out = pick(out, ctx.state(c))
            if out == self.decisive:
                break
        return out

    def batch(self, ctx: Batch) -> Array:
        combine = np.minimum if self.decisive == NEG else np.maximum
        out = ctx.state(self.items[0]).copy()
        for c in self.items[1:]:
            combine(out, ctx.state(c), out=out)
        return out

    def children(self) -> Sequence[Node]:
        return self.items

    @abstractmethod
    def text(self, view: View, state: int) -> Tree: ...

    def why(self, view: View) -> Tree:
        state = view.state(self)
        text = self.text(view, state)
        if self.label:
            return tree("labelled", {"name": self.label_ref(), "state": state_name(state)}, [text])
        return text

    def unknowns(self, view: View) -> list[Ask]:
        return _join_unknowns(self.items, view) if view.state(self) == UNK else []


class All(_Junction):
    decisive = NEG

    def text(self, view: View, state: int) -> Tree:
        if state == POS:
            parts = [c.why(view) for c in self.items]
        elif state == NEG:
            return next(c for c in self.items if view.state(c) == NEG).why(view)
        else:
            parts = [c.why(view) for c in self.items if view.state(c) == UNK]
        return parts[0] if len(parts) == 1 else tree("and", parts=parts)


class AnyOf(_Junction):
    decisive = POS

    def text(self, view: View, state: int) -> Tree:
        if state == POS:
            return next(c for c in self.items if view.state(c) == POS).why(view)
        if state == UNK:
            parts = [c.why(view) for c in self.items if view.state(c) == UNK]
            return parts[0] if len(parts) == 1 else tree("or", parts=parts)
        # the same explanation twice is said once (the renderer drops repeats of the same text)
        return tree("none_of", {"alternatives": [c.why(view) for c in self.items]})


@dataclass(eq=False)
class AtLeast(Node):
    n: int
    items: tuple[Node, ...]
    label: str | None = None

    def scalar(self, ctx: View) -> int:
        states = [ctx.state(c) for c in self.items]
        if sum(s == POS for s in states) >= self.n:
            return POS
        return UNK if sum(s >= UNK for s in states) >= self.n else NEG

    def batch(self, ctx: Batch) -> Array:
        pos = np.zeros(ctx.n, dtype=np.int16)
        maybe = np.zeros(ctx.n, dtype=np.int16)
        for c in self.items:
            s = ctx.state(c)
            pos += s == POS
            maybe += s >= UNK
        out = np.where(maybe >= self.n, np.int8(UNK), np.int8(NEG)).astype(np.int8)
        out[pos >= self.n] = POS
        return out

    def children(self) -> Sequence[Node]:
        return self.items

    def why(self, view: View) -> Tree:
        state = view.state(self)
        hits = [c.why(view) for c in self.items if view.state(c) == POS]
        args: dict[str, Any] = {"n": self.n, "of": len(self.items), "positive": len(hits)}
        if hits:
            args["hits"] = hits
        text = tree("at_least_hits" if hits else "at_least", args)
        if self.label:
            return tree("labelled_paren", {"name": self.label_ref(), "state": state_name(state)}, [text])
        return text

    def unknowns(self, view: View) -> list[Ask]:
        return _join_unknowns(self.items, view) if view.state(self) == UNK else []


@dataclass(eq=False)
class Not(Node):
    item: Node
    label: str | None = None

    def scalar(self, ctx: View) -> int:
        return POS - ctx.state(self.item)

    def batch(self, ctx: Batch) -> Array:
        return (POS - ctx.state(self.item)).astype(np.int8)

    def children(self) -> Sequence[Node]:
        return (self.item,)

    def why(self, view: View) -> Tree:
        return tree("not", parts=[self.item.why(view)])

    def unknowns(self, view: View) -> list[Ask]:
        return self.item.unknowns(view)


@dataclass(eq=False)
class Term(Node):
    """A named expression of rule set ``owner``; resolved at evaluation so a triage can replace it."""

    name: str
    owner: RuleSet
    label: str | None = None

    def scalar(self, ctx: View) -> int:
        return ctx.state(ctx.term(self))

    def batch(self, ctx: Batch) -> Array:
        return ctx.state(ctx.term(self))

    def why(self, view: View) -> Tree:
        target = view.term(self)
        inner = target.why(view)
        if self.label and target.label is None:
            return tree("labelled", {"name": self.label_ref(), "state": state_name(view.state(self))},
                        [inner])
        return inner

    def unknowns(self, view: View) -> list[Ask]:
        return view.term(self).unknowns(view)


@dataclass(eq=False)
class Const(Node):
    value: int
    label: str | None = None
    #: the boolean parameter the value was read from (``{param: name}``)
    param: str | None = None

    def scalar(self, ctx: View) -> int:
        return self.value

    def batch(self, ctx: Batch) -> Array:
        return np.full(ctx.n, self.value, dtype=np.int8)

    def describe(self) -> str:
        return self.label or ("true" if self.value == POS else "false")

    def why(self, view: View) -> Tree:
        word = "true" if self.value == POS else "false"
        if self.param is not None and self.label == f"{self.param} {word}":
            return tree(f"param_{word}", {"param": self.param})
        if self.label:
            return tree("name", {"name": self.label_ref()})
        return tree(f"const_{word}")


# --- facts and numbers --------------------------------------------------------------------


@dataclass(eq=False)
class Fact(Node):
    """A boolean fact; ``absent`` (NEG) makes a missing fact count as false."""

    name: str
    absent: int = UNK
    label: str | None = None

    def scalar(self, ctx: View) -> int:
        v = ctx.code(self.name)
        return self.absent if v == ABSENT_KEY else v

    def batch(self, ctx: Batch) -> Array:
        v = ctx.code(self.name)
        return np.where(v == ABSENT_KEY, np.int8(self.absent), v).astype(np.int8)

    def describe(self) -> str:
        return self.name

    def name_ref(self) -> dict[str, Any]:
        return self.label_ref() if self.label else {"fact": self.name}

    def why(self, view: View) -> Tree:
        v = view.code(self.name)
        shown = {POS: "true", NEG: "false", UNK: "unknown", ABSENT_KEY: "not_given"}[v]
        return tree(f"fact_{shown}", {"name": self.name_ref()})

    def unknowns(self, view: View) -> list[Ask]:
        return [(3, 0, f"facts.{self.name}")] if view.state(self) == UNK else []


@dataclass(eq=False)
class FactMember(Node):
    """A list fact holds at least one of ``values`` (all its values by default)."""

    name: str
    values: tuple[str, ...]
    absent: int = UNK
    label: str | None = None

    def _cols(self) -> list[str]:
        return [f"{self.name}={v}" for v in self.values]

    def scalar(self, ctx: View) -> int:
        codes = [ctx.code(c) for c in self._cols()]
        if codes[0] == ABSENT_KEY:  # the list is absent: all its columns are
            return self.absent
        return max(codes)

    def batch(self, ctx: Batch) -> Array:
        cols = [ctx.code(c) for c in self._cols()]
        best = np.maximum.reduce(cols) if len(cols) > 1 else cols[0]
        return np.where(best == ABSENT_KEY, np.int8(self.absent), best).astype(np.int8)

    def describe(self) -> str:
        return self.name

    def name_ref(self) -> dict[str, Any]:
        return self.label_ref() if self.label else {"fact": self.name}

    def why(self, view: View) -> Tree:
        name = self.name_ref()
        if view.code(self._cols()[0]) == ABSENT_KEY:
            return tree("facts_not_given", {"name": name})
        members = [{"fact": self.name, "value": v} for v in self.values
                   if view.code(f"{self.name}={v}") == POS]
        if members:
            return tree("facts_members", {"name": name, "values": members})
        return tree("facts_none", {"name": name})

    def unknowns(self, view: View) -> list[Ask]:
        return [(3, 0, f"facts.{self.name}")] if view.state(self) == UNK else []


_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
    "==": operator.eq, "!=": operator.ne,
}


@dataclass(eq=False)
class Compare(Node):
    """A number against a constant: unknown when the number is."""

    field: str
    op: str
    value: float
    label: str | None = None

    def scalar(self, ctx: View) -> int:
        x = ctx.num(self.field)
        if math.isnan(x):
            return UNK
        return POS if _OPS[self.op](x, self.value) else NEG

    def batch(self, ctx: Batch) -> Array:
        x = ctx.num(self.field)
        hit = _OPS[self.op](x, self.value)
        out = np.where(hit, np.int8(POS), np.int8(NEG)).astype(np.int8)
        out[np.isnan(x)] = UNK
        return out

    def why(self, view: View) -> Tree:
        x = view.num(self.field)
        verdict = {POS: "yes", NEG: "no", UNK: "unknown"}[view.state(self)]
        args: dict[str, Any] = {"field": {"field": self.field}, "x": None if math.isnan(x) else x,
                                "op": self.op, "value": self.value}
        if self.label:
            args["name"] = self.label_ref()
            return tree(f"compare_labelled_{verdict}", args)
        return tree(f"compare_{verdict}", args)

    def unknowns(self, view: View) -> list[Ask]:
        if view.state(self) != UNK:
            return []
        return [(3, 0, self.field if self.field == "age" else f"facts.{self.field}")]


# --- parsing ------------------------------------------------------------------------------

Extra = Callable[[Mapping[str, Any], "Parser"], Node]


class Parser:
    """Turns the YAML form of an expression into nodes, resolving parameters."""

    def __init__(self, ruleset: RuleSet, where: str, extra: Mapping[str, Extra] | None = None):
        self.rs = ruleset
        self.where = where
        self.extra = dict(extra or {})

    def error(self, msg: str, path: str) -> RuleSetError:
        return RuleSetError(msg, f"{self.where}, {path}")

    def param(self, name: Any, path: str) -> Any:
        if not isinstance(name, str) or name not in self.rs.params:
            raise self.error(f"unknown parameter {name!r}", path)
        return self.rs.params[name]

    def parse(self, obj: Any, path: str = "decision") -> Node:
        if not isinstance(obj, Mapping):
            raise self.error("an expression must be a mapping", path)
        label = obj.get("label")
        node = self._parse(obj, path)
        if label is not None:
            node.label = str(label)
        return node

    def _list(self, obj: Any, path: str) -> tuple[Node, ...]:
        if not isinstance(obj, list) or not obj:
            raise self.error("expected a non-empty list of expressions", path)
        return tuple(self.parse(x, f"{path}[{i}]") for i, x in enumerate(obj))

    def _parse(self, obj: Mapping[str, Any], path: str) -> Node:
        rs = self.rs
        for key, fn in self.extra.items():
            if key in obj:
                return fn(obj, self)
        if "all" in obj:
            return All(self._list(obj["all"], f"{path}.all"))
        if "any" in obj:
            return AnyOf(self._list(obj["any"], f"{path}.any"))
        if "not" in obj:
            return Not(self.parse(obj["not"], f"{path}.not"))
        if "at_least" in obj:
            spec = obj["at_least"]
            if not isinstance(spec, Mapping) or not isinstance(spec.get("n"), int):
                raise self.error("at_least needs n (an integer) and of (a list)", path)
            return AtLeast(spec["n"], self._list(spec.get("of"), f"{path}.at_least.of"))
        if "dimension" in obj:
            dim = rs.dimensions.get(obj["dimension"])
            if dim is None:
                raise self.error(f"unknown dimension {obj['dimension']!r}", path)
            return Dim(dim)
        if "indicator" in obj:
            ind = rs.by_id.get(obj["indicator"])
            if ind is None:
                raise self.error(f"unknown indicator {obj['indicator']!r}", path)
            return Ind(ind, obj.get("scope"))
        if "any_in" in obj:
            group = obj["any_in"]
            excluded = set(self.param(obj["except_param"], path)) if "except_param" in obj else set()
            members = tuple(i for i in rs.indicators if i.dimension == group and i.id not in excluded)
            if not any(i.dimension == group for i in rs.indicators):
                raise self.error(f"no indicator has dimension {group!r}", path)
            scope = obj.get("scope")
            if scope is not None and any(scope not in i.scopes for i in members):
                raise self.error(f"not every indicator of {group} takes scope {scope}", path)
            return AnyIn(group, members, scope)
        if "choose" in obj:  # a parameter names the term that decides (e.g. a policy)
            chosen = self.param(obj["choose"], path)
            if chosen not in rs.terms:
                raise self.error(f"{obj['choose']} {chosen!r} is not one of {sorted(rs.terms)}", path)
            return Term(chosen, rs)
        if "term" in obj:
            if obj["term"] not in rs.terms:
                raise self.error(f"unknown term {obj['term']!r}", path)
            return Term(obj["term"], rs)
        if "fact" in obj:
            return self._fact(obj, path)
        if "compare" in obj:
            spec = obj["compare"]
            if not (isinstance(spec, list) and len(spec) == 3 and spec[1] in _OPS):
                raise self.error("compare needs [field, op, value]", path)
            field, op, value = spec
            if field not in ("age", *(n for n, s in fact_specs().items() if s.type == "number")):
                raise self.error(f"{field!r} is not a number field", path)
            if isinstance(value, Mapping):
                value = self.param(value.get("param"), path)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise self.error("compare value must be a number", path)
            return Compare(field, op, float(value))
        if "param" in obj:
            value = self.param(obj["param"], path)
            if not isinstance(value, bool):
                raise self.error(f"parameter {obj['param']!r} is not true/false", path)
            return Const(POS if value else NEG, label=f"{obj['param']} {str(value).lower()}",
                         param=obj["param"])
        if "const" in obj:
            return Const(POS if obj["const"] else NEG)
        raise self.error(f"unknown expression {sorted(obj)!r}", path)

    def _fact(self, obj: Mapping[str, Any], path: str) -> Node:
        spec = fact_specs().get(obj["fact"])
        if spec is None or spec.type == "number":
            raise self.error(f"unknown boolean or list fact {obj['fact']!r}", path)
        absent = obj.get("absent")
        absent_code = UNK if absent is None else (POS if absent else NEG)
        if spec.type == "bool":
            return Fact(spec.name, absent_code)
        values = tuple(obj.get("values", spec.values))
        bad = [v for v in values if v not in spec.values]
        if bad:
            raise self.error(f"unknown values {bad} for fact {spec.name}", path)
        return FactMember(spec.name, values, absent_code)


def walk(node: Node) -> list[Node]:
    """The node and all nodes below it, depth first."""
    out = [node]
    for c in node.children():
        out.extend(walk(c))
    return out


def state_text(value: int) -> str:
    return state_name(value)


__all__ = ["Node", "Parser", "View", "walk"]
