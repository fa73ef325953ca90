"""Record linkage of agency lists into capture histories, with Splink.

Agencies (police, labour inspectorate, NGOs, hotline, local authorities) each keep a list of
the victims they identified, without a shared identifier. This module reads the lists named in
a ``lists.yaml`` configuration (``vigil.stats.linkage_config``), normalises names, dates and
codes (``vigil.stats.linkage_normalize``), links the records probabilistically with Splink
(Fellegi-Sunter model: u probabilities by random sampling, m probabilities by EM, DuckDB by
default, Spark by configuration), clusters the links at a match-probability threshold and
counts, for each pattern of lists, the clusters (people) seen on exactly those lists. That
table, one 0/1 column per list and a ``count``, is the input of multiple systems estimation.

A person recorded twice by the same agency is one cluster with one list flag: within-list
duplicates count once.

Nothing here prints or logs a name, a date or any other value from the lists; errors say the
file, row and column. Splink's own log messages are silenced unless ``verbose`` is asked for.

    >>> from vigil.stats.linkage import link_lists, load_config
    >>> result = link_lists(load_config("lists.yaml"))          # doctest: +SKIP
    >>> print(capture_histories_csv(result.capture_histories))   # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import copy
import csv
import dataclasses
import io
import logging
import math
import sys
import tempfile
from collections import Counter
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from vigil.errors import EstimationError, InputError
from vigil.io.limits import check_row_count
from vigil.stats.capture import CaptureHistories
from vigil.stats.linkage_config import (
    FIELDS,
    NAMES_SWAPPED,
    BlockingRule,
    ComparisonsSpec,
    LinkageConfig,
    ListSpec,
    apply_list_arguments,
    config_from_mapping,
    load_config,
)
from vigil.stats.linkage_normalize import (
    fold_name,
    name_key,
    parse_date,
    parse_nationality,
    parse_sex,
    parse_year,
)

__all__ = [
    "CaptureHistories",
    "LinkageQuality",
    "LinkageResult",
    "NormalisedRecords",
    "apply_list_arguments",
    "capture_histories_csv",
    "capture_histories_from_memberships",
    "compare_capture_histories",
    "config_from_mapping",
    "evaluate_linkage",
    "link_lists",
    "link_records",
    "load_config",
    "normalise_list",
    "read_list_file",
]

logger = logging.getLogger(__name__)

#: Columns of the table handed to Splink, in order, with their Arrow types.
RECORD_COLUMNS: tuple[tuple[str, str], ...] = (
    ("unique_id", "int64"),
    ("list_name", "string"),
    ("row", "int64"),
    ("given_name", "string"),
    ("family_name", "string"),
    ("given_name_key", "string"),
    ("family_name_key", "string"),
    ("date_of_birth", "string"),
    ("birth_year", "int32"),
    ("nationality", "string"),
    ("sex", "string"),
    ("place_of_identification", "string"),
    ("date_of_identification", "date32"),
)


# --------------------------------------------------------------------------- results


def capture_histories_from_memberships(
    lists: Sequence[str], memberships: Iterable[frozenset[str]]
) -> CaptureHistories:
    """Count people by the set of lists each one is on (one set per person).

    The result is the capture-history table of ``vigil.stats.capture`` (tidied: rows ordered
    by number of lists, then as in the reference data sets), ready for ``vigil estimate mse``.
    """
    names = tuple(lists)
    tally: Counter[tuple[int, ...]] = Counter()
    for on_lists in memberships:
        pattern = tuple(int(name in on_lists) for name in names)
        if any(pattern):
            tally[pattern] += 1
    if not tally:
        raise EstimationError("nobody was observed on any list")
    patterns = list(tally)
    return CaptureHistories.from_arrays(
        names, patterns, [tally[p] for p in patterns], source="linked lists"
    ).tidy()


def capture_histories_csv(table: CaptureHistories) -> str:
    """The table as CSV text: one 0/1 column per list, then ``count``."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([*table.lists, "count"])
    for row in table.to_rows():
        writer.writerow([row[name] for name in table.lists] + [row["count"]])
    return buf.getvalue()


