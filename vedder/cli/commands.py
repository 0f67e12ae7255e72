"""The command modules, in the order ``vedder --help`` lists them.

Each module exposes ``register(app)``. Importing them must stay cheap: a module
imports heavy libraries (litellm, mcp, the warehouse drivers) inside its
command function, never at the top.
"""

from __future__ import annotations

from types import ModuleType

from vedder.cli import ask, clusters, feedback, log, new, profile

MODULES: list[ModuleType] = [
    ask,
    clusters,
    new,
    profile,
    log,
    feedback,
]
