"""What every DB-API backend shares: a lazy connection, timeouts, results, errors.

A backend fills in a few hooks (how to connect, how to cancel, where its
catalog lives); this class turns them into :class:`Warehouse` behaviour that is
the same on every engine: one statement at a time, at most ``max_rows`` rows
fetched, a statement past its timeout cancelled and reported as
:class:`QueryTimeout`, and engine errors reported as :class:`WarehouseError`
that never show a password.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vedder.errors import QueryTimeout, VedderError, WarehouseError
from vedder.warehouse.base import (
    ColumnInfo,
    Result,
    TableInfo,
    Warehouse,
    quote_name,
    secrets_in,
    split_name,
)


@dataclass
class DbapiBackend(Warehouse):
    """A warehouse over one DB-API 2.0 connection, opened on first use.

    The connection is guarded by a lock because DB-API connections are not
    safe to share between threads and a timeout needs to know which statement
    it is cancelling.
    """

    _conn: Any = field(default=None, init=False, repr=False, compare=False)
    _lock: threading.RLock = field(
        default_factory=threading.RLock, init=False, repr=False, compare=False
    )

    # -- hooks a backend fills in -------------------------------------------------

    def _connect(self) -> Any:
        """Open the DB-API connection, read-only where the engine allows it."""
        raise NotImplementedError

    def _catalog_sql(self) -> str:
        """SQL returning ``(schema, name)`` for every readable table and view."""
        raise NotImplementedError

    def _columns_sql(self, schema: str, table: str) -> str:
        """SQL returning ``(column, type)`` for one table, in table order."""
        raise NotImplementedError

    def _cursor(self, conn: Any) -> Any:
        return conn.cursor()

    def _run(self, cursor: Any, sql: str) -> None:
        cursor.execute(sql)

    def _interrupt(self, conn: Any, cursor: Any) -> None:
        """Cancel the running statement from another thread (the timeout timer)."""
        conn.interrupt()

    def _is_timeout(self, error: BaseException) -> bool:
        """True when the engine itself cancelled the statement for running too long."""
        return False

    def _end_statement(self, conn: Any) -> None:
        """Leave the connection ready for the next statement."""

    def _is_open(self, conn: Any) -> bool:
        return True

    # -- the Warehouse protocol ----------------------------------------------------

    def execute(self, sql: str, *, max_rows: int | None = None) -> Result:
        if max_rows is not None and max_rows < 0:
            raise ValueError(f"max_rows must be 0 or more, not {max_rows}")
        with self._lock:
            conn = self._connection()
            started = time.perf_counter()
            try:
                cursor = self._cursor(conn)
            except Exception as exc:  # a connection that cannot make a cursor is spent
                self.close()
                raise self._query_error(exc) from None
            try:
                with self._deadline(conn, cursor) as expired:
                    try:
                        self._run(cursor, sql)
                        description = cursor.description
                        if not description:
                            rows = []
                        elif max_rows is None:
                            rows = cursor.fetchall()
                        else:  # one more than asked tells whether there were more
                            rows = cursor.fetchmany(max_rows + 1)
                    except Exception as exc:
                        if isinstance(exc, VedderError):
                            raise
                        if expired() or self._is_timeout(exc):
                            raise self._timeout_error() from None
                        raise self._query_error(exc) from None
            finally:
                if cursor is not conn:
                    _quietly(cursor.close)
                _quietly(lambda: self._end_statement(conn))
        truncated = max_rows is not None and len(rows) > max_rows
        if truncated:
            rows = rows[:max_rows]
        return Result(
            columns=[str(column[0]) for column in description or ()],
            rows=[tuple(row) for row in rows],
            truncated=truncated,
            duration_ms=(time.perf_counter() - started) * 1000,
            sql=sql,
        )

    def tables(self) -> list[TableInfo]:
        rows = self.execute(self._catalog_sql()).rows
        return [TableInfo(name=quote_name(str(schema or ""), str(name))) for schema, name in rows]

    def columns(self, table: str) -> list[ColumnInfo]:
        info = self.find_table(table)
        if info is None:
            raise self.unknown_table(table, [t.name for t in self.tables()])
        *schema, name = split_name(info.name)
        rows = self.execute(self._columns_sql(".".join(schema), name)).rows
        return [ColumnInfo(name=str(column), type=str(kind or "")) for column, kind in rows]

    def close(self) -> None:
        with self._lock:
            conn, self._conn = self._conn, None
            if conn is not None:
                _quietly(conn.close)

    # -- plumbing ------------------------------------------------------------------

    def _connection(self) -> Any:
        if self._conn is not None and not self._is_open(self._conn):
            self.close()  # the server went away: reconnect rather than fail forever
        if self._conn is None:
            self._conn = self._connect()
        return self._conn

    @contextmanager
    def _deadline(self, conn: Any, cursor: Any) -> Iterator[Callable[[], bool]]:
        """Interrupt the statement from a timer thread once ``timeout_s`` has passed.

        Engines without a server-side statement timeout (DuckDB, SQLite, most
        DB-API drivers) can only be stopped from outside the blocked call.
        Yields a function telling whether the timer fired, so the error the
        interrupted call raises can be reported as a timeout.
        """
        fired = threading.Event()

        def fire() -> None:
            fired.set()
            _quietly(lambda: self._interrupt(conn, cursor))

        timer = threading.Timer(self.timeout_s, fire)
        timer.daemon = True
        timer.start()
        try:
            yield fired.is_set
        finally:
            timer.cancel()

    def _timeout_error(self) -> QueryTimeout:
        return QueryTimeout(
            f"query on warehouse {self.name!r} was cancelled after its {self.timeout_s:g} s "
            f"timeout — raise 'timeout:' for {self.name!r} under 'warehouses:' in vedder.yaml, "
            "or ask for less (a narrower date range, fewer columns, a LIMIT)"
        )

    def _query_error(self, error: BaseException) -> WarehouseError:
        """The engine's own words, which the agent feeds back to the model."""
        first, rest = _split_message(self.scrub(str(error)) or type(error).__name__)
        return WarehouseError(
            f"query failed on warehouse {self.name!r}: {first}", hint=rest or None
        )

    def error(self, problem: str, check: str) -> WarehouseError:
        """A one-line connection error: which warehouse, what happened, what to check."""
        return WarehouseError(
            f"warehouse {self.name!r} ({self.safe_url}) {self.scrub(problem)} — {check}"
        )

    def scrub(self, text: str) -> str:
        """``text`` with any secret from the url or options masked.

        Only whole words are masked, so a short password does not blank out
        every database or user name that happens to contain it.
        """
        for secret in secrets_in(self.url, self.options):
            text = re.sub(rf"(?<!\w){re.escape(secret)}(?!\w)", "***", text)
        return text

    def resolve_path(self, path: str) -> Path:
        """A file path from the url: ``~`` expanded, relative paths under ``base_dir``."""
        resolved = Path(path).expanduser()
        if not resolved.is_absolute():
            resolved = (self.base_dir or Path.cwd()) / resolved
        return resolved


def sql_string(value: str) -> str:
    """A SQL string literal; catalog queries inline names the catalog itself returned."""
    return "'" + value.replace("'", "''") + "'"


def first_line(text: str) -> str:
    return _split_message(text)[0]


def _split_message(text: str) -> tuple[str, str]:
    """The first line of an engine message, and the rest without caret-only lines."""
    lines = [line.strip() for line in str(text).strip().splitlines()]
    lines = [line for line in lines if line and set(line) - {"^", " "}]
    if not lines:
        return "", ""
    return lines[0], "; ".join(lines[1:])


def _quietly(action: Callable[[], object]) -> None:
    """Run a cleanup step whose failure must not hide the error being reported."""
    with contextlib.suppress(Exception):
        action()
