"""Warehouses on real engines: DuckDB and SQLite files, and any DB-API module.

The PostgreSQL backend has its own file (test_warehouse_postgres.py) because it
needs a server.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from vedder.config import load_config
from vedder.errors import ConfigError, QueryTimeout, WarehouseError
from vedder.warehouse import (
    APPROX_DISTINCT,
    READ_ONLY,
    SAMPLE,
    TIMEOUT,
    DuckDBWarehouse,
    Result,
    Warehouse,
    connect,
    mask_url,
    open_warehouse,
    register,
    registry,
)

FIXTURES = Path(__file__).parent / "fixtures" / "warehouse"
TIMEOUT_S = 0.5
MARGIN_S = 1.5  # how late a cancelled statement may return on a slow CI machine

# Statements that never finish on their own within the timeout.
ENDLESS = {
    "duckdb": "SELECT sum(a.range * b.range) FROM range(1000000) a, range(1000000) b",
    "sqlite": "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) "
    "SELECT count(*) FROM r",
}


@pytest.fixture
def duckdb_file(tmp_path: Path) -> Path:
    path = tmp_path / "streaming.duckdb"
    with duckdb.connect(str(path)) as conn:
        conn.execute((FIXTURES / "streaming.sql").read_text())
    return path


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Path:
    path = tmp_path / "streaming.db"
    conn = sqlite3.connect(path)
    conn.executescript((FIXTURES / "streaming_sqlite.sql").read_text())
    conn.close()
    return path


@pytest.fixture
def duck(duckdb_file: Path) -> Iterator[Warehouse]:
    with open_warehouse(f"duckdb:///{duckdb_file}", timeout_s=TIMEOUT_S) as warehouse:
        yield warehouse


@pytest.fixture
def lite(sqlite_file: Path) -> Iterator[Warehouse]:
    with open_warehouse(f"sqlite:///{sqlite_file}", timeout_s=TIMEOUT_S) as warehouse:
        yield warehouse


@pytest.fixture(params=["duckdb", "sqlite"])
def engine(request: pytest.FixtureRequest) -> tuple[str, Warehouse]:
    fixture = {"duckdb": "duck", "sqlite": "lite"}[request.param]
    return request.param, request.getfixturevalue(fixture)


def one_line_error(error: pytest.ExceptionInfo[WarehouseError]) -> str:
    text = str(error.value)
    assert "\n" not in text, text
    return text


# -- opening: urls, the registry, laziness ---------------------------------------------


def test_importing_the_package_loads_no_driver() -> None:
    code = (
        "import sys, vedder.warehouse; "
        "print(sorted(m for m in sys.modules "
        "if m.split('.')[0] in {'duckdb', '_duckdb', 'psycopg', 'sqlite3', '_sqlite3'}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_opening_is_lazy_and_a_missing_duckdb_file_is_never_created(tmp_path: Path) -> None:
    missing = tmp_path / "nope.duckdb"
    warehouse = open_warehouse(f"duckdb:///{missing}")  # no connection yet: no error
    with pytest.raises(WarehouseError) as error:
        warehouse.execute("SELECT 1")
    text = one_line_error(error)
    assert "warehouse 'default'" in text
    assert f"has no database file at {missing}" in text
    assert "vedder.yaml" in text
    assert not missing.exists()


def test_relative_paths_start_at_base_dir(duckdb_file: Path) -> None:
    url = f"duckdb:///{duckdb_file.name}"
    with open_warehouse(url, base_dir=duckdb_file.parent) as warehouse:
        assert warehouse.execute("SELECT count(*) FROM shows").rows == [(2,)]


def test_unknown_scheme_names_the_known_ones() -> None:
    with pytest.raises(WarehouseError) as error:
        open_warehouse("mysql://me@db/x", name="sales")
    assert "warehouse 'sales': no backend for mysql://" in error.value.message
    assert error.value.hint is not None
    assert "duckdb" in error.value.hint and "dbapi://" in error.value.hint


@pytest.mark.parametrize("url", ["warehouse.duckdb", "", "://x"])
def test_url_without_scheme_is_one_line(url: str) -> None:
    with pytest.raises(WarehouseError) as error:
        open_warehouse(url)
    assert "expected scheme://" in one_line_error(error)


def test_duckdb_url_without_path() -> None:
    with pytest.raises(WarehouseError) as error:
        open_warehouse("duckdb://")
    assert "duckdb:///:memory:" in one_line_error(error)


def test_close_is_safe_twice_and_reopens_on_next_use(duck: Warehouse) -> None:
    assert duck.execute("SELECT 1").rows == [(1,)]
    duck.close()
    duck.close()
    assert duck.execute("SELECT 2").rows == [(2,)]


class EchoWarehouse(Warehouse):
    """A backend outside Vedder: it answers every statement with its url."""

    scheme = "echo"
    dialect = "duckdb"

    def execute(self, sql: str, *, max_rows: int | None = None) -> Result:
        return Result(columns=["url"], rows=[(self.url,)], sql=sql)


@pytest.fixture
def isolated_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_BACKENDS", dict(registry._BACKENDS))


@pytest.mark.usefixtures("isolated_registry")
def test_register_a_backend_like_the_built_ins() -> None:
    register("echo", EchoWarehouse)
    warehouse = open_warehouse("ECHO://anything", name="custom", timeout_s=3)
    assert isinstance(warehouse, EchoWarehouse)
    assert (warehouse.name, warehouse.timeout_s) == ("custom", 3)
    assert warehouse.execute("SELECT 1").rows == [("ECHO://anything",)]
    assert "echo" in registry.schemes()


def test_register_refuses_what_is_not_a_warehouse() -> None:
    with pytest.raises(TypeError):
        register("bad", dict)  # type: ignore[arg-type]


@pytest.mark.usefixtures("isolated_registry")
def test_a_plugin_registers_through_its_entry_point(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "vedder_echo.py").write_text(
        textwrap.dedent(
            """
            from vedder.warehouse import Result, Warehouse

            class PluginWarehouse(Warehouse):
                dialect = "trino"

                def execute(self, sql, *, max_rows=None):
                    return Result(columns=["x"], rows=[(42,)], sql=sql)
            """
        )
    )
    dist = tmp_path / "vedder_echo-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: vedder-echo\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[vedder.warehouses]\nplugged = vedder_echo:PluginWarehouse\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))

    assert "plugged" in registry.schemes()
    warehouse = open_warehouse("plugged://host/db")
    assert type(warehouse).__name__ == "PluginWarehouse"
    assert warehouse.execute("SELECT 42").rows == [(42,)]


# -- connect(config): names, ${VAR}s, base_dir ---------------------------------------


def write_config(root: Path, url: str) -> Path:
    path = root / "vedder.yaml"
    path.write_text(f'version: 1\nwarehouses:\n  default: {{url: "{url}", timeout: 7}}\n')
    return path


def test_connect_expands_env_and_resolves_against_the_config(
    tmp_path: Path, sqlite_file: Path
) -> None:
    (tmp_path / "data").mkdir()
    sqlite_file.rename(tmp_path / "data" / "wh.db")
    config = load_config(
        write_config(tmp_path, "sqlite:///data/${WH_FILE}"), env={"WH_FILE": "wh.db"}
    )
    with connect(config) as warehouse:
        assert warehouse.timeout_s == 7
        assert warehouse.execute("SELECT count(*) FROM shows").rows == [(2,)]


def test_connect_names_the_missing_variable(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, "postgresql://reader:${PG_PASSWORD}@db/x"), env={})
    with pytest.raises(ConfigError) as error:
        connect(config)
    assert "${PG_PASSWORD}" in str(error.value)
    assert "export PG_PASSWORD" in str(error.value)


def test_connect_unknown_name_lists_the_known_ones(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, "duckdb:///x.duckdb"), env={})
    with pytest.raises(ConfigError, match="known: default"):
        connect(config, "sales")


# -- catalog and results, the same on both embedded engines -----------------------


def test_tables_lists_tables_and_views(duck: Warehouse, lite: Warehouse) -> None:
    assert [t.name for t in duck.tables()] == [
        "analytics.podcast_streams",
        "analytics.streams_by_country",
        "main.shows",
    ]
    assert [t.name for t in lite.tables()] == ["podcast_streams", "shows", "streams_by_country"]


@pytest.mark.parametrize(
    "name",
    [
        "analytics.podcast_streams",
        "podcast_streams",
        "ANALYTICS.Podcast_Streams",
        '"podcast_streams"',
    ],
)
def test_columns_accepts_qualified_and_bare_names(duck: Warehouse, name: str) -> None:
    columns = duck.columns(name)
    assert [(c.name, c.type) for c in columns] == [
        ("stream_date", "DATE"),
        ("country", "VARCHAR"),
        ("listener_id", "INTEGER"),
        ("seconds", "INTEGER"),
    ]


def test_columns_of_a_view_and_of_the_default_schema(engine: tuple[str, Warehouse]) -> None:
    _, warehouse = engine
    assert [c.name for c in warehouse.columns("streams_by_country")] == ["country", "streams"]
    assert [c.name for c in warehouse.columns("shows")] == ["show_id", "title"]


def test_sqlite_columns_keep_declared_types(lite: Warehouse) -> None:
    assert [(c.name, c.type) for c in lite.columns("podcast_streams")] == [
        ("stream_date", "DATE"),
        ("country", "VARCHAR(2)"),
        ("listener_id", "INTEGER"),
        ("seconds", "INTEGER"),
    ]


def test_unknown_table_suggests_close_names(engine: tuple[str, Warehouse]) -> None:
    _, warehouse = engine
    with pytest.raises(WarehouseError) as error:
        warehouse.columns("podcast_stream")
    assert "has no table or view 'podcast_stream'" in error.value.message
    assert error.value.hint is not None and "podcast_streams" in error.value.hint


def test_results_carry_column_names_and_rows(engine: tuple[str, Warehouse]) -> None:
    _, warehouse = engine
    table = "analytics.podcast_streams" if warehouse.dialect == "duckdb" else "podcast_streams"
    sql = f"SELECT country, count(*) AS streams FROM {table} GROUP BY country ORDER BY country"
    result = warehouse.execute(sql)
    assert result.columns == ["country", "streams"]
    assert result.rows == [("DK", 1), ("NO", 1), ("SE", 3)]
    assert result.truncated is False
    assert result.sql == sql
    assert result.duration_ms > 0
    assert result.as_dicts()[0] == {"country": "DK", "streams": 1}


@pytest.mark.parametrize(
    ("max_rows", "kept", "truncated"), [(2, 2, True), (5, 5, False), (9, 5, False), (0, 0, True)]
)
def test_max_rows_fetches_at_most_that_many(
    engine: tuple[str, Warehouse], max_rows: int, kept: int, truncated: bool
) -> None:
    _, warehouse = engine
    table = "analytics.podcast_streams" if warehouse.dialect == "duckdb" else "podcast_streams"
    result = warehouse.execute(f"SELECT * FROM {table}", max_rows=max_rows)
    assert len(result.rows) == kept
    assert result.truncated is truncated
    assert len(result.columns) == 4


def test_empty_result_still_has_columns(engine: tuple[str, Warehouse]) -> None:
    _, warehouse = engine
    result = warehouse.execute("SELECT 1 AS one WHERE 1 = 0")
    assert result.columns == ["one"]
    assert result.rows == []


def test_engine_errors_carry_the_engine_message(engine: tuple[str, Warehouse]) -> None:
    _, warehouse = engine
    with pytest.raises(WarehouseError) as error:
        warehouse.execute("SELECT * FROM no_such_table")
    assert error.value.message.startswith("query failed on warehouse 'default': ")
    assert "no_such_table" in str(error.value)


def test_timeout_cancels_a_long_query(engine: tuple[str, Warehouse]) -> None:
    name, warehouse = engine
    started = time.monotonic()
    with pytest.raises(QueryTimeout) as error:
        warehouse.execute(ENDLESS[name])
    elapsed = time.monotonic() - started
    assert TIMEOUT_S * 0.9 <= elapsed < TIMEOUT_S + MARGIN_S
    text = one_line_error(error)
    assert "warehouse 'default'" in text
    assert "0.5 s timeout" in text
    assert "'timeout:'" in text and "vedder.yaml" in text
    # the connection survives the cancellation
    assert warehouse.execute("SELECT 7").rows == [(7,)]


def test_capabilities() -> None:
    from vedder.warehouse import PostgresWarehouse, SQLiteWarehouse

    assert {APPROX_DISTINCT, SAMPLE, READ_ONLY, TIMEOUT} <= DuckDBWarehouse.capabilities
    assert SQLiteWarehouse.capabilities == {READ_ONLY, TIMEOUT}
    assert APPROX_DISTINCT not in PostgresWarehouse.capabilities
    assert SAMPLE in PostgresWarehouse.capabilities


# -- DuckDB: read-only, no file or network access --------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO shows VALUES (3, 'Late Show')",
        "UPDATE shows SET title = 'x'",
        "CREATE TABLE scratch (a INTEGER)",
        "DROP TABLE shows",
        "COPY shows TO '{tmp}/out.csv'",
        "ATTACH '{tmp}/other.duckdb' AS other",
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_text('/etc/hostname')",
        "INSTALL httpfs",
        "SET enable_external_access = true",
        "SET lock_configuration = false",
        "SET allowed_directories = ['/']",
    ],
)
def test_duckdb_refuses_writes_and_file_access(duck: Warehouse, tmp_path: Path, sql: str) -> None:
    with pytest.raises(WarehouseError):
        duck.execute(sql.format(tmp=tmp_path))
    assert not (tmp_path / "out.csv").exists()
    assert not (tmp_path / "other.duckdb").exists()
    assert duck.execute("SELECT count(*) FROM shows").rows == [(2,)]


def test_duckdb_in_memory_has_no_file_access() -> None:
    with open_warehouse("duckdb:///:memory:") as warehouse:
        assert warehouse.execute("SELECT 42 AS answer").rows == [(42,)]
        with pytest.raises(WarehouseError, match="disabled by configuration"):
            warehouse.execute("SELECT * FROM read_csv('/etc/passwd')")


def test_duckdb_settings_pass_through_but_safety_is_locked(duckdb_file: Path) -> None:
    url = f"duckdb:///{duckdb_file}?threads=1"
    with open_warehouse(url, options={"memory_limit": "256MB"}) as warehouse:
        rows = warehouse.execute(
            "SELECT current_setting('threads'), current_setting('enable_external_access')"
        ).rows
        assert rows == [(1, False)]
    for unsafe in ({"enable_external_access": True}, {"read_only": False}):
        with pytest.raises(WarehouseError) as error:
            open_warehouse(f"duckdb:///{duckdb_file}", options=unsafe)
        assert "locked" in one_line_error(error)


def test_duckdb_allowed_directories_let_views_read_their_files(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "plays.csv").write_text("show_id,plays\n1,10\n2,20\n")
    path = tmp_path / "views.duckdb"
    with duckdb.connect(str(path)) as conn:
        conn.execute(f"CREATE VIEW plays AS SELECT * FROM read_csv('{data / 'plays.csv'}')")

    with (
        open_warehouse(f"duckdb:///{path}") as closed,
        pytest.raises(WarehouseError, match="disabled by configuration"),
    ):
        closed.execute("SELECT * FROM plays")
    with open_warehouse(f"duckdb:///{path}", options={"allowed_directories": [f"{data}/"]}) as wh:
        assert wh.execute("SELECT sum(plays) FROM plays").rows == [(30,)]
        with pytest.raises(WarehouseError, match="disabled by configuration"):
            wh.execute("SELECT * FROM read_csv('/etc/passwd')")
        with pytest.raises(WarehouseError):
            wh.execute("SET enable_external_access = true")


def test_duckdb_allowed_directories_are_relative_to_the_config_and_exact(
    tmp_path: Path,
) -> None:
    for folder in ("data", "data-private"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "plays.csv").write_text("plays\n10\n")
    path = tmp_path / "empty.duckdb"
    duckdb.connect(str(path)).close()
    options = {"allowed_directories": ["data"]}
    with open_warehouse("duckdb:///empty.duckdb", base_dir=tmp_path, options=options) as wh:
        readable = wh.execute(f"SELECT plays FROM read_csv('{tmp_path}/data/plays.csv')")
        assert readable.rows == [(10,)]
        with pytest.raises(WarehouseError, match="disabled by configuration"):
            wh.execute(f"SELECT plays FROM read_csv('{tmp_path}/data-private/plays.csv')")


def test_duckdb_rejects_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.duckdb"
    path.write_text("not a database")
    with pytest.raises(WarehouseError) as error:
        open_warehouse(f"duckdb:///{path}").execute("SELECT 1")
    assert "is not a DuckDB database file" in one_line_error(error)


# -- SQLite: read-only, no attach, no extensions ---------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO shows VALUES (3, 'Late Show')",
        "DELETE FROM shows",
        "CREATE TABLE scratch (a INTEGER)",
        "ATTACH '{tmp}/other.db' AS other",
        "VACUUM INTO '{tmp}/copy.db'",
        "PRAGMA query_only = 0",
        "PRAGMA journal_mode = WAL",
        "SELECT load_extension('mod_spatialite')",
    ],
)
def test_sqlite_refuses_writes_attach_and_extensions(
    lite: Warehouse, tmp_path: Path, sql: str
) -> None:
    with pytest.raises(WarehouseError):
        lite.execute(sql.format(tmp=tmp_path))
    assert not (tmp_path / "other.db").exists()
    assert not (tmp_path / "copy.db").exists()
    assert lite.execute("SELECT count(*) FROM shows").rows == [(2,)]


def test_sqlite_missing_file_is_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "gone.db"
    with pytest.raises(WarehouseError) as error:
        open_warehouse(f"sqlite:///{missing}", name="local").execute("SELECT 1")
    text = one_line_error(error)
    assert "warehouse 'local'" in text and str(missing) in text
    assert not missing.exists()


def test_sqlite_rejects_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("definitely not SQLite, just some text long enough to have a header" * 10)
    with pytest.raises(WarehouseError) as error:
        open_warehouse(f"sqlite:///{path}").execute("SELECT 1")
    assert "cannot be opened" in one_line_error(error)


# -- dbapi://: any DB-API module ---------------------------------------------------


def test_dbapi_factory_works_with_sqlite3(sqlite_file: Path) -> None:
    url = f"dbapi://sqlite3:connect?database={sqlite_file}&dialect=sqlite"
    with open_warehouse(url) as warehouse:
        assert warehouse.dialect == "sqlite"
        assert warehouse.execute("SELECT title FROM shows ORDER BY show_id").rows == [
            ("Morning Brief",),
            ("Deep Dive",),
        ]
        assert "shows" in [t.name for t in warehouse.tables()]
        assert [c.name for c in warehouse.columns("shows")] == ["show_id", "title"]


def test_dbapi_dialect_belongs_to_the_url_not_the_class(sqlite_file: Path) -> None:
    first = open_warehouse(f"dbapi://sqlite3:connect?database={sqlite_file}&dialect=sqlite")
    second = open_warehouse("dbapi://sqlite3:connect?database=:memory:&dialect=trino")
    assert (first.dialect, second.dialect) == ("sqlite", "trino")


def test_dbapi_options_are_typed_keyword_arguments(sqlite_file: Path) -> None:
    url = "dbapi://sqlite3:connect?dialect=sqlite"
    with open_warehouse(url, options={"database": str(sqlite_file), "timeout": 2.5}) as wh:
        assert wh.execute("SELECT count(*) FROM shows").rows == [(2,)]


def test_dbapi_timeout_interrupts_the_connection(sqlite_file: Path) -> None:
    url = f"dbapi://sqlite3:connect?database={sqlite_file}&dialect=sqlite"
    with open_warehouse(url, timeout_s=TIMEOUT_S) as warehouse:
        started = time.monotonic()
        with pytest.raises(QueryTimeout):
            warehouse.execute(ENDLESS["sqlite"])
        assert time.monotonic() - started < TIMEOUT_S + MARGIN_S


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("dbapi://sqlite3:connect?database=x.db", "?dialect=NAME"),
        ("dbapi://sqlite3:connect?dialect=klingon", "unknown dialect"),
        ("dbapi://sqlite3?dialect=sqlite", "names no connect function"),
        ("dbapi://?dialect=sqlite", "names no connect function"),
    ],
)
def test_dbapi_url_errors_at_open(url: str, expected: str) -> None:
    with pytest.raises(WarehouseError) as error:
        open_warehouse(url)
    assert expected in one_line_error(error)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "dbapi://no_such_driver.dbapi:connect?dialect=trino",
            "cannot import 'no_such_driver.dbapi'",
        ),
        ("dbapi://sqlite3:nope?dialect=sqlite", "has no function 'nope'"),
        ("dbapi://sqlite3:connect?dialect=sqlite&database=/no/such/dir/x.db", "cannot connect"),
    ],
)
def test_dbapi_connect_errors_on_first_use(url: str, expected: str) -> None:
    warehouse = open_warehouse(url)
    with pytest.raises(WarehouseError) as error:
        warehouse.execute("SELECT 1")
    assert expected in one_line_error(error)


# -- secrets never reach a message ----------------------------------------------------


def test_mask_url_hides_passwords_and_secret_parameters() -> None:
    assert (
        mask_url("postgresql://reader:s3cret@db:5432/x?sslmode=require&password=p2&api_token=t")
        == "postgresql://reader:***@db:5432/x?sslmode=require&password=***&api_token=***"
    )
    assert mask_url("duckdb:////abs/path.duckdb") == "duckdb:////abs/path.duckdb"
    assert mask_url("postgresql://reader@db/x") == "postgresql://reader@db/x"


def test_driver_messages_are_scrubbed_of_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "leaky_driver.py").write_text(
        "def connect(**kwargs):\n"
        "    raise RuntimeError(f\"login {kwargs['user']}/{kwargs['password']} refused\")\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    url = "dbapi://leaky_driver:connect?dialect=trino&user=me&password=hunter2"
    warehouse = open_warehouse(url)
    assert "hunter2" not in repr(warehouse)
    with pytest.raises(WarehouseError) as error:
        warehouse.execute("SELECT 1")
    text = one_line_error(error)
    assert "hunter2" not in text
    assert "login me/*** refused" in text
    assert "password=***" in text


def test_postgres_without_its_driver_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg now fails
    warehouse = open_warehouse("postgresql://reader:s3cret@127.0.0.1:5432/x")
    with pytest.raises(WarehouseError) as error:
        warehouse.execute("SELECT 1")
    text = one_line_error(error)
    assert "install vedder[postgres]" in text
    assert "s3cret" not in text and "reader:***@" in text
