"""The checker: holds every value of a record to the document text.

It runs over a record as it stands — from the rules, from a model, or edited by hand — and
never changes or drops a value or its evidence; it only reports :class:`~extractor.records.Issue`
objects. For each value it proves, in order:

1. **presence**: a non-null field has evidence (``evidence_missing``);
2. **grounding**: ``text[start:end] == quote`` (``offsets_mismatch`` when the quote stands
   elsewhere in the text, ``quote_not_found`` when it stands nowhere);
3. **support**: re-reading the field from the quote with the readers of
   :mod:`extractor.reading.readers` gives the same value (``value_mismatch``; ``value_not_in_quote``
   when the quote says nothing of it);
4. **role**: the quote says it in the right role — an overall rating not from a key question,
   a "last rating" sentence or the old star scale; a count not from a capacity or a sample; a
   publication date from a "published" sentence; an event date not from an "Updated" line
   (``wrong_role``);

5. **role, judged again** (ratings only): :mod:`extractor.roles` reads the sentence around the
   quote on the page, independently of the readers and more strictly, for the rating's time
   (this event's or an earlier one's: ``rating_time``) and scope (the whole service's or a key
   question's, core service's, ward's, population group's: ``rating_scope``); a quote that is
   the page header's rating is ``rating_from_header``; where the words leave it in doubt,
   ``rating_role_unclear`` (a warning);

and then where the quotes lie: a rating quoted from under another event's headline or from the
page header (``rating_other_event``), an event that takes two or more values from another
headline's part of the page (``events_merged``: two events in one), a ``kind`` that disagrees
with the event's headline (``kind_mismatch``); and that the events agree with each other: a review awards no rating
(``review_rated``), a previous report was published before its event
(``published_not_before_event``), no date lies in the future (``date_in_future``), a later
event's previous rating matches the earlier event's rating (``previous_rating_inconsistent``,
a warning), a breach of regulations sits oddly with a Good or Outstanding rating
(``breach_with_good_rating``, a warning), an event is not listed twice (``duplicate_event``),
and a quote lies in its own event's part of the page (``outside_event``, a warning).

Codes are stable: scripts may rely on them. Severity ``error`` means the value is not
supported by the text; ``warning`` means it is suspicious.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from extractor.reading.layout import DATE_LABEL, find_event_starts
from extractor.reading.readers import (
    is_previous_context,
    read_announced,
    read_event_date,
    read_header_rating,
    read_overall_rating,
    read_people,
    read_previous_published,
    read_previous_rating,
)
from extractor.reading.values import (
    NUMBER_RE,
    RATING_RE,
    iter_dates,
    normalize_rating,
    parse_number,
)
from extractor.records import EVENT_FIELDS, Event, Evidence, Issue, Record
from extractor.roles import (
    RATING_WORD,
    Role,
    block_of,
    event_blocks,
    headline_kind,
    is_header_rating,
    rating_name,
    roles_in,
    sentence_span,
)

#: Every issue code the checker emits, with its severity.
CODES: dict[str, str] = {
    "evidence_missing": "error",
    "evidence_unexpected": "warning",
    "offsets_mismatch": "error",
    "quote_boundary": "error",
    "quote_not_found": "error",
    "quote_normalized": "warning",
    "value_not_in_quote": "error",
    "value_mismatch": "error",
    "wrong_role": "error",
    "outside_event": "warning",
    "review_rated": "error",
    "published_not_before_event": "error",
    "date_in_future": "error",
    "previous_rating_inconsistent": "warning",
    "breach_with_good_rating": "warning",
    "duplicate_event": "warning",
    "source_unavailable": "error",
    "source_changed": "warning",
    "record_invalid": "error",
    "rating_time": "error",
    "rating_scope": "error",
    "rating_other_event": "error",
    "rating_from_header": "error",
    "rating_role_unclear": "warning",
    "kind_mismatch": "error",
    "events_merged": "error",
}


def issue(code: str, message: str, *, event: int | None = None, field: str | None = None) -> Issue:
    """An issue with the severity its code always has."""
    return Issue(code=code, severity=CODES[code], event=event, field=field, message=message)  # type: ignore[arg-type]


# --- grounding --------------------------------------------------------------------------------


def _squash(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


def _ground(ev: Evidence, text: str) -> tuple[str, str] | None:
    """(code, message) when the quote is not at its offsets, or does not start and end on
    a word boundary (a truncated or padded quote)."""
    if ev.holds_in(text):
        return _boundary(ev, text)
    where = text.find(ev.quote)
    if where >= 0:
        return (
            "offsets_mismatch",
            f"quote is at {where}-{where + len(ev.quote)}, not at {ev.start}-{ev.end}",
        )
    if _squash(ev.quote) and _squash(ev.quote) in _squash(text):
        return "offsets_mismatch", "quote matches the text only with different white space"
    return "quote_not_found", f"quote not found in the text: {_short(ev.quote)!r}"


def _boundary(ev: Evidence, text: str) -> tuple[str, str] | None:
    q = ev.quote
    if q != q.strip():
        return "quote_boundary", "the quote starts or ends with white space"
    if ev.start > 0 and text[ev.start - 1].isalnum() and text[ev.start].isalnum():
        return (
            "quote_boundary",
            f"the quote starts inside a word: {_short(text[max(0, ev.start - 10) : ev.start + 20])!r}",
        )
    if ev.end < len(text) and text[ev.end - 1].isalnum() and text[ev.end].isalnum():
        return (
            "quote_boundary",
            f"the quote ends inside a word: {_short(text[max(0, ev.end - 20) : ev.end + 10])!r}",
        )
    return None


def _short(s: str, n: int = 80) -> str:
    s = _squash(s)
    return s if len(s) <= n else s[: n - 1] + "…"


# --- support and role, per field --------------------------------------------------------------

_LEANS_ON_EARLIER = re.compile(
    r"\b(?:inspection|inspected|visit)\b[^.]*?\b(?:19|20)\d\d\b[^.]*\.\s+[^.]*?\b(?:was|were|had\s+been)\b",
    re.I | re.S,
)
_UPDATED = re.compile(r"\b(?:updated|published|publication)\b", re.I)
_DATE_ROLE_CUE = re.compile(
    r"\b(?:inspection|inspected|review|assessment|assessed|visit|visited|carried\s+out|took\s+place|"
    r"date|during|spoke|we\s+\w+ed)\b",
    re.I,
)

Check = Callable[[Any, str], tuple[str, str] | None]


def _fmt(v: Any) -> str:
    return v.isoformat() if isinstance(v, dt.date) else repr(v)


def _compare(value: Any, got: Any, what: str) -> tuple[str, str] | None:
    if got == value:
        return None
    return "value_mismatch", f"the quote gives {what} {_fmt(got)}, not {_fmt(value)}"


def _check_date(value: dt.date, quote: str) -> tuple[str, str] | None:
    got = read_event_date(quote)
    if got is not None:
        if not _DATE_ROLE_CUE.search(quote) and not _is_bare_date(quote):
            return (
                "wrong_role",
                "the quote does not present this as the date of an inspection, review or assessment",
            )
        if is_previous_context(quote, got[1]) and not DATE_LABEL.match(quote):
            return (
                "wrong_role",
                "the quote gives the date of an earlier inspection, not this event's",
            )
        return _compare(value, got[0], "the date")
    dates = [d.first for d in iter_dates(quote)]
    if value in dates and _UPDATED.search(quote):
        return "wrong_role", "an update or publication date is not the event's date"
    if dates:
        return "value_mismatch", f"the quote gives no event date matching {value.isoformat()}"
    return "value_not_in_quote", "the quote holds no date"


def _is_bare_date(quote: str) -> bool:
    d = next(iter_dates(quote), None)
    return d is not None and not quote[: d.start].strip() and not quote[d.end :].strip(" .,")


def _ratings_in(quote: str) -> set[str]:
    return {r for m in RATING_RE.finditer(quote) if (r := normalize_rating(m.group("r")))}


def _check_overall(value: str, quote: str) -> tuple[str, str] | None:
    got = read_overall_rating(quote, previous_context=bool(_LEANS_ON_EARLIER.search(quote)))
    if got is not None:
        return _compare(value, got[0], "the overall rating")
    if value in _ratings_in(quote):
        return "wrong_role", (
            f"{value!r} in this quote is not an overall rating awarded by this event (a key "
            "question's or core service's rating, an earlier rating, or another scale)"
        )
    return "value_not_in_quote", f"the quote does not state the rating {value!r}"


def _check_previous(value: str, quote: str) -> tuple[str, str] | None:
    got = read_previous_rating(quote, previous_context=bool(_LEANS_ON_EARLIER.search(quote)))
    if got is not None:
        return _compare(value, got[0], "the previous rating")
    if value in _ratings_in(quote):
        return (
            "wrong_role",
            f"{value!r} in this quote is not stated as the rating before this event",
        )
    return "value_not_in_quote", f"the quote does not state the rating {value!r}"


def _check_published(value: dt.date, quote: str) -> tuple[str, str] | None:
    got = read_previous_published(quote)
    if got is not None:
        return _compare(value, got[0], "the publication date")
    if value in {d.first for d in iter_dates(quote)}:
        return "wrong_role", "the date is not given as a publication date"
    return "value_not_in_quote", "the quote holds no publication date"


def _check_people(value: int, quote: str) -> tuple[str, str] | None:
    got = read_people(quote)
    if got is not None:
        return _compare(value, got[0], "the number of people")
    numbers = {parse_number(m.group(0)) for m in NUMBER_RE.finditer(quote)}
    if value in numbers:
        return "wrong_role", (
            f"{value} in this quote is not the number of people using the service "
            "(a capacity, a sample, a part or a yearly figure)"
        )
    return "value_not_in_quote", f"the quote does not state the number {value}"


def _check_announced(value: bool, quote: str) -> tuple[str, str] | None:
    got = read_announced(quote)
    if got is not None:
        return _compare(value, got[0], "announced =")
    return "value_not_in_quote", "the quote does not say whether the inspection was announced"


_FIELD_CHECKS: dict[str, Check] = {
    "date": _check_date,
    "overall_rating": _check_overall,
    "previous_rating": _check_previous,
    "previous_rating_published": _check_published,
    "people_using_service": _check_people,
    "announced": _check_announced,
}


def _check_current(value: str, quote: str) -> tuple[str, str] | None:
    got = read_header_rating(quote)
    if got is not None:
        return _compare(value, got[0], "the current rating")
    if value in _ratings_in(quote):
        return "wrong_role", "the quote is not the page header's overall rating"
    return "value_not_in_quote", f"the quote does not state the rating {value!r}"


# --- the checker ------------------------------------------------------------------------------

_BREACH = re.compile(r"\bbreach(?:es|ed)?\b", re.I)
_NO_BREACH = re.compile(
    r"\b(?:no\s+longer\s+in|not\s+in|no|without|were\s+not\s+in|was\s+not\s+in|meeting\s+the|"
    r"no\s+further|previous|previously|last|earlier)\b[^.]{0,40}$",
    re.I,
)


def _event_blocks(text: str, events: list[Event]) -> list[tuple[int, int]] | None:
    """Each event's part of the page, where the page's headlines match the events one to one."""
    starts = find_event_starts(text)
    if len(starts) != len(events) or len(starts) < 2:
        return None
    bounds = [s.start for s in starts] + [len(text)]
    return [(bounds[i], bounds[i + 1]) for i in range(len(starts))]


def check_event_values(event: Event, text: str | None, index: int) -> list[Issue]:
    """Presence, grounding, support and role for every value of one event."""
    out: list[Issue] = []
    for name in EVENT_FIELDS:
        value = getattr(event, name)
        ev = event.evidence.get(name)  # type: ignore[call-overload]
        if value is None:
            if ev is not None:
                out.append(
                    issue(
                        "evidence_unexpected",
                        "evidence given for a null value",
                        event=index,
                        field=name,
                    )
                )
            continue
        if ev is None:
            out.append(
                issue(
                    "evidence_missing",
                    f"{name} = {_fmt(value)} has no evidence",
                    event=index,
                    field=name,
                )
            )
            continue
        if text is None:
            continue
        found = _ground(ev, text)
        if found is None and name in ("overall_rating", "previous_rating"):
            found = _header(ev, text) or _FIELD_CHECKS[name](value, ev.quote)
            if (
                found
                and found[0] == "wrong_role"
                and (
                    _said_in_sentence(name, value, ev, text)
                    or _role_is_clear(name, value, ev, text, event.date)
                )
            ):
                found = None
            found = found or _judge_role(name, value, ev, text, event.date)
        elif found is None:
            found = _FIELD_CHECKS[name](value, ev.quote)
        if found:
            out.append(issue(found[0], found[1], event=index, field=name))
    return out


# --- roles: the checker's own, stricter reading of a rating's time and scope ------------------


def _judge_role(
    name: str, value: str, ev: Evidence, text: str, event_date: dt.date | None
) -> tuple[str, str] | None:
    """A rating's role judged by :mod:`extractor.roles`, independently of the readers.

    Every mention of the value in the quote is judged in its sentence on the page; the value
    stands when one mention plays the field's role (or the text is silent on it). An error
    where every mention is shown in another role, a warning where the best one is unclear.
    """
    roles = roles_in(text, ev.start, ev.end, value, event_date=event_date)
    if not roles:
        return None
    verdicts = [_verdict(name, r) for r in roles]
    if any(v is None for v in verdicts):
        return None
    unclear = [v for v in verdicts if v is not None and v[0] == "rating_role_unclear"]
    return unclear[0] if unclear else verdicts[0]


def _role_is_clear(
    name: str, value: str, ev: Evidence, text: str, event_date: dt.date | None
) -> bool:
    """Whether :mod:`extractor.roles` judges, on clear cues, that a mention of ``value`` in a
    ``previous_rating`` quote is an earlier inspection's rating of the whole service ("We
    carried out an announced comprehensive inspection ... on 20 November 2018. Following our
    inspection, we rated the practice requires improvement overall and also for the Safe ...
    key questions."), and the last one the page tells of before this event. The readers' own
    ``wrong_role`` does not stand against such a judgement: they may not know the form."""
    if name != "previous_rating":
        return False
    if not any(
        r.scope == "whole" and r.time in ("earlier", "both")
        for r in roles_in(text, ev.start, ev.end, value, event_date=event_date)
    ):
        return False
    return not _later_rated_inspection(ev, text, event_date)


def _later_rated_inspection(ev: Evidence, text: str, event_date: dt.date | None) -> bool:
    """Whether the event's part of the page goes on to tell of a rated inspection dated after
    the one the quote dates, and before the event: then the quote's is not the last rating."""
    dates = [d.first for d in iter_dates(ev.quote)]
    if not dates:
        return False
    told = max(dates)
    blocks = event_blocks(text)
    home = block_of(blocks, ev.start, ev.end)
    end = blocks[home].end if home is not None and home >= 0 else len(text)
    pos = ev.end
    while pos < end:
        s, e = sentence_span(text, pos, min(end, pos + 1))
        e = max(e, pos + 1)
        sentence = text[s:e]
        if RATING_WORD.search(sentence) and _INSPECTION_WORD.search(sentence):
            for d in iter_dates(sentence):
                if d.first > told and (event_date is None or (event_date - d.first).days > 31):
                    return True
        pos = e
        while pos < end and text[pos].isspace():
            pos += 1
    return False


