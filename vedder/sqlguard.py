"""The SQL guard: the one gate every statement passes before it reaches a warehouse.

Whatever writes the SQL (the LLM agent, the offline answerer adapting a vetted pair,
``vedder sql``, the MCP server), :func:`check` judges it and :func:`run_guarded` runs it.
The guard is shaped like sqlglot's optimizer: :data:`RULES` is a tuple of small check
functions run in order, and the first one that refuses wins. A check takes a
:class:`Statement` and returns ``None`` to let it pass, or one sentence saying what it
refused and why.

It fails closed. A statement it cannot parse, or a node it cannot classify, is refused.
The warehouse never sees the text it was given: it sees SQL that sqlglot generated from
the judged syntax tree (without comments, with the row limit applied), and that SQL is
parsed and judged a second time before it is returned. Comment and quoting tricks that
make one parser see something another does not therefore cannot smuggle a second
statement or a hidden call past the guard.
"""

from __future__ import annotations

import importlib
import re
import time
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from fnmatch import fnmatchcase
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ErrorLevel, ParseError

from vedder.errors import ClusterError, ConfigError, GuardRefused
from vedder.warehouse.base import Result, Warehouse

__all__ = [
    "FORBIDDEN_FUNCTIONS",
    "RULES",
    "RULE_NAMES",
    "FunctionFamily",
    "GuardPolicy",
    "Statement",
    "Verdict",
    "check",
    "enforce",
    "run_guarded",
]


# --------------------------------------------------------------------------- policy


@dataclass(frozen=True)
class GuardPolicy:
    """Limits the guard applies; read from the ``guard:`` section of ``vedder.yaml``."""

    row_limit: int = 1000  # LIMIT added when missing; an existing larger LIMIT is lowered to this
    timeout_s: float = 30.0  # passed to the warehouse
    max_result_bytes: int = 5_000_000  # cap on the result size (rows truncated past it)
    extra_forbidden_functions: frozenset[str] = frozenset()  # names or globs, e.g. "my_udf_*"

    def __post_init__(self) -> None:
        for name in ("row_limit", "max_result_bytes"):
            value = getattr(self, name)
            # bool is an int in Python; `row_limit: yes` in YAML is a mistake, not 1.
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(
                    f"guard.{name} must be a whole number of at least 1, not {value!r}.",
                    hint=f"Set guard.{name} in vedder.yaml, e.g. {name}: "
                    f"{getattr(GuardPolicy, name)}.",
                )
        timeout = self.timeout_s
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
            raise ConfigError(
                f"guard.timeout_s must be a number of seconds above 0, not {timeout!r}.",
                hint="Set guard.timeout_s in vedder.yaml, e.g. timeout_s: 30.",
            )
        names = self.extra_forbidden_functions
        if isinstance(names, str) or not all(isinstance(n, str) and n.strip() for n in names):
            raise ConfigError(
                "guard.extra_forbidden_functions must be a list of function names.",
                hint="e.g. extra_forbidden_functions: [my_export_udf, unsafe_*]",
            )
        # Compared the same way the checks compare names found in SQL.
        object.__setattr__(self, "timeout_s", float(timeout))
        object.__setattr__(
            self, "extra_forbidden_functions", frozenset(_fold(n.strip()) for n in names)
        )

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None) -> GuardPolicy:
        """Build a policy from vedder.yaml's ``guard:`` section; unknown keys are an error."""
        if data is None:
            return cls()
        if not isinstance(data, Mapping):
            raise ConfigError(
                f"The guard section of vedder.yaml must be a mapping, not {type(data).__name__}.",
                hint="e.g.\nguard:\n  row_limit: 1000\n  timeout_s: 30",
            )
        known = [f.name for f in fields(cls)]
        unknown = sorted(str(key) for key in data if key not in known)
        if unknown:
            raise ConfigError(
                f"Unknown key{'s' if len(unknown) > 1 else ''} in the guard section of "
                f"vedder.yaml: {', '.join(unknown)}.",
                hint=f"The guard section accepts: {', '.join(known)}.",
            )
        values = dict(data)
        extra = values.get("extra_forbidden_functions")
        if extra is not None:
            if isinstance(extra, str) or not isinstance(extra, Iterable):
                raise ConfigError(
                    "guard.extra_forbidden_functions must be a list of function names.",
                    hint="e.g. extra_forbidden_functions: [my_export_udf, unsafe_*]",
                )
            values["extra_forbidden_functions"] = frozenset(extra)
        return cls(**values)


# --------------------------------------------------------------------------- verdict


@dataclass(frozen=True)
class Verdict:
    """What the guard decided about one statement."""

    allowed: bool
    sql: str  # the statement to run (normalised, with the row limit); empty when refused
    rule: str | None  # name of the refusing check, e.g. "read_only"
    reason: str | None  # one sentence for the user: what and why
    tables: tuple[str, ...] = ()  # tables the statement reads (normalised names)
    limited: bool = False  # the guard added or lowered the row limit

    @property
    def message(self) -> str | None:
        """``rule: reason``, the form the CLI shows for a refusal."""
        return f"{self.rule}: {self.reason}" if self.rule else None

    @property
    def hint(self) -> str | None:
        """What the user can do next about a refusal."""
        return HINTS.get(self.rule) if self.rule else None


