"""Tests of extractor.checker: one test per issue code, on small records built by hand.

Each test starts from a record the checker accepts (no issue at all), breaks one thing, and
asserts the exact issue that follows: its code, its severity (always the one its code has), the
event and the field it points at. A record written by hand is checked exactly like one from the
rules; ``pipeline.recheck_record`` re-reads a JSONL line's source and checks it the same way.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest

from extractor import checker
from extractor.checker import CODES, check_event_values, check_record, has_errors
from extractor.document import Document
from extractor.pipeline import extract_document, recheck_record
from extractor.records import Event, Evidence, Issue, Record
from extractor.rules import RulesBackend, extract_events

D = dt.date
TODAY = D(2026, 1, 1)

#: The severities the contract documents: ``error`` where a value is not supported by the text,
#: ``warning`` where it is only suspicious (``shared/docs/interface.md``, ``domain.md``).
DOCUMENTED = {
    "evidence_missing": "error",
    "evidence_unexpected": "warning",
    "offsets_mismatch": "error",
    "quote_boundary": "error",
    "quote_not_found": "error",
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

TEXT = """Overall: Good

Inspection carried out on 18 November 2019

During a routine inspection

The last rating for this service was requires improvement (published 24 September 2018). The overall rating for the service has changed from requires improvement to good. At the time of inspection 39 people were using the service. This inspection was unannounced.
Safe: Requires improvement
The service is registered to provide care for up to 60 people. We spoke with 10 people.
Updated 2 February 2023

Inspection carried out on 31 October 2018

During a routine inspection

