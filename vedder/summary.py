"""Summaries of clusters for ``vedder clusters`` and ``vedder show`` (plain data, no rendering)."""

from __future__ import annotations

import difflib
from typing import Any

from vedder.cluster.model import Cluster, Problem, Project
from vedder.errors import ClusterError


def find_cluster(project: Project, name: str) -> Cluster:
    """The named cluster, or an error that lists the close and the known names."""
    try:
        return project.clusters[name]
    except KeyError:
        close = difflib.get_close_matches(name, list(project.clusters), n=1)
        known = ", ".join(sorted(project.clusters)) or "none"
        hint = f"did you mean {close[0]!r}?" if close else f"known clusters: {known}"
        raise ClusterError(f"no cluster named {name!r}", hint=hint) from None


def problem_dict(problem: Problem) -> dict[str, Any]:
    return {
        "path": problem.path,
        "line": problem.line,
        "code": problem.code,
        "severity": problem.severity,
        "message": problem.message,
        "hint": problem.hint,
    }


def cluster_summary(cluster: Cluster) -> dict[str, Any]:
    return {
        "name": cluster.name,
        "title": cluster.title,
        "description": cluster.description,
        "team": cluster.owners.team,
        "contacts": list(cluster.owners.contacts),
        "warehouse": cluster.warehouse,
        "datasets": len(cluster.datasets),
        "profiled": sum(1 for name in cluster.datasets if name in cluster.profiles),
        "docs": len(cluster.docs),
        "pairs": len(cluster.pairs),
        "candidates": len(cluster.candidates),
        "path": cluster.path,
    }


def _described_share(cluster: Cluster, dataset: str) -> float | None:
    columns = cluster.datasets[dataset].columns
    if not columns:
        return None
    return round(sum(1 for c in columns if c.description) / len(columns), 3)


def cluster_detail(project: Project, cluster: Cluster) -> dict[str, Any]:
    datasets = []
    for name, dataset in cluster.datasets.items():
        profile = cluster.profiles.get(name)
        datasets.append(
            {
                "name": name,
                "table": dataset.table,
                "description": dataset.description,
                "columns": len(dataset.columns),
                "described": _described_share(cluster, name),
                "partition": dataset.partition.column if dataset.partition else None,
                "rows": profile.row_count if profile else None,
                "profiled_at": profile.profiled_at if profile else None,
                "path": dataset.path,
            }
        )
    prefix = cluster.path.rstrip("/") + "/"
    problems = [problem_dict(p) for p in project.problems if p.path.startswith(prefix)]
    return {
        **cluster_summary(cluster),
        "topics": list(cluster.topics),
        "datasets": datasets,
        "docs": [{"name": d.name, "title": d.title, "path": d.path} for d in cluster.docs],
        "pairs": [
            {
                "slug": p.slug,
                "question": p.questions[0] if p.questions else None,
                "phrasings": len(p.questions),
                "verified_by": p.verified_by,
                "path": p.path,
            }
            for p in cluster.pairs
        ],
        "candidates": len(cluster.candidates),
        "problems": problems,
    }
