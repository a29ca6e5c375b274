"""The Batch API path: the online backend's requests sent as files, its answers read later.

OpenAI's Batch API (and vLLM's batch runner, which takes the same files) answers at half the
price within 24 hours. The path has five steps, each a function here and a ``cqc-extract
batch`` command:

1. :func:`prepare` writes one request line per part of each document::

       {"custom_id": "5a6e1a8d91a200b5-0", "method": "POST", "url": "/v1/chat/completions",
        "body": {...}}

   ``body`` is exactly the first request the online path sends for that part: it is built by
   the same function, :func:`extractor.llm.protocol.chat_request`. Lines go to
   ``REQUESTS.jsonl``, or, when one file would pass the API's limits (50,000 requests or
   200 MB per file), to numbered files beside it (``REQUESTS.001.jsonl``, ...). Beside them,
   ``REQUESTS.manifest.jsonl`` records for every ``custom_id`` the document (its sources as
   given and as absolute paths, its sha256), the part (index, count, offsets), the mode,
   model and prompt, and everything that goes into the cache key, so that ingest can find
   the document again and rebuild the context the answer refers to.

   ``custom_id`` is ``<first 16 hex of the document's sha256>-<part index>``: stable across
   runs, unique within one preparation (the same bytes under two paths are asked once; the
   manifest lists both sources and ingest writes a record for each), at most 64 characters.

2. :func:`submit` uploads each request file (``purpose="batch"``) and creates a batch for it,
   saving the ids in a state file (``REQUESTS.batches.json``) after each one, so that a
   failure half-way loses nothing and a second submit skips the files already submitted.
3. :func:`refresh` asks for each batch's status and request counts.
4. :func:`collect` downloads the output and error files of finished batches.
5. :func:`ingest` turns the result lines into records through the online path's own steps:
   the mode's parsing (:func:`~extractor.llm.protocol.read_answer`), grounding
   (:func:`~extractor.llm.grounding.ground`), merging of parts
   (:func:`~extractor.llm.protocol.assemble`) and the checker
   (:func:`~extractor.pipeline.extract_document`). For the same answers the records equal the
   online path's apart from ``usage`` and ``cached``.

There are no re-asks in a batch. Ingest does what the online path does when its re-asks are
spent (with 0 re-asks, exactly what it does):

- an answer that does not parse or breaks the schema gives a record with ``error``
  (``InvalidAnswer``, worded as online after one answer);
- an answer that parses but whose quotes are not found, or do not support their values, is
  kept with its issues (``quote_not_found`` and whatever the checker finds);
- a failed request line (``error`` set, or a status other than 200) gives a record with
  ``error``: ``TransportError`` for statuses worth retrying (408, 409, 429, 5xx) and for lines
  that never got an answer, ``BackendError`` for other refusals.

Cache: a valid extraction is stored under the key ``extract`` would use with the same
options (the manifest carries its parts), so a later ``extract`` is a cache hit. It is stored
only when it is what the online path would also have returned: when no part had a problem to
re-ask about (then online accepts the first answer whatever its re-ask budget), or when the
options' re-ask budget is 0. An answer kept with grounding problems is written as a record
but not cached, since ``extract`` would have asked again. Usage is what each result body
reports: one request per result line, and its tokens.

Errors: the server's refusals and transport failures become
:class:`~extractor.errors.BackendError` / :class:`~extractor.errors.TransportError`; bad
arguments and unreadable state or manifest files are :class:`~extractor.errors.UsageError`.
The management calls (upload, create, retrieve, download) use the openai client's own
retries (429, 5xx and connection errors, honouring ``Retry-After``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Final

import openai
from openai.types.chat import ChatCompletion
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from extractor.backends import Backend, Extraction
from extractor.document import Document
from extractor.errors import (
    BackendError,
    ConfigurationError,
    DocumentError,
    InternalError,
    LoadError,
    TransportError,
    UsageError,
)
from extractor.llm.align import FoldedText
from extractor.llm.cache import ResultCache, cache_key
from extractor.llm.chunking import Chunk, plan_chunks
from extractor.llm.grounding import Grounded, ground
from extractor.llm.protocol import (
    BACKEND_NAME,
    Mode,
    RequestSettings,
    assemble,
    body_message,
    describe_api_error,
    read_answer,
    resolve_server,
    transient_status,
)
from extractor.loading import DEFAULT_MAX_BYTES, display_path, load_document
from extractor.pipeline import RunSummary, extract_document
from extractor.reading.layout import find_event_starts
from extractor.records import ErrorInfo, Record, Usage
from extractor.redact import redact_text, redact_url, url_secrets

PathLike = str | os.PathLike[str]

#: The endpoint every request line names.
ENDPOINT: Final = "/v1/chat/completions"
COMPLETION_WINDOW: Final = "24h"
#: The Batch API's limits on one input file.
MAX_FILE_REQUESTS: Final = 50_000
MAX_FILE_BYTES: Final = 200 * 1024 * 1024
#: Batch states after which nothing changes; of those, the ones that did not complete.
FINISHED: Final = frozenset({"completed", "failed", "expired", "cancelled"})
UNSUCCESSFUL: Final = frozenset({"failed", "expired", "cancelled"})
_NUMBERED: Final = re.compile(r"\.\d{3,}$")
#: Marks the stand-in for a part whose result line never came (no request counted).
_MISSING: Final = "__missing__"
_ID_HEX: Final = 16
#: What a batch or file id from the server may look like: it names files we write, and goes
#: into request paths. No dots, no slashes: nothing that could climb out of a directory.
_SAFE_ID: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,199}$")


def safe_id(value: object, what: str = "batch id") -> str:
    """``value`` when it is a plain identifier (letters, digits, ``_`` and ``-``, at most 200
    characters), else :class:`~extractor.errors.BackendError`: ids come from the server and
    name the files collect writes, so an id such as ``../../x`` is refused, never used."""
    if isinstance(value, str) and _SAFE_ID.match(value):
        return value
    raise BackendError(
        f"the server returned a {what} that is not a plain identifier: {str(value)[:80]!r}",
        backend=BACKEND_NAME,
    )


# --- file names ---------------------------------------------------------------------------------


def _stem(requests: Path) -> str:
    """``requests.jsonl`` and ``requests.003.jsonl`` -> ``requests``."""
    name = requests.name.removesuffix(".jsonl")
    return _NUMBERED.sub("", name)


def numbered_path(requests: Path, n: int) -> Path:
    """The ``n``-th (from 1) of the numbered files ``requests`` is split into."""
    return requests.with_name(f"{_stem(requests)}.{n:03d}.jsonl")


def manifest_path(requests: Path) -> Path:
    """``REQUESTS.jsonl`` (or any of its numbered parts) -> ``REQUESTS.manifest.jsonl``."""
    return requests.with_name(f"{_stem(requests)}.manifest.jsonl")


def state_path(requests: Path) -> Path:
    """``REQUESTS.jsonl`` (or any of its numbered parts) -> ``REQUESTS.batches.json``."""
    return requests.with_name(f"{_stem(requests)}.batches.json")


def _write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file, so a crash never leaves half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def _writing(what: Path) -> Iterator[None]:
    try:
        yield
    except OSError as err:
        raise UsageError(f"{what}: cannot be written ({err.strerror or err})") from err


# --- the manifest -------------------------------------------------------------------------------


class ChunkInfo(BaseModel):
    """Which part of the document a request asks about: ``text[start:end]``."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    index: int
    count: int
    start: int
    end: int
    starts_on_event: bool = True

    def chunk(self) -> Chunk:
        return Chunk(self.start, self.end, self.index, self.count, self.starts_on_event)


