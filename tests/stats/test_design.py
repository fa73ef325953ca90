"""Design files: parsing, validation against the data, and error places."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from vigil.errors import InputError
from vigil.stats.design import DesignSpec, design_columns, load_design, parse_design


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "design.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_full_design_file(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "ids: [dnum, snum]\nstrata: [stype]\nweights: pw\nfpc: [fpc1, fpc2]\nnest: true\n",
    )
    spec = load_design(path)
    assert spec == DesignSpec(
        ids=("dnum", "snum"),
        strata=("stype",),
        weights="pw",
        fpc=("fpc1", "fpc2"),
        nest=True,
        source=str(path),
    )
    assert spec.stages == 2
    assert spec.keyed_columns() == [
        ("ids", "dnum"),
        ("ids", "snum"),
        ("strata", "stype"),
        ("weights", "pw"),
        ("fpc", "fpc1"),
        ("fpc", "fpc2"),
    ]


@pytest.mark.parametrize("ids", ["[]", "1", "0", "'~1'", "[1]", "null"])
def test_no_clusters(tmp_path: Path, ids: str) -> None:
    spec = load_design(_write(tmp_path, f"ids: {ids}\nstrata: stype\nweights: pw\n"))
    assert spec.ids == () and spec.stages == 1 and spec.strata == ("stype",)


def test_single_names_become_lists() -> None:
    spec = parse_design({"ids": "dnum", "fpc": "fpc", "weights": "pw"})
    assert spec.ids == ("dnum",) and spec.fpc == ("fpc",)
    assert parse_design({"ids": []}).weights is None


@pytest.mark.parametrize(
    ("text", "message", "place"),
    [
        ("", "design file is empty", ""),
        ("- ids\n- strata\n", "must be a mapping", ""),
        ("strat: stype\n", "unknown key 'strat'", ", key 'strat'"),
        ("ids: {a: 1}\n", "ids must be a column name", ", key 'ids'"),
        ("ids: [dnum, 3]\n", "entry 2 of ids", ", key 'ids'"),
        ("ids: ''\n", "empty text", ", key 'ids'"),
        ("strata: [a, b]\n", "2 strata columns for a 1-stage design", ", key 'strata'"),
        ("ids: [a]\nfpc: [f1, f2]\n", "2 fpc columns for a 1-stage design", ", key 'fpc'"),
        ("weights: [pw]\n", "weights must be one column name", ", key 'weights'"),
        ("weights: pw\nnest: yes please\n", "nest must be true or false", ", key 'nest'"),
        ("ids: [a\n", "not valid YAML", ", line 2"),
    ],
)
def test_bad_design_files(tmp_path: Path, text: str, message: str, place: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(InputError, match=message) as info:
        load_design(path)
    assert info.value.place == f"{path}{place}"


def test_missing_and_unreadable_design_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="design file not found"):
        load_design(tmp_path / "absent.yaml")
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(InputError, match="cannot read design file"):
        load_design(binary)


FRAME = pl.DataFrame(
    {
        "psu": [1, 1, 2, 3],
        "stratum": ["a", "a", "b", "b"],
        "w": [1.5, 1.5, 2.0, 2.0],
        "text_w": ["1.5", "1.5", " 2 ", "2"],
        "fpc": [10, 10, 20, 20],
    }
)


def test_design_columns_converts_numeric_text() -> None:
    spec = DesignSpec(ids=("psu",), strata=("stratum",), weights="text_w", fpc=("fpc",))
    columns = design_columns(spec, FRAME, "survey.csv")
    assert columns.weights is not None and columns.weights.tolist() == [1.5, 1.5, 2.0, 2.0]
    assert columns.fpc[0].tolist() == [10.0, 10.0, 20.0, 20.0]
    assert [s.name for s in columns.ids] == ["psu"] and columns.n == 4


@pytest.mark.parametrize(
    ("spec", "frame", "message", "place"),
    [
        (
            DesignSpec(ids=("cluster",), source="d.yaml"),
            FRAME,
            "no column 'cluster' in survey.csv; columns are: psu, stratum",
            "d.yaml, key 'ids'",
        ),
        (
            DesignSpec(fpc=("N",), source="d.yaml"),
            FRAME,
            "no column 'N'",
            "d.yaml, key 'fpc'",
        ),
        (
            DesignSpec(weights="w"),
            FRAME.with_columns(w=pl.Series([1.0, None, 2.0, 2.0])),
            "missing value in design column (weights)",
            "survey.csv, row 3, column w",
        ),
        (
            DesignSpec(weights="w"),
            FRAME.with_columns(w=pl.Series([1.0, 1.0, float("nan"), 2.0])),
            "missing value",
            "survey.csv, row 4, column w",
        ),
        (
            DesignSpec(strata=("stratum",)),
            FRAME.with_columns(stratum=pl.Series(["a", None, "b", "b"])),
            "missing value in design column (strata)",
            "survey.csv, row 3, column stratum",
        ),
        (
            DesignSpec(weights="stratum"),
            FRAME,
            "weights must be numbers, found 'a'",
            "survey.csv, row 2, column stratum",
        ),
        (
            DesignSpec(fpc=("stratum",)),
            FRAME,
            "fpc must be numbers",
            "survey.csv, row 2, column stratum",
        ),
        (
            DesignSpec(weights="w"),
            FRAME.with_columns(w=pl.Series([1.0, 1.0, -2.0, 2.0])),
            "weights must be non-negative finite numbers, found -2.0",
            "survey.csv, row 4, column w",
        ),
        (
            DesignSpec(fpc=("fpc",)),
            FRAME.with_columns(fpc=pl.Series([1, -1, 2, 2])),
            "fpc must be non-negative numbers",
            "survey.csv, row 3, column fpc",
        ),
    ],
)
def test_design_columns_errors(spec: DesignSpec, frame: pl.DataFrame, message: str, place: str) -> None:
    with pytest.raises(InputError) as info:
        design_columns(spec, frame, "survey.csv")
    assert message in info.value.message
    assert info.value.place == place


def test_rows_of_non_file_frames_count_from_one() -> None:
    frame = FRAME.with_columns(w=pl.Series([1.0, None, 2.0, 2.0]))
    with pytest.raises(InputError) as info:
        design_columns(DesignSpec(weights="w"), frame)
    assert info.value.place == "data, row 2, column w"
