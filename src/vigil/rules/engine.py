"""Evaluate a rule set on one record or on columns of many, and explain the result.

``assess`` (one record) and ``assess_columns`` (batch) compute node states in two independent
ways, scalar Python and numpy columns, then render the determination with the same code, so
the two modes give the same JSON byte for byte (tested with hypothesis).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from vigil.rules.explain_text import Tree, english
from vigil.rules.expr import Array, Dim, FactMember, Node, Term, tree, walk
from vigil.rules.logic import NEG, POS, UNK, state_name
from vigil.rules.model import Outcome, RuleSet
from vigil.rules.records import Columns, Encoded, encode_record, stack

MISSING = {"unknown": UNK, "absent": NEG}
INSUFFICIENT = -1
CHUNK = 1 << 16


class DecisionList(Node):
    """The first outcome whose condition holds; insufficient when an unknown could change it.

    Its state is the index of the outcome label in ``labels`` or ``INSUFFICIENT``.
    """

    def __init__(self, outcomes: tuple[Outcome, ...], otherwise: str | None) -> None:
        self.outcomes = outcomes
        self.otherwise = otherwise
        labels: list[str] = []
        for o in outcomes:
            if o.label not in labels:
                labels.append(o.label)
        if otherwise is not None and otherwise not in labels:
            labels.append(otherwise)
        self.labels = tuple(labels)

    def children(self) -> tuple[Node, ...]:
        return tuple(o.when for o in self.outcomes)

    def _possible(self, states: list[int]) -> set[int]:
        possible: set[int] = set()
        for o, s in zip(self.outcomes, states, strict=True):
            if s >= UNK:
                possible.add(self.labels.index(o.label))
            if s == POS:
                return possible
        if self.otherwise is not None:
            possible.add(self.labels.index(self.otherwise))
        return possible

    def scalar(self, ctx: Any) -> int:
        states: list[int] = []
        for o in self.outcomes:
            states.append(ctx.state(o.when))
            if states[-1] == POS:
                break
        states += [NEG] * (len(self.outcomes) - len(states))
        possible = self._possible(states)
        return possible.pop() if len(possible) == 1 else INSUFFICIENT

    def batch(self, ctx: Any) -> Array:
        n = ctx.n
        mask = np.zeros(n, dtype=np.int16)
        stopped = np.zeros(n, dtype=bool)
        for o in self.outcomes:
            s = ctx.state(o.when)
            bit = np.int16(1 << self.labels.index(o.label))
            mask[~stopped & (s >= UNK)] |= bit
            stopped |= s == POS
        if self.otherwise is not None:
            mask[~stopped] |= np.int16(1 << self.labels.index(self.otherwise))
        out = np.full(n, INSUFFICIENT, dtype=np.int8)
        for i in range(len(self.labels)):
            out[mask == (1 << i)] = i
        return out

    def why(self, view: Any) -> Tree:
        state = view.state(self)
        if state != INSUFFICIENT:
            for o in self.outcomes:
                if view.state(o.when) == POS:
                    return tree("decided", {"outcome": {"outcome": o.label}}, [o.when.why(view)])
            prior = [o.when.why(view) for o in self.outcomes]
            return tree("otherwise", {"outcome": {"outcome": self.otherwise}, "prior": prior})
        cases = []
        for o in self.outcomes:
            s = view.state(o.when)
            if s == UNK:
                cases.append(tree("case_if", {"outcome": {"outcome": o.label}}, [o.when.why(view)]))
            if s == POS:
                cases.append(tree("case_else", {"outcome": {"outcome": o.label}}, [o.when.why(view)]))
                break
        return tree("depends", {"cases": cases})

    def unknowns(self, view: Any) -> list[tuple[int, int, str]]:
        if view.state(self) != INSUFFICIENT:
            return []
        out: list[tuple[int, int, str]] = []
        for i, o in enumerate(self.outcomes):
            s = view.state(o.when)
            if s == UNK:
                out.extend((r, i * 10_000 + k, name) for r, k, name in o.when.unknowns(view))
            if s == POS:
                break
        return out


def root(rs: RuleSet) -> Node:
    """The node that decides the rule set (built once per rule set)."""
    cached = getattr(rs, "_root", None)
    if cached is None:
        cached = rs.decision if rs.decision is not None else DecisionList(rs.outcomes, rs.otherwise)
        rs._root = cached  # type: ignore[attr-defined]
    return cached


def report_nodes(rs: RuleSet) -> dict[str, Node]:
    return {
        name: Dim(rs.dimensions[name]) if name in rs.dimensions else Term(name, rs)
        for name in rs.report
    }


class _Resolver:
    """Term lookup shared by both contexts: a triage's overrides first, then the rule set's own."""

    overrides: Mapping[tuple[str, str], Node] | None

    def term(self, ref: Term) -> Node:
        if self.overrides:
            found = self.overrides.get((ref.owner.id, ref.name))
            if found is not None:
                return found
        return ref.owner.terms[ref.name]


@dataclass
class ScalarCtx(_Resolver):
    """One encoded record; node states computed in plain Python and memoised."""

    ruleset: RuleSet
    enc: Encoded
    missing: int = UNK
    overrides: Mapping[tuple[str, str], Node] | None = None
    memo: dict[int, int] = field(default_factory=dict)

    def code(self, col: str) -> int:
        return self.enc.codes.get(col, -1)

    def num(self, col: str) -> float:
        return self.enc.nums.get(col, math.nan)

    def state(self, node: Node) -> int:
        key = id(node)
        if key not in self.memo:
            self.memo[key] = node.scalar(self)
        return self.memo[key]


@dataclass
class BatchCtx(_Resolver):
    """Columns of many records; node states computed as numpy int8 arrays and memoised."""

    ruleset: RuleSet
    cols: Columns
    missing: int = UNK
    overrides: Mapping[tuple[str, str], Node] | None = None
    memo: dict[int, Array] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return self.cols.n

    def code(self, col: str) -> npt.NDArray[np.int8]:
        return self.cols.code(col)

    def num(self, col: str) -> npt.NDArray[np.float64]:
        return self.cols.num(col)

    def state(self, node: Node) -> Array:
        key = id(node)
        if key not in self.memo:
            self.memo[key] = node.batch(self)
        return self.memo[key]


@dataclass
class RowView:
    """Record ``j`` of a batch, read from the batch's own arrays (for explanations)."""

    ctx: BatchCtx
    j: int

    @property
    def ruleset(self) -> RuleSet:
        return self.ctx.ruleset

    @property
    def missing(self) -> int:
        return self.ctx.missing

    def code(self, col: str) -> int:
        return int(self.ctx.code(col)[self.j])

    def num(self, col: str) -> float:
        return float(self.ctx.num(col)[self.j])

    def state(self, node: Node) -> int:
        return int(self.ctx.state(node)[self.j])

    def term(self, ref: Term) -> Node:
        return self.ctx.term(ref)