class SourceInfo(BaseModel):
    """Where the document was found: ``source`` as given (the record's ``source``) and
    ``path``, absolute, to find it again from another directory."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    source: str
    path: str


class ManifestEntry(BaseModel):
    """One line of the manifest: what one ``custom_id`` asks, about which document."""

    model_config = ConfigDict(extra="ignore")

    custom_id: str
    #: The request file holding the line, relative to the manifest's directory.
    file: str
    sha256: str
    sources: list[SourceInfo]
    chunk: ChunkInfo
    mode: Mode
    model: str
    #: The prompt's id (``name@hash``), as records carry it.
    prompt: str
    #: Everything but the document that goes into the cache key (see
    #: :meth:`extractor.llm.protocol.RequestSettings.cache_key_parts`).
    cache_key: dict[str, Any]


def read_manifest(path: Path) -> dict[str, ManifestEntry]:
    """The manifest's entries by ``custom_id``. A file that is not a manifest is a usage
    error naming the line."""
    entries: dict[str, ManifestEntry] = {}
    try:
        with path.open(encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    entry = ManifestEntry.model_validate_json(line)
                except ValidationError as err:
                    raise UsageError(
                        f"{path}:{lineno}: not a batch manifest line "
                        f"({err.errors()[0]['msg'] if err.errors() else err})"
                    ) from err
                entries[entry.custom_id] = entry
    except OSError as err:
        raise UsageError(f"{path}: cannot read the manifest ({err.strerror or err})") from err
    return entries


# --- prepare ------------------------------------------------------------------------------------


def request_lines(doc: Document, settings: RequestSettings) -> list[tuple[Chunk, dict[str, Any]]]:
    """The Batch API request lines for one document, one per part, with their parts."""
    lines = []
    for chunk in plan_chunks(doc.text, settings.chunk_chars, settings.chunk_overlap):
        body = settings.part_request(doc.text, chunk)
        line = {
            "custom_id": f"{doc.sha256[:_ID_HEX]}-{chunk.index}",
            "method": "POST",
            "url": ENDPOINT,
            "body": body,
        }
        lines.append((chunk, line))
    return lines


@dataclass
class PrepareResult:
    """What :func:`prepare` wrote."""

    files: list[Path]
    manifest: Path
    documents: int = 0
    requests: int = 0
    #: Inputs that could not be read, with why; they are left out of the requests.
    failed: list[tuple[str, DocumentError]] = field(default_factory=list)


class _SplitWriter:
    """Request lines into numbered temporary files, a new one before a limit would pass."""

    def __init__(self, output: Path, max_requests: int, max_file_bytes: int) -> None:
        self.output = output
        self.max_requests = max_requests
        self.max_file_bytes = max_file_bytes
        self.temps: list[Path] = []
        self._fh: Any = None
        self._count = 0
        self._bytes = 0

    def add(self, data: bytes) -> int:
        """Write one line; returns the index (from 0) of the file it went to."""
        if len(data) > self.max_file_bytes:
            raise UsageError(
                f"one request is {len(data)} bytes, more than the {self.max_file_bytes} bytes "
                "allowed per request file"
            )
        full = self._count >= self.max_requests or self._bytes + len(data) > self.max_file_bytes
        if self._fh is None or full:
            self._open_next()
        self._fh.write(data)
        self._count += 1
        self._bytes += len(data)
        return len(self.temps) - 1

    def _open_next(self) -> None:
        self.close()
        fd, tmp = tempfile.mkstemp(
            dir=self.output.parent, prefix=f".{self.output.name}.", suffix=".tmp"
        )
        self.temps.append(Path(tmp))
        self._fh = os.fdopen(fd, "wb")
        self._count = self._bytes = 0

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def finish(self) -> list[Path]:
        """Move the files into place: ``output`` when there is one, else numbered files
        beside it. Request files of an earlier preparation under these names are removed,
        so that no stale file is submitted with the new ones."""
        self.close()
        if not self.temps:  # nothing asked: an empty request file says so
            self._open_next()
            self.close()
        stale = [
            self.output,
            *self.output.parent.glob(f"{_glob_escape(_stem(self.output))}.*.jsonl"),
        ]
        for path in stale:
            if path == self.output or _NUMBERED.search(path.name.removesuffix(".jsonl")):
                path.unlink(missing_ok=True)
        if len(self.temps) == 1:
            os.replace(self.temps[0], self.output)
            return [self.output]
        finals = [numbered_path(self.output, n) for n in range(1, len(self.temps) + 1)]
        for tmp, final in zip(self.temps, finals, strict=True):
            os.replace(tmp, final)
        return finals

    def abort(self) -> None:
        self.close()
        for tmp in self.temps:
            tmp.unlink(missing_ok=True)


def _glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def _write_requests(
    doc: Document,
    source: dict[str, str],
    settings: RequestSettings,
    key_parts: dict[str, Any],
    writer: _SplitWriter,
) -> list[tuple[int, dict[str, Any]]]:
    """Write one document's request lines; its manifest entries, with the file index of each."""
    written = []
    for chunk, line in request_lines(doc, settings):
        data = (json.dumps(line, ensure_ascii=False) + "\n").encode("utf-8")
        index = writer.add(data)
        entry = {
            "custom_id": line["custom_id"],
            "file": "",
            "sha256": doc.sha256,
            "sources": [source],
            "chunk": dataclasses.asdict(chunk),
            "mode": settings.mode,
            "model": settings.model,
            "prompt": settings.prompt.id,
            "cache_key": key_parts,
        }
        written.append((index, entry))
    return written


