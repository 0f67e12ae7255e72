"""``vedder new``: scaffold a cluster, or a dataset manifest from the live schema."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from vedder.cluster.model import Project
from vedder.config import Config
from vedder.errors import ClusterError
from vedder.warehouse.base import Warehouse

_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")

CLUSTER_TEMPLATE = """\
name: {name}
title: {title}
description: >-
  TODO: one or two sentences on what questions this cluster answers.
owners:
  team: {team}
  contacts: []
topics: []          # routing hints and synonyms, e.g. [podcast, episode, listener]
"""

README_DOC = """\
---
title: {title} — definitions
tags: [definitions]
---

# {title}

Write down what the data means and what the schema cannot say: definitions
("an active user is ..."), gotchas ("ids below 100 are test accounts"), units,
time zones, and which columns to avoid.
"""


@dataclass
class Scaffolded:
    """What ``vedder new`` wrote, and what the user should know about it."""

    path: Path
    written: list[Path] = field(default_factory=list)
    also_listed_by: list[str] = field(default_factory=list)  # clusters already listing the table


def check_name(kind: str, name: str) -> None:
    if not _NAME.match(name):
        raise ClusterError(
            f"{kind} name {name!r} is not valid",
            hint="use lower-case letters, digits, '-' and '_', starting with a letter",
        )


def new_cluster(
    config: Config, name: str, *, title: str | None = None, team: str | None = None
) -> Scaffolded:
    """Create ``clusters/<name>/`` with a cluster.yaml, a starter doc and empty folders."""
    check_name("cluster", name)
    folder = config.clusters_dir / name
    if folder.exists():
        raise ClusterError(
            f"cluster {name!r} already exists at {folder}",
            hint=f"pick another name, or add datasets with: vedder new dataset {name} TABLE",
        )
    title = title or name.replace("-", " ").replace("_", " ").capitalize()
    result = Scaffolded(path=folder)
    for sub in ("datasets", "profiles", "docs", "pairs", "candidates"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
        keep = folder / sub / ".gitkeep"
        keep.touch()
    files = {
        folder / "cluster.yaml": CLUSTER_TEMPLATE.format(
            name=name, title=title, team=team or "TODO"
        ),
        folder / "docs" / "definitions.md": README_DOC.format(title=title),
    }
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
        result.written.append(path)
    return result


def dataset_name_for(table: str) -> str:
    """``analytics.podcast_streams`` -> ``podcast_streams``."""
    return re.sub(r"[^a-z0-9_]+", "_", table.split(".")[-1].strip('"`[]').lower()).strip("_")


def new_dataset(
    config: Config,
    project: Project,
    warehouse: Warehouse,
    cluster: str,
    table: str,
    *,
    name: str | None = None,
    force: bool = False,
) -> Scaffolded:
    """Write ``datasets/<name>.yaml`` from the table's live columns.

    Descriptions are left for the expert to write. When another cluster already
    lists the table, the result says so: the domain may already be covered.
    """
    if cluster not in project.clusters:
        known = ", ".join(sorted(project.clusters)) or "none yet"
        raise ClusterError(
            f"no cluster named {cluster!r} (known: {known})",
            hint=f"create it first with: vedder new cluster {cluster}",
        )
    columns = warehouse.columns(table)
    name = name or dataset_name_for(table)
    check_name("dataset", name.replace("_", "-"))
    folder = config.root / project.clusters[cluster].path / "datasets"
    path = folder / f"{name}.yaml"
    if path.exists() and not force:
        raise ClusterError(
            f"{path.relative_to(config.root)} already exists",
            hint="pass --force to overwrite it, or --name to write another file",
        )
    manifest = {
        "table": table,
        "description": "TODO: what one row is, and what the table is for.",
        "columns": [{"name": c.name, "type": c.type, "description": ""} for c in columns],
    }
    folder.mkdir(parents=True, exist_ok=True)
    header = (
        f"# Manifest for {table}, scaffolded from the live schema by `vedder new dataset`.\n"
        "# Describe the table and its columns; add synonyms, `avoid:` notes, partition and\n"
        "# freshness where they apply (see README: The cluster format).\n"
    )
    path.write_text(
        header + yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    others = [c for c in project.clusters_listing(table) if c != cluster]
    return Scaffolded(path=path, written=[path], also_listed_by=others)
