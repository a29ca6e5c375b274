"""Field readers: what a passage of a report says about one field of an event.

Each reader takes a passage (a sentence, or two where the second leans on the first) and returns
the value that passage states for its field, or ``None`` where it states none *in that role*.
The rules backend applies them to the sentences of an event's block; the checker applies them
to the quote given as evidence for a value, whoever produced it, and compares. Roles are part of
reading: an overall rating is not read from a key question's rating, from a "last rating"
sentence or from the old star scale; a count of people is not read from a capacity or a sample.
"""

from __future__ import annotations

import datetime as dt
import re

from extractor.reading.values import (
    MONTH_PATTERN,
    NUMBER_PATTERN,
    first_date,
    iter_dates,
    month_number,
    normalize_rating,
    parse_number,
    partial_date_then_full,
)

_R = r"['‘’\"“”]?(?P<r>outstanding|good|requires?[\s-]+improvements?|requiring\s+improvement|inadequate)\b['‘’\"“”]?"
_R1 = _R.replace("(?P<r>", "(?P<r1>")
_R2 = _R.replace("(?P<r>", "(?P<r2>")
_KQ = r"(?:safe|effective|caring|responsive|well[\s-]?led)"
_SUBJ = (
    r"(?:service|practice|home|hospital|location|trust|provider|agency|surgery|clinic|unit|"
    r"centre|center|scheme|organisation|it)"
)
#: "the service", "this overall service", "the whole practice": the whole as a subject.
_THE_SUBJ = rf"(?:the|this)\s+(?:overall\s+|whole\s+)?{_SUBJ}"
#: A part of the whole by name: a key question, a core service, a ward, a population group.
_PART = (
    rf"(?:{_KQ}|key\s+questions?|domains?|core\s+services?|wards?|population\s+groups?|"
    r"urgent\s+and\s+emergency|emergency\s+(?:care|department|services?)|medical\s+care|"
    r"critical\s+care|maternity|gynaecology|end\s+of\s+life|outpatients?|diagnostic|"
    r"services\s+for\s+(?:children|adults|people|older)|children\s+and\s+young\s+people|"
    r"community\s+(?:health|mental\s+health|dental)|mental\s+health\s+(?:crisis|wards?|services)|"
    r"acute\s+wards?|long[\s-]stay|rehabilitation|forensic|secure\s+wards?|psychiatric\s+intensive|"
    r"child\s+and\s+adolescent|older\s+people|people\s+with\s+long[\s-]term|"
    r"families,?\s+children|working[\s-]age\s+people|people\s+whose\s+circumstances|"
    r"people\s+experiencing\s+poor)"
)

# Anything that makes a rating a key question's, a core service's or another scale's.
_NOT_OVERALL_AFTER = re.compile(
    rf"^\s*(?:for\s+(?:providing\s+|being\s+|delivering\s+|offering\s+|the\s+|its\s+|their\s+)?{_KQ}|"
    rf"(?:for|in)\s+(?:the\s+)?(?:provision|delivery)\s+of\s+(?:the\s+|an?\s+)?(?:\w+\s+)?{_KQ}|"
    rf"in\s+(?:providing|delivering|being)\s+{_KQ}|for\s+(?:the\s+)?(?:key|this\s+core)|"
    rf"in\s+(?:the\s+)?(?:key|{_KQ}|every|all|each|some|one|two|three|four|five)|service\b|"
    rf"and\s+{_KQ}\b(?!\s+(?:is|was|has|have|are|were|remains?|now)\b)|"
    rf"(?:and\s+)?(?:in|for)\s+(?:the\s+)?{_KQ})",
    re.IGNORECASE,
)
_NOT_OVERALL_BEFORE = re.compile(
    rf"(?:\b{_KQ}\s*(?:\?|:)?\s*[–\-:]?\s*$|\bkey questions?\b[^.]*$|\bcore service[^.]*$|"
    rf"\b(?:providing|provides|provide)\s+an?\s*$|\bstar\b[^.]*$|\bquality rating[^.]*$|"
    rf"\bnot\s+(?:rated|yet\s+rated)\b[^.]*$|\brating\s+(?:of|for)\s+(?:the\s+)?{_KQ}\b[^.]*$|"
    rf"\b{_KQ}\s+(?:was|were|is|has\s+been|had\s+been)\s+(?:\w+\s+)?rated\s+(?:as\s+)?$|"
    # "we rated caring as", "Overall, we rated medical care as": a part's
    rf"\brated\s+(?:[\w'’]+\s+){{0,2}}?{_PART}\b[\w\s'’-]{{0,30}}?\s(?:as\s+)?$|"
    # "our overall rating for urgent and emergency care remains": a core service's
    rf"\brating\s+(?:of|for)\s+(?:the\s+|our\s+|its\s+)?{_PART}\b(?:(?!\band\b)[^.;]){{0,40}}$)",
    re.IGNORECASE,
)
#: "rated the trust as good overall for well-led": the whole's word, a part's rating.
_OVERALL_FOR_PART = re.compile(
    rf"^['‘’\"“”]?\s+overall\s+(?:for|in)\s+(?:providing\s+|being\s+|the\s+|its\s+)?{_PART}\b",
    re.IGNORECASE,
)
#: Parts counted: "four services were rated as", "two of the wards are rated", "three were rated".
_PARTS_BEFORE = re.compile(
    rf"(?:\b(?:{NUMBER_PATTERN}|both|several|some|most|other|remaining)\s+(?:of\s+(?:the|its|our)\s+)?"
    rf"(?:[\w’'-]+\s+){{0,2}}?(?:services|wards|population\s+groups|locations|hospitals|domains)\s+"
    rf"(?:were|are|have\s+been|had\s+been)\s+(?:\w+\s+)?rated\s+(?:as\s+)?$|"
    rf"\b(?:{NUMBER_PATTERN}|both|others?|the\s+rest)\s+(?:were|are)\s+(?:\w+\s+)?rated\s+(?:as\s+)?$)",
    re.IGNORECASE,
)
#: "Overall the practice is now rated as good in all areas": every part and so the whole.
_ALL_AREAS = re.compile(
    r"^\s+(?:in|for|across)\s+(?:all|every|each)\s+(?:areas?|(?:five\s+|of\s+the\s+(?:five\s+)?)?"
    r"(?:key\s+questions?|domains?))\b|"
    # "Overall the practice is rated as good for providing safe, effective, caring, responsive
    # and well-led services": all five key questions, and so the whole
    rf"^\s+(?:for|in)\s+(?:providing\s+|being\s+|delivering\s+|the\s+provision\s+of\s+)?"
    rf"{_KQ}(?:\s*,\s*{_KQ}){{3}},?\s+and\s+{_KQ}\b",
    re.I,
)
_PREV_CUE = re.compile(
    r"\b(?:last|previous|prior|earlier|initial|preceding)\b(?:\s+[\w-]+){0,3}?\s+"
    r"(?:inspection|inspections|inspected|visit|report|rating|rated|assessment|assessed)\b|"
    r"\bpreviously\b|\bre-?inspected\b|\blast\s+inspected\b|\binitially\s+inspected\b|"
    r"\bat\s+that\s+(?:inspection|visit|assessment)\b|"
    r"\bwhen\s+(?:it|the\s+\w+)\s+was\s+rated\b|\bthen\s+rated\b|\bhad\s+(?:previously\s+)?been\s+rated\b",
    re.IGNORECASE,
)
#: A time cue after the rating that puts it in the past: "rated as requires improvement at the
#: last inspection", "rated good overall at our previous visit in 2017", "rated inadequate three
#: times prior to this inspection", "rated good when we last inspected".
_PREV_AFTER = re.compile(
    r"[^.;]{0,40}?\b(?:(?:at|in|during|following|after|from|by)\s+(?:the|our|its|their|that)\s+"
    r"(?:last|previous|prior|earlier|preceding|initial|first)\b|(?:times|occasions)\s+(?:prior\s+to|"
    r"before)\b|when\s+(?:we|it\s+was)\s+(?:last|previously|first)\b|at\s+that\s+(?:time|inspection)\b)",
    re.IGNORECASE,
)