def prepare(
    paths: Sequence[PathLike],
    output: Path,
    settings: RequestSettings,
    *,
    max_requests: int = MAX_FILE_REQUESTS,
    max_file_bytes: int = MAX_FILE_BYTES,
    max_bytes: int = DEFAULT_MAX_BYTES,
    on_error: Callable[[str, DocumentError], None] | None = None,
) -> PrepareResult:
    """Write the request file(s) for ``paths`` (files, as :func:`iter_input_paths` gives
    them) and their manifest (see the module docstring).

    A file that cannot be read is left out and reported to ``on_error`` (and in the result);
    the others are still prepared. Documents are read one at a time: memory holds the
    manifest, not the texts.
    """
    if max_requests < 1 or max_file_bytes < 1:
        raise UsageError("the limits per request file must be positive")
    output.parent.mkdir(parents=True, exist_ok=True)
    writer = _SplitWriter(output, max_requests, max_file_bytes)
    result = PrepareResult(files=[], manifest=manifest_path(output))
    entries: list[tuple[int, dict[str, Any]]] = []
    by_sha: dict[str, list[dict[str, Any]]] = {}
    ids: dict[str, str] = {}
    # The server URL names the cache entries; in the manifest it is written without
    # credentials (cache_key() redacts it the same way, so ingest and extract still agree).
    key_parts = settings.cache_key_parts()
    key_parts["base_url"] = redact_url(str(key_parts["base_url"]))
    try:
        for path in paths:
            try:
                doc = load_document(path, max_bytes=max_bytes)
            except LoadError as err:
                result.failed.append((display_path(path), err))
                if on_error is not None:
                    on_error(display_path(path), err)
                continue
            source = {"source": doc.source, "path": display_path(os.path.abspath(path))}
            result.documents += 1
            if doc.sha256 in by_sha:  # the same bytes again: asked once, recorded for both
                for entry in by_sha[doc.sha256]:
                    entry["sources"].append(source)
                continue
            prefix = doc.sha256[:_ID_HEX]
            if ids.setdefault(prefix, doc.sha256) != doc.sha256:  # pragma: no cover - 2**-64
                raise InternalError(f"two documents share the custom_id prefix {prefix}")
            mine = _write_requests(doc, source, settings, key_parts, writer)
            entries.extend(mine)
            result.requests += len(mine)
            by_sha[doc.sha256] = [entry for _, entry in mine]
        with _writing(output):
            result.files = writer.finish()
    except BaseException:
        writer.abort()
        raise
    manifest = "".join(
        json.dumps({**entry, "file": result.files[index].name}, ensure_ascii=False) + "\n"
        for index, entry in entries
    )
    with _writing(result.manifest):
        _write_atomically(result.manifest, manifest.encode("utf-8"))
    return result


