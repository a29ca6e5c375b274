"""A loaded document: its bytes' digest and the text that every offset refers to."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Document:
    """One input document, decoded.

    ``text`` is the text as loaded: for a text file its decoded content (BOM removed,
    line endings kept as they are), for an HTML page its visible text. All evidence offsets
    index into ``text``.
    """

    source: str
    text: str
    sha256: str
    encoding: str = "utf-8"
    media_type: str = "text/plain"
    size: int = field(default=0, compare=False)

    @classmethod
    def from_text(cls, text: str, source: str = "<text>") -> Document:
        """A document built from a string (for library use and tests)."""
        data = text.encode("utf-8")
        return cls(
            source=source, text=text, sha256=hashlib.sha256(data).hexdigest(), size=len(data)
        )
