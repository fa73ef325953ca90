"""Reading rule sets: one YAML file per standard and version under ``sets/``.

A file may ``extends:`` another rule set and then only says what differs: ``params`` and
``labels`` are merged, ``override_indicators`` changes grades, labels or questions of named
indicators, ``remove_indicators`` drops some, and any other top-level key (``decision``,
``terms``, ``outcomes``...) replaces or, for ``terms``, adds to the parent's.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from vigil.errors import RuleSetError
from vigil.rules.expr import Parser
from vigil.rules.model import Dimension, Indicator, Outcome, Pattern, Requirement, RuleSet

SETS_PACKAGE = "vigil.rules.sets"
GRADES = ("S", "M", "W")
REQUIRED = ("id", "version", "title", "source", "verified", "indicators")


def sets_dir() -> Path:
    return Path(str(resources.files(SETS_PACKAGE)))


def available() -> list[str]:
    """The ids of the rule sets that ship with Vigil, sorted."""
    return sorted(p.stem for p in sets_dir().glob("*.yaml"))


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text("utf-8-sig"))
    except FileNotFoundError:
        raise RuleSetError("rule set file not found", str(path)) from None
    except UnicodeDecodeError as exc:
        raise RuleSetError(f"not UTF-8 text (byte {exc.start})", path.name) from None
    except OSError as exc:
        raise RuleSetError(f"cannot read the file ({type(exc).__name__})", str(path)) from None
    except RecursionError:
        raise RuleSetError("invalid YAML: nested too deeply", path.name) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path.name}, line {mark.line + 1}" if mark else path.name
        raise RuleSetError(f"invalid YAML: {getattr(exc, 'problem', exc)}", where) from None
    if not isinstance(data, dict):
        raise RuleSetError("a rule set must be a YAML mapping", path.name)
    return data


def _merge(parent: dict[str, Any], child: dict[str, Any], where: str) -> dict[str, Any]:
    out = copy.deepcopy(parent)
    for key in ("params", "labels", "terms"):
        if key in child:
            out[key] = {**parent.get(key, {}), **child[key]}
    removed = set(child.get("remove_indicators", ()))
    known = {i["id"] for i in parent["indicators"]}
    for rid in removed:
        if rid not in known:
            raise RuleSetError(f"cannot remove unknown indicator {rid}", f"{where}, remove_indicators")
    overrides = child.get("override_indicators", {}) or {}
    for iid in overrides:
        if iid not in known or iid in removed:
            raise RuleSetError(f"cannot override unknown indicator {iid}", f"{where}, override_indicators")
    out["indicators"] = [
        {**ind, **overrides.get(ind["id"], {})} for ind in parent["indicators"] if ind["id"] not in removed
    ]
    for key, value in child.items():
        if key in ("params", "labels", "terms", "remove_indicators", "override_indicators", "extends"):
            continue
        out[key] = value
    out["extends"] = child["extends"]
    if "triage" not in child:
        out.pop("triage", None)
    return out


def _raw(ruleset_id: str, seen: tuple[str, ...] = ()) -> tuple[dict[str, Any], Path]:
    path = sets_dir() / f"{ruleset_id}.yaml"
    if not path.is_file():
        raise RuleSetError(f"unknown rule set {ruleset_id!r} (known: {', '.join(available())})")
    data = _read(path)
    if data.get("id") != ruleset_id:
        raise RuleSetError(f"id {data.get('id')!r} does not match the file name", path.name)
    parent_id = data.get("extends")
    if parent_id:
        if parent_id in seen:
            raise RuleSetError(f"circular extends: {' -> '.join((*seen, parent_id))}", path.name)
        parent, _ = _raw(parent_id, (*seen, ruleset_id))
        data = _merge(parent, data, path.name)
    return data, path


def merged_data(rs: RuleSet) -> dict[str, Any]:
    """The rule set's YAML after ``extends`` is applied (what ``vigil rules show`` prints)."""
    if rs.path and Path(rs.path).is_file():
        p = Path(rs.path)
        data = _read(p)
        return _merge(_raw(data["extends"])[0], data, p.name) if data.get("extends") else data
    return _raw(rs.id)[0]


def _patterns(spec: Any, where: str) -> tuple[Pattern, ...]:
    if not isinstance(spec, list) or not spec:
        raise RuleSetError("a grading is a non-empty list of patterns", where)
    out = []
    for i, pat in enumerate(spec):
        needs = []
        used: set[str] = set()
        for req in pat.get("needs", ()):
            grades = tuple(req["grades"])
            if any(g not in GRADES for g in grades) or used & set(grades):
                raise RuleSetError("pattern needs disjoint grades among S, M, W", f"{where}[{i}]")
            used |= set(grades)
            needs.append(Requirement(grades, int(req["n"])))
        out.append(Pattern(str(pat.get("name", i)), tuple(needs)))
    return tuple(out)