# --- the state file -----------------------------------------------------------------------------


class BatchEntry(BaseModel):
    """One submitted request file and the batch made from it."""

    model_config = ConfigDict(extra="ignore")

    #: The request file, relative to the state file's directory.
    request_file: str
    request_sha256: str
    requests: int
    input_file_id: str
    batch_id: str
    status: str
    request_counts: dict[str, int] | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None
    errors: list[str] = Field(default_factory=list)

    def counts(self) -> str:
        c = self.request_counts or {}
        total = c.get("total") or self.requests
        return f"{c.get('completed', 0)}/{total} done, {c.get('failed', 0)} failed"


class BatchState(BaseModel):
    """What ``batch submit`` saved: the server and every batch created on it."""

    model_config = ConfigDict(extra="ignore")

    version: int = 1
    #: The server the batches live on (None: OpenAI's), without credentials.
    base_url: str | None = None
    #: True when the URL submit was given carried credentials (not stored): status and
    #: collect then need it again, from --base-url or $OPENAI_BASE_URL.
    base_url_credentials: bool = False
    #: The manifest of the requests, relative to the state file's directory.
    manifest: str | None = None
    batches: list[BatchEntry] = Field(default_factory=list)

    @classmethod
    def load(cls, path: Path) -> BatchState:
        try:
            return cls.model_validate_json(path.read_bytes())
        except FileNotFoundError as err:
            raise UsageError(f"{path}: no such state file (made by batch submit)") from err
        except OSError as err:
            raise UsageError(f"{path}: cannot read the state file ({err.strerror or err})") from err
        except ValidationError as err:
            raise UsageError(f"{path}: not a batch state file (made by batch submit)") from err

    def save(self, path: Path) -> None:
        with _writing(path):
            _write_atomically(path, (self.model_dump_json(indent=2) + "\n").encode("utf-8"))


def find_state(directory: Path | None = None) -> Path:
    """The one ``*.batches.json`` in ``directory`` (default: the current one)."""
    where = directory or Path.cwd()
    found = sorted(where.glob("*.batches.json"))
    if len(found) != 1:
        what = "none" if not found else "several: " + ", ".join(p.name for p in found)
        raise UsageError(f"pass the state file (STATE.batches.json); found {what} in {where}")
    return found[0]


# --- talking to the server ----------------------------------------------------------------------


def open_client(
    base_url: str | None = None,
    *,
    needs: str = "batch submit",
    timeout: float = 600.0,
    max_retries: int = 3,
    api_key: str | None = None,
) -> openai.OpenAI:
    """A client for the Files and Batches endpoints, with the online backend's rules for the
    key and server (no key and no server: :class:`ConfigurationError`, naming
    ``OPENAI_API_KEY``). The time-out is long because a request file may be 200 MB."""
    url, key = resolve_server(base_url, api_key, needs=needs)
    return openai.OpenAI(api_key=key, base_url=url, timeout=timeout, max_retries=max_retries)


