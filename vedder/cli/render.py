"""All terminal rendering: rich for people, plain JSON for scripts."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

from vedder.errors import VedderError

if TYPE_CHECKING:
    from rich.console import Console


class _LazyConsole:
    """A rich Console made on first use: importing rich costs start-up time that
    ``vedder --help`` should not pay."""

    def __init__(self, *, stderr: bool) -> None:
        self._stderr = stderr
        self._console: Console | None = None

    @property
    def real(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=self._stderr)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


console = _LazyConsole(stderr=False)
err_console = _LazyConsole(stderr=True)


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


def clusters_table(rows: list[dict[str, Any]]) -> None:
    from rich.table import Table

    if not rows:
        console.print("no clusters yet: create one with [bold]vedder new cluster NAME[/]")
        return
    table = Table(title="Clusters", title_justify="left", header_style="bold", show_edge=False)
    table.add_column("cluster", style="cyan", no_wrap=True)
    table.add_column("title", min_width=10)
    table.add_column("team", min_width=10, overflow="fold")
    for label in ("datasets", "docs", "pairs", "candidates"):
        table.add_column(label, justify="right", no_wrap=True)
    for row in rows:
        datasets = str(row["datasets"])
        unprofiled = row["datasets"] - row["profiled"]
        if unprofiled:
            datasets += f" [yellow]({unprofiled} unprofiled)[/]"
        table.add_row(
            row["name"],
            row["title"] or "",
            row["team"] or "",
            datasets,
            str(row["docs"]),
            str(row["pairs"]),
            str(row["candidates"]),
        )
    console.print(table)
    console.print("[dim]owners, datasets and pairs of one cluster: vedder show CLUSTER[/]")


def problems_footer(problems: list[Any], *, limit: int = 10) -> None:
    """Show file problems found while loading, worst first, so nothing fails silently."""
    if not problems:
        return
    ordered = sorted(problems, key=lambda p: (p.severity != "error", p.path, p.line or 0))
    errors = sum(1 for p in problems if p.severity == "error")
    err_console.print(
        f"\n[bold]{len(problems)} problem(s)[/] in cluster files "
        f"({errors} error(s)); the rest loaded:",
        highlight=False,
    )
    for problem in ordered[:limit]:
        colour = "red" if problem.severity == "error" else "yellow"
        err_console.print(
            f"  [{colour}]{problem.severity}[/] {problem.location}: {problem.message}"
            + (f" [dim](hint: {problem.hint})[/]" if problem.hint else ""),
            highlight=False,
        )
    if len(problems) > limit:
        err_console.print(f"  ... and {len(problems) - limit} more (vedder lint lists all)")


def cluster_detail(detail: dict[str, Any]) -> None:
    from rich.panel import Panel
    from rich.table import Table

    owners = detail["team"] or "no team"
    if detail["contacts"]:
        owners += f" · {', '.join(detail['contacts'])}"
    lines = [
        f"[bold]{detail['title'] or detail['name']}[/]  [dim]({detail['path']})[/]",
        detail["description"] or "[dim]no description[/]",
        f"owners: {owners}",
        f"warehouse: {detail['warehouse']}",
    ]
    if detail["topics"]:
        lines.append(f"topics: {', '.join(detail['topics'])}")
    console.print(Panel("\n".join(lines), title=detail["name"], title_align="left"))

    datasets = Table(title="Datasets", title_justify="left", header_style="bold", show_edge=False)
    datasets.add_column("dataset", no_wrap=True)
    datasets.add_column("table", overflow="fold")
    for label in ("columns", "described", "rows"):
        datasets.add_column(label, justify="right", no_wrap=True)
    datasets.add_column("profiled", no_wrap=True)
    for d in detail["datasets"]:
        described = f"{d['described']:.0%}" if d["described"] is not None else "-"
        rows = f"{d['rows']:,}" if d["rows"] is not None else "-"
        profiled = str(d["profiled_at"])[:10] if d["profiled_at"] else "[yellow]not yet[/]"
        datasets.add_row(d["name"], d["table"], str(d["columns"]), described, rows, profiled)
    console.print(datasets)

    if detail["docs"]:
        console.print("[bold]Docs[/]")
        for doc in detail["docs"]:
            console.print(f"  {doc['path']}" + (f" — {doc['title']}" if doc["title"] else ""))
    console.print(
        f"[bold]Pairs[/] ({len(detail['pairs'])} vetted, {detail['candidates']} candidates)"
    )
    for pair in detail["pairs"]:
        extra = f" [dim](+{pair['phrasings'] - 1} phrasings)[/]" if pair["phrasings"] > 1 else ""
        console.print(f"  {pair['slug']}: {pair['question'] or '[red]no question[/]'}{extra}")
    if detail["problems"]:
        console.print(f"[bold]Problems[/] ({len(detail['problems'])})")
        for p in detail["problems"]:
            where = f"{p['path']}:{p['line']}" if p["line"] else p["path"]
            console.print(f"  {p['severity']} {where}: {p['message']}", highlight=False)


def _cell(value: Any) -> str:
    if value is None:
        return "[dim]NULL[/]"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e6 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def result_table(
    columns: list[str], rows: list[Any], *, truncated: bool = False, limit: int = 50
) -> None:
    from rich.markup import escape
    from rich.table import Table

    table = Table(header_style="bold", show_edge=True)
    for position, name in enumerate(columns):
        sample = next((row[position] for row in rows if row[position] is not None), None)
        numeric = isinstance(sample, (int, float)) and not isinstance(sample, bool)
        table.add_column(escape(str(name)), justify="right" if numeric else "left")
    for row in rows[:limit]:
        table.add_row(*(_cell(v) if v is None else escape(_cell(v)) for v in row))
    console.print(table)
    shown = min(len(rows), limit)
    more = " (more rows exist: the row limit cut the result)" if truncated else ""
    if shown < len(rows) or truncated:
        console.print(f"[dim]{shown} of {len(rows)} row(s) shown{more}[/]")


def sql_block(sql: str) -> None:
    from rich.syntax import Syntax

    console.print(Syntax(sql.strip(), "sql", theme="ansi_dark", word_wrap=True))


def answer(ans: Any) -> None:
    """An answer for people: the answer, the rows, the SQL, the sources, how sure."""
    from rich.markup import escape

    if ans.status == "answered":
        console.print(f"[bold green]answer[/] [dim]({ans.cluster})[/] {escape(ans.answer or '')}")
        if ans.columns:
            result_table(ans.columns, ans.rows, truncated=ans.truncated)
        if ans.sql:
            sql_block(ans.sql)
        sources = ans.sources
        for label, items in (
            ("pairs", sources.pairs),
            ("docs", sources.docs),
            ("datasets", sources.datasets),
        ):
            if items:
                console.print(f"[dim]{label}:[/] {escape(', '.join(items))}")
    elif ans.status == "not_covered":
        console.print(f"[bold yellow]not covered[/] {escape(ans.reason or ans.answer or '')}")
        if ans.suggestions:
            console.print("[dim]closest vetted pairs:[/]")
            for s in ans.suggestions[:3]:
                console.print(
                    f"  {escape(s.question)} [dim]({s.cluster}: {s.pair}, score {s.score:.2f})[/]"
                )
        if ans.clusters:
            console.print(f"[dim]clusters:[/] {', '.join(ans.clusters)}")
        if ans.model == "offline":
            console.print(
                "[dim]hint: configure a model (--model or VEDDER_MODEL) to go beyond vetted "
                "pairs, or ask the cluster owners to add a pair.[/]"
            )
    else:
        console.print(f"[bold red]error[/] {escape(ans.error or 'unknown error')}")
    meta = [f"model {ans.model}"]
    if ans.confidence is not None:
        meta.append(f"confidence {ans.confidence:.2f}")
    if ans.steps:
        meta.append(f"{ans.steps} step(s)")
    meta.append(f"{ans.duration_ms:.0f} ms")
    if ans.run_id:
        meta.append(f"run {ans.run_id} (vedder feedback {ans.run_id} --good|--bad)")
    console.print(f"[dim]{' · '.join(meta)}[/]")


def chat_banner(model: str, cluster: str | None) -> None:
    scope = f"cluster {cluster}" if cluster else "all clusters"
    console.print(
        f"[bold]vedder chat[/] [dim]· model {model} · {scope} · 'exit' or Ctrl-D to leave[/]"
    )


def prompt_question() -> str:
    return console.input("[bold cyan]?[/] ")