_OVERALL_PATTERNS = [
    # "The overall rating for the service has changed from requires improvement to good": the
    # second is the new rating. The subject must be the rating or the service as a whole, not
    # a core service's or a key question's ("Our rating of community mental health services
    # went down from good to ...").
    re.compile(
        rf"(?:\b(?:(?:the|our|its)\s+)?(?:overall\s+)?rating(?:\s+(?:for|of)\s+(?:this|the)\s+{_SUBJ})?|"
        rf"\b{_THE_SUBJ})\s+(?:has\s+|had\s+|have\s+)?(?:now\s+)?(?:changed|improved|"
        rf"deteriorated|declined|dropped|moved|gone\s+(?:up|down)|went\s+(?:up|down)|risen|fallen|"
        rf"increased|decreased)\s+from\s+{_R1}\s+to\s+{_R2}",
        re.I,
    ),
    re.compile(
        rf"\boverall\s+rating\s+(?:for|of)\s+(?:the|this)\s+[\w' -]{{1,40}}?\s*(?:is|was|"
        rf"remains|has\s+remained|has\s+been)\s+(?:now\s+)?(?:rated\s+)?(?:as\s+)?{_R}",
        re.I,
    ),
    # "The overall rating is outstanding", "Our overall rating of the practice was good"
    re.compile(
        rf"\b(?:the|our|its|their)\s+overall\s+rating\s+(?:is|was|remains|has\s+remained|has\s+been)"
        rf"\s+(?:now\s+)?(?:rated\s+)?(?:as\s+)?{_R}",
        re.I,
    ),
    # "was rated overall as requires improvement", "is rated overall good"
    re.compile(rf"\brated\s+overall\s+(?:as\s+)?{_R}", re.I),
    # "We were able to change the rating to good", "we have revised its overall rating to"
    re.compile(
        rf"\b(?:change|changed|changing|revise|revised|raise|raised|improve|improved|lower|lowered|"
        rf"upgrade|upgraded|downgrade|downgraded|amend|amended)\s+(?:the|its|their|our)\s+"
        rf"(?:overall\s+)?rating\s+to\s+{_R}",
        re.I,
    ),
    re.compile(rf"\boverall\s+rating(?:\s+for\s+this\s+[\w-]+)?\s*[:\-–]\s*{_R}", re.I),
    re.compile(rf"\boverall\s+rating\s+for\s+this\s+[\w-]+\s+{_R}\s*[^\w\s.]?\s*(?:\.|$)", re.I),
    re.compile(rf"\boverall\s+rating\s+for\s+this\s+[\w-]+\s*\n\s*{_R}", re.I),
    # a Quality Report's ratings table run into one line: "Ratings Overall rating for this
    # hospital Inadequate Urgent and emergency services Inadequate ..."
    re.compile(
        rf"\bratings\s+overall\s+rating\s+for\s+this\s+(?:hospital|trust|service|location|practice|"
        rf"provider)\s+{_R}(?=\s+(?-i:[A-Z]))",
        re.I,
    ),
    re.compile(rf"\brated\s+(?:as\s+|it\s+as\s+|it\s+)?{_R}\s+overall", re.I),
    re.compile(
        rf"\boverall,?\s+(?:the\s+{_SUBJ}\s+|this\s+{_SUBJ}\s+|it\s+)?(?:is|was|remains)\s+"
        rf"(?:now\s+)?(?:rated\s+)?(?:as\s+)?{_R}",
        re.I,
    ),
    re.compile(rf"\boverall,?\s+we\s+(?:have\s+)?rated\s+[\w' &-]{{1,60}}?\s+as\s+{_R}", re.I),
    re.compile(
        rf"\bwe\s+(?:have\s+)?rated\s+(?:it\s+them|it|this\s+{_SUBJ}|the\s+{_SUBJ}|them)\s+(?:as\s+)?{_R}",
        re.I,
    ),
    re.compile(
        rf"\b{_THE_SUBJ}\s+(?:is|was|has\s+been|remains|continues\s+to\s+be)\s+"
        rf"(?:now\s+)?(?:rated\s+)?(?:as\s+)?{_R}",
        re.I,
    ),
    re.compile(rf"\bremain(?:s|ed)?\s+(?:rated\s+)?(?:as\s+)?{_R}", re.I),
    re.compile(
        rf"\b{_THE_SUBJ}\s+(?:has\s+|had\s+)?(?:deteriorated|improved|declined|dropped|fallen|risen|gone\s+(?:up|down)|went\s+(?:up|down)|changed)\s+(?:overall\s+)?to\s+{_R}",
        re.I,
    ),
    re.compile(rf"\b(?:is|are|has\s+been)\s+now\s+rated\s+(?:as\s+)?{_R}", re.I),
    # "the rating has changed to inadequate", "has not changed from good", "the evidence
    # continued to support the rating of good" (a key question's is excluded after the word)
    re.compile(
        rf"\b(?:the\s+|our\s+)?(?:overall\s+)?rating\s+(?:of\s+(?:this|the)\s+{_SUBJ}\s+)?(?:has\s+|had\s+)?"
        rf"(?:changed|improved|deteriorated|declined|dropped|gone\s+(?:up|down)|gone|risen|fallen)\s+to\s+{_R}",
        re.I,
    ),
    re.compile(rf"\bhas\s+not\s+changed\s+from\s+{_R}", re.I),
    # "We have revised the overall rating for the practice, which is now good."
    re.compile(
        rf"\boverall\s+rating\b[^.]{{0,60}}?,?\s+which\s+is\s+now\s+(?:rated\s+)?(?:as\s+)?{_R}",
        re.I,
    ),
    re.compile(rf"\bcontinued?s?\s+to\s+support\s+the\s+(?:overall\s+)?rating\s+of\s+{_R}", re.I),
    re.compile(
        rf"\b(?:we|cqc|commission|inspectors?|they)\s+(?:\(cqc\)\s+)?(?:has\s+|have\s+)?rated\s+(?-i:[A-Z])[\w'’&-]*(?:\s+(?-i:[A-Z0-9&(])[\w'’&()-]*){{0,6}}\s+as\s+{_R}",
        re.I,
    ),
    # "the provider was performing at a level which led to a rating of requires improvement"
    re.compile(
        rf"\b(?:led|leads|leading)\s+to\s+(?:an?\s+|the\s+)?(?:overall\s+)?rating\s+of\s+{_R}", re.I
    ),
    re.compile(rf"\bjudged\s+(?:the\s+)?[\w ]{{1,30}}?\s+to\s+be\s+{_R}\s+overall", re.I),
    re.compile(rf"\b{_R}\s+overall\b", re.I),
]
_STAYED_SAME = re.compile(
    rf"\brating\s+of\s+(?:(?:this|the)\s+{_SUBJ}|(?:the\s+)?services)\s+(?:stayed|remained)\s+the\s+"
    rf"same\b[^.]*?\.?\s*we\s+rated\s+(?:it\s+them|them|it|this\s+\w+|the\s+\w+)\s+(?:as\s+)?{_R}",
    re.I | re.S,
)
#: The rating this event kept from the one before: both the overall and the previous rating
#: ("Our rating of services stayed the same. We rated them as good", "The practice is still
#: rated as inadequate", "continues to be rated as good", "The service remains rated as good
#: overall", "The previous rating of Outstanding remains", "We found this rating had not changed
#: and we rated it outstanding overall", "received a rating of good ... has retained this
#: rating"). Read before the time cues: such a sentence speaks of the earlier rating and of this
#: event's at once.
_SAME_AS_BEFORE = [
    _STAYED_SAME,
    re.compile(
        rf"\b(?:(?:is|was|are|remains)\s+still|(?:continues|continue)\s+to\s+be|remains|remain)\s+"
        rf"rated\s+(?:as\s+)?{_R}",
        re.I,
    ),
    # "The overall service remains outstanding", "The practice remains good"
    re.compile(rf"\b{_THE_SUBJ}\s+remains\s+(?:as\s+)?{_R}", re.I),
    re.compile(
        rf"\b(?:previous|last|existing|current)\s+(?:overall\s+)?rating\s+of\s+{_R}\s+"
        rf"(?:remains|still\s+stands|stands|continues|is\s+unchanged)\b",
        re.I,
    ),
    re.compile(
        rf"\b(?:this|the|that|its|our)\s+(?:overall\s+)?rating\s+(?:had|has)\s+not\s+changed\s+"
        rf"and\s+we\s+(?:have\s+)?rated\s+(?:it|them|this\s+\w+|the\s+\w+)\s+(?:as\s+)?{_R}",
        re.I,
    ),
    re.compile(
        rf"\b(?:previous|last|earlier)\s+(?:[\w-]+\s+){{0,3}}?(?:inspection|rating)\b[^.]{{0,80}}?"
        rf"\brating\s+of\s+{_R}[^.]{{0,30}}\.\s*[^.]{{0,80}}?\b(?:retained|kept|maintained|keeps|"
        rf"retains)\s+(?:this|that|its|the\s+same)\s+rating\b",
        re.I,
    ),
]
_PREVIOUS_PATTERNS = [
    re.compile(
        rf"\brating\s+at\s+(?:the\s+|our\s+)?(?:last|previous)\s+inspection\s*[:\-–]\s*{_R}", re.I
    ),
    re.compile(rf"\b(?:last|previous)\s+rating\b[^.()]{{0,60}}?\b(?:was|is|of)\s+{_R}", re.I),
    re.compile(
        rf"\(\s*previous\s+(?:inspection|rating)\b[^()\n]{{0,40}}?[–\-:]\s*(?:overall\s*[–\-:]?\s*)?"
        rf"{_R}\s*[);,]",
        re.I,
    ),
    re.compile(rf"\boverall\s+rating\s+(?:for\s+the\s+\w+\s+)?of\s+{_R}", re.I),
    re.compile(
        rf"\b(?:received|given|awarded|gave\s+it|had)\s+(?:a|an|the)\s+(?:overall\s+)?rating\s+of\s+{_R}",
        re.I,
    ),
    re.compile(rf"\brated\s+(?:as\s+|it\s+as\s+|it\s+)?{_R}\s+overall", re.I),
    re.compile(rf"\b{_R}\s+overall\b", re.I),
    re.compile(rf"\brated\s+overall\s+(?:as\s+)?{_R}", re.I),
    re.compile(
        rf"\boverall\s+rating\s+(?:for|of)\s+(?:the|this)\s+[\w' -]{{1,40}}?\s*(?:is|was|"
        rf"had\s+been)\s+(?:rated\s+)?(?:as\s+)?{_R}",
        re.I,
    ),
    re.compile(
        rf"\b(?:we\s+)?(?:had\s+)?(?:previously\s+)?rated\s+(?:it|this\s+{_SUBJ}|the\s+{_SUBJ}|them)"
        rf"\s+(?:as\s+)?{_R}",
        re.I,
    ),
    re.compile(rf"\b(?:was|were|been)\s+(?:\w+\s+)?rated\s+(?:as\s+)?{_R}", re.I),
    # "following our previous inspection ... overall the practice remained rated good"
    re.compile(
        rf"\b(?:remained|stayed|continued\s+to\s+be)\s+(?:rated\s+)?(?:as\s+)?{_R}(?!\s+(?:for|in)\b)",
        re.I,
    ),
]
_PUBLISHED = re.compile(r"\bpublished\b|\bpublication\b", re.I)


