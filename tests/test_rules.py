"""Tests of the rules backend: ``rules.extract_events`` on short passages of every era and trap.

Every passage was written for these tests in the wording of its era (``shared/docs/domain.md``);
none is copied from the corpus. Each case states every field of every event it expects, and the
page's current rating: a value that should be null is asserted null.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest
from conftest import SEEDS

from extractor.backends import Extraction
from extractor.document import Document
from extractor.errors import ConfigurationError
from extractor.loading import load_document
from extractor.records import EVENT_FIELDS
from extractor.rules import RulesBackend, extract_events

GOOD, RI, INAD, OUT = "Good", "Requires improvement", "Inadequate", "Outstanding"


def E(kind: str = "inspection", date: str | None = None, **values: Any) -> dict[str, Any]:
    """An expected event: every field, null unless given."""
    unknown = set(values) - set(EVENT_FIELDS)
    assert not unknown, unknown
    return {"kind": kind, "date": date, **{name: values.get(name) for name in EVENT_FIELDS[1:]}}


@dataclass
class Case:
    id: str
    text: str
    events: list[dict[str, Any]]
    current_rating: str | None = None
    marks: list[Any] = field(default_factory=list)

    def param(self) -> Any:
        return pytest.param(self, id=self.id, marks=self.marks)


CASES = [
    # --- before 2010: CSCI, stars are no rating ---------------------------------------------
    Case(
        "csci-headline-stars",
        """Unannounced Inspection 26th February 2008

The home was awarded a two star good service rating. The inspector judged the home to be providing an Good service. There were 18 people in one unit and 10 in the other.
""",
        [E(date="2008-02-26", announced=False)],
    ),
    Case(
        "csci-spaced-date",
        """Key Inspection Report
Date: 3 0 0 3 2 0 0 9
Key inspection of this care home. The inspector found the home to be providing a good service. The quality rating for this service is 2 star. We visited unannounced.
""",
        [E(date="2009-03-30", announced=False)],
    ),
    # --- 2010-2014: standards met, no ratings -------------------------------------------------
    Case(
        "2013-list-headline",
        """Inspection carried out on 6, 7 August 2013

During a routine inspection

We spoke with 10 people who used the service. The home met this standard. The home is registered to provide care for up to 60 people.
""",
        [E(date="2013-08-06")],
    ),
    Case(
        "letter-we-inspected",
        """Dear Provider,

We inspected this service on 1 October 2014. This inspection was unannounced. At the time of our inspection 22 people were living at the home.
""",
        [E(date="2014-10-01", people_using_service=22, announced=False)],
    ),
    # --- 2014-2023: ratings ----------------------------------------------------------------------
    Case(
        "bare-date-line-routine",
        """14 June 2016

During a routine inspection

This inspection was unannounced. Thirty four people were using the service at the time of the inspection.

The overall rating for the service has changed from requires improvement to good.
""",
        [
            E(
                date="2016-06-14",
                overall_rating=GOOD,
                previous_rating=RI,
                people_using_service=34,
                announced=False,
            )
        ],
    ),
    Case(
        "bare-range-line-part-of-service",
        """31 October to 01 November 2018

During an inspection looking at part of the service

We gave the service 48 hours' notice because it is a small service.
""",
        [E(date="2018-10-31", announced=True)],
    ),
    Case(
        "headline-cut-off-part-of-service",
        """During an inspection looking at part of the service

We carried out this focused inspection because of concerns about staffing. We gave the service 48 hours' notice of the inspection.
We found inadequate staffing levels at night. The service requires improvement in how medicines are recorded.
""",
        [E(date=None, announced=True)],
    ),
    Case(
        "headline-across-years",
        """Inspection carried out on 30 December 2018 to 2 January 2019

During a routine inspection

The service is registered to provide care for up to 60 people. We spoke with 10 people.
""",
        [E(date="2018-12-30")],
    ),
    Case(
        "improvements-required-changed-from",
        """Inspection carried out on 12 December 2017

During an inspection to make sure that the improvements required had been made

The overall rating for the service has changed from inadequate to requires improvement. At our last inspection we rated the service inadequate.
""",
        [E(date="2017-12-12", overall_rating=RI, previous_rating=INAD)],
    ),
    Case(
        "last-rating-published",
        """Inspection carried out on 20 November 2019

During a routine inspection

The last rating for this service was requires improvement (published 24 September 2018). At the time of inspection 108 people were using the service.
""",
        [
            E(
                date="2019-11-20",
                previous_rating=RI,
                previous_rating_published="2018-09-24",
                people_using_service=108,
            )
        ],
    ),
    Case(
        "now-rated",
        """Inspection carried out on 7 May 2019

During a routine inspection

