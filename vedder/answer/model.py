"""The one place Vedder talks to a language model: a thin seam over ``litellm.completion``.

Everything model-specific stays here so the agent sees only :class:`ModelReply`
objects and :class:`~vedder.errors.ModelError`. litellm takes seconds to import,
so it is imported on the first call, never when this module is imported:
``vedder --help``, the offline answerer and ``vedder lint`` must not pay for it.

Tests and demos use the same path: :mod:`vedder.answer.scripted` registers a
LiteLLM custom provider (``vedder-scripted/<name>``) that replays scripted
replies, so the real ``litellm.completion`` call runs in every test.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Protocol

from vedder.errors import ModelError

Message = dict[str, Any]  # an OpenAI-style chat message, as LiteLLM takes them
ToolSchema = dict[str, Any]  # {"type": "function", "function": {name, description, parameters}}

# Providers that work without their *_API_BASE variable because LiteLLM falls back
# to the local default server (http://localhost:11434 for Ollama).
_LOCAL_DEFAULT_BASE = frozenset({"ollama", "ollama_chat"})

# LiteLLM prefixes messages with its own exception class name; users need the rest.
_LITELLM_PREFIXES = ("litellm.", "LiteLLM.")


@dataclass(frozen=True)
class ToolRequest:
    """One tool call the model asked for. ``arguments`` is the raw JSON text it sent."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class ModelReply:
    """The assistant's message for one step, with what the step cost."""

    content: str | None
    tool_calls: list[ToolRequest] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str | None = None

    def as_message(self) -> Message:
        """The reply as the assistant message to send back on the next step."""
        message: Message = {"role": "assistant", "content": self.content}
        if self.tool_calls:
            message["tool_calls"] = [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": call.arguments},
                }
                for call in self.tool_calls
            ]
        return message


class ChatModel(Protocol):
    """What the agent needs from a model. :class:`LiteLLMModel` is the real one."""

    @property
    def name(self) -> str: ...

    def check(self) -> None:
        """Raise :class:`ModelError` if the model cannot be called (unknown provider, no key)."""
        ...

    def complete(self, messages: Sequence[Message], tools: Sequence[ToolSchema]) -> ModelReply:
        """One chat completion; raises :class:`ModelError` when the provider fails."""
        ...


def load_litellm() -> ModuleType:
    """Import litellm quietly and offline; every import of it in Vedder goes through here.

    At import litellm fetches its model cost map (and a few other catalogs) from
    GitHub unless told not to, which hangs or warns on machines without network;
    the bundled copies are all Vedder needs. Explicit settings in the
    environment win over these defaults.
    """
    if "litellm" not in sys.modules:
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        os.environ.setdefault("LITELLM_OFFLINE_MODE", "true")
    import litellm

    # Otherwise litellm prints "Give Feedback / Get Help" banners to stdout on
    # every error, which corrupts --json output.
    litellm.suppress_debug_info = True
    if not os.environ.get("VEDDER_DEBUG"):
        for name in ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy"):
            logging.getLogger(name).setLevel(logging.ERROR)
    return litellm