def _rating_ok(passage: str, m: re.Match[str], group: str = "r") -> str | None:
    rating = normalize_rating(m.group(group))
    if rating is None:
        return None
    before = passage[max(0, m.start(group) - 60) : m.start(group)]
    after = passage[m.end(group) : m.end(group) + 40]
    if _NOT_OVERALL_BEFORE.search(before):
        return None
    if "rated" in before[-16:] and _PARTS_BEFORE.search(before):
        return None
    if _OVERALL_FOR_PART.match(after):
        return None
    if (
        _NOT_OVERALL_AFTER.match(after)
        and not re.match(r"^['’\"”]?\s+overall", after, re.I)
        and not (
            m.group(0)[:8].lower().startswith("overall")
            and _ALL_AREAS.match(passage[m.end(group) : m.end(group) + 120])
        )
    ):
        return None
    return rating


_SAME_WORDS = (
    "same",
    "still",
    "continue",
    "remain",
    "retain",
    "kept",
    "keeps",
    "maintain",
    "not changed",
)


def _same_as_before(passage: str) -> tuple[str, int, int] | None:
    low = passage.lower()
    if not any(w in low for w in _SAME_WORDS):  # a cheap test first
        return None
    for pattern in _SAME_AS_BEFORE:
        for m in pattern.finditer(passage):
            if r := _rating_ok(passage, m):
                return r, m.start("r"), m.end("r")
    return None