At the last inspection the service was rated requires improvement (published 2 June 2018). The service is now rated good.
""",
        [
            E(
                date="2019-05-07",
                overall_rating=GOOD,
                previous_rating=RI,
                previous_rating_published="2018-06-02",
            )
        ],
    ),
    Case(
        "stayed-the-same",
        """Inspection carried out on 7 May 2019

During a routine inspection

Our rating of this service stayed the same. We rated it as good because:
""",
        [E(date="2019-05-07", overall_rating=GOOD, previous_rating=GOOD)],
    ),
    Case(
        "notice-48-hours",
        """Inspection carried out on 9 January 2017

During a routine inspection

We gave the service 48 hours' notice of the inspection visit because it is small and the manager is often out supporting staff.
""",
        [E(date="2017-01-09", announced=True)],
    ),
    Case(
        "announced-24-hours-before",
        """Inspection carried out on 9 January 2017

During a routine inspection

The inspection was announced 24 hours before our visit.
""",
        [E(date="2017-01-09", announced=True)],
    ),
    Case(
        "mixed-announced-unannounced",
        """Inspection carried out on 7, 8 June 2016

During a routine inspection

The first day of the inspection was unannounced. We told the provider we would return on the second day, so the second day was announced.
""",
        [E(date="2016-06-07", announced=None)],
    ),
    Case(
        "number-in-words",
        """Inspection carried out on 9 January 2017

During a routine inspection

One hundred and eight people were receiving care from the agency at the time of the inspection.
""",
        [E(date="2017-01-09", people_using_service=108)],
    ),
    Case(
        "total-and-subset",
        """Inspection carried out on 9 January 2017

During a routine inspection

At the time of our inspection there were 45 people using the service, 30 of whom received personal care.
""",
        [E(date="2017-01-09", people_using_service=45)],
    ),
    Case(
        "capacity-sample-parts-are-no-count",
        """Inspection carried out on 9 January 2017

During a routine inspection

The service is registered to provide care for up to 60 people. We spoke with 10 people. There were 18 people in one unit and 10 in the other.
""",
        [E(date="2017-01-09")],
    ),
    # --- false friends of a rating ---------------------------------------------------------------
    Case(
        "header-and-key-questions",
        """Overall: Good

Inspection carried out on 3 March 2016

During a routine inspection

Safe: Requires improvement
Are services safe? – Good
We rated the practice as good for providing safe services. The provider was in breach of Regulation 17 (Good governance). Staff followed good practice.
""",
        [E(date="2016-03-03")],
        current_rating=GOOD,
    ),
    Case(
        "header-key-questions-in-words",
        """Overall: Requires improvement
Safe: Requires improvement
Effective: Good

Inspection carried out on 9 January 2019

During a routine inspection

The service was rated good in Safe, Effective and Caring.
""",
        [E(date="2019-01-09")],
        current_rating=RI,
    ),
    Case(
        "core-service",
        """Inspection carried out on 5 May 2017

During an inspection looking at part of the service

We rated the hospital good for this core service. Our rating of this core service was requires improvement at the last inspection.
""",
        [E(date="2017-05-05")],
    ),
    Case(
        "findings-not-ratings",
        """Inspection carried out on 2 October 2018

During a routine inspection

We found inadequate staffing levels at night. The service requires improvement in how medicines are recorded. Staff followed good practice guidance on infection control.
""",
        [E(date="2018-10-02")],
    ),
    Case(
        "gp-rating-on-the-next-line",
        """Inspection carried out on 2 March 2015

During a routine inspection

Are services safe? – Requires improvement
Are services well-led? – Good
We rated the practice as good for providing caring services.
Overall rating for this service
Good
""",
        [E(date="2015-03-02", overall_rating=GOOD)],
    ),
    # --- reviews and assessments ---------------------------------------------------------------
    Case(
        "review-awards-no-rating",
        """Review carried out on 9 September 2021

During a monthly review of our data

We did not find evidence that we need to carry out an inspection or reassess our rating at this stage. The service remains Good.
""",
        [E("review", "2021-09-09")],
    ),
    Case(
        "review-no-previous-rating",
        """Review carried out on 9 September 2021

During a monthly review of our data

We did not find evidence that we need to carry out an inspection or reassess our rating at this stage. The last rating for this service was good (published 3 March 2019).
""",
        [E("review", "2021-09-09")],
    ),
    Case(
        "assessment-report-from",
        """Report from 8 May 2025 assessment

During an assessment under our new approach

We assessed this service between 14 and 20 April 2025. Overall rating for this service: Requires improvement. The last rating for this service was good (published 3 March 2022).
""",
        [
            E(
                "assessment",
                "2025-05-08",
                overall_rating=RI,
                previous_rating=GOOD,
                previous_rating_published="2022-03-03",
            )
        ],
    ),
    Case(
        "assessment-headline-cut-off",
        """During an assessment under our new approach

