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
from collections.abc import Callable, Iterable, Iterator
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
from vigil.forms.versions import superseded
from vigil.io.limits import limit_rows
from vigil.io.records import MAX_LINE, ColumnBuilder, text_lines
from vigil.rules import Determination, assess_columns, load_ruleset
from vigil.rules.model import RuleSet
from vigil.rules.records import encode_record, fact_specs

UUID_KEYS = ("_uuid", "meta/instanceID", "meta-instanceID", "__id", "KEY", "instanceID")
#: the version's own instance id, and the earlier version an edited submission replaces
INSTANCE_KEYS = ("meta/instanceID", "meta-instanceID", "instanceID")
DEPRECATED_KEYS = ("meta/deprecatedID", "meta-deprecatedID", "deprecatedID")
VERSION_KEYS = frozenset((*INSTANCE_KEYS, *DEPRECATED_KEYS))
#: columns of Kobo and Central exports that are about the submission, not an answer
META = frozenset({
    "SubmissionDate", "start", "end", "today", "deviceid", "KEY", "SubmitterID", "SubmitterName",
    "AttachmentsPresent", "AttachmentsExpected", "Status", "ReviewState", "DeviceID", "Edits",
    "FormVersion", "instanceID", "username", "simserial", "subscriberid", "phonenumber", "audit",
    "PARENT_KEY", "deprecatedID",
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
    in_repeat: bool = False


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
    #: the path of the form's repeat group (one person per instance), None for a form without
    repeat: tuple[str, ...] | None = None

    @property
    def repeat_path(self) -> str:
        return "/".join(self.repeat or ())


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
    repeat_depth: int | None = None  # how many groups were open when the repeat began
    for n, row in enumerate(survey, start=2):
        kind = " ".join(row.get("type", "").split())
        name = row.get("name", "")
        place = f"{p.name}, sheet survey, row {n}"
        labels = {c: t for c, t in row.items() if c.startswith("label") and t}
        if kind in ("begin_group", "begin group"):
            groups.append((name, labels))
            continue
        if kind in ("begin_repeat", "begin repeat"):
            if repeat_depth is not None:
                raise InputError("a repeat group inside a repeat group is not read (one person per "
                                 "instance of one repeat)", place)
            if spec.repeat is not None:
                raise InputError(f"a second repeat group {name!r}: the form has {spec.repeat_path!r} already "
                                 "(one repeat group, one person per instance)", place)
            if not name:
                raise InputError("a repeat group without a name", place)
            repeat_depth = len(groups)
            groups.append((name, labels))
            spec.repeat = tuple(g for g, _ in groups)
            continue
        if kind in ("end_group", "end group", "end_repeat", "end repeat"):
            if not groups:
                raise InputError(f"{kind} without a beginning", place)
            groups.pop()
            if repeat_depth is not None and len(groups) == repeat_depth:
                if "repeat" not in kind:
                    raise InputError("end_group closes a repeat group (end_repeat expected)", place)
                repeat_depth = None
            elif "repeat" in kind:
                raise InputError("end_repeat closes a group (end_group expected)", place)
            continue
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
        q = Question(name, base, list_name, (*(g for g, _ in groups), name), role,
                     in_repeat=repeat_depth is not None)
        if name in spec.questions:
            raise InputError(f"duplicate name {name!r}", place)
        spec.questions[name] = q
        _spell(spec, q, labels, groups)
    return spec


def _spell(spec: FormSpec, q: Question, labels: dict[str, str],
           groups: list[tuple[str, dict[str, str]]]) -> None:
    names = {q.name, "/".join(q.path), "-".join(q.path)}
    if q.in_repeat and spec.repeat is not None:  # ODK Central's repeat table: paths from the repeat
        inner = q.path[len(spec.repeat):]
        names |= {"/".join(inner), "-".join(inner)}
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

Cells = list[tuple[str, Any]]


@dataclass(slots=True)
class Instance:
    """One instance of the form's repeat group (one person): its place, its cells (full paths)
    and, when the export says it, its key after the submission's (``workers[2]``)."""

    place: str
    cells: Cells
    key: str | None = None


@dataclass(slots=True)
class Submission:
    """One submission: where it is, how a cell is named in errors ("column" or "key"), its cells
    outside any repeat group and, for a form with a repeat group, its instances."""

    place: str
    word: str
    cells: Cells
    instances: list[Instance] | None = None


def _kind(path: str | Path) -> str:
    suffix = Path(str(path)).suffix.lower()
    kinds = {".csv": "csv", ".xlsx": "xlsx", ".json": "json", ".zip": "zip"}
    if suffix not in kinds:
        raise InputError(f"unknown submissions file type {suffix or '(none)'!r} (.csv, .xlsx, .json, .zip)",
                         str(path))
    return kinds[suffix]


def iter_submissions(path: str | Path, spec: FormSpec | None = None) -> Iterator[Submission]:
    """The submissions of a Kobo or ODK Central export, in file order (see the module text)."""
    kind = _kind(path)
    name = "stdin" if str(path) == "-" else Path(path).name
    repeat = spec.repeat_path if spec is not None and spec.repeat else None
    if kind == "csv":
        if repeat:
            raise InputError(f"the form has a repeat group ({repeat}), whose answers a single CSV file does "
                             "not carry: import Kobo's XLSX export (one sheet per repeat group) or ODK "
                             "Central's CSV zip", Path(str(path)).name)
        return limit_rows(_iter_csv(path), name)
    if kind == "xlsx":
        return limit_rows(_iter_xlsx(path, repeat), name)
    if kind == "zip":
        return limit_rows(_iter_zip(path, repeat), name)
    return limit_rows(_iter_json(path, repeat), name)


def _csv_rows(lines: Iterator[str], name: str) -> Iterator[tuple[str, list[str], list[str]]]:
    """(place, header, row) of each non-empty row of CSV text (``;`` or ``,``)."""
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
            yield place, header, row
    except csv.Error as exc:
        raise InputError(f"malformed CSV ({exc})", f"{name}, row {reader.line_num}") from None


def _iter_csv(path: str | Path) -> Iterator[Submission]:
    for place, header, row in _csv_rows(text_lines(path), Path(path).name):
        yield Submission(place, "column", list(zip(header, row, strict=True)))


def _check_header(header: list[str], place: str) -> None:
    for i, h in enumerate(header, start=1):
        if not h:
            raise InputError(f"column {i} has no name", place)
    seen: set[str] = set()
    for h in header:
        if h in seen:
            raise InputError(f"duplicate column {h}", place)
        seen.add(h)


def _sheet_rows(rows: Iterator[Any], sheet: str) -> Iterator[tuple[str, list[str], list[Any]]]:
    """(place, header, values) of each non-empty row of a worksheet."""
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
        yield place, header, values


def _iter_xlsx(path: str | Path, repeat: str | None) -> Iterator[Submission]:
    """Kobo's XLSX: submissions on the first sheet; with a repeat group, its instances on a sheet
    of their own, each row tied to its submission by ``_parent_index`` (the ``_index`` of the
    submission's row)."""
    from openpyxl import load_workbook

    p = Path(path)
    if not p.is_file():
        raise InputError("no such file", str(path))
    try:
        wb = load_workbook(p, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise InputError(f"not a readable XLSX workbook ({type(exc).__name__})", p.name) from None
    try:
        main, *others = wb.worksheets
        by_parent: dict[str, list[Instance]] = {}
        if repeat:
            sheets = []
            for ws in others:
                head = next(ws.iter_rows(max_row=1, values_only=True), ())
                if "_parent_index" in [_cell(h) for h in head]:
                    sheets.append(ws)
            if not sheets:
                raise InputError(f"the form has a repeat group ({repeat}) but no sheet has its answers (a "
                                 "sheet with a _parent_index column, as Kobo exports repeat groups)", p.name)
            if len(sheets) > 1:
                raise InputError(f"{len(sheets)} repeat sheets ({', '.join(ws.title for ws in sheets)}); the "
                                 f"form has one repeat group ({repeat})", p.name)
            sheet = f"{p.name}, sheet {sheets[0].title}"
            for place, header, values in _sheet_rows(sheets[0].iter_rows(values_only=True), sheet):
                cells = list(zip(header, values, strict=False))
                parent = _cell(dict(cells).get("_parent_index"))
                if not parent:
                    raise InputError("no _parent_index (the row of its submission)",
                                     f"{place}, column _parent_index")
                by_parent.setdefault(parent, []).append(Instance(place, cells))
        sheet = f"{p.name}, sheet {main.title}"
        for place, header, values in _sheet_rows(main.iter_rows(values_only=True), sheet):
            cells = list(zip(header, values, strict=False))
            instances: list[Instance] | None = None
            if repeat:
                index = _cell(dict(cells).get("_index"))
                if not index:
                    raise InputError("no _index: the repeat sheet's rows cannot be tied to this submission",
                                     f"{place}, column _index")
                instances = by_parent.pop(index, [])
            yield Submission(place, "column", cells, instances)
        for orphans in by_parent.values():
            raise InputError(f"no submission with _index {_cell(dict(orphans[0].cells)['_parent_index'])} on "
                             f"sheet {main.title}", f"{orphans[0].place}, column _parent_index")
    finally:
        wb.close()


def _iter_zip(path: str | Path, repeat: str | None) -> Iterator[Submission]:
    """ODK Central's CSV zip: the submissions table and one table per repeat group, whose rows
    carry ``PARENT_KEY`` (the submission's ``KEY``) and ``KEY`` (``uuid:.../workers[1]``);
    media files are not read."""
    import io
    import zipfile

    p = Path(path)
    if not p.is_file():
        raise InputError("no such file", str(path))
    try:
        zf = zipfile.ZipFile(p)
    except zipfile.BadZipFile:
        raise InputError("not a readable zip file", p.name) from None
    with zf:
        tables: list[tuple[str, list[tuple[str, list[str], list[str]]]]] = []
        main: str | None = None
        main_rows: list[tuple[str, list[str], list[str]]] = []
        for info in zf.infolist():
            if info.is_dir() or not info.filename.lower().endswith(".csv") or "/" in info.filename.strip("/"):
                continue  # media/..., folders
            if info.file_size > 1 << 31:
                raise InputError("a table larger than 2 GiB", f"{p.name}: {info.filename}")
            name = f"{p.name}: {info.filename}"
            raw = zf.read(info)
            if raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise InputError("not UTF-8 text", name) from None
            rows = list(_csv_rows(iter(io.StringIO(text, newline="")), name))
            header = rows[0][1] if rows else next(csv.reader([text.partition("\n")[0]]), [])
            if "PARENT_KEY" in header:
                tables.append((info.filename, rows))
            elif main is None:
                main = info.filename
                main_rows = rows
            else:
                raise InputError(f"two submission tables ({main}, {info.filename}); one form per zip", p.name)
        if main is None:
            raise InputError("no submissions table (a CSV file without PARENT_KEY)", p.name)
        by_parent: dict[str, list[Instance]] = {}
        if repeat:
            if len(tables) != 1:
                found = ", ".join(t for t, _ in tables) or "none"
                raise InputError(f"the form has one repeat group ({repeat}): expected one repeat table "
                                 f"(a CSV file with PARENT_KEY), found {found}", p.name)
            for place, header, row in tables[0][1]:
                cells = list(zip(header, row, strict=True))
                values = dict(cells)
                parent, key = values.get("PARENT_KEY", "").strip(), values.get("KEY", "").strip()
                if not parent:
                    raise InputError("no PARENT_KEY", f"{place}, column PARENT_KEY")
                if not key.startswith(parent + "/") or len(key) == len(parent) + 1:
                    raise InputError(f"KEY {key!r} is not under PARENT_KEY {parent!r}",
                                     f"{place}, column KEY")
                if "/" in key[len(parent) + 1:]:
                    raise InputError("a repeat group inside a repeat group is not read",
                                     f"{place}, column KEY")
                by_parent.setdefault(parent, []).append(Instance(place, cells, key[len(parent) + 1:]))
        elif tables:
            raise InputError(f"repeat table {tables[0][0]}, but the form has no repeat group", p.name)
        for place, header, row in main_rows:
            cells = list(zip(header, row, strict=True))
            instances: list[Instance] | None = None
            if repeat:
                key = dict(cells).get("KEY", "").strip()
                if not key:
                    raise InputError("no KEY: the repeat table's rows cannot be tied to this submission",
                                     f"{place}, column KEY")
                instances = by_parent.pop(key, [])
            yield Submission(place, "column", cells, instances)
        for orphans in by_parent.values():
            raise InputError(f"no submission with KEY {dict(orphans[0].cells)['PARENT_KEY']} in {main}",
                             f"{orphans[0].place}, column PARENT_KEY")


def _flatten(obj: dict[str, Any], prefix: str, out: Cells, place: str, repeat: str | None,
             found: list[Instance] | None) -> list[Instance] | None:
    """Append the cells of ``obj`` to ``out`` as (path, value); a list of objects is the repeat
    group's instances (returned). Kobo keys are paths already (``workers/consent``), Central's
    are nested (``{"workers": [{"consent": ...}]}``)."""
    for key, value in obj.items():
        key = str(key)
        path = key if (prefix == "" or key.startswith(prefix + "/")) else f"{prefix}/{key}"
        if not (prefix == "" and key == "__id") and (key.startswith(("__", "@"))
                                                     or (prefix == "" and key.startswith("_"))):
            continue  # Kobo's _id, _attachments...; OData's @odata.*, __system, a repeat row's __id
        if "@odata." in key:
            if key.endswith("@odata.navigationLink") and repeat is not None and found is None \
                    and path.split("@", 1)[0] == repeat:
                raise InputError(f"the repeat group {repeat} is not expanded in this submission (only its "
                                 "link is): pull with $expand=*", f"{place}, key {key}")
            continue
        if isinstance(value, dict):
            found = _flatten(value, path, out, place, repeat, found)
        elif isinstance(value, list) and (any(isinstance(v, dict) for v in value)
                                          or (not value and path == repeat)):
            if path != repeat:
                what = f"the form's is {repeat}" if repeat else "the form has none"
                raise InputError(f"a repeat group {path} ({what})", f"{place}, key {key}")
            if found is not None:
                raise InputError(f"the repeat group {repeat} twice", f"{place}, key {key}")
            found = []
            for i, item in enumerate(value):
                where = f"{place}, key {path}[{i}]"
                if not isinstance(item, dict):
                    raise InputError("a repeat instance must be a JSON object", where)
                cells: Cells = []
                nested = _flatten(item, path, cells, where, None, None)
                if nested:
                    raise InputError("a repeat group inside a repeat group is not read", where)
                found.append(Instance(where, cells))
        else:
            out.append((path, value))
    return found


def _iter_json(path: str | Path, repeat: str | None = None) -> Iterator[Submission]:
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
    yield from json_submissions(data, name, repeat)


def json_submissions(data: Any, name: str, repeat: str | None = None) -> Iterator[Submission]:
    """The submissions of a parsed Kobo v2 (``results``) or ODK Central OData (``value``)
    document, or of a bare list; ``name`` is how errors name the source."""
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
        flat: Cells = []
        uuid = item.get("_uuid")
        if uuid is not None:
            flat.append(("_uuid", uuid))
        found = _flatten(item, "", flat, place, repeat, None)
        if repeat is not None and found is None:
            found = []  # Kobo leaves an empty repeat group out
        yield Submission(place, "key", flat, found)


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
        if column in META or column.startswith(("_", "SET-OF-")) or column in UUID_KEYS:
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

    def uuid(self, place: str, cells: Cells) -> str:
        """The submission's UUID (without ``uuid:``), or an error naming ``place``."""
        for column, value in cells:
            if column in UUID_KEYS and _cell(value):
                uuid = _cell(value)
                return uuid[5:] if uuid.lower().startswith("uuid:") else uuid
        raise InputError(f"missing submission UUID (none of {', '.join(UUID_KEYS)})", place)

    @staticmethod
    def version(cells: Cells, uuid: str) -> tuple[str, str | None]:
        """(this version's instance id, the earlier version's id or None), without ``uuid:``.

        An edited submission carries ``meta/deprecatedID``, the instance id of the version it
        replaces (ODK Collect, Enketo, KoboToolbox); its own ``meta/instanceID`` is new. ODK
        Central keeps ``__id`` (the submission) and changes ``meta/instanceID`` (the version)."""
        instance, deprecated = uuid, None
        for column, value in cells:
            if column not in VERSION_KEYS:
                continue
            text = _cell(value) if not isinstance(value, dict | list) else ""
            if not text:
                continue
            text = text[5:] if text.lower().startswith("uuid:") else text
            if column in INSTANCE_KEYS:
                instance = text
            elif column in DEPRECATED_KEYS:
                deprecated = text
        return instance, (deprecated if deprecated and deprecated != instance else None)

    def record(self, place: str, word: str, cells: Cells, uuid: str | None = None,
               instance: Instance | None = None, key: str | None = None,
               identity: dict[str, str] | None = None) -> tuple[str, bool, dict[str, Any]]:
        """(id, consented, record) of one submission, or of one ``instance`` of its repeat group
        (id ``<uuid>/<key>``, the answers outside the repeat group shared by every instance); an
        empty cell is a question not asked. The identity fields never enter the record; with
        ``identity`` (a dict) they are put there, for a caller that stores them encrypted."""
        if uuid is None:
            uuid = self.uuid(place, cells)
        rid = uuid if instance is None else f"{uuid}/{key}"
        record: dict[str, Any] = {"id": rid}
        indicators: dict[str, Any] = {}
        facts: dict[str, Any] = {}
        inside = None if self.spec.repeat is None else False
        consent = self._read(place, word, cells, inside, record, indicators, facts, identity)
        if instance is not None:
            own = self._read(instance.place, word, instance.cells, True, record, indicators, facts, identity)
            consent = own if own is not None else consent
        if indicators:
            record["indicators"] = indicators
        if facts:
            record["facts"] = facts
        return rid, bool(consent), record

    def _read(self, place: str, word: str, cells: Cells, inside: bool | None, record: dict[str, Any],
              indicators: dict[str, Any], facts: dict[str, Any],
              identity: dict[str, str] | None = None) -> bool | None:
        """Read ``cells`` into the record; ``inside``: whether they are a repeat instance's (None:
        the form has no repeat group). Returns the consent answer if the cells hold it."""
        consent: bool | None = None
        resolved = self.resolved
        for column, value in cells:
            if value is None or value == "":
                continue
            cell = f"{place}, {word} {column}" if column not in resolved else ""
            q = resolved[column] if column in resolved else self.question(column, cell)
            if q is None or q.role == "other":
                continue
            if q.role == "identity":
                if identity is not None and not isinstance(value, dict | list) and _cell(value):
                    identity[q.name] = _cell(value)
                continue
            if inside is not None and q.in_repeat != inside and q.role != "check":
                where = "outside" if inside else "inside"
                raise InputError(f"{q.name} is asked {where} the repeat group {self.spec.repeat_path}",
                                 f"{place}, {word} {column}")
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
        return consent

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
    #: submissions of a form with a repeat group that hold no instance of it (nobody interviewed)
    without_people: int = 0
    #: with ``latest``: submissions replaced by an edit of them in the same file (not screened)
    superseded: int = 0
    #: with ``keep``: (record, submission UUID, place, identity fields) of each screened record
    records: list[tuple[dict[str, Any], str, str, dict[str, str]]] = field(default_factory=list)
    #: with ``keep``: per submission UUID, (its version's instance id, the id of the earlier
    #: version it replaces or None): an edited submission (``meta/deprecatedID``)
    versions: dict[str, tuple[str, str | None]] = field(default_factory=dict)

    def determinations(self, missing: str = "unknown", why: bool = False) -> Iterator[Determination]:
        """The records' determinations (batch); ``why`` keeps each explanation tree."""
        if self.builder.n == 0:
            return iter(())
        return assess_columns(self.spec.ruleset, self.builder.build(), missing, why)


def _digest(record: dict[str, Any]) -> int:
    """A hash of a record's answers (not its id), to tell a repeated submission with other
    answers; cheaper than its JSON, which a million-row file would pay for every row."""
    parts: list[Any] = [record.get("age")]
    for key in ("indicators", "facts"):
        values = record.get(key) or {}
        parts.append(frozenset((k, tuple(v) if isinstance(v, list) else v) for k, v in values.items()))
    return hash(tuple(parts))


def load_submissions(spec: FormSpec, path: str | Path, warn: Warn | None = None,
                     keep: bool = False, latest: bool = False) -> Screened:
    """Read, map and validate every submission of ``path`` (the first bad one raises)."""
    return load(spec, iter_submissions(path, spec), Path(str(path)).name, warn, keep, latest)


@dataclass
class _Version:
    """With ``latest``: one version read, and where its records went."""

    uuid: str
    place: str
    ids: tuple[str, str | None]
    rows: list[int] = field(default_factory=list)  # in the column builder
    kept: list[int] = field(default_factory=list)  # in ``records``
    without_consent: int = 0
    without_people: int = 0


def load(spec: FormSpec, submissions: Iterable[Submission], name: str, warn: Warn | None = None,
         keep: bool = False, latest: bool = False) -> Screened:
    """Map and validate ``submissions`` (of the source ``name``): one record per submission, or
    per instance of the form's repeat group; a UUID seen twice is counted once (the first kept).

    With ``latest``, an edited submission (``meta/deprecatedID``) supersedes the version it
    replaces when both are in ``submissions``, whatever their order: of a chain A -> B -> C only
    C is screened (``superseded`` counts the others); an edit whose original is absent is
    screened like any submission."""
    reader = Reader(spec)
    rs = spec.ruleset
    out = Screened(spec, ColumnBuilder())
    seen: dict[Any, tuple[str, int]] = {}
    read_versions: list[_Version] = []
    keys = rs.record_keys()
    repeat = spec.repeat[-1] if spec.repeat else None
    for sub in submissions:
        out.read += 1
        place = sub.place
        uuid = reader.uuid(place, sub.cells)
        if repeat is None:
            if sub.instances:
                raise InputError("answers of a repeat group, but the form has none", sub.instances[0].place)
            people: list[dict[str, str]] = [{}]
            read = [(place, reader.record(place, sub.word, sub.cells, uuid,
                                          identity=people[0] if keep else None))]
        else:
            people = [{} for _ in sub.instances or ()]
            read = [(inst.place, reader.record(place, sub.word, sub.cells, uuid, inst,
                                               inst.key or f"{repeat}[{n}]",
                                               identity=people[n - 1] if keep else None))
                    for n, inst in enumerate(sub.instances or (), start=1)]
        digest = hash(tuple(_digest(r) for _, (_, _, r) in read))
        ids = reader.version(sub.cells, uuid) if keep or latest else (uuid, None)
        # with ``latest`` two versions of one submission (Central keeps ``__id``) are not duplicates
        key: Any = (uuid, ids[0]) if latest else uuid
        if key in seen:
            out.duplicates += 1
            first, first_digest = seen[key]
            if warn is not None:
                differs = "" if digest == first_digest else " with different answers (the first is kept)"
                warn(f"{place}: duplicate submission {uuid} (first at {first.rsplit(', ', 1)[-1]}){differs}; "
                     "counted once")
            continue
        seen[key] = (place, digest)
        if keep and not latest:
            out.versions[uuid] = ids
        this = _Version(uuid, place, ids)
        if latest:
            read_versions.append(this)
        if repeat is not None and not read:
            out.without_people += 1
            this.without_people += 1
        for (where, (_rid, consent, record)), identity in zip(read, people, strict=True):
            if not consent:
                out.without_consent += 1
                this.without_consent += 1
                continue
            try:
                out.builder.add(encode_record(record, keys, rs.id))
            except VigilError as exc:
                raise exc.at(where) from None
            this.rows.append(out.builder.n - 1)
            if keep:
                this.kept.append(len(out.records))
                out.records.append((record, uuid, where, identity))
    if out.read == 0:
        raise InputError("the file has no submissions", name)
    if latest:
        _keep_latest(out, read_versions, warn)
    if warn is not None:
        whom = "submission(s)" if repeat is None else f"person(s) ({repeat})"
        if out.without_consent:
            warn(f"{name}: {out.without_consent} {whom} without consent were not screened")
        if out.without_people:
            warn(f"{name}: {out.without_people} submission(s) with nobody in the repeat group {repeat}")
        if out.superseded:
            warn(f"{name}: {out.superseded} submission(s) replaced by an edit in the same file were not "
                 "screened (only the latest version is)")
    return out


def _keep_latest(out: Screened, read: list[_Version], warn: Warn | None) -> None:
    """Drop from ``out`` the versions an edit in the same file replaces (``superseded``), then
    any second current version of one submission UUID (a duplicate, the first kept)."""
    replaced = superseded({n: v.ids for n, v in enumerate(read)})
    gone = set(replaced)
    current: dict[str, _Version] = {}
    for n, v in enumerate(read):
        if n in gone:
            continue
        first = current.get(v.uuid)
        if first is None:
            current[v.uuid] = v
            continue
        gone.add(n)
        out.duplicates += 1
        if warn is not None:
            warn(f"{v.place}: duplicate submission {v.uuid} (first at {first.place.rsplit(', ', 1)[-1]}), "
                 "neither version replaces the other; counted once")
    out.superseded = len(replaced)
    rows: set[int] = set()
    kept: set[int] = set()
    for n in gone:
        v = read[n]
        rows.update(v.rows)
        kept.update(v.kept)
        out.without_consent -= v.without_consent
        out.without_people -= v.without_people
    out.builder.drop(rows)
    if kept:
        out.records = [r for j, r in enumerate(out.records) if j not in kept]
    out.versions = {v.uuid: v.ids for v in current.values()}


def screen(spec: FormSpec, path: str | Path, missing: str = "unknown",
           warn: Warn | None = None, latest: bool = False) -> Iterator[Determination]:
    """Every consented submission (or repeat instance) of ``path`` screened with the form's rule
    set, in file order (with ``latest``, edits supersede the versions they replace)."""
    return load_submissions(spec, path, warn, latest=latest).determinations(missing)
