"""The prompt templates, the answer schema, and the worked example held to the checker."""

from __future__ import annotations

import json
import re

import pytest
from pydantic import ValidationError
from stub_server import rules_answer

from extractor.checker import check_record
from extractor.document import Document
from extractor.llm.answer import PageAnswer, answer_from_extraction, schema_digest
from extractor.llm.grounding import ground
from extractor.llm.prompting import Prompt, document_in, document_in_messages
from extractor.reading.layout import find_event_starts
from extractor.records import Record
from extractor.rules import extract_events


def test_prompt_id_is_the_name_and_a_content_hash() -> None:
    prompt = Prompt.load()
    assert re.fullmatch(r"extract@[0-9a-f]{8}", prompt.id)
    assert Prompt.load().id == prompt.id
    for part in prompt.sources:
        edited = Prompt(prompt.name, {**prompt.sources, part: prompt.sources[part] + " "})
        assert edited.id != prompt.id, part


def test_the_document_is_data_never_a_template() -> None:
    text = "Overall: {{ Good }} {% if x %}\n{# not a comment #}"
    system, user = Prompt.load().messages(text)
    assert system["role"] == "system" and user["role"] == "user"
    assert document_in(user["content"]) == text
    assert "{{" not in system["content"]  # the example was inserted, not left as a template


def test_the_prompt_carries_the_field_definitions() -> None:
    system = Prompt.load().messages("x")[0]["content"]
    for needle in [
        "key questions",
        "capacity",
        "stars",
        "A review awards no rating",
        "Report from 8 May 2025 assessment",
        "the first day",
        "No arithmetic",
        "copy",
    ]:
        assert needle.lower() in system.lower(), needle


def test_parts_of_a_long_page_are_announced() -> None:
    user = Prompt.load().messages("abc", part=2, parts=3)[1]["content"]
    assert "part 2 of 3" in user and document_in(user) == "abc"
    assert "part" not in Prompt.load().messages("abc")[1]["content"].split("<document>")[0]


def test_a_misspelt_template_variable_is_an_error() -> None:
    from extractor.errors import InternalError

    prompt = Prompt.load()
    broken = Prompt(prompt.name, {**prompt.sources, "user": "{{ documnet }}"})
    with pytest.raises(InternalError, match="documnet"):
        broken.messages("x")


def test_the_document_is_found_in_a_conversation_with_reasks() -> None:
    messages = Prompt.load().messages("the page")
    messages += [{"role": "assistant", "content": "{}"}, {"role": "user", "content": "fix it"}]
    assert document_in_messages(messages) == "the page"
    assert document_in_messages([{"role": "user", "content": "no markers"}]) is None
    assert document_in_messages("not a list") is None


def test_the_worked_example_passes_the_checker() -> None:
    """The example taught to the model is held to the same checker as its answers."""
    prompt = Prompt.load()
    page = prompt.sources["example_page"]
    answer = PageAnswer.model_validate_json(prompt.sources["example_answer"])
    grounded = ground(answer, page, event_starts=[s.start for s in find_event_starts(page)])
    assert grounded.problems == [] and grounded.issues() == []
    record = Record(
        source="example",
        backend="openai",
        current_rating=grounded.current_rating,
        current_rating_evidence=grounded.current_rating_evidence,
        events=[g.event for g in grounded.events],
    )
    assert check_record(record, page) == []
    # and the rules read the example page the same way
    rules = answer_from_extraction(extract_events(Document.from_text(page)))
    assert rules.model_dump() == answer.model_dump()


# --- the answer schema ------------------------------------------------------------------------


def test_a_value_without_a_quote_is_kept_for_grounding_to_ask_for_one() -> None:
    answer = PageAnswer.model_validate(
        {"events": [{"kind": "inspection", "overall_rating": "Good"}]}
    )
    assert answer.events[0].overall_rating == "Good"
    assert answer.events[0].overall_rating_quote is None
    answer = PageAnswer.model_validate(
        {"current_rating": "Good", "current_rating_quote": " ", "events": []}
    )
    assert answer.current_rating == "Good" and answer.current_rating_quote is None


def test_an_answer_needs_an_events_list() -> None:
    with pytest.raises(ValidationError, match="events"):
        PageAnswer.model_validate({"current_rating": None})


def test_letter_case_of_ratings_and_kinds_is_forgiven_and_stray_quotes_dropped() -> None:
    answer = PageAnswer.model_validate_json(
        json.dumps(
            {
                "current_rating": "requires  IMPROVEMENT",
                "current_rating_quote": "Overall: Requires improvement",
                "events": [
                    {
                        "kind": "Inspection",
                        "previous_rating": "good",
                        "previous_rating_quote": "The last rating was good.",
                        "announced_quote": "a quote for a null value",
                        "notes": "extra keys are ignored",
                    }
                ],
            }
        ),
        strict=True,
    )
    assert answer.current_rating == "Requires improvement"
    event = answer.events[0]
    assert event.kind == "inspection" and event.previous_rating == "Good"
    assert event.announced_quote is None


def test_dates_must_be_iso_and_counts_whole() -> None:
    with pytest.raises(ValidationError):
        PageAnswer.model_validate_json(
            '{"events": [{"kind": "inspection", "date": "18 November 2019", "date_quote": "x"}]}',
            strict=True,
        )
    with pytest.raises(ValidationError):
        PageAnswer.model_validate_json(
            '{"events": [{"kind": "review", "people_using_service": -3, '
            '"people_using_service_quote": "x"}]}',
            strict=True,
        )


def test_schema_digest_is_stable_and_hex() -> None:
    assert re.fullmatch(r"[0-9a-f]{64}", schema_digest())
    assert schema_digest() == schema_digest()


def test_rules_answer_is_a_valid_answer() -> None:
    page = Prompt.load().sources["example_page"]
    answer = PageAnswer.model_validate_json(json.dumps(rules_answer(page)), strict=True)
    assert [e.kind for e in answer.events] == ["review", "inspection"]