The inspection was announced 24 hours earlier as the service is small. The service was supporting 35 people.
"""

LAST = "The last rating for this service was requires improvement (published 24 September 2018)."
CHANGED = "The overall rating for the service has changed from requires improvement to good."


def at(quote: str, text: str = TEXT) -> Evidence:
    """Evidence for the first occurrence of ``quote`` in ``text``."""
    start = text.index(quote)
    return Evidence(quote=quote, start=start, end=start + len(quote))


def first_event(**changes: Any) -> Event:
    values: dict[str, Any] = {
        "kind": "inspection",
        "date": D(2019, 11, 18),
        "overall_rating": "Good",
        "previous_rating": "Requires improvement",
        "previous_rating_published": D(2018, 9, 24),
        "people_using_service": 39,
        "announced": False,
        "evidence": {
            "date": at("Inspection carried out on 18 November 2019"),
            "overall_rating": at(CHANGED),
            "previous_rating": at(LAST),
            "previous_rating_published": at(LAST),
            "people_using_service": at(
                "At the time of inspection 39 people were using the service."
            ),
            "announced": at("This inspection was unannounced."),
        },
    }
    values.update(changes)
    return Event(**values)


def second_event(**changes: Any) -> Event:
    values: dict[str, Any] = {
        "kind": "inspection",
        "date": D(2018, 10, 31),
        "people_using_service": 35,
        "announced": True,
        "evidence": {
            "date": at("Inspection carried out on 31 October 2018"),
            "people_using_service": at("The service was supporting 35 people."),
            "announced": at(
                "The inspection was announced 24 hours earlier as the service is small."
            ),
        },
    }
    values.update(changes)
    return Event(**values)


def record(*events: Event, **kw: Any) -> Record:
    fields: dict[str, Any] = {
        "source": "page.txt",
        "backend": "hand",
        "current_rating": "Good",
        "current_rating_evidence": at("Overall: Good"),
    }
    fields.update(kw)
    return Record(events=list(events), **fields)


def good_record() -> Record:
    return record(first_event(), second_event())


def with_evidence(event: Event, name: str, ev: Evidence | None) -> Event:
    evidence = {k: v for k, v in event.evidence.items() if k != name}
    if ev is not None:
        evidence[name] = ev  # type: ignore[index]
    return event.model_copy(update={"evidence": evidence})


def found(issues: list[Issue]) -> set[tuple[str, str, int | None, str | None]]:
    for i in issues:
        assert i.severity == CODES[i.code], i  # every issue has its code's severity
        assert i.message
    return {(i.code, i.severity, i.event, i.field) for i in issues}


def check(r: Record, text: str | None = TEXT) -> set[tuple[str, str, int | None, str | None]]:
    return found(check_record(r, text, today=TODAY))


# --- the baseline and the contract -------------------------------------------------------------


def test_codes_have_their_documented_severity() -> None:
    assert {code: CODES.get(code) for code in DOCUMENTED} == DOCUMENTED
    assert set(CODES.values()) == {"error", "warning"}


def test_a_correct_record_has_no_issue() -> None:
    assert check(good_record()) == set()


def test_a_hand_written_record_is_checked_exactly_like_the_rules_record() -> None:
    rules = extract_events(Document.from_text(TEXT))
    produced = record(
        *rules.events,
        backend="rules",
        current_rating=rules.current_rating,
        current_rating_evidence=rules.current_rating_evidence,
    )
    by_hand = good_record()
    # the same values and the same evidence, whoever wrote them
    assert [e.model_dump() for e in produced.events] == [e.model_dump() for e in by_hand.events]
    assert check(produced) == check(by_hand) == set()
    # the same edit gives the same issues on both
    edit = {"people_using_service": 40}
    e1 = produced.model_copy(
        update={"events": [produced.events[0].model_copy(update=edit), produced.events[1]]}
    )
    e2 = record(first_event(**edit), second_event())
    assert check(e1) == check(e2) == {("value_mismatch", "error", 0, "people_using_service")}


def test_a_record_edited_as_json_is_checked_like_any_other() -> None:
    data = json.loads(good_record().to_json())
    data["events"][0]["overall_rating"] = "Outstanding"
    data["backend"] = "someone-else"
    edited = Record.model_validate(data)
    assert check(edited) == {("value_mismatch", "error", 0, "overall_rating")}


# --- presence ----------------------------------------------------------------------------------


def test_evidence_missing() -> None:
    r = record(with_evidence(first_event(), "people_using_service", None), second_event())
    assert check(r) == {("evidence_missing", "error", 0, "people_using_service")}
    r = record(first_event(), second_event(), current_rating_evidence=None)
    assert check(r) == {("evidence_missing", "error", None, "current_rating")}


def test_evidence_unexpected() -> None:
    r = record(first_event(), second_event(overall_rating=None))
    r.events[1].evidence["overall_rating"] = at("The service was supporting 35 people.")
    assert check(r) == {("evidence_unexpected", "warning", 1, "overall_rating")}
    r = record(first_event(), second_event(), current_rating=None)
    assert check(r) == {("evidence_unexpected", "warning", None, "current_rating")}


# --- grounding ---------------------------------------------------------------------------------


def test_offsets_mismatch() -> None:
    ev = at("This inspection was unannounced.")
    moved = Evidence(quote=ev.quote, start=ev.start + 3, end=ev.end + 3)
    r = record(with_evidence(first_event(), "announced", moved), second_event())
    assert check(r) == {("offsets_mismatch", "error", 0, "announced")}


def test_offsets_mismatch_when_only_the_white_space_differs() -> None:
    ev = at("This inspection was unannounced.")
    spaced = Evidence(quote="This  inspection was\nunannounced.", start=ev.start, end=ev.end)
    r = record(with_evidence(first_event(), "announced", spaced), second_event())
    assert check(r) == {("offsets_mismatch", "error", 0, "announced")}


def test_quote_not_found() -> None:
    ev = at(CHANGED)
    made_up = Evidence(
        quote="The overall rating for this service is Good.", start=ev.start, end=ev.end
    )
    r = record(with_evidence(first_event(), "overall_rating", made_up), second_event())
    assert check(r) == {("quote_not_found", "error", 0, "overall_rating")}


def test_quote_past_the_end_of_the_text() -> None:
    n = len(TEXT)
    past = Evidence(quote="Overall: Good", start=n + 10, end=n + 23)
    r = record(first_event(), second_event(), current_rating_evidence=past)
    assert check(r) == {("offsets_mismatch", "error", None, "current_rating")}


# --- support -----------------------------------------------------------------------------------


def test_value_not_in_quote() -> None:
    r = record(
        with_evidence(
            first_event(), "people_using_service", at("This inspection was unannounced.")
        ),
        second_event(),
    )
    assert check(r) == {("value_not_in_quote", "error", 0, "people_using_service")}
    r = record(
        with_evidence(first_event(), "date", at("During a routine inspection")), second_event()
    )
    assert check(r) == {("value_not_in_quote", "error", 0, "date")}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("date", D(2019, 11, 19)),
        ("date", D(2018, 11, 18)),
        ("overall_rating", "Outstanding"),
        ("previous_rating", "Good"),
        ("previous_rating_published", D(2018, 9, 25)),
        ("people_using_service", 38),
        ("announced", True),
    ],
)
def test_value_mismatch(field: str, value: Any) -> None:
    r = record(first_event(**{field: value}), second_event())
    assert check(r) == {("value_mismatch", "error", 0, field)}


def test_value_mismatch_on_the_current_rating() -> None:
    r = record(first_event(), second_event(), current_rating="Outstanding")
    assert check(r) == {("value_mismatch", "error", None, "current_rating")}


# --- role --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "quote"),
    [
        ("overall_rating", "Requires improvement", "Safe: Requires improvement"),
        ("overall_rating", "Requires improvement", LAST),  # the rating before this event
        ("people_using_service", 60, "up to 60 people"),
        (
            "people_using_service",
            60,
            "The service is registered to provide care for up to 60 people.",
        ),
        ("people_using_service", 10, "We spoke with 10 people."),
        ("date", D(2023, 2, 2), "Updated 2 February 2023"),
        ("date", D(2018, 9, 24), LAST),  # a publication date as the event's date
        (
            "previous_rating_published",
            D(2019, 11, 18),
            "Inspection carried out on 18 November 2019",
        ),
    ],
    ids=[
        "overall-from-key-question",
        "overall-from-last-rating",
        "people-from-capacity-phrase",
        "people-from-capacity-sentence",
        "people-from-sample",
        "date-from-updated",
        "date-from-published",
        "published-from-headline",
    ],
)
def test_wrong_role(field: str, value: Any, quote: str) -> None:
    event = with_evidence(first_event(**{field: value}), field, at(quote))
    got = check(record(event, second_event()))
    assert ("wrong_role", "error", 0, field) in got
    # nothing else is said of the value itself (a consistency issue may follow from it)
    on_field = {code for code, _, e, f in got if (e, f) == (0, field)}
    assert on_field <= {"wrong_role", "published_not_before_event"}


def test_wrong_role_for_the_current_rating() -> None:
    text = (
        "The service requires improvement in how medicines are recorded, and staff need more "
        "training in the safe handling of controlled drugs."
    )
    r = Record(
        source="x.txt",
        backend="hand",
        current_rating="Requires improvement",
        current_rating_evidence=at(text, text),
    )
    assert check(r, text) == {("wrong_role", "error", None, "current_rating")}


@pytest.mark.parametrize(
    ("rating", "quote"),
    [("Requires improvement", "Safe: Requires improvement"), ("Good", "Good governance")],
)
def test_wrong_role_for_a_current_rating_from_a_key_question(rating: str, quote: str) -> None:
    text = f"{quote}\n\nWe visited the service.\n"
    r = Record(
        source="x.txt",
        backend="hand",
        current_rating=rating,
        current_rating_evidence=at(quote, text),
    )
    assert ("wrong_role", "error", None, "current_rating") in check(r, text)


# --- consistency within an event ---------------------------------------------------------------

REVIEW = """Review carried out on 9 September 2021

