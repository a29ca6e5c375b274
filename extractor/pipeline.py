"""From input paths to checked records: the library behind ``cqc-extract extract``.

``extract_document`` does one document (load, backend, checker) and always returns a
record: a document that cannot be processed gets a record with ``error`` set, and other
documents are not affected. ``run_extraction`` does many, concurrently for backends that do
I/O, and hands each record to a callback as soon as it is done.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from extractor.backends import Backend, Extraction
from extractor.checker import check_record, issue
from extractor.document import Document
from extractor.errors import DocumentError, LoadError
from extractor.loading import DEFAULT_MAX_BYTES, display_path, load_document
from extractor.output import repair_torn_tail
from extractor.records import ErrorInfo, Issue, Record, Usage
from extractor.redact import redact_text

PathLike = str | os.PathLike[str]


def _error_record(source: str, backend: Backend, err: DocumentError, sha256: str | None) -> Record:
    usage = getattr(err, "usage", None)
    return Record(
        source=source,
        sha256=sha256,
        backend=backend.name,
        error=ErrorInfo(type=err.type, message=redact_text(err.message)),
        usage=usage if isinstance(usage, Usage) else Usage(),
    )


def build_record(doc: Document, backend: Backend, extraction: Extraction) -> Record:
    """A record from a backend's extraction, with the checker's issues added."""
    record = Record(
        source=doc.source,
        sha256=doc.sha256,
        backend=backend.name,
        model=extraction.model,
        prompt=extraction.prompt,
        current_rating=extraction.current_rating,
        current_rating_evidence=extraction.current_rating_evidence,
        events=extraction.events,
        issues=list(extraction.issues),
        usage=extraction.usage,
        cached=extraction.cached,
        cached_usage=extraction.cached_usage,
    )
    checked = extraction.checked
    if checked is None:
        checked = check_record(record, doc.text)
        if extraction.on_checked is not None:
            extraction.on_checked(checked)
    seen = {(i.code, i.event, i.field) for i in record.issues}
    for found in checked:
        if (found.code, found.event, found.field) not in seen:
            record.issues.append(found)
    return record


def load_or_error(
    path: PathLike, backend: Backend, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> Document | Record:
    """The loaded document, or an error record saying why it could not be loaded."""
    try:
        return load_document(path, max_bytes=max_bytes)
    except LoadError as err:
        return _error_record(err.source or display_path(path), backend, err, err.sha256)


def _as_document(
    path_or_doc: PathLike | Document, backend: Backend, max_bytes: int
) -> Document | Record:
    if isinstance(path_or_doc, Document):
        return path_or_doc
    return load_or_error(path_or_doc, backend, max_bytes=max_bytes)


def _record(doc: Document, backend: Backend, extraction: Extraction | DocumentError) -> Record:
    if isinstance(extraction, DocumentError):
        return _error_record(doc.source, backend, extraction, doc.sha256)
    return build_record(doc, backend, extraction)


def extract_document(
    path_or_doc: PathLike | Document, backend: Backend, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> Record:
    """One document through load, backend and checker. Never raises a DocumentError."""
    doc = _as_document(path_or_doc, backend, max_bytes)
    if isinstance(doc, Record):
        return doc
    try:
        return _record(doc, backend, backend.extract(doc))
    except DocumentError as err:
        return _record(doc, backend, err)


async def aextract_document(
    path_or_doc: PathLike | Document, backend: Backend, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> Record:
    """Async form of :func:`extract_document`."""
    doc = _as_document(path_or_doc, backend, max_bytes)
    if isinstance(doc, Record):
        return doc
    try:
        return _record(doc, backend, await backend.aextract(doc))
    except DocumentError as err:
        return _record(doc, backend, err)


def counted(n: int, noun: str) -> str:
    """``1 warning``, ``2 warnings``, ``0 warnings``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


@dataclass
class RunSummary:
    """What a run did, for the closing line on stderr and the run log."""

    documents: int = 0
    errors: int = 0
    skipped: int = 0
    events: int = 0
    issues_error: int = 0
    issues_warning: int = 0
    cached: int = 0
    no_events: int = 0
    usage: Usage = field(default_factory=Usage)
    #: What the answers served from the cache cost when they were made (not spent now).
    cached_usage: Usage = field(default_factory=Usage)

    def add(self, record: Record) -> None:
        self.documents += 1
        self.errors += record.error is not None
        self.events += len(record.events)
        self.issues_error += sum(i.severity == "error" for i in record.issues)
        self.issues_warning += sum(i.severity == "warning" for i in record.issues)
        self.cached += record.cached
        self.no_events += record.error is None and not record.events
        self.usage = self.usage + record.usage
        if record.cached_usage is not None:
            self.cached_usage = self.cached_usage + record.cached_usage

    def line(self) -> str:
        parts = [
            counted(self.documents, "document"),
            counted(self.events, "event"),
            f"{self.errors} with errors",
            f"{counted(self.issues_error, 'error issue')}, {counted(self.issues_warning, 'warning')}",
        ]
        if self.skipped:
            parts.append(f"{self.skipped} skipped (already done)")
        if self.no_events:
            parts.append(f"{self.no_events} without events")
        if self.usage.requests or self.cached:
            parts.append(
                f"{self.usage.requests} requests, {self.usage.prompt_tokens} prompt + "
                f"{self.usage.completion_tokens} completion tokens spent"
            )
        if self.cached:
            stored = self.cached_usage
            parts.append(
                f"{self.cached} from cache (their answers cost {stored.requests} requests, "
                f"{stored.prompt_tokens} prompt + {stored.completion_tokens} completion tokens "
                "when made)"
            )
        return "; ".join(parts)


