"""Shared fixtures: real engines only; every user directory points at a temp path."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
DEFOG = REPO.parent / "shared" / "benchmarks" / "defog"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep tests away from the developer's home, config and environment overrides."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    for name in ("VEDDER_CONFIG", "VEDDER_MODEL", "VEDDER_WAREHOUSE_URL", "VEDDER_DEBUG"):
        monkeypatch.delenv(name, raising=False)


def _postgres_url() -> str:
    return os.environ.get("VEDDER_TEST_PG_URL", "postgresql://postgres:vedder@127.0.0.1:5432/postgres")


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A reachable PostgreSQL server: skipped locally when there is none, an error in CI."""
    url = _postgres_url()
    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # any failure to reach the server decides skip vs fail
        message = f"PostgreSQL not reachable at {url}: {exc}"
        if IN_CI:
            pytest.fail(message + " (CI must provide a server; see .ci/run)")
        pytest.skip(message)
    yield url
