"""A rule set as an XLSForm (the form standard of ODK and KoboToolbox): survey, choices, settings.

    >>> from vigil.rules import load_ruleset
    >>> form = build_form(load_ruleset("ilo-11"), ["en", "fr"])
    >>> form.settings["form_id"], form.settings["version"]
    ('vigil-ilo-11-2012.1', '2012.1')
    >>> [row["name"] for row in form.survey[:3]]
    ['private_note', 'consent_note', 'consent']

The form opens with a note on interviewing in private, a note on consent and a required consent
question; every other question sits in the group ``interview``, relevant only when consent is
yes. Each questionnaire item of the rule set (``vigil.forms.questions``) is one question named by
its record key (``DR01``, ``D1.PN04``, ``age``, ``act``): a ``select_one answer`` (yes, no,
don't know, refused) for an indicator or a boolean fact, a ``select_multiple`` for a list fact
(with "none of these", "don't know" and "refused", each exclusive), an ``integer`` or ``decimal``
for a number. No question is required but consent, so a question left unanswered or not relevant
comes back as *not asked*, never as no. Identity fields are left out unless asked for
(``with_identity``); they are then in the group ``identity``, each marked with the bind attribute
``vigil:sensitive="true"`` (namespace ``urn:vigil:xforms``), and are never screened. With
``repeat`` (a visit interviewing several people), consent and the interview sit in a repeat
group: each repeat instance is one person, with its own consent, screened on its own.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from vigil.errors import InputError
from vigil.forms.questions import Group, Guard, Item, plan
from vigil.rules import i18n
from vigil.rules.model import RuleSet
from vigil.rules.records import fact_specs

NAMESPACE = 'vigil="urn:vigil:xforms"'
SENSITIVE = "bind::vigil:sensitive"
ANSWERS = ("yes", "no", "dont_know", "refused")
LIST_EXTRA = ("none", "dont_know", "refused")
#: names of the form's own rows (never a rule-set key)
CONSENT = "consent"
RULESET_FIELD = "vigil_ruleset"
VERSION_FIELD = "vigil_version"
IDENTITY_FIELDS = ("person_name", "phone", "document_number")
STRUCTURE = frozenset({"private_note", "consent_note", CONSENT, "interview", "identity",
                       "identity_note", RULESET_FIELD, VERSION_FIELD, *IDENTITY_FIELDS})


@cache
def wording() -> dict[str, Any]:
    text = resources.files("vigil.forms").joinpath("wording.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def form_languages() -> list[str]:
    """The languages a form can be written in: wording here and for every shipped rule set."""
    have = set(i18n.languages())
    return [code for code in wording()["languages"] if code in have and code in wording()["text"]]


def column_language(code: str) -> str:
    """``fr`` -> ``French (fr)``, the language as XLSForm columns name it."""
    return str(wording()["languages"][code])


def parse_languages(spec: str | Sequence[str] | None) -> list[str]:
    """``"en,fr"`` -> ``["en", "fr"]``; an unknown language or a repeated one is an error."""
    if spec is None:
        return ["en"]
    parts = spec.split(",") if isinstance(spec, str) else list(spec)
    out: list[str] = []
    known = form_languages()
    for part in parts:
        if not part.strip():
            raise InputError(f"--lang {spec!r}: an empty language")
        code = i18n.normalise(part)
        if code not in known:
            raise InputError(f"--lang: no form wording in {part.strip()!r} (available: {', '.join(known)})")
        if code in out:
            raise InputError(f"--lang: {code} given twice")
        out.append(code)
    return out


class _Words:
    """The texts of one language; a text the language lacks is an error, never English."""

    def __init__(self, rs: RuleSet, lang: str) -> None:
        self.rs = rs
        self.lang = lang
        self.own = wording()["text"][lang]
        self.english = wording()["text"]["en"]
        self.missing = set(i18n.untranslated(rs, lang))
        self.cat = i18n.catalogue(lang)

    def refuse(self, what: str) -> InputError:
        return InputError(f"no {self.lang} wording for {what}; a form is never written with another "
                          f"language's text in it (add it to rules/sets/i18n/{self.lang}.yaml or "
                          "forms/wording.yaml)", self.rs.id)

    def form(self, key: str) -> str:
        value = self.own.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.refuse(key)
        return value

    def fact_question(self, name: str) -> str:
        value = (self.own.get("facts") or {}).get(name)
        if not value:
            raise self.refuse(f"the question on fact {name}")
        return str(value)

    def fact_value(self, name: str, value: str) -> str:
        if self.lang == "en":
            found = (self.english.get("values") or {}).get(name, {}).get(value)
        else:
            entry = self.cat.facts.get(name, {}) if self.cat is not None else {}
            found = entry.get("values", {}).get(value)
        if not found:
            raise self.refuse(f"facts.{name}.values.{value}")
        return str(found)

    def fact_hint(self, name: str) -> str:
        if self.lang == "en":
            return fact_specs()[name].label
        entry = self.cat.facts.get(name, {}) if self.cat is not None else {}
        if not entry.get("label"):
            raise self.refuse(f"facts.{name}.label")
        return str(entry["label"])

    def _need(self, key: str) -> None:
        if key in self.missing:
            raise self.refuse(key)

    def title(self) -> str:
        self._need("title")
        return i18n.title(self.rs, self.lang)

    def indicator(self, iid: str) -> tuple[str, str]:
        self._need(f"indicators.{iid}.label")
        self._need(f"indicators.{iid}.question")
        label, question = i18n.indicator_text(self.rs, iid, self.lang)
        return label, question or label

    def group(self, g: Group) -> str:
        if g.kind == "facts":
            return self.form("about")
        ref = g.ref or ""
        if g.kind == "scope":
            return self.form("stage_group").replace("{stage}", self._dimension_or_term(ref) or ref)
        found = self._dimension_or_term(ref)
        return found if found is not None else self.form("questions")

    def _dimension_or_term(self, ref: str) -> str | None:
        if ref in self.rs.dimensions:
            self._need(f"dimensions.{ref}")
            return i18n.dimension_label(self.rs, ref, self.lang)
        if i18n.term_label(self.rs, ref, "en") is not None:
            self._need(f"terms.{ref}")
            return i18n.term_label(self.rs, ref, self.lang)
        return None


def group_labels(rs: RuleSet, groups: Sequence[Group], lang: str | None) -> list[str]:
    """The labels of ``groups`` in ``lang`` as the form writes them (the server's screening page
    shows the same); where ``lang`` lacks a text, the English one (a page may fall back, a form
    never does)."""
    code = i18n.normalise(lang)
    tried = [c for c in (code, "en") if c in wording()["text"]]
    speakers = [_Words(rs, c) for c in dict.fromkeys(tried)]
    out = []
    for g in groups:
        label = g.ref or g.name
        for w in speakers:
            try:
                label = w.group(g)
                break
            except InputError:
                continue
        out.append(label)
    return out


@dataclass
class Form:
    """An XLSForm as rows of its three sheets (column -> cell text)."""

    survey: list[dict[str, str]] = field(default_factory=list)
    choices: list[dict[str, str]] = field(default_factory=list)
    settings: dict[str, str] = field(default_factory=dict)
    languages: tuple[str, ...] = ()

    def columns(self, rows: list[dict[str, str]], first: Sequence[str]) -> list[str]:
        cols = list(first)
        for row in rows:
            cols.extend(k for k in row if k not in cols)
        return cols

    def survey_columns(self) -> list[str]:
        return self.columns(self.survey, ["type", "name"])

    def choices_columns(self) -> list[str]:
        return self.columns(self.choices, ["list_name", "name"])

    def to_xlsx(self) -> bytes:
        from openpyxl import Workbook
        from openpyxl.styles import Font

        wb = Workbook()
        sheets = [("survey", self.survey, self.survey_columns()),
                  ("choices", self.choices, self.choices_columns()),
                  ("settings", [self.settings], list(self.settings))]
        for i, (title, rows, cols) in enumerate(sheets):
            ws = wb.active if i == 0 else wb.create_sheet()
            assert ws is not None
            ws.title = title
            ws.append(cols)
            for cell in ws[1]:
                cell.font = Font(bold=True)
            for row in rows:
                ws.append([row.get(c, "") or None for c in cols])
            ws.freeze_panes = "C2" if title == "survey" else "A2"
        buf = io.BytesIO()
        wb.save(buf)
        return buf.getvalue()


def _labels(prefix: str, texts: dict[str, str]) -> dict[str, str]:
    return {f"{prefix}::{column_language(lang)}": text for lang, text in texts.items()}


def _answered(key: str) -> str:
    return f"selected(${{{key}}}, 'yes') or selected(${{{key}}}, 'dont_know')"


def relevance(guards: Iterable[Guard], asked: frozenset[str]) -> str:
    """The XLSForm ``relevant`` expression of a follow-up (empty when always asked)."""
    parts: list[str] = []
    bounds = [g.adult_from for g in guards if g.adult_from is not None]
    if bounds and "age" in asked:
        parts.append(f"not(${{age}} >= {min(bounds):g})")
    for g in guards:
        keys = [k for k in g.keys if k in asked]
        if keys:
            parts.append("(" + " or ".join(_answered(k) for k in keys) + ")")
    return " and ".join(parts)


def check_repeat_name(name: str) -> str:
    """A repeat group's name: an XML name that is none of the form's own rows or groups."""
    if not name or not (name[0].isalpha() or name[0] == "_") \
            or not all(c.isalnum() or c in "_-." for c in name):
        raise InputError(f"--repeat {name!r}: a name of letters, digits and _ (starting with a letter)")
    if name in STRUCTURE or name.startswith("g_"):
        raise InputError(f"--repeat {name!r}: the form already uses that name")
    return name


def build_form(rs: RuleSet, languages: Sequence[str] = ("en",), with_identity: bool = False,
               repeat: str | None = None) -> Form:
    """The XLSForm of ``rs`` with labels in ``languages`` (codes: en, fr, es, ar).

    ``repeat`` names a repeat group holding consent and the interview: one submission then
    carries several people (a visit interviewing several workers), each screened on its own."""
    langs = parse_languages(list(languages))
    if repeat is not None:
        check_repeat_name(repeat)
    words = {lang: _Words(rs, lang) for lang in langs}

    def each(fn: Any) -> dict[str, str]:
        return {lang: str(fn(w)) for lang, w in words.items()}

    def said(key: str, prefix: str = "label") -> dict[str, str]:
        return _labels(prefix, each(lambda w: w.form(key)))

    groups = plan(rs)
    asked = frozenset(i.key for g in groups for i in g.items)
    form = Form(languages=tuple(langs))
    survey = form.survey
    survey.append({"type": "note", "name": "private_note", **said("private_note")})
    if repeat is not None:
        survey.append({"type": "begin_repeat", "name": repeat, **said("person")})
    survey.append({"type": "note", "name": "consent_note", **said("consent_note")})
    survey.append({"type": "select_one consent", "name": CONSENT, "required": "yes",
                   **said("consent"), **said("consent_hint", "hint")})
    survey.append({"type": "begin_group", "name": "interview", "relevant": f"${{{CONSENT}}} = 'yes'",
                   **said("interview")})
    if with_identity:
        survey.append({"type": "begin_group", "name": "identity", **said("identity")})
        survey.append({"type": "note", "name": "identity_note", **said("identity_note")})
        for name in IDENTITY_FIELDS:
            row = {"type": "text", "name": name, **said(name), SENSITIVE: "true"}
            if name == "phone":
                row["appearance"] = "numbers"
            survey.append(row)
        survey.append({"type": "end_group", "name": ""})
    lists: dict[str, list[dict[str, str]]] = {}
    for g in groups:
        head = {"type": "begin_group", "name": g.name, **_labels("label", each(lambda w, g=g: w.group(g)))}
        rel = relevance(g.guards, asked)
        if rel:
            head["relevant"] = rel
        survey.append(head)
        for item in g.items:
            survey.append(_question(rs, item, words, each, lists, asked))
        survey.append({"type": "end_group", "name": ""})
    survey.append({"type": "end_group", "name": ""})
    if repeat is not None:
        survey.append({"type": "end_repeat", "name": ""})
    survey.append({"type": "calculate", "name": RULESET_FIELD, "calculation": f"'{rs.id}'"})
    survey.append({"type": "calculate", "name": VERSION_FIELD, "calculation": f"'{rs.version}'"})
    # choices: the answer list, consent, then one list per list fact
    for name in ANSWERS:
        form.choices.append({"list_name": "answer", "name": name, **said(name)})
    for name in ("yes", "no"):
        form.choices.append({"list_name": "consent", "name": name, **said(name)})
    for rows in lists.values():
        form.choices.extend(rows)
    form.settings = {
        "form_title": words[langs[0]].title(),
        "form_id": form_id(rs),
        "version": rs.version,
        "default_language": column_language(langs[0]),
        "namespaces": NAMESPACE,
    }
    return form


def form_id(rs: RuleSet) -> str:
    """``vigil-<rule set id>-<version>``: one form per rule-set version."""
    return f"vigil-{rs.id}-{rs.version}"


def _question(rs: RuleSet, item: Item, words: dict[str, _Words], each: Any,
              lists: dict[str, list[dict[str, str]]], asked: frozenset[str]) -> dict[str, str]:
    row: dict[str, str]
    if item.kind == "indicator":
        assert item.indicator is not None
        iid = item.indicator
        row = {"type": "select_one answer", "name": item.key,
               **_labels("label", each(lambda w: w.indicator(iid)[1])),
               **_labels("hint", each(lambda w: f"{iid}: {w.indicator(iid)[0]}"))}
    elif item.kind == "bool":
        row = {"type": "select_one answer", "name": item.key,
               **_labels("label", each(lambda w: w.fact_question(item.key))),
               **_labels("hint", each(lambda w: w.fact_hint(item.key)))}
    elif item.kind == "list":
        list_name = f"fact_{item.key}"
        if list_name not in lists:
            values = fact_specs()[item.key].values
            lists[list_name] = [
                {"list_name": list_name, "name": v,
                 **_labels("label", each(lambda w, v=v: w.fact_value(item.key, v)))}
                for v in values
            ] + [
                {"list_name": list_name, "name": x, **_labels("label", each(lambda w, x=x: w.form(x)))}
                for x in LIST_EXTRA
            ]
        exclusive = " or ".join(f"selected(., '{x}')" for x in LIST_EXTRA)
        row = {"type": f"select_multiple {list_name}", "name": item.key,
               **_labels("label", each(lambda w: w.fact_question(item.key))),
               **_labels("hint", each(lambda w: w.fact_hint(item.key))),
               "constraint": f"not(({exclusive}) and count-selected(.) > 1)",
               **_labels("constraint_message", each(lambda w: w.form("multi_constraint")))}
    elif item.kind == "age":
        row = {"type": "integer", "name": "age", **_labels("label", each(lambda w: w.fact_question("age"))),
               "constraint": ". >= 0 and . <= 120"}
    else:
        spec = fact_specs()[item.key]
        row = {"type": "decimal", "name": item.key,
               **_labels("label", each(lambda w: w.fact_question(item.key))),
               **_labels("hint", each(lambda w: w.fact_hint(item.key))),
               "constraint": f". >= {spec.min or 0:g} and . <= {spec.max or 1e9:g}"}
    rel = relevance(item.guards, asked)
    if rel:
        row["relevant"] = rel
    return row


def xform(form: Form | bytes) -> str:
    """Convert with pyxform (its Python API); an error or any warning raises ``InputError``."""
    from pyxform.xls2xform import convert

    data = form.to_xlsx() if isinstance(form, Form) else form
    warnings: list[str] = []
    try:
        result = convert(xlsform=data, warnings=warnings, file_type=".xlsx")
    except Exception as exc:  # pyxform raises PyXFormError and others for a bad form
        raise InputError(f"pyxform refused the form: {str(exc).strip().splitlines()[0]}") from None
    if warnings:
        raise InputError(f"pyxform warned: {warnings[0].strip()}")
    return str(result.xform)


def write_form(form: Form, path: str | Path) -> None:
    """Check the form with pyxform, then write it atomically to ``path`` (nothing on failure)."""
    import os
    import tempfile

    data = form.to_xlsx()
    xform(data)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class FactWording:
    """How the form words one fact question in one language: the question, the hint (the
    vocabulary's label) and, for a list fact, each value's label and "none of these"."""

    question: str
    hint: str
    values: dict[str, str]
    none: str


def fact_wording(rs: RuleSet, name: str, lang: str | None) -> FactWording:
    """The wording of fact ``name`` in ``lang`` as the XLSForm writes it (the server's screening
    page shows the same); where ``lang`` lacks a text, the English one, then the vocabulary's
    label (a page may fall back, a form never does)."""
    code = i18n.normalise(lang)
    tried = [c for c in dict.fromkeys((code, "en")) if c in wording()["text"]]
    speakers = [_Words(rs, c) for c in tried]
    spec = fact_specs()[name]

    def first(fn: Any, default: str) -> str:
        for w in speakers:
            try:
                return str(fn(w))
            except InputError:
                continue
        return default

    return FactWording(
        question=first(lambda w: w.fact_question(name), spec.label),
        hint=first(lambda w: w.fact_hint(name), spec.label),
        values={v: first(lambda w, v=v: w.fact_value(name, v), v) for v in spec.values},
        none=first(lambda w: w.form("none"), "none"),
    )
