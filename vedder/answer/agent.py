"""The LLM agent: a ReAct loop with tool calls, bounded by a step and a token budget.

The model sees a system prompt, the context selected for the question (pairs,
docs, dataset slices), earlier turns of the conversation and the question. On
each step it may call tools (:mod:`vedder.answer.tools`); their results, and the
errors of statements that failed or that the guard refused, go back to it so it
can repair them. A run ends when the model calls one of two control tools:

``final_answer(answer, sql)``
    The SQL must be a statement that ``run_sql`` ran successfully *in this run*.
    SQL the model cites but never ran is rejected back to it (not run on its
    behalf): its sentence would have been written without seeing the rows.
    ``Answer.sql``, ``columns`` and ``rows`` come from that execution.
``decline(reason)``
    The knowledge base does not cover the question: ``status="not_covered"``.

A plain-text reply ends the run too when a statement already ran (it cites the
last one); otherwise the model is reminded to run SQL or decline. Running out
of steps or tokens is ``status="error"`` with the partial trace in
``tool_calls``. Prompts are Jinja2 templates in ``prompts/``.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from vedder.answer.model import ChatModel, LiteLLMModel, Message, ModelReply, ToolRequest
from vedder.answer.result import Answer, Sources, Status, ToolCall
from vedder.answer.tools import Execution, Tool, Toolbox, ToolError
from vedder.cluster.model import Cluster
from vedder.errors import ModelError

if TYPE_CHECKING:
    import jinja2

PROMPTS = Path(__file__).resolve().parent / "prompts"
FINAL_ANSWER = "final_answer"
DECLINE = "decline"
DEFAULT_MAX_STEPS = 8
# Prompt + completion tokens over the whole run. Every step resends the
# conversation, so a full 8-step run with a 6,000-token context uses ~70k.
DEFAULT_MAX_TOKENS = 100_000
_SUMMARY_CHARS = 200


class Renderable(Protocol):
    """Selected context (``vedder.retrieve.Context``): anything that renders to prompt text."""

    def render(self) -> str: ...


def final_answer(answer: str, sql: str | None = None) -> str:
    """Give the final answer to the user. Call it once the rows of a statement you ran
    answer the question.

    Args:
        answer: One or two plain sentences for the user, with the numbers from the rows.
        sql: The statement whose rows support the answer, exactly as you ran it with
            run_sql. Defaults to the last statement that ran successfully.
    """
    return answer  # never called: the agent loop handles it (the signature is the schema)


def decline(reason: str) -> str:
    """Decline to answer because this knowledge base does not cover the question
    (no dataset holds the data it needs). Better than a guess.

    Args:
        reason: Why, in words the user understands, e.g. "no dataset holds revenue".
    """
    return reason  # never called: the agent loop handles it (the signature is the schema)


CONTROL_TOOLS = (Tool.from_function(final_answer), Tool.from_function(decline))


@functools.cache
def _environment() -> jinja2.Environment:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(PROMPTS)),
        autoescape=False,  # prompts are plain text, never HTML
        undefined=jinja2.StrictUndefined,  # a missing variable is a bug, not an empty string
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


def render_prompt(name: str, **values: Any) -> str:
    """Render ``prompts/<name>`` with ``values``."""
    return _environment().get_template(name).render(**values).strip()


def build_messages(
    question: str,
    *,
    cluster: Cluster,
    context: str,
    dialect: str,
    max_steps: int,
    history: Sequence[Answer] = (),
) -> list[Message]:
    """The conversation the first step sends: system, earlier turns, context + question."""
    messages: list[Message] = [
        {
            "role": "system",
            "content": render_prompt(
                "system.j2",
                cluster=cluster,
                tables=cluster.tables,
                dialect=dialect,
                max_steps=max_steps,
            ),
        }
    ]
    for turn in history:
        messages.append({"role": "user", "content": turn.question})
        messages.append({"role": "assistant", "content": render_prompt("turn.j2", answer=turn)})
    messages.append(
        {
            "role": "user",
            "content": render_prompt(
                "question.j2", cluster=cluster, context=context, question=question
            ),
        }
    )
    return messages


def answer_with_agent(
    question: str,
    *,
    cluster: Cluster,
    context: Renderable | str,
    toolbox: Toolbox,
    model: ChatModel | str,
    history: Sequence[Any] | None = None,
    max_steps: int = DEFAULT_MAX_STEPS,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    clock: Callable[[], float] = time.perf_counter,
) -> Answer:
    """Answer ``question`` with a tool-using model over ``cluster``.

    ``model`` is a LiteLLM model string or a :class:`ChatModel`; ``max_tokens``
    bounds the prompt + completion tokens of the whole run. ``history`` holds the
    earlier turns of a chat, oldest first: Answers, ``(question, Answer)`` pairs
    or objects with ``question`` and ``answer`` (``vedder.ask.Turn``). A model that cannot
    be called at all (unknown provider, missing API key) raises
    :class:`ModelError` before anything runs; a provider failure during the run
    returns ``status="error"`` with the trace so far.
    """
    if max_steps < 1 or max_tokens < 1:
        raise ValueError("max_steps and max_tokens must be positive")
    chat = LiteLLMModel(model) if isinstance(model, str) else model
    chat.check()
    text = context if isinstance(context, str) else context.render()
    run = _Run(
        question=question,
        cluster=cluster,
        toolbox=toolbox,
        model=chat.name,
        sources=_context_sources(context),
        started=clock(),
        clock=clock,
        first_execution=len(toolbox.executed),
    )
    tools = {tool.name: tool for tool in toolbox.tools()}
    schemas = [tool.schema() for tool in (*tools.values(), *CONTROL_TOOLS)]
    messages = build_messages(
        question,
        cluster=cluster,
        context=text,
        dialect=toolbox.dialect,
        max_steps=max_steps,
        history=_turns(history or ()),
    )

    while run.steps < max_steps:
        if run.tokens >= max_tokens:
            return run.failed(
                f"token budget exhausted: {run.tokens} of {max_tokens} tokens used "
                f"after {run.steps} steps without a final answer"
            )
        try:
            reply = chat.complete(messages, schemas)
        except ModelError as exc:
            hint = f" (hint: {exc.hint})" if exc.hint else ""
            return run.failed(f"{exc.message}{hint}")
        run.count(reply)
        messages.append(reply.as_message())

        if not reply.tool_calls:
            if reply.content and reply.content.strip() and run.executed:
                return run.answered(reply.content.strip(), run.executed[-1])
            messages.append({"role": "user", "content": render_prompt("reminder.j2")})
            continue

        for call in reply.tool_calls:
            outcome = run.handle(call, tools)
            if isinstance(outcome, Answer):
                return outcome
            messages.append(
                {"role": "tool", "tool_call_id": call.id, "name": call.name, "content": outcome}
            )

    return run.failed(
        f"step budget exhausted: no final answer after {max_steps} steps "
        "(ask a narrower question, or allow more steps)"
    )


@dataclass
class _Run:
    """What one run has done so far: the trace, the costs, and how to end it."""

    question: str
    cluster: Cluster
    toolbox: Toolbox
    model: str
    sources: Sources
    started: float
    clock: Callable[[], float]
    first_execution: int = 0  # a reused toolbox's earlier statements are not this run's
    steps: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    tool_calls: list[ToolCall] = field(default_factory=list)

    @property
    def executed(self) -> list[Execution]:
        """Statements run_sql ran successfully in this run, oldest first."""
        return self.toolbox.executed[self.first_execution :]

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def count(self, reply: ModelReply) -> None:
        self.steps += 1
        self.prompt_tokens += reply.prompt_tokens
        self.completion_tokens += reply.completion_tokens

    def handle(self, call: ToolRequest, tools: dict[str, Tool]) -> str | Answer:
        """Run one tool call: its result text for the model, or the Answer that ends the run."""
        started = self.clock()
        record = ToolCall(name=call.name, arguments={})
        self.tool_calls.append(record)
        try:
            arguments = _arguments(call)
            record.arguments = arguments
            if call.name == DECLINE:
                reason = str(_control(DECLINE, arguments)["reason"]).strip()
                record.result_summary = "declined"
                return self._end(record, started, self.declined(reason))
            if call.name == FINAL_ANSWER:
                given = _control(FINAL_ANSWER, arguments)
                execution = self._cited(given.get("sql"))
                record.result_summary = "answered"
                return self._end(record, started, self.answered(str(given["answer"]), execution))
            tool = tools.get(call.name)
            if tool is None:
                names = ", ".join([*tools, FINAL_ANSWER, DECLINE])
                raise ToolError(f"there is no tool named {call.name!r}; tools: {names}")
            result = tool(arguments)
        except ToolError as error:
            record.error = str(error)
            record.duration_ms = (self.clock() - started) * 1000
            return f"ERROR: {error}"
        record.result_summary = _summary(result)
        record.duration_ms = (self.clock() - started) * 1000
        return result

    def _end(self, record: ToolCall, started: float, answer: Answer) -> Answer:
        record.duration_ms = (self.clock() - started) * 1000
        answer.duration_ms = (self.clock() - self.started) * 1000
        return answer

    def _cited(self, sql: Any) -> Execution:
        """The execution a final answer cites; SQL that never ran here is sent back."""
        executed = self.executed
        if sql is None or not str(sql).strip():
            if not executed:
                raise ToolError(
                    "no statement has run yet: run the SQL that answers the question with "
                    "run_sql first, then call final_answer with it"
                )
            return executed[-1]
        wanted = _normalized(str(sql), self.toolbox.dialect)
        for execution in reversed(executed):
            forms = {execution.sql, execution.result.sql or execution.sql}
            if wanted in {_normalized(form, self.toolbox.dialect) for form in forms}:
                return execution
        raise ToolError(
            "that SQL has not been run in this conversation, so its rows are unknown: run it "
            "with run_sql, check the rows, then call final_answer again with the SQL you ran"
        )

    def _base(self, status: Status) -> Answer:
        return Answer(
            question=self.question,
            status=status,
            cluster=self.cluster.name,
            model=self.model,
            steps=self.steps,
            tool_calls=self.tool_calls,
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            duration_ms=(self.clock() - self.started) * 1000,
        )

    def answered(self, text: str, execution: Execution) -> Answer:
        answer = self._base("answered")
        result = execution.result
        answer.answer = text.strip() or None
        answer.sql = result.sql or execution.sql
        answer.columns = list(result.columns)
        answer.rows = list(result.rows)
        answer.truncated = result.truncated
        answer.sources = _with_datasets(
            self.sources, self.cluster, answer.sql, self.toolbox.dialect
        )
        return answer

    def declined(self, reason: str) -> Answer:
        answer = self._base("not_covered")
        answer.reason = reason or "the model found no data in this knowledge base for the question"
        answer.sources = self.sources
        return answer

    def failed(self, message: str) -> Answer:
        answer = self._base("error")
        answer.error = message
        answer.sources = self.sources
        return answer


def _arguments(call: ToolRequest) -> dict[str, Any]:
    text = call.arguments.strip() or "{}"
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ToolError(
            f"the arguments for {call.name} are not valid JSON ({exc.msg}); send a JSON object"
        ) from None
    if not isinstance(value, dict):
        raise ToolError(f"the arguments for {call.name} must be a JSON object")
    return value


def _control(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """Check a control tool's arguments against its schema, like any other tool."""
    tool = next(tool for tool in CONTROL_TOOLS if tool.name == name)
    tool(arguments)  # validates names and types; the function itself only echoes
    return arguments