@dataclass(frozen=True)
class NormalisedRecords:
    """The records of all lists, normalised, as columns (see ``RECORD_COLUMNS``)."""

    columns: dict[str, list[Any]]

    def __len__(self) -> int:
        return len(self.columns["unique_id"])


@dataclass(frozen=True)
class LinkageResult:
    """Outcome of a linkage run.

    ``record_lists``, ``record_rows`` and ``record_clusters`` are parallel: record ``i`` is
    data row ``record_rows[i]`` (1-based, header not counted) of list ``record_lists[i]`` and
    belongs to cluster (person) ``record_clusters[i]`` (0-based, consecutive).
    """

    lists: tuple[str, ...]
    capture_histories: CaptureHistories
    record_lists: tuple[str, ...]
    record_rows: tuple[int, ...]
    record_clusters: tuple[int, ...]
    n_links: int
    threshold: float
    backend: str
    probability_two_random_records_match: float
    notes: tuple[str, ...] = ()

    @property
    def n_records(self) -> int:
        return len(self.record_clusters)

    @property
    def n_clusters(self) -> int:
        return len(set(self.record_clusters))

    @property
    def n_within_list_duplicates(self) -> int:
        """Records merged into another record of the same list (counted once)."""
        return self.n_records - len(set(zip(self.record_clusters, self.record_lists, strict=True)))

    def records_per_list(self) -> dict[str, int]:
        tally = Counter(self.record_lists)
        return {name: tally.get(name, 0) for name in self.lists}

    def summary(self) -> str:
        """A few lines for a person (no identifying values)."""
        per_list = ", ".join(f"{k} {v}" for k, v in self.records_per_list().items())
        people = self.capture_histories.list_totals()
        lines = [
            f"linked {self.n_records} records from {len(self.lists)} lists ({per_list})",
            f"backend {self.backend}, match threshold {self.threshold:g}, "
            f"{self.n_links} pairwise links",
            f"{self.n_clusters} distinct people observed; "
            f"{self.n_within_list_duplicates} within-list duplicates counted once",
            "people per list: " + ", ".join(f"{k} {v}" for k, v in people.items()),
            f"{len(self.capture_histories.patterns)} capture patterns observed",
        ]
        lines.extend(f"note: {n}" for n in self.notes)
        return "\n".join(lines)


# --------------------------------------------------------------------------- reading


def read_list_file(
    spec: ListSpec, config_source: str = "lists.yaml"
) -> tuple[list[dict[str, str]], list[int]]:
    """Read one list's CSV file (UTF-8, header row) into rows of the mapped columns.

    Returns one dict per data row, keyed by canonical field (``given_name``...), holding the
    raw text, and the number of each row in the file (data rows counted from 1, header not
    counted; blank lines are skipped but counted). Errors name the file, and the
    configuration key when a mapped column is absent.
    """
    if spec.file is None:
        raise InputError("no file given for this list", f"{config_source}, key lists.{spec.name}")
    path = spec.file
    place = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError("file not found", place) from None
    except OSError as exc:
        raise InputError(f"cannot read the file ({type(exc).__name__})", place) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError("not UTF-8 text", f"{place}, line {line}") from None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=spec.delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise InputError("empty file (a header row is needed)", place) from None
    except csv.Error:
        raise InputError("malformed CSV header", f"{place}, line 1") from None
    header = [h.strip() for h in header]
    dupes = [h for h, n in Counter(header).items() if n > 1 and h]
    if dupes:
        raise InputError(f"column '{dupes[0]}' appears twice in the header", place)
    mapping = _column_mapping(spec, header, config_source)
    index = {h: i for i, h in enumerate(header)}
    rows: list[dict[str, str]] = []
    numbers: list[int] = []
    try:
        for lineno, cells in enumerate(reader, start=1):
            if not any(c.strip() for c in cells):
                continue  # blank line
            if len(cells) != len(header):
                raise InputError(
                    f"{len(cells)} cells where the header has {len(header)}",
                    f"{place}, row {lineno}",
                )
            rows.append({fname: cells[index[col]] for fname, col in mapping.items()})
            numbers.append(lineno)
            check_row_count(len(rows), place)
    except csv.Error:
        raise InputError("malformed CSV", f"{place}, row {reader.line_num - 1}") from None
    if not rows:
        raise InputError("the list has no records", place)
    return rows, numbers


