"""Reading primitive values out of report prose: dates, ratings and counts.

These are the low-level readers shared by the rules backend (to find values) and the checker
(to re-read a value from its quote). They know nothing of events or roles.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass

# --- dates -----------------------------------------------------------------------------------

_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
    "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9,
    "sept": 9, "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12,
    "december": 12,
}  # fmt: skip

_DAY = r"(?:[0-3]?\d)(?:\s?(?:st|nd|rd|th))?"
_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?"
)
_YEAR = r"(?:19|20)\d\d"
#: A month's name, full or short ("September", "Sept", "Sep.").
MONTH_PATTERN = _MONTH
_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|Mon|Tue|Tues|Wed|Thu|Thur|Thurs|Fri|Sat|Sun)\.?,?"
_ITEM = rf"(?:{_WEEKDAY}|{_DAY}|{_MONTH}|{_YEAR})"
_YEAR_RE = re.compile(rf"(?<!\d){_YEAR}(?!\d)")
_LEADING_WEEKDAY = re.compile(rf"{_WEEKDAY}\s*", re.IGNORECASE)
# What may stand between the parts of one written date or list/range of dates.
_CONN = r"(?:\s*(?:,|&|\band\b|\bto\b|\buntil\b|\btill\b|\bthrough\b|-|–|—|/)\s*(?:the\s+)?|\s+(?:the\s+|of\s+)?)"
_RUN_RE = re.compile(rf"(?<![\w/]){_ITEM}(?:{_CONN}{_ITEM})*(?![\w/])", re.IGNORECASE)
_TOKEN_RE = re.compile(
    rf"(?P<year>{_YEAR})(?!\d)|(?P<day>[0-3]?\d)(?:\s?(?:st|nd|rd|th))?(?!\d)|(?P<month>{_MONTH})",
    re.IGNORECASE,
)
_US_RE = re.compile(
    rf"\b(?P<month>{_MONTH})\s+(?P<day>[0-3]?\d)(?:st|nd|rd|th)?,\s*(?P<year>{_YEAR})\b", re.I
)
_NUMERIC_RE = re.compile(r"(?<![\d/])(?P<d>[0-3]?\d)/(?P<m>[01]?\d)/(?P<y>(?:19|20)?\d\d)(?![\d/])")
# "Date: 3 0 0 3 2 0 0 9" on old CSCI covers: DDMMYYYY written digit by digit.
_SPACED_RE = re.compile(r"(?<!\d)(\d(?: \d){7})(?!\d)")


@dataclass(frozen=True)
class DateMention:
    """A written date, list of dates or range, with the first day it names."""

    start: int
    end: int
    first: dt.date
    #: True when the first day's year or month was borrowed from a later part
    #: ("30 March and 12 April 2023").
    borrowed: bool = False


def month_number(name: str) -> int:
    """The number of a month written as :data:`MONTH_PATTERN` matches it ("Sept." -> 9)."""
    return _MONTHS[name.rstrip(".").lower()]


def _make_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _first_of_run(run: str) -> tuple[dt.date, bool] | None:
    tokens: list[tuple[str, int]] = []
    for m in _TOKEN_RE.finditer(run):
        if m.group("year"):
            tokens.append(("y", int(m.group("year"))))
        elif m.group("day"):
            tokens.append(("d", int(m.group("day"))))
        elif m.group("month"):
            tokens.append(("m", _MONTHS[m.group("month").rstrip(".").lower()]))
    # A month before the first day, with no day of its own ("July and 11 August 2015", "March
    # 2019 and 2 April 2019": the first day lost), is no date. "July 11, 2015" (month first, no
    # month after the day) is read apart.
    first_day = next((i for i, (k, _) in enumerate(tokens) if k == "d"), None)
    if (
        first_day is not None
        and any(k == "m" for k, _ in tokens[:first_day])
        and any(k == "m" for k, _ in tokens[first_day + 1 :])
    ):
        return None
    # The first day, then the first month after it, then the first year after that month.
    for i, (kind, value) in enumerate(tokens):
        if kind != "d":
            continue
        month = next(((j, v) for j, (k, v) in enumerate(tokens[i + 1 :], i + 1) if k == "m"), None)
        if month is None:
            return None
        year = next((v for k, v in tokens[month[0] + 1 :] if k == "y"), None)
        if year is None:
            return None
        borrowed = any(k in ("d", "y") for k, _ in tokens[i + 1 : month[0]]) or any(
            k in ("d", "m") for k, _ in tokens[month[0] + 1 : month[0] + 2]
        )
        date = _make_date(year, month[1], value)
        return (date, borrowed) if date else None
    return None


def iter_dates(text: str, start: int = 0, end: int | None = None) -> Iterator[DateMention]:
    """Every full date (day, month and year) written in ``text[start:end]``, in order.

    A list or range ("28, 29 June and 3 July 2018", "31 October to 01 November 2018",
    "30 December 2018 to 2 January 2019") is one mention whose ``first`` is its first day.
    Month-and-year alone ("June 2015") is not a date. Numeric dates (26/02/2025, 14/10/08) are
    read day first, as in British usage.
    """
    end = len(text) if end is None else end
    found: list[DateMention] = []
    has_year = _YEAR_RE.search(text, start, end) is not None  # every written date has one
    for m in _RUN_RE.finditer(text, start, end) if has_year else ():
        got = _first_of_run(m.group(0))
        if got:
            lead = _LEADING_WEEKDAY.match(m.group(0))  # "Sunday 7 July 2015" is read from "7"
            found.append(
                DateMention(m.start() + (lead.end() if lead else 0), m.end(), got[0], got[1])
            )
    for m in _US_RE.finditer(text, start, end) if has_year else ():
        date = _make_date(
            int(m.group("year")), _MONTHS[m.group("month").rstrip(".").lower()], int(m.group("day"))
        )
        if date and not any(f.start <= m.start() < f.end for f in found):
            found.append(DateMention(m.start(), m.end(), date))
    for m in _NUMERIC_RE.finditer(text, start, end) if text.find("/", start, end) >= 0 else ():
        year = int(m.group("y"))
        year = year + 2000 if year < 100 else year
        date = _make_date(year, int(m.group("m")), int(m.group("d")))
        if date:
            found.append(DateMention(m.start(), m.end(), date))
    for m in _SPACED_RE.finditer(text, start, end):
        digits = m.group(1).replace(" ", "")
        date = _make_date(int(digits[4:]), int(digits[2:4]), int(digits[:2]))
        if date:
            found.append(DateMention(m.start(), m.end(), date))
    found.sort(key=lambda d: d.start)
    return iter(found)


def first_date(text: str) -> DateMention | None:
    """The first date mention in ``text``."""
    return next(iter_dates(text), None)


def partial_date_then_full(text: str) -> DateMention | None:
    """A day and month whose year comes in a later date of the same passage.

    "started on 12 April and ended on 20 April 2022" -> 12 April 2022, "between 14 and 17 April
    and on 2 May 2015" -> 14 April 2015; a first month after the later one means the year before
    ("30 December and ended on 4 January 2019").
    """
    m = re.search(
        rf"(?<![\w/])(?P<day>[0-3]?\d)(?:st|nd|rd|th)?(?:\s*(?:,|&|\band\b|\bto\b|-|–)\s*(?:the\s+)?"
        rf"[0-3]?\d(?:st|nd|rd|th)?)*\s+(?:of\s+)?(?P<month>{_MONTH})(?![\w.])(?!\s*,?\s*{_YEAR})",
        text,
        re.I,
    )
    if not m:
        return None
    later = next((d for d in iter_dates(text, m.end()) if d.start - m.end() < 80), None)
    if later is None:
        return None
    month = _MONTHS[m.group("month").rstrip(".").lower()]
    year = later.first.year - (1 if month > later.first.month else 0)
    date = _make_date(year, month, int(m.group("day")))
    return DateMention(m.start(), later.end, date, True) if date else None


# --- ratings ---------------------------------------------------------------------------------

RATING_RE = re.compile(
    r"\b(?P<r>outstanding|good|requires?[\s-]+improvements?|inadequate)\b", re.IGNORECASE
)


def normalize_rating(word: str) -> str | None:
    """The canonical spelling of a rating word, whatever its case, or None."""
    w = re.sub(r"[\s-]+", " ", word.strip().strip("'\"‘’“”").lower())
    if w == "outstanding":
        return "Outstanding"
    if w == "good":
        return "Good"
    if w.startswith("require") and w.split()[-1].startswith("improvement"):
        return "Requires improvement"
    if w == "inadequate":
        return "Inadequate"
    return None


# --- counts ----------------------------------------------------------------------------------

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}  # fmt: skip
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
_UNIT_W = "|".join(sorted(_UNITS, key=len, reverse=True))
_TENS_W = "|".join(_TENS)
_BELOW_100 = rf"(?:(?:{_TENS_W})(?:[\s-]+(?:{_UNIT_W}))?|(?:{_UNIT_W}))"
NUMBER_PATTERN = (
    rf"(?:\d{{1,3}}(?:,\d{{3}})+|\d+|(?:(?:{_UNIT_W}|a)\s+hundred(?:\s+(?:and\s+)?{_BELOW_100})?)"
    rf"|{_BELOW_100})"
)
NUMBER_RE = re.compile(rf"\b{NUMBER_PATTERN}\b", re.IGNORECASE)


def parse_number(words: str) -> int | None:
    """An integer written in digits or English words ("Thirty four", "one hundred and eight")."""
    w = words.strip().lower().replace(",", "")
    if w.isdigit():
        return int(w)
    total = 0
    current = 0
    seen = False
    for part in re.split(r"[\s-]+", w):
        if part == "and":
            continue
        if part in _UNITS:
            current += _UNITS[part]
        elif part in _TENS:
            current += _TENS[part]
        elif part == "a":
            current += 1
        elif part == "hundred":
            current = max(current, 1) * 100
        else:
            return None
        seen = True
    total += current
    return total if seen else None


# --- a whole value, as written on its own (a model's answer, a form field) -------------------

_ISO_RE = re.compile(
    r"^\s*(?P<y>(?:19|20)\d\d)[-/.](?P<m>[01]?\d)[-/.](?P<d>[0-3]?\d)(?:[T ].*)?\s*$"
)
_DOTTED_RE = re.compile(r"^\s*(?P<d>[0-3]?\d)[.-](?P<m>[01]?\d)[.-](?P<y>(?:19|20)?\d\d)\s*$")
_SLASHED_RE = re.compile(r"^\s*(?P<a>[0-3]?\d)/(?P<b>[0-3]?\d)/(?P<y>(?:19|20)?\d\d)\s*$")


def read_date(value: str) -> dt.date | None:
    """The one date a short string states, in any form the page readers know (iter_dates:
    "14 January 2020", "14th Jan 2020", "January 14, 2020", "14/01/2020", day first) or
    year first ("2020-01-14", "2020/01/14", an ISO date-time); "01/14/2020", impossible day
    first, is read month first. None when it states no full date, or two different ones."""
    m = _ISO_RE.match(value)
    if m:
        return _make_date(int(m.group("y")), int(m.group("m")), int(m.group("d")))
    m = _DOTTED_RE.match(value)
    if m:
        year = int(m.group("y"))
        return _make_date(year + 2000 if year < 100 else year, int(m.group("m")), int(m.group("d")))
    m = _SLASHED_RE.match(value)
    if m and int(m.group("b")) > 12:  # month first: 01/14/2020
        year = int(m.group("y"))
        return _make_date(year + 2000 if year < 100 else year, int(m.group("a")), int(m.group("b")))
    firsts = {d.first for d in iter_dates(value)}
    return firsts.pop() if len(firsts) == 1 else None


_COUNT_RE = re.compile(rf"(?<![\w.]){NUMBER_PATTERN}(?:\.0+)?(?![\w.]|\.\d)", re.IGNORECASE)


def read_count(value: str) -> int | None:
    """The one whole number a short string states: "31", "31 people", "31.0", "thirty-one",
    "1,204". None for a fraction, a negative, a range or several numbers ("30 to 35")."""
    text = value.strip()
    if text.startswith("-") or re.search(r"\d\.\d*[1-9]", text):
        return None
    found = {parse_number(re.sub(r"\.0+$", "", m.group(0))) for m in _COUNT_RE.finditer(text)}
    found.discard(None)
    return found.pop() if len(found) == 1 else None
