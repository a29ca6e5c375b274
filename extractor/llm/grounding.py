"""From a model's answer to events with evidence: locating quotes, judging them, merging parts.

:func:`ground` turns a :class:`~extractor.llm.answer.PageAnswer` into events whose evidence is a
span of the document text (located by :mod:`extractor.llm.align`, never taken from the model),
and lists the *problems* worth sending back to the model:

- a quote that stands nowhere in the text (``quote_not_found``);
- a quote that does not support its value in its role, as the checker judges it
  (:func:`extractor.checker.check_event_values`: ``value_not_in_quote``, ``value_mismatch``,
  ``wrong_role``, ``quote_boundary``), and a review given a rating (``review_rated``).

A value whose quote cannot be found (or that came without one) is kept, without evidence,
with a ``quote_not_found`` issue; a quote found only after folding white space, typographic
characters or case gets a ``quote_normalized`` warning (its evidence holds the text's own
characters); a quote cut with an ellipsis and matched to the whole passage it stands for gets
a ``quote_elided`` warning. Each evidence records how its quote was matched (``match``). A
value the lenient reader could not read (:class:`~extractor.llm.answer.Note`) is null with a
``value_unreadable`` warning that carries what the model wrote. Nothing is dropped silently.

:func:`merge_parts` joins the answers for the parts of a long page (:mod:`extractor.llm.chunking`).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from extractor.checker import check_event_values, check_record, issue
from extractor.llm.align import FoldedText, describe_difference, locate, locate_elided
from extractor.llm.answer import VALUE_FIELDS, EventAnswer, Note, PageAnswer
from extractor.llm.chunking import Chunk
from extractor.records import Event, Evidence, Issue, Rating, Record

#: Checker codes that mean "this value is not supported by its quote": worth a re-ask.
REASK_CODES: Final = frozenset(
    {"value_not_in_quote", "value_mismatch", "wrong_role", "review_rated"}
)
#: The severity of the codes only a model backend gives (the checker's own are in its table).
BACKEND_CODES: Final[dict[str, str]] = {
    "answer_cut_off": "warning",
    "quote_elided": "warning",
    "value_unreadable": "warning",
}


def _short(s: str, n: int = 160) -> str:
    s = " ".join(s.split())
    return s if len(s) <= n else s[: n - 1] + "…"


@dataclass
class Finding:
    """A backend issue not yet tied to a final event index."""

    code: str
    field: str | None
    message: str

    def issue(self, event: int | None) -> Issue:
        severity = BACKEND_CODES.get(self.code)
        if severity is None:
            return issue(self.code, self.message, event=event, field=self.field)
        return Issue(
            code=self.code,
            severity=severity,  # type: ignore[arg-type]
            event=event,
            field=self.field,
            message=self.message,
        )


@dataclass
class GroundedEvent:
    """One event with located evidence, and what went wrong while locating it."""

    event: Event
    findings: list[Finding] = field(default_factory=list)

    def filled(self) -> int:
        """How many values are not null."""
        return sum(getattr(self.event, name) is not None for name in VALUE_FIELDS)


@dataclass
class Grounded:
    """A whole answer, grounded: events, the page's current rating, and problems to re-ask."""

    events: list[GroundedEvent] = field(default_factory=list)
    current_rating: Rating | None = None
    current_rating_evidence: Evidence | None = None
    page_findings: list[Finding] = field(default_factory=list)
    #: Messages for the model; empty when the answer is grounded and supported.
    problems: list[str] = field(default_factory=list)

    def issues(self) -> list[Issue]:
        """The backend's issues, indexed by final event position."""
        out = [f.issue(None) for f in self.page_findings]
        for i, g in enumerate(self.events):
            out.extend(f.issue(i) for f in g.findings)
        return out


def event_blocks(
    starts: Sequence[int], span: tuple[int, int], n_events: int
) -> list[tuple[int, int]] | None:
    """Each answer event's part of ``span``, where the headlines in it match the events one to
    one (as the checker pairs them); else None."""
    inside = [s for s in starts if span[0] <= s < span[1]]
    if not inside or len(inside) != n_events:
        return None
    bounds = [*inside, span[1]]
    return [(bounds[i], bounds[i + 1]) for i in range(n_events)]