def is_previous_context(passage: str, upto: int | None = None) -> bool:
    """True where ``passage`` (up to ``upto``) speaks of an earlier inspection."""
    return bool(_PREV_CUE.search(passage, 0, len(passage) if upto is None else upto))


def read_overall_rating(
    passage: str, *, previous_context: bool = False
) -> tuple[str, int, int] | None:
    """The overall rating this passage says the event awarded: (rating, start, end) of the word.

    ``previous_context`` marks a passage that follows a sentence about an earlier inspection
    (letter-style reports: "We carried out ... on 25 February 2016. The overall rating for the
    practice was good."); then only "changed from X to Y" and "stayed the same" forms count.
    """
    if (same := _same_as_before(passage)) is not None:
        return same
    for i, pattern in enumerate(_OVERALL_PATTERNS):
        for m in pattern.finditer(passage):
            group = "r2" if i == 0 else "r"
            if i != 0 and (
                previous_context
                or is_previous_context(passage, m.start(group))
                or _PREV_AFTER.match(passage, m.end(group))
            ):
                continue
            r = _rating_ok(passage, m, group)
            if r:
                return r, m.start(group), m.end(group)
    return None


#: The previous-rating forms that tie the rating to this event ("The last rating for this
#: service was good", "(Previous rating June 2019 - Good)", "has changed from X to Y", "remains
#: good"), as against an earlier inspection's narrated rating.
_DIRECT_PREVIOUS = 3


def read_previous_rating(
    passage: str, *, previous_context: bool = False, direct: bool = False
) -> tuple[str, int, int] | None:
    """The rating from before this event that the passage states (rating, start, end).

    With ``direct``, only the forms that tie that rating to this event are read, not an
    earlier inspection's narrated rating ("At our inspection in May 2016 we rated it good")."""
    m = _OVERALL_PATTERNS[0].search(passage)
    if m and (r := _rating_ok(passage, m, "r1")):
        return r, m.start("r1"), m.end("r1")
    if (same := _same_as_before(passage)) is not None:
        return same
    for i, pattern in enumerate(
        _PREVIOUS_PATTERNS[:_DIRECT_PREVIOUS] if direct else _PREVIOUS_PATTERNS
    ):
        for m in pattern.finditer(passage):
            if i >= 2 and not (previous_context or is_previous_context(passage, m.start("r"))):
                continue
            if i < 2 and re.search(r"\bnot\s+rated\b", m.group(0), re.I):
                continue
            r = _rating_ok(passage, m)
            if r:
                return r, m.start("r"), m.end("r")
    return None


