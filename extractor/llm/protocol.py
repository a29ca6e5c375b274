"""The request/answer protocol of the model backend, shared by its two callers.

The online backend (:mod:`extractor.llm.online`) and the Batch API (:mod:`extractor.llm.batch`)
send and read exactly the same things, from this one module:

* :class:`OpenAIOptions`: the backend's options, validated (unknown names are an error).
* :class:`RequestSettings`: what shapes a request or goes into the cache key, as one type.
* :func:`part_messages` and :func:`chat_request`: a part's first request body (instructor's
  request handler for the mode, the same call the re-ask loop starts from).
* :func:`read_answer`: a completion read tolerantly, then validated
  (:mod:`extractor.llm.lenient`).
* :func:`reask_messages`: the model's last answer and our reply to it, for a re-ask.
* :func:`assemble`: the grounded parts of a page merged into one
  :class:`~extractor.backends.Extraction`.
* :func:`resolve_server` / :func:`resolve_model`: the key, base-URL and model rules.
* :func:`describe_api_error`, :func:`transient_status`, :func:`retry_after_seconds`: what a
  server's error means.
"""

from __future__ import annotations

import email.utils
import functools
import json
import os
import re
import socket
import time
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal, cast

import instructor
import openai
from instructor.processing.response import handle_response_model
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from extractor.backends import Extraction, parse_options
from extractor.errors import ConfigurationError, InternalError, InvalidAnswer
from extractor.llm.answer import PageAnswer, schema_digest
from extractor.llm.chunking import Chunk
from extractor.llm.grounding import Grounded, merge_parts
from extractor.llm.lenient import CUT_OFF, UnusableAnswer, read_completion
from extractor.llm.prompting import Message, Prompt
from extractor.records import Usage

#: The name of the model backend (``--backend openai``), as records and cache keys give it.
BACKEND_NAME: Final = "openai"

Mode = Literal["tools", "json_schema", "json"]
INSTRUCTOR_MODES: Final[dict[str, instructor.Mode]] = {
    "tools": instructor.Mode.TOOLS,
    "json_schema": instructor.Mode.JSON_SCHEMA,
    "json": instructor.Mode.JSON,
}
DEFAULT_BASE_URL: Final = "https://api.openai.com/v1"
MODEL_ENV: Final = "CQC_EXTRACT_MODEL"
#: The key sent to a server given by URL when no key is set: local servers ignore it.
DUMMY_KEY: Final = "not-needed"
_RETRY_STATUS: Final = frozenset({408, 409, 429})


@functools.cache
def response_model() -> type[PageAnswer]:
    """The answer schema as instructor runs it, prepared once: instructor would otherwise
    build a new wrapper class (and JSON Schema) on every request."""
    return cast(type[PageAnswer], instructor.response_schema(PageAnswer))


class OpenAIOptions(BaseModel):
    """Settings of the openai backend. Unknown names are an error, not ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str | None = Field(default=None, description="Model name (else $CQC_EXTRACT_MODEL).")
    base_url: str | None = Field(
        default=None, description="Server URL (else $OPENAI_BASE_URL, else OpenAI)."
    )
    api_key: str | None = Field(default=None, repr=False, description="Else $OPENAI_API_KEY.")
    mode: Mode = "tools"
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    #: The longest answer asked for, in tokens (``max_tokens``; not sent when None). A small
    #: model can repeat itself until its context is full: this bounds how long that takes.
    max_tokens: int | None = Field(default=None, ge=1)
    cache_dir: Path | None = None
    no_cache: bool = False
    #: Seconds one request may take (connect, write, read).
    timeout: float = Field(default=120.0, gt=0)
    #: Seconds one document may take, re-asks and retries included (default:
    #: DEADLINE_TIMEOUTS x timeout).
    deadline: float | None = Field(default=None, gt=0)
    #: The longest Retry-After waited for; a longer one fails the document, naming the wait.
    max_retry_after: float = Field(default=60.0, ge=0)
    #: Transport attempts per request, the first included.
    max_attempts: int = Field(default=5, ge=1)
    #: Seconds a request may spend in transport retries, waits included.
    retry_budget: float = Field(default=120.0, gt=0)
    backoff_base: float = Field(default=1.0, ge=0)
    backoff_max: float = Field(default=30.0, ge=0)
    #: Validation re-asks per part of a page (schema, JSON and grounding errors together).
    reasks: int = Field(default=2, ge=0)
    chunk_chars: int = Field(default=24_000, ge=1_000)
    chunk_overlap: int = Field(default=1_000, ge=0)

    @field_validator("mode", mode="before")
    @classmethod
    def _mode_case(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _overlap_fits(self) -> OpenAIOptions:
        if self.chunk_overlap >= self.chunk_chars // 2:
            raise ValueError("chunk_overlap must be less than half of chunk_chars")
        return self


#: A document's deadline, unless set, in request time-outs.
DEADLINE_TIMEOUTS: Final = 4


def clean_url(url: str) -> str:
    """``url`` as it may be shown: no user:password, no query string."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urllib.parse.urlunsplit((parts.scheme, host, parts.path, "", "")) or url


