"""Long pages: where they are cut, and how the answers for the parts are joined."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from extractor.llm.chunking import Chunk, plan_chunks
from extractor.llm.grounding import Finding, Grounded, GroundedEvent, merge_parts
from extractor.reading.layout import find_event_starts
from extractor.records import Event, Evidence

PARA = "Staff knew people well and spoke respectfully about those they supported. " * 5


def page(events: int, paragraphs: int) -> str:
    out = ["Example Home\n\nAll Inspections\n"]
    for i in range(events):
        out.append(
            f"\nInspection carried out on {1 + i} June {2020 - i}\n\nDuring a routine inspection\n\n"
        )
        out.extend(f"{PARA}\n\n" for _ in range(paragraphs))
    return "".join(out)


def covered(text: str, chunks: list[Chunk]) -> None:
    """Chunks start at 0, end at the end, leave no gap and move forward."""
    assert chunks[0].start == 0 and chunks[-1].end == len(text)
    for a, b in itertools.pairwise(chunks):
        assert a.start < b.start <= a.end
    assert [c.index for c in chunks] == list(range(len(chunks)))
    assert {c.count for c in chunks} == {len(chunks)}


def test_a_short_page_is_one_chunk() -> None:
    text = page(2, 2)
    assert plan_chunks(text, len(text)) == [Chunk(0, len(text), 0, 1)]


def test_cuts_fall_on_event_starts_without_overlap() -> None:
    text = page(8, 6)
    starts = {s.start for s in find_event_starts(text)}
    chunks = plan_chunks(text, 6_000, 500)
    covered(text, chunks)
    assert len(chunks) > 2
    for a, b in itertools.pairwise(chunks):
        assert a.end in starts and b.start == a.end and b.starts_on_event
    assert all(c.end - c.start <= 6_000 for c in chunks)


def test_an_event_too_long_for_one_chunk_is_cut_at_paragraphs_with_overlap() -> None:
    text = page(1, 40)
    chunks = plan_chunks(text, 5_000, 800)
    covered(text, chunks)
    for a, b in itertools.pairwise(chunks):
        assert text[a.end - 2 : a.end] == "\n\n"  # a paragraph break
        assert 0 < a.end - b.start <= 800  # overlapping
        assert not b.starts_on_event
    assert all(c.end - c.start <= 5_000 for c in chunks)


def test_text_without_any_break_is_cut_hard() -> None:
    text = "x" * 10_500
    chunks = plan_chunks(text, 4_000, 500)
    assert [(c.start, c.end) for c in chunks] == [(0, 4_000), (4_000, 8_000), (8_000, 10_500)]


@pytest.mark.parametrize(("size", "overlap"), [(0, 0), (1_000, 600), (1_000, -1)])
def test_bad_sizes_are_refused(size: int, overlap: int) -> None:
    with pytest.raises(ValueError):
        plan_chunks("abc", size, overlap)


# --- merging the parts ------------------------------------------------------------------------


def event(date: dt.date | None, **values: object) -> GroundedEvent:
    evidence = {name: Evidence(quote="q", start=0, end=1) for name in values if name != "kind"}
    if date is not None:
        evidence["date"] = Evidence(quote="d", start=0, end=1)
    return GroundedEvent(
        Event.model_validate({"kind": "inspection", "date": date, **values, "evidence": evidence})
    )


D1, D2, D3 = dt.date(2020, 6, 1), dt.date(2019, 6, 2), dt.date(2018, 6, 3)


def test_an_event_read_twice_is_kept_once_with_more_values() -> None:
    first = Grounded(events=[event(D1), event(D2)])
    second = Grounded(events=[event(D2, people_using_service=30, announced=True), event(D3)])
    merged = merge_parts([(Chunk(0, 100, 0, 2), first), (Chunk(90, 200, 1, 2, True), second)])
    assert [g.event.date for g in merged.events] == [D1, D2, D3]
    assert merged.events[1].event.people_using_service == 30


def test_the_rest_of_a_cut_event_fills_its_gaps() -> None:
    head = event(D1, people_using_service=12)
    head.findings.append(Finding("quote_normalized", "people_using_service", "m"))
    tail = event(None, announced=False, people_using_service=99)
    tail.findings.append(Finding("quote_not_found", "announced", "not found"))
    tail.findings.append(Finding("quote_normalized", "people_using_service", "ignored"))
    merged = merge_parts(
        [
            (Chunk(0, 100, 0, 2), Grounded(events=[head], current_rating="Good")),
            (Chunk(80, 200, 1, 2, starts_on_event=False), Grounded(events=[tail, event(D2)])),
        ]
    )
    assert [g.event.date for g in merged.events] == [D1, D2]
    joined = merged.events[0]
    assert joined.event.announced is False and joined.event.people_using_service == 12
    assert set(joined.event.evidence) == {"date", "people_using_service", "announced"}
    assert [(f.code, f.field) for f in joined.findings] == [
        ("quote_normalized", "people_using_service"),
        ("quote_not_found", "announced"),
    ]
    assert merged.current_rating == "Good"
    issues = merged.issues()
    assert {(i.code, i.event, i.field) for i in issues} == {
        ("quote_normalized", 0, "people_using_service"),
        ("quote_not_found", 0, "announced"),
    }


def test_undated_events_at_an_event_start_are_kept_in_order() -> None:
    merged = merge_parts(
        [
            (Chunk(0, 100, 0, 2), Grounded(events=[event(None, announced=True)])),
            (Chunk(100, 200, 1, 2, True), Grounded(events=[event(None, announced=False)])),
        ]
    )
    assert [g.event.announced for g in merged.events] == [True, False]
