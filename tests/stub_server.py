"""A test-only, stdlib-only OpenAI-compatible chat-completion stub server.

It answers ``POST /v1/chat/completions`` and ``GET /v1/models`` on 127.0.0.1 (ephemeral
port) so tests, benchmarks and recording scripts can drive the real ``openai`` SDK and
``instructor`` without any network access.  It is *not* a model: answers come from a
``responder`` callable (or from faults queued with :meth:`StubServer.enqueue`).

Usage::

    with running_stub(responder=lambda req: {"events": []}) as stub:
        client = openai.OpenAI(api_key="test-key", base_url=stub.base_url, max_retries=0)
        ...
        client.close()

Faults are consumed one per chat-completion request, in order, before normal answers::

    stub.enqueue(Fault.status(429, retry_after=0.2), Fault.invalid_json())
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from contextlib import AbstractContextManager, suppress
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal

__all__ = [
    "CREATED",
    "DEFAULT_MODEL_NAME",
    "Fault",
    "Responder",
    "StubServer",
    "document_text_from_request",
    "running_stub",
]

Responder = Callable[[dict[str, Any]], dict[str, Any] | str]

DEFAULT_MODEL_NAME = "stub-rules (not a real model)"
CREATED = 1700000000  # fixed so that recorded responses are byte-stable
TRUNCATED_JSON = '{"events": ['

FaultKind = Literal["status", "delay", "invalid_json", "answer", "disconnect"]

_ERROR_TYPES: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "bad_request"),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("permission_error", "forbidden"),
    404: ("invalid_request_error", "not_found"),
    408: ("timeout_error", "timeout"),
    409: ("conflict_error", "conflict"),
    422: ("invalid_request_error", "unprocessable_entity"),
    429: ("rate_limit_error", "rate_limit_exceeded"),
}


def _error_body(status: int, message: str | None = None) -> dict[str, Any]:
    err_type, code = _ERROR_TYPES.get(
        status, ("server_error", "server_error") if status >= 500 else ("api_error", "error")
    )
    return {
        "error": {
            "message": message or f"Stub server error {status} ({code})",
            "type": err_type,
            "param": None,
            "code": code,
        }
    }


@dataclass(frozen=True)
class Fault:
    """One scripted misbehaviour, applied to exactly one chat-completion request.

    Build them with the factory class methods rather than the constructor.
    """

    kind: FaultKind
    status_code: int | None = None
    retry_after: float | None = None
    body: dict[str, Any] | None = None
    seconds: float = 0.0
    payload: dict[str, Any] | str | None = None

    @classmethod
    def status(
        cls, code: int, retry_after: float | None = None, body: dict[str, Any] | None = None
    ) -> Fault:
        """Answer with HTTP ``code`` and an OpenAI-style ``{"error": {...}}`` body.

        ``retry_after`` (seconds) adds a ``Retry-After`` header; ``body`` replaces the
        default error body verbatim.
        """
        if not 400 <= code <= 599:
            raise ValueError(f"Fault.status needs a 4xx/5xx code, got {code}")
        return cls(kind="status", status_code=code, retry_after=retry_after, body=body)

    @classmethod
    def delay(cls, seconds: float) -> Fault:
        """Sleep ``seconds`` (on top of the server ``latency``), then answer normally."""
        if seconds < 0:
            raise ValueError("Fault.delay needs a non-negative number of seconds")
        return cls(kind="delay", seconds=seconds)

    @classmethod
    def invalid_json(cls, text: str = TRUNCATED_JSON) -> Fault:
        """A 200 answer whose tool-call arguments (or content) is ``text``: not valid JSON."""
        return cls(kind="invalid_json", payload=text)

    @classmethod
    def answer(cls, payload: dict[str, Any] | str) -> Fault:
        """Answer with exactly ``payload`` (dict is JSON-encoded, str used verbatim)."""
        return cls(kind="answer", payload=payload)

    @classmethod
    def disconnect(cls) -> Fault:
        """Read the request, then close the connection without sending any response."""
        return cls(kind="disconnect")


def _text_of_content(content: Any) -> str:
    """Text of a message ``content``: a string, or a list of ``{"type": "text"}`` parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [
            part["text"]
            for part in content
            if isinstance(part, dict) and isinstance(part.get("text"), str)
        ]
        return "\n".join(texts)
    return ""