@dataclass(frozen=True)
class Determination:
    """The result of one rule set on one record (STANDARDS.md section 9)."""

    data: dict[str, Any]

    @property
    def outcome(self) -> str:
        return str(self.data["outcome"])

    def to_dict(self) -> dict[str, Any]:
        return dict(self.data)

    def to_json(self) -> str:
        return to_json(self.data)


def to_json(obj: Any) -> str:
    """The one canonical JSON form of results: sorted keys, UTF-8 text, no spaces to spare."""
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _fired(rs: RuleSet, view: Any) -> list[str]:
    out: list[str] = []
    for ind in rs.indicators:
        for key in (*(f"{s}.{ind.id}" for s in ind.scopes), ind.id):
            if view.code(key) == POS:
                out.append(key)
        if ind.fact is not None and view.code(f"{ind.fact}={ind.id}") == POS:
            out.append(f"facts.{ind.fact}={ind.id}")
    seen_facts: set[str] = set()
    for node in _fact_nodes(rs):
        if node.name in seen_facts:
            continue
        seen_facts.add(node.name)
        for v in node.values:
            if view.code(f"{node.name}={v}") == POS:
                out.append(f"facts.{node.name}={v}")
    return out


def _fact_nodes(rs: RuleSet) -> list[FactMember]:
    cached = getattr(rs, "_fact_nodes", None)
    if cached is None:
        nodes = [root(rs), *rs.terms.values()]
        cached = [n for top in nodes for n in walk(top) if isinstance(n, FactMember)]
        covered = {i.fact for i in rs.indicators if i.fact}
        cached = [n for n in cached if n.name not in covered]
        rs._fact_nodes = cached  # type: ignore[attr-defined]
    return list(cached)


def ask_next(node: Node, view: Any) -> list[str]:
    """Unknowns that could change the outcome, strongest first, each once."""
    seen: set[str] = set()
    out = []
    for _, _, name in sorted(node.unknowns(view), key=lambda t: (t[0], t[1])):
        if name not in seen:
            seen.add(name)
            out.append(name)
    return out


