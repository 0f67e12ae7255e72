"""``vedder ask``, ``vedder sql`` and the log they write, end to end on the demo warehouse."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def vedder(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vedder", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "160", **(env or {})},
    )


def test_sql_runs_through_the_guard(demo_project: Path) -> None:
    done = vedder(demo_project, "sql", "SELECT plan_id FROM analytics.plans ORDER BY 1", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["columns"] == ["plan_id"]
    assert len(data["rows"]) == 5
    assert "LIMIT" in data["sql"].upper()  # the guard's row limit was added


@pytest.mark.parametrize(
    ("statement", "rule"),
    [
        ("DROP TABLE analytics.plans", "read_only"),
        ("SELECT * FROM read_csv('/etc/passwd')", "forbidden_function"),
        ("SELECT 1; SELECT 2", "single_statement"),
        ("SELECT * FROM analytics.secret_salaries", "allowed_tables"),
    ],
)
def test_sql_refusals_name_the_rule(demo_project: Path, statement: str, rule: str) -> None:
    done = vedder(demo_project, "sql", statement)
    assert done.returncode == 1
    assert rule in done.stderr
    assert "Traceback" not in done.stderr


def test_ask_not_covered_lists_clusters_and_exits_1(demo_project: Path) -> None:
    done = vedder(demo_project, "ask", "What is the average salary of our engineers?", "--json")
    assert done.returncode == 1, done.stderr
    data = json.loads(done.stdout)
    assert data["status"] == "not_covered"
    assert data["sql"] is None and data["rows"] == []
    assert sorted(data["clusters"]) == ["listening", "podcasts", "subscriptions"]
    assert data["run_id"]


def test_ask_json_has_the_documented_keys(demo_project: Path) -> None:
    done = vedder(demo_project, "ask", "How many subscription plans are there?", "--json")
    data = json.loads(done.stdout)
    for key in (
        "status",
        "cluster",
        "answer",
        "sql",
        "columns",
        "rows",
        "sources",
        "confidence",
        "run_id",
        "model",
        "steps",
        "duration_ms",
        "error",
    ):
        assert key in data
    assert set(data["sources"]) == {"pairs", "docs", "datasets"}


def test_ask_questions_file_prints_one_object_per_line(demo_project: Path) -> None:
    batch = demo_project / "questions.jsonl"
    batch.write_text(
        json.dumps({"question": "What is the weather in Stockholm tomorrow?"})
        + "\n"
        + json.dumps({"question": "How many employees work in marketing?", "cluster": None})
        + "\n"
    )
    done = vedder(demo_project, "ask", "--questions", str(batch), "--json")
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert [item["status"] for item in lines] == ["not_covered", "not_covered"]
    assert done.returncode == 1


def test_bad_questions_file_points_at_the_line(demo_project: Path) -> None:
    batch = demo_project / "questions.jsonl"
    batch.write_text('{"question": "ok?"}\nnot json\n')
    done = vedder(demo_project, "ask", "--questions", str(batch), "--json")
    assert done.returncode == 2
    assert "questions.jsonl:2" in done.stderr


def test_every_ask_is_logged_and_takes_feedback(demo_project: Path) -> None:
    asked = json.loads(
        vedder(demo_project, "ask", "Who won the football world cup?", "--json").stdout
    )
    run_id = asked["run_id"]
    done = vedder(demo_project, "feedback", run_id, "--bad", "--comment", "should say no")
    assert done.returncode == 0, done.stderr
    log = json.loads(vedder(demo_project, "log", "--json").stdout)
    (run,) = [r for r in log if r["id"] == run_id]
    assert run["status"] == "not_covered"
    assert run["question"] == "Who won the football world cup?"


def test_warehouse_down_is_an_error_answer_not_a_traceback(
    demo_project: Path, tmp_path: Path
) -> None:
    env = {"VEDDER_WAREHOUSE_URL": f"duckdb:///{tmp_path / 'missing.duckdb'}"}
    done = vedder(demo_project, "sql", "SELECT 1", env=env)
    assert done.returncode == 2
    assert "missing.duckdb" in done.stderr
    assert "Traceback" not in done.stderr


def test_ask_needs_a_question(demo_project: Path) -> None:
    done = vedder(demo_project, "ask")
    assert done.returncode == 2


def test_chat_follow_ups_use_the_conversation(demo_project: Path) -> None:
    script = "How many unique listeners did we have in Germany in 2025?\nand in Norway?\nexit\n"
    done = subprocess.run(
        [sys.executable, "-m", "vedder", "chat"],
        cwd=demo_project,
        input=script,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert done.returncode == 0, done.stderr
    assert "country_code = 'DE'" in done.stdout
    assert "country_code = 'NO'" in done.stdout
    log = json.loads(vedder(demo_project, "log", "--json").stdout)
    assert len(log) == 2
    assert {r["turn"] for r in log} == {1, 2}
    assert len({r["conversation_id"] for r in log}) == 1


def test_asking_offline_imports_no_model_or_protocol_library(demo_project: Path) -> None:
    probe = (
        "import sys\n"
        "from vedder.cli.app import main\n"
        "sys.argv = ['vedder', 'ask', 'How many unique listeners did we have in Norway in 2024?',"
        " '--json']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as done:\n"
        "    assert done.code in (0, None), done.code\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in {'litellm', 'mcp'})\n"
        "sys.stderr.write('HEAVY=' + ','.join(heavy))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=demo_project, capture_output=True, text=True
    )
    assert json.loads(done.stdout)["status"] == "answered", done.stderr
    assert done.stderr.endswith("HEAVY="), done.stderr
