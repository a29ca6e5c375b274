"""Tests of extractor.reading.readers: what one passage says about one field, in its role.

Every passage here was written for these tests, in the wording of the report eras
(``shared/docs/domain.md``); none is copied from the corpus. Each reader must give the value the
passage states *in that field's role*, with the span of the words it read, and nothing for the
false friends: a key question's rating, a finding, a regulation's name, a capacity, a sample.
"""

from __future__ import annotations

import datetime as dt

import pytest

from extractor.reading.readers import (
    is_previous_context,
    mixed_notice,
    read_announced,
    read_event_date,
    read_overall_rating,
    read_people,
    read_previous_published,
    read_previous_rating,
)
from extractor.reading.values import normalize_rating, parse_number

GOOD, RI, INAD, OUT = "Good", "Requires improvement", "Inadequate", "Outstanding"


def _ids(table: list[tuple[str, object]] | list[tuple[str, object, object]]) -> list[str]:
    return [row[0][:60] for row in table]


# --- overall rating --------------------------------------------------------------------------

OVERALL = [
    ("The overall rating for the service has changed from requires improvement to good.", GOOD),
    ("The overall rating for this service has changed from Good to Inadequate.", INAD),
    ("Overall rating for this service: Good", GOOD),
    ("OVERALL RATING FOR THIS SERVICE: REQUIRES IMPROVEMENT", RI),
    ("Overall rating: Inadequate", INAD),
    ("The service was rated Inadequate.", INAD),
    ("The service remains Good.", GOOD),
    ("The service continues to be rated good.", GOOD),
    ("We rated this service Outstanding overall.", OUT),
    ("We have rated this service as outstanding.", OUT),
    ("The practice is rated as requires improvement overall.", RI),
    ("Overall, the service is rated as requires improvement.", RI),
    ("Overall the practice is rated as good.", GOOD),
    ("Our rating of this service stayed the same. We rated it as good because:", GOOD),
    ("This service is rated as Good overall.", GOOD),
    # "overall rating is", "rated overall as", "changed the rating to"
    ("The overall rating is outstanding.", OUT),
    ("Its overall rating is now inadequate.", INAD),
    ("At this visit the home was rated overall as requires improvement.", RI),
    ("The agency is rated overall good.", GOOD),
    ("We found the breaches met and were able to change the rating to good.", GOOD),
    ("We have revised its overall rating to inadequate.", INAD),
    # "overall" before the subject
    ("The overall service remains outstanding.", OUT),
    ("This whole hospital is rated as good.", GOOD),
]

NOT_OVERALL = [
    "Good governance",
    "The provider was in breach of Regulation 17 (Good governance).",
    "Staff followed good practice when handling medicines.",
    "We found inadequate staffing levels at night.",
    "The service requires improvement in how medicines are recorded.",
    "Safe: Requires improvement",
    "Well-led: Inadequate",
    "Are services safe? – Good",
    "Are services safe? - Good",
    "We rated the practice as good for providing safe services.",
    "The practice is rated as good for providing safe services.",
    "The trust is rated good for caring.",
    "The rating for safe was requires improvement.",
    "We rated safe as requires improvement.",
    "We rated the hospital good for this core service.",
    "Our rating of this core service was requires improvement.",
    "The hospital was rated good for this core service.",
    "The service was rated good in Safe, Effective and Caring.",
    "Overall: Good",  # the page header: current_rating, not an event's rating
    "The home was awarded a two star good service rating.",
    "The inspector judged the home to be providing an Good service.",
    "This home has been rated as providing a good service (two stars).",
    "The quality rating for this service is two star: good.",
    "The last rating for this service was requires improvement (published 24 September 2018).",
    "At our last inspection we rated the service good.",
    "This service was previously rated good.",
    "At our last inspection we rated the service inadequate overall.",
    "The service was not rated at this inspection because it was a focused inspection.",
    "People told us the food was good and the staff were outstanding.",
]


@pytest.mark.parametrize(("passage", "rating"), OVERALL, ids=_ids(OVERALL))
def test_read_overall_rating(passage: str, rating: str) -> None:
    got = read_overall_rating(passage)
    assert got is not None
    value, start, end = got
    assert value == rating
    assert normalize_rating(passage[start:end]) == rating


