"""The one backend interface, and the table that picks an implementation by name.

Every backend turns a :class:`~extractor.document.Document` into an :class:`Extraction`:
the page's current rating and its events, each value with evidence located in the document
text. The checker then runs over the record as it stands, whoever produced it.
"""

from __future__ import annotations

import abc
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from extractor.document import Document
from extractor.errors import ConfigurationError, UsageError
from extractor.records import SCHEMA_VERSION, Event, Evidence, Issue, Rating, Record, Usage

_O = TypeVar("_O", bound=BaseModel)


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
    #: The checker's issues for this extraction of this document, when a cache already knows
    #: what the same checker found (see :mod:`extractor.llm.cache`): the pipeline then does
    #: not run it again. None: the pipeline runs the checker.
    checked: list[Issue] | None = field(default=None, compare=False)
    #: Called by the pipeline with what the checker found, so that a cache can keep it.
    on_checked: Callable[[list[Issue]], None] | None = field(
        default=None, compare=False, repr=False
    )
    #: For a cache hit (``usage`` then zero): what the stored answer cost when it was made.
    cached_usage: Usage | None = None


class NoOptions(BaseModel):
    """The options of a backend that takes none: any name given is an error."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def parse_options(options_type: type[_O], backend: str, **options: Any) -> _O:
    """``options`` validated as ``options_type`` (a pydantic model that forbids unknown names);
    a bad name or value is a :class:`ConfigurationError` naming it and the backend."""
    try:
        return options_type(**options)
    except ValidationError as err:
        problems = []
        for e in err.errors():
            where = ".".join(str(p) for p in e["loc"]) or "options"
            if e["type"] == "extra_forbidden":
                problems.append(f"{where}: not an option of this backend")
            else:
                problems.append(f"{where}: {e['msg']}")
        hint = ""
        if options_type is NoOptions:
            hint = " (it takes none; model options such as model or base_url need backend openai)"
        raise ConfigurationError(
            f"invalid option for the {backend} backend: {'; '.join(problems)}{hint}"
        ) from err


class Backend(abc.ABC):
    """One way of extracting events. Implementations: ``rules`` and ``openai``.

    A backend declares its options as a pydantic model (:attr:`Options`, forbidding unknown
    names) and checks them when it is made, with :meth:`parse_options`.
    """

    #: The name users pass to ``--backend``.
    name: ClassVar[str]
    #: The options this backend takes.
    Options: ClassVar[type[BaseModel]] = NoOptions

    @classmethod
    def parse_options(cls, **options: Any) -> Any:
        """``options`` validated as :attr:`Options` (:class:`ConfigurationError` otherwise)."""
        return parse_options(cls.Options, cls.name, **options)

    @abc.abstractmethod
    def extract(self, doc: Document) -> Extraction:
        """Extract the events of one document. Raises :class:`~extractor.errors.DocumentError`."""

    async def aextract(self, doc: Document) -> Extraction:
        """Async form; backends that do I/O override it. The default runs :meth:`extract`."""
        return self.extract(doc)

    @property
    def waits_on_io(self) -> bool:
        """True for a backend that overrides :meth:`aextract` (it waits on a server): runs
        then process several documents at once by default."""
        return type(self).aextract is not Backend.aextract

    @property
    def requested_model(self) -> str | None:
        """The model this backend asks for (its ``model`` attribute; None without one)."""
        model = getattr(self, "model", None)
        return model if isinstance(model, str) else None

    @property
    def prompt_id(self) -> str | None:
        """The id (``name@hash``) of the prompt this backend sends (its ``prompt.id``)."""
        prompt_id = getattr(getattr(self, "prompt", None), "id", None)
        return prompt_id if isinstance(prompt_id, str) else None

    def made(self, record: Record) -> bool:
        """True when ``record`` is what this backend, as configured now, makes: the same
        backend name, prompt and record schema version, and the model asked for (the record
        names the model the server reported: the same name, or one that extends it, such as
        ``gpt-4o-mini-2024-07-18`` for ``gpt-4o-mini`` or ``llama3.1:latest``). ``--resume``
        redoes a document whose record fails this."""
        return (
            record.backend == self.name
            and record.schema_version == SCHEMA_VERSION
            and record.prompt == self.prompt_id
            and model_matches(record.model, self.requested_model)
        )

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections and files."""

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def model_matches(reported: str | None, requested: str | None) -> bool:
    """True when a record's ``model`` (what the server reported) is the model asked for:
    the same name, or the name followed by ``-``, ``:`` or ``@`` and more (a dated snapshot,
    a tag)."""
    if reported is None or requested is None:
        return reported == requested
    return reported == requested or reported.startswith(
        (f"{requested}-", f"{requested}:", f"{requested}@")
    )


BackendFactory = Callable[..., Backend]

#: The built-in backends, as "module:Class", imported on first use (so that users of the rules
#: backend never import openai or instructor).
BUILTIN_BACKENDS: dict[str, str] = {
    "rules": "extractor.rules:RulesBackend",
    "openai": "extractor.llm.online:OpenAIBackend",
}
_REGISTRY: dict[str, BackendFactory | str] = dict(BUILTIN_BACKENDS)


def register_backend(name: str, factory: BackendFactory | str) -> None:
    """Make a backend available under ``name``: a factory (a Backend class, or a callable that
    takes the options), or its "module:Class" path, imported on first use."""
    _REGISTRY[name] = factory


def backend_names() -> list[str]:
    return sorted(_REGISTRY)


def backend_option_names(name: str) -> set[str] | None:
    """The option names the backend called ``name`` declares, or None when it is not a
    :class:`Backend` class (a factory function) or not known."""
    factory = _REGISTRY.get(name)
    if isinstance(factory, str):
        factory = _REGISTRY[name] = _resolve(factory)
    if isinstance(factory, type) and issubclass(factory, Backend):
        return set(factory.Options.model_fields)
    return None


def _resolve(path: str) -> BackendFactory:
    module, _, attr = path.partition(":")
    factory: BackendFactory = getattr(importlib.import_module(module), attr)
    return factory


def get_backend(name: str, **options: Any) -> Backend:
    """Build the backend called ``name`` with its options. Unknown names are a usage error;
    options the backend does not take are a :class:`ConfigurationError` (also a usage error)."""
    try:
        factory = _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise UsageError(f"unknown backend {name!r} (known: {known})") from None
    if isinstance(factory, str):
        factory = _REGISTRY[name] = _resolve(factory)
    return factory(**options)


__all__ = [
    "BUILTIN_BACKENDS",
    "Backend",
    "BackendFactory",
    "Extraction",
    "NoOptions",
    "backend_names",
    "backend_option_names",
    "get_backend",
    "model_matches",
    "parse_options",
    "register_backend",
]
