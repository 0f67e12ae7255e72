"""``vedder log``: what people asked, how it went, and what they thought of it."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timezone
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from vedder.cli import render, state
from vedder.cli.options import checked_by

if TYPE_CHECKING:
    from vedder.store import RunRecord


class RunStatus(str, Enum):
    # Spelled out here rather than built from vedder.store.STATUSES so that
    # `vedder --help` does not load sqlite3; a test checks the two agree.
    answered = "answered"
    not_covered = "not_covered"
    error = "error"


STATUS_STYLE = {"answered": "green", "not_covered": "yellow", "error": "red"}

# One line per paragraph: typer keeps line breaks in rich help text.
HELP = (
    "Show the conversation log: what was asked, how it went, and the feedback.\n\n"
    "Without RUN_ID, lists recent runs newest first; with it, shows that run in full "
    "(question, answer, SQL, sources, tool calls, timing, feedback). "
    "A unique prefix of a run id is enough."
)


def _parse_since() -> Callable[[str], object]:
    from vedder.store import parse_since

    return parse_since


def register(app: typer.Typer) -> None:
    app.command("log", help=HELP, short_help="Read the conversation log.")(log_command)


def log_command(
    run_id: Annotated[
        Optional[str],  # noqa: UP045 - typer needs Optional on Python 3.10
        typer.Argument(help="Show this run in full.", metavar="RUN_ID", show_default=False),
    ] = None,
    cluster: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--cluster", help="Only runs routed to this cluster.", show_default=False),
    ] = None,
    status: Annotated[
        Optional[RunStatus],  # noqa: UP045
        typer.Option("--status", help="Only runs that ended this way.", show_default=False),
    ] = None,
    since: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--since",
            help="Only runs newer than this: 30m, 12h, 7d, 2w, or a date such as 2026-11-20.",
            callback=checked_by(_parse_since),
            show_default=False,
        ),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, help="Show at most this many runs.")
    ] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    from vedder.store import Log

    log = Log(state.load_config().log_path)
    if run_id is not None:
        run = log.get(run_id)
        if as_json:
            render.emit_json(run.to_dict())
        else:
            show_run(run)
        return

    runs = log.runs(
        cluster=cluster, status=status.value if status else None, since=since, limit=limit
    )
    if as_json:
        render.emit_json([run.to_dict() for run in runs])
        return
    if not runs:
        filtered = any(value is not None for value in (cluster, status, since))
        render.console.print(
            "No runs match these filters." if filtered else f"No runs logged yet in {log.path}.",
            style="dim",
            highlight=False,
        )
        return
    show_runs(runs)


# --- rendering ---------------------------------------------------------------


def _when(created_at: str | None, now: datetime | None = None) -> str:
    """Recent runs as an age ("5m ago"), older ones as a local date."""
    if not created_at:
        return "?"
    try:
        moment = datetime.fromisoformat(created_at)
    except ValueError:
        return created_at
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    seconds = ((now or datetime.now(timezone.utc)) - moment).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)}m ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h ago"
    if seconds < 7 * 86400:
        return f"{int(seconds // 86400)}d ago"
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def _local_time(created_at: str | None) -> str:
    if not created_at:
        return "?"
    try:
        return datetime.fromisoformat(created_at).astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")
    except ValueError:
        return created_at


def _feedback_cell(run: RunRecord) -> str:
    parts = []
    if run.good:
        parts.append(f"[green]+{run.good}[/]")
    if run.bad:
        parts.append(f"[red]-{run.bad}[/]")
    return " ".join(parts)


def _status(status: str) -> str:
    return f"[{STATUS_STYLE.get(status, 'white')}]{status}[/]"


def _one_line(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def show_runs(runs: list[RunRecord]) -> None:
    from rich.table import Table

    headers = ("id", "when", "cluster", "status", "question", "feedback")
    rows = [
        [
            run.id or "?",
            _when(run.created_at),
            _one_line(run.cluster or "-", 24),
            run.status,
            " ".join(run.question.split()),
            _feedback_cell(run),
        ]
        for run in runs
    ]
    # Every column but the question keeps its full width (an id cut short is
    # useless); the question gets the rest of the terminal and is cut instead.
    widths = [
        max(len(header), *(_plain_len(row[i]) for row in rows)) for i, header in enumerate(headers)
    ]
    gaps = 2 * (len(headers) - 1)
    room = render.console.width - gaps - sum(w for i, w in enumerate(widths) if i != 4)
    question_width = max(10, min(widths[4], room))
    for row in rows:
        row[4] = _one_line(row[4], question_width)

    table = Table(box=None, header_style="bold", pad_edge=False, padding=(0, 2, 0, 0))
    for header in headers:
        table.add_column(header, no_wrap=True, overflow="ellipsis")
    for run, row in zip(runs, rows, strict=True):
        row[0] = f"[cyan]{row[0]}[/]"
        row[2] = "[dim]-[/]" if run.cluster is None else _escape(row[2])
        row[3] = _status(run.status)
        row[4] = _escape(row[4])
        table.add_row(*row)
    render.console.print(table, highlight=False)
    render.console.print("[dim]vedder log RUN_ID shows one run in full[/]", highlight=False)


def _plain_len(text: str) -> int:
    from rich.text import Text

    return Text.from_markup(text).cell_len if "[" in text else len(text)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _indent(renderable: Any) -> Any:
    from rich.padding import Padding

    # expand=False: no trailing spaces to the terminal's edge when piped.
    return Padding(renderable, (0, 0, 0, 2), expand=False)


def _section(title: str) -> None:
    render.console.print()
    render.console.print(f"[bold]{title}[/]", highlight=False)


def _compact(value: Any, width: int = 100) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    return _one_line(text, width)


def show_run(run: RunRecord) -> None:
    from rich.markup import escape
    from rich.syntax import Syntax
    from rich.table import Table

    console = render.console
    console.print(f"[bold]run[/] [cyan]{run.id}[/]  {_status(run.status)}", highlight=False)

    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="dim", no_wrap=True)
    facts.add_column()
    facts.add_row("when", f"{_local_time(run.created_at)} ({_when(run.created_at)})")
    facts.add_row("cluster", escape(run.cluster or "-"))
    if run.conversation_id:
        facts.add_row("chat", f"{escape(run.conversation_id)}, turn {run.turn or '?'}")
    if run.model:
        facts.add_row("model", escape(run.model))
    if run.duration_ms is not None:
        facts.add_row("duration", f"{run.duration_ms:,} ms")
    if run.prompt_tokens is not None or run.completion_tokens is not None:
        prompt, completion = run.prompt_tokens or 0, run.completion_tokens or 0
        facts.add_row("tokens", f"{prompt:,} prompt, {completion:,} completion")
    if run.confidence is not None:
        facts.add_row("confidence", f"{run.confidence:.2f}")
    if run.row_count is not None or run.columns:
        if run.row_count is None:
            rows = "? rows"
        else:
            rows = f"{run.row_count:,} row{'' if run.row_count == 1 else 's'}"
        columns = f" ({escape(', '.join(run.columns))})" if run.columns else ""
        facts.add_row("result", f"{rows}{columns}")
    console.print(_indent(facts))

    _section("Question")
    console.print(_indent(escape(run.question)), highlight=False)

    if run.answer:
        _section("Answer")
        console.print(_indent(escape(run.answer)), highlight=False)

    if run.sql:
        _section("SQL")
        sql = Syntax(run.sql.strip(), "sql", theme="ansi_dark", word_wrap=True)
        console.print(_indent(sql))

    if run.error:
        _section("Error")
        console.print(_indent(f"[red]{escape(run.error)}[/]"), highlight=False)

    sources = {kind: items for kind, items in run.sources.items() if items}
    if sources:
        _section("Sources")
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="dim", no_wrap=True)
        grid.add_column()
        for kind, items in sources.items():
            listed = items if isinstance(items, list) else [items]
            grid.add_row(escape(kind), escape(", ".join(str(item) for item in listed)))
        console.print(_indent(grid))

    if run.tool_calls:
        _section("Tool calls")
        calls = Table.grid(padding=(0, 2))
        calls.add_column(style="dim", justify="right")
        calls.add_column(style="bold", no_wrap=True)
        calls.add_column()
        for number, call in enumerate(run.tool_calls, 1):
            # Tool calls are whatever the answerer logged; show the name and
            # the rest compactly rather than assume a fixed shape.
            details = dict(call) if isinstance(call, dict) else {"call": call}
            name = details.pop("name", None) or details.pop("tool", None) or "?"
            rest = "  ".join(f"{key}={_compact(value, 80)}" for key, value in details.items())
            calls.add_row(str(number), escape(str(name)), escape(rest))
        console.print(_indent(calls))

    _section("Feedback")
    if not run.feedback:
        console.print(
            f"  [dim]none yet; vedder feedback {run.id} --good or --bad[/]", highlight=False
        )
    for item in run.feedback:
        rating = "[green]good[/]" if item.rating == "good" else "[red]bad[/]"
        who = f" by {escape(item.user)}" if item.user else ""
        comment = f": {escape(item.comment)}" if item.comment else ""
        console.print(f"  {rating}{who} [dim]{_when(item.created_at)}[/]{comment}", highlight=False)
