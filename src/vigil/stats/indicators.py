"""National indicators as data: a versioned YAML set, a loader, and a columnar engine.

An indicator set (``data/indicators/nap-2026.yaml``) names its *sources* (the record types
counted: cases, screenings, referrals, follow-ups, agencies...), its *dimensions* (sex, age
group, form of exploitation, sector, region, citizenship, who identified...) and its
*indicators*: a numerator filter over one source, an optional denominator filter (then the
indicator is a percentage), the period column and the disaggregations. See the file's header
for the filter language.

:func:`compute` takes plain columns (``{source: {column: sequence or numpy array}}``, one
entry per record) and returns, for each indicator and disaggregation, a period x category
table whose every cell passed disclosure control (:func:`vigil.stats.disclosure.suppress_table`:
counts below ``k`` hidden, and the cells that would give them back). Each result says which cells
were hidden and why. An indicator over a source that is not in the data (an app that is not
installed) is *hidden*, not an error.

The engine never touches a database: string columns are coded once (dense ranks with polars),
filters are boolean masks, and every table of an indicator is one ``numpy.bincount`` over the
coded period and category.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from vigil.errors import InputError
from vigil.io.yamlfile import read_yaml
from vigil.stats import countries, subdivisions
from vigil.stats.disclosure import DEFAULT_K, suppress_table

__all__ = [
    "PERIODS",
    "Dimension",
    "Indicator",
    "IndicatorResult",
    "IndicatorSet",
    "Source",
    "Table",
    "available_sets",
    "compute",
    "load_set",
    "members",
    "prepare",
]

DATA_PACKAGE = "vigil.stats.data.indicators"
PERIODS = ("year", "quarter", "month")
STATISTICS = ("count", "median_days")
COUNTS = ("persons", "establishments", "records")
TOTAL = "total"
UNKNOWN = ""

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


# --- the set ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    """``column`` is one of ``values`` (``negate``: none of them), or ``present`` (non-empty)."""

    column: str
    values: tuple[Any, ...] = ()
    negate: bool = False
    present: bool | None = None


@dataclass(frozen=True)
class Has:
    """At least one record of ``source`` linked to this one matches (``negate``: none does)."""

    source: str
    where: Filter
    negate: bool = False


@dataclass(frozen=True)
class AnyOf:
    options: tuple[Filter, ...]


@dataclass(frozen=True)
class Filter:
    clauses: tuple[Condition | Has | AnyOf, ...] = ()

    def sources(self) -> set[str]:
        out: set[str] = set()
        for clause in self.clauses:
            if isinstance(clause, Has):
                out |= {clause.source, *clause.where.sources()}
            elif isinstance(clause, AnyOf):
                for option in clause.options:
                    out |= option.sources()
        return out

    def columns(self) -> set[str]:
        out: set[str] = set()
        for clause in self.clauses:
            if isinstance(clause, Condition):
                out.add(clause.column)
            elif isinstance(clause, AnyOf):
                for option in clause.options:
                    out |= option.columns()
        return out


@dataclass(frozen=True)
class Derived:
    """A column of a source read from its linked records: ``take`` first, min or max of
    ``column`` over the records of ``source`` matching ``where``."""

    name: str
    source: str
    column: str
    where: Filter
    take: str
    fallback: str | None = None  # the column read where ``column`` is empty (e.g. the country)


@dataclass(frozen=True)
class Source:
    name: str
    key: str | None  # the column identifying a record (sources others link to)
    link: str | None  # the column holding the key of the parent (``cases``) record
    orm_model: str | None
    orm_fields: Mapping[str, str]
    derived: tuple[Derived, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self.orm_fields)


@dataclass(frozen=True)
class Dimension:
    id: str
    title: str
    column: str
    labels: Mapping[str, str] = field(default_factory=dict)
    age_at: str | None = None
    bands: tuple[tuple[str, int, int], ...] = ()
    multiple: str | None = None
    codes: str | None = None  # "country": ISO 3166-1 alpha-3 codes; "subdivision": ISO 3166-2
    # codes, or alpha-3 codes where only the country is known (the fallback of a derived column)

    def label(self, code: str) -> str:
        if code == TOTAL:
            return "Total"
        if code == UNKNOWN:
            return "Not recorded"
        if self.codes == "country" and code not in self.labels:
            return countries.name(code)
        if self.codes == "subdivision" and code not in self.labels:
            return subdivision_label(code, "en", COUNTRY_ONLY)
        return self.labels.get(code, code)


COUNTRY_ONLY = "{country} (country; region not recorded)"


def subdivision_label(code: str, lang: str, country_only: str) -> str:
    """``Region, Country`` for an ISO 3166-2 code, ``country_only`` (with ``{country}``) for an
    alpha-3 code, the value as recorded for anything else (a free-text region)."""
    if subdivisions.is_code(code):
        owner = subdivisions.country_of(code) or ""
        return f"{subdivisions.name(code, lang)}, {countries.name(owner, lang)}"
    if len(code) == 3 and countries.name(code, lang) != code:
        return country_only.replace("{country}", countries.name(code, lang))
    return code


@dataclass(frozen=True)
class Indicator:
    id: str
    title: str
    source: str
    numerator: Filter
    denominator: Filter | None
    period: str
    disaggregations: tuple[str, ...]
    distinct: str | None = None
    statistic: str = "count"
    duration: tuple[str, str] | None = None
    counts: str = "persons"
    description: str = ""

    @property
    def is_rate(self) -> bool:
        return self.denominator is not None

    def sources(self) -> set[str]:
        out = {self.source, *self.numerator.sources()}
        if self.denominator is not None:
            out |= self.denominator.sources()
        return out


@dataclass(frozen=True)
class IndicatorSet:
    id: str
    version: str
    title: str
    citation: str
    k: int
    establishments_k: int
    sources: Mapping[str, Source]
    dimensions: Mapping[str, Dimension]
    indicators: tuple[Indicator, ...]

    def indicator(self, indicator_id: str) -> Indicator:
        for ind in self.indicators:
            if ind.id == indicator_id:
                return ind
        raise InputError(f"no indicator {indicator_id!r} in {self.id} {self.version}")

    def needed_sources(self, indicator: Indicator) -> set[str]:
        """Every source the indicator reads, with those of derived columns it uses."""
        need = indicator.sources()
        source = self.sources.get(indicator.source)
        if source is not None:
            used = {indicator.period, *indicator.numerator.columns()}
            if indicator.denominator is not None:
                used |= indicator.denominator.columns()
            if indicator.duration:
                used |= set(indicator.duration)
            for dim_id in indicator.disaggregations:
                used.add(self.dimensions[dim_id].column)
            own = set(source.columns) | {d.name for d in source.derived}
            parent = self.sources.get("cases")
            for derived in source.derived:
                if derived.name in used:
                    need.add(derived.source)
            if parent is not None and parent is not source:
                for derived in parent.derived:
                    if derived.name in used - own:
                        need.add(derived.source)
        return need


    def used_columns(self, source_name: str) -> tuple[str, ...]:
        """The columns of a source the set reads (in the source's order): its key and link, the
        columns its derived columns and the columns derived from it use, and every column an
        indicator's period, filters, duration, distinct count or dimensions name, on the source
        itself or on its parent (``cases``) through the link. A loader need read no other."""
        wanted: dict[str, set[str]] = {name: set() for name in self.sources}
        parent = self.sources.get("cases")

        def resolve(source: str, column: str) -> None:
            src = self.sources.get(source)
            if src is None:
                return
            if column in src.orm_fields or any(d.name == column for d in src.derived):
                wanted[source].add(column)
            elif parent is not None and src is not parent and src.link is not None:
                resolve("cases", column)

        def walk(source: str, flt: Filter) -> None:
            for clause in flt.clauses:
                if isinstance(clause, Condition):
                    resolve(source, clause.column)
                elif isinstance(clause, AnyOf):
                    for option in clause.options:
                        walk(source, option)
                else:
                    walk(clause.source, clause.where)

        for src in self.sources.values():
            for col in (src.key, src.link):
                if col is not None:
                    wanted[src.name].add(col)
            for derived in src.derived:
                resolve(derived.source, derived.column)
                if derived.fallback is not None:
                    resolve(derived.source, derived.fallback)
                walk(derived.source, derived.where)
        for ind in self.indicators:
            resolve(ind.source, ind.period)
            walk(ind.source, ind.numerator)
            if ind.denominator is not None:
                walk(ind.source, ind.denominator)
            for col in (*(ind.duration or ()), *((ind.distinct,) if ind.distinct else ())):
                resolve(ind.source, col)
            for dim_id in ind.disaggregations:
                dim = self.dimensions[dim_id]
                for col in (dim.column, dim.age_at):
                    if col is not None:
                        resolve(ind.source, col)
        source = self.sources[source_name]
        return tuple(c for c in source.columns if c in wanted[source_name])


def available_sets() -> list[str]:
    """The ids of the indicator sets that ship with Vigil."""
    return sorted(p.stem for p in Path(str(resources.files(DATA_PACKAGE))).glob("*.yaml"))


def load_set(name_or_path: str | Path = "nap-2026") -> IndicatorSet:
    """Read and check an indicator set: a shipped id (``nap-2026``) or a path to a YAML file.
    Every problem raises ``InputError`` naming the file and the key (``indicators[3].numerator``)."""
    text = str(name_or_path)
    if text.endswith((".yaml", ".yml")) or "/" in text:
        path = Path(text)
    else:
        path = Path(str(resources.files(DATA_PACKAGE))) / f"{text}.yaml"
        if not path.exists():
            raise InputError(f"no indicator set {text!r}; shipped: {', '.join(available_sets())}")
    data = read_yaml(path, "indicator set", path.name)
    try:
        return _parse(data)
    except InputError as exc:
        raise exc.at(path.name) from None


def _need(mapping: Mapping[str, Any], key: str, where: str, kind: type | tuple[type, ...]) -> Any:
    if key not in mapping:
        raise InputError(f"missing key {key!r}", where)
    value = mapping[key]
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise InputError(f"{key!r} must be a {names}", where)
    return value


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InputError("must be a mapping", where)
    return value


def _parse(data: Any) -> IndicatorSet:
    top = _mapping(data, "top level")
    set_id = str(_need(top, "id", "top level", (str,)))
    version = str(_need(top, "version", "top level", (str, int, float)))
    title = str(_need(top, "title", "top level", str))
    disclosure = _mapping(top.get("disclosure", {}), "disclosure")
    k = disclosure.get("k", DEFAULT_K)
    establishments_k = disclosure.get("establishments_k", 1)
    for key, value in (("k", k), ("establishments_k", establishments_k)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise InputError("must be a whole number of at least 1", f"disclosure.{key}")
    raw_sources = _mapping(_need(top, "sources", "top level", Mapping), "sources")
    source_names = set(raw_sources)
    sources: dict[str, Source] = {}
    for name, raw in raw_sources.items():
        where = f"sources.{name}"
        spec = _mapping(raw, where)
        orm = _mapping(spec.get("orm", {}), f"{where}.orm")
        fields = _mapping(orm.get("fields", {}), f"{where}.orm.fields")
        if not fields:
            raise InputError("a source needs its columns (orm.fields)", where)
        src_key = spec.get("key")
        link = spec.get("link")
        for what, value in (("key", src_key), ("link", link)):
            if value is not None and value not in fields:
                raise InputError(f"{what} {value!r} is not one of the source's columns", f"{where}.{what}")
        derived = []
        for dname, draw in _mapping(spec.get("derived", {}), f"{where}.derived").items():
            dwhere = f"{where}.derived.{dname}"
            dspec = _mapping(draw, dwhere)
            dsource = str(_need(dspec, "from", dwhere, str))
            if dsource not in source_names:
                raise InputError(f"unknown source {dsource!r}", f"{dwhere}.from")
            take = dspec.get("take", "first")
            if take not in ("first", "min", "max"):
                raise InputError("take must be first, min or max", f"{dwhere}.take")
            fallback = dspec.get("fallback")
            if fallback is not None and not isinstance(fallback, str):
                raise InputError("fallback, if given, is a column name", f"{dwhere}.fallback")
            derived.append(
                Derived(
                    str(dname),
                    dsource,
                    str(_need(dspec, "column", dwhere, str)),
                    _filter(dspec.get("where", {}), f"{dwhere}.where", source_names),
                    str(take),
                    fallback,
                )
            )
        sources[str(name)] = Source(
            str(name),
            None if src_key is None else str(src_key),
            None if link is None else str(link),
            None if orm.get("model") is None else str(orm["model"]),
            {str(c): str(f) for c, f in fields.items()},
            tuple(derived),
        )
    if "cases" in sources and sources["cases"].key is None:
        raise InputError("the cases source needs a key", "sources.cases.key")
    dimensions: dict[str, Dimension] = {}
    for dim_id, raw in _mapping(_need(top, "dimensions", "top level", Mapping), "dimensions").items():
        where = f"dimensions.{dim_id}"
        spec = _mapping(raw, where)
        bands: list[tuple[str, int, int]] = []
        for label, bounds in _mapping(spec.get("bands", {}), f"{where}.bands").items():
            if (
                not isinstance(bounds, list)
                or len(bounds) != 2
                or not all(isinstance(b, int) and not isinstance(b, bool) for b in bounds)
                or bounds[0] > bounds[1]
            ):
                raise InputError("a band is [lowest age, highest age]", f"{where}.bands.{label}")
            bands.append((str(label), bounds[0], bounds[1]))
        if spec.get("age_at") is not None and not bands:
            raise InputError("age_at needs bands", where)
        dimensions[str(dim_id)] = Dimension(
            str(dim_id),
            str(spec.get("title", dim_id)),
            str(_need(spec, "column", where, str)),
            {str(a): str(b) for a, b in _mapping(spec.get("labels", {}), f"{where}.labels").items()},
            None if spec.get("age_at") is None else str(spec["age_at"]),
            tuple(bands),
            None if spec.get("multiple") is None else str(spec["multiple"]),
            _codes(spec.get("codes"), f"{where}.codes"),
        )
    raw_indicators = _need(top, "indicators", "top level", list)
    indicators: list[Indicator] = []
    seen: set[str] = set()
    for n, raw in enumerate(raw_indicators):
        where = f"indicators[{n}]"
        spec = _mapping(raw, where)
        ind_id = str(_need(spec, "id", where, str))
        where = f"indicators[{n}] ({ind_id})"
        if ind_id in seen:
            raise InputError("indicator id used twice", f"{where}.id")
        seen.add(ind_id)
        source = str(_need(spec, "source", where, str))
        if source not in sources:
            raise InputError(f"unknown source {source!r}", f"{where}.source")
        dims = spec.get("disaggregations", [])
        if not isinstance(dims, list):
            raise InputError("must be a list of dimension ids", f"{where}.disaggregations")
        for dim_id in dims:
            if dim_id not in dimensions:
                raise InputError(f"unknown dimension {dim_id!r}", f"{where}.disaggregations")
        count = spec.get("count", "rows")
        distinct = None
        if count != "rows":
            parts = str(count).split()
            if len(parts) != 2 or parts[0] != "distinct":
                raise InputError("count is 'rows' or 'distinct <column>'", f"{where}.count")
            distinct = parts[1]
            if distinct not in sources[source].orm_fields:
                raise InputError(f"{distinct!r} is not a column of {source}", f"{where}.count")
        statistic = spec.get("statistic", "count")
        if statistic not in STATISTICS:
            raise InputError(f"statistic must be one of {', '.join(STATISTICS)}", f"{where}.statistic")
        duration = None
        if statistic == "median_days":
            duration = (str(_need(spec, "from", where, str)), str(_need(spec, "to", where, str)))
        counts = spec.get("counts", "persons")
        if counts not in COUNTS:
            raise InputError(f"counts must be one of {', '.join(COUNTS)}", f"{where}.counts")
        denominator = spec.get("denominator")
        indicators.append(
            Indicator(
                id=ind_id,
                title=str(_need(spec, "title", where, str)),
                source=source,
                numerator=_filter(_need(spec, "numerator", where, (Mapping, type(None))) or {},
                                  f"{where}.numerator", set(sources)),
                denominator=None
                if denominator is None
                else _filter(denominator, f"{where}.denominator", set(sources)),
                period=str(_need(spec, "period", where, str)),
                disaggregations=tuple(str(d) for d in dims),
                distinct=distinct,
                statistic=str(statistic),
                duration=duration,
                counts=str(counts),
                description=str(spec.get("description", "")),
            )
        )
    if not indicators:
        raise InputError("an indicator set needs at least one indicator", "indicators")
    return IndicatorSet(
        set_id, version, title, str(top.get("source", "")), k, establishments_k, sources, dimensions,
        tuple(indicators),
    )


def _filter(raw: Any, where: str, sources: set[str]) -> Filter:
    spec = _mapping(raw, where)
    clauses: list[Condition | Has | AnyOf] = []
    for key, value in spec.items():
        place = f"{where}.{key}"
        if key in ("has", "lacks"):
            for src, sub in _mapping(value, place).items():
                if src not in sources:
                    raise InputError(f"unknown source {src!r}", place)
                clauses.append(Has(str(src), _filter(sub, f"{place}.{src}", sources), key == "lacks"))
        elif key == "any":
            if not isinstance(value, list) or not value:
                raise InputError("any needs a list of filters", place)
            clauses.append(AnyOf(tuple(_filter(v, f"{place}[{i}]", sources) for i, v in enumerate(value))))
        elif isinstance(value, Mapping):
            if set(value) == {"not"}:
                neg = value["not"]
                clauses.append(Condition(str(key), tuple(neg if isinstance(neg, list) else [neg]), True))
            elif set(value) == {"present"} and isinstance(value["present"], bool):
                clauses.append(Condition(str(key), present=value["present"]))
            else:
                raise InputError("a condition is a value, a list, {not: ...} or {present: true|false}", place)
        elif isinstance(value, list):
            if not value:
                raise InputError("an empty list matches nothing", place)
            clauses.append(Condition(str(key), tuple(value)))
        else:
            clauses.append(Condition(str(key), (value,)))
    return Filter(tuple(clauses))


# --- columns --------------------------------------------------------------------------------------


@dataclass
class _Column:
    """One column: ``codes`` into ``categories`` (strings, booleans), or ``values`` (dates as
    day numbers, numbers as float with NaN for missing)."""

    codes: IntArray | None = None
    categories: list[Any] | None = None
    values: npt.NDArray[np.float64] | None = None
    is_date: bool = False

    def present(self) -> BoolArray:
        if self.values is not None:
            return ~np.isnan(self.values)
        assert self.codes is not None and self.categories is not None
        empty = [i for i, c in enumerate(self.categories) if c in (UNKNOWN, None)]
        return ~np.isin(self.codes, empty)

    def matches(self, wanted: Sequence[Any]) -> BoolArray:
        if self.values is not None:
            nums = [_as_number(w) for w in wanted]
            return np.isin(self.values, nums)
        assert self.codes is not None and self.categories is not None
        wanted_set = set(wanted)
        hits = [i for i, c in enumerate(self.categories) if c in wanted_set]
        return np.isin(self.codes, hits)


def _as_number(value: Any) -> float:
    if isinstance(value, dt.date):
        return float(value.toordinal())
    return float(value)


_EPOCH = dt.date(1970, 1, 1).toordinal()


def _column(name: str, values: Any, where: str) -> _Column:
    if isinstance(values, np.ndarray) and values.dtype.kind == "M":
        days = values.astype("datetime64[D]")
        out = days.astype(np.int64).astype(np.float64) + _EPOCH
        out[np.isnat(days)] = np.nan
        return _Column(values=out, is_date=True)
    if isinstance(values, np.ndarray) and values.dtype.kind in "iuf":
        return _Column(values=values.astype(np.float64))
    try:
        series = values if isinstance(values, pl.Series) else pl.Series(name, values, strict=False)
    except (TypeError, ValueError, OverflowError, pl.exceptions.PolarsError):
        series = pl.Series(name, [None if v is None else str(v) for v in values])
    if series.dtype == pl.Datetime:
        series = series.dt.date()
    if series.dtype == pl.Date:
        out = series.cast(pl.Int64).to_numpy().astype(np.float64) + _EPOCH
        return _Column(values=out, is_date=True)
    if series.dtype.is_numeric():
        return _Column(values=series.cast(pl.Float64).fill_null(np.nan).to_numpy())
    if series.dtype == pl.Boolean:
        series = series.fill_null(False)
        return _Column(codes=series.cast(pl.Int64).to_numpy(), categories=[False, True])
    if series.dtype == pl.List:
        series = series.list.eval(pl.element().cast(pl.String)).list.sort().list.join("\x1f")
    if series.dtype == pl.Null:  # no value at all (or no record): missing whatever the type
        return _Column(values=np.full(len(series), np.nan), is_date=True)
    if series.dtype != pl.String:
        series = series.cast(pl.String)
    series = series.fill_null(UNKNOWN)
    categories = series.unique().sort().to_list()
    codes = series.cast(pl.Enum(categories)).to_physical().to_numpy().astype(np.int64)
    return _Column(codes=codes, categories=categories)


@dataclass
class _Frame:
    n: int
    columns: dict[str, _Column]
    parent_row: IntArray | None = None  # the row of the parent record (-1: not in the data)
    memo: dict[Any, Any] = field(default_factory=dict)  # masks, lookups and codes, made once


@dataclass
class Prepared:
    """Columns of every source, coded once: give it to :func:`compute` several times (periods,
    k) without coding again."""

    frames: dict[str, _Frame]
    missing: dict[str, str]


def prepare(
    indicator_set: IndicatorSet,
    data: Mapping[str, Mapping[str, Any]],
    missing: Mapping[str, str] | None = None,
) -> Prepared:
    """Code the columns of each source in ``data`` (sources absent from it are missing;
    ``missing`` may say why, e.g. "the inspections app is not installed")."""
    frames: dict[str, _Frame] = {}
    why = dict(missing or {})
    for name, source in indicator_set.sources.items():
        if name not in data:
            why.setdefault(name, f"no {name} data")
            continue
        raw = data[name]
        lengths = {len(v) for v in raw.values()}
        if len(lengths) > 1:
            raise InputError("columns of different lengths", f"source {name}")
        n = lengths.pop() if lengths else 0
        cols: dict[str, _Column] = {}
        used = set(indicator_set.used_columns(name))
        for col in source.columns:
            if col not in raw:
                if col not in used:  # a column no indicator reads: a loader may leave it out
                    continue
                raise InputError(f"missing column {col!r}", f"source {name}")
            cols[col] = _column(col, raw[col], f"source {name}")
        frames[name] = _Frame(n, cols)
    parent = indicator_set.sources.get("cases")
    if parent is not None and "cases" in frames:
        assert parent.key is not None
        keys = frames["cases"].columns[parent.key]
        parent_keys = _key_values(keys)
        order = np.argsort(parent_keys, kind="stable")
        sorted_keys = parent_keys[order]
        for name, source in indicator_set.sources.items():
            if name == "cases" or source.link is None or name not in frames:
                continue
            links = _key_values(frames[name].columns[source.link])
            pos = np.searchsorted(sorted_keys, links)
            pos = np.clip(pos, 0, max(len(sorted_keys) - 1, 0))
            found = (sorted_keys[pos] == links) if len(sorted_keys) else np.zeros(len(links), bool)
            rows = np.where(found, order[pos] if len(order) else 0, -1)
            frames[name].parent_row = rows.astype(np.int64)
        for derived in parent.derived:
            if derived.source in frames:
                frames["cases"].columns[derived.name] = _derive(frames, derived, frames["cases"].n)
    return Prepared(frames, why)


def _key_values(column: _Column) -> npt.NDArray[np.float64]:
    if column.values is not None:
        return column.values
    assert column.codes is not None and column.categories is not None
    cats = np.array([float(c) if str(c).lstrip("-").isdigit() else np.nan for c in column.categories])
    return cats[column.codes]


def _derive(frames: dict[str, _Frame], derived: Derived, n_parent: int) -> _Column:
    child = frames[derived.source]
    assert child.parent_row is not None
    mask = _mask(frames, derived.source, derived.where) & (child.parent_row >= 0)
    col = child.columns[derived.column]
    if derived.fallback is not None:
        col = _coalesce(col, child.columns[derived.fallback])
    mask &= col.present()
    rows = np.flatnonzero(mask)
    parents = child.parent_row[rows]
    if col.values is not None:
        vals = col.values[rows]
        if derived.take == "first":
            order = np.argsort(parents, kind="stable")
        else:
            key = vals if derived.take == "min" else -vals
            order = np.lexsort((key, parents))
        parents, vals = parents[order], vals[order]
        uniq, first = np.unique(parents, return_index=True)
        out = np.full(n_parent, np.nan)
        out[uniq] = vals[first]
        return _Column(values=out, is_date=col.is_date)
    assert col.codes is not None and col.categories is not None
    codes = col.codes[rows]
    order = np.argsort(parents, kind="stable")
    if derived.take != "first":
        order = np.lexsort((codes if derived.take == "min" else -codes, parents))
    parents, codes = parents[order], codes[order]
    uniq, first = np.unique(parents, return_index=True)
    categories = list(col.categories)
    if UNKNOWN not in categories:
        categories.append(UNKNOWN)
    out_codes = np.full(n_parent, categories.index(UNKNOWN), dtype=np.int64)
    out_codes[uniq] = codes[first]
    return _Column(codes=out_codes, categories=categories)


def _coalesce(first: _Column, second: _Column) -> _Column:
    """The text column ``first`` where present, else ``second``."""
    if first.codes is None or second.codes is None:
        raise InputError("a derived column's fallback needs two text columns")
    assert first.categories is not None and second.categories is not None
    a = np.array([str(c) for c in first.categories], dtype=object)[first.codes]
    b = np.array([str(c) for c in second.categories], dtype=object)[second.codes]
    values = np.where(first.present(), a, b)
    return _column("fallback", pl.Series("fallback", values.tolist(), dtype=pl.String), "fallback")


def _mask(frames: dict[str, _Frame], source: str, flt: Filter) -> BoolArray:
    """The records of ``source`` the filter keeps (made once per filter; never change it)."""
    frame = frames[source]
    key = ("mask", flt)
    if key not in frame.memo:
        mask = np.ones(frame.n, dtype=bool)
        for clause in flt.clauses:
            mask &= _clause(frames, source, clause)
        frame.memo[key] = mask
    return frame.memo[key]  # type: ignore[no-any-return]


def _lookup(frames: dict[str, _Frame], source: str, column: str) -> _Column:
    """A column of the source, or of its parent (``cases``) through the link."""
    frame = frames[source]
    if column in frame.columns:
        return frame.columns[column]
    key = ("lookup", column)
    if key not in frame.memo:
        frame.memo[key] = _parent_column(frames, source, column)
    return frame.memo[key]  # type: ignore[no-any-return]


def _parent_column(frames: dict[str, _Frame], source: str, column: str) -> _Column:
    frame = frames[source]
    if column in frame.columns:
        return frame.columns[column]
    parent = frames.get("cases")
    if frame.parent_row is not None and parent is not None and column in parent.columns:
        pcol = parent.columns[column]
        rows = frame.parent_row
        safe = np.where(rows >= 0, rows, 0)
        if pcol.values is not None:
            vals = pcol.values[safe] if parent.n else np.full(len(rows), np.nan)
            return _Column(values=np.where(rows >= 0, vals, np.nan), is_date=pcol.is_date)
        assert pcol.codes is not None and pcol.categories is not None
        cats = list(pcol.categories)
        if UNKNOWN not in cats:
            cats.append(UNKNOWN)
        codes = pcol.codes[safe] if parent.n else np.zeros(len(rows), dtype=np.int64)
        return _Column(codes=np.where(rows >= 0, codes, cats.index(UNKNOWN)), categories=cats)
    raise InputError(f"no column {column!r} in source {source}")


def _clause(frames: dict[str, _Frame], source: str, clause: Condition | Has | AnyOf) -> BoolArray:
    frame = frames[source]
    if isinstance(clause, Condition):
        col = _lookup(frames, source, clause.column)
        if clause.present is not None:
            hit = col.present()
            return hit if clause.present else ~hit
        hit = col.matches(clause.values)
        return ~hit if clause.negate else hit
    if isinstance(clause, AnyOf):
        out = np.zeros(frame.n, dtype=bool)
        for option in clause.options:
            out |= _mask(frames, source, option)
        return out
    child = frames[clause.source]
    if source != "cases" or child.parent_row is None:
        raise InputError(f"has/lacks links to cases only, not {source} -> {clause.source}")
    sub = _mask(frames, clause.source, clause.where) & (child.parent_row >= 0)
    out = np.zeros(frame.n, dtype=bool)
    out[child.parent_row[sub]] = True
    return ~out if clause.negate else out


def _codes(value: Any, where: str) -> str | None:
    if value is not None and value not in ("country", "subdivision"):
        raise InputError("codes, if given, is 'country' (ISO 3166-1 alpha-3) or 'subdivision' "
                         "(ISO 3166-2)", where)
    return None if value is None else str(value)


# --- periods and categories ----------------------------------------------------------------------


def _period_labels(days: npt.NDArray[np.float64], period: str) -> tuple[IntArray, list[str]]:
    """Codes and sorted labels of the periods of day numbers (NaN: code -1)."""
    ok = ~np.isnan(days)
    ordinals = days[ok].astype(np.int64) - _EPOCH
    d64 = ordinals.astype("datetime64[D]")
    years = d64.astype("datetime64[Y]").astype(np.int64) + 1970
    if period == "year":
        keys = years
    elif period == "quarter":
        months = d64.astype("datetime64[M]").astype(np.int64) % 12
        keys = years * 4 + months // 3
    elif period == "month":
        keys = d64.astype("datetime64[M]").astype(np.int64)
    else:
        raise InputError(f"period must be one of {', '.join(PERIODS)}", "period")
    uniq, inverse = np.unique(keys, return_inverse=True)
    codes = np.full(len(days), -1, dtype=np.int64)
    codes[ok] = inverse
    return codes, [_period_label(int(u), period) for u in uniq]


def _period_label(key: int, period: str) -> str:
    if period == "year":
        return str(key)
    if period == "quarter":
        return f"{key // 4}-Q{key % 4 + 1}"
    return f"{1970 + key // 12}-{key % 12 + 1:02d}"


def _dimension_codes(frames: dict[str, _Frame], source: str, dim: Dimension) -> tuple[IntArray, list[str]]:
    """The category of each record of ``source`` (made once per dimension; never change it)."""
    key = ("dimension", dim.id)
    memo = frames[source].memo
    if key not in memo:
        codes, cats = _codes_of(frames, source, dim)
        if not cats:  # no record at all: one empty category, so the table has its shape
            codes, cats = np.zeros(frames[source].n, dtype=np.int64), [UNKNOWN]
        memo[key] = (codes, cats)
    return memo[key]  # type: ignore[no-any-return]


def _codes_of(frames: dict[str, _Frame], source: str, dim: Dimension) -> tuple[IntArray, list[str]]:
    col = _lookup(frames, source, dim.column)
    if dim.bands:
        if col.values is None:
            raise InputError(f"dimension {dim.id}: bands need a number column, {dim.column} is text")
        born = col.values
        if dim.age_at:
            at = _lookup(frames, source, dim.age_at)
            if at.values is None or not at.is_date:
                raise InputError(f"dimension {dim.id}: age_at must be a date column")
            ok = ~np.isnan(at.values)
            years = np.full(len(born), np.nan)
            d64 = (at.values[ok].astype(np.int64) - _EPOCH).astype("datetime64[D]")
            years[ok] = d64.astype("datetime64[Y]").astype(np.int64) + 1970
            age = years - born
        else:
            age = born
        labels = [b[0] for b in dim.bands]
        codes = np.full(len(age), len(labels), dtype=np.int64)  # unknown last
        for i, (_label, low, high) in enumerate(dim.bands):
            codes[(age >= low) & (age <= high)] = i
        return codes, [*labels, UNKNOWN]
    if col.values is not None and np.isnan(col.values).all():  # nothing recorded (or no record)
        return np.zeros(len(col.values), dtype=np.int64), [UNKNOWN]
    if col.values is not None:
        if col.is_date:
            raise InputError(f"dimension {dim.id}: {dim.column} is a date; use the period instead")
        uniq, inverse = np.unique(np.nan_to_num(col.values, nan=-1.0), return_inverse=True)
        return inverse.astype(np.int64), [UNKNOWN if u == -1 else f"{u:g}" for u in uniq]
    assert col.codes is not None and col.categories is not None
    cats = [str(c) if not isinstance(c, bool) else ("yes" if c else "no") for c in col.categories]
    if dim.multiple:
        cats = [dim.multiple if "\x1f" in c else c for c in cats]
    # merged labels (several multi-form codes) and the known-label order
    order = list(dim.labels)
    distinct = sorted(
        set(cats), key=lambda c: (c == UNKNOWN, order.index(c) if c in order else len(order), c)
    )
    index = {c: i for i, c in enumerate(distinct)}
    remap = np.array([index[c] for c in cats], dtype=np.int64)
    return remap[col.codes] if len(remap) else col.codes, distinct


# --- results -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Suppression:
    row: str
    col: str
    reason: str  # "primary" (fewer than k) or "secondary" (would give a hidden cell back)

    def to_dict(self) -> dict[str, str]:
        return {"row": self.row, "col": self.col, "reason": self.reason}


@dataclass(frozen=True)
class Table:
    """One disaggregation of an indicator: rows are the periods then ``total``, columns the
    categories then ``total``. ``values`` are what is published (counts, percentages or
    medians; ``None`` where hidden); ``numerators`` / ``denominators`` the published counts
    behind a percentage (also ``None`` where hidden)."""

    dimension: str
    title: str
    rows: list[str]
    cols: list[str]
    col_labels: list[str]
    values: list[list[int | float | None]]
    numerators: list[list[int | float | None]]
    denominators: list[list[int | float | None]] | None
    suppressed: list[Suppression]
    k: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "dimension": self.dimension,
            "title": self.title,
            "rows": self.rows,
            "cols": self.cols,
            "col_labels": self.col_labels,
            "values": self.values,
            "numerators": self.numerators,
            "denominators": self.denominators,
            "suppressed": [s.to_dict() for s in self.suppressed],
            "k": self.k,
        }


@dataclass(frozen=True)
class IndicatorResult:
    id: str
    title: str
    kind: str  # count, percent, median_days
    counts: str
    hidden: str | None  # why the indicator is not shown (a source not installed)
    tables: dict[str, Table]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "kind": self.kind,
            "counts": self.counts,
            "hidden": self.hidden,
            "tables": {name: t.to_dict() for name, t in self.tables.items()},
        }


def _suppress(matrix: IntArray, k: int) -> tuple[list[list[int | float | None]], Any]:
    table = suppress_table(matrix, k)
    return table.published(), table


def _why(table: Any, rows: list[str], cols: list[str], prefix: str = "") -> list[Suppression]:
    out = []
    for i, j in zip(*np.nonzero(table.suppressed), strict=True):
        reason = "primary" if table.primary[i, j] else "secondary"
        out.append(Suppression(rows[int(i)], cols[int(j)], prefix + reason))
    return out


def _cell_counts(
    pcode: IntArray, ccode: IntArray, rows: IntArray, n_rows: int, n_cols: int,
    distinct: IntArray | None, n_distinct: int,
) -> IntArray:
    cell = pcode[rows] * n_cols + ccode[rows]
    if distinct is not None:
        width = max(n_distinct, 1)
        pairs = cell * width + distinct[rows]
        span = n_rows * n_cols * width
        if span <= 200_000_000:  # a bitmap of (cell, record) pairs: no sort
            seen = np.zeros(span, dtype=bool)
            seen[pairs] = True
            pairs = np.flatnonzero(seen)
        else:
            pairs = np.unique(pairs)
        cell = pairs // width
    return np.bincount(cell, minlength=n_rows * n_cols).reshape(n_rows, n_cols)


def compute(
    indicator_set: IndicatorSet,
    data: Mapping[str, Mapping[str, Any]] | Prepared,
    *,
    period: str = "year",
    k: int | None = None,
    indicators: Iterable[str] | None = None,
    periods: Sequence[str] | None = None,
) -> list[IndicatorResult]:
    """Every indicator (or those named) with every disaggregation, disclosure-checked.

    ``k``: smallest count of persons published (default: the set's); counts of establishments use
    the set's ``establishments_k``. ``periods``: keep only these period labels (e.g. ``["2025"]``).
    """
    if period not in PERIODS:
        raise InputError(f"period must be one of {', '.join(PERIODS)}", "period")
    person_k = indicator_set.k if k is None else k
    if person_k < 1:
        raise InputError(f"k must be at least 1, found {person_k}", "k")
    prepared = data if isinstance(data, Prepared) else prepare(indicator_set, data)
    frames = prepared.frames
    wanted = None if indicators is None else set(indicators)
    results: list[IndicatorResult] = []
    for ind in indicator_set.indicators:
        if wanted is not None and ind.id not in wanted:
            continue
        kind = "median_days" if ind.statistic == "median_days" else ("percent" if ind.is_rate else "count")
        absent = sorted(s for s in indicator_set.needed_sources(ind) if s not in frames)
        if absent:
            reason = "; ".join(prepared.missing.get(s, f"no {s} data") for s in absent)
            results.append(IndicatorResult(ind.id, ind.title, kind, ind.counts, reason, {}))
            continue
        cell_k = indicator_set.establishments_k if ind.counts == "establishments" else person_k
        results.append(_one(indicator_set, frames, ind, period, cell_k, kind, periods))
    return results


def _one(
    iset: IndicatorSet, frames: dict[str, _Frame], ind: Indicator, period: str, k: int, kind: str,
    keep_periods: Sequence[str] | None,
) -> IndicatorResult:
    frame = frames[ind.source]
    when = _lookup(frames, ind.source, ind.period)
    if when.values is None or not when.is_date:
        raise InputError(f"indicator {ind.id}: period column {ind.period!r} is not a date")
    memo_key = ("period", ind.period, period)
    if memo_key not in frame.memo:
        frame.memo[memo_key] = _period_labels(when.values, period)
    pcode, plabels = frame.memo[memo_key]
    valid = pcode >= 0
    if frame.parent_row is not None and ind.source != "cases":
        valid &= frame.parent_row >= 0
    if keep_periods is not None:
        # exactly the periods asked for, in that order (a period without records: zeros)
        wanted_periods = list(dict.fromkeys(keep_periods))
        position = {p: i for i, p in enumerate(wanted_periods)}
        remap = np.array([position.get(p, -1) for p in plabels] + [-1], dtype=np.int64)
        pcode = np.where(pcode >= 0, remap[pcode], -1)
        valid &= pcode >= 0
        plabels = wanted_periods
    num_mask = valid & _mask(frames, ind.source, ind.numerator)
    den_mask = valid & _mask(frames, ind.source, ind.denominator) if ind.denominator is not None else None
    distinct = None
    n_distinct = 0
    if ind.distinct is not None:
        dcol = frame.columns[ind.distinct]
        if dcol.codes is not None:
            distinct = dcol.codes
            n_distinct = len(dcol.categories or [])
        else:
            assert dcol.values is not None
            uniq, inv = np.unique(np.nan_to_num(dcol.values, nan=-1.0), return_inverse=True)
            distinct, n_distinct = inv.astype(np.int64), len(uniq)
    durations = None
    if ind.duration is not None:
        start, end = (_lookup(frames, ind.source, c) for c in ind.duration)
        if start.values is None or end.values is None:
            raise InputError(f"indicator {ind.id}: from and to must be date columns")
        durations = end.values - start.values
        num_mask &= ~np.isnan(durations) & (durations >= 0)
    num_rows = np.flatnonzero(num_mask)
    den_rows = np.flatnonzero(den_mask) if den_mask is not None else None
    row_names = [*plabels, TOTAL]
    tables: dict[str, Table] = {}
    dims: list[Dimension | None] = [None, *(iset.dimensions[d] for d in ind.disaggregations)]
    for dim in dims:
        if dim is None:
            ccode = np.zeros(frame.n, dtype=np.int64)
            cats = [TOTAL]
            dim_id, title = TOTAL, "Total"
        else:
            ccode, cats = _dimension_codes(frames, ind.source, dim)
            dim_id, title = dim.id, dim.title
        n_rows, n_cols = len(plabels), len(cats)
        if n_rows == 0:
            tables[dim_id] = Table(dim_id, title, [TOTAL], [*cats, TOTAL] if dim else [TOTAL],
                                   [dim.label(c) for c in cats] + ["Total"] if dim else ["Total"],
                                   [], [], None, [], k)
            continue
        counts = _cell_counts(pcode, ccode, num_rows, n_rows, n_cols, distinct, n_distinct)
        dcounts = None
        if kind == "percent":
            assert den_rows is not None
            dcounts = _cell_counts(pcode, ccode, den_rows, n_rows, n_cols, distinct, n_distinct)
        if dim is not None and not dim.bands:  # categories no record has: no column
            used = counts.sum(axis=0) + (dcounts.sum(axis=0) if dcounts is not None else 0) > 0
            if not used.any():
                used[:] = True
            keep = np.flatnonzero(used)
            counts = counts[:, keep]
            dcounts = dcounts[:, keep] if dcounts is not None else None
            cats = [cats[i] for i in keep]
            remap = np.full(n_cols, 0, dtype=np.int64)
            remap[keep] = np.arange(len(keep))
            n_cols = len(keep)
        single = dim is None  # a series: one column, its total column repeats it
        pub, table = _suppress(counts, k)
        col_names = [TOTAL] if single else [*cats, TOTAL]
        col_labels = ["Total"] if single else [*(dim.label(c) for c in cats), "Total"]  # type: ignore[union-attr]
        if single:
            pub = [row[:1] for row in pub]
            supp = _dedupe(_why(table, row_names, [TOTAL, TOTAL]))
        else:
            supp = _why(table, row_names, col_names)
        numerators = pub
        denominators = None
        values: list[list[int | float | None]] = pub
        if kind == "percent":
            assert dcounts is not None
            dpub, dtable = _suppress(dcounts, k)
            if single:
                dpub = [row[:1] for row in dpub]
                dsupp = _dedupe(_why(dtable, row_names, [TOTAL, TOTAL], "denominator "))
            else:
                dsupp = _why(dtable, row_names, col_names, "denominator ")
            supp += dsupp
            denominators = dpub
            values = [
                [
                    None if (a is None or b is None) else (round(100.0 * a / b, 1) if b else None)
                    for a, b in zip(nr, dr, strict=True)
                ]
                for nr, dr in zip(pub, dpub, strict=True)
            ]
        elif kind == "median_days":
            assert durations is not None
            if dim is not None and not dim.bands:
                ccode = np.where(np.isin(ccode, keep), remap[ccode], -1)
            values = _medians(pcode, ccode, num_rows, n_rows, n_cols, durations, pub, single)
        tables[dim_id] = Table(dim_id, title, row_names, col_names, col_labels, values, numerators,
                               denominators, supp, k)
    return IndicatorResult(ind.id, ind.title, kind, ind.counts, None, tables)


def _dedupe(items: list[Suppression]) -> list[Suppression]:
    seen: dict[str, Suppression] = {}
    for s in items:
        prev = seen.get(s.row)
        if prev is None or (prev.reason.endswith("secondary") and s.reason.endswith("primary")):
            seen[s.row] = s
    return list(seen.values())


def _medians(
    pcode: IntArray, ccode: IntArray, rows: IntArray, n_rows: int, n_cols: int,
    durations: npt.NDArray[np.float64], published: list[list[int | float | None]], single: bool,
) -> list[list[int | float | None]]:
    """The median duration of each cell whose count is published (hidden otherwise)."""
    cell = pcode[rows] * n_cols + ccode[rows]
    vals = durations[rows]
    order = np.lexsort((vals, cell))
    cell, vals = cell[order], vals[order]
    out: list[list[int | float | None]] = []
    bounds = np.searchsorted(cell, np.arange(n_rows * n_cols + 1))
    for i in range(n_rows + 1):
        line: list[int | float | None] = []
        width = 1 if single else n_cols + 1
        for j in range(width):
            if published[i][j] is None:
                line.append(None)
                continue
            if i < n_rows and j < n_cols:
                chunk = vals[bounds[i * n_cols + j] : bounds[i * n_cols + j + 1]]
            elif i < n_rows:
                chunk = durations[rows][pcode[rows] == i]
            elif j < n_cols:
                chunk = durations[rows][ccode[rows] == j]
            else:
                chunk = durations[rows]
            line.append(float(np.median(chunk)) if len(chunk) else None)
        out.append(line)
    return out


def members(
    indicator_set: IndicatorSet,
    data: Mapping[str, Mapping[str, Any]] | Prepared,
    indicator_id: str,
    *,
    period: str = "year",
    period_label: str | None = None,
    dimension: str | None = None,
    category: str | None = None,
) -> list[Any]:
    """The keys of the parent records (``cases``) behind one cell of an indicator's numerator
    (a period or ``None`` for all, a dimension's category or ``None``): the drill-down."""
    prepared = data if isinstance(data, Prepared) else prepare(indicator_set, data)
    frames = prepared.frames
    ind = indicator_set.indicator(indicator_id)
    absent = sorted(s for s in indicator_set.needed_sources(ind) if s not in frames)
    if absent:
        return []
    frame = frames[ind.source]
    when = _lookup(frames, ind.source, ind.period)
    assert when.values is not None
    pcode, plabels = _period_labels(when.values, period)
    mask = (pcode >= 0) & _mask(frames, ind.source, ind.numerator)
    if period_label not in (None, TOTAL):
        if period_label not in plabels:
            return []
        mask &= pcode == plabels.index(period_label)
    if dimension not in (None, TOTAL) and category not in (None, TOTAL):
        ccode, cats = _dimension_codes(frames, ind.source, indicator_set.dimensions[str(dimension)])
        if category not in cats:
            return []
        mask &= ccode == cats.index(str(category))
    cases = indicator_set.sources.get("cases")
    if ind.source == "cases" and cases is not None and cases.key is not None:
        keys = frame.columns[cases.key]
        rows = np.flatnonzero(mask)
    elif frame.parent_row is not None and cases is not None and cases.key is not None:
        keys = frames["cases"].columns[cases.key]
        rows = np.unique(frame.parent_row[mask & (frame.parent_row >= 0)])
    else:
        return []
    vals = _key_values(keys)[rows]
    return sorted({int(v) for v in vals if not np.isnan(v)})