@contextmanager
def _server(doing: str, *, source: str | None = None) -> Iterator[None]:
    """openai's errors as ours: transient ones as TransportError, refusals as BackendError."""
    try:
        yield
    except openai.APIError as err:
        transient = isinstance(err, openai.APIConnectionError) or (
            isinstance(err, openai.APIStatusError) and transient_status(err.status_code)
        )
        hint = ""
        if isinstance(err, openai.APIStatusError) and err.status_code in (401, 403):
            hint = " (check OPENAI_API_KEY and --base-url)"
        cls = TransportError if transient else BackendError
        raise cls(
            redact_text(f"{doing}: {describe_api_error(err)}{hint}"),
            source=source,
            backend=BACKEND_NAME,
        ) from err


def _update(entry: BatchEntry, batch: Any) -> None:
    entry.status = str(batch.status)
    counts = getattr(batch, "request_counts", None)
    if counts is not None:
        entry.request_counts = {
            "total": int(counts.total),
            "completed": int(counts.completed),
            "failed": int(counts.failed),
        }
    if batch.output_file_id:
        entry.output_file_id = safe_id(batch.output_file_id, "file id")
    if batch.error_file_id:
        entry.error_file_id = safe_id(batch.error_file_id, "file id")
    errors = getattr(getattr(batch, "errors", None), "data", None) or []
    entry.errors = [
        redact_text(
            f"{'line ' + str(e.line) + ': ' if getattr(e, 'line', None) else ''}{e.message or e.code}"
        )
        for e in errors
    ]


@dataclass
class SubmitResult:
    state: Path
    submitted: list[BatchEntry] = field(default_factory=list)
    #: Request files already submitted (same bytes, batch not failed), with their batch.
    skipped: list[BatchEntry] = field(default_factory=list)


def state_server(state: BatchState, given: str | None) -> str | None:
    """The server URL to reach the state's batches: ``given`` (``--base-url``), else
    ``$OPENAI_BASE_URL`` (with its credentials) when it names the state's server, else the
    state's own URL. A state whose URL had credentials, which are not stored, needs one of
    the first two: :class:`UsageError` otherwise."""
    if given:
        return given
    env = os.environ.get("OPENAI_BASE_URL", "").strip()
    if env and state.base_url is not None and redact_url(env) == state.base_url:
        return env
    if state.base_url_credentials:
        raise UsageError(
            f"the batches are on {state.base_url}, whose credentials are not stored in the "
            "state file: pass --base-url URL with them (or set OPENAI_BASE_URL)"
        )
    return state.base_url


def _open_state(path: Path, base_url: str | None, manifest: Path) -> BatchState:
    """The state file at ``path`` (new when missing), for batches on ``base_url`` (stored
    without its credentials)."""
    stored = redact_url(base_url) if base_url is not None else None
    state = BatchState.load(path) if path.exists() else BatchState(base_url=stored)
    if state.batches and state.base_url != stored:
        raise UsageError(
            f"{path} holds batches on {state.base_url or 'OpenAI'}, not on "
            f"{stored or 'OpenAI'}: use --state for another state file"
        )
    state.base_url = stored
    state.base_url_credentials = bool(url_secrets(base_url))
    if state.manifest is None and manifest.exists():
        state.manifest = os.path.relpath(manifest, path.parent)
    return state


def _read_requests(request_file: Path) -> tuple[bytes, int]:
    """A request file's bytes and how many requests it holds (a usage error when none)."""
    try:
        data = request_file.read_bytes()
    except OSError as err:
        raise UsageError(f"{request_file}: cannot read ({err.strerror or err})") from err
    count = sum(1 for line in data.splitlines() if line.strip())
    if count == 0:
        raise UsageError(f"{request_file}: has no requests")
    return data, count


def _submit_file(
    client: openai.OpenAI, request_file: Path, data: bytes, count: int, digest: str, state: Path
) -> BatchEntry:
    """Upload one request file and create its batch."""
    source = os.fspath(request_file)
    with _server("uploading the requests failed", source=source):
        uploaded = client.files.create(
            file=(request_file.name, data, "application/jsonl"), purpose="batch"
        )
    with _server("creating the batch failed", source=source):
        batch = client.batches.create(
            input_file_id=uploaded.id, endpoint=ENDPOINT, completion_window=COMPLETION_WINDOW
        )
    entry = BatchEntry(
        request_file=os.path.relpath(request_file, state.parent),
        request_sha256=digest,
        requests=count,
        input_file_id=safe_id(uploaded.id, "file id"),
        batch_id=safe_id(batch.id),
        status=str(batch.status),
    )
    _update(entry, batch)
    return entry


