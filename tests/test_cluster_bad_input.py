"""Bad input becomes problems, never a traceback, and the rest still loads.

Each folder under tests/fixtures/clusters/bad/ is a small project with an
``expected.yaml``: the problems loading it must report (exactly: code, path,
line, severity) and what must still load. Symlinks are made by the test
(``symlinks:``), since a checkout cannot be trusted to keep them; a target
starting with OUTSIDE points to a folder outside the project.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from vedder.cluster.load import load_project
from vedder.cluster.model import Project
from vedder.config import load_config

BAD = Path(__file__).parent / "fixtures" / "clusters" / "bad"
CASES = sorted(p.name for p in BAD.iterdir() if (p / "expected.yaml").is_file())
PAST = 1_700_000_000  # an mtime well outside the cache's racy window


def copy_case(name: str, tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    project = tmp_path / "project"
    shutil.copytree(BAD / name, project, ignore=shutil.ignore_patterns("expected.yaml"))
    expected = yaml.safe_load((BAD / name / "expected.yaml").read_text(encoding="utf-8"))
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.yaml").write_text("table: analytics.secret\n", encoding="utf-8")
    for link, target in (expected.get("symlinks") or {}).items():
        (project / link).symlink_to(target.replace("OUTSIDE", str(outside)))
    for folder, _, files in os.walk(project):
        for file in files:
            os.utime(Path(folder, file), (PAST, PAST), follow_symlinks=False)
    return project, expected


def found(project: Project) -> list[dict[str, Any]]:
    return [
        {"code": p.code, "path": p.path, "line": p.line, "severity": p.severity}
        for p in project.problems
    ]


def loaded(project: Project) -> dict[str, dict[str, list[str]]]:
    out = {}
    for cluster in project.clusters.values():
        kinds = {
            "datasets": sorted(cluster.datasets),
            "profiles": sorted(cluster.profiles),
            "docs": sorted(d.name for d in cluster.docs),
            "pairs": sorted(p.slug for p in cluster.pairs),
            "candidates": sorted(p.slug for p in cluster.candidates),
        }
        out[cluster.name] = {kind: names for kind, names in kinds.items() if names}
    return out


def _key(problem: dict[str, Any]) -> tuple[str, int, str]:
    return (problem["path"], problem["line"] or 0, problem["code"])


@pytest.mark.parametrize("case", CASES)
def test_bad_input_is_reported_and_the_rest_loads(case: str, tmp_path: Path) -> None:
    root, expected = copy_case(case, tmp_path)
    project = load_project(load_config(root / "vedder.yaml"), use_cache=False, workers=1)

    assert sorted(found(project), key=_key) == sorted(expected["problems"], key=_key)
    assert loaded(project) == expected["loaded"]
    for problem in project.problems:
        assert problem.message
        assert problem.severity == "warning" or problem.hint, problem
        assert not Path(problem.path).is_absolute()


@pytest.mark.parametrize("case", CASES)
def test_problems_are_cached_with_their_files(case: str, tmp_path: Path) -> None:
    root, expected = copy_case(case, tmp_path)
    config = load_config(root / "vedder.yaml")
    first = load_project(config, use_cache=True, workers=1)
    again = load_project(config, use_cache=True, workers=1)
    assert found(again) == found(first)
    assert loaded(again) == loaded(first) == expected["loaded"]


def test_unknown_keys_suggest_the_known_one(tmp_path: Path) -> None:
    root, _ = copy_case("keys", tmp_path)
    project = load_project(load_config(root / "vedder.yaml"), use_cache=False, workers=1)
    hints = {p.message: p.hint for p in project.problems if p.code == "unknown-key"}
    assert hints["cluster.yaml: unknown key 'titel' is ignored"] == "did you mean 'title'?"
    assert hints["column 1 (id): unknown key 'synonym' is ignored"] == "did you mean 'synonyms'?"
    assert (
        "known keys: avoid, description" in hints["column 1 (id): unknown key 'colour' is ignored"]
    )


def test_a_bool_in_a_list_of_text_says_to_quote_it(tmp_path: Path) -> None:
    root, _ = copy_case("wrong-types", tmp_path)
    project = load_project(load_config(root / "vedder.yaml"), use_cache=False, workers=1)
    synonyms = project.clusters["c"].datasets["synonyms"]
    market = synonyms.column("market")
    assert market is not None and market.synonyms == ["region"]
    (problem,) = [p for p in project.problems if p.path.endswith("synonyms.yaml") and p.line == 7]
    assert "quote it" in (problem.hint or "")


def test_sql_errors_point_at_the_file_line(tmp_path: Path) -> None:
    root, _ = copy_case("pairs", tmp_path)
    project = load_project(load_config(root / "vedder.yaml"), use_cache=False, workers=1)
    messages = {p.path.rsplit("/", 1)[-1]: p.message for p in project.problems}
    assert "near '='" in messages["bad-line.sql"]
    assert "sqlglot." not in messages["bad-line.sql"]  # no internal class names
    assert "duckdb" in messages["bad-sql.sql"]


def test_a_missing_clusters_folder_is_a_problem(tmp_path: Path) -> None:
    (tmp_path / "vedder.yaml").write_text("version: 1\nclusters: nowhere\n", encoding="utf-8")
    project = load_project(load_config(tmp_path / "vedder.yaml"), use_cache=False)
    assert [(p.code, p.path) for p in project.problems] == [("missing-folder", "nowhere")]
    assert project.clusters == {}


def test_a_file_that_crashes_a_parser_is_reported_not_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vedder.cluster import load

    root, _ = copy_case("yaml-syntax", tmp_path)

    def explode(text: str, path: str) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(load, "parse_dataset", explode)
    project = load_project(load_config(root / "vedder.yaml"), use_cache=False, workers=1)
    assert {p.code for p in project.problems} >= {"internal-error"}
    assert "c" in project.clusters


@pytest.mark.parametrize("case", CASES)
def test_worker_processes_report_the_same(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vedder.cluster import load

    root, expected = copy_case(case, tmp_path)
    monkeypatch.setattr(load, "PARALLEL_MIN_FILES", 1)
    monkeypatch.setattr(load, "CHUNK_FILES", 1)
    # Every file goes to the worker processes: this one parsing any would mean
    # a worker failed and its files were parsed here instead.
    monkeypatch.setattr(load, "PARENT_TAKES_CHUNKS", False)
    monkeypatch.setattr(load, "_parse_many", _no_fallback)
    project = load_project(load_config(root / "vedder.yaml"), use_cache=False, workers=3)
    assert sorted(found(project), key=_key) == sorted(expected["problems"], key=_key)
    assert loaded(project) == expected["loaded"]


def _no_fallback(root: str, jobs: list[Any]) -> Any:
    raise AssertionError("a worker failed and this process parsed its files")


def test_hostile_yaml_is_a_problem_not_a_hang(tmp_path: Path) -> None:
    # Deep nesting and an alias "billion laughs": neither may raise or blow up.
    root = tmp_path / "p"
    datasets = root / "clusters" / "c" / "datasets"
    datasets.mkdir(parents=True)
    (root / "vedder.yaml").write_text("version: 1\n", encoding="utf-8")
    (root / "clusters" / "c" / "cluster.yaml").write_text("name: c\n", encoding="utf-8")
    (datasets / "deep.yaml").write_text(
        "table: t\ncolumns:\n" + "".join("  " * i + "- \n" for i in range(1, 3000)),
        encoding="utf-8",
    )
    laughs = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    laughs += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 12)]
    laughs += ["table: t2", "columns: *a11", "description: *a11"]
    (datasets / "laughs.yaml").write_text("\n".join(laughs) + "\n", encoding="utf-8")
    project = load_project(load_config(root / "vedder.yaml"), use_cache=False, workers=1)
    codes = {(p.path.rsplit("/", 1)[-1], p.code) for p in project.problems}
    assert ("laughs.yaml", "wrong-type") in codes
    assert any(name == "deep.yaml" for name, _ in codes)
    assert "internal-error" not in {code for _, code in codes}
