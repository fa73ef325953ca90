"""Titles of an indicator set in other languages: ``data/indicators/i18n/<set>.yaml``, data only.

The set file keeps its English titles; this file gives, per language, the title of each indicator
and dimension. :func:`titles` returns ``{indicator id: title}`` in a language, English for what is
missing (and for ``en``). A key that names no indicator or dimension of the set is refused, so a
renamed indicator cannot keep a stale translation.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from vigil.errors import InputError
from vigil.io.yamlfile import read_yaml
from vigil.stats.indicators import IndicatorSet

__all__ = ["dimension_titles", "languages", "titles"]

_DIR = "vigil.stats.data.indicators"


@cache
def _wording(set_id: str) -> dict[str, dict[str, dict[str, str]]]:
    path = Path(str(resources.files(_DIR))) / "i18n" / f"{set_id}.yaml"
    if not path.exists():
        return {}
    data: Any = read_yaml(path, "indicator titles", path.name)
    if not isinstance(data, dict) or data.get("set") != set_id or not isinstance(data.get("languages"), dict):
        raise InputError(f"expected 'set: {set_id}' and 'languages'", path.name)
    out: dict[str, dict[str, dict[str, str]]] = {}
    for lang, parts in data["languages"].items():
        if not isinstance(parts, dict):
            raise InputError("must be a mapping", f"{path.name}: languages.{lang}")
        out[str(lang)] = {
            part: {str(k): str(v) for k, v in (parts.get(part) or {}).items()}
            for part in ("indicators", "dimensions")
        }
    return out


def languages(indicator_set: IndicatorSet) -> list[str]:
    return sorted({"en", *_wording(indicator_set.id)})


def _checked(indicator_set: IndicatorSet, lang: str, part: str, known: set[str]) -> dict[str, str]:
    wording = _wording(indicator_set.id).get(lang.split("-")[0].lower(), {}).get(part, {})
    unknown = sorted(set(wording) - known)
    if unknown:
        raise InputError(f"no {part[:-1]} {unknown[0]!r} in {indicator_set.id}",
                         f"i18n/{indicator_set.id}.yaml: languages.{lang}.{part}")
    return wording


def titles(indicator_set: IndicatorSet, lang: str | None) -> dict[str, str]:
    """Each indicator's title in ``lang`` (English where there is none)."""
    english = {i.id: i.title for i in indicator_set.indicators}
    if not lang or lang.startswith("en"):
        return english
    return {**english, **_checked(indicator_set, lang, "indicators", set(english))}


def dimension_titles(indicator_set: IndicatorSet, lang: str | None) -> dict[str, str]:
    english = {d.id: d.title for d in indicator_set.dimensions.values()}
    if not lang or lang.startswith("en"):
        return english
    return {**english, **_checked(indicator_set, lang, "dimensions", set(english))}