Our rating of this service stayed the same. We rated it as good because:
""",
        [E("assessment", None, overall_rating=GOOD, previous_rating=GOOD)],
    ),
    # --- single-inspection pages and letters -----------------------------------------------------
    Case(
        "single-page-updated-is-not-the-date",
        """Inspection summary
Background to this inspection
Updated 2 February 2023
Inspection activity started on 12 April and ended on 20 April 2022. We gave the service 24 hours' notice of the inspection.
The overall rating for this service is requires improvement.
""",
        [E(date="2022-04-12", overall_rating=RI, announced=True)],
    ),
    Case(
        "single-page-with-header",
        """Overall: Good read more about inspection ratings

Inspection summary

Background to this inspection
Updated 2 February 2023
We carried out this inspection on 14 December 2022. The inspection was unannounced. The service was supporting 12 people at the time of the inspection.
""",
        [E(date="2022-12-14", people_using_service=12, announced=False)],
        current_rating=GOOD,
    ),
    Case(
        "letter-with-an-earlier-inspection",
        """Letter from the Chief Inspector of General Practice

We carried out an announced comprehensive inspection at Birch Lane Surgery on 25 February 2016. The overall rating for the practice was good. The full comprehensive report on the February 2016 inspection can be found by selecting the 'all reports' link.

This inspection was an announced focused inspection carried out on 8 March 2017 to confirm that the practice had carried out their plan to meet the legal requirements. Overall the practice remains rated as good.
""",
        [E(date="2017-03-08", overall_rating=GOOD, previous_rating=GOOD, announced=True)],
    ),
    Case(
        "guidance-page-has-no-events",
        """What our ratings mean

Outstanding: the service is performing exceptionally well.
Good: the service is performing well and meeting our expectations.
Requires improvement: the service is not performing as well as it should.
Inadequate: the service is performing badly and we've taken action against the provider.
""",
        [],
    ),
    # --- scope: each event keeps its own values ------------------------------------------------
    Case(
        "later-event-states-the-earlier-rating",
        """Inspection carried out on 4 April 2019

During a routine inspection

At our last inspection the service was rated inadequate (published 2 June 2018). At this inspection we found improvements.

Inspection carried out on 1 May 2018

During a routine inspection

This inspection was unannounced. The home was registered to provide care for up to 40 people.
""",
        [
            E(date="2019-04-04", previous_rating=INAD, previous_rating_published="2018-06-02"),
            E(date="2018-05-01", overall_rating=None, announced=False),
        ],
    ),
    Case(
        "header-and-change-stay-with-the-newest-event",
        """Overall: Good

Inspection carried out on 4 April 2019

During a routine inspection

The overall rating for the service has changed from requires improvement to good.

Inspection carried out on 1 May 2018

During a routine inspection

This inspection was unannounced. We rated the service as requires improvement in safe and well-led.
""",
        [
            E(date="2019-04-04", overall_rating=GOOD, previous_rating=RI),
            E(date="2018-05-01", overall_rating=None, announced=False),
        ],
        current_rating=GOOD,
    ),
    Case(
        "review-inspection-inspection",
        """Overall: Requires improvement read more about inspection ratings

Review carried out on 9 September 2021

During a monthly review of our data

We did not find evidence that we need to carry out an inspection or reassess our rating at this stage.

Inspection carried out on 4 April 2019

During a routine inspection

The overall rating for the service has changed from good to requires improvement. We gave the service 48 hours' notice of the inspection because it is a small domiciliary care agency. The agency was providing personal care to 12 people.

Inspection carried out on 1 May 2017

During a routine inspection

This inspection took place on 1 and 2 May 2017 and was unannounced. The home was registered to provide care for up to 40 people.
""",
        [
            E("review", "2021-09-09"),
            E(
                date="2019-04-04",
                overall_rating=RI,
                previous_rating=GOOD,
                people_using_service=12,
                announced=True,
            ),
            E(date="2017-05-01", announced=False),
        ],
        current_rating=RI,
    ),
    # --- role: scope (a part's rating is not the whole's) and time (a kept rating) ------------
    Case(
        "core-service-event-rates-the-core-service",
        """Overall: Good read more about inspection ratings

3, 4 & 9 March 2021

During an inspection of Wards for older people with mental health problems

We carried out this unannounced focused inspection of two wards because of concerns raised by relatives.

Our rating of this service went down. We rated it as inadequate because:

- Staff did not always record observations.
""",
        [E(date="2021-03-03", announced=False)],
        current_rating=GOOD,
    ),
    Case(
        "hospital-whole-before-its-core-service-bullets",
        """Overall: Requires improvement read more about inspection ratings

14 May 2019

During an inspection looking at part of the service

