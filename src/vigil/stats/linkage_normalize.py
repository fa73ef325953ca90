"""Normalisation of agency list fields before record linkage.

Names are folded to lower-case ASCII (accents stripped, Cyrillic and Greek transliterated,
special letters such as ``ß`` or ``ł`` spelled out) and given a coarse phonetic key that
absorbs the usual transliteration differences (``Mohammed``/``Muhammad``, ``Yusuf``/``Youssef``,
``Olena``/``Elena``, ``Shevchenko``/``Ševčenko``). Dates are parsed with a per-list format,
sex and nationality are mapped to the codes the comparisons use.

Every function here returns ``None`` for a missing value and raises ``ValueError`` (without the
offending value in the message) for a value that is present but malformed; the caller turns it
into an ``InputError`` naming the file, row and column.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

__all__ = [
    "MISSING_TOKENS",
    "fold_name",
    "name_key",
    "parse_date",
    "parse_nationality",
    "parse_sex",
    "parse_year",
]

#: Cell values read as "missing" (compared after stripping and lower-casing).
MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", "unknown", "-", "?"})

# Letters that NFKD does not decompose, and letters best spelled with two Latin letters
# (so that the folded form agrees with English-style transliterations).
_SPECIAL = {
    "ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th",
    "ı": "i", "ŋ": "ng", "ĸ": "k", "ſ": "s",
    "š": "sh", "č": "ch", "ž": "zh", "ş": "sh", "ç": "c", "ğ": "g",
}  # fmt: skip

# Cyrillic (Russian, Ukrainian, Bulgarian, Serbian letters) to Latin, in the style of the
# passport (ICAO 9303) transliteration, which is what other agencies usually type.
_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "ґ": "g", "д": "d", "е": "e", "ё": "e",
    "є": "ie", "ж": "zh", "з": "z", "и": "i", "і": "i", "ї": "i", "й": "i", "к": "k",
    "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch",
    "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "iu", "я": "ia", "ђ": "dj", "ј": "j",
    "љ": "lj", "њ": "nj", "ћ": "c", "џ": "dzh", "ў": "u",
}  # fmt: skip

_GREEK = {
    "α": "a", "β": "v", "γ": "g", "δ": "d", "ε": "e", "ζ": "z", "η": "i", "θ": "th",
    "ι": "i", "κ": "k", "λ": "l", "μ": "m", "ν": "n", "ξ": "x", "ο": "o", "π": "p",
    "ρ": "r", "σ": "s", "ς": "s", "τ": "t", "υ": "y", "φ": "f", "χ": "ch", "ψ": "ps",
    "ω": "o",
}  # fmt: skip

_TRANSLIT = {**_SPECIAL, **_CYRILLIC, **_GREEK}
_SEPARATORS = frozenset(" -‐‑–—_.,/")
_SPACES = re.compile(r"\s+")

# Phonetic key: multi-letter rewrites first (longest first), then single letters.
_KEY_DIGRAPHS = (
    ("shch", "s"), ("tsch", "s"), ("dzh", "j"), ("sch", "s"), ("tch", "s"), ("dj", "j"),
    ("sh", "s"), ("zh", "s"), ("ch", "s"), ("ts", "s"), ("tz", "s"), ("sz", "s"),
    ("kh", "h"), ("gh", "g"), ("ph", "v"), ("th", "t"), ("ck", "k"), ("qu", "k"),
)  # fmt: skip
_KEY_LETTERS = str.maketrans({"q": "k", "c": "k", "w": "v", "f": "v", "z": "s", "d": "t",
                              "y": "i", "j": "i", "x": "ks"})  # fmt: skip
_VOWELS = frozenset("aeiou")


def is_missing(value: str | None) -> bool:
    """True for ``None`` and the usual spellings of "no value" (see ``MISSING_TOKENS``)."""
    return value is None or value.strip().lower() in MISSING_TOKENS


def fold_name(value: str | None) -> str | None:
    """Lower-case, accent-free, transliterated form of a name; ``None`` when missing.

    Letters of scripts without a table here (Arabic, Chinese...) are kept as they are, so
    exact comparisons still work within one script. Digits and punctuation are dropped,
    hyphens and dots become spaces, apostrophes vanish (``O'Neill`` -> ``oneill``).
    """
    if is_missing(value):
        return None
    assert value is not None
    out: list[str] = []
    for ch in unicodedata.normalize("NFC", value.strip()).lower():
        if ch in _TRANSLIT:
            out.append(_TRANSLIT[ch])
            continue
        if ch in _SEPARATORS or ch.isspace():
            out.append(" ")
            continue
        for part in unicodedata.normalize("NFKD", ch):
            if unicodedata.combining(part):
                continue
            if part in _TRANSLIT:
                out.append(_TRANSLIT[part])
            elif part.isalpha():
                out.append(part)
    folded = _SPACES.sub(" ", "".join(out)).strip()
    return folded or None


def name_key(folded: str | None) -> str | None:
    """Coarse phonetic key of a folded name (see ``fold_name``), robust to transliteration.

    The key keeps the first sound (any leading vowel becomes ``a``) and the consonant
    skeleton of the rest, after merging letters that transliteration systems confuse
    (``c/k/q``, ``f/v/w/ph``, ``s/z/sh/ch/zh``, ``d/t``, ``j/y/i``) and dropping ``h``.
    ``Mohammed``, ``Muhammad`` and ``Mohamed`` all give ``mmt``. ``None`` when the name has
    no Latin letter.
    """
    if not folded:
        return None
    letters = "".join(ch for ch in folded if "a" <= ch <= "z")
    if not letters:
        return None
    for pattern, repl in _KEY_DIGRAPHS:
        letters = letters.replace(pattern, repl)
    letters = letters.translate(_KEY_LETTERS)
    collapsed = [letters[0]]
    for ch in letters[1:]:
        if ch != collapsed[-1]:
            collapsed.append(ch)
    first = "a" if collapsed[0] in _VOWELS else collapsed[0]
    rest = "".join(ch for ch in collapsed[1:] if ch not in _VOWELS and ch != "h")
    return first + rest


def parse_date(value: str | None, fmt: str) -> date | None:
    """Parse a date with a ``strftime`` format; ``None`` when missing.

    Raises ``ValueError`` (message without the value) when the text does not match.
    """
    if is_missing(value):
        return None
    assert value is not None
    text = value.strip()
    if fmt == "%Y-%m-%d" and "T" in text:  # ISO date-time: keep the date part
        text = text.split("T", 1)[0]
    try:
        return datetime.strptime(text, fmt).date()
    except ValueError:
        raise ValueError(f"not a date in the format {fmt}") from None


def parse_year(value: str | None) -> int | None:
    """Parse a four-digit year (e.g. a list that records only the year of birth)."""
    if is_missing(value):
        return None
    assert value is not None
    text = value.strip()
    if text.endswith(".0"):  # spreadsheets export whole numbers as floats
        text = text[:-2]
    if not (len(text) == 4 and text.isdigit()) or not 1880 <= int(text) <= 2100:
        raise ValueError("not a four-digit year between 1880 and 2100")
    return int(text)


_SEX_CODES = {
    "f": "F", "female": "F", "w": "F", "woman": "F", "girl": "F", "femme": "F", "mujer": "F",
    "m": "M", "male": "M", "man": "M", "boy": "M", "homme": "M", "hombre": "M",
    "x": "X", "other": "X", "diverse": "X", "d": "X", "non-binary": "X",
}  # fmt: skip


def parse_sex(value: str | None, mapping: dict[str, str] | None = None) -> str | None:
    """Map a sex value to ``F``, ``M`` or ``X``; ``None`` when missing.

    ``mapping`` (from the list's configuration) is consulted first, on the exact text and
    then on its lower-case form; a mapping to an empty string means "missing".
    """
    if value is not None and mapping:
        key = value.strip()
        hit = mapping.get(key, mapping.get(key.lower()))
        if hit is not None:
            value = hit
    if is_missing(value):
        return None
    assert value is not None
    code = _SEX_CODES.get(value.strip().lower())
    if code is None:
        raise ValueError("not a recognised sex value (F, M or X; map others in 'values')")
    return code


_ISO3 = re.compile(r"^[A-Z]{3}$")


def parse_nationality(value: str | None, mapping: dict[str, str] | None = None) -> str | None:
    """Map a nationality to an ISO 3166-1 alpha-3 code; ``None`` when missing.

    ``mapping`` (from the list's configuration) turns an agency's own spelling
    (``Ukraine``, ``UA``) into the code; codes are accepted in any case.
    """
    if value is not None and mapping:
        key = value.strip()
        hit = mapping.get(key, mapping.get(key.lower()))
        if hit is not None:
            value = hit
    if is_missing(value):
        return None
    assert value is not None
    code = value.strip().upper()
    if not _ISO3.match(code):
        raise ValueError(
            "not an ISO 3166-1 alpha-3 code (three letters; map other spellings in 'values')"
        )
    return code
