"""The offline answerer: a vetted pair matches, or the question is refused.

It needs no model and no network. :func:`vedder.answer.match.match` decides;
this module runs the (possibly adapted) SQL through the caller's ``run_sql``
(which goes through the guard to the cluster's warehouse) and says in one
sentence what it answered and from which sources.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from vedder.answer.match import Match, match
from vedder.answer.result import Answer, Sources
from vedder.cluster.model import Cluster, Project
from vedder.errors import VedderError

if TYPE_CHECKING:
    from vedder.retrieve import Index
    from vedder.warehouse.base import Result

RunSql = Callable[[Cluster, str], "Result"]

NEXT_STEP = (
    "Configure a model (--model or 'model:' in vedder.yaml) to let the agent write new SQL, "
    "or add a vetted pair for this question to the cluster's pairs/ folder."
)


def answer_offline(
    question: str,
    project: Project,
    index: Index,
    *,
    run_sql: RunSql | None = None,
    cluster: str | None = None,
    dialect: str | None = None,
) -> Answer:
    """Answer from a vetted pair, or refuse with the reason and the closest pairs.

    ``run_sql`` runs a statement on the cluster's warehouse through the guard; when
    it is None the answer carries the SQL it would run but no rows. ``cluster``
    restricts matching to one cluster.
    """
    decided = match(question, project, index, dialect=dialect, cluster=cluster)
    if decided.status != "answered" or decided.pair is None or decided.sql is None:
        return _refusal(decided)
    owner = project.clusters[decided.cluster or ""]
    answer = Answer(
        question=question,
        status="answered",
        cluster=owner.name,
        answer=describe(decided),
        sql=decided.sql,
        sources=sources_for(owner, decided),
        confidence=decided.confidence,
        suggestions=decided.suggestions,
    )
    if run_sql is None:
        return answer
    try:
        result = run_sql(owner, decided.sql)
    except VedderError as error:
        answer.status = "error"
        answer.error = str(error)
        return answer
    answer.sql = result.sql or decided.sql
    answer.columns = list(result.columns)
    answer.rows = list(result.rows)
    answer.truncated = result.truncated
    return answer


def describe(decided: Match) -> str:
    """One sentence saying what was answered and what was adapted, e.g.
    "Adapted the vetted pair '...' for Norway, 2024 ('DE' → 'NO', 2025 → 2024)."."""
    title = decided.phrasing or (decided.pair.questions[0] if decided.pair else "")
    if not decided.substitutions:
        return f"Answered with the vetted pair '{title}'."
    asked = list(
        dict.fromkeys(change.because for change in decided.substitutions if change.because)
    )
    changes = list(dict.fromkeys(f"{c.old} → {c.new}" for c in decided.substitutions))
    shown = ", ".join(changes[:4]) + (", ..." if len(changes) > 4 else "")
    target = f" for {', '.join(asked)}" if asked else ""
    return f"Adapted the vetted pair '{title}'{target} ({shown})."


def _refusal(decided: Match) -> Answer:
    reason = decided.reason or "no vetted pair matches this question"
    if decided.suggestions:
        closest = "; ".join(f"'{s.question}'" for s in decided.suggestions[:3])
        text = f"No vetted pair answers this question ({reason}). Closest: {closest}. {NEXT_STEP}"
    elif decided.cluster is None:
        known = ", ".join(decided.clusters) or "none"
        text = f"No knowledge base covers this question. Clusters: {known}. {NEXT_STEP}"
    else:
        text = f"No vetted pair answers this question ({reason}). {NEXT_STEP}"
    return Answer(
        question=decided.question,
        status="not_covered",
        cluster=decided.cluster,
        answer=text,
        reason=reason,
        suggestions=decided.suggestions,
        clusters=decided.clusters,
        confidence=None,
    )


_TABLE_REF = re.compile(r"\b(?:from|join)\s+([\w.\"`]+)", re.IGNORECASE)


def sources_for(cluster: Cluster, decided: Match) -> Sources:
    """The pair file, the datasets its SQL reads, and the docs that mention those datasets."""
    tables = list(decided.tables)
    if not tables and decided.pair is not None:
        tables = [t.strip('"`') for t in _TABLE_REF.findall(decided.pair.sql)]
    datasets = []
    for table in tables:
        dataset = cluster.dataset_for_table(table)
        if dataset is not None and dataset not in datasets:
            datasets.append(dataset)
    docs = []
    for doc in cluster.docs:
        names = {d.lower() for d in doc.datasets}
        body = doc.body.lower()
        if any(
            d.name.lower() in names
            or d.table.lower() in names
            or d.table.lower() in body
            or re.search(rf"\b{re.escape(d.name.lower())}\b", body)
            for d in datasets
        ):
            docs.append(doc.path)
    return Sources(
        pairs=[decided.pair.path] if decided.pair else [],
        docs=docs,
        datasets=[d.path for d in datasets],
    )