def unusable_feedback(problem: str) -> str:
    """The message that sends an answer unusable as a whole back to the model."""
    return (
        f"Your answer could not be used: {problem}.\n"
        "Answer again with the complete answer as one JSON object: current_rating, "
        "current_rating_quote and events (every event of the page, every field)."
    )


class Unanswered(Exception):
    """No answer parsed within the re-asks instructor was allowed (internal signal)."""


def retry_after_seconds(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """The wait a server asks for: ``retry-after-ms``, or ``Retry-After`` as seconds or as an
    HTTP date (relative to ``now``, a POSIX time, default the current time). None when the
    headers ask for nothing readable."""
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def transient_status(status_code: int) -> bool:
    """Whether an HTTP status is worth retrying (408, 409, 429 and 5xx)."""
    return status_code in _RETRY_STATUS or status_code >= 500


def is_transient(err: BaseException) -> bool:
    if isinstance(err, openai.APIConnectionError):  # time-outs included
        return True
    if isinstance(err, openai.APIStatusError):
        return transient_status(err.status_code)
    return False


#: The longest server message kept in an error (one line, cut with "…").
MESSAGE_CHARS: Final = 200
_BEARER = re.compile(r"(?i)\b(bearer\s+)\S+")
_KEYLIKE = re.compile(r"\b(sk-[A-Za-z0-9_\-]{4})[A-Za-z0-9_\-]{8,}")


def one_line(text: str, *, secrets: Sequence[str] = (), limit: int = MESSAGE_CHARS) -> str:
    """``text`` as one line for a message: its lines joined, white space squashed, every
    secret in ``secrets`` (and anything shaped like an API key or a bearer token) replaced by
    ``***``, cut to ``limit`` characters."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    text = _BEARER.sub(r"\1***", _KEYLIKE.sub(r"\1***", text))
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def body_message(body: Any) -> str | None:
    """The message of a server's error body (``{"error": {"message": ...}}``, ``{"error":
    "..."}`` or ``{"message": ...}``), or None when it has none."""
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return str(inner["message"])
        if isinstance(inner, str):
            return inner
    return None


def _server_message(err: openai.APIStatusError) -> str:
    return body_message(err.body) or err.message


def _causes(err: BaseException) -> list[BaseException]:
    """``err`` and every exception it was raised from, outermost first."""
    chain: list[BaseException] = []
    cause: BaseException | None = err
    while cause is not None and all(cause is not c for c in chain):
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    return chain


def _connect_failure(err: BaseException) -> str | None:
    """In words, why no connection could be made (refused, name not resolved), or None for
    other transport errors (time-outs, a dropped connection)."""
    if not isinstance(err, openai.APIConnectionError) or isinstance(err, openai.APITimeoutError):
        return None
    chain = _causes(err)
    if any(isinstance(c, ConnectionRefusedError) for c in chain):
        return "connection refused (is the server running?)"
    if any(isinstance(c, socket.gaierror) for c in chain):
        return "the host name cannot be resolved"
    direct = err.__cause__
    if direct is not None and type(direct).__name__ == "ConnectError":
        return f"cannot connect ({one_line(str(direct))})"
    return None


def describe_api_error(err: BaseException, *, secrets: Sequence[str] = ()) -> str:
    """One line on what went wrong with a request to the server (status and its message,
    time-out, or connection failure); never more than one line, never a secret."""
    if isinstance(err, openai.APIStatusError):
        return f"HTTP {err.status_code}: {one_line(_server_message(err), secrets=secrets)}"
    if isinstance(err, openai.APITimeoutError):
        return "the request timed out"
    if isinstance(err, openai.APIConnectionError):
        failure = _connect_failure(err)
        if failure is not None:
            return failure
        cause = one_line(str(err.__cause__ or ""), secrets=secrets)
        return f"the connection failed ({cause})" if cause else "the connection failed"
    return one_line(f"{type(err).__name__}: {err}", secrets=secrets)


_INVALID_REQUEST = re.compile(
    r"validation error|literal_error|input should be|invalid request|invalid_request|"
    r"unrecognized|not supported|unsupported|could not parse|failed to parse|bad request|"
    r"extra inputs are not permitted|field required",
    re.I,
)
_MODE_WORDS: Final[dict[str, re.Pattern[str]]] = {
    "json_schema": re.compile(r"json_schema|response_format", re.I),
    "json": re.compile(r"json_object|response_format", re.I),
    "tools": re.compile(r"\btools?\b|tool_choice|function", re.I),
}
_OTHER_MODES: Final = {"tools": "json", "json_schema": "tools or --mode json", "json": "tools"}


def request_invalid(err: BaseException) -> bool:
    """Whether a server error says the request itself is invalid: a 4xx, or a 500 whose
    text says so (llama.cpp's server answers a request it cannot parse with 500). Such a
    request fails the same way however often it is sent."""
    if not isinstance(err, openai.APIStatusError):
        return False
    if 400 <= err.status_code < 500:
        return err.status_code not in _RETRY_STATUS
    return err.status_code == 500 and bool(_INVALID_REQUEST.search(_server_message(err)))


def fatal_cause(err: BaseException, mode: Mode, *, secrets: Sequence[str] = ()) -> str | None:
    """Why no document can succeed against this server as configured, in words, or None
    when the error may belong to this document alone (or pass)."""
    failure = _connect_failure(err)
    if failure is not None:
        return failure
    if not isinstance(err, openai.APIStatusError):
        return None
    said = describe_api_error(err, secrets=secrets)
    if err.status_code in (401, 403):
        return f"{said} (check OPENAI_API_KEY and --base-url)"
    if err.status_code == 404:
        return f"{said} (is the model name right, and does --base-url end in /v1?)"
    if request_invalid(err) and _MODE_WORDS[mode].search(_server_message(err)):
        return (
            f"the server does not support --mode {mode} ({said}); try --mode {_OTHER_MODES[mode]}"
        )
    return None


def reask_messages(completion: Any, text: str, mode: Mode) -> list[Message]:
    """The model's last answer and our reply to it, to append to the conversation."""
    choices = getattr(completion, "choices", None) or []
    message = getattr(choices[0], "message", None) if choices else None
    if message is None:
        return [{"role": "assistant", "content": ""}, {"role": "user", "content": text}]
    calls = [c for c in (message.tool_calls or []) if getattr(c, "function", None) is not None]
    if mode == "tools" and calls:
        assistant: Message = {
            "role": "assistant",
            # a string, never null: llama.cpp's server refuses an assistant message whose
            # content is null (HTTP 500), and OpenAI takes either
            "content": message.content or "",
            "tool_calls": [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.function.name, "arguments": c.function.arguments},
                }
                for c in calls
            ],
        }
        replies: list[Message] = [
            {"role": "tool", "tool_call_id": c.id, "content": text} for c in calls
        ]
        return [assistant, *replies]
    return [
        {"role": "assistant", "content": message.content or ""},
        {"role": "user", "content": text},
    ]


