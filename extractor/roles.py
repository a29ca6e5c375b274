"""The checker's own judgement of a rating's role: its time, its scope and its place on the page.

The rules read ratings with :mod:`extractor.reading.readers`; the checker re-reads a quote with
the same readers, so on its own it would never see a mistake the readers make. This module is
the checker's second, independent and stricter opinion. It knows nothing of the rules' patterns:
it looks at the words *around one rating word* in the sentence that holds it (the whole
sentence, read from the page, not just the quote, so a cut-down quote is judged on what the
page says) and answers three questions:

* **time** — is this the rating awarded by *this* event, or an earlier one's? ("at our last
  inspection", "previously", "prior", "at that inspection", "was last inspected", "then", "since",
  a date long before the event, the first rating of "changed from X to Y") — or both ("remains",
  "stayed the same", "has not changed");
* **scope** — is it the rating of the whole service (the service, location, practice, home,
  hospital, trust, provider, or a named place), or of a part (a key question, a core service, a
  ward, a population group, a domain, use of resources)?
* **place** — which event's part of the page the quote lies in (see :func:`event_blocks`).

Every answer is ``clear`` only where a cue in the text decides it; where the text is silent the
answer is ``unknown`` and the checker does not object. Where cues conflict, the answer is
``unclear`` and the checker warns.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace
from typing import Literal

from extractor.reading.layout import find_event_starts
from extractor.reading.values import iter_dates

Time = Literal["this", "earlier", "both", "unknown", "unclear"]
Scope = Literal["whole", "part", "unknown", "unclear"]

#: A rating word: the four words of the scale, in any case.
RATING_WORD = re.compile(
    r"(?<![\w-])(?P<r>outstanding|good|requires?[\s-]+improvements?|requiring\s+improvement|"
    r"required\s+improvement|inadequate)(?![\w-])",
    re.I,
)


def rating_name(word: str) -> str | None:
    w = re.sub(r"\s+", " ", word.lower())
    if w.startswith("outstanding"):
        return "Outstanding"
    if w == "good":
        return "Good"
    if w.startswith("inadequate"):
        return "Inadequate"
    if w.startswith(("require", "requiring")):
        return "Requires improvement"
    return None


# --- the sentence around a span ---------------------------------------------------------------

_SENTENCE_END = re.compile(r"[.!?][\"'’”)]*(?=\s+[\"'‘“(]?[A-Z0-9•\-])|\n\s*\n|\n(?=\s*[-•*])")


def sentence_span(text: str, start: int, end: int) -> tuple[int, int]:
    """The span of the sentence(s) of ``text`` that hold ``text[start:end]``.

    A sentence ends at ". " before a capital, at a blank line, or at a line break before a
    bullet; a line break ends it too unless the line runs on (a hard-wrapped line). A sentence
    that is nothing but a rating ("Good" under "Are services safe?") takes its line above.
    """
    lo = max(0, start - 600)
    left = lo
    for m in _SENTENCE_END.finditer(text, lo, start):
        left = m.end()
    nl = text.rfind("\n", left, start)
    if nl >= 0 and _line_ends_sentence(text, nl):
        left = nl + 1
    stop = _SENTENCE_END.search(text, end, min(len(text), end + 600))
    right = stop.start() + 1 if stop else min(len(text), end + 600)
    nl = text.find("\n", end, right)
    while nl >= 0 and not _line_ends_sentence(text, nl):
        nl = text.find("\n", nl + 1, right)
    if nl >= 0:
        right = nl
    while left < right and text[left].isspace():
        left += 1
    while right > left and text[right - 1].isspace():
        right -= 1
    if not re.search(r"[a-z]{3}", _strip_ratings(text[left:right])) and left > 0:
        above = text.rfind("\n", 0, max(0, left - 1))
        left = above + 1
    return left, max(right, end)


def _strip_ratings(s: str) -> str:
    return RATING_WORD.sub("", s)


def _line_ends_sentence(text: str, nl: int) -> bool:
    """Whether the line break at ``nl`` ends a sentence (not a hard wrap)."""
    before = text[:nl].rstrip(" \t")
    after = text[nl + 1 :].lstrip(" \t")
    if not before or not after or after[0] == "\n":
        return True
    if before[-1] in ".!?:;)":
        return True
    if after[0].islower() or (after[0].isdigit() and len(before) - before.rfind("\n") > 60):
        return False
    line_len = len(before) - before.rfind("\n") - 1
    return line_len < 60 or not after[0].isalpha()


# --- cues -------------------------------------------------------------------------------------

_KQ = r"(?:safe|safety|effective|caring|responsive|well[\s-]?led|leadership)"
#: Words that make the subject of a rating a part of the service, not the whole.
_PART = re.compile(
    rf"\b(?:{_KQ}|key\s+questions?|domains?|core\s+services?|wards?|units?|population\s+groups?|"
    r"(?:older|vulnerable)\s+people|people\s+with\s+long[\s-]term\s+conditions|"
    r"families,?\s+children|working[\s-]age\s+people|people\s+whose\s+circumstances|"
    r"people\s+experiencing\s+poor\s+mental\s+health|use\s+of\s+resources|"
    r"medical\s+(?:care|services?|wards?)|urgent\s+and\s+emergency|emergency\s+department|"
    r"maternity|gynaecology|critical\s+care|end\s+of\s+life|outpatients?|diagnostic|"
    r"children\s+and\s+young\s+people|children['’]s|young\s+people['’]s|"
    r"services\s+for\s+(?:children|adults|people|older)|community\s+health\s+services|"
    r"mental\s+health\s+(?:services|wards|crisis)|acute\s+wards|long[\s-]stay|forensic|"
    r"inpatient\s+services|specialist\s+community|child\s+and\s+adolescent|"
    r"dental\s+care|quality\s+statements?|areas?\b|aspects?\b|surgical\s+(?:care\s+)?services?|"
    r"(?:two|three|four|five|six|seven|eight|nine|ten|\d+|other|remaining|several|most|"
    r"some)\s+(?:of\s+(?:the|its|our)\s+(?:[\w'’]+\s+)?)?(?:core\s+)?services\b)",
    re.I,
)
#: Bare "surgery" (no article) is a core service; "the surgery" is a GP practice.
_BARE_SURGERY = re.compile(r"(?<!\bthe\s)(?<!\bthis\s)(?<!\bour\s)(?<!\bits\s)\bsurgery\b")
_WHOLE = re.compile(
    r"^(?:(?:the|this|our|its|their|your|that)\s+)?(?:overall\s+)?(?:whole\s+)?(?:[\w'’-]+\s+){0,2}?"
    r"(?:service|services|practice|location|home|trust|provider|hospital|hospitals|agency|surgery|"
    r"clinic|centre|center|scheme|organisation|organization|unit|hospice|branch|us|it|them|"
    r"we|they)$",
    re.I,
)
_NAME = re.compile(r"^(?:[A-Z0-9][\w'’&().,-]*\s*){1,8}$")

#: Cues that a rating is an earlier inspection's.
_EARLIER = re.compile(
    r"\b(?:last|previous|prior|earlier|preceding|initial|former)\b(?:\s+[\w-]+){0,3}?\s+"
    r"(?:inspections?|inspected|visits?|reports?|ratings?|rated|assessments?|assessed|"
    r"comprehensive|focused)\b|"
    r"\bpreviously\b|\bprior\s+to\b|\bat\s+that\s+(?:inspection|visit|assessment|time)\b|"
    r"\blast\s+inspected\b|\b(?:was|were)\s+last\b|\bre-?inspected\b|\binitially\b|"
    r"\bthen\b|\bsince\b|\bhad\s+(?:been\s+|previously\s+)?(?:rated|given|awarded)\b|"
    r"\bwhen\s+(?:we|it|the\s+\w+)\s+(?:was\s+)?(?:last\s+)?(?:inspected|rated|visited)\b|"
    r"\bas\s+per\s+the\b|\bin\s+our\s+(?:\d{4}|[A-Z]\w+\s+\d{4})\s+(?:inspection|report)\b",
    re.I,
)
#: Cues that a rating is this event's own.
_THIS = re.compile(
    r"\b(?:this|the\s+current|our\s+latest|the\s+latest|the\s+recent|our\s+recent)\s+"
    r"(?:inspection|visit|assessment|review|report)\b|\bnow\b|\bfollowing\s+this\b|"
    r"\b(?:is|are)\s+(?:\w+\s+)?rated\b|\bhave\s+rated\b|\bhas\s+(?:now\s+)?been\s+rated\b|"
    r"\bwe\s+found\b",
    re.I,
)
#: Cues that a rating is both: it stood before and stands after this event.
_BOTH = re.compile(
    r"\bremain(?:s|ed)?\b|\bstayed\s+the\s+same\b|\b(?:has|had|did)\s+not\s+change|"
    r"\bnot\s+changed\b|\bcontinues?\s+to\b|\bcontinued\s+to\b|\bunchanged\b|\bstill\b|"
    r"\bsecond\s+consecutive\b|\bmaintained\b",
    re.I,
)
_CHANGE_TO = re.compile(
    r"\b(?:changed|improved|deteriorated|declined|dropped|moved|gone|went|risen|rose|fallen|fell|"
    r"increased|decreased|upgraded|downgraded)\b[^.;]{0,80}?\bto\s+['‘’\"“”]?$",
    re.I,
)
_FROM_TO = re.compile(
    r"^['‘’\"“”]?\s*(?:overall\s+)?to\s+['‘’\"“”]?(?:outstanding|good|requir|inadequate)", re.I
)
_FROM_BEFORE = re.compile(r"\bfrom\s+['‘’\"“”]?$", re.I)

#: Where a clause ends: the cues of one clause do not speak for a rating in the next.
_CLAUSE = re.compile(
    r";|\(|\)|\.\s|\n|\bbut\b|\bhowever\b|\bwhereas\b|\bwhile\b(?!\s+the\s+report)|\balthough\b|"
    r",\s*(?:with|so|and\s+(?:we|it|the\s+\w+)\s)|\bso\s+this\b|"
    r"\band\s+(?=(?:is|was|has|have|had|we|it|now|are|were)\b)",
    re.I,
)

_AFTER_PART = re.compile(
    rf"^['‘’\"“”]?\s*(?:overall\s+)?(?:rating\s+)?(?:for|in|across)\s+(?:providing\s+|being\s+|"
    rf"(?:the\s+)?(?:provision|delivery)\s+of\s+|"
    rf"the\s+|all\s+|each\s+|every\s+|most\s+|some\s+|both\s+|its\s+|this\s+|its\s+)*"
    rf"(?:{_KQ}|key|domain|core|population|wards?|areas?|five|four|three|two|one|services?\s+for|"
    rf"the\s+{_KQ})",
    re.I,
)
#: "rated good in all areas" after "Overall": every part and so the whole.
_IN_ALL = re.compile(r"^['‘’\"“”]?\s*(?:in|across)\s+all\b", re.I)


_FOUR = [re.compile(rf"\b{kq}\b", re.I) for kq in ("safe", "effective", "caring", "responsive")]
_WELL_LED = re.compile(r"\bwell[\s-]?led\b", re.I)


def _overall_in_all(before: str, after: str) -> bool:
    """After "Overall", a rating "in all areas" or "for providing safe, effective, caring,
    responsive and well-led services": every part, and so the whole."""
    if not re.search(r"\boverall\b", before, re.I):
        return False
    every = all(p.search(after) for p in _FOUR) and bool(_WELL_LED.search(after))
    return bool(_IN_ALL.match(after)) or every