def _column_mapping(spec: ListSpec, header: Sequence[str], config_source: str) -> dict[str, str]:
    if spec.columns is None:
        mapping = {f: f for f in FIELDS if f in header}
        if not ({"given_name", "family_name"} & mapping.keys()):
            raise InputError(
                "no given_name or family_name column; name the columns under "
                f"'lists.{spec.name}.columns' in {config_source}",
                str(spec.file),
            )
        return mapping
    for fname, col in spec.columns.items():
        if col not in header:
            raise InputError(
                f"column '{col}' is not in the header of {spec.file}",
                f"{config_source}, key lists.{spec.name}.columns.{fname}",
            )
    return dict(spec.columns)


def normalise_list(
    spec: ListSpec,
    rows: Sequence[Mapping[str, str | None]],
    place: str | None = None,
    row_numbers: Sequence[int] | None = None,
) -> dict[str, list[Any]]:
    """Normalise the rows of one list (dicts keyed by canonical field, raw text values).

    Returns columns keyed as ``RECORD_COLUMNS`` (without ``unique_id`` and ``list_name``).
    ``row_numbers`` are the rows' numbers in their file (default 1, 2, ...). A malformed
    value is an ``InputError`` at ``place, row N, column C`` (the list's own column name),
    without the value.
    """
    where = place or (str(spec.file) if spec.file is not None else spec.name)
    source_col = dict(spec.columns) if spec.columns is not None else {f: f for f in FIELDS}
    out: dict[str, list[Any]] = {name: [] for name, _ in RECORD_COLUMNS[2:]}
    sex_map = dict(spec.values.get("sex", {}))
    nat_map = dict(spec.values.get("nationality", {}))
    numbers = list(row_numbers) if row_numbers is not None else list(range(1, len(rows) + 1))
    if len(numbers) != len(rows):
        raise ValueError("row_numbers must have one number per row")
    for i, row in zip(numbers, rows, strict=True):
        current = ""
        try:
            current = "given_name"
            given = fold_name(row.get("given_name"))
            current = "family_name"
            family = fold_name(row.get("family_name"))
            current = "date_of_birth"
            dob = parse_date(row.get("date_of_birth"), spec.date_format("date_of_birth"))
            current = "birth_year"
            year = dob.year if dob is not None else parse_year(row.get("birth_year"))
            current = "nationality"
            nationality = parse_nationality(row.get("nationality"), nat_map)
            current = "sex"
            sex = parse_sex(row.get("sex"), sex_map)
            current = "place_of_identification"
            place_id = fold_name(row.get("place_of_identification"))
            current = "date_of_identification"
            date_id = parse_date(
                row.get("date_of_identification"), spec.date_format("date_of_identification")
            )
        except ValueError as exc:
            column = source_col.get(current, current)
            raise InputError(str(exc), f"{where}, row {i}, column {column}") from None
        out["row"].append(i)
        out["given_name"].append(given)
        out["family_name"].append(family)
        out["given_name_key"].append(name_key(given))
        out["family_name_key"].append(name_key(family))
        out["date_of_birth"].append(dob.isoformat() if dob is not None else None)
        out["birth_year"].append(year)
        out["nationality"].append(nationality)
        out["sex"].append(sex)
        out["place_of_identification"].append(place_id)
        out["date_of_identification"].append(date_id)
    return out


def _combine(lists: Sequence[tuple[str, dict[str, list[Any]]]]) -> NormalisedRecords:
    columns: dict[str, list[Any]] = {name: [] for name, _ in RECORD_COLUMNS}
    for name, cols in lists:
        n = len(cols["row"])
        start = len(columns["unique_id"])
        columns["unique_id"].extend(range(start, start + n))
        columns["list_name"].extend([name] * n)
        for key, values in cols.items():
            columns[key].extend(values)
    return NormalisedRecords(columns)


# --------------------------------------------------------------------------- entry points


