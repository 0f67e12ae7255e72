"""``vedder ask``, ``vedder chat`` and ``vedder sql``: questions and SQL through the guard."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from vedder.cli import render, state

if TYPE_CHECKING:
    from vedder.ask import Session

# ask exits 0 when answered, 1 when not covered, 2 on errors (like lint: findings vs failures)
EXIT_CODES = {"answered": 0, "not_covered": 1, "error": 2}

ClusterOption = Annotated[
    Optional[str],  # noqa: UP045 - typer needs Optional on Python 3.10
    typer.Option(
        "--cluster",
        "-k",
        help="Answer from this cluster only (default: routed).",
        show_default=False,
    ),
]
ModelOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--model",
        "-m",
        help="LiteLLM model, e.g. openai/gpt-4o-mini, or 'offline' "
        "(default: VEDDER_MODEL, then vedder.yaml).",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def _session(model: str | None, *, log: bool = True) -> Session:
    from vedder.ask import Session

    config, project = state.load_project()
    render.problems_footer(project.errors)
    return Session.open(config, project, model=model, log=log)


def ask(
    question: Annotated[
        str | None,
        typer.Argument(
            help="The question, in plain English.",
            show_default=False,
        ),
    ] = None,
    cluster: ClusterOption = None,
    model: ModelOption = None,
    questions: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(
            "--questions",
            help='A JSONL file of {"question": ..., "cluster": optional}; '
            "answers one per line (use with --json).",
            show_default=False,
        ),
    ] = None,
    json_: JsonOption = False,
    no_log: Annotated[
        bool, typer.Option("--no-log", help="Do not record this run in the log.")
    ] = False,
) -> None:
    """Ask a question; get the answer, the SQL that produced it and its sources."""
    if (question is None) == (questions is None):
        raise typer.BadParameter("give a QUESTION or --questions FILE, not both (or neither)")
    with _session(model, log=not no_log) as session:
        if questions is not None:
            raise typer.Exit(_ask_many(session, questions, cluster=cluster, json_=json_))
        assert question is not None
        answer = session.ask(question, cluster=cluster)
        if json_:
            render.emit_json(answer.to_json())
        else:
            render.answer(answer)
    raise typer.Exit(EXIT_CODES[answer.status])


def _ask_many(session: Session, path: Path, *, cluster: str | None, json_: bool) -> int:
    from vedder.errors import VedderError

    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise VedderError(f"cannot read {path}: {exc}", hint="pass a UTF-8 JSONL file") from None
    worst = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            text = item["question"]
        except (json.JSONDecodeError, KeyError, TypeError):
            raise VedderError(
                'expected a JSON object with a "question"',
                hint='one object per line: {"question": "...", "cluster": "optional"}',
                path=str(path),
                line=number,
            ) from None
        answer = session.ask(text, cluster=item.get("cluster") or cluster)
        if json_:
            sys.stdout.write(json.dumps(answer.to_json(), default=str, ensure_ascii=False) + "\n")
            sys.stdout.flush()
        else:
            render.answer(answer)
        worst = max(worst, EXIT_CODES[answer.status])
    return worst


def chat(
    cluster: ClusterOption = None,
    model: ModelOption = None,
) -> None:
    """A multi-turn session: follow-ups ("and in Norway?") use the conversation so far."""
    from vedder.ask import Turn
    from vedder.store.log import new_run_id

    history: list[Turn] = []
    conversation = new_run_id()
    with _session(model) as session:
        render.chat_banner(session.model, cluster)
        while True:
            try:
                question = render.prompt_question()
            except (EOFError, KeyboardInterrupt):
                render.console.print()
                break
            if question.strip().lower() in {"exit", "quit", ":q"}:
                break
            if not question.strip():
                continue
            answer = session.ask(
                question,
                cluster=cluster,
                history=history,
                conversation_id=conversation,
                turn=len(history) + 1,
            )
            render.answer(answer)
            history.append(Turn(question, answer))


def sql(
    statement: Annotated[
        str, typer.Argument(help="One read-only SQL statement.", show_default=False)
    ],
    cluster: ClusterOption = None,
    json_: JsonOption = False,
) -> None:
    """Run SQL through the guard: read-only, listed tables only, with a row limit and timeout."""
    with _session(None, log=False) as session:
        result = session.run_sql(statement, cluster=cluster)
    if json_:
        render.emit_json(
            {
                "sql": result.sql,
                "columns": result.columns,
                "rows": [list(r) for r in result.rows],
                "truncated": result.truncated,
                "duration_ms": result.duration_ms,
            }
        )
    else:
        render.result_table(result.columns, result.rows, truncated=result.truncated)
        render.sql_block(result.sql)


def register(app: typer.Typer) -> None:
    app.command("ask", short_help="Answer a question with its SQL, rows and sources.")(ask)
    app.command("chat", short_help="Ask questions and follow-ups in a session.")(chat)
    app.command("sql", short_help="Run read-only SQL through the guard.")(sql)