Our rating of services went down. We rated them as requires improvement because:

  • We inspected Maternity in April 2019 because of concerns. Our rating of the service went up. We rated it as good because staff were caring.
  • We inspected Outpatients in April 2019. Our rating of the service stayed the same. We rated it as outstanding because patients were seen promptly.
""",
        [E(date="2019-05-14", overall_rating=RI)],
        current_rating=RI,
    ),
    Case(
        "bullet-core-service-only",
        """6 June 2018

During an inspection looking at part of the service

  • We inspected Surgery in June 2018 to check on improvements. Our rating of the service stayed the same. We rated it as requires improvement because theatre lists overran.
""",
        [E(date="2018-06-06")],
    ),
    Case(
        "letter-history-then-still-rated",
        """12 October 2018

During a routine inspection

We carried out an announced comprehensive inspection at Brook Lane Surgery on 2 March 2016. The practice was rated good overall.

We returned on 1 August 2017 for a further comprehensive inspection. The overall rating for the practice was requires improvement.

This inspection was an announced comprehensive inspection on 12 October 2018. Overall the practice is still rated as requires improvement.
""",
        [E(date="2018-10-12", overall_rating=RI, previous_rating=RI, announced=True)],
    ),
    Case(
        "retained-the-rating-named-before",
        """We carried out an unannounced inspection of the agency on 8 and 9 January 2019. At the time of the inspection 31 people were receiving personal care.

At our last inspection the agency received a rating of outstanding. At this inspection the agency has retained this rating.
""",
        [
            E(
                date="2019-01-08",
                overall_rating=OUT,
                previous_rating=OUT,
                people_using_service=31,
                announced=False,
            )
        ],
    ),
    # --- dates: headlines with weekdays or several dates, run-on report covers ------------------
    Case(
        "weekday-range-headline",
        """Thursday 12 - Friday 13 October 2023

During a routine inspection

Our rating of this location went down. We rated it as requires improvement because:
""",
        [E(date="2023-10-12", overall_rating=RI)],
    ),
    Case(
        "numeric-dates-headline",
        """14/3/2022, 02/05/2022

During a routine inspection

We rated the clinic as good overall.
""",
        [E(date="2022-03-14", overall_rating=GOOD)],
    ),
    Case(
        "run-on-cover-label",
        """1 Northfield Community Trust Quality Report Tel: Website: Date of publication: 03/03/2016 Date of inspection visit: 9-11 and 20 November 2015 This report describes our judgement of the quality of care at this trust. Ratings Overall rating for this trust Good Are services at this trust safe? Good
""",
        [E(date="2015-11-09", overall_rating=GOOD)],
    ),
    Case(
        "run-on-cover-label-garbled",
        """1 Eastgate Hospital Quality Report Tel: Website: Date of inspection visit: and 14 June 2015 Date of publication: 01/10/2015 This report describes our judgement of the quality of care at this hospital. We inspected the hospital as part of our comprehensive programme.
""",
        [E()],
    ),
    Case(
        "summary-page-after-an-earlier-inspection",
        """Inspection Summary

This practice is rated as Good overall. (Previous inspection 4 May 2016 – Requires improvement)

We carried out an announced comprehensive inspection of Elm Row Surgery on 4 May 2016.

Following the inspection on 4 May 2016 the provider sent us an action plan. We then carried out an announced comprehensive inspection on 19 June 2018 to confirm the practice had made improvements.
""",
        [E(date="2018-06-19", overall_rating=GOOD, previous_rating=RI, announced=True)],
    ),
    Case(
        "letter-visit-between",
        """Letter from the Chief Inspector of Hospitals

The Care Quality Commission carried out a comprehensive inspection which included an inspection visit between the 2 and 4 February 2016. Overall, we rated this hospital as good.
""",
        [E(date="2016-02-02", overall_rating=GOOD)],
    ),
    # --- single-inspection pages, list entries, kinds, header of a previous provider ---------------
    Case(
        "summary-page-without-a-date",
        """Latest inspection summary

Overall inspection

Good

Updated 2 March 2021

Letter from the Chief Inspector of Hospitals

Riverside Community Health is a social enterprise serving two boroughs.

Our key findings were as follows:
""",
        [E()],
    ),
    Case(
        "service-report-list-inline-headlines",
        """Reports

Inspection carried out on 4 - 6 May 2017 During an inspection of Community dental services Download report PDF
Inspection carried out on 2 Feb to 9 Mar 2016 During an inspection of Urgent care services Download report PDF
Inspection carried out on 2 Feb to 9 Mar 2016 During an inspection of Community health services for adults Download report PDF
""",
        [E(date="2017-05-04"), E(date="2016-02-02"), E(date="2016-02-02")],
    ),
    Case(
        "assessment-without-headline",
        """Updated 3 December 2024