def _place(
    text: str,
    folded: FoldedText,
    quote: str,
    prefer: list[tuple[int, int]],
    where: str,
    findings: list[Finding],
    problems: list[str],
    field_name: str,
    value: Any,
    regions: Sequence[tuple[int, int]] = (),
) -> Evidence | None:
    """Locate one quote (cut with an ellipsis: inside one of ``regions``, each event's part
    of the page); note how it was matched, or report a missing one."""
    if not quote.strip():
        findings.append(
            Finding("quote_not_found", field_name, f"the model gave no quote for {field_name}")
        )
        problems.append(
            f"{where}{field_name} = {_fmt(value)} has no quote: set {where}{field_name}_quote to "
            f"the passage of the page that states it, copied exactly, or set {field_name} to null."
        )
        return None
    found = locate(text, quote, prefer=prefer, folded=folded)
    if found is None:
        found = locate_elided(text, quote, regions, folded=folded)
    if found is None:
        findings.append(
            Finding(
                "quote_not_found",
                field_name,
                f"the model's quote for {field_name} is not in the text: {_short(quote)!r}",
            )
        )
        problems.append(
            f"{where}{field_name}_quote is not in the page: {_short(quote)!r}. Copy the passage "
            f"exactly as it stands in the page (same words, punctuation and capitals, no '...'), "
            f"or set {field_name} to null if the page does not state {_fmt(value)}."
        )
        return None
    ev = Evidence(
        quote=text[found.start : found.end], start=found.start, end=found.end, match=found.how
    )
    if found.how == "elided":
        findings.append(
            Finding(
                "quote_elided",
                field_name,
                f"the model's quote for {field_name} was cut with an ellipsis; the evidence is "
                f"the whole passage from its first words to its last ({len(ev.quote)} characters)",
            )
        )
    elif found.how == "normalized":
        findings.append(
            Finding(
                "quote_normalized",
                field_name,
                f"the model's quote for {field_name} differs from the text in "
                f"{describe_difference(quote, ev.quote)}; the evidence holds the text's own "
                "characters",
            )
        )
    return ev


def _fmt(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.date) else repr(value)


def _ground_event(
    answer: EventAnswer,
    index: int,
    text: str,
    folded: FoldedText,
    prefer: list[tuple[int, int]],
    problems: list[str],
    regions: Sequence[tuple[int, int]],
    notes: Sequence[Note] = (),
) -> GroundedEvent:
    findings: list[Finding] = [Finding(n.code, n.field, n.message) for n in notes]
    values: dict[str, Any] = {"kind": answer.kind}
    evidence: dict[str, Evidence] = {}
    for name in VALUE_FIELDS:
        value = getattr(answer, name)
        if value is None:
            continue
        values[name] = value
        quote = getattr(answer, f"{name}_quote") or ""
        ev = _place(
            text,
            folded,
            quote,
            prefer,
            f"events[{index}].",
            findings,
            problems,
            name,
            value,
            regions,
        )
        if ev is not None:
            evidence[name] = ev
    event = Event.model_validate({**values, "evidence": evidence})
    return GroundedEvent(event, findings)


def ground(
    answer: PageAnswer,
    text: str,
    *,
    chunk: Chunk | None = None,
    event_starts: Sequence[int] = (),
    folded: FoldedText | None = None,
) -> Grounded:
    """Locate every quote of ``answer`` in ``text`` and judge every value against its quote.

    ``chunk`` is the part of the text the model read (the whole text when None): quotes are
    preferred there, and inside each event's own part of it when ``event_starts`` (from
    :func:`extractor.reading.layout.find_event_starts`) line up with the answer's events.
    """
    folded = folded if folded is not None and folded.text is text else FoldedText(text)
    span = (chunk.start, chunk.end) if chunk is not None else (0, len(text))
    blocks = event_blocks(event_starts, span, len(answer.events)) or _anchored_blocks(
        answer, text, folded, span
    )
    # An elided quote stands inside one event's part of the page: its own first, then any.
    bounds = sorted({span[0], *(s for s in event_starts if span[0] < s < span[1]), span[1]})
    page_blocks = list(itertools.pairwise(bounds))
    out = Grounded()
    out.page_findings.extend(
        Finding(n.code, n.field, n.message) for n in answer.notes if n.event is None
    )
    for i, ev_answer in enumerate(answer.events):
        prefer = ([blocks[i]] if blocks else []) + [span]
        regions = ([blocks[i]] if blocks else []) + page_blocks
        notes = [n for n in answer.notes if n.event == i]
        out.events.append(
            _ground_event(ev_answer, i, text, folded, prefer, out.problems, regions, notes)
        )
    if answer.current_rating is not None:
        out.current_rating = answer.current_rating
        header_end = blocks[0][0] if blocks else span[1]
        out.current_rating_evidence = _place(
            text,
            folded,
            answer.current_rating_quote or "",
            [(span[0], header_end), span],
            "",
            out.page_findings,
            out.problems,
            "current_rating",
            answer.current_rating,
            page_blocks[:1],
        )
    out.problems.extend(_support_problems(out, answer, text))
    return out