def document_text_from_request(request_json: dict[str, Any]) -> str:
    """Return the text of the last ``user`` message of a chat-completion request.

    String content is returned as is; a list of content parts has its text parts joined
    with newlines.  Returns ``""`` when there is no user message.
    """
    messages = request_json.get("messages")
    if not isinstance(messages, list):
        return ""
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            return _text_of_content(message.get("content"))
    return ""


def _prompt_chars(request_json: dict[str, Any]) -> int:
    messages = request_json.get("messages")
    if not isinstance(messages, list):
        return 0
    return sum(len(_text_of_content(m.get("content"))) for m in messages if isinstance(m, dict))


def _tool_name(request_json: dict[str, Any]) -> str | None:
    """Name of the function to call when the request uses tools, else ``None``."""
    tools = request_json.get("tools")
    if not tools:
        return None
    choice = request_json.get("tool_choice")
    if isinstance(choice, dict):
        function = choice.get("function")
        if isinstance(function, dict) and isinstance(function.get("name"), str):
            return str(function["name"])
        if isinstance(choice.get("name"), str):
            return str(choice["name"])
    first = tools[0] if isinstance(tools, list) else None
    if isinstance(first, dict):
        function = first.get("function")
        if isinstance(function, dict) and isinstance(function.get("name"), str):
            return str(function["name"])
        if isinstance(first.get("name"), str):
            return str(first["name"])
    return "tool"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = True  # server_close() joins the handler threads
    request_queue_size = 128

    def __init__(self, stub: StubServer) -> None:
        self.stub = stub
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Never print tracebacks to stderr; keep unexpected errors for inspection.
        exc = sys.exc_info()[1]
        if exc is not None and not isinstance(exc, OSError):
            with self.stub._lock:
                self.stub.errors.append(exc)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; without TCP_NODELAY the second waits ~40 ms.
    disable_nagle_algorithm = True
    server_version = "StubOpenAI/1.0"
    sys_version = ""
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def send_response(self, code: int, message: str | None = None) -> None:
        # Like the base class but without a ``Date`` header, so recordings are byte-stable.
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Server", self.version_string())

    def setup(self) -> None:
        super().setup()
        self.server.stub._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.stub._track(self.connection, add=False)

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        stub = self.server.stub
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except (ValueError, UnicodeDecodeError):
                body = None
        route = self.path.split("?", 1)[0].rstrip("/")
        stub._record(
            {
                "path": self.path,
                "method": self.command,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "json": body,
                "time": time.monotonic(),
            }
        )
        if self.command == "POST" and route == "/v1/chat/completions":
            if not isinstance(body, dict):
                self._send_json(400, _error_body(400, "Request body must be a JSON object"))
                return
            self._chat_completion(body)
        elif self.command == "GET" and route == "/v1/models":
            self._send_json(200, stub._models_body())
        else:
            self._send_json(404, _error_body(404, f"Unknown endpoint: {self.command} {self.path}"))

    def _chat_completion(self, request_json: dict[str, Any]) -> None:
        stub = self.server.stub
        fault = stub._next_fault()
        pause = stub.latency + (fault.seconds if fault is not None else 0.0)
        if pause > 0:
            stub._stopping.wait(pause)
        if fault is not None and fault.kind == "disconnect":
            self.close_connection = True
            with suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault is not None and fault.kind == "status":
            code = fault.status_code or 500
            headers: dict[str, str] = {}
            if fault.retry_after is not None:
                ra = fault.retry_after
                headers["Retry-After"] = str(int(ra)) if float(ra).is_integer() else str(ra)
            self._send_json(code, fault.body or _error_body(code), headers)
            return
        if fault is not None and fault.kind in ("answer", "invalid_json"):
            payload: dict[str, Any] | str = fault.payload if fault.payload is not None else {}
        elif stub.responder is None:
            payload = {}
        else:
            try:
                payload = stub.responder(request_json)
            except Exception as exc:
                with stub._lock:
                    stub.errors.append(exc)
                self._send_json(
                    500, _error_body(500, f"stub responder raised {type(exc).__name__}: {exc}")
                )
                return
        self._send_json(200, stub._completion_body(request_json, payload))

    def _send_json(
        self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()


class StubServer:
    """In-process OpenAI-compatible stub on ``127.0.0.1:<ephemeral>``.

    ``responder(request_json)`` returns the answer payload: a dict (JSON-encoded) or a
    string (used verbatim).  In tools mode (the request has ``tools``) the payload becomes
    the tool call's ``arguments``; otherwise it becomes ``message.content``.

    Attributes:
        base_url: ``"http://127.0.0.1:<port>/v1"`` once started.
        requests: every request received, in arrival order, as
            ``{"path", "method", "headers" (lower-cased), "json" (body or None), "time"}``
            where ``time`` is ``time.monotonic()`` at arrival.
        latency: seconds every chat-completion request sleeps before being answered
            (faults included); settable at any time.
        errors: exceptions raised by the responder or by the handler (never printed).
    """

    def __init__(
        self,
        responder: Responder | None = None,
        *,
        latency: float = 0.0,
        model_name: str = DEFAULT_MODEL_NAME,
    ) -> None:
        self.responder = responder
        self.latency = latency
        self.model_name = model_name
        self.requests: list[dict[str, Any]] = []
        self.errors: list[BaseException] = []
        self._lock = threading.Lock()
        self._faults: deque[Fault] = deque()
        self._counter = 0
        self._connections: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> StubServer:
        if self._server is not None:
            raise RuntimeError("StubServer already started")
        self._stopping.clear()
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"stub-openai-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()  # wake handlers sleeping on latency/delay
        server.shutdown()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:  # unblock handlers waiting on idle keep-alive sockets
            with suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        server.server_close()  # joins handler threads
        if thread is not None:
            thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> StubServer:
        if self._server is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- public API --------------------------------------------------------------------

    @property
    def host(self) -> str:
        if self._server is None:
            raise RuntimeError("StubServer not started")
        return str(self._server.server_address[0])

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("StubServer not started")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    @property
    def pending_faults(self) -> int:
        """Number of enqueued faults not yet consumed."""
        with self._lock:
            return len(self._faults)

    def enqueue(self, *faults: Fault) -> None:
        """Queue faults; each chat-completion request consumes the next one, in order."""
        for fault in faults:
            if not isinstance(fault, Fault):
                raise TypeError(f"expected Fault, got {type(fault).__name__}")
        with self._lock:
            self._faults.extend(faults)

    def chat_requests(self) -> list[dict[str, Any]]:
        """The recorded ``POST /v1/chat/completions`` requests (a snapshot)."""
        with self._lock:
            return [
                r
                for r in self.requests
                if r["method"] == "POST"
                and r["path"].split("?", 1)[0].rstrip("/") == "/v1/chat/completions"
            ]

    # -- internals (called from handler threads) ---------------------------------------

    def _track(self, conn: socket.socket, *, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def _record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self.requests.append(entry)

    def _next_fault(self) -> Fault | None:
        with self._lock:
            return self._faults.popleft() if self._faults else None

    def _models_body(self) -> dict[str, Any]:
        return {
            "object": "list",
            "data": [
                {
                    "id": self.model_name,
                    "object": "model",
                    "created": CREATED,
                    "owned_by": "stub-server",
                }
            ],
        }

    def _completion_body(
        self, request_json: dict[str, Any], payload: dict[str, Any] | str
    ) -> dict[str, Any]:
        with self._lock:
            self._counter += 1
            n = self._counter
        answer = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
        tool_name = _tool_name(request_json)
        message: dict[str, Any]
        if tool_name is not None:
            message = {
                "role": "assistant",
                "content": None,
                "refusal": None,
                "tool_calls": [
                    {
                        "id": f"call_{n}",
                        "type": "function",
                        "function": {"name": tool_name, "arguments": answer},
                    }
                ],
            }
            finish_reason = "tool_calls"
        else:
            message = {"role": "assistant", "content": answer, "refusal": None}
            finish_reason = "stop"
        prompt_tokens = max(1, _prompt_chars(request_json) // 4)
        completion_tokens = max(1, len(answer) // 4)
        return {
            "id": f"chatcmpl-stub-{n}",
            "object": "chat.completion",
            "created": CREATED,
            "model": self.model_name,
            "choices": [
                {"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason}
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }


def running_stub(**kwargs: Any) -> AbstractContextManager[StubServer]:
    """``with running_stub(responder=..., latency=...) as stub:`` starts and stops a stub."""
    return StubServer(**kwargs)
