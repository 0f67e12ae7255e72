"""Profiling: what a dataset's table holds, measured where the data lives.

Every number is computed by the warehouse from SQL in its own dialect, built as sqlglot
expressions; no table row is pulled into Python, only aggregates. A profile takes few scans:

1. One aggregate query: the row count and, for every column at once, its non-null count,
   distinct count (approximate where the backend declares ``approx_distinct``), min, max and,
   for text, the average length.
2. One ``GROUPING SETS`` query for the most common values of every column that has few
   distinct values; engines without grouping sets (SQLite) get one ``GROUP BY`` per column.
3. Only when sampling: an exact min/max of the partition column (freshness checks read it and a
   sample can miss the newest partition), and for a row-count sample a ``count(*)`` first.

Sampling (``--sample``) takes a fraction (``0.1``), a percentage (``10%``) or a number of rows
(``100000``). It uses the engine's own sampling with a fixed seed, so re-profiling unchanged data
writes the same file: row-level Bernoulli sampling on DuckDB and most engines, page-level
``SYSTEM`` sampling on PostgreSQL (where reading the pages is the cost worth saving). SQLite has
no sampling: the table is read in full with a warning, because a ``WHERE random()`` filter still
reads every row and would only add error. A sampled profile records the fraction in ``sample``;
its row count and value counts are scaled up to the whole table, its shares and null fractions
are those of the sample, and its distinct counts are those seen in the sample (marked
approximate).

If the single aggregate fails (a column type the engine cannot compare or count), the table is
re-profiled column by column, dropping the measures that fail, so one odd column costs its own
numbers and a warning instead of the whole profile.
"""

from __future__ import annotations

import datetime as dt
import decimal
import logging
import math
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from sqlglot import exp

from vedder.cluster.model import Cluster, ColumnProfile, Dataset, Profile, ValueShare
from vedder.errors import ClusterError, QueryTimeout, VedderError, WarehouseError
from vedder.warehouse.base import APPROX_DISTINCT, SAMPLE, ColumnInfo, Result, Warehouse

log = logging.getLogger(__name__)

TOP_K = 10  # most common values kept per column
TOP_MAX_DISTINCT = 1000  # above this many distinct values a column has no "common" values
TOP_MAX_RATIO = 0.5  # ... nor when most of its values are distinct
FREE_TEXT_LENGTH = 50.0  # average length above which a text column is prose, not categories
VALUE_WIDTH = 80  # longer values are cut so the file stays readable in review
SHARE_DIGITS = 4
SAMPLE_SEED = 42  # the same rows every run: a re-profile of unchanged data is a no-op diff
HEADER = "# Written by `vedder profile`; regenerate instead of editing.\n"

# PostgreSQL's GROUPING() takes at most 31 arguments; wider tables get one query per chunk.
_GROUPING_CHUNK = 30
# Engines whose SQL has no GROUPING SETS: one GROUP BY query per column instead.
_NO_GROUPING_SETS = frozenset({"sqlite", "mysql"})
# Engines whose sampling accepts a seed in the syntax sqlglot writes for them.
_SEEDED_SAMPLING = frozenset({"duckdb", "postgres"})
# Row stores where page sampling saves the reads that dominate the cost.
_PAGE_SAMPLING = frozenset({"postgres"})

Kind = Literal[
    "boolean", "text", "number", "temporal", "uuid", "binary", "json", "nested", "opaque", "other"
]
_T = exp.DataType.Type
_BINARY = {_T.BINARY, _T.VARBINARY, _T.BLOB, _T.LONGBLOB, _T.MEDIUMBLOB, _T.TINYBLOB, _T.IMAGE}
_SEMI_STRUCTURED = {_T.JSON, _T.JSONB, _T.VARIANT, _T.SUPER, _T.HSTORE}
# Types with no equality or ordering on some engines (PostgreSQL has none for xml or point).
_OPAQUE = {_T.XML, _T.POINT, _T.GEOMETRY, _T.GEOGRAPHY, _T.POLYGON, _T.VECTOR}


class ProfileError(WarehouseError):
    """A dataset could not be profiled; ``path`` names its dataset file."""

    exit_code = 1


@dataclass(frozen=True)
class Sample:
    """How much of a table to read: a fraction of its rows, or about a number of rows."""

    fraction: float | None = None
    rows: int | None = None

    def __str__(self) -> str:
        if self.rows is not None:
            return f"{self.rows} rows"
        return f"{(self.fraction or 0) * 100:g}%"


_SAMPLE_HINT = "give a fraction (0.1), a percentage (10%) or a number of rows (100000)"


def parse_sample(value: Sample | float | int | str | None) -> Sample | None:
    """Read ``--sample``: ``0.1`` and ``10%`` are fractions, ``100000`` is a number of rows."""
    if value is None or isinstance(value, Sample):
        return value
    if isinstance(value, bool):
        raise VedderError(f"invalid sample {value!r}", hint=_SAMPLE_HINT)
    if isinstance(value, int):
        rows = value
        if rows < 1:
            raise VedderError(
                f"invalid sample {value!r}: needs at least one row", hint=_SAMPLE_HINT
            )
        return Sample(rows=rows)
    if isinstance(value, float):
        return _fraction(value, str(value))
    text = str(value).strip().replace("_", "")
    try:
        if text.endswith("%"):
            return _fraction(float(text[:-1]) / 100, str(value))
        if text.isdigit():
            return parse_sample(int(text))
        return _fraction(float(text), str(value))
    except ValueError:
        raise VedderError(f"invalid sample {value!r}", hint=_SAMPLE_HINT) from None


def _fraction(fraction: float, text: str) -> Sample:
    if not (0 < fraction <= 1) or math.isnan(fraction):
        raise VedderError(
            f"invalid sample {text!r}: a fraction must be above 0 and at most 1",
            hint=_SAMPLE_HINT,
        )
    return Sample(fraction=fraction)


# --------------------------------------------------------------------------- planning


@dataclass
class _Column:
    """One table column and the measures its type allows."""

    index: int
    name: str
    type: str
    kind: Kind
    minmax: bool
    distinct: bool
    top: bool
    length: bool  # average length, to tell prose from categories
    digits: int | None = None  # significant digits worth showing of a float

    def value(self, raw: Any) -> Any:
        """``raw`` as the profile shows it."""
        if self.digits and isinstance(raw, float) and math.isfinite(raw):
            raw = float(f"{raw:.{self.digits}g}")
        return plain_value(raw)

    @property
    def ref(self) -> exp.Column:
        return exp.column(self.name, quoted=True)


def _data_type(type_text: str, dialect: str) -> exp.DataType | None:
    try:
        return exp.DataType.build(type_text or "unknown", dialect=dialect or None, udt=True)
    except Exception:  # an engine-specific type sqlglot cannot read
        return None


def _kind(data_type: exp.DataType | None) -> Kind:
    if data_type is None:  # unknown to sqlglot: try every measure, fall back on failure
        return "other"
    this = data_type.this
    if this == _T.BOOLEAN:
        return "boolean"
    if this in exp.DataType.TEXT_TYPES:
        return "text"
    if this in exp.DataType.NUMERIC_TYPES:
        return "number"
    if this in exp.DataType.TEMPORAL_TYPES or this == _T.INTERVAL:
        return "temporal"
    if this == _T.UUID:
        return "uuid"
    if this in _BINARY:
        return "binary"
    if this in _SEMI_STRUCTURED:
        return "json"
    if this in exp.DataType.NESTED_TYPES:
        return "nested"
    if this in _OPAQUE:
        return "opaque"
    return "other"


def _plan(index: int, info: ColumnInfo, dialect: str) -> _Column:
    data_type = _data_type(info.type, dialect)
    kind = _kind(data_type)
    # min/max of a boolean says nothing its top values do not (and PostgreSQL has none);
    # PostgreSQL has no min/max for uuid; nested, binary and JSON values have no useful order.
    minmax = kind not in {"boolean", "binary", "json", "nested", "opaque"}
    if kind == "uuid" and dialect == "postgres":
        minmax = False
    # PostgreSQL's json (unlike jsonb) has no equality operator, so no DISTINCT either.
    distinct = kind != "opaque" and not (
        kind == "json" and dialect == "postgres" and info.type.strip().lower() == "json"
    )
    top = kind in {"boolean", "text", "number", "temporal", "uuid", "other"}
    # A 32-bit float read into Python shows noise digits (3.700000047683716); a float
    # carries about 7 significant digits, so that is all a profile shows of it.
    single = data_type is not None and data_type.this == _T.FLOAT
    return _Column(
        index=index,
        name=info.name,
        type=info.type,
        kind=kind,
        minmax=minmax,
        distinct=distinct,
        top=top,
        length=kind == "text",
        digits=7 if single else None,
    )


# --------------------------------------------------------------------------- SQL


def _table(name: str, dialect: str, fraction: float | None) -> exp.Table:
    table = exp.to_table(name, dialect=dialect or None)
    if fraction is not None:
        method = "SYSTEM" if dialect in _PAGE_SAMPLING else "BERNOULLI"
        percent = round(fraction * 100, 6)
        table.set(
            "sample",
            exp.TableSample(
                method=exp.var(method),
                percent=exp.Literal.number(f"{percent:g}" if percent >= 1e-4 else "0.0001"),
                seed=exp.Literal.number(SAMPLE_SEED) if dialect in _SEEDED_SAMPLING else None,
            ),
        )
    return table


Measure = tuple[str, int]  # ("nonnull" | "distinct" | "min" | "max" | "length", column index)


