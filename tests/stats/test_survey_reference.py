"""Every value and SE R ``survey`` 4.1.1 printed for the api samples, to 1e-6 relative.

The rows of ``r_survey_reference.csv`` are named ``<design>.<statistic>.<variable>`` with an
optional ``.by_<column>.<level>``; the designs are those of the reference README. Nothing is
hard-coded here but the designs: variable names and levels are resolved from the data.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import polars as pl
import pytest

from vigil.io.tables import read_table
from vigil.stats.design import DesignSpec
from vigil.stats.survey import Mean, Proportion, Statistic, Total, estimate

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "survey"

DESIGNS: dict[str, tuple[str, DesignSpec]] = {
    "apistrat": ("apistrat.csv", DesignSpec(strata=("stype",), weights="pw", fpc=("fpc",))),
    "apistrat_nofpc": ("apistrat.csv", DesignSpec(strata=("stype",), weights="pw")),
    "apiclus1": ("apiclus1.csv", DesignSpec(ids=("dnum",), weights="pw", fpc=("fpc",))),
    "apiclus1_nofpc": ("apiclus1.csv", DesignSpec(ids=("dnum",), weights="pw")),
}


def _rows() -> list[dict[str, str]]:
    with (REFERENCE / "r_survey_reference.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def _column(frame: pl.DataFrame, token: str) -> str:
    """The column whose name, without punctuation, is ``token`` (``schwide`` -> ``sch.wide``)."""
    matches = [name for name in frame.columns if re.sub(r"\W", "", name) == token]
    assert len(matches) == 1, (token, matches)
    return matches[0]


def _level(frame: pl.DataFrame, column: str, token: str) -> str:
    values = [v for v in frame.get_column(column).unique().to_list() if v is not None]
    matches = [v for v in values if str(v).lower() == token.lower()]
    assert len(matches) == 1, (column, token, values)
    return str(matches[0])


def _parse(name: str, frame: pl.DataFrame) -> tuple[Statistic, str | None, str | None]:
    parts = name.split(".")
    kind, token = parts[1], parts[2]
    by = level = None
    if len(parts) > 3:
        assert parts[3].startswith("by_"), name
        by = _column(frame, parts[3][3:])
        level = parts[4]
    statistic: Statistic
    if kind == "mean":
        statistic = Mean(_column(frame, token))
    elif kind == "total":
        statistic = Total(_column(frame, token))
    elif kind == "prop":
        variable_token, _, level_token = token.rpartition("_")
        column = _column(frame, variable_token)
        statistic = Proportion(column, _level(frame, column, level_token))
    else:  # pragma: no cover - a new kind of row must be added here
        raise AssertionError(f"unknown statistic in {name}")
    return statistic, by, level


ROWS = _rows()


def test_reference_file_covers_both_samples() -> None:
    designs = {row["estimate"].split(".")[0] for row in ROWS}
    assert designs == set(DESIGNS)
    assert len(ROWS) >= 14


@pytest.mark.parametrize("row", ROWS, ids=[row["estimate"] for row in ROWS])
def test_matches_r_survey(row: dict[str, str]) -> None:
    design_name = row["estimate"].split(".")[0]
    file_name, spec = DESIGNS[design_name]
    frame = read_table(REFERENCE / file_name)
    statistic, by, level = _parse(row["estimate"], frame)
    results = estimate(frame, spec, [statistic], by=by)
    if by is None:
        assert len(results) == 1
        result = results[0]
    else:
        chosen = [r for r in results if str(r.domain[by]) == level]
        assert len(chosen) == 1
        result = chosen[0]
    assert result.value == pytest.approx(float(row["value"]), rel=1e-6)
    assert result.se == pytest.approx(float(row["se"]), rel=1e-6)
