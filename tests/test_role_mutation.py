"""Role mutants (issue 11): a rating the page really states, put in the wrong role or event.

The value mutants of ``test_mutation`` change a value or break its quote; these keep the quote
verbatim, at its real offsets, and only put it where it does not belong. For every real page
(``tests/data/real``) and every development page (``tests/data/corpus``), a finder of its own —
generic patterns for how CQC pages state ratings, written for this test and sharing nothing with
the readers of :mod:`extractor.reading.readers` nor with :mod:`extractor.roles` — finds the
rating statements the page makes in a role other than an event's own overall rating:

* ``key question``: "Safe: Requires improvement", "We rated safe as good", "good for providing
  effective services", "Are services caring?" with the rating on the line below;
* ``part``: a core service, ward, population group or domain ("We rated this core service as
  good", "rated all population groups as good", "Overall rating for this core service Good");
* ``earlier``: a narrated earlier rating ("was rated good at our last inspection", "The last
  rating for this service was ...", "(Previous rating June 2016 – Good)");
* ``header``: the page header's current rating ("Overall: Good");
* ``other event``: any rating statement under another event's headline.

Each is planted, one at a time, into each event of the rules' record for the page (the rules'
events that align with a gold event), as the event's ``overall_rating`` with the sentence as its
evidence; ``key question``, ``part`` and ``other event`` statements also as its
``previous_rating`` (where an earlier rating of the whole service in the event's own part of the
page would be right, so it is not planted there). A mutant is *caught* when the checker reports
an ``error`` on that event and that field. A planted statement that is exactly the rules' own,
gold-correct evidence for that event and field is not a mutant and is skipped.

The second figure is the cost: on every page of every set with gold (real, development, the three
held-out sets, the seeds), the rules' record is checked as it stands, and every event whose
values all equal its gold event must be free of ``error`` issues (at most 1% may not be).

``python scripts/role_mutants.py`` prints both figures (and the misses); so does
``pytest -rP tests/test_role_mutation.py``.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from conftest import DATA, SEEDS

from extractor.checker import check_record
from extractor.evaluation import align_events
from extractor.loading import load_document
from extractor.pipeline import extract_document
from extractor.records import Evidence, Gold, Record
from extractor.rules import RulesBackend

TODAY = dt.date(2030, 1, 1)
BAR = 0.99
FALSE_ERROR_BAR = 0.01

#: (pages, gold) of every set with gold; the role mutants use the real and development pages.
SETS = {
    "real": (DATA / "real", DATA / "real"),
    "dev": (DATA / "corpus", DATA / "corpus-gold"),
    "heldout": (DATA / "heldout", DATA / "heldout"),
    "heldout2": (DATA / "heldout2", DATA / "heldout2"),
    "heldout3": (DATA / "heldout3", DATA / "heldout3"),
    "seeds": (SEEDS, SEEDS),
}
MUTANT_SETS = ("real", "dev")


@dataclass(frozen=True)
class Page:
    set: str
    name: str
    text: str
    record: Record
    gold: Gold
    #: for each aligned (record event, gold event): whether all its values equal gold
    aligned: tuple[tuple[int, int, bool], ...]


@functools.cache
def pages() -> tuple[Page, ...]:
    backend = RulesBackend()
    out = []
    for set_name, (folder, gold_folder) in SETS.items():
        for path in sorted(folder.glob("*.txt")):
            gold_path = gold_folder / f"{path.stem}.gold.json"
            if not gold_path.exists():
                continue
            doc = load_document(path, source=path.name)
            gold = Gold.model_validate_json(gold_path.read_text(encoding="utf-8"))
            record = extract_document(doc, backend)
            aligned = []
            for i, j in align_events(record.events, gold.events):
                if i is None or j is None:
                    continue
                same = record.events[i].values() == gold.events[j].model_dump(mode="json")
                aligned.append((i, j, same))
            out.append(Page(set_name, path.name, doc.text, record, gold, tuple(aligned)))
    return tuple(out)


# --- the finder: rating statements in a role other than an event's own overall rating ----------

_R = r"(?P<r>outstanding|good|requires?\s+improvement|inadequate)\b"
_KQ = r"(?:safe|effective|caring|responsive|well[\s-]?led)"
_SERVICES = (
    r"(?:medical\s+care|surgery|maternity|end\s+of\s+life\s+care|outpatients|urgent\s+and\s+"
    r"emergency\s+(?:care|services)|critical\s+care|services\s+for\s+children\s+and\s+young\s+"
    r"people|children\s+and\s+young\s+people['’]s\s+services|diagnostic\s+imaging|community\s+"
    r"health\s+services\s+for\s+\w+|acute\s+wards|mental\s+health\s+crisis\s+services|"
    r"gynaecology)"
)
_GROUPS = (
    r"(?:older\s+people|people\s+with\s+long[\s-]term\s+conditions|families,\s+children\s+and\s+"
    r"young\s+people|working\s+age\s+people|people\s+whose\s+circumstances\s+(?:may\s+)?make\s+"
    r"them\s+vulnerable|people\s+experiencing\s+poor\s+mental\s+health)"
)
_FINDER: list[tuple[str, re.Pattern[str]]] = [
    ("key question", re.compile(rf"\b{_KQ}\s*(?:\?|:|–|-)\s*(?:\n\s*)?['‘\"“]?{_R}", re.I)),
    (
        "key question",
        re.compile(rf"\bare\s+services\s+{_KQ}\?\s*(?:\n\s*)?(?:rating\s*:?\s*)?{_R}", re.I),
    ),
    (
        "key question",
        re.compile(
            rf"\brated\s+(?:the\s+)?{_KQ}(?:(?:,|\s+and)\s+{_KQ})*(?:\s+\([\w\s]+\))?\s+(?:as\s+)?['‘\"“]?{_R}",
            re.I,
        ),
    ),
    (
        "key question",
        re.compile(
            rf"(?<!for\s)\b{_KQ}(?:(?:,|\s+and)\s+{_KQ})*\s+(?:was|were|is|are|remains|remained)\s+"
            rf"(?:also\s+|still\s+|now\s+)?(?:rated\s+)?(?:as\s+)?['‘\"“]?{_R}",
            re.I,
        ),
    ),
    (
        "key question",
        re.compile(rf"{_R}['’\"”]?\s+(?:for|in)\s+(?:providing\s+|being\s+|the\s+)?{_KQ}\b", re.I),
    ),
    (
        "part",
        re.compile(
            rf"\b(?:core\s+services?|population\s+groups?|wards?|domains?)\b[^.\n]{{0,50}}?"
            rf"\b(?:rated|rating)\b[^.\n]{{0,25}}?\b(?:as\s+)?['‘\"“]?{_R}",
            re.I,
        ),
    ),
    (
        "part",
        re.compile(
            rf"\brated\s+(?:this|the|all|each|every|both)\s+(?:core\s+services?|population\s+groups?|"
            rf"wards?)\b[^.\n]{{0,30}}?\s+(?:as\s+)?['‘\"“]?{_R}",
            re.I,
        ),
    ),
    (
        "part",
        re.compile(rf"\brating\s+for\s+this\s+core\s+service\s*:?\s*{_R}", re.I),
    ),
    (
        "part",
        re.compile(
            rf"\b(?:{_SERVICES}|{_GROUPS})\b[^.\n]{{0,40}}?\b(?:was|were|is|are)\s+(?:also\s+)?"
            rf"(?:rated\s+)?(?:as\s+)?['‘\"“]?{_R}",
            re.I,
        ),
    ),
    (
        "part",
        re.compile(
            rf"\brated\s+(?:the\s+)?(?:{_SERVICES}|{_GROUPS})\b[^.\n]{{0,40}}?\s+as\s+['‘\"“]?{_R}",
            re.I,
        ),
    ),
    (
        "part",
        re.compile(
            rf"{_R}['’\"”]?\s+(?:overall\s+)?(?:for|in)\s+(?:the\s+)?(?:{_GROUPS}|{_SERVICES})\b",
            re.I,
        ),
    ),
    (
        "part",
        re.compile(rf"{_R}['’\"”]?\s+in\s+(?:the\s+)?{_KQ}\s+(?:domain|key\s+question)", re.I),
    ),
    (
        "earlier",
        re.compile(
            rf"\b(?:at|following|after|during|in)\s+(?:our|the|its|their)\s+(?:last|previous|prior)\s+"
            rf"(?:[\w-]+\s+){{0,2}}?(?:inspection|visit|assessment)\b[^.\n]{{0,90}}?\b(?:rated|rating)\b"
            rf"[^.\n]{{0,20}}?\b(?:as\s+)?['‘\"“]?{_R}",
            re.I,
        ),
    ),
    (
        "earlier",
        re.compile(
            rf"\b(?:was|were|had\s+been)\s+(?:previously\s+)?rated\s+(?:as\s+)?['‘\"“]?{_R}['’\"”]?"
            rf"(?:\s+overall)?\s+(?:at|in|following|after)\s+(?:our|the|its)\s+(?:last|previous|prior)\b",
            re.I,
        ),
    ),
    (
        "earlier",
        re.compile(
            rf"\b(?:the\s+)?(?:last|previous)\s+rating\s+(?:for\s+this\s+\w+\s+)?(?:was|of)\s+['‘\"“]?{_R}",
            re.I,
        ),
    ),
    (
        "earlier",
        re.compile(
            rf"\(\s*previous\s+(?:rating|inspection)\s+[\w\s]{{0,20}}(?:19|20)\d\d\s*[–-]\s*{_R}",
            re.I,
        ),
    ),
    (
        "earlier",
        re.compile(
            rf"\bpreviously\s+(?:been\s+)?rated\s+(?:it\s+|the\s+\w+\s+)?(?:as\s+)?{_R}", re.I
        ),
    ),
    (
        "earlier",
        re.compile(rf"\blast\s+inspected\b[^.\n]{{0,60}}?\brated\s+(?:as\s+)?{_R}", re.I),
    ),
    (
        "earlier",
        re.compile(
            rf"\b(?:in|on)\s+(?:[0-3]?\d\s+)?(?:January|February|March|April|May|June|July|August|"
            rf"September|October|November|December)\s+(?:19|20)\d\d,?\s+(?:the\s+\w+|it|we)\s+"
            rf"(?:was|were|had\s+been)\s+rated\s+(?:as\s+)?['‘\"“]?{_R}",
            re.I,
        ),
    ),
    (
        "earlier",
        re.compile(rf"\brating\s+at\s+(?:the\s+|our\s+)?last\s+inspection\s*:\s*{_R}", re.I),
    ),
    (
        "earlier",
        re.compile(
            rf"\bat\s+that\s+(?:inspection|time|visit)\b[^.\n]{{0,60}}?\brated\s+(?:as\s+)?{_R}",
            re.I,
        ),
    ),
    ("header", re.compile(rf"^[ \t]*Overall\s*:\s*{_R}", re.I | re.M)),
]
#: Words that make a narrated earlier rating also this event's (remains, changed to, now).
_ALSO_THIS = re.compile(
    r"\b(?:remain\w*|stayed|changed|improved|deteriorated|dropped|declined|continue\w*|"
    r"not\s+change\w*|now|this\s+inspection|still)\b",
    re.I,
)
_HEADLINE = re.compile(
    r"^[ \t]*(?:(?:Inspection|Review|Assessment|Focused\s+inspection)\s+carried\s+out\s+on\s+[^\n]*"
    r"(?:19|20)\d\d|Report\s+from\s+[^\n]*assessment|[0-3]?\d(?:st|nd|rd|th)?\s+[A-Z][a-z]+\s+"
    r"(?:19|20)\d\d(?=\s*\n\s*During\b))[ \t]*$",
    re.M,
)
_STATEMENT = re.compile(rf"\b(?:rated|rating|overall)\b[^.\n]{{0,80}}?['‘\"“]?{_R}", re.I)


@dataclass(frozen=True)
class Statement:
    kind: str
    rating: str
    start: int  # the sentence (the planted quote)
    end: int
    #: the statement alone, where it is shorter than the sentence (a tighter quote)
    tight: tuple[int, int] | None = None


def _rating(word: str) -> str:
    w = " ".join(word.lower().split())
    return {
        "requires improvement": "Requires improvement",
        "require improvement": "Requires improvement",
    }.get(w, w.capitalize())


def _sentence(text: str, pos: int, end: int) -> tuple[int, int]:
    """The sentence around ``text[pos:end]``: from the last ". " or line end before its end
    to the next (a statement that runs over a line break, "Are services safe?" above its
    rating, keeps both lines)."""
    left = max(text.rfind(". ", 0, end) + 2, text.rfind("\n", 0, end) + 1, 0)
    left = min(left, pos)
    stops = [i for i in (text.find(". ", end), text.find("\n", end)) if i >= 0]
    right = min(stops) + (1 if stops and text[min(stops)] == "." else 0) if stops else len(text)
    while left < right and text[left].isspace():
        left += 1
    while right > left and text[right - 1].isspace():
        right -= 1
    return left, right


def find_statements(text: str) -> list[Statement]:
    """Every rating statement of the page in a role other than an event's own overall rating."""
    seen: set[tuple[int, int, str]] = set()
    out: list[Statement] = []
    for kind, pattern in _FINDER:
        for m in pattern.finditer(text):
            s, e = _sentence(text, m.start(), m.end())
            rating = _rating(m.group("r"))
            others = [
                r
                for r in re.finditer(_R, text[s:e], re.I)
                if _rating(r.group("r")) == rating and s + r.start() != m.start("r")
            ]
            if others:  # the sentence says it in another role too: quote only the statement
                s, e = m.start(), m.end()
            a, b = m.start(), m.end()
            while a < b and not text[a].isalnum():
                a += 1
            tight = (a, b) if (a, b) != (s, e) and b - a >= 8 else None
            if kind == "earlier" and _ALSO_THIS.search(text, s, e):
                continue
            key = (s, e, rating)
            if key not in seen:
                seen.add(key)
                out.append(Statement(kind, key[2], s, e))
                if tight is not None:
                    out.append(Statement(f"{kind}, tight", key[2], *tight))
    return out