def _measures(column: _Column, level: int = 0) -> list[Measure]:
    """What to compute for a column; higher levels drop the measures most likely to fail."""
    wanted = [("nonnull", column.index)]
    if level <= 1 and column.distinct:
        wanted.append(("distinct", column.index))
    if level == 0 and column.minmax:
        wanted += [("min", column.index), ("max", column.index)]
    if level == 0 and column.length:
        wanted.append(("length", column.index))
    return wanted


def _measure_sql(measure: Measure, column: _Column, approx: bool) -> exp.Expression:
    what = measure[0]
    ref = column.ref
    if what == "nonnull":
        return exp.Count(this=ref)
    if what == "distinct":
        if approx:
            return exp.ApproxDistinct(this=ref)
        return exp.Count(this=exp.Distinct(expressions=[ref]))
    if what == "min":
        return exp.Min(this=ref)
    if what == "max":
        return exp.Max(this=ref)
    return exp.Avg(this=exp.Length(this=ref))


def _aggregate_sql(
    table: exp.Table,
    columns: Sequence[_Column],
    measures: Sequence[Measure],
    *,
    approx: bool,
    dialect: str,
) -> str:
    """One SELECT computing the row count and every measure over one scan."""
    by_index = {c.index: c for c in columns}
    select = exp.select(exp.alias_(exp.Count(this=exp.Star()), "row_count"))
    for number, measure in enumerate(measures):
        expression = _measure_sql(measure, by_index[measure[1]], approx)
        select = select.select(exp.alias_(expression, f"m{number}"))
    return select.from_(table.copy()).sql(dialect=dialect or None)


def _unused_name(base: str, taken: Iterable[str]) -> str:
    """``base``, lengthened until no column of the table has that name."""
    lowered = {name.lower() for name in taken}
    name = base
    while name.lower() in lowered:
        name += "_"
    return name


def _top_values_sql(
    table: exp.Table,
    columns: Sequence[_Column],
    limit: int,
    dialect: str,
    *,
    taken: Iterable[str] = (),
) -> str:
    """The ``limit`` most common values of several columns in one scan (GROUPING SETS).

    Each grouping set is one column; ``GROUPING(...)`` tells the sets apart. Windows over
    each set add the rows counted and the number of groups (an exact distinct count for
    free), and keep the top rows of every set, so at most ``limit`` rows per column return.
    The outer query filters on the rank's alias, so that alias must not be a column name
    of the table (``taken``), or the filter would silently read the column instead.
    """
    rank_alias = _unused_name("vedder_rank", taken)
    refs = [c.ref for c in columns]
    grouping = exp.Grouping(expressions=[r.copy() for r in refs])
    count = exp.Count(this=exp.Star())
    order = exp.Order(
        expressions=[exp.Ordered(this=count.copy(), desc=True)]
        + [exp.Ordered(this=r.copy(), nulls_first=False) for r in refs]
    )
    rank = exp.Window(
        this=exp.RowNumber(), partition_by=[grouping.copy()], order=order, over="OVER"
    )
    total = exp.Window(this=exp.Sum(this=count.copy()), partition_by=[grouping.copy()], over="OVER")
    groups = exp.Window(this=count.copy(), partition_by=[grouping.copy()], over="OVER")
    inner = (
        exp.select(*[r.copy() for r in refs])
        .select(
            exp.alias_(grouping.copy(), "vedder_set"),
            exp.alias_(count.copy(), "vedder_count"),
            exp.alias_(total, "vedder_total"),
            exp.alias_(groups, "vedder_groups"),
            exp.alias_(rank, rank_alias, quoted=True),
        )
        .from_(table.copy())
        .group_by(exp.GroupingSets(expressions=[exp.Paren(this=r.copy()) for r in refs]))
    )
    outer = (
        exp.select("*")
        .from_(inner.subquery("top_values"))
        .where(exp.column(rank_alias, quoted=True) <= exp.Literal.number(limit))
    )
    return outer.sql(dialect=dialect or None)


def _top_values_single_sql(table: exp.Table, column: _Column, limit: int, dialect: str) -> str:
    """The ``limit`` most common values of one column (for engines without GROUPING SETS)."""
    count = exp.Count(this=exp.Star())
    total = exp.Window(this=exp.Sum(this=count.copy()), over="OVER")
    groups = exp.Window(this=count.copy(), over="OVER")
    select = (
        exp.select(
            exp.alias_(column.ref, "vedder_value"),
            exp.alias_(count.copy(), "vedder_count"),
            exp.alias_(total, "vedder_total"),
            exp.alias_(groups, "vedder_groups"),
        )
        .from_(table.copy())
        .group_by(column.ref)
        .order_by(
            exp.Ordered(this=count.copy(), desc=True),
            exp.Ordered(this=column.ref, nulls_first=False),
        )
        .limit(limit)
    )
    return select.sql(dialect=dialect or None)


# --------------------------------------------------------------------------- values


