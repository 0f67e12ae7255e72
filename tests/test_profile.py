"""Profiling against real DuckDB and SQLite files with data whose numbers are known."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from vedder.cluster.model import Cluster, Column, Dataset, Partition, Profile
from vedder.errors import VedderError
from vedder.profile import (
    HEADER,
    Sample,
    dump_profile,
    parse_sample,
    profile_cluster,
    profile_dataset,
    profile_path,
    write_profile,
)
from vedder.warehouse import Warehouse, open_warehouse

# 2,000 rows. country: 100 NULL (i % 20 = 0), SE 900, NO 600, DK 400.
EVENTS_SQL = """
CREATE SCHEMA analytics;
CREATE TABLE analytics.events AS
SELECT
    CAST(i AS INTEGER) AS id,
    CASE WHEN i % 20 = 0 THEN NULL
         WHEN i % 10 < 5 THEN 'SE'
         WHEN i % 10 < 8 THEN 'NO'
         ELSE 'DK' END AS country,
    DATE '2024-01-01' + CAST(i % 100 AS INTEGER) AS event_date,
    CAST(i / 4 AS DECIMAL(10, 2)) AS amount,
    i % 4 = 0 AS is_first,
    repeat('x', 100) || CAST(i % 3 AS VARCHAR) AS note,
    CASE WHEN i % 10 = 0 THEN repeat('y', 120) ELSE 'short' END AS category,
    CAST(i % 600 AS INTEGER) AS bucket,
    CAST(i % 1500 AS INTEGER) AS wide,
    CASE WHEN i < 1000 THEN CAST(i % 700 AS INTEGER) END AS sparse,
    CAST(NULL AS INTEGER) AS nothing,
    CAST(i % 7 AS FLOAT) / 10 AS ratio,
    encode(CAST(i % 5 AS VARCHAR)) AS payload,
    [i % 3, i % 5] AS tags,
    CAST('{"k": ' || (i % 2) || '}' AS JSON) AS doc