def link_lists(
    config: LinkageConfig, *, threshold: float | None = None, verbose: bool = False
) -> LinkageResult:
    """Read every list of ``config`` from its file, link them and count capture histories."""
    if threshold is not None:
        config = config.with_threshold(threshold)
    _check_list_count(config)
    rows: dict[str, list[dict[str, str]]] = {}
    numbers: dict[str, list[int]] = {}
    for spec in config.lists:
        rows[spec.name], numbers[spec.name] = read_list_file(spec, config.source)
    return link_records(rows, config, verbose=verbose, row_numbers=numbers)


def link_records(
    lists: Mapping[str, Sequence[Mapping[str, str | None]]],
    config: LinkageConfig,
    *,
    verbose: bool = False,
    row_numbers: Mapping[str, Sequence[int]] | None = None,
) -> LinkageResult:
    """Link lists given in memory: ``{list name: [row dict keyed by canonical field]}``.

    The lists used, and their order in the capture histories, are those of ``config``; each
    must be present in ``lists``. Values are raw text, as read from a file. ``row_numbers``
    (per list, one per row) are the numbers reported in errors and in
    ``LinkageResult.record_rows``; by default rows are numbered 1, 2, ...
    """
    _check_list_count(config)
    normalised: list[tuple[str, dict[str, list[Any]]]] = []
    for spec in config.lists:
        if spec.name not in lists:
            raise InputError(f"no records given for list '{spec.name}'", config.source)
        rows = lists[spec.name]
        if not rows:
            raise InputError("the list has no records", spec.name if spec.file is None
                             else str(spec.file))
        numbers = row_numbers.get(spec.name) if row_numbers is not None else None
        normalised.append((spec.name, normalise_list(spec, rows, row_numbers=numbers)))
    records = _combine(normalised)
    return _link(records, config, verbose=verbose)


def _check_list_count(config: LinkageConfig) -> None:
    if len(config.lists) < 2:
        raise InputError("at least two lists are needed to link", config.source)


# --------------------------------------------------------------------------- Splink


@contextlib.contextmanager
def _splink_logging(verbose: bool) -> Iterator[None]:
    """Silence Splink's logger (INFO chatter and EM diagnostics) unless ``verbose``, when its
    messages (parameter estimates and progress, no record values) go to stderr."""
    splink_logger = logging.getLogger("splink")
    old_level, old_propagate = splink_logger.level, splink_logger.propagate
    handler: logging.Handler | None = None
    if verbose:
        splink_logger.setLevel(logging.INFO)
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("splink: %(message)s"))
        splink_logger.addHandler(handler)
        splink_logger.propagate = False
    else:
        splink_logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        if handler is not None:
            splink_logger.removeHandler(handler)
        splink_logger.setLevel(old_level)
        splink_logger.propagate = old_propagate


def _db_api(config: LinkageConfig, scratch: str | None = None) -> Any:
    """Create the Splink database API of the configured backend (Spark only when asked).

    Splink's Spark backend checkpoints intermediate tables, which needs a checkpoint directory:
    ``spark.checkpoint_dir`` when configured, otherwise ``scratch`` (a temporary directory the
    caller removes when the linkage ends, since the checkpoints hold the lists' names).
    """
    if config.backend == "duckdb":
        from splink import DuckDBAPI

        return DuckDBAPI()
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise InputError(
            "backend 'spark' needs the pyspark package, which is not installed here; "
            "install pyspark (and Java) or set 'backend: duckdb'",
            f"{config.source}, key backend",
        ) from None
    from splink.backends.spark import SparkAPI, similarity_jar_location

    opts = config.spark
    builder = SparkSession.builder.master(str(opts.get("master", "local[*]"))).appName(
        str(opts.get("app_name", "vigil-linkage"))
    )
    conf = {str(k): str(v) for k, v in dict(opts.get("conf", {})).items()}
    # Splink's string similarities (Jaro-Winkler, ...) are Scala UDFs in a jar it ships for the
    # installed Spark major version; without it on the classpath the comparisons cannot run
    conf.setdefault("spark.jars", similarity_jar_location())
    for key, value in conf.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    checkpoint = opts.get("checkpoint_dir", scratch)
    if checkpoint is not None:
        spark.sparkContext.setCheckpointDir(str(checkpoint))
    return cast(Any, SparkAPI)(spark_session=spark)


