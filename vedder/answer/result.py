"""What answering a question returns, whichever answerer produced it.

``status`` is one of ``answered`` (with SQL that was actually run and its rows),
``not_covered`` (no cluster or vetted pair covers the question: never a guess)
or ``error`` (something failed; ``error`` says what).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Status = Literal["answered", "not_covered", "error"]


@dataclass
class Sources:
    """What an answer relied on, as paths relative to the project root."""

    pairs: list[str] = field(default_factory=list)
    docs: list[str] = field(default_factory=list)
    datasets: list[str] = field(default_factory=list)


@dataclass
class Suggestion:
    """A near miss shown when refusing: a pair that came close, and how close."""

    cluster: str
    pair: str  # path of the pair file
    question: str
    score: float


@dataclass
class ToolCall:
    name: str
    arguments: dict[str, Any]
    result_summary: str = ""
    error: str | None = None
    duration_ms: float = 0.0


@dataclass
class Answer:
    question: str
    status: Status
    cluster: str | None = None
    answer: str | None = None  # one or two sentences for the user
    sql: str | None = None  # the statement that was run, as run (after the guard)
    columns: list[str] = field(default_factory=list)
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    truncated: bool = False
    sources: Sources = field(default_factory=Sources)
    confidence: float | None = None  # 0..1
    model: str = "offline"
    steps: int = 0
    duration_ms: float = 0.0
    run_id: str | None = None
    error: str | None = None
    reason: str | None = None  # why it was refused, in user words
    rewritten: str | None = None  # a chat follow-up read as a full question
    suggestions: list[Suggestion] = field(default_factory=list)
    clusters: list[str] = field(default_factory=list)  # the clusters that exist (when not covered)
    tool_calls: list[ToolCall] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` shape: stable keys, JSON-safe values."""
        data = asdict(self)
        data["rows"] = [list(row) for row in self.rows]
        return data
