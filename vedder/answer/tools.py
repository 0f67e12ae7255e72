"""The agent's tools: plain typed methods with docstrings, turned into tool schemas.

A tool's JSON schema is read from its signature and docstring (the summary and
the ``Args:`` section), so the code is the single source of truth for what the
model is told. The same :class:`Toolbox` methods back the MCP server.

A :class:`Toolbox` is made per run and binds what the tools need (the cluster,
a guarded SQL runner, a context search) so none of it shows in the schemas.
``run_sql`` is the only way to the warehouse, and it goes through the guard.
Tools raise :class:`ToolError` for anything the model should read and fix; the
caller sends the message back to the model instead of stopping.
"""

from __future__ import annotations

import functools
import inspect
import re
import types
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Union, get_args, get_origin

from vedder.cluster.model import Cluster, Column, ColumnProfile, Dataset, Profile, Project
from vedder.errors import GuardRefused, VedderError
from vedder.warehouse.base import Result

SqlRunner = Callable[[str], Result]  # runs one statement through the guard, or raises
ContextSearch = Callable[[str], str]  # renders the context relevant to a query

_JSON_TYPES: dict[Any, str] = {str: "string", int: "integer", float: "number", bool: "boolean"}
_ARGS_HEADER = re.compile(r"^\s*(Args|Arguments|Parameters):\s*$")
_KIND_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
}
_ARG_LINE = re.compile(r"^\s*(\w+)(?:\s*\([^)]*\))?\s*:\s*(.*)$")


class ToolError(Exception):
    """A failure the model should see and can act on (bad SQL, unknown column, ...)."""


@dataclass(frozen=True)
class Tool:
    """A callable the model may use, with the schema it is described by."""

    name: str
    description: str
    parameters: dict[str, Any]
    function: Callable[..., str] = field(repr=False, compare=False)

    @classmethod
    def from_function(cls, function: Callable[..., str], name: str | None = None) -> Tool:
        """Build a tool from a typed function (or bound method) and its docstring.

        Refuses a function without a docstring or with an undocumented
        parameter: the model only knows what the schema tells it.
        """
        tool_name = name or function.__name__
        doc = inspect.getdoc(function)
        if not doc:
            raise TypeError(f"tool {tool_name!r} needs a docstring: it is what the model reads")
        description, arg_docs = _parse_docstring(doc)
        hints = typing.get_type_hints(function)
        properties: dict[str, Any] = {}
        required: list[str] = []
        for param in inspect.signature(function).parameters.values():
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                raise TypeError(f"tool {tool_name!r}: *args and **kwargs cannot be described")
            if param.name not in arg_docs:
                raise TypeError(f"tool {tool_name!r}: document {param.name!r} under 'Args:'")
            schema, optional = _json_schema(hints.get(param.name, str), f"{tool_name}.{param.name}")
            schema["description"] = arg_docs[param.name]
            properties[param.name] = schema
            if param.default is inspect.Parameter.empty and not optional:
                required.append(param.name)
        parameters = {"type": "object", "properties": properties, "required": required}
        return cls(tool_name, description, parameters, function)

    def schema(self) -> dict[str, Any]:
        """The OpenAI-style tool definition LiteLLM passes to every provider."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
            },
        }

    def __call__(self, arguments: dict[str, Any]) -> str:
        """Call with the model's arguments; wrong names or types become a ToolError."""
        known = self.parameters["properties"]
        unknown = sorted(set(arguments) - set(known))
        if unknown:
            raise ToolError(
                f"{self.name} has no argument {', '.join(map(repr, unknown))}; "
                f"it takes {', '.join(known) or 'none'}"
            )
        missing = [name for name in self.parameters["required"] if name not in arguments]
        if missing:
            raise ToolError(f"{self.name} needs {', '.join(map(repr, missing))}")
        for name, value in arguments.items():
            expected = known[name].get("type")
            if value is not None and not _matches(value, expected):
                kind = _KIND_NAMES.get(expected or "", expected)
                raise ToolError(f"{self.name}: {name!r} must be {kind}")
        return self.function(**arguments)


