"""cqc-extract: CQC inspection report pages into structured, evidence-checked data.

The library behind the ``cqc-extract`` command line::

    from extractor import RulesBackend, extract_document

    record = extract_document("seeds/000_5a6e1a8d91a200b5.txt", RulesBackend())
    for event in record.events:
        print(event.kind, event.date, event.overall_rating, event.evidence["date"].quote)
"""

from __future__ import annotations

from extractor.backends import Backend, Extraction, backend_names, get_backend, register_backend
from extractor.checker import CODES, check_record, has_errors
from extractor.document import Document
from extractor.errors import (
    BackendError,
    BinaryDocument,
    ConfigurationError,
    DocumentError,
    DocumentTooLarge,
    EmptyDocument,
    ExtractorError,
    InternalError,
    InvalidAnswer,
    LoadError,
    TransportError,
    UnreadableDocument,
    UsageError,
)
from extractor.evaluation import compare, evaluate, load_gold_dir, load_records
from extractor.loading import html_to_text, iter_input_paths, load_document, read_text
from extractor.pipeline import aextract_document, extract_document, run_extraction
from extractor.records import (
    SCHEMA_VERSION,
    ErrorInfo,
    Event,
    Evidence,
    Gold,
    Issue,
    Record,
    Usage,
    record_json_schema,
)
from extractor.rules import RulesBackend
from extractor.version import __version__

#: Names imported on first use, so that users of the rules backend never import openai.
_LAZY = {
    "OpenAIBackend": "llm.online",
    "OpenAIOptions": "llm.online",
    "ResultCache": "llm.cache",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CODES",
    "SCHEMA_VERSION",
    "Backend",
    "BackendError",
    "BinaryDocument",
    "ConfigurationError",
    "Document",
    "DocumentError",
    "DocumentTooLarge",
    "EmptyDocument",
    "ErrorInfo",
    "Event",
    "Evidence",
    "Extraction",
    "ExtractorError",
    "Gold",
    "InternalError",
    "InvalidAnswer",
    "Issue",
    "LoadError",
    "OpenAIBackend",
    "OpenAIOptions",
    "Record",
    "ResultCache",
    "RulesBackend",
    "TransportError",
    "UnreadableDocument",
    "Usage",
    "UsageError",
    "__version__",
    "aextract_document",
    "backend_names",
    "check_record",
    "compare",
    "evaluate",
    "extract_document",
    "get_backend",
    "has_errors",
    "html_to_text",
    "iter_input_paths",
    "load_document",
    "load_gold_dir",
    "load_records",
    "read_text",
    "record_json_schema",
    "register_backend",
    "run_extraction",
]
