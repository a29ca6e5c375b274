"""The record shown in the README is what the tool really writes for that seed."""

from __future__ import annotations

import json
import re
from pathlib import Path

from extractor.pipeline import extract_document
from extractor.rules import RulesBackend

ROOT = Path(__file__).resolve().parent.parent


def test_readme_evidence_example_is_real() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = dict(
        re.findall(
            r'"(\w+)": (\{"quote": .*?"end": \d+\})',
            readme.split("## What the output means")[1].split("```")[1],
        )
    )
    record = extract_document(ROOT / "seeds" / "000_5a6e1a8d91a200b5.txt", RulesBackend())
    event = record.events[1]
    assert set(shown) == set(event.evidence)
    for field, text in shown.items():
        assert json.loads(text) == event.evidence[field].model_dump()  # type: ignore[index]