def _parse_docstring(doc: str) -> tuple[str, dict[str, str]]:
    """Split a Google-style docstring into the description and per-argument text."""
    lines = doc.splitlines()
    start = next((i for i, line in enumerate(lines) if _ARGS_HEADER.match(line)), len(lines))
    # Lines wrapped for the source are one paragraph for the model.
    paragraphs = "\n".join(lines[:start]).strip().split("\n\n")
    description = "\n\n".join(" ".join(p.split()) for p in paragraphs)
    header_indent = _indent(lines[start]) if start < len(lines) else 0
    args: dict[str, str] = {}
    current: str | None = None
    arg_indent = 0
    for line in lines[start + 1 :]:
        if not line.strip():
            continue
        indent = _indent(line)
        if indent <= header_indent:  # the next section (Returns:, Raises:) ends the arguments
            break
        match = _ARG_LINE.match(line)
        if match and (current is None or indent <= arg_indent):
            current, arg_indent = match.group(1), indent
            args[current] = match.group(2).strip()
        elif current is not None:
            args[current] = f"{args[current]} {line.strip()}".strip()
    return description, args


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _json_schema(hint: Any, where: str) -> tuple[dict[str, Any], bool]:
    """The JSON schema for a parameter type, and whether None is allowed."""
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        members = [arg for arg in get_args(hint) if arg is not type(None)]
        if len(members) != 1:
            raise TypeError(f"tool parameter {where}: only 'X | None' unions can be described")
        return _json_schema(members[0], where)[0], True
    if origin is Literal:
        values = list(get_args(hint))
        return {"type": _JSON_TYPES[type(values[0])], "enum": values}, False
    if origin in (list, Sequence) or hint is list:
        (item,) = get_args(hint) or (str,)
        return {"type": "array", "items": _json_schema(item, where)[0]}, False
    if hint in _JSON_TYPES:
        return {"type": _JSON_TYPES[hint]}, False
    raise TypeError(f"tool parameter {where}: cannot describe type {hint!r}")


def _matches(value: Any, expected: str | None) -> bool:
    checks: dict[str, Callable[[Any], bool]] = {
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "array": lambda v: isinstance(v, list),
    }
    check = checks.get(expected or "")
    return check(value) if check else True


@dataclass
class Execution:
    """A statement ``run_sql`` ran successfully: as the model wrote it, and its result."""

    sql: str
    result: Result


