"""Reading a model's answer tolerantly, then validating it strictly.

Models write the same facts in many ways: a date as "14 January 2020" or "14/01/2020", a
count as "31 people", a boolean as "yes", a rating in lower case, "N/A" for unknown, the JSON
inside a code fence after a line of prose. Before :class:`~extractor.llm.answer.PageAnswer`
validates an answer, every value is brought to its type here, with the project's own value
readers (:mod:`extractor.reading.values`: one date reader for pages and answers alike):

- **the JSON**: the whole text, else the inside of a ```` ``` ```` fence, else the first
  object in the text (prose before or after it is ignored);
- **keys**: any letter case, ``camelCase``, spaces or hyphens (``"Overall Rating"`` is
  ``overall_rating``), a few common synonyms, and a value given as ``{"value", "quote"}``;
  other keys are ignored;
- **dates**: :func:`~extractor.reading.values.read_date`; **counts**:
  :func:`~extractor.reading.values.read_count` (``"31"``, ``31.0``, ``"31 people"``,
  ``"thirty-one"``); **booleans**: true/false, yes/no, 1/0, "announced"/"unannounced";
  **ratings**: :func:`~extractor.reading.values.normalize_rating` (any case, spacing or
  hyphens); **kinds**: by their word (``"Desk review"`` is ``review``);
- **nulls**: ``""``, ``"null"``, ``"none"``, ``"N/A"``, ``"unknown"``, ``"not stated"``,
  ``"-"`` and the like.

A value that still cannot be read becomes null, with a :class:`Note` carrying what the model
wrote (it becomes a ``value_unreadable`` warning on the record); the page and its other values
are kept. Only an answer that is unusable *as a whole* raises :class:`UnusableAnswer` (and is
re-asked): no JSON object at all, or an object without an ``events`` list (``{}``, another
shape, the schema sent back). An explicit empty ``events`` list is the only way to say that a
page has no events.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, Final

from pydantic import ValidationError

from extractor.llm.answer import VALUE_FIELDS, Note, PageAnswer
from extractor.reading.values import RATING_RE, normalize_rating, read_count, read_date

CUT_OFF: Final = "the answer was cut off at the model's output limit (finish_reason=length)"


class UnusableAnswer(Exception):
    """The answer as a whole cannot be used; the message says why, in words for the model.

    ``reask`` is False when asking again cannot help (the answer was cut off at the
    model's output limit)."""

    def __init__(self, message: str, *, reask: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.reask = reask


_NULL_WORDS: Final = frozenset(
    {
        "", "null", "none", "nil", "n/a", "na", "n.a", "nan", "undefined", "unknown",
        "not known", "not stated", "not given", "not specified", "not mentioned",
        "not applicable", "not available", "not provided", "not found", "no data",
        "-", "--", "---", "—", "–", "?",
    }
)  # fmt: skip
_TRUE_WORDS: Final = frozenset({"true", "yes", "y", "t", "1", "announced", "notice given"})
_FALSE_WORDS: Final = frozenset({"false", "no", "n", "f", "0", "unannounced", "not announced"})

#: Other names models give the fields (after folding to snake case).
_SYNONYMS: Final = {
    "type": "kind",
    "event_type": "kind",
    "event_kind": "kind",
    "inspection_date": "date",
    "event_date": "date",
    "rating": "overall_rating",
    "overall": "overall_rating",
    "last_rating": "previous_rating",
    "previous_rating_published_date": "previous_rating_published",
    "previous_report_published": "previous_rating_published",
    "people": "people_using_service",
    "people_using_the_service": "people_using_service",
    "number_of_people": "people_using_service",
    "number_of_people_using_service": "people_using_service",
    "is_announced": "announced",
    "page_rating": "current_rating",
    "overall_rating_of_the_page": "current_rating",
    "inspections": "events",
    "event_list": "events",
}
_QUOTE_SUFFIXES: Final = ("_quote", "_evidence", "_source_quote", "_quotation")
_FENCE: Final = re.compile(r"```[a-zA-Z0-9_-]*\s*\n?(.*?)```", re.S)


def snake(key: str) -> str:
    """A key folded to snake case: ``"Overall Rating"``, ``"overallRating"``,
    ``"overall-rating"`` all give ``"overall_rating"``."""
    key = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key.strip())
    return re.sub(r"[\s\-.]+", "_", key).lower().strip("_")


def _field_name(key: str) -> str:
    k = snake(key)
    for suffix in _QUOTE_SUFFIXES:
        if k.endswith(suffix) and k != suffix:
            base = k[: -len(suffix)]
            return f"{_SYNONYMS.get(base, base)}_quote"
    if k.startswith("quote_") and len(k) > 6:  # "quote_date"
        base = k[6:]
        return f"{_SYNONYMS.get(base, base)}_quote"
    return _SYNONYMS.get(k, k)


def find_json(raw: str) -> Any:
    """The JSON value in a model's text: the whole text, else inside a code fence, else the
    first object in it. :class:`UnusableAnswer` when there is none."""
    text = raw.strip().lstrip("\ufeff")
    if not text:
        raise UnusableAnswer("the answer is empty: answer with one JSON object")
    candidates = [text, *(m.group(1).strip() for m in _FENCE.finditer(text))]
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except ValueError:
            continue
    decoder = json.JSONDecoder()
    first_error: ValueError | None = None
    for m in re.finditer(r"[{\[]", text):
        try:
            value, _ = decoder.raw_decode(text, m.start())
        except ValueError as err:
            first_error = first_error or err
            continue
        if isinstance(value, dict):
            return value
    reason = f" ({first_error})" if isinstance(first_error, json.JSONDecodeError) else ""
    raise UnusableAnswer(f"the answer is not valid JSON{reason}: answer with one JSON object")


_CLOSERS: Final = {"{": "}", "[": "]"}


def _closed(prefix: str) -> str | None:
    """``prefix`` (cut after a closing bracket) with the brackets still open closed, or None
    when it ends inside a string."""
    stack: list[str] = []
    in_string = escaped = False
    for ch in prefix:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in _CLOSERS:
            stack.append(_CLOSERS[ch])
        elif ch in "]}" and (not stack or stack.pop() != ch):
            return None
    if in_string:
        return None
    return prefix + "".join(reversed(stack))


def salvage(raw: str) -> dict[str, Any] | None:
    """What can be kept of an answer cut off part-way (at the model's output limit): the
    object up to the last event written whole, its open brackets closed. None when nothing
    with an ``events`` list can be kept."""
    start = raw.find("{")
    if start < 0:
        return None
    text = raw[start:]
    cuts = [i for i, ch in enumerate(text) if ch in "}]"]
    for cut in reversed(cuts[-200:]):
        closed = _closed(text[: cut + 1])
        if closed is None:
            continue
        try:
            value = json.loads(closed)
        except ValueError:
            continue
        if isinstance(value, dict) and any(snake(k) == "events" for k in value):
            return value
    return None


def _is_null(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        word = value.strip().strip("'\"“”‘’").strip().rstrip(".").lower()
        return word in _NULL_WORDS
    return isinstance(value, list | dict) and not value


def _written(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:79] + "…"


def _as_date(value: Any) -> Any:
    if isinstance(value, str):
        return read_date(value)
    return None


def _as_count(value: Any) -> Any:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float):
        return int(value) if value.is_integer() and value >= 0 else None
    if isinstance(value, str):
        return read_count(value)
    return None


def _as_bool(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = " ".join(value.strip().strip("'\"").rstrip(".").lower().split())
        if word in _TRUE_WORDS:
            return True
        if word in _FALSE_WORDS:
            return False
    return None


def _as_rating(value: Any) -> Any:
    if not isinstance(value, str):
        return None
    found = normalize_rating(value)
    if found is not None:
        return found
    words = {normalize_rating(m.group("r")) for m in RATING_RE.finditer(value)}
    return words.pop() if len(words) == 1 else None


def _as_kind(value: Any) -> Any:
    if not isinstance(value, str):
        return None
    word = value.strip().lower()
    if "review" in word:
        return "review"
    if "assess" in word:
        return "assessment"
    if "inspect" in word or "visit" in word:
        return "inspection"
    return None


def _as_quote(value: Any) -> str | None:
    if _is_null(value):
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return " ... ".join(v for v in value if v.strip()) or None  # passages apart: elided
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


_READERS: Final[dict[str, tuple[Callable[[Any], Any], str]]] = {
    "date": (_as_date, "a date"),
    "overall_rating": (_as_rating, "a rating"),
    "previous_rating": (_as_rating, "a rating"),
    "previous_rating_published": (_as_date, "a date"),
    "people_using_service": (_as_count, "a whole number"),
    "announced": (_as_bool, "true or false"),
    "current_rating": (_as_rating, "a rating"),
}


def _folded(obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` with its keys folded; a ``{"value", "quote"}`` pair split into the field and
    its quote. The first of two keys that fold alike wins."""
    out: dict[str, Any] = {}
    for key, value in obj.items():
        if not isinstance(key, str):
            continue
        name = _field_name(key)
        if isinstance(value, dict) and not name.endswith("_quote") and name != "events":
            inner = {snake(k): v for k, v in value.items() if isinstance(k, str)}
            if "value" in inner:
                out.setdefault(name, inner["value"])
                quote = next(
                    (inner[k] for k in ("quote", "evidence", "source") if k in inner), None
                )
                if quote is not None:
                    out.setdefault(f"{name}_quote", quote)
                continue
        out.setdefault(name, value)
    return out


def _read_values(
    obj: dict[str, Any], names: tuple[str, ...], event: int | None, notes: list[Note]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in names:
        raw = obj.get(name)
        quote = _as_quote(obj.get(f"{name}_quote"))
        if _is_null(raw):
            out[name] = None
            out[f"{name}_quote"] = None
            continue
        reader, expected = _READERS[name]
        value = reader(raw)
        if value is None:
            notes.append(Note(event, name, _written(raw), expected))
            quote = None
        out[name] = value
        out[f"{name}_quote"] = quote
    return out


def _unwrap(data: Any) -> Any:
    """An answer wrapped in one more object (``{"PageAnswer": {...}}``, ``{"answer": ...}``)
    or given as its events alone (a list of objects)."""
    if isinstance(data, list) and data and all(isinstance(e, dict) for e in data):
        events = [_folded(e) for e in data]
        if all("kind" in e or "date" in e for e in events):
            return {"events": data}
    if isinstance(data, dict):
        folded = _folded(data)
        if "events" not in folded and len(data) == 1:
            (inner,) = data.values()
            if isinstance(inner, dict) and "events" in _folded(inner):
                return inner
    return data


def read_page_answer(data: Any) -> PageAnswer:
    """A :class:`PageAnswer` from a parsed JSON answer, every value brought to its type; the
    values that could not be read are null, with their :class:`Note` in
    ``answer.notes``. :class:`UnusableAnswer` when the answer has no ``events`` list."""
    data = _unwrap(data)
    if not isinstance(data, dict):
        raise UnusableAnswer(
            f"the answer is a JSON {type(data).__name__}, not an object with an events list: "
            'answer with one object {"current_rating": ..., "events": [...]}'
        )
    page = _folded(data)
    if "events" not in page:
        if "properties" in data or "$defs" in data or data.get("type") == "object":
            what = "the answer repeats the JSON Schema instead of filling it in"
        elif page:
            what = f"the answer has no events list (its keys: {', '.join(sorted(page)[:8])})"
        else:
            what = "the answer is an empty object"
        raise UnusableAnswer(
            f"{what}: give every event of the page in events, and events: [] only when the "
            "page describes no inspection, review or assessment"
        )
    raw_events = page["events"]
    if isinstance(raw_events, dict):
        raw_events = [raw_events]
    if not isinstance(raw_events, list):
        raise UnusableAnswer(
            f"events is {_written(raw_events)}, not a list: give a list of events ([] when the "
            "page has none)"
        )
    notes: list[Note] = []
    events: list[dict[str, Any]] = []
    for raw in raw_events:
        if not isinstance(raw, dict):
            notes.append(Note(None, "events", _written(raw), "an event (an object)"))
            continue
        obj = _folded(raw)
        index = len(events)
        kind = _as_kind(obj.get("kind"))
        if kind is None:
            notes.append(Note(index, "kind", _written(obj.get("kind")), "a kind of event"))
            kind = "inspection"
        events.append({"kind": kind, **_read_values(obj, VALUE_FIELDS, index, notes)})
    current = _read_values(page, ("current_rating",), None, notes)
    try:
        answer = PageAnswer.model_validate({**current, "events": events})
    except ValidationError as err:  # pragma: no cover - every value was brought to its type
        raise UnusableAnswer(
            f"the answer does not fit the schema: {err.errors()[0]['msg']}"
        ) from err
    answer.notes = notes
    return answer


def completion_text(completion: Any, mode: str) -> str:
    """The text of a chat completion's answer: the first tool call's arguments in ``tools``
    mode (else the message content), the message content otherwise.
    :class:`UnusableAnswer` for a completion with no choices, or cut off at the output
    limit, or with nothing in it."""
    choices = getattr(completion, "choices", None)
    if not choices:
        raise UnusableAnswer("the server's completion has no choices (no answer at all)")
    choice = choices[0]
    message = getattr(choice, "message", None)
    texts: list[str] = []
    if message is not None:
        if mode == "tools":
            for call in getattr(message, "tool_calls", None) or []:
                function = getattr(call, "function", None)
                arguments = getattr(function, "arguments", None)
                if isinstance(arguments, str) and arguments.strip():
                    texts.append(arguments)
                    break
        content = getattr(message, "content", None)
        if isinstance(content, str) and content.strip():
            texts.append(content)
    if getattr(choice, "finish_reason", None) == "length":
        for text in texts:  # an object that closed before the limit is still an answer
            try:
                find_json(text)
                return text
            except UnusableAnswer:
                pass
        raise UnusableAnswer(CUT_OFF, reask=False)
    if not texts:
        refusal = getattr(message, "refusal", None) if message is not None else None
        if isinstance(refusal, str) and refusal:
            raise UnusableAnswer(f"the model declined to answer: {refusal.splitlines()[0]}")
        raise UnusableAnswer("the answer is empty: answer with one JSON object")
    return texts[0]


def read_completion(completion: Any, mode: str) -> PageAnswer:
    """A chat completion's answer, read tolerantly and validated (see the module docstring).

    An answer cut off part-way (at the output limit, or JSON that simply stops) keeps the
    events written whole before the cut, with an ``answer_cut_off`` warning."""
    try:
        text = completion_text(completion, mode)
        return read_page_answer(find_json(text))
    except UnusableAnswer as err:
        for candidate in _texts(completion, mode):
            data = salvage(candidate)
            if data is None:
                continue
            answer = read_page_answer(data)
            if not answer.events:
                continue
            cut = Note(
                None,
                "events",
                "",
                "",
                code="answer_cut_off",
                text=f"the answer was cut off part-way ({err.message}); the "
                f"{len(answer.events)} events written before the cut are kept",
            )
            answer.notes = [*answer.notes, cut]
            return answer
        raise


def _texts(completion: Any, mode: str) -> list[str]:
    """Every text the completion's first choice holds (tool-call arguments, content)."""
    choices = getattr(completion, "choices", None) or []
    message = getattr(choices[0], "message", None) if choices else None
    texts: list[str] = []
    if message is None:
        return texts
    if mode == "tools":
        for call in getattr(message, "tool_calls", None) or []:
            arguments = getattr(getattr(call, "function", None), "arguments", None)
            if isinstance(arguments, str):
                texts.append(arguments)
    content = getattr(message, "content", None)
    if isinstance(content, str):
        texts.append(content)
    return texts


__all__ = [
    "CUT_OFF",
    "Note",
    "UnusableAnswer",
    "completion_text",
    "find_json",
    "read_completion",
    "read_page_answer",
    "salvage",
    "snake",
]