def plain_value(value: Any) -> Any:
    """A value YAML and JSON can hold: ISO strings for dates, floats for decimals.

    Returns ``None`` for values a profile does not keep (bytes, nested values).
    """
    if value is None or isinstance(value, (bool, int, str)):
        return _truncate(value) if isinstance(value, str) else value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            return str(value)
        if value == value.to_integral_value() and abs(value) < 2**63:
            return int(value)
        return float(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview, list, tuple, dict, set)):
        return None
    if isinstance(value, (uuid.UUID, dt.timedelta)):
        return str(value)
    return _truncate(str(value))


def _truncate(text: str) -> str:
    if len(text) <= VALUE_WIDTH:
        return text
    return text[: VALUE_WIDTH - 1] + "…"


def _ratio(part: float, whole: float) -> float:
    """A share rounded for stable diffs; a non-zero part never rounds down to 0.0."""
    if whole <= 0:
        return 0.0
    value = round(part / whole, SHARE_DIGITS)
    if value == 0 and part > 0:
        return 10.0**-SHARE_DIGITS
    return value


def _as_int(value: Any) -> int:
    return int(value) if value is not None else 0


# --------------------------------------------------------------------------- profiling

ProgressStep = Callable[[int, int], None]  # (queries done, queries planned so far)
WarningSink = Callable[[str], None]


