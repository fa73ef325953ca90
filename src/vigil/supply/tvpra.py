"""The US DOL ILAB list of goods produced by child or forced labour (TVPRA list, 2022 edition),
shipped as ``data/tvpra_2022.csv``: ILAB's rows with the country normalised to ISO 3166-1
alpha-3 and the row number of the reference file kept (``source_row``, the header is row 1).

``build_normalised`` makes that file from ILAB's CSV (``scripts/supply_tvpra.py`` runs it); an
updated list can be loaded with ``load_tvpra(path)``.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from vigil.errors import InputError
from vigil.io.limits import check_row_count
from vigil.supply.countries import to_alpha3

EDITION = "ILAB TVPRA list 2022"
SOURCE_COLUMNS = ("good", "sector", "country", "child_labor", "forced_labor", "forced_child_labor",
                  "derived_labor_exploitation", "derived_country")
COLUMNS = ("source_row", "good", "sector", "country", "iso3", "child_labor", "forced_labor",
           "forced_child_labor", "derived_labor_exploitation", "derived_iso3")


@dataclass(frozen=True)
class ListedGood:
    source_row: int
    good: str
    sector: str
    country: str
    iso3: str
    child_labor: bool
    forced_labor: bool
    forced_child_labor: bool
    derived: bool
    derived_iso3: str
    edition: str = EDITION

    @property
    def source(self) -> str:
        return f"{self.edition}, row {self.source_row} ({self.good}, {self.country})"


def _yes(value: str, place: str) -> bool:
    v = value.strip().lower()
    if v not in ("yes", "no"):
        raise InputError(f"expected Yes or No, got {value!r}", place)
    return v == "yes"


def build_normalised(source: str | Path) -> str:
    """The shipped CSV text from ILAB's CSV (columns of the reference file); all or nothing."""
    name = Path(source).name
    with open(source, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in SOURCE_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise InputError(f"missing column {missing[0]}", f"{name}, row 1")
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        for n, row in enumerate(reader, start=2):
            place = f"{name}, row {n}"
            derived = _yes(row["derived_labor_exploitation"], f"{place}, column derived_labor_exploitation")
            dc = row["derived_country"].strip()
            writer.writerow([
                n, row["good"].strip(), row["sector"].strip(), row["country"].strip(),
                to_alpha3(row["country"], f"{place}, column country"),
                *(row[c].strip() for c in ("child_labor", "forced_labor", "forced_child_labor")),
                "Yes" if derived else "No",
                to_alpha3(dc, f"{place}, column derived_country") if derived and dc != "No" else "",
            ])
    return out.getvalue()


def _parse(text: str, name: str, edition: str = EDITION, *, limited: bool = False) -> tuple[ListedGood, ...]:
    """The rows of a list; ``limited``: a user's file, held to the import limit (vigil.io.limits)."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise InputError(f"missing column {missing[0]}", f"{name}, row 1")
    rows = []
    for n, r in enumerate(reader, start=2):
        place = f"{name}, row {n}"
        try:
            source_row = int(r["source_row"])
        except ValueError:
            raise InputError("source_row is not a whole number", f"{place}, column source_row") from None
        rows.append(ListedGood(
            source_row, r["good"], r["sector"], r["country"], to_alpha3(r["iso3"], f"{place}, column iso3"),
            _yes(r["child_labor"], f"{place}, column child_labor"),
            _yes(r["forced_labor"], f"{place}, column forced_labor"),
            _yes(r["forced_child_labor"], f"{place}, column forced_child_labor"),
            _yes(r["derived_labor_exploitation"], f"{place}, column derived_labor_exploitation"),
            r["derived_iso3"], edition,
        ))
        if limited:
            check_row_count(len(rows), name)
    return tuple(rows)


@cache
def shipped_tvpra() -> tuple[ListedGood, ...]:
    text = resources.files("vigil.supply").joinpath("data/tvpra_2022.csv").read_text(encoding="utf-8")
    return _parse(text, "tvpra_2022.csv")


def load_tvpra(path: str | Path | None = None) -> tuple[ListedGood, ...]:
    """The shipped list, or a normalised list in the shipped format at ``path``."""
    if path is None:
        return shipped_tvpra()
    p = Path(path)
    if not p.is_file():
        raise InputError("no such file", str(path))
    return _parse(p.read_text(encoding="utf-8"), p.name, f"TVPRA list {p.name}", limited=True)
