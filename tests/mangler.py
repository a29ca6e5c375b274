"""Answers written the way real models write them: the rules' perfect answer, rewritten.

:func:`mangle` takes a perfect answer (``stub_server.rules_answer``: ISO dates, integer
counts, exact quotes, canonical ratings) and rewrites it in the styles models commonly use,
each choice drawn from a seeded random generator so a run is reproducible: dates in many
formats, counts as strings, words or floats, booleans as words or numbers, ratings in any
case or with hyphens, nulls as "N/A", "-", "" or a missing key, keys in other cases and
shapes, extra keys, values given as ``{"value", "quote"}``, quotes cut with an ellipsis,
with curly quote marks or collapsed white space, and the JSON inside a code fence after a
line of prose. None of it changes a fact: a tolerant reader must recover every value.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from typing import Any

_UNITS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def in_words(n: int) -> str:
    """``n`` (0-999) in English words: 31 -> "thirty-one", 108 -> "one hundred and eight"."""
    if n < 20:
        return _UNITS[n]
    if n < 100:
        tens, unit = divmod(n, 10)
        return _TENS[tens] + (f"-{_UNITS[unit]}" if unit else "")
    hundreds, rest = divmod(n, 100)
    return f"{_UNITS[hundreds]} hundred" + (f" and {in_words(rest)}" if rest else "")


def _ordinal(day: int) -> str:
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def mangle_date(value: str, rng: random.Random) -> Any:
    d = dt.date.fromisoformat(value)
    styles = [
        lambda: d.isoformat(),
        lambda: f"{d.day} {d:%B %Y}",
        lambda: f"{d:%d/%m/%Y}",
        lambda: f"{_ordinal(d.day)} {d:%b %Y}",
        lambda: f"{d:%Y/%m/%d}",
        lambda: f"{d:%B} {d.day}, {d.year}",
        lambda: f"{d:%A} {d.day} {d:%B %Y}",
        lambda: f"{d.isoformat()}T00:00:00",
        lambda: f"{d:%d.%m.%Y}",
        lambda: f"{d.day} {d:%b}. {d.year}",
        lambda: f"{_ordinal(d.day)} of {d:%B %Y}",
        lambda: f"{d:%d-%m-%Y}",
    ]
    return rng.choice(styles)()


def mangle_count(value: int, rng: random.Random) -> Any:
    styles = [
        lambda: value,
        lambda: str(value),
        lambda: f"{value} people",
        lambda: float(value),
        lambda: in_words(value) if value < 1000 else str(value),
        lambda: f"{value} people using the service",
        lambda: f"{value}.0",
    ]
    return rng.choice(styles)()


def mangle_bool(value: bool, rng: random.Random) -> Any:
    words = (
        [True, "Yes", "yes", "TRUE", "true", 1, "Y", "Announced"]
        if value
        else [False, "No", "no", "FALSE", "false", 0, "N", "Unannounced"]
    )
    return rng.choice(words)


def mangle_rating(value: str, rng: random.Random) -> Any:
    styles = [
        lambda: value,
        lambda: value.lower(),
        lambda: value.upper(),
        lambda: value.title(),
        lambda: value.lower().replace(" ", "-"),
        lambda: f" {value} ",
        lambda: value.replace(" ", "  "),
    ]
    return rng.choice(styles)()


NULLS = ["N/A", "-", "", "null", "None", "unknown", "Not stated", "n/a", "not known", None]


def mangle_quote(quote: str, rng: random.Random) -> str:
    words = quote.split()
    style = rng.random()
    if len(quote) > 60 and len(words) >= 10 and style < 0.35:
        head, tail = rng.randint(3, 5), rng.randint(3, 4)
        mark = rng.choice([" ... ", "...", " … ", "…", " [...] "])
        return " ".join(words[:head]) + mark + " ".join(words[-tail:])
    if style < 0.45:
        return quote.replace("'", "’").replace('"', "“")
    if style < 0.5:
        return quote.replace("-", "–").replace("  ", " ").replace("\n", " ")
    if style < 0.65:
        return " ".join(words)  # line breaks and runs of spaces collapsed
    if style < 0.7:
        return f"  {quote} "
    return quote


_KEY_STYLES = [
    lambda k: k,
    lambda k: k.title().replace("_", " "),
    lambda k: re.sub(r"_(\w)", lambda m: m.group(1).upper(), k),  # camelCase
    lambda k: k.replace("_", "-"),
    lambda k: k.upper(),
    lambda k: k.replace("_", " "),
]

_READERS = {
    "date": mangle_date,
    "previous_rating_published": mangle_date,
    "people_using_service": mangle_count,
    "announced": mangle_bool,
    "overall_rating": mangle_rating,
    "previous_rating": mangle_rating,
    "current_rating": mangle_rating,
}


def _mangle_fields(obj: dict[str, Any], names: list[str], rng: random.Random) -> dict[str, Any]:
    key_style = rng.choice(_KEY_STYLES)
    out: dict[str, Any] = {}
    for name in names:
        value = obj.get(name)
        quote = obj.get(f"{name}_quote")
        if value is None:
            r = rng.random()
            if r < 0.3:
                continue  # the key left out
            out[key_style(name)] = rng.choice(NULLS)
            if r < 0.8:
                out[key_style(f"{name}_quote")] = rng.choice(NULLS)
            continue
        written = _READERS[name](value, rng)
        q = mangle_quote(quote, rng) if isinstance(quote, str) else quote
        if rng.random() < 0.1:
            out[key_style(name)] = {"value": written, "quote": q}
        else:
            out[key_style(name)] = written
            out[key_style(f"{name}_quote")] = q
    return out


EVENT_FIELDS = [
    "date",
    "overall_rating",
    "previous_rating",
    "previous_rating_published",
    "people_using_service",
    "announced",
]


def mangle(answer: dict[str, Any], rng: random.Random) -> str:
    """``answer`` rewritten as a model might write it, as the text of its message."""
    events = []
    for event in answer["events"]:
        kind = event["kind"]
        kind_written = rng.choice([kind, kind.title(), kind.upper(), f"{kind.title()}"])
        if kind == "review" and rng.random() < 0.3:
            kind_written = "Desk review"
        mangled = {rng.choice(["kind", "Kind", "type"]): kind_written}
        mangled.update(_mangle_fields(event, EVENT_FIELDS, rng))
        if rng.random() < 0.2:
            mangled["confidence"] = round(rng.random(), 2)
        events.append(mangled)
    page = _mangle_fields(answer, ["current_rating"], rng)
    page[rng.choice(["events", "Events"])] = events
    if rng.random() < 0.2:
        page["notes"] = "Extracted from the page."
    body = json.dumps(page, ensure_ascii=False, indent=rng.choice([None, 2]))
    wrap = rng.random()
    if wrap < 0.3:
        return f"Here is the extracted information:\n\n```json\n{body}\n```"
    if wrap < 0.45:
        return f"```\n{body}\n```\nLet me know if you need anything else."
    if wrap < 0.55:
        return f"Sure! {body}"
    return body


__all__ = ["in_words", "mangle"]
