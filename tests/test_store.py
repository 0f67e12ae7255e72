"""The conversation log: migrations, writes, queries, and the `log` and `feedback` commands."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vedder.cli.app import app
from vedder.cli.log import RunStatus
from vedder.errors import VedderError
from vedder.store import (
    MIGRATIONS,
    STATUSES,
    Log,
    RunRecord,
    applied,
    migrate,
    new_run_id,
    parse_since,
)
from vedder.store.migrations import migration


def connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def full_run(**overrides: object) -> RunRecord:
    values: dict[str, object] = {
        "question": "How many listeners streamed a podcast in Sweden last week?",
        "cluster": "podcasts",
        "status": "answered",
        "answer": "1,234 listeners.",
        "sql": "SELECT count(DISTINCT listener_id) FROM analytics.podcast_streams "
        "WHERE country = 'SE'",
        "columns": ["listeners"],
        "row_count": 1,
        "sources": {
            "pairs": ["podcasts/weekly_listeners"],
            "docs": ["podcasts/glossary.md"],
            "datasets": ["podcast_streams"],
        },
        "tool_calls": [
            {"name": "search_context", "arguments": {"query": "listeners sweden"}},
            {"name": "run_sql", "arguments": {"sql": "SELECT 1"}, "rows": 1},
        ],
        "model": "openai/gpt-4o-mini",
        "prompt_tokens": 1200,
        "completion_tokens": 80,
        "duration_ms": 2345,
        "confidence": 0.87,
        "conversation_id": "chat-1",
        "turn": 2,
    }
    values.update(overrides)
    return RunRecord(**values)  # type: ignore[arg-type]


# --- migrations ---------------------------------------------------------------


def test_migrations_apply_once_and_are_recorded(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    Log(path).record(RunRecord(question="q"))
    with connect(path) as conn:
        assert applied(conn) == [fn.__name__ for fn in MIGRATIONS]
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        assert {"runs", "feedback", "_migrations"} <= tables
        assert {"runs_cluster", "runs_status", "runs_created_at"} <= tables
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_second_open_is_a_no_op(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    Log(path).record(RunRecord(question="q"))
    with connect(path) as conn:
        before = conn.execute("SELECT name, applied_at FROM _migrations").fetchall()
        assert migrate(conn) == []
        assert conn.execute("SELECT name, applied_at FROM _migrations").fetchall() == before
    Log(path).record(RunRecord(question="q2"))
    assert len(Log(path).runs()) == 2


def test_a_v1_log_is_upgraded_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    with connect(path) as conn:
        assert migrate(conn, MIGRATIONS[:1]) == ["m001_initial"]
        # Rows as the first release wrote them.
        conn.execute(
            "INSERT INTO runs (id, created_at, question, cluster, status, columns_json) "
            "VALUES ('0000000000010000aaaa', '2026-01-01T00:00:00.000+00:00', 'old question', "
            "'podcasts', 'answered', '[\"n\"]')"
        )
        conn.execute(
            "INSERT INTO feedback (run_id, created_at, rating, comment) "
            "VALUES ('0000000000010000aaaa', '2026-01-02T00:00:00.000+00:00', 'bad', 'stale')"
        )

    log = Log(path)
    (old,) = log.runs()
    assert (old.question, old.cluster, old.columns, old.bad) == (
        "old question",
        "podcasts",
        ["n"],
        1,
    )
    with connect(path) as conn:
        assert applied(conn) == [fn.__name__ for fn in MIGRATIONS]
    new_id = log.record(RunRecord(question="new question"))
    assert [run.id for run in log.runs()] == [new_id, "0000000000010000aaaa"]


def test_a_later_migration_keeps_rows_and_records_still_work(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    log = Log(path)
    first = log.record(full_run())

    registry = list(MIGRATIONS)

    def m003_runs_tags(db: sqlite3.Connection) -> None:
        db.execute("ALTER TABLE runs ADD COLUMN tags_json TEXT")

    migration(m003_runs_tags, registry=registry)
    with connect(path) as conn:
        assert migrate(conn, registry) == ["m003_runs_tags"]
        assert migrate(conn, registry) == []

    # This Vedder does not know the new column; reading and writing still work.
    fresh = Log(path)
    assert fresh.get(first).question == full_run().question
    second = fresh.record(RunRecord(question="after upgrade"))
    assert [run.id for run in fresh.runs()] == [second, first]


def test_migrations_are_numbered_in_order() -> None:
    registry: list = []

    def m001_first(db: sqlite3.Connection) -> None: ...

    def m003_skipped_one(db: sqlite3.Connection) -> None: ...

    def not_numbered(db: sqlite3.Connection) -> None: ...

    migration(m001_first, registry=registry)
    for bad in (m003_skipped_one, not_numbered, m001_first):
        with pytest.raises(ValueError, match="m002_"):
            migration(bad, registry=registry)
    assert all(fn.__name__.startswith(f"m{n:03d}_") for n, fn in enumerate(MIGRATIONS, 1))


def test_a_failed_migration_leaves_the_log_untouched(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    registry = list(MIGRATIONS)

    def m003_broken(db: sqlite3.Connection) -> None:
        db.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("boom")

    migration(m003_broken, registry=registry)
    with connect(path) as conn:
        with pytest.raises(RuntimeError):
            migrate(conn, registry)
        assert applied(conn) == []
        assert conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0


# --- writes and reads --------------------------------------------------------


def test_record_and_get_round_trip_every_field(tmp_path: Path) -> None:
    log = Log(tmp_path / "log.db")
    run = full_run()
    run_id = log.record(run)
    got = log.get(run_id)
    assert got.id == run_id
    assert got.created_at is not None
    for name in (
        "question",
        "cluster",
        "status",
        "answer",
        "sql",
        "columns",
        "row_count",
        "sources",
        "tool_calls",
        "model",
        "prompt_tokens",
        "completion_tokens",
        "duration_ms",
        "confidence",
        "error",
        "conversation_id",
        "turn",
    ):
        assert getattr(got, name) == getattr(run, name), name
    assert got.feedback == []
    assert run.id is None  # record() does not change the caller's object


def test_created_at_is_utc_iso_and_matches_the_id(tmp_path: Path) -> None:
    log = Log(tmp_path / "log.db")
    before = datetime.now(timezone.utc) - timedelta(seconds=1)
    got = log.get(log.record(RunRecord(question="q")))
    assert got.created_at is not None
    moment = datetime.fromisoformat(got.created_at)
    assert moment.utcoffset() == timedelta(0)
    assert before <= moment <= datetime.now(timezone.utc)
    assert got.id is not None
    assert int(got.id[:12], 16) == int(moment.timestamp() * 1000)


def test_unserialisable_tool_call_values_are_kept_as_text(tmp_path: Path) -> None:
    log = Log(tmp_path / "log.db")
    when = datetime(2026, 1, 2, tzinfo=timezone.utc)
    run_id = log.record(RunRecord(question="q", tool_calls=[{"name": "t", "at": when}]))
    assert log.get(run_id).tool_calls == [{"name": "t", "at": str(when)}]


def test_ids_are_short_unique_and_sort_by_time() -> None:
    ids = [new_run_id() for _ in range(5000)]
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)
    assert all(len(run_id) == 20 and int(run_id, 16) >= 0 for run_id in ids)


def test_runs_are_newest_first_with_a_limit(tmp_path: Path) -> None:
    log = Log(tmp_path / "log.db")
    ids = [log.record(RunRecord(question=f"q{i}")) for i in range(5)]
    assert [run.id for run in log.runs()] == ids[::-1]
    assert [run.id for run in log.runs(limit=2)] == ids[:-3:-1]
    assert len(log.runs(limit=None)) == 5


def test_runs_filter_by_cluster_status_and_since(tmp_path: Path) -> None:
    log = Log(tmp_path / "log.db")
    now = datetime.now(timezone.utc)
    old = log.record(
        RunRecord(
            question="old",
            cluster="podcasts",
            created_at=(now - timedelta(days=10)).isoformat(timespec="milliseconds"),
        )
    )
    podcasts = log.record(RunRecord(question="p", cluster="podcasts"))
    music = log.record(RunRecord(question="m", cluster="music", status="error", error="x"))
    uncovered = log.record(RunRecord(question="u", status="not_covered"))

    assert [r.id for r in log.runs(cluster="podcasts")] == [podcasts, old]
    assert [r.id for r in log.runs(status="error")] == [music]
    assert [r.id for r in log.runs(status="not_covered")] == [uncovered]
    assert [r.id for r in log.runs(since="7d")] == [uncovered, music, podcasts]
    assert [r.id for r in log.runs(since=now - timedelta(days=30))] == [
        uncovered,
        music,
        podcasts,
        old,
    ]
    assert [r.id for r in log.runs(cluster="podcasts", since="7d")] == [podcasts]
    assert log.runs(cluster="nope") == []


def test_get_accepts_a_unique_prefix(tmp_path: Path) -> None:
    log = Log(tmp_path / "log.db")
    first = log.record(RunRecord(question="a", id="abc123"))
    log.record(RunRecord(question="b", id="abd456"))
    assert log.get("abc").id == first
    assert log.get(" abc123 ").id == first
    with pytest.raises(VedderError, match="ambiguous") as ambiguous:
        log.get("ab")
    assert "abc123" in str(ambiguous.value) and "abd456" in str(ambiguous.value)
    # GLOB characters in what the user typed match only themselves.
    with pytest.raises(VedderError, match="no run"):
        log.get("a*")
    with pytest.raises(VedderError, match="no run id given"):
        log.get("  ")


def test_unknown_run_id_says_how_to_find_one(tmp_path: Path) -> None:
    log = Log(tmp_path / "log.db")
    log.record(RunRecord(question="q"))
    for call in (lambda: log.get("ffff"), lambda: log.feedback("ffff", good=True)):
        with pytest.raises(VedderError) as error:
            call()
        assert "ffff" in error.value.message
        assert error.value.hint is not None and "vedder log" in error.value.hint
        assert error.value.exit_code == 2


def test_reading_a_missing_log_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "nested" / ".vedder" / "log.db"
    log = Log(path)
    assert log.runs() == []
    with pytest.raises(VedderError, match="no run"):
        log.get("abc")
    with pytest.raises(VedderError, match="no run"):
        log.feedback("abc", good=False)
    assert not path.parent.exists()


def test_first_write_creates_the_folder(tmp_path: Path) -> None:
    path = tmp_path / "nested" / ".vedder" / "log.db"
    Log(path).record(RunRecord(question="q"))
    assert path.is_file()


def test_feedback_is_recorded_and_summarised(tmp_path: Path) -> None:
    log = Log(tmp_path / "log.db")
    run_id = log.record(full_run())
    other = log.record(RunRecord(question="other"))
    item = log.feedback(run_id[:14], good=False, comment="wrong table", user="alice")
    assert (item.run_id, item.rating, item.comment, item.user) == (
        run_id,
        "bad",
        "wrong table",
        "alice",
    )
    log.feedback(run_id, good=True)
    log.feedback(run_id, good=True, user="bob")

    got = log.get(run_id)
    assert (got.good, got.bad) == (2, 1)
    assert [f.rating for f in got.feedback] == ["bad", "good", "good"]
    by_id = {run.id: run for run in log.runs()}
    assert (by_id[run_id].good, by_id[run_id].bad) == (2, 1)
    assert by_id[other].feedback == []
    summary = got.to_dict()["feedback"]
    assert (summary["good"], summary["bad"], len(summary["entries"])) == (2, 1, 3)


def test_invalid_values_are_refused(tmp_path: Path) -> None:
    log = Log(tmp_path / "log.db")
    with pytest.raises(ValueError, match="status"):
        log.record(RunRecord(question="q", status="maybe"))
    with pytest.raises(ValueError, match="question"):
        log.record(RunRecord(question=""))
    with pytest.raises(VedderError, match="unknown status"):
        log.runs(status="maybe")
    log.record(RunRecord(question="q", id="taken"))
    with pytest.raises(VedderError, match="already in the log"):
        log.record(RunRecord(question="q", id="taken"))


def test_a_file_that_is_not_a_log_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    path.write_text("this is not a database\n" * 100)
    with pytest.raises(VedderError, match="cannot use the conversation log") as error:
        Log(path).runs()
    assert error.value.hint is not None and "log:" in error.value.hint


@pytest.mark.parametrize(
    ("text", "ago"),
    [
        ("7d", timedelta(days=7)),
        ("12h", timedelta(hours=12)),
        ("30m", timedelta(minutes=30)),
        ("2w", timedelta(weeks=2)),
        ("45s", timedelta(seconds=45)),
        (" 3 D ", timedelta(days=3)),
    ],
)
def test_since_durations(text: str, ago: timedelta) -> None:
    now = datetime(2026, 11, 20, 12, tzinfo=timezone.utc)
    assert parse_since(text, now=now) == now - ago


def test_since_dates_and_nonsense() -> None:
    assert parse_since("2026-11-20T10:00:00+00:00") == datetime(
        2026, 11, 20, 10, tzinfo=timezone.utc
    )
    local = parse_since("2026-11-20")
    assert local.tzinfo is not None and (local.year, local.month, local.day) == (2026, 11, 20)
    with pytest.raises(VedderError) as error:
        parse_since("last tuesday")
    assert error.value.hint is not None and "7d" in error.value.hint


# --- locking ---------------------------------------------------------------------


def _hold_write_lock(path: Path, seconds: float) -> threading.Thread:
    """Take the log's write lock in another connection and release it after ``seconds``."""
    locked = threading.Event()

    def hold() -> None:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        conn.execute("BEGIN IMMEDIATE")
        locked.set()
        time.sleep(seconds)
        conn.execute("COMMIT")
        conn.close()

    thread = threading.Thread(target=hold)
    thread.start()
    locked.wait()
    return thread


