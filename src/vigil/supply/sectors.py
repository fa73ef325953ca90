"""Inherent risk of the high-risk sectors named in the seed documents, by ISIC Rev.4 code.

Shipped as versioned data, ``data/isic_sector_priors_v1.csv`` (``VERSION``): one row per sector
with its ISIC Rev.4 code (a section letter, or a section letter and a division), the seeds' name
for it, the prior and where the seeds name it (file, line, the words). The seeds rank no sector
above another with numbers, so the priors are parameters: 0.4 for a sector the seeds name among
those where trafficking for forced labour is detected most often, 0.3 for the broad sections
(manufacturing as a whole, retail), 0.5 for domestic work, which the seeds single out as the
most vulnerable and least protected. Sectors the seeds name that are not supply-chain sectors
(organised begging, petty crime, the sex sector) are not in the table: a prior is about a
supplier's work, never about who the workers are.

A node's ``sector`` may be an ISIC code (``C14``, ``14``, ``1410``: a class is looked up by its
division, then its section) or one of the labels (``garment``). ``tvpra_sector`` gives the TVPRA
list's sector of a section letter, so ``A`` also finds the list's agriculture rows.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources

from vigil.errors import InputError

VERSION = "Vigil ISIC sector priors v1"
FILE = "isic_sector_priors_v1.csv"
COLUMNS = ("isic", "label", "prior", "seed", "seed_line", "quote")

# ISIC Rev.4 divisions of each section (the two-digit code of a division names its section)
_SECTION_OF_DIVISION = {
    **dict.fromkeys(range(1, 4), "A"), **dict.fromkeys(range(5, 10), "B"),
    **dict.fromkeys(range(10, 34), "C"), 35: "D", **dict.fromkeys(range(36, 40), "E"),
    **dict.fromkeys(range(41, 44), "F"), **dict.fromkeys(range(45, 48), "G"),
    **dict.fromkeys(range(49, 54), "H"), **dict.fromkeys(range(55, 57), "I"),
    **dict.fromkeys(range(58, 64), "J"), **dict.fromkeys(range(64, 67), "K"), 68: "L",
    **dict.fromkeys(range(69, 76), "M"), **dict.fromkeys(range(77, 83), "N"), 84: "O", 85: "P",
    **dict.fromkeys(range(86, 89), "Q"), **dict.fromkeys(range(90, 94), "R"),
    **dict.fromkeys(range(94, 97), "S"), **dict.fromkeys(range(97, 99), "T"), 99: "U",
}
_TVPRA_SECTOR = {"A": "Agriculture", "B": "Mining", "C": "Manufacturing"}


@dataclass(frozen=True)
class SectorPrior:
    row: int  # row of the shipped file (the header is row 1)
    isic: str
    label: str
    value: float
    seed: str
    seed_line: int
    quote: str

    @property
    def source(self) -> str:
        return (f"{VERSION} ({FILE}, row {self.row}): ISIC {self.isic} {self.label}, named in seed "
                f"{self.seed}, line {self.seed_line}: \"{self.quote}\"")


def parse(text: str, name: str = FILE) -> tuple[SectorPrior, ...]:
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise InputError(f"missing column {missing[0]}", f"{name}, row 1")
    out = []
    seen: set[str] = set()
    for n, r in enumerate(reader, start=2):
        place = f"{name}, row {n}"
        code = r["isic"].strip().upper()
        if code in seen:
            raise InputError(f"duplicate code {code}", f"{place}, column isic")
        seen.add(code)
        if split_code(code) is None:
            raise InputError(f"not an ISIC Rev.4 section or division: {code!r}", f"{place}, column isic")
        try:
            value = float(r["prior"])
            line = int(r["seed_line"])
        except ValueError:
            raise InputError("prior or seed_line is not a number", place) from None
        if not 0 <= value <= 1:
            raise InputError(f"{value} is outside 0..1", f"{place}, column prior")
        out.append(SectorPrior(n, code, r["label"].strip(), value, r["seed"].strip(), line,
                               " ".join(r["quote"].split())))
    return tuple(out)


@cache
def shipped() -> tuple[SectorPrior, ...]:
    return parse(resources.files("vigil.supply").joinpath(f"data/{FILE}").read_text(encoding="utf-8"))


def split_code(text: str) -> tuple[str, int | None] | None:
    """(section, division or None) of an ISIC Rev.4 code: ``C``, ``C14``, ``14``, ``1410``,
    ``C1410``; None when the text is not one."""
    t = text.strip().upper().replace(".", "")
    letter = t[:1] if t[:1].isalpha() else ""
    digits = t[len(letter):]
    if not digits:
        return (letter, None) if len(letter) == 1 and letter in set(_SECTION_OF_DIVISION.values()) else None
    if not digits.isdigit() or len(digits) not in (2, 3, 4):
        return None
    division = int(digits[:2])
    section = _SECTION_OF_DIVISION.get(division)
    if section is None or (letter and letter != section):
        return None
    return section, division


def sector_prior(sector: str, table: tuple[SectorPrior, ...] | None = None) -> SectorPrior | None:
    """The prior of the division of ``sector``, else of its section, else of the label."""
    rows = shipped() if table is None else table
    code = split_code(sector)
    if code is not None:
        section, division = code
        by_code = {r.isic: r for r in rows}
        if division is not None and f"{section}{division:02d}" in by_code:
            return by_code[f"{section}{division:02d}"]
        return by_code.get(section)
    key = " ".join(sector.lower().split())
    for r in rows:
        if r.label == key:
            return r
    return None


def tvpra_sector(sector: str) -> str:
    """The TVPRA list's sector (Agriculture, Mining, Manufacturing) of an ISIC section letter,
    else the text itself (the list's own sector names are accepted as they are). A division is
    narrower than the list's sectors: its goods are joined by the ``good`` column, not by the
    list's sector, so a garment maker is not given the dried fish of its country."""
    code = split_code(sector)
    if code is None:
        return sector
    section, division = code
    return _TVPRA_SECTOR.get(section, sector) if division is None else sector
