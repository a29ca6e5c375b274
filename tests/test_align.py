"""Locating quotes: exact first, tolerant second, always mapped back to the text's own span."""

from __future__ import annotations

import random

import pytest

from extractor.llm.align import FoldedText, describe_difference, fold, locate

TEXT = (
    "Inspection carried out on 18 November 2019\n\nDuring a routine inspection\n\n"
    "The last rating for this service was requires improvement (last report\n"
    "published 27 November 2018).\n\nPeople’s experience – “very good” … overall.\n"
    "The service was rated Good.\n\n"
    "Inspection carried out on 1 May 2017\n\nThe service was rated Good.\n"
)


def slice_of(text: str, quote: str, **kw: object) -> str:
    found = locate(text, quote, **kw)  # type: ignore[arg-type]
    assert found is not None
    return text[found.start : found.end]


def test_exact_match_is_the_text_span() -> None:
    found = locate(TEXT, "Inspection carried out on 18 November 2019")
    assert found is not None and found.how == "exact"
    assert (found.start, found.end) == (0, 42)


def test_surrounding_white_space_of_the_quote_is_ignored() -> None:
    found = locate(TEXT, "  During a routine inspection \n")
    assert found is not None and found.how == "exact"
    assert TEXT[found.start : found.end] == "During a routine inspection"


def test_the_occurrence_in_the_preferred_span_wins() -> None:
    second = TEXT.index("Inspection carried out on 1 May 2017")
    first = locate(TEXT, "The service was rated Good.")
    preferred = locate(TEXT, "The service was rated Good.", prefer=[(second, len(TEXT))])
    assert first is not None and preferred is not None
    assert first.start < second <= preferred.start
    # a preferred span without the quote falls through to the next, then to the first anywhere
    fallback = locate(TEXT, "The service was rated Good.", prefer=[(0, 10), (second, len(TEXT))])
    assert fallback == preferred
    assert locate(TEXT, "The service was rated Good.", prefer=[(0, 10)]) == first


@pytest.mark.parametrize(
    ("quote", "expected"),
    [
        # a line break inside the passage, given as a space
        (
            "requires improvement (last report published 27 November 2018).",
            "requires improvement (last report\npublished 27 November 2018).",
        ),
        # straight apostrophe and quotes for curly ones, a hyphen for an en dash
        ('People\'s experience - "very good"', "People’s experience – “very good”"),
        # three dots for the ellipsis character
        ('"very good" ... overall', "“very good” … overall"),
        # letter case
        ("the SERVICE was rated good.", "The service was rated Good."),
    ],
)
def test_tolerant_match_maps_back_to_the_original(quote: str, expected: str) -> None:
    found = locate(TEXT, quote)
    assert found is not None and found.how == "normalized"
    assert TEXT[found.start : found.end] == expected


def test_invisible_characters_are_ignored() -> None:
    text = "The ser\u00advice was rated\u200b Good."
    assert slice_of(text, "The service was rated Good.") == text


def test_a_quote_that_is_not_there_is_none() -> None:
    assert locate(TEXT, "The service was rated Outstanding.") is None
    assert locate(TEXT, "") is None
    assert locate(TEXT, "   \n") is None


def test_a_folded_text_can_be_reused_and_must_be_of_the_same_text() -> None:
    folded = FoldedText(TEXT)
    assert locate(TEXT, "the service WAS rated good.", folded=folded) == locate(
        TEXT, "the service WAS rated good."
    )
    other = FoldedText("something else entirely")
    assert locate(TEXT, "the service WAS rated good.", folded=other) is not None


def test_fold() -> None:
    assert fold("  A\u00a0 “B” –\tC…  ") == 'a "b" - c...'


def test_describe_difference() -> None:
    assert describe_difference("a  b\nc", "a b c") == "white space"
    assert describe_difference("People's - x", "People’s – x") == "typographic characters"
    assert describe_difference("THE service", "The service") == "letter case"


def test_planted_passages_are_found_after_random_reformatting() -> None:
    """An oracle: passages planted in random prose, quoted back with white space, quotes,
    dashes and case changed, are found at exactly the planted span."""
    rng = random.Random(20191118)
    words = [
        "care",
        "staff",
        "people",
        "service",
        "rated",
        "good",
        "safe",
        "records",
        "manager",
        "home",
        "visit",
    ]
    variants = {" ": ["  ", "\n", " \n "], "'": ["’"], "-": ["–", "—"]}
    for _ in range(200):
        prose = " ".join(rng.choice(words) for _ in range(rng.randint(20, 60)))
        planted = f"Mrs O'Neill's re-inspection took {rng.randint(2, 99)} days"
        cut = rng.randint(0, len(prose))
        cut = prose.rfind(" ", 0, cut) + 1
        text = prose[:cut] + planted + " " + prose[cut:]
        start = cut
        quote = "".join(
            rng.choice(variants[c]) if c in variants and rng.random() < 0.5 else c for c in planted
        )
        if rng.random() < 0.3:
            quote = quote.upper()
        found = locate(text, quote)
        assert found is not None, quote
        assert (found.start, found.end) == (start, start + len(planted))
        assert text[found.start : found.end] == planted
