"""Windows line ends and hard-wrapped text: the same events, and offsets into the text as loaded."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from extractor.loading import load_document
from extractor.pipeline import extract_document
from extractor.rules import RulesBackend

SEEDS = sorted((Path(__file__).resolve().parent.parent / "seeds").glob("*.txt"))


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem)
def test_crlf_page_gives_the_same_events(seed: Path, tmp_path: Path) -> None:
    text = seed.read_text(encoding="utf-8")
    crlf = tmp_path / seed.name
    crlf.write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    doc = load_document(crlf)
    assert "\r\n" in doc.text  # loading keeps line ends as they are
    plain = extract_document(seed, RulesBackend())
    windows = extract_document(doc, RulesBackend())
    assert [e.values() for e in windows.events] == [e.values() for e in plain.events]
    assert windows.issues == []
    for event in windows.events:
        for ev in event.evidence.values():
            assert doc.text[ev.start : ev.end] == ev.quote


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem)
def test_hard_wrapped_page_gives_the_same_values(seed: Path, tmp_path: Path) -> None:
    text = seed.read_text(encoding="utf-8")
    wrapped = "\n\n".join(textwrap.fill(p, width=72) for p in text.split("\n\n"))
    page = tmp_path / seed.name
    page.write_text(wrapped, encoding="utf-8")
    plain = extract_document(seed, RulesBackend())
    record = extract_document(page, RulesBackend())
    assert [e.values() for e in record.events] == [e.values() for e in plain.events]
    assert [i for i in record.issues if i.severity == "error"] == []
