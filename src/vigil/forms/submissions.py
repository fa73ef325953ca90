"""Submissions in: KoboToolbox and ODK Central exports back as records, screened in batch.

Shapes read (by extension: ``.csv``, ``.xlsx``, ``.json``):

* **CSV** as Kobo exports it (``;`` or ``,`` between cells) or as ODK Central does; a column is
  a question's ``name``, its group path (``interview/g_DR/DR01`` in Kobo, ``interview-g_DR-DR01``
  in Central) or, in Kobo's "labels" export, its label or label path in any language of the
  form. A select_multiple may also come split into one column per choice (``act/recruited``):
  those columns repeat the main one and are not read.
* **XLSX** as Kobo exports it: the first sheet, the same columns.
* **JSON** of the APIs: Kobo v2 (``{"results": [{"_uuid": ..., "interview/g_DR/DR01": "yes"}]}``)
  and ODK Central OData (``{"value": [{"__id": "uuid:...", "interview": {"g_DR": {"DR01": "yes"}}}]}``),
  groups nested or as paths; a bare list of submissions is read too.

Questions are mapped back to rule-set items by the form's own ``name`` column (``read_form``):
``DR01`` is the indicator ``DR01``, ``D1.PN04`` the penalty tied to stage D1, ``act`` the fact.
Answers: yes -> true, no -> false, don't know and refused -> unknown (``null``), an empty or
not-relevant answer -> not asked (the key is left out, never "no"). A list fact: the choices
selected, "none of these" -> the empty list, don't know or refused -> unknown.

Each submission's id is its UUID (``_uuid``, ``meta/instanceID``, ``__id`` or ``KEY``, without
``uuid:``). A UUID seen twice in a file is reported and counted once (the first is kept). A
submission without consent is not screened (and reported as a count). A file is all or nothing:
the first bad cell stops the import with an error naming the file, the row (or the JSON entry)
and the column, and nothing is written.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vigil.errors import InputError, VigilError
from vigil.forms.export import (
    CONSENT,
    IDENTITY_FIELDS,
    RULESET_FIELD,
    VERSION_FIELD,
)
from vigil.io.limits import limit_rows
from vigil.io.records import MAX_LINE, ColumnBuilder, first_sheet, text_lines
from vigil.rules import Determination, assess_columns, load_ruleset, to_json
from vigil.rules.model import RuleSet
from vigil.rules.records import encode_record, fact_specs

UUID_KEYS = ("_uuid", "meta/instanceID", "meta-instanceID", "__id", "KEY", "instanceID")
#: columns of Kobo and Central exports that are about the submission, not an answer
META = frozenset({
    "SubmissionDate", "start", "end", "today", "deviceid", "KEY", "SubmitterID", "SubmitterName",
    "AttachmentsPresent", "AttachmentsExpected", "Status", "ReviewState", "DeviceID", "Edits",
    "FormVersion", "instanceID", "username", "simserial", "subscriberid", "phonenumber", "audit",
})
META_GROUPS = frozenset({"meta", "formhub", "__system"})
ANSWER_VALUES: dict[str, bool | None] = {"yes": True, "no": False, "dont_know": None, "refused": None}
Warn = Callable[[str], None]


@dataclass(frozen=True)
class Question:
    """One row of the form's survey sheet that carries an answer."""

    name: str
    type: str
    list_name: str | None
    path: tuple[str, ...]
    role: str  # indicator | bool | list | number | age | consent | identity | check | other


@dataclass
class FormSpec:
    """What the import knows from the form: its questions, choices and column spellings."""

    file: str
    ruleset: RuleSet
    questions: dict[str, Question] = field(default_factory=dict)
    #: list name -> spelling (name or a label in any language) -> choice name
    choices: dict[str, dict[str, str]] = field(default_factory=dict)
    #: column spelling (name, path, label, label path) -> question name; None when ambiguous
    columns: dict[str, str | None] = field(default_factory=dict)