class Toolbox:
    """The tools for one run, bound to one cluster and one guarded warehouse.

    ``run_sql`` must send every statement through the guard (see
    :func:`guarded_runner`). ``search_context`` is offered when there is a
    retrieval ``index`` (anything with ``context(query, cluster_name,
    budget_tokens=...)`` returning something that renders) or an explicit
    ``search`` function. ``dialect`` is the warehouse's sqlglot dialect, for the
    SQL the tools write themselves.
    """

    def __init__(
        self,
        *,
        cluster: Cluster,
        run_sql: SqlRunner,
        project: Project | None = None,
        index: Any = None,
        search: ContextSearch | None = None,
        dialect: str = "duckdb",
        search_budget_tokens: int = 1500,
        max_rows_shown: int = 30,
        max_cell_chars: int = 80,
        max_chars: int = 6000,
    ) -> None:
        self.cluster = cluster
        self.project = project  # for tools that look beyond one cluster (the MCP server)
        self.dialect = dialect
        self.max_rows_shown = max_rows_shown  # rows the model sees from one statement
        self.max_cell_chars = max_cell_chars
        self.max_chars = max_chars  # the whole text of one tool result
        self.executed: list[Execution] = []  # what run_sql ran successfully, in order
        self._runner = run_sql
        if search is None and index is not None:
            search = index_search(index, cluster, budget_tokens=search_budget_tokens)
        self._search = search

    @classmethod
    def for_warehouse(
        cls,
        cluster: Cluster,
        warehouse: Any,
        *,
        policy: Any = None,
        project: Project | None = None,
        index: Any = None,
        **options: Any,
    ) -> Toolbox:
        """The production toolbox: the real guard in front of ``warehouse``."""
        return cls(
            cluster=cluster,
            run_sql=guarded_runner(warehouse, cluster, policy),
            project=project,
            index=index,
            dialect=getattr(warehouse, "dialect", "") or "duckdb",
            **options,
        )

    def tools(self) -> list[Tool]:
        """The tools offered to the model, in the order it sees them."""
        methods: list[Callable[..., str]] = [
            self.describe_dataset,
            self.column_values,
            self.run_sql,
        ]
        if self._search is not None:
            methods.insert(0, self.search_context)
        return [Tool.from_function(method) for method in methods]

    # -- the tools -----------------------------------------------------------------

    def search_context(self, query: str) -> str:
        """Find the vetted question + SQL pairs, docs and datasets relevant to a query.

        Use it when the context you were given does not cover a term, a metric or
        a filter in the question.

        Args:
            query: What to look for, in the user's words, e.g. "weekly active listeners".
        """
        if self._search is None:
            raise ToolError("search_context is not available in this run")
        text = self._search(query).strip()
        return self._clip(text or f"nothing in cluster {self.cluster.name!r} matches {query!r}")

    def describe_dataset(self, dataset: str) -> str:
        """Describe a dataset: its table, columns with types and meaning, columns to avoid,
        common values, row count and partition.

        Args:
            dataset: The dataset name or its warehouse table name, e.g. "podcast_streams".
        """
        found = self._dataset(dataset)
        profile = self.cluster.profiles.get(found.name)
        lines = [f"dataset {found.name}: table {found.table}"]
        if found.description:
            lines.append(found.description.strip())
        if profile and profile.row_count is not None:
            when = f" (profiled {profile.profiled_at})" if profile.profiled_at else ""
            lines.append(f"rows: {profile.row_count}{when}")
        if found.partition:
            span = ""
            if profile and profile.partition_min is not None:
                span = f", from {profile.partition_min} to {profile.partition_max}"
            lines.append(
                f"partitioned by {found.partition.column} ({found.partition.granularity}){span}; "
                "filter on it to keep queries cheap"
            )
        if found.freshness:
            lines.append(f"freshness column: {found.freshness.column}")
        lines.append("columns:")
        names = [c.name for c in found.columns]
        if profile:  # profiled columns the manifest does not list are still real columns
            names += [c.name for c in profile.columns if found.column(c.name) is None]
        for name in names:
            lines.append(
                "- " + _describe_column(found.column(name), _profile_column(profile, name), name)
            )
        return self._clip("\n".join(lines))

    def column_values(self, dataset: str, column: str, like: str | None = None) -> str:
        """List the values a column takes, most common first, to get filters right
        (exact spelling, case, codes).

        Args:
            dataset: The dataset name or its warehouse table name.
            column: The column name.
            like: Only values containing this text (case-insensitive); with a %
                it is a SQL LIKE pattern instead, e.g. "swe%".
        """
        found = self._dataset(dataset)
        profile = self.cluster.profiles.get(found.name)
        manifest_column = found.column(column)
        profiled = _profile_column(profile, column)
        if manifest_column is None and profiled is None:
            known = [c.name for c in found.columns] or (
                [c.name for c in profile.columns] if profile else []
            )
            raise ToolError(
                f"dataset {found.name!r} has no column {column!r}; columns: {', '.join(known)}"
            )
        name = manifest_column.name if manifest_column else column
        note = (
            f"(avoid: {manifest_column.avoid})\n"
            if manifest_column and manifest_column.avoid
            else ""
        )
        pattern = _like_regex(_like_pattern(like)) if like else None
        if profiled and profiled.top_values:
            shown = [
                v for v in profiled.top_values if pattern is None or pattern.search(str(v.value))
            ]
            complete = profiled.distinct_count is not None and profiled.distinct_count <= len(
                profiled.top_values
            )
            if shown or complete:
                rows = [f"{_literal(v.value)} ({v.share:.1%})" for v in shown]
                head = f"{found.name}.{name}: profiled values, most common first"
                if profiled.distinct_count is not None:
                    head += f" ({profiled.distinct_count} distinct)"
                body = ", ".join(rows) if rows else f"no profiled value matches {like!r}"
                return self._clip(f"{note}{head}\n{body}")
        return self._clip(note + self._query_values(found, name, like))

    def run_sql(self, sql: str) -> str:
        """Run one read-only SQL statement on the warehouse and return its columns and rows.

        Only the tables of this cluster can be read, and only SELECT statements
        run. If it fails, the error comes back: fix the statement and run it
        again. The answer you give must come from a statement run here.

        Args:
            sql: One SELECT statement in the warehouse's SQL dialect.
        """
        statement = sql.strip()
        if not statement:
            raise ToolError("run_sql needs a SQL statement")
        result = self._run(statement)
        self.executed.append(Execution(sql=statement, result=result))
        return format_result(
            result,
            max_rows=self.max_rows_shown,
            max_cell_chars=self.max_cell_chars,
            max_chars=self.max_chars,
        )

    # -- helpers -------------------------------------------------------------------

    def _run(self, sql: str) -> Result:
        try:
            return self._runner(sql)
        except GuardRefused as refused:
            # The guard's messages may already start with the rule's name.
            message = refused.message.removeprefix(f"{refused.rule}: ")
            hint = f" ({refused.hint})" if refused.hint else ""
            raise ToolError(
                f"refused by the SQL guard [rule {refused.rule}]: {message}{hint} "
                "The statement was not run."
            ) from None
        except VedderError as error:
            hint = f" ({error.hint})" if error.hint else ""
            raise ToolError(f"the warehouse returned an error: {error.message}{hint}") from None
        except Exception as error:  # engines raise their own DB-API types; the model must see them
            raise ToolError(f"the warehouse returned an error: {_first_line(error)}") from None

    def _dataset(self, name: str) -> Dataset:
        wanted = name.strip()
        found = self.cluster.datasets.get(wanted) or self.cluster.dataset_for_table(wanted)
        if found is None:
            lowered = {key.lower(): value for key, value in self.cluster.datasets.items()}
            found = lowered.get(wanted.lower())
        if found is None:
            known = ", ".join(f"{d.name} ({d.table})" for d in self.cluster.datasets.values())
            raise ToolError(
                f"cluster {self.cluster.name!r} has no dataset {name!r}; "
                f"datasets: {known or 'none'}"
            )
        return found

    def _query_values(self, found: Dataset, column: str, like: str | None) -> str:
        """Distinct values straight from the warehouse, through the guard like any statement."""
        from sqlglot import exp

        # Quoted only when the name needs it: a quoted name is case-sensitive in Postgres.
        target = exp.column(column)
        count = exp.alias_(exp.Count(this=exp.Star()), "n")
        query = (
            exp.select(target, count)
            .from_(exp.to_table(found.table, dialect=self.dialect))
            .group_by(target.copy())
            .order_by(exp.Ordered(this=exp.column("n"), desc=True), target.copy())
            .limit(30)
        )
        if like:
            pattern = _like_pattern(like)
            # ILIKE on the text form: sqlglot writes it in each dialect's own spelling.
            as_text = exp.cast(target.copy(), exp.DataType.build("varchar"))
            query = query.where(exp.ILike(this=as_text, expression=exp.Literal.string(pattern)))
        sql = query.sql(dialect=self.dialect)
        result = self._run(sql)
        if not result.rows:
            suffix = f" matching {like!r}" if like else ""
            return f"{found.name}.{column}: no values{suffix}"
        values = ", ".join(f"{_literal(value)} ({n} rows)" for value, n, *_ in result.rows)
        more = " (more values exist)" if len(result.rows) >= 30 else ""
        return (
            f"{found.name}.{column}: values from the warehouse, most common first{more}\n{values}"
        )

    def _clip(self, text: str) -> str:
        if len(text) <= self.max_chars:
            return text
        return text[: self.max_chars - 40].rstrip() + "\n… (cut to fit; ask for less)"