_INSPECTION_WORD = re.compile(r"\b(?:inspect\w*|visit\w*|carried\s+out|assess\w*)\b", re.I)


def _said_in_sentence(name: str, value: str, ev: Evidence, text: str) -> bool:
    """Whether a sentence of the page that holds a mention of ``value`` in the quote states it
    in the field's role, read whole: a quote cut to a clause ("which is now good.") or
    stretched over two sentences is read as the sentence that says it, like the rules' own."""
    for m in RATING_WORD.finditer(text, ev.start, ev.end):
        if rating_name(m.group("r")) != value:
            continue
        s, e = sentence_span(text, m.start(), m.end())
        # the sentence alone; with the one before it (which may date the inspection it tells
        # of); with the one after it ("After this inspection, the service has retained this
        # rating.")
        before = _sentence_before(text, s)
        after = _sentence_after(text, e)
        for a, b in ((s, e), (before, e), (s, after)):
            if (a, b) != (ev.start, ev.end) and _FIELD_CHECKS[name](value, text[a:b]) is None:
                return True
    return False


def _sentence_before(text: str, s: int) -> int:
    """The start of the sentence before the one at ``s``, in its paragraph."""
    if s < 2 or text[s - 1] == "\n" or "\n\n" in text[max(0, s - 2) : s]:
        return s
    prev, _ = sentence_span(text, max(0, s - 2), max(0, s - 1))
    return prev if prev < s and "\n" not in text[prev:s].strip() else s


