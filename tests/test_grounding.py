"""Grounding an answer: which occurrence a quote is taken from, and what is sent back."""

from __future__ import annotations

from typing import Any

from extractor.llm.answer import PageAnswer
from extractor.llm.grounding import feedback, ground
from extractor.reading.layout import find_event_starts

PAGE = (
    "Example House\n\n"
    "Inspection carried out on 3 March 2021\n\nDuring a routine inspection\n\n"
    "This inspection was unannounced. At the time of the inspection 20 people were using the service.\n\n"
    "Inspection carried out on 4 April 2019\n\nDuring a routine inspection\n\n"
    "We looked at records.\n\n"
    "Inspection carried out on 5 May 2017\n\nDuring a routine inspection\n\n"
    "This inspection was unannounced. At the time of the inspection 30 people were using the service.\n"
)


def event(date: str, headline: str, **values: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": "inspection", "date": date, "date_quote": headline}
    for name, (value, quote) in values.items():
        out[name] = value
        out[f"{name}_quote"] = quote
    return out


UNANNOUNCED = (False, "This inspection was unannounced.")


def starts(text: str) -> list[int]:
    return [s.start for s in find_event_starts(text)]


def test_a_repeated_sentence_is_taken_from_the_events_own_part() -> None:
    answer = PageAnswer.model_validate(
        {
            "events": [
                event(
                    "2021-03-03", "Inspection carried out on 3 March 2021", announced=UNANNOUNCED
                ),
                event("2019-04-04", "Inspection carried out on 4 April 2019"),
                event("2017-05-05", "Inspection carried out on 5 May 2017", announced=UNANNOUNCED),
            ]
        }
    )
    grounded = ground(answer, PAGE, event_starts=starts(PAGE))
    first, last = (grounded.events[i].event.evidence["announced"] for i in (0, 2))
    assert first.start < PAGE.index("4 April 2019") < PAGE.index("5 May 2017") < last.start
    assert grounded.problems == []


def test_without_matching_headlines_the_events_own_headline_anchors_its_part() -> None:
    """The answer skips the middle event, so the page's three headlines cannot be paired
    with its two events; each event's located headline marks its part instead."""
    answer = PageAnswer.model_validate(
        {
            "events": [
                event("2021-03-03", "Inspection carried out on 3 March 2021"),
                event("2017-05-05", "Inspection carried out on 5 May 2017", announced=UNANNOUNCED),
            ]
        }
    )
    grounded = ground(answer, PAGE, event_starts=starts(PAGE))
    assert grounded.events[1].event.evidence["announced"].start > PAGE.index("5 May 2017")


def test_problems_are_said_in_the_models_terms() -> None:
    answer = PageAnswer.model_validate(
        {
            "events": [
                event(
                    "2021-03-03",
                    "Inspection carried out on 3 March 2021",
                    people_using_service=(25, "At the time of the inspection 25 people were here."),
                    announced=(True, "This inspection was unannounced."),
                )
            ]
        }
    )
    grounded = ground(answer, PAGE)
    text = feedback(grounded.problems)
    assert "events[0].people_using_service_quote is not in the page" in text
    assert "events[0].announced = True is not supported by its quote" in text
    assert text.rstrip().endswith("Every quote must be copied exactly from the page.")
    codes = {(i.code, i.field) for i in grounded.issues()}
    assert codes == {("quote_not_found", "people_using_service")}
    assert grounded.events[0].event.people_using_service == 25  # kept, without evidence
    assert "people_using_service" not in grounded.events[0].event.evidence
