"""The rules backend: no key, no network. The default, and the baseline for model output.

How a page is read:

1. **Events.** An event starts at a headline: "Inspection carried out on <date>", "Review
   carried out on <date>", "Report from <date> assessment", a bare date line followed by a
   "During ..." line, or a "During a routine inspection" / "During an assessment under our new
   approach" / "During a monthly review of our data" line whose headline was cut off. The
   event's block runs to the next event's start. A page with no headline that describes one
   particular inspection (single-inspection pages, letters, excerpts) is one event; a page that
   describes none (guidance, news) has no events.
2. **Fields.** Each field is read from the sentences of the event's own block by the readers
   in :mod:`extractor.reading.readers`, the same ones the checker uses to re-read a quote. The sentence
   (or two, where the second leans on the first) is the evidence.
3. **The page header** (above the first event) gives ``current_rating`` ("Overall: Good").
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from extractor.backends import Backend, Extraction
from extractor.document import Document
from extractor.reading.layout import (
    BARE_DATE_LINE_RE,
    DATE_LABEL,
    EventStart,
    find_event_starts,
    line_date,
    split_sentences,
)
from extractor.reading.readers import (
    is_previous_context,
    mixed_notice,
    read_announced,
    read_event_date,
    read_header_rating,
    read_overall_rating,
    read_people,
    read_previous_published,
    read_previous_rating,
)
from extractor.reading.values import MONTH_PATTERN, month_number
from extractor.records import Event, Evidence, Kind

T = TypeVar("T")

# --- does a page without headlines describe one inspection? ----------------------------------

_SPECIFIC = re.compile(
    r"\b(?:we\s+(?:inspected|found|saw|spoke|looked|observed|reviewed|visited|carried\s+out|"
    r"undertook|checked|asked|talked|met|identified|received|examined|completed|rated|gave|"
    r"conducted)|people\s+(?:told|said)|(?:this|our|the)\s+(?:inspection|assessment|visit)|"
    r"inspection\s+(?:report|team|activity|took\s+place)|at\s+the\s+time\s+of|key\s+inspection|"
    r"during\s+(?:our|the|this)\s+(?:inspection|visit|assessment)|"
    r"(?:inspection|assessment)\s+outcome|date\s+of\s+(?:inspection|assessment)|"
    r"found\s+(?:this|the)\s+\w+\s+to\s+be|the\s+inspector\s+found|we\s+were\s+inspected|"
    r"(?:the|this|our)\s+report\s+(?:gave|judged|found|rated|highlighted))|"
    # a report section cut from its page: its "Updated" line on top, then prose
    r"\A\s*Updated\s+[0-3]?\d\s+[A-Za-z]+\s+(?:19|20)\d\d[ \t]*\n\s*\S[^\n]{80,}|"
    # a Quality Report's summary of one core service: "St Mary's Hospital, Maternity: GOOD"
    r"^[^\n:,]{3,80},\s*[^\n:]{3,60}:\s*(?-i:OUTSTANDING|GOOD|REQUIRES\s+IMPROVEMENT|INADEQUATE)"
    r"[ \t]*$",
    re.I | re.M,
)
_GENERIC = re.compile(
    r"\b(?:we\s+will|will\s+be|you\s+can|you\s+will|what\s+to\s+expect|we\s+rate\s+most|"
    r"page\s+last\s+updated|the\s+practices\s+that\s+we\s+have\s+reported|"
    r"published\s+reports\s+on|how\s+we\s+(?:publish|inspect|rate)|our\s+(?:target|inspectors)\b|"
    r"wherever\s+possible|this\s+information\s+will|we\s+(?:usually|may|normally|aim|can)|"
    r"most\s+of\s+our|how\s+often|(?<!on\s)this\s+page|depends\s+on|guidance\s+for|"
    r"has\s+today\s+published|\bnews\b|\bsaid\s*:|\d+\s*%\s+(?:were|was)\s+rated\b|annual\s+(?:assessment|report)\s+of)",
    re.I,
)


_SUMMARY_PAGE = re.compile(
    r"^[ \t]*(?:(?:Latest\s+)?Inspection\s+summary|Background\s+to\s+this\s+inspection|Letter\s+from\s+the\s+Chief\s+Inspector\s+of\s+"
    r"(?:Hospitals|General\s+Practice|Adult\s+Social\s+Care|Primary\s+Medical\s+Services))[ \t]*$",
    re.I | re.M,
)


def describes_an_inspection(text: str) -> bool:
    """Whether a page without headlines is about one particular inspection or assessment."""
    specific = len(_SPECIFIC.findall(text))
    generic = len(_GENERIC.findall(text))
    # A single-inspection page's own heading ("Inspection summary", "Letter from the Chief
    # Inspector of Hospitals") decides it.
    if _SUMMARY_PAGE.search(text) and generic < 6:
        return True
    # A sentence dating an inspection decides it, unless the page reads as guidance.
    if generic < 6 and any(
        _ACTIVITY.search(text[s:e]) and read_event_date(text[s:e])
        for s, e in _dated_sentences(text)
    ):
        return True
    return specific >= 1 and specific > generic


def _dated_sentences(text: str) -> list[tuple[int, int]]:
    return [(s, e) for s, e in split_sentences(text) if _DIGIT.search(text, s, e)]


def _page_kind(text: str) -> Kind:
    if re.search(
        r"\bwe\s+(?:completed|carried\s+out|started|undertook|conducted|began)\s+(?:this|an?|our)\s+"
        r"(?:[\w-]+\s+){0,3}?assessment\b[^.]{0,120}?\b20(?:2[3-9]|[3-9]\d)\b",
        text,
        re.I,
    ):
        return "assessment"  # a single-assessment-framework assessment, dated 2023 on
    if re.search(
        r"\bassessment\s+under\s+our\s+new\s+approach|\bdate\s+of\s+assessments?\b|"
        r"\breport\s+from\s+.{4,30}\s+assessment|\bquality\s+statements?\b",
        text,
        re.I,
    ):
        return "assessment"
    if re.search(r"\breview\s+of\s+(?:the\s+)?(?:our\s+)?data\b", text, re.I) and not re.search(
        r"\binspection\b", text, re.I
    ):
        return "review"
    return "inspection"


# --- the event's date when there is no headline ------------------------------------------------

_ACTIVITY = re.compile(
    r"\b(?:date\s+of\s+(?:the\s+)?(?:inspection|assessment|visit)s?(?:\s+visit)?|"
    r"(?:inspection|assessment)s?\s+(?:site\s+visit\s+)?activity\s+(?:started|began|took)|"
    r"(?:inspection|assessment|visit)s?\s+(?:(?:at|of|to)\s+[^.;,\d]{1,60}?\s+)?(?:(?:that|which)\s+)?"
    r"(?:took\s+place|was\s+(?:carried\s+out|undertaken|"
    r"completed|conducted)|commenced|started|began)|"
    r"(?:assessment|inspection)s?\s+(?:were|was)\s+from|"
    r"we\s+(?:previously\s+|recently\s+|initially\s+|last\s+|also\s+|then\s+|first\s+)?"
    r"(?:carried\s+out|undertook|conducted|completed|made|did)\s+(?:an?|this|the|our|a\s+further)"
    r"\b[^.]{0,120}?\b(?:inspection|visit|assessment)|"
    r"we\s+inspected\b|we\s+visited\b|\bvisited\s+(?:us|the\s+\w+|our\s+\w+)\s+on\b|"
    r"\bcarried\s+out\s+(?:an?|the|our)\s+(?:[\w-]+\s+){0,3}?(?:inspection|visit|assessment)s?\s+on\b|"
    r"we\s+(?:carried\s+out|made|undertook|conducted)\s+(?:[\w-]+\s+)?(?:site\s+)?visits?\b|(?:this|the)\s+(?:inspection|assessment|visit)\s+(?:of|on)\b|"
    # "At this announced comprehensive inspection of 20 & 21 September 2017"
    r"\bthis\s+(?:[\w-]+\s+){1,3}?(?:inspection|assessment|visit)\s+(?:of|on|between|from)\s+(?:the\s+)?\d|"
    # "The inspection was 8 and 9 October", "Our visits were on 3 May"
    r"\b(?:inspection|assessment|visit)s?\s+(?:was|were)\s+(?:(?:held|made)\s+)?(?:on\s+)?(?:the\s+)?"
    r"(?:\d|(?:mon|tues|wednes|thurs|fri|satur|sun)day\b)|"
    # "On 24 September 2020 we carried out a desk-based review to confirm ..."
    r"\bwe\s+(?:carried\s+out|undertook|conducted|completed)\s+an?\s+(?:[\w-]+\s+){0,3}?review\b|"
    # "their announced comprehensive inspection conducted on 20 January 2016"
    r"\b(?:inspection|visit|assessment)s?\s+(?:(?:that|which)\s+(?:was|we)\s+)?(?:conducted|carried\s+out|"
    r"undertaken|completed|held|made)\s+(?:on|between|from)\b|"
    # "This was a comprehensive inspection and took place on 15 May"
    r"\b(?:inspection|assessment|visit)\b[^.]{0,40}?\btook\s+place\s+(?:on|between|from|over)\b|"
    # "We carried out a desk top review of Riverside Surgery on 22 July 2016"
    r"\bcarried\s+out\s+an?\s+(?:[\w-]+\s+){0,3}?review\s+of\s+[^.]{1,80}?\s+on\s+(?:the\s+)?\d|"
    r"this\s+inspection\s+was\s+carried\s+out|inspection\s+was\s+carried\s+out|"
    r"(?:last\s+)?inspection\s+dates?\s*:|(?:last\s+)?inspection\s*:|carried\s+out\s+on|spoke\s+with\s+on|"
    r"date\s*:|inspection\s+on\b|"
    # "an announced inspection visit between the 16 and 18 September 2014"
    r"(?:inspection|assessment|visit)s?\s+(?:visits?\s+)?(?:between|from)\s+(?:the\s+)?\d|"
    # a desk-based review's own activity: "We carried out a review of this service on 5 May 2016"
    r"\bcarried\s+out\s+an?\s+(?:[\w-]+\s+){0,2}?review\s+of\s+(?:this|the)\s+(?:service|practice|"
    r"location|provider|surgery|clinic)\b|\b(?:this|the)\s+review\s+(?:on|was\s+carried\s+out)\b)",
    re.I,
)
#: A date label inside a run-on line ("... Tel: Website: Date of inspection visit: 5-6 and 14
#: December 2013 Date of publication: ..."): the date must follow it at once, else it is garbled.
_LABEL_IN_LINE = re.compile(
    r"\bdates?\s+of\s+(?:the\s+)?(?:inspection|assessment)s?(?:\s+visits?)?\s*:\s*", re.I
)
#: The date of an inspection that this one followed: "Following the inspection on 11 January
#: 2017", "after our comprehensive inspection on 1 September 2015".
_REVIEW_ACTIVITY = re.compile(
    r"\b(?:carried\s+out|undertook|conducted|completed)\s+an?\s+(?:[\w-]+\s+){0,3}?review\s+of\b|"
    r"\b(?:this|the)\s+review\s+(?:on|was\s+carried\s+out)\b",
    re.I,
)
#: A rating awarded in words ("We rated the practice as good for providing safe services"): a
#: desk-based activity that rates, even one key question, is an inspection.
_RATES = re.compile(
    r"\b(?:rated|rating|re-?rated)\b[^.]{0,60}?\b(?:outstanding|good|requires?\s+improvement|"
    r"inadequate)\b|\b(?:outstanding|good|requires?\s+improvement|inadequate)\b[^.]{0,20}?\brating\b",
    re.I,
)
_WEEKDAY = re.compile(
    r"\s*(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?\s*", re.I
)
_AFTER_AN_INSPECTION = re.compile(
    r"\b(?:following|after|since)\s+(?:(?:the|our|that|an?|its)\s+)?(?:[\w-]+\s+){0,3}?"
    r"(?:inspection|visit|assessment)\s+(?:on|in|of|dated)\s*$",
    re.I,
)
_THIS_ONE = re.compile(
    r"\b(?:this|the)\s+(?:focused\s+|follow[\s-]?up\s+|desk[\s-]?top\s+|comprehensive\s+)?"
    r"(?:inspection|assessment|visit)\s+(?:was|took|of|on)\b|"
    r"\bthis\s+(?:[\w-]+\s+){1,3}?(?:inspection|assessment|visit)\s+(?:was|took|of|on)\b|\bfollow[\s-]?up\b|\bto\s+confirm\b|"
    r"\bto\s+check\s+that\b|\bfocused\s+inspection\b|\bthis\s+inspection\b",
    re.I,
)
_BACK_REFERENCE = re.compile(
    r"^\s*(?:The\s+overall\s+rating\s+for\s+the\s+\w+\s+was\b|A\s+breach\b|(?:However,?\s+)?a\s+breach"
    r"|After\s+(?:the|that|this)\b|Following\s+(?:the|that)\s+inspection\b|The\s+full\s+"
    r"(?:comprehensive\s+)?reports?\s+on\b|At\s+that\s+inspection\b)",
    re.I,
)


_NOW = re.compile(
    r"\b(?:now|this\s+(?:[\w-]+\s+){0,2}?(?:inspection|assessment|visit)|at\s+this|currently)\b",
    re.I,
)
_PREV_LEAD = re.compile(
    r"\b(?:last|previous|prior|earlier|initial)\b(?:\s+[\w-]+){0,3}?\s+(?:inspection|visit|report|assessment)\b",
    re.I,
)
#: Cheap tests that a sentence can hold a value at all, so that the readers run on few sentences.
# Lower-case words, looked for with str.find in an ASCII-lower-cased copy of the block (which
# keeps every offset): much faster than a case-insensitive regular expression over the page.
GATE_RATING = ("outstanding", "good", "improvement", "inadequate")
GATE_PEOPLE = (
    "people", "person", "resident", "patient", "adult", "children", "users", "individuals",
    "clients", "customers", "tenants",
)  # fmt: skip
GATE_NOTICE = (
    "announce", "notice", "did not know", "coming", " before", "advance", "prior to", "ahead of",
    "would be visiting",
)  # fmt: skip
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


_DIGIT = re.compile(r"\d")
#: A bullet about one part of a hospital's or trust's services: "• We inspected Critical care
#: in March 2019 ...", "- We also inspected the maternity service ...".
_PART_BULLET = re.compile(
    r"[ \t]*[•\-*–][ \t]*We\s+(?:also\s+)?(?:re-?)?inspected\s+(?!(?:this|the)\s+(?:location|"
    r"hospital|trust|practice|provider|home|service|whole)\b)[^.\n]{3,200}?[.:]",
)
#: A headline's "During an inspection of Acute wards for adults of working age": the event is a
#: core service's, whose ratings are not the location's.
_PART_EVENT = re.compile(
    r"^[ \t]*During\s+an?\s+(?:[\w-]+\s+)?(?:inspection|assessment)\s+of\s+(?!(?:the|this|our|a)\s+"
    r"(?:service|practice|location|provider|home|hospital|trust|agency)\b|part\b)(?-i:[A-Z])",
    re.M | re.I,
)
#: "During an inspection looking at part of the service" whose first sentence is about a ward
#: or a core service ("Birch Ward at Hillside Hospital provides psychiatric intensive care"):
#: "this service" is then the ward's, whose ratings are not the location's.
_PART_OPENING = re.compile(
    r"^[ \t]*During\s+an?\s+inspection\s+looking\s+at\s+part\s+of\s+the\s+service[ \t]*\n\s*"
    r"(?:The\s+)?(?!(?:The|This|A|An|It|Our|Its)\s)(?:(?-i:[A-Z])[\w'’&-]*\s+(?:and\s+|&\s+)?){1,5}"
    r"(?:wards?|units?)\b[^.\n]{0,80}?\s(?:provides?|is|are|offers?|cares?|has|have|was|were|"
    r"supports?|treats?)\b",
    re.M | re.I,
)
#: A core service named at the top of its event's part of the page: a ratings heading ("Ratings -
#: Diagnostic imaging") or "Our rating of this surgical service went down": the event's ratings
#: are that core service's, not the location's.
_CORE_SERVICE = (
    r"(?:surg(?:ery|ical)|medical(?:\s+care)?|maternity|gynaecology|critical\s+care|diagnostic(?:\s+"
    r"imaging)?|outpatients?|urgent\s+and\s+emergency(?:\s+care)?|emergency\s+department|end\s+of\s+"
    r"life(?:\s+care)?|children(?:['’]s|\s+and\s+young\s+people(?:['’]s)?)|services\s+for\s+"
    r"(?:children|young\s+people)|neonatal|radiology|cardiology|community\s+health)"
)
_PART_HEAD = re.compile(
    rf"^[ \t]*Ratings?\s*[-–—:]\s*{_CORE_SERVICE}\b[^\n]{{0,40}}$|"
    rf"\b(?:our\s+)?rating\s+(?:of|for)\s+(?:this|the)\s+{_CORE_SERVICE}\s+(?:care\s+)?"
    r"(?:services?|core\s+service)\b",
    re.M | re.I,
)
#: A desk-based activity the page itself calls an inspection ("During this desk top
#: inspection"): not a review, whatever it is called elsewhere.
_CALLED_INSPECTION = re.compile(
    r"\b(?:desk[\s-]?(?:top|based)|focused|follow[\s-]?up)\s+inspection\b", re.I
)
#: "... has retained this rating": an unnamed rating kept from the sentence before.
_KEPT_RATING = re.compile(
    r"\b(?:retained|kept|maintained|retains|keeps)\s+(?:this|that|its|the\s+same)\s+rating\b", re.I
)
#: Words of the previous-rating forms tied to this event (see ``read_previous_rating``).
GATE_DIRECT = (
    "last rating", "previous rating", "previous inspection", "rating at", "from requires",
    "from good", "from inadequate", "from outstanding", "same", "still", "continue", "remain",
    "retain", "kept", "keeps", "maintain", "not changed",
)  # fmt: skip
GATE_KEPT = (
    "retain",
    "kept this",
    "kept its",
    "kept the same",
    "maintained this",
    "maintained its",
)
_WHEN_RATED = re.compile(
    r"\bwhen\s+(?:the\s+[\w-]+|it|we)\s+(?:was|were|continued\s+to\s+be|had\s+been)\s+"
    r"(?:\w+\s+)?(?:rated|found|identified)\b|\bwhen\s+we\s+(?:rated|found|identified)\b",
    re.I,
)


#: How far before an event's date its own visit days may start (a headline gives the last day
#: of a visit, or the report date of an assessment that ran for weeks).
_SPAN = dt.timedelta(days=31)
_ASSESSMENT_SPAN = dt.timedelta(days=183)
#: A time a sentence speaks of: a day ("8 December 2014"), a month ("March 2015"), a year ("in
#: 2015", "the 2016 inspection").
_WHEN = re.compile(
    rf"(?<!\w)(?:(?P<d>[0-3]?\d)(?:st|nd|rd|th)?\s+(?:of\s+)?)?(?P<m>{MONTH_PATTERN})\s*,?\s*"
    rf"(?P<y>(?:19|20)\d\d)(?!\d)|\b(?:in|during|the)\s+(?P<yo>(?:19|20)\d\d)\b(?![/-])",
    re.I,
)
#: A time that is not of any inspection: a publication, a registration, a start ("since").
_NOT_WHEN = re.compile(
    r"\b(?:published|publication|updated|since|registered|registration|until|opened|founded)"
    r"\s+(?:on\s+|in\s+)?(?:the\s+)?$",
    re.I,
)


def _times(text: str, start: int, end: int) -> list[tuple[dt.date, dt.date]]:
    """The times ``text[start:end]`` speaks of, as (first day, last day)."""
    out: list[tuple[dt.date, dt.date]] = []
    for m in _WHEN.finditer(text, start, end):
        if _NOT_WHEN.search(text, max(start, m.start() - 30), m.start()):
            continue
        if m.group("yo"):
            y = int(m.group("yo"))
            out.append((dt.date(y, 1, 1), dt.date(y, 12, 31)))
            continue
        y, mo = int(m.group("y")), month_number(m.group("m"))
        first = dt.date(y, mo, 1)
        last = (first + dt.timedelta(days=31)).replace(day=1) - dt.timedelta(days=1)
        if m.group("d"):
            try:
                first = last = dt.date(y, mo, int(m.group("d")))
            except ValueError:
                continue
        out.append((first, last))
    return out


def _dated_before(
    text: str, start: int, end: int, event_date: dt.date | None, kind: Kind = "inspection"
) -> bool:
    """``text[start:end]`` speaks only of times well before the event ("At a comprehensive
    inspection in March 2015 ..." in a 2017 event): an earlier inspection's. An assessment's
    report date may follow its own site visits by months."""
    if event_date is None or not _DIGIT.search(text, start, end):
        return False
    times = _times(text, start, end)
    span = _ASSESSMENT_SPAN if kind == "assessment" else _SPAN
    return bool(times) and all(last < event_date - span for _, last in times)


#: Where a clause ends: a time in one clause does not date a rating in the next. A clause
#: joined by "and" shares its sentence's time ("During a further inspection in August 2015
#: improvements had been made and the overall rating was ..."), unless it says it is now.
_CLAUSE_END = re.compile(
    r";|\.\s|\n|\(|\)|\bbut\b|\bhowever\b|\bwhereas\b|\bwhile\b|\balthough\b", re.I
)
_AND_CLAUSE = re.compile(
    r",\s*and\b|\band\s+(?=(?:is|was|has|have|had|now|it|remains?|at\s+this|this|the)\b)", re.I
)


def _clause(passage: str, at: int, ends: tuple[re.Pattern[str], ...]) -> tuple[int, int]:
    """The span of the clause of ``passage`` around position ``at``."""
    lo, hi = 0, len(passage)
    for end in ends:
        for m in end.finditer(passage, 0, at):
            lo = max(lo, m.end())
        nxt = end.search(passage, at)
        if nxt is not None:
            hi = min(hi, nxt.start())
    return lo, hi


def _clause_dated_before(
    passage: str, at: int, event_date: dt.date | None, kind: Kind = "inspection"
) -> bool:
    """The clause of ``passage`` around position ``at`` dates itself well before the event."""
    if event_date is None:
        return False
    lo, hi = _clause(passage, at, (_CLAUSE_END,))
    whens = list(_WHEN_WE_RATED.finditer(passage, lo, at))
    if whens:
        when = whens[-1]
        # "... identified at our inspection in May 2022, when we rated the service as ...": the
        # time of the phrase the "when" hangs on dates the rating
        seg = passage.rfind(",", lo, when.start()) + 1 or lo
        if _dated_before(passage, seg, when.start(), event_date, kind):
            return True
    if not _dated_before(passage, lo, hi, event_date, kind):
        return False
    a, b = _clause(passage, at, (_CLAUSE_END, _AND_CLAUSE))
    return not _NOW.search(passage, a, b)


#: ", when we rated": a rating dated by the phrase just before it.
_WHEN_WE_RATED = re.compile(
    r",\s*when\s+(?:we\s+(?:had\s+|have\s+)?|(?:it|the\s+\w+)\s+(?:was|had\s+been)\s+)"
    r"(?:rated|found|judged|awarded)\b",
    re.I,
)
_OVERALL_WORD = re.compile(r"\boverall\b", re.I)
#: "we rated this key question as good": the sentences after it may rate it unnamed.
_THIS_KEY_QUESTION = re.compile(r"\b(?:this|that|the\s+same)\s+key\s+question\b", re.I)
#: A key question's heading line: "Well-led", "Safe", "Are services caring?".
_KQ_HEADING = re.compile(
    r"[-•\s]*(?:(?:are\s+services|is\s+the\s+service|is\s+it)\s+)?(?:safe|effective|caring|"
    r"responsive(?:\s+to\s+people['’]s\s+needs)?|well[\s-]?led)\s*\??\s*",
    re.I,
)
#: "At the previous announced comprehensive inspection": notice of an earlier inspection.
_EARLIER_NOTICE = re.compile(
    r"\b(?:previous|last|prior|earlier|preceding|initial|former)\s+(?:[\w-]+\s+){0,2}?"
    r"(?:un-?)?announced\b",
    re.I,
)
#: "At this inspection ..." straight after a sentence narrating an earlier, dated inspection:
#: the inspection just named, not the event's own.
_ANAPHORA = re.compile(
    r"\W*(?:at|during|following|after)\s+(?P<w>this|that)\s+(?:inspection|visit)\b", re.I
)


@dataclass
class _Block:
    text: str
    start: int
    end: int
    sentences: list[tuple[int, int]]
    #: Sentences dating inspection activity (see :func:`_dated_activity`).
    dated: list[_Dated]
    #: Sentences about an earlier inspection (letters: "We carried out ... on 25 February 2016.")
    earlier: set[int]
    #: The event's own date, where known (headline, or the page's date of its inspection).
    event_date: dt.date | None = None
    kind: Kind = "inspection"
    _low: str | None = None

    def leans_back(self, i: int) -> bool:
        """Sentence ``i`` follows one about an earlier inspection and reads as its sequel
        ("The last comprehensive inspection was in July 2021. The location was rated as
        inadequate overall.")."""
        if i == 0:
            return False
        if (i - 1) in self.earlier and (m := _ANAPHORA.match(self.text, *self.sentences[i])):
            # "At that inspection" always; "At this inspection" unless the sentence before set
            # the earlier one apart ("We previously inspected ... At this inspection ...")
            prev = self.text[slice(*self.sentences[i - 1])]
            if m.group("w").lower() == "that" or not is_previous_context(prev):
                return True
        if _NOW.search(self.text, *self.sentences[i]):
            return False
        if (i - 1) in self.earlier:
            return True
        s, e = self.sentences[i - 1]
        return bool(_PREV_LEAD.search(self.text, s, min(e, s + 100)))

    def in_part(self, i: int) -> bool:
        """Sentence ``i`` is about one part of the whole: in a bullet about a core service
        ("• We inspected Surgery in May 2019. Our rating of the service went down. We rated it
        as ..."), after its first sentence; or it speaks of "the rating" of the key question
        named just before it (see :meth:`in_key_question`)."""
        s, _ = self.sentences[i]
        line = self.text.rfind("\n", self.start, s) + 1
        m = _PART_BULLET.match(self.text, max(line, self.start))
        return (m is not None and m.end() <= s) or self.in_key_question(i)

    def in_key_question(self, i: int) -> bool:
        """Sentence ``i`` rates one key question, not the whole, without naming it: it follows
        a sentence about "this key question" ("At our last inspection we rated this key
        question good. At this assessment, the rating has changed to requires improvement."),
        or, in an assessment, it stands under a key question's heading ("Well-led"). A
        sentence that says "overall" is the whole's."""
        s, e = self.sentences[i]
        if _OVERALL_WORD.search(self.text, s, e):
            return False
        for j in (i - 1, i - 2):
            if j < 0 or "\n\n" in self.text[self.sentences[j][1] : s]:
                break
            if _THIS_KEY_QUESTION.search(self.text, *self.sentences[j]):
                return True
        if self.kind != "assessment":
            return False
        for j in range(i - 1, -1, -1):
            a, b = self.sentences[j]
            if b - a <= 40 and self.text[b - 1] not in ".!?;:," and "\n" in self.text[b:s]:
                return _KQ_HEADING.fullmatch(self.text, a, b) is not None
        return False

    def gated(self, words: tuple[str, ...]) -> list[int]:
        """The sentences holding any of ``words`` (a cheap test, so that the readers run on
        few sentences), in order."""
        if self._low is None:
            part = self.text[self.start : self.end]
            low = part.lower()
            # A few characters change length when lower-cased ("İ"): keep offsets exact then.
            self._low = low if len(low) == len(part) else part.translate(_ASCII_LOWER)
        low, base = self._low, self.start
        starts = [s for s, _ in self.sentences]
        hits: set[int] = set()
        for word in words:
            at = low.find(word)
            while at >= 0:
                i = bisect.bisect_right(starts, base + at) - 1
                if i >= 0 and base + at < self.sentences[i][1]:
                    hits.add(i)
                at = low.find(word, at + len(word))
        return sorted(hits)

    def passage(self, i: int) -> tuple[str, int, int, bool]:
        """Sentence ``i`` as (text, start, end, leans on an earlier-inspection sentence)."""
        s, e = self.sentences[i]
        return self.text[s:e], s, e, self.leans_back(i)


#: A sentence that dates some inspection activity: (index, the activity's match, its date).
_Dated = tuple[int, re.Match[str], tuple[dt.date, int, int]]


def _dated_activity(text: str, sents: list[tuple[int, int]]) -> list[_Dated]:
    """The sentences that say when an inspection, visit or assessment took place: read once
    per block, for both the event's own date and the earlier inspections'."""
    out: list[_Dated] = []
    for i, (s, e) in enumerate(sents):
        if not _DIGIT.search(text, s, e):
            continue
        sentence = text[s:e]
        m = _ACTIVITY.search(sentence)
        label = _LABEL_IN_LINE.search(sentence) if m else None
        if label and not DATE_LABEL.match(sentence):
            # the label's own date, which must stand right after it
            rest = sentence[label.end() :]
            got = read_event_date(rest)
            if got is None or (rest[: got[1]].strip() and not _WEEKDAY.fullmatch(rest[: got[1]])):
                continue
            m = label
            d: tuple[dt.date, int, int] | None = (
                got[0],
                got[1] + label.end(),
                got[2] + label.end(),
            )
        else:
            d = read_event_date(sentence) if m else None
            if d is not None:
                d = _this_ones_date(sentence) or d
        if m and d:
            out.append((i, m, d))
    return out


#: "... and this comprehensive inspection on 7 August 2019": the date that follows is this
#: event's, whatever other inspections the sentence dates before it.
_THIS_DATED = re.compile(
    r"\bthis\s+(?:[\w-]+\s+){0,3}?(?:inspection|assessment|visit)\s+(?:(?:was|were)\s+)?"
    r"(?:(?:carried\s+out|undertaken|conducted|completed|held)\s+)?(?:took\s+place\s+)?"
    r"(?:on|of|between|from)\s+(?:the\s+)?",
    re.I,
)


def _this_ones_date(sentence: str) -> tuple[dt.date, int, int] | None:
    """The date right after "this <...> inspection on", where the sentence has one."""
    for m in _THIS_DATED.finditer(sentence):
        rest = sentence[m.end() : m.end() + 80]
        got = read_event_date(rest)
        if got is not None and (not rest[: got[1]].strip() or _WEEKDAY.fullmatch(rest[: got[1]])):
            return got[0], got[1] + m.end(), got[2] + m.end()
    return None


def _earlier_sentences(
    text: str,
    sents: list[tuple[int, int]],
    dated: list[_Dated],
    event_date: dt.date | None,
    kind: Kind = "inspection",
) -> set[int]:
    """Sentences that describe an inspection other than the event's own, earlier one."""
    earlier: set[int] = set()
    for i, _, d in dated:
        s, e = sents[i]
        sentence = text[s:e]
        if DATE_LABEL.match(sentence):
            continue
        nxt = text[sents[i + 1][0] : sents[i + 1][1]] if i + 1 < len(sents) else ""
        if event_date is not None:
            # An assessment's "Report from" date may follow its own visit days.
            if (
                (d[0] < event_date - _SPAN or (d[0] < event_date and is_previous_context(sentence)))
                and not _THIS_ONE.search(sentence)
                and kind != "assessment"
            ):
                earlier.add(i)
        elif (
            _BACK_REFERENCE.match(nxt)
            or _WHEN_RATED.search(sentence)
            or is_previous_context(sentence, d[1])
        ):
            earlier.add(i)
    return earlier


def _date_without_headline(block: _Block) -> tuple[dt.date, Evidence] | None:
    best: tuple[float, int, dt.date, Evidence] | None = None
    score: float
    for i, m, d in block.dated:
        if i in block.earlier:
            continue
        s, e = block.sentences[i]
        sentence = block.text[s:e]
        label = bool(DATE_LABEL.match(sentence) or m.re is _LABEL_IN_LINE)
        if d[1] < m.start() - 60 or (is_previous_context(sentence, d[1]) and not label):
            continue
        if _AFTER_AN_INSPECTION.search(sentence, max(0, d[1] - 80), d[1]):
            score = 0  # the date of the inspection this one followed: only if nothing else
        else:
            score = (
                3
                if label
                else 2.5
                if _this_ones_date(sentence)
                else 2
                if _THIS_ONE.search(sentence)
                else 1
            )
        if best is None or score > best[0]:
            # a label inside a run-on line: the label and its date are the quote; so are
            # "this <...> inspection on" and its date in a sentence that dates others before it
            q = (s + m.start(), s + d[2]) if m.re is _LABEL_IN_LINE else (s, e)
            this = _THIS_DATED.search(sentence)
            first = read_event_date(sentence)
            if m.re is not _LABEL_IN_LINE and this and first is not None and first[1] < d[1]:
                q = (s + this.start(), s + d[2])
            best = (score, i, d[0], Evidence.at(block.text, *q))
    if best is None:
        return _bare_date_line(block)
    return best[2], best[3]


#: A label that makes the date under it a publication's or a registration's.
_NOT_EVENT_LABEL = re.compile(
    r"(?:\b(?:updated|published|publication|registered|registration|printed|issued|report\s+date)\b"
    r"[^\n]{0,30}|"
    # a report section's heading, under which the site shows the section's "Updated" date
    r"^[ \t]*(?:background\s+to\s+this\s+inspection|(?:latest\s+)?inspection\s+summary|overall\s+"
    r"summary[^\n]*|summary\s+of\s+findings|inspection\s+areas|our\s+findings)[ \t]*)\n\s*$",
    re.I | re.M,
)


def _bare_date_line(block: _Block) -> tuple[dt.date, Evidence] | None:
    """A line that is nothing but a date near the top of a page without headlines ("30th March
    2016" above a summary): the date of the inspection it reports, where no sentence dates it."""
    text = block.text
    for m in BARE_DATE_LINE_RE.finditer(text, block.start, min(block.end, block.start + 600)):
        got = line_date(text, m.start(), m.end())
        if got is None or _NOT_EVENT_LABEL.search(
            text, max(block.start, m.start() - 60), m.start()
        ):
            continue
        return got[0], Evidence.at(text, got[1], got[2])
    return None


# --- fields ------------------------------------------------------------------------------------


def _first(
    block: _Block,
    reader: Callable[[str, bool], T | None],
    gate: tuple[str, ...],
    *,
    skip_earlier: bool = False,
    pairs: bool = False,
    pair_words: re.Pattern[str] | None = None,
    headings: bool = False,
    parts: bool = False,
) -> tuple[T, Evidence] | None:
    """The first sentence of the block that states a value; with ``pairs``, a sentence read
    together with the one before it also counts ("Our rating of this service stayed the
    same. We rated it as inadequate"), and with ``pair_words`` a sentence holding them ("The
    service has retained this rating"). Sentences that fail the cheap ``gate`` are passed over;
    with ``parts``, so are those in a bullet about one part of the whole (a core service)."""
    for i in block.gated(gate):
        if skip_earlier and i in block.earlier:
            continue
        if parts and block.in_part(i):
            continue
        passage, s, e, after_earlier = block.passage(i)
        value = reader(passage, after_earlier)
        if value is not None:
            if after_earlier and reader(passage, False) != value:
                s = block.sentences[i - 1][0]  # the quote carries the sentence it leans on
            return value, Evidence.at(block.text, s, e)
        # a sentence that says it is of this event ("At this inspection ...") is not read as
        # the sequel of an earlier-inspection sentence before it
        paired = (pairs and not _NOW.search(passage)) or (
            pair_words is not None and pair_words.search(passage) is not None
        )
        if (paired or (headings and _is_heading(block, i - 1))) and i > 0:
            s = block.sentences[i - 1][0]
            value = reader(block.text[s:e], False)
            if value is not None:
                return value, Evidence.at(block.text, s, e)
    return None


def _is_heading(block: _Block, i: int) -> bool:
    """A short line without a full stop: a heading whose value may stand on the next line
    ("Overall rating for this service" / "Good")."""
    if i < 0:
        return False
    s, e = block.sentences[i]
    return (
        e - s <= 80
        and block.text[e - 1] not in ".!?;,"
        and "\n" in block.text[e : block.sentences[i + 1][0]]
    )


def _overall(p: str, after_earlier: bool) -> str | None:
    r = read_overall_rating(p, previous_context=after_earlier)
    return r[0] if r else None


def _overall_of(
    event_date: dt.date | None, kind: Kind = "inspection"
) -> Callable[[str, bool], str | None]:
    """The overall-rating reader for an event: a rating whose clause dates it well before the
    event ("At a comprehensive inspection in March 2015 the overall rating ... was
    Inadequate") is an earlier inspection's."""

    def reader(p: str, after_earlier: bool) -> str | None:
        r = read_overall_rating(p, previous_context=after_earlier)
        if r is None or _clause_dated_before(p, r[1], event_date, kind):
            return None
        return r[0]

    return reader


def _previous(p: str, after_earlier: bool) -> str | None:
    r = read_previous_rating(p, previous_context=after_earlier)
    return r[0] if r else None


def _previous_direct(p: str, after_earlier: bool) -> str | None:
    r = read_previous_rating(p, previous_context=after_earlier, direct=True)
    return r[0] if r else None


def _previous_in_block(block: _Block) -> tuple[str, Evidence] | None:
    """The first previous rating the block states; where a form tied to this event ("The last
    rating for this service was ...", "remains ...") names another rating than an earlier
    inspection's narrated one, the tied form."""
    gate = GATE_RATING + GATE_KEPT
    first = _first(block, _previous, gate, pairs=True, parts=True)
    if first is None:
        return _previous_by_date(block)
    if read_previous_rating(first[1].quote, direct=True) is not None:
        return first  # a form tied to this event already
    direct = _first(block, _previous_direct, GATE_DIRECT, pairs=True, parts=True)
    return direct if direct is not None and direct[0] != first[0] else first


def _previous_by_date(block: _Block) -> tuple[str, Evidence] | None:
    """A rating whose clause dates it well before the event, with no other word of time ("At
    our inspection in January 2017 we rated the home as requires improvement overall"): the
    previous rating, where the block names no other earlier time (a history of several
    inspections, oldest first, may leave the last one's rating unsaid)."""
    if block.event_date is None:
        return None
    span = _ASSESSMENT_SPAN if block.kind == "assessment" else _SPAN
    times = {
        first
        for s, e in block.sentences
        if _DIGIT.search(block.text, s, e)
        for first, last in _times(block.text, s, e)
        if last < block.event_date - span
    }
    if len(times) != 1:
        return None
    for i in block.gated(GATE_RATING):
        if block.in_part(i):
            continue
        s, e = block.sentences[i]
        passage = block.text[s:e]
        r = read_previous_rating(passage, previous_context=True)
        if r is not None and _clause_dated_before(passage, r[1], block.event_date, block.kind):
            return r[0], Evidence.at(block.text, s, e)
    return None


def _people(p: str, _: bool) -> int | None:
    r = read_people(p)
    return r[0] if r else None


def _announced(p: str, _: bool) -> bool | None:
    r = read_announced(p)
    return r[0] if r else None


def _announced_in_block(block: _Block) -> tuple[bool, Evidence] | None:
    """The block's notice statements; both kinds (an announced and an unannounced part): None."""
    found: list[tuple[bool, Evidence]] = []
    for i in block.gated(GATE_NOTICE):
        if i in block.earlier:
            continue
        passage, s, e, _ = block.passage(i)
        if _dated_before(block.text, s, e, block.event_date, block.kind):
            continue  # "We carried out an announced review on 29 April 2021" in a 2022 event
        if mixed_notice(passage):
            return None
        r = read_announced(passage)
        if r is None or is_previous_context(passage, r[1]):
            continue
        if any(m.start() <= r[1] < m.end() for m in _EARLIER_NOTICE.finditer(passage)):
            continue
        found.append((r[0], Evidence.at(block.text, s, e)))
    if not found or len({v for v, _ in found}) > 1:
        return None
    return found[0]


#: Words naming a part of the whole in a clause before a rating's own.
_PART_BEFORE = re.compile(
    r"\b(?:safe|effective|caring|responsive|well[\s-]?led|key\s+questions?|core\s+services?|wards?|"
    r"population\s+groups?|urgent\s+and\s+emergency|medical\s+care|surgery|critical\s+care|maternity|"
    r"end\s+of\s+life|outpatients|diagnostic|children\s+and\s+young\s+people|mental\s+health|"
    r"community\s+health)\b",
    re.I,
)


def _own_clause(
    text: str, ev: Evidence, value: str, read: Callable[..., tuple[str, int, int] | None]
) -> Evidence:
    """The quote of a rating narrowed to its own clause where an earlier clause of the sentence
    rates a part ("our rating for urgent and emergency care remains requires improvement and
    the overall service remains outstanding"): the quote states the value in its role."""
    got = read(ev.quote)
    if got is None or got[0] != value:
        return ev
    lo, _ = _clause(ev.quote, got[1], (_CLAUSE_END, _AND_CLAUSE))
    if lo == 0 or not _PART_BEFORE.search(ev.quote, 0, lo):
        return ev
    narrow = read(ev.quote[lo:])
    if narrow is None or narrow[0] != value:
        return ev
    return Evidence.at(text, ev.start + lo, ev.end)


def _calls_itself_an_inspection(block: _Block) -> bool:
    """The block calls its own desk-based activity an inspection ("During this desk top
    inspection") or rates in it: an earlier inspection it narrates ("We undertook a focused
    follow up inspection ... on 28 April 2021" in an October 2021 review) does not count."""
    for i, (s, e) in enumerate(block.sentences):
        if i in block.earlier or _dated_before(block.text, s, e, block.event_date, block.kind):
            continue
        sentence = block.text[s:e]
        if _CALLED_INSPECTION.search(sentence) or (
            _RATES.search(sentence) and not is_previous_context(sentence)
        ):
            return True
    return False


def _event_from_block(
    block: _Block, start: EventStart, own: tuple[dt.date, Evidence] | None = None
) -> Event:
    """The event of ``block``; ``own`` is its date where it has no headline."""
    values: dict[str, Any] = {"kind": start.kind}
    evidence: dict[Any, Evidence] = {}
    if start.date is not None and start.headline is not None:
        values["date"] = start.date[0]
        evidence["date"] = Evidence.at(block.text, *start.headline)
    elif start.headline is None and own is not None:
        values["date"], evidence["date"] = own
    finders: list[tuple[str, Callable[[_Block], tuple[Any, Evidence] | None]]] = [
        (
            "overall_rating",
            lambda b: _first(
                b,
                _overall_of(b.event_date, b.kind),
                GATE_RATING + GATE_KEPT,
                skip_earlier=True,
                headings=True,
                pair_words=_KEPT_RATING,
                parts=True,
            ),
        ),
        (
            "previous_rating",
            _previous_in_block,
        ),
        ("people_using_service", lambda b: _first(b, _people, GATE_PEOPLE, skip_earlier=True)),
        ("announced", _announced_in_block),
    ]
    for name, find in finders:
        got = find(block)
        if got is not None:
            values[name], evidence[name] = got
    for name, read in (
        ("overall_rating", read_overall_rating),
        ("previous_rating", read_previous_rating),
    ):
        if name in evidence:
            evidence[name] = _own_clause(block.text, evidence[name], values[name], read)
    if "previous_rating" in evidence:
        quote = evidence["previous_rating"]
        pub = read_previous_published(quote.quote)
        if pub:
            values["previous_rating_published"] = pub[0]
            evidence["previous_rating_published"] = quote
    if (
        start.headline is None
        and values["kind"] == "inspection"
        and "overall_rating" not in values
        and "date" in evidence
        and _REVIEW_ACTIVITY.search(evidence["date"].quote)
        and not _calls_itself_an_inspection(block)
    ):
        values["kind"] = "review"  # a desk review of the service that awards no rating
    head = block.text[block.start : min(block.end, block.start + 400)]
    if (
        values["kind"] == "review"
        or _PART_EVENT.search(head)
        or _PART_OPENING.search(head)
        or _PART_HEAD.search(head)
    ):
        # a desk review awards no rating; a core service's ratings are not the location's
        for name in ("overall_rating", "previous_rating", "previous_rating_published"):
            values.pop(name, None)
            evidence.pop(name, None)
    return Event(**values, evidence=evidence)


# --- the page header ---------------------------------------------------------------------------

_SUMMARY_HEADING = re.compile(
    r"^[ \t]*Overall\s+summary\s*&\s*rating[ \t]*\n\s*\S[^\n]*", re.M | re.I
)
_LINE = re.compile(r"[^\n]+")
_OVERALL_LINES = re.compile(
    r"^[ \t]*Overall(?:[ \t]+rating)?[ \t]*:?[ \t]*\n[ \t]*(?:Outstanding|Good|Requires[ \t]+improvement|"
    r"Inadequate)[ \t]*$",
    re.M | re.I,
)
#: A location re-registered under a new provider, whose page shows the old provider's ratings.
_NOT_THIS_PROVIDER = re.compile(
    r"\bwe\s+have\s+not\s+(?:yet\s+)?inspected\s+this\s+service\s+yet\b|\bwe\s+have\s+not\s+yet\s+"
    r"inspected\s+this\s+service\b|\b(?:summaries|ratings?)\s+(?:and\s+ratings\s+)?from\s+(?:the\s+)?"
    r"previous\s+provider\b",
    re.I,
)


def _current_rating(text: str, header_end: int) -> tuple[str, Evidence] | None:
    """The page header's rating: "Overall: Good", a "Name Good" title line, or the older
    layout's "Overall summary & rating" heading with the rating on the next line."""
    scan = text.replace("\r", " ")  # same offsets; line patterns see no carriage returns
    if _NOT_THIS_PROVIDER.search(scan, 0, min(len(text), 1500)):
        return None  # the ratings shown are the previous provider's, not this location's
    m = _SUMMARY_HEADING.search(scan, 0, min(len(text), 1500))
    if m and (r := read_header_rating(m.group(0))):
        return r[0], Evidence.at(text, m.start(), m.end())
    # "Overall" on a line of its own in the header, the rating on the next line
    m = _OVERALL_LINES.search(scan, 0, min(header_end, 1500))
    if m and (r := read_header_rating(m.group(0))):
        return r[0], Evidence.at(text, m.start(), m.end())
    for m in _LINE.finditer(scan, 0, header_end):
        line = m.group(0)
        if any(w in line.lower() for w in GATE_RATING) and (r := read_header_rating(line)):
            if r[3] == "title" and m.start() > 600:
                continue
            return r[0], Evidence.at(text, m.start(), m.end())
    return None


_HEADER_END = re.compile(
    r"^[ \t]*(?:All\s+Inspections|Inspection\s+Summary|Latest\s+inspection\s+summary|"
    r"Background\s+to\s+this\s+inspection|Overall\s+summary|Reports)\b",
    re.I | re.M,
)


def extract_events(doc: Document) -> Extraction:
    """Extract a document's events with the rules. Pure: no I/O."""
    text = doc.text
    starts = find_event_starts(text)
    if not starts and describes_an_inspection(text):
        starts = [EventStart(0, _page_kind(text), None, None)]
    header_end = starts[0].start if starts and starts[0].start > 0 else len(text)
    h = _HEADER_END.search(text)
    if h:
        header_end = min(header_end, h.start())
    events = []
    for i, start in enumerate(starts):
        end = starts[i + 1].start if i + 1 < len(starts) else len(text)
        block_start = start.start if start.headline is not None or i > 0 else 0
        sents = split_sentences(text, block_start, end)
        event_date = start.date[0] if start.date else None
        dated = _dated_activity(text, sents)
        earlier = _earlier_sentences(text, sents, dated, event_date, start.kind)
        block = _Block(text, block_start, end, sents, dated, earlier, event_date, start.kind)
        own = _date_without_headline(block) if start.headline is None else None
        if own is not None:
            # Dated now: the sentences that date other inspections well before it are theirs.
            later = _earlier_sentences(text, sents, dated, own[0], start.kind)
            block = _Block(
                text, block_start, end, sents, dated, earlier | later, own[0], start.kind
            )
        events.append(_event_from_block(block, start, own))
    current = _current_rating(text, header_end)
    return Extraction(
        events=events,
        current_rating=current[0] if current else None,  # type: ignore[arg-type]
        current_rating_evidence=current[1] if current else None,
    )


class RulesBackend(Backend):
    """Hand-written rules over the page's structure and wording (see the module docstring)."""

    name = "rules"

    def __init__(self, **options: Any) -> None:
        self.options = self.parse_options(**options)

    def extract(self, doc: Document) -> Extraction:
        return extract_events(doc)


__all__ = [
    "RulesBackend",
    "describes_an_inspection",
    "extract_events",
]
