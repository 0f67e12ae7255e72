"""``vedder profile`` end to end: a tiny project in a temp folder, run as a user would."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import yaml

PLAYS = """\
table: main.plays
description: One row per play.
partition: {column: play_date, granularity: day}
columns:
  - name: play_date
  - name: country
  - name: listener_id
"""

GHOST = """\
table: main.ghost_plays
description: A table the warehouse does not have.
"""


def run(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vedder", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    datasets = root / "clusters" / "music" / "datasets"
    datasets.mkdir(parents=True)
    (root / "vedder.yaml").write_text(
        'version: 1\nclusters: clusters\nwarehouses:\n  default: {url: "duckdb:///wh.duckdb"}\n',
        encoding="utf-8",
    )
    (root / "clusters" / "music" / "cluster.yaml").write_text(
        "name: music\ntitle: Music\ndescription: Plays.\nowners: {team: music}\n",
        encoding="utf-8",
    )
    (datasets / "plays.yaml").write_text(PLAYS, encoding="utf-8")
    with duckdb.connect(str(root / "wh.duckdb")) as conn:
        # 1,000 plays: SE 500, NO 300, US 200; 30 days from 2026-01-01.
        conn.execute(
            "CREATE TABLE plays AS SELECT DATE '2026-01-01' + (i % 30)::INTEGER AS play_date, "
            "CASE WHEN i % 10 < 5 THEN 'SE' WHEN i % 10 < 8 THEN 'NO' ELSE 'US' END AS country, "
            "i AS user_id FROM range(1000) t(i)"
        )
    return root


def test_profile_writes_the_file_and_a_summary(project: Path) -> None:
    done = run(project, "profile", "music", "plays")
    assert done.returncode == 0, done.stderr
    written = project / "clusters" / "music" / "profiles" / "plays.yaml"
    text = written.read_text(encoding="utf-8")
    assert text.startswith("# Written by `vedder profile`; regenerate instead of editing.\n")
    data = yaml.safe_load(text)
    assert (data["dataset"], data["table"], data["row_count"]) == ("plays", "main.plays", 1000)
    assert data["partition"] == {"column": "play_date", "min": "2026-01-01", "max": "2026-01-30"}
    country = next(c for c in data["columns"] if c["name"] == "country")
    assert country["top_values"] == [
        {"value": "SE", "count": 500, "share": 0.5},
        {"value": "NO", "count": 300, "share": 0.3},
        {"value": "US", "count": 200, "share": 0.2},
    ]
    # The manifest lists listener_id; the table has user_id instead.
    assert "clusters/music/datasets/plays.yaml" in done.stderr
    assert "listener_id" in done.stderr
    (row,) = [line for line in done.stdout.splitlines() if "plays" in line and "1,000" in line]
    assert row.split()[0] == "music"
    assert "profiled 1 dataset" in done.stdout


def test_written_profile_loads_without_problems(project: Path) -> None:
    assert run(project, "profile").returncode == 0
    from vedder.cluster.load import load_project
    from vedder.config import load_config

    loaded = load_project(load_config(project / "vedder.yaml"), use_cache=False)
    assert [p for p in loaded.problems if "profiles" in p.path] == []
    profile = loaded.clusters["music"].profiles["plays"]
    assert profile.row_count == 1000
    assert profile.partition_max == "2026-01-30"


def test_json_output(project: Path) -> None:
    done = run(project, "profile", "--json", "--sample", "50%")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["failed"] == 0
    (plays,) = data["datasets"]
    assert plays["cluster"] == "music" and plays["dataset"] == "plays"
    assert plays["status"] == "ok"
    assert plays["columns"] == 3
    assert plays["file"] == "clusters/music/profiles/plays.yaml"
    assert plays["profile"]["sample"] == 0.5
    assert 300 <= plays["rows"] <= 1700  # scaled up from about half the rows
    assert any("listener_id" in w for w in plays["warnings"])
    written = yaml.safe_load((project / plays["file"]).read_text(encoding="utf-8"))
    assert written["sample"] == 0.5


def test_a_failing_dataset_does_not_stop_the_others(project: Path) -> None:
    (project / "clusters" / "music" / "datasets" / "ghost.yaml").write_text(GHOST)
    done = run(project, "profile", "--json")
    assert done.returncode == 1
    data = json.loads(done.stdout)
    by_name = {d["dataset"]: d for d in data["datasets"]}
    assert by_name["plays"]["status"] == "ok"
    assert by_name["ghost"]["status"] == "failed"
    assert "clusters/music/datasets/ghost.yaml" in by_name["ghost"]["error"]
    assert "main.ghost_plays" in by_name["ghost"]["error"]
    assert "clusters/music/datasets/ghost.yaml" in done.stderr
    assert "Traceback" not in done.stderr
    assert (project / "clusters" / "music" / "profiles" / "plays.yaml").is_file()
    assert not (project / "clusters" / "music" / "profiles" / "ghost.yaml").exists()


def test_unknown_cluster_lists_the_known_ones(project: Path) -> None:
    done = run(project, "profile", "podcasts")
    assert done.returncode == 2
    assert "podcasts" in done.stderr and "known: music" in done.stderr
    assert "Traceback" not in done.stderr


def test_unknown_dataset_lists_the_known_ones(project: Path) -> None:
    done = run(project, "profile", "music", "streams")
    assert done.returncode == 2
    assert "streams" in done.stderr and "known: plays" in done.stderr


@pytest.mark.parametrize("sample", ["ten", "0", "150%"])
def test_bad_sample_is_a_usage_error(project: Path, sample: str) -> None:
    done = run(project, "profile", "--sample", sample)
    assert done.returncode == 2
    assert "sample" in done.stderr
    assert not (project / "clusters" / "music" / "profiles").exists()


def test_profile_is_in_help(project: Path) -> None:
    done = run(project, "profile", "--help")
    assert done.returncode == 0
    assert "--sample" in done.stdout and "--json" in done.stdout