def server_url(base_url: str | None) -> str | None:
    """``base_url``, else ``$OPENAI_BASE_URL``; None means OpenAI's own server."""
    return (base_url or os.environ.get("OPENAI_BASE_URL") or "").strip() or None


def resolve_server(
    base_url: str | None, api_key: str | None, *, needs: str = "--backend openai"
) -> tuple[str | None, str]:
    """The server and key to use: ``base_url`` (else ``$OPENAI_BASE_URL``; None means OpenAI)
    and ``api_key`` (else ``$OPENAI_API_KEY``; a dummy for a server given by URL).

    Without a key and without a base URL nothing can work: :class:`ConfigurationError` at
    once, in one line that says what to set (``needs`` names the command asking).
    """
    url = server_url(base_url)
    key = api_key or os.environ.get("OPENAI_API_KEY") or None
    if key is None and url is None:
        raise ConfigurationError(
            f"{needs} needs a server: set OPENAI_API_KEY to use OpenAI, or pass "
            "--base-url URL (or set OPENAI_BASE_URL) for another OpenAI-compatible server"
        )
    return url, key or DUMMY_KEY


def resolve_model(model: str | None, *, needs: str = "--backend openai") -> str:
    """``model``, else ``$CQC_EXTRACT_MODEL``; :class:`ConfigurationError` when neither is set."""
    found = model or os.environ.get(MODEL_ENV) or None
    if found is None:
        raise ConfigurationError(f"{needs} needs a model: pass --model NAME (or set {MODEL_ENV})")
    return found