_AFTER_OVERALL = re.compile(r"^['‘’\"“”.]?\s*overall\b", re.I)
_HEADER_LINE = re.compile(
    r"^[ \t]*(?:Overall\s*:\s*|Overall\s+summary\s*&\s*rating\s*\n\s*|Latest\s+rating\s*:?\s*)"
    r"['‘’\"“”]?(?:outstanding|good|requires?\s+improvement|inadequate)['‘’\"“”]?"
    r"(?:[ \t]+read\s+more\b[^\n]*)?[ \t]*$",
    re.I | re.M,
)


@dataclass(frozen=True)
class Role:
    """The role of one rating word in its sentence, and the words that decided it."""

    rating: str
    time: Time
    scope: Scope
    why: str = ""


def _clause(sentence: str, start: int, end: int) -> tuple[int, int]:
    lo, hi = 0, len(sentence)
    for m in _CLAUSE.finditer(sentence, 0, start):
        lo = m.end()
    stop = _CLAUSE.search(sentence, end)
    if stop:
        hi = stop.start()
    return lo, hi


def _subject_scope(before: str) -> tuple[Scope, str]:
    """The scope of the subject a rating is said of, from the words just before it."""
    b = before.rstrip(" \t'‘’\"“”")
    # "rated as good and requires improvement": the subject of the first is the second's too
    b = re.sub(
        r"(?:['‘’\"“”]?(?:outstanding|good|requires?\s+improvement|inadequate)['‘’\"“”]?"
        r"\s*(?:,|\band\b|\bor\b)\s*)+$",
        "",
        b,
        flags=re.I,
    ).rstrip()
    m = (
        # "we rated X as R", "judged X to be R"
        re.search(
            r"\b(?:rated|judged|rate|found)\s+(?P<x>(?:(?!\brated\b)[^;:()]){1,90}?)\s+"
            r"(?:as|to\s+be|to\s+have\s+been)(?:\s+being)?$",
            b,
            re.I,
        )
        # "we rated it R", "CQC has rated Orchard Mews R"
        or re.search(
            r"\b(?:we|they|cqc|commission|inspectors?|has|have|had)\s+(?:\w+\s+)?rated\s+"
            r"(?P<x>it|them|us|this\s+[\w-]+|the\s+[\w-]+(?:\s+[\w-]+)?|"
            r"[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*){0,5})$",
            b,
        )
        # "X was rated (as) R", "X is R", "X remains R"
        or re.search(
            r"(?P<x>[^,;:()\n]{1,90}?)\s+(?:is|was|were|are|be|been|has\s+been|have\s+been|"
            r"had\s+been|remains|remained|continues\s+to\s+be|stayed)"
            r"(?:\s+(?:now|also|still|therefore|previously|currently|again|overall|both|all|"
            r"consistently|then|last))*(?:\s+(?:rated|judged|assessed))?(?:\s+overall)?"
            r"(?:\s+as)?$",
            b,
            re.I,
        )
        # "with surgery rated as R"
        or re.search(r"(?P<x>[^,;:()\n]{1,90}?)\s+(?:rated|judged)(?:\s+as)?$", b, re.I)
        # "rating for X: R", "rating of X was R"
        or re.search(
            r"\brating\s+(?:for|of)\s+(?P<x>[^:;()\n]{1,80}?)\s*(?:[:\-–]|\bis|\bwas|"
            r"\bremains|\bhas\s+been|\bof)?$",
            b,
            re.I,
        )
        # a label: "Safe: R", "Are services safe? R", a table cell
        or re.search(r"(?:^|\n|\|)\s*(?P<x>[^\n:|]{1,80}?)\s*(?:\?|:|–|-)?\s*$", b)
    )
    if m is None:
        return "unknown", ""
    x = m.group("x").strip(" \t'‘’\"“”,")
    # "the rating for urgent and emergency care remains requires improvement and the overall
    # service remains outstanding": a subject holds no rating; what comes before the last
    # rating word in it is another clause's
    said = max(RATING_WORD.finditer(x), key=lambda m: m.start(), default=None)
    if said is not None:
        cut = re.match(
            r"^['‘’\"“”]?(?:\s+overall)?\s*(?:,\s*)?(?:and|but|while|whereas)\s+",
            x[said.end() :],
            re.I,
        )
        if cut is not None and re.search(r"[a-z]{3}", x[said.end() + cut.end() :], re.I):
            x = x[said.end() + cut.end() :]
    x = re.sub(r"^(?:overall|and|that|which|where|with|when)\b,?\s*", "", x, flags=re.I)
    if _PART.search(x) or _BARE_SURGERY.search(x):
        return "part", x
    if re.search(r"\boverall\b", x, re.I):
        return "whole", x
    last = re.sub(r"^.*\b(?:rated|rate)\s+", "", x, flags=re.I)
    if _WHOLE.search(last) or _WHOLE.search(x.split(",")[-1].strip()):
        return "whole", x
    if _NAME.match(last) and not re.match(rf"^{_KQ}$", last, re.I):
        return "whole", x
    return "unknown", x