def read_previous_published(passage: str) -> tuple[dt.date, int, int] | None:
    """The publication date of the previous report: a date after "published"."""
    for p in _PUBLISHED.finditer(passage):
        d = next(iter_dates(passage, p.end(), min(len(passage), p.end() + 40)), None)
        if d is not None:
            return d.first, d.start, d.end
    return None


# --- the event's date --------------------------------------------------------------------------

_NOT_EVENT_DATE = re.compile(
    r"\b(?:updated|published|publication|registered|registration|since|founded|opened|built|"
    r"served|issued|notice\s+(?:was\s+)?served|warning\s+notice|born|last\s+updated)\b",
    re.I,
)


#: A month named where a day should stand before it ("carried out ... on July 2015 and 11 August
#: 2015", "Date of inspection visit: July and ..."): the event's first day is not given.
_DAY_LOST = re.compile(
    rf"(?:\bon|:)\s+(?:the\s+)?{MONTH_PATTERN}(?:\s*,?\s*(?:19|20)\d\d)?(?!\s*[0-3]?\d(?!\d))\b"
    rf"[^.]{{0,40}}?\b(?:and|to|until|then)\b[^.]{{0,25}}$",
    re.I,
)


def read_event_date(passage: str) -> tuple[dt.date, int, int] | None:
    """The event's date as this passage gives it: the first day of its first date (range, list).

    The passage is a headline ("Inspection carried out on 6, 7 August 2013", a bare date line,
    "Report from 8 May 2025 assessment") or a sentence on when the inspection or assessment
    took place. A date introduced as an update, a publication or a registration is not read.
    """
    d = first_date(passage)
    partial = partial_date_then_full(passage)
    if partial is not None and (d is None or partial.start < d.start):
        d = partial
    if d is None:
        return None
    if _NOT_EVENT_DATE.search(passage[max(0, d.start - 40) : d.start]):
        return None
    if _DAY_LOST.search(passage[max(0, d.start - 60) : d.start]):
        return None  # "on July 2015 (announced) and 11 August 2015": the first day is lost
    return d.first, d.start, d.end


# --- people using the service ------------------------------------------------------------------

