"""The ``lists.yaml`` configuration of record linkage: which lists, how to read them, how to link.

The file is validated as a whole before any data is read. Every problem is an
``InputError`` whose place names the file and the key (``lists.yaml, key
lists.police.columns.given_name``); values from the data never appear in messages.
See ``docs/linkage.md`` for the documented format.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from vigil.errors import InputError
from vigil.io.yamlfile import read_yaml
from vigil.stats.capture import MAX_LISTS

__all__ = [
    "BLOCKING_COLUMNS",
    "FIELDS",
    "NAMES_SWAPPED",
    "BlockingRule",
    "ComparisonsSpec",
    "DateOfBirthSpec",
    "IdentificationDateSpec",
    "LinkageConfig",
    "ListSpec",
    "NameSpec",
    "PlaceSpec",
    "TrainingSpec",
    "apply_list_arguments",
    "config_from_mapping",
    "load_config",
]

#: Canonical fields a list can map its columns to.
FIELDS = (
    "given_name",
    "family_name",
    "date_of_birth",
    "birth_year",
    "nationality",
    "sex",
    "place_of_identification",
    "date_of_identification",
)
_DATE_FIELDS = ("date_of_birth", "date_of_identification")
_VALUE_MAP_FIELDS = ("sex", "nationality")

#: Columns of the normalised records that blocking rules may use (equality on each).
BLOCKING_COLUMNS = (
    "given_name",
    "family_name",
    "given_name_key",
    "family_name_key",
    "date_of_birth",
    "birth_year",
    "nationality",
    "sex",
    "place_of_identification",
    "date_of_identification",
)
#: Special blocking rule: given and family name keys swapped between the two records.
NAMES_SWAPPED: Literal["names_swapped"] = "names_swapped"

#: A blocking rule: equality on every column listed, or ``NAMES_SWAPPED``.
BlockingRule = tuple[str, ...] | Literal["names_swapped"]

_LIST_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class ListSpec:
    """One agency list: where it is and how its columns map to the canonical fields."""

    name: str
    file: Path | None
    columns: Mapping[str, str] | None = None  # canonical field -> column; None: same names
    date_formats: Mapping[str, str] = field(default_factory=dict)  # per date field
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # sex/nationality
    delimiter: str = ","

    def date_format(self, field_name: str) -> str:
        """The ``strptime`` format of a date field in this list (ISO 8601 by default)."""
        return self.date_formats.get(field_name, "%Y-%m-%d")


@dataclass(frozen=True)
class NameSpec:
    """Name comparison: Jaro-Winkler thresholds on the folded name (decreasing)."""

    jaro_winkler: tuple[float, ...] = (0.92, 0.8)


@dataclass(frozen=True)
class DateOfBirthSpec:
    """Date of birth: exact, day/month swapped, one typo, same year, years apart."""

    year_tolerance: int = 2


@dataclass(frozen=True)
class PlaceSpec:
    """Place of identification: exact or Jaro-Winkler at the threshold."""

    jaro_winkler: float = 0.9


@dataclass(frozen=True)
class IdentificationDateSpec:
    """Date of identification: within each number of days (increasing)."""

    days: tuple[int, ...] = (30, 365)


@dataclass(frozen=True)
class ComparisonsSpec:
    """Which comparisons the model uses; ``None``/``False`` switches one off."""

    given_name: NameSpec | None = field(default_factory=NameSpec)
    family_name: NameSpec | None = field(default_factory=NameSpec)
    date_of_birth: DateOfBirthSpec | None = field(default_factory=DateOfBirthSpec)
    nationality: bool = True
    sex: bool = True
    place_of_identification: PlaceSpec | None = field(default_factory=PlaceSpec)
    date_of_identification: IdentificationDateSpec | None = field(
        default_factory=IdentificationDateSpec
    )


DEFAULT_BLOCKING: tuple[BlockingRule, ...] = (
    ("given_name_key", "family_name_key"),
    ("family_name_key", "birth_year"),
    ("given_name_key", "birth_year"),
    ("family_name_key", "nationality", "place_of_identification"),
    ("given_name_key", "nationality", "place_of_identification"),
    ("date_of_birth", "nationality"),
    NAMES_SWAPPED,
)


@dataclass(frozen=True)
class TrainingSpec:
    """Parameter estimation: u by random sampling, m by EM over the blocking rules given."""

    em_blocking: tuple[tuple[str, ...], ...] = (
        ("date_of_birth",),
        ("given_name_key", "family_name_key"),
    )
    deterministic: tuple[tuple[str, ...], ...] = (
        ("given_name_key", "family_name_key", "birth_year"),
    )
    recall: float = 0.7
    max_pairs: float = 2e6
    seed: int = 42
    max_iterations: int = 25


@dataclass(frozen=True)
class LinkageConfig:
    """The whole linkage configuration (see ``docs/linkage.md``)."""

    lists: tuple[ListSpec, ...]
    comparisons: ComparisonsSpec = field(default_factory=ComparisonsSpec)
    blocking: tuple[BlockingRule, ...] = DEFAULT_BLOCKING
    training: TrainingSpec = field(default_factory=TrainingSpec)
    threshold: float = 0.7
    backend: Literal["duckdb", "spark"] = "duckdb"
    spark: Mapping[str, Any] = field(default_factory=dict)
    source: str = "lists.yaml"

    @property
    def list_names(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in self.lists)

    def with_threshold(self, threshold: float) -> LinkageConfig:
        """The same configuration with another match-probability threshold."""
        _check_probability(threshold, self.source, "threshold", "--threshold")
        return replace(self, threshold=float(threshold))


# --------------------------------------------------------------------------- loading


def load_config(path: str | Path) -> LinkageConfig:
    """Read and validate a ``lists.yaml`` file; list files are relative to its folder."""
    path = Path(path)
    source = path.name
    data = read_yaml(path, "configuration file", label=source)
    return config_from_mapping(data, source=source, base_dir=path.parent)


def config_from_mapping(
    data: Any, *, source: str = "lists.yaml", base_dir: Path | None = None
) -> LinkageConfig:
    """Validate a parsed ``lists.yaml`` document (a mapping) into a ``LinkageConfig``."""
    base = base_dir if base_dir is not None else Path(".")
    top = _mapping(data, source, "")
    _only_keys(
        top,
        {"version", "lists", "comparisons", "blocking", "training", "threshold", "backend",
         "spark"},
        source,
        "",
    )
    if "version" in top and top["version"] != 1:
        raise InputError("unsupported version (this Vigil reads version 1)", _at(source, "version"))
    if "lists" not in top:
        raise InputError("missing key 'lists' (the agency lists to link)", source)
    lists_map = _mapping(top["lists"], source, "lists")
    if not lists_map:
        raise InputError("no list given", _at(source, "lists"))
    if len(lists_map) > MAX_LISTS:
        raise InputError(f"at most {MAX_LISTS} lists can be linked", _at(source, "lists"))
    lists = tuple(_list_spec(str(name), spec, source, base) for name, spec in lists_map.items())
    comparisons = _comparisons(top.get("comparisons"), source)
    blocking = (
        _blocking_rules(top["blocking"], source, "blocking", allow_swapped=True)
        if "blocking" in top
        else DEFAULT_BLOCKING
    )
    training = _training(top.get("training"), source)
    threshold = top.get("threshold", 0.7)
    _check_probability(threshold, source, "threshold", _at(source, "threshold"))
    backend = top.get("backend", "duckdb")
    if backend not in ("duckdb", "spark"):
        raise InputError("must be 'duckdb' or 'spark'", _at(source, "backend"))
    spark = _spark_options(top.get("spark"), source)
    return LinkageConfig(
        lists=lists,
        comparisons=comparisons,
        blocking=blocking,
        training=training,
        threshold=float(threshold),
        backend=backend,
        spark=spark,
        source=source,
    )


def apply_list_arguments(
    config: LinkageConfig, arguments: Sequence[str], cwd: Path | None = None
) -> LinkageConfig:
    """Select (and re-point) lists from command-line ``LIST`` arguments.

    Each argument is ``name=path.csv`` (list ``name`` of the configuration, read from
    ``path.csv`` instead of its configured file) or a path equal to a list's configured
    file. With arguments, exactly the lists named are linked, in configuration order;
    without, all of them.
    """
    if not arguments:
        return config
    here = cwd if cwd is not None else Path.cwd()
    by_name = {spec.name: spec for spec in config.lists}
    chosen: dict[str, ListSpec] = {}
    for arg in arguments:
        name, sep, path = arg.partition("=")
        if sep:
            if name not in by_name:
                raise InputError(
                    f"list '{name}' is not in the configuration "
                    f"(lists: {', '.join(by_name)})",
                    f"argument {arg!r}",
                )
            if not path:
                raise InputError("empty file name after '='", f"argument {arg!r}")
            spec = replace(by_name[name], file=(here / path))
        else:
            target = (here / arg).resolve()
            matches = [s for s in config.lists if s.file is not None and s.file.resolve() == target]
            if not matches:
                raise InputError(
                    "not a file named in the configuration; write name=path to use another file",
                    f"argument {arg!r}",
                )
            spec = matches[0]
        if spec.name in chosen:
            raise InputError(f"list '{spec.name}' given twice", f"argument {arg!r}")
        chosen[spec.name] = spec
    return replace(config, lists=tuple(chosen[n] for n in by_name if n in chosen))


# --------------------------------------------------------------------------- helpers


def _at(source: str, key: str) -> str:
    return f"{source}, key {key}" if key else source


def _mapping(value: Any, source: str, key: str) -> dict[str, Any]:
    if value is None and key:
        return {}
    if not isinstance(value, dict):
        raise InputError("must be a mapping (key: value)", _at(source, key))
    for k in value:
        if not isinstance(k, str):
            raise InputError("keys must be text", _at(source, key))
    return value


def _only_keys(data: Mapping[str, Any], allowed: set[str], source: str, key: str) -> None:
    for k in data:
        if k not in allowed:
            where = f"{key}.{k}" if key else k
            raise InputError(
                f"unknown key (expected one of: {', '.join(sorted(allowed))})", _at(source, where)
            )


def _check_probability(value: Any, source: str, key: str, place: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
        raise InputError("must be a number strictly between 0 and 1", place)


def _text(value: Any, source: str, key: str) -> str:
    if not isinstance(value, str) or not value:
        raise InputError("must be non-empty text", _at(source, key))
    return value


def _list_spec(name: str, data: Any, source: str, base: Path) -> ListSpec:
    key = f"lists.{name}"
    if not _LIST_NAME.match(name) or name == "count":
        raise InputError(
            "a list name must start with a letter, use letters, digits, '_', '.', '-', "
            "and not be 'count'",
            _at(source, key),
        )
    if isinstance(data, str):
        data = {"file": data}
    spec = _mapping(data, source, key)
    _only_keys(spec, {"file", "columns", "date_format", "date_formats", "values", "delimiter"},
               source, key)
    file = base / _text(spec["file"], source, f"{key}.file") if "file" in spec else None
    columns: dict[str, str] | None = None
    if "columns" in spec:
        columns = {}
        for canonical, column in _mapping(spec["columns"], source, f"{key}.columns").items():
            ckey = f"{key}.columns.{canonical}"
            if canonical not in FIELDS:
                raise InputError(
                    f"unknown field (expected one of: {', '.join(FIELDS)})", _at(source, ckey)
                )
            columns[canonical] = _text(column, source, ckey)
        if not ({"given_name", "family_name"} & columns.keys()):
            raise InputError(
                "map at least one of given_name and family_name", _at(source, f"{key}.columns")
            )
    date_formats: dict[str, str] = {}
    if "date_format" in spec:
        fmt = _date_format(spec["date_format"], source, f"{key}.date_format")
        date_formats = dict.fromkeys(_DATE_FIELDS, fmt)
    for fname, fmt in _mapping(spec.get("date_formats"), source, f"{key}.date_formats").items():
        fkey = f"{key}.date_formats.{fname}"
        if fname not in _DATE_FIELDS:
            raise InputError(
                f"not a date field (expected one of: {', '.join(_DATE_FIELDS)})",
                _at(source, fkey),
            )
        date_formats[fname] = _date_format(fmt, source, fkey)
    values: dict[str, dict[str, str]] = {}
    for fname, table in _mapping(spec.get("values"), source, f"{key}.values").items():
        vkey = f"{key}.values.{fname}"
        if fname not in _VALUE_MAP_FIELDS:
            raise InputError(
                f"values can be mapped for: {', '.join(_VALUE_MAP_FIELDS)}", _at(source, vkey)
            )
        mapped: dict[str, str] = {}
        for raw, code in _mapping(table, source, vkey).items():
            if code is None:
                code = ""
            if not isinstance(code, str):
                raise InputError("mapped values must be text", _at(source, f"{vkey}.{raw}"))
            mapped[str(raw)] = code
        values[fname] = mapped
    delimiter = spec.get("delimiter", ",")
    if not isinstance(delimiter, str) or len(delimiter) != 1:
        raise InputError("must be a single character", _at(source, f"{key}.delimiter"))
    return ListSpec(
        name=name,
        file=file,
        columns=columns,
        date_formats=date_formats,
        values=values,
        delimiter=delimiter,
    )


def _date_format(value: Any, source: str, key: str) -> str:
    fmt = _text(value, source, key)
    if not any(d in fmt for d in ("%d", "%j")) or ("%Y" not in fmt and "%y" not in fmt):
        raise InputError(
            "must be a strptime format with day and year, e.g. '%d/%m/%Y'", _at(source, key)
        )
    return fmt


def _thresholds(value: Any, source: str, key: str, *, low: float, high: float) -> tuple[float, ...]:
    items = value if isinstance(value, list) else [value]
    out: list[float] = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, int | float) or not low < item < high:
            raise InputError(f"thresholds must be numbers between {low} and {high}",
                             _at(source, key))
        out.append(float(item))
    if not out:
        raise InputError("give at least one threshold", _at(source, key))
    return tuple(out)


def _comparisons(data: Any, source: str) -> ComparisonsSpec:
    comp = _mapping(data, source, "comparisons")
    names = {f.name for f in ComparisonsSpec.__dataclass_fields__.values()}
    _only_keys(comp, names, source, "comparisons")
    spec = ComparisonsSpec()
    for fname, value in comp.items():
        key = f"comparisons.{fname}"
        if value is False:
            off: dict[str, Any] = {fname: False if fname in ("nationality", "sex") else None}
            spec = replace(spec, **off)
            continue
        if value is True or value is None:
            continue  # default settings
        opts = _mapping(value, source, key)
        if fname in ("given_name", "family_name"):
            _only_keys(opts, {"jaro_winkler"}, source, key)
            name_spec = NameSpec()
            if "jaro_winkler" in opts:
                jw = _thresholds(opts["jaro_winkler"], source, f"{key}.jaro_winkler",
                                 low=0, high=1)
                if list(jw) != sorted(jw, reverse=True):
                    raise InputError("thresholds must be decreasing",
                                     _at(source, f"{key}.jaro_winkler"))
                name_spec = NameSpec(jaro_winkler=jw)
            named: dict[str, Any] = {fname: name_spec}
            spec = replace(spec, **named)
        elif fname == "date_of_birth":
            _only_keys(opts, {"year_tolerance"}, source, key)
            tol = opts.get("year_tolerance", 2)
            if isinstance(tol, bool) or not isinstance(tol, int) or not 1 <= tol <= 20:
                raise InputError("must be a whole number of years from 1 to 20",
                                 _at(source, f"{key}.year_tolerance"))
            spec = replace(spec, date_of_birth=DateOfBirthSpec(year_tolerance=tol))
        elif fname == "place_of_identification":
            _only_keys(opts, {"jaro_winkler"}, source, key)
            jw1 = _thresholds(opts.get("jaro_winkler", 0.9), source, f"{key}.jaro_winkler",
                              low=0, high=1)
            if len(jw1) != 1:
                raise InputError("give one threshold", _at(source, f"{key}.jaro_winkler"))
            spec = replace(spec, place_of_identification=PlaceSpec(jaro_winkler=jw1[0]))
        elif fname == "date_of_identification":
            _only_keys(opts, {"days"}, source, key)
            days = _thresholds(opts.get("days", [30, 365]), source, f"{key}.days",
                               low=0, high=36500)
            if any(d != int(d) for d in days) or list(days) != sorted(set(days)):
                raise InputError("days must be increasing whole numbers",
                                 _at(source, f"{key}.days"))
            spec = replace(
                spec, date_of_identification=IdentificationDateSpec(tuple(int(d) for d in days))
            )
        else:  # nationality, sex: only true/false
            raise InputError("must be true or false", _at(source, key))
    if spec.given_name is None and spec.family_name is None:
        raise InputError("at least one name comparison is needed", _at(source, "comparisons"))
    return spec


def _blocking_rules(
    data: Any, source: str, key: str, *, allow_swapped: bool
) -> tuple[BlockingRule, ...]:
    if not isinstance(data, list) or not data:
        raise InputError("must be a non-empty list of rules", _at(source, key))
    rules: list[BlockingRule] = []
    for i, rule in enumerate(data):
        rkey = f"{key}[{i}]"
        if rule == NAMES_SWAPPED and allow_swapped:
            rules.append(NAMES_SWAPPED)
            continue
        cols = [rule] if isinstance(rule, str) else rule
        if not isinstance(cols, list) or not cols:
            raise InputError(
                "a rule is a list of columns"
                + (f" or '{NAMES_SWAPPED}'" if allow_swapped else ""),
                _at(source, rkey),
            )
        for j, col in enumerate(cols):
            if col not in BLOCKING_COLUMNS:
                raise InputError(
                    f"unknown column (expected one of: {', '.join(BLOCKING_COLUMNS)})",
                    _at(source, f"{rkey}[{j}]"),
                )
        rules.append(tuple(cols))
    return tuple(rules)


def _training(data: Any, source: str) -> TrainingSpec:
    opts = _mapping(data, source, "training")
    _only_keys(opts, {"em_blocking", "deterministic", "recall", "max_pairs", "seed",
                      "max_iterations"}, source, "training")
    spec = TrainingSpec()
    if "em_blocking" in opts:
        em = _blocking_rules(opts["em_blocking"], source, "training.em_blocking",
                             allow_swapped=False)
        spec = replace(spec, em_blocking=tuple(r for r in em if isinstance(r, tuple)))
    if "deterministic" in opts:
        det = _blocking_rules(opts["deterministic"], source, "training.deterministic",
                              allow_swapped=False)
        spec = replace(spec, deterministic=tuple(r for r in det if isinstance(r, tuple)))
    if "recall" in opts:
        recall = opts["recall"]
        if isinstance(recall, bool) or not isinstance(recall, int | float) or not 0 < recall <= 1:
            raise InputError("must be a number in (0, 1]", _at(source, "training.recall"))
        spec = replace(spec, recall=float(recall))
    if "max_pairs" in opts:
        mp = opts["max_pairs"]
        if isinstance(mp, bool) or not isinstance(mp, int | float) or mp < 1000:
            raise InputError("must be a number of at least 1000", _at(source, "training.max_pairs"))
        spec = replace(spec, max_pairs=float(mp))
    for ikey, low in (("seed", 0), ("max_iterations", 1)):
        if ikey in opts:
            val = opts[ikey]
            if isinstance(val, bool) or not isinstance(val, int) or val < low:
                raise InputError(f"must be a whole number of at least {low}",
                                 _at(source, f"training.{ikey}"))
            number: dict[str, Any] = {ikey: val}
            spec = replace(spec, **number)
    return spec


def _spark_options(data: Any, source: str) -> dict[str, Any]:
    opts = _mapping(data, source, "spark")
    _only_keys(opts, {"master", "app_name", "conf", "checkpoint_dir"}, source, "spark")
    for key in ("master", "app_name", "checkpoint_dir"):
        if key in opts:
            _text(opts[key], source, f"spark.{key}")
    if "conf" in opts:
        for ckey, val in _mapping(opts["conf"], source, "spark.conf").items():
            if not isinstance(val, str | int | float | bool):
                raise InputError("must be a scalar", _at(source, f"spark.conf.{ckey}"))
    return dict(opts)
