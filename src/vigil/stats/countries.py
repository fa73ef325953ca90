"""Country names in the reader's language: ``data/countries/names.csv``, data only.

Cases and migration stages record countries as ISO 3166-1 alpha-3 codes. :func:`name` gives the
short name of a code in English, French, Spanish or Arabic (vendored from Debian's iso-codes,
see ``data/countries/README.md``), English for another language, and the code itself for a code
that names no country.
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources

__all__ = ["LANGUAGES", "name", "names"]

LANGUAGES = ("en", "fr", "es", "ar")


@cache
def names() -> dict[str, dict[str, str]]:
    """``{alpha-3 code: {language: name}}`` for every code of the file."""
    text = resources.files("vigil.stats.data").joinpath("countries/names.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    return {row["alpha3"]: {lang: row[lang] for lang in LANGUAGES} for row in rows}


def name(code: str, lang: str | None = None) -> str:
    """The name of ``code`` in ``lang`` (``en`` by default; English for a language not shipped);
    ``code`` itself when it names no country."""
    entry = names().get((code or "").upper())
    if entry is None:
        return code
    base = (lang or "en").split("-")[0].lower()
    return entry.get(base, entry["en"])
