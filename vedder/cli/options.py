"""Shared option helpers for the command modules."""

from __future__ import annotations

from collections.abc import Callable

import typer


def checked_by(parse: Callable[[], Callable[[str], object]]) -> Callable[[str | None], str | None]:
    """A typer callback that validates an option with the library's own parser.

    The value is parsed here as well as in the library so that a typo is a usage
    error (exit code 2, with the usage line) before any warehouse or log is opened.
    ``parse`` returns the parser, so the library module is imported only when the
    option is actually given.
    """

    def callback(value: str | None) -> str | None:
        if value is None:
            return None
        from vedder.errors import VedderError

        try:
            parse()(value)
        except VedderError as error:
            raise typer.BadParameter(f"{error.message} ({error.hint})") from None
        return value

    return callback
