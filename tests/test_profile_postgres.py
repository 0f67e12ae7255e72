"""Profiling on a real PostgreSQL server, checked against SQL run directly on it.

The defog ``broker`` and ``restaurants`` databases are loaded into a schema of their
own, profiled, and dropped afterwards; nothing else on the server is touched.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from vedder.cluster.model import Dataset, Partition, Profile
from vedder.profile import TOP_K, plain_value, profile_dataset
from vedder.warehouse import APPROX_DISTINCT, Warehouse, open_warehouse

pytestmark = pytest.mark.postgres

DATABASES = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "defog" / "databases"


def defog_sql(name: str) -> str:
    return (DATABASES / name / f"{name}.sql").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def schema(pg_url: str) -> Iterator[str]:
    """A schema holding broker and restaurants (plus two tables of our own)."""
    name = f"vedder_profile_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
        try:
            conn.execute(f"SET search_path TO {name}")
            conn.execute(defog_sql("broker").encode())  # unqualified names: the schema above
            # restaurants names public.* explicitly; load it here instead.
            conn.execute(defog_sql("restaurants").replace("public.", f"{name}.").encode())
            conn.execute(
                "CREATE TABLE plays AS SELECT i AS id, DATE '2025-01-01' + i % 365 AS day, "
                "CASE WHEN i % 4 = 0 THEN 'podcast' ELSE 'music' END AS kind "
                "FROM generate_series(0, 99999) AS s(i)"
            )
            conn.execute(
                "CREATE TABLE odd (id int, doc json, docb jsonb, words tsvector, spot point, "
                "ref uuid, flags boolean[])"
            )
            conn.execute(
                "INSERT INTO odd SELECT i, json_build_object('k', i % 2), "
                "jsonb_build_object('k', i % 2), to_tsvector('simple', 'word' || i % 3), "
                "point(i, i), md5(i::text)::uuid, ARRAY[i % 2 = 0] FROM generate_series(1, 50) i"
            )
            conn.execute("ANALYZE")
            yield name
        finally:
            conn.execute(f"DROP SCHEMA {name} CASCADE")


@pytest.fixture
def warehouse(pg_url: str) -> Iterator[Warehouse]:
    with open_warehouse(pg_url, name="pg") as opened:
        yield opened


def dataset(schema: str, table: str, **extra: Any) -> Dataset:
    return Dataset(
        name=table.lower(), table=f"{schema}.{table}", path=f"c/datasets/{table}.yaml", **extra
    )


def direct(pg_url: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(pg_url) as conn:
        return conn.execute(sql.encode()).fetchall()


def check_against_direct_sql(pg_url: str, profile: Profile, table: str) -> None:
    """Every number in the profile matches what plain SQL says about the table."""
    (rows,) = direct(pg_url, f"SELECT count(*) FROM {table}")[0]
    assert profile.row_count == rows
    for col in profile.columns:
        ident = f'"{col.name}"'
        nonnull, distinct = direct(
            pg_url, f"SELECT count({ident}), count(DISTINCT {ident}) FROM {table}"
        )[0]
        assert col.null_fraction == pytest.approx((rows - nonnull) / rows, abs=1e-4), col.name
        # PostgreSQL has no approximate distinct count: every count is exact.
        assert (col.distinct_count, col.distinct_approximate) == (distinct, False), col.name
        if col.min is not None or col.max is not None:
            low, high = direct(pg_url, f"SELECT min({ident}), max({ident}) FROM {table}")[0]
            assert (col.min, col.max) == (plain_value(low), plain_value(high)), col.name
        if col.top_values is not None:
            expected = direct(
                pg_url,
                f"SELECT {ident}, count(*) FROM {table} WHERE {ident} IS NOT NULL "
                f"GROUP BY {ident} ORDER BY count(*) DESC, {ident} LIMIT {TOP_K}",
            )
            got = [(v.value, v.count) for v in col.top_values]
            assert got == [(plain_value(v), n) for v, n in expected], col.name
            for share in col.top_values:
                assert share.share == pytest.approx(share.count / rows, abs=1e-4)


@pytest.mark.parametrize("table", ["sbTransaction", "sbCustomer", "sbDailyPrice", "sbTicker"])
def test_broker_tables_match_direct_sql(
    pg_url: str, warehouse: Warehouse, schema: str, table: str
) -> None:
    assert APPROX_DISTINCT not in warehouse.capabilities
    warnings: list[str] = []
    profile = profile_dataset(warehouse, dataset(schema, table), on_warning=warnings.append)
    assert warnings == []
    check_against_direct_sql(pg_url, profile, f"{schema}.{table}")


def test_broker_types(warehouse: Warehouse, schema: str) -> None:
    ticker = profile_dataset(warehouse, dataset(schema, "sbTicker"))
    active = ticker.column("sbtickerisactive")
    assert active is not None and active.type == "boolean"
    assert (active.min, active.max) == (None, None)  # PostgreSQL has no min(boolean)
    assert active.top_values and {v.value for v in active.top_values} <= {True, False}
    kinds = ticker.column("sbtickertype")
    assert kinds is not None and kinds.top_values is not None
    assert {v.value for v in kinds.top_values} == {"stock", "etf", "mutualfund"}

    prices = profile_dataset(
        warehouse, dataset(schema, "sbDailyPrice", partition=Partition(column="sbDpDate"))
    )
    assert prices.partition_column == "sbdpdate"
    assert isinstance(prices.partition_min, str) and prices.partition_min.startswith("2023-")
    opened = prices.column("sbdpopen")
    assert opened is not None and opened.type == "numeric(10,2)"
    assert isinstance(opened.max, (int, float)) and opened.max >= 400000  # a Decimal, as a number
    tx = profile_dataset(warehouse, dataset(schema, "sbTransaction"))
    when = tx.column("sbtxdatetime")
    assert when is not None and when.type == "timestamp without time zone"
    assert isinstance(when.min, str) and "T" in when.min


def test_restaurants_known_values(warehouse: Warehouse, schema: str) -> None:
    profile = profile_dataset(warehouse, dataset(schema, "restaurant"))
    assert profile.row_count == 11
    food = profile.column("food_type")
    assert food is not None and food.top_values is not None
    assert [(v.value, v.count, v.share) for v in food.top_values] == [
        ("American", 3, 0.2727),
        ("Italian", 2, 0.1818),
        ("Japanese", 2, 0.1818),
        ("Seafood", 2, 0.1818),
        ("Mexican", 1, 0.0909),
        ("Vegan", 1, 0.0909),
    ]
    rating = profile.column("rating")
    assert rating is not None and rating.type == "real"
    assert (rating.min, rating.max) == (3.7, 4.7)
    ids = profile.column("id")
    assert ids is not None and ids.top_values is None  # every id distinct


def test_sampling_uses_tablesample(pg_url: str, warehouse: Warehouse, schema: str) -> None:
    plays = dataset(schema, "plays", partition=Partition(column="day"))
    first = profile_dataset(warehouse, plays, sample="10%")
    again = profile_dataset(warehouse, plays, sample="10%")
    assert first.sample == 0.1
    assert first.row_count is not None and 60_000 <= first.row_count <= 140_000
    assert first.row_count == again.row_count  # REPEATABLE: the same pages every run
    kind = first.column("kind")
    assert kind is not None and kind.top_values is not None
    assert kind.top_values[0].value == "music"
    assert abs(kind.top_values[0].share - 0.75) < 0.03
    assert kind.distinct_approximate is True
    # Exact even though sampled.
    assert (first.partition_min, first.partition_max) == ("2025-01-01", "2025-12-31")
    rows = profile_dataset(warehouse, plays, sample=20_000)
    assert rows.sample == 0.2 and rows.row_count == 100_000


def test_types_postgres_cannot_compare_cost_only_their_own_numbers(
    warehouse: Warehouse, schema: str
) -> None:
    warnings: list[str] = []
    profile = profile_dataset(warehouse, dataset(schema, "odd"), on_warning=warnings.append)
    assert profile.row_count == 50
    doc, docb, words, spot, ref, flags = (
        profile.column(n) for n in ("doc", "docb", "words", "spot", "ref", "flags")
    )
    assert doc and doc.distinct_count is None and doc.null_fraction == 0.0  # json: no equality
    assert docb and docb.distinct_count == 2 and docb.min is None  # jsonb: equality, no order
    assert spot and spot.distinct_count is None and spot.null_fraction == 0.0
    assert ref and ref.distinct_count == 50 and ref.min is None  # no min(uuid)
    assert flags and flags.distinct_count == 2 and flags.min is None
    # tsvector has no min(): the one-query aggregate fails, the table is profiled column
    # by column and only that column loses its min/max.
    assert words and words.distinct_count == 3 and words.min is None
    assert [w for w in warnings if "'words'" in w and "min/max skipped" in w]
    assert not [w for w in warnings if "'words'" not in w]
    ids = profile.column("id")
    assert ids and (ids.min, ids.max, ids.distinct_count) == (1, 50, 50)


def test_missing_table_names_the_dataset_file(warehouse: Warehouse, schema: str) -> None:
    from vedder.errors import VedderError

    with pytest.raises(VedderError) as caught:
        profile_dataset(warehouse, dataset(schema, "no_such_table"))
    assert caught.value.path == "c/datasets/no_such_table.yaml"
