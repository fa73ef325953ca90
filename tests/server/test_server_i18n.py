"""French is complete: every message of the server has a translation, and the catalogues compile.

The project catalogue (``vigil/server/locale``) holds the strings of the original apps; apps added
later keep their own (``vigil/server/<app>/locale``), which Django finds by itself.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import vigil.server

SERVER = Path(vigil.server.__file__).parent
PROJECT = SERVER / "locale" / "fr" / "LC_MESSAGES" / "django.po"
CATALOGUES = sorted(SERVER.glob("**/locale/fr/LC_MESSAGES/django.po"))


def test_project_catalogue_is_large():
    text = PROJECT.read_text(encoding="utf-8")
    assert len(re.findall(r'^msgid "(.*)"$', text, re.M)) > 200


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