HINTS: dict[str, str] = {
    "parse": "Fix the syntax, or write the statement in the warehouse's own SQL dialect.",
    "single_statement": "Send one SELECT at a time; a trailing semicolon is fine.",
    "read_only": (
        "Ask for a SELECT (or WITH ... SELECT); changes to the warehouse belong in your data "
        "pipeline, not in Vedder."
    ),
    "forbidden_function": (
        "Read the data through the tables the cluster lists; files and other databases have "
        "to be loaded into the warehouse first."
    ),
    "file_table": (
        "Load the file into the warehouse and describe the table in a dataset manifest under "
        "clusters/<cluster>/datasets/."
    ),
    "allowed_tables": (
        "Use a table the cluster lists, or ask its owners to add a dataset manifest for this "
        "table under clusters/<cluster>/datasets/."
    ),
    "system_catalog": (
        "Dataset manifests and profiles (vedder profile) describe the tables; the guard keeps "
        "queries away from the database's own catalogs."
    ),
}


# --------------------------------------------------------------------------- what checks see


@dataclass(frozen=True)
class ListedTable:
    """A table a cluster lists, parsed in the warehouse dialect."""

    name: str  # as the cluster lists it, e.g. "analytics.streams"
    table: exp.Table
    key: tuple[str, ...]  # folded parts, outermost first: ("analytics", "streams")

    @property
    def display(self) -> str:
        return ".".join(self.key)


@dataclass(frozen=True)
class Statement:
    """What a check looks at: the parsed SQL and the context it is judged in."""

    sql: str
    dialect: str
    statements: tuple[exp.Expr, ...]  # every non-empty statement in the text
    allowed_tables: tuple[ListedTable, ...] | None  # None: no table restriction
    policy: GuardPolicy = field(default_factory=GuardPolicy)

    @property
    def tree(self) -> exp.Expr:
        """The one statement; only valid once single_statement has passed."""
        return self.statements[0]


Check = Callable[[Statement], "str | None"]


# --------------------------------------------------------------------------- names


def _fold(text: str) -> str:
    """Compare names the way a careful human would: fullwidth and case do not matter."""
    return unicodedata.normalize("NFKC", text).casefold()


def _identifier_parts(table: exp.Table) -> list[exp.Expr]:
    return list(table.parts)


def _table_key(table: exp.Table) -> tuple[str, ...] | None:
    """Folded name parts of a table reference, or None when they are not plain identifiers."""
    parts = _identifier_parts(table)
    if not parts or len(parts) > 3 or not all(isinstance(p, exp.Identifier) for p in parts):
        return None
    return tuple(_fold(p.name) for p in parts)


def _display(table: exp.Table) -> str:
    parts = _identifier_parts(table)
    return ".".join(p.name if isinstance(p, exp.Identifier) else p.sql() for p in parts)


def _listed_tables(names: Iterable[str] | None, dialect: str) -> tuple[ListedTable, ...] | None:
    if names is None:
        return None
    if isinstance(names, str):
        # A bare string would be iterated character by character: a caller's mistake.
        names = [names]
    listed = []
    for name in names:
        try:
            table = exp.to_table(name, dialect=dialect)
        except Exception as error:  # sqlglot raises several error types for a bad name
            raise ClusterError(
                f"{name!r} is not a table name in {dialect} SQL: {_first_line(error)}",
                hint="Dataset manifests name tables as schema.table, e.g. analytics.streams.",
            ) from error
        key = _table_key(table) if isinstance(table, exp.Table) else None
        if key is None:
            raise ClusterError(
                f"{name!r} is not a table name the guard can match (use up to three parts).",
                hint="Dataset manifests name tables as schema.table, e.g. analytics.streams.",
            )
        listed.append(ListedTable(name=name, table=table, key=key))
    return tuple(listed)


def _resolve(
    table: exp.Table, listed: tuple[ListedTable, ...]
) -> tuple[ListedTable | None, str | None]:
    """The listed table a reference names, or why it names none.

    A reference matches a listed table with the same folded parts; a shorter reference
    (``streams``) matches the one listed table whose trailing parts it equals, so that
    ``streams`` means ``analytics.streams`` only when no other listed table ends that way.
    """
    key = _table_key(table)
    if key is None:
        return None, f"{_display(table)} is not a table name the guard can read"
    exact = [t for t in listed if t.key == key]
    if exact:
        return exact[0], None
    candidates = [t for t in listed if len(t.key) > len(key) and t.key[-len(key) :] == key]
    if len(candidates) == 1:
        return candidates[0], None
    if candidates:
        names = ", ".join(t.display for t in candidates)
        return None, f"{_display(table)} could mean more than one listed table ({names})"
    return None, f"{_display(table)} is not a table this cluster lists"


# --------------------------------------------------------------------------- tree walks


