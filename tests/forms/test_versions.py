"""Edited submissions in the reader: ``meta/deprecatedID`` (Kobo, Enketo, ODK Collect) and
Central's ``meta`` group are read as the version's ids and never as answers."""

from __future__ import annotations

import json
from pathlib import Path

from vigil.forms import build_form
from vigil.forms.export import write_form
from vigil.forms.submissions import Reader, load_submissions, read_form
from vigil.rules import load_ruleset

RID = "ilo-11"


def _form(tmp_path: Path):
    path = tmp_path / "f.xlsx"
    write_form(build_form(load_ruleset(RID), ["en"]), path)
    return read_form(path)


def test_version_ids_of_kobo_and_central_cells():
    assert Reader.version(
        [("_uuid", "b"), ("meta/instanceID", "uuid:b"), ("meta/deprecatedID", "uuid:a")], "b"
    ) == (
        "b",
        "a",
    )
    # Central: __id is the submission, meta/instanceID the version
    assert Reader.version(
        [("__id", "uuid:a"), ("meta/instanceID", "uuid:c"), ("meta/deprecatedID", "uuid:b")], "a"
    ) == ("c", "b")
    assert Reader.version([("_uuid", "a")], "a") == ("a", None)  # never edited
    assert Reader.version([("_uuid", "a"), ("meta/deprecatedID", "")], "a") == ("a", None)
    assert Reader.version([("_uuid", "a"), ("meta/deprecatedID", "uuid:a")], "a") == ("a", None)  # not itself


def test_deprecated_columns_are_not_answers(tmp_path: Path):
    spec = _form(tmp_path)
    csv_path = tmp_path / "kobo.csv"
    csv_path.write_text(
        "_uuid;consent;interview/g_ILO11/ILO11.01;meta/instanceID;meta/deprecatedID;deprecatedID\n"
        "b;yes;yes;uuid:b;uuid:a;uuid:a\n",
        "utf-8",
    )
    loaded = load_submissions(spec, csv_path, keep=True)
    assert [r["indicators"] for r, *_ in loaded.records] == [{"ILO11.01": True}]
    assert loaded.versions == {"b": ("b", "a")}
    odata = tmp_path / "central.json"
    sub = {
        "__id": "uuid:a",
        "consent": "yes",
        "interview": {"g_ILO11": {"ILO11.01": "no"}},
        "meta": {"instanceID": "uuid:c", "deprecatedID": "uuid:b"},
    }
    odata.write_text(json.dumps({"value": [sub]}), "utf-8")
    loaded = load_submissions(spec, odata, keep=True)
    assert loaded.versions == {"a": ("c", "b")} and loaded.records[0][0]["id"] == "a"
