"""The ``openai`` backend: any OpenAI-compatible chat server, through instructor.

For one document:

1. **Cache.** A hit (:mod:`extractor.cache`) returns the stored extraction with
   ``cached=True`` and the usage of the original requests; no request is made.
2. **Parts.** A page longer than ``chunk_chars`` is read in overlapping parts cut on event
   boundaries (:mod:`extractor.chunking`); each part is asked for separately and the answers
   are merged (:func:`extractor.grounding.merge_parts`).
3. **Ask.** The prompt (:mod:`extractor.prompting`) goes to the server with the answer
   schema (:class:`extractor.answer.PageAnswer`) in the chosen ``mode``: ``tools`` (a forced
   function call), ``json_schema`` (structured output) or ``json`` (JSON object mode).
4. **Ground.** Each quote is located in the text (:mod:`extractor.align`) and each value
   judged against its quote by the checker (:mod:`extractor.grounding`).

Two kinds of retry, kept apart:

- **Transport retries** (inside each request): 429, 408, 409, 5xx, time-outs and connection
  errors are retried with exponential back-off (``backoff_base`` doubling up to
  ``backoff_max``, plus up to 25 % jitter), or exactly the wait the server asks for in
  ``Retry-After`` / ``retry-after-ms`` (seconds or an HTTP date), for at most
  ``max_attempts`` attempts and ``retry_budget`` seconds (no wait is started that would end
  past the budget). Then :class:`~extractor.errors.TransportError`. Other 4xx answers are not
  retried: :class:`~extractor.errors.BackendError` with the server's message. The openai
  client itself never retries (``max_retries=0``).
- **Validation re-asks** (around requests): an answer that is not valid JSON or breaks the
  schema is sent back by instructor's re-ask; an answer whose quotes are not in the text or
  do not support their values is sent back by us, with the problems in words. Both draw on
  one budget of ``reasks`` (default 2) per part. When it runs out, the last answer that
  parsed is kept with its issues (``quote_not_found``, and whatever the checker finds); when
  none ever parsed, :class:`~extractor.errors.InvalidAnswer`. Instructor only ever re-asks
  on parse errors, and transport errors reach it already retried, so attempts never
  multiply.

Connections: one ``openai.AsyncOpenAI`` per event loop, made on first use, kept alive across
the documents of a run and closed inside its loop when the loop shuts down (see
:meth:`OpenAIBackend._loop_client`); :meth:`OpenAIBackend.extract` runs a loop per call.

Usage sums every request for the document: transport attempts that got no answer count as
requests with no tokens; re-asks count their tokens. Dependencies are passed in for tests:
``client`` (an ``openai.AsyncOpenAI``), ``http_client`` (an ``httpx2.AsyncClient``, e.g. with a
``MockTransport``), ``cache``, ``prompt``, ``sleep`` and ``clock``.

The steps that do not talk to a server are module functions, so that the Batch API path
(:mod:`extractor.batch`) sends and reads exactly what this backend does, from one source:
:func:`part_messages` and :func:`chat_request` build a part's first request body (instructor's
request handler for the mode, the same call the re-ask loop starts from), :func:`read_answer`
parses a completion as instructor does for the mode, :func:`assemble` grounds nothing itself
but merges the grounded parts into the :class:`~extractor.backends.Extraction`,
:func:`cache_key_parts` names what goes into the cache key, and :func:`resolve_server` /
:func:`resolve_model` apply the key, base-URL and model rules.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import email.utils
import functools
import json
import logging
import os
import random
import ssl
import time
import weakref
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal, cast

import httpx2
import instructor
import openai
import openai.resources.chat  # openai loads it on first use; pay for it at import, not mid-run
from instructor.core import IncompleteOutputException, InstructorRetryException
from instructor.core.retry import retry_async
from instructor.processing.response import handle_response_model, process_response
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception

from .align import FoldedText
from .answer import PageAnswer, schema_digest
from .backends import Backend, Extraction
from .cache import ResultCache, cache_key
from .chunking import Chunk, plan_chunks
from .document import Document
from .errors import (
    BackendError,
    ConfigurationError,
    ExtractorError,
    InternalError,
    InvalidAnswer,
    TransportError,
)
from .grounding import Grounded, feedback, ground, merge_parts
from .models import Usage
from .prompting import Message, Prompt
from .rules import find_event_starts

# instructor registers its OpenAI handlers when its OpenAI client module is first imported;
# import it now, with the backend, rather than inside the first request of a run.
_ = instructor.from_openai

# instructor logs every failed attempt at ERROR level; with no handler configured, Python
# would print those to stderr. A NullHandler keeps them off stderr unless the application
# configures logging itself (records still propagate to its handlers).
logging.getLogger("instructor").addHandler(logging.NullHandler())

Mode = Literal["tools", "json_schema", "json"]
Sleep = Callable[[float], Awaitable[Any]]
Clock = Callable[[], float]

_MODES: Final[dict[str, instructor.Mode]] = {
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
def _response_model() -> type[PageAnswer]:
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
    cache_dir: Path | None = None
    no_cache: bool = False
    #: Seconds one request may take (connect, write, read).
    timeout: float = Field(default=180.0, gt=0)
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

    @classmethod
    def parse(cls, **options: Any) -> OpenAIOptions:
        """Validated options; a bad name or value is a :class:`ConfigurationError` naming it."""
        try:
            return cls(**options)
        except ValidationError as err:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'options'}: {e['msg']}"
                for e in err.errors()
            )
            raise ConfigurationError(f"invalid option for the openai backend: {problems}") from err

    @field_validator("mode", mode="before")
    @classmethod
    def _mode_case(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _overlap_fits(self) -> OpenAIOptions:
        if self.chunk_overlap >= self.chunk_chars // 2:
            raise ValueError("chunk_overlap must be less than half of chunk_chars")
        return self


@dataclass
class _Tally:
    """Requests, tokens and answers spent on one document."""

    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    answers: int = 0
    model: str | None = None

    def usage(self) -> Usage:
        return Usage(
            requests=self.requests,
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
        )


class _Unanswered(Exception):
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


def _is_transient(err: BaseException) -> bool:
    if isinstance(err, openai.APIConnectionError):  # time-outs included
        return True
    if isinstance(err, openai.APIStatusError):
        return transient_status(err.status_code)
    return False


def _server_message(err: openai.APIStatusError) -> str:
    body = err.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return str(inner["message"])
        if isinstance(inner, str):
            return inner
    return err.message


def describe_api_error(err: BaseException) -> str:
    """One line on what went wrong with a request to the server (status and its message,
    time-out, or connection failure)."""
    return _describe(err)


def _describe(err: BaseException) -> str:
    if isinstance(err, openai.APIStatusError):
        return f"HTTP {err.status_code}: {_server_message(err)}"
    if isinstance(err, openai.APITimeoutError):
        return "the request timed out"
    if isinstance(err, openai.APIConnectionError):
        cause = str(err.__cause__ or "").strip().splitlines()
        return f"cannot connect ({cause[0]})" if cause else "cannot connect"
    return f"{type(err).__name__}: {err}"


def _summarize_parse_error(err: BaseException | None) -> str:
    """One line on why an answer did not parse."""
    if isinstance(err, ValidationError):
        first = err.errors()[0] if err.errors() else None
        if first is None:
            return "the answer does not fit the schema"
        if first["type"] == "json_invalid":
            return f"the answer is not valid JSON ({first['msg'].removeprefix('Invalid JSON: ')})"
        where = ".".join(str(p) for p in first["loc"]) or "answer"
        more = f" (and {err.error_count() - 1} more)" if err.error_count() > 1 else ""
        return f"the answer does not fit the schema: {where}: {first['msg']}{more}"
    if isinstance(err, json.JSONDecodeError):
        return f"the answer is not valid JSON ({err.msg} at position {err.pos})"
    if isinstance(err, AssertionError):
        return f"the model declined to answer: {err}"
    if err is None:
        return "no answer"
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0] if text else ''}"


def _reask_messages(completion: Any, text: str, mode: Mode) -> list[Message]:
    """The model's last answer and our reply to it, to append to the conversation."""
    message = completion.choices[0].message
    calls = [c for c in (message.tool_calls or []) if getattr(c, "function", None) is not None]
    if mode == "tools" and calls:
        assistant: Message = {
            "role": "assistant",
            "content": message.content,
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


def cache_key_parts(
    *,
    model: str,
    base_url: str | None,
    mode: Mode,
    prompt: Prompt,
    temperature: float,
    chunk_chars: int,
    chunk_overlap: int,
    reasks: int,
) -> dict[str, Any]:
    """Everything but the document that goes into a cache key (see :mod:`extractor.cache`):
    every input that changes the answer. Written into batch manifests as it is, so that
    ingesting batch answers stores them where ``extract`` looks."""
    return {
        "backend": OpenAIBackend.name,
        "model": model,
        "base_url": (base_url or DEFAULT_BASE_URL).rstrip("/"),
        "mode": mode,
        "prompt": prompt.digest,
        "answer_schema": schema_digest(),
        "temperature": temperature,
        "chunk_chars": chunk_chars,
        "chunk_overlap": chunk_overlap,
        "reasks": reasks,
    }


def part_messages(prompt: Prompt, text: str, chunk: Chunk) -> list[Message]:
    """The prompt's messages for one part of a page (the whole page when it is one part)."""
    return prompt.messages(text[chunk.start : chunk.end], part=chunk.index + 1, parts=chunk.count)


def _request(
    messages: list[Message], *, model: str, mode: Mode, temperature: float
) -> tuple[type[PageAnswer], dict[str, Any]]:
    """The response model instructor validates against and the chat-completions body, built
    by instructor's request handler for ``mode`` (tools and tool_choice, or response_format,
    and for ``json`` the schema added to the system message)."""
    prepared, body = handle_response_model(
        _response_model(),
        mode=_MODES[mode],
        messages=messages,
        model=model,
        temperature=temperature,
    )
    if prepared is None:  # pragma: no cover - only without a response model
        raise InternalError("instructor prepared no response model")
    return prepared, body


def chat_request(
    messages: list[Message], *, model: str, mode: Mode, temperature: float
) -> dict[str, Any]:
    """The chat-completions request body for ``messages``: exactly what the online path sends
    (it builds its requests with this function too), as JSON-ready data."""
    body = _request(messages, model=model, mode=mode, temperature=temperature)[1]
    data: dict[str, Any] = json.loads(json.dumps(body, ensure_ascii=False))
    return data


def read_answer(completion: Any, mode: Mode, *, source: str | None = None) -> PageAnswer:
    """Parse one completion as instructor does for ``mode`` (strict validation, a cut-off
    answer refused). With no re-asks left, an answer that does not parse is
    :class:`InvalidAnswer`, worded as the online path words it after one answer."""
    try:
        answer = process_response(
            completion,
            response_model=_response_model(),
            stream=False,
            strict=True,
            mode=_MODES[mode],
        )
    except IncompleteOutputException as err:
        raise _no_valid_answer(1, _Unanswered(_CUT_OFF), source) from err
    except Exception as err:  # instructor gives up on any parse failure alike
        raise _no_valid_answer(1, _Unanswered(_summarize_parse_error(err)), source) from err
    if not isinstance(answer, PageAnswer):  # pragma: no cover - instructor's contract
        raise InternalError(f"instructor returned {type(answer).__name__}, not a PageAnswer")
    return answer


_CUT_OFF: Final = "the answer was cut off at the model's output limit (finish_reason=length)"


def _no_valid_answer(answers: int, err: _Unanswered, source: str | None) -> InvalidAnswer:
    return InvalidAnswer(
        f"no valid answer from the model after {answers} answers: {err}",
        source=source,
        backend=OpenAIBackend.name,
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


async def _close_at_loop_shutdown(
    client: openai.AsyncOpenAI, *, owned: bool
) -> AsyncGenerator[None, None]:
    """Suspends until its event loop finalizes it, then closes ``client`` (if ours)."""
    try:
        yield
    finally:
        if owned:
            await client.close()


class OpenAIBackend(Backend):
    """Events read by a model on an OpenAI-compatible server (see the module docstring)."""

    name = "openai"

    def __init__(
        self,
        *,
        client: openai.AsyncOpenAI | None = None,
        http_client: httpx2.AsyncClient | None = None,
        cache: ResultCache | None = None,
        prompt: Prompt | None = None,
        sleep: Sleep | None = None,
        clock: Clock | None = None,
        **options: Any,
    ) -> None:
        self.options = opts = OpenAIOptions.parse(**options)
        if client is None:
            self.base_url, self._api_key = resolve_server(opts.base_url, opts.api_key)
        else:  # an injected client needs neither; the URL still names the cache entries
            self.base_url = server_url(opts.base_url)
            self._api_key = opts.api_key or os.environ.get("OPENAI_API_KEY") or DUMMY_KEY
        self.model = resolve_model(opts.model)
        self.mode: Mode = opts.mode
        self.prompt = prompt or Prompt.load()
        self._client = client
        self._http_client = http_client
        self._sleep: Sleep = sleep or asyncio.sleep
        self._clock: Clock = clock or time.monotonic
        self._ssl: ssl.SSLContext | None = None
        self._loop_clients: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, tuple[openai.AsyncOpenAI, AsyncGenerator[None, None]]
        ] = weakref.WeakKeyDictionary()
        # Set-up costs paid once, here, rather than inside the first request of a run.
        _response_model()
        self.prompt.messages("")
        if client is None and http_client is None:
            self._ssl = httpx2.create_ssl_context()
        self._owns_cache = False
        self._cache: ResultCache | None = None
        if not opts.no_cache:
            if cache is None:
                cache = ResultCache(opts.cache_dir)
                self._owns_cache = True
            self._cache = cache

    # --- identity ---------------------------------------------------------------------------

    def cache_key(self, doc: Document) -> str:
        """The cache key of ``doc`` under this configuration: every input that changes the
        answer (see :mod:`extractor.cache`)."""
        return cache_key({"document": doc.sha256, **self.cache_key_parts()})

    def cache_key_parts(self) -> dict[str, Any]:
        """What :meth:`cache_key` hashes besides the document (see :func:`cache_key_parts`)."""
        opts = self.options
        return cache_key_parts(
            model=self.model,
            base_url=self.base_url,
            mode=self.mode,
            prompt=self.prompt,
            temperature=opts.temperature,
            chunk_chars=opts.chunk_chars,
            chunk_overlap=opts.chunk_overlap,
            reasks=opts.reasks,
        )

    # --- the backend interface --------------------------------------------------------------

    def extract(self, doc: Document) -> Extraction:
        """Sync form: runs :meth:`aextract` in an event loop of its own."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(self.aextract(doc))
        # Called from inside a running loop (a notebook): use a loop in another thread.
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, self.aextract(doc)).result()

    async def aextract(self, doc: Document) -> Extraction:
        key = self.cache_key(doc) if self._cache is not None else None
        if self._cache is not None and key is not None:
            hit = self._cache_get(key)
            if hit is not None:
                return hit
        tally = _Tally()
        text = doc.text
        chunks = plan_chunks(text, self.options.chunk_chars, self.options.chunk_overlap)
        starts = [s.start for s in find_event_starts(text)]
        folded = FoldedText(text)
        parts: list[tuple[Chunk, Grounded]] = []
        client = await self._loop_client()
        try:
            for chunk in chunks:
                grounded = await self._extract_part(client, doc, chunk, starts, folded, tally)
                parts.append((chunk, grounded))
        except BackendError as err:  # what was spent on a failed document is still reported
            err.usage = tally.usage()
            raise
        extraction = assemble(parts, model=tally.model, prompt=self.prompt.id, usage=tally.usage())
        if self._cache is not None and key is not None:
            with contextlib.suppress(ConfigurationError):  # a full disk loses a cache entry only
                self._cache.put(key, extraction)
        return extraction

    def close(self) -> None:
        """Close the cache this backend opened. (Each event loop's client is closed when that
        loop shuts down, or by :meth:`aclose` from inside it.)"""
        if self._cache is not None and self._owns_cache:
            self._cache.close()
        self._cache = None

    # --- internals --------------------------------------------------------------------------

    def _cache_get(self, key: str) -> Extraction | None:
        try:
            return self._cache.get(key) if self._cache is not None else None
        except ConfigurationError:  # an unreadable entry is a miss, not a failed document
            return None

    async def _loop_client(self) -> openai.AsyncOpenAI:
        """The client for the running event loop: made on first use in that loop, reused by
        every document the loop extracts, and closed when the loop shuts down.

        An async client's connections belong to the loop that opened them, so each loop gets
        a client of its own (a whole ``run_extraction`` is one loop; :meth:`extract` runs one
        per call). It is closed *inside* its loop by an async generator the loop finalizes at
        shutdown (``asyncio.run`` calls ``loop.shutdown_asyncgens()``): connections are kept
        alive across documents, and still closed cleanly. An injected ``client`` is used as
        it is, and an injected ``http_client`` is left to its owner to close.
        """
        if self._client is not None:
            return self._client
        loop = asyncio.get_running_loop()
        found = self._loop_clients.get(loop)
        if found is not None:
            return found[0]
        http = self._http_client
        if http is None:
            if self._ssl is None:  # made once: building one costs ~25 ms
                self._ssl = httpx2.create_ssl_context()
            http = httpx2.AsyncClient(
                verify=self._ssl,
                timeout=self.options.timeout,
                follow_redirects=True,
                limits=httpx2.Limits(max_connections=1000, max_keepalive_connections=100),
            )
        client = openai.AsyncOpenAI(
            api_key=self._api_key,
            base_url=self.base_url,
            max_retries=0,
            timeout=self.options.timeout,
            http_client=http,
        )
        keeper = _close_at_loop_shutdown(client, owned=self._http_client is None)
        self._loop_clients[loop] = (client, keeper)
        await keeper.asend(None)  # started: the loop now finalizes it at shutdown
        return client

    async def aclose(self) -> None:
        """Close the client of the running loop now (it is otherwise closed when the loop
        shuts down) and the cache."""
        found = self._loop_clients.pop(asyncio.get_running_loop(), None)
        if found is not None:
            await found[1].aclose()
        self.close()

    async def _extract_part(
        self,
        client: openai.AsyncOpenAI,
        doc: Document,
        chunk: Chunk,
        starts: list[int],
        folded: FoldedText,
        tally: _Tally,
    ) -> Grounded:
        """Ask for one part of the page, re-asking within the budget; ground the answer."""
        base = part_messages(self.prompt, doc.text, chunk)
        # Re-asks for grounding send the conversation so far as: the prompt, the model's last
        # answer, and what was wrong with it (earlier rounds are not repeated).
        history: list[Message] = []
        budget = self.options.reasks
        best: Grounded | None = None
        first = tally.answers
        while True:
            before = tally.answers
            try:
                answer, completion = await self._ask(client, doc, [*base, *history], budget, tally)
            except _Unanswered as err:
                if best is not None:
                    return best
                raise _no_valid_answer(tally.answers - first, err, doc.source) from err
            budget -= tally.answers - before - 1
            best = ground(answer, doc.text, chunk=chunk, event_starts=starts, folded=folded)
            if not best.problems or budget <= 0:
                return best
            budget -= 1
            history = _reask_messages(completion, feedback(best.problems), self.mode)

    async def _ask(
        self,
        client: openai.AsyncOpenAI,
        doc: Document,
        messages: list[Message],
        reasks: int,
        tally: _Tally,
    ) -> tuple[PageAnswer, Any]:
        """One instructor call: the parsed answer and its completion.

        The request body comes from :func:`_request` (shared with the Batch API path); then
        instructor's retry loop sends it, parses the answer for the mode and re-asks on parse
        errors, as ``instructor.patch`` would after building the same body.
        """

        async def create(**kwargs: Any) -> Any:
            return await self._send(client, doc, kwargs, tally)

        prepared, body = _request(
            messages, model=self.model, mode=self.mode, temperature=self.options.temperature
        )
        body["messages"] = list(body["messages"])  # re-asks append to it
        try:
            answer = await retry_async(
                func=create,
                response_model=prepared,
                args=(),
                kwargs=body,
                max_retries=reasks,
                strict=True,
                mode=_MODES[self.mode],
            )
        except InstructorRetryException as err:
            cause = err.__cause__
            if isinstance(cause, ExtractorError):
                raise cause from cause.__cause__
            raise _Unanswered(_summarize_parse_error(cause)) from err
        except IncompleteOutputException as err:
            raise _Unanswered(_CUT_OFF) from err
        if not isinstance(answer, PageAnswer):  # pragma: no cover - instructor's contract
            raise InternalError(f"instructor returned {type(answer).__name__}, not a PageAnswer")
        return answer, getattr(answer, "_raw_response", None)

    async def _send(
        self, client: openai.AsyncOpenAI, doc: Document, kwargs: dict[str, Any], tally: _Tally
    ) -> Any:
        """One chat completion, with transport retries; counts every attempt in ``tally``."""
        opts = self.options
        started = self._clock()
        attempts = 0

        def wait(state: RetryCallState) -> float:
            err = state.outcome.exception() if state.outcome is not None else None
            response = getattr(err, "response", None)
            asked = retry_after_seconds(response.headers) if response is not None else None
            if asked is not None:
                return asked
            exponent = min(state.attempt_number - 1, 30)
            delay = min(opts.backoff_max, opts.backoff_base * 2.0**exponent)
            return float(delay * (1 + 0.25 * random.random()))

        def stop(state: RetryCallState) -> bool:
            if state.attempt_number >= opts.max_attempts:
                return True
            return self._clock() - started + state.upcoming_sleep > opts.retry_budget

        retrying = AsyncRetrying(
            stop=stop,
            wait=wait,
            retry=retry_if_exception(_is_transient),
            sleep=self._sleep,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    attempts += 1
                    tally.requests += 1
                    completion = await client.chat.completions.create(**kwargs)
        except openai.APIError as err:
            elapsed = self._clock() - started
            if _is_transient(err):
                raise TransportError(
                    f"the server kept failing: {attempts} attempt{'s' * (attempts != 1)} in "
                    f"{elapsed:.1f} s, the last: {_describe(err)}",
                    source=doc.source,
                    backend=self.name,
                ) from err
            hint = ""
            if isinstance(err, openai.APIStatusError) and err.status_code in (401, 403):
                hint = " (check OPENAI_API_KEY and --base-url)"
            raise BackendError(
                f"the server refused the request: {_describe(err)}{hint}",
                source=doc.source,
                backend=self.name,
            ) from err
        usage = getattr(completion, "usage", None)
        if usage is not None:
            tally.prompt_tokens += int(usage.prompt_tokens or 0)
            tally.completion_tokens += int(usage.completion_tokens or 0)
        tally.answers += 1
        tally.model = getattr(completion, "model", None) or tally.model
        return completion


__all__ = [
    "DEFAULT_BASE_URL",
    "DUMMY_KEY",
    "MODEL_ENV",
    "Mode",
    "OpenAIBackend",
    "OpenAIOptions",
    "assemble",
    "cache_key_parts",
    "chat_request",
    "describe_api_error",
    "part_messages",
    "read_answer",
    "resolve_model",
    "resolve_server",
    "retry_after_seconds",
    "server_url",
    "transient_status",
]