def _normalised_name(identifier: exp.Identifier, dialect: str) -> str:
    """How the engine resolves a name: Postgres folds unquoted names, DuckDB folds all."""
    normalised = Dialect.get_or_raise(dialect).normalize_identifier(identifier.copy())
    return normalised.name


def _table_references(tree: exp.Expr, dialect: str) -> list[exp.Table]:
    """Every table the statement reads: CTE references and table functions left out.

    CTE names are resolved by scope, the way the engine does it: a CTE is visible in
    the query it belongs to, in the CTEs after it, and in itself only under RECURSIVE.
    Anything else with the same name is a real table (``WITH secret AS (SELECT * FROM
    secret)`` reads the table ``secret`` in PostgreSQL), so it is checked like one.
    """
    found: list[exp.Table] = []

    def walk(node: exp.Expr, visible: frozenset[str]) -> None:
        with_ = node.args.get("with_") or node.args.get("with")
        if isinstance(with_, exp.With):
            names = [_cte_name(cte, dialect) for cte in with_.expressions]
            for index, cte in enumerate(with_.expressions):
                own = {names[index]} if with_.recursive else set()
                walk(cte, visible | frozenset(names[:index]) | own)
            visible = visible | frozenset(names)
        if isinstance(node, exp.Table) and not isinstance(node.this, exp.Func):
            this = node.this
            is_cte = (
                isinstance(this, exp.Identifier)
                and not node.args.get("db")
                and not node.args.get("catalog")
                and _normalised_name(this, dialect) in visible
            )
            if not is_cte:
                found.append(node)
        elif isinstance(node, exp.Table) and isinstance(node.this, exp.DynamicIdentifier):
            # IDENTIFIER('name') names a table with a string: a table, not a function.
            found.append(node)
        for child in node.iter_expressions():
            if child is not with_:
                walk(child, visible)

    walk(tree, frozenset())
    return found


def _cte_name(cte: exp.Expr, dialect: str) -> str:
    alias = cte.args.get("alias")
    identifier = alias.this if isinstance(alias, exp.TableAlias) else None
    if isinstance(identifier, exp.Identifier):
        return _normalised_name(identifier, dialect)
    return cte.alias_or_name


# --------------------------------------------------------------------------- read_only data

_WRITES = "writes to the warehouse"
_CONNECTION = "changes the connection or the server"
_NOT_A_QUERY = "is not a query"

# (sqlglot class name, keyword shown to the user, what it does). Looked up by name so a
# sqlglot release that renames one class does not break the import; the module scan below
# still refuses whatever statement classes that release has.
_STATEMENTS: tuple[tuple[str, str, str], ...] = (
    ("Insert", "INSERT", _WRITES),
    ("Update", "UPDATE", _WRITES),
    ("Delete", "DELETE", _WRITES),
    ("Merge", "MERGE", _WRITES),
    ("Copy", "COPY", "copies data to or from files"),
    ("Create", "CREATE", _WRITES),
    ("Drop", "DROP", _WRITES),
    ("Alter", "ALTER", _WRITES),
    ("TruncateTable", "TRUNCATE", _WRITES),
    ("Comment", "COMMENT", _WRITES),
    ("Undrop", "UNDROP", _WRITES),
    ("SwapTable", "SWAP", _WRITES),
    ("Refresh", "REFRESH", _WRITES),
    ("Cache", "CACHE", _WRITES),
    ("Uncache", "UNCACHE", _WRITES),
    ("LoadData", "LOAD DATA", _WRITES),
    ("NextValueFor", "NEXT VALUE FOR", "advances a sequence"),
    ("Export", "EXPORT", "writes files"),
    ("Put", "PUT", "uploads files"),
    ("Get", "GET", "downloads files"),
    ("Grant", "GRANT", "changes permissions"),
    ("Revoke", "REVOKE", "changes permissions"),
    ("Attach", "ATTACH", "opens another database"),
    ("Detach", "DETACH", _CONNECTION),
    ("Install", "INSTALL", "installs an extension"),
    ("Pragma", "PRAGMA", _CONNECTION),
    ("Set", "SET", _CONNECTION),
    ("SetItem", "SET", _CONNECTION),
    ("Use", "USE", _CONNECTION),
    ("AlterSession", "ALTER SESSION", _CONNECTION),
    ("Kill", "KILL", _CONNECTION),
    ("Transaction", "BEGIN", "controls transactions"),
    ("Commit", "COMMIT", "controls transactions"),
    ("Rollback", "ROLLBACK", "controls transactions"),
    ("Analyze", "ANALYZE", "updates the engine's statistics"),
    ("Execute", "EXECUTE", "runs a stored statement"),
    ("Declare", "DECLARE", _CONNECTION),
    ("Describe", "DESCRIBE", _NOT_A_QUERY),
    ("Show", "SHOW", _NOT_A_QUERY),
    ("Summarize", "SUMMARIZE", _NOT_A_QUERY),
)