def headline_blocks(text: str) -> list[tuple[int, int]]:
    """The page's event parts by this test's own reading of headlines."""
    starts = [m.start() for m in _HEADLINE.finditer(text)]
    return list(zip(starts, [*starts[1:], len(text)], strict=False))


def other_event_statements(text: str) -> list[tuple[int, Statement]]:
    """Every rating statement under a headline, with the index of its block."""
    out = []
    for k, (a, b) in enumerate(headline_blocks(text)):
        for m in _STATEMENT.finditer(text, a, b):
            s, e = _sentence(text, m.start("r"), m.end("r"))
            if a <= s and e <= b:
                out.append((k, Statement("other event", _rating(m.group("r")), s, e)))
    return out


# --- the mutants -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoleMutant:
    page: Page
    event: int
    field: str
    statement: Statement
    record: Record

    @property
    def quote(self) -> str:
        return self.page.text[self.statement.start : self.statement.end]

    @property
    def label(self) -> str:
        s = self.statement
        return f"{self.page.name} event {self.event} {self.field} = {s.rating} [{s.kind}]: {self.quote[:140]!r}"


def _plant(page: Page, i: int, name: str, st: Statement) -> Record:
    events = list(page.record.events)
    quote = page.text[st.start : st.end]
    evidence = {**events[i].evidence, name: Evidence(quote=quote, start=st.start, end=st.end)}
    events[i] = events[i].model_copy(update={name: st.rating, "evidence": evidence})
    return page.record.model_copy(update={"events": events})


