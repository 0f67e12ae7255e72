"""Errors that tell the user what went wrong, where, and what to do next.

Every error Vedder raises on purpose is a :class:`VedderError`. The CLI prints
``str(error)`` (message, location and hint) and exits with ``error.exit_code``;
only ``VEDDER_DEBUG=1`` shows a traceback.
"""

from __future__ import annotations


class VedderError(Exception):
    """A problem the user can fix. ``hint`` says how."""

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        path: str | None = None,
        line: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.path = path
        self.line = line

    @property
    def location(self) -> str | None:
        if self.path is None:
            return None
        return f"{self.path}:{self.line}" if self.line else self.path

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        text = f"{where}{self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class ConfigError(VedderError):
    """vedder.yaml is missing, malformed or names something that does not exist."""


class ClusterError(VedderError):
    """A cluster, dataset, doc or pair cannot be found or used."""


class WarehouseError(VedderError):
    """A warehouse is unreachable, misconfigured, or a query failed."""


class QueryTimeout(WarehouseError):
    """A statement ran past its timeout and was cancelled."""


class GuardRefused(VedderError):
    """The SQL guard refused a statement. ``rule`` names the check that refused it."""

    exit_code = 1

    def __init__(self, message: str, *, rule: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.rule = rule


class ModelError(VedderError):
    """The language model could not be reached or configured."""
