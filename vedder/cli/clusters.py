"""``vedder clusters`` and ``vedder show``: what the knowledge base holds."""

from __future__ import annotations

from typing import Annotated

import typer

from vedder.cli import render, state


def clusters(
    json_: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Reparse every file.")] = False,
) -> None:
    """List clusters with their owners and what each holds."""
    from vedder import summary

    _, project = state.load_project(use_cache=not no_cache)
    rows = [summary.cluster_summary(c) for c in project.clusters.values()]
    if json_:
        render.emit_json(
            {"clusters": rows, "problems": [summary.problem_dict(p) for p in project.problems]}
        )
    else:
        render.clusters_table(rows)
        render.problems_footer(project.problems)
    raise typer.Exit(0)


def show(
    cluster: Annotated[str, typer.Argument(help="The cluster to summarise.", show_default=False)],
    json_: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Summarise one cluster: owners, datasets, docs, pairs, profiles and problems."""
    from vedder import summary

    _, project = state.load_project()
    detail = summary.cluster_detail(project, summary.find_cluster(project, cluster))
    if json_:
        render.emit_json(detail)
    else:
        render.cluster_detail(detail)


def register(app: typer.Typer) -> None:
    app.command("clusters", short_help="List clusters, their owners and contents.")(clusters)
    app.command("show", short_help="Summarise one cluster.")(show)