During a monthly review of our data

We did not find evidence that we need to carry out an inspection or reassess our rating at this stage. The service remains Good.
"""


def test_review_rated() -> None:
    x = extract_events(Document.from_text(REVIEW))
    (review,) = x.events
    assert review.kind == "review" and review.overall_rating is None
    clean = Record(source="r.txt", backend="rules", events=[review])
    assert check(clean, REVIEW) == set()
    rated = review.model_copy(
        update={
            "overall_rating": "Good",
            "evidence": {
                **review.evidence,
                "overall_rating": at("The service remains Good.", REVIEW),
            },
        }
    )
    r = Record(source="r.txt", backend="hand", events=[rated])
    assert check(r, REVIEW) == {("review_rated", "error", 0, "overall_rating")}


def test_published_not_before_event() -> None:
    # the event's date is a day before the previous report's publication (both quotes agree)
    text = "Inspection carried out on 23 September 2018\n\nThe last rating for this service was good (published 24 September 2018).\n"
    last = "The last rating for this service was good (published 24 September 2018)."
    event = Event(
        kind="inspection",
        date=D(2018, 9, 23),
        previous_rating="Good",
        previous_rating_published=D(2018, 9, 24),
        evidence={
            "date": at("Inspection carried out on 23 September 2018", text),
            "previous_rating": at(last, text),
            "previous_rating_published": at(last, text),
        },
    )
    r = Record(source="p.txt", backend="hand", events=[event])
    assert check(r, text) == {
        ("published_not_before_event", "error", 0, "previous_rating_published")
    }
    # published on the very day of the event is not before it either
    same_day = text.replace("23 September", "24 September", 1)
    event = event.model_copy(
        update={
            "date": D(2018, 9, 24),
            "evidence": {
                **event.evidence,
                "date": at("Inspection carried out on 24 September 2018", same_day),
            },
        }
    )
    r = Record(source="p.txt", backend="hand", events=[event])
    assert check(r, same_day) == {
        ("published_not_before_event", "error", 0, "previous_rating_published")
    }


def test_date_in_future() -> None:
    r = good_record()
    issues = found(check_record(r, TEXT, today=D(2019, 11, 17)))
    assert issues == {("date_in_future", "error", 0, "date")}
    issues = found(check_record(r, TEXT, today=D(2018, 9, 1)))
    assert issues == {
        ("date_in_future", "error", 0, "date"),
        ("date_in_future", "error", 0, "previous_rating_published"),
        ("date_in_future", "error", 1, "date"),
    }
    assert found(check_record(r, TEXT, today=D(2019, 11, 18))) == set()


# --- consistency between events ----------------------------------------------------------------

TWO = """Inspection carried out on 4 April 2019

During a routine inspection

The last rating for this service was requires improvement (published 2 June 2018). We found a breach of Regulation 12 (Safe care and treatment). The service is now rated good.

Inspection carried out on 1 May 2018

During a routine inspection