def submit(
    client: openai.OpenAI,
    request_files: Sequence[Path],
    *,
    state_file: Path | None = None,
    base_url: str | None = None,
) -> SubmitResult:
    """Upload each request file and create a batch for it; the state is saved after each.

    ``base_url`` is the server ``client`` talks to (None: OpenAI), recorded so that status
    and collect ask the same server. A file whose bytes were already submitted in this state
    and whose batch has not failed is skipped, so running submit again after a failure
    submits only what is missing.
    """
    if not request_files:
        raise UsageError("no request files to submit")
    path = state_file or state_path(request_files[0])
    state = _open_state(path, base_url, manifest_path(request_files[0]))
    result = SubmitResult(state=path)
    for request_file in request_files:
        data, count = _read_requests(request_file)
        digest = hashlib.sha256(data).hexdigest()
        done = next(
            (
                b
                for b in state.batches
                if b.request_sha256 == digest and b.status not in UNSUCCESSFUL
            ),
            None,
        )
        if done is not None:
            result.skipped.append(done)
            continue
        entry = _submit_file(client, request_file, data, count, digest, path)
        state.batches.append(entry)
        state.save(path)
        result.submitted.append(entry)
    state.save(path)
    return result


def refresh(client: openai.OpenAI, state: BatchState, state_file: Path) -> BatchState:
    """Ask the server how each unfinished batch stands; save and return the state."""
    for entry in state.batches:
        if entry.status in FINISHED:
            continue
        batch_id = safe_id(entry.batch_id)  # the state file may have been edited
        with _server(f"asking for batch {batch_id} failed", source=entry.request_file):
            batch = client.batches.retrieve(batch_id)
        _update(entry, batch)
    state.save(state_file)
    return state


def _inside(directory: Path, name: str) -> Path:
    """``directory / name``, checked to be a file directly inside ``directory``."""
    target = directory / name
    if Path(name).name != name or target.resolve().parent != directory.resolve():
        raise InternalError(f"{name!r} would be written outside {directory}")
    return target


@dataclass
class CollectResult:
    """What :func:`collect` downloaded, and the batches it could not (yet) collect."""

    files: list[Path] = field(default_factory=list)
    manifest: Path | None = None
    #: Batches not finished yet: collect again later.
    pending: list[BatchEntry] = field(default_factory=list)
    #: Batches that failed, expired or were cancelled (their partial results, if any, are
    #: downloaded too).
    unsuccessful: list[BatchEntry] = field(default_factory=list)


def collect(
    client: openai.OpenAI, state: BatchState, state_file: Path, out_dir: Path
) -> CollectResult:
    """Download the output (``<batch>.output.jsonl``) and error (``<batch>.errors.jsonl``)
    files of every finished batch into ``out_dir``, with a copy of the manifest, so that
    ``batch ingest DIR/*.jsonl`` finds it."""
    refresh(client, state, state_file)
    result = CollectResult()
    for entry in state.batches:
        if entry.status not in FINISHED:
            result.pending.append(entry)
            continue
        if entry.status in UNSUCCESSFUL:
            result.unsuccessful.append(entry)
        name = safe_id(entry.batch_id)  # it names the files: checked before anything is asked
        for file_id, kind in ((entry.output_file_id, "output"), (entry.error_file_id, "errors")):
            if not file_id:
                continue
            file_id = safe_id(file_id, "file id")
            with _server(f"downloading {file_id} failed", source=entry.batch_id):
                content = client.files.content(file_id).content
            target = _inside(out_dir, f"{name}.{kind}.jsonl")
            with _writing(target):
                _write_atomically(target, content)
            result.files.append(target)
    if state.manifest is not None:
        source = state_file.parent / state.manifest
        if source.exists():
            result.manifest = out_dir / source.name
            if source.resolve() != result.manifest.resolve():
                with _writing(result.manifest):
                    out_dir.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(source, result.manifest)
    return result


# --- ingest -------------------------------------------------------------------------------------


def find_manifest(results_files: Sequence[Path]) -> Path:
    """The one ``*.manifest.jsonl`` beside the results files."""
    found = sorted({p.resolve() for r in results_files for p in r.parent.glob("*.manifest.jsonl")})
    if len(found) != 1:
        what = "none" if not found else "several"
        raise UsageError(f"pass --manifest (found {what} beside the results files)")
    return found[0]


def _message(body: Any) -> str:
    found = body_message(body)
    if found is not None:
        return found
    return json.dumps(body)[:200] if body is not None else "no body"


def _ok(line: dict[str, Any]) -> bool:
    response = line.get("response")
    return (
        isinstance(response, dict)
        and response.get("status_code") == 200
        and isinstance(response.get("body"), dict)
    )