def build(data: dict[str, Any], where: str, params: Mapping[str, Any] | None = None) -> RuleSet:
    """A ``RuleSet`` from its (merged) YAML data; ``params`` override the file's parameters."""
    for key in REQUIRED:
        if key not in data:
            raise RuleSetError(f"missing key {key!r}", where)
    merged_params = dict(data.get("params", {}) or {})
    for key, value in (params or {}).items():
        if key not in merged_params:
            raise RuleSetError(f"unknown parameter {key!r} (known: {', '.join(merged_params)})", where)
        merged_params[key] = value
    indicators = []
    seen: set[str] = set()
    for i, raw in enumerate(data["indicators"]):
        place = f"{where}, indicators[{i}]"
        if not isinstance(raw, Mapping) or "id" not in raw or "dimension" not in raw:
            raise RuleSetError("an indicator needs id and dimension", place)
        if raw["id"] in seen:
            raise RuleSetError(f"duplicate indicator {raw['id']}", place)
        seen.add(raw["id"])
        grade = raw.get("grade")
        if grade is not None and grade not in GRADES:
            raise RuleSetError(f"grade {grade!r} is not S, M or W", place)
        indicators.append(
            Indicator(
                id=str(raw["id"]),
                label=str(raw.get("label", raw["id"])),
                dimension=str(raw["dimension"]),
                grade=grade,
                question=raw.get("question"),
                evidence=tuple(raw.get("evidence", ())),
                scopes=tuple(raw.get("scopes", ())),
                fact=raw.get("fact"),
                maps_to=tuple(raw.get("maps_to", ())),
                note=raw.get("note"),
            )
        )
    gradings = {name: _patterns(spec, f"{where}, grading.{name}")
                for name, spec in (data.get("grading") or {}).items()}
    dimensions: dict[str, Dimension] = {}
    for raw in data.get("dimensions", []) or []:
        grading = gradings.get(raw.get("grading"))
        if grading is None:
            raise RuleSetError(f"dimension {raw.get('id')} names unknown grading", where)
        members = tuple(ind for ind in indicators if ind.dimension == raw["id"])
        if any(ind.grade is None for ind in members):
            raise RuleSetError(f"every indicator of graded dimension {raw['id']} needs a grade", where)
        dimensions[raw["id"]] = Dimension(raw["id"], raw.get("label", raw["id"]), grading, members)
    rs = RuleSet(
        id=data["id"],
        version=str(data["version"]),
        title=data["title"],
        source=data["source"],
        verified=bool(data["verified"]),
        indicators=tuple(indicators),
        dimensions=dimensions,
        terms={},
        report=tuple(data.get("report", ())),
        labels=dict(data.get("labels", {}) or {}),
        params=merged_params,
        notes=data.get("notes"),
        extends=data.get("extends"),
        route=data.get("route"),
        triage=data.get("triage"),
        unverified=tuple(data.get("unverified", ())),
        outcome_words=dict(data.get("outcome_words", {}) or {}),
        path=where,
    )
    parser = Parser(rs, where)
    raw_terms = data.get("terms", {}) or {}
    rs.terms = {name: None for name in raw_terms}  # type: ignore[misc]  # names first: terms may refer to each other
    rs.terms = {name: parser.parse(expr, f"terms.{name}") for name, expr in raw_terms.items()}
    for name, node in rs.terms.items():
        if node is not None and node.label:  # a term's label is translated as the term's
            node.term_of = (rs.id, name)
    if "decision" in data:
        rs.decision = parser.parse(data["decision"], "decision")
    elif "outcomes" in data:
        rs.outcomes = tuple(
            Outcome(parser.parse(o["when"], f"outcomes[{i}].when"), str(o["outcome"]))
            for i, o in enumerate(data["outcomes"])
        )
        rs.otherwise = data.get("otherwise")
    else:
        raise RuleSetError("a rule set needs a decision or outcomes", where)
    if rs.route and "when" in rs.route:
        rs.route_when = parser.parse(rs.route["when"], "route.when")
        unknown = [k for k in rs.route.get("confirm", []) if not isinstance(k, str)]
        if unknown:
            raise RuleSetError("route.confirm lists indicator keys", where)
    for name in rs.report:
        if name not in rs.dimensions and name not in rs.terms:
            raise RuleSetError(f"report names unknown dimension or term {name!r}", where)
    return rs


@cache
def _load_cached(ruleset_id: str, frozen_params: tuple[tuple[str, Any], ...]) -> RuleSet:
    data, path = _raw(ruleset_id)
    return build(data, path.name, dict(frozen_params))


def load_ruleset(ruleset_id: str, params: Mapping[str, Any] | None = None) -> RuleSet:
    """Load a shipped rule set by id, optionally with parameters overridden (``min_age=14``)."""
    frozen = tuple(sorted((k, _freeze(v)) for k, v in (params or {}).items()))
    return _load_cached(ruleset_id, frozen)


def _freeze(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def load_file(path: str | Path, params: Mapping[str, Any] | None = None) -> RuleSet:
    """Load a rule set from any YAML file (a jurisdiction's own); ``extends`` names shipped ids."""
    p = Path(path)
    if not p.is_file():
        raise RuleSetError("no such rule-set file", str(path))
    data = _read(p)
    if data.get("extends"):
        parent, _ = _raw(data["extends"])
        data = _merge(parent, data, p.name)
    rs = build(data, p.name, params)
    rs.path = str(p)
    return rs