@pytest.mark.parametrize("passage", NOT_OVERALL, ids=[p[:60] for p in NOT_OVERALL])
def test_no_overall_rating_from_a_false_friend(passage: str) -> None:
    assert read_overall_rating(passage) is None


def test_overall_rating_after_a_sentence_about_an_earlier_inspection() -> None:
    """Letters: "We carried out ... on 25 February 2016. The overall rating ... was good." is the
    earlier inspection's rating, once the reader is told the passage leans on it."""
    passage = (
        "We carried out an announced comprehensive inspection on 25 February 2016. "
        "The overall rating for the practice was good."
    )
    assert read_overall_rating(passage, previous_context=True) is None
    leaning = "The overall rating for the practice was good."
    assert read_overall_rating(leaning, previous_context=True) is None
    got = read_previous_rating(leaning, previous_context=True)
    assert got is not None and got[0] == GOOD
    # a change stated outright still counts
    changed = "The overall rating for the service has changed from good to inadequate."
    got = read_overall_rating(changed, previous_context=True)
    assert got is not None and got[0] == INAD


#: A rating kept from before: this event's overall rating and the previous one at once.
SAME_AS_BEFORE = [
    ("Overall, the surgery is still rated as requires improvement.", RI),
    ("We found the agency had kept up its standards and it continues to be rated as good.", GOOD),
    ("The clinic remains rated as outstanding overall.", OUT),
    ("Our rating of services stayed the same. We rated them as inadequate because:", INAD),
    ("Our rating of the trust stayed the same. We rated it as good because:", GOOD),
    (
        "We did not re-rate the location at this visit. The previous rating of Good remains in place.",
        GOOD,
    ),
    ("The overall service remains requires improvement.", RI),
    ("This practice remains outstanding.", OUT),
    (
        "We last visited the unit in 2016 and rated it good overall. We found this rating had not "
        "changed and we rated it good overall because:",
        GOOD,
    ),
    (
        "At our previous inspection the home received a rating of requires improvement. Following "
        "this inspection the home has retained this rating.",
        RI,
    ),
]


@pytest.mark.parametrize(("passage", "rating"), SAME_AS_BEFORE, ids=_ids(SAME_AS_BEFORE))
def test_a_rating_kept_from_before_is_both_overall_and_previous(passage: str, rating: str) -> None:
    overall, previous = read_overall_rating(passage), read_previous_rating(passage)
    assert overall is not None and previous is not None
    assert overall[0] == previous[0] == rating
    # a form tied to this event: read also where only such forms are wanted
    direct = read_previous_rating(passage, direct=True)
    assert direct is not None and direct[0] == rating


@pytest.mark.parametrize(
    ("passage", "rating"),
    [
        (
            "We have revised the overall rating for the surgery, which is now requires improvement.",
            RI,
        ),
        ("Overall the clinic is now rated as outstanding in all areas.", OUT),
        ("Overall, the home is rated good in every key question.", GOOD),
        # all five key questions named: the whole
        (
            "Overall the practice is rated as good for providing safe, effective, caring, "
            "responsive and well-led care for all of the population groups it serves.",
            GOOD,
        ),
        (
            "Overall the surgery is rated as outstanding for providing safe, effective, caring, "
            "responsive and well led services.",
            OUT,
        ),
        ("Overall, the practice is rated as requires improvement for all key questions.", RI),
    ],
)
def test_overall_rating_now_and_in_all_areas(passage: str, rating: str) -> None:
    got = read_overall_rating(passage)
    assert got is not None and got[0] == rating


