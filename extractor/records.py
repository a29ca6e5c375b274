"""The output record, its events and their evidence (schema version 1).

Offsets convention, stated once: every :class:`Evidence` is a half-open interval
``[start, end)`` of Python ``str`` indices (code points) into the document text *as loaded*
(decoded, and for HTML the visible text; see :mod:`extractor.loading`). The invariant
``text[start:end] == quote`` is checked where evidence is made (:func:`Evidence.locate`) and
again by the checker on any record, whoever produced it.

Run ``python -m extractor.records`` to print the JSON Schema that ``schemas/`` holds.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any, Final, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

SCHEMA_VERSION: Final = 1

Rating = Literal["Outstanding", "Good", "Requires improvement", "Inadequate"]
Kind = Literal["inspection", "review", "assessment"]
FieldName = Literal[
    "date",
    "overall_rating",
    "previous_rating",
    "previous_rating_published",
    "people_using_service",
    "announced",
]
Severity = Literal["error", "warning"]
#: How a model's quote was matched to the text: as it stands, after folding white space,
#: quote marks, dashes and letter case, or cut with an ellipsis and matched to the whole
#: passage it stands for.
Match = Literal["exact", "normalized", "elided"]

RATINGS: tuple[str, ...] = get_args(Rating)
KINDS: tuple[str, ...] = get_args(Kind)
#: The event fields that carry a value (and so need evidence), in record order.
EVENT_FIELDS: tuple[str, ...] = get_args(FieldName)


class Evidence(BaseModel):
    """A verbatim passage of the document: ``text[start:end] == quote``.

    ``match`` says how a model's quote was matched to the passage (absent for evidence the
    rules found in the text themselves): ``exact``, ``normalized`` (white space, quote marks,
    dashes or letter case differ), ``elided`` (the model cut the quote with "..."; the
    evidence is the whole passage from its first words to its last)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    quote: str = Field(min_length=1)
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    match: Match | None = Field(
        default=None,
        description="How a model's quote was matched: exact, normalized (spacing, quote marks, "
        "dashes, letter case) or elided (cut with an ellipsis, matched to the whole passage). "
        "Absent when the backend found the passage itself.",
        exclude_if=lambda v: v is None,
    )

    @model_validator(mode="after")
    def _interval(self) -> Evidence:
        if self.end < self.start:
            raise ValueError(f"evidence end {self.end} is before its start {self.start}")
        return self

    @classmethod
    def at(cls, text: str, start: int, end: int) -> Evidence:
        """Evidence for ``text[start:end]`` (trimmed of surrounding white space)."""
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        return cls(quote=text[start:end], start=start, end=end)

    def holds_in(self, text: str) -> bool:
        """The slice-back invariant."""
        return self.end <= len(text) and text[self.start : self.end] == self.quote


class Event(BaseModel):
    """One inspection, review or assessment described on the page."""

    model_config = ConfigDict(extra="forbid")

    kind: Kind
    date: dt.date | None = None
    overall_rating: Rating | None = None
    previous_rating: Rating | None = None
    previous_rating_published: dt.date | None = None
    people_using_service: Annotated[int, Field(ge=0)] | None = None
    announced: bool | None = None
    evidence: dict[FieldName, Evidence] = Field(default_factory=dict)

    def values(self) -> dict[str, Any]:
        """The annotated fields (gold's view of the event), dates as ISO strings."""
        out: dict[str, Any] = {"kind": self.kind}
        for name in EVENT_FIELDS:
            value = getattr(self, name)
            out[name] = value.isoformat() if isinstance(value, dt.date) else value
        return out


class Issue(BaseModel):
    """One finding of the checker (or of a backend that could not ground a value)."""

    model_config = ConfigDict(extra="forbid")

    code: str
    severity: Severity
    event: int | None = None
    field: str | None = None
    message: str


class ErrorInfo(BaseModel):
    """Why a document could not be processed."""

    model_config = ConfigDict(extra="forbid")

    type: str
    message: str


class Usage(BaseModel):
    """Requests and tokens spent on one document, over every attempt."""

    model_config = ConfigDict(extra="forbid")

    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            requests=self.requests + other.requests,
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
        )


class Record(BaseModel):
    """One line of the output JSONL: everything extracted from one input document.

    ``usage`` is what this run spent on the document; on a cache hit that is nothing, and
    ``cached_usage`` (absent otherwise) is what the stored answer cost when it was made."""

    model_config = ConfigDict(extra="forbid")

    source: str
    sha256: str | None = None
    backend: str
    model: str | None = None
    prompt: str | None = None
    schema_version: Literal[1] = SCHEMA_VERSION
    current_rating: Rating | None = None
    current_rating_evidence: Evidence | None = None
    events: list[Event] = Field(default_factory=list)
    issues: list[Issue] = Field(default_factory=list)
    error: ErrorInfo | None = None
    usage: Usage = Field(default_factory=Usage)
    cached: bool = False
    cached_usage: Usage | None = Field(
        default=None,
        description="For a record served from the cache: what the stored answer cost when it "
        "was made (usage is then zero). Absent otherwise.",
        exclude_if=lambda v: v is None,
    )

    def to_json(self) -> str:
        """One JSONL line (without the newline)."""
        return self.model_dump_json()

    @classmethod
    def from_json(cls, line: str) -> Record:
        return cls.model_validate_json(line)


class GoldEvent(BaseModel):
    """An event as annotated by a person (``shared/docs/annotation.md``): no evidence."""

    model_config = ConfigDict(extra="ignore")

    kind: Kind
    date: dt.date | None = None
    overall_rating: Rating | None = None
    previous_rating: Rating | None = None
    previous_rating_published: dt.date | None = None
    people_using_service: int | None = None
    announced: bool | None = None


class Gold(BaseModel):
    """One gold file."""

    model_config = ConfigDict(extra="ignore")

    source: str
    current_rating: Rating | None = None
    events: list[GoldEvent] = Field(default_factory=list)
    notes: str | None = None


def record_json_schema() -> dict[str, Any]:
    """The JSON Schema of one output record, as kept in ``schemas/record.schema.json``."""
    schema = Record.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://cqc-extract.invalid/schemas/record-v{SCHEMA_VERSION}.json"
    return schema


def render_json_schema() -> str:
    return json.dumps(record_json_schema(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":  # pragma: no cover - `make schema`
    print(render_json_schema(), end="")