def _line_usage(line: dict[str, Any]) -> Usage:
    """One request, and the tokens its body reports (nothing for a part with no result)."""
    if line.get(_MISSING):
        return Usage()
    response = line.get("response")
    body = response.get("body") if isinstance(response, dict) else None
    usage = body.get("usage") if isinstance(body, dict) else None
    if not isinstance(usage, dict):
        return Usage(requests=1)
    return Usage(
        requests=1,
        prompt_tokens=int(usage.get("prompt_tokens") or 0),
        completion_tokens=int(usage.get("completion_tokens") or 0),
    )


def _completion(line: dict[str, Any], source: str) -> ChatCompletion:
    """The chat completion a result line carries, or the error it reports."""
    custom_id = line.get("custom_id")
    response = line.get("response")
    if _ok(line):
        assert isinstance(response, dict)
        return ChatCompletion.construct(**response["body"])
    if isinstance(response, dict) and isinstance(response.get("status_code"), int):
        code = int(response["status_code"])
        what = f"HTTP {code}: {_message(response.get('body'))}"
        if transient_status(code):
            raise TransportError(
                f"the batch request {custom_id} failed: {what}", source=source, backend=BACKEND_NAME
            )
        raise BackendError(
            f"the server refused the batch request {custom_id}: {what}",
            source=source,
            backend=BACKEND_NAME,
        )
    error = line.get("error")
    if isinstance(error, dict):
        raise TransportError(
            f"the batch request {custom_id} got no answer: "
            f"{error.get('code') or 'error'}: {error.get('message') or ''}".rstrip(": "),
            source=source,
            backend=BACKEND_NAME,
        )
    raise BackendError(
        f"the batch result for {custom_id} has neither a response nor an error",
        source=source,
        backend=BACKEND_NAME,
    )


@dataclass
class _Pending:
    """One document of the manifest and the result lines that have come in for it."""

    sha256: str
    entries: list[ManifestEntry]
    results: dict[int, dict[str, Any]] = field(default_factory=dict)
    done: bool = False

    def complete(self) -> bool:
        return len(self.results) == len(self.entries)

    def all_ok(self) -> bool:
        return all(_ok(line) for line in self.results.values())


class _Answered(Backend):
    """The openai backend's second half, over answers already given: each part's result is
    parsed, grounded and merged as :class:`~extractor.llm.online.OpenAIBackend` does, and
    no request is made. One per document; the pipeline's :func:`extract_document` turns its
    extraction (or error) into the record, checker included, as for ``extract``."""

    name: ClassVar[str] = BACKEND_NAME

    def __init__(self, pending: _Pending, cache: ResultCache | None) -> None:
        self.pending = pending
        self.cache = cache
        self._done: Extraction | DocumentError | None = None

    def extract(self, doc: Document) -> Extraction:
        if doc.sha256 != self.pending.sha256:
            raise BackendError(
                f"{doc.source} changed since the requests were prepared (sha256 differs); "
                "prepare and submit it again",
                source=doc.source,
                backend=self.name,
            )
        if self._done is None:  # the same bytes under several sources: read once
            try:
                self._done = self._read(doc)
            except DocumentError as err:
                self._done = err
        if isinstance(self._done, DocumentError):
            raise self._done
        return dataclasses.replace(self._done)

    def _read(self, doc: Document) -> Extraction:
        entries = sorted(self.pending.entries, key=lambda e: e.chunk.index)
        lines = [self.pending.results[e.chunk.index] for e in entries]
        usage = sum((_line_usage(line) for line in lines), Usage())
        text = doc.text
        starts = [s.start for s in find_event_starts(text)]
        folded = FoldedText(text)
        first = entries[0]
        parts: list[tuple[Chunk, Grounded]] = []
        model: str | None = None
        try:
            for entry, line in zip(entries, lines, strict=True):
                completion = _completion(line, doc.source)
                model = getattr(completion, "model", None) or model
                answer = read_answer(completion, entry.mode, source=doc.source)
                chunk = entry.chunk.chunk()
                parts.append(
                    (chunk, ground(answer, text, chunk=chunk, event_starts=starts, folded=folded))
                )
        except BackendError as err:  # what the document cost is still reported
            err.usage = usage
            raise
        extraction = assemble(parts, model=model, prompt=first.prompt, usage=usage)
        problems = any(grounded.problems for _, grounded in parts)
        if self.cache is not None and (not problems or first.cache_key.get("reasks") == 0):
            key = cache_key({"document": doc.sha256, **first.cache_key})
            with contextlib.suppress(ConfigurationError):  # a full disk loses an entry only
                self.cache.put(key, extraction)
        return extraction


@dataclass
class IngestReport:
    """What :func:`ingest` did."""

    summary: RunSummary = field(default_factory=RunSummary)
    #: Documents of the manifest with no result line in the files given.
    missing: int = 0
    #: Result lines whose ``custom_id`` the manifest does not know.
    unknown: list[str] = field(default_factory=list)
    #: Lines that are not Batch API result lines (``file:line``).
    unreadable: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.summary.errors or self.unknown or self.unreadable)


