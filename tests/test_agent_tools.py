"""The agent's tools: schemas read from signatures and docstrings, and what each tool returns.

No model here: the tools are plain methods, called directly, against a real
DuckDB file behind the real guard.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from tests.test_agent import FIXTURES, make_cluster
from vedder.answer.tools import Tool, Toolbox, ToolError, format_result
from vedder.cluster.model import Cluster
from vedder.warehouse import Warehouse, open_warehouse
from vedder.warehouse.base import Result


@pytest.fixture
def cluster() -> Cluster:
    return make_cluster()


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[Warehouse]:
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as conn:
        conn.execute((FIXTURES / "warehouse.sql").read_text())
    with open_warehouse(f"duckdb:///{path}") as opened:
        yield opened


@pytest.fixture
def toolbox(cluster: Cluster, warehouse: Warehouse) -> Toolbox:
    return Toolbox.for_warehouse(cluster, warehouse)


# -- schemas --------------------------------------------------------------------------


def top_songs(country: str, limit: int = 10, genre: str | None = None) -> str:
    """The most played songs in a country.

    Args:
        country: ISO country code, e.g. "SE".
        limit: How many songs
            to list.
        genre: Only this genre.

    Returns:
        A table of songs.
    """
    return f"{country} {limit} {genre}"


def test_schema_comes_from_the_signature_and_docstring() -> None:
    tool = Tool.from_function(top_songs)

    assert tool.schema() == {
        "type": "function",
        "function": {
            "name": "top_songs",
            "description": "The most played songs in a country.",
            "parameters": {
                "type": "object",
                "properties": {
                    "country": {"type": "string", "description": 'ISO country code, e.g. "SE".'},
                    "limit": {"type": "integer", "description": "How many songs to list."},
                    "genre": {"type": "string", "description": "Only this genre."},
                },
                "required": ["country"],
            },
        },
    }
    assert tool({"country": "SE", "limit": 3}) == "SE 3 None"


def test_long_descriptions_are_unwrapped() -> None:
    def search(query: str) -> str:
        """Find things in the knowledge base
        by words.

        Use it sparingly.

        Args:
            query: What to look for.

        Raises:
            ToolError: never.
        """
        return query

    tool = Tool.from_function(search)
    assert tool.description == "Find things in the knowledge base by words.\n\nUse it sparingly."
    assert tool.parameters["properties"]["query"]["description"] == "What to look for."


def test_arguments_are_checked_against_the_schema() -> None:
    tool = Tool.from_function(top_songs)
    with pytest.raises(ToolError, match="needs 'country'"):
        tool({})
    with pytest.raises(ToolError, match="'limit' must be an integer"):
        tool({"country": "SE", "limit": "3"})
    with pytest.raises(ToolError, match="no argument 'sql'"):
        tool({"country": "SE", "sql": "x"})


def test_a_tool_without_docs_refuses_to_load() -> None:
    def undocumented(query: str) -> str:
        return query

    def half_documented(query: str, limit: int) -> str:
        """Search.

        Args:
            query: What to look for.
        """
        return query

    with pytest.raises(TypeError, match="needs a docstring"):
        Tool.from_function(undocumented)
    with pytest.raises(TypeError, match="document 'limit'"):
        Tool.from_function(half_documented)


def test_toolbox_schemas_hide_what_the_toolbox_is_bound_to(toolbox: Toolbox) -> None:
    names = [tool.name for tool in toolbox.tools()]
    assert names == ["describe_dataset", "column_values", "run_sql"]  # no search without an index
    for tool in toolbox.tools():
        assert "self" not in tool.parameters["properties"]
        assert tool.description and all(
            prop["description"] for prop in tool.parameters["properties"].values()
        )


# -- the tools ------------------------------------------------------------------------


def test_describe_dataset(toolbox: Toolbox) -> None:
    text = toolbox.describe_dataset("PLAYS")

    assert text.splitlines()[0] == "dataset plays: table plays"
    assert "rows: 7" in text
    assert "partitioned by play_date (day), from 2026-11-01 to 2026-11-03" in text
    assert "- user_id INTEGER: Legacy id. AVOID: Use listener_id instead." in text.splitlines()
    assert (
        "- country VARCHAR: ISO 3166 alpha-2 country. Also called market. "
        "4 distinct; common: 'SE', 'US', 'NO', 'United Kingdom'"
    ) in text.splitlines()
    assert "- listener_id INTEGER: Who listened. 6 distinct; 1 to 6" in text.splitlines()


def test_column_values_from_the_profile(toolbox: Toolbox) -> None:
    text = toolbox.column_values("plays", "country", like="king")
    assert "profiled values" in text and "'United Kingdom' (14.3%)" in text
    assert "'SE'" not in text


def test_column_values_query_the_warehouse_through_the_guard(toolbox: Toolbox) -> None:
    text = toolbox.column_values("plays", "seconds", like="3%")

    assert "values from the warehouse" in text
    assert "300 (1 rows)" in text and "31 (1 rows)" in text and "120" not in text
    assert toolbox.executed == []  # not citable: the model did not write it


def test_column_values_warn_about_avoided_columns(toolbox: Toolbox) -> None:
    assert toolbox.column_values("plays", "user_id").startswith("(avoid: Use listener_id instead.)")


def test_run_sql_records_what_ran(toolbox: Toolbox) -> None:
    text = toolbox.run_sql("SELECT country, count(*) AS n FROM plays GROUP BY 1 ORDER BY 2 DESC, 1")

    assert text.splitlines() == [
        "4 rows",
        "country | n",
        "SE | 3",
        "US | 2",
        "NO | 1",
        "United Kingdom | 1",
    ]
    (execution,) = toolbox.executed
    assert execution.result.sql.endswith("LIMIT 1000")


def test_run_sql_reports_engine_errors_as_tool_errors(toolbox: Toolbox) -> None:
    with pytest.raises(ToolError, match="the warehouse returned an error"):
        toolbox.run_sql("SELECT nope FROM plays")
    assert toolbox.executed == []


def test_results_are_cut_for_the_model() -> None:
    result = Result(
        columns=["id", "note"],
        rows=[(i, "x" * 200) for i in range(50)],
        truncated=True,
    )

    text = format_result(result, max_rows=5, max_cell_chars=10)

    lines = text.splitlines()
    assert lines[0] == (
        "50 rows (showing 5 of 50 rows fetched; the statement returned more rows than were fetched)"
    )
    assert lines[2] == "0 | xxxxxxxxx…"
    assert len(lines) == 2 + 5
    assert format_result(Result(["a"], [(None,)])) == "1 row\na\nNULL"