class _Profiler:
    """Runs the queries for one dataset and turns their results into a Profile."""

    def __init__(
        self,
        warehouse: Warehouse,
        dataset: Dataset,
        *,
        sample: Sample | None,
        top_k: int,
        progress: ProgressStep | None,
        warn: WarningSink,
    ) -> None:
        self.warehouse = warehouse
        self.dataset = dataset
        self.dialect = warehouse.dialect
        self.sample = sample
        self.top_k = top_k
        self.progress = progress
        self.warn = warn
        self.approx = APPROX_DISTINCT in warehouse.capabilities
        self.names: list[str] = []  # the table's column names
        self.done = 0
        self.planned = 0

    # -- bookkeeping

    def _plan_queries(self, more: int) -> None:
        self.planned += more
        if self.progress:
            self.progress(self.done, self.planned)

    def _execute(self, sql: str) -> Result:
        try:
            result = self.warehouse.execute(sql)
        finally:
            self.done += 1
            if self.progress:
                self.progress(self.done, max(self.planned, self.done))
        return result

    def _fail(self, what: str, exc: BaseException) -> ProfileError:
        detail = exc.message if isinstance(exc, VedderError) else f"{type(exc).__name__}: {exc}"
        hint = exc.hint if isinstance(exc, VedderError) else None
        return ProfileError(
            f"{what} of table {self.dataset.table} failed: {detail}",
            hint=hint,
            path=self.dataset.path,
        )

    # -- the steps

    def table_columns(self) -> list[ColumnInfo]:
        dataset = self.dataset
        hint = (
            f"check 'table:' in {dataset.path}; the warehouse {self.warehouse.name!r} "
            "must be able to read it"
        )
        try:
            columns = list(self.warehouse.columns(dataset.table))
        except VedderError as exc:
            # The backend's message and hint say it best ("did you mean ...?", "unreachable");
            # what it cannot know is which dataset file asked for the table.
            if exc.path is None:
                exc.path = dataset.path
            raise
        except Exception as exc:
            raise ClusterError(
                f"cannot read table {dataset.table} in warehouse {self.warehouse.name!r}: {exc}",
                hint=hint,
                path=dataset.path,
            ) from exc
        if not columns:
            raise ClusterError(
                f"table {dataset.table} not found in warehouse {self.warehouse.name!r}",
                hint=hint,
                path=dataset.path,
            )
        return columns

    def count_rows(self) -> int:
        sql = (
            exp.select(exp.Count(this=exp.Star()))
            .from_(_table(self.dataset.table, self.dialect, None))
            .sql(dialect=self.dialect or None)
        )
        try:
            return _as_int(self._execute(sql).rows[0][0])
        except QueryTimeout:
            raise
        except Exception as exc:
            raise self._fail("counting rows", exc) from exc

    def aggregate(self, columns: list[_Column], fraction: float | None) -> dict[Any, Any]:
        """Row count and every column's measures; one query, or column by column on failure."""
        table = _table(self.dataset.table, self.dialect, fraction)
        measures = [m for c in columns for m in _measures(c)]
        sql = _aggregate_sql(table, columns, measures, approx=self.approx, dialect=self.dialect)
        try:
            row = self._execute(sql).rows[0]
        except QueryTimeout:
            raise
        except Exception as exc:
            log.debug("aggregate failed, profiling column by column: %s", exc)
            return self._aggregate_by_column(table, columns, exc)
        stats: dict[Any, Any] = {"rows": _as_int(row[0])}
        stats.update(zip(measures, row[1:], strict=True))
        return stats

    def _aggregate_by_column(
        self, table: exp.Table, columns: list[_Column], first_error: BaseException
    ) -> dict[Any, Any]:
        # Is the table readable at all? If not, the first error is the one to report.
        try:
            rows = self._execute(_aggregate_sql(table, [], [], approx=False, dialect=self.dialect))
        except QueryTimeout:
            raise
        except Exception:
            raise self._fail("profiling", first_error) from first_error
        stats: dict[Any, Any] = {"rows": _as_int(rows.rows[0][0])}
        self._plan_queries(len(columns))
        for column in columns:
            for level in (0, 1, 2):
                measures = _measures(column, level)
                sql = _aggregate_sql(
                    table, [column], measures, approx=self.approx, dialect=self.dialect
                )
                try:
                    row = self._execute(sql).rows[0]
                except QueryTimeout:
                    raise
                except Exception as exc:
                    error = exc
                    continue
                stats.update(zip(measures, row[1:], strict=True))
                if level:
                    dropped = "min/max" if level == 1 else "distinct count and min/max"
                    self.warn(
                        f"{self.dataset.path}: column {column.name!r} ({column.type}): "
                        f"{dropped} skipped, the warehouse cannot compute them: {_brief(error)}"
                    )
                break
            else:
                self.warn(
                    f"{self.dataset.path}: column {column.name!r} ({column.type}) "
                    f"could not be profiled: {_brief(error)}"
                )
        return stats

    def top_values(self, columns: list[_Column], fraction: float | None) -> dict[int, _Counts]:
        """The most common values of each column, by column index."""
        if not columns:
            return {}
        table = _table(self.dataset.table, self.dialect, fraction)
        # One more than asked: a NULL group may take a place and is dropped afterwards.
        limit = self.top_k + 1
        found: dict[int, _Counts] = {}
        single: list[_Column] = []
        if self.dialect in _NO_GROUPING_SETS:
            single = list(columns)
        else:
            chunks = [
                columns[i : i + _GROUPING_CHUNK] for i in range(0, len(columns), _GROUPING_CHUNK)
            ]
            self._plan_queries(len(chunks))
            for chunk in chunks:
                sql = _top_values_sql(table, chunk, limit, self.dialect, taken=self.names)
                try:
                    result = self._execute(sql)
                except QueryTimeout:
                    raise
                except Exception as exc:
                    log.debug("grouping sets failed, one query per column: %s", exc)
                    single += chunk
                    continue
                found.update(_split_grouping_sets(chunk, result.rows))
        self._plan_queries(len(single))
        for column in single:
            sql = _top_values_single_sql(table, column, limit, self.dialect)
            try:
                result = self._execute(sql)
            except QueryTimeout:
                raise
            except Exception as exc:
                self.warn(
                    f"{self.dataset.path}: column {column.name!r}: "
                    f"most common values skipped: {_brief(exc)}"
                )
                continue
            if result.rows:
                first = result.rows[0]
                found[column.index] = _Counts(
                    values=[(r[0], _as_int(r[1])) for r in result.rows],
                    total=_as_int(first[2]),
                    groups=_as_int(first[3]),
                )
        return found

    def partition_range(self, column: _Column) -> tuple[Any, Any]:
        table = _table(self.dataset.table, self.dialect, None)
        measures: list[Measure] = [("min", column.index), ("max", column.index)]
        sql = _aggregate_sql(table, [column], measures, approx=False, dialect=self.dialect)
        try:
            row = self._execute(sql).rows[0]
        except QueryTimeout:
            raise
        except Exception as exc:
            self.warn(
                f"{self.dataset.path}: partition range of {column.name!r} skipped: {_brief(exc)}"
            )
            return None, None
        return row[1], row[2]

    # -- the whole profile

    def run(self) -> Profile:
        started = time.perf_counter()
        profiled_at = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        dataset = self.dataset
        try:
            exp.to_table(dataset.table, dialect=self.dialect or None)
        except Exception as exc:
            raise ClusterError(
                f"'table: {dataset.table}' is not a table name {self.dialect or 'SQL'} can read",
                hint='write schema.table, quoting parts that need it: analytics."Play Events"',
                path=dataset.path,
            ) from exc
        infos = self.table_columns()
        self.names = [info.name for info in infos]

        present = {info.name.lower() for info in infos}
        for listed in dataset.columns:
            if listed.name.lower() not in present:
                self.warn(
                    f"{dataset.path}: column {listed.name!r} is listed but table "
                    f"{dataset.table} has no such column; profiled the columns it has"
                )
        partition_name = dataset.partition.column if dataset.partition else None
        partition: _Column | None = None
        if partition_name and partition_name.lower() not in present:
            self.warn(
                f"{dataset.path}: partition column {partition_name!r} is not in table "
                f"{dataset.table}; partition range skipped"
            )
        columns = []
        for index, info in enumerate(infos):
            is_partition = info.name.lower() == (partition_name or "").lower()
            column = _plan(index, info, self.dialect)
            columns.append(column)
            if is_partition:
                partition = column

        fraction, exact_rows = self._resolve_sample()
        self._plan_queries(1)
        stats = self.aggregate(columns, fraction)
        if fraction is not None and stats["rows"] == 0:
            # Tiny tables can sample to nothing; profile them whole rather than report zeros.
            self._plan_queries(1)
            stats = self.aggregate(columns, None)
            if stats["rows"]:
                self.warn(
                    f"{dataset.path}: the {_percent(fraction)} sample of {dataset.table} "
                    "was empty; profiled the whole table"
                )
            fraction, exact_rows = None, None
        read_rows: int = stats["rows"]
        if fraction is None:
            row_count = read_rows
        elif exact_rows is not None:
            row_count = exact_rows
        else:
            row_count = round(read_rows / fraction)

        profiles = [self._column_profile(c, stats, read_rows, fraction) for c in columns]
        wanted = [
            c
            for c, p in zip(columns, profiles, strict=True)
            if self._wants_top_values(c, stats, p.distinct_count)
        ]
        found = self.top_values(wanted, fraction)
        for column in wanted:
            counts = found.get(column.index)
            if counts is None:
                continue
            profile = profiles[column.index]
            profile.top_values = self._value_shares(column, counts, row_count, fraction)
            # Counting groups is exact where the aggregate only estimated (HyperLogLog is
            # often off by one on a handful of values): a column of 10 countries says 10.
            has_null = _as_int(stats.get(("nonnull", column.index))) < read_rows
            profile.distinct_count = counts.groups - (1 if has_null else 0)
            profile.distinct_approximate = fraction is not None

        partition_min = partition_max = None
        if partition is not None:
            if fraction is not None:
                self._plan_queries(1)
                low, high = self.partition_range(partition)
            else:
                low = stats.get(("min", partition.index))
                high = stats.get(("max", partition.index))
            partition_min, partition_max = partition.value(low), partition.value(high)

        return Profile(
            dataset=dataset.name,
            table=dataset.table,
            path=profile_path(dataset),
            profiled_at=profiled_at,
            row_count=row_count,
            sample=round(fraction, 6) if fraction is not None else None,
            partition_column=partition.name if partition else partition_name,
            partition_min=partition_min,
            partition_max=partition_max,
            columns=profiles,
            duration_ms=round((time.perf_counter() - started) * 1000, 1),
        )

    def _resolve_sample(self) -> tuple[float | None, int | None]:
        """The fraction to sample (None: whole table) and the exact row count when known."""
        sample = self.sample
        if sample is None:
            return None, None
        if SAMPLE not in self.warehouse.capabilities:
            self.warn(
                f"{self.dataset.path}: warehouse {self.warehouse.name!r} "
                f"({self.dialect or 'unknown engine'}) cannot sample; "
                f"profiled the whole table instead of {sample}"
            )
            return None, None
        if sample.rows is not None:
            self._plan_queries(1)
            total = self.count_rows()
            if sample.rows >= total:
                return None, None
            return sample.rows / total, total
        fraction = sample.fraction
        return (fraction if fraction is not None and fraction < 1 else None), None

    def _column_profile(
        self, column: _Column, stats: dict[Any, Any], read_rows: int, fraction: float | None
    ) -> ColumnProfile:
        index = column.index
        nonnull = stats.get(("nonnull", index))
        distinct = stats.get(("distinct", index))
        if distinct is not None:
            distinct = _as_int(distinct)
            if nonnull is not None:
                # HyperLogLog can overshoot; never claim more distinct values than values.
                distinct = min(distinct, _as_int(nonnull))
        return ColumnProfile(
            name=column.name,
            type=column.type,
            null_fraction=(
                _ratio(read_rows - _as_int(nonnull), read_rows)
                if nonnull is not None and read_rows
                else None
            ),
            distinct_count=distinct,
            distinct_approximate=distinct is not None and (self.approx or fraction is not None),
            min=column.value(stats.get(("min", index))),
            max=column.value(stats.get(("max", index))),
        )

    def _wants_top_values(
        self, column: _Column, stats: dict[Any, Any], distinct: int | None
    ) -> bool:
        if not column.top or not distinct or self.top_k <= 0:
            return False
        nonnull = _as_int(stats.get(("nonnull", column.index)))
        length = stats.get(("length", column.index))
        if length is not None and float(length) > FREE_TEXT_LENGTH:
            return False
        if distinct > TOP_MAX_DISTINCT:
            return False
        if distinct <= TOP_MAX_RATIO * nonnull:
            return True
        # Small tables: a short complete list is still worth having (statuses of 6 rows).
        return distinct <= self.top_k and distinct < nonnull

    def _value_shares(
        self, column: _Column, counts: _Counts, row_count: int, fraction: float | None
    ) -> list[ValueShare]:
        shares: list[ValueShare] = []
        total = counts.total
        for value, count in counts.values:
            if value is None:
                continue
            plain = column.value(value)
            if plain is None:
                continue
            # A sample's counts are scaled to the table; its shares are already fractions.
            scaled = count if fraction is None or not total else round(count * row_count / total)
            shares.append(ValueShare(value=plain, count=scaled, share=_ratio(count, total)))
            if len(shares) == self.top_k:
                break
        return shares