Overall rating for this service: Good
"""


def test_previous_rating_inconsistent_and_breach_with_good_rating() -> None:
    x = extract_events(Document.from_text(TWO))
    assert [e.values()["overall_rating"] for e in x.events] == ["Good", "Good"]
    assert x.events[0].previous_rating == "Requires improvement"
    r = Record(source="two.txt", backend="rules", events=x.events)
    assert check(r, TWO) == {
        ("previous_rating_inconsistent", "warning", 0, "previous_rating"),
        ("breach_with_good_rating", "warning", 0, "overall_rating"),
    }
    assert not has_errors(check_record(r, TWO, today=TODAY))


def test_no_breach_warning_when_the_breach_is_over() -> None:
    text = TWO.replace("We found a breach", "The provider was no longer in breach")
    x = extract_events(Document.from_text(text))
    r = Record(source="two.txt", backend="rules", events=x.events)
    assert ("breach_with_good_rating", "warning", 0, "overall_rating") not in check(r, text)


def test_duplicate_event() -> None:
    r = record(first_event(), second_event(), second_event())
    assert check(r) == {("duplicate_event", "warning", 2, "date")}
    # the same date for a review and an inspection is no duplicate
    headline = first_event().evidence["date"]
    review = Event(kind="review", date=D(2019, 11, 18), evidence={"date": headline})
    assert not any(code == "duplicate_event" for code, *_ in check(record(first_event(), review)))


def test_outside_event() -> None:
    # event 0's 'announced' quoted from event 1's part of the page: true words, wrong event
    elsewhere = at("The inspection was announced 24 hours earlier as the service is small.")
    r = record(with_evidence(first_event(announced=True), "announced", elsewhere), second_event())
    assert check(r) == {("outside_event", "warning", 0, "announced")}
    # with no headlines to tell the events' parts apart, there is nothing to say
    single = record(with_evidence(first_event(announced=True), "announced", elsewhere))
    assert check(single) == set()


# --- roles: the checker's own judgement, stricter than the readers ----------------------------

#: A page whose rating sentences the readers all accept as overall ratings; only the role
#: judgement (time, scope, place) tells which of them are this event's.
ROLE_TEXT = """Overall: Good

Inspection carried out on 18 November 2019

During an inspection of Maternity

We carried out an announced comprehensive inspection at Hill Surgery on 5 April 2016. The overall rating for the practice was good.
Our rating of this service stayed the same. We rated it as requires improvement because:
Across the wards, care remains good.

Inspection carried out on 5 April 2016

During a routine inspection

Overall, the practice is rated as good.
"""


def role_event(quote: str, rating: str, **changes: Any) -> Event:
    values: dict[str, Any] = {
        "kind": "inspection",
        "date": D(2019, 11, 18),
        "overall_rating": rating,
        "evidence": {
            "date": at("Inspection carried out on 18 November 2019", ROLE_TEXT),
            "overall_rating": at(quote, ROLE_TEXT),
        },
    }
    values.update(changes)
    return Event(**values)


def role_check(*events: Event) -> set[tuple[str, str, int | None, str | None]]:
    r = Record(source="page.txt", backend="hand", events=list(events))
    return found(check_record(r, ROLE_TEXT, today=TODAY))


def test_rating_time_an_earlier_inspections_rating() -> None:
    # the sentence before dates the rating to 2016, years before this event
    quote = "The overall rating for the practice was good."
    assert checker.read_overall_rating(quote) is not None  # the readers accept it
    assert role_check(role_event(quote, "Good")) == {("rating_time", "error", 0, "overall_rating")}


def test_rating_scope_a_core_services_rating() -> None:
    # "it" is the core service this report is about ("During an inspection of Maternity")
    quote = "We rated it as requires improvement because:"
    assert checker.read_overall_rating(quote) is not None
    assert role_check(role_event(quote, "Requires improvement")) == {
        ("rating_scope", "error", 0, "overall_rating")
    }


def test_rating_role_unclear_is_a_warning() -> None:
    quote = "Across the wards, care remains good."
    assert role_check(role_event(quote, "Good")) == {
        ("rating_role_unclear", "warning", 0, "overall_rating")
    }


def test_rating_other_event_under_another_headline() -> None:
    quote = "Overall, the practice is rated as good."
    assert role_check(role_event(quote, "Good")) == {
        ("rating_other_event", "error", 0, "overall_rating")
    }
    # the same quote, as the earlier event's own rating, is right
    own = role_event(
        quote,
        "Good",
        date=D(2016, 4, 5),
        evidence={
            "date": at("Inspection carried out on 5 April 2016", ROLE_TEXT),
            "overall_rating": at(quote, ROLE_TEXT),
        },
    )
    assert role_check(own) == set()


def test_rating_other_event_from_the_page_header() -> None:
    # a rating quoted from above the first headline is the page's, not an event's
    e = first_event(evidence={**first_event().evidence, "overall_rating": at("Overall: Good")})
    assert ("rating_other_event", "error", 0, "overall_rating") in check(record(e, second_event()))


def test_rating_from_header() -> None:
    e = first_event(evidence={**first_event().evidence, "overall_rating": at("Overall: Good")})
    assert ("rating_from_header", "error", 0, "overall_rating") in check(record(e, second_event()))
    # also on a page without headlines
    text = "Overall: Good\n\nThe service was supporting 35 people.\n"
    lone = Event(
        kind="inspection",
        overall_rating="Good",
        evidence={"overall_rating": at("Overall: Good", text)},
    )
    assert check(record(lone, current_rating=None, current_rating_evidence=None), text) == {
        ("rating_from_header", "error", 0, "overall_rating")
    }


def test_a_previous_rating_stated_as_this_events_own_is_rating_time() -> None:
    found_ = checker._verdict(
        "previous_rating", checker.Role("Good", "this", "whole", "'at this inspection'")
    )
    assert found_ is not None and (found_[0], CODES[found_[0]]) == ("rating_time", "error")


def test_kind_mismatch() -> None:
    # a review by its headline, given as an inspection (and the other way round)
    text = TEXT.replace(
        "Inspection carried out on 31 October 2018", "Review carried out on 31 October 2018"
    )
    e1 = second_event(
        evidence={
            k: at(v.quote.replace("Inspection", "Review"), text)
            for k, v in second_event().evidence.items()
        }
    )
    assert check(record(first_event(), e1), text) == {("kind_mismatch", "error", 1, "kind")}
    assert check(record(first_event(), second_event(kind="review"))) == {
        ("kind_mismatch", "error", 1, "kind")
    }


def test_events_merged() -> None:
    # event 0 takes two of event 1's values: two events in one
    ev = {
        **first_event().evidence,
        "people_using_service": at("The service was supporting 35 people."),
        "announced": at("The inspection was announced 24 hours earlier as the service is small."),
    }
    r = record(first_event(people_using_service=35, announced=True, evidence=ev), second_event())
    assert check(r) == {
        ("events_merged", "error", 0, None),
        ("outside_event", "warning", 0, "people_using_service"),
        ("outside_event", "warning", 0, "announced"),
    }


# --- the source --------------------------------------------------------------------------------


def test_source_unavailable() -> None:
    r = good_record()
    assert check(r, None) == {("source_unavailable", "error", None, None)}
    # without the text, the consistency checks still run, and only they
    bad = record(
        first_event(date=D(2018, 9, 1), evidence={}),  # no evidence: cannot be checked anyway
        second_event(),
    )
    issues = check(bad, None)
    assert ("source_unavailable", "error", None, None) in issues
    assert ("published_not_before_event", "error", 0, "previous_rating_published") in issues
    assert ("evidence_missing", "error", 0, "date") in issues
    assert not any(code in ("value_mismatch", "quote_not_found") for code, *_ in issues)


def test_a_record_with_an_error_is_not_checked() -> None:
    r = record(first_event(people_using_service=1), error={"type": "x", "message": "y"})
    assert check_record(r, TEXT) == []


def test_check_event_values_alone() -> None:
    event = first_event(people_using_service=40)
    assert found(check_event_values(event, TEXT, 3)) == {
        ("value_mismatch", "error", 3, "people_using_service")
    }
    assert check_event_values(event, None, 3) == []


# --- recheck_record: a JSONL line against its re-read source -------------------------------------


@pytest.fixture
def extracted(tmp_path: Path) -> tuple[Path, str]:
    page = tmp_path / "page.txt"
    page.write_text(TEXT, encoding="utf-8")
    rec = extract_document(page, RulesBackend())
    assert rec.error is None and not has_errors(rec.issues)
    rec = rec.model_copy(update={"source": "page.txt"})
    return tmp_path, rec.to_json()


def codes_of(issues: list[Issue]) -> set[tuple[str, str, int | None, str | None]]:
    return {(i.code, i.severity, i.event, i.field) for i in issues if i.code != "date_in_future"}


def test_recheck_an_untouched_line(extracted: tuple[Path, str]) -> None:
    base, line = extracted
    rec, issues = recheck_record(line, [base])
    assert rec is not None and issues == []


def test_recheck_a_hand_edited_line(extracted: tuple[Path, str]) -> None:
    base, line = extracted
    data = json.loads(line)
    data["events"][0]["people_using_service"] = 93
    data["events"][1]["evidence"]["announced"]["start"] += 1
    data["issues"] = [{"code": "stale", "severity": "warning", "message": "replaced"}]
    rec, issues = recheck_record(json.dumps(data), [base])
    assert rec is not None and rec.events[0].people_using_service == 93
    assert codes_of(issues) == {
        ("value_mismatch", "error", 0, "people_using_service"),
        ("offsets_mismatch", "error", 1, "announced"),
    }


@pytest.mark.parametrize(
    "line",
    [
        "not json at all",
        '{"source": "page.txt"}',  # no backend
        '{"source": "page.txt", "backend": "rules", "events": [{"kind": "visit"}]}',
        '{"source": "page.txt", "backend": "rules", "current_rating": "Very good"}',
    ],
    ids=["not-json", "missing-field", "bad-kind", "bad-rating"],
)
def test_recheck_an_invalid_line(extracted: tuple[Path, str], line: str) -> None:
    base, _ = extracted
    rec, issues = recheck_record(line, [base], where="out.jsonl:3")
    assert rec is None
    assert [(i.code, i.severity) for i in issues] == [("record_invalid", "error")]
    assert "out.jsonl:3" in issues[0].message


def test_recheck_when_the_source_changed(extracted: tuple[Path, str]) -> None:
    base, line = extracted
    # one more line at the top: the bytes change, and every offset after it moves
    (base / "page.txt").write_text("Archived location\n" + TEXT, encoding="utf-8")
    rec, issues = recheck_record(line, [base])
    assert rec is not None
    got = codes_of(issues)
    assert ("source_changed", "warning", None, None) in got
    assert ("offsets_mismatch", "error", 0, "date") in got


def test_recheck_when_the_source_changed_but_offsets_still_hold(
    extracted: tuple[Path, str],
) -> None:
    base, line = extracted
    (base / "page.txt").write_text(TEXT + "\nMore text at the end.\n", encoding="utf-8")
    _, issues = recheck_record(line, [base])
    assert codes_of(issues) == {("source_changed", "warning", None, None)}


def test_recheck_when_the_source_is_gone(extracted: tuple[Path, str]) -> None:
    base, line = extracted
    (base / "page.txt").unlink()
    rec, issues = recheck_record(line, [base])
    assert rec is not None
    assert codes_of(issues) == {("source_unavailable", "error", None, None)}


# --- quote boundaries and earlier dates ----------------------------------------------------------


@pytest.mark.parametrize(
    ("start_shift", "end_shift"),
    [(0, -3), (2, 0), (0, 1)],
    ids=["ends-inside-a-word", "starts-inside-a-word", "ends-with-white-space-or-inside-next-word"],
)
def test_quote_boundary_for_a_truncated_or_padded_quote(start_shift: int, end_shift: int) -> None:
    good = at("This inspection was unannounced.")
    start, end = good.start + start_shift, good.end + end_shift
    ev = Evidence(quote=TEXT[start:end], start=start, end=end)
    r = record(with_evidence(first_event(), "announced", ev), second_event())
    assert ("quote_boundary", "error", 0, "announced") in check(r)


def test_a_whole_word_quote_is_not_a_boundary_issue() -> None:
    ev = at("This inspection was unannounced")  # no full stop: still whole words
    r = record(with_evidence(first_event(), "announced", ev), second_event())
    assert check(r) == set()


def test_wrong_role_for_the_date_of_an_earlier_inspection() -> None:
    text = "At our last inspection on 3 May 2017 we rated the service good.\nAt this inspection we found improvements."
    quote = "At our last inspection on 3 May 2017 we rated the service good."
    event = Event(kind="inspection", date=D(2017, 5, 3), evidence={"date": at(quote, text)})
    assert check(record(event, current_rating=None, current_rating_evidence=None), text) == {
        ("wrong_role", "error", 0, "date")
    }


# --- every code is tested ----------------------------------------------------------------------


def emitted_codes() -> set[str]:
    """The codes that the checker and ``recheck_record`` emit (``CODES`` also lists codes that
    other parts of the package report with the same severities)."""
    root = Path(checker.__file__).parent
    checker_src = (root / "checker.py").read_text(encoding="utf-8")
    body = checker_src[checker_src.index("def issue(") :]  # past the CODES table
    body += (root / "pipeline.py").read_text(encoding="utf-8")
    return {code for code in CODES if f'"{code}"' in body}


def test_every_code_the_checker_emits_has_a_test_here() -> None:
    emitted = emitted_codes()
    assert emitted >= set(DOCUMENTED)
    source = Path(__file__).read_text(encoding="utf-8")
    tests = source[source.index("# --- the baseline") :]
    untested = [c for c in emitted if not re.search(rf'\("{c}", "(?:error|warning)"', tests)]
    assert untested == []


KEPT_TEXT = """Inspection carried out on 4 June 2021