def determine(rs: RuleSet, view: Any, rid: Any, why: bool = False) -> Determination:
    """Render the determination of ``rs`` for the record behind ``view``.

    ``decided_by`` is the English text of the explanation; with ``why`` the explanation itself
    (a language-neutral tree, rendered per language by ``vigil.rules.explain_text.render``) is
    kept under ``why`` as well."""
    top = root(rs)
    state = view.state(top)
    if isinstance(top, DecisionList):
        outcome = "insufficient" if state == INSUFFICIENT else top.labels[state]
    else:
        outcome = rs.outcome_words.get(state_name(state), state_name(state))
    dims = {name: state_name(view.state(node)) for name, node in _reports(rs).items()}
    explained = top.why(view)
    data: dict[str, Any] = {
        "id": rid,
        "ruleset": rs.id,
        "version": rs.version,
        "verified": rs.verified,
        "outcome": outcome,
        "label": rs.labels.get(outcome, outcome),
        "dimensions": dims,
        "fired": _fired(rs, view),
        "decided_by": english(explained),
        "ask_next": ask_next(top, view) if outcome == "insufficient" else [],
    }
    if why:
        data["why"] = explained
    if rs.route is not None:
        data["route"] = _route(rs, view, outcome)
    return Determination(data)


def _reports(rs: RuleSet) -> dict[str, Node]:
    cached = getattr(rs, "_reports", None)
    if cached is None:
        cached = report_nodes(rs)
        rs._reports = cached  # type: ignore[attr-defined]
    return dict(cached)


def _route(rs: RuleSet, view: Any, outcome: str) -> dict[str, Any]:
    """Where a flagged record goes next, with the questions to ask and confirm there.

    With ``route.when`` (an expression), the fixed ``route.confirm`` list applies when it holds
    (fair recruitment: a fee repaid by wage deduction or a loan → confirm UR04/CR04). Without it
    (ILO-11), each present or, when undecided, not-denied indicator brings its ``maps_to``.
    """
    assert rs.route is not None
    to = list(rs.route.get("to", []))
    if rs.route_when is not None:
        hit = view.state(rs.route_when) == POS
        return {"to": to if hit else [], "confirm": list(rs.route.get("confirm", [])) if hit else []}
    prefill: list[str] = []
    if outcome != "negative":
        for ind in rs.indicators:
            if view.code(ind.id) == POS or (outcome == "insufficient" and view.code(ind.id) != NEG):
                prefill.extend(k for k in ind.maps_to if k not in prefill)
    return {"to": to if outcome != "negative" else [], "confirm": prefill}


# --- public API ---------------------------------------------------------------------------


def encode(rs: RuleSet, record: Any) -> Encoded:
    return encode_record(record, rs.record_keys(), rs.id)


def assess(rs: RuleSet, record: Any, missing: str = "unknown", why: bool = False) -> Determination:
    """Screen one record (a dict as in STANDARDS.md section 1) with one rule set; ``why`` keeps
    the language-neutral explanation tree in the determination."""
    enc = record if isinstance(record, Encoded) else encode(rs, record)
    ctx = ScalarCtx(rs, enc, MISSING[missing])
    return determine(rs, ctx, enc.id, why)


def chunks(cols: Columns, size: int = CHUNK) -> Iterator[Columns]:
    """Row slices of ``cols`` (numpy views: no copy)."""
    for start in range(0, cols.n, size):
        stop = min(start + size, cols.n)
        yield Columns(
            n=stop - start,
            ids=cols.ids[start:stop],
            codes={k: v[start:stop] for k, v in cols.codes.items()},
            nums={k: v[start:stop] for k, v in cols.nums.items()},
        )


def outcome_codes(rs: RuleSet, cols: Columns, missing: str = "unknown") -> npt.NDArray[np.int8]:
    """Batch mode, outcomes only: one int8 per record (NEG/UNK/POS, or a label index)."""
    top = root(rs)
    out = np.empty(cols.n, dtype=np.int8)
    start = 0
    for part in chunks(cols):
        ctx = BatchCtx(rs, part, MISSING[missing])
        out[start:start + part.n] = ctx.state(top)
        start += part.n
    return out


def outcome_names(rs: RuleSet, codes: npt.NDArray[np.int8]) -> list[str]:
    top = root(rs)
    if isinstance(top, DecisionList):
        return [("insufficient" if c == INSUFFICIENT else top.labels[c]) for c in codes.tolist()]
    return [rs.outcome_words.get(state_name(c), state_name(c)) for c in codes.tolist()]


def assess_columns(rs: RuleSet, cols: Columns, missing: str = "unknown",
                   why: bool = False) -> Iterator[Determination]:
    """Batch mode with full determinations: states from numpy columns, chunk by chunk (the
    explanation trees are kept only with ``why``)."""
    for part in chunks(cols):
        ctx = BatchCtx(rs, part, MISSING[missing])
        ctx.state(root(rs))
        for j in range(part.n):
            yield determine(rs, RowView(ctx, j), part.ids[j], why)


def assess_many(rs: RuleSet, records: Iterable[Any], missing: str = "unknown",
                why: bool = False) -> Iterator[Determination]:
    """Validate all records first (nothing is written on a bad one), then evaluate in batch."""
    encoded = [encode(rs, r) for r in records]
    return assess_columns(rs, stack(encoded), missing, why)
