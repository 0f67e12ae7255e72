"""``vedder clusters``, ``show`` and ``new`` on a small real project (DuckDB file made here)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import yaml

from tests.conftest import FIXTURES


def run(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "160"}  # wide enough that tables do not wrap words
    return subprocess.run(
        [sys.executable, "-m", "vedder", *args],
        cwd=project,
        capture_output=True,
        text=True,
        env=env,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "tiny"
    shutil.copytree(FIXTURES / "projects" / "tiny", root)
    with duckdb.connect(str(root / "warehouse.duckdb")) as conn:
        conn.execute(
            "CREATE TABLE plays AS SELECT DATE '2026-01-01' + (i % 30)::INTEGER AS play_date, "
            "['SE', 'NO', 'US'][1 + (i % 3)] AS country, i AS user_id FROM range(1000) t(i)"
        )
        conn.execute("CREATE TABLE podcasts (show_id INTEGER, title VARCHAR, listeners BIGINT)")
    return root


def test_clusters_lists_owners_and_counts(project: Path) -> None:
    done = run(project, "clusters", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    (music,) = data["clusters"]
    assert music["name"] == "music"
    assert music["team"] == "music-insights"
    assert (music["datasets"], music["docs"], music["pairs"], music["profiled"]) == (1, 1, 1, 0)
    assert data["problems"] == []


def test_clusters_table_for_people(project: Path) -> None:
    done = run(project, "clusters")
    assert done.returncode == 0, done.stderr
    assert "music" in done.stdout and "music-insights" in done.stdout


def test_show_summarises_one_cluster(project: Path) -> None:
    done = run(project, "show", "music", "--json")
    assert done.returncode == 0, done.stderr
    detail = json.loads(done.stdout)
    (plays,) = detail["datasets"]
    assert plays["table"] == "main.plays"
    assert plays["described"] == 1.0
    assert detail["pairs"][0]["phrasings"] == 2


def test_show_unknown_cluster_suggests_the_close_one(project: Path) -> None:
    done = run(project, "show", "musik")
    assert done.returncode == 2
    assert "no cluster named 'musik'" in done.stderr
    assert "did you mean 'music'" in done.stderr
    assert "Traceback" not in done.stderr


def test_new_cluster_then_dataset_from_live_schema(project: Path) -> None:
    done = run(project, "new", "cluster", "podcasts", "--team", "pods")
    assert done.returncode == 0, done.stderr
    assert (project / "clusters/podcasts/cluster.yaml").is_file()

    done = run(project, "new", "dataset", "podcasts", "podcasts", "--json")
    assert done.returncode == 0, done.stderr
    written = yaml.safe_load((project / "clusters/podcasts/datasets/podcasts.yaml").read_text())
    assert [c["name"] for c in written["columns"]] == ["show_id", "title", "listeners"]
    assert [c["type"] for c in written["columns"]] == ["INTEGER", "VARCHAR", "BIGINT"]
    assert json.loads(done.stdout)["also_listed_by"] == []

    # the new cluster loads cleanly alongside the old one
    listed = json.loads(run(project, "clusters", "--json").stdout)
    assert sorted(c["name"] for c in listed["clusters"]) == ["music", "podcasts"]


def test_new_dataset_warns_when_another_cluster_lists_the_table(project: Path) -> None:
    run(project, "new", "cluster", "other")
    done = run(project, "new", "dataset", "other", "main.plays")
    assert done.returncode == 0, done.stderr
    assert "cluster 'music' already lists main.plays" in done.stderr


def test_new_dataset_unknown_table_is_a_clear_error(project: Path) -> None:
    done = run(project, "new", "dataset", "music", "main.nope")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "nope" in done.stderr


def test_missing_config_says_how_to_create_one(tmp_path: Path) -> None:
    done = run(tmp_path, "clusters")
    assert done.returncode == 2
    assert "no vedder.yaml found" in done.stderr
    assert "version: 1" in done.stderr
