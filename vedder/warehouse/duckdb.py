"""DuckDB, the embedded default: one database file opened read-only.

``duckdb:///relative/path.duckdb`` (resolved against the folder holding
vedder.yaml), ``duckdb:////absolute/path.duckdb`` or ``duckdb:///:memory:``.
Query parameters and ``options:`` become DuckDB settings (``threads``,
``memory_limit``, ``allowed_directories``, ...), except the ones that keep the
connection safe, which are locked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from vedder.errors import WarehouseError
from vedder.warehouse._dbapi import DbapiBackend, first_line, sql_string
from vedder.warehouse.base import APPROX_DISTINCT, READ_ONLY, SAMPLE, SCHEMAS, TIMEOUT

MEMORY = ":memory:"

# File and network access off (read_csv, COPY TO, ATTACH, INSTALL, httpfs) and the
# configuration locked, so a statement cannot turn either back on with SET.
SAFE_SETTINGS: dict[str, Any] = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "lock_configuration": True,
}
# Exceptions to "no file access", for databases whose views read Parquet or CSV
# files. DuckDB accepts them only once the database runs and before external
# access is turned off. They allow writing there too (COPY TO); the guard refuses COPY.
RUNTIME_SETTINGS = ("allowed_directories", "allowed_paths")
LOCKED = {"read_only": True, **SAFE_SETTINGS}
_LOCKS = ("enable_external_access", "lock_configuration")


@dataclass
class DuckDBWarehouse(DbapiBackend):
    scheme = "duckdb"
    dialect = "duckdb"
    capabilities = frozenset({APPROX_DISTINCT, SAMPLE, READ_ONLY, TIMEOUT, SCHEMAS})
    default_schema = "main"

    path: Path | None = field(default=None, init=False)  # None for an in-memory database
    settings: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        location, _, query = self.url[len("duckdb://") :].partition("?")
        location = location[1:] if location.startswith("/") else location
        if not location:
            raise self.error(
                "has no database path",
                "write duckdb:///relative/path.duckdb, duckdb:////absolute/path.duckdb "
                "or duckdb:///:memory:",
            )
        self.path = None if location == MEMORY else self.resolve_path(location)
        requested = {**dict(parse_qsl(query, keep_blank_values=True)), **self.options}
        for key, value in LOCKED.items():
            if key in requested and _truthy(requested[key]) != value:
                raise self.error(
                    f"asks for {key}={requested[key]}, which Vedder keeps locked",
                    "remove it; to let views read files, list their folders in "
                    "options: {allowed_directories: [...]}",
                )
        self.settings = {k: v for k, v in requested.items() if k != "read_only"}
        self.settings.update(SAFE_SETTINGS)

    def _connect(self) -> Any:
        try:
            import duckdb
        except ImportError:  # pragma: no cover - duckdb is a core dependency
            raise self.error("needs the duckdb package", "pip install duckdb") from None
        if self.path is not None:
            self._check_file(self.path)
        runtime = {k: v for k, v in self.settings.items() if k in RUNTIME_SETTINGS}
        startup = {k: v for k, v in self.settings.items() if k not in RUNTIME_SETTINGS}
        if runtime:  # file access is turned off below, once the exceptions are set
            startup = {k: v for k, v in startup.items() if k not in _LOCKS}
        try:
            # An in-memory database cannot be read-only; it starts empty and
            # nothing written to it outlives the connection.
            conn = duckdb.connect(
                str(self.path or MEMORY), read_only=self.path is not None, config=startup
            )
        except duckdb.Error as exc:
            raise self._open_error(str(exc)) from None
        if runtime:
            try:
                for key, value in runtime.items():
                    conn.execute(f"SET {key} = ?", [self._runtime_paths(key, value)])
                conn.execute("SET enable_external_access = false")
                conn.execute("SET lock_configuration = true")
            except duckdb.Error as exc:
                conn.close()
                raise self.error(
                    f"cannot apply {', '.join(runtime)}: {first_line(str(exc))}",
                    "list folders and files as paths under 'options:' in vedder.yaml",
                ) from None
        return conn

    def _runtime_paths(self, key: str, value: Any) -> list[str]:
        """Paths as the config means them: relative ones start at the config's folder.

        DuckDB matches allowed_directories as prefixes, so each gets a trailing
        slash: ``/data`` must not also allow ``/database-backups``.
        """
        items = [part.strip() for part in value.split(",")] if isinstance(value, str) else value
        paths = [str(self.resolve_path(str(item))) for item in items if str(item).strip()]
        if key == "allowed_directories":
            paths = [path.rstrip("/") + "/" for path in paths]
        return paths

    def _check_file(self, path: Path) -> None:
        """Refuse a missing path: DuckDB would otherwise create an empty database there."""
        where = f"relative paths start at {self.base_dir or Path.cwd()}"
        if not path.exists():
            raise self.error(
                f"has no database file at {path}", f"check the path in vedder.yaml ({where})"
            )
        if path.is_dir():
            raise self.error(f"points at a folder, not a database file: {path}", where)

    def _open_error(self, message: str) -> WarehouseError:
        text = message.lower()
        if "could not set lock" in text or "conflicting lock" in text:
            return self.error(
                "is locked by another process",
                "close the program writing to it, or point vedder at a copy",
            )
        if "not a valid duckdb database" in text:
            return self.error("is not a DuckDB database file", "check the path in vedder.yaml")
        if "different configuration" in text:
            return self.error(
                "is already open in this process with other settings",
                "close the other connection to the same file first",
            )
        return self.error(
            f"cannot be opened: {first_line(message)}", "check the url in vedder.yaml"
        )

    def _cursor(self, conn: Any) -> Any:
        # DuckDB's cursor() opens a second connection; interrupt() only reaches
        # the statement running on the connection it is called on.
        return conn

    def _catalog_sql(self) -> str:
        return (
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_catalog = current_database() "
            "AND table_schema NOT IN ('information_schema', 'pg_catalog') "
            "ORDER BY 1, 2"
        )

    def _columns_sql(self, schema: str, table: str) -> str:
        return (
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_catalog = current_database() "
            f"AND table_schema = {sql_string(schema)} AND table_name = {sql_string(table)} "
            "ORDER BY ordinal_position"
        )


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)
