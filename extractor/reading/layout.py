"""The layout of a report page, with no backend in it: sentences, event headlines, event starts.

Shared by every reader of a page: the rules backend, the checker, and the model path (which cuts
long pages at event starts and ties a model's events to them).

* :func:`split_sentences` cuts a stretch of text into sentences (hard-wrapped lines joined).
* :func:`find_event_starts` finds where each event begins: "Inspection carried out on <date>",
  "Review carried out on <date>", "Report from <date> assessment", a bare date line followed by a
  "During ..." line, or a "During ..." line whose headline was cut off.
* :data:`DATE_LABEL` is a label that introduces an event's date ("Date of inspection:").
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import re
from dataclasses import dataclass

from extractor.reading.readers import read_event_date
from extractor.reading.values import iter_dates
from extractor.records import Kind

# --- sentences ---------------------------------------------------------------------------------

# A sentence ends at ". " before a capital; a line ends one too, except where the text was
# hard-wrapped: a single line break inside a sentence, before a lower-case word or a number
# ("We gave the service 48\nhours' notice"), joins the two lines.
_LINE_BREAK = re.compile(r"\s*\n\s*")
#: Inside a line: ". " (or "." straight before a capital) ends a sentence, after any closing
#: quotes; " | " separates cells of a flattened table.
_IN_LINE = re.compile(
    r"[.!?](?P<sep>[\"'’”)\]]*(?:[ \t]+|(?=[A-Z‘“(•]))(?=[\"'‘“(•\-–A-Z0-9]))|[ \t]+\|[ \t]+"
)
_CONTINUES = frozenset("abcdefghijklmnopqrstuvwxyz0123456789£(")
_WRAPPED_LINE = 60


def _breaks_sentence(text: str, a: int, b: int, start: int, end: int) -> bool:
    """Whether the white space ``text[a:b]`` (holding a line break) ends a sentence."""
    if text.count("\n", a, b) >= 2:  # a blank line
        return True
    if a > start and text[a - 1] in ".!?:;":
        return True
    if b >= end:
        return True
    if text[b] in _CONTINUES:
        return False
    # A long line cut mid-sentence before a capital ("published 24\nSeptember 2018") is a
    # wrapped line too; a short one is a heading.
    line_start = text.rfind("\n", start, a) + 1
    return not (a - line_start >= _WRAPPED_LINE and text[b].isalpha())


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence spans of ``text[start:end]``: lines, split further at sentence ends."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    pos = start

    def in_line(s: int, e: int) -> None:
        for m in _IN_LINE.finditer(text, s, e):
            cut = m.start("sep") if m.group("sep") is not None else m.start()
            if cut > s:
                spans.append((s, cut))
            s = m.end()
        if s < e:
            spans.append((s, e))

    for m in _LINE_BREAK.finditer(text, start, end):
        if _breaks_sentence(text, m.start(), m.end(), start, end):
            in_line(pos, m.start())
            pos = m.end()
    in_line(pos, end)
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return out


# --- events ------------------------------------------------------------------------------------

_DATE_WORDS = r"[\w ,&–\-/]+?"
HEADLINE_RE = re.compile(
    rf"^[ \t]*(?P<kind>Inspection|Review|Assessment|Focused inspection|Responsive inspection)"
    rf"\s+carried\s+out\s+on\s+(?P<date>{_DATE_WORDS})[ \t]*$",
    re.I | re.M,
)
#: A provider page's list of service reports, one line each: "Inspection carried out on 6 Mar to
#: 18 Apr 2018 During an inspection of Community health inpatient services Download report PDF".
INLINE_HEADLINE_RE = re.compile(
    r"^[ \t]*(?P<kind>Inspection|Review|Assessment)\s+carried\s+out\s+on\s+(?P<date>[^\n]{4,90}?)[ \t]+"
    r"During\s+an?\s+(?P<what>[^\n]*?)[ \t]*$",
    re.I | re.M,
)
REPORT_FROM_RE = re.compile(
    rf"^[ \t\-•]*Report\s+from\s+(?P<date>{_DATE_WORDS})\s+assessment[ \t]*$", re.I | re.M
)
# Older (CSCI-era) headlines: "Key Unannounced Inspection 3rd April 2008 09:30" (the date may
# stand on the next line), "Inspection on 14/10/08 for Rotherlea", "Annual Service Review 11/03/2009".
OLD_HEADLINE_RE = re.compile(
    r"^[ \t]*(?:(?:Key|Random|Thematic|Unannounced|Announced|Full|Follow[\s-]?up)\s+){0,3}"
    r"(?P<kind>Inspection|(?:Annual\s+)?(?:Service\s+)?Review)[ \t]*(?:on[ \t]+)?(?:\n[ \t]*)?"
    r"(?P<date>[\w ,&–\-/]{4,60}?)(?:[ \t]+\d\d?[:.]\d\d)?(?:[ \t]+for[ \t]+[^\n]+)?[ \t]*$",
    re.I | re.M,
)
DURING_RE = re.compile(
    r"^[ \t]*During\s+(?:a|an)\s+(?P<what>(?:[\w-]+\s+){0,3}?"
    r"(?:inspection|assessment|(?:monthly\s+|annual\s+|desk[\s-]?based\s+)?review)\b[^\n.]{0,120})"
    r"[ \t]*$",
    re.I | re.M,
)
_HEADLINE_WORDS = ("inspection", "review", "assessment", "focused", "responsive")
BARE_DATE_LINE_RE = re.compile(
    r"^[ \t]*(?P<date>(?:(?:Mon|Tues?|Wed(?:nes)?|Thu(?:rs)?|Fri|Sat(?:ur)?|Sun)(?:day)?\.?,?\s+)?"
    r"[0-3]?\d[^\n]{3,150}?(?:19|20)\d\d)[ \t]*$",
    re.M | re.I,
)
_WEEKDAY_START = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class EventStart:
    """Where one event's block begins, its kind, and its headline date and span (if any)."""

    start: int  # where the event's block begins
    kind: Kind
    date: tuple[dt.date, int, int] | None  # headline date and the headline's span
    headline: tuple[int, int] | None


