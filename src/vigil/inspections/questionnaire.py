"""The questions of an inspection visit: one definition for the visit page and the XLSForm.

``data/visit-questionnaire.yaml`` lists the observations of the workplace (in order), the fields
of an interview and the two rule sets whose questions an interview asks (the inspector's
checklist, ``ilo-11``, and the forced-labour questions when the interview goes further). The
server's visit page builds its observation checkboxes and interview fields from
:func:`load_questionnaire`, and :func:`build_visit_form` writes the same questions as an XLSForm
(``vigil.forms.Form``, checked with pyxform by ``vigil.forms.xform``): a question changed in the
definition changes both.

One submission of the form is one worker interviewed in private at one visit, with what was
seen at the workplace (an observation answered yes or no is recorded; one left empty is not).
:func:`read_visit_submissions` reads a Kobo or ODK Central export of it (``vigil.forms``'s
readers) into :class:`VisitSubmission` records; the server stores each as an interview of a
visit, once per submission UUID.

The firewall holds here too: no field of the definition asks a migration fact, and a key of
``vigil.inspections.findings.MIGRATION_FACTS`` in a definition is refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from vigil.errors import InputError
from vigil.inspections.findings import MIGRATION_FACTS, OBSERVATIONS
from vigil.io.yamlfile import read_yaml

__all__ = [
    "FIELD_KINDS",
    "TEXT_KEYS",
    "Question",
    "VisitQuestionnaire",
    "VisitSubmission",
    "build_visit_form",
    "load_questionnaire",
    "read_visit_submissions",
]

#: the interview fields a definition may list, and what they are
FIELD_KINDS: dict[str, str] = {
    "held_in_private": "private",  # required yes/no; the interview is asked only when yes
    "language": "text",
    "interpreter": "bool",
    "age": "age",
    "worker_name": "identity",
    "worker_contact": "identity",
    "notes": "identity",
}
#: texts a form needs in each of its languages, besides the rule sets' questions:
#: ``obs.<key>``, ``field.<key>`` and these
TEXT_KEYS = (
    "private_note",
    "observations",
    "interview",
    "checklist",
    "further",
    "seen",
    "not_seen",
    "yes",
    "no",
)
FORM_FIELD = "vigil_questionnaire"
FORM_VERSION = "vigil_questionnaire_version"
OBS_PREFIX = "obs_"


@dataclass(frozen=True)
class Question:
    """One question of the visit: ``section`` is observation, field, checklist or further;
    ``key`` the observation, field or indicator id; ``ruleset`` the rule set of an indicator."""

    section: str
    key: str
    kind: str
    ruleset: str | None = None

    @property
    def name(self) -> str:
        """The question's name in the XLSForm (and its column in an export)."""
        return f"{OBS_PREFIX}{self.key}" if self.section == "observation" else self.key


@dataclass(frozen=True)
class VisitQuestionnaire:
    id: str
    version: str
    observations: tuple[str, ...]
    fields: tuple[str, ...]
    checklist: str | None
    further: str | None
    source: str = field(default="", compare=False)

    def indicator_ids(self, ruleset: str | None) -> list[str]:
        """The indicators of ``ruleset`` that have a question, in the rule set's order."""
        if not ruleset:
            return []
        from vigil.rules import load_ruleset

        return [i.id for i in load_ruleset(ruleset).indicators if i.question]

    def questions(self) -> list[Question]:
        """Every question, in the order the page and the form ask them."""
        out = [Question("observation", k, "seen") for k in self.observations]
        out += [Question("field", k, FIELD_KINDS[k]) for k in self.fields]
        for section, rs in (("checklist", self.checklist), ("further", self.further)):
            out += [Question(section, i, "indicator", rs) for i in self.indicator_ids(rs)]
        return out

    def form_id(self) -> str:
        return f"vigil-{self.id}-{self.version}"


def _strings(data: Any, key: str, where: str) -> tuple[str, ...]:
    if not isinstance(data, list) or not all(isinstance(x, str) and x for x in data):
        raise InputError(f"key {key!r}: expected a list of names", where)
    if len(set(data)) != len(data):
        raise InputError(f"key {key!r}: a name is listed twice", where)
    return tuple(data)


