"""The LLM agent, end to end through the real ``litellm.completion`` call path.

The model is the only fake: a scripted LiteLLM custom provider
(``vedder-scripted/<name>``) that replays queued replies and records requests.
The warehouse is a real DuckDB file and every statement passes the real guard.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from vedder.answer.agent import answer_with_agent
from vedder.answer.model import LiteLLMModel
from vedder.answer.result import Answer
from vedder.answer.scripted import ScriptedModel
from vedder.answer.tools import Toolbox
from vedder.cluster.model import (
    Cluster,
    Column,
    ColumnProfile,
    Dataset,
    Doc,
    Pair,
    Partition,
    Profile,
    ValueShare,
)
from vedder.errors import ModelError
from vedder.sqlguard import check
from vedder.warehouse import Warehouse, open_warehouse

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "agent"
REPO = Path(__file__).resolve().parent.parent
CONTEXT = (
    "# Cluster music: Music plays\n"
    "## Vetted pair clusters/music/pairs/plays_by_country.sql\n"
    "-- question: How many plays per country?\n"
    "SELECT country, count(*) FROM plays GROUP BY country"
)


# -- fixtures -------------------------------------------------------------------------


def make_cluster() -> Cluster:
    plays = Dataset(
        name="plays",
        table="plays",
        path="clusters/music/datasets/plays.yaml",
        description="One row per play of at least 30 seconds.",
        partition=Partition(column="play_date"),
        columns=[
            Column("play_date", "DATE", "Day of the play, UTC."),
            Column("country", "VARCHAR", "ISO 3166 alpha-2 country.", synonyms=["market"]),
            Column("listener_id", "INTEGER", "Who listened."),
            Column("user_id", "INTEGER", "Legacy id.", avoid="Use listener_id instead."),
            Column("seconds", "INTEGER", "Seconds played."),
        ],
    )
    profile = Profile(
        dataset="plays",
        table="plays",
        path="clusters/music/profiles/plays.yaml",
        row_count=7,
        partition_column="play_date",
        partition_min="2026-11-01",
        partition_max="2026-11-03",
        columns=[
            ColumnProfile(
                "country",
                "VARCHAR",
                null_fraction=0.0,
                distinct_count=4,
                top_values=[
                    ValueShare("SE", 3, 3 / 7),
                    ValueShare("US", 2, 2 / 7),
                    ValueShare("NO", 1, 1 / 7),
                    ValueShare("United Kingdom", 1, 1 / 7),
                ],
            ),
            ColumnProfile("listener_id", "INTEGER", distinct_count=6, min=1, max=6),
        ],
    )
    return Cluster(
        name="music",
        path="clusters/music",
        title="Music plays",
        description="Plays of songs by listeners.",
        datasets={"plays": plays},
        profiles={"plays": profile},
        docs=[Doc("definitions", "clusters/music/docs/definitions.md", "A play is 30 s or more.")],
        pairs=[
            Pair(
                "plays_by_country",
                "clusters/music/pairs/plays_by_country.sql",
                ["How many plays per country?"],
                "SELECT country, count(*) FROM plays GROUP BY country",
            )
        ],
    )


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as conn:
        conn.execute((FIXTURES / "warehouse.sql").read_text())
    return path


@pytest.fixture
def warehouse(database: Path) -> Iterator[Warehouse]:
    with open_warehouse(f"duckdb:///{database}") as opened:
        yield opened


@pytest.fixture
def cluster() -> Cluster:
    return make_cluster()


@pytest.fixture
def toolbox(cluster: Cluster, warehouse: Warehouse) -> Toolbox:
    return Toolbox.for_warehouse(cluster, warehouse, search=lambda query: f"(search: {query})")


@pytest.fixture
def scripted(request: pytest.FixtureRequest) -> Iterator[ScriptedModel]:
    with ScriptedModel(request.node.name.replace("/", "_")) as model:
        yield model


def ask(
    question: str, cluster: Cluster, toolbox: Toolbox, scripted: ScriptedModel, **options: Any
) -> Answer:
    return answer_with_agent(
        question,
        cluster=cluster,
        context=CONTEXT,
        toolbox=toolbox,
        model=scripted.model,
        **options,
    )


def tool_messages(scripted: ScriptedModel) -> list[dict[str, Any]]:
    """Tool results the model was sent, from the last request (it holds the whole chat)."""
    return [m for m in scripted.requests[-1].messages if m["role"] == "tool"]


def plays_count(database: Path) -> int:
    with duckdb.connect(str(database), read_only=True) as conn:
        row = conn.execute("SELECT count(*) FROM plays").fetchone()
    assert row is not None
    return int(row[0])


# -- answering ------------------------------------------------------------------------


def test_uses_tools_and_answers_from_the_rows_it_ran(cluster: Cluster, toolbox: Toolbox) -> None:
    with ScriptedModel.load(FIXTURES / "listeners_in_sweden.json") as scripted:
        answer = ask("How many listeners in Sweden?", cluster, toolbox, scripted)

    assert answer.status == "answered", answer.error
    assert answer.answer == "2 listeners streamed in Sweden."
    # The SQL as the guard ran it (regenerated, with its row limit), and its rows.
    assert answer.sql is not None and "count(DISTINCT listener_id)".lower() in answer.sql.lower()
    assert "LIMIT" in answer.sql
    assert answer.columns == ["listeners"]
    assert answer.rows == [(2,)]
    assert [call.name for call in answer.tool_calls] == [
        "describe_dataset",
        "column_values",
        "column_values",
        "run_sql",
        "final_answer",
    ]
    assert all(call.error is None for call in answer.tool_calls)
    assert answer.steps == 5
    assert answer.prompt_tokens == 900 + 1000 + 1100 + 1200 + 1300
    assert answer.completion_tokens == 20 + 25 + 25 + 40 + 30
    assert answer.model == "vedder-scripted/listeners_in_sweden"
    assert answer.cluster == "music"
    assert answer.sources.datasets == ["clusters/music/datasets/plays.yaml"]

    results = [m["content"] for m in tool_messages(scripted)]
    assert "AVOID: Use listener_id instead." in results[0]  # describe_dataset
    assert "no profiled value matches 'swe'" in results[1]
    assert "'SE' (42.9%)" in results[2]
    assert results[3].splitlines()[:3] == ["1 row", "listeners", "2"]


def test_a_sql_error_goes_back_to_the_model_which_repairs_it(
    cluster: Cluster, toolbox: Toolbox, scripted: ScriptedModel
) -> None:
    scripted.enqueue_tool_call("run_sql", sql="SELECT sum(secs) FROM plays WHERE country = 'SE'")
    scripted.enqueue_tool_call("run_sql", sql="SELECT sum(seconds) FROM plays WHERE country = 'SE'")
    scripted.enqueue("Listeners in Sweden played 465 seconds.")

    answer = ask("Seconds played in Sweden?", cluster, toolbox, scripted)

    assert answer.status == "answered", answer.error
    assert answer.rows == [(465,)]
    assert answer.answer == "Listeners in Sweden played 465 seconds."
    failed, repaired = answer.tool_calls
    assert failed.error is not None and "secs" in failed.error
    assert repaired.error is None and repaired.result_summary == "1 row"
    # The model saw the engine's error on the step after it sent the statement.
    error = scripted.requests[1].messages[-1]
    assert error["role"] == "tool" and error["content"].startswith("ERROR: ")
    assert "secs" in error["content"]
    assert answer.steps == 3


def test_the_model_can_decline(cluster: Cluster, toolbox: Toolbox, scripted: ScriptedModel) -> None:
    scripted.enqueue_tool_call("decline", reason="no dataset here holds revenue")

    answer = ask("What was revenue last quarter?", cluster, toolbox, scripted)

    assert answer.status == "not_covered"
    assert answer.reason == "no dataset here holds revenue"
    assert answer.sql is None and answer.rows == []
    assert [call.name for call in answer.tool_calls] == ["decline"]
    assert answer.steps == 1


def test_step_budget_ends_the_run_with_its_trace(
    cluster: Cluster, toolbox: Toolbox, scripted: ScriptedModel
) -> None:
    for _ in range(5):
        scripted.enqueue_tool_call("run_sql", sql="SELECT count(*) FROM plays")

    answer = ask("How many plays?", cluster, toolbox, scripted, max_steps=3)

    assert answer.status == "error"
    assert answer.error is not None and answer.error.startswith("step budget exhausted")
    assert "3 steps" in answer.error
    assert answer.steps == 3 and len(scripted.requests) == 3
    assert [call.name for call in answer.tool_calls] == ["run_sql"] * 3
    assert answer.sql is None  # a run without a final answer answers nothing


def test_token_budget_ends_the_run(
    cluster: Cluster, toolbox: Toolbox, scripted: ScriptedModel
) -> None:
    for _ in range(5):
        scripted.enqueue_tool_call("describe_dataset", dataset="plays", usage=(5000, 100))

    answer = ask("How many plays?", cluster, toolbox, scripted, max_tokens=8000)

    assert answer.status == "error"
    assert answer.error is not None and answer.error.startswith("token budget exhausted")
    assert "10200 of 8000" in answer.error
    assert answer.steps == 2
    assert answer.prompt_tokens == 10000 and answer.completion_tokens == 200


@pytest.mark.parametrize(
    "sql",
    [
        "DROP TABLE plays",
        "INSERT INTO plays VALUES ('2026-11-04', 'SE', 9, 109, 99)",
        "DELETE FROM plays",
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM secrets",
        "SELECT count(*) FROM plays; DROP TABLE plays",
    ],
)
def test_the_guard_refuses_forbidden_statements(
    sql: str,
    cluster: Cluster,
    toolbox: Toolbox,
    scripted: ScriptedModel,
    warehouse: Warehouse,
    database: Path,
) -> None:
    rule = check(sql, dialect="duckdb", allowed_tables=cluster.tables).rule
    assert rule is not None
    scripted.enqueue_tool_call("run_sql", sql=sql)
    scripted.enqueue_tool_call("decline", reason="that is not something I may do")

    answer = ask("Clean up the plays table", cluster, toolbox, scripted)

    assert answer.status == "not_covered"
    refused = answer.tool_calls[0]
    assert refused.error is not None
    assert f"refused by the SQL guard [rule {rule}]" in refused.error
    assert toolbox.executed == []
    sent = tool_messages(scripted)[0]["content"]
    assert sent.startswith("ERROR: refused by the SQL guard") and "was not run" in sent
    assert "hunter2" not in json.dumps([r.messages for r in scripted.requests])
    warehouse.close()
    assert plays_count(database) == 7


def test_a_final_answer_must_cite_sql_that_ran(
    cluster: Cluster, toolbox: Toolbox, scripted: ScriptedModel
) -> None:
    never_ran = "SELECT count(*) AS plays FROM plays WHERE country = 'NO'"
    scripted.enqueue_tool_call("final_answer", answer="There were 12 plays.", sql=never_ran)
    scripted.enqueue_tool_call("run_sql", sql=never_ran)
    scripted.enqueue_tool_call("final_answer", answer="There was 1 play.", sql=never_ran)

    answer = ask("How many plays in Norway?", cluster, toolbox, scripted)

    assert answer.status == "answered"
    assert answer.answer == "There was 1 play."
    assert answer.rows == [(1,)]
    rejected = answer.tool_calls[0]
    assert rejected.name == "final_answer"
    assert rejected.error is not None and "has not been run" in rejected.error
    assert [call.name for call in answer.tool_calls] == ["final_answer", "run_sql", "final_answer"]


def test_a_final_answer_before_any_sql_is_sent_back(
    cluster: Cluster, toolbox: Toolbox, scripted: ScriptedModel
) -> None:
    scripted.enqueue("Probably about a dozen.")  # prose without SQL is no answer
    scripted.enqueue_tool_call("final_answer", answer="About a dozen.")
    scripted.enqueue_tool_call("decline", reason="cannot tell")

    answer = ask("How many plays?", cluster, toolbox, scripted)

    assert answer.status == "not_covered"
    reminder = scripted.requests[1].messages[-1]
    assert reminder["role"] == "user" and "final_answer" in reminder["content"]
    assert answer.tool_calls[0].error is not None
    assert "no statement has run yet" in answer.tool_calls[0].error


def test_bad_arguments_and_unknown_tools_go_back_to_the_model(
    cluster: Cluster, toolbox: Toolbox, scripted: ScriptedModel
) -> None:
    scripted.enqueue_tool_call("run_sql", '{"sql": "SELECT')
    scripted.enqueue_tool_call("drop_everything", sql="x")
    scripted.enqueue_tool_call("run_sql", query="SELECT 1")
    scripted.enqueue_tool_call("describe_dataset", dataset="revenue")
    scripted.enqueue_tool_call("column_values", dataset="plays", column="colour")
    scripted.enqueue_tool_call("decline", reason="confused")

    answer = ask("How many plays?", cluster, toolbox, scripted)

    errors = [call.error or "" for call in answer.tool_calls[:-1]]
    assert "not valid JSON" in errors[0]
    assert "no tool named 'drop_everything'" in errors[1] and "run_sql" in errors[1]
    assert "no argument 'query'" in errors[2]
    assert "no dataset 'revenue'" in errors[3] and "plays (plays)" in errors[3]
    assert "no column 'colour'" in errors[4] and "listener_id" in errors[4]
    assert answer.status == "not_covered"


def test_parallel_tool_calls_each_get_a_result(
    cluster: Cluster, toolbox: Toolbox, scripted: ScriptedModel
) -> None:
    scripted.enqueue_tool_calls(
        ("run_sql", {"sql": "SELECT count(*) AS n FROM plays WHERE country = 'US'"}),
        ("run_sql", {"sql": "SELECT count(*) AS n FROM plays WHERE country = 'NO'"}),
    )
    scripted.enqueue_tool_call(
        "final_answer",
        answer="2 plays in the US.",
        sql="SELECT count(*) AS n FROM plays WHERE country = 'US'",
    )

    answer = ask("Plays in the US?", cluster, toolbox, scripted)

    assert answer.status == "answered"
    assert answer.rows == [(2,)]  # the cited statement, not the last one run
    calls = scripted.requests[1].messages[-3]["tool_calls"]
    assert [m["tool_call_id"] for m in tool_messages(scripted)] == [c["id"] for c in calls]


# -- what the model is sent -----------------------------------------------------------


def test_requests_carry_the_context_the_question_and_the_tool_schemas(
    cluster: Cluster, toolbox: Toolbox, scripted: ScriptedModel
) -> None:
    scripted.enqueue_tool_call("decline", reason="test")

    ask("How many plays per country?", cluster, toolbox, scripted)

    (request,) = scripted.requests
    system, user = request.messages
    assert system["role"] == "system" and "plays" in system["content"]
    assert "duckdb" in system["content"]
    assert user["role"] == "user"
    assert CONTEXT in user["content"]
    assert user["content"].rstrip().endswith("Question: How many plays per country?")
    assert request.tool_names == [
        "search_context",
        "describe_dataset",
        "column_values",
        "run_sql",
        "final_answer",
        "decline",
    ]
    schemas = {tool["function"]["name"]: tool["function"] for tool in request.tools}
    run_sql = schemas["run_sql"]
    assert run_sql["parameters"]["required"] == ["sql"]
    assert run_sql["parameters"]["properties"]["sql"]["type"] == "string"
    assert "guard" not in json.dumps(run_sql["parameters"])  # internals stay out
    values = schemas["column_values"]["parameters"]
    assert values["required"] == ["dataset", "column"]
    assert values["properties"]["like"]["type"] == "string"
    assert request.params.get("temperature") == 0.0


def test_follow_ups_carry_the_earlier_turns(
    cluster: Cluster, toolbox: Toolbox, scripted: ScriptedModel
) -> None:
    earlier = Answer(
        question="How many plays in Sweden?",
        status="answered",
        answer="3 plays.",
        sql="SELECT count(*) FROM plays WHERE country = 'SE'",
    )
    scripted.enqueue_tool_call("decline", reason="test")

    ask(
        "And in Norway?",
        cluster,
        toolbox,
        scripted,
        history=[("How many plays in Sweden?", earlier)],
    )

    roles = [m["role"] for m in scripted.requests[0].messages]
    assert roles == ["system", "user", "assistant", "user"]
    previous = scripted.requests[0].messages[2]["content"]
    assert "3 plays." in previous and "country = 'SE'" in previous


def test_search_context_uses_the_index(cluster: Cluster, warehouse: Warehouse) -> None:
    calls: list[tuple[str, str, int]] = []

    class Rendered:
        def render(self) -> str:
            return "## Doc clusters/music/docs/definitions.md\nA play is 30 s or more."

    class FakeIndex:
        def context(self, question: str, cluster: str, *, budget_tokens: int = 6000) -> Rendered:
            calls.append((question, cluster, budget_tokens))
            return Rendered()

    toolbox = Toolbox.for_warehouse(cluster, warehouse, index=FakeIndex())

    text = toolbox.search_context("what counts as a play")

    assert "A play is 30 s or more." in text
    assert calls == [("what counts as a play", "music", 1500)]


# -- the LiteLLM seam -----------------------------------------------------------------


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a network connection was attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_a_missing_api_key_is_one_line_naming_the_variable(
    cluster: Cluster, toolbox: Toolbox, monkeypatch: pytest.MonkeyPatch, no_network: None
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)

    with pytest.raises(ModelError) as raised:
        answer_with_agent(
            "How many plays?",
            cluster=cluster,
            context=CONTEXT,
            toolbox=toolbox,
            model="openai/gpt-4o-mini",
        )

    text = str(raised.value)
    assert len(text.splitlines()) == 1
    assert "OPENAI_API_KEY" in text and "openai/gpt-4o-mini" in text


def test_an_unknown_provider_is_a_clear_error(no_network: None) -> None:
    with pytest.raises(ModelError) as raised:
        LiteLLMModel("nonesuch/model-x").check()
    assert "unknown model provider 'nonesuch'" in raised.value.message
    assert raised.value.hint is not None and "openai/gpt-4o-mini" in raised.value.hint


def test_ollama_needs_no_key(monkeypatch: pytest.MonkeyPatch, no_network: None) -> None:
    monkeypatch.delenv("OLLAMA_API_BASE", raising=False)
    assert LiteLLMModel("ollama/qwen2.5-coder").missing_environment() == []


def test_provider_errors_become_one_line_model_errors(
    cluster: Cluster, toolbox: Toolbox, scripted: ScriptedModel
) -> None:
    import litellm

    scripted.enqueue_tool_call("run_sql", sql="SELECT count(*) FROM plays")
    scripted.enqueue_error(
        litellm.RateLimitError(
            message="Rate limit reached for requests\nretry after 20s",
            llm_provider="openai",
            model="gpt-4o-mini",
        )
    )

    answer = ask("How many plays?", cluster, toolbox, scripted)

    assert answer.status == "error"
    assert answer.error is not None and len(answer.error.splitlines()) == 1
    assert "rate limited" in answer.error and "Rate limit reached for requests" in answer.error
    assert "hint:" in answer.error
    assert [call.name for call in answer.tool_calls] == ["run_sql"]  # the trace so far


def test_the_seam_raises_model_errors_with_a_hint(scripted: ScriptedModel) -> None:
    scripted.enqueue_error(RuntimeError("connection reset by peer\nTraceback: ..."))

    with pytest.raises(ModelError) as raised:
        LiteLLMModel(scripted.model).complete([{"role": "user", "content": "hi"}], [])

    assert raised.value.message == f"cannot reach {scripted.model}: connection reset by peer"
    assert raised.value.hint


@pytest.mark.slow
def test_importing_the_agent_does_not_import_litellm(tmp_path: Path) -> None:
    script = """
import sys
import vedder.answer.agent, vedder.answer.tools, vedder.answer.model, vedder.answer.scripted
assert "litellm" not in sys.modules, "litellm imported at module import"
from vedder.answer.model import LiteLLMModel
from vedder.answer.scripted import ScriptedModel
model = ScriptedModel("probe").enqueue("hello")
reply = LiteLLMModel(model.model).complete([{"role": "user", "content": "hi"}], [])
assert reply.content == "hello", reply
assert "litellm" in sys.modules
print("ok")
"""
    env = {**os.environ, "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"  # nothing else on stdout: litellm's banners are off