def _anchored_blocks(
    answer: PageAnswer, text: str, folded: FoldedText, span: tuple[int, int]
) -> list[tuple[int, int]] | None:
    """Each event's part of ``span`` from where its own date quote (its headline) stands,
    when the page's headlines could not be paired with the events: usable only when every
    event's date quote is found, in page order."""
    anchors: list[int] = []
    for ev in answer.events:
        found = locate(
            text,
            ev.date_quote or "",
            prefer=[(anchors[-1] if anchors else span[0], span[1])],
            folded=folded,
        )
        if found is None or (anchors and found.start <= anchors[-1]):
            return None
        anchors.append(found.start)
    if not anchors:
        return None
    bounds = [*anchors, span[1]]
    return [(bounds[i], bounds[i + 1]) for i in range(len(anchors))]


def _support_problems(grounded: Grounded, answer: PageAnswer, text: str) -> list[str]:
    """The checker's verdict on each located quote, in words for the model."""
    verdicts: list[Issue] = []
    for i, g in enumerate(grounded.events):
        verdicts.extend(check_event_values(g.event, text, i))
        if g.event.kind == "review":
            verdicts.extend(
                issue("review_rated", "a desk review of data awards no rating", event=i, field=name)
                for name in ("overall_rating", "previous_rating")
                if getattr(g.event, name) is not None
            )
    if grounded.current_rating_evidence is not None:
        page = Record(
            source="<answer>",
            backend="openai",
            current_rating=grounded.current_rating,
            current_rating_evidence=grounded.current_rating_evidence,
        )
        verdicts.extend(i for i in check_record(page, text) if i.field == "current_rating")
    problems = []
    for found in verdicts:
        if found.code not in REASK_CODES:
            continue
        if found.event is None:
            where, quote = "current_rating", answer.current_rating_quote
            value: Any = answer.current_rating
        else:
            where = f"events[{found.event}].{found.field}"
            ev_answer = answer.events[found.event]
            quote = getattr(ev_answer, f"{found.field}_quote", None)
            value = getattr(ev_answer, found.field or "", None)
        if found.code == "review_rated":
            problems.append(
                f"{where} = {_fmt(value)}: events[{found.event}] is a review (a desk review of "
                "data), and a review awards no rating; set it to null, or correct the kind if "
                "the event is an inspection or assessment."
            )
            continue
        problems.append(
            f"{where} = {_fmt(value)} is not supported by its quote {_short(quote or '')!r}: "
            f"{found.message}. Quote the passage that states this value in this role, or set "
            "the value to null if the page does not state it."
        )
    return problems


def feedback(problems: Sequence[str]) -> str:
    """The message that sends grounding problems back to the model."""
    lines = "\n".join(f"- {p}" for p in problems)
    return (
        "Your answer was checked against the page and has these problems:\n"
        f"{lines}\n"
        "Answer again with the complete corrected answer (every event, every field). Every "
        "quote must be copied exactly from the page."
    )


def merge_parts(parts: Sequence[tuple[Chunk, Grounded]]) -> Grounded:
    """Join the grounded answers for the parts of one page, in page order.

    Dated events read twice (the overlap between parts) are one event: the reading with more
    non-null values is kept, in the place of the first. An undated event at the top of a part
    that began inside an event is the rest of the previous part's last event: its values fill
    that event's gaps. Other undated events are kept in order. ``current_rating`` comes from
    the first part that gives one (the page header is in the first part).
    """
    out = Grounded()
    by_key: dict[tuple[str, dt.date], int] = {}
    for n, (chunk, grounded) in enumerate(parts):
        if out.current_rating is None and grounded.current_rating is not None:
            out.current_rating = grounded.current_rating
            out.current_rating_evidence = grounded.current_rating_evidence
            out.page_findings.extend(grounded.page_findings)
        out.problems.extend(grounded.problems)
        for k, g in enumerate(grounded.events):
            date = g.event.date
            if date is None:
                if n > 0 and k == 0 and not chunk.starts_on_event and out.events:
                    _fill(out.events[-1], g)
                else:
                    out.events.append(g)
                continue
            key = (g.event.kind, date)
            if key in by_key:
                i = by_key[key]
                if g.filled() > out.events[i].filled():
                    out.events[i] = g
                continue
            by_key[key] = len(out.events)
            out.events.append(g)
    return out


def _fill(into: GroundedEvent, more: GroundedEvent) -> None:
    """Fill ``into``'s null values (with evidence and findings) from ``more``."""
    updates: dict[str, Any] = {}
    evidence = dict(into.event.evidence)
    for name in VALUE_FIELDS:
        if getattr(into.event, name) is None and getattr(more.event, name) is not None:
            updates[name] = getattr(more.event, name)
            if name in more.event.evidence:
                evidence[name] = more.event.evidence[name]
            into.findings.extend(f for f in more.findings if f.field == name)
    if updates:
        into.event = into.event.model_copy(update={**updates, "evidence": evidence})


__all__ = [
    "BACKEND_CODES",
    "REASK_CODES",
    "Finding",
    "Grounded",
    "GroundedEvent",
    "event_blocks",
    "feedback",
    "ground",
    "merge_parts",
]