We started this assessment on 14 October 2024 and completed it on 21 October 2024. People were not always protected from avoidable harm.
""",
        [E("assessment", "2024-10-14")],
    ),
    Case(
        "desk-review-without-headline",
        """Updated 20 June 2016

We carried out a desk-based review of this practice on 1 June 2016 to check that improvements planned after our comprehensive inspection on 3 February 2016 had been made. We looked at documents the provider sent us.
""",
        [E("review", "2016-06-01")],
    ),
    Case(
        "header-of-a-previous-provider",
        """The provider of this service changed - see old profile

We have not inspected this service yet

Inspection summaries and ratings from previous provider

Overall summary & rating

Requires improvement

Updated 9 May 2019

We carried out an announced comprehensive inspection at Oak Lane Clinic on 12 March 2019. This practice is rated as requires improvement overall.
""",
        [E(date="2019-03-12", overall_rating=RI, announced=True)],
    ),
    Case(
        "announced-main-visit-and-an-unannounced-one",
        """Letter from the Chief Inspector of Hospitals

The inspection took place between 5 and 7 October and unannounced inspections took place on 16 and 19 October 2015. Overall, we rated this trust as requires improvement.
""",
        [E(date="2015-10-05", overall_rating=RI)],
    ),
    # --- a rating's or a notice's time: dated before the event ----------------------------------
    Case(
        "own-visit-days-before-a-last-day-headline",
        """14 November 2022

During a routine inspection

We carried out an announced comprehensive inspection at Millbrook Surgery on 9 November 2022 and 14 November 2022. Following this inspection we rated the practice as requires improvement overall.
""",
        [E(date="2022-11-14", overall_rating=RI, announced=True)],
    ),
    Case(
        "earlier-rating-dated-by-month-in-its-clause",
        """Inspection carried out on 6 June 2018

During a routine inspection

This inspection took place on 6 June 2018 and was unannounced. When we visited in February 2016 the overall rating for this home was Inadequate. At a further inspection in September 2016 the home was rated requires improvement overall. The last rating for this service was requires improvement (published 2 December 2016).
""",
        [
            E(
                date="2018-06-06",
                previous_rating=RI,
                previous_rating_published="2016-12-02",
                announced=False,
            )
        ],
    ),
    Case(
        "earlier-rating-dated-by-day-and-year-word",
        """Inspection carried out on 20 March 2019

During a routine inspection

At our comprehensive inspection on 2 May 2017, the overall rating for the practice was good. In 2018 the surgery was rated inadequate overall after a focused visit.
""",
        # the later of the two earlier ratings, narrated after the dated one: the previous
        [E(date="2019-03-20", previous_rating=INAD)],
    ),
    Case(
        "announced-of-an-earlier-review-in-the-same-summary",
        """Inspection carried out on 11 October 2021

During a routine inspection

This clinic is rated as good overall. We carried out an announced desk-based review of Harbour Clinic on 3 February 2020 and found breaches. This inspection was a comprehensive inspection to follow up those breaches.
""",
        [E(date="2021-10-11", overall_rating=GOOD)],
    ),
    Case(
        "earlier-notice-named-without-a-date",
        """Letter from the Chief Inspector of General Practice

At our last announced comprehensive inspection we found the practice in breach of regulation 17. We undertook this focused inspection on 4 April 2018 to check the improvements. The practice is now rated as good overall.
""",
        [E(date="2018-04-04", overall_rating=GOOD)],
    ),
    Case(
        "notice-refused-on-one-day-given-on-others",
        """Inspection carried out on 2 March 2017

During a routine inspection

This inspection took place on 2, 9 and 10 March 2017. We did not announce our visit on the first day. The visits on 9 and 10 March 2017 were announced so that we could meet staff.
""",
        [E(date="2017-03-02")],
    ),
    Case(
        "this-inspection-after-an-earlier-dated-one",
        """Letter from the Chief Inspector of General Practice

We carried out a desk-based review of Holly Tree Practice on 9 September 2016. This followed our announced comprehensive inspection carried out on 3 March 2016. At that inspection the practice was rated as requires improvement overall. During this desk-based inspection we reviewed documents sent by the provider.
""",
        [E(date="2016-09-09", previous_rating=RI)],
    ),
    Case(
        "previous-rating-of-the-one-earlier-time-named",
        """Inspection carried out on 15 October 2019

During a routine inspection

We found improvements since our visit. At our inspection in November 2017 we rated the agency as inadequate overall.
""",
        [E(date="2019-10-15", previous_rating=INAD)],
    ),
    Case(
        "no-previous-rating-from-a-history-of-several-earlier-times",
        """Inspection carried out on 15 October 2019

During a routine inspection

