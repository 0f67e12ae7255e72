"""The warehouse protocol every backend implements.

A backend is a small class with one job: open a DB-API connection to one engine,
read-only wherever the engine allows it, and run statements with a timeout.
Backends declare what they can do in ``capabilities`` so callers (profiling, the
guard) can choose SQL that the engine supports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

# Capability names a backend may declare.
APPROX_DISTINCT = "approx_distinct"  # an approximate distinct count function
SAMPLE = "sample"  # TABLESAMPLE / USING SAMPLE
READ_ONLY = "read_only"  # the connection itself refuses writes
TIMEOUT = "timeout"  # statements are cancelled past a timeout
SCHEMAS = "schemas"  # tables live in schemas (schema.table)


@dataclass(frozen=True)
class ColumnInfo:
    name: str
    type: str


@dataclass(frozen=True)
class TableInfo:
    """A table or view; ``name`` is what SQL uses (``schema.table`` where schemas exist)."""

    name: str
    columns: tuple[ColumnInfo, ...] = ()


@dataclass
class Result:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool = False  # more rows existed than were fetched
    duration_ms: float = 0.0
    sql: str = ""

    def as_dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row)) for row in self.rows]


@dataclass
class Warehouse:
    """Base class for backends. Subclasses set ``scheme``, ``dialect`` and ``capabilities``."""

    scheme: ClassVar[str] = ""
    dialect: ClassVar[str] = ""  # a sqlglot dialect name
    capabilities: ClassVar[frozenset[str]] = frozenset()

    name: str
    url: str
    timeout_s: float = 30.0
    options: dict[str, Any] = field(default_factory=dict)

    def execute(self, sql: str, *, max_rows: int | None = None) -> Result:
        """Run one statement and return up to ``max_rows`` rows (all when None)."""
        raise NotImplementedError

    def tables(self) -> list[TableInfo]:
        """Every table and view the connection can read, without columns."""
        raise NotImplementedError

    def columns(self, table: str) -> list[ColumnInfo]:
        """Columns of one table with their types, in table order."""
        raise NotImplementedError

    def close(self) -> None:
        """Close the connection if one is open. Safe to call twice."""

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
