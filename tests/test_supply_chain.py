"""Supply chain of the code (issue 14): bandit finds nothing of medium or high severity in the
package but the findings justified in docs/reliability.md (a new finding fails until it is fixed
or justified there and here). ``make sbom`` and ``make audit`` are the other checks (not in the
suite: the SBOM takes a minute and a half, and pip-audit needs the vulnerability service)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

#: (test id, file) of each justified medium finding; the reasons are in docs/reliability.md.
JUSTIFIED = {
    ("B104", "src/vigil/cli/serve_commands.py"),  # "0.0.0.0" compared to print a URL; binds 127.0.0.1
    ("B608", "src/vigil/server/backup.py"),  # table names from the database's own catalogue, quoted
    ("B608", "src/vigil/server/cases/management/commands/rotate_field_keys.py"),  # model metadata
    ("B608", "src/vigil/stats/linkage.py"),  # splink's own generated table name
    ("B608", "src/vigil/server/national/columns.py"),  # the ORM's compiled query, its params bound
    ("B608", "src/vigil/server/supply/migrations/0003_plan_texts_encrypted.py"),  # fixed names
    ("B310", "src/vigil/forms/pull.py"),  # https (or http to this machine) checked before opening
    ("B308", "src/vigil/server/supply/views.py"),  # the graph SVG drawn by vigil.supply.picture
    ("B703", "src/vigil/server/supply/views.py"),  # the same mark_safe (names escaped, tested)
    ("B308", "src/vigil/server/web/templatetags/vigil_tags.py"),  # a constant " selected"
    ("B703", "src/vigil/server/web/templatetags/vigil_tags.py"),  # autoescaped template output, reused
    ("B703", "src/vigil/server/cases/views.py"),  # Django's rendering of a form field, reused
}


def _tool(name: str) -> str:
    path = BIN / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    assert found, f"{name} is a development dependency (pip install -e '.[dev]')"
    return found


def test_bandit_finds_only_the_justified() -> None:
    out = subprocess.run(
        [_tool("bandit"), "-q", "-r", "src/vigil", "-ll", "-f", "json"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    report = json.loads(out.stdout)
    found = {(r["test_id"], r["filename"]) for r in report["results"]}
    assert not [r for r in report["results"] if r["issue_severity"] == "HIGH"]
    assert found == JUSTIFIED, sorted(found ^ JUSTIFIED)


@pytest.mark.parametrize("doc", ["docs/reliability.md"])
def test_each_justification_is_documented(doc: str) -> None:
    text = (ROOT / doc).read_text("utf-8")
    for test_id, file in JUSTIFIED:
        assert f"{test_id}" in text and file.removeprefix("src/") in text, (test_id, file)
