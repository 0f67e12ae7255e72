"""The asking flow end to end on the demo warehouse: routing, the offline fast path,
the LLM agent behind it (scripted at the LiteLLM seam), the guard and the log."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from vedder.ask import Session, Turn
from vedder.cluster.load import load_project
from vedder.config import load_config
from vedder.store.log import Log


@pytest.fixture
def session(demo_project: Path) -> Session:
    config = load_config(cwd=demo_project, env={})
    return Session.open(config, load_project(config, use_cache=False))


def test_offline_refusal_is_logged_and_lists_clusters(session: Session) -> None:
    answer = session.ask("How many interns did the marketing team hire?")
    assert answer.status == "not_covered"
    assert answer.clusters == ["listening", "podcasts", "subscriptions"]
    assert answer.model == "offline"
    logged = Log(session.config.log_path).get(answer.run_id or "")
    assert logged.status == "not_covered"


def test_unknown_cluster_is_an_error_answer(session: Session) -> None:
    answer = session.ask("How many streams?", cluster="nope")
    assert answer.status == "error"
    assert "no cluster named 'nope'" in (answer.error or "")


@pytest.mark.slow
def test_agent_answers_behind_the_offline_path(session: Session, demo_warehouse: Path) -> None:
    from vedder.answer.scripted import ScriptedModel

    sql = "SELECT count(*) AS shows FROM analytics.podcast_shows WHERE category = 'Comedy'"
    with duckdb.connect(str(demo_warehouse), read_only=True) as conn:
        expected = conn.execute(sql).fetchone()
    with ScriptedModel("session-agent") as scripted:
        scripted.enqueue_tool_call("run_sql", sql=sql)
        scripted.enqueue_tool_call("final_answer", answer="There are N comedy shows.", sql=sql)
        answer = session.ask(
            "How many podcast shows are in the comedy category?",
            cluster="podcasts",
            model=scripted.model,
        )
        first_request = scripted.requests[0]
    assert answer.status == "answered", answer.error
    assert answer.model == scripted.model
    assert answer.rows and tuple(answer.rows[0]) == tuple(expected)
    assert "podcast_shows" in (answer.sql or "")
    assert [call.name for call in answer.tool_calls][:1] == ["run_sql"]
    # the selected context reached the model, with the cluster's own words in it
    sent = " ".join(str(m.get("content")) for m in first_request.messages)
    assert "podcast" in sent.lower()
    logged = Log(session.config.log_path).get(answer.run_id or "")
    assert logged.model == scripted.model and logged.sql == answer.sql


@pytest.mark.slow
def test_agent_cannot_write_through_the_guard(session: Session, demo_warehouse: Path) -> None:
    from vedder.answer.scripted import ScriptedModel

    with ScriptedModel("session-evil") as scripted:
        scripted.enqueue_tool_call("run_sql", sql="DELETE FROM analytics.podcast_shows")
        scripted.enqueue_tool_call("decline", reason="I may not modify data.")
        answer = session.ask("Delete every podcast show", cluster="podcasts", model=scripted.model)
        second = scripted.requests[1]
    assert answer.status == "not_covered"
    tool_results = " ".join(
        str(m.get("content")) for m in second.messages if m.get("role") == "tool"
    )
    assert "read_only" in tool_results
    with duckdb.connect(str(demo_warehouse), read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM analytics.podcast_shows").fetchone()[0] > 0


FIRST = "How many unique listeners did we have in Germany in 2025?"


@pytest.mark.parametrize(
    ("follow_up", "country", "year"),
    [
        ("and in Norway?", "NO", "2025"),
        ("what about 2024?", "DE", "2024"),
        ("and in Sweden in 2024?", "SE", "2024"),
    ],
)
def test_follow_up_is_read_as_the_full_question(
    session: Session, follow_up: str, country: str, year: str
) -> None:
    first = session.ask(FIRST)
    assert first.status == "answered", first.reason
    follow = session.ask(follow_up, history=[Turn(FIRST, first)])
    assert follow.status == "answered", follow.reason
    assert follow.question == follow_up
    assert follow.rewritten and follow.rewritten.startswith("How many unique listeners")
    sql = follow.sql or ""
    assert "COUNT(DISTINCT" in sql.upper()  # still the listeners pair, not a streams pair
    assert f"'{country}'" in sql and f"{year}-01-01" in sql


def test_follow_up_without_history_is_not_guessed(session: Session) -> None:
    answer = session.ask("and in Norway?")
    assert answer.status == "not_covered"


def test_follow_up_asking_for_something_else_is_refused(session: Session) -> None:
    first = session.ask(FIRST)
    follow = session.ask("and the average session length?", history=[Turn(FIRST, first)])
    assert follow.status == "not_covered"