_PEOPLE_NOUN = (
    r"(?:(?:older|younger|adult|elderly|disabled|young|other)\s+)?(?:people|persons|residents|"
    r"patients|adults|children|service\s+users|individuals|clients|men|women|customers|tenants)"
)
_PEOPLE_RE = re.compile(rf"\b(?P<n>{NUMBER_PATTERN})\s+{_PEOPLE_NOUN}\b", re.I)
_ABOUT = r"(?:approximately\s+|around\s+|about\s+|some\s+|over\s+|nearly\s+|almost\s+)?"
_USAGE_AFTER = re.compile(
    r"^\s*,?\s*(?:who\s+|that\s+)?(?:were\s+|are\s+|was\s+|is\s+|currently\s+|had\s+been\s+|"
    r"being\s+)*(?:using|used|use|receiving|received|in\s+receipt|living|lived|live|staying|"
    r"resident|accommodated|supported\s+by|cared\s+for\s+by|registered\s+with|on\s+the\s+"
    r"(?:books|caseload)|in\s+(?:their|the)\s+care)\b",
    re.I,
)
_USAGE_BEFORE = re.compile(
    rf"(?:\b(?:support|care|services?|treatment|help|assistance|personal\s+care)\s+(?:and\s+\w+\s+)?"
    rf"(?:to|for)|\b(?:supporting|supports|caring\s+for|cares\s+for|looking\s+after|treated|"
    rf"treating|accommodating|there\s+(?:were|are|was))|\bused\s+by)\s+{_ABOUT}$",
    re.I,
)
#: The time of the inspection itself ("currently" does not make a practice's list a count of
#: those using it that day).
_AT_INSPECTION = re.compile(
    r"\b(?:at\s+the\s+time\s+of|on\s+the\s+days?\s+of|during)\s+(?:the|our|this|my)\s+"
    r"(?:[\w-]+\s+)?(?:inspection|visit|assessment)",
    re.I,
)
_AT_THE_TIME = re.compile(r"\b(?:at\s+the\s+time|on\s+the\s+day|currently|at\s+present)\b", re.I)
_CAPACITY_BEFORE = re.compile(
    r"(?:\bup\s+to|\bmaximum(?:\s+of)?|\bmax\.?|\baccommodat\w*(?:\s+for)?|\bcapacity\s+(?:of|for)"
    r"|\bcan\s+(?:\w+\s+){0,3}?|\bcould\s+(?:\w+\s+){0,3}?|\bplaces\s+for|\bbeds?\s+for|"
    r"\bdesigned\s+for|\bfor\s+a\s+total\s+of)\s*$|\bregistered\s+(?:to|for)\b[^.;]{0,40}$",
    re.I,
)
_SAMPLE_BEFORE = re.compile(
    r"\b(?:spoke|spoken|speak|speaking|talked|talk|met|meet|looked|reviewed|review|sampled|"
    r"observed|observe|tracked|asked|interviewed|visited|contacted|contact|surveyed|feedback|"
    r"phoned|telephoned|rang|emailed|wrote\s+to|questionnaires?|surveys?|"
    r"records?\s+(?:of|for)|files?\s+(?:of|for)|plans?\s+(?:of|for))\b[^.;]{0,150}$",
    re.I,
)
#: A bound, not a count: "Over 600 people were using the service", "more than 40 people".
_BOUND_BEFORE = re.compile(
    r"\b(?:over|more\s+than|in\s+excess\s+of|at\s+least|upwards\s+of|nearly|almost|fewer\s+than|"
    r"less\s+than|under|just\s+under|just\s+over|up\s+to|a\s+minimum\s+of)\s+$",
    re.I,
)
#: A practice's list of registered patients, not those using the service at the time: "The
#: practice has 8,899 patients", "a list size of 6,200 patients", "12,000 registered patients".
_LIST_BEFORE = re.compile(
    r"\b(?:list(?:\s+size)?|population)\s+(?:of\s+)?(?:approximately\s+|around\s+|about\s+|some\s+)?$|"
    r"\b(?:practice|surgery|medical\s+centre|health\s+centre|partnership|clinic)\s+"
    r"(?:currently\s+|now\s+)?(?:has|had|serves|served|looks\s+after)\s+(?:a\s+)?"
    r"(?:approximately\s+|around\s+|about\s+|some\s+|over\s+)?$|\bregistered\s+$",
    re.I,
)
_LIST_AFTER = re.compile(
    r"^\s*(?:who\s+)?(?:are\s+|were\s+)?registered\s+(?:with|at)\s+(?:the|this)\s+(?:practice|surgery|"
    r"medical\s+centre|health\s+centre)\b|^\s+on\s+(?:the|its|their)\s+(?:practice\s+)?list\b",
    re.I,
)
#: "five patients with a learning disability": a group of the service's patients named by a
#: condition, with no time to make it the count of those using the service then.
_WITH_CONDITION = re.compile(
    r"^\s+(?:with|who\s+(?:have|had)|living\s+with|diagnosed\s+with)\s+(?!personal\b|support\b|"
    r"care\b|their\b|the\s+regulated\b|a\s+regulated\b|regulated\b|nursing\b)",
    re.I,
)
_OF_THE = re.compile(r"\b(?:of|among)\s+the\s+$", re.I)
_CAPACITY_AFTER = re.compile(r"^\s*(?:beds?|places?|bedrooms?|rooms?)\b", re.I)
_PART_AFTER = re.compile(
    r"^[^.;]{0,25}?\b(?:in\s+(?:one|each|the\s+other|the\s+main)|upstairs|downstairs|on\s+the\s+"
    r"(?:ground|first|second|top)\s+floor|in\s+(?:one|the)\s+(?:unit|wing|house|bungalow))\b",
    re.I,
)
_SAMPLE_AFTER = re.compile(
    r"^[^.;]{0,60}?\b(?:we\s+(?:spoke|talked|met|looked)|told\s+us|said|commented|spoke|provided\s+"
    r"feedback|gave\s+feedback|completed|responded|returned)\b",
    re.I,
)
#: "18 people on Cedar unit and 26 on Willow unit": parts of a total, not the total.
_UNIT_PART = re.compile(
    rf"\b{NUMBER_PATTERN}\b[^.;]{{0,40}}?\b(?:unit|wing|floor|house|bungalow|flat|suite|ward|upstairs|downstairs)\b",
    re.I,
)
_PERIOD = re.compile(
    r"\b(?:per|a|each|every)\s+(?:year|month|week|day|annum)\b|\bin\s+(?:19|20)\d\d\b|"
    r"\bannually\b|\bover\s+the\s+(?:last|past)\b|\b(?:in|during)\s+the\s+(?:last|past|previous|"
    r"preceding)\s+(?:year|\w+\s+(?:months|years|weeks))\b",
    re.I,
)


_FURTHER = re.compile(
    rf"\b(?:a\s+further|another|an\s+additional|and\s+(?:a\s+)?further)\s+{NUMBER_PATTERN}\s+(?:[\w-]+\s+)?"
    rf"{_PEOPLE_NOUN}\b",
    re.I,
)

#: "Number of service users on the day of inspection: 29" (older report forms).
_PEOPLE_LABEL = re.compile(
    rf"\bnumber\s+of\s+{_PEOPLE_NOUN}\b(?:\s+[\w-]+){{0,14}}?\s*:\s*(?P<n>{NUMBER_PATTERN})\b", re.I
)


def read_people(passage: str) -> tuple[int, int, int] | None:
    """How many people were using the service, as this passage states it (n, start, end).

    A capacity ("registered to provide care for up to 60 people"), a sample ("we spoke with
    10 people"), a yearly figure, or one part of a total ("18 people in one unit") is not read.
    """
    label = _PEOPLE_LABEL.search(passage)
    if label and not re.search(
        r"\b(?:registered|places|beds|capacity|maximum)\b", label.group(0), re.I
    ):
        n = parse_number(label.group("n"))
        if n is not None:
            return n, label.start("n"), label.end("n")
    if _PERIOD.search(passage) or len(_UNIT_PART.findall(passage)) >= 2:
        return None
    low = passage.lower()
    if ("further" in low or "another" in low or "additional" in low) and _FURTHER.search(
        passage
    ):  # "seven people in the unit, a further ten at day care": parts
        return None
    for m in _PEOPLE_RE.finditer(passage):
        n = parse_number(m.group("n"))
        if n is None or n == 0 or n > 100000:
            continue
        if (
            n >= 1000
            and re.match(r"patients", m.group(0).split()[-1], re.I)
            and not _AT_INSPECTION.search(passage)
        ):
            continue  # a practice's list or a population served, not those using it that day
        before = passage[max(0, m.start() - 160) : m.start()]
        after = passage[m.end() : m.end() + 80]
        if _CAPACITY_BEFORE.search(before[-80:]) or _CAPACITY_AFTER.match(after):
            continue
        if _BOUND_BEFORE.search(before[-30:]):
            continue  # a lower or upper bound, not a count
        if _LIST_BEFORE.search(before[-80:]) or _LIST_AFTER.match(after):
            continue  # a practice's registered list
        if _WITH_CONDITION.match(after) and not _AT_THE_TIME.search(passage):
            continue  # a group named by a condition, not the number using the service then
        total = _OF_THE.search(before) is not None  # "eight of the 26 people who lived there"
        if not total and (_SAMPLE_BEFORE.search(before) or _SAMPLE_AFTER.match(after)):
            continue
        if _PART_AFTER.match(after):
            return None
        if (
            _USAGE_AFTER.match(after)
            or _USAGE_BEFORE.search(before)
            or _AT_THE_TIME.search(passage)
        ):
            if _another_group(passage, m.end(), n):
                return None  # "nine people on the unit and ... supporting 214 people": parts
            return n, m.start("n"), m.end("n")
    return None