_SPARK_TYPES = {"int64": "bigint", "int32": "int", "string": "string", "date32": "date"}


def _spark_schema() -> str:
    """DDL schema of the records table for Spark (explicit: columns may be all null)."""
    return ", ".join(f"{name} {_SPARK_TYPES[t]}" for name, t in RECORD_COLUMNS)


def _register(db_api: Any, config: LinkageConfig, records: NormalisedRecords) -> Any:
    if config.backend == "spark":
        spark = db_api.spark
        ddl = _spark_schema()
        names = [name for name, _ in RECORD_COLUMNS]
        data = list(zip(*(records.columns[n] for n in names), strict=True))
        frame = spark.createDataFrame(data, schema=ddl)
        return db_api.register(frame, dataset_display_name="vigil_records")
    import pyarrow as pa

    types = {"int64": pa.int64(), "int32": pa.int32(), "string": pa.string(), "date32": pa.date32()}
    schema = pa.schema([(name, types[t]) for name, t in RECORD_COLUMNS])
    table = pa.Table.from_pydict(records.columns, schema=schema)
    return db_api.register(table, dataset_display_name="vigil_records")


def _blocking_rule(rule: BlockingRule) -> Any:
    from splink import block_on

    if rule == NAMES_SWAPPED:
        return (
            "l.given_name_key = r.family_name_key and l.family_name_key = r.given_name_key"
        )
    return block_on(*rule)


def _cross_name_level(column: str, other: str, threshold: float) -> Any:
    """Comparison level: this name resembles the *other* name field of the other record
    (given and family names written in the other order)."""
    from splink.internals.comparison_level_creator import ComparisonLevelCreator

    class CrossNameLevel(ComparisonLevelCreator):
        def create_sql(self, sql_dialect: Any) -> str:
            jw = sql_dialect.jaro_winkler_function_name
            return (
                f"{jw}({column}_l, {other}_r) >= {threshold} OR "
                f"{jw}({other}_l, {column}_r) >= {threshold}"
            )

        def create_label_for_charts(self) -> str:
            return f"{column} matches the other name field (name order swapped)"

    return CrossNameLevel()


def _name_comparison(column: str, other: str | None, thresholds: Sequence[float]) -> Any:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    key = f"{column}_key"
    label = column.replace("_", " ")
    levels: list[Any] = [
        cll.NullLevel(column),
        cll.ExactMatchLevel(column).configure(m_probability=0.7, tf_adjustment_column=column),
        cll.JaroWinklerLevel(column, thresholds[0]).configure(m_probability=0.1),
        # Keys of very short names (``thao``/``thuy`` both give ``t``) say too little.
        cll.CustomLevel(
            f"{key}_l = {key}_r AND length({key}_l) >= 3", f"phonetic key of {label} equal"
        ).configure(m_probability=0.06),
    ]
    levels += [
        cll.JaroWinklerLevel(column, t).configure(m_probability=0.05) for t in thresholds[1:]
    ]
    if other is not None:
        levels.append(
            _cross_name_level(column, other, max(thresholds[0], 0.88)).configure(
                m_probability=0.03
            )
        )
    levels.append(cll.ElseLevel().configure(m_probability=0.06))
    return cl.CustomComparison(levels, output_column_name=column)