def _time(sentence: str, lo: int, hi: int, start: int, end: int) -> tuple[Time, str]:
    before, after = sentence[lo:start], sentence[end:hi]
    if _CHANGE_TO.search(before):
        return "this", "changed to"
    if re.search(r"\bnot\s+(?:been\s+)?changed\s+from\s+['‘’\"“”]?$", before, re.I):
        return "both", "not changed from"
    if _FROM_BEFORE.search(before) or _FROM_TO.match(after):
        return "earlier", "changed from"
    clause = sentence[lo:hi]
    both = _BOTH.search(clause)
    if both:
        return "both", both.group(0)
    earlier = list(_EARLIER.finditer(clause))
    this = [
        m
        for m in _THIS.finditer(clause)
        # "the report of this inspection" next to "the last inspection": the nearest wins
    ]
    if earlier and not this:
        return "earlier", earlier[0].group(0)
    if this and not earlier:
        return "this", this[0].group(0)
    if this and earlier:
        pos = start - lo

        def dist(m: re.Match[str]) -> int:
            return min(abs(m.start() - pos), abs(m.end() - pos))

        e = min(dist(m) for m in earlier)
        t = min(dist(m) for m in this)
        if e < t:
            return "earlier", earlier[0].group(0)
        if t < e:
            return "this", this[0].group(0)
        return "unclear", "cues of both"
    return "unknown", ""