def _is_right_answer(page: Page, i: int, name: str, st: Statement) -> bool:
    """The rules' own gold-correct value and quote for this event and field."""
    event = page.record.events[i]
    ev = event.evidence.get(name)  # type: ignore[call-overload]
    gold = next((page.gold.events[j] for a, j, _ in page.aligned if a == i), None)
    return (
        ev is not None
        and gold is not None
        and getattr(gold, name) == st.rating
        and ev.start <= st.start + 5
        and st.end - 5 <= ev.end
    )


def _home(page: Page, i: int, blocks: list[tuple[int, int]]) -> int | None:
    ev = page.record.events[i].evidence.get("date")
    if ev is None:
        return None
    return next((k for k, (a, b) in enumerate(blocks) if a <= ev.start < b), None)


def role_mutants(page: Page) -> Iterator[RoleMutant]:
    targets = [i for i, _, _ in page.aligned]
    statements = find_statements(page.text)
    blocks = headline_blocks(page.text)
    for i in targets:
        for st in statements:
            fields = ["overall_rating"]
            if st.kind.startswith(("key question", "part")):
                fields.append("previous_rating")
            for name in fields:
                if not _is_right_answer(page, i, name, st):
                    yield RoleMutant(page, i, name, st, _plant(page, i, name, st))
        if len(blocks) < 2:
            continue
        home = _home(page, i, blocks)
        if home is None:
            continue
        for k, st in other_event_statements(page.text):
            if k == home:
                continue
            for name in ("overall_rating", "previous_rating"):
                yield RoleMutant(page, i, name, st, _plant(page, i, name, st))


