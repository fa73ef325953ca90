"""Synthetic submissions for a form: seeded random answers, as Kobo CSV and ODK Central JSON."""

from __future__ import annotations

import csv
import json
import random
import uuid
from pathlib import Path
from typing import Any

from vigil.forms.questions import plan
from vigil.rules import RuleSet
from vigil.rules.records import fact_specs

ANSWER = {"yes": True, "no": False, "dont_know": None, "refused": None}


def answers(rs: RuleSet, n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` submissions as {question path: value} (values as the form's choice names), each with
    its record (what ``vigil assess`` reads) under ``"__record"``."""
    rng = random.Random(seed)
    out = []
    groups = plan(rs)
    for _ in range(n):
        sid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        sub: dict[str, Any] = {"uuid": sid, "consent": "yes", "cells": {}}
        record: dict[str, Any] = {"id": sid}
        inds: dict[str, Any] = {}
        facts: dict[str, Any] = {}
        for g in groups:
            for item in g.items:
                path = ("interview", g.name, item.key)
                if rng.random() < 0.2:
                    continue  # not asked, or not relevant
                if item.kind in ("indicator", "bool"):
                    choice = rng.choice(["yes", "no", "no", "dont_know", "refused"])
                    sub["cells"][path] = choice
                    (inds if item.kind == "indicator" else facts)[item.key] = ANSWER[choice]
                elif item.kind == "list":
                    values = fact_specs()[item.key].values
                    r = rng.random()
                    if r < 0.15:
                        sub["cells"][path] = "none"
                        facts[item.key] = []
                    elif r < 0.25:
                        sub["cells"][path] = rng.choice(["dont_know", "refused"])
                        facts[item.key] = None
                    else:
                        chosen = [v for v in values if rng.random() < 0.3] or [values[0]]
                        sub["cells"][path] = " ".join(chosen)
                        facts[item.key] = chosen
                elif item.kind == "age":
                    age = rng.randint(5, 70)
                    sub["cells"][path] = age
                    record["age"] = age
                else:
                    hours = rng.choice([0, 5, 10.5, 14, 20, 40, 60])
                    sub["cells"][path] = hours
                    facts[item.key] = hours
        if inds:
            record["indicators"] = inds
        if facts:
            record["facts"] = facts
        sub["__record"] = record
        out.append(sub)
    return out


def kobo_csv(subs: list[dict[str, Any]], rs: RuleSet, path: Path) -> None:
    """Kobo's CSV export: ';' between cells, group paths with '/', split select_multiples,
    Kobo's own metadata columns."""
    cols: list[tuple[str, ...]] = []
    for g in plan(rs):
        for item in g.items:
            cols.append(("interview", g.name, item.key))
    header = ["start", "end", "consent"]
    for c in cols:
        header.append("/".join(c))
    split = [(c, v) for c in cols for v in fact_specs().get(c[-1], fact_specs()["sex"]).values
             if fact_specs().get(c[-1]) is not None and fact_specs()[c[-1]].type == "list"]
    header += ["/".join((*c, v)) for c, v in split]
    header += ["vigil_ruleset", "vigil_version", "__version__", "_id", "_uuid", "_submission_time",
               "_validation_status", "_notes", "_status", "_submitted_by", "_tags", "_index"]
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(header)
        for i, s in enumerate(subs, start=1):
            row = ["2026-01-05T10:00:00.000+01:00", "2026-01-05T10:20:00.000+01:00", s["consent"]]
            row += [s["cells"].get(c, "") for c in cols]
            row += ["1" if v in str(s["cells"].get(c, "")).split() else ("0" if s["cells"].get(c) else "")
                    for c, v in split]
            row += [rs.id, rs.version, "vXyZ", str(i), s["uuid"], "2026-01-05T09:20:00", "", "",
                    "submitted_via_web", "", "", str(i)]
            w.writerow(row)


def central_json(subs: list[dict[str, Any]], rs: RuleSet, path: Path) -> None:
    """ODK Central's OData: nested groups, ``__id`` and ``meta/instanceID`` with ``uuid:``,
    numbers as JSON numbers, a question not answered as null."""
    value = []
    for s in subs:
        sub: dict[str, Any] = {"__id": f"uuid:{s['uuid']}", "start": "2026-01-05T10:00:00.000+01:00",
                               "consent": s["consent"], "interview": {}}
        for g in plan(rs):
            group = sub["interview"].setdefault(g.name, {})
            for item in g.items:
                group[item.key] = s["cells"].get(("interview", g.name, item.key))
        sub["vigil_ruleset"] = rs.id
        sub["vigil_version"] = rs.version
        sub["meta"] = {"instanceID": f"uuid:{s['uuid']}"}
        sub["__system"] = {"submissionDate": "2026-01-05T09:20:00.000Z", "submitterId": "5",
                           "submitterName": "enumerator", "attachmentsPresent": 0, "status": None,
                           "reviewState": None, "deviceId": None, "edits": 0, "formVersion": rs.version}
        value.append(sub)
    doc = {"@odata.context": "https://central.example/v1/projects/1/forms/f.svc/$metadata#Submissions",
           "value": value}
    path.write_text(json.dumps(doc, ensure_ascii=False), "utf-8")


def records_jsonl(subs: list[dict[str, Any]], path: Path) -> None:
    path.write_text("".join(json.dumps(s["__record"], ensure_ascii=False) + "\n" for s in subs), "utf-8")


# --- repeat groups: a visit (one submission) interviewing several people ------------------------

Visit = tuple[str, list[dict[str, Any]]]


def visits(rs: RuleSet, n: int, seed: int, repeat: str = "workers") -> list[Visit]:
    """``n`` visits of 0 to 3 people each (random answers as ``answers``), some people without
    consent; each person's record id is ``<visit uuid>/<repeat>[k]``, as ODK keys repeat rows."""
    rng = random.Random(seed)
    people = answers(rs, 3 * n, seed)
    out: list[Visit] = []
    for _ in range(n):
        vid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        group = [people.pop() for _ in range(rng.choice([0, 1, 1, 2, 3]))]
        for k, person in enumerate(group, start=1):
            person["consent"] = "no" if rng.random() < 0.1 else "yes"
            person["__record"]["id"] = f"{vid}/{repeat}[{k}]"
        out.append((vid, group))
    return out


def visit_records_jsonl(vs: list[Visit], path: Path) -> None:
    """What ``vigil assess`` reads for the same people: those who consented, in order."""
    records_jsonl([p for _, group in vs for p in group if p["consent"] == "yes"], path)


def _inner_columns(rs: RuleSet) -> list[tuple[str, ...]]:
    return [("interview", g.name, item.key) for g in plan(rs) for item in g.items]


def kobo_xlsx_repeat(vs: list[Visit], rs: RuleSet, path: Path, repeat: str = "workers") -> None:
    """Kobo's XLSX export of a repeat form: submissions on the first sheet, the repeat group's
    rows on a sheet of their own with ``_parent_index`` (the submission's ``_index``)."""
    import openpyxl

    wb = openpyxl.Workbook()
    main = wb.active
    assert main is not None
    main.title = "vigil form"
    main.append(["start", "end", "vigil_ruleset", "vigil_version", "_id", "_uuid", "_submission_time",
                 "_index"])
    sheet = wb.create_sheet(repeat)
    cols = _inner_columns(rs)
    sheet.append([f"{repeat}/consent", *("/".join((repeat, *c)) for c in cols), "_index",
                  "_parent_table_name", "_parent_index", "_submission__id", "_submission__uuid"])
    row = 0
    for i, (vid, group) in enumerate(vs, start=1):
        main.append(["2026-01-05T10:00:00", "2026-01-05T11:00:00", rs.id, rs.version, i, vid,
                     "2026-01-05T12:00:00", i])
        for person in group:
            row += 1
            sheet.append([person["consent"], *(person["cells"].get(c) for c in cols), row, "vigil form", i, i,
                          vid])
    wb.save(path)


def kobo_json_repeat(vs: list[Visit], rs: RuleSet, path: Path, repeat: str = "workers") -> None:
    """Kobo API v2: the repeat group as a list of objects keyed by full paths; an empty repeat
    group left out."""
    results = []
    for i, (vid, group) in enumerate(vs, start=1):
        sub: dict[str, Any] = {"_id": i, "_uuid": vid, "vigil_ruleset": rs.id, "vigil_version": rs.version,
                               "meta/instanceID": f"uuid:{vid}", "_attachments": [], "_tags": []}
        if group:
            sub[repeat] = [
                {f"{repeat}/consent": p["consent"],
                 **{"/".join((repeat, *c)): v for c, v in p["cells"].items()}}
                for p in group
            ]
        results.append(sub)
    path.write_text(json.dumps({"count": len(results), "next": None, "previous": None,
                                "results": results}, ensure_ascii=False), "utf-8")


def central_json_repeat(vs: list[Visit], rs: RuleSet, path: Path, repeat: str = "workers") -> None:
    """ODK Central OData with ``$expand=*``: the repeat group inlined as nested objects, each
    with its own ``__id``."""
    value = []
    for vid, group in vs:
        people = []
        for k, p in enumerate(group, start=1):
            person: dict[str, Any] = {"consent": p["consent"], "interview": {}, "__id": f"{vid[:8]}{k:04x}"}
            for g in plan(rs):
                grp = person["interview"].setdefault(g.name, {})
                for item in g.items:
                    grp[item.key] = p["cells"].get(("interview", g.name, item.key))
            people.append(person)
        value.append({"__id": f"uuid:{vid}", "private_note": None, repeat: people,
                      f"{repeat}@odata.navigationLink": f"Submissions('uuid:{vid}')/{repeat}",
                      "vigil_ruleset": rs.id, "vigil_version": rs.version,
                      "meta": {"instanceID": f"uuid:{vid}"},
                      "__system": {"submissionDate": "2026-01-05T09:20:00.000Z", "reviewState": None}})
    path.write_text(json.dumps({"@odata.context": "https://central.example/v1/projects/1/forms/f.svc/"
                                "$metadata#Submissions", "value": value}, ensure_ascii=False), "utf-8")


def central_zip_repeat(vs: list[Visit], rs: RuleSet, path: Path, repeat: str = "workers") -> None:
    """ODK Central's CSV zip: ``<form>.csv`` (KEY, SET-OF-<repeat>) and ``<form>-<repeat>.csv``
    (paths from the repeat group joined by ``-``, PARENT_KEY, KEY ``uuid:.../<repeat>[k]``)."""
    import io
    import zipfile

    cols = _inner_columns(rs)
    main, rep = io.StringIO(), io.StringIO()
    mw, rw = csv.writer(main), csv.writer(rep)
    mw.writerow(["SubmissionDate", "start", "end", f"SET-OF-{repeat}", "vigil_ruleset", "vigil_version",
                 "meta-instanceID", "KEY", "SubmitterID", "SubmitterName", "AttachmentsPresent",
                 "AttachmentsExpected", "Status", "ReviewState", "DeviceID", "Edits", "FormVersion"])
    rw.writerow(["consent", *("-".join(c) for c in cols), "PARENT_KEY", "KEY"])
    for vid, group in vs:
        key = f"uuid:{vid}"
        mw.writerow(["2026-01-05T09:20:00.000Z", "", "", f"{key}/{repeat}", rs.id, rs.version, key, key, "5",
                     "enumerator", "0", "0", "", "", "", "0", rs.version])
        for k, p in enumerate(group, start=1):
            rw.writerow([p["consent"], *(p["cells"].get(c, "") for c in cols), key, f"{key}/{repeat}[{k}]"])
    form = f"vigil-{rs.id}"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(f"{form}.csv", main.getvalue())
        zf.writestr(f"{form}-{repeat}.csv", rep.getvalue())
        zf.writestr("media/", "")