def load_questionnaire(path: str | Path | None = None) -> VisitQuestionnaire:
    """Read and check a definition (default: the shipped ``visit-questionnaire.yaml``)."""
    file = (
        Path(path)
        if path is not None
        else Path(str(resources.files("vigil.inspections.data"))) / "visit-questionnaire.yaml"
    )
    where = file.name
    data = read_yaml(file, "visit questionnaire", where)
    if not isinstance(data, dict):
        raise InputError("a questionnaire is a mapping with id, version, observations, interview", where)
    for key in ("id", "version"):
        if not str(data.get(key) or "").strip():
            raise InputError(f"missing key {key!r}", where)
    obs = _strings(data.get("observations") or [], "observations", where)
    bad = [k for k in obs if k not in OBSERVATIONS]
    if bad:
        raise InputError(f"observations: unknown {bad[0]!r} (known: {', '.join(OBSERVATIONS)})", where)
    itv = data.get("interview")
    if not isinstance(itv, dict):
        raise InputError("missing key 'interview'", where)
    fields = _strings(itv.get("fields") or [], "interview.fields", where)
    banned = [k for k in fields if k in MIGRATION_FACTS]
    if banned:
        raise InputError(
            f"interview.fields: {banned[0]!r}: an inspection does not ask migration status", where
        )
    bad = [k for k in fields if k not in FIELD_KINDS]
    if bad:
        raise InputError(f"interview.fields: unknown {bad[0]!r} (known: {', '.join(FIELD_KINDS)})", where)
    if "held_in_private" not in fields:
        raise InputError(
            "interview.fields: held_in_private is required (interviews are held in private)", where
        )
    rulesets: dict[str, str | None] = {}
    for key in ("checklist", "further"):
        value = itv.get(key)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise InputError(f"key 'interview.{key}': expected a rule set id", where)
        if value:
            from vigil.rules import load_ruleset

            try:
                load_ruleset(value)
            except Exception:
                raise InputError(f"key 'interview.{key}': no rule set {value!r}", where) from None
        rulesets[key] = value or None
    return VisitQuestionnaire(
        id=str(data["id"]),
        version=str(data["version"]),
        observations=obs,
        fields=fields,
        checklist=rulesets["checklist"],
        further=rulesets["further"],
        source=where,
    )


# --- the XLSForm -------------------------------------------------------------------------------


def build_visit_form(
    q: VisitQuestionnaire, languages: Sequence[str], texts: Mapping[str, Mapping[str, str]]
) -> Any:
    """The XLSForm (a ``vigil.forms.Form``) of the visit questionnaire in ``languages``.

    ``texts[lang]`` gives the words of the page in that language (``TEXT_KEYS``, ``obs.<key>``,
    ``field.<key>``); the indicators' questions come from the rule sets' translations. A text
    missing in a language is an error: a form never mixes languages."""
    from vigil.forms.export import (
        NAMESPACE,
        SENSITIVE,
        Form,
        _labels,
        _Words,
        parse_languages,
    )
    from vigil.rules import load_ruleset

    langs = parse_languages(list(languages))

    def said(key: str) -> dict[str, str]:
        out = {}
        for lang in langs:
            text = (texts.get(lang) or {}).get(key)
            if not text or not str(text).strip():
                raise InputError(
                    f"no {lang} wording for {key}; a form is never written with another "
                    "language's text in it",
                    q.source or q.id,
                )
            out[lang] = str(text)
        return _labels("label", out)

    words = {
        rs: {lang: _Words(load_ruleset(rs), lang) for lang in langs} for rs in (q.checklist, q.further) if rs
    }
    form = Form(languages=tuple(langs))
    s = form.survey
    s.append({"type": "note", "name": "private_note", **said("private_note")})
    if q.observations:
        s.append({"type": "begin_group", "name": "observations", **said("observations")})
        for key in q.observations:
            s.append({"type": "select_one seen", "name": f"{OBS_PREFIX}{key}", **said(f"obs.{key}")})
        s.append({"type": "end_group", "name": ""})
    relevant = ""
    for key in q.fields:
        kind = FIELD_KINDS[key]
        if kind == "private":
            s.append({"type": "select_one yes_no", "name": key, "required": "yes", **said(f"field.{key}")})
            relevant = f"${{{key}}} = 'yes'"
    s.append({"type": "begin_group", "name": "interview", "relevant": relevant, **said("interview")})
    for key in q.fields:
        kind = FIELD_KINDS[key]
        if kind == "private":
            continue
        row: dict[str, str] = {"name": key, **said(f"field.{key}")}
        if kind == "bool":
            row["type"] = "select_one yes_no"
        elif kind == "age":
            row.update({"type": "integer", "constraint": ". >= 5 and . <= 110"})
        else:
            row["type"] = "text"
            if kind == "identity":
                row[SENSITIVE] = "true"
        s.append(row)
    for section, rs in (("checklist", q.checklist), ("further", q.further)):
        if not rs:
            continue
        s.append({"type": "begin_group", "name": f"g_{section}", **said(section)})
        for iid in q.indicator_ids(rs):
            w = words[rs]
            s.append(
                {
                    "type": "select_one answer",
                    "name": iid,
                    **_labels("label", {lang: w[lang].indicator(iid)[1] for lang in langs}),
                    **_labels("hint", {lang: f"{iid}: {w[lang].indicator(iid)[0]}" for lang in langs}),
                }
            )
        s.append({"type": "end_group", "name": ""})
    s.append({"type": "end_group", "name": ""})
    s.append({"type": "calculate", "name": FORM_FIELD, "calculation": f"'{q.id}'"})
    s.append({"type": "calculate", "name": FORM_VERSION, "calculation": f"'{q.version}'"})
    any_rs = next(iter(words.values()), None)
    if any_rs is not None:
        for name in ("yes", "no", "dont_know", "refused"):
            form.choices.append(
                {
                    "list_name": "answer",
                    "name": name,
                    **_labels("label", {lang: any_rs[lang].form(name) for lang in langs}),
                }
            )
    for name in ("yes", "no"):
        form.choices.append({"list_name": "yes_no", "name": name, **said(name)})
    form.choices.append({"list_name": "seen", "name": "yes", **said("seen")})
    form.choices.append({"list_name": "seen", "name": "no", **said("not_seen")})
    title = said("interview")
    first = next(iter(title))
    form.settings = {
        "form_title": title[first],
        "form_id": q.form_id(),
        "version": q.version,
        "default_language": first.split("::", 1)[1],
        "namespaces": NAMESPACE,
    }
    return form