def _comparisons(spec: ComparisonsSpec) -> list[Any]:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    out: list[Any] = []
    if spec.given_name is not None:
        other = "family_name" if spec.family_name is not None else None
        out.append(_name_comparison("given_name", other, spec.given_name.jaro_winkler))
    if spec.family_name is not None:
        other = "given_name" if spec.given_name is not None else None
        out.append(_name_comparison("family_name", other, spec.family_name.jaro_winkler))
    if spec.date_of_birth is not None:
        tol = spec.date_of_birth.year_tolerance
        d = "date_of_birth"
        out.append(
            cl.CustomComparison(
                [
                    cll.CustomLevel(
                        "birth_year_l IS NULL OR birth_year_r IS NULL", "date of birth missing"
                    ).configure(is_null_level=True),
                    cll.ExactMatchLevel(d).configure(m_probability=0.8),
                    cll.CustomLevel(
                        f"substr({d}_l, 1, 4) = substr({d}_r, 1, 4) AND "
                        f"substr({d}_l, 6, 2) = substr({d}_r, 9, 2) AND "
                        f"substr({d}_l, 9, 2) = substr({d}_r, 6, 2)",
                        "day and month swapped",
                    ).configure(m_probability=0.04),
                    cll.LevenshteinLevel(d, 1).configure(m_probability=0.06),
                    cll.CustomLevel(
                        f"substr({d}_l, 6, 5) = substr({d}_r, 6, 5) "
                        f"AND abs(birth_year_l - birth_year_r) <= {tol}",
                        f"same day and month, years within {tol} (age estimated)",
                    ).configure(m_probability=0.03),
                    cll.CustomLevel(
                        f"({d}_l IS NULL OR {d}_r IS NULL) AND birth_year_l = birth_year_r",
                        "same year of birth (one record has only the year)",
                    ).configure(m_probability=0.03),
                    cll.CustomLevel(
                        f"({d}_l IS NULL OR {d}_r IS NULL) "
                        f"AND abs(birth_year_l - birth_year_r) <= {tol}",
                        f"years of birth within {tol} (one record has only the year)",
                    ).configure(m_probability=0.01),
                    cll.CustomLevel(
                        "birth_year_l = birth_year_r", "same year, different dates of birth"
                    ).configure(m_probability=0.02),
                    cll.CustomLevel(
                        f"abs(birth_year_l - birth_year_r) <= {tol}",
                        f"dates of birth within {tol} years",
                    ).configure(m_probability=0.01),
                    cll.ElseLevel().configure(m_probability=0.02),
                ],
                output_column_name=d,
            )
        )
    for column, enabled in (("nationality", spec.nationality), ("sex", spec.sex)):
        if enabled:
            out.append(
                cl.CustomComparison(
                    [
                        cll.NullLevel(column),
                        # Agreement is fixed at a Bayes factor of 1: names already carry
                        # nationality and sex (people who share a name mostly share them),
                        # so only a disagreement is evidence (against a match).
                        cll.ExactMatchLevel(column).configure(
                            m_probability=1.0, u_probability=1.0,
                            fix_m_probability=True, fix_u_probability=True,
                        ),
                        cll.ElseLevel().configure(m_probability=0.03),
                    ],
                    output_column_name=column,
                )
            )
    if spec.place_of_identification is not None:
        p = "place_of_identification"
        out.append(
            cl.CustomComparison(
                [
                    cll.NullLevel(p),
                    cll.ExactMatchLevel(p).configure(m_probability=0.6),
                    cll.JaroWinklerLevel(p, spec.place_of_identification.jaro_winkler).configure(
                        m_probability=0.1
                    ),
                    cll.ElseLevel().configure(m_probability=0.3),
                ],
                output_column_name=p,
            )
        )
    if spec.date_of_identification is not None:
        d = "date_of_identification"
        days = spec.date_of_identification.days
        levels: list[Any] = [cll.NullLevel(d)]
        share = 0.8 / len(days)
        levels += [
            cll.AbsoluteDateDifferenceLevel(
                d, input_is_string=False, threshold=n, metric="day"
            ).configure(m_probability=share)
            for n in days
        ]
        levels.append(cll.ElseLevel().configure(m_probability=0.2))
        out.append(cl.CustomComparison(levels, output_column_name=d))
    return out


