"""The prompt: templates in ``prompts/`` (packaged as ``extractor.prompts``), rendered safely.

A prompt is a *set* of files sharing a name: ``<name>.system.j2`` and ``<name>.user.j2`` are
Jinja templates; ``<name>.example_page.j2`` and ``<name>.example_answer.j2`` hold the worked
example as plain text (``.j2`` only so that they are packaged with the templates: they are
read, never rendered). The prompt's identity, ``"<name>@<8 hex>"``, is a hash over every file
of the set, so any edit to the wording or the example changes it; it goes into each record's
``prompt`` and into the cache key.

Rendering uses Jinja's sandbox with :class:`jinja2.StrictUndefined` (a misspelt variable is
an error, not an empty string). The document text is passed as a *variable*: Jinja never
parses it, so a page containing ``{{`` or ``{%`` is sent as it is.
"""

from __future__ import annotations

import hashlib
import importlib.resources
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Final

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from extractor.errors import InternalError

PROMPT_PACKAGE: Final = "extractor.prompts"
DEFAULT_PROMPT: Final = "extract"
_PARTS: Final = ("system", "user", "example_page", "example_answer")
DOCUMENT_OPEN: Final = "<document>\n"
DOCUMENT_CLOSE: Final = "\n</document>"

Message = dict[str, Any]


def _read(name: str) -> str:
    try:
        return importlib.resources.files(PROMPT_PACKAGE).joinpath(name).read_text("utf-8")
    except (FileNotFoundError, OSError) as err:
        raise InternalError(f"prompt file {name!r} is missing from {PROMPT_PACKAGE}") from err


@dataclass(frozen=True)
class Prompt:
    """One prompt set, loaded: render it with :meth:`messages`."""

    name: str
    sources: dict[str, str] = field(repr=False)

    @classmethod
    def load(cls, name: str = DEFAULT_PROMPT) -> Prompt:
        """Read the files of prompt set ``name`` from the package."""
        return cls(name, {part: _read(f"{name}.{part}.j2") for part in _PARTS})

    @cached_property
    def digest(self) -> str:
        """sha256 over every file of the set (name and content), in hex."""
        h = hashlib.sha256()
        for part in _PARTS:
            data = self.sources[part].encode("utf-8")
            h.update(f"{self.name}.{part}.j2\0{len(data)}\0".encode())
            h.update(data)
        return h.hexdigest()

    @property
    def id(self) -> str:
        """``"<name>@<first 8 hex of the digest>"``, as recorded in each record's ``prompt``."""
        return f"{self.name}@{self.digest[:8]}"

    @cached_property
    def _templates(self) -> tuple[jinja2.Template, jinja2.Template]:
        """The system and user templates, compiled once."""
        env = SandboxedEnvironment(
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            keep_trailing_newline=False,
            loader=jinja2.DictLoader({p: self.sources[p] for p in ("system", "user")}),
        )
        try:
            return env.get_template("system"), env.get_template("user")
        except jinja2.TemplateError as err:
            raise InternalError(f"prompt {self.id} does not compile: {err}") from err

    def messages(self, document: str, *, part: int = 1, parts: int = 1) -> list[Message]:
        """The chat messages for one document (or one ``part`` of ``parts`` of it)."""
        system_t, user_t = self._templates
        try:
            system = system_t.render(
                example_page=self.sources["example_page"],
                example_answer=self.sources["example_answer"],
            )
            user = user_t.render(document=document, part=part, parts=parts)
        except jinja2.TemplateError as err:
            raise InternalError(f"prompt {self.id} does not render: {err}") from err
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def document_in(user_message: str) -> str | None:
    """The document text inside a rendered user message (for stub servers and tests)."""
    start = user_message.find(DOCUMENT_OPEN)
    end = user_message.rfind(DOCUMENT_CLOSE)
    if start < 0 or end < start + len(DOCUMENT_OPEN):
        return None
    return user_message[start + len(DOCUMENT_OPEN) : end]


def document_in_messages(messages: Any) -> str | None:
    """The document text of a chat request's messages: the first user message that carries
    one (re-asks append later user messages of their own)."""
    if not isinstance(messages, list):
        return None
    for message in messages:
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            found = document_in(content) if isinstance(content, str) else None
            if found is not None:
                return found
    return None


__all__ = ["DEFAULT_PROMPT", "Message", "Prompt", "document_in", "document_in_messages"]
