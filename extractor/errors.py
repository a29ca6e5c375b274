"""Every exception cqc-extract raises, in one tree.

::

    ExtractorError                  root: catch this to catch everything of ours
    ├── UsageError                  the caller's mistake: bad flag, no such path, missing key (exit 2)
    │   ├── ConfigurationError      a backend cannot be set up as asked (no key and no base URL, ...)
    │   ├── OutputError             the output cannot be written (read-only, disk full, ...)
    │   └── ServerUnavailable       the model server cannot serve this run at all: the run stops
    ├── DocumentError               one document could not be processed: becomes the record's `error`
    │   ├── LoadError               the file could not be read as text
    │   │   ├── EmptyDocument       zero bytes, or nothing but white space
    │   │   ├── BinaryDocument      NUL bytes or not decodable as any supported text encoding
    │   │   ├── DocumentTooLarge    over the size limit
    │   │   └── UnreadableDocument  the OS refused (missing, permission, a directory, ...)
    │   └── BackendError            the backend failed for this document (after its own retries)
    │       ├── TransportError      the server could not be reached or kept refusing (429/5xx/timeouts)
    │       └── InvalidAnswer       no valid answer after the allowed re-asks
    └── InternalError               one of our own invariants broke (a bug: please report it)

Document errors carry the document's ``source``; the pipeline turns them into a record's
``error`` (``{"type": <class name>, "message": ...}``) and goes on with the other documents.
Foreign exceptions (OS, openai, instructor, diskcache) are translated at the module that meets
them and chained with ``raise ... from``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from extractor.records import Usage


class ExtractorError(Exception):
    """Root of every exception raised by cqc-extract."""


class UsageError(ExtractorError):
    """The caller asked for something that cannot be done; the CLI exits with status 2."""


class ConfigurationError(UsageError):
    """A backend cannot be configured as asked (for example no API key and no base URL)."""


class OutputError(UsageError):
    """The output (``-o``, standard output) cannot be written; the message names the file and
    the reason. Exit status 2, as for a usage error: nothing is wrong with the documents."""


class ServerUnavailable(UsageError):
    """The model server cannot serve this run at all: it is not there (connection refused,
    name not resolved), refuses us (401/403), does not know the model or the path (404),
    does not support the mode, or gave the same error for the first documents. The run stops
    at once (exit 2) with one line naming the server and the cause, instead of failing every
    document in turn."""


class DocumentError(ExtractorError):
    """One document could not be processed. Other documents are not affected."""

    def __init__(self, message: str, *, source: str | None = None) -> None:
        super().__init__(message)
        self.source = source
        self.message = message

    @property
    def type(self) -> str:
        return type(self).__name__


class LoadError(DocumentError):
    """The file could not be read as text. ``sha256`` is the digest of its bytes where they
    could be read (so the record still carries it), else None."""

    sha256: str | None = None


class EmptyDocument(LoadError):
    """The file has no bytes, or nothing but white space."""


class BinaryDocument(LoadError):
    """The file holds NUL bytes or is not text in any supported encoding."""


class DocumentTooLarge(LoadError):
    """The file is larger than the configured limit."""


class UnreadableDocument(LoadError):
    """The operating system refused to read the file."""


class BackendError(DocumentError):
    """The backend failed for this document after its own retries."""

    def __init__(
        self, message: str, *, source: str | None = None, backend: str | None = None
    ) -> None:
        super().__init__(message, source=source)
        self.backend = backend
        #: Requests and tokens spent on the document before it failed (a ``Usage``), if any.
        self.usage: Usage | None = None


class TransportError(BackendError):
    """The model server could not be reached, or kept refusing, within the retry budget."""


class InvalidAnswer(BackendError):
    """The model gave no answer that passed validation within the allowed re-asks."""


class InternalError(ExtractorError):
    """One of cqc-extract's own invariants broke: a bug, not a user error."""
