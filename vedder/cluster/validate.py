"""Checks that span several files of a cluster.

Each file is checked on its own when it is parsed (and that result is cached
with it); what only shows once a cluster is assembled lives here and runs on
every load, which is cheap because it only reads the model. Like the SQL
guard and lint, the checks are a tuple of small functions.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

from vedder.cluster.model import Cluster, Problem
from vedder.cluster.schema import did_you_mean


@dataclass(frozen=True)
class Context:
    warehouses: Collection[str] | None  # names in vedder.yaml; None skips that check


def duplicate_tables(cluster: Cluster, context: Context) -> list[Problem]:
    """Two manifests for one table: answers would depend on which one was read."""
    seen: dict[str, str] = {}
    problems = []
    for dataset in cluster.datasets.values():
        key = dataset.table.lower()
        if key in seen:
            problems.append(
                Problem(
                    dataset.path,
                    dataset.lines.get("table"),
                    "duplicate-table",
                    f"table {dataset.table!r} is already described by {seen[key]}",
                    hint="keep one manifest per table; merge the two files",
                )
            )
        else:
            seen[key] = dataset.path
    return problems


def unknown_warehouse(cluster: Cluster, context: Context) -> list[Problem]:
    if context.warehouses is None or cluster.warehouse in context.warehouses:
        return []
    known = {name: None for name in context.warehouses}
    return [
        Problem(
            f"{cluster.path}/cluster.yaml",
            cluster.lines.get("warehouse"),
            "unknown-warehouse",
            f"warehouse {cluster.warehouse!r} is not defined in vedder.yaml",
            hint=did_you_mean(cluster.warehouse, known) if known else "add it under 'warehouses:'",
        )
    ]


def orphan_profiles(cluster: Cluster, context: Context) -> list[Problem]:
    """Profiles whose manifest is gone, or that measured a different table."""
    problems = []
    for name, profile in cluster.profiles.items():
        dataset = cluster.datasets.get(name)
        if dataset is None:
            problems.append(
                Problem(
                    profile.path,
                    None,
                    "orphan-profile",
                    f"no dataset manifest datasets/{name}.yaml for this profile",
                    hint="delete the profile or restore the manifest",
                    severity="warning",
                )
            )
        elif dataset.table.lower() != profile.table.lower():
            problems.append(
                Problem(
                    profile.path,
                    profile.lines.get("table"),
                    "stale-profile",
                    f"profile measured {profile.table!r} but the manifest names {dataset.table!r}",
                    hint=f"re-run `vedder profile` for {cluster.name}",
                    severity="warning",
                )
            )
    return problems


def doc_datasets(cluster: Cluster, context: Context) -> list[Problem]:
    """Front matter naming a dataset the cluster does not have (a rename, a typo)."""
    names = set(cluster.datasets)
    tables = {d.table.lower() for d in cluster.datasets.values()}
    problems = []
    for doc in cluster.docs:
        for name in doc.datasets:
            if name in names or name.lower() in tables:
                continue
            problems.append(
                Problem(
                    doc.path,
                    doc.lines.get("datasets"),
                    "unknown-dataset",
                    f"front matter names dataset {name!r}, which this cluster does not have",
                    hint=did_you_mean(name, {n: None for n in names})
                    if names
                    else "add datasets/<name>.yaml first",
                    severity="warning",
                )
            )
    return problems


CHECKS: tuple[Callable[[Cluster, Context], list[Problem]], ...] = (
    duplicate_tables,
    unknown_warehouse,
    orphan_profiles,
    doc_datasets,
)


def validate_cluster(
    cluster: Cluster, *, warehouses: Collection[str] | None = None
) -> list[Problem]:
    """Problems that need more than one file of ``cluster`` to see."""
    context = Context(warehouses)
    return [problem for check in CHECKS for problem in check(cluster, context)]
