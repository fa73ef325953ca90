"""Rule-set wording in other languages: ``sets/i18n/<lang>.yaml``, data only.

A translation file gives, per rule set id, the ``title``, the outcome ``labels``, the
``dimensions`` and labelled ``terms``, and per indicator its ``label`` and ``question``; under
``facts`` it gives the labels of the fact vocabulary (and of list values). English stays the
reference: anything a file does not give falls back to English. A rule set that ``extends:``
another reuses the parent's translation wherever its English wording is the parent's, so a
national variant that rewords an indicator shows that indicator in English until it is translated.

Translation is for display. The rule, the ids and the determination stay language-neutral; only
a determination's ``label`` is wording, and it stays English unless a translated rule set is
assessed (screen with the rule set itself, show ``outcome_label(rs, det["outcome"], lang)``).

    >>> from vigil.rules import load_ruleset
    >>> from vigil.rules.i18n import indicator_text, translate
    >>> rs = load_ruleset("ilo-11")
    >>> translate(rs, "fr").by_id["ILO11.09"].label
    'servitude pour dettes'
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from vigil.errors import RuleSetError
from vigil.rules.loader import available, load_ruleset, sets_dir
from vigil.rules.model import Indicator, RuleSet
from vigil.rules.records import fact_specs

DEFAULT_LANG = "en"
_RULESET_KEYS = frozenset({"title", "labels", "dimensions", "terms", "indicators"})
_INDICATOR_KEYS = frozenset({"label", "question"})
_FACT_KEYS = frozenset({"label", "values"})


@dataclass(frozen=True)
class RuleSetText:
    """The translated wording of one rule set (only what the file gives)."""

    title: str | None
    labels: dict[str, str]
    dimensions: dict[str, str]
    terms: dict[str, str]
    #: indicator id -> {"label": ..., "question": ...} (either may be missing)
    indicators: dict[str, dict[str, str]]


@dataclass(frozen=True)
class Catalogue:
    """One language's translation file, checked against the shipped rule sets and vocabulary."""

    lang: str
    rulesets: dict[str, RuleSetText]
    #: fact name -> {"label": ..., "values": {value: label}}
    facts: dict[str, dict[str, Any]]


def i18n_dir() -> Path:
    return sets_dir() / "i18n"


def languages() -> list[str]:
    """English and every language with a translation file, sorted."""
    return sorted({DEFAULT_LANG, *(p.stem for p in i18n_dir().glob("*.yaml"))})


def normalise(lang: str | None) -> str:
    """``fr``, ``fr-FR``, ``fr_CA`` or ``FR`` -> ``fr``; ``None`` or empty -> ``en``."""
    if not lang:
        return DEFAULT_LANG
    return lang.replace("_", "-").split("-", 1)[0].strip().lower() or DEFAULT_LANG