#: The codes of the checker's own role judgement (issue 11); the others come from re-reading
#: the quote with the readers the rules use.
ROLE_CODES = frozenset(
    {"rating_time", "rating_scope", "rating_other_event", "rating_from_header", "events_merged"}
)


def caught_by(m: RoleMutant) -> set[str]:
    """The codes of the errors on the mutated event and field."""
    return {
        x.code
        for x in check_record(m.record, m.page.text, today=TODAY)
        if x.severity == "error" and x.event == m.event and x.field == m.field
    }


def caught(m: RoleMutant) -> bool:
    return bool(caught_by(m))


@dataclass(frozen=True)
class RoleResults:
    made: Counter[str]
    missed: Counter[str]
    pages_with_mutants: int
    escapes: tuple[str, ...]
    #: mutants the readers' checks alone (codes outside ROLE_CODES) flag
    by_readers: int = 0

    def rate(self) -> float:
        total = sum(self.made.values())
        return (total - sum(self.missed.values())) / total

    def summary(self) -> str:
        total, escaped = sum(self.made.values()), sum(self.missed.values())
        rows = [
            f"  {kind:<14} {self.made[kind]:>5} made {self.made[kind] - self.missed[kind]:>5} "
            f"flagged {self.missed[kind]:>4} missed"
            for kind in sorted(self.made)
        ]
        head = (
            f"role mutants on real and dev pages: {total - escaped} of {total} flagged with an "
            f"error on the right event and field ({self.rate():.2%}), from "
            f"{self.pages_with_mutants} pages"
        )
        readers = (
            f"  (the checks that re-read the quote with the rules' readers alone flag "
            f"{self.by_readers} of {total}, {self.by_readers / total:.2%})"
        )
        return "\n".join([head, readers, *rows, f"missed ({escaped}):", *self.escapes])