def part_messages(prompt: Prompt, text: str, chunk: Chunk) -> list[Message]:
    """The prompt's messages for one part of a page (the whole page when it is one part)."""
    return prompt.messages(text[chunk.start : chunk.end], part=chunk.index + 1, parts=chunk.count)


def prepared_request(
    messages: list[Message],
    *,
    model: str,
    mode: Mode,
    temperature: float,
    max_tokens: int | None = None,
) -> tuple[type[PageAnswer], dict[str, Any]]:
    """The response model instructor validates against and the chat-completions body, built
    by instructor's request handler for ``mode`` (tools and tool_choice, or response_format,
    and for ``json`` the schema added to the system message)."""
    extra: dict[str, Any] = {} if max_tokens is None else {"max_tokens": max_tokens}
    prepared, body = handle_response_model(
        response_model(),
        mode=INSTRUCTOR_MODES[mode],
        messages=messages,
        model=model,
        temperature=temperature,
        **extra,
    )
    if prepared is None:  # pragma: no cover - only without a response model
        raise InternalError("instructor prepared no response model")
    # instructor turns an empty string content into an empty list of parts, which
    # llama.cpp's server refuses (HTTP 500): an empty content is sent as a string.
    body["messages"] = [
        {**m, "content": ""} if isinstance(m, dict) and m.get("content") == [] else m
        for m in body.get("messages", [])
    ]
    return prepared, body


def chat_request(
    messages: list[Message],
    *,
    model: str,
    mode: Mode,
    temperature: float,
    max_tokens: int | None = None,
) -> dict[str, Any]:
    """The chat-completions request body for ``messages``: exactly what the online path sends
    (it builds its requests with this function too), as JSON-ready data."""
    body = prepared_request(
        messages, model=model, mode=mode, temperature=temperature, max_tokens=max_tokens
    )[1]
    data: dict[str, Any] = json.loads(json.dumps(body, ensure_ascii=False))
    return data


def read_answer(completion: Any, mode: Mode, *, source: str | None = None) -> PageAnswer:
    """Read one completion for ``mode``: tolerantly, then validated
    (:func:`extractor.llm.lenient.read_completion`). With no re-asks left, an answer that
    is unusable as a whole is :class:`InvalidAnswer`, worded as the online path words it
    after one answer."""
    try:
        return read_completion(completion, mode)
    except UnusableAnswer as err:
        raise no_valid_answer(1, Unanswered(err.message), source) from err


def no_valid_answer(answers: int, err: Unanswered, source: str | None) -> InvalidAnswer:
    return InvalidAnswer(
        f"no valid answer from the model after {answers} answers: {err}",
        source=source,
        backend=BACKEND_NAME,
    )


