"""Any DB-API 2.0 driver, through its connect function.

``dbapi://package.module:function?dialect=NAME&key=value`` imports
``package.module``, calls ``function(key="value", ...)`` and uses the connection
it returns; ``dialect`` names the sqlglot dialect the engine speaks (trino,
bigquery, snowflake, databricks, ...). Query values are strings; ``options:``
in vedder.yaml adds typed keyword arguments (``port: 8080``) and wins over the url.

Vedder cannot make an unknown engine read-only: use credentials that can only
read. Every statement is rolled back afterwards. The timeout cancels through
``cursor.cancel()`` or ``connection.interrupt()`` when the driver has one.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from vedder.warehouse import sqlite
from vedder.warehouse._dbapi import DbapiBackend, first_line, sql_string

_FACTORY = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_][\w.]*")
EXAMPLE = "dbapi://trino.dbapi:connect?dialect=trino&host=localhost&user=me"


@dataclass
class DbapiWarehouse(DbapiBackend):
    scheme = "dbapi"
    dialect = ""  # set per url from ?dialect=

    factory: str = field(default="", init=False)
    kwargs: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self.factory, _, query = self.url[len("dbapi://") :].partition("?")
        if not _FACTORY.fullmatch(self.factory):
            raise self.error(
                f"names no connect function ({self.factory or 'empty'})",
                f"write dbapi://package.module:function?dialect=NAME, e.g. {EXAMPLE}",
            )
        params = dict(parse_qsl(query, keep_blank_values=True))
        dialect = params.pop("dialect", "") or str(self.options.get("dialect") or "")
        if not dialect:
            raise self.error(
                "does not say which SQL dialect it speaks",
                "add ?dialect=NAME (a sqlglot dialect: trino, bigquery, snowflake, ...)",
            )
        _check_dialect(self, dialect)
        # The dialect belongs to this url, not to the class: shadow the class default.
        vars(self)["dialect"] = dialect
        self.kwargs = {**params, **{k: v for k, v in self.options.items() if k != "dialect"}}

    def _connect(self) -> Any:
        module_name, _, function_name = self.factory.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise self.error(
                f"cannot import {module_name!r}: {first_line(str(exc))}",
                "install the package that provides it in the same environment as vedder",
            ) from None
        connect: Any = module
        for attribute in function_name.split("."):
            connect = getattr(connect, attribute, None)
        if not callable(connect):
            raise self.error(
                f"names {self.factory!r}, but {module_name} has no function {function_name!r}",
                "check the part after ':' in the url",
            )
        try:
            return connect(**self.kwargs)
        except Exception as exc:
            raise self.error(
                f"cannot connect: {first_line(str(exc)) or type(exc).__name__}",
                "check the connection parameters in the url and options in vedder.yaml",
            ) from None

    def _end_statement(self, conn: Any) -> None:
        # Nothing a statement did is ever committed, on engines that have
        # transactions; DB-API drivers open one implicitly.
        conn.rollback()

    def _interrupt(self, conn: Any, cursor: Any) -> None:
        cancel = getattr(cursor, "cancel", None) or getattr(conn, "interrupt", None)
        if callable(cancel):
            cancel()

    def _catalog_sql(self) -> str:
        if self.dialect == "sqlite":
            return sqlite.CATALOG_SQL
        # information_schema is the one catalog most engines share.
        return (
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema NOT IN ('information_schema', 'pg_catalog') ORDER BY 1, 2"
        )

    def _columns_sql(self, schema: str, table: str) -> str:
        if self.dialect == "sqlite":
            return sqlite.columns_sql(table)
        return (
            "SELECT column_name, data_type FROM information_schema.columns "
            f"WHERE table_schema = {sql_string(schema)} AND table_name = {sql_string(table)} "
            "ORDER BY ordinal_position"
        )


def _check_dialect(warehouse: DbapiWarehouse, dialect: str) -> None:
    from sqlglot.dialects.dialect import Dialect

    try:
        Dialect.get_or_raise(dialect)
    except ValueError as exc:
        raise warehouse.error(
            f"names an unknown dialect: {first_line(str(exc))}",
            "use a sqlglot dialect name: trino, bigquery, snowflake, databricks, ...",
        ) from None