def _sentence_after(text: str, e: int) -> int:
    """The end of the sentence after the one ending at ``e``, in its paragraph."""
    rest = text[e : e + 2]
    if "\n" in rest or e + 2 >= len(text):
        return e
    nxt = e + len(text[e:]) - len(text[e:].lstrip(" \t"))
    if nxt >= len(text) or not text[nxt].isalnum():
        return e
    _, end = sentence_span(text, nxt, nxt + 1)
    return end if "\n" not in text[e:end].strip() else e


def _header(ev: Evidence, text: str) -> tuple[str, str] | None:
    if is_header_rating(text, ev.start, ev.end):
        return "rating_from_header", (
            "the quote is the page header's current rating, not a rating this event awarded"
        )
    return None


def _verdict(name: str, role: Role) -> tuple[str, str] | None:
    why = f" ({role.why})" if role.why else ""
    if role.scope == "part":
        return "rating_scope", (
            f"{role.rating!r} here is the rating of a part (a key question, core service, ward, "
            f"population group or domain), not of the whole service{why}"
        )
    if name == "overall_rating" and role.time == "earlier":
        return "rating_time", f"{role.rating!r} here is an earlier inspection's rating{why}"
    if name == "previous_rating" and role.time == "this":
        return (
            "rating_time",
            f"{role.rating!r} here is this event's own rating, not the previous one{why}",
        )
    if role.scope == "unclear" or role.time == "unclear":
        return "rating_role_unclear", f"whose rating {role.rating!r} is here is unclear{why}"
    return None