def assemble(
    parts: list[tuple[Chunk, Grounded]], *, model: str | None, prompt: str, usage: Usage
) -> Extraction:
    """The extraction for a page from its grounded parts, merged when there are several."""
    grounded = parts[0][1] if len(parts) == 1 else merge_parts(parts)
    return Extraction(
        events=[g.event for g in grounded.events],
        current_rating=grounded.current_rating,
        current_rating_evidence=grounded.current_rating_evidence,
        model=model,
        prompt=prompt,
        usage=usage,
        issues=grounded.issues(),
    )


@dataclass(frozen=True)
class RequestSettings:
    """Everything that shapes a request or goes into the cache key, in one place: the online
    backend and the Batch API build their requests from it. Build it with :meth:`from_options`
    (same names and checks as the backend's options)."""

    model: str
    mode: Mode
    temperature: float
    #: The server the answers come from (None: OpenAI); it names the cache entries.
    base_url: str | None
    chunk_chars: int
    chunk_overlap: int
    reasks: int
    prompt: Prompt
    max_tokens: int | None = None

    @classmethod
    def from_options(
        cls,
        options: OpenAIOptions,
        *,
        prompt: Prompt | None = None,
        needs: str = "--backend openai",
    ) -> RequestSettings:
        """Settings from validated backend options; the model from ``$CQC_EXTRACT_MODEL``
        when the options name none (``needs`` names the command asking, for the message)."""
        return cls(
            model=resolve_model(options.model, needs=needs),
            mode=options.mode,
            temperature=options.temperature,
            base_url=server_url(options.base_url),
            chunk_chars=options.chunk_chars,
            chunk_overlap=options.chunk_overlap,
            reasks=options.reasks,
            prompt=prompt or Prompt.load(),
            max_tokens=options.max_tokens,
        )

    @classmethod
    def parse(
        cls, *, prompt: Prompt | None = None, needs: str = "--backend openai", **options: Any
    ) -> RequestSettings:
        """Settings from unvalidated backend options (``model``, ``mode``, ``temperature``,
        ``base_url``, ``chunk_chars``, ...), each defaulting as for ``--backend openai``."""
        opts = parse_options(OpenAIOptions, BACKEND_NAME, **options)
        return cls.from_options(opts, prompt=prompt, needs=needs)

    def cache_key_parts(self) -> dict[str, Any]:
        """Everything but the document that goes into a cache key (see
        :mod:`extractor.llm.cache`): every input that changes the answer. Written into batch
        manifests as it is, so that ingesting batch answers stores them where ``extract``
        looks."""
        return {
            "backend": BACKEND_NAME,
            "model": self.model,
            "base_url": (self.base_url or DEFAULT_BASE_URL).rstrip("/"),
            "mode": self.mode,
            "prompt": self.prompt.digest,
            "answer_schema": schema_digest(),
            "temperature": self.temperature,
            "chunk_chars": self.chunk_chars,
            "chunk_overlap": self.chunk_overlap,
            "reasks": self.reasks,
            # only when set, so that the keys of answers made without it stay the same
            **({} if self.max_tokens is None else {"max_tokens": self.max_tokens}),
        }

    def part_request(self, text: str, chunk: Chunk) -> dict[str, Any]:
        """The first request body for one part of a page."""
        return chat_request(
            part_messages(self.prompt, text, chunk),
            model=self.model,
            mode=self.mode,
            temperature=self.temperature,
            max_tokens=self.max_tokens,
        )


__all__ = [
    "BACKEND_NAME",
    "CUT_OFF",
    "DEADLINE_TIMEOUTS",
    "DEFAULT_BASE_URL",
    "DUMMY_KEY",
    "INSTRUCTOR_MODES",
    "MODEL_ENV",
    "Mode",
    "OpenAIOptions",
    "RequestSettings",
    "Unanswered",
    "assemble",
    "body_message",
    "chat_request",
    "clean_url",
    "describe_api_error",
    "fatal_cause",
    "is_transient",
    "no_valid_answer",
    "one_line",
    "part_messages",
    "prepared_request",
    "read_answer",
    "reask_messages",
    "request_invalid",
    "resolve_model",
    "resolve_server",
    "response_model",
    "retry_after_seconds",
    "server_url",
    "transient_status",
    "unusable_feedback",
]
