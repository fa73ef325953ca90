"""The rule-set data model: indicators, graded dimensions and the decision, as plain data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vigil.rules.expr import Node


@dataclass(frozen=True)
class Indicator:
    """One indicator: the question a caseworker asks and the grade experts gave it."""

    id: str
    label: str
    dimension: str
    grade: str | None = None
    question: str | None = None
    evidence: tuple[str, ...] = ()
    #: prefixes under which the indicator may also be recorded (``D1.PN04``)
    scopes: tuple[str, ...] = ()
    #: a list fact whose members also evidence this indicator (``fees_charged``)
    fact: str | None = None
    #: indicators of other rule sets this one routes to (ILO-11 → full interview)
    maps_to: tuple[str, ...] = ()
    note: str | None = None

    def sources(self, scope: str | None = None) -> tuple[str, ...]:
        """The record columns that carry this indicator, most specific first."""
        cols: list[str] = []
        if scope is not None:
            cols.append(f"{scope}.{self.id}")
        cols.append(self.id)
        if self.fact is not None:
            cols.append(f"{self.fact}={self.id}")
        return tuple(cols)


@dataclass(frozen=True)
class Requirement:
    """``n`` present indicators whose grade is one of ``grades``."""

    grades: tuple[str, ...]
    n: int


@dataclass(frozen=True)
class Pattern:
    """A combination of requirements, met by disjoint indicators (e.g. ``S+M``)."""

    name: str
    needs: tuple[Requirement, ...]

    def met(self, counts: dict[str, int]) -> bool:
        return all(sum(counts.get(g, 0) for g in r.grades) >= r.n for r in self.needs)


@dataclass(frozen=True)
class Dimension:
    """A group of indicators made positive by a grading rule (a list of patterns)."""

    id: str
    label: str
    patterns: tuple[Pattern, ...]
    indicators: tuple[Indicator, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """One branch of a decision list: when ``when`` holds, the outcome is ``label``."""

    when: Node
    label: str


@dataclass
class RuleSet:
    """A standard (or a national variant of one) as data, ready to evaluate."""

    id: str
    version: str
    title: str
    source: str
    verified: bool
    indicators: tuple[Indicator, ...]
    dimensions: dict[str, Dimension]
    terms: dict[str, Node]
    report: tuple[str, ...]
    labels: dict[str, str]
    params: dict[str, Any]
    #: boolean rule sets have ``decision``; decision-list rule sets have ``outcomes``
    decision: Node | None = None
    outcomes: tuple[Outcome, ...] = ()
    otherwise: str | None = None
    notes: str | None = None
    extends: str | None = None
    route: dict[str, Any] | None = None
    route_when: Node | None = None
    triage: dict[str, Any] | None = None
    unverified: tuple[str, ...] = ()
    #: words for the outcomes of a boolean rule set, when not positive/negative/insufficient
    outcome_words: dict[str, str] = field(default_factory=dict)
    path: str | None = None
    by_id: dict[str, Indicator] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_id = {ind.id: ind for ind in self.indicators}

    @property
    def kind(self) -> str:
        """``boolean`` (positive/negative/insufficient) or ``labels`` (a decision list)."""
        return "boolean" if self.decision is not None else "labels"

    @property
    def outcome_labels(self) -> tuple[str, ...]:
        """The outcomes a decision-list rule set can give, in declaration order."""
        seen: list[str] = []
        for o in self.outcomes:
            if o.label not in seen:
                seen.append(o.label)
        if self.otherwise is not None and self.otherwise not in seen:
            seen.append(self.otherwise)
        return tuple(seen)

    def record_keys(self) -> frozenset[str]:
        """Every indicator key a record may carry for this rule set."""
        keys: set[str] = set()
        for ind in self.indicators:
            keys.add(ind.id)
            keys.update(f"{s}.{ind.id}" for s in ind.scopes)
        return frozenset(keys)