At our inspection in November 2016 the overall rating for this home was good. In June 2017 we placed the home in special measures after a responsive inspection.
""",
        [E(date="2019-10-15")],
    ),
    Case(
        "this-inspection-set-apart-from-a-previous-one",
        """Inspection carried out on 6 February 2017

During a routine inspection

We previously inspected the agency on 14 June 2016. At this inspection we found the agency had improved and we rated it good overall.
""",
        [E(date="2017-02-06", overall_rating=GOOD)],
    ),
    Case(
        "that-inspection-then-this-one",
        """Inspection carried out on 6 February 2017

During a routine inspection

We carried out a comprehensive inspection of the home on 14 June 2016. At that inspection the home was rated inadequate overall. At this inspection the home was rated requires improvement overall.
""",
        [E(date="2017-02-06", overall_rating=RI, previous_rating=INAD)],
    ),
    # --- a rating's scope: a part with "overall" near it ----------------------------------------
    Case(
        "overall-for-a-key-question",
        """Inspection carried out on 12 February 2019

During a routine inspection

We rated the trust as requires improvement overall for well-led. We rated effective as good.
""",
        [E(date="2019-02-12")],
    ),
    Case(
        "core-service-clause-then-the-whole",
        """Report from 4 March 2024 assessment

Our view of the service

We assessed a small number of quality statements. Our overall rating for maternity remains good and the overall location remains requires improvement.
""",
        [E("assessment", "2024-03-04", overall_rating=RI, previous_rating=RI)],
    ),
    Case(
        "ward-of-a-hospital-in-a-part-inspection",
        """7 and 8 June 2021

During an inspection looking at part of the service

Willow Unit at Fernhill Hospital is a low secure ward for men. Our rating of this service went down. We rated it as requires improvement.
""",
        [E(date="2021-06-07")],
    ),
    Case(
        "part-inspection-of-a-whole-practice-keeps-its-rating",
        """9 July 2021

During an inspection looking at part of the service

We carried out an announced focused inspection at Ashfield Surgery on 9 July 2021. Overall, the practice is rated as good.
""",
        [E(date="2021-07-09", overall_rating=GOOD, announced=True)],
    ),
    Case(
        "assessment-page-of-one-key-question",
        """Report from 2 October 2024 assessment

Contents

Safe

At our last inspection, we rated this key question requires improvement. At this assessment, the rating has changed to good. People were protected from avoidable harm.
""",
        [E("assessment", "2024-10-02")],
    ),
    Case(
        "assessment-key-question-heading-without-the-phrase",
        """Report from 17 January 2025 assessment

Responsive

The rating has gone down to requires improvement. People could not always get appointments.
""",
        [E("assessment", "2025-01-17")],
    ),
    # --- wording of ratings, notice and dates ----------------------------------------------------
    Case(
        "overall-rating-is-and-rated-overall-as",
        """Letter from the Chief Inspector of General Practice

We inspected this practice on 14 January 2015. The overall rating is requires improvement.
""",
        [E(date="2015-01-14", overall_rating=RI)],
    ),
    Case(
        "rated-overall-as-now-and-before",
        """Inspection carried out on 1 August 2017

During a routine inspection

Our last inspection of this agency took place in June 2015 when it was rated overall as Good. At this inspection the agency was rated overall as Inadequate.
""",
        [E(date="2017-08-01", overall_rating=INAD, previous_rating=GOOD)],
    ),
    Case(
        "changed-the-rating-to",
        """Letter from the Chief Inspector of Hospitals

We carried out this announced comprehensive inspection of 5 and 6 May 2018. We found the breaches met and were able to raise the rating to good.
""",
        [E(date="2018-05-05", overall_rating=GOOD, announced=True)],
    ),
    Case(
        "inspection-was-a-date-and-took-place",
        """Updated 8 January 2020

Background to this inspection

The home was inspected by two inspectors. The inspection was 12 and 13 November 2019 and was unannounced.
""",
        [E(date="2019-11-12", announced=False)],
    ),
    Case(
        "comprehensive-and-took-place",
        """Updated 4 April 2018

Notice of inspection: This was a comprehensive inspection and took place on 27 February 2018. We gave the provider 48 hours' notice.
""",
        [E(date="2018-02-27", announced=True)],
    ),
    Case(
        "this-inspection-date-after-earlier-ones-in-one-sentence",
        """Inspection summary

We checked these areas at a focused inspection on 2 March 2018 and at this comprehensive inspection on 19 September 2018.
""",
        [E(date="2018-09-19")],
    ),
    Case(
        "bare-date-line-above-a-summary",
        """Meadowside Hospital

14th June 2016

Overall, we rated Meadowside Hospital as good.
""",
        [E(date="2016-06-14", overall_rating=GOOD)],
    ),
    Case(
        "bare-date-under-a-section-heading-is-the-update",
        """Background to this inspection