def _another_group(passage: str, pos: int, n: int) -> bool:
    """A second count of people using a service later in the passage, a group apart from the
    first ("nine people were staying on the inpatient unit and the hospice at home team was
    supporting 214 people"): the two are parts, and their sum is not stated."""
    for m in _PEOPLE_RE.finditer(passage, pos):
        k = parse_number(m.group("n"))
        if k is None or k == n or k == 0:
            continue
        before = passage[max(pos, m.start() - 80) : m.start()]
        after = passage[m.end() : m.end() + 80]
        if re.search(r"\b(?:of\s+(?:whom|these|them|those)|including|of\s+the)\s*$", before, re.I):
            continue
        if _CAPACITY_BEFORE.search(before) or _SAMPLE_BEFORE.search(before):
            continue
        if (
            _USAGE_AFTER.match(after)
            or _USAGE_BEFORE.search(before)
            or re.search(r"\bsupported\s+$", before)
        ):
            return True
    return False


# --- announced ---------------------------------------------------------------------------------

_ANNOUNCED_TRUE = re.compile(
    r"(?<!un)(?<!un-)(?<!not\s)(?<!not\sbeen\s)\bannounced\b(?!\s+(?:its|their|that|plans?|changes?))|"
    r"(?<!not\s)\b(?:gave|given|give|giving|provided|providing)\b[^.]{0,60}?\bnotice\b|"
    r"\b(?:short|\d+\s+hours?['’]?|\w+\s+hours?['’]?|\w+\s+(?:working\s+)?days?['’]?)\s+notice\b|"
    r"\bnotice\s+of\s+(?:the\s+|our\s+|this\s+)?(?:inspection|visit|assessment)\s+(?:was\s+)?given\b|"
    r"\bwe\s+(?:told|informed|notified|contacted|telephoned|phoned|rang|called|wrote\s+to|emailed)\s+(?:the\s+)?"
    r"(?:provider|registered\s+manager|manager|service|practice|home|agency|staff|team|nominated\s+individual|"
    r"trust|hospital|school|clinic|location|unit)"
    r"\b[^.]{0,80}\b(?:before|in\s+advance|prior\s+to|ahead\s+of|beforehand|we\s+were\s+coming|we\s+would\s+be\s+(?:coming|visiting))\b",
    re.I,
)
_PASSIVE_NOTICE = re.compile(
    r"\b(?:was|were|had\s+been)\s+(?:told|informed|notified)\s+(?:about|of)\s+(?:the|this|our)\s+(?:[\w-]+\s+){0,2}?"
    r"(?:inspection|visit|assessment)\b[^.]{0,40}?\b(?:beforehand|before|in\s+advance)\b",
    re.I,
)
_NOT_NOTICE = re.compile(
    r"\b(?:warning|requirement|enforcement|penalty|proposal|decision|urgent)\s+notices?\b|"
    r"\bnotices?\s+of\s+(?:proposal|decision)\b|\bserved\b",
    re.I,
)
_ANNOUNCED_FALSE = re.compile(
    r"\bun-?announced\b|\bnot\s+aware\s+(?:that\s+)?we\s+(?:were|would\s+be)\s+(?:coming|visiting)\b|\bdid\s+not\s+(?:tell|inform|notify|warn)\s+(?:the\s+)?[\w ]{1,30}?\s+(?:that\s+)?(?:we\s+were\s+coming|we\s+would\s+be\s+(?:coming|visiting)|about\s+(?:the|our)\s+(?:inspection|visit))|"
    r"\bdid\s+not\s+know\s+(?:that\s+)?we\s+(?:were|would\s+be)\s+(?:coming|visiting)\b|"
    r"\bwithout\s+(?:any\s+)?(?:prior\s+)?notice\b|\bno\s+(?:prior\s+)?notice\s+(?:was|had\s+been)\s+given\b|"
    # "We did not give the provider notice", "The home was not given notice", "no notice"
    r"\b(?:did\s+not|didn['’]t)\s+(?:give|provide)\b[^.]{0,60}?\bnotice\b|"
    r"\b(?:was|were)\s+not\s+(?:given|provided)\b[^.]{0,40}?\bnotice\b|\bno\s+(?:prior\s+|advance\s+)?"
    r"notice\s+(?:of|was|had)\b|"
    # "We did not announce the inspection", "The visit was not announced"
    r"\b(?:did\s+not|didn['’]t)\s+announce\b|\b(?:was|were|had)\s+not\s+(?:been\s+)?announced\b",
    re.I,
)
#: One part of the event unannounced, another not (or not said): the event is mixed.
_PART_NOTICE = re.compile(
    r"\b(?:first|second|one|1st)\s+day\b[^.]{0,50}\bun-?announced\b|\bun-?announced\s+on\s+the\s+"
    r"(?:first|second)\s+day\b|\b(?:also|further|additional|follow[\s-]?up)\b[^.]{0,40}\bun-?announced"
    r"\b|\bun-?announced\s+(?:follow[\s-]?up\s+)?visits\b|\bannounced\s+part\b|\bun-?announced\s+part\b|"
    # "... between 9 and 11 July 2014, along with an unannounced visit on 21 July"
    r"\b(?:along\s+with|as\s+well\s+as|plus|followed\s+by|together\s+with)\s+(?:an?\s+|two\s+|three\s+)?"
    r"(?:further\s+|subsequent\s+|additional\s+|separate\s+)?un-?announced\s+(?:visit|inspection)s?\b|"
    r"\band\s+(?:two\s+|three\s+)?(?:further\s+|subsequent\s+|additional\s+)?un-?announced\s+"
    r"(?:inspection\s+)?(?:visits|inspections)\b",
    re.I,
)
#: A day and month, with or without a year ("7 to 11 December", "23 December 2015").
_DAY_MONTH = re.compile(
    rf"\b(?P<d>[0-3]?\d)(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m>{MONTH_PATTERN})\b", re.I
)


