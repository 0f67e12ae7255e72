"""SQLite: one database file opened read-only.

``sqlite:///relative/path.db`` (resolved against the folder holding vedder.yaml)
or ``sqlite:////absolute/path.db``. SQLite has no statement timeout and no
schemas; the timeout is a progress handler that aborts the statement once its
deadline has passed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vedder.errors import WarehouseError
from vedder.warehouse._dbapi import DbapiBackend, first_line, sql_string
from vedder.warehouse.base import READ_ONLY, TIMEOUT

# How many SQLite VM instructions run between deadline checks: often enough to stop
# within milliseconds, rarely enough to cost nothing measurable.
PROGRESS_STEPS = 1000

# mode=ro refuses writes to the file, but ATTACH (which creates files) and
# VACUUM INTO (which writes a copy) still work on a read-only connection, and
# PRAGMAs can change connection settings. The authorizer refuses those.
READ_PRAGMAS = frozenset(
    {
        "table_info",
        "table_xinfo",
        "table_list",
        "index_list",
        "index_info",
        "index_xinfo",
        "foreign_key_list",
        "database_list",
        "collation_list",
        "function_list",
    }
)


# sqlite_master rather than its newer alias sqlite_schema: older SQLite builds ship
# with some Python distributions.
CATALOG_SQL = (
    "SELECT '', name FROM sqlite_master "
    "WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite!_%' ESCAPE '!' "
    "ORDER BY name"
)


def columns_sql(table: str) -> str:
    return f"SELECT name, type FROM pragma_table_info({sql_string(table)}) ORDER BY cid"


@dataclass
class SQLiteWarehouse(DbapiBackend):
    scheme = "sqlite"
    dialect = "sqlite"
    capabilities = frozenset({READ_ONLY, TIMEOUT})

    path: Path = field(default=Path(), init=False)

    def __post_init__(self) -> None:
        location = self.url[len("sqlite://") :].partition("?")[0]
        location = location[1:] if location.startswith("/") else location
        if not location:
            raise self.error(
                "has no database path",
                "write sqlite:///relative/path.db or sqlite:////absolute/path.db",
            )
        self.path = self.resolve_path(location)

    def _connect(self) -> Any:
        import sqlite3

        where = f"relative paths start at {self.base_dir or Path.cwd()}"
        if not self.path.is_file():
            problem = "points at a folder" if self.path.is_dir() else "has no database file"
            raise self.error(
                f"{problem} at {self.path}", f"check the path in vedder.yaml ({where})"
            )
        conn = None
        try:
            # check_same_thread is off because callers may use other threads;
            # the backend's lock keeps use one at a time.
            conn = sqlite3.connect(
                f"{self.path.as_uri()}?mode=ro", uri=True, check_same_thread=False
            )
            conn.set_authorizer(_authorize)
            conn.execute("SELECT count(*) FROM sqlite_master").fetchall()  # is it SQLite?
        except sqlite3.Error as exc:
            if conn is not None:
                conn.close()
            raise self.error(
                f"cannot be opened: {first_line(str(exc))}",
                "check that the file is a SQLite database",
            ) from None
        return conn

    @contextmanager
    def _deadline(self, conn: Any, cursor: Any) -> Iterator[Callable[[], bool]]:
        """SQLite calls back into Python while it works; past the deadline it aborts."""
        deadline = time.monotonic() + self.timeout_s

        def expired() -> bool:
            return time.monotonic() > deadline

        conn.set_progress_handler(expired, PROGRESS_STEPS)
        try:
            yield expired
        finally:
            conn.set_progress_handler(None, PROGRESS_STEPS)

    def _query_error(self, error: BaseException) -> WarehouseError:
        failure = super()._query_error(error)
        if "authoriz" in failure.message:  # refused by _authorize, not by SQLite itself
            failure.hint = (
                "Vedder opens SQLite read-only: ATTACH, VACUUM INTO, load_extension() "
                "and PRAGMAs that change settings are refused"
            )
        return failure

    def _end_statement(self, conn: Any) -> None:
        # A refused write leaves the implicit transaction open; close it.
        if conn.in_transaction:
            conn.rollback()

    def _catalog_sql(self) -> str:
        return CATALOG_SQL

    def _columns_sql(self, schema: str, table: str) -> str:
        return columns_sql(table)


def _authorize(action: int, arg1: str | None, arg2: str | None, *_: object) -> int:
    import sqlite3

    if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH):
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_PRAGMA and (arg1 or "").lower() not in READ_PRAGMAS:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() == "load_extension":
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK
