"""Tests of extractor.reading.values: dates in their written forms, numbers in words, rating words."""

from __future__ import annotations

import datetime as dt

import pytest

from extractor.reading.values import (
    NUMBER_RE,
    RATING_RE,
    first_date,
    iter_dates,
    normalize_rating,
    parse_number,
    partial_date_then_full,
)

D = dt.date

# --- one written date, list or range: its first day, and the span it covers --------------------

FIRST_DAY = [
    # (text, first day, the written date's span in the text)
    ("Inspection carried out on 18 November 2019", D(2019, 11, 18), "18 November 2019"),
    ("Inspection carried out on 6, 7 August 2013", D(2013, 8, 6), "6, 7 August 2013"),
    ("6,7 August 2013", D(2013, 8, 6), "6,7 August 2013"),
    ("28 , 29 June 2018", D(2018, 6, 28), "28 , 29 June 2018"),
    ("Unannounced Inspection 26th February 2008", D(2008, 2, 26), "26th February 2008"),
    ("6th,7th and 8th August 2013", D(2013, 8, 6), "6th,7th and 8th August 2013"),
    ("on the 2 nd May 2017", D(2017, 5, 2), "2 nd May 2017"),
    ("1st-3rd May 2019", D(2019, 5, 1), "1st-3rd May 2019"),
    ("1 – 3 May 2019", D(2019, 5, 1), "1 – 3 May 2019"),
    ("28, 29 June and 3 July 2018", D(2018, 6, 28), "28, 29 June and 3 July 2018"),
    ("31 October to 01 November 2018", D(2018, 10, 31), "31 October to 01 November 2018"),
    (
        "30 December 2018 to 2 January 2019",
        D(2018, 12, 30),
        "30 December 2018 to 2 January 2019",
    ),
    (
        "30th and 31st December 2018 and 1st January 2019",
        D(2018, 12, 30),
        "30th and 31st December 2018 and 1st January 2019",
    ),
    ("30 March and 12 April 2023", D(2023, 3, 30), "30 March and 12 April 2023"),
    ("Visited 03 March 2016.", D(2016, 3, 3), "03 March 2016"),
    ("Visited 1st  March 2016.", D(2016, 3, 1), "1st  March 2016"),
    ("  7  July  2015 ", D(2015, 7, 7), "7  July  2015"),
    ("12 and 13 Sept. 2016", D(2016, 9, 12), "12 and 13 Sept. 2016"),
    ("5 Sept 2016", D(2016, 9, 5), "5 Sept 2016"),
    ("5 March, 2017", D(2017, 3, 5), "5 March, 2017"),
    ("Sunday 7 July 2015", D(2015, 7, 7), "7 July 2015"),
    ("8th May 2025", D(2025, 5, 8), "8th May 2025"),
    ("29 February 2020", D(2020, 2, 29), "29 February 2020"),
    ("december 5, 2017", D(2017, 12, 5), "december 5, 2017"),
    ("Date of Inspections: 16 August August August August 2013", D(2013, 8, 16), None),
    # numeric dates are read day first (British usage), with two- or four-digit years
    ("Date of inspection: 26/02/2025", D(2025, 2, 26), "26/02/2025"),
    ("Date of inspection: 14/10/08", D(2008, 10, 14), "14/10/08"),
    ("26/2/2025", D(2025, 2, 26), "26/2/2025"),
    # old CSCI covers write the date digit by digit
    ("Date: 3 0 0 3 2 0 0 9", D(2009, 3, 30), "3 0 0 3 2 0 0 9"),
    ("Date: 2 0 0 1 2 0 1 0", D(2010, 1, 20), "2 0 0 1 2 0 1 0"),
]


@pytest.mark.parametrize(("text", "first", "span"), FIRST_DAY, ids=[t for t, _, _ in FIRST_DAY])
def test_first_day_of_a_written_date(text: str, first: dt.date, span: str | None) -> None:
    d = first_date(text)
    assert d is not None
    assert d.first == first
    if span is not None:
        assert text[d.start : d.end] == span


NOT_A_DATE = [
    "June 2015",
    "in June 2015 we visited",
    "June 2015 and July 2016",
    "29 February 2019",  # no such day
    "31/02/2019",
    "1/13/2019",  # no thirteenth month: numeric dates are day first
    "tel 0 1 2 3 4 5 6 7",  # eight spaced digits that are no date
    "Regulation 17 (Good governance)",
    "12 March",  # no year anywhere
    # a month with no day before the first day: the first day is lost
    "July and 11 August 2015",
    "March 2019 and 2 April 2019",
    "Jun - 4 Jul 2017",
    "",
]


@pytest.mark.parametrize("text", NOT_A_DATE, ids=[t or "empty" for t in NOT_A_DATE])
def test_not_a_date(text: str) -> None:
    assert list(iter_dates(text)) == []
    assert first_date(text) is None


def test_a_list_borrows_its_month_and_year_and_says_so() -> None:
    (d,) = iter_dates("6, 7 August 2013")
    assert d.borrowed
    (d,) = iter_dates("30 March and 12 April 2023")
    assert d.first == D(2023, 3, 30) and d.borrowed
    (d,) = iter_dates("18 November 2019")
    assert not d.borrowed