def kind_of(words: str) -> Kind:
    w = words.lower()
    if "review" in w and "inspection" not in w:
        return "review"
    if "assessment" in w:
        return "assessment"
    return "inspection"


def line_date(text: str, start: int, end: int) -> tuple[dt.date, int, int] | None:
    """A line that is nothing but a date (or list or range of dates; or several dates, one
    after another: "6/9/2022, 30/01/2023"), with its first day and the span of the date that
    gives it: the line from that date on, or that date alone where others follow it (a
    leading weekday, "Tuesday 01 - ...", is left out)."""
    dates = list(iter_dates(text, start, end))
    if not dates:
        return None
    d = dates[0]
    lead = text[start : d.start].strip()
    if lead and not lead.lower().startswith(_WEEKDAY_START):
        return None
    for before, after in itertools.pairwise(dates):  # only separators between the dates
        if text[before.end : after.start].strip(" \t,;&").lower() not in ("", "and", "to"):
            return None
    if text[dates[-1].end : end].strip(" \t.,"):
        return None
    return d.first, d.start, end if len(dates) == 1 else d.end


def _next_line(text: str, pos: int) -> tuple[int, int] | None:
    """The next non-blank line starting at or after ``pos``."""
    n = len(text)
    while pos < n:
        end = text.find("\n", pos)
        end = n if end < 0 else end
        if text[pos:end].strip():
            return pos, end
        pos = end + 1
    return None


def find_event_starts(text: str) -> list[EventStart]:
    """Where each event begins (see the module docstring), in page order."""
    return list(_event_starts(text))


@functools.lru_cache(maxsize=16)
def _event_starts(text: str) -> tuple[EventStart, ...]:
    # Cached: the backend and then the checker ask for the same page in turn.
    return tuple(_find_event_starts(text))


