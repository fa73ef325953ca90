"""French, Spanish and Arabic are complete: every message of the server has a translation in each,
and the catalogues compile.

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


LANGUAGES = ("fr", "es", "ar")


def untranslated(po: Path) -> list[str]:
    """The msgids of ``po`` without a translation (an empty msgstr, or any empty plural form),
    and those marked fuzzy; obsolete entries (``#~``) do not count."""
    missing = []
    for block in po.read_text(encoding="utf-8").split("\n\n")[1:]:
        if block.lstrip().startswith("#~") or not re.search(r"^msgid ", block, re.M):
            continue
        mid = "".join(re.findall(r'"(.*)"', block.split("msgid ", 1)[1].split("\nmsg", 1)[0]))
        strs = re.split(r"^msgstr(?:\[\d+\])? ", block, flags=re.M)[1:]
        empty = any("".join(re.findall(r'"(.*)"', s)) == "" for s in strs)
        if mid and (empty or re.search(r"^#,.*\bfuzzy\b", block, re.M)):
            missing.append(mid)
    return missing


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.parent.parent.parent.relative_to(SERVER)))
def test_catalogue_complete(po, lang):
    """Every app's catalogue is complete in French, Spanish and Arabic; a failure lists what is
    missing (translate it in the .po file named, then compile)."""
    target = po.parent.parent.parent / lang / "LC_MESSAGES" / "django.po"
    assert target.is_file(), f"no {lang} catalogue: {target.relative_to(SERVER)}"
    text = target.read_text(encoding="utf-8")
    assert re.findall(r'^msgid "(.+)"$', text, re.M)
    assert untranslated(target) == [], f"untranslated in {target.relative_to(SERVER)}"
    assert not re.search(r"^#, fuzzy", text.split("\n\n")[0], re.M), "the header is still marked fuzzy"


def test_untranslated_lists_empty_fuzzy_and_plural_gaps(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: es\\n"\n\n'
        'msgid "Done"\nmsgstr "Hecho"\n\n'
        'msgid "Empty"\nmsgstr ""\n\n'
        '#, fuzzy, python-format\nmsgid "Guess %(n)s"\nmsgstr "Adivina %(n)s"\n\n'
        'msgid "%(n)s case"\nmsgid_plural "%(n)s cases"\nmsgstr[0] "%(n)s caso"\nmsgstr[1] ""\n\n'
        'msgid ""\n"A long "\n"message"\nmsgstr ""\n\n'
        '#~ msgid "Old"\n#~ msgstr ""\n',
        encoding="utf-8",
    )
    assert untranslated(po) == ["Empty", "Guess %(n)s", "%(n)s case", "A long message"]


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.parent.parent.parent.relative_to(SERVER)))
def test_compiled_catalogue_is_current(po, lang):
    target = po.parent.parent.parent / lang / "LC_MESSAGES" / "django.po"
    mo = target.with_suffix(".mo")
    assert mo.exists() and mo.stat().st_mtime >= target.stat().st_mtime - 1, mo


def test_every_string_of_the_code_has_a_translation_in_each_language(tmp_path):
    """Extract the messages of a copy of the server's code as ``makemessages`` does (each app with a
    catalogue of its own into it, the rest into the project catalogue) and find none without French,
    Spanish or Arabic: a string added to the code but not to a catalogue fails here, listed."""
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
        [str(django_admin), "makemessages", *(a for lang in LANGUAGES for a in ("-l", lang)), "--no-location",
         "--no-wrap"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    missing = {}
    for lang in LANGUAGES:
        for po in sorted(copy.glob(f"**/locale/{lang}/LC_MESSAGES/django.po")):
            gaps = untranslated(po)
            if gaps:
                missing[str(po.relative_to(copy))] = gaps
    assert missing == {}
