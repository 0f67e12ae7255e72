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
def _isolated_user_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keep tests away from the developer's home, config and environment overrides."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    for name in ("VEDDER_CONFIG", "VEDDER_MODEL", "VEDDER_WAREHOUSE_URL", "VEDDER_DEBUG"):
        monkeypatch.delenv(name, raising=False)


def _postgres_url() -> str:
    return os.environ.get(
        "VEDDER_TEST_PG_URL", "postgresql://postgres:vedder@127.0.0.1:5432/postgres"
    )


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


DEMO_WAREHOUSE = REPO / "examples" / "warehouse" / "streaming.duckdb"


@pytest.fixture(scope="session")
def demo_warehouse() -> Path:
    """The demo DuckDB warehouse (`make test` builds it first; built here when missing)."""
    import subprocess
    import sys

    if not DEMO_WAREHOUSE.exists():
        generator = REPO / "examples" / "warehouse" / "generate.py"
        subprocess.run([sys.executable, str(generator), "--out", str(DEMO_WAREHOUSE)], check=True)
    return DEMO_WAREHOUSE


@pytest.fixture
def demo_project(tmp_path: Path, demo_warehouse: Path) -> Path:
    """A vedder.yaml over the demo clusters and warehouse, with its log in a temp folder."""
    (tmp_path / "vedder.yaml").write_text(
        "version: 1\n"
        f"clusters: {REPO / 'clusters'}\n"
        f'warehouses:\n  default: {{url: "duckdb:///{demo_warehouse}"}}\n'
        "model: offline\n"
        "log: .vedder/log.db\n",
        encoding="utf-8",
    )
    return tmp_path
