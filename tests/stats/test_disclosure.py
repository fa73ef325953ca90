"""Disclosure control: suppression (with property tests), rounding, k-anonymity."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from vigil.errors import InputError
from vigil.stats.disclosure import (
    check_k_anonymity,
    round_to_base,
    suppress_table,
)


def _constraints(shape: tuple[int, int]) -> np.ndarray:
    """Linear relations of a table augmented with totals: each line sums to its total.

    One column per cell of the augmented (rows+1) x (cols+1) table, row-major.
    """
    rows, cols = shape[0] - 1, shape[1] - 1
    width = shape[0] * shape[1]
    index = np.arange(width).reshape(shape)
    relations = []
    for i in range(rows + 1):  # interior rows, and the row of column totals
        line = np.zeros(width)
        line[index[i, :cols]] = 1
        line[index[i, cols]] = -1
        relations.append(line)
    for j in range(cols + 1):  # interior columns, and the column of row totals
        line = np.zeros(width)
        line[index[:rows, j]] = 1
        line[index[rows, j]] = -1
        relations.append(line)
    return np.array(relations)


def _recoverable(cells: np.ndarray, hidden: np.ndarray) -> list[tuple[int, int]]:
    """Hidden cells whose value follows from the published cells by linear algebra."""
    relations = _constraints(cells.shape)
    unknown = np.flatnonzero(hidden.ravel())
    if len(unknown) == 0:
        return []
    a = relations[:, unknown]
    rank = np.linalg.matrix_rank(a)
    found = []
    for position, flat in enumerate(unknown):
        probe = np.zeros(len(unknown))
        probe[position] = 1
        if np.linalg.matrix_rank(np.vstack([a, probe])) == rank:
            found.append(tuple(int(v) for v in np.unravel_index(flat, cells.shape)))
    return found


def _interval(cells: np.ndarray, hidden: np.ndarray, target: int) -> tuple[float, float]:
    """Smallest and largest value of hidden cell ``target`` given the published cells."""
    relations = _constraints(cells.shape)
    unknown = np.flatnonzero(hidden.ravel())
    known = np.flatnonzero(~hidden.ravel())
    a = relations[:, unknown]
    b = -relations[:, known] @ cells.ravel()[known]
    c = np.zeros(len(unknown))
    c[list(unknown).index(target)] = 1
    low = linprog(c, A_eq=a, b_eq=b, bounds=(0, None), method="highs")
    high = linprog(-c, A_eq=a, b_eq=b, bounds=(0, None), method="highs")
    assert low.status == 0 and high.status in (0, 3)  # 3: unbounded (every total hidden)
    return float(low.fun), (float(-high.fun) if high.status == 0 else float("inf"))


tables = st.integers(min_value=1, max_value=6).flatmap(
    lambda rows: st.integers(min_value=1, max_value=6).flatmap(
        lambda cols: st.lists(
            st.lists(st.integers(min_value=0, max_value=40), min_size=cols, max_size=cols),
            min_size=rows,
            max_size=rows,
        )
    )
)


@given(tables, st.integers(min_value=1, max_value=15), st.booleans())
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_no_suppressed_cell_can_be_recovered_from_margins(
    table: list[list[int]], k: int, zeros: bool
) -> None:
    result = suppress_table(table, k, suppress_zeros=zeros)
    cells = result.cells
    assert np.array_equal(cells[:-1, :-1], np.array(table, dtype=float))
    small = (cells < k) if zeros else ((cells > 0) & (cells < k))
    assert (result.suppressed | ~small).all()  # every small cell (and total) is hidden
    assert (result.primary == small).all()
    assert _recoverable(cells, result.suppressed) == []
    published = result.published()
    for i, row in enumerate(published):
        for j, value in enumerate(row):
            assert (value is None) == bool(result.suppressed[i, j])


@given(
    st.lists(
        st.lists(st.integers(min_value=1, max_value=30), min_size=3, max_size=5),
        min_size=2,
        max_size=5,
    ).filter(lambda t: len({len(r) for r in t}) == 1)
)
@settings(max_examples=60, deadline=None)
def test_positive_tables_leave_every_hidden_cell_an_interval(table: list[list[int]]) -> None:
    result = suppress_table(table, 11)
    cells, hidden = result.cells, result.suppressed
    for flat in np.flatnonzero(hidden.ravel()):
        low, high = _interval(cells, hidden, int(flat))
        assert high - low > 0.5, (np.unravel_index(flat, cells.shape), low, high)


def test_small_example_by_hand() -> None:
    result = suppress_table([[20, 3, 15], [12, 18, 30], [25, 14, 9]], k=11)
    assert result.primary[:3, :3].tolist() == [
        [False, True, False],
        [False, False, False],
        [False, False, True],
    ]
    # the two small cells alone share no row or column: two more cells close the cycle
    hidden = {(int(i), int(j)) for i, j in zip(*np.nonzero(result.suppressed), strict=True)}
    assert (0, 1) in hidden and (2, 2) in hidden
    assert len(hidden) == 4
    assert not result.suppressed[3, :].any() and not result.suppressed[:, 3].any()
    assert result.published()[3][3] == 146


def test_small_total_is_hidden_and_protected() -> None:
    result = suppress_table([[2, 3], [40, 50]], k=11)
    assert result.primary[0, 2]  # row total 5
    assert _recoverable(result.cells, result.suppressed) == []
    kept = suppress_table([[2, 3], [40, 50]], k=11, protect_margins=False)
    assert not kept.primary[0, 2]
    assert _recoverable(kept.cells, kept.suppressed) == []


def test_without_published_totals_only_small_cells_are_hidden() -> None:
    result = suppress_table([[20, 3], [12, 18]], margins=False)
    assert result.suppressed.tolist() == [[False, True], [False, False]]
    assert result.interior.shape == (2, 2)
    assert result.published() == [[20, None], [12, 18]]


def test_one_dimensional_table() -> None:
    result = suppress_table([30, 4, 25, 40])
    assert result.cells.shape == (2, 5)
    assert _recoverable(result.cells, result.suppressed) == []
    assert result.suppressed[0, 1] and result.suppressed[0].sum() >= 2
    assert result.secondary.any()


def test_bad_tables() -> None:
    for bad in ([], [["a", 1]], [[1, -2]], [[1, float("nan")]], [[[1]]]):
        with pytest.raises(InputError):
            suppress_table(bad)
    with pytest.raises(InputError, match="k must be"):
        suppress_table([[1]], k=0)


# --- rounding ----------------------------------------------------------------------------


def test_round_to_nearest_base() -> None:
    assert round_to_base([0, 1, 2, 3, 7, 10, 12, 13], 5).tolist() == [0, 0, 0, 5, 5, 10, 10, 15]
    assert round_to_base([[4, 6], [9, 11]], 10).tolist() == [[0, 10], [10, 10]]
    assert round_to_base(2.5, 5).tolist() == 5


@given(st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=50))
def test_random_rounding_stays_between_neighbouring_multiples(values: list[int]) -> None:
    rounded = round_to_base(values, 5, method="random", seed=1)
    array = np.array(values)
    assert (rounded % 5 == 0).all()
    assert (np.abs(rounded - array) < 5).all()
    assert (rounded[array % 5 == 0] == array[array % 5 == 0]).all()
    assert round_to_base(values, 5, method="random", seed=1).tolist() == rounded.tolist()


def test_random_rounding_is_unbiased() -> None:
    draws = round_to_base(np.full(20000, 7), 5, method="random", seed=42)
    assert set(draws.tolist()) == {5, 10}
    assert abs(draws.mean() - 7) < 0.1


def test_bad_rounding() -> None:
    with pytest.raises(InputError):
        round_to_base([1], 0)
    with pytest.raises(InputError):
        round_to_base([1], 5, method="banker")  # type: ignore[arg-type]
    with pytest.raises(InputError):
        round_to_base([float("inf")], 5)


# --- k-anonymity -----------------------------------------------------------------------------


def test_k_anonymity_lists_offending_combinations() -> None:
    records = (
        [{"sex": "F", "age": "18-24", "region": "N"}] * 12
        + [{"sex": "M", "age": "18-24", "region": "N"}] * 3
        + [{"sex": "M", "age": "25-34", "region": None}] * 1
    )
    report = check_k_anonymity(records, ["sex", "age", "region"], k=5)
    assert not report.satisfied
    assert report.smallest == 1
    assert report.records_at_risk == 4
    assert report.offending.to_dicts() == [
        {"sex": "M", "age": "25-34", "region": None, "count": 1},
        {"sex": "M", "age": "18-24", "region": "N", "count": 3},
    ]
    assert check_k_anonymity(records, ["region"], k=1).satisfied
    assert check_k_anonymity(pl.DataFrame(records), "sex", k=4).satisfied


@given(st.lists(st.tuples(st.sampled_from("ab"), st.integers(0, 3)), max_size=60))
def test_k_anonymity_agrees_with_counting(rows: list[tuple[str, int]]) -> None:
    frame = pl.DataFrame(rows, schema=["g", "h"], orient="row")
    report = check_k_anonymity(frame, ["g", "h"], k=3)
    counts: dict[tuple[str, int], int] = {}
    for row in rows:
        counts[row] = counts.get(row, 0) + 1
    expected = sorted((c, key) for key, c in counts.items() if c < 3)
    got = sorted((r["count"], (r["g"], r["h"])) for r in report.offending.to_dicts())
    assert got == expected
    assert report.satisfied == (not expected)


def test_bad_k_anonymity_input() -> None:
    with pytest.raises(InputError, match="no column 'age'"):
        check_k_anonymity({"sex": ["F"]}, ["age"])
    with pytest.raises(InputError, match="at least one"):
        check_k_anonymity({"sex": ["F"]}, [])
    with pytest.raises(InputError, match="k must be"):
        check_k_anonymity({"sex": ["F"]}, ["sex"], k=0)