At our last inspection the service was given a rating of good overall. After this inspection, \
the service has retained this rating.

At our last inspection the home was rated requires improvement overall. Staff were kind.
"""


def test_an_earlier_rating_kept_by_this_event_is_this_events_too() -> None:
    def check(quote: str, rating: str) -> set[tuple[str, str, int | None, str | None]]:
        event = Event(
            kind="inspection",
            date=D(2021, 6, 4),
            overall_rating=rating,
            evidence={
                "date": at("Inspection carried out on 4 June 2021", KEPT_TEXT),
                "overall_rating": at(quote, KEPT_TEXT),
            },
        )
        r = Record(source="page.txt", backend="hand", events=[event])
        return {f for f in found(check_record(r, KEPT_TEXT, today=TODAY)) if f[1] == "error"}

    kept = (
        "At our last inspection the service was given a rating of good overall. After this "
        "inspection, the service has retained this rating."
    )
    assert check(kept, "Good") == set()
    not_kept = "At our last inspection the home was rated requires improvement overall."
    flagged = check(not_kept, "Requires improvement")
    assert {(e, f) for _, _, e, f in flagged} == {(0, "overall_rating")}
    assert {code for code, *_ in flagged} <= {"rating_time", "wrong_role"}


# --- issue 11, blind real set: roles the first checker missed ------------------------------------


def rating_errors(
    text: str, quote: str, rating: str, *, date: dt.date | None, field: str = "overall_rating"
) -> set[str]:
    """The error codes on ``field`` of a one-event record rating ``rating`` from ``quote``."""
    evidence = {field: at(quote, text)}
    event = Event(kind="inspection", date=date, evidence=evidence, **{field: rating})
    r = Record(source="page.txt", backend="hand", events=[event])
    return {
        i.code
        for i in check_record(r, text, today=TODAY)
        if i.severity == "error" and i.field == field
    }


KQ_SECTION = """Report from 5 December 2024 assessment
Contents
- Overview
Well-led
At our last inspection, we rated this key question as good. At this assessment, the rating has \
changed to requires improvement. We found the service to be in breach of Regulation 17.
"""
WHOLE_SECTION = """Report from 5 December 2024 assessment
Overview
The service was previously rated requires improvement. At this assessment the rating has changed \
to inadequate, and the service is now in special measures.
"""
HEADING_ONLY = """Report from 5 December 2024 assessment
Safe

At this assessment, the rating has changed to good. Staff managed risks well.
"""


@pytest.mark.parametrize(
    "quote",
    [
        "At this assessment, the rating has changed to requires improvement.",
        "the rating has changed to requires improvement",
        "At our last inspection, we rated this key question as good. At this assessment, the "
        "rating has changed to requires improvement.",
    ],
    ids=["sentence", "clause", "two-sentences"],
)
def test_a_key_questions_section_of_an_assessment_rates_the_key_question(quote: str) -> None:
    got = rating_errors(KQ_SECTION, quote, "Requires improvement", date=D(2024, 12, 5))
    assert got == {"rating_scope"}


def test_the_rating_of_a_key_question_named_only_by_its_heading() -> None:
    quote = "At this assessment, the rating has changed to good."
    assert rating_errors(HEADING_ONLY, quote, "Good", date=D(2024, 12, 5)) == {"rating_scope"}


def test_the_rating_of_the_service_in_an_assessment_is_the_whole() -> None:
    quote = "At this assessment the rating has changed to inadequate"
    assert rating_errors(WHOLE_SECTION, quote, "Inadequate", date=D(2024, 12, 5)) == set()


WARD_PAGE = """11-12 April 2022

During an inspection looking at part of the service

Hooper Ward at Cygnet Hospital Beckton provides psychiatric intensive care for adults of working \
age. Our rating of this service improved. We rated it as good.

  • The service provided safe care.
"""
HOME_PAGE = """22 and 23 March 2023

During an inspection looking at part of the service

Rose House is a care home for up to 6 people with a learning disability.

Our rating of this service stayed the same. We rated it as inadequate because:
"""


@pytest.mark.parametrize(
    "quote", ["We rated it as good.", "Our rating of this service improved. We rated it as good."]
)
def test_this_service_of_a_ward_report_is_the_ward(quote: str) -> None:
    assert rating_errors(WARD_PAGE, quote, "Good", date=D(2022, 4, 11)) == {"rating_scope"}


def test_this_service_of_a_care_home_report_is_the_home() -> None:
    quote = "We rated it as inadequate"
    assert rating_errors(HOME_PAGE, quote, "Inadequate", date=D(2023, 3, 22)) == set()


GP_LETTER = """Letter from the Chief Inspector of General Practice
We carried out a desk top review of The New Surgery on 22 July 2016. This was to check the \
practice had responded appropriately the findings of their announced comprehensive inspection \
conducted on 20 January 2016. At this inspection the practice was rated as good overall, good \
for safe, effective, caring and well led domains.
"""
CONTRAST = """We carried out an announced inspection on 22 July 2016. We previously inspected the \
practice on 20 January 2016. At this inspection the practice was rated as good overall.
"""


@pytest.mark.parametrize("date", [D(2016, 7, 22), None], ids=["dated-event", "undated-event"])
@pytest.mark.parametrize(
    "quote",
    [
        "At this inspection the practice was rated as good overall",
        "the practice was rated as good overall",
    ],
    ids=["sentence", "clause"],
)
def test_this_inspection_after_a_dated_earlier_one_is_that_one(
    date: dt.date | None, quote: str
) -> None:
    assert rating_errors(GP_LETTER, quote, "Good", date=date) == {"rating_time"}
    # as the previous rating it is right
    assert rating_errors(GP_LETTER, quote, "Good", date=date, field="previous_rating") == set()


def test_this_inspection_after_a_past_one_is_this_events() -> None:
    quote = "At this inspection the practice was rated as good overall."
    assert rating_errors(CONTRAST, quote, "Good", date=D(2016, 7, 22)) == set()
    assert rating_errors(CONTRAST, quote, "Good", date=None) == set()


CUT = """We carried out an announced comprehensive inspection at The Medical Centre on 21 March 2016. \
The overall rating for the practice was requires improvement. We have revised the overall rating \
for the practice, which is now good.
"""


@pytest.mark.parametrize(
    ("field", "rating", "quote"),
    [
        ("overall_rating", "Good", "which is now good."),
        (
            "overall_rating",
            "Good",
            "We have revised the overall rating for the practice, which is now good.",
        ),
        (
            "previous_rating",
            "Requires improvement",
            "The overall rating for the practice was requires improvement.",
        ),
        (
            "previous_rating",
            "Requires improvement",
            "We carried out an announced comprehensive inspection at The Medical Centre on 21 March "
            "2016. The overall rating for the practice was requires improvement.",
        ),
    ],
    ids=["clause", "sentence", "dated-by-the-sentence-before", "two-sentences"],
)
def test_a_quote_is_judged_by_its_sentence_whatever_its_length(
    field: str, rating: str, quote: str
) -> None:
    assert rating_errors(CUT, quote, rating, date=D(2017, 5, 2), field=field) == set()


# --- issue 11, third real set: a narrated previous rating, "for the provision of", a subject
# --- after another clause's rating --------------------------------------------------------------

#: the codes a part's rating may carry: the readers' own, or the role judge's
PART_CODES = {"wrong_role", "rating_scope"}

PROVISION = """At the last inspection of The Clinic in January 2020 we rated the service requires \
improvement overall. We rated the key question of well-led as inadequate. The practice was rated \
as good for the provision of effective, caring and responsive services.
"""


@pytest.mark.parametrize(
    "quote",
    [
        "The practice was rated as good for the provision of effective, caring and responsive "
        "services.",
        "good for the provision of effective",
    ],
    ids=["sentence", "tight"],
)
@pytest.mark.parametrize("field", ["overall_rating", "previous_rating"])
def test_a_rating_for_the_provision_of_key_questions_is_a_parts(quote: str, field: str) -> None:
    got = rating_errors(PROVISION, quote, "Good", date=D(2020, 11, 9), field=field)
    # the readers, or failing them the role judge, see the key questions
    assert got and got <= PART_CODES


NARRATED = """11 Mar 2020
During a routine inspection
This service is rated as Good overall.
We carried out an announced comprehensive inspection at The Walk-in Centre on 20 November 2018. \
Following our inspection, we rated the practice requires improvement overall and also for the \
Safe, Effective and Well-led key questions. At our inspection in November 2018, we identified \
concerns.
"""
NARRATED_THEN_LATER = NARRATED.replace(
    "concerns.\n",
    "concerns.\nWe carried out a further announced inspection on 2 May 2019, when the practice "
    "was rated as inadequate overall.\n",
)
NARRATED_QUOTE = (
    "We carried out an announced comprehensive inspection at The Walk-in Centre on 20 November "
    "2018. Following our inspection, we rated the practice requires improvement overall and also "
    "for the Safe, Effective and Well-led key questions."
)


def test_a_narrated_earlier_whole_rating_is_the_previous_rating() -> None:
    """The readers do not know "Following our inspection, we rated the practice R overall and
    also for ... key questions" after a sentence dating the inspection; the role judge does:
    an earlier inspection's (dated long before the event), the whole practice's (with its parts
    named after "and also for"). Its clear judgement stands against the readers' wrong_role."""
    date = D(2020, 3, 11)
    ri = "Requires improvement"
    assert rating_errors(NARRATED, NARRATED_QUOTE, ri, date=date, field="previous_rating") == set()
    assert rating_errors(NARRATED, NARRATED_QUOTE, ri, date=date) != set()


