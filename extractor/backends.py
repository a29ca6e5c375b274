"""The one backend interface, and the table that picks an implementation by name.

Every backend turns a :class:`~extractor.document.Document` into an :class:`Extraction`:
the page's current rating and its events, each value with evidence located in the document
text. The checker then runs over the record as it stands, whoever produced it.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .document import Document
from .errors import UsageError
from .models import Event, Evidence, Issue, Rating, Usage


@dataclass
class Extraction:
    """What a backend returns for one document."""

    events: list[Event] = field(default_factory=list)
    current_rating: Rating | None = None
    current_rating_evidence: Evidence | None = None
    #: The model the server reported (None for rules).
    model: str | None = None
    #: Prompt template name and content hash, e.g. ``extract@3f2a9c1d`` (None for rules).
    prompt: str | None = None
    usage: Usage = field(default_factory=Usage)
    #: Problems the backend met while grounding values (e.g. a quote it could not find).
    issues: list[Issue] = field(default_factory=list)
    cached: bool = False


class Backend(abc.ABC):
    """One way of extracting events. Implementations: ``rules`` and ``openai``."""

    #: The name users pass to ``--backend``.
    name: ClassVar[str]

    @abc.abstractmethod
    def extract(self, doc: Document) -> Extraction:
        """Extract the events of one document. Raises :class:`~extractor.errors.DocumentError`."""

    async def aextract(self, doc: Document) -> Extraction:
        """Async form; backends that do I/O override it. The default runs :meth:`extract`."""
        return self.extract(doc)

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections and files."""

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


BackendFactory = Callable[..., Backend]
_REGISTRY: dict[str, BackendFactory] = {}


def register_backend(name: str, factory: BackendFactory) -> None:
    """Make a backend available under ``name`` (used by the built-ins and by tests)."""
    _REGISTRY[name] = factory


def backend_names() -> list[str]:
    _load_builtins()
    return sorted(_REGISTRY)


def get_backend(name: str, **options: Any) -> Backend:
    """Build the backend called ``name`` with its options. Unknown names are a usage error."""
    _load_builtins()
    try:
        factory = _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise UsageError(f"unknown backend {name!r} (known: {known})") from None
    return factory(**options)


def _load_builtins() -> None:
    if "rules" not in _REGISTRY:
        from .rules import RulesBackend

        register_backend("rules", RulesBackend)
    if "openai" not in _REGISTRY:

        def openai_backend(**options: Any) -> Backend:
            # Imported on first use, so that rules users never import openai or instructor.
            from .openai_backend import OpenAIBackend

            return OpenAIBackend(**options)

        register_backend("openai", openai_backend)
