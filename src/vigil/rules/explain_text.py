"""Render the language-neutral "why" of a determination as text in en, fr, es or ar.

The rules engine explains a result as a small tree (``Node.why``)::

    {"key": "group_present", "args": {"name": {"label": "penalty"}, "items": [{"ind": "PN02",
     "scope": "D1"}]}}

``key`` names a message template, ``args`` holds references (indicator, dimension, group, term,
fact and outcome ids, rule-set ids, numbers, truth-value words) and ``parts`` the explanations of
the nodes below. Nothing in a tree is English wording of the engine; the only text is the rule
set's own ``label:`` of a node, kept with the term it labels so that it can be translated.

Templates live in ``sets/i18n/explain/<lang>.yaml`` (``messages``, ``refs``, ``states``,
``joins``, ``words``, ``labels``); labels of indicators, dimensions, terms, outcomes and facts come
from the rule-set translations (:mod:`vigil.rules.i18n`). Anything missing falls back to English.
English rendering (:func:`english`) gives exactly the ``decided_by`` text of a determination.

    >>> from vigil.rules import assess, load_ruleset
    >>> rs = load_ruleset("ilo-11")
    >>> det = assess(rs, {"id": "r1", "indicators": {"ILO11.09": True}}, why=True).to_dict()
    >>> render(det["why"], "en", rs) == det["decided_by"]
    True
    >>> render(det["why"], "fr", rs)
    'indicateur OIT-11 présent : ILO11.09 (servitude pour dettes)'
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from vigil.rules.model import RuleSet

Tree = dict[str, Any]

DEFAULT = "en"
SECTIONS = ("messages", "refs", "states", "joins", "words", "labels")
#: keys that only arrange their parts (no wording of their own)
STRUCTURAL = frozenset({"and", "or", "in"})
#: keys whose ``ruleset`` argument sets the rule set that later indicator and outcome ids belong to
CONTEXT_KEYS = frozenset({"in", "ruleset_state", "outcome_in"})
#: list arguments joined with ``joins.semi`` (the others with ``joins.list``)
SEMI_LISTS = frozenset({"hits", "prior", "cases", "alternatives"})
#: the placeholders a reference template may use (``label`` only in the translations)
REF_FIELDS: dict[str, frozenset[str]] = {
    "indicator": frozenset({"id", "label"}),
    "indicator_scoped": frozenset({"id", "scope", "label"}),
    "indicator_graded": frozenset({"id", "grade", "label"}),
    "dimension": frozenset({"id", "label"}),
    "group": frozenset({"id", "label"}),
    "group_scoped": frozenset({"id", "scope", "label"}),
    "outcome": frozenset({"id", "label"}),
    "fact": frozenset({"id", "label"}),
    "fact_value": frozenset({"id", "label"}),
    "field": frozenset({"id", "label"}),
}


def templates_dir() -> Path:
    return Path(__file__).parent / "sets" / "i18n" / "explain"


@cache
def placeholders(template: str) -> frozenset[str]:
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)


@cache
def templates(lang: str) -> dict[str, dict[str, str]]:
    """The sections of ``<lang>.yaml`` (empty sections for a language without a file)."""
    path = templates_dir() / f"{lang}.yaml"
    raw: Mapping[str, Any] = {}
    if path.is_file():
        raw = yaml.safe_load(path.read_text("utf-8")) or {}
    return {s: {str(k): str(v) for k, v in (raw.get(s) or {}).items()} for s in SECTIONS}


def languages() -> list[str]:
    return sorted(p.stem for p in templates_dir().glob("*.yaml"))


class _Renderer:
    def __init__(self, lang: str, ruleset: RuleSet | None) -> None:
        self.lang = lang
        self.en = templates(DEFAULT)
        self.tr = templates(lang) if lang != DEFAULT else self.en
        self.rs = ruleset

    def get(self, section: str, key: str) -> str:
        found = self.tr[section].get(key)
        return found if found is not None else self.en[section].get(key, key)

    # --- references ----------------------------------------------------------------------

    def ref(self, ref: Mapping[str, Any]) -> str:
        if "ind" in ref:
            if "grade" in ref:
                kind, fields = "indicator_graded", {"id": ref["ind"], "grade": ref["grade"]}
            elif "scope" in ref:
                kind, fields = "indicator_scoped", {"id": ref["ind"], "scope": ref["scope"]}
            else:
                kind, fields = "indicator", {"id": ref["ind"]}
            return self._labelled(kind, fields, self._indicator_label)
        if "label" in ref:
            return self._node_label(ref)
        if "dim" in ref:
            return self._labelled("dimension", {"id": ref["dim"]}, self._dimension_label)
        if "group" in ref:
            if "scope" in ref:
                return self._labelled("group_scoped", {"id": ref["group"], "scope": ref["scope"]},
                                      self._dimension_label)
            return self._labelled("group", {"id": ref["group"]}, self._dimension_label)
        if "outcome" in ref:
            return self._labelled("outcome", {"id": ref["outcome"]}, self._outcome_label)
        if "value" in ref:
            fact = str(ref.get("fact", ""))
            return self._labelled("fact_value", {"id": ref["value"]},
                                  lambda v: self._fact_label(fact, v))
        if "fact" in ref:
            return self._labelled("fact", {"id": ref["fact"]}, lambda f: self._fact_label(f, None))
        if "field" in ref:
            return self._labelled("field", {"id": ref["field"]}, self._field_label)
        for key in ("flag", "node", "ruleset"):
            if key in ref:
                return str(ref[key])
        return ""

    def _labelled(self, kind: str, fields: dict[str, Any], label: Any) -> str:
        template = self.get("refs", kind)
        if self.lang != DEFAULT and "label" in placeholders(template):
            found = label(str(fields["id"]))
            if found is None:  # no label to show: the English form (ids only)
                template = self.en["refs"][kind]
            else:
                fields = {**fields, "label": found}
        return template.format(**fields)

    def _indicator_label(self, iid: str) -> str | None:
        if self.rs is None or iid not in self.rs.by_id:
            return None
        from vigil.rules.i18n import indicator_text

        return indicator_text(self.rs, iid, self.lang)[0]

    def _dimension_label(self, did: str) -> str | None:
        if self.rs is None or did not in self.rs.dimensions:
            return None
        from vigil.rules.i18n import dimension_label

        return dimension_label(self.rs, did, self.lang)

    def _outcome_label(self, code: str) -> str | None:
        if self.rs is None or code not in self.rs.labels:
            return None
        from vigil.rules.i18n import outcome_label

        return outcome_label(self.rs, code, self.lang)

    def _fact_label(self, fact: str, value: str | None) -> str | None:
        from vigil.rules.i18n import fact_label
        from vigil.rules.records import fact_specs

        if fact not in fact_specs():
            return None
        return fact_label(fact, self.lang, value)

    def _field_label(self, name: str) -> str | None:
        from vigil.rules.records import fact_specs

        if name in fact_specs():
            return self._fact_label(name, None)
        return self.tr["words"].get(f"field_{name}")

    def _node_label(self, ref: Mapping[str, Any]) -> str:
        text = str(ref["label"])
        if self.lang == DEFAULT:
            return text
        if "term" in ref and "ruleset" in ref:
            from vigil.errors import VigilError
            from vigil.rules.i18n import term_label
            from vigil.rules.loader import load_ruleset

            try:
                owner = load_ruleset(str(ref["ruleset"]))
            except VigilError:
                owner = None
            if owner is not None and owner.terms.get(str(ref["term"])) is not None:
                found = term_label(owner, str(ref["term"]), self.lang)
                if found is not None and found != text:
                    return found
        return self.tr["labels"].get(text, text)

    # --- messages ------------------------------------------------------------------------

    def value(self, name: str, value: Any) -> str:
        if name == "state":
            return self.get("states", str(value))
        if value is None:
            return self.get("words", "unknown_number")
        if isinstance(value, bool):
            return str(value).lower()
        if isinstance(value, float):
            return f"{value:g}"
        if isinstance(value, int | str):
            return str(value)
        if isinstance(value, Mapping):
            return self.node(value) if "key" in value else self.ref(value)
        if isinstance(value, list):
            texts = [self.value(name, v) for v in value]
            if name == "alternatives":
                texts = list(dict.fromkeys(texts))
            sep = self.get("joins", "semi" if name in SEMI_LISTS else "list")
            return sep.join(texts)
        return str(value)

    def node(self, tree: Mapping[str, Any]) -> str:
        key = str(tree["key"])
        args: Mapping[str, Any] = tree.get("args") or {}
        saved = self.rs
        if self.lang != DEFAULT and key in CONTEXT_KEYS and "ruleset" in args:
            self.rs = _ruleset(str(args["ruleset"]), saved)
        try:
            parts = [self.node(p) for p in tree.get("parts") or ()]
            if key in STRUCTURAL:
                sep = self.get("joins", key) if key != "in" else ""
                return sep.join(parts)
            fields = {name: self.value(name, v) for name, v in args.items()}
            if parts:
                fields["text"] = parts[0]
            return self.get("messages", key).format(**fields)
        finally:
            self.rs = saved


def _ruleset(rid: str, current: RuleSet | None) -> RuleSet | None:
    if current is not None and current.id == rid:
        return current
    from vigil.errors import VigilError
    from vigil.rules.loader import load_ruleset

    try:
        return load_ruleset(rid)
    except VigilError:
        return None


def render(tree: Mapping[str, Any], lang: str | None = None, ruleset: RuleSet | str | None = None) -> str:
    """The text of ``tree`` in ``lang`` (``en``, ``fr``, ``es``, ``ar``; others fall back to English).

    ``ruleset`` is the rule set the determination comes from (or its id); its indicator, dimension
    and outcome labels are shown in the translations. English never needs it."""
    from vigil.rules.i18n import normalise

    code = normalise(lang)
    rs = _ruleset(ruleset, None) if isinstance(ruleset, str) else ruleset
    return _Renderer(code, rs).node(tree)


_EN: _Renderer | None = None


def english(tree: Mapping[str, Any]) -> str:
    """The English text of ``tree``: what ``decided_by`` has always said."""
    global _EN
    if _EN is None:
        _EN = _Renderer(DEFAULT, None)
    return _EN.node(tree)


def decided_by(det: Mapping[str, Any], lang: str | None = None,
               ruleset: RuleSet | str | None = None) -> str:
    """What decided a stored determination, in ``lang``: its ``why`` tree rendered, or, for a
    determination stored before trees (or with a tree this version cannot read), its English
    ``decided_by`` text as stored."""
    tree = det.get("why")
    if isinstance(tree, Mapping):
        try:
            return render(tree, lang, ruleset if ruleset is not None else det.get("ruleset"))
        except (KeyError, IndexError, TypeError, ValueError, AttributeError):
            pass
    return str(det.get("decided_by") or "")


__all__ = ["decided_by", "english", "render", "templates"]