_PRONOUN = re.compile(r"^(?:it|them|they|(?:this|the)\s+service|services|the\s+services)$", re.I)
#: What a pronoun may stand for: "We inspected Critical care ...", "Our rating of the trust ...".
_ANTECEDENT = re.compile(
    r"\b(?:we\s+(?:also\s+)?inspected|inspection\s+of|our\s+(?:overall\s+)?rating\s+of|"
    r"rating\s+for|we\s+rated)\s+(?:the\s+|this\s+|our\s+)?(?P<x>[^.,;:()\n]{1,80})",
    re.I,
)
_WHOLE_WORD = re.compile(
    r"^(?:[\w'’-]+\s+){0,3}?(?:trust|hospital|location|practice|provider|home|agency|surgery|"
    r"clinic|hospice|organisation)\b",
    re.I,
)
_CORE_REPORT = re.compile(
    r"^[ \t]*During\s+an\s+inspection\s+of\s+(?P<x>[^\n]{3,120})$|\bthis\s+core\s+service\b|"
    # a ratings heading naming a core service: "Ratings - Diagnostic imaging"
    r"^[ \t]*Ratings?\s*[-–—:]\s*(?P<y>(?:surg(?:ery|ical)|medical\s+care|maternity|gynaecology|"
    r"critical\s+care|diagnostic(?:\s+imaging)?|outpatients?|urgent\s+and\s+emergency[\w ]*|"
    r"emergency\s+department|end\s+of\s+life[\w ]*|children\s+and\s+young\s+people|"
    r"services\s+for\s+children[\w ]*|neonatal[\w ]*|radiology))[ \t]*$",
    re.I | re.M,
)


