"""PostgreSQL through psycopg 3 (the optional ``vedder[postgres]`` extra).

``postgresql://user:${PG_PASSWORD}@host:5432/db?sslmode=require`` (``postgres://``
works too). Every statement runs alone in its own read-only transaction that is
rolled back afterwards, with the server's ``statement_timeout`` as the timeout.
``options:`` are passed to ``psycopg.connect`` (``sslmode``, ``connect_timeout``, ...).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from vedder.errors import WarehouseError
from vedder.warehouse._dbapi import DbapiBackend, first_line, sql_string
from vedder.warehouse.base import READ_ONLY, SAMPLE, SCHEMAS, TIMEOUT

CONNECT_TIMEOUT_S = 10
QUERY_CANCELED = "57014"  # SQLSTATE of a statement stopped by statement_timeout


@dataclass
class PostgresWarehouse(DbapiBackend):
    scheme = "postgresql"
    dialect = "postgres"
    # PostgreSQL has no built-in approximate distinct count, so no APPROX_DISTINCT.
    capabilities = frozenset({SAMPLE, READ_ONLY, TIMEOUT, SCHEMAS})
    default_schema = "public"

    def __post_init__(self) -> None:
        try:
            urlsplit(self.url).port  # noqa: B018 - parsing is the check
        except ValueError as exc:
            raise self.error(
                f"has an invalid url: {exc}",
                "write postgresql://user:${PG_PASSWORD}@host:5432/database",
            ) from None

    def _connect(self) -> Any:
        try:
            import psycopg
        except ImportError:
            raise self.error(
                "needs the PostgreSQL driver (psycopg)", "install vedder[postgres]"
            ) from None
        try:
            params = psycopg.conninfo.conninfo_to_dict(self.url, **self.options)
        except psycopg.Error as exc:
            raise self.error(
                f"has an invalid url: {first_line(str(exc))}",
                "write postgresql://user:${PG_PASSWORD}@host:5432/database",
            ) from None
        # Read-only by default for every transaction of the session, on top of the
        # read-only transaction each statement runs in.
        statement_timeout_ms = max(1, round(self.timeout_s * 1000))
        params["options"] = " ".join(
            part
            for part in (
                str(params.get("options") or ""),
                "-c default_transaction_read_only=on",
                f"-c statement_timeout={statement_timeout_ms}",
                # The guard reads backslashes in strings as ordinary characters;
                # make the server agree whatever its configuration says.
                "-c standard_conforming_strings=on",
            )
            if part
        )
        params.setdefault("connect_timeout", CONNECT_TIMEOUT_S)
        params.setdefault("application_name", "vedder")
        try:
            conn = psycopg.connect(psycopg.conninfo.make_conninfo("", **params))
        except psycopg.Error as exc:
            raise self._connect_error(str(exc)) from None
        conn.read_only = True
        return conn

    def _connect_error(self, message: str) -> WarehouseError:
        text = message.lower()
        # libpq: 'connection to server at "h", port 5432 failed: FATAL:  <reason>'
        reason = first_line(message.split("failed: ")[-1]) if "failed: " in message else ""
        reason = reason.removeprefix("FATAL:").strip()
        if "connection refused" in text:
            return self.error(
                "is unreachable: connection refused",
                "check that the server is running and the host/port in vedder.yaml",
            )
        if "timeout expired" in text or "timed out" in text:
            return self.error(
                "is unreachable: the connection timed out",
                "check the host/port in vedder.yaml and that no firewall is in the way",
            )
        if "translate host name" in text or "name or service not known" in text:
            return self.error(
                "is unreachable: unknown host", "check the host name in the url in vedder.yaml"
            )
        if "authentication failed" in text or "no password supplied" in text:
            return self.error(
                f"rejected the login: {reason or first_line(message)}",
                "check the user and password in the url (keep the password in an "
                "environment variable: ${PG_PASSWORD})",
            )
        if "database" in text and "does not exist" in text:
            return self.error(
                f"cannot be opened: {reason or first_line(message)}",
                "check the database name at the end of the url in vedder.yaml",
            )
        return self.error(
            f"cannot be reached: {reason or first_line(message)}", "check the url in vedder.yaml"
        )

    def _run(self, cursor: Any, sql: str) -> None:
        # prepare=True sends the statement with the extended query protocol, which
        # refuses more than one statement (``SET TRANSACTION READ WRITE; INSERT ...``).
        cursor.execute(sql, prepare=True)

    @contextmanager
    def _deadline(self, conn: Any, cursor: Any) -> Iterator[Callable[[], bool]]:
        """The server enforces statement_timeout itself; no timer thread is needed."""
        yield lambda: False

    def _is_timeout(self, error: BaseException) -> bool:
        # 57014 also covers a cancel by an administrator, which is not a timeout.
        return getattr(error, "sqlstate", None) == QUERY_CANCELED and "timeout" in str(error)

    def _end_statement(self, conn: Any) -> None:
        # Rolling back ends the read-only transaction and undoes any SET it made.
        # A connection that cannot roll back (a COPY left half-read, a lost
        # server) is dropped and reopened on next use.
        try:
            conn.rollback()
        except Exception:
            self.close()

    def _is_open(self, conn: Any) -> bool:
        return not conn.closed and not conn.broken

    def _catalog_sql(self) -> str:
        return (
            "SELECT n.nspname, c.relname FROM pg_catalog.pg_class c "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition "
            "AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_' "
            "AND has_table_privilege(c.oid, 'SELECT') "
            "ORDER BY 1, 2"
        )

    def _columns_sql(self, schema: str, table: str) -> str:
        return (
            "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) "
            "FROM pg_catalog.pg_attribute a "
            "JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            f"WHERE n.nspname = {sql_string(schema)} AND c.relname = {sql_string(table)} "
            "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum"
        )