def _resolve_statement_classes() -> dict[type, tuple[str, str]]:
    classes: dict[type, tuple[str, str]] = {}
    for name, keyword, what in _STATEMENTS:
        cls = getattr(exp, name, None)
        if isinstance(cls, type):
            classes[cls] = (keyword, what)
    # Fail closed for statement kinds a newer sqlglot adds: every node class sqlglot keeps
    # with its DDL and DML statements is refused, except the few that also appear inside
    # plain queries (DuckDB list comprehensions, dollar-quoted strings, character sets).
    harmless = {"Comprehension", "Heredoc", "CharacterSet"}
    for module_name in ("sqlglot.expressions.ddl", "sqlglot.expressions.dml"):
        try:
            module = importlib.import_module(module_name)
        except ImportError:  # older sqlglot keeps every node in one module
            continue
        for cls in vars(module).values():
            if (
                isinstance(cls, type)
                and issubclass(cls, exp.Expr)
                and cls.__module__ == module_name
                and cls.__name__ not in harmless
                and cls not in classes
            ):
                classes[cls] = (cls.__name__.upper(), _NOT_A_QUERY)
    return classes


_STATEMENT_CLASSES = _resolve_statement_classes()


def _statement_kind(node: exp.Expr) -> tuple[str, str] | None:
    """(keyword, what it does) when ``node`` is a statement Vedder does not run."""
    for cls, kind in _STATEMENT_CLASSES.items():
        if isinstance(node, cls):
            return kind
    return None


# The only statement shapes Vedder runs.
_QUERY_ROOTS: tuple[type, ...] = (exp.Select, exp.SetOperation, exp.Subquery, exp.Values)


# --------------------------------------------------------------------------- functions


@dataclass(frozen=True)
class FunctionFamily:
    """Functions refused for one reason. ``patterns`` are folded names or fnmatch globs."""

    what: str  # what calling one does, completing "read_csv() ..."
    patterns: frozenset[str]

    def exact(self, name: str) -> bool:
        return name in self.patterns

    def glob(self, name: str) -> bool:
        return any(fnmatchcase(name, p) for p in self.patterns if _is_glob(p))


def _is_glob(pattern: str) -> bool:
    return any(char in pattern for char in "*?[")


def _family(what: str, *groups: str) -> FunctionFamily:
    return FunctionFamily(what=what, patterns=frozenset(" ".join(groups).split()))


# One list for every dialect: a name that is dangerous in one engine has no business in an
# analytic query on another, and a shared list cannot miss a dialect nobody thought of.
FORBIDDEN_FUNCTIONS: tuple[FunctionFamily, ...] = (
    _family(
        "reads files",
        "read_* parquet_* glob sniff_csv st_read st_read_meta",  # DuckDB
        "readfile fsdir zipfile lines lines_read",  # SQLite's fileio and zipfile extensions
        "pg_read_file pg_read_binary_file pg_stat_file pg_ls_* pg_current_logfile lo_import",
        "copy",
    ),
    _family("writes files", "write_* writefile edit lo_export pg_file_* pg_logdir_ls"),
    _family("reads or writes large objects on the server", "lo_*"),
    _family(
        "reaches other databases or the network",
        "dblink* *_scan *_scan_* sqlite_attach sqlite_query postgres_* mysql_* iceberg_*",
        "delta_* ducklake_* http_* httpfs_* bigquery_* odbc_*",
    ),
    _family(
        "loads extensions into the engine",
        "load_extension fts3_tokenizer fts5_tokenizer install_extension load_aws_credentials",
    ),
    _family(
        "reads the server's settings, secrets or environment",
        # current_setting is refused too: DuckDB keeps S3 and HTTP credentials in settings.
        "getenv current_setting which_secret duckdb_* pragma_* sqlite_* pg_settings pg_config",
        "pg_hba_* pg_ident_* pg_show_all_settings inet_server_addr inet_server_port",
    ),
    _family(
        "controls the server or changes its state",
        "set_config pg_reload_conf pg_terminate_backend pg_cancel_backend pg_rotate_logfile",
        "pg_promote pg_switch_wal pg_sleep* pg_advisory_* pg_try_advisory_* pg_create_*",
        "pg_drop_* pg_logical_* pg_replication_* pg_wal_* pg_stat_reset* pg_backup_*",
        "pg_start_backup pg_stop_backup pg_export_snapshot pg_import_snapshot pg_notify",
        "pg_log_* nextval setval checkpoint force_checkpoint dbgen dsdgen enable_* disable_*",
    ),
    _family(
        "runs SQL given as text, out of the guard's sight",
        "query query_table query_to_xml* cursor_to_xml* table_to_xml* schema_to_xml*",
        "database_to_xml* json_execute_serialized_sql from_substrait* exec execute",
        "sp_executesql",
    ),
)


def _function_names(node: exp.Func) -> list[str]:
    """Every name a function node can go by: as written for unknown functions, and the SQL
    names sqlglot knows for typed ones (``"read_csv"(...)`` parses to ``ReadCSV``)."""
    if isinstance(node, (exp.Anonymous, exp.AnonymousAggFunc)):
        return [node.name]
    return [name for name in type(node).sql_names() if name]