def test_separate_dates_are_separate_mentions_in_order() -> None:
    text = "The visit took place on 4 June 2017. The report was published on 1 August 2017."
    found = list(iter_dates(text))
    assert [d.first for d in found] == [D(2017, 6, 4), D(2017, 8, 1)]
    assert [text[d.start : d.end] for d in found] == ["4 June 2017", "1 August 2017"]


def test_iter_dates_respects_start_and_end() -> None:
    text = "Updated 2 February 2023. Inspection activity started on 12 April 2022."
    cut = text.index(".")
    assert [d.first for d in iter_dates(text, 0, cut)] == [D(2023, 2, 2)]
    assert [d.first for d in iter_dates(text, cut)] == [D(2022, 4, 12)]


def test_day_of_month_form() -> None:
    d = first_date("The inspection took place on the 5th of March 2017.")
    assert d is not None and d.first == D(2017, 3, 5)


def test_list_with_weekday_names() -> None:
    d = first_date("Inspection carried out on Wednesday 14 and Thursday 15 August 2019")
    assert d is not None and d.first == D(2019, 8, 14)


# --- a day and month whose year comes later ------------------------------------------------------

PARTIAL = [
    (
        "Inspection activity started on 12 April and ended on 20 April 2022",
        D(2022, 4, 12),
        "12 April and ended on 20 April 2022",
    ),
    (
        "Inspection activity started on 30 December and ended on 4 January 2019",
        D(2018, 12, 30),
        "30 December and ended on 4 January 2019",
    ),
    ("We visited on 3rd March and again on 5 March 2020.", D(2020, 3, 3), None),
]


@pytest.mark.parametrize(("text", "first", "span"), PARTIAL, ids=[p[0] for p in PARTIAL])
def test_partial_date_then_full(text: str, first: dt.date, span: str | None) -> None:
    d = partial_date_then_full(text)
    assert d is not None
    assert d.first == first
    assert d.borrowed
    if span is not None:
        assert text[d.start : d.end] == span


@pytest.mark.parametrize(
    "text",
    [
        "12 April 2022",
        "We visited on 12 April.",
        "started on 12 April, and then a great deal of other text followed before anything "
        "else, well past eighty characters: 20 April 2022",
    ],
)
def test_no_partial_date(text: str) -> None:
    assert partial_date_then_full(text) is None


def test_partial_date_ignores_a_date_with_its_own_year() -> None:
    assert partial_date_then_full("12 April 2021 and 20 April 2022") is None


# --- numbers -----------------------------------------------------------------------------------

NUMBERS = [
    ("39", 39),
    ("1,200", 1200),
    ("Thirty four", 34),
    ("thirty-four", 34),
    ("THIRTY FOUR", 34),
    ("Fourty one", 41),
    ("one hundred and eight", 108),
    ("One hundred eight", 108),
    ("a hundred", 100),
    ("two hundred and twelve", 212),
    ("nineteen", 19),
    ("twenty", 20),
    ("eleven", 11),
]


@pytest.mark.parametrize(("words", "n"), NUMBERS, ids=[w for w, _ in NUMBERS])
def test_parse_number(words: str, n: int) -> None:
    assert parse_number(words) == n


@pytest.mark.parametrize("words", ["dozen", "several", "many", "", "thirty odd"])
def test_parse_number_refuses_what_is_no_number(words: str) -> None:
    assert parse_number(words) is None


def test_number_re_finds_whole_numbers_in_words() -> None:
    text = "Thirty four people, one hundred and eight residents, 1,200 calls and twenty-two staff"
    assert [parse_number(m.group(0)) for m in NUMBER_RE.finditer(text)] == [34, 108, 1200, 22]


# --- ratings -----------------------------------------------------------------------------------

RATINGS = [
    ("Good", "Good"),
    ("good", "Good"),
    ("GOOD", "Good"),
    ("outstanding", "Outstanding"),
    ("OUTSTANDING", "Outstanding"),
    ("Requires improvement", "Requires improvement"),
    ("requires improvement", "Requires improvement"),
    ("Requires Improvement", "Requires improvement"),
    ("REQUIRES IMPROVEMENT", "Requires improvement"),
    ("requires-improvement", "Requires improvement"),
    ("Require improvement", "Requires improvement"),
    ("requires improvements", "Requires improvement"),
    ("inadequate", "Inadequate"),
    ("INADEQUATE", "Inadequate"),
    ("‘Inadequate’", "Inadequate"),
    ("“Good”", "Good"),
    ("'Outstanding'", "Outstanding"),
]


@pytest.mark.parametrize(("word", "rating"), RATINGS, ids=[w for w, _ in RATINGS])
def test_normalize_rating(word: str, rating: str) -> None:
    assert normalize_rating(word) == rating


@pytest.mark.parametrize(
    "word", ["fine", "poor", "excellent", "requires", "improvement", "met this standard", ""]
)
def test_normalize_rating_refuses_other_words(word: str) -> None:
    assert normalize_rating(word) is None


def test_rating_re_finds_each_rating_word_whatever_its_case() -> None:
    text = "from REQUIRES IMPROVEMENT to good; once Inadequate, never outstanding"
    found = [normalize_rating(m.group("r")) for m in RATING_RE.finditer(text)]
    assert found == ["Requires improvement", "Good", "Inadequate", "Outstanding"]
    assert [m.group("r") for m in RATING_RE.finditer("goodness, goods")] == []