@dataclass
class _Counts:
    """The most common values of one column, as the warehouse counted them."""

    values: list[tuple[Any, int]]  # (value, count), most common first; NULL may be among them
    total: int  # rows counted (the sample's when sampling)
    groups: int  # distinct values, NULL counted as one


def _split_grouping_sets(
    columns: Sequence[_Column], rows: Iterable[tuple[Any, ...]]
) -> dict[int, _Counts]:
    """Rows of the GROUPING SETS query, per column, in rank order."""
    width = len(columns)
    full = (1 << width) - 1
    # GROUPING(c1..cn) clears the bit of the one column grouped in that row's set.
    by_set = {full ^ (1 << (width - 1 - i)): i for i in range(width)}
    ranked: dict[int, list[tuple[int, Any, int]]] = {}
    found: dict[int, _Counts] = {}
    for row in rows:
        position = by_set.get(_as_int(row[width]))
        if position is None:
            continue
        index = columns[position].index
        count, total, groups, rank = (_as_int(v) for v in row[width + 1 : width + 5])
        ranked.setdefault(index, []).append((rank, row[position], count))
        found.setdefault(index, _Counts(values=[], total=total, groups=groups))
    for index, items in ranked.items():
        found[index].values = [(value, count) for _, value, count in sorted(items, key=_first)]
    return found