@pytest.mark.parametrize(
    "passage",
    [
        # a part's rating, not the whole's (key question, core services counted)
        "The practice is still rated as inadequate for providing responsive services.",
        "This meant that overall three services were rated as good and two as inadequate.",
        "We rated four of the trust's core services as good; two were rated as requires improvement.",
        "Two of the population groups were rated as outstanding.",
        "The home was rated good in all but one key question.",
        # "overall" next to a part's rating
        "We rated the hospital as good overall for caring.",
        "We rated the trust as requires improvement overall in well-led.",
        "Our overall rating for critical care remains inadequate.",
        "The overall rating for services for children and young people was outstanding.",
        "We changed the rating for safe to good.",
        "We rated responsive as outstanding overall.",
        "Overall, we rated maternity services as requires improvement.",
        # a few key questions, however introduced
        "The practice was rated as good for the provision of effective, caring and responsive "
        "services.",
        "The service was rated good for the delivery of safe and effective care.",
        "The practice is rated as inadequate in providing safe services.",
        "The clinic was rated outstanding for delivering caring services.",
        "Overall the practice is rated as good for providing effective, caring and responsive "
        "services.",
    ],
)
def test_no_overall_or_previous_rating_from_a_part(passage: str) -> None:
    assert read_overall_rating(passage) is None
    assert read_previous_rating(passage, previous_context=True) is None


@pytest.mark.parametrize(
    "passage",
    [
        # a time cue after the rating puts it in the past
        "The home was rated as inadequate at the last inspection because:",
        "The clinic was rated good overall at our previous visit in 2017.",
        "The agency has been rated requires improvement three times prior to this inspection.",
        "The surgery was then rated as good overall.",
        "The practice had been rated inadequate overall and placed in special measures.",
    ],
)
def test_no_overall_rating_from_an_earlier_time(passage: str) -> None:
    assert read_overall_rating(passage) is None


def test_direct_previous_forms_only() -> None:
    """A narrated earlier rating is a previous rating, but not one tied to this event."""
    narrated = (
        "At our last inspection in March 2017 the surgery was rated requires improvement overall."
    )
    got = read_previous_rating(narrated)
    assert got is not None and got[0] == RI
    assert read_previous_rating(narrated, direct=True) is None
    tied = "(Previous rating May 2016 – Overall Requires improvement; Safe was rated Inadequate)"
    got = read_previous_rating(tied, direct=True)
    assert got is not None and got[0] == RI


# --- previous rating -------------------------------------------------------------------------

PREVIOUS = [
    ("The overall rating for the service has changed from requires improvement to good.", RI),
    (
        "The last rating for this service was requires improvement (published 24 September 2018).",
        RI,
    ),
    ("The last rating for this service was Outstanding.", OUT),
    ("The previous rating for this service was good.", GOOD),
    ("At our last inspection we rated the service good.", GOOD),
    ("This service was previously rated good.", GOOD),
    ("At our last inspection we rated the service inadequate overall.", INAD),
    ("Our last inspection rated the service requires improvement overall.", RI),
    ("Our rating of this service stayed the same. We rated it as good because:", GOOD),
    # kept at an earlier inspection
    (
        "Following our previous inspection on 13 April 2021 overall the practice remained rated "
        "good.",
        GOOD,
    ),
    ("At our last inspection the home remained requires improvement overall.", RI),
    ("At the previous inspection the service continued to be rated as outstanding.", OUT),
    (
        "At the last inspection the service was rated requires improvement (published 2 June 2018).",
        RI,
    ),
]

NOT_PREVIOUS = [
    "The service was rated Inadequate.",
    "Overall rating for this service: Good",
    "At our last inspection we rated safe as requires improvement.",
    "Good governance",
    "At our last inspection the provider was in breach of Regulation 12.",
    "The service requires improvement in how medicines are recorded.",
    "The last report was published on 3 March 2017.",
    "At our last inspection the practice remained rated good for providing caring services.",
]


@pytest.mark.parametrize(("passage", "rating"), PREVIOUS, ids=_ids(PREVIOUS))
def test_read_previous_rating(passage: str, rating: str) -> None:
    got = read_previous_rating(passage)
    assert got is not None
    value, start, end = got
    assert value == rating
    assert normalize_rating(passage[start:end]) == rating


@pytest.mark.parametrize("passage", NOT_PREVIOUS, ids=[p[:60] for p in NOT_PREVIOUS])
def test_no_previous_rating(passage: str) -> None:
    assert read_previous_rating(passage) is None


def test_a_change_gives_both_ratings_from_one_sentence() -> None:
    s = "The overall rating for the service has changed from requires improvement to good."
    overall, previous = read_overall_rating(s), read_previous_rating(s)
    assert overall is not None and previous is not None
    assert (overall[0], previous[0]) == (GOOD, RI)
    assert previous[2] <= overall[1]  # the earlier rating is written first