def _normalized(sql: str, dialect: str) -> str:
    """A form of the statement where layout, case of keywords and a final ';' do not matter."""
    import sqlglot

    text = sql.strip().rstrip(";").strip()
    try:
        parsed = sqlglot.parse(text, read=dialect or None)
    except sqlglot.errors.SqlglotError:
        parsed = []
    if len(parsed) == 1 and parsed[0] is not None:
        return parsed[0].sql(dialect=dialect or None)
    return " ".join(text.split())


def _with_datasets(sources: Sources, cluster: Cluster, sql: str | None, dialect: str) -> Sources:
    """The context's sources plus the manifests of the tables the answer's SQL reads."""
    import sqlglot
    from sqlglot import exp

    datasets = list(sources.datasets)
    try:
        tables = [
            ".".join(part for part in (table.db, table.name) if part)
            for statement in sqlglot.parse(sql or "", read=dialect or None)
            if statement is not None
            for table in statement.find_all(exp.Table)
        ]
    except sqlglot.errors.SqlglotError:
        tables = []
    for table in tables:
        found = cluster.dataset_for_table(table)
        if found is not None and found.path not in datasets:
            datasets.append(found.path)
    return Sources(pairs=list(sources.pairs), docs=list(sources.docs), datasets=datasets)


def _context_sources(context: Renderable | str) -> Sources:
    """What the selected context showed the model (``vedder.retrieve.Context``), as paths."""
    found = getattr(context, "sources", None)
    if isinstance(found, Sources):
        return Sources(list(found.pairs), list(found.docs), list(found.datasets))
    sources = Sources()
    for scored in getattr(context, "pairs", None) or []:
        path = getattr(getattr(scored, "pair", None), "path", None)
        if path and path not in sources.pairs:
            sources.pairs.append(path)
    for kind, into in (("docs", sources.docs), ("datasets", sources.datasets)):
        for item in getattr(context, kind, None) or []:
            path = getattr(item, "path", None)
            if path and path not in into:
                into.append(path)
    return sources


def _turns(history: Sequence[Any]) -> list[Answer]:
    """Earlier answers, given as Answers, (question, Answer) pairs or turns with ``.answer``."""
    turns: list[Answer] = []
    for item in history:
        if isinstance(item, Answer):
            turns.append(item)
        elif isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], Answer):
            turns.append(replace(item[1], question=str(item[0])))
        elif isinstance(getattr(item, "answer", None), Answer):
            turns.append(replace(item.answer, question=str(item.question)))
        else:
            raise TypeError(f"not an earlier turn: {item!r}")
    return turns


def _summary(result: str) -> str:
    line = result.strip().splitlines()[0] if result.strip() else ""
    return line if len(line) <= _SUMMARY_CHARS else line[: _SUMMARY_CHARS - 1] + "…"
