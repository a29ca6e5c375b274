"""HTML pages as saved from the CQC website: visible text only, offsets into that text."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from extractor.loading import load_document, read_text
from extractor.pipeline import extract_document
from extractor.rules import RulesBackend

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
HTML = Path(__file__).resolve().parent / "data" / "html"


_DATE = re.compile(r"(\d{1,2}) ([A-Z][a-z]{2})([a-z]*) (\d{4})")
#: Markup a page may put inside a headline's date: each must leave the date and the events as
#: they are in the plain text.
HEADLINE_MARKUP: dict[str, Callable[[str], str]] = {
    "plain": lambda h: h,
    "br-in-date": lambda h: _DATE.sub(r"\1 \2\3<br>\4", h),
    "br-before-date": lambda h: h.replace("carried out on ", "carried out on<br/>"),
    "soft-hyphen": lambda h: _DATE.sub(r"\1 \2&shy;\3 \4", h),
    "zero-width-space": lambda h: _DATE.sub(r"\1&#8203; \2\3 \4", h),
    "inline-elements": lambda h: _DATE.sub(
        r"<span>\1</span> <strong>\2\3</strong> <a href='#'>\4</a>", h
    ),
    "time-element": lambda h: _DATE.sub(r"<time datetime='x'>\1 \2\3<br>\4</time>", h),
}


def seed_as_html(text: str, headline: Callable[[str], str] = HEADLINE_MARKUP["plain"]) -> str:
    """A seed page as the website would serve it: chrome around, one element per paragraph,
    ``headline`` applied to the escaped text of each event's headline."""
    body = []
    for para in text.split("\n\n"):
        para = para.strip()
        if not para:
            continue
        if para.startswith(("Inspection carried out", "Review carried out")):
            body.append(f"<h2>{headline(html.escape(para))}</h2>")
        else:
            body.append(f"<p>{html.escape(para)}</p>")
    return (
        "<!DOCTYPE html><html><head><title>Reports</title><style>p{margin:0}</style>"
        "<script>var inspections = ['Inspection carried out on 1 January 2001'];</script></head><body>"
        "<nav><a href='/'>Home</a> Inspection carried out on 2 February 2002</nav><main>"
        + "\n".join(body)
        + "</main><footer>Care Quality Commission</footer></body></html>"
    )


@pytest.mark.parametrize("markup", sorted(HEADLINE_MARKUP))
@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem)
def test_seed_rendered_as_html_gives_the_same_events(
    seed: Path, markup: str, tmp_path: Path
) -> None:
    page = tmp_path / (seed.stem + ".html")
    text = seed.read_text(encoding="utf-8")
    page.write_text(seed_as_html(text, HEADLINE_MARKUP[markup]), encoding="utf-8")
    from_text = extract_document(seed, RulesBackend())
    from_html = extract_document(page, RulesBackend())
    assert from_html.error is None
    assert [e.values() for e in from_html.events] == [e.values() for e in from_text.events]
    shown = read_text(page)  # what `cqc-extract text` prints
    assert "var inspections" not in shown and "2 February 2002" not in shown
    for event in from_html.events:
        for ev in event.evidence.values():
            assert shown[ev.start : ev.end] == ev.quote
    assert from_html.issues == []


EXPECTED = {
    "era_2013_dental.html": (
        None,
        [
            {"kind": "inspection", "date": "2013-05-14"},
            {"kind": "inspection", "date": "2012-10-02", "announced": False},
        ],
    ),
    "era_2019_care_home.html": (
        "Requires improvement",
        [
            {"kind": "review", "date": "2022-03-03"},
            {
                "kind": "inspection",
                "date": "2019-11-12",
                "overall_rating": "Requires improvement",
                "previous_rating": "Good",
                "previous_rating_published": "2017-05-04",
                "people_using_service": 32,
                "announced": False,
            },
        ],
    ),
    "era_2024_assessment.html": (
        None,
        [
            {
                "kind": "assessment",
                "date": "2024-03-06",
                "overall_rating": "Good",
                "people_using_service": 48,
                "announced": False,
            }
        ],
    ),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_html_pages_of_each_era(name: str) -> None:
    current, events = EXPECTED[name]
    record = extract_document(HTML / name, RulesBackend())
    assert record.current_rating == current
    assert [{k: v for k, v in e.values().items() if v is not None} for e in record.events] == events
    doc = load_document(HTML / name)
    assert doc.media_type == "text/html"
    for event in record.events:
        for ev in event.evidence.values():
            assert ev.holds_in(doc.text)
    # the breach of regulation 17 sits oddly with the rating only where the rating is Good
    assert all(i.severity == "warning" for i in record.issues)


@pytest.mark.parametrize(
    ("markup", "text"),
    [
        ("<p>Inspection carried out on 18<br>November 2019</p>", "18 November 2019"),
        ("<p>Inspection carried out on 18<br/><span>Nov</span> 2019</p>", "18 Nov 2019"),
        ("<div>Review carried out on 9 September<br>\n2021</div>", "9 September 2021"),
        ("<p>Inspection carried out on 3<br>&shy;March 2020</p>", "3 March 2020"),
    ],
)
def test_a_br_that_cuts_a_date_in_a_paragraph_is_a_space(
    markup: str, text: str, tmp_path: Path
) -> None:
    page = tmp_path / "page.html"
    page.write_text(
        f"<html><body>{markup}<p>During a routine inspection</p>"
        "<p>Inspection carried out on 1 May 2017</p><p>During a routine inspection</p>"
        "</body></html>",
        encoding="utf-8",
    )
    record = extract_document(load_document(page), RulesBackend())
    assert text in read_text(page)
    assert len(record.events) == 2 and all(e.date is not None for e in record.events)


@pytest.mark.parametrize(
    "markup",
    ["<p>We saw 18<br>people in the lounge</p>", "<p>Room 4<br>Mayfield wing</p>"],
)
def test_a_br_between_other_words_still_ends_a_line(markup: str, tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(f"<html><body>{markup}</body></html>", encoding="utf-8")
    assert "\n" in read_text(page)