@functools.cache
def role_results() -> RoleResults:
    made: Counter[str] = Counter()
    missed: Counter[str] = Counter()
    escapes: list[str] = []
    with_mutants = by_readers = 0
    for page in pages():
        if page.set not in MUTANT_SETS:
            continue
        any_made = False
        for m in role_mutants(page):
            any_made = True
            key = f"{m.statement.kind} ({'overall' if m.field == 'overall_rating' else 'previous'})"
            made[key] += 1
            codes = caught_by(m)
            by_readers += bool(codes - ROLE_CODES)
            if not codes:
                missed[key] += 1
                escapes.append(f"  {m.label}")
        with_mutants += any_made
    return RoleResults(made, missed, with_mutants, tuple(escapes), by_readers)


@dataclass(frozen=True)
class FalseErrors:
    correct: Counter[str]  # gold-correct events, per set
    alarmed: Counter[str]  # of those, with an error
    alarms: tuple[str, ...]

    def rate(self) -> float:
        return sum(self.alarmed.values()) / sum(self.correct.values())

    def summary(self) -> str:
        total, bad = sum(self.correct.values()), sum(self.alarmed.values())
        rows = [
            f"  {s:<9} {self.correct[s]:>4} gold-correct events {self.alarmed[s]:>3} with an error"
            for s in SETS
        ]
        head = (
            f"error issues on gold-correct events: {bad} of {total} ({self.rate():.2%}) "
            "across real, dev, heldout 1-3 and seeds"
        )
        return "\n".join([head, *rows, *self.alarms])


@functools.cache
def false_errors() -> FalseErrors:
    correct: Counter[str] = Counter()
    alarmed: Counter[str] = Counter()
    alarms: list[str] = []
    for page in pages():
        issues = check_record(page.record, page.text, today=TODAY)
        for i, _, same in page.aligned:
            if not same:
                continue
            correct[page.set] += 1
            errors = [x for x in issues if x.event == i and x.severity == "error"]
            if errors:
                alarmed[page.set] += 1
                alarms.append(
                    f"  {page.set}/{page.name} event {i}: "
                    + "; ".join(f"{x.code} {x.field}: {x.message[:150]}" for x in errors)
                )
    return FalseErrors(correct, alarmed, tuple(alarms))


# --- the tests ---------------------------------------------------------------------------------


def test_the_finder_finds_every_kind_of_statement_on_many_pages() -> None:
    r = role_results()
    kinds = {k.split(" (")[0].split(",")[0] for k in r.made}
    assert kinds == {"key question", "part", "earlier", "header", "other event"}, r.summary()
    assert sum(r.made.values()) >= 700, r.summary()
    assert r.pages_with_mutants >= 90, r.summary()


def test_role_mutants_are_flagged_as_errors_on_the_right_event_and_field() -> None:
    r = role_results()
    print(r.summary())  # shown with `pytest -rP`
    assert r.rate() >= BAR, r.summary()


def test_no_error_on_at_most_1_percent_of_gold_correct_events() -> None:
    f = false_errors()
    print(f.summary())
    assert sum(f.correct.values()) >= 400, f.summary()
    assert f.rate() <= FALSE_ERROR_BAR, f.summary()


def test_the_finder_does_not_use_the_rules_readers() -> None:
    """The finder is this test's own: it imports nothing from the readers or the role judge."""
    source = Path(__file__).read_text(encoding="utf-8")
    for module in ("extractor.reading", "extractor.roles", "extractor.rules import extract"):
        assert f"from {module}" not in source
