"""``lists.yaml`` validation and list-file reading: every bad input is an InputError naming the
file and the key (or row and column), never a value from the data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from vigil.errors import InputError
from vigil.stats.linkage import link_lists, read_list_file
from vigil.stats.linkage_config import (
    DEFAULT_BLOCKING,
    NAMES_SWAPPED,
    apply_list_arguments,
    config_from_mapping,
    load_config,
)

GOOD: dict[str, Any] = {
    "version": 1,
    "backend": "duckdb",
    "threshold": 0.8,
    "lists": {
        "police": {
            "file": "police.csv",
            "columns": {"given_name": "first", "family_name": "last", "date_of_birth": "dob"},
            "date_format": "%d/%m/%Y",
            "values": {"sex": {"W": "F"}, "nationality": {"Ukraine": "UKR"}},
        },
        "ngo": "ngo.csv",
    },
    "comparisons": {
        "given_name": {"jaro_winkler": [0.95, 0.85]},
        "sex": False,
        "place_of_identification": False,
        "date_of_identification": {"days": [7, 90]},
        "date_of_birth": {"year_tolerance": 3},
    },
    "blocking": [["family_name_key", "birth_year"], "names_swapped", "date_of_birth"],
    "training": {"seed": 7, "recall": 0.5, "max_pairs": 100000, "em_blocking": [["sex"]]},
    "spark": {"master": "local[2]", "conf": {"spark.sql.shuffle.partitions": 4}},
}


def test_good_config_is_read(tmp_path: Path) -> None:
    path = tmp_path / "lists.yaml"
    path.write_text(yaml.safe_dump(GOOD, sort_keys=False), encoding="utf-8")
    cfg = load_config(path)
    assert cfg.list_names == ("police", "ngo")
    police, ngo = cfg.lists
    assert police.file == tmp_path / "police.csv" and ngo.file == tmp_path / "ngo.csv"
    assert police.date_format("date_of_birth") == "%d/%m/%Y"
    assert ngo.date_format("date_of_birth") == "%Y-%m-%d" and ngo.columns is None
    assert cfg.threshold == 0.8 and cfg.backend == "duckdb"
    assert cfg.comparisons.given_name is not None
    assert cfg.comparisons.given_name.jaro_winkler == (0.95, 0.85)
    assert cfg.comparisons.sex is False and cfg.comparisons.place_of_identification is None
    assert cfg.comparisons.date_of_identification is not None
    assert cfg.comparisons.date_of_identification.days == (7, 90)
    assert cfg.blocking == (("family_name_key", "birth_year"), NAMES_SWAPPED, ("date_of_birth",))
    assert cfg.training.seed == 7 and cfg.training.em_blocking == (("sex",),)
    assert cfg.source == "lists.yaml"


def test_defaults() -> None:
    cfg = config_from_mapping({"lists": {"a": "a.csv", "b": "b.csv"}})
    assert cfg.threshold == 0.7 and cfg.backend == "duckdb" and cfg.blocking == DEFAULT_BLOCKING


def _with(path: str, value: Any) -> dict[str, Any]:
    """GOOD with the key at dotted ``path`` set to ``value`` (``...`` deletes it)."""
    doc = yaml.safe_load(yaml.safe_dump(GOOD, sort_keys=False))
    *parents, last = path.split(".")
    node = doc
    for key in parents:
        node = node[key]
    if value is ...:
        del node[last]
    else:
        node[last] = value
    return doc


@pytest.mark.parametrize(
    ("path", "value", "key", "message"),
    [
        ("lists", ..., "", "missing key 'lists'"),
        ("lists", {}, "lists", "no list"),
        ("lists", ["a.csv"], "lists", "mapping"),
        ("colour", "blue", "colour", "unknown key"),
        ("version", 2, "version", "unsupported version"),
        ("threshold", 1.5, "threshold", "between 0 and 1"),
        ("threshold", "high", "threshold", "between 0 and 1"),
        ("threshold", True, "threshold", "between 0 and 1"),
        ("backend", "postgres", "backend", "'duckdb' or 'spark'"),
        ("lists.police.file", 3, "lists.police.file", "non-empty text"),
        ("lists.police.sheet", "x", "lists.police.sheet", "unknown key"),
        ("lists.police.columns.age", "age", "lists.police.columns.age", "unknown field"),
        ("lists.police.columns", {"sex": "s"}, "lists.police.columns", "given_name"),
        ("lists.police.columns.given_name", "", "lists.police.columns.given_name", "non-empty"),
        ("lists.police.date_format", "%m/%Y", "lists.police.date_format", "day and year"),
        ("lists.police.date_formats", {"sex": "%Y"}, "lists.police.date_formats.sex", "date"),
        ("lists.police.values", {"given_name": {}}, "lists.police.values.given_name", "sex"),
        ("lists.police.values.sex", {"W": 1}, "lists.police.values.sex.W", "text"),
        ("lists.police.delimiter", ";;", "lists.police.delimiter", "single character"),
        ("lists.count", "c.csv", "lists.count", "not be 'count'"),
        ("lists.1st", "c.csv", "lists.1st", "start with a letter"),
        ("comparisons.age", True, "comparisons.age", "unknown key"),
        ("comparisons.sex", {"x": 1}, "comparisons.sex", "true or false"),
        ("comparisons.given_name", {"jaro_winkler": [0.8, 0.9]},
         "comparisons.given_name.jaro_winkler", "decreasing"),
        ("comparisons.given_name", {"jaro_winkler": [1.5]},
         "comparisons.given_name.jaro_winkler", "between 0 and 1"),
        ("comparisons.given_name", {"soundex": True}, "comparisons.given_name.soundex", "unknown"),
        ("comparisons.date_of_birth", {"year_tolerance": 0},
         "comparisons.date_of_birth.year_tolerance", "1 to 20"),
        ("comparisons.date_of_identification", {"days": [90, 7]},
         "comparisons.date_of_identification.days", "increasing"),
        ("comparisons.place_of_identification", {"jaro_winkler": [0.9, 0.8]},
         "comparisons.place_of_identification.jaro_winkler", "one threshold"),
        ("blocking", [], "blocking", "non-empty list"),
        ("blocking", [["shoe_size"]], "blocking[0][0]", "unknown column"),
        ("blocking", [[]], "blocking[0]", "list of columns"),
        ("training.em_blocking", ["names_swapped"], "training.em_blocking[0][0]", "unknown column"),
        ("training.recall", 0, "training.recall", "(0, 1]"),
        ("training.seed", -1, "training.seed", "at least 0"),
        ("training.max_pairs", 10, "training.max_pairs", "at least 1000"),
        ("training.epochs", 3, "training.epochs", "unknown key"),
        ("spark.conf", {"a": [1]}, "spark.conf.a", "scalar"),
        ("spark.cluster", "x", "spark.cluster", "unknown key"),
    ],
)
def test_bad_config_names_file_and_key(path: str, value: Any, key: str, message: str) -> None:
    with pytest.raises(InputError) as err:
        config_from_mapping(_with(path, value), source="lists.yaml")
    expected = f"lists.yaml, key {key}" if key else "lists.yaml"
    assert err.value.place == expected
    assert message in err.value.message


def test_too_many_lists_is_refused() -> None:
    doc = {"lists": {f"list{i}": f"l{i}.csv" for i in range(17)}}
    with pytest.raises(InputError, match="at most 16 lists") as err:
        config_from_mapping(doc)
    assert err.value.place == "lists.yaml, key lists"


def test_both_names_switched_off_is_refused() -> None:
    doc = _with("comparisons", {"given_name": False, "family_name": False})
    with pytest.raises(InputError, match="at least one name comparison"):
        config_from_mapping(doc)


def test_config_file_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        load_config(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("lists:\n  a: [unclosed\n", encoding="utf-8")
    with pytest.raises(InputError, match="not valid YAML") as err:
        load_config(bad)
    assert err.value.place is not None and err.value.place.startswith("bad.yaml, line")
    scalar = tmp_path / "scalar.yaml"
    scalar.write_text("just text\n", encoding="utf-8")
    with pytest.raises(InputError, match="mapping"):
        load_config(scalar)


# --------------------------------------------------------------------------- list files
def _config(tmp_path: Path, police_csv: str, ngo_csv: str = "given_name,family_name\nA,B\n") -> Any:
    (tmp_path / "police.csv").write_bytes(police_csv.encode("utf-8"))
    (tmp_path / "ngo.csv").write_text(ngo_csv, encoding="utf-8")
    doc = {
        "lists": {
            "police": {
                "file": "police.csv",
                "columns": {"given_name": "first", "family_name": "last", "date_of_birth": "dob"},
                "date_format": "%d/%m/%Y",
            },
            "ngo": "ngo.csv",
        }
    }
    return config_from_mapping(doc, source="lists.yaml", base_dir=tmp_path)


def test_list_file_is_read_with_its_mapping(tmp_path: Path) -> None:
    cfg = _config(tmp_path, "\ufefffirst,last,dob,notes\nOlena,Kovalenko,31/01/1990,x\n\n")
    rows, numbers = read_list_file(cfg.lists[0], cfg.source)
    assert rows == [{"given_name": "Olena", "family_name": "Kovalenko", "date_of_birth": "31/01/1990"}]
    assert numbers == [1]
    assert read_list_file(cfg.lists[1]) == ([{"given_name": "A", "family_name": "B"}], [1])


def test_blank_lines_are_skipped_but_counted(tmp_path: Path) -> None:
    cfg = _config(tmp_path, "first,last,dob\nA,B,31/01/1990\n\nC,D,1990-01-31\n")
    rows, numbers = read_list_file(cfg.lists[0], cfg.source)
    assert len(rows) == 2 and numbers == [1, 3]
    with pytest.raises(InputError) as err:
        link_lists(cfg)
    assert err.value.place is not None and err.value.place.endswith("police.csv, row 3, column dob")


@pytest.mark.parametrize(
    ("content", "place_end", "message"),
    [
        ("", "police.csv", "empty file"),
        ("first,last,dob\n", "police.csv", "no records"),
        ("first,last\nA,B\n", "lists.yaml, key lists.police.columns.date_of_birth", "not in the header"),
        ("first,last,dob,first\nA,B,C,D\n", "police.csv", "appears twice"),
        ("first,last,dob\nA,B\n", "police.csv, row 1", "2 cells"),
        ("first,last,dob\nSecret,Person,31/02/1990\n", "police.csv, row 1, column dob", "format"),
    ],
)
def test_bad_list_files(tmp_path: Path, content: str, place_end: str, message: str) -> None:
    cfg = _config(tmp_path, content)
    with pytest.raises(InputError) as err:
        link_lists(cfg)
    assert err.value.place is not None and err.value.place.endswith(place_end)
    assert message in err.value.message
    assert "Secret" not in str(err.value) and "31/02" not in str(err.value)


def test_list_file_not_utf8_or_missing(tmp_path: Path) -> None:
    cfg = _config(tmp_path, "first,last,dob\n")
    (tmp_path / "police.csv").write_bytes(b"first,last,dob\n\xff\xfe,B,C\n")
    with pytest.raises(InputError, match="not UTF-8") as err:
        link_lists(cfg)
    assert err.value.place is not None and err.value.place.endswith("police.csv, line 2")
    (tmp_path / "police.csv").unlink()
    with pytest.raises(InputError, match="file not found"):
        link_lists(cfg)


def test_list_without_name_columns_is_refused(tmp_path: Path) -> None:
    cfg = _config(tmp_path, "first,last,dob\nA,B,31/01/1990\n", ngo_csv="name,dob\nA,B\n")
    with pytest.raises(InputError, match="no given_name or family_name column"):
        link_lists(cfg)


def test_threshold_override_is_validated(tmp_path: Path) -> None:
    cfg = _config(tmp_path, "first,last,dob\nA,B,31/01/1990\n")
    with pytest.raises(InputError, match="between 0 and 1") as err:
        link_lists(cfg, threshold=1.0)
    assert err.value.place == "--threshold"


# --------------------------------------------------------------------------- LIST arguments
def test_list_arguments_select_and_override(tmp_path: Path) -> None:
    cfg = _config(tmp_path, "first,last,dob\nA,B,31/01/1990\n")
    other = tmp_path / "other.csv"
    chosen = apply_list_arguments(cfg, ["ngo=other.csv", str(tmp_path / "police.csv")], tmp_path)
    assert chosen.list_names == ("police", "ngo")  # configuration order
    assert chosen.lists[1].file == other
    assert apply_list_arguments(cfg, []) is cfg


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["hotline=h.csv"], "not in the configuration"),
        (["ngo="], "empty file name"),
        (["elsewhere.csv"], "not a file named in the configuration"),
        (["ngo=a.csv", "ngo=b.csv"], "given twice"),
    ],
)
def test_bad_list_arguments(tmp_path: Path, args: list[str], message: str) -> None:
    cfg = _config(tmp_path, "first,last,dob\nA,B,31/01/1990\n")
    with pytest.raises(InputError, match=message) as err:
        apply_list_arguments(cfg, args, tmp_path)
    assert err.value.place is not None and err.value.place.startswith("argument")


def test_documented_example_config_is_valid() -> None:
    example = Path(__file__).resolve().parents[2] / "docs" / "examples" / "lists.yaml"
    cfg = load_config(example)
    assert cfg.list_names == ("police", "labour_inspectorate", "ngo", "hotline")
    assert cfg.lists[3].delimiter == ";" and cfg.lists[3].columns is not None
    assert cfg.lists[1].date_format("date_of_birth") == "%d.%m.%Y"
    # the documented defaults are the defaults
    defaults = config_from_mapping({"lists": {"a": "a.csv", "b": "b.csv"}})
    assert cfg.blocking == defaults.blocking
    assert cfg.training == defaults.training
    assert cfg.comparisons == defaults.comparisons
    assert cfg.threshold == defaults.threshold
