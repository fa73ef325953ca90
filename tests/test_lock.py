"""The lock file (issue 14): ``requirements.lock`` (``make lock``, pip-compile with hashes) pins
every dependency of pyproject.toml, runtime and development, at a version its specifier allows,
each with at least one sha256 hash, and every package it pins (the transitive ones too) has its
hashes, so that ``pip install --require-hashes -r requirements.lock`` refuses any other file."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"
PIN = re.compile(  # name==version[ ; marker] then its hashes, one per continued line
    r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)(?:\s*;[^\\\n]*)?"
    r"((?:\s*\\\n\s+--hash=sha256:[0-9a-f]{64})*)",
    re.M,
)


def _pins(text: str) -> dict[str, tuple[Version, int]]:
    """name -> (pinned version, number of hashes)"""
    return {
        canonicalize_name(m.group(1)): (Version(m.group(2)), m.group(3).count("--hash=sha256:"))
        for m in PIN.finditer(text)
    }


def _declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    extras = project.get("optional-dependencies", {})
    return [Requirement(r) for r in [*project["dependencies"], *extras.get("dev", [])]]


def test_the_lock_pins_every_declared_dependency_with_hashes():
    text = LOCK.read_text("utf-8")
    assert "--generate-hashes" in text.splitlines()[4]  # the command that wrote it is recorded
    pins = _pins(text)
    declared = _declared()
    assert len(declared) >= 40
    missing = [str(r) for r in declared if canonicalize_name(r.name) not in pins]
    assert not missing, f"not in requirements.lock (run make lock): {missing}"
    outside = [
        f"{r.name}=={pins[canonicalize_name(r.name)][0]} (pyproject: {r.specifier})"
        for r in declared
        if not r.specifier.contains(pins[canonicalize_name(r.name)][0], prereleases=True)
    ]
    assert not outside, f"pinned outside pyproject's range (run make lock): {outside}"


def test_every_pin_of_the_lock_has_a_hash():
    text = LOCK.read_text("utf-8")
    pins = _pins(text)
    lines = [line for line in text.splitlines() if re.match(r"^[A-Za-z0-9]", line)]
    assert len(pins) == len(lines) >= 100  # every requirement line parsed, transitive ones too
    assert [name for name, (_v, hashes) in pins.items() if hashes == 0] == []


def test_the_check_sees_a_missing_or_stale_pin():
    text = "django==4.2.1 \\\n    --hash=sha256:" + "0" * 64 + "\nrich==13.0.0\n"
    text += 'gunicorn==27.0.1 ; sys_platform != "win32" \\\n    --hash=sha256:' + "1" * 64 + "\n"
    pins = _pins(text)
    assert pins[canonicalize_name("Django")] == (Version("4.2.1"), 1)
    assert pins["gunicorn"] == (Version("27.0.1"), 1)
    assert pins["rich"][1] == 0
    assert not Requirement("django>=5.2,<6.0").specifier.contains(pins["django"][0])