def _forbidden_family(name: str, policy: GuardPolicy) -> str | None:
    """What makes the function ``name`` (folded) forbidden, or None."""
    for family in FORBIDDEN_FUNCTIONS:
        if family.exact(name):
            return family.what
    extra = policy.extra_forbidden_functions
    if name in extra or any(_is_glob(p) and fnmatchcase(name, p) for p in extra):
        return "is forbidden by this project's guard policy in vedder.yaml"
    for family in FORBIDDEN_FUNCTIONS:
        if family.glob(name):
            return family.what
    return None


# System catalogs: schemas, and table name prefixes the engines reserve for themselves.
_SYSTEM_SCHEMAS = frozenset({"pg_catalog", "information_schema", "pg_toast", "pg_temp"})
_SYSTEM_PREFIXES = ("pg_", "sqlite_", "duckdb_", "pragma_")

# A table name that names a file or URL: DuckDB reads it through a replacement scan.
_PATH_CHARACTERS = re.compile(r"[/\\:.*?~]")


# --------------------------------------------------------------------------- the rules


def single_statement(statement: Statement) -> str | None:
    """Exactly one statement.

    Bad: ``SELECT 1; DROP TABLE x`` (two statements) and an empty string.
    Good: ``SELECT 1;`` (a trailing semicolon and comments are fine).
    """
    count = len(statement.statements)
    if count == 0:
        return "There is no statement to run: the SQL is empty or only comments."
    if count > 1:
        kinds = ", ".join(_keyword(s, statement) for s in statement.statements)
        return f"The SQL holds {count} statements ({kinds}); Vedder runs exactly one at a time."
    return None


def read_only(statement: Statement) -> str | None:
    """Only SELECT, WITH ... SELECT, set operations and VALUES, all the way down.

    Bad: ``WITH gone AS (DELETE FROM t RETURNING *) SELECT * FROM gone``,
    ``SELECT * INTO copy FROM t``, ``SELECT * FROM t FOR UPDATE``, ``PRAGMA ...``.
    Good: ``WITH weekly AS (SELECT ...) SELECT ... UNION ALL SELECT ...``.
    """
    tree = statement.tree
    if not isinstance(tree, _QUERY_ROOTS):
        known = _statement_kind(tree)
        keyword = _keyword(tree, statement)
        return _read_only_reason(keyword, known[1] if known else _NOT_A_QUERY)
    for node in tree.walk():
        if isinstance(node, exp.Into):
            return _read_only_reason("SELECT ... INTO", "creates a table")
        if isinstance(node, exp.Lock):
            mode = "FOR UPDATE" if node.args.get("update") else "FOR SHARE"
            return _read_only_reason(f"SELECT ... {mode}", "locks rows")
        if isinstance(node, exp.Command):
            return _read_only_reason(_command_keyword(node), _NOT_A_QUERY)
        known = _statement_kind(node)
        if known:
            keyword, what = known
            where = " inside a WITH clause" if node.find_ancestor(exp.CTE) else " inside the query"
            return _read_only_reason(keyword + where, what)
    return None


def forbidden_function(statement: Statement) -> str | None:
    """No function that touches files, the network, extensions or the server itself.

    Bad: ``SELECT * FROM read_csv('/etc/passwd')``, ``SELECT pg_read_file('pg_hba.conf')``,
    ``SELECT load_extension('x')``, ``SELECT current_setting('s3_secret_access_key')``.
    Good: ``SELECT * FROM generate_series(1, 7)``, ``SELECT date_trunc('week', d) ...``.
    """
    for node in statement.tree.walk():
        if not isinstance(node, exp.Func):
            continue
        for raw in _function_names(node):
            name = _fold(raw)
            what = _forbidden_family(name, statement.policy)
            if what:
                return f"{name}() {what}; Vedder only reads the tables a cluster lists."
            if not name.isascii():
                # Look-alike letters (a Cyrillic "а" in "reаd_csv") name no function the
                # guard knows; refusing them is cheaper than guessing what the engine sees.
                return (
                    f"{raw}() uses characters outside plain ASCII, so the guard cannot tell "
                    "which function it is."
                )
    return None


def file_table(statement: Statement) -> str | None:
    """No file paths or URLs where a table belongs (DuckDB replacement scans).

    Bad: ``SELECT * FROM 'data.csv'``, ``FROM '/etc/passwd'``, ``FROM "s3://b/x.parquet"``.
    Good: ``SELECT * FROM analytics.streams``.
    """
    for table in _table_references(statement.tree, statement.dialect):
        this = table.this
        if isinstance(this, exp.Literal):
            return _file_reason(this.name)
        for part in _identifier_parts(table):
            if isinstance(part, exp.Identifier) and _PATH_CHARACTERS.search(part.name):
                return _file_reason(part.name)
    return None


