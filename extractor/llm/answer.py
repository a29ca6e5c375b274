"""The answer a model fills in: values with verbatim quotes, never offsets.

The model answers in :class:`PageAnswer`: the page's ``current_rating`` and a list of
:class:`EventAnswer`, each value beside a ``<field>_quote`` holding the passage that states
it. Offsets are computed by us, by locating each quote in the text (:mod:`extractor.llm.grounding`).

What the schema states: kinds and ratings from their closed lists, dates as ``YYYY-MM-DD``,
counts as non-negative integers, a quote beside every value, and an ``events`` list (required:
only an explicit empty list says that a page has no events). Answers are not held to its
letter: :mod:`extractor.llm.lenient` brings what a model writes to these types first, and a
value it cannot read becomes null with a :class:`Note`. A value given without a quote is kept
(grounding asks for the quote); a quote given for a null value is dropped.

:func:`schema_digest` hashes the JSON Schema the model sees; it is part of the cache key, so a
change to the schema never replays an answer given to another one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from functools import cache
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from extractor.backends import Extraction
from extractor.records import EVENT_FIELDS, RATINGS, Kind, Rating

#: The fields of an event that carry a value, each with a ``<field>_quote`` beside it.
VALUE_FIELDS: Final = EVENT_FIELDS

_RATING_BY_LOWER: Final = {r.lower(): r for r in RATINGS}


def _rating(value: Any) -> Any:
    if isinstance(value, str):
        return _RATING_BY_LOWER.get(" ".join(value.split()).lower(), value)
    return value


@dataclass(frozen=True)
class Note:
    """A value of an answer that could not be read and was kept as null.

    ``event`` is the index in the answer's events (None: the page); ``written`` is what the
    model wrote, as JSON; ``expected`` what it should have been, in words."""

    event: int | None
    field: str
    written: str
    expected: str
    #: The issue code it becomes; ``text`` replaces the message when set.
    code: str = "value_unreadable"
    text: str | None = None

    @property
    def message(self) -> str:
        if self.text is not None:
            return self.text
        return (
            f"the model wrote {self.written} for {self.field}, which cannot be read as "
            f"{self.expected}: kept as null"
        )


def _quote_field(what: str) -> Any:
    return Field(
        default=None,
        description=f"The passage of the page that states {what}, copied exactly; null when the value is null.",
    )


class EventAnswer(BaseModel):
    """One inspection, review or assessment, as the model reports it."""

    model_config = ConfigDict(extra="ignore")

    kind: Kind = Field(
        description="review: desk review of data, no visit; assessment: 2023+ single assessment framework; else inspection."
    )
    date: dt.date | None = Field(
        default=None,
        description="The date in the event's headline (first day of a list or range); YYYY-MM-DD.",
    )
    date_quote: str | None = _quote_field("the date (usually the headline)")
    overall_rating: Rating | None = Field(
        default=None,
        description="The overall rating awarded by this event, where its own text states it; not a key question's rating.",
    )
    overall_rating_quote: str | None = _quote_field("the overall rating")
    previous_rating: Rating | None = Field(
        default=None,
        description="The rating from before this event, where this event's text states it.",
    )
    previous_rating_quote: str | None = _quote_field("the previous rating")
    previous_rating_published: dt.date | None = Field(
        default=None,
        description="When the previous report was published, where stated; YYYY-MM-DD.",
    )
    previous_rating_published_quote: str | None = _quote_field("the publication date")
    people_using_service: int | None = Field(
        default=None,
        ge=0,
        description="How many people were using the service at the time of this event; not capacity, not a sample.",
    )
    people_using_service_quote: str | None = _quote_field("the number of people")
    announced: bool | None = Field(
        default=None,
        description="true: announced or notice given; false: unannounced; null: not said, or both.",
    )
    announced_quote: str | None = _quote_field("whether it was announced")

    @field_validator("kind", mode="before")
    @classmethod
    def _kind_case(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("overall_rating", "previous_rating", mode="before")
    @classmethod
    def _rating_case(cls, value: Any) -> Any:
        return _rating(value)

    @model_validator(mode="after")
    def _quotes(self) -> EventAnswer:
        for name in VALUE_FIELDS:
            quote = getattr(self, f"{name}_quote")
            if (quote is not None and not quote.strip()) or getattr(self, name) is None:
                quote = None
            setattr(self, f"{name}_quote", quote)
        return self

    def values(self) -> dict[str, Any]:
        """The values only (dates as ISO strings), as an event's ``values()`` gives them."""
        out: dict[str, Any] = {"kind": self.kind}
        for name in VALUE_FIELDS:
            value = getattr(self, name)
            out[name] = value.isoformat() if isinstance(value, dt.date) else value
        return out


class PageAnswer(BaseModel):
    """Everything the model reports about one page (or one part of a long page)."""

    model_config = ConfigDict(extra="ignore")

    current_rating: Rating | None = Field(
        default=None,
        description="The location's overall rating in the page header ('Overall: Good'); null without such a header.",
    )
    current_rating_quote: str | None = _quote_field("the current rating (the header line)")
    events: list[EventAnswer] = Field(
        description="The inspections, reviews and assessments on the page, in page order; empty when there are none.",
    )
    #: Values that could not be read and were kept as null (set by the lenient reader).
    _notes: list[Note] = PrivateAttr(default_factory=list)

    @property
    def notes(self) -> list[Note]:
        return self._notes

    @notes.setter
    def notes(self, notes: list[Note]) -> None:
        self._notes = list(notes)

    @field_validator("current_rating", mode="before")
    @classmethod
    def _rating_case(cls, value: Any) -> Any:
        return _rating(value)

    @model_validator(mode="after")
    def _quote(self) -> PageAnswer:
        quote = self.current_rating_quote
        if (quote is not None and not quote.strip()) or self.current_rating is None:
            quote = None
        self.current_rating_quote = quote
        return self


@cache
def schema_digest() -> str:
    """sha256 of the JSON Schema of :class:`PageAnswer` (canonical JSON), in hex."""
    schema = PageAnswer.model_json_schema()
    data = json.dumps(schema, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def answer_from_extraction(extraction: Extraction) -> PageAnswer:
    """The answer a model following the prompt would give for ``extraction``'s findings.

    Each value's quote is its evidence's quote. Used to build answers for the stub server
    (tests, recordings, benchmarks) from the rules backend, and to check worked examples.
    """
    events = []
    for event in extraction.events:
        data: dict[str, Any] = {"kind": event.kind}
        for name in VALUE_FIELDS:
            value = getattr(event, name)
            ev = event.evidence.get(name)  # type: ignore[call-overload]
            if value is None or ev is None:
                continue
            data[name] = value
            data[f"{name}_quote"] = ev.quote
        events.append(EventAnswer.model_validate(data))
    current = extraction.current_rating
    quote = extraction.current_rating_evidence
    return PageAnswer(
        current_rating=current if quote is not None else None,
        current_rating_quote=quote.quote if quote is not None and current is not None else None,
        events=events,
    )


__all__ = [
    "VALUE_FIELDS",
    "EventAnswer",
    "Note",
    "PageAnswer",
    "answer_from_extraction",
    "schema_digest",
]