def _cell(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _sheet(wb: Any, name: str, file: str) -> list[dict[str, str]]:
    if name not in wb.sheetnames:
        raise InputError(f"no sheet {name!r}: not an XLSForm", file)
    rows = list(wb[name].iter_rows(values_only=True))
    if not rows:
        raise InputError("empty sheet", f"{file}, sheet {name}")
    head = [_cell(h) for h in rows[0]]
    return [{h: _cell(v) for h, v in zip(head, r, strict=False) if h} for r in rows[1:]]


def read_form(path: str | Path, ruleset: RuleSet | None = None) -> FormSpec:
    """Read an XLSForm written by ``vigil forms export``; ``ruleset`` for a jurisdiction's own
    rule set (a shipped one is found from the form)."""
    from openpyxl import load_workbook

    p = Path(path)
    if not p.is_file():
        raise InputError("no such form file", str(path))
    try:
        wb = load_workbook(p, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise InputError(f"not a readable XLSX workbook ({type(exc).__name__})", p.name) from None
    try:
        survey = _sheet(wb, "survey", p.name)
        choices = _sheet(wb, "choices", p.name)
        settings = _sheet(wb, "settings", p.name)
    finally:
        wb.close()
    calc = {r.get("name"): r.get("calculation", "").strip("'\"")
            for r in survey if r.get("type") == "calculate"}
    rs_id, rs_version = calc.get(RULESET_FIELD), calc.get(VERSION_FIELD)
    if not rs_id or not rs_version:
        raise InputError(f"no {RULESET_FIELD}/{VERSION_FIELD} calculation: not a form of vigil forms export",
                         f"{p.name}, sheet survey")
    rs = ruleset if ruleset is not None else load_ruleset(rs_id)
    if rs.id != rs_id or rs.version != rs_version:
        raise InputError(f"the form is for {rs_id} version {rs_version}, the rule set is {rs.id} version "
                         f"{rs.version}: export the form again from the rule set in use", p.name)
    if settings and settings[0].get("version") not in (None, "", rs.version):
        raise InputError(f"settings version {settings[0].get('version')!r} is not {rs.version!r}",
                         f"{p.name}, sheet settings")
    spec = FormSpec(file=p.name, ruleset=rs)
    for row in choices:
        ln, name = row.get("list_name", ""), row.get("name", "")
        if not ln or not name:
            continue
        spell = spec.choices.setdefault(ln, {})
        spell[name] = name
        for col, text in row.items():
            if col.startswith("label") and text:
                spell.setdefault(text, name)
    keys = rs.record_keys()
    specs = fact_specs()
    groups: list[tuple[str, dict[str, str]]] = []
    for n, row in enumerate(survey, start=2):
        kind = row.get("type", "")
        name = row.get("name", "")
        place = f"{p.name}, sheet survey, row {n}"
        labels = {c: t for c, t in row.items() if c.startswith("label") and t}
        if kind in ("begin_group", "begin group"):
            groups.append((name, labels))
            continue
        if kind in ("end_group", "end group"):
            if not groups:
                raise InputError("end_group without begin_group", place)
            groups.pop()
            continue
        if kind.startswith(("begin_repeat", "begin repeat")):
            raise InputError("repeat groups are not read", place)
        if not kind or not name:
            continue
        parts = kind.split()
        base, list_name = parts[0], (parts[1] if len(parts) > 1 else None)
        if base in ("note", "calculate"):
            role = "check" if name in (RULESET_FIELD, VERSION_FIELD) else "other"
        elif name == CONSENT:
            role = "consent"
        elif name in IDENTITY_FIELDS:
            role = "identity"
        elif name in keys:
            role = "indicator"
        elif name == "age":
            role = "age"
        elif name in specs and specs[name].type in ("bool", "list", "number"):
            role = specs[name].type
        else:
            raise InputError(f"question {name!r} is no item of rule set {rs.id}", place)
        if role in ("indicator", "bool", "consent") and base != "select_one":
            raise InputError(f"{name} must be a select_one", place)
        if role == "list" and base != "select_multiple":
            raise InputError(f"{name} must be a select_multiple", place)
        q = Question(name, base, list_name, (*(g for g, _ in groups), name), role)
        if name in spec.questions:
            raise InputError(f"duplicate name {name!r}", place)
        spec.questions[name] = q
        _spell(spec, q, labels, groups)
    return spec


def _spell(spec: FormSpec, q: Question, labels: dict[str, str],
           groups: list[tuple[str, dict[str, str]]]) -> None:
    names = {q.name, "/".join(q.path), "-".join(q.path)}
    for name in names:
        spec.columns[name] = q.name
    spellings: set[str] = set()
    for col, text in labels.items():
        spellings.add(text)
        trail = [g_labels.get(col, "") for _, g_labels in groups]
        spellings.add("/".join([*(t for t in trail if t), text]))
    for text in spellings:
        if text in names or spec.columns.get(text, q.name) == q.name:
            spec.columns.setdefault(text, q.name)
        elif text not in spec.questions:  # two questions share a label: the label alone says nothing
            spec.columns[text] = None


# --- reading the submissions ----------------------------------------------------------------


#: place, "column" or "key" (how a cell is named in errors), [(column, value)]
Submission = tuple[str, str, list[tuple[str, Any]]]


def _kind(path: str | Path) -> str:
    suffix = Path(str(path)).suffix.lower()
    kinds = {".csv": "csv", ".xlsx": "xlsx", ".json": "json"}
    if suffix not in kinds:
        raise InputError(f"unknown submissions file type {suffix or '(none)'!r} (.csv, .xlsx, .json)",
                         str(path))
    return kinds[suffix]


def iter_submissions(path: str | Path) -> Iterator[Submission]:
    kind = _kind(path)
    name = "stdin" if str(path) == "-" else Path(path).name
    if kind == "csv":
        return limit_rows(_iter_csv(path), name)
    if kind == "xlsx":
        return limit_rows(_iter_xlsx(path), name)
    return limit_rows(_iter_json(path), name)


def _iter_csv(path: str | Path) -> Iterator[Submission]:
    name = Path(path).name
    lines = text_lines(path)
    first = next(lines, None)
    if first is None:
        raise InputError("empty file (no header row)", name)
    delimiter = ";" if first.count(";") > first.count(",") else ","

    def all_lines() -> Iterator[str]:
        yield first
        for line in lines:
            if len(line) > MAX_LINE:
                raise InputError("line longer than 1 MiB", name)
            yield line

    reader = csv.reader(all_lines(), delimiter=delimiter)
    try:
        header = [h.strip() for h in next(reader)]
        _check_header(header, f"{name}, row 1")
        for row in reader:
            if not any(c.strip() for c in row):
                continue
            place = f"{name}, row {reader.line_num}"
            if len(row) != len(header):
                raise InputError(f"{len(row)} cells but {len(header)} columns", place)
            yield place, "column", list(zip(header, row, strict=True))
    except csv.Error as exc:
        raise InputError(f"malformed CSV ({exc})", f"{name}, row {reader.line_num}") from None


def _check_header(header: list[str], place: str) -> None:
    for i, h in enumerate(header, start=1):
        if not h:
            raise InputError(f"column {i} has no name", place)
    seen: set[str] = set()
    for h in header:
        if h in seen:
            raise InputError(f"duplicate column {h}", place)
        seen.add(h)


def _iter_xlsx(path: str | Path) -> Iterator[Submission]:
    with first_sheet(path) as (rows, sheet):
        head = next(rows, None)
        if head is None:
            raise InputError("empty sheet (no header row)", sheet)
        cells = list(head)
        while cells and cells[-1] is None:
            cells.pop()
        header = [_cell(h) for h in cells]
        _check_header(header, f"{sheet}, row 1")
        for n, row in enumerate(rows, start=2):
            values = list(row)
            if not any(_cell(v) for v in values):
                continue
            place = f"{sheet}, row {n}"
            extra = [v for v in values[len(header):] if _cell(v)]
            if extra:
                raise InputError(f"value {extra[0]!r} lies outside the named columns", place)
            yield place, "column", list(zip(header, values, strict=False))


def _flatten(obj: dict[str, Any], prefix: str, out: list[tuple[str, Any]], place: str) -> None:
    for key, value in obj.items():
        path = f"{prefix}/{key}" if prefix else str(key)
        if prefix == "" and str(key).startswith(("_", "@")) and key != "__id":
            continue  # Kobo's _id, _attachments, _validation_status...; OData's @odata.*, __system
        if isinstance(value, dict):
            _flatten(value, path, out, place)
        else:
            out.append((path, value))


def _iter_json(path: str | Path) -> Iterator[Submission]:
    p = Path(path)
    name = p.name
    if not p.is_file():
        raise InputError("no such file", str(path))
    try:
        data = json.loads(p.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", name) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"malformed JSON ({exc.msg}, line {exc.lineno}, column {exc.colno})", name) from None
    except RecursionError:
        raise InputError("malformed JSON (nested too deeply)", name) from None
    if isinstance(data, dict):
        key = "results" if "results" in data else "value" if "value" in data else None
        if key is None:
            raise InputError("expected a Kobo 'results' list or an OData 'value' list", name)
        items, label = data[key], key
    else:
        items, label = data, ""
    if not isinstance(items, list):
        raise InputError("expected a list of submissions", f"{name}, {label or 'top level'}")
    for i, item in enumerate(items):
        place = f"{name}, {label}[{i}]" if label else f"{name}, [{i}]"
        if not isinstance(item, dict):
            raise InputError("a submission must be a JSON object", place)
        flat: list[tuple[str, Any]] = []
        uuid = item.get("_uuid")
        if uuid is not None:
            flat.append(("_uuid", uuid))
        _flatten(item, "", flat, place)
        yield place, "key", flat


# --- submissions -> records -------------------------------------------------------------------


@dataclass
class Reader:
    """Turns one submission into a record, with the form's columns resolved once per header."""

    spec: FormSpec
    resolved: dict[str, Question | None] = field(default_factory=dict)

    def question(self, column: str, place: str) -> Question | None:
        """The question a column answers, ``None`` for a column to skip; unknown -> error."""
        if column in self.resolved:
            return self.resolved[column]
        q = self._resolve(column, place)
        self.resolved[column] = q
        return q

    def _resolve(self, column: str, place: str) -> Question | None:
        spec = self.spec
        if column in spec.columns:
            name = spec.columns[column]
            if name is None:
                raise InputError("this label is shared by several questions; export with names "
                                 "(XML values and headers)", place)
            return spec.questions[name]
        if column in META or column.startswith("_") or column in UUID_KEYS:
            return None
        head = column.replace("-", "/").split("/")[0]
        if head in META_GROUPS:
            return None
        # a split select_multiple column: "<question path>/<choice>"
        for sep in ("/", "-", "."):
            stem, _, choice = column.rpartition(sep)
            q = spec.questions.get(spec.columns.get(stem) or "")
            listed = spec.choices.get(q.list_name or "", {}) if q is not None else {}
            if q is not None and q.type == "select_multiple" and choice in listed:
                return None
        raise InputError(f"answer to an unknown question (no question {column!r} in {spec.file})", place)

    def choice(self, q: Question, text: str, place: str) -> str:
        spelled = self.spec.choices.get(q.list_name or "", {})
        found = spelled.get(text)
        if found is None:
            allowed = ", ".join(sorted(set(spelled.values())))
            raise InputError(f"unknown choice {text!r} (allowed: {allowed})", place)
        return found

    def record(self, place: str, word: str,
               cells: list[tuple[str, Any]]) -> tuple[str, bool, dict[str, Any]]:
        """(uuid, consented, record) of one submission; an empty cell is a question not asked."""
        uuid: str | None = None
        for column, value in cells:
            if column in UUID_KEYS and _cell(value):
                uuid = _cell(value)
                break
        if uuid is None:
            raise InputError(f"missing submission UUID (none of {', '.join(UUID_KEYS)})", place)
        if uuid.lower().startswith("uuid:"):
            uuid = uuid[5:]
        consent = False
        indicators: dict[str, Any] = {}
        facts: dict[str, Any] = {}
        record: dict[str, Any] = {"id": uuid}
        resolved = self.resolved
        for column, value in cells:
            if value is None or value == "":
                continue
            cell = f"{place}, {word} {column}" if column not in resolved else ""
            q = resolved[column] if column in resolved else self.question(column, cell)
            if q is None or q.role in ("identity", "other"):
                continue
            if q.role == "indicator" and isinstance(value, str):
                picked = self.spec.choices.get(q.list_name or "", {}).get(value)
                if picked is not None:
                    indicators[q.name] = ANSWER_VALUES.get(picked)
                    continue
            cell_place = f"{place}, {word} {column}"
            if isinstance(value, list) and q.role == "list":
                parts = [_cell(v) for v in value]
                text = " ".join(parts)
            else:
                if isinstance(value, dict | list):
                    raise InputError("expected one value", cell_place)
                text = _cell(value)
                parts = []
            if not text:
                continue
            role = q.role
            if role == "check":
                expected = self.spec.ruleset.id if q.name == RULESET_FIELD else self.spec.ruleset.version
                if text != expected:
                    raise InputError(f"collected with {text!r}, the form is for {expected!r}", cell_place)
            elif role == "consent":
                consent = self.choice(q, text, cell_place) == "yes"
            elif role in ("indicator", "bool"):
                answer = ANSWER_VALUES.get(self.choice(q, text, cell_place))
                if role == "indicator":
                    indicators[q.name] = answer
                else:
                    facts[q.name] = answer
            elif role == "list":
                facts[q.name] = self._members(q, text, parts, cell_place)
            else:
                number = _number(value, cell_place)
                if role == "age":
                    record["age"] = number
                else:
                    facts[q.name] = number
        if indicators:
            record["indicators"] = indicators
        if facts:
            record["facts"] = facts
        return uuid, consent, record

    def _members(self, q: Question, text: str, parts: list[str], place: str) -> list[str] | None:
        spelled = self.spec.choices.get(q.list_name or "", {})
        if text in spelled and not parts:  # one choice, maybe by its label (which has spaces)
            chosen = [spelled[text]]
        else:
            chosen = [self.choice(q, t, place) for t in (parts or text.split())]
        special = [c for c in chosen if c in ("none", "dont_know", "refused")]
        if special and len(chosen) > 1:
            raise InputError(f"{special[0]!r} cannot be combined with other answers", place)
        if special:
            return [] if special[0] == "none" else None
        out: list[str] = []
        for c in chosen:
            if c not in out:
                out.append(c)
        return out


def _number(value: Any, place: str) -> int | float:
    if isinstance(value, bool):
        raise InputError("expected a number", place)
    if isinstance(value, int | float):
        number: float = float(value)
    else:
        try:
            number = float(str(value).strip())
        except ValueError:
            raise InputError(f"{value!r} is not a number", place) from None
    if number != number or number in (float("inf"), float("-inf")):
        raise InputError(f"{value!r} is not a number", place)
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


@dataclass
class Screened:
    """The records of a submissions file, validated and encoded, ready to screen."""

    spec: FormSpec
    builder: ColumnBuilder
    read: int = 0
    duplicates: int = 0
    without_consent: int = 0

    def determinations(self, missing: str = "unknown") -> Iterator[Determination]:
        if self.builder.n == 0:
            return iter(())
        return assess_columns(self.spec.ruleset, self.builder.build(), missing)


def load_submissions(spec: FormSpec, path: str | Path, warn: Warn | None = None) -> Screened:
    """Read, map and validate every submission of ``path`` (the first bad one raises)."""
    reader = Reader(spec)
    rs = spec.ruleset
    out = Screened(spec, ColumnBuilder())
    seen: dict[str, tuple[str, int]] = {}
    name = Path(str(path)).name
    keys = rs.record_keys()
    for place, word, cells in iter_submissions(path):
        out.read += 1
        uuid, consent, record = reader.record(place, word, cells)
        digest = hash(to_json(record))
        if uuid in seen:
            out.duplicates += 1
            first, first_digest = seen[uuid]
            if warn is not None:
                differs = "" if digest == first_digest else " with different answers (the first is kept)"
                warn(f"{place}: duplicate submission {uuid} (first at {first.rsplit(', ', 1)[-1]}){differs}; "
                     "counted once")
            continue
        seen[uuid] = (place, digest)
        if not consent:
            out.without_consent += 1
            continue
        try:
            out.builder.add(encode_record(record, keys, rs.id))
        except VigilError as exc:
            raise exc.at(place) from None
    if out.read == 0:
        raise InputError("the file has no submissions", name)
    if out.without_consent and warn is not None:
        warn(f"{name}: {out.without_consent} submission(s) without consent were not screened")
    return out


def screen(spec: FormSpec, path: str | Path, missing: str = "unknown",
           warn: Warn | None = None) -> Iterator[Determination]:
    """Every consented submission of ``path`` screened with the form's rule set, in file order."""
    return load_submissions(spec, path, warn).determinations(missing)