def allowed_tables(statement: Statement) -> str | None:
    """Only tables the cluster lists (any table when the caller passes None).

    Names compare case-insensitively and without quotes; an unqualified name matches a
    listed ``schema.table`` only when no other listed table has that name. CTE names are
    not tables. Even without a list, every table must have a plain name of up to three parts.

    Bad (listing ``analytics.streams``): ``SELECT * FROM analytics.payments``.
    Good: ``SELECT * FROM "Analytics"."STREAMS"``, ``SELECT * FROM streams``.
    """
    listed = statement.allowed_tables
    for table in _table_references(statement.tree, statement.dialect):
        if listed is None:
            if _table_key(table) is None:
                return f"{_display(table)} is not a table name the guard can read."
            continue
        match, problem = _resolve(table, listed)
        if match is None:
            return f"{problem}; {_listed_summary(listed)}."
    return None


def system_catalog(statement: Statement) -> str | None:
    """No system catalogs: pg_catalog, information_schema, sqlite_master, duckdb_* and kin.

    They hold the database's own metadata and, in pg_authid and pg_shadow, password hashes.
    This check runs even when the caller puts no restriction on tables.

    Bad: ``SELECT * FROM pg_catalog.pg_shadow``, ``SELECT * FROM sqlite_master``.
    Good: ``SELECT * FROM analytics.streams``.
    """
    for table in _table_references(statement.tree, statement.dialect):
        key = _table_key(table)
        if key is None:
            continue
        if any(part in _SYSTEM_SCHEMAS for part in key[:-1]) or key[-1].startswith(
            _SYSTEM_PREFIXES
        ):
            return (
                f"{'.'.join(key)} is a system catalog; Vedder does not read the database's own "
                "metadata or credentials."
            )
    return None


RULES: tuple[Check, ...] = (
    single_statement,
    read_only,
    forbidden_function,
    file_table,
    allowed_tables,
    system_catalog,
)
"""The checks, in order; the first refusal wins."""

# Every name a refusal can carry: "parse" comes first, before any check can look.
RULE_NAMES: tuple[str, ...] = ("parse", *(rule.__name__ for rule in RULES))


# --------------------------------------------------------------------------- messages


def _read_only_reason(keyword: str, what: str) -> str:
    if what == _NOT_A_QUERY:
        return (
            f"{keyword} is not a query; Vedder only runs SELECT, WITH ... SELECT, "
            "set operations and VALUES."
        )
    return f"{keyword} {what}; Vedder only runs read-only queries."


def _file_reason(name: str) -> str:
    return (
        f"'{name}' names a file or URL, not a table; Vedder only reads tables the warehouse knows."
    )


def _listed_summary(listed: tuple[ListedTable, ...]) -> str:
    if not listed:
        return "the cluster lists no tables"
    names = [t.display for t in listed]
    shown = ", ".join(names[:5])
    more = f" and {len(names) - 5} more" if len(names) > 5 else ""
    return f"the cluster lists {shown}{more}"


def _command_keyword(node: exp.Command) -> str:
    return str(node.this).split()[0].upper() if node.this else "This statement"


def _keyword(node: exp.Expr, statement: Statement) -> str:
    """The statement's kind in the user's words: SELECT, DROP, CHECKPOINT..."""
    if isinstance(node, exp.Command):
        return _command_keyword(node)
    if isinstance(node, exp.Select):
        return "SELECT"
    if isinstance(node, exp.SetOperation):
        return type(node).__name__.upper()
    if isinstance(node, exp.Values):
        return "VALUES"
    if isinstance(node, exp.Subquery):
        return _keyword(node.this, statement)
    known = _statement_kind(node)
    if known:
        return known[0]
    # sqlglot reads some statements it does not know as an expression (CHECKPOINT becomes
    # a column, LISTEN x an alias): name them by the first word of the statement.
    return _first_word(node.sql(dialect=statement.dialect)) or type(node).__name__.upper()


def _first_word(sql: str) -> str:
    match = re.match(r"\s*([A-Za-z_]+)", sql)
    return match.group(1).upper() if match else ""


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _first_line(error: BaseException) -> str:
    text = _ANSI.sub("", str(error)).strip()
    line = text.splitlines()[0] if text else type(error).__name__
    return line if len(line) <= 160 else line[:157] + "..."


def _parse_reason(error: BaseException, dialect: str) -> str:
    detail = _first_line(error)
    if isinstance(error, ParseError) and error.errors:
        first = error.errors[0]
        detail = f"{first.get('description', detail)} at line {first.get('line')}, column "
        detail += f"{first.get('col')}"
    elif isinstance(error, RecursionError):
        detail = "it is nested too deeply"
    return (
        f"The SQL could not be read as {dialect} SQL ({detail}); Vedder only runs "
        "statements it can check in full."
    )


# --------------------------------------------------------------------------- rewriting