@pytest.mark.parametrize(
    ("passage", "previous"),
    [
        ("At the last inspection the service was rated requires improvement", True),
        ("This service was previously rated good.", True),
        ("When it was rated inadequate the home entered special measures.", True),
        ("This inspection was unannounced.", False),
        ("The provider announced plans to close the home.", False),
    ],
)
def test_is_previous_context(passage: str, previous: bool) -> None:
    assert is_previous_context(passage) is previous


# --- publication date of the previous report --------------------------------------------------

PUBLISHED = [
    (
        "The last rating for this service was requires improvement (published 24 September 2018).",
        dt.date(2018, 9, 24),
    ),
    ("Our last report was published on 3 March 2017.", dt.date(2017, 3, 3)),
    ("The last rating was good (published 1 June 2019)", dt.date(2019, 6, 1)),
    ("The previous report (publication date 14/10/08) found breaches.", dt.date(2008, 10, 14)),
]


@pytest.mark.parametrize(("passage", "date"), PUBLISHED, ids=_ids(PUBLISHED))
def test_read_previous_published(passage: str, date: dt.date) -> None:
    got = read_previous_published(passage)
    assert got is not None
    assert got[0] == date
    assert str(date.year)[2:] in passage[got[1] : got[2]]


@pytest.mark.parametrize(
    "passage",
    [
        "Inspection carried out on 18 November 2019",
        "The last rating for this service was requires improvement.",
        "We published our findings in June 2018.",  # month and year are no date
        "The service was registered on 4 June 2017.",
    ],
)
def test_no_previous_published(passage: str) -> None:
    assert read_previous_published(passage) is None


# --- the event's date ------------------------------------------------------------------------

EVENT_DATE = [
    ("Inspection carried out on 6, 7 August 2013", dt.date(2013, 8, 6), "6, 7 August 2013"),
    ("Inspection carried out on 18 November 2019", dt.date(2019, 11, 18), "18 November 2019"),
    ("Review carried out on 9 September 2021", dt.date(2021, 9, 9), "9 September 2021"),
    ("Report from 8 May 2025 assessment", dt.date(2025, 5, 8), "8 May 2025"),
    ("14 June 2016", dt.date(2016, 6, 14), "14 June 2016"),
    ("31 October to 01 November 2018", dt.date(2018, 10, 31), None),
    ("Unannounced Inspection 26th February 2008", dt.date(2008, 2, 26), "26th February 2008"),
    ("We inspected this service on 1 October 2014.", dt.date(2014, 10, 1), "1 October 2014"),
    (
        "Inspection activity started on 12 April and ended on 20 April 2022.",
        dt.date(2022, 4, 12),
        None,
    ),
    (
        "Inspection carried out on 30 December 2018 to 2 January 2019",
        dt.date(2018, 12, 30),
        None,
    ),
    ("Date of inspection visit: 3 0 0 3 2 0 0 9", dt.date(2009, 3, 30), "3 0 0 3 2 0 0 9"),
    ("Date: 3 0 0 3 2 0 0 9", dt.date(2009, 3, 30), "3 0 0 3 2 0 0 9"),
    ("Date of inspection: 26/02/2025", dt.date(2025, 2, 26), "26/02/2025"),
    # days listed before a month whose year comes with a later date
    (
        "Our visits were between 3 and 6 March and a further visit on 2 April 2020.",
        dt.date(2020, 3, 3),
        None,
    ),
    ("We inspected on 20, 21 & 27 May and on 3 June 2019.", dt.date(2019, 5, 20), None),
    (
        "The team visited from the 9 to 11 November, then on 30 November 2017.",
        dt.date(2017, 11, 9),
        None,
    ),
]

NOT_EVENT_DATE = [
    "Updated 2 February 2023",
    "Last updated 2 February 2023",
    "Published 3 March 2020",
    "The service was registered on 4 June 2017.",
    "Inspection carried out in June 2015",  # no day: not a date
    # the first day lost before a later date
    "Date of inspection visit: July and 11 August 2015",
    "We inspected the hospital on July 2015 (announced) and 11 August 2015 (unannounced).",
    "The inspection took place on March 2019 and 2 April 2019.",
    "Dates of inspection: June to 4 July 2017",
    "During a routine inspection",
]


