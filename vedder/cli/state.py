"""Options given before the command (``vedder --config X ask ...``)."""

from __future__ import annotations

from pathlib import Path

config_path: Path | None = None


def load_config():  # type: ignore[no-untyped-def]
    """The project config, honouring ``--config``."""
    from vedder.config import load_config as _load

    return _load(config_path)