FROM range(2000) AS t(i);
CREATE TABLE analytics.empty (id INTEGER, day DATE);
CREATE TABLE analytics.one_row AS SELECT 1 AS id, 'a' AS name;
"""


def duckdb_file(path: Path, sql: str) -> Path:
    con = duckdb.connect(str(path))
    try:
        con.execute(sql)
    finally:
        con.close()
    return path


@pytest.fixture(scope="module")
def events_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return duckdb_file(tmp_path_factory.mktemp("profile") / "events.duckdb", EVENTS_SQL)


@pytest.fixture
def warehouse(events_db: Path) -> Iterator[Warehouse]:
    with open_warehouse(f"duckdb:///{events_db}") as opened:
        yield opened


def events_dataset(**changes: Any) -> Dataset:
    fields: dict[str, Any] = {
        "name": "events",
        "table": "analytics.events",
        "path": "clusters/app/datasets/events.yaml",
        "partition": Partition(column="event_date"),
        "columns": [Column(name="id"), Column(name="country")],
    }
    fields.update(changes)
    return Dataset(**fields)


@pytest.fixture(scope="module")
def events_profile(events_db: Path) -> Profile:
    with open_warehouse(f"duckdb:///{events_db}") as opened:
        return profile_dataset(opened, events_dataset())


def column(profile: Profile, name: str) -> Any:
    found = profile.column(name)
    assert found is not None, name
    return found


def top(profile: Profile, name: str) -> list[tuple[Any, int, float]]:
    values = column(profile, name).top_values
    assert values is not None, f"{name} has no top values"
    return [(v.value, v.count, v.share) for v in values]


# --------------------------------------------------------------------------- DuckDB


def test_row_count_partition_and_path(events_profile: Profile) -> None:
    assert events_profile.dataset == "events"
    assert events_profile.table == "analytics.events"
    assert events_profile.path == "clusters/app/profiles/events.yaml"
    assert events_profile.row_count == 2000
    assert events_profile.sample is None
    assert events_profile.partition_column == "event_date"
    assert events_profile.partition_min == "2024-01-01"
    assert events_profile.partition_max == "2024-04-09"  # day 99 of a leap year
    assert events_profile.profiled_at and events_profile.profiled_at.endswith("Z")
    assert events_profile.duration_ms is not None and events_profile.duration_ms > 0
    assert [c.name for c in events_profile.columns][:3] == ["id", "country", "event_date"]


def test_top_values_counts_shares_and_exact_distinct(events_profile: Profile) -> None:
    country = column(events_profile, "country")
    assert country.type == "VARCHAR"
    assert country.null_fraction == 0.05
    assert (country.min, country.max) == ("DK", "SE")
    # NULL is not a value: it shows in null_fraction, and shares are of all rows.
    assert top(events_profile, "country") == [
        ("SE", 900, 0.45),
        ("NO", 600, 0.3),
        ("DK", 400, 0.2),
    ]
    # Counted from the groups, so exact even though the engine estimates distinct counts.
    assert country.distinct_count == 3
    assert country.distinct_approximate is False


def test_ties_break_on_value_and_only_top_k_kept(events_profile: Profile) -> None:
    # 600 distinct values over 2,000 rows: 0..199 appear 4 times, the rest 3 times.
    assert top(events_profile, "bucket") == [(v, 4, 0.002) for v in range(10)]
    assert column(events_profile, "bucket").distinct_count == 600
    days = top(events_profile, "event_date")
    assert days[0] == ("2024-01-01", 20, 0.01)
    assert [d[0] for d in days] == [f"2024-01-{d:02d}" for d in range(1, 11)]


def test_high_cardinality_and_mostly_distinct_columns_have_no_top_values(
    events_profile: Profile,
) -> None:
    ids = column(events_profile, "id")
    assert ids.top_values is None
    assert ids.distinct_approximate is True
    assert 1900 <= ids.distinct_count <= 2000  # HyperLogLog, capped at the non-null count
    assert (ids.min, ids.max) == (0, 1999)
    assert column(events_profile, "wide").top_values is None  # 1,500 distinct > 1,000
    sparse = column(events_profile, "sparse")  # 700 distinct of 1,000 values: > half
    assert sparse.null_fraction == 0.5
    assert sparse.top_values is None


def test_free_text_is_skipped_and_long_values_truncated(events_profile: Profile) -> None:
    note = column(events_profile, "note")
    assert note.top_values is None  # three distinct values, but 101 characters on average
    assert note.min == "x" * 79 + "…"
    assert len(note.max) == 80
    category = top(events_profile, "category")
    assert category == [("short", 1800, 0.9), ("y" * 79 + "…", 200, 0.1)]


def test_types_without_order_skip_min_max(events_profile: Profile) -> None:
    flag = column(events_profile, "is_first")
    assert (flag.min, flag.max) == (None, None)
    assert top(events_profile, "is_first") == [(False, 1500, 0.75), (True, 500, 0.25)]
    for name in ("payload", "tags", "doc"):
        skipped = column(events_profile, name)
        assert (skipped.min, skipped.max, skipped.top_values) == (None, None, None), name
        assert skipped.null_fraction == 0.0
    assert column(events_profile, "tags").type == "BIGINT[]"


def test_values_become_yaml_friendly(events_profile: Profile) -> None:
    amount = column(events_profile, "amount")
    assert (amount.min, amount.max) == (0, 499.75)  # Decimals: ints when whole, else floats
    assert isinstance(amount.max, float)
    ratio = column(events_profile, "ratio")
    assert ratio.max == 0.6  # a 32-bit float, without its noise digits
    assert (0.3, 286, 0.143) in top(events_profile, "ratio")


def test_all_null_column(events_profile: Profile) -> None:
    nothing = column(events_profile, "nothing")
    assert nothing.null_fraction == 1.0
    assert nothing.distinct_count == 0
    assert (nothing.min, nothing.max, nothing.top_values) == (None, None, None)


def test_empty_table(warehouse: Warehouse) -> None:
    dataset = events_dataset(name="empty", table="analytics.empty", columns=[])
    dataset.partition = Partition(column="day")
    profile = profile_dataset(warehouse, dataset)
    assert profile.row_count == 0
    assert (profile.partition_min, profile.partition_max) == (None, None)
    first = column(profile, "id")
    assert first.null_fraction is None
    assert first.top_values is None


def test_small_table_keeps_a_complete_short_list(tmp_path: Path) -> None:
    path = duckdb_file(
        tmp_path / "small.duckdb",
        "CREATE TABLE orders AS SELECT * FROM (VALUES (1, 'open'), (2, 'open'), "
        "(3, 'paid'), (4, 'paid'), (5, 'open'), (6, 'void')) AS t(id, status)",
    )
    with open_warehouse(f"duckdb:///{path}") as opened:
        profile = profile_dataset(opened, Dataset("orders", "orders", "c/datasets/orders.yaml"))
    # 3 of 6 values distinct: over the ratio, but a short complete list is worth having.
    assert top(profile, "status") == [("open", 3, 0.5), ("paid", 2, 0.3333), ("void", 1, 0.1667)]
    assert column(profile, "id").top_values is None  # every value distinct


def test_missing_manifest_column_warns_with_the_dataset_file(warehouse: Warehouse) -> None:
    warnings: list[str] = []
    dataset = events_dataset(columns=[Column(name="country"), Column(name="listener_id")])
    dataset.partition = Partition(column="stream_date")
    profile = profile_dataset(warehouse, dataset, on_warning=warnings.append)
    assert profile.row_count == 2000
    assert profile.partition_min is None
    assert any(
        w.startswith("clusters/app/datasets/events.yaml:") and "'listener_id'" in w
        for w in warnings
    )
    assert any("partition column 'stream_date'" in w for w in warnings)


def test_missing_table_is_an_error_naming_the_dataset_file(warehouse: Warehouse) -> None:
    with pytest.raises(VedderError) as caught:
        profile_dataset(warehouse, events_dataset(table="analytics.evnts"))
    assert caught.value.path == "clusters/app/datasets/events.yaml"
    assert "analytics.evnts" in str(caught.value)


def test_progress_reports_queries(warehouse: Warehouse) -> None:
    steps: list[tuple[int, int]] = []
    profile_dataset(warehouse, events_dataset(), progress=lambda d, n: steps.append((d, n)))
    # One aggregate and one GROUPING SETS query for every column's top values.
    assert steps[-1] == (2, 2)
    assert all(done <= planned for done, planned in steps)


# --------------------------------------------------------------------------- sampling


@pytest.fixture(scope="module")
def big_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return duckdb_file(
        tmp_path_factory.mktemp("profile") / "big.duckdb",
        """
        CREATE TABLE plays AS
        SELECT
            i AS id,
            DATE '2025-01-01' + CAST(i % 365 AS INTEGER) AS day,
            CASE WHEN i % 4 = 0 THEN 'podcast' ELSE 'music' END AS kind
        FROM range(200000) AS t(i)
        """,
    )


def plays() -> Dataset:
    return Dataset("plays", "plays", "c/datasets/plays.yaml", partition=Partition(column="day"))


def strip_volatile(text: str) -> str:
    return "\n".join(
        line for line in text.splitlines() if not line.startswith(("profiled_at:", "duration_ms:"))
    )


def test_sample_fraction_scales_counts_and_is_repeatable(big_db: Path) -> None:
    with open_warehouse(f"duckdb:///{big_db}") as opened:
        first = profile_dataset(opened, plays(), sample="10%")
        again = profile_dataset(opened, plays(), sample=0.1)
    assert first.sample == 0.1
    assert first.row_count is not None and 190_000 <= first.row_count <= 210_000
    kinds = top(first, "kind")
    assert [k[0] for k in kinds] == ["music", "podcast"]
    assert abs(kinds[0][2] - 0.75) < 0.01
    assert abs(kinds[0][1] - 150_000) < 3_000  # scaled to the whole table
    assert column(first, "kind").distinct_approximate is True
    # The partition range is read in full: a sample could miss the newest day.
    assert (first.partition_min, first.partition_max) == ("2025-01-01", "2025-12-31")
    # A fixed seed: profiling unchanged data again writes the same file.
    assert strip_volatile(dump_profile(first)) == strip_volatile(dump_profile(again))


def test_sample_rows_uses_the_exact_row_count(big_db: Path) -> None:
    with open_warehouse(f"duckdb:///{big_db}") as opened:
        profile = profile_dataset(opened, plays(), sample=20_000)
        whole = profile_dataset(opened, plays(), sample=10**9)
    assert profile.sample == 0.1
    assert profile.row_count == 200_000
    assert whole.sample is None  # asking for more rows than there are reads everything
    assert top(whole, "kind") == [("music", 150_000, 0.75), ("podcast", 50_000, 0.25)]


def test_an_empty_sample_falls_back_to_the_whole_table(warehouse: Warehouse) -> None:
    warnings: list[str] = []
    dataset = Dataset("one_row", "analytics.one_row", "c/datasets/one_row.yaml")
    profile = profile_dataset(warehouse, dataset, sample=0.0001, on_warning=warnings.append)
    assert profile.sample is None
    assert profile.row_count == 1
    assert any("sample" in w and "whole table" in w for w in warnings)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("10%", Sample(fraction=0.1)),
        ("0.25", Sample(fraction=0.25)),
        (".5", Sample(fraction=0.5)),
        ("1.0", Sample(fraction=1.0)),
        ("100000", Sample(rows=100_000)),
        ("10_000", Sample(rows=10_000)),
        (5000, Sample(rows=5000)),
        (0.2, Sample(fraction=0.2)),
        (None, None),
    ],
)
def test_parse_sample(given: Any, expected: Sample | None) -> None:
    assert parse_sample(given) == expected


@pytest.mark.parametrize("given", ["0", "150%", "1.5", "-3", "ten", "", "0%", True])
def test_parse_sample_refuses_nonsense(given: Any) -> None:
    with pytest.raises(VedderError) as caught:
        parse_sample(given)
    assert caught.value.hint and "percentage" in caught.value.hint


# --------------------------------------------------------------------------- SQLite


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Path:
    path = tmp_path / "shop.sqlite"
    con = sqlite3.connect(path)
    con.execute(
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, status TEXT, total REAL, "
        "placed_on DATE, note TEXT, paid BOOLEAN)"
    )
    rows = [
        (
            i,
            None if i % 10 == 0 else ("paid" if i % 2 else "open"),
            i * 1.5,
            f"2025-03-{1 + i % 28:02d}",
            "n" * 120 if i % 3 == 0 else "ok",
            i % 3 == 0,
        )
        for i in range(1, 301)
    ]
    con.executemany("INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?)", rows)
    con.commit()
    con.close()
    return path


def orders() -> Dataset:
    return Dataset(
        "orders",
        "orders",
        "clusters/shop/datasets/orders.yaml",
        partition=Partition(column="placed_on"),
    )


def test_sqlite_exact_counts_and_top_values(sqlite_db: Path) -> None:
    with open_warehouse(f"sqlite:///{sqlite_db}") as opened:
        profile = profile_dataset(opened, orders())
    assert profile.row_count == 300
    assert (profile.partition_min, profile.partition_max) == ("2025-03-01", "2025-03-28")
    status = column(profile, "status")
    assert status.null_fraction == 0.1
    assert status.distinct_count == 2
    assert status.distinct_approximate is False  # SQLite counts DISTINCT exactly
    assert top(profile, "status") == [("paid", 150, 0.5), ("open", 120, 0.4)]
    ids = column(profile, "id")
    assert (ids.distinct_count, ids.min, ids.max, ids.top_values) == (300, 1, 300, None)
    assert column(profile, "total").max == 450.0
    assert top(profile, "paid") == [(0, 200, 0.6667), (1, 100, 0.3333)]  # stored as integers
    assert column(profile, "note").max == "ok"
    assert column(profile, "note").min == "n" * 79 + "…"


def test_sqlite_cannot_sample_so_reads_everything_and_says_so(sqlite_db: Path) -> None:
    warnings: list[str] = []
    with open_warehouse(f"sqlite:///{sqlite_db}") as opened:
        profile = profile_dataset(opened, orders(), sample="10%", on_warning=warnings.append)
    assert profile.sample is None
    assert profile.row_count == 300
    assert any(
        w.startswith("clusters/shop/datasets/orders.yaml:") and "cannot sample" in w
        for w in warnings
    )


# --------------------------------------------------------------------------- clusters and files


def test_profile_cluster_goes_on_after_a_failure(events_db: Path, tmp_path: Path) -> None:
    good = events_dataset()
    good.path = "clusters/app/datasets/events.yaml"
    broken = events_dataset(
        name="gone", table="analytics.gone", path="clusters/app/datasets/gone.yaml"
    )
    cluster = Cluster(name="app", path="clusters/app", datasets={"gone": broken, "events": good})
    events: list[tuple[str, str]] = []
    with open_warehouse(f"duckdb:///{events_db}") as opened:
        outcomes = profile_cluster(
            opened, cluster, root=tmp_path, progress=lambda e: events.append((e.dataset, e.status))
        )
    assert [o.dataset for o in outcomes] == ["gone", "events"]
    failed, done = outcomes
    assert not failed.ok and failed.error is not None
    assert failed.error.path == "clusters/app/datasets/gone.yaml"
    assert failed.to_dict()["status"] == "failed"
    assert done.ok and done.file == "clusters/app/profiles/events.yaml"
    assert (tmp_path / "clusters/app/profiles/events.yaml").is_file()
    assert not (tmp_path / "clusters/app/profiles/gone.yaml").exists()
    assert ("gone", "failed") in events and ("events", "done") in events
    assert events[0] == ("gone", "started")


def test_profile_cluster_refuses_unknown_dataset_names(warehouse: Warehouse) -> None:
    cluster = Cluster(name="app", path="clusters/app", datasets={"events": events_dataset()})
    with pytest.raises(VedderError, match=r"no dataset 'evnts'.*known: events"):
        profile_cluster(warehouse, cluster, datasets=["evnts"])


def test_file_shape_is_fixed_and_stable(events_profile: Profile, tmp_path: Path) -> None:
    path = write_profile(events_profile, tmp_path / "profiles" / "events.yaml")
    text = path.read_text(encoding="utf-8")
    assert text.startswith(HEADER)
    lines = text.splitlines()
    assert lines[1:8] == [
        "dataset: events",
        "table: analytics.events",
        f"profiled_at: '{events_profile.profiled_at}'",
        f"duration_ms: {events_profile.duration_ms}",
        "row_count: 2000",
        "sample: null",
        "partition: {column: event_date, min: '2024-01-01', max: '2024-04-09'}",
    ]
    assert lines[8] == "columns:"
    assert lines[9] == "  - name: id"
    country_at = lines.index("  - name: country")
    assert lines[country_at : country_at + 10] == [
        "  - name: country",
        "    type: VARCHAR",
        "    null_fraction: 0.05",
        "    distinct_count: 3",
        "    distinct_approximate: false",
        "    min: DK",
        "    max: SE",
        "    top_values:",
        "      - {value: SE, count: 900, share: 0.45}",
        # Quoted: unquoted NO would read back as false (YAML 1.1's "Norway problem").
        "      - {value: 'NO', count: 600, share: 0.3}",
    ]
    data = yaml.safe_load(text)
    assert list(data) == [
        "dataset",
        "table",
        "profiled_at",
        "duration_ms",
        "row_count",
        "sample",
        "partition",
        "columns",
    ]
    assert list(data["columns"][0]) == [
        "name",
        "type",
        "null_fraction",
        "distinct_count",
        "distinct_approximate",
        "min",
        "max",
        "top_values",
    ]
    # Dates stay strings through a round trip; nothing but the two volatile keys changes.
    assert data["partition"]["min"] == "2024-01-01"
    assert strip_volatile(dump_profile(events_profile)) == strip_volatile(text)
    assert not list(path.parent.glob(".*"))  # no temporary file left behind


def test_profile_path_follows_the_cluster_layout() -> None:
    assert profile_path(events_dataset()) == "clusters/app/profiles/events.yaml"


def test_yaml_quotes_values_that_would_change_type() -> None:
    profile = Profile(dataset="d", table="t", path="p")
    profile.columns = []
    from vedder.cluster.model import ColumnProfile, ValueShare

    profile.columns.append(
        ColumnProfile(
            name="answer",
            type="VARCHAR",
            top_values=[ValueShare("yes", 2, 0.5), ValueShare("2024-01-01", 1, 0.25)],
        )
    )
    data = yaml.safe_load(dump_profile(profile))
    assert [v["value"] for v in data["columns"][0]["top_values"]] == ["yes", "2024-01-01"]
    assert data["partition"] is None


def test_names_that_need_quoting(tmp_path: Path) -> None:
    path = duckdb_file(
        tmp_path / "odd.duckdb",
        'CREATE SCHEMA "Sales Data"; CREATE TABLE "Sales Data"."Order Lines" AS '
        "SELECT i AS \"Order ID\", CASE WHEN i % 2 = 0 THEN 'a' ELSE 'b' END AS \"select\", "
        "i % 3 AS vedder_rank FROM range(100) AS t(i)",
    )
    dataset = Dataset("lines", '"Sales Data"."Order Lines"', "c/datasets/lines.yaml")
    with open_warehouse(f"duckdb:///{path}") as opened:
        profile = profile_dataset(opened, dataset)
    assert profile.row_count == 100
    assert [c.name for c in profile.columns] == ["Order ID", "select", "vedder_rank"]
    assert top(profile, "select") == [("a", 50, 0.5), ("b", 50, 0.5)]
    assert top(profile, "vedder_rank") == [(0, 34, 0.34), (1, 33, 0.33), (2, 33, 0.33)]
    assert (column(profile, "Order ID").min, column(profile, "Order ID").max) == (0, 99)


def test_an_empty_table_name_is_an_error_naming_the_file(warehouse: Warehouse) -> None:
    with pytest.raises(VedderError) as caught:
        profile_dataset(warehouse, events_dataset(table=""))
    assert caught.value.path == "clusters/app/datasets/events.yaml"
