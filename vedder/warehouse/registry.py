"""Which backend serves a url scheme, and opening warehouses by url or by name.

Built-in backends register here with :func:`register`, exactly as a plugin
would. A third-party package adds a backend without touching Vedder by
declaring an entry point in its own ``pyproject.toml``::

    [project.entry-points."vedder.warehouses"]
    clickhouse = "vedder_clickhouse:ClickHouseWarehouse"

Entry points are only read for a scheme that is not registered, so opening a
built-in warehouse never scans installed packages.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vedder.errors import ConfigError, WarehouseError
from vedder.warehouse.base import Warehouse, mask_url

if TYPE_CHECKING:
    from vedder.config import Config

ENTRY_POINT_GROUP = "vedder.warehouses"

_BACKENDS: dict[str, type[Warehouse]] = {}


def register(scheme: str, backend: type[Warehouse]) -> None:
    """Serve ``scheme://`` urls with ``backend``; a later registration replaces an earlier one."""
    if not (isinstance(backend, type) and issubclass(backend, Warehouse)):
        raise TypeError(f"{backend!r} is not a subclass of vedder.warehouse.Warehouse")
    _BACKENDS[scheme.lower()] = backend


def schemes() -> list[str]:
    """Registered schemes and the ones installed plugins offer."""
    return sorted(set(_BACKENDS) | {ep.name.lower() for ep in _entry_points()})


def backend_for(scheme: str, *, name: str = "default") -> type[Warehouse]:
    """The backend class for ``scheme``, loading a plugin the first time it is needed."""
    scheme = scheme.lower()
    if scheme in _BACKENDS:
        return _BACKENDS[scheme]
    for entry_point in _entry_points():
        if entry_point.name.lower() != scheme:
            continue
        try:
            backend = entry_point.load()
            register(scheme, backend)
        except Exception as exc:
            raise WarehouseError(
                f"warehouse {name!r}: the plugin for {scheme}:// "
                f"({entry_point.value}) failed to load: {exc}",
                hint="reinstall or upgrade the package that provides it",
            ) from None
        return backend
    raise WarehouseError(
        f"warehouse {name!r}: no backend for {scheme}:// urls",
        hint=f"known schemes: {', '.join(schemes())}; "
        "any DB-API driver works through dbapi://package.module:connect?dialect=NAME",
    )


def open_warehouse(
    url: str,
    *,
    name: str = "default",
    base_dir: Path | None = None,
    timeout_s: float = 30.0,
    options: Mapping[str, Any] | None = None,
) -> Warehouse:
    """A warehouse for ``url``; it connects on first use, so opening one is cheap."""
    scheme, separator, _ = url.partition("://")
    if not separator or not scheme:
        raise WarehouseError(
            f"warehouse {name!r} has an invalid url {mask_url(url)!r} — expected scheme://..., "
            'e.g. "duckdb:///warehouse.duckdb" or "postgresql://user@host/db"'
        )
    backend = backend_for(scheme, name=name)
    return backend(
        name=name, url=url, timeout_s=timeout_s, options=dict(options or {}), base_dir=base_dir
    )


def connect(config: Config, name: str = "default") -> Warehouse:
    """The warehouse ``name`` from vedder.yaml; relative paths start at the config's folder."""
    spec = config.warehouse(name)
    if spec.missing_env:
        variables = ", ".join(f"${{{var}}}" for var in spec.missing_env)
        raise ConfigError(
            f"warehouse {name!r}: its url uses {variables}, which the environment does not set",
            hint=f"export {spec.missing_env[0]}=... before running vedder "
            "(secrets stay out of vedder.yaml)",
            path=str(config.path),
        )
    return open_warehouse(
        spec.url,
        name=name,
        base_dir=config.root,
        timeout_s=spec.timeout_s,
        options=spec.options,
    )


def _entry_points() -> list[Any]:
    from importlib.metadata import entry_points

    return list(entry_points(group=ENTRY_POINT_GROUP))