#: A report about one ward: "Hooper Ward at Cygnet Hospital Beckton provides psychiatric
#: intensive care ..." at the start of the event's part of the page.
_WARD_INTRO = re.compile(
    r"(?:^|\n|[.!?]\s)[ \t•\-]*(?P<x>(?:The\s+)?[A-Z][\w'’&-]*(?:\s+[A-Z][\w'’&-]*){0,4}\s+"
    r"[Ww]ards?)(?:\s+(?:at|in|of)\s+[^.\n]{1,80}?)?,?\s+(?:provides?|is|are|offers?|cares?\s+for|"
    r"admits?|supports?|specialises|treats?)\b"
)


@dataclass(frozen=True)
class Context:
    """What a sentence leans on: the sentences before it in its paragraph, and the opening
    of its event's part of the page (or of the page)."""

    lead: str = ""
    head: str = ""
    #: the line just above the sentence's paragraph, where it is a heading (short, no full stop)
    heading: str = ""


#: A rating without its subject: "At this assessment, the rating has changed to good."
_IMPLICIT = re.compile(
    r"\b(?:the|this|its|our|that)\s+rating\b(?!\s+(?:of|for|at|in)\b)(?![^.]*\b(?:of|for)\s+"
    r"(?:the|this|its)\b)",
    re.I,
)
_KQ_HEADING = re.compile(
    rf"^[ \t•\-]*(?:are\s+(?:services|they|the\s+services)\s+)?{_KQ}\s*(?:\?|$|[–—-]|:\s*$)", re.I
)
_WHOLE_SUBJECT = re.compile(
    r"\b(?:this|the|our|its)\s+(?:overall\s+)?(?:service|practice|location|home|hospital|trust|"
    r"provider|agency|surgery|clinic|hospice)\b|\boverall\b",
    re.I,
)


