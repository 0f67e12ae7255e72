"""The ``vedder`` command: a typer app with one module per command.

Commands parse arguments, call one library function and render the result;
they hold no logic. Heavy modules are imported inside the commands that need
them so that ``vedder --help`` starts fast.
"""

from __future__ import annotations

import gc
import logging
import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from vedder import __version__
from vedder.cli import state

app = typer.Typer(
    name="vedder",
    help="Trustworthy answers from your warehouse in plain English, "
    "grounded in clusters of vetted SQL and docs kept in git.",
    epilog='Start with `vedder clusters`, then `vedder ask "How many ...?"`. '
    "Docs: README.md (the cluster format, warehouses, models).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain click help: rich's help renderer costs 0.2 s at start-up
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"vedder {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    config: Annotated[
        Optional[Path],  # noqa: UP045 - typer needs Optional on Python 3.10
        typer.Option(
            "--config",
            "-c",
            help="Path to vedder.yaml (default: found by walking up from here; "
            "or set VEDDER_CONFIG).",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    state.config_path = config


def _register() -> None:
    # Each command module exposes `register(app)`; importing them is cheap
    # because they import heavy modules only inside the command bodies.
    from vedder.cli import commands

    for module in commands.MODULES:
        module.register(app)


_register()

GC_YOUNG_THRESHOLD = 70_000  # allocations between young collections (Python's default: 700)


def main() -> None:
    """Entry point: run the app and turn every error into a message and an exit code."""
    from vedder.errors import VedderError

    # sqlglot warns when it falls back to parsing a statement as a command; the
    # guard refuses those with its own message, so the warning is noise here.
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    # A command allocates most of what it will ever hold while it starts
    # (importing sqlglot and duckdb, reading the project) and keeps it until it
    # exits. At the default pace, a young-generation collection every 700
    # allocations, the collector runs ~140 times during an `ask` and finds
    # nothing to free; collect a hundred times less often.
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
    try:
        app()
    except VedderError as error:
        from vedder.cli import render

        render.error(error)
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as error:  # the last line of defence: never a bare traceback
        if os.environ.get("VEDDER_DEBUG"):
            raise
        from vedder.cli import render

        render.internal_error(error)
        sys.exit(2)
    finally:
        # The command is done and has closed what it opened. What is left is
        # the interpreter's last garbage collection over every object that
        # sqlglot and duckdb created on import, about 0.1 s of an `ask`;
        # frozen objects are left out of it (and freed with the process).
        gc.freeze()
