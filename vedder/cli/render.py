"""All terminal rendering: rich for people, plain JSON for scripts."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console

from vedder.errors import VedderError

console = Console()
err_console = Console(stderr=True)


def error(exc: VedderError) -> None:
    where = f"[bold]{exc.location}[/]: " if exc.location else ""
    err_console.print(f"[red]error:[/] {where}{exc.message}", highlight=False)
    if exc.hint:
        err_console.print(f"  [dim]hint:[/] {exc.hint}", highlight=False)


def internal_error(exc: BaseException) -> None:
    err_console.print(
        f"[red]internal error:[/] {type(exc).__name__}: {exc}\n"
        "  [dim]hint:[/] this is a bug in Vedder; run again with VEDDER_DEBUG=1 "
        "for the traceback and report it.",
        highlight=False,
    )


def warning(text: str) -> None:
    err_console.print(f"[yellow]warning:[/] {text}", highlight=False)


def emit_json(data: Any) -> None:
    """Print one JSON document to stdout (dates and paths become strings)."""
    sys.stdout.write(json.dumps(data, indent=2, default=str, ensure_ascii=False) + "\n")
