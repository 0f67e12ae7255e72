"""``vedder new cluster`` and ``vedder new dataset``: scaffolding."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from vedder.cli import render, state

new_app = typer.Typer(
    help="Scaffold a cluster, or a dataset manifest from the live schema.",
    no_args_is_help=True,
)


@new_app.command("cluster")
def new_cluster(
    name: Annotated[str, typer.Argument(help="Folder name, e.g. podcasts.", show_default=False)],
    title: Annotated[Optional[str], typer.Option(help="Human title.")] = None,  # noqa: UP045
    team: Annotated[Optional[str], typer.Option(help="Owning team.")] = None,  # noqa: UP045
    json_: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Create clusters/NAME with a cluster.yaml, a starter doc and empty folders."""
    from vedder import scaffold

    config = state.load_config()
    result = scaffold.new_cluster(config, name, title=title, team=team)
    written = [str(p.relative_to(config.root)) for p in result.written]
    if json_:
        render.emit_json({"cluster": name, "path": str(result.path), "written": written})
        return
    for path in written:
        render.console.print(f"[green]created[/] {path}")
    render.console.print(
        f"next: describe the cluster in {written[0]}, then add tables with "
        f"[bold]vedder new dataset {name} TABLE[/]"
    )


@new_app.command("dataset")
def new_dataset(
    cluster: Annotated[str, typer.Argument(help="The cluster to add it to.", show_default=False)],
    table: Annotated[
        str,
        typer.Argument(
            help="Table as the warehouse knows it, e.g. analytics.streams.", show_default=False
        ),
    ],
    name: Annotated[
        str | None, typer.Option(help="Manifest file name (default: the table name).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing manifest.")] = False,
    json_: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Write datasets/TABLE.yaml from the live schema (columns and types)."""
    from vedder import scaffold
    from vedder.warehouse import connect

    config, project = state.load_project()
    target = project.clusters.get(cluster)
    with connect(config, target.warehouse if target else "default") as warehouse:
        result = scaffold.new_dataset(
            config, project, warehouse, cluster, table, name=name, force=force
        )
    path = str(result.path.relative_to(config.root))
    if json_:
        render.emit_json(
            {
                "cluster": cluster,
                "table": table,
                "path": path,
                "also_listed_by": result.also_listed_by,
            }
        )
        return
    render.console.print(f"[green]created[/] {path}")
    for other in result.also_listed_by:
        render.warning(
            f"cluster {other!r} already lists {table}: the domain may already be covered "
            f"(see: vedder show {other})"
        )
    render.console.print(
        f"next: write the table and column descriptions, then run [bold]vedder profile {cluster}[/]"
    )


def register(app: typer.Typer) -> None:
    app.add_typer(new_app, name="new", short_help="Scaffold a cluster or a dataset manifest.")
