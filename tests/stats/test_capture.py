"""Capture-history tables: reading, validation (errors name file, row, column) and tidying."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vigil.errors import InputError
from vigil.stats.capture import CaptureHistories, read_capture_csv

REF = Path(__file__).resolve().parents[3] / "shared/reference/mse"


def write(tmp_path: Path, text: str, name: str = "lists.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_reads_reference_table() -> None:
    h = read_capture_csv(REF / "UKdat.csv")
    assert h.lists == ("LA", "NG", "PF", "GO", "GP", "NCA")
    assert h.n_observed == 2744
    assert h.patterns.shape == (25, 6)
    assert h.overlap("PF", "NCA") == 31 + 3 + 1
    assert h.list_totals()["LA"] == 54 + 15 + 19 + 3 + 1 + 1 + 1


def test_duplicates_merged_and_rows_ordered(tmp_path: Path) -> None:
    p = write(tmp_path, "A,B,count\n1,1,2\n1,0,5\n0,1,3\n1,0,4\n")
    h = read_capture_csv(p)
    assert h.to_rows() == [
        {"A": 1, "B": 0, "count": 9},
        {"A": 0, "B": 1, "count": 3},
        {"A": 1, "B": 1, "count": 2},
    ]
    assert h.cell_counts().tolist() == [0, 9, 3, 2]


def test_count_column_anywhere_and_blank_lines(tmp_path: Path) -> None:
    p = write(tmp_path, "count,X,Y\n4,1,0\n\n2,1,1\n")
    h = read_capture_csv(p)
    assert h.lists == ("X", "Y")
    assert h.n_observed == 6


@pytest.mark.parametrize(
    ("text", "message", "place"),
    [
        ("A,B\n1,0\n", "missing 'count' column", "lists.csv"),
        ("A,B,count\n0,0,3\n", "on no list", "row 1"),
        ("A,B,count\n1,0,3\n1,2,1\n", "0 or 1", "row 2, column B"),
        ("A,B,count\n1,0,3\nyes,1,1\n", "0 or 1", "row 2, column A"),
        ("A,B,count\n1,0,-3\n", "non-negative integer", "row 1, column count"),
        ("A,B,count\n1,0,2.5\n", "non-negative integer", "row 1, column count"),
        ("A,B,count\n1,0,abc\n", "non-negative integer", "row 1, column count"),
        ("A,B,count\n1,0,\n", "count is missing", "row 1, column count"),
        ("A,B,count\n1,0\n", "expected 3 values", "row 1"),
        ("A,A,count\n1,0,1\n", "duplicate list names", "lists.csv"),
        ("A,B,count\n", "no data rows", "lists.csv"),
        ("", "empty file", "lists.csv"),
        ("A,B,count\n1,0,0\n", "all counts are zero", "lists.csv"),
    ],
)
def test_bad_input_names_file_row_and_column(tmp_path: Path, text: str, message: str, place: str) -> None:
    p = write(tmp_path, text)
    with pytest.raises(InputError) as err:
        read_capture_csv(p)
    shown = str(err.value)
    assert message in shown
    assert place in shown
    assert str(p) in shown


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read file"):
        read_capture_csv(tmp_path / "nope.csv")


def test_whole_float_counts_accepted(tmp_path: Path) -> None:
    h = read_capture_csv(write(tmp_path, "A,B,count\n1,0,3.0\n0,1,1\n1,1,2\n"))
    assert h.counts.tolist() == [3, 1, 2]


def test_tidy_with_zero_cells() -> None:
    h = CaptureHistories.from_arrays(["A", "B", "C"], [[1, 0, 0], [1, 1, 0]], [4, 2])
    full = h.tidy(include_zero=True)
    assert full.patterns.shape == (7, 3)
    assert full.n_observed == 6
    # ordered by number of lists, then by code
    assert full.patterns.sum(axis=1).tolist() == [1, 1, 1, 2, 2, 2, 3]


def test_from_arrays_validates() -> None:
    with pytest.raises(InputError, match="row 2, column B"):
        CaptureHistories.from_arrays(["A", "B"], [[1, 0], [0, 3]], [1, 1])
    with pytest.raises(InputError, match="row 1, column count"):
        CaptureHistories.from_arrays(["A", "B"], [[1, 0]], [-1])


def test_merge_and_select_lists() -> None:
    h = read_capture_csv(REF / "UKdat.csv")
    merged = h.merge_lists(["PF", "NCA"], "PFNCA")
    five = read_capture_csv(REF / "UKdat_5.csv")
    assert merged.lists == five.lists
    assert np.array_equal(merged.cell_counts(), five.cell_counts())
    four = merged.select_lists(["LA", "NG", "PFNCA", "GO"])
    ref4 = read_capture_csv(REF / "UKdat_4.csv")
    assert np.array_equal(four.cell_counts(), ref4.cell_counts())


def test_informative_drops_empty_full_and_duplicate_lists() -> None:
    h = CaptureHistories.from_arrays(
        ["A", "B", "C", "D", "E"],
        [[1, 0, 1, 0, 1], [0, 1, 0, 0, 1], [1, 1, 1, 0, 1]],
        [3, 2, 1],
    )
    # D is empty, E holds everyone, C duplicates A
    assert h.informative().lists == ("A", "B")


def test_write_then_read_round_trip(tmp_path: Path) -> None:
    h = read_capture_csv(REF / "Ned_5.csv")
    out = tmp_path / "copy.csv"
    h.write_csv(out)
    again = read_capture_csv(out)
    assert again.lists == h.lists
    assert np.array_equal(again.cell_counts(), h.cell_counts())
