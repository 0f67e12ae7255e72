"""vedder.yaml: discovery, environment expansion and overrides, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from vedder.config import find_config, load_config
from vedder.errors import ConfigError

BASIC = """\
version: 1
clusters: clusters
warehouses:
  default: {url: "duckdb:///data/wh.duckdb", timeout: 12}
  pg: {url: "postgresql://reader:${PG_PASSWORD}@localhost/db"}
model: offline
log: .vedder/log.db
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "vedder.yaml").write_text(BASIC)
    (tmp_path / "a" / "b").mkdir(parents=True)
    return tmp_path


def test_found_by_walking_up(root: Path) -> None:
    assert find_config(root / "a" / "b") == (root / "vedder.yaml").resolve()
    config = load_config(cwd=root / "a" / "b", env={})
    assert config.root == root.resolve()
    assert config.clusters_dir == root.resolve() / "clusters"
    assert config.log_path == root.resolve() / ".vedder/log.db"
    assert config.warehouse("default").timeout_s == 12


def test_explicit_path_and_env_var(root: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    assert load_config(root / "vedder.yaml", cwd=elsewhere, env={}).root == root.resolve()
    assert load_config(cwd=elsewhere, env={"VEDDER_CONFIG": str(root)}).root == root.resolve()


def test_env_expansion_and_missing_variables(root: Path) -> None:
    config = load_config(cwd=root, env={"PG_PASSWORD": "s3cret"})
    assert config.warehouse("pg").url == "postgresql://reader:s3cret@localhost/db"
    assert config.warehouse("pg").missing_env == ()
    unset = load_config(cwd=root, env={})
    assert unset.warehouse("pg").missing_env == ("PG_PASSWORD",)


def test_environment_overrides(root: Path) -> None:
    config = load_config(
        cwd=root,
        env={"VEDDER_MODEL": "openai/gpt-4o-mini", "VEDDER_WAREHOUSE_URL": "sqlite:///x.db"},
    )
    assert config.model == "openai/gpt-4o-mini"
    assert config.warehouse("default").url == "sqlite:///x.db"
    assert config.warehouse("default").timeout_s == 12  # kept from the file


def test_missing_config_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(cwd=tmp_path, env={})
    text = str(raised.value)
    assert "no vedder.yaml found" in text
    assert "version: 1" in text and "--config" in text


def test_malformed_yaml_points_at_the_line(tmp_path: Path) -> None:
    (tmp_path / "vedder.yaml").write_text("version: 1\nwarehouses:\n  default: {url: [\n")
    with pytest.raises(ConfigError) as raised:
        load_config(cwd=tmp_path, env={})
    assert raised.value.line is not None and raised.value.line >= 3
    assert "invalid YAML" in raised.value.message


def test_unknown_keys_are_reported_with_a_suggestion(tmp_path: Path) -> None:
    (tmp_path / "vedder.yaml").write_text("version: 1\nwarehoses: {}\n")
    config = load_config(cwd=tmp_path, env={})
    assert any("'warehoses'" in w and "did you mean 'warehouses'" in w for w in config.warnings)


def test_newer_format_version_is_refused_with_a_hint(tmp_path: Path) -> None:
    (tmp_path / "vedder.yaml").write_text("version: 99\n")
    with pytest.raises(ConfigError, match="format version 99"):
        load_config(cwd=tmp_path, env={})


def test_unknown_warehouse_lists_known_ones(root: Path) -> None:
    config = load_config(cwd=root, env={})
    with pytest.raises(ConfigError, match="known: default, pg"):
        config.warehouse("snowflake")


def test_non_utf8_config_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "vedder.yaml").write_bytes(b"version: 1\nmodel: \xff\xfe\n")
    with pytest.raises(ConfigError, match="UTF-8"):
        load_config(cwd=tmp_path, env={})