def _implicit_scope(context: Context) -> tuple[Scope, str] | None:
    """What "the rating" without a subject is the rating of: the subject of the last rating
    told before it in its paragraph ("we rated this key question as good."), else the section
    heading it sits under ("Well-led", "Effective – this means ...")."""
    lead = context.lead
    last = None
    for m in RATING_WORD.finditer(lead):
        last = m
    if last is not None:
        cut = max(lead.rfind(". ", 0, last.start()), lead.rfind("\n", 0, last.start()))
        said = lead[cut + 1 : last.start()]
        if _PART.search(said):
            return "part", f"the part rated in the sentence before: {_PART.search(said).group(0)!r}"  # type: ignore[union-attr]
        if _WHOLE_SUBJECT.search(said):
            return "whole", "the service rated in the sentence before"
    para = lead.lstrip()
    if _KQ_HEADING.match(para.split("\n")[-1] if "\n" in para else para):
        return "part", f"the key question this section is about: {para[:20]!r}"
    if context.heading and _KQ_HEADING.match(context.heading):
        return "part", f"the key question of its section: {context.heading!r}"
    return None


def _antecedent(same: str, context: Context | None) -> tuple[Scope, str] | None:
    """The scope of what "it", "them" or "this service" stands for, where the text says."""
    for where in (same, context.lead if context else ""):
        found = list(_ANTECEDENT.finditer(where))
        for m in reversed(found):
            x = m.group("x").strip()
            if _PART.search(x) or _BARE_SURGERY.search(x):
                return "part", x
            if _WHOLE_WORD.match(x):
                return "whole", x
    if context is not None:
        ward = _WARD_INTRO.search(context.head)
        if ward is not None:
            return "part", f"the ward this report is about: {ward.group('x').strip()}"
        core = _CORE_REPORT.search(context.head)
        if core is not None:
            x = (core.group("x") or core.group("y") or core.group(0)).strip()
            if not re.match(r"(?:a\s+)?part\s+of\b", x, re.I) and not _WHOLE_WORD.match(x):
                return "part", f"the core service of this report: {x}"
    return None


def judge(
    sentence: str,
    start: int,
    end: int,
    *,
    event_date: dt.date | None = None,
    before_sentence: str = "",
    context: Context | None = None,
    activity_date: dt.date | None = None,
) -> Role:
    """The role of the rating word ``sentence[start:end]``.

    ``before_sentence`` is the sentence before it on the page: where it narrates an inspection
    on a date long before ``event_date`` ("We carried out an announced comprehensive inspection
    on 16 March 2016."), a rating told in the past tense after it is that inspection's.
    """
    rating = rating_name(sentence[start:end]) or ""
    lo, hi = _clause(sentence, start, end)
    before, after = sentence[lo:start], sentence[end:hi]
    scope: Scope
    scope, subject = _subject_scope(sentence[:start] if lo == 0 or not before.strip() else before)
    why = [f"subject {subject!r}"] if subject else []
    if scope != "part" and _AFTER_PART.match(after) and not _overall_in_all(before, after):
        scope, why = "part", [f"{after.strip()[:30]!r} after it"]
    elif scope == "unknown" and _AFTER_OVERALL.match(after):
        scope = "whole"
    elif scope == "unknown" and _PART.search(before):
        scope = "unclear"
        why.append("a part of the service named before it")
    if scope == "unknown" and _IMPLICIT.search(before) and context is not None:
        found = _implicit_scope(context)
        if found is not None:
            scope, what = found
            why.append(f"'the rating' is {what}")
    if scope in ("whole", "unknown") and _PRONOUN.match(subject):
        found = _antecedent(sentence[:start], context)
        if found is not None:
            scope, what = found
            why.append(f"{subject!r} is {what!r}")
    time, cue = _time(sentence, lo, hi, start, end)
    if cue:
        why.append(repr(cue))
    own_date = event_date or activity_date
    if (
        time == "this"
        and own_date is not None
        and re.fullmatch(r"this\s+(?:inspection|visit|assessment)", cue, re.I)
        and _ANAPHORIC_THIS.search(before)
    ):
        # "This was to check ... their comprehensive inspection conducted on 20 January 2016.
        # At this inspection the practice was rated as good": "this" points back to the dated
        # inspection just named, not to the event (a desk-top review months later).
        earlier_one = _dated_inspection(before_sentence, own_date)
        if earlier_one is not None:
            time = "earlier"
            why.append(f"'this inspection' is the one dated {earlier_one.isoformat()} just before")
    if time == "unknown" and event_date is not None:
        late = _earlier_date(sentence[lo:hi], event_date)
        if (
            late is None
            and before_sentence
            and not re.search(r"\b(?:is|are|now)\b", before + after, re.I)
            and re.search(r"\b(?:inspect\w*|visit\w*|carried\s+out)\b", before_sentence, re.I)
        ):
            late = _earlier_date(before_sentence, event_date)
        if late is not None:
            time = "earlier"
            why.append(f"dated {late.isoformat()}, before the event")
    return Role(rating, time, scope, ", ".join(why))


