"""``vedder.yaml``: finding it, reading it, and applying environment overrides.

The config is found by walking up from the working directory (like git finds
``.git``), or named by ``--config`` / ``VEDDER_CONFIG``. ``${VAR}`` inside a
value is expanded from the environment so secrets never live in the repository.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from vedder.errors import ConfigError

CONFIG_NAME = "vedder.yaml"
FORMAT_VERSION = 1
DEFAULT_MODEL = "offline"

KNOWN_KEYS = frozenset(
    {"version", "clusters", "warehouses", "model", "log", "guard", "retrieval", "profile", "cache"}
)
WAREHOUSE_KEYS = frozenset({"url", "timeout", "options"})

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

INIT_HINT = (
    "create one at the root of your repository, for example:\n"
    "    version: 1\n"
    "    clusters: clusters\n"
    "    warehouses:\n"
    '      default: {url: "duckdb:///warehouse.duckdb"}\n'
    "  or point to it with --config PATH or VEDDER_CONFIG."
)


@dataclass(frozen=True)
class WarehouseConfig:
    name: str
    url: str
    timeout_s: float = 30.0
    options: Mapping[str, Any] = field(default_factory=dict)
    missing_env: tuple[str, ...] = ()  # ${VAR}s in the url that the environment does not set


@dataclass
class Config:
    path: Path  # the vedder.yaml file
    root: Path  # the folder holding it; relative paths are resolved against it
    version: int
    clusters_dir: Path
    warehouses: dict[str, WarehouseConfig]
    model: str
    log_path: Path
    guard: dict[str, Any] = field(default_factory=dict)
    retrieval: dict[str, Any] = field(default_factory=dict)
    profile: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def cache_dir(self) -> Path:
        return self.root / ".vedder"

    def warehouse(self, name: str = "default") -> WarehouseConfig:
        try:
            return self.warehouses[name]
        except KeyError:
            known = ", ".join(sorted(self.warehouses)) or "none"
            raise ConfigError(
                f"no warehouse named {name!r} in {self.path.name} (known: {known})",
                hint=f"add it under 'warehouses:' in {self.path}",
                path=str(self.path),
            ) from None


def find_config(start: Path | None = None) -> Path | None:
    """The nearest ``vedder.yaml`` at or above ``start``."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def expand_env(value: str, env: Mapping[str, str]) -> tuple[str, list[str]]:
    """Replace ``${VAR}`` from ``env``; return the text and the names that were unset."""
    missing: list[str] = []

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in env:
            return env[name]
        missing.append(name)
        return match.group(0)

    return _ENV_REF.sub(substitute, value), missing


def load_config(
    path: str | Path | None = None,
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Config:
    """Read the project config; ``path`` wins over ``VEDDER_CONFIG`` over walking up."""
    env = os.environ if env is None else env
    explicit = path or env.get("VEDDER_CONFIG")
    if explicit:
        config_path = Path(explicit).expanduser()
        if config_path.is_dir():
            config_path = config_path / CONFIG_NAME
        if not config_path.is_file():
            raise ConfigError(f"config file not found: {config_path}", hint=INIT_HINT)
    else:
        found = find_config(cwd)
        if found is None:
            where = (cwd or Path.cwd()).resolve()
            raise ConfigError(
                f"no {CONFIG_NAME} found in {where} or any folder above it", hint=INIT_HINT
            )
        config_path = found
    config_path = config_path.resolve()
    data = _read_yaml(config_path)
    return _build(config_path, data, env)


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"not valid UTF-8 (byte {exc.start})", hint="save the file as UTF-8", path=str(path)
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read config: {exc.strerror}", path=str(path)) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or "malformed YAML"
        raise ConfigError(
            f"invalid YAML: {problem}",
            hint="check indentation and quoting near that line",
            path=str(path),
            line=mark.line + 1 if mark else None,
        ) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            "expected a mapping of settings at the top level",
            hint="start the file with 'version: 1'",
            path=str(path),
        )
    return data


def _did_you_mean(key: str, known: frozenset[str]) -> str:
    close = difflib.get_close_matches(key, sorted(known), n=1)
    return f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(sorted(known))}"


def _build(path: Path, data: dict[str, Any], env: Mapping[str, str]) -> Config:
    root = path.parent
    where = str(path)
    warnings = [
        f"{where}: unknown key {key!r} ignored; {_did_you_mean(str(key), KNOWN_KEYS)}"
        for key in data
        if key not in KNOWN_KEYS
    ]

    version = data.get("version", FORMAT_VERSION)
    if not isinstance(version, int) or version < 1:
        raise ConfigError("'version' must be a positive integer", path=where)
    if version > FORMAT_VERSION:
        raise ConfigError(
            f"this config uses format version {version}, "
            f"but this Vedder reads version {FORMAT_VERSION}",
            hint="upgrade Vedder (pip install -U vedder)",
            path=where,
        )

    clusters = data.get("clusters", "clusters")
    if not isinstance(clusters, str):
        raise ConfigError("'clusters' must be a folder path", path=where)

    raw_warehouses = data.get("warehouses") or {}
    if not isinstance(raw_warehouses, dict):
        raise ConfigError(
            "'warehouses' must map names to {url: ...}",
            hint='warehouses:\n    default: {url: "duckdb:///warehouse.duckdb"}',
            path=where,
        )
    warehouses: dict[str, WarehouseConfig] = {}
    for name, spec in raw_warehouses.items():
        if isinstance(spec, str):
            spec = {"url": spec}
        if not isinstance(spec, dict) or not isinstance(spec.get("url"), str):
            raise ConfigError(
                f"warehouse {name!r} needs a 'url'",
                hint=f'{name}: {{url: "duckdb:///warehouse.duckdb"}}',
                path=where,
            )
        warnings += [
            f"{where}: warehouse {name!r}: unknown key {key!r} ignored; "
            f"{_did_you_mean(str(key), WAREHOUSE_KEYS)}"
            for key in spec
            if key not in WAREHOUSE_KEYS
        ]
        url, missing = expand_env(spec["url"], env)
        timeout = spec.get("timeout", 30)
        if not isinstance(timeout, (int, float)) or timeout <= 0:
            raise ConfigError(
                f"warehouse {name!r}: 'timeout' must be a positive number of seconds",
                path=where,
            )
        warehouses[str(name)] = WarehouseConfig(
            name=str(name),
            url=url,
            timeout_s=float(timeout),
            options=spec.get("options") or {},
            missing_env=tuple(missing),
        )

    override = env.get("VEDDER_WAREHOUSE_URL")
    if override:
        target = "default" if "default" in warehouses or not warehouses else next(iter(warehouses))
        previous = warehouses.get(target)
        warehouses[target] = WarehouseConfig(
            name=target,
            url=override,
            timeout_s=previous.timeout_s if previous else 30.0,
            options=previous.options if previous else {},
        )

    model = env.get("VEDDER_MODEL") or data.get("model") or DEFAULT_MODEL
    log = data.get("log", ".vedder/log.db")
    sections: dict[str, dict[str, Any]] = {}
    for key in ("guard", "retrieval", "profile"):
        value = data.get(key) or {}
        if not isinstance(value, dict):
            raise ConfigError(f"'{key}' must be a mapping of settings", path=where)
        sections[key] = value

    return Config(
        path=path,
        root=root,
        version=version,
        clusters_dir=(root / clusters),
        warehouses=warehouses,
        model=str(model),
        log_path=(root / str(log)),
        guard=sections["guard"],
        retrieval=sections["retrieval"],
        profile=sections["profile"],
        warnings=warnings,
    )