def check_record(record: Record, text: str | None, *, today: dt.date | None = None) -> list[Issue]:
    """Every issue of ``record`` against ``text``, the document text as loaded.

    With ``text=None`` (the source could not be read again) only the consistency checks run,
    and a ``source_unavailable`` issue says so.
    """
    today = today or dt.date.today()
    out: list[Issue] = []
    if record.error is not None:
        return out
    if text is None:
        out.append(
            issue("source_unavailable", f"cannot re-read {record.source}: quotes not checked")
        )
    # the page
    if record.current_rating is not None:
        ev = record.current_rating_evidence
        if ev is None:
            out.append(
                issue("evidence_missing", "current_rating has no evidence", field="current_rating")
            )
        elif text is not None:
            found = _ground(ev, text) or _check_current(record.current_rating, ev.quote)
            if found:
                out.append(issue(found[0], found[1], field="current_rating"))
    elif record.current_rating_evidence is not None:
        out.append(
            issue("evidence_unexpected", "evidence given for a null value", field="current_rating")
        )
    # each event
    blocks = _event_blocks(text, record.events) if text is not None else None
    for i, event in enumerate(record.events):
        out.extend(check_event_values(event, text, i))
        out.extend(_check_event_consistency(event, i, today))
        if blocks is not None and text is not None:
            out.extend(_check_scope(event, i, blocks, text))
    if text is not None:
        out.extend(_check_places(record.events, text))
    out.extend(_check_between_events(record.events))
    return out