def _text(value: Any, place: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RuleSetError("expected non-empty text", place)
    return value


def _mapping(value: Any, place: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise RuleSetError("expected a mapping", place)
    return value


def _unknown(keys: Any, known: Any, what: str, place: str) -> None:
    for key in keys:
        if key not in known:
            raise RuleSetError(f"unknown {what} {key!r}", f"{place}.{key}")


def _term_labels(rs: RuleSet) -> dict[str, str]:
    """The English labels of the rule set's labelled terms."""
    return {name: node.label for name, node in rs.terms.items() if node is not None and node.label}


def _check_ruleset(rs: RuleSet, raw: Mapping[str, Any], place: str) -> RuleSetText:
    _unknown(raw, _RULESET_KEYS, "key", place)
    title = _text(raw["title"], f"{place}.title") if "title" in raw else None
    labels = _mapping(raw.get("labels") or {}, f"{place}.labels")
    _unknown(labels, rs.labels, "outcome", f"{place}.labels")
    dims = _mapping(raw.get("dimensions") or {}, f"{place}.dimensions")
    _unknown(dims, rs.dimensions, "dimension", f"{place}.dimensions")
    terms = _mapping(raw.get("terms") or {}, f"{place}.terms")
    _unknown(terms, _term_labels(rs), "labelled term", f"{place}.terms")
    inds = _mapping(raw.get("indicators") or {}, f"{place}.indicators")
    _unknown(inds, rs.by_id, "indicator", f"{place}.indicators")
    indicators: dict[str, dict[str, str]] = {}
    for iid, entry in inds.items():
        where = f"{place}.indicators.{iid}"
        entry = _mapping(entry, where)
        _unknown(entry, _INDICATOR_KEYS, "key", where)
        indicators[str(iid)] = {k: _text(v, f"{where}.{k}") for k, v in entry.items()}
    return RuleSetText(
        title=title,
        labels={str(k): _text(v, f"{place}.labels.{k}") for k, v in labels.items()},
        dimensions={str(k): _text(v, f"{place}.dimensions.{k}") for k, v in dims.items()},
        terms={str(k): _text(v, f"{place}.terms.{k}") for k, v in terms.items()},
        indicators=indicators,
    )


def _check_facts(raw: Mapping[str, Any], name: str) -> dict[str, dict[str, Any]]:
    specs = fact_specs()
    _unknown(raw, specs, "fact", f"{name}, facts")
    out: dict[str, dict[str, Any]] = {}
    for fact, entry in raw.items():
        where = f"{name}, facts.{fact}"
        entry = _mapping(entry, where)
        _unknown(entry, _FACT_KEYS, "key", where)
        values = _mapping(entry.get("values") or {}, f"{where}.values")
        _unknown(values, specs[fact].values, "value", f"{where}.values")
        out[str(fact)] = {
            **({"label": _text(entry["label"], f"{where}.label")} if "label" in entry else {}),
            "values": {str(k): _text(v, f"{where}.values.{k}") for k, v in values.items()},
        }
    return out


def load_catalogue(path: str | Path) -> Catalogue:
    """Read and check a translation file: every key must name a shipped rule set, indicator,
    dimension, labelled term, outcome, fact or fact value. Errors name the file and the key."""
    p = Path(path)
    name = p.name
    try:
        data = yaml.safe_load(p.read_text("utf-8"))
    except OSError:
        raise RuleSetError("no such translation file", str(path)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{name}, line {mark.line + 1}" if mark else name
        raise RuleSetError(f"invalid YAML: {getattr(exc, 'problem', exc)}", where) from None
    data = _mapping(data if data is not None else {}, name)
    for key in data:
        if key not in ("rulesets", "facts"):
            raise RuleSetError(f"unknown top-level key {key!r} (known: rulesets, facts)", f"{name}, {key}")
    raw_sets = _mapping(data.get("rulesets") or {}, f"{name}, rulesets")
    known = available()
    rulesets: dict[str, RuleSetText] = {}
    for rid, raw in raw_sets.items():
        place = f"{name}, rulesets.{rid}"
        if rid not in known:
            raise RuleSetError(f"unknown rule set {rid!r} (known: {', '.join(known)})", place)
        rulesets[str(rid)] = _check_ruleset(load_ruleset(rid), _mapping(raw or {}, place), place)
    facts = _check_facts(_mapping(data.get("facts") or {}, f"{name}, facts"), name)
    return Catalogue(lang=p.stem, rulesets=rulesets, facts=facts)


@cache
def catalogue(lang: str | None) -> Catalogue | None:
    """The shipped translation for ``lang`` (checked), or ``None`` for English or a language
    without a file."""
    code = normalise(lang)
    path = i18n_dir() / f"{code}.yaml"
    if code == DEFAULT_LANG or not path.is_file():
        return None
    return load_catalogue(path)


@cache
def _shipped() -> frozenset[str]:
    return frozenset(available())


def _chain(rs: RuleSet) -> list[RuleSet]:
    """The shipped rule sets whose translations may serve ``rs``, nearest first: the shipped one
    of the same id (if any), then its ``extends`` ancestors."""
    known = _shipped()
    out: list[RuleSet] = []
    seen: set[str] = set()
    current: str | None = rs.id if rs.id in known else rs.extends
    while current and current in known and current not in seen:
        seen.add(current)
        out.append(load_ruleset(current))
        current = out[-1].extends
    return out


def _lookup(rs: RuleSet, cat: Catalogue | None, english: str | None,
            english_of: Callable[[RuleSet], str | None],
            get: Callable[[RuleSetText], str | None]) -> str | None:
    """The nearest translation along ``_chain`` written for the same English wording.

    A translation is written against a shipped rule set's English; it serves ``rs`` only where
    ``rs`` has that wording, so a local variant that rewords something shows it in English."""
    if cat is None or english is None:
        return None
    for level in _chain(rs):
        if english_of(level) != english:
            continue
        text = cat.rulesets.get(level.id)
        found = get(text) if text is not None else None
        if found is not None:
            return found
    return None


def _indicator(rs: RuleSet, cat: Catalogue | None, iid: str, field: str) -> str | None:
    def english_of(level: RuleSet) -> str | None:
        ind = level.by_id.get(iid)
        return getattr(ind, field) if ind is not None else None

    return _lookup(rs, cat, english_of(rs), english_of, lambda t: t.indicators.get(iid, {}).get(field))


def _outcome(rs: RuleSet, cat: Catalogue | None, key: str) -> str | None:
    return _lookup(rs, cat, rs.labels.get(key, key), lambda level: level.labels.get(key, key),
                   lambda t: t.labels.get(key))


def _dimension(rs: RuleSet, cat: Catalogue | None, key: str) -> str | None:
    def english_of(level: RuleSet) -> str | None:
        dim = level.dimensions.get(key)
        return dim.label if dim is not None else None

    return _lookup(rs, cat, english_of(rs), english_of, lambda t: t.dimensions.get(key))


def _term(rs: RuleSet, cat: Catalogue | None, name: str) -> str | None:
    return _lookup(rs, cat, _term_labels(rs).get(name), lambda level: _term_labels(level).get(name),
                   lambda t: t.terms.get(name))


def _title(rs: RuleSet, cat: Catalogue | None) -> str | None:
    """A title is never inherited: only the shipped rule set of the same id and title serves."""
    chain = _chain(rs)
    if cat is None or not chain or chain[0].id != rs.id or chain[0].title != rs.title:
        return None
    text = cat.rulesets.get(rs.id)
    return text.title if text is not None else None


def indicator_text(ruleset: RuleSet, indicator_id: str, lang: str | None) -> tuple[str, str | None]:
    """(label, question) of an indicator in ``lang``, each falling back to English."""
    ind = ruleset.by_id.get(indicator_id)
    if ind is None:
        raise RuleSetError(f"unknown indicator {indicator_id!r}", ruleset.id)
    cat = catalogue(lang)
    label = _indicator(ruleset, cat, indicator_id, "label") or ind.label
    question = _indicator(ruleset, cat, indicator_id, "question") or ind.question
    return label, question


def outcome_label(ruleset: RuleSet, outcome: str, lang: str | None) -> str:
    """The wording of an outcome (``positive``, ``risk``, ``WORST_FORM``...) in ``lang``: what a
    determination's ``label`` says in English."""
    return _outcome(ruleset, catalogue(lang), outcome) or ruleset.labels.get(outcome, outcome)


def dimension_label(ruleset: RuleSet, dimension: str, lang: str | None) -> str:
    """The label of a graded dimension in ``lang`` (the code itself when it is not one)."""
    dim = ruleset.dimensions.get(dimension)
    if dim is None:
        return dimension
    return _dimension(ruleset, catalogue(lang), dimension) or dim.label


def term_label(ruleset: RuleSet, term: str, lang: str | None) -> str | None:
    """The label of a labelled term (``light_work``, ``D1``...) in ``lang``; ``None`` if unlabelled."""
    english = _term_labels(ruleset).get(term)
    return None if english is None else _term(ruleset, catalogue(lang), term) or english


def title(ruleset: RuleSet, lang: str | None) -> str:
    """The rule set's title in ``lang``."""
    return _title(ruleset, catalogue(lang)) or ruleset.title


def fact_label(fact: str, lang: str | None, value: str | None = None) -> str:
    """The label of a vocabulary fact, or of one value of a list fact, in ``lang``."""
    spec = fact_specs().get(fact)
    english = value if value is not None else (spec.label if spec is not None else fact)
    cat = catalogue(lang)
    entry = cat.facts.get(fact, {}) if cat is not None else {}
    found = entry.get("label") if value is None else entry.get("values", {}).get(value)
    return str(found) if found else english


def translate(ruleset: RuleSet, lang: str | None) -> RuleSet:
    """A copy of ``ruleset`` for display in ``lang``: title, outcome labels, dimension labels and
    indicator labels and questions translated; ids, grades, the rule and the version the same.
    English (or a language without a file) returns ``ruleset`` itself."""
    cat = catalogue(lang)
    if cat is None:
        return ruleset
    indicators = tuple(
        dataclasses.replace(ind, label=_indicator(ruleset, cat, ind.id, "label") or ind.label,
                            question=_indicator(ruleset, cat, ind.id, "question") or ind.question)
        for ind in ruleset.indicators
    )
    by_id: dict[str, Indicator] = {i.id: i for i in indicators}
    dimensions = {
        key: dataclasses.replace(dim, label=_dimension(ruleset, cat, key) or dim.label,
                                 indicators=tuple(by_id[i.id] for i in dim.indicators))
        for key, dim in ruleset.dimensions.items()
    }
    labels = {key: _outcome(ruleset, cat, key) or text for key, text in ruleset.labels.items()}
    return dataclasses.replace(ruleset, title=_title(ruleset, cat) or ruleset.title,
                               indicators=indicators, dimensions=dimensions, labels=labels)


def untranslated(ruleset: RuleSet, lang: str | None) -> list[str]:
    """Every piece of the rule set's wording that ``lang`` leaves in English: ``title``,
    ``labels.<outcome>``, ``dimensions.<id>``, ``terms.<name>``, ``indicators.<id>.label`` and
    ``indicators.<id>.question``. Empty when the translation is complete (and for English)."""
    if normalise(lang) == DEFAULT_LANG:
        return []
    cat = catalogue(lang)
    missing = [] if _title(ruleset, cat) else ["title"]
    missing += [f"labels.{k}" for k in ruleset.labels if _outcome(ruleset, cat, k) is None]
    missing += [f"dimensions.{k}" for k in ruleset.dimensions if _dimension(ruleset, cat, k) is None]
    missing += [f"terms.{n}" for n in _term_labels(ruleset) if _term(ruleset, cat, n) is None]
    for ind in ruleset.indicators:
        missing += [f"indicators.{ind.id}.{f}" for f in ("label", "question")
                    if getattr(ind, f) is not None and _indicator(ruleset, cat, ind.id, f) is None]
    return missing
