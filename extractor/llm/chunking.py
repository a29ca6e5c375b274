"""Splitting a long page into overlapping parts a model can read, on event boundaries.

A chunk is a half-open span ``[start, end)`` of the document text; it keeps where it came
from, so everything found in it is located in the *whole* text (see
:mod:`extractor.llm.align`) and offsets never need shifting.

How a page longer than ``max_chars`` is cut:

1. A chunk ends at the last event start (:func:`extractor.reading.layout.find_event_starts`) that
   fits, so events are read whole; where no event start fits (one huge event), at the last
   paragraph break, then line break, then space; a hard cut only as a last resort. A chunk
   is never shorter than half of ``max_chars`` unless the text ends.
2. Where the cut fell on an event start, the next chunk starts right there: every event is
   read whole, once, and no overlap is needed. Where it fell inside an event, the next chunk
   starts up to ``overlap`` characters earlier: on that event's start if it lies in the
   window (so the event is read again with its headline), else on a paragraph break.

Events read twice are merged afterwards by kind and date (see
:mod:`extractor.llm.online`).

Boundary cases: a text of exactly ``max_chars`` is one chunk; a text with no event starts and
no breaks at all is cut hard every ``max_chars`` characters, without overlap; an event start
at the very beginning of a chunk is not a cut point (the chunk would be empty).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from extractor.reading.layout import find_event_starts

_PARAGRAPH: Final = re.compile(r"\n[ \t]*\n\s*")
_LINE: Final = re.compile(r"\n\s*")
_SPACE: Final = re.compile(r"\s+")


@dataclass(frozen=True)
class Chunk:
    """One part of a document: ``text[start:end]``, the ``index``-th of ``count``."""

    start: int
    end: int
    index: int
    count: int
    #: Whether the chunk begins where an event begins (or at the top of the page).
    starts_on_event: bool = True


def _breaks(pattern: re.Pattern[str], text: str) -> list[int]:
    """Positions just after each match: where a new paragraph (line, word) begins."""
    return [m.end() for m in pattern.finditer(text)]


def _last_in(points: list[int], lo: int, hi: int) -> int | None:
    """The largest point with ``lo < p <= hi``."""
    best = None
    for p in points:
        if lo < p <= hi:
            best = p
        elif p > hi:
            break
    return best


def plan_chunks(text: str, max_chars: int, overlap: int = 0) -> list[Chunk]:
    """The chunks a text is read in: one when it fits in ``max_chars``."""
    if max_chars <= 0:
        raise ValueError(f"max_chars must be positive, got {max_chars}")
    if not 0 <= overlap < max_chars // 2:
        raise ValueError(f"overlap must be between 0 and max_chars / 2, got {overlap}")
    n = len(text)
    if n <= max_chars:
        return [Chunk(0, n, 0, 1)]
    event_set = {s.start for s in find_event_starts(text)}
    events = sorted(event_set)
    tiers = [events, _breaks(_PARAGRAPH, text), _breaks(_LINE, text), _breaks(_SPACE, text)]
    spans: list[tuple[int, int, bool]] = []
    pos, on_event = 0, True
    while True:
        if n - pos <= max_chars:
            spans.append((pos, n, on_event))
            break
        limit = pos + max_chars
        floor = pos + max_chars // 2
        cut = next((c for t in tiers if (c := _last_in(t, floor, limit)) is not None), limit)
        spans.append((pos, cut, on_event))
        nxt = None
        if overlap:
            nxt = _last_in(events, cut - overlap - 1, cut)
            if nxt is None:  # the paragraph break before the cut, not the cut itself
                nxt = _last_in(tiers[1], cut - overlap - 1, cut - 1)
        pos = cut if nxt is None else nxt
        on_event = pos in event_set
    return [Chunk(s, e, i, len(spans), ev) for i, (s, e, ev) in enumerate(spans)]


__all__ = ["Chunk", "plan_chunks"]