def _first(item: tuple[int, Any, int]) -> int:
    return item[0]


def _brief(exc: BaseException) -> str:
    text = exc.message if isinstance(exc, VedderError) else str(exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


def _percent(fraction: float) -> str:
    return f"{fraction * 100:g}%"


def _log_warning(text: str) -> None:
    log.warning(text)


def profile_path(dataset: Dataset) -> str:
    """Where a dataset's profile lives: ``<cluster>/profiles/<dataset>.yaml`` (posix, relative)."""
    manifest = Path(dataset.path)
    cluster = manifest.parent.parent if manifest.parent.name == "datasets" else manifest.parent
    return (cluster / "profiles" / f"{dataset.name}.yaml").as_posix()


def profile_dataset(
    warehouse: Warehouse,
    dataset: Dataset,
    *,
    sample: Sample | float | int | str | None = None,
    top_k: int = TOP_K,
    progress: ProgressStep | None = None,
    on_warning: WarningSink | None = None,
) -> Profile:
    """Measure one dataset's table in the warehouse.

    ``sample`` is a fraction (``0.1``), a percentage (``"10%"``) or a number of rows
    (``100000``); ``progress(done, planned)`` is called as queries finish; ``on_warning``
    receives problems that do not stop the profile (a listed column the table lacks).
    Raises a :class:`VedderError` naming the dataset file when the table cannot be profiled.
    """
    profiler = _Profiler(
        warehouse,
        dataset,
        sample=parse_sample(sample),
        top_k=top_k,
        progress=progress,
        warn=on_warning or _log_warning,
    )
    try:
        return profiler.run()
    except QueryTimeout as exc:
        if exc.path is None:
            exc.path = dataset.path
        advice = (
            "profile a sample (vedder profile --sample 10%) or raise the warehouse's "
            "'timeout' in vedder.yaml"
        )
        exc.hint = f"{exc.hint}; {advice}" if exc.hint else advice
        raise


# --------------------------------------------------------------------------- clusters


@dataclass(frozen=True)
class ProfileProgress:
    """Where a ``profile_cluster`` run is: sent to its ``progress`` callback."""

    cluster: str
    dataset: str
    index: int  # 1-based position of the dataset in this run
    total: int  # datasets in this run
    status: Literal["started", "running", "done", "failed"]
    done: int = 0  # queries finished for this dataset
    planned: int = 0  # queries planned so far; grows once the aggregate shows what else to run


@dataclass
class DatasetOutcome:
    """One dataset of a ``profile_cluster`` run: its profile or why it has none."""

    cluster: str
    dataset: str
    table: str
    path: str  # the dataset file
    profile: Profile | None = None
    file: str | None = None  # the profile file written, relative to the project root
    error: VedderError | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def seconds(self) -> float | None:
        if self.profile is None or self.profile.duration_ms is None:
            return None
        return round(self.profile.duration_ms / 1000, 3)

    def to_dict(self) -> dict[str, Any]:
        return {
            "cluster": self.cluster,
            "dataset": self.dataset,
            "table": self.table,
            "status": "ok" if self.ok else "failed",
            "rows": self.profile.row_count if self.profile else None,
            "columns": len(self.profile.columns) if self.profile else None,
            "seconds": self.seconds,
            "file": self.file,
            "error": str(self.error) if self.error else None,
            "warnings": list(self.warnings),
            "profile": profile_to_dict(self.profile) if self.profile else None,
        }


def profile_cluster(
    warehouse: Warehouse,
    cluster: Cluster,
    *,
    datasets: Iterable[str] | None = None,
    sample: Sample | float | int | str | None = None,
    top_k: int = TOP_K,
    root: str | Path | None = None,
    progress: Callable[[ProfileProgress], None] | None = None,
) -> list[DatasetOutcome]:
    """Profile a cluster's datasets (all, or those named) one after another.

    With ``root`` (the project root) each profile is written to
    ``<cluster>/profiles/<dataset>.yaml`` as soon as it is measured. A dataset that fails
    becomes an outcome with an ``error`` and the run goes on with the next one.
    """
    spec = parse_sample(sample)
    names = list(cluster.datasets) if datasets is None else list(datasets)
    unknown = [n for n in names if n not in cluster.datasets]
    if unknown:
        known = ", ".join(sorted(cluster.datasets)) or "none"
        raise ClusterError(
            f"cluster {cluster.name!r} has no dataset {unknown[0]!r} (known: {known})",
            hint=f"dataset manifests live in {cluster.path}/datasets/<dataset>.yaml",
            path=cluster.path,
        )
    outcomes: list[DatasetOutcome] = []
    for position, name in enumerate(names, start=1):
        dataset = cluster.datasets[name]
        outcome = DatasetOutcome(
            cluster=cluster.name, dataset=name, table=dataset.table, path=dataset.path
        )

        def step(done: int, planned: int, *, _name: str = name, _position: int = position) -> None:
            if progress:
                progress(
                    ProfileProgress(
                        cluster.name, _name, _position, len(names), "running", done, planned
                    )
                )

        if progress:
            progress(ProfileProgress(cluster.name, name, position, len(names), "started"))
        try:
            profile = profile_dataset(
                warehouse,
                dataset,
                sample=spec,
                top_k=top_k,
                progress=step,
                on_warning=outcome.warnings.append,
            )
            profile.path = f"{cluster.path}/profiles/{name}.yaml"
            outcome.profile = profile
            if root is not None:
                write_profile(profile, Path(root) / profile.path)
                outcome.file = profile.path
        except VedderError as exc:
            if exc.path is None:
                exc.path = dataset.path
            outcome.error = exc
        except Exception as exc:  # a driver error the backend did not wrap: report, go on
            error = ProfileError(f"{type(exc).__name__}: {exc}", path=dataset.path)
            error.__cause__ = exc
            outcome.error = error
        outcomes.append(outcome)
        if progress:
            status: Literal["done", "failed"] = "done" if outcome.ok else "failed"
            progress(ProfileProgress(cluster.name, name, position, len(names), status))
    return outcomes


# --------------------------------------------------------------------------- files


class _Flow(dict[str, Any]):
    """A mapping written on one line: ``{column: d, min: '2024-01-01', max: ...}``."""


class _Dumper(yaml.SafeDumper):
    """Block lists indented under their key, the way people write YAML by hand."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_flow(dumper: yaml.SafeDumper, data: _Flow) -> yaml.Node:
    return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=True)


_Dumper.add_representer(_Flow, _represent_flow)


def profile_to_dict(profile: Profile) -> dict[str, Any]:
    """The file's content, keys in their fixed order."""
    partition = None
    if profile.partition_column:
        partition = _Flow(
            column=profile.partition_column,
            min=profile.partition_min,
            max=profile.partition_max,
        )
    return {
        "dataset": profile.dataset,
        "table": profile.table,
        "profiled_at": profile.profiled_at,
        "duration_ms": profile.duration_ms,
        "row_count": profile.row_count,
        "sample": profile.sample,
        "partition": partition,
        "columns": [
            {
                "name": c.name,
                "type": c.type,
                "null_fraction": c.null_fraction,
                "distinct_count": c.distinct_count,
                "distinct_approximate": c.distinct_approximate,
                "min": c.min,
                "max": c.max,
                "top_values": (
                    None
                    if c.top_values is None
                    else [_Flow(value=v.value, count=v.count, share=v.share) for v in c.top_values]
                ),
            }
            for c in profile.columns
        ],
    }


def dump_profile(profile: Profile) -> str:
    """The text of ``profiles/<dataset>.yaml``."""
    body = yaml.dump(
        profile_to_dict(profile),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=10_000,  # one value per line, never folded: diffs stay line-for-line
    )
    return HEADER + body


def write_profile(profile: Profile, path: str | Path) -> Path:
    """Write the profile file, replacing any previous one in a single step."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    text = dump_profile(profile)
    # Write next to the target and rename, so an interrupted run never leaves half a file.
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        Path(temporary).replace(target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target