def _home_block(
    event: Event, blocks: list[Any], text: str, index: int, n_events: int
) -> int | None:
    """The block an event belongs to: its headline's (date quote's), else where most of its
    quotes lie, else (as many events as headlines) its own place in the order."""
    date = event.evidence.get("date")
    if date is not None and date.holds_in(text):
        b = block_of(blocks, date.start, date.end)
        if b is not None and b >= 0:
            return b
    places = [
        b
        for name, ev in event.evidence.items()
        if name not in ("overall_rating", "previous_rating") and ev.holds_in(text)
        if (b := block_of(blocks, ev.start, ev.end)) is not None and b >= 0
    ]
    if places:
        return max(set(places), key=places.count)
    if n_events == len(blocks):
        return index
    return None


def _check_places(events: list[Event], text: str) -> list[Issue]:
    """Which event's part of the page each rating's quote lies in, whether an event's quotes
    lie under two headlines, and whether its kind agrees with its headline."""
    out: list[Issue] = []
    blocks = event_blocks(text)
    if not blocks:
        return out
    for i, event in enumerate(events):
        home = _home_block(event, blocks, text, i, len(events))
        if home is None:
            continue
        where = {
            name: b
            for name, ev in event.evidence.items()
            if ev.holds_in(text) and (b := block_of(blocks, ev.start, ev.end)) is not None
        }
        for name in ("overall_rating", "previous_rating"):
            b = where.get(name)
            if b is None or b == home or getattr(event, name) is None:
                continue
            place = (
                "the page header, before any event"
                if b < 0
                else f"another event's part of the page ({_short(blocks[b].headline, 50)!r})"
            )
            out.append(
                issue(
                    "rating_other_event",
                    f"the quote lies in {place}, not under this event's headline "
                    f"({_short(blocks[home].headline, 50)!r})",
                    event=i,
                    field=name,
                )
            )
        # Two events in one: another headline's part holds at least two of the event's
        # values (a lone quote elsewhere is ``outside_event``, a warning).
        elsewhere = [b for name, b in where.items() if b >= 0 and b != home]
        others = sorted({b for b in elsewhere if elsewhere.count(b) >= 2})
        if others:
            heads = ", ".join(repr(_short(blocks[b].headline, 50)) for b in [home, *others])
            out.append(
                issue(
                    "events_merged",
                    f"the event's quotes lie under different headlines ({heads}): two events in one",
                    event=i,
                )
            )
        said = blocks[home].kind
        date = event.evidence.get("date")
        if date is not None and (k := headline_kind(date.quote)) is not None:
            said = k
        if (
            said is not None
            and said != event.kind
            and not (said == "inspection" and event.kind == "assessment")
        ):
            out.append(
                issue(
                    "kind_mismatch",
                    f"the event's headline ({_short(blocks[home].headline, 50)!r}) names "
                    f"{'an' if said[0] in 'aei' else 'a'} {said}, not {'an' if event.kind[0] in 'aei' else 'a'} {event.kind}",
                    event=i,
                    field="kind",
                )
            )
    return out