def _qualify_tables(tree: exp.Expr, statement: Statement) -> tuple[str, ...]:
    """Point every table reference at the listed table it matched, spelled as listed.

    Matching is case-insensitive, but engines are not always: in PostgreSQL
    ``"STREAMS"`` and ``streams`` are different tables. Rewriting the reference to the
    listed spelling makes the statement read exactly the table that was allowed, and
    qualifies ``streams`` to ``analytics.streams`` so that a search path cannot send it
    elsewhere. Returns the normalised names of the tables read.
    """
    names: list[str] = []
    for table in _table_references(tree, statement.dialect):
        listed = statement.allowed_tables
        if listed is None:
            key = _table_key(table)
            if key is not None:
                names.append(".".join(key))
            continue
        match, _ = _resolve(table, listed)
        if match is None:  # unreachable after allowed_tables passed; fail closed anyway
            raise _Refusal(
                "allowed_tables", f"{_display(table)} is not a table this cluster lists."
            )
        original = table.this
        for arg in ("catalog", "db", "this"):
            part = match.table.args.get(arg)
            table.set(arg, part.copy() if part is not None else None)
        if (
            not table.args.get("alias")
            and isinstance(original, exp.Identifier)
            and _normalised_name(original, statement.dialect)
            != _normalised_name(match.table.this, statement.dialect)
        ):
            # Columns qualified with the name as written (`"Streams".x`) still resolve.
            table.set("alias", exp.TableAlias(this=original.copy()))
        names.append(match.display)
    return tuple(dict.fromkeys(names))


def _literal_count(node: exp.Expr | None) -> int | None:
    if isinstance(node, exp.Literal) and not node.is_string and node.name.isdigit():
        return int(node.name)
    return None


def _apply_row_limit(tree: exp.Expr, row_limit: int) -> tuple[exp.Expr, bool]:
    """Cap the outermost query at ``row_limit`` rows; returns the tree and whether it changed.

    A missing LIMIT is added, a larger literal one is lowered, a smaller one is kept. A
    limit the guard cannot read as a row count (``LIMIT 10%``, ``LIMIT ALL``, ``LIMIT $1``,
    SQLite's unlimited ``LIMIT -1``, ``WITH TIES``) is kept as written inside a subquery
    that the row limit caps from outside.
    """
    # Plain parentheses around the whole statement carry no meaning; drop them.
    while isinstance(tree, exp.Subquery) and {k for k, v in tree.args.items() if v} == {"this"}:
        tree = tree.this
    if isinstance(tree, exp.Values):
        if len(tree.expressions) <= row_limit:
            return tree, False
        return _wrap(tree, row_limit), True

    limit = tree.args.get("limit")
    if limit is None:
        tree.set("limit", exp.Limit(expression=exp.Literal.number(row_limit)))
        return tree, True

    options = limit.args.get("limit_options")
    exotic = isinstance(options, exp.LimitOptions) and (
        options.args.get("percent") or options.args.get("with_ties")
    )
    if isinstance(limit, exp.Limit) and not exotic and not limit.args.get("offset"):
        arg, count = "expression", _literal_count(limit.expression)
    elif isinstance(limit, exp.Fetch) and not exotic:
        counted = limit.args.get("count")
        arg, count = "count", (1 if counted is None else _literal_count(counted))
    else:
        arg, count = "", None
    if count is None:
        return _wrap(tree, row_limit), True
    if count > row_limit:
        limit.set(arg, exp.Literal.number(row_limit))
        return tree, True
    return tree, False


def _wrap(tree: exp.Expr, row_limit: int) -> exp.Expr:
    subquery = exp.Subquery(this=tree, alias=exp.TableAlias(this=exp.to_identifier("limited")))
    return exp.select("*").from_(subquery).limit(row_limit)


# --------------------------------------------------------------------------- check


class _Refusal(Exception):
    def __init__(self, rule: str, reason: str) -> None:
        super().__init__(reason)
        self.rule = rule
        self.reason = reason


def _dialect_name(dialect: str) -> str:
    try:
        Dialect.get_or_raise(dialect)
    except Exception as error:
        raise ConfigError(
            f"{dialect!r} is not a SQL dialect the guard knows.",
            hint="Warehouse backends name a sqlglot dialect, e.g. duckdb, sqlite or postgres.",
        ) from error
    return dialect


def _parse(sql: str, dialect: str) -> tuple[exp.Expr, ...]:
    """Every non-empty statement in ``sql``; a refusal when any of it cannot be read."""
    if not isinstance(sql, str):
        raise _Refusal("parse", f"Expected SQL text, got {type(sql).__name__}.")
    if "\x00" in sql:
        # Engines written in C may stop reading at a NUL; what they would run is unclear.
        raise _Refusal("parse", "The SQL contains a NUL character; Vedder does not run it.")
    try:
        parsed = sqlglot.parse(sql, read=dialect)
    # sqlglot raises ParseError and TokenError, and sometimes plain ValueError or
    # RecursionError on inputs it does not expect; every one of them means "cannot check".
    except Exception as error:
        raise _Refusal("parse", _parse_reason(error, dialect)) from error
    # Empty statements (`;;`, or a comment after the last `;`) carry nothing to run.
    return tuple(s for s in parsed if s is not None and not isinstance(s, exp.Semicolon))


def _judge(statement: Statement) -> None:
    for rule in RULES:
        try:
            reason = rule(statement)
        except Exception as error:
            # A check that trips over a tree it did not expect has not said yes.
            raise _Refusal(
                rule.__name__,
                f"The guard could not check this statement ({_first_line(error)}), so it "
                "does not run it.",
            ) from error
        if reason is not None:
            raise _Refusal(rule.__name__, reason)


