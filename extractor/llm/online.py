"""The ``openai`` backend: any OpenAI-compatible chat server, through instructor.

For one document:

1. **Cache.** A hit (:mod:`extractor.llm.cache`) returns the stored extraction with
   ``cached=True``, ``usage`` zero and the original requests' usage in ``cached_usage``; no
   request is made. Only answers proven after their re-asks are stored.
2. **Parts.** A page longer than ``chunk_chars`` is read in overlapping parts cut on event
   boundaries (:mod:`extractor.llm.chunking`); each part is asked for separately and the answers
   are merged (:func:`extractor.llm.grounding.merge_parts`).
3. **Ask.** The prompt (:mod:`extractor.llm.prompting`) goes to the server with the answer
   schema (:class:`extractor.llm.answer.PageAnswer`) in the chosen ``mode``: ``tools`` (a forced
   function call), ``json_schema`` (structured output) or ``json`` (JSON object mode).
4. **Ground.** Each quote is located in the text (:mod:`extractor.llm.align`) and each value
   judged against its quote by the checker (:mod:`extractor.llm.grounding`).

Two kinds of retry, kept apart:

- **Transport retries** (inside each request): 429, 408, 409, 5xx, time-outs and dropped
  connections are retried with exponential back-off (``backoff_base`` doubling up to
  ``backoff_max``, plus up to 25 % jitter), or exactly the wait the server asks for in
  ``Retry-After`` / ``retry-after-ms`` (seconds or an HTTP date), for at most
  ``max_attempts`` attempts and ``retry_budget`` seconds (no wait is started that would end
  past the budget); then :class:`~extractor.errors.TransportError`. A ``Retry-After`` longer
  than ``max_retry_after`` fails the document at once, naming the wait. A 500 whose text says
  the request itself is invalid, and other 4xx, are not retried:
  :class:`~extractor.errors.BackendError` with the server's message (one line, no key). The
  openai client itself never retries (``max_retries=0``). Each request may take ``timeout``
  seconds, each document ``deadline`` (default 4 x ``timeout``).
- **A server no document can get past** stops the run: connection refused, a name that does
  not resolve, 401/403, 404, a mode the server does not support, or the same error for the
  first :data:`SAME_ERROR_DOCUMENTS` documents with none answered raise
  :class:`~extractor.errors.ServerUnavailable` (a usage error: exit 2, one line), and every
  later document of the run raises it at once.
- **Validation re-asks** (around requests): an answer unusable as a whole (no JSON object, no
  ``events`` list; :mod:`extractor.llm.lenient`) or whose quotes are not in the text or do
  not support their values is sent back, with the problems in words. Values are read
  tolerantly first, so a value written in another form is never a reason to re-ask. One
  budget of ``reasks`` (default 2) per part. When it runs out, the last answer that could be
  grounded is kept with its issues; when none could, :class:`~extractor.errors.InvalidAnswer`.
  A re-ask the server fails on also keeps the answer already grounded.

Connections: one ``openai.AsyncOpenAI`` per event loop, made on first use, kept alive across
the documents of a run and closed inside its loop when the loop shuts down (see
:meth:`OpenAIBackend._loop_client`); :meth:`OpenAIBackend.extract` runs a loop per call.

Usage sums every request for the document: transport attempts that got no answer count as
requests with no tokens; re-asks count their tokens. Dependencies are passed in for tests:
``client`` (an ``openai.AsyncOpenAI``), ``http_client`` (an ``httpx2.AsyncClient``, e.g. with a
``MockTransport``), ``cache``, ``prompt``, ``sleep`` and ``clock``.

What it sends and how it reads the answers (request bodies, answer parsing, re-ask messages,
assembling, the cache key) is :mod:`extractor.llm.protocol`, shared with the Batch API path
(:mod:`extractor.llm.batch`), so both send and read exactly the same things.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import random
import ssl
import time
import weakref
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final

import httpx2
import openai
import openai.resources.chat  # openai loads it on first use; pay for it at import, not mid-run
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception

from extractor.backends import Backend, Extraction
from extractor.document import Document
from extractor.errors import (
    BackendError,
    ConfigurationError,
    ServerUnavailable,
    TransportError,
)
from extractor.llm.align import FoldedText
from extractor.llm.cache import ResultCache, cache_key
from extractor.llm.chunking import Chunk, plan_chunks
from extractor.llm.grounding import Grounded, feedback, ground
from extractor.llm.lenient import UnusableAnswer, read_completion
from extractor.llm.prompting import Message, Prompt
from extractor.llm.protocol import (
    BACKEND_NAME,
    DEADLINE_TIMEOUTS,
    DEFAULT_BASE_URL,
    DUMMY_KEY,
    Mode,
    OpenAIOptions,
    RequestSettings,
    Unanswered,
    assemble,
    clean_url,
    describe_api_error,
    fatal_cause,
    is_transient,
    no_valid_answer,
    part_messages,
    prepared_request,
    reask_messages,
    request_invalid,
    resolve_server,
    response_model,
    retry_after_seconds,
    server_url,
    unusable_feedback,
)
from extractor.reading.layout import find_event_starts
from extractor.records import Usage

# instructor logs at ERROR level; with no handler configured, Python would print those to
# stderr. A NullHandler keeps them off stderr unless the application configures logging
# itself (records still propagate to its handlers).
logging.getLogger("instructor").addHandler(logging.NullHandler())

Sleep = Callable[[float], Awaitable[Any]]
Clock = Callable[[], float]


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

    name = BACKEND_NAME
    Options = OpenAIOptions

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
        self.options: OpenAIOptions = self.parse_options(**options)
        opts = self.options
        if client is None:
            base_url, self._api_key = resolve_server(opts.base_url, opts.api_key)
        else:  # an injected client needs neither; the URL still names the cache entries
            base_url = server_url(opts.base_url)
            self._api_key = opts.api_key or os.environ.get("OPENAI_API_KEY") or DUMMY_KEY
        self.settings = RequestSettings.from_options(
            opts.model_copy(update={"base_url": base_url}), prompt=prompt
        )
        self._client = client
        self._http_client = http_client
        self._sleep: Sleep = sleep or asyncio.sleep
        self._clock: Clock = clock or time.monotonic
        self._ssl: ssl.SSLContext | None = None
        self._loop_clients: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, tuple[openai.AsyncOpenAI, AsyncGenerator[None, None]]
        ] = weakref.WeakKeyDictionary()
        # Set-up costs paid once, here, rather than inside the first request of a run.
        response_model()
        self.prompt.messages("")
        if client is None and http_client is None:
            self._ssl = httpx2.create_ssl_context()
        self._answered = False  # a server that answered once is there (and takes our key)
        self._fatal: str | None = None
        self._same_errors: list[str] = []
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
        answer (see :mod:`extractor.llm.cache`)."""
        return cache_key({"document": doc.sha256, **self.cache_key_parts()})

    def cache_key_parts(self) -> dict[str, Any]:
        """What :meth:`cache_key` hashes besides the document
        (:meth:`RequestSettings.cache_key_parts`)."""
        return self.settings.cache_key_parts()

    @property
    def model(self) -> str:
        return self.settings.model

    @property
    def mode(self) -> Mode:
        return self.settings.mode

    @property
    def prompt(self) -> Prompt:
        return self.settings.prompt

    @property
    def base_url(self) -> str | None:
        return self.settings.base_url

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
        if self._fatal is not None:
            raise ServerUnavailable(self._fatal)
        key = self.cache_key(doc) if self._cache is not None else None
        if self._cache is not None and key is not None:
            hit = self._cache_get(key)
            if hit is not None:
                return hit
        deadline = self.options.deadline or DEADLINE_TIMEOUTS * self.options.timeout
        tally = _Tally()
        try:
            async with asyncio.timeout(deadline):
                extraction = await self._extract(doc, key, tally)
        except TimeoutError as err:
            failed = TransportError(
                f"no answer within the document's deadline of {deadline:.0f} s "
                f"({tally.requests} request{'s' * (tally.requests != 1)} sent)",
                source=doc.source,
                backend=self.name,
            )
            failed.usage = tally.usage()
            self._note_outcome(failed)
            raise failed from err
        except BackendError as err:
            err.usage = tally.usage()  # what was spent on a failed document is still reported
            self._note_outcome(err)
            raise
        self._note_outcome(None)
        return extraction

    async def _extract(self, doc: Document, key: str | None, tally: _Tally) -> Extraction:
        text = doc.text
        chunks = plan_chunks(text, self.options.chunk_chars, self.options.chunk_overlap)
        starts = [s.start for s in find_event_starts(text)]
        folded = FoldedText(text)
        parts: list[tuple[Chunk, Grounded]] = []
        client = await self._loop_client()
        for chunk in chunks:
            grounded = await self._extract_part(client, doc, chunk, starts, folded, tally)
            parts.append((chunk, grounded))
        extraction = assemble(parts, model=tally.model, prompt=self.prompt.id, usage=tally.usage())
        # An answer still unproven after its re-asks (a quote not found, a value its quote
        # does not support) is not stored: the next run asks again rather than serve it.
        proven = not any(g.problems for _, g in parts) and not any(
            i.severity == "error" for i in extraction.issues
        )
        if self._cache is not None and key is not None and proven:
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
        """A stored extraction, served as spending nothing: its original usage moves to
        ``cached_usage``."""
        try:
            hit = self._cache.get(key) if self._cache is not None else None
        except ConfigurationError:  # an unreadable entry is a miss, not a failed document
            return None
        if hit is not None:
            hit.cached_usage = hit.usage
            hit.usage = Usage()
        return hit

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
        """Ask for one part of the page, re-asking within the budget; ground the answer.

        Re-asks are for an answer unusable as a whole (no JSON object, no events list) or a
        quote that cannot be found or does not support its value; never for a value that
        could be read (the lenient reader brings it to its type) or could not (it is null,
        with a warning). The conversation sent back is the prompt, the model's last answer
        and what was wrong with it (earlier rounds are not repeated)."""
        base = part_messages(self.prompt, doc.text, chunk)
        history: list[Message] = []
        budget = self.options.reasks
        best: Grounded | None = None
        first = tally.answers
        while True:
            try:
                completion = await self._send(client, doc, self._body([*base, *history]), tally)
            except BackendError:
                if best is None:
                    raise
                return best  # a re-ask the server failed on: the answer already grounded stands
            try:
                answer = read_completion(completion, self.mode)
            except UnusableAnswer as err:
                if budget <= 0 or not err.reask:
                    if best is not None:
                        return best
                    unanswered = Unanswered(err.message)
                    raise no_valid_answer(tally.answers - first, unanswered, doc.source) from err
                budget -= 1
                history = reask_messages(completion, unusable_feedback(err.message), self.mode)
                continue
            best = ground(answer, doc.text, chunk=chunk, event_starts=starts, folded=folded)
            if not best.problems or budget <= 0:
                return best
            budget -= 1
            history = reask_messages(completion, feedback(best.problems), self.mode)

    def _body(self, messages: list[Message]) -> dict[str, Any]:
        """The request body for ``messages``, built as the Batch API path builds it."""
        body = prepared_request(
            messages,
            model=self.model,
            mode=self.mode,
            temperature=self.options.temperature,
            max_tokens=self.options.max_tokens,
        )[1]
        return dict(body)

    async def _send(
        self, client: openai.AsyncOpenAI, doc: Document, kwargs: dict[str, Any], tally: _Tally
    ) -> Any:
        """One chat completion, with transport retries; counts every attempt in ``tally``.

        A failure that no document could get past (see :func:`fatal_cause`) is
        :class:`ServerUnavailable` at once; a request the server calls invalid is not sent
        again; a ``Retry-After`` longer than ``max_retry_after`` gives up at once, naming
        the wait asked for."""
        opts = self.options
        started = self._clock()
        attempts = 0
        too_long: list[float] = []

        def wait(state: RetryCallState) -> float:
            err = state.outcome.exception() if state.outcome is not None else None
            response = getattr(err, "response", None)
            asked = retry_after_seconds(response.headers) if response is not None else None
            if asked is not None:
                if asked > opts.max_retry_after:
                    too_long.append(asked)
                return asked
            exponent = min(state.attempt_number - 1, 30)
            delay = min(opts.backoff_max, opts.backoff_base * 2.0**exponent)
            return float(delay * (1 + 0.25 * random.random()))

        def stop(state: RetryCallState) -> bool:
            if too_long or state.attempt_number >= opts.max_attempts:
                return True
            return self._clock() - started + state.upcoming_sleep > opts.retry_budget

        def retry(err: BaseException) -> bool:
            if self._answered and _connect_failure_of(err):
                return True  # the server answered before: it may be restarting
            return (
                is_transient(err)
                and not request_invalid(err)
                and fatal_cause(err, self.mode) is None
            )

        retrying = AsyncRetrying(
            stop=stop,
            wait=wait,
            retry=retry_if_exception(retry),
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
            self._refused(err, doc)
            elapsed = self._clock() - started
            said = describe_api_error(err, secrets=[self._api_key])
            if too_long:
                raise TransportError(
                    f"the server asked to wait {too_long[0]:.0f} s before trying again "
                    f"(Retry-After; this tool waits at most {opts.max_retry_after:.0f} s): "
                    f"{said}",
                    source=doc.source,
                    backend=self.name,
                ) from err
            if is_transient(err) and not request_invalid(err):
                raise TransportError(
                    f"the server kept failing: {attempts} attempt{'s' * (attempts != 1)} in "
                    f"{elapsed:.1f} s, the last: {said}",
                    source=doc.source,
                    backend=self.name,
                ) from err
            raise BackendError(
                f"the server refused the request: {said}", source=doc.source, backend=self.name
            ) from err
        self._answered = True
        usage = getattr(completion, "usage", None)
        if usage is not None:
            tally.prompt_tokens += int(usage.prompt_tokens or 0)
            tally.completion_tokens += int(usage.completion_tokens or 0)
        tally.answers += 1
        tally.model = getattr(completion, "model", None) or tally.model
        return completion

    # --- a server no document can get past --------------------------------------------------

    def _server_name(self) -> str:
        return clean_url(self.base_url or DEFAULT_BASE_URL)

    def _refused(self, err: BaseException, doc: Document) -> None:
        """Stop the run (:class:`ServerUnavailable`) when ``err`` says that no document can
        get past this server as configured."""
        cause = fatal_cause(err, self.mode, secrets=[self._api_key])
        if cause is not None and (not self._answered or _connect_failure_of(err)):
            self._fatal = f"the server at {self._server_name()} cannot be used: {cause}"
            raise ServerUnavailable(self._fatal) from err

    def _note_outcome(self, err: BackendError | None) -> None:
        """The same error on each of the first documents, with none answered, ends the run."""
        if self._answered or err is None:
            self._same_errors = []
            return
        said = err.message.split(": ", 1)[-1]
        if self._same_errors and self._same_errors[-1] != said:
            self._same_errors = []
        self._same_errors.append(said)
        if len(self._same_errors) >= SAME_ERROR_DOCUMENTS:
            self._fatal = (
                f"the server at {self._server_name()} gave the same error for the first "
                f"{len(self._same_errors)} documents: {said}"
            )
            raise ServerUnavailable(self._fatal) from err


def _connect_failure_of(err: BaseException) -> bool:
    return isinstance(err, openai.APIConnectionError) and fatal_cause(err, "tools") is not None


#: After this many documents in a row failed with the same error, and none was answered, the
#: run stops: the error is the server's, not the documents'.
SAME_ERROR_DOCUMENTS: Final = 3


__all__ = ["OpenAIBackend", "OpenAIOptions"]