3 March 2020

We carried out this inspection under Section 60 of the Health and Social Care Act 2008 as part of our regulatory functions.
""",
        [E()],
    ),
    # --- round 3 classes -----------------------------------------------------------------------
    Case(
        "old-headline-date-in-its-own-slot-only",
        """Inspection on 11/02/10 for Cornwallis

This inspection was carried out on 11th February 2010.

Random inspection report Care homes for older people Name: Address: Cornwallis one star adequate service 23/10/2008 The quality rating
""",
        [E(date="2010-02-11")],
    ),
    Case(
        "header-overall-on-its-own-line",
        """Acacia Court
Telephone: (01704) 541034

Overall
Requires improvement

Read overall summary
The inspection took place on 12 March, 2018 and was unannounced.
""",
        [E(date="2018-03-12", announced=False)],
        current_rating=RI,
    ),
    Case(
        "header-overall-rating-on-its-own-line",
        """Rose Lodge

Overall rating
Good

We inspected the service on 4 April 2019.
""",
        [E(date="2019-04-04")],
        current_rating=GOOD,
    ),
    Case(
        "first-day-lost-before-a-month",
        """Inspection summary

We carried out a comprehensive inspection of the hospital on July 2015 (announced) and 11 August 2015 (unannounced).
""",
        [E()],
    ),
    Case(
        "desk-based-follow-up-review-after-a-dated-inspection",
        """Updated 16 November 2021
We undertook a follow up desk-based review of Dale Street Dental Practice on 25 October 2021. This review was carried out to review the actions taken by the registered provider.
We undertook a focused follow up inspection of Dale Street Dental Practice on 28 April 2021. We found the registered provider was in breach of Regulation 17.
We found this practice was providing well-led care in accordance with the relevant regulations.
""",
        [E("review", "2021-10-25")],
    ),
    Case(
        "desk-based-review-that-rates-a-key-question-is-an-inspection",
        """Background to this inspection