#: "At this inspection" opening its sentence: a pointer to the inspection last named.
_ANAPHORIC_THIS = re.compile(
    r"^\s*(?:at|during|following|after|in)\s+this\s+(?:inspection|visit|assessment)\b", re.I
)
#: A sentence that says the inspection it names is an earlier one (so "this inspection"
#: after it contrasts with it: "We last inspected in 2015. At this inspection ...").
_CONTRAST = re.compile(
    r"\b(?:last|previous(?:ly)?|prior|earlier|preceding|initial|former|first|then|before)\b", re.I
)


def _dated_inspection(sentence: str, event_date: dt.date) -> dt.date | None:
    """The date of the inspection ``sentence`` names, where it is long before ``event_date`` and
    the sentence presents it as the inspection in question, not as a past one."""
    if not sentence or _CONTRAST.search(sentence):
        return None
    if not re.search(r"\b(?:inspection|inspected|visit(?:ed)?)\b", sentence, re.I):
        return None
    dates = [d.first for d in iter_dates(sentence)]
    if not dates or any(abs((event_date - d).days) <= 31 for d in dates):
        return None
    last = dates[-1]
    return last if (event_date - last).days > 31 else None


def _earlier_date(s: str, event_date: dt.date) -> dt.date | None:
    for d in iter_dates(s):
        if (event_date - d.first).days > 31:
            return d.first
    years = [int(y) for y in re.findall(r"(?<![\d/])((?:19|20)\d\d)(?![\d/])", s)]
    if years and max(years) < event_date.year - 0 and not list(iter_dates(s)):
        return dt.date(max(years), 12, 31) if max(years) < event_date.year else None
    return None


def roles_in(
    text: str, start: int, end: int, rating: str, *, event_date: dt.date | None = None
) -> list[Role]:
    """The role of every mention of ``rating`` in ``text[start:end]``, each judged in its
    sentence on the page."""
    out = []
    for m in RATING_WORD.finditer(text, start, end):
        if rating_name(m.group("r")) != rating:
            continue
        s, e = sentence_span(text, m.start(), m.end())
        before = _previous_sentence(text, s)
        role = judge(
            text[s:e],
            m.start() - s,
            m.end() - s,
            event_date=event_date,
            activity_date=None if event_date else _activity_date(text, s),
            before_sentence=before,
            context=_context(text, s),
        )
        if role.time == "earlier" and _KEPT_SINCE.search(_next_sentence(text, e)):
            # "In our previous inspection the service was rated good. After this inspection,
            # the service has retained this rating.": the earlier rating stands for this event too.
            role = replace(role, time="both", why=role.why + ", kept since")
        out.append(role)
    return out


_ACTIVITY = re.compile(
    r"\b(?:carried\s+out|undertook|inspected|visited|reviewed|conducted)\b[^.\n]{0,120}$", re.I
)


def _activity_date(text: str, s: int) -> dt.date | None:
    """Where a record gives the event no date: the latest date of an activity told before
    ``s`` in its event's part of the page ("We carried out a desk top review ... on 22 July
    2016"), as the event's own date, to tell "this inspection" from an earlier one."""
    blocks = event_blocks(text)
    block = next((b for b in reversed(blocks) if b.start <= s), None)
    lo = block.start if block else 0
    found = [
        d.first
        for d in iter_dates(text[lo:s])
        if _ACTIVITY.search(text[max(lo, lo + d.start - 120) : lo + d.start])
    ]
    return max(found) if found else None