def _link(records: NormalisedRecords, config: LinkageConfig, *, verbose: bool) -> LinkageResult:
    from splink import Linker, SettingsCreator
    from splink.internals.exceptions import SplinkException

    notes: list[str] = []
    n = len(records)
    with _splink_logging(verbose), contextlib.ExitStack() as stack:
        scratch = None
        if config.backend == "spark" and "checkpoint_dir" not in config.spark:
            scratch = stack.enter_context(tempfile.TemporaryDirectory(prefix="vigil-spark-"))
        db_api = _db_api(config, scratch)
        try:
            table = _register(db_api, config, records)
            settings = SettingsCreator(
                link_type="dedupe_only",
                comparisons=_comparisons(config.comparisons),
                blocking_rules_to_generate_predictions=[_blocking_rule(r) for r in config.blocking],
                additional_columns_to_retain=["list_name", "row"],
                max_iterations=config.training.max_iterations,
                retain_matching_columns=False,
            )
            linker = Linker(table, settings, log_level=None)
            training = config.training
            prior = _estimate_prior(linker, training.deterministic, training.recall, n)
            if prior is None:
                prior = min(0.5, 1.0 / max(n - 1, 1))
                notes.append(
                    "no exact matches on the deterministic rules; "
                    "prior match probability set to 1/(records - 1)"
                )
                linker._settings_obj._probability_two_random_records_match = prior
            linker.training.estimate_u_using_random_sampling(
                max_pairs=training.max_pairs, seed=training.seed
            )
            for rule in training.em_blocking:
                if not _train_em(linker, rule, training.max_iterations):
                    notes.append(
                        f"EM training blocked on {', '.join(rule)} found no usable estimates; "
                        "skipped"
                    )
            predictions = linker.inference.predict(
                threshold_match_probability=config.threshold, warning_mode="never"
            )
            n_links = _count_rows(predictions)
            clusters: Any = linker.clustering.cluster_pairwise_predictions_at_threshold(
                predictions, threshold_match_probability=config.threshold
            )
            cluster_table = clusters.as_pyarrow_table()
            uids = cluster_table.column("unique_id").to_pylist()
            cids = cluster_table.column("cluster_id").to_pylist()
        except Exception as exc:
            # Splink's message carries SQL and the backend's error, which may quote data:
            # shown only when verbose output was asked for. Spark's own errors (py4j, pyspark)
            # reach here unwrapped by Splink, so with that backend every error is reported so.
            if not (isinstance(exc, SplinkException) or config.backend == "spark"):
                raise
            if verbose:
                print(f"splink: {exc}", file=sys.stderr)
            raise EstimationError(
                f"record linkage failed in the {config.backend} backend "
                f"({type(exc.__cause__ or exc).__name__}); run with --verbose to see why",
                config.source,
            ) from None
    renumber: dict[Hashable, int] = {}
    by_uid = dict(zip(uids, cids, strict=True))
    record_clusters: list[int] = []
    for uid in records.columns["unique_id"]:
        cid = by_uid.get(uid, ("unclustered", uid))
        record_clusters.append(renumber.setdefault(cid, len(renumber)))
    names = config.list_names
    members: dict[int, set[str]] = {}
    for cluster, list_name in zip(record_clusters, records.columns["list_name"], strict=True):
        members.setdefault(cluster, set()).add(list_name)
    histories = capture_histories_from_memberships(
        names, [frozenset(v) for v in members.values()]
    )
    return LinkageResult(
        lists=names,
        capture_histories=histories,
        record_lists=tuple(records.columns["list_name"]),
        record_rows=tuple(records.columns["row"]),
        record_clusters=tuple(record_clusters),
        n_links=n_links,
        threshold=config.threshold,
        backend=config.backend,
        probability_two_random_records_match=float(prior),
        notes=tuple(notes),
    )


def _train_em(linker: Any, rule: tuple[str, ...], max_iterations: int) -> bool:
    """One EM session blocked on ``rule``; ``False`` when no usable estimate came out.

    EM drives the m probability of a level that true matches never show towards 0; past
    1e-300 Splink refuses the value and the session fails half-way. The model is then
    restored and the session rerun with fewer iterations (stopping EM earlier), and given up
    when even that fails (e.g. the rule finds no pairs).
    """
    from splink import block_on
    from splink.internals.exceptions import SplinkException

    limits = [max_iterations] + [k for k in (10, 4, 2) if k < max_iterations]
    for limit in limits:
        snapshot = copy.deepcopy(linker._settings_obj)
        settings = linker._settings_obj
        settings.training_settings = dataclasses.replace(
            settings.training_settings, max_iterations=limit
        )
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(block_on(*rule))
        except (SplinkException, ValueError, ZeroDivisionError):
            linker._settings_obj = snapshot
            continue
        finally:
            linker._settings_obj.training_settings = snapshot.training_settings
        return True
    return False