def test_a_narrated_rating_followed_by_a_later_rated_inspection_is_not_the_previous() -> None:
    """Where the page goes on to tell of a later rated inspection before the event, the quoted
    one is not the last rating before the event: the readers' wrong_role stands."""
    got = rating_errors(
        NARRATED_THEN_LATER,
        NARRATED_QUOTE,
        "Requires improvement",
        date=D(2020, 3, 11),
        field="previous_rating",
    )
    assert got == {"wrong_role"}


TWO_CLAUSES = """Report from 27 February 2024 assessment
We assessed a small number of quality statements. Therefore, our overall rating for urgent and \
emergency care remains requires improvement and the overall service remains outstanding.
"""


@pytest.mark.parametrize("field", ["overall_rating", "previous_rating"])
def test_the_subject_of_a_rating_is_not_another_clauses(field: str) -> None:
    """ "X remains requires improvement and the overall service remains outstanding": the
    subject of "outstanding" is "the overall service", not what the clause before rated."""
    date = D(2024, 2, 27)
    whole = "the overall service remains outstanding."
    assert rating_errors(TWO_CLAUSES, whole, "Outstanding", date=date, field=field) == set()
    part = "our overall rating for urgent and emergency care remains requires improvement"
    got = rating_errors(TWO_CLAUSES, part, "Requires improvement", date=date, field=field)
    assert got & PART_CODES


FIVE = """Inspection carried out on 2 March 2016

Overall the surgery is rated as good for providing safe, effective, caring, responsive and \
well-led services. The practice was rated as good for providing effective and caring services.
"""


def test_a_rating_for_all_five_key_questions_after_overall_is_the_wholes() -> None:
    whole = "Overall the surgery is rated as good for providing safe, effective, caring, responsive"
    assert rating_errors(FIVE, whole, "Good", date=D(2016, 3, 2), field="overall_rating") == set()
    part = "The practice was rated as good for providing effective and caring services."
    got = rating_errors(FIVE, part, "Good", date=D(2016, 3, 2), field="overall_rating")
    assert got and got <= PART_CODES


CORE_SERVICE_HEADS = [
    "3 and 4 May 2021\nDuring a routine inspection\nOur rating of this surgical service went "
    "down. We rated it as requires improvement because:\n- Staff were rushed.\n",
    "Riverside Hospital\nReport from 4 June 2024 assessment\nRatings - Diagnostic imaging\n"
    "Our view of the service\nWe inspected the imaging department.\n\nWe rated the service as "
    "requires improvement.\n",
]


@pytest.mark.parametrize("text", CORE_SERVICE_HEADS, ids=["surgical", "ratings-heading"])
def test_a_core_services_rating_named_at_the_top_is_its_own(text: str) -> None:
    quote = next(
        q
        for q in (
            "We rated it as requires improvement because:",
            "We rated the service as requires improvement.",
        )
        if q in text
    )
    got = rating_errors(text, quote, "Requires improvement", date=None)
    assert got == {"rating_scope"}