def format_result(
    result: Result, *, max_rows: int = 30, max_cell_chars: int = 80, max_chars: int = 6000
) -> str:
    """Columns and rows as compact text for the model, cut to fit and saying so."""
    lines = [" | ".join(result.columns)]
    for row in result.rows[:max_rows]:
        lines.append(" | ".join(_cell(value, max_cell_chars) for value in row))
    notes: list[str] = []
    total = len(result.rows)
    if total > max_rows:
        notes.append(f"showing {max_rows} of {total} rows fetched")
    if result.truncated:
        notes.append("the statement returned more rows than were fetched")
    text = "\n".join(lines)
    if len(text) > max_chars:
        text = text[:max_chars].rsplit("\n", 1)[0]
        notes.append("output cut to fit")
    header = f"{total} row{'s' if total != 1 else ''}"
    if notes:
        header += " (" + "; ".join(notes) + ")"
    return f"{header}\n{text}"


def guarded_runner(warehouse: Any, cluster: Cluster, policy: Any = None) -> SqlRunner:
    """A runner that sends every statement through the SQL guard to ``warehouse``.

    Only the cluster's tables may be read; ``policy`` (a ``GuardPolicy``) sets
    the row limit and timeout, the guard's defaults when None.
    """
    from vedder.sqlguard import run_guarded

    limits = {"policy": policy} if policy is not None else {}
    return functools.partial(run_guarded, warehouse, allowed_tables=cluster.tables, **limits)