#: A sentence that says the rating just given still stands ("has retained this rating").
_KEPT_SINCE = re.compile(
    r"^[^.]{0,80}\b(?:retain(?:s|ed)?|kept|keeps|maintain(?:s|ed)?|remains?|still\s+holds?)\s+"
    r"(?:this|that|the\s+same|its|their)\s+rating\b",
    re.I,
)


def _next_sentence(text: str, end: int) -> str:
    nxt = text[end : end + 300].lstrip()
    cut = nxt.find(". ")
    return nxt if cut < 0 else nxt[: cut + 1]


def _context(text: str, s: int) -> Context:
    line = text.rfind("\n", 0, s) + 1
    if not text[line:s].strip() and line > 0:
        above = text.rfind("\n", 0, line - 1) + 1
        line = above if text[above : line - 1].strip() else line
    lead = text[max(line, s - 400) : s]
    heading = ""
    if line > 0:
        up = text.rfind("\n", 0, line - 1) + 1
        title = text[up : line - 1].strip()
        if not title and up > 0:  # a blank line between heading and paragraph
            up2 = text.rfind("\n", 0, up - 1) + 1
            title = text[up2 : up - 1].strip()
        if 0 < len(title) <= 60 and not title.endswith((".", ",", ";")):
            heading = title
    blocks = event_blocks(text)
    block = next((b for b in reversed(blocks) if b.start <= s), None)
    head = text[block.start : min(block.end, block.start + 400)] if block else text[:1500]
    if block is None or not blocks:
        head = text[: min(len(text), 3000)]
    return Context(lead, head, heading)


def _previous_sentence(text: str, start: int) -> str:
    prev = text[max(0, start - 500) : start].rstrip()
    cut = max(prev.rfind(". ", 0, len(prev) - 1), prev.rfind("\n"))
    return prev[cut + 1 :].strip()


def is_header_rating(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` lies in a page-header rating line ("Overall: Good")."""
    for m in _HEADER_LINE.finditer(text, max(0, text.rfind("\n", 0, max(0, start - 40)))):
        if m.start() > end:
            break
        if (m.start() <= start + 1 and end <= m.end() + 1) or (
            start <= m.start() and m.end() <= end
        ):
            return True
    return False


# --- the event's part of the page -------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """One event's part of the page: from its headline to the next one."""

    start: int
    end: int
    kind: str | None  # the kind its headline names, where it names one
    headline: str


def event_blocks(text: str) -> list[Block]:
    """The page's event parts, one per headline, in page order (empty with fewer than one)."""
    starts = find_event_starts(text)
    out = []
    for i, s in enumerate(starts):
        end = starts[i + 1].start if i + 1 < len(starts) else len(text)
        line_end = text.find("\n", s.start)
        line = text[s.start : line_end if line_end >= 0 else len(text)].strip()
        out.append(Block(s.start, end, _headline_kind(line), line))
    return out


_HEAD_KIND = [
    (re.compile(r"^[ \t\-•]*Review\s+carried\s+out\s+on\b", re.I), "review"),
    (
        re.compile(
            r"^[ \t\-•]*(?:Focused\s+|Responsive\s+)?Inspection\s+carried\s+out\s+on\b", re.I
        ),
        "inspection",
    ),
    (
        re.compile(
            r"^[ \t\-•]*(?:Report\s+from\b[^\n]*\bassessment\b|Assessment\s+carried\s+out\s+on\b)",
            re.I,
        ),
        "assessment",
    ),
]


def _headline_kind(line: str) -> str | None:
    for pattern, kind in _HEAD_KIND:
        if pattern.match(line):
            return kind
    return None


def headline_kind(quote: str) -> str | None:
    """The kind an event headline names, where ``quote`` starts with one."""
    return _headline_kind(quote.strip())


def block_of(blocks: list[Block], start: int, end: int) -> int | None:
    """The index of the block holding ``[start, end)``; -1 before the first; None when the span
    crosses a headline."""
    if not blocks:
        return None
    if end <= blocks[0].start:
        return -1
    for i, b in enumerate(blocks):
        if b.start <= start and end <= b.end:
            return i
    return None


__all__ = [
    "RATING_WORD",
    "Block",
    "Role",
    "block_of",
    "event_blocks",
    "headline_kind",
    "is_header_rating",
    "judge",
    "rating_name",
    "roles_in",
    "sentence_span",
]