@pytest.mark.parametrize(("passage", "date", "span"), EVENT_DATE, ids=_ids(EVENT_DATE))
def test_read_event_date(passage: str, date: dt.date, span: str | None) -> None:
    got = read_event_date(passage)
    assert got is not None
    assert got[0] == date
    if span is not None:
        assert passage[got[1] : got[2]] == span


@pytest.mark.parametrize("passage", NOT_EVENT_DATE, ids=[p[:60] for p in NOT_EVENT_DATE])
def test_no_event_date(passage: str) -> None:
    assert read_event_date(passage) is None


# --- people using the service ----------------------------------------------------------------

PEOPLE = [
    ("Thirty four people were using the service.", 34, "Thirty four"),
    ("One hundred and eight people were receiving a service.", 108, "One hundred and eight"),
    ("At the time of our inspection 108 people were using the service.", 108, "108"),
    ("At the time of the inspection, there were twenty-two people using the service.", 22, None),
    ("The agency was providing personal care to 39 people.", 39, "39"),
    ("Sixty people live at the home.", 60, "Sixty"),
    (
        "The home provides care for up to 60 people. At the time of the inspection there were "
        "52 people living at the home.",
        52,
        "52",
    ),
    (
        "There were 30 people living at the home at the time of our visit, 12 of whom were "
        "living with dementia.",
        30,
        "30",
    ),
    # a condition with the time of the inspection; "approximately" is a count; subsets of one
    (
        "Fernlea provides personal care to eight people with a learning disability at the time "
        "of the inspection.",
        8,
        "eight",
    ),
    (
        "At the time of the inspection there were approximately 250 people receiving support.",
        250,
        "250",
    ),
    (
        "The teams had a combined caseload of 3,412 patients at the time of our inspection.",
        3412,
        None,
    ),
    (
        "On the first day 47 people were living at the home; 21 of these people were receiving "
        "nursing care.",
        47,
        "47",
    ),
    ("The home has 60 beds and 47 people were living there at the time of our visit.", 47, "47"),
]

NOT_PEOPLE = [
    "The service is registered to provide care for up to 60 people.",
    "The home is registered to accommodate a maximum of 40 people.",
    "We spoke with 10 people who used the service.",
    "We looked at the care records of 6 people.",
    "We received feedback from 23 people using the service.",
    "There were 18 people in one unit and 10 in the other.",
    "The service supported 1,200 people a year.",
    "The home has 40 beds.",
    "Good governance",
    # parts of a total, a practice's list
    "On the day there were nine people on the ward and a further six people at the day centre.",
    "The surgery provides services to around 9,800 patients from two sites.",
    # a practice's registered list, whatever "currently" says
    "The practice currently has 8,899 patients split evenly over both locations.",
    "The surgery has a list size of 6,200 patients.",
    "There are 4,350 registered patients at the practice.",
    "The practice currently provides services to 12,400 patients.",
    "Around 900 patients are registered with the practice.",
    "The practice has 950 patients on its list.",
    # bounds, not counts
    "Over 600 people were using the service at the time of the inspection.",
    "It is currently providing treatment for over 90 patients.",
    "More than 40 people were receiving personal care when we visited.",
    "The agency supports at least 25 people in their own homes.",
    "At the time of our inspection, nearly 70 people were using the service.",
    # people contacted for their views: a sample
    "Inspectors tried to make contact by phone with 50 people who used the service.",
    "We telephoned 14 people who used the service to ask their views.",
    "We sent questionnaires to 30 people using the service.",
    # a group named by a condition, with no time of the inspection
    "The hospital did provide care for five patients with a learning disability or autism.",
    "The ward cared for three patients who had a diagnosis of dementia.",
    "The home supports 12 people living with dementia.",
    # a figure for a period
    "The service had supported 1,240 people in the previous 12 months.",
    "In the last year the hospice cared for 230 people in the past year.",
    # two groups, two counts: parts with no total stated
    "At the time of our inspection nine people were staying on the inpatient unit and the "
    "community team was supporting 214 people in their own homes.",
    "At the time of the inspection 12 people lived at the home and the outreach service "
    "supported 30 people in the community.",
]


