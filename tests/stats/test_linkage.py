"""Record linkage of agency lists: quality on synthetic lists with a known truth, within-list
duplicates, capture-history format, normalisation, backend selection."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest

from vigil.errors import InputError
from vigil.stats.capture import CaptureHistories
from vigil.stats.linkage import (
    LinkageResult,
    capture_histories_csv,
    capture_histories_from_memberships,
    compare_capture_histories,
    evaluate_linkage,
    link_records,
)
from vigil.stats.linkage_config import LinkageConfig, ListSpec
from vigil.stats.linkage_normalize import (
    fold_name,
    name_key,
    parse_date,
    parse_nationality,
    parse_sex,
    parse_year,
)
from vigil.stats.linkage_synth import SyntheticLists, generate


# --------------------------------------------------------------------------- quality
@pytest.fixture(scope="module")
def moderate() -> tuple[SyntheticLists, LinkageResult]:
    data = generate(300, 4, seed=11, noise="moderate")
    return data, link_records(data.rows, data.config())


def test_pairwise_and_cluster_quality_on_moderate_noise(
    moderate: tuple[SyntheticLists, LinkageResult],
) -> None:
    data, result = moderate
    quality = evaluate_linkage(result.record_clusters, data.true_labels(result))
    # measured: F1 0.971, precision 0.99, recall 0.95, cluster F1 0.94
    assert quality.f1 >= 0.93, quality.summary()
    assert quality.precision >= 0.9, quality.summary()
    assert quality.recall >= 0.9, quality.summary()
    assert quality.cluster_f1 >= 0.88, quality.summary()
    assert quality.true_pairs > 100  # the test is not vacuous: many people are on several lists


def test_linked_capture_histories_close_to_truth(
    moderate: tuple[SyntheticLists, LinkageResult],
) -> None:
    data, result = moderate
    gap = compare_capture_histories(result.capture_histories, data.truth)
    # measured: +2.4% people, l1 0.053
    assert abs(gap["total_relative_error"]) <= 0.06, gap
    assert gap["l1_share"] <= 0.15, gap
    # every list keeps about its true number of people (duplicates removed, not merged away)
    true_totals = data.truth.list_totals()
    for name, total in result.capture_histories.list_totals().items():
        assert abs(total - true_totals[name]) <= max(3, 0.06 * true_totals[name]), name


def test_capture_history_format(moderate: tuple[SyntheticLists, LinkageResult]) -> None:
    data, result = moderate
    table = result.capture_histories
    assert isinstance(table, CaptureHistories)
    assert table.lists == data.list_names
    assert table.n_observed == result.n_clusters
    text = capture_histories_csv(table)
    lines = text.splitlines()
    assert lines[0] == ",".join([*data.list_names, "count"])
    rows = [list(map(int, line.split(","))) for line in lines[1:]]
    patterns = [tuple(r[:-1]) for r in rows]
    assert len(set(patterns)) == len(patterns)  # one row per pattern
    assert all(set(p) <= {0, 1} and any(p) for p in patterns)  # 0/1, never all-zero
    assert all(r[-1] > 0 for r in rows)
    assert sum(r[-1] for r in rows) == result.n_clusters
    # rows by number of lists, then in the order of the reference data sets
    sizes = [sum(p) for p in patterns]
    assert sizes == sorted(sizes)
    assert patterns[: len(data.list_names)] == [
        tuple(int(i == j) for j in range(len(data.list_names))) for i in range(len(data.list_names))
    ]


def test_synthetic_truth_is_consistent() -> None:
    data = generate(200, 3, seed=5, noise="moderate")
    people_on = {}
    for name in data.list_names:
        assert len(data.rows[name]) == len(data.people[name])
        for person in data.people[name]:
            people_on.setdefault(person, set()).add(name)
    expected = capture_histories_from_memberships(data.list_names, [frozenset(v) for v in people_on.values()])
    assert expected.to_rows() == data.truth.to_rows()
    assert data.truth.n_observed <= data.n_people
    # noise is there: some records hold another spelling, a missing field or a duplicate
    assert data.n_records > data.truth.n_observed
    again = generate(200, 3, seed=5, noise="moderate")
    assert again.rows == data.rows  # reproducible from the seed


def test_no_noise_links_almost_perfectly() -> None:
    data = generate(150, 3, seed=2, noise="none")
    result = link_records(data.rows, data.config())
    quality = evaluate_linkage(result.record_clusters, data.true_labels(result))
    assert quality.f1 >= 0.97, quality.summary()


# --------------------------------------------------------------------------- duplicates
def test_within_list_duplicates_count_once() -> None:
    data = generate(120, 3, seed=4, noise="low")
    rows = {name: [dict(r) for r in data.rows[name]] for name in data.list_names}
    people = {name: list(data.people[name]) for name in data.list_names}
    # the first agency enters five of its people a second time, one with a typo
    first = data.list_names[0]
    for i in range(5):
        copy = dict(rows[first][i])
        if i == 0 and copy["family_name"]:
            copy["family_name"] = copy["family_name"][:-1] + "x"
        rows[first].append(copy)
        people[first].append(people[first][i])
    result = link_records(rows, data.config())
    n = len(data.rows[first])
    cluster_of = {
        (name, row): c
        for name, row, c in zip(result.record_lists, result.record_rows, result.record_clusters, strict=True)
    }
    for i in range(5):
        assert cluster_of[(first, i + 1)] == cluster_of[(first, n + i + 1)], i
    # the duplicated people count once on their list
    assert result.n_within_list_duplicates >= 5
    truth = {person for person in people[first]}
    assert abs(result.capture_histories.list_totals()[first] - len(truth)) <= 2
    assert abs(result.capture_histories.n_observed - data.truth.n_observed) <= 0.05 * (data.truth.n_observed)


def test_memberships_count_a_person_once_per_list() -> None:
    table = capture_histories_from_memberships(
        ("A", "B", "C"),
        [frozenset({"A"}), frozenset({"A", "B"}), frozenset({"B", "A"}), frozenset({"C"})],
    )
    assert table.to_rows() == [
        {"A": 1, "B": 0, "C": 0, "count": 1},
        {"A": 0, "B": 0, "C": 1, "count": 1},
        {"A": 1, "B": 1, "C": 0, "count": 2},
    ]


# --------------------------------------------------------------------------- evaluation
def test_evaluate_linkage_counts_pairs_and_clusters() -> None:
    truth = [1, 1, 1, 2, 2, 3]
    predicted = ["a", "a", "b", "c", "c", "d"]  # one person split in two
    q = evaluate_linkage(predicted, truth)
    assert (q.true_pairs, q.predicted_pairs, q.correct_pairs) == (4, 2, 2)
    assert q.precision == 1.0 and q.recall == 0.5
    assert q.f1 == pytest.approx(2 / 3)
    assert q.cluster_precision == 0.5 and q.cluster_recall == 2 / 3
    perfect = evaluate_linkage(truth, truth)
    assert perfect.f1 == perfect.cluster_f1 == 1.0


def test_compare_capture_histories() -> None:
    a = capture_histories_from_memberships(("A", "B"), [frozenset({"A"})] * 3 + [frozenset("AB")])
    b = capture_histories_from_memberships(("A", "B"), [frozenset({"A"})] * 4 + [frozenset("B")])
    gap = compare_capture_histories(a, b)
    assert gap["total_relative_error"] == pytest.approx(-0.2)
    assert gap["l1_share"] == pytest.approx((1 + 1 + 1) / 5)


# --------------------------------------------------------------------------- normalisation
@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Mohammed", "Muhammad"),
        ("Mohamed", "MOHAMMED"),
        ("Yusuf", "Youssef"),
        ("Olena", "Олена"),
        ("Olena", "Elena"),
        ("Shevchenko", "Ševčenko"),
        ("Шевченко", "Shevchenko"),
        ("Oleksandr", "Alexander"),
        ("Nguyễn", "Nguyen"),
        ("Hüseyin", "Hussein"),
    ],
)
def test_transliteration_variants_share_a_key(a: str, b: str) -> None:
    assert name_key(fold_name(a)) == name_key(fold_name(b))


def test_fold_name() -> None:
    assert fold_name("  Ana-María  DE LA Cruz ") == "ana maria de la cruz"
    assert fold_name("O'Neill") == "oneill"
    assert fold_name("Łukasz Wiśniewski") == "lukasz wisniewski"
    assert fold_name("Straße") == "strasse"
    assert fold_name("N/A") is None and fold_name("  ") is None and fold_name(None) is None
    assert fold_name("محمد") == "محمد"  # scripts without a table are kept for exact matching
    assert name_key(fold_name("محمد")) is None
    assert name_key(fold_name("Smith")) != name_key(fold_name("Jones"))


def test_parsers() -> None:
    assert parse_date("31/01/1990", "%d/%m/%Y").isoformat() == "1990-01-31"  # type: ignore[union-attr]
    assert parse_date("1990-01-31T00:00:00", "%Y-%m-%d").isoformat() == "1990-01-31"  # type: ignore[union-attr]
    assert parse_date("", "%Y-%m-%d") is None
    with pytest.raises(ValueError, match="format") as err:
        parse_date("31/13/1990", "%d/%m/%Y")
    assert "31/13" not in str(err.value)
    assert parse_year("1990") == 1990 and parse_year("1990.0") == 1990
    with pytest.raises(ValueError):
        parse_year("90")
    assert parse_sex("Female") == "F" and parse_sex("m") == "M" and parse_sex("unknown") is None
    assert parse_sex("W", {"W": "F"}) == "F"
    with pytest.raises(ValueError):
        parse_sex("zz")
    assert parse_nationality("ukr") == "UKR"
    assert parse_nationality("Ukraine", {"Ukraine": "UKR"}) == "UKR"
    with pytest.raises(ValueError, match="alpha-3"):
        parse_nationality("Ukraine")


# --------------------------------------------------------------------------- input errors
def _two_lists() -> tuple[dict[str, list[dict[str, str]]], LinkageConfig]:
    rows = {
        "a": [{"given_name": "Olena", "family_name": "Kovalenko", "date_of_birth": "1990-01-31"}],
        "b": [{"given_name": "Elena", "family_name": "Kovalenko", "date_of_birth": "1990-01-31"}],
    }
    config = LinkageConfig(lists=(ListSpec("a", None), ListSpec("b", None)), source="t.yaml")
    return rows, config


def test_bad_value_names_row_and_column_not_the_value() -> None:
    rows, config = _two_lists()
    rows["b"].append({"given_name": "Secretname", "family_name": "X", "date_of_birth": "31.01.90"})
    with pytest.raises(InputError) as err:
        link_records(rows, config)
    assert err.value.place == "b, row 2, column date_of_birth"
    assert "31.01.90" not in str(err.value) and "Secretname" not in str(err.value)


def test_one_list_or_missing_list_is_refused() -> None:
    rows, config = _two_lists()
    with pytest.raises(InputError, match="at least two lists"):
        link_records(rows, replace(config, lists=config.lists[:1]))
    with pytest.raises(InputError, match="no records given for list 'b'"):
        link_records({"a": rows["a"]}, config)
    with pytest.raises(InputError, match="no records"):
        link_records({"a": rows["a"], "b": []}, config)


def test_spark_backend_without_pyspark_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # Whether or not pyspark is installed, make its import fail as on a machine without it.
    monkeypatch.setitem(sys.modules, "pyspark", None)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    rows, config = _two_lists()
    with pytest.raises(InputError, match="needs the pyspark package") as err:
        link_records(rows, replace(config, backend="spark"))
    assert err.value.place == "t.yaml, key backend"


def test_spark_schema_is_explicit() -> None:
    from vigil.stats.linkage import _spark_schema

    schema = _spark_schema()
    assert schema.startswith("unique_id bigint, list_name string, row bigint, given_name string")
    assert "birth_year int," in schema and schema.endswith("date_of_identification date")


def test_verbose_shows_splink_log_and_quiet_does_not(capsys: pytest.CaptureFixture[str]) -> None:
    data = generate(60, 2, seed=9, noise="low")
    link_records(data.rows, data.config())
    assert "splink:" not in capsys.readouterr().err
    link_records(data.rows, data.config(), verbose=True)
    err = capsys.readouterr().err
    assert "splink:" in err and "EM" in err
    for name in data.list_names:  # the log carries no value from the lists
        for row in data.rows[name]:
            if row["family_name"] and len(row["family_name"]) > 4:
                assert row["family_name"] not in err


def test_backend_failure_is_an_estimation_error_without_data(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from splink.internals.exceptions import SplinkException
    from splink.internals.linker_components.inference import LinkerInference

    from vigil.errors import EstimationError

    def failing_predict(self: object, *args: object, **kwargs: object) -> None:
        raise SplinkException("Conversion error on value 'Secretname'")

    monkeypatch.setattr(LinkerInference, "predict", failing_predict)
    data = generate(40, 2, seed=1, noise="low")
    with pytest.raises(EstimationError, match="record linkage failed") as err:
        link_records(data.rows, data.config())
    assert "Secretname" not in str(err.value) and "Secretname" not in capsys.readouterr().err
    with pytest.raises(EstimationError):
        link_records(data.rows, data.config(), verbose=True)
    assert "Secretname" in capsys.readouterr().err  # only when asked for


def test_read_truth_records(tmp_path: Path) -> None:
    from vigil.stats.linkage_synth import read_truth_records

    good = tmp_path / "truth_records.csv"
    good.write_text("list,row,person\npolice,1,7\nngo,2,7\n", encoding="utf-8")
    assert read_truth_records(good) == {("police", 1): "7", ("ngo", 2): "7"}
    with pytest.raises(InputError, match="file not found"):
        read_truth_records(tmp_path / "missing.csv")
    bad_header = tmp_path / "h.csv"
    bad_header.write_text("list,person\npolice,7\n", encoding="utf-8")
    with pytest.raises(InputError, match="list, row and person"):
        read_truth_records(bad_header)
    bad_row = tmp_path / "r.csv"
    bad_row.write_text("list,row,person\npolice,first,7\n", encoding="utf-8")
    with pytest.raises(InputError, match="not a row number") as err:
        read_truth_records(bad_row)
    assert err.value.place == f"{bad_row}, row 1, column row"


def test_synthetic_lists_round_trip_through_files(tmp_path: Path) -> None:
    from vigil.stats.linkage import link_lists, load_config

    data = generate(80, 3, seed=8, noise="low")
    config = load_config(data.write(tmp_path))
    assert config.list_names == data.list_names
    result = link_lists(config)
    # rows read back from the files are the generated rows, in order
    quality = evaluate_linkage(result.record_clusters, data.true_labels(result))
    assert quality.f1 >= 0.9, quality.summary()
