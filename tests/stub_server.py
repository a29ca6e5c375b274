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

It also plays the Batch API: ``POST /v1/files`` (multipart upload, kept in memory),
``GET /v1/files/{id}`` and ``/v1/files/{id}/content``, ``POST /v1/batches``,
``GET /v1/batches/{id}`` and ``GET /v1/batches``. A batch is created ``validating`` and is
processed on its first poll (retrieve or list): every request line is answered by the same
responder as a chat completion, giving an output file (and an error file for failed lines) in
the Batch API's output format. A fault for one ``custom_id`` is set with
:meth:`StubServer.fail_batch_request`; :meth:`StubServer.batch_output_line` answers one request
line without HTTP (to make a results file directly).
"""

from __future__ import annotations

import email.parser
import email.policy
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

from extractor.document import Document
from extractor.llm.answer import answer_from_extraction
from extractor.rules import extract_events


def rules_answer(text: str) -> dict[str, Any]:
    """The rules backend's reading of ``text`` as a model answer (JSON-ready): a stand-in for
    a model that follows the prompt perfectly."""
    answer = answer_from_extraction(extract_events(Document.from_text(text)))
    return answer.model_dump(mode="json")


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
        if raw and not self.headers.get("Content-Type", "").startswith("multipart/"):
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
        elif route.startswith(("/v1/files", "/v1/batches")):
            status, answer = stub._batch_api(self.command, route, raw, body, self.headers)
            if isinstance(answer, bytes):
                self._send_bytes(status, answer)
            else:
                self._send_json(status, answer)
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

    def _send_bytes(self, status: int, data: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

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
        files: uploaded and generated files by id, as
            ``{"id", "purpose", "filename", "content" (bytes), "created_at"}``.
        batches: batches by id, as the Batch API's batch objects (dicts).
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
        self.files: dict[str, dict[str, Any]] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self._batch_faults: dict[str, Fault] = {}
        self._ids = 0

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

    def fail_batch_request(self, custom_id: str, fault: Fault) -> None:
        """Script how the batch request line ``custom_id`` is answered (whenever a batch
        holding it is processed, until replaced).

        ``Fault.status(code)`` gives a failed line (``response.status_code`` = code, an error
        body; it goes to the error file); ``Fault.answer`` / ``Fault.invalid_json`` a 200 with
        that payload; ``Fault.disconnect`` a line that never got a response (``response``
        null, ``error`` ``batch_expired``); ``Fault.delay`` is ignored (answered normally).
        """
        if not isinstance(fault, Fault):
            raise TypeError(f"expected Fault, got {type(fault).__name__}")
        with self._lock:
            self._batch_faults[custom_id] = fault

    def batch_output_line(self, request_line: dict[str, Any]) -> dict[str, Any]:
        """The Batch API output line answering one request line (``custom_id``, ``body``), as
        a processed batch would write it: ``{"id", "custom_id", "response": {"status_code",
        "request_id", "body"}, "error"}``."""
        custom_id = str(request_line.get("custom_id"))
        body = request_line.get("body")
        request_json: dict[str, Any] = body if isinstance(body, dict) else {}
        with self._lock:
            fault = self._batch_faults.get(custom_id)
            self._counter += 1
            n = self._counter
        line: dict[str, Any] = {"id": f"batch_req_{n}", "custom_id": custom_id}
        if fault is not None and fault.kind == "disconnect":
            line["response"] = None
            line["error"] = {
                "code": "batch_expired",
                "message": "This request could not be executed before the completion window expired.",
            }
            return line
        if fault is not None and fault.kind == "status":
            code = fault.status_code or 500
            line["response"] = {
                "status_code": code,
                "request_id": f"req_{n}",
                "body": fault.body or _error_body(code),
            }
            line["error"] = None
            return line
        if fault is not None and fault.kind in ("answer", "invalid_json"):
            payload: dict[str, Any] | str = fault.payload if fault.payload is not None else {}
        elif self.responder is None:
            payload = {}
        else:
            try:
                payload = self.responder(request_json)
            except Exception as exc:
                with self._lock:
                    self.errors.append(exc)
                line["response"] = {
                    "status_code": 500,
                    "request_id": f"req_{n}",
                    "body": _error_body(500, f"stub responder raised {type(exc).__name__}: {exc}"),
                }
                line["error"] = None
                return line
        line["response"] = {
            "status_code": 200,
            "request_id": f"req_{n}",
            "body": self._completion_body(request_json, payload),
        }
        line["error"] = None
        return line

    def batch_requests(self) -> list[dict[str, Any]]:
        """The recorded requests to the Files and Batches endpoints (a snapshot)."""
        with self._lock:
            return [
                r
                for r in self.requests
                if r["path"].split("?", 1)[0].startswith(("/v1/files", "/v1/batches"))
            ]

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

    # -- the Batch API (called from handler threads) -------------------------------------

    def _new_id(self, prefix: str) -> str:
        with self._lock:
            self._ids += 1
            return f"{prefix}{self._ids}"

    def _add_file(self, content: bytes, purpose: str, filename: str) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "id": self._new_id("file-"),
            "purpose": purpose,
            "filename": filename,
            "content": content,
            "created_at": CREATED,
        }
        with self._lock:
            self.files[entry["id"]] = entry
        return entry

    @staticmethod
    def _file_object(entry: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": entry["id"],
            "object": "file",
            "bytes": len(entry["content"]),
            "created_at": entry["created_at"],
            "filename": entry["filename"],
            "purpose": entry["purpose"],
            "status": "processed",
        }

    def _batch_api(
        self, method: str, route: str, raw: bytes, body: Any, headers: Any
    ) -> tuple[int, dict[str, Any] | bytes]:
        """Route one Files/Batches request: (HTTP status, JSON body or raw bytes)."""
        parts = route.split("/")[2:]  # ["files"] / ["files", id] / ["files", id, "content"]
        if method == "POST" and parts == ["files"]:
            return self._upload(raw, headers.get("Content-Type", ""))
        if method == "GET" and len(parts) in (2, 3) and parts[0] == "files":
            with self._lock:
                entry = self.files.get(parts[1])
            if entry is None:
                return 404, _error_body(404, f"No such File object: {parts[1]}")
            if len(parts) == 3 and parts[2] == "content":
                return 200, bytes(entry["content"])
            if len(parts) == 2:
                return 200, self._file_object(entry)
        if method == "POST" and parts == ["batches"]:
            return self._create_batch(body)
        if method == "GET" and parts == ["batches"]:
            with self._lock:
                ids = list(self.batches)
            data = [self._poll_batch(i) for i in reversed(ids)]
            return 200, {
                "object": "list",
                "data": data,
                "first_id": data[0]["id"] if data else None,
                "last_id": data[-1]["id"] if data else None,
                "has_more": False,
            }
        if method == "GET" and len(parts) == 2 and parts[0] == "batches":
            if parts[1] not in self.batches:
                return 404, _error_body(404, f"No batch found with id '{parts[1]}'")
            return 200, self._poll_batch(parts[1])
        return 404, _error_body(404, f"Unknown endpoint: {method} {route}")

    def _upload(self, raw: bytes, content_type: str) -> tuple[int, dict[str, Any]]:
        if not content_type.startswith("multipart/form-data"):
            return 400, _error_body(400, "File uploads must be multipart/form-data")
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + raw
        )
        fields: dict[str, tuple[str | None, bytes]] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            if isinstance(name, str) and isinstance(payload, bytes):
                fields[name] = (part.get_filename(), payload)
        if "file" not in fields:
            return 400, _error_body(400, "Missing file")
        purpose = fields.get("purpose", (None, b""))[1].decode("utf-8")
        if purpose != "batch":
            return 400, _error_body(400, f"The stub stores only purpose 'batch', not {purpose!r}")
        filename, content = fields["file"]
        entry = self._add_file(content, purpose, filename or "upload.jsonl")
        return 200, self._file_object(entry)

    def _create_batch(self, body: Any) -> tuple[int, dict[str, Any]]:
        if not isinstance(body, dict):
            return 400, _error_body(400, "Request body must be a JSON object")
        file_id = body.get("input_file_id")
        with self._lock:
            entry = self.files.get(str(file_id))
        if entry is None or entry["purpose"] != "batch":
            return 400, _error_body(400, f"Invalid input_file_id: {file_id!r}")
        if body.get("endpoint") != "/v1/chat/completions":
            return 400, _error_body(
                400, f"The stub batches only /v1/chat/completions, not {body.get('endpoint')!r}"
            )
        if body.get("completion_window") != "24h":
            return 400, _error_body(400, "completion_window must be '24h'")
        batch: dict[str, Any] = {
            "id": self._new_id("batch_"),
            "object": "batch",
            "endpoint": body["endpoint"],
            "errors": None,
            "input_file_id": entry["id"],
            "completion_window": "24h",
            "status": "validating",
            "output_file_id": None,
            "error_file_id": None,
            "created_at": CREATED,
            "in_progress_at": None,
            "expires_at": CREATED + 86400,
            "finalizing_at": None,
            "completed_at": None,
            "failed_at": None,
            "expired_at": None,
            "cancelling_at": None,
            "cancelled_at": None,
            "request_counts": {"total": 0, "completed": 0, "failed": 0},
            "metadata": body.get("metadata"),
        }
        with self._lock:
            self.batches[batch["id"]] = batch
        return 200, dict(batch)

    def _poll_batch(self, batch_id: str) -> dict[str, Any]:
        """The batch as it stands, processing it first if it is still waiting."""
        with self._lock:
            batch = self.batches[batch_id]
            waiting = batch["status"] == "validating"
            if waiting:
                batch["status"] = "in_progress"  # claimed: processed once
        if waiting:
            self._process_batch(batch)
        with self._lock:
            return json.loads(json.dumps(batch))  # type: ignore[no-any-return]

    def _process_batch(self, batch: dict[str, Any]) -> None:
        with self._lock:
            content = bytes(self.files[batch["input_file_id"]]["content"])
        lines: list[dict[str, Any]] = []
        problems: list[dict[str, Any]] = []
        seen: set[str] = set()
        for number, text in enumerate(content.decode("utf-8").splitlines(), 1):
            if not text.strip():
                continue
            try:
                line = json.loads(text)
            except ValueError:
                line = None
            if (
                not isinstance(line, dict)
                or not isinstance(line.get("custom_id"), str)
                or line.get("method") != "POST"
                or line.get("url") != batch["endpoint"]
                or not isinstance(line.get("body"), dict)
            ):
                problems.append(
                    {
                        "code": "invalid_request",
                        "message": "Not a valid request line",
                        "line": number,
                    }
                )
            elif line["custom_id"] in seen:
                problems.append(
                    {
                        "code": "duplicate_custom_id",
                        "message": f"Duplicate custom_id {line['custom_id']!r}",
                        "line": number,
                    }
                )
            else:
                seen.add(line["custom_id"])
                lines.append(line)
        if problems or not lines:
            with self._lock:
                batch["status"] = "failed"
                batch["failed_at"] = CREATED
                batch["errors"] = {
                    "object": "list",
                    "data": problems
                    or [{"code": "empty_file", "message": "The input file is empty", "line": None}],
                }
            return
        outputs: list[dict[str, Any]] = []
        failures: list[dict[str, Any]] = []
        for line in lines:
            out = self.batch_output_line(line)
            response = out.get("response")
            ok = isinstance(response, dict) and response.get("status_code") == 200
            (outputs if ok else failures).append(out)

        def jsonl(rows: list[dict[str, Any]]) -> bytes:
            return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")

        output = self._add_file(jsonl(outputs), "batch_output", f"{batch['id']}_output.jsonl")
        error = (
            self._add_file(jsonl(failures), "batch_output", f"{batch['id']}_error.jsonl")
            if failures
            else None
        )
        with self._lock:
            batch.update(
                status="completed",
                in_progress_at=CREATED,
                finalizing_at=CREATED,
                completed_at=CREATED,
                output_file_id=output["id"],
                error_file_id=error["id"] if error is not None else None,
                request_counts={
                    "total": len(lines),
                    "completed": len(outputs),
                    "failed": len(failures),
                },
            )

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