@pytest.mark.parametrize(("passage", "n", "words"), PEOPLE, ids=_ids(PEOPLE))
def test_read_people(passage: str, n: int, words: str | None) -> None:
    got = read_people(passage)
    assert got is not None
    assert got[0] == n
    assert parse_number(passage[got[1] : got[2]]) == n
    if words is not None:
        assert passage[got[1] : got[2]] == words


@pytest.mark.parametrize("passage", NOT_PEOPLE, ids=[p[:60] for p in NOT_PEOPLE])
def test_no_people_from_a_capacity_a_sample_or_a_part(passage: str) -> None:
    assert read_people(passage) is None


# --- announced -------------------------------------------------------------------------------

ANNOUNCED = [
    ("We gave the service 48 hours' notice of the inspection.", True),
    ("We gave the provider 24 hours' notice because it is a small service.", True),
    ("The inspection was announced.", True),
    ("The inspection was announced 24 hours earlier.", True),
    ("The inspection was announced 24 hours before our visit.", True),
    ("This inspection was unannounced.", False),
    ("The inspection took place on 3 May and was unannounced.", False),
    ("The registered manager did not know we would be visiting.", False),
    ("We visited the home without prior notice.", False),
    # a refusal of notice in words other than "unannounced"
    ("We did not announce the inspection to the agency.", False),
    ("The second visit was not announced.", False),
    ("Our inspection of the clinic had not been announced.", False),
    ("The inspection had been announced the week before.", True),
    # notice refused in words
    ("We did not give the agency any notice of our visit.", False),
    ("The practice was not given notice of the inspection.", False),
]

NOT_ANNOUNCED = [
    # says nothing of notice, or speaks of something other than the inspection
    "We served a warning notice on the provider.",
    "The provider announced plans to close the home.",
    "Staff carried out unannounced spot checks.",
    "During a routine inspection",
    # mixed: one part announced, the other not
    "The first day of the inspection was unannounced and we told the provider we would return "
    "on the second day.",
    "This was an announced inspection. We also made an unannounced visit on 12 June.",
    "This inspection took place on 7 and 8 June 2016. The first day was unannounced.",
]


@pytest.mark.parametrize(("passage", "value"), ANNOUNCED, ids=_ids(ANNOUNCED))
def test_read_announced(passage: str, value: bool) -> None:
    got = read_announced(passage)
    assert got is not None
    assert got[0] is value
    words = passage[got[1] : got[2]].lower()
    assert ("announce" in words or "notice" in words or "know" in words) is True


@pytest.mark.parametrize("passage", NOT_ANNOUNCED, ids=[p[:60] for p in NOT_ANNOUNCED])
def test_no_announced(passage: str) -> None:
    assert read_announced(passage) is None


@pytest.mark.parametrize(
    ("passage", "mixed"),
    [
        ("This was an announced inspection. We also made an unannounced visit on 12 June.", True),
        ("This inspection took place on 7 and 8 June 2016. The first day was unannounced.", True),
        ("This inspection was unannounced.", False),
        ("We gave the service 48 hours' notice of the inspection.", False),
        # a main visit, then an unannounced one on a later day
        ("We visited on 4 and 5 March 2019, along with an unannounced visit on 14 March.", True),
        (
            "Our team visited between 2 and 4 October and unannounced visits took place on 16 October 2017.",
            True,
        ),
        ("The visits were on 8 to 10 May then we made an unannounced inspection on 21 May.", True),
        ("We carried out an unannounced inspection on 9 May 2018.", False),
        ("The inspection on 9 and 10 May 2018 was unannounced.", False),
    ],
)
def test_mixed_notice(passage: str, mixed: bool) -> None:
    assert mixed_notice(passage) is mixed


@pytest.mark.parametrize(
    "passage",
    [
        "The home remains rated as good and Caring is now rated outstanding.",
        "Overall the agency is still rated good and Well-led has improved to good.",
    ],
)
def test_a_kept_rating_followed_by_a_key_question_clause_is_the_whole(passage: str) -> None:
    got = read_overall_rating(passage)
    assert got is not None and got[0] in ("Good",)


def test_a_rating_joined_to_a_key_question_is_not_the_whole() -> None:
    assert (
        read_overall_rating("The clinic was rated good and safe as requires improvement.") is None
    )
