"""Asking: the one path from a question to an answer, whichever answerer is used.

A :class:`Session` holds what answering many questions in one process needs —
the project, the routing index, open warehouses, the guard policy and the log —
so that ``vedder chat``, ``vedder ask --questions`` and the MCP server pay the
loading cost once.

    question -> route -> offline answerer (a vetted pair matches) -> answer
                      \\-> LLM agent (when a model is configured) -> answer
                       -> not covered (never a guess)
    every answer -> conversation log (run id)
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from vedder.answer.result import Answer, Sources
from vedder.cluster.model import Cluster, Project
from vedder.config import Config
from vedder.errors import ClusterError, VedderError
from vedder.summary import find_cluster

if TYPE_CHECKING:
    from vedder.retrieve import Index
    from vedder.sqlguard import GuardPolicy
    from vedder.store.log import Log
    from vedder.warehouse.base import Result, Warehouse

OFFLINE = "offline"


@dataclass
class Turn:
    """One earlier exchange in a chat, for follow-up questions."""

    question: str
    answer: Answer


@dataclass
class Session:
    config: Config
    project: Project
    model: str = OFFLINE
    log_enabled: bool = True
    _index: Index | None = field(default=None, repr=False)
    _warehouses: dict[str, Warehouse] = field(default_factory=dict, repr=False)
    _log: Log | None = field(default=None, repr=False)

    @classmethod
    def open(
        cls, config: Config, project: Project, *, model: str | None = None, log: bool = True
    ) -> Session:
        return cls(config=config, project=project, model=model or config.model, log_enabled=log)

    # -- shared pieces, built on first use ---------------------------------

    @property
    def index(self) -> Index:
        if self._index is None:
            from vedder.answer.prepared import PreparedFacts
            from vedder.retrieve import Index

            self._index = Index.build(self.project)
            # What the matcher works out about the pairs is kept for later runs.
            self._index.cache = PreparedFacts.open(self.project, self.config.cache_dir)
        return self._index

    @property
    def policy(self) -> GuardPolicy:
        from vedder.sqlguard import GuardPolicy

        return GuardPolicy.from_mapping(self.config.guard)

    @property
    def budget_tokens(self) -> int:
        return int(self.config.retrieval.get("token_budget", 6000))

    def warehouse(self, name: str) -> Warehouse:
        if name not in self._warehouses:
            from vedder.warehouse import connect

            self._warehouses[name] = connect(self.config, name)
        return self._warehouses[name]

    def close(self) -> None:
        for warehouse in self._warehouses.values():
            warehouse.close()
        self._warehouses.clear()
        if self._index is not None:
            from vedder.answer.prepared import PreparedFacts

            if isinstance(self._index.cache, PreparedFacts):
                self._index.cache.save()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- SQL through the guard ---------------------------------------------

    def allowed_tables(self, cluster: Cluster | None, warehouse: str = "default") -> list[str]:
        """Tables a statement may read: the cluster's, or every cluster's on that warehouse."""
        if cluster is not None:
            return cluster.tables
        return sorted(
            {
                t
                for c in self.project.clusters.values()
                if c.warehouse == warehouse
                for t in c.tables
            }
        )

    def run_sql(self, sql: str, *, cluster: str | Cluster | None = None) -> Result:
        """Run one statement through the guard on the cluster's warehouse (the only way in)."""
        from vedder.sqlguard import run_guarded

        target = find_cluster(self.project, cluster) if isinstance(cluster, str) else cluster
        name = target.warehouse if target else "default"
        return run_guarded(
            self.warehouse(name),
            sql,
            allowed_tables=self.allowed_tables(target, name),
            policy=self.policy,
        )

    # -- asking --------------------------------------------------------------

    def ask(
        self,
        question: str,
        *,
        cluster: str | None = None,
        model: str | None = None,
        history: Sequence[Turn] = (),
        conversation_id: str | None = None,
        turn: int | None = None,
    ) -> Answer:
        """Answer one question; errors become ``status='error'`` answers; every run is logged."""
        started = time.perf_counter()
        model = model or self.model
        try:
            answer = self._answer(question, cluster=cluster, model=model, history=history)
        except VedderError as error:
            answer = Answer(
                question=question, status="error", cluster=cluster, model=model, error=str(error)
            )
        answer.duration_ms = round((time.perf_counter() - started) * 1000, 1)
        if self.log_enabled:
            answer.run_id = self._record(answer, conversation_id=conversation_id, turn=turn)
        return answer

    def _answer(
        self, question: str, *, cluster: str | None, model: str, history: Sequence[Turn]
    ) -> Answer:
        from vedder.answer.offline import answer_offline

        if not question.strip():
            raise ClusterError(
                "the question is empty", hint='ask something, e.g. vedder ask "How many ...?"'
            )
        if not self.project.clusters:
            return self._not_covered(question, model, "there are no clusters in this project yet")
        if cluster is not None:
            find_cluster(self.project, cluster)  # a clear error for an unknown name

        home = self.project.clusters[cluster].warehouse if cluster else "default"
        dialect = self.warehouse(home).dialect
        offline: Answer | None = None
        last = history[-1] if history else None
        if last is not None and last.answer.cluster:
            # Imported here: a single `vedder ask` has no earlier turn to follow up on.
            from vedder.answer.followup import looks_like_follow_up

            if looks_like_follow_up(question):
                # "and in Norway?" means the previous question with Norway: read it that way first.
                offline = self._follow_up(question, last, dialect)
        if offline is None:
            offline = answer_offline(
                question,
                self.project,
                self.index,
                run_sql=self._runner,
                cluster=cluster,
                dialect=dialect,
            )
        if offline.status == "not_covered" and last is not None and last.answer.cluster:
            offline = self._follow_up(question, last, dialect) or offline
        offline.question = question
        if offline.status != "not_covered" or model == OFFLINE:
            offline.model = OFFLINE
            if offline.status == "not_covered" and not offline.clusters:
                offline.clusters = sorted(self.project.clusters)
            return offline
        return self._agent(question, cluster=cluster, model=model, history=history, offline=offline)

    def _follow_up(self, question: str, last: Turn, dialect: str) -> Answer | None:
        """Read a follow-up ("and in Norway?") as the full question it stands for."""
        from vedder.answer.followup import rewrite
        from vedder.answer.offline import answer_offline

        cluster = last.answer.cluster
        assert cluster is not None
        full = rewrite(
            question,
            last.question if last.answer.status != "answered" else _asked(last),
            self.index,
            cluster,
            dialect,
        )
        if full is None:
            return None
        answer = answer_offline(
            full, self.project, self.index, run_sql=self._runner, cluster=cluster, dialect=dialect
        )
        if answer.status != "answered":
            return None
        answer.answer = f'Read as "{full}". {answer.answer or ""}'.strip()
        answer.rewritten = full
        return answer

    def _runner(self, cluster: Cluster, sql: str) -> Result:
        return self.run_sql(sql, cluster=cluster)

    def _agent(
        self,
        question: str,
        *,
        cluster: str | None,
        model: str,
        history: Sequence[Turn],
        offline: Answer,
    ) -> Answer:
        from vedder.answer.agent import answer_with_agent
        from vedder.answer.tools import Toolbox

        name = cluster
        if name is None:
            routes = [r for r in self.index.route(_with_history(question, history)) if r.covered]
            if not routes:
                return self._not_covered(
                    question, model, "no cluster covers this question", suggestions=offline
                )
            name = routes[0].cluster
        target = self.project.clusters[name]
        context = self.index.context(question, name, budget_tokens=self.budget_tokens)
        toolbox = Toolbox(
            project=self.project,
            cluster=target,
            index=self.index,
            run_sql=lambda sql: self.run_sql(sql, cluster=target),
            dialect=self.warehouse(target.warehouse).dialect,
        )
        return answer_with_agent(
            question,
            cluster=target,
            context=context,
            toolbox=toolbox,
            model=model,
            history=[(t.question, t.answer) for t in history],
        )

    def _not_covered(
        self, question: str, model: str, reason: str, *, suggestions: Answer | None = None
    ) -> Answer:
        return Answer(
            question=question,
            status="not_covered",
            model=model,
            reason=reason,
            answer="No knowledge base covers this question.",
            suggestions=suggestions.suggestions if suggestions else [],
            clusters=sorted(self.project.clusters),
        )

    def _record(
        self, answer: Answer, *, conversation_id: str | None, turn: int | None
    ) -> str | None:
        from vedder.store.log import Log, RunRecord

        if self._log is None:
            self._log = Log(self.config.log_path)
        record = RunRecord(
            question=answer.question,
            status=answer.status,
            cluster=answer.cluster,
            answer=answer.answer
            if answer.status != "not_covered"
            else (answer.reason or answer.answer),
            sql=answer.sql,
            columns=list(answer.columns),
            row_count=len(answer.rows) if answer.status == "answered" else None,
            sources=_sources_dict(answer.sources),
            tool_calls=[_tool_dict(call) for call in answer.tool_calls],
            model=answer.model,
            prompt_tokens=answer.prompt_tokens or None,
            completion_tokens=answer.completion_tokens or None,
            duration_ms=int(answer.duration_ms),
            confidence=answer.confidence,
            error=answer.error,
            conversation_id=conversation_id,
            turn=turn,
        )
        return self._log.record(record)


def _asked(turn: Turn) -> str:
    """The full question a turn answered (a follow-up's rewritten form, when it had one)."""
    return turn.answer.rewritten or turn.question


def _with_history(question: str, history: Sequence[Turn]) -> str:
    """Routing for a follow-up sees the question it follows too."""
    if not history:
        return question
    return f"{_asked(history[-1])} {question}"


def _sources_dict(sources: Sources) -> dict[str, list[str]]:
    return {
        "pairs": list(sources.pairs),
        "docs": list(sources.docs),
        "datasets": list(sources.datasets),
    }


def _tool_dict(call: Any) -> dict[str, Any]:
    return {
        "name": call.name,
        "arguments": call.arguments,
        "result": call.result_summary,
        "error": call.error,
        "duration_ms": call.duration_ms,
    }