def _estimate_prior(
    linker: Any, rules: Sequence[tuple[str, ...]], recall: float, n: int
) -> float | None:
    """Splink's direct estimate of the prior match probability; ``None`` when it fails."""
    from splink import block_on

    try:
        linker.training.estimate_probability_two_random_records_match(
            [block_on(*r) for r in rules], recall=recall
        )
    except ValueError:
        return None
    prob = float(linker._settings_obj._probability_two_random_records_match)
    if not 0 < prob < 1 or math.isnan(prob):
        return None
    return prob


def _count_rows(frame: Any) -> int:
    result = frame.query_sql(f"select count(*) as n from {frame.physical_name}")
    return int(result.as_record_list()[0]["n"])


# --------------------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class LinkageQuality:
    """Pairwise and cluster-level precision, recall and F1 against a known truth."""

    precision: float
    recall: float
    f1: float
    cluster_precision: float
    cluster_recall: float
    cluster_f1: float
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int

    def summary(self) -> str:
        return (
            f"pairwise precision {self.precision:.4f} recall {self.recall:.4f} "
            f"F1 {self.f1:.4f} ({self.correct_pairs} of {self.predicted_pairs} predicted, "
            f"{self.true_pairs} true pairs); cluster precision {self.cluster_precision:.4f} "
            f"recall {self.cluster_recall:.4f} F1 {self.cluster_f1:.4f}"
        )


def _f1(p: float, r: float) -> float:
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def evaluate_linkage(
    predicted: Sequence[Hashable], truth: Sequence[Hashable]
) -> LinkageQuality:
    """Compare two clusterings of the same records (``predicted[i]``, ``truth[i]``: cluster
    labels of record ``i``).

    Pairwise: a pair of records is predicted linked when both are in the same predicted
    cluster (after transitive closure), truly linked when they are the same person.
    Cluster level: a predicted cluster is correct when it holds exactly one person's records.
    """
    if len(predicted) != len(truth):
        raise ValueError("predicted and true labels must have the same length")
    joint = Counter(zip(predicted, truth, strict=True))
    pred_sizes = Counter(predicted)
    true_sizes = Counter(truth)
    correct = sum(_pairs(c) for c in joint.values())
    predicted_pairs = sum(_pairs(c) for c in pred_sizes.values())
    true_pairs = sum(_pairs(c) for c in true_sizes.values())
    precision = correct / predicted_pairs if predicted_pairs else 1.0
    recall = correct / true_pairs if true_pairs else 1.0
    exact = sum(
        1
        for (p, t), c in joint.items()
        if c == pred_sizes[p] and c == true_sizes[t]
    )
    c_precision = exact / len(pred_sizes) if pred_sizes else 1.0
    c_recall = exact / len(true_sizes) if true_sizes else 1.0
    return LinkageQuality(
        precision=precision,
        recall=recall,
        f1=_f1(precision, recall),
        cluster_precision=c_precision,
        cluster_recall=c_recall,
        cluster_f1=_f1(c_precision, c_recall),
        true_pairs=true_pairs,
        predicted_pairs=predicted_pairs,
        correct_pairs=correct,
    )


def compare_capture_histories(
    linked: CaptureHistories, truth: CaptureHistories
) -> dict[str, float]:
    """How far a linked capture-history table is from the true one.

    ``total_relative_error``: (linked people - true people) / true people.
    ``l1_share``: sum over patterns of |linked - true| divided by the true total (0 is
    identical; a person split in two or two people merged each move it by about 2/N).
    """
    if linked.lists != truth.lists:
        raise ValueError("the two tables have different lists")
    total = truth.n_observed
    l1 = int(abs(linked.cell_counts() - truth.cell_counts()).sum())
    return {
        "total_relative_error": (linked.n_observed - total) / total if total else 0.0,
        "l1_share": l1 / total if total else 0.0,
    }

