"""Safe publication of counts: small-cell suppression, rounding and k-anonymity.

Pure functions over plain tables (nested lists, numpy arrays, polars DataFrames).

* :func:`suppress_table` hides every count below ``k`` (default 11; zeros are published unless
  asked) and then hides as few other cells as it can so that the published row, column and
  grand totals cannot give any hidden cell back. A hidden cell can be recovered by
  arithmetic exactly when it is not on any cycle of hidden cells (rows and columns as
  nodes, hidden cells as edges: a *bridge*). Secondary suppression therefore adds, for every
  bridge, the cheapest path of further cells that closes a cycle through it (a shortest path,
  small non-zero interior cells first, totals last). The totals are part of the table: a
  total below ``k`` is hidden too (``protect_margins``) and then protected like any cell.
* :func:`round_to_base` rounds counts to a base (5 by default), to the nearest multiple or at
  random (unbiased: up with probability remainder/base).
* :func:`check_k_anonymity` lists the combinations of quasi-identifiers shared by fewer than
  ``k`` records of a microdata export.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import polars as pl

from vigil.errors import InputError

DEFAULT_K = 11
"""Smallest count published (counts 1..10 are hidden)."""

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class SuppressedTable:
    """A table with its totals and which cells are hidden.

    ``cells`` is the table augmented with totals: ``cells[i, -1]`` are row totals,
    ``cells[-1, j]`` column totals and ``cells[-1, -1]`` the grand total (when ``margins``
    is false the last row and column are absent). ``primary`` marks cells hidden for being
    small, ``suppressed`` every hidden cell (primary and secondary).
    """

    cells: FloatArray
    primary: BoolArray
    suppressed: BoolArray
    k: int
    margins: bool

    @property
    def secondary(self) -> BoolArray:
        """Cells hidden only to protect others."""
        return self.suppressed & ~self.primary

    @property
    def interior(self) -> FloatArray:
        """The table without its totals."""
        return self.cells[:-1, :-1] if self.margins else self.cells

    def published(self) -> list[list[int | float | None]]:
        """The table (with totals when ``margins``) with ``None`` in every hidden cell."""
        return [
            [None if hidden else _plain_number(value) for value, hidden in zip(row, mask, strict=True)]
            for row, mask in zip(self.cells, self.suppressed, strict=True)
        ]


def _plain_number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def _as_matrix(table: Any) -> FloatArray:
    try:
        matrix = np.asarray(table, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError("a table must hold numbers only (counts)") from None
    if matrix.ndim == 1:
        matrix = matrix[None, :]
    if matrix.ndim != 2 or matrix.size == 0:
        raise InputError("a table must be a non-empty list of rows of counts")
    if not np.isfinite(matrix).all() or (matrix < 0).any():
        raise InputError("counts must be finite and non-negative")
    return matrix


def suppress_table(
    table: Any,
    k: int = DEFAULT_K,
    *,
    margins: bool = True,
    protect_margins: bool = True,
    suppress_zeros: bool = False,
) -> SuppressedTable:
    """Hide small counts of a 2-D table (1-D is one row) so no hidden count can be recovered.

    ``margins``: the row, column and grand totals are published with the table (then
    secondary suppression is needed; without published totals it is not). ``protect_margins``:
    totals below ``k`` are hidden too. ``suppress_zeros``: hide zero counts as well.
    """
    if k < 1:
        raise InputError(f"k must be at least 1, found {k}")
    interior = _as_matrix(table)
    if margins:
        rows, cols = interior.shape
        cells = np.zeros((rows + 1, cols + 1), dtype=np.float64)
        cells[:rows, :cols] = interior
        cells[:rows, cols] = interior.sum(axis=1)
        cells[rows, :cols] = interior.sum(axis=0)
        cells[rows, cols] = interior.sum()
    else:
        cells = interior.copy()
    small = cells < k if suppress_zeros else (cells > 0) & (cells < k)
    primary = small.copy()
    if margins and not protect_margins:
        primary[-1, :] = False
        primary[:, -1] = False
    suppressed = primary.copy()
    if margins and primary.any():
        _secondary(cells, suppressed)
    return SuppressedTable(cells=cells, primary=primary, suppressed=suppressed, k=k, margins=margins)


def _costs(cells: FloatArray) -> FloatArray:
    """Cost of hiding each cell: small non-zero interior cells first, zeros, then totals."""
    total = float(cells[-1, -1]) + 1.0
    cost = cells.copy()
    cost[cells == 0] = total
    cost[-1, :] += 2 * total
    cost[:, -1] += 2 * total
    return cost + 1e-9  # a positive cost even for tiny values: fewer cells when tied


def _secondary(cells: FloatArray, suppressed: BoolArray) -> None:
    """Add hidden cells until no hidden cell is a bridge (in place)."""
    cost = _costs(cells)
    while True:
        bridges = _bridges(suppressed)
        if not bridges:
            return
        # protect the smallest exposed cell first
        i, j = min(bridges, key=lambda cell: (cells[cell], cell))
        path = _cheapest_path(cost, suppressed, i, j)
        if path is None:  # pragma: no cover - a complete bipartite graph always has one
            raise InputError("table too small to protect its hidden cells")
        for cell in path:
            suppressed[cell] = True


def _bridges(suppressed: BoolArray) -> list[tuple[int, int]]:
    """Hidden cells that lie on no cycle of hidden cells (rows + columns as nodes)."""
    rows, cols = suppressed.shape
    nodes = rows + cols
    adjacency: list[list[tuple[int, int]]] = [[] for _ in range(nodes)]
    edges = list(zip(*np.nonzero(suppressed), strict=True))
    for index, (i, j) in enumerate(edges):
        adjacency[int(i)].append((rows + int(j), index))
        adjacency[rows + int(j)].append((int(i), index))
    order = [-1] * nodes
    low = [0] * nodes
    counter = 0
    found: list[tuple[int, int]] = []
    for root in range(nodes):
        if order[root] != -1 or not adjacency[root]:
            continue
        order[root] = low[root] = counter
        counter += 1
        stack: list[tuple[int, int, int]] = [(root, -1, 0)]  # node, edge in, next neighbour
        while stack:
            node, via, position = stack[-1]
            if position < len(adjacency[node]):
                stack[-1] = (node, via, position + 1)
                neighbour, edge = adjacency[node][position]
                if edge == via:
                    continue
                if order[neighbour] == -1:
                    order[neighbour] = low[neighbour] = counter
                    counter += 1
                    stack.append((neighbour, edge, 0))
                else:
                    low[node] = min(low[node], order[neighbour])
            else:
                stack.pop()
                if stack:
                    parent = stack[-1][0]
                    low[parent] = min(low[parent], low[node])
                    if low[node] > order[parent]:
                        i, j = edges[via]
                        found.append((int(i), int(j)))
    return found


def _cheapest_path(
    cost: FloatArray, suppressed: BoolArray, row: int, col: int
) -> list[tuple[int, int]] | None:
    """Cells (other than (row, col)) forming the cheapest path from ``row`` to ``col``.

    Hidden cells cost nothing; the path with the cell (row, col) closes a cycle.
    """
    rows, cols = cost.shape
    nodes = rows + cols
    target = rows + col
    distance = [np.inf] * nodes
    previous: list[tuple[int, tuple[int, int]] | None] = [None] * nodes
    distance[row] = 0.0
    queue: list[tuple[float, int]] = [(0.0, row)]
    while queue:
        dist, node = heapq.heappop(queue)
        if dist > distance[node]:
            continue
        if node == target:
            break
        if node < rows:
            neighbours = [(rows + j, (node, j)) for j in range(cols)]
        else:
            neighbours = [(i, (i, node - rows)) for i in range(rows)]
        for neighbour, cell in neighbours:
            if cell == (row, col):
                continue
            step = 0.0 if suppressed[cell] else float(cost[cell])
            if dist + step < distance[neighbour]:
                distance[neighbour] = dist + step
                previous[neighbour] = (node, cell)
                heapq.heappush(queue, (dist + step, neighbour))
    if not np.isfinite(distance[target]):
        return None
    path: list[tuple[int, int]] = []
    node = target
    while node != row:
        link = previous[node]
        assert link is not None
        node, cell = link
        path.append(cell)
    return [cell for cell in path if not suppressed[cell]]


def round_to_base(
    values: Any,
    base: int = 5,
    *,
    method: Literal["nearest", "random"] = "nearest",
    seed: int | np.random.Generator | None = None,
) -> npt.NDArray[np.int64]:
    """Round counts to multiples of ``base``.

    ``nearest``: the nearest multiple (halves go up), the same every time. ``random``:
    down or up, up with probability remainder/base, so the expected value is the count
    (unbiased); give ``seed`` for a reproducible draw. Multiples of ``base`` never change.
    """
    if base < 1:
        raise InputError(f"rounding base must be at least 1, found {base}")
    array = np.asarray(values, dtype=np.float64)
    if not np.isfinite(array).all():
        raise InputError("only finite counts can be rounded")
    lower = np.floor(array / base) * base
    remainder = array - lower
    if method == "nearest":
        rounded = np.where(remainder * 2 >= base, lower + base, lower)
    elif method == "random":
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        up = rng.random(array.shape) < remainder / base
        rounded = np.where(up, lower + base, lower)
    else:
        raise InputError(f"rounding method must be nearest or random, found {method!r}")
    return rounded.astype(np.int64)


@dataclass(frozen=True)
class KAnonymityReport:
    """Result of :func:`check_k_anonymity`.

    ``offending`` has the quasi-identifier columns and ``count`` for every combination held
    by fewer than ``k`` records (smallest first); ``smallest`` is the size of the smallest
    combination overall.
    """

    k: int
    quasi_identifiers: tuple[str, ...]
    smallest: int
    offending: pl.DataFrame

    @property
    def satisfied(self) -> bool:
        """True when every combination is shared by at least ``k`` records."""
        return self.offending.height == 0

    @property
    def records_at_risk(self) -> int:
        """How many records fall in an offending combination."""
        return int(self.offending.get_column("count").sum()) if self.offending.height else 0


def check_k_anonymity(
    data: pl.DataFrame | Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Any]],
    quasi_identifiers: Sequence[str],
    k: int = DEFAULT_K,
) -> KAnonymityReport:
    """Check that every combination of ``quasi_identifiers`` occurs at least ``k`` times.

    ``data`` is a DataFrame, a mapping of columns or a list of records. Missing values count
    as a value of their own.
    """
    if k < 1:
        raise InputError(f"k must be at least 1, found {k}")
    if isinstance(quasi_identifiers, str):
        quasi_identifiers = [quasi_identifiers]
    names = list(quasi_identifiers)
    if not names:
        raise InputError("name at least one quasi-identifier column")
    frame = data if isinstance(data, pl.DataFrame) else pl.DataFrame(data)
    for name in names:
        if name not in frame.columns:
            raise InputError(
                f"no column {name!r} among the quasi-identifiers' data; "
                f"columns are: {', '.join(frame.columns)}"
            )
    if frame.height == 0:
        empty = pl.DataFrame(schema={**{n: frame.schema[n] for n in names}, "count": pl.UInt32})
        return KAnonymityReport(k, tuple(names), 0, empty)
    counts = frame.group_by(names).len(name="count")
    smallest = int(counts.get_column("count").min())  # type: ignore[arg-type]
    offending = counts.filter(pl.col("count") < k).sort(["count", *names], nulls_last=True)
    return KAnonymityReport(k, tuple(names), smallest, offending)
