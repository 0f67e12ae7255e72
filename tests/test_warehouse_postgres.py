"""The PostgreSQL backend against a real server (``pg_url``; CI starts one).

Each test module run creates its own database, loads the streaming fixture into
it and drops it afterwards, so the server's other databases are never touched.
"""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from vedder.errors import QueryTimeout, WarehouseError
from vedder.warehouse import APPROX_DISTINCT, PostgresWarehouse, Warehouse, open_warehouse

pytestmark = pytest.mark.postgres

FIXTURES = Path(__file__).parent / "fixtures" / "warehouse"
TIMEOUT_S = 0.5
MARGIN_S = 1.5


def with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def with_password(url: str, password: str) -> str:
    parts = urlsplit(url)
    netloc = f"{parts.username}:{password}@{parts.hostname}:{parts.port or 5432}"
    return urlunsplit(parts._replace(netloc=netloc))


def with_port(url: str, port: int) -> str:
    parts = urlsplit(url)
    userinfo = parts.netloc.rpartition("@")[0]
    return urlunsplit(parts._replace(netloc=f"{userinfo}@{parts.hostname}:{port}"))


@pytest.fixture(scope="module")
def db_url(pg_url: str) -> Iterator[str]:
    """A fresh database holding the streaming fixture."""
    name = f"vedder_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = with_database(pg_url, name)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute((FIXTURES / "streaming.sql").read_text())
        yield url
    finally:
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg(db_url: str) -> Iterator[Warehouse]:
    with open_warehouse(db_url, name="pg", timeout_s=TIMEOUT_S) as warehouse:
        yield warehouse


def row_count(url: str, table: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
    assert row is not None
    return int(row[0])


def one_line_error(error: pytest.ExceptionInfo[WarehouseError]) -> str:
    text = str(error.value)
    assert "\n" not in text, text
    return text


def test_dialect_and_capabilities(pg: Warehouse) -> None:
    assert isinstance(pg, PostgresWarehouse)
    assert pg.dialect == "postgres"
    assert APPROX_DISTINCT not in pg.capabilities


def test_tables_are_schema_qualified_without_system_schemas(pg: Warehouse) -> None:
    assert [t.name for t in pg.tables()] == [
        "analytics.podcast_streams",
        "analytics.streams_by_country",
        "public.shows",
    ]


@pytest.mark.parametrize(
    "name", ["analytics.podcast_streams", "podcast_streams", "Podcast_Streams"]
)
def test_columns_with_postgres_types(pg: Warehouse, name: str) -> None:
    assert [(c.name, c.type) for c in pg.columns(name)] == [
        ("stream_date", "date"),
        ("country", "character varying(2)"),
        ("listener_id", "integer"),
        ("seconds", "integer"),
    ]


def test_columns_of_a_view_and_an_unknown_table(pg: Warehouse) -> None:
    assert [c.name for c in pg.columns("streams_by_country")] == ["country", "streams"]
    with pytest.raises(WarehouseError) as error:
        pg.columns("show")
    assert error.value.hint is not None and "public.shows" in error.value.hint


def test_results_and_max_rows(pg: Warehouse) -> None:
    sql = "SELECT country, count(*) AS streams FROM analytics.podcast_streams GROUP BY 1 ORDER BY 1"
    result = pg.execute(sql)
    assert result.columns == ["country", "streams"]
    assert result.rows == [("DK", 1), ("NO", 1), ("SE", 3)]
    assert result.truncated is False

    limited = pg.execute("SELECT * FROM analytics.podcast_streams", max_rows=2)
    assert len(limited.rows) == 2 and limited.truncated is True
    assert pg.execute("SELECT 1 AS one WHERE false").columns == ["one"]
    assert pg.execute("SELECT 'a%' LIKE 'a%%' AS percent_signs_are_plain").rows == [(True,)]


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO public.shows VALUES (3, 'Late Show')",
        "UPDATE public.shows SET title = 'x'",
        "DELETE FROM public.shows",
        "CREATE TABLE public.scratch (a integer)",
        "DROP TABLE public.shows",
        # more than one statement is refused, so a write cannot follow a mode change
        "SET TRANSACTION READ WRITE; INSERT INTO public.shows VALUES (3, 'Late Show')",
        "COMMIT; INSERT INTO public.shows VALUES (3, 'Late Show')",
    ],
)
def test_writes_fail_in_the_read_only_transaction(pg: Warehouse, db_url: str, sql: str) -> None:
    with pytest.raises(WarehouseError) as error:
        pg.execute(sql)
    assert error.value.message.startswith("query failed on warehouse 'pg': ")
    assert row_count(db_url, "public.shows") == 2
    assert pg.execute("SELECT count(*) FROM public.shows").rows == [(2,)]


def test_session_settings_do_not_outlive_their_statement(pg: Warehouse, db_url: str) -> None:
    # Each statement is rolled back, so a SET cannot prepare the next statement.
    pg.execute("SET default_transaction_read_only = off")
    pg.execute("SET statement_timeout = 0")
    with pytest.raises(WarehouseError, match="read-only transaction"):
        pg.execute("INSERT INTO public.shows VALUES (3, 'Late Show')")
    assert pg.execute("SHOW statement_timeout").rows == [("500ms",)]
    assert row_count(db_url, "public.shows") == 2


def test_copy_to_stdout_leaves_a_usable_warehouse(pg: Warehouse) -> None:
    with pytest.raises(WarehouseError):
        pg.execute("COPY public.shows TO STDOUT")
    assert pg.execute("SELECT count(*) FROM public.shows").rows == [(2,)]


def test_statement_timeout_cancels_a_long_query(pg: Warehouse) -> None:
    started = time.monotonic()
    with pytest.raises(QueryTimeout) as error:
        pg.execute("SELECT pg_sleep(10)")
    elapsed = time.monotonic() - started
    assert TIMEOUT_S * 0.9 <= elapsed < TIMEOUT_S + MARGIN_S
    text = one_line_error(error)
    assert "warehouse 'pg'" in text and "0.5 s timeout" in text and "'timeout:'" in text
    assert pg.execute("SELECT 1").rows == [(1,)]


def test_postgres_scheme_alias(db_url: str) -> None:
    with open_warehouse(db_url.replace("postgresql://", "postgres://", 1)) as warehouse:
        assert warehouse.execute("SELECT count(*) FROM public.shows").rows == [(2,)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_unreachable_server_is_one_line_and_masks_the_password(pg_url: str) -> None:
    url = with_port(with_password(pg_url, "s3cret-pw"), free_port())
    with pytest.raises(WarehouseError) as error:
        open_warehouse(url).execute("SELECT 1")
    text = one_line_error(error)
    assert "warehouse 'default' (postgresql://postgres:***@127.0.0.1:" in text
    assert "is unreachable: connection refused" in text
    assert "check that the server is running and the host/port in vedder.yaml" in text
    assert "s3cret-pw" not in text


def test_wrong_password_is_one_line_and_masked(pg_url: str) -> None:
    url = with_password(pg_url, "wrong-pw-123")
    with pytest.raises(WarehouseError) as error:
        open_warehouse(url, name="pg").execute("SELECT 1")
    text = one_line_error(error)
    assert "warehouse 'pg'" in text
    assert "rejected the login" in text and "password authentication failed" in text
    assert "wrong-pw-123" not in text


def test_missing_database_names_the_database(pg_url: str) -> None:
    with pytest.raises(WarehouseError) as error:
        open_warehouse(with_database(pg_url, "vedder_no_such_db")).execute("SELECT 1")
    text = one_line_error(error)
    assert '"vedder_no_such_db" does not exist' in text
    assert "check the database name" in text
