"""Warehouses: where the data lives, reached through DB-API 2.0.

``open_warehouse(url)`` or ``connect(config, name)`` returns a :class:`Warehouse`
that connects on first use. Importing this package imports no database driver;
each backend imports its own when it connects.
"""

from __future__ import annotations

from vedder.warehouse.base import (
    APPROX_DISTINCT,
    READ_ONLY,
    SAMPLE,
    SCHEMAS,
    TIMEOUT,
    ColumnInfo,
    Result,
    TableInfo,
    Warehouse,
    mask_url,
)
from vedder.warehouse.dbapi import DbapiWarehouse
from vedder.warehouse.duckdb import DuckDBWarehouse
from vedder.warehouse.postgres import PostgresWarehouse
from vedder.warehouse.registry import backend_for, connect, open_warehouse, register, schemes
from vedder.warehouse.sqlite import SQLiteWarehouse

register("duckdb", DuckDBWarehouse)
register("sqlite", SQLiteWarehouse)
register("postgresql", PostgresWarehouse)
register("postgres", PostgresWarehouse)
register("dbapi", DbapiWarehouse)

__all__ = [
    "APPROX_DISTINCT",
    "READ_ONLY",
    "SAMPLE",
    "SCHEMAS",
    "TIMEOUT",
    "ColumnInfo",
    "DbapiWarehouse",
    "DuckDBWarehouse",
    "PostgresWarehouse",
    "Result",
    "SQLiteWarehouse",
    "TableInfo",
    "Warehouse",
    "backend_for",
    "connect",
    "mask_url",
    "open_warehouse",
    "register",
    "schemes",
]