def _locate(source: SourceInfo, bases: Sequence[Path]) -> Path:
    """Where a document is now: its absolute path, else its source from each base."""
    candidates = [Path(source.path), *(base / source.source for base in bases)]
    return next((p for p in candidates if p.exists()), Path(source.path))


def _records(
    pending: _Pending, cache: ResultCache | None, bases: Sequence[Path], max_bytes: int
) -> list[Record]:
    backend = _Answered(pending, cache)
    records = []
    for source in pending.entries[0].sources:
        try:
            doc = load_document(_locate(source, bases), max_bytes=max_bytes, source=source.source)
        except LoadError as err:
            records.append(
                Record(
                    source=source.source,
                    sha256=err.sha256,
                    backend=backend.name,
                    error=ErrorInfo(type=err.type, message=err.message),
                )
            )
            continue
        records.append(extract_document(doc, backend))
    return records


def _result_lines(path: Path, report: IngestReport) -> Iterator[dict[str, Any]]:
    """The result lines of one file that name a ``custom_id``; the others are counted in
    ``report.unreadable``."""
    try:
        fh = path.open(encoding="utf-8")
    except OSError as err:
        raise UsageError(f"{path}: cannot read ({err.strerror or err})") from err
    with fh:
        for lineno, text in enumerate(fh, 1):
            if not text.strip():
                continue
            try:
                line = json.loads(text)
                if not isinstance(line["custom_id"], str):
                    raise TypeError
            except (ValueError, KeyError, TypeError):
                report.unreadable.append(f"{path}:{lineno}")
                continue
            yield line


def _mark_missing_parts(pending: _Pending) -> None:
    """Give each part of a document that has no result an error result of its own."""
    for entry in pending.entries:
        if entry.chunk.index not in pending.results:
            pending.results[entry.chunk.index] = {
                "custom_id": entry.custom_id,
                "response": None,
                "error": {
                    "code": "missing",
                    "message": "no result for this part in the given results files",
                },
                _MISSING: True,
            }


def ingest(
    results_files: Sequence[Path],
    manifest: Path,
    on_record: Callable[[Record], None],
    *,
    cache: ResultCache | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> IngestReport:
    """Turn Batch API result lines into records (see the module docstring), handing each to
    ``on_record`` as soon as its document is complete.

    A document is complete when a result has come in for each of its parts. One whose parts
    all succeeded is written at once; one with a failed part waits for the end, in case a
    later file (a second batch) brings a success for it. At the end a document with some
    parts missing gets a record with ``error``; one with no result at all gets no record and
    is counted in ``missing``.
    """
    entries = read_manifest(manifest)
    docs: dict[str, _Pending] = {}
    for entry in entries.values():
        docs.setdefault(entry.sha256, _Pending(entry.sha256, [])).entries.append(entry)
    bases = [Path.cwd(), manifest.parent]
    report = IngestReport()

    def finish(pending: _Pending) -> None:
        pending.done = True
        for record in _records(pending, cache, bases, max_bytes):
            report.summary.add(record)
            on_record(record)
        pending.results.clear()

    skip = manifest.resolve()
    for path in results_files:
        if path.resolve() == skip:  # a glob over a collect directory takes the manifest too
            continue
        for line in _result_lines(path, report):
            known = entries.get(line["custom_id"])
            if known is None:
                report.unknown.append(line["custom_id"])
                continue
            pending = docs[known.sha256]
            if pending.done:
                continue
            index = known.chunk.index
            before = pending.results.get(index)
            if before is None or (not _ok(before) and _ok(line)):
                pending.results[index] = line
            if pending.complete() and pending.all_ok():
                finish(pending)
    for pending in docs.values():
        if pending.done:
            continue
        if not pending.results:
            report.missing += 1
            continue
        _mark_missing_parts(pending)
        finish(pending)
    return report


__all__ = [
    "COMPLETION_WINDOW",
    "ENDPOINT",
    "FINISHED",
    "MAX_FILE_BYTES",
    "MAX_FILE_REQUESTS",
    "UNSUCCESSFUL",
    "BatchEntry",
    "BatchState",
    "ChunkInfo",
    "CollectResult",
    "IngestReport",
    "ManifestEntry",
    "PrepareResult",
    "RequestSettings",
    "SourceInfo",
    "SubmitResult",
    "collect",
    "find_manifest",
    "find_state",
    "ingest",
    "manifest_path",
    "numbered_path",
    "open_client",
    "prepare",
    "read_manifest",
    "refresh",
    "request_lines",
    "safe_id",
    "state_path",
    "state_server",
]
