"""Options given before the command (``vedder --config X ask ...``) and shared loading."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vedder.cluster.model import Project
    from vedder.config import Config

config_path: Path | None = None


def load_config() -> Config:
    """The project config, honouring ``--config``; config warnings go to stderr."""
    from vedder.cli import render
    from vedder.config import load_config as _load

    config = _load(config_path)
    for warning in config.warnings:
        render.warning(warning)
    return config


def load_project(*, use_cache: bool = True) -> tuple[Config, Project]:
    """The config and the loaded project; file problems are reported, not raised."""
    from vedder.cluster.load import load_project as _load_project

    config = load_config()
    return config, _load_project(config, use_cache=use_cache)
