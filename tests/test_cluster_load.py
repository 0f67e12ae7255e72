"""Loading a well-formed project fills every field of the model."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from vedder.cluster.load import dialect_for_url, load_cluster, load_project, parse_pair
from vedder.cluster.model import Project
from vedder.config import Config, load_config

GOOD = Path(__file__).parent / "fixtures" / "clusters" / "good"


@pytest.fixture
def project(tmp_path: Path) -> Project:
    root = tmp_path / "good"
    shutil.copytree(GOOD, root)
    return load_project(load_config(root / "vedder.yaml"), use_cache=False, workers=1)


def test_good_project_loads_without_problems(project: Project) -> None:
    assert project.problems == []
    assert list(project.clusters) == ["music", "podcasts"]


def test_cluster_fields(project: Project) -> None:
    podcasts = project.clusters["podcasts"]
    assert podcasts.name == "podcasts"
    assert podcasts.path == "clusters/podcasts"
    assert podcasts.title == "Podcast consumption"
    assert podcasts.description == "Listening, follows and episode engagement for podcasts."
    assert podcasts.owners.team == "podcast-insights"
    assert podcasts.owners.contacts == ["alice@example.com", "bob@example.com"]
    assert podcasts.topics == ["podcast", "episode", "show", "listener"]
    assert podcasts.warehouse == "default"
    assert podcasts.lines["warehouse"] == 8
    assert podcasts.tables == ["analytics.shows", "analytics.podcast_streams"]
    music = project.clusters["music"]
    assert (music.title, music.warehouse, music.owners.contacts) == (None, "pg", [])


def test_dataset_fields(project: Project) -> None:
    streams = project.clusters["podcasts"].datasets["streams"]
    assert streams.name == "streams"
    assert streams.table == "analytics.podcast_streams"
    assert streams.path == "clusters/podcasts/datasets/streams.yaml"
    assert streams.description == "One row per stream of at least 30 seconds."
    assert streams.partition is not None
    assert (streams.partition.column, streams.partition.granularity) == ("stream_date", "day")
    assert streams.freshness is not None
    assert (streams.freshness.column, streams.freshness.warn_after) == ("stream_date", "2d")
    assert streams.freshness.error_after == "7d"
    assert [c.name for c in streams.columns] == [
        "country",
        "listener_id",
        "user_id",
        "stream_date",
        "ms_played",
    ]
    country = streams.columns[0]
    assert (country.type, country.synonyms, country.line) == ("VARCHAR", ["market"], 6)
    assert country.description == "ISO 3166 alpha-2 country of the listener."
    listener = streams.column("LISTENER_ID")
    assert listener is not None and listener.synonyms == ["user", "account"]
    user = streams.column("user_id")
    assert user is not None and (user.type, user.avoid) == (None, "Use listener_id instead.")
    played = streams.column("ms_played")
    assert played is not None and played.description == "Milliseconds played: at least 30000."
    shows = project.clusters["podcasts"].datasets["shows"]
    # a folded block scalar (read by PyYAML) and a compact sequence
    assert shows.description == "Every podcast show in the catalogue, including removed ones.\n"
    assert [(c.name, c.line) for c in shows.columns] == [("show_id", 7), ("category", 9)]


def test_profile_fields(project: Project) -> None:
    profile = project.clusters["podcasts"].profiles["streams"]
    assert profile.dataset == "streams"
    assert profile.table == "analytics.podcast_streams"
    assert profile.path == "clusters/podcasts/profiles/streams.yaml"
    assert profile.profiled_at == "2026-11-25T17:00:00Z"
    assert profile.duration_ms == 812.4
    assert profile.row_count == 1523000
    assert profile.sample is None
    assert (profile.partition_column, profile.partition_min, profile.partition_max) == (
        "stream_date",
        "2024-01-01",
        "2026-11-20",
    )
    country = profile.column("country")
    assert country is not None
    assert (country.type, country.null_fraction, country.distinct_count) == ("VARCHAR", 0.0, 42)
    assert country.distinct_approximate is True
    assert (country.min, country.max) == ("AR", "ZA")
    assert country.top_values is not None
    assert [(v.value, v.count, v.share) for v in country.top_values] == [
        ("SE", 400000, 0.2626),
        ("NO", 100000, 0.0657),
        (None, 10, 0.0),
    ]
    played = profile.column("ms_played")
    assert played is not None and played.top_values is None and played.max == 10800000


def test_docs_with_and_without_front_matter(project: Project) -> None:
    docs = {d.name: d for d in project.clusters["podcasts"].docs}
    definitions = docs["definitions"]
    assert definitions.path == "clusters/podcasts/docs/definitions.md"
    assert definitions.title == "Listener definitions"
    assert definitions.tags == ["listeners", "definitions"]
    assert definitions.datasets == ["streams"]
    assert definitions.body.startswith("# Definitions\n")
    assert definitions.body_line == 6
    assert definitions.lines == {"title": 2, "tags": 3, "datasets": 4}
    gotchas = docs["gotchas"]
    assert gotchas.title == "Gotchas"  # from the first heading
    assert (gotchas.tags, gotchas.datasets, gotchas.body_line) == ([], [], 1)
    assert gotchas.body.startswith("# Gotchas\n")


def test_pairs_with_repeated_questions(project: Project) -> None:
    pairs = {p.slug: p for p in project.clusters["podcasts"].pairs}
    se = pairs["listeners-se"]
    assert se.path == "clusters/podcasts/pairs/listeners-se.sql"
    assert se.questions == [
        "How many listeners streamed a podcast in Sweden last week?",
        "Weekly podcast listeners in SE",
    ]
    assert (se.verified_by, se.verified_at) == ("alice@example.com", "2026-11-20")
    assert se.tags == ["listeners", "country"]
    assert se.status == "vetted"
    assert se.sql.startswith("SELECT count(DISTINCT listener_id)")
    assert se.sql.endswith("current_date - 7;")
    assert se.sql_line == 6
    assert se.meta["question"] == se.questions
    assert se.lines["tags"] == 5
    top = pairs["top-shows"]
    assert top.tags == ["shows", "ranking"]  # tags may repeat too
    assert top.meta["reviewed_in"] == ["PR 42"]  # every key is kept
    assert top.sql.startswith("-- the join keeps removed shows on purpose\nSELECT")
    assert top.sql_line == 8


def test_candidates(project: Project) -> None:
    (candidate,) = project.clusters["podcasts"].candidates
    assert candidate.slug == "avg-minutes"
    assert candidate.status == "candidate"
    assert candidate.meta["source"] == ["query-log 2026-11-24 (run 14 times by carol@example.com)"]
    assert candidate.verified_by is None


def test_pairs_parse_in_the_cluster_warehouse_dialect(project: Project) -> None:
    (pair,) = project.clusters["music"].pairs  # warehouse pg -> postgres
    assert pair.slug == "top-artists"


def test_load_cluster_reads_one_folder(tmp_path: Path) -> None:
    root = tmp_path / "good"
    shutil.copytree(GOOD, root)
    config = load_config(root / "vedder.yaml")
    cluster, problems = load_cluster(config, "podcasts")
    assert problems == []
    assert sorted(cluster.datasets) == ["shows", "streams"]
    same, _ = load_cluster(config, root / "clusters" / "podcasts")
    assert same == cluster


def test_parse_pair_helper() -> None:
    text = "-- question: A?\n-- question: B?\n-- tags: x, y,\nSELECT `a` FROM t\n"
    pair, problems = parse_pair(text, "clusters/c/pairs/q.sql", dialect="mysql")
    assert problems == []
    assert pair is not None
    assert (pair.questions, pair.tags, pair.sql_line) == (["A?", "B?"], ["x", "y"], 4)
    pair, problems = parse_pair(text, "clusters/c/pairs/q.sql", dialect="postgres")
    assert pair is None  # backticks are not postgres
    assert [(p.code, p.line) for p in problems] == [("pair-sql", 4)]


@pytest.mark.parametrize(
    ("url", "dialect"),
    [
        ("duckdb:///w.duckdb", "duckdb"),
        ("sqlite:///w.db", "sqlite"),
        ("postgresql://u@h/db", "postgres"),
        ("postgresql+psycopg://u@h/db", "postgres"),
        ("dbapi://trino.dbapi:connect?dialect=trino&host=h", "trino"),
        ("mystery://x", "duckdb"),
    ],
)
def test_dialect_for_url(url: str, dialect: str) -> None:
    assert dialect_for_url(url) == dialect


@pytest.mark.parametrize("parent_takes_chunks", [True, False])
def test_parallel_load_matches_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parent_takes_chunks: bool
) -> None:
    from vedder.cluster import load

    config, alone = _parallel_ready(tmp_path, monkeypatch)
    monkeypatch.setattr(load, "PARENT_TAKES_CHUNKS", parent_takes_chunks)
    finished = _count_parallel_loads(monkeypatch)
    together = load_project(config, use_cache=False, workers=3)
    assert finished == [9], "the worker processes did not parse the files"
    assert together == alone


def _parallel_ready(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Config, Project]:
    """A copy of the good project, its in-process load, and worker processes that start
    at once and take one file at a time."""
    from vedder.cluster import load

    root = tmp_path / "good"
    shutil.copytree(GOOD, root)
    config = load_config(root / "vedder.yaml")
    alone = load_project(config, use_cache=False, workers=1)
    monkeypatch.setattr(load, "PARALLEL_MIN_FILES", 1)
    monkeypatch.setattr(load, "CHUNK_FILES", 1)  # one queue entry per file
    return config, alone


def _count_parallel_loads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    from vedder.cluster import load

    finished: list[int] = []
    real = load._parse_parallel

    def parallel(*args: object) -> object:
        results = real(*args)  # type: ignore[arg-type]
        finished.append(len(results))  # reached only when nothing went wrong
        return results

    monkeypatch.setattr(load, "_parse_parallel", parallel)
    return finished


@pytest.mark.parametrize(
    "script",
    [
        "raise SystemExit(3)",
        # Takes one chunk from the queue and dies without sending it back.
        "import os, sys; sys.stdin.buffer.read(); os.read({queue}, 2); raise SystemExit(3)",
        # Sends garbage.
        "import sys; sys.stdin.buffer.read(); sys.stdout.buffer.write(b'x' * 20)",
    ],
    ids=["dies-at-start", "dies-with-a-chunk", "talks-nonsense"],
)
def test_a_failing_worker_costs_time_not_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str
) -> None:
    from vedder.cluster import load

    config, alone = _parallel_ready(tmp_path, monkeypatch)
    monkeypatch.setattr(load, "WORKER_SCRIPT", script)
    assert load_project(config, use_cache=False, workers=2) == alone
