"""Agency name normalisation and matching against a registry (rapidfuzz), blocked by country.

    >>> from vigil.recruitment.names import normalise_name
    >>> normalise_name("Société Générale de Placement S.A.R.L.")
    'de generale placement societe'

Normalisation folds case, accents and Cyrillic/Greek letters, drops legal-form suffixes (Ltd,
SRL, LLC, Pvt, SARL, GmbH, S.A....) and punctuation, and sorts the words, so that word order
does not count. Matching scores each name against the registry names of the same country with
``rapidfuzz.fuzz.ratio`` on the normalised forms (``process.cdist`` on all cores, block by
block) and decides *match* (score >= ``match_at``), *review* (>= ``review_at``) or *no_match*.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from rapidfuzz import fuzz, process

from vigil.stats.linkage_normalize import fold_name

__all__ = [
    "LEGAL_SUFFIXES",
    "Candidate",
    "NameMatch",
    "NamePair",
    "Party",
    "match",
    "normalise_name",
    "pairs_within",
    "rank_candidates",
    "synthetic_agencies",
]

LEGAL_SUFFIXES = frozenset(
    [
        "ltd",
        "limited",
        "llc",
        "inc",
        "incorporated",
        "corp",
        "corporation",
        "plc",
        "gmbh",
        "ag",
        "kg",
        "sarl",
        "sas",
        "sasu",
        "sa",
        "srl",
        "spa",
        "bv",
        "nv",
        "oy",
        "ab",
        "as",
        "aps",
        "pvt",
        "private",
        "pte",
        "pty",
        "sdn",
        "bhd",
        "fzco",
        "fze",
        "fzllc",
        "wll",
        "co",
        "company",
        "cie",
        "lp",
        "llp",
        "sl",
        "sprl",
        "eurl",
        "sca",
        "scs",
        "snc",
        "ooo",
        "zao",
        "oao",
        "tov",
        "sp",
        "zoo",
        "kft",
        "doo",
        "ad",
        "eood",
        "jsc",
    ]
)
# dotted or spaced spellings, joined before the words are split: "S.A.R.L." -> "sarl"
_NON_LETTER = re.compile(r"[^a-z]+")
_QUOTES = re.compile(r"['\"`]")
_DOTTED = re.compile(r"\b((?:[a-z]\s?\.\s?){2,}[a-z]?\.?)", re.IGNORECASE)


def normalise_name(name: str) -> str:
    """The comparable form of an agency name (see the module docstring); "" when nothing is left."""
    joined = _DOTTED.sub(lambda m: re.sub(r"[\s.]", "", m.group(1)) + " ", name)
    joined = joined.replace("&", " and ").replace("+", " and ")
    if joined.isascii():  # the common case, the same result as fold_name, faster
        folded = _NON_LETTER.sub(" ", _QUOTES.sub("", joined.lower())).strip()
    else:
        folded = fold_name(joined) or ""
    words = [w for w in folded.split() if w not in LEGAL_SUFFIXES and w not in {"and", "et", "the"}]
    if not words:  # a name made only of legal words keeps them
        words = folded.split()
    return " ".join(sorted(words))


@dataclass(frozen=True)
class Party:
    """A name to match, or a registry entry: an id, the name and the ISO 3166-1 alpha-3 country."""

    id: str
    name: str
    country: str = ""


@dataclass(frozen=True)
class NameMatch:
    id: str
    name: str
    match_id: str | None
    match_name: str | None
    score: float
    decision: str


def _decide(score: float, match_at: float, review_at: float) -> str:
    return "match" if score >= match_at else "review" if score >= review_at else "no_match"


def match(
    names: Sequence[Party],
    registry: Sequence[Party],
    *,
    match_at: float = 90.0,
    review_at: float = 75.0,
    by_country: bool = True,
    chunk: int = 4096,
    workers: int = -1,
) -> list[NameMatch]:
    """The best registry entry for each name (same country when ``by_country``), its score
    (0-100) and the decision; in the order of ``names``."""
    if not 0 <= review_at <= match_at <= 100:
        raise ValueError("thresholds must satisfy 0 <= review_at <= match_at <= 100")
    reg_norm = [normalise_name(r.name) for r in registry]
    norm = [normalise_name(p.name) for p in names]
    best_j = np.full(len(names), -1, dtype=np.int64)
    best_s = np.zeros(len(names), dtype=np.float64)

    def country(p: Party) -> str:
        return p.country.upper() if by_country else ""

    # pass 1: same country and same first letter of the normalised name; pass 2: the names
    # still below ``match_at`` against every registry name of their country
    def first_pass(p: Party, n: str) -> tuple[str, str]:
        return (country(p), n[:1])

    def second_pass(p: Party, n: str) -> tuple[str, str]:
        return (country(p), "")

    pending = list(range(len(names)))
    for key in (first_pass, second_pass):
        blocks: dict[tuple[str, str], list[int]] = defaultdict(list)
        for j, r in enumerate(registry):
            blocks[key(r, reg_norm[j])].append(j)
        groups: dict[tuple[str, str], list[int]] = defaultdict(list)
        for i in pending:
            groups[key(names[i], norm[i])].append(i)
        for block, rows in groups.items():
            cols = blocks.get(block)
            if not cols:
                continue
            choices = [reg_norm[j] for j in cols]
            col_arr = np.asarray(cols)
            for start in range(0, len(rows), chunk):
                part = np.asarray(rows[start : start + chunk])
                scores = process.cdist(
                    [norm[i] for i in part], choices, scorer=fuzz.ratio, dtype=np.uint8, workers=workers
                )
                arg = scores.argmax(axis=1)
                got = scores[np.arange(len(part)), arg].astype(np.float64)
                better = got > best_s[part]
                best_j[part[better]] = col_arr[arg[better]]
                best_s[part[better]] = got[better]
        pending = [i for i in pending if best_s[i] < match_at]
    out: list[NameMatch] = []
    for i, p in enumerate(names):
        j = int(best_j[i])
        score = float(best_s[i]) if j >= 0 else 0.0
        decision = _decide(score, match_at, review_at) if j >= 0 else "no_match"
        hit = registry[j] if j >= 0 and decision != "no_match" else None
        out.append(
            NameMatch(
                p.id, p.name, hit.id if hit else None, hit.name if hit else None, round(score, 1), decision
            )
        )
    return out


# registry names come back on every suggestion: their normal forms are kept (a bounded cache)
_normalised = lru_cache(maxsize=1 << 16)(normalise_name)


@dataclass(frozen=True)
class Candidate:
    """A registry entry that a free-text mention may name, with its score (0-100)."""

    id: str
    name: str
    score: float


def _mention_score(a: str, b: str, **_: object) -> float:
    """A mention against a name: the mean of ``token_set_ratio`` (all the name's words in the
    mention: 100) and ``ratio`` (the whole spelling), so that extra words in the mention cost a
    little and a name that is only part of the mention does not beat the closer spelling."""
    return (fuzz.token_set_ratio(a, b) + fuzz.ratio(a, b)) / 2


def rank_candidates(
    text: str,
    registry: Sequence[Party],
    *,
    country: str = "",
    limit: int = 3,
    cutoff: float = 60.0,
) -> list[Candidate]:
    """The registry entries a free-text mention of a recruiter or employer ("Sunrise Manpower,
    the agent in Kathmandu") may name, best first. The mention and the names are normalised as
    for :func:`match`; the score (0-100) is the mean of ``token_set_ratio`` and ``ratio``, ties
    broken by ``ratio`` and then by the same country. Entries below ``cutoff`` are left out."""
    target = normalise_name(text)
    if not target or limit <= 0:
        return []
    want = country.upper()
    choices = {j: n for j, r in enumerate(registry) if (n := _normalised(r.name))}
    hits = process.extract(target, choices, scorer=_mention_score, score_cutoff=cutoff, limit=None)
    scored = sorted(
        (-s, -fuzz.ratio(target, n), 0 if want and registry[j].country.upper() == want else 1, j)
        for n, s, j in hits
    )
    return [Candidate(registry[j].id, registry[j].name, round(-s, 1)) for s, _r, _c, j in scored[:limit]]


@dataclass(frozen=True)
class NamePair:
    """Two entries of one list that may be the same agency: ``a`` and ``b`` (ids, ``a`` first in
    the list), their score (0-100) and the decision (``match`` or ``review``)."""

    a: str
    b: str
    score: float
    decision: str


def pairs_within(
    parties: Sequence[Party],
    *,
    match_at: float = 90.0,
    review_at: float = 75.0,
    by_country: bool = True,
    chunk: int = 2048,
    workers: int = -1,
) -> list[NamePair]:
    """The pairs of distinct entries of one list (a registry) whose names score at least
    ``review_at`` (same country when ``by_country``), best first; each pair once. These go to a
    person, who merges or separates them: a score is never a merge."""
    if not 0 <= review_at <= match_at <= 100:
        raise ValueError("thresholds must satisfy 0 <= review_at <= match_at <= 100")
    norm = [normalise_name(p.name) for p in parties]
    blocks: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(parties):
        if norm[i]:
            blocks[p.country.upper() if by_country else ""].append(i)
    found: list[NamePair] = []
    for rows in blocks.values():
        if len(rows) < 2:
            continue
        names = [norm[i] for i in rows]
        for start in range(0, len(rows), chunk):
            scores = process.cdist(
                names[start : start + chunk],
                names,
                scorer=fuzz.ratio,
                dtype=np.uint8,
                workers=workers,
                score_cutoff=review_at,
            )
            r, c = np.nonzero(scores >= review_at)  # below the cutoff rapidfuzz gives 0
            for x, y in zip(r.tolist(), c.tolist(), strict=True):
                i, j = start + x, y
                if j <= i:  # each pair once, never an entry with itself
                    continue
                score = float(scores[x, y])
                found.append(
                    NamePair(
                        parties[rows[i]].id,
                        parties[rows[j]].id,
                        round(score, 1),
                        _decide(score, match_at, review_at),
                    )
                )
    return sorted(found, key=lambda p: (-p.score, p.a, p.b))


# --- synthetic names with known duplicates ----------------------------------------------------

_FIRST = (
    "Global",
    "Sunrise",
    "Golden",
    "Pacific",
    "Atlas",
    "Horizon",
    "Crescent",
    "Royal",
    "Star",
    "Summit",
    "Eagle",
    "Oasis",
    "Nile",
    "Everest",
    "Lotus",
    "Falcon",
    "Delta",
    "Unity",
    "Prime",
    "Silver",
    "Blue",
    "Green",
    "Orient",
    "Alpha",
    "Noble",
    "Bright",
    "Zenith",
    "Liberty",
    "Vista",
    "Meridian",
    "Sahel",
    "Andes",
    "Baltic",
    "Danube",
    "Kalahari",
    "Mekong",
    "Sierra",
    "Tigris",
    "Étoile",
    "Lumière",
    "Avenir",
    "Élan",
    "Océan",
    "Étoile du Sud",
    "Al Noor",
    "Al Amal",
    "Dar Es",
    "Baraka",
    "Karim",
    "Sagar",
    "Himal",
    "Mabuhay",
    "Bayanihan",
    "Tala",
)
_SECOND = (
    "Manpower",
    "Recruitment",
    "Staffing",
    "Overseas",
    "Employment",
    "Human Resources",
    "Placement",
    "Careers",
    "Workforce",
    "Travel and Tours",
    "Consultants",
    "Services",
    "Talent",
    "Labour",
    "Jobs",
    "Intérim",
    "Recrutement",
    "Emploi",
    "Conseil",
    "International",
    "Trading",
    "Agency",
    "Link",
    "Bridge",
    "Gateway",
)
_SUFFIX = (
    "Ltd",
    "Limited",
    "LLC",
    "Pvt Ltd",
    "SARL",
    "S.A.",
    "SRL",
    "GmbH",
    "Inc.",
    "S.A.R.L.",
    "Sdn Bhd",
    "Pte Ltd",
    "WLL",
    "",
    "",
)
_ALT_SUFFIX = {
    "Ltd": "Limited",
    "Limited": "Ltd",
    "SARL": "S.A.R.L.",
    "S.A.R.L.": "Sarl",
    "S.A.": "SA",
    "Pvt Ltd": "Private Limited",
    "Inc.": "Inc",
    "LLC": "L.L.C.",
    "GmbH": "Gmbh",
    "SRL": "S.R.L.",
    "Sdn Bhd": "Sdn. Bhd.",
    "Pte Ltd": "Pte. Ltd.",
    "WLL": "W.L.L.",
    "": "",
}
_TAILS = ("Nepal", "Asia", "Afrique", "Group", "Partners", "Worldwide", "Express", "Plus", "One", "Pro")
_COUNTRIES = (
    "NPL",
    "PHL",
    "IDN",
    "BGD",
    "IND",
    "LKA",
    "PAK",
    "ETH",
    "KEN",
    "UGA",
    "NGA",
    "GHA",
    "SEN",
    "MAR",
    "TUN",
    "ROU",
    "BGR",
    "UKR",
    "MDA",
    "VNM",
)
_ACCENTS = {"e": "é", "a": "à", "o": "ô", "u": "ü", "i": "ï", "c": "ç"}


def _noisy(name: str, suffix: str, rng: random.Random) -> str:
    """A variant of ``name`` under moderate noise: one or two of case, accents, suffix spelling
    or omission, punctuation, word order and one typing error."""
    words = name.split()
    ops = rng.sample(["case", "accent", "suffix", "punct", "order", "typo"], k=rng.choice((1, 2, 2, 3)))
    suf = suffix
    if "suffix" in ops:
        suf = rng.choice((_ALT_SUFFIX.get(suffix, suffix), ""))
    if "order" in ops and len(words) > 1:
        i = rng.randrange(len(words) - 1)
        words[i], words[i + 1] = words[i + 1], words[i]
    text = " ".join(words)
    if "typo" in ops and len(text) > 6:
        i = rng.randrange(1, len(text) - 1)
        kind = rng.choice(("drop", "swap", "double", "sub"))
        if kind == "drop":
            text = text[:i] + text[i + 1 :]
        elif kind == "swap":
            text = text[:i] + text[i + 1] + text[i] + text[i + 2 :]
        elif kind == "double":
            text = text[:i] + text[i] + text[i:]
        else:
            text = text[:i] + rng.choice("aeiounrst") + text[i + 1 :]
    if "accent" in ops:
        text = "".join(_ACCENTS.get(ch, ch) if rng.random() < 0.3 else ch for ch in text)
        text = text.replace("é", "e") if rng.random() < 0.5 else text
    if "punct" in ops:
        text = rng.choice((text.replace(" ", "-", 1), text + ".", text.replace(" ", ", ", 1), f'"{text}"'))
    full = f"{text} {suf}".strip()
    if "case" in ops:
        full = rng.choice((full.upper(), full.lower(), full.title()))
    return full


def synthetic_agencies(
    n_registry: int, n_names: int, *, duplicate_share: float = 0.7, seed: int = 0
) -> tuple[list[Party], list[Party], dict[str, str]]:
    """A registry of ``n_registry`` distinct agency names, ``n_names`` names of which about
    ``duplicate_share`` are noisy variants of registry entries (same country) and the rest
    new agencies, and the truth: name id -> registry id for the duplicates."""
    rng = random.Random(seed)
    registry: list[Party] = []
    suffixes: list[str] = []
    seen: set[tuple[str, str]] = set()
    while len(registry) < n_registry:
        core = f"{rng.choice(_FIRST)} {rng.choice(_SECOND)}"
        if rng.random() < 0.6:
            core = f"{core} {rng.choice(_SECOND)}" if rng.random() < 0.3 else f"{rng.choice(_FIRST)} {core}"
        if rng.random() < 0.5:
            core = f"{core} {rng.randint(1, 999)}" if rng.random() < 0.2 else f"{core} {rng.choice(_TAILS)}"
        country = rng.choice(_COUNTRIES)
        key = (normalise_name(core), country)
        if key in seen:
            continue
        seen.add(key)
        suffix = rng.choice(_SUFFIX)
        suffixes.append(suffix)
        registry.append(Party(f"R{len(registry):06d}", f"{core} {suffix}".strip(), country))
    names: list[Party] = []
    truth: dict[str, str] = {}
    cores = [
        r.name[: len(r.name) - len(s)].strip() if s else r.name
        for r, s in zip(registry, suffixes, strict=True)
    ]
    while len(names) < n_names:
        pid = f"N{len(names):06d}"
        if rng.random() < duplicate_share:
            j = rng.randrange(n_registry)
            names.append(Party(pid, _noisy(cores[j], suffixes[j], rng), registry[j].country))
            truth[pid] = registry[j].id
        else:
            core = f"{rng.choice(_FIRST)} {rng.choice(_FIRST)} {rng.choice(_SECOND)}"
            country = rng.choice(_COUNTRIES)
            if (normalise_name(core), country) in seen:
                continue
            names.append(Party(pid, f"{core} {rng.choice(_SUFFIX)}".strip(), country))
    return registry, names, truth
