"""The review page in headless chromium, after its scripts ran (helpers: tests/browser.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from browser import Opened, launch, open_file
from click.testing import CliRunner

from extractor.cli import cli
from extractor.records import Issue, Record
from extractor.review import write_review

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"

# For every evidence span of the document shown: the text of the segments that carry it,
# whether they are all rendered, and the quote the data gives for it.
SPANS_JS = """() => {
  const data = JSON.parse(document.getElementById("data").textContent);
  const current = +document.querySelector("#docs li.current").dataset.index;
  const segs = [...document.querySelectorAll("#text .seg")];
  return data.docs[current].spans.map((span, k) => {
    const mine = segs.filter((s) => s.dataset.spans.split(" ").includes(String(k)));
    return {
      quote: span.quote,
      text: mine.map((s) => s.textContent).join(""),
      shown: mine.length > 0 && mine.every((s) => s.getClientRects().length > 0),
    };
  });
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launch() as b:
        yield b


def extract(paths: list[Path], out: Path) -> Path:
    """Extract in a thread of its own: playwright's sync API keeps an event loop running in
    this one, and extraction starts its own."""
    args = ["extract", *map(str, paths), "-o", str(out)]
    with ThreadPoolExecutor(1) as pool:
        result = pool.submit(CliRunner().invoke, cli, args, catch_exceptions=False).result()
    assert result.exit_code == 0
    return out


@pytest.fixture
def seeds_page(tmp_path: Path) -> Path:
    results = extract([SEEDS], tmp_path / "seeds.jsonl")
    out = tmp_path / "review.html"
    write_review(results, out, gold_dir=SEEDS, against=results)
    return out


def shown_documents(opened: Opened) -> list[str]:
    return list(
        opened.page.eval_on_selector_all(
            "#docs li:not([hidden]) .name", "els => els.map(e => e.textContent)"
        )
    )


def assert_nothing_remote(opened: Opened) -> None:
    assert opened.requests, "the page itself was requested"
    assert opened.remote_requests() == []
    assert opened.blocked() == []
    assert opened.errors == []


def test_one_highlight_per_evidence_span_and_every_quote_shown(
    browser: Any, seeds_page: Path
) -> None:
    opened = open_file(browser, seeds_page)
    page = opened.page
    for n, name in enumerate(["000_5a6e1a8d91a200b5.txt", "003_7166d48ac7fe3a64.txt"]):
        if n:
            page.keyboard.press("j")
        assert page.text_content("#head h2") == name
        assert page.text_content("#text") == (SEEDS / name).read_text(encoding="utf-8")
        spans = page.evaluate(SPANS_JS)
        record = Record.from_json(
            next(
                line
                for line in (seeds_page.parent / "seeds.jsonl").read_text().splitlines()
                if name in line
            )
        )
        assert len(spans) == sum(len(e.evidence) for e in record.events) > 0
        for span in spans:
            assert span["shown"] and span["text"] == span["quote"]
        # one value button per evidenced value, each naming its own span
        buttons = page.eval_on_selector_all(
            "#events button.val", "els => els.map(e => +e.dataset.span)"
        )
        assert sorted(buttons) == list(range(len(spans)))
    assert_nothing_remote(opened)


def test_clicking_a_value_brings_its_span_into_view(browser: Any, seeds_page: Path) -> None:
    opened = open_file(browser, seeds_page, height=700)
    page = opened.page
    spans = page.evaluate(SPANS_JS)
    last = max(range(len(spans)), key=lambda k: page.evaluate(
        "k => JSON.parse(document.getElementById('data').textContent).docs[0].spans[k].start", k
    ))  # fmt: skip
    segment = page.locator(f'#text .seg[data-spans~="{last}"]').first
    viewport = page.viewport_size

    def in_view() -> bool:
        box = segment.bounding_box()
        pane = page.locator("#textwrap").bounding_box()
        return bool(
            box
            and pane
            and box["y"] >= pane["y"]
            and box["y"] + box["height"] <= min(pane["y"] + pane["height"], viewport["height"])
        )

    assert not in_view()  # the last quote starts far below the first screen
    page.click(f'#events button.val[data-span="{last}"]')
    assert in_view()
    assert "active" in (segment.get_attribute("class") or "")
    assert page.locator("#text .seg.active").count() >= 1


def test_hovering_a_span_shows_its_field_and_value(browser: Any, seeds_page: Path) -> None:
    page = open_file(browser, seeds_page).page
    page.click('#events tr:nth-child(2) td[data-field="overall_rating"] button.val')
    page.hover("#text .seg.active")
    assert page.is_visible("#tip")
    assert page.text_content("#tip") == "E2 · overall rating: Good"
    # a sentence stating both the previous rating and its date carries both spans
    page.click('#events tr:nth-child(2) td[data-field="previous_rating"] button.val')
    page.hover("#text .seg.active")
    assert page.text_content("#tip") == (
        "E2 · previous rating: Requires improvement\nE2 · previous published: 2018-11-27"
    )


def _edited(tmp_path: Path) -> tuple[Path, Path]:
    """Seeds results with an error on the first page and a warning on the second, and another
    run that differs from them on the second page's number of people."""
    results = extract([SEEDS], tmp_path / "seeds.jsonl")
    records = [Record.from_json(line) for line in results.read_text().splitlines()]
    records[0].issues = [
        Issue(code="value_mismatch", severity="error", event=1, field="overall_rating", message="m")
    ]
    records[1].issues = [Issue(code="odd", severity="warning", event=0, field="date", message="w")]
    mine = tmp_path / "mine.jsonl"
    mine.write_text("".join(r.to_json() + "\n" for r in records), encoding="utf-8")
    records[1].events[0].people_using_service = 107
    other = tmp_path / "other.jsonl"
    other.write_text("".join(r.to_json() + "\n" for r in records), encoding="utf-8")
    return mine, other


def test_filters_show_the_right_documents(browser: Any, tmp_path: Path) -> None:
    mine, other = _edited(tmp_path)
    out = tmp_path / "review.html"
    write_review(mine, out, against=other)
    opened = open_file(browser, out)
    page = opened.page
    first, second = "1. 000_5a6e1a8d91a200b5.txt", "2. 003_7166d48ac7fe3a64.txt"
    assert shown_documents(opened) == [first, second]

    def only(*, errors: bool = False, warnings: bool = False, diffs: bool = False, field: str = "") -> list[str]:  # fmt: skip
        page.set_checked("#f-errors", errors)
        page.set_checked("#f-warnings", warnings)
        page.set_checked("#f-diffs", diffs)
        page.select_option("#f-field", field)
        return shown_documents(opened)

    assert only(errors=True) == [first]
    assert only(warnings=True) == [second]
    assert only(diffs=True) == [second]
    assert only(diffs=True, field="people_using_service") == [second]
    assert only(diffs=True, field="overall_rating") == []
    assert only(errors=True, field="overall_rating") == [first]
    assert only(field="date") == [second]
    assert only() == [first, second]
    assert page.text_content("#shown") == "2 of 2 documents shown"
    page.fill("#q", "003_")
    assert shown_documents(opened) == [second]
    assert page.text_content("#head h2") == "003_7166d48ac7fe3a64.txt"  # the one left is shown
    # the differing value shows both values
    cell = page.locator('#events td[data-field="people_using_service"].differs')
    assert cell.count() == 1
    assert cell.inner_text().split("\n") == ["108", "other.jsonl: 107"]


def test_keyboard_moves_between_documents(browser: Any, seeds_page: Path) -> None:
    page = open_file(browser, seeds_page).page
    assert page.text_content("#head h2") == "000_5a6e1a8d91a200b5.txt"
    page.keyboard.press("j")
    assert page.text_content("#head h2") == "003_7166d48ac7fe3a64.txt"
    page.keyboard.press("j")  # stays on the last
    assert page.text_content("#head h2") == "003_7166d48ac7fe3a64.txt"
    page.keyboard.press("ArrowUp")
    assert page.text_content("#head h2") == "000_5a6e1a8d91a200b5.txt"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("k")
    assert page.text_content("#head h2") == "000_5a6e1a8d91a200b5.txt"


INJECTION = (
    "Evil Care Home\n\nInspection carried out on 1 May 2020\n\n"
    "<script>window.__pwned=1</script>\n"
    '<img src=x onerror="window.__pwned=1">\n'
    '<a href="javascript:window.__pwned=1">x</a>\n'
    "</script><script>window.__pwned=1</script><!--\n"
    "At the time of the inspection 12 people were using the service.\n"
)


def test_page_text_with_markup_is_shown_as_text_and_runs_nothing(
    browser: Any, tmp_path: Path
) -> None:
    page_file = tmp_path / "evil.txt"
    page_file.write_text(INJECTION, encoding="utf-8")
    results = extract([page_file], tmp_path / "evil.jsonl")
    record = Record.from_json(results.read_text())
    assert record.events and record.events[0].evidence  # spans cut through the markup too
    out = tmp_path / "review.html"
    write_review(results, out)
    opened = open_file(browser, out)
    page = opened.page
    for selector in ("#text a", "#text a[href]", "#text span.seg"):
        for element in page.query_selector_all(selector):
            element.click()
    page.wait_for_timeout(100)
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.text_content("#text") == INJECTION
    assert "<script>window.__pwned=1</script>" in page.inner_text("#text")
    assert page.evaluate("document.querySelectorAll('img, a, iframe, object, embed').length") == 0
    assert page.evaluate("document.scripts.length") == 2  # the data and the page's own script
    assert json.loads(page.text_content("#data"))["docs"][0]["text"] == INJECTION
    assert_nothing_remote(opened)


def test_a_document_whose_source_is_gone_is_listed_with_a_note(
    browser: Any, tmp_path: Path
) -> None:
    results = extract([SEEDS], tmp_path / "seeds.jsonl")
    lines = results.read_text().splitlines()
    gone = Record.from_json(lines[0]).model_copy(update={"source": str(tmp_path / "gone.txt")})
    results.write_text(gone.to_json() + "\n" + lines[1] + "\n", encoding="utf-8")
    out = tmp_path / "review.html"
    write_review(results, out)
    opened = open_file(browser, out)
    page = opened.page
    assert page.text_content("#head .note") == "source cannot be read: no such file"
    assert page.text_content("#text") == "(the text of this document is not available)"
    assert page.locator("#events button.val").count() > 0  # the values are still listed
    page.keyboard.press("j")
    assert page.locator("#text .seg").count() > 0
    assert opened.errors == []