class LiteLLMModel:
    """A chat model reached through LiteLLM, named by a LiteLLM model string.

    The string comes from ``--model``, ``VEDDER_MODEL`` or ``vedder.yaml`` (the
    caller resolves which); e.g. ``openai/gpt-4o-mini`` or ``ollama/qwen2.5-coder``.
    """

    def __init__(
        self,
        model: str,
        *,
        temperature: float | None = 0.0,
        max_output_tokens: int | None = None,
        timeout_s: float = 120.0,
        num_retries: int | None = None,
        api_key: str | None = None,
        api_base: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        if not model or model.strip() != model or model == "offline":
            raise ModelError(
                f"not a LiteLLM model string: {model!r}",
                hint="use e.g. openai/gpt-4o-mini or ollama/qwen2.5-coder "
                "(--model or VEDDER_MODEL)",
            )
        self._name = model
        self.temperature = temperature
        self.max_output_tokens = max_output_tokens
        self.timeout_s = timeout_s
        self.num_retries = num_retries
        self.api_key = api_key
        self.api_base = api_base
        self.extra = dict(extra or {})
        self._checked = False

    @property
    def name(self) -> str:
        return self._name

    def __repr__(self) -> str:
        return f"LiteLLMModel({self._name!r})"

    @property
    def provider(self) -> str:
        """The LiteLLM provider of this model, e.g. ``openai`` (raises for an unknown one)."""
        litellm = load_litellm()
        try:
            return str(litellm.get_llm_provider(self._name, api_base=self.api_base)[1])
        except Exception:  # litellm raises BadRequestError; any failure means the same here
            prefix = self._name.split("/", 1)[0] if "/" in self._name else None
            what = f"unknown model provider {prefix!r}" if prefix else "no provider"
            raise ModelError(
                f"{what} in model {self._name!r}",
                hint="use provider/model, e.g. openai/gpt-4o-mini, "
                "anthropic/claude-3-5-haiku-latest or ollama/qwen2.5-coder "
                "(https://docs.litellm.ai/docs/providers)",
            ) from None

    def missing_environment(self) -> list[str]:
        """Environment variables this model needs that are not set, as LiteLLM reports them."""
        litellm = load_litellm()
        provider = self.provider
        report = litellm.validate_environment(
            self._name, api_key=self.api_key, api_base=self.api_base
        )
        missing = [str(key) for key in report.get("missing_keys") or []]
        if provider in _LOCAL_DEFAULT_BASE:
            missing = [key for key in missing if not key.endswith("_API_BASE")]
        return missing

    def check(self) -> None:
        """Fail fast, before any request, when the model cannot possibly be called."""
        if self._checked:
            return
        missing = self.missing_environment()
        if len(missing) == 1:
            raise ModelError(
                f"model {self._name!r} needs {missing[0]}: set it in the environment "
                f"(export {missing[0]}=...) or choose another model with --model or VEDDER_MODEL"
            )
        if missing:
            raise ModelError(
                f"model {self._name!r} needs environment variables that are not set: "
                f"{', '.join(missing)} (set them, or choose another model with --model "
                "or VEDDER_MODEL)"
            )
        self._checked = True

    def complete(self, messages: Sequence[Message], tools: Sequence[ToolSchema]) -> ModelReply:
        self.check()
        litellm = load_litellm()
        params: dict[str, Any] = {"timeout": self.timeout_s, **self.extra}
        if self.temperature is not None:
            params["temperature"] = self.temperature
        if self.max_output_tokens is not None:
            params["max_tokens"] = self.max_output_tokens
        if self.num_retries is not None:
            params["num_retries"] = self.num_retries
        if self.api_key is not None:
            params["api_key"] = self.api_key
        if self.api_base is not None:
            params["api_base"] = self.api_base
        if tools:
            params["tools"] = list(tools)
        try:
            response = litellm.completion(model=self._name, messages=list(messages), **params)
        except Exception as exc:  # every provider failure must reach the user as one line
            raise provider_error(self._name, exc, litellm) from None
        return _reply_from(response)


def provider_error(model: str, exc: BaseException, litellm: ModuleType) -> ModelError:
    """A one-line :class:`ModelError` with a hint for a LiteLLM (or provider) exception."""
    detail = _one_line(exc)
    # Order matters: Timeout is an APIConnectionError, ContextWindowExceeded a BadRequest.
    checks: list[tuple[str, str, str]] = [
        (
            "AuthenticationError",
            f"{model} rejected the credentials: {detail}",
            "check the API key in the environment for this provider",
        ),
        (
            "PermissionDeniedError",
            f"{model} refused access: {detail}",
            "check that your key may use this model",
        ),
        (
            "RateLimitError",
            f"{model} is rate limited or out of quota: {detail}",
            "wait a moment and ask again, or check the account's quota",
        ),
        (
            "Timeout",
            f"{model} did not answer in time: {detail}",
            "try again, or choose a faster model with --model",
        ),
        (
            "APIConnectionError",
            f"cannot reach {model}: {detail}",
            "check the network and the provider's API base "
            "(for Ollama: is `ollama serve` running?)",
        ),
        (
            "ContextWindowExceededError",
            f"the conversation no longer fits {model}'s context window: {detail}",
            "ask a narrower question or lower the context budget",
        ),
        (
            "NotFoundError",
            f"{model} was not found: {detail}",
            "check the model name (LiteLLM form provider/model)",
        ),
        (
            "BadRequestError",
            f"{model} rejected the request: {detail}",
            "check that this model supports tool calling",
        ),
    ]
    for class_name, message, hint in checks:
        cls = getattr(litellm, class_name, None)
        if isinstance(cls, type) and isinstance(exc, cls):
            return ModelError(message, hint=hint)
    return ModelError(
        f"{model} failed: {detail}",
        hint="try again; set VEDDER_DEBUG=1 to see LiteLLM's own log",
    )


def _one_line(exc: BaseException, limit: int = 240) -> str:
    text = str(getattr(exc, "message", None) or exc).strip()
    line = next((part.strip() for part in text.splitlines() if part.strip()), type(exc).__name__)
    # LiteLLM nests prefixes: "litellm.RateLimitError: RateLimitError: OpenAIException - ..."
    while True:
        head, sep, rest = line.partition(": ")
        if sep and (head.startswith(_LITELLM_PREFIXES) or head.endswith(("Error", "Exception"))):
            line = rest.strip()
            continue
        break
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _reply_from(response: Any) -> ModelReply:
    choice = response.choices[0]
    message = choice.message
    calls: list[ToolRequest] = []
    for index, call in enumerate(getattr(message, "tool_calls", None) or []):
        function = call.function
        arguments = function.arguments
        # Some providers hand back parsed arguments; the agent always gets JSON text.
        if not isinstance(arguments, str):
            arguments = json.dumps(arguments or {})
        calls.append(
            ToolRequest(
                id=str(getattr(call, "id", None) or f"call_{index}"),
                name=str(function.name or ""),
                arguments=arguments,
            )
        )
    usage = getattr(response, "usage", None)
    return ModelReply(
        content=message.content if isinstance(message.content, str) else None,
        tool_calls=calls,
        prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
        completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
        finish_reason=getattr(choice, "finish_reason", None),
    )
