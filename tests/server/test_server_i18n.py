"""French is complete: every message of the server has a translation, and the catalogue compiles."""

from __future__ import annotations

import re
from pathlib import Path

import vigil.server

LOCALE = Path(vigil.server.__file__).parent / "locale" / "fr" / "LC_MESSAGES"


def test_french_catalogue_complete():
    text = (LOCALE / "django.po").read_text(encoding="utf-8")
    entries = re.findall(r'^msgid "(.*)"\nmsgstr "(.*)"$', text, re.M)
    assert len(entries) > 200
    untranslated = [mid for mid, tr in entries if mid and not tr]
    assert untranslated == []
    assert "#, fuzzy" not in text


def test_compiled_catalogue_is_current():
    po, mo = LOCALE / "django.po", LOCALE / "django.mo"
    assert mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime - 1