def _unannounced_between_days(passage: str, at: int) -> bool:
    """An unannounced visit on a later day than the one the passage dated before it: "from 7 to
    11 December. We undertook an unannounced inspection on 23 December" (a part of the event)."""

    def day(m: re.Match[str]) -> tuple[int, int]:
        return month_number(m.group("m")), int(m.group("d"))

    before = [day(m) for m in _DAY_MONTH.finditer(passage, 0, at)]
    after = [day(m) for m in _DAY_MONTH.finditer(passage, at)]
    return bool(before and after and max(after) > min(before))


_ANNOUNCE_SUBJECT = re.compile(
    r"\b(?:inspection|visit|visits|inspected|inspect|assessment|we|site|it)\b", re.I
)
_PROVIDER_CHECKS = re.compile(r"\b(?:spot[\s-]?checks?|checks?\s+on\s+staff|supervisions?)\b", re.I)

MIXED = "mixed"


def read_announced(passage: str) -> tuple[bool, int, int] | None:
    """Whether this passage says the inspection was announced (True) or not (False).

    A passage that says both ("an announced visit on 7 June and an unannounced visit on
    16 June"), or that only one part of the event was unannounced, gives nothing: see
    :func:`mixed_notice`.
    """
    if not _ANNOUNCE_SUBJECT.search(passage) or _PROVIDER_CHECKS.search(passage):
        return None
    if _PART_NOTICE.search(passage):
        return None
    t = next(
        (
            m
            for m in _ANNOUNCED_TRUE.finditer(passage)
            if not _NOT_NOTICE.search(
                passage, max(0, m.start() - 30), min(len(passage), m.end() + 20)
            )
        ),
        None,
    ) or _PASSIVE_NOTICE.search(passage)
    f = _ANNOUNCED_FALSE.search(passage)
    if t and f:
        return None
    if f and _unannounced_between_days(passage, f.start()):
        return None
    if f:
        return False, f.start(), f.end()
    if t:
        return True, t.start(), t.end()
    return None


def mixed_notice(passage: str) -> bool:
    """The passage says one part of the event was unannounced and another part was not."""
    has_t = bool(_ANNOUNCED_TRUE.search(passage))
    has_f = bool(_ANNOUNCED_FALSE.search(passage))
    if _PART_NOTICE.search(passage) or (has_t and has_f):
        return True
    f = _ANNOUNCED_FALSE.search(passage) if has_f else None
    return f is not None and _unannounced_between_days(passage, f.start())


# --- the page header's current rating ---------------------------------------------------------

_HEADER_FORMS = [
    (
        "summary",
        re.compile(
            r"\s*Overall\s+summary\s*&\s*rating[ \t]*\n\s*(?P<r>Outstanding|Good|Requires\s+improvement|Inadequate)\s*",
            re.I,
        ),
    ),
    (
        "overall_lines",
        re.compile(
            r"\s*Overall(?:\s+rating)?[ \t]*:?[ \t]*\n\s*(?P<r>Outstanding|Good|Requires\s+improvement|"
            r"Inadequate)[ \t]*",
            re.I,
        ),
    ),
    (
        "overall",
        re.compile(
            r"\s*Overall\s*:\s*(?P<r>Outstanding|Good|Requires\s+improvement|Inadequate)(?:\s+read\s+more\b[^\n]*)?\s*",
            re.I,
        ),
    ),
    (
        "title",
        re.compile(
            r"\s*(?P<name>(?:Provider:\s*)?(?-i:[A-Z])[^\n.!?:;]{2,80}?)\s+(?P<r>Outstanding|Good|Requires\s+improvement|Inadequate)\s*",
            re.I,
        ),
    ),
]
_NOT_A_NAME = re.compile(
    rf"\b(?:rating|rated|ratings|overall|summary|key\s+question|{_KQ}|services?\s+\w+\?|are\s+services)\b|[–\-:?]\s*$",
    re.I,
)


def read_header_rating(passage: str) -> tuple[str, int, int, str] | None:
    """The location's current rating as the page header states it: (rating, start, end, form).

    The whole passage must be a header line: "Overall: Requires improvement read more about
    inspection ratings", a title line "Cosmetic Surgery Partners Good", or the older layout's
    "Overall summary & rating" heading with the rating on the next line. A key question
    ("Safe: Requires improvement") or a phrase ("Good governance") is not a header.
    """
    for form, pattern in _HEADER_FORMS:
        m = pattern.fullmatch(passage)
        if m is None:
            continue
        if form == "title" and _NOT_A_NAME.search(m.group("name")):
            continue
        rating = normalize_rating(m.group("r"))
        if rating:
            return rating, m.start("r"), m.end("r"), form
    return None