# --- submissions in ----------------------------------------------------------------------------

ANSWER = {"yes": True, "no": False, "dont_know": None, "refused": None}


@dataclass
class VisitSubmission:
    """One submission: its UUID, where it is in the file, and what it says (answers of the
    indicators only when given; ``None`` for don't know or refused is left out, never no)."""

    uuid: str
    place: str
    held_in_private: bool
    observations: dict[str, bool] = field(default_factory=dict)
    answers: dict[str, bool] = field(default_factory=dict)
    fields: dict[str, Any] = field(default_factory=dict)


def read_visit_submissions(q: VisitQuestionnaire, path: str | Path) -> list[VisitSubmission]:
    """Every submission of a Kobo or ODK Central export (CSV, XLSX, JSON) of the visit form; the
    first bad cell raises an ``InputError`` naming the file, the row and the column. A submission
    whose form is another questionnaire version is refused."""
    from vigil.forms.submissions import META, META_GROUPS, UUID_KEYS, iter_submissions

    by_name = {x.name: x for x in q.questions()}
    out: list[VisitSubmission] = []
    for sub in iter_submissions(path):
        cells: dict[str, str] = {}
        uuid = ""
        for column, value in sub.cells:
            text = "" if value is None else str(value).strip()
            if column in UUID_KEYS and text and not uuid:
                uuid = text[5:] if text.lower().startswith("uuid:") else text
                continue
            last = column.replace("-", "/").split("/")
            name = column if column in by_name else last[-1]
            if name in (FORM_FIELD, FORM_VERSION):
                if name == FORM_VERSION and text and text != q.version:
                    raise InputError(
                        f"collected with questionnaire version {text!r}, not {q.version!r}: "
                        "import into the version in use",
                        f"{sub.place}, {sub.word} {column}",
                    )
                continue
            if name in by_name:
                cells[name] = text
            elif not (
                column in META
                or column.startswith(("_", "SET-OF-"))
                or last[0] in META_GROUPS
                or name in ("private_note",)
            ):
                raise InputError(
                    f"answer to an unknown question {column!r}", f"{sub.place}, {sub.word} {column}"
                )
        if not uuid:
            raise InputError(f"missing submission UUID (none of {', '.join(UUID_KEYS)})", sub.place)
        item = VisitSubmission(uuid=uuid, place=sub.place, held_in_private=False)
        for name, text in cells.items():
            x = by_name[name]
            where = f"{sub.place}, {sub.word} {name}"
            if not text:
                continue
            if x.kind in ("seen", "private", "bool"):
                if text not in ("yes", "no"):
                    raise InputError(f"expected yes or no, not {text[:20]!r}", where)
                flag = text == "yes"
                if x.section == "observation":
                    item.observations[x.key] = flag
                elif x.kind == "private":
                    item.held_in_private = flag
                else:
                    item.fields[x.key] = flag
            elif x.kind == "indicator":
                if text not in ANSWER:
                    raise InputError(f"unknown choice {text[:20]!r} (yes, no, dont_know, refused)", where)
                value = ANSWER[text]
                if value is not None:
                    item.answers[x.key] = value
            elif x.kind == "age":
                try:
                    age = float(text)
                except ValueError:
                    raise InputError(f"expected a number, not {text[:20]!r}", where) from None
                if not 5 <= age <= 110:
                    raise InputError("expected an age from 5 to 110", where)
                item.fields[x.key] = age
            else:
                item.fields[x.key] = text[:5000]
        out.append(item)
    if not out:
        raise InputError("the file has no submissions", Path(str(path)).name)
    return out
