"""First-level subdivisions of countries (ISO 3166-2), data only: ``data/subdivisions/names.csv.gz``.

A migration stage may record, besides its country (ISO 3166-1 alpha-3), the first-level
subdivision it took place in as an ISO 3166-2 code (``TH-10``, ``NP-P3``). :func:`name` gives
its name in English, French, Spanish or Arabic (vendored from Debian's iso-codes, see
``data/subdivisions/README.md``; English where iso-codes has no translation), :func:`of_country`
the subdivisions of one country, and :func:`check` the error for a code that is not a
first-level subdivision of the stage's country. Only first-level subdivisions are shipped (an
entry of iso-codes without a ``parent``): the departments of France, the provinces of Spain are
second-level and are not offered.
"""

from __future__ import annotations

import csv
import gzip
from functools import cache
from importlib import resources

from vigil.stats import countries

__all__ = ["LANGUAGES", "check", "country_of", "is_code", "name", "names", "of_country"]

LANGUAGES = countries.LANGUAGES


@cache
def names() -> dict[str, dict[str, str]]:
    """``{ISO 3166-2 code: {"country": alpha-3, language: name}}`` for every first-level subdivision."""
    raw = resources.files("vigil.stats.data").joinpath("subdivisions/names.csv.gz").read_bytes()
    text = gzip.decompress(raw).decode("utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    out: dict[str, dict[str, str]] = {}
    for row in rows:
        entry = {"country": row["country"], "en": row["en"]}
        entry.update({lang: row[lang] or row["en"] for lang in LANGUAGES if lang != "en"})
        out[row["code"]] = entry
    return out


def is_code(code: str) -> bool:
    """Whether ``code`` is a first-level subdivision shipped here."""
    return (code or "").upper() in names()


def country_of(code: str) -> str | None:
    """The alpha-3 code of the country of ``code``, None when it is no subdivision shipped."""
    entry = names().get((code or "").upper())
    return None if entry is None else entry["country"]


def name(code: str, lang: str | None = None) -> str:
    """The name of ``code`` in ``lang`` (English by default, and for a language or a name not
    translated); ``code`` itself when it is no subdivision shipped."""
    entry = names().get((code or "").upper())
    if entry is None:
        return code
    base = (lang or "en").split("-")[0].lower()
    return entry[base] if base in LANGUAGES else entry["en"]


@cache
def _by_country() -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for code, entry in names().items():
        out.setdefault(entry["country"], []).append(code)
    return {country: tuple(codes) for country, codes in out.items()}


def of_country(country: str, lang: str | None = None) -> list[tuple[str, str]]:
    """``(code, name)`` of the first-level subdivisions of ``country`` (alpha-3), by name in ``lang``."""
    codes = _by_country().get((country or "").upper(), ())
    return sorted(((c, name(c, lang)) for c in codes), key=lambda item: (item[1].casefold(), item[0]))


def check(code: str, country: str) -> str | None:
    """Why ``code`` cannot be the region of a stage in ``country`` (English, for messages the
    caller translates), or None when it can. An empty code is always allowed."""
    code = (code or "").upper()
    if not code:
        return None
    owner = country_of(code)
    if owner is None:
        return "unknown"
    if not country:
        return "no_country"
    if owner != country.upper():
        return "other_country"
    return None
