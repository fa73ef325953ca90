"""The warning-sign file of the offer screen: loading, validation and compiled patterns.

The file (``signs/offer-signs.yaml``) is data: an id, a version, the signs with their
description and per-language patterns, the negators and clause boundaries, and the word lists
of the absence rules (``lexicon``). Everything is compiled once per file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from vigil.errors import InputError
from vigil.io.yamlfile import read_yaml

__all__ = ["LANGUAGES", "SIGN_IDS", "Sign", "SignSet", "default_signs_path", "load_signs"]

LANGUAGES = ("en", "fr")

#: The sign ids of the contract, in the order of the issue's table.
SIGN_IDS = (
    "fee_charged", "travel_on_credit", "documents_held", "employer_unnamed", "location_vague",
    "pay_unrealistic", "appearance_demand", "pressure", "no_contract", "messaging_only",
    "wage_deductions", "restricted_movement",
)  # fmt: skip

_FLAGS = re.IGNORECASE | re.UNICODE


@dataclass(frozen=True)
class Sign:
    """One warning sign: its patterns per language (compiled)."""

    id: str
    description: str
    kind: str
    patterns: dict[str, tuple[re.Pattern[str], ...]]
    statements: dict[str, tuple[re.Pattern[str], ...]]
    excepts: dict[str, tuple[re.Pattern[str], ...]]


@dataclass(frozen=True)
class SignSet:
    """A versioned set of warning signs with the language data the screen needs."""

    id: str
    version: str
    title: str
    source: str
    notes: str
    signs: dict[str, Sign]
    narrow: dict[str, re.Pattern[str]]
    wide: dict[str, re.Pattern[str]]
    boundary: dict[str, re.Pattern[str]]
    lexicon: dict[str, Any] = field(repr=False)
    path: str = ""

    def pattern_list(self, key: str, lang: str) -> tuple[re.Pattern[str], ...]:
        """A compiled list from the lexicon (``key`` holds a list, or a per-language mapping)."""
        value = self.lexicon[key]
        got = value[lang] if isinstance(value, dict) else value
        assert isinstance(got, tuple)
        return got

    def pattern(self, key: str, lang: str | None = None) -> re.Pattern[str]:
        value = self.lexicon[key]
        got = value[lang] if isinstance(value, dict) and lang is not None else value
        assert isinstance(got, re.Pattern)
        return got

    def words(self, key: str) -> frozenset[str]:
        value = self.lexicon[key]
        assert isinstance(value, frozenset)
        return value


def default_signs_path() -> Path:
    return Path(str(resources.files("vigil.recruitment.signs"))) / "offer-signs.yaml"


def _expand(text: str, macros: dict[str, str], place: str) -> str:
    for _ in range(5):
        new = re.sub(r"\{([a-z_]+)\}", lambda m: macros.get(m.group(1), m.group(0)), text)
        if new == text:
            break
        text = new
    left = re.search(r"\{([a-z_]+)\}", text)
    if left and left.group(1) in macros:
        raise InputError("macros nest too deeply", place)
    return text


def _compile(text: Any, macros: dict[str, str], place: str) -> re.Pattern[str]:
    if not isinstance(text, str) or not text:
        raise InputError("a pattern must be a non-empty string", place)
    try:
        return re.compile(_expand(text, macros, place), _FLAGS)
    except re.error as exc:
        raise InputError(f"invalid regular expression ({exc.msg})", place) from None


def _compile_langs(value: Any, macros: dict[str, str], place: str) -> dict[str, tuple[re.Pattern[str], ...]]:
    if value is None:
        return {lang: () for lang in LANGUAGES}
    if not isinstance(value, dict):
        raise InputError("expected a mapping of language to patterns", place)
    out: dict[str, tuple[re.Pattern[str], ...]] = {}
    for lang in LANGUAGES:
        items = value.get(lang) or []
        if not isinstance(items, list):
            raise InputError("expected a list of patterns", f"{place}.{lang}")
        out[lang] = tuple(_compile(p, macros, f"{place}.{lang}[{i}]") for i, p in enumerate(items))
    unknown = sorted(set(value) - set(LANGUAGES))
    if unknown:
        raise InputError(f"unknown language {unknown[0]!r} (known: en, fr)", place)
    return out


def _word_alternation(words: list[Any], place: str, plural: bool = False) -> re.Pattern[str]:
    parts = []
    for w in words:
        if not isinstance(w, str) or not w:
            raise InputError("expected a list of words", place)
        head = r"\b" if w[0].isalnum() else ""
        tail = (r"(?:s|es)?\b" if plural else r"\b") if w[-1].isalnum() else ""
        parts.append(head + re.escape(w).replace(r"\ ", r"\s+") + tail)
    return re.compile("|".join(sorted(parts, key=len, reverse=True)) or r"(?!x)x", _FLAGS)


def _lexicon(raw: Any, macros: dict[str, str], place: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise InputError("expected a mapping", place)
    out: dict[str, Any] = {}
    word_sets = {"countries", "cities", "not_places"}
    plain = {"pay_thresholds", "pay_thresholds_no_requirement"}
    for key, value in raw.items():
        where = f"{place}.{key}"
        if key in plain:
            if not isinstance(value, dict) or not all(
                isinstance(v, int | float) and not isinstance(v, bool) for v in value.values()
            ):
                raise InputError("expected a mapping of period to amount", where)
            out[key] = {str(k): float(v) for k, v in value.items()}
        elif key in word_sets:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise InputError("expected a list of words", where)
            out[key] = frozenset(v.lower() for v in value)
            alternation = "|".join(re.escape(v.lower()) for v in sorted(value, key=len, reverse=True))
            out[f"{key}_re"] = re.compile(rf"(?<![\w-])(?:{alternation})(?![\w-])", _FLAGS)
        elif key in {"modest_pay_work", "employer_nouns"}:
            if not isinstance(value, dict):
                raise InputError("expected a mapping of language to words", where)
            out[key] = {
                lang: _word_alternation(value.get(lang) or [], f"{where}.{lang}", plural=True)
                for lang in LANGUAGES
            }
        elif isinstance(value, str):
            out[key] = _compile(value, macros, where)
        elif isinstance(value, list):
            out[key] = tuple(_compile(p, macros, f"{where}[{i}]") for i, p in enumerate(value))
        elif isinstance(value, dict):
            per: dict[str, Any] = {}
            for lang in LANGUAGES:
                v = value.get(lang)
                if isinstance(v, str):
                    per[lang] = _compile(v, macros, f"{where}.{lang}")
                elif isinstance(v, list):
                    per[lang] = tuple(_compile(p, macros, f"{where}.{lang}[{i}]") for i, p in enumerate(v))
                else:
                    raise InputError("expected a pattern or a list of patterns", f"{where}.{lang}")
            out[key] = per
        else:
            raise InputError("expected a pattern, a list or a mapping", where)
    return out


def _parse(data: Any, label: str) -> SignSet:
    if not isinstance(data, dict):
        raise InputError("a sign file is a mapping with id, version and signs", label)
    for key in ("id", "version", "signs"):
        if key not in data:
            raise InputError(f"missing key {key!r}", label)
    macros_raw = data.get("macros") or {}
    if not isinstance(macros_raw, dict) or not all(isinstance(v, str) for v in macros_raw.values()):
        raise InputError("macros must map names to strings", f"{label}, macros")
    macros = {str(k): v for k, v in macros_raw.items()}
    raw_signs = data["signs"]
    if not isinstance(raw_signs, dict):
        raise InputError("signs must be a mapping of sign id to sign", f"{label}, signs")
    signs: dict[str, Sign] = {}
    for sid, body in raw_signs.items():
        place = f"{label}, signs.{sid}"
        if not isinstance(body, dict) or not isinstance(body.get("description"), str):
            raise InputError("a sign needs a description", place)
        signs[str(sid)] = Sign(
            id=str(sid),
            description=" ".join(body["description"].split()),
            kind=str(body.get("kind", "explicit")),
            patterns=_compile_langs(body.get("patterns"), macros, f"{place}.patterns"),
            statements=_compile_langs(body.get("statements"), macros, f"{place}.statements"),
            excepts=_compile_langs(body.get("except"), macros, f"{place}.except"),
        )
    negators = data.get("negators") or {}
    boundaries = data.get("boundaries") or {}
    narrow, wide, boundary = {}, {}, {}
    for lang in LANGUAGES:
        neg = negators.get(lang) or {}
        narrow[lang] = _word_alternation(neg.get("narrow") or [], f"{label}, negators.{lang}.narrow")
        wide[lang] = _word_alternation(neg.get("wide") or [], f"{label}, negators.{lang}.wide")
        boundary[lang] = _word_alternation(boundaries.get(lang) or [], f"{label}, boundaries.{lang}")
    return SignSet(
        id=str(data["id"]),
        version=str(data["version"]),
        title=str(data.get("title", "")),
        source=" ".join(str(data.get("source", "")).split()),
        notes=" ".join(str(data.get("notes", "")).split()),
        signs=signs,
        narrow=narrow,
        wide=wide,
        boundary=boundary,
        lexicon=_lexicon(data.get("lexicon") or {}, macros, f"{label}, lexicon"),
        path=label,
    )


@lru_cache(maxsize=8)
def _load_cached(path: str) -> SignSet:
    return _parse(read_yaml(path, "sign file", Path(path).name), Path(path).name)


def load_signs(path: str | Path | None = None) -> SignSet:
    """The shipped warning signs, or a jurisdiction's own file with the same shape."""
    file = Path(path) if path is not None else default_signs_path()
    return _load_cached(str(file.resolve()))
