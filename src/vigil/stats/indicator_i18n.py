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
from vigil.stats import countries
from vigil.stats.indicators import COUNTRY_ONLY, TOTAL, UNKNOWN, IndicatorSet, subdivision_label

__all__ = ["category_label", "column_labels", "dimension_titles", "languages", "titles"]

COMMON = ("total", "not_recorded", "yes", "no", "country_only")

_DIR = "vigil.stats.data.indicators"


@cache
def _wording(set_id: str) -> dict[str, dict[str, dict[str, Any]]]:
    path = Path(str(resources.files(_DIR))) / "i18n" / f"{set_id}.yaml"
    if not path.exists():
        return {}
    data: Any = read_yaml(path, "indicator titles", path.name)
    if not isinstance(data, dict) or data.get("set") != set_id or not isinstance(data.get("languages"), dict):
        raise InputError(f"expected 'set: {set_id}' and 'languages'", path.name)
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for lang, parts in data["languages"].items():
        if not isinstance(parts, dict):
            raise InputError("must be a mapping", f"{path.name}: languages.{lang}")
        out[str(lang)] = {
            part: {str(k): str(v) for k, v in (parts.get(part) or {}).items()}
            for part in ("indicators", "dimensions", "multiple", "common")
        }
        labels = parts.get("labels") or {}
        if not isinstance(labels, dict) or not all(isinstance(v, dict) for v in labels.values()):
            raise InputError("labels: a mapping of dimension -> {value: label}",
                             f"{path.name}: languages.{lang}")
        out[str(lang)]["labels"] = {
            str(dim): {str(k): str(v) for k, v in values.items()} for dim, values in labels.items()
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


def _lang(lang: str | None) -> str:
    return (lang or "en").split("-")[0].lower()


def _labels(indicator_set: IndicatorSet, lang: str) -> dict[str, Any]:
    """The checked value wording of ``lang``: every key names a dimension and a value the set labels."""
    wording = _wording(indicator_set.id).get(lang, {})
    where = f"i18n/{indicator_set.id}.yaml: languages.{lang}"
    for dim, values in wording.get("labels", {}).items():
        known = indicator_set.dimensions.get(dim)
        if known is None:
            raise InputError(f"no dimension {dim!r} in {indicator_set.id}", f"{where}.labels")
        unknown = sorted(set(values) - set(known.labels))
        if unknown:
            raise InputError(f"no value {unknown[0]!r} labelled in dimension {dim}", f"{where}.labels.{dim}")
    for dim in wording.get("multiple", {}):
        if dim not in indicator_set.dimensions or indicator_set.dimensions[dim].multiple is None:
            raise InputError(f"dimension {dim!r} has no 'multiple' label", f"{where}.multiple")
    unknown_common = sorted(set(wording.get("common", {})) - set(COMMON))
    if unknown_common:
        raise InputError(f"no common word {unknown_common[0]!r} (one of {', '.join(COMMON)})",
                         f"{where}.common")
    return wording


def category_label(indicator_set: IndicatorSet, dimension: str, code: str, lang: str | None) -> str:
    """The label of one value of a dimension in ``lang`` (English where there is none; the value
    itself where the set does not label it, e.g. an age band or a region)."""
    base = _lang(lang)
    dim = indicator_set.dimensions.get(dimension)
    english = dim.label(code) if dim is not None else ("Total" if code == TOTAL else code)
    if base == "en":
        return english
    wording = _labels(indicator_set, base)
    common = wording.get("common", {})
    if code == TOTAL:
        return str(common.get("total", english))
    if code == UNKNOWN:
        return str(common.get("not_recorded", english))
    if dim is None:
        return english
    if dim.multiple is not None and code == dim.multiple:
        return str(wording.get("multiple", {}).get(dimension, english))
    if code in dim.labels:
        return str(wording.get("labels", {}).get(dimension, {}).get(code, english))
    if dim.codes == "country":
        return countries.name(code, base)
    if dim.codes == "subdivision":
        return subdivision_label(code, base, str(common.get("country_only", COUNTRY_ONLY)))
    if code in ("yes", "no"):
        return str(common.get(code, english))
    return english


def column_labels(
    indicator_set: IndicatorSet, dimension: str, cols: list[str], lang: str | None
) -> list[str]:
    """The labels of a table's columns (its values, then ``total``) in ``lang``."""
    return [category_label(indicator_set, dimension, c, lang) for c in cols]