def _find_event_starts(text: str) -> list[EventStart]:
    # Line patterns end at "$"; a carriage return (Windows line ends) becomes a space, which
    # keeps every offset.
    text = text.replace("\r", " ")
    starts: list[EventStart] = []
    claimed: set[int] = set()  # During lines already tied to a headline

    def add_headline(
        line_start: int, line_end: int, kind: Kind | None, span: tuple[int, int] | None = None
    ) -> None:
        d = read_event_date(text[line_start:line_end])
        span = span or (line_start, line_end)
        date = (d[0], *span) if d else None
        nxt = _next_line(text, line_end)
        during = DURING_RE.match(text, nxt[0]) if nxt else None
        if during and nxt and during.end() <= nxt[1] + 1:
            claimed.add(during.start())
            kind = kind or kind_of(during.group("what"))
        starts.append(EventStart(line_start, kind or "inspection", date, span))

    # One pass over the lines; a cheap test of a line's first word picks the pattern to try.
    during_lines: list[re.Match[str]] = []
    pos, n = 0, len(text)
    while pos < n:
        end = text.find("\n", pos)
        end = n if end < 0 else end
        first = text[pos : min(end, pos + 40)].lstrip(" \t-•").lower()
        if first.startswith(_HEADLINE_WORDS):
            if m := HEADLINE_RE.match(text, pos, end):
                add_headline(m.start(), m.end(), kind_of(m.group("kind")))
            elif (m := INLINE_HEADLINE_RE.match(text, pos, end)) and read_event_date(
                m.group("date")
            ):
                add_headline(m.start(), m.end(), kind_of(m.group("kind") + " " + m.group("what")))
        elif first.startswith("report"):
            if m := REPORT_FROM_RE.match(text, pos, end):
                add_headline(m.start(), m.end(), "assessment")
        elif first.startswith("during"):
            if m := DURING_RE.match(text, pos, end):
                during_lines.append(m)
        elif (first[:1].isdigit() or first.startswith(_WEEKDAY_START)) and (
            m := BARE_DATE_LINE_RE.match(text, pos, end)
        ):
            nxt = _next_line(text, m.end())
            bare = line_date(text, m.start(), m.end())
            if bare and nxt and DURING_RE.match(text, nxt[0]):
                add_headline(m.start(), m.end(), None, (bare[1], bare[2]))
        pos = end + 1
    if not starts:
        for m in OLD_HEADLINE_RE.finditer(text):
            # the date in the headline's own slot, not one further along a run-on line ("Random
            # inspection report Care homes for older people Name: ... one star 23/10/2008 ...")
            if read_event_date(m.group("date")):
                add_headline(m.start(), m.end(), kind_of(m.group("kind")))
    for m in during_lines:
        if m.start() not in claimed:
            starts.append(EventStart(m.start(), kind_of(m.group("what")), None, None))
    starts.sort(key=lambda s: s.start)
    # The same event announced twice (page header "Inspection carried out on 8 January 2013"
    # repeated by an overview headline) is one event.
    merged: list[EventStart] = []
    for s in starts:
        if merged and s.date and merged[-1].date and s.date[0] == merged[-1].date[0]:
            between = text[merged[-1].start : s.start]
            if (
                len(between) < 400
                and not DURING_RE.search(between)
                and not INLINE_HEADLINE_RE.search(between)
            ):
                continue
        merged.append(s)
    return merged


DATE_LABEL = re.compile(
    r"^\W*(?:date\s+of\s+(?:the\s+)?(?:inspection|assessment)s?(?:\s+visit)?|(?:last|latest)\s+"
    r"inspection|inspection\s+dates?|dates?\s+of\s+visits?)\s*:",
    re.I,
)


__all__ = [
    "BARE_DATE_LINE_RE",
    "DATE_LABEL",
    "DURING_RE",
    "HEADLINE_RE",
    "OLD_HEADLINE_RE",
    "REPORT_FROM_RE",
    "EventStart",
    "find_event_starts",
    "kind_of",
    "line_date",
    "split_sentences",
]