def index_search(index: Any, cluster: Cluster, budget_tokens: int = 1500) -> ContextSearch:
    """A context search over a retrieval index (``vedder.retrieve.Index``), in one cluster."""

    def search(query: str) -> str:
        return str(index.context(query, cluster.name, budget_tokens=budget_tokens).render())

    return search


def _describe_column(column: Column | None, profiled: ColumnProfile | None, name: str) -> str:
    kind = (column.type if column else None) or (profiled.type if profiled else None)
    text = name + (f" {kind}" if kind else "")
    parts: list[str] = []
    if column and column.description:
        parts.append(_sentence(column.description))
    if column and column.synonyms:
        parts.append(_sentence("Also called " + ", ".join(column.synonyms)))
    if column and column.avoid:
        parts.append(_sentence(f"AVOID: {column.avoid.strip()}"))
    if profiled:
        stats: list[str] = []
        if profiled.null_fraction:
            stats.append(f"{profiled.null_fraction:.0%} null")
        if profiled.distinct_count is not None:
            about = "~" if profiled.distinct_approximate else ""
            stats.append(f"{about}{profiled.distinct_count} distinct")
        if profiled.min is not None and profiled.max is not None:
            stats.append(f"{profiled.min} to {profiled.max}")
        if profiled.top_values:
            common = ", ".join(_literal(v.value) for v in profiled.top_values[:5])
            stats.append(f"common: {common}")
        if stats:
            parts.append("; ".join(stats))
    return text + (": " + " ".join(parts) if parts else "")


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def _profile_column(profile: Profile | None, name: str) -> ColumnProfile | None:
    return profile.column(name) if profile else None


def _like_pattern(like: str) -> str:
    """A LIKE pattern: text without a % means "contains" (an _ still matches any character)."""
    return like if "%" in like else f"%{like}%"


def _like_regex(pattern: str) -> re.Pattern[str]:
    """The case-insensitive regex matching what ``ILIKE pattern`` matches."""
    body = "".join(
        ".*" if char == "%" else "." if char == "_" else re.escape(char) for char in pattern
    )
    return re.compile(f"^{body}$", re.IGNORECASE | re.DOTALL)


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return str(value)


def _cell(value: Any, limit: int) -> str:
    text = "NULL" if value is None else str(value).replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
