"""What ``vigil <command> --help`` cites exists in the repository: a document named in a help text
is a file of the repository, and a section named with it ("docs/x.md, "Section"") is a heading
of that file."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path

import click
import typer

cli_main = importlib.import_module("vigil.cli.main")  # the module (``vigil.cli.main`` is also a function)

ROOT = Path(__file__).resolve().parents[2]
CITATION = re.compile(r'(?P<doc>[\w./-]+\.md)(?:,\s*"(?P<section>[^"]+)")?')


def _commands(group: click.Command, prefix: str = "vigil") -> list[tuple[str, click.Command]]:
    out = [(prefix, group)]
    for name, sub in getattr(group, "commands", {}).items():
        out += _commands(sub, f"{prefix} {name}")
    return out


def _help_texts() -> list[tuple[str, str]]:
    cli_main._register()  # the command modules add themselves to the app when imported
    root = typer.main.get_command(cli_main.app)
    return [(name, f"{cmd.help or ''} {cmd.short_help or ''}") for name, cmd in _commands(root)]


def test_every_document_cited_by_a_help_text_exists():
    cited = []
    for name, text in _help_texts():
        for m in CITATION.finditer(text):
            path = ROOT / m["doc"]
            assert path.is_file(), f"`{name} --help` cites {m['doc']}, which is not in the repository"
            if m["section"]:
                headings = re.findall(r"^#+\s+(.+?)\s*$", path.read_text(encoding="utf-8"), re.M)
                assert m["section"] in headings, f"`{name} --help`: no section {m['section']!r} in {m['doc']}"
            cited.append((name, m["doc"]))
    assert ("vigil triage", "docs/rules.md") in cited


def test_triage_help_shows_the_citation():
    r = subprocess.run(
        [sys.executable, "-m", "vigil", "triage", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT / "src")},
    )
    assert r.returncode == 0, r.stderr
    assert "docs/rules.md" in r.stdout and "STANDARDS.md" not in r.stdout
