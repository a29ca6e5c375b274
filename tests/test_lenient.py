"""Answers read tolerantly (extractor.llm.lenient) with the project's own value readers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from extractor.llm.align import locate_elided
from extractor.llm.lenient import UnusableAnswer, find_json, read_page_answer, salvage
from extractor.reading.values import read_count, read_date

JAN_14 = dt.date(2020, 1, 14)


@pytest.mark.parametrize(
    "written",
    [
        "14 January 2020", "14/01/2020", "14th Jan 2020", "2020/01/14", "2020-01-14",
        "January 14, 2020", "Tuesday 14 January 2020", "2020-01-14T00:00:00Z", "14.01.2020",
        "14-01-2020", "01/14/2020", "14th of January 2020", "14 Jan. 2020",
    ],
)  # fmt: skip
def test_one_date_reader_for_pages_and_answers(written: str) -> None:
    assert read_date(written) == JAN_14


@pytest.mark.parametrize(
    "written", ["January 2020", "soon", "on 14 January 2020, again on 3 March 2021"]
)
def test_what_states_no_one_date_is_not_a_date(written: str) -> None:
    assert read_date(written) is None


@pytest.mark.parametrize(
    ("written", "count"),
    [("31", 31), ("31 people", 31), ("31.0", 31), ("thirty-one", 31), ("1,204", 1204),
     ("Thirty one people", 31), ("0", 0), ("30 to 35", None), ("31.5", None), ("-3", None)],
)  # fmt: skip
def test_counts(written: str, count: int | None) -> None:
    assert read_count(written) == count


def _event(answer: dict[str, Any]) -> dict[str, Any]:
    return read_page_answer(answer).events[0].model_dump()


def test_values_brought_to_their_types() -> None:
    event = _event(
        {
            "Events": [
                {
                    "Type": "Focused inspection",
                    "Date": {"value": "14th Jan 2020", "quote": "on 14 January 2020"},
                    "overallRating": "requires-improvement",
                    "overall rating quote": "q",
                    "people-using-service": 31.0,
                    "people_using_service_quote": "q",
                    "announced": "Yes",
                    "announced_quote": "q",
                    "previous_rating": "N/A",
                    "previous_rating_quote": "N/A",
                    "confidence": 0.9,
                }
            ]
        }
    )
    assert event["kind"] == "inspection" and event["date"] == JAN_14
    assert event["date_quote"] == "on 14 January 2020"
    assert event["overall_rating"] == "Requires improvement"
    assert event["people_using_service"] == 31 and event["announced"] is True
    assert event["previous_rating"] is None and event["previous_rating_quote"] is None


def test_a_value_that_cannot_be_read_is_null_with_a_note() -> None:
    answer = read_page_answer(
        {"events": [{"kind": "review", "date": "last spring", "date_quote": "x y"}]}
    )
    assert answer.events[0].date is None and answer.events[0].date_quote is None
    (note,) = answer.notes
    assert (note.event, note.field, note.written) == (0, "date", '"last spring"')


@pytest.mark.parametrize(
    "text",
    [
        'Here is the answer:\n```json\n{"events": []}\n```',
        'Sure! {"events": []} Hope this helps.',
        '```\n{"events": []}\n```',
        '{"PageAnswer": {"events": []}}',
    ],
)
def test_json_found_in_prose_fences_and_wrappers(text: str) -> None:
    assert read_page_answer(find_json(text)).events == []


@pytest.mark.parametrize(
    "data", [{}, {"type": "object", "properties": {}}, {"current_rating": "Good"}, [1, 2], "x"]
)
def test_an_answer_without_an_events_list_is_unusable(data: Any) -> None:
    with pytest.raises(UnusableAnswer):
        read_page_answer(data)


def test_a_cut_off_answer_is_salvaged_up_to_its_last_whole_event() -> None:
    text = '{"events": [{"kind": "review"}, {"kind": "inspection", "date": "2019-1'
    assert salvage(text) == {"events": [{"kind": "review"}]}
    assert salvage('{"events": [') is None


def test_an_elided_quote_is_matched_inside_one_event_only() -> None:
    text = "Inspection on 1 May 2019. The rating was good.\nReview on 2 June 2020. Data only."
    split = text.index("Review")
    regions = [(0, split), (split, len(text))]
    found = locate_elided(text, "Inspection on 1 May ... was good.", regions)
    assert found is not None and text[found.start : found.end] == text[:split].strip()
    assert found.how == "elided"
    # the two ends stand in different events' parts of the page: no match
    assert locate_elided(text, "The rating was good. ... Data only.", regions) is None
