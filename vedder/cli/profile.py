"""``vedder profile``: measure each dataset's table and write ``profiles/<dataset>.yaml``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from vedder.cli import render, state
from vedder.cli.options import checked_by

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from vedder.cluster.model import Cluster, Project
    from vedder.profile import DatasetOutcome, ProfileProgress

# One line per paragraph: typer keeps line breaks in rich help text.
HELP = (
    "Measure datasets in the warehouse and write profiles/<dataset>.yaml.\n\n"
    "For every dataset of every cluster (or of CLUSTER, or just DATASET) the warehouse "
    "computes the row count, the partition range and, per column, the type, null fraction, "
    "distinct count, min, max and most common values. The work runs as SQL in the "
    "warehouse; commit the files and review their diffs like any other change.\n\n"
    "Exit codes: 0 all profiled, 1 some dataset failed, 2 usage or configuration error."
)


def _parse_sample() -> Callable[[str], object]:
    from vedder.profile import parse_sample

    return parse_sample


def register(app: typer.Typer) -> None:
    app.command("profile", help=HELP, short_help="Profile datasets into profiles/*.yaml.")(
        profile_command
    )


def profile_command(
    cluster: Annotated[
        Optional[str],  # noqa: UP045 - typer needs Optional on Python 3.10
        typer.Argument(help="Profile only this cluster.", metavar="CLUSTER", show_default=False),
    ] = None,
    dataset: Annotated[
        Optional[str],  # noqa: UP045
        typer.Argument(
            help="Profile only this dataset of CLUSTER.", metavar="DATASET", show_default=False
        ),
    ] = None,
    sample: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--sample",
            help="Read part of each table: a fraction (0.1), a percentage (10%) or a number "
            "of rows (100000). Counts are scaled to the whole table. Default: the "
            "'profile: {sample: ...}' setting in vedder.yaml, else the whole table.",
            callback=checked_by(_parse_sample),
            show_default=False,
        ),
    ] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    from contextlib import nullcontext

    from vedder import profile as profiling
    from vedder.cluster.load import load_project
    from vedder.errors import ConfigError, VedderError
    from vedder.warehouse import connect

    config = state.load_config()
    for text in config.warnings:
        render.warning(text)
    setting = config.profile.get("sample")
    try:
        spec = profiling.parse_sample(sample if sample is not None else setting)
    except VedderError as error:  # only the vedder.yaml setting can get here
        raise ConfigError(
            f"profile.sample: {error.message}", hint=error.hint, path=str(config.path)
        ) from None
    top_k = config.profile.get("top_k", profiling.TOP_K)
    if not isinstance(top_k, int) or isinstance(top_k, bool) or top_k < 0:
        raise ConfigError(
            "profile.top_k must be a whole number of values, such as 10", path=str(config.path)
        )

    project = load_project(config)
    chosen = _choose(project, cluster, dataset)
    for problem in project.errors:
        if any(problem.path.startswith(c.path) for c, _ in chosen):
            render.warning(f"{problem} (not profiled)")
    if not any(names for _, names in chosen):
        render.warning(f"nothing to profile: no dataset manifests under {config.clusters_dir}")

    # connect() only checks the config; it is cheap and raises ConfigError before any work.
    warehouses = {c.warehouse: connect(config, c.warehouse) for c, _ in chosen}
    outcomes: list[DatasetOutcome] = []
    progress = _progress_bar(enabled=not json_ and render.err_console.is_terminal)
    try:
        with progress or nullcontext():
            for target, names in chosen:
                done = profiling.profile_cluster(
                    warehouses[target.warehouse],
                    target,
                    datasets=names,
                    sample=spec,
                    top_k=top_k,
                    root=config.root,
                    progress=_Tracker(progress),
                )
                for outcome in done:
                    _report(outcome)
                outcomes += done
    finally:
        for warehouse in warehouses.values():
            warehouse.close()

    failed = sum(not outcome.ok for outcome in outcomes)
    if json_:
        render.emit_json(
            {"datasets": [outcome.to_dict() for outcome in outcomes], "failed": failed}
        )
    else:
        _summary(outcomes)
    raise typer.Exit(1 if failed else 0)


def _choose(
    project: Project, cluster: str | None, dataset: str | None
) -> list[tuple[Cluster, list[str]]]:
    """The clusters to profile and, for each, the names of its datasets to profile."""
    from vedder.errors import ClusterError

    if cluster is None:
        return [(c, list(c.datasets)) for c in project.clusters.values()]
    found = project.clusters.get(cluster)
    if found is None:
        known = ", ".join(sorted(project.clusters)) or "none"
        raise ClusterError(
            f"no cluster named {cluster!r} (known: {known})",
            hint="run `vedder clusters` to list them",
        )
    if dataset is None:
        return [(found, list(found.datasets))]
    if dataset not in found.datasets:
        known = ", ".join(sorted(found.datasets)) or "none"
        raise ClusterError(
            f"cluster {cluster!r} has no dataset {dataset!r} (known: {known})",
            hint=f"dataset manifests live in {found.path}/datasets/<dataset>.yaml",
        )
    return [(found, [dataset])]


class _Tracker:
    """Turns library progress events into one rich progress bar per dataset."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}

    def __call__(self, event: ProfileProgress) -> None:
        if self.progress is None:
            return
        key = f"{event.cluster}/{event.dataset}"
        if event.status == "started":
            self.tasks[key] = self.progress.add_task(key, total=None)
            return
        task = self.tasks.get(key)
        if task is None:
            return
        if event.status == "running":
            self.progress.update(task, completed=event.done, total=max(event.planned, event.done))
        else:
            total = self.progress.tasks[task].total or 1
            label = key if event.status == "done" else f"[red]{key} failed[/]"
            self.progress.update(task, completed=total, total=total, description=label)


def _progress_bar(*, enabled: bool) -> Progress | None:
    if not enabled:
        return None
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("queries"),
        TimeElapsedColumn(),
        console=render.err_console.real,
        transient=True,  # the summary table that follows says how each dataset went
    )


def _report(outcome: DatasetOutcome) -> None:
    for text in outcome.warnings:
        render.warning(text)
    if outcome.error is not None:
        render.error(outcome.error)


def _summary(outcomes: list[DatasetOutcome]) -> None:
    from rich.table import Table

    table = Table(show_edge=False, header_style="bold")
    table.add_column("cluster", no_wrap=True)
    table.add_column("dataset", no_wrap=True)
    table.add_column("rows", justify="right", no_wrap=True)
    table.add_column("columns", justify="right")
    table.add_column("seconds", justify="right")
    for outcome in outcomes:
        profile = outcome.profile
        if profile is None:
            table.add_row(outcome.cluster, outcome.dataset, "[red]failed[/]", "", "")
            continue
        rows: Any = f"{profile.row_count:,}" if profile.row_count is not None else ""
        if profile.sample is not None:
            rows = f"~{rows}"  # scaled up from a sample
        seconds = f"{outcome.seconds:.2f}" if outcome.seconds is not None else ""
        table.add_row(outcome.cluster, outcome.dataset, rows, str(len(profile.columns)), seconds)
    if outcomes:
        render.console.print(table)
    failed = sum(not outcome.ok for outcome in outcomes)
    done = len(outcomes) - failed
    plural = "s" if done != 1 else ""
    line = f"profiled {done} dataset{plural} into clusters/<cluster>/profiles/<dataset>.yaml"
    if failed:
        line += f", [red]{failed} failed[/]"
    render.console.print(line, highlight=False)
