"""A scripted model for tests and demos, plugged in at LiteLLM's own extension point.

Nothing is mocked inside Vedder: a :class:`ScriptedModel` registers a LiteLLM
custom provider (``litellm.custom_provider_map`` with a ``litellm.CustomLLM``
subclass) under the provider name ``vedder-scripted``, so a request to
``vedder-scripted/<name>`` goes through the real ``litellm.completion``. The
provider answers from a queue of scripted replies (text or tool calls) and
records every request it was sent::

    scripted = ScriptedModel("demo")
    scripted.enqueue_tool_call("run_sql", sql="SELECT count(*) FROM plays")
    scripted.enqueue_tool_call("final_answer", answer="There were 12 plays.")
    answer = answer_with_agent(..., model=scripted.model)   # "vedder-scripted/demo"
    scripted.requests[0].messages                            # what the agent sent

A script can also be loaded from JSON (a list of replies, see :meth:`ScriptedModel.load`).
"""

from __future__ import annotations

import copy
import functools
import itertools
import json
import threading
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vedder.answer.model import load_litellm

PROVIDER = "vedder-scripted"

_models: dict[str, ScriptedModel] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class ScriptedToolCall:
    name: str
    arguments: dict[str, Any] | str  # a str is sent as is, e.g. to script malformed JSON


@dataclass(frozen=True)
class ScriptedReply:
    """One reply in the queue. ``usage`` is (prompt, completion) tokens; None estimates them."""

    content: str | None = None
    tool_calls: tuple[ScriptedToolCall, ...] = ()
    usage: tuple[int, int] | None = None
    error: BaseException | None = None  # raised by the provider instead of replying


@dataclass
class ScriptedRequest:
    """What one ``litellm.completion`` call delivered to the provider."""

    model: str
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]]
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def tool_names(self) -> list[str]:
        return [tool["function"]["name"] for tool in self.tools]

    def text(self) -> str:
        """Every message's text content, joined: handy for ``in`` checks."""
        return "\n".join(str(m.get("content") or "") for m in self.messages)


class ScriptedModel:
    """A queue of replies served as LiteLLM model ``vedder-scripted/<name>``.

    Creating one imports litellm and registers the provider (once per process).
    A model with the same name replaces an earlier one; :meth:`close` removes it.
    """

    def __init__(self, name: str = "default", replies: list[ScriptedReply] | None = None) -> None:
        if not name or "/" in name:
            raise ValueError(f"scripted model name must be non-empty without '/': {name!r}")
        self.name = name
        self.queue: deque[ScriptedReply] = deque(replies or [])
        self.requests: list[ScriptedRequest] = []
        install()
        with _lock:
            _models[name] = self

    @property
    def model(self) -> str:
        """The LiteLLM model string to pass to the agent."""
        return f"{PROVIDER}/{self.name}"

    def close(self) -> None:
        with _lock:
            if _models.get(self.name) is self:
                del _models[self.name]

    def __enter__(self) -> ScriptedModel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- scripting -------------------------------------------------------------------

    def enqueue(self, content: str, *, usage: tuple[int, int] | None = None) -> ScriptedModel:
        """Queue a plain-text reply."""
        self.queue.append(ScriptedReply(content=content, usage=usage))
        return self

    def enqueue_tool_call(
        self,
        name: str,
        raw_arguments: str | None = None,
        *,
        usage: tuple[int, int] | None = None,
        content: str | None = None,
        **arguments: Any,
    ) -> ScriptedModel:
        """Queue a reply calling one tool with ``arguments`` (or ``raw_arguments`` verbatim)."""
        call = ScriptedToolCall(name, raw_arguments if raw_arguments is not None else arguments)
        self.queue.append(ScriptedReply(content=content, tool_calls=(call,), usage=usage))
        return self

    def enqueue_tool_calls(
        self, *calls: tuple[str, dict[str, Any]], usage: tuple[int, int] | None = None
    ) -> ScriptedModel:
        """Queue one reply with several tool calls, as models that call tools in parallel do."""
        scripted = tuple(ScriptedToolCall(name, arguments) for name, arguments in calls)
        self.queue.append(ScriptedReply(tool_calls=scripted, usage=usage))
        return self

    def enqueue_error(self, error: BaseException) -> ScriptedModel:
        """Queue a failure: the provider raises ``error`` (e.g. ``litellm.RateLimitError``)."""
        self.queue.append(ScriptedReply(error=error))
        return self

    @classmethod
    def load(cls, path: str | Path, name: str | None = None) -> ScriptedModel:
        """A model whose queue is the JSON list in ``path``.

        Each item is ``{"content": "..."}``, ``{"tool": "run_sql", "arguments": {...}}`` or
        ``{"tool_calls": [{"tool": ..., "arguments": ...}, ...]}``, with an optional
        ``"usage": [prompt_tokens, completion_tokens]``.
        """
        file = Path(path)
        items = json.loads(file.read_text(encoding="utf-8"))
        if not isinstance(items, list):
            raise ValueError(f"{file}: a script is a JSON list of replies")
        return cls(name or file.stem, [_reply_from_json(item, file) for item in items])

    # -- serving ---------------------------------------------------------------------

    def serve(self, messages: list[dict[str, Any]], params: dict[str, Any]) -> Any:
        """Record the request and return the next reply as a LiteLLM ``ModelResponse``."""
        tools = list(params.get("tools") or [])
        self.requests.append(
            ScriptedRequest(
                model=self.model,
                messages=copy.deepcopy(list(messages)),
                tools=copy.deepcopy(tools),
                params={k: v for k, v in params.items() if k != "tools"},
            )
        )
        if not self.queue:
            raise RuntimeError(
                f"scripted model {self.name!r} has no reply left for request {len(self.requests)}"
            )
        reply = self.queue.popleft()
        if reply.error is not None:
            raise reply.error
        return _response(self, reply, messages, tools)