def test_a_busy_log_is_retried_with_backoff(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    Log(path).record(RunRecord(question="first"))
    # The busy handler alone would give up after 10 ms; the retries outlast the lock.
    log = Log(path, busy_timeout=0.01, retries=10, backoff=0.02, max_backoff=0.1)
    holder = _hold_write_lock(path, 0.3)
    try:
        log.record(RunRecord(question="second"))
    finally:
        holder.join()
    assert [run.question for run in log.runs()] == ["second", "first"]


def test_a_log_locked_for_good_gives_up_with_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    Log(path).record(RunRecord(question="first"))
    log = Log(path, busy_timeout=0.01, retries=2, backoff=0.01)
    holder = _hold_write_lock(path, 0.5)
    try:
        with pytest.raises(VedderError, match="stayed locked") as error:
            log.record(RunRecord(question="second"))
        assert error.value.hint is not None and "try again" in error.value.hint
        # Readers are not blocked by a writer in WAL mode.
        assert [run.question for run in log.runs()] == ["first"]
    finally:
        holder.join()


# --- the commands ---------------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "vedder.yaml").write_text("version: 1\nclusters: clusters\nlog: .vedder/log.db\n")
    return root


def vedder(project: Path, *args: str) -> tuple[int, str, str]:
    """Run a command in-process; a VedderError exits with its code, as `main` does."""
    result = CliRunner().invoke(app, ["--config", str(project / "vedder.yaml"), *args])
    if isinstance(result.exception, VedderError):
        return result.exception.exit_code, result.stdout, str(result.exception)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def seed(project: Path) -> dict[str, str]:
    log = Log(project / ".vedder" / "log.db")
    return {
        "answered": log.record(full_run()),
        "not_covered": log.record(RunRecord(question="Churn of premium?", status="not_covered")),
        "error": log.record(
            RunRecord(question="Top shows?", cluster="music", status="error", error="timeout")
        ),
    }


def test_cli_statuses_match_the_library() -> None:
    assert tuple(status.value for status in RunStatus) == STATUSES


def test_log_on_an_empty_project(project: Path) -> None:
    code, out, _ = vedder(project, "log")
    assert code == 0
    assert "No runs logged yet" in out
    code, out, _ = vedder(project, "log", "--json")
    assert (code, json.loads(out)) == (0, [])
    assert not (project / ".vedder").exists()


def test_log_table(project: Path) -> None:
    ids = seed(project)
    code, out, _ = vedder(project, "log")
    assert code == 0
    for run_id in ids.values():
        assert run_id in out
    assert "not_covered" in out and "Top shows?" in out
    assert out.index(ids["error"]) < out.index(ids["answered"])  # newest first


def test_log_json_shape_and_filters(project: Path) -> None:
    ids = seed(project)
    code, out, _ = vedder(project, "log", "--json")
    assert code == 0
    runs = json.loads(out)
    assert [run["id"] for run in runs] == [ids["error"], ids["not_covered"], ids["answered"]]
    answered = runs[2]
    assert {
        "id",
        "created_at",
        "question",
        "cluster",
        "status",
        "answer",
        "sql",
        "columns",
        "row_count",
        "sources",
        "tool_calls",
        "model",
        "prompt_tokens",
        "completion_tokens",
        "duration_ms",
        "confidence",
        "error",
        "conversation_id",
        "turn",
        "feedback",
    } == set(answered)
    assert answered["sources"]["pairs"] == ["podcasts/weekly_listeners"]
    assert answered["feedback"] == {"good": 0, "bad": 0, "entries": []}

    def ids_for(*args: str) -> list[str]:
        code, out, _ = vedder(project, "log", "--json", *args)
        assert code == 0
        return [run["id"] for run in json.loads(out)]

    assert ids_for("--cluster", "music") == [ids["error"]]
    assert ids_for("--status", "not_covered") == [ids["not_covered"]]
    assert ids_for("--limit", "1") == [ids["error"]]
    assert ids_for("--since", "1h") == [ids["error"], ids["not_covered"], ids["answered"]]
    assert ids_for("--since", "2099-01-01") == []


def test_log_one_run_in_full(project: Path) -> None:
    ids = seed(project)
    Log(project / ".vedder" / "log.db").feedback(ids["answered"], good=False, comment="stale")
    code, out, _ = vedder(project, "log", ids["answered"][:15])
    assert code == 0
    for text in (
        ids["answered"],
        "How many listeners streamed a podcast in Sweden last week?",
        "1,234 listeners.",
        "count(DISTINCT listener_id)",
        "podcasts/weekly_listeners",
        "search_context",
        "2,345 ms",
        "openai/gpt-4o-mini",
        "stale",
    ):
        assert text in out, text

    code, out, _ = vedder(project, "log", ids["answered"], "--json")
    assert code == 0
    detail = json.loads(out)
    assert detail["id"] == ids["answered"]
    assert detail["feedback"]["bad"] == 1
    assert detail["feedback"]["entries"][0]["comment"] == "stale"


@pytest.mark.parametrize(
    "args", [["--status", "maybe"], ["--since", "soon"], ["--limit", "0"], ["--nope"]]
)
def test_log_usage_errors_exit_2(project: Path, args: list[str]) -> None:
    code, _, _ = vedder(project, "log", *args)
    assert code == 2


def test_feedback_command(project: Path) -> None:
    ids = seed(project)
    code, out, _ = vedder(
        project, "feedback", ids["answered"][:15], "--bad", "-m", "wrong table", "--json"
    )
    assert code == 0
    item = json.loads(out)
    assert {"id", "run_id", "rating", "created_at", "comment", "user"} == set(item)
    assert (item["run_id"], item["rating"], item["comment"]) == (
        ids["answered"],
        "bad",
        "wrong table",
    )

    code, out, _ = vedder(project, "feedback", ids["error"], "--good", "--user", "alice")
    assert code == 0
    assert "Recorded" in out and ids["error"] in out

    code, out, _ = vedder(project, "log", "--json")
    summary = {run["id"]: run["feedback"] for run in json.loads(out)}
    assert (summary[ids["answered"]]["bad"], summary[ids["error"]]["good"]) == (1, 1)
    assert summary[ids["error"]]["entries"][0]["user"] == "alice"


@pytest.mark.parametrize("flags", [["--good", "--bad"], []])
def test_feedback_needs_exactly_one_verdict(project: Path, flags: list[str]) -> None:
    ids = seed(project)
    code, _, err = vedder(project, "feedback", ids["answered"], *flags)
    assert code == 2
    assert "exactly one of --good or --bad" in err
    assert Log(project / ".vedder" / "log.db").get(ids["answered"]).feedback == []


def test_unknown_run_id_through_the_real_entry_point(project: Path) -> None:
    seed(project)
    for args in (["feedback", "ffff", "--good"], ["log", "ffff"]):
        done = subprocess.run(
            [sys.executable, "-m", "vedder", *args], cwd=project, capture_output=True, text=True
        )
        assert done.returncode == 2, done.stderr
        assert "ffff" in done.stderr and "vedder log" in done.stderr
        assert "Traceback" not in done.stderr
