"""``vigil forms import`` with an original submission and its edits in one file: the edit
(``meta/deprecatedID`` = the earlier version's ``meta/instanceID``) supersedes it, whatever the
order of the rows; an edit whose original is absent is screened like any submission."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from vigil.forms import build_form, write_form
from vigil.forms.submissions import load_submissions, read_form
from vigil.forms.versions import edit_order, superseded
from vigil.io.records import ColumnBuilder
from vigil.rules import load_ruleset
from vigil.rules.records import encode_record

RID = "ilo-11"
Q = "interview/g_ILO11/ILO11.01"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "vigil", *args], capture_output=True, text=True, timeout=300)


@pytest.fixture
def form(tmp_path: Path) -> Path:
    path = tmp_path / "f.xlsx"
    write_form(build_form(load_ruleset(RID), ["en"]), path)
    return path


# Kobo: each version is a row with its own _uuid = its instance id
KOBO = {
    "a": ("yes", None),   # the original, answered yes
    "b": ("no", "a"),     # its edit
    "c": ("yes", "b"),    # the edit of the edit: the current version
    "x": ("no", "gone"),  # an edit whose original is not in the file
    "z": ("yes", None),   # never edited
}


def _kobo(path: Path, order: list[str]) -> Path:
    lines = [f"_uuid;consent;{Q};meta/instanceID;meta/deprecatedID"]
    for u in order:
        answer, dep = KOBO[u]
        lines.append(f"{u};yes;{answer};uuid:{u};{'uuid:' + dep if dep else ''}")
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


ORDERS = [*(list(p) for p in itertools.permutations("abc")), ["c", "x", "b", "z", "a"]]


@pytest.mark.parametrize("order", ORDERS)
def test_kobo_csv_chain_only_the_latest_whatever_the_order(form: Path, tmp_path: Path,
                                                           order: list[str]) -> None:
    src = _kobo(tmp_path / "kobo.csv", [*order, *(u for u in ("x", "z") if u not in order)])
    res = run("forms", "import", "--form", str(form), str(src))
    assert res.returncode == 0, res.stderr
    ids = [json.loads(line)["id"] for line in res.stdout.splitlines()]
    assert sorted(ids) == ["c", "x", "z"]  # a and b superseded; x's original absent: screened
    assert "kobo.csv: 2 submission(s) replaced by an edit in the same file were not screened" in res.stderr
    # the superseded version's answers are gone: c answered yes, b (superseded) no
    loaded = load_submissions(read_form(form), src, latest=True, keep=True)
    assert {r["id"]: r["indicators"] for r, *_ in loaded.records}["c"] == {"ILO11.01": True}
    assert loaded.superseded == 2 and loaded.builder.n == 3
    assert loaded.versions == {"c": ("c", "b"), "x": ("x", "gone"), "z": ("z", None)}


def test_kobo_csv_edit_without_original_is_output_and_nothing_reported(form: Path, tmp_path: Path) -> None:
    src = _kobo(tmp_path / "kobo.csv", ["b", "z"])
    res = run("forms", "import", "--form", str(form), str(src))
    assert res.returncode == 0, res.stderr
    assert [json.loads(line)["id"] for line in res.stdout.splitlines()] == ["b", "z"]
    assert "replaced by an edit" not in res.stderr


def test_kobo_csv_second_import_is_the_same_and_duplicates_still_counted(form: Path, tmp_path: Path) -> None:
    src = _kobo(tmp_path / "kobo.csv", ["a", "b", "z"])
    text = src.read_text("utf-8")
    src.write_text(text + "z;yes;yes;uuid:z;\n", "utf-8")  # z twice: a duplicate, not an edit
    first = run("forms", "import", "--form", str(form), str(src))
    again = run("forms", "import", "--form", str(form), str(src))
    assert first.stdout == again.stdout
    assert [json.loads(line)["id"] for line in first.stdout.splitlines()] == ["b", "z"]
    assert "duplicate submission z (first at row 4); counted once" in first.stderr
    assert "1 submission(s) replaced by an edit" in first.stderr


def _central(path: Path, versions: list[tuple[str, str, str | None, str]]) -> Path:
    """Central keeps ``__id`` (the submission) and changes ``meta/instanceID`` (the version)."""
    value = [{"__id": f"uuid:{sid}", "consent": "yes", "interview": {"g_ILO11": {"ILO11.01": answer}},
              "meta": {"instanceID": f"uuid:{inst}", **({"deprecatedID": f"uuid:{dep}"} if dep else {})}}
             for sid, inst, dep, answer in versions]
    path.write_text(json.dumps({"value": value}), "utf-8")
    return path


@pytest.mark.parametrize("order", [[0, 1, 2], [2, 1, 0], [1, 2, 0]])
def test_central_json_chain_keeps_the_latest_version_of_one_submission(form: Path, tmp_path: Path,
                                                                       order: list[int]) -> None:
    chain = [("s1", "s1", None, "yes"), ("s1", "v2", "s1", "no"), ("s1", "v3", "v2", "refused")]
    other = [("s2", "w2", "w1", "yes")]  # its original w1 not in the file
    src = _central(tmp_path / "central.json", [chain[i] for i in order] + other)
    res = run("forms", "import", "--form", str(form), str(src))
    assert res.returncode == 0, res.stderr
    dets = [json.loads(line) for line in res.stdout.splitlines()]
    assert [d["id"] for d in dets] == ["s1", "s2"]  # one per submission UUID, not a duplicate
    assert "duplicate" not in res.stderr
    assert "central.json: 2 submission(s) replaced by an edit in the same file" in res.stderr
    loaded = load_submissions(read_form(form), src, latest=True, keep=True)
    assert loaded.versions["s1"] == ("v3", "v2")
    # s1 is v3's answers (refused), s2 its own
    assert [r["indicators"] for r, *_ in loaded.records] == [{"ILO11.01": None}, {"ILO11.01": True}]


def test_central_json_unlinked_versions_of_one_uuid_are_a_duplicate(form: Path, tmp_path: Path) -> None:
    src = _central(tmp_path / "central.json", [("s1", "v1", None, "yes"), ("s1", "v2", None, "no")])
    res = run("forms", "import", "--form", str(form), str(src))
    assert res.returncode == 0, res.stderr
    assert [json.loads(line)["id"] for line in res.stdout.splitlines()] == ["s1"]
    assert "duplicate submission s1" in res.stderr and "replaced by an edit" not in res.stderr


def test_superseded_chain_resolution() -> None:
    assert superseded({"a": ("a", None), "b": ("b", "a"), "c": ("c", "b")}) == {"a", "b"}
    assert superseded({"c": ("c", "b"), "a": ("a", None), "b": ("b", "a")}) == {"a", "b"}
    assert superseded({"x": ("x", "gone")}) == set()
    assert superseded({"a": ("a", "a")}) == set()  # a version that names itself replaces nothing
    assert superseded({}) == set()


def test_edit_order_puts_a_version_before_its_edits() -> None:
    chain = {"a": None, "b": "a", "c": "b"}
    for order in itertools.permutations("abcz"):
        versions = [(u, chain.get(u)) for u in order]
        got = [order[n] for n in edit_order(versions)]
        assert sorted(got) == sorted(order)  # each once
        assert got.index("a") < got.index("b") < got.index("c")
    assert edit_order([("x", "gone"), ("z", None)]) == [0, 1]  # nothing to reorder: file order
    assert sorted(edit_order([("a", "b"), ("b", "a")])) == [0, 1]  # a cycle does not loop
    assert edit_order([("a", "a")]) == [0]


def test_column_builder_drop_keeps_order_and_clears_the_tail() -> None:
    rs = load_ruleset(RID)
    keys = rs.record_keys()
    b = ColumnBuilder(capacity=2)
    for i, v in enumerate([True, False, True]):
        b.add(encode_record({"id": f"r{i}", "indicators": {"ILO11.01": v}}, keys, rs.id))
    b.drop({1})
    b.add(encode_record({"id": "r3", "indicators": {}}, keys, rs.id))
    cols = b.build()
    assert cols.ids == ["r0", "r2", "r3"]
    assert cols.codes["ILO11.01"][0] == cols.codes["ILO11.01"][1] != cols.codes["ILO11.01"][2]
    assert cols.codes["ILO11.01"][2] == b.build().codes["ILO11.01"][2]  # r3 did not answer: absent, not r2's
    assert not np.array_equal(cols.codes["ILO11.01"], [cols.codes["ILO11.01"][0]] * 3)