def _rewrite(statement: Statement) -> tuple[str, tuple[str, ...], bool]:
    """The SQL to run: listed tables spelled as listed, the row limit, no comments."""
    dialect = statement.dialect
    try:
        tree = statement.tree.copy()
        tables = _qualify_tables(tree, statement)
        tree, limited = _apply_row_limit(tree, statement.policy.row_limit)
        # Comments are dropped: a `--` comment is written back as `/* ... */`, and text in
        # it must never get a chance to end the comment early.
        sql = tree.sql(dialect=dialect, comments=False, unsupported_level=ErrorLevel.RAISE)
    except _Refusal:
        raise
    except Exception as error:  # sqlglot's UnsupportedError, or a tree it cannot write
        raise _Refusal(
            "parse",
            f"The statement could not be written back as {dialect} SQL ({_first_line(error)}); "
            "Vedder only runs statements it can check in full.",
        ) from error
    return sql, tables, limited


def check(
    sql: str,
    *,
    dialect: str,
    allowed_tables: Iterable[str] | None,
    policy: GuardPolicy = GuardPolicy(),
) -> Verdict:
    """Judge one statement for a warehouse speaking ``dialect``.

    ``allowed_tables`` are the tables the cluster lists (``analytics.streams``); None puts
    no restriction on tables, while every other rule still applies. The verdict carries the
    SQL to run: regenerated by sqlglot in the same dialect, without comments, with listed
    tables spelled as listed and the row limit applied.
    """
    dialect = _dialect_name(dialect)
    listed = _listed_tables(allowed_tables, dialect)
    try:
        statement = Statement(sql, dialect, _parse(sql, dialect), listed, policy)
        _judge(statement)
        safe_sql, tables, limited = _rewrite(statement)
        # What runs is what gets judged: the regenerated SQL passes every rule again.
        _judge(Statement(safe_sql, dialect, _parse(safe_sql, dialect), listed, policy))
    except _Refusal as refusal:
        return Verdict(allowed=False, sql="", rule=refusal.rule, reason=refusal.reason)
    return Verdict(
        allowed=True, sql=safe_sql, rule=None, reason=None, tables=tables, limited=limited
    )


def enforce(
    sql: str,
    *,
    dialect: str,
    allowed_tables: Iterable[str] | None,
    policy: GuardPolicy = GuardPolicy(),
) -> str:
    """The SQL to run, or :class:`GuardRefused` naming the rule that refused it."""
    verdict = check(sql, dialect=dialect, allowed_tables=allowed_tables, policy=policy)
    _raise_if_refused(verdict)
    return verdict.sql


def _raise_if_refused(verdict: Verdict) -> None:
    if not verdict.allowed:
        raise GuardRefused(
            verdict.message or "The SQL guard refused the statement.",
            rule=verdict.rule or "unknown",
            hint=verdict.hint,
        )


# --------------------------------------------------------------------------- running


def run_guarded(
    warehouse: Warehouse,
    sql: str,
    *,
    allowed_tables: Iterable[str] | None,
    policy: GuardPolicy = GuardPolicy(),
) -> Result:
    """Check ``sql``, run it on ``warehouse`` under the policy's limits, cap the result.

    Raises :class:`GuardRefused` when the guard refuses the statement; warehouse errors
    (including timeouts) come from the backend unchanged.
    """
    verdict = check(sql, dialect=warehouse.dialect, allowed_tables=allowed_tables, policy=policy)
    _raise_if_refused(verdict)
    # Backends read timeout_s when they run a statement; the stricter of the warehouse's
    # own timeout and the policy's applies for this one call.
    configured = warehouse.timeout_s
    warehouse.timeout_s = min(configured, policy.timeout_s) if configured else policy.timeout_s
    started = time.perf_counter()
    try:
        result = warehouse.execute(verdict.sql, max_rows=policy.row_limit)
    finally:
        warehouse.timeout_s = configured
    if not result.duration_ms:
        result.duration_ms = (time.perf_counter() - started) * 1000
    if not result.sql:
        result.sql = verdict.sql
    if verdict.limited and len(result.rows) >= policy.row_limit:
        # The guard's LIMIT stopped the engine; there may well have been more rows.
        result.truncated = True
    _cap_bytes(result, policy.max_result_bytes)
    return result


def _cap_bytes(result: Result, max_bytes: int) -> None:
    """Keep whole rows while their estimated size fits ``max_bytes``; flag the rest."""
    total = 0
    for index, row in enumerate(result.rows):
        total += sum(_value_size(value) for value in row)
        if total > max_bytes:
            result.rows = result.rows[:index]
            result.truncated = True
            return


def _value_size(value: Any) -> int:
    # An estimate of what the value costs once rendered or serialised, not Python's
    # in-memory size: text by its UTF-8 length, numbers and dates at a flat rate.
    if value is None or isinstance(value, bool):
        return 1
    if isinstance(value, str):
        return len(value.encode("utf-8", "replace"))
    if isinstance(value, (bytes, bytearray, memoryview)):
        return len(value)
    if isinstance(value, (int, float)):
        return 8
    return len(str(value))
