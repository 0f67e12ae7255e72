"""What the matcher works out is kept between runs, and only trusted while it holds."""

from __future__ import annotations

import os
import pickle
import shutil
import time
from pathlib import Path

import pytest

from vedder.answer import match as match_module
from vedder.answer.prepared import FOLDER, PreparedFacts
from vedder.ask import Session
from vedder.cluster.load import load_project
from vedder.config import load_config

REPO = Path(__file__).resolve().parent.parent
QUESTION = "How many unique listeners did we have in Norway in 2024?"


def _backdate(root: Path, seconds: float = 3600) -> None:
    """Files written by a test are brand new; caches ignore files that recent."""
    then = time.time() - seconds
    for path in [root, *root.rglob("*")]:
        os.utime(path, (then, then))


@pytest.fixture
def project_dir(tmp_path: Path, demo_warehouse: Path) -> Path:
    """A copy of the demo clusters that tests may edit, with old timestamps."""
    shutil.copytree(REPO / "clusters", tmp_path / "clusters")
    (tmp_path / "vedder.yaml").write_text(
        "version: 1\n"
        "clusters: clusters\n"
        f'warehouses:\n  default: {{url: "duckdb:///{demo_warehouse}"}}\n'
        "model: offline\n",
        encoding="utf-8",
    )
    _backdate(tmp_path)
    return tmp_path


def _session(root: Path) -> Session:
    config = load_config(root / "vedder.yaml")
    return Session.open(config, load_project(config), model="offline", log=False)


def _ask(root: Path, question: str = QUESTION) -> tuple[str | None, str | None]:
    with _session(root) as session:
        answer = session.ask(question)
    return answer.status, answer.sql


def test_a_later_run_reuses_what_an_earlier_one_worked_out(
    project_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _ask(project_dir)
    assert first[0] == "answered"
    assert sorted(p.name for p in (project_dir / ".vedder" / FOLDER).iterdir()) == [
        "listening.pickle",
        "podcasts.pickle",
    ]

    # The matcher parses a pair's SQL only while working out its facts (and
    # once more to adapt the chosen pair): with the facts kept, that is all.
    parsed: list[str] = []
    real_parse = match_module.parse

    def counting_parse(sql: str, dialect: str | None = None) -> object:
        parsed.append(sql)
        return real_parse(sql, dialect)

    monkeypatch.setattr(match_module, "parse", counting_parse)
    assert _ask(project_dir) == first
    assert len(parsed) == 1


def test_answers_are_the_same_with_and_without_kept_facts(project_dir: Path) -> None:
    questions = [
        QUESTION,
        "What was revenue by country in 2025?",
        "Which 5 podcasts had the most listeners in 2025?",
        "How many streams were there in Sweden in 2025 from playlists?",
    ]
    fresh = [_ask(project_dir, q) for q in questions]  # works out and keeps
    kept = [_ask(project_dir, q) for q in questions]  # reads what was kept
    assert kept == fresh
    assert any(status == "answered" for status, _ in fresh)


def test_an_edited_pair_is_worked_out_again(project_dir: Path) -> None:
    assert _ask(project_dir)[0] == "answered"
    pair = project_dir / "clusters" / "listening" / "pairs" / "listeners_in_country_year.sql"
    text = pair.read_text(encoding="utf-8")
    pair.write_text(text.replace("ms_played >= 30000", "ms_played >= 31000"), encoding="utf-8")
    _backdate(project_dir, seconds=60)  # a different time from the first copy's
    status, sql = _ask(project_dir)
    assert status == "answered"
    assert sql is not None and "31000" in sql


def test_a_just_modified_project_keeps_nothing(project_dir: Path) -> None:
    (project_dir / "vedder.yaml").touch()  # modified moments ago: not trusted yet
    with _session(project_dir) as session:
        assert not isinstance(session.index.cache, PreparedFacts)
        assert session.ask(QUESTION).status == "answered"
    assert not (project_dir / ".vedder" / FOLDER).exists()


class _Exploit:
    def __reduce__(self) -> tuple[object, ...]:
        return (os.system, ("touch pwned",))


def test_a_crafted_file_is_ignored_and_runs_nothing(
    project_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = _ask(project_dir)
    for path in (project_dir / ".vedder" / FOLDER).iterdir():
        path.write_bytes(pickle.dumps({"stamp": None, "entries": {("x", "y"): _Exploit()}}))
    monkeypatch.chdir(project_dir)
    assert _ask(project_dir) == expected
    assert not (project_dir / "pwned").exists()


def test_files_of_another_project_content_are_not_used(project_dir: Path) -> None:
    _ask(project_dir)
    kept = project_dir / ".vedder" / FOLDER / "listening.pickle"
    with kept.open("rb") as handle:
        payload = pickle.Unpickler(handle)
        payload.persistent_load = lambda pid: None  # type: ignore[method-assign]
        data = payload.load()
    config = load_config(project_dir / "vedder.yaml")
    project = load_project(config)
    assert data["stamp"][-2] == project.fingerprint
    facts = PreparedFacts.open(project, project_dir / ".vedder")
    assert facts.get(("cluster-facts", "listening", "duckdb")) is not None

    (project_dir / "clusters" / "listening" / "docs" / "new.md").write_text(
        "# New\n\nA new doc changes what the cluster knows.\n", encoding="utf-8"
    )
    _backdate(project_dir, seconds=60)
    changed = load_project(config)
    assert changed.fingerprint != project.fingerprint
    facts = PreparedFacts.open(changed, project_dir / ".vedder")
    assert isinstance(facts, PreparedFacts)
    assert facts.get(("cluster-facts", "listening", "duckdb")) is None
