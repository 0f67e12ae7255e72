"""``vedder feedback``: say whether an answer was right, so owners can fix what was not."""

from __future__ import annotations

import getpass
from typing import Annotated, Optional

import typer

from vedder.cli import render, state

# One line per paragraph: typer keeps line breaks in rich help text.
HELP = (
    "Record whether a logged answer was good or bad.\n\n"
    "Give the run id that `vedder ask` printed (or find it with `vedder log`); "
    "a unique prefix is enough. Owners see the feedback in `vedder log`."
)


def register(app: typer.Typer) -> None:
    app.command("feedback", help=HELP, short_help="Rate a logged answer good or bad.")(
        feedback_command
    )


def _default_user() -> str | None:
    # The login name is a good-enough "who" for a team's own log; it can be
    # unavailable in containers without a passwd entry.
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return None


def feedback_command(
    run_id: Annotated[
        str, typer.Argument(help="The run to rate.", metavar="RUN_ID", show_default=False)
    ],
    good: Annotated[bool, typer.Option("--good", help="The answer was right.")] = False,
    bad: Annotated[bool, typer.Option("--bad", help="The answer was wrong.")] = False,
    comment: Annotated[
        Optional[str],  # noqa: UP045 - typer needs Optional on Python 3.10
        typer.Option(
            "--comment", "-m", help="What was right or wrong about it.", show_default=False
        ),
    ] = None,
    user: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--user", help="Who is giving the feedback (default: your login name)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    if good == bad:
        # Two flags rather than one --good/--bad switch, so that giving both
        # is an error instead of the last one silently winning.
        raise typer.BadParameter(
            "give exactly one of --good or --bad", param_hint="'--good' / '--bad'"
        )
    from vedder.store import Log

    log = Log(state.load_config().log_path)
    item = log.feedback(run_id, good=good, comment=comment, user=user or _default_user())
    if as_json:
        render.emit_json(item.to_dict())
        return
    colour = "green" if good else "red"
    render.console.print(
        f"Recorded [{colour}]{item.rating}[/] feedback on run [cyan]{item.run_id}[/].",
        highlight=False,
    )