We carried out an announced desk-based review of Hill Surgery on 3 June 2019 to confirm that the practice had made improvements.
The practice is now rated as good for providing safe services.
""",
        [E("inspection", "2019-06-03", announced=True)],
    ),
]

assert len({c.id for c in CASES}) == len(CASES)


def _extract(case: Case) -> Extraction:
    return extract_events(Document.from_text(case.text))


@pytest.mark.parametrize("case", [c.param() for c in CASES])
def test_events_and_values(case: Case) -> None:
    x = _extract(case)
    assert [e.values() for e in x.events] == case.events
    assert x.current_rating == case.current_rating


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_every_evidence_slices_back(case: Case) -> None:
    """The invariant for every evidence of every extracted event (xfail cases included)."""
    text = case.text
    x = _extract(case)
    for i, event in enumerate(x.events):
        # evidence exactly for the non-null fields
        assert set(event.evidence) == {
            k for k, v in event.values().items() if k != "kind" and v is not None
        }, i
        for name, ev in event.evidence.items():
            assert text[ev.start : ev.end] == ev.quote, (i, name)
            assert ev.holds_in(text)
            assert ev.quote == ev.quote.strip() and ev.quote
    if x.current_rating is not None:
        assert x.current_rating_evidence is not None
        assert x.current_rating_evidence.holds_in(text)
    else:
        assert x.current_rating_evidence is None


def test_the_header_rating_is_evidenced_by_the_header() -> None:
    case = next(c for c in CASES if c.id == "header-and-key-questions")
    x = _extract(case)
    assert x.current_rating_evidence is not None
    assert x.current_rating_evidence.quote == "Overall: Good"
    assert x.current_rating_evidence.start == 0


def test_date_evidence_is_the_headline_not_the_update_line() -> None:
    case = next(c for c in CASES if c.id == "single-page-updated-is-not-the-date")
    (event,) = _extract(case).events
    quote = event.evidence["date"].quote
    assert "Updated" not in quote
    assert quote.startswith("Inspection activity started on 12 April")


def test_change_sentence_is_the_evidence_of_both_ratings() -> None:
    case = next(c for c in CASES if c.id == "bare-date-line-routine")
    (event,) = _extract(case).events
    sentence = "The overall rating for the service has changed from requires improvement to good."
    assert event.evidence["overall_rating"].quote == sentence
    assert event.evidence["previous_rating"].quote == sentence
    assert event.evidence["date"].quote == "14 June 2016"


def test_seed_003_scope() -> None:
    """Seed 003: the 2019 event states only the last rating, so its own rating is null, and
    the 2018 event does not take the rating the 2019 event reports about it."""
    doc = load_document(SEEDS / "003_7166d48ac7fe3a64.txt")
    x = extract_events(doc)
    assert [e.date for e in x.events] == [dt.date(2019, 11, 20), dt.date(2018, 6, 28)]
    newer, older = x.events
    assert newer.overall_rating is None
    assert newer.previous_rating == RI
    assert newer.previous_rating_published == dt.date(2018, 9, 24)
    assert older.overall_rating is None
    assert newer.evidence["previous_rating"].start > x.events[0].evidence["date"].end


def test_backend_matches_the_function_and_takes_no_options() -> None:
    case = CASES[4]
    doc = Document.from_text(case.text)
    assert RulesBackend().extract(doc) == extract_events(doc)
    with pytest.raises(ConfigurationError, match=r"rules backend: model: not an option.*openai"):
        RulesBackend(model="x")


def test_an_adverb_does_not_hide_an_earlier_inspection() -> None:
    text = (
        "Inspection summary\n\n"
        "This inspection was a desk-based review carried out on 3 March 2020.\n\n"
        "We previously carried out an announced inspection at Elm Lodge on 2 May 2019. "
        "Overall the home was rated as good with requires improvement for well-led.\n\n"
        "We carried out this review to check the actions the provider had taken.\n\n"
        "Overall the home remains rated as good and Well-led is now rated good.\n"
    )
    event = extract_events(Document.from_text(text)).events[0]
    assert event.overall_rating == "Good"
    assert event.evidence["overall_rating"].quote.startswith("Overall the home remains rated")


@pytest.mark.parametrize(
    "head",
    [
        "3 and 4 May 2021\nDuring a routine inspection\nOur rating of this medical care service "
        "improved. We rated it as good because:\n- Staff were kind.\n",
        "2 March 2020\nDuring a routine inspection\nOur rating of the maternity service stayed "
        "the same. We rated it as good because:\n- Staff were kind.\n",
        "Riverside Hospital\nReport from 4 June 2024 assessment\nRatings - Outpatients\n"
        "Our view of the service\nWe carried out an unannounced inspection of outpatients. We "
        "rated the service as good.\n",
    ],
    ids=["medical-care", "maternity", "ratings-heading"],
)
def test_a_core_services_rating_at_the_top_of_its_event_is_not_the_overall(head: str) -> None:
    event = extract_events(Document.from_text(head)).events[0]
    assert event.overall_rating is None
    assert event.previous_rating is None


def test_when_we_rated_takes_the_time_of_the_phrase_before_it() -> None:
    text = (
        "12 October 2022\nDuring an inspection looking at part of the service\n"
        "We carried out an announced focused inspection of Elm Clinic on 12 October 2022, to "
        "check on concerns found at our inspection in March 2021, when we rated the service as "
        "inadequate overall.\n\nThe service is now rated as good overall.\n"
    )
    event = extract_events(Document.from_text(text)).events[0]
    assert event.overall_rating == "Good"
    assert event.previous_rating == "Inadequate"


def test_a_trusts_rating_that_a_level_of_performance_led_to() -> None:
    text = (
        "5 - 8 May 2015\nDuring a routine inspection\nWe found that the trust was performing "
        "at a level which led to a rating of Good.\n"
    )
    assert extract_events(Document.from_text(text)).events[0].overall_rating == "Good"


@pytest.mark.parametrize(
    "text",
    [
        "Updated 3 April 2019\nOak Tree Clinic Ltd is an independent provider of dermatology "
        "services for adults in Leeds, with one consulting room and a small treatment room.\n",
        "Riverside Hospital, Maternity and gynaecology: GOOD\n\nWomen received kind care from "
        "midwives who knew them well.\n",
    ],
    ids=["updated-section", "core-service-summary"],
)
def test_a_report_section_cut_from_its_page_is_one_event(text: str) -> None:
    events = extract_events(Document.from_text(text)).events
    assert [(e.kind, e.date, e.overall_rating) for e in events] == [("inspection", None, None)]


def test_a_guidance_page_last_updated_is_still_no_event() -> None:
    text = (
        "Page last updated: 3 April 2019\nHow we rate services: we will look at five key "
        "questions and you can read what each rating means on this page.\n"
    )
    assert extract_events(Document.from_text(text)).events == []


@pytest.mark.parametrize(
    "sentence",
    [
        "The inspection visit at Elm House was undertaken on 26 July 2016 and was announced.",
        "The inspection of Rose Court Care Home took place on 26 July 2016.",
        "The visit to the Riverside unit was carried out on 26 July 2016.",
    ],
)
def test_an_activity_sentence_naming_the_place_dates_the_event(sentence: str) -> None:
    text = f"Inspection summary\n\n{sentence} We spoke with six people.\n"
    event = extract_events(Document.from_text(text)).events[0]
    assert event.date == dt.date(2016, 7, 26)