def install() -> None:
    """Register the ``vedder-scripted`` provider with LiteLLM (idempotent)."""
    litellm = load_litellm()
    handler = _provider()
    with _lock:
        if not any(item.get("provider") == PROVIDER for item in litellm.custom_provider_map):
            litellm.custom_provider_map.append({"provider": PROVIDER, "custom_handler": handler})


@functools.cache
def _provider() -> Any:
    """The CustomLLM instance; its class is made here so importing this module stays cheap."""
    litellm = load_litellm()

    class ScriptedProvider(litellm.CustomLLM):  # type: ignore[name-defined]
        # LiteLLM calls custom handlers with keyword arguments only.
        def completion(self, *args: Any, **kwargs: Any) -> Any:
            name = str(kwargs["model"])
            with _lock:
                scripted = _models.get(name)
            if scripted is None:
                raise RuntimeError(f"no scripted model named {name!r} is registered")
            return scripted.serve(kwargs["messages"], dict(kwargs.get("optional_params") or {}))

        async def acompletion(self, *args: Any, **kwargs: Any) -> Any:
            return self.completion(*args, **kwargs)

    return ScriptedProvider()


_call_ids = itertools.count(1)  # unique across models, like provider call ids


def _response(
    scripted: ScriptedModel,
    reply: ScriptedReply,
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]],
) -> Any:
    litellm = load_litellm()
    tool_calls = [
        {
            "id": f"call_{next(_call_ids)}",
            "type": "function",
            "function": {
                "name": call.name,
                "arguments": call.arguments
                if isinstance(call.arguments, str)
                else json.dumps(call.arguments),
            },
        }
        for call in reply.tool_calls
    ]
    message: dict[str, Any] = {"role": "assistant", "content": reply.content}
    if tool_calls:
        message["tool_calls"] = tool_calls
    prompt, completion = reply.usage or _estimate(messages, tools, message)
    return litellm.ModelResponse(
        model=scripted.name,
        choices=[
            {
                "index": 0,
                "finish_reason": "tool_calls" if tool_calls else "stop",
                "message": message,
            }
        ],
        usage={
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        },
    )


def _estimate(
    messages: list[dict[str, Any]], tools: list[dict[str, Any]], reply: dict[str, Any]
) -> tuple[int, int]:
    """Rough token counts (4 characters a token) so budgets behave as with a real model."""
    prompt_chars = sum(len(str(m.get("content") or "")) for m in messages) + len(json.dumps(tools))
    completion_chars = len(json.dumps(reply))
    return max(1, prompt_chars // 4), max(1, completion_chars // 4)


def _reply_from_json(item: Any, file: Path) -> ScriptedReply:
    if not isinstance(item, dict):
        raise ValueError(f"{file}: each reply is a JSON object, got {item!r}")
    usage = item.get("usage")
    usage_pair = (int(usage[0]), int(usage[1])) if usage else None
    if "tool_calls" in item:
        calls = tuple(
            ScriptedToolCall(str(call["tool"]), call.get("arguments") or {})
            for call in item["tool_calls"]
        )
        return ScriptedReply(content=item.get("content"), tool_calls=calls, usage=usage_pair)
    if "tool" in item:
        call = ScriptedToolCall(str(item["tool"]), item.get("arguments") or {})
        return ScriptedReply(content=item.get("content"), tool_calls=(call,), usage=usage_pair)
    if "content" in item:
        return ScriptedReply(content=str(item["content"]), usage=usage_pair)
    raise ValueError(f"{file}: a reply needs 'content', 'tool' or 'tool_calls': {item!r}")
