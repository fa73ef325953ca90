"""French is complete: every message of the server has a translation, and the catalogues compile.

Each app keeps the strings of its own code in its catalogue (``vigil/server/<app>/locale``), which
Django finds by itself; the project catalogue (``vigil/server/locale``) holds those of the shared
modules outside any app (settings, problem details, crypto).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import vigil.server

SERVER = Path(vigil.server.__file__).parent
PROJECT = SERVER / "locale" / "fr" / "LC_MESSAGES" / "django.po"
CATALOGUES = sorted(SERVER.glob("**/locale/fr/LC_MESSAGES/django.po"))


def test_catalogues_are_large():
    counts = {
        po: len(re.findall(r'^msgid "(.*)"$', po.read_text(encoding="utf-8"), re.M)) for po in CATALOGUES
    }
    assert PROJECT in counts
    assert sum(counts.values()) > 600


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.relative_to(SERVER)))
def test_french_catalogue_complete(po):
    text = po.read_text(encoding="utf-8")
    entries = re.findall(r'^msgid "(.*)"\nmsgstr "(.*)"$', text, re.M)
    assert entries
    untranslated = [mid for mid, tr in entries if mid and not tr]
    assert untranslated == []
    assert "#, fuzzy" not in text


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.relative_to(SERVER)))
def test_compiled_catalogue_is_current(po):
    mo = po.with_suffix(".mo")
    assert mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime - 1


def test_every_string_of_the_code_has_a_french_translation(tmp_path):
    """Extract the messages of a copy of the server's code as ``makemessages`` does (each app with a
    catalogue of its own into it, the rest into the project catalogue) and find none without French:
    a string added to the code but not to a catalogue fails here."""
    if shutil.which("xgettext") is None:
        pytest.fail(
            "GNU gettext (xgettext) is missing: `make test` installs it (scripts/ensure-test-tools.sh)",
            pytrace=False,
        )
    copy = tmp_path / "server"
    shutil.copytree(SERVER, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    django_admin = Path(sys.executable).with_name("django-admin")
    run = subprocess.run(
        [str(django_admin), "makemessages", "-l", "fr", "--no-location", "--no-wrap"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    missing = {}
    for po in sorted(copy.glob("**/locale/fr/LC_MESSAGES/django.po")):
        text = po.read_text(encoding="utf-8")
        blocks = text.split("\n\n")[1:]  # the header first
        empty = [b for b in blocks if re.search(r'^msgstr ""$', b, re.M) and "msgstr[" not in b]
        bad = [b for b in blocks if "#, fuzzy" in b] + empty
        bad = [b for b in bad if not b.startswith("#~")]
        if bad:
            missing[str(po.relative_to(copy))] = [re.search(r'^msgid "(.*)"$', b, re.M).group(1) for b in bad]
    assert missing == {}