def _check_event_consistency(event: Event, i: int, today: dt.date) -> list[Issue]:
    out: list[Issue] = []
    if event.kind == "review":
        for name in ("overall_rating", "previous_rating"):
            if getattr(event, name) is not None:
                out.append(
                    issue(
                        "review_rated",
                        "a desk review of data awards no rating",
                        event=i,
                        field=name,
                    )
                )
    if (
        event.date
        and event.previous_rating_published
        and event.previous_rating_published >= event.date
    ):
        out.append(
            issue(
                "published_not_before_event",
                f"the previous report ({event.previous_rating_published}) is not before the event ({event.date})",
                event=i,
                field="previous_rating_published",
            )
        )
    for name in ("date", "previous_rating_published"):
        value = getattr(event, name)
        if value is not None and value > today:
            out.append(issue("date_in_future", f"{value} is in the future", event=i, field=name))
    return out


def _check_scope(event: Event, i: int, blocks: list[tuple[int, int]], text: str) -> list[Issue]:
    out: list[Issue] = []
    lo, hi = blocks[i]
    for name, ev in event.evidence.items():
        if ev.holds_in(text) and not (lo <= ev.start and ev.end <= hi):
            out.append(
                issue(
                    "outside_event",
                    "the quote lies in another event's part of the page",
                    event=i,
                    field=name,
                )
            )
    if event.overall_rating in ("Good", "Outstanding"):
        block = text[lo:hi]
        for m in _BREACH.finditer(block):
            if not _NO_BREACH.search(block[max(0, m.start() - 60) : m.start()]):
                out.append(
                    issue(
                        "breach_with_good_rating",
                        f"the event found a breach of regulations but is rated {event.overall_rating}",
                        event=i,
                        field="overall_rating",
                    )
                )
                break
    return out


def _check_between_events(events: list[Event]) -> list[Issue]:
    out: list[Issue] = []
    seen: dict[tuple[str, dt.date], int] = {}
    for i, e in enumerate(events):
        if e.date is None:
            continue
        key = (e.kind, e.date)
        if key in seen:
            out.append(
                issue(
                    "duplicate_event",
                    f"the same {e.kind} on {e.date} as event {seen[key]}",
                    event=i,
                    field="date",
                )
            )
        else:
            seen[key] = i
    dated = [
        (e.date, i, e) for i, e in enumerate(events) if e.date is not None and e.kind != "review"
    ]
    dated.sort(key=lambda t: (t[0], -t[1]))
    for k in range(1, len(dated)):
        _, i, later = dated[k]
        _, j, earlier = dated[k - 1]
        if (
            later.previous_rating
            and earlier.overall_rating
            and later.previous_rating != earlier.overall_rating
        ):
            out.append(
                issue(
                    "previous_rating_inconsistent",
                    f"previous rating {later.previous_rating!r} differs from event {j}'s rating {earlier.overall_rating!r}",
                    event=i,
                    field="previous_rating",
                )
            )
    return out


def has_errors(issues: list[Issue]) -> bool:
    return any(i.severity == "error" for i in issues)


__all__ = ["CODES", "check_event_values", "check_record", "has_errors", "issue"]