OnRecord = Callable[[Record], None]


def run_extraction(
    paths: Sequence[PathLike],
    backend: Backend,
    on_record: OnRecord,
    *,
    concurrency: int = 1,
    skip_sha256: Iterable[str] = (),
    max_bytes: int = DEFAULT_MAX_BYTES,
    summary: RunSummary | None = None,
) -> RunSummary:
    """Extract every path, calling ``on_record`` as each record is done.

    With ``concurrency`` above 1 documents are processed concurrently (for backends that
    wait on a server); records then arrive in completion order. Documents whose sha256 is in
    ``skip_sha256`` are skipped (``--resume``). A KeyboardInterrupt stops the run; every
    record already handed to ``on_record`` stays written, and ``summary`` (when given) holds
    the counts so far.
    """
    return asyncio.run(
        arun_extraction(
            paths,
            backend,
            on_record,
            concurrency=concurrency,
            skip_sha256=skip_sha256,
            max_bytes=max_bytes,
            summary=summary,
        )
    )


async def arun_extraction(
    paths: Sequence[PathLike],
    backend: Backend,
    on_record: OnRecord,
    *,
    concurrency: int = 1,
    skip_sha256: Iterable[str] = (),
    max_bytes: int = DEFAULT_MAX_BYTES,
    summary: RunSummary | None = None,
) -> RunSummary:
    if summary is None:
        summary = RunSummary()
    skip = set(skip_sha256)

    def emit(record: Record) -> None:
        summary.add(record)
        on_record(record)

    async def one(path: PathLike) -> None:
        doc = load_or_error(path, backend, max_bytes=max_bytes)
        if isinstance(doc, Record):
            emit(doc)
        elif doc.sha256 in skip:
            summary.skipped += 1
        else:
            emit(await aextract_document(doc, backend, max_bytes=max_bytes))

    if concurrency <= 1:
        for path in paths:
            await one(path)
        return summary
    # A fixed pool of workers pulling from one iterator: memory does not grow with the number
    # of documents, and a slow document holds up only its own worker.
    queue = iter(paths)

    async def worker() -> None:
        for path in queue:
            await one(path)

    workers = [asyncio.ensure_future(worker()) for _ in range(concurrency)]
    try:
        await asyncio.gather(*workers)
    finally:
        for task in workers:
            if not task.done():
                task.cancel()
    return summary


def _find_source(source: str, bases: Sequence[Path]) -> Path | None:
    p = Path(source)
    if p.is_absolute():
        return p if p.exists() else None
    for base in bases:
        if (base / p).exists():
            return base / p
    return None


def recheck_record(
    line: str, bases: Sequence[Path], *, where: str = ""
) -> tuple[Record | None, list[Issue]]:
    """Parse one JSONL line and re-run the checker on it against its re-read source.

    Returns the record (None when the line is not a valid record) and the checker's issues,
    which replace whatever issues the record carried. A source that cannot be found or read
    gives ``source_unavailable`` and only the consistency checks; a source whose bytes
    changed since extraction gives ``source_changed``.
    """
    try:
        record = Record.from_json(line)
    except ValueError as err:
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        return None, [issue("record_invalid", f"{where}: not a valid record: {reason}")]
    if record.error is not None:
        return record, []
    text: str | None = None
    extra: list[Issue] = []
    path = _find_source(record.source, bases)
    if path is not None:
        try:
            doc = load_document(path)
            text = doc.text
            if record.sha256 and doc.sha256 != record.sha256:
                extra.append(
                    issue(
                        "source_changed",
                        f"{record.source} changed since it was extracted (sha256 differs)",
                    )
                )
        except LoadError:
            text = None
    return record, extra + check_record(record, text)


def read_done(out: Path, backend: Backend | None = None) -> set[str]:
    """The sha256 of every document that already has a record without error in ``out`` made
    by ``backend`` as it is configured now (:meth:`~extractor.backends.Backend.made`: the
    same backend, model, prompt and schema version); any record without error when
    ``backend`` is None. A line that is not a record (a torn last line) counts for nothing.
    """
    done: set[str] = set()
    if not out.exists():
        return done
    with out.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            try:
                record = Record.from_json(line)
            except ValueError:
                continue
            if record.error is None and record.sha256 and (backend is None or backend.made(record)):
                done.add(record.sha256)
    return done


__all__ = [
    "RunSummary",
    "aextract_document",
    "arun_extraction",
    "build_record",
    "counted",
    "extract_document",
    "read_done",
    "recheck_record",
    "repair_torn_tail",
    "run_extraction",
]
