"""The warehouse protocol every backend implements.

A backend is a small class with one job: open a DB-API connection to one engine,
read-only wherever the engine allows it, and run statements with a timeout.
Backends declare what they can do in ``capabilities`` so callers (profiling, the
guard) can choose SQL that the engine supports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from vedder.errors import WarehouseError

# Capability names a backend may declare.
APPROX_DISTINCT = "approx_distinct"  # an approximate distinct count function
SAMPLE = "sample"  # TABLESAMPLE / USING SAMPLE
READ_ONLY = "read_only"  # the connection itself refuses writes
TIMEOUT = "timeout"  # statements are cancelled past a timeout
SCHEMAS = "schemas"  # tables live in schemas (schema.table)

MASK = "***"
# Query parameters and options whose values are secrets: never shown in a message.
_SECRET_KEY = re.compile(r"pass|pwd|secret|token|key|credential|auth", re.IGNORECASE)
_SIMPLE_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")


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
        return [dict(zip(self.columns, row, strict=False)) for row in self.rows]


@dataclass
class Warehouse:
    """Base class for backends. Subclasses set ``scheme``, ``dialect`` and ``capabilities``.

    The url and options may hold credentials, so they stay out of ``repr``;
    messages show :attr:`safe_url` instead.
    """

    scheme: ClassVar[str] = ""
    dialect: ClassVar[str] = ""  # a sqlglot dialect name
    capabilities: ClassVar[frozenset[str]] = frozenset()
    default_schema: ClassVar[str] = ""  # where a bare table name is looked up first

    name: str
    url: str = field(repr=False)
    timeout_s: float = 30.0
    options: dict[str, Any] = field(default_factory=dict, repr=False)
    base_dir: Path | None = None  # relative file paths in the url start here

    def execute(self, sql: str, *, max_rows: int | None = None) -> Result:
        """Run one statement and return up to ``max_rows`` rows (all when None)."""
        raise NotImplementedError

    def tables(self) -> list[TableInfo]:
        """Every table and view the connection can read, without columns."""
        raise NotImplementedError

    def columns(self, table: str) -> list[ColumnInfo]:
        """Columns of one table with their types, in table order."""
        raise NotImplementedError

    def find_table(self, table: str) -> TableInfo | None:
        """The table ``table`` names (``schema.table`` or a bare name), or None.

        A bare name means the default schema first, then the only schema that
        has it. Unquoted SQL names match case-insensitively in the engines
        Vedder ships, so an exact match wins and a case-insensitive one is
        accepted. A bare name found in several schemas is an error, not a guess.
        """
        wanted = split_name(table)
        attempts = [wanted]
        if self.default_schema and len(wanted) == 1:
            attempts.append((self.default_schema, *wanted))
        candidates = [(info, split_name(info.name)) for info in self.tables()]
        for exact in (True, False):
            for attempt in attempts:
                for info, parts in candidates:
                    if _same(parts, attempt, exact=exact):
                        return info
            found = [
                info
                for info, parts in candidates
                if _same(parts[-len(wanted) :], wanted, exact=exact)
            ]
            if len(found) > 1:
                raise WarehouseError(
                    f"warehouse {self.name!r} has several tables named {table!r}",
                    hint="qualify it with its schema: " + ", ".join(i.name for i in found),
                )
            if found:
                return found[0]
        return None

    def unknown_table(self, table: str, known: list[str]) -> WarehouseError:
        """The error for a table the warehouse does not have, naming close matches."""
        import difflib

        close = difflib.get_close_matches(table, known, n=3, cutoff=0.5)
        bare = {name.rsplit(".", 1)[-1]: name for name in known}
        close += [
            bare[match]
            for match in difflib.get_close_matches(table.rsplit(".", 1)[-1], list(bare), n=3)
            if bare[match] not in close
        ]
        if close:
            hint = "did you mean " + ", ".join(close[:3]) + "?"
        elif known:
            hint = f"it has {len(known)} tables and views, e.g. " + ", ".join(known[:5])
        else:
            hint = "the warehouse has no tables or views this connection can read"
        return WarehouseError(f"warehouse {self.name!r} has no table or view {table!r}", hint=hint)

    @property
    def safe_url(self) -> str:
        """The url with passwords and secret parameters masked, for messages."""
        return mask_url(self.url)

    def close(self) -> None:
        """Close the connection if one is open. Safe to call twice."""

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def mask_url(url: str) -> str:
    """``url`` with its password and secret-looking query values replaced by ``***``.

    Only the secret parts are rewritten, so the rest reads exactly as written
    (``duckdb:////abs/path`` keeps its slashes).
    """
    try:
        parts = urlsplit(url)
        masked = url
        if parts.password is not None:
            userinfo = parts.netloc.rpartition("@")[0]
            user = userinfo.split(":", 1)[0]
            masked = masked.replace(f"{userinfo}@", f"{user}:{MASK}@", 1)
        if parts.query:
            pairs = parse_qsl(parts.query, keep_blank_values=True)
            if any(_SECRET_KEY.search(key) for key, _ in pairs):
                query = urlencode(
                    [(k, MASK if _SECRET_KEY.search(k) else v) for k, v in pairs], safe="/:*$"
                )
                masked = masked.replace(f"?{parts.query}", f"?{query}", 1)
        return masked
    except ValueError:
        return url.split("://", 1)[0] + f"://{MASK}"


def secrets_in(url: str, options: dict[str, Any] | None = None) -> list[str]:
    """The secret values a url and its options carry, so messages can be scrubbed of them."""
    found: list[str] = []
    try:
        parts = urlsplit(url)
        if parts.password:
            found += {parts.password, unquote(parts.password)}
        found += [v for k, v in parse_qsl(parts.query) if _SECRET_KEY.search(k) and v]
    except ValueError:
        pass
    found += [str(v) for k, v in (options or {}).items() if _SECRET_KEY.search(str(k)) and v]
    return found


def split_name(name: str) -> tuple[str, ...]:
    """``schema.table`` split on dots outside double quotes, quotes removed."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for char in name.strip():
        if char == '"':
            quoted = not quoted
        elif char == "." and not quoted:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    parts.append("".join(current).strip())
    return tuple(parts)


def quote_name(*parts: str) -> str:
    """A dotted SQL name, quoting only the parts that need it."""
    return ".".join(
        part if _SIMPLE_IDENTIFIER.fullmatch(part) else '"' + part.replace('"', '""') + '"'
        for part in parts
        if part
    )


def _same(parts: tuple[str, ...], wanted: tuple[str, ...], *, exact: bool) -> bool:
    if len(parts) != len(wanted):
        return False
    return parts == wanted if exact else [p.lower() for p in parts] == [w.lower() for w in wanted]
